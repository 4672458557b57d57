/* true_peak.h - true-peak meter of ITU-R BS.1770-4 Annex 2: every channel
 * oversampled 4x by the Annex's 48-tap polyphase interpolator (none at
 * 192 kHz and up, as libebur128), the largest absolute value kept, and
 * never less than the largest sample. It stands beside libebur128 in renders because libebur128's
 * own true-peak mode costs five times its whole loudness measurement; this
 * one is a few multiply-adds per sample that the compiler vectorises.
 * One owner thread; no allocation after create. */
#ifndef WM_TRUE_PEAK_H
#define WM_TRUE_PEAK_H

#include <stddef.h>

#include "common/err.h"

struct wm_true_peak;

/* channels 1..8; rate in Hz (8000..768000). */
struct wm_true_peak *wm_true_peak_create(unsigned channels, unsigned rate, struct wm_err *err);
void wm_true_peak_destroy(struct wm_true_peak *tp);

/* Interleaved frames. */
void wm_true_peak_add(struct wm_true_peak *tp, const float *frames, size_t count);

/* The largest true peak of a channel so far, linear (never below its
 * largest sample); 0 for silence or a channel out of range. */
double wm_true_peak_get(const struct wm_true_peak *tp, unsigned channel);

#endif
