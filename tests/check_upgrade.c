/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Binary upgrades against the real daemon. The daemon runs from a copy
 * of the binary in the test's directory; the "new binary" installed over
 * it is tests/udproxy-next, the same sources built with the version
 * string 0.1.0+next, so which process answers is visible. A client keeps
 * streaming (one datagram every 5 ms) through the upgrade: none may be
 * lost and the upstream must see the same source port. Broken binaries
 * and broken configurations roll back to the old daemon, which says why.
 * The test process is a child subreaper, so the new daemon (the old one's
 * child) comes back to it and is ended here, by pid.
 */
#include "autoconf.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static const char	*dir;
static char		 conf[256], sock[100], pidf[256], bin[256];

static void
setup(void)
{
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	dir = h_tmpdir();
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	snprintf(pidf, sizeof(pidf), "%s/udproxy.pid", dir);
	snprintf(bin, sizeof(bin), "%s/udproxy", dir);
}

/* Installs src at the daemon's path the way install(1) does: rename. */
static void
install_bin(const char *src)
{
	char	tmp[300], buf[65536];
	ssize_t	n;
	int	in, out;

	snprintf(tmp, sizeof(tmp), "%s.new", bin);
	ck_assert_int_ge(in = open(src, O_RDONLY), 0);
	ck_assert_int_ge(out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0755),
	    0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
	close(in);
	ck_assert_int_eq(close(out), 0);
	ck_assert_int_eq(rename(tmp, bin), 0);
}

static const char *
next_bin(void)
{
	const char	*p = getenv("UDPROXY_NEXT");

	ck_assert_msg(p != NULL && access(p, X_OK) == 0,
	    "UDPROXY_NEXT (tests/udproxy-next) is needed: run under make "
	    "check");
	return p;
}

static void
writeconf(uint16_t lp, uint16_t up, const char *extra)
{
	h_write_file(conf, "control = \"%s\";\npidfile = \"%s\";\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n%s", sock, pidf, lp, up,
	    extra != NULL ? extra : "");
}

static long
pidfile_pid(void)
{
	FILE	*f = fopen(pidf, "r");
	long	 pid = -1;

	if (f != NULL) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

/* A datagram socket standing in for systemd's NOTIFY_SOCKET. */
static int
notify_open(void)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/notify", dir);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setenv("NOTIFY_SOCKET", sun.sun_path, 1);
	return fd;
}

#ifdef HAVE_LIBSYSTEMD
static void
notify_next(int fd, char *buf, size_t len)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	ssize_t		n;

	ck_assert_int_eq(poll(&pfd, 1, 5000 * h_slow()), 1);
	n = recv(fd, buf, len - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
}
#endif

static struct daemon *
start(void)
{
	struct daemon	*d;

	install_bin(getenv("UDPROXY_BIN"));
	/* The daemon runs from its copy: that is the path it upgrades. */
	setenv("UDPROXY_BIN_ORIG", getenv("UDPROXY_BIN"), 0);
	setenv("UDPROXY_BIN", bin, 1);
	d = daemon_start(dir, conf, NULL);
	setenv("UDPROXY_BIN", getenv("UDPROXY_BIN_ORIG"), 1);
	ck_assert_msg(d != NULL, "daemon did not start");
	return d;
}

static void
ctl(struct h_run *r, const char *cmd)
{
	h_run(r, dir, "-s", cmd, "-c", conf, (char *)NULL);
}

static unsigned int
rt_port(int fd, const char *msg)
{
	char		 buf[256], t[32], p[128];
	unsigned int	 port = 0;

	ck_assert_int_eq(client_rt_str(fd, msg, buf, sizeof(buf), 3000), 0);
	ck_assert_int_eq(sscanf(buf, "%31s %u %127s", t, &port, p), 3);
	ck_assert_str_eq(p, msg);
	return port;
}

