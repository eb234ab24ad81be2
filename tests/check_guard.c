/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Abuse control through the real daemon on loopback, with clients bound
 * to distinct 127.0.0.x sources: denied sources get nothing and open no
 * socket, per-source session caps, per-source rates within 5%, the reply
 * ratio against an upstream that answers 100 times, upload and download
 * rates within 10%, dynamic blocks that start and expire, and reloads
 * that change lists and limits in place.
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

static const char	*dir;
static char		 conf[256];

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
write_conf(const char *fmt, va_list ap)
{
	char	text[4096];

	vsnprintf(text, sizeof(text), fmt, ap);
	h_write_file(conf, "%s", text);
}

static struct daemon *
start(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static struct daemon *
start(const char *fmt, ...)
{
	struct daemon	*d;
	va_list		 ap;

	dir = h_tmpdir();
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	va_start(ap, fmt);
	write_conf(fmt, ap);
	va_end(ap);
	d = daemon_start(dir, conf, NULL);
	ck_assert_msg(d != NULL, "daemon did not start");
	return d;
}

static void
reload(struct daemon *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reload(struct daemon *d, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	write_conf(fmt, ap);
	va_end(ap);
	ck_assert_int_eq(daemon_reload(d), 0);
}

static void
stop(struct daemon *d)
{
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
}

static int
from(const char *src, uint16_t port)
{
	int	fd = client_open_from(src, "127.0.0.1", port);

	ck_assert_msg(fd != -1, "cannot bind a client to %s", src);
	return fd;
}

/* A round trip that must succeed. */
static void
rt_ok(int fd, const char *msg)
{
	char	buf[256];

	ck_assert_int_eq(client_rt_str(fd, msg, buf, sizeof(buf), 2000), 0);
	ck_assert_str_eq(buf, msg);
}

/* A datagram that must get no answer within wait_ms. */
static void
rt_none(int fd, const char *msg, int wait_ms)
{
	char	buf[256];

	ck_assert_int_eq(send(fd, msg, strlen(msg), 0), (ssize_t)strlen(msg));
	ck_assert_int_eq(client_recv(fd, buf, sizeof(buf), wait_ms), -1);
}

/* Polls a counter until it reaches want (bounded). */
static long long
stat_wait(struct daemon *d, const char *counter, long long want)
{
	int64_t		deadline = now_ms() + 5000LL * h_slow();
	long long	v;

	do {
		if ((v = daemon_stat(d, "r", counter)) >= want)
			return v;
		h_sleep_ms(20);
	} while (now_ms() < deadline);
	return v;
}

#define ROUTE	"routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; " \
		"upstream = \"127.0.0.1:%u\"; %s } );\n"

START_TEST(test_acl_denied_gets_nothing)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 port = h_free_port(AF_INET);
	struct daemon	*d;
	int		 bad, good, fds, i;

	d = start("deny = [ \"127.0.0.2\", \"127.0.1.0/24\" ];\n" ROUTE,
	    port, m->port, "");
	fds = daemon_fd_count(d);
	bad = from("127.0.0.2", port);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(send(bad, "x", 1, 0), 1);
	rt_none(bad, "y", 300);
	ck_assert_int_eq(close(bad), 0);
	bad = from("127.0.1.77", port);
	rt_none(bad, "z", 100);
	/* No session, no socket for any of it. */
	ck_assert_int_eq(daemon_fd_count(d), fds);
	ck_assert_int_eq(stat_wait(d, "drop_acl", 22), 22);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 0);
	ck_assert_int_eq(daemon_stat(d, "r", "rx_datagrams"), 0);
	good = from("127.0.0.3", port);
	rt_ok(good, "hello");
	ck_assert_int_eq(daemon_fd_count(d), fds + 1);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 1);
	close(good);
	close(bad);
	stop(d);
	mock_stop(m);
}
END_TEST

