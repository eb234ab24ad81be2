/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Pools through the real daemon on loopback, with several mock upstreams:
 * which upstream got which session (weighted round robin, consistent
 * hash), sessions pinned for life, backup takeover and return, failover
 * within fail_timeout when an upstream dies and recovery when it returns,
 * `down`, no usable upstream, requests = 1 (per-datagram balancing),
 * responses 0/1/2 as in nginx's stream_udp_proxy.t, a reply that never
 * comes as a failure, and a reload that keeps sessions to the members
 * that stay.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

static const char	*dir;
static char		 conf[256];

static void
writeconf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
writeconf(const char *fmt, ...)
{
	char	text[4096];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	h_write_file(conf, "%s", text);
}

static struct daemon *
start(void)
{
	struct daemon	*d = daemon_start(dir, conf, NULL);

	ck_assert_msg(d != NULL, "daemon did not start");
	return d;
}

static void
setup(void)
{
	dir = h_tmpdir();
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
}

static void
stop(struct daemon *d)
{
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
}

/* A round trip to a MOCK_PEER upstream: its tag into tag, or "" if none. */
static void
rt_tag(int c, const char *msg, char *tag, size_t len)
{
	char	buf[256], t[32], p[200];
	unsigned int port;

	tag[0] = '\0';
	if (client_rt_str(c, msg, buf, sizeof(buf), 1000) == -1)
		return;
	ck_assert_int_eq(sscanf(buf, "%31s %u %199s", t, &port, p), 3);
	ck_assert_str_eq(p, msg);
	snprintf(tag, len, "%s", t);
}

/* Weights 1 and 3: new sessions go b a b b, and each stays where it is. */
START_TEST(round_robin_weights)
{
	struct mock	*a = mock_start(AF_INET, 0, MOCK_PEER, "a");
	struct mock	*b = mock_start(AF_INET, 0, MOCK_PEER, "b");
	uint16_t	 lp = h_free_port(AF_INET);
	static const char *const want[] = { "b", "a", "b", "b" };
	struct daemon	*d;
	char		 tag[32], msg[32];
	int		 c[8], i, k, na = 0, nb = 0;

	writeconf("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\";\n"
	    "  upstreams = ( \"127.0.0.1:%u\",\n"
	    "    { address = \"127.0.0.1:%u\"; weight = 3; } ); } );\n",
	    lp, a->port, b->port);
	d = start();
	ck_assert_int_eq(daemon_log_count(d, "route r: listening on "
	    "127.0.0.1:"), 1);
	ck_assert_int_eq(daemon_log_count(d, "upstreams: 2 members, 2 "
	    "addresses, balance round_robin"), 1);
	for (i = 0; i < 8; i++) {
		c[i] = client_open(AF_INET, lp);
		snprintf(msg, sizeof(msg), "c%d", i);
		rt_tag(c[i], msg, tag, sizeof(tag));
		ck_assert_str_eq(tag, want[i % 4]);
		na += strcmp(tag, "a") == 0;
		nb += strcmp(tag, "b") == 0;
	}
	ck_assert_int_eq(na, 2);
	ck_assert_int_eq(nb, 6);
	/* Pinned: every client's later datagrams go where its first did. */
	for (k = 0; k < 3; k++)
		for (i = 0; i < 8; i++) {
			snprintf(msg, sizeof(msg), "again%dc%d", k, i);
			rt_tag(c[i], msg, tag, sizeof(tag));
			ck_assert_str_eq(tag, want[i % 4]);
		}
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 8);
	for (i = 0; i < 8; i++)
		close(c[i]);
	stop(d);
	mock_stop(a);
	mock_stop(b);
}
END_TEST

/* hash: every client of one address goes to one member. */
START_TEST(hash_by_client_address)
{
	struct mock	*m[3];
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 tag[32], first[32], msg[32];
	int		 c, i;

	m[0] = mock_start(AF_INET, 0, MOCK_PEER, "a");
	m[1] = mock_start(AF_INET, 0, MOCK_PEER, "b");
	m[2] = mock_start(AF_INET, 0, MOCK_PEER, "c");
	writeconf("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\";\n"
	    "  upstreams = ( \"127.0.0.1:%u\", \"127.0.0.1:%u\", "
	    "\"127.0.0.1:%u\" ); balance = \"hash\"; } );\n", lp, m[0]->port,
	    m[1]->port, m[2]->port);
	d = start();
	first[0] = '\0';
	for (i = 0; i < 10; i++) {
		c = client_open(AF_INET, lp);
		snprintf(msg, sizeof(msg), "h%d", i);
		rt_tag(c, msg, tag, sizeof(tag));
		ck_assert_str_ne(tag, "");
		if (i == 0)
			snprintf(first, sizeof(first), "%s", tag);
		ck_assert_str_eq(tag, first);
		close(c);
	}
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 10);
	stop(d);
	for (i = 0; i < 3; i++)
		mock_stop(m[i]);
}
END_TEST

