/* cmd_render.c - the render verbs: `render JSON` (checked here, on the
 * control thread: the request parsed with the topology's limits, a named
 * scene read from the store so an unknown one fails at once), `job ID`,
 * `jobs` and `cancel ID`. The jobs themselves run in the daemon, reached
 * through the env's render ops; nothing here waits on a render or Redis.
 * Control thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/commands.h"
#include "control/tree.h"
#include "presets/store.h"
#include "render/request.h"

#define JOBS_LISTED 50

static int no_renders(struct wm_err *err)
{
	return wm_err_set(err, WM_E_UNAVAILABLE, "renders are not available in this process");
}

/* "17" -> 17: digits only, at least 1. */
static int parse_id(const char *text, unsigned long long *id, struct wm_err *err)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(text, &end, 10);
	if (end == text || *end || errno || text[0] < '0' || text[0] > '9' || n == 0)
		return wm_err_set(err, WM_E_BAD_TYPE, "ID wants a job number (1, 2, ...); got \"%.32s\"",
				  text);
	*id = n;
	return 0;
}

static char *load_scene(const struct wm_cmd_ctx *ctx, const struct wm_render_request *req,
			struct wm_err *err)
{
	size_t len = 0;
	if (!req->scene_name[0])
		return NULL;
	if (!ctx->env->store)
		return wm_err_set(err, WM_E_UNAVAILABLE, "no scene store here for scene \"%s\"",
				  req->scene_name),
		       NULL;
	return wm_store_load_scene(ctx->env->store, req->scene_name, &len, err);
}

int wm_cmd_render(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		  struct wm_err *err)
{
	const struct wm_render_ops *ops = &ctx->env->render;
	const struct wm_mix *mix = wm_tree_mix(ctx->env->tree);
	struct wm_render_limits lim = { .max_duration_s = ops->max_duration_s,
					.channels = mix->channels, .zones = mix->zones };
	if (!ops->submit)
		return no_renders(err);
	struct wm_render_request *req = malloc(sizeof *req);
	if (!req)
		return wm_err_set(err, WM_E_INTERNAL, "out of memory for the render request");
	if (wm_render_request_parse(w->word[1], strlen(w->word[1]), &lim, req, err) < 0) {
		free(req);
		return -1;
	}
	char *scene = load_scene(ctx, req, err);
	if (req->scene_name[0] && !scene) {
		wm_render_request_free(req);
		free(req);
		return -1;
	}
	unsigned long long id = 0;
	if (ops->submit(ops->arg, req, scene, &id, err) < 0)
		return -1;
	json_object_set_new(reply, "job", json_integer((json_int_t)id));
	return 0;
}

/* reply.job = every field of job id (job and cancel answer with it). */
static int reply_job(const struct wm_render_ops *ops, unsigned long long id, json_t *reply,
		     struct wm_err *err)
{
	json_t *job = json_object();
	if (ops->job(ops->arg, id, job, err) < 0) {
		json_decref(job);
		return -1;
	}
	json_object_set_new(reply, "job", job);
	return 0;
}

int wm_cmd_job(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
	       struct wm_err *err)
{
	const struct wm_render_ops *ops = &ctx->env->render;
	unsigned long long id = 0;
	if (parse_id(w->word[1], &id, err) < 0)
		return -1;
	if (!ops->job)
		return no_renders(err);
	return reply_job(ops, id, reply, err);
}

int wm_cmd_jobs(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		struct wm_err *err)
{
	(void)w;
	const struct wm_render_ops *ops = &ctx->env->render;
	if (!ops->jobs)
		return no_renders(err);
	json_t *list = json_array();
	ops->jobs(ops->arg, list, JOBS_LISTED);
	json_object_set_new(reply, "jobs", list);
	return 0;
}

int wm_cmd_cancel(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		  struct wm_err *err)
{
	const struct wm_render_ops *ops = &ctx->env->render;
	unsigned long long id = 0;
	if (parse_id(w->word[1], &id, err) < 0)
		return -1;
	if (!ops->cancel || !ops->job)
		return no_renders(err);
	if (ops->cancel(ops->arg, id, err) < 0)
		return -1;
	return reply_job(ops, id, reply, err);
}
