/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Listener sockets: opening one for an address, receiving a client's
 * datagram with the local address it was sent to, and sending a reply
 * from that same address (wildcard listeners use IP_PKTINFO and
 * IPV6_RECVPKTINFO; a reply from any other address would be dropped by a
 * connected client).
 */
#ifndef UDPROXY_LISTENER_H
#define UDPROXY_LISTENER_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct rxbatch;

/*
 * The listener's receive buffer unless receive_buffer_size says otherwise:
 * room for a burst from many clients while the loop is busy (10,000
 * clients with one datagram each), where the kernel's ~208 KiB overflows.
 */
#define LISTENER_RCVBUF_DEFAULT	(8 * 1024 * 1024)

union sockaddr_u {
	struct sockaddr		sa;
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
};

/* The local end of a datagram received on a wildcard listener. */
struct local_addr {
	int		 family;	/* 0: not a wildcard listener */
	unsigned int	 ifindex;
	union {
		struct in_addr	 v4;
		struct in6_addr	 v6;
	} a;
};

struct dgram {
	const unsigned char	*data;
	size_t			 len;
	int			 truncated;
	union sockaddr_u	 client;
	socklen_t		 clientlen;
	struct local_addr	 local;
};

struct listener {
	int		 fd;
	int		 wildcard;
	struct addr	 addr;
};

struct listener	*listener_open(const struct addr *, int, char *, size_t);
void		 listener_close(struct listener *);
int		 listener_set_rcvbuf(struct listener *, unsigned int, int *);
uint64_t	 listener_drops(const struct listener *);
int		 listener_recv(const struct listener *, struct rxbatch *);
void		 listener_dgram(const struct listener *, struct rxbatch *, int,
		    struct dgram *);
ssize_t		 listener_send(const struct listener *, const void *, size_t,
		    const union sockaddr_u *, socklen_t,
		    const struct local_addr *);
void		 listener_local_key(const struct listener *,
		    const struct local_addr *, struct addr_key *);

#endif
