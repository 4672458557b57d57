/* scene_common.c - mixes, scene-file checks and file helpers shared by the
 * scene tests (see scene_common.h). */
#define _GNU_SOURCE             /* vasprintf */
#include "tests/integration/scene_common.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double sc_amp(double db)
{
	return db <= -90.0 ? 0.0 : pow(10.0, db / 20.0);
}

void sc_mix_default(struct sc_mix *m, int channels, int zones)
{
	memset(m, 0, sizeof *m);
	ck_assert(channels <= SC_MAX_CH && zones <= SC_MAX_ZONES);
	m->channels = channels;
	m->zones = zones;
	for (int c = 0; c < channels; c++)
		snprintf(m->ch[c].name, sizeof m->ch[c].name, "ch %d", c + 1);
	for (int z = 0; z < zones; z++)
		snprintf(m->zone[z].name, sizeof m->zone[z].name, "zone %d", z + 1);
}

void sc_mix_varied(struct sc_mix *m, int channels, int zones, int k)
{
	sc_mix_default(m, channels, zones);
	for (int c = 0; c < channels; c++) {
		struct sc_chan *ch = &m->ch[c];

		ch->gain = c == 6 ? -INFINITY : -1 - (k % 40) - c;
		ch->pan = ((c * 7 + k) % 19 - 9) / 10.0;
		if (ch->pan == 0)
			ch->pan = 0.25;
		ch->mute = (c + k) % 3 == 0;
		for (int z = 0; z < zones; z++)
			ch->send[z] = -1 - (c + z + k) % 13;
		snprintf(ch->name, sizeof ch->name, "k%d ch%d", k, c + 1);
	}
	for (int z = 0; z < zones; z++) {
		m->zone[z].gain = -0.5 - (z + k) % 7;
		m->zone[z].mute = (z + k) % 2 == 1;
		snprintf(m->zone[z].name, sizeof m->zone[z].name, "k%d zone%d", k, z + 1);
	}
}

static const char *db_word(double db, char *buf, size_t len)
{
	if (isinf(db))
		snprintf(buf, len, "-inf");
	else
		snprintf(buf, len, "%.10g", db);
	return buf;
}

void sc_mix_apply(struct wm_client *c, const struct sc_mix *m, int ramp_ms)
{
	char r[24] = "", v[32];

	if (ramp_ms >= 0)
		snprintf(r, sizeof r, " %d", ramp_ms);
	for (int i = 0; i < m->channels; i++) {
		const struct sc_chan *ch = &m->ch[i];

		wm_t_ok(c, "set ch/%d/gain %s%s", i + 1, db_word(ch->gain, v, sizeof v), r);
		wm_t_ok(c, "set ch/%d/pan %.10g%s", i + 1, ch->pan, r);
		wm_t_ok(c, "set ch/%d/mute %s%s", i + 1, ch->mute ? "on" : "off", r);
		wm_t_ok(c, "set ch/%d/solo %s%s", i + 1, ch->solo ? "on" : "off", r);
		for (int z = 0; z < m->zones; z++)
			wm_t_ok(c, "set ch/%d/send/%d %s%s", i + 1, z + 1,
				db_word(ch->send[z], v, sizeof v), r);
		wm_t_ok(c, "set ch/%d/name \"%s\"", i + 1, ch->name);
	}
	for (int z = 0; z < m->zones; z++) {
		wm_t_ok(c, "set zone/%d/gain %s%s", z + 1, db_word(m->zone[z].gain, v, sizeof v), r);
		wm_t_ok(c, "set zone/%d/mute %s%s", z + 1, m->zone[z].mute ? "on" : "off", r);
		wm_t_ok(c, "set zone/%d/name \"%s\"", z + 1, m->zone[z].name);
	}
}

