/* check_sock.c - washmixd's control socket under bad and hostile input.
 *
 * One daemon (8 stereo channels, 2 zones) for the whole binary. Every test
 * ends with the same proof of health: the daemon still runs, answers
 * `health` with JACK connected, ch/1/gain is still 0 dB, and a counter
 * signal on ch1_L still comes out of zone1_L bit for bit - nothing a bad
 * client sent may change the mix or stall the audio. The error replies are
 * checked for their code and for naming what was wrong. */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/support/audiocheck.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/jackd_fixture.h"
#include "tests/support/jackprobe.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

#define NCLIENTS 200
#define NCHANGES 20000

static struct wm_jackd jackd;
static struct wm_daemon wd;
static struct wm_src *src;
static struct wm_sink *sink;
static struct wm_client *cl;

static void up(void)
{
	wm_t_jackd_start(&jackd, wm_tmpdir());
	wm_t_daemon_start(&wd, wm_tmpdir(), 8, 2, NULL, NULL);
}

static void down(void)
{
	wm_t_daemon_stop(&wd);
	wm_t_jackd_stop(&jackd);
}

static void probes_open(void)
{
	src = wm_t_src_open(NULL, 1);
	sink = wm_t_sink_open(NULL, 1, 2.0);
	wm_t_connect(src, wm_src_port(src, 1), wm_daemon_port(&wd, "ch1_L"));
	wm_t_connect(src, wm_daemon_port(&wd, "zone1_L"), wm_sink_port(sink, 1));
	wm_t_set(src, 1, wm_sig_counter(0.5f));
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

/* The end of every test: alive, healthy, mix untouched, audio exact. */
static void daemon_fine(const char *after)
{
	struct wm_mix_expect m;
	char what[200];
	json_t *r;

	wm_t_daemon_alive(&wd, after);
	r = wm_t_request1(wd.sock, "health");
	ck_assert_msg(json_is_true(json_object_get(r, "ok")) &&
		      json_is_true(json_object_get(json_object_get(r, "jack"), "connected")),
		      "%s: health says %s", after, wm_t_json_str(r));
	json_decref(r);
	r = wm_t_request1(wd.sock, "get ch/1/gain");
	ck_assert_msg(json_is_true(json_object_get(r, "ok")) && wm_t_value_num(r) == 0.0,
		      "%s: ch/1/gain changed: %s", after, wm_t_json_str(r));
	json_decref(r);
	wm_expect_init(&m, WM_T_RATE);
	wm_expect_add(&m, wm_sig_counter(0.5f), 1.0);
	snprintf(what, sizeof what, "%s: counter on ch1_L -> zone1_L", after);
	/* A capture the sink saw an xrun in is inconclusive (the sanitizer
	 * build with a second suite alongside can starve any JACK client):
	 * capture again, up to three times; a wrong sample without an xrun
	 * fails at once. */
	for (int tries = 1;; tries++) {
		struct wm_cmp cmp;

		wm_t_capture(sink, 200);
		if (tries == 3 || wm_sink_capture_xruns(sink) == 0 ||
		    wm_compare(sink, 1, wm_sink_first(sink), wm_sink_end(sink), wm_expect_value,
			       &m, 0, 0, &cmp))
			break;
		fprintf(stderr, "%s: capture %d had an xrun and %s; capturing again\n", what, tries,
			cmp.why);
	}
	wm_t_expect(sink, 1, wm_sink_first(sink), wm_sink_end(sink), wm_expect_value, &m, 0, 0,
		    8000, what);
}

/* The error's message must contain each of the given strings. */
static void bad(const char *code, const char *line, const char *must1, const char *must2)
{
	json_t *r = wm_t_err(cl, code, "%s", line);
	const char *msg = json_string_value(json_object_get(json_object_get(r, "error"), "message"));

	ck_assert_msg(!must1 || strstr(msg, must1), "\"%s\": the message should name \"%s\": %s",
		      line, must1, msg);
	ck_assert_msg(!must2 || strstr(msg, must2), "\"%s\": the message should say \"%s\": %s",
		      line, must2, msg);
	json_decref(r);
}

/* Either of two codes (edge cases the protocol does not pin down). */
static void bad2(const char *code1, const char *code2, const char *line)
{
	json_t *r = wm_t_request(cl, "%s", line);
	const char *got = wm_t_error_code(r);

	ck_assert_msg(json_is_false(json_object_get(r, "ok")) &&
		      (strcmp(got, code1) == 0 || strcmp(got, code2) == 0),
		      "\"%s\": want error %s or %s, got %s", line, code1, code2, wm_t_json_str(r));
	json_decref(r);
}

START_TEST(test_unknown_path)
{
	bad("unknown_path", "get ch/99/gain", "ch/99", "8");
	bad("unknown_path", "get ch/0/gain", "ch/0", NULL);
	bad("unknown_path", "set zone/3/gain 0", "zone/3", "2");
	bad("unknown_path", "set ch/1/send/3 0", "send/3", NULL);
	bad("unknown_path", "get ch/1/volume", "ch/1/volume", NULL);
	bad("unknown_path", "get nosuch", "nosuch", NULL);
	bad("unknown_path", "get ch/1/gain/x", NULL, NULL);
	bad("unknown_path", "set ch/-1/gain 0", NULL, NULL);
	daemon_fine("after unknown paths");
}
END_TEST

START_TEST(test_out_of_range)
{
	json_t *r;

	bad("out_of_range", "set ch/1/gain 20", "ch/1/gain", "12");
	bad("out_of_range", "set ch/1/gain 12.5", NULL, NULL);
	bad("out_of_range", "set ch/1/pan 1.5", "ch/1/pan", NULL);
	bad("out_of_range", "set ch/1/pan -1.01", NULL, NULL);
	bad("out_of_range", "set ch/1/fader 1.1", NULL, NULL);
	bad("out_of_range", "set ch/1/fader -0.1", NULL, NULL);
	bad("out_of_range", "set zone/1/gain 13", NULL, NULL);
	bad("out_of_range", "set ch/1/send/1 100", NULL, NULL);
	bad2("out_of_range", "bad_type", "set ch/1/gain 1e999");
	bad2("out_of_range", "bad_type", "set ch/1/gain inf");
	bad2("out_of_range", "bad_type", "set ch/1/gain 0 -5");
	r = wm_t_assert_ok(wm_t_request(cl, "get ch/1/pan"), "get ch/1/pan");
	ck_assert_msg(wm_t_value_num(r) == 0.0, "pan changed: %s", wm_t_json_str(r));
	json_decref(r);
	daemon_fine("after out-of-range values");
}
END_TEST

START_TEST(test_wrong_type)
{
	bad("bad_type", "set ch/1/gain banana", "banana", NULL);
	bad("bad_type", "set ch/1/gain 1.5.5", NULL, NULL);
	bad("bad_type", "set ch/1/gain -6dBx", NULL, NULL);
	bad("bad_type", "set ch/1/mute maybe", "maybe", NULL);
	bad("bad_type", "set ch/1/solo 2", NULL, NULL);
	bad("bad_type", "set ch/1/pan left", NULL, NULL);
	bad("bad_type", "set zone/1/mute yesplease", NULL, NULL);
	bad("bad_type", "set ch/1/gain 0 fast", NULL, NULL);
	bad2("bad_type", "out_of_range", "set ch/1/gain nan");
	bad2("bad_type", "out_of_range", "set ch/1/pan nan");
	daemon_fine("after wrongly typed values");
}
END_TEST

START_TEST(test_wrong_arg_count)
{
	bad("wrong_args", "get", NULL, NULL);
	bad("wrong_args", "get ch/1/gain ch/1/pan", NULL, NULL);
	bad("wrong_args", "set", NULL, NULL);
	bad("wrong_args", "set ch/1/gain", NULL, NULL);
	bad("wrong_args", "set ch/1/gain 0 20 extra", NULL, NULL);
	daemon_fine("after wrong argument counts");
}
END_TEST

START_TEST(test_unknown_verb)
{
	bad("unknown_verb", "sett ch/1/gain -20", "sett", NULL);
	bad("unknown_verb", "frobnicate", "frobnicate", NULL);
	bad("unknown_verb", "\"set ch/1/gain -20\"", NULL, NULL);
	daemon_fine("after unknown verbs");
}
END_TEST

/* Send a line of exactly n bytes including its newline: a valid request
 * padded with spaces. */
static json_t *padded_get(size_t n)
{
	char *line = malloc(n);
	json_t *r;

	memset(line, ' ', n);
	memcpy(line, "get ch/1/gain", 13);
	line[n - 1] = '\n';
	ck_assert(wm_client_send_raw(cl, line, n) == 0);
	free(line);
	r = wm_client_read_reply(cl, WM_T_REPLY_TIMEOUT_MS, NULL, NULL);
	ck_assert_msg(r != NULL, "no reply to a %zu-byte line", n);
	return r;
}

START_TEST(test_line_too_long_keeps_the_connection)
{
	char *big = malloc(100001);
	json_t *r;

	memset(big, 'x', 100000);
	memcpy(big, "get ", 4);
	big[4999] = '\n';
	ck_assert(wm_client_send_raw(cl, big, 5000) == 0);
	r = wm_client_read_reply(cl, WM_T_REPLY_TIMEOUT_MS, NULL, NULL);
	ck_assert_msg(r != NULL, "no reply to a 5000-byte line");
	json_decref(wm_t_assert_error(r, "line_too_long", "a 5000-byte line"));
	json_decref(wm_t_assert_ok(wm_t_request(cl, "get ch/1/gain"), "the request after it"));

	/* the limit is 4096 bytes including the newline */
	json_decref(wm_t_assert_ok(padded_get(4096), "a 4096-byte line (the limit)"));
	json_decref(wm_t_assert_error(padded_get(4097), "line_too_long", "a 4097-byte line"));

	/* 100 kB in pieces, then a good request in the same write as its end */
	big[4999] = 'x';
	big[99999] = '\n';
	for (size_t off = 0; off < 99000; off += 9000) {
		ck_assert(wm_client_send_raw(cl, big + off, 9000) == 0);
		wm_sleep_ms(2);
	}
	ck_assert(wm_client_send_raw(cl, big + 99000, 1000) == 0);
	ck_assert(wm_client_sendf(cl, "get ch/1/mute") == 0);
	r = wm_client_read_reply(cl, WM_T_REPLY_TIMEOUT_MS, NULL, NULL);
	ck_assert_msg(r != NULL, "no reply to a 100 kB line");
	json_decref(wm_t_assert_error(r, "line_too_long", "a 100 kB line"));
	r = wm_client_read_reply(cl, WM_T_REPLY_TIMEOUT_MS, NULL, NULL);
	ck_assert_msg(r && json_is_false(json_object_get(r, "value")),
		      "the request after a 100 kB line: %s", wm_t_json_str(r));
	json_decref(r);
	free(big);
	daemon_fine("after over-long lines");
}
END_TEST

START_TEST(test_binary_garbage)
{
	unsigned seed = 20261127;
	unsigned char buf[300];
	int answered = 0, dropped = 0;

	for (int round = 0; round < 40; round++) {
		size_t n = 2 + (size_t)(rand_r(&seed) % 250);
		char *raw = NULL;
		const char *why = "";
		json_t *r;

		for (size_t i = 0; i < n; i++) {
			buf[i] = (unsigned char)(rand_r(&seed) & 0xff);
			if (buf[i] == '\n')
				buf[i] = 0xfe;
		}
		buf[rand_r(&seed) % n] = 0x00;
		buf[rand_r(&seed) % n] = 0xff;
		buf[n] = '\n';
		if (wm_client_send_raw(cl, buf, n + 1) < 0) {
			r = NULL;
			why = "connection closed by the daemon";
		} else {
			r = wm_client_read_reply(cl, WM_T_REPLY_TIMEOUT_MS, &raw, &why);
		}
		if (r) {
			wm_t_assert_error(r, "bad_request", "a line of random bytes with NUL and 0xff");
			json_decref(r);
			answered++;
		} else {
			ck_assert_msg(strstr(why, "closed"), "round %d (seed 20261127): %s; got \"%s\"",
				      round, why, raw ? raw : "");
			dropped++;
			wm_client_close(cl);
			cl = wm_client_connect(wd.sock, 2000);
			ck_assert(cl != NULL);
		}
		free(raw);
	}
	ck_assert_int_eq(answered + dropped, 40);
	/* a blob with newlines in it, then a good request */
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(rand_r(&seed) & 0xff);
	if (wm_client_send_raw(cl, buf, sizeof buf) == 0 && wm_client_sendf(cl, "\nget ch/1/gain") == 0) {
		for (;;) {
			json_t *r = wm_client_read_reply(cl, WM_T_REPLY_TIMEOUT_MS, NULL, NULL);

			if (!r)
				break;          /* closed is fine, so is a timeout after close */
			if (json_is_true(json_object_get(r, "ok"))) {
				ck_assert_str_eq(json_string_value(json_object_get(r, "path")),
						 "ch/1/gain");
				json_decref(r);
				break;
			}
			json_decref(r);
		}
	}
	daemon_fine("after binary garbage");
}
END_TEST

START_TEST(test_quotes)
{
	json_t *r;

	bad("bad_request", "set ch/1/name \"Music", NULL, NULL);
	bad("bad_request", "set ch/1/name \"Music Bed", NULL, NULL);
	json_decref(wm_t_assert_ok(wm_t_request(cl, "set ch/2/name \"Music Bed\""), "quoted"));
	r = wm_t_assert_ok(wm_t_request(cl, "get ch/2/name"), "get ch/2/name");
	ck_assert_str_eq(json_string_value(json_object_get(r, "value")), "Music Bed");
	json_decref(r);
	json_decref(wm_t_assert_ok(wm_t_request(cl, "set ch/2/name \"say \\\"hi\\\" \\\\o/\""),
				   "escaped quotes"));
	r = wm_t_assert_ok(wm_t_request(cl, "get ch/2/name"), "get ch/2/name");
	ck_assert_str_eq(json_string_value(json_object_get(r, "value")), "say \"hi\" \\o/");
	json_decref(r);
	daemon_fine("after quoting errors");
}
END_TEST

/* What became of each of the many clients. */
enum { PENDING, GOT_OK, GOT_BUSY, CLOSED, REFUSED };

START_TEST(test_200_clients_at_once)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static char bufs[NCLIENTS][512];
	size_t lens[NCLIENTS] = { 0 };
	int fds[NCLIENTS], state[NCLIENTS], count[5] = { 0 }, left = 0;
	long long deadline;

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", wd.sock);
	for (int i = 0; i < NCLIENTS; i++) {
		fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		ck_assert(fds[i] >= 0);
		state[i] = PENDING;
		if (connect(fds[i], (struct sockaddr *)&sa, sizeof sa) < 0) {
			ck_assert_msg(errno == EAGAIN || errno == ECONNREFUSED,
				      "client %d: connect: %s", i, strerror(errno));
			state[i] = REFUSED;
		}
	}
	for (int i = 0; i < NCLIENTS; i++)
		if (state[i] == PENDING)
			send(fds[i], "get ch/1/gain\n", 14, MSG_NOSIGNAL);     /* EPIPE: see below */
	deadline = wm_now_ms() + 10000;
	do {
		struct pollfd pf[NCLIENTS];
		int idx[NCLIENTS], n = 0;

		for (int i = 0; i < NCLIENTS; i++)
			if (state[i] == PENDING) {
				pf[n] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
				idx[n++] = i;
			}
		left = n;
		if (n == 0 || poll(pf, (nfds_t)n, 100) <= 0)
			continue;
		for (int k = 0; k < n; k++) {
			int i = idx[k];
			ssize_t got;
			char *nl;
			json_t *r;

			if (!pf[k].revents)
				continue;
			got = recv(fds[i], bufs[i] + lens[i], sizeof bufs[i] - 1 - lens[i], 0);
			if (got <= 0) {
				state[i] = CLOSED;
				continue;
			}
			lens[i] += (size_t)got;
			bufs[i][lens[i]] = 0;
			nl = strchr(bufs[i], '\n');
			if (!nl)
				continue;
			*nl = 0;
			r = json_loads(bufs[i], 0, NULL);
			if (json_is_true(json_object_get(r, "ok")) && wm_t_value_num(r) == 0.0)
				state[i] = GOT_OK;
			else if (json_is_false(json_object_get(r, "ok")) &&
				 strcmp(wm_t_error_code(r), "busy") == 0)
				state[i] = GOT_BUSY;
			else
				ck_abort_msg("client %d got \"%s\"; want the value or a busy error", i,
					     bufs[i]);
			json_decref(r);
		}
	} while (left > 0 && wm_now_ms() < deadline);
	for (int i = 0; i < NCLIENTS; i++) {
		count[state[i]]++;
		close(fds[i]);
	}
	ck_assert_msg(count[PENDING] == 0, "%d of %d clients got neither a reply nor a close in "
		      "10 s (ok %d, busy %d, closed %d, refused %d)", count[PENDING], NCLIENTS,
		      count[GOT_OK], count[GOT_BUSY], count[CLOSED], count[REFUSED]);
	ck_assert_msg(count[GOT_OK] > 0, "not one of %d clients was served", NCLIENTS);
	json_decref(wm_t_assert_ok(wm_t_request1(wd.sock, "get ch/1/gain"), "a new client"));
	daemon_fine("after 200 clients at once");
}
END_TEST

