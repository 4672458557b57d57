/* scene.c - scene JSON <-> mix settings (jansson). Checks every value with
 * the parameter schema before anything is returned. */
#include "presets/scene.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Scenes are written with 12 significant digits (JSON_REAL_PRECISION(12)),
 * so a gain a hair above the floor would print as the floor itself, which
 * reads back as -inf: keep it visibly above (found by tests/fuzz/fuzz_scene). */
#define SAVED_ABOVE_FLOOR_DB (WM_GAIN_FLOOR_DB + 1e-10)

static json_t *db_json(double gain_db)
{
	if (isinf(gain_db))
		return json_string("-inf");
	if (gain_db > WM_GAIN_FLOOR_DB && gain_db < SAVED_ABOVE_FLOOR_DB)
		gain_db = SAVED_ABOVE_FLOOR_DB;
	return json_real(gain_db);
}

static json_t *channel_json(const struct wm_mix *mix, int c)
{
	const struct wm_channel_state *ch = &mix->ch[c];
	json_t *sends = json_object();
	for (int z = 0; z < mix->zones; z++) {
		char key[16];
		snprintf(key, sizeof key, "%d", z + 1);
		json_object_set_new(sends, key, db_json(ch->send_db[z]));
	}
	struct wm_param_ref duck = { WM_PARAM_CH_DUCK, c, -1 };
	struct wm_value role;
	wm_param_get(mix, &duck, &role);
	return json_pack("{s:i, s:s, s:o, s:f, s:b, s:b, s:s, s:o}", "id", c + 1, "name",
			 ch->name, "gain", db_json(ch->gain_db), "pan", ch->pan, "mute",
			 ch->mute, "solo", ch->solo, "duck", role.text, "sends", sends);
}

json_t *wm_scene_from_mix(const struct wm_mix *mix, const char *name)
{
	json_t *channels = json_array(), *zones = json_array();
	for (int c = 0; c < mix->channels; c++)
		json_array_append_new(channels, channel_json(mix, c));
	for (int z = 0; z < mix->zones; z++) {
		const struct wm_zone_state *zs = &mix->zone[z];
		json_array_append_new(zones, json_pack("{s:i, s:s, s:o, s:b, s:f}", "id", z + 1,
						       "name", zs->name, "gain",
						       db_json(zs->gain_db), "mute", zs->mute,
						       "limit", zs->limit_db));
	}
	const struct wm_duck_state *d = &mix->duck;
	json_t *duck = json_pack("{s:f, s:f, s:f, s:f, s:f}", "threshold", d->threshold_db,
				 "depth", d->depth_db, "attack", d->attack_ms, "hold",
				 d->hold_ms, "release", d->release_ms);
	return json_pack("{s:s, s:i, s:s, s:o, s:o, s:o}", "format", WM_SCENE_FORMAT, "version",
			 WM_SCENE_VERSION, "name", name, "channels", channels, "zones", zones,
			 "duck", duck);
}

/* Parsing state: where we are, for messages, and what we collected. */
struct parse {
	const char *origin;
	const struct wm_mix *mix;
	struct wm_scene *scene;
	size_t capacity;
	struct wm_err *err;
	int ignored_channels, ignored_zones, ignored_sends;
	bool seen_ch[WM_MAX_CHANNELS], seen_zone[WM_MAX_ZONES];
};

