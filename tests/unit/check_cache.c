/* check_cache.c - render/cache without a Redis server: address parsing and
 * its messages, the "none" cache that is always off, an unreachable server
 * that fails fast and waits its backoff, the key (SHA-256 over the request
 * and the inputs' hashes, each input and the order counting), and the file
 * hash: equal to sha256sum across block boundaries, remembered per path,
 * size, mtime and inode (new content behind an unchanged size and mtime is
 * not read again; a new mtime is), the memo's eviction, and how much faster
 * the second hash of a 50 MiB file is. Redis itself: tests/integration/
 * check_cache_redis.c. Single-threaded, fork mode. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "render/cache.h"

#include "tests/support/proc.h"
#include "tests/support/suite.h"

static struct wm_cache *make(const char *address, struct wm_err *err)
{
	struct wm_cache_config cfg = { .address = address };
	return wm_cache_create(&cfg, err);
}

static void assert_bad(const char *address)
{
	struct wm_err err = { 0 };
	struct wm_cache *c = make(address, &err);
	ck_assert_msg(c == NULL, "address \"%s\" was accepted", address ? address : "(null)");
	ck_assert_int_eq(err.code, WM_E_BAD_CONFIG);
	ck_assert_msg(strstr(err.msg, "allowed: HOST:PORT") != NULL, "message: %s", err.msg);
}

static void assert_good(const char *address)
{
	struct wm_err err = { 0 };
	struct wm_cache *c = make(address, &err);
	ck_assert_msg(c != NULL, "address \"%s\" refused: %s", address, err.msg);
	wm_cache_destroy(c);
}

START_TEST(addresses)
{
	assert_good("none");
	assert_good("127.0.0.1:6379");
	assert_good("localhost:1");
	assert_good("redis.example:65535");
	assert_good("[::1]:6379");
	assert_good("unix:/run/redis/redis.sock");
	assert_good("unix:relative.sock");
	const char *bad[] = { NULL, "", "localhost", "localhost:", "localhost:0",
			      "localhost:65536", "localhost:123456", "localhost:12a",
			      "localhost:-1", ":6379", "::1:6379", "[::1]6379", "[::1]:",
			      "[]:6379", "unix:", "None" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_bad(bad[i]);
	char longpath[300] = "unix:/";
	memset(longpath + 6, 'a', 200);
	longpath[206] = '\0';
	assert_bad(longpath);
}
END_TEST

START_TEST(bad_limits)
{
	struct wm_err err = { 0 };
	struct wm_cache_config cfg = { .address = "none", .ttl_s = -1 };
	ck_assert_ptr_null(wm_cache_create(&cfg, &err));
	ck_assert_int_eq(err.code, WM_E_BAD_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "TTL -1 s is negative"));
	cfg = (struct wm_cache_config){ .address = "none", .timeout_ms = -5 };
	ck_assert_ptr_null(wm_cache_create(&cfg, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "timeout -5 ms is negative"));
}
END_TEST

static const char KEY[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

START_TEST(none_is_off)
{
	struct wm_err err = { 0 };
	struct wm_cache *c = make("none", &err);
	ck_assert_ptr_nonnull(c);
	ck_assert(!wm_cache_up(c));
	void *data = (void *)1;
	size_t len = 7;
	char *meta = (char *)1;
	ck_assert_int_eq(wm_cache_get(c, KEY, &data, &len, &meta, &err), -1);
	ck_assert_int_eq(err.code, WM_E_UNAVAILABLE);
	ck_assert_str_eq(err.msg, "the render cache is off (--redis none)");
	ck_assert_ptr_null(data);
	ck_assert_ptr_null(meta);
	ck_assert_uint_eq(len, 0);
	wm_err_clear(&err);
	ck_assert_int_eq(wm_cache_put(c, KEY, "x", 1, "{}", &err), -1);
	ck_assert_str_eq(err.msg, "the render cache is off (--redis none)");
	struct wm_cache_stats st;
	wm_cache_get_stats(c, &st);
	ck_assert(!st.up);
	ck_assert_uint_eq(st.errors + st.hits + st.misses + st.stores, 0);
	ck_assert_str_eq(st.last_error, "the render cache is off (--redis none)");
	wm_cache_destroy(c);
}
END_TEST

START_TEST(unreachable_fails_fast)
{
	struct wm_err err = { 0 };
	struct wm_cache *c = make("unix:/nonexistent-wm-dir/redis.sock", &err);
	ck_assert_msg(c != NULL, "%s", err.msg);
	void *data;
	size_t len;
	long long t0 = wm_now_ms();
	ck_assert_int_eq(wm_cache_get(c, KEY, &data, &len, NULL, &err), -1);
	ck_assert_int_eq(err.code, WM_E_UNAVAILABLE);
	ck_assert_msg(strstr(err.msg, "is down") && strstr(err.msg, "No such file"), "%s",
		      err.msg);
	/* Within the backoff no connect is tried; the message says when. */
	ck_assert_int_eq(wm_cache_put(c, KEY, "x", 1, NULL, &err), -1);
	ck_assert_msg(strstr(err.msg, "retry in"), "%s", err.msg);
	ck_assert(!wm_cache_up(c));
	ck_assert_int_lt(wm_now_ms() - t0, 50);
	/* The backoff doubles: 100 ms after the first failure, 200 after the
	 * next connect that failed. */
	wm_sleep_ms(110);
	ck_assert_int_eq(wm_cache_get(c, KEY, &data, &len, NULL, &err), -1);
	ck_assert_msg(strstr(err.msg, "retry in 200 ms"), "%s", err.msg);
	struct wm_cache_stats st;
	wm_cache_get_stats(c, &st);
	ck_assert(!st.up);
	ck_assert_uint_eq(st.errors, 3);
	ck_assert_ptr_nonnull(strstr(st.last_error, "connect"));
	/* A malformed key is refused before any Redis call. */
	ck_assert_int_eq(wm_cache_get(c, "ABC", &data, &len, NULL, &err), -1);
	ck_assert_int_eq(err.code, WM_E_BAD_REQUEST);
	wm_cache_destroy(c);
}
END_TEST

