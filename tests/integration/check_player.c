/* check_player.c - file players, ducking and the zone limiters, end to end:
 * files written here with libsndfile into the daemon's media folder are
 * played by `play`, and what comes out of the zones is captured from JACK
 * and compared with the files' samples, the ducking envelope and the
 * limiter ceiling. Bad requests get the right error codes and leave the
 * mix running.
 *
 * One jackd and one daemon (8 stereo channels, 2 zones, media folder
 * DIR/media) for the binary; every test restores the defaults it changed. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/audiocheck.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/jackd_fixture.h"
#include "tests/support/jackprobe.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

#define CHANNELS 8
#define ZONES 2

static struct wm_jackd jackd;
static struct wm_daemon wd;
static char media[PATH_MAX + 16];
static struct wm_src *src;
static struct wm_sink *sink;
static struct wm_client *cl;

static void up(void)
{
	static char dir[PATH_MAX], flag[PATH_MAX + 64];
	snprintf(dir, sizeof dir, "%s/player.XXXXXX", wm_tmpdir());
	ck_assert(mkdtemp(dir) != NULL);
	snprintf(media, sizeof media, "%s/media", dir);
	ck_assert_int_eq(mkdir(media, 0755), 0);
	snprintf(flag, sizeof flag, "--media-dir=%s", media);
	const char *const extra[] = { flag, NULL };
	wm_t_jackd_start(&jackd, wm_tmpdir());
	wm_t_daemon_start(&wd, wm_tmpdir(), CHANNELS, ZONES, NULL, extra);
}

static void down(void)
{
	wm_t_daemon_stop(&wd);
	wm_t_jackd_stop(&jackd);
}

static void probes_open(void)
{
	src = wm_t_src_open(NULL, 4);
	sink = wm_t_sink_open(NULL, 2 * ZONES, 6.0);
	wm_t_connect_zones(src, &wd, sink, ZONES);
	cl = wm_client_connect(wd.sock, 2000);
	ck_assert_msg(cl != NULL, "cannot connect to %s", wd.sock);
}

static void probes_close(void)
{
	/* A failed test must not leave a player sounding into the next one. */
	for (int c = 1; c <= CHANNELS; c++) {
		char line[16];
		snprintf(line, sizeof line, "stop %d 0", c);
		json_decref(wm_client_request(cl, 2000, line));
	}
	wm_client_close(cl);
	wm_sink_close(sink);
	wm_src_close(src);
	cl = NULL;
	sink = NULL;
	src = NULL;
}

/* ---- media files ---- */

typedef double (*sample_fn)(long frame, int side);

static void write_audio(const char *name, int format, int rate, int channels, long frames,
			sample_fn fn)
{
	char path[PATH_MAX + 64];
	SF_INFO info = { .samplerate = rate, .channels = channels, .format = format };
	snprintf(path, sizeof path, "%s/%s", media, name);
	SNDFILE *f = sf_open(path, SFM_WRITE, &info);
	ck_assert_msg(f != NULL, "cannot write %s: %s", path, sf_strerror(NULL));
	sf_command(f, SFC_SET_CLIPPING, NULL, SF_TRUE);
	float buf[2 * 1024];
	for (long done = 0; done < frames;) {
		long n = frames - done < 1024 ? frames - done : 1024;
		for (long i = 0; i < n; i++)
			for (int s = 0; s < channels; s++)
				buf[i * channels + s] = (float)fn(done + i, s);
		ck_assert_int_eq(sf_writef_float(f, buf, n), n);
		done += n;
	}
	sf_close(f);
}

#define PCM16_WAV (SF_FORMAT_WAV | SF_FORMAT_PCM_16)

/* Never zero, different per side, exact in 16 bits: the first non-zero
 * output sample marks the start. */
static double pattern(long i, int side)
{
	return (double)((i * 7 + side * 300) % 2000 + 1) / 32768.0;
}

static double half(long i, int side)
{
	(void)i, (void)side;
	return 0.5;
}

static double zero(long i, int side)
{
	(void)i, (void)side;
	return 0.0;
}

static double sine_1k_at_44k1(long i, int side)
{
	(void)side;
	return 0.5 * sin(2.0 * M_PI * 1000.0 * (double)i / 44100.0);
}

static double sine_1k(long i, int side)
{
	(void)side;
	return 0.5 * sin(2.0 * M_PI * 1000.0 * (double)i / 48000.0);
}

