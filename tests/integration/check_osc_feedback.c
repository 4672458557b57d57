/* check_osc_feedback.c - what washmixd tells OSC controllers on its own:
 * change feedback to subscribers (/subscribe, its reply_port, the /xremote
 * alias, /unsubscribe) for changes made through the socket, the washmix CLI
 * and OSC, without echo to the controller that made a change; gain and
 * fader fed back together; leases that lapse unless renewed; the cap of 32
 * subscribers; meters at the asked rate with the right levels; and the
 * socket's verbs (/health, /get, /set, ...) answered as /VERB/reply.
 *
 * One jackd and one daemon (8 stereo channels, 2 zones, OSC on a free
 * port). Every test unsubscribes what it subscribed, so the next one
 * starts without leftover subscribers; peers bind fresh ports anyway. */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/support/daemon_fixture.h"
#include "tests/support/jackd_fixture.h"
#include "tests/support/jackprobe.h"
#include "tests/support/oscclient.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

#define CHANNELS 8
#define ZONES 2
#define QUIET_MS 500                    /* how long "nothing arrives" is watched */

static struct wm_jackd jackd;
static struct wm_daemon wd;
static int osc_port;
static struct wm_src *src;
static struct wm_client *cl;

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
	src = wm_t_src_open(NULL, 2);
	cl = wm_client_connect(wd.sock, 2000);
	ck_assert_msg(cl != NULL, "cannot connect to %s", wd.sock);
	for (int c = 1; c <= CHANNELS; c++) {     /* as a fresh daemon, whatever failed before */
		wm_t_ok(cl, "set ch/%d/gain 0 0", c);
		wm_t_ok(cl, "set ch/%d/mute off 0", c);
		wm_t_ok(cl, "set ch/%d/name \"ch %d\"", c, c);
	}
	for (int z = 1; z <= ZONES; z++) {
		wm_t_ok(cl, "set zone/%d/gain 0 0", z);
		wm_t_ok(cl, "set zone/%d/mute off 0", z);
	}
}

static void probes_close(void)
{
	wm_client_close(cl);
	wm_src_close(src);
	cl = NULL;
	src = NULL;
}

/* Subscribe from `from`, replies to `to` (the same peer: no reply_port). */
static void subscribe(struct wm_osc_peer *from, struct wm_osc_peer *to)
{
	if (from == to)
		wm_osc_send(from, "/subscribe", "");
	else
		wm_osc_send(from, "/subscribe", "i", wm_osc_peer_port(to));
	wm_t_osc_expect_num(to, "/subscribe/reply", 'i', 1, 0);
}

static void unsubscribe(struct wm_osc_peer *p)
{
	wm_osc_send(p, "/unsubscribe", "");
}

/* `washmix --socket S set PATH VALUE`, which must exit 0. */
static void cli_set(const char *path, const char *value)
{
	char out[600], err[600], perr[256], st[96];
	const char *argv[] = { wm_cli_binary(), "--socket", wd.sock, "set", path, value, NULL };
	struct wm_proc *p;
	int status;

	snprintf(out, sizeof out, "%s/cli.out", wm_tmpdir());
	snprintf(err, sizeof err, "%s/cli.err", wm_tmpdir());
	p = wm_proc_spawn(argv, NULL, out, err, perr, sizeof perr);
	ck_assert_msg(p != NULL, "cannot run %s: %s", argv[0], perr);
	ck_assert_msg(wm_proc_wait(p, 10000, &status) == 0, "washmix set did not finish in 10 s");
	wm_proc_release(p);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "washmix set %s %s ended "
		      "with %s", path, value, wm_proc_status_str(status, st, sizeof st));
}

/* The "osc" counters of a `stats` reply (top level, or under "control"). */
static json_t *osc_stats(json_t *r)
{
	json_t *o = json_object_get(r, "osc");

	if (!json_is_object(o))
		o = json_object_get(json_object_get(r, "control"), "osc");
	ck_assert_msg(json_is_object(o), "stats has no \"osc\" object: %s", wm_t_json_str(r));
	return o;
}

static long osc_counter(const char *name)
{
	json_t *r = wm_t_assert_ok(wm_t_request(cl, "stats"), "stats"), *v;
	long n;

	v = json_object_get(osc_stats(r), name);
	ck_assert_msg(json_is_integer(v), "stats osc.%s is not an integer: %s", name,
		      wm_t_json_str(r));
	n = (long)json_integer_value(v);
	json_decref(r);
	return n;
}

