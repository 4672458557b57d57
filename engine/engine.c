/* engine.c - the live mixer: turns parameter commands into per-path gain
 * coefficients, runs the mix kernels each period, ducks and limits each
 * zone, and sends meter sweeps.
 *
 * Ducking without touching the kernel: every channel has coefficients on
 * 2 * zones "virtual zones": virtual zone z is zone z's main bus (the
 * engine's output buffers), zones + z its duck bus (engine scratch). A
 * channel whose role is `duck` has its coefficients on the duck bus and
 * zero on the main bus, every other channel the reverse, so a role change
 * is a crossfade of two ramps. The main and duck halves are two arrays
 * and two kernel calls, so the duck call is skipped outright while no
 * duck bus can carry sound (walking a second array of settled zeros cost
 * 256 ch x 16 zones about half again the mix). After the kernel each zone
 * adds its duck bus times its ducker's gain into the main bus, then runs
 * its limiter in place.
 *
 * Periods of any length are processed in blocks of at most ENGINE_BLOCK
 * frames, also cut at meter interval ends, so the limiter's and ducker's
 * lowest gains are reported for exactly the interval they happened in.
 *
 * Threads: create/destroy/post/poll_meters/get_stats run on the control
 * thread; wm_engine_process_rt and everything it calls on the audio thread,
 * which owns the engine's mix copy, factors, coefficients and meters. They
 * meet only in two rings and in relaxed atomic counters. Nothing on the
 * audio side allocates, locks, logs or makes a syscall; all memory is
 * allocated and touched in create. */
#include "engine/engine.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dsp.h"
#include "engine/ducker.h"
#include "engine/limiter.h"
#include "engine/ramp.h"
#include "engine/ring.h"

#define WM_PI 3.14159265358979323846
#define MIN_RATE_HZ 8000u
#define MAX_RATE_HZ 384000u
#define MIN_METER_RATE_HZ 0.1
#define MAX_METER_RATE_HZ 1000.0
#define MAX_COMMANDS ((size_t)1 << 20)
#define METER_SWEEPS 16              /* sweeps the meter ring holds */
#define PAN_ZERO 1e-9                /* pan law gains below this are 0 */
#define ENGINE_BLOCK 1024u           /* frames mixed per kernel call, at most */

/* Which command in the current drain last touched a channel or zone, and
 * the ramp it asked for: when several commands change one coefficient in
 * the same period, the last one's ramp wins. */
struct mark {
	uint32_t seq;                /* 1-based command number in this drain; 0 = untouched */
	uint32_t ramp_frames;        /* frames */
};

struct wm_engine {
	uint32_t rate_hz;
	int channels;
	int zones;
	int in_ports;
	int out_ports;
	int in_port[WM_MAX_CHANNELS][2];        /* input port per channel side */

	/* Audio thread from here on (control reads only the rings and counters). */
	struct wm_mix mix;                      /* this thread's copy of the mix */
	/* The factors of every coefficient, so one change costs one pow(). */
	double ch_lin[WM_MAX_CHANNELS];         /* channel gain, linear */
	double pan_lin[WM_MAX_CHANNELS][2];     /* pan law, linear, L and R */
	double send_lin[WM_MAX_CHANNELS][WM_MAX_ZONES]; /* sends, linear */
	double zone_lin[WM_MAX_ZONES];          /* zone gain, linear; 0 when muted */
	bool audible[WM_MAX_CHANNELS];          /* not muted, and soloed if any solo */
	/* channels * zones * 2 each, (c, z, side): the main buses' and the
	 * duck buses' halves of the virtual zones (see coef_at). */
	struct wm_ramp *coef;
	struct wm_ramp *duck_coef;
	uint32_t role_ramp_frames;              /* a duck role change: the default ramp */

	/* Ducking and limiting, per zone. */
	struct wm_ducker *ducker[WM_MAX_ZONES];
	struct wm_limiter *limiter[WM_MAX_ZONES];
	uint32_t latency_frames;                /* the limiters' (all the same) */
	double threshold_lin;                   /* duck/threshold, linear */
	bool duck_changed;                      /* a duck/... command in this drain */
	bool playing[WM_MAX_CHANNELS];          /* wm_engine_set_playing_rt */
	bool key[WM_MAX_ZONES];                 /* a key is active in this block */
	/* Whether a duck bus can carry sound: a duck channel's coefficient
	 * aims above 0 there, or for how many more frames one still ramps. */
	bool duck_sends[WM_MAX_ZONES];
	uint32_t duck_ramp_frames[WM_MAX_ZONES];
	float *duck_bus;                        /* 2 * zones * ENGINE_BLOCK */
	float *duck_gain;                       /* ENGINE_BLOCK: one zone's ducking gain */
	/* One block's views of the caller's buffers, and the kernel's outputs:
	 * out[0 .. 2Z-1] (main buses), then the duck buses. */
	const float *in_blk[2 * WM_MAX_CHANNELS];
	float *bus[4 * WM_MAX_ZONES];

