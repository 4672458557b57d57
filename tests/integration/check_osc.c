/* check_osc.c - washmixd driven over OSC/UDP by real liblo controllers:
 * every kind of parameter set with every accepted argument type (f i d h,
 * T F, s), checked both through the control socket and in the captured
 * audio; queries and their reply types; refused sets answered with /error
 * and the current value; bundles applied in one JACK period and future
 * timetags refused; and the real `oscsend` from liblo-tools muting a
 * channel. Subscriptions, meters and verbs: check_osc_feedback.c; bad
 * input and floods: check_osc_abuse.c.
 *
 * One jackd and one daemon (8 stereo channels, channel 3 mono, 2 zones, OSC
 * on a free port) for all tests; each test starts from the default mix,
 * reset through the socket. An OSC set has no reply, so a test waits until
 * `get` on the socket reads the new value, then captures audio from a
 * period plus the ramp later (the timing rules of check_live.c). */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/support/audiocheck.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/jackd_fixture.h"
#include "tests/support/jackprobe.h"
#include "tests/support/oscclient.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

#define CHANNELS 8
#define ZONES 2
#define RAMP_FRAMES 960                 /* the default 20 ms at 48 kHz */
/* The period that takes the change, the ramp, the limiter's lookahead,
 * and a period of slack for a cycle lost to an xrun. */
#define SETTLE (WM_T_PERIOD + RAMP_FRAMES + wm_t_output_delay + 2 * WM_T_PERIOD)
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
static struct wm_osc_peer *ctl;         /* the controller under test */
static uint32_t changed_at;             /* frame time when the change was seen */

static double db(double g)
{
	return pow(10.0, g / 20.0);
}

/* --- fixtures ------------------------------------------------------------ */

static void up(void)
{
	wm_t_jackd_start(&jackd, wm_tmpdir());
	osc_port = wm_t_osc_daemon_start(&wd, wm_tmpdir(), CHANNELS, ZONES, "3");
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
	ctl = wm_t_osc_peer(osc_port);
}

static void probes_close(void)
{
	wm_osc_peer_free(ctl);
	wm_client_close(cl);
	wm_sink_close(sink);
	wm_src_close(src);
	ctl = NULL;
	cl = NULL;
	sink = NULL;
	src = NULL;
}

static void reset_mix(void)
{
	for (int c = 1; c <= CHANNELS; c++) {
		wm_t_ok(cl, "set ch/%d/gain 0 0", c);
		wm_t_ok(cl, "set ch/%d/pan 0 0", c);
		wm_t_ok(cl, "set ch/%d/mute off 0", c);
		wm_t_ok(cl, "set ch/%d/solo off 0", c);
		wm_t_ok(cl, "set ch/%d/name \"ch %d\"", c, c);
		for (int z = 1; z <= ZONES; z++)
			wm_t_ok(cl, "set ch/%d/send/%d 0 0", c, z);
	}
	for (int z = 1; z <= ZONES; z++) {
		wm_t_ok(cl, "set zone/%d/gain 0 0", z);
		wm_t_ok(cl, "set zone/%d/mute off 0", z);
		wm_t_ok(cl, "set zone/%d/name \"zone %d\"", z, z);
	}
}

/* Source port `out` into a daemon input port ("ch1_L", "ch3"). */
static void feed(int out, const char *port)
{
	wm_t_connect(src, wm_src_port(src, out), wm_daemon_port(&wd, port));
}

/* --- waiting for an OSC change to show on the socket ---------------------- */

static json_t *get(const char *path)
{
	return wm_t_assert_ok(wm_t_request(cl, "get %s", path), path);
}

static bool num_matches(json_t *v, double want, double tol)
{
	if (isinf(want))
		return json_is_string(v) && strcmp(json_string_value(v), "-inf") == 0;
	return json_is_number(v) && fabs(json_number_value(v) - want) <= tol;
}

/* Poll `get path` (2 s) until its value satisfies the check; what = the OSC
 * message that should have caused it. Sets changed_at. */
