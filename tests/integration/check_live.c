/* check_live.c - washmixd end to end: known signals into its JACK inputs,
 * parameter changes through the control socket, its zone outputs captured
 * and compared sample by sample with what the mix should be.
 *
 * Three test cases, each with its own jackd and daemon: "fresh" (8 stereo
 * channels, 2 zones, never touched before its first test: straight
 * pass-through, then get/list), "mix" (the same with channel 3 mono, every
 * parameter reset to its default before each test: ramps, pan, balance,
 * mute, solo, sends, zone gain and mute, a many-channel sum) and "restart"
 * (a jackd of the test's own, killed and restarted under the daemon).
 *
 * Timing: a change is applied by the daemon's next JACK period at the latest
 * after its reply, then ramps (20 ms = 960 frames by default). The tests
 * take the frame time when the reply arrives (JACK's estimate, which may be
 * off by up to a period) and allow one period plus the ramp plus one period
 * for that estimate. */
#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/audiocheck.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/jackd_fixture.h"
#include "tests/support/jackprobe.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

#define CHANNELS 8
#define ZONES 2
#define RAMP_FRAMES 960                 /* 20 ms at 48 kHz */
/* The period that takes the change, the ramp, the limiter's lookahead,
 * and a period of slack for a cycle lost to an xrun. */
#define SETTLE (WM_T_PERIOD + RAMP_FRAMES + wm_t_output_delay + 2 * WM_T_PERIOD)
#define ZL1 1                           /* sink ports */
#define ZR1 2
#define ZL2 3
#define ZR2 4

static struct wm_jackd jackd;
static struct wm_daemon wd;
static struct wm_src *src;
static struct wm_sink *sink;
static struct wm_client *cl;
static uint32_t changed_at;             /* frame time when the last reply came */

static double db(double g)
{
	return pow(10.0, g / 20.0);
}

/* --- fixtures ------------------------------------------------------------ */

static void up(const char *mono)
{
	wm_t_jackd_start(&jackd, wm_tmpdir());
	wm_t_daemon_start(&wd, wm_tmpdir(), CHANNELS, ZONES, mono, NULL);
}

static void up_stereo(void)
{
	up(NULL);
}

static void up_mono3(void)
{
	up("3");
}

static void down(void)
{
	wm_t_daemon_stop(&wd);
	wm_t_jackd_stop(&jackd);
}

static void probes_open(void)
{
	src = wm_t_src_open(NULL, 8);
	sink = wm_t_sink_open(NULL, 4, 12.0);
	wm_t_connect_zones(src, &wd, sink, ZONES);
	cl = wm_client_connect(wd.sock, 2000);
	ck_assert_msg(cl != NULL, "cannot connect to %s", wd.sock);
}

static void probes_close(void)
{
	wm_client_close(cl);
	wm_sink_close(sink);
	wm_src_close(src);
	cl = NULL;
	sink = NULL;
	src = NULL;
}

/* Source port `out` into a daemon input port ("ch1_L", "ch3"). */
static void feed(int out, const char *port)
{
	wm_t_connect(src, wm_src_port(src, out), wm_daemon_port(&wd, port));
}

/* A set that must succeed; remembers when its reply came. */
static json_t *set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *set(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	json_t *r;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	r = wm_t_assert_ok(wm_t_request(cl, "%s", line), line);
	changed_at = wm_src_now(src);
	return r;
}

#define SET(...) json_decref(set(__VA_ARGS__))

static void reset_mix(void)
{
	for (int c = 1; c <= CHANNELS; c++) {
		SET("set ch/%d/gain 0", c);
		SET("set ch/%d/pan 0", c);
		SET("set ch/%d/mute off", c);
		SET("set ch/%d/solo off", c);
		for (int z = 1; z <= ZONES; z++)
			SET("set ch/%d/send/%d 0", c, z);
	}
	for (int z = 1; z <= ZONES; z++) {
		SET("set zone/%d/gain 0", z);
		SET("set zone/%d/mute off", z);
	}
}

/* Capture until well after the last change has settled. */
static void capture_settled(void)
{
	wm_sink_start(sink);
	wm_t_wait_until(sink, changed_at + SETTLE + 4800);
}

