/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <ftw.h>
#include <poll.h>
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
#include "proxyproto.h"

#define H_MAX_CHILDREN	64

/* Children still running, ended at exit even when an assertion fails. */
static pid_t	h_children[H_MAX_CHILDREN];
static pid_t	h_owner;

static void
h_cleanup(void)
{
	int	i;

	if (getpid() != h_owner)
		return;
	for (i = 0; i < H_MAX_CHILDREN; i++) {
		if (h_children[i] > 0) {
			kill(h_children[i], SIGKILL);
			waitpid(h_children[i], NULL, 0);
			h_children[i] = 0;
		}
	}
}

static void
h_track(pid_t pid)
{
	int	i;

	if (h_owner != getpid()) {
		h_owner = getpid();
		memset(h_children, 0, sizeof(h_children));
		atexit(h_cleanup);
	}
	for (i = 0; i < H_MAX_CHILDREN; i++) {
		if (h_children[i] == 0) {
			h_children[i] = pid;
			return;
		}
	}
}

static void
h_untrack(pid_t pid)
{
	int	i;

	for (i = 0; i < H_MAX_CHILDREN; i++)
		if (h_children[i] == pid)
			h_children[i] = 0;
}

int
h_slow(void)
{
	const char	*s = getenv("UDPROXY_TEST_SLOW");
	int		 n;

	if (s == NULL || (n = atoi(s)) < 1)
		return 1;
	return n;
}

int64_t
h_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
h_sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

#define H_MAX_DIRS	32

static char	h_dirs[H_MAX_DIRS][64];
static pid_t	h_dirs_owner;

static int
h_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Temp directories go away when the test process ends. */
static void
h_rmdirs(void)
{
	int	i;

	if (getpid() != h_dirs_owner || getenv("UDPROXY_TEST_KEEP") != NULL)
		return;
	for (i = 0; i < H_MAX_DIRS; i++)
		if (h_dirs[i][0] != '\0')
			nftw(h_dirs[i], h_rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

const char *
h_tmpdir(void)
{
	int	i;

	if (h_dirs_owner != getpid()) {
		h_dirs_owner = getpid();
		memset(h_dirs, 0, sizeof(h_dirs));
		atexit(h_rmdirs);
	}
	for (i = 0; i < H_MAX_DIRS - 1 && h_dirs[i][0] != '\0'; i++)
		;
	snprintf(h_dirs[i], sizeof(h_dirs[i]), "/tmp/udproxy-test.XXXXXX");
	if (mkdtemp(h_dirs[i]) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	return h_dirs[i];
}

void
h_write_file(const char *path, const char *fmt, ...)
{
	char	 tmp[256];
	FILE	*f;
	va_list	 ap;

	/* Replace atomically, as the man page tells operators to. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL) {
		perror(tmp);
		exit(1);
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	if (rename(tmp, path) == -1) {
		perror(path);
		exit(1);
	}
}

static socklen_t
h_loopback(int family, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	sin6->sin6_addr = in6addr_loopback;
	return sizeof(*sin6);
}

static uint16_t
h_local_port(int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/*
 * Test ports. Picking a port the kernel just handed out for port 0 and
 * closing it raced: until the daemon binds it, any socket bound to port 0
 * or connect()ed anywhere on the machine (another test's mock, client, or
 * daemon upstream socket, under make -j) may get the same number from the
 * ephemeral range, and so may another test's pick. Instead, test ports
 * come from below net.ipv4.ip_local_port_range, which the kernel never
 * hands out by itself, cut into slots of H_PORT_SLOT ports. A test
 * process takes a slot with an exclusive flock(2) on the slot's file in
 * H_PORT_DIR (shared by every tree's make check of this user), held until
 * the process ends however it ends, and hands out its ports one after the
 * other, never twice; a port that will not bind now (UDP and TCP, some
 * other program holds it) is skipped. Two test processes thus never hold
 * the same port, and no port-0 socket can take one.
 */
#define H_PORT_LOW	10000
#define H_PORT_SLOT	64
#define H_PORT_DIR	"/tmp/udproxy-test-ports"

static struct {
	pid_t		pid;		/* the process holding the slot */
	int		fd;
	unsigned int	next, end;	/* ports left: [next, end) */
} h_ports;

/* The ports the kernel does not hand out for port 0: [*lo, *hi). */
static void
h_port_range(unsigned int *lo, unsigned int *hi)
{
	FILE		*f = fopen("/proc/sys/net/ipv4/ip_local_port_range",
			    "r");
	unsigned int	 elo = 32768, ehi = 60999;

	if (f != NULL) {
		if (fscanf(f, "%u %u", &elo, &ehi) != 2) {
			elo = 32768;
			ehi = 60999;
		}
		fclose(f);
	}
	if (elo >= H_PORT_LOW + 16 * H_PORT_SLOT) {
		*lo = H_PORT_LOW;
		*hi = elo;
	} else {
		*lo = ehi + 1 > 1024 ? ehi + 1 : 1024;
		*hi = 65536;
	}
}

/* Takes the next free slot; 0, or -1 if every slot is held. */
static int
h_port_slot(void)
{
	char		 path[128];
	unsigned int	 lo, hi, n;
	int		 fd;

	/*
	 * A full slot stays held (its ports may still be in use or about
	 * to be); a copy inherited from the parent is the parent's to hold.
	 */
	if (h_ports.pid != getpid() && h_ports.pid != 0 && h_ports.fd != -1)
		close(h_ports.fd);
	h_ports.pid = getpid();
	h_ports.fd = -1;
	h_port_range(&lo, &hi);
	snprintf(path, sizeof(path), "%s.%u", H_PORT_DIR, (unsigned)getuid());
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return -1;
	for (n = 0; lo + (n + 1) * H_PORT_SLOT <= hi; n++) {
		snprintf(path, sizeof(path), "%s.%u/%u", H_PORT_DIR,
		    (unsigned)getuid(), lo + n * H_PORT_SLOT);
		if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		    0600)) == -1)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			h_ports.fd = fd;
			h_ports.next = lo + n * H_PORT_SLOT;
			h_ports.end = h_ports.next + H_PORT_SLOT;
			return 0;
		}
		close(fd);
	}
	return -1;
}