/* ---- capture helpers ---- */

/* The first captured frame at or after from whose |sample| > level. */
static bool onset(int port, uint32_t from, double level, uint32_t *at)
{
	for (uint32_t f = from; f < wm_sink_end(sink); f++) {
		float v;
		if (wm_sink_sample(sink, port, f, &v) && fabs(v) > level) {
			*at = f;
			return true;
		}
	}
	return false;
}

/* Mean over n frames from `at`: with n a whole number of sine cycles it is
 * the DC part. */
static double mean(int port, uint32_t at, uint32_t n)
{
	double sum = 0;
	uint32_t got = 0;
	for (uint32_t f = at; f < at + n; f++) {
		float v;
		if (wm_sink_sample(sink, port, f, &v)) {
			sum += v;
			got++;
		}
	}
	ck_assert_msg(got > n / 2, "frames %u..%u were not captured", at, at + n);
	return sum / got;
}

static json_t *stats_players(void)
{
	json_t *r = wm_t_assert_ok(wm_t_request(cl, "stats"), "stats");
	json_t *p = json_incref(json_object_get(r, "players"));
	ck_assert_msg(json_is_object(p), "stats has no players: %s", wm_t_json_str(r));
	json_decref(r);
	return p;
}

static long long stat_of(const char *name)
{
	json_t *p = stats_players();
	long long v = json_integer_value(json_object_get(p, name));
	json_decref(p);
	return v;
}

/* Wait until `get ch/N/player` reports state, up to ms. */
static void wait_state(int ch, const char *state, int ms)
{
	json_t *r = NULL;
	for (int t = 0; t <= ms; t += 20) {
		json_decref(r);
		r = wm_t_assert_ok(wm_t_request(cl, "get ch/%d/player", ch), "get player");
		const char *s = wm_t_strval(json_object_get(json_object_get(r, "value"), "state"));
		if (strcmp(s, state) == 0) {
			json_decref(r);
			return;
		}
		wm_sleep_ms(20);
	}
	ck_abort_msg("ch/%d/player did not become %s within %d ms: %s", ch, state, ms,
		     wm_t_json_str(r));
}

/* ---- players ---- */

/* A 16-bit file comes out of the zone sample for sample, starting within a
 * few periods of the reply, and is silence after its end. */
START_TEST(test_play_is_sample_exact)
{
	const long frames = 12000;
	write_audio("clip.wav", PCM16_WAV, WM_T_RATE, 2, frames, pattern);
	int64_t first = wm_sink_start(sink);
	ck_assert(first >= 0);
	json_t *r = wm_t_assert_ok(wm_t_request(cl, "play 1 clip.wav"), "play");
	uint32_t asked = wm_src_now(src);
	ck_assert_str_eq(wm_t_strval(json_object_get(r, "file")), "clip.wav");
	ck_assert_msg(fabs(json_number_value(json_object_get(r, "length")) - 0.25) < 1e-3,
		      "length of a 12000-frame file at 48 kHz: %s", wm_t_json_str(r));
	json_decref(r);
	wm_t_wait_until(sink, asked + (uint32_t)frames + 8 * WM_T_PERIOD);
	uint32_t at;
	ck_assert_msg(onset(1, (uint32_t)first, 0, &at), "the file never came out of zone 1");
	/* Two periods promised; the request itself may land mid-period and
	 * the output lags by the limiter lookahead. */
	ck_assert_msg((int32_t)(at - asked) <= 3 * WM_T_PERIOD + (int32_t)wd.latency,
		      "started %d frames after the reply; want within 2 periods (+%u)",
		      (int)(at - asked), wd.latency);
	for (int side = 0; side < 2; side++)
		for (long i = 0; i < frames; i++) {
			float v;
			if (!wm_sink_sample(sink, 1 + side, at + (uint32_t)i, &v))
				continue;
			ck_assert_msg(v == (float)pattern(i, side),
				      "zone1 side %d frame %ld of the file: got %.9g want %.9g",
				      side, i, (double)v, pattern(i, side));
		}
	struct wm_mix_expect silent;
	wm_expect_init(&silent, WM_T_RATE);
	silent.delay = 0;
	wm_t_expect(sink, 1, at + (uint32_t)frames, at + (uint32_t)frames + 4 * WM_T_PERIOD,
		    wm_expect_value, &silent, 0, 0, 512, "silence after the end of the file");
	wait_state(1, "ended", 1000);
}
END_TEST

