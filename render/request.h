/* request.h - a render request: the JSON a client sends (docs/render.md,
 * DESIGN.md "Render request"), checked whole before anything runs, with
 * every default filled in, and its canonical form (keys sorted, defaults
 * explicit, scene resolved to its content) for the cache key.
 * Pure functions; the control thread or a render worker calls them. */
#ifndef WM_RENDER_REQUEST_H
#define WM_RENDER_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "common/path.h"
#include "engine/mix.h"

#define WM_RENDER_MAX_DURATION_S_DEFAULT (4.0 * 3600.0)
#define WM_RENDER_TARGET_MIN_LUFS (-40.0)
#define WM_RENDER_TARGET_MAX_LUFS (-5.0)
#define WM_RENDER_TRUE_PEAK_MIN_DB (-12.0)
#define WM_RENDER_TRUE_PEAK_MAX_DB 0.0

enum wm_render_format {
	WM_RENDER_WAV16,   /* "wav" (default for .wav) */
	WM_RENDER_WAV24,   /* "wav24" */
	WM_RENDER_FLAC,    /* "flac" (default for .flac), 24-bit */
	WM_RENDER_OGG,     /* "ogg" (default for .ogg/.oga): Vorbis, quality 0.6 */
};

enum wm_render_policy {
	WM_RENDER_LIMIT,     /* gain to the target, then a true-peak-safe limiter */
	WM_RENDER_GAIN_ONLY, /* gain only, as far as the true-peak ceiling allows */
};

struct wm_render_input {
	int ch;                      /* 0-based channel */
	char file[WM_PATH_MAX];      /* relative to the media folder */
	double offset_s;             /* where in the output the file starts, >= 0 */
};

struct wm_render_limits {
	double max_duration_s;       /* 0 = WM_RENDER_MAX_DURATION_S_DEFAULT */
	int channels, zones;         /* the topology renders mix in */
};

struct wm_render_request {
	/* The scene: a name to load from the scene store (scene_name != ""),
	 * or an inline scene object (scene != NULL; owned). Neither: defaults. */
	char scene_name[WM_NAME_MAX];
	json_t *scene;
	int ninputs;                 /* 1..channels, sorted by channel, no duplicates */
	struct wm_render_input input[WM_MAX_CHANNELS];
	double duration_s;           /* < 0: the longest input plus its offset */
	int zone;                    /* 0-based zone rendered to the file (default 0) */
	char out_file[WM_PATH_MAX];  /* relative to the render folder */
	enum wm_render_format format;
	uint32_t rate;               /* Hz; 0 = the first input's rate */
	bool normalise;              /* false when "loudness" is null */
	double target_lufs;          /* default -14 */
	double true_peak_db;         /* dBTP ceiling, default -1 */
	enum wm_render_policy policy;
	double max_duration_s;       /* the limit the request was checked against */
};

/* Parse and check text. Unknown keys, wrong types, out-of-range values,
 * bad paths (wm_path_check), a channel outside the topology, an absurd
 * duration or offset: WM_E_BAD_REQUEST / WM_E_OUT_OF_RANGE / WM_E_BAD_PATH
 * with the field named ("inputs.3.offset: ..."). On success req owns the
 * inline scene (wm_render_request_free). */
int wm_render_request_parse(const char *text, size_t len, const struct wm_render_limits *limits,
			    struct wm_render_request *req, struct wm_err *err);
void wm_render_request_free(struct wm_render_request *req);

/* The canonical request as compact JSON with sorted keys and every default
 * explicit; scene_content is the scene actually used (the loaded file's
 * object for a named scene), so a renamed-but-equal scene hashes the same
 * and an edited one does not. malloc'd; NULL on ENOMEM. */
char *wm_render_request_canonical(const struct wm_render_request *req,
				  const json_t *scene_content);

/* "wav", "wav24", "flac", "ogg". */
const char *wm_render_format_name(enum wm_render_format format);

#endif