/*
 * The primary dies: its refusal marks it down (max_fails = 1), the pinned
 * session moves to the backup on its next datagram, new sessions go to the
 * backup. The primary returns: after fail_timeout new sessions go back to
 * it, while the session on the backup stays there.
 */
START_TEST(backup_takeover_and_return)
{
	/* A port of our slot: p is restarted on it below. */
	struct mock	*p = mock_start(AF_INET, h_free_port(AF_INET), MOCK_PEER,
			    "p");
	struct mock	*k = mock_start(AF_INET, 0, MOCK_PEER, "k");
	uint16_t	 lp = h_free_port(AF_INET), pport = p->port;
	struct daemon	*d;
	char		 tag[32], buf[64];
	int		 c1, c2, c3, ft;
	int64_t		 t0;

	/* Long enough for a slow run (valgrind) to see p down. */
	ft = 2 * h_slow();
	writeconf("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\";\n"
	    "  upstreams = ( \"127.0.0.1:%u\",\n"
	    "    { address = \"127.0.0.1:%u\"; backup = true; } );\n"
	    "  max_fails = 1; fail_timeout = %d; } );\n", lp, pport, k->port,
	    ft);
	d = start();
	c1 = client_open(AF_INET, lp);
	rt_tag(c1, "one", tag, sizeof(tag));
	ck_assert_str_eq(tag, "p");

	mock_stop(p);
	/* The refusal of this one takes p down; no reply comes. */
	ck_assert_int_eq(send(c1, "lost", 4, 0), 4);
	snprintf(buf, sizeof(buf), ") down for %d ms after 1 failures",
	    ft * 1000);
	ck_assert_int_eq(daemon_wait_log(d, buf, 1, 3000), 0);
	t0 = h_now_ms();
	rt_tag(c1, "moved", tag, sizeof(tag));
	ck_assert_str_eq(tag, "k");
	c2 = client_open(AF_INET, lp);
	rt_tag(c2, "two", tag, sizeof(tag));
	ck_assert_str_eq(tag, "k");

	/* p is back on its port; after fail_timeout it takes new sessions. */
	p = mock_start(AF_INET, pport, MOCK_PEER, "p");
	ck_assert_ptr_nonnull(p);
	while (h_now_ms() - t0 < ft * 1000 + 200)
		h_sleep_ms(50);
	c3 = client_open(AF_INET, lp);
	rt_tag(c3, "three", tag, sizeof(tag));
	ck_assert_str_eq(tag, "p");
	rt_tag(c2, "still", tag, sizeof(tag));
	ck_assert_str_eq(tag, "k");
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_moved"), 1);
	ck_assert_int_eq(daemon_stat(d, "r", "upstream_downs"), 1);
	ck_assert_int_ge(daemon_stat(d, "r", "upstream_failures"), 1);
	ck_assert_int_eq(daemon_stat(d, "r", "drop_no_upstream"), 0);
	close(c1);
	close(c2);
	close(c3);
	stop(d);
	mock_stop(p);
	mock_stop(k);
}
END_TEST

