/* check_player.c - daemon/player without JACK: the test thread acts as the
 * audio thread, calling wm_players_mix_rt with fake inputs and sleeping a
 * little between "periods", while the real disk thread streams files
 * written here with libsndfile into a scratch media folder.
 *
 * Proves: a file comes out sample-exact added to the input (any period
 * size); mono files feed both sides, stereo files reach a mono channel as
 * (L+R)/2; a loop's seam is continuous; stops fade linearly (from the tail
 * and from the ring) and say STOPPED; files say ENDED; a restart never lets
 * a stale sample through; a 44.1 kHz file at 48 kHz has the right length
 * and pitch; bad requests are refused with the right code; a stalled FIFO
 * underruns into exact silence without blocking anyone, destroy included;
 * a late first block is reported late; truncated files end with an event;
 * and a two-hour file plays in flat memory. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/player.h"

#ifdef WASHMIX_SANITIZE
#include <sanitizer/asan_interface.h>
/* sanitizer_common's, exported by libasan; GCC ships no header for it. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#include "tests/support/proc.h"
#include "tests/support/suite.h"

#define RATE 48000
#define PERIOD 256
#define MAX_PORTS 16
#define CAP_FRAMES (RATE * 12)
#define MAX_EVENTS 512

static char media[4096];

/* ---- files ----------------------------------------------------------- */

typedef float (*sig_fn)(long frame, int chan);

static void media_path(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", media, rel);
}

static void make_file(const char *rel, int format, int rate, int channels, long frames,
		      sig_fn fn)
{
	char path[8192];
	media_path(path, sizeof path, rel);
	SF_INFO info = { .samplerate = rate, .channels = channels, .format = format };
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	ck_assert_msg(sf != NULL, "write %s: %s", path, sf_strerror(NULL));
	static float buf[4096 * 8];
	long per = 4096;
	for (long at = 0; at < frames; at += per) {
		long n = frames - at < per ? frames - at : per;
		for (long i = 0; i < n; i++)
			for (int c = 0; c < channels; c++)
				buf[i * channels + c] = fn(at + i, c);
		ck_assert_int_eq(sf_writef_float(sf, buf, n), n);
	}
	sf_close(sf);
}

static void make_float_wav(const char *rel, int rate, int channels, long frames, sig_fn fn)
{
	make_file(rel, SF_FORMAT_WAV | SF_FORMAT_FLOAT, rate, channels, frames, fn);
}

