/* cache.c - the render cache in Redis (see cache.h): address parsing, one
 * hiredis connection with connect and command timeouts, reconnection with
 * exponential backoff (100 ms doubling to 5 s, CLOCK_MONOTONIC), GET/SET of
 * the rendered bytes and HGETALL/HSET of their metadata, statistics, and the
 * SHA-256 keys (nettle) with a memo of input files' content hashes.
 *
 * Threads: a struct wm_cache belongs to the one render worker that created
 * it; nothing here is shared between threads. wm_cache_key is pure.
 * Blocking: every get, put or up, connect included, returns within about
 * timeout_ms in all: each socket call gets what is left of that deadline
 * (SO_RCVTIMEO/SO_SNDTIMEO through redisSetTimeout), so a SIGSTOPped server
 * costs one timeout, never a hang. An operation that moves many bytes also
 * gets their time at MIN_BYTES_PER_US, known up front: a put's from its
 * size, a get's from a STRLEN first (a 110 MiB SET, and a 48 MiB GET under
 * load, took longer than the 200 ms default and marked the cache down;
 * Redis builds a whole reply before its first byte leaves, so allowing
 * time only as bytes arrive was not enough). A file hash reads the whole
 * file once.
 * The process must ignore SIGPIPE (hiredis 0.14 writes with write()). */
#include "render/cache.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define ARM_SLACK_US 5000
/* The slowest transfer an operation is allowed: 50 MB/s, well under what
 * Redis manages on one machine or a LAN. */
#define MIN_BYTES_PER_US 50
#define MEMO_SLOTS 256
#define HASH_BLOCK (1u << 20)
#define KEY_PREFIX_DATA "washmix:render:"
#define KEY_PREFIX_META "washmix:meta:"
#define KEY_MAX (sizeof KEY_PREFIX_DATA + WM_CACHE_KEY_HEX) /* the longer prefix */
#define ADDRESS_HELP "allowed: HOST:PORT (port 1..65535), [IPV6]:PORT, unix:PATH or none"
#define UNIX_PATH_MAX 107 /* sizeof(sockaddr_un.sun_path) - 1 */

enum cache_kind { KIND_NONE, KIND_TCP, KIND_UNIX };

struct memo_entry {
	char *path;            /* NULL: slot free */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	uint64_t last_use;
	char hex[WM_CACHE_KEY_HEX];
};

struct wm_cache {
	enum cache_kind kind;
	char host[256];
	int port;
	char path[UNIX_PATH_MAX + 1];
	char address[300];     /* as given, for messages */
	int ttl_s;
	size_t max_entry;
	int timeout_ms;

	redisContext *ctx;     /* NULL while down */
	bool ever_up;
	bool logged_down;
	int backoff_ms;        /* the wait after the next failure */
	long long next_try_ms; /* monotonic; no connect before this */
	long long deadline_us; /* monotonic; the current operation's end */
	long long armed_us;    /* the socket timeout set now; 0: none yet */
	struct wm_cache_stats st;

	struct memo_entry memo[MEMO_SLOTS];
	uint64_t memo_clock;
};

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static long long now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* ------------------------------------------------------------ addresses */

