/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsmock.h"

#define DNSMOCK_NAMES	16
#define DNSMOCK_ADDRS	16

struct dnsmock_rr {
	int		family;
	uint8_t		addr[16];
};

struct dnsmock_name {
	char			name[256];
	uint32_t		ttl;
	size_t			nrr;
	struct dnsmock_rr	rr[DNSMOCK_ADDRS];
};

struct dnsmock {
	int			fd;
	uint16_t		port;
	pthread_t		thread;
	pthread_mutex_t		lock;
	int			stop;
	int			silent;
	unsigned int		queries;
	struct dnsmock_name	names[DNSMOCK_NAMES];
};

static void
dnsmock_put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Builds the answer to query q in out; returns its length, 0 to drop. */
static size_t
dnsmock_answer(struct dnsmock *m, const uint8_t *q, size_t len, uint8_t *out,
    size_t outlen)
{
	char			 name[256];
	size_t			 off = 12, nlen = 0, n, i, qend;
	unsigned int		 qtype, an = 0, rcode = 3;
	struct dnsmock_name	*e = NULL;

	if (len < 12 || (q[2] & 0x80) || q[4] != 0 || q[5] != 1)
		return 0;
	while (off < len && q[off] != 0) {
		n = q[off];
		if (n > 63 || off + 1 + n >= len || nlen + n + 1 >= sizeof(name))
			return 0;
		if (nlen > 0)
			name[nlen++] = '.';
		for (i = 0; i < n; i++)
			name[nlen++] = (char)tolower(q[off + 1 + i]);
		off += 1 + n;
	}
	name[nlen] = '\0';
	if (off + 5 > len)
		return 0;
	qtype = (unsigned int)q[off + 1] << 8 | q[off + 2];
	qend = off + 5;
	if (qend > outlen)
		return 0;
	memcpy(out, q, qend);
	for (i = 0; i < DNSMOCK_NAMES; i++)
		if (m->names[i].name[0] != '\0' &&
		    strcmp(m->names[i].name, name) == 0)
			e = &m->names[i];
	off = qend;
	if (e != NULL) {
		rcode = 0;
		for (i = 0; i < e->nrr; i++) {
			int	 want = qtype == 1 ? AF_INET : qtype == 28 ?
			    AF_INET6 : -1;
			size_t	 alen = e->rr[i].family == AF_INET ? 4 : 16;

			if (e->rr[i].family != want || off + 12 + alen > outlen)
				continue;
			out[off] = 0xc0;
			out[off + 1] = 12;
			dnsmock_put16(out + off + 2, qtype);
			dnsmock_put16(out + off + 4, 1);
			out[off + 6] = (uint8_t)(e->ttl >> 24);
			out[off + 7] = (uint8_t)(e->ttl >> 16);
			out[off + 8] = (uint8_t)(e->ttl >> 8);
			out[off + 9] = (uint8_t)e->ttl;
			dnsmock_put16(out + off + 10, (unsigned int)alen);
			memcpy(out + off + 12, e->rr[i].addr, alen);
			off += 12 + alen;
			an++;
		}
	}
	out[2] = (uint8_t)(0x80 | (q[2] & 0x01));	/* QR, copy RD */
	out[3] = (uint8_t)(0x80 | rcode);		/* RA */
	dnsmock_put16(out + 6, an);
	dnsmock_put16(out + 8, 0);
	dnsmock_put16(out + 10, 0);
	return off;
}

static void *
dnsmock_run(void *arg)
{
	struct dnsmock		*m = arg;
	struct sockaddr_storage	 peer;
	socklen_t		 plen;
	struct pollfd		 pfd;
	uint8_t			 in[1500], out[1500];
	ssize_t			 n;
	size_t			 alen;
	int			 silent;

	pfd.fd = m->fd;
	pfd.events = POLLIN;
	while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		plen = sizeof(peer);
		n = recvfrom(m->fd, in, sizeof(in), 0,
		    (struct sockaddr *)&peer, &plen);
		if (n <= 0)
			continue;
		pthread_mutex_lock(&m->lock);
		m->queries++;
		silent = m->silent;
		alen = silent ? 0 : dnsmock_answer(m, in, (size_t)n, out,
		    sizeof(out));
		pthread_mutex_unlock(&m->lock);
		if (alen > 0)
			(void)sendto(m->fd, out, alen, 0,
			    (struct sockaddr *)&peer, plen);
	}
	return NULL;
}

