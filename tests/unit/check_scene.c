/* check_scene.c - scene documents: a whole mix survives JSON and back, every
 * kind of hand-made mistake is refused naming the field, and a scene meets a
 * mix of another size with warnings instead of errors. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "presets/scene.h"

#include "tests/support/suite.h"

static struct wm_mix a, b;

static void setup(void)
{
	bool mono[WM_MAX_CHANNELS] = { false };
	mono[1] = true;
	wm_mix_init(&a, 4, 2, mono);
	wm_mix_init(&b, 4, 2, mono);
}

static char *dump(const struct wm_mix *mix)
{
	json_t *j = wm_scene_from_mix(mix, "t");
	char *text = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	return text;
}

static void apply(struct wm_mix *mix, const struct wm_scene *s)
{
	for (size_t i = 0; i < s->count; i++)
		wm_param_set(mix, &s->items[i].ref, &s->items[i].value);
}

START_TEST(whole_mix_round_trip)
{
	a.ch[0].gain_db = -6.5;
	a.ch[1].gain_db = -INFINITY;
	a.ch[1].pan = -0.25;
	a.ch[2].mute = true;
	a.ch[3].solo = true;
	a.ch[0].send_db[1] = -3;
	a.ch[2].send_db[0] = -INFINITY;
	a.zone[1].gain_db = 4;
	a.zone[0].mute = true;
	a.ch[0].duck = WM_DUCK_DUCKED;
	a.ch[2].duck = WM_DUCK_KEY;
	a.zone[1].limit_db = -6;
	a.duck.depth_db = 18;
	a.duck.hold_ms = 450;
	strcpy(a.ch[0].name, "Music bed \xc3\xa9");
	strcpy(a.zone[1].name, "Exit");
	char *text = dump(&a);
	struct wm_scene s;
	struct wm_err err;
	ck_assert_int_eq(wm_scene_parse(text, strlen(text), "t.json", &b, &s, &err), 0);
	ck_assert_int_eq(s.nwarnings, 0);
	apply(&b, &s);
	ck_assert(memcmp(&a, &b, sizeof a) == 0);
	wm_scene_free(&s);
	free(text);
}
END_TEST

static void expect_bad(const char *text, const char *needle)
{
	struct wm_scene s;
	struct wm_err err = { 0 };
	ck_assert_int_eq(wm_scene_parse(text, strlen(text), "scenes/x.json", &a, &s, &err), -1);
	ck_assert_int_eq(err.code, WM_E_BAD_FILE);
	ck_assert_msg(strstr(err.msg, "scenes/x.json") && strstr(err.msg, needle),
		      "\"%s\" lacks \"%s\"", err.msg, needle);
	ck_assert_ptr_null(s.items);
}

#define HEAD "{\"format\":\"washmix-scene\",\"version\":1,"

START_TEST(mistakes_name_the_field)
{
	expect_bad(HEAD "\"channels\":[{\"id\":1,\"gain\":-6}", "line 1");
	expect_bad("", "column");
	expect_bad("[]", "a scene is a JSON object");
	expect_bad("{\"format\":\"other\",\"version\":1}", "format");
	expect_bad("{\"format\":\"washmix-scene\",\"version\":2}", "version");
	expect_bad(HEAD "\"channels\":[{\"id\":1,\"gain\":\"loud\"}]}", "channels[0].gain");
	expect_bad(HEAD "\"channels\":[{\"id\":1,\"gain\":40}]}", "channels[0].gain");
	expect_bad(HEAD "\"channels\":[{\"id\":1,\"pan\":2}]}", "channels[0].pan");
	expect_bad(HEAD "\"channels\":[{\"id\":1,\"mute\":3}]}", "channels[0].mute");
	expect_bad(HEAD "\"channels\":[{\"id\":1,\"gian\":0}]}", "channels[0].gian: unknown key");
	expect_bad(HEAD "\"channels\":[{\"gain\":0}]}", "channels[0].id");
	expect_bad(HEAD "\"channels\":[{\"id\":1},{\"id\":1}]}", "appears twice");
	expect_bad(HEAD "\"channels\":[{\"id\":1,\"sends\":{\"one\":0}}]}", "channels[0].sends.one");
	expect_bad(HEAD "\"channels\":[{\"id\":1,\"sends\":{\"2\":99}}]}", "channels[0].sends.2");
	expect_bad(HEAD "\"zones\":[{\"id\":1,\"limit\":3}]}", "zones[0].limit");
	expect_bad(HEAD "\"zones\":[{\"id\":1,\"hpf\":80}]}", "zones[0].hpf: unknown key");
	expect_bad(HEAD "\"channels\":[{\"id\":1,\"duck\":\"loud\"}]}", "channels[0].duck");
	expect_bad(HEAD "\"duck\":{\"depth\":90}}", "duck.depth");
	expect_bad(HEAD "\"duck\":{\"speed\":1}}", "duck.speed: unknown key");
	expect_bad(HEAD "\"duck\":[]}", "duck: wants an object");
	expect_bad(HEAD "\"channels\":{}}", "channels");
	expect_bad(HEAD "\"colour\":\"red\"}", "colour");
	expect_bad(HEAD "\"channels\":[{\"id\":1,\"gain\":0,\"gain\":1}]}", "duplicate");
}
END_TEST

START_TEST(partial_scenes_and_other_sizes)
{
	struct wm_scene s;
	struct wm_err err;
	const char *text = HEAD "\"channels\":[{\"id\":2,\"gain\":-10},{\"id\":7,\"gain\":-1}],"
			   "\"zones\":[{\"id\":3,\"mute\":true}]}";
	ck_assert_int_eq(wm_scene_parse(text, strlen(text), "x", &a, &s, &err), 0);
	ck_assert_uint_eq(s.count, 1); /* only channel 2's gain fits this mix */
	ck_assert_int_eq(s.items[0].ref.id, WM_PARAM_CH_GAIN);
	ck_assert_int_eq(s.items[0].ref.ch, 1);
	ck_assert(s.items[0].value.num == -10);
	ck_assert_int_eq(s.nwarnings, 4);
	ck_assert(strstr(s.warnings[0], "1 channel(s) of the scene ignored"));
	ck_assert(strstr(s.warnings[1], "1 zone(s)"));
	ck_assert(strstr(s.warnings[2], "3 of this mix's 4 channels are not in the scene"));
	ck_assert(strstr(s.warnings[3], "2 of this mix's 2 zones"));
	wm_scene_free(&s);
	text = HEAD "\"channels\":[{\"id\":1,\"gain\":\"-inf\",\"mute\":\"on\"}]}";
	ck_assert_int_eq(wm_scene_parse(text, strlen(text), "x", &a, &s, &err), 0);
	ck_assert_uint_eq(s.count, 2);
	ck_assert(isinf(s.items[0].value.num) && s.items[1].value.on);
	wm_scene_free(&s);
}
END_TEST

static Suite *scene_suite(void)
{
	Suite *s = suite_create("scene");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, whole_mix_round_trip);
	tcase_add_test(tc, mistakes_name_the_field);
	tcase_add_test(tc, partial_scenes_and_other_sizes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(scene_suite());
}
