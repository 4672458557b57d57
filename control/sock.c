/* sock.c - Unix-socket server for the line protocol (control thread).
 * Each readable event reads at most one buffer from one client, so a client
 * that floods requests cannot starve the others; replies go out with
 * MSG_NOSIGNAL and the rest waits for POLLOUT. A request line must end
 * within line_timeout_s of its first byte, so clients that trickle bytes
 * cannot hold every connection slot; idle connections are left alone. */
#define _GNU_SOURCE /* accept4, struct ucred */
#include "control/sock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "control/bucket.h"
#include "control/linebuf.h"
#include "control/peer_allow.h"
#include "control/reply.h"

_Static_assert(WM_LINEBUF_SIZE == WM_SOCK_MAX_LINE, "one line limit");

#define PEER_GROUPS_MAX 64   /* supplementary groups of a peer checked */
#define LINE_CHECK_MS 100    /* how late a line deadline may be noticed */
#define ACCEPT_BATCH 16      /* connections accepted per wake-up */

struct client {
	struct wm_sock *server;
	int fd;
	struct wm_linebuf in;
	bool read_closed;         /* peer shut down its side, or quit was asked */
	bool paused;              /* not reading: too much output queued */
	int64_t line_started_ms;  /* first byte of the unfinished line; 0: none */
	char *out;
	size_t out_head, out_len, out_cap;
	unsigned topics;
	uint64_t dropped;         /* events not queued since the last notice */
	char by[64];              /* "socket pid=… uid=…" */
	struct wm_bucket budget;  /* requests */
	struct client *next_zombie;
};

struct wm_sock {
	struct wm_loop *loop;
	const struct wm_cmd_env *env;
	int listen_fd;
	bool owns_path;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct client **clients;
	int max_clients, nclients;
	/* Closed clients whose memory a callback on the stack may still read;
	 * freed at the next event. */
	struct client *zombies;
	struct wm_sock_stats stats;
	struct wm_peer_allow allow;
	double rate, burst;
	int line_timeout_s;
	int deadline_timer;       /* loop timer id; -1: none */
};

static void client_close(struct client *c);
static void free_zombies(struct wm_sock *s);

static size_t queued(const struct client *c)
{
	return c->out_len - c->out_head;
}

static void update_events(struct client *c)
{
	short ev = 0;
	if (!c->read_closed && !c->paused)
		ev |= POLLIN;
	if (queued(c))
		ev |= POLLOUT;
	wm_loop_set_events(c->server->loop, c->fd, ev);
}

