/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * The control socket against the real daemon: udproxy -s and its exit
 * codes and messages, the socket's mode, bounds (silent clients, too many
 * clients, long lines), stale sockets, and a reload that moves it.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

static const char	*dir;
static char		 conf[256], sock[100];

static void	writeconf(const char *, ...) __attribute__((format(printf, 1, 2)));

static void
writeconf(const char *fmt, ...)
{
	char	text[8192];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	h_write_file(conf, "control = \"%s\";\n%s", sock, text);
}

static void
setup(void)
{
	dir = h_tmpdir();
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
}

static struct daemon *
start(void)
{
	struct daemon	*d = daemon_start(dir, conf, NULL);

	ck_assert_msg(d != NULL, "daemon did not start");
	return d;
}

static void
ctl(struct h_run *r, const char *cmd)
{
	h_run(r, dir, "-s", cmd, "-c", conf, (char *)NULL);
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Reads until EOF (or timeout_ms); returns the bytes read, -1 timeout. */
static ssize_t
read_all(int fd, char *buf, size_t len, int timeout_ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	size_t		off = 0;
	ssize_t		n;

	for (;;) {
		if (poll(&pfd, 1, timeout_ms * h_slow()) != 1)
			return -1;
		if ((n = read(fd, buf + off, len - 1 - off)) <= 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	return (ssize_t)off;
}

START_TEST(commands_and_outcomes)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET), pb = h_free_port(AF_INET);
	struct daemon	*d;
	struct h_run	 r;
	struct stat	 st;
	char		 want[1024], buf[256];
	int		 ca, cb;

	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", pa, m->port);
	d = start();
	ck_assert_int_eq(lstat(sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_uid, getuid());

	ctl(&r, "status");
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	snprintf(want, sizeof(want), "pid %ld\nversion %s\nuptime ",
	    (long)d->pid, PACKAGE_VERSION);
	ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0, "%s", r.out);
	snprintf(want, sizeof(want), "\nroutes 1\nworkers 1\nsessions 0\n"
	    "config %s\n"
	    "control %s\nreloading no\nupgrading no\n", conf, sock);
	ck_assert_msg(strstr(r.out, want) != NULL, "%s", r.out);
	ck_assert_str_eq(r.err, "");

	/* A good reload: exit 0 and its summary. */
	ca = client_open(AF_INET, pa);
	ck_assert_int_eq(client_rt_str(ca, "x", buf, sizeof(buf), 2000), 0);
	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; },\n { name = \"b\"; listen = "
	    "\"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; } );\n", pa,
	    m->port, pb, m->port);
	ctl(&r, "reload");
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	snprintf(want, sizeof(want), "reloaded %s: routes 1 added, "
	    "0 removed, 0 changed, 1 kept; sessions 1 kept, 0 closed\n",
	    conf);
	ck_assert_str_eq(r.out, want);
	ck_assert_str_eq(r.err, "");
	cb = client_open(AF_INET, pb);
	ck_assert_int_eq(client_rt_str(cb, "y", buf, sizeof(buf), 2000), 0);

	/* A syntax error: exit 1 and FILE:LINE: reason; nothing changed. */
	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\";\n"
	    "  upstream \"127.0.0.1:%u\"; } );\n", pa, m->port);
	ctl(&r, "reload");
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "udproxy: error: %s:3: syntax error\n",
	    conf);
	ck_assert_str_eq(r.err, want);
	ck_assert_str_eq(r.out, "");
	/* A semantic error. */
	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\";\n"
	    "  upstream = \"127.0.0.1:99999\"; } );\n", pa);
	ctl(&r, "reload");
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "udproxy: error: %s:3: route 'a': ", conf);
	ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "%s", r.err);
	ck_assert_int_eq(client_rt_str(ca, "z", buf, sizeof(buf), 2000), 0);
	ck_assert_int_eq(client_rt_str(cb, "w", buf, sizeof(buf), 2000), 0);
	ck_assert_int_eq(daemon_log_count(d, "reload failed: "), 2);

	/* stats: the lines SIGUSR1 logs. */
	ctl(&r, "stats");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strncmp(r.out, "stats: routes=2 sessions=2 "
	    "max_sessions=", 27) == 0, "%s", r.out);
	ck_assert_msg(strstr(r.out, " reloads=1 reload_failures=2\n") != NULL,
	    "%s", r.out);
	ck_assert_msg(strstr(r.out, "\nroute a: stats rx_datagrams=2 "
	    "rx_bytes=2 tx_datagrams=2 tx_bytes=2 sessions_active=1 ") != NULL,
	    "%s", r.out);
	ck_assert_msg(strstr(r.out, "\nroute b: stats rx_datagrams=2 ") !=
	    NULL, "%s", r.out);

	ctl(&r, "bogus");
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "udproxy: error: unknown command 'bogus'\n");
	ctl(&r, "Bad!");
	ck_assert_int_eq(r.status, 2);

	ctl(&r, "stop");
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "stopping\n");
	ck_assert_int_eq(daemon_wait_exit(d, 5000), 0);
	ck_assert(WIFEXITED(d->status) && WEXITSTATUS(d->status) == 0);
	ck_assert_int_eq(daemon_log_count(d, "stop requested on the control "
	    "socket"), 1);
	ck_assert_int_eq(lstat(sock, &st), -1);
	ctl(&r, "status");
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "udproxy: error: cannot connect to %s: ",
	    sock);
	ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "%s", r.err);
	close(ca);
	close(cb);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