static int parse_port(const char *text, int *port)
{
	if (!*text || strlen(text) > 5)
		return -1;
	int v = 0;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

static int bad_address(const char *address, const char *why, struct wm_err *err)
{
	return wm_err_set(err, WM_E_BAD_CONFIG, "redis address \"%.80s\": %s; %s", address, why,
			  ADDRESS_HELP);
}

static int parse_unix(struct wm_cache *c, const char *address, struct wm_err *err)
{
	const char *path = address + 5;
	if (!*path)
		return bad_address(address, "the socket path after unix: is empty", err);
	if (strlen(path) > UNIX_PATH_MAX)
		return bad_address(address, "the socket path is longer than 107 bytes", err);
	c->kind = KIND_UNIX;
	snprintf(c->path, sizeof c->path, "%s", path);
	return 0;
}

static int parse_tcp(struct wm_cache *c, const char *address, struct wm_err *err)
{
	const char *colon, *host = address;
	size_t host_len;
	if (address[0] == '[') {
		const char *end = strchr(address, ']');
		if (!end || end[1] != ':')
			return bad_address(address, "an IPv6 address needs the form [ADDR]:PORT", err);
		host = address + 1;
		host_len = (size_t)(end - host);
		colon = end + 1;
	} else {
		colon = strrchr(address, ':');
		if (!colon)
			return bad_address(address, "no port", err);
		if (memchr(address, ':', (size_t)(colon - address)))
			return bad_address(address, "an IPv6 host must be written in brackets", err);
		host_len = (size_t)(colon - address);
	}
	if (host_len == 0)
		return bad_address(address, "the host is empty", err);
	if (host_len >= sizeof c->host)
		return bad_address(address, "the host is longer than 255 bytes", err);
	if (parse_port(colon + 1, &c->port) != 0)
		return bad_address(address, "the port is not a number in 1..65535", err);
	memcpy(c->host, host, host_len);
	c->host[host_len] = '\0';
	c->kind = KIND_TCP;
	return 0;
}

static int parse_address(struct wm_cache *c, const char *address, struct wm_err *err)
{
	if (!address || !*address)
		return wm_err_set(err, WM_E_BAD_CONFIG, "redis address is empty; %s", ADDRESS_HELP);
	snprintf(c->address, sizeof c->address, "%s", address);
	if (strcmp(address, "none") == 0) {
		c->kind = KIND_NONE;
		return 0;
	}
	if (strncmp(address, "unix:", 5) == 0)
		return parse_unix(c, address, err);
	return parse_tcp(c, address, err);
}

static int apply_limits(struct wm_cache *c, const struct wm_cache_config *config,
			struct wm_err *err)
{
	if (config->ttl_s < 0)
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "cache TTL %d s is negative; allowed: 0 (default %d s) or more",
				  config->ttl_s, WM_CACHE_TTL_S_DEFAULT);
	if (config->timeout_ms < 0)
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "cache timeout %d ms is negative; allowed: 0 (default %d ms) or more",
				  config->timeout_ms, WM_CACHE_TIMEOUT_MS_DEFAULT);
	c->ttl_s = config->ttl_s ? config->ttl_s : WM_CACHE_TTL_S_DEFAULT;
	c->max_entry = config->max_entry_bytes ? config->max_entry_bytes
					       : WM_CACHE_MAX_ENTRY_DEFAULT;
	c->timeout_ms = config->timeout_ms ? config->timeout_ms : WM_CACHE_TIMEOUT_MS_DEFAULT;
	return 0;
}

struct wm_cache *wm_cache_create(const struct wm_cache_config *config, struct wm_err *err)
{
	if (!config) {
		wm_err_set(err, WM_E_INTERNAL, "wm_cache_create needs a configuration");
		return NULL;
	}
	struct wm_cache *c = calloc(1, sizeof *c);
	if (!c) {
		wm_err_set(err, WM_E_INTERNAL, "out of memory for the render cache");
		return NULL;
	}
	if (parse_address(c, config->address, err) != 0 || apply_limits(c, config, err) != 0) {
		free(c);
		return NULL;
	}
	c->backoff_ms = BACKOFF_MIN_MS;
	if (c->kind == KIND_NONE)
		snprintf(c->st.last_error, sizeof c->st.last_error,
			 "the render cache is off (--redis none)");
	return c;
}

void wm_cache_destroy(struct wm_cache *cache)
{
	if (!cache)
		return;
	if (cache->ctx)
		redisFree(cache->ctx);
	for (int i = 0; i < MEMO_SLOTS; i++)
		free(cache->memo[i].path);
	free(cache);
}

/* ----------------------------------------------------------- connection */

/* The connection failed: drop it (a hiredis context with an error must not
 * be reused), remember why, and wait the backoff before the next connect. */
