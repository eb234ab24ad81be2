/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * udproxy as a system daemon: the fork that returns only once the daemon
 * serves, the locked pidfile, failed starts that leave nothing behind, the
 * command line, the privilege drop that keeps CAP_NET_BIND_SERVICE, the
 * descriptor limit and the session caps derived from it.
 *
 * Daemonized processes are not children of the test, so each test (and
 * main) is a child subreaper: orphans come back to us, we can wait for
 * them, and main kills whatever a failed test left behind, by pid.
 */
#include "autoconf.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define RUN_MAXARGS	16
#define CAP_BIND_MASK	0x400ULL	/* 1 << CAP_NET_BIND_SERVICE */

/* One run of the binary without -f: how it exited and what it printed. */
struct run {
	pid_t	 pid;		/* launcher: the daemon's parent */
	int	 status;	/* exit code, 128 + signal, -1 on timeout */
	int	 ms;		/* how long until it exited */
	char	 out[4096];
	char	 err[4096];
};

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
bin(void)
{
	const char	*b = getenv("UDPROXY_BIN");

	return b != NULL ? b : "../src/udproxy";
}

static void
read_file(const char *path, char *buf, size_t len)
{
	ssize_t	n;
	int	fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY)) == -1)
		return;
	n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

static int
rmtree_cb(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(path);
	return 0;
}

static void
rmtree(const char *path)
{
	nftw(path, rmtree_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh temp dir whose name outlives the next h_tmpdir() call. */
static const char *
tmpdir(char *buf, size_t len)
{
	snprintf(buf, len, "%s", h_tmpdir());
	return buf;
}

/*
 * Runs udproxy with the NULL-terminated arguments (through the wrapper
 * named by UDPROXY_WRAPPER, if any), stdout and stderr to files in dir,
 * optionally with the descriptor limits rl, and waits until it exits.
 */
static void
run(struct run *r, const char *dir, const struct rlimit *rl, ...)
{
	const char	*argv[RUN_MAXARGS + 8];
	char		 outp[256], errp[256];
	static int	 seq;
	int64_t		 start, deadline;
	va_list		 ap;
	int		 n = 0, status, fd;
	pid_t		 pid;

	argv[n++] = "sh";
	argv[n++] = "-c";
	argv[n++] = "exec $UDPROXY_WRAPPER \"$@\"";
	argv[n++] = "sh";
	argv[n++] = bin();
	va_start(ap, rl);
	while ((argv[n] = va_arg(ap, const char *)) != NULL)
		ck_assert_int_lt(++n, RUN_MAXARGS + 7);
	va_end(ap);

	seq++;
	snprintf(outp, sizeof(outp), "%s/run%d.out", dir, seq);
	snprintf(errp, sizeof(errp), "%s/run%d.err", dir, seq);
	memset(r, 0, sizeof(*r));
	start = now_ms();
	if ((pid = fork()) == 0) {
		if (rl != NULL && setrlimit(RLIMIT_NOFILE, rl) == -1)
			_exit(126);
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			dup2(fd, STDIN_FILENO);
		if ((fd = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644)) != -1)
			dup2(fd, STDOUT_FILENO);
		if ((fd = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644)) != -1)
			dup2(fd, STDERR_FILENO);
		execv("/bin/sh", (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	r->pid = pid;
	deadline = start + 10000LL * h_slow();
	r->status = -1;
	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
			    128 + WTERMSIG(status);
			break;
		}
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			break;
		}
		h_sleep_ms(2);
	}
	r->ms = (int)(now_ms() - start);
	read_file(outp, r->out, sizeof(r->out));
	read_file(errp, r->err, sizeof(r->err));
}

/* The pid in a pidfile: -1 no file, 0 empty or garbage. */
static pid_t
pidfile_pid(const char *path)
{
	char	buf[64], *end;
	long	v;
	int	fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	close(fd);
	read_file(path, buf, sizeof(buf));
	v = strtol(buf, &end, 10);
	if (end == buf || strcmp(end, "\n") != 0 || v <= 0)
		return 0;
	return (pid_t)v;
}

/* Fields of /proc/PID/stat; -1 if the process does not exist. */
static int
proc_stat(pid_t pid, char *state, pid_t *ppid, pid_t *sid)
{
	char	path[64], buf[1024], *p;
	int	pp, pg, s;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	read_file(path, buf, sizeof(buf));
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %c %d %d %d", state, &pp, &pg, &s) != 4)
		return -1;
	*ppid = pp;
	*sid = s;
	return 0;
}

/* Gone: reaped by us, no such process, or a zombie of someone else. */
static int
pid_gone(pid_t pid)
{
	pid_t	ppid, sid;
	char	state;

	if (waitpid(pid, NULL, WNOHANG) == pid)
		return 1;
	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 1;
	return proc_stat(pid, &state, &ppid, &sid) == -1 || state == 'Z';
}

static int
wait_gone(pid_t pid, int timeout_ms)
{
	int64_t	deadline = now_ms() + (int64_t)timeout_ms * h_slow();

	while (!pid_gone(pid)) {
		if (now_ms() > deadline)
			return -1;
		h_sleep_ms(5);
	}
	return 0;
}

/* Does /proc/PID/cmdline have an argument equal to udproxy's path? */
static int
is_udproxy(pid_t pid)
{
	char	path[64], buf[4096], *p;
	ssize_t	n;
	int	fd;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (p = buf; p < buf + n; p += strlen(p) + 1)
		if (strcmp(p, bin()) == 0)
			return 1;
	return 0;
}

/*
 * Our live udproxy children (orphans come to us, the subreaper). With
 * kill set, SIGKILLs and reaps them: only processes we started end here.
 */
