/* cmd_debug.c - the `debug` verb: test hooks that stall the JACK process
 * callback or the control loop on purpose, so the watchdog tests can see
 * the pings stop. Compiled in only with WASHMIX_TEST_HOOKS (packages turn
 * it off), and refused unless the daemon enabled the hooks at start
 * (WASHMIX_TEST_HOOKS=1 in its environment). Control thread. */
#include <string.h>

#include "control/commands.h"

#ifdef WASHMIX_TEST_HOOKS

int wm_cmd_debug(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		 struct wm_err *err)
{
	const struct wm_debug_ops *ops = &ctx->env->debug;
	enum wm_stall_target target;
	if (strcmp(w->word[1], "stall-engine") == 0)
		target = WM_STALL_ENGINE;
	else if (strcmp(w->word[1], "stall-control") == 0)
		target = WM_STALL_CONTROL;
	else
		return wm_err_set(err, WM_E_WRONG_ARGS, "debug knows stall-engine and "
				  "stall-control; got \"%s\"", w->word[1]);
	double ms;
	if (wm_parse_ms(w->word[2], "MS", WM_DEBUG_STALL_MAX_MS, &ms, err) < 0)
		return -1;
	if (!ops->stall)
		return wm_err_set(err, WM_E_UNAVAILABLE, "test hooks are off; start washmixd with "
				  "WASHMIX_TEST_HOOKS=1 in its environment (test builds only)");
	if (ops->stall(ops->arg, target, (unsigned)ms, err) < 0)
		return -1;
	json_object_set_new(reply, "stalled", json_string(w->word[1]));
	json_object_set_new(reply, "ms", json_integer((json_int_t)ms));
	return 0;
}

#endif
