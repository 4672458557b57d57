/* render_io.h - the files of one render (internal to render/): inputs read
 * block by block with libsndfile and resampled with libsamplerate to the
 * output rate, placed at their offsets; the output written to a temporary
 * file beside its final name and renamed into place when complete.
 * Threads: the render's thread only. */
#ifndef WM_RENDER_IO_H
#define WM_RENDER_IO_H

#include <sndfile.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "render/request.h"

#define WM_RENDER_BLOCK 4096u          /* frames per engine block and per read */

struct wm_render_in;

/* Open the input req->input[i] beneath media_dir (errors name the channel
 * and the file): its rate and the output-rate length are known at once. */
struct wm_render_in *wm_render_in_open(const char *media_dir, long long max_bytes,
				       const struct wm_render_input *spec,
				       struct wm_err *err);
void wm_render_in_close(struct wm_render_in *in);
uint32_t wm_render_in_rate(const struct wm_render_in *in);

/* Start (again) from the beginning, producing audio at out_rate; the input
 * sounds from output frame start on. */
int wm_render_in_rewind(struct wm_render_in *in, uint32_t out_rate, struct wm_err *err);

/* Output frames from the input's start to its end, at the rate of the last
 * rewind (an estimate to the frame for resampled files). */
int64_t wm_render_in_end(const struct wm_render_in *in);
int64_t wm_render_in_start(const struct wm_render_in *in);

/* Fill left/right with output frames pos..pos+n-1 (silence outside the
 * input). Calls must go forward block after block. */
int wm_render_in_read(struct wm_render_in *in, int64_t pos, uint32_t n, float *left,
		      float *right, struct wm_err *err);

/* The output: a temp file ".<name>.tmp-PID" in the final file's folder. */
struct wm_render_out {
	int dir_fd;
	int fd;
	SNDFILE *sf;
	char tmp_name[300];
	const char *base;              /* the final file's name in dir_fd */
	const char *shown;             /* the path as the client gave it */
};

int wm_render_out_open(struct wm_render_out *out, const char *render_dir,
		       const struct wm_render_request *req, uint32_t rate, struct wm_err *err);
int wm_render_out_write(struct wm_render_out *out, const float *interleaved, uint32_t frames,
			struct wm_err *err);
/* Close and remove the temp file (any state; idempotent). */
void wm_render_out_abort(struct wm_render_out *out);
/* Finish the file, fsync, rename into place, fsync the folder. */
int wm_render_out_commit(struct wm_render_out *out, struct wm_err *err);
/* Close the folder (after commit or abort). */
void wm_render_out_release(struct wm_render_out *out);

#endif
