/* media.c - test audio files (media.h). */
#include "tests/support/media.h"

#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void put32(unsigned char *h, int at, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		h[at + i] = (unsigned char)(v >> (8 * i));
}

static void wav_header(unsigned char h[44], uint32_t data, uint32_t rate)
{
	memset(h, 0, 44);
	memcpy(h, "RIFF....WAVEfmt ", 16);
	put32(h, 4, 36 + data);
	put32(h, 16, 16);
	h[20] = 1;                                  /* PCM */
	h[22] = 1;                                  /* mono */
	put32(h, 24, rate);
	put32(h, 28, rate * 2);
	h[32] = 2;                                  /* block align */
	h[34] = 16;                                 /* bits */
	memcpy(h + 36, "data", 4);
	put32(h, 40, data);
}

void wm_t_write_sparse_wav(const char *path, long seconds, uint32_t rate)
{
	uint32_t data = (uint32_t)(seconds * rate * 2);
	unsigned char h[44];

	wav_header(h, data, rate);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_msg(fd >= 0, "cannot create %s", path);
	ck_assert_int_eq(write(fd, h, sizeof h), (ssize_t)sizeof h);
	ck_assert_int_eq(ftruncate(fd, (off_t)(44 + data)), 0);
	close(fd);
}

void wm_t_write_tone_wav(const char *path, long seconds, uint32_t rate, double freq_hz,
			 double amp)
{
	long frames = seconds * (long)rate;
	unsigned char h[44], s[2];
	FILE *f = fopen(path, "wb");

	ck_assert_msg(f != NULL, "cannot create %s", path);
	wav_header(h, (uint32_t)(frames * 2), rate);
	ck_assert_int_eq(fwrite(h, 1, sizeof h, f), sizeof h);
	for (long i = 0; i < frames; i++) {
		int v = (int)lrint(32767.0 * amp * sin(2.0 * M_PI * freq_hz * (double)i / rate));

		s[0] = (unsigned char)(v & 0xff);
		s[1] = (unsigned char)((v >> 8) & 0xff);
		ck_assert_int_eq(fwrite(s, 1, 2, f), 2);
	}
	ck_assert_msg(fclose(f) == 0, "cannot write %s", path);
}
