/* player.c - the file players' control side (control thread): create and
 * destroy everything, check and open a file before a play is accepted,
 * hand it to the disk thread (player_disk.c) and the audio thread
 * (player_rt.c), and turn their events back into per-channel state.
 *
 * A play is checked completely here, before the reply: the path, that the
 * file is a regular file or a FIFO, not empty, an audio file libsndfile
 * reads, with 1..64 channels, at a rate we can convert. Then one request
 * goes to the disk thread (which owns the SNDFILE from there on) and one
 * command to the audio thread, both or neither: the rings' free space is
 * checked first, and only this thread fills them. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/player_internal.h"
#include "engine/mix.h"

#define WHAT "media folder"
#define RECENT 4               /* plays per channel whose events can still arrive */
#define FIFO_HEADER_MIN 12     /* bytes: RIFF/FORM + size + WAVE/AIFF */

struct play_rec {
	uint32_t gen;
	char file[WM_PATH_MAX];
	char msg[WM_ERR_MSG_MAX];  /* from the disk thread; "" none */
};

struct ctl_chan {
	struct wm_player_info info; /* of the newest play */
	uint32_t gen;               /* the newest play; 0 before any */
	struct play_rec recent[RECENT];
	int next;
};

struct wm_players_ctl {
	struct ctl_chan *chan;
	uint32_t next_gen;
};

static const char *const state_names[] = {
	[WM_PLAYER_IDLE] = "idle",         [WM_PLAYER_STARTING] = "starting",
	[WM_PLAYER_PLAYING] = "playing",   [WM_PLAYER_STOPPING] = "stopping",
	[WM_PLAYER_ENDED] = "ended",       [WM_PLAYER_STOPPED] = "stopped",
	[WM_PLAYER_ERROR] = "error",
};

const char *wm_player_state_name(enum wm_player_state state)
{
	if ((int)state < 0 || state > WM_PLAYER_ERROR)
		return "unknown";
	return state_names[state];
}

/* ---- create / destroy ------------------------------------------------ */

static int check_config(const struct wm_players_config *c, double *buffer_ms,
			struct wm_err *err)
{
	if (c->channels < 1 || c->channels > WM_MAX_CHANNELS)
		return wm_err_set(err, WM_E_OUT_OF_RANGE, "players: %d channels; 1..%d allowed",
				  c->channels, WM_MAX_CHANNELS);
	if (c->sample_rate < 1000 || c->sample_rate > 768000)
		return wm_err_set(err, WM_E_OUT_OF_RANGE,
				  "players: sample rate %u Hz; 1000..768000 allowed", c->sample_rate);
	if (!c->media_dir || !*c->media_dir || strlen(c->media_dir) >= PATH_MAX)
		return wm_err_set(err, WM_E_BAD_CONFIG, "players: no usable media folder given");
	*buffer_ms = c->buffer_ms == 0 ? WM_PLAYER_BUFFER_MS_DEFAULT : c->buffer_ms;
	if (!(*buffer_ms >= WM_PLAYER_BUFFER_MS_MIN && *buffer_ms <= WM_PLAYER_BUFFER_MS_MAX))
		return wm_err_set(err, WM_E_OUT_OF_RANGE,
				  "players: read-ahead %g ms; %g..%g ms allowed (0 = %g)", c->buffer_ms,
				  WM_PLAYER_BUFFER_MS_MIN, WM_PLAYER_BUFFER_MS_MAX,
				  WM_PLAYER_BUFFER_MS_DEFAULT);
	return 0;
}

static int create_blocks(struct wm_players *p, double buffer_ms)
{
	double frames = buffer_ms * p->rate / 1000.0;
	uint32_t capacity = (uint32_t)ceil(frames / WM_PB_FRAMES);

	if (capacity < 2)
		capacity = 2;
	p->blocks = calloc((size_t)p->channels, sizeof *p->blocks);
	if (!p->blocks)
		return -1;
	for (int ch = 0; ch < p->channels; ch++) {
		struct wm_pblocks *b = &p->blocks[ch];
		size_t bytes = (size_t)(capacity + 1) * WM_PB_FRAMES * 2 * sizeof(float);
		b->capacity = capacity;
		b->slots = capacity + 1;
		b->ring = wm_ring_create(sizeof(struct wm_pblock), capacity);
		b->pool = calloc(1, bytes);
		if (!b->ring || !b->pool)
			return -1;
		/* Best effort (RLIMIT_MEMLOCK): the audio thread reads these. */
		(void)mlock(b->pool, bytes);
	}
	return 0;
}

