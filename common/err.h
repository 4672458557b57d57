/* err.h - the error type every layer returns: a machine-readable code plus a
 * sentence for a human that says what was wrong and what is allowed.
 * Errors are filled deep inside and reported once, at the edge (a protocol
 * reply or a log line). Any thread may use it; nothing here allocates. */
#ifndef WM_ERR_H
#define WM_ERR_H

#include <stddef.h>

enum wm_errcode {
	WM_OK = 0,
	WM_E_BAD_REQUEST,   /* unbalanced quotes, bad UTF-8, binary garbage */
	WM_E_LINE_TOO_LONG, /* request longer than the line limit */
	WM_E_UNKNOWN_VERB,
	WM_E_WRONG_ARGS,    /* arity */
	WM_E_UNKNOWN_PATH,
	WM_E_BAD_TYPE,
	WM_E_OUT_OF_RANGE,
	WM_E_READ_ONLY,
	WM_E_NOT_FOUND,
	WM_E_BAD_NAME,
	WM_E_BAD_FILE,      /* a corrupt state file, a file that is not audio */
	WM_E_BAD_PATH,      /* a client path that is absolute or escapes its folder */
	WM_E_BUSY,
	WM_E_UNAVAILABLE,   /* JACK (or later Redis) needed and down */
	WM_E_BAD_CONFIG,
	WM_E_IO,
	WM_E_INTERNAL,
	WM_E_PERMISSION_DENIED, /* a peer the control socket's allow-list refuses */
	WM_E_RATE_LIMITED,  /* over a connection's or source's request budget */
	WM_E_TOO_BIG,       /* a media file over the size limit */
	WM_E_LINE_TIMEOUT,  /* a request line not finished in time */
	WM_E_COUNT
};

#define WM_ERR_MSG_MAX 320

struct wm_err {
	enum wm_errcode code;
	char msg[WM_ERR_MSG_MAX];
};

/* Fill err (which may be NULL) and return -1, so callers can write
 * "return wm_err_set(err, WM_E_X, ...);". */
int wm_err_set(struct wm_err *err, enum wm_errcode code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void wm_err_clear(struct wm_err *err);

/* Stable snake_case name of a code, as sent on the wire ("out_of_range"). */
const char *wm_errcode_name(enum wm_errcode code);

#endif
