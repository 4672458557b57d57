/* bucket.c - token bucket arithmetic (control thread; no allocation). */
#include "control/bucket.h"

#include <math.h>

void wm_bucket_init(struct wm_bucket *b, double rate, double burst, int64_t now_ms)
{
	*b = (struct wm_bucket){ .rate = rate, .burst = burst, .tokens = burst, .last_ms = now_ms };
}

void wm_bucket_set(struct wm_bucket *b, double rate, double burst)
{
	b->rate = rate;
	b->burst = burst;
	b->tokens = fmin(b->tokens, burst);
}

bool wm_bucket_take(struct wm_bucket *b, double n, int64_t now_ms)
{
	if (b->rate <= 0)
		return true;
	/* Time only moves forward here: a stale or backwards clock gains nothing. */
	if (now_ms > b->last_ms) {
		b->tokens = fmin(b->burst, b->tokens + (double)(now_ms - b->last_ms) / 1000.0 * b->rate);
		b->last_ms = now_ms;
	}
	if (b->tokens < n)
		return false;
	b->tokens -= n;
	return true;
}
