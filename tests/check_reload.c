/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * SIGHUP against the real daemon: what a reload keeps (listeners,
 * sessions, upstream ports, traffic), what it changes, and that a bad file
 * or an unbindable port changes nothing.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

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

static unsigned int
rt_port(int fd, const char *msg, const char *tag)
{
	char		 buf[256], t[32], p[128];
	unsigned int	 port = 0;

	ck_assert_int_eq(client_rt_str(fd, msg, buf, sizeof(buf), 2000), 0);
	ck_assert_int_eq(sscanf(buf, "%31s %u %127s", t, &port, p), 3);
	ck_assert_str_eq(t, tag);
	ck_assert_str_eq(p, msg);
	return port;
}

#define NCLIENTS	20
#define NRELOADS	5

/*
 * Clients send, the daemon is told to reload, then the replies are read:
 * datagrams queued across the reload must all arrive, through the same
 * upstream source ports, while other routes come and go.
 */
START_TEST(steady_traffic_across_reloads)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PEER, "u");
	struct mock	*e = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 lp = h_free_port(AF_INET);
	unsigned int	 port[NCLIENTS];
	char		 msg[32], buf[256], t[8], p[32];
	struct daemon	*d;
	int		 c[NCLIENTS], i, k, ok;
	unsigned int	 got;

	writeconf("routes = ( { name = \"keep\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", lp, m->port);
	d = start();
	for (i = 0; i < NCLIENTS; i++) {
		c[i] = client_open(AF_INET, lp);
		snprintf(msg, sizeof(msg), "c%d", i);
		port[i] = rt_port(c[i], msg, "u");
	}
	for (k = 1; k <= NRELOADS; k++) {
		/* Each generation adds a route and retunes the kept one. */
		writeconf("routes = (\n"
		    "  { name = \"keep\"; listen = \"127.0.0.1:%u\"; "
		    "upstream = \"127.0.0.1:%u\"; idle_timeout = %d; },\n"
		    "  { name = \"extra\"; listen = \"127.0.0.1:%u\"; "
		    "upstream = \"127.0.0.1:%u\"; }\n);\n", lp, m->port,
		    60 + k, h_free_port(AF_INET), e->port);
		ok = daemon_log_count(d, ": reloaded ");
		for (i = 0; i < NCLIENTS; i++) {
			snprintf(msg, sizeof(msg), "g%dc%d", k, i);
			ck_assert_int_eq(send(c[i], msg, strlen(msg), 0),
			    (ssize_t)strlen(msg));
			if (i == NCLIENTS / 2)
				daemon_signal(d, SIGHUP);
		}
		for (i = 0; i < NCLIENTS; i++) {
			ssize_t n = client_recv(c[i], buf, sizeof(buf) - 1,
			    2000);
			ck_assert_int_gt(n, 0);
			buf[n] = '\0';
			snprintf(msg, sizeof(msg), "g%dc%d", k, i);
			ck_assert_int_eq(sscanf(buf, "%7s %u %31s", t, &got, p),
			    3);
			ck_assert_str_eq(p, msg);
			ck_assert_uint_eq(got, port[i]);
		}
		ck_assert_int_eq(daemon_wait_log(d, ": reloaded ", ok + 1,
		    3000), 0);
	}
	ck_assert_int_eq(daemon_log_count(d, "sessions 20 kept, 0 closed"),
	    NRELOADS);
	ck_assert_int_eq(daemon_stat(d, "keep", "sessions_created"), NCLIENTS);
	ck_assert_int_eq(daemon_stat(d, "keep", "rx_datagrams"),
	    NCLIENTS * (NRELOADS + 1));
	ck_assert_int_eq(daemon_stat(d, "keep", "tx_datagrams"),
	    NCLIENTS * (NRELOADS + 1));
	for (i = 0; i < NCLIENTS; i++)
		close(c[i]);
	stop(d);
	mock_stop(m);
	mock_stop(e);
}
END_TEST

