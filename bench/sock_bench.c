/* sock_bench.c - round trips of washmixd's control socket, measured the way
 * redis-benchmark measures Redis: C connections served by one poll(2) loop,
 * each writing a batch of P requests, then reading their P replies (one line
 * each). A reply's latency is the time from its batch's write to the read
 * that completed it; with P = 1 that is the plain round trip.
 * A program, not a test: it prints figures and fails only on I/O errors.
 *
 * usage: sock_bench SOCKET CLIENTS PIPELINE REQUESTS [COMMAND...]
 *        (COMMAND defaults to "ping"; its words are joined with spaces)
 * prints one line: requests=N seconds=S rps=R p50_us= p99_us= p999_us=
 * max_us= errors=E (replies without "ok":true) */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bench/args.h"

#define MAX_CLIENTS 256
#define MAX_PIPELINE 1024

struct conn {
	int fd;
	int pending;          /* replies still due for the current batch */
	uint64_t batch_ns;    /* when the current batch was written */
	char partial_ok;      /* the line being read so far started with {"ok":true */
	size_t line_len;      /* bytes of the current reply line seen so far */
};

struct bench {
	const char *line;     /* one request, newline included */
	size_t line_len;
	char *batch;          /* PIPELINE copies of line */
	size_t batch_len;
	int pipeline;
	long requests, sent, done, errors;
	uint64_t *lat_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0 || strlen(path) >= sizeof sa.sun_path)
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Start the next batch on c, smaller at the end so exactly REQUESTS go. */
static int send_batch(struct bench *b, struct conn *c)
{
	long left = b->requests - b->sent;
	int n = left < b->pipeline ? (int)left : b->pipeline;

	if (n <= 0)
		return 0;
	c->pending = n;
	c->batch_ns = now_ns();
	b->sent += n;
	return write_all(c->fd, b->batch, (size_t)n * b->line_len);
}

/* Count the complete reply lines in buf; each one is a finished request. */
static void take_replies(struct bench *b, struct conn *c, const char *buf, size_t len,
			 uint64_t t)
{
	static const char ok[] = "{\"ok\":true";

	for (size_t i = 0; i < len; i++) {
		if (c->line_len < sizeof ok - 1) {
			if (c->line_len == 0)
				c->partial_ok = 1;
			if (buf[i] != ok[c->line_len])
				c->partial_ok = 0;
		}
		c->line_len++;
		if (buf[i] != '\n')
			continue;
		if (!c->partial_ok)
			b->errors++;
		c->line_len = 0;
		c->pending--;
		b->lat_ns[b->done++] = t - c->batch_ns;
	}
}

static int read_replies(struct bench *b, struct conn *c)
{
	char buf[65536];
	ssize_t n = read(c->fd, buf, sizeof buf);

	if (n <= 0)
		return -1;
	take_replies(b, c, buf, (size_t)n, now_ns());
	if (c->pending < 0)
		return -1;
	return c->pending == 0 ? send_batch(b, c) : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_us(const uint64_t *sorted, long n, double p)
{
	long i = (long)(p * (double)(n - 1) + 0.5);

	return (double)sorted[i] / 1000.0;
}

static int run(struct bench *b, struct conn *conns, int nconn)
{
	struct pollfd pfd[MAX_CLIENTS];

	for (int i = 0; i < nconn; i++)
		if (send_batch(b, &conns[i]) < 0)
			return -1;
	while (b->done < b->requests) {
		for (int i = 0; i < nconn; i++)
			pfd[i] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
		if (poll(pfd, (nfds_t)nconn, 10000) <= 0)
			return -1;
		for (int i = 0; i < nconn; i++)
			if (pfd[i].revents && read_replies(b, &conns[i]) < 0)
				return -1;
	}
	return 0;
}

static char *join_words(int argc, char **argv)
{
	size_t len = sizeof "ping\n";
	char *line;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	line = calloc(1, len);
	if (!line)
		return NULL;
	size_t used = 0;
	for (int i = 0; i < argc; i++)
		used += (size_t)snprintf(line + used, len - used, "%s%s", argv[i],
					 i + 1 < argc ? " " : "\n");
	if (argc == 0)
		snprintf(line, len, "ping\n");
	return line;
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	struct conn conns[MAX_CLIENTS];
	int nconn, status = 0;

	if (argc < 5) {
		fprintf(stderr, "usage: sock_bench SOCKET CLIENTS PIPELINE REQUESTS [COMMAND...]\n");
		return 64;
	}
	nconn = (int)bench_arg_long(argv[2], "CLIENTS", 1, MAX_CLIENTS);
	b.pipeline = (int)bench_arg_long(argv[3], "PIPELINE", 1, MAX_PIPELINE);
	b.requests = bench_arg_long(argv[4], "REQUESTS", 1, 1000000000L);
	b.line = join_words(argc - 5, argv + 5);
	if (!b.line) {
		fprintf(stderr, "sock_bench: bad arguments\n");
		return 64;
	}
	b.line_len = strlen(b.line);
	b.batch_len = b.line_len * (size_t)b.pipeline;
	b.batch = malloc(b.batch_len);
	b.lat_ns = calloc((size_t)b.requests, sizeof *b.lat_ns);
	if (!b.batch || !b.lat_ns) {
		free(b.batch);
		free(b.lat_ns);
		free((char *)b.line);
		return 70;
	}
	for (int i = 0; i < b.pipeline; i++)
		memcpy(b.batch + (size_t)i * b.line_len, b.line, b.line_len);
	for (int i = 0; i < nconn; i++) {
		conns[i] = (struct conn){ .fd = connect_to(argv[1]) };
		if (conns[i].fd < 0) {
			perror("sock_bench: connect");
			status = 69;
			nconn = i;
			goto out;
		}
	}

	uint64_t t0 = now_ns();
	if (run(&b, conns, nconn) < 0) {
		fprintf(stderr, "sock_bench: connection failed after %ld replies\n", b.done);
		status = 74;
		goto out;
	}
	double secs = (double)(now_ns() - t0) / 1e9;

	qsort(b.lat_ns, (size_t)b.done, sizeof *b.lat_ns, cmp_u64);
	printf("requests=%ld seconds=%.6f rps=%.1f p50_us=%.2f p99_us=%.2f p999_us=%.2f "
	       "max_us=%.2f errors=%ld\n",
	       b.done, secs, (double)b.done / secs, pct_us(b.lat_ns, b.done, 0.50),
	       pct_us(b.lat_ns, b.done, 0.99), pct_us(b.lat_ns, b.done, 0.999),
	       pct_us(b.lat_ns, b.done, 1.0), b.errors);
out:
	for (int i = 0; i < nconn; i++)
		close(conns[i].fd);
	free(b.batch);
	free(b.lat_ns);
	free((char *)b.line);
	return status;
}
