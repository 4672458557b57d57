/* fuzz_scene.c - fuzz harness for scene files (presets/scene.c): the input
 * is a scene file's text, parsed and validated against an 8-channel,
 * 2-zone mix as a recall or a daemon start-up would. Property: a scene that
 * is accepted, applied to a default mix, saved (wm_scene_from_mix, as the
 * store writes it) and loaded again gives the same mix: the saved text of
 * both is identical, and so is every parameter value. */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "common/err.h"
#include "engine/mix.h"
#include "engine/params.h"
#include "presets/scene.h"
#include "tests/fuzz/fuzz.h"

#define CHANNELS 8
#define ZONES 2
/* As `scene save` and the live-state file write it (control/cmd_scene.c):
 * 12 significant digits, so a reloaded number may differ in the 12th. */
#define SAVE_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(12))
#define SAVE_TOLERANCE 1e-10

static void default_mix(struct wm_mix *mix)
{
	bool mono[WM_MAX_CHANNELS] = { false };
	mono[2] = true;
	wm_mix_init(mix, CHANNELS, ZONES, mono);
}

/* A default mix with text applied, or false when the scene is refused. */
static bool load(const char *text, size_t len, struct wm_mix *mix)
{
	struct wm_scene scene;
	struct wm_err err = { 0 };
	default_mix(mix);
	if (wm_scene_parse(text, len, "fuzz.json", mix, &scene, &err) < 0) {
		FUZZ_CHECK(err.code != WM_OK && err.msg[0], "refused without a reason");
		return false;
	}
	for (size_t i = 0; i < scene.count; i++)
		wm_param_set(mix, &scene.items[i].ref, &scene.items[i].value);
	wm_scene_free(&scene);
	return true;
}

static char *save(const struct wm_mix *mix)
{
	json_t *obj = wm_scene_from_mix(mix, "fuzz");
	FUZZ_CHECK(obj, "wm_scene_from_mix failed");
	char *text = json_dumps(obj, SAVE_FLAGS);
	FUZZ_CHECK(text, "the scene cannot be serialised");
	json_decref(obj);
	return text;
}

static bool same_value(const struct wm_value *a, const struct wm_value *b)
{
	if (a->type != b->type || a->on != b->on || strcmp(a->text, b->text) != 0)
		return false;
	if (a->num == b->num || (isnan(a->num) && isnan(b->num)))
		return true;
	return fabs(a->num - b->num) <= SAVE_TOLERANCE * fmax(1.0, fabs(a->num));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wm_mix first, again;
	if (!load((const char *)data, size, &first))
		return 0;
	char *saved = save(&first);
	FUZZ_CHECK(load(saved, strlen(saved), &again), "a saved scene is refused on reload:\n%s",
		   saved);
	char *resaved = save(&again);
	FUZZ_CHECK(strcmp(saved, resaved) == 0, "save, reload, save differs:\n%s\n---\n%s", saved,
		   resaved);
	struct wm_param_ref ref = { .id = -1 };
	while (wm_param_next(&first, &ref)) {
		struct wm_value a, b;
		char path[64];
		wm_param_get(&first, &ref, &a);
		wm_param_get(&again, &ref, &b);
		wm_param_format_path(&ref, path, sizeof path);
		FUZZ_CHECK(same_value(&a, &b), "%s differs after save and reload", path);
	}
	free(saved);
	free(resaved);
	return 0;
}