static int fail(struct parse *p, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parse *p, const char *field, const char *fmt, ...)
{
	char what[WM_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return wm_err_set(p->err, WM_E_BAD_FILE, "%s: %s: %s", p->origin, field, what);
}

static int add_item(struct parse *p, const char *field, struct wm_param_ref ref,
		    const json_t *j)
{
	struct wm_value v = { 0 };
	if (json_is_number(j)) {
		v.type = WM_TYPE_FLOAT;
		v.num = json_number_value(j);
	} else if (json_is_boolean(j)) {
		v.type = WM_TYPE_BOOL;
		v.on = json_is_true(j);
	} else if (json_is_string(j) && strlen(json_string_value(j)) < sizeof v.text) {
		v.type = WM_TYPE_STRING;
		snprintf(v.text, sizeof v.text, "%s", json_string_value(j));
	} else {
		return fail(p, field, "%s", "wants a number, a boolean or a short string");
	}
	struct wm_err inner = { 0 };
	if (wm_param_check_value(&ref, &v, &inner) < 0)
		return fail(p, field, "%s", inner.msg);
	if (p->scene->count == p->capacity) {
		size_t cap = p->capacity ? p->capacity * 2 : 256;
		struct wm_scene_item *items = realloc(p->scene->items, cap * sizeof *items);
		if (!items)
			return wm_err_set(p->err, WM_E_INTERNAL, "out of memory");
		p->scene->items = items;
		p->capacity = cap;
	}
	p->scene->items[p->scene->count++] = (struct wm_scene_item){ ref, v };
	return 0;
}

static int parse_id(struct parse *p, const char *field, const json_t *obj, int max, int *id)
{
	const json_t *j = json_object_get(obj, "id");
	char where[96];
	snprintf(where, sizeof where, "%s.id", field);
	if (!json_is_integer(j) || json_integer_value(j) < 1 || json_integer_value(j) > max)
		return fail(p, where, "%s", "wants a whole number from 1 (each entry needs one)");
	*id = (int)json_integer_value(j);
	return 0;
}

static int parse_sends(struct parse *p, const char *field, int c, const json_t *sends)
{
	const char *key;
	const json_t *val;
	if (!json_is_object(sends))
		return fail(p, field, "%s", "wants an object of zone number -> dB, like {\"1\":0}");
	json_object_foreach((json_t *)sends, key, val) {
		char where[160], *end;
		snprintf(where, sizeof where, "%.80s.%.64s", field, key);
		long z = strtol(key, &end, 10);
		if (end == key || *end || z < 1 || z > WM_MAX_ZONES)
			return fail(p, where, "%s", "send keys are zone numbers \"1\", \"2\", ...");
		if (z > p->mix->zones) {
			p->ignored_sends++;
			continue;
		}
		struct wm_param_ref ref = { WM_PARAM_CH_SEND, c, (int)z - 1 };
		if (add_item(p, where, ref, val) < 0)
			return -1;
	}
	return 0;
}

struct key_param {
	const char *key;
	enum wm_param_id id;
};

static const struct key_param channel_keys[] = {
	{ "name", WM_PARAM_CH_NAME }, { "gain", WM_PARAM_CH_GAIN }, { "pan", WM_PARAM_CH_PAN },
	{ "mute", WM_PARAM_CH_MUTE }, { "solo", WM_PARAM_CH_SOLO }, { "duck", WM_PARAM_CH_DUCK },
};

static const struct key_param zone_keys[] = {
	{ "name", WM_PARAM_ZONE_NAME }, { "gain", WM_PARAM_ZONE_GAIN },
	{ "mute", WM_PARAM_ZONE_MUTE }, { "limit", WM_PARAM_ZONE_LIMIT },
};

static const struct key_param duck_keys[] = {
	{ "threshold", WM_PARAM_DUCK_THRESHOLD }, { "depth", WM_PARAM_DUCK_DEPTH },
	{ "attack", WM_PARAM_DUCK_ATTACK }, { "hold", WM_PARAM_DUCK_HOLD },
	{ "release", WM_PARAM_DUCK_RELEASE },
};

static int parse_entry(struct parse *p, const char *field, const json_t *obj, bool is_zone)
{
	const struct key_param *keys = is_zone ? zone_keys : channel_keys;
	size_t nkeys = is_zone ? sizeof zone_keys / sizeof *zone_keys
			       : sizeof channel_keys / sizeof *channel_keys;
	int id = 0;
	if (!json_is_object(obj))
		return fail(p, field, "%s", "wants an object");
	if (parse_id(p, field, obj, is_zone ? WM_MAX_ZONES : WM_MAX_CHANNELS, &id) < 0)
		return -1;
	bool *seen = is_zone ? &p->seen_zone[id - 1] : &p->seen_ch[id - 1];
	if (*seen)
		return fail(p, field, "id %s appears twice", is_zone ? "of a zone" : "of a channel");
	*seen = true;
	if (id > (is_zone ? p->mix->zones : p->mix->channels)) {
		(*(is_zone ? &p->ignored_zones : &p->ignored_channels))++;
		return 0;
	}
	const char *key;
	const json_t *val;
	json_object_foreach((json_t *)obj, key, val) {
		char where[160];
		snprintf(where, sizeof where, "%.80s.%.64s", field, key);
		if (strcmp(key, "id") == 0)
			continue;
		if (!is_zone && strcmp(key, "sends") == 0) {
			if (parse_sends(p, where, id - 1, val) < 0)
				return -1;
			continue;
		}
		size_t k = 0;
		while (k < nkeys && strcmp(keys[k].key, key) != 0)
			k++;
		if (k == nkeys)
			return fail(p, where, "%s", is_zone ?
				    "unknown key; a zone has id, name, gain, mute, limit" :
				    "unknown key; a channel has id, name, gain, pan, mute, solo, duck, "
				    "sends");
		struct wm_param_ref ref = { keys[k].id, is_zone ? -1 : id - 1,
					    is_zone ? id - 1 : -1 };
		if (add_item(p, where, ref, val) < 0)
			return -1;
	}
	return 0;
}

static int parse_list(struct parse *p, const json_t *root, const char *name, bool is_zone)
{
	const json_t *list = json_object_get(root, name);
	if (!list)
		return 0;
	if (!json_is_array(list))
		return fail(p, name, "%s", "wants an array of objects");
	for (size_t i = 0; i < json_array_size(list); i++) {
		char field[48];
		snprintf(field, sizeof field, "%s[%zu]", name, i);
		if (parse_entry(p, field, json_array_get(list, i), is_zone) < 0)
			return -1;
	}
	return 0;
}

/* The top-level "duck" object: the ducking settings every zone shares. */
static int parse_duck(struct parse *p, const json_t *root)
{
	const json_t *obj = json_object_get(root, "duck");
	const char *key;
	const json_t *val;
	if (!obj)
		return 0;
	if (!json_is_object(obj))
		return fail(p, "duck", "%s", "wants an object");
	json_object_foreach((json_t *)obj, key, val) {
		char where[80];
		size_t k = 0, nkeys = sizeof duck_keys / sizeof *duck_keys;
		snprintf(where, sizeof where, "duck.%.64s", key);
		while (k < nkeys && strcmp(duck_keys[k].key, key) != 0)
			k++;
		if (k == nkeys)
			return fail(p, where, "%s", "unknown key; duck has threshold, depth, "
				    "attack, hold, release");
		if (add_item(p, where, (struct wm_param_ref){ duck_keys[k].id, -1, -1 }, val) < 0)
			return -1;
	}
	return 0;
}

static void warn(struct wm_scene *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct wm_scene *s, const char *fmt, ...)
{
	if (s->nwarnings == WM_SCENE_MAX_WARNINGS)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->warnings[s->nwarnings++], sizeof s->warnings[0], fmt, ap);
	va_end(ap);
}

