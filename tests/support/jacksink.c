/* jacksink.c - the capture sink JACK client of the test harness.
 *
 * Capture buffers and a period table allocated (and touched) at open.
 * Start/stop are commands in an atomic that the callback clears when done;
 * each captured period is appended and then published by a release store of
 * the period count, so the test thread reads only complete periods.
 *
 * The callback does no allocation, locking, logging or system calls. */
#include "tests/support/jackprobe.h"

#include <check.h>
#include <jack/jack.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/proc.h"

#define ACK_TIMEOUT_MS 2000

enum { CMD_NONE, CMD_START, CMD_STOP };

struct period_rec {
	uint32_t frame, nframes;
	size_t offset;
};

struct wm_sink {
	jack_client_t *client;
	int nports;
	uint32_t rate;
	jack_port_t *port[WM_PROBE_MAX_PORTS];
	char name[WM_PROBE_MAX_PORTS][80];
	float *buf[WM_PROBE_MAX_PORTS];
	size_t cap_frames;
	struct period_rec *periods;
	size_t max_periods;
	size_t pos;                     /* callback only */
	_Atomic size_t nperiods;
	_Atomic int cmd;
	_Atomic bool running;
	_Atomic bool full;
	_Atomic uint32_t start_frame;
	_Atomic uint32_t xruns;
	uint32_t xruns_at_start;        /* test thread */
	_Atomic bool shutdown;
};

static int sink_xrun(void *arg)
{
	atomic_fetch_add_explicit(&((struct wm_sink *)arg)->xruns, 1, memory_order_relaxed);
	return 0;
}

static void sink_shutdown(void *arg)
{
	atomic_store(&((struct wm_sink *)arg)->shutdown, true);
}

/* --- sink --------------------------------------------------------------- */

static int sink_process(jack_nframes_t n, void *arg)
{
	struct wm_sink *k = arg;
	int cmd = atomic_load_explicit(&k->cmd, memory_order_acquire);
	uint32_t t0 = jack_last_frame_time(k->client);
	size_t np;

	if (cmd == CMD_START) {
		k->pos = 0;
		atomic_store_explicit(&k->nperiods, 0, memory_order_relaxed);
		atomic_store_explicit(&k->full, false, memory_order_relaxed);
		atomic_store_explicit(&k->start_frame, t0, memory_order_relaxed);
		atomic_store_explicit(&k->running, true, memory_order_relaxed);
		atomic_store_explicit(&k->cmd, CMD_NONE, memory_order_release);
	} else if (cmd == CMD_STOP) {
		atomic_store_explicit(&k->running, false, memory_order_relaxed);
		atomic_store_explicit(&k->cmd, CMD_NONE, memory_order_release);
	}
	if (!atomic_load_explicit(&k->running, memory_order_relaxed))
		return 0;
	np = atomic_load_explicit(&k->nperiods, memory_order_relaxed);
	if (k->pos + n > k->cap_frames || np >= k->max_periods) {
		atomic_store_explicit(&k->full, true, memory_order_relaxed);
		atomic_store_explicit(&k->running, false, memory_order_relaxed);
		return 0;
	}
	for (int p = 0; p < k->nports; p++)
		memcpy(k->buf[p] + k->pos, jack_port_get_buffer(k->port[p], n),
		       n * sizeof(float));
	k->periods[np] = (struct period_rec){ t0, n, k->pos };
	k->pos += n;
	atomic_store_explicit(&k->nperiods, np + 1, memory_order_release);
	return 0;
}