static uint32_t settled_from(void)
{
	uint32_t from = changed_at + SETTLE, first = wm_sink_first(sink);

	return wm_frame_diff(first, from) > 0 ? first : from;
}

/* The port is at a steady v from frame `from` to the end of the capture. */
static void level_from(int port, double v, uint32_t from, const char *what)
{
	wm_t_expect(sink, port, from, wm_sink_end(sink), wm_const_value, &v, 1e-7, 1e-6,
		    2400, what);
}

/* After capture_settled: the port is at a steady v. */
static void level(int port, double v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void level(int port, double v, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	level_from(port, v, settled_from(), what);
}

/* The steady value a port settled at (the last captured sample). */
static double last_sample(int port)
{
	float v = NAN;

	ck_assert(wm_sink_sample(sink, port, wm_sink_end(sink) - 1, &v));
	return v;
}

/* --- fresh daemon ---------------------------------------------------------- */

START_TEST(test_fresh_daemon_passes_ch1_through_bit_exactly)
{
	struct { struct wm_sig l, r; } cases[] = {
		{ wm_sig_dc(0.5f), wm_sig_sine(997, 0.5f) },
		{ wm_sig_sine(440, 0.25f), wm_sig_dc(-0.5f) },
		{ wm_sig_counter(0.5f), wm_sig_sine(1000, 0.75f) },
	};

	feed(1, "ch1_L");
	feed(2, "ch1_R");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct wm_mix_expect l, r;
		char sl[64], sr[64], what[256];
		uint32_t from;
		int64_t applied;

		wm_src_stage(src, 1, cases[i].l);
		wm_src_stage(src, 2, cases[i].r);
		applied = wm_t_commit(src);
		from = (uint32_t)wm_t_capture(sink, 300);
		if (wm_frame_diff((uint32_t)applied, from) > 0)
			from = (uint32_t)applied;
		wm_expect_init(&l, WM_T_RATE);
		wm_expect_add(&l, cases[i].l, 1.0);
		wm_expect_init(&r, WM_T_RATE);
		wm_expect_add(&r, cases[i].r, 1.0);
		wm_sig_str(&cases[i].l, sl, sizeof sl);
		wm_sig_str(&cases[i].r, sr, sizeof sr);
		for (int z = 1; z <= ZONES; z++) {
			snprintf(what, sizeof what, "ch1_L = %s -> zone%d_L", sl, z);
			wm_t_expect(sink, 2 * z - 1, from, wm_sink_end(sink), wm_expect_value, &l,
				    0, 0, 12000, what);
			snprintf(what, sizeof what, "ch1_R = %s -> zone%d_R", sr, z);
			wm_t_expect(sink, 2 * z, from, wm_sink_end(sink), wm_expect_value, &r,
				    0, 0, 12000, what);
		}
	}
}
END_TEST

