/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * udpload -- closed-loop UDP load generator for the udproxy benchmark.
 *
 * Load mode (default): N client sockets, each its own session (its own
 * source port), each keeps WINDOW requests outstanding against ADDR:PORT.
 * Every reply is checked, its round trip taken from the timestamp carried in
 * the payload, and a new request sent.  Runs WARMUP + DURATION seconds or
 * until COUNT requests were sent, whichever comes first, then drains the
 * replies still in flight (bounded) and prints one JSON line.
 *
 * Sessions mode (-S K): K sockets each send one datagram and wait for its
 * reply (at most -w in flight at once, bounded retries), so the proxy ends
 * up holding K sessions.  Prints one JSON line, then holds the sockets open
 * until SIGTERM/SIGINT or -H seconds, so a driver can measure the proxy.
 *
 * Free-port helper (-P COUNT): prints COUNT UDP ports that are free on
 * 127.0.0.1, picked below the kernel's ephemeral range, and exits.
 *
 * Plain C11 + Linux (epoll), no dependencies beyond libc.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
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

#define MAGIC		0x75647062u	/* "udpb" */
#define HDR_SIZE	24
#define MAX_CLIENTS	60000
#define MAX_WINDOW	256
#define HIST_US		1000000		/* 1 us buckets up to 1 s */
#define RECV_BUDGET	64		/* datagrams per socket per wakeup */
#define SCAN_NS		10000000LL	/* timeout scan every 10 ms */

struct hdr {
	uint32_t	magic;
	uint32_t	client;
	uint32_t	epoch;
	uint32_t	seq;
	uint64_t	ts_ns;
};

struct client {
	int		fd;
	uint32_t	epoch;		/* bumped when the window is declared lost */
	uint32_t	seq;
	int		outstanding;
	int		tries;		/* sessions mode */
	int		state;		/* sessions mode: enum sess_state */
	int64_t		last_ns;	/* last send or reply */
};

enum sess_state {
	SESS_IDLE,
	SESS_WAIT,
	SESS_DONE,
	SESS_FAILED
};

struct hist {
	uint32_t	*us;
	uint64_t	 over;		/* >= 1 s */
	uint64_t	 n;
	uint64_t	 max_ns;
	double		 sum_us;
};

static volatile sig_atomic_t stop;

static struct client *clients;
static unsigned nclients;
static struct sockaddr_storage target;
static socklen_t target_len;
static size_t payload_size = 100;
static char *sendbuf;

/*
 * DNS mode (-Q NAME): each request is a DNS query for NAME (type A, RD),
 * whose ID is the client's epoch (high byte) and sequence (low byte);
 * the send time is kept per client and slot, since a reply carries no
 * timestamp. A reply must be a response (QR) with the ID of a query.
 */
static int dns_mode;

/*
 * Open loop (-r RATE): requests leave at RATE per second in all, round
 * robin over the clients, whatever the replies do (a client with -w
 * requests outstanding is skipped and the send counted as "deferred");
 * otherwise each reply triggers the next request (closed loop).
 */
static double rate;
static uint64_t deferred;
static uint64_t *dns_ts;	/* nclients x 256 send times */

/* Counters over the whole run (warmup and drain included). */
static uint64_t sent_total, recv_total, late, bad, lost, send_err, refused;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: udpload [options] ADDR:PORT\n"
	    "       udpload -S SESSIONS [options] ADDR:PORT\n"
	    "       udpload -P COUNT\n"
	    "  -n N        client sockets (sessions), 1..%d (default 16)\n"
	    "  -w W        requests outstanding per client, 1..%d "
	    "(default 1);\n"
	    "              in -S mode: sessions being set up at once "
	    "(default 64)\n"
	    "  -s BYTES    payload size, %d..65507 (default 100)\n"
	    "  -d SECONDS  measured duration (default 5; -S mode: setup "
	    "limit, default 30)\n"
	    "  -W SECONDS  warmup before measuring (default 0.5)\n"
	    "  -m COUNT    stop after COUNT requests sent (default: no "
	    "limit)\n"
	    "  -T MS       a client's window is declared lost after MS "
	    "without a reply (default 200)\n"
	    "  -B N        bind clients round-robin to 127.0.0.1..127.0.0.N "
	    "(IPv4; default: kernel's choice)\n"
	    "  -S K        sessions mode: K sockets, one round trip each, "
	    "then hold\n"
	    "  -H SECONDS  sessions mode: hold at most this long (default 60)\n"
	    "  -l LABEL    label copied into the output line\n"
	    "  -r RATE     open loop: RATE requests/s in all, round robin "
	    "over the\n"
	    "              clients (at most -w outstanding each)\n"
	    "  -Q NAME     DNS mode: each request is a query for NAME "
	    "(type A);\n"
	    "              a reply must be a response with a query's ID\n"
	    "  -P COUNT    print COUNT free UDP ports on 127.0.0.1 and exit\n",
	    MAX_CLIENTS, MAX_WINDOW, HDR_SIZE);
	exit(2);
}

