/* check_scene_crash.c - washmixd killed with SIGKILL at random moments
 * while it saves scenes and persists its live state, over and over: after
 * every kill each scene file and live.json must be valid JSON and a complete
 * scene (the old version or the new one, never a torn file), the scene that
 * was being saved must be the last acknowledged version or a newer one, an
 * untouched scene must be byte for byte what it was, and after the restart
 * no temporary file may be left in scenes/.
 *
 * One state folder for every daemon of the loop (wm_t_daemon_start_in on
 * the same directory). Each iteration: start, name channel 1 "it-N" (the
 * marker of this iteration's save), change a gain, send `scene save s1`
 * (every third time also a save of t0..t4, a new file or a replaced one),
 * SIGKILL after a random 0..30 ms (every other time 0..6 ms), read whatever
 * reply made it out before the kill. Every tenth iteration lives 0.9..1.4 s
 * after its changes instead, so the kill lands around the debounced
 * live.json write (its second gain change comes 200 ms after the first, so
 * the debounce holds it back); when it lived longer than the daemon's
 * promise (live state at most 1 s behind, written by a 100 ms timer:
 * LIVE_BEHIND_MS), live.json must hold the last acknowledged change, and
 * the restarted daemon must have it live. WM_SCENE_CRASH_ITERATIONS (default 500) and
 * WM_SEED override; the seed is printed.
 *
 * The binary runs in a mount namespace of its own with a private /dev/shm
 * (we are root in the test environment; otherwise a note is printed):
 * libjack opens JACK's metadata database (/dev/shm/jack_db-UID, shared by
 * every JACK client of the user) at jack_client_open, and each client killed
 * with SIGKILL leaves a mutex behind in it. After about 190 kills the region
 * is full and every JACK client of the user, in any test running alongside,
 * gets "Cannot open DB environment" (and a libdb leak under ASan). jackd
 * removes the region when it stops, so the loop also starts a new jackd
 * every JACKD_EVERY iterations (the test, not a fixture, owns jackd). */
#define _GNU_SOURCE             /* unshare */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/scene_common.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/jackd_fixture.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

#define CHANNELS 8
#define ZONES 2
#define MAX_ALLOWED 4096
#define JACKD_EVERY 90                  /* kills per jackd (see the top) */
#define LIVE_BEHIND_MS 1150             /* 1 s debounce + 100 ms timer + slack */

static struct wm_jackd jackd;

/* The s1 versions a reader may find: the last acknowledged save and every
 * unacknowledged one sent after it (their markers, it-N). */
static int allowed[MAX_ALLOWED], nallowed;
static int temps_seen;                  /* temp files found after kills: mid-save */

static bool is_allowed(int marker)
{
	for (int i = 0; i < nallowed; i++)
		if (allowed[i] == marker)
			return true;
	return false;
}

static const char *allowed_str(void)
{
	static char buf[512];
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < nallowed && n < sizeof buf - 16; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%sit-%d", i ? ", " : "", allowed[i]);
	return buf;
}

/* channels[0].name of a scene file as a marker number, -1 if none. */
static int marker_of(const char *path)
{
	json_t *s = json_load_file(path, 0, NULL);
	const char *name;
	int m = -1;

	name = wm_t_strval(json_object_get(json_array_get(json_object_get(s, "channels"), 0),
					   "name"));
	if (strncmp(name, "it-", 3) == 0)
		m = atoi(name + 3);
	json_decref(s);
	return m;
}

/* Every scene file complete, s1 an allowed version, keep.json unchanged,
 * live.json (when there) complete. after_start: nothing else in scenes/. */
static void check_files(const struct wm_daemon *d, int iter, const char *keep,
			bool after_start)
{
	DIR *dir = opendir(sc_state(d, "scenes"));
	struct dirent *e;
	char path[PATH_MAX + 300], *bad, *text;
	int m;

	ck_assert_msg(dir != NULL, "iteration %d: no scenes folder", iter);
	while ((e = readdir(dir))) {
		size_t len = strlen(e->d_name);

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", sc_state(d, "scenes"), e->d_name);
		if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) {
			ck_assert_msg(!after_start, "iteration %d: %s is still in scenes/ after the "
				      "restart (leftover temporary files are removed at start)",
				      iter, e->d_name);
			temps_seen++;   /* a temporary file of the killed daemon */
			continue;
		}
		bad = sc_scene_problem(path, CHANNELS, ZONES, true);
		ck_assert_msg(!bad, "iteration %d, after SIGKILL: %s", iter, bad);
	}
	closedir(dir);
	m = marker_of(sc_state(d, "scenes/s1.json"));
	ck_assert_msg(is_allowed(m), "iteration %d: scenes/s1.json holds it-%d; the last "
		      "acknowledged save and the unacknowledged ones after it are: %s", iter, m,
		      allowed_str());
	text = wm_file_read(sc_state(d, "scenes/keep.json"), NULL);
	ck_assert_msg(text && strcmp(text, keep) == 0, "iteration %d: scenes/keep.json, never "
		      "saved again, changed:\n%s", iter, text ? text : "(missing)");
	free(text);
	if (access(sc_state(d, "live.json"), F_OK) == 0) {
		bad = sc_scene_problem(sc_state(d, "live.json"), CHANNELS, ZONES, false);
		ck_assert_msg(!bad, "iteration %d, after SIGKILL: %s", iter, bad);
	}
}

