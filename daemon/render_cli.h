/* render_cli.h - washmixd --render REQUEST.json: one render without JACK or
 * a running daemon, for batch use and benchmarks. Main thread only. */
#ifndef WM_RENDER_CLI_H
#define WM_RENDER_CLI_H

#include "daemon/config.h"

/* Run the render config->render_request names ("-": stdin), print one JSON
 * line on stdout ({"ok":true,...} or {"ok":false,"error":{...}}) and
 * return the exit status: 0 when rendered, 1 otherwise. */
int wm_render_cli(const struct wm_config *config);

#endif