static void wait_value(const char *path, const char *what, bool is_num, double num,
		       double tol, const char *str)
{
	long long deadline = wm_now_ms() + 2000;

	for (;;) {
		json_t *r = get(path), *v = json_object_get(r, "value");
		bool ok = is_num ? num_matches(v, num, tol) :
			  str ? json_is_string(v) && strcmp(json_string_value(v), str) == 0 :
			  json_is_boolean(v) && json_is_true(v) == (num != 0);

		if (ok) {
			json_decref(r);
			break;
		}
		if (wm_now_ms() > deadline)
			ck_abort_msg("after OSC %s, `get %s` still says %s 2 s later", what, path,
				     wm_t_json_str(r));
		json_decref(r);
		wm_sleep_ms(10);
	}
	changed_at = src ? wm_src_now(src) : 0;
}

#define WAIT_NUM(path, what, v) wait_value(path, what, true, v, 1e-4, NULL)
#define WAIT_BOOL(path, what, b) wait_value(path, what, false, b, 0, NULL)
#define WAIT_STR(path, what, s) wait_value(path, what, false, 0, 0, s)

/* --- audio ----------------------------------------------------------------- */

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

/* After capture_settled: the port is at a steady v (relative tolerance rel). */
static void level_rel(int port, double v, double rel, const char *what)
{
	wm_t_expect(sink, port, settled_from(), wm_sink_end(sink), wm_const_value, &v, 1e-7, rel,
		    2400, what);
}

#define LEVEL(port, v, what) level_rel(port, v, 1e-6, what)

/* --- sets ------------------------------------------------------------------ */

START_TEST(test_gain_set_with_every_number_type_reaches_the_audio)
{
	struct wm_transition t;
	char why[768];
	uint32_t first, before, after;
	int d;

	feed(1, "ch2_L");
	wm_t_set(src, 1, wm_sig_dc(0.5f));

	wm_osc_send(ctl, "/ch/2/gain", "f", -6.0);
	WAIT_NUM("ch/2/gain", "/ch/2/gain f -6", -6.0);
	capture_settled();
	LEVEL(ZL1, 0.5 * db(-6), "/ch/2/gain f -6: zone1_L = 0.5 x 10^(-6/20)");
	LEVEL(ZL2, 0.5 * db(-6), "/ch/2/gain f -6: zone2_L");
	LEVEL(ZR1, 0.0, "/ch/2/gain f -6: zone1_R (ch2_R silent)");

	wm_osc_send(ctl, "/ch/2/gain", "i", -12);
	WAIT_NUM("ch/2/gain", "/ch/2/gain i -12", -12.0);
	capture_settled();
	LEVEL(ZL1, 0.5 * db(-12), "/ch/2/gain i -12: zone1_L");

	wm_osc_send(ctl, "/ch/2/gain", "d", -3.0);
	WAIT_NUM("ch/2/gain", "/ch/2/gain d -3", -3.0);
	capture_settled();
	LEVEL(ZL1, 0.5 * db(-3), "/ch/2/gain d -3: zone1_L");

	wm_osc_send(ctl, "/ch/2/gain", "h", (int64_t)-9);
	WAIT_NUM("ch/2/gain", "/ch/2/gain h -9", -9.0);
	capture_settled();
	LEVEL(ZL1, 0.5 * db(-9), "/ch/2/gain h -9: zone1_L");

	wm_osc_send(ctl, "/ch/2/gain", "s", "-inf");
	WAIT_NUM("ch/2/gain", "/ch/2/gain s \"-inf\"", -INFINITY);
	capture_settled();
	LEVEL(ZL1, 0.0, "/ch/2/gain s \"-inf\": zone1_L silent");

	wm_osc_send(ctl, "/ch/2/gain", "f", 0.0);
	WAIT_NUM("ch/2/gain", "/ch/2/gain f 0", 0.0);
	capture_settled();
	LEVEL(ZL1, 0.5, "/ch/2/gain f 0: zone1_L back to 0.5");

	/* the fader: 0.5 is -10 dB on the taper */
	wm_osc_send(ctl, "/ch/2/fader", "f", 0.5);
	WAIT_NUM("ch/2/gain", "/ch/2/fader f 0.5", -10.0);
	WAIT_NUM("ch/2/fader", "/ch/2/fader f 0.5", 0.5);
	capture_settled();
	level_rel(ZL1, 0.5 * db(-10), 1e-4, "/ch/2/fader f 0.5 (-10 dB): zone1_L");

	/* a second argument is the ramp in ms: 100 ms as i, from -10 to -20 dB */
	first = (uint32_t)wm_t_capture(sink, 100);
	before = wm_sink_end(sink);
	wm_osc_send(ctl, "/ch/2/gain", "fi", -20.0, 100);
	WAIT_NUM("ch/2/gain", "/ch/2/gain f -20 i 100", -20.0);
	after = wm_sink_end(sink);
	ck_assert_msg(wm_check_transition(sink, ZL1, first, before,
					  after + WM_T_PERIOD + 4800 + 1, 0.5 * db(-10),
					  0.5 * db(-20), 4800, &t, why, sizeof why),
		      "/ch/2/gain f -20 i 100: %s (xruns: %u)", why, wm_sink_capture_xruns(sink));
	d = wm_frame_diff(t.settle, t.depart);
	ck_assert_msg(abs(d - 4800) <= WM_T_PERIOD,
		      "/ch/2/gain f -20 i 100 ramped over %d frames; want 4800 +- one period", d);
}
END_TEST

