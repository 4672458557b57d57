/* fuzz_mix.c - the mix, engine and snapshots of the command harnesses
 * (fuzz_mix.h). Harness thread only. */
#include "tests/fuzz/fuzz_mix.h"

#include <string.h>

#include "tests/fuzz/fuzz.h"

#define FRAMES 16

void fuzz_default_mix(struct wm_mix *mix)
{
	/* wm_mix_init sets up all WM_MAX_CHANNELS channels: once is enough. */
	static struct wm_mix template;
	static bool made;
	if (!made) {
		bool mono[WM_MAX_CHANNELS] = { false };
		mono[2] = true;
		wm_mix_init(&template, FUZZ_CHANNELS, FUZZ_ZONES, mono);
		made = true;
	}
	memcpy(mix, &template, sizeof *mix);
}

struct wm_engine *fuzz_engine(void)
{
	static struct wm_engine *engine;
	static struct wm_mix mix;
	if (!engine) {
		struct wm_engine_config ec = { .sample_rate = 48000 };
		struct wm_err err = { 0 };
		fuzz_default_mix(&mix);
		engine = wm_engine_create(&ec, &mix, &err);
		FUZZ_CHECK(engine, "cannot create the engine: %s", err.msg);
	}
	return engine;
}

void fuzz_run_engine(void)
{
	static float in[2 * FUZZ_CHANNELS][FRAMES], out[2 * FUZZ_ZONES][FRAMES];
	const float *ins[2 * FUZZ_CHANNELS];
	float *outs[2 * FUZZ_ZONES];
	for (int i = 0; i < 2 * FUZZ_CHANNELS; i++)
		ins[i] = in[i];
	for (int i = 0; i < 2 * FUZZ_ZONES; i++)
		outs[i] = out[i];
	wm_engine_process_rt(fuzz_engine(), ins, outs, FRAMES);
}

void fuzz_snapshot_take(const struct wm_mix *mix, struct fuzz_snapshot *snap)
{
	snap->channels = mix->channels;
	snap->zones = mix->zones;
	memcpy(snap->ch, mix->ch, sizeof snap->ch);
	memcpy(snap->zone, mix->zone, sizeof snap->zone);
	memcpy(&snap->duck, &mix->duck, sizeof snap->duck);
}

bool fuzz_snapshot_same(const struct wm_mix *mix, const struct fuzz_snapshot *snap)
{
	return snap->channels == mix->channels && snap->zones == mix->zones &&
	       memcmp(snap->ch, mix->ch, sizeof snap->ch) == 0 &&
	       memcmp(snap->zone, mix->zone, sizeof snap->zone) == 0 &&
	       memcmp(&snap->duck, &mix->duck, sizeof snap->duck) == 0;
}
