/* params.c - the parameter tree's schema and the only code that knows a
 * path: the table of parameters, parsing and formatting paths, reading and
 * writing values in a wm_mix, walking the tree, the fader taper and dB.
 * Values from text or clients are parsed and checked in param_value.c.
 * Pure functions; the control thread calls them in practice. Path errors
 * name what exists, because they go to the person who typed the path. */
#include "engine/params.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/text.h"

static const char *const duck_roles[] = { "off", "key", "duck", NULL };

static const struct wm_param_info params[WM_PARAM_COUNT] = {
	[WM_PARAM_CH_GAIN] = { WM_PARAM_CH_GAIN, "ch/N/gain", WM_TYPE_DB,
		WM_GAIN_FLOOR_DB, WM_GAIN_MAX_DB, 0.0, "dB",
		"Channel level in dB; -inf (or -90 and below) is silence." },
	[WM_PARAM_CH_FADER] = { WM_PARAM_CH_FADER, "ch/N/fader", WM_TYPE_FLOAT,
		0.0, 1.0, 0.75, "",
		"Channel level on a console fader scale: 0 = -inf, 0.75 = 0 dB, 1 = +12 dB." },
	[WM_PARAM_CH_PAN] = { WM_PARAM_CH_PAN, "ch/N/pan", WM_TYPE_FLOAT,
		-1.0, 1.0, 0.0, "",
		"Pan (mono) or balance (stereo): -1 left, 0 centre, +1 right." },
	[WM_PARAM_CH_MUTE] = { WM_PARAM_CH_MUTE, "ch/N/mute", WM_TYPE_BOOL,
		0.0, 1.0, 0.0, "",
		"Silence the channel in every zone." },
	[WM_PARAM_CH_SOLO] = { WM_PARAM_CH_SOLO, "ch/N/solo", WM_TYPE_BOOL,
		0.0, 1.0, 0.0, "",
		"While any channel is soloed, only soloed channels are heard." },
	[WM_PARAM_CH_DUCK] = { WM_PARAM_CH_DUCK, "ch/N/duck", WM_TYPE_ENUM,
		0.0, WM_DUCK_ROLES - 1, WM_DUCK_OFF, "",
		"Ducking role: key (a voice that ducks), duck (music that is ducked) or off.",
		duck_roles },
	[WM_PARAM_CH_SEND] = { WM_PARAM_CH_SEND, "ch/N/send/Z", WM_TYPE_DB,
		WM_GAIN_FLOOR_DB, WM_GAIN_MAX_DB, 0.0, "dB",
		"Level from the channel into zone Z in dB; -inf keeps it out of the zone." },
	[WM_PARAM_CH_NAME] = { WM_PARAM_CH_NAME, "ch/N/name", WM_TYPE_STRING,
		0.0, 0.0, 0.0, "",
		"Channel label, 1 to 63 bytes of printable UTF-8." },
	[WM_PARAM_ZONE_GAIN] = { WM_PARAM_ZONE_GAIN, "zone/Z/gain", WM_TYPE_DB,
		WM_GAIN_FLOOR_DB, WM_GAIN_MAX_DB, 0.0, "dB",
		"Zone output level in dB; -inf (or -90 and below) is silence." },
	[WM_PARAM_ZONE_MUTE] = { WM_PARAM_ZONE_MUTE, "zone/Z/mute", WM_TYPE_BOOL,
		0.0, 1.0, 0.0, "",
		"Silence the zone's speakers." },
	[WM_PARAM_ZONE_LIMIT] = { WM_PARAM_ZONE_LIMIT, "zone/Z/limit", WM_TYPE_FLOAT,
		WM_LIMIT_MIN_DB, WM_LIMIT_MAX_DB, WM_LIMIT_DEFAULT_DB, "dBFS",
		"Safety limiter ceiling: no sample sent to the zone's speakers exceeds it." },
	[WM_PARAM_ZONE_NAME] = { WM_PARAM_ZONE_NAME, "zone/Z/name", WM_TYPE_STRING,
		0.0, 0.0, 0.0, "",
		"Zone label, 1 to 63 bytes of printable UTF-8." },
	[WM_PARAM_DUCK_THRESHOLD] = { WM_PARAM_DUCK_THRESHOLD, "duck/threshold", WM_TYPE_FLOAT,
		-90.0, 0.0, -40.0, "dB",
		"A key channel louder than this in a zone (after its gain and send) ducks the zone." },
	[WM_PARAM_DUCK_DEPTH] = { WM_PARAM_DUCK_DEPTH, "duck/depth", WM_TYPE_FLOAT,
		0.0, 60.0, 12.0, "dB",
		"How far ducked channels go down while a key is active." },
	[WM_PARAM_DUCK_ATTACK] = { WM_PARAM_DUCK_ATTACK, "duck/attack", WM_TYPE_FLOAT,
		0.0, 5000.0, 10.0, "ms",
		"Time to go down by the full depth when a key starts." },
	[WM_PARAM_DUCK_HOLD] = { WM_PARAM_DUCK_HOLD, "duck/hold", WM_TYPE_FLOAT,
		0.0, 10000.0, 200.0, "ms",
		"Time to stay down after the key stops, so pauses between words do not pump." },
	[WM_PARAM_DUCK_RELEASE] = { WM_PARAM_DUCK_RELEASE, "duck/release", WM_TYPE_FLOAT,
		0.0, 30000.0, 300.0, "ms",
		"Time to come back up by the full depth after the hold." },
};

