/* jobs_internal.h - the job table and workers shared by jobs.c (queue,
 * threads, events) and jobs_run.c (one job: cache, render). Internal to
 * render/. The mutex guards slots, counters and events. */
#ifndef WM_JOBS_INTERNAL_H
#define WM_JOBS_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#include "render/jobs.h"

struct wm_job_slot {
	struct wm_job_info info;
	struct wm_render_request *req;   /* owned until the job finishes */
	char *scene_text;                /* a named scene's file text, or NULL */
	_Atomic double progress;
	atomic_bool cancel;
	double last_progress;            /* at the last progress event */
};

struct wm_jobs;

struct wm_jobs_worker {
	struct wm_jobs *jobs;
	pthread_t thread;
	bool started;
	struct wm_cache *cache;          /* this worker's own */
	struct wm_cache_stats cache_stats;  /* copied under the mutex */
};

struct wm_jobs {
	char media_dir[PATH_MAX];
	long long media_max_bytes;
	char render_dir[PATH_MAX];
	int channels, zones;
	bool mono[WM_MAX_CHANNELS];
	atomic_size_t max_entry;         /* changed live by wm_jobs_set_cache_limits */
	atomic_int ttl_s;
	bool cache_off;
	atomic_int cache_state;          /* enum wm_jobs_cache_state */
	int queue_max, nworkers;

	pthread_mutex_t mutex;
	pthread_cond_t changed;
	bool stopping;
	uint64_t next_id;
	int queued, running;
	struct wm_job_slot slot[WM_JOBS_KEEP];
	struct wm_job_event events[256];
	size_t nevents;
	int event_fd;
	struct wm_jobs_stats stats;
	struct wm_jobs_worker worker[WM_JOBS_WORKERS_MAX];
};

int64_t wm_jobs_wall_ms(void);
void wm_jobs_push_event(struct wm_jobs *jobs, const struct wm_job_slot *slot);
void wm_jobs_finish(struct wm_jobs *jobs, struct wm_job_slot *slot, enum wm_job_state state);
void wm_jobs_note_cache(struct wm_jobs *jobs, struct wm_jobs_worker *w);
/* Run slot's job on worker w (no lock held) and finish it. */
void wm_jobs_run_one(struct wm_jobs *jobs, struct wm_jobs_worker *w, struct wm_job_slot *slot);

#endif