static int create_parts(struct wm_players *p, const struct wm_players_config *c,
			double buffer_ms)
{
	p->mono = calloc((size_t)p->channels, sizeof *p->mono);
	p->port0 = calloc((size_t)p->channels, sizeof *p->port0);
	p->shared = calloc((size_t)p->channels, sizeof *p->shared);
	if (!p->mono || !p->port0 || !p->shared)
		return -1;
	for (int ch = 0; ch < p->channels; ch++) {
		p->mono[ch] = c->mono && c->mono[ch];
		p->port0[ch] = p->ports;
		p->ports += p->mono[ch] ? 1 : 2;
	}
	if (create_blocks(p, buffer_ms) < 0)
		return -1;
	size_t events = (size_t)p->channels * 16 < 256 ? 256 : (size_t)p->channels * 16;
	p->requests = wm_ring_create(sizeof(struct wm_disk_req), WM_PB_REQUESTS);
	p->commands = wm_ring_create(sizeof(struct wm_audio_cmd), WM_PB_REQUESTS);
	p->audio_events = wm_ring_create(sizeof(struct wm_audio_ev), events);
	p->disk_events = wm_ring_create(sizeof(struct wm_disk_ev), WM_PB_DISK_EVENTS);
	if (!p->requests || !p->commands || !p->audio_events || !p->disk_events)
		return -1;
	p->ctl = calloc(1, sizeof *p->ctl);
	if (!p->ctl)
		return -1;
	p->ctl->chan = calloc((size_t)p->channels, sizeof *p->ctl->chan);
	p->rt = wm_players_rt_create(p);
	p->disk = wm_players_disk_create(p);
	if (!p->ctl->chan || !p->rt || !p->disk)
		return -1;
	for (int ch = 0; ch < p->channels; ch++)
		p->ctl->chan[ch].info.length_s = -1;
	return 0;
}

struct wm_players *wm_players_create(const struct wm_players_config *config,
				     struct wm_err *err)
{
	double buffer_ms = 0;
	if (check_config(config, &buffer_ms, err) < 0)
		return NULL;
	struct wm_players *p = calloc(1, sizeof *p);
	if (!p) {
		wm_err_set(err, WM_E_INTERNAL, "out of memory");
		return NULL;
	}
	p->channels = config->channels;
	p->rate = config->sample_rate;
	snprintf(p->media_dir, sizeof p->media_dir, "%s", config->media_dir);
	p->media_max_bytes = config->media_max_bytes;
	p->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->wake_fd < 0) {
		wm_err_set(err, WM_E_INTERNAL, "players: eventfd: %s", strerror(errno));
		wm_players_destroy(p);
		return NULL;
	}
	if (create_parts(p, config, buffer_ms) < 0) {
		wm_err_set(err, WM_E_INTERNAL, "players: out of memory for %d channels of %g ms",
			   p->channels, buffer_ms);
		wm_players_destroy(p);
		return NULL;
	}
	if (wm_players_disk_start(p, err) < 0) {
		wm_players_destroy(p);
		return NULL;
	}
	return p;
}

void wm_players_destroy(struct wm_players *p)
{
	if (!p)
		return;
	wm_players_disk_stop(p);
	/* Requests the disk thread never took still own their files. */
	struct wm_disk_req req;
	while (p->requests && wm_ring_pop(p->requests, &req))
		wm_disk_req_release(&req);
	wm_players_disk_destroy(p);
	wm_players_rt_destroy(p->rt);
	if (p->ctl)
		free(p->ctl->chan);
	free(p->ctl);
	for (int ch = 0; p->blocks && ch < p->channels; ch++) {
		struct wm_pblocks *b = &p->blocks[ch];
		wm_ring_destroy(b->ring);
		if (b->pool)
			(void)munlock(b->pool, (size_t)b->slots * WM_PB_FRAMES * 2 * sizeof(float));
		free(b->pool);
	}
	free(p->blocks);
	wm_ring_destroy(p->requests);
	wm_ring_destroy(p->commands);
	wm_ring_destroy(p->audio_events);
	wm_ring_destroy(p->disk_events);
	if (p->wake_fd >= 0)
		close(p->wake_fd);
	free(p->shared);
	free(p->port0);
	free(p->mono);
	free(p);
}