	struct mark ch_mark[WM_MAX_CHANNELS];
	struct mark zone_mark[WM_MAX_ZONES];
	struct mark audible_mark;               /* last mute or solo command */
	bool any_zone_marked;

	/* Producer: the control thread (wm_engine_post). Consumer: the audio
	 * thread (drain_commands). */
	struct wm_ring *cmds;
	/* Producer: the audio thread (meter_emit). Consumer: the control
	 * thread (wm_engine_poll_meters). */
	struct wm_ring *meters;
	uint32_t meter_interval_frames;
	uint32_t meter_left_frames;             /* frames until the next sweep */
	uint32_t meter_seq;
	float in_peak[2 * WM_MAX_CHANNELS];     /* per input port, this interval */
	double in_sumsq[2 * WM_MAX_CHANNELS];
	float out_peak[2 * WM_MAX_ZONES];       /* per output port */
	double out_sumsq[2 * WM_MAX_ZONES];
	struct wm_meter *sweep;                 /* channels + zones records */

	/* Written only by the audio thread (load + store, no RMW needed),
	 * read by anyone; relaxed, they are counters and order nothing. */
	_Atomic uint64_t periods;
	_Atomic uint64_t frames;
	_Atomic uint64_t commands;
};

static void count_rt(_Atomic uint64_t *counter, uint64_t n)
{
	uint64_t v = atomic_load_explicit(counter, memory_order_relaxed);

	atomic_store_explicit(counter, v + n, memory_order_relaxed);
}

/* ---- coefficients (audio thread, and create before it starts) ---- */

static double gain_lin(double gain_db)
{
	/* The engine does not trust its input to be in range: a gain above the
	 * maximum is clamped, NaN is silence (wm_db_to_lin). */
	return wm_db_to_lin(gain_db > WM_GAIN_MAX_DB ? WM_GAIN_MAX_DB : gain_db);
}

/* Mono: constant power, -3 dB each side at centre. Stereo: balance, unity
 * at centre so a stereo source passes through untouched. */
static void pan_law(bool mono, double pan, double lr[2])
{
	if (isnan(pan))
		pan = 0.0;
	pan = pan < -1.0 ? -1.0 : pan > 1.0 ? 1.0 : pan;
	if (mono) {
		double angle = (pan + 1.0) * WM_PI / 4.0;

		lr[0] = cos(angle);
		lr[1] = sin(angle);
	} else {
		lr[0] = pan > 0.0 ? cos(pan * WM_PI / 2.0) : 1.0;
		lr[1] = pan < 0.0 ? cos(-pan * WM_PI / 2.0) : 1.0;
	}
	/* cos(pi/2) is 6e-17 in double: hard left/right must be silence. */
	for (int s = 0; s < 2; s++)
		if (lr[s] < PAN_ZERO)
			lr[s] = 0.0;
}

static double zone_factor(const struct wm_zone_state *zone)
{
	return zone->mute ? 0.0 : gain_lin(zone->gain_db);
}

static bool channel_audible(const struct wm_mix *mix, int c, bool any_solo)
{
	return !mix->ch[c].mute && (!any_solo || mix->ch[c].solo);
}

/* vz is a virtual zone: a channel sounds on zone z's duck bus (vz =
 * zones + z) when its role is duck, on the main bus (vz = z) otherwise. */
static float coef_target(const struct wm_engine *e, int c, int vz, int s)
{
	bool duck_bus = vz >= e->zones;
	int z = duck_bus ? vz - e->zones : vz;

	if (!e->audible[c] || (e->mix.ch[c].duck == WM_DUCK_DUCKED) != duck_bus)
		return 0.0f;
	return (float)(e->ch_lin[c] * e->pan_lin[c][s] * e->send_lin[c][z] * e->zone_lin[z]);
}

static struct wm_ramp *coef_at(struct wm_engine *e, int c, int vz)
{
	if (vz < e->zones)
		return &e->coef[((size_t)c * (size_t)e->zones + (size_t)vz) * 2];
	return &e->duck_coef[((size_t)c * (size_t)e->zones + (size_t)(vz - e->zones)) * 2];
}

