/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Unit tests for sessmap.c: insert, find and remove with exact counts,
 * growth by doubling with every entry still reachable, per-map seeds,
 * chains edited in the middle and at both ends, and keys that differ only
 * in the local address of a wildcard listener.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sessmap.h"

#define MANY	100000

/* A client key for 10.a.b.c:port; i picks a distinct one for each i. */
static void
key_v4(struct sess_key *k, uint32_t i, uint16_t port)
{
	struct sockaddr_in	sin;

	memset(k, 0, sizeof(*k));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x0a000000 | (i & 0xffffff));
	sin.sin_port = htons(port);
	addr_key_make(&k->client, (struct sockaddr *)&sin);
}

static void
key_local(struct sess_key *k, const char *ip, uint16_t port)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	addr_key_make(&k->local, (struct sockaddr *)&sin);
}

static void
entry_set(struct sessmap *m, struct sessmap_entry *e, uint32_t i,
    uint16_t port)
{
	memset(e, 0, sizeof(*e));
	key_v4(&e->key, i, port);
	e->hash = sessmap_hash(m, &e->key);
}

static struct sessmap_entry *
find(const struct sessmap *m, const struct sess_key *k)
{
	return sessmap_find(m, k, sessmap_hash(m, k));
}

START_TEST(test_init)
{
	struct sessmap	m;
	struct sess_key	k;
	size_t		i;

	memset(&m, 0xa5, sizeof(m));
	sessmap_init(&m);
	ck_assert_ptr_nonnull(m.bucket);
	ck_assert_uint_eq(m.count, 0);
	ck_assert_uint_eq(m.mask, 63);
	for (i = 0; i <= m.mask; i++)
		ck_assert_ptr_null(m.bucket[i]);
	key_v4(&k, 1, 1);
	ck_assert_ptr_null(find(&m, &k));
	sessmap_free(&m);
	ck_assert_ptr_null(m.bucket);
	ck_assert_uint_eq(m.count, 0);
}
END_TEST

START_TEST(test_insert_find_remove)
{
	struct sessmap		m;
	struct sessmap_entry	e;
	struct sess_key		k;

	sessmap_init(&m);
	entry_set(&m, &e, 1, 5000);
	sessmap_insert(&m, &e);
	ck_assert_uint_eq(m.count, 1);
	ck_assert_ptr_eq(find(&m, &e.key), &e);

	/* A key built separately, equal by value, finds the entry. */
	key_v4(&k, 1, 5000);
	ck_assert_ptr_eq(find(&m, &k), &e);
	/* The wrong port, the wrong address: not found. */
	key_v4(&k, 1, 5001);
	ck_assert_ptr_null(find(&m, &k));
	key_v4(&k, 2, 5000);
	ck_assert_ptr_null(find(&m, &k));
	/* The right key with a hash that is not its own: not found. */
	ck_assert_ptr_null(sessmap_find(&m, &e.key, e.hash ^ 1));

	sessmap_remove(&m, &e);
	ck_assert_uint_eq(m.count, 0);
	ck_assert_ptr_null(e.next);
	ck_assert_ptr_null(find(&m, &e.key));
	sessmap_free(&m);
}
END_TEST

/* An IPv4 client seen through a dual-stack socket is the same client. */
START_TEST(test_v4mapped_same_session)
{
	struct sessmap		 m;
	struct sessmap_entry	 e;
	struct sess_key		 k;
	struct sockaddr_in6	 sin6;

	sessmap_init(&m);
	entry_set(&m, &e, 0x7f0001, 40000);	/* 10.127.0.1:40000 */
	sessmap_insert(&m, &e);
	memset(&k, 0, sizeof(k));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(40000);
	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:10.127.0.1",
	    &sin6.sin6_addr), 1);
	addr_key_make(&k.client, (struct sockaddr *)&sin6);
	ck_assert_uint_eq(sessmap_hash(&m, &k), e.hash);
	ck_assert_ptr_eq(find(&m, &k), &e);
	sessmap_free(&m);
}
END_TEST