/* ---- opening a file -------------------------------------------------- */

/* Bytes of one sample on the wire for the encodings a FIFO may carry:
 * fixed-size frames, so whole frames can be counted in the pipe. 0 else. */
static uint32_t fixed_sample_bytes(int format)
{
	switch (format & SF_FORMAT_SUBMASK) {
	case SF_FORMAT_PCM_S8:
	case SF_FORMAT_PCM_U8:
	case SF_FORMAT_ULAW:
	case SF_FORMAT_ALAW:
		return 1;
	case SF_FORMAT_PCM_16:
		return 2;
	case SF_FORMAT_PCM_24:
		return 3;
	case SF_FORMAT_PCM_32:
	case SF_FORMAT_FLOAT:
		return 4;
	case SF_FORMAT_DOUBLE:
		return 8;
	default:
		return 0;
	}
}

/* fd: what wm_path_open_beneath gave (O_NONBLOCK). Closes it on error. */
static int check_kind(int fd, const char *file, bool *fifo, struct wm_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return wm_err_set(err, WM_E_IO, "%.200s: %s", file, strerror(errno));
	*fifo = S_ISFIFO(st.st_mode);
	if (S_ISDIR(st.st_mode))
		return wm_err_set(err, WM_E_BAD_FILE,
				  "%.200s: not a regular file (a folder); give an audio file in "
				  "the " WHAT, file);
	if (!S_ISREG(st.st_mode) && !*fifo)
		return wm_err_set(err, WM_E_BAD_FILE,
				  "%.200s: not a regular file; give an audio file in the " WHAT,
				  file);
	if (S_ISREG(st.st_mode) && st.st_size == 0)
		return wm_err_set(err, WM_E_BAD_FILE, "%.200s: the file is empty", file);
	int avail = 0;
	if (*fifo && (ioctl(fd, FIONREAD, &avail) < 0 || avail < FIFO_HEADER_MIN))
		return wm_err_set(err, WM_E_BAD_FILE,
				  "%.200s: nothing to read in the FIFO yet; start its writer (the "
				  "audio header first) before playing it", file);
	return 0;
}

static int check_info(const SF_INFO *info, const char *file, bool fifo, uint32_t rate,
		      struct wm_err *err)
{
	if (info->channels < 1 || info->channels > WM_PB_FILE_CHANNELS_MAX)
		return wm_err_set(err, WM_E_BAD_FILE, "%.200s: %d channels; 1..%d are supported",
				  file, info->channels, WM_PB_FILE_CHANNELS_MAX);
	if (info->frames <= 0)
		return wm_err_set(err, WM_E_BAD_FILE, "%.200s: no audio in the file", file);
	double ratio = info->samplerate > 0 ? (double)rate / info->samplerate : 0;
	if (!src_is_valid_ratio(ratio))
		return wm_err_set(err, WM_E_BAD_FILE,
				  "%.200s: a sample rate of %d Hz cannot be converted to %u Hz",
				  file, info->samplerate, rate);
	if (fifo && fixed_sample_bytes(info->format) == 0)
		return wm_err_set(err, WM_E_BAD_FILE,
				  "%.200s: a FIFO must carry uncompressed audio (PCM or float "
				  "WAV/AIFF/AU); FLAC, Ogg and other compressed formats need a "
				  "regular file", file);
	return 0;
}

/* Opens, checks and prepares file for the disk thread: req gets the
 * SNDFILE (which owns the fd), the resampler and what we know. */
