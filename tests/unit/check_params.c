/* check_params.c - engine/params and engine/mix: every path parses and
 * formats back, every error names what exists or what is allowed, values
 * of every type, the fader taper, and the tree order. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mix.h"
#include "engine/params.h"
#include "engine/text.h"

#include "tests/support/suite.h"

static struct wm_mix mix;

static void setup(void)
{
	wm_mix_init(&mix, 8, 2, NULL);
}

static struct wm_param_ref ref_of(const char *path)
{
	struct wm_param_ref ref;
	struct wm_err err;

	wm_err_clear(&err);
	ck_assert_msg(wm_param_parse_path(path, &mix, &ref, &err) == 0,
		      "%s: %s", path, err.msg);
	return ref;
}

/* Expect an error with this code whose message contains want. */
#define ck_assert_err(rc, err, want_code, want_text)                                   \
	do {                                                                           \
		ck_assert_int_eq((rc), -1);                                            \
		ck_assert_msg((err).code == (want_code), "code %s, message: %s",      \
			      wm_errcode_name((err).code), (err).msg);                 \
		ck_assert_msg(strstr((err).msg, (want_text)) != NULL,                  \
			      "message \"%s\" lacks \"%s\"", (err).msg, (want_text));  \
	} while (0)

/* ---- schema ---- */

START_TEST(info_table)
{
	for (int id = 0; id < WM_PARAM_COUNT; id++) {
		const struct wm_param_info *info = wm_param_info((enum wm_param_id)id);

		ck_assert_ptr_nonnull(info);
		ck_assert_int_eq(info->id, id);
		ck_assert_ptr_nonnull(info->pattern);
		ck_assert_ptr_nonnull(info->unit);
		ck_assert_ptr_nonnull(info->help);
		ck_assert(strlen(info->help) > 10);
	}
	ck_assert_ptr_null(wm_param_info(WM_PARAM_COUNT));
	ck_assert_ptr_null(wm_param_info((enum wm_param_id)-1));

	const struct wm_param_info *gain = wm_param_info(WM_PARAM_CH_GAIN);
	ck_assert_str_eq(gain->pattern, "ch/N/gain");
	ck_assert_int_eq(gain->type, WM_TYPE_DB);
	ck_assert_double_eq(gain->min, -90.0);
	ck_assert_double_eq(gain->max, 12.0);
	ck_assert_double_eq(gain->def, 0.0);
	ck_assert_str_eq(gain->unit, "dB");

	const struct wm_param_info *fader = wm_param_info(WM_PARAM_CH_FADER);
	ck_assert_int_eq(fader->type, WM_TYPE_FLOAT);
	ck_assert_double_eq(fader->min, 0.0);
	ck_assert_double_eq(fader->max, 1.0);
	ck_assert_double_eq(fader->def, 0.75);
	ck_assert_double_eq(fader->def, wm_db_to_fader(gain->def));

	const struct wm_param_info *pan = wm_param_info(WM_PARAM_CH_PAN);
	ck_assert_double_eq(pan->min, -1.0);
	ck_assert_double_eq(pan->max, 1.0);
	ck_assert_str_eq(wm_param_info(WM_PARAM_CH_SEND)->pattern, "ch/N/send/Z");
	ck_assert_int_eq(wm_param_info(WM_PARAM_CH_SEND)->type, WM_TYPE_DB);
	ck_assert_int_eq(wm_param_info(WM_PARAM_CH_MUTE)->type, WM_TYPE_BOOL);
	ck_assert_int_eq(wm_param_info(WM_PARAM_CH_SOLO)->type, WM_TYPE_BOOL);
	ck_assert_int_eq(wm_param_info(WM_PARAM_CH_NAME)->type, WM_TYPE_STRING);
	ck_assert_str_eq(wm_param_info(WM_PARAM_ZONE_GAIN)->pattern, "zone/Z/gain");
	ck_assert_int_eq(wm_param_info(WM_PARAM_ZONE_MUTE)->type, WM_TYPE_BOOL);
	ck_assert_int_eq(wm_param_info(WM_PARAM_ZONE_NAME)->type, WM_TYPE_STRING);
}
END_TEST

START_TEST(duck_role_is_an_enum)
{
	struct wm_mix m;
	struct wm_param_ref ref;
	struct wm_value v;
	struct wm_err err;

	wm_mix_init(&m, 8, 2, NULL);
	ref = ref_of("ch/3/duck");
	wm_param_get(&m, &ref, &v);
	ck_assert_int_eq(v.type, WM_TYPE_ENUM);
	ck_assert_str_eq(v.text, "off");
	ck_assert_int_eq(wm_param_parse_value(&ref, "Key", &v, &err), 0);
	ck_assert_str_eq(v.text, "key");
	ck_assert(wm_param_set(&m, &ref, &v));
	ck_assert_int_eq(m.ch[2].duck, WM_DUCK_KEY);
	ck_assert(!wm_param_set(&m, &ref, &v));
	ck_assert_int_eq(wm_param_parse_value(&ref, "loud", &v, &err), -1);
	ck_assert_int_eq(err.code, WM_E_BAD_TYPE);
	ck_assert_msg(strstr(err.msg, "off, key, duck"), "%s", err.msg);
	/* OSC may send the index; a string arrives as text. */
	v = (struct wm_value){ .type = WM_TYPE_FLOAT, .num = 2 };
	ck_assert_int_eq(wm_param_check_value(&ref, &v, &err), 0);
	ck_assert_str_eq(v.text, "duck");
	v = (struct wm_value){ .type = WM_TYPE_FLOAT, .num = 1.5 };
	ck_assert_int_eq(wm_param_check_value(&ref, &v, &err), -1);
	v = (struct wm_value){ .type = WM_TYPE_STRING, .text = "key" };
	ck_assert_int_eq(wm_param_check_value(&ref, &v, &err), 0);
	ck_assert_int_eq((int)v.num, WM_DUCK_KEY);
}
END_TEST