START_TEST(test_mute_solo_take_every_bool_form)
{
	static const struct {
		const char *types;
		double num;
		const char *str;
		bool want;
	} forms[] = {
		{ "i", 1, NULL, true }, { "F", 0, NULL, false }, { "T", 0, NULL, true },
		{ "f", 0, NULL, false }, { "s", 0, "on", true }, { "f", 1, NULL, true },
		{ "i", 0, NULL, false },
	};

	feed(1, "ch1_L");
	feed(2, "ch2_L");
	wm_src_stage(src, 1, wm_sig_dc(0.5f));
	wm_src_stage(src, 2, wm_sig_dc(0.25f));
	wm_t_commit(src);
	for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++) {
		char what[96];
		const char *t = forms[k].types;

		if (t[0] == 'i')
			wm_osc_send(ctl, "/ch/1/mute", t, (int)forms[k].num);
		else if (t[0] == 'f')
			wm_osc_send(ctl, "/ch/1/mute", t, forms[k].num);
		else if (t[0] == 's')
			wm_osc_send(ctl, "/ch/1/mute", t, forms[k].str);
		else
			wm_osc_send(ctl, "/ch/1/mute", t);
		snprintf(what, sizeof what, "/ch/1/mute %s %s", t,
			 t[0] == 's' ? forms[k].str : t[0] == 'i' || t[0] == 'f' ?
			 (forms[k].num ? "1" : "0") : "");
		WAIT_BOOL("ch/1/mute", what, forms[k].want);
		capture_settled();
		LEVEL(ZL1, forms[k].want ? 0.25 : 0.75, what);
		LEVEL(ZL2, forms[k].want ? 0.25 : 0.75, what);
	}
	wm_osc_send(ctl, "/ch/2/solo", "T");
	WAIT_BOOL("ch/2/solo", "/ch/2/solo T", true);
	capture_settled();
	LEVEL(ZL1, 0.25, "/ch/2/solo T: only ch2 heard in zone1_L");
	wm_osc_send(ctl, "/ch/2/solo", "i", 0);
	WAIT_BOOL("ch/2/solo", "/ch/2/solo i 0", false);
	capture_settled();
	LEVEL(ZL1, 0.75, "/ch/2/solo i 0: both heard in zone1_L");
}
END_TEST

