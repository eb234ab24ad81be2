/*
 * Unit tests for pool.c, without sockets: exact round robin sequences and
 * weighted distributions, consistent hashing (a client keeps its member;
 * adding or removing one of N moves about 1/N of clients, bounded), least
 * sessions (weighted), power of two choices, backup takeover and return,
 * `down`, passive health (max_fails within fail_timeout, a pool of one
 * never down), members kept across pool_apply and pool_set_addrs, and
 * picks that stay O(1)-ish with 1,000 members.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "addr.h"
#include "pool.h"
#include "xmalloc.h"

#define MAXM	1100

struct spec {
	unsigned int	weight;
	int		backup;
	int		down;
};

/* Members 127.0.0.1:(10000 + i), one address each. */
static void
conf_make(struct pool_conf *pc, const struct spec *sp, size_t n,
    enum pool_balance b)
{
	char	buf[64], err[128];
	size_t	i;

	memset(pc, 0, sizeof(*pc));
	pc->members = xcalloc(n, sizeof(*pc->members));
	pc->nmembers = n;
	pc->balance = b;
	pc->max_fails = 1;
	pc->fail_timeout_ms = 10000;
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "127.0.0.1:%zu", 10000 + i);
		pc->members[i].address = xstrdup(buf);
		pc->members[i].addrs = xcalloc(1, sizeof(struct addr));
		pc->members[i].naddrs = 1;
		ck_assert_int_eq(addr_parse(buf, ADDR_NUMERIC,
		    pc->members[i].addrs, err, sizeof(err)), 0);
		pc->members[i].weight = sp != NULL ? sp[i].weight : 1;
		pc->members[i].backup = sp != NULL ? sp[i].backup : 0;
		pc->members[i].down = sp != NULL ? sp[i].down : 0;
	}
}

/* Which configured member (by port) u is. */
static size_t
which(const struct upstream *u)
{
	ck_assert_ptr_nonnull(u);
	return addr_port(&u->addr) - 10000;
}

static struct addr_key
client(uint32_t i)
{
	struct sockaddr_in	sin;
	struct addr_key		k;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x0a000000 + i);
	sin.sin_port = htons(4000);
	addr_key_make(&k, (struct sockaddr *)&sin);
	return k;
}

/* Picks n sessions (attached, never closed); counts per member. */
static void
take(struct pool *p, size_t n, size_t *count, uint64_t now)
{
	struct addr_key	k;
	struct upstream	*u;
	size_t		i;

	for (i = 0; i < n; i++) {
		k = client((uint32_t)i);
		u = pool_pick(p, &k, now);
		ck_assert_ptr_nonnull(u);
		pool_attach(p, u);
		count[which(u)]++;
	}
}

START_TEST(test_rr_weights)
{
	static const struct spec sp[] = { { 1, 0, 0 }, { 3, 0, 0 } };
	struct pool_conf	pc;
	struct pool		*p;
	size_t			count[2] = { 0, 0 };

	conf_make(&pc, sp, 2, POOL_ROUND_ROBIN);
	p = pool_new(&pc);
	take(p, 400, count, 0);
	ck_assert_uint_eq(count[0], 100);
	ck_assert_uint_eq(count[1], 300);
	pool_free(p);
	pool_conf_free(&pc);
}
END_TEST

/* nginx's example: weights 5, 1, 1 give a a b a c a a. */
START_TEST(test_rr_smooth)
{
	static const struct spec sp[] = {
		{ 5, 0, 0 }, { 1, 0, 0 }, { 1, 0, 0 }
	};
	static const size_t	want[] = { 0, 0, 1, 0, 2, 0, 0 };
	struct pool_conf	pc;
	struct pool		*p;
	struct addr_key		k = client(1);
	size_t			i, round;

	conf_make(&pc, sp, 3, POOL_ROUND_ROBIN);
	p = pool_new(&pc);
	for (round = 0; round < 3; round++)
		for (i = 0; i < 7; i++)
			ck_assert_uint_eq(which(pool_pick(p, &k, 0)), want[i]);
	pool_free(p);
	pool_conf_free(&pc);
}
END_TEST

START_TEST(test_rr_equal)
{
	struct pool_conf	pc;
	struct pool		*p;
	struct addr_key		k = client(1);
	size_t			i;

	conf_make(&pc, NULL, 3, POOL_ROUND_ROBIN);
	p = pool_new(&pc);
	for (i = 0; i < 300; i++)
		ck_assert_uint_eq(which(pool_pick(p, &k, 0)), i % 3);
	pool_free(p);
	pool_conf_free(&pc);
}
END_TEST