/* A mono file feeds both sides of a stereo channel; loops are seamless. */
START_TEST(test_loop_is_seamless)
{
	const long frames = 1000;
	write_audio("loop.wav", PCM16_WAV, WM_T_RATE, 1, frames, pattern);
	int64_t first = wm_sink_start(sink);
	wm_t_ok(cl, "play 2 loop.wav loop");
	wm_sleep_ms(400);
	uint32_t at;
	ck_assert_msg(onset(1, (uint32_t)first, 0, &at), "the loop never came out");
	/* Period by period: after an xrun JACK may hand the sink a period of
	 * an earlier cycle, which is skipped (and counted), as wm_compare does;
	 * without an xrun every sample must match. */
	long compared = 0, stale = 0;
	uint32_t xruns = wm_sink_capture_xruns(sink);
	for (size_t i = 0; i < wm_sink_periods(sink); i++) {
		uint32_t pf, pn;
		size_t off;
		wm_sink_period(sink, i, &pf, &pn, &off);
		for (uint32_t j = 0; j < pn; j++) {
			uint32_t f = pf + j;
			float l = wm_sink_data(sink, 1)[off + j], rgt = wm_sink_data(sink, 2)[off + j];
			if (wm_frame_diff(f, at) < 0)
				continue;
			float want = (float)pattern((long)(f - at) % frames, 0);
			if (l == want && rgt == want) {
				compared++;
				continue;
			}
			ck_assert_msg(xruns > 0, "pass %ld frame %ld: L %.9g R %.9g, want %.9g on "
				      "both (no xrun)", (long)(f - at) / frames, (long)(f - at) % frames,
				      (double)l, (double)rgt, (double)want);
			stale += pn - j;
			break;
		}
	}
	ck_assert_msg(compared > 5 * frames && stale * 4 < compared,
		      "only %ld frames of the loop compared (%ld in stale periods after %u xruns)",
		      compared, stale, xruns);
	wm_t_ok(cl, "stop 2 0");
	wait_state(2, "stopped", 1000);
}
END_TEST

/* stop N FADE_MS fades linearly to silence over the fade. */
START_TEST(test_stop_fades_out)
{
	write_audio("dc.wav", PCM16_WAV, WM_T_RATE, 2, WM_T_RATE, half);
	wm_t_ok(cl, "play 3 dc.wav loop");
	wm_sleep_ms(200);
	int64_t first = wm_sink_start(sink);
	wm_sleep_ms(50);
	wm_t_ok(cl, "stop 3 100");
	wm_sleep_ms(300);
	uint32_t start;
	ck_assert_msg(wm_departs_at(sink, 1, (uint32_t)first, wm_sink_end(sink), 0.5, 1e-6, &start),
		      "the level never left 0.5 after stop");
	const uint32_t fade = WM_T_RATE / 10;
	float prev = 0.5f, v;
	for (uint32_t f = start; f < start + fade + WM_T_PERIOD; f++) {
		if (!wm_sink_sample(sink, 1, f, &v))
			continue;
		ck_assert_msg(v <= prev + 1e-6f, "the fade rose at frame +%u: %g after %g",
			      f - start, (double)v, (double)prev);
		ck_assert_msg(prev - v < 0.5f / (float)fade * 4.0f,
			      "a step of %g at frame +%u: the fade must be smooth",
			      (double)(prev - v), f - start);
		double lin = 0.5 * (1.0 - (double)(f - start) / fade);
		ck_assert_msg(fabs(v - (lin > 0 ? lin : 0)) < 0.02,
			      "frame +%u of a 100 ms linear fade: %g, want %g", f - start,
			      (double)v, lin);
		prev = v;
	}
	ck_assert(wm_sink_sample(sink, 1, start + fade + WM_T_PERIOD, &v));
	ck_assert_msg(v == 0.0f, "still %g after the fade", (double)v);
	wait_state(3, "stopped", 1000);
}
END_TEST

static long daemon_xruns(void)
{
	json_t *h = wm_t_assert_ok(wm_t_request(cl, "health"), "health");
	long n = (long)json_integer_value(json_object_get(json_object_get(h, "jack"), "xruns"));
	json_decref(h);
	return n;
}

/* One play of the 44.1 kHz file: its length at 48 kHz and the frequency of
 * its zero crossings. False when an xrun (the daemon's or the capture's)
 * fell in the window: a missed cycle shifts the player against the capture
 * clock, so that play cannot be judged. */