/* Two primaries: one dies, its clients fail over to the other at once. */
START_TEST(failover_between_primaries)
{
	struct mock	*a = mock_start(AF_INET, 0, MOCK_PEER, "a");
	struct mock	*b = mock_start(AF_INET, 0, MOCK_PEER, "b");
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 tag[32], buf[64], msg[32];
	int		 c[4], i;

	writeconf("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\";\n"
	    "  upstreams = ( \"127.0.0.1:%u\", \"127.0.0.1:%u\" );\n"
	    "  fail_timeout = 30; } );\n", lp, a->port, b->port);
	d = start();
	for (i = 0; i < 4; i++) {
		c[i] = client_open(AF_INET, lp);
		snprintf(msg, sizeof(msg), "c%d", i);
		rt_tag(c[i], msg, tag, sizeof(tag));
		ck_assert_str_eq(tag, i % 2 == 0 ? "a" : "b");
	}
	mock_stop(a);
	ck_assert_int_eq(client_rt_str(c[0], "lost", buf, sizeof(buf), 300),
	    -1);
	ck_assert_int_eq(daemon_wait_log(d, ") down for 30000 ms", 1, 3000),
	    0);
	for (i = 0; i < 4; i++) {
		snprintf(msg, sizeof(msg), "after%d", i);
		rt_tag(c[i], msg, tag, sizeof(tag));
		ck_assert_str_eq(tag, "b");
	}
	/* Only the session that was on a moved. */
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_moved"), 2);
	for (i = 0; i < 4; i++)
		close(c[i]);
	stop(d);
	mock_stop(b);
}
END_TEST

/* Members marked down never get a session; with none left, drops. */
START_TEST(down_and_no_upstream)
{
	struct mock	*a = mock_start(AF_INET, 0, MOCK_PEER, "a");
	struct mock	*b = mock_start(AF_INET, 0, MOCK_PEER, "b");
	uint16_t	 lp = h_free_port(AF_INET), lq = h_free_port(AF_INET);
	struct daemon	*d;
	char		 tag[32], buf[64], msg[32];
	int		 c, i;

	writeconf("routes = (\n"
	    "  { name = \"r\"; listen = \"127.0.0.1:%u\";\n"
	    "    upstreams = ( { address = \"127.0.0.1:%u\"; down = true; },\n"
	    "      \"127.0.0.1:%u\" ); },\n"
	    "  { name = \"q\"; listen = \"127.0.0.1:%u\";\n"
	    "    upstreams = ( { address = \"127.0.0.1:%u\"; down = true; } ); }\n"
	    ");\n", lp, a->port, b->port, lq, a->port);
	d = start();
	for (i = 0; i < 6; i++) {
		c = client_open(AF_INET, lp);
		snprintf(msg, sizeof(msg), "d%d", i);
		rt_tag(c, msg, tag, sizeof(tag));
		ck_assert_str_eq(tag, "b");
		close(c);
	}
	c = client_open(AF_INET, lq);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(client_rt_str(c, "x", buf, sizeof(buf), 200),
		    -1);
	ck_assert_int_eq(daemon_stat(d, "q", "drop_no_upstream"), 3);
	ck_assert_int_eq(daemon_stat(d, "q", "sessions_created"), 0);
	/* Logged at most once a second (more often only on a slow run). */
	ck_assert_int_ge(daemon_log_count(d, "route q: no usable upstream, "
	    "dropping datagrams ("), 1);
	ck_assert_int_le(daemon_log_count(d, "route q: no usable upstream, "
	    "dropping datagrams ("), 3);
	close(c);
	stop(d);
	mock_stop(a);
	mock_stop(b);
}
END_TEST

/* requests = 1: every datagram is a session of its own, balanced. */
START_TEST(requests_one_per_datagram)
{
	struct mock	*a = mock_start(AF_INET, 0, MOCK_PEER, "a");
	struct mock	*b = mock_start(AF_INET, 0, MOCK_PEER, "b");
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 tag[32], msg[32];
	int		 c, i;

	writeconf("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\";\n"
	    "  upstreams = ( \"127.0.0.1:%u\", \"127.0.0.1:%u\" );\n"
	    "  requests = 1; responses = 1; } );\n", lp, a->port, b->port);
	d = start();
	c = client_open(AF_INET, lp);
	for (i = 0; i < 6; i++) {
		snprintf(msg, sizeof(msg), "q%d", i);
		rt_tag(c, msg, tag, sizeof(tag));
		ck_assert_str_eq(tag, i % 2 == 0 ? "a" : "b");
	}
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 6);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_done"), 6);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_active"), 0);
	close(c);
	stop(d);
	mock_stop(a);
	mock_stop(b);
}
END_TEST

/*
 * requests = 2 without responses: the third datagram starts a new session,
 * and the old one, out of the map, still relays what its upstream sends.
 */
