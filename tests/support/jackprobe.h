/* jackprobe.h - JACK clients that feed known signals in and capture what
 * comes out, so the tests can check the mixer's output sample by sample.
 *
 * The source (jackprobe.c; "wmsrc-PID", ports out1..outK) writes, per port,
 * a signal that is a pure function of the absolute JACK frame time
 * (jack_last_frame_time() + i): silence, DC, an integer-Hz sine, or a counter
 * ramp. The sink (jacksink.c; "wmsink-PID", ports in1..inM) copies every
 * period into preallocated buffers together with the period's frame time. Two clients, not one, so src -> washmix -> sink is
 * a chain without a cycle; JACK runs the three in graph order within one
 * cycle, so a sink sample at frame t is a function of the source samples at
 * t, and the expected value is wm_sig_value() of the same function.
 *
 * Threads: the process callbacks run on JACK's threads; every other function
 * runs on the test thread. They share only atomics: a signal change is a new
 * "bank" of per-port signals published with one atomic store (ports change in
 * the same period), and capture start/stop are commands the callback
 * acknowledges. Captured periods are published with a release store, so the
 * test may read them while capture goes on. */
#ifndef WM_T_JACKPROBE_H
#define WM_T_JACKPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jack/jack.h>

#define WM_PROBE_MAX_PORTS 32

enum wm_sig_kind { WM_SIG_SILENCE, WM_SIG_DC, WM_SIG_SINE, WM_SIG_COUNTER };

struct wm_sig {
	enum wm_sig_kind kind;
	float amp;              /* DC: the value; sine: the peak; counter: the top */
	uint32_t freq_hz;       /* sine: integer Hz, so the phase is exact */
};

struct wm_sig wm_sig_silence(void);
struct wm_sig wm_sig_dc(float value);
struct wm_sig wm_sig_sine(uint32_t freq_hz, float amp);
/* amp * ((frame mod 65536) + 1) / 65536: exact in float, never 0, and no two
 * frames within 1.36 s alike, which makes delays and drops visible. */
struct wm_sig wm_sig_counter(float amp);

/* The sample a signal has at an absolute frame time (rate in Hz). */
float wm_sig_value(const struct wm_sig *s, uint32_t frame, uint32_t rate);
const char *wm_sig_str(const struct wm_sig *s, char *buf, size_t len);

/* --- source ------------------------------------------------------------ */
struct wm_src;

/* Open and activate a client named `name` (exactly) on `server` with nports
 * silent outputs. NULL with err filled on failure. */
struct wm_src *wm_src_open(const char *server, const char *name, int nports,
			   char *err, size_t errlen);
void wm_src_close(struct wm_src *s);

/* Stage a port's (1-based) signal; wm_src_commit publishes all staged
 * changes at once and waits (2 s) until the callback has used them: returns
 * the frame time of the first period that carries the new signals, or -1 on
 * timeout. wm_src_set = stage + commit. */
void wm_src_stage(struct wm_src *s, int port, struct wm_sig sig);
int64_t wm_src_commit(struct wm_src *s);
int64_t wm_src_set(struct wm_src *s, int port, struct wm_sig sig);

/* The signal a port carries now (as last committed). */
struct wm_sig wm_src_sig(const struct wm_src *s, int port);
const char *wm_src_port(const struct wm_src *s, int port);   /* "wmsrc-PID:out1" */

/* JACK's estimate of the current frame time (any thread). */
uint32_t wm_src_now(const struct wm_src *s);
uint32_t wm_src_rate(const struct wm_src *s);
uint32_t wm_src_xruns(const struct wm_src *s);
bool wm_src_shut_down(const struct wm_src *s);    /* the server went away */

/* Connect two ports by full name through this client; disconnect. 0 or -1
 * (err filled). Connecting an existing connection is not an error. */
int wm_probe_connect(struct wm_src *s, const char *from, const char *to,
		     char *err, size_t errlen);
