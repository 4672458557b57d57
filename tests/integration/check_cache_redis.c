/* check_cache_redis.c - render/cache against a private redis-server (one per
 * test, on a Unix socket in the test's scratch folder, no persistence):
 * miss, put, hit with the same 5 MiB of binary bytes (NULs included), the
 * metadata's round trip, the TTL on both keys, an entry over the size limit
 * not stored; and the faults: Redis down at start, killed (calls fail fast,
 * the cache is down and comes back by itself after a restart on the same
 * socket) and SIGSTOPped (a call returns within the timeout); and a TCP
 * address (127.0.0.1:PORT) for the same round trip. Prints hit
 * latencies and fault timings. Single-threaded, fork mode; the redis-server
 * processes are stopped by tests/support/proc's exit handler on failure. */
#include <check.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "render/cache.h"

#include "tests/support/proc.h"
#include "tests/support/suite.h"

#define TIMEOUT_MS 200

static char dir[4096], sock[4200], address[4300];

static void setup(void)
{
	const char *tmp = wm_tmpdir();
	ck_assert_ptr_nonnull(tmp);
	snprintf(dir, sizeof dir, "%s/redis.XXXXXX", tmp);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof sock, "%s/redis.sock", dir);
	snprintf(address, sizeof address, "unix:%s", sock);
}

static redisContext *raw_connect(void)
{
	struct timeval tv = { 1, 0 };
	redisContext *r = redisConnectUnixWithTimeout(sock, tv);
	if (r && !r->err && redisSetTimeout(r, tv) == REDIS_OK)
		return r;
	if (r)
		redisFree(r);
	return NULL;
}

static bool raw_ping(void)
{
	redisContext *r = raw_connect();
	if (!r)
		return false;
	redisReply *rep = redisCommand(r, "PING");
	bool ok = rep && rep->type == REDIS_REPLY_STATUS;
	if (rep)
		freeReplyObject(rep);
	redisFree(r);
	return ok;
}

static struct wm_proc *start_redis(void)
{
	char log[4300], errbuf[256];
	snprintf(log, sizeof log, "%s/redis.log", dir);
	const char *argv[] = { "/usr/bin/redis-server", "--port", "0", "--unixsocket", sock,
			       "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
			       "--dir", dir, NULL };
	struct wm_proc *p = wm_proc_spawn(argv, NULL, log, log, errbuf, sizeof errbuf);
	ck_assert_msg(p != NULL, "redis-server: %s", errbuf);
	for (long long t0 = wm_now_ms(); wm_now_ms() - t0 < 10000; wm_sleep_ms(20))
		if (raw_ping())
			return p;
	char *tail = wm_file_tail(log, 2000);
	ck_abort_msg("redis-server did not answer PING within 10 s: %s", tail);
	return NULL;
}

static void stop_redis(struct wm_proc *p)
{
	ck_assert_int_ge(wm_proc_stop(p, SIGKILL, 3000, NULL), 0);
	wm_proc_release(p);
}

static struct wm_cache *make(int ttl_s, size_t max_entry)
{
	struct wm_err err = { 0 };
	struct wm_cache_config cfg = { .address = address, .ttl_s = ttl_s,
				       .max_entry_bytes = max_entry, .timeout_ms = TIMEOUT_MS };
	struct wm_cache *c = wm_cache_create(&cfg, &err);
	ck_assert_msg(c != NULL, "%s", err.msg);
	return c;
}

static void key_for(const char *request, char key[WM_CACHE_KEY_HEX])
{
	wm_cache_key(request, NULL, 0, key);
}

static unsigned char *binary(size_t len)
{
	unsigned char *b = malloc(len);
	unsigned x = 7;
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		b[i] = i % 3 == 0 ? 0 : (unsigned char)(x >> 16); /* plenty of NULs */
	}
	return b;
}

static void put_ok(struct wm_cache *c, const char *key, const void *data, size_t len,
		   const char *meta)
{
	struct wm_err err = { 0 };
	ck_assert_msg(wm_cache_put(c, key, data, len, meta, &err) == 0, "put: %s", err.msg);
}

