/* osc.h - the OSC server: UDP datagrams read by us (recvfrom into our own
 * buffer), checked by osc_packet's strict validator, decoded by liblo's
 * lo_message_deserialise, and run through the same parameter tree and
 * command table as the Unix socket. Subscribers get every change as
 * /PATH value and meters as one /meters message per update. Control thread
 * only; the socket lives in the control loop. docs/osc.md is the reference. */
#ifndef WM_OSC_H
#define WM_OSC_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "control/commands.h"
#include "control/loop.h"
#include "engine/engine.h"

#define WM_OSC_MAX_SUBSCRIBERS 32
#define WM_OSC_DEFAULT_LEASE_S 10.0
#define WM_OSC_RATE_PER_S 2000.0       /* default messages per source per second; a
					* bundle counts every message it holds */
#define WM_OSC_BURST 4000.0            /* default */
#define WM_OSC_ALLOW_DEFAULT "127.0.0.0/8,::1"
#define WM_OSC_ERRORS_PER_S 10.0       /* /error replies per source per second */
#define WM_OSC_METER_FLOOR_DB (-120.0)

struct wm_osc;

/* What may change while the server runs (wm_osc_set_access). */
struct wm_osc_access {
	const char *allow;             /* source networks (cidr.h); NULL: loopback only */
	double rate;                   /* messages per source per second; 0: unlimited */
	double burst;                  /* >= 1 */
};

struct wm_osc_config {
	const char *bind;              /* IPv4 or IPv6 address */
	int port;
	struct wm_osc_access access;
};

struct wm_osc_stats {
	uint64_t received;             /* datagrams */
	uint64_t malformed;            /* refused by the validator or liblo */
	uint64_t rate_limited;         /* packets dropped by the per-source budget */
	uint64_t refused_allow;        /* packets dropped: source not in the allow-list */
	uint64_t errors;               /* /error replies sent */
	uint64_t errors_suppressed;    /* /error replies not sent (per-source limit) */
	uint64_t sent;                 /* datagrams sent */
	uint64_t send_failures;
	int subscribers;               /* live change subscriptions */
	int meter_subscribers;         /* live meter subscriptions */
};

struct wm_osc *wm_osc_create(struct wm_loop *loop, const struct wm_osc_config *config,
			     const struct wm_cmd_env *env, struct wm_err *err);
void wm_osc_destroy(struct wm_osc *osc);

/* New allow-list and per-source rate for the running server, from the next
 * packet on. Nothing changes when the list is refused (WM_E_BAD_CONFIG).
 * Logs a warning when the server listens beyond loopback but the list
 * admits loopback sources only. */
int wm_osc_set_access(struct wm_osc *osc, const struct wm_osc_access *access,
		      struct wm_err *err);

/* Send a change to every live subscriber but the one it came from. */
void wm_osc_publish_change(struct wm_osc *osc, const struct wm_param_ref *ref,
			   const struct wm_value *value, const char *by);

/* Tell every live change subscriber that a scene was recalled:
 * /scene/current s NAME (to the one that asked as well). */
void wm_osc_publish_scene(struct wm_osc *osc, const char *name);

/* Send every change subscriber /ch/N/player s state s file f pos f len
 * (ch 1-based; info as cmd_player.c's reply). */
void wm_osc_publish_player(struct wm_osc *osc, int ch, const json_t *info);

/* True when some subscriber wants meters now. */
bool wm_osc_wants_meters(struct wm_osc *osc);

/* A new meter sweep (channels then zones, as the engine's records, indexed
 * channel 0.. then zone 0..): each meter subscriber gets it when its own
 * rate says so. */
void wm_osc_publish_meters(struct wm_osc *osc, int channels, int zones,
			   const struct wm_meter *meters);

void wm_osc_get_stats(struct wm_osc *osc, struct wm_osc_stats *stats);

/* Handle data[0..size) as a datagram just received from peer, as the
 * receive loop does after its allow-list check: the source's budget, the
 * validator, liblo, the handlers, the replies. For the fuzz harness
 * (tests/fuzz/fuzz_osc.c), which feeds datagrams without a socket. */
struct wm_osc_peer;
void wm_osc_handle_datagram(struct wm_osc *osc, const struct wm_osc_peer *peer, const void *data,
			    size_t size);

/* "udp 127.0.0.1:9000" */
const char *wm_osc_describe(const struct wm_osc *osc);

#endif
