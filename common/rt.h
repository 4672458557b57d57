/* rt.h - realtime markers shared by every layer.
 * WM_RT marks a function that may run on the JACK process thread: it must not
 * allocate, free, lock, log, make syscalls or do I/O, and may only call other
 * WM_RT functions. wm_rt_enter()/wm_rt_exit() bracket the process callback;
 * they cost nothing in a normal build and are the hook a realtime checker
 * (an LD_PRELOAD interposer or RTSan) uses to know when the thread is RT. */
#ifndef WM_RT_H
#define WM_RT_H

#define WM_RT /* realtime-safe */

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#include <pmmintrin.h>
#endif

/* Weak hooks: defined by a realtime checker when one is loaded. */
void wm_rtcheck_enter(void) __attribute__((weak));
void wm_rtcheck_exit(void) __attribute__((weak));

static inline void wm_rt_enter(void)
{
	if (wm_rtcheck_enter)
		wm_rtcheck_enter();
}

static inline void wm_rt_exit(void)
{
	if (wm_rtcheck_exit)
		wm_rtcheck_exit();
}

/* Flush denormals to zero on this thread: decaying ramps and meters would
 * otherwise hit the slow path of the FPU. Call once per audio thread. */
static inline void wm_rt_flush_denormals(void)
{
#if defined(__x86_64__) || defined(__i386__)
	_MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
	_MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
#elif defined(__aarch64__)
	unsigned long fpcr;
	__asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
	__asm__ volatile("msr fpcr, %0" : : "r"(fpcr | (1UL << 24)));
#endif
}

#endif
