/* osc.c - the OSC server on the control thread's loop. Datagrams are read
 * here, charged to their source's budget, validated strictly (osc_packet.c)
 * before liblo ever sees them, and bundles are walked here, never by liblo.
 * A bundle becomes one tree batch, so its changes reach the engine in one
 * period. Parameter addresses set or query the tree; other addresses run the
 * socket's command table, so no verb exists twice. */
#include "control/osc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "control/bucket.h"
#include "control/cidr.h"
#include "control/osc_packet.h"
#include "control/osc_send.h"
#include "control/osc_subs.h"
#include "control/reply.h"

#define MAX_SOURCES 64               /* budgets kept; least recently seen is reused */
#define DATAGRAMS_PER_WAKE 512       /* then let the loop serve other fds */
#define RECV_BUFFER_BYTES (4 << 20)  /* bursts from faders must not overflow */
#define FUTURE_TOLERANCE_MS 1.0      /* clocks of one machine; not a schedule */

struct budget {
	struct wm_osc_peer peer;
	struct wm_bucket packets;        /* messages */
	struct wm_bucket errors;         /* /error replies */
	int64_t last_ms;
	bool used;
};

struct wm_osc {
	struct wm_loop *loop;
	const struct wm_cmd_env *env;
	struct wm_osc_out out;
	struct wm_osc_subs subs;
	struct budget budgets[MAX_SOURCES];
	struct wm_osc_stats stats;
	struct wm_cidr_list allow;
	double rate, burst;
	bool bound_loopback;             /* listening on a loopback address only */
	char describe[96];
	uint8_t buf[WM_OSC_MAX_PACKET];
};

/* The sender of the packet being handled, and its "osc IP:PORT" name. */
struct request {
	struct wm_osc *osc;
	const struct wm_osc_peer *peer;
	struct budget *budget;
	char by[64];
};

static struct budget *budget_for(struct wm_osc *osc, const struct wm_osc_peer *peer,
				 int64_t now_ms)
{
	struct budget *oldest = &osc->budgets[0];
	for (int i = 0; i < MAX_SOURCES; i++) {
		struct budget *b = &osc->budgets[i];
		if (b->used && wm_osc_peer_equal(&b->peer, peer))
			return b;
		if (!b->used || (oldest->used && b->last_ms < oldest->last_ms))
			oldest = b;
	}
	*oldest = (struct budget){ .peer = *peer, .last_ms = now_ms, .used = true };
	wm_bucket_init(&oldest->packets, osc->rate, osc->burst, now_ms);
	wm_bucket_init(&oldest->errors, WM_OSC_ERRORS_PER_S, WM_OSC_ERRORS_PER_S, now_ms);
	return oldest;
}

/* /error s(address) s(message) s(code), at most WM_OSC_ERRORS_PER_S a
 * second per source: a spoofed source must not turn us into an amplifier. */
static void send_error(struct request *rq, const char *address, const struct wm_err *err)
{
	struct wm_osc *osc = rq->osc;
	if (!wm_bucket_take(&rq->budget->errors, 1.0, wm_loop_now_ms())) {
		osc->stats.errors_suppressed++;
		return;
	}
	lo_message msg = lo_message_new();
	if (!msg)
		return;
	lo_message_add_string(msg, address);
	lo_message_add_string(msg, err->msg);
	lo_message_add_string(msg, wm_errcode_name(err->code));
	wm_osc_send(&osc->out, rq->peer, "/error", msg);
	lo_message_free(msg);
	osc->stats.errors++;
}

static void send_reply_json(struct request *rq, const char *address, json_t *reply)
{
	char path[WM_OSC_MAX_ADDRESS + 8];
	snprintf(path, sizeof path, "%s/reply", address);
	char *text = json_dumps(reply, WM_JSON_FLAGS);
	lo_message msg = lo_message_new();
	if (text && msg) {
		lo_message_add_string(msg, text);
		wm_osc_send(&rq->osc->out, rq->peer, path, msg);
	}
	if (msg)
		lo_message_free(msg);
	free(text);
}