START_TEST(requests_unbound_still_relays)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_TRICKLE, NULL);
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64];
	int		 c, got = 0;

	writeconf("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\";\n"
	    "  upstream = \"127.0.0.1:%u\"; requests = 2; } );\n", lp,
	    m->port);
	d = start();
	c = client_open(AF_INET, lp);
	ck_assert_int_eq(send(c, "1", 1, 0), 1);
	ck_assert_int_eq(send(c, "2", 1, 0), 1);
	ck_assert_int_eq(send(c, "3", 1, 0), 1);
	/* 3 x MOCK_TRICKLE_COUNT replies, from two sessions. */
	while (client_recv(c, buf, sizeof(buf), 1500) > 0)
		got++;
	ck_assert_int_eq(got, 3 * MOCK_TRICKLE_COUNT);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 2);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_active"), 2);
	ck_assert_int_eq(daemon_stat(d, "r", "tx_datagrams"),
	    3 * MOCK_TRICKLE_COUNT);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

/* nginx's stream_udp_proxy.t: responses 1 and 2 to an upstream replying twice. */
START_TEST(responses_counted)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_TWICE, NULL);
	uint16_t	 l1 = h_free_port(AF_INET), l2 = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64];
	int		 c1, c2;

	writeconf("routes = (\n"
	    "  { name = \"one\"; listen = \"127.0.0.1:%u\";\n"
	    "    upstream = \"127.0.0.1:%u\"; responses = 1; },\n"
	    "  { name = \"two\"; listen = \"127.0.0.1:%u\";\n"
	    "    upstream = \"127.0.0.1:%u\"; responses = 2; }\n);\n",
	    l1, m->port, l2, m->port);
	d = start();
	c1 = client_open(AF_INET, l1);
	ck_assert_int_eq(client_rt_str(c1, "q1", buf, sizeof(buf), 1000), 0);
	ck_assert_str_eq(buf, "q1");
	ck_assert_int_eq(client_recv(c1, buf, sizeof(buf), 300), -1);
	ck_assert_int_eq(daemon_stat(d, "one", "sessions_done"), 1);
	ck_assert_int_eq(daemon_stat(d, "one", "sessions_active"), 0);
	/* The next datagram is a new session, answered once again. */
	ck_assert_int_eq(client_rt_str(c1, "q2", buf, sizeof(buf), 1000), 0);
	ck_assert_int_eq(client_recv(c1, buf, sizeof(buf), 300), -1);
	ck_assert_int_eq(daemon_stat(d, "one", "sessions_created"), 2);
	ck_assert_int_eq(daemon_stat(d, "one", "tx_datagrams"), 2);

	c2 = client_open(AF_INET, l2);
	ck_assert_int_eq(client_rt_str(c2, "q3", buf, sizeof(buf), 1000), 0);
	ck_assert_int_eq(client_recv(c2, buf, sizeof(buf), 1000), 2);
	ck_assert_int_eq(client_recv(c2, buf, sizeof(buf), 300), -1);
	ck_assert_int_eq(daemon_stat(d, "two", "sessions_done"), 1);
	ck_assert_int_eq(daemon_stat(d, "two", "sessions_active"), 0);
	ck_assert_int_eq(daemon_stat(d, "two", "tx_datagrams"), 2);
	close(c1);
	close(c2);
	stop(d);
	mock_stop(m);
}
END_TEST

/* responses = 0: nothing comes back; the session serves the client on. */
START_TEST(responses_zero)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64];
	int		 c;

	writeconf("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\";\n"
	    "  upstream = \"127.0.0.1:%u\"; responses = 0; } );\n", lp,
	    m->port);
	d = start();
	c = client_open(AF_INET, lp);
	ck_assert_int_eq(client_rt_str(c, "one-way", buf, sizeof(buf), 500),
	    -1);
	ck_assert_int_eq(client_rt_str(c, "again", buf, sizeof(buf), 500),
	    -1);
	ck_assert_int_eq(daemon_stat(d, "r", "rx_datagrams"), 2);
	ck_assert_int_eq(daemon_stat(d, "r", "drop_unwanted_reply"), 2);
	ck_assert_int_eq(daemon_stat(d, "r", "tx_datagrams"), 0);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 1);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_active"), 1);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

/*
 * responses = 2 from an upstream that replies once: the session waits,
 * idle_timeout ends it, and the missing reply counts as a failure.
 */
