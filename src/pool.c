#include "autoconf.h"

#include <sys/random.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdint.h>

#include "pool.h"
#include "xmalloc.h"

#define POOL_NOWHERE	((size_t)-1)

/* Maglev table sizes: primes, the smallest at least 64 per member is used. */
static const uint32_t pool_primes[] = {
	251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071,
	262139, 524287, 1048573
};

static const char *const pool_balance_names[] = {
	"round_robin", "hash", "least_sessions", "random"
};

const char *
pool_balance_name(enum pool_balance b)
{
	return pool_balance_names[b];
}

int
pool_balance_parse(const char *s, enum pool_balance *b)
{
	size_t	i;

	for (i = 0; i < sizeof(pool_balance_names) /
	    sizeof(pool_balance_names[0]); i++)
		if (strcmp(s, pool_balance_names[i]) == 0) {
			*b = (enum pool_balance)i;
			return 0;
		}
	return -1;
}

/* A 64-bit mix (splitmix64's finaliser). */
static uint64_t
pool_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t
pool_hash_bytes(const void *p, size_t len, uint64_t seed)
{
	const unsigned char	*b = p;
	uint64_t		 h = pool_mix(seed ^ len), w;
	size_t			 i;

	for (i = 0; i < len; i += 8) {
		w = 0;
		memcpy(&w, b + i, len - i < 8 ? len - i : 8);
		h = pool_mix(h ^ w);
	}
	return h;
}

/* The client's address without its port: a client keeps its member. */
static uint64_t
pool_client_hash(const struct addr_key *k)
{
	unsigned char	buf[1 + 16 + 4];

	buf[0] = k->family;
	memcpy(buf + 1, k->addr, 16);
	memcpy(buf + 17, &k->scope, 4);
	return pool_hash_bytes(buf, sizeof(buf), 0x5eed);
}

static uint64_t
pool_random(struct pool *p)
{
	/* xorshift64* */
	p->rng ^= p->rng >> 12;
	p->rng ^= p->rng << 25;
	p->rng ^= p->rng >> 27;
	return p->rng * 2685821657736338717ULL;
}

void
pool_seed(struct pool *p, uint64_t seed)
{
	p->rng = seed != 0 ? seed : 1;
}

/* Whether a prefers to take the next session over b (least sessions). */
static int
pool_less(const struct upstream *a, const struct upstream *b)
{
	uint64_t	x = (uint64_t)a->sessions * b->weight;
	uint64_t	y = (uint64_t)b->sessions * a->weight;

	if (x != y)
		return x < y;
	return a->seq < b->seq;
}

/* --- the least_sessions heap: usable members, best first ------------ */

static void
pool_heap_swap(struct pool_set *s, size_t i, size_t j)
{
	struct upstream	*t = s->heap[i];

	s->heap[i] = s->heap[j];
	s->heap[j] = t;
	s->heap[i]->heap = i;
	s->heap[j]->heap = j;
}

static void
pool_heap_fix(struct pool_set *s, size_t i)
{
	size_t	c, l, r;

	while (i > 0 && pool_less(s->heap[i], s->heap[(i - 1) / 2])) {
		pool_heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		c = i;
		if (l < s->nheap && pool_less(s->heap[l], s->heap[c]))
			c = l;
		if (r < s->nheap && pool_less(s->heap[r], s->heap[c]))
			c = r;
		if (c == i)
			return;
		pool_heap_swap(s, i, c);
		i = c;
	}
}

static void
pool_heap_insert(struct pool_set *s, struct upstream *u)
{
	if (u->heap != POOL_NOWHERE)
		return;
	s->heap[s->nheap] = u;
	u->heap = s->nheap++;
	pool_heap_fix(s, u->heap);
}