static int append(struct client *c, const char *data, size_t len)
{
	if (c->out_head && c->out_head == c->out_len)
		c->out_head = c->out_len = 0;
	if (c->out_len + len > c->out_cap) {
		/* Compact before growing: most of the buffer may be sent already. */
		if (c->out_head) {
			memmove(c->out, c->out + c->out_head, queued(c));
			c->out_len -= c->out_head;
			c->out_head = 0;
		}
		size_t cap = c->out_cap ? c->out_cap : 4096;
		while (cap < c->out_len + len)
			cap *= 2;
		if (cap != c->out_cap) {
			char *p = realloc(c->out, cap);
			if (!p)
				return -1;
			c->out = p;
			c->out_cap = cap;
		}
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	return 0;
}

static int append_json(struct client *c, const json_t *obj)
{
	char *text = json_dumps(obj, WM_JSON_FLAGS);
	if (!text)
		return -1;
	size_t len = strlen(text);
	text[len] = '\0';
	int r = append(c, text, len);
	if (r == 0)
		r = append(c, "\n", 1);
	free(text);
	return r;
}

static void reply(struct client *c, json_t *obj)
{
	struct wm_sock_stats *st = &c->server->stats;
	st->requests++;
	if (!json_is_true(json_object_get(obj, "ok")))
		st->errors++;
	if (append_json(c, obj) < 0)
		wm_warn("sock.oom", "client=\"%s\" msg=\"reply lost: out of memory\"", c->by);
	json_decref(obj);
}

static void reply_error(struct client *c, enum wm_errcode code, const char *msg)
{
	struct wm_err err = { .code = code };
	snprintf(err.msg, sizeof err.msg, "%s", msg);
	reply(c, wm_reply_error(&err));
}

static void conn_subscribe(void *conn, unsigned topics)
{
	((struct client *)conn)->topics |= topics;
}

static void conn_unsubscribe(void *conn, unsigned topics)
{
	((struct client *)conn)->topics &= ~topics;
}

static unsigned conn_topics(void *conn)
{
	return ((struct client *)conn)->topics;
}

static void conn_quit(void *conn)
{
	((struct client *)conn)->read_closed = true;
}

static const struct wm_conn_ops conn_ops = {
	.subscribe = conn_subscribe,
	.unsubscribe = conn_unsubscribe,
	.topics = conn_topics,
	.quit = conn_quit,
};

static void run_line(struct client *c, const char *line, size_t len)
{
	if (!wm_bucket_take(&c->budget, 1.0, wm_loop_now_ms())) {
		char msg[160];
		c->server->stats.rate_limited++;
		snprintf(msg, sizeof msg,
			 "more than %g requests a second on this connection (bursts of %g); "
			 "the request was not run: slow down and send it again",
			 c->budget.rate, c->budget.burst);
		reply_error(c, WM_E_RATE_LIMITED, msg);
		return;
	}
	struct wm_cmd_ctx ctx = { .env = c->server->env, .conn = c, .conn_ops = &conn_ops,
				  .by = c->by };
	json_t *r = wm_command_run_line(&ctx, line, len);
	if (r)
		reply(c, r);
}

/* A partial line's clock starts at its first byte: when lines completed,
 * what is left arrived just now. */
static void note_partial_line(struct client *c, bool lines_ended)
{
	bool partial = c->in.len > 0 || c->in.discarding;
	if (!partial)
		c->line_started_ms = 0;
	else if (lines_ended || !c->line_started_ms)
		c->line_started_ms = wm_loop_now_ms();
}

static void on_line(void *arg, const char *line, size_t len)
{
	struct client *c = arg;
	if (!c->read_closed)
		run_line(c, line, len);
}

static void on_line_too_long(void *arg)
{
	char msg[128];
	snprintf(msg, sizeof msg, "request is longer than %d bytes; the limit is %d bytes per line",
		 WM_SOCK_MAX_LINE - 1, WM_SOCK_MAX_LINE - 1);
	reply_error(arg, WM_E_LINE_TOO_LONG, msg);
}

static void client_read(struct client *c)
{
	const struct wm_line_sink sink = { on_line, on_line_too_long, c };
	size_t room;
	char *space = wm_linebuf_space(&c->in, &room);
	ssize_t n = read(c->fd, space, room);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		client_close(c);
		return;
	}
	if (n == 0) {
		/* A last request without its newline still gets its answer. */
		wm_linebuf_finish(&c->in, &sink);
		c->read_closed = true;
		return;
	}
	size_t lines = wm_linebuf_added(&c->in, (size_t)n, &sink);
	if (c->fd >= 0)
		note_partial_line(c, lines > 0);
}

static void client_flush(struct client *c)
{
	while (queued(c)) {
		ssize_t n = send(c->fd, c->out + c->out_head, queued(c), MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			client_close(c);
			return;
		}
		c->out_head += (size_t)n;
	}
}

static void client_event(struct wm_loop *loop, int fd, short revents, void *arg)
{
	(void)loop, (void)fd;
	struct client *c = arg;
	free_zombies(c->server);
	if (revents & (POLLERR | POLLNVAL)) {
		client_close(c);
		return;
	}
	if (revents & POLLIN)
		client_read(c);
	else if (revents & POLLHUP)
		c->read_closed = true;
	if (c->fd < 0)
		return;
	client_flush(c);
	if (c->fd < 0)
		return;
	if (c->read_closed && !queued(c)) {
		client_close(c);
		return;
	}
	bool pause = queued(c) > WM_SOCK_READ_PAUSE;
	if (pause && !c->paused)
		c->server->stats.paused++;
	c->paused = pause;
	update_events(c);
}

