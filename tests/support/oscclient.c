/* oscclient.c - OSC controller peers for the integration tests.
 *
 * A peer is a liblo UDP server bound to a kernel-chosen port plus the
 * daemon's address. One catch-all method copies every message it receives
 * into a queue of malloc'd messages (pointers stay valid while the queue
 * grows); tests take messages from it by path. Sends go out of the server's
 * socket, so the daemon sees the peer's port as the source and replies to
 * it. Runs on the thread that owns the peer. */
#include "tests/support/oscclient.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/proc.h"

#define MAX_QUEUE 200000        /* more is counted, not kept */

struct wm_osc_peer {
	lo_server srv;
	lo_address dst;
	int port, daemon_port;
	struct wm_osc_msg **q;
	size_t len, cap;
	size_t overflow;
	long next_seq;
};

int wm_osc_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof sa;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void quiet_error(int num, const char *msg, const char *where)
{
	(void)num;
	(void)msg;
	(void)where;
}

static void copy_arg(struct wm_osc_arg *a, char type, lo_arg *v)
{
	int32_t n;

	memset(a, 0, sizeof *a);
	a->type = type;
	switch (type) {
	case 'i': case 'c': case 'r': case 'm':
		memcpy(&a->i, v, sizeof a->i);
		break;
	case 'f':
		memcpy(&a->f, v, sizeof a->f);
		break;
	case 'd':
		memcpy(&a->d, v, sizeof a->d);
		break;
	case 'h': case 't':
		memcpy(&a->h, v, sizeof a->h);
		break;
	case 's': case 'S':
		a->s = strdup((const char *)v);
		break;
	case 'b':
		memcpy(&n, v, sizeof n);
		a->blob_len = n > 0 ? (size_t)n : 0;
		break;
	case 'T':
		a->i = 1;
		break;
	default:                /* F N I: no data */
		break;
	}
}

static int on_message(const char *path, const char *types, lo_arg **argv, int argc,
		      lo_message msg, void *user)
{
	struct wm_osc_peer *p = user;
	struct wm_osc_msg *m;

	(void)msg;
	if (!types)
		argc = 0;
	if (p->len == MAX_QUEUE) {
		p->overflow++;
		return 0;
	}
	if (p->len == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct wm_osc_msg **q = realloc(p->q, cap * sizeof *q);

		if (!q)
			return 0;
		p->q = q;
		p->cap = cap;
	}
	m = calloc(1, sizeof *m);
	if (!m)
		return 0;
	m->path = strdup(path);
	m->types = strdup(types ? types : "");
	m->argc = argc;
	m->argv = calloc(argc > 0 ? (size_t)argc : 1, sizeof *m->argv);
	for (int i = 0; i < argc; i++)
		copy_arg(&m->argv[i], types[i], argv[i]);
	m->seq = p->next_seq++;
	m->at_us = wm_now_us();
	p->q[p->len++] = m;
	return 0;
}

struct wm_osc_peer *wm_osc_peer_new(int daemon_port)
{
	struct wm_osc_peer *p = calloc(1, sizeof *p);
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	char port[16];

	if (!p)
		return NULL;
	p->daemon_port = daemon_port;
	p->srv = lo_server_new_with_proto("0", LO_UDP, quiet_error);
	if (!p->srv || getsockname(lo_server_get_socket_fd(p->srv), (struct sockaddr *)&sa,
				   &sl) != 0 || sa.sin_family != AF_INET) {
		wm_osc_peer_free(p);
		errno = EADDRNOTAVAIL;
		return NULL;
	}
	p->port = ntohs(sa.sin_port);
	snprintf(port, sizeof port, "%d", daemon_port);
	p->dst = lo_address_new_with_proto(LO_UDP, "127.0.0.1", port);
	if (!p->dst) {
		wm_osc_peer_free(p);
		return NULL;
	}
	lo_server_add_method(p->srv, NULL, NULL, on_message, p);
	return p;
}

void wm_osc_peer_free(struct wm_osc_peer *p)
{
	if (!p)
		return;
	wm_osc_clear(p);
	free(p->q);
	if (p->dst)
		lo_address_free(p->dst);
	if (p->srv)
		lo_server_free(p->srv);
	free(p);
}

int wm_osc_peer_port(const struct wm_osc_peer *p)
{
	return p->port;
}

lo_server wm_osc_peer_server(struct wm_osc_peer *p)
{
	return p->srv;
}

lo_address wm_osc_peer_target(struct wm_osc_peer *p)
{
	return p->dst;
}

int wm_osc_send_msg(struct wm_osc_peer *p, const char *path, lo_message m)
{
	int r;

	if (!m)
		return -1;
	r = lo_send_message_from(p->dst, p->srv, path, m);
	lo_message_free(m);
	return r < 0 ? -1 : 0;
}