/* The leaf names after "ch/N/" and "zone/Z/", in tree order. */
static const struct {
	const char *leaf;
	enum wm_param_id id;
} ch_leaves[] = {
	{ "gain", WM_PARAM_CH_GAIN },
	{ "fader", WM_PARAM_CH_FADER },
	{ "pan", WM_PARAM_CH_PAN },
	{ "mute", WM_PARAM_CH_MUTE },
	{ "solo", WM_PARAM_CH_SOLO },
	{ "name", WM_PARAM_CH_NAME },
}, zone_leaves[] = {
	{ "gain", WM_PARAM_ZONE_GAIN },
	{ "mute", WM_PARAM_ZONE_MUTE },
	{ "name", WM_PARAM_ZONE_NAME },
};

#define CH_HAS "a channel has gain, fader, pan, mute, solo, send/Z, name"
#define ZONE_HAS "a zone has gain, mute, name"

const struct wm_param_info *wm_param_info(enum wm_param_id id)
{
	if ((int)id < 0 || id >= WM_PARAM_COUNT)
		return NULL;
	return &params[id];
}

bool wm_param_has_channel(enum wm_param_id id)
{
	return id >= WM_PARAM_CH_GAIN && id <= WM_PARAM_CH_NAME;
}

bool wm_param_has_zone(enum wm_param_id id)
{
	return id == WM_PARAM_CH_SEND || (id >= WM_PARAM_ZONE_GAIN && id <= WM_PARAM_ZONE_NAME);
}

/* The leaf of a duck/... parameter, or NULL. */
static const char *duck_leaf(enum wm_param_id id)
{
	static const char *const leaves[] = { "threshold", "depth", "attack", "hold", "release" };

	if (id < WM_PARAM_DUCK_THRESHOLD || id > WM_PARAM_DUCK_RELEASE)
		return NULL;
	return leaves[id - WM_PARAM_DUCK_THRESHOLD];
}

/* The field of a duck/... parameter. */
static double *duck_field(struct wm_duck_state *duck, enum wm_param_id id)
{
	switch (id) {
	case WM_PARAM_DUCK_THRESHOLD:
		return &duck->threshold_db;
	case WM_PARAM_DUCK_DEPTH:
		return &duck->depth_db;
	case WM_PARAM_DUCK_ATTACK:
		return &duck->attack_ms;
	case WM_PARAM_DUCK_HOLD:
		return &duck->hold_ms;
	default:
		return &duck->release_ms;
	}
}

