/* render_io.c - the files of one render (render_io.h): inputs decoded with
 * libsndfile in blocks of WM_RENDER_BLOCK frames, resampled in a streaming
 * libsamplerate converter when their rate is not the output's, and the
 * output written to a temp file that is renamed into place when complete.
 * 16-bit PCM files at the output rate (the common case) are read as shorts
 * and converted and de-interleaved here in one vectorised pass, straight
 * into the engine's buffers: libsndfile's own short-to-float loop was a
 * third of a 32-input render's CPU. The result is the same bit for bit
 * (x / 32768 is exact in float).
 * Memory per input is a few blocks, whatever the file's length.
 * Threads: the render's thread only. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <samplerate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/path.h"
#include "render/render_io.h"

struct wm_render_in {
	int ch;                        /* 0-based channel, for messages */
	char file[WM_PATH_MAX];
	int fd;
	SNDFILE *sf;
	SF_INFO info;
	SRC_STATE *src;                /* NULL when the rates match */
	double ratio;                  /* output rate / file rate */
	double offset_s;
	int64_t start;                 /* first output frame of the file */
	int64_t length;                /* its output frames */
	int64_t pos;                   /* next output frame the stream gives */
	bool file_eof, done;
	long raw_pos, raw_len;
	bool pcm16;                    /* 16-bit PCM: read as shorts */
	short raw16[WM_RENDER_BLOCK * 2]; /* the shorts of one block, interleaved */
	float raw[WM_RENDER_BLOCK * 2];  /* file frames not yet resampled */
	float cooked[WM_RENDER_BLOCK * 2]; /* output-rate frames, interleaved */
};

struct wm_render_in *wm_render_in_open(const char *media_dir, long long max_bytes,
				       const struct wm_render_input *spec,
				       struct wm_err *err)
{
	struct wm_err inner;
	struct wm_render_in *in = calloc(1, sizeof *in);

	if (!in)
		return wm_err_set(err, WM_E_INTERNAL, "out of memory opening inputs"), NULL;
	in->ch = spec->ch;
	in->offset_s = spec->offset_s;
	snprintf(in->file, sizeof in->file, "%s", spec->file);
	in->fd = wm_path_open_beneath(media_dir, spec->file, O_RDONLY, 0, "media folder", &inner);
	if (in->fd >= 0 && wm_path_check_size(in->fd, max_bytes, spec->file, "media folder",
					      &inner) < 0) {
		close(in->fd);
		in->fd = -1;
	}
	if (in->fd < 0) {
		wm_err_set(err, inner.code, "input %d: %s", spec->ch + 1, inner.msg);
		free(in);
		return NULL;
	}
	in->sf = sf_open_fd(in->fd, SFM_READ, &in->info, 0);
	if (!in->sf || in->info.channels < 1 || in->info.channels > 2 || in->info.samplerate <= 0) {
		wm_err_set(err, WM_E_BAD_FILE,
			   "input %d: \"%.200s\" is not an audio file washmix can read (%s); "
			   "allowed: mono or stereo WAV, FLAC, Ogg, ...",
			   spec->ch + 1, spec->file,
			   in->sf ? "it has more than 2 channels" : sf_strerror(NULL));
		wm_render_in_close(in);
		return NULL;
	}
	in->pcm16 = (in->info.format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_16;
	return in;
}

void wm_render_in_close(struct wm_render_in *in)
{
	if (!in)
		return;
	if (in->sf)
		sf_close(in->sf);
	if (in->src)
		src_delete(in->src);
	if (in->fd >= 0)
		close(in->fd);
	free(in);
}

uint32_t wm_render_in_rate(const struct wm_render_in *in)
{
	return (uint32_t)in->info.samplerate;
}

int64_t wm_render_in_end(const struct wm_render_in *in)
{
	return in->start + in->length;
}

int64_t wm_render_in_start(const struct wm_render_in *in)
{
	return in->start;
}

int wm_render_in_rewind(struct wm_render_in *in, uint32_t out_rate, struct wm_err *err)
{
	int e = 0;

	if (sf_seek(in->sf, 0, SEEK_SET) < 0)
		return wm_err_set(err, WM_E_BAD_FILE, "input %d: \"%.200s\" cannot be read again: %s",
				  in->ch + 1, in->file, sf_strerror(in->sf));
	in->ratio = (double)out_rate / in->info.samplerate;
	in->start = llround(in->offset_s * out_rate);
	in->length = ((int64_t)in->info.frames * out_rate + in->info.samplerate - 1) /
		     in->info.samplerate;
	in->pos = in->start;
	in->file_eof = in->done = false;
	in->raw_pos = in->raw_len = 0;
	if ((uint32_t)in->info.samplerate == out_rate) {
		if (in->src)
			src_delete(in->src);
		in->src = NULL;
		return 0;
	}
	if (in->src)
		e = src_reset(in->src);
	else
		in->src = src_new(SRC_SINC_MEDIUM_QUALITY, in->info.channels, &e);
	if (!in->src || e)
		return wm_err_set(err, WM_E_INTERNAL, "input %d: resampler: %s", in->ch + 1,
				  src_strerror(e));
	return 0;
}

static int read_raw(struct wm_render_in *in, float *dst, long frames, long *got,
		    struct wm_err *err)
{
	sf_count_t n = sf_readf_float(in->sf, dst, frames);

