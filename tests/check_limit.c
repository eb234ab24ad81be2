/*
 * Unit tests for limit.c: token bucket refill exactness with an injected
 * clock, debt for per-session rates, the bounded per-source table
 * (prefix keys, LRU eviction order, pinned entries, fixed memory), and
 * the per_client verdicts with dynamic blocks that expire by themselves.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "limit.h"

static struct addr_key
key(const char *s, uint16_t port)
{
	struct sockaddr_in6	sin6;
	struct sockaddr_in	sin;
	struct addr_key		k;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, s, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		addr_key_make(&k, (struct sockaddr *)&sin);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, s, &sin6.sin6_addr), 1);
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(port);
		addr_key_make(&k, (struct sockaddr *)&sin6);
	}
	return k;
}

static struct addr_key
key4(uint32_t a)
{
	struct sockaddr_in	sin;
	struct addr_key		k;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(a);
	addr_key_make(&k, (struct sockaddr *)&sin);
	return k;
}

START_TEST(test_bucket_refill_exact)
{
	struct limit_bucket	b;
	int			i, n;

	/* 200/s, burst 400: 400 at once, then exactly one per 5 ms. */
	limit_bucket_init(&b, 400, 1000);
	for (n = 0; limit_bucket_take(&b, 200, 400, 1, 1000); n++)
		;
	ck_assert_int_eq(n, 400);
	ck_assert_int_eq(b.units, 0);
	ck_assert(!limit_bucket_take(&b, 200, 400, 1, 1004));
	ck_assert_int_eq(b.units, 4 * 200);
	ck_assert(limit_bucket_take(&b, 200, 400, 1, 1005));
	ck_assert_int_eq(b.units, 0);
	/* Over 10 s exactly 2000 tokens arrive, one per 5 ms. */
	for (n = 0, i = 1; i <= 10000; i++)
		n += limit_bucket_take(&b, 200, 400, 1, 1005 + (uint64_t)i);
	ck_assert_int_eq(n, 2000);
	/* A rate that is not a divisor of 1000: 3/s over 1 s gives 3. */
	limit_bucket_init(&b, 10, 0);
	ck_assert(limit_bucket_take(&b, 3, 10, 10, 0));
	for (n = 0, i = 1; i <= 1000; i++)
		n += limit_bucket_take(&b, 3, 10, 1, (uint64_t)i);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(b.units, 0);
	/* With a burst of 1 the fraction above a full bucket is lost, as
	 * in any token bucket sampled at whole milliseconds. */
	limit_bucket_init(&b, 1, 0);
	ck_assert(limit_bucket_take(&b, 3, 1, 1, 0));
	for (n = 0, i = 1; i <= 1000; i++)
		n += limit_bucket_take(&b, 3, 1, 1, (uint64_t)i);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(b.units, 332 * 3);
	/* Refill stops at the burst, after any idle time. */
	limit_bucket_refill(&b, 3, 1, 1000 + 86400000ULL * 365);
	ck_assert_int_eq(b.units, 1 * LIMIT_SCALE);
	/* No overflow with a huge rate and a long gap. */
	limit_bucket_init(&b, 0, 0);
	limit_bucket_refill(&b, 2000000000ULL, 2000000000ULL, UINT64_MAX / 2);
	ck_assert_int_eq(b.units, (int64_t)2000000000ULL * LIMIT_SCALE);
	/* A clock that does not move adds nothing; a lower burst clamps. */
	limit_bucket_init(&b, 10, 50);
	limit_bucket_refill(&b, 10, 5, 50);
	ck_assert_int_eq(b.units, 5 * LIMIT_SCALE);
	limit_bucket_refill(&b, 10, 5, 40);
	ck_assert_int_eq(b.units, 5 * LIMIT_SCALE);
}
END_TEST

