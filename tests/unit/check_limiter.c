/* check_limiter.c - engine/limiter on its own: the ceiling holds against
 * anything (overdrive, squares, spikes, DC, alternating extremes, NaN and
 * inf, ceiling changes), a signal that needs no limiting comes out
 * bit-exact and delayed by exactly the reported latency whatever the block
 * sizes, and the gain comes back to exactly 1 after a peak. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/limiter.h"

#include "tests/support/suite.h"

/* ck_assert records a checkpoint on every call (a write); the loops here
 * check millions of samples, so they only call into Check on a failure. */
#define EXPECT(cond, ...)                                                     \
	do {                                                                  \
		if (!(cond))                                                  \
			ck_abort_msg(__VA_ARGS__);                            \
	} while (0)

#define RATE 48000u
#define N 48000                      /* one second of test signal */
#define LOOKAHEAD_48K 72u            /* round(1.5 ms * 48 kHz) */

static uint32_t rng = 1;

/* Deterministic noise in [-1, 1). */
static float noise(void)
{
	rng = rng * 1664525u + 1013904223u;
	return (float)((int32_t)rng >> 8) / 8388608.0f;
}

static float db_lin(double db)
{
	return (float)pow(10.0, db / 20.0);
}

static struct wm_limiter *limiter(uint32_t rate, float ceiling)
{
	struct wm_err err;
	struct wm_limiter *lim = wm_limiter_create(rate, ceiling, &err);

	ck_assert_msg(lim != NULL, "create: %s", err.msg);
	return lim;
}

static const uint32_t blocks[] = { 1, 7, 64, 1000, 4096 };
#define NBLOCKS (sizeof blocks / sizeof blocks[0])

/* Limit n frames in place, in blocks of `block` frames. */
static void process(struct wm_limiter *lim, float *l, float *r, uint32_t n, uint32_t block)
{
	for (uint32_t done = 0; done < n; done += block) {
		uint32_t k = n - done < block ? n - done : block;

		wm_limiter_process_rt(lim, l + done, r + done, k);
	}
}

/* ---- the ceiling holds ---- */

enum signal {
	SIG_NOISE_30DB, SIG_SQUARE, SIG_SPIKES, SIG_DC, SIG_ALTERNATING, SIG_NONFINITE,
	SIG_HUGE, SIG_COUNT
};

static void make_signal(enum signal sig, float *l, float *r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		switch (sig) {
		case SIG_NOISE_30DB:   /* +30 dB overdriven noise */
			l[i] = 31.6f * noise();
			r[i] = 31.6f * noise();
			break;
		case SIG_SQUARE:       /* a 10x square, L and R out of phase, period 101 */
			l[i] = (i / 50) % 2 ? 10.0f : -10.0f;
			r[i] = -l[i];
			break;
		case SIG_SPIKES:       /* quiet, with single-sample spikes */
			l[i] = i % 997 == 5 ? 1000.0f : 0.1f * noise();
			r[i] = i % 1009 == 3 ? -250.0f : 0.1f * noise();
			break;
		case SIG_DC:           /* full-scale DC */
			l[i] = 1.0f;
			r[i] = -1.0f;
			break;
		case SIG_ALTERNATING:  /* +-big every other sample */
			l[i] = i % 2 ? 1e6f : -1e6f;
			r[i] = i % 3 ? 3.0f : -3.0f;
			break;
		case SIG_NONFINITE:    /* NaN and inf scattered through overdrive */
			l[i] = i % 50 == 7 ? NAN : i % 77 == 0 ? INFINITY : 4.0f * noise();
			r[i] = i % 91 == 1 ? -INFINITY : i % 33 == 2 ? -NAN : 4.0f * noise();
			break;
		case SIG_HUGE:         /* the largest floats */
			l[i] = i % 2 ? FLT_MAX : -FLT_MAX;
			r[i] = i % 5 ? 1e-30f : FLT_MAX;
			break;
		case SIG_COUNT:
			break;
		}
	}
}

static void assert_bounded(const float *y, uint32_t n, float ceiling, const char *what)
{
	for (uint32_t i = 0; i < n; i++)
		EXPECT(!isnan(y[i]) && fabsf(y[i]) <= ceiling,
		       "%s: frame %u is %.9g, ceiling %.9g", what, i, (double)y[i],
		       (double)ceiling);
}

