/* jobs_run.c - one render job on a worker thread (jobs_internal.h): build
 * the mix from the topology and the scene, look the request up in the
 * render cache (key: canonical request + the inputs' content hashes), and
 * on a hit write the cached bytes as the output; on a miss render with
 * wm_render_run and store the output. Cache errors never fail a job.
 * Worker threads only; no lock is held while working. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"
#include "common/log.h"
#include "engine/params.h"
#include "presets/scene.h"
#include "render/jobs_internal.h"
#include "render/render.h"

int wm_render_apply_scene(struct wm_mix *mix, const char *text, size_t len, const char *origin,
			  struct wm_err *err)
{
	struct wm_scene scene = { 0 };
	int rc = wm_scene_parse(text, len, origin, mix, &scene, err);
	for (size_t i = 0; rc == 0 && i < scene.count; i++)
		wm_param_set(mix, &scene.items[i].ref, &scene.items[i].value);
	wm_scene_free(&scene);
	return rc;
}


/* The mix for this job: defaults for the topology, the scene over them. */
static int build_mix(struct wm_jobs *jobs, struct wm_job_slot *s, struct wm_mix *mix,
		     json_t **scene_obj, struct wm_err *err)
{
	const struct wm_render_request *req = s->req;
	wm_mix_init(mix, jobs->channels, jobs->zones, jobs->mono);
	*scene_obj = NULL;
	if (s->scene_text) {
		*scene_obj = json_loads(s->scene_text, 0, NULL);
		return wm_render_apply_scene(mix, s->scene_text, strlen(s->scene_text),
					     req->scene_name, err);
	}
	if (!req->scene)
		return 0;
	*scene_obj = json_incref(req->scene);
	char *text = json_dumps(req->scene, JSON_COMPACT);
	if (!text)
		return wm_err_set(err, WM_E_INTERNAL, "out of memory for the scene");
	int rc = wm_render_apply_scene(mix, text, strlen(text), "scene", err);
	free(text);
	return rc;
}

/* The cache key, or -1 when an input cannot be read (the render then
 * reports it properly). */
static int cache_key(struct wm_jobs *jobs, struct wm_jobs_worker *w,
		     const struct wm_render_request *req, const json_t *scene_obj,
		     char key[WM_CACHE_KEY_HEX])
{
	static __thread char hashes[WM_MAX_CHANNELS][WM_CACHE_KEY_HEX];
	const char *list[WM_MAX_CHANNELS];
	struct wm_err err = { 0 };
	for (int i = 0; i < req->ninputs; i++) {
		int fd = wm_path_open_beneath(jobs->media_dir, req->input[i].file, O_RDONLY, 0,
					      "media folder", &err);
		if (fd < 0)
			return -1;
		/* Not hashed whole when the render will refuse it anyway. */
		if (wm_path_check_size(fd, jobs->media_max_bytes, req->input[i].file,
				       "media folder", &err) < 0) {
			close(fd);
			return -1;
		}
		int rc = wm_cache_file_hash(w->cache, fd, req->input[i].file, hashes[i], &err);
		close(fd);
		if (rc < 0)
			return -1;
		list[i] = hashes[i];
	}
	char *canonical = wm_render_request_canonical(req, scene_obj);
	if (!canonical)
		return -1;
	wm_cache_key(canonical, list, req->ninputs, key);
	free(canonical);
	return 0;
}

