/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "loader.h"
#include "log.h"
#include "xmalloc.h"

struct loader {
	struct event	*ev;
	int		 fds[2];	/* the thread writes one byte when done */
	pthread_t	 thread;
	char		*path;
	struct conf	*conf;		/* the thread's result */
	char		 err[CONF_ERRLEN];
	loader_done_cb	*cb;
	void		*arg;
	struct loader	*next;		/* on the abandoned list */
};

/*
 * Loaders whose thread was still parsing when the daemon shut down. The
 * thread still uses them, and the process ends before it would finish,
 * so they stay referenced here instead of being freed under it.
 */
static struct loader	*loader_abandoned;

static void *
loader_main(void *arg)
{
	struct loader	*l = arg;
	ssize_t		 n;

	l->conf = conf_load_file(l->path, l->err, sizeof(l->err));
	do
		n = write(l->fds[1], "", 1);
	while (n == -1 && errno == EINTR);
	return NULL;
}

static void
loader_free(struct loader *l)
{
	if (l->ev != NULL)
		event_free(l->ev);
	close(l->fds[0]);
	close(l->fds[1]);
	free(l->path);
	free(l);
}

static void
loader_done(evutil_socket_t fd, short what, void *arg)
{
	struct loader	*l = arg;
	struct conf	*conf;
	char		 c, err[CONF_ERRLEN];
	loader_done_cb	*cb = l->cb;
	void		*cbarg = l->arg;

	(void)what;
	if (read(fd, &c, 1) != 1)
		return;		/* spurious wake-up: the thread writes once */
	pthread_join(l->thread, NULL);
	conf = l->conf;
	snprintf(err, sizeof(err), "%s", l->err);
	loader_free(l);
	cb(conf, err, cbarg);
}

/*
 * Starts loading path in a new thread; cb(conf, err, arg) runs on base's
 * loop once it is done. Returns NULL with the reason in err if the thread
 * cannot be started.
 */
struct loader *
loader_start(struct event_base *base, const char *path, loader_done_cb *cb,
    void *arg, char *err, size_t errlen)
{
	struct loader	*l;
	sigset_t	 all, old;
	int		 rc;

	l = xcalloc(1, sizeof(*l));
	l->path = xstrdup(path);
	l->cb = cb;
	l->arg = arg;
	if (pipe2(l->fds, O_CLOEXEC | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "cannot start the loader: pipe: %s",
		    strerror(errno));
		free(l->path);
		free(l);
		return NULL;
	}
	if ((l->ev = event_new(base, l->fds[0], EV_READ, loader_done,
	    l)) == NULL || event_add(l->ev, NULL) == -1) {
		snprintf(err, errlen, "cannot start the loader: no event");
		loader_free(l);
		return NULL;
	}
	/* Signals stay with the loop's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&l->thread, NULL, loader_main, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the loader: %s",
		    strerror(rc));
		loader_free(l);
		return NULL;
	}
	return l;
}

/*
 * Gives up on a load in progress (shutdown): its callback never runs. The
 * thread may still be inside libconfig, where it cannot be cancelled
 * safely, so it is detached and left to be ended with the process; its
 * loader stays reachable and its pipe open (a closed descriptor could be
 * reused, and the thread's last write would land in someone else's file).
 */
void
loader_abandon(struct loader *l)
{
	if (l == NULL)
		return;
	event_free(l->ev);
	l->ev = NULL;
	pthread_detach(l->thread);
	l->next = loader_abandoned;
	loader_abandoned = l;
}
