/* ducker.h - one zone's ducking gain: goes down by the depth while a key is
 * active, stays down for the hold time after the key stops, then comes
 * back. The gain moves linearly in dB at the attack and release rates
 * (attack: 0 to -depth in attack_ms; release: -depth to 0 in release_ms)
 * and is handed out per frame, continuous and piecewise linear in
 * amplitude over short segments, so it never clicks.
 *
 * Threads: create/destroy on the control thread; the rest on the audio
 * thread (or a render worker), which owns the ducker. */
#ifndef WM_DUCKER_H
#define WM_DUCKER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "common/rt.h"
#include "engine/mix.h"

struct wm_ducker;

struct wm_ducker *wm_ducker_create(uint32_t rate_hz, const struct wm_duck_state *settings,
				   struct wm_err *err);
void wm_ducker_destroy(struct wm_ducker *ducker);

/* Audio thread: new settings from the next frame; a gain in motion
 * continues from where it is. */
WM_RT void wm_ducker_configure_rt(struct wm_ducker *ducker,
				  const struct wm_duck_state *settings);

/* Audio thread: advance frames (<= the caller's block) with the key active
 * or not over them, and write the linear gain for each frame into gain. */
WM_RT void wm_ducker_process_rt(struct wm_ducker *ducker, bool key_active,
				float *gain, uint32_t frames);

/* Audio thread: true when the gain is exactly 1 and will stay so while no
 * key is active (lets the engine skip work). */
WM_RT bool wm_ducker_idle_rt(const struct wm_ducker *ducker);

/* Audio thread: the lowest gain handed out since the last call, and start
 * a new interval. */
WM_RT float wm_ducker_take_min_gain_rt(struct wm_ducker *ducker);

#endif