/* --- feedback ----------------------------------------------------------------- */

START_TEST(test_cli_and_socket_changes_reach_every_subscriber)
{
	struct wm_osc_peer *a = wm_t_osc_peer(osc_port);
	struct wm_osc_peer *b_send = wm_t_osc_peer(osc_port), *b_listen = wm_t_osc_peer(osc_port);
	struct wm_osc_peer *e = wm_t_osc_peer(osc_port);
	struct wm_osc_peer *both[] = { a, b_listen };

	subscribe(a, a);
	subscribe(b_send, b_listen);            /* a tablet: sends from one port, listens on another */
	wm_osc_send(e, "/xremote", "");         /* the X32 spelling */
	wm_osc_pump(e, 200);

	cli_set("ch/1/gain", "-6");
	for (int i = 0; i < 2; i++) {
		wm_t_osc_expect_num(both[i], "/ch/1/gain", 'f', -6.0, 1e-6);
		wm_t_osc_expect_num(both[i], "/ch/1/fader", 'f', 0.6, 1e-4);
	}
	wm_t_osc_expect_num(e, "/ch/1/gain", 'f', -6.0, 1e-6);

	wm_t_ok(cl, "set ch/2/mute on");
	wm_t_ok(cl, "set ch/3/name Foyer");
	wm_t_ok(cl, "set zone/2/gain -inf");
	wm_t_ok(cl, "set ch/4/fader 0.25");
	for (int i = 0; i < 2; i++) {
		wm_t_osc_expect_num(both[i], "/ch/2/mute", 'i', 1, 0);
		wm_t_osc_expect_str(both[i], "/ch/3/name", "Foyer");
		wm_t_osc_expect_num(both[i], "/zone/2/gain", 'f', -INFINITY, 0);
		wm_t_osc_expect_num(both[i], "/ch/4/gain", 'f', -30.0, 1e-3);
		wm_t_osc_expect_num(both[i], "/ch/4/fader", 'f', 0.25, 1e-5);
	}
	wm_osc_pump(b_send, 100);
	ck_assert_msg(wm_osc_count(b_send, NULL) == 0, "/subscribe i %d: feedback must go to the "
		      "reply port, not the sending port %d, which got:\n%s",
		      wm_osc_peer_port(b_listen), wm_osc_peer_port(b_send), wm_osc_dump(b_send));

	unsubscribe(a);
	wm_osc_pump(a, 200);
	wm_osc_clear(a);
	wm_t_ok(cl, "set ch/2/mute off");
	wm_t_osc_expect_num(b_listen, "/ch/2/mute", 'i', 0, 0);
	wm_t_osc_expect_none(a, "/ch/2/mute", QUIET_MS, "after /unsubscribe no feedback may come");

	unsubscribe(b_send);
	unsubscribe(b_listen);
	unsubscribe(e);
	wm_t_ok(cl, "set ch/3/name \"ch 3\"");
	wm_t_ok(cl, "set zone/2/gain 0");
	wm_osc_peer_free(a);
	wm_osc_peer_free(b_send);
	wm_osc_peer_free(b_listen);
	wm_osc_peer_free(e);
}
END_TEST

START_TEST(test_no_echo_to_the_controller_that_made_the_change)
{
	struct wm_osc_peer *a = wm_t_osc_peer(osc_port);
	struct wm_osc_peer *b_send = wm_t_osc_peer(osc_port), *b_listen = wm_t_osc_peer(osc_port);

	subscribe(a, a);
	subscribe(b_send, b_listen);

	wm_osc_send(a, "/ch/1/gain", "f", -12.0);
	wm_t_osc_expect_num(b_listen, "/ch/1/gain", 'f', -12.0, 1e-6);
	wm_t_osc_expect_num(b_listen, "/ch/1/fader", 'f', 0.475, 1e-4);
	wm_t_osc_expect_none(a, "/ch/1/gain", QUIET_MS, "a change is not echoed to the "
			     "subscriber that made it");
	wm_t_osc_expect_none(a, "/ch/1/fader", 0, "the fader of a gain set is not echoed to "
			     "the subscriber that set the gain");

	/* a query is always answered, subscribed or not */
	wm_osc_send(a, "/ch/1/gain", "");
	wm_t_osc_expect_num(a, "/ch/1/gain", 'f', -12.0, 1e-6);

	/* the tablet: its change comes from b_send, which subscribed for b_listen */
	wm_osc_send(b_send, "/ch/5/mute", "T");
	wm_t_osc_expect_num(a, "/ch/5/mute", 'i', 1, 0);
	wm_t_osc_expect_none(b_listen, "/ch/5/mute", QUIET_MS, "a change from the source address "
			     "that subscribed (with a reply_port) is not echoed to it");

	unsubscribe(a);
	unsubscribe(b_send);
	unsubscribe(b_listen);
	wm_osc_peer_free(a);
	wm_osc_peer_free(b_send);
	wm_osc_peer_free(b_listen);
}
END_TEST

