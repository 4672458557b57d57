/* player_rt.c - the file players' audio-thread side: takes commands,
 * reads blocks in place from the channels' pools, adds them to the
 * channels' inputs, fades, and reports what happened as events. Everything
 * here but create/destroy runs on the JACK process thread: no allocation,
 * locks, syscalls or logging; a full event ring is a counted drop (and the
 * shared `final` word still tells the control thread how a play finished).
 *
 * A channel plays at most one play from the ring at a time (state WAITING
 * for its first block, PLAYING, or FADING for a stop fade longer than the
 * tail), plus at most one tail: the last few milliseconds of a stopped or
 * replaced play, copied out of the ring with the fade already applied.
 * Taking the tail out at once frees the ring for the next play, so a
 * restart crossfades and starts within the usual two periods instead of
 * waiting behind a second of stale blocks. */
#include <stdlib.h>
#include <string.h>

#include "daemon/player_internal.h"

enum rt_state { RT_IDLE, RT_WAITING, RT_PLAYING, RT_FADING };

struct rt_tail {
	float *buf[2];                 /* tail_max stereo frames each; one plays */
	int cur;
	uint32_t len, pos;             /* frames */
	uint32_t gen;                  /* STOPPED goes out for it when it has played */
};

struct rt_chan {
	enum rt_state state;
	uint32_t gen;                  /* the play from the ring; 0 none */
	uint32_t min_gen;              /* blocks of older plays are stale */
	uint64_t waited_frames;        /* WAITING: frames of periods without a first block */
	uint64_t played;               /* frames of gen put out */
	float fade_g0;                 /* FADING: gain at fade_done = 0 */
	uint32_t fade_total, fade_done;
	struct wm_pblock cur;          /* the last header popped (its slot is ours) */
	bool has_cur;
	uint32_t cur_pos;
	uint32_t budget;               /* headers this period may still pop */
	struct rt_tail tail;
	uint64_t ur_pending;           /* underrun frames not reported yet */
	uint64_t ur_since;             /* frames since the last UNDERRUN event */
	bool sounding;
};

struct wm_players_rt {
	int channels, ports;
	struct rt_chan *chan;
	float **scratch;               /* per port, WM_PLAYER_MAX_FRAMES */
	const float **out;             /* per port: what mix_rt returns */
	uint32_t tail_max;             /* frames: WM_PLAYER_STOP_FADE_MS */
	uint64_t report_frames;        /* WM_PB_UNDERRUN_REPORT_MS */
};

void wm_players_rt_destroy(struct wm_players_rt *rt)
{
	if (!rt)
		return;
	for (int i = 0; rt->scratch && i < rt->ports; i++)
		free(rt->scratch[i]);
	for (int ch = 0; rt->chan && ch < rt->channels; ch++) {
		free(rt->chan[ch].tail.buf[0]);
		free(rt->chan[ch].tail.buf[1]);
	}
	free(rt->scratch);
	free(rt->out);
	free(rt->chan);
	free(rt);
}

struct wm_players_rt *wm_players_rt_create(const struct wm_players *p)
{
	struct wm_players_rt *rt = calloc(1, sizeof *rt);
	if (!rt)
		return NULL;
	rt->channels = p->channels;
	rt->ports = p->ports;
	rt->tail_max = (uint32_t)(WM_PLAYER_STOP_FADE_MS * p->rate / 1000.0 + 0.5);
	rt->report_frames = (uint64_t)(WM_PB_UNDERRUN_REPORT_MS * p->rate / 1000.0);
	rt->chan = calloc((size_t)p->channels, sizeof *rt->chan);
	rt->scratch = calloc((size_t)p->ports, sizeof *rt->scratch);
	rt->out = calloc((size_t)p->ports, sizeof *rt->out);
	if (!rt->chan || !rt->scratch || !rt->out)
		goto fail;
	for (int i = 0; i < p->ports; i++) {
		rt->scratch[i] = calloc(WM_PLAYER_MAX_FRAMES, sizeof(float));
		if (!rt->scratch[i])
			goto fail;
	}
	for (int ch = 0; ch < p->channels; ch++) {
		struct rt_chan *rc = &rt->chan[ch];
		for (int b = 0; b < 2; b++) {
			rc->tail.buf[b] = calloc((size_t)rt->tail_max * 2 + 2, sizeof(float));
			if (!rc->tail.buf[b])
				goto fail;
		}
		rc->ur_since = rt->report_frames; /* the first underrun is reported at once */
	}
	return rt;
fail:
	wm_players_rt_destroy(rt);
	return NULL;
}