static int open_play(struct wm_players *p, const char *file, struct wm_disk_req *req,
		     SF_INFO *info, struct wm_err *err)
{
	int fd = wm_path_open_beneath(p->media_dir, file, O_RDONLY | O_NONBLOCK, 0, WHAT, err);
	if (fd < 0)
		return -1;
	bool fifo = false;
	if (check_kind(fd, file, &fifo, err) < 0 ||
	    wm_path_check_size(fd, p->media_max_bytes, file, WHAT, err) < 0) {
		close(fd);
		return -1;
	}
	/* Still non-blocking: a FIFO with half a header fails here instead of
	 * blocking this thread. libsndfile owns fd from here (closed by
	 * sf_close, or by sf_open_fd itself when it fails). */
	memset(info, 0, sizeof *info);
	SNDFILE *sf = sf_open_fd(fd, SFM_READ, info, 1);
	if (!sf && fifo)
		return wm_err_set(err, WM_E_BAD_FILE,
				  "%.160s: no audio header readable from the FIFO (%s); a FIFO must "
				  "carry uncompressed audio (PCM or float WAV/AIFF/AU), header first",
				  file, sf_strerror(NULL));
	if (!sf)
		return wm_err_set(err, WM_E_BAD_FILE,
				  "%.200s: not an audio file libsndfile can read (%s)", file,
				  sf_strerror(NULL));
	*req = (struct wm_disk_req){ .sf = sf, .fd = fd, .fifo = fifo,
				     .file_channels = info->channels };
	if (check_info(info, file, fifo, p->rate, err) < 0) {
		wm_disk_req_release(req);
		return -1;
	}
	/* Regular files block normally on the disk thread; FIFOs stay
	 * non-blocking and are only read as far as they have data. */
	if (!fifo)
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	req->frames = fifo ? -1 : (int64_t)info->frames;
	req->frame_bytes = fixed_sample_bytes(info->format) * (uint32_t)info->channels;
	req->ratio = (double)p->rate / info->samplerate;
	if ((uint32_t)info->samplerate != p->rate) {
		int e = 0;
		req->src = src_new(SRC_SINC_MEDIUM_QUALITY, 2, &e);
		if (!req->src) {
			wm_disk_req_release(req);
			return wm_err_set(err, WM_E_INTERNAL, "%.200s: cannot start resampling (%s)",
					  file, src_strerror(e));
		}
	}
	return 0;
}

/* ---- play / stop ----------------------------------------------------- */

static int check_channel(const struct wm_players *p, int ch, struct wm_err *err)
{
	if (ch < 0 || ch >= p->channels)
		return wm_err_set(err, WM_E_OUT_OF_RANGE, "channel %d: channels are 1..%d", ch + 1,
				  p->channels);
	return 0;
}

static struct play_rec *find_play(struct ctl_chan *c, uint32_t gen)
{
	for (int i = 0; i < RECENT; i++)
		if (c->recent[i].gen == gen && gen != 0)
			return &c->recent[i];
	return NULL;
}

static void note_play(struct wm_players *p, int ch, uint32_t gen, const char *file, bool loop,
		      const SF_INFO *info, bool fifo)
{
	struct ctl_chan *c = &p->ctl->chan[ch];
	struct play_rec *rec = &c->recent[c->next];
	struct wm_player_info *in = &c->info;

	c->next = (c->next + 1) % RECENT;
	rec->gen = gen;
	snprintf(rec->file, sizeof rec->file, "%s", file);
	rec->msg[0] = '\0';
	c->gen = gen;
	memset(in, 0, sizeof *in);
	in->state = WM_PLAYER_STARTING;
	snprintf(in->file, sizeof in->file, "%s", file);
	in->loop = loop;
	in->length_s = fifo ? -1.0 : (double)info->frames / info->samplerate;
	in->file_rate = (uint32_t)info->samplerate;
	in->file_channels = info->channels;
}

static void wake_disk(struct wm_players *p)
{
	uint64_t one = 1;
	ssize_t w = write(p->wake_fd, &one, sizeof one);
	(void)w; /* only fails when the counter is about to overflow: awake anyway */
}

int wm_players_play(struct wm_players *p, int ch, const char *file, bool loop,
		    struct wm_err *err)
{
	if (check_channel(p, ch, err) < 0)
		return -1;
	struct wm_disk_req req = { 0 };
	SF_INFO info = { 0 };
	if (open_play(p, file, &req, &info, err) < 0)
		return -1;
	bool no_cmd_room = wm_ring_count(p->commands) >= WM_PB_REQUESTS;
	if (no_cmd_room || wm_ring_count(p->requests) >= WM_PB_REQUESTS) {
		if (no_cmd_room)
			wm_p_count(&p->command_drops, 1);
		wm_disk_req_release(&req);
		return wm_err_set(err, WM_E_BUSY,
				  "channel %d: too many play and stop requests waiting; try again",
				  ch + 1);
	}
	uint32_t gen = ++p->ctl->next_gen;
	req.ch = ch;
	req.gen = gen;
	req.loop = loop;
	struct wm_audio_cmd cmd = { .kind = WM_ACMD_PLAY, .ch = ch, .gen = gen };
	/* Both fit (checked above, and only this thread pushes). The disk's
	 * blocks may reach the audio thread before this command: it holds a
	 * block of a gen it has not heard of until the command comes. */
	(void)wm_ring_push(p->requests, &req, 1);
	(void)wm_ring_push(p->commands, &cmd, 1);
	wake_disk(p);
	note_play(p, ch, gen, file, loop, &info, req.fifo);
	wm_p_count(&p->plays, 1);
	return 0;
}

