/* param_value.c - parameter values: parsing what a person typed ("-6",
 * "-inf", "on", a name) and checking what a client sent already typed (OSC,
 * JSON), against the ranges in the schema (params.c). Pure functions; the
 * control thread calls them. Errors say what was given and what is
 * allowed, because they go back to whoever sent it. */
#include "engine/params.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/text.h"

/* A name: 1..WM_NAME_MAX-1 bytes of UTF-8 without control characters
 * (C0, DEL, C1), so it is safe in a log line, JSON and a console label. */
static int check_name(const char *path, const char *text, size_t max_bytes,
		      struct wm_err *err)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t bytes = strnlen(text, max_bytes);

	if (bytes == 0)
		return wm_err_set(err, WM_E_BAD_TYPE,
				  "%s must not be empty; names are 1..%d bytes",
				  path, WM_NAME_MAX - 1);
	if (bytes > WM_NAME_MAX - 1)
		return wm_err_set(err, WM_E_BAD_TYPE,
				  "%s: a name of %s%zu bytes is too long; names are 1..%d bytes",
				  path, bytes == max_bytes ? "at least " : "", bytes,
				  WM_NAME_MAX - 1);
	while (*s) {
		int n = wm_utf8_seq_len((const char *)s);

		if (n == 0)
			return wm_err_set(err, WM_E_BAD_TYPE,
					  "%s: the name is not valid UTF-8", path);
		if ((n == 1 && (*s < 0x20 || *s == 0x7f)) ||
		    (n == 2 && s[0] == 0xc2 && s[1] < 0xa0))
			return wm_err_set(err, WM_E_BAD_TYPE,
					  "%s: the name contains a control character; names are printable text",
					  path);
		s += n;
	}
	return 0;
}

/* strtod over the whole string. Returns 0 with *v finite, 1 when the
 * number overflowed (*v is +-HUGE_VAL), -1 when it is not a number. */
static int parse_number(const char *text, double *v)
{
	char *end;

	if (text[0] == '\0' || text[0] == ' ' || (text[0] >= '\t' && text[0] <= '\r'))
		return -1;
	errno = 0;
	*v = strtod(text, &end);
	if (end == text || *end != '\0' || isnan(*v))
		return -1;
	if (isinf(*v))
		return errno == ERANGE ? 1 : -1;
	return 0;
}

static bool is_minus_inf(const char *text)
{
	return strcasecmp(text, "-inf") == 0 || strcasecmp(text, "-infinity") == 0;
}

static int parse_bool(const char *text, bool *on)
{
	static const char *const yes[] = { "1", "on", "true", "yes" };
	static const char *const no[] = { "0", "off", "false", "no" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*on = true;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*on = false;
			return 0;
		}
	}
	return -1;
}

/* Range check of a number for a DB or FLOAT parameter; dB values at or
 * below the floor become -inf. */
static int check_number(const struct wm_param_info *info, const char *path,
			double *v, struct wm_err *err)
{
	if (info->type == WM_TYPE_DB) {
		if (*v <= WM_GAIN_FLOOR_DB) {
			*v = -INFINITY;
			return 0;
		}
		if (*v > info->max)
			return wm_err_set(err, WM_E_OUT_OF_RANGE,
					  "%s: %g dB is above the maximum of %+g dB",
					  path, *v, info->max);
		return 0;
	}
	if (isnan(*v) || *v > info->max)
		return wm_err_set(err, WM_E_OUT_OF_RANGE,
				  "%s: %g is above the maximum of %g", path, *v, info->max);
	if (*v < info->min)
		return wm_err_set(err, WM_E_OUT_OF_RANGE,
				  "%s: %g is below the minimum of %g", path, *v, info->min);
	return 0;
}

/* The index of text among an enum row's choices; -1 when absent. */
static int find_choice(const struct wm_param_info *info, const char *text)
{
	for (int i = 0; info->choices[i]; i++)
		if (strcmp(text, info->choices[i]) == 0)
			return i;
	return -1;
}

static void set_choice(const struct wm_param_info *info, int i, struct wm_value *value)
{
	value->type = WM_TYPE_ENUM;
	value->num = i;
	snprintf(value->text, sizeof value->text, "%s", info->choices[i]);
}

static int want(const struct wm_param_info *info, const char *path,
		const char *got, struct wm_err *err)
{
	switch (info->type) {
	case WM_TYPE_DB:
		return wm_err_set(err, WM_E_BAD_TYPE,
				  "%s wants a number in dB (or -inf); got %s", path, got);
	case WM_TYPE_FLOAT:
		return wm_err_set(err, WM_E_BAD_TYPE,
				  "%s wants a number from %g to %g; got %s",
				  path, info->min, info->max, got);
	case WM_TYPE_BOOL:
		return wm_err_set(err, WM_E_BAD_TYPE,
				  "%s wants 0 or 1 (also on/off, true/false, yes/no); got %s",
				  path, got);
	case WM_TYPE_ENUM:
		return wm_err_set(err, WM_E_BAD_TYPE, "%s wants one of %s%s%s; got %s", path,
				  info->choices[0], info->choices[1] ? ", " : "",
				  info->choices[1] ? info->choices[1] : "", got);
	case WM_TYPE_STRING:
		break;
	}
	return wm_err_set(err, WM_E_BAD_TYPE, "%s wants a name; got %s", path, got);
}