static void put_text(const char *rel, const char *text)
{
	char path[8192];
	media_path(path, sizeof path, rel);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* A canonical 44-byte header for 16-bit PCM. */
static void wav_header(uint8_t h[44], int channels, uint32_t frames)
{
	uint32_t data = frames * 2u * (uint32_t)channels, v;
	uint16_t s;
	memcpy(h, "RIFF", 4);
	v = 36 + data;
	memcpy(h + 4, &v, 4);
	memcpy(h + 8, "WAVEfmt ", 8);
	v = 16;
	memcpy(h + 16, &v, 4);
	s = 1;
	memcpy(h + 20, &s, 2);
	s = (uint16_t)channels;
	memcpy(h + 22, &s, 2);
	v = RATE;
	memcpy(h + 24, &v, 4);
	v = RATE * 2u * (uint32_t)channels;
	memcpy(h + 28, &v, 4);
	s = (uint16_t)(2 * channels);
	memcpy(h + 32, &s, 2);
	s = 16;
	memcpy(h + 34, &s, 2);
	memcpy(h + 36, "data", 4);
	memcpy(h + 40, &data, 4);
}

/* Signals. Values a float WAV stores exactly, so the output can be
 * compared bit for bit. */
static float ramp(long n, int c)
{
	float v = (float)(n % 1000) / 1000.0f - 0.5f;
	return c == 0 ? v : -v * 0.5f;
}

static float mono_ramp(long n, int c)
{
	(void)c;
	return (float)(n % 777) / 1024.0f - 0.25f;
}

static float dc_half(long n, int c)
{
	(void)n, (void)c;
	return 0.5f;
}

static float dc_neg(long n, int c)
{
	(void)n, (void)c;
	return -0.25f;
}

static float sine_1k_44k1(long n, int c)
{
	(void)c;
	return 0.5f * (float)sin(2.0 * M_PI * 1000.0 * (double)n / 44100.0);
}

static float pcm16_ramp(long n, int c)
{
	return (float)((n * 7 + c * 3) % 2000 - 1000) / 32768.0f;
}

/* ---- the rig: players plus a fake audio thread ------------------------ */

struct seen {
	struct wm_player_event ev;
	size_t at;                     /* capture frame where the period that made it began */
};

struct rig {
	struct wm_players *p;
	int channels, ports;
	bool mono[8];
	float *in[MAX_PORTS];
	float in_val[MAX_PORTS];
	float *cap[MAX_PORTS];
	size_t cap_len;
	long first_sound[8];           /* capture frame where the channel first sounded */
	struct seen ev[MAX_EVENTS];
	int nev;
	long long max_mix_us;
	bool no_capture;               /* check each period is the input alone, keep none */
	bool no_poll;                  /* leave the events waiting */
};

static struct rig R;

static void setup(void)
{
	const char *base = wm_tmpdir();
	static int n;
	ck_assert_ptr_nonnull(base);
	snprintf(media, sizeof media, "%s/player%d-%d", base, (int)getpid(), ++n);
	ck_assert_int_eq(mkdir(media, 0700), 0);
	memset(&R, 0, sizeof R);
}

static void teardown(void)
{
	wm_players_destroy(R.p);
	for (int i = 0; i < MAX_PORTS; i++) {
		free(R.in[i]);
		free(R.cap[i]);
	}
	memset(&R, 0, sizeof R);
}

/* channels with the given mono flags; inputs hold constants (zero when
 * zero_in) so "added to the input" is checked too. */
static void rig_up(int channels, const bool *mono, double buffer_ms, bool zero_in)
{
	struct wm_err err = { 0 };
	R.channels = channels;
	R.ports = 0;
	for (int ch = 0; ch < channels; ch++) {
		R.mono[ch] = mono && mono[ch];
		R.ports += R.mono[ch] ? 1 : 2;
		R.first_sound[ch] = -1;
	}
	for (int i = 0; i < R.ports; i++) {
		R.in[i] = calloc(WM_PLAYER_MAX_FRAMES, sizeof(float));
		R.cap[i] = calloc(CAP_FRAMES, sizeof(float));
		ck_assert(R.in[i] && R.cap[i]);
		R.in_val[i] = zero_in ? 0.0f : (i % 2 ? -0.125f : 0.25f) / (float)(1 + i / 2);
		for (int k = 0; k < WM_PLAYER_MAX_FRAMES; k++)
			R.in[i][k] = R.in_val[i];
	}
	struct wm_players_config cfg = { .channels = channels, .mono = R.mono,
					 .sample_rate = RATE, .media_dir = media,
					 .buffer_ms = buffer_ms };
	R.p = wm_players_create(&cfg, &err);
	ck_assert_msg(R.p != NULL, "create: %s", err.msg);
}

static void expect_input_only(int port, size_t from, size_t to);

static void take_events(size_t at)
{
	struct wm_player_event ev;
	while (wm_players_poll(R.p, &ev)) {
		ck_assert_int_lt(R.nev, MAX_EVENTS);
		R.ev[R.nev].ev = ev;
		R.ev[R.nev].at = at;
		R.nev++;
	}
}

static void period(uint32_t frames)
{
	if (R.cap_len + frames > CAP_FRAMES)
		ck_abort_msg("the test's capture is full");
	long long t0 = wm_now_us();
	const float *const *out = wm_players_mix_rt(R.p, (const float *const *)R.in, frames);
	long long used = wm_now_us() - t0;
	if (used > R.max_mix_us)
		R.max_mix_us = used;
	for (int i = 0; i < R.ports; i++)
		memcpy(R.cap[i] + R.cap_len, out[i], frames * sizeof(float));
	if (R.no_capture) {
		/* Memory tests: the capture must not grow the process. */
		for (int i = 0; i < R.ports; i++)
			expect_input_only(i, 0, frames);
		take_events(0);
		return;
	}
	for (int ch = 0; ch < R.channels; ch++)
		if (R.first_sound[ch] < 0 && wm_players_sounding_rt(R.p, ch))
			R.first_sound[ch] = (long)R.cap_len;
	R.cap_len += frames;
	if (!R.no_poll)
		take_events(R.cap_len - frames);
}

/* Periods of PERIOD frames, 1 ms apart (5x real time: the disk thread
 * keeps up easily with a one-second ring). */
static void run(int periods)
{
	for (int i = 0; i < periods; i++) {
		period(PERIOD);
		usleep(1000);
	}
}

/* Periods at JACK's own pace (256 frames at 48 kHz: 5.3 ms), for checks
 * that hold in real time but not at five times its speed. */
static void run_realtime(int periods)
{
	for (int i = 0; i < periods; i++) {
		long long t0 = wm_now_us();
		period(PERIOD);
		long long left = (long long)PERIOD * 1000000 / RATE - (wm_now_us() - t0);
		if (left > 0)
			usleep((useconds_t)left);
	}
}

static const struct seen *find_event(int ch, enum wm_player_event_kind kind, int from)
{
	for (int i = from; i < R.nev; i++)
		if (R.ev[i].ev.ch == ch && R.ev[i].ev.kind == kind)
			return &R.ev[i];
	return NULL;
}

static int count_events(int ch, enum wm_player_event_kind kind)
{
	int n = 0;
	for (int i = 0; i < R.nev; i++)
		n += R.ev[i].ev.ch == ch && R.ev[i].ev.kind == kind;
	return n;
}

static const struct seen *run_until(int ch, enum wm_player_event_kind kind, int max_periods)
{
	for (int i = 0; i < max_periods; i++) {
		const struct seen *s = find_event(ch, kind, 0);
		if (s)
			return s;
		run(1);
	}
	return find_event(ch, kind, 0);
}

static void play_ok(int ch, const char *file, bool loop)
{
	struct wm_err err = { 0 };
	ck_assert_msg(wm_players_play(R.p, ch, file, loop, &err) == 0, "play %s: %s", file,
		      err.msg);
	usleep(20000); /* the disk thread pre-reads; the start is then on time */
}

static void play_refused(int ch, const char *file, enum wm_errcode code, const char *in_msg)
{
	struct wm_err err = { 0 };
	ck_assert_msg(wm_players_play(R.p, ch, file, false, &err) < 0, "%s: accepted", file);
	ck_assert_msg(err.code == code, "%s: %s, want %s (%s)", file, wm_errcode_name(err.code),
		      wm_errcode_name(code), err.msg);
	ck_assert_msg(strstr(err.msg, in_msg) != NULL, "%s: \"%s\" lacks \"%s\"", file, err.msg,
		      in_msg);
}

static void stop_ok(int ch, double fade_ms)
{
	struct wm_err err = { 0 };
	ck_assert_msg(wm_players_stop(R.p, ch, fade_ms, &err) == 0, "stop: %s", err.msg);
}

/* Output of port `port` from capture frame `from` on must equal the input
 * plus want(k) (k frames into the file), computed with the same float
 * addition, for n frames. */
static void expect_exact(int port, size_t from, long n, float (*want)(long k, int port_side),
			 int side)
{
	for (long k = 0; k < n; k++) {
		float w = R.in_val[port] + want(k, side);
		float got = R.cap[port][from + (size_t)k];
		/* Not ck_assert per sample: each success is a message to the
		 * parent process (and heap churn under ASan). */
		if (got != w)
			ck_abort_msg("port %d frame %ld of the file: got %.9g want %.9g", port, k,
				     (double)got, (double)w);
	}
}

static void expect_input_only(int port, size_t from, size_t to)
{
	for (size_t k = from; k < to; k++)
		if (R.cap[port][k] != R.in_val[port])
			ck_abort_msg("port %d frame %zu: %.9g, want the input %.9g alone", port, k,
				     (double)R.cap[port][k], (double)R.in_val[port]);
}

#define MIB ((size_t)1024 * 1024)

/* Heap bytes in use: ASan's allocator counts them exactly; elsewhere RSS
 * stands for them (0 here). */
static size_t heap_bytes(void)
{
#ifdef WASHMIX_SANITIZE
	return __sanitizer_get_current_allocated_bytes();
#else
	return 0;
#endif
}

/* With ASan's detect_stack_use_after_return, every call takes a frame from
 * a per-thread fake stack that is touched a page at a time for megabytes:
 * RSS then measures ASan, and the heap count above is the check. */
static bool rss_measures_us(void)
{
#ifdef WASHMIX_SANITIZE
	if (__asan_get_current_fake_stack() != NULL) {
		fprintf(stderr, "NOTE: ASan fake stacks in use: the RSS bound is not checked, "
				"the heap bound is\n");
		return false;
	}
#endif
	return true;
}

static long rss_bytes(void)
{
	long pages_total = 0, pages_rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%ld %ld", &pages_total, &pages_rss), 2);
	fclose(f);
	return pages_rss * sysconf(_SC_PAGESIZE);
}

static int fifo_writer(const char *rel);
static void write_pcm16(int fd, long from, long frames);

static void mkdir_media(const char *rel)
{
	char path[8192];
	media_path(path, sizeof path, rel);
	ck_assert_int_eq(mkdir(path, 0700), 0);
}

static float ramp_sum(long k, int c)
{
	(void)c;
	return 0.5f * (ramp(k, 0) + ramp(k, 1));
}

static float loop_700(long k, int c)
{
	return ramp(k % 700, c);
}

static float pos_ramp(long n, int c)
{
	(void)c;
	return 0.25f + (float)(n % 100) / 1000.0f;
}

static float four_ch(long n, int c)
{
	(void)n;
	return 0.1f * (float)(c + 1);
}

static float first_two(long n, int c)
{
	return four_ch(n, c);
}

static float zero(long n, int c)
{
	(void)n, (void)c;
	return 0.0f;
}

/* ---- playing --------------------------------------------------------- */

START_TEST(sample_exact_stereo)
{
	static const uint32_t sizes[] = { 256, 64, 1000, 128, 4096, 1 };
	struct wm_player_info info;
	struct wm_player_stats st;

	rig_up(2, NULL, 0, false);
	mkdir_media("music");
	make_float_wav("music/ramp.wav", RATE, 2, 10000, ramp);
	play_ok(0, "music/ramp.wav", false);
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_STARTING);
	ck_assert_str_eq(info.file, "music/ramp.wav");
	ck_assert(!info.loop);
	ck_assert_double_eq_tol(info.length_s, 10000.0 / RATE, 1e-9);
	ck_assert_uint_eq(info.file_rate, RATE);
	ck_assert_int_eq(info.file_channels, 2);
	/* Periods of every size, so blocks split anywhere. */
	for (int i = 0; i < 100 && !find_event(0, WM_PLAYER_EV_ENDED, 0); i++) {
		period(sizes[i % 6]);
		usleep(500);
	}
	const struct seen *started = find_event(0, WM_PLAYER_EV_STARTED, 0);
	const struct seen *ended = find_event(0, WM_PLAYER_EV_ENDED, 0);
	ck_assert_ptr_nonnull(started);
	ck_assert_ptr_nonnull(ended);
	ck_assert_str_eq(started->ev.file, "music/ramp.wav");
	ck_assert_double_eq(started->ev.late_ms, 0.0); /* pre-read: the first period */
	ck_assert_str_eq(ended->ev.file, "music/ramp.wav");
	ck_assert_str_eq(ended->ev.message, "");
	long s = R.first_sound[0];
	ck_assert_int_eq(s, 0);
	ck_assert_uint_eq(started->at, 0);
	expect_exact(0, (size_t)s, 10000, ramp, 0);
	expect_exact(1, (size_t)s, 10000, ramp, 1);
	expect_input_only(0, (size_t)s + 10000, R.cap_len);
	expect_input_only(1, (size_t)s + 10000, R.cap_len);
	expect_input_only(2, 0, R.cap_len); /* the other channel: untouched */
	expect_input_only(3, 0, R.cap_len);
	ck_assert_int_lt(find_event(0, WM_PLAYER_EV_STARTED, 0) - R.ev,
			 find_event(0, WM_PLAYER_EV_ENDED, 0) - R.ev);
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_ENDED);
	ck_assert_double_eq_tol(info.position_s * RATE, 10000.0, 1e-6);
	ck_assert_uint_eq(info.underrun_frames, 0);
	period(PERIOD);
	ck_assert(!wm_players_sounding_rt(R.p, 0));
	wm_players_get_stats(R.p, &st);
	ck_assert_uint_eq(st.plays, 1);
	ck_assert_uint_eq(st.late_starts, 0);
	ck_assert_uint_eq(st.underruns, 0);
	ck_assert_str_eq(wm_player_state_name(info.state), "ended");
}
END_TEST