/* The folder the output goes in (beneath the render folder) and its name. */
static int open_out_dir(struct wm_jobs *jobs, const char *rel, const char **base,
			struct wm_err *err)
{
	const char *slash = strrchr(rel, '/');
	*base = slash ? slash + 1 : rel;
	if (!slash)
		return open(jobs->render_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char dir[WM_PATH_MAX];
	snprintf(dir, sizeof dir, "%.*s", (int)(slash - rel), rel);
	return wm_path_open_beneath(jobs->render_dir, dir, O_RDONLY | O_DIRECTORY, 0,
				    "render folder", err);
}

/* Write cached bytes as the output: O_EXCL temp file, fsync, rename. */
static int write_output(struct wm_jobs *jobs, const struct wm_job_slot *s, const void *data,
			size_t len, struct wm_err *err)
{
	const char *base;
	int dir = open_out_dir(jobs, s->req->out_file, &base, err);
	if (dir < 0)
		return err->code ? -1 : wm_err_set(err, WM_E_IO, "render folder %s: %s",
						  jobs->render_dir, strerror(errno));
	char tmp[WM_PATH_MAX + 64];
	snprintf(tmp, sizeof tmp, ".%s.tmp-%d-%llu", base, (int)getpid(),
		 (unsigned long long)s->info.id);
	int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	int rc = fd < 0 || wm_write_all(fd, data, len) < 0 || fsync(fd) < 0 ? -1 : 0;
	if (rc < 0)
		wm_err_set(err, WM_E_IO, "cannot write %s in the render folder: %s",
			   s->req->out_file, strerror(errno));
	if (fd >= 0 && close(fd) < 0 && rc == 0)
		rc = wm_err_set(err, WM_E_IO, "cannot write %s: %s", s->req->out_file,
				strerror(errno));
	if (rc == 0 && renameat(dir, tmp, dir, base) < 0)
		rc = wm_err_set(err, WM_E_IO, "cannot rename into %s: %s", s->req->out_file,
				strerror(errno));
	if (rc < 0)
		unlinkat(dir, tmp, 0);
	else
		fsync(dir);
	close(dir);
	return rc;
}

static double meta_num(const json_t *meta, const char *key)
{
	const json_t *v = json_object_get(meta, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void result_from_meta(const char *meta_json, struct wm_render_result *r)
{
	json_t *meta = meta_json ? json_loads(meta_json, 0, NULL) : NULL;
	memset(r, 0, sizeof *r);
	r->loudness_lufs = meta_num(meta, "loudness");
	r->true_peak_db = meta_num(meta, "true_peak");
	r->gain_db = meta_num(meta, "gain");
	r->limited_db = meta_num(meta, "limited");
	r->duration_s = meta_num(meta, "duration");
	double rate = meta_num(meta, "rate");
	r->rate = isfinite(rate) && rate > 0 ? (uint32_t)rate : 0;
	r->reached_target = json_is_true(json_object_get(meta, "reached_target"));
	const char *note = json_string_value(json_object_get(meta, "note"));
	snprintf(r->note, sizeof r->note, "%s", note ? note : "");
	json_decref(meta);
}

/* 1: served from the cache; 0: not (render); -1: writing the output failed. */
static int try_hit(struct wm_jobs *jobs, struct wm_jobs_worker *w, const struct wm_job_slot *s,
		   const char *key, struct wm_render_result *r, struct wm_err *err)
{
	void *data = NULL;
	size_t len = 0;
	char *meta = NULL;
	struct wm_err cerr = { 0 };
	int got = wm_cache_get(w->cache, key, &data, &len, &meta, &cerr);
	wm_jobs_note_cache(jobs, w);
	if (got < 0)
		wm_debug("cache.get", "job=%llu error=\"%s\"", (unsigned long long)s->info.id,
			 cerr.msg);
	int rc = 0;
	if (got == 1) {
		rc = write_output(jobs, s, data, len, err) < 0 ? -1 : 1;
		result_from_meta(meta, r);
	}
	free(data);
	free(meta);
	return rc;
}

static char *read_output(struct wm_jobs *jobs, const char *rel, size_t *len)
{
	struct wm_err err = { 0 };
	int fd = wm_path_open_beneath(jobs->render_dir, rel, O_RDONLY, 0, "render folder", &err);
	struct stat st;
	char *buf = NULL;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && (size_t)st.st_size <= atomic_load(&jobs->max_entry) &&
	    (buf = malloc((size_t)st.st_size + 1)) != NULL) {
		*len = 0;
		while (*len < (size_t)st.st_size) {
			ssize_t n = read(fd, buf + *len, (size_t)st.st_size - *len);
			if (n <= 0)
				break;
			*len += (size_t)n;
		}
		if (*len != (size_t)st.st_size) {
			free(buf);
			buf = NULL;
		}
	}
	close(fd);
	return buf;
}

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static void store(struct wm_jobs *jobs, struct wm_jobs_worker *w, const struct wm_job_slot *s,
		  const char *key, const struct wm_render_result *r)
{
	size_t len = 0;
	char *data = read_output(jobs, s->req->out_file, &len);
	if (!data)
		return;
	json_t *meta = json_pack("{s:s, s:I, s:o, s:o, s:o, s:o, s:b, s:f, s:i, s:I, s:s}",
				 "format", wm_render_format_name(s->req->format), "size",
				 (json_int_t)len, "loudness", num_or_null(r->loudness_lufs),
				 "true_peak", num_or_null(r->true_peak_db), "gain",
				 num_or_null(r->gain_db), "limited", num_or_null(r->limited_db),
				 "reached_target", r->reached_target, "duration", r->duration_s,
				 "rate", (int)r->rate, "created", (json_int_t)(wm_jobs_wall_ms() / 1000),
				 "note", r->note);
	char *mtext = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
	struct wm_err cerr = { 0 };
	wm_cache_set_limits(w->cache, atomic_load(&jobs->ttl_s), atomic_load(&jobs->max_entry));
	if (wm_cache_put(w->cache, key, data, len, mtext, &cerr) < 0)
		wm_debug("cache.put", "job=%llu error=\"%s\"", (unsigned long long)s->info.id,
			 cerr.msg);
	wm_jobs_note_cache(jobs, w);
	free(mtext);
	json_decref(meta);
	free(data);
}

static int run_cached(struct wm_jobs *jobs, struct wm_jobs_worker *w, struct wm_job_slot *s,
		      const struct wm_mix *mix, const json_t *scene_obj,
		      struct wm_render_result *r, bool *cached, struct wm_err *err)
{
	char key[WM_CACHE_KEY_HEX];
	bool keyed = !jobs->cache_off && cache_key(jobs, w, s->req, scene_obj, key) == 0;
	*cached = false;
	if (keyed) {
		int hit = try_hit(jobs, w, s, key, r, err);
		if (hit != 0)
			return (*cached = hit == 1) ? 0 : -1;
	}
	struct wm_render_env env = { .media_dir = jobs->media_dir, .render_dir = jobs->render_dir,
				     .media_max_bytes = jobs->media_max_bytes,
				     .mix = mix, .progress = &s->progress, .cancel = &s->cancel };
	if (wm_render_run(s->req, &env, r, err) < 0)
		return -1;
	if (keyed)
		store(jobs, w, s, key, r);
	return 0;
}

static void set_result(struct wm_job_info *info, const struct wm_render_result *r, bool cached)
{
	info->have_result = true;
	info->cached = cached;
	info->loudness = r->loudness_lufs, info->true_peak = r->true_peak_db;
	info->gain = r->gain_db, info->limited = r->limited_db;
	info->duration = r->duration_s, info->rate = r->rate;
	info->reached_target = r->reached_target, info->passes = cached ? 0 : r->passes;
	snprintf(info->note, sizeof info->note, "%s", r->note);
}

void wm_jobs_run_one(struct wm_jobs *jobs, struct wm_jobs_worker *w, struct wm_job_slot *s)
{
	struct wm_err err = { 0 };
	struct wm_render_result r;
	json_t *scene_obj = NULL;
	bool cached = false;
	struct wm_mix *mix = malloc(sizeof *mix);
	int rc = !mix ? wm_err_set(&err, WM_E_INTERNAL, "out of memory for the mix")
		      : build_mix(jobs, s, mix, &scene_obj, &err);
	if (rc == 0)
		rc = wm_path_make_dirs(jobs->render_dir, 0750, "render folder", &err);
	if (rc == 0)
		rc = run_cached(jobs, w, s, mix, scene_obj, &r, &cached, &err);
	json_decref(scene_obj);
	free(mix);
	unsigned long long id = (unsigned long long)s->info.id;
	char output[WM_PATH_MAX];
	snprintf(output, sizeof output, "%s", s->info.output);
	pthread_mutex_lock(&jobs->mutex);
	jobs->running--;
	bool cancelled = rc < 0 && atomic_load(&s->cancel);
	if (rc == 0) {
		set_result(&s->info, &r, cached);
	} else {
		s->info.error_code = err.code;
		snprintf(s->info.error, sizeof s->info.error, "%s", err.msg);
	}
	wm_jobs_finish(jobs, s, rc == 0 ? WM_JOB_DONE : cancelled ? WM_JOB_CANCELLED
								 : WM_JOB_FAILED);
	pthread_mutex_unlock(&jobs->mutex);
	wm_info(rc == 0 ? "render.done" : "render.failed", "job=%llu output=\"%s\" cached=%s%s%s%s",
		id, output, cached ? "yes" : "no", rc ? " error=\"" : "", rc ? err.msg : "", rc ? "\"" : "");
}
