/* check_jack_faults.c - the JACK server stopped cleanly (SIGTERM) under a
 * running mix and started again 2 s later (issue 9, fault injection; the
 * SIGKILL case is check_live.c's restart test). The daemon must keep its
 * PID, say JACK is down meanwhile, reconnect within its backoff cap, re-create
 * its ports and re-connect them by its autoconnect patterns (to the dummy
 * backend's system ports, which exist as soon as jackd does), and play the
 * mix exactly as before. A ping probe (pingprobe.h) times the control socket
 * through the whole fault; its figures are printed, not asserted (see the
 * test). The test owns its jackd and daemon. */
#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/audiocheck.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/jackd_fixture.h"
#include "tests/support/jackprobe.h"
#include "tests/support/pingprobe.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

static struct wm_jackd jackd;
static struct wm_daemon wd;

#define JACK_GAP_MS 2000
#define RETRY_CAP_MS 1000       /* the daemon's reconnect backoff cap */
#define RECONNECT_LIMIT_MS 1500 /* the cap, connecting, health polled every 50 ms */

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

/* The longest wait between reconnect attempts the daemon logged
 * (event=jack.retry in_ms=N, at debug level, which the fixture sets). */
static int longest_retry_ms(void)
{
	char *log = wm_file_read(wd.log, NULL);
	int longest = 0;

	ck_assert_msg(log != NULL, "cannot read %s", wd.log);
	for (const char *at = log; (at = strstr(at, "event=jack.retry in_ms=")) != NULL; at++) {
		int ms = atoi(at + strlen("event=jack.retry in_ms="));

		longest = ms > longest ? ms : longest;
	}
	free(log);
	return longest;
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
	struct wm_ping_stats ping;
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

	probe = wm_t_pingprobe_start(wd.sock);
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
	/* Reported, not asserted: the reconnect (jack_client_open, activate,
	 * connect) runs on the control thread and under load once blocked it
	 * for over 1 s while jackd was coming up (docs/reliability.md). */
	wm_pingprobe_stop(probe, &ping);
	fprintf(stderr, "probe during a jackd stop and restart (not asserted): %s\n",
		wm_ping_stats_str(&ping));
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
	ck_assert_msg(longest_retry_ms() <= RETRY_CAP_MS, "the daemon waited %d ms between two "
		      "reconnect attempts; its backoff is capped at %d ms", longest_retry_ms(),
		      RETRY_CAP_MS);
	autoconnected("after jackd came back");
	mix_read_back("after jackd came back");
	audio_open();
	mix_heard("after jackd came back");
	audio_close();
	wm_t_daemon_stop(&wd);
	wm_t_jackd_stop(&jackd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jack_faults");
	TCase *tc = tcase_create("jack_sigterm");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_jackd_sigterm_and_restart_keep_the_mix);
	suite_add_tcase(s, tc);
	return wm_t_run_suite(s);
}
