/* media.h - audio files the render and player tests need without
 * writing them sample by sample. The test's own thread. */
#ifndef WM_T_MEDIA_H
#define WM_T_MEDIA_H

#include <stdint.h>

/* path: a 16-bit mono WAV of `seconds` of silence at rate, written as a
 * header and a hole (a sparse file: hours cost no disk). Fails the test
 * when it cannot be written. */
void wm_t_write_sparse_wav(const char *path, long seconds, uint32_t rate);

/* path: a 16-bit mono WAV of `seconds` of a sine at freq_hz with peak amp
 * (0..1), for renders and players that should do real work. Fails the test
 * when it cannot be written. */
void wm_t_write_tone_wav(const char *path, long seconds, uint32_t rate, double freq_hz,
			 double amp);

#endif