static bool play_resampled(long *length, double *hz)
{
	long xruns = daemon_xruns();
	int64_t first = wm_sink_start(sink);
	wm_t_ok(cl, "play 4 sine44.wav");
	wm_sleep_ms(900);
	uint32_t at, last = 0;
	ck_assert_msg(onset(1, (uint32_t)first, 0.01, &at), "nothing came out");
	long crossings = 0;
	float prev = 0, v;
	for (uint32_t f = at; f < wm_sink_end(sink); f++) {
		if (!wm_sink_sample(sink, 1, f, &v))
			continue;
		if (fabsf(v) > 0.01f)
			last = f;
		if ((prev < 0) != (v < 0) && f > at + 100 && f < at + 23000)
			crossings++;
		prev = v;
	}
	*length = (long)(last - at);
	/* 1 kHz over (23000 - 100) frames = 477 cycles, two crossings each. */
	*hz = crossings / 2.0 / ((23000.0 - 100.0) / WM_T_RATE);
	return wm_sink_capture_xruns(sink) == 0 && daemon_xruns() == xruns;
}

/* A 44.1 kHz file plays at the right pitch and length on a 48 kHz server.
 * Played again (up to 3 times) while xruns spoil the window; the last play
 * is judged whatever happened. */
START_TEST(test_resampled_pitch_and_length)
{
	write_audio("sine44.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 44100, 1, 22050,
		    sine_1k_at_44k1);
	long length = 0;
	double hz = 0;
	for (int attempt = 0; attempt < 3 && !play_resampled(&length, &hz); attempt++)
		fprintf(stderr, "resampled play %d: xruns in the window; playing again\n",
			attempt + 1);
	ck_assert_msg(labs(length - 24000) < 200,
		      "0.5 s at 44.1 kHz lasted %ld frames at 48 kHz; want 24000", length);
	ck_assert_msg(fabs(hz - 1000.0) < 5.0, "a 1 kHz file plays at %.1f Hz", hz);
}
END_TEST

/* ---- ducking ---- */

/* Music (DC 0.25 on ch1, role duck) under a voice file on ch3 (role key,
 * sending to zone 1 only): zone 1 ducks by the depth within the attack of
 * the voice's start, holds, and recovers within the release; zone 2, which
 * the voice does not reach, never ducks. */
START_TEST(test_voice_file_ducks_music_in_its_zones)
{
	const double music = 0.25, depth_lin = pow(10.0, -12.0 / 20.0);
	write_audio("voice.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, WM_T_RATE, 1, WM_T_RATE / 2,
		    sine_1k);
	wm_t_connect(src, wm_src_port(src, 1), wm_daemon_port(&wd, "ch1_L"));
	wm_t_connect(src, wm_src_port(src, 2), wm_daemon_port(&wd, "ch1_R"));
	wm_src_stage(src, 1, wm_sig_dc((float)music));
	wm_src_stage(src, 2, wm_sig_dc((float)music));
	wm_t_commit(src);
	wm_t_ok(cl, "set ch/1/duck duck");
	wm_t_ok(cl, "set ch/3/duck key");
	wm_t_ok(cl, "set ch/3/send/2 -inf");
	wm_t_ok(cl, "set duck/attack 10");
	wm_t_ok(cl, "set duck/hold 200");
	wm_t_ok(cl, "set duck/release 300");
	wm_sleep_ms(100);
	int64_t first = wm_sink_start(sink);
	wm_sleep_ms(100);
	wm_t_ok(cl, "play 3 voice.wav");
	wm_sleep_ms(1300);
	uint32_t t0;
	ck_assert_msg(wm_departs_at(sink, 1, (uint32_t)first, wm_sink_end(sink), music, 1e-4, &t0),
		      "zone 1 never left the music level: no ducking");
	/* 48 frames = one cycle of the 1 kHz voice: the mean is the music. */
	const uint32_t ms = WM_T_RATE / 1000;
	double before = mean(1, (uint32_t)first, 20 * ms);
	ck_assert_msg(fabs(before - music) < 1e-4, "music before the voice: %g", before);
	double down = mean(1, t0 + 12 * ms, ms);
	ck_assert_msg(fabs(down - music * depth_lin) < 0.004,
		      "12 ms after the voice started zone 1's music is %g; want %g (-12 dB)",
		      down, music * depth_lin);
	double held = mean(1, t0 + 400 * ms, ms);
	ck_assert_msg(fabs(held - music * depth_lin) < 0.004, "during the voice: %g", held);
	/* The voice lasts 500 ms; hold 200 ms, then 300 ms back up. */
	double holding = mean(1, t0 + (500 + 150) * ms, ms);
	ck_assert_msg(fabs(holding - music * depth_lin) < 0.004,
		      "150 ms after the voice (hold 200 ms): %g; want still ducked", holding);
	double back = mean(1, t0 + (500 + 200 + 300 + 20) * ms, 20 * ms);
	ck_assert_msg(fabs(back - music) < 1e-3,
		      "after hold and release zone 1's music is %g; want %g", back, music);
	/* Zone 2 never heard the voice, so it never ducked. */
	struct wm_mix_expect m;
	wm_expect_init(&m, WM_T_RATE);
	wm_expect_add(&m, wm_sig_dc((float)music), 1.0);
	wm_t_expect(sink, 3, (uint32_t)first, wm_sink_end(sink), wm_expect_value, &m, 0, 0,
		    WM_T_RATE, "zone 2 (not reached by the voice) stays undisturbed");
	/* The ducking showed in stats while it lasted; now it is over. */
	wm_t_ok(cl, "set ch/1/duck off");
	wm_t_ok(cl, "set ch/3/duck off");
	wm_t_ok(cl, "set ch/3/send/2 0");
	wm_src_set(src, 1, wm_sig_silence());
	wm_src_set(src, 2, wm_sig_silence());
}
END_TEST

