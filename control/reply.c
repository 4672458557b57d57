/* reply.c - JSON replies and events (control thread). */
#include "control/reply.h"

#include <math.h>

json_t *wm_json_db(double gain_db)
{
	if (isinf(gain_db) && gain_db < 0)
		return json_string("-inf");
	return json_real(gain_db);
}

json_t *wm_json_value(const struct wm_value *value)
{
	switch (value->type) {
	case WM_TYPE_DB:
		return wm_json_db(value->num);
	case WM_TYPE_FLOAT:
		return json_real(value->num);
	case WM_TYPE_BOOL:
		return json_boolean(value->on);
	case WM_TYPE_STRING:
	case WM_TYPE_ENUM: /* by name, as a person types it */
		return json_string(value->text);
	}
	return json_null();
}

json_t *wm_reply_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

json_t *wm_reply_error(const struct wm_err *err)
{
	return json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code",
			 wm_errcode_name(err->code), "message", err->msg);
}

json_t *wm_event_change(const struct wm_param_ref *ref, const struct wm_value *value,
			const char *by)
{
	char path[64];
	wm_param_format_path(ref, path, sizeof path);
	return json_pack("{s:s, s:s, s:o, s:s}", "event", "change", "path", path, "value",
			 wm_json_value(value), "by", by ? by : "");
}