static void
pool_heap_remove(struct pool_set *s, struct upstream *u)
{
	size_t	i = u->heap;

	if (i == POOL_NOWHERE)
		return;
	u->heap = POOL_NOWHERE;
	if (i == --s->nheap)
		return;
	s->heap[i] = s->heap[s->nheap];
	s->heap[i]->heap = i;
	pool_heap_fix(s, i);
}

/* --- building the sets --------------------------------------------- */

static void
pool_set_clear(struct pool_set *s)
{
	size_t	i;

	for (i = 0; i < s->nheap; i++)
		s->heap[i]->heap = POOL_NOWHERE;
	free(s->m);
	free(s->table);
	free(s->heap);
	free(s->alias);
	free(s->prob);
	memset(s, 0, sizeof(*s));
}

/*
 * Maglev (Eisenbud et al., NSDI 2016), weighted: every member walks its
 * own permutation of the table, taking the next free entry, weight turns
 * per round. A member's permutation depends only on its address, so
 * adding or removing one member moves about 1/N of the entries.
 */
static void
pool_build_maglev(struct pool_set *s)
{
	uint64_t	*offset, *skip, *next, h;
	size_t		 i, k, filled = 0, want = 512 * s->n, m;
	uint32_t	 c;

	for (k = 0; k + 1 < sizeof(pool_primes) / sizeof(pool_primes[0]) &&
	    pool_primes[k] < want; k++)
		;
	m = s->tsize = pool_primes[k];
	s->table = xcalloc(m, sizeof(*s->table));
	offset = xcalloc(s->n, sizeof(*offset));
	skip = xcalloc(s->n, sizeof(*skip));
	next = xcalloc(s->n, sizeof(*next));
	for (i = 0; i < s->n; i++) {
		h = pool_hash_bytes(&s->m[i]->key, sizeof(s->m[i]->key), 1);
		offset[i] = h % m;
		h = pool_hash_bytes(&s->m[i]->key, sizeof(s->m[i]->key), 2);
		skip[i] = h % (m - 1) + 1;
	}
	for (c = 0; c < m; c++)
		s->table[c] = UINT32_MAX;
	while (filled < m) {
		for (i = 0; i < s->n && filled < m; i++) {
			for (k = 0; k < s->m[i]->weight && filled < m; k++) {
				do {
					c = (uint32_t)((offset[i] + next[i] *
					    skip[i]) % m);
					next[i]++;
				} while (s->table[c] != UINT32_MAX);
				s->table[c] = (uint32_t)i;
				filled++;
			}
		}
	}
	free(offset);
	free(skip);
	free(next);
}

/* Vose's alias method: a weighted draw in O(1). */
static void
pool_build_alias(struct pool_set *s)
{
	size_t	*small, *large, ns = 0, nl = 0, i, a, b;
	double	 total = 0;

	s->alias = xcalloc(s->n, sizeof(*s->alias));
	s->prob = xcalloc(s->n, sizeof(*s->prob));
	small = xcalloc(s->n, sizeof(*small));
	large = xcalloc(s->n, sizeof(*large));
	for (i = 0; i < s->n; i++)
		total += s->m[i]->weight;
	for (i = 0; i < s->n; i++) {
		s->prob[i] = s->m[i]->weight * (double)s->n / total;
		if (s->prob[i] < 1.0)
			small[ns++] = i;
		else
			large[nl++] = i;
	}
	while (ns > 0 && nl > 0) {
		a = small[--ns];
		b = large[nl - 1];
		s->alias[a] = (uint32_t)b;
		s->prob[b] -= 1.0 - s->prob[a];
		if (s->prob[b] < 1.0) {
			nl--;
			small[ns++] = b;
		}
	}
	while (nl > 0)
		s->prob[large[--nl]] = 1.0;
	while (ns > 0)
		s->prob[small[--ns]] = 1.0;
	free(small);
	free(large);
}