START_TEST(test_allow_list)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 port = h_free_port(AF_INET);
	struct daemon	*d;
	int		 a, b, c;

	/* Longest match: the /32 allow beats the /24 deny; others miss the
	 * allow list and are denied. */
	d = start(ROUTE, port, m->port, "allow = [ \"127.0.0.0/8\", "
	    "\"127.0.2.9\" ]; deny = [ \"127.0.2.0/24\" ];");
	a = from("127.0.2.9", port);
	b = from("127.0.2.8", port);
	c = from("127.0.3.1", port);
	rt_ok(a, "one");
	rt_none(b, "two", 200);
	rt_ok(c, "three");
	ck_assert_int_eq(stat_wait(d, "drop_acl", 1), 1);
	close(a);
	close(b);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

START_TEST(test_client_sessions)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 port = h_free_port(AF_INET);
	struct daemon	*d;
	int		 a[3], other, i;

	d = start(ROUTE, port, m->port, "per_client = { sessions = 2; };");
	for (i = 0; i < 3; i++)
		a[i] = from("127.0.0.2", port);
	rt_ok(a[0], "a0");
	rt_ok(a[1], "a1");
	/* The third session of 127.0.0.2 is refused... */
	rt_none(a[2], "a2", 300);
	ck_assert_int_eq(stat_wait(d, "drop_client_sessions", 1), 1);
	/* ...while its live sessions and another source still work. */
	rt_ok(a[0], "a0 again");
	other = from("127.0.0.3", port);
	rt_ok(other, "b0");
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 3);

	/* A reload that keeps the table sizes keeps the counts... */
	reload(d, ROUTE, port, m->port,
	    "per_client = { sessions = 2; rate = 1000; };");
	rt_none(a[2], "a2", 200);
	ck_assert_int_eq(stat_wait(d, "drop_client_sessions", 2), 2);
	/* ...and one that rebuilds the table counts the live sessions
	 * again. */
	reload(d, ROUTE, port, m->port,
	    "per_client = { sessions = 2; table_size = 10; };");
	rt_none(a[2], "a2", 200);
	ck_assert_int_eq(stat_wait(d, "drop_client_sessions", 3), 3);
	/* A higher limit lets it in. */
	reload(d, ROUTE, port, m->port,
	    "per_client = { sessions = 3; table_size = 10; };");
	rt_ok(a[2], "a2 now");
	for (i = 0; i < 3; i++)
		close(a[i]);
	close(other);
	stop(d);
	mock_stop(m);
}
END_TEST

/* Sends at twice the rate for about a second; the echoes are counted. */
START_TEST(test_client_rate)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 port = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64];
	int64_t		 t0, t1;
	long long	 sent = 0, got = 0, fwd, dropped, want;
	int		 fd, other;

	d = start(ROUTE, port, m->port,
	    "per_client = { rate = 200; burst = 10; };");
	fd = from("127.0.0.2", port);
	t0 = now_ms();
	while ((t1 = now_ms()) - t0 < 1000) {
		/* Two per 5 ms: 400/s offered. */
		send(fd, "x", 1, 0);
		send(fd, "x", 1, 0);
		sent += 2;
		while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			got++;
		h_sleep_ms(5);
	}
	while (client_recv(fd, buf, sizeof(buf), 200) > 0)
		got++;
	want = 10 + 200 * (t1 - t0) / 1000;
	fwd = stat_wait(d, "rx_datagrams", got);
	dropped = daemon_stat(d, "r", "drop_client_rate");
	ck_assert_int_eq(fwd, got);
	ck_assert_int_eq(fwd + dropped, sent);
	ck_assert_msg(got >= want * 95 / 100 && got <= want * 105 / 100,
	    "%lld forwarded of %lld sent in %lld ms, want %lld +-5%%", got,
	    sent, (long long)(t1 - t0), want);
	/* Another source has its own bucket. */
	other = from("127.0.0.3", port);
	rt_ok(other, "fine");
	close(fd);
	close(other);
	stop(d);
	mock_stop(m);
}
END_TEST

