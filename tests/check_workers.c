/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * `workers = 2` against the real daemon: two threads, each with its own
 * SO_REUSEPORT listener, sessions and counters. Many clients at once must
 * each get their own replies (no cross-talk), keep one upstream source
 * port for the life of their session (the kernel's reuseport hash pins a
 * client to a worker), land on both workers, and be counted exactly in
 * the summed figures; a reload and a binary upgrade keep every session;
 * a route's max_sessions is split over the workers; SIGTERM ends it
 * cleanly. The test process is a child subreaper, so the process an
 * upgrade starts comes back to it and is ended here, by pid.
 */
#include "autoconf.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <dirent.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define NCLIENTS	200

static const char	*dir;
static char		 conf[256], sock[100];

static void
setup(void)
{
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	dir = h_tmpdir();
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
}

static void
writeconf(const char *global, uint16_t lp, uint16_t up, const char *route)
{
	h_write_file(conf, "control = \"%s\";\n%s\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; %s } );\n", sock, global, lp, up,
	    route);
}

static void
ctl(struct h_run *r, const char *cmd)
{
	h_run(r, dir, "-s", cmd, "-c", conf, (char *)NULL);
}

/* The value after "KEY " on its own line of a status reply, or -1. */
static long long
status_value(const char *out, const char *key)
{
	char		 needle[64];
	const char	*p;

	snprintf(needle, sizeof(needle), "\n%s ", key);
	if (strncmp(out, needle + 1, strlen(needle) - 1) == 0)
		p = out + strlen(needle) - 1;
	else if ((p = strstr(out, needle)) != NULL)
		p += strlen(needle);
	else
		return -1;
	return strtoll(p, NULL, 10);
}

/*
 * Every client sends "c<i>-<round>" at once; then the replies are
 * gathered (bounded). Each reply must be the client's own payload from
 * MOCK_PEER ("u <port> c<i>-<round>"); port[i] gets the upstream source
 * port it came from. Returns how many clients got their reply.
 */
static int
burst(const int *fds, int n, int round, unsigned int *port)
{
	struct pollfd	 pfd[NCLIENTS];
	char		 msg[32], buf[128], tag[8], payload[64];
	unsigned int	 p;
	int		 i, got = 0, *done;
	int64_t		 deadline;
	ssize_t		 len;

	ck_assert_int_le(n, NCLIENTS);
	done = calloc((size_t)n, sizeof(*done));
	for (i = 0; i < n; i++) {
		snprintf(msg, sizeof(msg), "c%d-%d", i, round);
		ck_assert_int_eq(send(fds[i], msg, strlen(msg), 0),
		    (ssize_t)strlen(msg));
	}
	deadline = h_now_ms() + 3000LL * h_slow();
	while (got < n && h_now_ms() < deadline) {
		for (i = 0; i < n; i++) {
			pfd[i].fd = done[i] ? -1 : fds[i];
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, (nfds_t)n, 50) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if ((pfd[i].revents & POLLIN) == 0)
				continue;
			if ((len = recv(fds[i], buf, sizeof(buf) - 1, 0)) <= 0)
				continue;
			buf[len] = '\0';
			snprintf(msg, sizeof(msg), "c%d-%d", i, round);
			ck_assert_int_eq(sscanf(buf, "%7s %u %63s", tag, &p,
			    payload), 3);
			ck_assert_str_eq(tag, "u");
			ck_assert_msg(strcmp(payload, msg) == 0,
			    "client %d got '%s', sent '%s'", i, payload, msg);
			port[i] = p;
			done[i] = 1;
			got++;
		}
	}
	free(done);
	return got;
}

/* The worker threads of pid, by their name "udproxy/K". */
static int
worker_threads(pid_t pid)
{
	char		 path[300], name[64];
	DIR		*d;
	FILE		*f;
	struct dirent	*e;
	int		 n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task/%s/comm",
		    (long)pid, e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(name, sizeof(name), f) != NULL &&
		    strncmp(name, "udproxy/", 8) == 0)
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

