/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Forwarding through the real daemon on loopback: exact bytes, which
 * client gets which reply, counters, idle expiry, limits, ICMP refusals,
 * wildcard listeners.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

/*
 * The IPv6 cases run on ::1; a host without IPv6 loopback runs them on
 * IPv4 instead (h_family6 says so once on stderr).
 */
#define F6	h_family6()
#define LO6	(h_family6() == AF_INET6 ? "[::1]" : "127.0.0.1")
#define ANY6	(h_family6() == AF_INET6 ? "[::]" : "0.0.0.0")
#define MAX6	(h_family6() == AF_INET6 ? 65527 : 65507)

static const char	*dir;
static char		 conf[256];

static struct daemon *
start(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes the config from fmt and starts the daemon on it. */
static struct daemon *
start(const char *fmt, ...)
{
	char		 text[4096];
	va_list		 ap;
	struct daemon	*d;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	dir = h_tmpdir();
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	h_write_file(conf, "%s", text);
	d = daemon_start(dir, conf, NULL);
	ck_assert_msg(d != NULL, "daemon did not start");
	return d;
}

static void
stop(struct daemon *d)
{
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
}

/* Parses "tag port payload" from a MOCK_PEER reply. */
static unsigned int
peer_port(const char *reply, const char *tag, const char *payload)
{
	char		 t[32], p[256];
	unsigned int	 port = 0;

	ck_assert_int_eq(sscanf(reply, "%31s %u %255[^\n]", t, &port, p), 3);
	ck_assert_str_eq(t, tag);
	ck_assert_str_eq(p, payload);
	return port;
}

START_TEST(round_trip_v4_v6)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 p4 = h_free_port(AF_INET), p6 = h_free_port(F6);
	struct daemon	*d;
	char		 buf[64];
	int		 c4, c6;

	d = start("routes = (\n"
	    "  { name = \"v4\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"v6\"; listen = \"%s:%u\"; upstream = \"127.0.0.1:%u\"; }\n"
	    ");\n", p4, m->port, LO6, p6, m->port);
	ck_assert_int_eq(daemon_log_count(d, "route v4: listening on "
	    "127.0.0.1:"), 1);
	c4 = client_open(AF_INET, p4);
	c6 = client_open(F6, p6);
	ck_assert_int_eq(client_rt_str(c4, "hello", buf, sizeof(buf), 2000), 0);
	ck_assert_str_eq(buf, "hello");
	ck_assert_int_eq(client_rt_str(c6, "hello six", buf, sizeof(buf),
	    2000), 0);
	ck_assert_str_eq(buf, "hello six");

	ck_assert_int_eq(daemon_stat(d, "v4", "rx_datagrams"), 1);
	ck_assert_int_eq(daemon_stat(d, "v4", "rx_bytes"), 5);
	ck_assert_int_eq(daemon_stat(d, "v4", "tx_datagrams"), 1);
	ck_assert_int_eq(daemon_stat(d, "v4", "tx_bytes"), 5);
	ck_assert_int_eq(daemon_stat(d, "v4", "sessions_created"), 1);
	ck_assert_int_eq(daemon_stat(d, "v4", "sessions_active"), 1);
	ck_assert_int_eq(daemon_stat(d, "v6", "rx_bytes"), 9);
	ck_assert_int_eq(daemon_stat(d, "v6", "tx_bytes"), 9);
	close(c4);
	close(c6);
	stop(d);
	mock_stop(m);
}
END_TEST

#define NROUTES		3
#define NCLIENTS	20	/* per route */
#define NMSGS		5

/*
 * Sixty clients on three routes send before anyone reads, so sessions
 * interleave inside the daemon; every reply must come back to the client
 * that asked, through one upstream port per client.
 */