static void
pool_rebuild(struct pool *p)
{
	struct pool_set	*s;
	struct upstream	*u;
	size_t		 i, k;

	for (k = 0; k < 2; k++)
		pool_set_clear(&p->set[k]);
	for (k = 0; k < 2; k++) {
		s = &p->set[k];
		s->m = xcalloc(p->nmembers + 1, sizeof(*s->m));
		s->heap = xcalloc(p->nmembers + 1, sizeof(*s->heap));
		for (i = 0; i < p->nmembers; i++) {
			u = p->members[i];
			if (!u->down && (u->backup != 0) == (k == 1))
				s->m[s->n++] = u;
		}
		if (s->n == 0)
			continue;
		if (p->balance == POOL_HASH)
			pool_build_maglev(s);
		if (p->balance == POOL_RANDOM)
			pool_build_alias(s);
		if (p->balance == POOL_LEAST_SESSIONS)
			for (i = 0; i < s->n; i++)
				if (!s->m[i]->failed && !s->m[i]->checked_down)
					pool_heap_insert(s, s->m[i]);
	}
}

/* --- members ---------------------------------------------------------- */

static struct upstream *
pool_member_new(const struct addr *a, size_t member)
{
	struct upstream	*u;

	u = xcalloc(1, sizeof(*u));
	u->addr = *a;
	addr_key_make(&u->key, (const struct sockaddr *)&a->ss);
	u->member = member;
	u->heap = POOL_NOWHERE;
	u->downq = POOL_NOWHERE;
	hist_init(&u->latency, POOL_LATENCY_SHIFT);
	return u;
}

static void
pool_failq_remove(struct pool *p, struct upstream *u)
{
	size_t	i = u->downq;

	if (i == POOL_NOWHERE)
		return;
	u->downq = POOL_NOWHERE;
	if (i != --p->nfailq) {
		p->failq[i] = p->failq[p->nfailq];
		p->failq[i]->downq = i;
	}
}

/* One wanted address of the new member list. */
struct pool_want {
	struct addr_key		 key;
	const struct addr	*addr;
	size_t			 member;
	size_t			 order;
	int			 dup;
};

static int
pool_want_cmp(const void *x, const void *y)
{
	const struct pool_want	*a = *(struct pool_want *const *)x;
	const struct pool_want	*b = *(struct pool_want *const *)y;
	int			 c = memcmp(&a->key, &b->key, sizeof(a->key));

	return c != 0 ? c : (a->order > b->order) - (a->order < b->order);
}

static int
pool_member_cmp(const void *x, const void *y)
{
	const struct upstream	*a = *(struct upstream *const *)x;
	const struct upstream	*b = *(struct upstream *const *)y;

	return memcmp(&a->key, &b->key, sizeof(a->key));
}

/*
 * Makes the members exactly want[] (in its order, each address once: the
 * first wins). Members whose address is still wanted stay the same
 * objects, so their sessions and health survive; the others move to the
 * removed list. Returns how many were removed. O(n log n).
 */