int wm_probe_disconnect(struct wm_src *s, const char *from, const char *to);
bool wm_probe_port_exists(struct wm_src *s, const char *name);

/* --- sink -------------------------------------------------------------- */
struct wm_sink;

/* Open and activate a client with nports inputs able to hold `seconds` of
 * audio per port (at most; capture stops when full and says so). */
struct wm_sink *wm_sink_open(const char *server, const char *name, int nports,
			     double seconds, char *err, size_t errlen);
void wm_sink_close(struct wm_sink *k);
const char *wm_sink_port(const struct wm_sink *k, int port);  /* "wmsink-PID:in1" */

/* Forget what was captured and capture from the next period on; returns the
 * frame time of the first captured period, or -1 on timeout (2 s). */
int64_t wm_sink_start(struct wm_sink *k);
/* Stop capturing (the data stays readable). 0 or -1 on timeout. */
int wm_sink_stop(struct wm_sink *k);

/* Wait until the capture covers every frame before `frame` (i.e. the last
 * captured period ends at or after it). 0, or -1 on timeout / full buffer. */
int wm_sink_wait_until(struct wm_sink *k, uint32_t frame, int timeout_ms);
/* Capture start + wait for ms of audio; returns the first frame or -1. */
int64_t wm_sink_capture(struct wm_sink *k, int ms);

/* What has been captured so far: periods (in order), each with its frame
 * time, length and data (port 1-based). */
size_t wm_sink_periods(const struct wm_sink *k);
void wm_sink_period(const struct wm_sink *k, size_t i, uint32_t *frame,
		    uint32_t *nframes, size_t *offset);
const float *wm_sink_data(const struct wm_sink *k, int port);
/* The sample at an absolute frame time; false when not captured. */
bool wm_sink_sample(const struct wm_sink *k, int port, uint32_t frame, float *v);
/* First captured frame and one past the last. */
uint32_t wm_sink_first(const struct wm_sink *k);
uint32_t wm_sink_end(const struct wm_sink *k);
/* Frames missing inside the capture (periods that did not follow on),
 * periods whose length was not the usual one, and whether it ran full. */
uint32_t wm_sink_gaps(const struct wm_sink *k);
bool wm_sink_full(const struct wm_sink *k);
uint32_t wm_sink_xruns(const struct wm_sink *k);
/* xruns reported since the last wm_sink_start. */
uint32_t wm_sink_capture_xruns(const struct wm_sink *k);
bool wm_sink_shut_down(const struct wm_sink *k);  /* the server went away */

/* --- Check-asserting wrappers (server: NULL = $JACK_DEFAULT_SERVER) -----
 * The clients are named wmsrc-PID and wmsink-PID: JACK2 names a client's
 * notification socket after the client alone, so clients of one name on two
 * servers must not open at the same time (see daemon_fixture.h). */
struct wm_src *wm_t_src_open(const char *server, int nports);
struct wm_sink *wm_t_sink_open(const char *server, int nports, double seconds);
/* wm_t_connect and wm_t_commit return a little after the change takes
 * effect (three and two periods), so washmixd's delayed outputs carry it by
 * the time a capture started next begins. */
void wm_t_connect(struct wm_src *s, const char *from, const char *to);
int64_t wm_t_set(struct wm_src *s, int port, struct wm_sig sig);
int64_t wm_t_commit(struct wm_src *s);
int64_t wm_t_capture(struct wm_sink *k, int ms);
void wm_t_wait_until(struct wm_sink *k, uint32_t frame);

/* Internal, shared by jackprobe.c and jacksink.c: open a client on server
 * (NULL: $JACK_DEFAULT_SERVER) under exactly this name, never starting a
 * server. */
jack_client_t *wm_probe_open_client(const char *server, const char *name,
				    char *err, size_t errlen);

/* Signed distance a - b between frame times (they wrap at 2^32). */
static inline int32_t wm_frame_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

#endif
