/* jack_io.c - JACK client lifecycle (control thread) and the process
 * callback (realtime thread). The callback only reads port buffers into
 * preallocated pointer arrays and runs the engine. Other JACK callbacks run
 * on libjack's notification thread and touch only atomics, or write one byte
 * to an eventfd (async-signal-safe, as jack_on_info_shutdown requires). */
#include "daemon/jack_io.h"

#include <errno.h>
#include <limits.h>
#include <jack/jack.h>
#ifdef WASHMIX_TEST_HOOKS
#include <pthread.h>
#endif
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/rt.h"
#include "daemon/player.h"
#include "engine/engine.h"

struct wm_jack {
	struct wm_jack_config config;
	char server[64], client_name[64], connect_in[256], connect_out[256];
	char media_dir[PATH_MAX];
	int lost_fd;                       /* eventfd written by on_shutdown */
	jack_client_t *client;
	struct wm_engine *engine;
	struct wm_players *players;
	int channels;
	uint32_t latency_frames;           /* the engine's, for port latency */
	int nin, nout;
	jack_port_t **in_ports, **out_ports;
	const float **in_bufs;             /* filled per period by the callback */
	float **out_bufs;
	const float **in_chunk;            /* the same, offset into a long period */
	float **out_chunk;
	atomic_uint_fast64_t xruns;
	atomic_uint period_frames;
	atomic_uint callback_usecs;        /* time of the last process callback */
	atomic_uint callback_usecs_max;
	atomic_uint callback_usecs_peak;   /* worst since wm_jack_take_peak */
	atomic_uint_fast64_t heartbeat;    /* process cycles completed, across reconnects */
#ifdef WASHMIX_TEST_HOOKS
	atomic_uint stall_ms;              /* test hook: the next cycle spins this long */
	atomic_uint rt_violate;            /* test hook: enum wm_rt_violation, or 0 */
	void *_Atomic rt_violate_sink;     /* what the malloc hook allocated */
	pthread_mutex_t rt_violate_mutex;  /* what the lock hook locks */
#endif
	uint32_t sample_rate;
	uint64_t reconnects;
	bool ever_connected;
	bool server_lost;                  /* set by wm_jack_ack_lost until disconnect */
	char last_error[WM_ERR_MSG_MAX];
};

/* libjack prints its own complaints; route them into our log. When retrying
 * a lost server they repeat every attempt, so retries make them debug. */
static atomic_bool jack_lib_quiet;

static void jack_lib_error(const char *msg)
{
	wm_log(atomic_load(&jack_lib_quiet) ? WM_LOG_DEBUG : WM_LOG_WARN, "jack.lib",
	       "msg=\"%s\"", msg);
}

static void jack_lib_info(const char *msg)
{
	wm_debug("jack.lib", "msg=\"%s\"", msg);
}

#ifdef WASHMIX_TEST_HOOKS
/* Test hook: spin as a stuck DSP would. jack_get_time reads the vDSO clock,
 * so no syscall; wm_jack_stall_engine caps the time asked. */
static void stall_rt(struct wm_jack *j)
{
	unsigned ms = atomic_exchange_explicit(&j->stall_ms, 0, memory_order_relaxed);
	if (!ms)
		return;
	jack_time_t until = jack_get_time() + (jack_time_t)ms * 1000;
	while (jack_get_time() < until)
		;
}

/* Test hook: break the realtime rules once, on purpose. The pointer goes
 * into the struct, or the compiler would delete the malloc. */
static void violate_rt(struct wm_jack *j)
{
	if (!atomic_load_explicit(&j->rt_violate, memory_order_relaxed))
		return;
	unsigned what = atomic_exchange_explicit(&j->rt_violate, 0, memory_order_acquire);
	if (what == WM_RT_VIOLATE_MALLOC) {
		atomic_store_explicit(&j->rt_violate_sink, malloc(64), memory_order_release);
	} else if (what == WM_RT_VIOLATE_LOCK) {
		pthread_mutex_lock(&j->rt_violate_mutex);
		pthread_mutex_unlock(&j->rt_violate_mutex);
	}
}
#endif