static bool is_live(enum wm_player_state s)
{
	return s == WM_PLAYER_STARTING || s == WM_PLAYER_PLAYING || s == WM_PLAYER_STOPPING;
}

static void reconcile(struct wm_players *p, int ch);

int wm_players_stop(struct wm_players *p, int ch, double fade_ms, struct wm_err *err)
{
	if (check_channel(p, ch, err) < 0)
		return -1;
	if (isnan(fade_ms) || fade_ms > WM_PB_FADE_MS_MAX)
		return wm_err_set(err, WM_E_OUT_OF_RANGE, "fade %g ms: fades are 0..%g ms", fade_ms,
				  WM_PB_FADE_MS_MAX);
	if (fade_ms < 0)
		fade_ms = WM_PLAYER_STOP_FADE_MS;
	reconcile(p, ch);
	struct ctl_chan *c = &p->ctl->chan[ch];
	if (!is_live(c->info.state))
		return 0; /* idle, or over already */
	uint32_t frames = 0;
	if (fade_ms > 0) {
		frames = (uint32_t)llround(fade_ms * p->rate / 1000.0);
		frames = frames ? frames : 1;
	}
	struct wm_audio_cmd cmd = { .kind = WM_ACMD_STOP, .ch = ch, .gen = c->gen,
				    .fade_frames = frames };
	if (!wm_ring_push(p->commands, &cmd, 1)) {
		wm_p_count(&p->command_drops, 1);
		return wm_err_set(err, WM_E_BUSY,
				  "channel %d: too many play and stop requests waiting; try again",
				  ch + 1);
	}
	c->info.state = WM_PLAYER_STOPPING;
	return 0;
}

/* ---- events and state ------------------------------------------------ */

static void take_disk_events(struct wm_players *p)
{
	struct wm_disk_ev ev;
	while (wm_ring_pop(p->disk_events, &ev)) {
		if (ev.ch < 0 || ev.ch >= p->channels)
			continue;
		struct play_rec *rec = find_play(&p->ctl->chan[ev.ch], ev.gen);
		if (rec)
			snprintf(rec->msg, sizeof rec->msg, "%s", ev.msg);
	}
}

/* "FILE: what the disk thread said", or a plain sentence when it said
 * nothing (its message was dropped, or there was none). */
static void end_message(const struct play_rec *rec, bool error, char *out, size_t len)
{
	const char *file = rec ? rec->file : "";
	if (rec && rec->msg[0])
		snprintf(out, len, "%.160s: %.150s", file, rec->msg); /* fits WM_ERR_MSG_MAX */
	else if (error)
		snprintf(out, len, "%.200s: reading the file failed", file);
	else
		out[0] = '\0';
}

static void set_final_state(struct ctl_chan *c, enum wm_player_state st,
			    const struct play_rec *rec)
{
	c->info.state = st;
	if (st == WM_PLAYER_ERROR)
		end_message(rec, true, c->info.error, sizeof c->info.error);
}

/* Catch up with what the audio thread published, for when an event was
 * dropped (full ring) or has not been polled yet. */
static void reconcile(struct wm_players *p, int ch)
{
	struct ctl_chan *c = &p->ctl->chan[ch];
	struct wm_pshared *sh = &p->shared[ch];

	if (!is_live(c->info.state))
		return;
	take_disk_events(p);
	uint64_t final = atomic_load_explicit(&sh->final, memory_order_acquire);
	if ((uint32_t)(final >> 8) == c->gen) {
		set_final_state(c, (enum wm_player_state)(final & 0xff), find_play(c, c->gen));
		return;
	}
	if (c->info.state == WM_PLAYER_STARTING &&
	    atomic_load_explicit(&sh->pos_gen, memory_order_acquire) == c->gen &&
	    atomic_load_explicit(&sh->pos_frames, memory_order_relaxed) > 0)
		c->info.state = WM_PLAYER_PLAYING;
}