static void init_coefficients(struct wm_engine *e)
{
	bool any_solo = wm_mix_any_solo(&e->mix);

	for (int z = 0; z < e->zones; z++)
		e->zone_lin[z] = zone_factor(&e->mix.zone[z]);
	for (int c = 0; c < e->channels; c++) {
		const struct wm_channel_state *ch = &e->mix.ch[c];

		e->ch_lin[c] = gain_lin(ch->gain_db);
		pan_law(e->mix.mono[c], ch->pan, e->pan_lin[c]);
		for (int z = 0; z < e->zones; z++)
			e->send_lin[c][z] = gain_lin(ch->send_db[z]);
		e->audible[c] = channel_audible(&e->mix, c, any_solo);
	}
	for (int c = 0; c < e->channels; c++)
		for (int vz = 0; vz < 2 * e->zones; vz++)
			for (int s = 0; s < 2; s++)
				wm_ramp_set(&coef_at(e, c, vz)[s], coef_target(e, c, vz, s));
}

/* Which duck buses can carry sound, from the coefficients as they now
 * aim; runs after a drain changed something (not per period). */
static void update_duck_buses(struct wm_engine *e)
{
	for (int z = 0; z < e->zones; z++) {
		bool sends = false;
		uint32_t ramp = 0;

		for (int c = 0; c < e->channels; c++) {
			const struct wm_ramp *r = coef_at(e, c, e->zones + z);

			for (int s = 0; s < 2; s++) {
				sends = sends || r[s].target != 0.0f;
				ramp = r[s].left_frames > ramp ? r[s].left_frames : ramp;
			}
		}
		e->duck_sends[z] = sends;
		e->duck_ramp_frames[z] = ramp;
	}
}

/* ---- commands (audio thread) ---- */

static bool ch_ok(const struct wm_engine *e, int c)
{
	return c >= 0 && c < e->channels;
}

static bool zone_ok(const struct wm_engine *e, int z)
{
	return z >= 0 && z < e->zones;
}

/* Limiter ceiling, linear, from dBFS kept in the allowed range: whatever
 * arrives, the speakers are never promised more than 0 dBFS. */
static float ceiling_lin(double limit_db)
{
	if (!(limit_db >= WM_LIMIT_MIN_DB))
		limit_db = WM_LIMIT_MIN_DB;
	if (limit_db > WM_LIMIT_MAX_DB)
		limit_db = WM_LIMIT_MAX_DB;
	return (float)pow(10.0, limit_db / 20.0);
}

/* A role moves the channel between a zone's main and duck buses: both
 * coefficients ramp with the default ramp, a crossfade, whatever ramp
 * the command carried (a role is a switch, not a level to fade). */
static void apply_duck_role(struct wm_engine *e, int c, double v, uint32_t seq)
{
	if (!ch_ok(e, c) || !(v >= 0.0 && v < WM_DUCK_ROLES))
		return;

	enum wm_duck_role role = (enum wm_duck_role)(int)v;

	if (role == e->mix.ch[c].duck)
		return;
	e->mix.ch[c].duck = role;
	e->ch_mark[c] = (struct mark){ seq, e->role_ramp_frames };
}

/* The duck settings are global; the duckers are reconfigured once, after
 * the drain. */
static void apply_duck_setting(struct wm_engine *e, enum wm_param_id id, double v)
{
	struct wm_duck_state *d = &e->mix.duck;

	if (isnan(v))
		return;
	switch (id) {
	case WM_PARAM_DUCK_THRESHOLD:
		d->threshold_db = v;
		break;
	case WM_PARAM_DUCK_DEPTH:
		d->depth_db = v;
		break;
	case WM_PARAM_DUCK_ATTACK:
		d->attack_ms = v;
		break;
	case WM_PARAM_DUCK_HOLD:
		d->hold_ms = v;
		break;
	default:
		d->release_ms = v;
		break;
	}
	e->duck_changed = true;
}

static void configure_ducking(struct wm_engine *e)
{
	e->threshold_lin = wm_db_to_lin(e->mix.duck.threshold_db);
	for (int z = 0; z < e->zones; z++)
		wm_ducker_configure_rt(e->ducker[z], &e->mix.duck);
}

/* Store one command in the mix copy and its factors, and mark what must
 * be recomputed; coefficients are retargeted once, after the drain. */