static json_t *param(json_t *params, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static json_t *param(json_t *params, const char *fmt, ...)
{
	char path[64];
	va_list ap;
	json_t *p, *v;
	int n;

	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	p = wm_t_list_find(params, path, &n);
	ck_assert_msg(n == 1, "`list` has %s %d times, want once", path, n);
	v = json_object_get(p, "value");
	ck_assert_msg(v != NULL, "`list`: %s has no value: %s", path, wm_t_json_str(p));
	return v;
}

static double num(json_t *v, const char *what)
{
	double d = sc_json_db(v);

	ck_assert_msg(!isnan(d), "%s: %s is not a number or \"-inf\"", what, wm_t_json_str(v));
	return d;
}

static bool boolean(json_t *v, const char *what)
{
	ck_assert_msg(json_is_boolean(v), "%s: %s is not a bool", what, wm_t_json_str(v));
	return json_is_true(v);
}

void sc_mix_read(struct wm_client *c, struct sc_mix *m)
{
	json_t *r = wm_t_assert_ok(wm_t_request(c, "list"), "list"), *ps, *v;

	ps = json_object_get(r, "params");
	ck_assert_msg(json_is_array(ps), "list: no params array: %s", wm_t_json_str(r));
	for (int i = 0; i < m->channels; i++) {
		struct sc_chan *ch = &m->ch[i];

		ch->gain = num(param(ps, "ch/%d/gain", i + 1), "gain");
		ch->pan = num(param(ps, "ch/%d/pan", i + 1), "pan");
		ch->mute = boolean(param(ps, "ch/%d/mute", i + 1), "mute");
		ch->solo = boolean(param(ps, "ch/%d/solo", i + 1), "solo");
		for (int z = 0; z < m->zones; z++)
			ch->send[z] = num(param(ps, "ch/%d/send/%d", i + 1, z + 1), "send");
		v = param(ps, "ch/%d/name", i + 1);
		ck_assert_msg(json_is_string(v), "ch/%d/name is %s", i + 1, wm_t_json_str(v));
		snprintf(ch->name, sizeof ch->name, "%s", json_string_value(v));
	}
	for (int z = 0; z < m->zones; z++) {
		m->zone[z].gain = num(param(ps, "zone/%d/gain", z + 1), "zone gain");
		m->zone[z].mute = boolean(param(ps, "zone/%d/mute", z + 1), "zone mute");
		v = param(ps, "zone/%d/name", z + 1);
		ck_assert_msg(json_is_string(v), "zone/%d/name is %s", z + 1, wm_t_json_str(v));
		snprintf(m->zone[z].name, sizeof m->zone[z].name, "%s", json_string_value(v));
	}
	json_decref(r);
}

static bool db_eq(double a, double b)
{
	if (isinf(a) || isinf(b) || a <= -90 || b <= -90)
		return (a <= -90 || isinf(a)) == (b <= -90 || isinf(b));
	return fabs(a - b) <= 1e-4;
}

bool sc_mix_equal(const struct sc_mix *got, const struct sc_mix *want, int channels,
		  char *why, size_t len)
{
#define DIFF(...) do { snprintf(why, len, __VA_ARGS__); return false; } while (0)
	for (int i = 0; i < channels; i++) {
		const struct sc_chan *g = &got->ch[i], *w = &want->ch[i];

		if (!db_eq(g->gain, w->gain))
			DIFF("ch/%d/gain is %g, want %g", i + 1, g->gain, w->gain);
		if (fabs(g->pan - w->pan) > 1e-6)
			DIFF("ch/%d/pan is %.9g, want %.9g", i + 1, g->pan, w->pan);
		if (g->mute != w->mute)
			DIFF("ch/%d/mute is %d, want %d", i + 1, g->mute, w->mute);
		if (g->solo != w->solo)
			DIFF("ch/%d/solo is %d, want %d", i + 1, g->solo, w->solo);
		for (int z = 0; z < want->zones; z++)
			if (!db_eq(g->send[z], w->send[z]))
				DIFF("ch/%d/send/%d is %g, want %g", i + 1, z + 1, g->send[z],
				     w->send[z]);
		if (strcmp(g->name, w->name) != 0)
			DIFF("ch/%d/name is \"%s\", want \"%s\"", i + 1, g->name, w->name);
	}
	for (int z = 0; z < want->zones; z++) {
		if (!db_eq(got->zone[z].gain, want->zone[z].gain))
			DIFF("zone/%d/gain is %g, want %g", z + 1, got->zone[z].gain,
			     want->zone[z].gain);
		if (got->zone[z].mute != want->zone[z].mute)
			DIFF("zone/%d/mute is %d, want %d", z + 1, got->zone[z].mute,
			     want->zone[z].mute);
		if (strcmp(got->zone[z].name, want->zone[z].name) != 0)
			DIFF("zone/%d/name is \"%s\", want \"%s\"", z + 1, got->zone[z].name,
			     want->zone[z].name);
	}
	return true;
#undef DIFF
}

void sc_mix_assert(struct wm_client *c, const struct sc_mix *want, const char *what)
{
	struct sc_mix got;
	char why[256];

	got.channels = want->channels;
	got.zones = want->zones;
	sc_mix_read(c, &got);
	ck_assert_msg(sc_mix_equal(&got, want, want->channels, why, sizeof why), "%s: %s", what,
		      why);
}

double sc_mix_out(const struct sc_mix *m, const double in[][2], int z, int side)
{
	bool any_solo = false;
	double sum = 0;

	for (int i = 0; i < m->channels; i++)
		any_solo |= m->ch[i].solo;
	for (int i = 0; i < m->channels; i++) {
		const struct sc_chan *ch = &m->ch[i];
		double bal = 1.0;

		if (ch->mute || (any_solo && !ch->solo))
			continue;
		if (side == 0 && ch->pan > 0)
			bal = cos(ch->pan * M_PI / 2);
		if (side == 1 && ch->pan < 0)
			bal = cos(-ch->pan * M_PI / 2);
		sum += in[i][side] * sc_amp(ch->gain) * bal * sc_amp(ch->send[z - 1]);
	}
	return m->zone[z - 1].mute ? 0.0 : sum * sc_amp(m->zone[z - 1].gain);
}

const char *sc_state(const struct wm_daemon *d, const char *rel)
{
	static char bufs[4][PATH_MAX + 64];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof bufs[0], "%s/state/%s", d->dir, rel);
	return b;
}

