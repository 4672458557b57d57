/* engine.h - the DSP core shared by the live daemon and offline renders.
 *
 * The engine mixes input ports (one per mono channel, two per stereo channel)
 * into zone outputs (two ports per zone: L, R). Every channel->zone path has
 * one gain coefficient per side, the product of channel gain, pan/balance,
 * mute/solo, send, zone gain and zone mute. Coefficients never jump: each
 * change ramps linearly in amplitude over the ramp given (default 20 ms), and a
 * ramp that gets a new target continues from the value it has reached.
 *
 * After the mix, each zone's ducked channels are scaled by the zone's ducking
 * gain (engine/ducker.h) and every zone passes its peak limiter
 * (engine/limiter.h), whose lookahead delays the outputs by
 * wm_engine_latency_frames().
 *
 * Threads: wm_engine_create/destroy, wm_engine_post and wm_engine_poll_meters
 * run on the control thread; wm_engine_process_rt on the audio thread (the
 * JACK process callback, or a render worker). The two talk only through two
 * SPSC rings: commands control->audio, meters audio->control. All memory is
 * allocated in wm_engine_create. */
#ifndef WM_ENGINE_H
#define WM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/rt.h"
#include "engine/mix.h"
#include "engine/params.h"

#define WM_DEFAULT_RAMP_MS 20.0
#define WM_MAX_RAMP_MS 600000.0  /* ten minutes: a closing-time fade */
#define WM_METER_RATE_HZ 30.0

struct wm_engine;

struct wm_engine_config {
	uint32_t sample_rate;        /* Hz */
	size_t command_capacity;     /* records in the command ring; 0 = default */
	double meter_rate_hz;        /* meter records per second; 0 = default 30 */
};

/* One parameter change for the audio thread. Only parameters that affect
 * audio are sent (names are not). Fader changes are sent as gain. */
struct wm_engine_cmd {
	struct wm_param_ref ref;
	float value;                 /* dB (may be -inf), pan, or 0/1 for bools */
	float ramp_ms;               /* < 0: the default ramp */
};

enum wm_meter_kind { WM_METER_CHANNEL, WM_METER_ZONE };

/* Levels over one meter interval, linear full scale (1.0 = 0 dBFS). Channel
 * meters are pre-fader (what arrives at the input); zone meters are the
 * zone outputs (what the speakers get). A mono channel fills both sides. */
struct wm_meter {
	uint32_t seq;                /* meter interval number, same for one sweep */
	uint8_t kind;                /* enum wm_meter_kind */
	uint16_t index;              /* 0-based channel or zone */
	float peak[2];               /* L, R */
	float rms[2];                /* L, R */
	/* Zones: the lowest gain each stage applied during the interval,
	 * linear (1 = no reduction). Channels: 1. */
	float limit_gain;            /* the zone limiter */
	float duck_gain;             /* ducking of the zone's ducked channels */
};

struct wm_engine_stats {
	uint64_t periods;            /* process calls */
	uint64_t frames;             /* frames processed */
	uint64_t commands;           /* commands applied on the audio side */
	uint64_t command_drops;      /* commands refused because the ring was full */
	uint64_t meter_drops;        /* meter records lost because control lagged */
};

/* The engine starts at exactly the state in `initial` (no ramps), which also
 * fixes the topology. Returns NULL and fills err on a bad config or ENOMEM. */
struct wm_engine *wm_engine_create(const struct wm_engine_config *config,
				   const struct wm_mix *initial, struct wm_err *err);
void wm_engine_destroy(struct wm_engine *engine);

int wm_engine_input_ports(const struct wm_engine *engine);
/* Frames every output lags its inputs: the zone limiters' lookahead. The
 * same for every zone and fixed at create, so JACK port latency can say it. */
uint32_t wm_engine_latency_frames(const struct wm_engine *engine);
int wm_engine_output_ports(const struct wm_engine *engine);
uint32_t wm_engine_sample_rate(const struct wm_engine *engine);

/* Control thread: queue commands; all n reach the audio thread in the same
 * period, or none does (ring full: returns -1, fills err with WM_E_BUSY and
 * counts the drop). */
int wm_engine_post(struct wm_engine *engine, const struct wm_engine_cmd *cmds,
		   size_t n, struct wm_err *err);

/* Control thread: take up to max meter records. */
size_t wm_engine_poll_meters(struct wm_engine *engine, struct wm_meter *out, size_t max);

/* Any thread: counters (relaxed reads). */
void wm_engine_get_stats(const struct wm_engine *engine, struct wm_engine_stats *stats);

/* Audio thread, before wm_engine_process_rt: whether channel ch is
 * playing a file in this period. A `key` channel that plays ducks the zones
 * it sends to at once, whatever its level (state key); a key without a file
 * ducks when its level crosses duck/threshold (level key). Out-of-range
 * channels are ignored. The flag stays until set again. */
WM_RT void wm_engine_set_playing_rt(struct wm_engine *engine, int ch, bool playing);

/* Audio thread: apply queued commands, then mix `frames` frames from
 * in[0..input_ports-1] into out[0..output_ports-1] (outputs are overwritten).
 * Bounded work per sample, no allocation, no locks, no syscalls. */
WM_RT void wm_engine_process_rt(struct wm_engine *engine, const float *const *in,
				float *const *out, uint32_t frames);

#endif
