/* check_osc_abuse.c - washmixd's OSC port under bad input and floods:
 * malformed datagrams built by hand (including the two liblo 0.31
 * reproducers), wrong argument types, NaN and infinity, messages as large
 * as a UDP datagram can be, one source flooding while another controller
 * keeps working, and messages packed into bundles charged to the budget.
 * After each test the daemon must be alive, healthy, its mix unchanged
 * (`list` compared with a snapshot) and its audio unchanged (DC 0.5 into
 * ch1_L still comes out of zone1_L and zone2_L at 0.5).
 *
 * A refusal is either an /error reply or a drop that stats counts; /error
 * replies are rate-limited per source, so every bad packet comes from a
 * fresh peer (port) of its own. One jackd and one daemon (8 stereo
 * channels, 2 zones, OSC on a free port) for all tests. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/support/audiocheck.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/jackd_fixture.h"
#include "tests/support/jackprobe.h"
#include "tests/support/oscclient.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

#define CHANNELS 8
#define ZONES 2
#define MAX_PKT 65536

static struct wm_jackd jackd;
static struct wm_daemon wd;
static int osc_port;
static struct wm_src *src;
static struct wm_sink *sink;
static struct wm_client *cl;
static json_t *snapshot;                /* `list` before the test */

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
	src = wm_t_src_open(NULL, 1);
	sink = wm_t_sink_open(NULL, 2, 4.0);
	wm_t_connect(src, wm_daemon_port(&wd, "zone1_L"), wm_sink_port(sink, 1));
	wm_t_connect(src, wm_daemon_port(&wd, "zone2_L"), wm_sink_port(sink, 2));
	wm_t_connect(src, wm_src_port(src, 1), wm_daemon_port(&wd, "ch1_L"));
	wm_t_set(src, 1, wm_sig_dc(0.5f));
	cl = wm_client_connect(wd.sock, 2000);
	ck_assert_msg(cl != NULL, "cannot connect to %s", wd.sock);
	for (int c = 1; c <= CHANNELS; c++)
		wm_t_ok(cl, "set ch/%d/gain 0 0", c);
	snapshot = wm_t_assert_ok(wm_t_request(cl, "list"), "list");
}

static void probes_close(void)
{
	json_decref(snapshot);
	wm_client_close(cl);
	wm_sink_close(sink);
	wm_src_close(src);
	snapshot = NULL;
	cl = NULL;
	sink = NULL;
	src = NULL;
}

/* Alive, healthy, the mix as in the snapshot, the audio as before. */
static void intact(const char *after)
{
	json_t *r;
	double half = 0.5;
	int64_t first;

	wm_t_daemon_alive(&wd, after);
	r = wm_t_assert_ok(wm_t_request(cl, "health"), "health");
	ck_assert_msg(strcmp(wm_t_strval(json_object_get(r, "status")), "down") != 0,
		      "health %s: %s", after, wm_t_json_str(r));
	json_decref(r);
	r = wm_t_assert_ok(wm_t_request(cl, "list"), "list");
	ck_assert_msg(json_equal(r, snapshot), "the mix changed %s: now %s", after,
		      wm_t_json_str(r));
	json_decref(r);
	first = wm_t_capture(sink, 200);
	wm_t_expect(sink, 1, (uint32_t)first, wm_sink_end(sink), wm_const_value, &half, 1e-7, 1e-6,
		    4800, "zone1_L still carries ch1 at 0.5");
	wm_t_expect(sink, 2, (uint32_t)first, wm_sink_end(sink), wm_const_value, &half, 1e-7, 1e-6,
		    4800, "zone2_L still carries ch1 at 0.5");
}

/* The "osc" counters of `stats` (top level, or under "control"). */
static long osc_counter(const char *name)
{
	json_t *r = wm_t_assert_ok(wm_t_request(cl, "stats"), "stats"), *o, *v;
	long n;

	o = json_object_get(r, "osc");
	if (!json_is_object(o))
		o = json_object_get(json_object_get(r, "control"), "osc");
	v = json_object_get(o, name);
	ck_assert_msg(json_is_integer(v), "stats has no integer osc.%s: %s", name,
		      wm_t_json_str(r));
	n = (long)json_integer_value(v);
	json_decref(r);
	return n;
}

