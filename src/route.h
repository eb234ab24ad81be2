/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * A running route: its listener, its session map and idle queue, its
 * counters. The object outlives reloads that keep its listen address, so
 * sessions can keep pointing at it while only route->conf moves. With
 * several workers a configured route runs as one such object on each,
 * chained by sibling from the one on worker 0, each with its own
 * SO_REUSEPORT listener and sessions; figures are summed over the chain.
 */
#ifndef UDPROXY_ROUTE_H
#define UDPROXY_ROUTE_H

#include <sys/queue.h>
#include <stdint.h>

#include "guard.h"
#include "accesslog.h"
#include "hist.h"
#include "log.h"
#include "session.h"
#include "sessmap.h"
#include "stats.h"
#include "worker.h"

struct event;
struct listener;
struct monitor;
struct route_conf;
struct pool;
struct session;
struct upstream;
struct addr;
struct addr_key;
struct worker;

TAILQ_HEAD(session_q, session);

/* Listener batches (of RXBATCH_MAX) read per wake-up, at most. */
#define ROUTE_DRAIN_BATCHES	64
/*
 * Sessions set up (or moved to another upstream) per wake-up before the
 * drain yields to the other ready sockets, checked after each batch: a
 * set-up costs 10-20 us of kernel work (socket, connect, epoll_ctl), so
 * a burst of new clients holds the other sessions' replies back by a few
 * ms, not by 4096 set-ups.
 */
#define ROUTE_DRAIN_SESSIONS	256
/* Histogram bounds: latency from 16 us, session lifetimes from 16 ms. */
#define ROUTE_LATENCY_SHIFT	4
#define ROUTE_DURATION_SHIFT	4

struct route {
	struct worker		*worker;	/* what it runs on */
	struct route		*sibling;	/* the same route, next worker */
	const struct route_conf	*conf;
	struct session_count	*count;		/* of every worker's instance */
	struct session_count	 own_count;	/* count, on the first */
	int			 count_reserved; /* a slot of count */
	struct listener		*listener;
	struct event		*ev_read;
	struct event		*ev_expire;
	struct event		*ev_retry;	/* re-adds ev_read after a failure */
	struct pool		*pool;		/* its upstreams */
	struct monitor		*monitor;	/* health checks, names */
	size_t			 nsessions;	/* live, in the map or not */
	struct sessmap		 map;
	struct session_q	 idleq;		/* least recently active first */
	struct route_stats	 stats;
	struct hist		 latency;	/* us, request to first reply */
	struct hist		 duration;	/* ms, of ended sessions */
	struct accesslog	*alog;		/* NULL: no access log */
	enum accesslog_format	 alog_format;
	struct ratelimit	 rl_refused;
	struct ratelimit	 rl_limit;
	struct ratelimit	 rl_socket;
	struct ratelimit	 rl_send;
	struct ratelimit	 rl_event;
	struct ratelimit	 rl_proxy;	/* invalid PROXY headers */
	struct guard_route	 guard;		/* per-source state (guard.c) */
	struct ratelimit	 rl_noup;
};

struct route	*route_new(struct worker *, const struct route_conf *,
		    struct listener *);
void		 route_free(struct route *);
void		 route_free_chain(struct route *);
size_t		 route_set_conf(struct route *, const struct route_conf *);
size_t		 route_set_addrs(struct route *, size_t, const struct addr *,
		    size_t);
void		 route_siblings_sync_checked(struct route *);
size_t		 route_siblings_set_addrs(struct route *, size_t,
		    const struct addr *, size_t);
struct upstream	*route_pick(struct route *, const struct addr_key *,
		    uint64_t);
void		 route_upstream_fail(struct route *, struct upstream *,
		    uint64_t);
size_t		 route_close_sessions(struct route *, enum session_end);
void		 route_schedule_expire(struct route *, uint64_t);
void		 route_format_stats(struct route *, char *, size_t);
void		 route_format_hist(struct route *, char *, size_t);
int		 route_sum_member(struct route *, size_t,
		    struct upstream_stats *, struct hist *, uint64_t);
void		 route_format_members(struct route *,
		    void (*)(const char *, void *), void *);
void		 route_event_error(struct route *, const char *, uint64_t);
void		 route_refresh_stats(struct route *);
void		 route_read_drops(struct route *);
void		 route_sum_stats(struct route *, struct route_stats *,
		    struct hist *, struct hist *);

#endif