START_TEST(test_reply_ratio)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_HUNDRED, NULL);
	uint16_t	 port = h_free_port(AF_INET);
	struct daemon	*d;
	char		 req[60], buf[128];
	int		 fd, n = 0;

	d = start(ROUTE, port, m->port, "max_reply_ratio = 3.0;");
	memset(req, 'q', sizeof(req));
	fd = from("127.0.0.2", port);
	/* 60 bytes in allow 180 back: 3 of the 100 replies. */
	ck_assert_int_eq(send(fd, req, sizeof(req), 0), 60);
	ck_assert_int_eq(stat_wait(d, "drop_reply_ratio", 97), 97);
	while (client_recv(fd, buf, sizeof(buf), 100) == 60)
		n++;
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(daemon_stat(d, "r", "tx_datagrams"), 3);
	ck_assert_int_eq(daemon_stat(d, "r", "tx_bytes"), 180);
	/* The second request adds 180 more: 3 again. */
	ck_assert_int_eq(send(fd, req, sizeof(req), 0), 60);
	ck_assert_int_eq(stat_wait(d, "drop_reply_ratio", 194), 194);
	for (n = 0; client_recv(fd, buf, sizeof(buf), 100) == 60; n++)
		;
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(daemon_stat(d, "r", "tx_bytes"), 360);
	close(fd);
	stop(d);
	mock_stop(m);
}
END_TEST

/* Offers 5x the upload rate for a second; the echoes arrive at the rate. */
/*
 * Datagram seq of the upload test: 600 to 1299 bytes, "%08lld" then a
 * byte pattern of seq, so an echo shows any corruption or reordering.
 */
static size_t
seq_fill(char *buf, long long seq)
{
	size_t	len = 600 + (size_t)(seq * 37 % 700), i;
	char	head[24];

	snprintf(head, sizeof(head), "%08lld", seq % 100000000);
	memcpy(buf, head, 8);
	for (i = 8; i < len; i++)
		buf[i] = (char)((seq * 7 + (long long)i) & 0xff);
	return len;
}

static long long
seq_check(const char *buf, ssize_t n, long long last)
{
	char		want[1400];
	long long	seq;

	ck_assert_int_ge(n, 8);
	ck_assert_int_eq(sscanf(buf, "%8lld", &seq), 1);
	ck_assert_msg(seq > last, "datagram %lld after %lld", seq, last);
	ck_assert_int_eq((size_t)n, seq_fill(want, seq));
	ck_assert_msg(memcmp(buf, want, (size_t)n) == 0, "datagram %lld "
	    "corrupted", seq);
	return seq;
}

START_TEST(test_upload_rate)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 port = h_free_port(AF_INET);
	struct daemon	*d;
	char		 req[1400], buf[2048];
	int64_t		 t0, t1, tend;
	long long	 bytes = 0, sent = 0, want, last = -1;
	ssize_t		 n;
	int		 fd;

	d = start(ROUTE, port, m->port, "upload_rate = 100000;");
	fd = from("127.0.0.2", port);
	rt_ok(fd, "start");
	t0 = now_ms();
	tend = t0 + 1000;
	while ((t1 = now_ms()) < tend) {
		/* ~475 kB/s offered, sizes varying so the queue's ring wraps
		 * at odd offsets. */
		send(fd, req, seq_fill(req, sent), 0);
		sent++;
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			last = seq_check(buf, n, last);
			bytes += n;
		}
		h_sleep_ms(2);
	}
	/* What arrived in the window, plus what was queued at its end
	 * (at most 8 datagrams) arriving just after. */
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		last = seq_check(buf, n, last);
		bytes += n;
	}
	want = 100000 * (t1 - t0) / 1000;
	ck_assert_msg(bytes >= want * 90 / 100 && bytes <= want * 110 / 100,
	    "%lld bytes echoed in %lld ms, want %lld +-10%%", bytes,
	    (long long)(t1 - t0), want);
	ck_assert_int_gt(daemon_stat(d, "r", "drop_rate_queue_full"),
	    sent / 2);
	close(fd);
	stop(d);
	mock_stop(m);
}
END_TEST