static int process_rt(jack_nframes_t frames, void *arg)
{
	struct wm_jack *j = arg;
	wm_rt_enter();
	jack_time_t start = jack_get_time();
	for (int i = 0; i < j->nin; i++)
		j->in_bufs[i] = jack_port_get_buffer(j->in_ports[i], frames);
	for (int i = 0; i < j->nout; i++)
		j->out_bufs[i] = jack_port_get_buffer(j->out_ports[i], frames);
	/* The players take at most WM_PLAYER_MAX_FRAMES a call; a longer
	 * period goes through in chunks. */
	for (uint32_t done = 0; done < frames;) {
		uint32_t n = frames - done;
		if (n > WM_PLAYER_MAX_FRAMES)
			n = WM_PLAYER_MAX_FRAMES;
		for (int i = 0; i < j->nin; i++)
			j->in_chunk[i] = j->in_bufs[i] + done;
		for (int i = 0; i < j->nout; i++)
			j->out_chunk[i] = j->out_bufs[i] + done;
		const float *const *in = wm_players_mix_rt(j->players, j->in_chunk, n);
		for (int c = 0; c < j->channels; c++)
			wm_engine_set_playing_rt(j->engine, c, wm_players_sounding_rt(j->players, c));
		wm_engine_process_rt(j->engine, in, j->out_chunk, n);
		done += n;
	}
#ifdef WASHMIX_TEST_HOOKS
	stall_rt(j); /* inside the timed part: a stuck DSP is engine time */
	violate_rt(j);
#endif
	unsigned used = (unsigned)(jack_get_time() - start);
	atomic_store_explicit(&j->callback_usecs, used, memory_order_relaxed);
	if (used > atomic_load_explicit(&j->callback_usecs_max, memory_order_relaxed))
		atomic_store_explicit(&j->callback_usecs_max, used, memory_order_relaxed);
	/* The control thread zeroes this when it reads it; a reset landing
	 * between our load and store only credits this period to the new
	 * window, which it belongs to anyway. */
	if (used > atomic_load_explicit(&j->callback_usecs_peak, memory_order_relaxed))
		atomic_store_explicit(&j->callback_usecs_peak, used, memory_order_relaxed);
	/* Only this thread writes it: a load and a store, no locked RMW. */
	uint_fast64_t beat = atomic_load_explicit(&j->heartbeat, memory_order_relaxed);
	atomic_store_explicit(&j->heartbeat, beat + 1, memory_order_release);
	wm_rt_exit();
	return 0;
}

static void thread_init_rt(void *arg)
{
	(void)arg;
	wm_rt_flush_denormals();
}

static int on_xrun(void *arg)
{
	struct wm_jack *j = arg;
	atomic_fetch_add_explicit(&j->xruns, 1, memory_order_relaxed);
	return 0;
}

static int on_buffer_size(jack_nframes_t frames, void *arg)
{
	struct wm_jack *j = arg;
	atomic_store(&j->period_frames, frames);
	return 0;
}

/* Our outputs lag our inputs by the limiters' lookahead: add it to the
 * latency JACK computes through us, in both directions. (A JACK thread,
 * not the process callback.) */
static void on_latency(jack_latency_callback_mode_t mode, void *arg)
{
	struct wm_jack *j = arg;
	bool capture = mode == JackCaptureLatency;
	jack_port_t **from = capture ? j->in_ports : j->out_ports;
	jack_port_t **to = capture ? j->out_ports : j->in_ports;
	int nfrom = capture ? j->nin : j->nout, nto = capture ? j->nout : j->nin;
	jack_latency_range_t range, total = { UINT32_MAX, 0 };
	for (int i = 0; i < nfrom; i++) {
		jack_port_get_latency_range(from[i], mode, &range);
		total.min = range.min < total.min ? range.min : total.min;
		total.max = range.max > total.max ? range.max : total.max;
	}
	if (nfrom == 0)
		total.min = 0;
	total.min += j->latency_frames;
	total.max += j->latency_frames;
	for (int i = 0; i < nto; i++)
		jack_port_set_latency_range(to[i], mode, &total);
}

static void on_shutdown(jack_status_t code, const char *reason, void *arg)
{
	(void)code, (void)reason;
	struct wm_jack *j = arg;
	uint64_t one = 1;
	ssize_t w = write(j->lost_fd, &one, sizeof one);
	(void)w; /* an eventfd write only fails when the counter would overflow */
}