static void
stop_cb(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double
num_arg(const char *s, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi)) {
		fprintf(stderr, "udpload: bad number '%s' (%g..%g)\n", s, lo,
		    hi);
		exit(2);
	}
	return v;
}

/* Parse numeric "1.2.3.4:P" or "[v6]:P"; -1 on error. */
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
	if (errno != 0 || *end != '\0' || end == colon + 1 || port < 1 ||
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
raise_nofile(unsigned need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need + 16) {
		fprintf(stderr, "udpload: need %u descriptors, limit is %lu\n",
		    need + 16, (unsigned long)rl.rlim_cur);
		exit(1);
	}
}

static void
hist_add(struct hist *h, int64_t ns)
{
	uint64_t us;

	if (ns < 0)
		ns = 0;
	us = (uint64_t)ns / 1000;
	if (us < HIST_US)
		h->us[us]++;
	else
		h->over++;
	h->n++;
	h->sum_us += ns / 1000.0;
	if ((uint64_t)ns > h->max_ns)
		h->max_ns = (uint64_t)ns;
}

/* Smallest bucket value (us) at or above quantile q; -1 without samples. */
static long
hist_q(const struct hist *h, double q)
{
	uint64_t want, acc = 0;
	long i;

	if (h->n == 0)
		return -1;
	want = (uint64_t)(q * (double)h->n);
	if (want < 1)
		want = 1;
	for (i = 0; i < HIST_US; i++) {
		acc += h->us[i];
		if (acc >= want)
			return i;
	}
	return (long)(h->max_ns / 1000);
}

static void
open_clients(unsigned spread)
{
	unsigned i;
	int size = 1 << 20;

	for (i = 0; i < nclients; i++) {
		struct client *c = &clients[i];

		c->fd = socket(target.ss_family,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->fd == -1) {
			fprintf(stderr, "udpload: socket #%u: %s\n", i,
			    strerror(errno));
			exit(1);
		}
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		if (spread > 1 && target.ss_family == AF_INET) {
			struct sockaddr_in sin;

			memset(&sin, 0, sizeof(sin));
			sin.sin_family = AF_INET;
			sin.sin_addr.s_addr = htonl(0x7f000001u +
			    i % spread);
			if (bind(c->fd, (struct sockaddr *)&sin,
			    sizeof(sin)) == -1) {
				fprintf(stderr, "udpload: bind #%u: %s\n", i,
				    strerror(errno));
				exit(1);
			}
		}
		/* Connected: only the target's replies reach this socket. */
		if (connect(c->fd, (struct sockaddr *)&target,
		    target_len) == -1) {
			fprintf(stderr, "udpload: connect #%u: %s\n", i,
			    strerror(errno));
			exit(1);
		}
	}
}

