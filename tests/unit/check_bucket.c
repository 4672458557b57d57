/* check_bucket.c - control/bucket: a full bucket gives its burst at once,
 * then refills at its rate and never above its burst; a multi-token take is
 * all or nothing; rate 0 is unlimited; a clock going backwards takes
 * nothing away; new limits apply to a bucket in use. */
#include <check.h>

#include "control/bucket.h"

#include "tests/support/suite.h"

static int take_all(struct wm_bucket *b, int64_t now_ms)
{
	int n = 0;
	while (n < 1000000 && wm_bucket_take(b, 1, now_ms))
		n++;
	return n;
}

START_TEST(burst_then_rate)
{
	struct wm_bucket b;
	wm_bucket_init(&b, 100, 10, 1000);
	ck_assert_int_eq(take_all(&b, 1000), 10);
	ck_assert_int_eq(take_all(&b, 1050), 5);    /* 50 ms at 100/s */
	ck_assert_int_eq(take_all(&b, 11050), 10);  /* 10 s: capped at the burst */
	ck_assert(!wm_bucket_take(&b, 1, 11050));
}
END_TEST

START_TEST(all_or_nothing)
{
	struct wm_bucket b;
	wm_bucket_init(&b, 10, 8, 0);
	ck_assert(!wm_bucket_take(&b, 9, 0));
	ck_assert(wm_bucket_take(&b, 8, 0));
	ck_assert(!wm_bucket_take(&b, 1, 0));
	ck_assert(wm_bucket_take(&b, 1, 100));
}
END_TEST

START_TEST(unlimited_and_clock)
{
	struct wm_bucket b;
	wm_bucket_init(&b, 0, 1, 0);
	for (int i = 0; i < 100000; i++)
		ck_assert(wm_bucket_take(&b, 1, 0));
	wm_bucket_init(&b, 10, 5, 5000);
	ck_assert_int_eq(take_all(&b, 5000), 5);
	ck_assert(!wm_bucket_take(&b, 1, 4000));      /* backwards: nothing gained */
	ck_assert_int_eq(take_all(&b, 5100), 1);      /* from the last time seen */
}
END_TEST

START_TEST(new_limits)
{
	struct wm_bucket b;
	wm_bucket_init(&b, 10, 100, 0);
	wm_bucket_set(&b, 1000, 3);
	ck_assert_int_eq(take_all(&b, 0), 3);         /* surplus over the new burst gone */
	ck_assert_int_eq(take_all(&b, 2), 2);         /* the new rate */
	wm_bucket_set(&b, 0, 3);
	ck_assert(wm_bucket_take(&b, 50, 2));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bucket");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, burst_then_rate);
	tcase_add_test(tc, all_or_nothing);
	tcase_add_test(tc, unlimited_and_clock);
	tcase_add_test(tc, new_limits);
	suite_add_tcase(s, tc);
	return wm_t_run_suite(s);
}
