/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <sys/eventfd.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "rxbatch.h"
#include "txbatch.h"
#include "worker.h"
#include "xmalloc.h"

/*
 * An event base without libevent's own locks: each base is used by one
 * thread at a time (its worker's, or the main thread's while the worker
 * is paused), so the locks would only cost, on every event operation.
 */
struct event_base *
worker_base_new(void)
{
	struct event_config	*cfg;
	struct event_base	*base;

	if ((cfg = event_config_new()) == NULL)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

/*
 * A worker running on base, or on an event base of its own when base is
 * NULL (a worker thread's). The session budget starts at zero: the owner
 * sets it with worker_set_max_sessions once the configuration is known.
 */
struct worker *
worker_new(struct event_base *base)
{
	struct worker	*w;

	w = xcalloc(1, sizeof(*w));
	w->wakefd = -1;
	w->budget = &w->own_budget;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (base == NULL) {
		if ((base = worker_base_new()) == NULL)
			fatalx("cannot create a worker's event base");
		w->owns_base = 1;
	}
	w->base = base;
	w->rx_listener = rxbatch_new(RXBATCH_NAMES | RXBATCH_PKTINFO, NULL);
	w->rx_session = rxbatch_new(0, w->rx_listener->data);
	w->tx = txbatch_new(base);
	return w;
}

/* The routes on the worker must be freed first (and its thread stopped). */
void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	worker_stop(w);
	/* What freed resolvers still owe runs once, as at the main base. */
	if (w->owns_base)
		event_base_loop(w->base, EVLOOP_NONBLOCK);
	txbatch_free(w->tx);
	rxbatch_free(w->rx_session);
	rxbatch_free(w->rx_listener);
	if (w->owns_base)
		event_base_free(w->base);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}

/*
 * The main thread wants the worker: park here until it is done. The
 * worker's loop is inside this callback meanwhile, touching nothing else,
 * so the main thread may use its base and its routes.
 */
static void
worker_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker	*w = arg;
	uint64_t	 v;
	int		 stop;

	(void)what;
	if (read(fd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		log_warning("worker %zu: wake-up: %s", w->id, strerror(errno));
	pthread_mutex_lock(&w->mu);
	while (w->pause && !w->stop) {
		w->parked = 1;
		pthread_cond_broadcast(&w->cv);
		pthread_cond_wait(&w->cv, &w->mu);
	}
	w->parked = 0;
	stop = w->stop;
	pthread_mutex_unlock(&w->mu);
	if (stop)
		event_base_loopbreak(w->base);
}

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	int		 rc, stop;

	rc = event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
	pthread_mutex_lock(&w->mu);
	stop = w->stop;
	pthread_mutex_unlock(&w->mu);
	/* Its routes would stop forwarding: never silently. */
	if (rc == -1 || !stop)
		fatalx("worker %zu: its event loop ended (%s)", w->id,
		    rc == -1 ? "an error in the event backend" :
		    "unexpectedly");
	return NULL;
}