static int
send_one(unsigned idx, int64_t now)
{
	struct client *c = &clients[idx];
	struct hdr h;

	if (dns_mode) {
		uint16_t id = (uint16_t)(((c->epoch & 0xff) << 8) |
		    (c->seq & 0xff));

		dns_ts[(size_t)idx * 256 + (c->seq & 0xff)] = (uint64_t)now;
		c->seq++;
		sendbuf[0] = (char)(id >> 8);
		sendbuf[1] = (char)(id & 0xff);
	} else {
		h.magic = MAGIC;
		h.client = idx;
		h.epoch = c->epoch;
		h.seq = c->seq++;
		h.ts_ns = (uint64_t)now;
		memcpy(sendbuf, &h, sizeof(h));
	}
	if (send(c->fd, sendbuf, payload_size, MSG_DONTWAIT) == -1) {
		if (errno == ECONNREFUSED)
			refused++;
		else
			send_err++;
		return -1;
	}
	sent_total++;
	c->outstanding++;
	c->last_ns = now;
	return 0;
}

/*
 * Read what one socket has (bounded).  Returns the number of valid, current
 * replies; their send timestamps go to *ts (up to RECV_BUDGET).
 */
static int
recv_some(unsigned idx, uint64_t *ts)
{
	struct client *c = &clients[idx];
	char buf[65536];
	struct hdr h;
	ssize_t r;
	int i, good = 0;

	for (i = 0; i < RECV_BUDGET; i++) {
		r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r == -1) {
			if (errno == ECONNREFUSED) {
				refused++;
				continue;
			}
			break;
		}
		if (dns_mode) {
			unsigned char *u = (unsigned char *)buf;
			unsigned id;

			/* A response (QR) to a query of ours. */
			if (r < 12 || !(u[2] & 0x80)) {
				bad++;
				continue;
			}
			id = ((unsigned)u[0] << 8) | u[1];
			if ((id >> 8) != (c->epoch & 0xff)) {
				late++;
				continue;
			}
			recv_total++;
			if (c->outstanding > 0)
				c->outstanding--;
			ts[good++] = dns_ts[(size_t)idx * 256 + (id & 0xff)];
			continue;
		}
		if ((size_t)r != payload_size) {
			bad++;
			continue;
		}
		memcpy(&h, buf, sizeof(h));
		if (h.magic != MAGIC || h.client != idx) {
			bad++;
			continue;
		}
		if (h.epoch != c->epoch) {
			late++;	/* its window was already declared lost */
			continue;
		}
		recv_total++;
		if (c->outstanding > 0)
			c->outstanding--;
		ts[good++] = h.ts_ns;
	}
	return good;
}

static void
print_common(const char *mode, const char *label)
{
	printf("{\"mode\":\"%s\",\"label\":\"%s\",\"clients\":%u,"
	    "\"size\":%zu,", mode, label, nclients, payload_size);
}