START_TEST(mono_file_both_sides)
{
	rig_up(1, NULL, 0, false);
	make_float_wav("m.wav", RATE, 1, 5000, mono_ramp);
	play_ok(0, "m.wav", false);
	ck_assert_ptr_nonnull(run_until(0, WM_PLAYER_EV_ENDED, 100));
	long s = R.first_sound[0];
	ck_assert_int_ge(s, 0);
	expect_exact(0, (size_t)s, 5000, mono_ramp, 0);
	expect_exact(1, (size_t)s, 5000, mono_ramp, 0);
	expect_input_only(0, (size_t)s + 5000, R.cap_len);
}
END_TEST

START_TEST(stereo_file_on_mono_channel)
{
	static const bool mono[2] = { true, false };
	rig_up(2, mono, 0, false);
	make_float_wav("st.wav", RATE, 2, 6000, ramp);
	make_float_wav("m.wav", RATE, 1, 3000, mono_ramp);
	play_ok(0, "st.wav", false);
	ck_assert_ptr_nonnull(run_until(0, WM_PLAYER_EV_ENDED, 100));
	long s = R.first_sound[0];
	ck_assert_int_ge(s, 0);
	expect_exact(0, (size_t)s, 6000, ramp_sum, 0); /* (L+R)/2: -6 dB sum */
	expect_input_only(1, 0, R.cap_len);            /* channel 2's ports */
	expect_input_only(2, 0, R.cap_len);
	/* A mono file on a mono channel comes out as it is. */
	play_ok(0, "m.wav", false);
	int before = R.nev;
	const struct seen *started = NULL;
	for (int i = 0; i < 100 && !find_event(0, WM_PLAYER_EV_ENDED, before); i++) {
		run(1);
		started = started ? started : find_event(0, WM_PLAYER_EV_STARTED, before);
	}
	ck_assert_ptr_nonnull(started);
	ck_assert_ptr_nonnull(find_event(0, WM_PLAYER_EV_ENDED, before));
	expect_exact(0, started->at, 3000, mono_ramp, 0);
}
END_TEST

