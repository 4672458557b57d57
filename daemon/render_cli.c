/* render_cli.c - washmixd --render (render_cli.h): read the request, build
 * the mix from the configured topology and the request's scene (named: from
 * the scene store; inline: the object itself), run wm_render_run and print
 * the outcome as one JSON line. Main thread only; no JACK. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/render_cli.h"
#include "presets/store.h"
#include "render/jobs.h"
#include "render/render.h"

#define REQUEST_MAX ((size_t)1024 * 1024)

static char *read_request(const char *path, size_t *len, struct wm_err *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *buf = NULL;

	if (!f)
		return wm_err_set(err, WM_E_NOT_FOUND, "cannot open render request %s: %s", path,
				  strerror(errno)),
		       NULL;
	buf = malloc(REQUEST_MAX + 1);
	if (buf) {
		*len = fread(buf, 1, REQUEST_MAX + 1, f);
		buf[*len <= REQUEST_MAX ? *len : REQUEST_MAX] = '\0';
	}
	if (!buf || *len > REQUEST_MAX || ferror(f)) {
		wm_err_set(err, WM_E_BAD_REQUEST, "render request %s: %s", path,
			   !buf ? "out of memory" : ferror(f) ? "read error"
							     : "longer than 1 MiB");
		free(buf);
		buf = NULL;
	}
	if (f != stdin)
		fclose(f);
	return buf;
}


static char *scene_text(const struct wm_config *c, const struct wm_render_request *req,
			size_t *len, struct wm_err *err)
{
	if (req->scene) {
		char *s = json_dumps(req->scene, JSON_COMPACT);
		if (!s)
			wm_err_set(err, WM_E_INTERNAL, "out of memory for the scene");
		*len = s ? strlen(s) : 0;
		return s;
	}
	struct wm_store *store = wm_store_open(c->state_dir, err);
	if (!store)
		return NULL;
	char *s = wm_store_load_scene(store, req->scene_name, len, err);
	wm_store_close(store);
	return s;
}

static int apply_scene(const struct wm_config *c, const struct wm_render_request *req,
		       struct wm_mix *mix, struct wm_err *err)
{
	size_t len = 0;

	if (!req->scene && !req->scene_name[0])
		return 0;
	char *text = scene_text(c, req, &len, err);
	if (!text)
		return -1;
	int rc = wm_render_apply_scene(mix, text, len, req->scene ? "scene" : req->scene_name,
				       err);
	free(text);
	return rc;
}

static json_t *number_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static void print_result(const struct wm_render_request *req, const struct wm_render_result *r)
{
	json_t *o = json_pack("{s:b, s:s, s:o, s:o, s:o, s:o, s:b, s:s, s:f, s:f, s:i, s:i}",
			      "ok", 1, "output", req->out_file, "loudness",
			      number_or_null(r->loudness_lufs), "true_peak",
			      number_or_null(r->true_peak_db), "gain", number_or_null(r->gain_db),
			      "limited", number_or_null(r->limited_db), "reached_target",
			      r->reached_target, "note", r->note, "duration", r->duration_s,
			      "seconds", r->seconds, "passes", r->passes, "rate", (int)r->rate);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	printf("%s\n", s ? s : "{\"ok\":true}");
	free(s);
	json_decref(o);
}

static void print_error(const struct wm_err *err)
{
	json_t *o = json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code",
			      wm_errcode_name(err->code), "message", err->msg);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	printf("%s\n", s ? s : "{\"ok\":false}");
	free(s);
	json_decref(o);
}

static int render(const struct wm_config *c, struct wm_mix *mix, struct wm_err *err)
{
	struct wm_render_limits lim = { .max_duration_s = c->render_max_duration_s,
					.channels = c->channels, .zones = c->zones };
	struct wm_render_request req;
	struct wm_render_result res;
	size_t len = 0;
	int rc = -1;

	char *text = read_request(c->render_request, &len, err);
	if (!text)
		return -1;
	if (wm_render_request_parse(text, len, &lim, &req, err) == 0) {
		wm_mix_init(mix, c->channels, c->zones, c->mono);
		struct wm_render_env env = { .media_dir = c->media_dir,
					     .render_dir = c->render_dir, .mix = mix,
					     .media_max_bytes = (long long)c->media_max_mb << 20 };
		if (apply_scene(c, &req, mix, err) == 0 &&
		    wm_path_make_dirs(c->render_dir, 0750, "render folder", err) == 0)
			rc = wm_render_run(&req, &env, &res, err);
		if (rc == 0)
			print_result(&req, &res);
		wm_render_request_free(&req);
	}
	free(text);
	return rc;
}

int wm_render_cli(const struct wm_config *config)
{
	struct wm_err err = { 0 };
	struct wm_mix *mix = malloc(sizeof *mix);
	int rc = mix ? render(config, mix, &err)
		     : wm_err_set(&err, WM_E_INTERNAL, "out of memory for the mix");

	free(mix);
	if (rc < 0)
		print_error(&err);
	fflush(stdout);
	return rc < 0 ? 1 : 0;
}
