/* tree.c - the live parameter tree (control thread). Owns the live wm_mix;
 * forwards audio-affecting changes to the engine as commands. */
#include "control/tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pending {
	struct wm_param_ref ref;
	char by[64];
};

struct wm_tree {
	struct wm_mix mix;
	struct wm_mix before_batch;    /* restored when a batch is refused */
	bool batching;
	size_t ncmds, nchanges;
	size_t batch_max;              /* sets per batch: a whole-mix recall fits */
	struct wm_engine_cmd *cmds;    /* batch_max */
	struct pending *changes;       /* 2 * batch_max: a gain also changes the fader */
	double default_ramp_ms;
	struct wm_engine *engine;      /* not owned; NULL while JACK is down */
	wm_tree_change_fn listener;
	void *listener_arg;
};

struct wm_tree *wm_tree_create(const struct wm_mix *initial, double default_ramp_ms)
{
	struct wm_tree *tree = calloc(1, sizeof *tree);
	if (!tree)
		return NULL;
	/* Every parameter of the mix once: channels x (gain, fader, pan, mute,
	 * solo, name, sends) and zones x (gain, mute, name). */
	size_t whole = (size_t)initial->channels * (6 + (size_t)initial->zones) +
		       (size_t)initial->zones * 3;
	tree->batch_max = whole > WM_TREE_BATCH_MAX ? whole : WM_TREE_BATCH_MAX;
	tree->cmds = calloc(tree->batch_max, sizeof *tree->cmds);
	tree->changes = calloc(2 * tree->batch_max, sizeof *tree->changes);
	if (!tree->cmds || !tree->changes) {
		wm_tree_destroy(tree);
		return NULL;
	}
	tree->mix = *initial;
	tree->default_ramp_ms = default_ramp_ms;
	return tree;
}

void wm_tree_destroy(struct wm_tree *tree)
{
	if (!tree)
		return;
	free(tree->cmds);
	free(tree->changes);
	free(tree);
}

const struct wm_mix *wm_tree_mix(const struct wm_tree *tree)
{
	return &tree->mix;
}

double wm_tree_default_ramp_ms(const struct wm_tree *tree)
{
	return tree->default_ramp_ms;
}

void wm_tree_set_listener(struct wm_tree *tree, wm_tree_change_fn fn, void *arg)
{
	tree->listener = fn;
	tree->listener_arg = arg;
}

void wm_tree_attach_engine(struct wm_tree *tree, struct wm_engine *engine)
{
	tree->engine = engine;
}

struct wm_engine *wm_tree_engine(const struct wm_tree *tree)
{
	return tree->engine;
}

/* Names are labels for people; everything else shapes the sound. */
static bool affects_audio(enum wm_param_id id)
{
	return id != WM_PARAM_CH_NAME && id != WM_PARAM_ZONE_NAME;
}

static int post_to_engine(struct wm_tree *tree, const struct wm_param_ref *ref,
			  const struct wm_value *value, double ramp_ms, struct wm_err *err)
{
	if (!affects_audio(ref->id) || !tree->engine)
		return 0;
	struct wm_engine_cmd cmd = { .ref = *ref, .ramp_ms = (float)ramp_ms };
	switch (value->type) {
	case WM_TYPE_BOOL:
		cmd.value = value->on ? 1.0f : 0.0f;
		break;
	default:
		cmd.value = (float)value->num;
		break;
	}
	if (ref->id == WM_PARAM_CH_FADER) {
		cmd.ref.id = WM_PARAM_CH_GAIN;
		cmd.value = (float)wm_fader_to_db(value->num);
	}
	if (tree->batching) {
		tree->cmds[tree->ncmds++] = cmd;
		return 0;
	}
	return wm_engine_post(tree->engine, &cmd, 1, err);
}

static void announce(struct wm_tree *tree, struct wm_param_ref ref, const char *by)
{
	if (tree->batching) {
		struct pending *p = &tree->changes[tree->nchanges++]; /* room checked by set */
		p->ref = ref;
		size_t n = by ? strnlen(by, sizeof p->by - 1) : 0;
		memmove(p->by, by ? by : "", n); /* by may be a pending entry itself */
		p->by[n] = '\0';
		return;
	}
	if (!tree->listener)
		return;
	struct wm_value now;
	wm_param_get(&tree->mix, &ref, &now);
	tree->listener(tree->listener_arg, &ref, &now, by);
}

int wm_tree_set(struct wm_tree *tree, const struct wm_param_ref *ref,
		const struct wm_value *value, double ramp_ms, const char *by,
		struct wm_err *err)
{
	if (ramp_ms < 0)
		ramp_ms = tree->default_ramp_ms;
	if (tree->batching &&
	    (tree->ncmds == tree->batch_max || tree->nchanges + 2 > 2 * tree->batch_max))
		return wm_err_set(err, WM_E_BUSY, "more than %zu changes in one batch",
				  tree->batch_max);
	if (post_to_engine(tree, ref, value, ramp_ms, err) < 0)
		return -1;
	if (!wm_param_set(&tree->mix, ref, value))
		return 0;
	announce(tree, *ref, by);
	if (ref->id == WM_PARAM_CH_GAIN || ref->id == WM_PARAM_CH_FADER) {
		struct wm_param_ref twin = *ref;
		twin.id = ref->id == WM_PARAM_CH_GAIN ? WM_PARAM_CH_FADER : WM_PARAM_CH_GAIN;
		announce(tree, twin, by);
	}
	return 0;
}

void wm_tree_begin(struct wm_tree *tree)
{
	tree->before_batch = tree->mix;
	tree->batching = true;
	tree->ncmds = tree->nchanges = 0;
}

bool wm_tree_in_batch(const struct wm_tree *tree)
{
	return tree->batching;
}

int wm_tree_commit(struct wm_tree *tree, struct wm_err *err)
{
	tree->batching = false;
	if (tree->engine && tree->ncmds &&
	    wm_engine_post(tree->engine, tree->cmds, tree->ncmds, err) < 0) {
		tree->mix = tree->before_batch;
		return -1;
	}
	for (size_t i = 0; i < tree->nchanges; i++)
		announce(tree, tree->changes[i].ref, tree->changes[i].by);
	tree->ncmds = tree->nchanges = 0;
	return 0;
}

void wm_tree_abort(struct wm_tree *tree)
{
	if (!tree->batching)
		return;
	tree->mix = tree->before_batch;
	tree->batching = false;
	tree->ncmds = tree->nchanges = 0;
}