static int
run_load(int ep, int window, double warmup, double duration,
    uint64_t max_count, int64_t timeout_ns, const char *label)
{
	struct epoll_event evs[256];
	struct hist h;
	uint64_t ts[RECV_BUDGET], measured = 0, outstanding_sum;
	int64_t now, t0, warm_end, end, stop_at = 0, drain_end = 0, next_scan;
	unsigned i;
	int n, j, k, good, stopping = 0;
	uint64_t paced = 0, due;
	unsigned rr = 0, tries;
	struct timespec wait;

	memset(&h, 0, sizeof(h));
	h.us = calloc(HIST_US, sizeof(*h.us));
	if (h.us == NULL) {
		perror("udpload: calloc");
		return 1;
	}
	t0 = now_ns();
	warm_end = t0 + (int64_t)(warmup * 1e9);
	end = warm_end + (int64_t)(duration * 1e9);
	next_scan = t0 + SCAN_NS;
	for (i = 0; rate == 0 && i < nclients; i++)
		for (k = 0; k < window; k++)
			if (max_count == 0 || sent_total < max_count)
				send_one(i, t0);

	for (;;) {
		now = now_ns();
		if (!stopping && (stop || now >= end ||
		    (max_count != 0 && sent_total >= max_count))) {
			stopping = 1;
			stop_at = now < end ? now : end;
			/* Give the last requests one timeout, at most 0.5 s. */
			drain_end = now + (timeout_ns < 500000000LL ?
			    timeout_ns : 500000000LL);
		}
		if (stopping) {
			outstanding_sum = 0;
			for (i = 0; i < nclients; i++)
				outstanding_sum +=
				    (uint64_t)clients[i].outstanding;
			if (outstanding_sum == 0 || now >= drain_end)
				break;
		}
		if (rate > 0 && !stopping) {
			/* The sends that are due by now, then sleep until next. */
			due = (uint64_t)((double)(now - t0) * rate / 1e9);
			for (; paced < due; paced++) {
				for (tries = 0; tries < nclients &&
				    clients[rr].outstanding >= window; tries++)
					rr = (rr + 1) % nclients;
				if (tries == nclients)
					deferred++;
				else
					send_one(rr, now);
				rr = (rr + 1) % nclients;
			}
			wait.tv_sec = 0;
			wait.tv_nsec = (long)(1e9 / rate) -
			    (long)((now - t0) % (int64_t)(1e9 / rate));
			if (wait.tv_nsec <= 0 || wait.tv_nsec >= 1000000000L)
				wait.tv_nsec = 1000;
			n = epoll_pwait2(ep, evs, 256, &wait, NULL);
		} else
			n = epoll_wait(ep, evs, 256, 5);
		if (n == -1 && errno != EINTR) {
			perror("udpload: epoll_wait");
			return 1;
		}
		now = now_ns();
		for (j = 0; j < n; j++) {
			i = evs[j].data.u32;
			good = recv_some(i, ts);
			for (k = 0; k < good; k++) {
				if ((int64_t)ts[k] >= warm_end && now <= end) {
					hist_add(&h, now - (int64_t)ts[k]);
					measured++;
				}
				if (rate == 0 && !stopping && now < end &&
				    (max_count == 0 ||
				    sent_total < max_count))
					send_one(i, now);
			}
			if (good > 0)
				clients[i].last_ns = now;
		}
		if (now < next_scan)
			continue;
		next_scan = now + SCAN_NS;
		/* Loss recovery: a silent window is written off and resent. */
		for (i = 0; i < nclients; i++) {
			struct client *c = &clients[i];

			if (c->outstanding > 0 &&
			    now - c->last_ns > timeout_ns) {
				lost += (uint64_t)c->outstanding;
				c->outstanding = 0;
				c->epoch++;
			}
			if (stopping || rate > 0)
				continue;
			while (c->outstanding < window && (max_count == 0 ||
			    sent_total < max_count))
				if (send_one(i, now) == -1)
					break;
		}
	}
	if (stop_at <= warm_end)
		stop_at = warm_end + 1;
	print_common("load", label);
	printf("\"window\":%d,\"duration_s\":%.3f,\"sent\":%llu,"
	    "\"received\":%llu,\"measured\":%llu,\"replies_per_s\":%.0f,"
	    "\"lost\":%llu,\"late\":%llu,\"bad\":%llu,\"send_err\":%llu,"
	    "\"refused\":%llu,\"deferred\":%llu,\"p50_us\":%ld,\"p90_us\":%ld,\"p99_us\":%ld,"
	    "\"p999_us\":%ld,\"max_us\":%.0f,\"mean_us\":%.1f}\n",
	    window, (stop_at - warm_end) / 1e9,
	    (unsigned long long)sent_total, (unsigned long long)recv_total,
	    (unsigned long long)measured,
	    measured / ((stop_at - warm_end) / 1e9),
	    (unsigned long long)lost, (unsigned long long)late,
	    (unsigned long long)bad, (unsigned long long)send_err,
	    (unsigned long long)refused, (unsigned long long)deferred,
	    hist_q(&h, 0.50), hist_q(&h, 0.90), hist_q(&h, 0.99),
	    hist_q(&h, 0.999), h.max_ns / 1000.0,
	    h.n ? h.sum_us / (double)h.n : 0.0);
	fflush(stdout);
	free(h.us);
	return recv_total > 0 ? 0 : 1;
}

