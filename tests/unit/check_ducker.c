/* check_ducker.c - engine/ducker on its own: the gain reaches -depth in
 * the attack time, stays for the hold, is back at exactly 1 within the
 * release time, never steps faster than its slope allows, and follows
 * settings changed mid-duck without a jump. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ducker.h"

#include "tests/support/suite.h"

/* ck_assert records a checkpoint on every call (a write); the loops here
 * check millions of samples, so they only call into Check on a failure. */
#define EXPECT(cond, ...)                                                     \
	do {                                                                  \
		if (!(cond))                                                  \
			ck_abort_msg(__VA_ARGS__);                            \
	} while (0)

#define RATE 48000u
#define SEG 32u                      /* the ducker's segment, frames */
#define MAX_FRAMES 200000u
#define LN10_20 0.11512925464970228

static float gains[MAX_FRAMES];

static double db_lin(double db)
{
	return pow(10.0, db / 20.0);
}

static uint32_t ms_frames(double ms)
{
	return (uint32_t)lround(ms * RATE / 1000.0);
}

static struct wm_ducker *ducker(double depth, double attack, double hold, double release)
{
	struct wm_duck_state st = { -40.0, depth, attack, hold, release };
	struct wm_err err;
	struct wm_ducker *d = wm_ducker_create(RATE, &st, &err);

	ck_assert_msg(d != NULL, "create: %s", err.msg);
	return d;
}

static void configure(struct wm_ducker *d, double depth, double attack, double hold,
		      double release)
{
	struct wm_duck_state st = { -40.0, depth, attack, hold, release };

	wm_ducker_configure_rt(d, &st);
}

/* Run frames [from, to) of gains[] in blocks, the key active in a block
 * when it starts before key_end. Returns the first block start at or
 * after key_end: where the key was last seen active, plus one block. */
static uint32_t run(struct wm_ducker *d, uint32_t from, uint32_t to, uint32_t block,
		    uint32_t key_end)
{
	uint32_t end = to;

	for (uint32_t t = from; t < to; t += block) {
		uint32_t n = to - t < block ? to - t : block;
		bool key = t < key_end;

		wm_ducker_process_rt(d, key, gains + t, n);
		if (key)
			end = t + n;
	}
	return end;
}

/* No two consecutive frames differ by more than the fastest slope of a
 * move linear in dB at span dB per `frames`, in amplitude (steepest at
 * gain 1). */
static void assert_continuous(uint32_t from, uint32_t to, double span_db, uint32_t frames)
{
	double max_step = LN10_20 * span_db / frames * 1.001 + 1e-7;

	for (uint32_t t = from + 1; t < to; t++)
		EXPECT(fabs((double)gains[t] - gains[t - 1]) <= max_step,
		       "step of %g at frame %u (max %g)",
		       (double)gains[t] - gains[t - 1], t, max_step);
}

static const uint32_t blocks[] = { 64, 1, 7, 1000, 256 };

