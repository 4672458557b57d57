/* audiocheck.c - comparisons of captured audio against expectations.
 *
 * Everything walks the sink's period table in order, so gaps (frames not
 * captured) are known exactly; the delay guess on a mismatch tries shifts of
 * up to 4096 frames either way over a short window, which is enough to tell
 * "late by one period" from "wrong values". */
#include "tests/support/audiocheck.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tests/support/proc.h"

#define DELAY_SEARCH 4096
#define DELAY_WINDOW 64
#define STALE_PERIODS 8

uint32_t wm_t_output_delay;

void wm_expect_init(struct wm_mix_expect *m, uint32_t rate)
{
	memset(m, 0, sizeof *m);
	m->rate = rate;
	m->delay = wm_t_output_delay;
}

void wm_expect_add(struct wm_mix_expect *m, struct wm_sig sig, double gain)
{
	if (m->n < (int)(sizeof m->term / sizeof m->term[0])) {
		m->term[m->n].sig = sig;
		m->term[m->n].gain = gain;
		m->n++;
	}
}

double wm_expect_value(uint32_t frame, void *arg)
{
	const struct wm_mix_expect *m = arg;
	double v = 0.0;

	for (int i = 0; i < m->n; i++)
		v += m->term[i].gain *
		     (double)wm_sig_value(&m->term[i].sig, frame - m->delay, m->rate);
	return v;
}

double wm_const_value(uint32_t frame, void *arg)
{
	(void)frame;
	return *(const double *)arg;
}

static bool within(double got, double want, double abs_tol, double rel_tol)
{
	if (isnan(got) || isnan(want))
		return false;
	if (abs_tol == 0.0 && rel_tol == 0.0)
		return got == want;
	return fabs(got - want) <= abs_tol + rel_tol * fabs(want);
}

/* Calls visit(frame, sample) for every captured frame in [from, to), in
 * order; stops when visit returns false. Returns frames visited; *missing
 * gets the frames of the range not captured. */
typedef bool (*visit_fn)(uint32_t frame, float x, void *ctx);

static long walk(const struct wm_sink *k, int port, uint32_t from, uint32_t to,
		 visit_fn visit, void *ctx, long *missing)
{
	size_t n = wm_sink_periods(k);
	const float *data = wm_sink_data(k, port);
	long visited = 0, span = wm_frame_diff(to, from);

	for (size_t i = 0; i < n && data; i++) {
		uint32_t pf, pn;
		size_t off;

		wm_sink_period(k, i, &pf, &pn, &off);
		for (uint32_t j = 0; j < pn; j++) {
			uint32_t f = pf + j;

			if (wm_frame_diff(f, from) < 0)
				continue;
			if (wm_frame_diff(f, to) >= 0)
				goto done;
			visited++;
			if (!visit(f, data[off + j], ctx))
				goto done_early;
		}
	}
done:
	if (missing)
		*missing = span > visited ? span - visited : 0;
	return visited;
done_early:
	if (missing)
		*missing = 0;
	return visited;
}

/* Does the output around `at` match the expectation shifted by d frames? */
static bool guess_delay(const struct wm_sink *k, int port, uint32_t at, wm_expect_fn fn,
			void *arg, int *delay)
{
	for (int d = -DELAY_SEARCH; d <= DELAY_SEARCH; d++) {
		int hits = 0;

		if (d == 0)
			continue;
		for (uint32_t i = 0; i < DELAY_WINDOW; i++) {
			float x;

			if (!wm_sink_sample(k, port, at + i, &x))
				break;
			if (!within(x, fn(at + i - (uint32_t)d, arg), 1e-6, 1e-6))
				break;
			hits++;
		}
		if (hits == DELAY_WINDOW) {
			*delay = d;
			return true;
		}
	}
	return false;
}

/* After an xrun JACK may hand the sink a period its upstream did not
 * render this cycle: the data of an earlier cycle. Such a period matches
 * the expectation shifted by whole periods. Under heavy load (sanitizer
 * builds, two suites at once) the sink's frame time for the period after a
 * skipped cycle can also lag one period behind its data, so one period
 * ahead is accepted too, only after an xrun. */
/* How many frames from x[0] match the expectation shifted by k periods. */
static uint32_t shifted_run(const float *x, uint32_t f0, uint32_t n, uint32_t plen, int k,
			    wm_expect_fn fn, void *arg, double abs_tol, double rel_tol)
{
	uint32_t j = 0;

	while (j < n && within(x[j], fn(f0 + j - (uint32_t)k * plen, arg), abs_tol, rel_tol))
		j++;
	return j;
}

/* A period that is stale as a whole, or only at its start: a client with
 * latency (washmixd's limiter lookahead) that missed a cycle puts out the
 * end of its delay line from before the missed cycle first, then carries
 * on in time. So a prefix may match an earlier cycle and the rest the
 * expectation itself. */