START_TEST(many_clients_own_replies)
{
	struct mock	*m[NROUTES];
	uint16_t	 lp[NROUTES];
	unsigned int	 port[NROUTES][NCLIENTS], p;
	int		 c[NROUTES][NCLIENTS];
	char		 tag[8], msg[64], buf[256];
	struct daemon	*d;
	int		 r, i, j, k;

	for (r = 0; r < NROUTES; r++) {
		snprintf(tag, sizeof(tag), "u%d", r);
		m[r] = mock_start(AF_INET, 0, MOCK_PEER, tag);
		lp[r] = h_free_port(r == 1 ? F6 : AF_INET);
	}
	d = start("routes = (\n"
	    "  { name = \"r0\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"r1\"; listen = \"%s:%u\"; upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"r2\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; }\n"
	    ");\n", lp[0], m[0]->port, LO6, lp[1], m[1]->port, lp[2],
	    m[2]->port);
	for (r = 0; r < NROUTES; r++)
		for (i = 0; i < NCLIENTS; i++) {
			c[r][i] = client_open(r == 1 ? F6 : AF_INET,
			    lp[r]);
			ck_assert_int_ge(c[r][i], 0);
		}
	for (j = 0; j < NMSGS; j++) {
		for (r = 0; r < NROUTES; r++)
			for (i = 0; i < NCLIENTS; i++) {
				snprintf(msg, sizeof(msg), "r%d c%d m%d", r, i,
				    j);
				ck_assert_int_eq(send(c[r][i], msg,
				    strlen(msg), 0), (ssize_t)strlen(msg));
			}
		for (r = 0; r < NROUTES; r++)
			for (i = 0; i < NCLIENTS; i++) {
				ssize_t n = client_recv(c[r][i], buf,
				    sizeof(buf) - 1, 3000);
				ck_assert_int_gt(n, 0);
				buf[n] = '\0';
				snprintf(tag, sizeof(tag), "u%d", r);
				snprintf(msg, sizeof(msg), "r%d c%d m%d", r, i,
				    j);
				p = peer_port(buf, tag, msg);
				if (j == 0)
					port[r][i] = p;
				ck_assert_uint_eq(p, port[r][i]);
			}
	}
	/* Distinct sessions: distinct upstream-side ports within a route. */
	for (r = 0; r < NROUTES; r++)
		for (i = 0; i < NCLIENTS; i++)
			for (k = 0; k < i; k++)
				ck_assert_uint_ne(port[r][i], port[r][k]);
	/* Nothing extra arrived anywhere. */
	for (r = 0; r < NROUTES; r++)
		for (i = 0; i < NCLIENTS; i++) {
			ck_assert_int_eq(client_recv(c[r][i], buf,
			    sizeof(buf), 10), -1);
			close(c[r][i]);
		}
	for (r = 0; r < NROUTES; r++) {
		snprintf(tag, sizeof(tag), "r%d", r);
		ck_assert_int_eq(daemon_stat(d, tag, "sessions_created"),
		    NCLIENTS);
		ck_assert_int_eq(daemon_stat(d, tag, "rx_datagrams"),
		    NCLIENTS * NMSGS);
		ck_assert_int_eq(daemon_stat(d, tag, "tx_datagrams"),
		    NCLIENTS * NMSGS);
	}
	stop(d);
	for (r = 0; r < NROUTES; r++)
		mock_stop(m[r]);
}
END_TEST

static void
check_size(int fd, size_t len)
{
	static unsigned char	out[65536], in[65536];
	size_t			i;

	for (i = 0; i < len; i++)
		out[i] = (unsigned char)(i * 7 + len);
	ck_assert_int_eq(client_rt(fd, out, len, in, sizeof(in), 3000),
	    (ssize_t)len);
	ck_assert_int_eq(memcmp(in, out, len), 0);
}

/* Zero bytes and the largest datagram of each family pass intact. */
START_TEST(empty_and_max_datagrams)
{
	struct mock	*m4 = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	struct mock	*m6 = mock_start(F6, 0, MOCK_ECHO, NULL);
	uint16_t	 p4 = h_free_port(AF_INET), p6 = h_free_port(F6);
	struct daemon	*d;
	int		 c4, c6, i;

	d = start("routes = (\n"
	    "  { name = \"v4\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"v6\"; listen = \"%s:%u\"; upstream = \"%s:%u\"; }\n"
	    ");\n", p4, m4->port, LO6, p6, LO6, m6->port);
	c4 = client_open(AF_INET, p4);
	c6 = client_open(F6, p6);
	for (i = 0; i < 3; i++) {
		check_size(c4, 0);
		check_size(c6, 0);
	}
	check_size(c4, 1);
	check_size(c4, 1472);
	check_size(c4, 65507);
	check_size(c6, MAX6);
	check_size(c4, 0);
	ck_assert_int_eq(daemon_stat(d, "v4", "rx_datagrams"), 7);
	ck_assert_int_eq(daemon_stat(d, "v4", "tx_bytes"),
	    1 + 1472 + 65507);
	ck_assert_int_eq(daemon_stat(d, "v4", "sessions_created"), 1);
	ck_assert_int_eq(daemon_stat(d, "v6", "rx_bytes"), MAX6);
	close(c4);
	close(c6);
	stop(d);
	mock_stop(m4);
	mock_stop(m6);
}
END_TEST

/*
 * A session idle for idle_timeout closes its socket; traffic keeps it
 * alive; the next datagram after expiry opens a new session.
 */