/* liblo's lo_arg pointers are only 4-byte aligned: copy the bytes out. */
static bool arg_number(char type, const lo_arg *arg, double *out)
{
	switch (type) {
	case LO_INT32: {
		int32_t v;
		memcpy(&v, arg, sizeof v);
		*out = v;
		return true;
	}
	case LO_FLOAT: {
		float v;
		memcpy(&v, arg, sizeof v);
		*out = v;
		return true;
	}
	case LO_INT64: {
		int64_t v;
		memcpy(&v, arg, sizeof v);
		*out = (double)v;
		return true;
	}
	case LO_DOUBLE: {
		double v;
		memcpy(&v, arg, sizeof v);
		*out = v;
		return true;
	}
	default:
		return false;
	}
}

/* An OSC argument as a parameter value, before the schema's checks. */
static int arg_value(const struct wm_param_ref *ref, char type, const lo_arg *arg,
		     struct wm_value *value, struct wm_err *err)
{
	char path[48];
	wm_param_format_path(ref, path, sizeof path);
	memset(value, 0, sizeof *value);
	if (type == LO_TRUE || type == LO_FALSE) {
		value->type = WM_TYPE_BOOL;
		value->on = type == LO_TRUE;
	} else if (type == LO_STRING || type == LO_SYMBOL) {
		const char *s = (const char *)arg;
		if (strlen(s) >= sizeof value->text)
			return wm_err_set(err, WM_E_BAD_TYPE,
					  "%s: a string of %zu bytes; names and values are at most "
					  "%zu bytes",
					  path, strlen(s), sizeof value->text - 1);
		value->type = WM_TYPE_STRING;
		memcpy(value->text, s, strlen(s) + 1);
	} else if (arg_number(type, arg, &value->num)) {
		value->type = WM_TYPE_FLOAT;
		if (isinf(value->num) && value->num > 0)
			return wm_err_set(err, WM_E_OUT_OF_RANGE,
					  "%s: +inf is above the maximum (%g)", path,
					  wm_param_info(ref->id)->max);
	} else {
		return wm_err_set(err, WM_E_BAD_TYPE,
				  "%s: OSC type '%c' is not a value here; send f, i, d, h, T, F or s",
				  path, type);
	}
	return wm_param_check_value(ref, value, err);
}

static int arg_ramp(char type, const lo_arg *arg, double *ramp_ms, struct wm_err *err)
{
	if (!arg_number(type, arg, ramp_ms) || !isfinite(*ramp_ms))
		return wm_err_set(err, WM_E_BAD_TYPE,
				  "the second argument is the ramp in ms: send f or i");
	if (*ramp_ms < 0 || *ramp_ms > WM_MAX_RAMP_MS)
		return wm_err_set(err, WM_E_OUT_OF_RANGE, "ramp must be 0..%.0f ms; got %g",
				  WM_MAX_RAMP_MS, *ramp_ms);
	return 0;
}

static void handle_param(struct request *rq, const char *address,
			 const struct wm_param_ref *ref, const char *types, lo_arg **argv)
{
	struct wm_tree *tree = rq->osc->env->tree;
	struct wm_err err = { 0 };
	struct wm_value value;
	int argc = (int)strlen(types);
	if (argc == 0) {
		wm_param_get(wm_tree_mix(tree), ref, &value);
		wm_osc_send_value(&rq->osc->out, rq->peer, ref, &value);
		return;
	}
	double ramp_ms = -1;
	if (argc > 2)
		wm_err_set(&err, WM_E_WRONG_ARGS,
			   "%s takes a value and an optional ramp in ms; got %d arguments", address,
			   argc);
	else if (arg_value(ref, types[0], argv[0], &value, &err) == 0 &&
		 (argc == 1 || arg_ramp(types[1], argv[1], &ramp_ms, &err) == 0) &&
		 wm_tree_set(tree, ref, &value, ramp_ms, rq->by, &err) == 0)
		return;
	send_error(rq, address, &err);
	/* Put the sender's control back where the mix really is. */
	wm_param_get(wm_tree_mix(tree), ref, &value);
	wm_osc_send_value(&rq->osc->out, rq->peer, ref, &value);
}