#define NCLIENTS	20000

static void
hash_map(struct pool *p, size_t *out)
{
	struct addr_key	k;
	size_t		i;

	for (i = 0; i < NCLIENTS; i++) {
		k = client((uint32_t)i * 7919);
		out[i] = which(pool_pick(p, &k, 0));
	}
}

START_TEST(test_hash_stable_and_even)
{
	struct pool_conf	pc;
	struct pool		*p;
	struct addr_key		k;
	struct sockaddr_in	sin;
	size_t			*a, *b, count[10] = { 0 }, i;

	conf_make(&pc, NULL, 10, POOL_HASH);
	p = pool_new(&pc);
	a = xcalloc(NCLIENTS, sizeof(*a));
	b = xcalloc(NCLIENTS, sizeof(*b));
	hash_map(p, a);
	hash_map(p, b);
	for (i = 0; i < NCLIENTS; i++) {
		ck_assert_uint_eq(a[i], b[i]);
		count[a[i]]++;
	}
	/* Maglev with 64+ entries per member: within 20% of the mean. */
	for (i = 0; i < 10; i++) {
		ck_assert_uint_gt(count[i], NCLIENTS / 10 * 8 / 10);
		ck_assert_uint_lt(count[i], NCLIENTS / 10 * 12 / 10);
	}
	/* The client's port does not matter. */
	k = client(5);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x0a000005);
	sin.sin_port = htons(9999);
	{
		struct addr_key	k2;

		addr_key_make(&k2, (struct sockaddr *)&sin);
		ck_assert_ptr_eq(pool_pick(p, &k, 0), pool_pick(p, &k2, 0));
	}
	free(a);
	free(b);
	pool_free(p);
	pool_conf_free(&pc);
}
END_TEST

/*
 * Removing member 3 of 10: every client of 3 moves, and at most 1/N + 3%
 * of all clients move in total (Maglev moves a little more than the
 * minimum). Adding an 11th member back: at most 1/11 + 3% move.
 */
START_TEST(test_hash_movement)
{
	struct pool_conf	pc10, pc9, pc11;
	struct pool		*p;
	size_t			*before, *after, i, moved, lost;

	conf_make(&pc10, NULL, 10, POOL_HASH);
	conf_make(&pc9, NULL, 10, POOL_HASH);
	/* pc9: member 3 dropped (its slot still declared, as down). */
	pc9.members[3].down = 1;
	conf_make(&pc11, NULL, 11, POOL_HASH);
	before = xcalloc(NCLIENTS, sizeof(*before));
	after = xcalloc(NCLIENTS, sizeof(*after));

	p = pool_new(&pc10);
	hash_map(p, before);
	ck_assert_uint_eq(pool_apply(p, &pc9), 0);
	hash_map(p, after);
	moved = lost = 0;
	for (i = 0; i < NCLIENTS; i++) {
		if (before[i] == 3) {
			lost++;
			ck_assert_uint_ne(after[i], 3);
		}
		moved += before[i] != after[i];
	}
	ck_assert_uint_gt(lost, 0);
	ck_assert_uint_ge(moved, lost);
	ck_assert_uint_le(moved, NCLIENTS / 10 + NCLIENTS * 3 / 100);
	fprintf(stderr, "hash: removing 1 of 10 moved %zu of %d clients\n",
	    moved, NCLIENTS);

	/* From 10 to 11. */
	ck_assert_uint_eq(pool_apply(p, &pc10), 0);
	hash_map(p, before);
	ck_assert_uint_eq(pool_apply(p, &pc11), 0);
	hash_map(p, after);
	moved = lost = 0;
	for (i = 0; i < NCLIENTS; i++) {
		moved += before[i] != after[i];
		lost += after[i] == 10;
	}
	/* Most that move go to the new member. */
	ck_assert_uint_ge(lost, moved * 8 / 10);
	ck_assert_uint_gt(moved, NCLIENTS / 11 / 2);
	ck_assert_uint_le(moved, NCLIENTS / 11 + NCLIENTS * 3 / 100);
	fprintf(stderr, "hash: adding an 11th moved %zu of %d clients\n",
	    moved, NCLIENTS);
	free(before);
	free(after);
	pool_free(p);
	pool_conf_free(&pc10);
	pool_conf_free(&pc9);
	pool_conf_free(&pc11);
}
END_TEST