/* The process an upgrade started ends cleanly on SIGTERM. */
static void
reap(long pid)
{
	int	status = h_reap((pid_t)pid, 5000);

	ck_assert_msg(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "pid %ld: status %d", pid, status);
}

/* Each worker's sessions from "worker K sessions N"; both must serve. */
static void
check_spread(const char *out, long long total)
{
	long long	w0 = -1, w1 = -1;
	const char	*p;

	if ((p = strstr(out, "\nworker 0 sessions ")) != NULL)
		w0 = strtoll(p + 19, NULL, 10);
	if ((p = strstr(out, "\nworker 1 sessions ")) != NULL)
		w1 = strtoll(p + 19, NULL, 10);
	ck_assert_msg(w0 > 0 && w1 > 0 && w0 + w1 == total,
	    "worker sessions %lld + %lld, want %lld in all: %s", w0, w1,
	    total, out);
	ck_assert_ptr_null(strstr(out, "\nworker 2 "));
}

START_TEST(sessions_pinned_across_reload_and_upgrade)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PEER, "u");
	uint16_t	 lp = h_free_port(AF_INET);
	unsigned int	 first[NCLIENTS], port[NCLIENTS];
	int		 fds[NCLIENTS], i, j, round;
	struct daemon	*d;
	struct h_run	 r;
	long		 newpid;

	writeconf("workers = 2;", lp, m->port, "");
	d = daemon_start(dir, conf, NULL);
	ck_assert_ptr_nonnull(d);
	/* Worker 0 is the main thread; worker 1 has its own. */
	ck_assert_int_eq(worker_threads(d->pid), 1);
	for (i = 0; i < NCLIENTS; i++)
		ck_assert_int_ge(fds[i] = client_open(AF_INET, lp), 0);
	ck_assert_int_eq(burst(fds, NCLIENTS, 0, first), NCLIENTS);
	/* One session, so one upstream source port, per client. */
	for (i = 0; i < NCLIENTS; i++)
		for (j = i + 1; j < NCLIENTS; j++)
			ck_assert_msg(first[i] != first[j], "clients %d and "
			    "%d share upstream port %u", i, j, first[i]);
	for (round = 1; round < 3; round++) {
		ck_assert_int_eq(burst(fds, NCLIENTS, round, port), NCLIENTS);
		for (i = 0; i < NCLIENTS; i++)
			ck_assert_uint_eq(port[i], first[i]);
	}
	ctl(&r, "status");
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_int_eq(status_value(r.out, "workers"), 2);
	ck_assert_int_eq(status_value(r.out, "sessions"), NCLIENTS);
	check_spread(r.out, NCLIENTS);
	/* The figures are the sum over both workers, exactly. */
	ck_assert_int_eq(daemon_stat(d, "a", "rx_datagrams"), 3 * NCLIENTS);
	ck_assert_int_eq(daemon_stat(d, "a", "tx_datagrams"), 3 * NCLIENTS);
	ck_assert_int_eq(daemon_stat(d, "a", "sessions_created"), NCLIENTS);
	ck_assert_int_eq(daemon_stat(d, "a", "sessions_active"), NCLIENTS);

	/*
	 * A reload that changes a tunable and asks for a third worker: the
	 * sessions stay on their workers, the count waits for a restart.
	 */
	writeconf("workers = 3;", lp, m->port, "idle_timeout = 120;");
	ctl(&r, "reload");
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out, "sessions 200 kept, 0 closed") != NULL,
	    "%s", r.out);
	ck_assert_int_eq(daemon_log_count(d, "workers 3: 2 running; takes "
	    "effect when the daemon is stopped and started again"), 1);
	ck_assert_int_eq(burst(fds, NCLIENTS, 3, port), NCLIENTS);
	for (i = 0; i < NCLIENTS; i++)
		ck_assert_uint_eq(port[i], first[i]);
	ck_assert_int_eq(worker_threads(d->pid), 1);

	/* A binary upgrade hands both workers' listeners and sessions over. */
	writeconf("workers = 2;", lp, m->port, "idle_timeout = 120;");
	ctl(&r, "upgrade");
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_int_eq(sscanf(r.out, "upgraded to pid %ld", &newpid), 1);
	ck_assert_int_eq(daemon_wait_exit(d, 5000 * h_slow()), 0);
	ck_assert_int_eq(burst(fds, NCLIENTS, 4, port), NCLIENTS);
	for (i = 0; i < NCLIENTS; i++)
		ck_assert_uint_eq(port[i], first[i]);
	ctl(&r, "status");
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_int_eq(status_value(r.out, "pid"), newpid);
	ck_assert_int_eq(status_value(r.out, "workers"), 2);
	check_spread(r.out, NCLIENTS);
	ck_assert_int_eq(worker_threads((pid_t)newpid), 1);
	ctl(&r, "stats");
	ck_assert_msg(r.status == 0, "%s", r.err);
	/* The counters came along: 5 rounds in all, no new session. */
	ck_assert_msg(strstr(r.out, " rx_datagrams=1000 ") != NULL &&
	    strstr(r.out, " sessions_created=200 ") != NULL, "%s", r.out);

	kill((pid_t)newpid, SIGTERM);
	reap(newpid);
	for (i = 0; i < NCLIENTS; i++)
		close(fds[i]);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