/* OSC arguments as command words: "/get s ch/1/gain" -> get ch/1/gain.
 * Returns the length written (including the NUL), or -1. */
static int arg_word(char type, const lo_arg *arg, char *buf, size_t len, struct wm_err *err)
{
	double num;
	int n;
	if (type == LO_STRING || type == LO_SYMBOL)
		n = snprintf(buf, len, "%s", (const char *)arg);
	else if (type == LO_INT32 || type == LO_INT64)
		n = arg_number(type, arg, &num) ? snprintf(buf, len, "%.0f", num) : -1;
	else if (arg_number(type, arg, &num))
		n = snprintf(buf, len, "%.9g", num);
	else if (type == LO_TRUE || type == LO_FALSE)
		n = snprintf(buf, len, "%s", type == LO_TRUE ? "true" : "false");
	else
		return wm_err_set(err, WM_E_BAD_TYPE,
				  "OSC type '%c' cannot be a command argument; send s, f, i, T or F",
				  type);
	return n < 0 ? -1 : n + 1;
}

/* Room for the address's words and every argument as text. */
static size_t words_size(const char *address, const char *types, lo_arg **argv)
{
	size_t size = strlen(address) + 1;
	for (int i = 0; types[i]; i++)
		size += (types[i] == LO_STRING || types[i] == LO_SYMBOL)
				? strlen((const char *)argv[i]) + 1
				: 32;
	return size;
}

static int split_words(const char *address, const char *types, lo_arg **argv, char *storage,
		       size_t size, struct wm_words *words, struct wm_err *err)
{
	size_t used = 0;
	/* The address gives the verb words: /scene/recall -> "scene recall". */
	for (const char *p = address + 1; *p && words->count < WM_MAX_WORDS;) {
		size_t n = strcspn(p, "/");
		words->word[words->count++] = storage + used;
		memcpy(storage + used, p, n);
		storage[used + n] = '\0';
		used += n + 1;
		p += n;
		p += *p == '/';
	}
	if (words->count == 0)
		return wm_err_set(err, WM_E_UNKNOWN_VERB, "empty address; see docs/osc.md");
	for (int i = 0; types[i]; i++) {
		if (words->count == WM_MAX_WORDS)
			return wm_err_set(err, WM_E_WRONG_ARGS, "more than %d arguments",
					  WM_MAX_WORDS);
		int n = arg_word(types[i], argv[i], storage + used, size - used, err);
		if (n < 0)
			return -1;
		words->word[words->count++] = storage + used;
		used += (size_t)n;
	}
	return 0;
}