START_TEST(test_get_returns_what_was_set_and_list_has_every_path)
{
	static const char *const ch_leaves[] = { "gain", "fader", "pan", "mute", "solo", "name" };
	static const char *const zone_leaves[] = { "gain", "mute", "name" };
	json_t *r, *params, *p;
	char path[64];
	int n, expected = 0;
	size_t i;

	r = wm_t_assert_ok(wm_t_request(cl, "list"), "list");
	params = json_object_get(r, "params");
	ck_assert_msg(json_is_array(params), "list: no params array: %s", wm_t_json_str(r));
	for (int c = 1; c <= CHANNELS; c++) {
		for (size_t k = 0; k < 6 + ZONES; k++) {
			if (k < 6)
				snprintf(path, sizeof path, "ch/%d/%s", c, ch_leaves[k]);
			else
				snprintf(path, sizeof path, "ch/%d/send/%zu", c, k - 5);
			p = wm_t_list_find(params, path, &n);
			ck_assert_msg(n == 1, "list has %s %d times", path, n);
			ck_assert_msg(json_object_get(p, "value") != NULL, "%s has no value", path);
			expected++;
		}
	}
	for (int z = 1; z <= ZONES; z++)
		for (size_t k = 0; k < 3; k++) {
			snprintf(path, sizeof path, "zone/%d/%s", z, zone_leaves[k]);
			wm_t_list_find(params, path, &n);
			ck_assert_msg(n == 1, "list has %s %d times", path, n);
			expected++;
		}
	/* 8 x (6 + 2 sends) + 2 x 3 = 70 found once each; other paths may follow,
	 * but no path twice */
	ck_assert_uint_ge(json_array_size(params), (size_t)expected);
	json_array_foreach(params, i, p) {
		const char *pp = wm_t_strval(json_object_get(p, "path"));
		json_t *v = json_object_get(p, "value");

		wm_t_list_find(params, pp, &n);
		ck_assert_msg(n == 1, "list has %s %d times", pp, n);
		/* a fresh daemon: 0 dB, centred, nothing muted or soloed */
		if (strstr(pp, "/gain") || strstr(pp, "/send/") || strstr(pp, "/pan"))
			ck_assert_msg(json_is_number(v) && json_number_value(v) == 0.0,
				      "fresh %s = %s", pp, wm_t_json_str(v));
		if (strstr(pp, "/mute") || strstr(pp, "/solo"))
			ck_assert_msg(json_is_false(v), "fresh %s = %s", pp, wm_t_json_str(v));
		if (strstr(pp, "/name"))
			ck_assert_msg(json_is_string(v), "%s = %s", pp, wm_t_json_str(v));
	}
	json_decref(r);

	r = wm_t_assert_ok(wm_t_request(cl, "list ch/2/"), "list ch/2/");
	json_array_foreach(json_object_get(r, "params"), i, p)
		ck_assert_msg(strncmp(json_string_value(json_object_get(p, "path")), "ch/2/", 5) == 0,
			      "list ch/2/ returned %s", wm_t_json_str(p));
	ck_assert_uint_ge(json_array_size(json_object_get(r, "params")), 6 + ZONES);
	json_decref(r);

	/* set -> reply echoes the value -> get returns it -> list shows it */
	r = set("set ch/4/gain -7.5");
	ck_assert_str_eq(json_string_value(json_object_get(r, "path")), "ch/4/gain");
	ck_assert(wm_t_value_num(r) == -7.5);
	json_decref(r);
	r = wm_t_assert_ok(wm_t_request(cl, "get ch/4/gain"), "get ch/4/gain");
	ck_assert_msg(wm_t_value_num(r) == -7.5, "%s", wm_t_json_str(r));
	json_decref(r);
	SET("set ch/4/pan -0.25");
	r = wm_t_assert_ok(wm_t_request(cl, "get ch/4/pan"), "get ch/4/pan");
	ck_assert_msg(fabs(wm_t_value_num(r) + 0.25) < 1e-9, "%s", wm_t_json_str(r));
	json_decref(r);
	SET("set ch/4/fader 0.5");
	r = wm_t_assert_ok(wm_t_request(cl, "get ch/4/fader"), "get ch/4/fader");
	ck_assert_msg(fabs(wm_t_value_num(r) - 0.5) < 1e-6, "%s", wm_t_json_str(r));
	json_decref(r);
	SET("set ch/4/mute on");
	r = wm_t_assert_ok(wm_t_request(cl, "get ch/4/mute"), "get ch/4/mute");
	ck_assert_msg(json_is_true(json_object_get(r, "value")), "%s", wm_t_json_str(r));
	json_decref(r);
	SET("set ch/4/send/2 -inf");
	r = wm_t_assert_ok(wm_t_request(cl, "get ch/4/send/2"), "get ch/4/send/2");
	ck_assert_msg(json_is_string(json_object_get(r, "value")) &&
		      strcmp(json_string_value(json_object_get(r, "value")), "-inf") == 0,
		      "-inf must come back as the string \"-inf\": %s", wm_t_json_str(r));
	json_decref(r);
	SET("set ch/4/name \"Music Bed\"");
	r = wm_t_assert_ok(wm_t_request(cl, "get ch/4/name"), "get ch/4/name");
	ck_assert_str_eq(json_string_value(json_object_get(r, "value")), "Music Bed");
	json_decref(r);
	SET("set zone/2/gain -3");
	SET("set zone/2/mute true");
	SET("set zone/2/name \"Vacuum lot\"");
	r = wm_t_assert_ok(wm_t_request(cl, "list zone/2/"), "list zone/2/");
	params = json_object_get(r, "params");
	ck_assert(wm_t_value_num(wm_t_list_find(params, "zone/2/gain", &n)) == -3.0);
	ck_assert(json_is_true(json_object_get(wm_t_list_find(params, "zone/2/mute", &n), "value")));
	ck_assert_str_eq(json_string_value(json_object_get(wm_t_list_find(params, "zone/2/name", &n),
							   "value")), "Vacuum lot");
	json_decref(r);
	SET("set zone/2/mute false");
	SET("set ch/4/mute off");
}
END_TEST

