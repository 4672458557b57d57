/* ramp.h - one gain coefficient that never jumps: a linear ramp in
 * amplitude from where it is towards a target over a number of frames.
 * The state is plain floats so the mixing kernels can run over arrays of
 * them. Owned by the audio thread once the engine is created. */
#ifndef WM_RAMP_H
#define WM_RAMP_H

#include <stdint.h>

#include "common/rt.h"

struct wm_ramp {
	float cur;                   /* linear gain after the last frame mixed */
	float target;                /* linear gain the ramp ends at */
	float step;                  /* linear gain per frame while ramping */
	uint32_t left_frames;        /* frames still to ramp; 0 = settled, cur == target */
};

/* Frames for a ramp of ramp_ms at rate_hz: round(ms * rate / 1000).
 * ramp_ms < 0 or NaN means WM_DEFAULT_RAMP_MS; longer than WM_MAX_RAMP_MS
 * is clamped. 0 means jump. */
WM_RT uint32_t wm_ramp_frames(double ramp_ms, uint32_t rate_hz);

/* Settle at value at once (engine creation). */
WM_RT void wm_ramp_set(struct wm_ramp *ramp, float value);

/* Head for target over frames, starting from cur, so a ramp in progress
 * bends towards the new target without a step. frames 0 jumps. A target
 * equal to the one already aimed at leaves the ramp alone (even with
 * frames 0), so recomputing unchanged coefficients never disturbs them. */
WM_RT void wm_ramp_retarget(struct wm_ramp *ramp, float target, uint32_t frames);

#endif
