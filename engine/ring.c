/* ring.c - fixed-size records over a jack_ringbuffer_t, one producer
 * thread and one consumer thread per ring (the creator names them).
 * Push and pop run on the realtime thread too: no allocation, no locks, no
 * syscalls, and a full ring is a counted drop, never a wait.
 *
 * Why not plain jack_ringbuffer_write/read: jack_ringbuffer_write moves
 * write_ptr once per segment, so a push that wraps becomes visible in two
 * parts, and jack2 before 1.9.22 has no fences between the copy and the
 * pointer update. We copy through the write/read vectors instead and move
 * each pointer once, after a fence, so the consumer sees a push whole or
 * not at all and never reads bytes before they are written. */
#include "engine/ring.h"

#include <jack/ringbuffer.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct wm_ring {
	jack_ringbuffer_t *rb;
	size_t record_size;          /* bytes */
	size_t capacity;             /* bytes: records * record_size, at most rb->size - 1 */
	_Atomic uint64_t drops;      /* records refused; written by the producer only */
};

struct wm_ring *wm_ring_create(size_t record_size, size_t records)
{
	if (record_size == 0 || records == 0 || records > (SIZE_MAX / 2 - 1) / record_size)
		return NULL;

	struct wm_ring *ring = calloc(1, sizeof *ring);
	if (!ring)
		return NULL;
	ring->record_size = record_size;
	ring->capacity = record_size * records;
	/* jack rounds up to a power of two and keeps one byte free. */
	ring->rb = jack_ringbuffer_create(ring->capacity + 1);
	if (!ring->rb) {
		free(ring);
		return NULL;
	}
	/* mlock is best effort (RLIMIT_MEMLOCK); writing every page now at
	 * least keeps the first page faults off the realtime thread. */
	(void)jack_ringbuffer_mlock(ring->rb);
	memset(ring->rb->buf, 0, ring->rb->size);
	atomic_init(&ring->drops, 0);
	return ring;
}

void wm_ring_destroy(struct wm_ring *ring)
{
	if (!ring)
		return;
	jack_ringbuffer_free(ring->rb);
	free(ring);
}

WM_RT bool wm_ring_push(struct wm_ring *ring, const void *records, size_t n)
{
	jack_ringbuffer_data_t vec[2];
	size_t bytes = n * ring->record_size;

	if (n == 0)
		return true;
	/* read_space from the producer side can only overestimate what is
	 * queued (the consumer may be popping), so this never overfills. */
	if (n > ring->capacity / ring->record_size ||
	    jack_ringbuffer_read_space(ring->rb) + bytes > ring->capacity) {
		uint64_t d = atomic_load_explicit(&ring->drops, memory_order_relaxed);

		atomic_store_explicit(&ring->drops, d + n, memory_order_relaxed);
		return false;
	}
	jack_ringbuffer_get_write_vector(ring->rb, vec);
	if (bytes <= vec[0].len) {
		memcpy(vec[0].buf, records, bytes);
	} else {
		memcpy(vec[0].buf, records, vec[0].len);
		memcpy(vec[1].buf, (const char *)records + vec[0].len, bytes - vec[0].len);
	}
	/* Publish the bytes before the pointer that makes them readable. */
	atomic_thread_fence(memory_order_release);
	jack_ringbuffer_write_advance(ring->rb, bytes);
	return true;
}

WM_RT bool wm_ring_pop(struct wm_ring *ring, void *out)
{
	jack_ringbuffer_data_t vec[2];
	size_t bytes = ring->record_size;

	if (jack_ringbuffer_read_space(ring->rb) < bytes)
		return false;
	/* Read the bytes only after seeing the pointer that published them. */
	atomic_thread_fence(memory_order_acquire);
	jack_ringbuffer_get_read_vector(ring->rb, vec);
	if (bytes <= vec[0].len) {
		memcpy(out, vec[0].buf, bytes);
	} else {
		memcpy(out, vec[0].buf, vec[0].len);
		memcpy((char *)out + vec[0].len, vec[1].buf, bytes - vec[0].len);
	}
	/* Finish reading before the producer may reuse the space. */
	atomic_thread_fence(memory_order_release);
	jack_ringbuffer_read_advance(ring->rb, bytes);
	return true;
}

WM_RT size_t wm_ring_count(const struct wm_ring *ring)
{
	return jack_ringbuffer_read_space(ring->rb) / ring->record_size;
}

uint64_t wm_ring_drops(const struct wm_ring *ring)
{
	return atomic_load_explicit(&ring->drops, memory_order_relaxed);
}
