/* check_harness.c - self-test of the integration test harness, no daemon:
 * the source and sink JACK clients wired directly (wmsrc -> wmsink) must be
 * sample-exact at the same frame time, JACK's own summing of two
 * connections must be a plain float sum, the audio checks must catch a
 * wrong or delayed signal, a killed jackd must come back under its name,
 * and the process and socket helpers must report what really happened.
 *
 * If this binary fails, the other integration tests prove nothing. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/audiocheck.h"
#include "tests/support/jackd_fixture.h"
#include "tests/support/jackprobe.h"
#include "tests/support/proc.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

static struct wm_jackd jackd;
static struct wm_src *src;
static struct wm_sink *sink;

static void jack_up(void)
{
	wm_t_jackd_start(&jackd, wm_tmpdir());
}

static void jack_down(void)
{
	wm_t_jackd_stop(&jackd);
}

static void probes_open(void)
{
	src = wm_t_src_open(NULL, 4);
	sink = wm_t_sink_open(NULL, 4, 4.0);
}

static void probes_close(void)
{
	wm_sink_close(sink);
	wm_src_close(src);
	sink = NULL;
	src = NULL;
}

/* Capture ms of audio and check sink port `in` against source port `out`
 * exactly, from the later of the capture start and `from`. */
static void expect_same(int in, int out, int64_t from, int ms, const char *what)
{
	struct wm_mix_expect m;
	uint32_t first = (uint32_t)wm_t_capture(sink, ms);

	if (from >= 0 && wm_frame_diff((uint32_t)from, first) > 0)
		first = (uint32_t)from;
	wm_expect_init(&m, WM_T_RATE);
	wm_expect_add(&m, wm_src_sig(src, out), 1.0);
	wm_t_expect(sink, in, first, wm_sink_end(sink), wm_expect_value, &m, 0.0, 0.0,
		    (long)ms * 48 * 9 / 10, what);
}

START_TEST(test_direct_counter_is_sample_exact)
{
	int64_t applied;

	wm_t_connect(src, wm_src_port(src, 1), wm_sink_port(sink, 1));
	applied = wm_t_set(src, 1, wm_sig_counter(0.5f));
	expect_same(1, 1, applied, 1000, "counter out1 -> in1");
	/* an xrun (two test binaries on two cores) may drop a period; nothing
	 * else may */
	ck_assert_msg(wm_sink_gaps(sink) == 0 || wm_sink_xruns(sink) > 0,
		      "capture has %u missing frames without an xrun", wm_sink_gaps(sink));
}
END_TEST

START_TEST(test_direct_dc_and_sines)
{
	int64_t applied;

	for (int p = 1; p <= 3; p++)
		wm_t_connect(src, wm_src_port(src, p), wm_sink_port(sink, p));
	wm_src_stage(src, 1, wm_sig_dc(0.25f));
	wm_src_stage(src, 2, wm_sig_sine(1000, 0.5f));
	wm_src_stage(src, 3, wm_sig_sine(441, 0.3f));
	applied = wm_t_commit(src);
	expect_same(1, 1, applied, 500, "DC out1 -> in1");
	expect_same(2, 2, applied, 500, "sine 1000 Hz out2 -> in2");
	expect_same(3, 3, applied, 500, "sine 441 Hz out3 -> in3");
	/* in4 is not connected: JACK hands the sink silence */
	wm_t_expect_const(sink, 4, wm_sink_first(sink), wm_sink_end(sink), 0.0, 0.0, 0.0,
			  "unconnected in4");
}
END_TEST

