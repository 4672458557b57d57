/* scene.h - a scene is the whole mix state as a human-editable JSON document
 * (docs/scenes.md): every channel and zone parameter by its leaf name in the
 * parameter tree. Parsing validates everything first and yields a list of
 * settings, so a bad file is refused whole and never half-applied. The same
 * format is the live-state file. Pure functions; control thread in practice. */
#ifndef WM_SCENE_H
#define WM_SCENE_H

#include <jansson.h>
#include <stddef.h>

#include "common/err.h"
#include "engine/mix.h"
#include "engine/params.h"

#define WM_SCENE_FORMAT "washmix-scene"
#define WM_SCENE_VERSION 1
#define WM_SCENE_MAX_WARNINGS 4

struct wm_scene_item {
	struct wm_param_ref ref;
	struct wm_value value;           /* checked against the schema */
};

struct wm_scene {
	size_t count;
	struct wm_scene_item *items;     /* malloc'd; wm_scene_free */
	int nwarnings;
	char warnings[WM_SCENE_MAX_WARNINGS][160];
};

/* The whole mix as a scene object named name. */
json_t *wm_scene_from_mix(const struct wm_mix *mix, const char *name);

/* Parse and check text as a scene for this mix's topology. origin names the
 * file in errors ("scenes/evening.json"). Channels or zones the mix does not
 * have are ignored, and ones the scene lacks are left alone; both give a
 * warning. Errors are WM_E_BAD_FILE naming origin, the field
 * ("channels[2].gain") and the reason. */
int wm_scene_parse(const char *text, size_t len, const char *origin, const struct wm_mix *mix,
		   struct wm_scene *scene, struct wm_err *err);

void wm_scene_free(struct wm_scene *scene);

#endif
