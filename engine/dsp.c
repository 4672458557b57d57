/* dsp.c - the engine's sample loops: the channel->zone mix with gain ramps
 * and the meter accumulators. Audio thread only; no allocation, no calls
 * out except memset.
 *
 * The loops are written so GCC vectorises them: restrict pointers, a
 * simple counted loop, no reductions without explicit lanes. The file is
 * built at -O3 (GCC 12 does not vectorise them at -O2) and with
 * -ffp-contract=off, so every clone below computes bit-identical results
 * (no FMA in one and not another). The whole-period loops are
 * target_clones, so there is one ifunc dispatch per period and the inline
 * helpers are compiled into each clone with its instruction set. They are
 * static behind plain wrappers because Clang 14 exports a cloned function
 * under "name.ifunc", which other files cannot link against. */
#include "engine/dsp.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "common/clones.h"

#define INLINE static inline __attribute__((always_inline))

/* y += g * x: the loop that carries almost all the work. */
INLINE void mac(float *restrict y, const float *restrict x, float g, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		y[i] += g * x[i];
}

/* y += g0*x0 + g1*x1 (+ ...), added one term at a time in order, so the
 * result is bit-identical to calling mac() per term, with one load and
 * store of y instead of several: the loads and stores of y, not the
 * arithmetic, are what limits the simple loop. */
INLINE void mac2(float *restrict y, const float *const *restrict x, const float *g,
		 uint32_t n)
{
	const float *restrict x0 = x[0], *restrict x1 = x[1];
	float g0 = g[0], g1 = g[1];

	for (uint32_t i = 0; i < n; i++) {
		float t = y[i];

		t += g0 * x0[i];
		t += g1 * x1[i];
		y[i] = t;
	}
}

INLINE void mac3(float *restrict y, const float *const *restrict x, const float *g,
		 uint32_t n)
{
	const float *restrict x0 = x[0], *restrict x1 = x[1], *restrict x2 = x[2];
	float g0 = g[0], g1 = g[1], g2 = g[2];

	for (uint32_t i = 0; i < n; i++) {
		float t = y[i];

		t += g0 * x0[i];
		t += g1 * x1[i];
		t += g2 * x2[i];
		y[i] = t;
	}
}

INLINE void mac4(float *restrict y, const float *const *restrict x, const float *g,
		 uint32_t n)
{
	const float *restrict x0 = x[0], *restrict x1 = x[1], *restrict x2 = x[2],
		    *restrict x3 = x[3];
	float g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3];

	for (uint32_t i = 0; i < n; i++) {
		float t = y[i];

		t += g0 * x0[i];
		t += g1 * x1[i];
		t += g2 * x2[i];
		t += g3 * x3[i];
		y[i] = t;
	}
}

/* mac4 into the two sides of a zone at once: two independent chains of
 * adds per vector instead of one, which is what limits a short period
 * (64 frames is four AVX-512 vectors: too few to hide the latency of four
 * dependent adds). Each output gets exactly mac4's sum. */
INLINE void mac4x2(float *restrict y0, float *restrict y1, const float *const *restrict x,
		   const float *g, uint32_t n)
{
	const float *restrict a0 = x[0], *restrict a1 = x[1], *restrict a2 = x[2],
		    *restrict a3 = x[3], *restrict b0 = x[4], *restrict b1 = x[5],
		    *restrict b2 = x[6], *restrict b3 = x[7];
	float ga0 = g[0], ga1 = g[1], ga2 = g[2], ga3 = g[3], gb0 = g[4], gb1 = g[5],
	      gb2 = g[6], gb3 = g[7];

	for (uint32_t i = 0; i < n; i++) {
		float t = y0[i], u = y1[i];

		t += ga0 * a0[i];
		u += gb0 * b0[i];
		t += ga1 * a1[i];
		u += gb1 * b1[i];
		t += ga2 * a2[i];
		u += gb2 * b2[i];
		t += ga3 * a3[i];
		u += gb3 * b3[i];
		y0[i] = t;
		y1[i] = u;
	}
}

/* y += (g0 + step * (i + 1)) * x: computed from the index rather than by
 * accumulating, so it vectorises and does not drift. */