static void apply_cmd(struct wm_engine *e, const struct wm_engine_cmd *cmd, uint32_t seq)
{
	const struct mark m = { seq, wm_ramp_frames(cmd->ramp_ms, e->rate_hz) };
	int c = cmd->ref.ch, z = cmd->ref.zone;
	double v = cmd->value;

	switch (cmd->ref.id) {
	case WM_PARAM_CH_GAIN:
	case WM_PARAM_CH_FADER:
		if (!ch_ok(e, c))
			return;
		if (cmd->ref.id == WM_PARAM_CH_FADER)
			v = wm_fader_to_db(v);
		e->mix.ch[c].gain_db = v;
		e->ch_lin[c] = gain_lin(v);
		break;
	case WM_PARAM_CH_PAN:
		if (!ch_ok(e, c))
			return;
		e->mix.ch[c].pan = v;
		pan_law(e->mix.mono[c], v, e->pan_lin[c]);
		break;
	case WM_PARAM_CH_MUTE:
	case WM_PARAM_CH_SOLO:
		if (!ch_ok(e, c))
			return;
		if (cmd->ref.id == WM_PARAM_CH_MUTE)
			e->mix.ch[c].mute = v != 0.0;
		else
			e->mix.ch[c].solo = v != 0.0;
		e->audible_mark = m;
		break;
	case WM_PARAM_CH_SEND:
		if (!ch_ok(e, c) || !zone_ok(e, z))
			return;
		e->mix.ch[c].send_db[z] = v;
		e->send_lin[c][z] = gain_lin(v);
		break;
	case WM_PARAM_CH_DUCK:
		apply_duck_role(e, c, v, seq);
		return;
	case WM_PARAM_ZONE_LIMIT:
		if (!zone_ok(e, z) || isnan(v))
			return;
		e->mix.zone[z].limit_db = v;
		wm_limiter_set_ceiling_rt(e->limiter[z], ceiling_lin(v));
		return;
	case WM_PARAM_DUCK_THRESHOLD:
	case WM_PARAM_DUCK_DEPTH:
	case WM_PARAM_DUCK_ATTACK:
	case WM_PARAM_DUCK_HOLD:
	case WM_PARAM_DUCK_RELEASE:
		apply_duck_setting(e, cmd->ref.id, v);
		return;
	case WM_PARAM_ZONE_GAIN:
	case WM_PARAM_ZONE_MUTE:
		if (!zone_ok(e, z))
			return;
		if (cmd->ref.id == WM_PARAM_ZONE_GAIN)
			e->mix.zone[z].gain_db = v;
		else
			e->mix.zone[z].mute = v != 0.0;
		e->zone_lin[z] = zone_factor(&e->mix.zone[z]);
		e->zone_mark[z] = m;
		e->any_zone_marked = true;
		return;
	case WM_PARAM_CH_NAME:
	case WM_PARAM_ZONE_NAME:
	case WM_PARAM_COUNT:
	default:
		return; /* names do not reach the audio */
	}
	e->ch_mark[c] = m;
}

/* Mute and solo change who is audible; one solo can silence every other
 * channel, so this runs once per drain, not once per command. */
static void update_audible(struct wm_engine *e)
{
	bool any_solo = wm_mix_any_solo(&e->mix);

	for (int c = 0; c < e->channels; c++) {
		bool now = channel_audible(&e->mix, c, any_solo);

		if (now == e->audible[c])
			continue;
		e->audible[c] = now;
		if (e->ch_mark[c].seq < e->audible_mark.seq)
			e->ch_mark[c] = e->audible_mark;
	}
}

static void retarget_channel(struct wm_engine *e, int c)
{
	for (int vz = 0; vz < 2 * e->zones; vz++) {
		int z = vz < e->zones ? vz : vz - e->zones;
		struct mark m = e->ch_mark[c];
		struct wm_ramp *r = coef_at(e, c, vz);

		if (e->zone_mark[z].seq > m.seq)
			m = e->zone_mark[z];
		if (m.seq == 0)
			continue;
		for (int s = 0; s < 2; s++)
			wm_ramp_retarget(&r[s], coef_target(e, c, vz, s), m.ramp_frames);
	}
}

/* Bounded: at most every coefficient once per period, however many
 * commands arrived. */
static void retarget_marked(struct wm_engine *e)
{
	bool any = e->any_zone_marked;

	for (int c = 0; c < e->channels; c++) {
		if (e->ch_mark[c].seq || e->any_zone_marked) {
			retarget_channel(e, c);
			any = true;
		}
		e->ch_mark[c].seq = 0;
	}
	if (any)
		update_duck_buses(e);
	for (int z = 0; z < e->zones; z++)
		e->zone_mark[z].seq = 0;
	e->audible_mark.seq = 0;
	e->any_zone_marked = false;
}

/* Take exactly what is queued now: a post is visible whole or not at all
 * (wm_ring_push), so commands posted together land in the same period,
 * and a producer posting meanwhile cannot keep this loop going. */
static void drain_commands(struct wm_engine *e)
{
	size_t n = wm_ring_count(e->cmds), got = 0;
	struct wm_engine_cmd cmd;

	if (n == 0)
		return;
	while (got < n && wm_ring_pop(e->cmds, &cmd)) {
		got++;
		apply_cmd(e, &cmd, (uint32_t)got);
	}
	if (e->audible_mark.seq)
		update_audible(e);
	retarget_marked(e);
	if (e->duck_changed)
		configure_ducking(e);
	e->duck_changed = false;
	count_rt(&e->commands, got);
}

