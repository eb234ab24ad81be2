/*
 * Unit tests for acl.c: longest match, ties, IPv4 and IPv6, "all", the
 * /0 /32 /128 edges, overlapping lists, IPv4-mapped folding, parse
 * errors, and a differential test against a linear scan of the rules.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "acl.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))

static struct addr_key
key(const char *s)
{
	struct sockaddr_in6	sin6;
	struct sockaddr_in	sin;
	struct addr_key		k;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, s, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(1234);
		addr_key_make(&k, (struct sockaddr *)&sin);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, s, &sin6.sin6_addr), 1);
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(1234);
		addr_key_make(&k, (struct sockaddr *)&sin6);
	}
	return k;
}

static struct acl *
build(const char *const *allow, size_t na, const char *const *deny,
    size_t nd)
{
	char		 why[256];
	struct acl	*acl;

	acl = acl_new(allow, na, deny, nd, why, sizeof(why), NULL, NULL);
	ck_assert_msg(acl != NULL, "acl_new: %s", why);
	return acl;
}

static int
denied(const struct acl *acl, const char *addr)
{
	struct addr_key	k = key(addr);

	return acl_match(acl, &k) == ACL_DENY;
}

START_TEST(test_empty_allows)
{
	struct acl	*acl = build(NULL, 0, NULL, 0);

	ck_assert(!denied(acl, "192.0.2.1"));
	ck_assert(!denied(acl, "2001:db8::1"));
	acl_free(acl);
}
END_TEST

START_TEST(test_longest_match)
{
	const char	*allow[] = { "10.0.0.0/8", "10.66.6.0/24" };
	const char	*deny[] = { "10.66.0.0/16", "all" };
	struct acl	*acl = build(allow, N(allow), deny, N(deny));

	ck_assert(!denied(acl, "10.1.2.3"));		/* /8 allow */
	ck_assert(denied(acl, "10.66.1.1"));		/* /16 deny */
	ck_assert(!denied(acl, "10.66.6.7"));		/* /24 allow */
	ck_assert(denied(acl, "10.66.7.0"));		/* back to /16 */
	ck_assert(denied(acl, "11.0.0.1"));		/* all */
	ck_assert(denied(acl, "9.255.255.255"));
	ck_assert(denied(acl, "2001:db8::1"));		/* ::/0 */
	acl_free(acl);
}
END_TEST

START_TEST(test_tie_denies)
{
	const char	*allow[] = { "192.0.2.0/24", "2001:db8::/32",
	    "198.51.100.7" };
	const char	*deny[] = { "192.0.2.0/24", "2001:db8::/32",
	    "198.51.100.7/32" };
	struct acl	*acl = build(allow, N(allow), deny, N(deny));

	ck_assert(denied(acl, "192.0.2.1"));
	ck_assert(denied(acl, "2001:db8:1::1"));
	ck_assert(denied(acl, "198.51.100.7"));
	/* Allow list exists: no match denies. */
	ck_assert(denied(acl, "203.0.113.1"));
	acl_free(acl);
}
END_TEST

START_TEST(test_no_match_with_allow_list)
{
	const char	*allow[] = { "192.0.2.0/24" };
	const char	*deny[] = { "198.51.100.0/24" };
	struct acl	*acl = build(allow, N(allow), NULL, 0);
	struct acl	*dacl = build(NULL, 0, deny, N(deny));

	ck_assert(!denied(acl, "192.0.2.200"));
	ck_assert(denied(acl, "192.0.3.0"));
	/* An IPv4-only allow list still denies unmatched IPv6. */
	ck_assert(denied(acl, "2001:db8::1"));
	ck_assert(denied(dacl, "198.51.100.1"));
	ck_assert(!denied(dacl, "198.51.101.1"));
	ck_assert(!denied(dacl, "2001:db8::1"));
	acl_free(acl);
	acl_free(dacl);
}
END_TEST

