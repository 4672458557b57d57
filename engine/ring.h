/* ring.h - a bounded single-producer single-consumer ring of fixed-size
 * records over jack_ringbuffer_t (no JACK server needed). One thread pushes,
 * one other thread pops; their identities never change for an instance, and
 * the code that creates a ring names them. A push that does not fit is a
 * counted drop, never a wait. Push and pop are realtime-safe. */
#ifndef WM_RING_H
#define WM_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/rt.h"

struct wm_ring;

/* Room for at least `records` records of `record_size` bytes. */
struct wm_ring *wm_ring_create(size_t record_size, size_t records);
void wm_ring_destroy(struct wm_ring *ring);

/* Producer: push n records as one unit (all or nothing): the consumer sees
 * either none or all of them. Returns false and counts one drop per record
 * when they do not fit. Also WM_RT. */
WM_RT bool wm_ring_push(struct wm_ring *ring, const void *records, size_t n);

/* Consumer: pop one record into out. Returns false when the ring is empty. */
WM_RT bool wm_ring_pop(struct wm_ring *ring, void *out);

/* Consumer: records ready to pop. */
WM_RT size_t wm_ring_count(const struct wm_ring *ring);

/* Either side: records dropped so far because the ring was full. */
uint64_t wm_ring_drops(const struct wm_ring *ring);

#endif