/* ---- meters (audio thread) ---- */

static void meter_emit(struct wm_engine *e)
{
	double per_frame = 1.0 / e->meter_interval_frames;
	struct wm_meter *m = e->sweep;

	for (int c = 0; c < e->channels; c++, m++) {
		m->seq = e->meter_seq;
		m->kind = WM_METER_CHANNEL;
		m->index = (uint16_t)c;
		for (int s = 0; s < 2; s++) {
			int p = e->in_port[c][s];

			m->peak[s] = e->in_peak[p];
			m->rms[s] = (float)sqrt(e->in_sumsq[p] * per_frame);
		}
		m->limit_gain = 1.0f;
		m->duck_gain = 1.0f;
	}
	for (int z = 0; z < e->zones; z++, m++) {
		m->seq = e->meter_seq;
		m->kind = WM_METER_ZONE;
		m->index = (uint16_t)z;
		for (int s = 0; s < 2; s++) {
			m->peak[s] = e->out_peak[2 * z + s];
			m->rms[s] = (float)sqrt(e->out_sumsq[2 * z + s] * per_frame);
		}
		/* Blocks end at interval ends, so these are this interval's. */
		m->limit_gain = wm_limiter_take_min_gain_rt(e->limiter[z]);
		m->duck_gain = wm_ducker_take_min_gain_rt(e->ducker[z]);
	}
	/* All or nothing, so control only ever sees whole sweeps; a full
	 * ring is counted by the ring as meter drops. */
	wm_ring_push(e->meters, e->sweep, (size_t)e->channels + (size_t)e->zones);
	e->meter_seq++;
	memset(e->in_peak, 0, sizeof e->in_peak);
	memset(e->in_sumsq, 0, sizeof e->in_sumsq);
	memset(e->out_peak, 0, sizeof e->out_peak);
	memset(e->out_sumsq, 0, sizeof e->out_sumsq);
}

/* Meter intervals are exact: blocks end where an interval ends (see
 * wm_engine_process_rt), the sweep is sent there, and the next block
 * starts the next interval. So every RMS covers exactly
 * meter_interval_frames frames. Zones are metered after the limiter:
 * what the speakers get. */
static void meter_block(struct wm_engine *e, uint32_t n)
{
	wm_dsp_meter_rt(e->in_blk, e->in_ports, 0, n, e->in_peak, e->in_sumsq);
	wm_dsp_meter_rt((const float *const *)e->bus, e->out_ports, 0, n,
			e->out_peak, e->out_sumsq);
	e->meter_left_frames -= n;
	if (e->meter_left_frames == 0) {
		meter_emit(e);
		e->meter_left_frames = e->meter_interval_frames;
	}
}

/* ---- ducking and limiting (audio thread) ---- */

static float block_peak(const float *x, uint32_t n)
{
	float peak = 0.0f;

	for (uint32_t i = 0; i < n; i++) {
		float a = fabsf(x[i]);

		peak = a > peak ? a : peak; /* NaN never wins */
	}
	return peak;
}

/* A zone's key is active when an audible key channel with a non-silent
 * gain and send to the zone is playing a file (state key) or its block
 * peak through gain and send exceeds duck/threshold (level key). */
static void detect_keys(struct wm_engine *e, uint32_t n)
{
	for (int z = 0; z < e->zones; z++)
		e->key[z] = false;
	for (int c = 0; c < e->channels; c++) {
		if (e->mix.ch[c].duck != WM_DUCK_KEY || !e->audible[c] || !(e->ch_lin[c] > 0.0))
			continue;

		double level = 0.0;

		if (!e->playing[c]) {
			float pl = block_peak(e->in_blk[e->in_port[c][0]], n);
			float pr = e->in_port[c][1] == e->in_port[c][0] ? pl :
				block_peak(e->in_blk[e->in_port[c][1]], n);

			level = (pl > pr ? pl : pr) * e->ch_lin[c];
		}
		for (int z = 0; z < e->zones; z++) {
			double send = e->send_lin[c][z];

			if (send > 0.0 && (e->playing[c] || level * send > e->threshold_lin))
				e->key[z] = true;
		}
	}
}

static void add_scaled(float *restrict y, const float *restrict x, const float *restrict g,
		       uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		y[i] += g[i] * x[i];
}

static void add_plain(float *restrict y, const float *restrict x, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		y[i] += x[i];
}

static bool duck_bus_live(const struct wm_engine *e, int z)
{
	return e->duck_sends[z] || e->duck_ramp_frames[z] > 0;
}