START_TEST(test_bucket_take_cost)
{
	struct limit_bucket	b;

	/* Bytes: 1000 B/s, 1500 burst: a 1500-byte datagram, then 1 s wait
	 * for the next 1000. */
	limit_bucket_init(&b, 1500, 0);
	ck_assert(limit_bucket_take(&b, 1000, 1500, 1500, 0));
	ck_assert(!limit_bucket_take(&b, 1000, 1500, 1000, 999));
	ck_assert_int_eq(b.units, 999 * 1000);
	ck_assert(limit_bucket_take(&b, 1000, 1500, 1000, 1000));
	ck_assert_int_eq(b.units, 0);
	/* Larger than the burst: never. */
	ck_assert(!limit_bucket_take(&b, 1000, 1500, 1501, 100000));
	ck_assert_int_eq(b.units, 1500 * 1000);
}
END_TEST

START_TEST(test_bucket_debit)
{
	struct limit_bucket	b;

	/* 1000 B/s, burst 100: a 600-byte datagram passes, leaving 500 of
	 * debt, which is paid in exactly 500 ms. */
	limit_bucket_init(&b, 100, 0);
	ck_assert(limit_bucket_debit(&b, 1000, 100, 600, 0));
	ck_assert_int_eq(b.units, -500 * 1000);
	ck_assert_uint_eq(limit_bucket_wait_ms(&b, 1000), 500);
	ck_assert(!limit_bucket_debit(&b, 1000, 100, 1, 499));
	ck_assert_uint_eq(limit_bucket_wait_ms(&b, 1000), 1);
	ck_assert(limit_bucket_debit(&b, 1000, 100, 1, 500));
	ck_assert_int_eq(b.units, -1 * 1000);
	/* Rounds up: 3 B/s and 1 byte of debt is 334 ms. */
	limit_bucket_init(&b, 0, 0);
	ck_assert(limit_bucket_debit(&b, 3, 1, 1, 0));
	ck_assert_uint_eq(limit_bucket_wait_ms(&b, 3), 334);
	ck_assert(!limit_bucket_debit(&b, 3, 1, 1, 333));
	ck_assert(limit_bucket_debit(&b, 3, 1, 1, 334));
	/* Not in debt: no wait. */
	limit_bucket_init(&b, 5, 0);
	ck_assert_uint_eq(limit_bucket_wait_ms(&b, 3), 0);
}
END_TEST

START_TEST(test_table_prefix_key)
{
	struct limit_table	*t = limit_table_new(16, 24, 64);
	struct addr_key		 a, b, c;
	struct limit_key	 lk;
	char			 buf[64];
	uint32_t		 i;

	/* Same /24, other ports: one source. */
	a = key("192.0.2.1", 1000);
	b = key("192.0.2.200", 2000);
	c = key("192.0.3.1", 1000);
	i = limit_find(t, &a, 0);
	ck_assert_uint_eq(limit_find(t, &b, 1), i);
	ck_assert_uint_ne(limit_find(t, &c, 2), i);
	ck_assert_uint_eq(t->count, 2);
	limit_key_make(t, &lk, &b);
	ck_assert_str_eq(limit_key_format(t, &lk, buf, sizeof(buf)),
	    "192.0.2.0/24");
	/* IPv6 /64, and IPv4-mapped is IPv4. */
	a = key("2001:db8:1:2:aaaa::1", 1);
	b = key("2001:db8:1:2:bbbb::1", 2);
	c = key("2001:db8:1:3::1", 3);
	i = limit_find(t, &a, 3);
	ck_assert_uint_eq(limit_find(t, &b, 3), i);
	ck_assert_uint_ne(limit_find(t, &c, 3), i);
	limit_key_make(t, &lk, &b);
	ck_assert_str_eq(limit_key_format(t, &lk, buf, sizeof(buf)),
	    "2001:db8:1:2::/64");
	/* IPv4-mapped is IPv4: the same /24 as 192.0.2.1 above. */
	a = key("::ffff:192.0.2.77", 1);
	b = key("192.0.2.1", 1);
	ck_assert_uint_eq(limit_find(t, &a, 4), limit_lookup(t, &b));
	ck_assert_uint_eq(t->count, 4);
	limit_table_free(t);

	/* Odd prefix lengths mask inside a byte; /0 is one source. */
	t = limit_table_new(4, 0, 0);
	a = key("192.0.2.1", 1);
	b = key("198.51.100.1", 1);
	ck_assert_uint_eq(limit_find(t, &a, 0), limit_find(t, &b, 0));
	limit_table_free(t);
	t = limit_table_new(4, 31, 127);
	a = key("192.0.2.2", 1);
	b = key("192.0.2.3", 1);
	c = key("192.0.2.4", 1);
	ck_assert_uint_eq(limit_find(t, &a, 0), limit_find(t, &b, 0));
	ck_assert_uint_ne(limit_find(t, &a, 0), limit_find(t, &c, 0));
	limit_table_free(t);
}
END_TEST

