/* cli_local.h - `washmix render --local`: the render request handed to a
 * washmixd of this installation in one-shot mode (washmixd --render -),
 * which needs no JACK server and no running daemon. The CLI's main thread. */
#ifndef WM_CLI_LOCAL_H
#define WM_CLI_LOCAL_H

#include <jansson.h>

/* Run `washmixd --render - EXTRA...` with json on its standard input and
 * return the JSON line it prints (its stderr passes through). washmixd is
 * $WASHMIXD if set, else the washmixd beside this washmix (or in the build
 * tree's daemon/ folder), else the one on PATH. NULL, with the reason on
 * stderr, when it could not be run or printed no JSON. */
json_t *wm_cli_local_render(const char *json, char *const extra[], int nextra);

#endif
