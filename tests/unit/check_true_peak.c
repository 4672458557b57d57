/* check_true_peak.c - render/true_peak against the textbook case and
 * against libebur128's own true-peak mode: a sine at a quarter of the
 * sample rate sampled 45 degrees off its crests reads its real amplitude
 * (3 dB over its samples), and 22.5 degrees off too; noise, tones and clipped squares read within
 * 0.3 dB of libebur128 and never under the sample peak; the reading does
 * not depend on how the frames are split into calls; 192 kHz reads the
 * sample peak exactly; bad arguments are refused. */
#include <check.h>
#include <ebur128.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/true_peak.h"

#include "tests/support/suite.h"

#define RATE 48000u
#define N 48000                      /* one second, stereo interleaved */

static float sig[2 * N];
static uint32_t rng = 7;

static float noise(void)
{
	rng = rng * 1664525u + 1013904223u;
	return (float)((int32_t)rng >> 8) / 8388608.0f;
}

static double db(double x)
{
	return 20.0 * log10(x);
}

static double measure(const float *x, size_t frames, unsigned rate, size_t chunk)
{
	struct wm_err err = { 0 };
	struct wm_true_peak *tp = wm_true_peak_create(2, rate, &err);
	ck_assert_msg(tp != NULL, "%s", err.msg);
	for (size_t done = 0; done < frames; done += chunk)
		wm_true_peak_add(tp, x + 2 * done, frames - done < chunk ? frames - done : chunk);
	double v = fmax(wm_true_peak_get(tp, 0), wm_true_peak_get(tp, 1));
	wm_true_peak_destroy(tp);
	return v;
}

static double reference(const float *x, size_t frames, unsigned rate)
{
	ebur128_state *st = ebur128_init(2, rate, EBUR128_MODE_TRUE_PEAK);
	double a = 0, b = 0;
	ebur128_add_frames_float(st, x, frames);
	ebur128_true_peak(st, 0, &a);
	ebur128_true_peak(st, 1, &b);
	ebur128_destroy(&st);
	return fmax(a, b);
}

static double sample_peak(const float *x, size_t frames)
{
	double m = 0;
	for (size_t i = 0; i < 2 * frames; i++)
		m = fmax(m, fabs(x[i]));
	return m;
}

START_TEST(quarter_rate_sine_between_samples)
{
	/* sin(pi/2 n + pi/4): every sample is +-0.7071 of the amplitude. */
	for (int i = 0; i < N; i++)
		sig[2 * i] = sig[2 * i + 1] = 0.5f * (float)sin(M_PI / 2 * i + M_PI / 4);
	double tp = measure(sig, N, RATE, 1024), sp = sample_peak(sig, N);
	ck_assert_msg(fabs(db(sp) - db(0.5) + 3.01) < 0.01, "sample peak %.2f dB", db(sp));
	ck_assert_msg(fabs(db(tp) - db(0.5)) < 0.2, "true peak %.2f dBFS, amplitude %.2f",
		      db(tp), db(0.5));
	ck_assert_msg(fabs(db(tp) - db(reference(sig, N, RATE))) < 0.3, "libebur128 %.2f",
		      db(reference(sig, N, RATE)));
	/* 22.5 degrees off: the crests fall a quarter period from the samples. */
	for (int i = 0; i < N; i++)
		sig[2 * i] = sig[2 * i + 1] = 0.5f * (float)sin(M_PI / 2 * i + M_PI / 8);
	tp = measure(sig, N, RATE, 1000);
	ck_assert_msg(fabs(db(tp) - db(0.5)) < 0.2, "true peak %.2f dBFS, amplitude %.2f",
		      db(tp), db(0.5));
}
END_TEST

typedef float (*signal_fn)(int i, int ch);

static float sig_noise(int i, int ch)
{
	(void)i;
	(void)ch;
	return 0.8f * noise();
}

static float sig_997(int i, int ch)
{
	return 0.7f * (float)sin(2 * M_PI * 997.0 * i / RATE + ch);
}

