/* soak_load.c - the soak's worker threads (soak_load.h). Each worker owns
 * its connection and its counters; the only shared state is the stop flag
 * and the first problem seen (under a mutex). Test-side code: it may block,
 * allocate and lock freely. */
#include "tests/soak/soak_load.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tests/support/media.h"
#include "tests/support/oscclient.h"
#include "tests/support/proc.h"
#include "tests/support/sockclient.h"

#define REPLY_MS 5000
#define RENDER_DONE_MS 60000
#define OSC_CHANNELS 16
#define SETGET_FIRST_CH 33
#define SCENE_FADE_MS 300
#define ZONES 8

enum worker_kind { W_OSC1, W_OSC2, W_SETGET, W_SCENES, W_PLAYERS, W_RENDERS, W_COUNT };

struct worker {
	struct soak_load *load;
	enum worker_kind kind;
	pthread_t thread;
	bool started;
	struct soak_counts c;
	struct wm_client *client;
	struct wm_osc_peer *peer;
};

struct soak_load {
	struct soak_target t;
	atomic_bool stop;
	pthread_mutex_t problem_lock;
	char first_problem[600];
	struct worker w[W_COUNT];
};

static void problem(struct worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct worker *w, const char *fmt, ...)
{
	struct soak_load *l = w->load;
	va_list ap;

	pthread_mutex_lock(&l->problem_lock);
	if (!l->first_problem[0]) {
		va_start(ap, fmt);
		vsnprintf(l->first_problem, sizeof l->first_problem, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&l->problem_lock);
}

static bool stopping(const struct worker *w)
{
	return atomic_load(&w->load->stop);
}

/* Sleep until start + n * period_ns (absolute, so the rate does not drift);
 * false once the load is stopping. */
static bool pace(const struct worker *w, const struct timespec *start, long long n,
		 long long period_ns)
{
	long long at = (long long)start->tv_sec * 1000000000LL + start->tv_nsec + n * period_ns;
	struct timespec ts = { (time_t)(at / 1000000000LL), (long)(at % 1000000000LL) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	return !stopping(w);
}

/* A request whose reply must be ok; NULL (counted, reported) otherwise. */
static json_t *request_ok(struct worker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static json_t *request_ok(struct worker *w, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	json_t *r;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	r = wm_client_request(w->client, REPLY_MS, line);
	if (r && json_is_true(json_object_get(r, "ok")))
		return r;
	w->c.request_failures++;
	problem(w, "`%s` answered %s", line, r ? wm_t_json_str(r) : "nothing (timeout or closed)");
	json_decref(r);
	return NULL;
}

/* The number in a reply's "value" ("-inf" as -INFINITY); NAN otherwise. */
static double reply_value(const json_t *r)
{
	json_t *v = json_object_get(r, "value");

	if (json_is_number(v))
		return json_number_value(v);
	if (json_is_string(v) && !strcmp(json_string_value(v), "-inf"))
		return -INFINITY;
	return NAN;
}

static bool same(double a, double b)
{
	return fabs(a - b) <= 1e-6;
}

/* get PATH must answer want; counts in *checked / *wrong. */
static void expect_value(struct worker *w, const char *path, double want, long *checked,
			 long *wrong)
{
	json_t *r = request_ok(w, "get %s", path);

	(*checked)++;
	if (r && same(reply_value(r), want)) {
		json_decref(r);
		return;
	}
	(*wrong)++;
	problem(w, "get %s: got %s, want %g", path, r ? wm_t_json_str(r) : "no ok reply", want);
	json_decref(r);
}

/* ------------------------------------------------------------ OSC flood */

/* Source s drives ch/(16s+1)..(16s+16): gain (-40..0 dB in 0.5 dB steps,
 * 50 ms ramp), pan and sends, one message per tick. */
static void osc_message(struct worker *w, int src, long long n)
{
	int ch = src * OSC_CHANNELS + 1 + (int)(n % OSC_CHANNELS);
	char path[48];
	int rc;

	switch ((n / OSC_CHANNELS) % 3) {
	case 0:
		snprintf(path, sizeof path, "/ch/%d/gain", ch);
		rc = wm_osc_send(w->peer, path, "ff", -0.5 * (double)(n % 81), 50.0);
		break;
	case 1:
		snprintf(path, sizeof path, "/ch/%d/pan", ch);
		rc = wm_osc_send(w->peer, path, "f", (double)(n % 65 - 32) / 32.0);
		break;
	default:
		snprintf(path, sizeof path, "/ch/%d/send/%d", ch, 1 + (int)(n % ZONES));
		rc = wm_osc_send(w->peer, path, "ff", -0.25 * (double)(n % 97), 20.0);
		break;
	}
	if (rc == 0)
		w->c.osc_sent[src]++;
	else
		problem(w, "OSC source %d: send %s failed", src + 1, path);
}

static void osc_drain_errors(struct worker *w)
{
	const struct wm_osc_msg *m;

	wm_osc_pump(w->peer, 0);
	while ((m = wm_osc_take(w->peer, "/error", 0))) {
		if (!w->c.osc_error_replies)
			problem(w, "OSC flood got %s", wm_osc_msg_str(m));
		w->c.osc_error_replies++;
	}
	wm_osc_clear(w->peer);
}

static void run_osc(struct worker *w)
{
	int src = w->kind == W_OSC1 ? 0 : 1;
	long long period = 1000000000LL / w->load->t.osc_rate;
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long long n = 0; pace(w, &start, n, period); n++) {
		osc_message(w, src, n);
		if (n % 500 == 499)
			osc_drain_errors(w);
	}
	osc_drain_errors(w);
}

static double osc_final_gain(int src, int i)
{
	return -3.0 - src * 10.0 - 0.5 * i;
}

/* After the flood: each source sets its channels' gains with no ramp; the
 * set/get connection reads them back, so what the flood last said is what
 * the daemon holds. */
static void osc_final_check(struct soak_load *l)
{
	struct worker *reader = &l->w[W_SETGET];

	for (int src = 0; src < SOAK_OSC_SOURCES; src++)
		for (int i = 0; i < OSC_CHANNELS; i++) {
			char path[48];

			snprintf(path, sizeof path, "/ch/%d/gain", src * OSC_CHANNELS + 1 + i);
			if (wm_osc_send(l->w[W_OSC1 + src].peer, path, "ff", osc_final_gain(src, i),
					0.0) == 0)
				l->w[W_OSC1 + src].c.osc_sent[src]++;
		}
	wm_sleep_ms(300);
	for (int src = 0; src < SOAK_OSC_SOURCES; src++)
		for (int i = 0; i < OSC_CHANNELS; i++) {
			char path[48];

			snprintf(path, sizeof path, "ch/%d/gain", src * OSC_CHANNELS + 1 + i);
			expect_value(reader, path, osc_final_gain(src, i),
				     &reader->c.osc_final_checked, &reader->c.osc_final_wrong);
		}
}

/* ------------------------------------------------------------ set/get */

static void setget_pair(struct worker *w, unsigned *seed)
{
	int ch = SETGET_FIRST_CH + (int)(rand_r(seed) % 16);
	char path[48];
	double v;
	json_t *r;

	switch (rand_r(seed) % 3) {
	case 0:
		snprintf(path, sizeof path, "ch/%d/gain", ch);
		v = -60.0 + 0.25 * (rand_r(seed) % 289);            /* -60 .. +12 */
		break;
	case 1:
		snprintf(path, sizeof path, "ch/%d/pan", ch);
		v = (double)((int)(rand_r(seed) % 129) - 64) / 64.0;
		break;
	default:
		snprintf(path, sizeof path, "ch/%d/send/%d", ch, 1 + (int)(rand_r(seed) % ZONES));
		v = -30.0 + 0.5 * (rand_r(seed) % 61);
		break;
	}
	r = rand_r(seed) % 2 ? request_ok(w, "set %s %.6g 40", path, v)
			     : request_ok(w, "set %s %.6g", path, v);
	w->c.setget_pairs++;
	if (!r || !same(reply_value(r), v)) {
		w->c.setget_wrong++;
		problem(w, "set %s %.6g answered %s", path, v, r ? wm_t_json_str(r) : "no ok reply");
		json_decref(r);
		return;
	}
	json_decref(r);
	long checked = 0;

	expect_value(w, path, v, &checked, &w->c.setget_wrong);
}

static void run_setget(struct worker *w)
{
	long long period = 1000000000LL / w->load->t.setget_rate;
	unsigned seed = 12345;
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long long n = 0; pace(w, &start, n, period); n++)
		setget_pair(w, &seed);
}

/* ------------------------------------------------------------ scenes */

static double scene_gain(int scene, int i)
{
	return scene ? -20.0 + 0.5 * i : -6.0 - 0.75 * i;
}

static double scene_pan(int scene, int i)
{
	return scene ? 0.5 - i / 32.0 : -0.5 + i / 64.0;
}

static void run_scenes(struct worker *w)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long long n = 0; pace(w, &start, n, 1000000000LL); n++) {
		int s = (int)(n % 2);
		json_t *r = request_ok(w, "scene recall soak%c %d", s ? 'B' : 'A', SCENE_FADE_MS);

		if (!r) {
			w->c.recall_wrong++;
			continue;
		}
		json_decref(r);
		w->c.recalls++;
		if (w->load->t.stall_ms > 0)
			json_decref(request_ok(w, "debug stall-engine %d", w->load->t.stall_ms));
		for (int i = 0; i < SOAK_SCENE_CHANNELS; i++) {
			char path[48];
			int ch = SOAK_SCENE_FIRST_CH + i;

			snprintf(path, sizeof path, "ch/%d/gain", ch);
			expect_value(w, path, scene_gain(s, i), &w->c.recall_values_checked,
				     &w->c.recall_wrong);
			snprintf(path, sizeof path, "ch/%d/pan", ch);
			expect_value(w, path, scene_pan(s, i), &w->c.recall_values_checked,
				     &w->c.recall_wrong);
		}
	}
}