/* Set ch/2/gain, retrying while the daemon says busy (its command ring is
 * full when JACK cycles stall under load); gives up after 2 s. */
static void set_ch2_gain(struct wm_client *c, int gain_db)
{
	long long deadline = wm_now_ms() + 2000;
	json_t *r;

	for (;;) {
		r = wm_t_request(c, "set ch/2/gain %d", gain_db);
		if (json_is_true(json_object_get(r, "ok")) || wm_now_ms() > deadline ||
		    strcmp(wm_t_error_code(r), "busy") != 0)
			break;
		json_decref(r);
		wm_sleep_ms(20);
	}
	json_decref(wm_t_assert_ok(r, "set ch/2/gain"));
}

START_TEST(test_subscriber_that_never_reads)
{
	struct wm_client *lazy = wm_client_connect(wd.sock, 2000), *probe;
	long long worst_us = 0, t0;
	int busy = 0, last_ok = 0;
	json_t *r;

	ck_assert(lazy != NULL);
	json_decref(wm_t_assert_ok(wm_t_request(lazy, "subscribe changes"), "subscribe"));
	probe = wm_client_connect(wd.sock, 2000);
	ck_assert(probe != NULL);
	for (int i = 0; i < NCHANGES; i++) {
		ck_assert(wm_client_sendf(cl, "set ch/2/gain %d", -1 - (i % 2)) == 0);
		r = wm_client_read_reply(cl, WM_T_REPLY_TIMEOUT_MS, NULL, NULL);
		ck_assert_msg(r != NULL, "change %d: no reply (the daemon is stuck on the "
			      "subscriber?)", i);
		/* busy: the command ring to the audio thread is full - a clean refusal */
		if (json_is_true(json_object_get(r, "ok")))
			last_ok = -1 - (i % 2);
		else if (strcmp(wm_t_error_code(r), "busy") == 0)
			busy++;
		else
			ck_abort_msg("change %d: %s", i, wm_t_json_str(r));
		json_decref(r);
		if (i % 100 == 0) {
			t0 = wm_now_us();
			r = wm_client_request(probe, WM_T_REPLY_TIMEOUT_MS, "get ch/1/gain");
			ck_assert_msg(r != NULL, "get on another client: no reply during change %d", i);
			json_decref(r);
			if (wm_now_us() - t0 > worst_us)
				worst_us = wm_now_us() - t0;
		}
	}
	ck_assert_msg(worst_us < 100000, "a get round trip took %lld ms while a subscriber "
		      "did not read; want < 100 ms", worst_us / 1000);
	ck_assert_msg(busy < NCHANGES, "every change was refused as busy");
	/* a refused change must not have changed the parameter */
	r = wm_t_assert_ok(wm_t_request(probe, "get ch/2/gain"), "get ch/2/gain");
	ck_assert_msg(wm_t_value_num(r) == last_ok, "ch/2/gain is %s; the last accepted change "
		      "set %d (%d changes were refused as busy)", wm_t_json_str(r), last_ok, busy);
	json_decref(r);
	set_ch2_gain(cl, 0);
	/* the lazy one: either cut off, or still served after its backlog */
	if (wm_client_sendf(lazy, "get ch/1/gain") == 0) {
		const char *why = "";

		r = wm_client_read_reply(lazy, 10000, NULL, &why);
		ck_assert_msg(r || strstr(why, "closed"), "the subscriber that did not read, "
			      "reading at last: %s", why);
		json_decref(r);
	}
	wm_client_close(lazy);
	wm_client_close(probe);
	daemon_fine("after a subscriber that never read");
}
END_TEST

