/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * The access log through the real daemon: known traffic on four routes,
 * sessions ended by idle_timeout, by a reload that repoints their route
 * and by shutdown, each line checked field by field (time, route,
 * client, local address, upstream, duration, datagrams and bytes each
 * way, end reason) in text and in JSON; logrotate's dance (rename, then
 * `udproxy -s reopen` or SIGHUP) starts a new file and loses nothing.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

static const char	*dir;
static char		 conf[256], alog[256], jlog[256];

static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*s;
	long	 n;

	if (f == NULL)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	if (n > 0)
		ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

static int
nlines(const char *path)
{
	char	*s = slurp(path), *p;
	int	 n = 0;

	for (p = s; *p != '\0'; p++)
		n += *p == '\n';
	free(s);
	return n;
}

/* Waits until path has n lines; returns how many it has. */
static int
wait_lines(const char *path, int n, int timeout_ms)
{
	int	i, got = 0;

	for (i = 0; i < timeout_ms * h_slow() / 20; i++) {
		if ((got = nlines(path)) >= n)
			break;
		h_sleep_ms(20);
	}
	return got;
}

static uint16_t
local_port(int fd)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

struct line {
	char		time[64], route[64], client[64], local[64];
	char		upstream[64], end[32];
	double		duration;
	unsigned long long rxd, rxb, txd, txb;
};

/* Parses the one line of a text access log; every field must be there. */
static void
parse_text(const char *path, struct line *l)
{
	char		*s = slurp(path);
	struct tm	 tm;
	time_t		 t, now = time(NULL);
	int		 ms = -1;

	memset(l, 0, sizeof(*l));
	ck_assert_msg(sscanf(s, "%63s route=%63s client=%63s local=%63s "
	    "upstream=%63s duration=%lf rx_datagrams=%llu rx_bytes=%llu "
	    "tx_datagrams=%llu tx_bytes=%llu end=%31s", l->time, l->route,
	    l->client, l->local, l->upstream, &l->duration, &l->rxd, &l->rxb,
	    &l->txd, &l->txb, l->end) == 11, "bad line in %s: %s", path, s);
	/* The line ends right after the end reason. */
	ck_assert_str_eq(strstr(s, " end=") + 5 + strlen(l->end), "\n");
	/* Time: UTC, milliseconds, within the last minute. */
	memset(&tm, 0, sizeof(tm));
	ck_assert_ptr_nonnull(strptime(l->time, "%Y-%m-%dT%H:%M:%S", &tm));
	ck_assert_int_eq(sscanf(l->time + 19, ".%3dZ", &ms), 1);
	ck_assert_int_eq(strlen(l->time), 24);
	t = timegm(&tm);
	ck_assert(t <= now && t >= now - 60);
	free(s);
}

static void
check_line(const struct line *l, const char *route, int client,
    uint16_t local, uint16_t upstream, double dmin, double dmax,
    unsigned long long rxd, unsigned long long rxb, unsigned long long txd,
    unsigned long long txb, const char *end)
{
	char	want[64];

	ck_assert_str_eq(l->route, route);
	snprintf(want, sizeof(want), "127.0.0.1:%u", local_port(client));
	ck_assert_str_eq(l->client, want);
	snprintf(want, sizeof(want), "127.0.0.1:%u", local);
	ck_assert_str_eq(l->local, want);
	snprintf(want, sizeof(want), "127.0.0.1:%u", upstream);
	ck_assert_str_eq(l->upstream, want);
	ck_assert_msg(l->duration >= dmin && l->duration <= dmax,
	    "duration %.3f not in [%.3f, %.3f]", l->duration, dmin, dmax);
	ck_assert_uint_eq(l->rxd, rxd);
	ck_assert_uint_eq(l->rxb, rxb);
	ck_assert_uint_eq(l->txd, txd);
	ck_assert_uint_eq(l->txb, txb);
	ck_assert_str_eq(l->end, end);
}

static void
writeconf(uint16_t pi, uint16_t pr, uint16_t ps, uint16_t pj,
    uint16_t mecho, uint16_t mrp, uint16_t mtwice)
{
	h_write_file(conf,
	    "control = \"%s/ctl.sock\";\n"
	    "access_log = \"%s\";\n"
	    "routes = (\n"
	    " { name = \"idle\"; listen = \"127.0.0.1:%u\";\n"
	    "   upstream = \"127.0.0.1:%u\"; idle_timeout = 0.3; },\n"
	    " { name = \"rp\"; listen = \"127.0.0.1:%u\";\n"
	    "   upstream = \"127.0.0.1:%u\"; },\n"
	    " { name = \"sd\"; listen = \"127.0.0.1:%u\";\n"
	    "   upstream = \"127.0.0.1:%u\"; },\n"
	    " { name = \"js\"; listen = \"127.0.0.1:%u\";\n"
	    "   upstream = \"127.0.0.1:%u\"; access_log = \"%s\";\n"
	    "   access_log_format = \"json\"; } );\n",
	    dir, alog, pi, mecho, pr, mrp, ps, mtwice, pj, mecho, jlog);
}

