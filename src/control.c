/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "clock.h"
#include "conf.h"
#include "control.h"
#include "log.h"
#include "reloader.h"
#include "udproxy.h"
#include "upgrade.h"
#include "worker.h"
#include "xmalloc.h"

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

enum control_state {
	CONTROL_READING,	/* waiting for the command line */
	CONTROL_RUNNING,	/* a command is on it */
	CONTROL_CLOSING		/* replied: flushing, then freed */
};

struct control_conn {
	TAILQ_ENTRY(control_conn) entry;
	struct control		*ctl;
	struct bufferevent	*bev;
	enum control_state	 state;
	void			(*cancel)(struct control_conn *, void *);
	void			*cancel_arg;
	void			(*after)(struct udproxy *);
	struct reload_waiter	 waiter;
};

struct control {
	struct udproxy		*up;
	struct evconnlistener	*lev;
	char			*path;
	dev_t			 dev;		/* the socket file we made */
	ino_t			 ino;
	uid_t			 uid;		/* the user that started us */
	TAILQ_HEAD(, control_conn) conns;
	size_t			 nconns;
};

static void	control_cmd_reload(struct control_conn *, const char *);
static void	control_cmd_stop(struct control_conn *, const char *);
static void	control_cmd_status(struct control_conn *, const char *);
static void	control_cmd_stats(struct control_conn *, const char *);
static void	control_cmd_reopen(struct control_conn *, const char *);
static void	control_cmd_upgrade(struct control_conn *, const char *);

/* The commands; add one here (see control.h). */
static const struct control_cmd control_cmds[] = {
	{ "reload",	control_cmd_reload },
	{ "stop",	control_cmd_stop },
	{ "status",	control_cmd_status },
	{ "stats",	control_cmd_stats },
	{ "reopen",	control_cmd_reopen },
	{ "upgrade",	control_cmd_upgrade },
};

static const struct timeval control_read_tv = { CONTROL_READ_TIMEOUT, 0 };
static const struct timeval control_write_tv = { CONTROL_WRITE_TIMEOUT, 0 };

/*
 * Binds and listens on path, mode 0600. A socket file left by a daemon
 * that died is replaced; one a live process answers on, or a file that
 * is not a socket, is not touched.
 */
static int
control_bind(const char *path, dev_t *dev, ino_t *ino, char *err,
    size_t errlen)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 mask;
	int			 fd, probe, rc, saved, tries;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		goto fail;
	for (tries = 0; tries < 2; tries++) {
		mask = umask(0177);
		rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
		saved = errno;
		umask(mask);
		if (rc == 0)
			break;
		errno = saved;
		if (saved != EADDRINUSE || tries > 0)
			goto fail;
		if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "control socket %s: exists and "
			    "is not a socket", path);
			close(fd);
			errno = EEXIST;
			return -1;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
		if (probe == -1)
			goto fail;
		rc = connect(probe, (struct sockaddr *)&sun, sizeof(sun));
		saved = errno;
		close(probe);
		if (rc == 0 || saved != ECONNREFUSED) {
			snprintf(err, errlen, "control socket %s: in use by "
			    "another process (is udproxy already running?)",
			    path);
			close(fd);
			errno = EADDRINUSE;
			return -1;
		}
		log_info("control socket %s: removing the stale socket", path);
		if (unlink(path) == -1 && errno != ENOENT)
			goto fail;
	}
	if (listen(fd, CONTROL_CONNS) == -1 || stat(path, &st) == -1)
		goto fail;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return fd;
fail:
	saved = errno;
	snprintf(err, errlen, "control socket %s: %s", path, strerror(saved));
	if (fd != -1)
		close(fd);
	errno = saved;
	return -1;
}

/*
 * Removes the socket file if it is still the one we made, unless the
 * socket was handed to the process that replaces this one.
 */
static void
control_unlink(const struct control *ctl)
{
	struct stat	st;

	if (ctl->up->upgraded)
		return;

	if (stat(ctl->path, &st) == 0 && st.st_dev == ctl->dev &&
	    st.st_ino == ctl->ino && unlink(ctl->path) == -1)
		log_info("control socket %s: cannot remove: %s", ctl->path,
		    strerror(errno));
}

