/* check_engine.c - engine/engine and engine/dsp driven like the daemon
 * drives them: post commands, run periods, look at the samples. Exact
 * expectations where the design promises exactness (pass-through, ramp
 * ends, hard pan), tight tolerances elsewhere.
 *
 * Every output lags by the zone limiters' lookahead. The mix tests use
 * run(), which lines the outputs up with the inputs of the same period
 * (see there), and zones limited at 0 dBFS so full-scale test signals
 * pass untouched; the ducking and limiting tests use real settings and
 * compare with the delay explicitly. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dsp.h"
#include "engine/engine.h"

#include "tests/support/suite.h"

#define RATE 48000u
#define PI 3.14159265358979323846

#define LATENCY_48K 71u /* the limiter's lookahead at 48 kHz, 72 frames, minus 1 */

struct rig {
	struct wm_engine *e;
	struct wm_mix mix;           /* topology, for parsing paths */
	int in_ports;
	int out_ports;
	uint32_t max_frames;
	uint32_t lat;                /* wm_engine_latency_frames */
	float *in[2 * WM_MAX_CHANNELS];
	float *out[2 * WM_MAX_ZONES];
	/* run(): the engine's own output (max_frames + lat) and silence. */
	float *raw[2 * WM_MAX_ZONES];
	float *silence;
	const float *silent_in[2 * WM_MAX_CHANNELS];
};

static struct rig *rig_exact(const struct wm_mix *mix, uint32_t max_frames,
			     const struct wm_engine_config *config)
{
	struct rig *r = calloc(1, sizeof *r);
	struct wm_err err;

	ck_assert_ptr_nonnull(r);
	r->mix = *mix;
	r->e = wm_engine_create(config, mix, &err);
	ck_assert_msg(r->e != NULL, "create: %s", err.msg);
	r->in_ports = wm_engine_input_ports(r->e);
	r->out_ports = wm_engine_output_ports(r->e);
	r->max_frames = max_frames;
	r->lat = wm_engine_latency_frames(r->e);
	for (int p = 0; p < r->in_ports; p++)
		ck_assert_ptr_nonnull(r->in[p] = calloc(max_frames, sizeof(float)));
	for (int p = 0; p < r->out_ports; p++) {
		ck_assert_ptr_nonnull(r->out[p] = calloc(max_frames, sizeof(float)));
		ck_assert_ptr_nonnull(r->raw[p] = calloc(max_frames + r->lat, sizeof(float)));
	}
	ck_assert_ptr_nonnull(r->silence = calloc(r->lat + 1, sizeof(float)));
	for (int p = 0; p < r->in_ports; p++)
		r->silent_in[p] = r->silence;
	return r;
}

/* The mix tests' rig: zone ceilings at 0 dBFS, so test signals up to full
 * scale pass the limiter bit for bit (only delayed). */
static struct rig *rig_config(const struct wm_mix *mix, uint32_t max_frames,
			      const struct wm_engine_config *config)
{
	struct wm_mix open = *mix;

	for (int z = 0; z < WM_MAX_ZONES; z++)
		open.zone[z].limit_db = 0.0;
	return rig_exact(&open, max_frames, config);
}

static struct rig *rig_mix(const struct wm_mix *mix, uint32_t max_frames)
{
	struct wm_engine_config config = { .sample_rate = RATE };

	return rig_config(mix, max_frames, &config);
}

static struct rig *rig_new(int channels, int zones, const bool *mono, uint32_t max_frames)
{
	struct wm_mix mix;

	wm_mix_init(&mix, channels, zones, mono);
	return rig_mix(&mix, max_frames);
}

static void rig_free(struct rig *r)
{
	for (int p = 0; p < r->in_ports; p++)
		free(r->in[p]);
	for (int p = 0; p < r->out_ports; p++) {
		free(r->out[p]);
		free(r->raw[p]);
	}
	free(r->silence);
	wm_engine_destroy(r->e);
	free(r);
}

/* One period as the engine sees it: r->out lags r->in by r->lat frames. */
static void run_raw(struct rig *r, uint32_t frames)
{
	ck_assert_uint_le(frames, r->max_frames);
	wm_engine_process_rt(r->e, (const float *const *)r->in, r->out, frames);
}

/* One period, then r->lat frames of silence to push it out of the
 * limiter's lookahead, so r->out[p][i] is the output for r->in[.][i]. The
 * silence advances ramps and meters too: tests that count frames or
 * follow a signal across periods use run_raw and the delay instead. */
static void run(struct rig *r, uint32_t frames)
{
	float *raw_tail[2 * WM_MAX_ZONES];

	ck_assert_uint_le(frames, r->max_frames);
	wm_engine_process_rt(r->e, (const float *const *)r->in, r->raw, frames);
	for (int p = 0; p < r->out_ports; p++)
		raw_tail[p] = r->raw[p] + frames;
	if (r->lat)
		wm_engine_process_rt(r->e, r->silent_in, raw_tail, r->lat);
	for (int p = 0; p < r->out_ports; p++)
		memcpy(r->out[p], r->raw[p] + r->lat, frames * sizeof(float));
}

static struct wm_engine_cmd cmd_of(struct rig *r, const char *path, double value, double ramp_ms)
{
	struct wm_engine_cmd cmd = { .value = (float)value, .ramp_ms = (float)ramp_ms };
	struct wm_err err;

	ck_assert_msg(wm_param_parse_path(path, &r->mix, &cmd.ref, &err) == 0, "%s", err.msg);
	return cmd;
}

static void post(struct rig *r, const char *path, double value, double ramp_ms)
{
	struct wm_engine_cmd cmd = cmd_of(r, path, value, ramp_ms);
	struct wm_err err;

	ck_assert_msg(wm_engine_post(r->e, &cmd, 1, &err) == 0, "post %s: %s", path, err.msg);
}

static uint32_t rng = 12345;

/* Deterministic noise in [-1, 1), never exactly 0 (so ratios exist). */
static float noise(void)
{
	rng = rng * 1664525u + 1013904223u;
	float v = (float)((int32_t)rng >> 8) / 8388608.0f;
	return v == 0.0f ? 0.5f : v;
}

static void fill_noise(float *buf, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		buf[i] = noise();
}

static void fill_dc(float *buf, uint32_t n, float v)
{
	for (uint32_t i = 0; i < n; i++)
		buf[i] = v;
}

/* ---- pass-through and gain ---- */

static const uint32_t periods[] = { 256, 64, 37, 1, 1024, 7, 1000, 4096, 5000 };

/* Run `total` frames in periods of `period`, the inputs of channel 1 taken
 * from src (L, R), appending every output port to dst[port]. */
static void run_stream(struct rig *r, uint32_t period, uint32_t total,
		       float *const src[2], float **dst)
{
	for (uint32_t done = 0; done < total; done += period) {
		uint32_t n = total - done < period ? total - done : period;

		memcpy(r->in[0], src[0] + done, n * sizeof(float));
		memcpy(r->in[1], src[1] + done, n * sizeof(float));
		run_raw(r, n);
		for (int p = 0; p < r->out_ports; p++)
			memcpy(dst[p] + done, r->out[p], n * sizeof(float));
	}
}

/* Every zone's output is channel 1's input, bit for bit, lat frames
 * late, and silence before that. */
static void assert_delayed_copy(const struct rig *r, float *const src[2], float **dst,
				uint32_t total)
{
	ck_assert_uint_gt(total, r->lat);
	for (int p = 0; p < r->out_ports; p++) {
		for (uint32_t i = 0; i < r->lat; i++)
			ck_assert_float_eq(dst[p][i], 0.0f);
		ck_assert_mem_eq(dst[p] + r->lat, src[p % 2], (total - r->lat) * sizeof(float));
	}
}

#define STREAM 12000

START_TEST(unity_pass_through_is_bit_exact)
{
	struct rig *r = rig_new(8, 2, NULL, 5000);
	static float src_l[STREAM], src_r[STREAM], y[4][STREAM];
	float *src[2] = { src_l, src_r }, *dst[4] = { y[0], y[1], y[2], y[3] };

	fill_noise(src_l, STREAM);
	fill_noise(src_r, STREAM);
	run_stream(r, periods[_i], STREAM, src, dst);
	assert_delayed_copy(r, src, dst, STREAM);
	rig_free(r);
}
END_TEST

/* A fresh engine, defaults and all (zones limited at -1 dBFS): audio under
 * the ceiling passes bit-exact, delayed by what wm_engine_latency_frames
 * says, whatever the period length. */
START_TEST(default_engine_passes_bit_exact_delayed)
{
	struct wm_mix mix;
	struct wm_engine_config config = { .sample_rate = RATE };
	static float src_l[STREAM], src_r[STREAM], y[4][STREAM];
	float *src[2] = { src_l, src_r }, *dst[4] = { y[0], y[1], y[2], y[3] };

	wm_mix_init(&mix, 8, 2, NULL);
	ck_assert_double_eq(mix.zone[0].limit_db, -1.0);
	struct rig *r = rig_exact(&mix, 5000, &config);
	ck_assert_uint_eq(r->lat, LATENCY_48K);
	for (uint32_t i = 0; i < STREAM; i++) {
		src_l[i] = 0.8f * noise(); /* -1.9 dBFS at most */
		src_r[i] = 0.8f * noise();
	}
	run_stream(r, periods[_i], STREAM, src, dst);
	assert_delayed_copy(r, src, dst, STREAM);
	rig_free(r);
}
END_TEST