static int
run_sessions(int ep, int inflight_max, double limit, double hold,
    int64_t timeout_ns, const char *label)
{
	struct epoll_event evs[256];
	struct hist h;
	uint64_t ts[RECV_BUDGET], retries = 0;
	int64_t now, t0, deadline, hold_end, next_scan;
	unsigned i, next = 0, ok = 0, failed = 0, inflight = 0;
	int n, j, good;

	memset(&h, 0, sizeof(h));
	h.us = calloc(HIST_US, sizeof(*h.us));
	if (h.us == NULL) {
		perror("udpload: calloc");
		return 1;
	}
	now = t0 = now_ns();
	deadline = t0 + (int64_t)(limit * 1e9);
	next_scan = t0 + SCAN_NS;
	while (ok + failed < nclients && !stop) {
		now = now_ns();
		if (now >= deadline)
			break;
		while (next < nclients && inflight < (unsigned)inflight_max) {
			clients[next].state = SESS_WAIT;
			clients[next].tries = 1;
			send_one(next, now);
			clients[next].last_ns = now;
			next++;
			inflight++;
		}
		n = epoll_wait(ep, evs, 256, 5);
		if (n == -1 && errno != EINTR) {
			perror("udpload: epoll_wait");
			return 1;
		}
		now = now_ns();
		for (j = 0; j < n; j++) {
			i = evs[j].data.u32;
			good = recv_some(i, ts);
			if (good > 0 && clients[i].state == SESS_WAIT) {
				hist_add(&h, now - (int64_t)ts[0]);
				clients[i].state = SESS_DONE;
				ok++;
				inflight--;
			}
		}
		if (now < next_scan)
			continue;
		next_scan = now + SCAN_NS;
		for (i = 0; i < next; i++) {
			struct client *c = &clients[i];

			if (c->state != SESS_WAIT ||
			    now - c->last_ns <= timeout_ns)
				continue;
			if (c->tries >= 3) {
				c->state = SESS_FAILED;
				failed++;
				inflight--;
				continue;
			}
			c->tries++;
			retries++;
			c->outstanding = 0;
			c->epoch++;
			send_one(i, now);
			c->last_ns = now;
		}
	}
	print_common("sessions", label);
	printf("\"sessions\":%u,\"ok\":%u,\"failed\":%u,\"unfinished\":%u,"
	    "\"retries\":%llu,\"elapsed_s\":%.3f,\"setup_p50_us\":%ld,"
	    "\"setup_p99_us\":%ld,\"hold_s\":%.0f}\n",
	    nclients, ok, failed, nclients - ok - failed,
	    (unsigned long long)retries, (now_ns() - t0) / 1e9,
	    hist_q(&h, 0.50), hist_q(&h, 0.99), hold);
	fflush(stdout);
	free(h.us);

	/* Hold the sockets (and so the proxy's sessions) for the driver. */
	hold_end = now_ns() + (int64_t)(hold * 1e9);
	while (!stop && now_ns() < hold_end) {
		struct timespec tick = { 0, 100000000L };

		nanosleep(&tick, NULL);	/* EINTR on SIGTERM is fine */
	}
	return ok == nclients ? 0 : 1;
}