/* Whether a socket of this type binds family's loopback at port now. */
static int
h_port_binds(int family, int type, uint16_t port)
{
	struct sockaddr_storage	ss;
	socklen_t		len = h_loopback(family, port, &ss);
	int			fd, rc;

	if ((fd = socket(family, type, 0)) == -1) {
		perror("h_free_port: socket");
		exit(1);
	}
	rc = bind(fd, (struct sockaddr *)&ss, len);
	if (rc == -1 && errno != EADDRINUSE && errno != EACCES) {
		perror("h_free_port: bind");
		exit(1);
	}
	close(fd);
	return rc == 0;
}

/* A loopback port (UDP and TCP) that no other test process is given. */
uint16_t
h_free_port(int family)
{
	uint16_t	port;

	for (;;) {
		if (h_ports.pid != getpid() || h_ports.next >= h_ports.end) {
			if (h_port_slot() == -1) {
				fprintf(stderr, "h_free_port: no free slot in "
				    "%s.%u\n", H_PORT_DIR, (unsigned)getuid());
				exit(1);
			}
		}
		port = (uint16_t)h_ports.next++;
		if (h_port_binds(family, SOCK_DGRAM, port) &&
		    h_port_binds(family, SOCK_STREAM, port))
			return port;
	}
}

/* Whether 127.0.0.1:port is free: nobody, the daemon included, holds it. */
int
h_port_bindable(uint16_t port)
{
	struct sockaddr_storage	ss;
	socklen_t		len = h_loopback(AF_INET, port, &ss);
	int			fd, ok;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return 0;
	ok = bind(fd, (struct sockaddr *)&ss, len) == 0;
	close(fd);
	return ok;
}

static const char *
mock_fmt(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char	ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip,
		    ntohs(((const struct sockaddr_in *)ss)->sin_port));
	} else {
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)ss)->sin6_addr, ip,
		    sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip,
		    ntohs(((const struct sockaddr_in6 *)ss)->sin6_port));
	}
	return buf;
}