static void client_close(struct client *c)
{
	struct wm_sock *s = c->server;
	wm_loop_remove_fd(s->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	for (int i = 0; i < s->nclients; i++) {
		if (s->clients[i] == c) {
			s->clients[i] = s->clients[--s->nclients];
			break;
		}
	}
	wm_debug("sock.close", "client=\"%s\"", c->by);
	c->next_zombie = s->zombies;
	s->zombies = c;
}

static void free_zombies(struct wm_sock *s)
{
	while (s->zombies) {
		struct client *c = s->zombies;
		s->zombies = c->next_zombie;
		free(c->out);
		free(c);
	}
}

/* One error line saying what was wrong and what is allowed, then close once
 * it is sent: the connection slot is the point. */
static void expire_line(struct client *c, int64_t now_ms)
{
	char msg[224];
	snprintf(msg, sizeof msg,
		 "request line not finished %.1f s after its first byte (%zu bytes, no newline); "
		 "a line must end within %d s (--line-timeout): closing the connection",
		 (double)(now_ms - c->line_started_ms) / 1000.0, c->in.len,
		 c->server->line_timeout_s);
	c->server->stats.line_timeouts++;
	wm_info("sock.line_timeout", "client=\"%s\" bytes=%zu limit_s=%d", c->by, c->in.len,
		c->server->line_timeout_s);
	reply_error(c, WM_E_LINE_TIMEOUT, msg);
	wm_linebuf_init(&c->in);
	c->line_started_ms = 0;
	c->read_closed = true;
	client_flush(c);
	if (c->fd < 0)
		return;
	if (!queued(c))
		client_close(c);
	else
		update_events(c);
}

/* A paused client is not read by choice: its line is not its fault. */
static void check_line_deadlines(struct wm_loop *loop, void *arg)
{
	(void)loop;
	struct wm_sock *s = arg;
	free_zombies(s);
	int64_t now = wm_loop_now_ms(), limit_ms = (int64_t)s->line_timeout_s * 1000;
	/* Backwards: closing a client moves the last one into its slot. */
	for (int i = s->nclients - 1; i >= 0; i--) {
		struct client *c = s->clients[i];
		if (c->line_started_ms && !c->paused && !c->read_closed &&
		    now - c->line_started_ms >= limit_ms)
			expire_line(c, now);
	}
}

struct peer {
	struct ucred cred;
	gid_t groups[PEER_GROUPS_MAX];
	int ngroups;
	bool known;
};

static void read_peer(int fd, struct peer *p)
{
	socklen_t len = sizeof p->cred;
	p->known = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &p->cred, &len) == 0;
	if (!p->known) /* matches no list entry: refused unless everyone may */
		p->cred = (struct ucred){ .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	len = sizeof p->groups;
	/* Supplementary groups (Linux 4.13+); a larger set is checked in part. */
	if (p->known && getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, p->groups, &len) == 0)
		p->ngroups = (int)(len / sizeof p->groups[0]);
}

static void describe_peer(int fd, const struct peer *p, char *by, size_t len)
{
	if (p->known)
		snprintf(by, len, "socket pid=%d uid=%u", (int)p->cred.pid, (unsigned)p->cred.uid);
	else
		snprintf(by, len, "socket fd=%d", fd);
}

/* One error line, then close: the peer learns why and who is let in. */
static void refuse_peer(struct wm_sock *s, int fd, const struct peer *p)
{
	struct wm_err err;
	wm_err_set(&err, WM_E_PERMISSION_DENIED,
		   "uid %u (gid %u) may not use this socket; allowed: %s and the daemon's own "
		   "uid %u",
		   (unsigned)p->cred.uid, (unsigned)p->cred.gid, s->allow.text, (unsigned)geteuid());
	json_t *r = wm_reply_error(&err);
	char *text = r ? json_dumps(r, WM_JSON_FLAGS) : NULL;
	if (text) {
		size_t len = strlen(text);
		text[len] = '\n'; /* the NUL's byte carries the newline */
		ssize_t w = send(fd, text, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)w; /* best effort: the peer is being turned away anyway */
	}
	free(text);
	json_decref(r);
	close(fd);
	s->stats.refused_allow++;
	wm_warn("sock.refused", "pid=%d uid=%u gid=%u allowed=\"%s\"", (int)p->cred.pid,
		(unsigned)p->cred.uid, (unsigned)p->cred.gid, s->allow.text);
}

static void refuse_busy(struct wm_sock *s, int fd)
{
	char line[160];
	int n = snprintf(line, sizeof line,
			 "{\"ok\":false,\"error\":{\"code\":\"busy\",\"message\":\"too many "
			 "clients (%d connected, the limit is %d); retry later\"}}\n",
			 s->nclients, s->max_clients);
	ssize_t w = send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)w; /* best effort: the client is being turned away anyway */
	close(fd);
	s->stats.refused_busy++;
}