START_TEST(gain_minus_6_db)
{
	struct rig *r = rig_new(8, 2, NULL, 1024);
	float g = (float)wm_db_to_lin(-6.0);

	post(r, "ch/1/gain", -6.0, -1.0);
	fill_noise(r->in[0], 1024);
	run(r, 1024); /* the 20 ms ramp (960 frames) ends in here */
	fill_noise(r->in[0], 256);
	fill_noise(r->in[1], 256);
	run(r, 256);
	for (uint32_t i = 0; i < 256; i++) {
		for (int z = 0; z < 2; z++) {
			for (int s = 0; s < 2; s++) {
				double ratio = (double)r->out[2 * z + s][i] / r->in[s][i];

				ck_assert_double_eq_tol(ratio, wm_db_to_lin(-6.0), 1e-6 * wm_db_to_lin(-6.0));
				ck_assert_float_eq(r->out[2 * z + s][i], g * r->in[s][i]);
			}
		}
	}
	rig_free(r);
}
END_TEST

START_TEST(initial_state_has_no_ramp)
{
	struct wm_mix mix;

	wm_mix_init(&mix, 2, 1, NULL);
	mix.ch[0].gain_db = -6.0;
	struct rig *r = rig_mix(&mix, 64);
	fill_noise(r->in[0], 64);
	run(r, 64);
	for (uint32_t i = 0; i < 64; i++)
		ck_assert_float_eq(r->out[0][i], (float)wm_db_to_lin(-6.0) * r->in[0][i]);
	rig_free(r);
}
END_TEST

START_TEST(fader_command_is_gain)
{
	struct rig *r = rig_new(2, 1, NULL, 64);

	post(r, "ch/1/fader", 0.5, 0.0); /* 0.5 on the taper is -10 dB */
	fill_dc(r->in[0], 64, 1.0f);
	run(r, 64);
	ck_assert_float_eq(r->out[0][0], (float)wm_db_to_lin(-10.0));
	rig_free(r);
}
END_TEST

/* ---- ramps ---- */

#define RAMP_FRAMES 960 /* 20 ms at 48 kHz */

/* Run n frames in periods of `period`, appending zone 1 L to y as it
 * comes out (lat frames late: see aligned()). */
static void run_collect(struct rig *r, uint32_t period, uint32_t n, float *y)
{
	for (uint32_t done = 0; done < n; done += period) {
		uint32_t k = n - done < period ? n - done : period;

		run_raw(r, k);
		memcpy(y + done, r->out[0], k * sizeof(float));
	}
}

/* Drop the first lat frames of n collected ones, so y[k] is the output
 * for input frame k; returns how many frames are left. */
static uint32_t aligned(const struct rig *r, float *y, uint32_t n)
{
	memmove(y, y + r->lat, (n - r->lat) * sizeof(float));
	return n - r->lat;
}

static const uint32_t ramp_periods[] = { 64, 256, 1000, 1, 960, 959, 961, 7 };

START_TEST(ramp_shape)
{
	uint32_t period = ramp_periods[_i];
	struct rig *r = rig_new(2, 1, NULL, 2048);
	float target = (float)wm_db_to_lin(-6.0);
	static float y[3000];

	fill_dc(r->in[0], 2048, 1.0f);
	post(r, "ch/1/gain", -6.0, 20.0);
	run_collect(r, period, 3000, y);
	uint32_t n = aligned(r, y, 3000);
	/* Frame k of the ramp (0-based) is at 1 + (t - 1) * (k + 1) / 960. */
	for (uint32_t k = 0; k < RAMP_FRAMES - 1; k++) {
		double want = 1.0 + ((double)target - 1.0) * (k + 1) / RAMP_FRAMES;

		ck_assert_msg(fabs(y[k] - want) < 2e-6, "period %u frame %u: %.9f want %.9f",
			      period, k, (double)y[k], want);
		if (k > 0)
			ck_assert_float_lt(y[k], y[k - 1]);
	}
	for (uint32_t k = RAMP_FRAMES - 1; k < n; k++)
		ck_assert_msg(y[k] == target, "period %u frame %u: %.9f is not the target",
			      period, k, (double)y[k]);
	rig_free(r);
}
END_TEST

/* The last frame of a ramp is the target itself, not a sum that rounds
 * near it, whatever the gains, the length and the period split. */
START_TEST(ramp_lands_exactly)
{
	static const double from_db[] = { 0.0, -6.0, 12.0, -37.3 };
	static const double to_db[] = { -6.0, -1.0, -13.7, 12.0, 5.5, -80.1, 0.3 };
	static const double ramp_ms[] = { 20.0, 7.3, 1.1, 33.3 };
	struct rig *r = rig_new(1, 1, NULL, 97);
	int misses = 0;

	/* A quarter, so +12 dB stays under the ceiling; scaling by a power of
	 * two keeps the comparison exact. The last frame of each period
	 * comes out lat frames late, still long after the ramp ended. */
	fill_dc(r->in[0], 97, 0.25f);
	for (size_t f = 0; f < 4; f++) {
		for (size_t t = 0; t < 7; t++) {
			for (size_t m = 0; m < 4; m++) {
				/* Commands carry dB as float, hence the double cast. */
				float want = 0.25f * (float)wm_db_to_lin((float)to_db[t]);

				post(r, "ch/1/gain", from_db[f], 0.0);
				run_raw(r, 97);
				post(r, "ch/1/gain", to_db[t], ramp_ms[m]);
				/* 97-frame periods: the ramp ends mid-period. */
				for (int k = 0; k < 20; k++)
					run_raw(r, 97);
				if (r->out[0][96] != want)
					misses++;
			}
		}
	}
	ck_assert_int_eq(misses, 0);
	rig_free(r);
}
END_TEST

START_TEST(ramp_retarget_continues)
{
	struct rig *r = rig_new(2, 1, NULL, 64);
	static float y[2400];
	const float step = 1.0f / RAMP_FRAMES;

	fill_dc(r->in[0], 64, 1.0f);
	post(r, "ch/1/gain", -INFINITY, 20.0); /* 1 -> 0 over 960 frames */
	run_collect(r, 32, 480, y);
	post(r, "ch/1/gain", 0.0, 20.0);       /* back to 1 from where it is */
	run_collect(r, 64, 1920, y + 480);
	uint32_t n = aligned(r, y, 2400);
	ck_assert_double_eq_tol(y[479], 0.5, 1e-6);
	/* From 0.5 to 1 over 960 frames: half the slope, no step anywhere. */
	ck_assert_double_eq_tol(y[480], 0.5 + 0.5 / RAMP_FRAMES, 1e-6);
	for (uint32_t k = 1; k < n; k++)
		ck_assert_msg(fabsf(y[k] - y[k - 1]) <= step + 1e-6f,
			      "jump of %g at frame %u", (double)(y[k] - y[k - 1]), k);
	for (uint32_t k = 480 + RAMP_FRAMES - 1; k < n; k++)
		ck_assert_float_eq(y[k], 1.0f);
	rig_free(r);
}
END_TEST

START_TEST(ramp_zero_jumps)
{
	struct rig *r = rig_new(2, 2, NULL, 256);
	float g = (float)wm_db_to_lin(-12.0);

	fill_dc(r->in[0], 256, 1.0f);
	post(r, "ch/1/gain", -6.0, 1000.0); /* a long ramp in progress ... */
	run(r, 256);
	post(r, "ch/1/gain", -12.0, 0.0);   /* ... is cut short by a jump */
	fill_noise(r->in[0], 256);
	run(r, 256);
	for (uint32_t i = 0; i < 256; i++)
		ck_assert_float_eq(r->out[0][i], g * r->in[0][i]);
	rig_free(r);
}
END_TEST

START_TEST(unchanged_coefficient_keeps_its_ramp)
{
	struct rig *r = rig_new(2, 2, NULL, 64);
	static float y[1600];

	fill_dc(r->in[0], 64, 1.0f);
	post(r, "ch/1/gain", -INFINITY, 20.0);
	run_collect(r, 64, 320, y);
	/* Recomputes every coefficient of channel 1, but only zone 2's
	 * changes; zone 1's ramp must carry on as if nothing happened. */
	post(r, "ch/1/send/2", -6.0, 0.0);
	run_collect(r, 64, 1280, y + 320);
	uint32_t n = aligned(r, y, 1600);
	for (uint32_t k = 0; k < RAMP_FRAMES - 1; k++)
		ck_assert_double_eq_tol(y[k], 1.0 - (k + 1.0) / RAMP_FRAMES, 2e-6);
	for (uint32_t k = RAMP_FRAMES - 1; k < n; k++)
		ck_assert_float_eq(y[k], 0.0f);
	rig_free(r);
}
END_TEST

/* ---- pan law ---- */

static const double pans[] = { -1.0, 0.0, 1.0, 0.5, -0.5 };

static void pan_expect(bool mono, double pan, double lr[2])
{
	if (mono) {
		lr[0] = cos((pan + 1.0) * PI / 4.0);
		lr[1] = sin((pan + 1.0) * PI / 4.0);
	} else {
		lr[0] = pan > 0.0 ? cos(pan * PI / 2.0) : 1.0;
		lr[1] = pan < 0.0 ? cos(-pan * PI / 2.0) : 1.0;
	}
}