/* A live key (a paging mic on ch4's JACK input) ducks only above the
 * threshold. */
START_TEST(test_level_key_uses_the_threshold)
{
	const double music = 0.25;
	wm_t_connect(src, wm_src_port(src, 1), wm_daemon_port(&wd, "ch1_L"));
	wm_t_connect(src, wm_src_port(src, 3), wm_daemon_port(&wd, "ch4_L"));
	wm_t_set(src, 1, wm_sig_dc((float)music));
	wm_t_ok(cl, "set ch/1/duck duck");
	wm_t_ok(cl, "set ch/4/duck key");
	wm_t_ok(cl, "set duck/threshold -30");
	wm_t_ok(cl, "set duck/hold 0");
	wm_t_ok(cl, "set duck/release 50");
	/* -40 dBFS of mic: under the threshold, no ducking. */
	wm_t_set(src, 3, wm_sig_sine(1000, 0.01f));
	wm_sleep_ms(100);
	int64_t first = wm_sink_start(sink);
	wm_sleep_ms(300);
	const uint32_t ms = WM_T_RATE / 1000;
	double quiet = mean(1, (uint32_t)first + 50 * ms, 100 * ms);
	ck_assert_msg(fabs(quiet - music) < 1e-4, "a mic 10 dB under the threshold ducked the "
		      "music to %g", quiet);
	/* -12 dBFS: over it. */
	wm_t_set(src, 3, wm_sig_sine(1000, 0.25f));
	wm_sleep_ms(200);
	first = wm_sink_start(sink);
	wm_sleep_ms(200);
	double loud = mean(1, (uint32_t)first + 50 * ms, 100 * ms);
	ck_assert_msg(fabs(loud - music * pow(10.0, -12.0 / 20.0)) < 0.004,
		      "a mic over the threshold should duck the music by 12 dB: %g", loud);
	json_t *r = wm_t_assert_ok(wm_t_request(cl, "stats"), "stats");
	double gr = json_number_value(json_object_get(
		json_array_get(json_object_get(r, "zones"), 0), "duck_gr_db"));
	ck_assert_msg(fabs(gr + 12.0) < 0.5, "stats zones[0].duck_gr_db %g; want -12: %s", gr,
		      wm_t_json_str(r));
	json_decref(r);
	wm_t_set(src, 3, wm_sig_silence());
	wm_t_set(src, 1, wm_sig_silence());
	wm_t_ok(cl, "set ch/1/duck off");
	wm_t_ok(cl, "set ch/4/duck off");
	wm_t_ok(cl, "set duck/threshold -40");
	wm_t_ok(cl, "set duck/hold 200");
	wm_t_ok(cl, "set duck/release 300");
}
END_TEST

/* ---- limiter ---- */

static float peak(int port)
{
	float p = 0, v;
	for (uint32_t f = wm_sink_first(sink); f < wm_sink_end(sink); f++)
		if (wm_sink_sample(sink, port, f, &v) && fabsf(v) > p)
			p = fabsf(v);
	return p;
}