/* A tablet sends from one port and listens on another: /unsubscribe comes
 * from the port that sent /subscribe i REPLY_PORT and must end it. */
START_TEST(test_unsubscribe_ends_what_the_sender_subscribed)
{
	struct wm_osc_peer *a = wm_t_osc_peer(osc_port);
	struct wm_osc_peer *b_send = wm_t_osc_peer(osc_port), *b_listen = wm_t_osc_peer(osc_port);

	subscribe(a, a);
	subscribe(b_send, b_listen);
	unsubscribe(b_send);
	wm_osc_pump(b_listen, 200);
	wm_t_ok(cl, "set ch/2/mute on");
	wm_t_osc_expect_num(a, "/ch/2/mute", 'i', 1, 0);
	wm_t_osc_expect_none(b_listen, "/ch/2/mute", QUIET_MS, "/unsubscribe from the port that "
			     "sent /subscribe i REPLY_PORT must end that subscription");
	unsubscribe(a);
	unsubscribe(b_listen);
	wm_osc_peer_free(a);
	wm_osc_peer_free(b_send);
	wm_osc_peer_free(b_listen);
}
END_TEST

START_TEST(test_leases_lapse_unless_renewed)
{
	struct wm_osc_peer *c = wm_t_osc_peer(osc_port), *d = wm_t_osc_peer(osc_port);
	long long t0, renew;

	wm_osc_send(c, "/subscribe", "if", wm_osc_peer_port(c), 1.0);
	wm_t_osc_expect_num(c, "/subscribe/reply", 'i', 1, 0);
	wm_osc_send(d, "/subscribe", "if", wm_osc_peer_port(d), 1.0);
	wm_t_osc_expect_num(d, "/subscribe/reply", 'i', 1, 0);
	t0 = wm_now_ms();
	renew = t0 + 400;
	for (int k = 1; k <= 6; k++) {
		long long at = t0 + 500LL * k - 250;

		while (wm_now_ms() < at) {      /* d renews every 400 ms, c never */
			if (wm_now_ms() >= renew) {
				wm_osc_send(d, "/subscribe", "if", wm_osc_peer_port(d), 1.0);
				renew += 400;
			}
			wm_osc_pump(d, 20);
			wm_osc_pump(c, 0);
		}
		wm_t_ok(cl, "set ch/6/gain -%d", k);
		wm_t_osc_expect_num(d, "/ch/6/gain", 'f', -k, 1e-6);
		if (k == 1)
			wm_t_osc_expect_num(c, "/ch/6/gain", 'f', -k, 1e-6);
	}
	/* changes at 2.25 s and 2.75 s, over a second after c's lease ran out */
	for (const struct wm_osc_msg *m; (m = wm_osc_take(c, "/ch/6/gain", 0)) != NULL;)
		ck_assert_msg(wm_osc_num(m, 0) > -5.0, "a 1 s lease never renewed still got %s "
			      "2.25 s or later after /subscribe", wm_osc_msg_str(m));
	unsubscribe(d);
	wm_osc_peer_free(c);
	wm_osc_peer_free(d);
}
END_TEST

