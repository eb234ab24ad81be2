/*
 * Upstream pools: the members of a route's pool (one struct upstream per
 * address; a name stands for every address it resolves to), the
 * balancers that pick a member for a new session, and the passive health
 * state kept on each member. Pure: no sockets, no events, so every
 * balancer is tested directly.
 *
 * A pool has a primary set and a backup set; backups take new sessions
 * only while no primary is usable, members marked down never. A member
 * fails max_fails times within fail_timeout and is not usable for
 * fail_timeout; a pool of one member never goes down (as in nginx).
 */
#ifndef UDPROXY_POOL_H
#define UDPROXY_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "hist.h"
#include "stats.h"

#define POOL_WEIGHT_MAX		1000
#define POOL_MEMBERS_MAX	10000	/* addresses in one pool */
#define POOL_NAME_ADDRS_MAX	64	/* addresses kept for one name */
#define POOL_FAILS_DEFAULT	1
#define POOL_FAIL_TIMEOUT_MS	10000
#define POOL_LATENCY_SHIFT	4	/* from 16 us, as the route's */

enum pool_balance {
	POOL_ROUND_ROBIN,	/* smooth weighted round robin (nginx) */
	POOL_HASH,		/* consistent (Maglev) on the client address */
	POOL_LEAST_SESSIONS,	/* fewest live sessions per weight */
	POOL_RANDOM		/* weighted power of two choices */
};

/* One member as configured: "host:port", maybe several addresses. */
struct member_conf {
	char		*address;	/* as written */
	char		*host;		/* a name to resolve, or NULL */
	uint16_t	 port;		/* with host */
	struct addr	*addrs;		/* what it stands for */
	size_t		 naddrs;
	unsigned int	 weight;
	int		 backup;
	int		 down;
	int		 line;
};

struct pool_conf {
	struct member_conf	*members;
	size_t			 nmembers;
	enum pool_balance	 balance;
	unsigned int		 max_fails;	/* 0: never marked down */
	uint64_t		 fail_timeout_ms;
};

/*
 * A pool member: one address, the sessions pinned to it, its health, its
 * counters (plain increments on the hot path; read by the stats pages).
 */
struct upstream {
	struct addr	 addr;
	struct addr_key	 key;
	char		*label;		/* the member as written, for logs */
	size_t		 member;	/* which member_conf it comes from */
	unsigned int	 weight;
	int		 backup;
	int		 down;		/* configured down */
	int		 removed;	/* gone from the pool at a reload */
	int		 failed;	/* down by health until down_until */
	int		 checked_down;	/* down by active health checks */
	unsigned int	 fails;		/* within the current window */
	uint64_t	 fail_since_ms;
	uint64_t	 down_until_ms;
	size_t		 sessions;	/* live sessions pinned here */
	int64_t		 current;	/* smooth round robin */
	uint64_t	 seq;		/* last pick, breaks ties */
	size_t		 heap;		/* place in the least_sessions heap */
	size_t		 downq;		/* place in the failed list */
	struct upstream_stats stats;	/* sessions_active: see sessions */
	struct hist	 latency;	/* us, request to first reply */
};

/* Primaries or backups: the members that may take new sessions. */
struct pool_set {
	struct upstream	**m;
	size_t		  n;
	uint32_t	 *table;	/* Maglev lookup table, hash only */
	size_t		  tsize;
	struct upstream	**heap;		/* least_sessions: usable members */
	size_t		  nheap;
	uint32_t	 *alias;	/* random: Vose's alias table */
	double		 *prob;
};

struct pool {
	const struct pool_conf	 *conf;
	struct upstream		**members;	/* every live member */
	size_t			  nmembers;
	struct upstream		**removed;	/* until pool_collect */
	size_t			  nremoved;
	struct upstream		**failq;	/* failed members */
	size_t			  nfailq;
	struct pool_set		  set[2];	/* primaries, backups */
	enum pool_balance	  balance;
	unsigned int		  max_fails;
	uint64_t		  fail_timeout_ms;
	uint64_t		  seq;
	uint64_t		  rng;
};

struct pool	*pool_new(const struct pool_conf *);
void		 pool_free(struct pool *);
size_t		 pool_apply(struct pool *, const struct pool_conf *);
size_t		 pool_set_addrs(struct pool *, size_t, const struct addr *,
		    size_t);
void		 pool_collect(struct pool *);
struct upstream	*pool_find(const struct pool *, const struct addr *);
void		 pool_seed(struct pool *, uint64_t);
struct upstream	*pool_pick(struct pool *, const struct addr_key *, uint64_t);
int		 pool_usable(const struct pool *, const struct upstream *,
		    uint64_t);
void		 pool_attach(struct pool *, struct upstream *);
void		 pool_detach(struct pool *, struct upstream *);
int		 pool_fail(struct pool *, struct upstream *, uint64_t);
void		 pool_success(struct pool *, struct upstream *);
void		 pool_set_checked(struct pool *, struct upstream *, int);
int		 pool_conf_same_addrs(const struct pool_conf *,
		    const struct pool_conf *);
int		 pool_conf_same(const struct pool_conf *,
		    const struct pool_conf *);
void		 pool_conf_free(struct pool_conf *);
const char	*pool_balance_name(enum pool_balance);
int		 pool_balance_parse(const char *, enum pool_balance *);

#endif