START_TEST(test_all)
{
	const char	*all[] = { "all" };
	const char	*host[] = { "192.0.2.1", "2001:db8::1" };
	struct acl	*d = build(host, N(host), all, N(all));
	struct acl	*a = build(all, N(all), NULL, 0);

	ck_assert(!denied(d, "192.0.2.1"));
	ck_assert(!denied(d, "2001:db8::1"));
	ck_assert(denied(d, "192.0.2.2"));
	ck_assert(denied(d, "2001:db8::2"));
	ck_assert(denied(d, "0.0.0.0"));
	ck_assert(denied(d, "255.255.255.255"));
	ck_assert(denied(d, "::"));
	ck_assert(denied(d, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	ck_assert(!denied(a, "203.0.113.9"));
	ck_assert(!denied(a, "::1"));
	acl_free(d);
	acl_free(a);
}
END_TEST

START_TEST(test_edges)
{
	const char	*allow[] = { "0.0.0.0/0", "255.255.255.255/32",
	    "::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
	    "128.0.0.0/1", "8000::/1" };
	const char	*deny[] = { "0.0.0.0/1", "255.255.255.254/31",
	    "::/1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127",
	    "0.0.0.0/32", "::/128" };
	struct acl	*acl = build(allow, N(allow), deny, N(deny));

	ck_assert(denied(acl, "0.0.0.0"));		/* /32 beats /1 */
	ck_assert(denied(acl, "0.0.0.1"));		/* /1 deny */
	ck_assert(denied(acl, "127.255.255.255"));
	ck_assert(!denied(acl, "128.0.0.0"));		/* /1 allow */
	ck_assert(denied(acl, "255.255.255.254"));	/* /31 deny */
	ck_assert(!denied(acl, "255.255.255.255"));	/* /32 allow */
	ck_assert(denied(acl, "::"));
	ck_assert(denied(acl, "::2"));
	ck_assert(denied(acl, "7fff::"));
	ck_assert(!denied(acl, "8000::"));
	ck_assert(denied(acl, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"));
	ck_assert(!denied(acl, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	acl_free(acl);
}
END_TEST

START_TEST(test_v4mapped)
{
	const char	*deny[] = { "::ffff:192.0.2.0/120", "198.51.100.0/24" };
	const char	*deny6[] = { "::/0" };
	struct acl	*acl = build(NULL, 0, deny, N(deny));
	struct acl	*acl6 = build(NULL, 0, deny6, N(deny6));

	/* A mapped prefix is an IPv4 one, and mapped clients are IPv4. */
	ck_assert(denied(acl, "192.0.2.9"));
	ck_assert(denied(acl, "::ffff:192.0.2.9"));
	ck_assert(denied(acl, "::ffff:198.51.100.1"));
	ck_assert(!denied(acl, "::ffff:198.51.101.1"));
	ck_assert(!denied(acl, "2001:db8::1"));
	/* ::/0 is IPv6 only: a mapped client is IPv4. */
	ck_assert(denied(acl6, "2001:db8::1"));
	ck_assert(!denied(acl6, "::ffff:192.0.2.1"));
	acl_free(acl);
	acl_free(acl6);
}
END_TEST

START_TEST(test_match_sa)
{
	const char		*deny[] = { "127.0.0.2" };
	struct acl		*acl = build(NULL, 0, deny, N(deny));
	struct sockaddr_in	 sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.2", &sin.sin_addr);
	ck_assert_int_eq(acl_match_sa(acl, (struct sockaddr *)&sin),
	    ACL_DENY);
	inet_pton(AF_INET, "127.0.0.3", &sin.sin_addr);
	ck_assert_int_eq(acl_match_sa(acl, (struct sockaddr *)&sin),
	    ACL_ALLOW);
	acl_free(acl);
}
END_TEST

START_TEST(test_parse_errors)
{
	static const struct {
		const char	*in;
		const char	*why;
	} bad[] = {
		{ "", "not an address prefix" },
		{ "10.0.0.0/", "bad prefix length" },
		{ "10.0.0.0/33", "prefix length 33 is over 32" },
		{ "2001:db8::/129", "prefix length 129 is over 128" },
		{ "10.0.0.0/-1", "bad prefix length" },
		{ "10.0.0.0/8x", "bad prefix length" },
		{ "10.0.0.0/0008", "bad prefix length" },
		{ "10.1.0.0/8", "bits set after the first 8" },
		{ "2001:db8::1/64", "bits set after the first 64" },
		{ "10.0.0", "not an IPv4 or IPv6 address" },
		{ "example.com", "not an IPv4 or IPv6 address" },
		{ "fe80::1%eth0", "no scope in a prefix" },
		{ "ALL", "not an IPv4 or IPv6 address" },
		{ " 10.0.0.0/8", "not an IPv4 or IPv6 address" },
	};
	struct acl_prefix	 p[2];
	const char		*one[1], *ok[] = { "10.0.0.0/8" };
	char			 why[256];
	size_t			 i, badi = 99;
	int			 bad_deny = -1;

	for (i = 0; i < N(bad); i++) {
		why[0] = '\0';
		ck_assert_msg(acl_prefix_parse(bad[i].in, p, why,
		    sizeof(why)) == -1, "'%s' parsed", bad[i].in);
		ck_assert_msg(strstr(why, bad[i].why) != NULL,
		    "'%s': got '%s'", bad[i].in, why);
	}
	one[0] = "10.0.0.0/33";
	ck_assert_ptr_null(acl_new(ok, 1, one, 1, why, sizeof(why), &badi,
	    &bad_deny));
	ck_assert_str_eq(why, "'10.0.0.0/33': prefix length 33 is over 32");
	ck_assert_uint_eq(badi, 0);
	ck_assert_int_eq(bad_deny, 1);
	ck_assert_int_eq(acl_prefix_parse("192.0.2.0/24", p, why,
	    sizeof(why)), 1);
	ck_assert_int_eq(p[0].family, AF_INET);
	ck_assert_uint_eq(p[0].len, 24);
	ck_assert_int_eq(acl_prefix_parse("all", p, why, sizeof(why)), 2);
	ck_assert_int_eq(p[0].family, AF_INET);
	ck_assert_int_eq(p[1].family, AF_INET6);
	ck_assert_uint_eq(p[0].len + p[1].len, 0);
	ck_assert_int_eq(acl_prefix_parse("::ffff:10.0.0.0/104", p, why,
	    sizeof(why)), 1);
	ck_assert_int_eq(p[0].family, AF_INET);
	ck_assert_uint_eq(p[0].len, 8);
}
END_TEST

START_TEST(test_equal)
{
	const char	*a1[] = { "10.0.0.0/8", "192.0.2.0/24", "10.0.0.0/8" };
	const char	*a2[] = { "192.0.2.0/24", "10.0.0.0/8" };
	const char	*d[] = { "all" };
	struct acl	*x = build(a1, N(a1), d, N(d));
	struct acl	*y = build(a2, N(a2), d, N(d));
	struct acl	*z = build(a2, N(a2), NULL, 0);

	ck_assert(acl_equal(x, y));
	ck_assert(!acl_equal(x, z));
	ck_assert(!acl_equal(x, NULL));
	ck_assert(acl_equal(NULL, NULL));
	acl_free(x);
	acl_free(y);
	acl_free(z);
}
END_TEST

/* A linear scan of the rules, the specification the trie must meet. */
struct rule {
	uint32_t	net;
	unsigned int	len;
	int		deny;
};

static int
linear_denies(const struct rule *r, size_t n, int has_allow, uint32_t a)
{
	int		 best = -1, v = has_allow;
	size_t		 i;
	uint32_t	 m;

	for (i = 0; i < n; i++) {
		m = r[i].len == 0 ? 0 : ~UINT32_C(0) << (32 - r[i].len);
		if ((a & m) != r[i].net)
			continue;
		if ((int)r[i].len > best) {
			best = (int)r[i].len;
			v = r[i].deny;
		} else if ((int)r[i].len == best && r[i].deny)
			v = 1;
	}
	return v;
}

START_TEST(test_differential)
{
	struct rule	 r[64];
	char		 str[64][32], buf[INET_ADDRSTRLEN];
	const char	*allow[64], *deny[64];
	struct acl	*acl;
	size_t		 na, nd, i, n;
	uint32_t	 a, m, net;
	unsigned int	 seed = 12345, round, q;
	int		 has_allow;
	struct in_addr	 in;

	for (round = 0; round < 200; round++) {
		n = (size_t)(rand_r(&seed) % 64);
		na = nd = 0;
		has_allow = 0;
		for (i = 0; i < n; i++) {
			/* Few distinct top bits, so prefixes overlap. */
			a = (uint32_t)rand_r(&seed) & 0x0303ffff;
			r[i].len = (unsigned int)(rand_r(&seed) % 33);
			m = r[i].len == 0 ? 0 : ~UINT32_C(0) << (32 - r[i].len);
			net = a & m;
			r[i].net = net;
			r[i].deny = rand_r(&seed) % 2;
			in.s_addr = htonl(net);
			inet_ntop(AF_INET, &in, buf, sizeof(buf));
			snprintf(str[i], sizeof(str[i]), "%s/%u", buf,
			    r[i].len);
			if (r[i].deny)
				deny[nd++] = str[i];
			else {
				allow[na++] = str[i];
				has_allow = 1;
			}
		}
		acl = build(allow, na, deny, nd);
		for (q = 0; q < 500; q++) {
			a = (uint32_t)rand_r(&seed) & 0x0303ffff;
			if (q % 2 && n > 0)
				a = r[q % n].net | ((uint32_t)rand_r(&seed) &
				    0xff);
			in.s_addr = htonl(a);
			inet_ntop(AF_INET, &in, buf, sizeof(buf));
			ck_assert_msg(denied(acl, buf) ==
			    linear_denies(r, n, has_allow, a),
			    "round %u address %s", round, buf);
		}
		acl_free(acl);
	}
}
END_TEST

START_TEST(test_nodes_bounded)
{
	const char	*deny[] = { "2001:db8::1", "2001:db8::2", "10.0.0.1" };
	struct acl	*acl = build(NULL, 0, deny, N(deny));

	/* Two roots, 128 + 2 nodes for the two v6 hosts, 32 for v4. */
	ck_assert_uint_le(acl_nodes(acl), 2 + 128 + 128 + 32);
	ck_assert_uint_eq(acl_nodes(acl), 2 + 128 + 2 + 32);
	acl_free(acl);
}
END_TEST

static Suite *
acl_suite(void)
{
	Suite	*s = suite_create("acl");
	TCase	*tc = tcase_create("match");

	tcase_add_test(tc, test_empty_allows);
	tcase_add_test(tc, test_longest_match);
	tcase_add_test(tc, test_tie_denies);
	tcase_add_test(tc, test_no_match_with_allow_list);
	tcase_add_test(tc, test_all);
	tcase_add_test(tc, test_edges);
	tcase_add_test(tc, test_v4mapped);
	tcase_add_test(tc, test_match_sa);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_equal);
	tcase_add_test(tc, test_differential);
	tcase_add_test(tc, test_nodes_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(acl_suite());
	int	 failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
