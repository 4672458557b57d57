/* washmix.c - the command-line client: sends one request to washmixd over
 * the control socket and prints the answer for a person (or raw with --json).
 * `watch` subscribes and prints events until interrupted.
 * Exit status: 0 ok, 1 error reply, 2 cannot connect or connection lost,
 * 64 usage; `health` exits 0 ok, 1 degraded, 2 down or unreachable. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/cli_render.h"
#include "control/socket_path.h"

#define EXIT_ERROR_REPLY 1
#define EXIT_NO_DAEMON 2
#define EXIT_USAGE 64

struct conn {
	int fd;
	char *buf;              /* grows for long replies (list of many channels) */
	size_t len, cap;
	char *line;             /* last line read, malloc'd */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: washmix [--socket PATH] [--json] [--timeout SECONDS] VERB [ARGS...]\n"
		"       washmix watch [changes|meters|players|jobs...]\n"
		"       washmix render [--scene NAME] [--in N=FILE[@OFFSET]]... --out FILE "
		"[--wait] (render --help)\n"
		"examples:\n"
		"  washmix set ch/2/gain -6        set channel 2 to -6 dB (20 ms ramp)\n"
		"  washmix set ch/2/gain -inf 500  fade channel 2 out over 500 ms\n"
		"  washmix get ch/2/gain\n"
		"  washmix list ch/1/\n"
		"  washmix health\n"
		"  washmix help                    every verb the daemon knows\n"
		"The socket is --socket, else $WASHMIX_SOCKET, else the daemon's default.\n");
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "washmix: socket path too long: %s\n", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr,
			"washmix: cannot connect to %s: %s\n"
			"  is washmixd running? (./scripts/run starts it; --socket or WASHMIX_SOCKET "
			"point elsewhere)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Quote a word so the daemon's tokenizer gives it back unchanged. */
static int append_word(char *out, size_t cap, size_t *len, const char *word)
{
	bool plain = *word != '\0';
	for (const char *p = word; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '"' || *p == '\\')
			plain = false;
	if (*len && *len < cap)
		out[(*len)++] = ' ';
	if (plain) {
		size_t n = strlen(word);
		if (*len + n >= cap)
			return -1;
		memcpy(out + *len, word, n); /* NOLINT(bugprone-not-null-terminated-result): a line, not a string */
		*len += n;
		return 0;
	}
	if (*len + 1 >= cap)
		return -1;
	out[(*len)++] = '"';
	for (const char *p = word; *p; p++) {
		if (*len + 3 >= cap)
			return -1;
		if (*p == '"' || *p == '\\')
			out[(*len)++] = '\\';
		out[(*len)++] = *p;
	}
	out[(*len)++] = '"';
	return 0;
}

static int send_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read one line; timeout_ms < 0 waits forever. Returns 1, 0 on EOF/timeout. */
static int read_line(struct conn *c, int timeout_ms)
{
	free(c->line);
	c->line = NULL;
	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - c->buf);
			c->line = strndup(c->buf, n);
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return c->line ? 1 : 0;
		}
		if (c->len == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 65536;
			char *p = realloc(c->buf, cap);
			if (!p)
				return 0;
			c->buf = p;
			c->cap = cap;
		}
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			return 0;
		if (r <= 0)
			return 0;
		ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (n <= 0)
			return 0;
		c->len += (size_t)n;
	}
}

static void print_value(const json_t *v, const char *path)
{
	bool is_db = strstr(path, "/gain") || strstr(path, "/send/");
	if (json_is_string(v) && strcmp(json_string_value(v), "-inf") == 0 && is_db)
		printf("-inf dB");
	else if (json_is_number(v))
		printf("%g%s", json_number_value(v), is_db ? " dB" : "");
	else if (json_is_boolean(v))
		printf("%s", json_is_true(v) ? "on" : "off");
	else if (json_is_string(v))
		printf("\"%s\"", json_string_value(v));
	else
		printf("null");
}

