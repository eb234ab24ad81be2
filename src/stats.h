/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Per-route counters. The list below is the one place a counter is named:
 * the struct, the SIGUSR1 stats line and the docs all follow its order.
 */
#ifndef UDPROXY_STATS_H
#define UDPROXY_STATS_H

#include <stddef.h>
#include <stdint.h>

#define ROUTE_STATS(X)							\
	X(rx_datagrams)		/* client -> upstream, forwarded */	\
	X(rx_bytes)							\
	X(tx_datagrams)		/* upstream -> client, forwarded */	\
	X(tx_bytes)							\
	X(sessions_active)	/* gauge, from the session map */	\
	X(sessions_created)						\
	X(sessions_expired)	/* ended by idle_timeout */		\
	X(sessions_closed)	/* ended by reload or shutdown */	\
	X(drop_oversize)	/* above max_datagram_size */		\
	X(drop_truncated)	/* larger than udproxy's 64 KiB read buffer */	\
	X(drop_session_limit)	/* new client while at max_sessions */	\
	X(drop_socket_error)	/* upstream socket() or connect() */	\
	X(drop_upstream_send)	/* send to upstream failed */		\
	X(drop_client_send)	/* send to client failed */		\
	X(upstream_refused)	/* ICMP port unreachable */		\
	X(rx_errors)		/* listener receive errors */		\
	X(drop_rcvbuf)		/* kernel: listener receive buffer full */

struct route_stats {
#define STATS_FIELD(name)	uint64_t name;
	ROUTE_STATS(STATS_FIELD)
#undef STATS_FIELD
};

size_t	stats_format(const struct route_stats *, char *, size_t);

#endif
