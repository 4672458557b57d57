/* tree.h - the live parameter tree: the control thread's copy of the mix and
 * the only writer of it. A set is validated, stored, sent to the engine (when
 * JACK is up) and announced to the change listener. While JACK is down the
 * tree keeps every change, and the next engine is created from it. Control
 * thread only. */
#ifndef WM_TREE_H
#define WM_TREE_H

#include "common/err.h"
#include "engine/engine.h"
#include "engine/mix.h"
#include "engine/params.h"

struct wm_tree;

/* Called after each stored change, once per path that changed (setting a
 * gain also reports the fader, and the reverse). `by` names the source. */
typedef void (*wm_tree_change_fn)(void *arg, const struct wm_param_ref *ref,
				  const struct wm_value *value, const char *by);

struct wm_tree *wm_tree_create(const struct wm_mix *initial, double default_ramp_ms);
void wm_tree_destroy(struct wm_tree *tree);

const struct wm_mix *wm_tree_mix(const struct wm_tree *tree);
double wm_tree_default_ramp_ms(const struct wm_tree *tree);

void wm_tree_set_listener(struct wm_tree *tree, wm_tree_change_fn fn, void *arg);

/* The engine the tree feeds, or NULL while JACK is down. */
void wm_tree_attach_engine(struct wm_tree *tree, struct wm_engine *engine);
struct wm_engine *wm_tree_engine(const struct wm_tree *tree);

/* Store a value checked with wm_param_check_value/parse_value. ramp_ms < 0
 * means the default ramp. When the engine's command ring is full the change
 * is refused (WM_E_BUSY) and the tree is left as it was. */
int wm_tree_set(struct wm_tree *tree, const struct wm_param_ref *ref,
		const struct wm_value *value, double ramp_ms, const char *by,
		struct wm_err *err);

/* Batches: between begin and commit, sets are checked and stored as usual
 * but their engine commands are held and then posted together, so all of
 * them reach the audio thread in the same period, and their change events
 * are announced at commit. If the engine refuses the batch (its command ring
 * is full) the tree goes back to where it was at begin and commit fails with
 * WM_E_BUSY; nothing is announced. abort does the same on purpose. A batch
 * holds every parameter of the mix once, and at least WM_TREE_BATCH_MAX. */
#define WM_TREE_BATCH_MAX 1024

void wm_tree_begin(struct wm_tree *tree);
int wm_tree_commit(struct wm_tree *tree, struct wm_err *err);
void wm_tree_abort(struct wm_tree *tree);
bool wm_tree_in_batch(const struct wm_tree *tree);

#endif