/* "playing voice/welcome.wav 0.42/1.50 s, looping" */
static void print_player(const json_t *info)
{
	const char *file = json_string_value(json_object_get(info, "file"));
	double len = json_number_value(json_object_get(info, "length"));
	printf("%s", json_string_value(json_object_get(info, "state")));
	if (file && *file) {
		printf(" %s %.2f", file, json_number_value(json_object_get(info, "position")));
		if (len >= 0)
			printf("/%.2f", len);
		printf(" s%s", json_is_true(json_object_get(info, "loop")) ? ", looping" : "");
	}
	if (json_is_string(json_object_get(info, "error")))
		printf(": %s", json_string_value(json_object_get(info, "error")));
	putchar('\n');
}

static void print_param(const json_t *obj)
{
	const char *path = json_string_value(json_object_get(obj, "path"));
	const json_t *value = json_object_get(obj, "value");
	if (!path)
		return;
	printf("%-16s ", path);
	if (json_is_object(value)) {
		print_player(value);
		return;
	}
	print_value(value, path);
	putchar('\n');
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static void print_health(const json_t *r)
{
	printf("status:   %s\n", or_empty(json_string_value(json_object_get(r, "status"))));
	printf("version:  %s\n", or_empty(json_string_value(json_object_get(r, "version"))));
	printf("uptime:   %.0f s\n", json_number_value(json_object_get(r, "uptime_s")));
	const json_t *j = json_object_get(r, "jack");
	if (json_is_true(json_object_get(j, "connected")))
		printf("jack:     connected to \"%s\" as \"%s\", %lld Hz, period %lld frames, "
		       "%lld xruns, DSP load %.1f%%\n",
		       json_string_value(json_object_get(j, "server")),
		       json_string_value(json_object_get(j, "client")),
		       json_integer_value(json_object_get(j, "sample_rate")),
		       json_integer_value(json_object_get(j, "period")),
		       json_integer_value(json_object_get(j, "xruns")),
		       json_number_value(json_object_get(j, "dsp_load")));
	else
		printf("jack:     not connected (%s)\n",
		       or_empty(json_string_value(json_object_get(j, "error"))));
	json_t *subs = json_object_get(r, "subsystems");
	for (void *it = json_object_iter(subs); it; it = json_object_iter_next(subs, it)) {
		const char *name = json_object_iter_key(it);
		const json_t *sub = json_object_iter_value(it);
		printf("  %-8s %s%s%s\n", name,
		       or_empty(json_string_value(json_object_get(sub, "state"))),
		       json_object_get(sub, "detail") ? ": " : "",
		       or_empty(json_string_value(json_object_get(sub, "detail"))));
	}
}

static void print_other(json_t *r)
{
	json_object_del(r, "ok");
	if (json_object_size(r) == 0)
		return;
	char *text = json_dumps(r, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	if (text)
		puts(text);
	free(text);
}

static void print_reply(const char *verb, json_t *r)
{
	if (strcmp(verb, "get") == 0 || strcmp(verb, "set") == 0) {
		print_param(r);
	} else if (strcmp(verb, "list") == 0) {
		const json_t *params = json_object_get(r, "params");
		for (size_t i = 0; i < json_array_size(params); i++)
			print_param(json_array_get(params, i));
	} else if (strcmp(verb, "health") == 0) {
		print_health(r);
	} else if ((strcmp(verb, "play") == 0 || strcmp(verb, "stop") == 0) &&
		   json_object_get(r, "state")) {
		printf("ch/%lld/player    ", json_integer_value(json_object_get(r, "ch")));
		print_player(r);
	} else if (strcmp(verb, "scene") == 0 && !json_object_get(r, "scene")) {
		const json_t *names = json_object_get(r, "scenes");
		for (size_t i = 0; i < json_array_size(names); i++)
			puts(json_string_value(json_array_get(names, i)));
	} else if (strcmp(verb, "scene") == 0 && json_object_get(r, "applied")) {
		printf("recalled %s: %lld change(s) over %g ms\n",
		       json_string_value(json_object_get(r, "scene")),
		       json_integer_value(json_object_get(r, "applied")),
		       json_number_value(json_object_get(r, "fade_ms")));
		const json_t *warnings = json_object_get(r, "warnings");
		for (size_t i = 0; i < json_array_size(warnings); i++)
			printf("warning: %s\n", json_string_value(json_array_get(warnings, i)));
	} else if (strcmp(verb, "help") == 0 && json_object_get(r, "verbs")) {
		const json_t *verbs = json_object_get(r, "verbs");
		for (size_t i = 0; i < json_array_size(verbs); i++) {
			const json_t *v = json_array_get(verbs, i);
			printf("  %-28s %s\n", json_string_value(json_object_get(v, "usage")),
			       json_string_value(json_object_get(v, "help")));
		}
	} else {
		print_other(r);
	}
}

static void print_level(const json_t *v)
{
	if (json_is_number(v))
		printf(" %6.1f", json_number_value(v));
	else
		printf("   -inf");
}

/* One line per sweep: the peak of each channel and zone, loudest side. */
static void print_meters(const json_t *ev)
{
	static const char *const groups[] = { "channels", "zones" };
	static const char *const keys[] = { "ch", "zone" };
	for (int g = 0; g < 2; g++) {
		const json_t *list = json_object_get(ev, groups[g]);
		printf("%s", g ? " |" : "peak dBFS");
		for (size_t i = 0; i < json_array_size(list); i++) {
			const json_t *m = json_array_get(list, i);
			const json_t *peak = json_object_get(m, "peak");
			const json_t *l = json_array_get(peak, 0), *r = json_array_get(peak, 1);
			printf(" %s%lld", keys[g], json_integer_value(json_object_get(m, keys[g])));
			print_level(json_is_number(l) && (!json_is_number(r) ||
							  json_number_value(l) >= json_number_value(r))
					    ? l
					    : r);
		}
	}
	putchar('\n');
}

static void print_event(json_t *ev)
{
	const char *kind = json_string_value(json_object_get(ev, "event"));
	if (kind && strcmp(kind, "change") == 0) {
		print_param(ev);
		return;
	}
	if (kind && strcmp(kind, "meters") == 0) {
		print_meters(ev);
		return;
	}
	if (kind && strcmp(kind, "player") == 0) {
		printf("ch/%lld/player %-8s ", json_integer_value(json_object_get(ev, "ch")),
		       json_string_value(json_object_get(ev, "what")));
		print_player(json_object_get(ev, "player"));
		return;
	}
	char *text = json_dumps(ev, JSON_COMPACT | JSON_REAL_PRECISION(6));
	if (text)
		puts(text);
	free(text);
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int watch(struct conn *c, bool raw)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!interrupted) {
		if (!read_line(c, -1)) {
			if (interrupted)
				break;
			fprintf(stderr, "washmix: washmixd closed the connection\n");
			return EXIT_NO_DAEMON;
		}
		if (raw) {
			puts(c->line);
			continue;
		}
		json_t *ev = json_loads(c->line, 0, NULL);
		if (ev && json_object_get(ev, "event"))
			print_event(ev);
		json_decref(ev);
	}
	return 0;
}

struct request_ctx {
	struct conn *c;
	const char *path;
	double timeout_s;
};

/* wm_cli_request_fn for `washmix render`: one line out, its reply back
 * (event lines skipped). Connects on the first request, so `render --local`
 * needs no daemon. */
static json_t *request_line(void *arg, const char *line)
{
	struct request_ctx *rc = arg;
	if (rc->c->fd < 0 && (rc->c->fd = connect_to(rc->path)) < 0)
		return NULL;
	if (send_all(rc->c->fd, line, strlen(line)) < 0 || send_all(rc->c->fd, "\n", 1) < 0) {
		fprintf(stderr, "washmix: cannot send to %s: %s\n", rc->path, strerror(errno));
		return NULL;
	}
	while (read_line(rc->c, (int)(rc->timeout_s * 1000))) {
		json_t *reply = json_loads(rc->c->line, 0, NULL);
		if (reply && json_object_get(reply, "ok"))
			return reply;
		json_decref(reply);
	}
	fprintf(stderr, "washmix: no answer from washmixd at %s within %g s\n", rc->path,
		rc->timeout_s);
	return NULL;
}

/* `washmix health` for monitoring: 0 ok, 1 degraded, 2 down (as when the
 * daemon cannot be reached at all). */
static int health_exit(const json_t *reply)
{
	const char *status = json_string_value(json_object_get(reply, "status"));
	if (status && strcmp(status, "ok") == 0)
		return 0;
	return status && strcmp(status, "degraded") == 0 ? 1 : 2;
}

static int render(const char *path, double timeout_s, bool raw, int argc, char **argv)
{
	struct conn c = { .fd = -1 };
	struct request_ctx rc = { .c = &c, .path = path, .timeout_s = timeout_s };
	int status = wm_cli_render(argc, argv, raw, request_line, &rc);
	free(c.line);
	free(c.buf);
	if (c.fd >= 0)
		close(c.fd);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char path[108];
	const char *env_path = getenv("WASHMIX_SOCKET");
	if (env_path && *env_path)
		snprintf(path, sizeof path, "%s", env_path);
	else
		wm_default_socket_path(path, sizeof path);
	bool raw = false;
	double timeout_s = 10;
	int opt;
	/* "+" stops at the verb, so "set ch/1/gain -6" keeps its "-6". */
	while ((opt = getopt_long(argc, argv, "+s:jt:h", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			snprintf(path, sizeof path, "%s", optarg);
			break;
		case 'j':
			raw = true;
			break;
		case 't': {
			char *end;
			timeout_s = strtod(optarg, &end);
			if (end == optarg || *end || !(timeout_s > 0)) {
				fprintf(stderr, "washmix: --timeout wants seconds > 0; got \"%s\"\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *verb = argv[optind];
	if (strcmp(verb, "render") == 0)
		return render(path, timeout_s, raw, argc - optind, argv + optind);
	bool watching = strcmp(verb, "watch") == 0;
	char line[4096];
	size_t len = 0;
	if (watching)
		append_word(line, sizeof line, &len, "subscribe");
	for (int i = optind + watching; i < argc; i++) {
		if (append_word(line, sizeof line, &len, argv[i]) < 0) {
			fprintf(stderr, "washmix: request longer than %zu bytes\n", sizeof line - 1);
			return EXIT_USAGE;
		}
	}
	line[len++] = '\n';

	struct conn c = { .fd = connect_to(path) };
	if (c.fd < 0)
		return EXIT_NO_DAEMON;
	int status = EXIT_NO_DAEMON;
	if (send_all(c.fd, line, len) < 0) {
		fprintf(stderr, "washmix: cannot send to %s: %s\n", path, strerror(errno));
		goto out_close;
	}
	json_t *reply = NULL;
	/* Skip event lines: only a line with "ok" answers our request. */
	while (read_line(&c, (int)(timeout_s * 1000))) {
		reply = json_loads(c.line, 0, NULL);
		if (reply && json_object_get(reply, "ok"))
			break;
		json_decref(reply);
		reply = NULL;
	}
	if (!reply) {
		fprintf(stderr, "washmix: no answer from washmixd at %s within %g s\n", path,
			timeout_s);
		goto out_close;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const json_t *e = json_object_get(reply, "error");
		if (raw)
			puts(c.line);
		fprintf(stderr, "washmix: %s: %s\n", json_string_value(json_object_get(e, "code")),
			json_string_value(json_object_get(e, "message")));
		status = EXIT_ERROR_REPLY;
	} else if (watching) {
		if (raw)
			puts(c.line);
		status = watch(&c, raw);
	} else {
		if (raw)
			puts(c.line);
		else
			print_reply(verb, reply);
		status = strcmp(verb, "health") == 0 ? health_exit(reply) : 0;
	}
	json_decref(reply);
out_close:
	free(c.line);
	free(c.buf);
	if (c.fd >= 0)
		close(c.fd);
	return status;
}