START_TEST(duck_settings_and_limits)
{
	struct wm_mix m;
	struct wm_param_ref ref;
	struct wm_value v;
	struct wm_err err;

	wm_mix_init(&m, 8, 2, NULL);
	ref = ref_of("duck/depth");
	ck_assert_int_eq(ref.ch, -1);
	ck_assert_int_eq(ref.zone, -1);
	wm_param_get(&m, &ref, &v);
	ck_assert_double_eq(v.num, 12.0);
	ck_assert_int_eq(wm_param_parse_value(&ref, "20", &v, &err), 0);
	ck_assert(wm_param_set(&m, &ref, &v));
	ck_assert_double_eq(m.duck.depth_db, 20.0);
	ck_assert_int_eq(wm_param_parse_value(&ref, "61", &v, &err), -1);
	ck_assert_int_eq(err.code, WM_E_OUT_OF_RANGE);
	ref = ref_of("zone/2/limit");
	wm_param_get(&m, &ref, &v);
	ck_assert_double_eq(v.num, -1.0);
	ck_assert_int_eq(wm_param_parse_value(&ref, "0.5", &v, &err), -1);
	ck_assert_int_eq(wm_param_parse_value(&ref, "-inf", &v, &err), -1);
	ck_assert_int_eq(wm_param_parse_value(&ref, "-6", &v, &err), 0);
	ck_assert(wm_param_set(&m, &ref, &v));
	ck_assert_double_eq(m.zone[1].limit_db, -6.0);
	ck_assert_int_eq(wm_param_parse_path("duck/speed", &m, &ref, &err), -1);
	ck_assert_msg(strstr(err.msg, "threshold, depth, attack, hold, release"), "%s", err.msg);
	ck_assert(!wm_param_has_channel(WM_PARAM_DUCK_DEPTH));
	ck_assert(!wm_param_has_zone(WM_PARAM_DUCK_DEPTH));
	ck_assert(wm_param_has_zone(WM_PARAM_ZONE_LIMIT));
	ck_assert(wm_param_has_channel(WM_PARAM_CH_DUCK));
}
END_TEST

/* ---- paths ---- */

static const char *const order_2x2[] = {
	"ch/1/gain", "ch/1/fader", "ch/1/pan", "ch/1/mute", "ch/1/solo", "ch/1/duck",
	"ch/1/send/1", "ch/1/send/2", "ch/1/name",
	"ch/2/gain", "ch/2/fader", "ch/2/pan", "ch/2/mute", "ch/2/solo", "ch/2/duck",
	"ch/2/send/1", "ch/2/send/2", "ch/2/name",
	"zone/1/gain", "zone/1/mute", "zone/1/limit", "zone/1/name",
	"zone/2/gain", "zone/2/mute", "zone/2/limit", "zone/2/name",
	"duck/threshold", "duck/depth", "duck/attack", "duck/hold", "duck/release",
};

START_TEST(next_order)
{
	struct wm_mix m;
	struct wm_param_ref ref = { .id = (enum wm_param_id)-1 };
	char path[64];
	size_t n = 0;

	wm_mix_init(&m, 2, 2, NULL);
	while (wm_param_next(&m, &ref)) {
		ck_assert_uint_lt(n, sizeof order_2x2 / sizeof order_2x2[0]);
		ck_assert_int_gt(wm_param_format_path(&ref, path, sizeof path), 0);
		ck_assert_str_eq(path, order_2x2[n]);
		n++;
	}
	ck_assert_uint_eq(n, sizeof order_2x2 / sizeof order_2x2[0]);
	/* Finished stays finished. */
	ck_assert(!wm_param_next(&m, &ref));
}
END_TEST

static const int topo[][2] = { { 1, 1 }, { 8, 2 }, { 3, 5 }, { 256, 32 } };

START_TEST(next_count_and_round_trip)
{
	struct wm_mix m;
	struct wm_param_ref ref = { .id = (enum wm_param_id)-1 }, back;
	struct wm_err err;
	char path[64];
	int channels = topo[_i][0], zones = topo[_i][1];
	long n = 0;

	wm_mix_init(&m, channels, zones, NULL);
	while (wm_param_next(&m, &ref)) {
		int len = wm_param_format_path(&ref, path, sizeof path);

		ck_assert_int_eq(len, (int)strlen(path));
		ck_assert_msg(wm_param_parse_path(path, &m, &back, &err) == 0, "%s: %s",
			      path, err.msg);
		ck_assert_int_eq(back.id, ref.id);
		ck_assert_int_eq(back.ch, ref.ch);
		ck_assert_int_eq(back.zone, ref.zone);
		n++;
	}
	ck_assert_int_eq(n, (long)channels * (7 + zones) + (long)zones * 4 + 5);
}
END_TEST