struct dnsmock *
dnsmock_start(void)
{
	struct dnsmock		*m;
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	if ((m->fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		goto fail;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(m->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(m->fd, (struct sockaddr *)&sin, &slen) == -1)
		goto fail;
	m->port = ntohs(sin.sin_port);
	if (pthread_create(&m->thread, NULL, dnsmock_run, m) != 0)
		goto fail;
	return m;
fail:
	if (m->fd != -1)
		close(m->fd);
	free(m);
	return NULL;
}

uint16_t
dnsmock_port(const struct dnsmock *m)
{
	return m->port;
}

static struct dnsmock_name *
dnsmock_find(struct dnsmock *m, const char *name, int create)
{
	size_t	i;

	for (i = 0; i < DNSMOCK_NAMES; i++)
		if (strcasecmp(m->names[i].name, name) == 0)
			return &m->names[i];
	if (!create)
		return NULL;
	for (i = 0; i < DNSMOCK_NAMES; i++)
		if (m->names[i].name[0] == '\0')
			return &m->names[i];
	return NULL;
}

void
dnsmock_set(struct dnsmock *m, const char *name, const char *addrs,
    uint32_t ttl)
{
	struct dnsmock_name	*e;
	char			 buf[1024], *tok, *save = NULL;
	size_t			 i;

	pthread_mutex_lock(&m->lock);
	if ((e = dnsmock_find(m, name, 1)) == NULL) {
		pthread_mutex_unlock(&m->lock);
		fprintf(stderr, "dnsmock: table full\n");
		abort();
	}
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	for (i = 0; e->name[i] != '\0'; i++)
		e->name[i] = (char)tolower((unsigned char)e->name[i]);
	e->ttl = ttl;
	snprintf(buf, sizeof(buf), "%s", addrs);
	for (tok = strtok_r(buf, " ", &save); tok != NULL &&
	    e->nrr < DNSMOCK_ADDRS; tok = strtok_r(NULL, " ", &save)) {
		struct dnsmock_rr	*rr = &e->rr[e->nrr];

		if (inet_pton(AF_INET, tok, rr->addr) == 1)
			rr->family = AF_INET;
		else if (inet_pton(AF_INET6, tok, rr->addr) == 1)
			rr->family = AF_INET6;
		else {
			fprintf(stderr, "dnsmock: bad address '%s'\n", tok);
			abort();
		}
		e->nrr++;
	}
	pthread_mutex_unlock(&m->lock);
}

void
dnsmock_remove(struct dnsmock *m, const char *name)
{
	struct dnsmock_name	*e;

	pthread_mutex_lock(&m->lock);
	if ((e = dnsmock_find(m, name, 0)) != NULL)
		memset(e, 0, sizeof(*e));
	pthread_mutex_unlock(&m->lock);
}

void
dnsmock_silent(struct dnsmock *m, int on)
{
	pthread_mutex_lock(&m->lock);
	m->silent = on;
	pthread_mutex_unlock(&m->lock);
}

unsigned int
dnsmock_queries(struct dnsmock *m)
{
	unsigned int	n;

	pthread_mutex_lock(&m->lock);
	n = m->queries;
	pthread_mutex_unlock(&m->lock);
	return n;
}

void
dnsmock_stop(struct dnsmock *m)
{
	if (m == NULL)
		return;
	__atomic_store_n(&m->stop, 1, __ATOMIC_RELEASE);
	pthread_join(m->thread, NULL);
	close(m->fd);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
