/* cmd_scene.c - the `scene` verb: the mix saved by name into the state
 * folder, recalled as one tree batch (one engine period) with every changed
 * parameter ramping over the fade, listed, shown, deleted, renamed. Control
 * thread; file I/O is small and local (one scene file per request). */
#include "control/cmd_scene.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "presets/scene.h"
#include "presets/store.h"

static void publish(const struct wm_cmd_ctx *ctx, const char *action, const char *name,
		    json_t *extra)
{
	const struct wm_event_ops *ev = &ctx->env->events;
	json_t *event = json_pack("{s:s, s:s, s:s, s:s}", "event", "scene", "action", action,
				  "name", name, "by", ctx->by ? ctx->by : "");
	if (extra)
		json_object_update(event, extra);
	if (ev->publish)
		ev->publish(ev->arg, event);
	json_decref(event);
}

static int need_args(const struct wm_words *w, int want, const char *usage, struct wm_err *err)
{
	if (w->count - 2 == want)
		return 0;
	return wm_err_set(err, WM_E_WRONG_ARGS, "wrong number of arguments: usage: %s", usage);
}

static int scene_save(const struct wm_cmd_ctx *ctx, const char *name, json_t *reply,
		      struct wm_err *err)
{
	struct wm_store *store = ctx->env->store;
	if (wm_store_check_name(name, err) < 0)
		return -1;
	json_t *scene = wm_scene_from_mix(wm_tree_mix(ctx->env->tree), name);
	char *text = json_dumps(scene, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	json_decref(scene);
	if (!text)
		return wm_err_set(err, WM_E_INTERNAL, "out of memory");
	int r = wm_store_save_scene(store, name, text, strlen(text), err);
	free(text);
	if (r < 0)
		return -1;
	json_object_set_new(reply, "scene", json_string(name));
	publish(ctx, "save", name, NULL);
	return 0;
}

static bool same_value(const struct wm_value *a, const struct wm_value *b)
{
	switch (a->type) {
	case WM_TYPE_BOOL:
		return a->on == b->on;
	case WM_TYPE_STRING:
		return strcmp(a->text, b->text) == 0;
	default:
		return a->num == b->num || (isinf(a->num) && isinf(b->num));
	}
}

static int load(const struct wm_cmd_ctx *ctx, const char *name, struct wm_scene *scene,
		struct wm_err *err)
{
	size_t len;
	char origin[96];
	if (wm_store_check_name(name, err) < 0)
		return -1;
	char *text = wm_store_load_scene(ctx->env->store, name, &len, err);
	if (!text)
		return -1;
	snprintf(origin, sizeof origin, "scenes/%s.json", name);
	int r = wm_scene_parse(text, len, origin, wm_tree_mix(ctx->env->tree), scene, err);
	free(text);
	return r;
}

/* Zone limits are speaker safety, not mix: a recall may lower a ceiling
 * but never raises one (console "scene safes"); raising is a deliberate
 * `set`. Says so in warnings. */
static bool raises_ceiling(const struct wm_scene_item *it, const struct wm_value *now,
			   json_t *warnings)
{
	char path[48], msg[256];
	if (it->ref.id != WM_PARAM_ZONE_LIMIT || !(it->value.num > now->num))
		return false;
	wm_param_format_path(&it->ref, path, sizeof path);
	snprintf(msg, sizeof msg, "%s stays at %g dBFS: a recall never raises a limiter "
		 "ceiling (the scene has %g); set it directly to raise it",
		 path, now->num, it->value.num);
	json_array_append_new(warnings, json_string(msg));
	return true;
}

/* Apply every item that differs, as one batch: continuous parameters ramp
 * over the fade, and so do mute and solo (a channel the scene mutes fades
 * out over the fade, one it unmutes fades in), so nothing is cut. */
static int apply(const struct wm_cmd_ctx *ctx, const struct wm_scene *scene, double fade_ms,
		 int *applied, json_t *warnings, struct wm_err *err)
{
	struct wm_tree *tree = ctx->env->tree;
	wm_tree_begin(tree);
	*applied = 0;
	for (size_t i = 0; i < scene->count; i++) {
		const struct wm_scene_item *it = &scene->items[i];
		struct wm_value now;
		wm_param_get(wm_tree_mix(tree), &it->ref, &now);
		if (same_value(&now, &it->value) || raises_ceiling(it, &now, warnings))
			continue;
		if (wm_tree_set(tree, &it->ref, &it->value, fade_ms > 0 ? fade_ms : -1, ctx->by,
				err) < 0) {
			wm_tree_abort(tree);
			return -1;
		}
		(*applied)++;
	}
	return wm_tree_commit(tree, err);
}

static int scene_recall(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
			struct wm_err *err)
{
	double fade_ms = 0;
	if (w->count == 4 && wm_parse_ms(w->word[3], "FADE_MS", WM_MAX_FADE_MS, &fade_ms, err) < 0)
		return -1;
	const char *name = w->word[2];
	struct wm_scene scene;
	if (load(ctx, name, &scene, err) < 0)
		return -1;
	int applied;
	json_t *warnings = json_array();
	for (int i = 0; i < scene.nwarnings; i++)
		json_array_append_new(warnings, json_string(scene.warnings[i]));
	int r = apply(ctx, &scene, fade_ms, &applied, warnings, err);
	if (r == 0) {
		json_object_set_new(reply, "scene", json_string(name));
		json_object_set_new(reply, "fade_ms", json_real(fade_ms));
		json_object_set_new(reply, "applied", json_integer(applied));
		json_object_set_new(reply, "warnings", json_incref(warnings));
		json_t *extra = json_pack("{s:f}", "fade_ms", fade_ms);
		publish(ctx, "recall", name, extra);
		json_decref(extra);
	}
	json_decref(warnings);
	wm_scene_free(&scene);
	return r;
}

static int scene_show(const struct wm_cmd_ctx *ctx, const char *name, json_t *reply,
		      struct wm_err *err)
{
	struct wm_scene scene;
	size_t len;
	if (load(ctx, name, &scene, err) < 0)
		return -1;
	wm_scene_free(&scene);
	/* Valid, so show the file as its author wrote it. */
	char *text = wm_store_load_scene(ctx->env->store, name, &len, err);
	if (!text)
		return -1;
	json_t *doc = json_loadb(text, len, 0, NULL);
	free(text);
	if (!doc)
		return wm_err_set(err, WM_E_BAD_FILE, "scenes/%s.json changed while reading", name);
	json_object_set_new(reply, "scene", doc);
	return 0;
}

static int scene_list(const struct wm_cmd_ctx *ctx, json_t *reply, struct wm_err *err)
{
	char **names;
	size_t n;
	if (wm_store_list_scenes(ctx->env->store, &names, &n, err) < 0)
		return -1;
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_string(names[i]));
	free(names);
	json_object_set_new(reply, "scenes", list);
	return 0;
}

