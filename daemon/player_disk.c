/* player_disk.c - the disk thread of the file players ("wm-disk", a normal
 * thread, never realtime). It owns every open SNDFILE and SRC_STATE from
 * the moment a play request reaches it, decodes files in large reads into a
 * per-channel stage (stereo, at the file's rate), resamples on this thread
 * only, and writes blocks straight into the channel's pool slots (see
 * player_internal.h for why a slot is free to write).
 *
 * It sleeps in poll(2) on an eventfd the control thread writes after a
 * request, with a timeout: the audio thread never wakes anyone (no syscalls
 * there), so rings it has drained are refilled on the next tick, at most
 * IDLE_WAIT_MS later. While a ring still holds blocks of an older play
 * ahead of the current one's (a restart), the audio thread is about to
 * drop them all at once and the new play needs its blocks right behind:
 * then the tick is START_WAIT_MS. A play is dropped here when the audio thread says it needs no
 * more of it (shared done_gen), when its file ends, or when a newer play
 * replaces it.
 *
 * FIFOs: a read never blocks this thread. The descriptor stays O_NONBLOCK
 * and only whole frames that FIONREAD says are in the pipe are asked of
 * libsndfile, which reads uncompressed data exactly as asked (play() only
 * accepts fixed-size frames on a FIFO). A stalled writer is an underrun,
 * a closed one (POLLHUP, pipe empty) the end of the file, and a quit never
 * waits on a pipe. */
#define _GNU_SOURCE /* pthread_setname_np */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "daemon/player_internal.h"

#define STAGE_FRAMES 4096          /* one read, in frames: large reads, few syscalls */
#define RAW_SAMPLES 16384          /* interleaved samples of one read before down-mix */
#define PREREAD_BLOCKS 4           /* read at once for a new play, before anything else */
#define FILL_BLOCKS_PER_PASS 16    /* per channel per pass: channels take turns */
#define IDLE_WAIT_MS 10
#define START_WAIT_MS 1

struct disk_chan {
	bool active;
	struct wm_disk_req play;       /* sf, src and what we know of the file */
	float *stage;                  /* STAGE_FRAMES stereo frames at the file's rate */
	uint32_t stage_pos, stage_len;
	int64_t pass_frames;           /* read since the start or the last loop */
	bool input_done;               /* nothing more to read: flush and end */
	bool drained;                  /* ... and nothing more will come out */
	uint32_t end_flags;            /* WM_PB_ERROR when reading failed */
	uint32_t next_slot;            /* pool slot of the block being built */
	uint32_t fill;                 /* frames already in it */
	uint32_t pushed;               /* blocks of this play pushed (saturates) */
};

struct wm_players_disk {
	pthread_t thread;
	bool started;
	struct disk_chan *chan;
	float raw[RAW_SAMPLES];
};

void wm_disk_req_release(struct wm_disk_req *req)
{
	if (req->sf)
		sf_close(req->sf); /* closes req->fd too */
	if (req->src)
		src_delete(req->src);
	req->sf = NULL;
	req->src = NULL;
}

struct wm_players_disk *wm_players_disk_create(struct wm_players *p)
{
	struct wm_players_disk *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->chan = calloc((size_t)p->channels, sizeof *d->chan);
	if (!d->chan) {
		free(d);
		return NULL;
	}
	for (int ch = 0; ch < p->channels; ch++) {
		d->chan[ch].stage = calloc((size_t)STAGE_FRAMES * 2, sizeof(float));
		if (!d->chan[ch].stage) {
			p->disk = d;
			wm_players_disk_destroy(p);
			return NULL;
		}
	}
	return d;
}

static void chan_close(struct disk_chan *c)
{
	if (c->active)
		wm_disk_req_release(&c->play);
	c->active = false;
}

void wm_players_disk_destroy(struct wm_players *p)
{
	struct wm_players_disk *d = p->disk;
	if (!d)
		return;
	for (int ch = 0; ch < p->channels; ch++) {
		chan_close(&d->chan[ch]);
		free(d->chan[ch].stage);
	}
	free(d->chan);
	free(d);
	p->disk = NULL;
}