static void error_from_reply(const json_t *reply, struct wm_err *err)
{
	const json_t *e = json_object_get(reply, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	err->code = WM_E_INTERNAL;
	for (int c = 0; c < WM_E_COUNT; c++)
		if (code && strcmp(code, wm_errcode_name((enum wm_errcode)c)) == 0)
			err->code = (enum wm_errcode)c;
	snprintf(err->msg, sizeof err->msg, "%s", json_string_value(json_object_get(e, "message")));
}

static void handle_verb(struct request *rq, const char *address, const char *types,
			lo_arg **argv)
{
	struct wm_words words = { 0 };
	struct wm_err err = { 0 };
	size_t size = words_size(address, types, argv);
	char *storage = malloc(size);
	if (!storage)
		return;
	if (split_words(address, types, argv, storage, size, &words, &err) < 0) {
		send_error(rq, address, &err);
		free(storage);
		return;
	}
	struct wm_cmd_ctx ctx = { .env = rq->osc->env, .by = rq->by };
	json_t *reply = wm_command_run_words(&ctx, &words);
	if (json_is_true(json_object_get(reply, "ok"))) {
		send_reply_json(rq, address, reply);
	} else {
		error_from_reply(reply, &err);
		send_error(rq, address, &err);
	}
	json_decref(reply);
	free(storage);
}

/* /ch/N/player s state s file f position_s f length_s, from a player info
 * object (cmd_player.c). */
static lo_message player_message(const json_t *info)
{
	lo_message msg = lo_message_new();
	const char *state = json_string_value(json_object_get(info, "state"));
	const char *file = json_string_value(json_object_get(info, "file"));
	if (!msg)
		return NULL;
	lo_message_add_string(msg, state ? state : "idle");
	lo_message_add_string(msg, file ? file : "");
	lo_message_add_float(msg, (float)json_number_value(json_object_get(info, "position")));
	lo_message_add_float(msg, (float)json_number_value(json_object_get(info, "length")));
	return msg;
}

static void send_player(struct wm_osc *osc, const struct wm_osc_peer *peer, int ch,
			const json_t *info)
{
	char path[32];
	lo_message msg = player_message(info);
	if (!msg)
		return;
	snprintf(path, sizeof path, "/ch/%d/player", ch);
	wm_osc_send(&osc->out, peer, path, msg);
	lo_message_free(msg);
}

/* The player verbs with the channel in the address: /ch/N/play s [i loop],
 * /ch/N/stop [f fade_ms], and /ch/N/player (a query). Each answers with
 * /ch/N/player and the player's state, or /error. */
static bool handle_player(struct request *rq, const char *address, const char *types,
			  lo_arg **argv)
{
	char number[12], leaf[8], storage[2 * WM_OSC_MAX_ADDRESS + 64];
	int used = 0;
	if (sscanf(address, "/ch/%11[0-9]/%7[a-z]%n", number, leaf, &used) != 2 ||
	    address[used] != '\0' || number[0] == '0' ||
	    (strcmp(leaf, "play") != 0 && strcmp(leaf, "stop") != 0 && strcmp(leaf, "player") != 0))
		return false;
	struct wm_words words = { 0 };
	struct wm_err err = { 0 };
	size_t argc = strlen(types);
	double num = 0;
	bool play = strcmp(leaf, "play") == 0, query = strcmp(leaf, "player") == 0;
	bool ok = play ? (argc == 1 || argc == 2) && (types[0] == LO_STRING || types[0] == LO_SYMBOL) &&
				 (argc == 1 || types[1] == LO_TRUE || types[1] == LO_FALSE ||
				  arg_number(types[1], argv[1], &num))
		       : query ? argc == 0 : argc <= 1 && (argc == 0 || arg_number(types[0], argv[0], &num));
	if (!ok) {
		wm_err_set(&err, WM_E_WRONG_ARGS, "%s takes %s", address,
			   play ? "s file [i loop]" : query ? "no arguments" : "[f fade_ms]");
		send_error(rq, address, &err);
		return true;
	}
	words.word[words.count++] = query ? "get" : play ? "play" : "stop";
	if (query) {
		snprintf(storage, sizeof storage, "ch/%s/player", number);
		words.word[words.count++] = storage;
	} else {
		words.word[words.count++] = number;
	}
	if (play) {
		words.word[words.count++] = (char *)argv[0];
		if (argc == 2 && (types[1] == LO_TRUE || num != 0))
			words.word[words.count++] = "loop";
	} else if (!query && argc == 1) {
		snprintf(storage, sizeof storage, "%.17g", num);
		words.word[words.count++] = storage;
	}
	struct wm_cmd_ctx ctx = { .env = rq->osc->env, .by = rq->by };
	json_t *reply = wm_command_run_words(&ctx, &words);
	if (json_is_true(json_object_get(reply, "ok"))) {
		const json_t *info = query ? json_object_get(reply, "value") : reply;
		send_player(rq->osc, rq->peer, (int)strtol(number, NULL, 10), info);
	} else {
		error_from_reply(reply, &err);
		send_error(rq, address, &err);
	}
	json_decref(reply);
	return true;
}

/* /subscribe [i reply_port] [f lease_s], /meters/subscribe [i rate_hz]. */
static bool handle_subscription(struct request *rq, const char *address, const char *types,
				lo_arg **argv)
{
	struct wm_osc *osc = rq->osc;
	struct wm_err err = { 0 };
	int64_t now = wm_loop_now_ms();
	bool changes = strcmp(address, "/subscribe") == 0 || strcmp(address, "/xremote") == 0;
	bool meters = strcmp(address, "/meters/subscribe") == 0;
	if (strcmp(address, "/unsubscribe") == 0 || strcmp(address, "/meters/unsubscribe") == 0) {
		if (address[1] == 'u')
			wm_osc_subs_drop_changes(&osc->subs, rq->peer, rq->by);
		else
			wm_osc_subs_drop_meters(&osc->subs, rq->peer, rq->by);
		return true;
	}
	if (!changes && !meters)
		return false;
	double a = -1, b = WM_OSC_DEFAULT_LEASE_S;
	int argc = (int)strlen(types);
	if (argc > (changes ? 2 : 1) || (argc > 0 && !arg_number(types[0], argv[0], &a)) ||
	    (argc > 1 && !arg_number(types[1], argv[1], &b))) {
		wm_err_set(&err, WM_E_WRONG_ARGS, "%s", changes ?
			   "/subscribe takes [i reply_port] [f lease_s]" :
			   "/meters/subscribe takes [i rate_hz]");
		send_error(rq, address, &err);
		return true;
	}
	struct wm_osc_peer target = *rq->peer;
	if (changes) {
		if (argc > 0 && (a < 1 || a > 65535 || a != floor(a)))
			wm_err_set(&err, WM_E_OUT_OF_RANGE, "reply port must be 1..65535; got %g", a);
		else if (!(b >= 1 && b <= 60)) /* written so NaN is refused too */
			wm_err_set(&err, WM_E_OUT_OF_RANGE, "lease must be 1..60 s; got %g", b);
		if (argc > 0 && err.code == WM_OK) {
			in_port_t port = htons((in_port_t)a);
			if (target.addr.ss_family == AF_INET)
				((struct sockaddr_in *)&target.addr)->sin_port = port;
			else
				((struct sockaddr_in6 *)&target.addr)->sin6_port = port;
		}
		if (err.code == WM_OK &&
		    wm_osc_subs_changes(&osc->subs, &target, rq->by, b, now) < 0)
			wm_err_set(&err, WM_E_BUSY, "all %d subscriptions are taken; retry later",
				   WM_OSC_MAX_SUBSCRIBERS);
	} else {
		double rate = argc > 0 ? a : 10;
		if (!(rate >= 1 && rate <= 30)) /* NaN too */
			wm_err_set(&err, WM_E_OUT_OF_RANGE, "meter rate must be 1..30 Hz; got %g", rate);
		else if (wm_osc_subs_meters(&osc->subs, &target, rq->by, rate, now) < 0)
			wm_err_set(&err, WM_E_BUSY, "all %d subscriptions are taken; retry later",
				   WM_OSC_MAX_SUBSCRIBERS);
	}
	if (err.code != WM_OK) {
		send_error(rq, address, &err);
		return true;
	}
	lo_message msg = lo_message_new();
	if (msg) {
		lo_message_add_int32(msg, 1);
		char path[64];
		snprintf(path, sizeof path, "%s/reply", address);
		wm_osc_send(&osc->out, &target, path, msg);
		lo_message_free(msg);
	}
	return true;
}

static void handle_message(struct request *rq, const void *data, size_t size)
{
	struct wm_err err = { 0 };
	int result = 0;
	lo_message msg = lo_message_deserialise((void *)data, size, &result);
	const char *address = wm_osc_message_address(data);
	if (!msg) {
		rq->osc->stats.malformed++;
		wm_err_set(&err, WM_E_BAD_REQUEST, "liblo cannot decode this message (error %d)",
			   result);
		send_error(rq, address, &err);
		return;
	}
	const char *types = lo_message_get_types(msg);
	lo_arg **argv = lo_message_get_argv(msg);
	struct wm_param_ref ref;
	const struct wm_mix *mix = wm_tree_mix(rq->osc->env->tree);
	if (handle_subscription(rq, address, types, argv) ||
	    handle_player(rq, address, types, argv)) {
		/* done */
	} else if (wm_param_parse_path(address + 1, mix, &ref, &err) == 0) {
		handle_param(rq, address, &ref, types, argv);
	} else if (strncmp(address, "/ch/", 4) == 0 || strncmp(address, "/zone/", 6) == 0) {
		send_error(rq, address, &err);
	} else {
		handle_verb(rq, address, types, argv);
	}
	lo_message_free(msg);
}

static double timetag_ms_ahead(uint64_t timetag)
{
	lo_timetag now;
	lo_timetag_now(&now);
	lo_timetag tt = { (uint32_t)(timetag >> 32), (uint32_t)timetag };
	return lo_timetag_diff(tt, now) * 1000.0;
}

/* Refuse a bundle (or any nested one) timed in the future before running
 * anything, so a bundle is never half applied. */
static bool bundle_in_future(const void *data, size_t size, double *ahead_ms)
{
	uint64_t timetag;
	struct wm_osc_bundle_iter it;
	wm_osc_bundle_begin(data, size, &timetag, &it);
	if (timetag != WM_OSC_IMMEDIATE) {
		*ahead_ms = timetag_ms_ahead(timetag);
		if (*ahead_ms > FUTURE_TOLERANCE_MS)
			return true;
	}
	const void *elem;
	size_t elem_size;
	while (wm_osc_bundle_next(&it, &elem, &elem_size))
		if (wm_osc_is_bundle(elem, elem_size) && bundle_in_future(elem, elem_size, ahead_ms))
			return true;
	return false;
}

static void run_bundle(struct request *rq, const void *data, size_t size)
{
	uint64_t timetag;
	struct wm_osc_bundle_iter it;
	wm_osc_bundle_begin(data, size, &timetag, &it);
	const void *elem;
	size_t elem_size;
	while (wm_osc_bundle_next(&it, &elem, &elem_size)) {
		if (wm_osc_is_bundle(elem, elem_size))
			run_bundle(rq, elem, elem_size);
		else
			handle_message(rq, elem, elem_size);
	}
}

static size_t count_messages(const void *data, size_t size)
{
	uint64_t timetag;
	struct wm_osc_bundle_iter it;
	wm_osc_bundle_begin(data, size, &timetag, &it);
	const void *elem;
	size_t elem_size, n = 0;
	while (wm_osc_bundle_next(&it, &elem, &elem_size))
		n += wm_osc_is_bundle(elem, elem_size) ? count_messages(elem, elem_size) : 1;
	return n;
}

static void handle_bundle(struct request *rq, const void *data, size_t size)
{
	struct wm_err err = { 0 };
	double ahead_ms = 0;
	/* The datagram paid for one message; a bundle pays for all it holds,
	 * or a sender could buy thousands of changes with one token. */
	double extra = (double)count_messages(data, size) - 1.0;
	if (extra > 0 && !wm_bucket_take(&rq->budget->packets, extra, wm_loop_now_ms())) {
		rq->osc->stats.rate_limited++;
		return;
	}
	if (bundle_in_future(data, size, &ahead_ms)) {
		wm_err_set(&err, WM_E_BAD_REQUEST,
			   "bundle timetag is %.0f ms in the future; washmixd applies bundles on "
			   "arrival only: send timetag 1 (immediately)",
			   ahead_ms);
		send_error(rq, "#bundle", &err);
		return;
	}
	struct wm_tree *tree = rq->osc->env->tree;
	wm_tree_begin(tree);
	run_bundle(rq, data, size);
	if (wm_tree_commit(tree, &err) < 0)
		send_error(rq, "#bundle", &err);
}

/* size is the datagram's length as received: more than WM_OSC_MAX_PACKET
 * means only that much of it is in data. */
static void handle_packet(struct wm_osc *osc, const struct wm_osc_peer *peer, const uint8_t *data,
			  size_t size)
{
	bool truncated = size > WM_OSC_MAX_PACKET;
	if (truncated)
		size = WM_OSC_MAX_PACKET;
	int64_t now = wm_loop_now_ms();
	struct request rq = { .osc = osc, .peer = peer, .budget = budget_for(osc, peer, now) };
	rq.budget->last_ms = now;
	if (!wm_bucket_take(&rq.budget->packets, 1.0, now)) {
		osc->stats.rate_limited++;
		return;
	}
	wm_osc_peer_name(peer, rq.by, sizeof rq.by);
	struct wm_err err = { 0 };
	if (truncated)
		wm_err_set(&err, WM_E_BAD_REQUEST, "OSC packet is over %d bytes, the limit",
			   WM_OSC_MAX_PACKET);
	if (truncated || wm_osc_validate(data, size, &err) < 0) {
		osc->stats.malformed++;
		send_error(&rq, "", &err);
		return;
	}
	if (wm_osc_is_bundle(data, size))
		handle_bundle(&rq, data, size);
	else
		handle_message(&rq, data, size);
}

static void on_readable(struct wm_loop *loop, int fd, short revents, void *arg)
{
	(void)loop, (void)revents;
	struct wm_osc *osc = arg;
	for (int i = 0; i < DATAGRAMS_PER_WAKE; i++) {
		struct wm_osc_peer peer = { .len = sizeof peer.addr };
		ssize_t n = recvfrom(fd, osc->buf, sizeof osc->buf, MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&peer.addr, &peer.len);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				wm_warn("osc.recv", "error=\"%s\"", strerror(errno));
			return;
		}
		osc->stats.received++;
		/* Before anything reads a byte of it, and never answered. */
		if (!wm_cidr_match(&osc->allow, (const struct sockaddr *)&peer.addr)) {
			osc->stats.refused_allow++;
			continue;
		}
		handle_packet(osc, &peer, osc->buf, (size_t)n);
	}
}