START_TEST(idle_expiry)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PEER, "u");
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[128];
	unsigned int	 p1;
	int		 c, fds_with, fds_after, i;

	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; idle_timeout = 0.4; } );\n",
	    lp, m->port);
	c = client_open(AF_INET, lp);
	ck_assert_int_eq(client_rt_str(c, "a", buf, sizeof(buf), 2000), 0);
	p1 = peer_port(buf, "u", "a");
	fds_with = daemon_fd_count(d);
	/* Activity every 100 ms for 1.2 s: three timeouts' worth. */
	for (i = 0; i < 12; i++) {
		h_sleep_ms(100);
		ck_assert_int_eq(client_rt_str(c, "b", buf, sizeof(buf), 2000),
		    0);
		ck_assert_uint_eq(peer_port(buf, "u", "b"), p1);
	}
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_expired"), 0);
	h_sleep_ms(700 * h_slow());
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_expired"), 1);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_active"), 0);
	fds_after = daemon_fd_count(d);
	ck_assert_int_eq(fds_after, fds_with - 1);
	ck_assert_int_eq(client_rt_str(c, "c", buf, sizeof(buf), 2000), 0);
	peer_port(buf, "u", "c");
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 2);
	ck_assert_int_eq(daemon_fd_count(d), fds_with);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

/*
 * Replies count as activity too: an upstream that keeps talking keeps the
 * session, though the client says nothing after its first datagram.
 */
START_TEST(idle_reset_by_upstream)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_TRICKLE, NULL);
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[128];
	int		 c, i;

	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; idle_timeout = 0.3; } );\n",
	    lp, m->port);
	c = client_open(AF_INET, lp);
	ck_assert_int_eq(send(c, "t", 1, 0), 1);
	for (i = 0; i < MOCK_TRICKLE_COUNT; i++)
		ck_assert_int_eq(client_recv(c, buf, sizeof(buf), 2000), 1);
	ck_assert_int_eq(daemon_stat(d, "r", "tx_datagrams"),
	    MOCK_TRICKLE_COUNT);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_expired"), 0);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 1);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

/*
 * An upstream that is down answers with ICMP port unreachable: counted,
 * logged, nothing stops, and the same session forwards again as soon as
 * the upstream is back.
 */
START_TEST(refusing_upstream)
{
	struct mock	*good = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	struct mock	*back;
	uint16_t	 dead = h_free_port(AF_INET);
	uint16_t	 lp = h_free_port(AF_INET), lp2 = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[128];
	int		 c, c2, i;
	long long	 refused = 0;

	d = start("routes = (\n"
	    "  { name = \"dead\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"good\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; }\n"
	    ");\n", lp, dead, lp2, good->port);
	c = client_open(AF_INET, lp);
	c2 = client_open(AF_INET, lp2);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(send(c, "ping", 4, 0), 4);
	ck_assert_int_eq(client_recv(c, buf, sizeof(buf), 200), -1);
	for (i = 0; i < 100 && refused < 1; i++) {
		refused = daemon_stat(d, "dead", "upstream_refused");
		h_sleep_ms(20);
	}
	ck_assert_int_ge(refused, 1);
	ck_assert_int_eq(daemon_wait_log(d, "route dead: upstream 127.0.0.1:",
	    1, 2000), 0);
	ck_assert_int_eq(daemon_log_count(d, "refused (ICMP port "
	    "unreachable)"), 1);
	/* The other route does not notice. */
	ck_assert_int_eq(client_rt_str(c2, "ok", buf, sizeof(buf), 2000), 0);
	ck_assert_str_eq(buf, "ok");
	/* Upstream back: the very next datagram gets through. */
	back = mock_start(AF_INET, dead, MOCK_ECHO, NULL);
	ck_assert_ptr_nonnull(back);
	ck_assert_int_eq(client_rt_str(c, "again", buf, sizeof(buf), 2000),
	    0);
	ck_assert_str_eq(buf, "again");
	ck_assert_int_eq(daemon_stat(d, "dead", "sessions_created"), 1);
	ck_assert_int_eq(daemon_stat(d, "dead", "sessions_active"), 1);
	close(c);
	close(c2);
	stop(d);
	mock_stop(good);
	mock_stop(back);
}
END_TEST

/*
 * A refusal left pending on the session socket by one datagram must not
 * eat the next one: datagrams queued while the daemon is stopped are
 * sent back to back, the second meets the first one's ICMP error, and
 * the retry sends it anyway. Another client's datagram sits between the
 * two, so they are two sends, not one run of the same session (a run goes
 * in one system call and never meets its own errors).
 */
START_TEST(stale_refusal_retried)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64];
	int		 c, c2;

	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", lp, m->port);
	c = client_open(AF_INET, lp);
	c2 = client_open(AF_INET, lp);
	ck_assert_int_eq(client_rt_str(c, "warm", buf, sizeof(buf), 2000), 0);
	ck_assert_int_eq(client_rt_str(c2, "warm", buf, sizeof(buf), 2000), 0);
	mock_stop(m);
	daemon_signal(d, SIGSTOP);
	ck_assert_int_eq(send(c, "one", 3, 0), 3);
	ck_assert_int_eq(send(c2, "xx", 2, 0), 2);
	ck_assert_int_eq(send(c, "two", 3, 0), 3);
	daemon_signal(d, SIGCONT);
	ck_assert_int_eq(client_recv(c, buf, sizeof(buf), 300), -1);
	ck_assert_int_eq(daemon_stat(d, "r", "rx_datagrams"), 5);
	ck_assert_int_eq(daemon_stat(d, "r", "drop_upstream_send"), 0);
	ck_assert_int_ge(daemon_stat(d, "r", "upstream_refused"), 2);
	close(c);
	close(c2);
	stop(d);
}
END_TEST