void sc_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
	fputs(text, f);
	ck_assert_msg(fclose(f) == 0, "cannot write %s: %s", path, strerror(errno));
}

double sc_json_db(const json_t *v)
{
	if (json_is_number(v))
		return json_number_value(v);
	if (json_is_string(v) && strcmp(json_string_value(v), "-inf") == 0)
		return -INFINITY;
	return NAN;
}

static char *problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *problem(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s ? s : strdup("out of memory");
}

/* NULL when obj[key] exists and has the type; else a sentence. */
static char *field(const json_t *obj, const char *where, const char *key, char type)
{
	json_t *v = json_object_get(obj, key);
	bool ok = false;

	if (!v)
		return problem("%s has no \"%s\"", where, key);
	switch (type) {
	case 's': ok = json_is_string(v) && json_string_length(v) > 0; break;
	case 'b': ok = json_is_boolean(v); break;
	case 'n': ok = json_is_number(v); break;
	case 'd': ok = !isnan(sc_json_db(v)); break;
	case 'i': ok = json_is_integer(v); break;
	}
	return ok ? NULL : problem("%s.%s has the wrong type (%c): %s", where, key, type,
				   wm_t_json_str(v));
}

static char *scene_problem(const json_t *s, int channels, int zones, bool need_name)
{
	json_t *a, *e;
	char where[64], *p;
	size_t i;

	if (!json_is_object(s))
		return problem("not a JSON object");
	if (strcmp(wm_t_strval(json_object_get(s, "format")), "washmix-scene") != 0)
		return problem("format is not \"washmix-scene\"");
	if (json_integer_value(json_object_get(s, "version")) != 1)
		return problem("version is not 1");
	if (need_name && (p = field(s, "scene", "name", 's')))
		return p;
	a = json_object_get(s, "channels");
	if (!json_is_array(a) || json_array_size(a) != (size_t)channels)
		return problem("channels is not an array of %d", channels);
	json_array_foreach(a, i, e) {
		json_t *sends;

		snprintf(where, sizeof where, "channels[%zu]", i);
		if (json_integer_value(json_object_get(e, "id")) != (json_int_t)i + 1)
			return problem("%s.id is not %zu", where, i + 1);
		if ((p = field(e, where, "name", 's')) || (p = field(e, where, "gain", 'd')) ||
		    (p = field(e, where, "pan", 'n')) || (p = field(e, where, "mute", 'b')) ||
		    (p = field(e, where, "solo", 'b')))
			return p;
		sends = json_object_get(e, "sends");
		if (!json_is_object(sends))
			return problem("%s.sends is not an object", where);
		for (int z = 1; z <= zones; z++) {
			char key[16];

			snprintf(key, sizeof key, "%d", z);
			if ((p = field(sends, where, key, 'd')))
				return p;
		}
	}
	a = json_object_get(s, "zones");
	if (!json_is_array(a) || json_array_size(a) != (size_t)zones)
		return problem("zones is not an array of %d", zones);
	json_array_foreach(a, i, e) {
		snprintf(where, sizeof where, "zones[%zu]", i);
		if (json_integer_value(json_object_get(e, "id")) != (json_int_t)i + 1)
			return problem("%s.id is not %zu", where, i + 1);
		if ((p = field(e, where, "name", 's')) || (p = field(e, where, "gain", 'd')) ||
		    (p = field(e, where, "mute", 'b')))
			return p;
	}
	return NULL;
}

char *sc_scene_problem(const char *path, int channels, int zones, bool need_name)
{
	json_error_t je;
	json_t *s = json_load_file(path, 0, &je);
	char *p, *full;

	if (!s)
		return problem("%s is not valid JSON: %s (line %d, column %d)", path, je.text,
			       je.line, je.column);
	p = scene_problem(s, channels, zones, need_name);
	json_decref(s);
	if (!p)
		return NULL;
	full = problem("%s: %s", path, p);
	free(p);
	return full;
}

json_t *sc_scene_list(struct wm_client *c)
{
	json_t *r = wm_t_assert_ok(wm_t_request(c, "scene list"), "scene list"), *a;

	a = json_object_get(r, "scenes");
	ck_assert_msg(json_is_array(a), "scene list: no \"scenes\" array: %s", wm_t_json_str(r));
	json_incref(a);
	json_decref(r);
	return a;
}

void sc_delete_all_scenes(struct wm_client *c)
{
	json_t *a = sc_scene_list(c), *n;
	size_t i;

	json_array_foreach(a, i, n)
		wm_t_ok(c, "scene delete %s", wm_t_strval(n));
	json_decref(a);
}

bool sc_strings_mention(const json_t *array, const char *needle)
{
	json_t *s;
	size_t i;

	json_array_foreach(array, i, s)
		if (json_is_string(s) && strstr(json_string_value(s), needle))
			return true;
	return false;
}