START_TEST(test_at_most_32_subscribers)
{
	struct wm_osc_peer *p[33];
	long n0 = osc_counter("subscribers"), n;
	int k;

	ck_assert_msg(n0 >= 0 && n0 < 32, "stats osc.subscribers = %ld before the test", n0);
	for (k = 0; k < 32 - n0; k++) {
		p[k] = wm_t_osc_peer(osc_port);
		subscribe(p[k], p[k]);
	}
	ck_assert_int_eq(osc_counter("subscribers"), 32);
	p[k] = wm_t_osc_peer(osc_port);
	wm_osc_send(p[k], "/subscribe", "");
	wm_t_osc_expect_error(p[k], "/subscribe", NULL);
	wm_t_osc_expect_none(p[k], "/subscribe/reply", 200, "the 33rd subscriber is refused");
	ck_assert_int_eq(osc_counter("subscribers"), 32);
	for (int i = 0; i <= k; i++) {
		unsubscribe(p[i]);
		wm_osc_peer_free(p[i]);
	}
	for (int i = 0; i < 100 && (n = osc_counter("subscribers")) != n0; i++)
		wm_sleep_ms(10);
	ck_assert_msg(n == n0, "after 33 /unsubscribe, stats osc.subscribers = %ld; want %ld", n,
		      n0);
}
END_TEST
/* --- meters ------------------------------------------------------------------ */

static void check_meter_layout(const struct wm_osc_msg *m)
{
	const double dc = 20.0 * log10(0.5);        /* -6.02 dBFS */
	char want[64] = "ii";

	memset(want + 2, 'f', 2 * CHANNELS + 6 * ZONES);
	ck_assert_msg(strcmp(m->types, want) == 0 && m->argv[0].i == CHANNELS &&
		      m->argv[1].i == ZONES, "/meters must be i channels, i zones, 2 f per "
		      "channel, 6 f per zone (%s); got %s", want, wm_osc_msg_str(m));
	for (int k = 0; k < 2; k++)
		ck_assert_msg(fabs(m->argv[2 + k].f - dc) < 0.1, "ch1 (DC 0.5) %s is %g dBFS; want "
			      "%.2f: %s", k ? "rms" : "peak", (double)m->argv[2 + k].f, dc,
			      wm_osc_msg_str(m));
	for (int c = 2; c <= CHANNELS; c++)
		for (int k = 0; k < 2; k++)
			ck_assert_msg(fabs(m->argv[2 * c + k].f + 120.0) < 0.01,
				      "silent ch%d %s is %g dBFS; want -120: %s", c, k ? "rms" : "peak",
				      (double)m->argv[2 * c + k].f, wm_osc_msg_str(m));
	for (int z = 1; z <= ZONES; z++)
		for (int k = 0; k < 6; k++) {
			int i = 2 + 2 * CHANNELS + 6 * (z - 1) + k;
			/* Levels, then the limiter's and ducking's gain (0 dB: none). */
			double want_db = k < 4 ? dc : 0.0;

			ck_assert_msg(fabs(m->argv[i].f - want_db) < 0.1, "zone%d %s is %g dBFS; want "
				      "%.2f: %s", z, (const char *[]){ "peak_L", "peak_R", "rms_L",
				      "rms_R", "limit_gr", "duck_gr" }[k],
				      (double)m->argv[i].f, want_db, wm_osc_msg_str(m));
		}
}

START_TEST(test_meters_arrive_at_the_asked_rate_with_the_levels)
{
	struct wm_osc_peer *ctl = wm_t_osc_peer(osc_port);
	const struct wm_osc_msg *m;
	size_t n;

	wm_t_connect(src, wm_src_port(src, 1), wm_daemon_port(&wd, "ch1_L"));
	wm_t_connect(src, wm_src_port(src, 2), wm_daemon_port(&wd, "ch1_R"));
	wm_src_stage(src, 1, wm_sig_dc(0.5f));
	wm_src_stage(src, 2, wm_sig_dc(0.5f));
	wm_t_commit(src);
	wm_sleep_ms(100);
	wm_osc_send(ctl, "/meters/subscribe", "i", 20);
	wm_osc_pump(ctl, 500);
	ck_assert_msg(wm_osc_count(ctl, "/meters") > 0, "no /meters within 0.5 s of "
		      "/meters/subscribe i 20; received:\n%s", wm_osc_dump(ctl));
	wm_osc_clear(ctl);
	wm_osc_pump(ctl, 2000);
	n = wm_osc_count(ctl, "/meters");
	ck_assert_msg(n >= 30 && n <= 50, "%zu /meters in 2 s at 20 Hz; want 40 +- 25%%", n);
	while ((m = wm_osc_take(ctl, "/meters", 0)) != NULL)
		check_meter_layout(m);

	wm_osc_send(ctl, "/meters/unsubscribe", "");
	wm_osc_pump(ctl, 300);
	wm_osc_clear(ctl);
	wm_t_osc_expect_none(ctl, "/meters", 600, "/meters/unsubscribe must stop the meters");
	wm_osc_peer_free(ctl);
}
END_TEST