/* --- building packets by hand ------------------------------------------------- */

struct pkt {
	unsigned char b[MAX_PKT];
	size_t n;
};

static void put(struct pkt *p, const void *d, size_t n)
{
	ck_assert(p->n + n <= sizeof p->b);
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

/* An OSC string: the bytes, a NUL, NULs up to a multiple of 4. */
static void put_str(struct pkt *p, const char *s)
{
	static const char zeros[4];

	put(p, s, strlen(s));
	put(p, zeros, 4 - strlen(s) % 4);
}

static void put_be32(struct pkt *p, uint32_t v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };

	put(p, b, 4);
}

static void put_f32(struct pkt *p, float f)
{
	uint32_t v;

	memcpy(&v, &f, 4);
	put_be32(p, v);
}

/* "/ch/1/gain ,f -20": 20 bytes */
static void put_gain_msg(struct pkt *p, float db)
{
	put_str(p, "/ch/1/gain");
	put_str(p, ",f");
	put_f32(p, db);
}

static void bundle_head(struct pkt *p)
{
	put(p, "#bundle", 8);
	put_be32(p, 0);
	put_be32(p, 1);                 /* timetag 1: immediately */
}

/* Send `p` from a fresh peer: it must be answered with /error (address ""
 * or, for a bundle, "#bundle"; code bad_request) or counted as malformed. */
static void refuse_raw(const char *what, const struct pkt *p, bool is_bundle)
{
	struct wm_osc_peer *peer = wm_t_osc_peer(osc_port);
	long before = osc_counter("malformed"), after;
	const struct wm_osc_msg *e;

	ck_assert_msg(wm_osc_send_raw(peer, p->b, p->n) == 0, "%s: sendto: %s", what,
		      strerror(errno));
	e = wm_osc_take(peer, "/error", 300);
	after = osc_counter("malformed");
	if (e) {
		ck_assert_msg(e->argc == 3 && !strcmp(e->types, "sss") &&
			      (!strcmp(e->argv[0].s, "") ||
			       (is_bundle && !strcmp(e->argv[0].s, "#bundle"))) &&
			      !strcmp(e->argv[2].s, "bad_request"),
			      "%s: want /error s \"\" s <message> s \"bad_request\"; got %s", what,
			      wm_osc_msg_str(e));
	} else {
		ck_assert_msg(after > before, "%s (%zu bytes): neither /error nor counted in stats "
			      "osc.malformed (%ld before, %ld after)", what, p->n, before, after);
	}
	wm_t_daemon_alive(&wd, what);
	wm_osc_peer_free(peer);
}

/* The liblo 0.31 reproducers (shared/reliability/proto/fuzz/liblo-0.31-repro). */
static const unsigned char lo_validate_blob_overread[27] = {
	0x2f, 0x70, 0x72, 0x65, 0x73, 0x65, 0x74, 0x2f, 0x6c, 0x6f, 0x61, 0x64, 0x00, 0x00,
	0x00, 0x00, 0x2c, 0x62, 0x6d, 0x74, 0x05, 0x00, 0x00, 0x00, 0x90, 0x3c, 0x02,
};
static const unsigned char dispatch_data_strcmp_overread[20] = {
	0x23, 0x62, 0x75, 0x6e, 0x64, 0x6c, 0x65, 0x00, 0xff, 0xff, 0xff, 0x00, 0x2f, 0x9f,
	0x2d, 0x62, 0x00, 0x00, 0x00, 0x00,
};

