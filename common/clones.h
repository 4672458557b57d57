/* clones.h - WM_CLONES: compile a hot loop for AVX-512, AVX2 and the
 * baseline, picked once at load time by an ifunc (GCC/Clang
 * target_clones on x86-64 Linux), so a packaged binary uses the machine's
 * vector width without -march=native. Elsewhere it is empty. Kept in
 * sanitizer builds too (checked with GCC 12 and Clang 14 ASan), so those
 * test the code that ships. */
#ifndef WM_CLONES_H
#define WM_CLONES_H

#if defined(__x86_64__) && defined(__linux__) && \
	(defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 6))
#define WM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define WM_HAVE_CLONES 1
#else
#define WM_CLONES
#define WM_HAVE_CLONES 0
#endif

#endif