/* ---- events ---------------------------------------------------------- */

static WM_RT void emit(struct wm_players *p, enum wm_audio_ev_kind kind, int ch, uint32_t gen,
		       uint32_t flags, uint64_t frames)
{
	struct wm_audio_ev ev = { .kind = kind, .ch = ch, .gen = gen, .flags = flags,
				  .frames = frames };
	(void)wm_ring_push(p->audio_events, &ev, 1); /* full: counted by the ring */
}

/* How play gen finished, for a control thread that lost the event. Only
 * ever moves forward, so a tail finishing late cannot hide a newer play. */
static WM_RT void set_final(struct wm_players *p, int ch, uint32_t gen,
			    enum wm_player_state state)
{
	_Atomic uint64_t *final = &p->shared[ch].final;
	uint64_t old = atomic_load_explicit(final, memory_order_relaxed);
	if ((uint32_t)(old >> 8) <= gen)
		atomic_store_explicit(final, (uint64_t)gen << 8 | (uint64_t)state,
				      memory_order_release);
}

static WM_RT void report_underrun(struct wm_players *p, int ch)
{
	struct rt_chan *rc = &p->rt->chan[ch];
	if (rc->ur_pending == 0)
		return;
	emit(p, WM_AEV_UNDERRUN, ch, rc->gen, 0, rc->ur_pending);
	wm_p_count(&p->underruns, 1);
	rc->ur_pending = 0;
	rc->ur_since = 0;
}

static WM_RT void underrun(struct wm_players *p, int ch, uint32_t frames)
{
	struct rt_chan *rc = &p->rt->chan[ch];
	rc->ur_pending += frames;
	wm_p_count(&p->underrun_frames, frames);
	wm_p_count(&p->shared[ch].underrun_frames, frames);
}

/* The play from the ring is over: no block of it is wanted any more (the
 * disk thread sees done_gen and closes the file), its stale blocks will
 * be discarded. */
static WM_RT void retire(struct wm_players *p, int ch)
{
	struct rt_chan *rc = &p->rt->chan[ch];
	report_underrun(p, ch);
	atomic_store_explicit(&p->shared[ch].done_gen, rc->gen, memory_order_relaxed);
	rc->state = RT_IDLE;
	rc->min_gen = rc->gen + 1;
	rc->gen = 0;
}

static WM_RT void finish(struct wm_players *p, int ch, enum wm_audio_ev_kind kind,
			 uint32_t flags)
{
	struct rt_chan *rc = &p->rt->chan[ch];
	uint32_t gen = rc->gen;
	retire(p, ch);
	emit(p, kind, ch, gen, flags, 0);
	enum wm_player_state st = kind == WM_AEV_STOPPED ? WM_PLAYER_STOPPED
				  : (flags & WM_PB_ERROR) ? WM_PLAYER_ERROR : WM_PLAYER_ENDED;
	set_final(p, ch, gen, st);
}

/* ---- blocks ---------------------------------------------------------- */

/* Is there a block of the current play to read (frames left, or its END)?
 * Pops and drops stale headers (of plays older than min_gen) on the way,
 * at most `budget` per period. A header of a newer play is held, never
 * dropped: its PLAY command may not have arrived yet, or the current play
 * is being replaced and is only gathering its tail. */
static WM_RT bool block_ready(struct wm_players *p, int ch)
{
	struct rt_chan *rc = &p->rt->chan[ch];

	for (;;) {
		if (rc->has_cur) {
			if (rc->cur.gen == rc->gen && rc->gen != 0) {
				if (rc->cur_pos < rc->cur.frames || (rc->cur.flags & WM_PB_END))
					return true;
			} else if (rc->cur.gen > rc->gen && rc->cur.gen >= rc->min_gen) {
				return false; /* a newer play's */
			}
			rc->has_cur = false; /* read out, or stale */
		}
		if (rc->budget == 0 || !wm_ring_pop(p->blocks[ch].ring, &rc->cur))
			return false;
		rc->budget--;
		rc->has_cur = true;
		rc->cur_pos = 0;
	}
}