START_TEST(more_channels_take_first_two)
{
	rig_up(1, NULL, 0, true);
	make_float_wav("quad.wav", RATE, 4, 3000, four_ch);
	play_ok(0, "quad.wav", false);
	ck_assert_ptr_nonnull(run_until(0, WM_PLAYER_EV_ENDED, 100));
	expect_exact(0, (size_t)R.first_sound[0], 3000, first_two, 0);
	expect_exact(1, (size_t)R.first_sound[0], 3000, first_two, 1);
	struct wm_player_info info;
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.file_channels, 4);
}
END_TEST

START_TEST(flac_sample_exact)
{
	rig_up(1, NULL, 0, false);
	make_file("x.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, RATE, 2, 20000, pcm16_ramp);
	play_ok(0, "x.flac", false);
	ck_assert_ptr_nonnull(run_until(0, WM_PLAYER_EV_ENDED, 200));
	expect_exact(0, (size_t)R.first_sound[0], 20000, pcm16_ramp, 0);
	expect_exact(1, (size_t)R.first_sound[0], 20000, pcm16_ramp, 1);
}
END_TEST

START_TEST(loop_seam_continuous)
{
	struct wm_player_info info;

	rig_up(1, NULL, 0, false);
	make_float_wav("loop.wav", RATE, 2, 700, ramp);
	play_ok(0, "loop.wav", true);
	run(60); /* 15360 frames: 21 times round */
	long s = R.first_sound[0];
	ck_assert_int_ge(s, 0);
	long n = (long)R.cap_len - s;
	ck_assert_int_gt(n, 14000);
	/* After frame 699 comes frame 0, exactly, every time. */
	expect_exact(0, (size_t)s, n, loop_700, 0);
	expect_exact(1, (size_t)s, n, loop_700, 1);
	ck_assert_int_eq(count_events(0, WM_PLAYER_EV_ENDED), 0);
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_PLAYING);
	ck_assert(info.loop);
	ck_assert_double_ge(info.position_s, 0.0);
	ck_assert_double_lt(info.position_s, info.length_s); /* wraps */
	ck_assert_double_eq_tol(info.position_s * RATE, (double)(n % 700), 1e-6);
	/* A cut (fade 0) at the next period boundary. */
	stop_ok(0, 0);
	size_t cut = R.cap_len;
	run(3);
	ck_assert_ptr_nonnull(find_event(0, WM_PLAYER_EV_STOPPED, 0));
	expect_input_only(0, cut, R.cap_len);
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_STOPPED);
}
END_TEST

/* The fade after stop(fade_ms) must be g(k) = 1 - k / F on a DC of 0.5
 * (zero input), then silence, then STOPPED. */
static void check_fade(double fade_ms)
{
	uint32_t F = (uint32_t)lround(fade_ms * RATE / 1000.0);
	struct wm_player_info info;

	rig_up(1, NULL, 0, true);
	make_float_wav("dc.wav", RATE, 2, RATE * 5, dc_half);
	play_ok(0, "dc.wav", false);
	run(10);
	ck_assert_int_eq(R.first_sound[0], 0);
	stop_ok(0, fade_ms);
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_STOPPING);
	size_t s = R.cap_len;
	run((int)(F / PERIOD) + 4);
	for (int port = 0; port < 2; port++) {
		for (size_t k = 0; k < s; k++)
			if (R.cap[port][k] != 0.5f)
				ck_abort_msg("before the stop, frame %zu: %.9g", k,
					     (double)R.cap[port][k]);
		for (uint32_t k = 0; k < F; k++) {
			double want = 0.5 * (1.0 - (double)k / F);
			if (fabs(R.cap[port][s + k] - want) >= 1e-6)
				ck_abort_msg("fade frame %u: %.9g, want %.9g", k,
					     (double)R.cap[port][s + k], want);
		}
		for (size_t k = s + F; k < R.cap_len; k++)
			if (R.cap[port][k] != 0.0f)
				ck_abort_msg("after the fade, frame %zu: %.9g", k - s,
					     (double)R.cap[port][k]);
	}
	const struct seen *stopped = find_event(0, WM_PLAYER_EV_STOPPED, 0);
	ck_assert_ptr_nonnull(stopped);
	ck_assert_str_eq(stopped->ev.file, "dc.wav");
	ck_assert_uint_ge(stopped->at + PERIOD, s + F); /* when the fade was over */
	ck_assert_uint_le(stopped->at, s + F);
	ck_assert_int_eq(count_events(0, WM_PLAYER_EV_STOPPED), 1);
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_STOPPED);
}

START_TEST(stop_fade_short)
{
	check_fade(10.0); /* from the tail */
}
END_TEST

START_TEST(stop_fade_long)
{
	check_fade(100.0); /* from the ring */
}
END_TEST

START_TEST(stop_rules)
{
	struct wm_err err = { 0 };

	rig_up(8, NULL, 0, true);
	stop_ok(0, 50); /* idle: not an error */
	stop_ok(0, -1);
	ck_assert_int_lt(wm_players_stop(R.p, 8, 10, &err), 0);
	ck_assert_int_eq(err.code, WM_E_OUT_OF_RANGE);
	ck_assert_str_eq(err.msg, "channel 9: channels are 1..8");
	ck_assert_int_lt(wm_players_stop(R.p, 0, 1e9, &err), 0);
	ck_assert_int_eq(err.code, WM_E_OUT_OF_RANGE);
	ck_assert_int_lt(wm_players_stop(R.p, 0, NAN, &err), 0);
	ck_assert_int_eq(err.code, WM_E_OUT_OF_RANGE);
	/* A stop before the first block: STOPPED, never a sound. */
	make_float_wav("dc.wav", RATE, 2, RATE, dc_half);
	ck_assert_int_eq(wm_players_play(R.p, 3, "dc.wav", false, &err), 0);
	stop_ok(3, 10);
	run(20);
	ck_assert_ptr_nonnull(find_event(3, WM_PLAYER_EV_STOPPED, 0));
	ck_assert_int_eq(count_events(3, WM_PLAYER_EV_STARTED), 0);
	expect_input_only(6, 0, R.cap_len);
	expect_input_only(7, 0, R.cap_len);
}
END_TEST

/* After a restart, once the old play's 10 ms tail is over, only the new
 * file's samples (or silence before it starts) may come out. */
static void expect_no_stale(size_t from, float new_value)
{
	for (int port = 0; port < 2; port++)
		for (size_t k = from; k < R.cap_len; k++)
			if (R.cap[port][k] != new_value && R.cap[port][k] != 0.0f)
				ck_abort_msg("frame %zu after the tail: %.9g is neither the new "
					     "file's %.9g nor silence", k - from,
					     (double)R.cap[port][k], (double)new_value);
}

