/* mix.h - the whole mix as plain values: what a console shows and a scene
 * saves. The control thread owns the live copy; the engine keeps its own copy
 * on the realtime side, updated only through engine commands. Topology
 * (channel and zone counts, mono channels) is fixed when the daemon starts. */
#ifndef WM_MIX_H
#define WM_MIX_H

#include <stdbool.h>

#define WM_MAX_CHANNELS 256
#define WM_MAX_ZONES 32
#define WM_NAME_MAX 64 /* bytes, including the terminating NUL */

#define WM_DEFAULT_CHANNELS 8
#define WM_DEFAULT_ZONES 2

/* Gains at or below this many dB are silence (-inf). */
#define WM_GAIN_FLOOR_DB (-90.0)
#define WM_GAIN_MAX_DB 12.0

struct wm_channel_state {
	double gain_db;                    /* -INFINITY or -90..+12 */
	double pan;                        /* -1 left .. +1 right */
	bool mute;
	bool solo;
	double send_db[WM_MAX_ZONES];      /* channel -> zone level, dB */
	char name[WM_NAME_MAX];
};

struct wm_zone_state {
	double gain_db;                    /* -INFINITY or -90..+12 */
	bool mute;
	char name[WM_NAME_MAX];
};

struct wm_mix {
	int channels;                      /* 1..WM_MAX_CHANNELS */
	int zones;                         /* 1..WM_MAX_ZONES */
	bool mono[WM_MAX_CHANNELS];        /* topology: one input port, not two */
	struct wm_channel_state ch[WM_MAX_CHANNELS];
	struct wm_zone_state zone[WM_MAX_ZONES];
};

/* Defaults: every channel at 0 dB, centred, unmuted, sending 0 dB to every
 * zone; zones at 0 dB, unmuted; names "ch N" and "zone Z". A fresh daemon
 * therefore passes audio straight through. */
void wm_mix_init(struct wm_mix *mix, int channels, int zones, const bool *mono);

/* True when any channel is soloed (console convention: then only soloed
 * channels are heard). */
bool wm_mix_any_solo(const struct wm_mix *mix);

#endif
