/* check_render_request.c - render/request: good requests get every default,
 * every kind of bad field is refused with the field named, and the
 * canonical form is the same for equivalent requests (key order, defaults
 * written out or not) and differs for different ones. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render/request.h"

#include "tests/support/suite.h"

static const struct wm_render_limits lim = { .channels = 8, .zones = 2 };

static int parse(const char *text, struct wm_render_request *req, struct wm_err *err)
{
	return wm_render_request_parse(text, strlen(text), &lim, req, err);
}

static char *canon(const char *text)
{
	struct wm_render_request req;
	struct wm_err err = { 0 };

	ck_assert_msg(parse(text, &req, &err) == 0, "%s: %s", text, err.msg);
	char *s = wm_render_request_canonical(&req, NULL);
	wm_render_request_free(&req);
	ck_assert_ptr_nonnull(s);
	return s;
}

START_TEST(defaults)
{
	struct wm_render_request req;
	struct wm_err err = { 0 };

	ck_assert_int_eq(parse("{\"inputs\":{\"3\":\"v/w.wav\",\"1\":{\"file\":\"m.flac\","
			       "\"offset\":2.5}},\"output\":{\"file\":\"o.flac\"}}",
			       &req, &err), 0);
	ck_assert_int_eq(req.ninputs, 2);
	ck_assert_int_eq(req.input[0].ch, 0);
	ck_assert_str_eq(req.input[0].file, "m.flac");
	ck_assert_double_eq(req.input[0].offset_s, 2.5);
	ck_assert_int_eq(req.input[1].ch, 2);
	ck_assert_double_eq(req.input[1].offset_s, 0.0);
	ck_assert_double_lt(req.duration_s, 0.0);
	ck_assert_int_eq(req.format, WM_RENDER_FLAC);
	ck_assert_uint_eq(req.rate, 0);
	ck_assert_int_eq(req.zone, 0);
	ck_assert(req.normalise);
	ck_assert_double_eq(req.target_lufs, -14.0);
	ck_assert_double_eq(req.true_peak_db, -1.0);
	ck_assert_int_eq(req.policy, WM_RENDER_LIMIT);
	ck_assert_str_eq(req.scene_name, "");
	ck_assert_ptr_null(req.scene);
	wm_render_request_free(&req);
}
END_TEST

START_TEST(everything_given)
{
	struct wm_render_request req;
	struct wm_err err = { 0 };

	ck_assert_int_eq(parse("{\"scene\":{\"format\":\"washmix-scene\"},\"inputs\":{\"8\":\"a.ogg\"},"
			       "\"duration\":60,\"output\":{\"file\":\"d/o.wav\",\"format\":\"wav24\","
			       "\"rate\":44100,\"zone\":2},\"loudness\":{\"target\":-23,"
			       "\"true_peak\":-2,\"policy\":\"gain-only\"}}",
			       &req, &err), 0);
	ck_assert_ptr_nonnull(req.scene);
	ck_assert_int_eq(req.input[0].ch, 7);
	ck_assert_double_eq(req.duration_s, 60.0);
	ck_assert_int_eq(req.format, WM_RENDER_WAV24);
	ck_assert_uint_eq(req.rate, 44100);
	ck_assert_int_eq(req.zone, 1);
	ck_assert_double_eq(req.target_lufs, -23.0);
	ck_assert_double_eq(req.true_peak_db, -2.0);
	ck_assert_int_eq(req.policy, WM_RENDER_GAIN_ONLY);
	wm_render_request_free(&req);

	ck_assert_int_eq(parse("{\"scene\":\"evening-2\",\"inputs\":{\"1\":\"a.wav\"},"
			       "\"output\":{\"file\":\"o.OGA\"},\"loudness\":null}", &req, &err), 0);
	ck_assert_str_eq(req.scene_name, "evening-2");
	ck_assert_int_eq(req.format, WM_RENDER_OGG);
	ck_assert(!req.normalise);
	wm_render_request_free(&req);
}
END_TEST

/* Each bad request: the code and a piece of the message (the field). */
static const struct {
	const char *text;
	enum wm_errcode code;
	const char *field;
} bad[] = {
	{ "{\"inputs\":", WM_E_BAD_REQUEST, "not valid JSON" },
	{ "[1]", WM_E_BAD_REQUEST, "JSON object" },
	{ "{\"inputs\":{\"1\":\"a.wav\"},\"inputs\":{},\"output\":{\"file\":\"o.wav\"}}",
	  WM_E_BAD_REQUEST, "duplicate" },
	{ "{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"},\"gain\":3}",
	  WM_E_BAD_REQUEST, "gain: unknown key" },
	{ "{\"output\":{\"file\":\"o.wav\"}}", WM_E_BAD_REQUEST, "inputs: missing" },
	{ "{\"inputs\":{},\"output\":{\"file\":\"o.wav\"}}", WM_E_BAD_REQUEST, "inputs: must" },
	{ "{\"inputs\":{\"9\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"}}", WM_E_OUT_OF_RANGE,
	  "inputs.9" },
	{ "{\"inputs\":{\"01\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"}}", WM_E_BAD_REQUEST,
	  "inputs.01" },
	{ "{\"inputs\":{\"x\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"}}", WM_E_BAD_REQUEST,
	  "inputs.x" },
	{ "{\"inputs\":{\"1\":\"../a.wav\"},\"output\":{\"file\":\"o.wav\"}}", WM_E_BAD_PATH,
	  "inputs.1" },
	{ "{\"inputs\":{\"1\":\"/etc/passwd\"},\"output\":{\"file\":\"o.wav\"}}", WM_E_BAD_PATH,
	  "inputs.1" },
	{ "{\"inputs\":{\"1\":7},\"output\":{\"file\":\"o.wav\"}}", WM_E_BAD_REQUEST, "inputs.1" },
	{ "{\"inputs\":{\"2\":{\"file\":\"a.wav\",\"offset\":-1}},\"output\":{\"file\":\"o.wav\"}}",
	  WM_E_OUT_OF_RANGE, "inputs.2.offset" },
	{ "{\"inputs\":{\"2\":{\"file\":\"a.wav\",\"gain\":1}},\"output\":{\"file\":\"o.wav\"}}",
	  WM_E_BAD_REQUEST, "inputs.2.gain" },
	{ "{\"inputs\":{\"2\":{\"offset\":1}},\"output\":{\"file\":\"o.wav\"}}",
	  WM_E_BAD_REQUEST, "inputs.2.file" },
	{ "{\"inputs\":{\"1\":\"a.wav\"},\"duration\":0,\"output\":{\"file\":\"o.wav\"}}",
	  WM_E_OUT_OF_RANGE, "duration" },
	{ "{\"inputs\":{\"1\":\"a.wav\"},\"duration\":1e9,\"output\":{\"file\":\"o.wav\"}}",
	  WM_E_OUT_OF_RANGE, "duration" },
	{ "{\"inputs\":{\"1\":\"a.wav\"},\"duration\":\"60\",\"output\":{\"file\":\"o.wav\"}}",
	  WM_E_BAD_REQUEST, "duration" },
	{ "{\"inputs\":{\"1\":\"a.wav\"}}", WM_E_BAD_REQUEST, "output: missing" },
	{ "{\"inputs\":{\"1\":\"a.wav\"},\"output\":{}}", WM_E_BAD_REQUEST, "output.file" },
	{ "{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"../o.wav\"}}", WM_E_BAD_PATH,
	  "output.file" },
	{ "{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.mp3\"}}", WM_E_BAD_REQUEST,
	  "output.format" },
	{ "{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\",\"format\":\"mp3\"}}",
	  WM_E_BAD_REQUEST, "output.format" },
	{ "{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\",\"rate\":1000}}",
	  WM_E_OUT_OF_RANGE, "output.rate" },
	{ "{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\",\"rate\":44100.5}}",
	  WM_E_BAD_REQUEST, "output.rate" },
	{ "{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\",\"zone\":3}}",
	  WM_E_OUT_OF_RANGE, "output.zone" },
	{ "{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\",\"bits\":16}}",
	  WM_E_BAD_REQUEST, "output.bits" },
	{ "{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"},\"loudness\":{\"target\":0}}",
	  WM_E_OUT_OF_RANGE, "loudness.target" },
	{ "{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"},"
	  "\"loudness\":{\"true_peak\":1}}", WM_E_OUT_OF_RANGE, "loudness.true_peak" },
	{ "{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"},"
	  "\"loudness\":{\"policy\":\"loud\"}}", WM_E_BAD_REQUEST, "loudness.policy" },
	{ "{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"},"
	  "\"loudness\":{\"lra\":7}}", WM_E_BAD_REQUEST, "loudness.lra" },
	{ "{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"},\"loudness\":-14}",
	  WM_E_BAD_REQUEST, "loudness" },
	{ "{\"scene\":\"../x\",\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"}}",
	  WM_E_BAD_NAME, "scene" },
	{ "{\"scene\":3,\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"}}",
	  WM_E_BAD_REQUEST, "scene" },
};