static json_t *scene_json(int s)
{
	json_t *chans = json_array();

	for (int i = 0; i < SOAK_SCENE_CHANNELS; i++)
		json_array_append_new(chans, json_pack("{s:i, s:f, s:f, s:b}", "id",
						       SOAK_SCENE_FIRST_CH + i, "gain",
						       scene_gain(s, i), "pan", scene_pan(s, i),
						       "mute", 0));
	return json_pack("{s:s, s:i, s:s, s:o}", "format", "washmix-scene", "version", 1,
			 "name", s ? "soakB" : "soakA", "channels", chans);
}

int soak_write_scenes(const char *state_dir, char *err, size_t errlen)
{
	char dir[4200], path[4300];

	snprintf(dir, sizeof dir, "%s/scenes", state_dir);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	for (int s = 0; s < 2; s++) {
		json_t *j = scene_json(s);
		int rc;

		snprintf(path, sizeof path, "%s/soak%c.json", dir, s ? 'B' : 'A');
		rc = json_dump_file(j, path, JSON_INDENT(1));
		json_decref(j);
		if (rc != 0) {
			snprintf(err, errlen, "cannot write %s", path);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ players */

/* Every second: play a looping file on one of channels 1..8 and stop the
 * channel started four seconds earlier (with a 50 ms fade). */
static void run_players(struct worker *w)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long long n = 0; pace(w, &start, n, 1000000000LL); n++) {
		int ch = 1 + (int)(n % SOAK_PLAYER_CHANNELS);
		int old = 1 + (int)((n + 4) % SOAK_PLAYER_CHANNELS);
		json_t *r = request_ok(w, "play %d tone_%d.wav loop", ch,
				       1 + (int)(n % SOAK_TONE_FILES));

		if (r)
			w->c.plays++;
		else
			w->c.player_wrong++;
		json_decref(r);
		r = request_ok(w, "stop %d 50", old);
		if (r)
			w->c.stops++;
		else
			w->c.player_wrong++;
		json_decref(r);
	}
	for (int ch = 1; ch <= SOAK_PLAYER_CHANNELS; ch++)
		json_decref(request_ok(w, "stop %d 0", ch));
}

void soak_write_media(const char *media_dir)
{
	char path[4300];

	for (int i = 1; i <= SOAK_TONE_FILES; i++) {
		snprintf(path, sizeof path, "%s/tone_%d.wav", media_dir, i);
		wm_t_write_tone_wav(path, 10, 48000, 110.0 * (i + 1), 0.25);
	}
}

/* ------------------------------------------------------------ renders */

static const char *render_request(int variant)
{
	static _Thread_local char buf[400];
	int a = 1 + variant % SOAK_TONE_FILES, b = 1 + (variant + 1) % SOAK_TONE_FILES;

	snprintf(buf, sizeof buf, "{\"inputs\":{\"1\":\"tone_%d.wav\",\"2\":\"tone_%d.wav\"},"
		 "\"duration\":10,\"output\":{\"file\":\"soak_%d.flac\"}}", a, b, variant);
	return buf;
}

/* Poll `job ID` until it ends; counts done/failed/cached. */
static void await_job(struct worker *w, long long id)
{
	long long t0 = wm_now_ms();

	while (wm_now_ms() - t0 < RENDER_DONE_MS) {
		json_t *r = request_ok(w, "job %lld", id);
		json_t *job = json_object_get(r, "job");
		const char *state = json_string_value(json_object_get(job, "state"));

		if (state && !strcmp(state, "done")) {
			w->c.renders_done++;
			w->c.renders_cached += json_is_true(json_object_get(job, "cached"));
			json_decref(r);
			return;
		}
		if (!r || (state && strcmp(state, "queued") != 0 && strcmp(state, "running") != 0)) {
			problem(w, "render job %lld ended %s", id, r ? wm_t_json_str(r) : "unknown");
			w->c.renders_failed++;
			json_decref(r);
			return;
		}
		json_decref(r);
		wm_sleep_ms(100);
	}
	problem(w, "render job %lld not done within %d ms", id, RENDER_DONE_MS);
	w->c.renders_failed++;
}

static void run_renders(struct worker *w)
{
	long long period = (long long)w->load->t.render_every_ms * 1000000LL;
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long long n = 0; !stopping(w); n++) {
		json_t *r = request_ok(w, "render %s", render_request((int)(n % SOAK_RENDER_VARIANTS)));

		w->c.renders_submitted++;
		if (!r) {
			w->c.renders_failed++;
		} else {
			await_job(w, (long long)json_integer_value(json_object_get(r, "job")));
			json_decref(r);
		}
		if (!pace(w, &start, n + 1, period))
			break;
	}
}