static void check_pan(struct rig *r, bool mono, double pan)
{
	double want[2];

	pan_expect(mono, pan, want);
	for (int s = 0; s < 2; s++) {
		float got = r->out[s][0];

		if (pan == 1.0 || pan == -1.0) {
			/* Hard pan is exact: full on one side, silence on the other. */
			ck_assert_msg(got == (want[s] > 0.5 ? 1.0f : 0.0f),
				      "%s pan %g side %d: %.9g", mono ? "mono" : "stereo", pan, s,
				      (double)got);
		} else {
			ck_assert_msg(fabs(got - want[s]) < 1e-7, "%s pan %g side %d: %.9g want %.9g",
				      mono ? "mono" : "stereo", pan, s, (double)got, want[s]);
		}
	}
}

START_TEST(pan_law)
{
	double pan = pans[_i];

	for (int mono = 0; mono < 2; mono++) {
		bool m = mono;
		struct rig *r = rig_new(1, 1, &m, 16);

		for (int p = 0; p < r->in_ports; p++)
			fill_dc(r->in[p], 16, 1.0f);
		post(r, "ch/1/pan", pan, 0.0);
		run(r, 16);
		check_pan(r, m, pan);
		rig_free(r);

		/* The same law when the pan comes with the initial mix. */
		struct wm_mix mix;
		wm_mix_init(&mix, 1, 1, &m);
		mix.ch[0].pan = pan;
		r = rig_mix(&mix, 16);
		for (int p = 0; p < r->in_ports; p++)
			fill_dc(r->in[p], 16, 1.0f);
		run(r, 16);
		check_pan(r, m, pan);
		rig_free(r);
	}
}
END_TEST

START_TEST(pan_centre_values)
{
	bool mono = true;
	struct rig *r = rig_new(1, 1, &mono, 16);

	fill_dc(r->in[0], 16, 1.0f);
	run(r, 16);
	/* Mono centre is -3 dB per side, stereo centre is unity. */
	ck_assert_float_eq_tol(r->out[0][0], 0.70710678f, 1e-7f);
	ck_assert_float_eq_tol(r->out[1][0], 0.70710678f, 1e-7f);
	ck_assert_double_eq_tol(20.0 * log10(r->out[0][0]), -3.0103, 1e-4);
	rig_free(r);
}
END_TEST

/* ---- mute, solo, sends, zones ---- */

/* Run one period and return zone 1 L, checking the period is flat. */
static float level(struct rig *r, int out_port)
{
	run(r, 64);
	for (uint32_t i = 1; i < 64; i++)
		ck_assert_float_eq(r->out[out_port][i], r->out[out_port][0]);
	return r->out[out_port][0];
}

START_TEST(mute_and_solo)
{
	struct rig *r = rig_new(3, 1, NULL, 64);

	/* Channels at 1, 2 and 4 eighths: the output sum says who is heard. */
	for (int c = 0; c < 3; c++) {
		fill_dc(r->in[2 * (size_t)c], 64, (float)(1 << c) / 8);
		fill_dc(r->in[2 * c + 1], 64, (float)(1 << c) / 8);
	}
	ck_assert_float_eq(8 * level(r, 0), 7.0f);
	post(r, "ch/2/solo", 1, 0);
	ck_assert_float_eq(8 * level(r, 0), 2.0f);
	post(r, "ch/3/solo", 1, 0);
	ck_assert_float_eq(8 * level(r, 0), 6.0f);
	ck_assert_float_eq(8 * level(r, 1), 6.0f);
	post(r, "ch/2/solo", 0, 0);
	ck_assert_float_eq(8 * level(r, 0), 4.0f);
	post(r, "ch/3/mute", 1, 0); /* the only solo is muted: silence */
	ck_assert_float_eq(8 * level(r, 0), 0.0f);
	post(r, "ch/3/solo", 0, 0); /* unsolo: everyone but the muted one */
	ck_assert_float_eq(8 * level(r, 0), 3.0f);
	post(r, "ch/3/mute", 0, 0);
	ck_assert_float_eq(8 * level(r, 0), 7.0f);
	post(r, "ch/1/mute", 1, 0);
	ck_assert_float_eq(8 * level(r, 0), 6.0f);
	post(r, "ch/1/solo", 1, 0); /* soloed but muted: still silent */
	ck_assert_float_eq(8 * level(r, 0), 0.0f);
	post(r, "ch/1/mute", 0, 0);
	ck_assert_float_eq(8 * level(r, 0), 1.0f);
	post(r, "ch/1/solo", 0, 0);
	ck_assert_float_eq(8 * level(r, 0), 7.0f);
	rig_free(r);
}
END_TEST

START_TEST(solo_ramps_others_out)
{
	struct rig *r = rig_new(2, 1, NULL, 64);

	fill_dc(r->in[2], 64, 1.0f); /* only channel 2 plays */
	post(r, "ch/1/solo", 1, 20.0);
	run(r, 64);
	/* Channel 2 fades over the solo's ramp, it does not cut. */
	ck_assert_float_eq_tol(r->out[0][0], 1.0f - 1.0f / RAMP_FRAMES, 1e-6f);
	ck_assert_float_eq_tol(r->out[0][63], 1.0f - 64.0f / RAMP_FRAMES, 1e-6f);
	rig_free(r);
}
END_TEST

START_TEST(sends_per_zone)
{
	struct rig *r = rig_new(8, 2, NULL, 128);
	float g = (float)wm_db_to_lin(-6.0);

	post(r, "ch/1/send/2", -INFINITY, 0);
	fill_noise(r->in[0], 128);
	fill_noise(r->in[1], 128);
	run(r, 128);
	for (uint32_t i = 0; i < 128; i++) {
		ck_assert_float_eq(r->out[2][i], 0.0f);
		ck_assert_float_eq(r->out[3][i], 0.0f);
	}
	ck_assert_mem_eq(r->out[0], r->in[0], 128 * sizeof(float));
	ck_assert_mem_eq(r->out[1], r->in[1], 128 * sizeof(float));

	post(r, "ch/1/send/1", -6.0, 0);
	post(r, "ch/1/send/2", 0.0, 0);
	run(r, 128);
	for (uint32_t i = 0; i < 128; i++) {
		ck_assert_float_eq(r->out[0][i], g * r->in[0][i]);
		ck_assert_float_eq(r->out[1][i], g * r->in[1][i]);
	}
	ck_assert_mem_eq(r->out[2], r->in[0], 128 * sizeof(float));
	ck_assert_mem_eq(r->out[3], r->in[1], 128 * sizeof(float));
	rig_free(r);
}
END_TEST

START_TEST(zone_gain_and_mute)
{
	struct rig *r = rig_new(8, 2, NULL, 128);
	float g = (float)wm_db_to_lin(-6.0);

	fill_noise(r->in[0], 128);
	fill_noise(r->in[1], 128);
	post(r, "zone/2/gain", -6.0, 0);
	run(r, 128);
	for (uint32_t i = 0; i < 128; i++)
		ck_assert_float_eq(r->out[3][i], g * r->in[1][i]);
	ck_assert_mem_eq(r->out[0], r->in[0], 128 * sizeof(float));

	post(r, "zone/1/mute", 1, 0);
	run(r, 128);
	for (uint32_t i = 0; i < 128; i++) {
		ck_assert_float_eq(r->out[0][i], 0.0f);
		ck_assert_float_eq(r->out[1][i], 0.0f);
		ck_assert_float_eq(r->out[2][i], g * r->in[0][i]);
	}
	post(r, "zone/1/mute", 0, 0);
	post(r, "zone/2/gain", -INFINITY, 0);
	run(r, 128);
	ck_assert_mem_eq(r->out[0], r->in[0], 128 * sizeof(float));
	for (uint32_t i = 0; i < 128; i++)
		ck_assert_float_eq(r->out[2][i], 0.0f);
	rig_free(r);
}
END_TEST

START_TEST(commands_together_land_together)
{
	struct rig *r = rig_new(8, 2, NULL, 64);
	struct wm_engine_cmd cmds[2] = {
		cmd_of(r, "ch/1/gain", -6.0, 0.0),
		cmd_of(r, "zone/2/mute", 1.0, 0.0),
	};
	struct wm_err err;
	float g = (float)wm_db_to_lin(-6.0);

	fill_noise(r->in[0], 64);
	ck_assert_int_eq(wm_engine_post(r->e, cmds, 2, &err), 0);
	run(r, 64);
	for (uint32_t i = 0; i < 64; i++) {
		ck_assert_float_eq(r->out[0][i], g * r->in[0][i]);
		ck_assert_float_eq(r->out[2][i], 0.0f);
	}
	struct wm_engine_stats st;
	wm_engine_get_stats(r->e, &st);
	ck_assert_uint_eq(st.commands, 2);
	rig_free(r);
}
END_TEST

