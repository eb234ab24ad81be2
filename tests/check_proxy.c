/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * PROXY protocol v2 through the real daemon on loopback: a mock upstream
 * parses the header and answers with the client address it saw, for
 * send = "every" and "first", IPv4 and IPv6, wildcard listeners and the
 * size limit; proxy_protocol_from strips headers from trusted senders,
 * keys sessions by the named client and the sender, drops what is
 * missing or malformed, and passes untrusted headers on as payload; two
 * daemons in a chain deliver the first client's address to the last
 * upstream.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"
#include "proxyproto.h"

#define F6	h_family6()
#define LO6	(h_family6() == AF_INET6 ? "[::1]" : "127.0.0.1")

static struct daemon *
start(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static struct daemon *
start(const char *fmt, ...)
{
	char		 text[4096], conf[256];
	const char	*dir;
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

/* "ip:port" or "[ip]:port" of a socket's own end. */
static const char *
local_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage	ss;
	socklen_t		sl = sizeof(ss);
	char			ip[INET6_ADDRSTRLEN];

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip,
		    sizeof(ip));
		snprintf(buf, len, "%s:%u", ip,
		    ntohs(((struct sockaddr_in *)&ss)->sin_port));
	} else {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip,
		    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	}
	return buf;
}

static void
rt_expect(int c, const char *out, const char *want)
{
	char	buf[512];

	ck_assert_int_eq(client_rt_str(c, out, buf, sizeof(buf), 2000), 0);
	ck_assert_str_eq(buf, want);
}

/* every / first, on IPv4 and IPv6: the upstream sees the client. */
static void
send_case(int family, const char *lo, const char *mode)
{
	struct mock	*m = mock_start(family, 0, MOCK_PROXY, "up");
	uint16_t	 lp = h_free_port(family);
	struct daemon	*d;
	char		 me[80], want[256];
	int		 c, first = strcmp(mode, "first") == 0;

	d = start("routes = ( { name = \"dns-1\"; listen = \"%s:%u\"; "
	    "upstream = \"%s:%u\"; proxy_protocol = { send = \"%s\"; "
	    "tlvs = [ \"authority\" ]; }; } );\n", lo, lp, lo, m->port,
	    mode);
	c = client_open(family, lp);
	local_name(c, me, sizeof(me));
	snprintf(want, sizeof(want), "up %s %s:%u auth=dns-1 one", me, lo, lp);
	rt_expect(c, "one", want);
	if (first) {
		rt_expect(c, "two", "up - two");
		rt_expect(c, "three", "up - three");
	} else {
		snprintf(want, sizeof(want), "up %s %s:%u auth=dns-1 two", me,
		    lo, lp);
		rt_expect(c, "two", want);
	}
	/* Replies pass unchanged: the mock's text is all the client got. */
	ck_assert_int_eq(daemon_stat(d, "dns-1", "sessions_created"), 1);
	ck_assert_int_eq(daemon_stat(d, "dns-1", "rx_bytes"),
	    first ? 3 + 3 + 5 : 3 + 3);
	ck_assert_int_eq(daemon_stat(d, "dns-1", "drop_proxy_oversize"), 0);
	close(c);
	stop(d);
	mock_stop(m);
}

START_TEST(send_every_v4)
{
	send_case(AF_INET, "127.0.0.1", "every");
}
END_TEST

START_TEST(send_first_v4)
{
	send_case(AF_INET, "127.0.0.1", "first");
}
END_TEST

START_TEST(send_every_v6)
{
	send_case(F6, LO6, "every");
}
END_TEST

START_TEST(send_first_v6)
{
	send_case(F6, LO6, "first");
}
END_TEST

/* A wildcard listener names the address the client sent to. */
START_TEST(send_wildcard_local)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PROXY, "up");
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 me[80], want[256];
	int		 c;

	d = start("routes = ( { name = \"w\"; listen = \"0.0.0.0:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; proxy_protocol = { send = "
	    "\"every\"; tlvs = [ \"crc32c\" ]; }; } );\n", lp, m->port);
	c = client_open_from("127.0.0.2", "127.0.0.3", lp);
	local_name(c, me, sizeof(me));
	snprintf(want, sizeof(want), "up %s 127.0.0.3:%u x", me, lp);
	rt_expect(c, "x", want);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