START_TEST(add_and_remove_routes)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PEER, "u");
	uint16_t	 pa = h_free_port(AF_INET), pb = h_free_port(AF_INET);
	uint16_t	 pc = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64];
	unsigned int	 before;
	int		 ca, cb, cc;

	writeconf("routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"b\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; }\n"
	    ");\n", pa, m->port, pb, m->port);
	d = start();
	ca = client_open(AF_INET, pa);
	cb = client_open(AF_INET, pb);
	before = rt_port(ca, "a1", "u");
	rt_port(cb, "b1", "u");
	ck_assert(!h_port_bindable(pb));

	writeconf("routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"c\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; }\n"
	    ");\n", pa, m->port, pc, m->port);
	ck_assert_int_eq(daemon_reload(d), 0);
	ck_assert_int_eq(daemon_log_count(d, "routes 1 added, 1 removed, "
	    "0 changed, 1 kept; sessions 1 kept, 1 closed"), 1);
	ck_assert_int_eq(daemon_log_count(d, "route b: removed, 1 sessions "
	    "closed"), 1);
	/* The removed route's port is free at once. */
	ck_assert(h_port_bindable(pb));
	ck_assert_int_eq(client_rt_str(cb, "b2", buf, sizeof(buf), 300), -1);
	/* The kept route did not notice; the new one forwards. */
	ck_assert_uint_eq(rt_port(ca, "a2", "u"), before);
	cc = client_open(AF_INET, pc);
	rt_port(cc, "c1", "u");
	ck_assert_int_eq(daemon_stat(d, "a", "sessions_created"), 1);
	close(ca);
	close(cb);
	close(cc);
	stop(d);
	mock_stop(m);
}
END_TEST

/*
 * -c names a symbolic link that a deploy repoints (ln -sfn v2.conf
 * current.conf) before SIGHUP: the reload reads the link's new target,
 * relative to the directory the daemon started in, and names the path as
 * given.
 */
START_TEST(symlink_swap)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PEER, "u");
	uint16_t	 pa = h_free_port(AF_INET), pb = h_free_port(AF_INET);
	char		 v1[300], v2[300], link[300], tmp[300], want[600];
	char		 cwd[4096], buf[64];
	struct daemon	*d;
	int		 ca, cb;

	snprintf(v1, sizeof(v1), "%s/v1.conf", dir);
	snprintf(v2, sizeof(v2), "%s/v2.conf", dir);
	snprintf(link, sizeof(link), "%s/current.conf", dir);
	snprintf(tmp, sizeof(tmp), "%s/current.conf.new", dir);
	h_write_file(v1, "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\";"
	    " upstream = \"127.0.0.1:%u\"; } );\n", pa, m->port);
	h_write_file(v2, "routes = ( { name = \"b\"; listen = \"127.0.0.1:%u\";"
	    " upstream = \"127.0.0.1:%u\"; } );\n", pb, m->port);
	ck_assert_int_eq(symlink("v1.conf", link), 0);
	/* A relative -c: the daemon starts in dir. */
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(dir), 0);
	d = daemon_start(dir, "current.conf", NULL);
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_msg(d != NULL, "daemon did not start");
	ca = client_open(AF_INET, pa);
	rt_port(ca, "a1", "u");

	/* Repoint the link atomically, as ln -sfn does, and reload. */
	ck_assert_int_eq(symlink("v2.conf", tmp), 0);
	ck_assert_int_eq(rename(tmp, link), 0);
	ck_assert_int_eq(daemon_reload(d), 0);
	snprintf(want, sizeof(want), "reloaded %s: routes 1 added, 1 removed",
	    link);
	ck_assert_int_eq(daemon_log_count(d, want), 1);
	cb = client_open(AF_INET, pb);
	rt_port(cb, "b1", "u");
	ck_assert_int_eq(client_rt_str(ca, "a2", buf, sizeof(buf), 300), -1);
	close(ca);
	close(cb);
	stop(d);
	mock_stop(m);
}
END_TEST