/* The sessions worker k holds, from the control socket's status, or -1. */
static long
worker_sessions(int k)
{
	struct h_run	 r;
	char		 key[40], *p;

	ctl(&r, "status");
	ck_assert_msg(r.status == 0, "%s", r.err);
	snprintf(key, sizeof(key), "\nworker %d sessions ", k);
	if ((p = strstr(r.out, key)) == NULL)
		return -1;
	return strtol(p + strlen(key), NULL, 10);
}

/* Waits (bounded) for a process that is our child (or orphan) to end. */
static void
reap(long pid)
{
	ck_assert_msg(h_reap((pid_t)pid, 5000) != -1, "pid %ld did not exit",
	    pid);
}

/* daemon_wait_log stops when its process exits; the log goes on. */
static int
wait_log(struct daemon *d, const char *needle, int count)
{
	int64_t	deadline = h_now_ms() + 10000LL * h_slow();

	while (daemon_log_count(d, needle) < count)
		if (h_now_ms() > deadline)
			return -1;
		else
			h_sleep_ms(5);
	return 0;
}

#define STREAM_MAX	2000

/*
 * A child that sends "sN" every 5 ms on fd until told to stop (a byte on
 * ctl), reads the replies, and reports on out: sent, received, how many
 * replies came from another upstream port than port, and the longest gap.
 */
static pid_t
streamer(int fd, unsigned int port, int ctlfd, int out)
{
	char		 msg[32], buf[256], t[32], p[128], rep[128];
	unsigned int	 got_port;
	int		 sent = 0, recvd = 0, other = 0, stop = 0, n;
	int64_t		 last = 0, gap = 0, now, until = 0, next;
	struct pollfd	 pfd[2];
	pid_t		 pid;

	if ((pid = fork()) != 0)
		return pid;
	next = h_now_ms();
	for (;;) {
		now = h_now_ms();
		if (!stop && sent < STREAM_MAX && now >= next) {
			snprintf(msg, sizeof(msg), "s%d", sent);
			if (send(fd, msg, strlen(msg), 0) > 0)
				sent++;
			next += 5;
		}
		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = ctlfd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, next > h_now_ms() ? (int)(next - h_now_ms()) :
		    0) > 0) {
			if (pfd[1].revents & (POLLIN | POLLHUP)) {
				stop = 1;
				until = h_now_ms() + 3000LL * h_slow();
				pfd[1].fd = -1;
				ctlfd = -1;
			}
			while ((n = (int)recv(fd, buf, sizeof(buf) - 1,
			    MSG_DONTWAIT)) > 0) {
				buf[n] = '\0';
				recvd++;
				if (sscanf(buf, "%31s %u %127s", t, &got_port,
				    p) != 3 || got_port != port)
					other++;
				now = h_now_ms();
				if (last != 0 && now - last > gap)
					gap = now - last;
				last = now;
			}
		}
		if (stop && (recvd >= sent || h_now_ms() > until))
			break;
	}
	n = snprintf(rep, sizeof(rep), "%d %d %d %lld", sent, recvd, other,
	    (long long)gap);
	if (write(out, rep, (size_t)n) != n)
		_exit(2);
	_exit(0);
}

