/* check_commands.c - the command table and request parsing: every verb, every
 * error code, tokenizer edge cases. Runs the real tree and a real engine (no
 * JACK server needed: the engine is fed by hand). */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "control/commands.h"
#include "control/tokenize.h"
#include "control/tree.h"
#include "engine/engine.h"

#include "tests/support/suite.h"

static struct wm_tree *tree;
static struct wm_engine *engine;
static struct wm_cmd_env env;
static unsigned conn_topic_bits;
static int quit_calls;
static int health_calls;

static void t_subscribe(void *conn, unsigned t)
{
	(void)conn;
	conn_topic_bits |= t;
}
static void t_unsubscribe(void *conn, unsigned t)
{
	(void)conn;
	conn_topic_bits &= ~t;
}
static unsigned t_topics(void *conn)
{
	(void)conn;
	return conn_topic_bits;
}
static void t_quit(void *conn)
{
	(void)conn;
	quit_calls++;
}
static const struct wm_conn_ops ops = { t_subscribe, t_unsubscribe, t_topics, t_quit };

static void t_health(void *arg, json_t *reply)
{
	(void)arg;
	health_calls++;
	json_object_set_new(reply, "status", json_string("ok"));
}

static void setup(void)
{
	struct wm_mix mix;
	bool mono[WM_MAX_CHANNELS] = { false };
	mono[2] = true;
	wm_mix_init(&mix, 8, 2, mono);
	tree = wm_tree_create(&mix, 20.0);
	struct wm_engine_config ec = { .sample_rate = 48000 };
	struct wm_err err;
	engine = wm_engine_create(&ec, &mix, &err);
	ck_assert_ptr_nonnull(engine);
	wm_tree_attach_engine(tree, engine);
	env = (struct wm_cmd_env){ .tree = tree, .status = { .health = t_health } };
	conn_topic_bits = 0;
	quit_calls = health_calls = 0;
}

static void teardown(void)
{
	wm_engine_destroy(engine);
	wm_tree_destroy(tree);
}

static json_t *run(const char *line)
{
	struct wm_cmd_ctx ctx = { .env = &env, .conn = NULL, .conn_ops = &ops, .by = "test" };
	return wm_command_run_line(&ctx, line, strlen(line));
}

static void expect_ok(const char *line)
{
	json_t *r = run(line);
	ck_assert_msg(r && json_is_true(json_object_get(r, "ok")), "%s -> %s", line,
		      r ? json_dumps(r, 0) : "NULL");
	json_decref(r);
}

static void expect_error(const char *line, const char *code, const char *needle)
{
	json_t *r = run(line);
	ck_assert_ptr_nonnull(r);
	ck_assert(json_is_false(json_object_get(r, "ok")));
	json_t *e = json_object_get(r, "error");
	const char *got = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	ck_assert_msg(strcmp(got, code) == 0, "%s: want %s got %s (%s)", line, code, got, msg);
	if (needle)
		ck_assert_msg(strstr(msg, needle), "%s: message \"%s\" lacks \"%s\"", line, msg,
			      needle);
	json_decref(r);
}

static double get_number(const char *path)
{
	char line[128];
	snprintf(line, sizeof line, "get %s", path);
	json_t *r = run(line);
	json_t *v = json_object_get(r, "value");
	double d = json_is_string(v) ? -INFINITY : json_number_value(v);
	json_decref(r);
	return d;
}

START_TEST(table_is_sorted_and_complete)
{
	size_t n;
	const struct wm_command *t = wm_commands(&n);
	ck_assert_uint_ge(n, 7);
	for (size_t i = 1; i < n; i++)
		ck_assert_msg(strcmp(t[i - 1].verb, t[i].verb) < 0, "%s before %s", t[i - 1].verb,
			      t[i].verb);
	const char *required[] = { "get", "set", "list", "health", "stats", "help", "subscribe" };
	for (size_t i = 0; i < sizeof required / sizeof *required; i++)
		ck_assert_ptr_nonnull(wm_command_find(required[i]));
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_le(t[i].min_args, t[i].max_args);
		ck_assert(strncmp(t[i].usage, t[i].verb, strlen(t[i].verb)) == 0);
	}
}
END_TEST

