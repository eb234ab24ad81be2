/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Per-route counters. The list below is the one place a counter is named:
 * the struct, the SIGUSR1 stats line, the /metrics and /stats pages and
 * the docs all follow its order. Each entry: name, kind (COUNTER only
 * goes up, GAUGE is read when asked for), and the HELP text of /metrics.
 */
#ifndef UDPROXY_STATS_H
#define UDPROXY_STATS_H

#include <stddef.h>
#include <stdint.h>

#define ROUTE_STATS(X)							\
	X(rx_datagrams, COUNTER,					\
	    "Client datagrams forwarded to the upstream")		\
	X(rx_bytes, COUNTER,						\
	    "Payload bytes forwarded from clients to the upstream")	\
	X(tx_datagrams, COUNTER,					\
	    "Upstream datagrams forwarded to clients")			\
	X(tx_bytes, COUNTER,						\
	    "Payload bytes forwarded from the upstream to clients")	\
	X(sessions_active, GAUGE,					\
	    "Sessions open now")					\
	X(sessions_created, COUNTER,					\
	    "Sessions created")						\
	X(sessions_expired, COUNTER,					\
	    "Sessions ended by idle_timeout")				\
	X(sessions_closed, COUNTER,					\
	    "Sessions ended by reload or shutdown")			\
	X(drop_oversize, COUNTER,					\
	    "Datagrams dropped: above max_datagram_size")		\
	X(drop_truncated, COUNTER,					\
	    "Datagrams dropped: larger than the 64 KiB read buffer")	\
	X(drop_session_limit, COUNTER,					\
	    "Datagrams dropped: new client while at max_sessions")	\
	X(drop_socket_error, COUNTER,					\
	    "Datagrams dropped: upstream socket() or connect() failed")	\
	X(drop_event_error, COUNTER,					\
	    "Datagrams dropped: the new session's socket could not be "	\
	    "added to the event loop")					\
	X(event_errors, COUNTER,					\
	    "Listener or timer registrations with the event loop that "	\
	    "failed (retried)")						\
	X(drop_upstream_send, COUNTER,					\
	    "Datagrams dropped: send to the upstream failed")		\
	X(drop_client_send, COUNTER,					\
	    "Datagrams dropped: send to the client failed")		\
	X(drop_proxy_oversize, COUNTER,					\
	    "Datagrams dropped: the PROXY header would pass "		\
	    "max_datagram_size")					\
	X(drop_proxy_invalid, COUNTER,					\
	    "Datagrams dropped: missing or malformed PROXY header from " \
	    "a proxy_protocol_from source")				\
	X(upstream_refused, COUNTER,					\
	    "ICMP port unreachable from the upstream")			\
	X(rx_errors, COUNTER,						\
	    "Receive errors on listener and upstream sockets")		\
	X(drop_rcvbuf, COUNTER,						\
	    "Datagrams the kernel dropped: listener receive buffer full") \
	X(drop_acl, COUNTER,						\
	    "Datagrams dropped: source denied by allow/deny")		\
	X(drop_client_sessions, COUNTER,				\
	    "Datagrams dropped: source at per_client.sessions")		\
	X(drop_client_rate, COUNTER,					\
	    "Datagrams dropped: source over per_client rate or bytes_rate") \
	X(drop_reply_ratio, COUNTER,					\
	    "Replies dropped: beyond max_reply_ratio of the request bytes") \
	X(drop_blocked, COUNTER,					\
	    "Datagrams dropped: source under a dynamic block")		\
	X(drop_rate_queue_full, COUNTER,				\
	    "Datagrams dropped: upload_rate queue of the session full")	\
	X(blocks, COUNTER,						\
	    "Dynamic blocks started")					\
	X(sessions_denied, COUNTER,					\
	    "Sessions closed by a reload whose lists deny their client") \
	X(sessions_done, COUNTER,					\
	    "Sessions ended by responses or requests")			\
	X(sessions_moved, COUNTER,					\
	    "Sessions moved off an upstream that went down")		\
	X(drop_no_upstream, COUNTER,					\
	    "Datagrams dropped: no usable upstream in the pool")	\
	X(drop_unwanted_reply, COUNTER,					\
	    "Upstream datagrams dropped: beyond responses")		\
	X(upstream_failures, COUNTER,					\
	    "Passive health failures: refusals, send errors, no reply")	\
	X(upstream_downs, COUNTER,					\
	    "Times an upstream was marked down by passive health")

/*
 * Per pool member (struct upstream), summed over a route's instances like
 * the route's own. Labelled route and upstream in /metrics, where each
 * name gets the prefix "udproxy_upstream_". Only what adds up across
 * instances lives here: the up/down state is read from the member.
 */
#define UPSTREAM_STATS(X)						\
	X(rx_datagrams, COUNTER,					\
	    "Client datagrams forwarded to this upstream")		\
	X(rx_bytes, COUNTER,						\
	    "Payload bytes forwarded from clients to this upstream")	\
	X(tx_datagrams, COUNTER,					\
	    "Datagrams from this upstream forwarded to clients")	\
	X(tx_bytes, COUNTER,						\
	    "Payload bytes from this upstream forwarded to clients")	\
	X(sessions_active, GAUGE,					\
	    "Sessions pinned to this upstream now")			\
	X(sessions_created, COUNTER,					\
	    "Sessions created on this upstream (picked for a new client)") \
	X(sessions_moved, COUNTER,					\
	    "Sessions moved off this upstream when it went down")	\
	X(send_errors, COUNTER,						\
	    "Datagrams to this upstream lost: the send failed")		\
	X(refusals, COUNTER,						\
	    "ICMP port unreachable from this upstream")			\
	X(fails, COUNTER,						\
	    "Passive health failures: refusals, send errors, no reply")	\
	X(passive_downs, COUNTER,					\
	    "Times passive health marked this upstream down "		\
	    "(max_fails within fail_timeout)")				\
	X(check_downs, COUNTER,						\
	    "Times the health checks marked this upstream down")	\
	X(check_ups, COUNTER,						\
	    "Times the health checks marked this upstream up again")

enum stats_kind {
	STATS_COUNTER,
	STATS_GAUGE
};

struct route_stats {
#define STATS_FIELD(name, kind, help)	uint64_t name;
	ROUTE_STATS(STATS_FIELD)
#undef STATS_FIELD
};

struct upstream_stats {
#define STATS_FIELD(name, kind, help)	uint64_t name;
	UPSTREAM_STATS(STATS_FIELD)
#undef STATS_FIELD
};

/* The lists as data, for the exposition formats. */
struct stats_desc {
	const char	*name;
	enum stats_kind	 kind;
	const char	*help;
	size_t		 offset;	/* in its struct */
};

extern const struct stats_desc	stats_descs[];	/* struct route_stats */
extern const size_t		stats_ndescs;
extern const struct stats_desc	stats_upstream_descs[];	/* upstream_stats */
extern const size_t		stats_upstream_ndescs;

size_t	stats_format(const struct route_stats *, char *, size_t);
size_t	stats_upstream_format(const struct upstream_stats *, char *, size_t);
uint64_t stats_get(const void *, const struct stats_desc *);
void	stats_add(struct route_stats *, const struct route_stats *);
void	stats_upstream_add(struct upstream_stats *,
	    const struct upstream_stats *);

#endif
