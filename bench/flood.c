/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * flood -- the load of bench/flood.sh: many distinct loopback sources, and
 * one legitimate client that measures its loss and latency.
 *
 *	flood spray -d ADDR:PORT [-n SOURCES] [-k EACH] [-r RATE] [-b BASE]
 *	flood probe -d ADDR:PORT [-t SECONDS] [-i INTERVAL_MS] [-s SRC]
 *
 * spray sends EACH datagrams from each of SOURCES addresses BASE, BASE+1,
 * ... (default 127.1.0.0, so 127.1.0.0 to 127.1.195.79 for 50,000), all
 * of 127.0.0.0/8 being local, from one socket: the source of each datagram
 * is set with IP_PKTINFO, so no socket per source is needed. RATE bounds
 * datagrams per second (default 30000); the whole run is bounded by
 * SOURCES x EACH datagrams. Replies are read and discarded.
 *
 * probe sends one numbered request every INTERVAL_MS (default 10) from SRC
 * (default 127.0.0.1) for SECONDS (default 5), waits 500 ms for the last
 * replies, and prints sent, received, loss and the round-trip p50, p99 and
 * maximum in microseconds, as one JSON line.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH		64
#define PROBE_MAX	100000

static int64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
usage(void)
{
	fprintf(stderr, "usage: flood spray -d ADDR:PORT [-n N] [-k K] "
	    "[-r RATE] [-b BASE]\n"
	    "       flood probe -d ADDR:PORT [-t S] [-i MS] [-s SRC]\n");
	exit(2);
}

static void
parse_dst(const char *s, struct sockaddr_in *sin)
{
	char		 host[64];
	const char	*colon = strrchr(s, ':');

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		usage();
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		usage();
}