INLINE void mac_ramp(float *restrict y, const float *restrict x, float g0,
		     float step, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		y[i] += (g0 + step * (float)(i + 1)) * x[i];
}

/* One coefficient over one period. Frame i of a ramp uses cur + step*(i+1);
 * the last frame of a ramp uses exactly the target, and so does everything
 * after it, so no rounding error survives a ramp. */
INLINE void mix_path(struct wm_ramp *r, float *restrict y, const float *restrict x,
		     uint32_t frames)
{
	if (r->left_frames == 0) {
		if (r->cur != 0.0f)
			mac(y, x, r->cur, frames);
		return;
	}
	if (r->left_frames > frames) {
		mac_ramp(y, x, r->cur, r->step, frames);
		/* Anchored to the target rather than accumulated, so rounding
		 * does not build up over a long ramp in short periods; it
		 * differs from the last value used by an ulp at most. */
		r->left_frames -= frames;
		r->cur = r->target - r->step * (float)r->left_frames;
		return;
	}

	uint32_t n = r->left_frames;

	mac_ramp(y, x, r->cur, r->step, n - 1);
	r->cur = r->target;
	r->step = 0.0f;
	r->left_frames = 0;
	if (r->cur != 0.0f)
		mac(y + n - 1, x + n - 1, r->cur, frames - (n - 1));
}

/* Settled, non-zero paths into one output, waiting to be added together. */
#define GROUP 4

struct batch {
	int n;
	const float *x[GROUP];
	float g[GROUP];
};

INLINE void flush(struct batch *b, float *restrict y, uint32_t frames)
{
	switch (b->n) {
	case 1:
		mac(y, b->x[0], b->g[0], frames);
		break;
	case 2:
		mac2(y, b->x, b->g, frames);
		break;
	case 3:
		mac3(y, b->x, b->g, frames);
		break;
	case 4:
		mac4(y, b->x, b->g, frames);
		break;
	}
	b->n = 0;
}

_Static_assert(GROUP == 4, "mac4x2 takes the paths of 4 channels");

/* Are the GROUP channels' paths into both sides of a zone (coef[k * stride
 * + s]) all settled and sounding? Then mac4x2 takes them. A silent path is
 * skipped rather than multiplied by 0 (0 * inf would be a NaN). */
INLINE bool settled_nonzero(const struct wm_ramp *r, size_t stride)
{
	for (int k = 0; k < GROUP; k++)
		for (int s = 0; s < 2; s++) {
			const struct wm_ramp *p = &r[(size_t)k * stride + (size_t)s];

			if (p->left_frames != 0 || p->cur == 0.0f)
				return false;
		}
	return true;
}

WM_CLONES
static void dsp_mix_all(struct wm_ramp *coef, int channels, int zones,
			const int (*in_port)[2], const float *const *in,
			float *const *out, uint32_t frames)
{
	size_t stride = (size_t)zones * 2; /* coef[] distance between channels */

	for (int p = 0; p < 2 * zones; p++)
		memset(out[p], 0, frames * sizeof(float));

	/* GROUP channels at a time into every output. Their inputs stay in
	 * L1 across the zones, and so do the outputs of one period across
	 * groups. Each output still receives channels in ascending order, so
	 * grouping never changes a sample. */
	for (int c0 = 0; c0 < channels; c0 += GROUP) {
		int cn = channels - c0 < GROUP ? channels - c0 : GROUP;

		for (int z = 0; z < zones; z++) {
			struct wm_ramp *rz = &coef[(size_t)c0 * stride + (size_t)z * 2];

			if (cn == GROUP && settled_nonzero(rz, stride)) {
				const float *x[2 * GROUP];
				float g[2 * GROUP];

				for (int k = 0; k < 2 * GROUP; k++) {
					x[k] = in[in_port[c0 + k % GROUP][k / GROUP]];
					g[k] = rz[(size_t)(k % GROUP) * stride + (size_t)(k / GROUP)].cur;
				}
				mac4x2(out[(size_t)2 * z], out[(size_t)2 * z + 1], x, g, frames);
				continue;
			}
			for (int s = 0; s < 2; s++) {
				float *y = out[2 * z + s];
				struct wm_ramp *r = rz + s;
				struct batch b = { 0 };

				for (int k = 0; k < cn; k++, r += stride) {
					const float *x = in[in_port[c0 + k][s]];

					if (r->left_frames == 0) {
						if (r->cur != 0.0f) {
							b.x[b.n] = x;
							b.g[b.n++] = r->cur;
						}
						continue;
					}
					/* A ramping path goes in its place in the order. */
					flush(&b, y, frames);
					mix_path(r, y, x, frames);
				}
				flush(&b, y, frames);
			}
		}
	}
}