START_TEST(keys)
{
	char a[WM_CACHE_KEY_HEX], b[WM_CACHE_KEY_HEX];
	/* SHA-256("abc"), FIPS 180-2. */
	wm_cache_key("abc", NULL, 0, a);
	ck_assert_str_eq(a, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* SHA-256("abc\nx\ny"): the request and each hash after a newline. */
	const char *in[] = { "x", "y" };
	wm_cache_key("abc", in, 2, a);
	wm_cache_key("abc\nx\ny", NULL, 0, b);
	ck_assert_str_eq(a, b);
	const char *swapped[] = { "y", "x" }, *other[] = { "x", "z" }, *first[] = { "w", "y" };
	wm_cache_key("abc", swapped, 2, b);
	ck_assert_str_ne(a, b);
	wm_cache_key("abc", other, 2, b);
	ck_assert_str_ne(a, b);
	wm_cache_key("abc", first, 2, b);
	ck_assert_str_ne(a, b);
	wm_cache_key("abd", in, 2, b);
	ck_assert_str_ne(a, b);
	wm_cache_key("abc", in, 1, b);
	ck_assert_str_ne(a, b);
	ck_assert_uint_eq(strlen(a), 64);
}
END_TEST

/* ------------------------------------------------------------- file hashes */

static char dir[4096];

static void setup(void)
{
	const char *tmp = wm_tmpdir();
	ck_assert_ptr_nonnull(tmp);
	snprintf(dir, sizeof dir, "%s/hash.XXXXXX", tmp);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void pattern(unsigned char *buf, size_t len, unsigned seed)
{
	unsigned x = seed * 2654435761u + 1;
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (unsigned char)(x >> 16);
	}
}

static void sha256sum(const char *path, char hex[WM_CACHE_KEY_HEX])
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(fscanf(p, "%64s", hex), 1);
	ck_assert_int_eq(pclose(p), 0);
}

static void hash_path(struct wm_cache *c, const char *path, char hex[WM_CACHE_KEY_HEX])
{
	struct wm_err err = { 0 };
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(wm_cache_file_hash(c, fd, path, hex, &err) == 0, "%s", err.msg);
	close(fd);
}

START_TEST(file_hash_matches_sha256sum)
{
	struct wm_err err = { 0 };
	struct wm_cache *c = make("none", &err);
	size_t sizes[] = { 0, 1, 55, 64, (1u << 20) - 1, 1u << 20, (1u << 20) + 1,
			   (7u << 19) + 13 };
	unsigned char *buf = malloc(4u << 20);
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		char path[4200], got[WM_CACHE_KEY_HEX], want[WM_CACHE_KEY_HEX];
		snprintf(path, sizeof path, "%s/f%zu.bin", dir, i);
		pattern(buf, sizes[i], (unsigned)i);
		write_file(path, buf, sizes[i]);
		hash_path(c, path, got);
		sha256sum(path, want);
		ck_assert_msg(strcmp(got, want) == 0, "size %zu: %s != %s", sizes[i], got, want);
		hash_path(NULL, path, got); /* no memo without a cache */
		ck_assert_str_eq(got, want);
	}
	free(buf);
	wm_cache_destroy(c);
}
END_TEST