/* --- mix tests (channel 3 mono) ------------------------------------------- */

/* Run `line` while capturing; the port goes from from_v to to_v within one
 * period plus the ramp after the reply (see wm_check_transition). The bounds
 * are causal, read off the capture itself rather than JACK's frame clock
 * estimate, which cycles run late against on a loaded machine. A capture
 * spoilt by an xrun is retried (after `undo`), up to three times. */
static void transition(const char *line, const char *undo, int port, double from_v,
		       double to_v, int ramp_frames, struct wm_transition *t)
{
	char why[768];

	for (int attempt = 1;; attempt++) {
		uint32_t first = (uint32_t)wm_t_capture(sink, 100), before, after;

		before = wm_sink_end(sink);
		json_decref(set("%s", line));
		after = wm_sink_end(sink);
		if (wm_check_transition(sink, port, first, before,
					after + WM_T_PERIOD + (uint32_t)ramp_frames + 1, from_v, to_v,
					ramp_frames, t, why, sizeof why))
			return;
		wm_sleep_ms(200);       /* let a late xrun notification arrive */
		if (attempt == 3 || wm_sink_capture_xruns(sink) == 0)
			ck_abort_msg("%s: %s (attempt %d, xruns during the capture: %u)", line, why,
				     attempt, wm_sink_capture_xruns(sink));
		SET("%s 0", undo);
		wm_sleep_ms(50);
	}
}

START_TEST(test_gain_change_ramps_smoothly_to_the_exact_level)
{
	struct wm_transition t;
	double g6 = 0.5 * db(-6), g12 = 0.5 * db(-12);
	int d;

	feed(1, "ch2_L");
	wm_t_set(src, 1, wm_sig_dc(0.5f));
	transition("set ch/2/gain -6", "set ch/2/gain 0", ZL1, 0.5, g6, RAMP_FRAMES, &t);
	d = wm_frame_diff(t.settle, t.depart);
	ck_assert_msg(abs(d - RAMP_FRAMES) <= WM_T_PERIOD,
		      "default ramp lasted %d frames; want 20 ms = %d +- one period", d, RAMP_FRAMES);
	level(ZL2, g6, "zone2_L after ch/2/gain -6");
	level(ZR1, 0.0, "zone1_R (ch2_R silent)");

	transition("set ch/2/gain -12 100", "set ch/2/gain -6", ZL1, g6, g12, 4800, &t);
	d = wm_frame_diff(t.settle, t.depart);
	ck_assert_msg(abs(d - 4800) <= WM_T_PERIOD,
		      "a 100 ms ramp lasted %d frames; want 4800 +- one period", d);
	level_from(ZL2, g12, t.settle + WM_T_PERIOD, "zone2_L after ch/2/gain -12 100");
}
END_TEST