struct wm_jack *wm_jack_create(const struct wm_jack_config *config, struct wm_err *err)
{
	struct wm_jack *j = calloc(1, sizeof *j);
	if (!j) {
		wm_err_set(err, WM_E_INTERNAL, "out of memory");
		return NULL;
	}
	snprintf(j->server, sizeof j->server, "%s", config->server ? config->server : "");
	snprintf(j->client_name, sizeof j->client_name, "%s", config->client_name);
	snprintf(j->connect_in, sizeof j->connect_in, "%s",
		 config->connect_inputs ? config->connect_inputs : "");
	snprintf(j->connect_out, sizeof j->connect_out, "%s",
		 config->connect_outputs ? config->connect_outputs : "");
	snprintf(j->media_dir, sizeof j->media_dir, "%s", config->media_dir ? config->media_dir : ".");
	j->config = *config;
	j->config.server = j->server;
	j->config.client_name = j->client_name;
	j->config.connect_inputs = j->connect_in;
	j->config.connect_outputs = j->connect_out;
	j->config.media_dir = j->media_dir;
	j->lost_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (j->lost_fd < 0) {
		wm_err_set(err, WM_E_INTERNAL, "eventfd: %s", strerror(errno));
		free(j);
		return NULL;
	}
#ifdef WASHMIX_TEST_HOOKS
	pthread_mutex_init(&j->rt_violate_mutex, NULL);
#endif
	jack_set_error_function(jack_lib_error);
	jack_set_info_function(jack_lib_info);
	return j;
}

void wm_jack_destroy(struct wm_jack *j)
{
	if (!j)
		return;
	close(j->lost_fd);
#ifdef WASHMIX_TEST_HOOKS
	free(atomic_load(&j->rt_violate_sink));
	pthread_mutex_destroy(&j->rt_violate_mutex);
#endif
	free(j);
}

static void free_ports(struct wm_jack *j)
{
	free(j->in_ports);
	free(j->out_ports);
	free(j->in_bufs);
	free(j->out_bufs);
	free(j->in_chunk);
	free(j->out_chunk);
	j->in_ports = j->out_ports = NULL;
	j->in_bufs = j->in_chunk = NULL;
	j->out_bufs = j->out_chunk = NULL;
}

static int register_ports(struct wm_jack *j, const struct wm_mix *mix, struct wm_err *err)
{
	j->nin = wm_engine_input_ports(j->engine);
	j->nout = wm_engine_output_ports(j->engine);
	j->in_ports = calloc((size_t)j->nin, sizeof *j->in_ports);
	j->out_ports = calloc((size_t)j->nout, sizeof *j->out_ports);
	j->in_bufs = calloc((size_t)j->nin, sizeof *j->in_bufs);
	j->out_bufs = calloc((size_t)j->nout, sizeof *j->out_bufs);
	j->in_chunk = calloc((size_t)j->nin, sizeof *j->in_chunk);
	j->out_chunk = calloc((size_t)j->nout, sizeof *j->out_chunk);
	if (!j->in_ports || !j->out_ports || !j->in_bufs || !j->out_bufs || !j->in_chunk ||
	    !j->out_chunk)
		return wm_err_set(err, WM_E_INTERNAL, "out of memory");
	char name[32];
	int p = 0;
	for (int ch = 0; ch < mix->channels; ch++) {
		for (int side = 0; side < (mix->mono[ch] ? 1 : 2); side++) {
			if (mix->mono[ch])
				snprintf(name, sizeof name, "ch%d", ch + 1);
			else
				snprintf(name, sizeof name, "ch%d_%c", ch + 1, side ? 'R' : 'L');
			j->in_ports[p] = jack_port_register(j->client, name, JACK_DEFAULT_AUDIO_TYPE,
							    JackPortIsInput, 0);
			if (!j->in_ports[p++])
				return wm_err_set(err, WM_E_UNAVAILABLE, "cannot register port %s", name);
		}
	}
	for (int z = 0; z < mix->zones; z++) {
		for (int side = 0; side < 2; side++) {
			snprintf(name, sizeof name, "zone%d_%c", z + 1, side ? 'R' : 'L');
			int o = z * 2 + side;
			j->out_ports[o] = jack_port_register(j->client, name, JACK_DEFAULT_AUDIO_TYPE,
							     JackPortIsOutput | JackPortIsTerminal, 0);
			if (!j->out_ports[o])
				return wm_err_set(err, WM_E_UNAVAILABLE, "cannot register port %s", name);
		}
	}
	return 0;
}

