/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Unit tests for worker.c: the session budget (room, refusals, live
 * count, a budget lowered below the live count), the split of a global
 * budget over workers, and that a route runs on its own worker: two
 * workers on two event bases, each route's sessions counted on its
 * worker and refused by its worker's budget alone (loopback sockets,
 * no daemon).
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "conf.h"
#include "listener.h"
#include "route.h"
#include "rxbatch.h"
#include "worker.h"

START_TEST(test_budget)
{
	struct worker	*w = worker_new(NULL);
	size_t		 i;

	ck_assert_int_eq(w->owns_base, 1);
	ck_assert_ptr_nonnull(w->base);
	ck_assert_uint_eq(w->max_sessions, 0);
	/* No budget set yet: no room. */
	ck_assert_int_eq(worker_session_room(w), 0);
	ck_assert_uint_eq(w->sessions_refused, 1);
	worker_set_max_sessions(w, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(worker_session_room(w), 1);
		worker_session_add(w);
	}
	ck_assert_uint_eq(w->nsessions, 3);
	ck_assert_int_eq(worker_session_room(w), 0);
	ck_assert_int_eq(worker_session_room(w), 0);
	ck_assert_uint_eq(w->sessions_refused, 3);
	worker_session_remove(w);
	ck_assert_uint_eq(w->nsessions, 2);
	ck_assert_int_eq(worker_session_room(w), 1);
	ck_assert_uint_eq(w->sessions_refused, 3);
	worker_free(w);
}
END_TEST

/* Lowering the budget below the live count closes nothing. */
START_TEST(test_budget_lowered)
{
	struct worker	*w = worker_new(NULL);

	worker_set_max_sessions(w, 4);
	worker_session_add(w);
	worker_session_add(w);
	worker_session_add(w);
	worker_set_max_sessions(w, 1);
	ck_assert_uint_eq(w->nsessions, 3);
	ck_assert_int_eq(worker_session_room(w), 0);
	worker_session_remove(w);
	worker_session_remove(w);
	ck_assert_int_eq(worker_session_room(w), 0);
	worker_session_remove(w);
	ck_assert_uint_eq(w->nsessions, 0);
	ck_assert_int_eq(worker_session_room(w), 1);
	worker_free(w);
}
END_TEST

/* A worker on a borrowed base leaves it alive. */
START_TEST(test_borrowed_base)
{
	struct event_base	*base = event_base_new();
	struct worker		*w;

	ck_assert_ptr_nonnull(base);
	w = worker_new(base);
	ck_assert_ptr_eq(w->base, base);
	ck_assert_int_eq(w->owns_base, 0);
	ck_assert_ptr_nonnull(w->rx_listener);
	ck_assert_ptr_eq(w->rx_session->data, w->rx_listener->data);
	worker_free(w);
	ck_assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	event_base_free(base);
}
END_TEST

/* One count for several workers: never above max, reservations kept. */
START_TEST(test_shared_count)
{
	struct session_count	c = { 0 };
	int			a = 0, b = 0;

	/* Two workers race for the last slot: one gets it. */
	ck_assert_int_eq(session_count_reserve(&c, 2, &a), 1);
	ck_assert_int_eq(session_count_reserve(&c, 2, &a), 1);	/* kept */
	ck_assert_uint_eq(c.n, 1);
	ck_assert_int_eq(session_count_reserve(&c, 2, &b), 1);
	ck_assert_int_eq(session_count_reserve(&c, 2, &b), 1);
	ck_assert_uint_eq(c.n, 2);
	session_count_add(&c, &a);
	ck_assert_int_eq(a, 0);
	ck_assert_int_eq(session_count_reserve(&c, 2, &a), 0);
	ck_assert_uint_eq(c.n, 2);
	/* b's session was not made: its slot comes back, a takes it. */
	session_count_release(&c, &b);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_int_eq(session_count_reserve(&c, 2, &a), 1);
	session_count_add(&c, &a);
	/* Adopted sessions count without a reservation, past max. */
	session_count_add(&c, &b);
	ck_assert_uint_eq(c.n, 3);
	session_count_remove(&c);
	session_count_remove(&c);
	session_count_remove(&c);
	ck_assert_uint_eq(c.n, 0);
}
END_TEST

static int
udp_socket(struct sockaddr_in *sin)
{
	socklen_t	len = sizeof(*sin);
	int		fd;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)sin, sizeof(*sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)sin, &len), 0);
	return fd;
}

/* Runs base until fd is readable (bounded), then reads one datagram. */
static ssize_t
pump_until(struct event_base *base, int fd, char *buf, size_t len)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	int		i;

	for (i = 0; i < 200; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (poll(&pfd, 1, 10) == 1)
			return recv(fd, buf, len, MSG_DONTWAIT);
	}
	return -1;
}

/* Runs base for a while so a datagram that should be dropped is seen. */
static void
pump(struct event_base *base)
{
	int	i;

	for (i = 0; i < 20; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(5000);
	}
}