START_TEST(get_and_set)
{
	json_t *r = run("get ch/1/gain");
	ck_assert(json_is_true(json_object_get(r, "ok")));
	ck_assert_str_eq(json_string_value(json_object_get(r, "path")), "ch/1/gain");
	ck_assert(json_real_value(json_object_get(r, "value")) == 0.0);
	json_decref(r);

	expect_ok("set ch/1/gain -6");
	ck_assert(get_number("ch/1/gain") == -6.0);
	expect_ok("set ch/1/gain -inf");
	ck_assert(isinf(get_number("ch/1/gain")));
	expect_ok("set ch/1/gain -95");
	ck_assert(isinf(get_number("ch/1/gain")));
	expect_ok("set ch/1/fader 0.75");
	ck_assert(fabs(get_number("ch/1/gain")) < 1e-9);
	expect_ok("set ch/2/pan -0.5 100");
	ck_assert(get_number("ch/2/pan") == -0.5);
	expect_ok("set ch/2/mute on");
	expect_ok("set ch/2/solo 1");
	expect_ok("set ch/2/send/2 -3");
	expect_ok("set zone/2/gain 6");
	expect_ok("set zone/1/mute true");
	expect_ok("set ch/1/name \"Music bed\"");
	r = run("get ch/1/name");
	ck_assert_str_eq(json_string_value(json_object_get(r, "value")), "Music bed");
	json_decref(r);
	r = run("get ch/2/mute");
	ck_assert(json_is_true(json_object_get(r, "value")));
	json_decref(r);
}
END_TEST

/* Frames of one test period: 64, plus the limiters' lookahead so that
 * the period's last input frame has come out at its end. */
#define PERIOD_MAX 256

START_TEST(set_reaches_engine)
{
	/* After a set with ramp 0, one period carries the new gain. */
	expect_ok("set ch/1/gain -6 0");
	uint32_t lat = wm_engine_latency_frames(engine), n = 64 + lat;
	float in_l[PERIOD_MAX], in_r[PERIOD_MAX], zero[PERIOD_MAX] = { 0 };
	ck_assert_uint_le(n, PERIOD_MAX);
	for (int i = 0; i < PERIOD_MAX; i++)
		in_l[i] = in_r[i] = 0.5f;
	const float *ins[15];
	ins[0] = in_l, ins[1] = in_r;
	for (int i = 2; i < 15; i++)
		ins[i] = zero;
	float outs[4][PERIOD_MAX];
	float *outp[4] = { outs[0], outs[1], outs[2], outs[3] };
	ck_assert_int_eq(wm_engine_input_ports(engine), 15); /* channel 3 is mono */
	wm_engine_process_rt(engine, ins, outp, n);
	double want = 0.5 * pow(10, -6.0 / 20);
	ck_assert_double_eq_tol(outs[0][lat], want, 1e-6);
	ck_assert_double_eq_tol(outs[3][n - 1], want, 1e-6);
}
END_TEST

static int announced;

static void count_changes(void *arg, const struct wm_param_ref *ref,
			  const struct wm_value *value, const char *by)
{
	(void)arg, (void)ref, (void)value, (void)by;
	announced++;
}

/* One period of DC 1/16 on every input (the sum stays under the zone
 * limiter's ceiling); returns zone 1 left's sample for the period's last
 * input frame, which comes out the limiters' latency later. */
static float run_period(void)
{
	static float dc[PERIOD_MAX], zero_out[4][PERIOD_MAX];
	uint32_t n = 64 + wm_engine_latency_frames(engine);
	ck_assert_uint_le(n, PERIOD_MAX);
	for (int i = 0; i < PERIOD_MAX; i++)
		dc[i] = 1.0f / 16;
	const float *ins[15];
	for (int i = 0; i < 15; i++)
		ins[i] = dc;
	float *outp[4] = { zero_out[0], zero_out[1], zero_out[2], zero_out[3] };
	wm_engine_process_rt(engine, ins, outp, n);
	return zero_out[0][n - 1];
}