/* MOCK_PROXY: what the header at the start of buf says, then the rest. */
static int
mock_proxy(const char *tag, const unsigned char *buf, size_t n, char *out,
    size_t outlen)
{
	struct proxyproto	h;
	char			src[80], dst[80];
	int			rc = 0, len;

	if (!proxyproto_has_sig(buf, n))
		len = snprintf(out, outlen, "%s - ", tag);
	else if ((rc = proxyproto_decode(buf, n, &h)) != 0)
		return snprintf(out, outlen, "%s bad %s", tag,
		    proxyproto_strerror(rc));
	else if (h.cmd == PROXYPROTO_CMD_LOCAL ||
	    h.src.ss_family == AF_UNSPEC)
		len = snprintf(out, outlen, "%s LOCAL ", tag);
	else
		len = snprintf(out, outlen, "%s %s %s%s%.*s ", tag,
		    mock_fmt(&h.src, src, sizeof(src)),
		    mock_fmt(&h.dst, dst, sizeof(dst)),
		    h.authority != NULL ? " auth=" : "",
		    (int)h.authority_len,
		    h.authority != NULL ? (const char *)h.authority : "");
	if (proxyproto_has_sig(buf, n) && rc == 0) {
		buf += h.len;
		n -= h.len;
	}
	memcpy(out + len, buf, n);
	return len + (int)n;
}

static void
mock_serve(int fd, enum mock_mode mode, const char *tag)
{
	struct sockaddr_storage	 peer;
	socklen_t		 plen;
	static char		 buf[65536], out[65536 + 128];
	struct pollfd		 pfd = { fd, POLLIN, 0 };
	ssize_t			 n;
	int			 len;

	for (;;) {
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		plen = sizeof(peer);
		n = recvfrom(fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&peer, &plen);
		if (n < 0)
			continue;
		switch (mode) {
		case MOCK_ECHO:
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer,
			    plen);
			break;
		case MOCK_TWICE:
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer,
			    plen);
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer,
			    plen);
			break;
		case MOCK_TRICKLE:
			for (len = 0; len < MOCK_TRICKLE_COUNT; len++) {
				if (len > 0)
					h_sleep_ms(100);
				sendto(fd, buf, (size_t)n, 0,
				    (struct sockaddr *)&peer, plen);
			}
			break;
		case MOCK_HUNDRED:
			for (len = 0; len < MOCK_HUNDRED_COUNT; len++)
				sendto(fd, buf, (size_t)n, 0,
				    (struct sockaddr *)&peer, plen);
			break;
		case MOCK_PEER:
			len = snprintf(out, 128, "%s %u ", tag,
			    peer.ss_family == AF_INET ?
			    ntohs(((struct sockaddr_in *)&peer)->sin_port) :
			    ntohs(((struct sockaddr_in6 *)&peer)->sin6_port));
			memcpy(out + len, buf, (size_t)n);
			sendto(fd, out, (size_t)len + (size_t)n, 0,
			    (struct sockaddr *)&peer, plen);
			break;
		case MOCK_PROXY:
			len = mock_proxy(tag, (unsigned char *)buf, (size_t)n,
			    out, sizeof(out));
			sendto(fd, out, (size_t)len, 0,
			    (struct sockaddr *)&peer, plen);
			break;
		}
	}
}

void
h_skip(const char *fmt, ...)
{
	const char	*path = getenv("UDPROXY_SKIPS");
	char		 line[512];
	va_list		 ap;
	int		 fd, n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	fprintf(stderr, "SKIP: %.*s", n, line);
	/* Forked cases report through a file that h_run_suite reads. */
	if (path != NULL && (fd = open(path, O_WRONLY | O_APPEND |
	    O_CLOEXEC)) != -1) {
		if (write(fd, line, (size_t)n) != n)
			perror("h_skip");
		close(fd);
	}
}

int
h_run_suite(struct Suite *s)
{
	char	 path[] = "/tmp/udproxy-skips.XXXXXX", buf[8192];
	SRunner	*sr;
	ssize_t	 n;
	int	 fd, failed;

	if ((fd = mkstemp(path)) == -1) {
		perror("h_run_suite: mkstemp");
		return 1;
	}
	setenv("UDPROXY_SKIPS", path, 1);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(path);
	unsetenv("UDPROXY_SKIPS");
	if (failed != 0)
		return 1;
	if (n > 0) {
		buf[n] = '\0';
		fprintf(stderr, "Some cases could not run here (SKIP):\n%s",
		    buf);
		return 77;
	}
	return 0;
}