static const double ceilings_db[] = { 0.0, -1.0, -0.1, -6.0, -20.0, -60.0 };

START_TEST(never_above_the_ceiling)
{
	float c = db_lin(ceilings_db[_i]);
	static float l[N], r[N];

	for (int sig = 0; sig < SIG_COUNT; sig++) {
		for (size_t b = 0; b < NBLOCKS; b++) {
			struct wm_limiter *lim = limiter(RATE, c);
			char what[64];

			make_signal((enum signal)sig, l, r, N);
			process(lim, l, r, N, blocks[b]);
			snprintf(what, sizeof what, "signal %d block %u L", sig, blocks[b]);
			assert_bounded(l, N, c, what);
			snprintf(what, sizeof what, "signal %d block %u R", sig, blocks[b]);
			assert_bounded(r, N, c, what);
			/* It limits, it does not mute: overdrive comes out loud. */
			if (sig == SIG_NOISE_30DB || sig == SIG_SQUARE || sig == SIG_DC) {
				float peak = 0.0f;

				for (uint32_t i = N / 2; i < N; i++)
					peak = fmaxf(peak, fabsf(l[i]));
				ck_assert_msg(peak > 0.5f * c, "signal %d: peak %g only", sig,
					      (double)peak);
			}
			wm_limiter_destroy(lim);
		}
	}
}
END_TEST

/* The ceiling is kept by one gain on both sides, not by clipping: every
 * output frame is its input frame times the same gain (the final clamp
 * only ever shaves rounding). So the stereo image and the waveform hold. */
START_TEST(reduces_by_linked_gain_not_clipping)
{
	static const enum signal sigs[] = { SIG_NOISE_30DB, SIG_SQUARE, SIG_SPIKES, SIG_DC };
	static float in_l[N], in_r[N], l[N], r[N];

	for (size_t k = 0; k < 4; k++) {
		for (size_t c = 0; c < 3; c++) {
			struct wm_limiter *lim = limiter(RATE, db_lin(ceilings_db[c]));
			uint32_t lat = wm_limiter_latency_frames(lim);

			make_signal(sigs[k], in_l, in_r, N);
			memcpy(l, in_l, sizeof l);
			memcpy(r, in_r, sizeof r);
			process(lim, l, r, N, 64);
			for (uint32_t i = lat; i < N; i++) {
				double xl = in_l[i - lat], xr = in_r[i - lat];

				if (fabs(xl) < 1e-3 || fabs(xr) < 1e-3)
					continue;
				double gl = l[i] / xl, gr = r[i] / xr;

				EXPECT(gl <= 1.0 && fabs(gl - gr) <= 1e-5 * gl,
				       "signal %d frame %u: gains %.9g %.9g", (int)sigs[k], i, gl, gr);
			}
			wm_limiter_destroy(lim);
		}
	}
}
END_TEST

/* The algorithm as limiter.c documents it, computed the slow way: every
 * window minimum and mean from scratch. The release uses the same float
 * steps (time constant WM_LIMITER_RELEASE_MS, snap to 1 within 1e-4). */
static void reference(const float *in_l, const float *in_r, float *out_l, float *out_r,
		      uint32_t n, uint32_t rate, float c)
{
	uint32_t L = (uint32_t)lround(WM_LIMITER_LOOKAHEAD_MS * rate / 1000.0);
	float coef = (float)exp(-1000.0 / (WM_LIMITER_RELEASE_MS * rate));
	float *need = malloc(n * sizeof *need), *r = malloc(n * sizeof *r), dist = 0.0f;

	ck_assert(need && r);
	for (uint32_t i = 0; i < n; i++) {
		float peak = fmaxf(fabsf(in_l[i]), fabsf(in_r[i]));
		float m = 1.0f;

		need[i] = peak > c ? c / peak : 1.0f;
		for (uint32_t k = i + 1 > L ? i + 1 - L : 0; k <= i; k++)
			m = fminf(m, need[k]);
		dist *= coef;
		dist = dist < 1e-4f ? 0.0f : dist;
		r[i] = fminf(m, 1.0f - dist);
		dist = m < 1.0f - dist ? 1.0f - m : dist;
	}
	for (uint32_t i = 0; i < n; i++) {
		double sum = 0.0;

		for (uint32_t k = i + 1 > L ? i + 1 - L : 0; k <= i; k++)
			sum += r[k];
		sum += i + 1 < L ? (double)(L - 1 - i) : 0.0; /* before the start: r = 1 */
		float g = (float)(sum / L);
		float xl = i + 1 >= L ? in_l[i + 1 - L] : 0.0f;
		float xr = i + 1 >= L ? in_r[i + 1 - L] : 0.0f;

		out_l[i] = fmaxf(-c, fminf(c, xl * g));
		out_r[i] = fmaxf(-c, fminf(c, xr * g));
	}
	free(need);
	free(r);
}