/* An upstream that answers 100 x 1000 bytes per request, paced down. */
START_TEST(test_download_rate)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_HUNDRED, NULL);
	uint16_t	 port = h_free_port(AF_INET);
	struct daemon	*d;
	char		 req[1000], buf[2048];
	int64_t		 t0, t1, next;
	long long	 bytes = 0, want;
	ssize_t		 n;
	int		 fd;

	d = start(ROUTE, port, m->port, "download_rate = 100000;");
	memset(req, 'd', sizeof(req));
	fd = from("127.0.0.2", port);
	ck_assert_int_eq(send(fd, req, sizeof(req), 0), 1000);
	ck_assert_int_gt(client_recv(fd, buf, sizeof(buf), 2000), 0);
	t0 = now_ms();
	next = t0 + 300;
	while ((t1 = now_ms()) - t0 < 1500) {
		/* More than the rate keeps the upstream socket backlogged. */
		if (t1 >= next) {
			send(fd, req, sizeof(req), 0);
			next += 300;
		}
		if ((n = client_recv(fd, buf, sizeof(buf), 5)) > 0)
			bytes += n;
	}
	want = 100000 * (t1 - t0) / 1000;
	ck_assert_msg(bytes >= want * 90 / 100 && bytes <= want * 110 / 100,
	    "%lld bytes in %lld ms, want %lld +-10%%", bytes,
	    (long long)(t1 - t0), want);
	close(fd);
	stop(d);
	mock_stop(m);
}
END_TEST

START_TEST(test_block_starts_and_expires)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 port = h_free_port(AF_INET);
	struct daemon	*d;
	int64_t		 t0;
	char		 buf[64];
	int		 fd, other, i, ok = 0;

	d = start(ROUTE, port, m->port, "per_client = { rate = 10; };\n"
	    "block = { threshold = 2; seconds = 1; };");
	fd = from("127.0.0.4", port);
	rt_ok(fd, "before");
	/* Over 2 x 10 datagrams in a second. */
	for (i = 0; i < 40; i++)
		send(fd, "f", 1, 0);
	ck_assert_int_eq(daemon_wait_log(d, "route r: blocking 127.0.0.4/32 "
	    "for 1 s: over 2 x per_client.rate", 1, 3000), 0);
	while (client_recv(fd, buf, sizeof(buf), 50) > 0)
		;
	t0 = now_ms();
	ck_assert_int_eq(stat_wait(d, "blocks", 1), 1);
	ck_assert_int_eq(daemon_wait_log(d, "route r: blocked 127.0.0.4/32 "
	    "for ", 1, 3000), 0);
	/* Blocked: nothing passes, another source is not affected. */
	other = from("127.0.0.5", port);
	rt_ok(other, "other");
	rt_none(fd, "during", 100);
	ck_assert_int_ge(daemon_stat(d, "r", "drop_blocked"), 20);
	/* It expires by itself: within 1 s of starting, plus slack. */
	for (i = 0; i < 100 && !ok; i++) {
		h_sleep_ms(50);
		ok = client_rt_str(fd, "after", buf, sizeof(buf), 50) == 0;
	}
	ck_assert_msg(ok, "block did not expire");
	ck_assert_int_le(now_ms() - t0, 3000 * h_slow());
	ck_assert_int_eq(daemon_stat(d, "r", "blocks"), 1);
	close(fd);
	close(other);
	stop(d);
	mock_stop(m);
}
END_TEST

START_TEST(test_reload_closes_denied)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 port = h_free_port(AF_INET);
	struct daemon	*d;
	int		 a, b, c;

	d = start(ROUTE, port, m->port, "");
	a = from("127.0.0.6", port);
	b = from("127.0.0.6", port);
	c = from("127.0.0.7", port);
	rt_ok(a, "a");
	rt_ok(b, "b");
	rt_ok(c, "c");
	reload(d, ROUTE, port, m->port, "deny = [ \"127.0.0.6\" ];");
	ck_assert_int_eq(daemon_wait_log(d, "route r: 2 sessions closed: the "
	    "access lists now deny their clients", 1, 3000), 0);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_denied"), 2);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_active"), 1);
	rt_none(a, "a", 200);
	rt_ok(c, "c still");
	/* Lifting the list lets it back in with a new session. */
	reload(d, ROUTE, port, m->port, "");
	rt_ok(a, "a again");
	ck_assert_int_eq(daemon_log_count(d, "sessions closed: the access "
	    "lists"), 1);
	close(a);
	close(b);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

