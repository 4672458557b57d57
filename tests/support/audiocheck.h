/* audiocheck.h - numeric checks on captured audio: compare a range of frames
 * with an expected function of the frame time, find where a transition
 * starts and where it has settled, measure the biggest sample-to-sample step.
 *
 * Frames are absolute JACK frame times; ranges are [from, to). Frames the
 * sink did not capture (gaps after an xrun) are skipped and counted, so a
 * check reports how much it really compared. Pure functions of the capture;
 * the test thread calls them. */
#ifndef WM_T_AUDIOCHECK_H
#define WM_T_AUDIOCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/support/jackprobe.h"

typedef double (*wm_expect_fn)(uint32_t frame, void *arg);

/* sum of gain_i * signal_i(frame), computed in double from the float
 * samples the source wrote: what an ideal mixer puts out. */
struct wm_mix_expect {
	uint32_t rate;
	uint32_t delay;         /* frames the output lags: wm_t_output_delay at init */
	int n;
	struct {
		struct wm_sig sig;
		double gain;
	} term[16];
};

/* Frames washmixd's outputs lag its inputs (its limiters' lookahead): the
 * daemon fixture sets it from `health` when a daemon is ready. */
extern uint32_t wm_t_output_delay;

void wm_expect_init(struct wm_mix_expect *m, uint32_t rate);
void wm_expect_add(struct wm_mix_expect *m, struct wm_sig sig, double gain);
double wm_expect_value(uint32_t frame, void *arg);        /* a wm_expect_fn */
/* A constant (arg points to a double). */
double wm_const_value(uint32_t frame, void *arg);

struct wm_cmp {
	long compared;          /* frames compared */
	long missing;           /* frames in range that were not captured */
	long stale;             /* frames skipped as stale periods (after xruns) */
	bool ok;
	uint32_t bad_frame;     /* first mismatch */
	double got, want;
	char why[768];          /* a sentence for the failure message */
};

/* Every captured sample in [from, to) must satisfy
 * |got - want| <= abs_tol + rel_tol * |want|. With both tolerances 0 the
 * comparison is exact (want is computed in double from float samples, so a
 * bit-exact pass-through compares equal). On a mismatch, why also says
 * whether the output looks like the expected signal shifted in time.
 *
 * Only when the sink saw an xrun during the capture, a period that matches
 * the expectation of 1..8 periods earlier is taken for what JACK hands a
 * client after an xrun (an upstream buffer from an earlier cycle), and so
 * is one whose start does and whose rest is on time (a client with latency
 * that missed a cycle): it is skipped and counted in `stale`, and fails the
 * check when stale frames are more than a quarter of the range. Without an
 * xrun a late period fails. */
bool wm_compare(const struct wm_sink *k, int port, uint32_t from, uint32_t to,
		wm_expect_fn fn, void *arg, double abs_tol, double rel_tol,
		struct wm_cmp *res);

/* The first frame from which every captured sample up to `to` matches
 * (same tolerance rule). False when even the last sample does not. */
bool wm_settled_at(const struct wm_sink *k, int port, uint32_t from, uint32_t to,
		   wm_expect_fn fn, void *arg, double abs_tol, double rel_tol,
		   uint32_t *frame);

/* The first frame in [from, to) whose sample differs from value by more than
 * tol. False when none does. */
bool wm_departs_at(const struct wm_sink *k, int port, uint32_t from, uint32_t to,
		   double value, double tol, uint32_t *frame);

/* The largest |x[t] - x[t-1]| over consecutive captured frames in
 * [from, to); *at gets t. */
double wm_max_step(const struct wm_sink *k, int port, uint32_t from, uint32_t to,
		   uint32_t *at);

/* A level change seen in a capture (port 1-based): the port holds from_v on
 * [first, before) - `before` being the end of the capture when the request
 * was sent -, then leaves it no earlier than `before`, reaches to_v no later
 * than `latest` and stays there to the end of the capture; on the way it
 * never steps by more than 1.5x the step of a linear ramp over ramp_frames
 * (so a linear-in-dB ramp passes and a jump fails) and never leaves the
 * interval between the two levels. Waits for the capture to reach 100 ms
 * past `latest`. False with why filled when a rule is broken. */
struct wm_transition {
	uint32_t depart;        /* first frame off from_v */
	uint32_t settle;        /* first frame of the final to_v stretch */
	double max_step;
};

bool wm_check_transition(const struct wm_sink *k, int port, uint32_t first,
			 uint32_t before, uint32_t latest, double from_v, double to_v,
			 int ramp_frames, struct wm_transition *t, char *why, size_t len);

/* Check-asserting compare: fails unless the range matches and at least
 * min_frames were compared; `what` names the check in the message. */
void wm_t_expect(const struct wm_sink *k, int port, uint32_t from, uint32_t to,
		 wm_expect_fn fn, void *arg, double abs_tol, double rel_tol,
		 long min_frames, const char *what);

/* Convenience: the captured output equals the constant v within tol. */
void wm_t_expect_const(const struct wm_sink *k, int port, uint32_t from, uint32_t to,
		       double v, double abs_tol, double rel_tol, const char *what);

#endif
