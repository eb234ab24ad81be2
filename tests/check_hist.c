/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Unit tests for the log-spaced histogram: bucket edges (a value equal
 * to a bound falls in that bucket), overflow into +Inf, cumulative
 * counts, sums, merging.
 */
#include "autoconf.h"

#include <stdint.h>
#include <string.h>

#include <check.h>

#include "hist.h"

START_TEST(test_hist_edges)
{
	struct hist	h;

	hist_init(&h, 6);
	ck_assert_uint_eq(hist_bound(&h, 0), 64);
	ck_assert_uint_eq(hist_bound(&h, 1), 128);
	ck_assert_uint_eq(hist_bound(&h, HIST_NBUCKETS - 1),
	    UINT64_C(1) << (6 + HIST_NBUCKETS - 1));
	hist_record(&h, 0);
	hist_record(&h, 1);
	hist_record(&h, 64);		/* on the bound: bucket 0 */
	ck_assert_uint_eq(h.bucket[0], 3);
	hist_record(&h, 65);		/* just above: bucket 1 */
	hist_record(&h, 128);
	ck_assert_uint_eq(h.bucket[1], 2);
	hist_record(&h, 129);
	ck_assert_uint_eq(h.bucket[2], 1);
	hist_record(&h, UINT64_C(1) << (6 + HIST_NBUCKETS - 1));
	ck_assert_uint_eq(h.bucket[HIST_NBUCKETS - 1], 1);
	hist_record(&h, (UINT64_C(1) << (6 + HIST_NBUCKETS - 1)) + 1);
	hist_record(&h, UINT64_MAX);
	ck_assert_uint_eq(h.bucket[HIST_NBUCKETS], 2);
	ck_assert_uint_eq(h.count, 9);
	ck_assert_uint_eq(h.sum, UINT64_MAX);	/* saturated */
	ck_assert_uint_eq(hist_cumulative(&h, 0), 3);
	ck_assert_uint_eq(hist_cumulative(&h, 1), 5);
	ck_assert_uint_eq(hist_cumulative(&h, 2), 6);
	ck_assert_uint_eq(hist_cumulative(&h, HIST_NBUCKETS - 1), 7);
	ck_assert_uint_eq(hist_cumulative(&h, HIST_NBUCKETS), 9);
}
END_TEST

/* Every power of two and its neighbours, against a linear search. */
START_TEST(test_hist_exhaustive)
{
	struct hist	h;
	uint64_t	v, want;
	unsigned int	k, i, d;

	for (k = 0; k < 64; k++) {
		for (d = 0; d < 3; d++) {
			v = (UINT64_C(1) << k) + d - 1;
			hist_init(&h, 0);
			hist_record(&h, v);
			for (want = 0; want < HIST_NBUCKETS &&
			    v > hist_bound(&h, (unsigned int)want); want++)
				;
			for (i = 0; i <= HIST_NBUCKETS; i++)
				ck_assert_uint_eq(h.bucket[i], i == want);
		}
	}
}
END_TEST

START_TEST(test_hist_sum_merge)
{
	struct hist	a, b;

	hist_init(&a, 3);
	hist_init(&b, 3);
	hist_record(&a, 5);
	hist_record(&a, 7);
	hist_record(&b, 100);
	ck_assert_uint_eq(a.sum, 12);
	hist_merge(&a, &b);
	ck_assert_uint_eq(a.count, 3);
	ck_assert_uint_eq(a.sum, 112);
	ck_assert_uint_eq(a.bucket[0], 2);	/* <= 8 */
	ck_assert_uint_eq(a.bucket[4], 1);	/* <= 128 */
	/* An absurd shift is clamped so every bound fits in 64 bits. */
	hist_init(&a, 99);
	ck_assert_uint_eq(a.shift, 63 - HIST_NBUCKETS);
	hist_record(&a, UINT64_MAX);
	ck_assert_uint_eq(a.bucket[HIST_NBUCKETS], 1);
}
END_TEST

/* Quantiles as Prometheus estimates them: linear within a bucket. */
START_TEST(test_hist_quantile)
{
	struct hist	h;
	int		i;

	hist_init(&h, 6);
	ck_assert_uint_eq(hist_quantile(&h, 500), 0);
	for (i = 0; i < 10; i++)
		hist_record(&h, 10);
	ck_assert_uint_eq(hist_quantile(&h, 500), 32);
	ck_assert_uint_eq(hist_quantile(&h, 1000), 64);
	ck_assert_uint_eq(hist_quantile(&h, 0), 0);
	hist_init(&h, 6);
	hist_record(&h, 1);
	hist_record(&h, 64);
	hist_record(&h, 65);
	hist_record(&h, 128);
	ck_assert_uint_eq(hist_quantile(&h, 500), 64);
	ck_assert_uint_eq(hist_quantile(&h, 750), 96);
	ck_assert_uint_eq(hist_quantile(&h, 990), 127);
	/* Empty buckets between: the rank's bucket is the next non-empty. */
	hist_record(&h, 1000);		/* (512, 1024] */
	ck_assert_uint_eq(hist_quantile(&h, 1000), 1024);
	ck_assert_uint_eq(hist_quantile(&h, 900), 512 + 256);
	ck_assert_uint_eq(hist_quantile(&h, 2000), 1024);	/* clamped */
	/* Above every bound: the highest bound. */
	hist_init(&h, 6);
	hist_record(&h, UINT64_MAX);
	ck_assert_uint_eq(hist_quantile(&h, 500),
	    hist_bound(&h, HIST_NBUCKETS - 1));
}
END_TEST

static Suite *
hist_suite(void)
{
	Suite	*s = suite_create("hist");
	TCase	*tc = tcase_create("hist");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_hist_edges);
	tcase_add_test(tc, test_hist_exhaustive);
	tcase_add_test(tc, test_hist_sum_merge);
	tcase_add_test(tc, test_hist_quantile);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(hist_suite());
	int	 failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0 ? 1 : 0;
}
