/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * The stats endpoint: libevent's evhttp on the main event base, serving
 * GET /metrics (Prometheus text 0.0.4), GET /stats (JSON) and
 * GET /sessions?route=NAME&limit=N (live sessions, bounded). /metrics and
 * /stats are taken as one snapshot and streamed in chunks of about
 * STATS_HTTP_CHUNK bytes, one per loop pass once the previous is written,
 * at most STATS_HTTP_MAX_STREAMS at once (503 beyond). It is one
 * more listener of the loop and must never stall forwarding, so every
 * connection is bounded: at most STATS_HTTP_MAX_CONNS at once (the
 * listener pauses at the cap), STATS_HTTP_TIMEOUT_S per read or write,
 * STATS_HTTP_LIFETIME_S at most between requests (slowloris), small
 * header and body caps,
 * GET and HEAD only; clients outside `allow` are cut at accept.
 */
#ifndef UDPROXY_STATS_HTTP_H
#define UDPROXY_STATS_HTTP_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

#define STATS_HTTP_MAX_CONNS	16
#define STATS_HTTP_TIMEOUT_S	5
#define STATS_HTTP_LIFETIME_S	30
#define STATS_HTTP_MAX_HEADERS	8192
#define STATS_HTTP_MAX_BODY	1024
#define STATS_HTTP_SESSIONS_DEFAULT	100
#define STATS_HTTP_SESSIONS_MAX		10000
#define STATS_HTTP_CHUNK	65536	/* bytes of /metrics per loop pass */
#define STATS_HTTP_MAX_STREAMS	4	/* /metrics or /stats replies at once */


struct stats_http;
struct udproxy;


struct stats_http *stats_http_open(struct udproxy *,
	    const struct stats_conf *, char *, size_t);
void	stats_http_set_conf(struct stats_http *, const struct stats_conf *);
int	stats_http_same_listen(const struct stats_http *,
	    const struct stats_conf *);
void	stats_http_free(struct stats_http *);

#endif