START_TEST(test_clients_that_go_away)
{
	struct wm_client *half = wm_client_connect(wd.sock, 2000);
	long long t0;
	json_t *r;

	/* half a line: the daemon must not wait for the rest */
	ck_assert(half && wm_client_send_raw(half, "set ch/1/ga", 11) == 0);
	t0 = wm_now_us();
	r = wm_t_assert_ok(wm_t_request(cl, "get ch/1/gain"), "get while another client "
			   "has half a line in");
	ck_assert_msg(wm_now_us() - t0 < 100000, "get took %lld ms", (wm_now_us() - t0) / 1000);
	json_decref(r);
	wm_client_close(half);
	/* requests whose replies nobody reads (EPIPE on the daemon's side) */
	for (int i = 0; i < 50; i++) {
		struct wm_client *c = wm_client_connect(wd.sock, 2000);

		ck_assert(c != NULL);
		wm_client_sendf(c, i % 2 ? "list" : "health");
		wm_client_close(c);
	}
	/* a reset instead of a close, mid-line */
	{
		struct wm_client *c = wm_client_connect(wd.sock, 2000);
		struct linger lg = { 1, 0 };

		ck_assert(c != NULL);
		wm_client_send_raw(c, "get ch/1/", 9);
		setsockopt(wm_client_fd(c), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		wm_client_close(c);
	}
	/* subscribers that leave while changes go out */
	for (int i = 0; i < 10; i++) {
		struct wm_client *c = wm_client_connect(wd.sock, 2000);

		ck_assert(c != NULL);
		json_decref(wm_t_assert_ok(wm_t_request(c, "subscribe changes"), "subscribe"));
		wm_client_close(c);
		set_ch2_gain(cl, -i);
	}
	set_ch2_gain(cl, 0);
	daemon_fine("after clients that went away");
}
END_TEST

START_TEST(test_reply_shapes)
{
	json_t *r, *j;
	char *line;

	r = wm_t_assert_ok(wm_t_request(cl, "get ch/1/pan"), "get");
	ck_assert_msg(json_object_size(r) == 3 && json_is_string(json_object_get(r, "path")) &&
		      json_is_number(json_object_get(r, "value")) && !json_object_get(r, "event"),
		      "get reply shape: %s", wm_t_json_str(r));
	json_decref(r);
	r = wm_t_assert_ok(wm_t_request(cl, "set ch/2/pan 0.5"), "set");
	ck_assert_msg(strcmp(json_string_value(json_object_get(r, "path")), "ch/2/pan") == 0 &&
		      json_number_value(json_object_get(r, "value")) == 0.5, "set reply: %s",
		      wm_t_json_str(r));
	json_decref(r);
	json_decref(wm_t_request(cl, "set ch/2/pan 0"));
	r = wm_t_err(cl, "unknown_path", "get ch/1/nope");
	j = json_object_get(r, "error");
	ck_assert_msg(json_object_size(r) == 2 && json_is_object(j), "error shape: %s",
		      wm_t_json_str(r));
	json_decref(r);

	r = wm_t_assert_ok(wm_t_request(cl, "health"), "health");
	j = json_object_get(r, "jack");
	ck_assert_msg(json_is_string(json_object_get(r, "status")) &&
		      json_is_string(json_object_get(r, "version")) &&
		      json_is_number(json_object_get(r, "uptime_s")) &&
		      json_is_true(json_object_get(j, "connected")) &&
		      strcmp(wm_t_strval(json_object_get(j, "server")), jackd.name) == 0 &&
		      strcmp(wm_t_strval(json_object_get(j, "client")), wd.client) == 0 &&
		      json_integer_value(json_object_get(j, "sample_rate")) == WM_T_RATE &&
		      json_integer_value(json_object_get(j, "period")) == WM_T_PERIOD &&
		      json_is_integer(json_object_get(j, "xruns")) &&
		      json_is_number(json_object_get(j, "dsp_load")),
		      "health shape (server should be %s, client %s): %s", jackd.name, wd.client,
		      wm_t_json_str(r));
	json_decref(r);

	/* three requests in one write: three lines, in order; CRLF accepted */
	ck_assert(wm_client_send_raw(cl, "get ch/1/gain\nget ch/1/mute\r\nget zone/1/gain\n",
				     45) == 0);
	for (int i = 0; i < 3; i++) {
		static const char *const want[] = { "ch/1/gain", "ch/1/mute", "zone/1/gain" };

		ck_assert_msg(wm_client_read_line(cl, WM_T_REPLY_TIMEOUT_MS, &line) == 1,
			      "pipelined reply %d missing", i + 1);
		r = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
		ck_assert_msg(json_is_true(json_object_get(r, "ok")) &&
			      strcmp(json_string_value(json_object_get(r, "path")), want[i]) == 0,
			      "pipelined reply %d: %s", i + 1, line);
		json_decref(r);
		free(line);
	}
	daemon_fine("after the shape checks");
}
END_TEST

static Suite *sock_suite(void)
{
	Suite *s = suite_create("sock");
	TCase *tc = tcase_create("bad_input");

	tcase_add_unchecked_fixture(tc, up, down);
	tcase_add_checked_fixture(tc, probes_open, probes_close);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_reply_shapes);
	tcase_add_test(tc, test_unknown_path);
	tcase_add_test(tc, test_out_of_range);
	tcase_add_test(tc, test_wrong_type);
	tcase_add_test(tc, test_wrong_arg_count);
	tcase_add_test(tc, test_unknown_verb);
	tcase_add_test(tc, test_line_too_long_keeps_the_connection);
	tcase_add_test(tc, test_binary_garbage);
	tcase_add_test(tc, test_quotes);
	tcase_add_test(tc, test_200_clients_at_once);
	tcase_add_test(tc, test_subscriber_that_never_reads);
	tcase_add_test(tc, test_clients_that_go_away);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(sock_suite());
}