/* The sessions a status reply lists per worker, added up. */
static long long
worker_sessions_sum(const char *out)
{
	char		 key[32];
	long long	 v, sum = 0;
	int		 k;

	for (k = 0; k < 64; k++) {
		snprintf(key, sizeof(key), "worker %d sessions", k);
		if ((v = status_value(out, key)) < 0)
			break;
		sum += v;
	}
	return sum;
}

/*
 * A route's max_sessions and the global max_sessions each hold over all
 * workers together (one count): of 40 new clients exactly 10 get a
 * session on a route limited to 10, exactly 1 on a route limited to 1,
 * and with a global limit of 7 exactly 7; the others are counted.
 */
START_TEST(limits_over_all_workers)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_PEER, "u");
	uint16_t	 lp = h_free_port(AF_INET), lp1 = h_free_port(AF_INET);
	unsigned int	 port[40];
	int		 fds[40], i;
	struct daemon	*d;
	struct h_run	 r;

	h_write_file(conf, "control = \"%s\";\nworkers = 2;\nroutes = (\n"
	    " { name = \"a\"; listen = \"127.0.0.1:%u\"; upstream = "
	    "\"127.0.0.1:%u\"; max_sessions = 10; },\n"
	    " { name = \"b\"; listen = \"127.0.0.1:%u\"; upstream = "
	    "\"127.0.0.1:%u\"; max_sessions = 1; } );\n", sock, lp, m->port,
	    lp1, m->port);
	d = daemon_start(dir, conf, NULL);
	ck_assert_ptr_nonnull(d);
	for (i = 0; i < 40; i++)
		ck_assert_int_ge(fds[i] = client_open(AF_INET, lp), 0);
	ck_assert_int_eq(burst(fds, 40, 0, port), 10);
	ctl(&r, "status");
	ck_assert_int_eq(status_value(r.out, "sessions"), 10);
	ck_assert_int_eq(worker_sessions_sum(r.out), 10);
	ck_assert_int_eq(daemon_stat(d, "a", "drop_session_limit"), 30);
	for (i = 0; i < 40; i++) {
		close(fds[i]);
		ck_assert_int_ge(fds[i] = client_open(AF_INET, lp1), 0);
	}
	ck_assert_int_eq(burst(fds, 40, 1, port), 1);
	ck_assert_int_eq(daemon_stat(d, "b", "drop_session_limit"), 39);
	for (i = 0; i < 40; i++)
		close(fds[i]);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);

	/* A directory of its own: daemon_start waits for its own log. */
	dir = h_tmpdir();
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	writeconf("workers = 2;\nmax_sessions = 7;", lp, m->port, "");
	d = daemon_start(dir, conf, NULL);
	ck_assert_ptr_nonnull(d);
	for (i = 0; i < 40; i++)
		ck_assert_int_ge(fds[i] = client_open(AF_INET, lp), 0);
	ck_assert_int_eq(burst(fds, 40, 2, port), 7);
	ctl(&r, "status");
	ck_assert_int_eq(worker_sessions_sum(r.out), 7);
	ck_assert_int_eq(daemon_stat(d, "a", "drop_session_limit"), 33);
	for (i = 0; i < 40; i++)
		close(fds[i]);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