START_TEST(bad_fields_named)
{
	struct wm_render_request req;
	struct wm_err err = { 0 };

	ck_assert_msg(parse(bad[_i].text, &req, &err) < 0, "accepted %s", bad[_i].text);
	ck_assert_msg(err.code == bad[_i].code, "%s: code %s, want %s (%s)", bad[_i].text,
		      wm_errcode_name(err.code), wm_errcode_name(bad[_i].code), err.msg);
	ck_assert_msg(strstr(err.msg, bad[_i].field) != NULL, "%s: \"%s\" lacks \"%s\"",
		      bad[_i].text, err.msg, bad[_i].field);
	ck_assert_ptr_null(req.scene);
}
END_TEST

START_TEST(canonical_equal)
{
	char *a = canon("{\"inputs\":{\"1\":\"a.wav\",\"3\":\"b.wav\"},\"output\":{\"file\":\"o.wav\"}}");
	char *b = canon("{\"output\":{\"zone\":1,\"format\":\"wav\",\"file\":\"o.wav\"},"
			"\"loudness\":{\"policy\":\"limit\",\"true_peak\":-1,\"target\":-14.0},"
			"\"inputs\":{\"3\":{\"offset\":0,\"file\":\"b.wav\"},\"1\":\"a.wav\"}}");
	ck_assert_str_eq(a, b);
	ck_assert_ptr_nonnull(strstr(a, "\"target\":-14"));
	ck_assert_ptr_nonnull(strstr(a, "\"zone\":1"));
	free(a);
	free(b);
	a = canon("{\"scene\":{\"b\":1,\"a\":2},\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"}}");
	b = canon("{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"},\"scene\":{\"a\":2,\"b\":1}}");
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
}
END_TEST