/* A sentence for the control thread about how play gen ended. */
__attribute__((format(printf, 4, 5))) static void tell(struct wm_players *p, int ch,
							uint32_t gen, const char *fmt, ...)
{
	struct wm_disk_ev ev = { .ch = ch, .gen = gen };
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ev.msg, sizeof ev.msg, fmt, ap);
	va_end(ap);
	(void)wm_ring_push(p->disk_events, &ev, 1); /* full: counted; END still comes */
}

static void read_failed(struct wm_players *p, int ch, struct disk_chan *c, const char *why)
{
	wm_p_count(&p->read_errors, 1);
	/* file rate = engine rate / ratio */
	tell(p, ch, c->play.gen, "reading failed after %.1f s of the file: %s",
	     (double)c->pass_frames * c->play.ratio / p->rate, why);
	c->input_done = true;
	c->end_flags |= WM_PB_ERROR;
}

/* Whole frames waiting in a FIFO; *hup when the writer is gone. POLLHUP
 * is looked at first, so data written just before the close is counted. */
static uint32_t fifo_frames(const struct disk_chan *c, bool *hup)
{
	struct pollfd pfd = { .fd = c->play.fd, .events = POLLIN };
	int avail = 0;

	*hup = poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP);
	if (ioctl(c->play.fd, FIONREAD, &avail) < 0 || avail < 0)
		avail = 0;
	return (uint32_t)avail / c->play.frame_bytes;
}

/* Interleaved file frames -> stereo: mono feeds both sides, stereo is as
 * it is, more channels give their first two (front left/right in every
 * common layout). */
static void to_stereo(float *dst, const float *src, uint32_t frames, int fch)
{
	if (fch == 1) {
		for (size_t i = 0; i < frames; i++)
			dst[2 * i] = dst[2 * i + 1] = src[i];
		return;
	}
	for (size_t i = 0; i < frames; i++) {
		dst[2 * i] = src[i * (size_t)fch];
		dst[2 * i + 1] = src[i * (size_t)fch + 1];
	}
}

/* End of the file's data: loop back, or note why it ended early. */
static void at_eof(struct wm_players *p, int ch, struct disk_chan *c)
{
	const struct wm_disk_req *r = &c->play;

	if (!r->fifo && r->frames > 0 && c->pass_frames < r->frames) {
		wm_p_count(&p->read_errors, 1);
		tell(p, ch, r->gen,
		     "ended early: %lld of the %lld frames the header promises were there "
		     "(the file was cut short?)", (long long)c->pass_frames, (long long)r->frames);
		c->input_done = true;
		return;
	}
	if (!r->loop || c->pass_frames == 0) {
		c->input_done = true;
		return;
	}
	if (r->fifo) {
		tell(p, ch, r->gen, "a FIFO cannot loop (it cannot go back to the start); "
				    "it played once");
		c->input_done = true;
		return;
	}
	if (sf_seek(r->sf, 0, SEEK_SET) < 0) {
		tell(p, ch, r->gen, "cannot go back to the start to loop (%s); it played once",
		     sf_strerror(r->sf));
		c->input_done = true;
		return;
	}
	c->pass_frames = 0;
}

/* One large read into the stage. Returns the frames read; 0 with
 * input_done false means "nothing yet" (a FIFO) or "looped, read again". */
static uint32_t read_input(struct wm_players *p, int ch, struct disk_chan *c)
{
	const struct wm_disk_req *r = &c->play;
	uint32_t want = STAGE_FRAMES;

	if (r->file_channels != 2 && want > RAW_SAMPLES / (uint32_t)r->file_channels)
		want = RAW_SAMPLES / (uint32_t)r->file_channels;
	if (r->fifo) {
		bool hup;
		uint32_t avail = fifo_frames(c, &hup);
		if (avail == 0) {
			if (hup)
				at_eof(p, ch, c);
			return 0;
		}
		if (want > avail)
			want = avail;
	}
	float *buf = r->file_channels == 2 ? c->stage : p->disk->raw;
	sf_count_t got = sf_readf_float(r->sf, buf, want);
	if (got < 0)
		got = 0;
	if (sf_error(r->sf) != SF_ERR_NO_ERROR)
		read_failed(p, ch, c, sf_strerror(r->sf));
	else if (got == 0)
		at_eof(p, ch, c);
	if (r->file_channels != 2)
		to_stereo(c->stage, buf, (uint32_t)got, r->file_channels);
	c->stage_pos = 0;
	c->stage_len = (uint32_t)got;
	c->pass_frames += got;
	return (uint32_t)got;
}

