/* render.c - one offline render (render.h): passes of the live engine over
 * the inputs, block by block, with integrated loudness measured by
 * libebur128 (histogram mode: bounded memory) and true peak by
 * render/true_peak.h.
 *
 * Without normalisation one pass writes the file and nothing is measured
 * (the loudness and true-peak meters took 40 % of a plain render's CPU, so
 * they run only when asked for). With it, pass 1 measures
 * the mix; pass 2 re-runs the engine from scratch, applies the gain and,
 * with policy `limit` when the gained true peak would pass the aim (the
 * ceiling less WM_TP_MARGIN_DB), a lookahead limiter (engine/limiter.h)
 * set below the aim, and measures what it writes. When that output is
 * still over the ceiling or off the target, the limiter ceiling or the
 * gain is corrected and pass 2 is redone (at most MAX_EXTRA more times).
 * Every stage's delay (the engine's zone limiter, the render limiter) is
 * compensated: the output is frame-aligned with the inputs.
 * Threads: the caller's thread; progress and cancel are atomics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ebur128.h>

#include "engine/engine.h"
#include "engine/limiter.h"
#include "render/render.h"
#include "render/render_io.h"
#include "render/true_peak.h"

#define WM_TP_MARGIN_DB 0.3        /* aim under the ceiling: meters differ ~0.2 dB */
#define LIMITER_MARGIN_DB 0.5      /* sample-peak ceiling under the aim at first */
#define TARGET_TOLERANCE_LU 0.5
#define RETRY_TOLERANCE_LU 0.3     /* redo a pass when further off than this */
#define SILENT_LUFS (-70.0)
#define MAX_EXTRA 2

struct render_ctx {
	const struct wm_render_request *req;
	const struct wm_render_env *env;
	struct wm_render_in *in[WM_MAX_CHANNELS];
	uint32_t rate;
	int64_t frames;                /* of the output */
	int in_ports, out_ports;
	float *in_buf, *out_buf, *left, *right, *inter;
	const float *in_ptr[2 * WM_MAX_CHANNELS];
	float *out_ptr[2 * WM_MAX_ZONES];
	int passes, expected_passes;
	double progress;
};

/* What one pass does after the engine: gain, limiter, meter, file. */
struct pass {
	double gain_db;
	bool limit;
	double limit_db;               /* sample-peak ceiling of the render limiter */
	struct wm_render_out *out;     /* NULL: measure only */
	double loudness, true_peak;    /* measured, of what the pass produced */
	float min_gain;                /* lowest render limiter gain */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_progress(struct render_ctx *c, double v)
{
	if (v > 1.0)
		v = 1.0;
	if (v <= c->progress)
		return;
	c->progress = v;
	if (c->env->progress)
		atomic_store_explicit(c->env->progress, v, memory_order_relaxed);
}

static int open_inputs(struct render_ctx *c, struct wm_err *err)
{
	for (int i = 0; i < c->req->ninputs; i++) {
		c->in[i] = wm_render_in_open(c->env->media_dir, c->env->media_max_bytes,
					     &c->req->input[i], err);
		if (!c->in[i])
			return -1;
	}
	c->rate = c->req->rate ? c->req->rate : wm_render_in_rate(c->in[0]);
	int64_t longest = 0;
	for (int i = 0; i < c->req->ninputs; i++) {
		if (wm_render_in_rewind(c->in[i], c->rate, err) < 0)
			return -1;
		int64_t end = wm_render_in_end(c->in[i]);
		longest = end > longest ? end : longest;
	}
	c->frames = c->req->duration_s > 0 ? llround(c->req->duration_s * c->rate) : longest;
	return 0;
}

static int alloc_buffers(struct render_ctx *c, struct wm_err *err)
{
	size_t b = WM_RENDER_BLOCK;

	c->in_buf = calloc((size_t)c->in_ports * b, sizeof(float));
	c->out_buf = calloc((size_t)c->out_ports * b, sizeof(float));
	c->left = calloc(b, sizeof(float));
	c->right = calloc(b, sizeof(float));
	c->inter = calloc(2 * b, sizeof(float));
	if (!c->in_buf || !c->out_buf || !c->left || !c->right || !c->inter)
		return wm_err_set(err, WM_E_INTERNAL, "out of memory for the render buffers");
	for (int p = 0; p < c->in_ports; p++)
		c->in_ptr[p] = c->in_buf + (size_t)p * b;
	for (int p = 0; p < c->out_ports; p++)
		c->out_ptr[p] = c->out_buf + (size_t)p * b;
	return 0;
}

static void free_ctx(struct render_ctx *c)
{
	for (int i = 0; i < c->req->ninputs; i++)
		wm_render_in_close(c->in[i]);
	free(c->in_buf);
	free(c->out_buf);
	free(c->left);
	free(c->right);
	free(c->inter);
}

/* The engine's first input port of each channel, in channel order. */
static int first_port(const struct wm_mix *mix, int ch)
{
	int p = 0;
	for (int c = 0; c < ch; c++)
		p += mix->mono[c] ? 1 : 2;
	return p;
}

/* Input frames pos..pos+n-1 into the engine's ports; silence past the end. */
static int feed_inputs(struct render_ctx *c, struct wm_engine *eng, int64_t pos, uint32_t n,
		       struct wm_err *err)
{
	const struct wm_mix *mix = c->env->mix;
	uint32_t live = pos >= c->frames ? 0 : (uint32_t)(c->frames - pos < n ? c->frames - pos : n);