START_TEST(test_pan_on_mono_and_balance_on_stereo)
{
	double c = 0.5 * M_SQRT1_2, l, r;

	ck_assert_msg(wm_probe_port_exists(src, wm_daemon_port(&wd, "ch3")) &&
		      !wm_probe_port_exists(src, wm_daemon_port(&wd, "ch3_L")) &&
		      wm_probe_port_exists(src, wm_daemon_port(&wd, "ch2_R")),
		      "with --mono 3, channel 3 must have the one port %s",
		      wm_daemon_port(&wd, "ch3"));
	feed(1, "ch3");
	wm_t_set(src, 1, wm_sig_dc(0.5f));
	changed_at = wm_src_now(src);
	capture_settled();
	for (int p = 1; p <= 4; p++)
		level(p, c, "mono ch3 centred -> %s (constant power: 0.7071)", wm_sink_port(sink, p));
	SET("set ch/3/pan -1");
	capture_settled();
	level(ZL1, 0.5, "ch3 pan -1: zone1_L");
	wm_t_expect_const(sink, ZR1, settled_from(), wm_sink_end(sink), 0, 1e-6, 0, "ch3 pan -1: zone1_R");
	level(ZL2, 0.5, "ch3 pan -1: zone2_L");
	SET("set ch/3/pan 1");
	capture_settled();
	wm_t_expect_const(sink, ZL1, settled_from(), wm_sink_end(sink), 0, 1e-6, 0, "ch3 pan 1: zone1_L");
	level(ZR1, 0.5, "ch3 pan 1: zone1_R");
	SET("set ch/3/pan 0.5");
	capture_settled();
	l = last_sample(ZL1);
	r = last_sample(ZR1);
	level(ZL1, l, "ch3 pan 0.5: zone1_L steady");
	ck_assert_msg(r > l && l > 0 && fabs(l * l + r * r - 0.25) < 0.25 * 1e-5,
		      "pan 0.5 on DC 0.5 gave L %.9g R %.9g: want R > L > 0 and constant power "
		      "(L^2 + R^2 = 0.25)", l, r);

	/* balance on stereo channel 1: one side down, the other untouched */
	wm_t_set(src, 1, wm_sig_silence());
	feed(2, "ch1_L");
	feed(3, "ch1_R");
	wm_src_stage(src, 2, wm_sig_dc(0.5f));
	wm_src_stage(src, 3, wm_sig_dc(0.25f));
	wm_t_commit(src);
	SET("set ch/1/pan 0");
	capture_settled();
	level(ZL1, 0.5, "ch1 centred: zone1_L");
	level(ZR1, 0.25, "ch1 centred: zone1_R");
	SET("set ch/1/pan -1");
	capture_settled();
	level(ZL1, 0.5, "ch1 balance -1: zone1_L");
	level(ZR1, 0.0, "ch1 balance -1: zone1_R");
	level(ZR2, 0.0, "ch1 balance -1: zone2_R");
	SET("set ch/1/pan 1");
	capture_settled();
	level(ZL1, 0.0, "ch1 balance 1: zone1_L");
	level(ZR1, 0.25, "ch1 balance 1: zone1_R");
	level(ZL2, 0.0, "ch1 balance 1: zone2_L");
}
END_TEST

START_TEST(test_mute_solo_sends_zone_gain_and_zone_mute)
{
	double zg = 0.75 * db(-6);
	json_t *r;

	feed(1, "ch1_L");
	feed(2, "ch2_L");
	wm_src_stage(src, 1, wm_sig_dc(0.5f));
	wm_src_stage(src, 2, wm_sig_dc(0.25f));
	wm_t_commit(src);
	changed_at = wm_src_now(src);
	capture_settled();
	level(ZL1, 0.75, "ch1 0.5 + ch2 0.25 -> zone1_L");
	level(ZL2, 0.75, "ch1 0.5 + ch2 0.25 -> zone2_L");

	SET("set ch/1/mute on");
	capture_settled();
	level(ZL1, 0.25, "ch1 muted: zone1_L");
	level(ZL2, 0.25, "ch1 muted: zone2_L");
	SET("set ch/1/mute off");
	capture_settled();
	level(ZL1, 0.75, "ch1 unmuted: zone1_L");

	SET("set ch/1/solo 1");
	capture_settled();
	level(ZL1, 0.5, "ch1 solo: zone1_L (ch2 silent)");
	level(ZL2, 0.5, "ch1 solo: zone2_L (ch2 silent)");
	SET("set ch/1/solo 0");
	capture_settled();
	level(ZL1, 0.75, "ch1 unsolo: zone1_L");
	level(ZL2, 0.75, "ch1 unsolo: zone2_L");

	SET("set ch/1/send/2 -inf");
	capture_settled();
	level(ZL1, 0.75, "ch1 send/2 -inf: zone1_L unchanged");
	level(ZL2, 0.25, "ch1 send/2 -inf: zone2_L without ch1");
	r = wm_t_assert_ok(wm_t_request(cl, "get ch/1/send/2"), "get ch/1/send/2");
	ck_assert_msg(isinf(wm_t_value_num(r)), "%s", wm_t_json_str(r));
	json_decref(r);
	SET("set ch/1/send/2 0");
	capture_settled();
	level(ZL2, 0.75, "ch1 send/2 0: zone2_L");

	SET("set zone/1/gain -6");
	capture_settled();
	level(ZL1, zg, "zone/1/gain -6: zone1_L");
	level(ZL2, 0.75, "zone/1/gain -6: zone2_L unchanged");
	SET("set zone/2/mute true");
	capture_settled();
	level(ZL2, 0.0, "zone/2/mute: zone2_L");
	level(ZL1, zg, "zone/2/mute: zone1_L unchanged");
	SET("set zone/2/mute false");
	capture_settled();
	level(ZL2, 0.75, "zone/2/mute false: zone2_L");
}
END_TEST

