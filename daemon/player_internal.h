/* player_internal.h - what the three sides of the file players share:
 * player.c (control thread), player_disk.c (the disk thread) and
 * player_rt.c (the audio thread). Not part of player.h's contract.
 *
 * Audio travels per channel as a pool of slots, each one block of
 * WM_PB_FRAMES stereo frames, and an SPSC ring of block headers (struct
 * wm_pblock, 16 bytes) naming which slot holds which block of which play.
 * The disk thread writes a slot, then pushes its header; the audio thread
 * pops a header and reads the slot in place. With `slots` = ring capacity
 * + 1, the slot the disk writes next is never one the audio thread may
 * still read: those are the slots of the headers in the ring (at most
 * capacity - 1 when the disk starts a slot, since it only starts one when
 * the ring has room) plus the slot of the one header the audio thread
 * popped last. So no sample is copied on the way, and discarding a stale
 * block is popping 16 bytes.
 *
 * Every play request gets a generation number (gen), increasing per
 * player. Blocks, commands and events carry it, so a restart or a stop can
 * never play, or report, a block of another play. */
#ifndef WM_PLAYER_INTERNAL_H
#define WM_PLAYER_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/player.h"
#include "engine/ring.h"

#define WM_PB_FRAMES 256           /* stereo frames per block */
#define WM_PB_DISCARD_MAX 512      /* block headers popped per channel per period, at most */
#define WM_PB_REQUESTS 64          /* control -> disk and control -> audio ring records */
#define WM_PB_DISK_EVENTS 64
#define WM_PB_FILE_CHANNELS_MAX 64
#define WM_PB_UNDERRUN_REPORT_MS 100.0
#define WM_PB_FADE_MS_MAX 60000.0  /* longest stop fade accepted */

enum wm_pblock_flags {
	WM_PB_END = 1u << 0,       /* the play's last block: nothing follows it */
	WM_PB_ERROR = 1u << 1,     /* ... and it ended because reading failed */
};

struct wm_pblock {
	uint32_t gen;
	uint32_t frames;           /* valid frames in the slot, 0..WM_PB_FRAMES */
	uint32_t flags;            /* enum wm_pblock_flags */
	uint32_t slot;             /* index into the channel's pool */
};

/* control -> disk: a new play for a channel. The disk thread owns sf and
 * src from the moment the push succeeds (closes and frees them). */
struct wm_disk_req {
	int ch;
	uint32_t gen;
	SNDFILE *sf;               /* opened with close_desc, so sf_close closes fd */
	int fd;                    /* the same file, for FIFO readiness checks */
	SRC_STATE *src;            /* NULL when the file is at the engine's rate */
	double ratio;              /* engine rate / file rate */
	int file_channels;
	int64_t frames;            /* as the header says; < 0 unknown */
	uint32_t frame_bytes;      /* FIFOs: bytes of one frame on the wire */
	bool loop;
	bool fifo;
};

/* control -> audio */
enum wm_audio_cmd_kind { WM_ACMD_PLAY, WM_ACMD_STOP };

struct wm_audio_cmd {
	enum wm_audio_cmd_kind kind;
	int ch;
	uint32_t gen;
	uint32_t fade_frames;      /* STOP: 0 cuts at the period boundary */
};

/* audio -> control. END covers ENDED and ERROR (flags WM_PB_ERROR). */
enum wm_audio_ev_kind { WM_AEV_STARTED, WM_AEV_END, WM_AEV_STOPPED, WM_AEV_UNDERRUN };

struct wm_audio_ev {
	enum wm_audio_ev_kind kind;
	int ch;
	uint32_t gen;
	uint32_t flags;            /* END: the last block's flags */
	uint64_t frames;           /* UNDERRUN: frames of silence; STARTED: frames late */
};

/* disk -> control: a sentence about how a play's reading ended (a read
 * error, a truncated file, a pipe that cannot loop). The audio thread's
 * END event for the same gen comes later and carries it to the client. */
struct wm_disk_ev {
	int ch;
	uint32_t gen;
	char msg[WM_ERR_MSG_MAX];
};

/* Written by one side, read by the others; all relaxed unless noted. */
struct wm_pshared {
	_Atomic uint32_t done_gen;     /* audio -> disk: plays <= this need no more blocks */
	_Atomic uint32_t pos_gen;      /* audio -> control: the play pos_frames counts */
	_Atomic uint64_t pos_frames;   /* frames of pos_gen put out so far */
	_Atomic uint64_t underrun_frames; /* of pos_gen */
	_Atomic uint64_t final;        /* gen << 8 | wm_player_state it finished in */
};

/* A channel's block pipe: the ring of headers and the pool of slots. */
struct wm_pblocks {
	struct wm_ring *ring;          /* producer: disk thread; consumer: audio thread */
	float *pool;                   /* slots * WM_PB_FRAMES * 2 floats */
	uint32_t capacity;             /* headers the ring holds */
	uint32_t slots;                /* capacity + 1 */
};

struct wm_players_ctl;             /* player.c */
struct wm_players_disk;            /* player_disk.c */
struct wm_players_rt;              /* player_rt.c */

struct wm_players {
	int channels;
	uint32_t rate;                 /* Hz */
	int ports;                     /* input ports over all channels */
	char media_dir[PATH_MAX];
	long long media_max_bytes;
	bool *mono;                    /* per channel */
	int *port0;                    /* per channel: its first input port */

	struct wm_pblocks *blocks;     /* per channel */
	struct wm_pshared *shared;     /* per channel */
	struct wm_ring *requests;      /* control -> disk (struct wm_disk_req) */
	struct wm_ring *commands;      /* control -> audio (struct wm_audio_cmd) */
	struct wm_ring *audio_events;  /* audio -> control (struct wm_audio_ev) */
	struct wm_ring *disk_events;   /* disk -> control (struct wm_disk_ev) */
	int wake_fd;                   /* eventfd: control -> disk "requests waiting" */
	atomic_bool quit;              /* control -> disk */

	struct wm_players_ctl *ctl;
	struct wm_players_disk *disk;
	struct wm_players_rt *rt;

	/* struct wm_player_stats, kept by the side that sees each event */
	_Atomic uint64_t plays, late_starts, underruns, underrun_frames, read_errors,
		command_drops;
};

static inline void wm_p_count(_Atomic uint64_t *counter, uint64_t n)
{
	atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

static inline float *wm_pblocks_slot(const struct wm_pblocks *b, uint32_t slot)
{
	return b->pool + (size_t)slot * WM_PB_FRAMES * 2;
}

/* player_disk.c: the disk thread's state and the thread itself. */
struct wm_players_disk *wm_players_disk_create(struct wm_players *p);
int wm_players_disk_start(struct wm_players *p, struct wm_err *err);
/* Tells the thread to quit, wakes it and joins it (never waits on a pipe). */
void wm_players_disk_stop(struct wm_players *p);
/* After the thread was told to quit and joined: closes what it held. */
void wm_players_disk_destroy(struct wm_players *p);
/* Frees what a request that never reached the disk thread owns. */
void wm_disk_req_release(struct wm_disk_req *req);

/* player_rt.c: the audio thread's state. */
struct wm_players_rt *wm_players_rt_create(const struct wm_players *p);
void wm_players_rt_destroy(struct wm_players_rt *rt);

#endif
