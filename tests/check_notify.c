/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * sd_notify against the real daemon: a datagram socket made here stands
 * in for systemd's NOTIFY_SOCKET, and every message the daemon sends on
 * it is read and compared: READY=1 with MAINPID once it serves,
 * RELOADING=1 then READY=1 with the outcome around good and failed
 * reloads, STOPPING=1 at SIGTERM. Skipped (77) without libsystemd.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

static int
notify_open(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* The next message, as a string; fails the test after timeout_ms. */
static void
notify_next(int fd, char *buf, size_t len, int timeout_ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	ssize_t		n;

	ck_assert_msg(poll(&pfd, 1, timeout_ms * h_slow()) == 1,
	    "no notification within %d ms", timeout_ms);
	n = recv(fd, buf, len - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
}

START_TEST(notify_lifecycle)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	const char	*dir = h_tmpdir();
	uint16_t	 pa = h_free_port(AF_INET), pb = h_free_port(AF_INET);
	char		 conf[256], npath[100], buf[1024], want[1024];
	struct daemon	*d;
	int		 nfd;

	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	snprintf(npath, sizeof(npath), "%s/notify", dir);
	nfd = notify_open(npath);
	setenv("NOTIFY_SOCKET", npath, 1);
	h_write_file(conf, "routes = ( { name = \"a\"; listen = "
	    "\"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; } );\n", pa,
	    m->port);
	d = daemon_start(dir, conf, NULL);
	ck_assert_ptr_nonnull(d);
	unsetenv("NOTIFY_SOCKET");

	notify_next(nfd, buf, sizeof(buf), 5000);
	snprintf(want, sizeof(want), "READY=1\nMAINPID=%ld\nSTATUS=serving 1 "
	    "routes", (long)d->pid);
	ck_assert_str_eq(buf, want);

	h_write_file(conf, "routes = ( { name = \"a\"; listen = "
	    "\"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; },\n"
	    "{ name = \"b\"; listen = \"127.0.0.1:%u\"; upstream = "
	    "\"127.0.0.1:%u\"; } );\n", pa, m->port, pb, m->port);
	daemon_signal(d, SIGHUP);
	notify_next(nfd, buf, sizeof(buf), 5000);
	ck_assert_msg(strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0 &&
	    strstr(buf, "\nSTATUS=reloading") != NULL, "%s", buf);
	notify_next(nfd, buf, sizeof(buf), 5000);
	snprintf(want, sizeof(want), "READY=1\nSTATUS=reloaded %s: routes "
	    "1 added, 0 removed, 0 changed, 1 kept; sessions 0 kept, 0 closed",
	    conf);
	ck_assert_str_eq(buf, want);

	h_write_file(conf, "routes = (\n  { name = \"a\" } );\n");
	daemon_signal(d, SIGHUP);
	notify_next(nfd, buf, sizeof(buf), 5000);
	ck_assert_msg(strncmp(buf, "RELOADING=1\n", 12) == 0, "%s", buf);
	notify_next(nfd, buf, sizeof(buf), 5000);
	snprintf(want, sizeof(want), "READY=1\nSTATUS=reload failed: %s:2: ",
	    conf);
	ck_assert_msg(strncmp(buf, want, strlen(want)) == 0, "%s", buf);

	daemon_signal(d, SIGTERM);
	notify_next(nfd, buf, sizeof(buf), 5000);
	ck_assert_str_eq(buf, "STOPPING=1\nSTATUS=stopping");
	ck_assert_int_eq(daemon_wait_exit(d, 5000), 0);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	close(nfd);
	mock_stop(m);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("notify");
	TCase	*tc = tcase_create("notify");
	SRunner	*sr;
	int	 failed;

#ifndef HAVE_LIBSYSTEMD
	fprintf(stderr, "built without libsystemd: nothing to test\n");
	return 77;
#endif
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, notify_lifecycle);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