struct wm_sink *wm_sink_open(const char *server, const char *name, int nports,
			     double seconds, char *err, size_t errlen)
{
	struct wm_sink *k;
	uint32_t rate;

	if (nports < 1 || nports > WM_PROBE_MAX_PORTS) {
		snprintf(err, errlen, "sink: %d ports (1..%d)", nports, WM_PROBE_MAX_PORTS);
		return NULL;
	}
	k = calloc(1, sizeof *k);
	if (!k) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	k->nports = nports;
	k->client = wm_probe_open_client(server, name, err, errlen);
	if (!k->client)
		goto fail;
	rate = jack_get_sample_rate(k->client);
	k->rate = rate;
	k->cap_frames = (size_t)(seconds * rate) + 8192;
	k->max_periods = k->cap_frames / 16 + 16;
	k->periods = calloc(k->max_periods, sizeof *k->periods);
	for (int p = 0; p < nports; p++) {
		char pn[32];

		k->buf[p] = malloc(k->cap_frames * sizeof(float));
		if (!k->buf[p] || !k->periods) {
			snprintf(err, errlen, "%s: cannot allocate %.1f s of capture", name, seconds);
			goto fail;
		}
		memset(k->buf[p], 0, k->cap_frames * sizeof(float));
		snprintf(pn, sizeof pn, "in%d", p + 1);
		k->port[p] = jack_port_register(k->client, pn, JACK_DEFAULT_AUDIO_TYPE,
						JackPortIsInput, 0);
		if (!k->port[p]) {
			snprintf(err, errlen, "%s: cannot register port %s", name, pn);
			goto fail;
		}
		snprintf(k->name[p], sizeof k->name[p], "%s", jack_port_name(k->port[p]));
	}
	jack_set_process_callback(k->client, sink_process, k);
	jack_set_xrun_callback(k->client, sink_xrun, k);
	jack_on_shutdown(k->client, sink_shutdown, k);
	if (jack_activate(k->client) != 0) {
		snprintf(err, errlen, "%s: jack_activate failed", name);
		goto fail;
	}
	return k;
fail:
	if (k->client)
		jack_client_close(k->client);
	for (int p = 0; p < nports; p++)
		free(k->buf[p]);
	free(k->periods);
	free(k);
	return NULL;
}

void wm_sink_close(struct wm_sink *k)
{
	if (!k)
		return;
	if (!atomic_load(&k->shutdown))
		jack_deactivate(k->client);
	jack_client_close(k->client);
	for (int p = 0; p < k->nports; p++)
		free(k->buf[p]);
	free(k->periods);
	free(k);
}

const char *wm_sink_port(const struct wm_sink *k, int port)
{
	return port >= 1 && port <= k->nports ? k->name[port - 1] : "(no such port)";
}

static int send_cmd(struct wm_sink *k, int cmd)
{
	long long deadline = wm_now_ms() + ACK_TIMEOUT_MS;

	atomic_store_explicit(&k->cmd, cmd, memory_order_release);
	while (atomic_load_explicit(&k->cmd, memory_order_acquire) != CMD_NONE) {
		if (wm_now_ms() > deadline)
			return -1;
		wm_sleep_ms(1);
	}
	return 0;
}

int64_t wm_sink_start(struct wm_sink *k)
{
	k->xruns_at_start = wm_sink_xruns(k);
	if (send_cmd(k, CMD_START) < 0)
		return -1;
	return atomic_load_explicit(&k->start_frame, memory_order_relaxed);
}

int wm_sink_stop(struct wm_sink *k)
{
	return send_cmd(k, CMD_STOP);
}

size_t wm_sink_periods(const struct wm_sink *k)
{
	return atomic_load_explicit(&((struct wm_sink *)k)->nperiods, memory_order_acquire);
}

void wm_sink_period(const struct wm_sink *k, size_t i, uint32_t *frame,
		    uint32_t *nframes, size_t *offset)
{
	*frame = k->periods[i].frame;
	*nframes = k->periods[i].nframes;
	*offset = k->periods[i].offset;
}

const float *wm_sink_data(const struct wm_sink *k, int port)
{
	return port >= 1 && port <= k->nports ? k->buf[port - 1] : NULL;
}

uint32_t wm_sink_first(const struct wm_sink *k)
{
	return wm_sink_periods(k) ? k->periods[0].frame : 0;
}

uint32_t wm_sink_end(const struct wm_sink *k)
{
	size_t n = wm_sink_periods(k);

	return n ? k->periods[n - 1].frame + k->periods[n - 1].nframes : 0;
}