/* A failed member's clients spread over the rest; the others stay. */
START_TEST(test_hash_failover)
{
	struct pool_conf	pc;
	struct pool		*p;
	size_t			*before, *after, i, spread[5] = { 0 };

	conf_make(&pc, NULL, 5, POOL_HASH);
	p = pool_new(&pc);
	before = xcalloc(NCLIENTS, sizeof(*before));
	after = xcalloc(NCLIENTS, sizeof(*after));
	hash_map(p, before);
	ck_assert_int_eq(pool_fail(p, p->members[2], 0), 1);
	hash_map(p, after);
	for (i = 0; i < NCLIENTS; i++) {
		if (before[i] != 2)
			ck_assert_uint_eq(after[i], before[i]);
		else
			spread[after[i]]++;
	}
	ck_assert_uint_eq(spread[2], 0);
	for (i = 0; i < 5; i++)
		if (i != 2)
			ck_assert_uint_gt(spread[i], 0);
	/* Back after fail_timeout: the same map as before. */
	for (i = 0; i < NCLIENTS; i++) {
		struct addr_key k = client((uint32_t)i * 7919);

		ck_assert_uint_eq(which(pool_pick(p, &k, 10000)), before[i]);
	}
	free(before);
	free(after);
	pool_free(p);
	pool_conf_free(&pc);
}
END_TEST

START_TEST(test_least_sessions)
{
	static const struct spec sp[] = { { 1, 0, 0 }, { 3, 0, 0 } };
	struct pool_conf	pc;
	struct pool		*p;
	struct addr_key		k = client(1);
	struct upstream		*a, *b;
	size_t			count[3] = { 0 };

	conf_make(&pc, sp, 2, POOL_LEAST_SESSIONS);
	p = pool_new(&pc);
	take(p, 400, count, 0);
	ck_assert_uint_eq(count[0], 100);
	ck_assert_uint_eq(count[1], 300);
	pool_free(p);
	pool_conf_free(&pc);

	/* Equal weights: sessions that end make their member preferred. */
	conf_make(&pc, NULL, 3, POOL_LEAST_SESSIONS);
	p = pool_new(&pc);
	memset(count, 0, sizeof(count));
	take(p, 30, count, 0);
	ck_assert_uint_eq(count[0], 10);
	ck_assert_uint_eq(count[1], 10);
	ck_assert_uint_eq(count[2], 10);
	a = p->members[1];
	pool_detach(p, a);
	pool_detach(p, a);
	ck_assert_ptr_eq(pool_pick(p, &k, 0), a);
	pool_attach(p, a);
	ck_assert_ptr_eq(pool_pick(p, &k, 0), a);
	pool_attach(p, a);
	b = pool_pick(p, &k, 0);
	ck_assert_uint_eq(b->sessions, 10);
	/* A failed member is skipped even with the fewest sessions. */
	pool_detach(p, p->members[2]);
	ck_assert_int_eq(pool_fail(p, p->members[2], 0), 1);
	ck_assert_ptr_ne(pool_pick(p, &k, 0), p->members[2]);
	ck_assert_ptr_eq(pool_pick(p, &k, 10000), p->members[2]);
	pool_free(p);
	pool_conf_free(&pc);
}
END_TEST

START_TEST(test_random_p2c)
{
	static const struct spec sp[] = {
		{ 1, 0, 0 }, { 1, 0, 0 }, { 2, 0, 0 }, { 1, 0, 1 }
	};
	struct pool_conf	pc;
	struct pool		*p;
	size_t			count[4] = { 0 };

	conf_make(&pc, sp, 4, POOL_RANDOM);
	p = pool_new(&pc);
	pool_seed(p, 42);
	take(p, 4000, count, 0);
	/* Two choices keep sessions per weight within a few of each other. */
	ck_assert_uint_eq(count[3], 0);
	ck_assert_uint_ge(count[0], 950);
	ck_assert_uint_le(count[0], 1050);
	ck_assert_uint_ge(count[1], 950);
	ck_assert_uint_le(count[1], 1050);
	ck_assert_uint_ge(count[2], 1900);
	ck_assert_uint_le(count[2], 2100);
	pool_free(p);
	pool_conf_free(&pc);
}
END_TEST

