/* pingprobe.c - the latency probe of pingprobe.h: one thread, one
 * connection, one `ping` every interval; round trips kept in a growing
 * array, sorted once at the end for the percentiles. */
#include "tests/support/pingprobe.h"

#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/proc.h"
#include "tests/support/sockclient.h"

#define PING_REPLY_TIMEOUT_MS 1000

struct wm_pingprobe {
	struct wm_client *client;
	int interval_ms;
	atomic_bool stop;
	pthread_t thread;
	long long *us;
	size_t n, cap;
	size_t failures;
	char first_failure[160];
};

static void record(struct wm_pingprobe *p, long long us)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4096;
		long long *grown = realloc(p->us, cap * sizeof *grown);
		if (!grown)
			return;
		p->us = grown;
		p->cap = cap;
	}
	p->us[p->n++] = us;
}

static void note_failure(struct wm_pingprobe *p, const char *why, const char *raw)
{
	if (!p->failures++)
		snprintf(p->first_failure, sizeof p->first_failure, "ping %zu: %s %.80s", p->n, why,
			 raw ? raw : "");
}

static void *probe_run(void *arg)
{
	struct wm_pingprobe *p = arg;
	while (!atomic_load(&p->stop)) {
		char *raw = NULL;
		const char *why = "";
		long long t0 = wm_now_us();
		json_t *r = NULL;
		if (wm_client_sendf(p->client, "ping") == 0)
			r = wm_client_read_reply(p->client, PING_REPLY_TIMEOUT_MS, &raw, &why);
		else
			why = "send failed";
		record(p, wm_now_us() - t0);
		bool ok = r && json_is_true(json_object_get(r, "ok"));
		if (!ok)
			note_failure(p, r ? "not ok:" : why, raw);
		json_decref(r);
		free(raw);
		if (!ok && !r)
			break; /* the connection is unusable now */
		wm_sleep_ms(p->interval_ms);
	}
	return NULL;
}

struct wm_pingprobe *wm_pingprobe_start(const char *sock_path, int interval_ms)
{
	struct wm_pingprobe *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->interval_ms = interval_ms;
	p->client = wm_client_connect(sock_path, 2000);
	if (!p->client || pthread_create(&p->thread, NULL, probe_run, p) != 0) {
		wm_client_close(p->client);
		free(p);
		return NULL;
	}
	return p;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static long long percentile(const long long *sorted, size_t n, double q)
{
	if (!n)
		return 0;
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);
	return sorted[i < n ? i : n - 1];
}

void wm_pingprobe_stop(struct wm_pingprobe *p, struct wm_ping_stats *s)
{
	memset(s, 0, sizeof *s);
	if (!p)
		return;
	atomic_store(&p->stop, true);
	pthread_join(p->thread, NULL);
	wm_client_close(p->client);
	qsort(p->us, p->n, sizeof *p->us, cmp_ll);
	s->pings = p->n;
	s->failures = p->failures;
	s->p50_us = percentile(p->us, p->n, 0.50);
	s->p99_us = percentile(p->us, p->n, 0.99);
	s->max_us = p->n ? p->us[p->n - 1] : 0;
	snprintf(s->first_failure, sizeof s->first_failure, "%s", p->first_failure);
	free(p->us);
	free(p);
}

const char *wm_ping_stats_str(const struct wm_ping_stats *s)
{
	static char buf[256];
	snprintf(buf, sizeof buf, "pings=%zu p50=%.2fms p99=%.2fms max=%.2fms failures=%zu%s%s",
		 s->pings, (double)s->p50_us / 1000.0, (double)s->p99_us / 1000.0,
		 (double)s->max_us / 1000.0, s->failures, s->failures ? " first: " : "",
		 s->first_failure);
	return buf;
}

struct wm_pingprobe *wm_t_pingprobe_start(const char *sock_path)
{
	struct wm_pingprobe *p = wm_pingprobe_start(sock_path, WM_T_PROBE_INTERVAL_MS);

	ck_assert_msg(p != NULL, "cannot start the ping probe on %s", sock_path);
	return p;
}

void wm_t_pingprobe_check(struct wm_pingprobe *p, const char *during)
{
	struct wm_ping_stats st;

	wm_pingprobe_stop(p, &st);
	fprintf(stderr, "probe during %s: %s\n", during, wm_ping_stats_str(&st));
	ck_assert_msg(st.pings > 0 && st.failures == 0, "probe during %s: %s", during,
		      wm_ping_stats_str(&st));
	ck_assert_msg(st.p99_us < WM_T_PROBE_P99_LIMIT_US, "probe during %s: p99 %.2f ms, the "
		      "limit is %d ms (%s)", during, (double)st.p99_us / 1000.0,
		      WM_T_PROBE_P99_LIMIT_US / 1000, wm_ping_stats_str(&st));
}