START_TEST(full_ring_is_busy)
{
	struct wm_mix mix;
	struct wm_engine_config config = { .sample_rate = RATE, .command_capacity = 4 };
	struct wm_engine_stats st;
	struct wm_err err;

	wm_mix_init(&mix, 2, 1, NULL);
	struct rig *r = rig_config(&mix, 64, &config);
	struct wm_engine_cmd cmd = cmd_of(r, "ch/1/gain", -3.0, 0.0), two[2] = { cmd, cmd };

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(wm_engine_post(r->e, &cmd, 1, &err), 0);
	wm_err_clear(&err);
	ck_assert_int_eq(wm_engine_post(r->e, &cmd, 1, &err), -1);
	ck_assert_int_eq(err.code, WM_E_BUSY);
	ck_assert(strlen(err.msg) > 10);
	wm_engine_get_stats(r->e, &st);
	ck_assert_uint_eq(st.command_drops, 1);
	ck_assert_int_eq(wm_engine_post(r->e, two, 2, &err), -1);
	wm_engine_get_stats(r->e, &st);
	ck_assert_uint_eq(st.command_drops, 3);

	run(r, 64); /* the audio thread drains: room again */
	wm_engine_get_stats(r->e, &st);
	ck_assert_uint_eq(st.commands, 4);
	ck_assert_int_eq(wm_engine_post(r->e, two, 2, &err), 0);
	rig_free(r);
}
END_TEST

START_TEST(post_rejects_bad_commands)
{
	struct rig *r = rig_new(8, 2, NULL, 64);
	struct wm_engine_cmd good = cmd_of(r, "ch/1/gain", -3.0, 0.0), bad;
	struct wm_engine_cmd batch[2];
	struct wm_engine_stats st;
	struct wm_err err;

	bad = good;
	bad.ref.ch = 8;
	ck_assert_int_eq(wm_engine_post(r->e, &bad, 1, &err), -1);
	ck_assert_int_eq(err.code, WM_E_UNKNOWN_PATH);
	ck_assert_ptr_nonnull(strstr(err.msg, "channels are 1..8"));
	bad = cmd_of(r, "ch/1/send/2", 0.0, 0.0);
	bad.ref.zone = 2;
	ck_assert_int_eq(wm_engine_post(r->e, &bad, 1, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "zones are 1..2"));
	bad = cmd_of(r, "zone/1/gain", 0.0, 0.0);
	bad.ref.zone = -1;
	ck_assert_int_eq(wm_engine_post(r->e, &bad, 1, &err), -1);
	bad = cmd_of(r, "ch/1/gain", 13.0, 0.0);
	ck_assert_int_eq(wm_engine_post(r->e, &bad, 1, &err), -1);
	ck_assert_int_eq(err.code, WM_E_OUT_OF_RANGE);
	bad = cmd_of(r, "ch/1/pan", 1.5, 0.0);
	ck_assert_int_eq(wm_engine_post(r->e, &bad, 1, &err), -1);
	ck_assert_int_eq(err.code, WM_E_OUT_OF_RANGE);
	bad = cmd_of(r, "ch/1/pan", NAN, 0.0);
	ck_assert_int_eq(wm_engine_post(r->e, &bad, 1, &err), -1);
	ck_assert_int_eq(err.code, WM_E_BAD_TYPE);
	bad.ref.id = WM_PARAM_COUNT;
	ck_assert_int_eq(wm_engine_post(r->e, &bad, 1, &err), -1);
	ck_assert_int_eq(err.code, WM_E_INTERNAL);

	/* One bad command refuses the whole batch. */
	batch[0] = good;
	batch[1] = cmd_of(r, "ch/1/gain", 20.0, 0.0);
	ck_assert_int_eq(wm_engine_post(r->e, batch, 2, &err), -1);
	fill_noise(r->in[0], 64);
	run(r, 64);
	wm_engine_get_stats(r->e, &st);
	ck_assert_uint_eq(st.commands, 0);
	ck_assert_uint_eq(st.command_drops, 0);
	ck_assert_mem_eq(r->out[0], r->in[0], 64 * sizeof(float));

	/* Names are accepted and change nothing audible. */
	bad = cmd_of(r, "ch/1/name", 0.0, 0.0);
	ck_assert_int_eq(wm_engine_post(r->e, &bad, 1, &err), 0);
	ck_assert_int_eq(wm_engine_post(r->e, NULL, 0, &err), 0);
	run(r, 64);
	ck_assert_mem_eq(r->out[0], r->in[0], 64 * sizeof(float));
	rig_free(r);
}
END_TEST

/* ---- meters ---- */

static const struct wm_meter *find_meter(const struct wm_meter *m, size_t n, int kind, int index)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].kind == kind && m[i].index == index)
			return &m[i];
	return NULL;
}

START_TEST(meters_sine_and_dc)
{
	struct rig *r = rig_new(8, 2, NULL, 256);
	struct wm_meter m[64];
	uint32_t t = 0;

	/* 30 Hz meters at 48 kHz: 1600-frame intervals; 480 Hz fits 16
	 * whole cycles and peaks at exactly 1. */
	for (int period = 0; period < 7; period++) {
		for (uint32_t i = 0; i < 256; i++, t++) {
			r->in[0][i] = (float)sin(2.0 * PI * 480.0 * t / RATE);
			r->in[1][i] = 0.5f;
		}
		run_raw(r, 256);
		if (period < 6)
			ck_assert_uint_eq(wm_engine_poll_meters(r->e, m, 64), 0);
	}
	size_t n = wm_engine_poll_meters(r->e, m, 64);
	ck_assert_uint_eq(n, 10);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(m[i].seq, 0);

	const struct wm_meter *ch1 = find_meter(m, n, WM_METER_CHANNEL, 0);
	ck_assert_ptr_nonnull(ch1);
	ck_assert_float_eq_tol(ch1->peak[0], 1.0f, 1e-3f);
	ck_assert_float_eq_tol(ch1->rms[0], 0.70710678f, 1e-3f);
	ck_assert_float_eq(ch1->peak[1], 0.5f);
	ck_assert_float_eq_tol(ch1->rms[1], 0.5f, 1e-6f);
	for (int c = 1; c < 8; c++) {
		const struct wm_meter *q = find_meter(m, n, WM_METER_CHANNEL, c);

		ck_assert_ptr_nonnull(q);
		ck_assert_float_eq(q->peak[0] + q->peak[1] + q->rms[0] + q->rms[1], 0.0f);
	}
	/* Zones are metered at the speakers: the same signals lat frames
	 * late, so the interval holds lat frames of silence, then the rest. */
	double want_peak = 0.0, want_sq = 0.0;
	for (uint32_t k = r->lat; k < 1600; k++) {
		float x = (float)sin(2.0 * PI * 480.0 * (k - r->lat) / RATE);

		want_peak = fmax(want_peak, fabsf(x));
		want_sq += (double)x * x;
	}
	for (int z = 0; z < 2; z++) {
		const struct wm_meter *q = find_meter(m, n, WM_METER_ZONE, z);

		ck_assert_ptr_nonnull(q);
		ck_assert_float_eq_tol(q->peak[0], want_peak, 1e-6f);
		ck_assert_float_eq_tol(q->rms[0], sqrt(want_sq / 1600), 1e-5f);
		ck_assert_float_eq(q->peak[1], 0.5f);
		ck_assert_float_eq_tol(q->rms[1], 0.5f * sqrt((1600.0 - r->lat) / 1600), 1e-6f);
		/* Nothing limited or ducked: the stage gains are 1. */
		ck_assert_float_eq(q->limit_gain, 1.0f);
		ck_assert_float_eq(q->duck_gain, 1.0f);
	}
	for (size_t i = 0; i < n; i++)
		ck_assert(m[i].limit_gain == 1.0f && m[i].duck_gain == 1.0f);

	/* The next interval started mid-period: it covers exactly 1600
	 * frames of DC 0.25 from here on. */
	fill_dc(r->in[0], 256, 0.25f);
	fill_dc(r->in[1], 256, 0.25f);
	for (int period = 0; period < 6; period++)
		run_raw(r, 256);
	n = wm_engine_poll_meters(r->e, m, 64);
	ck_assert_uint_eq(n, 10);
	ch1 = find_meter(m, n, WM_METER_CHANNEL, 0);
	ck_assert_uint_eq(ch1->seq, 1);
	ck_assert_float_eq_tol(ch1->peak[0], 1.0f, 1e-3f); /* the sine's tail */
	ck_assert(ch1->rms[0] > 0.25f && ch1->rms[0] < 0.7071f);
	rig_free(r);
}
END_TEST

START_TEST(meters_mono_and_negative)
{
	bool mono[2] = { true, false };
	struct rig *r = rig_new(2, 1, mono, 1600);
	struct wm_meter m[8];

	fill_dc(r->in[0], 1600, -0.5f); /* channel 1, mono */
	fill_dc(r->in[1], 1600, 0.25f); /* channel 2 L */
	run_raw(r, 1600);
	size_t n = wm_engine_poll_meters(r->e, m, 8);
	ck_assert_uint_eq(n, 3);
	const struct wm_meter *c1 = find_meter(m, n, WM_METER_CHANNEL, 0);
	ck_assert_float_eq(c1->peak[0], 0.5f);
	ck_assert_float_eq(c1->peak[1], 0.5f);
	ck_assert_float_eq_tol(c1->rms[0], 0.5f, 1e-6f);
	ck_assert_float_eq_tol(c1->rms[1], 0.5f, 1e-6f);
	const struct wm_meter *c2 = find_meter(m, n, WM_METER_CHANNEL, 1);
	ck_assert_float_eq(c2->peak[0], 0.25f);
	ck_assert_float_eq(c2->peak[1], 0.0f);
	const struct wm_meter *z1 = find_meter(m, n, WM_METER_ZONE, 0);
	float mono_side = -0.5f * 0.70710677f;
	ck_assert_float_eq_tol(z1->peak[0], fabsf(mono_side + 0.25f), 1e-6f);
	ck_assert_float_eq_tol(z1->peak[1], fabsf(mono_side), 1e-6f);
	rig_free(r);
}
END_TEST