START_TEST(responses_missing_is_failure)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64];
	int		 c;

	writeconf("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\";\n"
	    "  upstream = \"127.0.0.1:%u\"; responses = 2;\n"
	    "  idle_timeout = 0.3; } );\n", lp, m->port);
	d = start();
	c = client_open(AF_INET, lp);
	ck_assert_int_eq(client_rt_str(c, "q", buf, sizeof(buf), 1000), 0);
	h_sleep_ms(800);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_expired"), 1);
	ck_assert_int_eq(daemon_stat(d, "r", "upstream_failures"), 1);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_done"), 0);
	/* A pool of one is never marked down. */
	ck_assert_int_eq(daemon_stat(d, "r", "upstream_downs"), 0);
	ck_assert_int_eq(client_rt_str(c, "q", buf, sizeof(buf), 1000), 0);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

/*
 * Reload from ( a, b ) to ( a, c ) with new weights: the session on a
 * stays (same upstream source port), the one on b closes at once, and
 * a's weight changing keeps it.
 */
START_TEST(reload_keeps_members_that_stay)
{
	struct mock	*a = mock_start(AF_INET, 0, MOCK_PEER, "a");
	struct mock	*b = mock_start(AF_INET, 0, MOCK_PEER, "b");
	struct mock	*cm = mock_start(AF_INET, 0, MOCK_PEER, "c");
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[256], t[32], p[64];
	unsigned int	 port1, port2;
	int		 c1, c2;

	writeconf("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\";\n"
	    "  upstreams = ( \"127.0.0.1:%u\", \"127.0.0.1:%u\" ); } );\n",
	    lp, a->port, b->port);
	d = start();
	c1 = client_open(AF_INET, lp);
	c2 = client_open(AF_INET, lp);
	ck_assert_int_eq(client_rt_str(c1, "x", buf, sizeof(buf), 1000), 0);
	ck_assert_int_eq(sscanf(buf, "%31s %u %63s", t, &port1, p), 3);
	ck_assert_str_eq(t, "a");
	ck_assert_int_eq(client_rt_str(c2, "y", buf, sizeof(buf), 1000), 0);
	ck_assert_str_eq(strtok(buf, " "), "b");

	writeconf("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\";\n"
	    "  upstreams = ( { address = \"127.0.0.1:%u\"; weight = 5; },\n"
	    "    \"127.0.0.1:%u\" ); balance = \"least_sessions\"; } );\n",
	    lp, a->port, cm->port);
	ck_assert_int_eq(daemon_reload(d), 0);
	ck_assert_int_eq(daemon_wait_log(d, "sessions 1 kept, 1 closed", 1,
	    3000), 0);
	ck_assert_int_eq(daemon_log_count(d, "route r: upstreams changed, 1 "
	    "sessions to removed upstreams closed"), 1);
	ck_assert_int_eq(client_rt_str(c1, "x2", buf, sizeof(buf), 1000), 0);
	ck_assert_int_eq(sscanf(buf, "%31s %u %63s", t, &port2, p), 3);
	ck_assert_str_eq(t, "a");
	ck_assert_uint_eq(port2, port1);
	/* c2's session closed: a new one, on c (fewest sessions). */
	ck_assert_int_eq(client_rt_str(c2, "y2", buf, sizeof(buf), 1000), 0);
	ck_assert_str_eq(strtok(buf, " "), "c");
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 3);

	/* Weights and balance only: every session stays. */
	writeconf("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\";\n"
	    "  upstreams = ( \"127.0.0.1:%u\",\n"
	    "    { address = \"127.0.0.1:%u\"; weight = 2; } ); } );\n",
	    lp, a->port, cm->port);
	ck_assert_int_eq(daemon_reload(d), 0);
	ck_assert_int_eq(daemon_wait_log(d, "sessions 2 kept, 0 closed", 1,
	    3000), 0);
	close(c1);
	close(c2);
	stop(d);
	mock_stop(a);
	mock_stop(b);
	mock_stop(cm);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("pools");
	TCase	*tc = tcase_create("pools");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, round_robin_weights);
	tcase_add_test(tc, hash_by_client_address);
	tcase_add_test(tc, backup_takeover_and_return);
	tcase_add_test(tc, failover_between_primaries);
	tcase_add_test(tc, down_and_no_upstream);
	tcase_add_test(tc, requests_one_per_datagram);
	tcase_add_test(tc, requests_unbound_still_relays);
	tcase_add_test(tc, responses_counted);
	tcase_add_test(tc, responses_zero);
	tcase_add_test(tc, responses_missing_is_failure);
	tcase_add_test(tc, reload_keeps_members_that_stay);
	suite_add_tcase(s, tc);
	return h_run_suite(s);
}
