/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * The session map of a route: client (and, on wildcard listeners, local)
 * address -> session. A chained hash table whose chain links live in the
 * entry embedded in each session, so inserting allocates nothing except
 * when the table doubles. The hash is SipHash keyed per map from
 * getrandom(2): clients choose their ports and must not be able to pick
 * colliding ones. Pure: no sockets, no events.
 */
#ifndef UDPROXY_SESSMAP_H
#define UDPROXY_SESSMAP_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct sess_key {
	struct addr_key	 client;
	struct addr_key	 local;		/* zero unless the listener is a wildcard */
	struct addr_key	 peer;		/* the sender of an accepted PROXY
					   header (client is its source);
					   zero otherwise */
};

struct sessmap_entry {
	struct sessmap_entry	*next;
	uint64_t		 hash;
	struct sess_key		 key;
};

struct sessmap {
	struct sessmap_entry	**bucket;
	size_t			  mask;
	size_t			  count;
	uint64_t		  seed[2];
};

void			 sessmap_init(struct sessmap *);
/* The keyed hash and a seed for it, shared with other keyed tables. */
void			 sessmap_seed(uint64_t[2]);
uint64_t		 sessmap_siphash(const uint64_t[2], const void *,
			    size_t);
void			 sessmap_free(struct sessmap *);
uint64_t		 sessmap_hash(const struct sessmap *,
			    const struct sess_key *);
struct sessmap_entry	*sessmap_find(const struct sessmap *,
			    const struct sess_key *, uint64_t);
void			 sessmap_insert(struct sessmap *,
			    struct sessmap_entry *);
void			 sessmap_remove(struct sessmap *,
			    struct sessmap_entry *);

#endif
