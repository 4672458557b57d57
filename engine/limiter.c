/* limiter.c - the zone safety limiter: a stereo-linked lookahead peak
 * limiter whose output never exceeds its ceiling.
 *
 * Per input frame i, with L = the lookahead in frames:
 *   need(i) = min(1, ceiling / max(|left|, |right|))   the gain frame i needs
 *   m(i)    = min need(i-L+1 .. i)                      sliding minimum
 *   r(i)    = min(m(i), release(r(i-1)))                one-pole recovery to 1
 *   g(i)    = mean r(i-L+1 .. i)                        moving average
 *   out(i)  = in(i-L+1) * g(i), clamped to +-ceiling
 * Every r(k) averaged into g(i) has k in [i-L+1, i], so its window m(k)
 * covers frame i-L+1: each term, hence the mean, is <= need(i-L+1). The
 * gain therefore comes down smoothly over L frames and is fully down when
 * the peak leaves; the output lags by L-1 frames. When every r in the
 * window is exactly 1 the gain is exactly 1.0f, so a signal that never
 * needs limiting comes out bit-exact.
 *
 * The sliding minimum is van Herk / Gil-Werman's: the frames are cut into
 * blocks of L, and a window of L ending at frame j of a block is the
 * previous block from j+1 on plus the current block up to j, so m is
 * min(suffix minimum of the previous block at j+1, running minimum of the
 * current block). The suffix minima are computed once per block. Two
 * comparisons a frame and no data-dependent loop: a monotonic deque does
 * the same in amortised O(1) but mispredicts its pops on noisy material
 * (measured about 2.5x slower per frame while limiting noise).
 *
 * Idle path: while the gain is exactly 1 and a whole block needs none, the
 * block only goes through the delay line (delay_only below): same output.
 *
 * Threads: create/destroy on the control thread; the rest on the audio
 * thread (or a render worker), which owns the limiter. Everything is
 * allocated and written in create; the work is bounded: per frame a fixed
 * amount, plus L comparisons every L frames. */
#include "engine/limiter.h"

#include <float.h>
#include <stdbool.h>
#include <math.h>
#include <stdlib.h>

/* Distance to unity below which the release snaps to exactly 1: 1e-4 is
 * 0.0009 dB, inaudible, and reached within ~9.2 release time constants
 * from any depth. Also keeps the recursion out of denormals. */
#define RELEASE_SNAP 1e-4f

/* Blocks of at least this many frames check for the idle path (below):
 * most of the time a zone is under its ceiling, and then the limiter is a
 * delay line. Smaller blocks always take the per-frame path. */
#define WM_LIMITER_IDLE_MIN_FRAMES 16

struct wm_limiter {
	uint32_t lookahead;          /* L, frames: window of the minimum and the mean */
	float ceiling;               /* linear, > 0 */
	float release_coef;          /* per frame: distance to 1 is multiplied by this */
	float release_dist;          /* 1 - r(i-1), kept as a distance: see release() */
	float min_gain;              /* lowest g since the last take */
	uint32_t pos;                /* ring slot of the current frame, 0..L-1; also its
				      * place in the current block of the minimum */

	/* Sliding minimum of need (van Herk / Gil-Werman). */
	float block_min;             /* min need of the current block so far */
	float *block_need;           /* L: need of each frame of the current block */
	float *prev_suffix_min;      /* L + 1: min need of the previous block from k on;
				      * [L] is 1, the empty suffix */

	/* The last L values of r, their sum, and how many are below 1. */
	float *r_win;
	double r_sum;
	double inv_lookahead;        /* 1 / L */
	uint32_t below_one;

	/* The last L input frames (the delay line). */
	float *delay_l;
	float *delay_r;
};

static uint32_t lookahead_frames(uint32_t rate_hz)
{
	long n = lround(WM_LIMITER_LOOKAHEAD_MS * (double)rate_hz / 1000.0);

	return n < 1 ? 1u : (uint32_t)n;
}

/* Malloc'd and written now (not calloc'd), so every page is backed before
 * the audio thread touches it. */
static float *float_array(uint32_t n, float value)
{
	float *a = malloc((size_t)n * sizeof *a);

	if (a)
		for (uint32_t i = 0; i < n; i++)
			a[i] = value;
	return a;
}