static void
backup_case(enum pool_balance bal)
{
	static const struct spec sp[] = {
		{ 1, 0, 0 }, { 1, 0, 0 }, { 1, 1, 0 }, { 1, 0, 1 }
	};
	struct pool_conf	pc;
	struct pool		*p;
	struct addr_key		k;
	struct upstream		*u;
	size_t			i;

	conf_make(&pc, sp, 4, bal);
	p = pool_new(&pc);
	for (i = 0; i < 50; i++) {
		k = client((uint32_t)i);
		u = pool_pick(p, &k, 0);
		ck_assert_uint_lt(which(u), 2);
	}
	/* One primary down: the other takes everything. */
	ck_assert_int_eq(pool_fail(p, p->members[0], 100), 1);
	for (i = 0; i < 50; i++) {
		k = client((uint32_t)i);
		ck_assert_uint_eq(which(pool_pick(p, &k, 200)), 1);
	}
	/* Both down: the backup; the member marked down never. */
	ck_assert_int_eq(pool_fail(p, p->members[1], 1000), 1);
	for (i = 0; i < 50; i++) {
		k = client((uint32_t)i);
		ck_assert_uint_eq(which(pool_pick(p, &k, 1000)), 2);
	}
	/* Backup down too: nothing. */
	ck_assert_int_eq(pool_fail(p, p->members[2], 1000), 1);
	k = client(1);
	ck_assert_ptr_null(pool_pick(p, &k, 1000));
	ck_assert_int_eq(pool_usable(p, p->members[3], 1000), 0);
	/* Member 0 returns at 10100: new sessions leave the backup. */
	ck_assert_ptr_null(pool_pick(p, &k, 10099));
	for (i = 0; i < 50; i++) {
		k = client((uint32_t)i);
		ck_assert_uint_eq(which(pool_pick(p, &k, 10100)), 0);
	}
	for (i = 0; i < 50; i++) {
		k = client((uint32_t)i);
		ck_assert_uint_lt(which(pool_pick(p, &k, 11000)), 2);
	}
	pool_free(p);
	pool_conf_free(&pc);
}

START_TEST(test_backup)
{
	backup_case(POOL_ROUND_ROBIN);
	backup_case(POOL_HASH);
	backup_case(POOL_LEAST_SESSIONS);
	backup_case(POOL_RANDOM);
}
END_TEST

START_TEST(test_all_down)
{
	static const struct spec sp[] = { { 1, 0, 1 }, { 1, 1, 1 } };
	struct pool_conf	pc;
	struct pool		*p;
	struct addr_key		k = client(1);

	conf_make(&pc, sp, 2, POOL_ROUND_ROBIN);
	p = pool_new(&pc);
	ck_assert_ptr_null(pool_pick(p, &k, 0));
	pool_free(p);
	pool_conf_free(&pc);
}
END_TEST

START_TEST(test_max_fails)
{
	struct pool_conf	pc;
	struct pool		*p;
	struct upstream		*u;

	conf_make(&pc, NULL, 2, POOL_ROUND_ROBIN);
	pc.max_fails = 3;
	pc.fail_timeout_ms = 1000;
	p = pool_new(&pc);
	u = p->members[0];
	/* Failures further apart than fail_timeout never add up. */
	ck_assert_int_eq(pool_fail(p, u, 0), 0);
	ck_assert_int_eq(pool_fail(p, u, 600), 0);
	ck_assert_int_eq(pool_fail(p, u, 1200), 0);
	ck_assert_int_eq(pool_fail(p, u, 1300), 0);
	ck_assert_int_eq(pool_usable(p, u, 1300), 1);
	/* A reply forgives. */
	pool_success(p, u);
	ck_assert_int_eq(pool_fail(p, u, 1400), 0);
	ck_assert_int_eq(pool_fail(p, u, 1500), 0);
	ck_assert_int_eq(pool_fail(p, u, 1600), 1);
	ck_assert_int_eq(pool_usable(p, u, 1600), 0);
	ck_assert_int_eq(pool_usable(p, u, 2599), 0);
	ck_assert_int_eq(pool_usable(p, u, 2600), 1);
	ck_assert_uint_eq(u->stats.fails, 7);
	ck_assert_uint_eq(u->stats.passive_downs, 1);
	/*
	 * Back by time, with no pick since (sessions all pinned): failures
	 * count again and take it down again.
	 */
	ck_assert_int_eq(pool_fail(p, u, 2700), 0);
	ck_assert_int_eq(pool_fail(p, u, 2800), 0);
	ck_assert_int_eq(pool_fail(p, u, 2900), 1);
	ck_assert_int_eq(pool_usable(p, u, 2900), 0);
	ck_assert_uint_eq(p->nfailq, 1);
	pool_free(p);
	pool_conf_free(&pc);

	/* max_fails = 0: never down. */
	conf_make(&pc, NULL, 2, POOL_ROUND_ROBIN);
	pc.max_fails = 0;
	p = pool_new(&pc);
	ck_assert_int_eq(pool_fail(p, p->members[0], 0), 0);
	ck_assert_int_eq(pool_usable(p, p->members[0], 0), 1);
	pool_free(p);
	pool_conf_free(&pc);

	/* A pool of one is never down. */
	conf_make(&pc, NULL, 1, POOL_ROUND_ROBIN);
	p = pool_new(&pc);
	ck_assert_int_eq(pool_fail(p, p->members[0], 0), 0);
	ck_assert_int_eq(pool_usable(p, p->members[0], 0), 1);
	pool_free(p);
	pool_conf_free(&pc);
}
END_TEST

