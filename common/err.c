/* err.c - error codes and their wire names. Any thread; no allocation. */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const code_names[WM_E_COUNT] = {
	[WM_OK] = "ok",
	[WM_E_BAD_REQUEST] = "bad_request",
	[WM_E_LINE_TOO_LONG] = "line_too_long",
	[WM_E_UNKNOWN_VERB] = "unknown_verb",
	[WM_E_WRONG_ARGS] = "wrong_args",
	[WM_E_UNKNOWN_PATH] = "unknown_path",
	[WM_E_BAD_TYPE] = "bad_type",
	[WM_E_OUT_OF_RANGE] = "out_of_range",
	[WM_E_READ_ONLY] = "read_only",
	[WM_E_NOT_FOUND] = "not_found",
	[WM_E_BAD_NAME] = "bad_name",
	[WM_E_BAD_FILE] = "bad_file",
	[WM_E_BAD_PATH] = "bad_path",
	[WM_E_BUSY] = "busy",
	[WM_E_UNAVAILABLE] = "unavailable",
	[WM_E_BAD_CONFIG] = "bad_config",
	[WM_E_IO] = "io",
	[WM_E_INTERNAL] = "internal",
	[WM_E_PERMISSION_DENIED] = "permission_denied",
	[WM_E_RATE_LIMITED] = "rate_limited",
	[WM_E_TOO_BIG] = "too_big",
	[WM_E_LINE_TIMEOUT] = "line_timeout",
};

int wm_err_set(struct wm_err *err, enum wm_errcode code, const char *fmt, ...)
{
	if (!err)
		return -1;
	err->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

void wm_err_clear(struct wm_err *err)
{
	if (!err)
		return;
	err->code = WM_OK;
	err->msg[0] = '\0';
}

const char *wm_errcode_name(enum wm_errcode code)
{
	if ((int)code < 0 || code >= WM_E_COUNT)
		return "internal";
	return code_names[code];
}
