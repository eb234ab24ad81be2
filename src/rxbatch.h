/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Batched receive: one recvmmsg(2) takes every datagram a socket holds,
 * up to RXBATCH_MAX, so a readiness event costs one system call rather
 * than one per datagram plus a final EAGAIN. The buffers are shared by
 * every callback (the loop is single-threaded) and each holds the largest
 * UDP payload, so nothing is ever truncated.
 */
#ifndef UDPROXY_RXBATCH_H
#define UDPROXY_RXBATCH_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <stddef.h>

#define RXBATCH_MAX	64
#define RXBATCH_BUFSIZE	65536

#define RXBATCH_NAMES	0x1	/* record each sender's address */
#define RXBATCH_PKTINFO	0x2	/* and the local address it was sent to */

union rxbatch_name {
	struct sockaddr		sa;
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
};

union rxbatch_ctl {
	struct cmsghdr	hdr;
	char		buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
};

struct rxbatch {
	struct mmsghdr		 msg[RXBATCH_MAX];
	struct iovec		 iov[RXBATCH_MAX];
	union rxbatch_name	 name[RXBATCH_MAX];
	union rxbatch_ctl	 ctl[RXBATCH_MAX];
	int			 flags;	/* RXBATCH_NAMES, RXBATCH_PKTINFO */
	int			 last;	/* headers the last receive filled */
	int			 pktinfo; /* mode of the last receive */
	unsigned char		*data;	/* RXBATCH_MAX * RXBATCH_BUFSIZE */
	int			 owns_data;
};

struct rxbatch	*rxbatch_new(int, unsigned char *);
void		 rxbatch_free(struct rxbatch *);
int		 rxbatch_recv(struct rxbatch *, int, int);

/* The payload of datagram i of the last rxbatch_recv. */
static inline unsigned char *
rxbatch_data(const struct rxbatch *b, int i)
{
	return b->data + (size_t)i * RXBATCH_BUFSIZE;
}

#endif