START_TEST(parse_path_refs)
{
	struct wm_param_ref ref = ref_of("ch/8/send/2");

	ck_assert_int_eq(ref.id, WM_PARAM_CH_SEND);
	ck_assert_int_eq(ref.ch, 7);
	ck_assert_int_eq(ref.zone, 1);
	ref = ref_of("ch/3/pan");
	ck_assert_int_eq(ref.id, WM_PARAM_CH_PAN);
	ck_assert_int_eq(ref.ch, 2);
	ck_assert_int_eq(ref.zone, -1);
	ref = ref_of("zone/2/mute");
	ck_assert_int_eq(ref.id, WM_PARAM_ZONE_MUTE);
	ck_assert_int_eq(ref.ch, -1);
	ck_assert_int_eq(ref.zone, 1);

	char small[6];
	ck_assert_int_eq(wm_param_format_path(&ref, small, sizeof small), 11);
	ck_assert_str_eq(small, "zone/");
	struct wm_param_ref bad = { WM_PARAM_COUNT, 0, 0 };
	ck_assert_int_eq(wm_param_format_path(&bad, small, sizeof small), -1);
}
END_TEST

static const struct {
	const char *path;
	const char *want;
} bad_paths[] = {
	{ "ch/99/gain", "no parameter ch/99/gain: channels are 1..8" },
	{ "ch/9/gain", "channels are 1..8" },
	{ "ch/0/gain", "channels are 1..8" },
	{ "ch/01/gain", "channels are 1..8" },
	{ "ch/+1/gain", "channels are 1..8" },
	{ "ch/-1/gain", "channels are 1..8" },
	{ "ch/1x/gain", "channels are 1..8" },
	{ "ch//gain", "channels are 1..8" },
	{ "ch/", "channels are 1..8" },
	{ "ch/99999999999999999999/gain", "channels are 1..8" },
	{ "ch/1/gian", "no parameter ch/1/gian: a channel has gain, fader, pan, mute, solo, duck, send/Z, name" },
	{ "ch/1", "a channel has gain, fader, pan, mute, solo, duck, send/Z, name" },
	{ "ch/1/", "a channel has gain" },
	{ "ch/1/gain/", "a channel has gain" },
	{ "ch/1/GAIN", "a channel has gain" },
	{ "ch/1/sends/1", "a channel has gain" },
	{ "ch/1/send/3", "no parameter ch/1/send/3: sends are ch/N/send/Z, zones are 1..2" },
	{ "ch/1/send", "zones are 1..2" },
	{ "ch/1/send/", "zones are 1..2" },
	{ "ch/1/send/0", "zones are 1..2" },
	{ "ch/1/send/01", "zones are 1..2" },
	{ "ch/1/send/1/x", "zones are 1..2" },
	{ "zone/3/gain", "no parameter zone/3/gain: zones are 1..2" },
	{ "zone/0/gain", "zones are 1..2" },
	{ "zone/1", "a zone has gain, mute, limit, name" },
	{ "zone/1/pan", "no parameter zone/1/pan: a zone has gain, mute, limit, name" },
	{ "foo", "no parameter foo: paths start with ch/N/, zone/Z/ or duck/" },
	{ "", "paths start with ch/N/, zone/Z/ or duck/" },
	{ "/ch/1/gain", "paths start with ch/N/, zone/Z/ or duck/" },
	{ "CH/1/gain", "paths start with ch/N/, zone/Z/ or duck/" },
	{ "channel/1/gain", "paths start with ch/N/, zone/Z/ or duck/" },
	/* Unprintable bytes are never echoed raw. */
	{ "foo\x01\xff" "bar", "no parameter foo??bar: paths start" },
};

START_TEST(bad_path)
{
	struct wm_param_ref ref;
	struct wm_err err;
	int rc = wm_param_parse_path(bad_paths[_i].path, &mix, &ref, &err);

	ck_assert_err(rc, err, WM_E_UNKNOWN_PATH, bad_paths[_i].want);
}
END_TEST

START_TEST(bad_path_long_is_cut)
{
	char path[300];
	struct wm_param_ref ref;
	struct wm_err err;

	memset(path, 'x', sizeof path - 1);
	path[sizeof path - 1] = '\0';
	ck_assert_int_eq(wm_param_parse_path(path, &mix, &ref, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "...: paths start with"));
	ck_assert_uint_lt(strlen(err.msg), 120);
}
END_TEST

