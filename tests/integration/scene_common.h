/* scene_common.h - what the scene tests (check_scene*.c) share: a mix, that
 * is every channel and zone parameter of a daemon, which can be set through
 * the socket, read back with `list`, compared, and turned into the zone
 * outputs an ideal mixer gives for DC inputs; checks of scene files on disk
 * (valid JSON, a complete scene); small file helpers.
 *
 * The wm_t-style helpers fail the current Check test with the request, the
 * reply or the file in the message. Test thread only. */
#ifndef WM_T_SCENE_COMMON_H
#define WM_T_SCENE_COMMON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "tests/support/daemon_fixture.h"
#include "tests/support/sockclient.h"

#define SC_MAX_CH 16
#define SC_MAX_ZONES 4

struct sc_chan {
	double gain;                    /* dB, -INFINITY for -inf */
	double pan;
	bool mute, solo;
	double send[SC_MAX_ZONES];      /* dB into zone z + 1 */
	char name[64];
};

struct sc_zone {
	double gain;
	bool mute;
	char name[64];
};

struct sc_mix {
	int channels, zones;
	struct sc_chan ch[SC_MAX_CH];
	struct sc_zone zone[SC_MAX_ZONES];
};

/* dB to amplitude; -inf (and anything at or below -90) is 0. */
double sc_amp(double db);

/* A fresh daemon's mix: 0 dB, centred, nothing muted or soloed, every send
 * 0 dB, names "ch N" and "zone Z". */
void sc_mix_default(struct sc_mix *m, int channels, int zones);

/* A mix with every parameter away from its default (no solo), different
 * for every k: gains -1-k-c dB (channel 7 -inf), pans, mutes, sends and
 * names that vary with k. */
void sc_mix_varied(struct sc_mix *m, int channels, int zones, int k);

/* Set every parameter of m, gains with ramp_ms (< 0: the default ramp). */
void sc_mix_apply(struct wm_client *c, const struct sc_mix *m, int ramp_ms);

/* The daemon's mix as `list` shows it (m->channels and m->zones say how
 * many to read); fails when a path is missing or has the wrong type. */
void sc_mix_read(struct wm_client *c, struct sc_mix *m);

/* Compare channels [0, channels) and every zone. True when equal (gains
 * and sends within 1e-4 dB, pans within 1e-6); else why names the first
 * difference. */
bool sc_mix_equal(const struct sc_mix *got, const struct sc_mix *want, int channels,
		  char *why, size_t len);

/* Fail unless the daemon's mix equals want (every channel of want). */
void sc_mix_assert(struct wm_client *c, const struct sc_mix *want, const char *what);

/* What an ideal mixer puts on zone z (1-based), side 0 (L) or 1 (R), for
 * DC inputs in[ch][side] into stereo channels (balance law). */
double sc_mix_out(const struct sc_mix *m, const double in[][2], int z, int side);

/* DIR/state/REL of a daemon (static buffer, 4 used in turn). */
const char *sc_state(const struct wm_daemon *d, const char *rel);

/* Write text to path (replacing it); fails the test on error. */
void sc_write_file(const char *path, const char *text);

/* NULL when path is valid JSON and a complete scene for this topology:
 * format "washmix-scene", version 1, a name (when need_name), `channels`
 * ids 1..channels in order, each with name, gain, pan, mute, solo and
 * sends "1".."zones", `zones` ids 1..zones with name, gain and mute, all of
 * the right types. Otherwise a malloc'd sentence saying what is wrong. */
char *sc_scene_problem(const char *path, int channels, int zones, bool need_name);

/* The scene names of `scene list` (a new reference to the array; the test
 * fails unless the reply is ok with a "scenes" array). */
json_t *sc_scene_list(struct wm_client *c);

/* Delete every scene the daemon lists. */
void sc_delete_all_scenes(struct wm_client *c);

/* True when some string of the array contains needle. */
bool sc_strings_mention(const json_t *array, const char *needle);

/* A scene's dB field: number or "-inf"; NAN for anything else. */
double sc_json_db(const json_t *v);

#endif
