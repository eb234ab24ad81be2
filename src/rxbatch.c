/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "rxbatch.h"
#include "xmalloc.h"

/*
 * A batch whose headers are set up once for flags. Batches that are never
 * in use at the same time may share their data (pass another's b->data).
 */
struct rxbatch *
rxbatch_new(int flags, unsigned char *data)
{
	struct rxbatch	*b;
	struct msghdr	*h;
	int		 i;

	b = xcalloc(1, sizeof(*b));
	b->flags = flags;
	b->owns_data = data == NULL;
	/* Only the pages a datagram touches become resident. */
	b->data = data != NULL ? data :
	    xmalloc((size_t)RXBATCH_MAX * RXBATCH_BUFSIZE);
	for (i = 0; i < RXBATCH_MAX; i++) {
		b->iov[i].iov_base = rxbatch_data(b, i);
		b->iov[i].iov_len = RXBATCH_BUFSIZE;
		h = &b->msg[i].msg_hdr;
		h->msg_iov = &b->iov[i];
		h->msg_iovlen = 1;
		if (flags & RXBATCH_NAMES)
			h->msg_name = &b->name[i];
		if (flags & RXBATCH_PKTINFO)
			h->msg_control = &b->ctl[i];
	}
	b->last = RXBATCH_MAX;
	b->pktinfo = -1;
	return b;
}

void
rxbatch_free(struct rxbatch *b)
{
	if (b == NULL)
		return;
	if (b->owns_data)
		free(b->data);
	free(b);
}

/*
 * Receives what fd holds without waiting: the number of datagrams, or -1
 * with errno (EAGAIN when there was nothing). A pending socket error, such
 * as an ICMP refusal, comes back as -1 before any datagram behind it.
 * pktinfo asks for the local address (wildcard listeners).
 */
int
rxbatch_recv(struct rxbatch *b, int fd, int pktinfo)
{
	struct msghdr	*h;
	int		 i, n;

	/*
	 * The kernel rewrote the lengths of the headers it filled last; a
	 * change of mode touches them all.
	 */
	if (pktinfo != b->pktinfo) {
		b->pktinfo = pktinfo;
		b->last = RXBATCH_MAX;
	}
	for (i = 0; i < b->last; i++) {
		h = &b->msg[i].msg_hdr;
		if (b->flags & RXBATCH_NAMES)
			h->msg_namelen = sizeof(b->name[i]);
		h->msg_controllen = pktinfo ? sizeof(b->ctl[i]) : 0;
	}
	n = recvmmsg(fd, b->msg, RXBATCH_MAX, MSG_DONTWAIT, NULL);
	b->last = n > 0 ? n : 0;
	return n;
}