/* A reply to a request sent before the kill: 1 when an ok reply made it
 * out, 0 when none did (the kill came first). */
static int reply_after_kill(struct wm_client *c, const char *what, int iter)
{
	json_t *r = wm_client_read_reply(c, 300, NULL, NULL);
	int ok = r != NULL;

	if (r)
		ck_assert_msg(json_is_true(json_object_get(r, "ok")), "iteration %d: %s: %s", iter,
			      what, wm_t_json_str(r));
	json_decref(r);
	return ok;
}

static bool own_shm;                    /* /dev/shm is ours alone (see the top) */

/* A new jackd: the old one is stopped once it has had time to drop the
 * client killed last (it waits 5 s for a client that died mid-cycle). */
static void jackd_restart(void)
{
	wm_sleep_ms(500);
	if (wm_jackd_stop(&jackd, SIGTERM) != 0) {
		char path[400], db[64];
		struct dirent *e;
		DIR *dir;

		fprintf(stderr, "NOTE: jackd %s needed SIGKILL to stop\n", jackd.name);
		snprintf(db, sizeof db, "/dev/shm/jack_db-%d", (int)getuid());
		if (own_shm && (dir = opendir(db))) {   /* it did not remove its region */
			while ((e = readdir(dir)))
				if (e->d_name[0] != '.') {
					snprintf(path, sizeof path, "%s/%s", db, e->d_name);
					unlink(path);
				}
			closedir(dir);
			rmdir(db);
		}
	}
	wm_t_jackd_start(&jackd, wm_tmpdir());
}

/* ch/2/gain in live.json (channels[].id 2), NAN when it has none. */
static double live_ch2_gain(const struct wm_daemon *d)
{
	json_t *s = json_load_file(sc_state(d, "live.json"), 0, NULL);
	json_t *chans = json_object_get(s, "channels"), *ch;
	double g = NAN;
	size_t i;

	json_array_foreach(chans, i, ch)
		if (json_integer_value(json_object_get(ch, "id")) == 2 &&
		    json_is_number(json_object_get(ch, "gain")))
			g = json_number_value(json_object_get(ch, "gain"));
	json_decref(s);
	return g;
}

/* The restarted daemon runs with the gain its live.json was checked for. */
static void live_restored(const struct wm_daemon *d, double gain, int iter)
{
	json_t *r = wm_t_assert_ok(wm_t_request1(d->sock, "get ch/2/gain"), "get ch/2/gain");

	ck_assert_msg(wm_t_value_num(r) == gain, "iteration %d: after the restart ch/2/gain is "
		      "%s; live.json had %g", iter, wm_t_json_str(r), gain);
	json_decref(r);
}

static int rnd(int lo, int hi)
{
	return lo + rand() % (hi - lo + 1);
}

