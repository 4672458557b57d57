/* commands.c - the command table and the generic checks run before every
 * handler (control thread). Handlers fill a reply object or an error; they
 * never write to a connection themselves. */
#include "control/commands.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/cmd_scene.h"
#include "control/reply.h"

static int cmd_get(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		   struct wm_err *err)
{
	const struct wm_mix *mix = wm_tree_mix(ctx->env->tree);
	struct wm_param_ref ref;
	int rc;
	if (wm_cmd_get_player(ctx, w->word[1], reply, err, &rc))
		return rc;
	if (wm_param_parse_path(w->word[1], mix, &ref, err) < 0)
		return -1;
	struct wm_value value;
	wm_param_get(mix, &ref, &value);
	json_object_set_new(reply, "path", json_string(w->word[1]));
	json_object_set_new(reply, "value", wm_json_value(&value));
	return 0;
}

int wm_parse_ms(const char *text, const char *what, double max_ms, double *ms,
		struct wm_err *err)
{
	char *end;
	double v = strtod(text, &end);
	if (end == text || *end || !isfinite(v))
		return wm_err_set(err, WM_E_BAD_TYPE, "%s wants a number of milliseconds; got \"%s\"",
				  what, text);
	if (v < 0 || v > max_ms)
		return wm_err_set(err, WM_E_OUT_OF_RANGE, "%s must be 0..%.0f ms; got %g", what,
				  max_ms, v);
	*ms = v;
	return 0;
}

static int cmd_set(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		   struct wm_err *err)
{
	struct wm_tree *tree = ctx->env->tree;
	struct wm_param_ref ref;
	if (wm_param_parse_path(w->word[1], wm_tree_mix(tree), &ref, err) < 0)
		return -1;
	struct wm_value value;
	if (wm_param_parse_value(&ref, w->word[2], &value, err) < 0)
		return -1;
	double ramp_ms = -1;
	if (w->count > 3 && wm_parse_ms(w->word[3], "RAMP_MS", WM_MAX_RAMP_MS, &ramp_ms, err) < 0)
		return -1;
	if (wm_tree_set(tree, &ref, &value, ramp_ms, ctx->by, err) < 0)
		return -1;
	wm_param_get(wm_tree_mix(tree), &ref, &value);
	json_object_set_new(reply, "path", json_string(w->word[1]));
	json_object_set_new(reply, "value", wm_json_value(&value));
	return 0;
}

static bool has_prefix(const char *path, const char *prefix)
{
	return strncmp(path, prefix, strlen(prefix)) == 0;
}

static int cmd_list(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		    struct wm_err *err)
{
	const struct wm_mix *mix = wm_tree_mix(ctx->env->tree);
	const char *prefix = w->count > 1 ? w->word[1] : "";
	json_t *params = json_array();
	struct wm_param_ref ref = { .id = (enum wm_param_id)-1 };
	char path[64];
	while (wm_param_next(mix, &ref)) {
		wm_param_format_path(&ref, path, sizeof path);
		if (!has_prefix(path, prefix))
			continue;
		struct wm_value value;
		wm_param_get(mix, &ref, &value);
		json_array_append_new(params, json_pack("{s:s, s:o}", "path", path, "value",
							wm_json_value(&value)));
	}
	if (json_array_size(params) == 0) {
		json_decref(params);
		return wm_err_set(err, WM_E_UNKNOWN_PATH,
				  "no parameter path starts with \"%s\": paths start with ch/N/ "
				  "(channels 1..%d), zone/Z/ (zones 1..%d) or duck/",
				  prefix, mix->channels, mix->zones);
	}
	json_object_set_new(reply, "params", params);
	return 0;
}

static const char *const type_names[] = {
	[WM_TYPE_DB] = "db", [WM_TYPE_FLOAT] = "float",
	[WM_TYPE_BOOL] = "bool", [WM_TYPE_STRING] = "string", [WM_TYPE_ENUM] = "enum",
};

static json_t *describe_one(const struct wm_param_ref *ref, const char *path)
{
	const struct wm_param_info *info = wm_param_info(ref->id);
	json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "path", path, "type",
			      type_names[info->type], "unit", info->unit, "help", info->help);
	if (info->type == WM_TYPE_DB || info->type == WM_TYPE_FLOAT) {
		json_object_set_new(d, "min", info->type == WM_TYPE_DB ? json_string("-inf")
								       : json_real(info->min));
		json_object_set_new(d, "max", json_real(info->max));
		json_object_set_new(d, "default", json_real(info->def));
	} else if (info->type == WM_TYPE_BOOL) {
		json_object_set_new(d, "default", json_boolean(info->def != 0));
	} else if (info->type == WM_TYPE_ENUM) {
		json_t *choices = json_array();
		for (size_t i = 0; info->choices[i]; i++)
			json_array_append_new(choices, json_string(info->choices[i]));
		json_object_set_new(d, "choices", choices);
		json_object_set_new(d, "default", json_string(info->choices[(int)info->def]));
	}
	if (ref->id == WM_PARAM_CH_FADER)
		json_object_set_new(d, "taper", json_string("0=-inf 0.0625=-60 0.25=-30 "
							    "0.5=-10 0.75=0 1=+12 dB"));
	return d;
}