/* Make sure the stage has frames, unless the input is over or waiting. */
static bool stage_ready(struct wm_players *p, int ch, struct disk_chan *c)
{
	/* Twice: a loop's seek leaves the stage empty, then the read refills. */
	for (int attempt = 0; attempt < 2 && c->stage_pos == c->stage_len; attempt++) {
		if (c->input_done)
			return false;
		if (read_input(p, ch, c) == 0 && !c->input_done && !c->play.loop)
			return false;
	}
	return c->stage_pos < c->stage_len;
}

static uint32_t produce_plain(struct wm_players *p, int ch, struct disk_chan *c, float *out,
			      uint32_t want)
{
	if (!stage_ready(p, ch, c)) {
		c->drained = c->input_done;
		return 0;
	}
	uint32_t n = c->stage_len - c->stage_pos;
	if (n > want)
		n = want;
	memcpy(out, c->stage + (size_t)c->stage_pos * 2, (size_t)n * 2 * sizeof(float));
	c->stage_pos += n;
	return n;
}

/* Through libsamplerate, never reset between loops, so a loop's seam is
 * as continuous as the file's own samples. */
static uint32_t produce_resampled(struct wm_players *p, int ch, struct disk_chan *c,
				  float *out, uint32_t want)
{
	for (int attempt = 0; attempt < 4; attempt++) {
		bool have = stage_ready(p, ch, c);
		if (!have && !c->input_done)
			return 0; /* a FIFO with nothing in it yet */
		SRC_DATA data = {
			.data_in = c->stage + (size_t)c->stage_pos * 2,
			.data_out = out,
			.input_frames = (long)(c->stage_len - c->stage_pos),
			.output_frames = (long)want,
			.end_of_input = c->input_done,
			.src_ratio = c->play.ratio,
		};
		int e = src_process(c->play.src, &data);
		if (e != 0) {
			read_failed(p, ch, c, src_strerror(e));
			c->drained = true;
			return 0;
		}
		c->stage_pos += (uint32_t)data.input_frames_used;
		if (data.output_frames_gen > 0)
			return (uint32_t)data.output_frames_gen;
		if (c->input_done && c->stage_pos == c->stage_len) {
			c->drained = true; /* the resampler's tail is out too */
			return 0;
		}
	}
	return 0;
}

static void push_block(struct wm_players *p, int ch, struct disk_chan *c, uint32_t flags)
{
	struct wm_pblocks *b = &p->blocks[ch];
	struct wm_pblock h = { .gen = c->play.gen, .frames = c->fill, .flags = flags,
			       .slot = c->next_slot };
	/* Cannot fail: the slot was started with the ring below capacity, and
	 * only this thread adds to it. */
	(void)wm_ring_push(b->ring, &h, 1);
	c->next_slot = (c->next_slot + 1) % b->slots;
	c->fill = 0;
	if (c->pushed < UINT32_MAX)
		c->pushed++;
}

/* Up to max_blocks blocks into channel ch's ring. Returns how many. */
static int fill_channel(struct wm_players *p, int ch, int max_blocks)
{
	struct disk_chan *c = &p->disk->chan[ch];
	struct wm_pblocks *b = &p->blocks[ch];
	int pushed = 0;

	while (c->active && pushed < max_blocks) {
		if (c->fill == 0 && wm_ring_count(b->ring) >= b->capacity)
			break;
		/* Pairs with the audio thread's pop: its reads of this slot
		 * finished before it moved past the slot's header. */
		atomic_thread_fence(memory_order_acquire);
		float *dst = wm_pblocks_slot(b, c->next_slot) + (size_t)c->fill * 2;
		uint32_t want = WM_PB_FRAMES - c->fill;
		uint32_t n = c->play.src ? produce_resampled(p, ch, c, dst, want)
					 : produce_plain(p, ch, c, dst, want);
		c->fill += n;
		if (c->drained) {
			push_block(p, ch, c, WM_PB_END | c->end_flags);
			chan_close(c);
			return pushed + 1;
		}
		if (c->fill == WM_PB_FRAMES) {
			push_block(p, ch, c, 0);
			pushed++;
		} else if (n == 0) {
			/* A FIFO waiting for its writer: what came is played now
			 * rather than held back until a whole block is there. */
			if (c->fill > 0) {
				push_block(p, ch, c, 0);
				pushed++;
			}
			break;
		}
	}
	return pushed;
}