int wm_osc_send_(struct wm_osc_peer *p, const char *path, const char *types, ...)
{
	lo_message m = lo_message_new();
	va_list ap;
	int r;

	if (!m)
		return -1;
	va_start(ap, types);
	r = lo_message_add_varargs(m, types, ap);
	va_end(ap);
	if (r != 0) {
		lo_message_free(m);
		return -1;
	}
	return wm_osc_send_msg(p, path, m);
}

int wm_osc_send_bundle(struct wm_osc_peer *p, lo_bundle b)
{
	int r = lo_send_bundle_from(p->dst, p->srv, b);

	lo_bundle_free_recursive(b);
	return r < 0 ? -1 : 0;
}

int wm_osc_send_raw(struct wm_osc_peer *p, const void *buf, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)p->daemon_port);
	if (sendto(lo_server_get_socket_fd(p->srv), buf, len, 0, (struct sockaddr *)&sa,
		   sizeof sa) != (ssize_t)len)
		return -1;
	return 0;
}

void wm_osc_pump(struct wm_osc_peer *p, int ms)
{
	long long deadline = wm_now_ms() + ms;

	for (;;) {
		long long left = deadline - wm_now_ms();

		if (lo_server_recv_noblock(p->srv, left > 0 ? (int)(left < 20 ? left : 20) : 0) > 0)
			continue;
		if (left <= 0)
			return;
	}
}

static struct wm_osc_msg *find_untaken(struct wm_osc_peer *p, const char *path)
{
	for (size_t i = 0; i < p->len; i++)
		if (!p->q[i]->taken && (!path || strcmp(p->q[i]->path, path) == 0))
			return p->q[i];
	return NULL;
}

const struct wm_osc_msg *wm_osc_take(struct wm_osc_peer *p, const char *path, int timeout_ms)
{
	long long deadline = wm_now_ms() + timeout_ms;
	struct wm_osc_msg *m;

	wm_osc_pump(p, 0);
	while (!(m = find_untaken(p, path))) {
		long long left = deadline - wm_now_ms();

		if (left <= 0)
			return NULL;
		lo_server_recv_noblock(p->srv, (int)(left < 20 ? left : 20));
	}
	m->taken = true;
	return m;
}

size_t wm_osc_count(const struct wm_osc_peer *p, const char *path)
{
	size_t n = 0;

	for (size_t i = 0; i < p->len; i++)
		if (!path || strcmp(p->q[i]->path, path) == 0)
			n++;
	return n + (path ? 0 : p->overflow);
}

void wm_osc_clear(struct wm_osc_peer *p)
{
	for (size_t i = 0; i < p->len; i++) {
		struct wm_osc_msg *m = p->q[i];

		for (int k = 0; k < m->argc; k++)
			free(m->argv[k].s);
		free(m->argv);
		free(m->path);
		free(m->types);
		free(m);
	}
	p->len = 0;
	p->overflow = 0;
}

static size_t msg_format(char *buf, size_t size, const struct wm_osc_msg *m)
{
	size_t n = (size_t)snprintf(buf, size, "%s", m->path);

	for (int i = 0; i < m->argc && n < size; i++) {
		const struct wm_osc_arg *a = &m->argv[i];

		switch (a->type) {
		case 'f':
			n += (size_t)snprintf(buf + n, size - n, " f %g", (double)a->f);
			break;
		case 'd':
			n += (size_t)snprintf(buf + n, size - n, " d %g", a->d);
			break;
		case 'i':
			n += (size_t)snprintf(buf + n, size - n, " i %d", (int)a->i);
			break;
		case 'h':
			n += (size_t)snprintf(buf + n, size - n, " h %lld", (long long)a->h);
			break;
		case 's': case 'S':
			n += (size_t)snprintf(buf + n, size - n, " %c \"%.300s\"", a->type,
					      a->s ? a->s : "");
			break;
		default:
			n += (size_t)snprintf(buf + n, size - n, " %c", a->type);
			break;
		}
	}
	return n < size ? n : size - 1;
}

const char *wm_osc_msg_str(const struct wm_osc_msg *m)
{
	static char buf[1024];

	if (!m)
		return "(none)";
	msg_format(buf, sizeof buf, m);
	return buf;
}

const char *wm_osc_dump(const struct wm_osc_peer *p)
{
	static char buf[4096];
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < p->len && n + 2 < sizeof buf; i++) {
		n += msg_format(buf + n, sizeof buf - n - 1, p->q[i]);
		buf[n++] = '\n';
		buf[n] = 0;
	}
	if (p->len == 0)
		snprintf(buf, sizeof buf, "(nothing received)");
	return buf;
}

double wm_osc_num(const struct wm_osc_msg *m, int i)
{
	if (!m || i >= m->argc)
		return NAN;
	switch (m->argv[i].type) {
	case 'f': return m->argv[i].f;
	case 'd': return m->argv[i].d;
	case 'i': return m->argv[i].i;
	case 'h': return (double)m->argv[i].h;
	default: return NAN;
	}
}