/* AF_INET6 when ::1 can be bound here, else AF_INET (said once). */
int
h_family6(void)
{
	static int		 family;
	static pid_t		 said;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 fd;

	if (family != 0) {
		/* Each forked case that falls back says so. */
		if (family != AF_INET6 && said != getpid()) {
			h_skip("no IPv6 loopback here: the IPv6 cases ran on "
			    "IPv4");
			said = getpid();
		}
		return family;
	}
	len = h_loopback(AF_INET6, 0, &ss);
	family = AF_INET;
	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) != -1) {
		if (bind(fd, (struct sockaddr *)&ss, len) == 0)
			family = AF_INET6;
		close(fd);
	}
	/* They still run, but what they are about is not tested. */
	if (family != AF_INET6)
		h_skip("no IPv6 loopback here: the IPv6 cases ran on IPv4");
	said = getpid();
	return family;
}

/* The family of the address "localhost" resolves to first. */
int
h_localhost_family(void)
{
	struct addrinfo	 hints, *res;
	int		 family = AF_INET;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo("localhost", NULL, &hints, &res) == 0) {
		family = res->ai_family;
		freeaddrinfo(res);
	}
	return family;
}

struct mock *
mock_start(int family, uint16_t port, enum mock_mode mode, const char *tag)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = h_loopback(family, port, &ss);
	struct mock		*m;
	int			 fd;
	pid_t			 pid;

	if ((fd = socket(family, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, len) == -1) {
		perror("mock_start");
		if (fd != -1)
			close(fd);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	m->family = family;
	m->port = h_local_port(fd);
	if ((pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(300);	/* a mock never outlives a stuck test */
		mock_serve(fd, mode, tag != NULL ? tag : "mock");
		_exit(0);
	}
	close(fd);
	m->pid = pid;
	h_track(pid);
	return m;
}

void
mock_stop(struct mock *m)
{
	if (m == NULL)
		return;
	kill(m->pid, SIGKILL);
	waitpid(m->pid, NULL, 0);
	h_untrack(m->pid);
	free(m);
}

char *
daemon_log_read(struct daemon *d)
{
	struct stat	 st;
	char		*buf;
	FILE		*f;
	size_t		 n;

	if ((f = fopen(d->log, "r")) == NULL || fstat(fileno(f), &st) == -1) {
		if (f != NULL)
			fclose(f);
		return calloc(1, 1);
	}
	buf = malloc((size_t)st.st_size + 1);
	n = fread(buf, 1, (size_t)st.st_size, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int
daemon_log_count(struct daemon *d, const char *needle)
{
	char	*log = daemon_log_read(d), *p = log;
	int	 n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	free(log);
	return n;
}

static int
daemon_reap(struct daemon *d, int flags)
{
	if (d->exited)
		return 1;
	if (waitpid(d->pid, &d->status, flags) == d->pid) {
		d->exited = 1;
		h_untrack(d->pid);
		return 1;
	}
	return 0;
}

/* Waits until needle appears count times; 0 on success, -1 on timeout. */
int
daemon_wait_log(struct daemon *d, const char *needle, int count,
    int timeout_ms)
{
	int64_t	deadline = h_now_ms() + (int64_t)timeout_ms * h_slow();

	for (;;) {
		if (daemon_log_count(d, needle) >= count)
			return 0;
		if (h_now_ms() > deadline || daemon_reap(d, WNOHANG))
			return daemon_log_count(d, needle) >= count ? 0 : -1;
		h_sleep_ms(5);
	}
}

struct daemon *
daemon_start_nowait(const char *dir, const char *conf, const char *extra)
{
	struct daemon	*d;
	const char	*bin = getenv("UDPROXY_BIN");
	const char	*wrapper = getenv("UDPROXY_WRAPPER");
	char		 cmd[1024];
	pid_t		 pid;

	d = calloc(1, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	snprintf(d->conf, sizeof(d->conf), "%s", conf);
	snprintf(d->log, sizeof(d->log), "%s/daemon.log", dir);
	snprintf(cmd, sizeof(cmd), "exec %s %s -f -c '%s' %s 2>>'%s' "
	    "</dev/null >/dev/null", wrapper != NULL ? wrapper : "",
	    bin != NULL ? bin : "../src/udproxy", conf,
	    extra != NULL ? extra : "", d->log);
	if ((pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	d->pid = pid;
	h_track(pid);
	return d;
}

/* Starts the daemon and waits until it serves; NULL if it did not. */
struct daemon *
daemon_start(const char *dir, const char *conf, const char *extra)
{
	struct daemon	*d = daemon_start_nowait(dir, conf, extra);
	char		*log;

	if (daemon_wait_log(d, " started, ", 1, 5000) == -1) {
		log = daemon_log_read(d);
		fprintf(stderr, "daemon did not start; log:\n%s\n", log);
		free(log);
		daemon_stop(d);
		daemon_free(d);
		return NULL;
	}
	return d;
}

/*
 * Waits (bounded, scaled) for pid, a child or an orphan of this child
 * subreaper, to end; its wait status, or -1 if it had to be killed.
 */
int
h_reap(pid_t pid, int timeout_ms)
{
	int64_t	deadline = h_now_ms() + (int64_t)timeout_ms * h_slow();
	int	status;

	while (h_now_ms() < deadline) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		h_sleep_ms(5);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

int
daemon_wait_exit(struct daemon *d, int timeout_ms)
{
	int64_t	deadline = h_now_ms() + (int64_t)timeout_ms * h_slow();

	while (!daemon_reap(d, WNOHANG)) {
		if (h_now_ms() > deadline)
			return -1;
		h_sleep_ms(5);
	}
	return 0;
}

/*
 * SIGTERM, then SIGKILL if it does not exit in time. Returns the exit
 * status, or 97 when killed, 98 when the log shows a sanitizer report.
 */
int
daemon_stop(struct daemon *d)
{
	int	rc;

	if (!d->exited) {
		kill(d->pid, SIGTERM);
		if (daemon_wait_exit(d, 5000) == -1) {
			kill(d->pid, SIGKILL);
			daemon_reap(d, 0);
			return 97;
		}
	}
	if (daemon_log_count(d, "Sanitizer") > 0 ||
	    daemon_log_count(d, "runtime error:") > 0)
		return 98;
	if (WIFSIGNALED(d->status))
		return 128 + WTERMSIG(d->status);
	rc = WEXITSTATUS(d->status);
	return rc;
}

/* Whether the kernel reports pid stopped (state T or t in its stat). */
static int
h_stopped(pid_t pid)
{
	char	 path[64], buf[512], *p;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	/* The state follows the command's closing parenthesis. */
	return p != NULL && (p = strrchr(buf, ')')) != NULL &&
	    (p[2] == 'T' || p[2] == 't');
}

/*
 * Sends sig. SIGSTOP is asynchronous: the daemon may still read what a
 * test sends next, so wait (at most 2 s, scaled) until it has stopped.
 */
void
daemon_signal(struct daemon *d, int sig)
{
	int	i;

	if (d->exited)
		return;
	kill(d->pid, sig);
	for (i = 0; sig == SIGSTOP && i < 200 * h_slow(); i++) {
		if (h_stopped(d->pid))
			return;
		h_sleep_ms(10);
	}
}

/* SIGHUP and wait for its verdict: 0 reloaded, -1 failed or no answer. */
int
daemon_reload(struct daemon *d)
{
	int	ok = daemon_log_count(d, ": reloaded ");
	int	bad = daemon_log_count(d, "reload failed: ");
	int64_t	deadline = h_now_ms() + 5000LL * h_slow();

	daemon_signal(d, SIGHUP);
	while (h_now_ms() < deadline) {
		if (daemon_log_count(d, ": reloaded ") > ok)
			return 0;
		if (daemon_log_count(d, "reload failed: ") > bad)
			return -1;
		h_sleep_ms(5);
	}
	return -1;
}

/* Asks for the stats line and returns route's counter, or -1. */
long long
daemon_stat(struct daemon *d, const char *route, const char *counter)
{
	char		 needle[128], key[128], *log, *line, *p;
	long long	 v = -1;
	int		 n;

	snprintf(needle, sizeof(needle), "route %s: stats ", route);
	n = daemon_log_count(d, needle);
	daemon_signal(d, SIGUSR1);
	if (daemon_wait_log(d, needle, n + 1, 3000) == -1)
		return -1;
	log = daemon_log_read(d);
	line = NULL;
	for (p = log; (p = strstr(p, needle)) != NULL; p++)
		line = p;
	snprintf(key, sizeof(key), " %s=", counter);
	if (line != NULL) {
		*strchrnul(line, '\n') = '\0';
		if ((p = strstr(line, key)) != NULL)
			v = strtoll(p + strlen(key), NULL, 10);
	}
	free(log);
	return v;
}

int
daemon_fd_count(struct daemon *d)
{
	char		 path[64];
	DIR		*dir;
	struct dirent	*de;
	int		 n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)d->pid);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

void
daemon_free(struct daemon *d)
{
	free(d);
}

int
client_open_from(const char *src, const char *dst, uint16_t port)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len;
	int			 fd, family;

	family = strchr(dst, ':') != NULL ? AF_INET6 : AF_INET;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		inet_pton(AF_INET, src, &sin->sin_addr);
		len = sizeof(*sin);
	} else {
		inet_pton(AF_INET6, src, &sin6->sin6_addr);
		len = sizeof(*sin6);
	}
	if ((fd = socket(family, SOCK_DGRAM, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len) == -1)
		goto fail;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		inet_pton(AF_INET, dst, &sin->sin_addr);
		sin->sin_port = htons(port);
	} else {
		inet_pton(AF_INET6, dst, &sin6->sin6_addr);
		sin6->sin6_port = htons(port);
	}
	if (connect(fd, (struct sockaddr *)&ss, len) == -1)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

int
client_open(int family, uint16_t port)
{
	return family == AF_INET ?
	    client_open_from("127.0.0.1", "127.0.0.1", port) :
	    client_open_from("::1", "::1", port);
}

ssize_t
client_recv(int fd, void *buf, size_t len, int timeout_ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	int64_t		deadline = h_now_ms() + (int64_t)timeout_ms * h_slow();
	int64_t		left;
	ssize_t		n;

	for (;;) {
		left = deadline - h_now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -1;
		n = recv(fd, buf, len, 0);
		/* ECONNREFUSED: the proxy was not there yet; keep waiting. */
		if (n >= 0 || errno != ECONNREFUSED)
			return n;
	}
}

ssize_t
client_rt(int fd, const void *out, size_t outlen, void *in, size_t inlen,
    int timeout_ms)
{
	if (send(fd, out, outlen, 0) != (ssize_t)outlen)
		return -1;
	return client_recv(fd, in, inlen, timeout_ms);
}

/* Round trip of a string; the reply is NUL-terminated in `in`. */
int
client_rt_str(int fd, const char *out, char *in, size_t inlen,
    int timeout_ms)
{
	ssize_t	n = client_rt(fd, out, strlen(out), in, inlen - 1, timeout_ms);

	if (n < 0) {
		in[0] = '\0';
		return -1;
	}
	in[n] = '\0';
	return 0;
}

static void
h_read_all(const char *path, char *buf, size_t len)
{
	ssize_t	n;
	size_t	off = 0;
	int	fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY)) == -1)
		return;
	while (off < len - 1 && (n = read(fd, buf + off, len - 1 - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
	close(fd);
}

void
h_run(struct h_run *r, const char *dir, ...)
{
	const char	*argv[40], *bin = getenv("UDPROXY_BIN");
	char		 outp[256], errp[256];
	static int	 seq;
	int64_t		 deadline;
	va_list		 ap;
	int		 n = 0, status, fd;
	pid_t		 pid;

	argv[n++] = "sh";
	argv[n++] = "-c";
	argv[n++] = "exec $UDPROXY_WRAPPER \"$@\"";
	argv[n++] = "sh";
	argv[n++] = bin != NULL ? bin : "../src/udproxy";
	va_start(ap, dir);
	while ((argv[n] = va_arg(ap, const char *)) != NULL && n < 38)
		n++;
	va_end(ap);
	argv[n] = NULL;
	seq++;
	snprintf(outp, sizeof(outp), "%s/hrun%d.%ld.out", dir, seq,
	    (long)getpid());
	snprintf(errp, sizeof(errp), "%s/hrun%d.%ld.err", dir, seq,
	    (long)getpid());
	if ((pid = fork()) == 0) {
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			dup2(fd, STDIN_FILENO);
		if ((fd = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644)) != -1)
			dup2(fd, STDOUT_FILENO);
		if ((fd = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644)) != -1)
			dup2(fd, STDERR_FILENO);
		execv("/bin/sh", (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	r->status = -1;
	deadline = h_now_ms() + 20000LL * h_slow();
	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
			    128 + WTERMSIG(status);
			break;
		}
		if (h_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			break;
		}
		h_sleep_ms(2);
	}
	h_read_all(outp, r->out, sizeof(r->out));
	h_read_all(errp, r->err, sizeof(r->err));
	unlink(outp);
	unlink(errp);
}
