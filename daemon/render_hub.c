/* render_hub.c - render ops, job events, health and stats between the
 * command table and render/jobs (see render_hub.h). Control thread. */
#include "daemon/render_hub.h"

#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "control/loop.h"
#include "control/sock.h"
#include "render/jobs.h"

#define EVENT_TICK_MS 250   /* progress events at most ~4/s per job */

static json_t *num(double v, double scale)
{
	return isfinite(v) ? json_real(round(v * scale) / scale) : json_null();
}

static json_t *timings(const struct wm_job_info *j)
{
	json_t *t = json_pack("{s:I}", "queued_at_ms", (json_int_t)j->queued_ms);
	if (j->started_ms)
		json_object_set_new(t, "wait_ms", json_integer(j->started_ms - j->queued_ms));
	if (j->started_ms && j->finished_ms)
		json_object_set_new(t, "run_ms", json_integer(j->finished_ms - j->started_ms));
	if (j->finished_ms)
		json_object_set_new(t, "total_ms", json_integer(j->finished_ms - j->queued_ms));
	return t;
}

static void fill_job(const struct wm_job_info *j, json_t *o)
{
	json_object_set_new(o, "id", json_integer((json_int_t)j->id));
	json_object_set_new(o, "state", json_string(wm_job_state_name(j->state)));
	json_object_set_new(o, "progress", num(j->progress, 1000));
	json_object_set_new(o, "output", json_string(j->output));
	if (j->scene[0])
		json_object_set_new(o, "scene", json_string(j->scene));
	json_object_set_new(o, "cached", json_boolean(j->cached));
	if (j->have_result) {
		json_object_set_new(o, "loudness", num(j->loudness, 100));
		json_object_set_new(o, "true_peak", num(j->true_peak, 100));
		json_object_set_new(o, "gain", num(j->gain, 100));
		json_object_set_new(o, "limited", num(j->limited, 100));
		json_object_set_new(o, "reached_target", json_boolean(j->reached_target));
		json_object_set_new(o, "note", json_string(j->note));
		json_object_set_new(o, "passes", json_integer(j->passes));
		json_object_set_new(o, "duration", num(j->duration, 1000));
		json_object_set_new(o, "rate", json_integer(j->rate));
	}
	json_object_set_new(o, "timings", timings(j));
	if (j->state == WM_JOB_FAILED || j->state == WM_JOB_CANCELLED)
		json_object_set_new(o, "error",
				    json_pack("{s:s, s:s}", "code", wm_errcode_name(j->error_code),
					      "message", j->error));
}

static int hub_submit(void *arg, struct wm_render_request *req, char *scene_text,
		      unsigned long long *id, struct wm_err *err)
{
	struct wm_render_hub *hub = arg;
	char output[WM_PATH_MAX], scene[WM_NAME_MAX];
	int inputs = req->ninputs;
	uint64_t n = 0;
	/* Copied first: the jobs take the request over whatever the outcome. */
	snprintf(output, sizeof output, "%s", req->out_file);
	snprintf(scene, sizeof scene, "%s", req->scene ? "(inline)" : req->scene_name);
	int rc = wm_jobs_submit(hub->jobs, req, scene_text, &n, err);
	if (rc == 0)
		wm_info("render.queued", "job=%llu output=\"%s\" scene=\"%s\" inputs=%d",
			(unsigned long long)n, output, scene, inputs);
	*id = n;
	return rc;
}

static int hub_job(void *arg, unsigned long long id, json_t *out, struct wm_err *err)
{
	struct wm_render_hub *hub = arg;
	struct wm_job_info *info = malloc(sizeof *info);
	if (!info)
		return wm_err_set(err, WM_E_INTERNAL, "out of memory");
	int rc = wm_jobs_get(hub->jobs, id, info, err);
	if (rc == 0)
		fill_job(info, out);
	free(info);
	return rc;
}

static void hub_jobs(void *arg, json_t *array, size_t max)
{
	struct wm_render_hub *hub = arg;
	struct wm_job_info *list = calloc(max, sizeof *list);
	size_t n = list ? wm_jobs_list(hub->jobs, list, max) : 0;
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		fill_job(&list[i], o);
		json_array_append_new(array, o);
	}
	free(list);
}

static int hub_cancel(void *arg, unsigned long long id, struct wm_err *err)
{
	struct wm_render_hub *hub = arg;
	return wm_jobs_cancel(hub->jobs, id, err);
}

struct wm_render_ops wm_render_hub_ops(struct wm_render_hub *hub)
{
	return (struct wm_render_ops){ .submit = hub_submit, .job = hub_job, .jobs = hub_jobs,
				       .cancel = hub_cancel, .arg = hub };
}

static void drain(struct wm_render_hub *hub)
{
	struct wm_job_event ev[64];
	size_t n;
	while ((n = wm_jobs_poll_events(hub->jobs, ev, 64)) > 0) {
		if (!hub->sock || !wm_sock_has_subscribers(hub->sock, WM_TOPIC_JOBS))
			continue;
		for (size_t i = 0; i < n; i++) {
			json_t *j = json_pack("{s:s, s:I, s:s, s:o}", "event", "job", "id",
					      (json_int_t)ev[i].id, "state",
					      wm_job_state_name(ev[i].state), "progress",
					      num(ev[i].progress, 1000));
			wm_sock_publish(hub->sock, WM_TOPIC_JOBS, j);
			json_decref(j);
		}
	}
}