/* The CPUs this process may run on, as "auto" counts them. */
static long
affinity_cpus(void)
{
	cpu_set_t	set;

	CPU_ZERO(&set);
	ck_assert_int_eq(sched_getaffinity(0, sizeof(set), &set), 0);
	return CPU_COUNT(&set);
}

/* "auto": one worker per CPU it may run on; SIGTERM ends them all. */
START_TEST(workers_auto)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 lp = h_free_port(AF_INET);
	long		 ncpu = affinity_cpus();
	struct daemon	*d;
	struct h_run	 r;
	char		 buf[64];
	int		 fd;

	if (ncpu > 64)
		ncpu = 64;
	writeconf("workers = \"auto\";", lp, m->port, "");
	d = daemon_start(dir, conf, NULL);
	ck_assert_ptr_nonnull(d);
	if (ncpu > 1) {
		snprintf(buf, sizeof(buf), "%ld workers (auto: the CPUs "
		    "udproxy may run on)", ncpu);
		ck_assert_int_eq(daemon_log_count(d, buf), 1);
	}
	ctl(&r, "status");
	ck_assert_int_eq(status_value(r.out, "workers"), ncpu);
	ck_assert_int_eq(worker_threads(d->pid), ncpu - 1);
	ck_assert_int_ge(fd = client_open(AF_INET, lp), 0);
	ck_assert_int_eq(client_rt_str(fd, "auto", buf, sizeof(buf), 2000), 0);
	ck_assert_str_eq(buf, "auto");
	close(fd);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

/*
 * SO_REUSEPORT would let a second daemon of the same user join the
 * listeners' group and silently take half the clients: a new group is
 * only made where nobody listens, so the second start fails instead.
 */
START_TEST(port_not_shared_with_another_daemon)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 lp = h_free_port(AF_INET);
	char		 conf2[300], dir2[256];
	struct daemon	*d, *d2;
	int		 i, fd[20];
	char		 buf[64];

	writeconf("workers = 2;", lp, m->port, "");
	d = daemon_start(dir, conf, NULL);
	ck_assert_ptr_nonnull(d);
	snprintf(dir2, sizeof(dir2), "%s", h_tmpdir());
	snprintf(conf2, sizeof(conf2), "%s/second.conf", dir2);
	h_write_file(conf2, "workers = 2;\nroutes = ( { name = \"a\"; "
	    "listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; } );\n",
	    lp, m->port);
	d2 = daemon_start_nowait(dir2, conf2, NULL);
	ck_assert_ptr_nonnull(d2);
	ck_assert_int_eq(daemon_wait_exit(d2, 5000), 0);
	ck_assert_msg(WIFEXITED(d2->status) && WEXITSTATUS(d2->status) == 1,
	    "second daemon: status %d", d2->status);
	ck_assert_int_eq(daemon_log_count(d2, "Address already in use"), 1);
	daemon_free(d2);
	/* Every client is still the first daemon's (all open: 20 ports). */
	for (i = 0; i < 20; i++) {
		ck_assert_int_ge(fd[i] = client_open(AF_INET, lp), 0);
		ck_assert_int_eq(client_rt_str(fd[i], "mine", buf,
		    sizeof(buf), 2000), 0);
	}
	ck_assert_int_eq(daemon_stat(d, "a", "sessions_created"), 20);
	for (i = 0; i < 20; i++)
		close(fd[i]);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