/* Raw protocol: long lines, a line without newline, extra bytes. */
START_TEST(protocol_bounds)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET);
	struct daemon	*d;
	char		 buf[4096], line[600];
	int		 fd;

	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", pa, m->port);
	d = start();
	memset(line, 'a', sizeof(line));
	/* Too long, with and without its newline. */
	fd = unix_connect(sock);
	line[300] = '\n';
	ck_assert_int_eq(write(fd, line, 301), 301);
	ck_assert_int_gt(read_all(fd, buf, sizeof(buf), 3000), 0);
	ck_assert_str_eq(buf, "error command too long (at most 256 bytes)\n");
	close(fd);
	fd = unix_connect(sock);
	ck_assert_int_eq(write(fd, line, 290), 290);
	ck_assert_int_gt(read_all(fd, buf, sizeof(buf), 3000), 0);
	ck_assert_str_eq(buf, "error command too long (at most 256 bytes)\n");
	close(fd);
	/* A command cut by EOF still runs; one command a connection. */
	fd = unix_connect(sock);
	ck_assert_int_eq(write(fd, "status", 6), 6);
	shutdown(fd, SHUT_WR);
	ck_assert_int_gt(read_all(fd, buf, sizeof(buf), 3000), 0);
	ck_assert_msg(strncmp(buf, "ok\npid ", 7) == 0, "%s", buf);
	close(fd);
	fd = unix_connect(sock);
	ck_assert_int_eq(write(fd, "bogus\x1b[2J\nstop\n", 15), 15);
	ck_assert_int_gt(read_all(fd, buf, sizeof(buf), 3000), 0);
	ck_assert_str_eq(buf, "error unknown command 'bogus\\x1b[2J'\n");
	close(fd);
	ck_assert_int_eq(daemon_wait_exit(d, 200), -1);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

/*
 * A client that connects and never writes holds up nothing: forwarding
 * and other commands go on, and it is dropped after the read timeout.
 * Past the connection limit a client is told "busy" at once.
 */
