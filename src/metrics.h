/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * The daemon's figures as text: Prometheus text exposition format 0.0.4
 * (GET /metrics) and JSON (GET /stats), both generated from the counter
 * list in stats.h. Pure: it formats a snapshot into an evbuffer and
 * touches no socket.
 */
#ifndef UDPROXY_METRICS_H
#define UDPROXY_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "stats.h"

struct evbuffer;

struct metrics_route {
	const char		*name;
	struct route_stats	 stats;
	const struct hist	*latency;	/* microseconds */
	const struct hist	*duration;	/* milliseconds */
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
};

void	metrics_prom(struct evbuffer *, const struct metrics *);
void	metrics_json(struct evbuffer *, const struct metrics *);
void	metrics_prom_label(struct evbuffer *, const char *);
void	metrics_json_string(struct evbuffer *, const char *, size_t);
void	metrics_fixed(struct evbuffer *, uint64_t, unsigned int);

#endif
