/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "conf.h"
#include "control.h"
#include "daemon.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "reloader.h"
#include "route.h"
#include "session.h"
#include "txbatch.h"
#include "udproxy.h"
#include "upgrade.h"
#include "worker.h"
#include "xmalloc.h"

#define UPGRADE_MAGIC	0x75647075u	/* "udpu" */
#define UPGRADE_PROTO	1
#define UPGRADE_MSG_MAX	(64 * 1024)
#define UPGRADE_IO_MS	5000		/* one send or receive */

enum upgrade_type {
	UPGRADE_HELLO = 'H',	/* new -> old: loaded, send the state */
	UPGRADE_ERROR = 'E',	/* new -> old: failed, with the reason */
	UPGRADE_LISTENER = 'L',	/* old -> new: one route, its listener */
	UPGRADE_SESSIONS = 'S',	/* old -> new: a batch of sessions */
	UPGRADE_PIDFILE = 'P',	/* old -> new: the locked pidfile */
	UPGRADE_CONTROL = 'C',	/* old -> new: the control socket */
	UPGRADE_DONE = 'D',	/* old -> new: that was all */
	UPGRADE_READY = 'R',	/* new -> old: adopted, ready to serve */
	UPGRADE_GO = 'G'	/* old -> new: serve; the old one exits */
};

struct upgrade_hdr {
	uint32_t	type;
	uint32_t	count;
};

/* Sizes are checked: both sides must lay the records out alike. */
struct upgrade_hello {
	uint32_t	magic;
	uint32_t	proto;
	uint32_t	lrec_size;
	uint32_t	srec_size;
	int32_t		pid;
	char		version[48];
};

/*
 * A listener: one per route and worker. The LISTENER message's count is
 * its worker plus one (a binary from before workers sends 1: worker 0).
 */
struct upgrade_lrec {
	uint32_t		index;		/* unique in the hand-over */
	struct addr		listen;
	struct route_stats	stats;
};

struct upgrade_srec {
	uint32_t		route;		/* upgrade_lrec.index */
	struct session_state	st;
};

_Static_assert(UPGRADE_BATCH <= 253, "SCM_MAX_FD is 253");
_Static_assert(sizeof(struct upgrade_hdr) + UPGRADE_BATCH *
    sizeof(struct upgrade_srec) <= UPGRADE_MSG_MAX, "batch too large");

/* The old process's side: one upgrade at a time. */
struct upgrade {
	struct udproxy		*up;
	pid_t			 pid;
	int			 fd;
	struct event		*ev_read;
	struct event		*ev_timeout;
	int			 frozen;
	uint64_t		 ms;		/* upgrade_timeout */
	int			 paused;	/* the workers, by this upgrade */
	pid_t			 newpid;
	char			 version[48];
	struct reload_waiters	 waiters;
};

/* --- messages ------------------------------------------------------- */

static int
upgrade_send(int fd, uint32_t type, const void *data, size_t len,
    const int *fds, size_t nfds, uint32_t count)
{
	struct upgrade_hdr	 hdr = { type, count };
	struct msghdr		 msg;
	struct iovec		 iov[2];
	struct cmsghdr		*cm;
	union {
		struct cmsghdr	c;
		char		buf[CMSG_SPACE(sizeof(int) * UPGRADE_BATCH)];
	}			 ctl;
	ssize_t			 n;

	memset(&msg, 0, sizeof(msg));
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)(uintptr_t)data;
	iov[1].iov_len = len;
	msg.msg_iov = iov;
	msg.msg_iovlen = len > 0 ? 2 : 1;
	if (nfds > 0) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)(sizeof(hdr) + len) ? 0 : -1;
}

/*
 * Receives one message into buf (header stripped) and its descriptors;
 * returns its type, 0 at EOF, -1 on error or after timeout_ms.
 */
