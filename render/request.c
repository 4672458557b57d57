/* request.c - a render request (request.h): the JSON checked whole, every
 * unknown key refused with its field named, defaults filled in, and the
 * canonical form (sorted keys, every default explicit) for the cache key.
 * Pure functions; any one thread at a time per request. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "presets/store.h"
#include "render/request.h"

#define RATE_MIN 8000
#define RATE_MAX 192000
#define DEFAULT_TARGET_LUFS (-14.0)
#define DEFAULT_TRUE_PEAK_DB (-1.0)

static const char *const top_keys[] = { "scene", "inputs", "duration", "output", "loudness", NULL };
static const char *const output_keys[] = { "file", "format", "rate", "zone", NULL };
static const char *const loudness_keys[] = { "target", "true_peak", "policy", NULL };
static const char *const input_keys[] = { "file", "offset", NULL };

static const char *const format_names[] = {
	[WM_RENDER_WAV16] = "wav", [WM_RENDER_WAV24] = "wav24",
	[WM_RENDER_FLAC] = "flac", [WM_RENDER_OGG] = "ogg",
};

const char *wm_render_format_name(enum wm_render_format format)
{
	if ((unsigned)format >= sizeof format_names / sizeof format_names[0])
		return "?";
	return format_names[format];
}

/* Refuse any key of obj not in allowed; where names the object ("output"). */
static int check_keys(json_t *obj, const char *const *allowed, const char *where,
		      const char *allowed_text, struct wm_err *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		bool known = false;
		for (size_t i = 0; allowed[i]; i++)
			known = known || strcmp(key, allowed[i]) == 0;
		if (!known)
			return wm_err_set(err, WM_E_BAD_REQUEST,
					  "%s%s%.64s: unknown key; allowed: %s", where,
					  *where ? "." : "", key, allowed_text);
	}
	return 0;
}

/* A number field within [lo, hi]; returns 1 when present, 0 when absent. */
static int get_number(json_t *obj, const char *key, const char *field, double lo, double hi,
		      double *out, struct wm_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_number(v))
		return wm_err_set(err, WM_E_BAD_REQUEST, "%s: must be a number", field);
	double d = json_number_value(v);
	if (!isfinite(d) || d < lo || d > hi)
		return wm_err_set(err, WM_E_OUT_OF_RANGE, "%s: %g is out of range; allowed %g..%g",
				  field, d, lo, hi);
	*out = d;
	return 1;
}

static int get_int(json_t *obj, const char *key, const char *field, long lo, long hi,
		   long *out, struct wm_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_integer(v))
		return wm_err_set(err, WM_E_BAD_REQUEST, "%s: must be an integer %ld..%ld", field,
				  lo, hi);
	json_int_t i = json_integer_value(v);
	if (i < lo || i > hi)
		return wm_err_set(err, WM_E_OUT_OF_RANGE,
				  "%s: %lld is out of range; allowed %ld..%ld", field, (long long)i,
				  lo, hi);
	*out = (long)i;
	return 1;
}

/* A path field: a string that passes wm_path_check for the folder. */
static int get_path(json_t *v, const char *field, const char *what, char *out,
		    struct wm_err *err)
{
	struct wm_err inner;

	if (!json_is_string(v))
		return wm_err_set(err, WM_E_BAD_REQUEST, "%s: must be a file path (a string)",
				  field);
	const char *s = json_string_value(v);
	if (strlen(s) != json_string_length(v) || wm_path_check(s, what, &inner) < 0)
		return wm_err_set(err, WM_E_BAD_PATH, "%s: %s", field,
				  strlen(s) != json_string_length(v) ? "contains a NUL byte"
								     : inner.msg);
	snprintf(out, WM_PATH_MAX, "%s", s);
	return 0;
}