START_TEST(text_helpers)
{
	char buf[WM_TEXT_ECHO_SIZE], big[100];

	ck_assert_int_eq(wm_utf8_seq_len("a"), 1);
	ck_assert_int_eq(wm_utf8_seq_len("\xc3\xa4"), 2);
	ck_assert_int_eq(wm_utf8_seq_len("\xe2\x82\xac"), 3);
	ck_assert_int_eq(wm_utf8_seq_len("\xf0\x9f\x9a\x97"), 4);
	ck_assert_int_eq(wm_utf8_seq_len("\xc3"), 0);          /* truncated at the NUL */
	ck_assert_int_eq(wm_utf8_seq_len("\xc1\xbf"), 0);      /* overlong */
	ck_assert_int_eq(wm_utf8_seq_len("\xed\xbf\xbf"), 0);  /* surrogate */
	ck_assert_int_eq(wm_utf8_seq_len("\x80"), 0);

	ck_assert_str_eq(wm_text_echo("ok \xc3\xa4", buf, sizeof buf), "ok \xc3\xa4");
	ck_assert_str_eq(wm_text_echo("a\tb\x7f\xc2\x85\xff", buf, sizeof buf), "a?b???");
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	wm_text_echo(big, buf, sizeof buf);
	ck_assert_uint_eq(strlen(buf), WM_TEXT_ECHO_MAX + 3);
	ck_assert_str_eq(buf + WM_TEXT_ECHO_MAX, "...");
	/* A character that would straddle the limit is left out whole. */
	memset(big, 'x', WM_TEXT_ECHO_MAX - 1);
	memcpy(big + WM_TEXT_ECHO_MAX - 1, "\xe2\x82\xac", 4);
	wm_text_echo(big, buf, sizeof buf);
	ck_assert_uint_eq(strlen(buf), WM_TEXT_ECHO_MAX - 1 + 3);
}
END_TEST

/* ---- text values ---- */

static int parse(const char *path, const char *text, struct wm_value *v, struct wm_err *err)
{
	struct wm_param_ref ref = ref_of(path);

	wm_err_clear(err);
	return wm_param_parse_value(&ref, text, v, err);
}

static const struct {
	const char *text;
	double want;
} good_db[] = {
	{ "-6", -6.0 }, { "0", 0.0 }, { "12", 12.0 }, { "+12", 12.0 }, { "-0", 0.0 },
	{ "3.5", 3.5 }, { "-89.5", -89.5 }, { "1e1", 10.0 },
	{ "-90", -INFINITY }, { "-90.0", -INFINITY }, { "-120", -INFINITY },
	{ "-1e999", -INFINITY }, { "-inf", -INFINITY }, { "-INF", -INFINITY },
	{ "-Inf", -INFINITY }, { "-infinity", -INFINITY }, { "-INFINITY", -INFINITY },
};

START_TEST(db_good)
{
	static const char *const paths[] = { "ch/1/gain", "ch/8/send/2", "zone/2/gain" };
	struct wm_value v;
	struct wm_err err;

	for (size_t p = 0; p < 3; p++) {
		int rc = parse(paths[p], good_db[_i].text, &v, &err);

		ck_assert_msg(rc == 0, "%s %s: %s", paths[p], good_db[_i].text, err.msg);
		ck_assert_int_eq(v.type, WM_TYPE_DB);
		if (isinf(good_db[_i].want))
			ck_assert(isinf(v.num) && v.num < 0);
		else
			ck_assert_double_eq(v.num, good_db[_i].want);
	}
}
END_TEST

START_TEST(db_bad)
{
	struct wm_value v;
	struct wm_err err;

	ck_assert_err(parse("ch/1/gain", "banana", &v, &err), err, WM_E_BAD_TYPE,
		      "ch/1/gain wants a number in dB (or -inf); got \"banana\"");
	ck_assert_str_eq(err.msg, "ch/1/gain wants a number in dB (or -inf); got \"banana\"");
	ck_assert_err(parse("ch/1/gain", "20", &v, &err), err, WM_E_OUT_OF_RANGE,
		      "ch/1/gain: 20 dB is above the maximum of +12 dB");
	ck_assert_str_eq(err.msg, "ch/1/gain: 20 dB is above the maximum of +12 dB");
	ck_assert_err(parse("ch/1/gain", "12.001", &v, &err), err, WM_E_OUT_OF_RANGE,
		      "above the maximum of +12 dB");
	ck_assert_err(parse("ch/2/send/1", "1e999", &v, &err), err, WM_E_OUT_OF_RANGE,
		      "ch/2/send/1: 1e999 is out of range");
	ck_assert_err(parse("zone/1/gain", "13", &v, &err), err, WM_E_OUT_OF_RANGE,
		      "zone/1/gain: 13 dB is above the maximum of +12 dB");

	static const char *const not_numbers[] = {
		"", " ", " 1", "1 ", "1dB", "inf", "+inf", "INF", "infinity", "nan",
		"-nan", "NaN", "--1", "1,5", "0x", "-", "- inf", "-in", "-infx",
	};
	for (size_t i = 0; i < sizeof not_numbers / sizeof not_numbers[0]; i++) {
		ck_assert_err(parse("ch/1/gain", not_numbers[i], &v, &err), err,
			      WM_E_BAD_TYPE, "wants a number in dB (or -inf)");
	}
}
END_TEST

