/* osc_blast.c - sends OSC parameter changes to washmixd over UDP as fast as
 * it can, or at a set rate, so a benchmark can compare what was sent with
 * what the daemon applied (its stats). Packets are built once up front:
 * "/ch/N/gain f" for channels 1..CHANNELS in turn with changing values,
 * sent with sendmmsg in batches of 32 (paced sends go a tick at a time).
 * SOURCES threads each send from their own socket (own source port, so
 * their own per-source budget), COUNT/SOURCES messages each.
 * A program, not a test: it prints figures and fails only on socket errors.
 *
 * usage: osc_blast HOST PORT COUNT RATE SOURCES CHANNELS
 *        RATE: messages per second in all, 0 = as fast as possible
 * prints one line: sent=N seconds=S rate=R send_errors=E */
#define _GNU_SOURCE /* sendmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench/args.h"

#define BATCH 32
#define PACKETS 1000          /* distinct packets, reused in turn */
#define PACKET_MAX 32
#define TICK_NS 1000000L      /* paced mode: catch up every millisecond */

struct packet {
	unsigned char data[PACKET_MAX];
	size_t len;
};

struct source {
	pthread_t thread;
	struct sockaddr_in to;
	const struct packet *packets;
	long count;
	double rate;              /* this source's messages/s; 0 = flat out */
	long sent, errors;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* "/ch/N/gain" ",f" and a big-endian float, each padded to 4 bytes. */
static void build_packet(struct packet *p, int ch, float value)
{
	char address[20];
	int n = snprintf(address, sizeof address, "/ch/%d/gain", ch);
	size_t alen = ((size_t)n + 4) & ~(size_t)3;
	uint32_t bits;

	memset(p->data, 0, sizeof p->data);
	memcpy(p->data, address, (size_t)n);
	memcpy(p->data + alen, ",f", 2);
	memcpy(&bits, &value, sizeof bits);
	bits = htonl(bits);
	memcpy(p->data + alen + 4, &bits, sizeof bits);
	p->len = alen + 8;
}

/* Send n packets starting at index *next; returns how many went. */
static int send_some(struct source *s, int fd, long *next, int n)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];

	for (int i = 0; i < n; i++) {
		const struct packet *p = &s->packets[(*next + i) % PACKETS];

		iov[i] = (struct iovec){ .iov_base = (void *)p->data, .iov_len = p->len };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &s->to,
							 .msg_namelen = sizeof s->to,
							 .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	int r = sendmmsg(fd, msgs, (unsigned)n, 0);
	if (r < 0) {
		s->errors++;
		return errno == ENOBUFS || errno == EAGAIN || errno == EINTR ? 0 : -1;
	}
	*next += r;
	return r;
}

static void *run_source(void *arg)
{
	struct source *s = arg;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint64_t t0 = now_ns();
	struct timespec tick;
	long next = 0;

	if (fd < 0)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &tick);
	while (next < s->count) {
		long due = s->count;
		if (s->rate > 0) {
			due = (long)((double)(now_ns() - t0) * s->rate / 1e9) + 1;
			if (due > s->count)
				due = s->count;
		}
		while (next < due) {
			int n = due - next < BATCH ? (int)(due - next) : BATCH;
			if (send_some(s, fd, &next, n) < 0)
				goto out;
		}
		if (s->rate > 0 && next < s->count) {
			tick.tv_nsec += TICK_NS;
			if (tick.tv_nsec >= 1000000000L) {
				tick.tv_nsec -= 1000000000L;
				tick.tv_sec++;
			}
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &tick, NULL);
		}
	}
out:
	s->sent = next;
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	static struct packet packets[PACKETS];
	struct source src[16];
	struct sockaddr_in to = { .sin_family = AF_INET };

	if (argc != 7) {
		fprintf(stderr, "usage: osc_blast HOST PORT COUNT RATE SOURCES CHANNELS\n");
		return 64;
	}
	long count = bench_arg_long(argv[3], "COUNT", 1, 1000000000L);
	double rate = bench_arg_double(argv[4], "RATE", 0, 1e9);
	int nsrc = (int)bench_arg_long(argv[5], "SOURCES", 1, 16);
	int channels = (int)bench_arg_long(argv[6], "CHANNELS", 1, 999);
	if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
		fprintf(stderr, "osc_blast: HOST must be an IPv4 address; got \"%s\"\n", argv[1]);
		return 64;
	}
	to.sin_port = htons((uint16_t)bench_arg_long(argv[2], "PORT", 1, 65535));
	for (int i = 0; i < PACKETS; i++)
		build_packet(&packets[i], 1 + i % channels, -30.0f + (float)(i % 100) * 0.25f);

	uint64_t t0 = now_ns();
	for (int i = 0; i < nsrc; i++) {
		src[i] = (struct source){ .to = to, .packets = packets,
					  .count = count / nsrc + (i < count % nsrc),
					  .rate = rate / nsrc };
		if (pthread_create(&src[i].thread, NULL, run_source, &src[i]) != 0)
			return 71;
	}
	long sent = 0, errors = 0;
	for (int i = 0; i < nsrc; i++) {
		pthread_join(src[i].thread, NULL);
		sent += src[i].sent;
		errors += src[i].errors;
	}
	double secs = (double)(now_ns() - t0) / 1e9;
	printf("sent=%ld seconds=%.6f rate=%.1f send_errors=%ld\n", sent, secs,
	       (double)sent / secs, errors);
	return sent == count ? 0 : 1;
}
