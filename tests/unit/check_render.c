/* check_render.c - render/render: real files in a temp media folder,
 * rendered through the engine. Numerical equality with a sum computed here
 * (gains, pans, a mono channel, frame-aligned), loudness and true peak of
 * the output measured independently with libebur128, the limiter on a hot
 * input, gain-only's shortfall, a silent mix, resampling, offsets and the
 * default duration, bad inputs and outputs (nothing left behind), cancel,
 * and flat memory over a 20-minute render. */
#define _GNU_SOURCE
#include <check.h>
#include <ebur128.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/params.h"
#include "presets/scene.h"
#include "render/render.h"

#include "tests/support/proc.h"
#include "tests/support/media.h"
#include "tests/support/suite.h"

#define RATE 48000

static char media[4096], renders[4096];
static struct wm_mix mix;
static bool mono4[WM_MAX_CHANNELS] = { [1] = true };

static void setup(void)
{
	char base[2048];
	const char *t = wm_tmpdir();

	ck_assert_ptr_nonnull(t);
	snprintf(base, sizeof base, "%.2000s/renderXXXXXX", t);
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(media, sizeof media, "%s/media", base);
	snprintf(renders, sizeof renders, "%s/renders", base);
	ck_assert_int_eq(mkdir(media, 0750), 0);
	ck_assert_int_eq(mkdir(renders, 0750), 0);
	wm_mix_init(&mix, 4, 2, mono4);
}

typedef float (*gen_fn)(long i, int side);

/* Write a file of frames frames: data from gen (or zeros). */
static void write_audio(const char *rel, int rate, int channels, long frames, int format,
			gen_fn gen)
{
	char path[8192];
	SF_INFO info = { .samplerate = rate, .channels = channels, .format = format };
	float buf[2 * 1024];

	snprintf(path, sizeof path, "%s/%s", media, rel);
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	ck_assert_msg(sf != NULL, "%s: %s", path, sf_strerror(NULL));
	for (long done = 0; done < frames;) {
		long n = frames - done < 1024 ? frames - done : 1024;
		for (long k = 0; k < n; k++)
			for (int s = 0; s < channels; s++)
				buf[k * channels + s] = gen(done + k, s);
		ck_assert_int_eq(sf_writef_float(sf, buf, n), n);
		done += n;
	}
	sf_close(sf);
}

/* The whole output, stereo interleaved (small renders only). */
static float *read_output(const char *rel, long *frames, int *rate)
{
	char path[8192];
	SF_INFO info = { 0 };

	snprintf(path, sizeof path, "%s/%s", renders, rel);
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	ck_assert_msg(sf != NULL, "%s: %s", path, sf_strerror(NULL));
	ck_assert_int_eq(info.channels, 2);
	float *buf = malloc((size_t)info.frames * 2 * sizeof(float) + 8);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(sf_readf_float(sf, buf, info.frames), info.frames);
	sf_close(sf);
	*frames = (long)info.frames;
	if (rate)
		*rate = info.samplerate;
	return buf;
}

