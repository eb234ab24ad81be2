#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "rxbatch.h"
#include "xmalloc.h"

struct rxbatch *
rxbatch_new(void)
{
	struct rxbatch	*b;
	int		 i;

	b = xcalloc(1, sizeof(*b));
	/* Only the pages a datagram touches become resident. */
	b->data = xmalloc((size_t)RXBATCH_MAX * RXBATCH_BUFSIZE);
	for (i = 0; i < RXBATCH_MAX; i++) {
		b->iov[i].iov_base = rxbatch_data(b, i);
		b->iov[i].iov_len = RXBATCH_BUFSIZE;
	}
	return b;
}

void
rxbatch_free(struct rxbatch *b)
{
	if (b == NULL)
		return;
	free(b->data);
	free(b);
}

/*
 * Receives what fd holds without waiting: the number of datagrams, or -1
 * with errno (EAGAIN when there was nothing). A pending socket error, such
 * as an ICMP refusal, comes back as -1 before any datagram behind it.
 */
int
rxbatch_recv(struct rxbatch *b, int fd, int flags)
{
	struct msghdr	*h;
	int		 i;

	for (i = 0; i < RXBATCH_MAX; i++) {
		h = &b->msg[i].msg_hdr;
		h->msg_iov = &b->iov[i];
		h->msg_iovlen = 1;
		h->msg_flags = 0;
		if (flags & RXBATCH_NAMES) {
			h->msg_name = &b->name[i];
			h->msg_namelen = sizeof(b->name[i]);
		} else {
			h->msg_name = NULL;
			h->msg_namelen = 0;
		}
		if (flags & RXBATCH_PKTINFO) {
			h->msg_control = &b->ctl[i];
			h->msg_controllen = sizeof(b->ctl[i]);
		} else {
			h->msg_control = NULL;
			h->msg_controllen = 0;
		}
	}
	return recvmmsg(fd, b->msg, RXBATCH_MAX, MSG_DONTWAIT, NULL);
}
