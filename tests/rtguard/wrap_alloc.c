/* wrap_alloc.c - librtguard's allocator wrappers (see rtguard.h). They call
 * glibc's exported __libc_* entry points, so no dlsym is needed and nothing
 * allocates before the real allocator is found. Any thread. */
#define _GNU_SOURCE
#include "tests/rtguard/rtguard.h"

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

RTG_EXPORT void *malloc(size_t size)
{
	RTG_CHECK(malloc, "%zu", size);
	return __libc_malloc(size);
}

RTG_EXPORT void *calloc(size_t count, size_t size)
{
	RTG_CHECK(calloc, "%zu, %zu", count, size);
	return __libc_calloc(count, size);
}

RTG_EXPORT void *realloc(void *ptr, size_t size)
{
	RTG_CHECK(realloc, "%p, %zu", ptr, size);
	return __libc_realloc(ptr, size);
}

RTG_EXPORT void *reallocarray(void *ptr, size_t count, size_t size)
{
	size_t bytes;

	RTG_CHECK(reallocarray, "%p, %zu, %zu", ptr, count, size);
	if (__builtin_mul_overflow(count, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(ptr, bytes);
}

RTG_EXPORT void free(void *ptr)
{
	RTG_CHECK(free, "%p", ptr);
	__libc_free(ptr);
}

RTG_EXPORT void *memalign(size_t alignment, size_t size)
{
	RTG_CHECK(memalign, "%zu, %zu", alignment, size);
	return __libc_memalign(alignment, size);
}

RTG_EXPORT void *aligned_alloc(size_t alignment, size_t size)
{
	RTG_CHECK(aligned_alloc, "%zu, %zu", alignment, size);
	return __libc_memalign(alignment, size);
}

RTG_EXPORT int posix_memalign(void **out, size_t alignment, size_t size)
{
	RTG_CHECK(posix_memalign, "%p, %zu, %zu", (void *)out, alignment, size);
	/* POSIX: a power of two that is a multiple of sizeof(void *). */
	if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0 ||
	    alignment == 0)
		return EINVAL;
	void *p = __libc_memalign(alignment, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

RTG_EXPORT void *valloc(size_t size)
{
	RTG_CHECK(valloc, "%zu", size);
	return __libc_valloc(size);
}

RTG_EXPORT void *pvalloc(size_t size)
{
	RTG_CHECK(pvalloc, "%zu", size);
	return __libc_pvalloc(size);
}