bool wm_sink_sample(const struct wm_sink *k, int port, uint32_t frame, float *v)
{
	size_t n = wm_sink_periods(k), lo = 0, hi = n;
	uint32_t base;

	if (n == 0 || port < 1 || port > k->nports)
		return false;
	base = k->periods[0].frame;
	if (wm_frame_diff(frame, base) < 0)
		return false;
	while (hi - lo > 1) {           /* last period starting at or before frame */
		size_t mid = (lo + hi) / 2;

		if (wm_frame_diff(k->periods[mid].frame, base) <= wm_frame_diff(frame, base))
			lo = mid;
		else
			hi = mid;
	}
	if (frame - k->periods[lo].frame >= k->periods[lo].nframes)
		return false;
	*v = k->buf[port - 1][k->periods[lo].offset + (frame - k->periods[lo].frame)];
	return true;
}

uint32_t wm_sink_gaps(const struct wm_sink *k)
{
	size_t n = wm_sink_periods(k);
	uint32_t gaps = 0;

	for (size_t i = 1; i < n; i++) {
		int32_t d = wm_frame_diff(k->periods[i].frame,
					  k->periods[i - 1].frame + k->periods[i - 1].nframes);
		if (d != 0)
			gaps += d > 0 ? (uint32_t)d : (uint32_t)-d;
	}
	return gaps;
}

bool wm_sink_full(const struct wm_sink *k)
{
	return atomic_load(&((struct wm_sink *)k)->full);
}

uint32_t wm_sink_xruns(const struct wm_sink *k)
{
	return atomic_load(&((struct wm_sink *)k)->xruns);
}

uint32_t wm_sink_capture_xruns(const struct wm_sink *k)
{
	return wm_sink_xruns(k) - k->xruns_at_start;
}

bool wm_sink_shut_down(const struct wm_sink *k)
{
	return atomic_load(&((struct wm_sink *)k)->shutdown);
}

int wm_sink_wait_until(struct wm_sink *k, uint32_t frame, int timeout_ms)
{
	long long deadline = wm_now_ms() + timeout_ms;

	for (;;) {
		if (wm_sink_periods(k) && wm_frame_diff(wm_sink_end(k), frame) >= 0)
			return 0;
		if (wm_sink_full(k) || wm_now_ms() > deadline)
			return -1;
		wm_sleep_ms(2);
	}
}

int64_t wm_sink_capture(struct wm_sink *k, int ms)
{
	int64_t first = wm_sink_start(k);

	if (first < 0)
		return -1;
	if (wm_sink_wait_until(k, (uint32_t)first + (uint32_t)((int64_t)ms * k->rate / 1000),
				ms + 3000) < 0)
		return -1;
	return first;
}

/* --- Check-asserting wrappers -------------------------------------------- */

struct wm_sink *wm_t_sink_open(const char *server, int nports, double seconds)
{
	char err[512], name[32];
	struct wm_sink *k;

	snprintf(name, sizeof name, "wmsink-%d", (int)getpid());
	k = wm_sink_open(server, name, nports, seconds, err, sizeof err);
	ck_assert_msg(k != NULL, "cannot open the test sink client: %s", err);
	return k;
}

int64_t wm_t_capture(struct wm_sink *k, int ms)
{
	int64_t f = wm_sink_capture(k, ms);

	ck_assert_msg(f >= 0, "the test sink did not capture %d ms of audio (%zu periods, "
		      "full %d, xruns %u)", ms, wm_sink_periods(k), (int)wm_sink_full(k),
		      wm_sink_xruns(k));
	return f;
}

void wm_t_wait_until(struct wm_sink *k, uint32_t frame)
{
	ck_assert_msg(wm_sink_wait_until(k, frame, 5000) == 0,
		      "the test sink did not reach frame %u (now at %u, full %d)", frame,
		      wm_sink_end(k), (int)wm_sink_full(k));
}