struct wm_limiter *wm_limiter_create(uint32_t rate_hz, float ceiling_lin, struct wm_err *err)
{
	if (rate_hz == 0 || !(ceiling_lin > 0.0f && ceiling_lin <= FLT_MAX)) {
		wm_err_set(err, WM_E_INTERNAL,
			   "limiter: needs a rate above 0 Hz and a finite ceiling above 0 "
			   "(got %u Hz, %g)", rate_hz, (double)ceiling_lin);
		return NULL;
	}

	struct wm_limiter *lim = calloc(1, sizeof *lim);
	uint32_t n = lookahead_frames(rate_hz);

	if (!lim)
		goto out_nomem;
	lim->lookahead = n;
	lim->ceiling = ceiling_lin;
	lim->release_coef = (float)exp(-1000.0 / (WM_LIMITER_RELEASE_MS * rate_hz));
	lim->release_dist = 0.0f;
	lim->min_gain = 1.0f;
	lim->r_sum = n;
	lim->inv_lookahead = 1.0 / n;
	lim->block_min = 1.0f;
	lim->block_need = float_array(n, 1.0f);
	lim->prev_suffix_min = float_array(n + 1, 1.0f);
	lim->r_win = float_array(n, 1.0f);
	lim->delay_l = float_array(n, 0.0f);
	lim->delay_r = float_array(n, 0.0f);
	if (!lim->block_need || !lim->prev_suffix_min || !lim->r_win || !lim->delay_l ||
	    !lim->delay_r)
		goto out_destroy;
	return lim;

out_destroy:
	wm_limiter_destroy(lim);
out_nomem:
	wm_err_set(err, WM_E_INTERNAL, "limiter: out of memory for %u frames of lookahead", n);
	return NULL;
}

void wm_limiter_destroy(struct wm_limiter *limiter)
{
	if (!limiter)
		return;
	free(limiter->block_need);
	free(limiter->prev_suffix_min);
	free(limiter->r_win);
	free(limiter->delay_l);
	free(limiter->delay_r);
	free(limiter);
}

uint32_t wm_limiter_latency_frames(const struct wm_limiter *limiter)
{
	return limiter->lookahead - 1;
}

WM_RT void wm_limiter_set_ceiling_rt(struct wm_limiter *limiter, float ceiling_lin)
{
	/* A NaN or non-positive ceiling would void the guarantee: keep the old. */
	if (ceiling_lin > 0.0f && ceiling_lin <= FLT_MAX)
		limiter->ceiling = ceiling_lin;
}

WM_RT float wm_limiter_take_min_gain_rt(struct wm_limiter *limiter)
{
	float g = limiter->min_gain;

	limiter->min_gain = 1.0f;
	return g;
}

static inline uint32_t ring_next(uint32_t i, uint32_t n)
{
	return i + 1 == n ? 0 : i + 1;
}

/* The gain one stereo frame needs, and the frame made safe to delay:
 * NaN or inf is not a level anyone can limit, so the frame becomes
 * silence and the gain is pulled to 0 around it (no click either side). */
static inline float frame_need(float ceiling, float *l, float *r)
{
	float a = fabsf(*l), b = fabsf(*r);

	if (!(a <= FLT_MAX && b <= FLT_MAX)) {
		*l = 0.0f;
		*r = 0.0f;
		return 0.0f;
	}
	float peak = a > b ? a : b;

	return peak > ceiling ? ceiling / peak : 1.0f;
}

static inline float min_f(float a, float b)
{
	return b < a ? b : a;
}

/* m(i): the minimum need over frames i-L+1 .. i, frame i being at
 * lim->pos of the current block. */
static inline float window_min(struct wm_limiter *lim, float need)
{
	uint32_t j = lim->pos;

	lim->block_need[j] = need;
	lim->block_min = min_f(lim->block_min, need);

	float m = min_f(lim->prev_suffix_min[j + 1], lim->block_min);

	if (j + 1 == lim->lookahead) {
		/* The block is complete: it becomes the previous one. */
		float *suffix = lim->prev_suffix_min;
		float run = 1.0f;

		for (uint32_t k = j + 1; k-- > 0;) {
			run = min_f(run, lim->block_need[k]);
			suffix[k] = run;
		}
		lim->block_min = 1.0f;
	}
	return m;
}

/* r(i) = min(m(i), r(i-1) recovering towards 1). r <= m keeps the proof
 * above; the snap makes "recovered" exact, so the gain can return to 1.0f.
 * The state is the distance to 1, not r: near 1 a float r cannot take a
 * step smaller than half its ulp and would stall short of the snap, while
 * the distance decays with full relative precision. */