/* Connect ports matching a regex, in JACK's order, to ours in our order. */
static void auto_connect(struct wm_jack *j, const char *pattern, bool ours_are_inputs)
{
	if (!*pattern)
		return;
	const char **theirs = jack_get_ports(j->client, pattern, JACK_DEFAULT_AUDIO_TYPE,
					     ours_are_inputs ? JackPortIsOutput : JackPortIsInput);
	int n = ours_are_inputs ? j->nin : j->nout;
	jack_port_t **ours = ours_are_inputs ? j->in_ports : j->out_ports;
	int made = 0;
	for (int i = 0; theirs && theirs[i] && i < n; i++) {
		const char *mine = jack_port_name(ours[i]);
		int r = ours_are_inputs ? jack_connect(j->client, theirs[i], mine)
					: jack_connect(j->client, mine, theirs[i]);
		if (r == 0 || r == EEXIST)
			made++;
		else
			wm_warn("jack.autoconnect", "from=%s to=%s error=%d",
				ours_are_inputs ? theirs[i] : mine, ours_are_inputs ? mine : theirs[i],
				r);
	}
	wm_info("jack.autoconnect", "pattern=\"%s\" direction=%s connected=%d", pattern,
		ours_are_inputs ? "inputs" : "outputs", made);
	if (!theirs || !theirs[0])
		wm_warn("jack.autoconnect", "pattern=\"%s\" msg=\"no port matches\"", pattern);
	jack_free(theirs);
}

static jack_client_t *open_client(struct wm_jack *j, struct wm_err *err)
{
	jack_status_t status;
	jack_options_t opts = JackNoStartServer;
	jack_client_t *c;
	if (j->server[0])
		c = jack_client_open(j->client_name, opts | JackServerName, &status, j->server);
	else
		c = jack_client_open(j->client_name, opts, &status);
	if (!c) {
		const char *server = j->server[0] ? j->server : getenv("JACK_DEFAULT_SERVER");
		wm_err_set(err, WM_E_UNAVAILABLE,
			   "cannot connect to the JACK server \"%s\" (status 0x%x): is jackd "
			   "running? start one with: jackd -d dummy (or -d alsa)",
			   server && *server ? server : "default", (unsigned)status);
	}
	return c;
}

int wm_jack_connect(struct wm_jack *j, struct wm_tree *tree, bool quiet, struct wm_err *err)
{
	atomic_store(&jack_lib_quiet, quiet);
	j->client = open_client(j, err);
	if (!j->client)
		goto out_error;
	j->sample_rate = jack_get_sample_rate(j->client);
	atomic_store(&j->period_frames, jack_get_buffer_size(j->client));
	struct wm_engine_config ec = { .sample_rate = j->sample_rate,
				       .meter_rate_hz = j->config.meter_rate_hz };
	j->engine = wm_engine_create(&ec, wm_tree_mix(tree), err);
	if (!j->engine)
		goto out_close;
	j->channels = wm_tree_mix(tree)->channels;
	j->latency_frames = wm_engine_latency_frames(j->engine);
	struct wm_players_config pc = { .channels = j->channels,
					.mono = wm_tree_mix(tree)->mono,
					.sample_rate = j->sample_rate,
					.media_dir = j->media_dir,
					.buffer_ms = j->config.player_buffer_ms,
					.media_max_bytes = j->config.media_max_bytes };
	j->players = wm_players_create(&pc, err);
	if (!j->players)
		goto out_close;
	if (register_ports(j, wm_tree_mix(tree), err) < 0)
		goto out_close;
	jack_set_process_callback(j->client, process_rt, j);
	jack_set_thread_init_callback(j->client, thread_init_rt, j);
	jack_set_xrun_callback(j->client, on_xrun, j);
	jack_set_buffer_size_callback(j->client, on_buffer_size, j);
	jack_set_latency_callback(j->client, on_latency, j);
	jack_on_info_shutdown(j->client, on_shutdown, j);
	/* Attach before activating: a set arriving now reaches this engine. */
	wm_tree_attach_engine(tree, j->engine);
	if (jack_activate(j->client) != 0) {
		wm_err_set(err, WM_E_UNAVAILABLE, "cannot activate the JACK client");
		wm_tree_attach_engine(tree, NULL);
		goto out_close;
	}
	auto_connect(j, j->connect_in, true);
	auto_connect(j, j->connect_out, false);
	atomic_store(&jack_lib_quiet, false);
	if (j->ever_connected)
		j->reconnects++;
	j->ever_connected = true;
	j->last_error[0] = '\0';
	return 0;
out_close:
	jack_client_close(j->client);
	j->client = NULL;
	wm_players_destroy(j->players);
	j->players = NULL;
	wm_engine_destroy(j->engine);
	j->engine = NULL;
	free_ports(j);
out_error:
	snprintf(j->last_error, sizeof j->last_error, "%s", err->msg);
	atomic_store(&jack_lib_quiet, false);
	return -1;
}