static void add_client(struct wm_sock *s, struct wm_loop *loop, int cfd, const struct peer *peer)
{
	struct client *c = calloc(1, sizeof *c);
	if (!c || wm_loop_add_fd(loop, cfd, POLLIN, client_event, c) < 0) {
		free(c);
		close(cfd);
		return;
	}
	c->server = s;
	c->fd = cfd;
	wm_linebuf_init(&c->in);
	describe_peer(cfd, peer, c->by, sizeof c->by);
	wm_bucket_init(&c->budget, s->rate, s->burst, wm_loop_now_ms());
	s->clients[s->nclients++] = c;
	s->stats.accepted++;
	wm_info("sock.accept", "pid=%d uid=%u gid=%u clients=%d", (int)peer->cred.pid,
		(unsigned)peer->cred.uid, (unsigned)peer->cred.gid, s->nclients);
}

static void accept_clients(struct wm_loop *loop, int fd, short revents, void *arg)
{
	(void)revents;
	struct wm_sock *s = arg;
	free_zombies(s);
	/* A batch per wake-up: a burst of connections waits its turn with the
	 * requests of connected clients (poll reports the rest again). */
	for (int n = 0; n < ACCEPT_BATCH; n++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				wm_warn("sock.accept", "error=\"%s\"", strerror(errno));
			return;
		}
		if (s->nclients >= s->max_clients) {
			refuse_busy(s, cfd);
			continue;
		}
		struct peer peer = { 0 };
		read_peer(cfd, &peer);
		if (!wm_peer_allowed(&s->allow, peer.cred.uid, peer.cred.gid, peer.groups,
				     peer.ngroups)) {
			refuse_peer(s, cfd, &peer);
			continue;
		}
		add_client(s, loop, cfd, &peer);
	}
}

/* Refuse to steal the socket of a daemon that still answers on it. */
static int claim_path(const char *path, struct wm_err *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "%s exists and is not a socket; choose another --socket path", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		close(fd);
		return wm_err_set(err, WM_E_BUSY,
				  "another washmixd is answering on %s; stop it or use --socket", path);
	}
	if (fd >= 0)
		close(fd);
	unlink(path);
	return 0;
}

static int bind_listener(struct wm_sock *s, const struct wm_sock_config *config,
			 struct wm_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(config->path) >= sizeof sa.sun_path)
		return wm_err_set(err, WM_E_BAD_CONFIG, "socket path is %zu bytes; the limit is %zu",
				  strlen(config->path), sizeof sa.sun_path - 1);
	if (claim_path(config->path, err) < 0)
		return -1;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", config->path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return wm_err_set(err, WM_E_IO, "socket: %s", strerror(errno));
	mode_t mode = config->mode ? config->mode : 0660;
	/* Created with its final mode: no window in which others may connect. */
	mode_t old = umask((mode_t)(~mode & 0777));
	int r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (r < 0 || listen(fd, 256) < 0) {
		wm_err_set(err, WM_E_IO, "cannot listen on %s: %s", config->path, strerror(errno));
		close(fd);
		return -1;
	}
	/* Before the loop accepts anyone: nobody connects in between. */
	if (config->set_group && chown(config->path, (uid_t)-1, config->group) < 0) {
		wm_err_set(err, WM_E_BAD_CONFIG,
			   "cannot give %s to group %u: %s (the daemon's user must be a member "
			   "of the socket group)",
			   config->path, (unsigned)config->group, strerror(errno));
		unlink(config->path);
		close(fd);
		return -1;
	}
	s->listen_fd = fd;
	s->owns_path = true;
	snprintf(s->path, sizeof s->path, "%s", config->path);
	return 0;
}