START_TEST(float_values)
{
	struct wm_value v;
	struct wm_err err;

	ck_assert_int_eq(parse("ch/1/pan", "-1", &v, &err), 0);
	ck_assert_int_eq(v.type, WM_TYPE_FLOAT);
	ck_assert_double_eq(v.num, -1.0);
	ck_assert_int_eq(parse("ch/1/pan", "0.5", &v, &err), 0);
	ck_assert_double_eq(v.num, 0.5);
	ck_assert_int_eq(parse("ch/1/pan", "1", &v, &err), 0);
	ck_assert_double_eq(v.num, 1.0);
	ck_assert_err(parse("ch/1/pan", "1.5", &v, &err), err, WM_E_OUT_OF_RANGE,
		      "ch/1/pan: 1.5 is above the maximum of 1");
	ck_assert_err(parse("ch/1/pan", "-2", &v, &err), err, WM_E_OUT_OF_RANGE,
		      "ch/1/pan: -2 is below the minimum of -1");
	ck_assert_err(parse("ch/1/pan", "left", &v, &err), err, WM_E_BAD_TYPE,
		      "ch/1/pan wants a number from -1 to 1; got \"left\"");
	ck_assert_err(parse("ch/1/pan", "-inf", &v, &err), err, WM_E_BAD_TYPE,
		      "wants a number from -1 to 1");
	ck_assert_err(parse("ch/1/pan", "nan", &v, &err), err, WM_E_BAD_TYPE, "from -1 to 1");
	ck_assert_err(parse("ch/1/pan", "1e999", &v, &err), err, WM_E_OUT_OF_RANGE,
		      "out of range (-1..+1)");

	ck_assert_int_eq(parse("ch/4/fader", "0", &v, &err), 0);
	ck_assert_double_eq(v.num, 0.0);
	ck_assert_int_eq(parse("ch/4/fader", "0.75", &v, &err), 0);
	ck_assert_double_eq(v.num, 0.75);
	ck_assert_err(parse("ch/4/fader", "1.01", &v, &err), err, WM_E_OUT_OF_RANGE,
		      "ch/4/fader: 1.01 is above the maximum of 1");
	ck_assert_err(parse("ch/4/fader", "-0.1", &v, &err), err, WM_E_OUT_OF_RANGE,
		      "below the minimum of 0");
}
END_TEST

static const struct {
	const char *text;
	bool on;
} bools[] = {
	{ "0", false }, { "1", true }, { "on", true }, { "off", false },
	{ "true", true }, { "false", false }, { "yes", true }, { "no", false },
	{ "ON", true }, { "Off", false }, { "TRUE", true }, { "False", false },
	{ "Yes", true }, { "NO", false },
};

START_TEST(bool_good)
{
	struct wm_value v;
	struct wm_err err;

	ck_assert_int_eq(parse("ch/1/mute", bools[_i].text, &v, &err), 0);
	ck_assert_int_eq(v.type, WM_TYPE_BOOL);
	ck_assert_int_eq(v.on, bools[_i].on);
	ck_assert_int_eq(parse("zone/2/mute", bools[_i].text, &v, &err), 0);
	ck_assert_int_eq(v.on, bools[_i].on);
	ck_assert_int_eq(parse("ch/5/solo", bools[_i].text, &v, &err), 0);
	ck_assert_int_eq(v.on, bools[_i].on);
}
END_TEST

START_TEST(bool_bad)
{
	static const char *const bad[] = { "2", "-1", "0.5", "maybe", "", "onn", "y", "1 " };
	struct wm_value v;
	struct wm_err err;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_err(parse("ch/1/solo", bad[i], &v, &err), err, WM_E_BAD_TYPE,
			      "ch/1/solo wants 0 or 1 (also on/off, true/false, yes/no)");
}
END_TEST

START_TEST(name_values)
{
	struct wm_value v;
	struct wm_err err;
	char longest[WM_NAME_MAX], too_long[WM_NAME_MAX + 1];

	ck_assert_int_eq(parse("ch/1/name", "Music", &v, &err), 0);
	ck_assert_int_eq(v.type, WM_TYPE_STRING);
	ck_assert_str_eq(v.text, "Music");
	ck_assert_int_eq(parse("zone/1/name", "Tunnel exit", &v, &err), 0);
	ck_assert_str_eq(v.text, "Tunnel exit");
	ck_assert_int_eq(parse("ch/1/name", "W\xc3\xa4sche \xf0\x9f\x9a\x97", &v, &err), 0);
	ck_assert_str_eq(v.text, "W\xc3\xa4sche \xf0\x9f\x9a\x97");

	memset(longest, 'a', sizeof longest - 1);
	longest[sizeof longest - 1] = '\0';
	ck_assert_int_eq(parse("ch/1/name", longest, &v, &err), 0);
	ck_assert_str_eq(v.text, longest);
	memset(too_long, 'a', sizeof too_long - 1);
	too_long[sizeof too_long - 1] = '\0';
	ck_assert_err(parse("ch/1/name", too_long, &v, &err), err, WM_E_BAD_TYPE,
		      "names are 1..63 bytes");
	ck_assert_err(parse("ch/1/name", "", &v, &err), err, WM_E_BAD_TYPE,
		      "ch/1/name must not be empty");

	static const char *const bad_utf8[] = {
		"\xff", "abc\x80", "\xc0\x80", "\xc3", "\xe2\x82", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\xe0\x80\xaf",
	};
	for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++)
		ck_assert_err(parse("zone/2/name", bad_utf8[i], &v, &err), err, WM_E_BAD_TYPE,
			      "zone/2/name: the name is not valid UTF-8");

	static const char *const controls[] = { "a\tb", "a\nb", "\x1b[31m", "x\x7f", "x\xc2\x85" };
	for (size_t i = 0; i < sizeof controls / sizeof controls[0]; i++)
		ck_assert_err(parse("ch/2/name", controls[i], &v, &err), err, WM_E_BAD_TYPE,
			      "contains a control character");
}
END_TEST

