/* jobs.c - the job table, the queue, the worker threads and the events of
 * render jobs (jobs.h). The table's mutex guards every slot; the control
 * thread holds it only to copy, the workers only to change a slot's state.
 * One job's work (cache, render) is in jobs_run.c. */
#define _GNU_SOURCE
#include "render/jobs.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "render/jobs_internal.h"

#define EVENTS_MAX 256
#define PROGRESS_STEP 0.05
#define CACHE_RETRY_S 2

const char *wm_job_state_name(enum wm_job_state state)
{
	static const char *const names[] = { "queued", "running", "done", "failed", "cancelled" };
	return (unsigned)state < 5 ? names[state] : "unknown";
}

int64_t wm_jobs_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool finished(enum wm_job_state s)
{
	return s == WM_JOB_DONE || s == WM_JOB_FAILED || s == WM_JOB_CANCELLED;
}

/* Under the mutex. */
void wm_jobs_push_event(struct wm_jobs *jobs, const struct wm_job_slot *slot)
{
	if (jobs->nevents == EVENTS_MAX) {
		memmove(jobs->events, jobs->events + 1, (EVENTS_MAX - 1) * sizeof jobs->events[0]);
		jobs->nevents--;
		jobs->stats.events_dropped++;
	}
	double p = atomic_load(&slot->progress);
	jobs->events[jobs->nevents++] = (struct wm_job_event){ .id = slot->info.id,
							       .state = slot->info.state,
							       .progress = p };
	uint64_t one = 1;
	if (write(jobs->event_fd, &one, sizeof one) < 0 && errno != EAGAIN)
		wm_warn("jobs.event", "error=\"%s\"", strerror(errno));
}

/* Under the mutex: the slot is done with; free what it held. */
void wm_jobs_finish(struct wm_jobs *jobs, struct wm_job_slot *slot, enum wm_job_state state)
{
	slot->info.state = state;
	slot->info.finished_ms = wm_jobs_wall_ms();
	if (state == WM_JOB_DONE) {
		slot->info.progress = 1.0;
		atomic_store(&slot->progress, 1.0);
		jobs->stats.done++;
	} else {
		jobs->stats.failed += state == WM_JOB_FAILED;
		jobs->stats.cancelled += state == WM_JOB_CANCELLED;
	}
	if (slot->req) {
		wm_render_request_free(slot->req);
		free(slot->req);
		slot->req = NULL;
	}
	free(slot->scene_text);
	slot->scene_text = NULL;
	wm_jobs_push_event(jobs, slot);
	pthread_cond_broadcast(&jobs->changed);
}

static struct wm_job_slot *slot_of(struct wm_jobs *jobs, uint64_t id)
{
	struct wm_job_slot *s = &jobs->slot[id % WM_JOBS_KEEP];
	return id && s->info.id == id ? s : NULL;
}

int wm_jobs_submit(struct wm_jobs *jobs, struct wm_render_request *req, char *scene_text,
		   uint64_t *id, struct wm_err *err)
{
	pthread_mutex_lock(&jobs->mutex);
	uint64_t next = jobs->next_id;
	struct wm_job_slot *s = &jobs->slot[next % WM_JOBS_KEEP];
	int rc = 0;
	if (jobs->queued >= jobs->queue_max || (s->info.id && !finished(s->info.state))) {
		jobs->stats.refused_busy++;
		rc = wm_err_set(err, WM_E_BUSY, "render queue is full (%d jobs); retry later",
				jobs->queue_max);
	} else {
		memset(&s->info, 0, sizeof s->info);
		s->info.id = next;
		s->info.state = WM_JOB_QUEUED;
		s->info.queued_ms = wm_jobs_wall_ms();
		snprintf(s->info.output, sizeof s->info.output, "%s", req->out_file);
		snprintf(s->info.scene, sizeof s->info.scene, "%s", req->scene_name);
		atomic_store(&s->progress, 0.0);
		atomic_store(&s->cancel, false);
		s->req = req, s->scene_text = scene_text;
		s->last_progress = 0;
		jobs->next_id++, jobs->queued++, jobs->stats.submitted++;
		*id = next;
		wm_jobs_push_event(jobs, s);
		pthread_cond_signal(&jobs->changed);
	}
	pthread_mutex_unlock(&jobs->mutex);
	if (rc < 0) {
		wm_render_request_free(req);
		free(req);
		free(scene_text);
	}
	return rc;
}

