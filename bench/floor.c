/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * floor -- the least a relay with udproxy's semantics can do: the reference
 * floor of the benchmark (a bench tool, not product code).
 *
 * One thread, epoll, one listener.  Each client address gets its own UDP
 * socket connect()ed to the upstream (as in udproxy and nginx), found in a
 * flat open-addressing hash table.  The listener is drained with recvmmsg
 * until EAGAIN (at most -D batches per wake-up); replies are read with
 * recvmmsg from each ready session socket, gathered for every client
 * during one epoll round and sent from the listener with one sendmmsg.
 * No idle timeout, no limits beyond -N sessions, no logging: whatever
 * udproxy spends above this is the price of its features.
 *
 *	floor [-t SECONDS] [-N SESSIONS] [-D BATCHES] [-i IDLE] [-g] [-e]
 *	    LISTEN UPSTREAM
 *
 * -i closes sessions idle for more than IDLE seconds (a sweep of the
 * table once a second; 0, the default, keeps them for ever).
 * -e makes session sockets edge-triggered (EPOLLET), read until a short
 * batch; measured on 2026-12-04, it gained nothing over level-triggered.
 * -g sends runs of same-sized datagrams from one client to its session
 * socket (and runs of same-sized replies to one client) as one UDP GSO
 * super-datagram (UDP_SEGMENT) instead of sendmmsg.  The first line of
 * stdout is {"floor":"ADDR:PORT","port":P}; the last, on SIGTERM or at the
 * time limit, holds the counters.  Plain C11 + Linux, libc only.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/udp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103
#endif

#define BATCH		64
#define BUFSZ		65536
#define MAXSEG		64	/* kernel limit UDP_MAX_SEGMENTS */

struct sess {
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	int			 fd;
	uint64_t		 key;
	time_t			 last;		/* for the idle sweep */
	struct sess		*next_free;
};

/* Flat table: linear probing over keys; a slot names a pool entry. */
struct slot {
	uint64_t		 key;
	struct sess		*s;		/* NULL: empty */
};

static volatile sig_atomic_t stop;
static struct slot *tab;
static struct sess *pool, *free_list;
static size_t tabsize, nsess, maxsess = 100000;
static time_t now, idle;
static struct sockaddr_storage up_addr;
static socklen_t up_len;
static int gso, edge;

/* Listener receive batch. */
static struct mmsghdr lmsg[BATCH];
static struct iovec liov[BATCH];
static struct sockaddr_storage lname[BATCH];
static unsigned char *lbuf;

/* Session receive batch. */
static struct mmsghdr smsg[BATCH];
static struct iovec siov[BATCH];
static unsigned char *sbuf;

/* Replies gathered during one epoll round, flushed with one sendmmsg. */
#define REPLY_MAX	1024
static struct mmsghdr rmsg[REPLY_MAX];
static struct iovec riov[REPLY_MAX];
static union {
	struct cmsghdr	hdr;
	char		buf[CMSG_SPACE(sizeof(uint16_t))];
} rctl[REPLY_MAX];
static unsigned char *rbuf;
static size_t rbuf_used, nreply;
#define RBUF_SIZE	((size_t)4 << 20)

static uint64_t c_rx, c_tx, c_sess, c_drop, c_syscalls;

static void
stop_cb(int sig)
{
	(void)sig;
	stop = 1;
}

static int
parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2], *end;
	const char *colon, *h = s;
	size_t hlen;
	struct addrinfo hints, *res;
	long port;

	colon = strrchr(s, ':');
	if (colon == NULL)
		return -1;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		h = s + 1;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || port < 0 ||
	    port > 65535)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	return 0;
}

/* IPv4 key: address and port; IPv6: a fold of the address (bench only). */
static uint64_t
key_of(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	uint64_t a, b;

	if (ss->ss_family == AF_INET)
		return ((uint64_t)sin->sin_addr.s_addr << 16) | sin->sin_port |
		    (1ULL << 63);
	memcpy(&a, &sin6->sin6_addr, 8);
	memcpy(&b, (const char *)&sin6->sin6_addr + 8, 8);
	return (a * 31 + b) ^ ((uint64_t)sin6->sin6_port << 48);
}

static size_t
hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (size_t)k;
}

