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

/* Zone limiter ceiling, dBFS: the speakers never get a sample above it. */
#define WM_LIMIT_MIN_DB (-60.0)
#define WM_LIMIT_MAX_DB 0.0
#define WM_LIMIT_DEFAULT_DB (-1.0)

/* A channel's part in ducking: a key (voice) pulls the zones it sends to
 * down; a ducked channel (music) is what goes down. */
enum wm_duck_role { WM_DUCK_OFF, WM_DUCK_KEY, WM_DUCK_DUCKED, WM_DUCK_ROLES };

struct wm_channel_state {
	double gain_db;                    /* -INFINITY or -90..+12 */
	double pan;                        /* -1 left .. +1 right */
	bool mute;
	bool solo;
	enum wm_duck_role duck;
	double send_db[WM_MAX_ZONES];      /* channel -> zone level, dB */
	char name[WM_NAME_MAX];
};

struct wm_zone_state {
	double gain_db;                    /* -INFINITY or -90..+12 */
	bool mute;
	double limit_db;                   /* limiter ceiling, dBFS */
	char name[WM_NAME_MAX];
};

/* Ducking, one setting for every zone (each zone ducks on its own keys). */
struct wm_duck_state {
	double threshold_db;   /* a key louder than this (at the zone) ducks it */
	double depth_db;       /* how far ducked channels go down, >= 0 */
	double attack_ms;      /* from 0 to -depth */
	double hold_ms;        /* stay down this long after the key stops */
	double release_ms;     /* from -depth back to 0 */
};

struct wm_mix {
	int channels;                      /* 1..WM_MAX_CHANNELS */
	int zones;                         /* 1..WM_MAX_ZONES */
	bool mono[WM_MAX_CHANNELS];        /* topology: one input port, not two */
	struct wm_channel_state ch[WM_MAX_CHANNELS];
	struct wm_zone_state zone[WM_MAX_ZONES];
	struct wm_duck_state duck;
};

/* Defaults: every channel at 0 dB, centred, unmuted, not ducking, sending
 * 0 dB to every zone; zones at 0 dB, unmuted, limited at -1 dBFS; names
 * "ch N" and "zone Z"; ducking -40 dB threshold, 12 dB depth, 10 ms attack,
 * 200 ms hold, 300 ms release. A fresh daemon therefore passes audio
 * straight through (delayed by the limiter's lookahead). */
void wm_mix_init(struct wm_mix *mix, int channels, int zones, const bool *mono);

/* True when any channel is soloed (console convention: then only soloed
 * channels are heard). */
bool wm_mix_any_solo(const struct wm_mix *mix);

#endif