/* The header counts against max_datagram_size: counted and dropped. */
START_TEST(send_oversize)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PROXY, "up");
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[256], out[64];
	int		 c;

	/* A 28-byte header: 12 payload bytes fit in 40, 13 do not. */
	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; max_datagram_size = 40; "
	    "proxy_protocol = { send = \"first\"; }; } );\n", lp, m->port);
	c = client_open(AF_INET, lp);
	memset(out, 'y', sizeof(out));
	ck_assert_int_eq(send(c, out, 13, 0), 13);
	ck_assert_int_eq(client_recv(c, buf, sizeof(buf), 300), -1);
	ck_assert_int_eq(daemon_stat(d, "r", "drop_proxy_oversize"), 1);
	ck_assert_int_eq(daemon_stat(d, "r", "rx_datagrams"), 0);
	/*
	 * The header was not sent yet: the next datagram carries it (40
	 * bytes up; the mock's answer naming the client is longer than 40,
	 * so it is the reply that is dropped).
	 */
	ck_assert_int_eq(send(c, out, 12, 0), 12);
	ck_assert_int_eq(client_recv(c, buf, sizeof(buf), 300), -1);
	ck_assert_int_eq(daemon_stat(d, "r", "rx_datagrams"), 1);
	ck_assert_int_eq(daemon_stat(d, "r", "drop_oversize"), 1);
	/* Then 13 bytes pass: no header any more. */
	rt_expect(c, "zzzzzzzzzzzzz", "up - zzzzzzzzzzzzz");
	ck_assert_int_eq(daemon_stat(d, "r", "drop_proxy_oversize"), 1);
	ck_assert_int_eq(daemon_stat(d, "r", "rx_datagrams"), 2);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

/* A header naming src, then payload, in buf; returns the length. */
static size_t
wrap(uint8_t *buf, const char *src, uint16_t sport, const char *payload)
{
	struct proxyproto	h;
	struct sockaddr_in	*s = (struct sockaddr_in *)&h.src;
	struct sockaddr_in	*t = (struct sockaddr_in *)&h.dst;
	ssize_t			n;

	memset(&h, 0, sizeof(h));
	h.cmd = PROXYPROTO_CMD_PROXY;
	h.transport = PROXYPROTO_DGRAM;
	s->sin_family = t->sin_family = AF_INET;
	inet_pton(AF_INET, src, &s->sin_addr);
	s->sin_port = htons(sport);
	inet_pton(AF_INET, "198.51.100.9", &t->sin_addr);
	t->sin_port = htons(53);
	n = proxyproto_encode(buf, PROXYPROTO_SEND_MAX, &h);
	ck_assert_int_gt(n, 0);
	memcpy(buf + n, payload, strlen(payload));
	return (size_t)n + strlen(payload);
}

static void
send_expect(int c, const void *out, size_t len, const char *want)
{
	char	buf[512];
	ssize_t	n;

	ck_assert_int_eq(send(c, out, len, 0), (ssize_t)len);
	if (want == NULL) {
		ck_assert_int_eq(client_recv(c, buf, sizeof(buf), 300), -1);
		return;
	}
	n = client_recv(c, buf, sizeof(buf) - 1, 2000);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, want);
}

