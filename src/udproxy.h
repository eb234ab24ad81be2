/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * The daemon context: the main event base (signals, reload, control,
 * stats), the running configuration and routes, and the workers the
 * routes run on: worker 0 shares the main event base, workers 1 to N-1
 * (`workers = N`) run threads of their own. Routes and sessions never
 * reach in here; they see only their worker. What the main thread does
 * to the routes it does between udproxy_pause and udproxy_resume.
 */
#ifndef UDPROXY_UDPROXY_H
#define UDPROXY_UDPROXY_H

#include <stddef.h>
#include <stdint.h>

struct conf;
struct pidfile;
struct upgrade;
struct upgrade_child;
struct control;
struct event;
struct accesslog;
struct event_base;
struct reloader;
struct resolve;
struct route;
struct stats_http;
struct worker;

/* Descriptors kept out of the session budget (listeners, logs, libevent). */
#define UDPROXY_FD_RESERVE	32
/* A worker thread's: eventfd, epoll, libevent's internal socket pair. */
#define UDPROXY_WORKER_FDS	4

struct udproxy {
	struct event_base	*base;
	struct conf		*conf;
	struct route		**routes;
	size_t			 nroutes;
	struct event		*ev_signal[5];
	struct reloader		*reloader;	/* the reload pipeline */
	struct control		*control;	/* NULL: none */
	const char		*control_default; /* without 'control' */
	uint64_t		 started_ms;
	const char		*version;	/* this binary's */
	char			*exe;		/* its path, resolved at start */
	char			**argv;		/* for the upgrade's exec */
	struct pidfile		*pidfile;	/* NULL: none */
	struct upgrade		*upgrade;	/* one in progress */
	struct upgrade_child	*inherit;	/* while adopting, in the new */
	int			 upgraded;	/* handed over: exit, keep files */
	struct worker		**workers;
	size_t			 nworkers;	/* fixed at start */
	unsigned int		 paused;	/* udproxy_pause depth */
	size_t			 max_sessions;	/* effective global cap */
	uint64_t		 reloads;
	uint64_t		 reload_failures;
	uint64_t		 generation;	/* configurations applied */
	uint64_t		 start_time;	/* Unix seconds */
	struct stats_http	*http;		/* NULL: no stats endpoint */
	struct accesslog	**alogs;	/* one per distinct path */
	size_t			 nalogs;
	int			 privileges_dropped;
	int			 running;	/* in udproxy_run: threads may start */
};

struct udproxy	*udproxy_new(void);
int		 udproxy_apply(struct udproxy *, struct conf *, char *,
		    size_t);
void		 udproxy_reopen_logs(struct udproxy *);
int		 udproxy_reinit(struct udproxy *);
void		 udproxy_start(struct udproxy *);
int		 udproxy_run(struct udproxy *);
void		 udproxy_free(struct udproxy *);
size_t		 udproxy_nsessions(struct udproxy *);
void		 udproxy_pause(struct udproxy *);
void		 udproxy_resume(struct udproxy *);
void		 udproxy_stats(struct udproxy *,
		    void (*)(const char *, void *), void *);
size_t		 udproxy_fd_budget(size_t);
void		 udproxy_mask_signals(int);
void		 udproxy_control_sync(struct udproxy *);
void		 udproxy_upgraded_exit(struct udproxy *);

#endif