/* A 1-based index as written in a path: decimal digits, no sign, no
 * leading zero. Returns 0 when malformed (never a valid index), the value
 * otherwise; *end is left at the first byte after the digits. */
static int parse_index(const char *s, const char **end)
{
	int v = 0;
	const char *p = s;

	while (*p >= '0' && *p <= '9') {
		if (v > 100000)
			v = 100001; /* saturate: far beyond any topology */
		else
			v = v * 10 + (*p - '0');
		p++;
	}
	*end = p;
	if (p == s || s[0] == '0')
		return 0;
	return v;
}

static int unknown(struct wm_err *err, const char *path, const char *what)
{
	char buf[WM_TEXT_ECHO_SIZE];

	return wm_err_set(err, WM_E_UNKNOWN_PATH, "no parameter %s: %s",
			  wm_text_echo(path, buf, sizeof buf), what);
}

static int parse_channel_leaf(const char *path, const char *leaf,
			      const struct wm_mix *mix, struct wm_param_ref *ref,
			      struct wm_err *err)
{
	for (size_t i = 0; i < sizeof ch_leaves / sizeof ch_leaves[0]; i++) {
		if (strcmp(leaf, ch_leaves[i].leaf) == 0) {
			ref->id = ch_leaves[i].id;
			return 0;
		}
	}
	if (strncmp(leaf, "send", 4) != 0 || (leaf[4] != '/' && leaf[4] != '\0'))
		return unknown(err, path, CH_HAS);

	const char *end;
	int z = leaf[4] == '/' ? parse_index(leaf + 5, &end) : 0;
	if (z < 1 || z > mix->zones || *end != '\0') {
		char what[80];

		snprintf(what, sizeof what, "sends are ch/N/send/Z, zones are 1..%d",
			 mix->zones);
		return unknown(err, path, what);
	}
	ref->id = WM_PARAM_CH_SEND;
	ref->zone = z - 1;
	return 0;
}

int wm_param_parse_path(const char *path, const struct wm_mix *mix,
			struct wm_param_ref *ref, struct wm_err *err)
{
	char what[80];
	const char *end;
	int n;

	ref->ch = -1;
	ref->zone = -1;
	if (strncmp(path, "ch/", 3) == 0) {
		n = parse_index(path + 3, &end);
		if (n < 1 || n > mix->channels || (*end != '/' && *end != '\0')) {
			snprintf(what, sizeof what, "channels are 1..%d", mix->channels);
			return unknown(err, path, what);
		}
		if (*end != '/')
			return unknown(err, path, CH_HAS);
		ref->ch = n - 1;
		return parse_channel_leaf(path, end + 1, mix, ref, err);
	}
	if (strncmp(path, "zone/", 5) == 0) {
		n = parse_index(path + 5, &end);
		if (n < 1 || n > mix->zones || (*end != '/' && *end != '\0')) {
			snprintf(what, sizeof what, "zones are 1..%d", mix->zones);
			return unknown(err, path, what);
		}
		if (*end != '/')
			return unknown(err, path, ZONE_HAS);
		ref->zone = n - 1;
		for (size_t i = 0; i < sizeof zone_leaves / sizeof zone_leaves[0]; i++) {
			if (strcmp(end + 1, zone_leaves[i].leaf) == 0) {
				ref->id = zone_leaves[i].id;
				return 0;
			}
		}
		return unknown(err, path, ZONE_HAS);
	}
	return unknown(err, path, "paths start with ch/N/ or zone/Z/");
}