static void assert_hit(struct wm_cache *c, const char *key, const void *want, size_t want_len)
{
	struct wm_err err = { 0 };
	void *data = NULL;
	size_t len = 0;
	int rc = wm_cache_get(c, key, &data, &len, NULL, &err);
	ck_assert_msg(rc == 1, "get returned %d: %s", rc, err.msg);
	ck_assert_uint_eq(len, want_len);
	ck_assert(memcmp(data, want, len) == 0);
	free(data);
}

static void assert_json_eq(const char *got, const char *want)
{
	json_t *a = json_loads(got, 0, NULL), *b = json_loads(want, 0, NULL);
	ck_assert_msg(a && b && json_equal(a, b), "meta %s, want %s", got, want);
	json_decref(a);
	json_decref(b);
}

START_TEST(miss_put_hit_5_mib)
{
	struct wm_proc *redis = start_redis();
	struct wm_cache *c = make(0, 0);
	struct wm_err err = { 0 };
	char key[WM_CACHE_KEY_HEX];
	key_for("{\"scene\":\"evening\"}", key);
	void *data = NULL;
	size_t len = 1;
	char *meta = NULL;
	ck_assert_int_eq(wm_cache_get(c, key, &data, &len, &meta, &err), 0);
	ck_assert_ptr_null(data);
	ck_assert_ptr_null(meta);

	size_t n = 5u << 20;
	unsigned char *bytes = binary(n);
	const char *m = "{\"format\":\"flac\",\"size\":5242880,\"loudness\":-14.02,"
			"\"true_peak\":-1.2,\"created\":\"2026-11-27T08:00:00Z\",\"ok\":true,"
			"\"digits\":\"007\",\"nested\":{\"x\":1},\"nothing\":null}";
	put_ok(c, key, bytes, n, m);
	ck_assert_int_eq(wm_cache_get(c, key, &data, &len, &meta, &err), 1);
	ck_assert_uint_eq(len, n);
	ck_assert(memcmp(data, bytes, n) == 0);
	/* Scalars come back; numbers (also "007" as a number) stay numbers. */
	assert_json_eq(meta, "{\"format\":\"flac\",\"size\":5242880,\"loudness\":-14.02,"
			     "\"true_peak\":-1.2,\"created\":\"2026-11-27T08:00:00Z\","
			     "\"ok\":true,\"digits\":\"007\"}");
	free(data);
	free(meta);

	/* A second put replaces the metadata instead of merging it. */
	put_ok(c, key, "tiny\0x", 6, "{\"format\":\"wav\"}");
	ck_assert_int_eq(wm_cache_get(c, key, &data, &len, &meta, &err), 1);
	ck_assert_uint_eq(len, 6);
	ck_assert(memcmp(data, "tiny\0x", 6) == 0);
	assert_json_eq(meta, "{\"format\":\"wav\"}");
	free(data);
	free(meta);

	/* No metadata at all: an empty object. */
	char key2[WM_CACHE_KEY_HEX];
	key_for("empty", key2);
	put_ok(c, key2, "", 0, NULL);
	ck_assert_int_eq(wm_cache_get(c, key2, &data, &len, &meta, &err), 1);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(meta, "{}");
	free(data);
	free(meta);

	/* Metadata that is not an object is refused. */
	ck_assert_int_eq(wm_cache_put(c, key2, "x", 1, "[1,2]", &err), -1);
	ck_assert_int_eq(err.code, WM_E_BAD_REQUEST);

	struct wm_cache_stats st;
	wm_cache_get_stats(c, &st);
	ck_assert(st.up);
	ck_assert_uint_eq(st.misses, 1);
	ck_assert_uint_eq(st.hits, 3);
	ck_assert_uint_eq(st.stores, 3);
	ck_assert_uint_eq(st.bytes_written, n + 6);
	ck_assert_uint_eq(st.bytes_read, n + 6);
	ck_assert_uint_eq(st.errors, 1);
	free(bytes);
	wm_cache_destroy(c);
	stop_redis(redis);
}
END_TEST