/* Appends s to buf with control bytes (newlines too) escaped. */
static void
control_escape(struct evbuffer *buf, const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\\')
			evbuffer_add(buf, "\\\\", 2);
		else if (*p < 0x20 || *p == 0x7f)
			evbuffer_add_printf(buf, "\\x%02x", *p);
		else
			evbuffer_add(buf, p, 1);
	}
}

static void
control_vadd(struct control_conn *c, const char *prefix, const char *fmt,
    va_list ap)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	char		 msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	evbuffer_add(out, prefix, strlen(prefix));
	if (*prefix != '\0' && *msg != '\0')
		evbuffer_add(out, " ", 1);
	control_escape(out, msg);
	evbuffer_add(out, "\n", 1);
}

/* The status line: "ok[ message]" or "error message". Once, first. */
void
control_reply(struct control_conn *c, int ok, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	control_vadd(c, ok ? "ok" : "error", fmt, ap);
	va_end(ap);
}

/* One body line, after the status line. */
void
control_line(struct control_conn *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	control_vadd(c, "", fmt, ap);
	va_end(ap);
}

struct udproxy *
control_udproxy(struct control_conn *c)
{
	return c->ctl->up;
}

/* For a command that answers later: cb runs if the client goes first. */
void
control_set_cancel(struct control_conn *c,
    void (*cb)(struct control_conn *, void *), void *arg)
{
	c->cancel = cb;
	c->cancel_arg = arg;
}

/* cb runs once the connection is done with (after the reply is sent). */
void
control_after(struct control_conn *c, void (*cb)(struct udproxy *))
{
	c->after = cb;
}

static void
control_conn_free(struct control_conn *c)
{
	struct control	*ctl = c->ctl;
	void		(*after)(struct udproxy *) = c->after;

	if (c->cancel != NULL)
		c->cancel(c, c->cancel_arg);
	TAILQ_REMOVE(&ctl->conns, c, entry);
	ctl->nconns--;
	bufferevent_free(c->bev);
	free(c);
	if (after != NULL)
		after(ctl->up);
}

static void
control_write_cb(struct bufferevent *bev, void *arg)
{
	struct control_conn	*c = arg;

	(void)bev;
	if (c->state == CONTROL_CLOSING)
		control_conn_free(c);
}

/* The reply is complete: send what is buffered, then close. */
void
control_finish(struct control_conn *c)
{
	c->state = CONTROL_CLOSING;
	c->cancel = NULL;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		control_conn_free(c);
	/* else control_write_cb frees it once the output has drained */
}

static void
control_run(struct control_conn *c, char *line)
{
	char	*args;
	size_t	 i;

	c->state = CONTROL_RUNNING;
	/* A command may take long (reload): only writes are timed now. */
	bufferevent_set_timeouts(c->bev, NULL, &control_write_tv);
	line[strcspn(line, "\r")] = '\0';
	if ((args = strchr(line, ' ')) != NULL)
		*args++ = '\0';
	else
		args = line + strlen(line);
	for (i = 0; i < nitems(control_cmds); i++)
		if (strcmp(line, control_cmds[i].name) == 0) {
			control_cmds[i].run(c, args);
			return;
		}
	control_reply(c, 0, "unknown command '%s'", line);
	control_finish(c);
}

static void
control_too_long(struct control_conn *c)
{
	c->state = CONTROL_RUNNING;
	control_reply(c, 0, "command too long (at most %d bytes)",
	    CONTROL_LINE_MAX);
	control_finish(c);
}

static void
control_read_cb(struct bufferevent *bev, void *arg)
{
	struct control_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	char			*line;
	size_t			 n;

	if (c->state != CONTROL_READING) {
		/* One command a connection: the rest is ignored. */
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) == NULL) {
		if (evbuffer_get_length(in) > CONTROL_LINE_MAX)
			control_too_long(c);
		return;
	}
	if (n > CONTROL_LINE_MAX)
		control_too_long(c);
	else
		control_run(c, line);
	free(line);
}

static void
control_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct control_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	char			 line[CONTROL_LINE_MAX + 1];
	size_t			 n;

	if ((what & BEV_EVENT_EOF) && c->state != CONTROL_READING)
		return;		/* half-closed: the reply can still go out */
	if ((what & BEV_EVENT_EOF) && c->state == CONTROL_READING &&
	    (n = evbuffer_get_length(in)) > 0 && n <= CONTROL_LINE_MAX) {
		/* A last line without its newline (echo -n, socat). */
		evbuffer_remove(in, line, n);
		line[n] = '\0';
		control_run(c, line);
		return;
	}
	control_conn_free(c);
}