START_TEST(meter_sweeps_whole_or_dropped)
{
	struct rig *r = rig_new(8, 2, NULL, 1600);
	struct wm_meter m[400];
	struct wm_engine_stats st;

	for (int i = 0; i < 20; i++)
		run_raw(r, 1600); /* 20 sweeps, nobody polling */
	wm_engine_get_stats(r->e, &st);
	size_t n = wm_engine_poll_meters(r->e, m, 400);
	ck_assert_uint_ge(n, 80);            /* at least 8 sweeps of 10 kept */
	ck_assert_uint_eq(n % 10, 0);         /* only whole sweeps */
	ck_assert_uint_eq(st.meter_drops, 200 - n);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(m[i].seq, m[0].seq + i / 10);
	ck_assert_uint_eq(m[0].seq, 0);
	rig_free(r);
}
END_TEST

/* ---- topology ---- */

START_TEST(mono_channels_map_ports)
{
	bool mono[4] = { false, true, false, true };
	struct rig *r = rig_new(4, 2, mono, 16);
	float c = 0.70710677f;

	ck_assert_int_eq(r->in_ports, 6);
	ck_assert_int_eq(r->out_ports, 4);
	for (int p = 0; p < 6; p++)
		fill_dc(r->in[p], 16, (float)(1 << p) / 64);
	run(r, 16);
	/* ports in 64ths: ch1 L=1 R=2, ch2 mono=4, ch3 L=8 R=16, ch4 mono=32 */
	for (int z = 0; z < 2; z++) {
		ck_assert_float_eq_tol(64 * r->out[2 * (size_t)z][5], 1 + 4 * c + 8 + 32 * c, 1e-5f);
		ck_assert_float_eq_tol(64 * r->out[2 * z + 1][5], 2 + 4 * c + 16 + 32 * c, 1e-5f);
	}
	rig_free(r);
}
END_TEST

static double pan_side(bool mono, double pan, int s)
{
	double lr[2];

	pan_expect(mono, pan, lr);
	return lr[s] < 1e-9 ? 0.0 : lr[s];
}

START_TEST(big_topology_matches_reference)
{
	enum { CH = 128, ZN = 16, N = 100 };
	struct wm_mix mix;
	bool mono[CH];

	for (int c = 0; c < CH; c++)
		mono[c] = c % 3 == 1;
	wm_mix_init(&mix, CH, ZN, mono);
	for (int c = 0; c < CH; c++) {
		mix.ch[c].gain_db = -(double)(c % 13);
		mix.ch[c].pan = ((c * 37) % 21 - 10) / 10.0;
		mix.ch[c].mute = c % 17 == 5;
		for (int z = 0; z < ZN; z++)
			mix.ch[c].send_db[z] = (c + z) % 5 == 0 ? -INFINITY : -(double)(z % 7);
	}
	for (int z = 0; z < ZN; z++)
		mix.zone[z].gain_db = -(double)z / 2.0;
	mix.zone[3].mute = true;

	struct rig *r = rig_mix(&mix, N);
	ck_assert_int_eq(r->in_ports, CH * 2 - (CH + 1) / 3);
	ck_assert(r->out_ports == ZN * 2);
	/* 1/128 of full scale: 128 channels at unity cannot sum above 0 dBFS,
	 * so the limiter leaves the sums alone. */
	for (int p = 0; p < r->in_ports; p++) {
		fill_noise(r->in[p], N);
		for (int i = 0; i < N; i++)
			r->in[p][i] /= 128;
	}
	run(r, N);

	for (int z = 0; z < ZN; z++) {
		for (int s = 0; s < 2; s++) {
			for (int i = 0; i < N; i++) {
				double want = 0.0;
				int port = 0;

				for (int c = 0; c < CH; c++) {
					int p = mono[c] ? port : port + s;
					double g = wm_db_to_lin(mix.ch[c].gain_db) *
						   pan_side(mono[c], mix.ch[c].pan, s) *
						   wm_db_to_lin(mix.ch[c].send_db[z]) *
						   (mix.ch[c].mute ? 0.0 : 1.0) *
						   wm_db_to_lin(mix.zone[z].gain_db) *
						   (mix.zone[z].mute ? 0.0 : 1.0);

					want += g * r->in[p][i];
					port += mono[c] ? 1 : 2;
				}
				ck_assert_msg(fabs(r->out[2 * z + s][i] - want) < 1e-6,
					      "zone %d side %d frame %d: %g want %g", z, s, i,
					      (double)r->out[2 * z + s][i], want);
			}
		}
	}
	/* Zone 4 is muted: exactly silent. */
	for (int i = 0; i < N; i++)
		ck_assert_float_eq(r->out[6][i] + r->out[7][i], 0.0f);
	rig_free(r);
}
END_TEST

START_TEST(largest_topology_runs)
{
	struct rig *r = rig_new(WM_MAX_CHANNELS, WM_MAX_ZONES, NULL, 64);

	ck_assert(r->in_ports == 2 * WM_MAX_CHANNELS);
	ck_assert(r->out_ports == 2 * WM_MAX_ZONES);
	fill_noise(r->in[2 * WM_MAX_CHANNELS - 1], 64);
	run(r, 64);
	ck_assert_mem_eq(r->out[2 * WM_MAX_ZONES - 1], r->in[2 * WM_MAX_CHANNELS - 1],
			 64 * sizeof(float));
	rig_free(r);
}
END_TEST

/* ---- ducking and zone limits ---- */

/* ck_assert records a checkpoint on every call (a write); loops over tens
 * of thousands of samples only call into Check on a failure. */
#define EXPECT(cond, ...)                                                     \
	do {                                                                  \
		if (!(cond))                                                  \
			ck_abort_msg(__VA_ARGS__);                            \
	} while (0)

#define ATTACK_FRAMES 480u   /* the default 10 ms */
#define HOLD_FRAMES 9600u    /* the default 200 ms */
#define RELEASE_FRAMES 14400u /* the default 300 ms */
#define SEG 32u              /* the ducker's segment */
#define DUCK_LOW 0.25118864f /* the default depth, -12 dB */

/* A command by reference, for the issue-5 parameters whose paths the
 * parser does not know yet. */
static struct wm_engine_cmd ref_cmd(enum wm_param_id id, int ch, int zone, double value)
{
	struct wm_engine_cmd cmd = { { id, ch, zone }, (float)value, -1.0f };

	return cmd;
}

static int post_ref(struct rig *r, enum wm_param_id id, int ch, int zone, double value,
		    struct wm_err *err)
{
	struct wm_engine_cmd cmd = ref_cmd(id, ch, zone, value);

	return wm_engine_post(r->e, &cmd, 1, err);
}

static void must_post_ref(struct rig *r, enum wm_param_id id, int ch, int zone, double value)
{
	struct wm_err err;

	ck_assert_msg(post_ref(r, id, ch, zone, value, &err) == 0, "post id %d: %s", (int)id,
		      err.msg);
}

/* Timeline state for the ducking tests: run 64-frame periods until the
 * input frame `until`, keeping zone 1 L and zone 2 L as they come out,
 * and the lowest meter gains seen. */
struct tape {
	uint32_t t;                  /* input frames run so far */
	float *z1, *z2;              /* raw outputs, lat frames late */
	float duck_min[2], limit_min[2];
};

static void tape_run(struct rig *r, struct tape *tp, uint32_t until)
{
	struct wm_meter m[64];

	while (tp->t < until) {
		uint32_t n = until - tp->t < 64 ? until - tp->t : 64;

		run_raw(r, n);
		memcpy(tp->z1 + tp->t, r->out[0], n * sizeof(float));
		if (r->out_ports > 2)
			memcpy(tp->z2 + tp->t, r->out[2], n * sizeof(float));
		tp->t += n;
		size_t got = wm_engine_poll_meters(r->e, m, 64);
		for (size_t i = 0; i < got; i++) {
			if (m[i].kind == WM_METER_CHANNEL) {
				ck_assert(m[i].duck_gain == 1.0f && m[i].limit_gain == 1.0f);
				continue;
			}
			tp->duck_min[m[i].index] = fminf(tp->duck_min[m[i].index], m[i].duck_gain);
			tp->limit_min[m[i].index] = fminf(tp->limit_min[m[i].index],
							  m[i].limit_gain);
		}
	}
}

#define TAPE 60000

