/* engine.c - the live mixer: turns parameter commands into per-path gain
 * coefficients, runs the mix kernels each period and sends meter sweeps.
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
	struct wm_ramp *coef;                   /* channels * zones * 2, (c, z, side) */

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

static float coef_target(const struct wm_engine *e, int c, int z, int s)
{
	if (!e->audible[c])
		return 0.0f;
	return (float)(e->ch_lin[c] * e->pan_lin[c][s] * e->send_lin[c][z] * e->zone_lin[z]);
}

static struct wm_ramp *coef_at(struct wm_engine *e, int c, int z)
{
	return &e->coef[((size_t)c * (size_t)e->zones + (size_t)z) * 2];
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
		for (int z = 0; z < e->zones; z++)
			for (int s = 0; s < 2; s++)
				wm_ramp_set(&coef_at(e, c, z)[s], coef_target(e, c, z, s));
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
	for (int z = 0; z < e->zones; z++) {
		struct mark m = e->ch_mark[c];
		struct wm_ramp *r = coef_at(e, c, z);

		if (e->zone_mark[z].seq > m.seq)
			m = e->zone_mark[z];
		if (m.seq == 0)
			continue;
		for (int s = 0; s < 2; s++)
			wm_ramp_retarget(&r[s], coef_target(e, c, z, s), m.ramp_frames);
	}
}

/* Bounded: at most every coefficient once per period, however many
 * commands arrived. */
static void retarget_marked(struct wm_engine *e)
{
	for (int c = 0; c < e->channels; c++) {
		if (e->ch_mark[c].seq || e->any_zone_marked)
			retarget_channel(e, c);
		e->ch_mark[c].seq = 0;
	}
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
	}
	for (int z = 0; z < e->zones; z++, m++) {
		m->seq = e->meter_seq;
		m->kind = WM_METER_ZONE;
		m->index = (uint16_t)z;
		for (int s = 0; s < 2; s++) {
			m->peak[s] = e->out_peak[2 * z + s];
			m->rms[s] = (float)sqrt(e->out_sumsq[2 * z + s] * per_frame);
		}
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

/* Meter intervals are exact: a period in which an interval ends is split
 * there, the sweep is sent, and the rest of the period starts the next
 * interval. So every RMS covers exactly meter_interval_frames frames. */
static void meter_period(struct wm_engine *e, const float *const *in,
			 float *const *out, uint32_t frames)
{
	uint32_t done = 0;

	while (done < frames) {
		uint32_t n = frames - done;

		if (n > e->meter_left_frames)
			n = e->meter_left_frames;
		wm_dsp_meter_rt(in, e->in_ports, done, n, e->in_peak, e->in_sumsq);
		wm_dsp_meter_rt((const float *const *)out, e->out_ports, done, n,
				e->out_peak, e->out_sumsq);
		done += n;
		e->meter_left_frames -= n;
		if (e->meter_left_frames == 0) {
			meter_emit(e);
			e->meter_left_frames = e->meter_interval_frames;
		}
	}
}

WM_RT void wm_engine_process_rt(struct wm_engine *engine, const float *const *in,
				float *const *out, uint32_t frames)
{
	drain_commands(engine);
	wm_dsp_mix_rt(engine->coef, engine->channels, engine->zones,
		      (const int (*)[2])engine->in_port, in, out, frames);
	meter_period(engine, in, out, frames);
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
 * audio parameter in one batch, and must fit whole. */
static size_t default_command_capacity(int channels, int zones)
{
	size_t recall = (size_t)channels * (size_t)(4 + zones) + 2 * (size_t)zones;

	return 2 * recall > 1024 ? 2 * recall : 1024;
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
	size_t nsweep = (size_t)e->channels + (size_t)e->zones;
	size_t ncmd = config->command_capacity ? config->command_capacity :
		default_command_capacity(e->channels, e->zones);

	e->coef = calloc(ncoef, sizeof *e->coef);
	e->sweep = calloc(nsweep, sizeof *e->sweep);
	e->cmds = wm_ring_create(sizeof(struct wm_engine_cmd), ncmd);
	e->meters = wm_ring_create(sizeof(struct wm_meter), METER_SWEEPS * nsweep);
	if (!e->coef || !e->sweep || !e->cmds || !e->meters)
		goto out_destroy;
	prefault(e, sizeof *e);
	prefault(e->coef, ncoef * sizeof *e->coef);
	prefault(e->sweep, nsweep * sizeof *e->sweep);

	double meter_hz = config->meter_rate_hz > 0.0 ? config->meter_rate_hz : WM_METER_RATE_HZ;
	long interval = lround(e->rate_hz / meter_hz);
	e->meter_interval_frames = interval > 0 ? (uint32_t)interval : 1;
	e->meter_left_frames = e->meter_interval_frames;

	init_coefficients(e);
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
	free(engine->sweep);
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
	bool on_channel = id <= WM_PARAM_CH_NAME;
	bool on_zone = id == WM_PARAM_CH_SEND || id >= WM_PARAM_ZONE_GAIN;
	if (on_channel && !ch_ok(e, cmd->ref.ch))
		return wm_err_set(err, WM_E_UNKNOWN_PATH,
				  "engine command for channel %d: channels are 1..%d",
				  cmd->ref.ch + 1, e->channels);
	if (on_zone && !zone_ok(e, cmd->ref.zone))
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