START_TEST(test_malformed_datagrams_are_refused)
{
	static struct pkt p;
	struct wm_osc_peer *peer;

#define FRESH (memset(&p, 0, sizeof p))
	FRESH; put_gain_msg(&p, -20); put(&p, "xyz", 3);
	refuse_raw("a message plus 3 bytes: size not a multiple of 4", &p, false);
	FRESH; put_str(&p, "/ch/1/gain"); put_f32(&p, -20);
	refuse_raw("no type tag string", &p, false);
	FRESH; put(&p, "/ch/1/gain/abcde", 16);
	refuse_raw("an address without its NUL", &p, false);
	FRESH; put_str(&p, "/ch/1/gain"); put(&p, ",fff", 4);
	refuse_raw("type tags without their NUL", &p, false);
	FRESH; put_str(&p, "/ch/1/gain"); put_str(&p, ",f");
	refuse_raw(",f without the float", &p, false);
	FRESH; put_str(&p, "/ch/1/name"); put_str(&p, ",s"); put(&p, "abcdefgh", 8);
	refuse_raw("a string argument without its NUL", &p, false);
	FRESH; put_str(&p, "/ch/1/name"); put_str(&p, ",b"); put_be32(&p, 1000); put(&p, "abcd", 4);
	refuse_raw("a blob of 1000 bytes with 4 present", &p, false);
	FRESH; put_str(&p, "/ch/1/gain"); put_str(&p, ",x"); put_be32(&p, 0);
	refuse_raw("an unknown type tag", &p, false);
	FRESH; bundle_head(&p); put_be32(&p, 1000); put_gain_msg(&p, -20);
	refuse_raw("a bundle element of 1000 bytes with 20 present", &p, true);
	FRESH; bundle_head(&p); put_be32(&p, 0); put_be32(&p, 20); put_gain_msg(&p, -20);
	refuse_raw("a bundle element of size 0", &p, true);
	FRESH; bundle_head(&p); put_be32(&p, 18); put_gain_msg(&p, -20);
	refuse_raw("a bundle element of size 18 (not a multiple of 4)", &p, true);
	FRESH; put(&p, "#bundle", 8); put_be32(&p, 0);
	refuse_raw("a bundle cut inside its timetag", &p, true);
	FRESH; put(&p, lo_validate_blob_overread, sizeof lo_validate_blob_overread);
	refuse_raw("liblo 0.31 reproducer lo_validate_blob_overread (27 bytes)", &p, false);
	FRESH; put(&p, dispatch_data_strcmp_overread, sizeof dispatch_data_strcmp_overread);
	refuse_raw("liblo 0.31 reproducer dispatch_data_strcmp_overread (20 bytes)", &p, true);
	FRESH; put(&p, "hello, world", 12);
	refuse_raw("text that is not OSC", &p, false);
#undef FRESH

	peer = wm_t_osc_peer(osc_port);         /* an empty datagram: just survive it */
	ck_assert(wm_osc_send_raw(peer, "", 0) == 0);
	wm_osc_pump(peer, 100);
	wm_osc_peer_free(peer);
	intact("after malformed datagrams");
}
END_TEST

/* The two liblo 0.31 over-read reproducers (the same bytes as
 * tests/fuzz/regressions/osc/liblo-0.31-*), from one source: the prefilter
 * must refuse both before liblo sees them, so `stats` counts exactly two
 * more malformed datagrams, the daemon answers, and nothing was applied.
 * Under the sanitizer build an over-read would abort the daemon. */
START_TEST(test_liblo_reproducers_are_counted_as_malformed)
{
	struct wm_osc_peer *peer = wm_t_osc_peer(osc_port);
	long before = osc_counter("malformed"), after = before;

	ck_assert(wm_osc_send_raw(peer, lo_validate_blob_overread,
				  sizeof lo_validate_blob_overread) == 0);
	ck_assert(wm_osc_send_raw(peer, dispatch_data_strcmp_overread,
				  sizeof dispatch_data_strcmp_overread) == 0);
	for (int i = 0; i < 50 && after - before < 2; i++) {
		wm_osc_pump(peer, 20);
		after = osc_counter("malformed");
	}
	ck_assert_msg(after - before == 2,
		      "stats osc.malformed went from %ld to %ld after the two liblo 0.31 "
		      "reproducers; want exactly 2 more",
		      before, after);
	wm_t_ok(cl, "ping");
	intact("after the liblo 0.31 reproducers");
	wm_osc_peer_free(peer);
}
END_TEST