START_TEST(test_many_channels_sum_exactly)
{
	static const struct { const char *port; double gain_db; } in[8] = {
		{ "ch1_L", 0 }, { "ch1_R", 0 }, { "ch2_L", -6 }, { "ch3", -3 },
		{ "ch4_L", -12 }, { "ch5_L", 3 }, { "ch6_L", -20 }, { "ch7_L", -INFINITY },
	};
	struct wm_sig sig[8] = {
		wm_sig_sine(100, 0.1f), wm_sig_sine(150, 0.1f), wm_sig_sine(220, 0.1f),
		wm_sig_sine(330, 0.1f), wm_sig_counter(0.1f), wm_sig_sine(550, 0.1f),
		wm_sig_dc(0.05f), wm_sig_sine(770, 0.1f),
	};
	struct wm_mix_expect l1, r1, l2, r2;
	double zg = db(-2);

	for (int i = 0; i < 8; i++) {
		feed(i + 1, in[i].port);
		wm_src_stage(src, i + 1, sig[i]);
	}
	wm_t_commit(src);
	SET("set ch/2/gain -6");
	SET("set ch/3/gain -3");
	SET("set ch/4/gain -12");
	SET("set ch/5/gain 3");
	SET("set ch/6/gain -20");
	SET("set ch/7/gain -inf");
	SET("set zone/1/gain -2");
	wm_expect_init(&l1, WM_T_RATE);
	wm_expect_init(&r1, WM_T_RATE);
	wm_expect_init(&l2, WM_T_RATE);
	wm_expect_init(&r2, WM_T_RATE);
	for (int i = 0; i < 8; i++) {
		double g = isinf(in[i].gain_db) ? 0.0 : db(in[i].gain_db);
		bool mono = strcmp(in[i].port, "ch3") == 0;
		bool right = strstr(in[i].port, "_R") != NULL;

		if (mono)
			g *= M_SQRT1_2;
		if (mono || !right) {
			wm_expect_add(&l1, sig[i], g * zg);
			wm_expect_add(&l2, sig[i], g);
		}
		if (mono || right) {
			wm_expect_add(&r1, sig[i], g * zg);
			wm_expect_add(&r2, sig[i], g);
		}
	}
	capture_settled();
	wm_t_expect(sink, ZL1, settled_from(), wm_sink_end(sink), wm_expect_value, &l1, 1e-6, 1e-6,
		    2400, "7 channels at different gains -> zone1_L (zone gain -2)");
	wm_t_expect(sink, ZR1, settled_from(), wm_sink_end(sink), wm_expect_value, &r1, 1e-6, 1e-6,
		    2400, "ch1_R + mono ch3 -> zone1_R (zone gain -2)");
	wm_t_expect(sink, ZL2, settled_from(), wm_sink_end(sink), wm_expect_value, &l2, 1e-6, 1e-6,
		    2400, "7 channels at different gains -> zone2_L");
	wm_t_expect(sink, ZR2, settled_from(), wm_sink_end(sink), wm_expect_value, &r2, 1e-6, 1e-6,
		    2400, "ch1_R + mono ch3 -> zone2_R");
}
END_TEST