START_TEST(silent_clients)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET);
	struct daemon	*d;
	struct h_run	 r;
	char		 buf[256];
	int		 silent[16], fd, ca, i;
	int64_t		 t0;

	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", pa, m->port);
	d = start();
	ca = client_open(AF_INET, pa);
	t0 = h_now_ms();
	fd = unix_connect(sock);
	ck_assert_int_eq(client_rt_str(ca, "a", buf, sizeof(buf), 1000), 0);
	ctl(&r, "status");
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(client_rt_str(ca, "b", buf, sizeof(buf), 1000), 0);
	/* Dropped after about 2 s, without a word. */
	ck_assert_int_eq(read_all(fd, buf, sizeof(buf), 10000), 0);
	ck_assert_int_ge(h_now_ms() - t0, 1500);
	close(fd);

	for (i = 0; i < 16; i++)
		silent[i] = unix_connect(sock);
	ck_assert_int_eq(client_rt_str(ca, "c", buf, sizeof(buf), 1000), 0);
	fd = unix_connect(sock);
	ck_assert_int_gt(read_all(fd, buf, sizeof(buf), 3000), 0);
	ck_assert_str_eq(buf, "error busy: too many control connections\n");
	close(fd);
	for (i = 0; i < 16; i++) {
		ck_assert_int_eq(read_all(silent[i], buf, sizeof(buf), 10000),
		    0);
		close(silent[i]);
	}
	ctl(&r, "status");
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(client_rt_str(ca, "d", buf, sizeof(buf), 1000), 0);
	close(ca);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

/*
 * A socket file left by a dead daemon is replaced; a live one (another
 * daemon's) or a file that is not a socket makes the start fail.
 */
START_TEST(stale_and_live_sockets)
{
	struct mock		*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t		 pa = h_free_port(AF_INET);
	struct sockaddr_un	 sun;
	struct daemon		*d;
	struct h_run		 r;
	char			 want[512], conf2[300];
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);		/* the file stays: a stale socket */

	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", pa, m->port);
	d = start();
	ck_assert_int_eq(daemon_log_count(d, "removing the stale socket"), 1);
	ctl(&r, "status");
	ck_assert_int_eq(r.status, 0);

	/* A second daemon on the same socket (another port) refuses. */
	snprintf(conf2, sizeof(conf2), "%s/two.conf", dir);
	h_write_file(conf2, "control = \"%s\";\nroutes = ( { name = \"a\"; "
	    "listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; } );\n",
	    sock, h_free_port(AF_INET), m->port);
	h_run(&r, dir, "-f", "-c", conf2, (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "control socket %s: in use by another "
	    "process", sock);
	ck_assert_msg(strstr(r.err, want) != NULL, "%s", r.err);
	ctl(&r, "status");
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);

	/* Not a socket: left alone. */
	h_write_file(sock, "precious\n");
	h_run(&r, dir, "-f", "-c", conf, (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "control socket %s: exists and is not "
	    "a socket", sock);
	ck_assert_msg(strstr(r.err, want) != NULL, "%s", r.err);
	h_run(&r, dir, "-s", "status", "-c", conf, (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_int_eq(unlink(sock), 0);
	mock_stop(m);
}
END_TEST

/* A reload that names another path moves the socket there. */
START_TEST(reload_moves_socket)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET);
	struct daemon	*d;
	struct h_run	 r;
	struct stat	 st;
	char		 old[100];

	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", pa, m->port);
	d = start();
	snprintf(old, sizeof(old), "%s", sock);
	snprintf(sock, sizeof(sock), "%s/moved.sock", dir);
	writeconf("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", pa, m->port);
	/* The client finds the new path in the file; the old one answers. */
	h_write_file(conf, "control = \"%s\";\nroutes = ( { name = \"a\"; "
	    "listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; } );\n",
	    sock, pa, m->port);
	ck_assert_int_eq(daemon_reload(d), 0);
	ck_assert_int_eq(lstat(old, &st), -1);
	ck_assert_int_eq(lstat(sock, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ctl(&r, "status");
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(daemon_stop(d), 0);
	ck_assert_int_eq(lstat(sock, &st), -1);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("control");
	TCase	*tc = tcase_create("control");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, commands_and_outcomes);
	tcase_add_test(tc, protocol_bounds);
	tcase_add_test(tc, silent_clients);
	tcase_add_test(tc, stale_and_live_sockets);
	tcase_add_test(tc, reload_moves_socket);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
