/*
 * Per-source limits: token buckets with exact integer refill, and the
 * bounded table of sources a route keeps for per_client limits and
 * dynamic blocks. The table is allocated whole at load (table_size
 * entries, a hash index and an LRU list threaded through the entries by
 * index): a source not seen before takes a free entry or evicts the least
 * recently seen one, so a flood of spoofed sources costs no allocation.
 * Entries of sources with live sessions are pinned (never evicted) so that
 * per-source session counts stay exact. The key is the source address
 * masked to prefix4/prefix6 bits, without the port; the hash is SipHash
 * keyed per table from getrandom(2). Time is passed in by the caller
 * (milliseconds), so the arithmetic is tested with an injected clock.
 * Pure: no sockets, no events.
 */
#ifndef UDPROXY_LIMIT_H
#define UDPROXY_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/*
 * Tokens are kept in thousandths, so one millisecond at `rate` tokens per
 * second adds exactly `rate` units: refills are exact, with no rounding.
 */
#define LIMIT_SCALE	1000

struct limit_bucket {
	int64_t		 units;	/* tokens x LIMIT_SCALE; < 0: in debt */
	uint64_t	 last_ms;
};

void	limit_bucket_init(struct limit_bucket *, uint64_t burst,
	    uint64_t now);
void	limit_bucket_refill(struct limit_bucket *, uint64_t rate,
	    uint64_t burst, uint64_t now);
/* Takes cost tokens if all are there: 1, else 0 and nothing taken. */
int	limit_bucket_take(struct limit_bucket *, uint64_t rate, uint64_t burst,
	    uint64_t cost, uint64_t now);
/*
 * Takes cost tokens unless the bucket is in debt, possibly going into
 * debt (a datagram larger than what is left still passes, and the next
 * waits longer): 1, else 0.
 */
int	limit_bucket_debit(struct limit_bucket *, uint64_t rate,
	    uint64_t burst, uint64_t cost, uint64_t now);
/* Milliseconds until a bucket in debt is out of it (0 if it is not). */
uint64_t limit_bucket_wait_ms(const struct limit_bucket *, uint64_t rate);

/* per_client and block settings of a route; 0 means off. */
struct limit_conf {
	unsigned int	 sessions;
	unsigned int	 rate;		/* datagrams/s */
	unsigned int	 burst;
	unsigned int	 bytes_rate;	/* bytes/s */
	unsigned int	 prefix4;
	unsigned int	 prefix6;
	unsigned int	 table_size;
	unsigned int	 block_threshold;	/* x rate for a second */
	unsigned int	 block_seconds;
};

#define LIMIT_NONE	UINT32_MAX	/* no entry */

struct limit_key {
	uint8_t		 family;
	uint8_t		 pad[7];
	uint8_t		 addr[16];
};

struct limit_entry {
	struct limit_key	 key;
	uint32_t		 hnext;		/* hash chain */
	uint32_t		 prev, next;	/* LRU list, or free list */
	uint32_t		 sessions;	/* live; pinned if > 0 */
	uint64_t		 seen_ms;
	struct limit_bucket	 dgrams;
	struct limit_bucket	 bytes;
	uint64_t		 window_ms;	/* 1 s block window start */
	uint64_t		 window_count;
	uint64_t		 blocked_until;	/* 0: not blocked */
};

struct limit_table {
	struct limit_entry	*entry;
	uint32_t		*bucket;
	uint32_t		 mask;
	uint32_t		 size;
	uint32_t		 count;
	uint32_t		 lru_head, lru_tail;	/* oldest, newest */
	uint32_t		 free_head;
	unsigned int		 prefix4, prefix6;
	uint64_t		 seed[2];
	uint64_t		 evictions;
};

enum limit_verdict {
	LIMIT_PASS,
	LIMIT_RATE,		/* over rate or bytes_rate */
	LIMIT_BLOCKED,		/* under a dynamic block */
	LIMIT_BLOCK_START	/* this datagram started a block */
};

struct limit_table	*limit_table_new(uint32_t size, unsigned int prefix4,
			    unsigned int prefix6);
void			 limit_table_free(struct limit_table *);
size_t			 limit_table_bytes(const struct limit_table *);
void			 limit_key_make(const struct limit_table *,
			    struct limit_key *, const struct addr_key *);
/* The source's entry, or LIMIT_NONE (no free entry and all are pinned). */
uint32_t		 limit_find(struct limit_table *,
			    const struct addr_key *, uint64_t now);
/* The entry of a source already in the table, or LIMIT_NONE. */
uint32_t		 limit_lookup(const struct limit_table *,
			    const struct addr_key *);
void			 limit_session_add(struct limit_table *, uint32_t);
void			 limit_session_del(struct limit_table *, uint32_t);
enum limit_verdict	 limit_check(struct limit_table *, uint32_t,
			    const struct limit_conf *, size_t len,
			    uint64_t now);
/* Whether the entry is blocked at now (blocks expire by themselves). */
int			 limit_blocked(const struct limit_table *, uint32_t,
			    uint64_t now);
int			 limit_conf_active(const struct limit_conf *);
/* A source prefix for logs, "192.0.2.0/24". */
const char		*limit_key_format(const struct limit_table *,
			    const struct limit_key *, char *, size_t);

#endif