static void begin_play(struct wm_players *p, const struct wm_disk_req *req)
{
	struct disk_chan *c = &p->disk->chan[req->ch];

	chan_close(c); /* a restart: the old play's blocks are discarded by gen */
	c->play = *req;
	c->active = true;
	c->stage_pos = c->stage_len = 0;
	c->pass_frames = 0;
	c->input_done = c->drained = false;
	c->end_flags = 0;
	c->fill = 0; /* a half-built block of the old play is simply overwritten */
	c->pushed = 0;
	/* Stopped before it reached us: nothing to read. */
	if (req->gen <= atomic_load_explicit(&p->shared[req->ch].done_gen, memory_order_relaxed)) {
		chan_close(c);
		return;
	}
	fill_channel(p, req->ch, PREREAD_BLOCKS);
}

static void take_requests(struct wm_players *p)
{
	struct wm_disk_req req;
	while (wm_ring_pop(p->requests, &req))
		begin_play(p, &req);
}

/* Does channel ch's ring hold another play's blocks ahead of ours? The
 * ring holds the last `count` headers pushed; more than this play's. */
static bool stale_ahead(const struct wm_players *p, int ch, const struct disk_chan *c)
{
	return c->active && wm_ring_count(p->blocks[ch].ring) > c->pushed;
}

/* One pass over the channels. *soon: stale blocks are about to go. */
static bool fill_all(struct wm_players *p, bool *soon)
{
	bool progress = false;

	*soon = false;
	for (int ch = 0; ch < p->channels; ch++) {
		struct disk_chan *c = &p->disk->chan[ch];
		if (!c->active)
			continue;
		uint32_t done = atomic_load_explicit(&p->shared[ch].done_gen, memory_order_relaxed);
		if (c->play.gen <= done) {
			chan_close(c); /* stopped: the audio thread wants no more */
			continue;
		}
		if (fill_channel(p, ch, FILL_BLOCKS_PER_PASS) > 0)
			progress = true;
		if (stale_ahead(p, ch, c))
			*soon = true;
		if (atomic_load(&p->quit))
			break;
	}
	return progress;
}

static void wait_wakeup(struct wm_players *p, int timeout_ms)
{
	struct pollfd pfd = { .fd = p->wake_fd, .events = POLLIN };
	uint64_t count;

	if (poll(&pfd, 1, timeout_ms) == 1 && (pfd.revents & POLLIN)) {
		ssize_t r = read(p->wake_fd, &count, sizeof count);
		(void)r; /* EAGAIN: another read took it */
	}
}

static void *disk_main(void *arg)
{
	struct wm_players *p = arg;

	pthread_setname_np(pthread_self(), "wm-disk");
	while (!atomic_load(&p->quit)) {
		take_requests(p);
		bool soon;
		bool progress = fill_all(p, &soon);
		if (progress)
			wait_wakeup(p, 0);
		else
			wait_wakeup(p, soon ? START_WAIT_MS : IDLE_WAIT_MS);
	}
	return NULL;
}

int wm_players_disk_start(struct wm_players *p, struct wm_err *err)
{
	pthread_attr_t attr;
	struct sched_param sp = { .sched_priority = 0 };

	/* A normal thread whatever the creator runs as: disk reads must never
	 * compete with the audio thread. */
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
	pthread_attr_setschedparam(&attr, &sp);
	int e = pthread_create(&p->disk->thread, &attr, disk_main, p);
	pthread_attr_destroy(&attr);
	if (e != 0)
		return wm_err_set(err, WM_E_INTERNAL, "cannot start the disk thread: %s",
				  strerror(e));
	p->disk->started = true;
	return 0;
}

void wm_players_disk_stop(struct wm_players *p)
{
	uint64_t one = 1;

	if (!p->disk || !p->disk->started)
		return;
	atomic_store(&p->quit, true);
	ssize_t w = write(p->wake_fd, &one, sizeof one);
	(void)w; /* the thread also wakes on its own within IDLE_WAIT_MS */
	pthread_join(p->disk->thread, NULL);
	p->disk->started = false;
}
