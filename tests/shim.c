/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * LD_PRELOAD fault injection for the integration tests. The daemon's
 * sends fail, as a full socket buffer or a congested host makes them
 * fail, when the environment asks:
 *   SHIM_UPSTREAM_PORT=P  send(2), sendmsg(2) or sendmmsg(2) on a socket
 *                         connected to port P fails
 *   SHIM_CLIENT_PORT=P    sendto(2)/sendmsg(2)/sendmmsg(2) from local port
 *                         P fails
 *   SHIM_GSO_ERRNO=N      sendmmsg(2) whose first message is a UDP GSO send
 *                         (a UDP_SEGMENT control message) fails with errno
 *                         N, as on a device that cannot segment (EIO)
 *   SHIM_ERRNO=N          with errno N (default ENOBUFS)
 *   SHIM_RECV_PORT=P      the first SHIM_RECV_FAILS (default 1) recvmmsg(2)
 *                         calls on local port P fail with EIO
 *   SHIM_EPOLL_PEER_PORT=P   the first SHIM_EPOLL_FAILS (default 1)
 *   SHIM_EPOLL_LOCAL_PORT=P  epoll_ctl(EPOLL_CTL_ADD) calls for a socket
 *                         connected to port P (bound to local port P)
 *                         fail with ENOSPC, as at fs.epoll.max_user_watches,
 *                         after the first SHIM_EPOLL_SKIP (default 0) such
 *                         calls, which succeed
 *   SHIM_SLOW_READ=MS     read(2) from a regular file of at least
 *                         SHIM_SLOW_READ_MIN bytes (default 65536) first
 *                         sleeps MS milliseconds: a slow disk, or a file
 *                         that takes long to load (udproxy parses its
 *                         configuration in linear time)
 *   SHIM_UPGRADE_HANG=FILE in a process started by a binary upgrade
 *                         (UDPROXY_UPGRADE_FD set when it starts), the
 *                         sendmsg(2) of the ready message writes the pid
 *                         to FILE and sleeps for ever instead: a new binary
 *                         that took every socket over and never reports
 *                         ready
 *   SHIM_EPOLL_WAIT_FAIL=FILE  once FILE exists, epoll_wait(2) in a
 *                         thread named SHIM_EPOLL_WAIT_THREAD (default
 *                         "udproxy/1", worker 1) fails with EBADF when it
 *                         returns: that worker's event loop breaks
 * Everything else passes through to libc.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * libc's functions, resolved once before main() (shim_init): resolved
 * on first use instead, the worker threads' first calls would race on
 * the pointers (ThreadSanitizer says so).
 */
static struct {
	ssize_t	(*send)(int, const void *, size_t, int);
	ssize_t	(*sendto)(int, const void *, size_t, int,
		    const struct sockaddr *, socklen_t);
	ssize_t	(*sendmsg)(int, const struct msghdr *, int);
	int	(*sendmmsg)(int, struct mmsghdr *, unsigned int, int);
	int	(*recvmmsg)(int, struct mmsghdr *, unsigned int, int,
		    struct timespec *);
	ssize_t	(*read)(int, void *, size_t);
	int	(*epoll_ctl)(int, int, int, struct epoll_event *);
	int	(*epoll_wait)(int, struct epoll_event *, int, int);
} real;

/* Read before main(): upgrade_child_open() unsets it. */
static int	shim_upgrade_child;

/* What is left of the SHIM_*_FAILS and SHIM_EPOLL_SKIP counts. */
static atomic_int	shim_recv_left, shim_epoll_left, shim_epoll_skip;

static int
shim_env_int(const char *var, int def)
{
	const char	*v = getenv(var);

	return v != NULL ? atoi(v) : def;
}

static void
shim_resolve(void)
{
	real.send = (ssize_t (*)(int, const void *, size_t, int))
	    dlsym(RTLD_NEXT, "send");
	real.sendto = (ssize_t (*)(int, const void *, size_t, int,
	    const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "sendto");
	real.sendmsg = (ssize_t (*)(int, const struct msghdr *, int))
	    dlsym(RTLD_NEXT, "sendmsg");
	real.sendmmsg = (int (*)(int, struct mmsghdr *, unsigned int, int))
	    dlsym(RTLD_NEXT, "sendmmsg");
	real.recvmmsg = (int (*)(int, struct mmsghdr *, unsigned int, int,
	    struct timespec *))dlsym(RTLD_NEXT, "recvmmsg");
	real.read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT,
	    "read");
	real.epoll_ctl = (int (*)(int, int, int, struct epoll_event *))
	    dlsym(RTLD_NEXT, "epoll_ctl");
	real.epoll_wait = (int (*)(int, struct epoll_event *, int, int))
	    dlsym(RTLD_NEXT, "epoll_wait");
}

/*
 * Only the constructors of libraries initialised before this one can
 * call a wrapper before shim_init, and they run before any thread.
 */
#define SHIM_REAL(f)	(real.f != NULL ? real.f : (shim_resolve(), real.f))

__attribute__((constructor)) static void
shim_init(void)
{
	shim_resolve();
	shim_upgrade_child = getenv("UDPROXY_UPGRADE_FD") != NULL;
	atomic_init(&shim_recv_left, shim_env_int("SHIM_RECV_FAILS", 1));
	atomic_init(&shim_epoll_left, shim_env_int("SHIM_EPOLL_FAILS", 1));
	atomic_init(&shim_epoll_skip, shim_env_int("SHIM_EPOLL_SKIP", 0));
}

/* Takes one from *n if it is above zero; from any thread. */
static int
shim_take(atomic_int *n)
{
	int	v = atomic_load(n);

	while (v > 0)
		if (atomic_compare_exchange_weak(n, &v, v - 1))
			return 1;
	return 0;
}