static void translate(struct wm_players *p, const struct wm_audio_ev *ae,
		      struct wm_player_event *ev)
{
	struct ctl_chan *c = &p->ctl->chan[ae->ch];
	const struct play_rec *rec = find_play(c, ae->gen);
	bool current = ae->gen == c->gen;
	bool error = ae->flags & WM_PB_ERROR;

	memset(ev, 0, sizeof *ev);
	ev->ch = ae->ch;
	snprintf(ev->file, sizeof ev->file, "%s", rec ? rec->file : "");
	switch (ae->kind) {
	case WM_AEV_STARTED:
		ev->kind = WM_PLAYER_EV_STARTED;
		ev->late_ms = (double)ae->frames * 1000.0 / p->rate;
		if (current && c->info.state == WM_PLAYER_STARTING)
			c->info.state = WM_PLAYER_PLAYING;
		break;
	case WM_AEV_END:
		ev->kind = error ? WM_PLAYER_EV_ERROR : WM_PLAYER_EV_ENDED;
		end_message(rec, error, ev->message, sizeof ev->message);
		if (current && is_live(c->info.state))
			set_final_state(c, error ? WM_PLAYER_ERROR : WM_PLAYER_ENDED, rec);
		break;
	case WM_AEV_STOPPED:
		ev->kind = WM_PLAYER_EV_STOPPED;
		if (current && is_live(c->info.state))
			c->info.state = WM_PLAYER_STOPPED;
		break;
	case WM_AEV_UNDERRUN:
		ev->kind = WM_PLAYER_EV_UNDERRUN;
		ev->frames = ae->frames;
		break;
	}
}

bool wm_players_poll(struct wm_players *p, struct wm_player_event *event)
{
	struct wm_audio_ev ae;

	do {
		if (!wm_ring_pop(p->audio_events, &ae)) {
			take_disk_events(p);
			return false;
		}
	} while (ae.ch < 0 || ae.ch >= p->channels);
	/* The disk thread's sentence about a play is pushed before the block
	 * whose END this event reports, so it is in its ring by now. */
	take_disk_events(p);
	translate(p, &ae, event);
	return true;
}

void wm_players_get(struct wm_players *p, int ch, struct wm_player_info *info)
{
	memset(info, 0, sizeof *info);
	info->length_s = -1;
	if (ch < 0 || ch >= p->channels)
		return;
	reconcile(p, ch);
	struct ctl_chan *c = &p->ctl->chan[ch];
	struct wm_pshared *sh = &p->shared[ch];
	*info = c->info;
	if (c->gen == 0)
		return;
	/* gen, counters, gen again: the counters belong to this play only if
	 * the audio thread did not start another in between. */
	uint32_t g1 = atomic_load_explicit(&sh->pos_gen, memory_order_acquire);
	uint64_t frames = atomic_load_explicit(&sh->pos_frames, memory_order_relaxed);
	uint64_t under = atomic_load_explicit(&sh->underrun_frames, memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	uint32_t g2 = atomic_load_explicit(&sh->pos_gen, memory_order_relaxed);
	if (g1 != c->gen || g2 != c->gen)
		return;
	info->underrun_frames = under;
	info->position_s = (double)frames / p->rate;
	if (info->loop && info->length_s > 0)
		info->position_s = fmod(info->position_s, info->length_s);
}

void wm_players_get_stats(struct wm_players *p, struct wm_player_stats *stats)
{
	stats->plays = atomic_load_explicit(&p->plays, memory_order_relaxed);
	stats->late_starts = atomic_load_explicit(&p->late_starts, memory_order_relaxed);
	stats->underruns = atomic_load_explicit(&p->underruns, memory_order_relaxed);
	stats->underrun_frames = atomic_load_explicit(&p->underrun_frames, memory_order_relaxed);
	stats->read_errors = atomic_load_explicit(&p->read_errors, memory_order_relaxed);
	stats->command_drops = atomic_load_explicit(&p->command_drops, memory_order_relaxed);
}