START_TEST(upgrade_keeps_sessions)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PEER, "u");
	uint16_t	 pa = h_free_port(AF_INET);
	struct daemon	*d;
	struct h_run	 r;
	char		 want[256], rep[256];
	unsigned int	 port;
	int		 ca, cp[2], op[2], sent, recvd, other, status;
	long long	 gap;
	long		 newpid, newer;
	pid_t		 sp;
	ssize_t		 n;
	int		 nfd, lines;
	char		 alog[300];
	FILE		*f;

	snprintf(alog, sizeof(alog), "access_log = \"%s/access.log\";\n", dir);
	writeconf(pa, m->port, alog);
	nfd = notify_open();
	d = start();
	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_eq(pidfile_pid(), d->pid);
	ca = client_open(AF_INET, pa);
	port = rt_port(ca, "hello");

	ck_assert_int_eq(pipe(cp), 0);
	ck_assert_int_eq(pipe(op), 0);
	sp = streamer(ca, port, cp[0], op[1]);
	h_sleep_ms(200);
	install_bin(next_bin());
	ctl(&r, "upgrade");
	h_sleep_ms(200);
	ck_assert_int_eq(write(cp[1], "x", 1), 1);
	n = read(op[0], rep, sizeof(rep) - 1);
	ck_assert_int_gt(n, 0);
	rep[n] = '\0';
	ck_assert_int_eq(waitpid(sp, &status, 0), sp);
	ck_assert_int_eq(sscanf(rep, "%d %d %d %lld", &sent, &recvd, &other,
	    &gap), 4);
	fprintf(stderr, "upgrade under a 5 ms stream: %d sent, %d received, "
	    "%d from another port, longest gap %lld ms\n", sent, recvd, other,
	    gap);

	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_int_eq(sscanf(r.out, "upgraded to pid %ld", &newpid), 1);
	snprintf(want, sizeof(want), "upgraded to pid %ld (udproxy %s+next)\n",
	    newpid, PACKAGE_VERSION);
	ck_assert_str_eq(r.out, want);
	ck_assert_int_ne(newpid, d->pid);
	ck_assert_int_gt(sent, 40);
	ck_assert_int_eq(recvd, sent);		/* 0 lost */
	ck_assert_int_eq(other, 0);		/* same upstream source port */
	/* The old process is gone, the pidfile names the new one. */
	ck_assert_int_eq(daemon_wait_exit(d, 5000), 0);
	ck_assert(WIFEXITED(d->status) && WEXITSTATUS(d->status) == 0);
	ck_assert_int_eq(pidfile_pid(), newpid);
	ctl(&r, "status");
	ck_assert_int_eq(r.status, 0);
	snprintf(want, sizeof(want), "pid %ld\nversion %s+next\n", newpid,
	    PACKAGE_VERSION);
	ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0, "%s", r.out);
	ck_assert_msg(strstr(r.out, "\nsessions 1\n") != NULL, "%s", r.out);
	ck_assert_uint_eq(rt_port(ca, "after"), port);
	ck_assert_int_eq(daemon_log_count(d, "taking over: 1 routes, "
	    "sessions 1 kept, 0 closed"), 1);
#ifdef HAVE_LIBSYSTEMD
	/* systemd learns the new main pid from the old process. */
	notify_next(nfd, rep, sizeof(rep));
	snprintf(want, sizeof(want), "READY=1\nMAINPID=%ld\nSTATUS=serving 1 "
	    "routes", (long)d->pid);
	ck_assert_str_eq(rep, want);
	notify_next(nfd, rep, sizeof(rep));
	snprintf(want, sizeof(want), "READY=1\nMAINPID=%ld\nSTATUS=upgraded: "
	    "pid %ld serves now", newpid, newpid);
	ck_assert_str_eq(rep, want);
#endif
	close(nfd);

	/* Again, by SIGUSR2, to the same binary. */
	kill((pid_t)newpid, SIGUSR2);
	ck_assert_int_eq(wait_log(d, "; exiting", 2), 0);
	reap(newpid);
	newer = pidfile_pid();
	ck_assert_int_gt(newer, 0);
	ck_assert_int_ne(newer, newpid);
	ck_assert_int_eq(kill((pid_t)newer, 0), 0);
	ck_assert_uint_eq(rt_port(ca, "again"), port);
	ctl(&r, "stats");
	ck_assert_int_eq(r.status, 0);
	/* Counters came along: 1 + stream + 2 datagrams. */
	snprintf(want, sizeof(want), "route a: stats rx_datagrams=%d ",
	    sent + 3);
	ck_assert_msg(strstr(r.out, want) != NULL, "want %s in %s", want,
	    r.out);

	kill((pid_t)newer, SIGTERM);
	reap(newer);
	/* One session, one end: the old processes logged none. */
	snprintf(alog, sizeof(alog), "%s/access.log", dir);
	ck_assert_ptr_nonnull(f = fopen(alog, "r"));
	for (lines = 0; fgets(want, sizeof(want), f) != NULL; lines++)
		ck_assert_msg(strstr(want, "shutdown") != NULL, "%s", want);
	fclose(f);
	ck_assert_int_eq(lines, 1);
	ck_assert_int_eq(access(pidf, F_OK), -1);
	ck_assert_int_eq(access(sock, F_OK), -1);
	close(ca);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

