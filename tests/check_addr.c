/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Unit tests for addr.c: "host:port" parsing with its exact error texts,
 * canonical keys (v4-mapped folding, padding and flow labels ignored,
 * scope ids kept), the wildcard and loopback predicates, and formatting.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "addr.h"

#define ERRLEN	1024

static struct sockaddr_in
sin_make(const char *ip, uint16_t port)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	return sin;
}

static struct sockaddr_in6
sin6_make(const char *ip, uint16_t port, uint32_t scope)
{
	struct sockaddr_in6	sin6;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	sin6.sin6_scope_id = scope;
	ck_assert_int_eq(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
	return sin6;
}

/* Parses s, which must succeed, and returns it formatted back. */
static const char *
parse_ok(const char *s, int flags, struct addr *a)
{
	static char	 buf[ADDR_STRLEN];
	char		 err[ERRLEN] = "";

	if (addr_parse(s, flags, a, err, sizeof(err)) != 0)
		ck_abort_msg("addr_parse(\"%s\") failed: %s", s, err);
	return addr_format((const struct sockaddr *)&a->ss, buf, sizeof(buf));
}

START_TEST(test_parse_ipv4)
{
	struct addr		 a;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&a.ss;

	ck_assert_str_eq(parse_ok("127.0.0.1:53", ADDR_NUMERIC, &a),
	    "127.0.0.1:53");
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_uint_eq(a.len, sizeof(struct sockaddr_in));
	ck_assert_uint_eq(sin->sin_port, htons(53));
	ck_assert_uint_eq(sin->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	ck_assert_uint_eq(addr_port(&a), 53);

	ck_assert_str_eq(parse_ok("10.0.0.1:5353", ADDR_NUMERIC, &a),
	    "10.0.0.1:5353");
	/* The same input with ADDR_RESOLVE gives the same address. */
	ck_assert_str_eq(parse_ok("10.0.0.1:5353", ADDR_RESOLVE, &a),
	    "10.0.0.1:5353");
}
END_TEST

START_TEST(test_parse_ipv6)
{
	struct addr		 a;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&a.ss;

	ck_assert_str_eq(parse_ok("[::1]:53", ADDR_NUMERIC, &a), "[::1]:53");
	ck_assert_int_eq(sin6->sin6_family, AF_INET6);
	ck_assert_uint_eq(a.len, sizeof(struct sockaddr_in6));
	ck_assert_uint_eq(sin6->sin6_port, htons(53));
	ck_assert_uint_eq(sin6->sin6_scope_id, 0);
	ck_assert_mem_eq(&sin6->sin6_addr, &in6addr_loopback, 16);
	ck_assert_uint_eq(addr_port(&a), 53);

	ck_assert_str_eq(parse_ok("[2001:db8::53]:853", ADDR_RESOLVE, &a),
	    "[2001:db8::53]:853");
}
END_TEST

/*
 * The sockaddr keeps the family it was written in (the socket must be
 * AF_INET6 to reach it), but the key, equality and predicates see IPv4.
 */
START_TEST(test_parse_v4mapped)
{
	struct addr	a, b;

	ck_assert_str_eq(parse_ok("[::ffff:127.0.0.1]:53", ADDR_NUMERIC, &a),
	    "[::ffff:127.0.0.1]:53");
	ck_assert_int_eq(a.ss.ss_family, AF_INET6);
	ck_assert_uint_eq(addr_port(&a), 53);
	ck_assert_int_eq(addr_is_loopback(&a), 1);
	ck_assert_int_eq(addr_is_wildcard(&a), 0);
	parse_ok("127.0.0.1:53", ADDR_NUMERIC, &b);
	ck_assert_int_eq(addr_equal(&a, &b), 1);
	parse_ok("127.0.0.1:54", ADDR_NUMERIC, &b);
	ck_assert_int_eq(addr_equal(&a, &b), 0);
}
END_TEST

/* /etc/hosts may list localhost as 127.0.0.1, ::1 or both. */
START_TEST(test_parse_resolve)
{
	struct addr	a;
	const char	*s;

	s = parse_ok("localhost:53", ADDR_RESOLVE, &a);
	if (strcmp(s, "127.0.0.1:53") != 0 && strcmp(s, "[::1]:53") != 0)
		ck_abort_msg("localhost:53 resolved to %s", s);
	ck_assert_int_eq(addr_is_loopback(&a), 1);
	ck_assert_uint_eq(addr_port(&a), 53);
}
END_TEST

START_TEST(test_parse_port_bounds)
{
	struct addr	a;

	ck_assert_str_eq(parse_ok("127.0.0.1:1", ADDR_NUMERIC, &a),
	    "127.0.0.1:1");
	ck_assert_uint_eq(addr_port(&a), 1);
	ck_assert_str_eq(parse_ok("127.0.0.1:65535", ADDR_NUMERIC, &a),
	    "127.0.0.1:65535");
	ck_assert_uint_eq(addr_port(&a), 65535);
	ck_assert_str_eq(parse_ok("[::1]:65535", ADDR_NUMERIC, &a),
	    "[::1]:65535");
	/* Leading zeros are decimal, not octal, within five digits. */
	ck_assert_str_eq(parse_ok("127.0.0.1:053", ADDR_NUMERIC, &a),
	    "127.0.0.1:53");
	ck_assert_str_eq(parse_ok("127.0.0.1:00001", ADDR_NUMERIC, &a),
	    "127.0.0.1:1");
}
END_TEST


START_TEST(test_parse_scope)
{
	struct addr		 a;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&a.ss;
	unsigned int		 lo = if_nametoindex("lo");

	if (lo == 0)
		return;		/* no "lo": not Linux, nothing to test */
	ck_assert_str_eq(parse_ok("[fe80::1%lo]:53", ADDR_NUMERIC, &a),
	    "[fe80::1%lo]:53");
	ck_assert_uint_eq(sin6->sin6_scope_id, lo);
	ck_assert_int_eq(addr_is_loopback(&a), 0);
}
END_TEST

struct bad_case {
	const char	*in;
	int		 flags;
	const char	*err;
};

static const struct bad_case bad_cases[] = {
	{ "127.0.0.1:99999", ADDR_NUMERIC,
	    "invalid port '99999' (1-65535)" },
	{ "127.0.0.1:65536", ADDR_NUMERIC,
	    "invalid port '65536' (1-65535)" },
	{ "127.0.0.1:0", ADDR_NUMERIC, "invalid port '0' (1-65535)" },
	{ "127.0.0.1:000053", ADDR_NUMERIC,
	    "invalid port '000053' (1-65535)" },
	{ ":53", ADDR_NUMERIC, "missing host in ':53'" },
	{ "localhost:abc", ADDR_RESOLVE, "invalid port 'abc' (1-65535)" },
	{ "[::1]", ADDR_NUMERIC, "missing port in '[::1]'" },
	{ "[::1]:", ADDR_NUMERIC, "invalid port '' (1-65535)" },
	{ "127.0.0.1:", ADDR_NUMERIC, "invalid port '' (1-65535)" },
	{ "1.2.3.4.5:1", ADDR_NUMERIC, "invalid IP address '1.2.3.4.5'" },
	{ "::1:53", ADDR_NUMERIC, "IPv6 address must be in brackets, as in "
	    "'[::1]:53': '::1:53'" },
	{ "::1:53", ADDR_RESOLVE, "IPv6 address must be in brackets, as in "
	    "'[::1]:53': '::1:53'" },
	/* Link-local needs its interface (connect and bind say EINVAL). */
	{ "[fe80::1]:53", ADDR_NUMERIC, "link-local address 'fe80::1' needs "
	    "an interface, as in '[fe80::1%eth0]:53'" },
	{ "[ff02::1]:53", ADDR_RESOLVE, "link-local address 'ff02::1' needs "
	    "an interface, as in '[fe80::1%eth0]:53'" },
	{ "[fe80::1%nosuchif]:53", ADDR_NUMERIC,
	    "invalid IPv6 address 'fe80::1%nosuchif'" },
	{ "[fe80::1%nosuchif]:53", ADDR_RESOLVE,
	    "invalid IPv6 address 'fe80::1%nosuchif'" },
	{ "127.0.0.1:+53", ADDR_NUMERIC, "invalid port '+53' (1-65535)" },
	{ "127.0.0.1:-53", ADDR_NUMERIC, "invalid port '-53' (1-65535)" },
	{ "127.0.0.1: 53", ADDR_NUMERIC, "invalid port ' 53' (1-65535)" },
	{ "127.0.0.1:53 ", ADDR_NUMERIC, "invalid port '53 ' (1-65535)" },
	{ "127.0.0.1:0x35", ADDR_NUMERIC, "invalid port '0x35' (1-65535)" },
	{ "127.0.0.1 :53", ADDR_NUMERIC, "invalid IP address '127.0.0.1 '" },
	/* A name where only numbers are allowed (listeners). */
	{ "localhost:53", ADDR_NUMERIC, "invalid IP address 'localhost'" },
	/* Brackets mean IPv6; an IPv4 address inside them is refused. */
	{ "[127.0.0.1]:53", ADDR_NUMERIC,
	    "invalid IPv6 address '127.0.0.1'" },
	/* Brackets never resolve names. */
	{ "[localhost]:53", ADDR_RESOLVE,
	    "invalid IPv6 address 'localhost'" },
	{ "[::1", ADDR_NUMERIC, "missing ']' in '[::1'" },
	{ "[::1]x:53", ADDR_NUMERIC, "missing port in '[::1]x:53'" },
	{ "[]:53", ADDR_NUMERIC, "missing host in '[]:53'" },
	{ "", ADDR_NUMERIC, "missing port in ''" },
	{ "127.0.0.1", ADDR_NUMERIC, "missing port in '127.0.0.1'" },
	{ "53", ADDR_RESOLVE, "missing port in '53'" },
	/* inet_aton(3) shorthands: numeric-looking must be a dotted quad. */
	{ "127.1:53", ADDR_NUMERIC, "invalid IP address '127.1'" },
	{ "127.1:53", ADDR_RESOLVE, "invalid IP address '127.1'" },
	{ "0x7f000001:53", ADDR_NUMERIC, "invalid IP address '0x7f000001'" },
	{ "2130706433:53", ADDR_RESOLVE, "invalid IP address '2130706433'" },
};

START_TEST(test_parse_bad)
{
	const struct bad_case	*c = &bad_cases[_i];
	struct addr		 a;
	char			 err[ERRLEN] = "";

	ck_assert_msg(addr_parse(c->in, c->flags, &a, err, sizeof(err)) == -1,
	    "addr_parse(\"%s\") succeeded", c->in);
	ck_assert_str_eq(err, c->err);
}
END_TEST

/* A host longer than the parser's buffer is refused, not truncated. */
START_TEST(test_parse_overlong)
{
	char		 in[400], want[500], err[ERRLEN] = "";
	struct addr	 a;

	memset(in, 'a', 300);
	strcpy(in + 300, ":53");
	snprintf(want, sizeof(want), "overlong host in '%s'", in);
	ck_assert_int_eq(addr_parse(in, ADDR_RESOLVE, &a, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, want);

	in[0] = '[';
	memset(in + 1, '1', 299);
	strcpy(in + 300, "]:53");
	snprintf(want, sizeof(want), "overlong host in '%s'", in);
	ck_assert_int_eq(addr_parse(in, ADDR_NUMERIC, &a, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, want);
}
END_TEST

/* A short error buffer gets a truncated, terminated message. */
START_TEST(test_parse_short_errbuf)
{
	char		err[8];
	struct addr	a;

	memset(err, 'x', sizeof(err));
	ck_assert_int_eq(addr_parse("127.0.0.1:0", ADDR_NUMERIC, &a, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid");
}
END_TEST

START_TEST(test_key_v4mapped)
{
	struct sockaddr_in	sin = sin_make("127.0.0.1", 53);
	struct sockaddr_in6	sin6 = sin6_make("::ffff:127.0.0.1", 53, 0);
	struct addr_key		k4, k6;
	static const uint8_t	want[16] = { 127, 0, 0, 1 };

	addr_key_make(&k4, (struct sockaddr *)&sin);
	addr_key_make(&k6, (struct sockaddr *)&sin6);
	ck_assert_int_eq(addr_key_equal(&k4, &k6), 1);
	ck_assert_mem_eq(&k4, &k6, sizeof(k4));
	ck_assert_uint_eq(k6.family, AF_INET);
	ck_assert_uint_eq(k6.port, htons(53));
	ck_assert_uint_eq(k6.scope, 0);
	ck_assert_uint_eq(k6.pad, 0);
	ck_assert_mem_eq(k6.addr, want, 16);

	/* Only the ::ffff:0:0/96 prefix folds; ::127.0.0.1 stays IPv6. */
	sin6 = sin6_make("::127.0.0.1", 53, 0);
	addr_key_make(&k6, (struct sockaddr *)&sin6);
	ck_assert_uint_eq(k6.family, AF_INET6);
	ck_assert_int_eq(addr_key_equal(&k4, &k6), 0);
}
END_TEST

START_TEST(test_key_port)
{
	struct sockaddr_in	a = sin_make("127.0.0.1", 53);
	struct sockaddr_in	b = sin_make("127.0.0.1", 54);
	struct sockaddr_in6	c = sin6_make("::1", 53, 0);
	struct sockaddr_in6	d = sin6_make("::1", 54, 0);
	struct addr_key		ka, kb, kc, kd, ka2;

	addr_key_make(&ka, (struct sockaddr *)&a);
	addr_key_make(&ka2, (struct sockaddr *)&a);
	addr_key_make(&kb, (struct sockaddr *)&b);
	addr_key_make(&kc, (struct sockaddr *)&c);
	addr_key_make(&kd, (struct sockaddr *)&d);
	ck_assert_int_eq(addr_key_equal(&ka, &ka2), 1);
	ck_assert_int_eq(addr_key_equal(&ka, &kb), 0);
	ck_assert_int_eq(addr_key_equal(&kc, &kd), 0);
	ck_assert_int_eq(addr_key_equal(&ka, &kc), 0);
	ck_assert_uint_eq(kd.family, AF_INET6);
	ck_assert_uint_eq(kd.port, htons(54));
}
END_TEST

/* Link-local fe80::1 on two interfaces are two different peers. */
START_TEST(test_key_scope)
{
	struct sockaddr_in6	a = sin6_make("fe80::1", 53, 1);
	struct sockaddr_in6	b = sin6_make("fe80::1", 53, 2);
	struct sockaddr_in6	c = sin6_make("fe80::1", 53, 1);
	struct addr_key		ka, kb, kc;

	addr_key_make(&ka, (struct sockaddr *)&a);
	addr_key_make(&kb, (struct sockaddr *)&b);
	addr_key_make(&kc, (struct sockaddr *)&c);
	ck_assert_uint_eq(ka.scope, 1);
	ck_assert_uint_eq(kb.scope, 2);
	ck_assert_int_eq(addr_key_equal(&ka, &kb), 0);
	ck_assert_int_eq(addr_key_equal(&ka, &kc), 1);
}
END_TEST

/*
 * The reason keys exist: raw sockaddrs differ in bytes that do not name a
 * peer (sin_zero, the flow label), and the kernel does not promise them.
 */
START_TEST(test_key_ignores_noise)
{
	struct sockaddr_in	a = sin_make("192.0.2.1", 5000), b = a;
	struct sockaddr_in6	c = sin6_make("2001:db8::1", 5000, 0), d = c;
	struct addr_key		ka, kb, kc, kd;

	memset(b.sin_zero, 0xa5, sizeof(b.sin_zero));
	d.sin6_flowinfo = htonl(0x12345);
	memset(&ka, 0xff, sizeof(ka));
	addr_key_make(&ka, (struct sockaddr *)&a);
	addr_key_make(&kb, (struct sockaddr *)&b);
	addr_key_make(&kc, (struct sockaddr *)&c);
	addr_key_make(&kd, (struct sockaddr *)&d);
	ck_assert_int_eq(addr_key_equal(&ka, &kb), 1);
	ck_assert_int_eq(addr_key_equal(&kc, &kd), 1);
	/* Unused address bytes of an IPv4 key are zero. */
	ck_assert_uint_eq(ka.addr[4], 0);
	ck_assert_uint_eq(ka.addr[15], 0);
}
END_TEST

/* Any other family yields the all-zero key rather than garbage. */
START_TEST(test_key_other_family)
{
	struct sockaddr_un	sun;
	struct addr_key		k, zero;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, "/tmp/x");
	memset(&k, 0xff, sizeof(k));
	memset(&zero, 0, sizeof(zero));
	addr_key_make(&k, (struct sockaddr *)&sun);
	ck_assert_mem_eq(&k, &zero, sizeof(k));
}
END_TEST

START_TEST(test_wildcard)
{
	struct addr	a;

	parse_ok("0.0.0.0:1", ADDR_NUMERIC, &a);
	ck_assert_int_eq(addr_is_wildcard(&a), 1);
	ck_assert_int_eq(addr_is_loopback(&a), 0);
	parse_ok("[::]:1", ADDR_NUMERIC, &a);
	ck_assert_int_eq(addr_is_wildcard(&a), 1);
	ck_assert_int_eq(addr_is_loopback(&a), 0);
	parse_ok("[::ffff:0.0.0.0]:1", ADDR_NUMERIC, &a);
	ck_assert_int_eq(addr_is_wildcard(&a), 1);
	parse_ok("127.0.0.1:1", ADDR_NUMERIC, &a);
	ck_assert_int_eq(addr_is_wildcard(&a), 0);
	parse_ok("[::1]:1", ADDR_NUMERIC, &a);
	ck_assert_int_eq(addr_is_wildcard(&a), 0);
	parse_ok("0.0.0.1:1", ADDR_NUMERIC, &a);
	ck_assert_int_eq(addr_is_wildcard(&a), 0);
}
END_TEST

static const struct {
	const char	*in;
	int		 loopback;
} loopback_cases[] = {
	{ "127.0.0.1:1", 1 },
	{ "127.255.255.254:1", 1 },
	{ "127.0.0.2:1", 1 },
	{ "[::1]:1", 1 },
	{ "[::ffff:127.0.0.1]:1", 1 },
	{ "[::ffff:127.9.9.9]:1", 1 },
	{ "0.0.0.0:1", 0 },
	{ "10.0.0.1:1", 0 },
	{ "128.0.0.1:1", 0 },
	{ "126.255.255.255:1", 0 },
	{ "[::]:1", 0 },
	{ "[::2]:1", 0 },
	{ "[::127.0.0.1]:1", 0 },
	{ "[::ffff:10.0.0.1]:1", 0 },
	{ "[fe80::1%lo]:1", 0 },
};

/* A scope on an address that has none is dropped: one address, one key. */
START_TEST(test_scope_only_link_local)
{
	struct addr	a, b;
	char		err[ERRLEN] = "";

	ck_assert_int_eq(addr_parse("[::1%1]:53", ADDR_NUMERIC, &a, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(addr_parse("[::1]:53", ADDR_NUMERIC, &b, err,
	    sizeof(err)), 0);
	ck_assert(addr_equal(&a, &b));
	ck_assert_uint_eq(((struct sockaddr_in6 *)&a.ss)->sin6_scope_id, 0);
}
END_TEST

START_TEST(test_loopback)
{
	struct addr	a;

	parse_ok(loopback_cases[_i].in, ADDR_NUMERIC, &a);
	ck_assert_msg(addr_is_loopback(&a) == loopback_cases[_i].loopback,
	    "addr_is_loopback(%s) != %d", loopback_cases[_i].in,
	    loopback_cases[_i].loopback);
}
END_TEST

START_TEST(test_format)
{
	struct sockaddr_in	sin = sin_make("127.0.0.1", 53);
	struct sockaddr_in6	sin6 = sin6_make("::1", 53, 0);
	struct sockaddr_un	sun;
	char			buf[ADDR_STRLEN], small[5];

	ck_assert_ptr_eq(addr_format((struct sockaddr *)&sin, buf,
	    sizeof(buf)), buf);
	ck_assert_str_eq(buf, "127.0.0.1:53");
	ck_assert_str_eq(addr_format((struct sockaddr *)&sin6, buf,
	    sizeof(buf)), "[::1]:53");
	sin = sin_make("0.0.0.0", 65535);
	ck_assert_str_eq(addr_format((struct sockaddr *)&sin, buf,
	    sizeof(buf)), "0.0.0.0:65535");
	sin6 = sin6_make("2001:db8::a:b", 1, 0);
	ck_assert_str_eq(addr_format((struct sockaddr *)&sin6, buf,
	    sizeof(buf)), "[2001:db8::a:b]:1");
	/* A scope id naming no interface is left out, not printed as %0. */
	sin6 = sin6_make("fe80::1", 53, 999999);
	ck_assert_str_eq(addr_format((struct sockaddr *)&sin6, buf,
	    sizeof(buf)), "[fe80::1]:53");
	if (if_nametoindex("lo") != 0) {
		sin6 = sin6_make("fe80::1", 53, if_nametoindex("lo"));
		ck_assert_str_eq(addr_format((struct sockaddr *)&sin6, buf,
		    sizeof(buf)), "[fe80::1%lo]:53");
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_str_eq(addr_format((struct sockaddr *)&sun, buf,
	    sizeof(buf)), "(unknown family 1)");
	/* Truncated, still terminated. */
	sin = sin_make("127.0.0.1", 53);
	ck_assert_str_eq(addr_format((struct sockaddr *)&sin, small,
	    sizeof(small)), "127.");
}
END_TEST

/*
 * The longest address inet_ntop(3) prints, with the longest interface
 * name, fits in ADDR_STRLEN.
 */
START_TEST(test_format_longest)
{
	struct sockaddr_in6	sin6;
	char			buf[ADDR_STRLEN];
	const char		*want =
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535";

	sin6 = sin6_make("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
	    65535, 0);
	ck_assert_str_eq(addr_format((struct sockaddr *)&sin6, buf,
	    sizeof(buf)), want);
	/* want, plus '%', plus IF_NAMESIZE - 1 characters, plus NUL. */
	ck_assert_uint_ge(sizeof(buf), strlen(want) + 1 + IF_NAMESIZE);
}
END_TEST

static Suite *
addr_suite(void)
{
	Suite	*s = suite_create("addr");
	TCase	*tc;

	tc = tcase_create("parse");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_parse_ipv4);
	tcase_add_test(tc, test_parse_ipv6);
	tcase_add_test(tc, test_parse_v4mapped);
	tcase_add_test(tc, test_parse_resolve);
	tcase_add_test(tc, test_parse_port_bounds);
	tcase_add_test(tc, test_parse_scope);
	tcase_add_loop_test(tc, test_parse_bad, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_parse_overlong);
	tcase_add_test(tc, test_parse_short_errbuf);
	suite_add_tcase(s, tc);

	tc = tcase_create("key");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_key_v4mapped);
	tcase_add_test(tc, test_key_port);
	tcase_add_test(tc, test_key_scope);
	tcase_add_test(tc, test_key_ignores_noise);
	tcase_add_test(tc, test_key_other_family);
	suite_add_tcase(s, tc);

	tc = tcase_create("predicates");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_wildcard);
	tcase_add_test(tc, test_scope_only_link_local);
	tcase_add_loop_test(tc, test_loopback, 0,
	    (int)(sizeof(loopback_cases) / sizeof(loopback_cases[0])));
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_format_longest);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(addr_suite());
	int	 failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0 ? 1 : 0;
}