int wm_cmd_scene(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		 struct wm_err *err)
{
	const char *sub = w->word[1];
	if (!ctx->env->store)
		return wm_err_set(err, WM_E_UNAVAILABLE, "scenes need a state folder (--state-dir)");
	if (strcmp(sub, "list") == 0)
		return need_args(w, 0, "scene list", err) < 0 ? -1 : scene_list(ctx, reply, err);
	if (strcmp(sub, "save") == 0)
		return need_args(w, 1, "scene save NAME", err) < 0 ? -1
								 : scene_save(ctx, w->word[2], reply, err);
	if (strcmp(sub, "recall") == 0) {
		if (w->count < 3)
			return wm_err_set(err, WM_E_WRONG_ARGS,
					  "wrong number of arguments: usage: scene recall NAME [FADE_MS]");
		return scene_recall(ctx, w, reply, err);
	}
	if (strcmp(sub, "show") == 0)
		return need_args(w, 1, "scene show NAME", err) < 0 ? -1
								 : scene_show(ctx, w->word[2], reply, err);
	if (strcmp(sub, "delete") == 0) {
		if (need_args(w, 1, "scene delete NAME", err) < 0 ||
		    wm_store_check_name(w->word[2], err) < 0 ||
		    wm_store_delete_scene(ctx->env->store, w->word[2], err) < 0)
			return -1;
		json_object_set_new(reply, "scene", json_string(w->word[2]));
		publish(ctx, "delete", w->word[2], NULL);
		return 0;
	}
	if (strcmp(sub, "rename") == 0) {
		if (need_args(w, 2, "scene rename OLD NEW", err) < 0 ||
		    wm_store_check_name(w->word[2], err) < 0 ||
		    wm_store_check_name(w->word[3], err) < 0 ||
		    wm_store_rename_scene(ctx->env->store, w->word[2], w->word[3], err) < 0)
			return -1;
		json_object_set_new(reply, "scene", json_string(w->word[3]));
		json_object_set_new(reply, "from", json_string(w->word[2]));
		json_t *extra = json_pack("{s:s}", "from", w->word[2]);
		publish(ctx, "rename", w->word[3], extra);
		json_decref(extra);
		return 0;
	}
	return wm_err_set(err, WM_E_WRONG_ARGS,
			  "unknown scene action \"%.32s\"; actions: save, recall, show, delete, "
			  "rename, list",
			  sub);
}