static WM_RT const float *block_data(const struct wm_players *p, int ch)
{
	const struct rt_chan *rc = &p->rt->chan[ch];
	return wm_pblocks_slot(&p->blocks[ch], rc->cur.slot) + (size_t)rc->cur_pos * 2;
}

/* ---- sample math ----------------------------------------------------- */

/* R == NULL: a mono channel gets (L + R) / 2, so a mono file (L == R)
 * comes out exactly as it is in the file. */
static WM_RT void add_plain(float *L, float *R, const float *s, uint32_t n)
{
	if (R) {
		for (size_t i = 0; i < n; i++) {
			L[i] += s[2 * i];
			R[i] += s[2 * i + 1];
		}
	} else {
		for (size_t i = 0; i < n; i++)
			L[i] += 0.5f * (s[2 * i] + s[2 * i + 1]);
	}
}

/* Linear fade: gain g0 * (1 - k / total) at fade frame k. */
static WM_RT float fade_gain(float g0, uint32_t k, uint32_t total)
{
	return g0 * (float)(1.0 - (double)k / (double)total);
}

static WM_RT void add_faded(float *L, float *R, const float *s, uint32_t n,
			    const struct rt_chan *rc)
{
	for (size_t i = 0; i < n; i++) {
		float g = fade_gain(rc->fade_g0, rc->fade_done + (uint32_t)i, rc->fade_total);
		if (R) {
			L[i] += g * s[2 * i];
			R[i] += g * s[2 * i + 1];
		} else {
			L[i] += g * 0.5f * (s[2 * i] + s[2 * i + 1]);
		}
	}
}

/* ---- fades ----------------------------------------------------------- */

/* Copy up to max frames of the current play out of the ring into dst. */
static WM_RT uint32_t gather(struct wm_players *p, int ch, float *dst, uint32_t max)
{
	struct rt_chan *rc = &p->rt->chan[ch];
	uint32_t n = 0;

	while (n < max && block_ready(p, ch)) {
		uint32_t avail = rc->cur.frames - rc->cur_pos;
		if (avail == 0)
			break; /* its END: the file was over anyway */
		if (avail > max - n)
			avail = max - n;
		memcpy(dst + (size_t)n * 2, block_data(p, ch), (size_t)avail * 2 * sizeof(float));
		rc->cur_pos += avail;
		n += avail;
	}
	return n;
}

/* Stop the current play with a fade of `frames` (at most tail_max) played
 * from the tail. A tail still sounding is mixed into the new one (it has
 * its own fade applied and is shorter), so nothing is cut. */
static WM_RT void fade_to_tail(struct wm_players *p, int ch, uint32_t frames)
{
	struct wm_players_rt *rt = p->rt;
	struct rt_chan *rc = &rt->chan[ch];
	struct rt_tail *t = &rc->tail;
	float g0 = 1.0f;

	if (rc->state == RT_FADING) {
		g0 = fade_gain(rc->fade_g0, rc->fade_done, rc->fade_total);
		if (frames > rc->fade_total - rc->fade_done)
			frames = rc->fade_total - rc->fade_done;
	}
	if (frames > rt->tail_max)
		frames = rt->tail_max;
	float *dst = t->buf[!t->cur];
	uint32_t n = rc->state == RT_WAITING ? 0 : gather(p, ch, dst, frames);
	for (size_t k = 0; k < n; k++) {
		/* over what there is, so the ramp reaches zero even when the
		 * disk had fallen behind */
		float g = g0 * (float)(n - (uint32_t)k) / (float)n;
		dst[2 * k] *= g;
		dst[2 * k + 1] *= g;
	}
	uint32_t rest = t->len - t->pos;
	const float *old = t->buf[t->cur] + (size_t)t->pos * 2;
	for (size_t k = 0; k < rest; k++) {
		dst[2 * k] = (k < n ? dst[2 * k] : 0.0f) + old[2 * k];
		dst[2 * k + 1] = (k < n ? dst[2 * k + 1] : 0.0f) + old[2 * k + 1];
	}
	if (rest > 0) {
		emit(p, WM_AEV_STOPPED, ch, t->gen, 0, 0);
		set_final(p, ch, t->gen, WM_PLAYER_STOPPED);
	}
	uint32_t gen = rc->gen;
	retire(p, ch);
	t->cur = !t->cur;
	t->len = n > rest ? n : rest;
	t->pos = 0;
	t->gen = gen;
	if (t->len == 0) {
		emit(p, WM_AEV_STOPPED, ch, gen, 0, 0);
		set_final(p, ch, gen, WM_PLAYER_STOPPED);
	}
}

