/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * udpecho -- a fast UDP echo upstream for the udproxy benchmark.
 *
 * Single thread, one socket: recvmmsg() a batch, sendmmsg() it straight
 * back to each sender.  Runs until the time limit (-t) or SIGTERM/SIGINT,
 * then prints one line of counters.  Plain C11 + Linux, no dependencies.
 *
 *	udpecho [-t SECONDS] [-b BATCH] ADDR:PORT
 *
 * ADDR:PORT is numeric ("127.0.0.1:0", "[::1]:9000"); port 0 lets the kernel
 * pick.  The bound address is printed on the first line of stdout as
 *	{"udpecho":"127.0.0.1:40123","port":40123}
 * so a driver script can read the port back.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX	256
#define BUF_SIZE	65536	/* a whole UDP datagram always fits */

static volatile sig_atomic_t stop;

static void
usage(void)
{
	fprintf(stderr, "usage: udpecho [-t SECONDS] [-b BATCH] ADDR:PORT\n"
	    "  -t SECONDS  exit after this long (default 600, max 86400)\n"
	    "  -b BATCH    datagrams per recvmmsg (1..%d, default 64)\n",
	    BATCH_MAX);
	exit(2);
}

static void
stop_cb(int sig)
{
	(void)sig;
	stop = 1;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Parse numeric "1.2.3.4:P" or "[v6]:P" into ss; -1 on error. */
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

static void
print_bound(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	unsigned port;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1) {
		perror("udpecho: getsockname");
		exit(1);
	}
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
		printf("{\"udpecho\":\"%s:%u\",\"port\":%u}\n", host, port,
		    port);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
		printf("{\"udpecho\":\"[%s]:%u\",\"port\":%u}\n", host, port,
		    port);
	}
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	static char bufs[BATCH_MAX][BUF_SIZE];
	static struct mmsghdr msgs[BATCH_MAX];
	static struct iovec iovs[BATCH_MAX];
	static struct sockaddr_storage peers[BATCH_MAX];
	struct sockaddr_storage ss;
	struct sigaction sa;
	struct pollfd pfd;
	socklen_t sslen;
	double limit = 600, deadline;
	unsigned long long rx = 0, tx = 0, tx_err = 0, trunc = 0;
	int batch = 64, fd, c, i, n, sent, size;
	char *end;

	while ((c = getopt(argc, argv, "t:b:h")) != -1) {
		switch (c) {
		case 't':
			limit = strtod(optarg, &end);
			if (*end != '\0' || !(limit > 0 && limit <= 86400))
				usage();
			break;
		case 'b':
			batch = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || batch < 1 || batch > BATCH_MAX)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	if (parse_addr(argv[optind], &ss, &sslen) == -1) {
		fprintf(stderr, "udpecho: bad address '%s'\n", argv[optind]);
		return 2;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_cb;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		perror("udpecho: socket");
		return 1;
	}
	/* Bigger buffers absorb bursts from many sessions; best effort. */
	size = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1) {
		fprintf(stderr, "udpecho: bind %s: %s\n", argv[optind],
		    strerror(errno));
		return 1;
	}
	print_bound(fd);

	for (i = 0; i < batch; i++) {
		iovs[i].iov_base = bufs[i];
		iovs[i].iov_len = BUF_SIZE;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	deadline = now_s() + limit;
	while (!stop) {
		/* Short poll timeout so the deadline and signals are seen. */
		n = poll(&pfd, 1, 200);
		if (n == -1 && errno != EINTR) {
			perror("udpecho: poll");
			break;
		}
		if (now_s() >= deadline)
			break;
		if (n <= 0)
			continue;
		for (;;) {
			for (i = 0; i < batch; i++) {
				memset(&msgs[i].msg_hdr, 0,
				    sizeof(msgs[i].msg_hdr));
				iovs[i].iov_len = BUF_SIZE;
				msgs[i].msg_hdr.msg_iov = &iovs[i];
				msgs[i].msg_hdr.msg_iovlen = 1;
				msgs[i].msg_hdr.msg_name = &peers[i];
				msgs[i].msg_hdr.msg_namelen = sizeof(peers[i]);
			}
			n = recvmmsg(fd, msgs, (unsigned)batch, MSG_DONTWAIT,
			    NULL);
			if (n <= 0)
				break;
			rx += (unsigned)n;
			for (i = 0; i < n; i++) {
				if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
					trunc++;
				iovs[i].iov_len = msgs[i].msg_len;
			}
			/* Echo the batch; retry the rest after a partial send. */
			for (sent = 0; sent < n;) {
				c = sendmmsg(fd, msgs + sent,
				    (unsigned)(n - sent), MSG_DONTWAIT);
				if (c > 0) {
					sent += c;
					continue;
				}
				/* Unsendable datagram: count it, skip it. */
				tx_err++;
				sent++;
			}
			tx += (unsigned)n;
			if (n < batch || stop)
				break;
		}
	}
	printf("{\"udpecho_exit\":1,\"rx\":%llu,\"tx\":%llu,"
	    "\"tx_err\":%llu,\"truncated\":%llu}\n",
	    rx, tx - tx_err, tx_err, trunc);
	close(fd);
	return 0;
}
