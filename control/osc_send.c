/* osc_send.c - OSC encoding with liblo, sending with sendto on our socket
 * (control thread). */
#include "control/osc_send.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool wm_osc_peer_equal(const struct wm_osc_peer *a, const struct wm_osc_peer *b)
{
	return a->len == b->len && memcmp(&a->addr, &b->addr, a->len) == 0;
}

void wm_osc_peer_name(const struct wm_osc_peer *peer, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (peer->addr.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&peer->addr;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		port = ntohs(in->sin_port);
		snprintf(buf, len, "osc %s:%u", host, port);
	} else if (peer->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&peer->addr;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		port = ntohs(in6->sin6_port);
		snprintf(buf, len, "osc [%s]:%u", host, port);
	} else {
		snprintf(buf, len, "osc ?");
	}
}

void wm_osc_send(struct wm_osc_out *out, const struct wm_osc_peer *peer, const char *path,
		 lo_message msg)
{
	uint8_t stack[2048];
	size_t need = lo_message_length(msg, path);
	uint8_t *buf = need <= sizeof stack ? stack : malloc(need);
	size_t size = need;
	if (!buf || !lo_message_serialise(msg, path, buf, &size)) {
		out->failures++;
		goto out_free;
	}
	if (sendto(out->fd, buf, size, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (const struct sockaddr *)&peer->addr, peer->len) == (ssize_t)size)
		out->sent++;
	else
		out->failures++; /* a full socket buffer or a gone peer: UDP drops */
out_free:
	if (buf != stack)
		free(buf);
}

void wm_osc_add_value(lo_message msg, const struct wm_value *value)
{
	switch (value->type) {
	case WM_TYPE_DB:
	case WM_TYPE_FLOAT:
		lo_message_add_float(msg, (float)value->num);
		break;
	case WM_TYPE_BOOL:
		lo_message_add_int32(msg, value->on ? 1 : 0);
		break;
	case WM_TYPE_STRING:
	case WM_TYPE_ENUM: /* by name */
		lo_message_add_string(msg, value->text);
		break;
	}
}

void wm_osc_send_value(struct wm_osc_out *out, const struct wm_osc_peer *peer,
		       const struct wm_param_ref *ref, const struct wm_value *value)
{
	char path[64];
	path[0] = '/';
	wm_param_format_path(ref, path + 1, sizeof path - 1);
	lo_message msg = lo_message_new();
	if (!msg)
		return;
	wm_osc_add_value(msg, value);
	wm_osc_send(out, peer, path, msg);
	lo_message_free(msg);
}