/*
 * The same when what meets the pending refusal is a run of one size, sent
 * as one GSO send: it is retried once and none of the run is lost.
 */
START_TEST(stale_refusal_gso)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64];
	int		 c, c2;

	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", lp, m->port);
	c = client_open(AF_INET, lp);
	c2 = client_open(AF_INET, lp);
	ck_assert_int_eq(client_rt_str(c, "warm", buf, sizeof(buf), 2000), 0);
	ck_assert_int_eq(client_rt_str(c2, "warm", buf, sizeof(buf), 2000), 0);
	mock_stop(m);
	daemon_signal(d, SIGSTOP);
	ck_assert_int_eq(send(c, "one", 3, 0), 3);
	ck_assert_int_eq(send(c2, "xx", 2, 0), 2);
	ck_assert_int_eq(send(c, "two", 3, 0), 3);
	ck_assert_int_eq(send(c, "six", 3, 0), 3);
	ck_assert_int_eq(send(c, "ten", 3, 0), 3);
	daemon_signal(d, SIGCONT);
	ck_assert_int_eq(client_recv(c, buf, sizeof(buf), 300), -1);
	ck_assert_int_eq(daemon_stat(d, "r", "rx_datagrams"), 7);
	ck_assert_int_eq(daemon_stat(d, "r", "drop_upstream_send"), 0);
	ck_assert_int_ge(daemon_stat(d, "r", "upstream_refused"), 2);
	close(c);
	close(c2);
	stop(d);
}
END_TEST

/* max_datagram_size drops larger datagrams, either way, and counts them. */
START_TEST(oversize_dropped)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PEER, "u");
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 out[1100], buf[2048];
	int		 c;

	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; max_datagram_size = 1000; } );\n",
	    lp, m->port);
	c = client_open(AF_INET, lp);
	memset(out, 'x', sizeof(out));
	ck_assert_int_eq(send(c, out, 1001, 0), 1001);
	ck_assert_int_eq(client_recv(c, buf, sizeof(buf), 300), -1);
	ck_assert_int_eq(daemon_stat(d, "r", "drop_oversize"), 1);
	ck_assert_int_eq(daemon_stat(d, "r", "rx_datagrams"), 0);
	/* 995 bytes go up; the reply grows past 1000 with its prefix. */
	ck_assert_int_eq(send(c, out, 995, 0), 995);
	ck_assert_int_eq(client_recv(c, buf, sizeof(buf), 300), -1);
	ck_assert_int_eq(daemon_stat(d, "r", "rx_datagrams"), 1);
	ck_assert_int_eq(daemon_stat(d, "r", "drop_oversize"), 2);
	/* Small ones still pass both ways. */
	ck_assert_int_gt(client_rt(c, out, 10, buf, sizeof(buf), 2000), 10);
	ck_assert_int_eq(daemon_stat(d, "r", "tx_datagrams"), 1);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

/* At max_sessions, new clients are dropped and counted; old ones flow. */
START_TEST(session_limit)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64];
	int		 c1, c2, c3;

	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; max_sessions = 2; "
	    "idle_timeout = %d; } );\n", lp, m->port, 2 * h_slow());
	c1 = client_open(AF_INET, lp);
	c2 = client_open(AF_INET, lp);
	c3 = client_open(AF_INET, lp);
	ck_assert_int_eq(client_rt_str(c1, "1", buf, sizeof(buf), 2000), 0);
	ck_assert_int_eq(client_rt_str(c2, "2", buf, sizeof(buf), 2000), 0);
	/* Two in a row: one log line for both (rate-limited). */
	ck_assert_int_eq(send(c3, "3", 1, 0), 1);
	ck_assert_int_eq(client_rt_str(c3, "3", buf, sizeof(buf), 300), -1);
	ck_assert_int_eq(client_rt_str(c1, "1", buf, sizeof(buf), 2000), 0);
	ck_assert_str_eq(buf, "1");
	ck_assert_int_eq(daemon_stat(d, "r", "drop_session_limit"), 2);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_active"), 2);
	ck_assert_int_eq(daemon_log_count(d, "route r: route session limit "
	    "(2) reached"), 1);
	/* Capacity comes back once the old sessions idle out. */
	h_sleep_ms(2500 * h_slow());
	ck_assert_int_eq(client_rt_str(c3, "3", buf, sizeof(buf), 2000), 0);
	ck_assert_str_eq(buf, "3");
	close(c1);
	close(c2);
	close(c3);
	stop(d);
	mock_stop(m);
}
END_TEST