static inline float release(struct wm_limiter *lim, float m)
{
	float dist = lim->release_dist * lim->release_coef;

	if (dist < RELEASE_SNAP)
		dist = 0.0f;
	float up = 1.0f - dist;

	if (m < up) {
		lim->release_dist = 1.0f - m;
		return m;
	}
	lim->release_dist = dist;
	return up;
}

/* g(i): the mean of the last L values of r. The count of values below 1
 * makes unity exact; the sum is recomputed once per lap of the ring so
 * rounding cannot creep up over a long stretch of limiting. */
static inline float window_mean(struct wm_limiter *lim, float r)
{
	uint32_t n = lim->lookahead;
	float old = lim->r_win[lim->pos];

	lim->r_win[lim->pos] = r;
	lim->below_one += (uint32_t)(r < 1.0f);
	lim->below_one -= (uint32_t)(old < 1.0f);
	if (lim->below_one == 0) {
		lim->r_sum = n;
		return 1.0f;
	}
	if (lim->pos == 0) {
		double s = 0.0;

		for (uint32_t k = 0; k < n; k++)
			s += lim->r_win[k];
		lim->r_sum = s;
	} else {
		lim->r_sum += (double)r - (double)old;
	}

	float g = (float)(lim->r_sum * lim->inv_lookahead);

	return g < 0.0f ? 0.0f : g > 1.0f ? 1.0f : g;
}

static inline float clamp_abs(float x, float c)
{
	return x > c ? c : x < -c ? -c : x;
}

/* Unity everywhere: no frame in the windows needed a gain, and no release
 * is under way. Then r, m and g are all exactly 1 (see window_mean). */
static bool idle(const struct wm_limiter *lim)
{
	return lim->release_dist == 0.0f && lim->below_one == 0 && lim->block_min == 1.0f &&
	       lim->prev_suffix_min[0] == 1.0f;
}

/* Every sample finite and at or under the ceiling (NaN fails <=), so every
 * need is 1. No early exit: the loop vectorises. */
static bool all_under(const float *left, const float *right, uint32_t frames, float c)
{
	int ok = 1;

	for (uint32_t i = 0; i < frames; i++)
		ok &= (fabsf(left[i]) <= c) & (fabsf(right[i]) <= c);
	return ok;
}

/* The idle path: a block that needs no gain leaves the idle state as it
 * is (needs, r and g all 1), so only the delay line moves. The output is
 * what the per-frame path gives, bit for bit (g = 1.0f and no clamp acts
 * on samples under the ceiling). */
static void delay_only(struct wm_limiter *lim, float *left, float *right, uint32_t frames)
{
	uint32_t n = lim->lookahead;

	for (uint32_t k = 0; k < n; k++)
		lim->block_need[k] = 1.0f;
	for (uint32_t i = 0; i < frames; i++) {
		uint32_t out = ring_next(lim->pos, n);

		lim->delay_l[lim->pos] = left[i];
		lim->delay_r[lim->pos] = right[i];
		left[i] = lim->delay_l[out];
		right[i] = lim->delay_r[out];
		lim->pos = out;
	}
}

WM_RT void wm_limiter_process_rt(struct wm_limiter *limiter, float *left, float *right,
				 uint32_t frames)
{
	struct wm_limiter *lim = limiter;
	uint32_t n = lim->lookahead;
	float c = lim->ceiling;
	float min_gain = lim->min_gain;

	if (frames >= WM_LIMITER_IDLE_MIN_FRAMES && idle(lim) && all_under(left, right, frames, c)) {
		delay_only(lim, left, right, frames);
		return;
	}
	for (uint32_t i = 0; i < frames; i++) {
		float l = left[i], r = right[i];
		float need = frame_need(c, &l, &r);
		float g = window_mean(lim, release(lim, window_min(lim, need)));
		uint32_t out = ring_next(lim->pos, n); /* frame i-L+1 (i itself when L = 1) */

		lim->delay_l[lim->pos] = l;
		lim->delay_r[lim->pos] = r;
		left[i] = clamp_abs(lim->delay_l[out] * g, c);
		right[i] = clamp_abs(lim->delay_r[out] * g, c);
		min_gain = g < min_gain ? g : min_gain;
		lim->pos = out;
	}
	lim->min_gain = min_gain;
}