/* The upgrade's READY: header { type 'R', count 0 } and nothing else. */
static void
shim_upgrade_hang(const struct msghdr *msg)
{
	const char	*path = getenv("SHIM_UPGRADE_HANG");
	uint32_t	 hdr[2];
	FILE		*f;

	if (path == NULL || !shim_upgrade_child || msg->msg_iovlen != 1 ||
	    msg->msg_iov[0].iov_len != sizeof(hdr))
		return;
	memcpy(hdr, msg->msg_iov[0].iov_base, sizeof(hdr));
	if (hdr[0] != 'R' || hdr[1] != 0)
		return;
	if ((f = fopen(path, "w")) != NULL) {
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}
	for (;;)
		pause();
}

static int
shim_port(int fd, int peer)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);
	int			rc;

	rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len) :
	    getsockname(fd, (struct sockaddr *)&ss, &len);
	if (rc == -1)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

static int
shim_fails(int fd, const char *var, int peer)
{
	const char	*want = getenv(var), *e;
	int		 saved = errno;

	if (want == NULL || shim_port(fd, peer) != atoi(want)) {
		errno = saved;
		return 0;
	}
	e = getenv("SHIM_ERRNO");
	errno = e != NULL ? atoi(e) : ENOBUFS;
	return 1;
}

ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	if (shim_fails(fd, "SHIM_UPSTREAM_PORT", 1))
		return -1;
	return SHIM_REAL(send)(fd, buf, len, flags);
}

ssize_t
sendto(int fd, const void *buf, size_t len, int flags,
    const struct sockaddr *to, socklen_t tolen)
{
	if (shim_fails(fd, "SHIM_CLIENT_PORT", 0))
		return -1;
	return SHIM_REAL(sendto)(fd, buf, len, flags, to, tolen);
}

ssize_t
sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (shim_fails(fd, "SHIM_CLIENT_PORT", 0) ||
	    shim_fails(fd, "SHIM_UPSTREAM_PORT", 1))
		return -1;
	shim_upgrade_hang(msg);
	return SHIM_REAL(sendmsg)(fd, msg, flags);
}

static int
shim_is_gso(const struct msghdr *h)
{
	struct cmsghdr	*c;

	for (c = CMSG_FIRSTHDR(h); c != NULL;
	    c = CMSG_NXTHDR((struct msghdr *)(uintptr_t)h, c))
		if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == 103)
			return 1;	/* UDP_SEGMENT */
	return 0;
}

int
sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	const char	*gso = getenv("SHIM_GSO_ERRNO");

	if (shim_fails(fd, "SHIM_CLIENT_PORT", 0) ||
	    shim_fails(fd, "SHIM_UPSTREAM_PORT", 1))
		return -1;
	if (gso != NULL && vlen > 0 && shim_is_gso(&vec[0].msg_hdr)) {
		errno = atoi(gso);
		return -1;
	}
	return SHIM_REAL(sendmmsg)(fd, vec, vlen, flags);
}

int
recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
    struct timespec *timeout)
{
	int	saved = errno;

	if (atomic_load(&shim_recv_left) > 0 &&
	    shim_fails(fd, "SHIM_RECV_PORT", 0)) {
		if (shim_take(&shim_recv_left)) {
			errno = EIO;
			return -1;
		}
		errno = saved;
	}
	return SHIM_REAL(recvmmsg)(fd, vec, vlen, flags, timeout);
}

ssize_t
read(int fd, void *buf, size_t len)
{
	const char	*ms = getenv("SHIM_SLOW_READ"), *min;
	struct timespec	 ts;
	struct stat	 st;
	int		 saved = errno;
	long		 n;

	if (ms != NULL && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size >= ((min = getenv("SHIM_SLOW_READ_MIN")) != NULL ?
	    atol(min) : 65536)) {
		n = atol(ms);
		ts.tv_sec = n / 1000;
		ts.tv_nsec = (n % 1000) * 1000000L;
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
	errno = saved;
	return SHIM_REAL(read)(fd, buf, len);
}

int
epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	int	saved = errno;

	if (op == EPOLL_CTL_ADD && atomic_load(&shim_epoll_left) > 0 &&
	    (shim_fails(fd, "SHIM_EPOLL_PEER_PORT", 1) ||
	    shim_fails(fd, "SHIM_EPOLL_LOCAL_PORT", 0))) {
		if (!shim_take(&shim_epoll_skip) &&
		    shim_take(&shim_epoll_left)) {
			errno = ENOSPC;
			return -1;
		}
		errno = saved;
	}
	return SHIM_REAL(epoll_ctl)(epfd, op, fd, ev);
}

/* Whether this thread is the one SHIM_EPOLL_WAIT_FAIL aims at, now. */
static int
shim_epoll_wait_fails(void)
{
	const char	*path = getenv("SHIM_EPOLL_WAIT_FAIL"), *want;
	char		 name[17] = "";

	if (path == NULL || access(path, F_OK) == -1)
		return 0;
	if ((want = getenv("SHIM_EPOLL_WAIT_THREAD")) == NULL)
		want = "udproxy/1";
	prctl(PR_GET_NAME, name, 0, 0, 0);
	return strcmp(name, want) == 0;
}

int
epoll_wait(int epfd, struct epoll_event *ev, int n, int timeout)
{
	int	rc;

	rc = SHIM_REAL(epoll_wait)(epfd, ev, n, timeout);
	if (shim_epoll_wait_fails()) {
		errno = EBADF;
		return -1;
	}
	return rc;
}