/* A bad file changes nothing, says where it is bad, and can be fixed. */
START_TEST(broken_file_keeps_old_config)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PEER, "u");
	uint16_t	 pa = h_free_port(AF_INET), pn = h_free_port(AF_INET);
	struct daemon	*d;
	char		 want[512];
	unsigned int	 before;
	int		 ca;

	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", pa, m->port);
	d = start();
	ca = client_open(AF_INET, pa);
	before = rt_port(ca, "x", "u");

	/* Syntax error on line 3, with a new route that must not appear. */
	writeconf("routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"n\"; listen = \"127.0.0.1:%u\"; upstream \"127.0.0.1:1\"; }\n"
	    ");\n", pa, m->port, pn);
	ck_assert_int_eq(daemon_reload(d), -1);
	snprintf(want, sizeof(want), "reload failed: %s:3: syntax error",
	    conf);
	ck_assert_int_eq(daemon_log_count(d, want), 1);
	ck_assert(h_port_bindable(pn));
	ck_assert_uint_eq(rt_port(ca, "y", "u"), before);

	/* A semantic error names its line too. */
	writeconf("routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:%u\";\n"
	    "    upsteam = \"127.0.0.1:%u\"; }\n"
	    ");\n", pa, m->port);
	ck_assert_int_eq(daemon_reload(d), -1);
	snprintf(want, sizeof(want), "reload failed: %s:3: route 'a': "
	    "unknown setting 'upsteam'", conf);
	ck_assert_int_eq(daemon_log_count(d, want), 1);
	ck_assert_uint_eq(rt_port(ca, "z", "u"), before);

	/* The file vanished. */
	ck_assert_int_eq(unlink(conf), 0);
	ck_assert_int_eq(daemon_reload(d), -1);
	snprintf(want, sizeof(want), "reload failed: %s: No such file or "
	    "directory", conf);
	ck_assert_int_eq(daemon_log_count(d, want), 1);
	ck_assert_uint_eq(rt_port(ca, "w", "u"), before);

	/* Fixed: the next reload works and the session survived it all. */
	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; idle_timeout = 30; } );\n", pa,
	    m->port);
	ck_assert_int_eq(daemon_reload(d), 0);
	ck_assert_uint_eq(rt_port(ca, "v", "u"), before);
	ck_assert_int_eq(daemon_stat(d, "a", "sessions_created"), 1);
	close(ca);
	stop(d);
	mock_stop(m);
}
END_TEST

/* One unbindable listener refuses the whole reload. */
START_TEST(taken_port_refuses_reload)
{
	struct mock		*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t		 pa = h_free_port(AF_INET);
	uint16_t		 pfree = h_free_port(AF_INET);
	struct sockaddr_in	 sin;
	struct daemon		*d;
	char			 buf[64], want[512];
	int			 ca, hold;
	uint16_t		 ptaken;
	socklen_t		 len = sizeof(sin);

	hold = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(hold, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(hold, (struct sockaddr *)&sin, &len);
	ptaken = ntohs(sin.sin_port);

	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", pa, m->port);
	d = start();
	ca = client_open(AF_INET, pa);
	ck_assert_int_eq(client_rt_str(ca, "1", buf, sizeof(buf), 2000), 0);
	writeconf("routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"free\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"taken\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; }\n"
	    ");\n", pa, m->port, pfree, m->port, ptaken, m->port);
	ck_assert_int_eq(daemon_reload(d), -1);
	snprintf(want, sizeof(want), "reload failed: %s:4: route 'taken': "
	    "cannot listen on 127.0.0.1:%u: Address already in use", conf,
	    ptaken);
	ck_assert_int_eq(daemon_log_count(d, want), 1);
	/* Nothing of the failed attempt stays open. */
	ck_assert(h_port_bindable(pfree));
	ck_assert_int_eq(client_rt_str(ca, "2", buf, sizeof(buf), 2000), 0);
	ck_assert_str_eq(buf, "2");
	close(hold);
	close(ca);
	stop(d);
	mock_stop(m);
}
END_TEST

/*
 * A new upstream takes the traffic at once: sessions pinned to the old
 * one close at the reload and the next datagram opens a new one.
 */
START_TEST(repointed_upstream)
{
	struct mock	*one = mock_start(AF_INET, 0, MOCK_PEER, "one");
	struct mock	*two = mock_start(AF_INET, 0, MOCK_PEER, "two");
	uint16_t	 pa = h_free_port(AF_INET);
	struct daemon	*d;
	int		 ca;

	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", pa, one->port);
	d = start();
	ca = client_open(AF_INET, pa);
	rt_port(ca, "x", "one");
	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", pa, two->port);
	ck_assert_int_eq(daemon_reload(d), 0);
	ck_assert_int_eq(daemon_log_count(d, "routes 0 added, 0 removed, "
	    "1 changed, 0 kept; sessions 0 kept, 1 closed"), 1);
	rt_port(ca, "y", "two");
	rt_port(ca, "z", "two");
	ck_assert_int_eq(daemon_stat(d, "a", "sessions_created"), 2);
	ck_assert_int_eq(daemon_stat(d, "a", "sessions_closed"), 1);
	close(ca);
	stop(d);
	mock_stop(one);
	mock_stop(two);
}
END_TEST

/* Listen addresses swapped between routes: no gap, no EADDRINUSE. */
START_TEST(swapped_listeners)
{
	struct mock	*one = mock_start(AF_INET, 0, MOCK_PEER, "one");
	struct mock	*two = mock_start(AF_INET, 0, MOCK_PEER, "two");
	uint16_t	 pa = h_free_port(AF_INET), pb = h_free_port(AF_INET);
	struct daemon	*d;
	int		 ca, cb;

	writeconf("routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"b\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; }\n"
	    ");\n", pa, one->port, pb, two->port);
	d = start();
	ca = client_open(AF_INET, pa);
	cb = client_open(AF_INET, pb);
	rt_port(ca, "x", "one");
	rt_port(cb, "x", "two");
	writeconf("routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"b\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; }\n"
	    ");\n", pb, one->port, pa, two->port);
	ck_assert_int_eq(daemon_reload(d), 0);
	rt_port(ca, "y", "two");
	rt_port(cb, "y", "one");
	close(ca);
	close(cb);
	stop(d);
	mock_stop(one);
	mock_stop(two);
}
END_TEST