START_TEST(every_end_reason_every_field)
{
	struct mock	*me = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	struct mock	*m2 = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	struct mock	*mt = mock_start(AF_INET, 0, MOCK_TWICE, NULL);
	uint16_t	 pi = h_free_port(AF_INET), pr = h_free_port(AF_INET);
	uint16_t	 ps = h_free_port(AF_INET), pj = h_free_port(AF_INET);
	struct daemon	*d;
	struct h_run	 run;
	struct line	 l;
	char		 buf[256], old1[300], old2[300], want[512], *s;
	int		 c1, c2, c3, c4;

	dir = h_tmpdir();
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	snprintf(alog, sizeof(alog), "%s/access.log", dir);
	snprintf(jlog, sizeof(jlog), "%s/json.log", dir);
	snprintf(old1, sizeof(old1), "%s.1", alog);
	snprintf(old2, sizeof(old2), "%s.2", alog);
	writeconf(pi, pr, ps, pj, me->port, me->port, mt->port);
	d = daemon_start(dir, conf, NULL);
	ck_assert_ptr_nonnull(d);

	/* idle: two round trips, then idle_timeout ends it. */
	c1 = client_open(AF_INET, pi);
	ck_assert_int_eq(client_rt_str(c1, "abc", buf, sizeof(buf), 2000), 0);
	ck_assert_int_eq(client_rt_str(c1, "defgh", buf, sizeof(buf), 2000),
	    0);
	ck_assert_int_eq(wait_lines(alog, 1, 3000), 1);

	/* logrotate: rename, then udproxy -s reopen. */
	ck_assert_int_eq(rename(alog, old1), 0);
	h_run(&run, dir, "-s", "reopen", "-c", conf, (char *)NULL);
	ck_assert_int_eq(run.status, 0);
	ck_assert_str_eq(run.out, "reopening 2 access logs\n");

	/* rp: one round trip, then a reload repoints the route. */
	c2 = client_open(AF_INET, pr);
	ck_assert_int_eq(client_rt_str(c2, "x", buf, sizeof(buf), 2000), 0);
	writeconf(pi, pr, ps, pj, me->port, m2->port, mt->port);
	ck_assert_int_eq(daemon_reload(d), 0);
	/* The reload reopened the file: the line is in a new access.log. */
	ck_assert_int_eq(wait_lines(alog, 1, 3000), 1);

	/* logrotate again, with SIGHUP this time (same file: a reload). */
	ck_assert_int_eq(rename(alog, old2), 0);
	ck_assert_int_eq(daemon_reload(d), 0);

	/* sd: one datagram, two replies; js: one round trip; shutdown. */
	c3 = client_open(AF_INET, ps);
	ck_assert_int_eq(client_rt_str(c3, "tw", buf, sizeof(buf), 2000), 0);
	ck_assert_int_eq(client_recv(c3, buf, sizeof(buf), 2000), 2);
	c4 = client_open(AF_INET, pj);
	ck_assert_int_eq(client_rt_str(c4, "json", buf, sizeof(buf), 2000),
	    0);
	ck_assert_int_eq(daemon_stop(d), 0);

	/* Nothing lost, nothing twice: one line per session, each in place. */
	ck_assert_int_eq(nlines(old1), 1);
	ck_assert_int_eq(nlines(old2), 1);
	ck_assert_int_eq(nlines(alog), 1);
	ck_assert_int_eq(nlines(jlog), 1);
	parse_text(old1, &l);
	check_line(&l, "idle", c1, pi, me->port, 0.3, 5, 2, 8, 2, 8, "idle");
	parse_text(old2, &l);
	/* Closed under the old configuration: the old upstream. */
	check_line(&l, "rp", c2, pr, me->port, 0, 10, 1, 1, 1, 1, "reload");
	parse_text(alog, &l);
	check_line(&l, "sd", c3, ps, mt->port, 0, 10, 1, 2, 2, 4,
	    "shutdown");
	s = slurp(jlog);
	snprintf(want, sizeof(want), "\",\"route\":\"js\","
	    "\"client\":\"127.0.0.1:%u\",\"local\":\"127.0.0.1:%u\","
	    "\"upstream\":\"127.0.0.1:%u\",\"duration_ms\":",
	    local_port(c4), pj, me->port);
	ck_assert_msg(strstr(s, want) != NULL, "%s", s);
	ck_assert(strncmp(s, "{\"time\":\"20", 11) == 0);
	ck_assert_ptr_nonnull(strstr(s, ",\"rx_datagrams\":1,\"rx_bytes\":4,"
	    "\"tx_datagrams\":1,\"tx_bytes\":4,\"end\":\"shutdown\"}\n"));
	free(s);
	close(c1);
	close(c2);
	close(c3);
	close(c4);
	daemon_free(d);
	mock_stop(me);
	mock_stop(m2);
	mock_stop(mt);
}
END_TEST

/* An access log that cannot be opened fails the start and the reload. */
START_TEST(unopenable_log_fails)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 p = h_free_port(AF_INET);
	struct daemon	*d;
	char		*log;

	dir = h_tmpdir();
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	h_write_file(conf, "routes = ( { name = \"a\"; listen = "
	    "\"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; } );\n", p,
	    m->port);
	d = daemon_start(dir, conf, NULL);
	ck_assert_ptr_nonnull(d);
	h_write_file(conf, "access_log = \"%s/no/such/dir/a.log\";\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", dir, p, m->port);
	ck_assert_int_eq(daemon_reload(d), -1);
	log = daemon_log_read(d);
	ck_assert_ptr_nonnull(strstr(log, "reload failed: access log "));
	ck_assert_ptr_nonnull(strstr(log, "/no/such/dir/a.log: No such file "
	    "or directory"));
	free(log);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("access");
	TCase	*tc = tcase_create("access");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_end_reason_every_field);
	tcase_add_test(tc, unopenable_log_fails);
	suite_add_tcase(s, tc);
	return h_run_suite(s);
}