static void
control_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct control		*ctl = arg;
	struct control_conn	*c;
	struct ucred		 cred;
	socklen_t		 len = sizeof(cred);
	static const char	 busy[] = "error busy: too many control "
				    "connections\n";

	(void)lev;
	(void)sa;
	(void)salen;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    (cred.uid != 0 && cred.uid != ctl->uid)) {
		close(fd);
		return;
	}
	if (ctl->nconns >= CONTROL_CONNS) {
		if (write(fd, busy, sizeof(busy) - 1) == -1) {
			/* nothing more to tell it */
		}
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->ctl = ctl;
	c->bev = bufferevent_socket_new(ctl->up->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&ctl->conns, c, entry);
	ctl->nconns++;
	bufferevent_setcb(c->bev, control_read_cb, control_write_cb,
	    control_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, CONTROL_LINE_MAX + 2);
	bufferevent_set_timeouts(c->bev, &control_read_tv, &control_write_tv);
	if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) == -1)
		control_conn_free(c);
}

static struct evconnlistener *
control_listen(struct control *ctl, int fd)
{
	return evconnlistener_new(ctl->up->base, control_accept_cb, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
}

/*
 * Opens the control socket at path. Returns NULL with the reason in err,
 * and errno EADDRINUSE when another process serves that path.
 */
struct control *
control_open(struct udproxy *up, const char *path, char *err, size_t errlen)
{
	struct control	*ctl;
	int		 fd;

	ctl = xcalloc(1, sizeof(*ctl));
	ctl->up = up;
	ctl->uid = getuid();
	TAILQ_INIT(&ctl->conns);
	if ((fd = control_bind(path, &ctl->dev, &ctl->ino, err,
	    errlen)) == -1) {
		free(ctl);
		return NULL;
	}
	ctl->path = xstrdup(path);
	if ((ctl->lev = control_listen(ctl, fd)) == NULL) {
		snprintf(err, errlen, "control socket %s: cannot listen",
		    path);
		control_unlink(ctl);
		close(fd);
		free(ctl->path);
		free(ctl);
		return NULL;
	}
	return ctl;
}

/*
 * A reload named another path: listen there instead. If the new socket
 * cannot be made, the old one stays and -1 comes back with the reason.
 */
int
control_move(struct control *ctl, const char *path, char *err,
    size_t errlen)
{
	struct evconnlistener	*lev;
	dev_t			 dev;
	ino_t			 ino;
	int			 fd;

	if (strcmp(path, ctl->path) == 0)
		return 0;
	if ((fd = control_bind(path, &dev, &ino, err, errlen)) == -1)
		return -1;
	if ((lev = control_listen(ctl, fd)) == NULL) {
		snprintf(err, errlen, "control socket %s: cannot listen",
		    path);
		close(fd);
		unlink(path);
		return -1;
	}
	evconnlistener_free(ctl->lev);
	control_unlink(ctl);
	free(ctl->path);
	ctl->lev = lev;
	ctl->path = xstrdup(path);
	ctl->dev = dev;
	ctl->ino = ino;
	return 0;
}

const char *
control_path(const struct control *ctl)
{
	return ctl->path;
}

int
control_fd(const struct control *ctl)
{
	return evconnlistener_get_fd(ctl->lev);
}

/* During an upgrade's hand-over new clients wait for the new process. */
void
control_pause(struct control *ctl, int pause)
{
	if (pause)
		evconnlistener_disable(ctl->lev);
	else
		evconnlistener_enable(ctl->lev);
}

/* The socket the old process listened on, after a binary upgrade. */
struct control *
control_adopt(struct udproxy *up, int fd, const char *path)
{
	struct control	*ctl;
	struct stat	 st;

	ctl = xcalloc(1, sizeof(*ctl));
	ctl->up = up;
	ctl->uid = getuid();
	TAILQ_INIT(&ctl->conns);
	ctl->path = xstrdup(path);
	if (stat(path, &st) == 0) {
		ctl->dev = st.st_dev;
		ctl->ino = st.st_ino;
	}
	if ((ctl->lev = control_listen(ctl, fd)) == NULL) {
		close(fd);
		free(ctl->path);
		free(ctl);
		return NULL;
	}
	return ctl;
}

void
control_free(struct control *ctl)
{
	struct control_conn	*c;

	if (ctl == NULL)
		return;
	while ((c = TAILQ_FIRST(&ctl->conns)) != NULL) {
		c->after = NULL;
		control_conn_free(c);
	}
	evconnlistener_free(ctl->lev);
	control_unlink(ctl);
	free(ctl->path);
	free(ctl);
}

/* --- commands ------------------------------------------------------- */

static void
control_reload_done(struct reload_waiter *w, int ok, const char *msg)
{
	struct control_conn	*c = (struct control_conn *)(void *)
	    ((char *)w - offsetof(struct control_conn, waiter));

	c->cancel = NULL;
	control_reply(c, ok, "%s", msg);
	control_finish(c);
}

static void
control_reload_cancel(struct control_conn *c, void *arg)
{
	(void)arg;
	reloader_cancel(c->ctl->up->reloader, &c->waiter);
}

static void
control_cmd_reload(struct control_conn *c, const char *args)
{
	(void)args;
	c->waiter.done_cb = control_reload_done;
	control_set_cancel(c, control_reload_cancel, NULL);
	reloader_request(c->ctl->up->reloader, &c->waiter);
}

static void
control_upgrade_done(struct reload_waiter *w, int ok, const char *msg)
{
	struct control_conn	*c = (struct control_conn *)(void *)
	    ((char *)w - offsetof(struct control_conn, waiter));

	c->cancel = NULL;
	control_reply(c, ok, "%s", msg);
	/* Upgraded: this process exits once the reply is out. */
	if (ok)
		control_after(c, udproxy_upgraded_exit);
	control_finish(c);
}

static void
control_upgrade_cancel(struct control_conn *c, void *arg)
{
	(void)arg;
	upgrade_cancel(c->ctl->up, &c->waiter);
}

static void
control_cmd_upgrade(struct control_conn *c, const char *args)
{
	(void)args;
	c->waiter.done_cb = control_upgrade_done;
	control_set_cancel(c, control_upgrade_cancel, NULL);
	upgrade_request(c->ctl->up, &c->waiter);
}

static void
control_stop(struct udproxy *up)
{
	log_info("stop requested on the control socket, shutting down");
	event_base_loopbreak(up->base);
}

static void
control_cmd_stop(struct control_conn *c, const char *args)
{
	(void)args;
	control_reply(c, 1, "stopping");
	control_after(c, control_stop);
	control_finish(c);
}

/* The access logs reopen their files by name, for logrotate. */
static void
control_cmd_reopen(struct control_conn *c, const char *args)
{
	struct udproxy	*up = c->ctl->up;

	(void)args;
	udproxy_reopen_logs(up);
	control_reply(c, 1, "reopening %zu access log%s", up->nalogs,
	    up->nalogs == 1 ? "" : "s");
	control_finish(c);
}

static void
control_cmd_status(struct control_conn *c, const char *args)
{
	struct udproxy	*up = c->ctl->up;
	size_t		 i, *n, total = 0;

	(void)args;
	/* Each worker's live sessions: how evenly the kernel spreads them. */
	n = xcalloc(up->nworkers, sizeof(*n));
	udproxy_pause(up);
	for (i = 0; i < up->nworkers; i++)
		total += n[i] = up->workers[i]->nsessions;
	udproxy_resume(up);
	control_reply(c, 1, "%s", "");
	control_line(c, "pid %ld", (long)getpid());
	control_line(c, "version %s", up->version);
	control_line(c, "uptime %llu", (unsigned long long)
	    ((clock_ms() - up->started_ms) / 1000));
	control_line(c, "routes %zu", up->nroutes);
	control_line(c, "workers %zu", up->nworkers);
	control_line(c, "sessions %zu", total);
	control_line(c, "config %s", up->conf->path);
	control_line(c, "control %s", c->ctl->path);
	control_line(c, "reloading %s", up->reloader->running ? "yes" : "no");
	control_line(c, "upgrading %s", up->upgrade != NULL ? "yes" : "no");
	for (i = 0; i < up->nworkers; i++)
		control_line(c, "worker %zu sessions %zu", i, n[i]);
	free(n);
	control_finish(c);
}

static void
control_stats_line(const char *line, void *arg)
{
	control_line(arg, "%s", line);
}

static void
control_cmd_stats(struct control_conn *c, const char *args)
{
	(void)args;
	control_reply(c, 1, "%s", "");
	udproxy_stats(c->ctl->up, control_stats_line, c);
	control_finish(c);
}

/* --- the client: udproxy -s ----------------------------------------- */

/* Writes n bytes of the daemon's reply to f with control bytes escaped. */
static void
control_print(FILE *f, const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		unsigned char	ch = (unsigned char)p[i];

		if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else if (ch == 0xc2 && i + 1 < n &&
		    (unsigned char)p[i + 1] >= 0x80 &&
		    (unsigned char)p[i + 1] <= 0x9f) {
			/* A C1 control written as UTF-8 (U+009B is CSI). */
			fprintf(f, "\\xc2\\x%02x", (unsigned char)p[i + 1]);
			i++;
		} else
			fputc(ch, f);
	}
}