void wm_osc_handle_datagram(struct wm_osc *osc, const struct wm_osc_peer *peer, const void *data,
			    size_t size)
{
	osc->stats.received++;
	handle_packet(osc, peer, data, size);
}

static int open_socket(struct wm_osc *osc, const struct wm_osc_config *config,
		       struct wm_err *err)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, config->bind, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((in_port_t)config->port);
		len = sizeof *in;
	} else if (inet_pton(AF_INET6, config->bind, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((in_port_t)config->port);
		len = sizeof *in6;
	} else {
		return wm_err_set(err, WM_E_BAD_CONFIG, "OSC bind address \"%s\" is not an IP address",
				  config->bind);
	}
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return wm_err_set(err, WM_E_IO, "OSC socket: %s", strerror(errno));
	int rcvbuf = RECV_BUFFER_BYTES;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf); /* best effort */
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		wm_err_set(err, WM_E_BAD_CONFIG,
			   "cannot listen for OSC on udp %s:%d: %s (another program on the port? "
			   "choose --osc-port, or 0 to turn OSC off)",
			   config->bind, config->port, strerror(errno));
		close(fd);
		return -1;
	}
	osc->out.fd = fd;
	osc->bound_loopback = ss.ss_family == AF_INET ? ntohl(in->sin_addr.s_addr) >> 24 == 127
						      : IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	snprintf(osc->describe, sizeof osc->describe, "udp %s:%d", config->bind, config->port);
	return 0;
}