static float sig_19k(int i, int ch)
{
	return 0.6f * (float)sin(2 * M_PI * 19000.0 * i / RATE + 0.3 * ch);
}

static float sig_square(int i, int ch)
{
	/* A clipped 1 kHz tone: steep edges overshoot between samples. */
	float s = 3.0f * (float)sin(2 * M_PI * 1000.0 * i / RATE + ch);
	return s > 0.9f ? 0.9f : s < -0.9f ? -0.9f : s;
}

static float sig_clicks(int i, int ch)
{
	return (i % 4801 == 17 + ch) ? (i & 1 ? 0.95f : -0.95f) : 0.0f;
}

static const signal_fn signals[] = { sig_noise, sig_997, sig_19k, sig_square, sig_clicks };
static const char *const names[] = { "noise", "997 Hz", "19 kHz", "clipped square", "clicks" };

START_TEST(agrees_with_libebur128)
{
	for (int i = 0; i < N; i++)
		for (int ch = 0; ch < 2; ch++)
			sig[2 * i + ch] = signals[_i](i, ch);
	double tp = measure(sig, N, RATE, 1024), ref = reference(sig, N, RATE);
	double sp = sample_peak(sig, N);
	ck_assert_msg(fabs(db(tp) - db(ref)) < 0.3, "%s: %.3f dBTP here, %.3f in libebur128",
		      names[_i], db(tp), db(ref));
	ck_assert_msg(tp >= sp, "%s: true peak %.4f under the sample peak %.4f", names[_i], tp,
		      sp);
}
END_TEST

START_TEST(any_split_reads_the_same)
{
	for (int i = 0; i < N; i++)
		for (int ch = 0; ch < 2; ch++)
			sig[2 * i + ch] = sig_noise(i, ch) * (float)(i % 3000) / 3000.0f;
	double whole = measure(sig, N, RATE, N);
	const size_t chunks[] = { 1, 7, 64, 1023, 1024, 1025, 4999 };
	for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++)
		ck_assert_msg(measure(sig, N, RATE, chunks[k]) == whole,
			      "chunks of %zu read differently", chunks[k]);
}
END_TEST

START_TEST(high_rates)
{
	for (int i = 0; i < N; i++)
		sig[2 * i] = sig[2 * i + 1] = 0.5f * (float)sin(M_PI / 2 * i + M_PI / 4);
	/* 192 kHz: no oversampling, the sample peak. */
	ck_assert(measure(sig, N, 192000, 512) == sample_peak(sig, N));
	/* 96 kHz: still 4x; 48 kHz's quarter-rate sine is a 24 kHz one here. */
	ck_assert_msg(fabs(db(measure(sig, N, 96000, 512)) - db(0.5)) < 0.3, "%.2f",
		      db(measure(sig, N, 96000, 512)));
}
END_TEST

START_TEST(silence_and_bad_arguments)
{
	struct wm_err err = { 0 };
	for (int i = 0; i < 2 * N; i++)
		sig[i] = 0.0f;
	ck_assert(measure(sig, N, RATE, 256) == 0.0);
	ck_assert_ptr_null(wm_true_peak_create(0, RATE, &err));
	ck_assert_ptr_null(wm_true_peak_create(9, RATE, &err));
	ck_assert_ptr_null(wm_true_peak_create(2, 1000, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "1000 Hz"));
	struct wm_true_peak *tp = wm_true_peak_create(2, RATE, &err);
	ck_assert(wm_true_peak_get(tp, 2) == 0.0);
	wm_true_peak_destroy(tp);
}
END_TEST

static Suite *true_peak_suite(void)
{
	Suite *s = suite_create("true_peak");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, quarter_rate_sine_between_samples);
	tcase_add_loop_test(tc, agrees_with_libebur128, 0, (int)(sizeof signals / sizeof signals[0]));
	tcase_add_test(tc, any_split_reads_the_same);
	tcase_add_test(tc, high_rates);
	tcase_add_test(tc, silence_and_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(true_peak_suite());
}