/* Every input at full scale with +12 dB on channels and zones (+42 dB over
 * full scale in the sum): no output sample passes the ceiling. */
START_TEST(test_limiter_holds_every_zone_under_its_ceiling)
{
	for (int p = 1; p <= 4; p++) {
		static const char *const ports[] = { "ch1_L", "ch1_R", "ch2_L", "ch2_R" };
		wm_t_connect(src, wm_src_port(src, p), wm_daemon_port(&wd, ports[p - 1]));
		wm_src_stage(src, p, wm_sig_sine(97u * (uint32_t)p, 1.0f));
	}
	wm_t_commit(src);
	write_audio("loud.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, WM_T_RATE, 2, WM_T_RATE, half);
	for (int c = 1; c <= 3; c++)
		wm_t_ok(cl, "set ch/%d/gain 12", c);
	wm_t_ok(cl, "set zone/1/gain 12");
	wm_t_ok(cl, "set zone/2/gain 12");
	wm_t_ok(cl, "set zone/2/limit -6");
	wm_t_ok(cl, "play 3 loud.wav loop");
	wm_sleep_ms(150);
	wm_t_capture(sink, 1500);
	/* The ceiling as a float, and the next float up in case the engine
	 * rounded the dB conversion the other way: never more. */
	const float ceil1 = nextafterf((float)pow(10.0, -1.0 / 20.0), 1.0f);
	const float ceil2 = nextafterf((float)pow(10.0, -6.0 / 20.0), 1.0f);
	for (int p = 1; p <= 4; p++) {
		float c = p <= 2 ? ceil1 : ceil2, got = peak(p);
		ck_assert_msg(got <= c, "zone%d peak %.9g over its ceiling %.9g", (p + 1) / 2,
			      (double)got, (double)c);
		ck_assert_msg(got > c * 0.9f, "zone%d peak %g: the mix should reach the ceiling",
			      (p + 1) / 2, (double)got);
	}
	json_t *r = wm_t_assert_ok(wm_t_request(cl, "stats"), "stats");
	double gr = json_number_value(json_object_get(
		json_array_get(json_object_get(r, "zones"), 1), "limit_gr_db"));
	ck_assert_msg(gr < -20.0, "zone 2 limiter gain reduction %g dB; want below -20: %s", gr,
		      wm_t_json_str(r));
	json_decref(r);
	wm_t_ok(cl, "stop 3 0");
	for (int c = 1; c <= 3; c++)
		wm_t_ok(cl, "set ch/%d/gain 0", c);
	wm_t_ok(cl, "set zone/1/gain 0");
	wm_t_ok(cl, "set zone/2/gain 0");
	wm_t_ok(cl, "set zone/2/limit -1");
	for (int p = 1; p <= 4; p++)
		wm_src_stage(src, p, wm_sig_silence());
	wm_t_commit(src);
}
END_TEST

/* ---- bad input ---- */

static void refused(const char *code, const char *line, const char *must)
{
	json_t *r = wm_t_err(cl, code, "%s", line);
	const char *msg = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
	ck_assert_msg(!must || strstr(msg, must), "\"%s\": the message should say \"%s\": %s",
		      line, must, msg);
	json_decref(r);
}

START_TEST(test_bad_requests_are_refused_clearly)
{
	char path[PATH_MAX + 32];
	write_audio("ok.wav", PCM16_WAV, WM_T_RATE, 2, 4800, pattern);
	snprintf(path, sizeof path, "%s/empty.wav", media);
	fclose(fopen(path, "w"));
	snprintf(path, sizeof path, "%s/notes.txt", media);
	FILE *f = fopen(path, "w");
	fputs("this is not audio\n", f);
	fclose(f);
	snprintf(path, sizeof path, "%s/escape.wav", media);
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	snprintf(path, sizeof path, "%s/sub", media);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/inside.wav", media);
	ck_assert_int_eq(symlink("ok.wav", path), 0);

	refused("not_found", "play 1 missing.wav", "missing.wav");
	refused("bad_path", "play 1 ../outside.wav", "..");
	refused("bad_path", "play 1 /etc/passwd", "absolute");
	refused("bad_path", "play 1 escape.wav", "escape.wav");
	refused("bad_file", "play 1 notes.txt", "notes.txt");
	refused("bad_file", "play 1 empty.wav", "empty");
	refused("bad_file", "play 1 sub", "sub");
	refused("out_of_range", "play 9 ok.wav", "1..8");
	refused("out_of_range", "play 0 ok.wav", NULL);
	refused("bad_type", "play one ok.wav", NULL);
	refused("wrong_args", "play 1 ok.wav forever", "loop");
	refused("wrong_args", "play 1", NULL);
	refused("out_of_range", "stop 9", NULL);
	refused("bad_type", "stop 1 soon", NULL);
	refused("unknown_path", "get ch/9/player", NULL);
	/* A symlink that stays inside the folder is fine. */
	wm_t_ok(cl, "play 1 inside.wav");
	wm_t_ok(cl, "stop 1");
	/* A stop on an idle channel is not an error. */
	wm_t_ok(cl, "stop 5");
	wm_t_daemon_alive(&wd, "after refused plays");
}
END_TEST

/* A WAV whose header promises more frames than the file holds plays what
 * it has and ends with an event; the mix keeps running. */
START_TEST(test_truncated_file_ends_cleanly)
{
	char path[PATH_MAX + 32];
	write_audio("long.wav", PCM16_WAV, WM_T_RATE, 2, WM_T_RATE, pattern);
	snprintf(path, sizeof path, "%s/long.wav", media);
	ck_assert_int_eq(truncate(path, 44 + 4 * 4800), 0);
	struct wm_client *ev = wm_client_connect(wd.sock, 2000);
	json_decref(wm_t_assert_ok(wm_t_request(ev, "subscribe players"), "subscribe"));
	wm_t_ok(cl, "play 5 long.wav");
	bool ended = false;
	for (int i = 0; i < 20 && !ended; i++) {
		json_t *e = wm_client_read_event(ev, 200);
		const char *what = wm_t_strval(json_object_get(e, "what"));
		ended = strcmp(what, "ended") == 0 || strcmp(what, "error") == 0;
		json_decref(e);
	}
	ck_assert_msg(ended, "no ended/error event for a truncated file");
	wm_client_close(ev);
	wm_t_daemon_alive(&wd, "after a truncated file");
}
END_TEST

/* ---- the disk falling behind ---- */

struct stall {
	int fd;
	long frames;
};

/* The 44-byte header of a 16-bit stereo WAV of `frames` frames. */
static void wav_header(unsigned char hdr[44], long frames)
{
	uint32_t data = (uint32_t)(frames * 4), riff = data + 36, v;
	memcpy(hdr, "RIFF", 4);
	memcpy(hdr + 4, &riff, 4);
	memcpy(hdr + 8, "WAVEfmt ", 8);
	v = 16;
	memcpy(hdr + 16, &v, 4);
	uint16_t fmt[2] = { 1, 2 };
	memcpy(hdr + 20, fmt, 4);
	v = WM_T_RATE;
	memcpy(hdr + 24, &v, 4);
	v = WM_T_RATE * 4;
	memcpy(hdr + 28, &v, 4);
	uint16_t blk[2] = { 4, 16 };
	memcpy(hdr + 32, blk, 4);
	memcpy(hdr + 36, "data", 4);
	memcpy(hdr + 40, &data, 4);
}

/* Write a WAV header for a long file, 0.1 s of audio, then nothing for
 * 1.5 s, then close. */
static void *stalling_writer(void *arg)
{
	struct stall *st = arg;
	unsigned char hdr[44];
	wav_header(hdr, st->frames);
	static int16_t audio[2 * 4800];
	for (int i = 0; i < 2 * 4800; i++)
		audio[i] = 1000;
	ssize_t w = write(st->fd, hdr, sizeof hdr);
	w += write(st->fd, audio, sizeof audio);
	(void)w;
	usleep(1500 * 1000);
	close(st->fd);
	return NULL;
}

START_TEST(test_stalled_reader_underruns_to_silence)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/stall.wav", media);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	/* Keep a read end open here so the writer's open does not wait. */
	int keep = open(path, O_RDONLY | O_NONBLOCK);
	struct stall st = { .fd = open(path, O_WRONLY), .frames = WM_T_RATE * 10 };
	ck_assert(keep >= 0 && st.fd >= 0);
	pthread_t writer;
	pthread_create(&writer, NULL, stalling_writer, &st);
	wm_sleep_ms(50);
	close(keep);
	wm_t_connect(src, wm_src_port(src, 1), wm_daemon_port(&wd, "ch2_L"));
	wm_t_set(src, 1, wm_sig_counter(0.25f));
	long long before = stat_of("underruns");
	int64_t first = wm_sink_start(sink);
	wm_t_ok(cl, "play 6 stall.wav");
	wm_sleep_ms(700);
	ck_assert_msg(stat_of("underruns") > before && stat_of("underrun_frames") > 0,
		      "a stalled file must count underruns");
	/* The channel's own JACK input (ch2, not the player's ch6) is exact
	 * throughout: the stall never reached the callback. */
	struct wm_mix_expect m;
	wm_expect_init(&m, WM_T_RATE);
	wm_expect_add(&m, wm_sig_counter(0.25f), 1.0);
	wm_t_expect(sink, 1, (uint32_t)first + wd.latency + WM_T_PERIOD, wm_sink_end(sink),
		    wm_expect_value, &m, 1000.0 / 32768.0 + 1e-6, 0, WM_T_RATE / 4,
		    "zone 1 = ch2's input (+ at most the player's DC) during the stall");
	pthread_join(writer, NULL);
	wm_t_set(src, 1, wm_sig_silence());
	wm_t_ok(cl, "stop 6 0");
	wm_t_daemon_alive(&wd, "after a stalled reader");
}
END_TEST