struct wm_osc *wm_osc_create(struct wm_loop *loop, const struct wm_osc_config *config,
			     const struct wm_cmd_env *env, struct wm_err *err)
{
	struct wm_osc *osc = calloc(1, sizeof *osc);
	if (!osc) {
		wm_err_set(err, WM_E_INTERNAL, "out of memory");
		return NULL;
	}
	osc->loop = loop;
	osc->env = env;
	osc->out.fd = -1;
	if (open_socket(osc, config, err) < 0 || wm_osc_set_access(osc, &config->access, err) < 0 ||
	    wm_loop_add_fd(loop, osc->out.fd, POLLIN, on_readable, osc) < 0) {
		if (osc->out.fd >= 0)
			close(osc->out.fd);
		free(osc);
		return NULL;
	}
	return osc;
}

int wm_osc_set_access(struct wm_osc *osc, const struct wm_osc_access *access,
		      struct wm_err *err)
{
	struct wm_cidr_list allow;
	const char *text = access->allow && *access->allow ? access->allow : WM_OSC_ALLOW_DEFAULT;
	if (wm_cidr_parse_list(text, &allow, err) < 0)
		return -1;
	osc->allow = allow;
	osc->rate = access->rate;
	osc->burst = access->burst >= 1 ? access->burst : 1;
	for (int i = 0; i < MAX_SOURCES; i++)
		if (osc->budgets[i].used)
			wm_bucket_set(&osc->budgets[i].packets, osc->rate, osc->burst);
	if (!osc->bound_loopback && wm_cidr_only_loopback(&allow))
		wm_warn("osc.loopback_only",
			"address=\"%s\" allow=\"%s\" msg=\"listening beyond loopback, but only "
			"loopback sources are accepted; list your controllers' networks with "
			"--osc-allow\"",
			osc->describe, text);
	return 0;
}