START_TEST(test_pan_send_zone_gain_zone_mute_and_names)
{
	feed(1, "ch3");
	wm_t_set(src, 1, wm_sig_dc(0.5f));

	wm_osc_send(ctl, "/ch/3/pan", "f", -1.0);
	WAIT_NUM("ch/3/pan", "/ch/3/pan f -1", -1.0);
	capture_settled();
	LEVEL(ZL1, 0.5, "mono ch3 /ch/3/pan f -1: zone1_L");
	LEVEL(ZR1, 0.0, "mono ch3 /ch/3/pan f -1: zone1_R");
	wm_osc_send(ctl, "/ch/3/pan", "i", 1);
	WAIT_NUM("ch/3/pan", "/ch/3/pan i 1", 1.0);
	capture_settled();
	LEVEL(ZL1, 0.0, "mono ch3 /ch/3/pan i 1: zone1_L");
	LEVEL(ZR2, 0.5, "mono ch3 /ch/3/pan i 1: zone2_R");
	wm_osc_send(ctl, "/ch/3/pan", "d", 0.0);
	WAIT_NUM("ch/3/pan", "/ch/3/pan d 0", 0.0);
	capture_settled();
	LEVEL(ZL1, 0.5 * M_SQRT1_2, "mono ch3 /ch/3/pan d 0: zone1_L at -3 dB");

	wm_osc_send(ctl, "/ch/3/send/2", "f", -INFINITY);
	WAIT_NUM("ch/3/send/2", "/ch/3/send/2 f -inf", -INFINITY);
	capture_settled();
	LEVEL(ZL2, 0.0, "/ch/3/send/2 f -inf: zone2_L");
	LEVEL(ZL1, 0.5 * M_SQRT1_2, "/ch/3/send/2 f -inf: zone1_L unchanged");
	wm_osc_send(ctl, "/ch/3/send/2", "i", -6);
	WAIT_NUM("ch/3/send/2", "/ch/3/send/2 i -6", -6.0);
	capture_settled();
	LEVEL(ZL2, 0.5 * M_SQRT1_2 * db(-6), "/ch/3/send/2 i -6: zone2_L");

	wm_osc_send(ctl, "/zone/1/gain", "d", -6.0);
	WAIT_NUM("zone/1/gain", "/zone/1/gain d -6", -6.0);
	capture_settled();
	LEVEL(ZL1, 0.5 * M_SQRT1_2 * db(-6), "/zone/1/gain d -6: zone1_L");
	wm_osc_send(ctl, "/zone/2/mute", "T");
	WAIT_BOOL("zone/2/mute", "/zone/2/mute T", true);
	capture_settled();
	LEVEL(ZL2, 0.0, "/zone/2/mute T: zone2_L");
	LEVEL(ZR2, 0.0, "/zone/2/mute T: zone2_R");
	LEVEL(ZL1, 0.5 * M_SQRT1_2 * db(-6), "/zone/2/mute T: zone1_L unchanged");

	wm_osc_send(ctl, "/ch/4/name", "s", "Music Bed");
	WAIT_STR("ch/4/name", "/ch/4/name s \"Music Bed\"", "Music Bed");
	wm_osc_send(ctl, "/zone/2/name", "s", "Vacuum lot");
	WAIT_STR("zone/2/name", "/zone/2/name s \"Vacuum lot\"", "Vacuum lot");
}
END_TEST

/* --- queries and refusals ------------------------------------------------- */

START_TEST(test_queries_answer_with_the_value_in_its_type)
{
	wm_t_ok(cl, "set ch/1/gain -6");
	wm_t_ok(cl, "set ch/1/mute on");
	wm_t_ok(cl, "set ch/1/pan -0.5");
	wm_t_ok(cl, "set ch/1/send/2 -inf");
	wm_t_ok(cl, "set ch/2/name Lobby");
	wm_t_ok(cl, "set zone/2/mute on");
	wm_t_ok(cl, "set zone/1/name \"Tunnel exit\"");

	wm_osc_send(ctl, "/ch/1/gain", "");
	wm_t_osc_expect_num(ctl, "/ch/1/gain", 'f', -6.0, 1e-5);
	wm_osc_send(ctl, "/ch/1/fader", "");
	wm_t_osc_expect_num(ctl, "/ch/1/fader", 'f', 0.6, 1e-4);    /* -6 dB on the taper */
	wm_osc_send(ctl, "/ch/1/mute", "");
	wm_t_osc_expect_num(ctl, "/ch/1/mute", 'i', 1, 0);
	wm_osc_send(ctl, "/ch/1/solo", "");
	wm_t_osc_expect_num(ctl, "/ch/1/solo", 'i', 0, 0);
	wm_osc_send(ctl, "/ch/1/pan", "");
	wm_t_osc_expect_num(ctl, "/ch/1/pan", 'f', -0.5, 1e-6);
	wm_osc_send(ctl, "/ch/1/send/2", "");
	wm_t_osc_expect_num(ctl, "/ch/1/send/2", 'f', -INFINITY, 0);
	wm_osc_send(ctl, "/ch/1/send/1", "");
	wm_t_osc_expect_num(ctl, "/ch/1/send/1", 'f', 0.0, 0);
	wm_osc_send(ctl, "/ch/2/name", "");
	wm_t_osc_expect_str(ctl, "/ch/2/name", "Lobby");
	wm_osc_send(ctl, "/zone/1/gain", "");
	wm_t_osc_expect_num(ctl, "/zone/1/gain", 'f', 0.0, 0);
	wm_osc_send(ctl, "/zone/2/mute", "");
	wm_t_osc_expect_num(ctl, "/zone/2/mute", 'i', 1, 0);
	wm_osc_send(ctl, "/zone/1/name", "");
	wm_t_osc_expect_str(ctl, "/zone/1/name", "Tunnel exit");
}
END_TEST