int wm_param_parse_value(const struct wm_param_ref *ref, const char *text,
			 struct wm_value *value, struct wm_err *err)
{
	const struct wm_param_info *info = wm_param_info(ref->id);
	char path[48], got[WM_TEXT_ECHO_SIZE], quoted[WM_TEXT_ECHO_SIZE + 2];
	int rc;

	if (!info)
		return wm_err_set(err, WM_E_INTERNAL, "no such parameter id %d", (int)ref->id);
	wm_param_format_path(ref, path, sizeof path);
	snprintf(quoted, sizeof quoted, "\"%s\"", wm_text_echo(text, got, sizeof got));
	memset(value, 0, sizeof *value);
	value->type = info->type;
	switch (info->type) {
	case WM_TYPE_DB:
		if (is_minus_inf(text)) {
			value->num = -INFINITY;
			return 0;
		}
		/* fall through */
	case WM_TYPE_FLOAT:
		rc = parse_number(text, &value->num);
		if (rc < 0)
			return want(info, path, quoted, err);
		if (rc > 0 && !(info->type == WM_TYPE_DB && value->num < 0))
			return wm_err_set(err, WM_E_OUT_OF_RANGE,
					  "%s: %s is out of range (%g..%+g)", path,
					  got, info->min, info->max);
		return check_number(info, path, &value->num, err);
	case WM_TYPE_BOOL:
		if (parse_bool(text, &value->on) < 0)
			return want(info, path, quoted, err);
		value->num = value->on;
		return 0;
	case WM_TYPE_STRING:
		if (check_name(path, text, SIZE_MAX, err) < 0)
			return -1;
		memcpy(value->text, text, strlen(text) + 1);
		return 0;
	case WM_TYPE_ENUM:
		rc = find_choice(info, text);
		if (rc < 0)
			return want(info, path, quoted, err);
		set_choice(info, rc, value);
		return 0;
	}
	return wm_err_set(err, WM_E_INTERNAL, "%s: unknown value type", path);
}

int wm_param_check_value(const struct wm_param_ref *ref, struct wm_value *value,
			 struct wm_err *err)
{
	const struct wm_param_info *info = wm_param_info(ref->id);
	char path[48], got[48];

	if (!info)
		return wm_err_set(err, WM_E_INTERNAL, "no such parameter id %d", (int)ref->id);
	wm_param_format_path(ref, path, sizeof path);
	if (value->type == WM_TYPE_STRING && info->type != WM_TYPE_STRING) {
		/* OSC and JSON clients may send "-inf" or "on" as a string. */
		char text[WM_NAME_MAX];

		memcpy(text, value->text, sizeof text);
		text[sizeof text - 1] = '\0';
		return wm_param_parse_value(ref, text, value, err);
	}
	switch (info->type) {
	case WM_TYPE_DB:
	case WM_TYPE_FLOAT:
		if (value->type == WM_TYPE_BOOL)
			return want(info, path, "a boolean", err);
		if (isnan(value->num) ||
		    (isinf(value->num) && !(info->type == WM_TYPE_DB && value->num < 0))) {
			snprintf(got, sizeof got, "%g", value->num);
			return want(info, path, got, err);
		}
		value->type = info->type;
		return check_number(info, path, &value->num, err);
	case WM_TYPE_BOOL:
		if (value->type != WM_TYPE_BOOL) {
			if (value->num != 0.0 && value->num != 1.0) {
				snprintf(got, sizeof got, "%g", value->num);
				return want(info, path, got, err);
			}
			value->on = value->num == 1.0;
			value->type = WM_TYPE_BOOL;
		}
		value->num = value->on;
		return 0;
	case WM_TYPE_STRING:
		if (value->type != WM_TYPE_STRING)
			return want(info, path, value->type == WM_TYPE_BOOL ? "a boolean" :
				    "a number", err);
		return check_name(path, value->text, sizeof value->text, err);
	case WM_TYPE_ENUM:
		/* A choice by number: its index. */
		if (value->type == WM_TYPE_BOOL || value->num != floor(value->num) ||
		    !(value->num >= info->min && value->num <= info->max)) {
			snprintf(got, sizeof got, "%g", value->num);
			return want(info, path, value->type == WM_TYPE_BOOL ? "a boolean" : got,
				    err);
		}
		set_choice(info, (int)value->num, value);
		return 0;
	}
	return wm_err_set(err, WM_E_INTERNAL, "%s: unknown value type", path);
}