/* per_client.sessions counts the sessions an upgrade handed over. */
START_TEST(upgrade_keeps_client_counts)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET);
	struct daemon	*d;
	struct h_run	 r;
	char		 buf[64];
	long		 newpid;
	int		 a, b, c;

	writeconf(pa, m->port, "per_client = { sessions = 1; };\n");
	d = start();
	a = client_open_from("127.0.0.2", "127.0.0.1", pa);
	b = client_open_from("127.0.0.2", "127.0.0.1", pa);
	c = client_open_from("127.0.0.3", "127.0.0.1", pa);
	ck_assert(a != -1 && b != -1 && c != -1);
	ck_assert_int_eq(client_rt_str(a, "one", buf, sizeof(buf), 3000), 0);
	install_bin(next_bin());
	ctl(&r, "upgrade");
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_int_eq(sscanf(r.out, "upgraded to pid %ld", &newpid), 1);
	ck_assert_int_eq(daemon_wait_exit(d, 5000), 0);
	/* 127.0.0.2 still holds its one session: a second is refused. */
	ck_assert_int_eq(send(b, "two", 3, 0), 3);
	ck_assert_int_eq(client_recv(b, buf, sizeof(buf), 300), -1);
	ck_assert_int_eq(client_rt_str(a, "one again", buf, sizeof(buf),
	    3000), 0);
	ck_assert_int_eq(client_rt_str(c, "three", buf, sizeof(buf), 3000),
	    0);
	kill((pid_t)newpid, SIGTERM);
	reap(newpid);
	close(a);
	close(b);
	close(c);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

/* Each failure leaves the old daemon serving, and says why. */
START_TEST(upgrade_rollback)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PEER, "u");
	uint16_t	 pa = h_free_port(AF_INET);
	struct daemon	*d;
	struct h_run	 r;
	char		 want[512], script[300];
	unsigned int	 port;
	long		 newpid;
	int		 ca;

	writeconf(pa, m->port, NULL);
	d = start();
	ca = client_open(AF_INET, pa);
	port = rt_port(ca, "hello");

	/* A binary that fails to start. */
	snprintf(script, sizeof(script), "%s/broken", dir);
	h_write_file(script, "#!/bin/sh\necho broken binary >&2\nexit 3\n");
	ck_assert_int_eq(chmod(script, 0755), 0);
	install_bin(script);
	ctl(&r, "upgrade");
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "udproxy: error: the new process exited with "
	    "status 3 before it was ready\n");
	ck_assert_uint_eq(rt_port(ca, "after-broken"), port);
	ck_assert_int_eq(pidfile_pid(), d->pid);

	/* No binary at all. */
	ck_assert_int_eq(unlink(bin), 0);
	ctl(&r, "upgrade");
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "udproxy: error: new process: cannot run "
	    "%s: No such file or directory\n", bin);
	ck_assert_str_eq(r.err, want);
	ck_assert_uint_eq(rt_port(ca, "after-missing"), port);

	/* A good binary, a configuration it refuses. */
	install_bin(next_bin());
	writeconf(pa, m->port, "bogus = 1;\n");
	ctl(&r, "upgrade");
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "udproxy: error: new process: %s:4: "
	    "unknown setting 'bogus'\n", conf);
	ck_assert_str_eq(r.err, want);
	ck_assert_uint_eq(rt_port(ca, "after-badconf"), port);
	ck_assert_int_eq(pidfile_pid(), d->pid);
	ctl(&r, "status");
	snprintf(want, sizeof(want), "pid %ld\nversion %s\n", (long)d->pid,
	    PACKAGE_VERSION);
	ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0, "%s", r.out);
	ck_assert_int_eq(daemon_log_count(d, "upgrade failed: "), 3);

	/* Fixed: the upgrade goes through and the session is still there. */
	writeconf(pa, m->port, NULL);
	ctl(&r, "upgrade");
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_int_eq(sscanf(r.out, "upgraded to pid %ld", &newpid), 1);
	ck_assert_int_eq(daemon_wait_exit(d, 5000), 0);
	ck_assert_uint_eq(rt_port(ca, "after-fix"), port);
	kill((pid_t)newpid, SIGTERM);
	reap(newpid);
	close(ca);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

