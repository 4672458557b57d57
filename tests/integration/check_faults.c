/* check_faults.c - fault injection against a running washmixd (issue 9):
 * slow and greedy socket clients, the JACK server stopped under the mix,
 * Redis stopped, paused and killed while renders run. Every test keeps a
 * latency probe (`ping` every 5 ms on a connection of its own) going
 * through the fault and fails when its p99 reaches 10 ms; the figures are
 * printed on stderr.
 *
 * Each test case has its own jackd and daemon; faults that other tests
 * cover already (jackd SIGKILL in check_live, Redis faults without load in
 * check_render_jobs) are not repeated here. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/support/audiocheck.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/jackd_fixture.h"
#include "tests/support/jackprobe.h"
#include "tests/support/pingprobe.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

#define PROBE_INTERVAL_MS 5
#define PROBE_P99_LIMIT_US 10000
#define LINE_TIMEOUT_S 3        /* the slow-client daemon's --line-timeout */
#define HOLDERS 200             /* connections holding one byte of a line */
#define GREEDY 1000             /* connections one client opens */
#define MAX_CLIENTS 256         /* the default --max-clients */
#define LAZY 10                 /* subscribers that never read */
#define LAZY_CHANGES 15000
/* RSS bounds are tight in a plain build; ASan's allocator (redzones, size
 * class caches, its quarantine) keeps tens of MiB more of what was freed. */
#ifdef __SANITIZE_ADDRESS__
#define RSS_SLACK_KIB (64 * 1024)
#else
#define RSS_SLACK_KIB 0
#endif

static struct wm_jackd jackd;
static struct wm_daemon wd;

/* --- helpers --------------------------------------------------------------- */

static void probe_check(struct wm_pingprobe *p, const char *during)
{
	struct wm_ping_stats st;

	wm_pingprobe_stop(p, &st);
	fprintf(stderr, "probe during %s: %s\n", during, wm_ping_stats_str(&st));
	ck_assert_msg(st.pings > 0 && st.failures == 0, "probe during %s: %s", during,
		      wm_ping_stats_str(&st));
	ck_assert_msg(st.p99_us < PROBE_P99_LIMIT_US, "probe during %s: p99 %.2f ms, the limit "
		      "is %d ms (%s)", during, (double)st.p99_us / 1000.0,
		      PROBE_P99_LIMIT_US / 1000, wm_ping_stats_str(&st));
}

static struct wm_pingprobe *probe_start(void)
{
	struct wm_pingprobe *p = wm_pingprobe_start(wd.sock, PROBE_INTERVAL_MS);

	ck_assert_msg(p != NULL, "cannot start the ping probe on %s", wd.sock);
	return p;
}

static long stat_counter(const char *section, const char *key)
{
	json_t *r = wm_t_assert_ok(wm_t_request1(wd.sock, "stats"), "stats");
	json_t *v = json_object_get(json_object_get(r, section), key);
	long n;

	ck_assert_msg(json_is_integer(v), "stats has no %s.%s: %s", section, key,
		      wm_t_json_str(r));
	n = (long)json_integer_value(v);
	json_decref(r);
	return n;
}

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* A raw non-blocking connection; -1 when the listen queue is full. */
static int raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	ck_assert_msg(fd >= 0, "socket: %s", strerror(errno));
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", wd.sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
		return fd;
	ck_assert_msg(errno == EAGAIN, "connect: %s", strerror(errno));
	close(fd);
	return -1;
}

/* A raw connection, retrying while the daemon drains its listen queue. */
static int raw_connect_retry(void)
{
	long long deadline = wm_now_ms() + 5000;
	int fd;

	while ((fd = raw_connect()) < 0) {
		ck_assert_msg(wm_now_ms() < deadline, "the listen queue stayed full for 5 s");
		wm_sleep_ms(1);
	}
	return fd;
}

enum conn_end { CONN_OPEN, CONN_REPLIED_CLOSED, CONN_CLOSED_SILENT, CONN_BAD };