/* ---- typed values (OSC, JSON) ---- */

static int check(const char *path, struct wm_value *v, struct wm_err *err)
{
	struct wm_param_ref ref = ref_of(path);

	wm_err_clear(err);
	return wm_param_check_value(&ref, v, err);
}

START_TEST(check_typed)
{
	struct wm_value v;
	struct wm_err err;

	v = (struct wm_value){ .type = WM_TYPE_FLOAT, .num = -6.0 };
	ck_assert_int_eq(check("ch/1/gain", &v, &err), 0);
	ck_assert_int_eq(v.type, WM_TYPE_DB);
	ck_assert_double_eq(v.num, -6.0);
	v = (struct wm_value){ .type = WM_TYPE_DB, .num = -95.0 };
	ck_assert_int_eq(check("ch/1/send/2", &v, &err), 0);
	ck_assert(isinf(v.num) && v.num < 0);
	v = (struct wm_value){ .type = WM_TYPE_DB, .num = -INFINITY };
	ck_assert_int_eq(check("zone/1/gain", &v, &err), 0);
	v = (struct wm_value){ .type = WM_TYPE_FLOAT, .num = 12.5 };
	ck_assert_err(check("ch/1/gain", &v, &err), err, WM_E_OUT_OF_RANGE, "maximum of +12 dB");
	v = (struct wm_value){ .type = WM_TYPE_FLOAT, .num = NAN };
	ck_assert_err(check("ch/1/gain", &v, &err), err, WM_E_BAD_TYPE, "number in dB");
	v = (struct wm_value){ .type = WM_TYPE_FLOAT, .num = INFINITY };
	ck_assert_err(check("ch/1/gain", &v, &err), err, WM_E_BAD_TYPE, "number in dB");
	v = (struct wm_value){ .type = WM_TYPE_BOOL, .on = true };
	ck_assert_err(check("ch/1/gain", &v, &err), err, WM_E_BAD_TYPE, "got a boolean");

	v = (struct wm_value){ .type = WM_TYPE_FLOAT, .num = 2.0 };
	ck_assert_err(check("ch/1/pan", &v, &err), err, WM_E_OUT_OF_RANGE, "maximum of 1");
	v = (struct wm_value){ .type = WM_TYPE_FLOAT, .num = -INFINITY };
	ck_assert_err(check("ch/1/pan", &v, &err), err, WM_E_BAD_TYPE, "from -1 to 1");
	v = (struct wm_value){ .type = WM_TYPE_DB, .num = 0.25 };
	ck_assert_int_eq(check("ch/1/fader", &v, &err), 0);
	ck_assert_int_eq(v.type, WM_TYPE_FLOAT);

	v = (struct wm_value){ .type = WM_TYPE_FLOAT, .num = 1.0 };
	ck_assert_int_eq(check("ch/1/mute", &v, &err), 0);
	ck_assert_int_eq(v.type, WM_TYPE_BOOL);
	ck_assert(v.on);
	v = (struct wm_value){ .type = WM_TYPE_FLOAT, .num = 0.0, .on = true };
	ck_assert_int_eq(check("ch/1/solo", &v, &err), 0);
	ck_assert(!v.on);
	v = (struct wm_value){ .type = WM_TYPE_FLOAT, .num = 0.5 };
	ck_assert_err(check("ch/1/mute", &v, &err), err, WM_E_BAD_TYPE, "wants 0 or 1");
	v = (struct wm_value){ .type = WM_TYPE_DB, .num = 2.0 };
	ck_assert_err(check("zone/1/mute", &v, &err), err, WM_E_BAD_TYPE, "got 2");
	v = (struct wm_value){ .type = WM_TYPE_BOOL, .on = true };
	ck_assert_int_eq(check("zone/1/mute", &v, &err), 0);
	ck_assert(v.on);

	v = (struct wm_value){ .type = WM_TYPE_STRING, .text = "Announcements" };
	ck_assert_int_eq(check("ch/3/name", &v, &err), 0);
	v = (struct wm_value){ .type = WM_TYPE_STRING, .text = "bad\xff" };
	ck_assert_err(check("ch/3/name", &v, &err), err, WM_E_BAD_TYPE, "UTF-8");
	v = (struct wm_value){ .type = WM_TYPE_FLOAT, .num = 1.0 };
	ck_assert_err(check("ch/3/name", &v, &err), err, WM_E_BAD_TYPE, "wants a name");
	v = (struct wm_value){ .type = WM_TYPE_STRING };
	memset(v.text, 'n', sizeof v.text); /* no terminator at all */
	ck_assert_err(check("zone/1/name", &v, &err), err, WM_E_BAD_TYPE, "names are 1..63 bytes");

	/* Strings for typed parameters are parsed like text. */
	v = (struct wm_value){ .type = WM_TYPE_STRING, .text = "-inf" };
	ck_assert_int_eq(check("ch/2/gain", &v, &err), 0);
	ck_assert_int_eq(v.type, WM_TYPE_DB);
	ck_assert(isinf(v.num) && v.num < 0);
	v = (struct wm_value){ .type = WM_TYPE_STRING, .text = "on" };
	ck_assert_int_eq(check("ch/2/mute", &v, &err), 0);
	ck_assert(v.on);
	v = (struct wm_value){ .type = WM_TYPE_STRING, .text = "loud" };
	ck_assert_err(check("ch/2/gain", &v, &err), err, WM_E_BAD_TYPE, "got \"loud\"");
}
END_TEST

