#include "autoconf.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limit.h"
#include "sessmap.h"
#include "xmalloc.h"

_Static_assert(sizeof(struct limit_key) % 8 == 0, "limit_key not 8-aligned");

/* The smallest bytes_rate bucket: one datagram of any size can pass. */
#define LIMIT_BYTES_BURST_MIN	65535

void
limit_bucket_init(struct limit_bucket *b, uint64_t burst, uint64_t now)
{
	b->units = (int64_t)(burst * LIMIT_SCALE);
	b->last_ms = now;
}

void
limit_bucket_refill(struct limit_bucket *b, uint64_t rate, uint64_t burst,
    uint64_t now)
{
	int64_t		cap = (int64_t)(burst * LIMIT_SCALE);
	uint64_t	elapsed, need;

	if (now <= b->last_ms) {
		if (b->units > cap)
			b->units = cap;
		return;
	}
	elapsed = now - b->last_ms;
	b->last_ms = now;
	if (b->units >= cap) {
		b->units = cap;	/* a reload may lower the burst */
		return;
	}
	need = (uint64_t)(cap - b->units);
	/* Compared before multiplying: elapsed * rate must not overflow. */
	if (rate == 0)
		return;
	if (elapsed >= need / rate + 1)
		b->units = cap;
	else if (elapsed * rate >= need)
		b->units = cap;
	else
		b->units += (int64_t)(elapsed * rate);
}

int
limit_bucket_take(struct limit_bucket *b, uint64_t rate, uint64_t burst,
    uint64_t cost, uint64_t now)
{
	int64_t	c = (int64_t)(cost * LIMIT_SCALE);

	limit_bucket_refill(b, rate, burst, now);
	if (b->units < c)
		return 0;
	b->units -= c;
	return 1;
}

int
limit_bucket_debit(struct limit_bucket *b, uint64_t rate, uint64_t burst,
    uint64_t cost, uint64_t now)
{
	limit_bucket_refill(b, rate, burst, now);
	if (b->units < 0)
		return 0;
	b->units -= (int64_t)(cost * LIMIT_SCALE);
	return 1;
}

uint64_t
limit_bucket_wait_ms(const struct limit_bucket *b, uint64_t rate)
{
	uint64_t	debt;

	if (b->units >= 0 || rate == 0)
		return 0;
	debt = (uint64_t)(-b->units);
	return (debt + rate - 1) / rate;
}

struct limit_table *
limit_table_new(uint32_t size, unsigned int prefix4, unsigned int prefix6)
{
	struct limit_table	*t;
	uint32_t		 i, nb = 1;

	if (size == 0)
		size = 1;
	while (nb < size && nb < (UINT32_C(1) << 31))
		nb <<= 1;
	t = xcalloc(1, sizeof(*t));
	t->entry = xcalloc(size, sizeof(*t->entry));
	t->bucket = xcalloc(nb, sizeof(*t->bucket));
	for (i = 0; i < nb; i++)
		t->bucket[i] = LIMIT_NONE;
	for (i = 0; i < size; i++)
		t->entry[i].next = i + 1 < size ? i + 1 : LIMIT_NONE;
	t->mask = nb - 1;
	t->size = size;
	t->free_head = 0;
	t->lru_head = t->lru_tail = LIMIT_NONE;
	t->prefix4 = prefix4;
	t->prefix6 = prefix6;
	sessmap_seed(t->seed);
	return t;
}

void
limit_table_free(struct limit_table *t)
{
	if (t == NULL)
		return;
	free(t->entry);
	free(t->bucket);
	free(t);
}

size_t
limit_table_bytes(const struct limit_table *t)
{
	return sizeof(*t) + (size_t)t->size * sizeof(*t->entry) +
	    ((size_t)t->mask + 1) * sizeof(*t->bucket);
}

static void
limit_mask(uint8_t *a, unsigned int bits, unsigned int len)
{
	unsigned int	i;

	for (i = 0; i < len / 8; i++) {
		if (bits >= 8)
			bits -= 8;
		else {
			a[i] &= (uint8_t)(0xff << (8 - bits));
			bits = 0;
		}
	}
}

void
limit_key_make(const struct limit_table *t, struct limit_key *k,
    const struct addr_key *a)
{
	uint32_t	a4;

	memset(k, 0, sizeof(*k));
	k->family = a->family;
	if (a->family == AF_INET) {
		memcpy(&a4, a->addr, sizeof(a4));
		a4 = ntohl(a4);
		a4 = t->prefix4 == 0 ? 0 : a4 & ~UINT32_C(0) <<
		    (32 - t->prefix4);
		a4 = htonl(a4);
		memcpy(k->addr, &a4, sizeof(a4));
	} else {
		memcpy(k->addr, a->addr, 16);
		limit_mask(k->addr, t->prefix6, 128);
	}
}

/*
 * An IPv4 source hashes as 8 bytes (one SipHash round), others as the
 * whole key; lookups compare the whole key either way.
 */
static uint64_t
limit_hash(const struct limit_table *t, const struct limit_key *k)
{
	uint64_t	packed;
	uint32_t	a4;

	if (k->family == AF_INET) {
		memcpy(&a4, k->addr, sizeof(a4));
		packed = (uint64_t)AF_INET << 32 | a4;
		return sessmap_siphash(t->seed, &packed, sizeof(packed));
	}
	return sessmap_siphash(t->seed, k, sizeof(*k));
}

static void
limit_lru_unlink(struct limit_table *t, uint32_t i)
{
	struct limit_entry	*e = &t->entry[i];

	if (e->prev != LIMIT_NONE)
		t->entry[e->prev].next = e->next;
	else
		t->lru_head = e->next;
	if (e->next != LIMIT_NONE)
		t->entry[e->next].prev = e->prev;
	else
		t->lru_tail = e->prev;
	e->prev = e->next = LIMIT_NONE;
}