	if (n <= 0 && sf_error(in->sf) != SF_ERR_NO_ERROR)
		return wm_err_set(err, WM_E_BAD_FILE, "input %d: reading \"%.200s\" failed: %s",
				  in->ch + 1, in->file, sf_strerror(in->sf));
	if (n <= 0)
		in->file_eof = true;
	*got = n > 0 ? (long)n : 0;
	return 0;
}

/* Up to want output-rate frames into in->cooked; *got < want only at the end. */
static int stream_resampled(struct wm_render_in *in, long want, long *got, struct wm_err *err)
{
	int fch = in->info.channels;

	*got = 0;
	while (*got < want && !in->done) {
		if (in->raw_pos == in->raw_len && !in->file_eof) {
			in->raw_pos = 0;
			if (read_raw(in, in->raw, WM_RENDER_BLOCK, &in->raw_len, err) < 0)
				return -1;
		}
		SRC_DATA d = {
			.data_in = in->raw + in->raw_pos * fch,
			.input_frames = in->raw_len - in->raw_pos,
			.data_out = in->cooked + *got * fch,
			.output_frames = want - *got,
			.src_ratio = in->ratio,
			.end_of_input = in->file_eof,
		};
		int e = src_process(in->src, &d);
		if (e)
			return wm_err_set(err, WM_E_INTERNAL, "input %d: resampler: %s", in->ch + 1,
					  src_strerror(e));
		in->raw_pos += d.input_frames_used;
		*got += d.output_frames_gen;
		if (in->file_eof && d.output_frames_gen == 0 && d.input_frames_used == 0)
			in->done = true;
	}
	return 0;
}

static int stream(struct wm_render_in *in, long want, long *got, struct wm_err *err)
{
	if (in->src)
		return stream_resampled(in, want, got, err);
	*got = 0;
	if (in->done)
		return 0;
	if (read_raw(in, in->cooked, want, got, err) < 0)
		return -1;
	in->done = in->file_eof;
	return 0;
}

/* Shorts -> floats in [-1, 1), de-interleaved; a loop GCC vectorises at
 * -O3 (render/CMakeLists.txt). */
static void shorts_to_float(const short *restrict src, long n, bool stereo,
			    float *restrict left, float *restrict right)
{
	const float k = 1.0f / 32768.0f;

	if (stereo) {
		for (long i = 0; i < n; i++) {
			left[i] = (float)src[2 * i] * k;
			right[i] = (float)src[2 * i + 1] * k;
		}
		return;
	}
	for (long i = 0; i < n; i++)
		left[i] = right[i] = (float)src[i] * k;
}

/* Up to want frames of a 16-bit file at the output rate into left/right. */
static int read_pcm16(struct wm_render_in *in, long want, float *left, float *right, long *got,
		      struct wm_err *err)
{
	sf_count_t n = in->done ? 0 : sf_readf_short(in->sf, in->raw16, want);

	if (n <= 0 && sf_error(in->sf) != SF_ERR_NO_ERROR)
		return wm_err_set(err, WM_E_BAD_FILE, "input %d: reading \"%.200s\" failed: %s",
				  in->ch + 1, in->file, sf_strerror(in->sf));
	*got = n > 0 ? (long)n : 0;
	if (*got < want)
		in->file_eof = in->done = true;
	shorts_to_float(in->raw16, *got, in->info.channels == 2, left, right);
	return 0;
}

int wm_render_in_read(struct wm_render_in *in, int64_t pos, uint32_t n, float *left,
		      float *right, struct wm_err *err)
{
	int64_t from = pos > in->start ? pos : in->start;
	long got = 0;

	if (in->done || from >= pos + n) {
		memset(left, 0, n * sizeof *left);
		memset(right, 0, n * sizeof *right);
		return 0;
	}
	if (from != in->pos)
		return wm_err_set(err, WM_E_INTERNAL, "input %d: read out of order", in->ch + 1);
	uint32_t skip = (uint32_t)(from - pos);
	memset(left, 0, skip * sizeof *left);
	memset(right, 0, skip * sizeof *right);
	if (in->pcm16 && !in->src) {
		if (read_pcm16(in, (long)(n - skip), left + skip, right + skip, &got, err) < 0)
			return -1;
	} else {
		if (stream(in, (long)(n - skip), &got, err) < 0)
			return -1;
		const float *c = in->cooked;
		bool stereo = in->info.channels == 2;
		for (long i = 0; i < got; i++) {
			left[skip + i] = stereo ? c[2 * i] : c[i];
			right[skip + i] = stereo ? c[2 * i + 1] : c[i];
		}
	}
	in->pos += got;
	if (got < (long)(n - skip))
		in->done = true;
	memset(left + skip + got, 0, (n - skip - (size_t)got) * sizeof *left);
	memset(right + skip + got, 0, (n - skip - (size_t)got) * sizeof *right);
	return 0;
}

/* ---- output ---- */

static int open_folder(struct wm_render_out *out, const char *render_dir, const char *file,
		       struct wm_err *err)
{
	const char *slash = strrchr(file, '/');
	struct wm_err inner;
	char parent[WM_PATH_MAX];

