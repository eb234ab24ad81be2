/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * A session: one client (address, and local address on wildcard
 * listeners) of one route, with its own UDP socket connect()ed to the
 * upstream. Connecting makes the kernel pick a distinct source port, drop
 * datagrams from anyone but the upstream, and report ICMP errors.
 */
#ifndef UDPROXY_SESSION_H
#define UDPROXY_SESSION_H

#include <sys/queue.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "listener.h"
#include "sessmap.h"

struct route;

struct session {
	struct sessmap_entry	 entry;		/* key and hash chain */
	struct route		*route;
	union sockaddr_u	 client;
	socklen_t		 clientlen;
	struct local_addr	 local;
	int			 fd;
	uint64_t		 last_ms;
	TAILQ_ENTRY(session)	 idle;
	struct event		 ev;
};

struct session	*session_new(struct route *, const struct dgram *,
		    const struct sess_key *, uint64_t, uint64_t);
void		 session_close(struct session *);
void		 session_send(struct session *, const void *, size_t,
		    uint64_t);
void		 session_touch(struct session *, uint64_t);

#endif