static int
udproxy_children(int kill_them)
{
	DIR		*d;
	struct dirent	*de;
	pid_t		 pid, ppid, sid;
	char		 state;
	int		 n = 0;

	if ((d = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if ((pid = (pid_t)atol(de->d_name)) <= 0 ||
		    proc_stat(pid, &state, &ppid, &sid) == -1 ||
		    ppid != getpid())
			continue;
		if (state == 'Z') {
			if (is_udproxy(pid) || kill_them)
				waitpid(pid, NULL, WNOHANG);
			continue;
		}
		if (!is_udproxy(pid))
			continue;
		n++;
		if (kill_them) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	}
	closedir(d);
	return n;
}

/* A live daemonized process: signalled to end, then killed, and reaped. */
static void
kill_daemon(pid_t pid)
{
	if (pid <= 0 || pid_gone(pid))
		return;
	kill(pid, SIGTERM);
	if (wait_gone(pid, 5000) == -1) {
		kill(pid, SIGKILL);
		wait_gone(pid, 5000);
	}
}

/* Echo round trip through the proxy on 127.0.0.1:port. */
static int
rt_ok(uint16_t port, const char *msg)
{
	char	buf[256];
	int	fd, ok;

	if ((fd = client_open(AF_INET, port)) == -1)
		return 0;
	ok = client_rt_str(fd, msg, buf, sizeof(buf), 2000) == 0 &&
	    strcmp(buf, msg) == 0;
	close(fd);
	return ok;
}

static void
route_conf(const char *path, uint16_t listen, uint16_t upstream,
    const char *extra)
{
	h_write_file(path, "%s"
	    "routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:%u\";"
	    " upstream = \"127.0.0.1:%u\"; }\n"
	    ");\n", extra != NULL ? extra : "", listen, upstream);
}

/* Starts the daemon with -f like daemon_start, under descriptor limits. */
static struct daemon *
daemon_start_rlimit(const char *dir, const char *conf, rlim_t soft,
    rlim_t hard)
{
	struct rlimit	 rl = { soft, hard };
	struct daemon	*d;
	const char	*wrapper = getenv("UDPROXY_WRAPPER");
	char		 cmd[1024];
	pid_t		 pid;

	d = calloc(1, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "%.*s", (int)sizeof(d->dir) - 1, dir);
	snprintf(d->conf, sizeof(d->conf), "%.*s", (int)sizeof(d->conf) - 1,
	    conf);
	snprintf(d->log, sizeof(d->log), "%.*s/daemon.log",
	    (int)sizeof(d->log) - 12, dir);
	snprintf(cmd, sizeof(cmd), "exec %s %s -f -c '%s' 2>>'%s' "
	    "</dev/null >/dev/null", wrapper != NULL ? wrapper : "", bin(),
	    conf, d->log);
	if ((pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			_exit(126);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	d->pid = pid;
	if (daemon_wait_log(d, " started, ", 1, 5000) == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		free(d);
		return NULL;
	}
	return d;
}

/* The global stats line's max_sessions: the cap the daemon computed. */
static long long
daemon_max_sessions(struct daemon *d)
{
	const char	*needle = "stats: routes=";
	char		*log, *line = NULL, *p;
	long long	 v = -1;
	int		 n = daemon_log_count(d, needle);

	daemon_signal(d, SIGUSR1);
	if (daemon_wait_log(d, needle, n + 1, 3000) == -1)
		return -1;
	log = daemon_log_read(d);
	for (p = log; (p = strstr(p, needle)) != NULL; p++)
		line = p;
	if (line != NULL) {
		*strchrnul(line, '\n') = '\0';
		if ((p = strstr(line, " max_sessions=")) != NULL)
			v = strtoll(p + strlen(" max_sessions="), NULL, 10);
	}
	free(log);
	return v;
}

/*
 * Sends one datagram from each client in [from, to) in order, then
 * collects replies; replied[i] is set for each echo. Waits until `expect`
 * replies arrived plus a grace period for unexpected extra ones.
 */
static int
burst(int *fds, int from, int to, char *replied, int expect)
{
	struct pollfd	pfd[128];
	char		msg[32], buf[64];
	int64_t		deadline, grace = 0;
	int		i, n, got = 0;
	ssize_t		len;

	ck_assert_int_le(to - from, 128);
	for (i = from; i < to; i++) {
		snprintf(msg, sizeof(msg), "client %d", i);
		replied[i] = 0;
		ck_assert_int_eq(send(fds[i], msg, strlen(msg), 0),
		    (ssize_t)strlen(msg));
	}
	deadline = now_ms() + 3000LL * h_slow();
	while (now_ms() < deadline && (grace == 0 || now_ms() < grace)) {
		for (i = from; i < to; i++) {
			pfd[i - from].fd = fds[i];
			pfd[i - from].events = POLLIN;
			pfd[i - from].revents = 0;
		}
		if ((n = poll(pfd, (nfds_t)(to - from), 20)) <= 0)
			goto next;
		for (i = from; i < to; i++) {
			if ((pfd[i - from].revents & POLLIN) == 0)
				continue;
			if ((len = recv(fds[i], buf, sizeof(buf) - 1, 0)) < 0)
				continue;
			buf[len] = '\0';
			snprintf(msg, sizeof(msg), "client %d", i);
			ck_assert_str_eq(buf, msg);
			if (!replied[i])
				got++;
			replied[i] = 1;
		}
next:
		if (got >= expect && grace == 0)
			grace = now_ms() + 200LL * h_slow();
	}
	return got;
}

static void
subreaper(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
}

/* --- daemonizing, pidfile ------------------------------------------- */

START_TEST(daemonize)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 port = h_free_port(AF_INET);
	char		 dbuf[64], conf[256], pidf[256], path[64];
	char		 link[256];
	const char	*dir = tmpdir(dbuf, sizeof(dbuf));
	const char	*fdname[3] = { "0", "1", "2" };
	struct run	 r;
	pid_t		 pid, ppid, sid;
	ssize_t		 n;
	char		 state;
	int		 i;

	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	snprintf(pidf, sizeof(pidf), "%s/udproxy.pid", dir);
	route_conf(conf, port, m->port, NULL);
	run(&r, dir, NULL, "-c", conf, "-p", pidf, (char *)NULL);
	ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
	ck_assert_msg(r.ms < 3000 * h_slow(), "took %d ms", r.ms);
	pid = pidfile_pid(pidf);
	ck_assert_msg(pid > 0, "pidfile %s: %d", pidf, (int)pid);
	ck_assert_int_ne(pid, r.pid);
	ck_assert_int_eq(kill(pid, 0), 0);
	/* Serving as soon as the launcher returned: no sleep here. */
	ck_assert(rt_ok(port, "first datagram"));

	ck_assert_int_eq(proc_stat(pid, &state, &ppid, &sid), 0);
	ck_assert_msg(ppid == 1 || ppid == getpid(),
	    "ppid %d: neither init nor us, the subreaper", (int)ppid);
	ck_assert_msg(sid == pid, "sid %d, pid %d: not a session leader",
	    (int)sid, (int)pid);
	snprintf(path, sizeof(path), "/proc/%ld/cwd", (long)pid);
	n = readlink(path, link, sizeof(link) - 1);
	ck_assert_int_gt(n, 0);
	link[n] = '\0';
	ck_assert_str_eq(link, "/");
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/proc/%ld/fd/%s", (long)pid,
		    fdname[i]);
		n = readlink(path, link, sizeof(link) - 1);
		ck_assert_int_gt(n, 0);
		link[n] = '\0';
		ck_assert_msg(strcmp(link, "/dev/null") == 0,
		    "fd %d is %s, not /dev/null", i, link);
	}
	ck_assert_int_eq(udproxy_children(0), 1);

	kill_daemon(pid);
	mock_stop(m);
	rmtree(dir);
}
END_TEST

