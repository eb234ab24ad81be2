/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * The daemon's figures as text: Prometheus text exposition format 0.0.4
 * (GET /metrics) and JSON (GET /stats), both generated from the counter
 * lists in stats.h. Pure: it formats a snapshot into an evbuffer and
 * touches no socket. A page can be made whole or in pieces of about a
 * given size (the *_step functions), so that a big one is streamed
 * without holding the loop.
 */
#ifndef UDPROXY_METRICS_H
#define UDPROXY_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "hist.h"
#include "stats.h"

struct evbuffer;

/*
 * A snapshot: copies of the figures, taken in one go, so a page can be
 * formatted afterwards (and in pieces) whatever the daemon does meanwhile.
 */
struct metrics_upstream {
	char			 label[ADDR_STRLEN];	/* "IP:port" */
	const char		*member;	/* as configured */
	size_t			 route;		/* in metrics.routes */
	int			 up;		/* takes new sessions */
	struct upstream_stats	 stats;
	struct hist		 latency;	/* microseconds */
};

struct metrics_route {
	const char		*name;
	struct route_stats	 stats;
	struct hist		 latency;	/* microseconds */
	struct hist		 duration;	/* milliseconds */
	size_t			 upstream;	/* first, in metrics.upstreams */
	size_t			 nupstreams;
};

struct metrics {
	const char			*version;
	uint64_t			 start_time;	/* Unix seconds */
	uint64_t			 reloads;
	uint64_t			 reload_failures;
	uint64_t			 generation;
	uint64_t			 session_budget;
	uint64_t			 open_fds;
	uint64_t			 access_log_lines;
	uint64_t			 access_log_dropped;
	const struct metrics_route	*routes;
	size_t				 nroutes;
	const struct metrics_upstream	*upstreams;	/* by route */
	size_t				 nupstreams;
};

/* Where a page formatted in pieces stopped; all zero to begin. */
struct metrics_cursor {
	unsigned int	section;
	size_t		desc;
	size_t		item;
	size_t		sub;
	int		headed;
};

int	metrics_prom_step(struct evbuffer *, const struct metrics *,
	    struct metrics_cursor *, size_t);
int	metrics_json_step(struct evbuffer *, const struct metrics *,
	    struct metrics_cursor *, size_t);
void	metrics_prom(struct evbuffer *, const struct metrics *);
void	metrics_json(struct evbuffer *, const struct metrics *);
void	metrics_prom_label(struct evbuffer *, const char *);
void	metrics_json_string(struct evbuffer *, const char *, size_t);
void	metrics_fixed(struct evbuffer *, uint64_t, unsigned int);

#endif