START_TEST(test_many)
{
	struct sessmap		 m;
	struct sessmap_entry	*e;
	struct sess_key		 k;
	size_t			 i;

	e = calloc(MANY, sizeof(*e));
	ck_assert_ptr_nonnull(e);
	sessmap_init(&m);
	/* 1000 addresses x 100 ports: every key distinct. */
	for (i = 0; i < MANY; i++) {
		entry_set(&m, &e[i], (uint32_t)(i / 100),
		    (uint16_t)(1024 + i % 100));
		sessmap_insert(&m, &e[i]);
	}
	ck_assert_uint_eq(m.count, MANY);
	/* Doubling from 64: the first power of two >= MANY is 131072. */
	ck_assert_uint_eq(m.mask + 1, 131072);
	for (i = 0; i < MANY; i++)
		ck_assert_ptr_eq(find(&m, &e[i].key), &e[i]);

	for (i = 0; i < MANY; i += 2)
		sessmap_remove(&m, &e[i]);
	ck_assert_uint_eq(m.count, MANY / 2);
	for (i = 0; i < MANY; i++) {
		key_v4(&k, (uint32_t)(i / 100), (uint16_t)(1024 + i % 100));
		if (i % 2 == 0)
			ck_assert_ptr_null(find(&m, &k));
		else
			ck_assert_ptr_eq(find(&m, &k), &e[i]);
	}
	for (i = 1; i < MANY; i += 2)
		sessmap_remove(&m, &e[i]);
	ck_assert_uint_eq(m.count, 0);
	for (i = 0; i <= m.mask; i++)
		ck_assert_ptr_null(m.bucket[i]);
	sessmap_free(&m);
	free(e);
}
END_TEST

/* The table doubles when it holds one entry per bucket, not before. */
START_TEST(test_growth_point)
{
	struct sessmap		m;
	struct sessmap_entry	e[129];
	size_t			i;

	sessmap_init(&m);
	for (i = 0; i < 64; i++) {
		entry_set(&m, &e[i], (uint32_t)i, 53);
		sessmap_insert(&m, &e[i]);
	}
	ck_assert_uint_eq(m.mask, 63);
	entry_set(&m, &e[64], 64, 53);
	sessmap_insert(&m, &e[64]);
	ck_assert_uint_eq(m.mask, 127);
	for (i = 65; i < 129; i++) {
		entry_set(&m, &e[i], (uint32_t)i, 53);
		sessmap_insert(&m, &e[i]);
	}
	ck_assert_uint_eq(m.mask, 255);
	ck_assert_uint_eq(m.count, 129);
	for (i = 0; i < 129; i++)
		ck_assert_ptr_eq(find(&m, &e[i].key), &e[i]);
	sessmap_free(&m);
}
END_TEST

/*
 * Each map draws its own key, so a client who learns (or floods) one
 * route's bucket layout learns nothing about another's.
 */
START_TEST(test_seeds_differ)
{
	struct sessmap	a, b;
	struct sess_key	k;

	sessmap_init(&a);
	sessmap_init(&b);
	ck_assert_int_ne(memcmp(a.seed, b.seed, sizeof(a.seed)), 0);
	key_v4(&k, 1, 53);
	ck_assert_uint_ne(sessmap_hash(&a, &k), sessmap_hash(&b, &k));
	/* Same map, same key: the same hash every time. */
	ck_assert_uint_eq(sessmap_hash(&a, &k), sessmap_hash(&a, &k));
	sessmap_free(&a);
	sessmap_free(&b);
}
END_TEST

/*
 * Entries are forced into one bucket by setting their hash by hand (the
 * caller owns e->hash), so the chain order is known: last inserted first.
 */
static void
chain_setup(struct sessmap *m, struct sessmap_entry *e, size_t n)
{
	size_t	i;

	sessmap_init(m);
	for (i = 0; i < n; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		key_v4(&e[i].key, (uint32_t)i, 53);
		e[i].hash = 5 + 64 * (uint64_t)i;	/* all in bucket 5 */
		sessmap_insert(m, &e[i]);
	}
	ck_assert_uint_eq(m->count, n);
	ck_assert_ptr_eq(m->bucket[5], &e[n - 1]);
}

static void
chain_check(const struct sessmap *m, const struct sessmap_entry *e,
    size_t n, const int *present)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (present[i])
			ck_assert_ptr_eq(sessmap_find(m, &e[i].key, e[i].hash),
			    &e[i]);
		else
			ck_assert_ptr_null(sessmap_find(m, &e[i].key,
			    e[i].hash));
	}
}

START_TEST(test_chain_remove_middle)
{
	struct sessmap		m;
	struct sessmap_entry	e[3];
	int			present[3] = { 1, 0, 1 };

	chain_setup(&m, e, 3);		/* bucket 5: e2 -> e1 -> e0 */
	sessmap_remove(&m, &e[1]);
	ck_assert_uint_eq(m.count, 2);
	ck_assert_ptr_eq(m.bucket[5], &e[2]);
	ck_assert_ptr_eq(e[2].next, &e[0]);
	chain_check(&m, e, 3, present);
	sessmap_free(&m);
}
END_TEST

