/* sockclient.c - line-protocol client used by the integration tests.
 *
 * A growable input buffer holds what the socket delivered; lines are cut at
 * '\n'. Event lines met while looking for a reply go to a FIFO (bounded; the
 * overflow is counted, not kept) so that tests can interleave requests with
 * a subscription. Sends use MSG_NOSIGNAL and a 5 s send timeout so that a
 * daemon that stops reading fails the test instead of hanging it. */
#include "tests/support/sockclient.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/support/proc.h"

#define MAX_BUF (64u << 20)
#define MAX_EVENTS 200000

struct wm_client {
	int fd;
	char *buf;
	size_t len, cap;
	bool eof;
	char **events;          /* FIFO of event lines */
	size_t ev_head, ev_len, ev_cap;
	size_t ev_dropped;
};

struct wm_client *wm_client_connect(const char *sock_path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long long deadline = wm_now_ms() + timeout_ms;
	struct timeval tv = { 5, 0 };
	struct wm_client *c;
	int fd, e;

	if (strlen(sock_path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return NULL;
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			break;
		e = errno;
		close(fd);
		if ((e != ECONNREFUSED && e != ENOENT && e != EAGAIN) ||
		    wm_now_ms() >= deadline) {
			errno = e;
			return NULL;
		}
		wm_sleep_ms(20);
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	return c;
}

void wm_client_close(struct wm_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	for (size_t i = 0; i < c->ev_len; i++)
		free(c->events[(c->ev_head + i) % c->ev_cap]);
	free(c->events);
	free(c->buf);
	free(c);
}

int wm_client_fd(const struct wm_client *c)
{
	return c->fd;
}

int wm_client_send_raw(struct wm_client *c, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int wm_client_sendf(struct wm_client *c, const char *fmt, ...)
{
	char stackbuf[8192], *heap = NULL, *line = stackbuf;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(stackbuf, sizeof stackbuf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof stackbuf - 1) {
		heap = malloc((size_t)n + 2);
		if (!heap)
			return -1;
		va_start(ap, fmt);
		vsnprintf(heap, (size_t)n + 1, fmt, ap);
		va_end(ap);
		line = heap;
	}
	line[n] = '\n';
	rc = wm_client_send_raw(c, line, (size_t)n + 1);
	free(heap);
	return rc;
}

/* Cut one line out of the buffer if there is one. */
static char *take_line(struct wm_client *c)
{
	char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL, *line;
	size_t n;

	if (!nl)
		return NULL;
	n = (size_t)(nl - c->buf);
	line = malloc(n + 1);
	if (!line)
		return NULL;
	memcpy(line, c->buf, n);
	line[n] = 0;
	memmove(c->buf, nl + 1, c->len - n - 1);
	c->len -= n + 1;
	return line;
}

/* One line from the socket, events included. */
static int raw_line(struct wm_client *c, int timeout_ms, char **line)
{
	long long deadline = wm_now_ms() + timeout_ms;

	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		long long left;
		ssize_t n;

		*line = take_line(c);
		if (*line)
			return 1;
		if (c->eof)
			return 0;
		if (c->cap - c->len < 65536) {
			size_t ncap = c->cap ? c->cap * 2 : 131072;
			char *nb;

			if (ncap > MAX_BUF) {
				errno = EMSGSIZE;
				return -1;
			}
			nb = realloc(c->buf, ncap);
			if (!nb)
				return -1;
			c->buf = nb;
			c->cap = ncap;
		}
		left = deadline - wm_now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n <= 0)
			continue;
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && errno != ECONNRESET)
			return -1;
		if (n <= 0)
			c->eof = true;
		else
			c->len += (size_t)n;
	}
}

static bool is_event_line(const char *line)
{
	json_t *j = json_loads(line, 0, NULL);
	bool ev = json_is_object(j) && json_object_get(j, "event") &&
		  !json_object_get(j, "ok");

	json_decref(j);
	return ev;
}

static void push_event(struct wm_client *c, char *line)
{
	if (c->ev_len == c->ev_cap) {
		size_t ncap = c->ev_cap ? c->ev_cap * 2 : 64;
		char **ne;

		if (ncap > MAX_EVENTS || !(ne = malloc(ncap * sizeof *ne))) {
			free(line);
			c->ev_dropped++;
			return;
		}
		for (size_t i = 0; i < c->ev_len; i++)
			ne[i] = c->events[(c->ev_head + i) % c->ev_cap];
		free(c->events);
		c->events = ne;
		c->ev_cap = ncap;
		c->ev_head = 0;
	}
	c->events[(c->ev_head + c->ev_len) % c->ev_cap] = line;
	c->ev_len++;
}

int wm_client_read_line(struct wm_client *c, int timeout_ms, char **line)
{
	long long deadline = wm_now_ms() + timeout_ms;

	for (;;) {
		long long left = deadline - wm_now_ms();
		int rc = raw_line(c, left > 0 ? (int)left : 0, line);

		if (rc <= 0)
			return rc;
		if (!is_event_line(*line))
			return 1;
		push_event(c, *line);
	}
}

json_t *wm_client_read_reply(struct wm_client *c, int timeout_ms, char **raw,
			     const char **why)
{
	static char jerr[256];
	json_error_t je;
	char *line = NULL;
	json_t *j;
	int rc = wm_client_read_line(c, timeout_ms, &line);

	if (raw)
		*raw = NULL;
	if (rc <= 0) {
		if (why)
			*why = rc == 0 ? "connection closed by the daemon" :
			       errno == ETIMEDOUT ? "no reply within the timeout" : strerror(errno);
		if (raw)
			*raw = strdup("");
		return NULL;
	}
	j = json_loads(line, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(j)) {
		snprintf(jerr, sizeof jerr, "not a JSON object (%s at column %d)",
			 j ? "valid JSON" : je.text, je.column);
		if (why)
			*why = jerr;
		json_decref(j);
		if (raw)
			*raw = line;
		else
			free(line);
		return NULL;
	}
	if (raw)
		*raw = line;
	else
		free(line);
	return j;
}