/* --- wrong types, NaN, infinity ------------------------------------------------ */

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

/* From a fresh peer: /error s(path) s(...) s(code) (code NULL: any), then
 * the parameter's current value on `path`. */
static void refuse(const char *what, const char *path, const char *code, lo_message m)
{
	struct wm_osc_peer *peer = wm_t_osc_peer(osc_port);
	const struct wm_osc_msg *e, *v;

	ck_assert(wm_osc_send_msg(peer, path, m) == 0);
	e = wm_osc_take(peer, "/error", WM_T_OSC_TIMEOUT_MS);
	ck_assert_msg(e && e->argc == 3 && !strcmp(e->types, "sss") &&
		      !strcmp(e->argv[0].s, path) && (!code || !strcmp(e->argv[2].s, code)),
		      "%s: want /error s \"%s\" s <message> s \"%s\"; got %s", what, path,
		      code ? code : "<any code>", e ? wm_osc_msg_str(e) : wm_osc_dump(peer));
	v = wm_osc_take(peer, path, WM_T_OSC_TIMEOUT_MS);
	ck_assert_msg(v && v->argc == 1, "%s: no current value %s after the /error; received:\n%s",
		      what, path, wm_osc_dump(peer));
	wm_osc_peer_free(peer);
}

START_TEST(test_wrong_types_nan_and_infinity_are_refused)
{
	lo_blob blob = lo_blob_new(3, "abc");

	refuse("/ch/1/gain f NaN", "/ch/1/gain", "bad_type", MSG("f", (double)NAN));
	refuse("/ch/1/gain d NaN", "/ch/1/gain", "bad_type", MSG("d", (double)NAN));
	refuse("/ch/1/gain f +inf", "/ch/1/gain", "out_of_range", MSG("f", (double)INFINITY));
	refuse("/ch/1/gain d +inf", "/ch/1/gain", "out_of_range", MSG("d", (double)INFINITY));
	refuse("/ch/1/gain i 13", "/ch/1/gain", "out_of_range", MSG("i", 13));
	refuse("/ch/1/pan f NaN", "/ch/1/pan", "bad_type", MSG("f", (double)NAN));
	refuse("/ch/1/fader f NaN", "/ch/1/fader", "bad_type", MSG("f", (double)NAN));
	refuse("/ch/1/send/1 f +inf", "/ch/1/send/1", "out_of_range", MSG("f", (double)INFINITY));
	refuse("/zone/1/gain f NaN", "/zone/1/gain", "bad_type", MSG("f", (double)NAN));
	refuse("/ch/1/gain N", "/ch/1/gain", "bad_type", MSG("N"));
	refuse("/ch/1/gain c x", "/ch/1/gain", "bad_type", MSG("c", 'x'));
	refuse("/ch/1/gain b", "/ch/1/gain", "bad_type", MSG("b", blob));
	refuse("/ch/1/gain s 12dB", "/ch/1/gain", "bad_type", MSG("s", "12dB"));
	refuse("/ch/1/gain f -6 s fast (ramp)", "/ch/1/gain", "bad_type", MSG("fs", -6.0, "fast"));
	refuse("/ch/1/gain f -6 f NaN (ramp)", "/ch/1/gain", NULL, MSG("ff", -6.0, (double)NAN));
	refuse("/ch/1/mute f 0.5", "/ch/1/mute", NULL, MSG("f", 0.5));
	refuse("/zone/1/mute s maybe", "/zone/1/mute", "bad_type", MSG("s", "maybe"));
	refuse("/ch/1/name f 1", "/ch/1/name", "bad_type", MSG("f", 1.0));
	lo_blob_free(blob);
	intact("after wrongly typed, NaN and infinite values");
}
END_TEST

/* --- size ------------------------------------------------------------------------ */