/* A two-hour file (sparse: its audio reads as zeros) plays in the same
 * memory as a short one. */
static long rss_kib(void)
{
	long kib = wm_proc_status_kib(wd.proc->pid, "VmRSS");
	ck_assert(kib >= 0);
	return kib;
}

START_TEST(test_two_hour_file_in_bounded_memory)
{
	char path[PATH_MAX + 32];
	const long frames = 2L * 3600 * WM_T_RATE;
	unsigned char hdr[44];
	write_audio("short.wav", PCM16_WAV, WM_T_RATE, 2, 4800, zero);
	/* A header for two hours of 16-bit stereo, and a hole for the data. */
	snprintf(path, sizeof path, "%s/2h.wav", media);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	wav_header(hdr, frames);
	ck_assert(fd >= 0 && write(fd, hdr, sizeof hdr) == (ssize_t)sizeof hdr);
	ck_assert_int_eq(ftruncate(fd, 44 + (off_t)frames * 4), 0);
	close(fd);
	wm_t_ok(cl, "play 7 short.wav loop");
	wm_sleep_ms(500);
	long base = rss_kib();
	json_t *r = wm_t_assert_ok(wm_t_request(cl, "play 7 2h.wav"), "play 2h");
	double len = json_number_value(json_object_get(r, "length"));
	json_decref(r);
	ck_assert_msg(fabs(len - 7200.0) < 1.0, "length %g s; want 7200", len);
	long worst = base;
	for (int i = 0; i < 20; i++) {
		wm_sleep_ms(100);
		long now = rss_kib();
		worst = now > worst ? now : worst;
	}
	ck_assert_msg(worst - base < 4096, "RSS grew from %ld to %ld KiB playing a 2-hour file",
		      base, worst);
	r = wm_t_assert_ok(wm_t_request(cl, "get ch/7/player"), "get player");
	double pos = json_number_value(json_object_get(json_object_get(r, "value"), "position"));
	ck_assert_msg(pos > 1.0 && pos < 10.0, "position %g s after ~2 s of play: %s", pos,
		      wm_t_json_str(r));
	json_decref(r);
	wm_t_ok(cl, "stop 7 0");
}
END_TEST

static Suite *player_suite(void)
{
	Suite *s = suite_create("player");
	TCase *tc = tcase_create("player");
	tcase_add_unchecked_fixture(tc, up, down);
	tcase_add_checked_fixture(tc, probes_open, probes_close);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_play_is_sample_exact);
	tcase_add_test(tc, test_loop_is_seamless);
	tcase_add_test(tc, test_stop_fades_out);
	tcase_add_test(tc, test_resampled_pitch_and_length);
	tcase_add_test(tc, test_voice_file_ducks_music_in_its_zones);
	tcase_add_test(tc, test_level_key_uses_the_threshold);
	tcase_add_test(tc, test_limiter_holds_every_zone_under_its_ceiling);
	tcase_add_test(tc, test_bad_requests_are_refused_clearly);
	tcase_add_test(tc, test_truncated_file_ends_cleanly);
	tcase_add_test(tc, test_stalled_reader_underruns_to_silence);
	tcase_add_test(tc, test_two_hour_file_in_bounded_memory);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(player_suite());
}