START_TEST(test_kill_9_at_random_moments_never_leaves_a_torn_file)
{
	const char *e = getenv("WM_SCENE_CRASH_ITERATIONS"), *s = getenv("WM_SEED");
	int iterations = e && atoi(e) > 0 ? atoi(e) : 500;
	int live_checked = 0;
	double live_want = NAN;             /* checked in live.json, live after the restart */
	unsigned seed = s ? (unsigned)strtoul(s, NULL, 0) : (unsigned)time(NULL) ^ (unsigned)getpid();
	int acked = 0, unacked = 0, t_acked = 0, live_kills = 0, last_acked = 0, jackd_starts = 1;
	long long t0 = wm_now_ms(), start_ms = 0;
	char dir[PATH_MAX], *keep;
	struct wm_daemon d;
	struct wm_client *c;
	json_t *r;

	fprintf(stderr, "scene crash loop: %d iterations, WM_SEED=%u\n", iterations, seed);
	srand(seed);
	wm_t_jackd_start(&jackd, wm_tmpdir());
	snprintf(dir, sizeof dir, "%s/crash", wm_tmpdir());
	wm_t_daemon_start_in(&d, dir, CHANNELS, ZONES, NULL, NULL);
	c = wm_client_connect(d.sock, 2000);
	ck_assert_ptr_nonnull(c);
	wm_t_ok(c, "set ch/1/name keeper");
	wm_t_ok(c, "scene save keep");
	wm_t_ok(c, "set ch/1/name it-0");
	wm_t_ok(c, "scene save s1");
	wm_client_close(c);
	keep = wm_file_read(sc_state(&d, "scenes/keep.json"), NULL);
	ck_assert_ptr_nonnull(keep);
	allowed[nallowed++] = 0;

	for (int i = 1; i <= iterations; i++) {
		bool long_life = i % 10 == 0, also_t = i % 3 == 0;
		long long began, acked_at, lived;
		double gain;

		if (i % JACKD_EVERY == 0) {
			jackd_restart();
			jackd_starts++;
		}
		if (!d.proc) {
			began = wm_now_ms();
			wm_t_daemon_start_in(&d, dir, CHANNELS, ZONES, NULL, NULL);
			start_ms += wm_now_ms() - began;
			check_files(&d, i, keep, true);
			if (!isnan(live_want))
				live_restored(&d, live_want, i);
			live_want = NAN;
		}
		c = wm_client_connect(d.sock, 2000);
		ck_assert_msg(c != NULL, "iteration %d: cannot connect", i);
		wm_t_ok(c, "set ch/1/name it-%d", i);
		gain = -rnd(0, 80) - 0.5;
		wm_t_ok(c, "set ch/2/gain %.1f 0", gain);
		acked_at = wm_now_ms();
		wm_sleep_ms(rnd(0, 5));
		ck_assert(wm_client_sendf(c, "scene save s1") == 0);
		if (also_t)
			ck_assert(wm_client_sendf(c, "scene save t%d", rnd(0, 4)) == 0);
		if (long_life) {
			/* a second change soon after the first was written: debounced */
			wm_sleep_ms(200);
			gain += 0.25;
			wm_t_ok(c, "set ch/2/gain %.2f 0", gain);
			acked_at = wm_now_ms();
			wm_sleep_ms(rnd(900, 1400));
			live_kills++;
		} else {
			/* half the kills within 0..6 ms, where the save is under way */
			struct timespec ts = { 0, rnd(0, i % 2 ? 6000 : 30000) * 1000L };

			nanosleep(&ts, NULL);
		}
		lived = wm_now_ms() - acked_at;
		wm_t_daemon_kill(&d);
		if (lived > LIVE_BEHIND_MS) {
			double got = live_ch2_gain(&d);

			ck_assert_msg(got == gain, "iteration %d: killed %lld ms after ch/2/gain %.2f "
				      "was acknowledged, live.json has %g; the live state may be at "
				      "most 1 s behind", i, lived, gain, got);
			live_checked++;
			live_want = gain;
		}
		if (reply_after_kill(c, "scene save s1", i)) {
			acked++;
			last_acked = i;
			nallowed = 0;
		} else {
			unacked++;
		}
		ck_assert(nallowed < MAX_ALLOWED);
		allowed[nallowed++] = i;
		if (also_t)
			t_acked += reply_after_kill(c, "scene save t", i);
		wm_client_close(c);
		check_files(&d, i, keep, false);
	}

	wm_t_daemon_start_in(&d, dir, CHANNELS, ZONES, NULL, NULL);
	check_files(&d, iterations + 1, keep, true);
	if (!isnan(live_want))
		live_restored(&d, live_want, iterations + 1);
	ck_assert_msg(iterations < 40 || live_checked > 0, "no kill came late enough to check "
		      "live.json against the last change");
	c = wm_client_connect(d.sock, 2000);
	ck_assert_ptr_nonnull(c);
	r = wm_t_assert_ok(wm_t_request(c, "scene show s1"), "scene show s1 at the end");
	{
		const char *name = wm_t_strval(json_object_get(json_array_get(
			json_object_get(json_object_get(r, "scene"), "channels"), 0), "name"));

		ck_assert_msg(strncmp(name, "it-", 3) == 0 && is_allowed(atoi(name + 3)) &&
			      atoi(name + 3) >= last_acked, "at the end s1 holds %s; the last "
			      "acknowledged save was it-%d (allowed: %s)", name, last_acked,
			      allowed_str());
	}
	json_decref(r);
	wm_client_close(c);
	wm_t_daemon_stop(&d);
	wm_t_jackd_stop(&jackd);
	free(keep);
	fprintf(stderr, "scene crash loop: %d iterations in %.1f s, %d jackd (daemon starts "
		"%.0f ms on average): "
		"s1 saves acknowledged before the kill %d, not %d; t saves acknowledged %d; "
		"%d kills around the live.json write (%d late enough to check its content); "
		"%d temporary files found after kills; last acknowledged it-%d\n", iterations,
		(wm_now_ms() - t0) / 1000.0, jackd_starts, (double)start_ms / iterations, acked,
		unacked, t_acked, live_kills, live_checked, temps_seen, last_acked);
}
END_TEST

/* A private /dev/shm for this process and its children (see the top). */
static void private_dev_shm(void)
{
	const char *step = "unshare(CLONE_NEWNS)";

	if (unshare(CLONE_NEWNS) == 0) {
		step = "making / a private mount";
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0) {
			step = "mounting a tmpfs on /dev/shm";
			if (mount("wmtest-shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
				  "mode=1777") == 0) {
				own_shm = true;
				return;
			}
		}
	}
	fprintf(stderr, "NOTE: scene crash loop runs with the shared /dev/shm (%s: %s); its "
		"SIGKILLed JACK clients fill JACK's metadata lock region for every JACK client "
		"of this user until the servers stop\n", step, strerror(errno));
}

int main(void)
{
	Suite *s = suite_create("scene_crash");
	TCase *tc = tcase_create("crash");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_kill_9_at_random_moments_never_leaves_a_torn_file);
	suite_add_tcase(s, tc);
	private_dev_shm();
	return wm_t_run_suite(s);
}