/* Main bus += ducking gain * duck bus. An idle ducker's gain is exactly
 * 1, so then the bus is added as it is; a bus nobody sends to is silent
 * (and not even mixed: see process_block) and is skipped. */
static void duck_zone(struct wm_engine *e, int z, uint32_t n)
{
	struct wm_ducker *d = e->ducker[z];
	bool live = duck_bus_live(e, z);
	float *const *mainb = &e->bus[2 * (size_t)z];
	float *const *duck = &e->bus[2 * ((size_t)e->zones + (size_t)z)];

	if (!e->key[z] && wm_ducker_idle_rt(d)) {
		if (live)
			for (int s = 0; s < 2; s++)
				add_plain(mainb[s], duck[s], n);
		return;
	}
	wm_ducker_process_rt(d, e->key[z], e->duck_gain, n);
	if (live)
		for (int s = 0; s < 2; s++)
			add_scaled(mainb[s], duck[s], e->duck_gain, n);
}

/* One block of at most ENGINE_BLOCK frames, inside one meter interval. */
static void process_block(struct wm_engine *e, const float *const *in,
			  float *const *out, uint32_t off, uint32_t n)
{
	for (int p = 0; p < e->in_ports; p++)
		e->in_blk[p] = in[p] + off;
	bool any_duck = false;

	for (int p = 0; p < e->out_ports; p++)
		e->bus[p] = out[p] + off;
	for (int z = 0; z < e->zones; z++)
		any_duck = any_duck || duck_bus_live(e, z);
	wm_dsp_mix_rt(e->coef, e->channels, e->zones,
		      (const int (*)[2])e->in_port, e->in_blk, e->bus, n);
	/* Every duck coefficient settled at 0: the buses would be silence. */
	if (any_duck)
		wm_dsp_mix_rt(e->duck_coef, e->channels, e->zones,
			      (const int (*)[2])e->in_port, e->in_blk,
			      &e->bus[e->out_ports], n);
	detect_keys(e, n);
	for (int z = 0; z < e->zones; z++) {
		float *const *zone_out = &e->bus[2 * (size_t)z];

		duck_zone(e, z, n);
		wm_limiter_process_rt(e->limiter[z], zone_out[0], zone_out[1], n);
		e->duck_ramp_frames[z] -= n < e->duck_ramp_frames[z] ? n : e->duck_ramp_frames[z];
	}
	meter_block(e, n);
}

WM_RT void wm_engine_set_playing_rt(struct wm_engine *engine, int ch, bool playing)
{
	if (ch_ok(engine, ch))
		engine->playing[ch] = playing;
}

WM_RT void wm_engine_process_rt(struct wm_engine *engine, const float *const *in,
				float *const *out, uint32_t frames)
{
	uint32_t done = 0;

	drain_commands(engine);
	while (done < frames) {
		uint32_t n = frames - done;

		if (n > ENGINE_BLOCK)
			n = ENGINE_BLOCK;
		if (n > engine->meter_left_frames)
			n = engine->meter_left_frames;
		process_block(engine, in, out, done, n);
		done += n;
	}
	count_rt(&engine->periods, 1);
	count_rt(&engine->frames, frames);
}

/* ---- control thread ---- */

static int check_config(const struct wm_engine_config *config,
			const struct wm_mix *initial, struct wm_err *err)
{
	if (!config || !initial)
		return wm_err_set(err, WM_E_INTERNAL, "engine: no %s given",
				  config ? "initial mix" : "configuration");
	if (config->sample_rate < MIN_RATE_HZ || config->sample_rate > MAX_RATE_HZ)
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "sample rate %u Hz is not supported: use %u..%u Hz",
				  config->sample_rate, MIN_RATE_HZ, MAX_RATE_HZ);
	if (initial->channels < 1 || initial->channels > WM_MAX_CHANNELS)
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "%d channels: the engine mixes 1..%d channels",
				  initial->channels, WM_MAX_CHANNELS);
	if (initial->zones < 1 || initial->zones > WM_MAX_ZONES)
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "%d zones: the engine feeds 1..%d zones",
				  initial->zones, WM_MAX_ZONES);
	if (config->meter_rate_hz != 0.0 &&
	    !(config->meter_rate_hz >= MIN_METER_RATE_HZ &&
	      config->meter_rate_hz <= MAX_METER_RATE_HZ))
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "meter rate %g Hz is not supported: use %g..%g Hz (0 = %g Hz)",
				  config->meter_rate_hz, MIN_METER_RATE_HZ,
				  MAX_METER_RATE_HZ, WM_METER_RATE_HZ);
	if (config->command_capacity > MAX_COMMANDS)
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "command capacity %zu is too large: use 1..%zu (0 = default)",
				  config->command_capacity, MAX_COMMANDS);
	return 0;
}

