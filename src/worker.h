/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * A worker: the one thing routes and their sessions run on. It holds an
 * event base, the receive buffers its callbacks share (one loop runs on
 * one thread, so one set is enough per worker) and its share of the
 * session budget. Routes and sessions reach only their worker, never the
 * daemon context, so several workers (one per thread) can exist side by
 * side; struct udproxy owns the configuration and the workers.
 *
 * Worker 0 runs on the main thread's base. With `workers = N`, workers 1
 * to N-1 each run their own base on a thread of their own, and nothing on
 * the forwarding path takes a lock. The main thread touches a worker's
 * routes only while the worker is paused: worker_pause asks (an eventfd
 * the worker's loop watches), the worker parks inside that callback, off
 * every other structure, and the main thread may then use the worker's
 * base and routes as if it were the worker, until worker_resume.
 */
#ifndef UDPROXY_WORKER_H
#define UDPROXY_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct resolve;

/*
 * A session count several workers share, for one limit over all of them
 * (the global budget, a route's max_sessions): an atomic add and
 * subtract per session started and ended, nothing per datagram. A slot
 * is reserved before a session is made (so that no two workers take the
 * last one) and kept by the reserving worker until it makes a session.
 */
struct session_count {
	_Atomic size_t	n;		/* sessions, with reserved slots */
};

int	session_count_reserve(struct session_count *, size_t, int *);
void	session_count_release(struct session_count *, int *);
void	session_count_add(struct session_count *, int *);
void	session_count_remove(struct session_count *);
struct rxbatch;
struct txbatch;

struct worker {
	struct event_base	*base;
	int			 owns_base;
	struct rxbatch		*rx_listener;	/* receive buffers, */
	struct rxbatch		*rx_session;	/* sharing their data */
	struct txbatch		*tx;		/* replies of one iteration */
	size_t			 nsessions;	/* live, on every route */
	struct session_count	*budget;	/* all workers' sessions */
	struct session_count	 own_budget;	/* budget, unless shared */
	size_t			 max_sessions;	/* of budget */
	int			 reserved;	/* a slot of budget */
	uint64_t		 sessions_refused; /* at max_sessions */
	struct resolve		*resolver;	/* resolve_interval; worker 0 */
	uint64_t		 resolve_min_ms;
	uint64_t		 resolve_max_ms;
	size_t			 id;		/* 0: on the main thread */
	/* A worker with a thread (id > 0), once worker_start ran: */
	int			 threaded;
	pthread_t		 thread;
	int			 wakefd;	/* eventfd: pause or stop */
	struct event		*ev_wake;
	pthread_mutex_t		 mu;		/* the fields below */
	pthread_cond_t		 cv;
	unsigned int		 pause;		/* asked (nested) by the main thread */
	int			 parked;	/* the worker waits in ev_wake */
	int			 stop;
};

struct worker	*worker_new(struct event_base *);
struct event_base *worker_base_new(void);
void		 worker_free(struct worker *);
void		 worker_start(struct worker *);
void		 worker_pause(struct worker *);
void		 worker_pause_wait(struct worker *);
void		 worker_resume(struct worker *);
void		 worker_stop(struct worker *);
void		 worker_set_max_sessions(struct worker *, size_t);
int		 worker_session_room(struct worker *);
void		 worker_session_unreserve(struct worker *);
void		 worker_session_add(struct worker *);
void		 worker_session_remove(struct worker *);

#endif