static int mark_down(struct wm_cache *c, const char *what, const char *why, struct wm_err *err)
{
	if (c->ctx) {
		redisFree(c->ctx);
		c->ctx = NULL;
	}
	snprintf(c->st.last_error, sizeof c->st.last_error, "%s: %s", what, why);
	c->next_try_ms = now_ms() + c->backoff_ms;
	if (!c->logged_down)
		wm_warn("cache.down", "address=\"%s\" retry_ms=%d msg=\"%s\"", c->address,
			c->backoff_ms, c->st.last_error);
	c->logged_down = true;
	int wait = c->backoff_ms;
	c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
	return wm_err_set(err, WM_E_UNAVAILABLE,
			  "the render cache at %s is down (%s); renders go uncached, retry in %d ms",
			  c->address, c->st.last_error, wait);
}

/* A command succeeded: the server answers, so the backoff starts over. */
static void mark_working(struct wm_cache *c)
{
	c->backoff_ms = BACKOFF_MIN_MS;
	if (c->logged_down)
		wm_info("cache.up", "address=\"%s\" reconnects=%llu", c->address,
			(unsigned long long)c->st.reconnects);
	c->logged_down = false;
}

/* Why a context failed. hiredis 0.14 fills errstr with the GNU strerror_r,
 * which leaves it empty for I/O errors, so errno (saved right after the
 * call) fills in; a timeout is EAGAIN. */
static const char *context_error(const redisContext *ctx, int saved_errno, char *buf,
				 size_t len)
{
	bool io = ctx->err == REDIS_ERR_IO;
	bool timeout = io && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK);
	if (timeout)
		snprintf(buf, len, "no answer within the timeout");
	else if (ctx->errstr[0] && !(io && ctx->errstr[strlen(ctx->errstr) - 1] == ' '))
		snprintf(buf, len, "%s", ctx->errstr);
	else if (io)
		snprintf(buf, len, "%s%s", ctx->errstr, strerror(saved_errno));
	else
		snprintf(buf, len, "hiredis error %d", ctx->err);
	return buf;
}

static struct timeval to_timeval(long long us)
{
	struct timeval tv = { (time_t)(us / 1000000), (suseconds_t)(us % 1000000) };
	return tv;
}

/* Each operation (connect included) gets timeout_ms in all: every socket
 * call is given what is left of it, so a stalled write after a partial one
 * cannot add a second timeout. Returns the microseconds left, 0 when the
 * deadline has passed. */
static long long remaining_us(const struct wm_cache *c)
{
	long long left = c->deadline_us - now_us();
	return left > 0 ? left : 0;
}

/* An operation that moves about bytes (0: a small command). */
static void start_operation(struct wm_cache *c, size_t bytes)
{
	c->deadline_us = now_us() + (long long)c->timeout_ms * 1000 +
			 (long long)(bytes / MIN_BYTES_PER_US);
}

static redisContext *open_context(const struct wm_cache *c)
{
	struct timeval tv = to_timeval(remaining_us(c) > 1000 ? remaining_us(c) : 1000);
	if (c->kind == KIND_UNIX)
		return redisConnectUnixWithTimeout(c->path, tv);
	return redisConnectWithTimeout(c->host, c->port, tv);
}

/* Make sure there is a connection: 0 when there is one, -1 (with err) when
 * the cache is off, waiting for its backoff, or the connect failed. */
static int ensure_connected(struct wm_cache *c, struct wm_err *err)
{
	if (c->kind == KIND_NONE)
		return wm_err_set(err, WM_E_UNAVAILABLE, "the render cache is off (--redis none)");
	if (c->ctx)
		return 0;
	long long now = now_ms();
	if (now < c->next_try_ms)
		return wm_err_set(err, WM_E_UNAVAILABLE,
				  "the render cache at %s is down (%s); renders go uncached, "
				  "retry in %lld ms",
				  c->address, c->st.last_error, c->next_try_ms - now);
	c->ctx = open_context(c);
	int e = errno;
	if (!c->ctx)
		return mark_down(c, "connect", "out of memory", err);
	if (c->ctx->err) {
		char why[160];
		return mark_down(c, "connect", context_error(c->ctx, e, why, sizeof why), err);
	}
	c->armed_us = 0;
	if (c->kind == KIND_TCP)
		redisEnableKeepAlive(c->ctx);
	if (c->ever_up)
		c->st.reconnects++;
	c->ever_up = true;
	return 0;
}

