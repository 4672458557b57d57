/* notify.h - washmixd's link to its service manager (sd_notify(3)):
 * READY=1 once the JACK ports and the control sockets are up, STATUS= with
 * a one-line health summary whenever it changes, WATCHDOG=1 while the
 * daemon is alive, STOPPING=1 on the way out. Without NOTIFY_SOCKET in the
 * environment every call is a no-op.
 *
 * Watchdog policy. The pings come from a control-loop timer, so a stuck
 * control loop stops them. On each tick:
 *   - JACK connected and the process callback completed a cycle since the
 *     previous tick: ping;
 *   - JACK connected but no cycle since the previous tick: the callback is
 *     stuck (or jackd is frozen): no ping, and systemd restarts us after
 *     WatchdogSec unless it recovers first;
 *   - JACK known to be gone (washmixd reconnects by itself): ping. A
 *     restart of washmixd cannot bring jackd back; health and STATUS= say
 *     "down" instead.
 * Control thread only. */
#ifndef WM_NOTIFY_H
#define WM_NOTIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WM_NOTIFY_STATUS_MAX 256

struct wm_notify;

/* Reads NOTIFY_SOCKET and WATCHDOG_USEC (and WATCHDOG_PID) once. NULL only
 * when out of memory. */
struct wm_notify *wm_notify_create(void);
void wm_notify_destroy(struct wm_notify *n);

/* NOTIFY_SOCKET was set. */
bool wm_notify_enabled(const struct wm_notify *n);

/* The watchdog interval systemd asked for, in microseconds; 0 = none. */
uint64_t wm_notify_watchdog_usec(const struct wm_notify *n);

/* How often to call wm_notify_tick, in ms: a quarter of the watchdog
 * interval, at most 1000 (so STATUS= stays fresh); 0 when disabled. */
int wm_notify_tick_ms(const struct wm_notify *n);

/* READY=1 together with the first STATUS=. */
void wm_notify_ready(struct wm_notify *n, const char *status);

/* One tick: STATUS= when the line changed since the last one sent, then
 * the watchdog decision above. heartbeat is the process callback's cycle
 * count. Returns true when it pinged. */
bool wm_notify_tick(struct wm_notify *n, const char *status, bool jack_connected,
		    uint64_t heartbeat);

/* STOPPING=1. */
void wm_notify_stopping(struct wm_notify *n);

/* The STATUS= line for a `health` reply, e.g.
 * "ok: 48000 Hz/256, 0 xruns, cache ok, 2 playing" or
 * "down: no JACK (server \"default\"), reconnecting, 3 xruns, cache off, ...";
 * the reason is in `health`. */
void wm_notify_status_line(const json_t *health, char *out, size_t len);

#endif