START_TEST(test_table_eviction_order)
{
	struct limit_table	*t = limit_table_new(4, 32, 128);
	struct addr_key		 k[6];
	uint32_t		 idx[6];
	int			 i;

	for (i = 0; i < 6; i++)
		k[i] = key4(0xc0000200 + (uint32_t)i);
	for (i = 0; i < 4; i++)
		idx[i] = limit_find(t, &k[i], (uint64_t)i);
	ck_assert_uint_eq(t->count, 4);
	/* Seeing 0 again makes 1 the least recently seen. */
	ck_assert_uint_eq(limit_find(t, &k[0], 10), idx[0]);
	idx[4] = limit_find(t, &k[4], 11);
	ck_assert_uint_eq(idx[4], idx[1]);		/* 1's slot reused */
	ck_assert_uint_eq(limit_lookup(t, &k[1]), LIMIT_NONE);
	ck_assert_uint_eq(limit_lookup(t, &k[0]), idx[0]);
	ck_assert_uint_eq(t->evictions, 1);
	/* Next oldest is 2, then 3, then 0. */
	idx[5] = limit_find(t, &k[5], 12);
	ck_assert_uint_eq(limit_lookup(t, &k[2]), LIMIT_NONE);
	ck_assert_uint_eq(idx[5], idx[2]);
	limit_find(t, &k[1], 13);
	ck_assert_uint_eq(limit_lookup(t, &k[3]), LIMIT_NONE);
	limit_find(t, &k[2], 14);
	ck_assert_uint_eq(limit_lookup(t, &k[0]), LIMIT_NONE);
	ck_assert_uint_eq(t->count, 4);
	ck_assert_uint_eq(t->evictions, 4);
	limit_table_free(t);
}
END_TEST

START_TEST(test_table_pinned)
{
	struct limit_table	*t = limit_table_new(2, 32, 128);
	struct addr_key		 a = key4(1), b = key4(2), c = key4(3);
	uint32_t		 ia, ib;

	ia = limit_find(t, &a, 0);
	ib = limit_find(t, &b, 1);
	limit_session_add(t, ia);
	limit_session_add(t, ia);
	/* a is oldest but has sessions: b is evicted. */
	ck_assert_uint_eq(limit_find(t, &c, 2), ib);
	ck_assert_uint_eq(limit_lookup(t, &a), ia);
	ck_assert_uint_eq(t->entry[ia].sessions, 2);
	/* Every entry pinned: the new source gets nothing. */
	limit_session_add(t, ib);
	ck_assert_uint_eq(limit_find(t, &b, 3), LIMIT_NONE);
	limit_session_del(t, ia);
	ck_assert_uint_eq(limit_find(t, &b, 4), LIMIT_NONE);
	limit_session_del(t, ia);
	/* a unpinned: it is the only evictable entry. */
	ck_assert_uint_eq(limit_find(t, &b, 5), ia);
	ck_assert_uint_eq(limit_lookup(t, &a), LIMIT_NONE);
	/* More deletes than adds do not underflow. */
	limit_session_del(t, ia);
	limit_session_del(t, ia);
	ck_assert_uint_eq(t->entry[ia].sessions, 0);
	limit_table_free(t);
}
END_TEST