static int
upgrade_recv(int fd, void *buf, size_t len, size_t *got, int *fds,
    size_t *nfds, uint32_t *count, int timeout_ms)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	struct msghdr	 msg;
	struct iovec	 iov[2];
	struct cmsghdr	*cm;
	struct upgrade_hdr hdr;
	union {
		struct cmsghdr	c;
		char		buf[CMSG_SPACE(sizeof(int) * UPGRADE_BATCH)];
	}		 ctl;
	ssize_t		 n;
	size_t		 k;
	int		 rc;

	*nfds = 0;
	*got = 0;
	do
		rc = poll(&pfd, 1, timeout_ms);
	while (rc == -1 && errno == EINTR);
	if (rc != 1) {
		errno = rc == 0 ? ETIMEDOUT : errno;
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = buf;
	iov[1].iov_len = len;
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n == -1)
		return -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL;
	    cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (*nfds + k > UPGRADE_BATCH)
			k = UPGRADE_BATCH - *nfds;
		memcpy(fds + *nfds, CMSG_DATA(cm), k * sizeof(int));
		*nfds += k;
	}
	if ((size_t)n < sizeof(hdr) || (msg.msg_flags & (MSG_TRUNC |
	    MSG_CTRUNC)) || hdr.type == 0) {
		for (k = 0; k < *nfds; k++)
			close(fds[k]);
		*nfds = 0;
		errno = EPROTO;
		return -1;
	}
	*got = (size_t)n - sizeof(hdr);
	if (count != NULL)
		*count = hdr.count;
	return (int)hdr.type;
}