int wm_jobs_get(struct wm_jobs *jobs, uint64_t id, struct wm_job_info *info, struct wm_err *err)
{
	pthread_mutex_lock(&jobs->mutex);
	struct wm_job_slot *s = slot_of(jobs, id);
	if (s) {
		*info = s->info;
		if (info->state == WM_JOB_RUNNING)
			info->progress = atomic_load(&s->progress);
	}
	pthread_mutex_unlock(&jobs->mutex);
	if (!s)
		return wm_err_set(err, WM_E_NOT_FOUND,
				  "no job %llu; the last %d jobs are kept (`jobs` lists them)",
				  (unsigned long long)id, WM_JOBS_KEEP);
	return 0;
}

size_t wm_jobs_list(struct wm_jobs *jobs, struct wm_job_info *out, size_t max)
{
	size_t n = 0;
	pthread_mutex_lock(&jobs->mutex);
	for (uint64_t id = jobs->next_id - 1; id > 0 && n < max; id--) {
		struct wm_job_slot *s = slot_of(jobs, id);
		if (!s)
			break;
		out[n] = s->info;
		if (out[n].state == WM_JOB_RUNNING)
			out[n].progress = atomic_load(&s->progress);
		n++;
	}
	pthread_mutex_unlock(&jobs->mutex);
	return n;
}

int wm_jobs_cancel(struct wm_jobs *jobs, uint64_t id, struct wm_err *err)
{
	int rc = 0;
	pthread_mutex_lock(&jobs->mutex);
	struct wm_job_slot *s = slot_of(jobs, id);
	if (!s) {
		rc = wm_err_set(err, WM_E_NOT_FOUND, "no job %llu to cancel",
				(unsigned long long)id);
	} else if (s->info.state == WM_JOB_QUEUED) {
		jobs->queued--;
		s->info.error_code = WM_E_BUSY;
		snprintf(s->info.error, sizeof s->info.error, "cancelled before it started");
		wm_jobs_finish(jobs, s, WM_JOB_CANCELLED);
	} else if (s->info.state == WM_JOB_RUNNING) {
		atomic_store(&s->cancel, true);
	} else {
		rc = wm_err_set(err, WM_E_BUSY, "job %llu is %s already; only queued or running "
				"jobs can be cancelled", (unsigned long long)id,
				wm_job_state_name(s->info.state));
	}
	pthread_mutex_unlock(&jobs->mutex);
	return rc;
}

int wm_jobs_event_fd(const struct wm_jobs *jobs)
{
	return jobs->event_fd;
}

/* Under the mutex: running jobs whose progress moved a step. */
static void note_progress(struct wm_jobs *jobs)
{
	for (int i = 0; i < WM_JOBS_KEEP; i++) {
		struct wm_job_slot *s = &jobs->slot[i];
		if (!s->info.id || s->info.state != WM_JOB_RUNNING)
			continue;
		double p = atomic_load(&s->progress);
		if (p - s->last_progress >= PROGRESS_STEP) {
			s->last_progress = p;
			wm_jobs_push_event(jobs, s);
		}
	}
}

size_t wm_jobs_poll_events(struct wm_jobs *jobs, struct wm_job_event *out, size_t max)
{
	uint64_t count;
	if (read(jobs->event_fd, &count, sizeof count) < 0 && errno != EAGAIN)
		wm_warn("jobs.event", "error=\"%s\"", strerror(errno));
	pthread_mutex_lock(&jobs->mutex);
	note_progress(jobs);
	size_t n = jobs->nevents < max ? jobs->nevents : max;
	memcpy(out, jobs->events, n * sizeof *out);
	memmove(jobs->events, jobs->events + n, (jobs->nevents - n) * sizeof *out);
	jobs->nevents -= n;
	if (jobs->nevents) {
		uint64_t one = 1;
		if (write(jobs->event_fd, &one, sizeof one) < 0 && errno != EAGAIN)
			wm_warn("jobs.event", "error=\"%s\"", strerror(errno));
	}
	pthread_mutex_unlock(&jobs->mutex);
	return n;
}