/* Send a refused set; expect /error for it, then the current value. */
static void refused(const char *path, const char *what, const char *code, char type,
		    double now, lo_message m)
{
	const struct wm_osc_msg *e, *v;

	wm_osc_send_msg(ctl, path, m);
	e = wm_t_osc_take(ctl, "/error", WM_T_OSC_TIMEOUT_MS);
	ck_assert_msg(e->argc == 3 && strcmp(e->types, "sss") == 0 &&
		      strcmp(e->argv[0].s, path) == 0 && e->argv[1].s[0] &&
		      (code ? strcmp(e->argv[2].s, code) == 0 : e->argv[2].s[0] != 0),
		      "%s: want /error s \"%s\" s <message> s \"%s\"; got %s", what, path,
		      code ? code : "<code>", wm_osc_msg_str(e));
	v = wm_t_osc_take(ctl, path, WM_T_OSC_TIMEOUT_MS);
	ck_assert_msg(v->seq > e->seq, "%s: the current value came before the /error", what);
	ck_assert_msg(v->argc == 1 && v->types[0] == type &&
		      (type == 's' || (isinf(now) ? isinf(wm_osc_num(v, 0)) :
				       fabs(wm_osc_num(v, 0) - now) < 1e-5)),
		      "%s: after /error want the current value %s %c %g; got %s", what, path, type,
		      now, wm_osc_msg_str(v));
}

static lo_message msg1(const char *types, ...)
{
	lo_message m = lo_message_new();
	va_list ap;

	va_start(ap, types);
	ck_assert(lo_message_add_varargs(m, types, ap) == 0);
	va_end(ap);
	return m;
}

#define MSG(...) msg1(__VA_ARGS__, LO_ARGS_END)

START_TEST(test_refused_sets_answer_error_then_the_current_value)
{
	lo_blob blob = lo_blob_new(4, "abcd");
	json_t *before, *after;

	wm_t_ok(cl, "set ch/1/gain -6");
	wm_t_ok(cl, "set ch/1/pan -0.5");
	before = wm_t_assert_ok(wm_t_request(cl, "list"), "list");

	refused("/ch/1/gain", "/ch/1/gain f 20", "out_of_range", 'f', -6, MSG("f", 20.0));
	refused("/ch/1/gain", "/ch/1/gain s banana", "bad_type", 'f', -6, MSG("s", "banana"));
	refused("/ch/1/gain", "/ch/1/gain b", "bad_type", 'f', -6, MSG("b", blob));
	refused("/ch/1/gain", "/ch/1/gain f -3 f -5 (negative ramp)", NULL, 'f', -6,
		MSG("ff", -3.0, -5.0));
	refused("/ch/1/pan", "/ch/1/pan f 2", "out_of_range", 'f', -0.5, MSG("f", 2.0));
	refused("/ch/1/mute", "/ch/1/mute i 2", NULL, 'i', 0, MSG("i", 2));
	refused("/ch/1/mute", "/ch/1/mute s maybe", "bad_type", 'i', 0, MSG("s", "maybe"));
	refused("/ch/1/name", "/ch/1/name i 5", "bad_type", 's', NAN, MSG("i", 5));

	/* not a parameter: /error only, no value follows */
	wm_osc_send(ctl, "/ch/99/gain", "f", 0.0);
	wm_t_osc_expect_error(ctl, "/ch/99/gain", "unknown_path");
	wm_t_osc_expect_none(ctl, "/ch/99/gain", 300, "/ch/99/gain is no parameter");

	after = wm_t_assert_ok(wm_t_request(cl, "list"), "list");
	ck_assert_msg(json_equal(before, after), "refused OSC sets changed the mix:\nbefore %s",
		      wm_t_json_str(before));
	json_decref(before);
	json_decref(after);
	lo_blob_free(blob);
}
END_TEST