static void warn_topology(struct parse *p)
{
	int missing_ch = 0, missing_zone = 0;
	for (int c = 0; c < p->mix->channels; c++)
		missing_ch += !p->seen_ch[c];
	for (int z = 0; z < p->mix->zones; z++)
		missing_zone += !p->seen_zone[z];
	if (p->ignored_channels)
		warn(p->scene, "%d channel(s) of the scene ignored: this mix has %d channels",
		     p->ignored_channels, p->mix->channels);
	if (p->ignored_zones || p->ignored_sends)
		warn(p->scene, "%d zone(s) and %d send(s) of the scene ignored: this mix has %d zones",
		     p->ignored_zones, p->ignored_sends, p->mix->zones);
	if (missing_ch)
		warn(p->scene, "%d of this mix's %d channels are not in the scene: left as they are",
		     missing_ch, p->mix->channels);
	if (missing_zone)
		warn(p->scene, "%d of this mix's %d zones are not in the scene: left as they are",
		     missing_zone, p->mix->zones);
}

static int check_header(struct parse *p, const json_t *root)
{
	if (!json_is_object(root))
		return fail(p, "(top)", "%s", "a scene is a JSON object");
	const json_t *format = json_object_get(root, "format");
	const json_t *version = json_object_get(root, "version");
	if (!json_is_string(format) || strcmp(json_string_value(format), WM_SCENE_FORMAT) != 0)
		return fail(p, "format", "%s", "must be \"" WM_SCENE_FORMAT "\"");
	if (!json_is_integer(version) || json_integer_value(version) != WM_SCENE_VERSION)
		return fail(p, "version", "%s", "must be 1 (the version this washmixd reads)");
	const char *key;
	const json_t *val;
	static const char *const known[] = { "format", "version", "name", "channels", "zones",
					     "duck" };
	json_object_foreach((json_t *)root, key, val) {
		size_t k = 0;
		while (k < sizeof known / sizeof *known && strcmp(key, known[k]) != 0)
			k++;
		if (k == sizeof known / sizeof *known)
			return fail(p, key, "%s",
				    "unknown key; a scene has format, version, name, channels, zones, "
				    "duck");
	}
	return 0;
}

int wm_scene_parse(const char *text, size_t len, const char *origin, const struct wm_mix *mix,
		   struct wm_scene *scene, struct wm_err *err)
{
	memset(scene, 0, sizeof *scene);
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return wm_err_set(err, WM_E_BAD_FILE, "%s line %d column %d: %s", origin, jerr.line,
				  jerr.column, jerr.text);
	struct parse *p = calloc(1, sizeof *p);
	int r = -1;
	if (!p) {
		wm_err_set(err, WM_E_INTERNAL, "out of memory");
		goto out_free_root;
	}
	*p = (struct parse){ .origin = origin, .mix = mix, .scene = scene, .err = err };
	if (check_header(p, root) < 0 || parse_list(p, root, "channels", false) < 0 ||
	    parse_list(p, root, "zones", true) < 0 || parse_duck(p, root) < 0) {
		wm_scene_free(scene);
		goto out_free_parse;
	}
	warn_topology(p);
	r = 0;
out_free_parse:
	free(p);
out_free_root:
	json_decref(root);
	return r;
}

void wm_scene_free(struct wm_scene *scene)
{
	free(scene->items);
	scene->items = NULL;
	scene->count = 0;
}
