/* jackprobe.c - the test signals and the signal source JACK client (the
 * capture sink is in jacksink.c).
 *
 * Source: NBANKS banks of per-port signals; the test thread fills the next
 * bank and publishes its sequence number with a release store; the process
 * callback loads the number once per period (acquire), renders every port
 * from that bank and acknowledges the first period that used it (its frame
 * time and the number). The test waits for that acknowledgement before it
 * touches another bank, so the callback never reads a bank being written.
 *
 * The callbacks do no allocation, locking, logging or system calls. */
#include "tests/support/jackprobe.h"
#include "tests/support/proc.h"

#include <check.h>
#include <errno.h>
#include <jack/jack.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/proc.h"

#define NBANKS 16
#define ACK_TIMEOUT_MS 2000

struct bank {
	struct wm_sig sig[WM_PROBE_MAX_PORTS];
};

struct wm_src {
	jack_client_t *client;
	int nports;
	uint32_t rate;
	jack_port_t *port[WM_PROBE_MAX_PORTS];
	char name[WM_PROBE_MAX_PORTS][80];
	struct bank banks[NBANKS];
	struct bank staged;
	uint32_t seq;                   /* test thread: last published */
	_Atomic uint32_t pub_seq;
	_Atomic uint32_t used_seq;
	_Atomic uint32_t used_frame;
	_Atomic uint32_t xruns;
	_Atomic bool shutdown;
};

/* --- signals ------------------------------------------------------------ */

struct wm_sig wm_sig_silence(void)
{
	return (struct wm_sig){ .kind = WM_SIG_SILENCE };
}

struct wm_sig wm_sig_dc(float value)
{
	return (struct wm_sig){ .kind = WM_SIG_DC, .amp = value };
}

struct wm_sig wm_sig_sine(uint32_t freq_hz, float amp)
{
	return (struct wm_sig){ .kind = WM_SIG_SINE, .amp = amp, .freq_hz = freq_hz };
}

struct wm_sig wm_sig_counter(float amp)
{
	return (struct wm_sig){ .kind = WM_SIG_COUNTER, .amp = amp };
}

float wm_sig_value(const struct wm_sig *s, uint32_t frame, uint32_t rate)
{
	uint64_t ph;

	switch (s->kind) {
	case WM_SIG_DC:
		return s->amp;
	case WM_SIG_SINE:
		ph = ((uint64_t)frame * s->freq_hz) % rate;
		return (float)(s->amp * sin(2.0 * M_PI * (double)ph / (double)rate));
	case WM_SIG_COUNTER:
		return s->amp * ((float)((frame & 0xffffu) + 1u) / 65536.0f);
	case WM_SIG_SILENCE:
	default:
		return 0.0f;
	}
}

const char *wm_sig_str(const struct wm_sig *s, char *buf, size_t len)
{
	switch (s->kind) {
	case WM_SIG_DC:
		snprintf(buf, len, "DC %g", (double)s->amp);
		break;
	case WM_SIG_SINE:
		snprintf(buf, len, "sine %u Hz peak %g", s->freq_hz, (double)s->amp);
		break;
	case WM_SIG_COUNTER:
		snprintf(buf, len, "counter up to %g", (double)s->amp);
		break;
	default:
		snprintf(buf, len, "silence");
	}
	return buf;
}

/* --- shared client plumbing --------------------------------------------- */

static void probe_error(const char *msg)
{
	fprintf(stderr, "libjack: %s\n", msg);
}

static void probe_info(const char *msg)
{
	(void)msg;
}

jack_client_t *wm_probe_open_client(const char *server, const char *name,
				     char *err, size_t errlen)
{
	jack_status_t st = 0;
	jack_client_t *c;

	if (!server)
		server = getenv("JACK_DEFAULT_SERVER");
	jack_set_error_function(probe_error);
	jack_set_info_function(probe_info);
	c = jack_client_open(name, JackNoStartServer | JackUseExactName |
			     (server ? JackServerName : 0), &st, server);
	if (!c)
		snprintf(err, errlen, "jack_client_open(\"%s\", server \"%s\") failed, "
			 "status 0x%x", name, server ? server : "default", (unsigned)st);
	return c;
}

static int src_xrun(void *arg)
{
	atomic_fetch_add_explicit(&((struct wm_src *)arg)->xruns, 1, memory_order_relaxed);
	return 0;
}

static void src_shutdown(void *arg)
{
	atomic_store(&((struct wm_src *)arg)->shutdown, true);
}

/* --- source ------------------------------------------------------------- */

static int src_process(jack_nframes_t n, void *arg)
{
	struct wm_src *s = arg;
	uint32_t seq = atomic_load_explicit(&s->pub_seq, memory_order_acquire);
	const struct bank *b = &s->banks[seq % NBANKS];
	uint32_t t0 = jack_last_frame_time(s->client);

	for (int p = 0; p < s->nports; p++) {
		float *out = jack_port_get_buffer(s->port[p], n);

		for (jack_nframes_t i = 0; i < n; i++)
			out[i] = wm_sig_value(&b->sig[p], t0 + i, s->rate);
	}
	if (atomic_load_explicit(&s->used_seq, memory_order_relaxed) != seq) {
		atomic_store_explicit(&s->used_frame, t0, memory_order_relaxed);
		atomic_store_explicit(&s->used_seq, seq, memory_order_release);
	}
	return 0;
}