static void on_events(struct wm_loop *loop, int fd, short revents, void *arg)
{
	(void)loop, (void)fd, (void)revents;
	drain(arg);
}

static void on_tick(struct wm_loop *loop, void *arg)
{
	(void)loop;
	drain(arg);
}

int wm_render_hub_start(struct wm_render_hub *hub, const struct wm_config *c,
			struct wm_loop *loop, struct wm_err *err)
{
	struct wm_jobs_config jc = {
		.media_dir = c->media_dir, .render_dir = c->render_dir,
		.media_max_bytes = (long long)c->media_max_mb << 20,
		.channels = c->channels, .zones = c->zones, .mono = c->mono,
		.workers = c->render_workers, .queue_max = c->render_queue,
		.cache = { .address = c->redis, .ttl_s = c->cache_ttl_s,
			   .max_entry_bytes = (size_t)c->cache_max_entry_mb << 20,
			   .timeout_ms = c->cache_timeout_ms },
	};
	hub->loop = loop;
	hub->jobs = wm_jobs_create(&jc, err);
	if (!hub->jobs)
		return -1;
	wm_loop_add_fd(loop, wm_jobs_event_fd(hub->jobs), POLLIN, on_events, hub);
	hub->timer = wm_loop_add_timer(loop, EVENT_TICK_MS, on_tick, hub);
	wm_info("render.ready", "workers=%d queue=%d cache=\"%s\"", c->render_workers,
		c->render_queue, c->redis);
	return 0;
}

void wm_render_hub_stop(struct wm_render_hub *hub)
{
	if (!hub->jobs)
		return;
	wm_loop_remove_fd(hub->loop, wm_jobs_event_fd(hub->jobs));
	wm_loop_remove_timer(hub->loop, hub->timer);
	wm_jobs_destroy(hub->jobs);
	hub->jobs = NULL;
}

void wm_render_hub_set_cache_limits(struct wm_render_hub *hub, int ttl_s, size_t max_entry)
{
	if (hub->jobs)
		wm_jobs_set_cache_limits(hub->jobs, ttl_s, max_entry);
}

bool wm_render_hub_health(struct wm_render_hub *hub, json_t *subsystems)
{
	struct wm_jobs_stats st;
	char detail[WM_ERR_MSG_MAX + 64];
	if (!hub->jobs)
		return false;
	wm_jobs_get_stats(hub->jobs, &st);
	const char *state = st.cache_state == WM_JOBS_CACHE_OFF ? "off"
			    : st.cache_state == WM_JOBS_CACHE_UP ? "ok" : "down";
	if (st.cache_state == WM_JOBS_CACHE_OFF)
		snprintf(detail, sizeof detail, "--redis none; renders are not cached");
	else if (st.cache_state == WM_JOBS_CACHE_UP)
		snprintf(detail, sizeof detail, "%llu hits, %llu misses",
			 (unsigned long long)st.cache.hits, (unsigned long long)st.cache.misses);
	else
		snprintf(detail, sizeof detail, "%s; renders run uncached, retrying",
			 st.cache_error[0] ? st.cache_error : "Redis does not answer");
	json_object_set_new(subsystems, "cache", json_pack("{s:s, s:s}", "state", state,
							   "detail", detail));
	snprintf(detail, sizeof detail, "%d running, %d queued", st.running, st.queued);
	json_object_set_new(subsystems, "render", json_pack("{s:s, s:s}", "state", "ok",
							    "detail", detail));
	return st.cache_state == WM_JOBS_CACHE_DOWN;
}

void wm_render_hub_stats(struct wm_render_hub *hub, json_t *reply)
{
	struct wm_jobs_stats st;
	if (!hub->jobs)
		return;
	wm_jobs_get_stats(hub->jobs, &st);
	json_t *jobs = json_pack("{s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:I}", "submitted",
				 (json_int_t)st.submitted, "done", (json_int_t)st.done, "failed",
				 (json_int_t)st.failed, "cancelled", (json_int_t)st.cancelled,
				 "refused_busy", (json_int_t)st.refused_busy, "queued", st.queued,
				 "running", st.running, "events_dropped",
				 (json_int_t)st.events_dropped);
	json_t *cache = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "hits",
				  (json_int_t)st.cache.hits, "misses", (json_int_t)st.cache.misses,
				  "stores", (json_int_t)st.cache.stores, "errors",
				  (json_int_t)st.cache.errors, "too_big",
				  (json_int_t)st.cache.too_big, "bytes_read",
				  (json_int_t)st.cache.bytes_read, "bytes_written",
				  (json_int_t)st.cache.bytes_written, "reconnects",
				  (json_int_t)st.cache.reconnects);
	uint64_t bytes = st.cache.bytes_read + st.cache.bytes_written;
	json_object_set_new(cache, "bytes", json_integer((json_int_t)bytes));
	json_object_set_new(reply, "render", json_pack("{s:o, s:o}", "jobs", jobs, "cache", cache));
}
