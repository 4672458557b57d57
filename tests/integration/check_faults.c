/* check_faults.c - slow and greedy control-socket clients against a running
 * washmixd (issue 9, fault injection): lines that never end (cut off by
 * --line-timeout, here 3 s), a slow typist within the limit, one client
 * opening 1000 connections, subscribers that never read. Every test keeps a
 * latency probe (`ping` every 5 ms on a connection of its own, pingprobe.h)
 * going through the fault and fails when its p99 reaches 10 ms; figures are
 * printed on stderr. One jackd and daemon for the binary.
 *
 * The other faults live beside the tests of what they break: jackd stopped
 * in check_jack_faults.c (SIGKILL in check_live.c), Redis in
 * check_render_jobs.c, kill -9 during saves in check_scene_crash.c, disk
 * full and read-only state in check_scene_files.c. */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/support/daemon_fixture.h"
#include "tests/support/jackd_fixture.h"
#include "tests/support/pingprobe.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

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
	long kib = wm_proc_status_kib(pid, "VmRSS");
	ck_assert_msg(kib >= 0, "no VmRSS in /proc/%d/status", (int)pid);
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
	long long t0, held_at, closed_ms = -1;
	struct wm_pingprobe *probe;
	int cut = 0;

	ck_assert(sub && idle);
	json_decref(wm_t_assert_ok(wm_t_request(sub, "subscribe changes"), "subscribe"));
	probe = wm_t_pingprobe_start(wd.sock);
	for (int i = 0; i < HOLDERS; i++) {
		holders[i] = (struct conn){ .fd = raw_connect_retry() };
		ck_assert(send(holders[i].fd, "g", 1, MSG_NOSIGNAL) == 1);
	}
	held_at = wm_now_ms();
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
		      closed_ms <= LINE_TIMEOUT_S * 1000 + 2000,
		      "the slow line was cut off after %lld ms; the limit is %d s", closed_ms,
		      LINE_TIMEOUT_S);
	ck_assert_msg(strstr(trickle.buf, "3 s") && strstr(trickle.buf, "--line-timeout"),
		      "the error should say the limit and the option: %s", trickle.buf);
	/* the daemon starts a line's clock when it reads the first byte, which
	 * under load may be a while after a burst of connections sent it */
	do {
		cut = 0;
		for (int i = 0; i < HOLDERS; i++) {
			if (holders[i].end == CONN_OPEN)
				conn_poll(&holders[i], "line_timeout");
			cut += holders[i].end == CONN_REPLIED_CLOSED;
		}
	} while (cut < HOLDERS && wm_now_ms() - held_at < (LINE_TIMEOUT_S + 3) * 1000 &&
		 (wm_sleep_ms(50), 1));
	for (int i = 0; i < HOLDERS; i++)
		close(holders[i].fd);
	close(trickle.fd);
	ck_assert_msg(cut == HOLDERS, "%d of %d clients holding one byte of a line were cut off",
		      cut, HOLDERS);
	wm_t_pingprobe_check(probe, "201 slow lines");
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
	probe = wm_t_pingprobe_start(wd.sock);
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
	wm_t_pingprobe_check(probe, "1000 connections");
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
	probe = wm_t_pingprobe_start(wd.sock);
	for (int i = 0; i < LAZY_CHANGES; i++) {
		json_t *r = wm_t_request(writer, "set ch/2/gain -%d", 1 + i % 2);

		if (!json_is_true(json_object_get(r, "ok"))) {
			ck_assert_msg(strcmp(wm_t_error_code(r), "busy") == 0, "change %d: %s", i,
				      wm_t_json_str(r));
			busy++;
		}
		json_decref(r);
	}
	wm_t_pingprobe_check(probe, "15000 changes with 10 subscribers not reading");
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

	return s;
}

int main(void)
{
	return wm_t_run_suite(faults_suite());
}
