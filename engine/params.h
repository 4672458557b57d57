/* params.h - the parameter tree's schema: one row per path pattern with its
 * type, range, unit and default. Both protocols, the docs and `describe`
 * read this table; nothing else knows a path. Pure functions on a wm_mix;
 * any thread (the control thread in practice). */
#ifndef WM_PARAMS_H
#define WM_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "engine/mix.h"

enum wm_param_id {
	WM_PARAM_CH_GAIN,
	WM_PARAM_CH_FADER,
	WM_PARAM_CH_PAN,
	WM_PARAM_CH_MUTE,
	WM_PARAM_CH_SOLO,
	WM_PARAM_CH_DUCK,
	WM_PARAM_CH_SEND,
	WM_PARAM_CH_NAME,
	WM_PARAM_ZONE_GAIN,
	WM_PARAM_ZONE_MUTE,
	WM_PARAM_ZONE_LIMIT,
	WM_PARAM_ZONE_NAME,
	WM_PARAM_DUCK_THRESHOLD,
	WM_PARAM_DUCK_DEPTH,
	WM_PARAM_DUCK_ATTACK,
	WM_PARAM_DUCK_HOLD,
	WM_PARAM_DUCK_RELEASE,
	WM_PARAM_COUNT
};

enum wm_value_type {
	WM_TYPE_DB,     /* number in dB, or -inf */
	WM_TYPE_FLOAT,  /* plain number */
	WM_TYPE_BOOL,
	WM_TYPE_STRING,
	WM_TYPE_ENUM,   /* one of the row's choices; num is its index */
};

struct wm_param_info {
	enum wm_param_id id;
	const char *pattern;     /* "ch/N/send/Z" */
	enum wm_value_type type;
	double min, max;         /* numbers: inclusive range (dB: -inf allowed too) */
	double def;              /* numbers and bools: the default */
	const char *unit;        /* "dB", "", ... */
	const char *help;        /* one sentence */
	const char *const *choices; /* WM_TYPE_ENUM: the names, NULL-terminated */
};

struct wm_param_ref {
	enum wm_param_id id;
	int ch;                  /* 0-based channel, -1 when not part of the path */
	int zone;                /* 0-based zone, -1 when not part of the path */
};

struct wm_value {
	enum wm_value_type type;
	double num;              /* WM_TYPE_DB (may be -INFINITY), WM_TYPE_FLOAT,
				  * WM_TYPE_ENUM (the choice's index) */
	bool on;                 /* WM_TYPE_BOOL */
	char text[WM_NAME_MAX];  /* WM_TYPE_STRING, WM_TYPE_ENUM (the choice's name) */
};

const struct wm_param_info *wm_param_info(enum wm_param_id id);

/* Whether paths of this parameter carry a channel (ch/N/...) and a zone
 * (zone/Z/... or .../send/Z). Global parameters (duck/...) carry neither. */
bool wm_param_has_channel(enum wm_param_id id);
bool wm_param_has_zone(enum wm_param_id id);

/* "ch/2/gain" -> ref. Unknown or out-of-topology paths fill err with
 * WM_E_UNKNOWN_PATH and a message naming what exists. */
int wm_param_parse_path(const char *path, const struct wm_mix *mix,
			struct wm_param_ref *ref, struct wm_err *err);

/* ref -> "ch/2/gain"; returns the length written (like snprintf). */
int wm_param_format_path(const struct wm_param_ref *ref, char *buf, size_t len);

/* Parse text as the value of ref: numbers ("-6", "-inf" for dB), booleans
 * ("0 1 on off true false"), names (printable UTF-8, < WM_NAME_MAX bytes).
 * Type and range errors name the parameter and what is allowed. */
int wm_param_parse_value(const struct wm_param_ref *ref, const char *text,
			 struct wm_value *value, struct wm_err *err);

/* Range/type check of an already typed value (from OSC or JSON): numbers are
 * accepted for bools (0/1) and dB values at or below the floor become -inf. */
int wm_param_check_value(const struct wm_param_ref *ref, struct wm_value *value,
			 struct wm_err *err);

void wm_param_get(const struct wm_mix *mix, const struct wm_param_ref *ref,
		  struct wm_value *value);

/* Store a checked value. Returns true when the mix changed. Setting the
 * fader stores the equivalent gain (fader and gain are one parameter seen
 * through two scales). */
bool wm_param_set(struct wm_mix *mix, const struct wm_param_ref *ref,
		  const struct wm_value *value);

/* Iterate every path of the mix in tree order: start with ref->id = -1. */
bool wm_param_next(const struct wm_mix *mix, struct wm_param_ref *ref);

/* Console fader taper, piecewise linear in dB (documented in docs/protocol.md):
 * 0 = -inf, 0.0625 = -60, 0.25 = -30, 0.5 = -10, 0.75 = 0 dB, 1 = +12 dB. */
double wm_fader_to_db(double fader);
double wm_db_to_fader(double gain_db);

/* -inf and anything at or below WM_GAIN_FLOOR_DB give exactly 0. */
double wm_db_to_lin(double gain_db);

#endif
