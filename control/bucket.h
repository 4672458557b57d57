/* bucket.h - a token bucket: `rate` tokens a second up to `burst`, charged
 * per request. The OSC server keeps one per source and the control socket
 * one per connection. A plain value with no allocation; whoever owns it
 * calls it from one thread (the control thread). */
#ifndef WM_BUCKET_H
#define WM_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct wm_bucket {
	double rate;        /* tokens per second; 0 = unlimited */
	double burst;       /* most tokens held */
	double tokens;
	int64_t last_ms;
};

/* A full bucket at now_ms. */
void wm_bucket_init(struct wm_bucket *b, double rate, double burst, int64_t now_ms);

/* New limits for a bucket in use; tokens above the new burst are dropped. */
void wm_bucket_set(struct wm_bucket *b, double rate, double burst);

/* Refill for the time since the last call, then take n tokens if there are
 * n; false (and nothing taken) otherwise. Always true when unlimited. */
bool wm_bucket_take(struct wm_bucket *b, double n, int64_t now_ms);

#endif