START_TEST(batch_reaches_engine_in_one_period)
{
	struct wm_value v = { .type = WM_TYPE_DB, .num = -INFINITY };
	struct wm_param_ref r1 = { WM_PARAM_CH_GAIN, 0, -1 }, r2 = { WM_PARAM_CH_GAIN, 1, -1 };
	struct wm_err err;
	announced = 0;
	wm_tree_set_listener(tree, count_changes, NULL);
	float before = run_period();
	wm_tree_begin(tree);
	ck_assert_int_eq(wm_tree_set(tree, &r1, &v, 0, "t", &err), 0);
	ck_assert_int_eq(wm_tree_set(tree, &r2, &v, 0, "t", &err), 0);
	/* Held until commit: the audio and the listeners have seen nothing. */
	ck_assert(run_period() == before);
	ck_assert_int_eq(announced, 0);
	ck_assert(isinf(get_number("ch/1/gain")));
	ck_assert_int_eq(wm_tree_commit(tree, &err), 0);
	ck_assert_int_eq(announced, 4); /* gain and fader of two channels */
	/* 7 stereo channels of 1/16 at unity plus mono channel 3 at -3 dB into
	 * zone 1 left; channels 1 and 2 are now silent, both in this period. */
	ck_assert_double_eq_tol(before, (7 + cos(M_PI / 4)) / 16, 1e-6);
	ck_assert_double_eq_tol(run_period(), before - 2.0 / 16, 1e-6);
}
END_TEST

START_TEST(refused_batch_leaves_the_tree_as_it_was)
{
	struct wm_value v = { .type = WM_TYPE_DB, .num = -3 };
	struct wm_err err;
	/* Fill the engine's command ring (nobody runs the engine). */
	json_t *r;
	while ((r = run("set ch/3/gain -1")) && json_is_true(json_object_get(r, "ok")))
		json_decref(r);
	json_decref(r);
	announced = 0;
	wm_tree_set_listener(tree, count_changes, NULL);
	wm_tree_begin(tree);
	for (int c = 0; c < 8; c++) {
		struct wm_param_ref ref = { WM_PARAM_CH_GAIN, c, -1 };
		ck_assert_int_eq(wm_tree_set(tree, &ref, &v, -1, "t", &err), 0);
	}
	ck_assert_int_eq(wm_tree_commit(tree, &err), -1);
	ck_assert_int_eq(err.code, WM_E_BUSY);
	ck_assert_int_eq(announced, 0);
	ck_assert(get_number("ch/1/gain") == 0.0);
	ck_assert(get_number("ch/3/gain") == -1.0);
}
END_TEST

START_TEST(list_and_describe)
{
	json_t *r = run("list");
	ck_assert_uint_eq(json_array_size(json_object_get(r, "params")), 8 * (7 + 2) + 2 * 4 + 5);
	json_decref(r);
	r = run("list ch/3/");
	ck_assert_uint_eq(json_array_size(json_object_get(r, "params")), 7 + 2);
	json_decref(r);
	expect_error("list ch/9/", "unknown_path", "channels 1..8");
	r = run("describe ch/1/gain");
	json_t *d = json_array_get(json_object_get(r, "params"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(d, "type")), "db");
	ck_assert_str_eq(json_string_value(json_object_get(d, "unit")), "dB");
	ck_assert(json_number_value(json_object_get(d, "max")) == 12.0);
	json_decref(r);
}
END_TEST

START_TEST(health_stats_help_hello_ping_quit)
{
	expect_ok("health");
	ck_assert_int_eq(health_calls, 1);
	expect_ok("stats");
	json_t *r = run("help");
	size_t n;
	wm_commands(&n);
	ck_assert_uint_eq(json_array_size(json_object_get(r, "verbs")), n);
	json_decref(r);
	r = run("help set");
	ck_assert_str_eq(json_string_value(json_object_get(r, "usage")), "set PATH VALUE [RAMP_MS]");
	json_decref(r);
	expect_error("help nosuch", "unknown_verb", "nosuch");
	r = run("hello");
	ck_assert_str_eq(json_string_value(json_object_get(r, "server")), "washmixd");
	json_decref(r);
	expect_ok("ping");
	expect_ok("quit");
	ck_assert_int_eq(quit_calls, 1);
}
END_TEST

START_TEST(subscribe_topics)
{
	json_t *r = run("subscribe");
	ck_assert_uint_eq(conn_topic_bits, WM_TOPIC_CHANGES);
	json_decref(r);
	expect_ok("subscribe meters");
	ck_assert_uint_eq(conn_topic_bits, WM_TOPIC_CHANGES | WM_TOPIC_METERS);
	expect_error("subscribe weather", "bad_type", "changes, meters");
	ck_assert_uint_eq(conn_topic_bits, WM_TOPIC_CHANGES | WM_TOPIC_METERS);
	expect_ok("unsubscribe changes");
	ck_assert_uint_eq(conn_topic_bits, WM_TOPIC_METERS);
	expect_ok("unsubscribe");
	ck_assert_uint_eq(conn_topic_bits, 0);
}
END_TEST

