/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Unit tests for health.c: the \xNN decoder, the rise/fall state machine,
 * and the checker on its own event base against a mock upstream in the
 * same loop that stops and starts answering, answers the wrong bytes, or
 * is not there at all (ICMP refusals).
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "health.h"

static void
unescape_ok(const char *in, const char *want, size_t wantlen)
{
	uint8_t	out[HEALTH_PAYLOAD_MAX];
	char	err[128];
	size_t	n = 99;

	ck_assert_msg(health_unescape(in, out, sizeof(out), &n, err,
	    sizeof(err)) == 0, "%s: %s", in, err);
	ck_assert_uint_eq(n, wantlen);
	ck_assert(memcmp(out, want, wantlen) == 0);
}

static void
unescape_bad(const char *in, const char *want)
{
	uint8_t	out[HEALTH_PAYLOAD_MAX];
	char	err[128];
	size_t	n;

	ck_assert_int_eq(health_unescape(in, out, sizeof(out), &n, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, want);
}

START_TEST(test_unescape)
{
	char	big[HEALTH_PAYLOAD_MAX + 2];

	unescape_ok("\\x00\\x01", "\x00\x01", 2);
	unescape_ok("abc", "abc", 3);
	unescape_ok("", "", 0);
	unescape_ok("\\xfF\\x7a-", "\xff\x7a-", 3);
	unescape_ok("a\\\\b", "a\\b", 3);
	unescape_ok("\\\\x00", "\\x00", 4);
	/* Bytes libconfig decoded already stand for themselves. */
	unescape_ok("\x01\x7f", "\x01\x7f", 2);
	unescape_bad("\\x4", "bad escape at byte 1: write \\\\xNN with two "
	    "hex digits, or \\\\\\\\");
	unescape_bad("ab\\xg0", "bad escape at byte 3: write \\\\xNN with two "
	    "hex digits, or \\\\\\\\");
	unescape_bad("\\n", "bad escape at byte 1: write \\\\xNN with two "
	    "hex digits, or \\\\\\\\");
	unescape_bad("x\\", "bad escape at byte 2: write \\\\xNN with two "
	    "hex digits, or \\\\\\\\");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	unescape_bad(big, "longer than 512 bytes");
	big[HEALTH_PAYLOAD_MAX] = '\0';
	{
		uint8_t	out[HEALTH_PAYLOAD_MAX];
		char	err[128];
		size_t	n;

		ck_assert_int_eq(health_unescape(big, out, sizeof(out), &n,
		    err, sizeof(err)), 0);
		ck_assert_uint_eq(n, HEALTH_PAYLOAD_MAX);
	}
}
END_TEST

START_TEST(test_state_machine)
{
	struct health_conf	hc;
	struct health_state	st;

	health_conf_defaults(&hc);
	hc.rise = 2;
	hc.fall = 3;
	health_state_init(&st);
	ck_assert_int_eq(st.up, 1);
	/* Two misses, a success: the count starts over. */
	ck_assert_int_eq(health_state_update(&st, &hc, 0), 0);
	ck_assert_int_eq(health_state_update(&st, &hc, 0), 0);
	ck_assert_int_eq(health_state_update(&st, &hc, 1), 0);
	ck_assert_int_eq(health_state_update(&st, &hc, 0), 0);
	ck_assert_int_eq(health_state_update(&st, &hc, 0), 0);
	ck_assert_int_eq(st.up, 1);
	ck_assert_int_eq(health_state_update(&st, &hc, 0), 1);
	ck_assert_int_eq(st.up, 0);
	ck_assert_int_eq(health_state_update(&st, &hc, 0), 0);
	/* Down: one success, a miss, then two successes in a row. */
	ck_assert_int_eq(health_state_update(&st, &hc, 1), 0);
	ck_assert_int_eq(health_state_update(&st, &hc, 0), 0);
	ck_assert_int_eq(health_state_update(&st, &hc, 1), 0);
	ck_assert_int_eq(st.up, 0);
	ck_assert_int_eq(health_state_update(&st, &hc, 1), 1);
	ck_assert_int_eq(st.up, 1);
	/* rise = fall = 1: every result decides. */
	hc.rise = hc.fall = 1;
	ck_assert_int_eq(health_state_update(&st, &hc, 0), 1);
	ck_assert_int_eq(health_state_update(&st, &hc, 1), 1);
	ck_assert_int_eq(health_state_update(&st, &hc, 1), 0);
}
END_TEST

/* The mock upstream: in the test's loop, answers while told to. */
struct upmock {
	int		 fd;
	uint16_t	 port;
	struct event	*ev;
	int		 answer;	/* 0 silent, 1 "PONG...", 2 "NOPE" */
	unsigned int	 probes;
	uint8_t		 last[64];
	size_t		 lastlen;
};

static void
upmock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct upmock		*u = arg;
	struct sockaddr_storage	 peer;
	socklen_t		 plen = sizeof(peer);
	uint8_t			 buf[64], out[80];
	ssize_t			 n;

	(void)what;
	n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen);
	if (n < 0)
		return;
	u->probes++;
	memcpy(u->last, buf, (size_t)n);
	u->lastlen = (size_t)n;
	if (u->answer == 1) {
		memcpy(out, "PONG", 4);
		memcpy(out + 4, buf, (size_t)n);
		sendto(fd, out, (size_t)n + 4, 0, (struct sockaddr *)&peer,
		    plen);
	} else if (u->answer == 2)
		sendto(fd, "NOPE", 4, 0, (struct sockaddr *)&peer, plen);
}