static int parse_scene(json_t *v, struct wm_render_request *req, struct wm_err *err)
{
	struct wm_err inner;

	if (!v || json_is_null(v))
		return 0;
	if (json_is_object(v)) {
		req->scene = json_incref(v);
		return 0;
	}
	if (!json_is_string(v))
		return wm_err_set(err, WM_E_BAD_REQUEST,
				  "scene: must be a scene name (a string) or a scene object");
	const char *name = json_string_value(v);
	if (strlen(name) >= WM_NAME_MAX)
		return wm_err_set(err, WM_E_BAD_NAME, "scene: name too long; allowed 1..%d characters",
				  WM_NAME_MAX - 1);
	if (wm_store_check_name(name, &inner) < 0)
		return wm_err_set(err, WM_E_BAD_NAME, "scene: %s", inner.msg);
	snprintf(req->scene_name, sizeof req->scene_name, "%s", name);
	return 0;
}

/* "1".."channels" in plain decimal (no sign, no leading zero). */
static int parse_channel_key(const char *key, int channels, int *ch, struct wm_err *err)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(key, &end, 10);
	if (!isdigit((unsigned char)key[0]) || key[0] == '0' || *end || errno)
		return wm_err_set(err, WM_E_BAD_REQUEST,
				  "inputs.%.32s: keys are channel numbers 1..%d", key, channels);
	if (n < 1 || n > channels)
		return wm_err_set(err, WM_E_OUT_OF_RANGE,
				  "inputs.%.32s: no such channel; allowed 1..%d", key, channels);
	*ch = (int)n - 1;
	return 0;
}

static int parse_input(const char *key, json_t *v, double max_s, struct wm_render_input *in,
		       struct wm_err *err)
{
	char field[96];

	snprintf(field, sizeof field, "inputs.%s", key);
	in->offset_s = 0.0;
	if (json_is_string(v))
		return get_path(v, field, "media folder", in->file, err);
	if (!json_is_object(v))
		return wm_err_set(err, WM_E_BAD_REQUEST,
				  "%s: must be a file path or {\"file\":PATH,\"offset\":SECONDS}",
				  field);
	if (check_keys(v, input_keys, field, "file, offset", err) < 0)
		return -1;
	json_t *file = json_object_get(v, "file");
	if (!file)
		return wm_err_set(err, WM_E_BAD_REQUEST, "%s.file: missing (a path in the media folder)",
				  field);
	snprintf(field, sizeof field, "inputs.%s.file", key);
	if (get_path(file, field, "media folder", in->file, err) < 0)
		return -1;
	snprintf(field, sizeof field, "inputs.%s.offset", key);
	return get_number(v, "offset", field, 0.0, max_s, &in->offset_s, err) < 0 ? -1 : 0;
}

static int cmp_input(const void *a, const void *b)
{
	const struct wm_render_input *x = a, *y = b;
	return (x->ch > y->ch) - (x->ch < y->ch);
}

static int parse_inputs(json_t *v, const struct wm_render_limits *lim, double max_s,
			struct wm_render_request *req, struct wm_err *err)
{
	const char *key;
	json_t *val;

	if (!v)
		return wm_err_set(err, WM_E_BAD_REQUEST,
				  "inputs: missing; give {\"CHANNEL\": PATH, ...}");
	if (!json_is_object(v) || json_object_size(v) == 0)
		return wm_err_set(err, WM_E_BAD_REQUEST,
				  "inputs: must be a non-empty object {\"CHANNEL\": PATH, ...}");
	json_object_foreach(v, key, val) {
		struct wm_render_input *in = &req->input[req->ninputs];
		if (parse_channel_key(key, lim->channels, &in->ch, err) < 0 ||
		    parse_input(key, val, max_s, in, err) < 0)
			return -1;
		req->ninputs++;
	}
	qsort(req->input, (size_t)req->ninputs, sizeof req->input[0], cmp_input);
	return 0;
}

static int format_from_name(const char *s, enum wm_render_format *f)
{
	for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++) {
		if (strcmp(s, format_names[i]) == 0) {
			*f = (enum wm_render_format)i;
			return 0;
		}
	}
	return -1;
}

