/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/udp.h>

#include <event2/event.h>

#include "clock.h"
#include "conf.h"
#include "log.h"
#include "pool.h"
#include "route.h"
#include "session.h"
#include "txbatch.h"
#include "xmalloc.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103
#endif

static void	txbatch_flush_cb(evutil_socket_t, short, void *);

/*
 * The flush event has the priority of every other event of the base and
 * is made active by the first reply of an iteration, so libevent runs it
 * at the end of that iteration's queue, after the callbacks that were
 * already ready. (A lower priority would let a busy loop put the flush
 * off until the batch is full.)
 */
struct txbatch *
txbatch_new(struct event_base *base)
{
	struct txbatch	*t;

	t = xcalloc(1, sizeof(*t));
	t->data = xmalloc(TXBATCH_BYTES);
	t->gso = 1;
	t->fd = -1;
	if ((t->ev_flush = event_new(base, -1, 0, txbatch_flush_cb, t)) ==
	    NULL)
		fatalx("cannot create the reply flush event");
	return t;
}

/* Whatever is pending is sent first. */
void
txbatch_free(struct txbatch *t)
{
	if (t == NULL)
		return;
	txbatch_flush(t);
	event_free(t->ev_flush);
	free(t->data);
	free(t);
}

static int
txbatch_same_dest(const struct txbatch *t, int i, const union sockaddr_u *to,
    socklen_t tolen, const struct local_addr *local)
{
	const struct local_addr	*l = &t->local[i];

	if (t->msg[i].msg_hdr.msg_namelen != tolen ||
	    memcmp(&t->name[i], to, tolen) != 0 || l->family != local->family)
		return 0;
	if (l->family == AF_INET)
		return l->a.v4.s_addr == local->a.v4.s_addr;
	if (l->family == AF_INET6)
		return l->ifindex == local->ifindex &&
		    memcmp(&l->a.v6, &local->a.v6, sizeof(l->a.v6)) == 0;
	return 1;
}

/* The pktinfo control message of a wildcard listener's reply. */
static size_t
txbatch_pktinfo(union txbatch_ctl *ctl, const struct local_addr *local)
{
	struct cmsghdr		*c = &ctl->hdr;
	struct in_pktinfo	 pi;
	struct in6_pktinfo	 pi6;

	if (local->family == AF_INET) {
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = local->a.v4;
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	memset(&pi6, 0, sizeof(pi6));
	pi6.ipi6_addr = local->a.v6;
	pi6.ipi6_ifindex = local->ifindex;
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi6));
	memcpy(CMSG_DATA(c), &pi6, sizeof(pi6));
	return CMSG_SPACE(sizeof(pi6));
}

/* Message i grows a second segment: it becomes a GSO send. */
static void
txbatch_segment(struct txbatch *t, int i)
{
	struct msghdr	*h = &t->msg[i].msg_hdr;
	struct cmsghdr	*c;
	uint16_t	 seg = t->seglen[i];

	c = (struct cmsghdr *)(t->ctl[i].buf + h->msg_controllen);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	h->msg_control = t->ctl[i].buf;
	h->msg_controllen += CMSG_SPACE(sizeof(seg));
}

/*
 * Queues a reply of session s to its client, to leave from listener socket
 * fd. It is copied: the caller's buffer is reused at once.
 */
