/* render.h - one offline render: the request's inputs read block by block
 * with libsndfile (resampled with libsamplerate when their rate is not the
 * output's), mixed by the same engine as the live mix (engine/engine.h:
 * gains, pans, sends, ducking, zone limiter) with the request's scene
 * applied, loudness-normalised (libebur128, BS.1770-4, histogram mode: a
 * first pass measures, a second applies gain and, with policy `limit`, a
 * true-peak-safe limiter), and written with libsndfile to a temporary file
 * in the render folder, renamed into place only when complete. Memory is
 * bounded by the block size, whatever the duration.
 *
 * Threads: any one thread (a render worker, or washmixd --render's main
 * thread); it blocks on file I/O. progress and cancel may be shared with
 * another thread (atomics). */
#ifndef WM_RENDER_H
#define WM_RENDER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "engine/mix.h"
#include "render/request.h"

struct wm_render_env {
	const char *media_dir;       /* inputs are resolved beneath it */
	const char *render_dir;      /* the output is written beneath it */
	long long media_max_bytes;   /* larger inputs are refused; 0 = no limit */
	const struct wm_mix *mix;    /* the mix to render with: topology and the
				      * scene already applied over the defaults */
	_Atomic double *progress;    /* 0..1, may be NULL */
	atomic_bool *cancel;         /* set by another thread: stop, remove output */
};

struct wm_render_result {
	double duration_s;           /* of the output */
	uint32_t rate;
	double loudness_lufs;        /* integrated, of the written output */
	double true_peak_db;         /* of the written output, dBTP */
	double gain_db;              /* normalisation gain applied */
	double limited_db;           /* largest limiter reduction, <= 0 */
	bool reached_target;         /* within 0.5 LU (false: silent or gain-only) */
	char note[WM_ERR_MSG_MAX];   /* why the target was not reached, or "" */
	double seconds;              /* wall time */
	int passes;                  /* engine passes over the inputs */
};

/* Run the render. Errors name the input or the output and what was wrong:
 * WM_E_NOT_FOUND / WM_E_BAD_PATH / WM_E_BAD_FILE for inputs, WM_E_IO for
 * the output (disk full: the partial file is removed), WM_E_BUSY when
 * cancelled. A silent mix with normalisation asked is not an error: it is
 * written at 0 dB gain and the note says the target cannot be reached. */
int wm_render_run(const struct wm_render_request *req, const struct wm_render_env *env,
		  struct wm_render_result *result, struct wm_err *err);

#endif