static struct sess *
lookup(const struct sockaddr_storage *ss, socklen_t len, int ep)
{
	struct epoll_event ev;
	uint64_t k = key_of(ss);
	size_t i = hash64(k) & (tabsize - 1);
	struct sess *s;
	int fd;

	for (;; i = (i + 1) & (tabsize - 1)) {
		if (tab[i].s == NULL)
			break;
		if (tab[i].key == k) {
			tab[i].s->last = now;
			return tab[i].s;
		}
	}
	if (nsess >= maxsess || free_list == NULL)
		return NULL;
	s = free_list;
	fd = socket(up_addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		return NULL;
	if (connect(fd, (struct sockaddr *)&up_addr, up_len) == -1) {
		close(fd);
		return NULL;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = edge ? EPOLLIN | EPOLLET : EPOLLIN;
	ev.data.ptr = s;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
		close(fd);
		return NULL;
	}
	free_list = s->next_free;
	tab[i].key = k;
	tab[i].s = s;
	s->key = k;
	s->fd = fd;
	s->last = now;
	memcpy(&s->peer, ss, len);
	s->peerlen = len;
	nsess++;
	c_sess++;
	return s;
}

/* Removes slot i, shifting later entries of its probe run back. */
static void
slot_delete(size_t i)
{
	size_t j = i, home;

	for (;;) {
		tab[i].s = NULL;
		for (;;) {
			j = (j + 1) & (tabsize - 1);
			if (tab[j].s == NULL)
				return;
			home = hash64(tab[j].key) & (tabsize - 1);
			/* Stays unless its home lies cyclically in (i, j]. */
			if (i <= j ? (i < home && home <= j) :
			    (i < home || home <= j))
				continue;
			break;
		}
		tab[i] = tab[j];
		i = j;
	}
}

/* Closes sessions idle for longer than -i (O(table) once a second). */
static void
sweep(void)
{
	struct sess *s;
	size_t i;

	for (i = 0; i < tabsize; i++) {
		while ((s = tab[i].s) != NULL && now - s->last > idle) {
			close(s->fd);	/* also leaves the epoll set */
			s->next_free = free_list;
			free_list = s;
			nsess--;
			slot_delete(i);
		}
	}
}

static void
flush_replies(int lfd)
{
	size_t off = 0;
	int n;

	while (off < nreply) {
		n = sendmmsg(lfd, rmsg + off, (unsigned)(nreply - off), 0);
		c_syscalls++;
		if (n <= 0) {
			c_drop++;	/* skip the one that failed */
			off++;
			continue;
		}
		off += (size_t)n;
	}
	nreply = 0;
	rbuf_used = 0;
}

/* Queues reply data for s: with -g, it extends the previous message. */
static void
queue_reply(int lfd, struct sess *s, const unsigned char *data, size_t len,
    struct sess **last, size_t *seglen, size_t *nseg)
{
	struct mmsghdr *m;
	struct cmsghdr *c;
	uint16_t seg;

	if (nreply == REPLY_MAX || rbuf_used + len > RBUF_SIZE)
		flush_replies(lfd);
	memcpy(rbuf + rbuf_used, data, len);
	if (gso && nreply > 0 && *last == s && *seglen == len &&
	    *nseg < MAXSEG && riov[nreply - 1].iov_len + len <= 65000 &&
	    (unsigned char *)riov[nreply - 1].iov_base +
	    riov[nreply - 1].iov_len == rbuf + rbuf_used) {
		m = &rmsg[nreply - 1];
		riov[nreply - 1].iov_len += len;
		(*nseg)++;
		if (*nseg == 2) {
			c = (struct cmsghdr *)rctl[nreply - 1].buf;
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
			seg = (uint16_t)len;
			memcpy(CMSG_DATA(c), &seg, sizeof(seg));
			m->msg_hdr.msg_control = rctl[nreply - 1].buf;
			m->msg_hdr.msg_controllen = CMSG_SPACE(sizeof(seg));
		}
		rbuf_used += len;
		return;
	}
	m = &rmsg[nreply];
	riov[nreply].iov_base = rbuf + rbuf_used;
	riov[nreply].iov_len = len;
	memset(&m->msg_hdr, 0, sizeof(m->msg_hdr));
	m->msg_hdr.msg_name = &s->peer;
	m->msg_hdr.msg_namelen = s->peerlen;
	m->msg_hdr.msg_iov = &riov[nreply];
	m->msg_hdr.msg_iovlen = 1;
	nreply++;
	rbuf_used += len;
	*last = s;
	*seglen = len;
	*nseg = 1;
}

/* Sends msgs [from, to) of the listener batch, all from client s. */
static void
forward_run(struct sess *s, int from, int to)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(uint16_t))];
	} ctl;
	struct mmsghdr out[BATCH];
	struct msghdr m;
	struct iovec iov;
	struct cmsghdr *c;
	uint16_t seg;
	int i, n, same = 1;

	if (to - from == 1) {
		c_syscalls++;
		if (send(s->fd, liov[from].iov_base, lmsg[from].msg_len, 0) ==
		    -1)
			c_drop++;
		else
			c_rx++;
		return;
	}
	for (i = from + 1; i < to; i++)
		if (lmsg[i].msg_len != lmsg[from].msg_len)
			same = 0;
	if (gso && same && lmsg[from].msg_len > 0 &&
	    (size_t)lmsg[from].msg_len * (size_t)(to - from) <= 65000) {
		/* Contiguous in lbuf?  Only if each is BUFSZ apart: copy. */
		unsigned char *p = sbuf;	/* free between uses */

		for (i = from; i < to; i++) {
			memcpy(p, liov[i].iov_base, lmsg[i].msg_len);
			p += lmsg[i].msg_len;
		}
		iov.iov_base = sbuf;
		iov.iov_len = (size_t)(p - sbuf);
		memset(&m, 0, sizeof(m));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		c = &ctl.hdr;
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		seg = (uint16_t)lmsg[from].msg_len;
		memcpy(CMSG_DATA(c), &seg, sizeof(seg));
		c_syscalls++;
		if (sendmsg(s->fd, &m, 0) == -1)
			c_drop += (uint64_t)(to - from);
		else
			c_rx += (uint64_t)(to - from);
		return;
	}
	memset(out, 0, sizeof(out));
	for (i = from; i < to; i++) {
		out[i - from].msg_hdr.msg_iov = &liov[i];
		out[i - from].msg_hdr.msg_iovlen = 1;
	}
	for (i = from; i < to; i++)	/* lengths the kernel wrote */
		liov[i].iov_len = lmsg[i].msg_len;
	c_syscalls++;
	n = sendmmsg(s->fd, out, (unsigned)(to - from), 0);
	for (i = from; i < to; i++)
		liov[i].iov_len = BUFSZ;
	if (n < 0)
		n = 0;
	c_rx += (uint64_t)n;
	c_drop += (uint64_t)(to - from - n);
}