START_TEST(attack_hold_release)
{
	const double depth = 12.0;
	const uint32_t a = ms_frames(10.0), h = ms_frames(200.0), r = ms_frames(300.0);
	uint32_t block = blocks[_i];
	struct wm_ducker *d = ducker(depth, 10.0, 200.0, 300.0);
	float low = (float)db_lin(-depth);

	ck_assert(wm_ducker_idle_rt(d));
	uint32_t key_end = run(d, 0, 4800, block, 4800);
	ck_assert(!wm_ducker_idle_rt(d));
	uint32_t total = key_end + h + r + 4000;
	run(d, key_end, total, block, 0);

	/* Attack: down, not too early, there within the attack (+1 segment). */
	for (uint32_t t = 1; t < a; t++)
		EXPECT(gains[t] <= gains[t - 1], "frame %u: %.9g", t, (double)gains[t]);
	for (uint32_t t = 0; t + SEG < a; t++)
		EXPECT(gains[t] > low * 1.000001f, "frame %u already down", t);
	/* Held down while the key is active and for the hold after it. */
	for (uint32_t t = a + SEG; t < key_end + h; t++)
		EXPECT(fabsf(gains[t] - low) <= 1e-6f * low, "frame %u: %.9g, want %.9g",
		       t, (double)gains[t], (double)low);
	/* Release: up from the end of the hold, back to exactly 1 within it. */
	ck_assert(gains[key_end + h + SEG] > low * 1.001f);
	for (uint32_t t = key_end + h + 1; t < total; t++)
		EXPECT(gains[t] >= gains[t - 1], "frame %u: %.9g", t, (double)gains[t]);
	for (uint32_t t = key_end + h; t + SEG < key_end + h + r; t++)
		EXPECT(gains[t] < 1.0f, "frame %u back at 1 too early", t);
	for (uint32_t t = key_end + h + r + SEG; t < total; t++)
		EXPECT(gains[t] == 1.0f, "frame %u: %.9g, not exactly 1", t,
		       (double)gains[t]);
	assert_continuous(0, total, depth, a);
	ck_assert(wm_ducker_idle_rt(d));
	ck_assert_float_eq_tol(wm_ducker_take_min_gain_rt(d), low, 1e-6f);
	ck_assert_float_eq(wm_ducker_take_min_gain_rt(d), 1.0f);
	wm_ducker_destroy(d);
}
END_TEST

START_TEST(idle_is_exactly_one)
{
	struct wm_ducker *d = ducker(12.0, 10.0, 200.0, 300.0);

	ck_assert(wm_ducker_idle_rt(d));
	run(d, 0, 10000, 64, 0);
	for (uint32_t t = 0; t < 10000; t++)
		EXPECT(gains[t] == 1.0f, "frame %u: %.9g", t, (double)gains[t]);
	ck_assert(wm_ducker_idle_rt(d));
	ck_assert_float_eq(wm_ducker_take_min_gain_rt(d), 1.0f);
	wm_ducker_destroy(d);
}
END_TEST

START_TEST(attack_and_release_zero_jump)
{
	const uint32_t h = ms_frames(50.0);
	struct wm_ducker *d = ducker(20.0, 0.0, 50.0, 0.0);
	float low = (float)db_lin(-20.0);

	uint32_t key_end = run(d, 0, 640, 64, 640);
	run(d, key_end, key_end + h + 1000, 64, 0);
	ck_assert_float_eq_tol(gains[0], low, 1e-6f * low);
	for (uint32_t t = 0; t < key_end + h; t++)
		EXPECT(fabsf(gains[t] - low) <= 1e-6f * low, "frame %u: %.9g want %.9g", t,
		       (double)gains[t], (double)low);
	for (uint32_t t = key_end + h; t < key_end + h + 1000; t++)
		EXPECT(gains[t] == 1.0f, "frame %u: %.9g", t, (double)gains[t]);
	wm_ducker_destroy(d);
}
END_TEST

/* Pauses between words shorter than the hold do not pump. */
START_TEST(hold_bridges_short_pauses)
{
	const uint32_t a = ms_frames(10.0);
	struct wm_ducker *d = ducker(12.0, 10.0, 200.0, 300.0);
	float low = (float)db_lin(-12.0);
	uint32_t t = 0;

	for (int word = 0; word < 10; word++) {
		t = run(d, t, t + 1024, 64, t + 1024); /* speaking */
		run(d, t, t + 4800, 64, 0);            /* 100 ms pause */
		t += 4800;
	}
	for (uint32_t k = a + SEG; k < t; k++)
		EXPECT(fabsf(gains[k] - low) <= 1e-6f * low, "frame %u: %.9g want %.9g", k,
		       (double)gains[k], (double)low);
	wm_ducker_destroy(d);
}
END_TEST