/*
 * A "new binary" that starts and never reports ready: a script that
 * writes its pid (kept across exec) to hung.pid and sleeps.
 */
static void
install_hung(void)
{
	char	script[300];

	snprintf(script, sizeof(script), "%s/hung", dir);
	h_write_file(script, "#!/bin/sh\necho $$ >'%s/hung.pid'\n"
	    "exec sleep 120\n", dir);
	ck_assert_int_eq(chmod(script, 0755), 0);
	install_bin(script);
}

/* The hung new process is gone: killed and reaped, not a zombie. */
static void
assert_hung_gone(void)
{
	char	path[300];
	FILE	*f;
	long	 pid = -1;

	snprintf(path, sizeof(path), "%s/hung.pid", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_int_eq(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	ck_assert_int_gt(pid, 1);
	/* A zombie still answers kill(pid, 0): only a reaped one is ESRCH. */
	errno = 0;
	ck_assert_int_eq(kill((pid_t)pid, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
}

/*
 * A new binary that never reports ready is killed at upgrade_timeout;
 * the old daemon serves on without a loss and keeps the pidfile.
 */
START_TEST(upgrade_timeout_hung)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PEER, "u");
	uint16_t	 pa = h_free_port(AF_INET);
	struct daemon	*d;
	struct h_run	 r;
	char		 want[512], rep[256];
	unsigned int	 port;
	int		 ca, cp[2], op[2], sent, recvd, other, status;
	long long	 gap;
	int64_t		 t0, took;
	pid_t		 sp;
	ssize_t		 n;

	writeconf(pa, m->port, "upgrade_timeout = 1;\n");
	d = start();
	ca = client_open(AF_INET, pa);
	port = rt_port(ca, "hello");

	ck_assert_int_eq(pipe(cp), 0);
	ck_assert_int_eq(pipe(op), 0);
	sp = streamer(ca, port, cp[0], op[1]);
	h_sleep_ms(200);
	install_hung();
	t0 = h_now_ms();
	ctl(&r, "upgrade");
	took = h_now_ms() - t0;
	h_sleep_ms(200);
	ck_assert_int_eq(write(cp[1], "x", 1), 1);
	n = read(op[0], rep, sizeof(rep) - 1);
	ck_assert_int_gt(n, 0);
	rep[n] = '\0';
	ck_assert_int_eq(waitpid(sp, &status, 0), sp);
	ck_assert_int_eq(sscanf(rep, "%d %d %d %lld", &sent, &recvd, &other,
	    &gap), 4);
	fprintf(stderr, "hung new binary, upgrade_timeout 1 s: refused after "
	    "%lld ms; %d sent, %d received, %d from another port, longest "
	    "gap %lld ms\n", (long long)took, sent, recvd, other, gap);

	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "udproxy: error: the new process was not "
	    "ready within 1000 ms (upgrade_timeout)\n");
	ck_assert_msg(took >= 1000 && took < 1000 + 5000LL * h_slow(),
	    "answered after %lld ms", (long long)took);
	ck_assert_int_gt(sent, 100);
	ck_assert_int_eq(recvd, sent);		/* 0 lost */
	ck_assert_int_eq(other, 0);		/* same upstream source port */
	assert_hung_gone();
	ck_assert_int_eq(pidfile_pid(), d->pid);
	ck_assert_int_eq(kill(d->pid, 0), 0);
	ck_assert_int_eq(daemon_log_count(d, "upgrade failed: the new process "
	    "was not ready within 1000 ms (upgrade_timeout)"), 1);
	ctl(&r, "status");
	ck_assert_int_eq(r.status, 0);
	snprintf(want, sizeof(want), "pid %ld\nversion %s\n", (long)d->pid,
	    PACKAGE_VERSION);
	ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0, "%s", r.out);
	ck_assert_msg(strstr(r.out, "\nupgrading no\n") != NULL, "%s", r.out);
	ck_assert_uint_eq(rt_port(ca, "after"), port);
	ck_assert_int_eq(daemon_stop(d), 0);
	ck_assert_int_eq(access(pidf, F_OK), -1);
	close(ca);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

/*
 * The new process takes every socket over and then never reports ready
 * (the shim hangs it at its ready message): at upgrade_timeout the old
 * process kills it, takes its sockets back and serves on. Datagrams sent
 * meanwhile waited in the kernel's queues: none is lost, each session
 * keeps its upstream port, and the control socket answers again. With
 * one worker and with two (their threads are paused for the hand-over and
 * must be resumed).
 */
START_TEST(upgrade_rollback_after_handover)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PEER, "u");
	uint16_t	 pa = h_free_port(AF_INET);
	const char	*shim = getenv("UDPROXY_SHIM");
	struct daemon	*d;
	struct h_run	 r;
	char		 want[512], rep[256], hung[300], extra[64];
	unsigned int	 port, portb, xport[64];
	int		 ca, cb, cp[2], op[2], sent, recvd, other, status;
	int		 ms = h_slow() > 1 ? 1000 : 500, cx[64], nx, k;
	long		 w1 = -1;
	long long	 gap;
	pid_t		 sp;
	ssize_t		 n;

	/*
	 * Long enough for a slow (valgrind) old process to hand over, short
	 * enough for the datagrams of the stream to wait in the kernel's
	 * buffers (the socket of the session's upstream takes the burst of
	 * replies after the rollback).
	 */
	ck_assert_msg(shim != NULL && access(shim, R_OK) == 0,
	    "UDPROXY_SHIM (tests/shim.so) is needed: run under make check");
	snprintf(hung, sizeof(hung), "%s/hung.pid", dir);
	snprintf(extra, sizeof(extra), "workers = %d;\nupgrade_timeout = "
	    "%d.%03d;\n", 1 + _i, ms / 1000, ms % 1000);
	writeconf(pa, m->port, extra);
	setenv("LD_PRELOAD", shim, 1);
	setenv("SHIM_UPGRADE_HANG", hung, 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
	d = start();
	unsetenv("LD_PRELOAD");
	unsetenv("SHIM_UPGRADE_HANG");
	ca = client_open(AF_INET, pa);
	cb = client_open(AF_INET, pa);
	port = rt_port(ca, "hello");
	portb = rt_port(cb, "hello-b");
	ck_assert_uint_ne(port, portb);
	/*
	 * With two workers, more clients until one is on worker 1 (the
	 * kernel's hash may put the first two on worker 0): the rollback
	 * must resume worker 1's thread and re-arm its sessions too.
	 */
	for (nx = 0; _i == 1 && (w1 = worker_sessions(1)) == 0 &&
	    nx < (int)nitems(cx); nx++) {
		cx[nx] = client_open(AF_INET, pa);
		ck_assert_int_ge(cx[nx], 0);
		xport[nx] = rt_port(cx[nx], "hello-x");
	}
	if (_i == 1)
		ck_assert_int_gt(w1, 0);

	ck_assert_int_eq(pipe(cp), 0);
	ck_assert_int_eq(pipe(op), 0);
	sp = streamer(ca, port, cp[0], op[1]);
	h_sleep_ms(200);
	install_bin(next_bin());
	ctl(&r, "upgrade");
	h_sleep_ms(200);
	ck_assert_int_eq(write(cp[1], "x", 1), 1);
	n = read(op[0], rep, sizeof(rep) - 1);
	ck_assert_int_gt(n, 0);
	rep[n] = '\0';
	ck_assert_int_eq(waitpid(sp, &status, 0), sp);
	ck_assert_int_eq(sscanf(rep, "%d %d %d %lld", &sent, &recvd, &other,
	    &gap), 4);
	fprintf(stderr, "new process hung after the hand-over, %d workers "
	    "(%d clients more for one on worker 1), upgrade_timeout %d ms: "
	    "%d sent, %d received, %d from another port, longest gap %lld "
	    "ms\n", 1 + _i, nx, ms, sent, recvd, other, gap);

	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "udproxy: error: the new process was not "
	    "ready within %d ms (upgrade_timeout)\n", ms);
	ck_assert_str_eq(r.err, want);
	ck_assert_int_gt(sent, 100);
	ck_assert_int_eq(recvd, sent);		/* 0 lost */
	ck_assert_int_eq(other, 0);		/* same upstream source port */
	/* The hand-over happened: nothing was read until the rollback. */
	ck_assert_msg(gap >= ms - 50, "longest gap %lld ms", gap);
	assert_hung_gone();	/* the shim wrote its pid to hung.pid */
	ck_assert_int_eq(pidfile_pid(), d->pid);
	ck_assert_int_eq(kill(d->pid, 0), 0);
	ctl(&r, "status");
	ck_assert_int_eq(r.status, 0);
	snprintf(want, sizeof(want), "pid %ld\nversion %s\n", (long)d->pid,
	    PACKAGE_VERSION);
	ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0, "%s", r.out);
	snprintf(want, sizeof(want), "\nsessions %d\n", 2 + nx);
	ck_assert_msg(strstr(r.out, want) != NULL, "%s", r.out);
	ck_assert_msg(strstr(r.out, "\nupgrading no\n") != NULL, "%s", r.out);
	ck_assert_uint_eq(rt_port(cb, "b-after"), portb);
	ck_assert_uint_eq(rt_port(ca, "after"), port);
	for (k = 0; k < nx; k++)
		ck_assert_uint_eq(rt_port(cx[k], "x-after"), xport[k]);
	if (_i == 1)
		ck_assert_int_eq(worker_sessions(1), w1);
	ck_assert_int_eq(daemon_stop(d), 0);
	close(ca);
	close(cb);
	for (k = 0; k < nx; k++)
		close(cx[k]);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