/* Starts the thread of a worker that owns its base (a worker > 0). */
void
worker_start(struct worker *w)
{
	sigset_t	all, old;
	char		name[16];
	int		rc;

	if (!w->owns_base || w->threaded)
		return;
	if ((w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		fatalx("worker %zu: eventfd: %s", w->id, strerror(errno));
	w->ev_wake = event_new(w->base, w->wakefd, EV_READ | EV_PERSIST,
	    worker_wake_cb, w);
	if (w->ev_wake == NULL || event_add(w->ev_wake, NULL) == -1)
		fatalx("worker %zu: cannot watch its wake-up descriptor",
		    w->id);
	/* Signals stay with the main thread's loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		fatalx("worker %zu: cannot start its thread: %s", w->id,
		    strerror(rc));
	/* Named for top -H and ps -L: "udproxy/1" is worker 1. */
	snprintf(name, sizeof(name), "udproxy/%zu", w->id);
	pthread_setname_np(w->thread, name);
	w->threaded = 1;
}

static void
worker_kick(struct worker *w)
{
	uint64_t	one = 1;

	/* Only a counter at its maximum refuses; it is still readable. */
	if (write(w->wakefd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		fatalx("worker %zu: wake-up: %s", w->id, strerror(errno));
}

/*
 * Asks the worker to park; worker_pause_wait waits until it has. Pauses
 * nest (a route's monitor may pause the workers while a caller already
 * has): the worker goes on at the last worker_resume.
 */
void
worker_pause(struct worker *w)
{
	int	first;

	if (!w->threaded)
		return;
	pthread_mutex_lock(&w->mu);
	first = w->pause++ == 0;
	pthread_mutex_unlock(&w->mu);
	if (first)
		worker_kick(w);
}

void
worker_pause_wait(struct worker *w)
{
	if (!w->threaded)
		return;
	pthread_mutex_lock(&w->mu);
	while (!w->parked)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	/*
	 * Timers added meanwhile count from now, not from the time the
	 * worker's loop cached before it parked (they would fire early).
	 */
	event_base_update_cache_time(w->base);
}

void
worker_resume(struct worker *w)
{
	if (!w->threaded)
		return;
	pthread_mutex_lock(&w->mu);
	if (w->pause > 0 && --w->pause == 0)
		pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Ends the worker's loop and joins its thread (paused or not). */
void
worker_stop(struct worker *w)
{
	if (!w->threaded)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	w->pause = 0;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	worker_kick(w);
	pthread_join(w->thread, NULL);
	w->threaded = 0;
	event_free(w->ev_wake);
	w->ev_wake = NULL;
	close(w->wakefd);
	w->wakefd = -1;
}

/*
 * Reserves a slot under max, or returns 0. A slot already reserved by
 * this caller (*reserved) is used again: a reservation that no session
 * took is never lost, and never doubled.
 */
int
session_count_reserve(struct session_count *c, size_t max, int *reserved)
{
	if (*reserved)
		return 1;
	if (atomic_fetch_add(&c->n, 1) >= max) {
		atomic_fetch_sub(&c->n, 1);
		return 0;
	}
	*reserved = 1;
	return 1;
}

/* Gives back a reserved slot no session took. */
void
session_count_release(struct session_count *c, int *reserved)
{
	if (!*reserved)
		return;
	*reserved = 0;
	atomic_fetch_sub(&c->n, 1);
}

/* A session: in the reserved slot, or counted now (one adopted). */
void
session_count_add(struct session_count *c, int *reserved)
{
	if (*reserved)
		*reserved = 0;
	else
		atomic_fetch_add(&c->n, 1);
}

void
session_count_remove(struct session_count *c)
{
	if (atomic_fetch_sub(&c->n, 1) == 0)
		fatalx("session count underflow");
}

/*
 * The limit of the worker's budget (shared by all workers). A smaller
 * one than the live sessions closes none of them: new clients are
 * refused until enough have ended.
 */
void
worker_set_max_sessions(struct worker *w, size_t max)
{
	w->max_sessions = max;
}

/* Reserves room for one more session in the budget, or counts a refusal. */
int
worker_session_room(struct worker *w)
{
	if (session_count_reserve(w->budget, w->max_sessions, &w->reserved))
		return 1;
	w->sessions_refused++;
	return 0;
}

/* The session the room was for was not made after all. */
void
worker_session_unreserve(struct worker *w)
{
	session_count_release(w->budget, &w->reserved);
}

void
worker_session_add(struct worker *w)
{
	session_count_add(w->budget, &w->reserved);
	w->nsessions++;
}

void
worker_session_remove(struct worker *w)
{
	if (w->nsessions == 0)
		fatalx("worker: session count underflow");
	w->nsessions--;
	session_count_remove(w->budget);
}