START_TEST(state_key_ducks_only_the_zones_it_sends_to)
{
	struct wm_mix mix;
	static float z1[TAPE], z2[TAPE];
	struct tape tp = { 0, z1, z2, { 1, 1 }, { 1, 1 } };

	wm_mix_init(&mix, 2, 2, NULL);
	mix.ch[1].send_db[1] = -INFINITY;        /* the voice is not in zone 2 */
	struct rig *r = rig_mix(&mix, 64);
	uint32_t lat = r->lat;
	const uint32_t t0 = 2048, t1 = t0 + 9600;
	const uint32_t back = t1 + HOLD_FRAMES + RELEASE_FRAMES, end = back + 2048;

	fill_dc(r->in[0], 64, 0.5f);               /* music, L and R */
	fill_dc(r->in[1], 64, 0.5f);
	must_post_ref(r, WM_PARAM_CH_DUCK, 0, -1, WM_DUCK_DUCKED);
	must_post_ref(r, WM_PARAM_CH_DUCK, 1, -1, WM_DUCK_KEY);
	tape_run(r, &tp, t0);
	wm_engine_set_playing_rt(r->e, 1, true);  /* the voice starts a file */
	tape_run(r, &tp, t1);
	wm_engine_set_playing_rt(r->e, 1, false);
	tape_run(r, &tp, end + lat);

	/* u is the input frame; its output is at u + lat. */
	for (uint32_t u = 0; u < RAMP_FRAMES; u++)  /* moving to the duck bus */
		EXPECT(fabsf(z1[u + lat] - 0.5f) < 1e-6f, "crossfade frame %u: %.9g", u,
		       (double)z1[u + lat]);
	for (uint32_t u = RAMP_FRAMES; u < t0; u++)
		EXPECT(z1[u + lat] == 0.5f, "before the key, frame %u: %.9g", u,
		       (double)z1[u + lat]);
	for (uint32_t u = t0; u + SEG < t0 + ATTACK_FRAMES; u++)
		EXPECT(z1[u + lat] > 0.5f * DUCK_LOW * 1.0001f, "down too early at %u", u);
	for (uint32_t u = t0 + ATTACK_FRAMES + SEG; u < t1 + HOLD_FRAMES; u++)
		EXPECT(fabsf(z1[u + lat] - 0.5f * DUCK_LOW) < 1e-6f, "ducked, frame %u: %.9g", u,
		       (double)z1[u + lat]);
	for (uint32_t u = t1 + HOLD_FRAMES + SEG; u + SEG < back; u++)
		EXPECT(z1[u + lat] > 0.5f * DUCK_LOW && z1[u + lat] < 0.5f,
		       "release, frame %u: %.9g", u, (double)z1[u + lat]);
	for (uint32_t u = back; u < end; u++)
		EXPECT(z1[u + lat] == 0.5f, "after the release, frame %u: %.9g", u,
		       (double)z1[u + lat]);
	/* Zone 2 never hears the key: its music is never ducked. */
	for (uint32_t u = RAMP_FRAMES; u < end; u++)
		EXPECT(z2[u + lat] == 0.5f, "zone 2 frame %u: %.9g", u, (double)z2[u + lat]);

	ck_assert_float_eq_tol(tp.duck_min[0], DUCK_LOW, 1e-6f);
	ck_assert_float_eq(tp.duck_min[1], 1.0f);
	ck_assert_float_eq(tp.limit_min[0], 1.0f);
	/* Out-of-range channels are ignored. */
	wm_engine_set_playing_rt(r->e, -1, true);
	wm_engine_set_playing_rt(r->e, 2, true);
	rig_free(r);
}
END_TEST

START_TEST(level_key_uses_threshold_gain_and_send)
{
	struct wm_mix mix;
	static float z1[TAPE], z2[TAPE];
	struct tape tp = { 0, z1, z2, { 1, 1 }, { 1, 1 } };
	const float voice = 0.1f, music = 0.25f;

	wm_mix_init(&mix, 2, 2, NULL);
	mix.ch[0].duck = WM_DUCK_DUCKED;           /* roles from the start */
	mix.ch[1].duck = WM_DUCK_KEY;
	mix.ch[1].send_db[1] = -30.0;              /* -20 dB voice reaches zone 2 at -50 */
	struct rig *r = rig_mix(&mix, 64);
	uint32_t lat = r->lat;
	float send2 = (float)wm_db_to_lin(-30.0);

	fill_dc(r->in[0], 64, music);
	fill_dc(r->in[1], 64, music);
	fill_dc(r->in[2], 64, voice);
	fill_dc(r->in[3], 64, voice);
	tape_run(r, &tp, 4096);                    /* threshold -40 dB: zone 1 ducks */
	for (uint32_t u = ATTACK_FRAMES + SEG; u < 4096 - lat; u++) {
		EXPECT(fabsf(z1[u + lat] - (voice + music * DUCK_LOW)) < 1e-6f,
		       "zone 1 frame %u: %.9g", u, (double)z1[u + lat]);
		EXPECT(fabsf(z2[u + lat] - (voice * send2 + music)) < 1e-6f,
		       "zone 2 frame %u: %.9g", u, (double)z2[u + lat]);
	}
	ck_assert(tp.duck_min[1] == 1.0f);

	/* A threshold above the voice: no key, so after hold and release
	 * the music is back, exactly. */
	must_post_ref(r, WM_PARAM_DUCK_THRESHOLD, -1, -1, -10.0);
	uint32_t back = tp.t + HOLD_FRAMES + RELEASE_FRAMES + SEG;
	tape_run(r, &tp, back + 2048);
	for (uint32_t u = back; u < back + 2048 - lat; u++)
		EXPECT(z1[u + lat] == voice + music, "zone 1 frame %u: %.9g", u,
		       (double)z1[u + lat]);

	/* Back under the threshold, but the key is muted: still no key. */
	must_post_ref(r, WM_PARAM_CH_MUTE, 1, -1, 1.0);
	must_post_ref(r, WM_PARAM_DUCK_THRESHOLD, -1, -1, -40.0);
	uint32_t from = tp.t;
	tape_run(r, &tp, from + 4096);
	for (uint32_t u = from + RAMP_FRAMES; u < from + 4096 - lat; u++)
		EXPECT(z1[u + lat] == music, "muted key, frame %u: %.9g", u, (double)z1[u + lat]);
	rig_free(r);
}
END_TEST

/* A duck role set while the zone is ducked crossfades the channel from
 * the main bus to the ducked bus with the default ramp: no click. */
START_TEST(role_change_crossfades)
{
	struct wm_mix mix;
	static float z1[TAPE], z2[TAPE];
	struct tape tp = { 0, z1, z2, { 1, 1 }, { 1, 1 } };

	wm_mix_init(&mix, 2, 1, NULL);
	mix.ch[1].duck = WM_DUCK_KEY;
	struct rig *r = rig_mix(&mix, 64);
	uint32_t lat = r->lat;
	const float max_step = 0.5f * (1.0f - DUCK_LOW) / RAMP_FRAMES + 1e-6f;

	fill_dc(r->in[0], 64, 0.5f);
	fill_dc(r->in[1], 64, 0.5f);
	wm_engine_set_playing_rt(r->e, 1, true);
	tape_run(r, &tp, 2048);                    /* keyed, but nothing to duck */
	for (uint32_t u = 0; u < 2048 - lat; u++)
		EXPECT(z1[u + lat] == 0.5f, "frame %u: %.9g", u, (double)z1[u + lat]);
	must_post_ref(r, WM_PARAM_CH_DUCK, 0, -1, WM_DUCK_DUCKED);
	tape_run(r, &tp, 4096);
	must_post_ref(r, WM_PARAM_CH_DUCK, 0, -1, WM_DUCK_OFF);
	tape_run(r, &tp, 6144 + lat);
	for (uint32_t u = 1; u < 6144; u++)
		EXPECT(fabsf(z1[u + lat] - z1[u + lat - 1]) <= max_step,
		       "step of %g at frame %u", (double)(z1[u + lat] - z1[u + lat - 1]), u);
	for (uint32_t u = 2048 + RAMP_FRAMES; u < 4096; u++)
		EXPECT(fabsf(z1[u + lat] - 0.5f * DUCK_LOW) < 1e-6f, "frame %u: %.9g", u,
		       (double)z1[u + lat]);
	for (uint32_t u = 4096 + RAMP_FRAMES; u < 6144; u++)
		EXPECT(fabsf(z1[u + lat] - 0.5f) < 1e-6f, "frame %u: %.9g", u,
		       (double)z1[u + lat]);
	rig_free(r);
}
END_TEST

