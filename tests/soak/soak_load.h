/* soak_load.h - the soak's workload against one running washmixd: an OSC
 * flood from two sources, a socket client doing set/get, a scene recall
 * every second, players starting and stopping, renders in the background.
 * Each runs on a thread of its own from soak_load_start until
 * soak_load_stop, which joins them, closes their connections and adds what
 * they counted to a soak_counts.
 *
 * The workers share no parameter: OSC source 1 drives ch/1..16, source 2
 * ch/17..32, the set/get client ch/33..48, the scenes ch/49..64 only (the
 * scene files name no other channel), so every value read back has exactly
 * one writer and a mismatch is a daemon fault, not a race of the test. */
#ifndef WM_SOAK_LOAD_H
#define WM_SOAK_LOAD_H

#include <stddef.h>

#define SOAK_OSC_SOURCES 2
#define SOAK_SCENE_FIRST_CH 49
#define SOAK_SCENE_CHANNELS 16
#define SOAK_PLAYER_CHANNELS 8
#define SOAK_RENDER_VARIANTS 3
#define SOAK_TONE_FILES 3

struct soak_target {
	const char *sock;       /* control socket */
	int osc_port;           /* washmixd's UDP port */
	int osc_rate;           /* messages a second per OSC source */
	int setget_rate;        /* set+get pairs a second */
	int render_every_ms;
	int stall_ms;           /* > 0: after every recall, `debug stall-engine MS`
				 * (a test build started with WASHMIX_TEST_HOOKS=1):
				 * proves the xrun blame counting sees a slow callback */
};

/* What the workers did; soak_load_stop adds to it (zero it first). */
struct soak_counts {
	long osc_sent[SOAK_OSC_SOURCES];
	long osc_error_replies;          /* /error answers to the flood */
	long osc_final_checked, osc_final_wrong;
	long setget_pairs, setget_wrong;
	long recalls, recall_values_checked, recall_wrong;
	long plays, stops, player_wrong;
	long renders_submitted, renders_done, renders_failed, renders_cached;
	long request_failures;           /* timeouts, closed connections, error replies */
	char first_problem[600];
};

struct soak_load;

/* Start every worker. NULL with err filled when a connection fails. */
struct soak_load *soak_load_start(const struct soak_target *t, char *err, size_t errlen);

/* Stop and join the workers, have each OSC source set its channels to a
 * final value and check it over the socket, add the counts to *out, free. */
void soak_load_stop(struct soak_load *l, struct soak_counts *out);

/* The scene files and media the workers use, written into the daemon's
 * state folder before it starts (state/scenes, state/media). 0 or -1. */
int soak_write_scenes(const char *state_dir, char *err, size_t errlen);
void soak_write_media(const char *media_dir);

#endif