static void loudness_of(const float *buf, long frames, int rate, double *lufs, double *tp_db)
{
	ebur128_state *st = ebur128_init(2, (unsigned long)rate,
					 EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
	double tp = 0, v;

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(ebur128_add_frames_float(st, buf, (size_t)frames), EBUR128_SUCCESS);
	ebur128_loudness_global(st, lufs);
	for (unsigned s = 0; s < 2; s++)
		if (ebur128_true_peak(st, s, &v) == EBUR128_SUCCESS && v > tp)
			tp = v;
	*tp_db = 20 * log10(tp);
	ebur128_destroy(&st);
}

static int request(const char *text, struct wm_render_request *req, struct wm_err *err)
{
	struct wm_render_limits lim = { .channels = mix.channels, .zones = mix.zones };
	return wm_render_request_parse(text, strlen(text), &lim, req, err);
}

static int render(const char *text, struct wm_render_result *res, struct wm_err *err,
		  atomic_bool *cancel, _Atomic double *progress)
{
	struct wm_render_request req;
	struct wm_render_env env = { .media_dir = media, .render_dir = renders, .mix = &mix,
				     .cancel = cancel, .progress = progress };

	ck_assert_msg(request(text, &req, err) == 0, "%s: %s", text, err->msg);
	int rc = wm_render_run(&req, &env, res, err);
	wm_render_request_free(&req);
	return rc;
}

static void render_ok(const char *text, struct wm_render_result *res)
{
	struct wm_err err = { 0 };
	ck_assert_msg(render(text, res, &err, NULL, NULL) == 0, "%s: %s", text, err.msg);
}

/* Apply a scene, as washmixd does with a request's inline scene. */
static void apply_scene(const char *text)
{
	struct wm_scene scene = { 0 };
	struct wm_err err = { 0 };

	ck_assert_msg(wm_scene_parse(text, strlen(text), "inline", &mix, &scene, &err) == 0,
		      "%s", err.msg);
	for (size_t i = 0; i < scene.count; i++)
		wm_param_set(&mix, &scene.items[i].ref, &scene.items[i].value);
	wm_scene_free(&scene);
}

/* Noise, reproducible per (frame, side): a hash, not a stream. */
static float hashed(long i, int side, uint32_t seed)
{
	uint32_t h = (uint32_t)i * 2654435761u ^ (uint32_t)side * 40503u ^ seed;
	h ^= h >> 15;
	h *= 2246822519u;
	h ^= h >> 13;
	return (float)(h / 4294967296.0 - 0.5);
}

static float gen_a(long i, int side) { return 0.4f * hashed(i, side, 1); }
static float gen_b(long i, int side) { (void)side; return 0.4f * hashed(i, 0, 2); }

START_TEST(sum_is_exact_and_aligned)
{
	struct wm_render_result res;
	long n = RATE / 2, frames;

	write_audio("a.wav", RATE, 2, n, SF_FORMAT_WAV | SF_FORMAT_FLOAT, gen_a);
	write_audio("b.wav", RATE, 1, n / 2, SF_FORMAT_WAV | SF_FORMAT_FLOAT, gen_b);
	apply_scene("{\"format\":\"washmix-scene\",\"version\":1,\"channels\":["
		    "{\"id\":1,\"gain\":-6,\"pan\":-0.5},{\"id\":2,\"gain\":-3,\"pan\":0.3}]}");
	render_ok("{\"inputs\":{\"1\":\"a.wav\",\"2\":\"b.wav\"},\"loudness\":null,"
		  "\"output\":{\"file\":\"sum.wav\",\"format\":\"wav24\"}}", &res);
	float *out = read_output("sum.wav", &frames, NULL);
	ck_assert_int_eq(frames, n);
	ck_assert_int_eq(res.passes, 1);
	/* No normalisation asked: nothing measured. */
	ck_assert_msg(isnan(res.loudness_lufs), "loudness %g", res.loudness_lufs);
	ck_assert_msg(isnan(res.true_peak_db), "true peak %g", res.true_peak_db);
	double g1 = pow(10, -6 / 20.0), g2 = pow(10, -3 / 20.0);
	double a = 1.3 * M_PI / 4;
	double c1[2] = { g1, g1 * cos(0.5 * M_PI / 2) }, c2[2] = { g2 * cos(a), g2 * sin(a) };
	for (long i = 0; i < n; i++) {
		for (int s = 0; s < 2; s++) {
			double want = c1[s] * gen_a(i, s) + (i < n / 2 ? c2[s] * gen_b(i, 0) : 0.0);
			ck_assert_msg(fabs(out[2 * i + s] - want) < 1e-6,
				      "frame %ld side %d: %.9f, want %.9f", i, s, out[2 * i + s], want);
		}
	}
	free(out);
}
END_TEST

/* An input file as libsndfile reads it, as floats, interleaved. */
static float *read_input(const char *rel, int channels, long *frames)
{
	char path[8192];
	SF_INFO info = { 0 };

	snprintf(path, sizeof path, "%s/%s", media, rel);
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	ck_assert_msg(sf != NULL, "%s: %s", path, sf_strerror(NULL));
	ck_assert_int_eq(info.channels, channels);
	float *buf = malloc((size_t)info.frames * channels * sizeof(float) + 8);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(sf_readf_float(sf, buf, info.frames), info.frames);
	sf_close(sf);
	*frames = (long)info.frames;
	return buf;
}

/* 16-bit PCM inputs take render_io's own short-to-float path: stereo and
 * mono files, on stereo and mono channels, with an offset, ending inside a
 * block and across block edges: the same samples as libsndfile's floats. */
START_TEST(pcm16_inputs_exact)
{
	struct wm_render_result res;
	long fa, fb, fc, frames, off = RATE / 4;

	write_audio("a16.wav", RATE, 2, RATE + 123, SF_FORMAT_WAV | SF_FORMAT_PCM_16, gen_a);
	write_audio("b16.wav", RATE, 2, RATE / 2 + 7, SF_FORMAT_WAV | SF_FORMAT_PCM_16, gen_a);
	write_audio("c16.wav", RATE, 1, 5000, SF_FORMAT_WAV | SF_FORMAT_PCM_16, gen_b);
	render_ok("{\"inputs\":{\"1\":\"a16.wav\",\"2\":\"b16.wav\","
		  "\"3\":{\"file\":\"c16.wav\",\"offset\":0.25}},\"loudness\":null,"
		  "\"output\":{\"file\":\"p16.wav\",\"format\":\"wav24\"}}", &res);
	float *a = read_input("a16.wav", 2, &fa), *b = read_input("b16.wav", 2, &fb);
	float *c = read_input("c16.wav", 1, &fc);
	float *out = read_output("p16.wav", &frames, NULL);
	ck_assert_int_eq(frames, fa);
	double centre = cos(M_PI / 4);   /* channel 2 is mono: constant power */
	for (long i = 0; i < frames; i++) {
		for (int s = 0; s < 2; s++) {
			double want = a[2 * i + s];
			if (i < fb)
				want += centre * 0.5 * ((double)b[2 * i] + b[2 * i + 1]);
			if (i >= off && i < off + fc)
				want += c[i - off];
			ck_assert_msg(fabs(out[2 * i + s] - want) < 1e-6,
				      "frame %ld side %d: %.9f, want %.9f", i, s, out[2 * i + s], want);
		}
	}
	free(a);
	free(b);
	free(c);
	free(out);
}
END_TEST

/* Stereo noise at about -30 LUFS. */
static float gen_quiet(long i, int side) { return 0.05f * hashed(i, side, 3); }

START_TEST(normalised_to_target)
{
	struct wm_render_result res;
	long frames;
	int rate;
	double lufs, tp;

	write_audio("q.flac", RATE, 2, 10L * RATE, SF_FORMAT_FLAC | SF_FORMAT_PCM_24, gen_quiet);
	render_ok("{\"inputs\":{\"1\":\"q.flac\"},\"output\":{\"file\":\"q.flac\"}}", &res);
	float *out = read_output("q.flac", &frames, &rate);
	loudness_of(out, frames, rate, &lufs, &tp);
	ck_assert_msg(fabs(lufs + 14) <= 0.5, "I %.2f LUFS", lufs);
	ck_assert_msg(tp <= -1.0, "TP %.2f dBTP", tp);
	ck_assert(res.reached_target);
	ck_assert_double_gt(res.gain_db, 5.0);
	ck_assert_int_eq(res.passes, 2);
	ck_assert_str_eq(res.note, "");
	free(out);
}
END_TEST

/* Quiet tone with loud clicks: the gain to the target needs the limiter. */
static float gen_hot(long i, int side)
{
	(void)side;
	float tone = 0.02f * (float)sin(2 * M_PI * 997.0 * i / RATE);
	return (i % (RATE / 2)) < 48 ? 0.9f * hashed(i, 0, 4) * 2 : tone;
}

START_TEST(hot_input_limited)
{
	struct wm_render_result res;
	long frames;
	int rate;
	double lufs, tp;

	write_audio("hot.wav", RATE, 1, 10L * RATE, SF_FORMAT_WAV | SF_FORMAT_FLOAT, gen_hot);
	render_ok("{\"inputs\":{\"1\":\"hot.wav\"},\"output\":{\"file\":\"hot.wav\","
		  "\"format\":\"wav24\"}}", &res);
	float *out = read_output("hot.wav", &frames, &rate);
	loudness_of(out, frames, rate, &lufs, &tp);
	ck_assert_msg(fabs(lufs + 14) <= 0.5, "I %.2f LUFS", lufs);
	ck_assert_msg(tp <= -1.0, "TP %.2f dBTP", tp);
	fprintf(stderr, "hot: %d passes, gain %+.2f dB, limited %.2f dB, I %.2f LUFS, TP %.2f dBTP "
		"(measured here: %.2f, %.2f)\n", res.passes, res.gain_db, res.limited_db,
		res.loudness_lufs, res.true_peak_db, lufs, tp);
	ck_assert_msg(res.limited_db < -3.0, "limited %.2f dB", res.limited_db);
	ck_assert(res.reached_target);
	free(out);
}
END_TEST

START_TEST(gain_only_shortfall)
{
	struct wm_render_result res;
	long frames;
	int rate;
	double lufs, tp;

	write_audio("hot.wav", RATE, 1, 10L * RATE, SF_FORMAT_WAV | SF_FORMAT_FLOAT, gen_hot);
	render_ok("{\"inputs\":{\"1\":\"hot.wav\"},\"output\":{\"file\":\"g.wav\",\"format\":"
		  "\"wav24\"},\"loudness\":{\"policy\":\"gain-only\"}}", &res);
	float *out = read_output("g.wav", &frames, &rate);
	loudness_of(out, frames, rate, &lufs, &tp);
	fprintf(stderr, "gain-only: %s\n", res.note);
	ck_assert(!res.reached_target);
	ck_assert_msg(strstr(res.note, "short of -14 LUFS") != NULL, "note: %s", res.note);
	ck_assert_msg(lufs < -15.0, "I %.2f", lufs);
	ck_assert_msg(tp <= -1.0, "TP %.2f dBTP", tp);
	ck_assert_double_eq(res.limited_db, 0.0);
	free(out);
}
END_TEST

static float gen_zero(long i, int side) { (void)i; (void)side; return 0.0f; }

START_TEST(silent_mix)
{
	struct wm_render_result res;
	long frames;

	char sub[8192];

	write_audio("z.wav", RATE, 2, RATE, SF_FORMAT_WAV | SF_FORMAT_PCM_16, gen_zero);
	snprintf(sub, sizeof sub, "%s/sub", renders);
	ck_assert_int_eq(mkdir(sub, 0750), 0);
	render_ok("{\"inputs\":{\"1\":\"z.wav\"},\"output\":{\"file\":\"sub/z.wav\"}}", &res);
	ck_assert_msg(strstr(res.note, "silent") != NULL, "note: %s", res.note);
	ck_assert(!res.reached_target);
	ck_assert(isfinite(res.gain_db));
	ck_assert_double_eq(res.gain_db, 0.0);
	float *out = read_output("sub/z.wav", &frames, NULL);
	ck_assert_int_eq(frames, RATE);
	for (long i = 0; i < 2 * frames; i++)
		ck_assert(isfinite(out[i]) && out[i] == 0.0f);
	free(out);
}
END_TEST

static float gen_tone441(long i, int side)
{
	(void)side;
	return 0.5f * (float)sin(2 * M_PI * 1000.0 * i / 44100.0);
}

START_TEST(resampled_length)
{
	struct wm_render_result res;
	long frames;
	int rate;

	write_audio("t.wav", 44100, 1, 44100, SF_FORMAT_WAV | SF_FORMAT_PCM_16, gen_tone441);
	render_ok("{\"inputs\":{\"1\":\"t.wav\"},\"loudness\":null,"
		  "\"output\":{\"file\":\"t.wav\",\"rate\":48000}}", &res);
	float *out = read_output("t.wav", &frames, &rate);
	ck_assert_int_eq(rate, 48000);
	ck_assert_int_eq(frames, 48000);
	ck_assert_uint_eq(res.rate, 48000);
	double sum = 0;
	for (long i = 1000; i < 47000; i++)
		sum += (double)out[2 * i] * out[2 * i];
	double rms = sqrt(sum / 46000);
	ck_assert_msg(fabs(rms - 0.5 / sqrt(2)) < 0.01, "rms %.4f", rms);
	free(out);
}
END_TEST

static float gen_pulse(long i, int side) { return (float)((i % 100) + 1) / 200.0f * (side ? -1 : 1); }

START_TEST(offset_and_default_duration)
{
	struct wm_render_result res;
	long frames;

	write_audio("p.wav", RATE, 2, RATE / 2, SF_FORMAT_WAV | SF_FORMAT_FLOAT, gen_pulse);
	write_audio("s.wav", RATE, 2, RATE, SF_FORMAT_WAV | SF_FORMAT_FLOAT, gen_zero);
	render_ok("{\"inputs\":{\"1\":{\"file\":\"p.wav\",\"offset\":0.75},\"3\":\"s.wav\"},"
		  "\"loudness\":null,\"output\":{\"file\":\"o.wav\",\"format\":\"wav24\"}}", &res);
	float *out = read_output("o.wav", &frames, NULL);
	long off = RATE * 3 / 4;
	ck_assert_int_eq(frames, off + RATE / 2);
	ck_assert_double_eq_tol(res.duration_s, 1.25, 1e-9);
	for (long i = 0; i < off; i++)
		ck_assert(out[2 * i] == 0.0f && out[2 * i + 1] == 0.0f);
	for (long i = 0; i < RATE / 2; i++)
		for (int s = 0; s < 2; s++)
			ck_assert_msg(fabsf(out[2 * (off + i) + s] - gen_pulse(i, s)) < 1e-6,
				      "frame %ld", off + i);
	free(out);
	render_ok("{\"inputs\":{\"1\":\"p.wav\"},\"duration\":2,\"loudness\":null,"
		  "\"output\":{\"file\":\"d.wav\"}}", &res);
	out = read_output("d.wav", &frames, NULL);
	ck_assert_int_eq(frames, 2 * RATE);
	free(out);
}
END_TEST

/* Names in the render folder (not . and ..), for "nothing left behind". */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void expect_error(const char *text, enum wm_errcode code, const char *part)
{
	struct wm_render_result res;
	struct wm_err err = { 0 };

	ck_assert_msg(render(text, &res, &err, NULL, NULL) < 0, "accepted %s", text);
	ck_assert_msg(err.code == code, "%s: %s (%s)", text, wm_errcode_name(err.code), err.msg);
	ck_assert_msg(strstr(err.msg, part) != NULL, "\"%s\" lacks \"%s\"", err.msg, part);
}

START_TEST(bad_inputs_and_outputs)
{
	char path[8192];

	write_audio("ok.wav", RATE, 2, RATE / 10, SF_FORMAT_WAV | SF_FORMAT_PCM_16, gen_quiet);
	snprintf(path, sizeof path, "%s/text.wav", media);
	FILE *f = fopen(path, "w");
	fputs("this is not audio, whatever its name says\n", f);
	fclose(f);
	snprintf(path, sizeof path, "%s/escape.wav", media);
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	snprintf(path, sizeof path, "%s/out", renders);
	ck_assert_int_eq(symlink("/tmp", path), 0);

	expect_error("{\"inputs\":{\"1\":\"ok.wav\",\"2\":\"missing.wav\"},\"output\":{\"file\":\"x.wav\"}}",
		     WM_E_NOT_FOUND, "input 2");
	expect_error("{\"inputs\":{\"1\":\"escape.wav\"},\"output\":{\"file\":\"x.wav\"}}",
		     WM_E_BAD_PATH, "input 1");
	expect_error("{\"inputs\":{\"3\":\"text.wav\"},\"output\":{\"file\":\"x.wav\"}}",
		     WM_E_BAD_FILE, "input 3");
	expect_error("{\"inputs\":{\"1\":\"ok.wav\"},\"output\":{\"file\":\"out/x.wav\"}}",
		     WM_E_BAD_PATH, "output.file");
	expect_error("{\"inputs\":{\"1\":\"ok.wav\"},\"output\":{\"file\":\"nodir/x.wav\"}}",
		     WM_E_NOT_FOUND, "output.file");
	ck_assert_int_eq(count_entries(renders), 1); /* only the planted link */
	ck_assert_int_ne(access("/tmp/x.wav", F_OK), 0);
}
END_TEST

struct canceller {
	atomic_bool cancel;
	_Atomic double progress;
};

static void *cancel_later(void *arg)
{
	struct canceller *c = arg;
	while (atomic_load(&c->progress) < 0.3)
		usleep(1000);
	atomic_store(&c->cancel, true);
	return NULL;
}

START_TEST(cancel_removes_output)
{
	struct canceller c = { 0 };
	struct wm_render_result res;
	struct wm_err err = { 0 };
	pthread_t t;

	write_audio("long.wav", RATE, 2, 60L * RATE, SF_FORMAT_WAV | SF_FORMAT_PCM_16, gen_quiet);
	ck_assert_int_eq(pthread_create(&t, NULL, cancel_later, &c), 0);
	int rc = render("{\"inputs\":{\"1\":\"long.wav\"},\"output\":{\"file\":\"c.wav\"}}", &res,
			&err, &c.cancel, &c.progress);
	pthread_join(t, NULL);
	ck_assert_int_lt(rc, 0);
	ck_assert_int_eq(err.code, WM_E_BUSY);
	ck_assert_ptr_nonnull(strstr(err.msg, "cancelled"));
	ck_assert_int_eq(count_entries(renders), 0);
}
END_TEST

#ifndef WASHMIX_SANITIZE
static long rss_kib(void)
{
	return wm_proc_status_kib(getpid(), "VmRSS");
}
#endif

#ifdef WASHMIX_SANITIZE
size_t __sanitizer_get_current_allocated_bytes(void);
#define WM_MEMORY_WHAT "heap in use"
#else
#define WM_MEMORY_WHAT "RSS"
#endif

/* What must stay flat: RSS, or under the sanitizers (whose quarantine and
 * shadow memory grow RSS on their own) the heap bytes in use. */
static long memory_kib(void)
{
#ifdef WASHMIX_SANITIZE
	return (long)(__sanitizer_get_current_allocated_bytes() / 1024);
#else
	return rss_kib();
#endif
}

struct rss_watch {
	_Atomic double progress;
	atomic_bool stop;
	long at_start, max;
};

static void *watch_rss(void *arg)
{
	struct rss_watch *w = arg;
	while (!atomic_load(&w->stop)) {
		double p = atomic_load(&w->progress);
		long r = memory_kib();
		if (p > 0.02 && !w->at_start)
			w->at_start = r;
		if (w->at_start && r > w->max)
			w->max = r;
		usleep(20000);
	}
	return NULL;
}

START_TEST(long_render_flat_memory)
{
	struct rss_watch w = { 0 };
	struct wm_render_result res;
	struct wm_err err = { 0 };
	pthread_t t;
	const long minutes = 20;

	char path[8192];
	snprintf(path, sizeof path, "%s/bed.wav", media);
	wm_t_write_sparse_wav(path, minutes * 60, RATE);
	snprintf(path, sizeof path, "%s/voice.wav", media);
	wm_t_write_sparse_wav(path, minutes * 60, RATE);
	ck_assert_int_eq(pthread_create(&t, NULL, watch_rss, &w), 0);
	int rc = render("{\"inputs\":{\"1\":\"bed.wav\",\"2\":\"voice.wav\"},\"loudness\":null,"
			"\"output\":{\"file\":\"long.flac\"}}", &res, &err, NULL, &w.progress);
	atomic_store(&w.stop, true);
	pthread_join(t, NULL);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_double_eq_tol(res.duration_s, minutes * 60.0, 1e-6);
	fprintf(stderr, "long render: %ld min in %.2f s (%.0fx realtime), %s %ld -> %ld KiB\n",
		minutes, res.seconds, res.duration_s / res.seconds, WM_MEMORY_WHAT, w.at_start,
		w.max);
	ck_assert_int_gt(w.at_start, 0);
	ck_assert_msg(w.max - w.at_start < 4096, "%s grew %ld KiB",
		      WM_MEMORY_WHAT, w.max - w.at_start);
}
END_TEST

static Suite *render_suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, sum_is_exact_and_aligned);
	tcase_add_test(tc, pcm16_inputs_exact);
	tcase_add_test(tc, normalised_to_target);
	tcase_add_test(tc, hot_input_limited);
	tcase_add_test(tc, gain_only_shortfall);
	tcase_add_test(tc, silent_mix);
	tcase_add_test(tc, resampled_length);
	tcase_add_test(tc, offset_and_default_duration);
	tcase_add_test(tc, bad_inputs_and_outputs);
	tcase_add_test(tc, cancel_removes_output);
	tcase_add_test(tc, long_render_flat_memory);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(render_suite());
}