/* Fault every page in now, so the audio thread's first touch of calloc'd
 * memory is not a page fault: a write per page (of the byte already
 * there, as the memory may be in use) makes the kernel back it. */
static void prefault(void *p, size_t len)
{
	volatile char *b = p;

	for (size_t i = 0; i < len; i += 4096) {
		char keep = b[i];

		b[i] = keep;
	}
	if (len) {
		char keep = b[len - 1];

		b[len - 1] = keep;
	}
}

/* Room for two full-mix recalls in flight: a scene recall posts every
 * audio parameter in one batch, and must fit whole: per channel gain, pan,
 * mute, solo, duck and a send per zone; per zone gain, mute and limit;
 * the five duck settings. */
static size_t default_command_capacity(int channels, int zones)
{
	size_t recall = (size_t)channels * (size_t)(5 + zones) + 3 * (size_t)zones + 5;

	return 2 * recall > 1024 ? 2 * recall : 1024;
}

/* A ducker and a limiter per zone, from the initial mix. */
static int create_zone_stages(struct wm_engine *e, const struct wm_mix *initial,
			      struct wm_err *err)
{
	for (int z = 0; z < e->zones; z++) {
		e->ducker[z] = wm_ducker_create(e->rate_hz, &initial->duck, err);
		if (!e->ducker[z])
			return -1;
		e->limiter[z] = wm_limiter_create(e->rate_hz,
						  ceiling_lin(initial->zone[z].limit_db), err);
		if (!e->limiter[z])
			return -1;
	}
	e->latency_frames = wm_limiter_latency_frames(e->limiter[0]);
	e->threshold_lin = wm_db_to_lin(initial->duck.threshold_db);
	return 0;
}

struct wm_engine *wm_engine_create(const struct wm_engine_config *config,
				   const struct wm_mix *initial, struct wm_err *err)
{
	if (check_config(config, initial, err) < 0)
		return NULL;

	struct wm_engine *e = calloc(1, sizeof *e);
	if (!e)
		goto out_nomem;
	e->rate_hz = config->sample_rate;
	e->mix = *initial;
	e->channels = initial->channels;
	e->zones = initial->zones;
	for (int c = 0; c < e->channels; c++) {
		e->in_port[c][0] = e->in_ports;
		e->in_port[c][1] = initial->mono[c] ? e->in_ports : e->in_ports + 1;
		e->in_ports += initial->mono[c] ? 1 : 2;
	}
	e->out_ports = 2 * e->zones;

	size_t ncoef = (size_t)e->channels * (size_t)e->zones * 2;
	size_t nbus = 2 * (size_t)e->zones * ENGINE_BLOCK;
	size_t nsweep = (size_t)e->channels + (size_t)e->zones;
	size_t ncmd = config->command_capacity ? config->command_capacity :
		default_command_capacity(e->channels, e->zones);

	e->coef = calloc(ncoef, sizeof *e->coef);
	e->duck_coef = calloc(ncoef, sizeof *e->duck_coef);
	e->sweep = calloc(nsweep, sizeof *e->sweep);
	e->duck_bus = calloc(nbus, sizeof *e->duck_bus);
	e->duck_gain = calloc(ENGINE_BLOCK, sizeof *e->duck_gain);
	e->cmds = wm_ring_create(sizeof(struct wm_engine_cmd), ncmd);
	e->meters = wm_ring_create(sizeof(struct wm_meter), METER_SWEEPS * nsweep);
	if (!e->coef || !e->duck_coef || !e->sweep || !e->duck_bus || !e->duck_gain ||
	    !e->cmds || !e->meters)
		goto out_destroy;
	if (create_zone_stages(e, initial, err) < 0) {
		wm_engine_destroy(e);
		return NULL;
	}
	for (int p = 0; p < 2 * e->zones; p++)
		e->bus[2 * e->zones + p] = e->duck_bus + (size_t)p * ENGINE_BLOCK;
	prefault(e, sizeof *e);
	prefault(e->coef, ncoef * sizeof *e->coef);
	prefault(e->duck_coef, ncoef * sizeof *e->duck_coef);
	prefault(e->sweep, nsweep * sizeof *e->sweep);
	prefault(e->duck_bus, nbus * sizeof *e->duck_bus);
	prefault(e->duck_gain, ENGINE_BLOCK * sizeof *e->duck_gain);

	double meter_hz = config->meter_rate_hz > 0.0 ? config->meter_rate_hz : WM_METER_RATE_HZ;
	long interval = lround(e->rate_hz / meter_hz);
	e->meter_interval_frames = interval > 0 ? (uint32_t)interval : 1;
	e->meter_left_frames = e->meter_interval_frames;

	e->role_ramp_frames = wm_ramp_frames(-1.0, e->rate_hz);
	init_coefficients(e);
	update_duck_buses(e);
	atomic_init(&e->periods, 0);
	atomic_init(&e->frames, 0);
	atomic_init(&e->commands, 0);
	return e;

out_destroy:
	wm_engine_destroy(e);
out_nomem:
	wm_err_set(err, WM_E_INTERNAL, "engine: out of memory for %d channels x %d zones",
		   initial->channels, initial->zones);
	return NULL;
}

