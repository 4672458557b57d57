/* loop.h - the control thread's event loop: poll(2) over registered file
 * descriptors plus periodic timers, in the shape of Redis's ae.c and sndiod's
 * file.c. Single-threaded: every callback runs on the control thread, so the
 * state they touch needs no locks. */
#ifndef WM_LOOP_H
#define WM_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct wm_loop;

/* revents as poll(2) reports them. */
typedef void (*wm_loop_fd_cb)(struct wm_loop *loop, int fd, short revents, void *arg);
typedef void (*wm_loop_timer_cb)(struct wm_loop *loop, void *arg);

struct wm_loop *wm_loop_create(void);
void wm_loop_destroy(struct wm_loop *loop);

/* Watch fd for events (POLLIN, POLLOUT). Re-adding an fd updates it. */
int wm_loop_add_fd(struct wm_loop *loop, int fd, short events, wm_loop_fd_cb cb, void *arg);
int wm_loop_set_events(struct wm_loop *loop, int fd, short events);
void wm_loop_remove_fd(struct wm_loop *loop, int fd);

/* Call cb every interval_ms (first call after one interval). Returns an id. */
int wm_loop_add_timer(struct wm_loop *loop, int interval_ms, wm_loop_timer_cb cb, void *arg);
void wm_loop_remove_timer(struct wm_loop *loop, int id);

/* Run until wm_loop_stop. One iteration: poll, dispatch ready fds, then due
 * timers. Returns 0, or -1 when poll fails for a reason other than EINTR. */
int wm_loop_run(struct wm_loop *loop);
void wm_loop_stop(struct wm_loop *loop);

/* Monotonic clock in milliseconds. */
int64_t wm_loop_now_ms(void);

#endif
