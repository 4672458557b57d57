/* rtguard.h - internal interface of librtguard, the realtime-safety
 * interposer (LD_PRELOAD). washmixd calls the weak hooks wm_rtcheck_enter()
 * and wm_rtcheck_exit() (common/rt.h) around its JACK process callback; this
 * library defines them and keeps a thread-local depth. Every interposed
 * function checks the depth first: at 0 it goes straight to the real one;
 * above 0 it is a realtime violation, reported (and the process aborted,
 * unless RTGUARD_MODE=count) before the real call is made.
 *
 * The list of interposed functions is RTG_FUNCTIONS below: one X(name) per
 * function, giving its id (RTG_name), its per-function counter and the name
 * dlsym resolves the real one by. Runs on every thread of the process. */
#ifndef RTGUARD_H
#define RTGUARD_H

#define RTG_EXPORT __attribute__((visibility("default")))

/* Allocator wrappers call glibc's __libc_* entry points and need no entry
 * here for a real pointer; the rest are found with dlsym(RTLD_NEXT). */
#define RTG_FUNCTIONS(X)                                                        \
	X(malloc) X(calloc) X(realloc) X(reallocarray) X(free) X(aligned_alloc)  \
	X(posix_memalign) X(memalign) X(valloc) X(pvalloc)                      \
	X(pthread_mutex_lock) X(pthread_mutex_trylock) X(pthread_mutex_timedlock) \
	X(pthread_mutex_clocklock) X(pthread_mutex_unlock)                      \
	X(pthread_cond_wait) X(pthread_cond_timedwait) X(pthread_cond_clockwait) \
	X(pthread_cond_signal) X(pthread_cond_broadcast)                        \
	X(pthread_rwlock_rdlock) X(pthread_rwlock_wrlock)                       \
	X(pthread_rwlock_tryrdlock) X(pthread_rwlock_trywrlock)                 \
	X(pthread_rwlock_timedrdlock) X(pthread_rwlock_timedwrlock)             \
	X(pthread_rwlock_unlock) X(pthread_spin_lock) X(pthread_join)           \
	X(pthread_create) X(sem_wait) X(sem_timedwait) X(sem_clockwait)         \
	X(sem_trywait) X(sem_post) X(sched_yield)                               \
	X(sleep) X(usleep) X(nanosleep) X(clock_nanosleep)                      \
	X(open) X(open64) X(openat) X(openat64) X(creat) X(close) X(read)       \
	X(write) X(pread) X(pread64) X(pwrite) X(pwrite64) X(readv) X(writev)   \
	X(lseek) X(fsync) X(fdatasync) X(ioctl) X(fcntl) X(eventfd_read)        \
	X(eventfd_write)                                                        \
	X(fopen) X(fclose) X(fread) X(fwrite) X(fgets) X(fputs) X(fputc)        \
	X(putchar) X(puts) X(fflush) X(printf) X(fprintf) X(vprintf)            \
	X(vfprintf) X(dprintf) X(vdprintf) X(syslog) X(vsyslog)                             \
	X(socket) X(connect) X(accept) X(accept4) X(send) X(sendto) X(sendmsg)  \
	X(recv) X(recvfrom) X(recvmsg) X(poll) X(ppoll) X(select) X(pselect)    \
	X(epoll_wait) X(epoll_pwait)                                            \
	X(mmap) X(mmap64) X(munmap) X(mprotect) X(mlock) X(munlock)             \
	X(syscall)

/* The hooks of common/rt.h, defined here (strong) so the daemon's weak
 * references bind to them. Process thread. */
RTG_EXPORT void wm_rtcheck_enter(void);
RTG_EXPORT void wm_rtcheck_exit(void);

enum rtg_fn {
#define RTG_ID(name) RTG_##name,
	RTG_FUNCTIONS(RTG_ID)
#undef RTG_ID
	RTG_FN_COUNT
};

/* Depth of wm_rtcheck_enter() nesting on this thread; initial-exec, so
 * reading it is one %fs-relative load, never a __tls_get_addr call. */
extern __thread int rtg_depth __attribute__((tls_model("initial-exec"),
					       visibility("hidden")));

/* Report a call of fn made at depth > 0 (args printf-style, describing its
 * arguments); aborts unless in count mode. Ignores calls made while this
 * thread is already reporting. */
void rtg_violation(enum rtg_fn fn, const char *args_fmt, ...)
	__attribute__((visibility("hidden"), format(printf, 2, 3), cold));

/* The next definition of fn after this library (dlsym(RTLD_NEXT)), looked
 * up once; aborts with a message if there is none. */
void *rtg_real(enum rtg_fn fn) __attribute__((visibility("hidden")));

#define RTG_CHECK(fn, ...)                                          \
	do {                                                        \
		if (__builtin_expect(rtg_depth > 0, 0))             \
			rtg_violation(RTG_##fn, __VA_ARGS__);       \
	} while (0)

/* The real function, as a pointer of the type of our own definition. */
#define RTG_REAL(fn) ((__typeof__(&fn))rtg_real(RTG_##fn))

#endif