START_TEST(test_chain_remove_ends)
{
	struct sessmap		m;
	struct sessmap_entry	e[3];
	int			tail_gone[3] = { 0, 1, 1 };
	int			head_gone[3] = { 0, 1, 0 };
	int			none[3] = { 0, 0, 0 };

	chain_setup(&m, e, 3);		/* bucket 5: e2 -> e1 -> e0 */
	sessmap_remove(&m, &e[0]);	/* the tail */
	ck_assert_ptr_null(e[1].next);
	chain_check(&m, e, 3, tail_gone);
	sessmap_remove(&m, &e[2]);	/* the head */
	ck_assert_ptr_eq(m.bucket[5], &e[1]);
	chain_check(&m, e, 3, head_gone);
	sessmap_remove(&m, &e[1]);	/* the last one of all */
	ck_assert_uint_eq(m.count, 0);
	ck_assert_ptr_null(m.bucket[5]);
	chain_check(&m, e, 3, none);
	sessmap_free(&m);
}
END_TEST

/* Two keys with one hash (a full collision) are told apart by the key. */
START_TEST(test_full_collision)
{
	struct sessmap		m;
	struct sessmap_entry	a, b;
	struct sess_key		k;

	sessmap_init(&m);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	key_v4(&a.key, 1, 53);
	key_v4(&b.key, 2, 53);
	a.hash = b.hash = 42;
	sessmap_insert(&m, &a);
	sessmap_insert(&m, &b);
	ck_assert_ptr_eq(sessmap_find(&m, &a.key, 42), &a);
	ck_assert_ptr_eq(sessmap_find(&m, &b.key, 42), &b);
	key_v4(&k, 3, 53);
	ck_assert_ptr_null(sessmap_find(&m, &k, 42));
	sessmap_remove(&m, &b);
	ck_assert_ptr_eq(sessmap_find(&m, &a.key, 42), &a);
	ck_assert_ptr_null(sessmap_find(&m, &b.key, 42));
	sessmap_free(&m);
}
END_TEST

/* Removing an entry that is not in the map changes nothing. */
START_TEST(test_remove_absent)
{
	struct sessmap		m;
	struct sessmap_entry	a, b;

	sessmap_init(&m);
	entry_set(&m, &a, 1, 53);
	entry_set(&m, &b, 2, 53);
	b.hash = a.hash;		/* same bucket as a */
	sessmap_insert(&m, &a);
	sessmap_remove(&m, &b);
	ck_assert_uint_eq(m.count, 1);
	ck_assert_ptr_eq(sessmap_find(&m, &a.key, a.hash), &a);
	sessmap_free(&m);
}
END_TEST

/*
 * On a wildcard listener one client talking to two local addresses has
 * two sessions: the replies must leave from two different addresses.
 */
START_TEST(test_local_part)
{
	struct sessmap		m;
	struct sessmap_entry	a, b;
	struct sess_key		k;

	sessmap_init(&m);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	key_v4(&a.key, 7, 40000);
	key_local(&a.key, "127.0.0.1", 53);
	key_v4(&b.key, 7, 40000);
	key_local(&b.key, "127.0.0.2", 53);
	ck_assert_int_eq(addr_key_equal(&a.key.client, &b.key.client), 1);
	a.hash = sessmap_hash(&m, &a.key);
	b.hash = sessmap_hash(&m, &b.key);
	ck_assert_uint_ne(a.hash, b.hash);
	sessmap_insert(&m, &a);
	sessmap_insert(&m, &b);
	ck_assert_uint_eq(m.count, 2);
	ck_assert_ptr_eq(find(&m, &a.key), &a);
	ck_assert_ptr_eq(find(&m, &b.key), &b);
	/* The same client with no local part (a specific listener). */
	key_v4(&k, 7, 40000);
	ck_assert_ptr_null(find(&m, &k));
	key_local(&k, "127.0.0.1", 54);
	ck_assert_ptr_null(find(&m, &k));
	sessmap_remove(&m, &a);
	ck_assert_ptr_null(find(&m, &a.key));
	ck_assert_ptr_eq(find(&m, &b.key), &b);
	sessmap_free(&m);
}
END_TEST

static Suite *
sessmap_suite(void)
{
	Suite	*s = suite_create("sessmap");
	TCase	*tc;

	tc = tcase_create("basic");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_init);
	tcase_add_test(tc, test_insert_find_remove);
	tcase_add_test(tc, test_v4mapped_same_session);
	tcase_add_test(tc, test_seeds_differ);
	tcase_add_test(tc, test_remove_absent);
	tcase_add_test(tc, test_local_part);
	suite_add_tcase(s, tc);

	tc = tcase_create("chains");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_chain_remove_middle);
	tcase_add_test(tc, test_chain_remove_ends);
	tcase_add_test(tc, test_full_collision);
	suite_add_tcase(s, tc);

	tc = tcase_create("growth");
	/* 100,000 entries under valgrind take a few seconds. */
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_growth_point);
	tcase_add_test(tc, test_many);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(sessmap_suite());
	int	 failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0 ? 1 : 0;
}