/* --- bundles ---------------------------------------------------------------- */

START_TEST(test_bundle_changes_land_in_the_same_period)
{
	lo_timetag tt;
	lo_bundle b;
	json_t *r;

	/* ch1 only into zone 1, ch2 only into zone 2: each zone shows one */
	feed(1, "ch1_L");
	feed(2, "ch2_L");
	/* Sends first: both at 0.5 into one zone would pass the limiter's
	 * ceiling, and its release would still be recovering below. */
	wm_t_ok(cl, "set ch/1/send/2 -inf 0");
	wm_t_ok(cl, "set ch/2/send/1 -inf 0");
	wm_src_stage(src, 1, wm_sig_dc(0.5f));
	wm_src_stage(src, 2, wm_sig_dc(0.5f));
	wm_t_commit(src);
	changed_at = wm_src_now(src);
	capture_settled();
	LEVEL(ZL1, 0.5, "ch1 alone in zone1_L");
	LEVEL(ZL2, 0.5, "ch2 alone in zone2_L");

	/* four rounds: both off, both on, ... each with ramp 0 in one bundle */
	for (int round = 0; round < 4; round++) {
		double to_db = round % 2 ? 0.0 : -INFINITY;
		double from_v = round % 2 ? 0.0 : 0.5, to_v = round % 2 ? 0.5 : 0.0;
		uint32_t first = (uint32_t)wm_t_capture(sink, 60), f1 = 0, f2 = 0;
		char what[128];

		b = lo_bundle_new(LO_TT_IMMEDIATE);
		lo_bundle_add_message(b, "/ch/1/gain", MSG("ff", to_db, 0.0));
		lo_bundle_add_message(b, "/ch/2/gain", MSG("ff", to_db, 0.0));
		ck_assert(wm_osc_send_bundle(ctl, b) == 0);
		WAIT_NUM("ch/1/gain", "bundle /ch/1/gain + /ch/2/gain", to_db);
		WAIT_NUM("ch/2/gain", "bundle /ch/1/gain + /ch/2/gain", to_db);
		wm_t_wait_until(sink, changed_at + 2 * WM_T_PERIOD + 2400);
		snprintf(what, sizeof what, "round %d: bundle of /ch/1/gain and /ch/2/gain f %g f 0",
			 round, to_db);
		ck_assert_msg(wm_departs_at(sink, ZL1, first, wm_sink_end(sink), from_v, 1e-6, &f1) &&
			      wm_departs_at(sink, ZL2, first, wm_sink_end(sink), from_v, 1e-6, &f2),
			      "%s: zone1_L or zone2_L never left %g", what, from_v);
		ck_assert_msg(f1 == f2, "%s: zone1_L (ch1) changed at frame %u, zone2_L (ch2) at "
			      "frame %u: a bundle must reach the engine in one period", what, f1, f2);
		wm_t_expect_const(sink, ZL1, f1, wm_sink_end(sink), to_v, 1e-7, 0, what);
		wm_t_expect_const(sink, ZL2, f2, wm_sink_end(sink), to_v, 1e-7, 0, what);
	}

	/* a timetag in the past is applied now */
	lo_timetag_now(&tt);
	tt.sec -= 10;
	b = lo_bundle_new(tt);
	lo_bundle_add_message(b, "/ch/1/gain", MSG("f", -3.0));
	ck_assert(wm_osc_send_bundle(ctl, b) == 0);
	WAIT_NUM("ch/1/gain", "a bundle timetagged 10 s ago with /ch/1/gain f -3", -3.0);

	/* a future timetag: the whole bundle is refused, now and later */
	lo_timetag_now(&tt);
	tt.sec += 2;
	b = lo_bundle_new(tt);
	lo_bundle_add_message(b, "/ch/1/gain", MSG("f", -20.0));
	lo_bundle_add_message(b, "/ch/2/mute", MSG("T"));
	ck_assert(wm_osc_send_bundle(ctl, b) == 0);
	wm_t_osc_expect_error(ctl, "#bundle", "bad_request");
	wm_sleep_ms(2500);
	r = get("ch/1/gain");
	ck_assert_msg(wm_t_value_num(r) == -3.0, "a refused future bundle changed ch/1/gain: %s",
		      wm_t_json_str(r));
	json_decref(r);
	r = get("ch/2/mute");
	ck_assert_msg(json_is_false(json_object_get(r, "value")),
		      "a refused future bundle changed ch/2/mute: %s", wm_t_json_str(r));
	json_decref(r);
}
END_TEST

