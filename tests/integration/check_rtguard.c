/* check_rtguard.c - the realtime-safety interposer (tests/rtguard) against
 * the real daemon: the negative controls that prove it is live, and a
 * clean busy daemon that must pass it.
 *   - `debug rt-violate malloc|lock` (a test hook) makes the next process
 *     cycle allocate or lock a mutex: in the default mode the daemon aborts
 *     and its log names the call and has a backtrace frame in the process
 *     callback (resolved with addr2line);
 *   - in count mode the same daemon survives and its exit line counts 1;
 *   - a daemon playing files, ducking, recalling scenes with fades and
 *     taking OSC bundles for a few seconds reports 0 in > 0 cycles.
 * The library is the one built beside this test (WM_RTGUARD_PATH), whatever
 * the environment says. One jackd for the binary; a daemon per test. */
#include <check.h>
#include <math.h>
#include <signal.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/daemon_fixture.h"
#include "tests/support/jackd_fixture.h"
#include "tests/support/oscclient.h"
#include "tests/support/rtguard_run.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

#define RATE 48000

static struct wm_jackd jackd;

static void up(void)
{
	wm_t_jackd_start(&jackd, wm_tmpdir());
}

static void down(void)
{
	wm_t_jackd_stop(&jackd);
}

/* Daemons started from here on run under rtguard in mode (the empty string
 * leaves RTGUARD_MODE empty: the library's default), with the test hooks
 * on. An abort must not leave a core file in the build tree. */
static void use_rtguard(const char *mode)
{
	struct rlimit no_core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no_core);
	setenv("WASHMIX_TEST_RTGUARD", WM_RTGUARD_PATH, 1);
	setenv("WASHMIX_TEST_RTGUARD_MODE", mode, 1);
	setenv("WASHMIX_TEST_HOOKS", "1", 1);
}

/* Wait for a daemon that must die by itself; returns its wait status. */
static int wait_dead(struct wm_daemon *d, const char *after)
{
	int status = 0;

	if (wm_proc_wait(d->proc, 5000, &status) < 0) {
		char *tail = wm_daemon_log_tail(d);
		wm_proc_stop(d->proc, SIGKILL, 2000, NULL);
		ck_abort_msg("washmixd still runs 5 s after %s; log tail:\n%s", after, tail);
	}
	wm_proc_release(d->proc);
	d->proc = NULL;
	return status;
}

/* "washmixd(+0x1a2b3)[0x...]" lines of the backtrace that follows the
 * violation line, as addr2line arguments (return address - 1). */
static void callback_offsets(const char *report, char *out, size_t len)
{
	out[0] = '\0';
	for (const char *p = report; (p = strstr(p, "/washmixd(+0x")) != NULL; p++) {
		unsigned long off = strtoul(p + strlen("/washmixd(+0x"), NULL, 16);
		size_t used = strlen(out);
		snprintf(out + used, len - used, " 0x%lx", off - 1);
	}
}

/* The function names (inlined ones too) addr2line gives for the daemon's
 * frames of the report (malloc'd). */
static char *callback_frames(const char *report)
{
	char offsets[2048], cmd[PATH_MAX + 2200];

	callback_offsets(report, offsets, sizeof offsets);
	ck_assert_msg(offsets[0], "no washmixd frame in the backtrace:\n%s", report);
	snprintf(cmd, sizeof cmd, "addr2line -f -i -e '%s'%s", wm_daemon_binary(), offsets);
	FILE *f = popen(cmd, "r");
	ck_assert_msg(f != NULL, "cannot run %s", cmd);
	char *text = calloc(1, 16384);
	size_t n = fread(text, 1, 16383, f);
	text[n] = '\0';
	ck_assert_msg(pclose(f) == 0, "%s failed:\n%s", cmd, text);
	return text;
}

/* Under the default mode the violation kills the daemon with SIGABRT and
 * its log says what and where. */