static size_t
pool_sync(struct pool *p, struct pool_want *want, size_t nwant)
{
	struct upstream		**old, **members, *u, **hit, probe, *pp;
	struct pool_want	**byk;
	const struct member_conf *mc;
	size_t			  i, nold = p->nmembers, n = 0, nrm = 0;

	byk = xcalloc(nwant + 1, sizeof(*byk));
	for (i = 0; i < nwant; i++) {
		want[i].order = i;
		want[i].dup = 0;
		byk[i] = &want[i];
	}
	qsort(byk, nwant, sizeof(*byk), pool_want_cmp);
	for (i = 1; i < nwant; i++)
		if (memcmp(&byk[i]->key, &byk[i - 1]->key,
		    sizeof(byk[i]->key)) == 0)
			byk[i]->dup = 1;
	free(byk);
	old = p->members;
	/* A new pool has no array yet: qsort and bsearch want one. */
	if (nold > 0)
		qsort(old, nold, sizeof(*old), pool_member_cmp);
	members = xcalloc(nwant + 1, sizeof(*members));
	pp = &probe;
	for (i = 0; i < nwant; i++) {
		if (want[i].dup)
			continue;
		probe.key = want[i].key;
		hit = nold == 0 ? NULL : bsearch(&pp, old, nold, sizeof(*old),
		    pool_member_cmp);
		if (hit != NULL) {
			u = *hit;
			u->removed = -1;	/* claimed */
		} else
			u = pool_member_new(want[i].addr, want[i].member);
		u->member = want[i].member;
		mc = &p->conf->members[u->member];
		u->weight = mc->weight;
		u->backup = mc->backup;
		u->down = mc->down;
		u->label = mc->address;
		members[n++] = u;
	}
	for (i = 0; i < nold; i++) {
		u = old[i];
		if (u->removed == -1) {
			u->removed = 0;
			continue;
		}
		u->removed = 1;
		pool_failq_remove(p, u);
		p->removed = xreallocarray(p->removed, p->nremoved + 1,
		    sizeof(*p->removed));
		p->removed[p->nremoved++] = u;
		nrm++;
	}
	free(old);
	p->members = members;
	p->nmembers = n;
	pool_rebuild(p);
	return nrm;
}

/* Every address of every configured member, in order. */
static struct pool_want *
pool_want_conf(const struct pool_conf *pc, size_t *nwant)
{
	struct pool_want	*want;
	size_t			 i, j, n = 0;

	for (i = 0; i < pc->nmembers; i++)
		n += pc->members[i].naddrs;
	want = xcalloc(n + 1, sizeof(*want));
	n = 0;
	for (i = 0; i < pc->nmembers; i++)
		for (j = 0; j < pc->members[i].naddrs; j++) {
			want[n].addr = &pc->members[i].addrs[j];
			addr_key_make(&want[n].key,
			    (const struct sockaddr *)&want[n].addr->ss);
			want[n].member = i;
			n++;
		}
	*nwant = n;
	return want;
}

struct pool *
pool_new(const struct pool_conf *pc)
{
	struct pool	*p;
	uint64_t	 seed;

	p = xcalloc(1, sizeof(*p));
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)p;
	pool_seed(p, seed);
	pool_apply(p, pc);
	return p;
}

/*
 * Moves the pool to a new configuration. Members whose address is still
 * in it keep their sessions and health, whatever else changed (weight,
 * backup, balance); the rest are marked removed and returned by count:
 * the caller closes their sessions, then calls pool_collect.
 */
size_t
pool_apply(struct pool *p, const struct pool_conf *pc)
{
	struct pool_want	*want;
	size_t			 nwant, nrm;

	p->conf = pc;
	p->balance = pc->balance;
	p->max_fails = pc->max_fails;
	p->fail_timeout_ms = pc->fail_timeout_ms;
	want = pool_want_conf(pc, &nwant);
	nrm = pool_sync(p, want, nwant);
	free(want);
	return nrm;
}

/*
 * Replaces the addresses that configured member m stands for (a name
 * re-resolved): addresses it keeps stay the same members, new ones join
 * with m's weight and flags, dropped ones are marked removed and
 * counted, as for pool_apply.
 */
size_t
pool_set_addrs(struct pool *p, size_t m, const struct addr *addrs, size_t n)
{
	struct pool_want	*want;
	size_t			 i, nwant = 0, nrm;

	if (m >= p->conf->nmembers)
		return 0;
	want = xcalloc(p->nmembers + n + 1, sizeof(*want));
	/* Other members' addresses, then m's new set where m's were. */
	for (i = 0; i < p->nmembers; i++) {
		if (p->members[i]->member == m)
			continue;
		want[nwant].addr = &p->members[i]->addr;
		want[nwant].key = p->members[i]->key;
		want[nwant].member = p->members[i]->member;
		nwant++;
	}
	for (i = 0; i < n; i++) {
		want[nwant].addr = &addrs[i];
		addr_key_make(&want[nwant].key,
		    (const struct sockaddr *)&addrs[i].ss);
		want[nwant].member = m;
		nwant++;
	}
	nrm = pool_sync(p, want, nwant);
	free(want);
	return nrm;
}