START_TEST(accept_trusted)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PROXY, "up");
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	uint8_t		 buf[512];
	size_t		 n;
	int		 c, c2, c3;

	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; proxy_protocol_from = [ "
	    "\"10.0.0.0/8\", \"127.0.0.2/32\", \"127.0.0.3\" ]; } );\n", lp,
	    m->port);
	c = client_open_from("127.0.0.2", "127.0.0.1", lp);
	c3 = client_open_from("127.0.0.3", "127.0.0.1", lp);
	/* The header is stripped; the reply goes back to the sender. */
	n = wrap(buf, "192.0.2.7", 4242, "a");
	send_expect(c, buf, n, "up - a");
	send_expect(c, buf, n, "up - a");
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 1);
	/* Another client behind the same sender: another session. */
	n = wrap(buf, "192.0.2.8", 4242, "b");
	send_expect(c, buf, n, "up - b");
	n = wrap(buf, "192.0.2.7", 4243, "c");
	send_expect(c, buf, n, "up - c");
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 3);
	/*
	 * The same client behind another proxy: a session of its own, and
	 * the reply goes to that proxy, not to the first.
	 */
	n = wrap(buf, "192.0.2.7", 4242, "p3");
	send_expect(c3, buf, n, "up - p3");
	ck_assert_int_eq(client_recv(c, buf, sizeof(buf), 200), -1);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 4);
	n = wrap(buf, "192.0.2.7", 4242, "a2");
	send_expect(c, buf, n, "up - a2");
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 4);
	/* LOCAL: forwarded for the sender itself. */
	memcpy(buf, (const uint8_t[]){ 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
	    0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x20, 0x00, 0x00, 0x00, 'l' },
	    17);
	send_expect(c, buf, 17, "up - l");
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 5);
	/* Missing, truncated, malformed: dropped and counted. */
	send_expect(c, "plain", 5, NULL);
	n = wrap(buf, "192.0.2.7", 4242, "");
	send_expect(c, buf, n - 1, NULL);
	buf[12] = 0x22;
	send_expect(c, buf, n, NULL);
	ck_assert_int_eq(daemon_stat(d, "r", "drop_proxy_invalid"), 3);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 5);
	ck_assert_int_eq(daemon_stat(d, "r", "rx_datagrams"), 7);
	/*
	 * Logged at a rate limit (once a second: once, unless this run is
	 * slow), naming the sender and the reason.
	 */
	ck_assert_int_ge(daemon_log_count(d, "route r: dropped a datagram "
	    "from 127.0.0.2:"), 1);
	ck_assert_int_le(daemon_log_count(d, "route r: dropped a datagram "
	    "from 127.0.0.2:"), 3);
	ck_assert_int_eq(daemon_log_count(d, "(proxy_protocol_from): PROXY "
	    "header: no PROXY v2 signature (0 suppressed)"), 1);

	/* Untrusted 127.0.0.1: its header is only payload, passed on. */
	c2 = client_open_from("127.0.0.1", "127.0.0.1", lp);
	n = wrap(buf, "192.0.2.7", 4242, "u");
	send_expect(c2, buf, n, "up 192.0.2.7:4242 198.51.100.9:53 u");
	send_expect(c2, "plain", 5, "up - plain");
	ck_assert_int_eq(daemon_stat(d, "r", "drop_proxy_invalid"), 3);
	close(c);
	close(c2);
	close(c3);
	stop(d);
	mock_stop(m);
}
END_TEST

/*
 * Client -> udproxy A (send every) -> udproxy B (accepts from A, sends
 * every) -> upstream: the upstream sees the client and the address it
 * sent to at A.
 */
START_TEST(chain_of_two)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PROXY, "up");
	uint16_t	 pa = h_free_port(AF_INET), pb = h_free_port(AF_INET);
	struct daemon	*a, *b;
	char		 me[80], want[256];
	int		 c;

	b = start("routes = ( { name = \"b\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; proxy_protocol_from = [ "
	    "\"127.0.0.0/8\" ]; proxy_protocol = { send = \"every\"; "
	    "tlvs = [ \"authority\", \"crc32c\" ]; }; } );\n", pb, m->port);
	a = start("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; proxy_protocol = { send = "
	    "\"every\"; tlvs = [ \"crc32c\" ]; }; } );\n", pa, pb);
	c = client_open(AF_INET, pa);
	local_name(c, me, sizeof(me));
	snprintf(want, sizeof(want), "up %s 127.0.0.1:%u auth=b hop", me, pa);
	rt_expect(c, "hop", want);
	rt_expect(c, "hop", want);
	ck_assert_int_eq(daemon_stat(b, "b", "sessions_created"), 1);
	ck_assert_int_eq(daemon_stat(b, "b", "drop_proxy_invalid"), 0);
	ck_assert_int_eq(daemon_stat(a, "a", "tx_datagrams"), 2);
	close(c);
	stop(a);
	stop(b);
	mock_stop(m);
}
END_TEST