/* The table, blocks included, survives a reload that keeps its sizes. */
START_TEST(test_block_survives_reload)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 port = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64];
	int		 fd, i;

	d = start(ROUTE, port, m->port, "per_client = { rate = 10; };\n"
	    "block = { threshold = 2; seconds = 60; };");
	fd = from("127.0.0.8", port);
	rt_ok(fd, "before");
	for (i = 0; i < 40; i++)
		send(fd, "f", 1, 0);
	ck_assert_int_eq(stat_wait(d, "blocks", 1), 1);
	while (client_recv(fd, buf, sizeof(buf), 100) > 0)
		;			/* echoes from before the block */
	reload(d, ROUTE, port, m->port, "per_client = { rate = 20; };\n"
	    "block = { threshold = 2; seconds = 60; };");
	rt_none(fd, "still blocked", 200);
	/* New sizes: a new table, without the block. */
	reload(d, ROUTE, port, m->port, "per_client = { rate = 20; "
	    "table_size = 100; };\nblock = { threshold = 2; seconds = 60; };");
	rt_ok(fd, "free");
	close(fd);
	stop(d);
	mock_stop(m);
}
END_TEST

START_TEST(test_acl_ipv6)
{
	struct mock	*m;
	uint16_t	 port;
	struct daemon	*d;
	char		 listen[64];
	int		 fd;

	if (h_family6() != AF_INET6)
		return;		/* said once on stderr */
	m = mock_start(AF_INET6, 0, MOCK_ECHO, NULL);
	port = h_free_port(AF_INET6);
	snprintf(listen, sizeof(listen), "[::1]:%u", port);
	d = start("routes = ( { name = \"r\"; listen = \"%s\"; "
	    "upstream = \"[::1]:%u\"; deny = [ \"2001:db8::/32\", "
	    "\"::ffff:127.0.0.0/104\" ]; } );\n", listen, m->port);
	fd = client_open(AF_INET6, port);
	ck_assert_int_ne(fd, -1);
	rt_ok(fd, "v6 allowed");
	close(fd);
	reload(d, "routes = ( { name = \"r\"; listen = \"%s\"; "
	    "upstream = \"[::1]:%u\"; allow = [ \"2001:db8::/32\" ]; } );\n",
	    listen, m->port);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_denied"), 1);
	fd = client_open(AF_INET6, port);
	rt_none(fd, "v6 denied", 200);
	ck_assert_int_eq(stat_wait(d, "drop_acl", 1), 1);
	close(fd);
	stop(d);
	mock_stop(m);
}
END_TEST

START_TEST(test_bytes_rate)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 port = h_free_port(AF_INET);
	struct daemon	*d;
	char		 req[1000];
	long long	 fwd;
	int		 fd, i;

	/* 100 kB/s with a 100 kB bucket: 100 of 150 at once pass. */
	d = start(ROUTE, port, m->port,
	    "per_client = { bytes_rate = 100000; };");
	memset(req, 'b', sizeof(req));
	fd = from("127.0.0.9", port);
	for (i = 0; i < 150; i++)
		ck_assert_int_eq(send(fd, req, sizeof(req), 0), 1000);
	h_sleep_ms(100);
	fwd = daemon_stat(d, "r", "rx_datagrams");
	ck_assert_int_ge(fwd, 100);
	ck_assert_int_le(fwd, 105);	/* refills while they arrive */
	ck_assert_int_eq(stat_wait(d, "drop_client_rate", 150 - fwd),
	    150 - fwd);
	ck_assert_int_eq(daemon_stat(d, "r", "rx_bytes"), fwd * 1000);
	close(fd);
	stop(d);
	mock_stop(m);
}
END_TEST

static Suite *
guard_suite(void)
{
	Suite	*s = suite_create("guard");
	TCase	*tc = tcase_create("guard");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_acl_denied_gets_nothing);
	tcase_add_test(tc, test_allow_list);
	tcase_add_test(tc, test_client_sessions);
	tcase_add_test(tc, test_client_rate);
	tcase_add_test(tc, test_reply_ratio);
	tcase_add_test(tc, test_upload_rate);
	tcase_add_test(tc, test_download_rate);
	tcase_add_test(tc, test_block_starts_and_expires);
	tcase_add_test(tc, test_reload_closes_denied);
	tcase_add_test(tc, test_block_survives_reload);
	tcase_add_test(tc, test_acl_ipv6);
	tcase_add_test(tc, test_bytes_rate);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(guard_suite());
	int	 failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
