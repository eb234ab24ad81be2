/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * A worker: the one thing routes and their sessions run on. It holds an
 * event base, the receive buffers its callbacks share (one loop runs on
 * one thread, so one set is enough per worker) and its share of the
 * session budget. Routes and sessions reach only their worker, never the
 * daemon context, so several workers (one per thread) can exist side by
 * side; struct udproxy owns the configuration and the workers.
 */
#ifndef UDPROXY_WORKER_H
#define UDPROXY_WORKER_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct resolve;
struct rxbatch;
struct txbatch;

struct worker {
	struct event_base	*base;
	int			 owns_base;
	struct rxbatch		*rx_listener;	/* receive buffers, */
	struct rxbatch		*rx_session;	/* sharing their data */
	struct txbatch		*tx;		/* replies of one iteration */
	size_t			 nsessions;	/* live, on every route */
	size_t			 max_sessions;	/* this worker's share */
	uint64_t		 sessions_refused; /* at max_sessions */
	struct resolve		*resolver;	/* for resolve_interval */
	uint64_t		 resolve_min_ms;
	uint64_t		 resolve_max_ms;
};

struct worker	*worker_new(struct event_base *);
void		 worker_free(struct worker *);
void		 worker_set_max_sessions(struct worker *, size_t);
int		 worker_session_room(struct worker *);
void		 worker_session_add(struct worker *);
void		 worker_session_remove(struct worker *);
size_t		 worker_budget_share(size_t, size_t, size_t);

#endif