START_TEST(matches_the_reference_model)
{
	static const uint32_t rates[] = { 48000, 44100, 8000 };
	static float in_l[N], in_r[N], l[N], r[N], want_l[N], want_r[N];

	for (size_t k = 0; k < 3; k++) {
		float c = db_lin(-1.0);
		struct wm_limiter *lim = limiter(rates[k], c);

		/* Bursts of random length and level over quiet noise. */
		float level = 0.3f;
		for (uint32_t i = 0; i < N; i++) {
			if (noise() > 0.98f)
				level = 0.3f + 8.0f * fabsf(noise());
			in_l[i] = level * noise();
			in_r[i] = level * noise();
		}
		memcpy(l, in_l, sizeof l);
		memcpy(r, in_r, sizeof r);
		process(lim, l, r, N, 100);
		reference(in_l, in_r, want_l, want_r, N, rates[k], c);
		for (uint32_t i = 0; i < N; i++)
			EXPECT(fabsf(l[i] - want_l[i]) <= 1e-6f * c && fabsf(r[i] - want_r[i]) <= 1e-6f * c,
			       "rate %u frame %u: %.9g %.9g, want %.9g %.9g", rates[k], i,
			       (double)l[i], (double)r[i], (double)want_l[i], (double)want_r[i]);
		wm_limiter_destroy(lim);
	}
}
END_TEST

/* The idle path (whole blocks under the ceiling while the gain is 1) gives
 * what the per-frame path gives, bit for bit: long quiet stretches with
 * bursts over the ceiling, a sample exactly at it and a NaN, in blocks of
 * every size against blocks of one frame (always per frame), and against
 * the reference model. */
START_TEST(idle_path_is_exact)
{
	static const uint32_t sizes[] = { 16, 64, 72, 256, 1000, 4096 };
	static float in_l[N], in_r[N], l[N], r[N], want_l[N], want_r[N];
	float c = db_lin(-1.0);

	for (uint32_t i = 0; i < N; i++) {
		bool burst = (i / 3000) % 4 == 1 && i % 3000 < 200;
		float level = burst ? 3.0f : 0.5f;
		in_l[i] = level * noise();
		in_r[i] = level * noise();
	}
	in_l[20000] = c;                 /* at the ceiling: needs no gain */
	in_r[30000] = NAN;               /* not finite: per-frame path */
	memcpy(want_l, in_l, sizeof want_l);
	memcpy(want_r, in_r, sizeof want_r);
	struct wm_limiter *ref = limiter(RATE, c);
	process(ref, want_l, want_r, N, 1);
	float ref_min = wm_limiter_take_min_gain_rt(ref);
	wm_limiter_destroy(ref);
	ck_assert(ref_min < 0.5f);
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		struct wm_limiter *lim = limiter(RATE, c);

		memcpy(l, in_l, sizeof l);
		memcpy(r, in_r, sizeof r);
		process(lim, l, r, N, sizes[k]);
		for (uint32_t i = 0; i < N; i++)
			EXPECT(memcmp(&l[i], &want_l[i], sizeof l[i]) == 0 &&
				       memcmp(&r[i], &want_r[i], sizeof r[i]) == 0,
			       "blocks of %u, frame %u: %.9g %.9g, per frame %.9g %.9g", sizes[k], i,
			       (double)l[i], (double)r[i], (double)want_l[i], (double)want_r[i]);
		ck_assert_float_eq(wm_limiter_take_min_gain_rt(lim), ref_min);
		wm_limiter_destroy(lim);
	}
	in_r[30000] = 0.0f;              /* the model has no NaN handling */
	reference(in_l, in_r, want_l, want_r, N, RATE, c);
	struct wm_limiter *lim = limiter(RATE, c);
	memcpy(l, in_l, sizeof l);
	memcpy(r, in_r, sizeof r);
	process(lim, l, r, N, 4096);
	for (uint32_t i = 0; i < N; i++)
		EXPECT(fabsf(l[i] - want_l[i]) <= 1e-6f * c && fabsf(r[i] - want_r[i]) <= 1e-6f * c,
		       "frame %u: %.9g %.9g, want %.9g %.9g", i, (double)l[i], (double)r[i],
		       (double)want_l[i], (double)want_r[i]);
	wm_limiter_destroy(lim);
}
END_TEST