void wm_jobs_get_stats(struct wm_jobs *jobs, struct wm_jobs_stats *stats)
{
	pthread_mutex_lock(&jobs->mutex);
	*stats = jobs->stats;
	stats->queued = jobs->queued;
	stats->running = jobs->running;
	memset(&stats->cache, 0, sizeof stats->cache);
	for (int w = 0; w < jobs->nworkers; w++) {
		const struct wm_cache_stats *c = &jobs->worker[w].cache_stats;
		stats->cache.hits += c->hits, stats->cache.misses += c->misses;
		stats->cache.stores += c->stores, stats->cache.errors += c->errors;
		stats->cache.too_big += c->too_big, stats->cache.reconnects += c->reconnects;
		stats->cache.bytes_read += c->bytes_read;
		stats->cache.bytes_written += c->bytes_written;
	}
	pthread_mutex_unlock(&jobs->mutex);
	stats->cache_state = (enum wm_jobs_cache_state)atomic_load(&jobs->cache_state);
}

/* ------------------------------------------------------------ workers */

static void lower_priority(void)
{
	struct sched_param sp = { .sched_priority = 0 };
	if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp) == 0)
		return;
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), 19) < 0)
		wm_warn("jobs.priority", "error=\"%s\" msg=\"renders run at normal priority\"",
			strerror(errno));
}

/* Under the mutex: the oldest queued job, or NULL. */
static struct wm_job_slot *next_queued(struct wm_jobs *jobs)
{
	struct wm_job_slot *best = NULL;
	for (int i = 0; i < WM_JOBS_KEEP; i++) {
		struct wm_job_slot *s = &jobs->slot[i];
		if (s->info.id && s->info.state == WM_JOB_QUEUED &&
		    (!best || s->info.id < best->info.id))
			best = s;
	}
	return best;
}

/* Publish whether this worker's cache answers (the control thread never
 * asks Redis itself). */
void wm_jobs_note_cache(struct wm_jobs *jobs, struct wm_jobs_worker *w)
{
	struct wm_cache_stats st;
	wm_cache_get_stats(w->cache, &st);
	pthread_mutex_lock(&jobs->mutex);
	w->cache_stats = st;
	if (jobs->cache_off)
		atomic_store(&jobs->cache_state, WM_JOBS_CACHE_OFF);
	else
		atomic_store(&jobs->cache_state, st.up ? WM_JOBS_CACHE_UP : WM_JOBS_CACHE_DOWN);
	snprintf(jobs->stats.cache_error, sizeof jobs->stats.cache_error, "%s", st.last_error);
	pthread_mutex_unlock(&jobs->mutex);
}

/* Idle: wait for a job; every few seconds check the cache meanwhile. */
static struct wm_job_slot *wait_job(struct wm_jobs *jobs, struct wm_jobs_worker *w)
{
	pthread_mutex_lock(&jobs->mutex);
	for (;;) {
		struct wm_job_slot *s = jobs->stopping ? NULL : next_queued(jobs);
		if (s || jobs->stopping) {
			if (s) {
				s->info.state = WM_JOB_RUNNING;
				s->info.started_ms = wm_jobs_wall_ms();
				jobs->queued--, jobs->running++;
				wm_jobs_push_event(jobs, s);
			}
			pthread_mutex_unlock(&jobs->mutex);
			return s;
		}
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += CACHE_RETRY_S;
		if (pthread_cond_timedwait(&jobs->changed, &jobs->mutex, &until) == ETIMEDOUT &&
		    !jobs->cache_off) {
			pthread_mutex_unlock(&jobs->mutex);
			wm_cache_up(w->cache);
			wm_jobs_note_cache(jobs, w);
			pthread_mutex_lock(&jobs->mutex);
		}
	}
}

static void *worker_main(void *arg)
{
	struct wm_jobs_worker *w = arg;
	struct wm_jobs *jobs = w->jobs;
	lower_priority();
	if (!jobs->cache_off)
		wm_cache_up(w->cache);
	wm_jobs_note_cache(jobs, w);
	struct wm_job_slot *s;
	while ((s = wait_job(jobs, w)) != NULL) {
		wm_jobs_run_one(jobs, w, s);
		wm_jobs_note_cache(jobs, w);
	}
	return NULL;
}

/* ------------------------------------------------------------ life */