static int format_from_file(const char *file, enum wm_render_format *f, struct wm_err *err)
{
	const char *dot = strrchr(file, '.');
	const char *slash = strrchr(file, '/');

	if (dot && (!slash || dot > slash)) {
		if (strcasecmp(dot, ".wav") == 0)
			return *f = WM_RENDER_WAV16, 0;
		if (strcasecmp(dot, ".flac") == 0)
			return *f = WM_RENDER_FLAC, 0;
		if (strcasecmp(dot, ".ogg") == 0 || strcasecmp(dot, ".oga") == 0)
			return *f = WM_RENDER_OGG, 0;
	}
	return wm_err_set(err, WM_E_BAD_REQUEST,
			  "output.format: missing and the file name does not say; give one of "
			  "wav, wav24, flac, ogg, or end the file in .wav, .flac, .ogg or .oga");
}

static int parse_output(json_t *v, const struct wm_render_limits *lim,
			struct wm_render_request *req, struct wm_err *err)
{
	long n;

	if (!v || !json_is_object(v))
		return wm_err_set(err, WM_E_BAD_REQUEST,
				  "output: %s; give {\"file\": PATH in the render folder}",
				  v ? "must be an object" : "missing");
	if (check_keys(v, output_keys, "output", "file, format, rate, zone", err) < 0)
		return -1;
	json_t *file = json_object_get(v, "file");
	if (!file)
		return wm_err_set(err, WM_E_BAD_REQUEST, "output.file: missing (a path in the render folder)");
	if (get_path(file, "output.file", "render folder", req->out_file, err) < 0)
		return -1;
	json_t *fmt = json_object_get(v, "format");
	if (fmt) {
		if (!json_is_string(fmt) || format_from_name(json_string_value(fmt), &req->format) < 0)
			return wm_err_set(err, WM_E_BAD_REQUEST,
					  "output.format: unknown; allowed wav, wav24, flac, ogg");
	} else if (format_from_file(req->out_file, &req->format, err) < 0) {
		return -1;
	}
	n = 0;
	if (get_int(v, "rate", "output.rate", RATE_MIN, RATE_MAX, &n, err) < 0)
		return -1;
	req->rate = (uint32_t)n;
	n = 1;
	if (get_int(v, "zone", "output.zone", 1, lim->zones, &n, err) < 0)
		return -1;
	req->zone = (int)n - 1;
	return 0;
}

static int parse_loudness(json_t *root, struct wm_render_request *req, struct wm_err *err)
{
	json_t *v = json_object_get(root, "loudness");

	req->normalise = true;
	req->target_lufs = DEFAULT_TARGET_LUFS;
	req->true_peak_db = DEFAULT_TRUE_PEAK_DB;
	req->policy = WM_RENDER_LIMIT;
	if (!v)
		return 0;
	if (json_is_null(v)) {
		req->normalise = false;
		return 0;
	}
	if (!json_is_object(v))
		return wm_err_set(err, WM_E_BAD_REQUEST,
				  "loudness: must be null (no normalisation) or "
				  "{\"target\",\"true_peak\",\"policy\"}");
	if (check_keys(v, loudness_keys, "loudness", "target, true_peak, policy", err) < 0 ||
	    get_number(v, "target", "loudness.target", WM_RENDER_TARGET_MIN_LUFS,
		       WM_RENDER_TARGET_MAX_LUFS, &req->target_lufs, err) < 0 ||
	    get_number(v, "true_peak", "loudness.true_peak", WM_RENDER_TRUE_PEAK_MIN_DB,
		       WM_RENDER_TRUE_PEAK_MAX_DB, &req->true_peak_db, err) < 0)
		return -1;
	json_t *p = json_object_get(v, "policy");
	if (!p)
		return 0;
	const char *s = json_is_string(p) ? json_string_value(p) : "";
	if (strcmp(s, "limit") == 0)
		req->policy = WM_RENDER_LIMIT;
	else if (strcmp(s, "gain-only") == 0)
		req->policy = WM_RENDER_GAIN_ONLY;
	else
		return wm_err_set(err, WM_E_BAD_REQUEST,
				  "loudness.policy: unknown; allowed \"limit\" or \"gain-only\"");
	return 0;
}

static int parse_root(json_t *root, const struct wm_render_limits *lim, double max_s,
		      struct wm_render_request *req, struct wm_err *err)
{
	json_t *dur;