struct conn {
	int fd;
	char buf[512];
	size_t len;
	enum conn_end end;
};

/* Read what the daemon sent on a raw connection without blocking: open (no
 * EOF yet), or closed after one error line with the wanted code. */
static void conn_poll(struct conn *c, const char *want_code)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, MSG_DONTWAIT);

		if (n > 0) {
			c->len += (size_t)n;
			c->buf[c->len] = 0;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		break;
	}
	if (c->len == 0) {
		c->end = CONN_CLOSED_SILENT;
		return;
	}
	json_t *r = json_loads(c->buf, JSON_DISABLE_EOF_CHECK, NULL);
	c->end = r && json_is_false(json_object_get(r, "ok")) &&
			 strcmp(wm_t_error_code(r), want_code) == 0
		 ? CONN_REPLIED_CLOSED
		 : CONN_BAD;
	json_decref(r);
}

/* --- slow consumers ---------------------------------------------------------- */

static void slow_up(void)
{
	const char *extra[] = { "--line-timeout", "3", NULL };
#ifdef __SANITIZE_ADDRESS__
	/* ASan's quarantine keeps 256 MiB of freed memory by default, which
	 * the RSS bounds below would count; a small one keeps them meaningful. */
	const char *asan = getenv("ASAN_OPTIONS");
	char opts[1024];

	snprintf(opts, sizeof opts, "%s%squarantine_size_mb=16", asan ? asan : "",
		 asan && *asan ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
#endif

	wm_t_jackd_start(&jackd, wm_tmpdir());
	wm_t_daemon_start(&wd, wm_tmpdir(), 2, 2, NULL, extra);
}

static void slow_down(void)
{
	wm_t_daemon_stop(&wd);
	wm_t_jackd_stop(&jackd);
}

/* One byte a second never makes a line: the client is told and closed once
 * its line is LINE_TIMEOUT_S old; so are HOLDERS clients that sent one byte
 * each, which without a deadline would hold most connection slots for ever.
 * Idle connections (a subscriber, a plain one) are left alone. */
START_TEST(test_a_line_that_never_ends_is_cut_off)
{
	struct wm_client *sub = wm_client_connect(wd.sock, 2000);
	struct wm_client *idle = wm_client_connect(wd.sock, 2000);
	static struct conn holders[HOLDERS];
	static const char typed[] = "set ch/1/gain -6";
	struct conn trickle = { 0 };
	long timeouts0 = stat_counter("control", "line_timeouts");
	long long t0, closed_ms = -1;
	struct wm_pingprobe *probe;
	int cut = 0;

	ck_assert(sub && idle);
	json_decref(wm_t_assert_ok(wm_t_request(sub, "subscribe changes"), "subscribe"));
	probe = probe_start();
	for (int i = 0; i < HOLDERS; i++) {
		holders[i] = (struct conn){ .fd = raw_connect_retry() };
		ck_assert(send(holders[i].fd, "g", 1, MSG_NOSIGNAL) == 1);
	}
	trickle.fd = raw_connect_retry();
	t0 = wm_now_ms();
	for (int i = 0; closed_ms < 0 && wm_now_ms() - t0 < (LINE_TIMEOUT_S + 3) * 1000; i++) {
		if (i % 100 == 0) /* one byte a second, never a newline */
			send(trickle.fd, &typed[(i / 100) % (sizeof typed - 1)], 1, MSG_NOSIGNAL);
		conn_poll(&trickle, "line_timeout");
		if (trickle.end != CONN_OPEN)
			closed_ms = wm_now_ms() - t0;
		wm_sleep_ms(10);
	}
	ck_assert_msg(trickle.end == CONN_REPLIED_CLOSED, "a client sending one byte a second: "
		      "want one line_timeout error and a close within %d s; got %s after %lld ms: "
		      "\"%s\"", LINE_TIMEOUT_S + 3,
		      trickle.end == CONN_OPEN ? "nothing (still open)" : "this", closed_ms,
		      trickle.buf);
	ck_assert_msg(closed_ms >= LINE_TIMEOUT_S * 1000 - 50 &&
		      closed_ms <= LINE_TIMEOUT_S * 1000 + 1000,
		      "the slow line was cut off after %lld ms; the limit is %d s", closed_ms,
		      LINE_TIMEOUT_S);
	ck_assert_msg(strstr(trickle.buf, "3 s") && strstr(trickle.buf, "--line-timeout"),
		      "the error should say the limit and the option: %s", trickle.buf);
	for (int i = 0; i < HOLDERS; i++) {
		conn_poll(&holders[i], "line_timeout");
		cut += holders[i].end == CONN_REPLIED_CLOSED;
		close(holders[i].fd);
	}
	close(trickle.fd);
	ck_assert_msg(cut == HOLDERS, "%d of %d clients holding one byte of a line were cut off",
		      cut, HOLDERS);
	probe_check(probe, "201 slow lines");
	json_decref(wm_t_assert_ok(wm_t_request(sub, "ping"), "the idle subscriber"));
	json_decref(wm_t_assert_ok(wm_t_request(idle, "ping"), "the idle connection"));
	ck_assert_int_eq(stat_counter("control", "line_timeouts") - timeouts0, HOLDERS + 1);
	json_decref(wm_t_assert_ok(wm_t_request(idle, "get ch/1/gain"), "get"));
	wm_client_close(sub);
	wm_client_close(idle);
	fprintf(stderr, "slow line cut off after %lld ms (limit %d s), %d holders cut\n", closed_ms,
		LINE_TIMEOUT_S, cut);
}
END_TEST

/* The deadline is per line: typing `ping\n` at a byte every 0.5 s (2.5 s,
 * within the limit) is answered, twice in a row on one connection. */
START_TEST(test_a_slow_typist_within_the_limit_is_answered)
{
	struct wm_client *c = wm_client_connect(wd.sock, 2000);

	ck_assert(c != NULL);
	for (int line = 0; line < 2; line++) {
		json_t *r;

		for (const char *p = "ping\n"; *p; p++) {
			ck_assert_msg(wm_client_send_raw(c, p, 1) == 0, "line %d: the daemon closed "
				      "the connection while the line was typed", line + 1);
			if (p[1])
				wm_sleep_ms(500);
		}
		r = wm_client_read_reply(c, 2000, NULL, NULL);
		ck_assert_msg(r && json_is_true(json_object_get(r, "ok")), "line %d typed in 2 s of "
			      "a %d s limit: %s", line + 1, LINE_TIMEOUT_S, wm_t_json_str(r));
		json_decref(r);
	}
	wm_client_close(c);
}
END_TEST

/* 1000 connections from one client: max_clients are served (the probe is
 * one of them), the rest get `busy` and are closed, the daemon's RSS stays
 * small, the probe stays fast, and new connections work once they close. */
START_TEST(test_a_thousand_connections)
{
	static struct conn conns[GREEDY];
	struct rlimit rl;
	struct wm_pingprobe *probe;
	long rss0, rss1, busy0 = stat_counter("control", "refused_busy");
	int counts[4] = { 0 };
	long long t0;
	json_t *r;

	ck_assert(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
	ck_assert_msg(rl.rlim_cur >= GREEDY + 100 && setrlimit(RLIMIT_NOFILE, &rl) == 0,
		      "cannot raise RLIMIT_NOFILE to %d: %s", GREEDY + 100, strerror(errno));
	rss0 = rss_kib(wd.proc->pid);
	probe = probe_start();
	t0 = wm_now_ms();
	for (int i = 0; i < GREEDY; i++)
		conns[i] = (struct conn){ .fd = raw_connect_retry() };
	/* every refused one is answered and closed; give the daemon time */
	do {
		memset(counts, 0, sizeof counts);
		wm_sleep_ms(50);
		for (int i = 0; i < GREEDY; i++) {
			if (conns[i].end == CONN_OPEN)
				conn_poll(&conns[i], "busy");
			counts[conns[i].end]++;
		}
	} while (counts[CONN_OPEN] > MAX_CLIENTS - 1 && wm_now_ms() - t0 < 10000);
	wm_sleep_ms(200);
	rss1 = rss_kib(wd.proc->pid);
	fprintf(stderr, "%d connections in %lld ms: %d held, %d refused busy, %d closed silent, "
		"%d bad; daemon RSS %ld -> %ld KiB\n", GREEDY, wm_now_ms() - t0, counts[CONN_OPEN],
		counts[CONN_REPLIED_CLOSED], counts[CONN_CLOSED_SILENT], counts[CONN_BAD], rss0,
		rss1);
	ck_assert_msg(counts[CONN_BAD] == 0 && counts[CONN_CLOSED_SILENT] == 0,
		      "refused connections must get one busy error each: %d got something else, "
		      "%d nothing", counts[CONN_BAD], counts[CONN_CLOSED_SILENT]);
	ck_assert_msg(counts[CONN_OPEN] == MAX_CLIENTS - 1,
		      "%d of %d connections held; want %d (max_clients %d, less the probe)",
		      counts[CONN_OPEN], GREEDY, MAX_CLIENTS - 1, MAX_CLIENTS);
	ck_assert_msg(rss1 - rss0 < 8192 + RSS_SLACK_KIB, "daemon RSS grew by %ld KiB holding %d "
		      "connections",
		      rss1 - rss0, counts[CONN_OPEN]);
	/* the held ones are served: a sample */
	for (int i = 0; i < GREEDY; i += 97) {
		if (conns[i].end != CONN_OPEN)
			continue;
		ck_assert(send(conns[i].fd, "ping\n", 5, MSG_NOSIGNAL) == 5);
		struct pollfd pf = { .fd = conns[i].fd, .events = POLLIN };
		ck_assert_msg(poll(&pf, 1, 2000) == 1, "held connection %d: no answer to ping", i);
		conn_poll(&conns[i], "none");
		ck_assert_msg(strstr(conns[i].buf, "\"ok\":true"), "held connection %d: %s", i,
			      conns[i].buf);
	}
	/* hold them a while: the probe's p99 covers the whole test, not the burst */
	while (wm_now_ms() - t0 < 5000)
		wm_sleep_ms(50);
	probe_check(probe, "1000 connections");
	for (int i = 0; i < GREEDY; i++)
		close(conns[i].fd);
	t0 = wm_now_ms();
	do {
		r = wm_t_request1(wd.sock, "ping");
		if (json_is_true(json_object_get(r, "ok")))
			break;
		json_decref(r);
		r = NULL;
		wm_sleep_ms(20);
	} while (wm_now_ms() - t0 < 2000);
	ck_assert_msg(r != NULL, "no new connection served within 2 s of the 1000 closing");
	json_decref(r);
	/* pings that came before the closes were seen are refused too */
	ck_assert_msg(stat_counter("control", "refused_busy") - busy0 >= GREEDY - (MAX_CLIENTS - 1),
		      "stats control.refused_busy did not count the %d refused connections",
		      counts[CONN_REPLIED_CLOSED]);
	wm_t_daemon_alive(&wd, "after 1000 connections");
}
END_TEST

/* --- JACK server stopped under the mix -------------------------------------- */

#define JACK_GAP_MS 2000
#define RECONNECT_LIMIT_MS 2000 /* backoff cap 1 s, connect, health polled every 50 ms */

static struct wm_src *src;
static struct wm_sink *sink;

static double db(double g)
{
	return pow(10.0, g / 20.0);
}

/* What the mix below sends out, from DC 0.5, 0.25, 0.125 on ch1..3 left. */
#define ZONE1_WANT (0.5 * db(-6))               /* ch1 only: ch2 sends -inf, ch3 muted */
#define ZONE2_WANT (0.25 * db(-12) * db(-3))    /* ch2 only, zone 2 at -3 dB */

static const char *const mix_values[][2] = {
	{ "ch/1/gain", "-6" },    { "ch/1/send/2", "-inf" }, { "ch/2/gain", "-12" },
	{ "ch/2/send/1", "-inf" }, { "ch/3/mute", "1" },     { "zone/2/gain", "-3" },
};
#define NVALUES (sizeof mix_values / sizeof mix_values[0])

static void audio_open(void)
{
	src = wm_t_src_open(NULL, 3);
	sink = wm_t_sink_open(NULL, 4, 4.0);
	wm_t_connect_zones(src, &wd, sink, 2);
	wm_t_connect(src, wm_src_port(src, 1), wm_daemon_port(&wd, "ch1_L"));
	wm_t_connect(src, wm_src_port(src, 2), wm_daemon_port(&wd, "ch2_L"));
	wm_t_connect(src, wm_src_port(src, 3), wm_daemon_port(&wd, "ch3_L"));
	wm_src_stage(src, 1, wm_sig_dc(0.5f));
	wm_src_stage(src, 2, wm_sig_dc(0.25f));
	wm_src_stage(src, 3, wm_sig_dc(0.125f));
	wm_t_commit(src);
}

static void audio_close(void)
{
	wm_sink_close(sink);
	wm_src_close(src);
	sink = NULL;
	src = NULL;
}

/* The mix heard, numerically: 300 ms of both zones' left outputs. */
static void mix_heard(const char *when)
{
	char what[160];

	wm_sleep_ms(100); /* ramps of a fresh engine settle */
	wm_t_capture(sink, 300);
	snprintf(what, sizeof what, "%s: zone1_L", when);
	wm_t_expect_const(sink, 1, wm_sink_first(sink), wm_sink_end(sink), ZONE1_WANT, 1e-7, 1e-6,
			  what);
	snprintf(what, sizeof what, "%s: zone2_L", when);
	wm_t_expect_const(sink, 3, wm_sink_first(sink), wm_sink_end(sink), ZONE2_WANT, 1e-7, 1e-6,
			  what);
}

/* Every value of the mix read back as it was set. */
static void mix_read_back(const char *when)
{
	struct wm_client *c = wm_client_connect(wd.sock, 2000);

	ck_assert(c != NULL);
	for (size_t i = 0; i < NVALUES; i++) {
		json_t *r = wm_t_assert_ok(wm_t_request(c, "get %s", mix_values[i][0]), "get");
		json_t *v = json_object_get(r, "value");
		double want = strcmp(mix_values[i][1], "-inf") == 0 ? -INFINITY
								     : atof(mix_values[i][1]);
		double got = json_is_boolean(v) ? (json_is_true(v) ? 1.0 : 0.0) : wm_t_value_num(r);

		ck_assert_msg(got == want, "%s: %s is %s; it was set to %s", when, mix_values[i][0],
			      wm_t_json_str(r), mix_values[i][1]);
		json_decref(r);
	}
	wm_client_close(c);
}

/* The daemon's port is connected to exactly this one port. */
static void connected_to(jack_client_t *jc, const char *ours, const char *theirs)
{
	jack_port_t *p = jack_port_by_name(jc, wm_daemon_port(&wd, ours));
	const char **conns;

	ck_assert_msg(p != NULL, "port %s was not re-created", wm_daemon_port(&wd, ours));
	conns = jack_port_get_all_connections(jc, p);
	ck_assert_msg(conns && conns[0] && strcmp(conns[0], theirs) == 0 && !conns[1],
		      "%s should be connected to %s by the autoconnect pattern; it is connected "
		      "to %s", ours, theirs, conns && conns[0] ? conns[0] : "nothing");
	jack_free(conns);
}

static void autoconnected(const char *when)
{
	char err[256];
	jack_client_t *jc = wm_probe_open_client(NULL, "wmfaults-ports", err, sizeof err);

	ck_assert_msg(jc != NULL, "%s: cannot open a JACK client: %s", when, err);
	connected_to(jc, "ch1_L", "system:capture_1");
	connected_to(jc, "ch1_R", "system:capture_2");
	connected_to(jc, "zone1_L", "system:playback_1");
	connected_to(jc, "zone1_R", "system:playback_2");
	jack_client_close(jc);
}

static long long jack_reconnects(json_t *health)
{
	return (long long)json_integer_value(
		json_object_get(json_object_get(health, "jack"), "reconnects"));
}

/* jackd stopped cleanly (SIGTERM) while mixing and started again 2 s later:
 * the daemon stays up, says JACK is down meanwhile, comes back within the
 * backoff cap with its ports re-created and autoconnected, and the mix -
 * set through a scene recall and single sets - sounds as before. */
START_TEST(test_jackd_sigterm_and_restart_keep_the_mix)
{
	const char *extra[] = { "--connect-inputs", "system:capture_.*", "--connect-outputs",
				"system:playback_.*", NULL };
	struct wm_pingprobe *probe;
	struct wm_client *c;
	long long t_kill, t_back, t_down, t_up, reconnects0;
	pid_t pid;
	json_t *h;

	wm_t_jackd_start(&jackd, wm_tmpdir());
	wm_t_daemon_start(&wd, wm_tmpdir(), 3, 2, NULL, extra);
	pid = wd.proc->pid;
	c = wm_client_connect(wd.sock, 2000);
	ck_assert(c != NULL);
	for (size_t i = 0; i < NVALUES; i++)
		wm_t_ok(c, "set %s %s", mix_values[i][0], mix_values[i][1]);
	wm_t_ok(c, "scene save faultmix");
	wm_t_ok(c, "set ch/1/gain 0");
	wm_t_ok(c, "set zone/2/gain 0");
	wm_t_ok(c, "scene recall faultmix 0");
	wm_client_close(c);
	autoconnected("before jackd stopped");
	audio_open();
	mix_heard("before jackd stopped");
	audio_close();
	h = wm_daemon_wait_jack(&wd, true, 1000);
	reconnects0 = jack_reconnects(h);
	json_decref(h);

	probe = probe_start();
	t_kill = wm_now_ms();
	wm_t_jackd_kill(&jackd, SIGTERM);
	h = wm_daemon_wait_jack(&wd, false, 5000);
	t_down = wm_now_ms() - t_kill;
	ck_assert_msg(h && json_is_false(json_object_get(json_object_get(h, "jack"), "connected")),
		      "health does not say JACK is down after a SIGTERM of jackd: %s",
		      wm_t_json_str(h));
	ck_assert_msg(strcmp(wm_t_strval(json_object_get(h, "status")), "ok") != 0,
		      "health status is ok with JACK down: %s", wm_t_json_str(h));
	json_decref(h);
	mix_read_back("while JACK is down");
	while (wm_now_ms() - t_kill < JACK_GAP_MS)
		wm_sleep_ms(20);
	wm_t_jackd_start_again(&jackd);
	t_back = wm_now_ms();
	h = wm_daemon_wait_jack(&wd, true, 12000);
	t_up = wm_now_ms() - t_back;
	probe_check(probe, "a jackd stop and restart");
	wm_t_daemon_alive(&wd, "after jackd came back");
	ck_assert_msg(wd.proc->pid == pid, "the daemon's PID changed");
	ck_assert_msg(h && json_is_true(json_object_get(json_object_get(h, "jack"), "connected")),
		      "not reconnected 12 s after jackd came back; health: %s", wm_t_json_str(h));
	ck_assert_msg(jack_reconnects(h) == reconnects0 + 1, "health jack.reconnects: want %lld, "
		      "got %s", reconnects0 + 1, wm_t_json_str(h));
	json_decref(h);
	fprintf(stderr, "jackd SIGTERM: health said down after %lld ms; reconnected %lld ms after "
		"jackd accepted clients again (gap %d ms)\n", t_down, t_up, JACK_GAP_MS);
	ck_assert_msg(t_up <= RECONNECT_LIMIT_MS, "reconnected %lld ms after jackd was back; want "
		      "<= %d ms", t_up, RECONNECT_LIMIT_MS);
	autoconnected("after jackd came back");
	mix_read_back("after jackd came back");
	audio_open();
	mix_heard("after jackd came back");
	audio_close();
	wm_t_daemon_stop(&wd);
	wm_t_jackd_stop(&jackd);
}
END_TEST

/* Subscribers that never read while another client makes 15000 changes:
 * their queues stop at the event cap (events dropped and counted), the
 * daemon's RSS stays within a few MiB, and the probe stays fast. */
START_TEST(test_subscribers_that_never_read)
{
	struct wm_client *lazy[LAZY], *writer = wm_client_connect(wd.sock, 2000);
	long dropped0 = stat_counter("control", "events_dropped"), dropped, rss0, rss1;
	struct wm_pingprobe *probe;
	int busy = 0;

	ck_assert(writer != NULL);
	for (int i = 0; i < LAZY; i++) {
		lazy[i] = wm_client_connect(wd.sock, 2000);
		ck_assert(lazy[i] != NULL);
		json_decref(wm_t_assert_ok(wm_t_request(lazy[i], "subscribe changes meters"),
					   "subscribe"));
	}
	rss0 = rss_kib(wd.proc->pid);
	probe = probe_start();
	for (int i = 0; i < LAZY_CHANGES; i++) {
		json_t *r = wm_t_request(writer, "set ch/2/gain -%d", 1 + i % 2);

		if (!json_is_true(json_object_get(r, "ok"))) {
			ck_assert_msg(strcmp(wm_t_error_code(r), "busy") == 0, "change %d: %s", i,
				      wm_t_json_str(r));
			busy++;
		}
		json_decref(r);
	}
	probe_check(probe, "15000 changes with 10 subscribers not reading");
	rss1 = rss_kib(wd.proc->pid);
	dropped = stat_counter("control", "events_dropped") - dropped0;
	fprintf(stderr, "%d subscribers not reading, %d changes (%d busy): %ld events dropped, "
		"daemon RSS %ld -> %ld KiB\n", LAZY, LAZY_CHANGES, busy, dropped, rss0, rss1);
	ck_assert_msg(dropped > 0, "no event was dropped for subscribers that never read");
	ck_assert_msg(rss1 - rss0 < 4096 + LAZY * 512 + RSS_SLACK_KIB, "daemon RSS grew by %ld "
		      "KiB for %d subscribers that never read; their queues are capped at 256 KiB",
		      rss1 - rss0, LAZY);
	for (int i = 0; i < LAZY; i++)
		wm_client_close(lazy[i]);
	json_decref(wm_t_assert_ok(wm_t_request(writer, "set ch/2/gain 0"), "set"));
	wm_client_close(writer);
	wm_t_daemon_alive(&wd, "after subscribers that never read");
}
END_TEST

static Suite *faults_suite(void)
{
	Suite *s = suite_create("faults");
	TCase *slow = tcase_create("slow_clients");

	tcase_add_unchecked_fixture(slow, slow_up, slow_down);
	tcase_set_timeout(slow, 60);
	tcase_add_test(slow, test_a_line_that_never_ends_is_cut_off);
	tcase_add_test(slow, test_a_slow_typist_within_the_limit_is_answered);
	tcase_add_test(slow, test_a_thousand_connections);
	tcase_add_test(slow, test_subscribers_that_never_read);
	suite_add_tcase(s, slow);

	TCase *jack = tcase_create("jack_sigterm");
	tcase_set_timeout(jack, 60);
	tcase_add_test(jack, test_jackd_sigterm_and_restart_keep_the_mix);
	suite_add_tcase(s, jack);
	return s;
}

int main(void)
{
	return wm_t_run_suite(faults_suite());
}