/* An IPv6 client named to an IPv4 listener, and sent on as IPv6. */
START_TEST(accept_v6_client)
{
	struct mock		*m = mock_start(AF_INET, 0, MOCK_PROXY, "up");
	uint16_t		 lp = h_free_port(AF_INET);
	struct daemon		*d;
	struct proxyproto	 h;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&h.src;
	struct sockaddr_in6	*d6 = (struct sockaddr_in6 *)&h.dst;
	uint8_t			 buf[512];
	ssize_t			 n;
	int			 c;

	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; proxy_protocol_from = [ "
	    "\"127.0.0.1\" ]; proxy_protocol = { send = \"every\"; }; } );\n",
	    lp, m->port);
	memset(&h, 0, sizeof(h));
	h.cmd = PROXYPROTO_CMD_PROXY;
	h.transport = PROXYPROTO_STREAM;	/* TCP is accepted too */
	s6->sin6_family = d6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::77", &s6->sin6_addr);
	inet_pton(AF_INET6, "2001:db8::1", &d6->sin6_addr);
	s6->sin6_port = htons(6000);
	d6->sin6_port = htons(53);
	n = proxyproto_encode(buf, sizeof(buf), &h);
	ck_assert_int_eq(n, 52);
	memcpy(buf + n, "q6", 2);
	c = client_open_from("127.0.0.1", "127.0.0.1", lp);
	send_expect(c, buf, (size_t)n + 2,
	    "up [2001:db8::77]:6000 [2001:db8::1]:53 q6");
	/*
	 * An IPv4-mapped client is an IPv4 client. The encoder folds such
	 * a pair to IPv4; another sender may not, so build that by hand.
	 */
	inet_pton(AF_INET6, "::ffff:192.0.2.5", &s6->sin6_addr);
	inet_pton(AF_INET6, "::ffff:198.51.100.5", &d6->sin6_addr);
	ck_assert_int_eq(proxyproto_encode(buf, sizeof(buf), &h), 28);
	buf[13] = 0x21;
	buf[15] = 36;
	memset(buf + 16, 0, 36);
	buf[16 + 10] = buf[16 + 11] = 0xff;
	inet_pton(AF_INET, "192.0.2.5", buf + 16 + 12);
	buf[32 + 10] = buf[32 + 11] = 0xff;
	inet_pton(AF_INET, "198.51.100.5", buf + 32 + 12);
	buf[48] = 6000 >> 8;
	buf[49] = 6000 & 0xff;
	buf[51] = 53;
	memcpy(buf + 52, "m4", 2);
	send_expect(c, buf, 54, "up 192.0.2.5:6000 198.51.100.5:53 m4");
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

/* The access log names the client a header named, not its sender. */
START_TEST(accept_access_log)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PROXY, "up");
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 log[256], *text = NULL;
	uint8_t		 buf[512];
	size_t		 n;
	FILE		*f;
	int		 c, i;

	snprintf(log, sizeof(log), "%s/access.log", h_tmpdir());
	d = start("access_log = \"%s\";\nroutes = ( { name = \"r\"; "
	    "listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; "
	    "idle_timeout = 0.2; proxy_protocol_from = [ \"127.0.0.1\" ]; "
	    "} );\n", log, lp, m->port);
	c = client_open_from("127.0.0.1", "127.0.0.1", lp);
	n = wrap(buf, "192.0.2.7", 4242, "a");
	send_expect(c, buf, n, "up - a");
	for (i = 0; i < 100 * h_slow(); i++) {
		h_sleep_ms(50);
		free(text);
		text = calloc(1, 4096);
		if ((f = fopen(log, "r")) != NULL) {
			text[fread(text, 1, 4095, f)] = '\0';
			fclose(f);
		}
		if (strstr(text, "end=idle") != NULL)
			break;
	}
	ck_assert_ptr_nonnull(strstr(text, " client=192.0.2.7:4242 "));
	ck_assert_ptr_nonnull(strstr(text, "end=idle"));
	free(text);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

