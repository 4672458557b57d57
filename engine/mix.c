/* mix.c - the mix as plain values: its defaults and the solo rule.
 * Pure functions on a struct wm_mix the caller owns; any thread may call
 * them on its own copy (the control thread's live mix, the engine's copy at
 * create time, a scene being loaded). Nothing here allocates. */
#include "engine/mix.h"

#include <stdio.h>
#include <string.h>

void wm_mix_init(struct wm_mix *mix, int channels, int zones, const bool *mono)
{
	memset(mix, 0, sizeof *mix);
	mix->channels = channels;
	mix->zones = zones;
	/* Every slot gets defaults, not only the configured ones, so a mix
	 * copied between topologies never carries garbage. */
	for (int c = 0; c < WM_MAX_CHANNELS; c++) {
		struct wm_channel_state *ch = &mix->ch[c];

		mix->mono[c] = mono && c < channels ? mono[c] : false;
		ch->gain_db = 0.0;
		ch->pan = 0.0;
		ch->mute = false;
		ch->solo = false;
		ch->duck = WM_DUCK_OFF;
		for (int z = 0; z < WM_MAX_ZONES; z++)
			ch->send_db[z] = 0.0;
		snprintf(ch->name, sizeof ch->name, "ch %d", c + 1);
	}
	for (int z = 0; z < WM_MAX_ZONES; z++) {
		struct wm_zone_state *zone = &mix->zone[z];

		zone->gain_db = 0.0;
		zone->mute = false;
		zone->limit_db = WM_LIMIT_DEFAULT_DB;
		snprintf(zone->name, sizeof zone->name, "zone %d", z + 1);
	}
	mix->duck = (struct wm_duck_state){
		.threshold_db = -40.0, .depth_db = 12.0, .attack_ms = 10.0,
		.hold_ms = 200.0, .release_ms = 300.0,
	};
}

bool wm_mix_any_solo(const struct wm_mix *mix)
{
	for (int c = 0; c < mix->channels && c < WM_MAX_CHANNELS; c++)
		if (mix->ch[c].solo)
			return true;
	return false;
}