	/* A read fills its live frames; ports without an input stay zero from
	 * calloc. Only a block that runs past the end needs clearing. */
	if (live < n)
		memset(c->in_buf, 0, (size_t)c->in_ports * WM_RENDER_BLOCK * sizeof(float));
	for (int i = 0; i < c->req->ninputs; i++) {
		int ch = c->req->input[i].ch;
		float *l = c->in_buf + (size_t)first_port(mix, ch) * WM_RENDER_BLOCK;
		float *r = mix->mono[ch] ? c->right : l + WM_RENDER_BLOCK;
		if (live && wm_render_in_read(c->in[i], pos, live, l, r, err) < 0)
			return -1;
		if (mix->mono[ch])
			for (uint32_t k = 0; k < live; k++)
				l[k] = 0.5f * (l[k] + r[k]);
		bool playing = live && pos + live > wm_render_in_start(c->in[i]) &&
			       pos < wm_render_in_end(c->in[i]);
		wm_engine_set_playing_rt(eng, ch, playing);
	}
	return 0;
}

struct chain {
	struct wm_engine *eng;
	struct wm_limiter *lim;
	ebur128_state *meter;        /* integrated loudness; NULL: not asked for */
	struct wm_true_peak *peak;   /* true peak; NULL: not asked for */
	int64_t latency;
};

/* The zone's aligned frames of one block: gain, limiter, meter, file. */
static int sink(struct render_ctx *c, struct pass *p, const struct chain *ch, const float *l,
		const float *r, uint32_t m, struct wm_err *err)
{
	for (size_t k = 0; k < m; k++) {
		c->inter[2 * k] = l[k];
		c->inter[2 * k + 1] = r[k];
	}
	if (m && ch->meter && ebur128_add_frames_float(ch->meter, c->inter, m) != EBUR128_SUCCESS)
		return wm_err_set(err, WM_E_INTERNAL, "loudness meter failed");
	if (ch->peak)
		wm_true_peak_add(ch->peak, c->inter, m);
	return p->out ? wm_render_out_write(p->out, c->inter, m, err) : 0;
}

static void apply_gain(float *l, float *r, uint32_t n, float g)
{
	if (g == 1.0f)
		return;
	for (uint32_t k = 0; k < n; k++) {
		l[k] *= g;
		r[k] *= g;
	}
}

static int make_chain(struct render_ctx *c, const struct pass *p, struct chain *ch,
		      struct wm_err *err)
{
	struct wm_engine_config cfg = { .sample_rate = c->rate };

