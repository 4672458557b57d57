/* test_hooks.c - stalls on purpose, for the watchdog tests, and realtime
 * violations on purpose, for the realtime checker's tests (see
 * test_hooks.h). Control thread. */
#include "daemon/test_hooks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "daemon/jack_io.h"

#ifdef WASHMIX_TEST_HOOKS

/* Blocks the control thread, as a hung handler would: no timer, no ping. */
static void stall_control(unsigned ms)
{
	struct timespec left = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
}

static int stall(void *arg, enum wm_stall_target target, unsigned ms, struct wm_err *err)
{
	struct wm_jack *jack = arg;
	wm_warn("debug.stall", "target=%s ms=%u",
		target == WM_STALL_ENGINE ? "engine" : "control", ms);
	if (target == WM_STALL_ENGINE)
		return wm_jack_stall_engine(jack, ms, err);
	stall_control(ms);
	return 0;
}

static int rt_violate(void *arg, enum wm_rt_violation what, struct wm_err *err)
{
	wm_warn("debug.rt_violate", "what=%s", what == WM_RT_VIOLATE_MALLOC ? "malloc" : "lock");
	return wm_jack_rt_violate(arg, what, err);
}

struct wm_debug_ops wm_test_hooks_ops(struct wm_jack *jack)
{
	const char *on = getenv("WASHMIX_TEST_HOOKS");
	if (!on || strcmp(on, "1") != 0)
		return (struct wm_debug_ops){ 0 };
	wm_warn("debug.hooks", "msg=\"test hooks are on (WASHMIX_TEST_HOOKS=1): clients may "
		"stall the engine and the control loop, and make the engine allocate or lock\"");
	return (struct wm_debug_ops){ .stall = stall, .rt_violate = rt_violate, .arg = jack };
}

#else

struct wm_debug_ops wm_test_hooks_ops(struct wm_jack *jack)
{
	(void)jack;
	return (struct wm_debug_ops){ 0 };
}

#endif