/* The first word of a MOCK_PEER reply to msg on fd. */
static void
rt_tag(int fd, const char *msg, char *tag, size_t taglen)
{
	char	buf[256];

	ck_assert_int_eq(client_rt_str(fd, msg, buf, sizeof(buf), 2000), 0);
	snprintf(tag, taglen, "%.*s", (int)strcspn(buf, " "), buf);
}

/*
 * Health checks run once per route, on worker 0, whatever the workers:
 * one probe per interval, one "down" and one "up" line per transition,
 * and every worker follows the verdict (new clients, spread over both
 * workers, all go to the member still up).
 */
START_TEST(health_checked_once_for_all_workers)
{
	struct mock	*m1 = mock_start(AF_INET, 0, MOCK_PEER, "one");
	struct mock	*m2 = mock_start(AF_INET, h_free_port(AF_INET),
			    MOCK_PEER, "two");
	uint16_t	 lp = h_free_port(AF_INET), p2 = m2->port;
	char		 tag[32], down[128], up[128], route[256];
	struct daemon	*d;
	struct h_run	 r;
	int		 fd[40], i, twos = 0;

	snprintf(route, sizeof(route), "upstreams = ( \"127.0.0.1:%u\", "
	    "\"127.0.0.1:%u\" ); health_check = { interval = 0.1; "
	    "timeout = 0.05; send = \"ping\"; rise = 2; fall = 2; };",
	    m1->port, p2);
	h_write_file(conf, "control = \"%s\";\nworkers = 2;\nroutes = ( { "
	    "name = \"a\"; listen = \"127.0.0.1:%u\"; %s } );\n", sock, lp,
	    route);
	d = daemon_start(dir, conf, NULL);
	ck_assert_ptr_nonnull(d);
	snprintf(down, sizeof(down), "route a: upstream 127.0.0.1:%u is down",
	    p2);
	snprintf(up, sizeof(up), "route a: upstream 127.0.0.1:%u is up", p2);
	mock_stop(m2);
	ck_assert_int_eq(daemon_wait_log(d, down, 1, 5000), 0);
	/* Ten more intervals: still the one transition, logged once. */
	h_sleep_ms(1000);
	ck_assert_int_eq(daemon_log_count(d, down), 1);
	for (i = 0; i < 40; i++) {
		ck_assert_int_ge(fd[i] = client_open(AF_INET, lp), 0);
		rt_tag(fd[i], "x", tag, sizeof(tag));
		ck_assert_str_eq(tag, "one");
	}
	ctl(&r, "status");
	check_spread(r.out, 40);
	m2 = mock_start(AF_INET, p2, MOCK_PEER, "two");
	ck_assert_ptr_nonnull(m2);
	ck_assert_int_eq(daemon_wait_log(d, up, 1, 5000), 0);
	h_sleep_ms(1000);
	ck_assert_int_eq(daemon_log_count(d, up), 1);
	ck_assert_int_eq(daemon_log_count(d, down), 1);
	/* Both workers take "two" back: new clients reach it again. */
	for (i = 0; i < 40; i++) {
		close(fd[i]);
		ck_assert_int_ge(fd[i] = client_open(AF_INET, lp), 0);
		rt_tag(fd[i], "y", tag, sizeof(tag));
		twos += strcmp(tag, "two") == 0;
	}
	ck_assert_int_gt(twos, 0);
	for (i = 0; i < 40; i++)
		close(fd[i]);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	mock_stop(m1);
	mock_stop(m2);
}
END_TEST

/*
 * A verdict worker 0's monitor drops without a transition reaches every
 * worker: "two" checked down, then configured down (its check stops),
 * then configured up again (a fresh check, which starts up): both
 * workers pick it again, not only worker 0 (half the clients got "two"
 * on worker 0 only before the fix).
 */