/* A slow meter subscriber still sees a transient that lasted one period:
 * peaks are held between its messages. */
START_TEST(test_slow_meters_hold_a_short_peak)
{
	struct wm_osc_peer *ctl = wm_t_osc_peer(osc_port);
	const struct wm_osc_msg *m;

	wm_t_connect(src, wm_src_port(src, 1), wm_daemon_port(&wd, "ch1_L"));
	wm_src_stage(src, 1, wm_sig_dc(0.1f));
	wm_t_commit(src);
	wm_osc_send(ctl, "/meters/subscribe", "i", 1);
	/* The first message comes at once; the spike falls between it and
	 * the next one, a second later. */
	wm_t_osc_take(ctl, "/meters", 1000);
	wm_sleep_ms(200);
	wm_src_set(src, 1, wm_sig_dc(0.9f));
	wm_sleep_ms(10);
	wm_src_set(src, 1, wm_sig_dc(0.1f));
	m = wm_t_osc_take(ctl, "/meters", 2000);
	ck_assert_msg(m->argc >= 4 && m->types[2] == 'f', "bad /meters layout");
	float peak = m->argv[2].f;
	ck_assert_msg(fabsf(peak - 20.0f * log10f(0.9f)) < 0.1f,
		      "channel 1 peak %.2f dBFS in the next 1 Hz /meters; a 10 ms burst of 0.9 "
		      "(%.2f dBFS) must be held until then",
		      peak, 20.0f * log10f(0.9f));
	m = wm_t_osc_take(ctl, "/meters", 2000);
	peak = m->argv[2].f;
	ck_assert_msg(fabsf(peak - 20.0f * log10f(0.1f)) < 0.1f,
		      "the held peak must be released after it was sent; got %.2f dBFS", peak);
	wm_osc_send(ctl, "/meters/unsubscribe", "");
	wm_osc_peer_free(ctl);
}
END_TEST

/* --- verbs ---------------------------------------------------------------------- */