START_TEST(test_signal_change_lands_on_reported_frame)
{
	uint32_t first, at;
	int64_t applied;
	double v1 = 0.125, v2 = 0.375;

	wm_t_connect(src, wm_src_port(src, 1), wm_sink_port(sink, 1));
	wm_t_set(src, 1, wm_sig_dc((float)v1));
	first = (uint32_t)wm_t_capture(sink, 100);
	applied = wm_t_set(src, 1, wm_sig_dc((float)v2));
	wm_t_wait_until(sink, (uint32_t)applied + 4800);
	wm_t_expect_const(sink, 1, first, (uint32_t)applied, v1, 0, 0, "before the change");
	wm_t_expect_const(sink, 1, (uint32_t)applied, wm_sink_end(sink), v2, 0, 0,
			  "from the change on");
	/* and the analysis helpers see it where it is */
	ck_assert_msg(wm_departs_at(sink, 1, first, wm_sink_end(sink), v1, 1e-7, &at),
		      "departure not found");
	ck_assert_msg(at == (uint32_t)applied, "departure at %u, change at %u", at,
		      (uint32_t)applied);
	ck_assert_msg(wm_settled_at(sink, 1, first, wm_sink_end(sink), wm_const_value, &v2,
				    1e-7, 0, &at) && at == (uint32_t)applied,
		      "settled at %u, change at %u", at, (uint32_t)applied);
	ck_assert_msg(fabs(wm_max_step(sink, 1, first, wm_sink_end(sink), &at) - (v2 - v1))
		      < 1e-9 && at == (uint32_t)applied, "max step at %u", at);
}
END_TEST

START_TEST(test_jack_sums_two_connections)
{
	struct wm_mix_expect m;
	uint32_t first;
	int64_t applied;

	wm_t_connect(src, wm_src_port(src, 1), wm_sink_port(sink, 4));
	wm_t_connect(src, wm_src_port(src, 2), wm_sink_port(sink, 4));
	wm_src_stage(src, 1, wm_sig_sine(700, 0.25f));
	wm_src_stage(src, 2, wm_sig_counter(0.5f));
	applied = wm_t_commit(src);
	first = (uint32_t)wm_t_capture(sink, 500);
	if (wm_frame_diff((uint32_t)applied, first) > 0)
		first = (uint32_t)applied;
	wm_expect_init(&m, WM_T_RATE);
	wm_expect_add(&m, wm_sig_sine(700, 0.25f), 1.0);
	wm_expect_add(&m, wm_sig_counter(0.5f), 1.0);
	wm_t_expect(sink, 4, first, wm_sink_end(sink), wm_expect_value, &m, 1e-7, 1e-6,
		    20000, "out1 + out2 -> in4");
}
END_TEST

/* The comparison must fail on a wrong signal and name a delay when that is
 * what it sees; otherwise every audio check in the suite is toothless. */
static double counter_late(uint32_t frame, void *arg)
{
	struct wm_sig s = wm_sig_counter(0.5f);

	(void)arg;
	return wm_sig_value(&s, frame - 256, WM_T_RATE);
}

START_TEST(test_checks_catch_wrong_and_delayed_audio)
{
	struct wm_mix_expect m;
	struct wm_cmp r;
	uint32_t first;
	int64_t applied;

	wm_t_connect(src, wm_src_port(src, 1), wm_sink_port(sink, 1));
	applied = wm_t_set(src, 1, wm_sig_counter(0.5f));
	first = (uint32_t)wm_t_capture(sink, 300);
	if (wm_frame_diff((uint32_t)applied, first) > 0)
		first = (uint32_t)applied;
	ck_assert(!wm_compare(sink, 1, first, wm_sink_end(sink), counter_late, NULL, 0, 0, &r));
	/* After an xrun a period one cycle off is taken for a stale one, so
	 * audio a period late may be refused as "too few to judge" rather
	 * than named: refused either way, which is what matters here. */
	ck_assert_msg(strstr(r.why, "advanced by 256 frames") != NULL ||
		      (wm_sink_capture_xruns(sink) > 0 && strstr(r.why, "too few to judge")),
		      "why: %s", r.why);
	wm_expect_init(&m, WM_T_RATE);
	wm_expect_add(&m, wm_sig_counter(0.5f), 1.0 + 1e-5);
	ck_assert_msg(!wm_compare(sink, 1, first, wm_sink_end(sink), wm_expect_value, &m, 0,
				  1e-6, &r), "a 1e-5 gain error passed a 1e-6 check");
	ck_assert(wm_compare(sink, 1, first, wm_sink_end(sink), wm_expect_value, &m, 0, 2e-5, &r));
}
END_TEST