static WM_RT uint32_t play_tail(struct wm_players *p, int ch, float *L, float *R,
				uint32_t frames)
{
	struct rt_tail *t = &p->rt->chan[ch].tail;
	uint32_t n = t->len - t->pos;

	if (n == 0)
		return 0;
	if (n > frames)
		n = frames;
	add_plain(L, R, t->buf[t->cur] + (size_t)t->pos * 2, n);
	t->pos += n;
	if (t->pos == t->len) {
		t->len = t->pos = 0;
		emit(p, WM_AEV_STOPPED, ch, t->gen, 0, 0);
		set_final(p, ch, t->gen, WM_PLAYER_STOPPED);
	}
	return n;
}

/* ---- commands -------------------------------------------------------- */

static WM_RT void publish_position(struct wm_players *p, int ch)
{
	struct rt_chan *rc = &p->rt->chan[ch];
	atomic_store_explicit(&p->shared[ch].pos_frames, rc->played, memory_order_relaxed);
}

static WM_RT void cmd_play(struct wm_players *p, int ch, uint32_t gen)
{
	struct wm_players_rt *rt = p->rt;
	struct rt_chan *rc = &rt->chan[ch];
	struct wm_pshared *sh = &p->shared[ch];

	if (rc->state == RT_WAITING)
		finish(p, ch, WM_AEV_STOPPED, 0); /* replaced before a sound came out */
	else if (rc->state != RT_IDLE)
		fade_to_tail(p, ch, rt->tail_max);
	rc->state = RT_WAITING;
	rc->gen = gen;
	rc->min_gen = gen;
	rc->waited_frames = 0;
	rc->played = 0;
	rc->ur_pending = 0;
	rc->ur_since = rt->report_frames;
	atomic_store_explicit(&sh->pos_frames, 0, memory_order_relaxed);
	atomic_store_explicit(&sh->underrun_frames, 0, memory_order_relaxed);
	atomic_store_explicit(&sh->pos_gen, gen, memory_order_release);
}

static WM_RT void cmd_stop(struct wm_players *p, int ch, uint32_t gen, uint32_t fade)
{
	struct rt_chan *rc = &p->rt->chan[ch];

	if (gen != rc->gen || rc->state == RT_IDLE)
		return; /* over already, or an older play */
	if (rc->state == RT_WAITING || fade == 0) {
		finish(p, ch, WM_AEV_STOPPED, 0);
		return;
	}
	if (fade <= p->rt->tail_max) {
		fade_to_tail(p, ch, fade);
		return;
	}
	if (rc->state == RT_FADING) {
		if (fade >= rc->fade_total - rc->fade_done)
			return; /* the fade under way ends sooner */
		rc->fade_g0 = fade_gain(rc->fade_g0, rc->fade_done, rc->fade_total);
	} else {
		rc->fade_g0 = 1.0f;
	}
	rc->state = RT_FADING;
	rc->fade_total = fade;
	rc->fade_done = 0;
}

static WM_RT void take_commands(struct wm_players *p)
{
	struct wm_audio_cmd cmd;

	/* Bounded: the ring holds WM_PB_REQUESTS commands at most. */
	while (wm_ring_pop(p->commands, &cmd)) {
		if (cmd.ch < 0 || cmd.ch >= p->channels)
			continue;
		if (cmd.kind == WM_ACMD_PLAY)
			cmd_play(p, cmd.ch, cmd.gen);
		else
			cmd_stop(p, cmd.ch, cmd.gen, cmd.fade_frames);
	}
}

/* ---- one channel, one period ----------------------------------------- */

/* WAITING: start when the first block is there; late past two periods. */
static WM_RT void try_start(struct wm_players *p, int ch, uint32_t frames)
{
	struct rt_chan *rc = &p->rt->chan[ch];

	if (!block_ready(p, ch)) {
		rc->waited_frames += frames;
		return;
	}
	if (rc->cur.frames == 0) { /* an END straight away: empty, or unreadable */
		finish(p, ch, WM_AEV_END, rc->cur.flags);
		return;
	}
	uint64_t promised = 2 * (uint64_t)frames;
	uint64_t late = rc->waited_frames > promised ? rc->waited_frames - promised : 0;
	if (late)
		wm_p_count(&p->late_starts, 1);
	emit(p, WM_AEV_STARTED, ch, rc->gen, 0, late);
	rc->state = RT_PLAYING;
}