static void
upmock_start(struct upmock *u, struct event_base *base)
{
	struct sockaddr_in	sin;
	socklen_t		slen = sizeof(sin);

	memset(u, 0, sizeof(*u));
	u->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(u->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(u->fd, (struct sockaddr *)&sin, &slen);
	u->port = ntohs(sin.sin_port);
	u->ev = event_new(base, u->fd, EV_READ | EV_PERSIST, upmock_cb, u);
	event_add(u->ev, NULL);
	u->answer = 1;
}

static void
upmock_stop(struct upmock *u)
{
	event_free(u->ev);
	close(u->fd);
}

struct changes {
	int			 n;
	int			 last;
	void			*cookie;
	struct event_base	*base;
	unsigned int		 probes_at[8];
	struct upmock		*u;
};

static void
change_cb(struct health_target *t, int up, void *arg)
{
	struct changes	*c = arg;
	void		*cookie = health_target_cookie(t);

	if (c->n < 8 && c->u != NULL)
		c->probes_at[c->n] = c->u->probes;
	c->n++;
	c->last = up;
	c->cookie = cookie;
	event_base_loopbreak(c->base);
}

static void
run_ms(struct event_base *base, int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static struct addr
loopback(uint16_t port)
{
	struct addr	a;
	char		s[32], err[64];

	snprintf(s, sizeof(s), "127.0.0.1:%u", port);
	ck_assert_int_eq(addr_parse(s, ADDR_NUMERIC, &a, err, sizeof(err)), 0);
	return a;
}

static void
test_conf(struct health_conf *hc)
{
	char	err[64];

	health_conf_defaults(hc);
	hc->interval_ms = 40;
	hc->timeout_ms = 20;
	hc->rise = 2;
	hc->fall = 3;
	ck_assert_int_eq(health_unescape("\\x00\\x01ping", hc->send,
	    sizeof(hc->send), &hc->send_len, err, sizeof(err)), 0);
	memcpy(hc->expect, "PONG", 4);
	hc->expect_len = 4;
}

START_TEST(test_checker_falls_and_rises)
{
	struct event_base	*base = event_base_new();
	struct health_conf	 hc;
	struct health		*h;
	struct health_target	*t;
	struct upmock		 u;
	struct changes		 c;
	struct addr		 a;
	int			 cookie;
	unsigned int		 p0;

	upmock_start(&u, base);
	test_conf(&hc);
	memset(&c, 0, sizeof(c));
	c.base = base;
	c.u = &u;
	h = health_new(base, &hc, "r", change_cb, &c);
	a = loopback(u.port);
	t = health_add(h, &a, &cookie);
	ck_assert_int_eq(health_target_up(t), 1);
	/* Answering: several rounds, no change, the exact bytes sent. */
	run_ms(base, 200);
	ck_assert_int_eq(c.n, 0);
	ck_assert_uint_ge(u.probes, 3);
	ck_assert_uint_eq(u.lastlen, 6);
	ck_assert(memcmp(u.last, "\x00\x01ping", 6) == 0);
	/* Silent: down after exactly fall = 3 unanswered probes. */
	u.answer = 0;
	p0 = u.probes;
	run_ms(base, 2000);
	ck_assert_int_eq(c.n, 1);
	ck_assert_int_eq(c.last, 0);
	ck_assert_ptr_eq(c.cookie, &cookie);
	ck_assert_uint_eq(c.probes_at[0] - p0, 3);
	ck_assert_int_eq(health_target_up(t), 0);
	/* Still silent: no further change. */
	run_ms(base, 150);
	ck_assert_int_eq(c.n, 1);
	/* Answering again: up after rise = 2 answered probes. */
	u.answer = 1;
	p0 = u.probes;
	run_ms(base, 2000);
	ck_assert_int_eq(c.n, 2);
	ck_assert_int_eq(c.last, 1);
	ck_assert_uint_eq(c.probes_at[1] - p0, 2);
	ck_assert_int_eq(health_target_up(t), 1);
	health_free(h);
	upmock_stop(&u);
	event_base_free(base);
}
END_TEST

/* A reply that does not start with expect is a miss. */
START_TEST(test_checker_expect_mismatch)
{
	struct event_base	*base = event_base_new();
	struct health_conf	 hc;
	struct health		*h;
	struct upmock		 u;
	struct changes		 c;
	struct addr		 a;

	upmock_start(&u, base);
	u.answer = 2;
	test_conf(&hc);
	memset(&c, 0, sizeof(c));
	c.base = base;
	c.u = &u;
	h = health_new(base, &hc, "r", change_cb, &c);
	a = loopback(u.port);
	health_add(h, &a, NULL);
	run_ms(base, 2000);
	ck_assert_int_eq(c.n, 1);
	ck_assert_int_eq(c.last, 0);
	ck_assert_uint_eq(c.probes_at[0], 3);
	/* Without expect, any reply will do. */
	hc.expect_len = 0;
	health_set_conf(h, &hc);
	run_ms(base, 2000);
	ck_assert_int_eq(c.n, 2);
	ck_assert_int_eq(c.last, 1);
	health_free(h);
	upmock_stop(&u);
	event_base_free(base);
}
END_TEST

/* Nobody there: ICMP refusals are misses, and no timeout is waited for. */
START_TEST(test_checker_refused)
{
	struct event_base	*base = event_base_new();
	struct health_conf	 hc;
	struct health		*h;
	struct changes		 c;
	struct addr		 a;
	struct upmock		 u;

	upmock_start(&u, base);
	a = loopback(u.port);
	upmock_stop(&u);
	test_conf(&hc);
	hc.timeout_ms = 5000;
	hc.interval_ms = 6000;
	hc.fall = 1;
	memset(&c, 0, sizeof(c));
	c.base = base;
	h = health_new(base, &hc, "r", change_cb, &c);
	health_add(h, &a, NULL);
	/* The first probe goes out at once; its refusal decides. */
	run_ms(base, 2000);
	ck_assert_int_eq(c.n, 1);
	ck_assert_int_eq(c.last, 0);
	health_free(h);
	event_base_free(base);
}
END_TEST

static Suite *
health_suite(void)
{
	Suite	*s = suite_create("health");
	TCase	*tc;

	tc = tcase_create("pure");
	tcase_add_test(tc, test_unescape);
	tcase_add_test(tc, test_state_machine);
	suite_add_tcase(s, tc);
	tc = tcase_create("checker");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_checker_falls_and_rises);
	tcase_add_test(tc, test_checker_expect_mismatch);
	tcase_add_test(tc, test_checker_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(health_suite());
	int	 failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0 ? 1 : 0;
}