/* A jackd killed with SIGKILL comes back under the same name, and this
 * process can open clients on it again (the reconnect test relies on it). */
START_TEST(test_jackd_killed_and_restarted)
{
	struct wm_jackd own;
	int64_t applied;

	wm_t_jackd_start(&own, wm_tmpdir());
	src = wm_t_src_open(own.name, 1);
	sink = wm_t_sink_open(own.name, 1, 2.0);
	wm_t_connect(src, wm_src_port(src, 1), wm_sink_port(sink, 1));
	applied = wm_t_set(src, 1, wm_sig_counter(0.5f));
	expect_same(1, 1, applied, 200, "before the restart");
	wm_t_jackd_kill(&own, SIGKILL);
	for (int i = 0; i < 300 && !(wm_src_shut_down(src) && wm_sink_shut_down(sink)); i++)
		wm_sleep_ms(10);
	ck_assert_msg(wm_src_shut_down(src) && wm_sink_shut_down(sink),
		      "the probes were not told that jackd died");
	probes_close();
	wm_t_jackd_start_again(&own);
	src = wm_t_src_open(own.name, 1);
	sink = wm_t_sink_open(own.name, 1, 2.0);
	wm_t_connect(src, wm_src_port(src, 1), wm_sink_port(sink, 1));
	applied = wm_t_set(src, 1, wm_sig_counter(0.5f));
	expect_same(1, 1, applied, 200, "after the restart");
	probes_close();
	ck_assert_int_eq(own.starts, 2);
	wm_t_jackd_stop(&own);
}
END_TEST

START_TEST(test_proc_reports_exit_output_and_signals)
{
	char dir[4096], out[4200], err[256], st[96];
	const char *sh[] = { "/bin/sh", "-c", "echo out-$WMT_X; echo err >&2; exit 3", NULL };
	const char *env[] = { "WMT_X=42", NULL };
	const char *sleeper[] = { "/bin/sleep", "30", NULL };
	const char *missing[] = { "/nonexistent/washmixd", NULL };
	struct wm_proc *p;
	int status;
	char *text;

	snprintf(dir, sizeof dir, "%s", wm_tmpdir());
	snprintf(out, sizeof out, "%s/proc-selftest.log", dir);
	p = wm_proc_spawn(sh, env, out, out, err, sizeof err);
	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_int_eq(wm_proc_wait(p, 5000, &status), 0);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 3, "%s",
		      wm_proc_status_str(status, st, sizeof st));
	wm_proc_release(p);
	text = wm_file_read(out, NULL);
	ck_assert_msg(text && strstr(text, "out-42\n") && strstr(text, "err\n"), "log: %s", text);
	free(text);

	ck_assert(wm_proc_spawn(missing, NULL, NULL, NULL, err, sizeof err) == NULL);
	ck_assert_msg(strstr(err, "No such file") != NULL, "%s", err);

	p = wm_proc_spawn(sleeper, NULL, NULL, NULL, err, sizeof err);
	ck_assert_msg(p != NULL, "%s", err);
	ck_assert(wm_proc_alive(p));
	ck_assert_int_eq(wm_proc_wait(p, 100, NULL), -1);
	ck_assert_int_eq(wm_proc_stop(p, SIGTERM, 2000, &status), 0);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "%s",
		      wm_proc_status_str(status, st, sizeof st));
	ck_assert(!wm_proc_alive(p));
	wm_proc_release(p);
}
END_TEST