START_TEST(restart_never_stale)
{
	struct wm_player_info info;
	uint32_t tail = (uint32_t)lround(WM_PLAYER_STOP_FADE_MS * RATE / 1000.0);

	rig_up(1, NULL, 0, true);
	make_float_wav("a.wav", RATE, 2, RATE * 5, pos_ramp);
	make_float_wav("b.wav", RATE, 2, RATE * 2, dc_neg);
	play_ok(0, "a.wav", false);
	run(20);
	ck_assert_ptr_nonnull(find_event(0, WM_PLAYER_EV_STARTED, 0));
	int before = R.nev;
	play_ok(0, "b.wav", false);
	size_t s = R.cap_len;
	/* In real time: the disk thread refills within a period of the stale
	 * blocks going, not within a fifth of one. */
	run_realtime(40);
	run(60);
	expect_no_stale(s + tail, -0.25f);
	const struct seen *stopped = find_event(0, WM_PLAYER_EV_STOPPED, before);
	const struct seen *started = find_event(0, WM_PLAYER_EV_STARTED, before);
	ck_assert_ptr_nonnull(stopped);
	ck_assert_ptr_nonnull(started);
	ck_assert_str_eq(stopped->ev.file, "a.wav");
	ck_assert_str_eq(started->ev.file, "b.wav");
	ck_assert_double_eq(started->ev.late_ms, 0.0); /* the ring was freed at once */
	/* From its start on, b.wav without a gap. */
	for (size_t k = started->at > s + tail ? started->at : s + tail; k < R.cap_len; k++)
		if (R.cap[0][k] != -0.25f)
			ck_abort_msg("b.wav frame %zu: %.9g", k - started->at, (double)R.cap[0][k]);
	/* During the crossfade nothing beyond the two files' sum. */
	for (size_t k = s; k < s + tail; k++)
		if (fabsf(R.cap[0][k]) > 0.35f + 0.25f)
			ck_abort_msg("crossfade frame %zu: %.9g", k - s, (double)R.cap[0][k]);
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_PLAYING);
	ck_assert_str_eq(info.file, "b.wav");
}
END_TEST

/* A restart of a play that has run dry (a stalled FIFO): the ring holds
 * nothing of it, so gathering its tail meets the new play's first block
 * at once. That block must be kept for the new play, not taken for a
 * stale one: the new file starts at its first frame. */
START_TEST(restart_starved_play_keeps_new_start)
{
	uint8_t h[44];

	rig_up(1, NULL, 0, false);
	make_float_wav("b.wav", RATE, 2, RATE, ramp);
	int w = fifo_writer("dry.wav");
	wav_header(h, 2, RATE * 10);
	ck_assert_int_eq(write(w, h, sizeof h), 44);
	write_pcm16(w, 0, 300);
	play_ok(0, "dry.wav", false);
	run(20);
	ck_assert_int_ge(count_events(0, WM_PLAYER_EV_UNDERRUN), 1);
	int before = R.nev;
	play_ok(0, "b.wav", false); /* its first blocks are in the ring before the command */
	run(30);
	const struct seen *started = find_event(0, WM_PLAYER_EV_STARTED, before);
	ck_assert_ptr_nonnull(started);
	ck_assert_str_eq(started->ev.file, "b.wav");
	ck_assert_ptr_nonnull(find_event(0, WM_PLAYER_EV_STOPPED, before));
	expect_exact(0, started->at, (long)(R.cap_len - started->at), ramp, 0);
	close(w);
}
END_TEST

START_TEST(restart_storm)
{
	struct wm_err err = { 0 };
	uint32_t tail = (uint32_t)lround(WM_PLAYER_STOP_FADE_MS * RATE / 1000.0);
	const int plays = 30;

	rig_up(1, NULL, 0, true);
	make_float_wav("a.wav", RATE, 2, RATE * 5, pos_ramp);
	make_float_wav("b.wav", RATE, 2, RATE * 2, dc_neg);
	for (int i = 0; i < plays; i++) {
		const char *f = i % 2 ? "b.wav" : "a.wav";
		ck_assert_msg(wm_players_play(R.p, 0, f, false, &err) == 0, "%s", err.msg);
		period(PERIOD);
		if (i % 3 == 0)
			usleep(2000);
	}
	size_t s = R.cap_len;
	run(150);
	expect_no_stale(s + tail, -0.25f);
	ck_assert_float_eq(R.cap[0][R.cap_len - 1], -0.25f);
	/* Every replaced play said STOPPED exactly once; the last one plays. */
	ck_assert_int_eq(count_events(0, WM_PLAYER_EV_STOPPED), plays - 1);
	ck_assert_int_eq(count_events(0, WM_PLAYER_EV_ENDED), 0);
	struct wm_player_info info;
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_PLAYING);
}
END_TEST

START_TEST(resample_44k1)
{
	struct wm_player_info info;

	rig_up(1, NULL, 0, true);
	make_float_wav("sine.wav", 44100, 1, 44100, sine_1k_44k1);
	play_ok(0, "sine.wav", false);
	wm_players_get(R.p, 0, &info);
	ck_assert_uint_eq(info.file_rate, 44100);
	ck_assert_double_eq_tol(info.length_s, 1.0, 1e-9);
	ck_assert_ptr_nonnull(run_until(0, WM_PLAYER_EV_ENDED, 400));
	wm_players_get(R.p, 0, &info);
	double out_frames = info.position_s * RATE;
	ck_assert_msg(fabs(out_frames - 48000.0) <= 256, "%.0f frames out, want 48000 +- 256",
		      out_frames);
	/* Pitch: upward zero crossings over 0.9 s in the middle = 900. */
	size_t s = (size_t)R.first_sound[0], from = s + 2400, to = s + 2400 + 43200;
	int ups = 0;
	float peak = 0;
	for (size_t k = from; k < to; k++) {
		ups += R.cap[0][k - 1] < 0.0f && R.cap[0][k] >= 0.0f;
		peak = fmaxf(peak, fabsf(R.cap[0][k]));
		if (R.cap[0][k] != R.cap[1][k])
			ck_abort_msg("a mono file: sides differ at frame %zu", k - s);
	}
	double hz = ups / 0.9;
	ck_assert_msg(fabs(hz - 1000.0) <= 2.0, "%.1f Hz, want 1000", hz);
	ck_assert_float_eq_tol(peak, 0.5f, 0.01f);
}
END_TEST

/* ---- refusals -------------------------------------------------------- */