void
txbatch_add(struct txbatch *t, struct session *s, int fd, const void *data,
    size_t len)
{
	const union sockaddr_u	*to = &s->client;
	socklen_t		 tolen = s->clientlen;
	const struct local_addr	*local = &s->local;
	struct msghdr		*h;
	size_t			 cl;
	int			 i;

	if (t->n > 0 && (fd != t->fd || t->n == TXBATCH_MAX ||
	    t->used + len > TXBATCH_BYTES))
		txbatch_flush(t);
	i = t->n - 1;
	/* The same size to the same place right after: one more segment. */
	if (t->gso && i >= 0 && len > 0 && t->sess[i] == s &&
	    t->seglen[i] == len && t->nseg[i] < TXBATCH_SEGS &&
	    t->iov[i].iov_len + len <= TXBATCH_GSO_MAX &&
	    txbatch_same_dest(t, i, to, tolen, local)) {
		memcpy(t->data + t->used, data, len);
		t->used += len;
		t->iov[i].iov_len += len;
		if (++t->nseg[i] == 2)
			txbatch_segment(t, i);
		return;
	}
	i = t->n++;
	memcpy(t->data + t->used, data, len);
	t->iov[i].iov_base = t->data + t->used;
	t->iov[i].iov_len = len;
	t->used += len;
	memcpy(&t->name[i], to, tolen);
	t->local[i] = *local;
	t->sess[i] = s;
	t->nseg[i] = 1;
	t->seglen[i] = (uint16_t)len;
	h = &t->msg[i].msg_hdr;
	h->msg_name = &t->name[i];
	h->msg_namelen = tolen;
	h->msg_iov = &t->iov[i];
	h->msg_iovlen = 1;
	h->msg_flags = 0;
	cl = local->family != 0 ? txbatch_pktinfo(&t->ctl[i], local) : 0;
	h->msg_control = cl != 0 ? t->ctl[i].buf : NULL;
	h->msg_controllen = cl;
	if (i == 0) {
		t->fd = fd;
		event_active(t->ev_flush, EV_TIMEOUT, 1);
	}
}

static void
txbatch_count(struct session *s, int ok, unsigned int nseg, size_t bytes,
    int error)
{
	struct route	*r = s->route;
	unsigned int	 n;

	if (ok) {
		r->stats.tx_datagrams += nseg;
		r->stats.tx_bytes += bytes;
		s->up->stats.tx_datagrams += nseg;
		s->up->stats.tx_bytes += bytes;
		s->tx_datagrams += nseg;
		s->tx_bytes += bytes;
		return;
	}
	r->stats.drop_client_send += nseg;
	if ((n = ratelimit_allow(&r->rl_send, clock_ms())) != 0)
		log_warning("route %s: send to client: %s (%u suppressed)",
		    r->conf->name, strerror(error), n - 1);
}

/*
 * A GSO send the kernel refused (EIO: the route's device cannot; EINVAL:
 * a segment larger than the path's MTU): its datagrams go one by one.
 */
static void
txbatch_split(struct txbatch *t, int i, int error)
{
	struct msghdr	 h = t->msg[i].msg_hdr;
	struct iovec	 iov;
	unsigned char	*p = t->iov[i].iov_base;
	size_t		 left = t->iov[i].iov_len, len;

	if (error == EIO && t->gso) {
		t->gso = 0;
		log_warning("UDP GSO refused by the kernel (%s); replies are "
		    "sent one by one from now on", strerror(error));
	}
	h.msg_controllen -= CMSG_SPACE(sizeof(uint16_t));
	if (h.msg_controllen == 0)
		h.msg_control = NULL;
	h.msg_iov = &iov;
	h.msg_iovlen = 1;
	while (left > 0) {
		len = left < t->seglen[i] ? left : t->seglen[i];
		iov.iov_base = p;
		iov.iov_len = len;
		if (sendmsg(t->fd, &h, 0) == -1)
			txbatch_count(t->sess[i], 0, 1, len, errno);
		else
			txbatch_count(t->sess[i], 1, 1, len, 0);
		p += len;
		left -= len;
	}
}

/* Sends what is queued; a message that fails is counted and skipped. */
void
txbatch_flush(struct txbatch *t)
{
	int	off = 0, n, i, error;

	while (off < t->n) {
		n = sendmmsg(t->fd, t->msg + off, (unsigned int)(t->n - off),
		    0);
		if (n > 0) {
			for (i = off; i < off + n; i++) {
				if (t->nseg[i] > 1)
					t->gso_sends++;
				txbatch_count(t->sess[i], 1, t->nseg[i],
				    t->iov[i].iov_len, 0);
			}
			off += n;
			continue;
		}
		error = errno;
		if (t->nseg[off] > 1 && error != EAGAIN &&
		    error != EWOULDBLOCK && error != ENOBUFS)
			txbatch_split(t, off, error);
		else
			txbatch_count(t->sess[off], 0, t->nseg[off],
			    t->iov[off].iov_len, error);
		off++;
	}
	t->n = 0;
	t->used = 0;
	if (event_pending(t->ev_flush, EV_TIMEOUT, NULL))
		event_del(t->ev_flush);
}

static void
txbatch_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	txbatch_flush(arg);
}
