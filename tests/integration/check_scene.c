/* check_scene.c - scenes heard: `scene save` and `scene recall` on a running
 * washmixd with DC signals on its inputs and its zone outputs captured.
 * A complex mix saved, everything changed, recalled: every parameter (read
 * back with `list`) and every zone output (an exact sum) is back. A recall
 * with FADE_MS crossfades linearly in amplitude over that time, starting
 * within two periods of the reply; mutes fade out, unmutes fade in and
 * solos fade over the fade; the whole recall reaches the engine in one
 * period (two channels on two zones change at the same frame); OSC
 * /scene/recall works and subscribers on OSC and the socket hear what
 * changed, and save, rename and delete are announced too.
 *
 * One jackd and one daemon (8 stereo channels, 2 zones, OSC on); before
 * each test every parameter is set back to its default and every scene
 * deleted. Timing is read off the capture itself (see check_live.c): a
 * fade must start after the request was sent and within two periods after
 * the reply, and last FADE_MS +- one period. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/scene_common.h"
#include "tests/support/audiocheck.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/jackd_fixture.h"
#include "tests/support/jackprobe.h"
#include "tests/support/oscclient.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

#define CHANNELS 8
#define ZONES 2
#define P WM_T_PERIOD
#define RAMP_FRAMES 960                 /* the default 20 ms ramp */
#define ZL1 1                           /* sink ports */
#define ZR1 2
#define ZL2 3
#define ZR2 4

static struct wm_jackd jackd;
static struct wm_daemon wd;
static int osc_port;
static struct wm_src *src;
static struct wm_sink *sink;
static struct wm_client *cl;

/* DC on both sides of every channel (test_round_trip feeds them all). */
static const double IN[CHANNELS][2] = {
	{ 0.5, 0.25 }, { 0.3, -0.2 }, { 0.125, 0.4 }, { -0.35, 0.15 },
	{ 0.2, 0.1 }, { 0.05, -0.1 }, { 0.22, 0.33 }, { -0.15, 0.07 },
};

static void up(void)
{
	wm_t_jackd_start(&jackd, wm_tmpdir());
	osc_port = wm_t_osc_daemon_start(&wd, wm_tmpdir(), CHANNELS, ZONES, NULL);
}

static void down(void)
{
	wm_t_daemon_stop(&wd);
	wm_t_jackd_stop(&jackd);
}