void wm_engine_destroy(struct wm_engine *engine)
{
	if (!engine)
		return;
	wm_ring_destroy(engine->cmds);
	wm_ring_destroy(engine->meters);
	for (int z = 0; z < WM_MAX_ZONES; z++) {
		wm_ducker_destroy(engine->ducker[z]);
		wm_limiter_destroy(engine->limiter[z]);
	}
	free(engine->duck_gain);
	free(engine->duck_bus);
	free(engine->sweep);
	free(engine->duck_coef);
	free(engine->coef);
	free(engine);
}

int wm_engine_input_ports(const struct wm_engine *engine)
{
	return engine->in_ports;
}

int wm_engine_output_ports(const struct wm_engine *engine)
{
	return engine->out_ports;
}

uint32_t wm_engine_latency_frames(const struct wm_engine *engine)
{
	return engine->latency_frames;
}

uint32_t wm_engine_sample_rate(const struct wm_engine *engine)
{
	return engine->rate_hz;
}

/* The audio thread trusts what it pops only as far as bounds go; ranges
 * are checked here so a caller's bug is reported to the caller. */
static int check_cmd(const struct wm_engine *e, const struct wm_engine_cmd *cmd,
		     struct wm_err *err)
{
	const struct wm_param_info *info = wm_param_info(cmd->ref.id);
	enum wm_param_id id = cmd->ref.id;
	char path[48];
	float v = cmd->value;

	if (!info)
		return wm_err_set(err, WM_E_INTERNAL, "engine command for unknown parameter id %d",
				  (int)id);
	if (wm_param_has_channel(id) && !ch_ok(e, cmd->ref.ch))
		return wm_err_set(err, WM_E_UNKNOWN_PATH,
				  "engine command for channel %d: channels are 1..%d",
				  cmd->ref.ch + 1, e->channels);
	if (wm_param_has_zone(id) && !zone_ok(e, cmd->ref.zone))
		return wm_err_set(err, WM_E_UNKNOWN_PATH,
				  "engine command for zone %d: zones are 1..%d",
				  cmd->ref.zone + 1, e->zones);
	wm_param_format_path(&cmd->ref, path, sizeof path);
	if (isnan(v))
		return wm_err_set(err, WM_E_BAD_TYPE, "%s: the value is not a number", path);
	if (info->type == WM_TYPE_DB && v > info->max)
		return wm_err_set(err, WM_E_OUT_OF_RANGE,
				  "%s: %g dB is above the maximum of %+g dB", path, v, info->max);
	if (info->type == WM_TYPE_FLOAT && (v < info->min || v > info->max))
		return wm_err_set(err, WM_E_OUT_OF_RANGE, "%s: %g is outside %g..%g",
				  path, v, info->min, info->max);
	if (info->type == WM_TYPE_ENUM && (v != floorf(v) || v < info->min || v > info->max))
		return wm_err_set(err, WM_E_OUT_OF_RANGE,
				  "%s: %g is not a choice: use an index %g..%g", path, v,
				  info->min, info->max);
	return 0;
}

int wm_engine_post(struct wm_engine *engine, const struct wm_engine_cmd *cmds,
		   size_t n, struct wm_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (check_cmd(engine, &cmds[i], err) < 0)
			return -1;
	if (!wm_ring_push(engine->cmds, cmds, n))
		return wm_err_set(err, WM_E_BUSY,
				  "the audio engine is not taking commands (%zu waiting, "
				  "%zu more did not fit): is the audio running?",
				  wm_ring_count(engine->cmds), n);
	return 0;
}

size_t wm_engine_poll_meters(struct wm_engine *engine, struct wm_meter *out, size_t max)
{
	size_t n = 0;

	while (n < max && wm_ring_pop(engine->meters, &out[n]))
		n++;
	return n;
}

void wm_engine_get_stats(const struct wm_engine *engine, struct wm_engine_stats *stats)
{
	stats->periods = atomic_load_explicit(&engine->periods, memory_order_relaxed);
	stats->frames = atomic_load_explicit(&engine->frames, memory_order_relaxed);
	stats->commands = atomic_load_explicit(&engine->commands, memory_order_relaxed);
	stats->command_drops = wm_ring_drops(engine->cmds);
	stats->meter_drops = wm_ring_drops(engine->meters);
}
