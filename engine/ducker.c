/* ducker.c - one zone's ducking gain: an envelope in dB that heads for
 * -depth while the key is active (and for the hold time after), then for
 * 0 dB, moving linearly in dB at depth/attack (down) and depth/release
 * (up). The gain handed out per frame is dB->linear evaluated at segment
 * ends (every <= SEGMENT frames, and where the envelope arrives or the
 * hold runs out) and interpolated linearly in amplitude inside, so there
 * is one exp() per segment, none per sample. At rest at 0 dB the gain is
 * exactly 1.0f.
 *
 * Threads: create/destroy on the control thread; the rest on the audio
 * thread (or a render worker), which owns the ducker. No allocation after
 * create, bounded work per frame. */
#include "engine/ducker.h"

#include <math.h>
#include <stdlib.h>

#define SEGMENT 32u                  /* frames between two exact dB->linear points */
#define LN10_OVER_20 0.11512925464970228420

struct wm_ducker {
	double frames_per_ms;
	/* Settings, in frames and dB. */
	double depth_db;             /* >= 0 */
	double attack_frames;        /* time to move by the span going down; 0 = jump */
	double release_frames;       /* the same going up */
	uint32_t hold_frames;
	/* State after the last frame handed out. */
	double env_db;               /* <= 0 */
	float env_gain;              /* linear gain of env_db; exactly 1 at 0 dB */
	double moving_span_db;       /* see span_db(); 0 once the envelope has arrived */
	uint32_t hold_left;          /* frames of hold still to run (key inactive) */
	float min_gain;              /* lowest gain handed out since the last take */
};

static float db_gain(double db)
{
	/* exp(0) is exactly 1: resting at 0 dB gives unity, bit for bit. */
	return (float)exp(db * LN10_OVER_20);
}

static double ms_frames(double ms, double frames_per_ms)
{
	return ms > 0.0 && isfinite(ms) ? ms * frames_per_ms : 0.0;
}

WM_RT void wm_ducker_configure_rt(struct wm_ducker *ducker,
				  const struct wm_duck_state *settings)
{
	struct wm_ducker *d = ducker;
	double depth = settings->depth_db;
	double hold = ms_frames(settings->hold_ms, d->frames_per_ms);

	d->depth_db = depth > 0.0 && isfinite(depth) ? depth : 0.0;
	d->attack_frames = ms_frames(settings->attack_ms, d->frames_per_ms);
	d->release_frames = ms_frames(settings->release_ms, d->frames_per_ms);
	d->hold_frames = hold < 4e9 ? (uint32_t)lround(hold) : 4000000000u;
	if (d->hold_left > d->hold_frames)
		d->hold_left = d->hold_frames;
	/* A gain in motion (or resting at the old depth) goes on from where
	 * it is; the distance it still has to cover sets the pace of this
	 * move if it is larger than the new depth, so a depth set to 0 while
	 * ducked still comes back up in the release time. */
	d->moving_span_db = -d->env_db;
}

struct wm_ducker *wm_ducker_create(uint32_t rate_hz, const struct wm_duck_state *settings,
				   struct wm_err *err)
{
	if (rate_hz == 0 || !settings) {
		wm_err_set(err, WM_E_INTERNAL, "ducker: needs a rate above 0 Hz and settings");
		return NULL;
	}

	struct wm_ducker *d = calloc(1, sizeof *d);

	if (!d) {
		wm_err_set(err, WM_E_INTERNAL, "ducker: out of memory");
		return NULL;
	}
	d->frames_per_ms = rate_hz / 1000.0;
	d->env_db = 0.0;
	d->env_gain = 1.0f;
	d->min_gain = 1.0f;
	wm_ducker_configure_rt(d, settings);
	return d;
}

void wm_ducker_destroy(struct wm_ducker *ducker)
{
	free(ducker);
}

WM_RT bool wm_ducker_idle_rt(const struct wm_ducker *ducker)
{
	return ducker->env_db == 0.0 && ducker->hold_left == 0;
}

WM_RT float wm_ducker_take_min_gain_rt(struct wm_ducker *ducker)
{
	float g = ducker->min_gain;

	ducker->min_gain = 1.0f;
	return g;
}

/* The dB that one attack (or release) time covers: the depth, or the
 * distance left over from a settings change if that is larger. */
static double span_db(const struct wm_ducker *d)
{
	return d->moving_span_db > d->depth_db ? d->moving_span_db : d->depth_db;
}

/* Move the envelope towards target over at most n frames; returns the
 * frames used (fewer than n when it arrives) and sets the new envelope. */
static uint32_t advance(struct wm_ducker *d, double target, uint32_t n)
{
	double time = target < d->env_db ? d->attack_frames : d->release_frames;
	double span = span_db(d);
	double dist = fabs(target - d->env_db);

	if (time > 0.0 && span > 0.0) {
		double rate = span / time; /* dB per frame */
		double need = ceil(dist / rate);

		if (need > (double)n) {
			d->env_db += target < d->env_db ? -rate * n : rate * n;
			return n;
		}
		n = need < 1.0 ? 1u : (uint32_t)need;
	}
	/* Arrived (or a zero time: a jump). */
	d->env_db = target;
	d->moving_span_db = 0.0;
	return n;
}

/* Fill n frames from g0 (the frame before) to g1 (the last frame), linear
 * in amplitude; the last frame is g1 itself, not a sum that rounds near it. */
static void ramp_fill(float *gain, float g0, float g1, uint32_t n)
{
	float step = (g1 - g0) / (float)n;

	for (uint32_t k = 0; k + 1 < n; k++)
		gain[k] = g0 + step * (float)(k + 1);
	gain[n - 1] = g1;
}

WM_RT void wm_ducker_process_rt(struct wm_ducker *ducker, bool key_active,
				float *gain, uint32_t frames)
{
	struct wm_ducker *d = ducker;
	float min_gain = d->min_gain;
	uint32_t done = 0;

	while (done < frames) {
		uint32_t n = frames - done;
		bool down = key_active || d->hold_left > 0;

		if (n > SEGMENT)
			n = SEGMENT;
		/* The target changes where the hold runs out: end the segment there. */
		if (!key_active && d->hold_left > 0 && n > d->hold_left)
			n = d->hold_left;

		double target = down ? -d->depth_db : 0.0;
		float g0 = d->env_gain;

		if (d->env_db == target) {
			for (uint32_t k = 0; k < n; k++)
				gain[done + k] = g0;
		} else {
			/* attack or release 0: straight to the target, no ramp. */
			bool jump = (target < d->env_db ? d->attack_frames : d->release_frames) <= 0.0;

			n = advance(d, target, n);
			d->env_gain = d->env_db == 0.0 ? 1.0f : db_gain(d->env_db);
			if (jump)
				for (uint32_t k = 0; k < n; k++)
					gain[done + k] = d->env_gain;
			else
				ramp_fill(gain + done, g0, d->env_gain, n);
		}
		if (!key_active && d->hold_left > 0)
			d->hold_left -= n;
		/* Monotonic within a segment: its ends hold its lowest value. */
		min_gain = gain[done] < min_gain ? gain[done] : min_gain;
		min_gain = gain[done + n - 1] < min_gain ? gain[done + n - 1] : min_gain;
		done += n;
	}
	/* The hold counts from the last active frame. */
	if (key_active)
		d->hold_left = d->hold_frames;
	d->min_gain = min_gain;
}