START_TEST(canonical_differs)
{
	static const char *const reqs[] = {
		"{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"}}",
		"{\"inputs\":{\"2\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"}}",
		"{\"inputs\":{\"1\":{\"file\":\"a.wav\",\"offset\":1}},\"output\":{\"file\":\"o.wav\"}}",
		"{\"inputs\":{\"1\":\"a.wav\"},\"duration\":5,\"output\":{\"file\":\"o.wav\"}}",
		"{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\",\"format\":\"wav24\"}}",
		"{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\",\"rate\":48000}}",
		"{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\",\"zone\":2}}",
		"{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"},\"loudness\":null}",
		"{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"},\"loudness\":{\"target\":-16}}",
		"{\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"},\"loudness\":{\"policy\":\"gain-only\"}}",
		"{\"scene\":\"x\",\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"}}",
		"{\"scene\":{},\"inputs\":{\"1\":\"a.wav\"},\"output\":{\"file\":\"o.wav\"}}",
	};
	enum { N = sizeof reqs / sizeof reqs[0] };
	char *c[N];

	for (int i = 0; i < N; i++)
		c[i] = canon(reqs[i]);
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			ck_assert_msg(strcmp(c[i], c[j]) != 0, "%s == %s", reqs[i], reqs[j]);
	for (int i = 0; i < N; i++)
		free(c[i]);
}
END_TEST

START_TEST(canonical_scene_content)
{
	struct wm_render_request req;
	struct wm_err err = { 0 };
	json_t *content = json_pack("{s:s}", "name", "evening");

	ck_assert_int_eq(parse("{\"scene\":\"evening\",\"inputs\":{\"1\":\"a.wav\"},"
			       "\"output\":{\"file\":\"o.wav\"}}", &req, &err), 0);
	char *s = wm_render_request_canonical(&req, content);
	ck_assert_ptr_nonnull(strstr(s, "\"scene\":{\"name\":\"evening\"}"));
	free(s);
	json_decref(content);
	wm_render_request_free(&req);
	ck_assert_str_eq(wm_render_format_name(WM_RENDER_WAV24), "wav24");
}
END_TEST

static Suite *request_suite(void)
{
	Suite *s = suite_create("render_request");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, everything_given);
	tcase_add_loop_test(tc, bad_fields_named, 0, (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(tc, canonical_equal);
	tcase_add_test(tc, canonical_differs);
	tcase_add_test(tc, canonical_scene_content);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(request_suite());
}