static void measure_hits(struct wm_cache *c, size_t n)
{
	char key[WM_CACHE_KEY_HEX], req[64];
	snprintf(req, sizeof req, "latency %zu", n);
	key_for(req, key);
	unsigned char *bytes = binary(n);
	put_ok(c, key, bytes, n, "{\"format\":\"flac\"}");
	long long best = -1, worst = 0, sum = 0;
	enum { ROUNDS = 20 };
	for (int i = 0; i < ROUNDS; i++) {
		long long t0 = wm_now_us();
		assert_hit(c, key, bytes, n);
		long long dt = wm_now_us() - t0;
		sum += dt;
		best = best < 0 || dt < best ? dt : best;
		worst = dt > worst ? dt : worst;
	}
	printf("hit %zu KiB (incl. compare): best %.2f ms, mean %.2f ms, worst %.2f ms\n",
	       n >> 10, best / 1000.0, sum / 1000.0 / ROUNDS, worst / 1000.0);
	ck_assert_int_lt(best, TIMEOUT_MS * 1000);
	free(bytes);
}

START_TEST(hit_latency)
{
	struct wm_proc *redis = start_redis();
	struct wm_cache *c = make(0, 0);
	measure_hits(c, 1u << 20);
	measure_hits(c, 5u << 20);
	wm_cache_destroy(c);
	stop_redis(redis);
}
END_TEST

static long long raw_ttl(const char *name)
{
	redisContext *r = raw_connect();
	ck_assert_ptr_nonnull(r);
	redisReply *rep = redisCommand(r, "TTL %s", name);
	ck_assert(rep && rep->type == REDIS_REPLY_INTEGER);
	long long ttl = rep->integer;
	freeReplyObject(rep);
	redisFree(r);
	return ttl;
}

START_TEST(ttl_and_size_limit)
{
	struct wm_proc *redis = start_redis();
	struct wm_cache *c = make(1234, 1000);
	struct wm_err err = { 0 };
	char key[WM_CACHE_KEY_HEX], name[128];
	key_for("ttl", key);
	unsigned char *bytes = binary(1001);
	put_ok(c, key, bytes, 1000, "{\"format\":\"wav\"}");
	snprintf(name, sizeof name, "washmix:render:%s", key);
	long long ttl = raw_ttl(name);
	ck_assert_msg(ttl >= 1232 && ttl <= 1234, "render TTL %lld", ttl);
	snprintf(name, sizeof name, "washmix:meta:%s", key);
	ttl = raw_ttl(name);
	ck_assert_msg(ttl >= 1232 && ttl <= 1234, "meta TTL %lld", ttl);

	char big[WM_CACHE_KEY_HEX];
	key_for("too big", big);
	ck_assert_int_eq(wm_cache_put(c, big, bytes, 1001, NULL, &err), 0);
	void *data;
	size_t len;
	ck_assert_int_eq(wm_cache_get(c, big, &data, &len, NULL, &err), 0);
	struct wm_cache_stats st;
	wm_cache_get_stats(c, &st);
	ck_assert_uint_eq(st.too_big, 1);
	ck_assert_uint_eq(st.stores, 1);
	ck_assert_uint_eq(st.misses, 1);
	free(bytes);
	wm_cache_destroy(c);
	stop_redis(redis);
}
END_TEST

/* Call wm_cache_up until it says yes; returns the milliseconds it took. */
static long long wait_up(struct wm_cache *c, int limit_ms)
{
	long long t0 = wm_now_ms();
	while (!wm_cache_up(c)) {
		ck_assert_msg(wm_now_ms() - t0 < limit_ms, "cache not up after %d ms", limit_ms);
		wm_sleep_ms(10);
	}
	return wm_now_ms() - t0;
}

START_TEST(down_at_start)
{
	struct wm_cache *c = make(0, 0);
	ck_assert(!wm_cache_up(c));
	struct wm_proc *redis = start_redis();
	long long ms = wait_up(c, 6000);
	printf("down at start: up %lld ms after redis answered\n", ms);
	char key[WM_CACHE_KEY_HEX];
	key_for("late", key);
	put_ok(c, key, "late", 4, NULL);
	assert_hit(c, key, "late", 4);
	wm_cache_destroy(c);
	stop_redis(redis);
}
END_TEST