/* Sends to dst:port and checks the reply comes back from dst:port. */
static void
send_from_check(int u, const char *dst, uint16_t port)
{
	struct sockaddr_in	to, from;
	socklen_t		fromlen = sizeof(from);
	char			buf[64];
	struct pollfd		pfd = { u, POLLIN, 0 };

	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(port);
	inet_pton(AF_INET, dst, &to.sin_addr);
	ck_assert_int_eq(sendto(u, dst, strlen(dst), 0,
	    (struct sockaddr *)&to, sizeof(to)), (ssize_t)strlen(dst));

	ck_assert_int_eq(poll(&pfd, 1, 2000 * h_slow()), 1);
	ck_assert_int_eq(recvfrom(u, buf, sizeof(buf) - 1, 0,
	    (struct sockaddr *)&from, &fromlen), (ssize_t)strlen(dst));
	ck_assert_int_eq(from.sin_addr.s_addr, to.sin_addr.s_addr);
	ck_assert_int_eq(from.sin_port, to.sin_port);
}

/*
 * A flood of new clients at the session limit is counted one by one but
 * logged at most once a second: a flood must not fill the disk.
 */
START_TEST(drop_logging_rate_limited)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64];
	int		 c, f, i, lines;
	time_t		 start_s;

	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; max_sessions = 1; } );\n", lp,
	    m->port);
	c = client_open(AF_INET, lp);
	ck_assert_int_eq(client_rt_str(c, "in", buf, sizeof(buf), 2000), 0);
	start_s = time(NULL);
	for (i = 0; i < 300; i++) {
		f = client_open(AF_INET, lp);
		ck_assert_int_eq(send(f, "%n%s\x1b[2J", 9, 0), 9);
		close(f);
		/* Paced by round trips, so no datagram overflows the socket. */
		if (i % 50 == 49)
			ck_assert_int_eq(client_rt_str(c, "still", buf,
			    sizeof(buf), 2000), 0);
	}
	ck_assert_int_eq(daemon_stat(d, "r", "drop_session_limit"), 300);
	/* One line a second at most, however slow this machine is. */
	lines = daemon_log_count(d, "session limit (1) reached");
	ck_assert_int_ge(lines, 1);
	ck_assert_int_le(lines, 2 + (int)(time(NULL) - start_s));
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

/*
 * On 0.0.0.0 the reply must leave from the address the client sent to:
 * connected clients accept nothing else. One client reaching two local
 * addresses holds two sessions.
 */
START_TEST(wildcard_listener)
{
	struct mock		*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t		 lp = h_free_port(AF_INET);
	uint16_t		 lp6 = h_free_port(F6);
	struct daemon		*d;
	struct sockaddr_in	 to;
	char			 buf[64];
	int			 c2, c3, c6, u, b, on = 1;

	d = start("routes = (\n"
	    "  { name = \"any\"; listen = \"0.0.0.0:%u\"; upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"any6\"; listen = \"%s:%u\"; upstream = \"127.0.0.1:%u\"; }\n"
	    ");\n", lp, m->port, ANY6, lp6, m->port);
	c2 = client_open_from("127.0.0.2", "127.0.0.2", lp);
	c3 = client_open_from("127.0.0.2", "127.0.0.3", lp);
	c6 = client_open(F6, lp6);
	ck_assert_int_eq(client_rt_str(c2, "two", buf, sizeof(buf), 2000), 0);
	ck_assert_str_eq(buf, "two");
	ck_assert_int_eq(client_rt_str(c3, "three", buf, sizeof(buf), 2000),
	    0);
	ck_assert_str_eq(buf, "three");
	ck_assert_int_eq(client_rt_str(c6, "six", buf, sizeof(buf), 2000), 0);
	ck_assert_str_eq(buf, "six");

	/* One unconnected client, two local addresses: two sessions. */
	u = socket(AF_INET, SOCK_DGRAM, 0);
	send_from_check(u, "127.0.0.4", lp);
	send_from_check(u, "127.0.0.5", lp);
	send_from_check(u, "127.0.0.4", lp);
	/*
	 * Sent to the broadcast address, answered from the interface's own
	 * address (a broadcast address is never a source).
	 */
	b = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(setsockopt(b, SOL_SOCKET, SO_BROADCAST, &on,
	    sizeof(on)), 0);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(lp);
	inet_pton(AF_INET, "127.255.255.255", &to.sin_addr);
	ck_assert_int_eq(sendto(b, "bcast", 5, 0, (struct sockaddr *)&to,
	    sizeof(to)), 5);
	ck_assert_int_eq(client_recv(b, buf, sizeof(buf), 2000), 5);
	ck_assert_int_eq(daemon_stat(d, "any", "drop_client_send"), 0);
	close(b);
	ck_assert_int_eq(daemon_stat(d, "any", "sessions_created"), 5);
	close(c2);
	close(c3);
	close(c6);
	close(u);
	stop(d);
	mock_stop(m);
}
END_TEST