START_TEST(zone_limit_holds_an_overdriven_mix)
{
	struct rig *r = rig_new(2, 2, NULL, 1024);
	float six = (float)wm_db_to_lin(-6.0);
	struct wm_meter m[16];
	struct wm_err err;

	/* Two channels of noise 12 dB over full scale. */
	for (int round = 0; round < 8; round++) {
		for (int p = 0; p < 4; p++) {
			fill_noise(r->in[p], 1024);
			for (uint32_t i = 0; i < 1024; i++)
				r->in[p][i] *= 4.0f;
		}
		if (round == 3)
			must_post_ref(r, WM_PARAM_ZONE_LIMIT, -1, 0, -6.0);
		run_raw(r, 1024);
		for (int p = 0; p < 4; p++) {
			float c = round >= 3 && p < 2 ? six : 1.0f;

			for (uint32_t i = 0; i < 1024; i++)
				EXPECT(fabsf(r->out[p][i]) <= c, "round %d port %d frame %u: %.9g > %.9g",
				       round, p, i, (double)r->out[p][i], (double)c);
		}
	}
	/* Loud, not silenced. */
	float peak = 0.0f;
	for (uint32_t i = 0; i < 1024; i++)
		peak = fmaxf(peak, fabsf(r->out[0][i]));
	ck_assert_float_gt(peak, 0.9f * six);

	size_t n = wm_engine_poll_meters(r->e, m, 16);
	ck_assert_uint_ge(n, 4);
	const struct wm_meter *zq = find_meter(m + n - 4, 4, WM_METER_ZONE, 0);
	ck_assert_ptr_nonnull(zq);
	ck_assert_float_le(zq->peak[0], six);
	ck_assert_float_lt(zq->limit_gain, six);
	ck_assert_float_eq(zq->duck_gain, 1.0f);
	const struct wm_meter *cq = find_meter(m + n - 4, 4, WM_METER_CHANNEL, 0);
	ck_assert_float_eq(cq->limit_gain, 1.0f);

	ck_assert_int_eq(post_ref(r, WM_PARAM_ZONE_LIMIT, -1, 0, 0.5, &err), -1);
	ck_assert_int_eq(err.code, WM_E_OUT_OF_RANGE);
	ck_assert_int_eq(post_ref(r, WM_PARAM_ZONE_LIMIT, -1, 0, -61.0, &err), -1);
	ck_assert_int_eq(post_ref(r, WM_PARAM_ZONE_LIMIT, -1, 2, -6.0, &err), -1);
	ck_assert_int_eq(err.code, WM_E_UNKNOWN_PATH);
	rig_free(r);
}
END_TEST

/* The engine cuts long periods into blocks and blocks at meter interval
 * ends; none of that may change a sample. With the limiter working hard
 * and everything settled, any split gives the same output bit for bit. */
START_TEST(any_period_length_same_output)
{
	static const uint32_t splits[] = { 1, 7, 64, 1000, 1024, 1025, 5000 };
	enum { TOTAL = 20000 };
	static float src_l[TOTAL], src_r[TOTAL], want[4][TOTAL], got[4][TOTAL];
	float *src[2] = { src_l, src_r };
	float *w[4] = { want[0], want[1], want[2], want[3] };
	float *g[4] = { got[0], got[1], got[2], got[3] };
	struct wm_engine_config config = { .sample_rate = RATE };
	struct wm_mix mix;

	wm_mix_init(&mix, 8, 2, NULL);             /* limited at -1 dBFS */
	for (uint32_t i = 0; i < TOTAL; i++) {
		src_l[i] = 3.0f * noise();
		src_r[i] = (i / 300) % 2 ? 0.2f * noise() : 3.0f * noise();
	}
	struct rig *r = rig_exact(&mix, 5000, &config);
	run_stream(r, 4096, TOTAL, src, w);
	rig_free(r);
	for (size_t k = 0; k < sizeof splits / sizeof splits[0]; k++) {
		r = rig_exact(&mix, 5000, &config);
		run_stream(r, splits[k], TOTAL, src, g);
		for (int p = 0; p < 4; p++)
			ck_assert_msg(memcmp(want[p], got[p], sizeof want[p]) == 0,
				      "split %u port %d differs", splits[k], p);
		rig_free(r);
	}
	for (int p = 0; p < 4; p++)
		for (uint32_t i = 0; i < TOTAL; i++)
			EXPECT(fabsf(want[p][i]) <= (float)wm_db_to_lin(-1.0), "port %d frame %u", p, i);
}
END_TEST

START_TEST(post_checks_duck_and_limit_values)
{
	struct rig *r = rig_new(8, 2, NULL, 64);
	struct wm_err err;

	for (int role = 0; role < WM_DUCK_ROLES; role++)
		ck_assert_int_eq(post_ref(r, WM_PARAM_CH_DUCK, 0, -1, role, &err), 0);
	static const double bad_roles[] = { -1.0, 1.5, 3.0, NAN };
	for (size_t i = 0; i < 4; i++) {
		ck_assert_int_eq(post_ref(r, WM_PARAM_CH_DUCK, 0, -1, bad_roles[i], &err), -1);
		ck_assert_msg(err.code == WM_E_OUT_OF_RANGE || err.code == WM_E_BAD_TYPE,
			      "%g: %s", bad_roles[i], err.msg);
	}
	ck_assert_int_eq(post_ref(r, WM_PARAM_CH_DUCK, 8, -1, 1, &err), -1);
	ck_assert_int_eq(err.code, WM_E_UNKNOWN_PATH);

	static const struct {
		enum wm_param_id id;
		double good, bad;
	} globals[] = {
		{ WM_PARAM_DUCK_THRESHOLD, -30.0, 1.0 },
		{ WM_PARAM_DUCK_DEPTH, 20.0, -1.0 },
		{ WM_PARAM_DUCK_ATTACK, 0.0, -1.0 },
		{ WM_PARAM_DUCK_HOLD, 500.0, 1e9 },
		{ WM_PARAM_DUCK_RELEASE, 1000.0, -5.0 },
	};
	for (size_t i = 0; i < 5; i++) {
		ck_assert_int_eq(post_ref(r, globals[i].id, -1, -1, globals[i].good, &err), 0);
		ck_assert_int_eq(post_ref(r, globals[i].id, -1, -1, globals[i].bad, &err), -1);
		ck_assert_int_eq(err.code, WM_E_OUT_OF_RANGE);
		ck_assert_ptr_nonnull(strstr(err.msg, "duck/"));
	}
	ck_assert_int_eq(post_ref(r, WM_PARAM_ZONE_LIMIT, -1, 1, -60.0, &err), 0);
	ck_assert_int_eq(post_ref(r, WM_PARAM_ZONE_LIMIT, -1, 1, 0.0, &err), 0);
	run_raw(r, 64);
	struct wm_engine_stats st;
	wm_engine_get_stats(r->e, &st);
	ck_assert_uint_eq(st.commands, 3 + 5 + 2);
	rig_free(r);
}
END_TEST

/* A scene recall posts every audio parameter in one batch; two of them
 * must fit in the default ring at once, whatever the topology. */
START_TEST(default_ring_takes_two_recalls)
{
	static const int topo[][2] = { { 1, 1 }, { 8, 2 }, { 64, 8 }, { 256, 32 } };
	int channels = topo[_i][0], zones = topo[_i][1];
	size_t n = (size_t)channels * (size_t)(5 + zones) + 3 * (size_t)zones + 5, k = 0;
	struct wm_engine_cmd *batch = calloc(n, sizeof *batch);
	struct wm_err err;

	ck_assert_ptr_nonnull(batch);
	struct rig *r = rig_new(channels, zones, NULL, 64);
	for (int c = 0; c < channels; c++) {
		batch[k++] = ref_cmd(WM_PARAM_CH_GAIN, c, -1, -6.0);
		batch[k++] = ref_cmd(WM_PARAM_CH_PAN, c, -1, 0.0);
		batch[k++] = ref_cmd(WM_PARAM_CH_MUTE, c, -1, 0.0);
		batch[k++] = ref_cmd(WM_PARAM_CH_SOLO, c, -1, 0.0);
		batch[k++] = ref_cmd(WM_PARAM_CH_DUCK, c, -1, WM_DUCK_DUCKED);
		for (int z = 0; z < zones; z++)
			batch[k++] = ref_cmd(WM_PARAM_CH_SEND, c, z, -3.0);
	}
	for (int z = 0; z < zones; z++) {
		batch[k++] = ref_cmd(WM_PARAM_ZONE_GAIN, -1, z, 0.0);
		batch[k++] = ref_cmd(WM_PARAM_ZONE_MUTE, -1, z, 0.0);
		batch[k++] = ref_cmd(WM_PARAM_ZONE_LIMIT, -1, z, -3.0);
	}
	for (int id = WM_PARAM_DUCK_THRESHOLD; id <= WM_PARAM_DUCK_RELEASE; id++) {
		double v = id == WM_PARAM_DUCK_THRESHOLD ? -10.0 : 10.0;

		batch[k++] = ref_cmd((enum wm_param_id)id, -1, -1, v);
	}
	ck_assert_uint_eq(k, n);
	ck_assert_msg(wm_engine_post(r->e, batch, n, &err) == 0, "first recall: %s", err.msg);
	ck_assert_msg(wm_engine_post(r->e, batch, n, &err) == 0, "second recall: %s", err.msg);
	run_raw(r, 64);
	struct wm_engine_stats st;
	wm_engine_get_stats(r->e, &st);
	ck_assert_uint_eq(st.commands, 2 * n);
	free(batch);
	rig_free(r);
}
END_TEST

/* ---- create, accessors, stats ---- */

static void create_fails(uint32_t rate, int channels, int zones, double meter_hz,
			 size_t capacity, const char *want)
{
	struct wm_engine_config config = { rate, capacity, meter_hz };
	struct wm_mix mix;
	struct wm_err err;

	wm_mix_init(&mix, 1, 1, NULL);
	mix.channels = channels;
	mix.zones = zones;
	wm_err_clear(&err);
	ck_assert_ptr_null(wm_engine_create(&config, &mix, &err));
	ck_assert_int_eq(err.code, WM_E_BAD_CONFIG);
	ck_assert_msg(strstr(err.msg, want) != NULL, "\"%s\" lacks \"%s\"", err.msg, want);
}