START_TEST(depth_change_mid_duck)
{
	const uint32_t a = ms_frames(10.0), r = ms_frames(300.0);
	struct wm_ducker *d = ducker(12.0, 10.0, 200.0, 300.0);

	run(d, 0, 2000, 64, 2000);                       /* down at -12 */
	ck_assert_float_eq_tol(gains[1999], (float)db_lin(-12.0), 1e-6f);
	configure(d, 24.0, 10.0, 200.0, 300.0);          /* deeper, key still on */
	run(d, 2000, 4000, 64, 4000);
	/* The extra 12 dB at 24 dB per attack time: half an attack. */
	for (uint32_t t = 2000 + a / 2 + SEG; t < 4000; t++)
		EXPECT(fabsf(gains[t] - (float)db_lin(-24.0)) <= 1e-6f, "frame %u: %.9g", t,
		       (double)gains[t]);
	ck_assert(gains[2000 + a / 2 - SEG] > (float)db_lin(-24.0) * 1.001f);
	assert_continuous(1999, 4000, 24.0, a);

	configure(d, 0.0, 10.0, 200.0, 300.0);           /* no ducking at all now */
	run(d, 4000, 4000 + r + 4000, 64, 4000 + r + 4000);
	/* Back up from -24 over one release time, smoothly, to exactly 1,
	 * even though the depth that set the pace is gone. */
	assert_continuous(3999, 4000 + r + 4000, 24.0, r);
	for (uint32_t t = 4000; t + SEG < 4000 + r; t++)
		EXPECT(gains[t] < 1.0f, "frame %u: %.9g", t, (double)gains[t]);
	for (uint32_t t = 4000 + r + SEG; t < 4000 + r + 4000; t++)
		EXPECT(gains[t] == 1.0f, "frame %u: %.9g", t, (double)gains[t]);
	wm_ducker_destroy(d);
}
END_TEST

/* Shorter attack and release while moving: the gain continues from where
 * it is, only at the new pace. */
START_TEST(times_change_mid_move)
{
	struct wm_ducker *d = ducker(12.0, 100.0, 0.0, 100.0);

	run(d, 0, 2400, 64, 2400);                       /* halfway down (-6 dB) */
	ck_assert_float_eq_tol(gains[2399], (float)db_lin(-6.0), 1e-4f);
	configure(d, 12.0, 10.0, 0.0, 10.0);
	run(d, 2400, 4000, 64, 4000);
	assert_continuous(2399, 4000, 12.0, ms_frames(10.0));
	ck_assert_float_eq_tol(gains[2400 + ms_frames(5.0) + SEG], (float)db_lin(-12.0), 1e-6f);
	wm_ducker_destroy(d);
}
END_TEST

START_TEST(bad_settings_do_not_duck)
{
	struct wm_ducker *d = ducker(NAN, NAN, NAN, NAN);

	run(d, 0, 4096, 64, 4096);
	for (uint32_t t = 0; t < 4096; t++)
		EXPECT(gains[t] == 1.0f, "frame %u: %.9g", t, (double)gains[t]);
	configure(d, -12.0, -1.0, INFINITY, -INFINITY);
	run(d, 0, 4096, 64, 4096);
	for (uint32_t t = 0; t < 4096; t++)
		EXPECT(gains[t] == 1.0f, "frame %u: %.9g", t, (double)gains[t]);
	wm_ducker_destroy(d);

	struct wm_err err;
	ck_assert_ptr_null(wm_ducker_create(0, NULL, &err));
	wm_ducker_destroy(NULL);
}
END_TEST

static Suite *ducker_suite(void)
{
	Suite *s = suite_create("ducker");
	TCase *tc = tcase_create("ducker");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, attack_hold_release, 0, sizeof blocks / sizeof blocks[0]);
	tcase_add_test(tc, idle_is_exactly_one);
	tcase_add_test(tc, attack_and_release_zero_jump);
	tcase_add_test(tc, hold_bridges_short_pauses);
	tcase_add_test(tc, depth_change_mid_duck);
	tcase_add_test(tc, times_change_mid_move);
	tcase_add_test(tc, bad_settings_do_not_duck);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(ducker_suite());
}