static void probes_open(void)
{
	struct sc_mix m;

	src = wm_t_src_open(NULL, 2 * CHANNELS);
	sink = wm_t_sink_open(NULL, 2 * ZONES, 12.0);
	wm_t_connect_zones(src, &wd, sink, ZONES);
	cl = wm_client_connect(wd.sock, 2000);
	ck_assert_msg(cl != NULL, "cannot connect to %s", wd.sock);
	sc_mix_default(&m, CHANNELS, ZONES);
	sc_mix_apply(cl, &m, 0);
	sc_delete_all_scenes(cl);
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

/* Source port `out` carries DC v into the daemon's input `port`. */
static void feed(int out, const char *port, double v)
{
	wm_t_connect(src, wm_src_port(src, out), wm_daemon_port(&wd, port));
	wm_src_stage(src, out, wm_sig_dc((float)v));
}

/* After the last change has settled: every zone output is what m gives. */
static void expect_outputs(const struct sc_mix *m, const char *what)
{
	uint32_t from;
	char msg[256];

	wm_sleep_ms(100);
	from = (uint32_t)wm_t_capture(sink, 200);
	for (int z = 1; z <= ZONES; z++)
		for (int side = 0; side < 2; side++) {
			snprintf(msg, sizeof msg, "%s: zone%d_%c", what, z, side ? 'R' : 'L');
			wm_t_expect_const(sink, 2 * z - 1 + side, from, wm_sink_end(sink),
					  sc_mix_out(m, IN, z, side), 1e-6, 1e-5, msg);
		}
}

/* A recall that must succeed; checks the reply's fields. */
static json_t *recall(const char *name, int fade_ms)
{
	json_t *r = wm_t_request(cl, "scene recall %s %d", name, fade_ms), *w;

	wm_t_assert_ok(r, "scene recall");
	ck_assert_msg(strcmp(wm_t_strval(json_object_get(r, "scene")), name) == 0 &&
		      json_is_number(json_object_get(r, "fade_ms")) &&
		      json_number_value(json_object_get(r, "fade_ms")) == fade_ms &&
		      json_is_integer(json_object_get(r, "applied")),
		      "scene recall %s %d: want scene, fade_ms and applied in %s", name, fade_ms,
		      wm_t_json_str(r));
	w = json_object_get(r, "warnings");
	ck_assert_msg(json_is_array(w), "scene recall: no warnings array: %s", wm_t_json_str(r));
	return r;
}

/* --- fades ---------------------------------------------------------------- */

struct fade_spec {
	int port;                       /* sink port */
	double from, to;
};

static char fade_info[256];            /* what the last check_fade measured */

/* One port after the request: wm_check_transition's rules (steady before,
 * no movement before the request, inside [from, to]) plus: it starts within
 * two periods of the reply, lasts frames +- one period, is monotonic,
 * linear in amplitude (0.5 % of the span) and never steps more than a
 * linear ramp's step (+2 %, + float rounding). */
static bool check_fade(const struct fade_spec *f, uint32_t first, uint32_t before,
		       uint32_t after, int frames, uint32_t *depart, char *why, size_t len)
{
	double span = f->to - f->from, step = fabs(span) / frames, prev = f->from;
	uint32_t s0, latest = after + 3 * P + (uint32_t)frames;
	struct wm_transition t;
	int dur;

	if (!wm_check_transition(sink, f->port, first, before, latest, f->from, f->to,
				 frames, &t, why, len))
		return false;
	*depart = t.depart;
	if (wm_frame_diff(t.depart, after) > 2 * P) {
		snprintf(why, len, "port %d started %d frames after the reply; want within two "
			 "periods (%d)", f->port, wm_frame_diff(t.depart, after), 2 * P);
		return false;
	}
	s0 = t.depart - 1;              /* the ramp's frame 0, still at `from` */
	dur = wm_frame_diff(t.settle, s0);
	if (abs(dur - frames) > P) {
		snprintf(why, len, "port %d: the fade lasted %d frames; want %d +- one period",
			 f->port, dur, frames);
		return false;
	}
	snprintf(fade_info, sizeof fade_info, "began %d frames after the reply, lasted %d "
		 "frames (want %d), largest step %.3g (a linear step is %.3g)",
		 wm_frame_diff(t.depart, after), dur, frames, t.max_step, step);
	for (uint32_t x = t.depart; wm_frame_diff(x, t.settle) <= 0; x++) {
		double want = f->from + span * wm_frame_diff(x, s0) / dur;
		float v;

		if (!wm_sink_sample(sink, f->port, x, &v))
			continue;
		if ((span > 0 && v < prev) || (span < 0 && v > prev)) {
			snprintf(why, len, "port %d: not monotonic at frame %u (%d into the fade): "
				 "%.9g after %.9g", f->port, x, wm_frame_diff(x, s0), v, prev);
			return false;
		}
		if (fabs(v - prev) > 1.02 * step + 2.5e-7) {
			snprintf(why, len, "port %d: a step of %.3g at frame %u (%d into the fade); "
				 "a linear %d-frame fade steps %.3g", f->port, fabs(v - prev), x,
				 wm_frame_diff(x, s0), frames, step);
			return false;
		}
		if (fabs(v - want) > 0.005 * fabs(span) + 1e-6) {
			snprintf(why, len, "port %d: %.9g at frame %u (%d of %d into the fade); a "
				 "fade linear in amplitude is at %.9g there", f->port, v, x,
				 wm_frame_diff(x, s0), dur, want);
			return false;
		}
		prev = v;
	}
	return true;
}

/* Send `line` (a recall) while capturing and check every port's fade; on a
 * capture spoilt by an xrun, `undo` and try again (three attempts). */
static void fade(const char *line, const char *undo, const struct fade_spec *fs, int n,
		 int frames, uint32_t *departs)
{
	char why[768];

	for (int attempt = 1;; attempt++) {
		uint32_t first = (uint32_t)wm_t_capture(sink, 100), before, after;
		bool ok = true;

		before = wm_sink_end(sink);
		wm_t_ok(cl, "%s", line);
		after = wm_sink_end(sink);
		for (int i = 0; i < n && ok; i++)
			ok = check_fade(&fs[i], first, before, after, frames, &departs[i], why,
					sizeof why);
		if (ok)
			return;
		wm_sleep_ms(200);
		if (attempt == 3 || wm_sink_capture_xruns(sink) == 0)
			ck_abort_msg("%s: %s (attempt %d, xruns during the capture: %u)", line, why,
				     attempt, wm_sink_capture_xruns(sink));
		wm_t_ok(cl, "%s", undo);
		wm_sleep_ms(100);
	}
}

/* --- tests ---------------------------------------------------------------- */

static void mix_x(struct sc_mix *m)
{
	static const double gain[] = { -6, -3, 0, 3, -20, -1.5, -INFINITY, 12 };
	static const double pan[] = { 0.5, -0.25, 0, 1, -1, 0.75, -0.5, 0.1 };
	static const bool mute[] = { 0, 0, 1, 0, 1, 0, 0, 1 };
	static const double send[][2] = { { 0, -3 }, { -INFINITY, -6 }, { -1, 0 }, { -12, 0 },
					  { -INFINITY, -INFINITY }, { -2, -4 }, { 0, 0 },
					  { -30, -60 } };
	static const char *const name[] = { "Music", "Announce", "Door chime", "Radio",
					    "Foyer mic", "ch6 spare", "Seven", "Eight" };

	sc_mix_default(m, CHANNELS, ZONES);
	for (int c = 0; c < CHANNELS; c++) {
		m->ch[c].gain = gain[c];
		m->ch[c].pan = pan[c];
		m->ch[c].mute = mute[c];
		m->ch[c].send[0] = send[c][0];
		m->ch[c].send[1] = send[c][1];
		snprintf(m->ch[c].name, sizeof m->ch[c].name, "%s", name[c]);
	}
	m->zone[0] = (struct sc_zone){ -2, false, "Entrance" };
	m->zone[1] = (struct sc_zone){ -4.5, false, "Hall" };
}

/* Every parameter different from mix_x. */
static void mix_y(struct sc_mix *m)
{
	static const double pan[] = { -0.5, 0.25, 0.6, -1, 1, 0, 0.5, -0.1 };
	struct sc_mix x;

	mix_x(&x);
	sc_mix_default(m, CHANNELS, ZONES);
	for (int c = 0; c < CHANNELS; c++) {
		m->ch[c].gain = -11 - c;
		m->ch[c].pan = pan[c];
		m->ch[c].mute = !x.ch[c].mute;
		m->ch[c].solo = true;
		m->ch[c].send[0] = -7;
		m->ch[c].send[1] = -8;
		snprintf(m->ch[c].name, sizeof m->ch[c].name, "chg %d", c + 1);
	}
	m->zone[0] = (struct sc_zone){ 1, true, "Z1 changed" };
	m->zone[1] = (struct sc_zone){ 2, false, "Z2 changed" };
}

START_TEST(test_round_trip_restores_every_parameter_and_the_audio)
{
	struct sc_mix x, y;
	json_t *r, *s, *file, *ch;
	char port[16], *bad;

	for (int c = 0; c < CHANNELS; c++) {
		snprintf(port, sizeof port, "ch%d_L", c + 1);
		feed(2 * c + 1, port, IN[c][0]);
		snprintf(port, sizeof port, "ch%d_R", c + 1);
		feed(2 * c + 2, port, IN[c][1]);
	}
	/* The mix first, then the signals: the default mix sums all eight
	 * inputs over the limiter's ceiling, and its release would still be
	 * recovering when the levels are checked. */
	mix_x(&x);
	mix_y(&y);
	sc_mix_apply(cl, &x, 0);
	wm_t_commit(src);
	sc_mix_assert(cl, &x, "mix x as set");
	expect_outputs(&x, "mix x as set");

	r = wm_t_assert_ok(wm_t_request(cl, "scene save x"), "scene save x");
	ck_assert_msg(strcmp(wm_t_strval(json_object_get(r, "scene")), "x") == 0, "%s",
		      wm_t_json_str(r));
	json_decref(r);
	bad = sc_scene_problem(sc_state(&wd, "scenes/x.json"), CHANNELS, ZONES, true);
	ck_assert_msg(!bad, "after scene save x: %s", bad);
	r = wm_t_assert_ok(wm_t_request(cl, "scene show x"), "scene show x");
	s = json_object_get(r, "scene");
	file = json_load_file(sc_state(&wd, "scenes/x.json"), 0, NULL);
	ck_assert_msg(json_equal(s, file), "scene show x differs from scenes/x.json: %s",
		      wm_t_json_str(r));
	json_decref(file);
	ck_assert_str_eq(wm_t_strval(json_object_get(s, "name")), "x");
	ch = json_array_get(json_object_get(s, "channels"), 0);
	ck_assert_msg(sc_json_db(json_object_get(ch, "gain")) == -6 &&
		      sc_json_db(json_object_get(json_object_get(ch, "sends"), "2")) == -3 &&
		      strcmp(wm_t_strval(json_object_get(ch, "name")), "Music") == 0,
		      "scene show x: channels[0] is %s", wm_t_json_str(ch));
	ch = json_array_get(json_object_get(s, "channels"), 6);
	ck_assert_msg(strcmp(wm_t_strval(json_object_get(ch, "gain")), "-inf") == 0,
		      "-inf dB is the string \"-inf\" in a scene: channels[6] is %s",
		      wm_t_json_str(ch));
	ck_assert_str_eq(wm_t_strval(json_object_get(json_array_get(json_object_get(s, "zones"),
									   0), "name")), "Entrance");
	json_decref(r);

	sc_mix_apply(cl, &y, 0);
	sc_mix_assert(cl, &y, "everything changed");
	expect_outputs(&y, "everything changed");

	r = recall("x", 0);
	ck_assert_msg(json_integer_value(json_object_get(r, "applied")) > 0 &&
		      json_array_size(json_object_get(r, "warnings")) == 0,
		      "a recall that changes everything on the topology it was saved on: %s",
		      wm_t_json_str(r));
	json_decref(r);
	sc_mix_assert(cl, &x, "after scene recall x");
	expect_outputs(&x, "after scene recall x");
}
END_TEST

START_TEST(test_recall_with_fade_crossfades_linearly_over_the_fade)
{
	struct fade_spec f = { ZL1, 0.5 * sc_amp(-20), 0.5 };
	uint32_t depart;
	json_t *r;

	feed(1, "ch1_L", 0.5);
	wm_t_commit(src);
	wm_t_ok(cl, "scene save evening");
	wm_t_ok(cl, "set ch/1/gain -20 0");
	wm_sleep_ms(100);
	fade("scene recall evening 2000", "set ch/1/gain -20 0", &f, 1, 2 * WM_T_RATE, &depart);
	fprintf(stderr, "scene: recall evening 2000: ch1 %s\n", fade_info);
	r = wm_t_assert_ok(wm_t_request(cl, "get ch/1/gain"), "get ch/1/gain");
	ck_assert_msg(wm_t_value_num(r) == 0, "after the recall: %s", wm_t_json_str(r));
	json_decref(r);
	wm_t_expect_const(sink, ZL2, depart + 2 * WM_T_RATE + P, wm_sink_end(sink), 0.5, 1e-6, 1e-6,
			  "zone2_L after the fade");
}
END_TEST

START_TEST(test_mute_and_solo_fade_over_the_fade)
{
	struct fade_spec out_in[] = { { ZL1, 0.5, 0 }, { ZL2, 0, 0.25 } };
	struct fade_spec in_out[] = { { ZL1, 0, 0.5 }, { ZL2, 0.25, 0 } };
	struct fade_spec solo_out = { ZL2, 0.25, 0 };
	uint32_t d[2];
	json_t *r;

	feed(1, "ch1_L", 0.5);          /* ch1 only to zone 1, ch2 only to zone 2 */
	feed(2, "ch2_L", 0.25);
	wm_t_commit(src);
	wm_t_ok(cl, "set ch/1/send/2 -inf 0");
	wm_t_ok(cl, "set ch/2/send/1 -inf 0");
	wm_t_ok(cl, "set ch/2/mute on 0");
	wm_t_ok(cl, "scene save ch1on");
	wm_t_ok(cl, "set ch/1/mute on 0");
	wm_t_ok(cl, "set ch/2/mute off 0");
	wm_t_ok(cl, "scene save ch2on");
	wm_t_ok(cl, "scene recall ch1on 0");
	wm_sleep_ms(100);

	fade("scene recall ch2on 500", "scene recall ch1on", out_in, 2, WM_T_RATE / 2, d);
	ck_assert_msg(d[0] == d[1], "the mute fade-out began at frame %u, the unmute fade-in at "
		      "%u: one recall, one period", d[0], d[1]);
	r = wm_t_assert_ok(wm_t_request(cl, "get ch/1/mute"), "get ch/1/mute");
	ck_assert_msg(json_is_true(json_object_get(r, "value")), "%s", wm_t_json_str(r));
	json_decref(r);

	/* fade 0: mutes move over the normal 20 ms ramp, not a cut */
	fade("scene recall ch1on 0", "scene recall ch2on", in_out, 2, RAMP_FRAMES, d);
	ck_assert_msg(d[0] == d[1], "unmute at frame %u, mute at %u: one recall, one period",
		      d[0], d[1]);

	/* solo fades too: soloing ch1 fades ch2 out, ch1 does not move */
	wm_t_ok(cl, "set ch/2/mute off 0");
	wm_t_ok(cl, "scene save both");
	wm_t_ok(cl, "set ch/1/solo on 0");
	wm_t_ok(cl, "scene save solo1");
	wm_t_ok(cl, "scene recall both 0");
	wm_sleep_ms(100);
	fade("scene recall solo1 500", "scene recall both 0", &solo_out, 1, WM_T_RATE / 2, d);
	wm_t_expect_const(sink, ZL1, wm_sink_first(sink), wm_sink_end(sink), 0.5, 1e-7, 1e-6,
			  "zone1_L (ch1) while ch1 is soloed");
}
END_TEST

START_TEST(test_a_recall_reaches_the_engine_in_one_period)
{
	struct fade_spec to_a[] = { { ZL1, 0.5, 0.5 * sc_amp(-12) }, { ZL2, 0.25, 0.25 * sc_amp(-6) } };
	struct fade_spec to_b[] = { { ZL1, 0.5 * sc_amp(-12), 0.5 }, { ZL2, 0.25 * sc_amp(-6), 0.25 } };
	uint32_t d[2];

	feed(1, "ch1_L", 0.5);
	feed(2, "ch2_L", 0.25);
	wm_t_commit(src);
	wm_t_ok(cl, "set ch/1/send/2 -inf 0");
	wm_t_ok(cl, "set ch/2/send/1 -inf 0");
	wm_t_ok(cl, "scene save b");
	wm_t_ok(cl, "set ch/1/gain -12 0");
	wm_t_ok(cl, "set ch/2/gain -6 0");
	wm_t_ok(cl, "scene save a");
	wm_t_ok(cl, "scene recall b 0");
	wm_sleep_ms(100);
	for (int i = 0; i < 8; i++) {
		bool to_scene_a = i % 2 == 0;

		fade(to_scene_a ? "scene recall a 0" : "scene recall b 0",
		     to_scene_a ? "scene recall b 0" : "scene recall a 0",
		     to_scene_a ? to_a : to_b, 2, RAMP_FRAMES, d);
		ck_assert_msg(d[0] == d[1], "recall %d: ch1 (zone 1) began to move at frame %u, "
			      "ch2 (zone 2) at %u; a recall must reach the engine in one period",
			      i + 1, d[0], d[1]);
	}
}
END_TEST

/* Read events until a scene event with this action arrives (2 s); the paths
 * of change events seen on the way are added to `paths`. */
static json_t *scene_event(struct wm_client *ev, const char *action, json_t *paths)
{
	long long deadline = wm_now_ms() + 2000;
	json_t *e;

	while (wm_now_ms() < deadline && (e = wm_client_read_event(ev, 200))) {
		const char *kind = wm_t_strval(json_object_get(e, "event"));

		if (strcmp(kind, "change") == 0)
			json_array_append(paths, json_object_get(e, "path"));
		if (strcmp(kind, "scene") == 0 &&
		    strcmp(wm_t_strval(json_object_get(e, "action")), action) == 0)
			return e;
		json_decref(e);
	}
	ck_abort_msg("no {\"event\":\"scene\",\"action\":\"%s\"} within 2 s", action);
	return NULL;
}

static bool has_path(const json_t *paths, const char *path)
{
	json_t *p;
	size_t i;

	json_array_foreach(paths, i, p)
		if (strcmp(wm_t_strval(p), path) == 0)
			return true;
	return false;
}

START_TEST(test_osc_recall_and_what_subscribers_hear)
{
	static const char *const changed[] = { "ch/1/gain", "ch/2/mute", "ch/3/name", "zone/2/gain" };
	struct wm_osc_peer *a = wm_t_osc_peer(osc_port), *b = wm_t_osc_peer(osc_port);
	struct wm_client *ev = wm_client_connect(wd.sock, 2000);
	const struct wm_osc_msg *m;
	json_t *paths = json_array(), *e, *r;

	ck_assert_ptr_nonnull(ev);
	wm_t_ok(cl, "set ch/1/gain -6 0");
	wm_t_ok(cl, "set ch/2/mute on 0");
	wm_t_ok(cl, "set ch/3/name Eve");
	wm_t_ok(cl, "set zone/2/gain -3 0");
	wm_t_ok(cl, "scene save evening");
	wm_t_ok(cl, "set ch/1/gain 0 0");
	wm_t_ok(cl, "set ch/2/mute off 0");
	wm_t_ok(cl, "set ch/3/name \"ch 3\"");
	wm_t_ok(cl, "set zone/2/gain 0 0");

	wm_osc_send(a, "/subscribe", "");
	wm_t_osc_expect_num(a, "/subscribe/reply", 'i', 1, 0);
	wm_t_ok(ev, "subscribe changes");
	wm_osc_pump(a, 200);
	wm_osc_clear(a);

	wm_osc_send(b, "/scene/recall", "sf", "evening", 0.0);
	m = wm_t_osc_take(b, "/scene/recall/reply", WM_T_OSC_TIMEOUT_MS);
	ck_assert_msg(m->argc == 1 && m->types[0] == 's', "%s", wm_osc_msg_str(m));
	r = json_loads(m->argv[0].s, 0, NULL);
	ck_assert_msg(json_is_true(json_object_get(r, "ok")) &&
		      strcmp(wm_t_strval(json_object_get(r, "scene")), "evening") == 0,
		      "/scene/recall/reply: %s", wm_osc_msg_str(m));
	json_decref(r);

	wm_t_osc_expect_num(a, "/ch/1/gain", 'f', -6, 1e-6);
	wm_t_osc_expect_num(a, "/ch/2/mute", 'i', 1, 0);
	wm_t_osc_expect_str(a, "/ch/3/name", "Eve");
	wm_t_osc_expect_num(a, "/zone/2/gain", 'f', -3, 1e-6);
	wm_t_osc_expect_str(a, "/scene/current", "evening");
	wm_t_osc_expect_none(a, "/ch/4/gain", 300, "ch/4/gain is the same in the scene: only "
			     "changed parameters are announced");

	e = scene_event(ev, "recall", paths);
	ck_assert_msg(strcmp(wm_t_strval(json_object_get(e, "name")), "evening") == 0, "%s",
		      wm_t_json_str(e));
	json_decref(e);
	while ((e = wm_client_read_event(ev, 300))) {   /* changes may follow the scene event */
		if (strcmp(wm_t_strval(json_object_get(e, "event")), "change") == 0)
			json_array_append(paths, json_object_get(e, "path"));
		json_decref(e);
	}
	for (size_t i = 0; i < sizeof changed / sizeof changed[0]; i++)
		ck_assert_msg(has_path(paths, changed[i]), "no change event for %s; changes seen: %s",
			      changed[i], wm_t_json_str(paths));
	ck_assert_msg(!has_path(paths, "ch/4/gain"), "a change event for ch/4/gain, which the "
		      "recall did not change: %s", wm_t_json_str(paths));

	wm_osc_send(b, "/scene/recall", "s", "nosuch");
	wm_t_osc_expect_error(b, "/scene/recall", "not_found");

	/* save, rename, delete are announced too */
	wm_t_ok(cl, "scene save ev2");
	e = scene_event(ev, "save", paths);
	ck_assert_msg(strcmp(wm_t_strval(json_object_get(e, "name")), "ev2") == 0, "%s",
		      wm_t_json_str(e));
	json_decref(e);
	wm_t_ok(cl, "scene rename ev2 ev3");
	e = scene_event(ev, "rename", paths);
	ck_assert_msg(strcmp(wm_t_strval(json_object_get(e, "name")), "ev3") == 0, "rename ev2 "
		      "ev3: the event names the new name: %s", wm_t_json_str(e));
	json_decref(e);
	wm_t_ok(cl, "scene delete ev3");
	e = scene_event(ev, "delete", paths);
	ck_assert_msg(strcmp(wm_t_strval(json_object_get(e, "name")), "ev3") == 0, "%s",
		      wm_t_json_str(e));
	json_decref(e);

	wm_osc_send(a, "/unsubscribe", "");
	wm_osc_pump(a, 100);
	json_decref(paths);
	wm_client_close(ev);
	wm_osc_peer_free(a);
	wm_osc_peer_free(b);
}
END_TEST

static Suite *scene_suite(void)
{
	Suite *s = suite_create("scene");
	TCase *tc = tcase_create("heard");

	tcase_add_unchecked_fixture(tc, up, down);
	tcase_add_checked_fixture(tc, probes_open, probes_close);
	tcase_set_timeout(tc, 40);
	tcase_add_test(tc, test_round_trip_restores_every_parameter_and_the_audio);
	tcase_add_test(tc, test_recall_with_fade_crossfades_linearly_over_the_fade);
	tcase_add_test(tc, test_mute_and_solo_fade_over_the_fade);
	tcase_add_test(tc, test_a_recall_reaches_the_engine_in_one_period);
	tcase_add_test(tc, test_osc_recall_and_what_subscribers_hear);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(scene_suite());
}