static int cmd_describe(const struct wm_cmd_ctx *ctx, const struct wm_words *w,
			json_t *reply, struct wm_err *err)
{
	const struct wm_mix *mix = wm_tree_mix(ctx->env->tree);
	const char *prefix = w->count > 1 ? w->word[1] : "";
	json_t *params = json_array();
	struct wm_param_ref ref = { .id = (enum wm_param_id)-1 };
	char path[64];
	while (wm_param_next(mix, &ref)) {
		wm_param_format_path(&ref, path, sizeof path);
		if (has_prefix(path, prefix))
			json_array_append_new(params, describe_one(&ref, path));
	}
	if (json_array_size(params) == 0) {
		json_decref(params);
		return wm_err_set(err, WM_E_UNKNOWN_PATH,
				  "no parameter path starts with \"%s\"; try \"list\"", prefix);
	}
	json_object_set_new(reply, "params", params);
	return 0;
}

static int parse_topics(const struct wm_words *w, unsigned *topics, struct wm_err *err)
{
	*topics = 0;
	if (w->count == 1) {
		*topics = WM_TOPIC_CHANGES;
		return 0;
	}
	for (int i = 1; i < w->count; i++) {
		if (strcmp(w->word[i], "changes") == 0)
			*topics |= WM_TOPIC_CHANGES;
		else if (strcmp(w->word[i], "meters") == 0)
			*topics |= WM_TOPIC_METERS;
		else if (strcmp(w->word[i], "players") == 0)
			*topics |= WM_TOPIC_PLAYERS;
		else if (strcmp(w->word[i], "jobs") == 0)
			*topics |= WM_TOPIC_JOBS;
		else
			return wm_err_set(err, WM_E_BAD_TYPE,
					  "unknown topic \"%s\"; topics are changes, meters, players, "
					  "jobs",
					  w->word[i]);
	}
	return 0;
}

static json_t *topic_list(unsigned topics)
{
	json_t *a = json_array();
	if (topics & WM_TOPIC_CHANGES)
		json_array_append_new(a, json_string("changes"));
	if (topics & WM_TOPIC_METERS)
		json_array_append_new(a, json_string("meters"));
	if (topics & WM_TOPIC_PLAYERS)
		json_array_append_new(a, json_string("players"));
	if (topics & WM_TOPIC_JOBS)
		json_array_append_new(a, json_string("jobs"));
	return a;
}

static int cmd_subscribe(const struct wm_cmd_ctx *ctx, const struct wm_words *w,
			 json_t *reply, struct wm_err *err)
{
	unsigned topics;
	if (parse_topics(w, &topics, err) < 0)
		return -1;
	if (!ctx->conn_ops || !ctx->conn_ops->subscribe)
		return wm_err_set(err, WM_E_UNAVAILABLE, "this connection cannot subscribe");
	ctx->conn_ops->subscribe(ctx->conn, topics);
	json_object_set_new(reply, "topics", topic_list(ctx->conn_ops->topics(ctx->conn)));
	return 0;
}

static int cmd_unsubscribe(const struct wm_cmd_ctx *ctx, const struct wm_words *w,
			   json_t *reply, struct wm_err *err)
{
	unsigned topics = WM_TOPIC_ALL;
	if (w->count > 1 && parse_topics(w, &topics, err) < 0)
		return -1;
	if (!ctx->conn_ops || !ctx->conn_ops->unsubscribe)
		return wm_err_set(err, WM_E_UNAVAILABLE, "this connection cannot subscribe");
	ctx->conn_ops->unsubscribe(ctx->conn, topics);
	json_object_set_new(reply, "topics", topic_list(ctx->conn_ops->topics(ctx->conn)));
	return 0;
}

static int cmd_health(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		      struct wm_err *err)
{
	(void)w, (void)err;
	if (ctx->env->status.health)
		ctx->env->status.health(ctx->env->status.arg, reply);
	return 0;
}

static int cmd_stats(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		     struct wm_err *err)
{
	(void)w, (void)err;
	if (ctx->env->status.stats)
		ctx->env->status.stats(ctx->env->status.arg, reply);
	return 0;
}