START_TEST(refused_requests)
{
	struct wm_player_stats st;
	struct wm_player_info info;

	rig_up(8, NULL, 0, true);
	put_text("notes.txt", "this is a text file, not audio at all\n");
	put_text("empty.wav", "");
	mkdir_media("dir");
	make_float_wav("headeronly.wav", RATE, 2, 0, zero);
	make_float_wav("ok.wav", RATE, 2, 100, ramp);
	char outside[8192], link[8192];
	snprintf(outside, sizeof outside, "%s/../outside-%d.wav", media, (int)getpid());
	SF_INFO oi = { .samplerate = RATE, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
	SNDFILE *of = sf_open(outside, SFM_WRITE, &oi);
	ck_assert_ptr_nonnull(of);
	short frames[10] = { 0 };
	sf_writef_short(of, frames, 10);
	sf_close(of);
	media_path(link, sizeof link, "escape.wav");
	char target[256];
	snprintf(target, sizeof target, "../outside-%d.wav", (int)getpid());
	ck_assert_int_eq(symlink(target, link), 0);
	char fifo[8192];
	media_path(fifo, sizeof fifo, "nowriter.wav");
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);

	play_refused(0, "missing.wav", WM_E_NOT_FOUND, "missing.wav: no such file in the media folder");
	play_refused(0, "escape.wav", WM_E_BAD_PATH, "escape.wav: leads outside the media folder");
	play_refused(0, "/etc/passwd", WM_E_BAD_PATH, "absolute paths are not allowed");
	play_refused(0, "../x.wav", WM_E_BAD_PATH, "\"..\" is not allowed");
	play_refused(0, "notes.txt", WM_E_BAD_FILE,
		     "notes.txt: not an audio file libsndfile can read (");
	play_refused(0, "empty.wav", WM_E_BAD_FILE, "empty.wav: the file is empty");
	play_refused(0, "dir", WM_E_BAD_FILE, "dir: not a regular file");
	play_refused(0, "headeronly.wav", WM_E_BAD_FILE, "headeronly.wav: no audio in the file");
	play_refused(0, "nowriter.wav", WM_E_BAD_FILE, "nothing to read in the FIFO yet");
	play_refused(8, "ok.wav", WM_E_OUT_OF_RANGE, "channel 9: channels are 1..8");
	play_refused(-1, "ok.wav", WM_E_OUT_OF_RANGE, "channel 0: channels are 1..8");
	wm_players_get_stats(R.p, &st);
	ck_assert_uint_eq(st.plays, 0);
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_IDLE);
	ck_assert_str_eq(info.file, "");
	unlink(outside);
}
END_TEST

/* Bytes of a whole file of the media folder (malloc'd). */
static char *slurp(const char *rel, size_t *len)
{
	char path[8192];
	media_path(path, sizeof path, rel);
	char *data = wm_file_read(path, len);
	ck_assert_ptr_nonnull(data);
	return data;
}

START_TEST(refused_formats)
{
	rig_up(1, NULL, 0, true);
	make_float_wav("wide.wav", RATE, 65, 10, zero);
	play_refused(0, "wide.wav", WM_E_BAD_FILE, "wide.wav: 65 channels; 1..64 are supported");
	/* On a FIFO: compressed audio is refused, whether libsndfile cannot
	 * even read its header without blocking (FLAC) or can (IMA ADPCM). */
	make_file("x.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, RATE, 2, 1000, pcm16_ramp);
	make_file("adpcm.wav", SF_FORMAT_WAV | SF_FORMAT_IMA_ADPCM, RATE, 2, 4000, pcm16_ramp);
	const char *sources[] = { "x.flac", "adpcm.wav" };
	const char *fifos[] = { "flac.fifo", "adpcm.fifo" };
	for (int i = 0; i < 2; i++) {
		size_t len;
		char *data = slurp(sources[i], &len);
		int w = fifo_writer(fifos[i]);
		ck_assert_int_eq(write(w, data, len), (ssize_t)len);
		play_refused(0, fifos[i], WM_E_BAD_FILE, "a FIFO must carry uncompressed audio");
		close(w);
		free(data);
	}
}
END_TEST

/* A FLAC file damaged in the middle: what decodes plays, then ERROR with
 * libsndfile's reason, the state says error, and the mix goes on. */
START_TEST(read_error_mid_file)
{
	struct wm_player_info info;
	struct wm_player_stats st;
	char path[8192];
	struct stat sb;

	rig_up(1, NULL, 0, false);
	make_file("bad.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, RATE, 2, RATE * 2, pcm16_ramp);
	media_path(path, sizeof path, "bad.flac");
	ck_assert_int_eq(stat(path, &sb), 0);
	FILE *f = fopen(path, "r+b");
	ck_assert_ptr_nonnull(f);
	char junk[4000];
	memset(junk, 0x55, sizeof junk);
	ck_assert_int_eq(fseek(f, sb.st_size / 2, SEEK_SET), 0);
	ck_assert_uint_eq(fwrite(junk, 1, sizeof junk, f), sizeof junk);
	fclose(f);
	play_ok(0, "bad.flac", false);
	const struct seen *error = run_until(0, WM_PLAYER_EV_ERROR, 600);
	ck_assert_ptr_nonnull(error);
	ck_assert_ptr_nonnull(strstr(error->ev.message, "bad.flac: reading failed after"));
	ck_assert_ptr_nonnull(strstr(error->ev.message, "lost sync"));
	ck_assert_int_eq(count_events(0, WM_PLAYER_EV_ENDED), 0);
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_ERROR);
	ck_assert_str_eq(info.error, error->ev.message);
	double played = info.position_s * RATE;
	ck_assert_double_gt(played, 4096);
	ck_assert_double_lt(played, RATE * 2);
	expect_exact(0, (size_t)R.first_sound[0], 4096, pcm16_ramp, 0);
	wm_players_get_stats(R.p, &st);
	ck_assert_uint_ge(st.read_errors, 1);
	size_t after = R.cap_len;
	run(4);
	expect_input_only(0, after, R.cap_len);
}
END_TEST

/* The state follows the audio thread even when nobody polls (or the event
 * ring overflowed): ended is ended. */
START_TEST(state_without_polling)
{
	struct wm_player_info info;

	rig_up(1, NULL, 0, true);
	make_float_wav("short.wav", RATE, 2, 3000, ramp);
	play_ok(0, "short.wav", false);
	R.no_poll = true;
	run(3);
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_PLAYING);
	run(20);
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_ENDED);
	/* The events are still there, in order, and change nothing. */
	R.no_poll = false;
	take_events(R.cap_len);
	ck_assert_int_eq(R.nev, 2);
	ck_assert_int_eq(R.ev[0].ev.kind, WM_PLAYER_EV_STARTED);
	ck_assert_int_eq(R.ev[1].ev.kind, WM_PLAYER_EV_ENDED);
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_ENDED);
}
END_TEST