START_TEST(killed_and_restarted)
{
	struct wm_proc *redis = start_redis();
	struct wm_cache *c = make(0, 0);
	struct wm_err err = { 0 };
	char key[WM_CACHE_KEY_HEX];
	key_for("kill", key);
	put_ok(c, key, "before", 6, NULL);
	stop_redis(redis);

	void *data;
	size_t len;
	long long t0 = wm_now_us();
	ck_assert_int_eq(wm_cache_get(c, key, &data, &len, NULL, &err), -1);
	long long t_get = wm_now_us() - t0;
	ck_assert_int_eq(err.code, WM_E_UNAVAILABLE);
	t0 = wm_now_us();
	ck_assert_int_eq(wm_cache_put(c, key, "during", 6, NULL, &err), -1);
	long long t_put = wm_now_us() - t0;
	printf("killed: get failed in %.2f ms, put in %.2f ms (%s)\n", t_get / 1000.0,
	       t_put / 1000.0, err.msg);
	ck_assert_int_lt(t_get, (TIMEOUT_MS + 50) * 1000);
	ck_assert_int_lt(t_put, (TIMEOUT_MS + 50) * 1000);
	struct wm_cache_stats st;
	wm_cache_get_stats(c, &st);
	ck_assert(!st.up);
	ck_assert_uint_eq(st.errors, 2);
	ck_assert_str_ne(st.last_error, "");

	/* Let a few reconnects fail so the backoff grows, then restart. */
	for (int i = 0; i < 3; i++) {
		wm_sleep_ms(250);
		ck_assert(!wm_cache_up(c));
	}
	redis = start_redis();
	long long ms = wait_up(c, 6000);
	printf("restarted: cache up %lld ms after redis answered\n", ms);
	put_ok(c, key, "after", 5, NULL);
	assert_hit(c, key, "after", 5);
	wm_cache_get_stats(c, &st);
	ck_assert(st.up);
	ck_assert_uint_eq(st.reconnects, 1);
	wm_cache_destroy(c);
	stop_redis(redis);
}
END_TEST

/* A 48 MiB entry put with a 20 ms timeout and read with a 100 ms one: the
 * bytes take longer than that to move, but they move, so both finish (each
 * counts its bytes' time at 50 MB/s on top of the timeout). */
START_TEST(large_entry_outlasts_the_timeout)
{
	struct wm_proc *redis = start_redis();
	struct wm_err err = { 0 };
	struct wm_cache_config cfg = { .address = address, .max_entry_bytes = 64u << 20,
				       .timeout_ms = 20 };
	struct wm_cache *c = wm_cache_create(&cfg, &err);
	ck_assert_msg(c != NULL, "%s", err.msg);
	char key[WM_CACHE_KEY_HEX];
	key_for("large", key);
	size_t n = 48u << 20;
	unsigned char *bytes = binary(n);
	long long t0 = wm_now_us();
	put_ok(c, key, bytes, n, NULL);
	printf("48 MiB put with a 20 ms timeout: %.1f ms\n", (wm_now_us() - t0) / 1000.0);
	/* Redis itself takes ~25 ms (much more under load) to start sending
	 * 48 MiB: the reader gets 100 ms, less than the transfer takes. */
	cfg.timeout_ms = 100;
	struct wm_cache *reader = wm_cache_create(&cfg, &err);
	ck_assert_msg(reader != NULL, "%s", err.msg);
	t0 = wm_now_us();
	assert_hit(reader, key, bytes, n);
	printf("48 MiB get with a 100 ms timeout: %.1f ms\n", (wm_now_us() - t0) / 1000.0);
	free(bytes);
	wm_cache_destroy(c);
	wm_cache_destroy(reader);
	stop_redis(redis);
}
END_TEST

