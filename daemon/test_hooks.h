/* test_hooks.h - the daemon's side of the `debug` verb (see
 * control/cmd_debug.c): stall the JACK process callback or the control
 * loop on purpose, or make the process callback allocate or lock once. Live only in builds with WASHMIX_TEST_HOOKS and when
 * WASHMIX_TEST_HOOKS=1 is in the environment at start; otherwise the ops
 * are empty and the verb is refused. Control thread. */
#ifndef WM_TEST_HOOKS_H
#define WM_TEST_HOOKS_H

#include "control/commands.h"

struct wm_jack;

/* Ops for struct wm_cmd_env; they keep the jack pointer. */
struct wm_debug_ops wm_test_hooks_ops(struct wm_jack *jack);

#endif
