/* check_ring.c - engine/ring: pushes are all or nothing, full rings count
 * drops, records survive wraparound, and two real threads move a million
 * records in order with every loss counted. */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ring.h"

#include "tests/support/suite.h"

/* 12 bytes: never divides the power-of-two buffer, so records straddle
 * the wrap point. */
struct rec {
	uint32_t seq;
	uint32_t batch_left;   /* records of the same push after this one */
	uint32_t check;
};

static struct rec make(uint32_t seq, uint32_t left)
{
	return (struct rec){ seq, left, seq * 2654435761u ^ 0x5bd1e995u };
}

START_TEST(create_rejects_zero)
{
	ck_assert_ptr_null(wm_ring_create(0, 10));
	ck_assert_ptr_null(wm_ring_create(8, 0));
	ck_assert_ptr_null(wm_ring_create(SIZE_MAX / 2, 4));
	wm_ring_destroy(NULL);
}
END_TEST

START_TEST(all_or_nothing)
{
	struct wm_ring *ring = wm_ring_create(sizeof(struct rec), 10);
	struct rec batch[11], out;

	ck_assert_ptr_nonnull(ring);
	for (uint32_t i = 0; i < 11; i++)
		batch[i] = make(i, 0);
	ck_assert(wm_ring_push(ring, batch, 0));
	ck_assert(wm_ring_push(ring, batch, 7));
	ck_assert_uint_eq(wm_ring_count(ring), 7);
	/* 7 + 4 > 10: nothing of the 4 may appear. */
	ck_assert(!wm_ring_push(ring, batch + 7, 4));
	ck_assert_uint_eq(wm_ring_count(ring), 7);
	ck_assert_uint_eq(wm_ring_drops(ring), 4);
	ck_assert(wm_ring_push(ring, batch + 7, 3));
	ck_assert_uint_eq(wm_ring_count(ring), 10);
	/* Exactly the capacity asked for, even though the byte buffer is a
	 * power of two with room to spare. */
	ck_assert(!wm_ring_push(ring, batch, 1));
	ck_assert_uint_eq(wm_ring_drops(ring), 5);
	/* Bigger than the whole ring: refused, counted, never partial. */
	ck_assert(!wm_ring_push(ring, batch, 11));
	ck_assert_uint_eq(wm_ring_drops(ring), 16);
	for (uint32_t i = 0; i < 10; i++) {
		ck_assert(wm_ring_pop(ring, &out));
		ck_assert_uint_eq(out.seq, i);
		ck_assert_uint_eq(out.check, make(i, 0).check);
	}
	ck_assert(!wm_ring_pop(ring, &out));
	ck_assert_uint_eq(wm_ring_count(ring), 0);
	wm_ring_destroy(ring);
}
END_TEST

START_TEST(wraparound)
{
	struct wm_ring *ring = wm_ring_create(sizeof(struct rec), 7);
	uint32_t next_in = 0, next_out = 0;
	struct rec batch[5], out;

	ck_assert_ptr_nonnull(ring);
	/* Batches of 1..5 against a 7-record ring: many laps of the buffer,
	 * with records and batches split across the wrap point. */
	for (int round = 0; round < 5000; round++) {
		uint32_t n = 1 + (uint32_t)round % 5;

		for (uint32_t i = 0; i < n; i++)
			batch[i] = make(next_in + i, n - 1 - i);
		if (wm_ring_push(ring, batch, n))
			next_in += n;
		while (wm_ring_count(ring) > (size_t)(round % 3)) {
			ck_assert(wm_ring_pop(ring, &out));
			ck_assert_uint_eq(out.seq, next_out);
			ck_assert_uint_eq(out.check, make(next_out, 0).check);
			next_out++;
		}
	}
	while (wm_ring_pop(ring, &out)) {
		ck_assert_uint_eq(out.seq, next_out);
		next_out++;
	}
	ck_assert_uint_eq(next_out, next_in);
	ck_assert_uint_gt(next_in, 10000);
	wm_ring_destroy(ring);
}
END_TEST

#define STRESS_RECORDS 1000000u

struct stress {
	struct wm_ring *ring;
	uint32_t pushed;       /* records the producer got in */
	uint32_t refused;      /* records the producer saw refused */
};

static void *producer(void *arg)
{
	struct stress *st = arg;
	struct rec batch[8];
	uint32_t seq = 0;

	while (seq < STRESS_RECORDS) {
		uint32_t n = 1 + seq % 8;

		if (n > STRESS_RECORDS - seq)
			n = STRESS_RECORDS - seq;
		for (uint32_t i = 0; i < n; i++)
			batch[i] = make(seq + i, n - 1 - i);
		if (wm_ring_push(st->ring, batch, n)) {
			st->pushed += n;
		} else {
			st->refused += n;
			if (seq % 7 == 0)
				sched_yield();
		}
		seq += n;
	}
	return NULL;
}

START_TEST(two_threads)
{
	struct stress st = { wm_ring_create(sizeof(struct rec), 64), 0, 0 };
	pthread_t thread;
	uint32_t received = 0, last = 0, left_in_batch = 0, errors = 0;
	bool first = true;
	struct rec out;

	ck_assert_ptr_nonnull(st.ring);
	ck_assert_int_eq(pthread_create(&thread, NULL, producer, &st), 0);
	for (;;) {
		if (!wm_ring_pop(st.ring, &out)) {
			/* Done only when the producer has finished and the ring
			 * is empty; the check after join covers the race. */
			if (received + wm_ring_drops(st.ring) == STRESS_RECORDS)
				break;
			continue;
		}
		if (out.check != make(out.seq, 0).check)
			errors++;
		if (!first && out.seq <= last)
			errors++;
		/* A record in the middle of a batch must follow its batch
		 * mates; the first record of a batch means all are visible. */
		if (left_in_batch > 0 && out.seq != last + 1)
			errors++;
		if (left_in_batch == 0 && out.batch_left > wm_ring_count(st.ring))
			errors++;
		left_in_batch = out.batch_left;
		last = out.seq;
		first = false;
		received++;
	}
	pthread_join(thread, NULL);
	while (wm_ring_pop(st.ring, &out))
		received++;
	ck_assert_uint_eq(errors, 0);
	ck_assert_uint_eq(received, st.pushed);
	ck_assert_uint_eq(wm_ring_drops(st.ring), st.refused);
	ck_assert_uint_eq(received + wm_ring_drops(st.ring), STRESS_RECORDS);
	ck_assert_uint_gt(received, 0);
	wm_ring_destroy(st.ring);
}
END_TEST

static Suite *ring_suite(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, create_rejects_zero);
	tcase_add_test(tc, all_or_nothing);
	tcase_add_test(tc, wraparound);
	suite_add_tcase(s, tc);

	TCase *stress = tcase_create("stress");
	tcase_set_timeout(stress, 120);
	tcase_add_test(stress, two_threads);
	suite_add_tcase(s, stress);
	return s;
}

int main(void)
{
	return wm_t_run_suite(ring_suite());
}