/* The live member with address a, or NULL. O(n): for adoption only. */
struct upstream *
pool_find(const struct pool *p, const struct addr *a)
{
	struct addr_key	k;
	size_t		i;

	addr_key_make(&k, (const struct sockaddr *)&a->ss);
	for (i = 0; i < p->nmembers; i++)
		if (addr_key_equal(&p->members[i]->key, &k))
			return p->members[i];
	return NULL;
}

/* Frees the removed members; none may have a session left. */
void
pool_collect(struct pool *p)
{
	size_t	i;

	for (i = 0; i < p->nremoved; i++)
		free(p->removed[i]);
	free(p->removed);
	p->removed = NULL;
	p->nremoved = 0;
}

void
pool_free(struct pool *p)
{
	size_t	i;

	if (p == NULL)
		return;
	pool_collect(p);
	for (i = 0; i < 2; i++)
		pool_set_clear(&p->set[i]);
	for (i = 0; i < p->nmembers; i++)
		free(p->members[i]);
	free(p->members);
	free(p->failq);
	free(p);
}

/* --- health ------------------------------------------------------------ */

/* A pool of one member never goes down (nginx: max_fails is ignored). */
static int
pool_single(const struct pool *p)
{
	return p->nmembers == 1;
}

int
pool_usable(const struct pool *p, const struct upstream *u, uint64_t now)
{
	(void)p;
	return !u->down && !u->removed && !u->checked_down &&
	    (!u->failed || now >= u->down_until_ms);
}

/* u's fail_timeout is over: it takes sessions again. */
static void
pool_recover(struct pool *p, struct upstream *u)
{
	u->failed = 0;
	u->fails = 0;
	pool_failq_remove(p, u);
	if (p->balance == POOL_LEAST_SESSIONS && !u->down && !u->checked_down)
		pool_heap_insert(&p->set[u->backup ? 1 : 0], u);
}

/* Failed members whose fail_timeout is over take sessions again. */
static void
pool_refresh(struct pool *p, uint64_t now)
{
	struct upstream	*u;
	size_t		 i = 0;

	while (i < p->nfailq) {
		u = p->failq[i];
		if (now < u->down_until_ms) {
			i++;
			continue;
		}
		pool_recover(p, u);
	}
}

/*
 * Counts a failure of u (a refusal, a send error, a reply that did not
 * come). max_fails of them within fail_timeout make u unusable for
 * fail_timeout. Returns 1 when this failure took u down.
 */
int
pool_fail(struct pool *p, struct upstream *u, uint64_t now)
{
	u->stats.fails++;
	/* Back up by time but not yet seen by a pick: it counts afresh. */
	if (u->failed && now >= u->down_until_ms)
		pool_recover(p, u);
	if (u->removed || u->failed || p->max_fails == 0 || pool_single(p))
		return 0;
	if (u->fails == 0 || now - u->fail_since_ms >= p->fail_timeout_ms) {
		u->fails = 0;
		u->fail_since_ms = now;
	}
	if (++u->fails < p->max_fails)
		return 0;
	u->failed = 1;
	u->stats.passive_downs++;
	u->down_until_ms = now + p->fail_timeout_ms;
	u->downq = p->nfailq;
	p->failq = xreallocarray(p->failq, p->nfailq + 1, sizeof(*p->failq));
	p->failq[p->nfailq++] = u;
	pool_heap_remove(&p->set[u->backup ? 1 : 0], u);
	return 1;
}

/* A reply came: the failures counted so far are forgiven. */
void
pool_success(struct pool *p, struct upstream *u)
{
	(void)p;
	if (!u->failed)
		u->fails = 0;
}

