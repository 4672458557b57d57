/* true_peak.c - the BS.1770-4 Annex 2 true-peak meter (true_peak.h).
 * Each channel keeps its last TAPS-1 samples in front of the block being
 * measured, so every interpolated value is a dot product over a contiguous
 * window, computed tap by tap across the block (a loop the compiler
 * vectorises at -O3, which render/CMakeLists.txt asks for). Runs on its owner's thread. */
#include "render/true_peak.h"

#include "common/clones.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TAPS 12
#define PHASES 4
#define BLOCK 1024
#define MAX_CHANNELS 8

/* Annex 2, table 1. An even-length filter: the four phases fall between
 * the samples, about 0.1, 0.35, 0.65 and 0.9 of a period along. */
static const float annex2[PHASES][TAPS] = {
	{ 0.0017089843750f, 0.0109863281250f, -0.0196533203125f, 0.0332031250000f,
	  -0.0594482421875f, 0.1373291015625f, 0.9721679687500f, -0.1022949218750f,
	  0.0476074218750f, -0.0266113281250f, 0.0148925781250f, -0.0083007812500f },
	{ -0.0291748046875f, 0.0292968750000f, -0.0517578125000f, 0.0891113281250f,
	  -0.1665039062500f, 0.4650878906250f, 0.7797851562500f, -0.2003173828125f,
	  0.1015625000000f, -0.0582275390625f, 0.0330810546875f, -0.0189208984375f },
	{ -0.0189208984375f, 0.0330810546875f, -0.0582275390625f, 0.1015625000000f,
	  -0.2003173828125f, 0.7797851562500f, 0.4650878906250f, -0.1665039062500f,
	  0.0891113281250f, -0.0517578125000f, 0.0292968750000f, -0.0291748046875f },
	{ -0.0083007812500f, 0.0148925781250f, -0.0266113281250f, 0.0476074218750f,
	  -0.1022949218750f, 0.9721679687500f, 0.1373291015625f, -0.0594482421875f,
	  0.0332031250000f, -0.0196533203125f, 0.0109863281250f, 0.0017089843750f },
};

struct wm_true_peak {
	unsigned channels;
	bool oversample;                   /* false at 192 kHz and up */
	float window[MAX_CHANNELS][TAPS - 1 + BLOCK];
	float acc[BLOCK];
	float peak[MAX_CHANNELS];
};

struct wm_true_peak *wm_true_peak_create(unsigned channels, unsigned rate, struct wm_err *err)
{
	if (channels < 1 || channels > MAX_CHANNELS || rate < 8000 || rate > 768000)
		return wm_err_set(err, WM_E_INTERNAL,
				  "true-peak meter: %u channels at %u Hz is not supported", channels,
				  rate),
		       NULL;
	struct wm_true_peak *tp = calloc(1, sizeof *tp);
	if (!tp)
		return wm_err_set(err, WM_E_INTERNAL, "out of memory for the true-peak meter"), NULL;
	tp->channels = channels;
	tp->oversample = rate < 192000;
	return tp;
}

void wm_true_peak_destroy(struct wm_true_peak *tp)
{
	free(tp);
}

static inline __attribute__((always_inline)) float block_max_abs(const float *x, size_t n)
{
	float m = 0.0f;
	for (size_t i = 0; i < n; i++) {
		float a = fabsf(x[i]);
		m = a > m ? a : m;
	}
	return m;
}

/* acc[i] = sum over k of h[k] * w[i + TAPS-1 - k]: tap by tap, so each
 * inner loop is a vector multiply-add over the block. */
static inline __attribute__((always_inline)) void interpolate(float *restrict acc, const float *restrict w, const float *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		acc[i] = h[0] * w[i + TAPS - 1];
	for (int k = 1; k < TAPS; k++) {
		const float hk = h[k];
		const float *restrict x = w + TAPS - 1 - k;
		for (size_t i = 0; i < n; i++)
			acc[i] += hk * x[i];
	}
}

/* w holds TAPS-1 old samples, then n new ones. */
WM_CLONES static float channel_block(struct wm_true_peak *tp, const float *w, size_t n)
{
	float peak = block_max_abs(w + TAPS - 1, n);
	for (int p = 0; tp->oversample && p < PHASES; p++) {
		interpolate(tp->acc, w, annex2[p], n);
		float m = block_max_abs(tp->acc, n);
		peak = m > peak ? m : peak;
	}
	return peak;
}

void wm_true_peak_add(struct wm_true_peak *tp, const float *frames, size_t count)
{
	while (count > 0) {
		size_t n = count < BLOCK ? count : BLOCK;
		for (unsigned c = 0; c < tp->channels; c++) {
			float *w = tp->window[c];
			for (size_t i = 0; i < n; i++)
				w[TAPS - 1 + i] = frames[i * tp->channels + c];
			float m = channel_block(tp, w, n);
			tp->peak[c] = m > tp->peak[c] ? m : tp->peak[c];
			memmove(w, w + n, (TAPS - 1) * sizeof w[0]);
		}
		frames += n * tp->channels;
		count -= n;
	}
}

double wm_true_peak_get(const struct wm_true_peak *tp, unsigned channel)
{
	return channel < tp->channels ? (double)tp->peak[channel] : 0.0;
}
