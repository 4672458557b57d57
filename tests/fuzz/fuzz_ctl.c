/* fuzz_ctl.c - fuzz harness for the control socket's line protocol: the
 * input is a byte stream cut into pieces at points the fuzzer picks (its
 * first byte seeds the cuts), framed by the socket's own line reader
 * (control/linebuf.c), tokenized and run through the real command table
 * against a real parameter tree and engine (no JACK: the harness runs the
 * engine's process step itself so its command ring drains). Properties:
 * every reply is one line of JSON of the documented shape (docs/protocol.md),
 * and a refused request leaves the parameter tree as it was. */
#include <jansson.h>
#include <string.h>

#include "common/err.h"
#include "control/commands.h"
#include "control/linebuf.h"
#include "control/reply.h"
#include "control/tree.h"
#include "render/request.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_mix.h"

struct session {
	struct wm_tree *tree;
	struct wm_engine *engine;
	struct wm_cmd_env env;
	unsigned topics;
	bool quit;
	unsigned long long next_job;
	unsigned lines;
};

/* Lines between two engine periods: few enough that their commands fit its
 * ring, many enough that the DSP does not dominate the run. */
#define LINES_PER_PERIOD 32

static void subscribe(void *conn, unsigned t)
{
	((struct session *)conn)->topics |= t;
}
static void unsubscribe(void *conn, unsigned t)
{
	((struct session *)conn)->topics &= ~t;
}
static unsigned topics(void *conn)
{
	return ((struct session *)conn)->topics;
}
static void quit(void *conn)
{
	((struct session *)conn)->quit = true;
}
static const struct wm_conn_ops conn_ops = { subscribe, unsubscribe, topics, quit };

static void health(void *arg, json_t *reply)
{
	(void)arg;
	json_object_set_new(reply, "status", json_string("ok"));
}

/* Takes over req and scene_text, as the daemon's jobs do. */
static int submit(void *arg, struct wm_render_request *req, char *scene_text,
		  unsigned long long *id, struct wm_err *err)
{
	(void)err;
	struct session *s = arg;
	wm_render_request_free(req);
	free(req);
	free(scene_text);
	*id = ++s->next_job;
	return 0;
}

static bool known_code(const char *code)
{
	for (int c = WM_E_BAD_REQUEST; c < WM_E_COUNT; c++)
		if (strcmp(code, wm_errcode_name((enum wm_errcode)c)) == 0)
			return true;
	return false;
}

/* The reply as the socket sends it: one line that parses back to an object
 * {"ok":true,...} or {"ok":false,"error":{"code":KNOWN,"message":TEXT,...}}.
 * Returns whether it is ok. */
static bool check_reply(const json_t *reply, const char *line, size_t len)
{
	FUZZ_CHECK(reply, "no reply to a request line of %zu bytes", len);
	char *text = json_dumps(reply, WM_JSON_FLAGS);
	FUZZ_CHECK(text, "reply cannot be serialised");
	FUZZ_CHECK(!strchr(text, '\n'), "reply is more than one line: %s", text);
	json_error_t jerr;
	json_t *back = json_loads(text, 0, &jerr);
	FUZZ_CHECK(back && json_is_object(back), "reply is not a JSON object (%s): %s", jerr.text,
		   text);
	json_t *ok = json_object_get(back, "ok");
	FUZZ_CHECK(json_is_boolean(ok), "reply has no boolean \"ok\": %s", text);
	json_t *error = json_object_get(back, "error");
	if (json_is_true(ok)) {
		FUZZ_CHECK(!error, "an ok reply carries an error: %s", text);
	} else {
		const char *code = json_string_value(json_object_get(error, "code"));
		const char *msg = json_string_value(json_object_get(error, "message"));
		FUZZ_CHECK(json_is_object(error) && code && known_code(code) && msg && msg[0],
			   "error reply not of the documented shape: %s", text);
		FUZZ_CHECK(strcmp(code, "internal") != 0, "internal error for \"%.*s\": %s",
			   (int)(len > 200 ? 200 : len), line ? line : "", text);
	}
	bool is_ok = json_is_true(ok);
	json_decref(back);
	free(text);
	return is_ok;
}

static void on_line(void *arg, const char *line, size_t len)
{
	struct session *s = arg;
	if (s->quit)
		return;
	static struct fuzz_snapshot before;
	fuzz_snapshot_take(wm_tree_mix(s->tree), &before);
	struct wm_cmd_ctx ctx = { .env = &s->env, .conn = s, .conn_ops = &conn_ops,
				  .by = "fuzz" };
	json_t *reply = wm_command_run_line(&ctx, line, len);
	if (reply) {
		bool ok = check_reply(reply, line, len);
		FUZZ_CHECK(ok || fuzz_snapshot_same(wm_tree_mix(s->tree), &before),
			   "a refused request changed the parameter tree: \"%.*s\"",
			   (int)(len > 200 ? 200 : len), line);
		json_decref(reply);
	}
	if (++s->lines % LINES_PER_PERIOD == 0)
		fuzz_run_engine();
}

static void on_too_long(void *arg)
{
	(void)arg;
	struct wm_err err = { .code = WM_E_LINE_TOO_LONG, .msg = "line too long" };
	json_t *reply = wm_reply_error(&err);
	FUZZ_CHECK(!check_reply(reply, NULL, 0), "line_too_long reply is ok");
	json_decref(reply);
}

/* A fresh tree for every input, so an input's outcome does not depend on
 * the ones before it; the engine is made once (its audio state does not
 * reach the tree or the replies). */
static bool session_open(struct session *s)
{
	static struct wm_mix mix;
	fuzz_default_mix(&mix);
	*s = (struct session){ .engine = fuzz_engine() };
	s->tree = wm_tree_create(&mix, 20.0);
	if (!s->tree)
		return false;
	wm_tree_attach_engine(s->tree, s->engine);
	s->env = (struct wm_cmd_env){ .tree = s->tree,
				      .status = { .health = health },
				      .render = { .submit = submit, .arg = s, .max_duration_s = 3600 } };
	return true;
}

static void session_close(struct session *s)
{
	fuzz_run_engine();  /* leave its command ring empty for the next input */
	wm_tree_attach_engine(s->tree, NULL);
	wm_tree_destroy(s->tree);
}

/* xorshift32: the cut points, from the seed byte. */
static uint32_t next_cut(uint32_t *state, uint32_t max)
{
	uint32_t x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return 1 + x % max;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct session s;
	static struct wm_linebuf lb;
	if (size < 1 || !session_open(&s))
		return 0;
	uint32_t state = 0x9e3779b9u ^ data[0];
	uint32_t max_cut = (data[0] & 0x80) ? WM_LINEBUF_SIZE : 16;
	const struct wm_line_sink sink = { on_line, on_too_long, &s };
	wm_linebuf_init(&lb);
	for (size_t pos = 1; pos < size;) {
		size_t room, cut = next_cut(&state, max_cut);
		char *space = wm_linebuf_space(&lb, &room);
		if (cut > room)
			cut = room;
		if (cut > size - pos)
			cut = size - pos;
		memcpy(space, data + pos, cut);
		wm_linebuf_added(&lb, cut, &sink);
		pos += cut;
	}
	wm_linebuf_finish(&lb, &sink);
	if (wm_tree_in_batch(s.tree))
		wm_tree_abort(s.tree);
	session_close(&s);
	return 0;
}