/* Send one datagram of (nearly) the largest size loopback carries; it
 * must be refused with /error or counted, and change nothing. */
static void refuse_big(const char *what, const struct pkt *p)
{
	struct wm_osc_peer *peer = wm_t_osc_peer(osc_port);
	long malformed = osc_counter("malformed"), errors = osc_counter("errors");
	const struct wm_osc_msg *e;

	ck_assert_msg(wm_osc_send_raw(peer, p->b, p->n) == 0, "%s: sendto %zu bytes: %s", what,
		      p->n, strerror(errno));
	e = wm_osc_take(peer, "/error", 500);
	ck_assert_msg(e || osc_counter("malformed") > malformed || osc_counter("errors") > errors,
		      "%s (%zu bytes) was neither answered with /error nor counted", what, p->n);
	if (e)
		ck_assert_msg(e->argc == 3 && !strcmp(e->types, "sss") && e->argv[2].s[0],
			      "%s: malformed /error %s", what, wm_osc_msg_str(e));
	wm_osc_peer_free(peer);
}

START_TEST(test_oversized_messages_are_refused)
{
	static struct pkt p;
	static char big[65536];
	struct wm_osc_peer *peer = wm_t_osc_peer(osc_port);

	/* 65507 bytes is the most a UDP datagram carries over IPv4, so nothing
	 * larger can even be sent: */
	ck_assert_msg(wm_osc_send_raw(peer, big, 70000 > sizeof big ? sizeof big : 70000) != 0,
		      "a 65536-byte UDP datagram was sent: loopback carries more than expected");
	wm_osc_peer_free(peer);

	/* one message filling 65504 bytes: a name of 65480 characters */
	memset(big, 'a', sizeof big);
	big[65480] = 0;
	put_str(&p, "/ch/1/name");
	put_str(&p, ",s");
	put_str(&p, big);
	ck_assert_uint_le(p.n, 65507);
	refuse_big("/ch/1/name s <65480 characters>", &p);

	/* and an address of 65495 characters */
	memset(&p, 0, sizeof p);
	memcpy(big, "/ch/1/gain/", 11);
	big[65495] = 0;
	put_str(&p, big);
	put_str(&p, ",f");
	put_f32(&p, -20);
	ck_assert_uint_le(p.n, 65507);
	refuse_big("a message whose address has 65495 characters", &p);
	intact("after 65 KB messages");
}
END_TEST

/* --- flood -------------------------------------------------------------------- */

struct flood {
	struct wm_osc_peer *peer;
	long sent;
	long long ms;
};

static void *flood_run(void *arg)
{
	struct flood *f = arg;
	static struct pkt set, junk;
	struct timespec pause = { 0, 1000000 };
	long long t0 = wm_now_ms();

	put_str(&set, "/ch/8/gain");
	put_str(&set, ",f");
	put_f32(&set, -1);
	put_str(&junk, "/flood/nosuch");
	put_str(&junk, ",");
	while (f->sent < 100000) {      /* 70 per millisecond: about 1.5 s */
		for (int i = 0; i < 70 && f->sent < 100000; i++, f->sent++) {
			const struct pkt *p = f->sent % 2 ? &junk : &set;

			wm_osc_send_raw(f->peer, p->b, p->n);
		}
		wm_osc_pump(f->peer, 0);
		nanosleep(&pause, NULL);
	}
	f->ms = wm_now_ms() - t0;
	return NULL;
}

