/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Hostname upstreams against the real daemon and the harness's DNS
 * responder on loopback (resolver = ( "127.0.0.1:PORT" )): the first
 * answers before serving, a failed start, -t, a reload whose name never
 * resolves while another route streams, and a failed re-resolution that
 * keeps the old addresses and the sessions.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "dnsmock.h"
#include "harness.h"

static const char	*dir;
static char		 conf[256];

static void	writeconf(const char *, ...) __attribute__((format(printf, 1, 2)));

static void
writeconf(const char *fmt, ...)
{
	char	text[8192];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	h_write_file(conf, "%s", text);
}

static void
setup(void)
{
	dir = h_tmpdir();
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
}

static uint64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The daemon resolves the name with our server before serving. */
START_TEST(test_start_resolves)
{
	struct dnsmock	*dns = dnsmock_start();
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PEER, "up");
	struct daemon	*d;
	uint16_t	 lp = h_free_port(AF_INET);
	char		 buf[256], want[64];
	int		 fd;

	ck_assert_ptr_nonnull(dns);
	dnsmock_set(dns, "up.test", "127.0.0.1", 300);
	writeconf("resolver = ( \"127.0.0.1:%u\" );\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\";\n"
	    "    upstream = \"up.test:%u\"; } );\n", dnsmock_port(dns), lp,
	    m->port);
	d = daemon_start(dir, conf, NULL);
	ck_assert_msg(d != NULL, "daemon did not start");
	ck_assert_uint_ge(dnsmock_queries(dns), 1);
	ck_assert_int_eq(daemon_log_count(d, "route a: up.test resolved to 1 "
	    "address"), 1);
	fd = client_open(AF_INET, lp);
	ck_assert_int_eq(client_rt_str(fd, "hello", buf, sizeof(buf), 2000), 0);
	snprintf(want, sizeof(want), "up ");
	ck_assert_msg(strncmp(buf, want, strlen(want)) == 0, "got '%s'", buf);
	ck_assert_msg(strstr(buf, " hello") != NULL, "got '%s'", buf);
	close(fd);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	mock_stop(m);
	dnsmock_stop(dns);
}
END_TEST