/* Each output sample is held to the ceiling in force when it leaves, even
 * when the ceiling drops while it is inside the lookahead. */
START_TEST(ceiling_changes_mid_stream)
{
	static const double steps_db[] = { -1.0, -20.0, 0.0, -60.0, -3.0, -0.5, -40.0, -1.0 };
	static float l[N], r[N];
	struct wm_limiter *lim = limiter(RATE, db_lin(-1.0));
	uint32_t block = 777, k = 0;

	make_signal(SIG_NOISE_30DB, l, r, N);
	for (uint32_t done = 0; done < N; done += block, k++) {
		uint32_t n = N - done < block ? N - done : block;
		float c = db_lin(steps_db[k % 8]);

		wm_limiter_set_ceiling_rt(lim, c);
		wm_limiter_process_rt(lim, l + done, r + done, n);
		assert_bounded(l + done, n, c, "L after a ceiling change");
		assert_bounded(r + done, n, c, "R after a ceiling change");
	}
	/* A bad ceiling is ignored, not obeyed. */
	wm_limiter_set_ceiling_rt(lim, db_lin(-6.0));
	wm_limiter_set_ceiling_rt(lim, NAN);
	wm_limiter_set_ceiling_rt(lim, 0.0f);
	wm_limiter_set_ceiling_rt(lim, -1.0f);
	make_signal(SIG_NOISE_30DB, l, r, 4096);
	wm_limiter_process_rt(lim, l, r, 4096);
	assert_bounded(l, 4096, db_lin(-6.0), "L after bad ceilings");
	wm_limiter_destroy(lim);
}
END_TEST

START_TEST(nonfinite_in_is_silence_out)
{
	struct wm_limiter *lim = limiter(RATE, 1.0f);
	uint32_t lat = wm_limiter_latency_frames(lim);
	static float l[4096], r[4096];

	for (uint32_t i = 0; i < 4096; i++)
		l[i] = r[i] = 0.25f;
	l[1000] = NAN;
	r[2000] = INFINITY;
	process(lim, l, r, 4096, 64);
	assert_bounded(l, 4096, 1.0f, "L");
	assert_bounded(r, 4096, 1.0f, "R");
	ck_assert_float_eq(l[1000 + lat], 0.0f);
	ck_assert_float_eq(r[1000 + lat], 0.0f); /* stereo: the frame goes */
	ck_assert_float_eq(r[2000 + lat], 0.0f);
	/* The quiet signal is untouched well before the bad frames. */
	ck_assert_float_eq(l[500], 0.25f);
	wm_limiter_destroy(lim);
}
END_TEST

/* ---- transparency and latency ---- */

START_TEST(latency_is_lookahead_minus_one)
{
	static const uint32_t rates[] = { 8000, 44100, 48000, 96000, 384000 };

	for (size_t i = 0; i < 5; i++) {
		struct wm_limiter *lim = limiter(rates[i], 1.0f);
		uint32_t want = (uint32_t)lround(WM_LIMITER_LOOKAHEAD_MS * rates[i] / 1000.0) - 1;
		float l[4000] = { 0 }, r[4000] = { 0 };

		ck_assert_uint_eq(wm_limiter_latency_frames(lim), want);
		/* An impulse comes out exactly that late. */
		l[10] = 0.5f;
		r[10] = -0.5f;
		wm_limiter_process_rt(lim, l, r, 4000);
		for (uint32_t k = 0; k < 4000; k++) {
			float at = k == 10 + want ? 0.5f : 0.0f;

			EXPECT(l[k] == at && r[k] == -at, "rate %u frame %u: %g %g", rates[i], k,
			       (double)l[k], (double)r[k]);
		}
		wm_limiter_destroy(lim);
	}
	struct wm_limiter *lim = limiter(RATE, 1.0f);
	ck_assert_uint_eq(wm_limiter_latency_frames(lim), LOOKAHEAD_48K - 1);
	wm_limiter_destroy(lim);
}
END_TEST

