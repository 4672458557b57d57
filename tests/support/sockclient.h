/* sockclient.h - a test client for washmixd's Unix-socket line protocol:
 * connect, send a line (or raw bytes), read one reply line with a timeout,
 * parse it with jansson.
 *
 * Replies ({"ok":...}) and events ({"event":...}) share the connection; the
 * reply readers set events aside in a queue that wm_client_read_event reads
 * first, so a subscribed connection can still make requests.
 *
 * The wm_t_* helpers fail the current Check test with the request and the
 * raw reply in the message. One client per thread. */
#ifndef WM_T_SOCKCLIENT_H
#define WM_T_SOCKCLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define WM_T_REPLY_TIMEOUT_MS 5000

struct wm_client;

/* Connect (retrying ECONNREFUSED/ENOENT/EAGAIN until timeout_ms; 0 = once).
 * NULL with errno on failure. */
struct wm_client *wm_client_connect(const char *sock_path, int timeout_ms);
void wm_client_close(struct wm_client *c);
int wm_client_fd(const struct wm_client *c);

/* Send len bytes as they are (no newline added). 0, or -1 with errno
 * (EPIPE once the daemon closed the connection). */
int wm_client_send_raw(struct wm_client *c, const void *buf, size_t len);

/* Send a formatted line; a newline is appended. */
int wm_client_sendf(struct wm_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Read one line (without its newline) into a malloc'd string. Returns 1 and
 * sets *line, 0 at EOF (the daemon closed), -1 on timeout (errno ETIMEDOUT)
 * or error. Lines set aside as events are not returned here. */
int wm_client_read_line(struct wm_client *c, int timeout_ms, char **line);

/* Read the next reply (skipping and queueing event lines). Returns the parsed
 * object (caller json_decref's) or NULL: *raw (when not NULL) then gets the
 * offending text or "" and *why a reason ("timeout", "closed", "bad JSON:
 * ..."). *raw is malloc'd and always set when raw != NULL. */
json_t *wm_client_read_reply(struct wm_client *c, int timeout_ms, char **raw,
			     const char **why);

/* Next event line, from the queue or the socket; NULL on timeout or EOF. */
json_t *wm_client_read_event(struct wm_client *c, int timeout_ms);

/* Events set aside so far (not yet read). */
size_t wm_client_pending_events(const struct wm_client *c);

/* Send a line and read its reply; NULL as wm_client_read_reply. */
json_t *wm_client_request(struct wm_client *c, int timeout_ms, const char *line);

/* --- Check-asserting helpers -------------------------------------------- */

/* Send a formatted request and return its reply: the test fails unless a
 * reply arrives within WM_T_REPLY_TIMEOUT_MS and is a JSON object with a
 * boolean "ok" and, when ok is false, an error object with a non-empty
 * string code and message. */
json_t *wm_t_request(struct wm_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Fail unless r is {"ok":true,...}; returns r. */
json_t *wm_t_assert_ok(json_t *r, const char *what);

/* Fail unless r is {"ok":false,"error":{"code":code,...}}; returns r. */
json_t *wm_t_assert_error(json_t *r, const char *code, const char *what);

/* Request + ok + json_decref in one: for set-up steps. */
void wm_t_ok(struct wm_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Request + expect the error code; the reply is returned (decref it). */
json_t *wm_t_err(struct wm_client *c, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One-shot connection: connect, request, close. */
json_t *wm_t_request1(const char *sock_path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A number from a reply's "value": JSON number, or the string "-inf"
 * (-INFINITY). The test fails for anything else. */
double wm_t_value_num(json_t *r);

/* In a `list` reply's params array: the entry with this path; *count gets
 * how many entries have it. NULL when none. */
json_t *wm_t_list_find(json_t *params, const char *path, int *count);

/* The string value of v, or "" when v is not a string. */
const char *wm_t_strval(const json_t *v);

/* error.code of a reply, or "" when it has none. */
const char *wm_t_error_code(const json_t *r);

/* Compact JSON text of r for messages (static buffer, overwritten). */
const char *wm_t_json_str(const json_t *r);

#endif
