/* sock.h - the Unix-socket server of the line protocol: a listener and its
 * clients, all on the control thread's loop. Per client: an input buffer of
 * one line (4096 bytes), an output queue with limits, replies in request
 * order, and subscriptions to event topics. A request line must be finished
 * within line_timeout_s of its first byte, or the client gets a line_timeout
 * error and is closed; connections with no partial line may idle forever.
 * A client that does not read its output never blocks the daemon: its
 * events are dropped and counted (it is told how many later), and its
 * further requests wait unread until it catches up, so its queue stays
 * bounded. */
#ifndef WM_SOCK_H
#define WM_SOCK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "control/commands.h"
#include "control/loop.h"

#define WM_SOCK_MAX_LINE 4096                   /* bytes, including the newline */
#define WM_SOCK_DEFAULT_MAX_CLIENTS 256
#define WM_SOCK_EVENT_QUEUE_MAX ((size_t)256 * 1024)    /* bytes queued before events drop */
#define WM_SOCK_READ_PAUSE ((size_t)1024 * 1024)        /* queued bytes that pause reading */
#define WM_SOCK_RATE_DEFAULT 5000.0     /* requests per connection per second */
#define WM_SOCK_BURST_DEFAULT 20000.0   /* requests a connection may send at once */
#define WM_SOCK_LINE_TIMEOUT_DEFAULT_S 10 /* a request line ends this soon after its start */
#define WM_SOCK_LINE_TIMEOUT_MAX_S 3600

struct wm_sock;

/* What may change while the socket runs (wm_sock_set_access). */
struct wm_sock_access {
	const char *allow;          /* peer allow-list (peer_allow.h); NULL or "": everyone */
	double rate;                /* requests per second per connection; 0: unlimited */
	double burst;               /* >= 1 */
};

struct wm_sock_config {
	const char *path;
	int max_clients;            /* 0: default */
	int line_timeout_s;         /* seconds from a line's first byte to its newline; 0: default */
	mode_t mode;                /* socket file mode; 0: 0660 */
	int listen_fd;              /* >= 0: an already bound socket (activation) */
	bool set_group;             /* chown the socket file to group */
	gid_t group;
	struct wm_sock_access access;
};

struct wm_sock_stats {
	uint64_t accepted;          /* connections accepted */
	uint64_t refused_busy;      /* connections turned away at max_clients */
	uint64_t requests;          /* request lines answered */
	uint64_t errors;            /* of which error replies */
	uint64_t events_dropped;    /* events not queued for slow subscribers */
	uint64_t paused;            /* times a client's reading paused for backlog */
	uint64_t refused_allow;     /* connections refused by the allow-list */
	uint64_t rate_limited;      /* requests answered rate_limited */
	uint64_t line_timeouts;     /* connections closed for a line not finished in time */
	int clients;                /* connected now */
	int subscribers;            /* of which subscribed to something */
};

/* Create the socket file (replacing a stale one, refusing when another
 * daemon answers on it) and start accepting. */
struct wm_sock *wm_sock_create(struct wm_loop *loop, const struct wm_sock_config *config,
			       const struct wm_cmd_env *env, struct wm_err *err);

/* Close every client, the listener, and remove the socket file. */
void wm_sock_destroy(struct wm_sock *sock);

/* Send an event object to every client subscribed to topic. Takes no
 * ownership of event. */
void wm_sock_publish(struct wm_sock *sock, enum wm_topic topic, json_t *event);

/* True when any client listens to topic (lets callers skip building events). */
bool wm_sock_has_subscribers(const struct wm_sock *sock, enum wm_topic topic);

/* New allow-list and rate for the running socket: the allow-list applies to
 * connections made from now on, the rate to every connection. Nothing
 * changes when the allow-list is refused (WM_E_BAD_CONFIG). */
int wm_sock_set_access(struct wm_sock *sock, const struct wm_sock_access *access,
		       struct wm_err *err);

void wm_sock_get_stats(const struct wm_sock *sock, struct wm_sock_stats *stats);

#endif