static void check_abort(const char *hook, const char *call)
{
	struct wm_daemon d;
	char want[128], *log, *report, *frames;

	use_rtguard("");
	wm_t_daemon_start(&d, wm_tmpdir(), 2, 1, NULL, NULL);
	long from = d.log_from;
	json_decref(wm_t_assert_ok(wm_t_request1(d.sock, "debug rt-violate %s", hook),
				   "debug rt-violate"));
	int status = wait_dead(&d, "debug rt-violate");
	log = wm_file_read(d.log, NULL);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
		      "want death by SIGABRT, got wait status 0x%x; log:\n%s", (unsigned)status,
		      log + from);
	snprintf(want, sizeof want, "rtguard: realtime violation: %s(", call);
	report = strstr(log + from, want);
	ck_assert_msg(report && strstr(report, "inside the JACK process callback (thread "),
		      "no \"%s...inside the JACK process callback\" line; log:\n%s", want,
		      log + from);
	frames = callback_frames(report);
	ck_assert_msg(strstr(frames, "process_rt"), "no backtrace frame in the process "
		      "callback (process_rt); addr2line says:\n%s\nreport:\n%s", frames, report);
	free(frames);
	free(log);
}

START_TEST(malloc_in_the_callback_aborts)
{
	check_abort("malloc", "malloc");
}
END_TEST

START_TEST(mutex_in_the_callback_aborts)
{
	check_abort("lock", "pthread_mutex_lock");
}
END_TEST

/* The per-function count line of an exit report ("rtguard:   malloc: 1"). */
static unsigned long fn_count(const char *run, const char *fn)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof key, "rtguard:   %s: ", fn);
	p = strstr(run, key);
	return p ? strtoul(p + strlen(key), NULL, 10) : 0;
}

START_TEST(count_mode_survives_and_counts)
{
	struct wm_daemon d;
	unsigned long violations = 0, cycles = 0;

	use_rtguard("count");
	wm_t_daemon_start(&d, wm_tmpdir(), 2, 1, NULL, NULL);
	/* A violation it does not know: a clear error, and nothing armed (the
	 * count below stays 1). */
	json_t *bad = wm_t_request1(d.sock, "debug rt-violate free");
	const char *msg = json_string_value(json_object_get(json_object_get(bad, "error"),
							     "message"));
	ck_assert_msg(!strcmp(wm_t_error_code(bad), "wrong_args") && msg &&
		      strstr(msg, "malloc or lock") && strstr(msg, "\"free\""),
		      "debug rt-violate free: %s", wm_t_json_str(bad));
	json_decref(bad);
	json_decref(wm_t_assert_ok(wm_t_request1(d.sock, "debug rt-violate malloc"),
				   "debug rt-violate malloc"));
	wm_sleep_ms(300);
	wm_t_daemon_alive(&d, "a malloc in the process callback, in count mode");
	json_decref(wm_t_assert_ok(wm_t_request1(d.sock, "health"), "health after it"));
	/* The fixture would fail the stop on the report: judge it here. */
	unsetenv("WASHMIX_TEST_RTGUARD");
	long from = d.log_from;
	wm_t_daemon_stop(&d);
	char *log = wm_file_read(d.log, NULL);
	ck_assert_msg(wm_t_rtguard_exit_line(d.log, from, &violations, &cycles),
		      "no exit line; log:\n%s", log + from);
	ck_assert_msg(violations == 1 && fn_count(log + from, "malloc") == 1 && cycles > 0,
		      "want 1 violation (malloc: 1) in > 0 cycles; log:\n%s", log + from);
	ck_assert_msg(strstr(log + from, "rtguard: realtime violation: malloc(64)"),
		      "no report line; log:\n%s", log + from);
	free(log);
}
END_TEST