/* Print COUNT UDP ports free on 127.0.0.1, below the ephemeral range. */
static int
free_ports(unsigned count)
{
	int fds[64];
	unsigned found = 0, tries;
	struct sockaddr_in sin;
	uint16_t port;

	if (count > 64)
		count = 64;
	srandom((unsigned)(now_ns() ^ getpid()));
	for (tries = 0; tries < 2000 && found < count; tries++) {
		port = (uint16_t)(20000 + random() % 12000);
		fds[found] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fds[found] == -1)
			return 1;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin.sin_port = htons(port);
		if (bind(fds[found], (struct sockaddr *)&sin,
		    sizeof(sin)) == -1) {
			close(fds[found]);
			continue;
		}
		printf("%u\n", port);
		found++;
	}
	while (found > 0)
		close(fds[--found]);
	return found == count ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	struct epoll_event ev;
	const char *label = "", *qname = NULL;
	double warmup = 0.5, duration = -1, hold = 60;
	uint64_t max_count = 0;
	int64_t timeout_ns = 200000000LL;
	unsigned sessions = 0, spread = 1, i;
	int window = -1, c, ep, rc;

	nclients = 16;
	while ((c = getopt(argc, argv, "n:w:s:d:W:m:T:B:S:H:l:P:Q:r:h")) != -1) {
		switch (c) {
		case 'r':
			rate = num_arg(optarg, 1, 1e7);
			break;
		case 'Q':
			dns_mode = 1;
			qname = optarg;
			break;
		case 'n':
			nclients = (unsigned)num_arg(optarg, 1, MAX_CLIENTS);
			break;
		case 'w':
			window = (int)num_arg(optarg, 1, MAX_WINDOW);
			break;
		case 's':
			payload_size = (size_t)num_arg(optarg, HDR_SIZE, 65507);
			break;
		case 'd':
			duration = num_arg(optarg, 0.001, 3600);
			break;
		case 'W':
			warmup = num_arg(optarg, 0, 60);
			break;
		case 'm':
			max_count = (uint64_t)num_arg(optarg, 1, 1e15);
			break;
		case 'T':
			timeout_ns = (int64_t)(num_arg(optarg, 1, 60000) *
			    1e6);
			break;
		case 'B':
			spread = (unsigned)num_arg(optarg, 1, 254);
			break;
		case 'S':
			sessions = (unsigned)num_arg(optarg, 1, MAX_CLIENTS);
			break;
		case 'H':
			hold = num_arg(optarg, 0, 3600);
			break;
		case 'l':
			label = optarg;
			break;
		case 'P':
			return free_ports((unsigned)num_arg(optarg, 1, 64));
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	if (parse_addr(argv[optind], &target, &target_len) == -1) {
		fprintf(stderr, "udpload: bad address '%s'\n", argv[optind]);
		return 2;
	}
	if (strchr(label, '"') != NULL || strchr(label, '\\') != NULL) {
		fprintf(stderr, "udpload: label must not contain quotes\n");
		return 2;
	}
	if (sessions > 0) {
		nclients = sessions;
		if (window < 0)
			window = 64;
		if (duration < 0)
			duration = 30;
	} else {
		if (window < 0)
			window = 1;
		if (duration < 0)
			duration = 5;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_cb;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	raise_nofile(nclients);
	clients = calloc(nclients, sizeof(*clients));
	sendbuf = calloc(1, payload_size);
	if (clients == NULL || sendbuf == NULL) {
		perror("udpload: calloc");
		return 1;
	}
	for (i = HDR_SIZE; i < payload_size; i++)
		sendbuf[i] = (char)('a' + i % 26);
	if (dns_mode) {
		unsigned char q[300], *p = q + 12;
		const char *l = qname, *dot;
		size_t n;

		memset(q, 0, 12);
		q[2] = 0x01;		/* RD */
		q[5] = 1;		/* QDCOUNT */
		while (*l != '\0') {
			dot = strchr(l, '.');
			n = dot != NULL ? (size_t)(dot - l) : strlen(l);
			if (n == 0 || n > 63 || (size_t)(p - q) + n + 6 >
			    sizeof(q)) {
				fprintf(stderr, "udpload: bad name '%s'\n",
				    qname);
				return 2;
			}
			*p++ = (unsigned char)n;
			memcpy(p, l, n);
			p += n;
			l += n;
			if (*l == '.')
				l++;
		}
		*p++ = 0;
		*p++ = 0; *p++ = 1;	/* type A */
		*p++ = 0; *p++ = 1;	/* class IN */
		payload_size = (size_t)(p - q);
		free(sendbuf);
		if ((sendbuf = malloc(payload_size)) == NULL ||
		    window > 256 || (dns_ts = calloc((size_t)nclients * 256,
		    sizeof(*dns_ts))) == NULL) {
			fprintf(stderr, "udpload: DNS mode: window at most "
			    "256, or out of memory\n");
			return 1;
		}
		memcpy(sendbuf, q, payload_size);
	}
	open_clients(spread);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep == -1) {
		perror("udpload: epoll_create1");
		return 1;
	}
	for (i = 0; i < nclients; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u32 = i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, clients[i].fd, &ev) == -1) {
			perror("udpload: epoll_ctl");
			return 1;
		}
	}
	if (sessions > 0)
		rc = run_sessions(ep, window, duration, hold, timeout_ns,
		    label);
	else
		rc = run_load(ep, window, warmup, duration, max_count,
		    timeout_ns, label);
	for (i = 0; i < nclients; i++)
		close(clients[i].fd);
	close(ep);
	return rc;
}