static int
spray(struct sockaddr_in *dst, long n, long k, long rate, uint32_t base)
{
	struct mmsghdr		 msg[BATCH];
	struct iovec		 iov[BATCH];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	}			 ctl[BATCH];
	struct in_pktinfo	*pi;
	struct cmsghdr		*c;
	struct sockaddr_in	 any;
	char			 payload[BATCH][32], junk[2048];
	long			 total = n * k, sent = 0, errors = 0, i;
	int64_t			 t0 = now_us(), due;
	int			 fd, m, r, on = 1;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1) {
		perror("socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	memset(&any, 0, sizeof(any));
	any.sin_family = AF_INET;
	if (bind(fd, (struct sockaddr *)&any, sizeof(any)) == -1) {
		perror("bind");
		return 1;
	}
	while (sent < total) {
		/* Pace: the next batch is due at sent / rate seconds. */
		due = t0 + (int64_t)((double)sent * 1e6 / (double)rate);
		while (now_us() < due)
			while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
				;
		m = total - sent < BATCH ? (int)(total - sent) : BATCH;
		memset(msg, 0, sizeof(msg));
		memset(ctl, 0, sizeof(ctl));
		for (i = 0; i < m; i++) {
			/* Source by source, each k times: round-robin. */
			long	 idx = (sent + i) % n;

			iov[i].iov_base = payload[i];
			iov[i].iov_len = (size_t)snprintf(payload[i],
			    sizeof(payload[i]), "flood %ld", sent + i);
			msg[i].msg_hdr.msg_name = dst;
			msg[i].msg_hdr.msg_namelen = sizeof(*dst);
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_control = ctl[i].buf;
			msg[i].msg_hdr.msg_controllen = sizeof(ctl[i].buf);
			c = CMSG_FIRSTHDR(&msg[i].msg_hdr);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(*pi));
			pi = (struct in_pktinfo *)(void *)CMSG_DATA(c);
			pi->ipi_spec_dst.s_addr = htonl(base + (uint32_t)idx);
		}
		r = sendmmsg(fd, msg, (unsigned int)m, 0);
		if (r <= 0) {
			if (errno != EAGAIN && errno != ENOBUFS) {
				perror("sendmmsg");
				return 1;
			}
			errors++;
			continue;
		}
		sent += r;
	}
	printf("{\"spray\":{\"sources\":%ld,\"each\":%ld,\"sent\":%ld,"
	    "\"seconds\":%.2f,\"send_retries\":%ld}}\n", n, k, sent,
	    (double)(now_us() - t0) / 1e6, errors);
	close(fd);
	return 0;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int
probe(struct sockaddr_in *dst, double seconds, int interval_ms,
    const char *src)
{
	static int64_t		 sent_at[PROBE_MAX], rtt[PROBE_MAX];
	struct sockaddr_in	 me;
	struct pollfd		 pfd;
	char			 buf[256];
	long			 nsent = 0, nrecv = 0, seq, max;
	int64_t			 t0, next, end, now, wait;
	ssize_t			 n;
	int			 fd;

	max = (long)(seconds * 1000 / interval_ms) + 1;
	if (max > PROBE_MAX)
		max = PROBE_MAX;
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return 1;
	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	inet_pton(AF_INET, src, &me.sin_addr);
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) == -1 ||
	    connect(fd, (struct sockaddr *)dst, sizeof(*dst)) == -1) {
		perror("probe socket");
		return 1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	t0 = next = now_us();
	end = t0 + (int64_t)(seconds * 1e6);
	for (;;) {
		now = now_us();
		if (now >= next && now < end && nsent < max) {
			n = snprintf(buf, sizeof(buf), "probe %ld", nsent);
			sent_at[nsent++] = now;
			send(fd, buf, (size_t)n, 0);
			next += interval_ms * 1000;
		}
		if (now >= end + 500000)
			break;
		wait = (now < end ? next : end + 500000) - now;
		if (wait < 0)
			wait = 0;
		if (poll(&pfd, 1, (int)(wait / 1000) + 1) <= 0)
			continue;
		while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
			buf[n] = '\0';
			if (sscanf(buf, "probe %ld", &seq) == 1 && seq >= 0 &&
			    seq < nsent && sent_at[seq] != 0) {
				rtt[nrecv++] = now_us() - sent_at[seq];
				sent_at[seq] = 0;
			}
		}
	}
	qsort(rtt, (size_t)nrecv, sizeof(rtt[0]), cmp64);
	printf("{\"probe\":{\"sent\":%ld,\"received\":%ld,\"lost\":%ld,"
	    "\"p50_us\":%lld,\"p99_us\":%lld,\"max_us\":%lld}}\n", nsent,
	    nrecv, nsent - nrecv,
	    nrecv ? (long long)rtt[nrecv / 2] : -1LL,
	    nrecv ? (long long)rtt[(nrecv * 99) / 100 < nrecv ?
	    (nrecv * 99) / 100 : nrecv - 1] : -1LL,
	    nrecv ? (long long)rtt[nrecv - 1] : -1LL);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in	 dst;
	struct in_addr		 b;
	const char		*mode, *src = "127.0.0.1", *d = NULL;
	long			 n = 50000, k = 3, rate = 30000;
	double			 seconds = 5;
	int			 ch, interval = 10;
	uint32_t		 base;

	if (argc < 2)
		usage();
	mode = argv[1];
	inet_pton(AF_INET, "127.1.0.0", &b);
	base = ntohl(b.s_addr);
	optind = 2;
	while ((ch = getopt(argc, argv, "d:n:k:r:b:t:i:s:")) != -1) {
		switch (ch) {
		case 'd': d = optarg; break;
		case 'n': n = atol(optarg); break;
		case 'k': k = atol(optarg); break;
		case 'r': rate = atol(optarg); break;
		case 'b':
			if (inet_pton(AF_INET, optarg, &b) != 1)
				usage();
			base = ntohl(b.s_addr);
			break;
		case 't': seconds = atof(optarg); break;
		case 'i': interval = atoi(optarg); break;
		case 's': src = optarg; break;
		default: usage();
		}
	}
	if (d == NULL || n < 1 || n > 16000000 || k < 1 || k > 1000 ||
	    rate < 1 || interval < 1 || seconds <= 0 || seconds > 600)
		usage();
	parse_dst(d, &dst);
	if (strcmp(mode, "spray") == 0)
		return spray(&dst, n, k, rate, base);
	if (strcmp(mode, "probe") == 0)
		return probe(&dst, seconds, interval, src);
	usage();
	return 2;
}