int wm_param_format_path(const struct wm_param_ref *ref, char *buf, size_t len)
{
	switch (ref->id) {
	case WM_PARAM_CH_GAIN:
	case WM_PARAM_CH_FADER:
	case WM_PARAM_CH_PAN:
	case WM_PARAM_CH_MUTE:
	case WM_PARAM_CH_SOLO:
	case WM_PARAM_CH_NAME:
		for (size_t i = 0; i < sizeof ch_leaves / sizeof ch_leaves[0]; i++)
			if (ch_leaves[i].id == ref->id)
				return snprintf(buf, len, "ch/%d/%s", ref->ch + 1,
						ch_leaves[i].leaf);
		break;
	case WM_PARAM_CH_DUCK:
		return snprintf(buf, len, "ch/%d/duck", ref->ch + 1);
	case WM_PARAM_CH_SEND:
		return snprintf(buf, len, "ch/%d/send/%d", ref->ch + 1, ref->zone + 1);
	case WM_PARAM_ZONE_LIMIT:
		return snprintf(buf, len, "zone/%d/limit", ref->zone + 1);
	case WM_PARAM_DUCK_THRESHOLD:
	case WM_PARAM_DUCK_DEPTH:
	case WM_PARAM_DUCK_ATTACK:
	case WM_PARAM_DUCK_HOLD:
	case WM_PARAM_DUCK_RELEASE:
		return snprintf(buf, len, "duck/%s", duck_leaf(ref->id));
	case WM_PARAM_ZONE_GAIN:
	case WM_PARAM_ZONE_MUTE:
	case WM_PARAM_ZONE_NAME:
		for (size_t i = 0; i < sizeof zone_leaves / sizeof zone_leaves[0]; i++)
			if (zone_leaves[i].id == ref->id)
				return snprintf(buf, len, "zone/%d/%s", ref->zone + 1,
						zone_leaves[i].leaf);
		break;
	case WM_PARAM_COUNT:
		break;
	}
	if (len > 0)
		buf[0] = '\0';
	return -1;
}

/* A ref names something in this mix: a known id, and the channel and zone
 * it needs within the topology. Refs come from wm_param_parse_path or
 * wm_param_next, so this only guards against a caller's bug. */
static bool ref_ok(const struct wm_mix *mix, const struct wm_param_ref *ref)
{
	enum wm_param_id id = ref->id;

	if ((int)id < 0 || id >= WM_PARAM_COUNT)
		return false;
	if (wm_param_has_channel(id) && (ref->ch < 0 || ref->ch >= mix->channels ||
					 ref->ch >= WM_MAX_CHANNELS))
		return false;
	if (wm_param_has_zone(id) &&
	    (ref->zone < 0 || ref->zone >= mix->zones || ref->zone >= WM_MAX_ZONES))
		return false;
	return true;
}

void wm_param_get(const struct wm_mix *mix, const struct wm_param_ref *ref,
		  struct wm_value *value)
{
	memset(value, 0, sizeof *value);
	if (!ref_ok(mix, ref))
		return;

	const struct wm_channel_state *ch = &mix->ch[ref->ch >= 0 ? ref->ch : 0];
	const struct wm_zone_state *zone = &mix->zone[ref->zone >= 0 ? ref->zone : 0];
	const struct wm_param_info *info = wm_param_info(ref->id);

	value->type = info->type;
	switch (ref->id) {
	case WM_PARAM_CH_GAIN:
		value->num = ch->gain_db;
		break;
	case WM_PARAM_CH_FADER:
		value->num = wm_db_to_fader(ch->gain_db);
		break;
	case WM_PARAM_CH_PAN:
		value->num = ch->pan;
		break;
	case WM_PARAM_CH_MUTE:
		value->on = ch->mute;
		break;
	case WM_PARAM_CH_SOLO:
		value->on = ch->solo;
		break;
	case WM_PARAM_CH_DUCK:
		value->num = ch->duck;
		snprintf(value->text, sizeof value->text, "%s", info->choices[ch->duck]);
		break;
	case WM_PARAM_CH_SEND:
		value->num = ch->send_db[ref->zone];
		break;
	case WM_PARAM_CH_NAME:
		memcpy(value->text, ch->name, sizeof value->text);
		break;
	case WM_PARAM_ZONE_GAIN:
		value->num = zone->gain_db;
		break;
	case WM_PARAM_ZONE_MUTE:
		value->on = zone->mute;
		break;
	case WM_PARAM_ZONE_LIMIT:
		value->num = zone->limit_db;
		break;
	case WM_PARAM_ZONE_NAME:
		memcpy(value->text, zone->name, sizeof value->text);
		break;
	case WM_PARAM_DUCK_THRESHOLD:
	case WM_PARAM_DUCK_DEPTH:
	case WM_PARAM_DUCK_ATTACK:
	case WM_PARAM_DUCK_HOLD:
	case WM_PARAM_DUCK_RELEASE: {
		struct wm_duck_state duck = mix->duck;

		value->num = *duck_field(&duck, ref->id);
		break;
	}
	case WM_PARAM_COUNT:
		break;
	}
	if (info->type == WM_TYPE_BOOL)
		value->num = value->on;
}