struct side {
	struct worker		*w;
	struct route_conf	 rc;
	struct member_conf	 member;
	struct addr		 uaddr;
	struct route		*r;
	struct sockaddr_in	 up_sin, ls_sin;
	int			 upfd;
	char			 name[8];
	char			 ustr[32];
};

static void
side_open(struct side *sd, const char *name)
{
	struct listener	*l;
	struct addr	 la;
	struct sockaddr_in *sin = (struct sockaddr_in *)&la.ss;
	socklen_t	 len = sizeof(sd->ls_sin);
	char		 err[256];

	memset(sd, 0, sizeof(*sd));
	sd->w = worker_new(NULL);
	worker_set_max_sessions(sd->w, 1);
	sd->upfd = udp_socket(&sd->up_sin);
	snprintf(sd->name, sizeof(sd->name), "%s", name);
	snprintf(sd->ustr, sizeof(sd->ustr), "127.0.0.1:%u",
	    ntohs(sd->up_sin.sin_port));
	memset(&la, 0, sizeof(la));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	la.len = sizeof(*sin);
	l = listener_open(&la, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "listener_open: %s", err);
	ck_assert_int_eq(getsockname(l->fd, (struct sockaddr *)&sd->ls_sin,
	    &len), 0);
	sd->rc.name = sd->name;
	sd->member.address = sd->ustr;
	memcpy(&sd->uaddr.ss, &sd->up_sin, sizeof(sd->up_sin));
	sd->uaddr.len = sizeof(sd->up_sin);
	sd->member.addrs = &sd->uaddr;
	sd->member.naddrs = 1;
	sd->member.weight = 1;
	sd->rc.pool.members = &sd->member;
	sd->rc.pool.nmembers = 1;
	sd->rc.responses = -1;
	sd->rc.listen = la;
	sd->rc.idle_ms = 60000;
	sd->rc.max_datagram = CONF_DGRAM_MAX;
	sd->r = route_new(sd->w, &sd->rc, l);
	ck_assert_ptr_eq(sd->r->worker, sd->w);
}

static void
side_close(struct side *sd)
{
	route_free(sd->r);
	ck_assert_uint_eq(sd->w->nsessions, 0);
	worker_free(sd->w);
	close(sd->upfd);
}

/*
 * Each worker has a budget of one session. A client on route A fills
 * A's worker; a second client on A is refused; a client on B still gets
 * a session on B's worker, and only B's event base forwards it.
 */
START_TEST(test_routes_on_their_worker)
{
	struct side		a, b;
	struct sockaddr_in	csin;
	char			buf[64];
	int			c1, c2, c3;

	side_open(&a, "a");
	side_open(&b, "b");
	c1 = udp_socket(&csin);
	c2 = udp_socket(&csin);
	c3 = udp_socket(&csin);

	ck_assert_int_eq(sendto(c1, "one", 3, 0,
	    (struct sockaddr *)&a.ls_sin, sizeof(a.ls_sin)), 3);
	ck_assert_int_eq(pump_until(a.w->base, a.upfd, buf, sizeof(buf)), 3);
	ck_assert_int_eq(memcmp(buf, "one", 3), 0);
	ck_assert_uint_eq(a.w->nsessions, 1);
	ck_assert_uint_eq(b.w->nsessions, 0);

	ck_assert_int_eq(sendto(c2, "two", 3, 0,
	    (struct sockaddr *)&a.ls_sin, sizeof(a.ls_sin)), 3);
	pump(a.w->base);
	ck_assert_int_eq(recv(a.upfd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert_uint_eq(a.r->stats.drop_session_limit, 1);
	ck_assert_uint_eq(a.w->sessions_refused, 1);
	ck_assert_uint_eq(a.w->nsessions, 1);

	/* B's datagram waits until B's own base runs. */
	ck_assert_int_eq(sendto(c3, "three", 5, 0,
	    (struct sockaddr *)&b.ls_sin, sizeof(b.ls_sin)), 5);
	pump(a.w->base);
	ck_assert_uint_eq(b.w->nsessions, 0);
	ck_assert_int_eq(pump_until(b.w->base, b.upfd, buf, sizeof(buf)), 5);
	ck_assert_int_eq(memcmp(buf, "three", 5), 0);
	ck_assert_uint_eq(b.w->nsessions, 1);
	ck_assert_uint_eq(b.r->stats.drop_session_limit, 0);
	ck_assert_uint_eq(b.r->stats.sessions_created, 1);

	ck_assert_uint_eq(route_close_sessions(a.r, SESSION_END_SHUTDOWN), 1);
	ck_assert_uint_eq(a.w->nsessions, 0);
	close(c1);
	close(c2);
	close(c3);
	side_close(&a);
	side_close(&b);
}
END_TEST

static Suite *
worker_suite(void)
{
	Suite	*s = suite_create("worker");
	TCase	*tc;

	tc = tcase_create("budget");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_budget);
	tcase_add_test(tc, test_budget_lowered);
	tcase_add_test(tc, test_borrowed_base);
	tcase_add_test(tc, test_shared_count);
	suite_add_tcase(s, tc);

	tc = tcase_create("routes");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_routes_on_their_worker);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(worker_suite());
	int	 failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0 ? 1 : 0;
}
