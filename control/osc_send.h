/* osc_send.h - encoding and sending OSC from the server's own UDP socket, so
 * replies and feedback come from the port controllers talk to. Peers are
 * plain socket addresses; "by" names ("osc 192.168.1.20:9001") identify them
 * in change events. Control thread only. */
#ifndef WM_OSC_SEND_H
#define WM_OSC_SEND_H

#include <lo/lo.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "engine/params.h"

struct wm_osc_peer {
	struct sockaddr_storage addr;
	socklen_t len;
};

struct wm_osc_out {
	int fd;
	uint64_t sent, failures;
};

bool wm_osc_peer_equal(const struct wm_osc_peer *a, const struct wm_osc_peer *b);

/* "osc ADDR:PORT" (IPv6 in brackets). */
void wm_osc_peer_name(const struct wm_osc_peer *peer, char *buf, size_t len);

/* Serialise msg to path and send it to peer; frees nothing. */
void wm_osc_send(struct wm_osc_out *out, const struct wm_osc_peer *peer, const char *path,
		 lo_message msg);

/* Add a parameter value with the type controllers expect: f for dB and
 * floats (-inf dB as the float -inf), i 0/1 for bools, s for names. */
void wm_osc_add_value(lo_message msg, const struct wm_value *value);

/* Send "/PATH value" for ref to peer. */
void wm_osc_send_value(struct wm_osc_out *out, const struct wm_osc_peer *peer,
		       const struct wm_param_ref *ref, const struct wm_value *value);

#endif
