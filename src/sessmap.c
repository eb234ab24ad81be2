/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <sys/random.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sessmap.h"
#include "xmalloc.h"

#define SESSMAP_MIN_BUCKETS	64

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/* SipHash-1-3 over a key whose size is a multiple of 8 bytes. */
uint64_t
sessmap_siphash(const uint64_t seed[2], const void *data, size_t len)
{
	uint64_t	 v0 = 0x736f6d6570736575ULL ^ seed[0];
	uint64_t	 v1 = 0x646f72616e646f6dULL ^ seed[1];
	uint64_t	 v2 = 0x6c7967656e657261ULL ^ seed[0];
	uint64_t	 v3 = 0x7465646279746573ULL ^ seed[1];
	uint64_t	 m, b = (uint64_t)len << 56;
	const uint8_t	*p = data;
	size_t		 i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, 8);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

_Static_assert(sizeof(struct sess_key) % 8 == 0, "sess_key not 8-aligned");

void
sessmap_seed(uint64_t seed[2])
{
	if (getrandom(seed, 2 * sizeof(*seed), GRND_NONBLOCK) !=
	    (ssize_t)(2 * sizeof(*seed))) {
		/* Early boot without entropy: weaker, still per-process. */
		seed[0] = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
		seed[1] = (uint64_t)(uintptr_t)seed;
	}
}

void
sessmap_init(struct sessmap *map)
{
	memset(map, 0, sizeof(*map));
	sessmap_seed(map->seed);
	map->bucket = xcalloc(SESSMAP_MIN_BUCKETS, sizeof(*map->bucket));
	map->mask = SESSMAP_MIN_BUCKETS - 1;
}

void
sessmap_free(struct sessmap *map)
{
	free(map->bucket);
	map->bucket = NULL;
	map->count = 0;
}

/*
 * The common key, an IPv4 client on a specific listener, packs into eight
 * bytes; hashing only those is a single SipHash round. Distinct keys stay
 * distinct: the full key is compared on lookup.
 */
uint64_t
sessmap_hash(const struct sessmap *map, const struct sess_key *key)
{
	uint64_t	packed;
	uint32_t	a4;

	if (key->client.family == AF_INET && key->local.family == 0) {
		memcpy(&a4, key->client.addr, sizeof(a4));
		packed = (uint64_t)key->client.port << 32 | a4;
		return sessmap_siphash(map->seed, &packed, sizeof(packed));
	}
	return sessmap_siphash(map->seed, key, sizeof(*key));
}

struct sessmap_entry *
sessmap_find(const struct sessmap *map, const struct sess_key *key,
    uint64_t hash)
{
	struct sessmap_entry	*e;

	for (e = map->bucket[hash & map->mask]; e != NULL; e = e->next)
		if (e->hash == hash &&
		    memcmp(&e->key, key, sizeof(*key)) == 0)
			return e;
	return NULL;
}

static void
sessmap_grow(struct sessmap *map)
{
	struct sessmap_entry	**nb, *e, *next;
	size_t			  i, nmask = map->mask * 2 + 1;

	nb = xcalloc(nmask + 1, sizeof(*nb));
	for (i = 0; i <= map->mask; i++) {
		for (e = map->bucket[i]; e != NULL; e = next) {
			next = e->next;
			e->next = nb[e->hash & nmask];
			nb[e->hash & nmask] = e;
		}
	}
	free(map->bucket);
	map->bucket = nb;
	map->mask = nmask;
}

/* The caller has set e->key and e->hash and knows the key is absent. */
void
sessmap_insert(struct sessmap *map, struct sessmap_entry *e)
{
	struct sessmap_entry	**head;

	if (map->count >= map->mask + 1)
		sessmap_grow(map);
	head = &map->bucket[e->hash & map->mask];
	e->next = *head;
	*head = e;
	map->count++;
}

void
sessmap_remove(struct sessmap *map, struct sessmap_entry *e)
{
	struct sessmap_entry	**pp;

	for (pp = &map->bucket[e->hash & map->mask]; *pp != NULL;
	    pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			e->next = NULL;
			map->count--;
			return;
		}
	}
}