/* A name that does not exist fails the start with FILE:LINE, and -t. */
START_TEST(test_start_fails_nxdomain)
{
	struct dnsmock	*dns = dnsmock_start();
	struct daemon	*d;
	uint16_t	 lp = h_free_port(AF_INET);
	char		 cmd[1024], out[1024], *log;
	FILE		*p;
	size_t		 n;
	int		 status;

	writeconf("resolver = ( \"127.0.0.1:%u\" );\n"
	    "routes = (\n  { name = \"a\"; listen = \"127.0.0.1:%u\";\n"
	    "    upstream = \"nx.test:53\"; } );\n", dnsmock_port(dns), lp);
	d = daemon_start_nowait(dir, conf, NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(daemon_wait_exit(d, 5000 * h_slow()), 0);
	ck_assert(WIFEXITED(d->status) && WEXITSTATUS(d->status) == 1);
	log = daemon_log_read(d);
	ck_assert_msg(strstr(log, "udproxy.conf:4: route 'a': upstream: cannot "
	    "resolve 'nx.test': name does not exist") != NULL, "log: %s", log);
	free(log);
	daemon_free(d);

	/* -t says the same, and a resolvable file is valid. */
	snprintf(cmd, sizeof(cmd), "%s -t -c '%s' 2>&1", getenv("UDPROXY_BIN"),
	    conf);
	p = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	status = pclose(p);
	ck_assert_int_eq(WEXITSTATUS(status), 1);
	ck_assert_msg(strstr(out, "cannot resolve 'nx.test': name does not "
	    "exist") != NULL, "got: %s", out);
	dnsmock_set(dns, "nx.test", "127.0.0.1", 60);
	p = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	status = pclose(p);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_msg(strstr(out, "configuration is valid, 1 routes, 1 names "
	    "resolved") != NULL, "got: %s", out);
	dnsmock_stop(dns);
}
END_TEST

/*
 * A reload whose new name is never answered: it fails after
 * resolver_timeout, the old configuration keeps serving, and a client
 * streaming through another route all along sees no stall.
 */
START_TEST(test_reload_unanswered_no_stall)
{
	struct dnsmock	*dns = dnsmock_start();
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	struct daemon	*d;
	uint16_t	 la = h_free_port(AF_INET), lb = h_free_port(AF_INET);
	char		 buf[256];
	uint64_t	 t0, t, worst = 0, end;
	int		 fd, bad0, sent = 0;

	writeconf("resolver = ( \"127.0.0.1:%u\" );\nresolver_timeout = 1;\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\";\n"
	    "    upstream = \"127.0.0.1:%u\"; } );\n", dnsmock_port(dns), la,
	    m->port);
	d = daemon_start(dir, conf, NULL);
	ck_assert_msg(d != NULL, "daemon did not start");
	fd = client_open(AF_INET, la);
	ck_assert_int_eq(client_rt_str(fd, "warm", buf, sizeof(buf), 2000), 0);

	dnsmock_silent(dns, 1);
	writeconf("resolver = ( \"127.0.0.1:%u\" );\nresolver_timeout = 1;\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\";\n"
	    "    upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"b\"; listen = \"127.0.0.1:%u\";\n"
	    "    upstream = \"never.test:53\"; } );\n", dnsmock_port(dns), la,
	    m->port, lb);
	bad0 = daemon_log_count(d, "reload failed: ");
	daemon_signal(d, SIGHUP);
	t0 = now_us();
	end = t0 + 1500000ULL * (uint64_t)h_slow();
	/* Round trips, one at a time, through the reload and its failure. */
	while ((t = now_us()) < end) {
		ck_assert_int_eq(client_rt_str(fd, "ping", buf, sizeof(buf),
		    1000), 0);
		ck_assert_str_eq(buf, "ping");
		t = now_us() - t;
		worst = t > worst ? t : worst;
		sent++;
		h_sleep_ms(2);
	}
	ck_assert_int_eq(daemon_wait_log(d, "reload failed: ", bad0 + 1,
	    5000), 0);
	fprintf(stderr, "reload with an unanswered name: %d round trips, "
	    "worst %llu us\n", sent, (unsigned long long)worst);
	ck_assert_int_ge(daemon_log_count(d, "route 'b': upstream: cannot "
	    "resolve 'never.test': timed out"), 1);
	ck_assert_uint_ge(dnsmock_queries(dns), 1);
	if (h_slow() == 1)
		ck_assert_msg(worst < 50000, "a round trip took %llu us during "
		    "the reload", (unsigned long long)worst);
	/* Route b never came to be. */
	ck_assert_int_eq(h_port_bindable(lb), 1);
	close(fd);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	mock_stop(m);
	dnsmock_stop(dns);
}
END_TEST

/*
 * The name stops resolving: the reload still succeeds, with a warning,
 * on the old addresses, and the session keeps its upstream socket.
 */
START_TEST(test_reload_keeps_old_addresses)
{
	struct dnsmock	*dns = dnsmock_start();
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PEER, "up");
	struct daemon	*d;
	uint16_t	 lp = h_free_port(AF_INET);
	char		 before[256], after[256];
	int		 fd;

	dnsmock_set(dns, "up.test", "127.0.0.1", 300);
	writeconf("resolver = ( \"127.0.0.1:%u\" );\nresolver_timeout = 0.5;\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\";\n"
	    "    upstream = \"up.test:%u\"; idle_timeout = 30; } );\n",
	    dnsmock_port(dns), lp, m->port);
	d = daemon_start(dir, conf, NULL);
	ck_assert_msg(d != NULL, "daemon did not start");
	fd = client_open(AF_INET, lp);
	ck_assert_int_eq(client_rt_str(fd, "one", before, sizeof(before),
	    2000), 0);
	dnsmock_silent(dns, 1);
	/* A new tunable, so the reload has something to do. */
	writeconf("resolver = ( \"127.0.0.1:%u\" );\nresolver_timeout = 0.5;\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\";\n"
	    "    upstream = \"up.test:%u\"; idle_timeout = 20; } );\n",
	    dnsmock_port(dns), lp, m->port);
	ck_assert_int_eq(daemon_reload(d), 0);
	ck_assert_int_eq(daemon_log_count(d, "route a: cannot resolve "
	    "'up.test': timed out; keeping its 1 previous address"), 1);
	ck_assert_int_eq(daemon_log_count(d, "sessions 1 kept, 0 closed"), 1);
	ck_assert_int_eq(client_rt_str(fd, "one", after, sizeof(after), 2000),
	    0);
	/* "up <peer port> one": the same upstream socket as before. */
	ck_assert_str_eq(before, after);
	close(fd);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	mock_stop(m);
	dnsmock_stop(dns);
}
END_TEST

static Suite *
names_suite(void)
{
	Suite	*s = suite_create("names");
	TCase	*tc;

	tc = tcase_create("daemon");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30 * h_slow());
	tcase_add_test(tc, test_start_resolves);
	tcase_add_test(tc, test_start_fails_nxdomain);
	tcase_add_test(tc, test_reload_unanswered_no_stall);
	tcase_add_test(tc, test_reload_keeps_old_addresses);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(names_suite());
	int	 failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0 ? 1 : 0;
}