static bool stale_period(const float *x, uint32_t f0, uint32_t n, uint32_t plen,
			 wm_expect_fn fn, void *arg, double abs_tol, double rel_tol)
{
	for (int k = -1; k <= STALE_PERIODS; k++) {
		if (k == 0)
			continue;
		uint32_t j = shifted_run(x, f0, n, plen, k, fn, arg, abs_tol, rel_tol);
		if (j == n)
			return true;
		if (j > 0 && shifted_run(x + j, f0 + j, n - j, plen, 0, fn, arg, abs_tol,
					 rel_tol) == n - j)
			return true;
	}
	return false;
}

bool wm_compare(const struct wm_sink *k, int port, uint32_t from, uint32_t to,
		wm_expect_fn fn, void *arg, double abs_tol, double rel_tol,
		struct wm_cmp *res)
{
	size_t np = wm_sink_periods(k);
	const float *data = wm_sink_data(k, port);
	bool xruns = wm_sink_capture_xruns(k) > 0;
	long span = wm_frame_diff(to, from);
	int delay;

	memset(res, 0, sizeof *res);
	res->ok = true;
	for (size_t i = 0; i < np && data && res->ok; i++) {
		uint32_t pf, pn, j0 = 0, j1;
		size_t off;

		wm_sink_period(k, i, &pf, &pn, &off);
		if (wm_frame_diff(pf + pn, from) <= 0 || wm_frame_diff(pf, to) >= 0)
			continue;
		if (wm_frame_diff(from, pf) > 0)
			j0 = (uint32_t)wm_frame_diff(from, pf);
		j1 = wm_frame_diff(pf + pn, to) > 0 ? (uint32_t)wm_frame_diff(to, pf) : pn;
		for (uint32_t j = j0; j < j1 && res->ok; j++) {
			double want = fn(pf + j, arg);

			if (within(data[off + j], want, abs_tol, rel_tol)) {
				res->compared++;
				continue;
			}
			if (xruns && stale_period(data + off + j0, pf + j0, j1 - j0, pn, fn, arg,
						 abs_tol, rel_tol)) {
				res->compared -= j - j0;
				res->stale += j1 - j0;
				break;
			}
			res->ok = false;
			res->bad_frame = pf + j;
			res->got = data[off + j];
			res->want = want;
		}
	}
	if (res->ok) {
		res->missing = span - res->compared - res->stale;
		if (res->missing < 0)
			res->missing = 0;
		snprintf(res->why, sizeof res->why, "%ld frames match (%ld not captured, %ld "
			 "in stale periods after an xrun)", res->compared, res->missing, res->stale);
		if (res->stale * 4 > span) {
			res->ok = false;
			snprintf(res->why, sizeof res->why, "%ld of %ld frames were stale periods "
				 "after xruns; too few to judge", res->stale, span);
		}
		return res->ok;
	}
	snprintf(res->why, sizeof res->why,
		 "%s frame %u (%+d from the range start, %ld matched before): got %.9g, "
		 "want %.9g (diff %.3g, tolerance %.3g abs + %.3g rel)",
		 wm_sink_port(k, port), res->bad_frame, wm_frame_diff(res->bad_frame, from),
		 res->compared, res->got, res->want, res->got - res->want, abs_tol, rel_tol);
	if (guess_delay(k, port, res->bad_frame, fn, arg, &delay)) {
		size_t len = strlen(res->why);

		snprintf(res->why + len, sizeof res->why - len,
			 "; the output matches the expectation %s by %d frames",
			 delay > 0 ? "delayed" : "advanced", delay > 0 ? delay : -delay);
	}
	return false;
}

bool wm_settled_at(const struct wm_sink *k, int port, uint32_t from, uint32_t to,
		   wm_expect_fn fn, void *arg, double abs_tol, double rel_tol,
		   uint32_t *frame)
{
	uint32_t f = to;
	bool any = false;

	/* walk backwards: the frame after the last mismatch */
	while (wm_frame_diff(f, from) > 0) {
		float x;

		f--;
		if (!wm_sink_sample(k, port, f, &x))
			continue;
		if (!within(x, fn(f, arg), abs_tol, rel_tol)) {
			if (!any)
				return false;
			*frame = f + 1;
			return true;
		}
		any = true;
	}
	*frame = from;
	return any;
}

struct dep_ctx {
	double value, tol;
	bool found;
	uint32_t at;
};

static bool dep_visit(uint32_t f, float x, void *p)
{
	struct dep_ctx *c = p;

	if (fabs(x - c->value) <= c->tol)
		return true;
	c->found = true;
	c->at = f;
	return false;
}

bool wm_departs_at(const struct wm_sink *k, int port, uint32_t from, uint32_t to,
		   double value, double tol, uint32_t *frame)
{
	struct dep_ctx c = { value, tol, false, 0 };

	walk(k, port, from, to, dep_visit, &c, NULL);
	if (c.found)
		*frame = c.at;
	return c.found;
}

