/* jobs.h - render jobs: a bounded queue of checked requests, worker
 * thread(s) at low priority (SCHED_IDLE, else nice 19) that run them with
 * wm_render_run, the render cache in front of every render (render/cache.h:
 * a hit writes the cached bytes, a miss renders and stores), a table of the
 * last WM_JOBS_KEEP jobs with state, progress, result and timings, and
 * events (state changes, progress in 5 % steps) for the control thread,
 * signalled through an eventfd.
 *
 * Threads: wm_jobs_submit/get/list/cancel/poll_events/stats are called by
 * the control thread and only take the table's mutex for short copies; a
 * render, file I/O and every Redis call happen on the workers, which own
 * their caches. */
#ifndef WM_JOBS_H
#define WM_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/path.h"
#include "engine/mix.h"
#include "render/cache.h"
#include "render/request.h"

#define WM_JOBS_KEEP 256            /* jobs remembered, finished or not */
#define WM_JOBS_QUEUE_DEFAULT 16
#define WM_JOBS_QUEUE_MAX 128
#define WM_JOBS_WORKERS_DEFAULT 1
#define WM_JOBS_WORKERS_MAX 8

enum wm_job_state {
	WM_JOB_QUEUED,
	WM_JOB_RUNNING,
	WM_JOB_DONE,
	WM_JOB_FAILED,
	WM_JOB_CANCELLED,
};

enum wm_jobs_cache_state {
	WM_JOBS_CACHE_OFF,           /* --redis none */
	WM_JOBS_CACHE_UP,
	WM_JOBS_CACHE_DOWN,
};

struct wm_jobs_config {
	const char *media_dir;
	long long media_max_bytes;   /* larger inputs are refused; 0 = no limit */
	const char *render_dir;
	int channels, zones;
	const bool *mono;            /* WM_MAX_CHANNELS entries, or NULL */
	int workers;                 /* 0 = default */
	int queue_max;               /* waiting jobs; 0 = default */
	struct wm_cache_config cache;
};

/* A copy of one job, as `job ID` reports it. */
struct wm_job_info {
	uint64_t id;
	enum wm_job_state state;
	double progress;             /* 0..1 */
	char output[WM_PATH_MAX];
	char scene[WM_NAME_MAX];     /* "" when inline or none */
	bool cached;
	bool have_result;            /* the fields below are set (done) */
	double loudness, true_peak, gain, limited, duration;
	uint32_t rate;
	bool reached_target;
	char note[WM_ERR_MSG_MAX];
	int passes;
	int64_t queued_ms, started_ms, finished_ms;   /* CLOCK_REALTIME, 0 = not yet */
	enum wm_errcode error_code;  /* failed/cancelled */
	char error[WM_ERR_MSG_MAX];
};

struct wm_job_event {
	uint64_t id;
	enum wm_job_state state;
	double progress;
};

struct wm_jobs_stats {
	uint64_t submitted, done, failed, cancelled, refused_busy, events_dropped;
	int queued, running;
	enum wm_jobs_cache_state cache_state;
	char cache_error[WM_ERR_MSG_MAX];
	struct wm_cache_stats cache; /* summed over the workers, after each job */
};

struct wm_jobs;

/* Start the workers. Fails only for a malformed cache address, ENOMEM or a
 * thread that cannot start. */
struct wm_jobs *wm_jobs_create(const struct wm_jobs_config *config, struct wm_err *err);
/* The cache TTL and entry limit for renders stored from now on (0 =
 * default), as a reload sets them. Any thread. */
void wm_jobs_set_cache_limits(struct wm_jobs *jobs, int ttl_s, size_t max_entry_bytes);

/* Cancel what runs, drop what waits, join the workers. */
void wm_jobs_destroy(struct wm_jobs *jobs);

/* Queue a checked request (taken over: freed by the jobs whatever the
 * outcome) with the text of the scene it names (taken over; NULL for an
 * inline scene or none). Full queue: WM_E_BUSY. */
int wm_jobs_submit(struct wm_jobs *jobs, struct wm_render_request *req, char *scene_text,
		   uint64_t *id, struct wm_err *err);

/* One job; unknown (or forgotten) id: WM_E_NOT_FOUND. */
int wm_jobs_get(struct wm_jobs *jobs, uint64_t id, struct wm_job_info *info, struct wm_err *err);

/* Up to max jobs, newest first; returns how many. */
size_t wm_jobs_list(struct wm_jobs *jobs, struct wm_job_info *out, size_t max);

/* Queued: cancelled at once. Running: asked to stop (the render removes its
 * partial output; the state follows). Finished: WM_E_BUSY naming the state. */
int wm_jobs_cancel(struct wm_jobs *jobs, uint64_t id, struct wm_err *err);

/* Readable when events wait; wm_jobs_poll_events clears it. */
int wm_jobs_event_fd(const struct wm_jobs *jobs);
/* Take up to max events; also notes running jobs' progress moved by 5 % or
 * more since their last event. */
size_t wm_jobs_poll_events(struct wm_jobs *jobs, struct wm_job_event *out, size_t max);

void wm_jobs_get_stats(struct wm_jobs *jobs, struct wm_jobs_stats *stats);

const char *wm_job_state_name(enum wm_job_state state);

/* Apply a scene's text over mix (set up with wm_mix_init): shared by the
 * workers and washmixd --render. origin names the scene in errors. */
int wm_render_apply_scene(struct wm_mix *mix, const char *text, size_t len, const char *origin,
			  struct wm_err *err);

#endif