/* A renamed route keeps its socket and sessions; new tunables apply. */
START_TEST(rename_and_retune)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PEER, "u");
	uint16_t	 pa = h_free_port(AF_INET);
	struct daemon	*d;
	unsigned int	 before;
	int		 ca;

	writeconf("routes = ( { name = \"old\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; idle_timeout = 60; } );\n", pa,
	    m->port);
	d = start();
	ca = client_open(AF_INET, pa);
	before = rt_port(ca, "x", "u");
	writeconf("routes = ( { name = \"new\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; idle_timeout = 0.3; } );\n", pa,
	    m->port);
	ck_assert_int_eq(daemon_reload(d), 0);
	ck_assert_int_eq(daemon_log_count(d, "1 changed, 0 kept; sessions "
	    "1 kept, 0 closed"), 1);
	ck_assert_int_eq(daemon_stat(d, "new", "sessions_active"), 1);
	ck_assert_int_eq(daemon_stat(d, "new", "sessions_created"), 1);
	ck_assert_uint_eq(rt_port(ca, "y", "u"), before);
	/* The shorter timeout now governs the kept session. */
	h_sleep_ms(700 * h_slow());
	ck_assert_int_eq(daemon_stat(d, "new", "sessions_expired"), 1);
	close(ca);
	stop(d);
	mock_stop(m);
}
END_TEST

/*
 * Fifty SIGHUPs in a burst: the daemon lives, coalesces them, ends up
 * with the file on disk, and holds no more descriptors than before.
 */
START_TEST(sighup_storm)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET), pb = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64];
	int		 ca, cb, fds, i, n;

	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", pa, m->port);
	d = start();
	ca = client_open(AF_INET, pa);
	ck_assert_int_eq(client_rt_str(ca, "1", buf, sizeof(buf), 2000), 0);
	fds = daemon_fd_count(d);
	writeconf("routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"b\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; }\n"
	    ");\n", pa, m->port, pb, m->port);
	for (i = 0; i < 50; i++)
		daemon_signal(d, SIGHUP);
	ck_assert_int_eq(daemon_wait_log(d, ": reloaded ", 1, 3000), 0);
	h_sleep_ms(300);
	n = daemon_log_count(d, ": reloaded ");
	ck_assert_int_ge(n, 1);
	ck_assert_int_le(n, 50);
	ck_assert_int_eq(daemon_log_count(d, "route b: listening on"), 1);
	cb = client_open(AF_INET, pb);
	ck_assert_int_eq(client_rt_str(cb, "2", buf, sizeof(buf), 2000), 0);
	ck_assert_int_eq(client_rt_str(ca, "3", buf, sizeof(buf), 2000), 0);
	/* One more listener and one more session than before. */
	ck_assert_int_eq(daemon_fd_count(d), fds + 2);
	close(ca);
	close(cb);
	stop(d);
	mock_stop(m);
}
END_TEST

