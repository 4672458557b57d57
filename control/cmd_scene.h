/* cmd_scene.h - the `scene` verb of the command table (control thread). */
#ifndef WM_CMD_SCENE_H
#define WM_CMD_SCENE_H

#include "control/commands.h"

#define WM_MAX_FADE_MS WM_MAX_RAMP_MS

/* scene save NAME | recall NAME [FADE_MS] | show NAME | delete NAME |
 * rename OLD NEW | list */
int wm_cmd_scene(const struct wm_cmd_ctx *ctx, const struct wm_words *words, json_t *reply,
		 struct wm_err *err);

#endif