START_TEST(health_verdict_dropped_by_reload)
{
	struct mock	*m1 = mock_start(AF_INET, 0, MOCK_PEER, "one");
	struct mock	*m2 = mock_start(AF_INET, h_free_port(AF_INET),
			    MOCK_PEER, "two");
	uint16_t	 lp = h_free_port(AF_INET), p2 = m2->port;
	static const char hc[] = "health_check = { interval = 0.1; "
	    "timeout = 0.05; send = \"ping\"; rise = 2; fall = 2; };";
	char		 tag[32], down[128];
	struct daemon	*d;
	struct h_run	 r;
	int		 fd[40], i, twos = 0;

	h_write_file(conf, "control = \"%s\";\nworkers = 2;\nroutes = ( { "
	    "name = \"a\"; listen = \"127.0.0.1:%u\"; upstreams = ( "
	    "\"127.0.0.1:%u\", \"127.0.0.1:%u\" ); %s } );\n", sock, lp,
	    m1->port, p2, hc);
	d = daemon_start(dir, conf, NULL);
	ck_assert_ptr_nonnull(d);
	snprintf(down, sizeof(down), "route a: upstream 127.0.0.1:%u is down",
	    p2);
	mock_stop(m2);
	ck_assert_int_eq(daemon_wait_log(d, down, 1, 5000), 0);
	m2 = mock_start(AF_INET, p2, MOCK_PEER, "two");
	ck_assert_ptr_nonnull(m2);
	h_write_file(conf, "control = \"%s\";\nworkers = 2;\nroutes = ( { "
	    "name = \"a\"; listen = \"127.0.0.1:%u\"; upstreams = ( "
	    "\"127.0.0.1:%u\", { address = \"127.0.0.1:%u\"; down = true; "
	    "} ); %s } );\n", sock, lp, m1->port, p2, hc);
	ctl(&r, "reload");
	ck_assert_msg(r.status == 0, "%s", r.err);
	h_write_file(conf, "control = \"%s\";\nworkers = 2;\nroutes = ( { "
	    "name = \"a\"; listen = \"127.0.0.1:%u\"; upstreams = ( "
	    "\"127.0.0.1:%u\", \"127.0.0.1:%u\" ); %s } );\n", sock, lp,
	    m1->port, p2, hc);
	ctl(&r, "reload");
	ck_assert_msg(r.status == 0, "%s", r.err);
	h_sleep_ms(500);
	/* Round robin on each worker: about half of 40 clients get "two". */
	for (i = 0; i < 40; i++) {
		ck_assert_int_ge(fd[i] = client_open(AF_INET, lp), 0);
		rt_tag(fd[i], "z", tag, sizeof(tag));
		twos += strcmp(tag, "two") == 0;
	}
	ctl(&r, "status");
	check_spread(r.out, 40);
	ck_assert_msg(twos >= 18 && twos <= 22, "%d of 40 clients on two",
	    twos);
	for (i = 0; i < 40; i++)
		close(fd[i]);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	mock_stop(m1);
	mock_stop(m2);
}
END_TEST

/* Waits (bounded) until status says the daemon has n sessions. */
static void
wait_sessions(long long n)
{
	struct h_run	r;
	int		i;

	for (i = 0; i < 100 * h_slow(); i++) {
		ctl(&r, "status");
		if (status_value(r.out, "sessions") == n)
			return;
		h_sleep_ms(50);
	}
	ck_abort_msg("sessions never %lld: %s", n, r.out);
}

/*
 * A route's slot reserved by one worker while the global budget was full
 * goes back: once room comes free, a new client of the route is served
 * on whichever worker the kernel gives it (it was refused on the other
 * worker for as long as the first held the slot). Four rounds, as the
 * kernel's hash decides the worker.
 */