/* --- the real oscsend ------------------------------------------------------ */

/* --- players ---------------------------------------------------------------- */

/* A 16-bit stereo WAV of `frames` frames of a constant, in the daemon's
 * default media folder (STATE_DIR/media). */
static void write_tone(const char *name, long frames)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/state/media/%s", wd.dir, name);
	FILE *f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	uint32_t data = (uint32_t)frames * 4, riff = data + 36, fmt_len = 16, rate = 48000,
		 bps = 48000 * 4;
	uint16_t pcm = 1, chans = 2, align = 4, bits = 16;
	fwrite("RIFF", 1, 4, f);
	fwrite(&riff, 4, 1, f);
	fwrite("WAVEfmt ", 1, 8, f);
	fwrite(&fmt_len, 4, 1, f);
	fwrite(&pcm, 2, 1, f);
	fwrite(&chans, 2, 1, f);
	fwrite(&rate, 4, 1, f);
	fwrite(&bps, 4, 1, f);
	fwrite(&align, 2, 1, f);
	fwrite(&bits, 2, 1, f);
	fwrite("data", 1, 4, f);
	fwrite(&data, 4, 1, f);
	int16_t v = 1000;
	for (long i = 0; i < 2 * frames; i++)
		fwrite(&v, 2, 1, f);
	fclose(f);
}

/* /ch/N/player s state s file f position f length */
static void expect_player(const char *path, const char *state, const char *file)
{
	const struct wm_osc_msg *m = wm_t_osc_take(ctl, path, 2000);
	ck_assert_msg(strcmp(m->types, "ssff") == 0 && strcmp(m->argv[1].s, file) == 0 &&
		      (!state || strcmp(m->argv[0].s, state) == 0),
		      "want %s s %s s %s f f; got %s", path, state ? state : "*", file,
		      wm_osc_msg_str(m));
}