/* Adds the current play's frames; returns how many it added. */
static WM_RT uint32_t play_frames(struct wm_players *p, int ch, float *L, float *R,
				  uint32_t frames)
{
	struct rt_chan *rc = &p->rt->chan[ch];
	uint32_t i = 0;

	while (i < frames && (rc->state == RT_PLAYING || rc->state == RT_FADING)) {
		if (!block_ready(p, ch)) {
			if (rc->state == RT_FADING)
				finish(p, ch, WM_AEV_STOPPED, 0); /* nothing left to fade */
			else
				underrun(p, ch, frames - i); /* silence: nothing is added */
			break;
		}
		uint32_t n = rc->cur.frames - rc->cur_pos;
		if (n > frames - i)
			n = frames - i;
		if (rc->state == RT_FADING && n > rc->fade_total - rc->fade_done)
			n = rc->fade_total - rc->fade_done;
		const float *s = block_data(p, ch);
		if (rc->state == RT_FADING)
			add_faded(L + i, R ? R + i : NULL, s, n, rc);
		else
			add_plain(L + i, R ? R + i : NULL, s, n);
		rc->cur_pos += n;
		rc->played += n;
		i += n;
		if (rc->state == RT_FADING) {
			rc->fade_done += n;
			if (rc->fade_done >= rc->fade_total) {
				finish(p, ch, WM_AEV_STOPPED, 0);
				break;
			}
		}
		if (rc->cur_pos == rc->cur.frames && (rc->cur.flags & WM_PB_END)) {
			finish(p, ch, WM_AEV_END, rc->cur.flags);
			break;
		}
	}
	return i;
}

static WM_RT void mix_channel(struct wm_players *p, int ch, const float *const *in,
			      uint32_t frames)
{
	struct wm_players_rt *rt = p->rt;
	struct rt_chan *rc = &rt->chan[ch];
	int p0 = p->port0[ch];
	int nports = p->mono[ch] ? 1 : 2;

	rc->sounding = false;
	if (rc->state == RT_IDLE && rc->tail.len == 0) {
		(void)block_ready(p, ch); /* drop stale blocks so the disk has room */
		for (int i = 0; i < nports; i++)
			rt->out[p0 + i] = in[p0 + i];
		return;
	}
	for (int i = 0; i < nports; i++) {
		memcpy(rt->scratch[p0 + i], in[p0 + i], (size_t)frames * sizeof(float));
		rt->out[p0 + i] = rt->scratch[p0 + i];
	}
	float *L = rt->scratch[p0];
	float *R = nports == 2 ? rt->scratch[p0 + 1] : NULL;
	uint32_t added = play_tail(p, ch, L, R, frames);
	if (rc->state == RT_WAITING)
		try_start(p, ch, frames);
	if (rc->state == RT_PLAYING || rc->state == RT_FADING) {
		if (play_frames(p, ch, L, R, frames) > 0)
			added = frames;
		publish_position(p, ch);
	}
	if (rc->state == RT_PLAYING) {
		rc->ur_since += frames;
		if (rc->ur_since >= rt->report_frames)
			report_underrun(p, ch);
	}
	rc->sounding = added > 0;
}

WM_RT const float *const *wm_players_mix_rt(struct wm_players *p, const float *const *in,
					    uint32_t frames)
{
	if (frames > WM_PLAYER_MAX_FRAMES)
		return in; /* outside the contract: pass the inputs through */
	/* Before the commands: a stop's tail pops blocks too. */
	for (int ch = 0; ch < p->channels; ch++)
		p->rt->chan[ch].budget = WM_PB_DISCARD_MAX;
	take_commands(p);
	for (int ch = 0; ch < p->channels; ch++)
		mix_channel(p, ch, in, frames);
	return p->rt->out;
}

WM_RT bool wm_players_sounding_rt(const struct wm_players *p, int ch)
{
	if (ch < 0 || ch >= p->channels)
		return false;
	return p->rt->chan[ch].sounding;
}