struct step_ctx {
	bool have;
	uint32_t prev_f;
	float prev;
	double max;
	uint32_t at;
};

static bool step_visit(uint32_t f, float x, void *p)
{
	struct step_ctx *c = p;

	if (c->have && f == c->prev_f + 1 && fabs((double)x - c->prev) > c->max) {
		c->max = fabs((double)x - c->prev);
		c->at = f;
	}
	c->have = true;
	c->prev_f = f;
	c->prev = x;
	return true;
}

double wm_max_step(const struct wm_sink *k, int port, uint32_t from, uint32_t to,
		   uint32_t *at)
{
	struct step_ctx c = { 0 };

	walk(k, port, from, to, step_visit, &c, NULL);
	if (at)
		*at = c.at;
	return c.max;
}

void wm_t_expect(const struct wm_sink *k, int port, uint32_t from, uint32_t to,
		 wm_expect_fn fn, void *arg, double abs_tol, double rel_tol,
		 long min_frames, const char *what)
{
	struct wm_cmp r;

	/* an xrun notification may still be on its way: look again */
	if (!wm_compare(k, port, from, to, fn, arg, abs_tol, rel_tol, &r) &&
	    wm_sink_capture_xruns(k) == 0) {
		wm_sleep_ms(200);
		wm_compare(k, port, from, to, fn, arg, abs_tol, rel_tol, &r);
	}
	if (!r.ok)
		ck_abort_msg("%s: %s (capture: %u frames missing, sink xruns %u)", what,
			     r.why, wm_sink_gaps(k), wm_sink_xruns(k));
	ck_assert_msg(r.compared >= min_frames,
		      "%s: only %ld of the %d frames in range were captured (need %ld; "
		      "sink xruns %u, full %d)", what, r.compared, wm_frame_diff(to, from),
		      min_frames, wm_sink_xruns(k), (int)wm_sink_full(k));
}

void wm_t_expect_const(const struct wm_sink *k, int port, uint32_t from, uint32_t to,
		       double v, double abs_tol, double rel_tol, const char *what)
{
	wm_t_expect(k, port, from, to, wm_const_value, &v, abs_tol, rel_tol,
		    wm_frame_diff(to, from) / 2, what);
}

bool wm_check_transition(const struct wm_sink *k, int port, uint32_t first,
			 uint32_t before, uint32_t latest, double from_v, double to_v,
			 int ramp_frames, struct wm_transition *t, char *why, size_t len)
{
	double step_max = 1.5 * fabs(to_v - from_v) / ramp_frames + 1e-6;
	struct wm_cmp r;
	uint32_t end, f;

	if (wm_sink_wait_until((struct wm_sink *)k, latest + 4800, 5000) < 0) {
		snprintf(why, len, "the capture did not reach frame %u", latest + 4800);
		return false;
	}
	end = wm_sink_end(k);
	if (!wm_compare(k, port, first, before, wm_const_value, &from_v, 1e-7, 1e-6, &r)) {
		snprintf(why, len, "before the change: %s", r.why);
		return false;
	}
	if (!wm_departs_at(k, port, first, end, from_v, 1e-6, &t->depart)) {
		snprintf(why, len, "%s never left %.9g", wm_sink_port(k, port), from_v);
		return false;
	}
	if (!wm_settled_at(k, port, first, end, wm_const_value, &to_v, 1e-7, 1e-6, &t->settle)) {
		snprintf(why, len, "%s did not settle at %.9g", wm_sink_port(k, port), to_v);
		return false;
	}
	if (wm_frame_diff(t->depart, before) < 0) {
		snprintf(why, len, "the output moved at frame %u, before the request was sent "
			 "(%u)", t->depart, before);
		return false;
	}
	if (wm_frame_diff(t->settle, latest) > 0) {
		snprintf(why, len, "settled at frame %u, %d frames later than allowed (one period "
			 "+ the %d-frame ramp after the reply)", t->settle,
			 wm_frame_diff(t->settle, latest), ramp_frames);
		return false;
	}
	t->max_step = wm_max_step(k, port, first, end, &f);
	if (t->max_step > step_max) {
		snprintf(why, len, "a step of %.3g at frame %u (%d after the change began); a "
			 "%d-frame linear ramp steps %.3g", t->max_step, f,
			 wm_frame_diff(f, t->depart), ramp_frames, fabs(to_v - from_v) / ramp_frames);
		return false;
	}
	for (uint32_t x = t->depart; wm_frame_diff(x, t->settle) < 0; x++) {
		float v;

		if (wm_sink_sample(k, port, x, &v) &&
		    (v > fmax(from_v, to_v) + 1e-6 || v < fmin(from_v, to_v) - 1e-6)) {
			snprintf(why, len, "%.9g at frame %u is outside [%.9g, %.9g]", v, x,
				 fmin(from_v, to_v), fmax(from_v, to_v));
			return false;
		}
	}
	return true;
}