/* The socket's timeouts to what is left of the operation; -1 (marked down)
 * when nothing is left. */
static int arm_timeout(struct wm_cache *c, const char *what, struct wm_err *err)
{
	long long now = now_us(), left = c->deadline_us - now;
	if (left <= 0)
		return mark_down(c, what, "no answer within the timeout", err);
	/* Spare the two setsockopt calls while the armed value misses the
	 * deadline by at most ARM_SLACK_US (a 5 MiB reply is ~300 reads). */
	long long miss = now + c->armed_us - c->deadline_us;
	if (c->armed_us > 0 && miss <= ARM_SLACK_US && miss >= -ARM_SLACK_US)
		return 0;
	c->armed_us = left;
	if (redisSetTimeout(c->ctx, to_timeval(left)) != REDIS_OK) {
		char why[160];
		return mark_down(c, what, context_error(c->ctx, errno, why, sizeof why), err);
	}
	return 0;
}

static int io_failed(struct wm_cache *c, const char *what, struct wm_err *err)
{
	int e = errno;
	char why[160];
	return mark_down(c, what, context_error(c->ctx, e, why, sizeof why), err);
}

/* Write the queued commands within the deadline. */
static int flush_commands(struct wm_cache *c, const char *what, struct wm_err *err)
{
	int done = 0;
	while (!done) {
		if (arm_timeout(c, what, err) != 0)
			return -1;
		if (redisBufferWrite(c->ctx, &done) != REDIS_OK)
			return io_failed(c, what, err);
	}
	return 0;
}

/* Read one reply of a pipeline within the deadline; NULL means the
 * connection failed (already marked down, err filled). */
static redisReply *next_reply(struct wm_cache *c, const char *what, struct wm_err *err)
{
	void *reply = NULL;
	for (;;) {
		if (redisGetReplyFromReader(c->ctx, &reply) != REDIS_OK) {
			io_failed(c, what, err);
			return NULL;
		}
		if (reply)
			return reply;
		if (arm_timeout(c, what, err) != 0)
			return NULL;
		if (redisBufferRead(c->ctx) != REDIS_OK) {
			io_failed(c, what, err);
			return NULL;
		}
	}
}

bool wm_cache_up(struct wm_cache *cache)
{
	if (!cache)
		return false;
	start_operation(cache, 0);
	if (ensure_connected(cache, NULL) != 0)
		return false;
	redisAppendCommand(cache->ctx, "PING");
	if (flush_commands(cache, "PING", NULL) != 0)
		return false;
	redisReply *r = next_reply(cache, "PING", NULL);
	if (!r)
		return false;
	bool ok = r->type == REDIS_REPLY_STATUS;
	freeReplyObject(r);
	if (ok)
		mark_working(cache);
	return ok;
}

/* ---------------------------------------------------------------- keys */

static int check_key(const char *key, struct wm_err *err)
{
	size_t n = key ? strlen(key) : 0;
	bool hex = n == WM_CACHE_KEY_HEX - 1;
	for (size_t i = 0; hex && i < n; i++)
		hex = (key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f');
	if (!hex)
		return wm_err_set(err, WM_E_BAD_REQUEST,
				  "cache key \"%.80s\" is not 64 lowercase hex digits (a SHA-256 "
				  "from wm_cache_key)",
				  key ? key : "(null)");
	return 0;
}

static void redis_keys(const char *key, char data_key[KEY_MAX], char meta_key[KEY_MAX])
{
	snprintf(data_key, KEY_MAX, KEY_PREFIX_DATA "%s", key);
	snprintf(meta_key, KEY_MAX, KEY_PREFIX_META "%s", key);
}

/* A reply that is a server error (not a connection failure). */
static int reply_error(struct wm_cache *c, const redisReply *r, const char *what,
		       struct wm_err *err)
{
	snprintf(c->st.last_error, sizeof c->st.last_error, "%s: %.*s", what, (int)r->len,
		 r->str ? r->str : "");
	return wm_err_set(err, WM_E_UNAVAILABLE, "the render cache at %s refused %s: %s",
			  c->address, what, c->st.last_error);
}

/* ----------------------------------------------------------------- get */

/* One hash field's value as JSON: a number, true or false when it reads
 * as one, else a string. */
static json_t *meta_value(const char *text, size_t len)
{
	json_error_t jerr;
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
	if (v && (json_is_number(v) || json_is_boolean(v)))
		return v;
	json_decref(v);
	return json_stringn(text, len);
}

static char *meta_to_json(const redisReply *r)
{
	json_t *obj = json_object();
	if (!obj)
		return NULL;
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			continue;
		char name[256];
		snprintf(name, sizeof name, "%.*s", (int)k->len, k->str);
		json_object_set_new(obj, name, meta_value(v->str, v->len));
	}
	char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	return text;
}