/*
 * Sends cmd to the daemon at path and waits at most timeout_s seconds for
 * its reply: "ok" prints the message and body on stdout and returns 0;
 * "error" prints "udproxy: error: message" on stderr and returns 1, as
 * does a daemon that cannot be reached or does not answer in time.
 */
int
control_client(const char *path, const char *cmd, int timeout_s)
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	char			 buf[4096], head[CONTROL_LINE_MAX + 2100];
	size_t			 hlen = 0;
	ssize_t			 n;
	uint64_t		 deadline;
	int			 fd, rc, status = -1, ms;
	char			*nl, *msg;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_stderr("error: control socket %s: path too "
		    "long", path);
		return 1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_stderr("error: cannot connect to %s: %s "
		    "(is udproxy running?)", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return 1;
	}
	snprintf(buf, sizeof(buf), "%s\n", cmd);
	if (write(fd, buf, strlen(buf)) != (ssize_t)strlen(buf)) {
		log_stderr("error: %s: %s", path,
		    strerror(errno));
		close(fd);
		return 1;
	}
	deadline = clock_ms() + (uint64_t)timeout_s * 1000;
	for (;;) {
		ms = (int)(deadline > clock_ms() ? deadline - clock_ms() : 0);
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((rc = poll(&pfd, 1, ms)) == -1 && errno == EINTR)
			continue;
		if (rc <= 0) {
			log_stderr("error: no reply from %s "
			    "within %d s", path, timeout_s);
			close(fd);
			return 1;
		}
		if ((n = read(fd, buf, sizeof(buf))) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (status != -1) {
			control_print(status == 0 ? stdout : stderr, buf,
			    (size_t)n);
			continue;
		}
		/* The status line decides where the rest goes. */
		if ((size_t)n > sizeof(head) - 1 - hlen)
			n = (ssize_t)(sizeof(head) - 1 - hlen);
		memcpy(head + hlen, buf, (size_t)n);
		hlen += (size_t)n;
		head[hlen] = '\0';
		if ((nl = strchr(head, '\n')) == NULL &&
		    hlen < sizeof(head) - 1)
			continue;
		if (nl != NULL)
			*nl = '\0';
		if (strncmp(head, "ok", 2) == 0 &&
		    (head[2] == '\0' || head[2] == ' ')) {
			status = 0;
			msg = head[2] == ' ' ? head + 3 : NULL;
			if (msg != NULL) {
				control_print(stdout, msg, strlen(msg));
				fputc('\n', stdout);
			}
		} else {
			status = 1;
			msg = strncmp(head, "error ", 6) == 0 ? head + 6 : head;
			fputs("udproxy: error: ", stderr);
			control_print(stderr, msg, strlen(msg));
			fputc('\n', stderr);
		}
		if (nl != NULL)
			control_print(status == 0 ? stdout : stderr, nl + 1,
			    hlen - (size_t)(nl + 1 - head));
	}
	close(fd);
	if (status == -1) {
		log_stderr("error: %s: the daemon closed the "
		    "connection without a reply", path);
		return 1;
	}
	return status;
}