START_TEST(busy_when_commands_back_up)
{
	struct wm_err err = { 0 };
	struct wm_player_stats st;
	int accepted = 0;

	rig_up(1, NULL, 0, true);
	make_float_wav("dc.wav", RATE, 2, RATE, dc_half);
	/* No periods: the audio thread takes no commands, so they pile up. */
	for (int i = 0; i < 100; i++) {
		if (wm_players_play(R.p, 0, "dc.wav", false, &err) < 0)
			break;
		accepted++;
	}
	ck_assert_int_eq(err.code, WM_E_BUSY);
	ck_assert_ptr_nonnull(strstr(err.msg, "channel 1: too many play and stop requests"));
	ck_assert_int_gt(accepted, 8);
	wm_players_get_stats(R.p, &st);
	ck_assert_uint_eq(st.plays, (uint64_t)accepted); /* the refused one left no trace */
	ck_assert_uint_eq(st.command_drops, 1);
	usleep(20000);
	run(10);
	ck_assert_int_eq(count_events(0, WM_PLAYER_EV_STOPPED), accepted - 1);
	ck_assert_int_eq(count_events(0, WM_PLAYER_EV_STARTED), 1);
}
END_TEST

/* ---- FIFOs, underruns, late starts ------------------------------------ */

static int fifo_writer(const char *rel)
{
	char path[8192];
	media_path(path, sizeof path, rel);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	/* O_RDWR: a writer that never blocks and never hangs up. */
	int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	return fd;
}

static void write_pcm16(int fd, long from, long frames)
{
	int16_t buf[2 * 4800];
	for (long at = 0; at < frames; at += 4800) {
		long n = frames - at < 4800 ? frames - at : 4800;
		for (long i = 0; i < n; i++)
			for (int c = 0; c < 2; c++)
				buf[2 * i + c] = (int16_t)lroundf(pcm16_ramp(from + at + i, c) * 32768.0f);
		ssize_t want = (ssize_t)(n * 4);
		ck_assert_int_eq(write(fd, buf, (size_t)want), want);
	}
}

START_TEST(fifo_underrun_silent_nonblocking)
{
	struct wm_player_info info;
	struct wm_player_stats st;
	uint8_t h[44];

	rig_up(1, NULL, 0, false);
	int w = fifo_writer("live.wav");
	wav_header(h, 2, RATE * 10);
	ck_assert_int_eq(write(w, h, sizeof h), 44);
	write_pcm16(w, 0, 2000);
	play_ok(0, "live.wav", false);
	run(150); /* 0.8 s of audio, 2000 frames of it in the pipe */
	long s = R.first_sound[0];
	ck_assert_int_ge(s, 0);
	expect_exact(0, (size_t)s, 2000, pcm16_ramp, 0);
	expect_exact(1, (size_t)s, 2000, pcm16_ramp, 1);
	expect_input_only(0, (size_t)s + 2000, R.cap_len); /* exact silence added */
	expect_input_only(1, (size_t)s + 2000, R.cap_len);
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_PLAYING);
	ck_assert_double_lt(info.length_s, 0); /* a pipe's length is unknown */
	uint64_t silent = R.cap_len - (size_t)s - 2000;
	ck_assert_uint_eq(info.underrun_frames, silent);
	wm_players_get_stats(R.p, &st);
	ck_assert_uint_eq(st.underrun_frames, silent);
	int events = count_events(0, WM_PLAYER_EV_UNDERRUN);
	uint64_t reported = 0;
	for (int i = 0; i < R.nev; i++)
		if (R.ev[i].ev.kind == WM_PLAYER_EV_UNDERRUN)
			reported += R.ev[i].ev.frames;
	/* At most one report per 100 ms of audio, each with its frames. */
	ck_assert_int_ge(events, 1);
	ck_assert_int_le(events, (int)(silent / (RATE / 10)) + 1);
	ck_assert_uint_eq(st.underruns, (uint64_t)events);
	ck_assert_uint_le(reported, silent);
	ck_assert_uint_gt(reported, silent - RATE / 10 - PERIOD);
	ck_assert_int_lt(R.max_mix_us, 20000);
	/* The writer still holds the pipe open: destroy must not wait on it. */
	long long t0 = wm_now_ms();
	wm_players_destroy(R.p);
	R.p = NULL;
	ck_assert_int_lt(wm_now_ms() - t0, 1000);
	close(w);
}
END_TEST

START_TEST(fifo_late_start_and_no_loop)
{
	struct wm_player_stats st;
	struct wm_player_info info;
	uint8_t h[44];

	rig_up(1, NULL, 0, false);
	int w = fifo_writer("slow.wav");
	wav_header(h, 2, RATE);
	ck_assert_int_eq(write(w, h, sizeof h), 44);
	play_ok(0, "slow.wav", true); /* header only so far: accepted, waiting */
	run(6);
	ck_assert_int_eq(count_events(0, WM_PLAYER_EV_STARTED), 0);
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_STARTING);
	write_pcm16(w, 0, 4800);
	const struct seen *started = run_until(0, WM_PLAYER_EV_STARTED, 50);
	ck_assert_ptr_nonnull(started);
	ck_assert_double_ge(started->ev.late_ms, (6 - 2) * PERIOD * 1000.0 / RATE - 1e-9);
	wm_players_get_stats(R.p, &st);
	ck_assert_uint_eq(st.late_starts, 1);
	run(25);
	expect_exact(0, started->at, 4800, pcm16_ramp, 0);
	close(w); /* the writer hangs up: the end of the file */
	const struct seen *ended = run_until(0, WM_PLAYER_EV_ENDED, 100);
	ck_assert_ptr_nonnull(ended);
	ck_assert_ptr_nonnull(strstr(ended->ev.message, "slow.wav: a FIFO cannot loop"));
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_ENDED);
	ck_assert_double_eq_tol(info.position_s * RATE, 4800.0, 1e-6);
}
END_TEST

/* ---- damaged and huge files ------------------------------------------ */

