/* jack_io.h - the daemon's JACK client: the only file that includes
 * <jack/jack.h>. It opens the client, creates the engine from the tree's
 * current mix (so every parameter survives a reconnect), registers the ports,
 * runs the engine in the process callback, counts xruns, and reports server
 * loss through a file descriptor the control loop watches. The file
 * players live with the engine: their audio is added to the channel inputs
 * in the process callback, and their state keys the ducking. Port latency
 * says the limiters' lookahead.
 *
 * Threads: everything here runs on the control thread except the JACK
 * callbacks, which touch only atomics and preallocated memory. */
#ifndef WM_JACK_IO_H
#define WM_JACK_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "control/tree.h"

struct wm_jack;

struct wm_jack_config {
	const char *server;            /* "" = libjack's default */
	const char *client_name;
	const char *connect_inputs;    /* regex or "" */
	const char *connect_outputs;   /* regex or "" */
	double meter_rate_hz;
	const char *media_dir;         /* the players' folder */
	double player_buffer_ms;       /* read-ahead per channel player */
	long long media_max_bytes;     /* larger player files are refused */
};

struct wm_jack_status {
	bool connected;
	char server[64];
	char client[64];               /* the name JACK gave us */
	uint32_t sample_rate;          /* Hz */
	uint32_t period_frames;
	uint32_t latency_frames;       /* outputs lag inputs by this (limiter lookahead) */
	uint64_t xruns;                /* since start, across reconnects */
	double dsp_load_pct;           /* JACK's whole-graph load */
	double engine_load_pct;        /* our callback, last period */
	double engine_load_max_pct;    /* our callback, worst period since start */
	uint64_t reconnects;           /* successful reconnections after a loss */
	char last_error[WM_ERR_MSG_MAX];
};

struct wm_jack *wm_jack_create(const struct wm_jack_config *config, struct wm_err *err);
void wm_jack_destroy(struct wm_jack *jack);

/* Open the client, build the engine from the tree's mix, register ports,
 * activate, auto-connect, and attach the engine to the tree. Quiet makes
 * libjack's own complaints debug-level (for retries). */
int wm_jack_connect(struct wm_jack *jack, struct wm_tree *tree, bool quiet,
		    struct wm_err *err);

/* Detach from the tree, deactivate, unregister ports, close, free the engine. */
void wm_jack_disconnect(struct wm_jack *jack, struct wm_tree *tree);

bool wm_jack_connected(const struct wm_jack *jack);

/* Readable when the server has gone away; call wm_jack_ack_lost then. */
int wm_jack_lost_fd(const struct wm_jack *jack);
void wm_jack_ack_lost(struct wm_jack *jack);

void wm_jack_get_status(const struct wm_jack *jack, struct wm_jack_status *status);

/* Our worst process callback since the previous call (or since start), as
 * a percentage of the period, and start a new window: the worst case per
 * period over a measuring window (`stats` engine_load_peak). 0 while
 * disconnected. Control thread. */
double wm_jack_take_peak(struct wm_jack *jack);

/* The live engine, or NULL while disconnected. */
struct wm_engine *wm_jack_engine(const struct wm_jack *jack);

/* The file players, or NULL while disconnected: they are made with the
 * engine (at the server's sample rate) and go with it. */
struct wm_players *wm_jack_players(const struct wm_jack *jack);

/* Process cycles completed since start (across reconnects): the watchdog's
 * proof that the engine runs. Any thread. */
uint64_t wm_jack_heartbeat(const struct wm_jack *jack);

#ifdef WASHMIX_TEST_HOOKS
#include "control/commands.h"

#define WM_JACK_STALL_MAX_MS 10000
/* Test hook: the next process cycle spins for ms (at most
 * WM_JACK_STALL_MAX_MS) before it returns, as a stuck DSP would. */
int wm_jack_stall_engine(struct wm_jack *jack, unsigned ms, struct wm_err *err);
/* Test hook: the next process cycle allocates 64 bytes (kept until the
 * next call or destroy) or locks and unlocks a mutex nobody else holds:
 * something the realtime checker must catch. */
int wm_jack_rt_violate(struct wm_jack *jack, enum wm_rt_violation what, struct wm_err *err);
#endif

#endif