/* ------------------------------------------------------------ threads */

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	switch (w->kind) {
	case W_OSC1:
	case W_OSC2:
		run_osc(w);
		break;
	case W_SETGET:
		run_setget(w);
		break;
	case W_SCENES:
		run_scenes(w);
		break;
	case W_PLAYERS:
		run_players(w);
		break;
	default:
		run_renders(w);
		break;
	}
	return NULL;
}

static int connect_worker(struct soak_load *l, struct worker *w, char *err, size_t errlen)
{
	w->load = l;
	if (w->kind == W_OSC1 || w->kind == W_OSC2) {
		w->peer = wm_osc_peer_new(l->t.osc_port);
		if (!w->peer)
			snprintf(err, errlen, "OSC peer: %s", strerror(errno));
		return w->peer ? 0 : -1;
	}
	w->client = wm_client_connect(l->t.sock, 2000);
	if (!w->client)
		snprintf(err, errlen, "connect %s: %s", l->t.sock, strerror(errno));
	return w->client ? 0 : -1;
}

static void free_load(struct soak_load *l)
{
	for (int i = 0; i < W_COUNT; i++) {
		if (l->w[i].client)
			wm_client_close(l->w[i].client);
		if (l->w[i].peer)
			wm_osc_peer_free(l->w[i].peer);
	}
	pthread_mutex_destroy(&l->problem_lock);
	free(l);
}