/* log_level is honoured at start and changes with a reload. */
START_TEST(log_level_follows_reload)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64];
	int		 ca, i;

	writeconf("log_level = \"warning\";\nroutes = ( { name = \"a\"; "
	    "listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; } );\n",
	    pa, m->port);
	d = daemon_start_nowait(dir, conf, NULL);
	ca = client_open(AF_INET, pa);
	/* Nothing at info or notice: wait for the listener by traffic. */
	for (i = 0; i < 50 && client_rt_str(ca, "1", buf, sizeof(buf),
	    100) == -1; i++)
		;
	ck_assert_str_eq(buf, "1");
	ck_assert_int_eq(daemon_log_count(d, "listening on"), 0);
	ck_assert_int_eq(daemon_log_count(d, " started, "), 0);
	writeconf("log_level = \"debug\";\nroutes = ( { name = \"a\"; "
	    "listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; } );\n",
	    pa, m->port);
	ck_assert_int_eq(daemon_reload(d), 0);
	close(ca);
	ca = client_open(AF_INET, pa);
	ck_assert_int_eq(client_rt_str(ca, "2", buf, sizeof(buf), 2000), 0);
	ck_assert_int_eq(daemon_log_count(d, "debug: route a: new session "
	    "for 127.0.0.1:"), 1);
	close(ca);
	stop(d);
	mock_stop(m);
}
END_TEST

/* SIGTERM in the middle of a SIGHUP burst still ends cleanly, at once. */
START_TEST(sigterm_during_sighup_burst)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET);
	struct daemon	*d;
	int		 i;

	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", pa, m->port);
	d = start();
	for (i = 0; i < 50; i++) {
		daemon_signal(d, SIGHUP);
		if (i == 25)
			daemon_signal(d, SIGTERM);
	}
	/* HUPs keep coming while it shuts down: none may kill it. */
	for (i = 0; i < 30000 && kill(d->pid, 0) == 0 &&
	    daemon_wait_exit(d, 0) == -1; i++) {
		daemon_signal(d, SIGHUP);
		usleep(100);
	}
	ck_assert_int_eq(daemon_wait_exit(d, 3000), 0);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

/*
 * A hundred reloads alternating two files, with live sessions: under
 * valgrind (make check-valgrind) this is the leak test for reloads.
 */
START_TEST(hundred_reloads)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	struct mock	*mb = mock_start(h_localhost_family(), 0, MOCK_ECHO,
			    NULL);
	uint16_t	 pa = h_free_port(AF_INET), pb = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64];
	int		 ca, cb, i, fds;

	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", pa, m->port);
	d = start();
	ca = client_open(AF_INET, pa);
	cb = client_open(AF_INET, pb);
	ck_assert_int_eq(client_rt_str(ca, "1", buf, sizeof(buf), 2000), 0);
	fds = daemon_fd_count(d);
	for (i = 0; i < 100; i++) {
		if (i % 2 == 0)
			writeconf("log_level = \"notice\";\nroutes = (\n"
			    "  { name = \"a\"; listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; },\n"
			    "  { name = \"b\"; listen = \"127.0.0.1:%u\"; upstream = \"localhost:%u\"; }\n"
			    ");\n", pa, m->port, pb, mb->port);
		else
			writeconf("log_level = \"info\";\nroutes = ( { name = \"a\"; "
			    "listen = \"127.0.0.1:%u\"; upstream = "
			    "\"127.0.0.1:%u\"; } );\n", pa, m->port);
		ck_assert_int_eq(daemon_reload(d), 0);
		if (i % 2 == 0) {
			ck_assert_int_eq(client_rt_str(cb, "b", buf,
			    sizeof(buf), 2000), 0);
		}
		ck_assert_int_eq(client_rt_str(ca, "a", buf, sizeof(buf),
		    2000), 0);
	}
	ck_assert_int_eq(daemon_reload(d), 0);
	ck_assert_int_eq(daemon_stat(d, "a", "sessions_created"), 1);
	ck_assert_int_eq(daemon_fd_count(d), fds);
	close(ca);
	close(cb);
	stop(d);
	mock_stop(m);
	mock_stop(mb);
}
END_TEST