START_TEST(under_the_ceiling_is_bit_exact)
{
	uint32_t block = blocks[_i];
	static float in_l[N], in_r[N], l[N], r[N];

	for (size_t k = 0; k < sizeof ceilings_db / sizeof ceilings_db[0]; k++) {
		float c = db_lin(ceilings_db[k]);
		struct wm_limiter *lim = limiter(RATE, c);
		uint32_t lat = wm_limiter_latency_frames(lim);

		/* 3 dB under the ceiling, with a few samples right at -3 dB. */
		for (uint32_t i = 0; i < N; i++) {
			in_l[i] = c * 0.70710677f * noise();
			in_r[i] = i % 1000 == 0 ? -c * 0.70710677f : c * 0.70710677f * noise();
		}
		memcpy(l, in_l, sizeof l);
		memcpy(r, in_r, sizeof r);
		process(lim, l, r, N, block);
		for (uint32_t i = 0; i < lat; i++)
			EXPECT(l[i] == 0.0f && r[i] == 0.0f, "frame %u is not silence", i);
		ck_assert_mem_eq(l + lat, in_l, (N - lat) * sizeof(float));
		ck_assert_mem_eq(r + lat, in_r, (N - lat) * sizeof(float));
		ck_assert_float_eq(wm_limiter_take_min_gain_rt(lim), 1.0f);
		wm_limiter_destroy(lim);
	}
}
END_TEST

/* Exactly at the ceiling needs no reduction either. */
START_TEST(at_the_ceiling_is_bit_exact)
{
	struct wm_limiter *lim = limiter(RATE, 1.0f);
	uint32_t lat = wm_limiter_latency_frames(lim);
	static float l[4096], r[4096], in[4096];

	for (uint32_t i = 0; i < 4096; i++)
		in[i] = l[i] = r[i] = i % 2 ? 1.0f : -1.0f;
	wm_limiter_process_rt(lim, l, r, 4096);
	ck_assert_mem_eq(l + lat, in, (4096 - lat) * sizeof(float));
	ck_assert_float_eq(wm_limiter_take_min_gain_rt(lim), 1.0f);
	wm_limiter_destroy(lim);
}
END_TEST

/* ---- gain shape and recovery ---- */

START_TEST(gain_comes_down_before_the_peak)
{
	struct wm_limiter *lim = limiter(RATE, 1.0f);
	uint32_t lat = wm_limiter_latency_frames(lim);
	static float l[2000], r[2000];

	for (uint32_t i = 0; i < 2000; i++)
		l[i] = r[i] = i < 1000 ? 0.5f : 4.0f;
	wm_limiter_process_rt(lim, l, r, 2000);
	/* Out frame k carries in frame k - lat. The loud part starts at out
	 * 1000 + lat already at its gain (0.25 * 4 = 1 at most) ... */
	ck_assert(l[1000 + lat] <= 1.0f && l[1000 + lat] > 0.9f);
	/* ... because the gain came down over the lookahead before it: the
	 * quiet frames just before it are already reduced, smoothly. */
	ck_assert(l[999 + lat] < 0.5f);
	ck_assert_float_eq(l[999], 0.5f);  /* the gain starts down lat frames early */
	ck_assert(l[1000] < 0.5f);
	for (uint32_t k = 1001; k < 1000 + lat; k++) {
		EXPECT(l[k] <= l[k - 1] && l[k - 1] - l[k] < 0.5f * 0.75f / (float)lat + 1e-6f,
		       "frame %u: %.9g after %.9g", k, (double)l[k], (double)l[k - 1]);
	}
	ck_assert_float_eq_tol(wm_limiter_take_min_gain_rt(lim), 0.25f, 1e-6f);
	wm_limiter_destroy(lim);
}
END_TEST