START_TEST(test_a_flood_does_not_starve_another_controller)
{
	struct flood f = { .peer = wm_t_osc_peer(osc_port) };
	struct wm_osc_peer *g = wm_t_osc_peer(osc_port);
	pthread_t th;
	long limited0 = osc_counter("rate_limited"), limited;
	size_t errors;
	int lost = 0;
	char lost_at[256] = "";

	ck_assert(pthread_create(&th, NULL, flood_run, &f) == 0);
	wm_sleep_ms(100);
	for (int i = 1; i <= 15; i++) {
		long long t = wm_now_ms(), deadline = t + 1000;
		json_t *r;
		bool seen = false;

		wm_osc_send(g, "/ch/2/gain", "f", -(double)i);
		do {
			r = wm_t_assert_ok(wm_t_request(cl, "get ch/2/gain"), "get");
			seen = json_is_number(json_object_get(r, "value")) && wm_t_value_num(r) == -i;
			json_decref(r);
		} while (!seen && wm_now_ms() < deadline && (wm_sleep_ms(5), 1));
		if (!seen) {
			lost++;
			snprintf(lost_at + strlen(lost_at), sizeof lost_at - strlen(lost_at), " %d", i);
		}
		while (wm_now_ms() < t + 100)
			wm_sleep_ms(2);
	}
	pthread_join(th, NULL);
	wm_osc_pump(f.peer, 300);
	errors = wm_osc_count(f.peer, "/error");
	limited = osc_counter("rate_limited");
	ck_assert_msg(lost == 0, "while one source sent %ld messages in %lld ms, %d of 15 sets of "
		      "/ch/2/gain from another controller did not take effect within 1 s (sets:%s)",
		      f.sent, f.ms, lost, lost_at);
	ck_assert_msg(limited > limited0, "stats osc.rate_limited stayed at %ld after %ld messages "
		      "in %lld ms from one source", limited, f.sent, f.ms);
	ck_assert_msg((long long)errors <= 10 * (f.ms + 300) / 1000 + 20,
		      "the flooding source got %zu /error replies in %lld ms; the limit is 10/s",
		      errors, f.ms + 300);
	wm_osc_peer_free(f.peer);
	wm_osc_peer_free(g);
	wm_t_ok(cl, "set ch/2/gain 0 0");
	wm_t_ok(cl, "set ch/8/gain 0 0");
	intact("after a flood");
}
END_TEST

/* The budget is 2000 messages a second with a burst of 4000: messages
 * packed into bundles count too, or one datagram of 2700 messages would
 * buy 2700 changes for the price of one. */
START_TEST(test_messages_in_bundles_count_against_the_budget)
{
	static struct pkt p[3];
	struct wm_osc_peer *peer = wm_t_osc_peer(osc_port);
	long limited0 = osc_counter("rate_limited"), limited;
	size_t count = 0;

	for (int k = 0; k < 3; k++) {
		bundle_head(&p[k]);
		for (int i = 0; p[k].n + 24 <= 65504; i++, count++) {
			put_be32(&p[k], 20);
			put_str(&p[k], "/ch/8/name");
			put_str(&p[k], ",s");
			put_str(&p[k], i % 2 ? "a" : "b");
		}
	}
	for (int k = 0; k < 3; k++)
		ck_assert(wm_osc_send_raw(peer, p[k].b, p[k].n) == 0);
	wm_osc_pump(peer, 300);
	limited = osc_counter("rate_limited");
	wm_osc_peer_free(peer);
	wm_t_ok(cl, "set ch/8/name \"ch 8\"");
	ck_assert_msg(limited > limited0, "%zu messages in 3 bundles sent at once from one source "
		      "(budget: burst of 4000, then 2000/s) and stats osc.rate_limited stayed at %ld",
		      count, limited);
	intact("after 3 bundles of 2700 messages");
}
END_TEST

static Suite *abuse_suite(void)
{
	Suite *s = suite_create("osc_abuse");
	TCase *tc = tcase_create("abuse");

	tcase_add_unchecked_fixture(tc, up, down);
	tcase_add_checked_fixture(tc, probes_open, probes_close);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_malformed_datagrams_are_refused);
	tcase_add_test(tc, test_liblo_reproducers_are_counted_as_malformed);
	tcase_add_test(tc, test_wrong_types_nan_and_infinity_are_refused);
	tcase_add_test(tc, test_oversized_messages_are_refused);
	tcase_add_test(tc, test_a_flood_does_not_starve_another_controller);
	tcase_add_test(tc, test_messages_in_bundles_count_against_the_budget);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(abuse_suite());
}