static void
upgrade_timeouts(int fd)
{
	struct timeval	tv = { UPGRADE_IO_MS / 1000, 0 };

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* --- the old process ------------------------------------------------ */

/*
 * Stops (freeze) or resumes reading every listener, session and client,
 * on every worker (paused by the caller).
 */
static void
upgrade_freeze_route(struct route *r, int freeze)
{
	struct session	*s;

	if (freeze) {
		event_del(r->ev_read);
		if (r->ev_retry != NULL)
			event_del(r->ev_retry);
	} else if (event_add(r->ev_read, NULL) == -1)
		route_event_error(r, "the listener", clock_ms());
	TAILQ_FOREACH(s, &r->idleq, idle) {
		if (freeze)
			event_del(&s->ev);
		else if (event_add(&s->ev, NULL) == -1)
			route_event_error(r, "a session's upstream socket",
			    clock_ms());
	}
}

static void
upgrade_freeze(struct udproxy *up, int freeze)
{
	struct route	*r;
	size_t		 i;

	/* Replies gathered in this loop pass leave before the hand-over. */
	for (i = 0; freeze && i < up->nworkers; i++)
		txbatch_flush(up->workers[i]->tx);
	for (i = 0; i < up->nroutes; i++)
		for (r = up->routes[i]; r != NULL; r = r->sibling)
			upgrade_freeze_route(r, freeze);
	if (up->control != NULL)
		control_pause(up->control, freeze);
}

/* Waits (bounded) for the child; kills it if it will not go. */
static void
upgrade_reap(pid_t pid, int *status)
{
	int	i;

	*status = -1;
	for (i = 0; i < 200; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
}

static void
upgrade_end(struct upgrade *u, int ok, const char *msg)
{
	struct udproxy		*up = u->up;
	struct reload_waiter	*w;
	size_t			 i;
	int			 any = !TAILQ_EMPTY(&u->waiters);

	up->upgrade = NULL;
	if (ok) {
		struct route	*r;

		up->upgraded = 1;
		/*
		 * The sessions live on in the new process: no end to log.
		 * The workers stay paused until the exit stops them.
		 */
		for (i = 0; i < up->nroutes; i++)
			for (r = up->routes[i]; r != NULL; r = r->sibling)
				r->alog = NULL;
		log_notice("%s; exiting", msg);
		notify_ready(u->newpid, "upgraded: pid %ld serves now",
		    (long)u->newpid);
	} else {
		if (u->frozen)
			upgrade_freeze(up, 0);
		if (u->paused)
			udproxy_resume(up);
		u->paused = 0;
		log_error("upgrade failed: %s", msg);
		notify_status("upgrade failed: %s", msg);
	}
	while ((w = TAILQ_FIRST(&u->waiters)) != NULL) {
		TAILQ_REMOVE(&u->waiters, w, entry);
		w->done_cb(w, ok, msg);
	}
	upgrade_free(u);
	if (ok) {
		/* Control replies go out first; the bound is a second. */
		struct timeval	tv = { 1, 0 };

		if (any)
			event_base_loopexit(up->base, &tv);
		else
			event_base_loopbreak(up->base);
	}
}

static void
upgrade_fail(struct upgrade *u, int killit, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
upgrade_fail(struct upgrade *u, int killit, const char *fmt, ...)
{
	char	msg[CONF_ERRLEN + 128];
	va_list	ap;
	int	status;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (killit)
		kill(u->pid, SIGKILL);
	close(u->fd);
	u->fd = -1;
	upgrade_reap(u->pid, &status);
	u->pid = -1;
	upgrade_end(u, 0, msg);
}

/* One route's instance on one worker: its listener, then its sessions. */
static int
upgrade_send_route(struct upgrade *u, struct route *r, uint32_t index,
    const struct route_stats *st, struct upgrade_srec *batch)
{
	struct upgrade_lrec	 lr;
	struct session		*s;
	int			 fds[UPGRADE_BATCH];
	size_t			 n = 0;

	memset(&lr, 0, sizeof(lr));
	lr.index = index;
	lr.listen = r->listener->addr;
	lr.stats = *st;
	if (upgrade_send(u->fd, UPGRADE_LISTENER, &lr, sizeof(lr),
	    &r->listener->fd, 1, (uint32_t)r->worker->id + 1) == -1)
		return -1;
	/* Oldest first: the new idle queue keeps deadline order. */
	TAILQ_FOREACH(s, &r->idleq, idle) {
		batch[n].route = index;
		session_export(s, &batch[n].st);
		fds[n++] = s->fd;
		if (n == UPGRADE_BATCH) {
			if (upgrade_send(u->fd, UPGRADE_SESSIONS, batch,
			    n * sizeof(*batch), fds, n, (uint32_t)n) == -1)
				return -1;
			n = 0;
		}
	}
	if (n > 0 && upgrade_send(u->fd, UPGRADE_SESSIONS, batch,
	    n * sizeof(*batch), fds, n, (uint32_t)n) == -1)
		return -1;
	return 0;
}

/*
 * The state, sent while frozen: listeners and sessions (every worker's),
 * pidfile, control.
 */
static int
upgrade_send_state(struct upgrade *u)
{
	struct udproxy		*up = u->up;
	struct upgrade_srec	*batch;
	struct route		*r;
	struct route_stats	 sum, zero;
	const char		*path;
	int			 fd;
	size_t			 i;
	uint32_t		 index = 0;
	int			 rc = -1;

	batch = xcalloc(UPGRADE_BATCH, sizeof(*batch));
	memset(&zero, 0, sizeof(zero));
	for (i = 0; i < up->nroutes; i++) {
		/*
		 * The route's figures, summed, go with its last listener and
		 * zeros with the others: this binary adds them up again, and
		 * one from before workers keeps the last record's.
		 */
		route_sum_stats(up->routes[i], &sum, NULL, NULL);
		for (r = up->routes[i]; r != NULL; r = r->sibling)
			if (upgrade_send_route(u, r, index++, r->sibling ==
			    NULL ? &sum : &zero, batch) == -1)
				goto done;
	}
	if (up->pidfile != NULL && upgrade_send(u->fd, UPGRADE_PIDFILE,
	    up->pidfile->path, strlen(up->pidfile->path) + 1,
	    &up->pidfile->fd, 1, 1) == -1)
		goto done;
	if (up->control != NULL) {
		fd = control_fd(up->control);
		path = control_path(up->control);
		if (upgrade_send(u->fd, UPGRADE_CONTROL, path,
		    strlen(path) + 1, &fd, 1, 1) == -1)
			goto done;
	}
	rc = upgrade_send(u->fd, UPGRADE_DONE, NULL, 0, NULL, 0, 0);
done:
	free(batch);
	return rc;
}

static void
upgrade_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct upgrade		*u = arg;
	struct upgrade_hello	 h;
	char			 buf[CONF_ERRLEN + 64];
	int			 fds[UPGRADE_BATCH], type, status;
	size_t			 got, nfds, i;

	(void)what;
	type = upgrade_recv(fd, buf, sizeof(buf) - 1, &got, fds, &nfds, NULL,
	    0);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	if (type == -1 && (errno == ETIMEDOUT || errno == EAGAIN))
		return;
	if (type <= 0) {
		close(u->fd);
		u->fd = -1;
		upgrade_reap(u->pid, &status);
		u->pid = -1;
		if (WIFEXITED(status))
			snprintf(buf, sizeof(buf), "the new process exited "
			    "with status %d before it was ready",
			    WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			snprintf(buf, sizeof(buf), "the new process was "
			    "killed by signal %d before it was ready",
			    WTERMSIG(status));
		else
			snprintf(buf, sizeof(buf), "the new process went "
			    "away before it was ready");
		upgrade_end(u, 0, buf);
		return;
	}
	buf[got] = '\0';
	switch (type) {
	case UPGRADE_ERROR:
		upgrade_fail(u, 0, "new process: %s", buf);
		return;
	case UPGRADE_HELLO:
		if (got != sizeof(h) || u->frozen) {
			upgrade_fail(u, 1, "the new process spoke out of turn");
			return;
		}
		memcpy(&h, buf, sizeof(h));
		if (h.magic != UPGRADE_MAGIC || h.proto != UPGRADE_PROTO ||
		    h.lrec_size != sizeof(struct upgrade_lrec) ||
		    h.srec_size != sizeof(struct upgrade_srec)) {
			upgrade_fail(u, 1, "the new binary speaks another "
			    "hand-over format (protocol %u)", h.proto);
			return;
		}
		u->newpid = h.pid;
		h.version[sizeof(h.version) - 1] = '\0';
		snprintf(u->version, sizeof(u->version), "%s", h.version);
		/* From here the datagrams wait in the kernel's queues. */
		udproxy_pause(u->up);
		u->paused = 1;
		u->frozen = 1;
		upgrade_freeze(u->up, 1);
		if (upgrade_send_state(u) == -1)
			upgrade_fail(u, 1, "handing over: %s",
			    strerror(errno));
		return;
	case UPGRADE_READY:
		/*
		 * The pidfile names the new process before anyone hears that
		 * the upgrade is done (the lock is shared: same open file).
		 */
		if (u->frozen && u->up->pidfile != NULL &&
		    pidfile_write_pid(u->up->pidfile, u->newpid, buf,
		    sizeof(buf)) == -1)
			log_warning("%s", buf);
		if (!u->frozen || upgrade_send(u->fd, UPGRADE_GO, NULL, 0,
		    NULL, 0, 0) == -1) {
			if (u->up->pidfile != NULL &&
			    pidfile_write(u->up->pidfile, buf,
			    sizeof(buf)) == -1)
				log_warning("%s", buf);
			upgrade_fail(u, 1, "the new process was ready too "
			    "early or went away");
			return;
		}
		snprintf(buf, sizeof(buf), "upgraded to pid %ld (udproxy %s)",
		    (long)u->newpid, u->version);
		upgrade_end(u, 1, buf);
		return;
	default:
		upgrade_fail(u, 1, "unexpected message '%c' from the new "
		    "process", type);
	}
}

static void
upgrade_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct upgrade	*u = arg;

	(void)fd;
	(void)what;
	upgrade_fail(u, 1, "the new process was not ready within %llu ms "
	    "(upgrade_timeout)", (unsigned long long)u->ms);
}

/*
 * Starts the new process; -1 with the reason in err. The daemon has
 * threads (the loader, the access log writer), so between fork and exec
 * the child calls only async-signal-safe functions: its environment and
 * its error message are made before the fork.
 */
static int
upgrade_spawn(struct upgrade *u, char *err, size_t errlen)
{
	extern char	**environ;
	struct udproxy	*up = u->up;
	char		**envp, var[64], prefix[PATH_MAX + 32];
	const char	*why;
	size_t		 n, k, plen;
	int		 sv[2], i;
	sigset_t	 all, old;

	if (up->exe == NULL) {
		snprintf(err, errlen, "the daemon's own binary is unknown");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	for (n = 0; environ[n] != NULL; n++)
		;
	envp = xcalloc(n + 2, sizeof(*envp));
	for (n = 0, k = 0; environ[n] != NULL; n++)
		if (strncmp(environ[n], UPGRADE_ENV "=",
		    sizeof(UPGRADE_ENV)) != 0)
			envp[k++] = environ[n];
	snprintf(var, sizeof(var), "%s=%d", UPGRADE_ENV, sv[1]);
	envp[k] = var;
	plen = (size_t)snprintf(prefix, sizeof(prefix), "cannot run %s: ",
	    up->exe);
	if (plen >= sizeof(prefix))
		plen = sizeof(prefix) - 1;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	if ((u->pid = fork()) == -1) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		snprintf(err, errlen, "fork: %s", strerror(errno));
		free(envp);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (u->pid == 0) {
		/* The child: libevent's handlers must not run here. */
		for (i = 1; i < NSIG; i++)
			signal(i, SIG_DFL);
		close(sv[0]);
		fcntl(sv[1], F_SETFD, 0);
		sigprocmask(SIG_SETMASK, &old, NULL);
		execve(up->exe, up->argv, envp);
		why = strerror(errno);
		k = strlen(why);
		if (k > sizeof(prefix) - 1 - plen)
			k = sizeof(prefix) - 1 - plen;
		memcpy(prefix + plen, why, k);
		upgrade_send(sv[1], UPGRADE_ERROR, prefix, plen + k, NULL, 0,
		    0);
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(envp);
	close(sv[1]);
	u->fd = sv[0];
	upgrade_timeouts(u->fd);
	return 0;
}

/*
 * Asks for an upgrade; w (may be NULL) is told its outcome. Requests made
 * while one runs share its outcome.
 */
void
upgrade_request(struct udproxy *up, struct reload_waiter *w)
{
	struct upgrade	*u;
	struct timeval	 tv;
	uint64_t	 ms;
	char		 err[CONF_ERRLEN];

	if (up->upgrade != NULL) {
		if (w != NULL)
			TAILQ_INSERT_TAIL(&up->upgrade->waiters, w, entry);
		return;
	}
	if (up->reloader->running || up->upgraded) {
		snprintf(err, sizeof(err), "%s", up->upgraded ? "already "
		    "upgraded, exiting" : "a reload is in progress; try "
		    "again when it is done");
		log_warning("upgrade refused: %s", err);
		if (w != NULL)
			w->done_cb(w, 0, err);
		return;
	}
	u = xcalloc(1, sizeof(*u));
	u->up = up;
	u->fd = -1;
	u->pid = -1;
	TAILQ_INIT(&u->waiters);
	if (w != NULL)
		TAILQ_INSERT_TAIL(&u->waiters, w, entry);
	up->upgrade = u;
	log_notice("upgrading: starting %s", up->exe != NULL ? up->exe : "?");
	if (upgrade_spawn(u, err, sizeof(err)) == -1) {
		upgrade_end(u, 0, err);
		return;
	}
	/* Kept for the message; the bound is the running configuration's. */
	u->ms = ms = up->conf->upgrade_timeout_ms;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	u->ev_read = event_new(up->base, u->fd, EV_READ | EV_PERSIST,
	    upgrade_read_cb, u);
	u->ev_timeout = evtimer_new(up->base, upgrade_timeout_cb, u);
	if (u->ev_read == NULL || u->ev_timeout == NULL ||
	    event_add(u->ev_read, NULL) == -1 ||
	    evtimer_add(u->ev_timeout, &tv) == -1)
		upgrade_fail(u, 1, "cannot watch the new process");
}

/* Forgets w (its asker went away); the upgrade goes on. */
void
upgrade_cancel(struct udproxy *up, struct reload_waiter *w)
{
	struct reload_waiter	*x;

	if (up->upgrade == NULL)
		return;
	TAILQ_FOREACH(x, &up->upgrade->waiters, entry)
		if (x == w) {
			TAILQ_REMOVE(&up->upgrade->waiters, w, entry);
			return;
		}
}

/* Also at shutdown during an upgrade: the new process is stopped. */
void
upgrade_free(struct upgrade *u)
{
	int	status;

	if (u == NULL)
		return;
	if (u->ev_read != NULL)
		event_free(u->ev_read);
	if (u->ev_timeout != NULL)
		event_free(u->ev_timeout);
	if (u->fd != -1)
		close(u->fd);
	if (u->pid > 0 && !u->up->upgraded) {
		kill(u->pid, SIGKILL);
		upgrade_reap(u->pid, &status);
	}
	if (u->up->upgrade == u)
		u->up->upgrade = NULL;
	free(u);
}

/* --- the new process ------------------------------------------------ */

struct upgrade_fdrec {
	struct upgrade_lrec	 lr;
	size_t			 worker;	/* in the old process */
	struct listener		*listener;	/* until a route takes it */
};

struct upgrade_child {
	int			 fd;
	struct upgrade_fdrec	*routes;
	size_t			 nroutes;
	struct upgrade_srec	*sessions;
	int			*sfds;
	size_t			 nsessions;
	char			*pidpath;
	int			 pidfd;
	char			*ctlpath;
	int			 ctlfd;
};

/* NULL unless this process was started by an upgrade. */
struct upgrade_child *
upgrade_child_open(void)
{
	struct upgrade_child	*uc;
	const char		*s = getenv(UPGRADE_ENV);
	char			*end;
	long			 fd;

	if (s == NULL)
		return NULL;
	fd = strtol(s, &end, 10);
	unsetenv(UPGRADE_ENV);
	if (*s == '\0' || *end != '\0' || fd < 3 || fd > 65535 ||
	    fcntl((int)fd, F_SETFD, FD_CLOEXEC) == -1)
		return NULL;
	uc = xcalloc(1, sizeof(*uc));
	uc->fd = (int)fd;
	uc->pidfd = -1;
	uc->ctlfd = -1;
	upgrade_timeouts(uc->fd);
	return uc;
}

/* Tells the old process why this one gives up (it then exits 1). */
void
upgrade_child_fail(struct upgrade_child *uc, const char *msg)
{
	if (uc != NULL)
		upgrade_send(uc->fd, UPGRADE_ERROR, msg, strlen(msg), NULL,
		    0, 0);
}

/* Hello, then everything the old process hands over, up to its DONE. */
int
upgrade_child_receive(struct upgrade_child *uc, const char *version,
    char *err, size_t errlen)
{
	struct upgrade_hello	 h;
	unsigned char		*buf;
	int			 fds[UPGRADE_BATCH], type, rc = -1;
	size_t			 got, nfds, n, i;
	uint32_t		 count;

	memset(&h, 0, sizeof(h));
	h.magic = UPGRADE_MAGIC;
	h.proto = UPGRADE_PROTO;
	h.lrec_size = sizeof(struct upgrade_lrec);
	h.srec_size = sizeof(struct upgrade_srec);
	h.pid = (int32_t)getpid();
	snprintf(h.version, sizeof(h.version), "%s", version);
	if (upgrade_send(uc->fd, UPGRADE_HELLO, &h, sizeof(h), NULL, 0,
	    0) == -1) {
		snprintf(err, errlen, "upgrade: hello: %s", strerror(errno));
		return -1;
	}
	buf = xmalloc(UPGRADE_MSG_MAX);
	for (;;) {
		type = upgrade_recv(uc->fd, buf, UPGRADE_MSG_MAX - 1, &got,
		    fds, &nfds, &count, UPGRADE_IO_MS);
		if (type <= 0) {
			snprintf(err, errlen, "upgrade: receiving: %s",
			    type == 0 ? "the old process went away" :
			    strerror(errno));
			goto done;
		}
		switch (type) {
		case UPGRADE_LISTENER:
			if (got != sizeof(struct upgrade_lrec) || nfds != 1 ||
			    count == 0 || count > CONF_WORKERS_MAX)
				goto bad;
			uc->routes = xreallocarray(uc->routes,
			    uc->nroutes + 1, sizeof(*uc->routes));
			memcpy(&uc->routes[uc->nroutes].lr, buf, got);
			uc->routes[uc->nroutes].worker = count - 1;
			uc->routes[uc->nroutes].listener = xcalloc(1,
			    sizeof(struct listener));
			uc->routes[uc->nroutes].listener->fd = fds[0];
			uc->routes[uc->nroutes].listener->addr =
			    uc->routes[uc->nroutes].lr.listen;
			uc->routes[uc->nroutes].listener->wildcard =
			    addr_is_wildcard(&uc->routes[uc->nroutes].lr.listen);
			uc->nroutes++;
			break;
		case UPGRADE_SESSIONS:
			n = got / sizeof(struct upgrade_srec);
			if (n * sizeof(struct upgrade_srec) != got ||
			    n != nfds)
				goto bad;
			uc->sessions = xreallocarray(uc->sessions,
			    uc->nsessions + n, sizeof(*uc->sessions));
			uc->sfds = xreallocarray(uc->sfds, uc->nsessions + n,
			    sizeof(*uc->sfds));
			memcpy(uc->sessions + uc->nsessions, buf, got);
			memcpy(uc->sfds + uc->nsessions, fds, n * sizeof(int));
			uc->nsessions += n;
			break;
		case UPGRADE_PIDFILE:
		case UPGRADE_CONTROL:
			if (nfds != 1 || got == 0)
				goto bad;
			buf[got] = '\0';
			if (type == UPGRADE_PIDFILE) {
				uc->pidpath = xstrdup((char *)buf);
				uc->pidfd = fds[0];
			} else {
				uc->ctlpath = xstrdup((char *)buf);
				uc->ctlfd = fds[0];
			}
			break;
		case UPGRADE_DONE:
			rc = 0;
			goto done;
		default:
			goto bad;
		}
	}
bad:
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	snprintf(err, errlen, "upgrade: a malformed message ('%c')", type);
done:
	free(buf);
	return rc;
}

/*
 * The old process's listener for a on worker k, for the first load
 * (reload.c).
 */
struct listener *
upgrade_take_listener(struct upgrade_child *uc, const struct addr *a,
    size_t k)
{
	struct listener	*l;
	size_t		 i;

	for (i = 0; i < uc->nroutes; i++) {
		if ((l = uc->routes[i].listener) != NULL &&
		    uc->routes[i].worker == k && addr_equal(&l->addr, a)) {
			uc->routes[i].listener = NULL;
			return l;
		}
	}
	return NULL;
}

/* The control socket's descriptor and path, once; -1 if none came. */
int
upgrade_take_control(struct upgrade_child *uc, char **path)
{
	int	fd = uc->ctlfd;

	*path = uc->ctlpath;
	uc->ctlfd = -1;
	uc->ctlpath = NULL;
	return fd;
}

/*
 * The workers the old process ran (the most a listener names), or 0 if
 * it handed over no listener.
 */
size_t
upgrade_child_workers(const struct upgrade_child *uc)
{
	size_t	i, n = 0;

	for (i = 0; i < uc->nroutes; i++)
		if (uc->routes[i].worker + 1 > n)
			n = uc->routes[i].worker + 1;
	return n;
}

/*
 * The new route for an old one: same listen address, on the same worker
 * (worker 0's if this process has fewer), or NULL.
 */
static struct route *
upgrade_route_for(struct udproxy *up, const struct upgrade_fdrec *fr)
{
	struct route	*r;
	size_t		 i;

	for (i = 0; i < up->nroutes; i++) {
		if (!addr_equal(&up->routes[i]->listener->addr,
		    &fr->lr.listen))
			continue;
		for (r = up->routes[i]; r != NULL; r = r->sibling)
			if (r->worker->id == fr->worker)
				return r;
		return up->routes[i];
	}
	return NULL;
}

/*
 * Takes over the sessions whose route the new configuration keeps and
 * whose upstream address is still in its pool (the rules of a reload);
 * the others are closed. The
 * routes keep their counters. A summary goes to msg.
 */
void
upgrade_child_adopt(struct upgrade_child *uc, struct udproxy *up, char *msg,
    size_t msglen)
{
	struct upgrade_srec	*sr;
	struct route		*r, **map;
	size_t			 i, kept = 0, closed = 0;
	uint64_t		 now = clock_ms();

	map = xcalloc(uc->nroutes + 1, sizeof(*map));
	for (i = 0; i < uc->nroutes; i++) {
		r = upgrade_route_for(up, &uc->routes[i]);
		/* A session whose upstream left the pool closes in adopt. */
		if (r != NULL)
			stats_add(&r->stats, &uc->routes[i].lr.stats);
		map[i] = r;
		/* A route the new configuration dropped: its port is freed. */
		listener_close(uc->routes[i].listener);
		uc->routes[i].listener = NULL;
	}
	for (i = 0; i < uc->nsessions; i++) {
		sr = &uc->sessions[i];
		r = NULL;
		if (sr->route < uc->nroutes &&
		    uc->routes[sr->route].lr.index == sr->route)
			r = map[sr->route];
		else {
			size_t	j;

			for (j = 0; j < uc->nroutes; j++)
				if (uc->routes[j].lr.index == sr->route)
					r = map[j];
		}
		/* Lengths bound the copies made from these addresses later. */
		if (sr->st.clientlen > sizeof(sr->st.client) ||
		    sr->st.originlen > sizeof(sr->st.origin))
			r = NULL;
		if (r == NULL || session_adopt(r, uc->sfds[i], &sr->st) ==
		    NULL) {
			if (r == NULL)
				close(uc->sfds[i]);
			closed++;
			continue;
		}
		kept++;
	}
	uc->nsessions = 0;
	for (i = 0; i < up->nroutes; i++)
		for (r = up->routes[i]; r != NULL; r = r->sibling)
			if (!TAILQ_EMPTY(&r->idleq))
				route_schedule_expire(r, now);
	free(map);
	snprintf(msg, msglen, "sessions %zu kept, %zu closed", kept, closed);
}

/*
 * Ready: tells the old process, then waits for its go. Only then may this
 * one read from the sockets (until then the old one may still take them
 * back). The pidfile (locked, still the old one's) comes back in *pf.
 */
int
upgrade_child_commit(struct upgrade_child *uc, struct pidfile **pf,
    char *err, size_t errlen)
{
	char	buf[64];
	int	fds[UPGRADE_BATCH], type;
	size_t	got, nfds, i;

	*pf = NULL;
	if (upgrade_send(uc->fd, UPGRADE_READY, NULL, 0, NULL, 0, 0) == -1) {
		snprintf(err, errlen, "upgrade: ready: %s", strerror(errno));
		return -1;
	}
	type = upgrade_recv(uc->fd, buf, sizeof(buf), &got, fds, &nfds, NULL,
	    UPGRADE_IO_MS);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	if (type != UPGRADE_GO) {
		snprintf(err, errlen, "upgrade: the old process did not let "
		    "go (it keeps serving)");
		return -1;
	}
	if (uc->pidfd != -1) {
		*pf = xcalloc(1, sizeof(**pf));
		(*pf)->fd = uc->pidfd;
		(*pf)->path = uc->pidpath;
		uc->pidfd = -1;
		uc->pidpath = NULL;
	}
	return 0;
}

void
upgrade_child_free(struct upgrade_child *uc)
{
	size_t	i;

	if (uc == NULL)
		return;
	for (i = 0; i < uc->nroutes; i++)
		listener_close(uc->routes[i].listener);
	for (i = 0; i < uc->nsessions; i++)
		close(uc->sfds[i]);
	if (uc->pidfd != -1)
		close(uc->pidfd);
	if (uc->ctlfd != -1)
		close(uc->ctlfd);
	close(uc->fd);
	free(uc->routes);
	free(uc->sessions);
	free(uc->sfds);
	free(uc->pidpath);
	free(uc->ctlpath);
	free(uc);
}