/*
 * Daemonized with an access log: the writer thread starts in the process
 * that serves, after the fork (a thread does not survive fork()). Before
 * the fix the log stayed empty and SIGTERM hung for ever in the join of
 * a thread the daemon did not have.
 */
START_TEST(access_log_when_daemonized)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 port = h_free_port(AF_INET);
	char		 dbuf[64], conf[256], pidf[256], alog[256];
	char		 extra[512], s[4096];
	const char	*dir = tmpdir(dbuf, sizeof(dbuf));
	struct run	 r;
	pid_t		 pid;
	int		 i;

	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	snprintf(pidf, sizeof(pidf), "%s/udproxy.pid", dir);
	snprintf(alog, sizeof(alog), "%s/access.log", dir);
	snprintf(extra, sizeof(extra), "access_log = \"%s\";\n", alog);
	route_conf(conf, port, m->port, extra);
	run(&r, dir, NULL, "-c", conf, "-p", pidf, (char *)NULL);
	ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
	pid = pidfile_pid(pidf);
	ck_assert_int_gt(pid, 0);
	ck_assert(rt_ok(port, "logged"));
	/* The session ends at shutdown: its line is written, then exit. */
	kill(pid, SIGTERM);
	ck_assert_msg(wait_gone(pid, 5000) == 0, "SIGTERM: still running");
	for (i = 0; i < 50; i++) {
		read_file(alog, s, sizeof(s));
		if (strchr(s, '\n') != NULL)
			break;
		h_sleep_ms(20);
	}
	ck_assert_msg(strstr(s, " route=a ") != NULL &&
	    strstr(s, " end=shutdown\n") != NULL, "access log: '%s'", s);
	kill_daemon(pid);
	mock_stop(m);
	rmtree(dir);
}
END_TEST

static void
devlog_remove(void)
{
	unlink("/dev/log");
}

/*
 * Daemonized, udproxy logs to syslog: facility daemon, ident udproxy with
 * its pid, and nothing on the launcher's terminal. The test plays syslogd
 * by binding /dev/log itself, so it runs only as root where no syslog
 * daemon owns that socket.
 */
START_TEST(syslog_when_daemonized)
{
	struct mock		*m;
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	uint16_t		 port = h_free_port(AF_INET);
	char			 dbuf[64], conf[256], pidf[256], msg[1024];
	char			 want[128];
	const char		*dir;
	struct run		 r;
	int			 fd, got_route = 0, got_start = 0, i;
	ssize_t			 n;
	pid_t			 pid;

	if (geteuid() != 0 || access("/dev/log", F_OK) == 0) {
		h_skip("syslog_when_daemonized: needs root and no /dev/log "
		    "(it binds its own)");
		return;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/dev/log");
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	/* Ours to remove, even when an assertion ends this test early. */
	atexit(devlog_remove);

	m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	dir = tmpdir(dbuf, sizeof(dbuf));
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	snprintf(pidf, sizeof(pidf), "%s/udproxy.pid", dir);
	route_conf(conf, port, m->port, NULL);
	run(&r, dir, NULL, "-c", conf, "-p", pidf, (char *)NULL);
	unlink("/dev/log");
	ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
	ck_assert_msg(r.err[0] == '\0', "launcher stderr: %s", r.err);
	pid = pidfile_pid(pidf);
	ck_assert_int_gt(pid, 0);

	/* <30> is daemon.info, <29> daemon.notice. */
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (i = 0; i < 20 && !(got_route && got_start); i++) {
		if (poll(&pfd, 1, 250 * h_slow()) <= 0)
			continue;
		if ((n = recv(fd, msg, sizeof(msg) - 1, 0)) <= 0)
			continue;
		msg[n] = '\0';
		/* Listeners are bound, and logged, before the fork. */
		if (strncmp(msg, "<30>", 4) == 0 &&
		    strstr(msg, " udproxy[") != NULL &&
		    strstr(msg, "route a: listening on 127.0.0.1:") != NULL)
			got_route = 1;
		snprintf(want, sizeof(want), " udproxy[%ld]: udproxy ",
		    (long)pid);
		if (strncmp(msg, "<29>", 4) == 0 && strstr(msg, want) != NULL &&
		    strstr(msg, " started, 1 routes") != NULL)
			got_start = 1;
	}
	close(fd);
	ck_assert_msg(got_route, "no daemon.info 'listening on' line");
	ck_assert_msg(got_start, "no daemon.notice 'started' line");
	kill_daemon(pid);
	mock_stop(m);
	rmtree(dir);
}
END_TEST

START_TEST(second_instance)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 p1 = h_free_port(AF_INET), p2 = h_free_port(AF_INET);
	char		 dbuf[64], c1[256], c2[256], pidf[256], want[512];
	const char	*dir = tmpdir(dbuf, sizeof(dbuf));
	struct run	 r;
	pid_t		 pid;

	snprintf(c1, sizeof(c1), "%s/one.conf", dir);
	snprintf(c2, sizeof(c2), "%s/two.conf", dir);
	snprintf(pidf, sizeof(pidf), "%s/udproxy.pid", dir);
	route_conf(c1, p1, m->port, NULL);
	route_conf(c2, p2, m->port, NULL);
	run(&r, dir, NULL, "-c", c1, "-p", pidf, (char *)NULL);
	ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
	ck_assert_int_gt(pid = pidfile_pid(pidf), 0);

	run(&r, dir, NULL, "-c", c2, "-p", pidf, (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "pidfile %s: already locked by pid %ld",
	    pidf, (long)pid);
	ck_assert_msg(strstr(r.err, want) != NULL, "stderr: %s", r.err);
	/* The loser changed nothing: same pidfile, same daemon, serving. */
	ck_assert_int_eq(pidfile_pid(pidf), pid);
	ck_assert_int_eq(udproxy_children(0), 1);
	ck_assert(rt_ok(p1, "still here"));
	ck_assert(h_port_bindable(p2));

	kill_daemon(pid);
	mock_stop(m);
	rmtree(dir);
}
END_TEST

START_TEST(sigterm_removes_pidfile)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 port = h_free_port(AF_INET);
	char		 dbuf[64], conf[256], pidf[256];
	const char	*dir = tmpdir(dbuf, sizeof(dbuf));
	struct run	 r;
	pid_t		 pid;

	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	snprintf(pidf, sizeof(pidf), "%s/udproxy.pid", dir);
	route_conf(conf, port, m->port, NULL);
	run(&r, dir, NULL, "-c", conf, "-p", pidf, (char *)NULL);
	ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
	ck_assert_int_gt(pid = pidfile_pid(pidf), 0);
	ck_assert(rt_ok(port, "ping"));

	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_msg(wait_gone(pid, 5000) == 0, "pid %d ignored SIGTERM",
	    (int)pid);
	ck_assert_msg(access(pidf, F_OK) == -1 && errno == ENOENT,
	    "pidfile %s still there after exit", pidf);
	ck_assert(h_port_bindable(port));

	mock_stop(m);
	rmtree(dir);
}
END_TEST