/* A scripted line server for the client self-test. */
static void *line_server(void *arg)
{
	int lfd = *(int *)arg, fd = accept(lfd, NULL, NULL);
	char buf[256];
	size_t len = 0;
	ssize_t n;

	while (fd >= 0 && (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0) {
		char *nl;

		len += (size_t)n;
		while ((nl = memchr(buf, '\n', len))) {
			const char *reply = "";

			*nl = 0;
			if (strcmp(buf, "ping") == 0)
				reply = "{\"ok\":true,\"value\":\"-inf\"}\n";
			else if (strcmp(buf, "ev") == 0)
				reply = "{\"event\":\"change\",\"path\":\"ch/1/gain\",\"value\":-6.0}\n"
					"{\"ok\":false,\"error\":{\"code\":\"busy\",\"message\":\"m\"}}\n";
			else if (strcmp(buf, "bad") == 0)
				reply = "{\"ok\":tru\n";
			else if (strcmp(buf, "bye") == 0) {
				close(fd);
				return NULL;
			}
			if (write(fd, reply, strlen(reply)) < 0)
				break;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

START_TEST(test_sockclient_replies_events_timeouts)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct wm_client *c;
	pthread_t th;
	json_t *r;
	char *raw;
	const char *why;
	long long t0;
	int lfd;

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/selftest.sock", wm_tmpdir());
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(lfd, 4) == 0);
	pthread_create(&th, NULL, line_server, &lfd);
	c = wm_client_connect(sa.sun_path, 1000);
	ck_assert_msg(c != NULL, "connect: %s", strerror(errno));

	r = wm_t_assert_ok(wm_t_request(c, "ping"), "ping");
	ck_assert(isinf(wm_t_value_num(r)) && wm_t_value_num(r) < 0);
	json_decref(r);
	json_decref(wm_t_err(c, "busy", "ev"));
	ck_assert_uint_eq(wm_client_pending_events(c), 1);
	r = wm_client_read_event(c, 100);
	ck_assert_str_eq(json_string_value(json_object_get(r, "path")), "ch/1/gain");
	json_decref(r);

	wm_client_sendf(c, "bad");
	r = wm_client_read_reply(c, 1000, &raw, &why);
	ck_assert_msg(r == NULL && strcmp(raw, "{\"ok\":tru") == 0, "raw %s", raw);
	free(raw);

	wm_client_sendf(c, "silence");
	t0 = wm_now_ms();
	r = wm_client_read_reply(c, 300, NULL, &why);
	ck_assert_msg(r == NULL && wm_now_ms() - t0 >= 290 && strstr(why, "timeout"), "%s", why);

	wm_client_sendf(c, "bye");
	r = wm_client_read_reply(c, 1000, NULL, &why);
	ck_assert_msg(r == NULL && strstr(why, "closed"), "%s", why);
	wm_client_close(c);
	pthread_join(th, NULL);
	close(lfd);
}
END_TEST

static Suite *harness_suite(void)
{
	Suite *s = suite_create("harness");
	TCase *tc = tcase_create("direct");
	TCase *own = tcase_create("restart");
	TCase *tools = tcase_create("tools");

	tcase_add_unchecked_fixture(tc, jack_up, jack_down);
	tcase_add_checked_fixture(tc, probes_open, probes_close);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_direct_counter_is_sample_exact);
	tcase_add_test(tc, test_direct_dc_and_sines);
	tcase_add_test(tc, test_signal_change_lands_on_reported_frame);
	tcase_add_test(tc, test_jack_sums_two_connections);
	tcase_add_test(tc, test_checks_catch_wrong_and_delayed_audio);
	suite_add_tcase(s, tc);

	tcase_set_timeout(own, 60);
	tcase_add_test(own, test_jackd_killed_and_restarted);
	suite_add_tcase(s, own);

	tcase_set_timeout(tools, 30);
	tcase_add_test(tools, test_proc_reports_exit_output_and_signals);
	tcase_add_test(tools, test_sockclient_replies_events_timeouts);
	suite_add_tcase(s, tools);
	return s;
}

int main(void)
{
	return wm_t_run_suite(harness_suite());
}