START_TEST(test_table_fixed_memory)
{
	struct limit_table	*t = limit_table_new(65536, 32, 64);
	struct mallinfo2	 before, after;
	struct addr_key		 k;
	uint32_t		 i, j;
	size_t			 bytes = limit_table_bytes(t);

	ck_assert_uint_le(bytes, 65536 * (sizeof(struct limit_entry) + 8) +
	    sizeof(struct limit_table));
	before = mallinfo2();
	/* 50,000 sources three times over, then 200,000 new ones. */
	for (j = 0; j < 3; j++)
		for (i = 0; i < 50000; i++) {
			k = key4(0x7f000000 + i);
			limit_find(t, &k, j * 100000 + i);
		}
	ck_assert_uint_eq(t->count, 50000);
	ck_assert_uint_eq(t->evictions, 0);
	for (i = 0; i < 200000; i++) {
		k = key4(0x0a000000 + i);
		ck_assert_uint_ne(limit_find(t, &k, 1000000 + i), LIMIT_NONE);
	}
	after = mallinfo2();
	ck_assert_uint_eq(t->count, 65536);
	ck_assert_uint_eq(t->evictions, 250000 - 65536);
	ck_assert_uint_eq(after.uordblks, before.uordblks);
	ck_assert_uint_eq(limit_table_bytes(t), bytes);
	/* The last 65,536 are exactly the ones left. */
	for (i = 200000 - 65536; i < 200000; i++) {
		k = key4(0x0a000000 + i);
		ck_assert_uint_ne(limit_lookup(t, &k), LIMIT_NONE);
	}
	k = key4(0x0a000000 + 200000 - 65537);
	ck_assert_uint_eq(limit_lookup(t, &k), LIMIT_NONE);
	limit_table_free(t);
}
END_TEST

START_TEST(test_check_rate)
{
	struct limit_conf	 lc = { .rate = 10, .burst = 20, .prefix4 = 32,
	    .prefix6 = 64, .table_size = 8 };
	struct limit_table	*t = limit_table_new(8, 32, 64);
	struct addr_key		 a = key4(1), b = key4(2);
	uint32_t		 ia = limit_find(t, &a, 0);
	uint32_t		 ib = limit_find(t, &b, 0);
	int			 n, i;

	for (n = 0, i = 0; i < 100; i++)
		n += limit_check(t, ia, &lc, 10, 0) == LIMIT_PASS;
	ck_assert_int_eq(n, 20);
	/* Another source has its own bucket. */
	ck_assert_int_eq(limit_check(t, ib, &lc, 10, 0), LIMIT_PASS);
	/* 10/s: one every 100 ms. */
	ck_assert_int_eq(limit_check(t, ia, &lc, 10, 99), LIMIT_RATE);
	ck_assert_int_eq(limit_check(t, ia, &lc, 10, 100), LIMIT_PASS);
	ck_assert_int_eq(limit_check(t, ia, &lc, 10, 100), LIMIT_RATE);
	/* Burst defaults to the rate. */
	lc.burst = 0;
	for (n = 0, i = 0; i < 100; i++)
		n += limit_check(t, ib, &lc, 10, 100000) == LIMIT_PASS;
	ck_assert_int_eq(n, 10);
	limit_table_free(t);
}
END_TEST