/* New weights and balance keep members, their sessions and health. */
START_TEST(test_apply_keeps)
{
	static const struct spec sp[] = {
		{ 2, 0, 0 }, { 5, 1, 0 }, { 1, 0, 0 }
	};
	struct pool_conf	a, b, c;
	struct pool		*p;
	struct upstream		*u0, *u1, *u2;

	conf_make(&a, NULL, 3, POOL_ROUND_ROBIN);
	conf_make(&b, sp, 3, POOL_LEAST_SESSIONS);
	conf_make(&c, NULL, 2, POOL_HASH);
	p = pool_new(&a);
	u0 = p->members[0];
	u1 = p->members[1];
	u2 = p->members[2];
	pool_attach(p, u1);
	pool_attach(p, u1);
	ck_assert_int_eq(pool_fail(p, u2, 0), 1);
	ck_assert_uint_eq(pool_apply(p, &b), 0);
	ck_assert_uint_eq(p->nmembers, 3);
	ck_assert_ptr_eq(p->members[0], u0);
	ck_assert_ptr_eq(p->members[1], u1);
	ck_assert_ptr_eq(p->members[2], u2);
	ck_assert_uint_eq(u1->sessions, 2);
	ck_assert_uint_eq(u1->weight, 5);
	ck_assert_int_eq(u1->backup, 1);
	ck_assert_int_eq(u2->failed, 1);
	ck_assert_int_eq(pool_conf_same_addrs(&a, &b), 1);
	ck_assert_int_eq(pool_conf_same(&a, &b), 0);
	ck_assert_int_eq(pool_conf_same(&a, &a), 1);
	ck_assert_int_eq(pool_conf_same_addrs(&a, &c), 0);
	/* Member 2 leaves: counted, marked, kept until collected. */
	ck_assert_uint_eq(pool_apply(p, &c), 1);
	ck_assert_uint_eq(p->nmembers, 2);
	ck_assert_int_eq(u2->removed, 1);
	ck_assert_uint_eq(p->nremoved, 1);
	ck_assert_uint_eq(p->nfailq, 0);
	pool_collect(p);
	ck_assert_uint_eq(p->nremoved, 0);
	pool_free(p);
	pool_conf_free(&a);
	pool_conf_free(&b);
	pool_conf_free(&c);
}
END_TEST

