/* commands.h - the command table: the single place a verb is defined, for
 * the Unix socket today and OSC later. Each row gives the verb, its argument
 * count, usage, help and handler; existence and arity are checked generically
 * before a handler runs, and every outcome is one JSON reply object.
 * Control thread only. */
#ifndef WM_COMMANDS_H
#define WM_COMMANDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "control/tokenize.h"
#include "control/tree.h"

enum wm_topic {
	WM_TOPIC_CHANGES = 1u << 0,
	WM_TOPIC_METERS = 1u << 1,
	WM_TOPIC_PLAYERS = 1u << 2,
	WM_TOPIC_JOBS = 1u << 3,
};
#define WM_TOPIC_ALL (WM_TOPIC_CHANGES | WM_TOPIC_METERS | WM_TOPIC_PLAYERS | WM_TOPIC_JOBS)

/* What a command may ask of the connection that sent it. Any may be NULL
 * (a transport without subscriptions). */
struct wm_conn_ops {
	void (*subscribe)(void *conn, unsigned topics);
	void (*unsubscribe)(void *conn, unsigned topics);
	unsigned (*topics)(void *conn);
	void (*quit)(void *conn);
};

/* What the daemon reports about itself; it adds its fields to reply. */
struct wm_status_ops {
	void (*health)(void *arg, json_t *reply);
	void (*stats)(void *arg, json_t *reply);
	void *arg;
};

/* Events that are not parameter changes (a scene recalled, saved...): the
 * daemon sends them to "changes" subscribers. May be NULL. */
struct wm_event_ops {
	void (*publish)(void *arg, json_t *event);
	void *arg;
};

/* The daemon's file players. Channels are 0-based. info fills a JSON
 * object (state, file, loop, position, length...). Any may be NULL: no
 * players here (unit tests, before JACK is up). */
struct wm_player_ops {
	int (*play)(void *arg, int ch, const char *file, bool loop, struct wm_err *err);
	int (*stop)(void *arg, int ch, double fade_ms, struct wm_err *err);
	int (*info)(void *arg, int ch, json_t *out, struct wm_err *err);
	void *arg;
};

/* The daemon's render jobs (render/jobs.h behind them). submit takes over
 * req (malloc'd, checked) and scene_text (a named scene's file text or
 * NULL) whatever it returns; job fills a JSON object with every field of
 * one job; jobs appends the newest (at most max) to an array. None may
 * block on a render or on Redis. Any may be NULL: no renders here. */
struct wm_render_request;
struct wm_render_ops {
	int (*submit)(void *arg, struct wm_render_request *req, char *scene_text,
		      unsigned long long *id, struct wm_err *err);
	int (*job)(void *arg, unsigned long long id, json_t *out, struct wm_err *err);
	void (*jobs)(void *arg, json_t *array, size_t max);
	int (*cancel)(void *arg, unsigned long long id, struct wm_err *err);
	void *arg;
	double max_duration_s;       /* the longest render a request may ask for */
};

/* Test hooks, reached by the `debug` verb (compiled in only with
 * WASHMIX_TEST_HOOKS): stall the JACK process callback or the control loop
 * for ms, so tests can watch the watchdog react; or make the next process
 * cycle break the realtime rules once (allocate, or lock a mutex), so the
 * realtime checker's tests can see it caught. The ops are NULL unless the
 * daemon switched them on (WASHMIX_TEST_HOOKS=1 in its environment). */
enum wm_stall_target { WM_STALL_ENGINE, WM_STALL_CONTROL };
enum wm_rt_violation { WM_RT_VIOLATE_MALLOC = 1, WM_RT_VIOLATE_LOCK };
#define WM_DEBUG_STALL_MAX_MS 10000
struct wm_debug_ops {
	int (*stall)(void *arg, enum wm_stall_target target, unsigned ms, struct wm_err *err);
	int (*rt_violate)(void *arg, enum wm_rt_violation what, struct wm_err *err);
	void *arg;
};

struct wm_store;

/* Shared by every request: the tree, the scene store, the daemon's status. */
struct wm_cmd_env {
	struct wm_tree *tree;
	struct wm_store *store;          /* NULL: no scenes (tests without a state dir) */
	struct wm_status_ops status;
	struct wm_event_ops events;
	struct wm_player_ops players;
	struct wm_render_ops render;
	struct wm_debug_ops debug;
};

/* One request. */
struct wm_cmd_ctx {
	const struct wm_cmd_env *env;
	void *conn;
	const struct wm_conn_ops *conn_ops;
	const char *by;              /* who is asking, for change events */
};

typedef int (*wm_cmd_fn)(const struct wm_cmd_ctx *ctx, const struct wm_words *words,
			 json_t *reply, struct wm_err *err);

struct wm_command {
	const char *verb;
	int min_args, max_args;      /* not counting the verb */
	wm_cmd_fn run;
	const char *usage;
	const char *help;
};

/* The table, sorted by verb. */
const struct wm_command *wm_commands(size_t *count);
const struct wm_command *wm_command_find(const char *verb);

/* Tokenize and run one request line (without its newline); `render` takes
 * the rest of its line verbatim as one argument (JSON). Returns the
 * reply object ({"ok":true,...} or {"ok":false,"error":...}); NULL only when
 * the line is blank (no reply is owed). */
json_t *wm_command_run_line(const struct wm_cmd_ctx *ctx, const char *line, size_t len);

/* A duration argument: a number of milliseconds in 0..max_ms. Errors name
 * the argument (what) and the range. */
int wm_parse_ms(const char *text, const char *what, double max_ms, double *ms,
		struct wm_err *err);

/* The player verbs (cmd_player.c), and `get ch/N/player` (true when path
 * names a player, with the reply filled or err set through *rc). */
int wm_cmd_play(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		struct wm_err *err);
int wm_cmd_stop(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		struct wm_err *err);
bool wm_cmd_get_player(const struct wm_cmd_ctx *ctx, const char *path, json_t *reply,
		       struct wm_err *err, int *rc);

/* The render verbs (cmd_render.c): `render JSON`, `job ID`, `jobs`,
 * `cancel ID`. */
int wm_cmd_render(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		  struct wm_err *err);
int wm_cmd_job(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
	       struct wm_err *err);
int wm_cmd_jobs(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		struct wm_err *err);
int wm_cmd_cancel(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		  struct wm_err *err);

#ifdef WASHMIX_TEST_HOOKS
/* `debug stall-engine|stall-control MS`, `debug rt-violate malloc|lock`
 * (cmd_debug.c). */
int wm_cmd_debug(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		 struct wm_err *err);
#endif

/* Run an already split request (words->count >= 1): for transports such as
 * OSC that carry words, not lines. Always returns a reply object. */
json_t *wm_command_run_words(const struct wm_cmd_ctx *ctx, const struct wm_words *words);

#endif