void wm_osc_destroy(struct wm_osc *osc)
{
	if (!osc)
		return;
	wm_loop_remove_fd(osc->loop, osc->out.fd);
	close(osc->out.fd);
	free(osc);
}

void wm_osc_publish_change(struct wm_osc *osc, const struct wm_param_ref *ref,
			   const struct wm_value *value, const char *by)
{
	wm_osc_subs_send_change(&osc->subs, &osc->out, wm_loop_now_ms(), ref, value, by);
}

void wm_osc_publish_scene(struct wm_osc *osc, const char *name)
{
	int64_t now = wm_loop_now_ms();
	lo_message msg = lo_message_new();
	if (!msg)
		return;
	lo_message_add_string(msg, name);
	for (int i = 0; i < osc->subs.count; i++)
		if (osc->subs.sub[i].changes_until_ms > now)
			wm_osc_send(&osc->out, &osc->subs.sub[i].target, "/scene/current", msg);
	lo_message_free(msg);
}

void wm_osc_publish_player(struct wm_osc *osc, int ch, const json_t *info)
{
	int64_t now = wm_loop_now_ms();
	for (int i = 0; i < osc->subs.count; i++)
		if (osc->subs.sub[i].changes_until_ms > now)
			send_player(osc, &osc->subs.sub[i].target, ch, info);
}

bool wm_osc_wants_meters(struct wm_osc *osc)
{
	int changes, meters;
	wm_osc_subs_count(&osc->subs, wm_loop_now_ms(), &changes, &meters);
	return meters > 0;
}

void wm_osc_publish_meters(struct wm_osc *osc, int channels, int zones,
			   const struct wm_meter *meters)
{
	wm_osc_subs_send_meters(&osc->subs, &osc->out, wm_loop_now_ms(), channels, zones, meters);
}

void wm_osc_get_stats(struct wm_osc *osc, struct wm_osc_stats *stats)
{
	wm_osc_subs_expire(&osc->subs, wm_loop_now_ms());
	*stats = osc->stats;
	stats->sent = osc->out.sent;
	stats->send_failures = osc->out.failures;
	wm_osc_subs_count(&osc->subs, wm_loop_now_ms(), &stats->subscribers,
			  &stats->meter_subscribers);
}

const char *wm_osc_describe(const struct wm_osc *osc)
{
	return osc->describe;
}