/* New content of the same size with the old mtime put back: the memo still
 * answers with the old hash, which proves the file was not read again. */
static void rewrite_keep_stat(const char *path, const char *content)
{
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	int fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, content, strlen(content), 0), (ssize_t)strlen(content));
	struct timespec times[2] = { st.st_atim, st.st_mtim };
	ck_assert_int_eq(futimens(fd, times), 0);
	close(fd);
}

static void set_mtime(const char *path, time_t sec)
{
	struct timespec times[2] = { { sec, 0 }, { sec, 0 } };
	ck_assert_int_eq(utimensat(AT_FDCWD, path, times, 0), 0);
}

START_TEST(memo_skips_unchanged_files)
{
	struct wm_err err = { 0 };
	struct wm_cache *c = make("none", &err);
	char path[4200], first[WM_CACHE_KEY_HEX], again[WM_CACHE_KEY_HEX],
		want[WM_CACHE_KEY_HEX];
	snprintf(path, sizeof path, "%s/voice.wav", dir);
	write_file(path, "AAAA", 4);
	set_mtime(path, 1700000000);
	hash_path(c, path, first);
	rewrite_keep_stat(path, "BBBB");
	hash_path(c, path, again);
	ck_assert_str_eq(again, first); /* not read again */
	sha256sum(path, want);
	ck_assert_str_ne(want, first);
	set_mtime(path, 1700000001); /* a changed file: read again */
	hash_path(c, path, again);
	ck_assert_str_eq(again, want);
	/* The same inode under another name is hashed on its own. */
	char other[4200];
	snprintf(other, sizeof other, "%s/alias.wav", dir);
	ck_assert_int_eq(link(path, other), 0);
	hash_path(c, other, again);
	ck_assert_str_eq(again, want);
	wm_cache_destroy(c);
}
END_TEST

START_TEST(memo_evicts_least_recent)
{
	struct wm_err err = { 0 };
	struct wm_cache *c = make("none", &err);
	char path[4200], hex[WM_CACHE_KEY_HEX], old[WM_CACHE_KEY_HEX], want[WM_CACHE_KEY_HEX];
	snprintf(path, sizeof path, "%s/first", dir);
	write_file(path, "1111", 4);
	hash_path(c, path, old);
	for (int i = 0; i < 256; i++) {
		char p[4200];
		snprintf(p, sizeof p, "%s/other%d", dir, i);
		write_file(p, &i, sizeof i);
		hash_path(c, p, hex);
	}
	rewrite_keep_stat(path, "2222");
	hash_path(c, path, hex); /* evicted: read again */
	sha256sum(path, want);
	ck_assert_str_eq(hex, want);
	ck_assert_str_ne(hex, old);
	wm_cache_destroy(c);
}
END_TEST

START_TEST(memo_is_fast_on_50_mib)
{
	struct wm_err err = { 0 };
	struct wm_cache *c = make("none", &err);
	char path[4200], a[WM_CACHE_KEY_HEX], b[WM_CACHE_KEY_HEX];
	snprintf(path, sizeof path, "%s/bed.wav", dir);
	size_t len = 50u << 20;
	unsigned char *buf = malloc(len);
	pattern(buf, len, 50);
	write_file(path, buf, len);
	free(buf);
	long long t0 = wm_now_us();
	hash_path(c, path, a);
	long long t1 = wm_now_us();
	hash_path(c, path, b);
	long long t2 = wm_now_us();
	ck_assert_str_eq(a, b);
	printf("file hash 50 MiB: first %.1f ms, memo %.3f ms\n", (t1 - t0) / 1000.0,
	       (t2 - t1) / 1000.0);
	ck_assert_int_lt((t2 - t1) * 100, t1 - t0);
	wm_cache_destroy(c);
}
END_TEST

static Suite *cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, addresses);
	tcase_add_test(tc, bad_limits);
	tcase_add_test(tc, none_is_off);
	tcase_add_test(tc, unreachable_fails_fast);
	tcase_add_test(tc, keys);
	suite_add_tcase(s, tc);
	tc = tcase_create("file_hash");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, file_hash_matches_sha256sum);
	tcase_add_test(tc, memo_skips_unchanged_files);
	tcase_add_test(tc, memo_evicts_least_recent);
	tcase_add_test(tc, memo_is_fast_on_50_mib);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return wm_t_run_suite(cache_suite());
}