/* A 2 s stereo file: a sine at f Hz, -12 dBFS. */
static void write_sine(const char *path, double f)
{
	SF_INFO info = { .samplerate = RATE, .channels = 2,
			 .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	float frame[2];

	ck_assert_msg(sf != NULL, "sf_open %s: %s", path, sf_strerror(NULL));
	for (long i = 0; i < 2L * RATE; i++) {
		frame[0] = frame[1] = 0.25f * (float)sin(2 * M_PI * f * (double)i / RATE);
		sf_writef_float(sf, frame, 1);
	}
	sf_close(sf);
}

/* One OSC bundle of three parameter changes. */
static void send_bundle(struct wm_osc_peer *p, int i)
{
	lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
	lo_message gain = lo_message_new(), pan = lo_message_new(), zone = lo_message_new();

	lo_message_add_float(gain, -(float)(i % 20));
	lo_message_add_float(pan, (float)((i % 11) - 5) / 5.0f);
	lo_message_add_float(zone, -(float)(i % 6));
	lo_bundle_add_message(b, "/ch/3/gain", gain);
	lo_bundle_add_message(b, "/ch/3/pan", pan);
	lo_bundle_add_message(b, "/zone/1/gain", zone);
	ck_assert_int_eq(wm_osc_send_bundle(p, b), 0);
}

START_TEST(busy_clean_daemon_has_no_violation)
{
	struct wm_daemon d;
	char media[PATH_MAX], path[PATH_MAX + 32], media_flag[PATH_MAX + 16], port_s[16];
	unsigned long violations = 1, cycles = 0;
	int port = wm_osc_free_port();

	use_rtguard("");
	snprintf(media, sizeof media, "%s/media-%d", wm_tmpdir(), (int)getpid());
	ck_assert_int_eq(mkdir(media, 0755), 0);
	snprintf(path, sizeof path, "%s/bed.wav", media);
	write_sine(path, 220);
	snprintf(path, sizeof path, "%s/voice.wav", media);
	write_sine(path, 1000);
	snprintf(media_flag, sizeof media_flag, "--media-dir=%s", media);
	snprintf(port_s, sizeof port_s, "%d", port);
	const char *const extra[] = { media_flag, "--osc-port", port_s, NULL };
	wm_t_daemon_start(&d, wm_tmpdir(), 4, 2, NULL, extra);
	struct wm_client *c = wm_client_connect(d.sock, 2000);
	struct wm_osc_peer *osc = wm_t_osc_peer(port);
	ck_assert_ptr_nonnull(c);
	wm_t_ok(c, "set ch/1/duck key");
	wm_t_ok(c, "set ch/2/duck duck");
	wm_t_ok(c, "scene save loud");
	wm_t_ok(c, "set ch/2/gain -12");
	wm_t_ok(c, "scene save quiet");
	wm_t_ok(c, "play 2 bed.wav loop");
	wm_t_ok(c, "play 3 bed.wav loop");
	for (int i = 0; i < 30; i++) {    /* 3 s */
		if (i % 8 == 0)
			wm_t_ok(c, "play 1 voice.wav");
		if (i % 5 == 0)
			wm_t_ok(c, "scene recall %s 200", i % 10 ? "quiet" : "loud");
		if (i % 10 == 7)
			wm_t_ok(c, "stop 3 50");
		if (i % 10 == 9)
			wm_t_ok(c, "play 3 bed.wav loop");
		send_bundle(osc, i);
		wm_sleep_ms(100);
	}
	/* The bundles went through: the last one's gain is in the tree. */
	json_t *r = wm_t_assert_ok(wm_t_request(c, "get ch/3/gain"), "get ch/3/gain");
	ck_assert_double_eq_tol(wm_t_value_num(r), -9.0, 1e-3);  /* i = 29 */
	json_decref(r);
	wm_osc_peer_free(osc);
	wm_client_close(c);
	long from = d.log_from;
	wm_t_daemon_stop(&d);     /* fails on any report */
	ck_assert_msg(wm_t_rtguard_exit_line(d.log, from, &violations, &cycles),
		      "no rtguard exit line in %s", d.log);
	/* The 3 s loop is about 560 cycles at 256 frames; ask for a quarter,
	 * so xruns under load cannot fail it, but a dead hook (0) does. */
	ck_assert_msg(violations == 0 && cycles >= 3 * RATE / 1024,
		      "want 0 violations in >= %d cycles, got %lu in %lu", 3 * RATE / 1024,
		      violations, cycles);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rtguard");
	TCase *tc = tcase_create("daemon");
	tcase_add_unchecked_fixture(tc, up, down);
	tcase_set_timeout(tc, 60);
#ifdef WASHMIX_TEST_HOOKS
	tcase_add_test(tc, malloc_in_the_callback_aborts);
	tcase_add_test(tc, mutex_in_the_callback_aborts);
	tcase_add_test(tc, count_mode_survives_and_counts);
#else
	printf("SKIP: built without WASHMIX_TEST_HOOKS: the negative controls need them\n");
#endif
	tcase_add_test(tc, busy_clean_daemon_has_no_violation);
	suite_add_tcase(s, tc);
	return wm_t_run_suite(s);
}
