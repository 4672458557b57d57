/* pingprobe.h - a control-socket latency probe for fault tests: a thread of
 * its own opens one connection and sends `ping` every interval_ms, timing
 * each round trip, until stopped; the test thread then reads the figures
 * and asserts on them (Check asserts belong to the test thread only).
 *
 * A ping that gets no reply within 1 s ends the probe and is counted as a
 * failure, with its latency recorded as the time waited. */
#ifndef WM_T_PINGPROBE_H
#define WM_T_PINGPROBE_H

#include <stddef.h>

struct wm_pingprobe;

struct wm_ping_stats {
	size_t pings;           /* round trips measured */
	size_t failures;        /* pings without a well-formed ok reply */
	long long p50_us, p99_us, max_us;
	char first_failure[160];
};

/* Connect to sock_path and start pinging. NULL when the connection or the
 * thread cannot be made. */
struct wm_pingprobe *wm_pingprobe_start(const char *sock_path, int interval_ms);

/* Stop the thread, close the connection, fill stats, free the probe. */
void wm_pingprobe_stop(struct wm_pingprobe *p, struct wm_ping_stats *stats);

/* "pings=N p50=…ms p99=…ms max=…ms failures=N" for messages (static buffer). */
const char *wm_ping_stats_str(const struct wm_ping_stats *s);

/* Check-asserting wrappers for the test thread: start a probe pinging every
 * 5 ms; stop it, print its figures on stderr ("probe during WHAT: ...") and
 * fail unless every ping was answered and p99 is under 10 ms. */
#define WM_T_PROBE_INTERVAL_MS 5
#define WM_T_PROBE_P99_LIMIT_US 10000
struct wm_pingprobe *wm_t_pingprobe_start(const char *sock_path);
void wm_t_pingprobe_check(struct wm_pingprobe *p, const char *during);

#endif