	ch->eng = wm_engine_create(&cfg, c->env->mix, err);
	if (!ch->eng)
		return -1;
	c->in_ports = wm_engine_input_ports(ch->eng);
	c->out_ports = wm_engine_output_ports(ch->eng);
	ch->latency = wm_engine_latency_frames(ch->eng);
	if (p->limit) {
		ch->lim = wm_limiter_create(c->rate, (float)pow(10.0, p->limit_db / 20.0), err);
		if (!ch->lim)
			return -1;
		ch->latency += wm_limiter_latency_frames(ch->lim);
	}
	if (!c->req->normalise)
		return 0;
	ch->meter = ebur128_init(2, c->rate, EBUR128_MODE_I | EBUR128_MODE_HISTOGRAM);
	if (!ch->meter)
		return wm_err_set(err, WM_E_INTERNAL, "cannot start the loudness meter at %u Hz",
				  c->rate);
	ch->peak = wm_true_peak_create(2, c->rate, err);
	return ch->peak ? 0 : -1;
}

static void free_chain(struct chain *ch)
{
	wm_engine_destroy(ch->eng);
	wm_limiter_destroy(ch->lim);
	if (ch->meter)
		ebur128_destroy(&ch->meter);
	wm_true_peak_destroy(ch->peak);
}

static void measure(struct pass *p, const struct chain *ch)
{
	double tp = 0.0;

	if (!ch->meter) {
		p->loudness = p->true_peak = NAN;
		return;
	}
	if (ebur128_loudness_global(ch->meter, &p->loudness) != EBUR128_SUCCESS)
		p->loudness = -HUGE_VAL;
	for (unsigned s = 0; s < 2; s++) {
		double v = wm_true_peak_get(ch->peak, s);
		tp = v > tp ? v : tp;
	}
	p->true_peak = tp > 0.0 ? 20.0 * log10(tp) : -HUGE_VAL;
}

/* One block through the chain; *emitted counts aligned frames passed on. */
static int run_block(struct render_ctx *c, struct pass *p, struct chain *ch, int64_t fed,
		     int64_t *emitted, struct wm_err *err)
{
	int64_t total = c->frames + ch->latency;
	uint32_t n = (uint32_t)(total - fed < WM_RENDER_BLOCK ? total - fed : WM_RENDER_BLOCK);
	struct wm_meter meters[16];
	int z = c->req->zone;

	if (feed_inputs(c, ch->eng, fed, n, err) < 0)
		return -1;
	wm_engine_process_rt(ch->eng, c->in_ptr, c->out_ptr, n);
	while (wm_engine_poll_meters(ch->eng, meters, 16) > 0)
		;
	float *l = c->out_ptr[(size_t)2 * z], *r = c->out_ptr[(size_t)2 * z + 1];
	apply_gain(l, r, n, (float)pow(10.0, p->gain_db / 20.0));
	if (ch->lim) {
		wm_limiter_process_rt(ch->lim, l, r, n);
		float g = wm_limiter_take_min_gain_rt(ch->lim);
		p->min_gain = g < p->min_gain ? g : p->min_gain;
	}
	uint32_t off = fed < ch->latency ? (uint32_t)(ch->latency - fed < n ? ch->latency - fed : n) : 0;
	uint32_t m = n - off;
	if ((int64_t)m > c->frames - *emitted)
		m = (uint32_t)(c->frames - *emitted);
	if (sink(c, p, ch, l + off, r + off, m, err) < 0)
		return -1;
	*emitted += m;
	return (int)n;
}

static bool cancelled(const struct render_ctx *c)
{
	return c->env->cancel && atomic_load_explicit(c->env->cancel, memory_order_relaxed);
}

/* One engine pass over the whole duration, from scratch. */
static int run_pass(struct render_ctx *c, struct pass *p, struct wm_err *err)
{
	struct chain ch = { 0 };
	int64_t fed = 0, emitted = 0;
	int rc = 0;

	p->min_gain = 1.0f;
	for (int i = 0; i < c->req->ninputs && rc == 0; i++)
		rc = wm_render_in_rewind(c->in[i], c->rate, err);
	if (rc == 0)
		rc = make_chain(c, p, &ch, err);
	if (rc == 0 && !c->in_buf)
		rc = alloc_buffers(c, err);
	while (rc == 0 && emitted < c->frames) {
		if (cancelled(c)) {
			rc = wm_err_set(err, WM_E_BUSY, "render of %.200s cancelled", c->req->out_file);
			break;
		}
		int n = run_block(c, p, &ch, fed, &emitted, err);
		if (n < 0)
			rc = -1;
		fed += n;
		set_progress(c, (c->passes + (double)emitted / (double)c->frames) /
					c->expected_passes);
	}
	if (rc == 0)
		measure(p, &ch);
	free_chain(&ch);
	c->passes++;
	return rc;
}

/* A pass that writes the output; the temp file is removed on failure. */
static int write_pass(struct render_ctx *c, struct pass *p, struct wm_render_out *out,
		      struct wm_err *err)
{
	wm_render_out_abort(out);
	if (wm_render_out_open(out, c->env->render_dir, c->req, c->rate, err) < 0)
		return -1;
	p->out = out;
	int rc = run_pass(c, p, err);
	if (rc < 0)
		wm_render_out_abort(out);
	return rc;
}

static bool silent(double lufs)
{
	return !isfinite(lufs) || lufs < SILENT_LUFS;
}

/* Policy limit: gain to the target; a limiter when the peak would pass the
 * aim; corrected and redone while the output misses. */
static int normalise_limit(struct render_ctx *c, const struct pass *first, struct pass *p,
			   struct wm_render_out *out, struct wm_err *err)
{
	const struct wm_render_request *req = c->req;
	double aim = req->true_peak_db - WM_TP_MARGIN_DB;

