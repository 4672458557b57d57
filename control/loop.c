/* loop.c - poll(2) loop over fds and periodic timers. Control thread only.
 * Removing an fd from inside a callback is safe: slots are marked free and
 * compacted between iterations, never while dispatching. */
#include "control/loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct watch {
	int fd;            /* -1 when the slot is free */
	short events;
	wm_loop_fd_cb cb;
	void *arg;
};

struct timer {
	int id;            /* 0 when the slot is free */
	int interval_ms;
	int64_t due_ms;
	wm_loop_timer_cb cb;
	void *arg;
};

#define MAX_TIMERS 16

struct wm_loop {
	struct watch *watches;
	struct pollfd *pfds;
	size_t nwatches, capacity;
	struct timer timers[MAX_TIMERS];
	int next_timer_id;
	bool stopping;
};

int64_t wm_loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct wm_loop *wm_loop_create(void)
{
	struct wm_loop *loop = calloc(1, sizeof *loop);
	if (!loop)
		return NULL;
	loop->next_timer_id = 1;
	return loop;
}

void wm_loop_destroy(struct wm_loop *loop)
{
	if (!loop)
		return;
	free(loop->watches);
	free(loop->pfds);
	free(loop);
}

static struct watch *find_watch(struct wm_loop *loop, int fd)
{
	for (size_t i = 0; i < loop->nwatches; i++)
		if (loop->watches[i].fd == fd)
			return &loop->watches[i];
	return NULL;
}

static int grow(struct wm_loop *loop)
{
	size_t cap = loop->capacity ? loop->capacity * 2 : 16;
	struct watch *w = realloc(loop->watches, cap * sizeof *w);
	if (!w)
		return -1;
	loop->watches = w;
	struct pollfd *p = realloc(loop->pfds, cap * sizeof *p);
	if (!p)
		return -1;
	loop->pfds = p;
	loop->capacity = cap;
	return 0;
}

int wm_loop_add_fd(struct wm_loop *loop, int fd, short events, wm_loop_fd_cb cb, void *arg)
{
	struct watch *w = find_watch(loop, fd);
	if (!w) {
		if (loop->nwatches == loop->capacity && grow(loop) < 0)
			return -1;
		w = &loop->watches[loop->nwatches++];
	}
	*w = (struct watch){ .fd = fd, .events = events, .cb = cb, .arg = arg };
	return 0;
}

int wm_loop_set_events(struct wm_loop *loop, int fd, short events)
{
	struct watch *w = find_watch(loop, fd);
	if (!w)
		return -1;
	w->events = events;
	return 0;
}

void wm_loop_remove_fd(struct wm_loop *loop, int fd)
{
	struct watch *w = find_watch(loop, fd);
	if (w)
		w->fd = -1;
}

int wm_loop_add_timer(struct wm_loop *loop, int interval_ms, wm_loop_timer_cb cb, void *arg)
{
	for (int i = 0; i < MAX_TIMERS; i++) {
		struct timer *t = &loop->timers[i];
		if (t->id)
			continue;
		*t = (struct timer){ .id = loop->next_timer_id++, .interval_ms = interval_ms,
				     .due_ms = wm_loop_now_ms() + interval_ms, .cb = cb, .arg = arg };
		return t->id;
	}
	return -1;
}

void wm_loop_remove_timer(struct wm_loop *loop, int id)
{
	for (int i = 0; i < MAX_TIMERS; i++)
		if (loop->timers[i].id == id)
			loop->timers[i].id = 0;
}

void wm_loop_stop(struct wm_loop *loop)
{
	loop->stopping = true;
}

static void compact(struct wm_loop *loop)
{
	size_t j = 0;
	for (size_t i = 0; i < loop->nwatches; i++)
		if (loop->watches[i].fd >= 0)
			loop->watches[j++] = loop->watches[i];
	loop->nwatches = j;
}

static int next_timeout_ms(const struct wm_loop *loop, int64_t now)
{
	int64_t timeout = 1000;
	for (int i = 0; i < MAX_TIMERS; i++) {
		const struct timer *t = &loop->timers[i];
		if (t->id && t->due_ms - now < timeout)
			timeout = t->due_ms - now;
	}
	return timeout < 0 ? 0 : (int)timeout;
}

static void run_timers(struct wm_loop *loop)
{
	int64_t now = wm_loop_now_ms();
	for (int i = 0; i < MAX_TIMERS; i++) {
		struct timer *t = &loop->timers[i];
		if (!t->id || t->due_ms > now)
			continue;
		/* Skip missed ticks rather than firing a burst after a stall. */
		t->due_ms += t->interval_ms;
		if (t->due_ms <= now)
			t->due_ms = now + t->interval_ms;
		t->cb(loop, t->arg);
	}
}

int wm_loop_run(struct wm_loop *loop)
{
	loop->stopping = false;
	while (!loop->stopping) {
		compact(loop);
		size_t n = loop->nwatches;
		for (size_t i = 0; i < n; i++)
			loop->pfds[i] = (struct pollfd){ .fd = loop->watches[i].fd,
							 .events = loop->watches[i].events };
		int r = poll(loop->pfds, n, next_timeout_ms(loop, wm_loop_now_ms()));
		if (r < 0 && errno != EINTR)
			return -1;
		for (size_t i = 0; r > 0 && i < n && !loop->stopping; i++) {
			short rev = loop->pfds[i].revents;
			struct watch *w = &loop->watches[i];
			/* The slot may have been freed or reused by an earlier callback. */
			if (!rev || w->fd != loop->pfds[i].fd)
				continue;
			w->cb(loop, w->fd, rev, w->arg);
		}
		if (!loop->stopping)
			run_timers(loop);
	}
	return 0;
}