START_TEST(route_slot_not_kept_at_global_limit)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 la = h_free_port(AF_INET), lb = h_free_port(AF_INET);
	char		 buf[64];
	struct daemon	*d;
	int		 round, i, ca, cb[6], c;

	h_write_file(conf, "control = \"%s\";\nworkers = 2;\n"
	    "max_sessions = 1;\nroutes = (\n"
	    " { name = \"a\"; listen = \"127.0.0.1:%u\"; upstream = "
	    "\"127.0.0.1:%u\"; idle_timeout = 0.3; },\n"
	    " { name = \"b\"; listen = \"127.0.0.1:%u\"; upstream = "
	    "\"127.0.0.1:%u\"; idle_timeout = 0.3; max_sessions = 1; } );\n",
	    sock, la, m->port, lb, m->port);
	d = daemon_start(dir, conf, NULL);
	ck_assert_ptr_nonnull(d);
	for (round = 0; round < 4; round++) {
		ck_assert_int_ge(ca = client_open(AF_INET, la), 0);
		ck_assert_int_eq(client_rt_str(ca, "a", buf, sizeof(buf),
		    2000), 0);
		/* The global budget is full: b's clients are refused. */
		for (i = 0; i < 6; i++) {
			ck_assert_int_ge(cb[i] = client_open(AF_INET, lb), 0);
			ck_assert_int_eq(send(cb[i], "b", 1, 0), 1);
		}
		for (i = 0; i < 6; i++) {
			ck_assert_int_le(client_recv(cb[i], buf, sizeof(buf),
			    i == 0 ? 300 : 10), 0);
			close(cb[i]);
		}
		close(ca);
		wait_sessions(0);
		/* Room again: b's next client is served, on either worker. */
		ck_assert_int_ge(c = client_open(AF_INET, lb), 0);
		ck_assert_msg(client_rt_str(c, "b", buf, sizeof(buf),
		    2000) == 0, "round %d: refused with the budget free",
		    round);
		close(c);
		wait_sessions(0);
	}
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

/*
 * A worker whose event loop fails takes the daemon down, loudly: exit
 * status 1 and the reason in the log, never a daemon that runs on with
 * some of its clients unserved. The shim fails worker 1's epoll_wait once
 * a file exists; SIGUSR1 (the stats pause) wakes every worker.
 */
START_TEST(worker_failure_is_fatal)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 lp = h_free_port(AF_INET);
	const char	*shim = getenv("UDPROXY_SHIM");
	char		 trigger[256];
	struct daemon	*d;

	if (shim == NULL || access(shim, R_OK) == -1) {
		h_skip("worker_failure_is_fatal: no UDPROXY_SHIM "
		    "(tests/shim.so)");
		mock_stop(m);
		return;
	}
	snprintf(trigger, sizeof(trigger), "%s/fail-worker", dir);
	writeconf("workers = 2;", lp, m->port, "");
	setenv("SHIM_EPOLL_WAIT_FAIL", trigger, 1);
	/* Under --enable-asan the shim comes before ASan's runtime. */
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
	setenv("LD_PRELOAD", shim, 1);
	d = daemon_start(dir, conf, NULL);
	unsetenv("LD_PRELOAD");
	unsetenv("SHIM_EPOLL_WAIT_FAIL");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(worker_threads(d->pid), 1);
	h_write_file(trigger, "now\n");
	daemon_signal(d, SIGUSR1);
	ck_assert_int_eq(daemon_wait_exit(d, 5000 * h_slow()), 0);
	ck_assert_msg(d->exited && WIFEXITED(d->status) &&
	    WEXITSTATUS(d->status) == 1, "status %d", d->status);
	ck_assert_int_eq(daemon_log_count(d, "worker 1: its event loop "
	    "ended (an error in the event backend)"), 1);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("workers");
	TCase	*tc = tcase_create("workers");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, sessions_pinned_across_reload_and_upgrade);
	tcase_add_test(tc, limits_over_all_workers);
	tcase_add_test(tc, workers_auto);
	tcase_add_test(tc, worker_failure_is_fatal);
	tcase_add_test(tc, health_checked_once_for_all_workers);
	tcase_add_test(tc, health_verdict_dropped_by_reload);
	tcase_add_test(tc, route_slot_not_kept_at_global_limit);
	tcase_add_test(tc, port_not_shared_with_another_daemon);
	suite_add_tcase(s, tc);
	return h_run_suite(s);
}