/*
 * Whether pid blocks or catches SIGHUP (SigBlk, SigCgt in
 * /proc/PID/status): then a SIGHUP cannot kill it.
 */
static int
hup_safe(pid_t pid)
{
	char		 path[64], line[256];
	unsigned long	 mask, safe = 0;
	FILE		*f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "SigBlk: %lx", &mask) == 1 ||
		    sscanf(line, "SigCgt: %lx", &mask) == 1)
			safe |= mask;
	fclose(f);
	return (safe & (1UL << (SIGHUP - 1))) != 0;
}

/*
 * SIGHUP's default action is to die: one that lands while the daemon is
 * still starting (a script reloading right after start) must wait for
 * the handlers instead.
 */
START_TEST(sighup_during_startup)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[64];
	int		 ca, i;

	/* valgrind keeps the signal mask to itself: nothing to observe. */
	if (getenv("UDPROXY_WRAPPER") != NULL) {
		h_skip("sighup_during_startup: the signal mask is not "
		    "observable under a wrapper (valgrind)");
		mock_stop(m);
		return;
	}
	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", pa, m->port);
	d = daemon_start_nowait(dir, conf, NULL);
	/*
	 * From the moment main() has blocked HUP, signal it nonstop; the
	 * shell that execs it must not be hit, so wait for that moment.
	 */
	for (i = 0; i < 50000 && daemon_log_count(d, " started, ") == 0;
	    i++) {
		if (hup_safe(d->pid))
			daemon_signal(d, SIGHUP);
		usleep(100);
	}
	ck_assert_int_eq(daemon_wait_log(d, " started, ", 1, 5000), 0);
	ck_assert_int_eq(daemon_wait_exit(d, 100), -1);
	ca = client_open(AF_INET, pa);
	ck_assert_int_eq(client_rt_str(ca, "up", buf, sizeof(buf), 2000), 0);
	close(ca);
	stop(d);
	mock_stop(m);
}
END_TEST

/*
 * A file that takes long to load, written as a hostile user would (one
 * ~900 KB token, within the size limit) and read from a slow disk (the
 * shim makes each read(2) of a large file wait: udproxy parses such a
 * token in linear time, libconfig reading the file itself took 0.5 s).
 * The load runs in a thread, so a route keeps forwarding every datagram
 * with only small gaps while it goes on, and SIGTERM during such a reload
 * ends the daemon at once instead of after the load. slow_disk() comes
 * before the daemon starts: it inherits the environment.
 */
static void
write_slow_conf(uint16_t lp, uint16_t up)
{
	FILE	*f = fopen(conf, "w");
	int	 i;

	ck_assert_ptr_nonnull(f);
	fprintf(f, "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; },\n  { name = \"", lp, up);
	for (i = 0; i < 900 * 1024; i++)
		fputc('x', f);
	fprintf(f, "\"; listen = \"127.0.0.1:1\"; upstream = "
	    "\"127.0.0.1:2\"; } );\n");
	ck_assert_int_eq(fclose(f), 0);
}

static void
slow_disk(void)
{
	const char	*shim = getenv("UDPROXY_SHIM");
	char		 ms[32];

	ck_assert_msg(shim != NULL && access(shim, R_OK) == 0,
	    "UDPROXY_SHIM (tests/shim.so) is needed: run under make check");
	setenv("LD_PRELOAD", shim, 1);
	snprintf(ms, sizeof(ms), "%d", 500 * h_slow());
	setenv("SHIM_SLOW_READ", ms, 1);
	setenv("SHIM_SLOW_READ_MIN", "100000", 1);
	/* An ASan daemon must accept a library loaded before its runtime. */
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
}

