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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Read before main(): upgrade_child_open() unsets it. */
static int	shim_upgrade_child;

__attribute__((constructor)) static void
shim_init(void)
{
	shim_upgrade_child = getenv("UDPROXY_UPGRADE_FD") != NULL;
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
	static ssize_t	(*real)(int, const void *, size_t, int);

	if (shim_fails(fd, "SHIM_UPSTREAM_PORT", 1))
		return -1;
	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t, int))
		    dlsym(RTLD_NEXT, "send");
	return real(fd, buf, len, flags);
}

ssize_t
sendto(int fd, const void *buf, size_t len, int flags,
    const struct sockaddr *to, socklen_t tolen)
{
	static ssize_t	(*real)(int, const void *, size_t, int,
			    const struct sockaddr *, socklen_t);

	if (shim_fails(fd, "SHIM_CLIENT_PORT", 0))
		return -1;
	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t, int,
		    const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT,
		    "sendto");
	return real(fd, buf, len, flags, to, tolen);
}

ssize_t
sendmsg(int fd, const struct msghdr *msg, int flags)
{
	static ssize_t	(*real)(int, const struct msghdr *, int);

	if (shim_fails(fd, "SHIM_CLIENT_PORT", 0) ||
	    shim_fails(fd, "SHIM_UPSTREAM_PORT", 1))
		return -1;
	shim_upgrade_hang(msg);
	if (real == NULL)
		real = (ssize_t (*)(int, const struct msghdr *, int))
		    dlsym(RTLD_NEXT, "sendmsg");
	return real(fd, msg, flags);
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
	static int	(*real)(int, struct mmsghdr *, unsigned int, int);
	const char	*gso = getenv("SHIM_GSO_ERRNO");

	if (shim_fails(fd, "SHIM_CLIENT_PORT", 0) ||
	    shim_fails(fd, "SHIM_UPSTREAM_PORT", 1))
		return -1;
	if (gso != NULL && vlen > 0 && shim_is_gso(&vec[0].msg_hdr)) {
		errno = atoi(gso);
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int, struct mmsghdr *, unsigned int, int))
		    dlsym(RTLD_NEXT, "sendmmsg");
	return real(fd, vec, vlen, flags);
}

int
recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
    struct timespec *timeout)
{
	static int	(*real)(int, struct mmsghdr *, unsigned int, int,
			    struct timespec *);
	static int	 left = -1;
	const char	*n;

	if (left == -1)
		left = (n = getenv("SHIM_RECV_FAILS")) != NULL ? atoi(n) : 1;
	if (left > 0 && shim_fails(fd, "SHIM_RECV_PORT", 0)) {
		left--;
		errno = EIO;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int, struct mmsghdr *, unsigned int, int,
		    struct timespec *))dlsym(RTLD_NEXT, "recvmmsg");
	return real(fd, vec, vlen, flags, timeout);
}

ssize_t
read(int fd, void *buf, size_t len)
{
	static ssize_t	(*real)(int, void *, size_t);
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
	if (real == NULL)
		real = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT,
		    "read");
	return real(fd, buf, len);
}

int
epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	static int	(*real)(int, int, int, struct epoll_event *);
	static int	 left = -1, skip = -1;
	const char	*n;
	int		 saved = errno;

	if (left == -1) {
		left = (n = getenv("SHIM_EPOLL_FAILS")) != NULL ? atoi(n) : 1;
		skip = (n = getenv("SHIM_EPOLL_SKIP")) != NULL ? atoi(n) : 0;
	}
	if (op == EPOLL_CTL_ADD && left > 0 &&
	    (shim_fails(fd, "SHIM_EPOLL_PEER_PORT", 1) ||
	    shim_fails(fd, "SHIM_EPOLL_LOCAL_PORT", 0))) {
		if (skip > 0) {
			skip--;
			errno = saved;
			goto pass;
		}
		left--;
		errno = ENOSPC;
		return -1;
	}
pass:
	if (real == NULL)
		real = (int (*)(int, int, int, struct epoll_event *))dlsym(
		    RTLD_NEXT, "epoll_ctl");
	return real(epfd, op, fd, ev);
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
	static int	(*real)(int, struct epoll_event *, int, int);
	int		 rc;

	if (real == NULL)
		real = (int (*)(int, struct epoll_event *, int, int))dlsym(
		    RTLD_NEXT, "epoll_wait");
	rc = real(epfd, ev, n, timeout);
	if (shim_epoll_wait_fails()) {
		errno = EBADF;
		return -1;
	}
	return rc;
}