/*
 * A reload asked for while an upgrade waits for its new process is
 * refused, on the control socket and by SIGHUP, and says why; once the
 * upgrade has failed, reloads work again.
 */
START_TEST(reload_during_upgrade)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PEER, "u");
	uint16_t	 pa = h_free_port(AF_INET);
	struct daemon	*d;
	struct h_run	 r;
	char		 extra[64], want[512];
	unsigned int	 port;
	int		 ca, ms = 3000 * h_slow();

	if (ms > 300000)
		ms = 300000;
	snprintf(extra, sizeof(extra), "upgrade_timeout = %d.%03d;\n",
	    ms / 1000, ms % 1000);
	writeconf(pa, m->port, extra);
	d = start();
	ca = client_open(AF_INET, pa);
	port = rt_port(ca, "hello");
	install_hung();
	daemon_signal(d, SIGUSR2);
	ck_assert_int_eq(daemon_wait_log(d, "upgrading: starting ", 1, 5000),
	    0);

	ctl(&r, "reload");
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "udproxy: error: an upgrade is in progress; "
	    "try again when it is done\n");
	ctl(&r, "status");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "\nreloading no\nupgrading yes\n") !=
	    NULL, "%s", r.out);
	daemon_signal(d, SIGHUP);
	ck_assert_int_eq(daemon_wait_log(d, "reload failed: an upgrade is in "
	    "progress; try again when it is done", 2, 5000), 0);
	ck_assert_uint_eq(rt_port(ca, "during"), port);

	snprintf(want, sizeof(want), "upgrade failed: the new process was not "
	    "ready within %d ms (upgrade_timeout)", ms);
	ck_assert_int_eq(daemon_wait_log(d, want, 1, ms + 5000), 0);
	assert_hung_gone();
	ck_assert_int_eq(pidfile_pid(), d->pid);
	ctl(&r, "reload");
	ck_assert_msg(r.status == 0, "%s", r.err);
	snprintf(want, sizeof(want), "reloaded %s: ", conf);
	ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0, "%s", r.out);
	ck_assert_uint_eq(rt_port(ca, "after"), port);
	ck_assert_int_eq(daemon_log_count(d, "reload failed: "), 2);
	ck_assert_int_eq(daemon_stop(d), 0);
	close(ca);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