struct wm_sock *wm_sock_create(struct wm_loop *loop, const struct wm_sock_config *config,
			       const struct wm_cmd_env *env, struct wm_err *err)
{
	struct wm_sock *s = calloc(1, sizeof *s);
	if (!s) {
		wm_err_set(err, WM_E_INTERNAL, "out of memory");
		return NULL;
	}
	s->loop = loop;
	s->env = env;
	s->listen_fd = -1;
	s->deadline_timer = -1;
	s->line_timeout_s = config->line_timeout_s > 0 ? config->line_timeout_s
						       : WM_SOCK_LINE_TIMEOUT_DEFAULT_S;
	s->max_clients = config->max_clients > 0 ? config->max_clients
						 : WM_SOCK_DEFAULT_MAX_CLIENTS;
	s->clients = calloc((size_t)s->max_clients, sizeof *s->clients);
	if (!s->clients) {
		wm_err_set(err, WM_E_INTERNAL, "out of memory");
		goto out_free;
	}
	if (wm_sock_set_access(s, &config->access, err) < 0)
		goto out_free;
	if (config->listen_fd >= 0) {
		s->listen_fd = config->listen_fd;
		fcntl(s->listen_fd, F_SETFL, fcntl(s->listen_fd, F_GETFL) | O_NONBLOCK);
	} else if (bind_listener(s, config, err) < 0) {
		goto out_free;
	}
	if (wm_loop_add_fd(loop, s->listen_fd, POLLIN, accept_clients, s) < 0) {
		wm_err_set(err, WM_E_INTERNAL, "out of memory");
		goto out_free;
	}
	s->deadline_timer = wm_loop_add_timer(loop, LINE_CHECK_MS, check_line_deadlines, s);
	if (s->deadline_timer < 0) {
		wm_err_set(err, WM_E_INTERNAL, "out of memory");
		goto out_free;
	}
	return s;
out_free:
	wm_sock_destroy(s);
	return NULL;
}

void wm_sock_destroy(struct wm_sock *s)
{
	if (!s)
		return;
	while (s->nclients > 0)
		client_close(s->clients[0]);
	if (s->deadline_timer >= 0)
		wm_loop_remove_timer(s->loop, s->deadline_timer);
	if (s->listen_fd >= 0) {
		wm_loop_remove_fd(s->loop, s->listen_fd);
		close(s->listen_fd);
	}
	if (s->owns_path)
		unlink(s->path);
	free_zombies(s);
	free(s->clients);
	free(s);
}

static void queue_event(struct client *c, const char *text, size_t len)
{
	if (queued(c) + len > WM_SOCK_EVENT_QUEUE_MAX) {
		c->dropped++;
		c->server->stats.events_dropped++;
		return;
	}
	if (c->dropped) {
		char notice[64];
		int n = snprintf(notice, sizeof notice, "{\"event\":\"dropped\",\"count\":%llu}\n",
				 (unsigned long long)c->dropped);
		if (append(c, notice, (size_t)n) < 0)
			return;
		c->dropped = 0;
	}
	if (append(c, text, len) < 0)
		return;
	client_flush(c);
	if (c->fd >= 0)
		update_events(c);
}

void wm_sock_publish(struct wm_sock *s, enum wm_topic topic, json_t *event)
{
	if (!wm_sock_has_subscribers(s, topic))
		return;
	char *text = json_dumps(event, WM_JSON_FLAGS);
	if (!text)
		return;
	size_t len = strlen(text);
	char *line = realloc(text, len + 2);
	if (!line) {
		free(text);
		return;
	}
	line[len] = '\n';
	line[len + 1] = '\0';
	/* Iterate backwards: a failed flush may close (and remove) a client. */
	for (int i = s->nclients - 1; i >= 0; i--) {
		if (i < s->nclients && (s->clients[i]->topics & topic))
			queue_event(s->clients[i], line, len + 1);
	}
	free(line);
}

bool wm_sock_has_subscribers(const struct wm_sock *s, enum wm_topic topic)
{
	for (int i = 0; i < s->nclients; i++)
		if (s->clients[i]->topics & topic)
			return true;
	return false;
}

int wm_sock_set_access(struct wm_sock *s, const struct wm_sock_access *access,
		       struct wm_err *err)
{
	struct wm_peer_allow allow;
	if (wm_peer_allow_parse(access->allow ? access->allow : "", &allow, err) < 0)
		return -1;
	s->allow = allow;
	s->rate = access->rate;
	s->burst = access->burst >= 1 ? access->burst : 1;
	for (int i = 0; i < s->nclients; i++)
		wm_bucket_set(&s->clients[i]->budget, s->rate, s->burst);
	return 0;
}

void wm_sock_get_stats(const struct wm_sock *s, struct wm_sock_stats *stats)
{
	*stats = s->stats;
	stats->clients = s->nclients;
	stats->subscribers = 0;
	for (int i = 0; i < s->nclients; i++)
		if (s->clients[i]->topics)
			stats->subscribers++;
}
