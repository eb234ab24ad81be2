/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/sock_diag.h>

#include "listener.h"
#include "rxbatch.h"
#include "xmalloc.h"

/*
 * Opens a non-blocking socket bound to a. No SO_REUSEADDR: on UDP it would
 * let a second process bind the same port and steal half the traffic.
 * reuseport (workers > 1) joins the socket to the address's SO_REUSEPORT
 * group, one socket per worker, so that the kernel spreads clients over
 * them by a hash of the 4-tuple (a client stays on one worker). The
 * kernel admits only sockets of the same user to a group.
 */
struct listener *
listener_open(const struct addr *a, int reuseport, char *err,
    size_t errlen)
{
	struct listener	*l;
	int		 fd, on = 1, family = a->ss.ss_family, error;
	char		 name[ADDR_STRLEN];

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
	    &on, sizeof(on)) == -1)
		goto fail;
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on,
	    sizeof(on)) == -1)
		goto fail;
	if (addr_is_wildcard(a)) {
		if (family == AF_INET && setsockopt(fd, IPPROTO_IP,
		    IP_PKTINFO, &on, sizeof(on)) == -1)
			goto fail;
		if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
		    IPV6_RECVPKTINFO, &on, sizeof(on)) == -1)
			goto fail;
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) == -1)
		goto fail;
	l = xcalloc(1, sizeof(*l));
	l->fd = fd;
	l->wildcard = addr_is_wildcard(a);
	l->addr = *a;
	return l;
fail:
	error = errno;
	snprintf(err, errlen, "cannot listen on %s: %s%s",
	    addr_format((const struct sockaddr *)&a->ss, name, sizeof(name)),
	    strerror(error), error == EACCES && addr_port(a) < 1024 ?
	    " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : "");
	if (fd != -1)
		close(fd);
	return NULL;
}

void
listener_close(struct listener *l)
{
	if (l == NULL)
		return;
	close(l->fd);
	free(l);
}

/*
 * Sets the receive buffer to size bytes (0: LISTENER_RCVBUF_DEFAULT) and
 * returns the size the kernel granted, or -1 with errno. SO_RCVBUFFORCE
 * goes past net.core.rmem_max but needs CAP_NET_ADMIN, so it works while
 * the daemon is still privileged; without it SO_RCVBUF is capped at
 * rmem_max. *forced tells which of the two took.
 */
int
listener_set_rcvbuf(struct listener *l, unsigned int size, int *forced)
{
	socklen_t	len = sizeof(int);
	int		want = size != 0 ? (int)size : LISTENER_RCVBUF_DEFAULT;
	int		got;

	*forced = 1;
	if (setsockopt(l->fd, SOL_SOCKET, SO_RCVBUFFORCE, &want,
	    sizeof(want)) == -1) {
		*forced = 0;
		if (setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &want,
		    sizeof(want)) == -1)
			return -1;
	}
	/* getsockopt reports twice what setsockopt takes. */
	if (getsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == -1)
		return -1;
	return got / 2;
}

/* Datagrams the kernel dropped because the receive buffer was full. */
uint64_t
listener_drops(const struct listener *l)
{
	uint32_t	mem[SK_MEMINFO_VARS];
	socklen_t	len = sizeof(mem);

	if (getsockopt(l->fd, SOL_SOCKET, SO_MEMINFO, mem, &len) == -1 ||
	    len < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t))
		return 0;
	return mem[SK_MEMINFO_DROPS];
}

static void
listener_parse_cmsg(struct msghdr *msg, struct local_addr *local)
{
	struct cmsghdr		*c;
	struct in_pktinfo	*pi;
	struct in6_pktinfo	*pi6;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			pi = (struct in_pktinfo *)CMSG_DATA(c);
			/*
			 * ipi_spec_dst is the local address to answer from:
			 * the destination itself for unicast, the
			 * interface's address for a broadcast.
			 */
			local->family = AF_INET;
			local->a.v4 = pi->ipi_spec_dst;
			local->ifindex = 0;
			return;
		}
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			pi6 = (struct in6_pktinfo *)CMSG_DATA(c);
			/* No reply can come from a multicast address. */
			if (IN6_IS_ADDR_MULTICAST(&pi6->ipi6_addr))
				return;
			local->family = AF_INET6;
			local->a.v6 = pi6->ipi6_addr;
			/* Only a link-local source needs its interface. */
			local->ifindex = IN6_IS_ADDR_LINKLOCAL(&pi6->ipi6_addr) ?
			    pi6->ipi6_ifindex : 0;
			return;
		}
	}
}

/* Receives what the listener holds: a count, or -1 with errno. */
int
listener_recv(const struct listener *l, struct rxbatch *b)
{
	return rxbatch_recv(b, l->fd, l->wildcard);
}

/* Datagram i of the last listener_recv, with its addresses. */
void
listener_dgram(const struct listener *l, struct rxbatch *b, int i,
    struct dgram *d)
{
	struct msghdr	*h = &b->msg[i].msg_hdr;

	d->data = rxbatch_data(b, i);
	d->len = b->msg[i].msg_len;
	d->truncated = (h->msg_flags & MSG_TRUNC) != 0;
	d->clientlen = h->msg_namelen;
	memcpy(&d->client, &b->name[i], sizeof(d->client));
	d->local.family = 0;
	if (l->wildcard)
		listener_parse_cmsg(h, &d->local);
}

ssize_t
listener_send(const struct listener *l, const void *buf, size_t len,
    const union sockaddr_u *to, socklen_t tolen,
    const struct local_addr *local)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cmsg;
	struct iovec		 iov = { (void *)(uintptr_t)buf, len };
	struct msghdr		 msg;
	struct cmsghdr		*c;
	struct in_pktinfo	 pi;
	struct in6_pktinfo	 pi6;

	if (local->family == 0)
		return sendto(l->fd, buf, len, 0, &to->sa, tolen);
	memset(&msg, 0, sizeof(msg));
	memset(&cmsg, 0, sizeof(cmsg));
	msg.msg_name = (void *)(uintptr_t)to;
	msg.msg_namelen = tolen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsg.buf;
	c = &cmsg.hdr;
	if (local->family == AF_INET) {
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = local->a.v4;
		msg.msg_controllen = CMSG_SPACE(sizeof(pi));
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	} else {
		memset(&pi6, 0, sizeof(pi6));
		pi6.ipi6_addr = local->a.v6;
		pi6.ipi6_ifindex = local->ifindex;
		msg.msg_controllen = CMSG_SPACE(sizeof(pi6));
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi6));
		memcpy(CMSG_DATA(c), &pi6, sizeof(pi6));
	}
	return sendmsg(l->fd, &msg, 0);
}

/* The local half of a session key: zero unless the listener is a wildcard. */
void
listener_local_key(const struct listener *l, const struct local_addr *local,
    struct addr_key *k)
{
	union sockaddr_u	u;

	memset(k, 0, sizeof(*k));
	if (!l->wildcard || local->family == 0)
		return;
	memset(&u, 0, sizeof(u));
	if (local->family == AF_INET) {
		u.sin.sin_family = AF_INET;
		u.sin.sin_addr = local->a.v4;
	} else {
		u.sin6.sin6_family = AF_INET6;
		u.sin6.sin6_addr = local->a.v6;
		u.sin6.sin6_scope_id = local->ifindex;
	}
	addr_key_make(k, &u.sa);
}
