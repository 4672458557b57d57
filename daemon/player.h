/* player.h - the file players, one per channel. A disk-streaming thread
 * decodes files with libsndfile (and resamples them with libsamplerate when
 * their rate is not the engine's) into a per-channel ring of audio blocks
 * ahead of playback; the audio thread only takes blocks from the rings and
 * adds them to the channel's JACK input. Memory per channel is the ring
 * (buffer_ms of stereo audio) whatever the file's length.
 *
 * Threads: create/destroy/play/stop/get/poll run on the control thread;
 * the disk thread is internal; wm_players_*_rt run on the audio thread.
 * They meet only in SPSC rings and atomics. */
#ifndef WM_PLAYER_H
#define WM_PLAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "common/path.h"
#include "common/rt.h"

#define WM_PLAYER_MAX_FRAMES 4096      /* frames per wm_players_mix_rt call */
#define WM_PLAYER_BUFFER_MS_DEFAULT 1000.0
#define WM_PLAYER_BUFFER_MS_MIN 100.0
#define WM_PLAYER_BUFFER_MS_MAX 10000.0
#define WM_PLAYER_STOP_FADE_MS 10.0    /* a stop without a fade, a restart */

struct wm_players;

struct wm_players_config {
	int channels;                /* 1..WM_MAX_CHANNELS */
	const bool *mono;            /* per channel: one input port, not two */
	uint32_t sample_rate;        /* the engine's rate, Hz */
	const char *media_dir;       /* files are resolved beneath it */
	long long media_max_bytes;   /* larger files are refused; 0 = no limit */
	double buffer_ms;            /* read-ahead per channel; 0 = default */
};

enum wm_player_state {
	WM_PLAYER_IDLE,              /* never played */
	WM_PLAYER_STARTING,          /* accepted, first block not yet playing */
	WM_PLAYER_PLAYING,
	WM_PLAYER_STOPPING,          /* fading out after stop */
	WM_PLAYER_ENDED,             /* played to the end of the file */
	WM_PLAYER_STOPPED,           /* stopped by a client (or the daemon) */
	WM_PLAYER_ERROR,             /* could not go on reading; see error */
};

/* "idle", "starting", ... as on the wire. */
const char *wm_player_state_name(enum wm_player_state state);

struct wm_player_info {
	enum wm_player_state state;
	char file[WM_PATH_MAX];      /* as the client gave it; "" before any play */
	bool loop;
	double position_s;           /* seconds into the file (wraps when looping) */
	double length_s;             /* the file's length; < 0 when unknown (a pipe) */
	uint32_t file_rate;          /* Hz */
	int file_channels;
	uint64_t underrun_frames;    /* silence for want of data, this play */
	char error[WM_ERR_MSG_MAX];  /* WM_PLAYER_ERROR: what went wrong */
};

enum wm_player_event_kind {
	WM_PLAYER_EV_STARTED,        /* first frames went out (late_ms if late) */
	WM_PLAYER_EV_ENDED,          /* the file (not looping) played out */
	WM_PLAYER_EV_STOPPED,        /* a stop's fade finished, or a restart cut it */
	WM_PLAYER_EV_UNDERRUN,       /* the disk fell behind: frames of silence */
	WM_PLAYER_EV_ERROR,          /* reading failed mid-file; playback stopped */
};

struct wm_player_event {
	enum wm_player_event_kind kind;
	int ch;                      /* 0-based */
	char file[WM_PATH_MAX];
	double late_ms;              /* STARTED: beyond the promised two periods; 0 = on time */
	uint64_t frames;             /* UNDERRUN: frames of silence since the last report */
	char message[WM_ERR_MSG_MAX];/* ERROR (and ENDED early on a truncated file) */
};

struct wm_player_stats {
	uint64_t plays;              /* accepted play requests */
	uint64_t late_starts;
	uint64_t underruns;          /* underrun events */
	uint64_t underrun_frames;
	uint64_t read_errors;
	uint64_t command_drops;      /* audio-thread commands refused (ring full) */
};

/* Allocates every ring and buffer and starts the disk thread. */
struct wm_players *wm_players_create(const struct wm_players_config *config,
				     struct wm_err *err);
/* Stops the disk thread and closes every file. */
void wm_players_destroy(struct wm_players *players);

/* Control thread: play file (relative to the media folder) on channel ch
 * (0-based). Checked here, before the reply: the channel, the path
 * (wm_path_open_beneath), that it is an audio file libsndfile reads, that
 * it is not empty. Playing on a busy channel restarts it with the new file
 * (the old one fades out over WM_PLAYER_STOP_FADE_MS). The disk thread
 * pre-reads the first block at once, so playback starts within two periods
 * when the disk keeps up. */
int wm_players_play(struct wm_players *players, int ch, const char *file, bool loop,
		    struct wm_err *err);

/* Control thread: fade out over fade_ms (< 0: WM_PLAYER_STOP_FADE_MS; 0:
 * cut at the next period boundary) and stop. An idle channel is not an
 * error. */
int wm_players_stop(struct wm_players *players, int ch, double fade_ms,
		    struct wm_err *err);

/* Control thread: what channel ch's player is doing now. */
void wm_players_get(struct wm_players *players, int ch, struct wm_player_info *info);
void wm_players_get_stats(struct wm_players *players, struct wm_player_stats *stats);

/* Control thread: the next event, false when none is waiting. Call it
 * often (every meter tick); the state wm_players_get reports is updated
 * as events are taken. */
bool wm_players_poll(struct wm_players *players, struct wm_player_event *event);

/* Audio thread: the input buffers the engine should mix this period, one
 * per input port: in[] itself for channels whose player is silent, and for
 * playing channels a buffer holding in[] plus the player's audio (a mono
 * file feeds both sides of a stereo channel; a stereo file on a mono channel
 * is summed at -6 dB). frames <= WM_PLAYER_MAX_FRAMES. */
WM_RT const float *const *wm_players_mix_rt(struct wm_players *players,
					    const float *const *in, uint32_t frames);

/* Audio thread: whether channel ch's player put out audio in the last
 * wm_players_mix_rt (for state-keyed ducking). */
WM_RT bool wm_players_sounding_rt(const struct wm_players *players, int ch);

#endif