	out->base = slash ? slash + 1 : file;
	if (!slash) {
		out->dir_fd = open(render_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (out->dir_fd < 0)
			return wm_err_set(err, WM_E_IO, "render folder %.200s: %s", render_dir,
					  strerror(errno));
		return 0;
	}
	snprintf(parent, sizeof parent, "%.*s", (int)(slash - file), file);
	out->dir_fd = wm_path_open_beneath(render_dir, parent, O_RDONLY | O_DIRECTORY, 0,
					   "render folder", &inner);
	if (out->dir_fd < 0)
		return wm_err_set(err, inner.code, "output.file: %s", inner.msg);
	return 0;
}

static int sf_format(enum wm_render_format f)
{
	switch (f) {
	case WM_RENDER_WAV24:
		return SF_FORMAT_WAV | SF_FORMAT_PCM_24;
	case WM_RENDER_FLAC:
		return SF_FORMAT_FLAC | SF_FORMAT_PCM_24;
	case WM_RENDER_OGG:
		return SF_FORMAT_OGG | SF_FORMAT_VORBIS;
	case WM_RENDER_WAV16:
	default:
		return SF_FORMAT_WAV | SF_FORMAT_PCM_16;
	}
}

static int open_sndfile(struct wm_render_out *out, enum wm_render_format f, uint32_t rate,
			struct wm_err *err)
{
	SF_INFO info = { .samplerate = (int)rate, .channels = 2, .format = sf_format(f) };

	out->sf = sf_open_fd(out->fd, SFM_WRITE, &info, 0);
	if (!out->sf)
		return wm_err_set(err, WM_E_IO, "output %.200s: cannot write %s at %u Hz: %s",
				  out->shown, wm_render_format_name(f), rate, sf_strerror(NULL));
	if (f == WM_RENDER_OGG) {
		double q = 0.6;
		sf_command(out->sf, SFC_SET_VBR_ENCODING_QUALITY, &q, sizeof q);
	} else {
		sf_command(out->sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
	}
	return 0;
}

int wm_render_out_open(struct wm_render_out *out, const char *render_dir,
		       const struct wm_render_request *req, uint32_t rate, struct wm_err *err)
{
	out->shown = req->out_file;
	if (out->dir_fd < 0 && open_folder(out, render_dir, req->out_file, err) < 0)
		return -1;
	snprintf(out->tmp_name, sizeof out->tmp_name, ".%.240s.tmp-%ld", out->base,
		 (long)getpid());
	out->fd = openat(out->dir_fd, out->tmp_name,
			 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out->fd < 0)
		return wm_err_set(err, WM_E_IO, "output %.200s: cannot create its temp file: %s",
				  out->shown, strerror(errno));
	if (open_sndfile(out, req->format, rate, err) < 0) {
		wm_render_out_abort(out);
		return -1;
	}
	return 0;
}

int wm_render_out_write(struct wm_render_out *out, const float *interleaved, uint32_t frames,
			struct wm_err *err)
{
	if (frames == 0)
		return 0;
	if (sf_writef_float(out->sf, interleaved, frames) != (sf_count_t)frames)
		return wm_err_set(err, WM_E_IO, "output %.200s: write failed: %s", out->shown,
				  sf_strerror(out->sf));
	return 0;
}

void wm_render_out_abort(struct wm_render_out *out)
{
	if (out->sf)
		sf_close(out->sf);
	out->sf = NULL;
	if (out->fd >= 0) {
		close(out->fd);
		unlinkat(out->dir_fd, out->tmp_name, 0);
	}
	out->fd = -1;
}

int wm_render_out_commit(struct wm_render_out *out, struct wm_err *err)
{
	const char *step = "finish";
	int e = sf_close(out->sf);

	out->sf = NULL;
	if (e == 0) {
		step = "fsync";
		e = fsync(out->fd);
	}
	if (e == 0) {
		step = "rename";
		e = renameat(out->dir_fd, out->tmp_name, out->dir_fd, out->base);
	}
	if (e != 0) {
		int saved = errno;
		wm_render_out_abort(out);
		return wm_err_set(err, WM_E_IO, "output %.200s: %s failed: %s", out->shown, step,
				  e > 0 ? sf_error_number(e) : strerror(saved));
	}
	close(out->fd);
	out->fd = -1;
	(void)fsync(out->dir_fd);
	return 0;
}

void wm_render_out_release(struct wm_render_out *out)
{
	wm_render_out_abort(out);
	if (out->dir_fd >= 0)
		close(out->dir_fd);
	out->dir_fd = -1;
}
