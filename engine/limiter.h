/* limiter.h - the safety limiter on one zone's stereo output: a lookahead
 * peak limiter whose output never exceeds its ceiling, whatever comes in.
 *
 * Stereo-linked (one gain for both sides, so the image does not move). The
 * gain needed by each incoming sample is known `lookahead` frames before
 * that sample leaves, so the gain can come down smoothly in time; after a
 * peak it recovers over the release time. A signal that never needs
 * reduction passes bit-exact, only delayed by the lookahead. A final clamp
 * at the ceiling makes the guarantee hold against rounding too.
 *
 * Threads: create/destroy on the control thread; everything else on the
 * audio thread (or a render worker), which owns the limiter. */
#ifndef WM_LIMITER_H
#define WM_LIMITER_H

#include <stdint.h>

#include "common/err.h"
#include "common/rt.h"

#define WM_LIMITER_LOOKAHEAD_MS 1.5
#define WM_LIMITER_RELEASE_MS 80.0

struct wm_limiter;

/* Lookahead and release are fixed at create (from the ms above and the
 * rate); the ceiling starts at ceiling_lin (linear, > 0). */
struct wm_limiter *wm_limiter_create(uint32_t rate_hz, float ceiling_lin,
				     struct wm_err *err);
void wm_limiter_destroy(struct wm_limiter *limiter);

/* Frames the output lags the input. */
uint32_t wm_limiter_latency_frames(const struct wm_limiter *limiter);

/* Audio thread: a new ceiling (linear, > 0) from the next frame. Samples
 * already inside the lookahead are held to it by the clamp. */
WM_RT void wm_limiter_set_ceiling_rt(struct wm_limiter *limiter, float ceiling_lin);

/* Audio thread: limit frames of left and right in place (the output is the
 * input of latency frames ago, times the gain). NaN in is silence out. */
WM_RT void wm_limiter_process_rt(struct wm_limiter *limiter, float *left, float *right,
				 uint32_t frames);

/* Audio thread: the lowest gain applied since the last call (1 = none),
 * and start a new interval. */
WM_RT float wm_limiter_take_min_gain_rt(struct wm_limiter *limiter);

#endif