void wm_jack_disconnect(struct wm_jack *j, struct wm_tree *tree)
{
	if (!j->client)
		return;
	wm_tree_attach_engine(tree, NULL);
	/* With the server gone every call below would only fail and complain. */
	atomic_store(&jack_lib_quiet, j->server_lost);
	if (!j->server_lost) {
		jack_deactivate(j->client);
		for (int i = 0; i < j->nin; i++)
			if (j->in_ports[i])
				jack_port_unregister(j->client, j->in_ports[i]);
		for (int i = 0; i < j->nout; i++)
			if (j->out_ports[i])
				jack_port_unregister(j->client, j->out_ports[i]);
	}
	jack_client_close(j->client);
	atomic_store(&jack_lib_quiet, false);
	j->server_lost = false;
	j->client = NULL;
	wm_players_destroy(j->players);
	j->players = NULL;
	wm_engine_destroy(j->engine);
	j->engine = NULL;
	free_ports(j);
}

bool wm_jack_connected(const struct wm_jack *j)
{
	return j->client != NULL;
}

int wm_jack_lost_fd(const struct wm_jack *j)
{
	return j->lost_fd;
}

void wm_jack_ack_lost(struct wm_jack *j)
{
	uint64_t count;
	ssize_t r = read(j->lost_fd, &count, sizeof count);
	(void)r; /* EAGAIN just means already acknowledged */
	if (!j->client)
		return;
	j->server_lost = true;
	snprintf(j->last_error, sizeof j->last_error, "the JACK server went away");
}

void wm_jack_get_status(const struct wm_jack *j, struct wm_jack_status *st)
{
	memset(st, 0, sizeof *st);
	st->connected = j->client != NULL;
	const char *server = j->server[0] ? j->server : getenv("JACK_DEFAULT_SERVER");
	snprintf(st->server, sizeof st->server, "%s", server && *server ? server : "default");
	st->xruns = atomic_load((atomic_uint_fast64_t *)&j->xruns);
	st->reconnects = j->reconnects;
	snprintf(st->last_error, sizeof st->last_error, "%s", j->last_error);
	if (!j->client)
		return;
	snprintf(st->client, sizeof st->client, "%s", jack_get_client_name(j->client));
	st->sample_rate = j->sample_rate;
	st->latency_frames = j->latency_frames;
	st->period_frames = atomic_load((atomic_uint *)&j->period_frames);
	st->dsp_load_pct = jack_cpu_load(j->client);
	double period_us = 1e6 * st->period_frames / (j->sample_rate ? j->sample_rate : 1);
	st->engine_load_pct =
		100.0 * atomic_load((atomic_uint *)&j->callback_usecs) / period_us;
	st->engine_load_max_pct =
		100.0 * atomic_load((atomic_uint *)&j->callback_usecs_max) / period_us;
}

double wm_jack_take_peak(struct wm_jack *j)
{
	unsigned used = atomic_exchange_explicit(&j->callback_usecs_peak, 0, memory_order_relaxed);
	unsigned frames = atomic_load(&j->period_frames);
	if (!j->client || !frames || !j->sample_rate)
		return 0.0;
	return 100.0 * used / (1e6 * frames / j->sample_rate);
}

struct wm_engine *wm_jack_engine(const struct wm_jack *j)
{
	return j->engine;
}

struct wm_players *wm_jack_players(const struct wm_jack *j)
{
	return j->players;
}

uint64_t wm_jack_heartbeat(const struct wm_jack *j)
{
	return atomic_load_explicit((atomic_uint_fast64_t *)&j->heartbeat, memory_order_acquire);
}

#ifdef WASHMIX_TEST_HOOKS
int wm_jack_stall_engine(struct wm_jack *j, unsigned ms, struct wm_err *err)
{
	if (!j->client)
		return wm_err_set(err, WM_E_UNAVAILABLE, "the engine is not running (JACK is down)");
	if (ms > WM_JACK_STALL_MAX_MS)
		return wm_err_set(err, WM_E_OUT_OF_RANGE, "a stall may last 0..%d ms; got %u",
				  WM_JACK_STALL_MAX_MS, ms);
	atomic_store_explicit(&j->stall_ms, ms, memory_order_relaxed);
	return 0;
}

int wm_jack_rt_violate(struct wm_jack *j, enum wm_rt_violation what, struct wm_err *err)
{
	if (!j->client)
		return wm_err_set(err, WM_E_UNAVAILABLE, "the engine is not running (JACK is down)");
	/* The last cycle's allocation, if any; a new one replaces it. */
	free(atomic_exchange(&j->rt_violate_sink, NULL));
	atomic_store_explicit(&j->rt_violate, (unsigned)what, memory_order_release);
	return 0;
}
#endif