static int cmd_hello(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		     struct wm_err *err)
{
	(void)ctx, (void)w, (void)err;
	json_object_set_new(reply, "server", json_string("washmixd"));
	json_object_set_new(reply, "version", json_string(WASHMIX_VERSION));
	json_object_set_new(reply, "protocol", json_integer(1));
	json_object_set_new(reply, "capabilities", json_pack("[s,s,s,s]", "params", "changes",
							     "meters", "players"));
	return 0;
}

static int cmd_ping(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		    struct wm_err *err)
{
	(void)ctx, (void)w, (void)err;
	json_object_set_new(reply, "pong", json_true());
	return 0;
}

static int cmd_quit(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		    struct wm_err *err)
{
	(void)w, (void)reply, (void)err;
	if (ctx->conn_ops && ctx->conn_ops->quit)
		ctx->conn_ops->quit(ctx->conn);
	return 0;
}

static int cmd_help(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		    struct wm_err *err);

/* Sorted by verb (checked by the unit tests and wm_command_find's search). */
static const struct wm_command table[] = {
	{ "cancel", 1, 1, wm_cmd_cancel, "cancel ID",
	  "cancel a queued or running render job (a partial output is removed)" },
#ifdef WASHMIX_TEST_HOOKS
	{ "debug", 2, 2, wm_cmd_debug,
	  "debug stall-engine|stall-control MS | debug rt-violate malloc|lock",
	  "test builds only: stall the JACK process callback or the control loop for MS "
	  "(at most 10000), to test the watchdog; or make the next process cycle "
	  "allocate or lock a mutex, to test the realtime checker" },
#endif
	{ "describe", 0, 1, cmd_describe, "describe [PATH|PREFIX]",
	  "type, unit, range and default of the parameters under PREFIX" },
	{ "get", 1, 1, cmd_get, "get PATH", "the current value of one parameter" },
	{ "health", 0, 0, cmd_health, "health",
	  "ok/degraded/down, JACK state, sample rate, period, xruns, DSP load, uptime" },
	{ "hello", 0, 0, cmd_hello, "hello", "server name, version and protocol number" },
	{ "help", 0, 1, cmd_help, "help [VERB]", "the verbs, or the usage of one" },
	{ "job", 1, 1, wm_cmd_job, "job ID",
	  "one render job: state, progress, output, loudness, true peak, cached, timings" },
	{ "jobs", 0, 0, wm_cmd_jobs, "jobs", "the newest render jobs (at most 50), newest first" },
	{ "list", 0, 1, cmd_list, "list [PREFIX]", "every parameter (under PREFIX) with its value" },
	{ "ping", 0, 0, cmd_ping, "ping", "answers at once; for latency checks" },
	{ "play", 2, 3, wm_cmd_play, "play N FILE [loop]",
	  "play FILE (relative to the media folder) on channel N, once or looping; "
	  "a playing channel restarts with the new file" },
	{ "quit", 0, 0, cmd_quit, "quit", "close this connection after the reply" },
	{ "render", 1, 1, wm_cmd_render, "render JSON",
	  "queue a render; the rest of the line is the request (docs/render.md); replies the job id" },
	{ "scene", 1, 3, wm_cmd_scene, "scene save|recall|show|delete|rename|list [NAME] [FADE_MS|NEW]",
	  "save the mix by name, recall it (crossfading over FADE_MS), list, show, delete, rename" },
	{ "set", 2, 3, cmd_set, "set PATH VALUE [RAMP_MS]",
	  "change a parameter; gains ramp over RAMP_MS (default 20 ms)" },
	{ "stats", 0, 0, cmd_stats, "stats", "counters: periods, xruns, drops, clients, requests" },
	{ "stop", 1, 2, wm_cmd_stop, "stop N [FADE_MS]",
	  "fade channel N's player out (default 10 ms) and stop it" },
	{ "subscribe", 0, 4, cmd_subscribe, "subscribe [TOPIC...]",
	  "receive events on this connection; topics: changes (default), meters, players, jobs" },
	{ "unsubscribe", 0, 4, cmd_unsubscribe, "unsubscribe [TOPIC...]",
	  "stop events (all topics when none is named)" },
};

static json_t *usage_of(const struct wm_command *c)
{
	return json_pack("{s:s, s:s, s:s}", "verb", c->verb, "usage", c->usage, "help", c->help);
}