/*
 * Only the upstream can answer a session: a third party sending to the
 * session's upstream-side port reaches nobody (DNSpooq-style injection).
 */
START_TEST(foreign_reply_ignored)
{
	struct mock		*m = mock_start(AF_INET, 0, MOCK_PEER, "u");
	uint16_t		 lp = h_free_port(AF_INET);
	struct sockaddr_in	 to;
	struct daemon		*d;
	char			 buf[128];
	unsigned int		 port;
	int			 c, evil;

	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", lp, m->port);
	c = client_open(AF_INET, lp);
	ck_assert_int_eq(client_rt_str(c, "q", buf, sizeof(buf), 2000), 0);
	port = peer_port(buf, "u", "q");
	evil = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	ck_assert_int_eq(sendto(evil, "evil", 4, 0, (struct sockaddr *)&to,
	    sizeof(to)), 4);
	ck_assert_int_eq(client_recv(c, buf, sizeof(buf), 300), -1);
	ck_assert_int_eq(daemon_stat(d, "r", "tx_datagrams"), 1);
	close(evil);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

/* Every reply to one request is relayed, in order (no response cap). */
START_TEST(multiple_replies)
{
	/* The mock listens where "localhost" resolves first. */
	struct mock	*m = mock_start(h_localhost_family(), 0, MOCK_TWICE,
			    NULL);
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64];
	int		 c;

	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"localhost:%u\"; } );\n", lp, m->port);
	c = client_open(AF_INET, lp);
	ck_assert_int_eq(client_rt_str(c, "dup", buf, sizeof(buf), 2000), 0);
	ck_assert_str_eq(buf, "dup");
	ck_assert_int_eq(client_recv(c, buf, sizeof(buf), 2000), 3);
	ck_assert_int_eq(daemon_stat(d, "r", "tx_datagrams"), 2);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

/*
 * Datagrams the kernel drops because the listener's buffer is full are
 * counted too: stop the daemon, overfill a small buffer, let it go.
 */
START_TEST(kernel_drops_counted)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[512];
	long long	 rx, dropped;
	int		 c, i, replies = 0;

	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; receive_buffer_size = 4096; } );\n",
	    lp, m->port);
	c = client_open(AF_INET, lp);
	ck_assert_int_eq(client_rt_str(c, "warm", buf, sizeof(buf), 2000), 0);
	daemon_signal(d, SIGSTOP);
	memset(buf, 'd', sizeof(buf));
	for (i = 0; i < 200; i++)
		ck_assert_int_eq(send(c, buf, 400, 0), 400);
	daemon_signal(d, SIGCONT);
	while (client_recv(c, buf, sizeof(buf), 500) == 400)
		replies++;
	rx = daemon_stat(d, "r", "rx_datagrams");
	dropped = daemon_stat(d, "r", "drop_rcvbuf");
	ck_assert_int_gt(dropped, 0);
	ck_assert_int_eq(rx - 1 + dropped, 200);
	ck_assert_int_eq(replies, rx - 1);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