/*
 * An upgrade asked for while a reload runs is refused with its reason;
 * the reload completes, and an upgrade after it goes through. The reload
 * is slowed by the shim (each read of the large file waits, as on a slow
 * disk); only the daemon gets the shim, not the control client.
 */
START_TEST(upgrade_during_reload)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PEER, "u");
	uint16_t	 pa = h_free_port(AF_INET);
	const char	*shim = getenv("UDPROXY_SHIM");
	struct daemon	*d;
	struct h_run	 r;
	char		 ms[32], want[512], *pad;
	unsigned int	 port;
	long		 newpid;
	int		 ca;

	ck_assert_msg(shim != NULL && access(shim, R_OK) == 0,
	    "UDPROXY_SHIM (tests/shim.so) is needed: run under make check");
	writeconf(pa, m->port, NULL);
	setenv("LD_PRELOAD", shim, 1);
	snprintf(ms, sizeof(ms), "%d", 1000 * h_slow());
	setenv("SHIM_SLOW_READ", ms, 1);
	setenv("SHIM_SLOW_READ_MIN", "100000", 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
	d = start();
	unsetenv("LD_PRELOAD");
	unsetenv("SHIM_SLOW_READ");
	ca = client_open(AF_INET, pa);
	port = rt_port(ca, "hello");

	/* The same configuration, made large by a comment. */
	pad = malloc(200 * 1024 + 1);
	ck_assert_ptr_nonnull(pad);
	memset(pad, 'x', 200 * 1024);
	pad[200 * 1024] = '\0';
	writeconf(pa, m->port, NULL);
	h_write_file(conf, "control = \"%s\";\npidfile = \"%s\";\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n# %s\n", sock, pidf, pa,
	    m->port, pad);
	free(pad);
	daemon_signal(d, SIGHUP);
	ck_assert_int_eq(daemon_wait_log(d, "reloading ", 1, 5000), 0);
	ctl(&r, "upgrade");
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "udproxy: error: a reload is in progress; "
	    "try again when it is done\n");
	ck_assert_int_eq(daemon_log_count(d, ": reloaded "), 0);
	ck_assert_int_eq(daemon_log_count(d, "upgrade refused: a reload is in "
	    "progress; try again when it is done"), 1);
	ck_assert_int_eq(daemon_log_count(d, "upgrading: starting"), 0);
	ck_assert_int_eq(daemon_wait_log(d, ": reloaded ", 1, 10000), 0);
	ck_assert_int_eq(daemon_log_count(d, "reload failed: "), 0);
	ck_assert_uint_eq(rt_port(ca, "reloaded"), port);

	/* Small again: the new process (with the shim) reads it at once. */
	writeconf(pa, m->port, NULL);
	install_bin(next_bin());
	ctl(&r, "upgrade");
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_int_eq(sscanf(r.out, "upgraded to pid %ld", &newpid), 1);
	ck_assert_int_eq(daemon_wait_exit(d, 5000), 0);
	ck_assert_int_eq(pidfile_pid(), newpid);
	ck_assert_uint_eq(rt_port(ca, "upgraded"), port);
	snprintf(want, sizeof(want), "pid %ld\nversion %s+next\n", newpid,
	    PACKAGE_VERSION);
	ctl(&r, "status");
	ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0, "%s", r.out);
	kill((pid_t)newpid, SIGTERM);
	reap(newpid);
	close(ca);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("upgrade");
	TCase	*tc = tcase_create("upgrade");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 90);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, upgrade_keeps_sessions);
	tcase_add_test(tc, upgrade_keeps_client_counts);
	tcase_add_test(tc, upgrade_rollback);
	tcase_add_test(tc, upgrade_timeout_hung);
	tcase_add_loop_test(tc, upgrade_rollback_after_handover, 0, 2);
	tcase_add_test(tc, reload_during_upgrade);
	tcase_add_test(tc, upgrade_during_reload);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