/*
 * Active health: a member the checks mark down takes no new session (and
 * sessions pinned to it move), until they mark it up again.
 */
void
pool_set_checked(struct pool *p, struct upstream *u, int down)
{
	if (u->checked_down == down)
		return;
	u->checked_down = down;
	if (p->balance != POOL_LEAST_SESSIONS || u->down || u->removed)
		return;
	if (down)
		pool_heap_remove(&p->set[u->backup ? 1 : 0], u);
	else if (!u->failed)
		pool_heap_insert(&p->set[u->backup ? 1 : 0], u);
}

void
pool_attach(struct pool *p, struct upstream *u)
{
	u->sessions++;
	u->seq = ++p->seq;
	if (u->heap != POOL_NOWHERE)
		pool_heap_fix(&p->set[u->backup ? 1 : 0], u->heap);
}

void
pool_detach(struct pool *p, struct upstream *u)
{
	if (u->sessions > 0)
		u->sessions--;
	if (u->heap != POOL_NOWHERE)
		pool_heap_fix(&p->set[u->backup ? 1 : 0], u->heap);
}

/* --- balancers ---------------------------------------------------------- */

/* nginx's smooth weighted round robin over the usable members: O(n). */
static struct upstream *
pool_pick_rr(struct pool *p, struct pool_set *s, uint64_t now)
{
	struct upstream	*best = NULL, *u;
	int64_t		 total = 0;
	size_t		 i;

	for (i = 0; i < s->n; i++) {
		u = s->m[i];
		if (!pool_usable(p, u, now))
			continue;
		u->current += u->weight;
		total += u->weight;
		if (best == NULL || u->current > best->current)
			best = u;
	}
	if (best != NULL)
		best->current -= total;
	return best;
}

/*
 * The client's entry of the Maglev table; when its member is not usable,
 * the next entries in table order (which interleave every member) spread
 * its clients over the others, while everyone else's stay put.
 */
static struct upstream *
pool_pick_hash(struct pool *p, struct pool_set *s, const struct addr_key *k,
    uint64_t now)
{
	struct upstream	*u;
	size_t		 i, c;

	c = (size_t)(pool_client_hash(k) % s->tsize);
	for (i = 0; i < s->tsize; i++) {
		u = s->m[s->table[c]];
		if (pool_usable(p, u, now))
			return u;
		if (++c == s->tsize)
			c = 0;
	}
	return NULL;
}

static struct upstream *
pool_draw(struct pool *p, struct pool_set *s)
{
	uint64_t	r = pool_random(p);
	size_t		i = (size_t)((r >> 11) % s->n);
	double		f = (double)(r & 0x7ff) / 2048.0;

	return f < s->prob[i] ? s->m[i] : s->m[s->alias[i]];
}

/* Two weighted draws, the one with fewer sessions per weight wins. */
static struct upstream *
pool_pick_random(struct pool *p, struct pool_set *s, uint64_t now)
{
	struct upstream	*a, *b;
	size_t		 i, start;
	int		 tries;

	for (tries = 0; tries < 8; tries++) {
		a = pool_draw(p, s);
		b = pool_draw(p, s);
		if (!pool_usable(p, a, now))
			a = NULL;
		if (!pool_usable(p, b, now))
			b = NULL;
		if (a != NULL && b != NULL)
			return pool_less(b, a) ? b : a;
		if (a != NULL || b != NULL)
			return a != NULL ? a : b;
	}
	/* Most members are down: look at each once. */
	start = (size_t)(pool_random(p) % s->n);
	for (i = 0; i < s->n; i++)
		if (pool_usable(p, s->m[(start + i) % s->n], now))
			return s->m[(start + i) % s->n];
	return NULL;
}

