/* render_hub.h - the daemon's side of render jobs: creates the jobs
 * (render/jobs.h: queue, workers, cache) from the settings, gives the
 * command env its render ops, takes job events on the control thread (the
 * jobs' eventfd in the loop, plus a 250 ms progress tick) and sends them to
 * socket subscribers of the "jobs" topic, and adds the "cache" subsystem to
 * health and "render" counters to stats. Control thread only. */
#ifndef WM_RENDER_HUB_H
#define WM_RENDER_HUB_H

#include <jansson.h>
#include <stdbool.h>

#include "control/commands.h"
#include "daemon/config.h"

struct wm_jobs;
struct wm_loop;
struct wm_sock;

struct wm_render_hub {
	struct wm_jobs *jobs;
	struct wm_sock *sock;          /* may be NULL until created */
	struct wm_loop *loop;
	int timer;
};

/* Start the workers and watch their events in loop. */
int wm_render_hub_start(struct wm_render_hub *hub, const struct wm_config *config,
			struct wm_loop *loop, struct wm_err *err);
/* Cancel and join the workers. */
void wm_render_hub_stop(struct wm_render_hub *hub);

/* A reload's new cache TTL and entry limit, for renders stored from now. */
void wm_render_hub_set_cache_limits(struct wm_render_hub *hub, int ttl_s, size_t max_entry);

struct wm_render_ops wm_render_hub_ops(struct wm_render_hub *hub);

/* The "cache" subsystem line; true when it makes the status degraded. */
bool wm_render_hub_health(struct wm_render_hub *hub, json_t *subsystems);
void wm_render_hub_stats(struct wm_render_hub *hub, json_t *reply);

#endif