START_TEST(slow_reload_keeps_forwarding)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET);
	struct daemon	*d;
	char		 msg[32], buf[512];
	int64_t		 t0, last, now, gap = 0, reload_ms, exit_ms;
	ssize_t		 n;
	int		 ca, seq = 0;

	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", pa, m->port);
	slow_disk();
	d = start();
	ca = client_open(AF_INET, pa);
	ck_assert_int_eq(client_rt_str(ca, "warm", buf, sizeof(buf), 2000),
	    0);
	write_slow_conf(pa, m->port);

	t0 = last = h_now_ms();
	daemon_signal(d, SIGHUP);
	while (daemon_log_count(d, "reload failed: ") == 0) {
		ck_assert_int_lt(h_now_ms() - t0, 30000LL * h_slow());
		snprintf(msg, sizeof(msg), "s%d", seq++);
		ck_assert_int_eq(send(ca, msg, strlen(msg), 0),
		    (ssize_t)strlen(msg));
		n = client_recv(ca, buf, sizeof(buf) - 1, 2000);
		ck_assert_int_eq(n, (ssize_t)strlen(msg));
		buf[n] = '\0';
		ck_assert_str_eq(buf, msg);
		now = h_now_ms();
		if (now - last > gap)
			gap = now - last;
		last = now;
		h_sleep_ms(2);
	}
	reload_ms = h_now_ms() - t0;
	snprintf(buf, sizeof(buf), "%s:2: route name", conf);
	ck_assert_int_eq(daemon_log_count(d, buf), 1);
	/* The parse was long enough to tell a stalled loop from a live one. */
	ck_assert_msg(reload_ms >= 150, "reload took only %lld ms",
	    (long long)reload_ms);
	ck_assert_msg(gap * 3 < reload_ms && gap < 100LL * h_slow(),
	    "forwarding stalled %lld ms during a %lld ms reload",
	    (long long)gap, (long long)reload_ms);
	ck_assert_int_gt(seq, 10);

	/* SIGTERM in the middle of the same parse: out long before its end. */
	daemon_signal(d, SIGHUP);
	ck_assert_int_eq(daemon_wait_log(d, "reloading ", 2, 5000), 0);
	t0 = h_now_ms();
	daemon_signal(d, SIGTERM);
	ck_assert_int_eq(daemon_wait_exit(d, 5000), 0);
	exit_ms = h_now_ms() - t0;
	ck_assert_msg(exit_ms * 2 < reload_ms, "exit took %lld ms, a reload "
	    "%lld ms", (long long)exit_ms, (long long)reload_ms);
	fprintf(stderr, "slow reload: %lld ms, %d datagrams, longest gap "
	    "%lld ms; SIGTERM during it: exit in %lld ms\n",
	    (long long)reload_ms, seq, (long long)gap, (long long)exit_ms);
	ck_assert_int_eq(daemon_log_count(d, "reload failed: "), 1);
	ck_assert_int_eq(daemon_log_count(d, "shutting down"), 2);
	close(ca);
	stop(d);
	mock_stop(m);
}
END_TEST

/* udproxy -t on a slow file ends at SIGTERM, not after the parse. */
START_TEST(check_mode_interruptible)
{
	struct daemon	*d;
	int64_t		 t0;

	write_slow_conf(h_free_port(AF_INET), 9);
	slow_disk();
	d = daemon_start_nowait(dir, conf, "-t");
	h_sleep_ms(100 * h_slow());
	t0 = h_now_ms();
	daemon_signal(d, SIGTERM);
	ck_assert_int_eq(daemon_wait_exit(d, 5000), 0);
	ck_assert_msg(WIFSIGNALED(d->status) && WTERMSIG(d->status) == SIGTERM,
	    "status %#x after %lld ms", d->status,
	    (long long)(h_now_ms() - t0));
	daemon_free(d);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("reload");
	TCase	*tc = tcase_create("reload");
	int	 failed;

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, steady_traffic_across_reloads);
	tcase_add_test(tc, add_and_remove_routes);
	tcase_add_test(tc, broken_file_keeps_old_config);
	tcase_add_test(tc, symlink_swap);
	tcase_add_test(tc, taken_port_refuses_reload);
	tcase_add_test(tc, repointed_upstream);
	tcase_add_test(tc, swapped_listeners);
	tcase_add_test(tc, rename_and_retune);
	tcase_add_test(tc, sighup_storm);
	tcase_add_test(tc, sigterm_during_sighup_burst);
	tcase_add_test(tc, log_level_follows_reload);
	tcase_add_test(tc, hundred_reloads);
	tcase_add_test(tc, sighup_during_startup);
	tcase_add_test(tc, slow_reload_keeps_forwarding);
	tcase_add_test(tc, check_mode_interruptible);
	suite_add_tcase(s, tc);
	failed = h_run_suite(s);
	return failed;
}