/* ---- get / set ---- */

START_TEST(get_defaults)
{
	struct wm_value v;
	struct wm_param_ref ref = { .id = (enum wm_param_id)-1 };

	while (wm_param_next(&mix, &ref)) {
		const struct wm_param_info *info = wm_param_info(ref.id);

		wm_param_get(&mix, &ref, &v);
		ck_assert_int_eq(v.type, info->type);
		if (info->type == WM_TYPE_STRING)
			continue;
		if (info->type == WM_TYPE_BOOL)
			ck_assert_int_eq(v.on, info->def != 0.0);
		else
			ck_assert_double_eq(v.num, info->def);
	}
	wm_param_get(&mix, &(struct wm_param_ref){ WM_PARAM_CH_NAME, 2, -1 }, &v);
	ck_assert_str_eq(v.text, "ch 3");
	wm_param_get(&mix, &(struct wm_param_ref){ WM_PARAM_ZONE_NAME, -1, 1 }, &v);
	ck_assert_str_eq(v.text, "zone 2");
}
END_TEST

START_TEST(set_and_get)
{
	struct wm_param_ref gain = ref_of("ch/2/gain"), fader = ref_of("ch/2/fader");
	struct wm_value v = { .type = WM_TYPE_DB, .num = -10.0 }, got;

	ck_assert(wm_param_set(&mix, &gain, &v));
	ck_assert(!wm_param_set(&mix, &gain, &v));
	wm_param_get(&mix, &fader, &got);
	ck_assert_double_eq(got.num, 0.5);
	v = (struct wm_value){ .type = WM_TYPE_FLOAT, .num = 0.25 };
	ck_assert(wm_param_set(&mix, &fader, &v));
	ck_assert_double_eq(mix.ch[1].gain_db, -30.0);
	ck_assert(!wm_param_set(&mix, &fader, &v));
	v = (struct wm_value){ .type = WM_TYPE_DB, .num = -INFINITY };
	ck_assert(wm_param_set(&mix, &gain, &v));
	ck_assert(!wm_param_set(&mix, &gain, &v));
	wm_param_get(&mix, &fader, &got);
	ck_assert_double_eq(got.num, 0.0);

	struct wm_param_ref send = ref_of("ch/2/send/2");
	v = (struct wm_value){ .type = WM_TYPE_DB, .num = -3.0 };
	ck_assert(wm_param_set(&mix, &send, &v));
	ck_assert_double_eq(mix.ch[1].send_db[1], -3.0);
	ck_assert_double_eq(mix.ch[1].send_db[0], 0.0);

	struct wm_param_ref solo = ref_of("ch/8/solo");
	v = (struct wm_value){ .type = WM_TYPE_BOOL, .on = true };
	ck_assert(!wm_mix_any_solo(&mix));
	ck_assert(wm_param_set(&mix, &solo, &v));
	ck_assert(wm_mix_any_solo(&mix));
	ck_assert(!wm_param_set(&mix, &solo, &v));

	struct wm_param_ref zmute = ref_of("zone/2/mute");
	ck_assert(wm_param_set(&mix, &zmute, &v));
	ck_assert(mix.zone[1].mute);
	ck_assert(!mix.zone[0].mute);

	struct wm_param_ref name = ref_of("zone/1/name");
	v = (struct wm_value){ .type = WM_TYPE_STRING, .text = "Dryer" };
	ck_assert(wm_param_set(&mix, &name, &v));
	ck_assert(!wm_param_set(&mix, &name, &v));
	wm_param_get(&mix, &name, &got);
	ck_assert_str_eq(got.text, "Dryer");

	struct wm_param_ref pan = ref_of("ch/1/pan");
	v = (struct wm_value){ .type = WM_TYPE_FLOAT, .num = -0.25 };
	ck_assert(wm_param_set(&mix, &pan, &v));
	wm_param_get(&mix, &pan, &got);
	ck_assert_double_eq(got.num, -0.25);
}
END_TEST

START_TEST(mix_defaults)
{
	struct wm_mix m;
	bool mono[3] = { false, true, false };

	wm_mix_init(&m, 3, 4, mono);
	ck_assert_int_eq(m.channels, 3);
	ck_assert_int_eq(m.zones, 4);
	ck_assert(!m.mono[0] && m.mono[1] && !m.mono[2] && !m.mono[3]);
	for (int c = 0; c < 3; c++) {
		char want[16];

		snprintf(want, sizeof want, "ch %d", c + 1);
		ck_assert_str_eq(m.ch[c].name, want);
		ck_assert_double_eq(m.ch[c].gain_db, 0.0);
		ck_assert_double_eq(m.ch[c].pan, 0.0);
		ck_assert(!m.ch[c].mute && !m.ch[c].solo);
		for (int z = 0; z < 4; z++)
			ck_assert_double_eq(m.ch[c].send_db[z], 0.0);
	}
	ck_assert_str_eq(m.zone[3].name, "zone 4");
	ck_assert_double_eq(m.zone[3].gain_db, 0.0);
	ck_assert(!m.zone[3].mute);
	ck_assert(!wm_mix_any_solo(&m));
	m.ch[2].solo = true;
	ck_assert(wm_mix_any_solo(&m));
	m.ch[2].solo = false;
	m.ch[5].solo = true; /* outside the topology: not a solo */
	ck_assert(!wm_mix_any_solo(&m));

	wm_mix_init(&m, 2, 1, NULL);
	ck_assert(!m.mono[0] && !m.mono[1]);
}
END_TEST