struct wm_src *wm_src_open(const char *server, const char *name, int nports,
			   char *err, size_t errlen)
{
	struct wm_src *s;

	if (nports < 1 || nports > WM_PROBE_MAX_PORTS) {
		snprintf(err, errlen, "source: %d ports (1..%d)", nports, WM_PROBE_MAX_PORTS);
		return NULL;
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->nports = nports;
	atomic_init(&s->used_seq, UINT32_MAX);
	s->client = wm_probe_open_client(server, name, err, errlen);
	if (!s->client)
		goto fail;
	s->rate = jack_get_sample_rate(s->client);
	for (int p = 0; p < nports; p++) {
		char pn[32];

		snprintf(pn, sizeof pn, "out%d", p + 1);
		s->port[p] = jack_port_register(s->client, pn, JACK_DEFAULT_AUDIO_TYPE,
						JackPortIsOutput, 0);
		if (!s->port[p]) {
			snprintf(err, errlen, "%s: cannot register port %s", name, pn);
			goto fail;
		}
		snprintf(s->name[p], sizeof s->name[p], "%s", jack_port_name(s->port[p]));
	}
	jack_set_process_callback(s->client, src_process, s);
	jack_set_xrun_callback(s->client, src_xrun, s);
	jack_on_shutdown(s->client, src_shutdown, s);
	if (jack_activate(s->client) != 0) {
		snprintf(err, errlen, "%s: jack_activate failed", name);
		goto fail;
	}
	return s;
fail:
	if (s->client)
		jack_client_close(s->client);
	free(s);
	return NULL;
}

void wm_src_close(struct wm_src *s)
{
	if (!s)
		return;
	if (!atomic_load(&s->shutdown))
		jack_deactivate(s->client);
	jack_client_close(s->client);
	free(s);
}

void wm_src_stage(struct wm_src *s, int port, struct wm_sig sig)
{
	if (port >= 1 && port <= s->nports)
		s->staged.sig[port - 1] = sig;
}

int64_t wm_src_commit(struct wm_src *s)
{
	uint32_t next = s->seq + 1;
	long long deadline = wm_now_ms() + ACK_TIMEOUT_MS;

	s->banks[next % NBANKS] = s->staged;
	s->seq = next;
	atomic_store_explicit(&s->pub_seq, next, memory_order_release);
	while (atomic_load_explicit(&s->used_seq, memory_order_acquire) != next) {
		if (wm_now_ms() > deadline)
			return -1;
		wm_sleep_ms(1);
	}
	return atomic_load_explicit(&s->used_frame, memory_order_relaxed);
}

int64_t wm_src_set(struct wm_src *s, int port, struct wm_sig sig)
{
	wm_src_stage(s, port, sig);
	return wm_src_commit(s);
}

struct wm_sig wm_src_sig(const struct wm_src *s, int port)
{
	if (port < 1 || port > s->nports)
		return wm_sig_silence();
	return s->banks[s->seq % NBANKS].sig[port - 1];
}

const char *wm_src_port(const struct wm_src *s, int port)
{
	return port >= 1 && port <= s->nports ? s->name[port - 1] : "(no such port)";
}

uint32_t wm_src_now(const struct wm_src *s)
{
	return jack_frame_time(s->client);
}

uint32_t wm_src_rate(const struct wm_src *s)
{
	return s->rate;
}

uint32_t wm_src_xruns(const struct wm_src *s)
{
	return atomic_load(&s->xruns);
}

bool wm_src_shut_down(const struct wm_src *s)
{
	return atomic_load(&s->shutdown);
}

int wm_probe_connect(struct wm_src *s, const char *from, const char *to,
		     char *err, size_t errlen)
{
	int rc = jack_connect(s->client, from, to);

	if (rc == 0 || rc == EEXIST)
		return 0;
	snprintf(err, errlen, "jack_connect %s -> %s failed (%d)%s%s", from, to, rc,
		 jack_port_by_name(s->client, from) ? "" : "; no port named the first",
		 jack_port_by_name(s->client, to) ? "" : "; no port named the second");
	return -1;
}

int wm_probe_disconnect(struct wm_src *s, const char *from, const char *to)
{
	return jack_disconnect(s->client, from, to);
}

bool wm_probe_port_exists(struct wm_src *s, const char *name)
{
	return jack_port_by_name(s->client, name) != NULL;
}

/* --- Check-asserting wrappers -------------------------------------------- */

struct wm_src *wm_t_src_open(const char *server, int nports)
{
	char err[512], name[32];
	struct wm_src *s;

	snprintf(name, sizeof name, "wmsrc-%d", (int)getpid());
	s = wm_src_open(server, name, nports, err, sizeof err);
	ck_assert_msg(s != NULL, "cannot open the test source client: %s", err);
	return s;
}

void wm_t_connect(struct wm_src *s, const char *from, const char *to)
{
	char err[512];

	ck_assert_msg(wm_probe_connect(s, from, to, err, sizeof err) == 0, "%s", err);
	/* The server switches to the new graph at a cycle boundary, and a
	 * client with latency (washmixd's limiter lookahead) still puts out
	 * its delay line's older samples during the cycle after: give it
	 * three periods, so a check of the next capture sees the connection
	 * from its first frame. */
	wm_sleep_ms(20);
}

int64_t wm_t_set(struct wm_src *s, int port, struct wm_sig sig)
{
	wm_src_stage(s, port, sig);
	return wm_t_commit(s);
}

int64_t wm_t_commit(struct wm_src *s)
{
	int64_t f = wm_src_commit(s);

	ck_assert_msg(f >= 0, "the test source did not take a new signal within %d ms "
		      "(is its JACK client running? shut down: %d)", ACK_TIMEOUT_MS,
		      (int)wm_src_shut_down(s));
	/* washmixd's outputs lag by its limiter lookahead (71 frames at
	 * 48 kHz): the new signal reaches them a little after frame f. Let
	 * two more periods pass, so a capture started next sees it from its
	 * first frame. */
	wm_sleep_ms(12);
	return f;
}