/* --- JACK server restart ----------------------------------------------------- */

START_TEST(test_jack_restart_reconnects_and_keeps_the_mix)
{
	struct wm_jackd own;
	json_t *h;
	double g = 0.5 * db(-6);

	wm_t_jackd_start(&own, wm_tmpdir());
	wm_t_daemon_start(&wd, wm_tmpdir(), CHANNELS, ZONES, NULL, NULL);
	probes_open();
	feed(1, "ch1_L");
	wm_t_set(src, 1, wm_sig_dc(0.5f));
	SET("set ch/1/gain -6");
	SET("set zone/2/mute on");
	capture_settled();
	level(ZL1, g, "before the restart: zone1_L");
	level(ZL2, 0.0, "before the restart: zone2_L (muted)");
	probes_close();

	wm_t_jackd_kill(&own, SIGKILL);
	h = wm_daemon_wait_jack(&wd, false, 5000);
	wm_t_daemon_alive(&wd, "after jackd was killed");
	ck_assert_msg(h && json_is_false(json_object_get(json_object_get(h, "jack"), "connected")),
		      "health does not say JACK is gone: %s", wm_t_json_str(h));
	ck_assert_msg(!json_is_string(json_object_get(h, "status")) ||
		      strcmp(json_string_value(json_object_get(h, "status")), "ok") != 0,
		      "health status is ok with JACK gone: %s", wm_t_json_str(h));
	json_decref(h);
	h = wm_t_request1(wd.sock, "get ch/1/gain");
	ck_assert_msg(wm_t_value_num(wm_t_assert_ok(h, "get while JACK is down")) == -6.0,
		      "%s", wm_t_json_str(h));
	json_decref(h);

	wm_t_jackd_start_again(&own);
	h = wm_daemon_wait_jack(&wd, true, 12000);
	wm_t_daemon_alive(&wd, "after jackd came back");
	ck_assert_msg(h && json_is_true(json_object_get(json_object_get(h, "jack"), "connected")),
		      "not reconnected 12 s after jackd came back; health: %s", wm_t_json_str(h));
	json_decref(h);

	probes_open();
	feed(1, "ch1_L");
	wm_t_set(src, 1, wm_sig_dc(0.5f));
	changed_at = wm_src_now(src);
	capture_settled();
	level(ZL1, g, "after the restart: zone1_L (ch/1/gain -6 kept)");
	level(ZL2, 0.0, "after the restart: zone2_L (zone/2/mute kept)");
	probes_close();
	wm_t_daemon_stop(&wd);
	wm_t_jackd_stop(&own);
}
END_TEST

static Suite *live_suite(void)
{
	Suite *s = suite_create("live");
	TCase *fresh = tcase_create("fresh");
	TCase *mix = tcase_create("mix");
	TCase *restart = tcase_create("restart");

	tcase_add_unchecked_fixture(fresh, up_stereo, down);
	tcase_add_checked_fixture(fresh, probes_open, probes_close);
	tcase_set_timeout(fresh, 30);
	tcase_add_test(fresh, test_fresh_daemon_passes_ch1_through_bit_exactly);
	tcase_add_test(fresh, test_get_returns_what_was_set_and_list_has_every_path);
	suite_add_tcase(s, fresh);

	tcase_add_unchecked_fixture(mix, up_mono3, down);
	tcase_add_checked_fixture(mix, probes_open, probes_close);
	tcase_add_checked_fixture(mix, reset_mix, NULL);
	tcase_set_timeout(mix, 30);
	tcase_add_test(mix, test_gain_change_ramps_smoothly_to_the_exact_level);
	tcase_add_test(mix, test_pan_on_mono_and_balance_on_stereo);
	tcase_add_test(mix, test_mute_solo_sends_zone_gain_and_zone_mute);
	tcase_add_test(mix, test_many_channels_sum_exactly);
	suite_add_tcase(s, mix);

	tcase_set_timeout(restart, 60);
	tcase_add_test(restart, test_jack_restart_reconnects_and_keeps_the_mix);
	suite_add_tcase(s, restart);
	return s;
}

int main(void)
{
	return wm_t_run_suite(live_suite());
}