/* Turn the GET and HGETALL replies into the caller's results. */
static int take_hit(struct wm_cache *c, const redisReply *data, const redisReply *meta,
		    void **out, size_t *len, char **meta_json, struct wm_err *err)
{
	void *copy = malloc(data->len ? data->len : 1);
	char *mj = NULL;
	if (meta_json && meta->type == REDIS_REPLY_ARRAY)
		mj = meta_to_json(meta);
	else if (meta_json)
		mj = strdup("{}");
	if (!copy || (meta_json && !mj)) {
		free(copy);
		free(mj);
		return wm_err_set(err, WM_E_INTERNAL, "out of memory for a %zu-byte cached render",
				  (size_t)data->len);
	}
	memcpy(copy, data->str, data->len);
	*out = copy;
	*len = data->len;
	if (meta_json)
		*meta_json = mj;
	c->st.hits++;
	c->st.bytes_read += data->len;
	return 1;
}

static int get_replies(struct wm_cache *c, redisReply *data, redisReply *meta, void **out,
		       size_t *len, char **meta_json, struct wm_err *err)
{
	if (data->type == REDIS_REPLY_ERROR)
		return reply_error(c, data, "GET", err);
	if (meta->type == REDIS_REPLY_ERROR)
		return reply_error(c, meta, "HGETALL", err);
	if (data->type == REDIS_REPLY_NIL) {
		c->st.misses++;
		return 0;
	}
	if (data->type != REDIS_REPLY_STRING)
		return wm_err_set(err, WM_E_UNAVAILABLE,
				  "the render cache at %s holds a non-string under a render key",
				  c->address);
	return take_hit(c, data, meta, out, len, meta_json, err);
}

/* The length of the string under data_key (0 when there is none or it is
 * not a string: the GET that follows reports those); -1 when the
 * connection failed. */
static long long stored_length(struct wm_cache *c, const char *data_key, struct wm_err *err)
{
	redisAppendCommand(c->ctx, "STRLEN %s", data_key);
	if (flush_commands(c, "STRLEN", err) != 0)
		return -1;
	redisReply *r = next_reply(c, "STRLEN", err);
	if (!r)
		return -1;
	long long bytes = r->type == REDIS_REPLY_INTEGER && r->integer > 0 ? r->integer : 0;
	freeReplyObject(r);
	return bytes;
}

static int cache_get(struct wm_cache *c, const char *key, void **data, size_t *len,
		     char **meta_json, struct wm_err *err)
{
	if (check_key(key, err) != 0)
		return -1;
	start_operation(c, 0);
	if (ensure_connected(c, err) != 0)
		return -1;
	char data_key[KEY_MAX], meta_key[KEY_MAX];
	redis_keys(key, data_key, meta_key);
	long long bytes = stored_length(c, data_key, err);
	if (bytes < 0)
		return -1;
	/* Redis builds the whole reply before its first byte leaves, so a
	 * large hit needs its bytes' time before anything arrives. */
	start_operation(c, (size_t)bytes);
	redisAppendCommand(c->ctx, "GET %s", data_key);
	redisAppendCommand(c->ctx, "HGETALL %s", meta_key);
	if (flush_commands(c, "GET", err) != 0)
		return -1;
	redisReply *rd = next_reply(c, "GET", err);
	if (!rd)
		return -1;
	redisReply *rm = next_reply(c, "HGETALL", err);
	if (!rm) {
		freeReplyObject(rd);
		return -1;
	}
	mark_working(c);
	int rc = get_replies(c, rd, rm, data, len, meta_json, err);
	freeReplyObject(rd);
	freeReplyObject(rm);
	return rc;
}

