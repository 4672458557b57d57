/* cache.h - the render cache in Redis (hiredis): finished outputs stored
 * under a key derived from the canonical request and the inputs' content,
 * with a TTL and a size limit per entry, under the "washmix:" prefix:
 * washmix:render:KEY (the output's bytes) and washmix:meta:KEY (a hash:
 * format, size, loudness, true peak, created). Every Redis call has a
 * timeout (a SIGSTOPped Redis still accepts connections); a lost server
 * is reconnected with backoff and the cache is simply off meanwhile.
 * Content hashes of input files are remembered per path, size, mtime and
 * inode, so an unchanged file is not read again.
 *
 * Threads: one cache per thread (a render worker owns its connection);
 * wm_cache_key_* are pure functions. */
#ifndef WM_CACHE_H
#define WM_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define WM_CACHE_KEY_HEX 65          /* SHA-256 in hex, with the NUL */
#define WM_CACHE_TTL_S_DEFAULT 3600
#define WM_CACHE_MAX_ENTRY_DEFAULT (64u << 20)
#define WM_CACHE_TIMEOUT_MS_DEFAULT 200

struct wm_cache;

struct wm_cache_config {
	const char *address;         /* host:port | unix:PATH | none */
	int ttl_s;                   /* 0 = default */
	size_t max_entry_bytes;      /* 0 = default */
	int timeout_ms;              /* connect and command timeout; 0 = default */
};

struct wm_cache_stats {
	uint64_t hits, misses, stores, errors, too_big;
	uint64_t bytes_read, bytes_written;
	uint64_t reconnects;
	bool up;                     /* connected now */
	char last_error[WM_ERR_MSG_MAX];
};

/* Never fails for an unreachable server (the cache is down and retries);
 * only for a malformed address (WM_E_BAD_CONFIG) or ENOMEM. "none" gives a
 * cache that is always off. */
struct wm_cache *wm_cache_create(const struct wm_cache_config *config, struct wm_err *err);
void wm_cache_destroy(struct wm_cache *cache);

/* Whether the server answers now (reconnects when the backoff allows). */
bool wm_cache_up(struct wm_cache *cache);

/* Look key up: on a hit fills *data (malloc'd) and *len and returns 1; a
 * miss returns 0; an error returns -1 with err (the caller renders
 * uncached). meta_json, when not NULL, gets the stored metadata as a JSON
 * object text (malloc'd) on a hit. A "none" cache, a server that is down
 * and a malformed key (not 64 lowercase hex digits) are errors:
 * WM_E_UNAVAILABLE ("the render cache is off (--redis none)", "... is
 * down ...") or WM_E_BAD_REQUEST. The metadata keeps the top-level scalars
 * put stored; a value that reads as a JSON number or true/false comes back
 * as one, everything else as a string. */
int wm_cache_get(struct wm_cache *cache, const char *key, void **data, size_t *len,
		 char **meta_json, struct wm_err *err);

/* Store data under key with the TTL; meta_json is a JSON object's text
 * (NULL: none); its top-level scalars become the metadata hash (nested
 * values and nulls are left out) and replace what was stored before.
 * Larger than the entry limit: not stored, counted, returns 0. */
int wm_cache_put(struct wm_cache *cache, const char *key, const void *data, size_t len,
		 const char *meta_json, struct wm_err *err);

void wm_cache_get_stats(const struct wm_cache *cache, struct wm_cache_stats *stats);

/* New TTL and entry limit for later puts (0 = default); the cache's own
 * thread, like every call here. */
void wm_cache_set_limits(struct wm_cache *cache, int ttl_s, size_t max_entry_bytes);

/* --- keys (pure) --- */

/* The hex SHA-256 of a file's content, remembered per (path, size, mtime,
 * inode) in a small table of this cache, so an unchanged file is read once.
 * fd is open for reading; path is only the memo's name. */
int wm_cache_file_hash(struct wm_cache *cache, int fd, const char *path,
		       char hex[WM_CACHE_KEY_HEX], struct wm_err *err);

/* The cache key: SHA-256 over the canonical request and each input's
 * content hash, in order. */
void wm_cache_key(const char *canonical_request, const char *const *input_hashes, int n,
		  char hex[WM_CACHE_KEY_HEX]);

#endif