START_TEST(every_error)
{
	expect_error("sett ch/1/gain 0", "unknown_verb", "did you mean \"set\"");
	expect_error("frobnicate", "unknown_verb", "help");
	expect_error("set ch/1/gain", "wrong_args", "usage: set PATH VALUE [RAMP_MS]");
	expect_error("get", "wrong_args", "got 0");
	expect_error("get a b", "wrong_args", "got 2");
	expect_error("health now", "wrong_args", NULL);
	expect_error("get ch/99/gain", "unknown_path", "1..8");
	expect_error("get zone/3/gain", "unknown_path", "1..2");
	expect_error("get ch/1/gian", "unknown_path", NULL);
	expect_error("get banana", "unknown_path", NULL);
	expect_error("set ch/1/gain banana", "bad_type", "banana");
	expect_error("set ch/1/gain 20", "out_of_range", "12");
	expect_error("set ch/1/pan 2", "out_of_range", NULL);
	expect_error("set ch/1/fader -0.1", "out_of_range", NULL);
	expect_error("set ch/1/mute maybe", "bad_type", NULL);
	expect_error("set ch/1/gain nan", "bad_type", NULL);
	expect_error("set ch/1/gain -6 fast", "bad_type", "RAMP_MS");
	expect_error("set ch/1/gain -6 -5", "out_of_range", "RAMP_MS");
	expect_error("set ch/1/gain -6 999999", "out_of_range", "RAMP_MS");
	expect_error("get \"ch/1/gain", "bad_request", "unterminated quote");
	expect_error("get \x01", "bad_request", "control character");
	expect_error("get \xff\xfe", "bad_request", "UTF-8");
	expect_error("set ch/1/name \"\xc3\"", "bad_request", "UTF-8");
	/* Errors change nothing. */
	ck_assert(get_number("ch/1/gain") == 0.0);
	ck_assert(get_number("ch/1/pan") == 0.0);
}
END_TEST

START_TEST(blank_line_gets_no_reply)
{
	ck_assert_ptr_null(run(""));
	ck_assert_ptr_null(run("   \t "));
	ck_assert_ptr_null(run("\r"));
}
END_TEST

START_TEST(engine_ring_full_refuses_set)
{
	/* Nobody runs the engine, so its command ring fills; the tree must refuse
	 * the change and keep its old value rather than disagree with the audio. */
	json_t *r = NULL;
	int i;
	for (i = 0; i < 100000; i++) {
		r = run(i % 2 ? "set ch/1/gain -1" : "set ch/1/gain -2");
		if (json_is_false(json_object_get(r, "ok")))
			break;
		json_decref(r);
		r = NULL;
	}
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "error"), "code")),
			 "busy");
	json_decref(r);
	double want = (i - 1) % 2 ? -1 : -2;
	ck_assert(get_number("ch/1/gain") == want);
}
END_TEST

START_TEST(tokenizer)
{
	char storage[256];
	struct wm_words w;
	struct wm_err err;
	const char *line = "set  ch/1/name \"a \\\"b\\\" \\\\ c\"\t-6\r";
	ck_assert_int_eq(wm_tokenize(line, strlen(line), storage, &w, &err), 0);
	ck_assert_int_eq(w.count, 4);
	ck_assert_str_eq(w.word[0], "set");
	ck_assert_str_eq(w.word[2], "a \"b\" \\ c");
	ck_assert_str_eq(w.word[3], "-6");
	ck_assert_uint_eq(w.offset[1], 5);
	line = "say \"\"";
	ck_assert_int_eq(wm_tokenize(line, strlen(line), storage, &w, &err), 0);
	ck_assert_int_eq(w.count, 2);
	ck_assert_str_eq(w.word[1], "");
	char many[200] = "";
	for (int i = 0; i < 40; i++)
		strcat(many, "x ");
	ck_assert_int_eq(wm_tokenize(many, strlen(many), storage, &w, &err), -1);
	ck_assert_int_eq(err.code, WM_E_BAD_REQUEST);
	const char nul[] = "get\0x";
	ck_assert_int_eq(wm_tokenize(nul, 5, storage, &w, &err), -1);
	ck_assert_msg(strstr(err.msg, "NUL byte in request at column 4"), "%s", err.msg);
	line = "set ch/1/name h\xc3\xa9\xf0\x9f\x9a\x97";   /* é and a car */
	ck_assert_int_eq(wm_tokenize(line, strlen(line), storage, &w, &err), 0);
	ck_assert_str_eq(w.word[2], "h\xc3\xa9\xf0\x9f\x9a\x97");
	const char *bad_utf8[] = { "get \xc3", "get \xc0\xaf", "get \xed\xa0\x80", "get \xff" };
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(wm_tokenize(bad_utf8[i], strlen(bad_utf8[i]), storage, &w, &err),
				 -1);
		ck_assert_msg(strstr(err.msg, "invalid UTF-8 at column 5"), "%s", err.msg);
	}
}
END_TEST