/* CPU ticks the process has used (utime + stime from /proc/PID/stat). */
static long
cpu_ticks(pid_t pid)
{
	char		 path[64], buf[1024], *p;
	unsigned long	 ut = 0, st = 0;
	FILE		*f;
	size_t		 n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the parenthesised command: state is field 3. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

/*
 * Sends that fail (ENOBUFS towards the upstream, EAGAIN towards the
 * client, injected with LD_PRELOAD) drop the datagram and count it: no
 * retry loop, no queue, no busy CPU, and the other routes never notice.
 */
START_TEST(send_errors_counted)
{
	const char	*shim = getenv("UDPROXY_SHIM");
	struct mock	*bad = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	struct mock	*good = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pb = h_free_port(AF_INET), pg = h_free_port(AF_INET);
	uint16_t	 pm = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64], env[32], want[128];
	int		 cb, cg, cm, i, lines;
	long		 t0, t1;
	time_t		 start_s;

	if (shim == NULL || access(shim, R_OK) == -1) {
		h_skip("send_errors_counted: no UDPROXY_SHIM (tests/shim.so)");
		mock_stop(bad);
		mock_stop(good);
		return;
	}
	setenv("LD_PRELOAD", shim, 1);
	snprintf(env, sizeof(env), "%u", bad->port);
	setenv("SHIM_UPSTREAM_PORT", env, 1);
	snprintf(env, sizeof(env), "%u", pm);
	setenv("SHIM_CLIENT_PORT", env, 1);
	/* An ASan daemon must accept a library loaded before its runtime. */
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
	d = start("routes = (\n"
	    "  { name = \"bad\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"good\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"mute\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; }\n"
	    ");\n", pb, bad->port, pg, good->port, pm, good->port);
	unsetenv("LD_PRELOAD");
	cb = client_open(AF_INET, pb);
	cg = client_open(AF_INET, pg);
	cm = client_open(AF_INET, pm);
	start_s = time(NULL);
	for (i = 0; i < 200; i++) {
		ck_assert_int_eq(send(cb, "x", 1, 0), 1);
		ck_assert_int_eq(send(cm, "y", 1, 0), 1);
		if (i % 50 == 49)
			ck_assert_int_eq(client_rt_str(cg, "ok", buf,
			    sizeof(buf), 2000), 0);
	}
	ck_assert_int_eq(client_recv(cb, buf, sizeof(buf), 200), -1);
	ck_assert_int_eq(client_recv(cm, buf, sizeof(buf), 10), -1);
	ck_assert_int_eq(daemon_stat(d, "bad", "drop_upstream_send"), 200);
	ck_assert_int_eq(daemon_stat(d, "bad", "rx_datagrams"), 0);
	ck_assert_int_eq(daemon_stat(d, "mute", "rx_datagrams"), 200);
	ck_assert_int_eq(daemon_stat(d, "mute", "drop_client_send"), 200);
	ck_assert_int_eq(daemon_stat(d, "mute", "tx_datagrams"), 0);
	ck_assert_int_eq(daemon_stat(d, "good", "tx_datagrams"), 4);
	snprintf(want, sizeof(want), "route bad: send to upstream "
	    "127.0.0.1:%u: No buffer space available", bad->port);
	lines = daemon_log_count(d, want);
	ck_assert_int_ge(lines, 1);
	ck_assert_int_le(lines, 2 + (int)(time(NULL) - start_s));
	/* Idle afterwards: nothing keeps retrying. */
	t0 = cpu_ticks(d->pid);
	h_sleep_ms(1000);
	t1 = cpu_ticks(d->pid);
	ck_assert_int_ge(t0, 0);
	ck_assert_msg(t1 - t0 <= 10, "%ld CPU ticks in an idle second",
	    t1 - t0);
	unsetenv("SHIM_UPSTREAM_PORT");
	unsetenv("SHIM_CLIENT_PORT");
	close(cb);
	close(cg);
	close(cm);
	stop(d);
	mock_stop(bad);
	mock_stop(good);
}
END_TEST

/*
 * A listener read that fails (EIO, injected) is counted in rx_errors and
 * the listener stays armed: the datagram behind the errors gets through.
 */
START_TEST(receive_errors_counted)
{
	const char	*shim = getenv("UDPROXY_SHIM");
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64], env[32];
	int		 c;

	if (shim == NULL || access(shim, R_OK) == -1) {
		h_skip("receive_errors_counted: no UDPROXY_SHIM "
		    "(tests/shim.so)");
		mock_stop(m);
		return;
	}
	setenv("LD_PRELOAD", shim, 1);
	snprintf(env, sizeof(env), "%u", lp);
	setenv("SHIM_RECV_PORT", env, 1);
	setenv("SHIM_RECV_FAILS", "3", 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", lp, m->port);
	unsetenv("LD_PRELOAD");
	unsetenv("SHIM_RECV_PORT");
	unsetenv("SHIM_RECV_FAILS");
	c = client_open(AF_INET, lp);
	ck_assert_int_eq(client_rt_str(c, "through", buf, sizeof(buf), 2000),
	    0);
	ck_assert_str_eq(buf, "through");
	ck_assert_int_eq(daemon_stat(d, "r", "rx_errors"), 3);
	ck_assert_int_eq(daemon_stat(d, "r", "rx_datagrams"), 1);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

/*
 * epoll_ctl fails (ENOSPC, as at fs.epoll.max_user_watches) for a new
 * session's socket: the session is undone (no descriptor kept, nothing in
 * the map), the datagram is dropped and counted, and the next datagram
 * makes a session that works. For a listener, the route retries each
 * second until the loop takes it, and then forwards.
 */
START_TEST(event_add_errors)
{
	const char	*shim = getenv("UDPROXY_SHIM");
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 lp = h_free_port(AF_INET), lq = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64], env[32], want[128];
	int		 c, q, fds, ok = 0, i;

	ck_assert_msg(shim != NULL && access(shim, R_OK) == 0,
	    "UDPROXY_SHIM (tests/shim.so) is needed: run under make check");
	setenv("LD_PRELOAD", shim, 1);
	snprintf(env, sizeof(env), "%u", m->port);
	setenv("SHIM_EPOLL_PEER_PORT", env, 1);
	snprintf(env, sizeof(env), "%u", lq);
	setenv("SHIM_EPOLL_LOCAL_PORT", env, 1);
	setenv("SHIM_EPOLL_FAILS", "2", 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
	d = start("routes = (\n"
	    "  { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"q\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; }\n);\n", lp, m->port, lq, m->port);
	unsetenv("LD_PRELOAD");
	/* q's listener failed once (the first of two failures) at start. */
	ck_assert_int_eq(daemon_log_count(d, "route q: cannot add the "
	    "listener (retrying every second) to the event loop: No space "
	    "left on device (0 suppressed)"), 1);

	c = client_open(AF_INET, lp);
	fds = daemon_fd_count(d);
	ck_assert_int_eq(client_rt_str(c, "lost", buf, sizeof(buf), 500), -1);
	ck_assert_int_eq(daemon_stat(d, "r", "drop_event_error"), 1);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 0);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_active"), 0);
	ck_assert_int_eq(daemon_stat(d, "r", "rx_datagrams"), 0);
	ck_assert_int_eq(daemon_fd_count(d), fds);
	snprintf(want, sizeof(want), "route r: cannot add a session's "
	    "upstream socket to the event loop: No space left on device");
	ck_assert_int_eq(daemon_log_count(d, want), 1);
	/* The failures are used up: the next datagram gets a session. */
	ck_assert_int_eq(client_rt_str(c, "through", buf, sizeof(buf), 2000),
	    0);
	ck_assert_str_eq(buf, "through");
	ck_assert_int_eq(daemon_stat(d, "r", "drop_event_error"), 1);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 1);

	/* Route q is taken by the loop at a retry, and forwards. */
	ck_assert_int_eq(daemon_wait_log(d, "route q: listener added to the "
	    "event loop", 1, 5000), 0);
	q = client_open(AF_INET, lq);
	for (i = 0; i < 10 && !ok; i++)
		ok = client_rt_str(q, "q", buf, sizeof(buf), 500) == 0;
	ck_assert(ok);
	ck_assert_int_eq(daemon_stat(d, "q", "event_errors"), 1);
	ck_assert_int_eq(daemon_stat(d, "r", "event_errors"), 0);
	close(c);
	close(q);
	stop(d);
	mock_stop(m);
}
END_TEST

