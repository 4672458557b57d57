/* reply.h - the JSON shapes of the socket protocol in one place: values
 * (-inf as the string "-inf"), ok replies, error replies, events. Control
 * thread only (jansson allocates). */
#ifndef WM_REPLY_H
#define WM_REPLY_H

#include <jansson.h>

#include "common/err.h"
#include "engine/params.h"

/* Flags for json_dumps so every line looks the same. */
#define WM_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(12))

json_t *wm_json_value(const struct wm_value *value);

/* -inf dB as "-inf", else a real. */
json_t *wm_json_db(double gain_db);

json_t *wm_reply_ok(void);
json_t *wm_reply_error(const struct wm_err *err);

/* {"event":"change","path":...,"value":...,"by":...} */
json_t *wm_event_change(const struct wm_param_ref *ref, const struct wm_value *value,
			const char *by);

#endif