/* The player verbs check channels, words and fades themselves, then hand
 * over to the player ops with 0-based channels. */
static int played_ch = -1, stopped_ch = -1;
static char played_file[64];
static bool played_loop;
static double stopped_fade;

static int t_play(void *arg, int ch, const char *file, bool loop, struct wm_err *err)
{
	(void)arg;
	if (strcmp(file, "missing.wav") == 0)
		return wm_err_set(err, WM_E_NOT_FOUND, "%s: no such file", file);
	played_ch = ch;
	played_loop = loop;
	snprintf(played_file, sizeof played_file, "%s", file);
	return 0;
}

static int t_stop(void *arg, int ch, double fade_ms, struct wm_err *err)
{
	(void)arg, (void)err;
	stopped_ch = ch;
	stopped_fade = fade_ms;
	return 0;
}

static int t_info(void *arg, int ch, json_t *out, struct wm_err *err)
{
	(void)arg, (void)err;
	json_object_set_new(out, "state", json_string(ch == played_ch ? "playing" : "idle"));
	return 0;
}

START_TEST(player_verbs)
{
	expect_error("play 1 a.wav", "unavailable", "players");
	expect_error("get ch/1/player", "unavailable", NULL);
	env.players = (struct wm_player_ops){ .play = t_play, .stop = t_stop, .info = t_info };
	expect_ok("play 3 voice/a.wav");
	ck_assert_int_eq(played_ch, 2);
	ck_assert_str_eq(played_file, "voice/a.wav");
	ck_assert(!played_loop);
	expect_ok("play 8 \"music/a bed.wav\" loop");
	ck_assert_int_eq(played_ch, 7);
	ck_assert(played_loop);
	json_t *r = run("get ch/8/player");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "value"), "state")),
			 "playing");
	json_decref(r);
	expect_ok("stop 2");
	ck_assert_int_eq(stopped_ch, 1);
	ck_assert(stopped_fade < 0);
	expect_ok("stop 2 250");
	ck_assert_double_eq(stopped_fade, 250.0);
	expect_error("play 9 a.wav", "out_of_range", "1..8");
	expect_error("play 0 a.wav", "out_of_range", NULL);
	expect_error("play x a.wav", "bad_type", NULL);
	expect_error("play 1 a.wav again", "wrong_args", "loop");
	expect_error("play 1 missing.wav", "not_found", "missing.wav");
	expect_error("stop 1 -5", "out_of_range", NULL);
	expect_error("stop 1 later", "bad_type", NULL);
	expect_error("get ch/9/player", "unknown_path", "1..8");
	expect_error("get ch/1/players", "unknown_path", NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("commands");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, table_is_sorted_and_complete);
	tcase_add_test(tc, get_and_set);
	tcase_add_test(tc, set_reaches_engine);
	tcase_add_test(tc, list_and_describe);
	tcase_add_test(tc, health_stats_help_hello_ping_quit);
	tcase_add_test(tc, subscribe_topics);
	tcase_add_test(tc, every_error);
	tcase_add_test(tc, blank_line_gets_no_reply);
	tcase_add_test(tc, engine_ring_full_refuses_set);
	tcase_add_test(tc, batch_reaches_engine_in_one_period);
	tcase_add_test(tc, refused_batch_leaves_the_tree_as_it_was);
	tcase_add_test(tc, tokenizer);
	tcase_add_test(tc, player_verbs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(suite());
}