static struct upstream *
pool_pick_set(struct pool *p, struct pool_set *s, const struct addr_key *k,
    uint64_t now)
{
	if (s->n == 0)
		return NULL;
	switch (p->balance) {
	case POOL_HASH:
		return pool_pick_hash(p, s, k, now);
	case POOL_LEAST_SESSIONS:
		return s->nheap > 0 ? s->heap[0] : NULL;
	case POOL_RANDOM:
		return pool_pick_random(p, s, now);
	case POOL_ROUND_ROBIN:
	default:
		return pool_pick_rr(p, s, now);
	}
}

/*
 * The member a new session of client k goes to: a usable primary, else a
 * usable backup, else NULL. The caller pins the session with pool_attach.
 */
struct upstream *
pool_pick(struct pool *p, const struct addr_key *k, uint64_t now)
{
	struct upstream	*u;

	if (p->nfailq > 0)
		pool_refresh(p, now);
	if ((u = pool_pick_set(p, &p->set[0], k, now)) != NULL)
		return u;
	return pool_pick_set(p, &p->set[1], k, now);
}

/* --- configuration ------------------------------------------------------ */

static int
pool_addr_cmp(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct addr_key));
}

static struct addr_key *
pool_conf_keys(const struct pool_conf *pc, size_t *n)
{
	struct addr_key	*k;
	size_t		 i, j, m = 0, out = 0;

	for (i = 0; i < pc->nmembers; i++)
		m += pc->members[i].naddrs;
	k = xcalloc(m + 1, sizeof(*k));
	for (i = 0; i < pc->nmembers; i++)
		for (j = 0; j < pc->members[i].naddrs; j++)
			addr_key_make(&k[out++], (const struct sockaddr *)
			    &pc->members[i].addrs[j].ss);
	qsort(k, out, sizeof(*k), pool_addr_cmp);
	/* Unique. */
	for (i = 0, m = 0; i < out; i++)
		if (m == 0 || memcmp(&k[m - 1], &k[i], sizeof(*k)) != 0)
			k[m++] = k[i];
	*n = m;
	return k;
}

/* Whether two pools stand for the same set of addresses. */
int
pool_conf_same_addrs(const struct pool_conf *a, const struct pool_conf *b)
{
	struct addr_key	*ka, *kb;
	size_t		 na, nb;
	int		 same;

	ka = pool_conf_keys(a, &na);
	kb = pool_conf_keys(b, &nb);
	same = na == nb && memcmp(ka, kb, na * sizeof(*ka)) == 0;
	free(ka);
	free(kb);
	return same;
}

/*
 * Whether two pools are configured identically: members in order, with
 * the same weights and flags, standing for the same addresses however
 * they are written.
 */
int
pool_conf_same(const struct pool_conf *a, const struct pool_conf *b)
{
	const struct member_conf	*x, *y;
	struct addr_key			 kx, ky;
	size_t				 i, j;

	if (a->nmembers != b->nmembers || a->balance != b->balance ||
	    a->max_fails != b->max_fails ||
	    a->fail_timeout_ms != b->fail_timeout_ms)
		return 0;
	for (i = 0; i < a->nmembers; i++) {
		x = &a->members[i];
		y = &b->members[i];
		if (x->weight != y->weight || x->backup != y->backup ||
		    x->down != y->down || x->naddrs != y->naddrs)
			return 0;
		for (j = 0; j < x->naddrs; j++) {
			addr_key_make(&kx,
			    (const struct sockaddr *)&x->addrs[j].ss);
			addr_key_make(&ky,
			    (const struct sockaddr *)&y->addrs[j].ss);
			if (!addr_key_equal(&kx, &ky))
				return 0;
		}
	}
	return 1;
}

void
pool_conf_free(struct pool_conf *pc)
{
	size_t	i;

	for (i = 0; i < pc->nmembers; i++) {
		free(pc->members[i].address);
		free(pc->members[i].host);
		free(pc->members[i].addrs);
	}
	free(pc->members);
	pc->members = NULL;
	pc->nmembers = 0;
}