int wm_cache_get(struct wm_cache *cache, const char *key, void **data, size_t *len,
		 char **meta_json, struct wm_err *err)
{
	if (!cache || !data || !len)
		return wm_err_set(err, WM_E_INTERNAL, "wm_cache_get needs a cache, data and len");
	*data = NULL;
	*len = 0;
	if (meta_json)
		*meta_json = NULL;
	int rc = cache_get(cache, key, data, len, meta_json, err);
	if (rc < 0 && cache->kind != KIND_NONE)
		cache->st.errors++;
	return rc;
}

/* ----------------------------------------------------------------- put */

/* The HSET arguments: the object's top-level scalars as strings (nested
 * values and nulls are left out). Returns the argument count, -1 on a meta
 * text that is not an object. */
struct hset_args {
	int n;
	const char **argv;
	size_t *lens;
	char (*numbers)[32];
};

static const char *scalar_text(json_t *v, char buf[32], size_t *len)
{
	if (json_is_string(v)) {
		*len = json_string_length(v);
		return json_string_value(v);
	}
	if (json_is_integer(v))
		snprintf(buf, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, 32, "%.17g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, 32, "%s", json_is_true(v) ? "true" : "false");
	else
		return NULL;
	*len = strlen(buf);
	return buf;
}

static int build_hset(json_t *obj, const char *meta_key, struct hset_args *a)
{
	size_t max = 2 + 2 * json_object_size(obj);
	a->argv = calloc(max, sizeof *a->argv);
	a->lens = calloc(max, sizeof *a->lens);
	a->numbers = calloc(max, sizeof *a->numbers);
	if (!a->argv || !a->lens || !a->numbers)
		return -1;
	a->argv[0] = "HSET";
	a->argv[1] = meta_key;
	a->n = 2;
	const char *name;
	json_t *v;
	json_object_foreach(obj, name, v)
	{
		const char *text = scalar_text(v, a->numbers[a->n + 1], &a->lens[a->n + 1]);
		if (!text)
			continue;
		a->argv[a->n] = name;
		a->lens[a->n] = strlen(name);
		a->argv[a->n + 1] = text;
		a->n += 2;
	}
	for (int i = 0; i < 2; i++)
		a->lens[i] = strlen(a->argv[i]);
	return 0;
}

static void free_hset(struct hset_args *a)
{
	free(a->argv);
	free(a->lens);
	free(a->numbers);
}

/* MULTI, SET data EX, DEL meta, [HSET meta, EXPIRE meta], EXEC: queued in
 * one write; returns how many replies to read. */
static int append_put(struct wm_cache *c, const char *data_key, const char *meta_key,
		      const void *data, size_t len, const struct hset_args *a)
{
	int n = 0;
	redisAppendCommand(c->ctx, "MULTI");
	n++;
	redisAppendCommand(c->ctx, "SET %s %b EX %d", data_key, data, len, c->ttl_s);
	n++;
	redisAppendCommand(c->ctx, "DEL %s", meta_key);
	n++;
	if (a->n > 2) {
		redisAppendCommandArgv(c->ctx, a->n, a->argv, a->lens);
		redisAppendCommand(c->ctx, "EXPIRE %s %d", meta_key, c->ttl_s);
		n += 2;
	}
	redisAppendCommand(c->ctx, "EXEC");
	return n + 1;
}

/* Read the pipeline's replies; the last (EXEC) must be an array without
 * errors in it. */
static int read_put(struct wm_cache *c, int replies, struct wm_err *err)
{
	int rc = 0;
	for (int i = 0; i < replies; i++) {
		redisReply *r = next_reply(c, "SET", err);
		if (!r)
			return -1;
		if (rc == 0 && r->type == REDIS_REPLY_ERROR)
			rc = reply_error(c, r, "SET", err);
		if (rc == 0 && i == replies - 1 && r->type != REDIS_REPLY_ARRAY)
			rc = wm_err_set(err, WM_E_UNAVAILABLE,
					"the render cache at %s discarded the transaction", c->address);
		for (size_t e = 0; rc == 0 && i == replies - 1 && e < r->elements; e++)
			if (r->element[e]->type == REDIS_REPLY_ERROR)
				rc = reply_error(c, r->element[e], "SET", err);
		freeReplyObject(r);
	}
	mark_working(c);
	return rc;
}

static int send_put(struct wm_cache *c, const char *data_key, const char *meta_key,
		    const void *data, size_t len, const struct hset_args *a, struct wm_err *err)
{
	start_operation(c, len);
	if (ensure_connected(c, err) != 0)
		return -1;
	int replies = append_put(c, data_key, meta_key, data, len, a);
	if (flush_commands(c, "SET", err) != 0)
		return -1;
	return read_put(c, replies, err);
}

static json_t *parse_meta(const char *meta_json, struct wm_err *err)
{
	json_error_t jerr;
	json_t *obj = json_loads(meta_json ? meta_json : "{}", 0, &jerr);
	if (!obj || !json_is_object(obj)) {
		json_decref(obj);
		wm_err_set(err, WM_E_BAD_REQUEST,
			   "cache metadata must be a JSON object's text (%s)",
			   obj ? "not an object" : jerr.text);
		return NULL;
	}
	return obj;
}

static int cache_put(struct wm_cache *c, const char *key, const void *data, size_t len,
		     const char *meta_json, struct wm_err *err)
{
	if (check_key(key, err) != 0)
		return -1;
	json_t *obj = parse_meta(meta_json, err);
	if (!obj)
		return -1;
	char data_key[KEY_MAX], meta_key[KEY_MAX];
	redis_keys(key, data_key, meta_key);
	struct hset_args a = { 0 };
	int rc = build_hset(obj, meta_key, &a);
	if (rc != 0)
		wm_err_set(err, WM_E_INTERNAL, "out of memory for cache metadata");
	else
		rc = send_put(c, data_key, meta_key, data, len, &a, err);
	free_hset(&a);
	json_decref(obj);
	if (rc == 0) {
		c->st.stores++;
		c->st.bytes_written += len;
	}
	return rc;
}

void wm_cache_set_limits(struct wm_cache *cache, int ttl_s, size_t max_entry_bytes)
{
	cache->ttl_s = ttl_s > 0 ? ttl_s : WM_CACHE_TTL_S_DEFAULT;
	cache->max_entry = max_entry_bytes ? max_entry_bytes : WM_CACHE_MAX_ENTRY_DEFAULT;
}

int wm_cache_put(struct wm_cache *cache, const char *key, const void *data, size_t len,
		 const char *meta_json, struct wm_err *err)
{
	if (!cache || (!data && len))
		return wm_err_set(err, WM_E_INTERNAL, "wm_cache_put needs a cache and data");
	if (cache->kind == KIND_NONE)
		return wm_err_set(err, WM_E_UNAVAILABLE, "the render cache is off (--redis none)");
	if (len > cache->max_entry) {
		cache->st.too_big++;
		return 0;
	}
	int rc = cache_put(cache, key, data ? data : "", len, meta_json, err);
	if (rc < 0)
		cache->st.errors++;
	return rc;
}

void wm_cache_get_stats(const struct wm_cache *cache, struct wm_cache_stats *stats)
{
	*stats = cache->st;
	stats->up = cache->ctx != NULL;
}

/* ---------------------------------------------------------------- hashes */

static void to_hex(const uint8_t digest[SHA256_DIGEST_SIZE], char hex[WM_CACHE_KEY_HEX])
{
	static const char digits[] = "0123456789abcdef";
	char *out = hex;
	for (size_t i = 0; i < SHA256_DIGEST_SIZE; i++) {
		*out++ = digits[digest[i] >> 4];
		*out++ = digits[digest[i] & 15];
	}
	*out = '\0';
}

void wm_cache_key(const char *canonical_request, const char *const *input_hashes, int n,
		  char hex[WM_CACHE_KEY_HEX])
{
	struct sha256_ctx h;
	uint8_t digest[SHA256_DIGEST_SIZE];
	const char *req = canonical_request ? canonical_request : "";
	sha256_init(&h);
	sha256_update(&h, strlen(req), (const uint8_t *)req);
	for (int i = 0; i < n; i++) {
		const char *in = input_hashes && input_hashes[i] ? input_hashes[i] : "";
		sha256_update(&h, 1, (const uint8_t *)"\n");
		sha256_update(&h, strlen(in), (const uint8_t *)in);
	}
	sha256_digest(&h, sizeof digest, digest);
	to_hex(digest, hex);
}

static bool same_file(const struct memo_entry *m, const char *path, const struct stat *st)
{
	return m->path && m->dev == st->st_dev && m->ino == st->st_ino &&
	       m->size == st->st_size && m->mtime.tv_sec == st->st_mtim.tv_sec &&
	       m->mtime.tv_nsec == st->st_mtim.tv_nsec && strcmp(m->path, path) == 0;
}

static struct memo_entry *memo_find(struct wm_cache *c, const char *path, const struct stat *st)
{
	for (int i = 0; i < MEMO_SLOTS; i++)
		if (same_file(&c->memo[i], path, st))
			return &c->memo[i];
	return NULL;
}

/* Remember a hash in the slot of the same path, else a free slot, else the
 * least recently used one. */
static void memo_store(struct wm_cache *c, const char *path, const struct stat *st,
		       const char hex[WM_CACHE_KEY_HEX])
{
	struct memo_entry *slot = &c->memo[0];
	for (int i = 0; i < MEMO_SLOTS; i++) {
		struct memo_entry *m = &c->memo[i];
		if (m->path && strcmp(m->path, path) == 0) {
			slot = m;
			break;
		}
		if (!m->path || (slot->path && m->last_use < slot->last_use))
			slot = m;
	}
	char *copy = strdup(path);
	if (!copy)
		return; /* only a lost memo */
	free(slot->path);
	slot->path = copy;
	slot->dev = st->st_dev;
	slot->ino = st->st_ino;
	slot->size = st->st_size;
	slot->mtime = st->st_mtim;
	slot->last_use = ++c->memo_clock;
	memcpy(slot->hex, hex, WM_CACHE_KEY_HEX);
}

static int hash_fd(int fd, const char *path, char hex[WM_CACHE_KEY_HEX], struct wm_err *err)
{
	uint8_t *buf = malloc(HASH_BLOCK);
	if (!buf)
		return wm_err_set(err, WM_E_INTERNAL, "out of memory for hashing %s", path);
	struct sha256_ctx h;
	sha256_init(&h);
	off_t off = 0;
	for (;;) {
		ssize_t n = pread(fd, buf, HASH_BLOCK, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			return wm_err_set(err, WM_E_IO, "cannot read %s to hash it: %s", path,
					  strerror(e));
		}
		if (n == 0)
			break;
		sha256_update(&h, (size_t)n, buf);
		off += n;
	}
	free(buf);
	uint8_t digest[SHA256_DIGEST_SIZE];
	sha256_digest(&h, sizeof digest, digest);
	to_hex(digest, hex);
	return 0;
}

static bool stat_same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

int wm_cache_file_hash(struct wm_cache *cache, int fd, const char *path,
		       char hex[WM_CACHE_KEY_HEX], struct wm_err *err)
{
	const char *name = path ? path : "(unnamed file)";
	struct stat before, after;
	if (fstat(fd, &before) != 0)
		return wm_err_set(err, WM_E_IO, "cannot stat %s to hash it: %s", name,
				  strerror(errno));
	struct memo_entry *m = cache && path ? memo_find(cache, path, &before) : NULL;
	if (m) {
		m->last_use = ++cache->memo_clock;
		memcpy(hex, m->hex, WM_CACHE_KEY_HEX);
		return 0;
	}
	if (hash_fd(fd, name, hex, err) != 0)
		return -1;
	/* A file written while it was read is hashed again next time. */
	if (cache && path && fstat(fd, &after) == 0 && stat_same(&before, &after))
		memo_store(cache, path, &before, hex);
	return 0;
}