/* ---- taper and dB ---- */

START_TEST(fader_points)
{
	ck_assert(isinf(wm_fader_to_db(0.0)) && wm_fader_to_db(0.0) < 0);
	ck_assert(isinf(wm_fader_to_db(-0.5)) && wm_fader_to_db(-0.5) < 0);
	ck_assert_double_eq(wm_fader_to_db(0.0625), -60.0);
	ck_assert_double_eq(wm_fader_to_db(0.25), -30.0);
	ck_assert_double_eq(wm_fader_to_db(0.5), -10.0);
	ck_assert_double_eq(wm_fader_to_db(0.75), 0.0);
	ck_assert_double_eq(wm_fader_to_db(1.0), 12.0);
	ck_assert_double_eq(wm_fader_to_db(2.0), 12.0);
	ck_assert_double_eq(wm_fader_to_db(0.03125), -75.0);
	ck_assert_double_eq_tol(wm_fader_to_db(1e-9), -90.0, 1e-6);
	ck_assert_double_eq(wm_fader_to_db(0.625), -5.0);
	ck_assert_double_eq(wm_fader_to_db(0.875), 6.0);

	ck_assert_double_eq(wm_db_to_fader(-INFINITY), 0.0);
	ck_assert_double_eq(wm_db_to_fader(-90.0), 0.0);
	ck_assert_double_eq(wm_db_to_fader(-200.0), 0.0);
	ck_assert_double_eq(wm_db_to_fader(-75.0), 0.03125);
	ck_assert_double_eq(wm_db_to_fader(-60.0), 0.0625);
	ck_assert_double_eq(wm_db_to_fader(-30.0), 0.25);
	ck_assert_double_eq(wm_db_to_fader(-10.0), 0.5);
	ck_assert_double_eq(wm_db_to_fader(0.0), 0.75);
	ck_assert_double_eq(wm_db_to_fader(12.0), 1.0);
	ck_assert_double_eq(wm_db_to_fader(20.0), 1.0);
}
END_TEST

START_TEST(fader_round_trip)
{
	double prev = -INFINITY;

	for (int i = 1; i <= 10000; i++) {
		double f = i / 10000.0, db = wm_fader_to_db(f);

		ck_assert_double_eq_tol(wm_db_to_fader(db), f, 1e-12);
		ck_assert(db > prev); /* strictly rising */
		prev = db;
	}
	for (int tenth = -899; tenth <= 120; tenth++) {
		double db = tenth / 10.0;

		ck_assert_double_eq_tol(wm_fader_to_db(wm_db_to_fader(db)), db, 1e-9);
	}
}
END_TEST

START_TEST(db_to_lin)
{
	ck_assert_double_eq(wm_db_to_lin(0.0), 1.0);
	ck_assert_double_eq(wm_db_to_lin(-INFINITY), 0.0);
	ck_assert_double_eq(wm_db_to_lin(-90.0), 0.0);
	ck_assert_double_eq(wm_db_to_lin(-1000.0), 0.0);
	ck_assert_double_eq(wm_db_to_lin(NAN), 0.0);
	ck_assert_double_eq_tol(wm_db_to_lin(-6.0), 0.501187233627, 1e-12);
	ck_assert_double_eq_tol(wm_db_to_lin(-20.0), 0.1, 1e-15);
	ck_assert_double_eq_tol(wm_db_to_lin(12.0), 3.98107170553, 1e-10);
	ck_assert(wm_db_to_lin(-89.99) > 0.0);
}
END_TEST

static Suite *params_suite(void)
{
	Suite *s = suite_create("params");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, info_table);
	tcase_add_test(tc, next_order);
	tcase_add_test(tc, duck_role_is_an_enum);
	tcase_add_test(tc, duck_settings_and_limits);
	tcase_add_loop_test(tc, next_count_and_round_trip, 0, sizeof topo / sizeof topo[0]);
	tcase_add_test(tc, parse_path_refs);
	tcase_add_loop_test(tc, bad_path, 0, sizeof bad_paths / sizeof bad_paths[0]);
	tcase_add_test(tc, bad_path_long_is_cut);
	tcase_add_test(tc, text_helpers);
	tcase_add_loop_test(tc, db_good, 0, sizeof good_db / sizeof good_db[0]);
	tcase_add_test(tc, db_bad);
	tcase_add_test(tc, float_values);
	tcase_add_loop_test(tc, bool_good, 0, sizeof bools / sizeof bools[0]);
	tcase_add_test(tc, bool_bad);
	tcase_add_test(tc, name_values);
	tcase_add_test(tc, check_typed);
	tcase_add_test(tc, get_defaults);
	tcase_add_test(tc, set_and_get);
	tcase_add_test(tc, mix_defaults);
	tcase_add_test(tc, fader_points);
	tcase_add_test(tc, fader_round_trip);
	tcase_add_test(tc, db_to_lin);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(params_suite());
}