START_TEST(stopped_times_out)
{
	struct wm_proc *redis = start_redis();
	struct wm_cache *c = make(0, 0);
	struct wm_err err = { 0 };
	char key[WM_CACHE_KEY_HEX];
	key_for("stop", key);
	size_t n = 5u << 20;
	unsigned char *bytes = binary(n);
	put_ok(c, key, bytes, n, NULL);
	ck_assert_int_eq(kill(redis->pid, SIGSTOP), 0);

	void *data;
	size_t len;
	long long t0 = wm_now_us();
	ck_assert_int_eq(wm_cache_get(c, key, &data, &len, NULL, &err), -1);
	long long t_get = wm_now_us() - t0;
	printf("stopped: get failed in %.1f ms (%s)\n", t_get / 1000.0, err.msg);
	ck_assert_msg(strstr(err.msg, "no answer within the timeout"), "%s", err.msg);
	ck_assert_int_lt(t_get, (TIMEOUT_MS + 100) * 1000);
	ck_assert_int_ge(t_get, (TIMEOUT_MS - 20) * 1000);

	/* After the backoff a connect succeeds (the kernel's backlog) and the
	 * 5 MiB write stalls: no call waits longer than the timeout, and the
	 * whole put ends within the timeout plus its bytes' time at 50 MB/s
	 * (cache.c MIN_BYTES_PER_US), 105 ms here. */
	wm_sleep_ms(150);
	t0 = wm_now_us();
	ck_assert_int_eq(wm_cache_put(c, key, bytes, n, NULL, &err), -1);
	long long t_put = wm_now_us() - t0;
	printf("stopped: 5 MiB put failed in %.1f ms (%s)\n", t_put / 1000.0, err.msg);
	ck_assert_int_lt(t_put, (TIMEOUT_MS + 100) * 1000 + (long long)n / 50);
	t0 = wm_now_us();
	ck_assert(!wm_cache_up(c));
	ck_assert_int_lt(wm_now_us() - t0, (TIMEOUT_MS + 100) * 1000);

	ck_assert_int_eq(kill(redis->pid, SIGCONT), 0);
	long long ms = wait_up(c, 8000);
	printf("continued: cache up %lld ms after SIGCONT\n", ms);
	assert_hit(c, key, bytes, n);
	free(bytes);
	wm_cache_destroy(c);
	stop_redis(redis);
}
END_TEST

/* A port nobody listens on now (bound and released; good enough here). */
static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	socklen_t sl = sizeof sa;
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

START_TEST(tcp_address)
{
	char log[4300], errbuf[256], port[16];
	snprintf(log, sizeof log, "%s/redis.log", dir);
	snprintf(port, sizeof port, "%d", free_port());
	const char *argv[] = { "/usr/bin/redis-server", "--port", port, "--bind", "127.0.0.1",
			       "--save", "", "--appendonly", "no", "--dir", dir, NULL };
	struct wm_proc *redis = wm_proc_spawn(argv, NULL, log, log, errbuf, sizeof errbuf);
	ck_assert_msg(redis != NULL, "redis-server: %s", errbuf);
	snprintf(address, sizeof address, "127.0.0.1:%s", port);
	struct wm_cache *c = make(0, 0);
	wait_up(c, 10000);
	char key[WM_CACHE_KEY_HEX];
	key_for("tcp", key);
	put_ok(c, key, "over tcp\0", 9, "{\"format\":\"wav\"}");
	assert_hit(c, key, "over tcp\0", 9);
	wm_cache_destroy(c);
	stop_redis(redis);
}
END_TEST

static Suite *cache_suite(void)
{
	Suite *s = suite_create("cache_redis");
	TCase *tc = tcase_create("redis");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 40);
	tcase_add_test(tc, miss_put_hit_5_mib);
	tcase_add_test(tc, hit_latency);
	tcase_add_test(tc, ttl_and_size_limit);
	tcase_add_test(tc, down_at_start);
	tcase_add_test(tc, killed_and_restarted);
	tcase_add_test(tc, large_entry_outlasts_the_timeout);
	tcase_add_test(tc, stopped_times_out);
	tcase_add_test(tc, tcp_address);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* hiredis 0.14 writes with write() */
	return wm_t_run_suite(cache_suite());
}
