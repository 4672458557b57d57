/* rtguard.c - the core of librtguard (see rtguard.h): the hooks washmixd
 * calls around its process callback, the violation report, the counters
 * and the exit line. Hooks and reports run on the thread that made the
 * call (the JACK process thread); the constructor and destructor run on the
 * main thread at load and exit. Everything here is careful not to call what
 * it guards: reports go out with raw write(2) syscalls, and backtrace() is
 * warmed up at load because its first call loads libgcc_s and allocates. */
#define _GNU_SOURCE
#include "tests/rtguard/rtguard.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BACKTRACE_MAX_FRAMES 64

__thread int rtg_depth __attribute__((tls_model("initial-exec")));
/* Set while this thread writes a report: calls made by the report itself
 * (snprintf, backtrace) pass through instead of reporting again. */
static __thread int reporting __attribute__((tls_model("initial-exec")));

static const char *const fn_names[RTG_FN_COUNT] = {
#define RTG_NAME(name) #name,
	RTG_FUNCTIONS(RTG_NAME)
#undef RTG_NAME
};

static void *_Atomic real_fns[RTG_FN_COUNT];
static atomic_ulong fn_violations[RTG_FN_COUNT];
static atomic_ulong violations;
static atomic_ulong cycles;
static int count_mode;

static void raw_write(const char *s, size_t len)
{
	while (len > 0) {
		long n = syscall(SYS_write, 2, s, len);
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void raw_puts(const char *s)
{
	raw_write(s, strlen(s));
}

RTG_EXPORT void wm_rtcheck_enter(void)
{
	rtg_depth++;
	atomic_fetch_add_explicit(&cycles, 1, memory_order_relaxed);
}

RTG_EXPORT void wm_rtcheck_exit(void)
{
	rtg_depth--;
}

void *rtg_real(enum rtg_fn fn)
{
	void *f = atomic_load_explicit(&real_fns[fn], memory_order_relaxed);
	if (f)
		return f;
	f = dlsym(RTLD_NEXT, fn_names[fn]);
	if (!f) {
		raw_puts("rtguard: no next definition of ");
		raw_puts(fn_names[fn]);
		raw_puts("\n");
		abort();
	}
	atomic_store_explicit(&real_fns[fn], f, memory_order_relaxed);
	return f;
}

/* noinline: the backtrace skips this frame and rtg_violation's, so it
 * starts at the interposed function, then its caller. */
__attribute__((noinline)) static void report(enum rtg_fn fn, const char *args_fmt,
					     va_list ap)
{
	char args[256], line[512];
	void *frames[BACKTRACE_MAX_FRAMES];

	/* glibc's vsnprintf/snprintf of %s, %d, %zu, %p, %x do not allocate. */
	vsnprintf(args, sizeof args, args_fmt, ap);
	snprintf(line, sizeof line, "rtguard: realtime violation: %s(%s) inside the JACK "
		 "process callback (thread %ld)\n", fn_names[fn], args, syscall(SYS_gettid));
	raw_puts(line);
	int n = backtrace(frames, BACKTRACE_MAX_FRAMES);
	if (n > 2)
		backtrace_symbols_fd(frames + 2, n - 2, 2);
}

void rtg_violation(enum rtg_fn fn, const char *args_fmt, ...)
{
	va_list ap;

	if (reporting)
		return;
	reporting = 1;
	atomic_fetch_add_explicit(&violations, 1, memory_order_relaxed);
	/* In count mode the first call of each function gets the full report,
	 * the rest are only counted: a loop cannot flood the log. */
	if (atomic_fetch_add_explicit(&fn_violations[fn], 1, memory_order_relaxed) == 0 ||
	    !count_mode) {
		va_start(ap, args_fmt);
		report(fn, args_fmt, ap);
		va_end(ap);
	}
	if (!count_mode) {
		raw_puts("rtguard: aborting (RTGUARD_MODE=count counts instead)\n");
		abort();
	}
	reporting = 0;
}

static void read_mode(void)
{
	const char *mode = getenv("RTGUARD_MODE");

	if (!mode || !*mode || strcmp(mode, "abort") == 0)
		return;
	if (strcmp(mode, "count") == 0) {
		count_mode = 1;
		return;
	}
	raw_puts("rtguard: RTGUARD_MODE must be abort (the default) or count; got \"");
	raw_puts(mode);
	raw_puts("\", using abort\n");
}

__attribute__((constructor)) static void rtguard_load(void)
{
	void *frame;

	read_mode();
	for (int fn = 0; fn < RTG_FN_COUNT; fn++)
		if (fn > RTG_pvalloc) /* the allocator goes to __libc_* */
			rtg_real((enum rtg_fn)fn);
	/* Loads libgcc_s's unwinder now, while allocating is still fine. */
	backtrace(&frame, 1);
}

__attribute__((destructor)) static void rtguard_unload(void)
{
	char line[160];
	unsigned long total = atomic_load(&violations);

	snprintf(line, sizeof line, "rtguard: %lu realtime violation(s) in %lu process "
		 "cycles (mode %s)\n", total, atomic_load(&cycles),
		 count_mode ? "count" : "abort");
	raw_puts(line);
	for (int fn = 0; fn < RTG_FN_COUNT; fn++) {
		unsigned long n = atomic_load(&fn_violations[fn]);
		if (n == 0)
			continue;
		snprintf(line, sizeof line, "rtguard:   %s: %lu\n", fn_names[fn], n);
		raw_puts(line);
	}
}
