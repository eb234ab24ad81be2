/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * A session: one client (address, and local address on wildcard
 * listeners) of one route, with its own UDP socket connect()ed to the
 * upstream. Connecting makes the kernel pick a distinct source port, drop
 * datagrams from anyone but the upstream, and report ICMP errors.
 * A session is pinned to one pool member for life, unless that member
 * goes down: the next client datagram moves it to another.
 *
 * responses and requests (nginx's proxy_responses, proxy_requests): after
 * `requests` datagrams the session leaves the map, so the client's next
 * datagram starts a new one, and lives on only to relay replies; it ends
 * once it has relayed `responses` replies per datagram sent.
 */
#ifndef UDPROXY_SESSION_H
#define UDPROXY_SESSION_H

#include <sys/queue.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "listener.h"
#include "proxyproto.h"
#include "sessmap.h"

struct guard_pace;
struct route;
struct upstream;

/*
 * Whom a datagram with an accepted PROXY header speaks for: the header's
 * source and destination. Replies still go to its sender, the proxy in
 * front.
 */
struct sess_origin {
	union sockaddr_u	 client;
	socklen_t		 clientlen;
	union sockaddr_u	 dst;
};

/* Why a session ended: the access log's "end" field. */
enum session_end {
	SESSION_END_IDLE,		/* idle_timeout */
	SESSION_END_RELOAD,		/* its route or upstream was removed */
	SESSION_END_SHUTDOWN,
	SESSION_END_DENIED,		/* a reload's access lists deny it */
	SESSION_END_DONE		/* responses / requests fulfilled */
};

const char	*session_end_name(enum session_end);

struct session {
	struct sessmap_entry	 entry;		/* key and hash chain */
	struct route		*route;
	union sockaddr_u	 client;	/* where replies go */
	socklen_t		 clientlen;
	union sockaddr_u	 origin;	/* whom it speaks for: client,
						   or a PROXY header's source */
	socklen_t		 originlen;
	struct local_addr	 local;
	struct upstream		*up;		/* pinned for life */
	uint32_t		 nrequests;	/* datagrams sent */
	uint32_t		 nreplies;	/* replies relayed */
	int			 unbound;	/* out of the map (requests) */
	int			 fd;
	uint64_t		 last_ms;
	uint64_t		 start_ms;
	uint64_t		 req_us;	/* oldest unanswered request, 0 */
	uint64_t		 rx_datagrams;	/* client -> upstream */
	uint64_t		 rx_bytes;
	uint64_t		 tx_datagrams;	/* upstream -> client */
	uint64_t		 tx_bytes;
	TAILQ_ENTRY(session)	 idle;
	struct event		 ev;
	uint32_t		 src;		/* per_client entry (guard.c) */
	uint64_t		 req_bytes;	/* forwarded, for max_reply_ratio */
	uint64_t		 reply_bytes;
	struct guard_pace	*pace;		/* upload/download_rate state */
	uint16_t		 pp_len;	/* PROXY header still to send */
	uint16_t		 pp_size;	/* as built: sent again to a
						   new upstream */
	unsigned char		 pp_hdr[];	/* built once, at creation */
};

/*
 * What a session is apart from its socket and its place in the route: the
 * part a binary upgrade hands to the new process (upgrade.c).
 */
struct session_state {
	struct sess_key		 key;
	union sockaddr_u	 client;
	socklen_t		 clientlen;
	union sockaddr_u	 origin;
	socklen_t		 originlen;
	struct local_addr	 local;
	uint64_t		 last_ms;
	uint64_t		 start_ms;
	uint64_t		 rx_datagrams;
	uint64_t		 rx_bytes;
	uint64_t		 tx_datagrams;
	uint64_t		 tx_bytes;
	uint64_t		 req_bytes;
	uint64_t		 reply_bytes;
	struct addr		 upstream;	/* the pool member's address */
	uint32_t		 nrequests;
	uint32_t		 nreplies;
	int			 unbound;
	uint16_t		 pp_len;
	unsigned char		 pp_hdr[PROXYPROTO_SEND_MAX];
};

void		 session_export(const struct session *, struct session_state *);
struct session	*session_adopt(struct route *, int,
		    const struct session_state *);
struct session	*session_new(struct route *, const struct dgram *,
		    const struct sess_origin *, const struct sess_key *,
		    uint64_t, uint64_t);
void		 session_close(struct session *, enum session_end);
const char	*session_local_format(const struct session *, char *, size_t);
void		 session_send_run(struct session *, const unsigned char *const *,
		    const size_t *, int, uint64_t);
int		 session_send(struct session *, const void *, size_t,
		    uint64_t);
void		 session_touch(struct session *, uint64_t);
int		 session_repin(struct session *, uint64_t);
int		 session_waiting(const struct session *);

#endif