static bool set_num(double *slot, double v)
{
	/* Written as != so that -inf == -inf counts as unchanged. */
	if (*slot == v)
		return false;
	*slot = v;
	return true;
}

static bool set_bool(bool *slot, const struct wm_value *value)
{
	bool on = value->type == WM_TYPE_BOOL ? value->on : value->num != 0.0;

	if (*slot == on)
		return false;
	*slot = on;
	return true;
}

static bool set_name(char *slot, const char *text)
{
	if (strncmp(slot, text, WM_NAME_MAX) == 0)
		return false;
	snprintf(slot, WM_NAME_MAX, "%s", text);
	return true;
}

bool wm_param_set(struct wm_mix *mix, const struct wm_param_ref *ref,
		  const struct wm_value *value)
{
	if (!ref_ok(mix, ref))
		return false;

	struct wm_channel_state *ch = &mix->ch[ref->ch >= 0 ? ref->ch : 0];
	struct wm_zone_state *zone = &mix->zone[ref->zone >= 0 ? ref->zone : 0];

	switch (ref->id) {
	case WM_PARAM_CH_GAIN:
		return set_num(&ch->gain_db, value->num);
	case WM_PARAM_CH_FADER:
		return set_num(&ch->gain_db, wm_fader_to_db(value->num));
	case WM_PARAM_CH_PAN:
		return set_num(&ch->pan, value->num);
	case WM_PARAM_CH_MUTE:
		return set_bool(&ch->mute, value);
	case WM_PARAM_CH_SOLO:
		return set_bool(&ch->solo, value);
	case WM_PARAM_CH_DUCK:
		if (!(value->num >= 0 && value->num < WM_DUCK_ROLES) ||
		    ch->duck == (enum wm_duck_role)value->num)
			return false;
		ch->duck = (enum wm_duck_role)value->num;
		return true;
	case WM_PARAM_CH_SEND:
		return set_num(&ch->send_db[ref->zone], value->num);
	case WM_PARAM_CH_NAME:
		return set_name(ch->name, value->text);
	case WM_PARAM_ZONE_GAIN:
		return set_num(&zone->gain_db, value->num);
	case WM_PARAM_ZONE_MUTE:
		return set_bool(&zone->mute, value);
	case WM_PARAM_ZONE_LIMIT:
		return set_num(&zone->limit_db, value->num);
	case WM_PARAM_ZONE_NAME:
		return set_name(zone->name, value->text);
	case WM_PARAM_DUCK_THRESHOLD:
	case WM_PARAM_DUCK_DEPTH:
	case WM_PARAM_DUCK_ATTACK:
	case WM_PARAM_DUCK_HOLD:
	case WM_PARAM_DUCK_RELEASE:
		return set_num(duck_field(&mix->duck, ref->id), value->num);
	case WM_PARAM_COUNT:
		break;
	}
	return false;
}