/* Send a verb, expect /VERB/reply s(json) with "ok":true; returns the JSON. */
static json_t *verb(struct wm_osc_peer *p, const char *reply, lo_message m, const char *path)
{
	const struct wm_osc_msg *r;
	json_error_t je;
	json_t *j;

	ck_assert(wm_osc_send_msg(p, path, m) == 0);
	r = wm_t_osc_take(p, reply, WM_T_OSC_TIMEOUT_MS);
	ck_assert_msg(r->argc == 1 && r->types[0] == 's', "%s must carry s(json); got %s", reply,
		      wm_osc_msg_str(r));
	j = json_loads(r->argv[0].s, 0, &je);
	ck_assert_msg(json_is_object(j) && json_is_true(json_object_get(j, "ok")),
		      "%s: want a JSON object with \"ok\":true; got %s", reply, r->argv[0].s);
	return j;
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

START_TEST(test_verbs_answer_as_verb_reply)
{
	struct wm_osc_peer *p = wm_t_osc_peer(osc_port);
	json_t *j, *s, *v;
	const char *k;
	size_t i;

	j = verb(p, "/health/reply", MSG(""), "/health");
	s = wm_t_assert_ok(wm_t_request(cl, "health"), "health");
	ck_assert_msg(json_object_size(j) == json_object_size(s), "/health/reply %s differs in "
		      "shape from the socket's health", wm_t_json_str(j));
	json_object_foreach(s, k, v)
		ck_assert_msg(json_object_get(j, k) != NULL, "/health/reply lacks \"%s\"", k);
	ck_assert_msg(json_is_string(json_object_get(j, "status")), "no status in /health/reply");
	json_decref(s);
	json_decref(j);

	json_decref(verb(p, "/ping/reply", MSG(""), "/ping"));
	j = verb(p, "/hello/reply", MSG(""), "/hello");
	ck_assert_msg(json_object_get(j, "server") != NULL, "/hello/reply: %s", wm_t_json_str(j));
	json_decref(j);
	j = verb(p, "/stats/reply", MSG(""), "/stats");
	v = json_object_get(osc_stats(j), "received");
	ck_assert_msg(json_is_integer(v) && json_integer_value(v) > 0,
		      "/stats/reply osc.received: %s", wm_t_json_str(j));
	json_decref(j);
	json_decref(verb(p, "/help/reply", MSG("s", "get"), "/help"));
	j = verb(p, "/list/reply", MSG("s", "ch/2/"), "/list");
	ck_assert_uint_ge(json_array_size(json_object_get(j, "params")), 6 + ZONES);
	json_array_foreach(json_object_get(j, "params"), i, v)
		ck_assert_msg(strncmp(wm_t_strval(json_object_get(v, "path")), "ch/2/", 5) == 0,
			      "/list s ch/2/ returned %s", wm_t_json_str(v));
	json_decref(j);
	j = verb(p, "/describe/reply", MSG("s", "ch/1/gain"), "/describe");
	ck_assert_msg(json_array_size(json_object_get(j, "params")) >= 1, "%s", wm_t_json_str(j));
	json_decref(j);
	j = verb(p, "/get/reply", MSG("s", "ch/1/gain"), "/get");
	ck_assert_msg(strcmp(wm_t_strval(json_object_get(j, "path")), "ch/1/gain") == 0 &&
		      wm_t_value_num(j) == 0.0, "/get s ch/1/gain: %s", wm_t_json_str(j));
	json_decref(j);
	json_decref(verb(p, "/set/reply", MSG("sf", "ch/1/gain", -6.0), "/set"));
	j = wm_t_assert_ok(wm_t_request(cl, "get ch/1/gain"), "get");
	ck_assert_msg(wm_t_value_num(j) == -6.0, "after /set s ch/1/gain f -6: %s", wm_t_json_str(j));
	json_decref(j);
	json_decref(verb(p, "/set/reply", MSG("ssi", "ch/1/gain", "-inf", 0), "/set"));
	j = wm_t_assert_ok(wm_t_request(cl, "get ch/1/gain"), "get");
	ck_assert_msg(isinf(wm_t_value_num(j)), "after /set s ch/1/gain s -inf i 0: %s",
		      wm_t_json_str(j));
	json_decref(j);

	wm_osc_send(p, "/get", "s", "ch/99/gain");
	wm_t_osc_expect_error(p, "/get", "unknown_path");
	wm_osc_send(p, "/nosuchverb", "");
	v = NULL;
	k = wm_t_osc_expect_error(p, "/nosuchverb", NULL)->argv[2].s;
	ck_assert_msg(!strcmp(k, "unknown_path") || !strcmp(k, "unknown_verb"),
		      "/nosuchverb: code %s, want unknown_path or unknown_verb", k);
	wm_osc_send(p, "/ch/1/nosuch", "f", 1.0);
	k = wm_t_osc_expect_error(p, "/ch/1/nosuch", NULL)->argv[2].s;
	ck_assert_msg(!strcmp(k, "unknown_path") || !strcmp(k, "unknown_verb"),
		      "/ch/1/nosuch: code %s, want unknown_path or unknown_verb", k);
	wm_osc_peer_free(p);
}
END_TEST

static Suite *feedback_suite(void)
{
	Suite *s = suite_create("osc_feedback");
	TCase *tc = tcase_create("feedback");

	tcase_add_unchecked_fixture(tc, up, down);
	tcase_add_checked_fixture(tc, probes_open, probes_close);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cli_and_socket_changes_reach_every_subscriber);
	tcase_add_test(tc, test_no_echo_to_the_controller_that_made_the_change);
	tcase_add_test(tc, test_unsubscribe_ends_what_the_sender_subscribed);
	tcase_add_test(tc, test_leases_lapse_unless_renewed);
	tcase_add_test(tc, test_at_most_32_subscribers);
	tcase_add_test(tc, test_meters_arrive_at_the_asked_rate_with_the_levels);
	tcase_add_test(tc, test_slow_meters_hold_a_short_peak);
	tcase_add_test(tc, test_verbs_answer_as_verb_reply);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(feedback_suite());
}