START_TEST(pidfile_setting)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 port = h_free_port(AF_INET);
	char		 dbuf[64], conf[256], pidf[256], cli[256];
	char		 extra[512];
	const char	*dir = tmpdir(dbuf, sizeof(dbuf));
	struct run	 r;
	pid_t		 pid;

	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	snprintf(pidf, sizeof(pidf), "%s/from-conf.pid", dir);
	snprintf(cli, sizeof(cli), "%s/from-cli.pid", dir);
	snprintf(extra, sizeof(extra), "pidfile = \"%s\";\n", pidf);
	route_conf(conf, port, m->port, extra);

	/* No -p: the setting is used. */
	run(&r, dir, NULL, "-c", conf, (char *)NULL);
	ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
	ck_assert_int_gt(pid = pidfile_pid(pidf), 0);
	ck_assert_int_eq(kill(pid, 0), 0);
	ck_assert(rt_ok(port, "conf pidfile"));
	kill(pid, SIGTERM);
	ck_assert_int_eq(wait_gone(pid, 5000), 0);
	ck_assert_int_eq(pidfile_pid(pidf), -1);

	/* -p overrides it. */
	run(&r, dir, NULL, "-c", conf, "-p", cli, (char *)NULL);
	ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
	ck_assert_int_gt(pid = pidfile_pid(cli), 0);
	ck_assert_int_eq(pidfile_pid(pidf), -1);
	ck_assert(rt_ok(port, "cli pidfile"));
	kill(pid, SIGTERM);
	ck_assert_int_eq(wait_gone(pid, 5000), 0);
	ck_assert_int_eq(pidfile_pid(cli), -1);

	mock_stop(m);
	rmtree(dir);
}
END_TEST

/* --- failed starts --------------------------------------------------- */