START_TEST(test_players_over_osc)
{
	write_tone("tone.wav", 4800);
	wm_osc_send(ctl, "/ch/2/play", "s", "tone.wav");
	expect_player("/ch/2/player", NULL, "tone.wav");
	wm_osc_send(ctl, "/ch/2/player", "");
	expect_player("/ch/2/player", NULL, "tone.wav");
	/* Change subscribers hear how plays go, whoever started them. */
	wm_osc_send(ctl, "/subscribe", "");
	wm_t_osc_take(ctl, "/subscribe/reply", 2000);
	wm_osc_clear(ctl);
	wm_t_ok(cl, "play 2 tone.wav");
	/* Each message carries the state at the time: a restart's STOPPED
	 * for the earlier play already says "playing". */
	for (int i = 0; i < 4; i++) {
		const struct wm_osc_msg *m = wm_t_osc_take(ctl, "/ch/2/player", 2000);
		if (strcmp(m->argv[0].s, "ended") == 0)
			break;
		ck_assert_msg(i < 3 && strcmp(m->argv[0].s, "playing") == 0,
			      "want /ch/2/player playing..., then ended; got %s",
			      wm_osc_msg_str(m));
	}
	wm_osc_send(ctl, "/ch/2/play", "sT", "tone.wav");
	expect_player("/ch/2/player", NULL, "tone.wav");
	wm_osc_clear(ctl);
	wm_osc_send(ctl, "/ch/2/stop", "f", 0.0);
	expect_player("/ch/2/player", NULL, "tone.wav");
	wm_osc_send(ctl, "/unsubscribe", "");
	wm_osc_send(ctl, "/ch/2/play", "i", 5);
	wm_t_osc_expect_error(ctl, "/ch/2/play", "wrong_args");
	wm_osc_send(ctl, "/ch/9/play", "s", "tone.wav");
	wm_t_osc_expect_error(ctl, "/ch/9/play", "out_of_range");
	wm_osc_send(ctl, "/ch/2/play", "s", "../tone.wav");
	wm_t_osc_expect_error(ctl, "/ch/2/play", "bad_path");
	wm_osc_send(ctl, "/ch/2/play", "s", "none.wav");
	wm_t_osc_expect_error(ctl, "/ch/2/play", "not_found");
	wm_osc_send(ctl, "/ch/2/duck", "s", "key");
	wm_osc_send(ctl, "/ping", "");
	wm_t_osc_take(ctl, "/ping/reply", 2000);
	json_t *r = wm_t_assert_ok(wm_t_request(cl, "get ch/2/duck"), "get duck");
	ck_assert_str_eq(wm_t_strval(json_object_get(r, "value")), "key");
	json_decref(r);
	wm_osc_send(ctl, "/ch/2/duck", "i", 0);
	wm_osc_send(ctl, "/ch/2/duck", "");
	wm_t_osc_expect_str(ctl, "/ch/2/duck", "off");
}
END_TEST

START_TEST(test_oscsend_from_liblo_tools_mutes_channel_1)
{
	char port[16], out[600], err[600], perr[256], st[96];
	const char *argv[] = { "/usr/bin/oscsend", "localhost", port, "/ch/1/mute", "i", "1",
			       NULL };
	struct wm_proc *p;
	int status;

	feed(1, "ch1_L");
	feed(2, "ch2_L");
	wm_src_stage(src, 1, wm_sig_dc(0.5f));
	wm_src_stage(src, 2, wm_sig_dc(0.25f));
	wm_t_commit(src);
	snprintf(port, sizeof port, "%d", osc_port);
	snprintf(out, sizeof out, "%s/oscsend.out", wm_tmpdir());
	snprintf(err, sizeof err, "%s/oscsend.err", wm_tmpdir());
	p = wm_proc_spawn(argv, NULL, out, err, perr, sizeof perr);
	ck_assert_msg(p != NULL, "cannot run /usr/bin/oscsend (apt install liblo-tools): %s", perr);
	ck_assert_msg(wm_proc_wait(p, 10000, &status) == 0, "oscsend did not finish in 10 s");
	wm_proc_release(p);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "oscsend localhost %s "
		      "/ch/1/mute i 1 ended with %s", port, wm_proc_status_str(status, st, sizeof st));
	WAIT_BOOL("ch/1/mute", "oscsend localhost PORT /ch/1/mute i 1", true);
	capture_settled();
	LEVEL(ZL1, 0.25, "after oscsend /ch/1/mute i 1: zone1_L holds ch2 only");
	LEVEL(ZL2, 0.25, "after oscsend /ch/1/mute i 1: zone2_L holds ch2 only");
}
END_TEST

static Suite *osc_suite(void)
{
	Suite *s = suite_create("osc");
	TCase *tc = tcase_create("osc");

	tcase_add_unchecked_fixture(tc, up, down);
	tcase_add_checked_fixture(tc, probes_open, probes_close);
	tcase_add_checked_fixture(tc, reset_mix, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_gain_set_with_every_number_type_reaches_the_audio);
	tcase_add_test(tc, test_mute_solo_take_every_bool_form);
	tcase_add_test(tc, test_pan_send_zone_gain_zone_mute_and_names);
	tcase_add_test(tc, test_queries_answer_with_the_value_in_its_type);
	tcase_add_test(tc, test_refused_sets_answer_error_then_the_current_value);
	tcase_add_test(tc, test_bundle_changes_land_in_the_same_period);
	tcase_add_test(tc, test_oscsend_from_liblo_tools_mutes_channel_1);
	tcase_add_test(tc, test_players_over_osc);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(osc_suite());
}