START_TEST(create_errors)
{
	struct wm_engine_config config = { .sample_rate = RATE };
	struct wm_mix mix;
	struct wm_err err;

	create_fails(7999, 8, 2, 0, 0, "use 8000..384000 Hz");
	create_fails(384001, 8, 2, 0, 0, "384001 Hz is not supported");
	create_fails(0, 8, 2, 0, 0, "8000..384000");
	create_fails(RATE, 0, 2, 0, 0, "1..256 channels");
	create_fails(RATE, 257, 2, 0, 0, "257 channels");
	create_fails(RATE, 8, 0, 0, 0, "1..32 zones");
	create_fails(RATE, 8, 33, 0, 0, "33 zones");
	create_fails(RATE, 8, 2, -1.0, 0, "0.1..1000 Hz");
	create_fails(RATE, 8, 2, NAN, 0, "0.1..1000 Hz");
	create_fails(RATE, 8, 2, 5000.0, 0, "meter rate 5000 Hz");
	create_fails(RATE, 8, 2, 0, (size_t)1 << 30, "command capacity");

	wm_mix_init(&mix, 8, 2, NULL);
	ck_assert_ptr_null(wm_engine_create(NULL, &mix, &err));
	ck_assert_ptr_null(wm_engine_create(&config, NULL, &err));
	wm_engine_destroy(NULL);

	static const uint32_t rates[] = { 8000, 44100, 384000 };
	for (size_t i = 0; i < 3; i++) {
		config.sample_rate = rates[i];
		struct wm_engine *e = wm_engine_create(&config, &mix, &err);

		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(wm_engine_sample_rate(e), rates[i]);
		ck_assert_int_eq(wm_engine_input_ports(e), 16);
		ck_assert_int_eq(wm_engine_output_ports(e), 4);
		wm_engine_destroy(e);
	}
}
END_TEST

START_TEST(stats_count)
{
	struct rig *r = rig_new(2, 1, NULL, 256);
	struct wm_engine_stats st;

	wm_engine_get_stats(r->e, &st);
	ck_assert_uint_eq(st.periods + st.frames + st.commands, 0);
	run_raw(r, 256);
	run_raw(r, 100);
	post(r, "ch/2/pan", 0.5, -1);
	post(r, "ch/2/mute", 1, -1);
	run_raw(r, 1);
	wm_engine_get_stats(r->e, &st);
	ck_assert_uint_eq(st.periods, 3);
	ck_assert_uint_eq(st.frames, 357);
	ck_assert_uint_eq(st.commands, 2);
	ck_assert_uint_eq(st.command_drops, 0);
	ck_assert_uint_eq(st.meter_drops, 0);
	rig_free(r);
}
END_TEST

/* The kernel's reference: every path added into its output one at a time,
 * channels in ascending order, a ramping path as (cur + step * (i + 1)) * x
 * up to its last frame and the target from there (dsp.h). The kernel
 * batches settled paths, but must give exactly these floats. */
static void mix_reference(struct wm_ramp *coef, int channels, int zones,
			  const int (*in_port)[2], const float *const *in, float *const *out,
			  uint32_t frames)
{
	for (int p = 0; p < 2 * zones; p++)
		memset(out[p], 0, frames * sizeof(float));
	for (int c = 0; c < channels; c++) {
		for (int z = 0; z < zones; z++) {
			for (int s = 0; s < 2; s++) {
				struct wm_ramp *r = &coef[((size_t)c * zones + z) * 2 + s];
				const float *x = in[in_port[c][s]];
				float *y = out[2 * z + s];
				uint32_t ramp = r->left_frames == 0 ? 0
						: r->left_frames > frames ? frames
						: r->left_frames - 1;

				for (uint32_t i = 0; i < ramp; i++) {
					float g = r->cur + r->step * (float)(i + 1);
					float t = g * x[i];
					y[i] = y[i] + t;
				}
				float g = r->left_frames > frames ? 0.0f : r->target;
				if (r->left_frames > frames) {
					r->left_frames -= frames;
					r->cur = r->target - r->step * (float)r->left_frames;
					continue;
				}
				r->cur = r->target;
				r->step = 0.0f;
				r->left_frames = 0;
				if (g == 0.0f)
					continue;
				for (uint32_t i = ramp; i < frames; i++) {
					float t = g * x[i];
					y[i] = y[i] + t;
				}
			}
		}
	}
}

/* Settled, silent and ramping paths mixed (ramps ending before, at and
 * after the end of the period), over odd sizes: bit-identical to the
 * reference, period after period, in whatever clone this machine runs.
 * Every ramp has ended by the fifth period, so the last ones also take
 * the all-settled path (groups of 4 channels with no silent path). */
START_TEST(mix_kernel_matches_ordered_sum_exactly)
{
	enum { CH = 23, ZN = 3, PORTS = 2 * CH, FRAMES = 67, PERIODS = 6 };
	static float inbuf[PORTS][FRAMES], got[2 * ZN][FRAMES], want[2 * ZN][FRAMES];
	static struct wm_ramp a[CH * ZN * 2], b[CH * ZN * 2];
	const float *in[PORTS];
	float *g[2 * ZN], *w[2 * ZN];
	int in_port[CH][2];

	for (int p = 0; p < PORTS; p++) {
		fill_noise(inbuf[p], FRAMES);
		in[p] = inbuf[p];
	}
	for (int c = 0; c < CH; c++) {
		in_port[c][0] = 2 * c;
		in_port[c][1] = c % 4 == 3 ? 2 * c : 2 * c + 1; /* some mono */
	}
	for (int p = 0; p < 2 * ZN; p++) {
		g[p] = got[p];
		w[p] = want[p];
	}
	for (int k = 0; k < CH * ZN * 2; k++) {
		wm_ramp_set(&a[k], k % 7 == 0 ? 0.0f : 0.1f + 0.03f * (float)(k % 11));
		if (k % 3 == 1) /* ramps of 1 .. 240 frames: within, at, past a period */
			wm_ramp_retarget(&a[k], k % 9 == 1 ? 0.0f : 0.7f, 1u + (uint32_t)(k * 7) % 240);
		b[k] = a[k];
	}
	for (int n = 0; n < PERIODS; n++) {
		wm_dsp_mix_rt(a, CH, ZN, (const int (*)[2])in_port, in, g, FRAMES);
		mix_reference(b, CH, ZN, (const int (*)[2])in_port, in, w, FRAMES);
		for (int p = 0; p < 2 * ZN; p++)
			ck_assert_msg(memcmp(got[p], want[p], sizeof got[p]) == 0,
				      "period %d output %d differs from the ordered sum", n, p);
		ck_assert(memcmp(a, b, sizeof a) == 0);
	}
}
END_TEST

START_TEST(dsp_isa_named)
{
	const char *isa = wm_dsp_isa();

	ck_assert_ptr_nonnull(isa);
	ck_assert(strlen(isa) > 0);
}
END_TEST

static Suite *engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("mix");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, unity_pass_through_is_bit_exact, 0,
			    sizeof periods / sizeof periods[0]);
	tcase_add_loop_test(tc, default_engine_passes_bit_exact_delayed, 0,
			    sizeof periods / sizeof periods[0]);
	tcase_add_test(tc, gain_minus_6_db);
	tcase_add_test(tc, initial_state_has_no_ramp);
	tcase_add_test(tc, fader_command_is_gain);
	tcase_add_loop_test(tc, ramp_shape, 0, sizeof ramp_periods / sizeof ramp_periods[0]);
	tcase_add_test(tc, ramp_lands_exactly);
	tcase_add_test(tc, ramp_retarget_continues);
	tcase_add_test(tc, ramp_zero_jumps);
	tcase_add_test(tc, unchanged_coefficient_keeps_its_ramp);
	tcase_add_loop_test(tc, pan_law, 0, sizeof pans / sizeof pans[0]);
	tcase_add_test(tc, pan_centre_values);
	tcase_add_test(tc, mute_and_solo);
	tcase_add_test(tc, solo_ramps_others_out);
	tcase_add_test(tc, sends_per_zone);
	tcase_add_test(tc, zone_gain_and_mute);
	tcase_add_test(tc, commands_together_land_together);
	tcase_add_test(tc, full_ring_is_busy);
	tcase_add_test(tc, post_rejects_bad_commands);
	tcase_add_test(tc, meters_sine_and_dc);
	tcase_add_test(tc, meters_mono_and_negative);
	tcase_add_test(tc, meter_sweeps_whole_or_dropped);
	tcase_add_test(tc, mono_channels_map_ports);
	tcase_add_test(tc, big_topology_matches_reference);
	tcase_add_test(tc, largest_topology_runs);
	tcase_add_test(tc, state_key_ducks_only_the_zones_it_sends_to);
	tcase_add_test(tc, level_key_uses_threshold_gain_and_send);
	tcase_add_test(tc, role_change_crossfades);
	tcase_add_test(tc, zone_limit_holds_an_overdriven_mix);
	tcase_add_test(tc, any_period_length_same_output);
	tcase_add_test(tc, post_checks_duck_and_limit_values);
	tcase_add_loop_test(tc, default_ring_takes_two_recalls, 0, 4);
	tcase_add_test(tc, create_errors);
	tcase_add_test(tc, stats_count);
	tcase_add_test(tc, mix_kernel_matches_ordered_sum_exactly);
	tcase_add_test(tc, dsp_isa_named);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(engine_suite());
}