/* A name's address set replaced (what the resolver does). */
START_TEST(test_set_addrs)
{
	struct pool_conf	pc;
	struct pool		*p;
	struct upstream		*keep, *other;
	struct addr		set[3];
	char			err[64];
	size_t			i, count[3] = { 0 };

	conf_make(&pc, NULL, 2, POOL_ROUND_ROBIN);
	p = pool_new(&pc);
	other = p->members[0];
	keep = p->members[1];		/* 127.0.0.1:10001 */
	pool_attach(p, keep);
	ck_assert_int_eq(addr_parse("127.0.0.1:10001", 0, &set[0], err,
	    sizeof(err)), 0);
	ck_assert_int_eq(addr_parse("127.0.0.2:10001", 0, &set[1], err,
	    sizeof(err)), 0);
	ck_assert_int_eq(addr_parse("127.0.0.3:10001", 0, &set[2], err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(pool_set_addrs(p, 1, set, 3), 0);
	ck_assert_uint_eq(p->nmembers, 4);
	ck_assert_ptr_eq(p->members[0], other);
	ck_assert_ptr_eq(p->members[1], keep);
	ck_assert_uint_eq(keep->sessions, 1);
	for (i = 1; i < 4; i++) {
		ck_assert_uint_eq(p->members[i]->member, 1);
		ck_assert_str_eq(p->members[i]->label, "127.0.0.1:10001");
	}
	/* Every address is a member: round robin visits all four. */
	for (i = 0; i < 8; i++) {
		struct addr_key k = client(1);
		struct upstream *u = pool_pick(p, &k, 0);

		count[u == other ? 0 : u == keep ? 1 : 2]++;
	}
	ck_assert_uint_eq(count[0], 2);
	ck_assert_uint_eq(count[1], 2);
	ck_assert_uint_eq(count[2], 4);
	/* The name now stands for 127.0.0.3 only. */
	ck_assert_uint_eq(pool_set_addrs(p, 1, &set[2], 1), 2);
	ck_assert_uint_eq(p->nmembers, 2);
	ck_assert_int_eq(keep->removed, 1);
	ck_assert_uint_eq(pool_set_addrs(p, 7, set, 1), 0);
	pool_collect(p);
	pool_free(p);
	pool_conf_free(&pc);
}
END_TEST

static double
pick_ns(enum pool_balance b, size_t n, size_t picks)
{
	struct pool_conf	pc;
	struct pool		*p;
	struct timespec		t0, t1;
	struct addr_key		k;
	struct upstream		*u;
	size_t			i;

	conf_make(&pc, NULL, n, b);
	p = pool_new(&pc);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < picks; i++) {
		k = client((uint32_t)i);
		u = pool_pick(p, &k, 0);
		pool_attach(p, u);
		if (i % 2 == 1)
			pool_detach(p, u);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pool_free(p);
	pool_conf_free(&pc);
	return ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) /
	    (double)picks;
}

/*
 * hash, least_sessions and random cost about the same per pick with
 * 1,000 members as with 4 (an O(n) pick would be ~250 times slower);
 * the bound is loose for loaded machines and valgrind.
 */
START_TEST(test_pick_cost)
{
	static const enum pool_balance	b[] = {
		POOL_HASH, POOL_LEAST_SESSIONS, POOL_RANDOM
	};
	double				small, big;
	size_t				i;

	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		small = pick_ns(b[i], 4, 100000);
		big = pick_ns(b[i], 1000, 100000);
		ck_assert_msg(big < small * 25 + 200, "%s: %.0f ns with "
		    "1000 members, %.0f ns with 4", pool_balance_name(b[i]),
		    big, small);
	}
}
END_TEST

START_TEST(test_balance_names)
{
	enum pool_balance	b;

	ck_assert_int_eq(pool_balance_parse("round_robin", &b), 0);
	ck_assert_int_eq(b, POOL_ROUND_ROBIN);
	ck_assert_int_eq(pool_balance_parse("hash", &b), 0);
	ck_assert_int_eq(b, POOL_HASH);
	ck_assert_int_eq(pool_balance_parse("least_sessions", &b), 0);
	ck_assert_int_eq(b, POOL_LEAST_SESSIONS);
	ck_assert_int_eq(pool_balance_parse("random", &b), 0);
	ck_assert_int_eq(b, POOL_RANDOM);
	ck_assert_int_eq(pool_balance_parse("least_conn", &b), -1);
	ck_assert_str_eq(pool_balance_name(POOL_LEAST_SESSIONS),
	    "least_sessions");
}
END_TEST

static Suite *
pool_suite(void)
{
	Suite	*s = suite_create("pool");
	TCase	*tc;

	tc = tcase_create("balance");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_rr_weights);
	tcase_add_test(tc, test_rr_smooth);
	tcase_add_test(tc, test_rr_equal);
	tcase_add_test(tc, test_hash_stable_and_even);
	tcase_add_test(tc, test_hash_movement);
	tcase_add_test(tc, test_hash_failover);
	tcase_add_test(tc, test_least_sessions);
	tcase_add_test(tc, test_random_p2c);
	tcase_add_test(tc, test_balance_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("health");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_backup);
	tcase_add_test(tc, test_all_down);
	tcase_add_test(tc, test_max_fails);
	suite_add_tcase(s, tc);

	tc = tcase_create("members");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_apply_keeps);
	tcase_add_test(tc, test_set_addrs);
	suite_add_tcase(s, tc);

	tc = tcase_create("cost");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pick_cost);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(pool_suite());
	int	 failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0 ? 1 : 0;
}