/*
 * A session paced by download_rate stops reading its upstream socket and
 * adds it back to the event loop when the budget refills. If that fails,
 * the session stays paused and retries, so the reply still arrives (it
 * waited in the socket buffer), instead of never being read again.
 */
START_TEST(event_add_error_resume)
{
	const char	*shim = getenv("UDPROXY_SHIM");
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 msg[101], buf[256], env[32];
	int		 c;

	ck_assert_msg(shim != NULL && access(shim, R_OK) == 0,
	    "UDPROXY_SHIM (tests/shim.so) is needed: run under make check");
	setenv("LD_PRELOAD", shim, 1);
	snprintf(env, sizeof(env), "%u", m->port);
	setenv("SHIM_EPOLL_PEER_PORT", env, 1);
	/* The session's first add passes; the one at the resume fails. */
	setenv("SHIM_EPOLL_SKIP", "1", 1);
	setenv("SHIM_EPOLL_FAILS", "1", 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
	/* 100 bytes a second: a 100-byte reply empties the budget. */
	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; download_rate = 100; } );\n", lp,
	    m->port);
	unsetenv("LD_PRELOAD");
	memset(msg, 'a', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	c = client_open(AF_INET, lp);
	ck_assert_int_eq(client_rt_str(c, msg, buf, sizeof(buf), 2000), 0);
	ck_assert_str_eq(buf, msg);
	/* This reply pauses the session; resuming fails once, then works. */
	msg[0] = 'b';
	ck_assert_int_eq(client_rt_str(c, msg, buf, sizeof(buf),
	    6000 * h_slow()), 0);
	ck_assert_str_eq(buf, msg);
	ck_assert_int_eq(daemon_stat(d, "r", "event_errors"), 1);
	ck_assert_int_eq(daemon_stat(d, "r", "tx_datagrams"), 2);
	ck_assert_int_eq(daemon_log_count(d, "route r: cannot add a session's "
	    "upstream socket to the event loop: No space left on device"), 1);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("forward");
	TCase	*tc = tcase_create("forward");
	int	 failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, round_trip_v4_v6);
	tcase_add_test(tc, many_clients_own_replies);
	tcase_add_test(tc, empty_and_max_datagrams);
	tcase_add_test(tc, idle_expiry);
	tcase_add_test(tc, idle_reset_by_upstream);
	tcase_add_test(tc, refusing_upstream);
	tcase_add_test(tc, stale_refusal_retried);
	tcase_add_test(tc, stale_refusal_gso);
	tcase_add_test(tc, oversize_dropped);
	tcase_add_test(tc, session_limit);
	tcase_add_test(tc, drop_logging_rate_limited);
	tcase_add_test(tc, wildcard_listener);
	tcase_add_test(tc, foreign_reply_ignored);
	tcase_add_test(tc, multiple_replies);
	tcase_add_test(tc, kernel_drops_counted);
	tcase_add_test(tc, send_errors_counted);
	tcase_add_test(tc, receive_errors_counted);
	tcase_add_test(tc, event_add_errors);
	tcase_add_test(tc, event_add_error_resume);
	suite_add_tcase(s, tc);
	failed = h_run_suite(s);
	return failed;
}
