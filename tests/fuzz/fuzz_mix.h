/* fuzz_mix.h - the mix the command harnesses (fuzz_ctl, fuzz_osc) drive:
 * 8 channels (channel 3 mono) and 2 zones, an engine made once per process,
 * and a cheap snapshot of the part of the mix in use, to check that a
 * refused request changed nothing. Harness thread only. */
#ifndef WM_FUZZ_MIX_H
#define WM_FUZZ_MIX_H

#include <stdbool.h>

#include "engine/engine.h"
#include "engine/mix.h"

#define FUZZ_CHANNELS 8
#define FUZZ_ZONES 2

struct fuzz_snapshot {
	int channels, zones;
	struct wm_channel_state ch[FUZZ_CHANNELS];
	struct wm_zone_state zone[FUZZ_ZONES];
	struct wm_duck_state duck;
};

void fuzz_default_mix(struct wm_mix *mix);

/* The engine, made on first use (it faults in all its memory up front,
 * which would dominate a run if made per input). Aborts when it cannot be
 * made. */
struct wm_engine *fuzz_engine(void);

/* One short period of silence through the engine, as the JACK callback
 * would run it: applies and so empties its command ring. */
void fuzz_run_engine(void);

void fuzz_snapshot_take(const struct wm_mix *mix, struct fuzz_snapshot *snap);
bool fuzz_snapshot_same(const struct wm_mix *mix, const struct fuzz_snapshot *snap);

#endif