static void
drain_listener(int lfd, int ep, int maxbatches)
{
	struct sess *s, *prev;
	int b, i, n, start;

	for (b = 0; b < maxbatches; b++) {
		for (i = 0; i < BATCH; i++)
			lmsg[i].msg_hdr.msg_namelen = sizeof(lname[i]);
		n = recvmmsg(lfd, lmsg, BATCH, MSG_DONTWAIT, NULL);
		c_syscalls++;
		if (n <= 0)
			return;
		/* Runs of consecutive datagrams from one client. */
		prev = NULL;
		start = 0;
		for (i = 0; i < n; i++) {
			s = lookup(&lname[i], lmsg[i].msg_hdr.msg_namelen, ep);
			if (s != prev) {
				if (prev != NULL)
					forward_run(prev, start, i);
				start = i;
				prev = s;
			}
			if (s == NULL) {
				c_drop++;
				start = i + 1;
			}
		}
		if (prev != NULL)
			forward_run(prev, start, n);
		if (n < BATCH)
			return;
	}
}

static void
read_session(int lfd, struct sess *s)
{
	struct sess *last = NULL;
	size_t seglen = 0, nseg = 0;
	int i, n;

	/*
	 * Edge-triggered (-e), the socket must be left empty: a short batch
	 * says it is.  Its buffer bounds the loop.
	 */
	do {
		n = recvmmsg(s->fd, smsg, BATCH, MSG_DONTWAIT, NULL);
		c_syscalls++;
		if (n <= 0)
			return;
		for (i = 0; i < n; i++) {
			queue_reply(lfd, s, siov[i].iov_base, smsg[i].msg_len,
			    &last, &seglen, &nseg);
			c_tx++;
		}
	} while (edge && n == BATCH);
}