START_TEST(fail_bad_config)
{
	char		 dbuf[64], conf[256], real[PATH_MAX], pidf[256];
	char		 want[PATH_MAX + 128];
	const char	*dir = tmpdir(dbuf, sizeof(dbuf));
	uint16_t	 port = h_free_port(AF_INET);
	struct run	 r;

	snprintf(conf, sizeof(conf), "%s/bad.conf", dir);
	snprintf(pidf, sizeof(pidf), "%s/udproxy.pid", dir);
	h_write_file(conf, "log_level = \"info\";\n"
	    "routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:%u\";\n"
	    "    upsteam = \"127.0.0.1:9\"; }\n"
	    ");\n", port);
	ck_assert_ptr_nonnull(realpath(conf, real));
	run(&r, dir, NULL, "-c", conf, "-p", pidf, (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "%s:4: route 'a': unknown setting "
	    "'upsteam'", real);
	ck_assert_msg(strstr(r.err, want) != NULL, "stderr: %s", r.err);
	ck_assert_int_eq(udproxy_children(0), 0);
	ck_assert_msg(pidfile_pid(pidf) == -1, "pidfile left behind");
	ck_assert(h_port_bindable(port));
	rmtree(dir);
}
END_TEST

START_TEST(fail_port_in_use)
{
	struct sockaddr_in	 sin;
	char			 dbuf[64], conf[256], pidf[256], want[128];
	const char		*dir = tmpdir(dbuf, sizeof(dbuf));
	uint16_t		 port = h_free_port(AF_INET);
	struct run		 r;
	int			 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ne(fd = socket(AF_INET, SOCK_DGRAM, 0), -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);

	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	snprintf(pidf, sizeof(pidf), "%s/udproxy.pid", dir);
	route_conf(conf, port, h_free_port(AF_INET), NULL);
	run(&r, dir, NULL, "-c", conf, "-p", pidf, (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "cannot listen on 127.0.0.1:%u: "
	    "Address already in use", port);
	ck_assert_msg(strstr(r.err, want) != NULL, "stderr: %s", r.err);
	ck_assert_int_eq(udproxy_children(0), 0);
	ck_assert_msg(pidfile_pid(pidf) == -1,
	    "failed start left pidfile %s behind", pidf);
	close(fd);
	rmtree(dir);
}
END_TEST

START_TEST(fail_no_such_user)
{
	char		 dbuf[64], conf[256], pidf[256];
	const char	*dir = tmpdir(dbuf, sizeof(dbuf));
	uint16_t	 port = h_free_port(AF_INET);
	struct run	 r;

	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	snprintf(pidf, sizeof(pidf), "%s/udproxy.pid", dir);
	route_conf(conf, port, h_free_port(AF_INET),
	    "user = \"no_such_user_xyz\";\n");
	run(&r, dir, NULL, "-c", conf, "-p", pidf, (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "user 'no_such_user_xyz': no such user")
	    != NULL, "stderr: %s", r.err);
	ck_assert_int_eq(udproxy_children(0), 0);
	ck_assert_msg(pidfile_pid(pidf) == -1,
	    "failed start left pidfile %s behind", pidf);
	ck_assert(h_port_bindable(port));
	rmtree(dir);
}
END_TEST

/* --- command line ---------------------------------------------------- */

START_TEST(cli_test_config)
{
	char		 dbuf[64], good[256], bad[256], real[PATH_MAX];
	char		 pidf[256], want[PATH_MAX + 128];
	const char	*dir = tmpdir(dbuf, sizeof(dbuf));
	uint16_t	 port = h_free_port(AF_INET);
	struct run	 r;

	snprintf(good, sizeof(good), "%s/good.conf", dir);
	snprintf(bad, sizeof(bad), "%s/bad.conf", dir);
	snprintf(pidf, sizeof(pidf), "%s/udproxy.pid", dir);
	route_conf(good, port, h_free_port(AF_INET), NULL);
	h_write_file(bad, "routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:%u\";\n"
	    "    upstream = \"127.0.0.1:99999\"; }\n"
	    ");\n", port);

	run(&r, dir, NULL, "-t", "-c", good, "-p", pidf, (char *)NULL);
	ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
	/* -t neither binds, nor writes a pidfile, nor stays. */
	ck_assert(h_port_bindable(port));
	ck_assert_int_eq(pidfile_pid(pidf), -1);
	ck_assert_int_eq(udproxy_children(0), 0);

	ck_assert_ptr_nonnull(realpath(bad, real));
	run(&r, dir, NULL, "-t", "-c", bad, (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "%s:3: ", real);
	ck_assert_msg(strstr(r.err, want) != NULL, "stderr: %s", r.err);
	ck_assert_msg(strstr(r.err, "99999") != NULL, "stderr: %s", r.err);

	/* -t also checks that user and group exist. */
	h_write_file(bad, "user = \"no_such_user_xyz\";\nroutes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:%u\";\n"
	    "    upstream = \"127.0.0.1:9\"; }\n"
	    ");\n", port);
	run(&r, dir, NULL, "-t", "-c", bad, (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "udproxy: error: %s: user "
	    "'no_such_user_xyz': no such user", real);
	ck_assert_msg(strstr(r.err, want) != NULL, "stderr: %s", r.err);

	snprintf(bad, sizeof(bad), "%s/missing.conf", dir);
	run(&r, dir, NULL, "-t", "-c", bad, (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "missing.conf") != NULL, "stderr: %s",
	    r.err);
	rmtree(dir);
}
END_TEST

START_TEST(cli_flags)
{
	char		 dbuf[64];
	const char	*dir = tmpdir(dbuf, sizeof(dbuf));
	struct run	 r;

	ck_assert_str_eq(PACKAGE_VERSION, "0.1.0");
	run(&r, dir, NULL, "-V", (char *)NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "udproxy " PACKAGE_VERSION "\n");

	run(&r, dir, NULL, "-h", (char *)NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strncmp(r.out, "usage: udproxy ", 15) == 0, "stdout: %s",
	    r.out);

	/* The long forms print the same. */
	run(&r, dir, NULL, "--version", (char *)NULL);
	ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
	ck_assert_str_eq(r.out, "udproxy " PACKAGE_VERSION "\n");
	ck_assert_str_eq(r.err, "");
	run(&r, dir, NULL, "--help", (char *)NULL);
	ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
	ck_assert_msg(strncmp(r.out, "usage: udproxy ", 15) == 0, "stdout: %s",
	    r.out);
	ck_assert_msg(strstr(r.out, "--help") != NULL &&
	    strstr(r.out, "--version") != NULL, "stdout: %s", r.out);
	ck_assert_str_eq(r.err, "");
	run(&r, dir, NULL, "--no-such-option", (char *)NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(strstr(r.err, "usage: udproxy ") != NULL, "stderr: %s",
	    r.err);

	run(&r, dir, NULL, "-Z", (char *)NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(strstr(r.err, "usage: udproxy ") != NULL, "stderr: %s",
	    r.err);
	ck_assert_str_eq(r.out, "");

	run(&r, dir, NULL, "-t", "stray-argument", (char *)NULL);
	ck_assert_int_eq(r.status, 2);
	run(&r, dir, NULL, "-c", (char *)NULL);
	ck_assert_int_eq(r.status, 2);
	rmtree(dir);
}
END_TEST

/* Whether s holds a control byte other than the newline ending each line. */
static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && (*s != '\n' ||
		    (s[1] != '\0' && strncmp(s + 1, "udproxy: ", 9) != 0))) ||
		    *s == 0x7f)
			return 1;
	return 0;
}

/*
 * Bytes from the file reach stderr escaped: a route name with a newline
 * and an ESC sequence cannot forge a line or drive the terminal, from -t
 * or from a start that fails, and neither can a file name.
 */
START_TEST(cli_errors_escaped)
{
	char		 dbuf[64], conf[256], want[1024];
	const char	*dir = tmpdir(dbuf, sizeof(dbuf));
	struct run	 r;

	snprintf(conf, sizeof(conf), "%s/evil.conf", dir);
	h_write_file(conf, "routes = (\n"
	    "  { name = \"x\\nudproxy: %s: configuration is valid\\x1b[2J\";"
	    " listen = \"127.0.0.1:1\"; upstream = \"127.0.0.1:2\"; }\n"
	    ");\n", conf);
	snprintf(want, sizeof(want), "udproxy: error: %s:2: route name "
	    "'x?udproxy: %s: configuration is valid?[2J' is invalid", conf,
	    conf);
	run(&r, dir, NULL, "-t", "-c", conf, (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "stderr: %s",
	    r.err);
	ck_assert_msg(!has_control(r.err), "stderr: %s", r.err);
	run(&r, dir, NULL, "-f", "-c", conf, (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(!has_control(r.err), "stderr: %s", r.err);
	ck_assert_msg(strstr(r.err, "'x?udproxy: ") != NULL, "stderr: %s",
	    r.err);
	/* Through the daemonizing launcher too. */
	run(&r, dir, NULL, "-c", conf, (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(!has_control(r.err), "stderr: %s", r.err);
	ck_assert_msg(strstr(r.err, "'x?udproxy: ") != NULL, "stderr: %s",
	    r.err);

	/* The control socket's path from the file, in udproxy -s's error. */
	h_write_file(conf, "control = \"%s/s\\n\\x1b[2J.sock\";\n", dir);
	run(&r, dir, NULL, "-s", "status", "-c", conf, (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "udproxy: error: cannot connect to "
	    "%s/s??[2J.sock: No such file or directory (is udproxy "
	    "running?)\n", dir);
	ck_assert_str_eq(r.err, want);

	/* libconfig's own message names the file as given. */
	snprintf(conf, sizeof(conf), "%s/new\nline\033[1m.conf", dir);
	run(&r, dir, NULL, "-t", "-c", conf, (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "udproxy: error: %s/new?line?[1m.conf: "
	    "No such file or directory\n", dir);
	ck_assert_str_eq(r.err, want);
	/* C1 controls written as UTF-8 (U+009B is CSI) are escaped too. */
	snprintf(conf, sizeof(conf), "%s/c1\xc2\x9b" "31m\xc3\xa9.conf", dir);
	run(&r, dir, NULL, "-t", "-c", conf, (char *)NULL);
	snprintf(want, sizeof(want), "udproxy: error: %s/c1??31m\xc3\xa9.conf: "
	    "No such file or directory\n", dir);
	ck_assert_str_eq(r.err, want);
	rmtree(dir);
}
END_TEST

/*
 * StrictModes: a file that others can write, or that another user owns,
 * is refused by -t, at start and on reload (the old configuration runs
 * on); a FIFO is refused at once instead of waited on.
 */
START_TEST(cli_strict_modes)
{
	char		 dbuf[64], conf[256], inc[256], want[512];
	const char	*dir = tmpdir(dbuf, sizeof(dbuf));
	uint16_t	 port = h_free_port(AF_INET);
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	struct daemon	*d;
	struct run	 r;
	char		 buf[64];
	int		 c;

	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	snprintf(inc, sizeof(inc), "%s/routes.inc", dir);
	h_write_file(conf, "@include \"routes.inc\"\n");
	h_write_file(inc, "routes = ( { name = \"a\"; listen = "
	    "\"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; } );\n", port,
	    m->port);
	ck_assert_int_eq(chmod(conf, 0644), 0);
	ck_assert_int_eq(chmod(inc, 0620), 0);
	snprintf(want, sizeof(want), "udproxy: error: %s: refused: writable "
	    "by its group (mode 0620); chmod go-w it\n", inc);
	run(&r, dir, NULL, "-t", "-c", conf, (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, want);
	run(&r, dir, NULL, "-f", "-c", conf, (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, want);
	ck_assert(h_port_bindable(port));

	/* Fixed, it starts; made writable again, the reload is refused. */
	ck_assert_int_eq(chmod(inc, 0600), 0);
	d = daemon_start(dir, conf, NULL);
	ck_assert_ptr_nonnull(d);
	c = client_open(AF_INET, port);
	ck_assert_int_eq(client_rt_str(c, "one", buf, sizeof(buf), 2000), 0);
	ck_assert_int_eq(chmod(conf, 0646), 0);
	ck_assert_int_eq(daemon_reload(d), -1);
	snprintf(want, sizeof(want), "reload failed: %s: refused: writable by "
	    "everyone (mode 0646)", conf);
	ck_assert_int_eq(daemon_log_count(d, want), 1);
	ck_assert_int_eq(client_rt_str(c, "two", buf, sizeof(buf), 2000), 0);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	close(c);

	/*
	 * An include owned by another user, as root (given to nobody);
	 * check_conffile covers the other owners without root.
	 */
	ck_assert_int_eq(chmod(conf, 0644), 0);
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(inc, 65534, (gid_t)-1), 0);
		snprintf(want, sizeof(want), "udproxy: error: %s: refused: "
		    "owned by uid 65534, not by root or uid 0 (the user "
		    "udproxy started as)\n", inc);
		run(&r, dir, NULL, "-t", "-c", conf, (char *)NULL);
		ck_assert_int_eq(r.status, 1);
		ck_assert_str_eq(r.err, want);
	}

	/* A FIFO as the file: -t answers at once, it does not wait. */
	snprintf(conf, sizeof(conf), "%s/fifo.conf", dir);
	ck_assert_int_eq(mkfifo(conf, 0600), 0);
	run(&r, dir, NULL, "-t", "-c", conf, (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "udproxy: error: %s: not a regular "
	    "file\n", conf);
	ck_assert_str_eq(r.err, want);
	mock_stop(m);
	rmtree(dir);
}
END_TEST

/* --- privileges ------------------------------------------------------ */

/* The numbers after "Key:" in /proc/PID/status, up to max. */
static int
status_ids(pid_t pid, const char *key, unsigned long long *v, int max,
    int base)
{
	char	path[64], buf[4096], *p, *end;
	int	n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	read_file(path, buf, sizeof(buf));
	if ((p = strstr(buf, key)) == NULL)
		return -1;
	p += strlen(key);
	while (n < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n' || *p == '\0')
			break;
		v[n++] = strtoull(p, &end, base);
		if (end == p)
			return -1;
		p = end;
	}
	return n;
}

START_TEST(privilege_drop)
{
	struct mock		*m1, *m2;
	struct passwd		*pw;
	struct group		*gr;
	struct daemon		*d;
	unsigned long long	 v[8];
	char			 dbuf[64], conf[256], pidf[256], extra[128];
	char			 args[300], buf[256], want[64];
	const char		*dir;
	uint16_t		 p1 = h_free_port(AF_INET), priv = 0, u;
	uid_t			 uid;
	gid_t			 gid;
	int			 i, fd;

	if (geteuid() != 0) {
		h_skip("privilege_drop: not root");
		return;
	}
	ck_assert_ptr_nonnull(pw = getpwnam("nobody"));
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if ((gr = getgrnam("nogroup")) != NULL) {
		gid = gr->gr_gid;
		snprintf(extra, sizeof(extra), "user = \"nobody\";\n"
		    "group = \"nogroup\";\n");
	} else
		snprintf(extra, sizeof(extra), "user = \"nobody\";\n");

	dir = tmpdir(dbuf, sizeof(dbuf));
	/* nobody must read the config again on reload. */
	ck_assert_int_eq(chmod(dir, 0755), 0);
	m1 = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	m2 = mock_start(AF_INET, 0, MOCK_PEER, "priv");
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	snprintf(pidf, sizeof(pidf), "%s/udproxy.pid", dir);
	route_conf(conf, p1, m1->port, extra);
	ck_assert_int_eq(chmod(conf, 0644), 0);
	snprintf(args, sizeof(args), "-p '%s'", pidf);
	ck_assert_ptr_nonnull(d = daemon_start(dir, conf, args));
	ck_assert_int_eq(pidfile_pid(pidf), d->pid);
	snprintf(want, sizeof(want), "running as user nobody (uid %ld",
	    (long)uid);
	ck_assert_int_eq(daemon_log_count(d, want), 1);

	ck_assert_int_eq(status_ids(d->pid, "\nUid:", v, 8, 10), 4);
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(v[i], uid);
	ck_assert_int_eq(status_ids(d->pid, "\nGid:", v, 8, 10), 4);
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(v[i], gid);
	ck_assert_int_eq(status_ids(d->pid, "\nGroups:", v, 8, 10), 1);
	ck_assert_uint_eq(v[0], gid);
	ck_assert_int_eq(status_ids(d->pid, "\nCapEff:", v, 1, 16), 1);
	ck_assert_msg(v[0] == CAP_BIND_MASK, "CapEff %llx", v[0]);
	ck_assert_int_eq(status_ids(d->pid, "\nCapPrm:", v, 1, 16), 1);
	ck_assert_msg(v[0] == CAP_BIND_MASK, "CapPrm %llx", v[0]);
	ck_assert_int_eq(status_ids(d->pid, "\nCapInh:", v, 1, 16), 1);
	ck_assert_msg(v[0] == 0, "CapInh %llx", v[0]);
	ck_assert(rt_ok(p1, "as nobody"));

	/* A reload binds a port below 1024 with the capability kept. */
	for (u = 900; u < 1000 && priv == 0; u++)
		if (h_port_bindable(u))
			priv = u;
	ck_assert_msg(priv != 0, "no free port in 900..999");
	h_write_file(conf, "%s"
	    "routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:%u\";"
	    " upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"low\"; listen = \"127.0.0.1:%u\";"
	    " upstream = \"127.0.0.1:%u\"; }\n"
	    ");\n", extra, p1, m1->port, priv, m2->port);
	ck_assert_int_eq(chmod(conf, 0644), 0);
	ck_assert_msg(daemon_reload(d) == 0, "reload failed: %s",
	    daemon_log_read(d));
	ck_assert_int_eq(daemon_log_count(d, "routes 1 added, 0 removed, "
	    "0 changed, 1 kept"), 1);
	ck_assert_int_ne(fd = client_open(AF_INET, priv), -1);
	ck_assert_int_eq(client_rt_str(fd, "low port", buf, sizeof(buf),
	    2000), 0);
	ck_assert_msg(strncmp(buf, "priv ", 5) == 0 &&
	    strcmp(buf + strlen(buf) - 9, " low port") == 0, "reply '%s'",
	    buf);
	close(fd);
	ck_assert(rt_ok(p1, "old route"));

	/* It cannot unlink from a root-owned dir: it empties the file. */
	ck_assert_int_eq(daemon_stop(d), 0);
	ck_assert_msg(pidfile_pid(pidf) <= 0, "pidfile still names a pid");
	daemon_free(d);
	mock_stop(m1);
	mock_stop(m2);
	rmtree(dir);
}
END_TEST

/* --- limits ---------------------------------------------------------- */

/*
 * A launcher that took CAP_NET_BIND_SERVICE away (a container's
 * --cap-drop, setpriv here): after the switch to nobody, nothing of
 * root's capabilities may stay permitted, or the process could raise them
 * again.
 */
START_TEST(privilege_drop_without_bind_cap)
{
	struct mock		*m;
	struct daemon		*d;
	unsigned long long	 v[8];
	char			 dbuf[64], conf[256];
	const char		*dir;
	uint16_t		 p1 = h_free_port(AF_INET);

	if (geteuid() != 0 || getenv("UDPROXY_WRAPPER") != NULL ||
	    access("/usr/bin/setpriv", X_OK) == -1) {
		h_skip("privilege_drop_without_bind_cap: needs root, setpriv "
		    "and no wrapper");
		return;
	}
	dir = tmpdir(dbuf, sizeof(dbuf));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	route_conf(conf, p1, m->port, "user = \"nobody\";\n");
	setenv("UDPROXY_WRAPPER",
	    "/usr/bin/setpriv --bounding-set -net_bind_service", 1);
	d = daemon_start(dir, conf, NULL);
	unsetenv("UDPROXY_WRAPPER");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(daemon_log_count(d, "cannot keep "
	    "CAP_NET_BIND_SERVICE"), 1);
	ck_assert_int_eq(status_ids(d->pid, "\nCapPrm:", v, 1, 16), 1);
	ck_assert_msg(v[0] == 0, "CapPrm %llx", v[0]);
	ck_assert_int_eq(status_ids(d->pid, "\nCapEff:", v, 1, 16), 1);
	ck_assert_msg(v[0] == 0, "CapEff %llx", v[0]);
	ck_assert(rt_ok(p1, "still serving"));
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	mock_stop(m);
	rmtree(dir);
}
END_TEST

START_TEST(rlimit_raised)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	struct rlimit	 rl = { 64, 1024 };
	uint16_t	 port = h_free_port(AF_INET);
	char		 dbuf[64], conf[256], pidf[256], path[64];
	char		 buf[8192];
	const char	*dir = tmpdir(dbuf, sizeof(dbuf));
	struct run	 r;
	unsigned long	 soft = 0, hard = 0;
	pid_t		 pid;
	const char	*w;
	char		*p;

	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	snprintf(pidf, sizeof(pidf), "%s/udproxy.pid", dir);
	route_conf(conf, port, m->port, NULL);
	run(&r, dir, &rl, "-c", conf, "-p", pidf, (char *)NULL);
	ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
	ck_assert_int_gt(pid = pidfile_pid(pidf), 0);
	snprintf(path, sizeof(path), "/proc/%ld/limits", (long)pid);
	read_file(path, buf, sizeof(buf));
	ck_assert_ptr_nonnull(p = strstr(buf, "Max open files"));
	ck_assert_int_eq(sscanf(p + strlen("Max open files"), " %lu %lu",
	    &soft, &hard), 2);
	ck_assert_uint_eq(hard, 1024);
	w = getenv("UDPROXY_WRAPPER");
	if (w == NULL || *w == '\0')
		ck_assert_uint_eq(soft, 1024);
	else	/* valgrind keeps descriptors of its own above the limit */
		fprintf(stderr, "rlimit_raised: soft limit %lu not checked "
		    "under %s\n", soft, w);
	ck_assert(rt_ok(port, "raised"));
	kill_daemon(pid);
	mock_stop(m);
	rmtree(dir);
}
END_TEST

START_TEST(global_max_sessions)
{
	struct mock	*ma = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	struct mock	*mb = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET), pb = h_free_port(AF_INET);
	uint16_t	 port[5];
	char		 dbuf[64], conf[256], msg[32], buf[64];
	const char	*dir = tmpdir(dbuf, sizeof(dbuf));
	struct daemon	*d;
	int		 c[5], i;

	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	h_write_file(conf, "max_sessions = 3;\n"
	    "routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:%u\";"
	    " upstream = \"127.0.0.1:%u\"; },\n"
	    "  { name = \"b\"; listen = \"127.0.0.1:%u\";"
	    " upstream = \"127.0.0.1:%u\"; }\n"
	    ");\n", pa, ma->port, pb, mb->port);
	ck_assert_ptr_nonnull(d = daemon_start(dir, conf, NULL));
	ck_assert_int_eq(daemon_max_sessions(d), 3);

	/* Clients 0, 1 on a and 2 on b fill the cap; 3 (b), 4 (a) do not. */
	port[0] = port[1] = port[4] = pa;
	port[2] = port[3] = pb;
	for (i = 0; i < 5; i++) {
		ck_assert_int_ne(c[i] = client_open(AF_INET, port[i]), -1);
		snprintf(msg, sizeof(msg), "client %d", i);
		if (i < 3) {
			ck_assert_int_eq(client_rt_str(c[i], msg, buf,
			    sizeof(buf), 2000), 0);
			ck_assert_str_eq(buf, msg);
		} else
			ck_assert_msg(client_rt_str(c[i], msg, buf,
			    sizeof(buf), 300) == -1, "client %d got '%s'", i,
			    buf);
	}
	for (i = 0; i < 3; i++) {
		snprintf(msg, sizeof(msg), "again %d", i);
		ck_assert_int_eq(client_rt_str(c[i], msg, buf, sizeof(buf),
		    2000), 0);
		ck_assert_str_eq(buf, msg);
	}
	ck_assert_int_eq(daemon_stat(d, "a", "drop_session_limit"), 1);
	ck_assert_int_eq(daemon_stat(d, "b", "drop_session_limit"), 1);
	ck_assert_int_eq(daemon_stat(d, "a", "sessions_active"), 2);
	ck_assert_int_eq(daemon_stat(d, "b", "sessions_active"), 1);
	ck_assert_int_ge(daemon_log_count(d, "global session limit (3) "
	    "reached"), 1);
	for (i = 0; i < 5; i++)
		close(c[i]);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	mock_stop(ma);
	mock_stop(mb);
	rmtree(dir);
}
END_TEST

/*
 * The session budget leaves out the daemon's own descriptors: 32, a
 * listener per route and worker, and 4 per worker thread (its eventfd,
 * epoll instance and libevent's socket pair).
 */
START_TEST(fd_budget_counts_workers)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 p[3];
	char		 dbuf[64], conf[256];
	const char	*dir;
	struct daemon	*d;
	long long	 cap[2];
	int		 w, i;

	for (i = 0; i < 3; i++)
		p[i] = h_free_port(AF_INET);
	for (w = 1; w <= 2; w++) {
		/* A directory each: each daemon's log of its own. */
		dir = tmpdir(dbuf, sizeof(dbuf));
		snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
		h_write_file(conf, "workers = %d;\nroutes = (\n"
		    "  { name = \"a\"; listen = \"127.0.0.1:%u\"; upstream = "
		    "\"127.0.0.1:%u\"; },\n"
		    "  { name = \"b\"; listen = \"127.0.0.1:%u\"; upstream = "
		    "\"127.0.0.1:%u\"; },\n"
		    "  { name = \"c\"; listen = \"127.0.0.1:%u\"; upstream = "
		    "\"127.0.0.1:%u\"; }\n);\n", w, p[0], m->port, p[1],
		    m->port, p[2], m->port);
		ck_assert_ptr_nonnull(d = daemon_start_rlimit(dir, conf, 200,
		    200));
		cap[w - 1] = daemon_max_sessions(d);
		ck_assert_int_eq(daemon_stop(d), 0);
		daemon_free(d);
		rmtree(dir);
	}
	/* valgrind keeps descriptors of its own below the limit. */
	if (getenv("UDPROXY_WRAPPER") == NULL)
		ck_assert_int_eq(cap[0], 200 - 32 - 3);
	/* The second worker: its 3 listeners and 4 descriptors. */
	ck_assert_int_eq(cap[0] - cap[1], 3 + 4);
	mock_stop(m);
}
END_TEST

START_TEST(fd_limit_caps_sessions)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 port = h_free_port(AF_INET);
	char		 dbuf[64], conf[256], replied[100];
	const char	*dir = tmpdir(dbuf, sizeof(dbuf));
	struct daemon	*d;
	long long	 cap, v;
	int64_t		 deadline;
	int		 c[100], i, n;

	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	h_write_file(conf, "routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:%u\";"
	    " upstream = \"127.0.0.1:%u\"; idle_timeout = 0.5; }\n"
	    ");\n", port, m->port);
	ck_assert_ptr_nonnull(d = daemon_start_rlimit(dir, conf, 48, 48));
	cap = daemon_max_sessions(d);
	/* Room for every session's socket under the 48 descriptors. */
	ck_assert_msg(cap >= 1 && cap <= 48 - 8, "max_sessions=%lld", cap);
	for (i = 0; i < 100; i++)
		ck_assert_int_ne(c[i] = client_open(AF_INET, port), -1);

	/* The first cap clients get sessions, the rest are dropped. */
	n = burst(c, 0, 100, replied, (int)cap);
	ck_assert_int_eq(n, cap);
	for (i = 0; i < cap; i++)
		ck_assert_msg(replied[i], "early client %d got no reply", i);
	ck_assert_int_eq(daemon_stat(d, "a", "drop_session_limit"),
	    100 - cap);
	ck_assert_int_eq(daemon_stat(d, "a", "drop_socket_error"), 0);
	ck_assert_int_eq(daemon_stat(d, "a", "sessions_created"), cap);
	ck_assert_int_eq(kill(d->pid, 0), 0);

	/* Idle expiry frees the slots for new clients. */
	deadline = now_ms() + 5000LL * h_slow();
	while ((v = daemon_stat(d, "a", "sessions_active")) != 0 &&
	    now_ms() < deadline)
		h_sleep_ms(100);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(daemon_stat(d, "a", "sessions_expired"), cap);
	n = burst(c, 50, 100, replied, (int)cap);
	ck_assert_int_eq(n, cap);
	for (i = 50; i < 50 + cap; i++)
		ck_assert_msg(replied[i], "late client %d got no reply", i);
	ck_assert_int_eq(daemon_stat(d, "a", "drop_session_limit"),
	    (100 - cap) + (50 - cap));
	ck_assert_int_eq(daemon_stat(d, "a", "drop_socket_error"), 0);

	for (i = 0; i < 100; i++)
		close(c[i]);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	mock_stop(m);
	rmtree(dir);
}
END_TEST

int
main(int argc, char *argv[])
{
	Suite		*s;
	TCase		*tc;
	const char	*name = argc > 0 ? strrchr(argv[0], '/') : NULL;
	int		 rc;

	(void)argc;
	/* Orphaned daemons of failed tests come here, to be killed below. */
	subreaper();
	/*
	 * The cases that need root run as their own program (the same code
	 * built as check_daemon_root), so that elsewhere only they are
	 * reported as skipped.
	 */
	if (name != NULL && strcmp(name + 1, "check_daemon_root") == 0) {
		if (geteuid() != 0) {
			fprintf(stderr, "check_daemon_root: SKIP: not root\n");
			return 77;
		}
		s = suite_create("daemon_root");
		tc = tcase_create("root");
		tcase_add_checked_fixture(tc, subreaper, NULL);
		tcase_set_timeout(tc, 20);
		tcase_add_test(tc, syslog_when_daemonized);
		tcase_add_test(tc, privilege_drop);
		tcase_add_test(tc, privilege_drop_without_bind_cap);
		suite_add_tcase(s, tc);
		rc = h_run_suite(s);
		udproxy_children(1);
		return rc;
	}
	s = suite_create("daemon");

	tc = tcase_create("daemonize");
	tcase_add_checked_fixture(tc, subreaper, NULL);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, daemonize);
	tcase_add_test(tc, access_log_when_daemonized);
	tcase_add_test(tc, second_instance);
	tcase_add_test(tc, sigterm_removes_pidfile);
	tcase_add_test(tc, pidfile_setting);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_add_checked_fixture(tc, subreaper, NULL);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, fail_bad_config);
	tcase_add_test(tc, fail_port_in_use);
	tcase_add_test(tc, fail_no_such_user);
	suite_add_tcase(s, tc);

	tc = tcase_create("cli");
	tcase_add_checked_fixture(tc, subreaper, NULL);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, cli_test_config);
	tcase_add_test(tc, cli_flags);
	tcase_add_test(tc, cli_errors_escaped);
	tcase_add_test(tc, cli_strict_modes);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, subreaper, NULL);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, rlimit_raised);
	tcase_add_test(tc, global_max_sessions);
	tcase_add_test(tc, fd_limit_caps_sessions);
	tcase_add_test(tc, fd_budget_counts_workers);
	suite_add_tcase(s, tc);

	rc = h_run_suite(s);
	udproxy_children(1);
	return rc;
}
