/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Batched replies: the replies to clients that a worker's callbacks relay
 * during one event-loop iteration are gathered here and sent through the
 * listener with one sendmmsg(2), from a flush event of the lowest priority
 * that runs after every other callback of the iteration. Consecutive
 * replies of one size to one client (a session's burst, read with one
 * recvmmsg) go as one UDP GSO send (UDP_SEGMENT): the stack carries one
 * buffer and cuts it into the datagrams at the end. The datagrams each
 * client receives, their sizes and their order, are those it would get
 * from one send(2) each. A queued reply points at its session: closing a
 * session, or freeing a route, flushes first.
 */
#ifndef UDPROXY_TXBATCH_H
#define UDPROXY_TXBATCH_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "listener.h"

struct event;
struct event_base;
struct session;

#define TXBATCH_MAX	256		/* messages per sendmmsg */
#define TXBATCH_BYTES	(1024 * 1024)	/* payload held per batch */
#define TXBATCH_SEGS	64		/* UDP_MAX_SEGMENTS of older kernels */
#define TXBATCH_GSO_MAX	65000		/* payload of one GSO send */

union txbatch_ctl {
	struct cmsghdr	hdr;
	char		buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			    CMSG_SPACE(sizeof(uint16_t))];
};

struct txbatch {
	struct mmsghdr		 msg[TXBATCH_MAX];
	struct iovec		 iov[TXBATCH_MAX];
	union sockaddr_u	 name[TXBATCH_MAX];
	struct local_addr	 local[TXBATCH_MAX];
	union txbatch_ctl	 ctl[TXBATCH_MAX];
	struct session		*sess[TXBATCH_MAX];	/* for its counters */
	uint16_t		 nseg[TXBATCH_MAX];
	uint16_t		 seglen[TXBATCH_MAX];
	int			 fd;		/* every message leaves here */
	int			 n;
	size_t			 used;		/* bytes of data */
	unsigned char		*data;
	int			 gso;		/* 0 once the kernel refused it */
	uint64_t		 gso_sends;	/* for tests and the bench */
	struct event		*ev_flush;
};

struct txbatch	*txbatch_new(struct event_base *);
void		 txbatch_free(struct txbatch *);
void		 txbatch_add(struct txbatch *, struct session *, int,
		    const void *, size_t);
void		 txbatch_flush(struct txbatch *);

#endif