bool wm_param_next(const struct wm_mix *mix, struct wm_param_ref *ref)
{
	if ((int)ref->id < 0 || ref->id >= WM_PARAM_COUNT) {
		if (mix->channels < 1)
			return false;
		*ref = (struct wm_param_ref){ WM_PARAM_CH_GAIN, 0, -1 };
		return true;
	}
	switch (ref->id) {
	case WM_PARAM_CH_GAIN:
	case WM_PARAM_CH_FADER:
	case WM_PARAM_CH_PAN:
	case WM_PARAM_CH_MUTE:
		ref->id++;
		return true;
	case WM_PARAM_CH_SOLO:
		ref->id = mix->zones > 0 ? WM_PARAM_CH_SEND : WM_PARAM_CH_NAME;
		ref->zone = mix->zones > 0 ? 0 : -1;
		return true;
	case WM_PARAM_CH_SEND:
		if (ref->zone + 1 < mix->zones) {
			ref->zone++;
			return true;
		}
		ref->id = WM_PARAM_CH_NAME;
		ref->zone = -1;
		return true;
	case WM_PARAM_CH_NAME:
		if (ref->ch + 1 < mix->channels)
			*ref = (struct wm_param_ref){ WM_PARAM_CH_GAIN, ref->ch + 1, -1 };
		else
			*ref = (struct wm_param_ref){ WM_PARAM_ZONE_GAIN, -1, 0 };
		return true;
	case WM_PARAM_ZONE_GAIN:
		ref->id++;
		return true;
	case WM_PARAM_ZONE_MUTE:
		ref->id = WM_PARAM_ZONE_NAME;
		return true;
	case WM_PARAM_ZONE_NAME:
		if (ref->zone + 1 < mix->zones) {
			*ref = (struct wm_param_ref){ WM_PARAM_ZONE_GAIN, -1, ref->zone + 1 };
			return true;
		}
		return false;
	/* Not walked yet: the paths of the issue-5 parameters land with the
	 * parser (main); until then the tree order is the old one. */
	case WM_PARAM_CH_DUCK:
	case WM_PARAM_ZONE_LIMIT:
	case WM_PARAM_DUCK_THRESHOLD:
	case WM_PARAM_DUCK_DEPTH:
	case WM_PARAM_DUCK_ATTACK:
	case WM_PARAM_DUCK_HOLD:
	case WM_PARAM_DUCK_RELEASE:
	case WM_PARAM_COUNT:
		break;
	}
	return false;
}

/* Fader taper breakpoints (position, dB). Below the first point the taper
 * runs linearly down to -90 dB at 0+, and 0 itself is -inf. */
static const double taper[][2] = {
	{ 0.0, WM_GAIN_FLOOR_DB },
	{ 0.0625, -60.0 },
	{ 0.25, -30.0 },
	{ 0.5, -10.0 },
	{ 0.75, 0.0 },
	{ 1.0, WM_GAIN_MAX_DB },
};
#define TAPER_POINTS (sizeof taper / sizeof taper[0])

double wm_fader_to_db(double fader)
{
	if (!(fader > 0.0))
		return -INFINITY;
	if (fader >= 1.0)
		return WM_GAIN_MAX_DB;
	for (size_t i = 1; i < TAPER_POINTS; i++) {
		if (fader <= taper[i][0]) {
			double f0 = taper[i - 1][0], d0 = taper[i - 1][1];
			double f1 = taper[i][0], d1 = taper[i][1];

			return d0 + (fader - f0) / (f1 - f0) * (d1 - d0);
		}
	}
	return WM_GAIN_MAX_DB;
}

double wm_db_to_fader(double gain_db)
{
	if (!(gain_db > WM_GAIN_FLOOR_DB))
		return 0.0;
	if (gain_db >= WM_GAIN_MAX_DB)
		return 1.0;
	for (size_t i = 1; i < TAPER_POINTS; i++) {
		if (gain_db <= taper[i][1]) {
			double f0 = taper[i - 1][0], d0 = taper[i - 1][1];
			double f1 = taper[i][0], d1 = taper[i][1];

			return f0 + (gain_db - d0) / (d1 - d0) * (f1 - f0);
		}
	}
	return 1.0;
}

double wm_db_to_lin(double gain_db)
{
	/* Also catches NaN: an unknown gain is silence, never a blast. */
	if (!(gain_db > WM_GAIN_FLOOR_DB))
		return 0.0;
	return pow(10.0, gain_db / 20.0);
}