START_TEST(truncated_header_promise)
{
	struct wm_player_info info;
	char path[8192];
	struct stat sb;

	rig_up(1, NULL, 0, true);
	make_float_wav("cut.wav", RATE, 2, RATE, dc_half);
	media_path(path, sizeof path, "cut.wav");
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(truncate(path, sb.st_size - 40000 * 8), 0);
	play_ok(0, "cut.wav", false);
	ck_assert_ptr_nonnull(run_until(0, WM_PLAYER_EV_ENDED, 200));
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_ENDED);
	/* libsndfile trusts the file's size over the header: what is there. */
	ck_assert_double_eq_tol(info.position_s * RATE, 8000.0, 1e-6);
}
END_TEST

START_TEST(truncated_while_playing)
{
	struct wm_player_info info;
	struct wm_player_stats st;
	char path[8192];
	struct stat sb;

	rig_up(1, NULL, 100, true); /* a short read-ahead: most is still on disk */
	make_float_wav("long.wav", RATE, 2, RATE * 10, dc_half);
	media_path(path, sizeof path, "long.wav");
	ck_assert_int_eq(stat(path, &sb), 0);
	play_ok(0, "long.wav", false);
	run(5);
	ck_assert_int_eq(truncate(path, sb.st_size - (off_t)RATE * 9 * 8), 0);
	const struct seen *ended = run_until(0, WM_PLAYER_EV_ENDED, 600);
	ck_assert_ptr_nonnull(ended);
	ck_assert_ptr_nonnull(strstr(ended->ev.message, "long.wav: ended early"));
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_ENDED);
	ck_assert_double_eq_tol(info.position_s * RATE, (double)RATE, 1e-6);
	wm_players_get_stats(R.p, &st);
	ck_assert_uint_ge(st.read_errors, 1);
	/* The mix goes on. */
	size_t after = R.cap_len;
	run(4);
	expect_input_only(0, after, R.cap_len);
}
END_TEST

START_TEST(two_hours_flat_memory)
{
	struct wm_player_info info;
	uint8_t h[44];
	char path[8192];
	const uint32_t frames = RATE * 7200u;

	rig_up(2, NULL, 0, false);
	media_path(path, sizeof path, "long.wav");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	wav_header(h, 2, frames);
	ck_assert_int_eq(write(fd, h, sizeof h), 44);
	/* Sparse: 1.4 GB of zeros that take no disk. */
	ck_assert_int_eq(ftruncate(fd, 44 + (off_t)frames * 4), 0);
	close(fd);
	play_ok(0, "long.wav", false);
	play_ok(1, "long.wav", true);
	wm_players_get(R.p, 0, &info);
	ck_assert_double_eq_tol(info.length_s, 7200.0, 1e-6);
	R.no_capture = true; /* each period is checked: zeros added to the input */
	run(100);            /* warm-up: rings full, buffers touched */
	long rss0 = rss_bytes();
	size_t heap0 = heap_bytes();
	run(400);
	long rss1 = rss_bytes();
	size_t heap1 = heap_bytes();
	ck_assert_msg(heap1 < heap0 + 2 * MIB, "heap in use went from %zu to %zu bytes", heap0,
		      heap1);
	if (rss_measures_us())
		ck_assert_msg(labs(rss1 - rss0) < 2 * (long)MIB, "RSS went from %ld to %ld bytes",
			      rss0, rss1);
	wm_players_get(R.p, 0, &info);
	ck_assert_int_eq(info.state, WM_PLAYER_PLAYING);
	ck_assert_double_gt(info.position_s, 1.0);
}
END_TEST

START_TEST(destroy_while_busy)
{
	struct wm_err err = { 0 };

	rig_up(3, NULL, 0, true);
	make_float_wav("dc.wav", RATE, 2, RATE * 5, dc_half);
	make_float_wav("sine.wav", 44100, 1, 44100, sine_1k_44k1);
	play_ok(0, "dc.wav", true);
	play_ok(1, "sine.wav", false);
	run(5);
	/* Straight into destroy: this request may never reach the disk
	 * thread; either way its file and resampler are freed (LSan). */
	ck_assert_int_eq(wm_players_play(R.p, 2, "sine.wav", false, &err), 0);
	wm_players_destroy(R.p);
	R.p = NULL;
}
END_TEST

START_TEST(create_rejects_bad_config)
{
	struct wm_err err = { 0 };
	struct wm_players_config cfg = { .channels = 0, .sample_rate = RATE, .media_dir = "/tmp" };
	ck_assert_ptr_null(wm_players_create(&cfg, &err));
	ck_assert_int_eq(err.code, WM_E_OUT_OF_RANGE);
	cfg.channels = 2;
	cfg.buffer_ms = 50;
	ck_assert_ptr_null(wm_players_create(&cfg, &err));
	ck_assert_int_eq(err.code, WM_E_OUT_OF_RANGE);
	cfg.buffer_ms = 0;
	cfg.media_dir = NULL;
	ck_assert_ptr_null(wm_players_create(&cfg, &err));
	ck_assert_int_eq(err.code, WM_E_BAD_CONFIG);
}
END_TEST

static Suite *player_suite(void)
{
	Suite *s = suite_create("player");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, sample_exact_stereo);
	tcase_add_test(tc, mono_file_both_sides);
	tcase_add_test(tc, stereo_file_on_mono_channel);
	tcase_add_test(tc, more_channels_take_first_two);
	tcase_add_test(tc, flac_sample_exact);
	tcase_add_test(tc, loop_seam_continuous);
	tcase_add_test(tc, stop_fade_short);
	tcase_add_test(tc, stop_fade_long);
	tcase_add_test(tc, stop_rules);
	tcase_add_test(tc, restart_never_stale);
	tcase_add_test(tc, restart_starved_play_keeps_new_start);
	tcase_add_test(tc, restart_storm);
	tcase_add_test(tc, resample_44k1);
	tcase_add_test(tc, refused_requests);
	tcase_add_test(tc, refused_formats);
	tcase_add_test(tc, read_error_mid_file);
	tcase_add_test(tc, state_without_polling);
	tcase_add_test(tc, busy_when_commands_back_up);
	tcase_add_test(tc, fifo_underrun_silent_nonblocking);
	tcase_add_test(tc, fifo_late_start_and_no_loop);
	tcase_add_test(tc, truncated_header_promise);
	tcase_add_test(tc, truncated_while_playing);
	tcase_add_test(tc, two_hours_flat_memory);
	tcase_add_test(tc, destroy_while_busy);
	tcase_add_test(tc, create_rejects_bad_config);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(player_suite());
}
