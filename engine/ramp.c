/* ramp.c - setting up gain ramps (the per-frame advance lives in dsp.c,
 * next to the kernels that apply it). Runs on the audio thread when
 * commands are applied; plain arithmetic, nothing that can block. */
#include "engine/ramp.h"

#include <math.h>

#include "engine/engine.h"

WM_RT uint32_t wm_ramp_frames(double ramp_ms, uint32_t rate_hz)
{
	if (!(ramp_ms >= 0.0))
		ramp_ms = WM_DEFAULT_RAMP_MS;
	if (ramp_ms > WM_MAX_RAMP_MS)
		ramp_ms = WM_MAX_RAMP_MS;
	return (uint32_t)lround(ramp_ms * rate_hz / 1000.0);
}

WM_RT void wm_ramp_set(struct wm_ramp *ramp, float value)
{
	ramp->cur = value;
	ramp->target = value;
	ramp->step = 0.0f;
	ramp->left_frames = 0;
}

WM_RT void wm_ramp_retarget(struct wm_ramp *ramp, float target, uint32_t frames)
{
	/* Recomputing a whole channel or zone re-sends unchanged targets;
	 * those must not disturb a ramp another command started. */
	if (target == ramp->target)
		return;
	if (frames == 0 || target == ramp->cur) {
		wm_ramp_set(ramp, target);
		return;
	}
	ramp->target = target;
	ramp->step = (target - ramp->cur) / (float)frames;
	ramp->left_frames = frames;
}
