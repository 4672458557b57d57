/* notify.c - sd_notify(3) messages and the watchdog decision (see
 * notify.h). Control thread only. libsystemd's sd_notify returns 0 and
 * sends nothing when NOTIFY_SOCKET is unset, which makes every call here a
 * no-op outside systemd. */
#include "daemon/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "common/log.h"
#include "control/loop.h"

#define TICK_MAX_MS 1000

struct wm_notify {
	bool enabled;
	uint64_t watchdog_usec;
	bool have_heartbeat;           /* heartbeat below holds a real sample */
	uint64_t heartbeat;            /* the callback's count at the previous tick */
	bool withholding;              /* pings stopped: the engine is stuck */
	int64_t stuck_since_ms;
	char status[WM_NOTIFY_STATUS_MAX];   /* the last STATUS= sent */
};

struct wm_notify *wm_notify_create(void)
{
	struct wm_notify *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	const char *socket = getenv("NOTIFY_SOCKET");
	n->enabled = socket && *socket;
	uint64_t usec = 0;
	/* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is us. */
	if (n->enabled && sd_watchdog_enabled(0, &usec) > 0)
		n->watchdog_usec = usec;
	if (n->enabled)
		wm_info("notify.enabled", "socket=\"%s\" watchdog_ms=%llu", socket,
			(unsigned long long)(n->watchdog_usec / 1000));
	return n;
}

void wm_notify_destroy(struct wm_notify *n)
{
	free(n);
}

bool wm_notify_enabled(const struct wm_notify *n)
{
	return n->enabled;
}

uint64_t wm_notify_watchdog_usec(const struct wm_notify *n)
{
	return n->watchdog_usec;
}

int wm_notify_tick_ms(const struct wm_notify *n)
{
	if (!n->enabled)
		return 0;
	uint64_t ms = n->watchdog_usec / 4000;
	if (!n->watchdog_usec || ms > TICK_MAX_MS)
		return TICK_MAX_MS;
	return ms ? (int)ms : 1;
}

static void send_state(const char *state)
{
	int r = sd_notify(0, state);
	if (r < 0)
		wm_debug("notify.failed", "error=\"%s\"", strerror(-r));
}

static void send_status(struct wm_notify *n, const char *status, const char *extra)
{
	char msg[WM_NOTIFY_STATUS_MAX + 32];
	snprintf(msg, sizeof msg, "%sSTATUS=%s", extra, status);
	send_state(msg);
	snprintf(n->status, sizeof n->status, "%s", status);
}

void wm_notify_ready(struct wm_notify *n, const char *status)
{
	if (!n->enabled)
		return;
	send_status(n, status, "READY=1\n");
}

void wm_notify_stopping(struct wm_notify *n)
{
	if (n->enabled)
		send_state("STOPPING=1\nSTATUS=stopping");
}

/* The decision notify.h describes; logs when pings stop and resume. */
static bool engine_alive(struct wm_notify *n, bool jack_connected, uint64_t heartbeat)
{
	bool advanced = !n->have_heartbeat || heartbeat != n->heartbeat;
	n->heartbeat = heartbeat;
	n->have_heartbeat = true;
	bool alive = !jack_connected || advanced;
	int64_t now = wm_loop_now_ms();
	if (!alive && !n->withholding) {
		n->withholding = true;
		n->stuck_since_ms = now;
		wm_warn("watchdog.withheld", "msg=\"the JACK process callback has not advanced "
			"since the last tick; no WATCHDOG=1 until it does\"");
	} else if (alive && n->withholding) {
		n->withholding = false;
		wm_warn("watchdog.resumed", "stuck_ms=%lld", (long long)(now - n->stuck_since_ms));
	}
	return alive;
}

bool wm_notify_tick(struct wm_notify *n, const char *status, bool jack_connected,
		    uint64_t heartbeat)
{
	if (!n->enabled)
		return false;
	if (strcmp(status, n->status) != 0)
		send_status(n, status, "");
	if (!n->watchdog_usec || !engine_alive(n, jack_connected, heartbeat))
		return false;
	send_state("WATCHDOG=1");
	return true;
}

static const char *str_at(const json_t *obj, const char *a, const char *b)
{
	const json_t *v = json_object_get(json_object_get(obj, a), b);
	return json_is_string(v) ? json_string_value(v) : "?";
}

static long long int_at(const json_t *obj, const char *key)
{
	return (long long)json_integer_value(json_object_get(obj, key));
}

void wm_notify_status_line(const json_t *health, char *out, size_t len)
{
	const json_t *jack = json_object_get(health, "jack");
	const json_t *subs = json_object_get(health, "subsystems");
	const json_t *status = json_object_get(health, "status");
	const char *state = json_is_string(status) ? json_string_value(status) : "?";
	char engine[160];
	if (json_is_true(json_object_get(jack, "connected")))
		snprintf(engine, sizeof engine, "%lld Hz/%lld", int_at(jack, "sample_rate"),
			 int_at(jack, "period"));
	else
		snprintf(engine, sizeof engine, "no JACK (server \"%.64s\"), reconnecting",
			 str_at(health, "jack", "server"));
	int n = snprintf(out, len, "%s: %s, %lld xruns, cache %s, %s", state, engine,
			 int_at(jack, "xruns"), str_at(subs, "cache", "state"),
			 str_at(subs, "players", "detail"));
	const char *files = str_at(subs, "state", "state");
	if (n >= 0 && (size_t)n < len && strcmp(files, "ok") != 0 && strcmp(files, "?") != 0)
		snprintf(out + n, len - (size_t)n, ", state folder %s", files);
}