START_TEST(test_check_bytes_rate)
{
	struct limit_conf	 lc = { .bytes_rate = 100000, .prefix4 = 32,
	    .prefix6 = 64, .table_size = 8 };
	struct limit_table	*t = limit_table_new(8, 32, 64);
	struct addr_key		 a = key4(1);
	uint32_t		 ia = limit_find(t, &a, 0);
	int			 n, i;

	/* 100,000 B/s: 100 datagrams of 1000 bytes, then 1 per 10 ms. */
	for (n = 0, i = 0; i < 200; i++)
		n += limit_check(t, ia, &lc, 1000, 0) == LIMIT_PASS;
	ck_assert_int_eq(n, 100);
	ck_assert_int_eq(limit_check(t, ia, &lc, 1000, 9), LIMIT_RATE);
	ck_assert_int_eq(limit_check(t, ia, &lc, 1000, 10), LIMIT_PASS);
	/* A small bytes_rate still lets one maximal datagram through. */
	lc.bytes_rate = 10;
	ck_assert_int_eq(limit_check(t, ia, &lc, 65535, 20000000),
	    LIMIT_PASS);
	ck_assert_int_eq(limit_check(t, ia, &lc, 1, 20000000), LIMIT_RATE);
	limit_table_free(t);
}
END_TEST

START_TEST(test_check_block)
{
	struct limit_conf	 lc = { .rate = 10, .burst = 10, .prefix4 = 32,
	    .prefix6 = 64, .table_size = 8, .block_threshold = 3,
	    .block_seconds = 2 };
	struct limit_table	*t = limit_table_new(8, 32, 64);
	struct addr_key		 a = key4(1), b = key4(2);
	uint32_t		 ia = limit_find(t, &a, 1000);
	uint32_t		 ib = limit_find(t, &b, 1000);
	enum limit_verdict	 v;
	int			 i;

	/* 30 datagrams in a second is at the threshold, not over it. */
	for (i = 0; i < 30; i++)
		ck_assert_int_ne(limit_check(t, ia, &lc, 1, 1000 +
		    (uint64_t)i), LIMIT_BLOCK_START);
	ck_assert(!limit_blocked(t, ia, 1100));
	/* A new window: 31 in one second blocks for 2 s. */
	for (i = 0; i < 30; i++)
		ck_assert_int_ne(limit_check(t, ia, &lc, 1, 2000),
		    LIMIT_BLOCK_START);
	v = limit_check(t, ia, &lc, 1, 2500);
	ck_assert_int_eq(v, LIMIT_BLOCK_START);
	ck_assert(limit_blocked(t, ia, 2500));
	ck_assert_int_eq(limit_check(t, ia, &lc, 1, 4499), LIMIT_BLOCKED);
	ck_assert(limit_blocked(t, ia, 4499));
	/* Another source is not blocked. */
	ck_assert_int_eq(limit_check(t, ib, &lc, 1, 3000), LIMIT_PASS);
	/* Expired by itself: passes again, with a full bucket. */
	ck_assert(!limit_blocked(t, ia, 4500));
	ck_assert_int_eq(limit_check(t, ia, &lc, 1, 4500), LIMIT_PASS);
	ck_assert(!limit_blocked(t, ia, 4500));
	limit_table_free(t);
}
END_TEST

static Suite *
limit_suite(void)
{
	Suite	*s = suite_create("limit");
	TCase	*tc = tcase_create("bucket");

	tcase_add_test(tc, test_bucket_refill_exact);
	tcase_add_test(tc, test_bucket_take_cost);
	tcase_add_test(tc, test_bucket_debit);
	suite_add_tcase(s, tc);
	tc = tcase_create("table");
	tcase_add_test(tc, test_table_prefix_key);
	tcase_add_test(tc, test_table_eviction_order);
	tcase_add_test(tc, test_table_pinned);
	tcase_add_test(tc, test_table_fixed_memory);
	suite_add_tcase(s, tc);
	tc = tcase_create("check");
	tcase_add_test(tc, test_check_rate);
	tcase_add_test(tc, test_check_bytes_rate);
	tcase_add_test(tc, test_check_block);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(limit_suite());
	int	 failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
