/* oscclient.h - an OSC controller for the integration tests: a liblo UDP
 * server of its own (so replies come back to a known port), messages and
 * bundles sent from that server's socket to washmixd, raw datagrams sent
 * from the same socket (malformed packets), and everything received kept in
 * a queue the test reads with timeouts.
 *
 * Received arguments are copied out of liblo's lo_arg with memcpy (liblo
 * hands out under-aligned pointers). Each peer binds its own kernel-chosen
 * port, so a peer never inherits a subscription left behind by an earlier
 * test. The wm_t_* helpers fail the current Check test with what arrived.
 *
 * Threads: a peer belongs to one thread; two peers may run on two threads. */
#ifndef WM_T_OSCCLIENT_H
#define WM_T_OSCCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lo/lo.h>

#include "tests/support/daemon_fixture.h"

#define WM_T_OSC_TIMEOUT_MS 2000

struct wm_osc_arg {
	char type;              /* the OSC type tag */
	int32_t i;              /* i (also T = 1, F = 0) */
	int64_t h;              /* h */
	float f;                /* f */
	double d;               /* d */
	char *s;                /* s, S (NUL-terminated copy) */
	size_t blob_len;        /* b */
};

struct wm_osc_msg {
	char *path;
	char *types;            /* without the leading ',' */
	int argc;
	struct wm_osc_arg *argv;
	long seq;               /* arrival order within the peer, from 0 */
	long long at_us;        /* wm_now_us() when it was taken off the socket */
	bool taken;             /* returned by wm_osc_take() already */
};

struct wm_osc_peer;

/* A UDP port on 127.0.0.1 that nobody listens on right now (bind port 0,
 * read it, close). -1 on error. */
int wm_osc_free_port(void);

/* A controller talking to 127.0.0.1:daemon_port from a port of its own.
 * NULL on error (errno). */
struct wm_osc_peer *wm_osc_peer_new(int daemon_port);
void wm_osc_peer_free(struct wm_osc_peer *p);
int wm_osc_peer_port(const struct wm_osc_peer *p);   /* our local port */
lo_server wm_osc_peer_server(struct wm_osc_peer *p);
lo_address wm_osc_peer_target(struct wm_osc_peer *p);

/* Send one message: the types string first, then the values as for
 * lo_message_add (floats as double, i as int, h as int64_t, d as double,
 * s as const char *, b as lo_blob; T F N I take no value). "" sends a
 * message without arguments (a query). 0, or -1. */
#define wm_osc_send(p, path, ...) wm_osc_send_(p, path, __VA_ARGS__, LO_ARGS_END)
int wm_osc_send_(struct wm_osc_peer *p, const char *path, const char *types, ...);

/* A message built by the caller (freed here). */
int wm_osc_send_msg(struct wm_osc_peer *p, const char *path, lo_message m);
/* A bundle built by the caller (freed here, with its messages). */
int wm_osc_send_bundle(struct wm_osc_peer *p, lo_bundle b);
/* Bytes as they are, from the peer's socket. 0, or -1 with errno. */
int wm_osc_send_raw(struct wm_osc_peer *p, const void *buf, size_t len);

/* Receive whatever arrives during ms milliseconds (0: only what is there). */
void wm_osc_pump(struct wm_osc_peer *p, int ms);

/* The first message not yet taken whose path is `path` (NULL: any),
 * waiting up to timeout_ms; it is marked taken. NULL on timeout. The
 * message stays valid until wm_osc_clear or wm_osc_peer_free. */
const struct wm_osc_msg *wm_osc_take(struct wm_osc_peer *p, const char *path,
				     int timeout_ms);

/* Messages received so far (taken or not) with this path (NULL: all). */
size_t wm_osc_count(const struct wm_osc_peer *p, const char *path);
/* Forget everything received. */
void wm_osc_clear(struct wm_osc_peer *p);

/* "/ch/1/gain f -6" for messages (static buffer, overwritten). */
const char *wm_osc_msg_str(const struct wm_osc_msg *m);
/* Every message received so far, one per line, for failure messages
 * (static buffer, overwritten; truncated). */
const char *wm_osc_dump(const struct wm_osc_peer *p);

/* A number argument as double (f, d, i, h); NAN for anything else. */
double wm_osc_num(const struct wm_osc_msg *m, int i);

/* --- Check-asserting helpers -------------------------------------------- */

/* wm_t_daemon_start with OSC on: a free UDP port is chosen and passed as
 * --osc-port (after the fixture's "--osc-port 0": later flags win), then
 * the daemon must answer an OSC /ping on it within 5 s. Returns the port. */
int wm_t_osc_daemon_start(struct wm_daemon *d, const char *base, int channels, int zones,
			  const char *mono);

struct wm_osc_peer *wm_t_osc_peer(int daemon_port);

/* Fails unless a message with this path arrives within timeout_ms. */
const struct wm_osc_msg *wm_t_osc_take(struct wm_osc_peer *p, const char *path,
				       int timeout_ms);

/* Fails unless `path` arrives with one number argument of type `type`
 * ('f' or 'i') within tol of want (want may be -INFINITY). */
const struct wm_osc_msg *wm_t_osc_expect_num(struct wm_osc_peer *p, const char *path,
					     char type, double want, double tol);

/* Fails unless `path` arrives with one string argument equal to want. */
const struct wm_osc_msg *wm_t_osc_expect_str(struct wm_osc_peer *p, const char *path,
					     const char *want);

/* Fails unless /error arrives with "sss" whose address and code are as
 * given (code NULL: any non-empty code); returns it. */
const struct wm_osc_msg *wm_t_osc_expect_error(struct wm_osc_peer *p, const char *address,
					       const char *code);

/* Fails if a message with this path arrives (or is waiting untaken) within
 * ms; `why` explains the rule in the failure message. */
void wm_t_osc_expect_none(struct wm_osc_peer *p, const char *path, int ms, const char *why);

#endif