/*
 * send = "first" and a session moved to another pool member (its own
 * went down): the new member gets the header with its first datagram.
 */
START_TEST(first_after_failover)
{
	struct mock	*ma = mock_start(AF_INET, 0, MOCK_PROXY, "A");
	struct mock	*mb = mock_start(AF_INET, 0, MOCK_PROXY, "B");
	struct mock	*gone, *other;
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 me[80], want[256], buf[256];
	int		 c, i;

	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstreams = [ \"127.0.0.1:%u\", \"127.0.0.1:%u\" ]; "
	    "max_fails = 1; proxy_protocol = { send = \"first\"; }; } );\n",
	    lp, ma->port, mb->port);
	c = client_open(AF_INET, lp);
	local_name(c, me, sizeof(me));
	ck_assert_int_eq(client_rt_str(c, "one", buf, sizeof(buf), 2000), 0);
	gone = buf[0] == 'A' ? ma : mb;
	other = buf[0] == 'A' ? mb : ma;
	snprintf(want, sizeof(want), "%c %s 127.0.0.1:%u one", buf[0], me,
	    lp);
	ck_assert_str_eq(buf, want);
	mock_stop(gone);
	/* Refused (ICMP), the member goes down, the session moves. */
	for (i = 0; i < 20 * h_slow(); i++)
		if (client_rt_str(c, "two", buf, sizeof(buf), 300) == 0)
			break;
	snprintf(want, sizeof(want), "%c %s 127.0.0.1:%u two",
	    other == ma ? 'A' : 'B', me, lp);
	ck_assert_str_eq(buf, want);
	snprintf(want, sizeof(want), "%c - three", other == ma ? 'A' : 'B');
	rt_expect(c, "three", want);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_moved"), 1);
	close(c);
	stop(d);
	mock_stop(other);
}
END_TEST

/* A reload that turns the header on makes new sessions that carry it. */
START_TEST(reload_turns_on)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PROXY, "up");
	uint16_t	 lp = h_free_port(AF_INET);
	struct daemon	*d;
	char		 me[80], want[256], conf[256];
	int		 c;

	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", lp, m->port);
	c = client_open(AF_INET, lp);
	local_name(c, me, sizeof(me));
	rt_expect(c, "off", "up - off");
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", d->dir);
	h_write_file(conf, "routes = ( { name = \"r\"; listen = "
	    "\"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; "
	    "proxy_protocol = { send = \"first\"; }; } );\n", lp, m->port);
	ck_assert_int_eq(daemon_reload(d), 0);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_closed"), 1);
	snprintf(want, sizeof(want), "up %s 127.0.0.1:%u on", me, lp);
	rt_expect(c, "on", want);
	rt_expect(c, "on", "up - on");
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"), 2);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("proxy");
	TCase	*tc = tcase_create("proxy");
	int	 failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, send_every_v4);
	tcase_add_test(tc, send_first_v4);
	tcase_add_test(tc, send_every_v6);
	tcase_add_test(tc, send_first_v6);
	tcase_add_test(tc, send_wildcard_local);
	tcase_add_test(tc, send_oversize);
	tcase_add_test(tc, accept_trusted);
	tcase_add_test(tc, chain_of_two);
	tcase_add_test(tc, accept_v6_client);
	tcase_add_test(tc, reload_turns_on);
	tcase_add_test(tc, accept_access_log);
	tcase_add_test(tc, first_after_failover);
	suite_add_tcase(s, tc);
	failed = h_run_suite(s);
	return failed;
}
