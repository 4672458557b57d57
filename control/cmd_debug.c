/* cmd_debug.c - the `debug` verb: test hooks that stall the JACK process
 * callback or the control loop on purpose, so the watchdog tests can see
 * the pings stop, or make the next process cycle allocate or lock a mutex,
 * so the realtime checker's tests can see it caught. Compiled in only with
 * WASHMIX_TEST_HOOKS (packages turn it off), and refused unless the daemon
 * enabled the hooks at start (WASHMIX_TEST_HOOKS=1 in its environment).
 * Control thread. */
#include <string.h>

#include "control/commands.h"

#ifdef WASHMIX_TEST_HOOKS

static int hooks_off(struct wm_err *err)
{
	return wm_err_set(err, WM_E_UNAVAILABLE, "test hooks are off; start washmixd with "
			  "WASHMIX_TEST_HOOKS=1 in its environment (test builds only)");
}

static int debug_rt_violate(const struct wm_debug_ops *ops, const char *what, json_t *reply,
			    struct wm_err *err)
{
	enum wm_rt_violation v;
	if (strcmp(what, "malloc") == 0)
		v = WM_RT_VIOLATE_MALLOC;
	else if (strcmp(what, "lock") == 0)
		v = WM_RT_VIOLATE_LOCK;
	else
		return wm_err_set(err, WM_E_WRONG_ARGS, "debug rt-violate takes malloc or "
				  "lock; got \"%s\"", what);
	if (!ops->rt_violate)
		return hooks_off(err);
	if (ops->rt_violate(ops->arg, v, err) < 0)
		return -1;
	json_object_set_new(reply, "rt_violate", json_string(what));
	return 0;
}

static int debug_stall(const struct wm_debug_ops *ops, enum wm_stall_target target,
		       const struct wm_words *w, json_t *reply, struct wm_err *err)
{
	double ms;
	if (wm_parse_ms(w->word[2], "MS", WM_DEBUG_STALL_MAX_MS, &ms, err) < 0)
		return -1;
	if (!ops->stall)
		return hooks_off(err);
	if (ops->stall(ops->arg, target, (unsigned)ms, err) < 0)
		return -1;
	json_object_set_new(reply, "stalled", json_string(w->word[1]));
	json_object_set_new(reply, "ms", json_integer((json_int_t)ms));
	return 0;
}

int wm_cmd_debug(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		 struct wm_err *err)
{
	const struct wm_debug_ops *ops = &ctx->env->debug;
	if (strcmp(w->word[1], "stall-engine") == 0)
		return debug_stall(ops, WM_STALL_ENGINE, w, reply, err);
	if (strcmp(w->word[1], "stall-control") == 0)
		return debug_stall(ops, WM_STALL_CONTROL, w, reply, err);
	if (strcmp(w->word[1], "rt-violate") == 0)
		return debug_rt_violate(ops, w->word[2], reply, err);
	return wm_err_set(err, WM_E_WRONG_ARGS, "debug knows stall-engine, stall-control and "
			  "rt-violate; got \"%s\"", w->word[1]);
}

#endif