START_TEST(gain_recovers_to_exactly_one)
{
	static const float spikes[] = { 1.5f, 10.0f, 1e6f, INFINITY };
	uint32_t n = 2 * RATE;
	static float l[2 * RATE], r[2 * RATE], in[2 * RATE];

	for (size_t s = 0; s < 4; s++) {
		struct wm_limiter *lim = limiter(RATE, 1.0f);
		uint32_t lat = wm_limiter_latency_frames(lim);
		/* 10 release times after the spike has left the lookahead. */
		uint32_t within = 1000 + lat + 1 +
				  (uint32_t)lround(10 * WM_LIMITER_RELEASE_MS * RATE / 1000.0);
		uint32_t last_changed = 0;

		for (uint32_t i = 0; i < n; i++)
			in[i] = l[i] = r[i] = 0.1f * noise();
		l[1000] = spikes[s];
		wm_limiter_process_rt(lim, l, r, 4000);
		float min_gain = wm_limiter_take_min_gain_rt(lim);
		if (isfinite(spikes[s]))
			ck_assert_float_eq_tol(min_gain, 1.0f / spikes[s], 1e-6f / spikes[s]);
		else
			ck_assert_float_eq(min_gain, 0.0f);
		process(lim, l + 4000, r + 4000, n - 4000, 256);
		for (uint32_t k = lat; k < n; k++)
			if (k != 1000 + lat && r[k] != in[k - lat])
				last_changed = k;
		ck_assert_msg(last_changed > 1000 + lat, "spike %g: no reduction seen",
			      (double)spikes[s]);
		ck_assert_msg(last_changed < within, "spike %g: still reduced at frame %u (> %u)",
			      (double)spikes[s], last_changed, within);
		/* Recovered means unity again: the meter says so too. */
		float later = wm_limiter_take_min_gain_rt(lim);
		ck_assert(later < 1.0f && later > min_gain);
		for (uint32_t i = 0; i < 1000; i++)
			l[i] = r[i] = 0.1f * noise();
		wm_limiter_process_rt(lim, l, r, 1000);
		ck_assert_float_eq(wm_limiter_take_min_gain_rt(lim), 1.0f);
		wm_limiter_destroy(lim);
	}
}
END_TEST

/* The recovery is not instant either: a release, not a gate. */
START_TEST(release_is_gradual)
{
	struct wm_limiter *lim = limiter(RATE, 1.0f);
	uint32_t lat = wm_limiter_latency_frames(lim);
	static float l[RATE], r[RATE];

	for (uint32_t i = 0; i < RATE; i++)
		l[i] = r[i] = i == 100 ? 2.0f : 0.5f;
	wm_limiter_process_rt(lim, l, r, RATE);
	/* One release time (80 ms) after the peak left: about 1 - 0.5/e. */
	uint32_t k = 100 + 2 * lat + (uint32_t)(WM_LIMITER_RELEASE_MS * RATE / 1000.0);
	float g = l[k] / 0.5f;
	ck_assert_msg(g > 0.75f && g < 0.87f, "gain %g one release time later", (double)g);
	for (uint32_t i = 100 + 2 * lat; i + 1 < RATE; i++)
		EXPECT(l[i + 1] >= l[i], "frame %u: %.9g after %.9g", i + 1, (double)l[i + 1],
		       (double)l[i]);
	wm_limiter_destroy(lim);
}
END_TEST

START_TEST(create_refuses_bad_arguments)
{
	struct wm_err err;

	ck_assert_ptr_null(wm_limiter_create(RATE, 0.0f, &err));
	ck_assert_ptr_null(wm_limiter_create(RATE, NAN, &err));
	ck_assert_ptr_null(wm_limiter_create(RATE, INFINITY, &err));
	ck_assert_ptr_null(wm_limiter_create(0, 1.0f, &err));
	ck_assert(strlen(err.msg) > 10);
	wm_limiter_destroy(NULL);
}
END_TEST

static Suite *limiter_suite(void)
{
	Suite *s = suite_create("limiter");
	TCase *tc = tcase_create("limiter");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, never_above_the_ceiling, 0,
			    sizeof ceilings_db / sizeof ceilings_db[0]);
	tcase_add_test(tc, reduces_by_linked_gain_not_clipping);
	tcase_add_test(tc, matches_the_reference_model);
	tcase_add_test(tc, idle_path_is_exact);
	tcase_add_test(tc, ceiling_changes_mid_stream);
	tcase_add_test(tc, nonfinite_in_is_silence_out);
	tcase_add_test(tc, latency_is_lookahead_minus_one);
	tcase_add_loop_test(tc, under_the_ceiling_is_bit_exact, 0, NBLOCKS);
	tcase_add_test(tc, at_the_ceiling_is_bit_exact);
	tcase_add_test(tc, gain_comes_down_before_the_peak);
	tcase_add_test(tc, gain_recovers_to_exactly_one);
	tcase_add_test(tc, release_is_gradual);
	tcase_add_test(tc, create_refuses_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(limiter_suite());
}