json_t *wm_client_read_event(struct wm_client *c, int timeout_ms)
{
	long long deadline = wm_now_ms() + timeout_ms;
	char *line;

	for (;;) {
		long long left;

		if (c->ev_len > 0) {
			line = c->events[c->ev_head];
			c->ev_head = (c->ev_head + 1) % c->ev_cap;
			c->ev_len--;
		} else {
			left = deadline - wm_now_ms();
			if (raw_line(c, left > 0 ? (int)left : 0, &line) <= 0)
				return NULL;
		}
		json_t *j = json_loads(line, 0, NULL);

		free(line);
		if (json_is_object(j) && json_object_get(j, "event"))
			return j;
		json_decref(j);         /* a stray reply: not an event */
	}
}

size_t wm_client_pending_events(const struct wm_client *c)
{
	return c->ev_len;
}

json_t *wm_client_request(struct wm_client *c, int timeout_ms, const char *line)
{
	if (wm_client_sendf(c, "%s", line) < 0)
		return NULL;
	return wm_client_read_reply(c, timeout_ms, NULL, NULL);
}

json_t *wm_t_list_find(json_t *params, const char *path, int *count)
{
	json_t *found = NULL, *p;
	size_t i;

	*count = 0;
	json_array_foreach(params, i, p) {
		if (strcmp(wm_t_strval(json_object_get(p, "path")), path) == 0) {
			found = p;
			(*count)++;
		}
	}
	return found;
}

const char *wm_t_strval(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "";
}

const char *wm_t_error_code(const json_t *r)
{
	return wm_t_strval(json_object_get(json_object_get(r, "error"), "code"));
}

const char *wm_t_json_str(const json_t *r)
{
	static char buf[4096];
	char *s = r ? json_dumps(r, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	snprintf(buf, sizeof buf, "%s", s ? s : "(null)");
	free(s);
	return buf;
}

static json_t *vrequest(struct wm_client *c, const char *fmt, va_list ap)
{
	char line[8192], *raw = NULL;
	const char *why = "";
	json_t *r, *ok, *e;

	vsnprintf(line, sizeof line, fmt, ap);
	ck_assert_msg(c != NULL, "request \"%s\": not connected", line);
	ck_assert_msg(wm_client_sendf(c, "%s", line) == 0, "request \"%s\": send failed: %s",
		      line, strerror(errno));
	r = wm_client_read_reply(c, WM_T_REPLY_TIMEOUT_MS, &raw, &why);
	if (!r)
		ck_abort_msg("request \"%.200s\": %s; got \"%.500s\"", line, why, raw);
	free(raw);
	ok = json_object_get(r, "ok");
	ck_assert_msg(json_is_boolean(ok), "request \"%.200s\": reply has no boolean \"ok\": %s",
		      line, wm_t_json_str(r));
	if (json_is_false(ok)) {
		e = json_object_get(r, "error");
		ck_assert_msg(json_is_object(e) &&
			      json_string_length(json_object_get(e, "code")) > 0 &&
			      json_string_length(json_object_get(e, "message")) > 0,
			      "request \"%.200s\": error reply without error.code and "
			      "error.message strings: %s", line, wm_t_json_str(r));
	}
	return r;
}

json_t *wm_t_request(struct wm_client *c, const char *fmt, ...)
{
	va_list ap;
	json_t *r;

	va_start(ap, fmt);
	r = vrequest(c, fmt, ap);
	va_end(ap);
	return r;
}

json_t *wm_t_assert_ok(json_t *r, const char *what)
{
	ck_assert_msg(json_is_true(json_object_get(r, "ok")), "%s: expected ok, got %s",
		      what, wm_t_json_str(r));
	return r;
}

json_t *wm_t_assert_error(json_t *r, const char *code, const char *what)
{
	const char *got = json_string_value(json_object_get(json_object_get(r, "error"), "code"));

	ck_assert_msg(json_is_false(json_object_get(r, "ok")) && got && strcmp(got, code) == 0,
		      "%s: expected error \"%s\", got %s", what, code, wm_t_json_str(r));
	return r;
}

void wm_t_ok(struct wm_client *c, const char *fmt, ...)
{
	char line[8192];
	va_list ap;
	json_t *r;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	r = wm_t_request(c, "%s", line);
	wm_t_assert_ok(r, line);
	json_decref(r);
}

json_t *wm_t_err(struct wm_client *c, const char *code, const char *fmt, ...)
{
	char line[8192];
	va_list ap;
	json_t *r;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	r = wm_t_request(c, "%s", line);
	return wm_t_assert_error(r, code, line);
}

json_t *wm_t_request1(const char *sock_path, const char *fmt, ...)
{
	struct wm_client *c = wm_client_connect(sock_path, 2000);
	va_list ap;
	json_t *r;

	ck_assert_msg(c != NULL, "cannot connect to %s: %s", sock_path, strerror(errno));
	va_start(ap, fmt);
	r = vrequest(c, fmt, ap);
	va_end(ap);
	wm_client_close(c);
	return r;
}

double wm_t_value_num(json_t *r)
{
	json_t *v = json_object_get(r, "value");

	if (json_is_number(v))
		return json_number_value(v);
	if (json_is_string(v) && strcmp(json_string_value(v), "-inf") == 0)
		return -INFINITY;
	ck_abort_msg("reply value is neither a number nor \"-inf\": %s", wm_t_json_str(r));
	return NAN;
}