static void
limit_lru_append(struct limit_table *t, uint32_t i)
{
	struct limit_entry	*e = &t->entry[i];

	e->next = LIMIT_NONE;
	e->prev = t->lru_tail;
	if (t->lru_tail != LIMIT_NONE)
		t->entry[t->lru_tail].next = i;
	else
		t->lru_head = i;
	t->lru_tail = i;
}

static void
limit_hash_unlink(struct limit_table *t, uint32_t i)
{
	uint32_t	*pp;
	uint64_t	 h;

	h = limit_hash(t, &t->entry[i].key);
	for (pp = &t->bucket[h & t->mask]; *pp != LIMIT_NONE;
	    pp = &t->entry[*pp].hnext) {
		if (*pp == i) {
			*pp = t->entry[i].hnext;
			return;
		}
	}
}

static uint32_t
limit_search(const struct limit_table *t, const struct limit_key *k,
    uint64_t h)
{
	uint32_t	i;

	for (i = t->bucket[h & t->mask]; i != LIMIT_NONE;
	    i = t->entry[i].hnext)
		if (memcmp(&t->entry[i].key, k, sizeof(*k)) == 0)
			return i;
	return LIMIT_NONE;
}

uint32_t
limit_lookup(const struct limit_table *t, const struct addr_key *a)
{
	struct limit_key	k;

	limit_key_make(t, &k, a);
	return limit_search(t, &k, limit_hash(t, &k));
}

uint32_t
limit_find(struct limit_table *t, const struct addr_key *a, uint64_t now)
{
	struct limit_key	 k;
	struct limit_entry	*e;
	uint64_t		 h;
	uint32_t		 i;

	limit_key_make(t, &k, a);
	h = limit_hash(t, &k);
	if ((i = limit_search(t, &k, h)) != LIMIT_NONE) {
		e = &t->entry[i];
		e->seen_ms = now;
		if (e->sessions == 0 && i != t->lru_tail) {
			limit_lru_unlink(t, i);
			limit_lru_append(t, i);
		}
		return i;
	}
	if ((i = t->free_head) != LIMIT_NONE) {
		t->free_head = t->entry[i].next;
		t->count++;
	} else if ((i = t->lru_head) != LIMIT_NONE) {
		/* The least recently seen source without sessions goes. */
		limit_lru_unlink(t, i);
		limit_hash_unlink(t, i);
		t->evictions++;
	} else
		return LIMIT_NONE;
	e = &t->entry[i];
	memset(e, 0, sizeof(*e));
	e->key = k;
	e->seen_ms = now;
	e->window_ms = now;
	/* Full buckets: refill clamps them to the configured burst. */
	limit_bucket_init(&e->dgrams, UINT32_MAX, now);
	limit_bucket_init(&e->bytes, UINT32_MAX, now);
	e->hnext = t->bucket[h & t->mask];
	t->bucket[h & t->mask] = i;
	limit_lru_append(t, i);
	return i;
}

void
limit_session_add(struct limit_table *t, uint32_t i)
{
	if (t->entry[i].sessions++ == 0)
		limit_lru_unlink(t, i);
}

void
limit_session_del(struct limit_table *t, uint32_t i)
{
	if (t->entry[i].sessions == 0)
		return;
	if (--t->entry[i].sessions == 0)
		limit_lru_append(t, i);
}

int
limit_blocked(const struct limit_table *t, uint32_t i, uint64_t now)
{
	return t->entry[i].blocked_until > now;
}

int
limit_conf_active(const struct limit_conf *lc)
{
	return lc->sessions != 0 || lc->rate != 0 || lc->bytes_rate != 0;
}

enum limit_verdict
limit_check(struct limit_table *t, uint32_t i, const struct limit_conf *lc,
    size_t len, uint64_t now)
{
	struct limit_entry	*e = &t->entry[i];
	uint64_t		 burst, bburst;

	if (e->blocked_until != 0) {
		if (now < e->blocked_until)
			return LIMIT_BLOCKED;
		e->blocked_until = 0;
		e->window_ms = now;
		e->window_count = 0;
	}
	if (lc->block_threshold != 0 && lc->rate != 0) {
		if (now - e->window_ms >= 1000) {
			e->window_ms = now;
			e->window_count = 0;
		}
		/* Offered load, dropped datagrams included. */
		if (++e->window_count >
		    (uint64_t)lc->block_threshold * lc->rate) {
			e->blocked_until = now +
			    (uint64_t)lc->block_seconds * 1000;
			e->window_count = 0;
			return LIMIT_BLOCK_START;
		}
	}
	if (lc->rate != 0) {
		burst = lc->burst != 0 ? lc->burst : lc->rate;
		if (!limit_bucket_take(&e->dgrams, lc->rate, burst, 1, now))
			return LIMIT_RATE;
	}
	if (lc->bytes_rate != 0) {
		bburst = lc->bytes_rate > LIMIT_BYTES_BURST_MIN ?
		    lc->bytes_rate : LIMIT_BYTES_BURST_MIN;
		if (!limit_bucket_take(&e->bytes, lc->bytes_rate, bburst, len,
		    now))
			return LIMIT_RATE;
	}
	return LIMIT_PASS;
}

const char *
limit_key_format(const struct limit_table *t, const struct limit_key *k,
    char *buf, size_t len)
{
	char	a[INET6_ADDRSTRLEN];

	if (inet_ntop(k->family == AF_INET ? AF_INET : AF_INET6, k->addr, a,
	    sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a,
	    k->family == AF_INET ? t->prefix4 : t->prefix6);
	return buf;
}