static void join_all(struct soak_load *l)
{
	atomic_store(&l->stop, true);
	for (int i = 0; i < W_COUNT; i++)
		if (l->w[i].started)
			pthread_join(l->w[i].thread, NULL);
}

struct soak_load *soak_load_start(const struct soak_target *t, char *err, size_t errlen)
{
	struct soak_load *l = calloc(1, sizeof *l);

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->t = *t;
	pthread_mutex_init(&l->problem_lock, NULL);
	for (int i = 0; i < W_COUNT; i++) {
		l->w[i].kind = (enum worker_kind)i;
		if (connect_worker(l, &l->w[i], err, errlen) != 0) {
			free_load(l);
			return NULL;
		}
	}
	for (int i = 0; i < W_COUNT; i++) {
		if (pthread_create(&l->w[i].thread, NULL, worker_main, &l->w[i]) != 0) {
			snprintf(err, errlen, "pthread_create failed");
			join_all(l);
			free_load(l);
			return NULL;
		}
		l->w[i].started = true;
	}
	return l;
}

static void add_counts(struct soak_counts *to, const struct soak_counts *c)
{
	for (int s = 0; s < SOAK_OSC_SOURCES; s++)
		to->osc_sent[s] += c->osc_sent[s];
	to->osc_error_replies += c->osc_error_replies;
	to->osc_final_checked += c->osc_final_checked;
	to->osc_final_wrong += c->osc_final_wrong;
	to->setget_pairs += c->setget_pairs;
	to->setget_wrong += c->setget_wrong;
	to->recalls += c->recalls;
	to->recall_values_checked += c->recall_values_checked;
	to->recall_wrong += c->recall_wrong;
	to->plays += c->plays;
	to->stops += c->stops;
	to->player_wrong += c->player_wrong;
	to->renders_submitted += c->renders_submitted;
	to->renders_done += c->renders_done;
	to->renders_failed += c->renders_failed;
	to->renders_cached += c->renders_cached;
	to->request_failures += c->request_failures;
}

void soak_load_stop(struct soak_load *l, struct soak_counts *out)
{
	join_all(l);
	osc_final_check(l);
	for (int i = 0; i < W_COUNT; i++)
		add_counts(out, &l->w[i].c);
	if (!out->first_problem[0])
		snprintf(out->first_problem, sizeof out->first_problem, "%s", l->first_problem);
	free_load(l);
}