/* --- Check-asserting helpers -------------------------------------------- */

int wm_t_osc_daemon_start(struct wm_daemon *d, const char *base, int channels, int zones,
			  const char *mono)
{
	int port = wm_osc_free_port();
	char ps[16];
	const char *extra[] = { "--osc-port", ps, NULL };
	struct wm_osc_peer *p;
	const struct wm_osc_msg *m = NULL;

	ck_assert_msg(port > 0, "no free UDP port: %s", strerror(errno));
	snprintf(ps, sizeof ps, "%d", port);
	wm_t_daemon_start(d, base, channels, zones, mono, extra);
	p = wm_t_osc_peer(port);
	for (int i = 0; i < 50 && !m; i++) {
		wm_osc_send(p, "/ping", "");
		m = wm_osc_take(p, NULL, 100);
	}
	if (!m) {
		char *tail = wm_daemon_log_tail(d);

		wm_osc_peer_free(p);
		ck_abort_msg("washmixd --osc-port %d: no answer to /ping within 5 s\n"
			     "--- daemon log tail ---\n%s", port, tail);
	}
	wm_osc_peer_free(p);
	return port;
}

struct wm_osc_peer *wm_t_osc_peer(int daemon_port)
{
	struct wm_osc_peer *p = wm_osc_peer_new(daemon_port);

	ck_assert_msg(p != NULL, "cannot open an OSC peer: %s", strerror(errno));
	return p;
}

const struct wm_osc_msg *wm_t_osc_take(struct wm_osc_peer *p, const char *path, int timeout_ms)
{
	const struct wm_osc_msg *m = wm_osc_take(p, path, timeout_ms);

	ck_assert_msg(m != NULL, "port %d: no %s within %d ms; received:\n%s", p->port,
		      path ? path : "message", timeout_ms, wm_osc_dump(p));
	return m;
}

const struct wm_osc_msg *wm_t_osc_expect_num(struct wm_osc_peer *p, const char *path,
					     char type, double want, double tol)
{
	const struct wm_osc_msg *m = wm_t_osc_take(p, path, WM_T_OSC_TIMEOUT_MS);
	double got = wm_osc_num(m, 0);
	bool ok;

	ck_assert_msg(m->argc == 1 && m->types[0] == type,
		      "port %d: want %s with one '%c' argument; got %s", p->port, path, type,
		      wm_osc_msg_str(m));
	if (isinf(want))
		ok = isinf(got) && (got < 0) == (want < 0);
	else
		ok = fabs(got - want) <= tol;
	ck_assert_msg(ok, "port %d: want %s %c %g (+-%g); got %s", p->port, path, type, want, tol,
		      wm_osc_msg_str(m));
	return m;
}

const struct wm_osc_msg *wm_t_osc_expect_str(struct wm_osc_peer *p, const char *path,
					     const char *want)
{
	const struct wm_osc_msg *m = wm_t_osc_take(p, path, WM_T_OSC_TIMEOUT_MS);

	ck_assert_msg(m->argc == 1 && m->types[0] == 's' && strcmp(m->argv[0].s, want) == 0,
		      "port %d: want %s s \"%s\"; got %s", p->port, path, want, wm_osc_msg_str(m));
	return m;
}

const struct wm_osc_msg *wm_t_osc_expect_error(struct wm_osc_peer *p, const char *address,
					       const char *code)
{
	const struct wm_osc_msg *m = wm_t_osc_take(p, "/error", WM_T_OSC_TIMEOUT_MS);

	ck_assert_msg(m->argc == 3 && strcmp(m->types, "sss") == 0,
		      "port %d: /error must carry s(address) s(message) s(code); got %s", p->port,
		      wm_osc_msg_str(m));
	ck_assert_msg(strcmp(m->argv[0].s, address) == 0,
		      "port %d: /error names address \"%s\", want \"%s\": %s", p->port,
		      m->argv[0].s, address, wm_osc_msg_str(m));
	ck_assert_msg(m->argv[1].s[0] != 0, "port %d: /error without a message: %s", p->port,
		      wm_osc_msg_str(m));
	if (code)
		ck_assert_msg(strcmp(m->argv[2].s, code) == 0, "port %d: /error code \"%s\", want "
			      "\"%s\": %s", p->port, m->argv[2].s, code, wm_osc_msg_str(m));
	else
		ck_assert_msg(m->argv[2].s[0] != 0, "port %d: /error without a code: %s", p->port,
			      wm_osc_msg_str(m));
	return m;
}

void wm_t_osc_expect_none(struct wm_osc_peer *p, const char *path, int ms, const char *why)
{
	const struct wm_osc_msg *m = wm_osc_take(p, path, ms);

	ck_assert_msg(m == NULL, "port %d: %s, but got %s", p->port, why, wm_osc_msg_str(m));
}
