/* cmd_player.c - the player verbs, `play N FILE [loop]` and `stop N
 * [FADE_MS]`, and `get ch/N/player`. They check what the table cannot
 * (channel numbers, the loop word, the fade) and hand the rest to the
 * daemon's players through the env's player ops, which check the file.
 * Control thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/commands.h"
#include "control/tree.h"

#define WM_MAX_STOP_FADE_MS 600000.0 /* as long as a scene fade */

/* "3" -> 2 (0-based), within the mix's channels. */
static int parse_channel(const struct wm_cmd_ctx *ctx, const char *text, int *ch,
			 struct wm_err *err)
{
	int channels = wm_tree_mix(ctx->env->tree)->channels;
	char *end;
	long n = strtol(text, &end, 10);
	/* Written as in paths: digits, no sign, no leading zero. */
	if (end == text || *end || text[0] < '0' || text[0] > '9' ||
	    (text[0] == '0' && text[1]))
		return wm_err_set(err, WM_E_BAD_TYPE, "N wants a channel number 1..%d; got \"%.32s\"",
				  channels, text);
	if (n < 1 || n > channels)
		return wm_err_set(err, WM_E_OUT_OF_RANGE, "channel %ld: channels are 1..%d", n,
				  channels);
	*ch = (int)n - 1;
	return 0;
}

static int no_players(struct wm_err *err)
{
	return wm_err_set(err, WM_E_UNAVAILABLE,
			  "the file players are not running (they start with the JACK client)");
}

static int reply_info(const struct wm_cmd_ctx *ctx, int ch, json_t *reply, struct wm_err *err)
{
	json_t *info = json_object();
	if (ctx->env->players.info(ctx->env->players.arg, ch, info, err) < 0) {
		json_decref(info);
		return -1;
	}
	json_object_set_new(reply, "ch", json_integer(ch + 1));
	json_object_update(reply, info);
	json_decref(info);
	return 0;
}

int wm_cmd_play(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		struct wm_err *err)
{
	const struct wm_player_ops *ops = &ctx->env->players;
	bool loop = false;
	int ch = 0;
	if (parse_channel(ctx, w->word[1], &ch, err) < 0)
		return -1;
	if (w->count == 4) {
		if (strcmp(w->word[3], "loop") != 0)
			return wm_err_set(err, WM_E_WRONG_ARGS,
					  "the third argument of play is the word loop; got \"%.32s\"",
					  w->word[3]);
		loop = true;
	}
	if (!ops->play || !ops->info)
		return no_players(err);
	if (ops->play(ops->arg, ch, w->word[2], loop, err) < 0)
		return -1;
	return reply_info(ctx, ch, reply, err);
}

int wm_cmd_stop(const struct wm_cmd_ctx *ctx, const struct wm_words *w, json_t *reply,
		struct wm_err *err)
{
	const struct wm_player_ops *ops = &ctx->env->players;
	double fade_ms = -1;
	int ch = 0;
	if (parse_channel(ctx, w->word[1], &ch, err) < 0)
		return -1;
	if (w->count == 3 &&
	    wm_parse_ms(w->word[2], "FADE_MS", WM_MAX_STOP_FADE_MS, &fade_ms, err) < 0)
		return -1;
	if (!ops->stop || !ops->info)
		return no_players(err);
	if (ops->stop(ops->arg, ch, fade_ms, err) < 0)
		return -1;
	return reply_info(ctx, ch, reply, err);
}

bool wm_cmd_get_player(const struct wm_cmd_ctx *ctx, const char *path, json_t *reply,
		       struct wm_err *err, int *rc)
{
	char number[16];
	int ch = 0, used = 0;
	if (sscanf(path, "ch/%15[0-9]/player%n", number, &used) != 1 || path[used] != '\0')
		return false;
	/* A path like any other: a channel that is not there is unknown. */
	if (parse_channel(ctx, number, &ch, err) < 0) {
		*rc = wm_err_set(err, WM_E_UNKNOWN_PATH, "no parameter %.32s: channels are 1..%d",
				 path, wm_tree_mix(ctx->env->tree)->channels);
		return true;
	}
	if (!ctx->env->players.info) {
		*rc = no_players(err);
		return true;
	}
	json_t *info = json_object();
	*rc = ctx->env->players.info(ctx->env->players.arg, ch, info, err);
	json_object_set_new(reply, "path", json_string(path));
	json_object_set_new(reply, "value", info);
	return true;
}