int
main(int argc, char **argv)
{
	struct epoll_event ev, evs[512];
	struct sockaddr_storage laddr;
	struct sigaction sa;
	struct rlimit rl;
	socklen_t llen;
	double limit = 600;
	time_t end, last_sweep;
	int c, i, n, lfd, ep, maxbatches = 64, size = 4 << 20;
	char host[INET6_ADDRSTRLEN];

	while ((c = getopt(argc, argv, "t:N:D:gi:e")) != -1) {
		switch (c) {
		case 'i':
			idle = (time_t)atol(optarg);
			break;
		case 't':
			limit = atof(optarg);
			break;
		case 'N':
			maxsess = (size_t)atol(optarg);
			break;
		case 'D':
			maxbatches = atoi(optarg);
			break;
		case 'g':
			gso = 1;
			break;
		case 'e':
			edge = 1;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 2 || limit <= 0 || limit > 86400 ||
	    maxsess < 1 || maxsess > 1000000 || maxbatches < 1)
		goto usage;
	if (parse_addr(argv[optind], &laddr, &llen) == -1 ||
	    parse_addr(argv[optind + 1], &up_addr, &up_len) == -1)
		goto usage;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (tabsize = 16; tabsize < maxsess * 2; tabsize *= 2)
		;
	tab = calloc(tabsize, sizeof(*tab));
	pool = calloc(maxsess, sizeof(*pool));
	if (pool != NULL)
		for (i = (int)maxsess - 1; i >= 0; i--) {
			pool[i].next_free = free_list;
			free_list = &pool[i];
		}
	lbuf = malloc((size_t)BATCH * BUFSZ);
	sbuf = malloc((size_t)BATCH * BUFSZ);
	rbuf = malloc(RBUF_SIZE);
	if (tab == NULL || pool == NULL || lbuf == NULL || sbuf == NULL || rbuf == NULL) {
		perror("floor: malloc");
		return 1;
	}
	for (i = 0; i < BATCH; i++) {
		liov[i].iov_base = lbuf + (size_t)i * BUFSZ;
		liov[i].iov_len = BUFSZ;
		lmsg[i].msg_hdr.msg_iov = &liov[i];
		lmsg[i].msg_hdr.msg_iovlen = 1;
		lmsg[i].msg_hdr.msg_name = &lname[i];
		siov[i].iov_base = sbuf + (size_t)i * BUFSZ;
		siov[i].iov_len = BUFSZ;
		smsg[i].msg_hdr.msg_iov = &siov[i];
		smsg[i].msg_hdr.msg_iovlen = 1;
	}
	lfd = socket(laddr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&laddr, llen) == -1) {
		perror("floor: listen");
		return 1;
	}
	/* As udproxy's default: force past rmem_max when privileged. */
	if (setsockopt(lfd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) == -1)
		setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	llen = sizeof(laddr);
	getsockname(lfd, (struct sockaddr *)&laddr, &llen);
	ep = epoll_create1(EPOLL_CLOEXEC);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (ep == -1 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == -1) {
		perror("floor: epoll");
		return 1;
	}
	inet_ntop(laddr.ss_family, laddr.ss_family == AF_INET ?
	    (void *)&((struct sockaddr_in *)&laddr)->sin_addr :
	    (void *)&((struct sockaddr_in6 *)&laddr)->sin6_addr, host,
	    sizeof(host));
	n = ntohs(laddr.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&laddr)->sin_port :
	    ((struct sockaddr_in6 *)&laddr)->sin6_port);
	printf(laddr.ss_family == AF_INET ? "{\"floor\":\"%s:%d\",\"port\":%d}\n" :
	    "{\"floor\":\"[%s]:%d\",\"port\":%d}\n", host, n, n);
	fflush(stdout);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_cb;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	now = time(NULL);
	end = now + (time_t)limit;
	last_sweep = now;
	while (!stop && now < end) {
		n = epoll_wait(ep, evs, (int)(sizeof(evs) / sizeof(evs[0])),
		    200);
		c_syscalls++;
		if (n == -1 && errno != EINTR) {
			perror("floor: epoll_wait");
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				drain_listener(lfd, ep, maxbatches);
			else
				read_session(lfd, evs[i].data.ptr);
		}
		if (nreply > 0)
			flush_replies(lfd);
		now = time(NULL);	/* vDSO: no system call */
		if (idle > 0 && now != last_sweep) {
			last_sweep = now;
			sweep();
		}
	}
	printf("{\"floor_done\":1,\"relayed_up\":%llu,\"relayed_down\":%llu,"
	    "\"sessions\":%llu,\"dropped\":%llu,\"syscalls\":%llu}\n",
	    (unsigned long long)c_rx, (unsigned long long)c_tx,
	    (unsigned long long)c_sess, (unsigned long long)c_drop,
	    (unsigned long long)c_syscalls);
	return 0;
usage:
	fprintf(stderr, "usage: floor [-t SECONDS] [-N SESSIONS] "
	    "[-D BATCHES] [-i IDLE] [-g] [-e] LISTEN_ADDR:PORT UPSTREAM_ADDR:PORT\n");
	return 2;
}