	p->gain_db = req->target_lufs - first->loudness;
	p->limit = first->true_peak + p->gain_db > aim;
	p->limit_db = aim - LIMITER_MARGIN_DB;
	for (int attempt = 0;; attempt++) {
		if (write_pass(c, p, out, err) < 0)
			return -1;
		bool tp_ok = p->true_peak <= req->true_peak_db - 0.1;
		double miss = req->target_lufs - p->loudness;
		if ((tp_ok && fabs(miss) <= RETRY_TOLERANCE_LU) || attempt == MAX_EXTRA)
			return 0;
		c->expected_passes = c->passes + 1;
		if (!tp_ok) {
			p->limit_db -= p->true_peak - aim;
			p->limit = true;
		}
		if (fabs(miss) > RETRY_TOLERANCE_LU)
			p->gain_db += miss;
	}
}

static void note_outcome(struct render_ctx *c, const struct pass *first, const struct pass *p,
			 struct wm_render_result *res)
{
	const struct wm_render_request *req = c->req;

	if (!req->normalise)
		return;
	if (silent(first->loudness)) {
		snprintf(res->note, sizeof res->note,
			 "the mix is silent; no gain can reach %g LUFS", req->target_lufs);
		return;
	}
	res->reached_target = fabs(p->loudness - req->target_lufs) <= TARGET_TOLERANCE_LU &&
			      p->true_peak <= req->true_peak_db;
	if (res->reached_target)
		return;
	if (req->policy == WM_RENDER_GAIN_ONLY)
		snprintf(res->note, sizeof res->note,
			 "gain-only: %.1f LU short of %g LUFS; the true peak ceiling of %g dBTP "
			 "allows %+.1f dB of gain",
			 req->target_lufs - p->loudness, req->target_lufs, req->true_peak_db,
			 p->gain_db);
	else
		snprintf(res->note, sizeof res->note,
			 "after %d passes the output is %.1f LUFS, %.1f dBTP; wanted %g LUFS, "
			 "at most %g dBTP",
			 c->passes, p->loudness, p->true_peak, req->target_lufs, req->true_peak_db);
}

static int render_passes(struct render_ctx *c, struct pass *first, struct pass *p,
			 struct wm_render_out *out, struct wm_err *err)
{
	const struct wm_render_request *req = c->req;

	if (!req->normalise) {
		c->expected_passes = 1;
		return write_pass(c, p, out, err);
	}
	c->expected_passes = 2;
	if (run_pass(c, first, err) < 0)
		return -1;
	if (silent(first->loudness))
		return write_pass(c, p, out, err);
	if (req->policy == WM_RENDER_LIMIT)
		return normalise_limit(c, first, p, out, err);
	double room = req->true_peak_db - WM_TP_MARGIN_DB - first->true_peak;
	p->gain_db = req->target_lufs - first->loudness;
	if (p->gain_db > room)
		p->gain_db = room;
	return write_pass(c, p, out, err);
}

static void fill_result(const struct render_ctx *c, const struct pass *p,
			struct wm_render_result *res)
{
	res->duration_s = (double)c->frames / c->rate;
	res->rate = c->rate;
	res->loudness_lufs = p->loudness;
	res->true_peak_db = p->true_peak;
	res->gain_db = p->gain_db;
	res->limited_db = p->min_gain < 1.0f ? 20.0 * log10(p->min_gain) : 0.0;
	res->passes = c->passes;
}

int wm_render_run(const struct wm_render_request *req, const struct wm_render_env *env,
		  struct wm_render_result *result, struct wm_err *err)
{
	struct render_ctx c = { .req = req, .env = env, .expected_passes = 1 };
	double max_s = req->max_duration_s > 0 ? req->max_duration_s
					       : WM_RENDER_MAX_DURATION_S_DEFAULT;
	struct wm_render_out out = { .dir_fd = -1, .fd = -1 };
	struct pass first = { 0 }, p = { 0 };
	double t0 = now_s();
	int rc = -1;

	memset(result, 0, sizeof *result);
	if (req->ninputs < 1 || req->zone < 0 || req->zone >= env->mix->zones)
		return wm_err_set(err, WM_E_BAD_REQUEST, "render: no inputs, or no such zone");
	if (open_inputs(&c, err) == 0) {
		if (c.frames <= 0)
			wm_err_set(err, WM_E_BAD_REQUEST,
				   "the inputs are empty; give a duration for a silent render");
		else if (req->duration_s < 0 && c.frames > max_s * c.rate)
			wm_err_set(err, WM_E_OUT_OF_RANGE,
				   "the longest input ends at %.0f s, past the %.0f s a render may "
				   "last; give a duration",
				   (double)c.frames / c.rate, max_s);
		else if (render_passes(&c, &first, &p, &out, err) == 0)
			rc = wm_render_out_commit(&out, err);
	}
	wm_render_out_release(&out);
	if (rc == 0) {
		fill_result(&c, &p, result);
		note_outcome(&c, &first, &p, result);
		set_progress(&c, 1.0);
	}
	result->seconds = now_s() - t0;
	free_ctx(&c);
	return rc;
}