static int cmd_help(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		    struct wm_err *err)
{
	(void)ctx;
	if (w->count > 1) {
		const struct wm_command *c = wm_command_find(w->word[1]);
		if (!c)
			return wm_err_set(err, WM_E_UNKNOWN_VERB, "no verb \"%s\"; \"help\" lists them",
					  w->word[1]);
		json_t *usage = usage_of(c);
		json_object_update(reply, usage);
		json_decref(usage);
		return 0;
	}
	json_t *verbs = json_array();
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		json_array_append_new(verbs, usage_of(&table[i]));
	json_object_set_new(reply, "verbs", verbs);
	return 0;
}

const struct wm_command *wm_commands(size_t *count)
{
	*count = sizeof table / sizeof table[0];
	return table;
}

static int compare_verb(const void *key, const void *row)
{
	return strcmp(key, ((const struct wm_command *)row)->verb);
}

const struct wm_command *wm_command_find(const char *verb)
{
	return bsearch(verb, table, sizeof table / sizeof table[0], sizeof table[0],
		       compare_verb);
}

/* Levenshtein distance, capped: only used to suggest a verb for a typo. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 32 || lb > 32)
		return 99;
	size_t row[33];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			if (up + 1 < best)
				best = up + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static int unknown_verb(const char *verb, struct wm_err *err)
{
	const char *best = NULL;
	size_t best_d = 3;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		size_t d = edit_distance(verb, table[i].verb);
		if (d < best_d)
			best_d = d, best = table[i].verb;
	}
	if (best)
		return wm_err_set(err, WM_E_UNKNOWN_VERB,
				  "unknown verb \"%.64s\"; try \"help\" (did you mean \"%s\"?)", verb,
				  best);
	return wm_err_set(err, WM_E_UNKNOWN_VERB, "unknown verb \"%.64s\"; try \"help\"", verb);
}

static int check_arity(const struct wm_command *c, int args, struct wm_err *err)
{
	if (args >= c->min_args && args <= c->max_args)
		return 0;
	return wm_err_set(err, WM_E_WRONG_ARGS, "wrong number of arguments for %s: got %d; usage: %s",
			  c->verb, args, c->usage);
}

json_t *wm_command_run_words(const struct wm_cmd_ctx *ctx, const struct wm_words *words)
{
	struct wm_err err = { 0 };
	const struct wm_command *c = wm_command_find(words->word[0]);
	if (!c) {
		unknown_verb(words->word[0], &err);
		return wm_reply_error(&err);
	}
	if (check_arity(c, words->count - 1, &err) < 0)
		return wm_reply_error(&err);
	json_t *reply = wm_reply_ok();
	if (c->run(ctx, words, reply, &err) == 0)
		return reply;
	json_decref(reply);
	return wm_reply_error(&err);
}

/* A verb that takes the rest of the line verbatim (render JSON): split it
 * as the verb and one argument, trimmed; false for every other line. */
static bool raw_tail_words(const char *text, size_t len, char *storage, struct wm_words *w)
{
	size_t a = strspn(text, " \t"), b = a + strcspn(text + a, " \t");
	char verb[16];
	/* A NUL byte goes to the tokenizer, which refuses it by name. */
	if (b == a || b - a >= sizeof verb || memchr(text, '\0', len))
		return false;
	memcpy(verb, text + a, b - a);
	verb[b - a] = '\0';
	const struct wm_command *c = wm_command_find(verb);
	if (!c || c->run != wm_cmd_render)
		return false;
	size_t start = b + strspn(text + b, " \t"), end = len;
	while (end > start && strchr(" \t\r", text[end - 1]))
		end--;
	memcpy(storage, verb, b - a + 1);
	char *rest = storage + (b - a) + 1;
	memcpy(rest, text + start, end - start);
	rest[end - start] = '\0';
	*w = (struct wm_words){ .count = end > start ? 2 : 1, .word = { storage, rest },
				.offset = { a, start } };
	return true;
}

json_t *wm_command_run_line(const struct wm_cmd_ctx *ctx, const char *line, size_t len)
{
	struct wm_err err = { 0 };
	struct wm_words words;
	/* One block: a NUL-terminated copy of the line, then the words: len + 1
	 * bytes for the tokenizer, len + 2 for a raw tail, whose verb and rest
	 * each get a NUL even when nothing separates them ("render" alone). */
	char *text = malloc(2 * len + 3);
	if (!text) {
		wm_err_set(&err, WM_E_INTERNAL, "out of memory");
		return wm_reply_error(&err);
	}
	memcpy(text, line, len);
	text[len] = '\0';
	char *storage = text + len + 1;
	json_t *reply = NULL;
	bool raw_tail = raw_tail_words(text, len, storage, &words);
	if (!raw_tail && wm_tokenize(text, len, storage, &words, &err) < 0)
		reply = wm_reply_error(&err);
	else if (words.count > 0)
		reply = wm_command_run_words(ctx, &words);
	free(text);
	return reply;
}