static int start_workers(struct wm_jobs *jobs, const struct wm_jobs_config *c,
			 struct wm_err *err)
{
	for (int i = 0; i < jobs->nworkers; i++) {
		struct wm_jobs_worker *w = &jobs->worker[i];
		w->jobs = jobs;
		w->cache = wm_cache_create(&c->cache, err);
		if (!w->cache)
			return -1;
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			wm_cache_destroy(w->cache);
			w->cache = NULL;
			return wm_err_set(err, WM_E_INTERNAL, "cannot start a render worker: %s",
					  strerror(errno));
		}
		w->started = true;
	}
	return 0;
}

struct wm_jobs *wm_jobs_create(const struct wm_jobs_config *c, struct wm_err *err)
{
	struct wm_jobs *jobs = calloc(1, sizeof *jobs);
	if (!jobs)
		return wm_err_set(err, WM_E_INTERNAL, "out of memory for the render jobs"), NULL;
	snprintf(jobs->media_dir, sizeof jobs->media_dir, "%s", c->media_dir);
	jobs->media_max_bytes = c->media_max_bytes;
	snprintf(jobs->render_dir, sizeof jobs->render_dir, "%s", c->render_dir);
	jobs->channels = c->channels, jobs->zones = c->zones;
	for (int i = 0; c->mono && i < WM_MAX_CHANNELS; i++)
		jobs->mono[i] = c->mono[i];
	wm_jobs_set_cache_limits(jobs, c->cache.ttl_s, c->cache.max_entry_bytes);
	jobs->cache_off = !c->cache.address || strcmp(c->cache.address, "none") == 0;
	atomic_store(&jobs->cache_state, jobs->cache_off ? WM_JOBS_CACHE_OFF : WM_JOBS_CACHE_DOWN);
	jobs->queue_max = c->queue_max > 0 ? c->queue_max : WM_JOBS_QUEUE_DEFAULT;
	jobs->nworkers = c->workers > 0 ? c->workers : WM_JOBS_WORKERS_DEFAULT;
	if (jobs->nworkers > WM_JOBS_WORKERS_MAX)
		jobs->nworkers = WM_JOBS_WORKERS_MAX;
	jobs->next_id = 1;
	jobs->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&jobs->mutex, NULL);
	pthread_cond_init(&jobs->changed, NULL);
	if (jobs->event_fd < 0) {
		wm_err_set(err, WM_E_INTERNAL, "eventfd for render jobs: %s", strerror(errno));
		wm_jobs_destroy(jobs);
		return NULL;
	}
	if (start_workers(jobs, c, err) < 0) {
		wm_jobs_destroy(jobs);
		return NULL;
	}
	return jobs;
}

void wm_jobs_set_cache_limits(struct wm_jobs *jobs, int ttl_s, size_t max_entry_bytes)
{
	atomic_store(&jobs->ttl_s, ttl_s > 0 ? ttl_s : WM_CACHE_TTL_S_DEFAULT);
	atomic_store(&jobs->max_entry, max_entry_bytes ? max_entry_bytes
						       : WM_CACHE_MAX_ENTRY_DEFAULT);
}

void wm_jobs_destroy(struct wm_jobs *jobs)
{
	if (!jobs)
		return;
	pthread_mutex_lock(&jobs->mutex);
	jobs->stopping = true;
	for (int i = 0; i < WM_JOBS_KEEP; i++)
		if (jobs->slot[i].info.state == WM_JOB_RUNNING)
			atomic_store(&jobs->slot[i].cancel, true);
	pthread_cond_broadcast(&jobs->changed);
	pthread_mutex_unlock(&jobs->mutex);
	for (int i = 0; i < jobs->nworkers; i++) {
		if (jobs->worker[i].started)
			pthread_join(jobs->worker[i].thread, NULL);
		wm_cache_destroy(jobs->worker[i].cache);
	}
	for (int i = 0; i < WM_JOBS_KEEP; i++) {
		if (jobs->slot[i].req) {
			wm_render_request_free(jobs->slot[i].req);
			free(jobs->slot[i].req);
		}
		free(jobs->slot[i].scene_text);
	}
	if (jobs->event_fd >= 0)
		close(jobs->event_fd);
	pthread_cond_destroy(&jobs->changed);
	pthread_mutex_destroy(&jobs->mutex);
	free(jobs);
}