	if (!json_is_object(root))
		return wm_err_set(err, WM_E_BAD_REQUEST, "a render request is a JSON object");
	if (check_keys(root, top_keys, "", "scene, inputs, duration, output, loudness", err) < 0 ||
	    parse_scene(json_object_get(root, "scene"), req, err) < 0 ||
	    parse_inputs(json_object_get(root, "inputs"), lim, max_s, req, err) < 0)
		return -1;
	req->duration_s = -1.0;
	dur = json_object_get(root, "duration");
	if (dur && !json_is_null(dur)) {
		if (!json_is_number(dur))
			return wm_err_set(err, WM_E_BAD_REQUEST, "duration: must be a number of seconds");
		double d = json_number_value(dur);
		if (!(d > 0.0) || d > max_s)
			return wm_err_set(err, WM_E_OUT_OF_RANGE,
					  "duration: %g s is out of range; allowed > 0 and <= %g s", d,
					  max_s);
		req->duration_s = d;
	}
	if (parse_output(json_object_get(root, "output"), lim, req, err) < 0)
		return -1;
	return parse_loudness(root, req, err);
}

int wm_render_request_parse(const char *text, size_t len, const struct wm_render_limits *limits,
			    struct wm_render_request *req, struct wm_err *err)
{
	json_error_t jerr;
	double max_s;

	memset(req, 0, sizeof *req);
	if (!limits || limits->channels < 1 || limits->channels > WM_MAX_CHANNELS ||
	    limits->zones < 1 || limits->zones > WM_MAX_ZONES)
		return wm_err_set(err, WM_E_INTERNAL, "render request: bad topology limits");
	max_s = limits->max_duration_s > 0 ? limits->max_duration_s
					   : WM_RENDER_MAX_DURATION_S_DEFAULT;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return wm_err_set(err, WM_E_BAD_REQUEST,
				  "render request is not valid JSON: line %d column %d: %s",
				  jerr.line, jerr.column, jerr.text);
	req->max_duration_s = max_s;
	int rc = parse_root(root, limits, max_s, req, err);
	json_decref(root);
	if (rc < 0)
		wm_render_request_free(req);
	return rc;
}

void wm_render_request_free(struct wm_render_request *req)
{
	if (!req)
		return;
	json_decref(req->scene);
	req->scene = NULL;
}

static json_t *canonical_inputs(const struct wm_render_request *req)
{
	json_t *o = json_object();

	for (int i = 0; o && i < req->ninputs; i++) {
		char key[16];
		snprintf(key, sizeof key, "%d", req->input[i].ch + 1);
		json_object_set_new(o, key, json_pack("{s:s, s:f}", "file", req->input[i].file,
						      "offset", req->input[i].offset_s));
	}
	return o;
}

static json_t *canonical_loudness(const struct wm_render_request *req)
{
	if (!req->normalise)
		return json_null();
	return json_pack("{s:f, s:f, s:s}", "target", req->target_lufs, "true_peak",
			 req->true_peak_db, "policy",
			 req->policy == WM_RENDER_LIMIT ? "limit" : "gain-only");
}

char *wm_render_request_canonical(const struct wm_render_request *req,
				  const json_t *scene_content)
{
	json_t *scene;

	if (scene_content)
		scene = json_deep_copy(scene_content);
	else if (req->scene)
		scene = json_deep_copy(req->scene);
	else if (req->scene_name[0])
		scene = json_string(req->scene_name);
	else
		scene = json_null();
	json_t *root = json_pack(
		"{s:o?, s:o?, s:o, s:{s:s, s:s, s:o, s:i}, s:o?}", "scene", scene, "inputs",
		canonical_inputs(req), "duration",
		req->duration_s > 0 ? json_real(req->duration_s) : json_null(), "output", "file",
		req->out_file, "format", wm_render_format_name(req->format), "rate",
		req->rate ? json_integer(req->rate) : json_null(), "zone", req->zone + 1,
		"loudness", canonical_loudness(req));
	if (!root)
		return NULL;
	char *s = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(root);
	return s;
}
