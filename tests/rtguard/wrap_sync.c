/* wrap_sync.c - librtguard's wrappers for locks, condition variables,
 * semaphores, thread calls and sleeps (see rtguard.h). Unlocks and posts
 * are guarded too: they can enter the kernel to wake a waiter, and a lock
 * shared with the process thread is priority inversion waiting to happen.
 * Any thread. */
#define _GNU_SOURCE
#include "tests/rtguard/rtguard.h"

#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <time.h>
#include <unistd.h>

RTG_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
	RTG_CHECK(pthread_mutex_lock, "%p", (void *)m);
	return RTG_REAL(pthread_mutex_lock)(m);
}

RTG_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
	RTG_CHECK(pthread_mutex_trylock, "%p", (void *)m);
	return RTG_REAL(pthread_mutex_trylock)(m);
}

RTG_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *t)
{
	RTG_CHECK(pthread_mutex_timedlock, "%p, %p", (void *)m, (const void *)t);
	return RTG_REAL(pthread_mutex_timedlock)(m, t);
}

RTG_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t c, const struct timespec *t)
{
	RTG_CHECK(pthread_mutex_clocklock, "%p, %d, %p", (void *)m, (int)c, (const void *)t);
	return RTG_REAL(pthread_mutex_clocklock)(m, c, t);
}

RTG_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
	RTG_CHECK(pthread_mutex_unlock, "%p", (void *)m);
	return RTG_REAL(pthread_mutex_unlock)(m);
}

RTG_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	RTG_CHECK(pthread_cond_wait, "%p, %p", (void *)c, (void *)m);
	return RTG_REAL(pthread_cond_wait)(c, m);
}

RTG_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
				      const struct timespec *t)
{
	RTG_CHECK(pthread_cond_timedwait, "%p, %p, %p", (void *)c, (void *)m, (const void *)t);
	return RTG_REAL(pthread_cond_timedwait)(c, m, t);
}

RTG_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t k,
				      const struct timespec *t)
{
	RTG_CHECK(pthread_cond_clockwait, "%p, %p, %d, %p", (void *)c, (void *)m, (int)k,
		  (const void *)t);
	return RTG_REAL(pthread_cond_clockwait)(c, m, k, t);
}

RTG_EXPORT int pthread_cond_signal(pthread_cond_t *c)
{
	RTG_CHECK(pthread_cond_signal, "%p", (void *)c);
	return RTG_REAL(pthread_cond_signal)(c);
}

RTG_EXPORT int pthread_cond_broadcast(pthread_cond_t *c)
{
	RTG_CHECK(pthread_cond_broadcast, "%p", (void *)c);
	return RTG_REAL(pthread_cond_broadcast)(c);
}

#define RWLOCK_WRAPPER(fn)                                      \
	RTG_EXPORT int fn(pthread_rwlock_t *l)                  \
	{                                                       \
		RTG_CHECK(fn, "%p", (void *)l);                 \
		return RTG_REAL(fn)(l);                         \
	}
RWLOCK_WRAPPER(pthread_rwlock_rdlock)
RWLOCK_WRAPPER(pthread_rwlock_wrlock)
RWLOCK_WRAPPER(pthread_rwlock_tryrdlock)
RWLOCK_WRAPPER(pthread_rwlock_trywrlock)
RWLOCK_WRAPPER(pthread_rwlock_unlock)

RTG_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *t)
{
	RTG_CHECK(pthread_rwlock_timedrdlock, "%p, %p", (void *)l, (const void *)t);
	return RTG_REAL(pthread_rwlock_timedrdlock)(l, t);
}

RTG_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *t)
{
	RTG_CHECK(pthread_rwlock_timedwrlock, "%p, %p", (void *)l, (const void *)t);
	return RTG_REAL(pthread_rwlock_timedwrlock)(l, t);
}

RTG_EXPORT int pthread_spin_lock(pthread_spinlock_t *l)
{
	RTG_CHECK(pthread_spin_lock, "%p", (void *)l);
	return RTG_REAL(pthread_spin_lock)(l);
}

RTG_EXPORT int pthread_join(pthread_t t, void **ret)
{
	RTG_CHECK(pthread_join, "%lu, %p", (unsigned long)t, (void *)ret);
	return RTG_REAL(pthread_join)(t, ret);
}

RTG_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*start)(void *),
			      void *arg)
{
	RTG_CHECK(pthread_create, "%p, %p, start, %p", (void *)t, (const void *)a, arg);
	return RTG_REAL(pthread_create)(t, a, start, arg);
}

RTG_EXPORT int sem_wait(sem_t *s)
{
	RTG_CHECK(sem_wait, "%p", (void *)s);
	return RTG_REAL(sem_wait)(s);
}

RTG_EXPORT int sem_trywait(sem_t *s)
{
	RTG_CHECK(sem_trywait, "%p", (void *)s);
	return RTG_REAL(sem_trywait)(s);
}

RTG_EXPORT int sem_timedwait(sem_t *s, const struct timespec *t)
{
	RTG_CHECK(sem_timedwait, "%p, %p", (void *)s, (const void *)t);
	return RTG_REAL(sem_timedwait)(s, t);
}

RTG_EXPORT int sem_clockwait(sem_t *s, clockid_t c, const struct timespec *t)
{
	RTG_CHECK(sem_clockwait, "%p, %d, %p", (void *)s, (int)c, (const void *)t);
	return RTG_REAL(sem_clockwait)(s, c, t);
}

RTG_EXPORT int sem_post(sem_t *s)
{
	RTG_CHECK(sem_post, "%p", (void *)s);
	return RTG_REAL(sem_post)(s);
}

RTG_EXPORT int sched_yield(void)
{
	RTG_CHECK(sched_yield, "%s", "");
	return RTG_REAL(sched_yield)();
}

RTG_EXPORT unsigned sleep(unsigned s)
{
	RTG_CHECK(sleep, "%u", s);
	return RTG_REAL(sleep)(s);
}

RTG_EXPORT int usleep(useconds_t us)
{
	RTG_CHECK(usleep, "%u", (unsigned)us);
	return RTG_REAL(usleep)(us);
}

RTG_EXPORT int nanosleep(const struct timespec *t, struct timespec *left)
{
	RTG_CHECK(nanosleep, "{%lld s, %ld ns}, %p", t ? (long long)t->tv_sec : 0LL,
		  t ? t->tv_nsec : 0L, (void *)left);
	return RTG_REAL(nanosleep)(t, left);
}

RTG_EXPORT int clock_nanosleep(clockid_t c, int flags, const struct timespec *t,
			       struct timespec *left)
{
	RTG_CHECK(clock_nanosleep, "%d, %d, {%lld s, %ld ns}, %p", (int)c, flags,
		  t ? (long long)t->tv_sec : 0LL, t ? t->tv_nsec : 0L, (void *)left);
	return RTG_REAL(clock_nanosleep)(c, flags, t, left);
}