WM_RT void wm_dsp_mix_rt(struct wm_ramp *coef, int channels, int zones,
			 const int (*in_port)[2], const float *const *in,
			 float *const *out, uint32_t frames)
{
	dsp_mix_all(coef, channels, zones, in_port, in, out, frames);
}

/* The meter loop is written with GCC/Clang vector types: left to the
 * auto-vectoriser, sixteen float reductions are not vectorised without
 * -ffast-math (it will not reassociate them, and a float max must honour
 * NaN and -0). The types lower to whatever each clone has (2 x SSE, AVX). */
#define VL 8
typedef float vfloat __attribute__((vector_size(VL * sizeof(float))));
typedef int32_t vint __attribute__((vector_size(VL * sizeof(int32_t))));

/* |x| as the bit pattern of a positive float: for finite values and inf
 * its integer order is the float order, so the peak is an integer max
 * (and a signed one: the sign bit is clear). */
#define ABS_BITS 0x7fffffff
#define INF_BITS 0x7f800000

INLINE int32_t abs_bits(float x)
{
	int32_t u;

	memcpy(&u, &x, sizeof u);
	return u & ABS_BITS;
}

WM_CLONES
static void dsp_meter_all(const float *const *bufs, int nbufs, uint32_t offset,
		      uint32_t frames, float *peak, double *sumsq)
{
	for (int b = 0; b < nbufs; b++) {
		const float *x = bufs[b] + offset;
		vint pk0 = { 0 }, pk1 = { 0 };
		vfloat sq0 = { 0 }, sq1 = { 0 };
		uint32_t i = 0;

		/* Two accumulators of each kind to overlap add latency. Float
		 * lanes are exact enough for one meter interval; the interval
		 * total is kept in double. */
		for (; i + 2 * VL <= frames; i += 2 * VL) {
			vfloat a, c;

			memcpy(&a, x + i, sizeof a);
			memcpy(&c, x + i + VL, sizeof c);
			vint ua = (vint)a & ABS_BITS, uc = (vint)c & ABS_BITS;
			vint gta = ua > pk0, gtc = uc > pk1;

			pk0 = (ua & gta) | (pk0 & ~gta);
			pk1 = (uc & gtc) | (pk1 & ~gtc);
			sq0 += a * a;
			sq1 += c * c;
		}

		/* Fold the vectors first: this runs once per port per period,
		 * which for short periods costs as much as the loop above. */
		vint gt = pk1 > pk0;
		vint pk = (pk1 & gt) | (pk0 & ~gt);
		vfloat sq = sq0 + sq1;
		int32_t p = abs_bits(peak[b]);
		float fs = 0.0f;

		for (int j = 0; j < VL; j++) {
			p = pk[j] > p ? pk[j] : p;
			fs += sq[j];
		}
		for (; i < frames; i++) {
			int32_t a = abs_bits(x[i]);

			p = a > p ? a : p;
			fs += x[i] * x[i];
		}
		double s = fs;
		p = p > INF_BITS ? INF_BITS : p; /* a NaN shows as inf */
		memcpy(&peak[b], &p, sizeof p);
		sumsq[b] += s;
	}
}

WM_RT void wm_dsp_meter_rt(const float *const *bufs, int nbufs, uint32_t offset,
			   uint32_t frames, float *peak, double *sumsq)
{
	dsp_meter_all(bufs, nbufs, offset, frames, peak, sumsq);
}

const char *wm_dsp_isa(void)
{
#if WM_HAVE_CLONES
	/* Mirrors the order the ifunc resolver tries the clones in. */
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f"))
		return "avx512f";
	if (__builtin_cpu_supports("avx2"))
		return "avx2";
	return "default";
#else
	return "default (no runtime dispatch in this build)";
#endif
}
