/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <sys/resource.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "clock.h"
#include "accesslog.h"
#include "conf.h"
#include "control.h"
#include "log.h"
#include "reload.h"
#include "reloader.h"
#include "resolve.h"
#include "route.h"
#include "stats_http.h"
#include "transparent.h"
#include "udproxy.h"
#include "upgrade.h"
#include "worker.h"
#include "xmalloc.h"

static void	udproxy_signal_cb(evutil_socket_t, short, void *);

static const int udproxy_signals[] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1,
    SIGUSR2 };

struct udproxy *
udproxy_new(void)
{
	struct udproxy	*up;
	size_t		 i;

	up = xcalloc(1, sizeof(*up));
	up->start_time = (uint64_t)time(NULL);
	event_set_log_callback(log_libevent_cb);
	/*
	 * libevent's process-wide state (its random numbers for evdns) is
	 * shared by the workers' threads: let it lock. The bases themselves
	 * do without (worker_base_new).
	 */
	if (evthread_use_pthreads() == -1)
		fatalx("cannot set up libevent for threads");
	if ((up->base = worker_base_new()) == NULL)
		fatalx("cannot create the event base");
	up->nworkers = 1;
	up->workers = xcalloc(up->nworkers, sizeof(*up->workers));
	up->workers[0] = worker_new(up->base);
	for (i = 0; i < sizeof(udproxy_signals) / sizeof(int); i++) {
		up->ev_signal[i] = evsignal_new(up->base, udproxy_signals[i],
		    udproxy_signal_cb, up);
		if (up->ev_signal[i] == NULL ||
		    evsignal_add(up->ev_signal[i], NULL) == -1)
			fatalx("cannot install the signal handlers");
	}
	up->reloader = reloader_new(up);
	up->started_ms = clock_ms();
	up->version = PACKAGE_VERSION;
	return up;
}

/*
 * How many sessions the descriptor limit leaves room for, besides nfixed
 * descriptors of the daemon's own (listeners, worker threads).
 */
size_t
udproxy_fd_budget(size_t nfixed)
{
	struct rlimit	rl;
	rlim_t		reserve = UDPROXY_FD_RESERVE + (rlim_t)nfixed;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		return CONF_SESSIONS_MAX;
	if (rl.rlim_cur <= reserve)
		return 1;
	if (rl.rlim_cur - reserve > CONF_SESSIONS_MAX)
		return CONF_SESSIONS_MAX;
	return (size_t)(rl.rlim_cur - reserve);
}

static void
udproxy_set_limits(struct udproxy *up, const struct conf *conf)
{
	/* A listener per route and worker; a worker thread's own 4. */
	size_t	budget = udproxy_fd_budget(conf->nroutes * up->nworkers +
		    UDPROXY_WORKER_FDS * (up->nworkers - 1)), i;

	up->max_sessions = budget;
	if (conf->max_sessions != 0 && conf->max_sessions <= budget)
		up->max_sessions = conf->max_sessions;
	else if (conf->max_sessions != 0)
		log_warning("max_sessions %u exceeds the descriptor limit; "
		    "using %zu", conf->max_sessions, budget);
	/* One budget over every worker's sessions. */
	for (i = 0; i < up->nworkers; i++)
		worker_set_max_sessions(up->workers[i], up->max_sessions);
}

/* Live sessions on every worker. */
size_t
udproxy_nsessions(struct udproxy *up)
{
	size_t	i, n = 0;

	udproxy_pause(up);
	for (i = 0; i < up->nworkers; i++)
		n += up->workers[i]->nsessions;
	udproxy_resume(up);
	return n;
}

/*
 * Parks every worker thread (all asked first, then waited for, so the
 * pause costs one wake-up, not N). Nested calls are counted.
 */
void
udproxy_pause(struct udproxy *up)
{
	size_t	i;

	if (up->paused++ > 0)
		return;
	for (i = 1; i < up->nworkers; i++)
		worker_pause(up->workers[i]);
	for (i = 1; i < up->nworkers; i++)
		worker_pause_wait(up->workers[i]);
}

void
udproxy_resume(struct udproxy *up)
{
	size_t	i;

	if (up->paused == 0 || --up->paused > 0)
		return;
	for (i = 1; i < up->nworkers; i++)
		worker_resume(up->workers[i]);
}

/*
 * The workers, made at the first load: `workers` of them, or as many as
 * the process an upgrade replaces ran (the listeners it hands over are
 * one SO_REUSEPORT group per route, one socket per worker).
 */
static void
udproxy_workers_init(struct udproxy *up, const struct conf *conf)
{
	size_t	n = conf->workers, old, i;

	if (up->inherit != NULL && (old = upgrade_child_workers(up->inherit))
	    > 0 && old != n) {
		log_warning("%s: workers %zu: the process this upgrade "
		    "replaces runs %zu; takes effect when the daemon is "
		    "stopped and started again", conf->path, n, old);
		n = old;
	}
	if (n < 1)
		n = 1;
	if (n > 1)
		log_info("%zu workers%s", n, conf->workers_auto &&
		    n == conf->workers ? " (auto: the CPUs udproxy may run on)" :
		    "");
	up->workers = xreallocarray(up->workers, n, sizeof(*up->workers));
	for (i = 1; i < n; i++)
		up->workers[i] = worker_new(NULL);
	up->nworkers = n;
	for (i = 0; i < n; i++) {
		up->workers[i]->id = i;
		up->workers[i]->budget = &up->workers[0]->own_budget;
	}
}

/* The open access log for path among logs[0..n-1], or NULL. */
static struct accesslog *
udproxy_alog_find(struct accesslog **logs, size_t n, const char *path)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(accesslog_path(logs[i]), path) == 0)
			return logs[i];
	return NULL;
}

/*
 * The access logs conf names: those already open are taken over (and
 * reopened later, for logrotate), new ones opened now. On failure every
 * log opened here is closed again and err says why.
 */
static int
udproxy_alogs_prepare(struct udproxy *up, const struct conf *conf,
    struct accesslog ***out, size_t *nout, char *err, size_t errlen)
{
	struct accesslog	**logs, *al;
	const char		 *path;
	size_t			  i, j, n = 0;

	logs = xcalloc(conf->nroutes + 1, sizeof(*logs));
	for (i = 0; i < conf->nroutes; i++) {
		if ((path = conf->routes[i].access_log) == NULL ||
		    udproxy_alog_find(logs, n, path) != NULL)
			continue;
		if ((al = udproxy_alog_find(up->alogs, up->nalogs,
		    path)) == NULL &&
		    (al = accesslog_open(path, err, errlen)) == NULL) {
			for (j = 0; j < n; j++)
				if (udproxy_alog_find(up->alogs, up->nalogs,
				    accesslog_path(logs[j])) == NULL)
					accesslog_close(logs[j]);
			free(logs);
			return -1;
		}
		logs[n++] = al;
	}
	*out = logs;
	*nout = n;
	return 0;
}

/* Undoes udproxy_alogs_prepare: closes only what it opened. */
static void
udproxy_alogs_abort(struct udproxy *up, struct accesslog **logs, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (udproxy_alog_find(up->alogs, up->nalogs,
		    accesslog_path(logs[i])) == NULL)
			accesslog_close(logs[i]);
	free(logs);
}

/* Routes, on every worker (paused), point at their log. */
static void
udproxy_alogs_point(struct udproxy *up, struct accesslog **logs, size_t n)
{
	const struct route_conf	*rc;
	struct route		*r;
	size_t			 i;

	for (i = 0; i < up->nroutes; i++) {
		rc = up->routes[i]->conf;
		for (r = up->routes[i]; r != NULL; r = r->sibling) {
			r->alog = rc->access_log != NULL ?
			    udproxy_alog_find(logs, n, rc->access_log) : NULL;
			r->alog_format = rc->access_log_format;
		}
	}
}

/*
 * Logs no longer named are flushed and closed (their writers joined),
 * the others reopened; with the workers running (no route points at a
 * log closed here any more).
 */
static void
udproxy_alogs_commit(struct udproxy *up, struct accesslog **logs, size_t n)
{
	size_t	i;

	for (i = 0; i < up->nalogs; i++) {
		if (udproxy_alog_find(logs, n,
		    accesslog_path(up->alogs[i])) == NULL)
			accesslog_close(up->alogs[i]);
		else
			accesslog_reopen(up->alogs[i]);
	}
	free(up->alogs);
	up->alogs = logs;
	up->nalogs = n;
	/* Before udproxy_run, the writers wait for the daemon's fork. */
	for (i = 0; up->running && i < n; i++)
		accesslog_start(logs[i]);
}

/* Asks every access log to reopen its file (SIGHUP, `udproxy -s reopen`). */
void
udproxy_reopen_logs(struct udproxy *up)
{
	size_t	i;

	for (i = 0; i < up->nalogs; i++)
		accesslog_reopen(up->alogs[i]);
}

/*
 * The stats endpoint conf asks for: the running one if its address is
 * unchanged (it takes the new allow list at commit), a new one bound now
 * if it moved, NULL if there is none. -1 if the address cannot be bound.
 */
static int
udproxy_http_prepare(struct udproxy *up, const struct conf *conf,
    struct stats_http **out, char *err, size_t errlen)
{
	*out = NULL;
	if (conf->stats == NULL)
		return 0;
	if (up->http != NULL && stats_http_same_listen(up->http, conf->stats)) {
		*out = up->http;
		return 0;
	}
	if ((*out = stats_http_open(up, conf->stats, err, errlen)) == NULL)
		return -1;
	return 0;
}

static void
udproxy_http_commit(struct udproxy *up, const struct conf *conf,
    struct stats_http *http)
{
	if (up->http != NULL && up->http != http)
		stats_http_free(up->http);
	up->http = http;
	if (http != NULL)
		stats_http_set_conf(http, conf->stats);
}

static void
udproxy_warn_cb(const char *msg, void *arg)
{
	(void)arg;
	log_warning("%s", msg);
}

/* Whether some route re-resolves names while it runs. */
static int
udproxy_watches_names(const struct conf *conf)
{
	size_t	i, m;

	for (i = 0; i < conf->nroutes; i++) {
		if (conf->routes[i].resolve_interval_ms == 0)
			continue;
		for (m = 0; m < conf->routes[i].pool.nmembers; m++)
			if (conf->routes[i].pool.members[m].host != NULL)
				return 1;
	}
	return 0;
}

/*
 * The resolver the routes' resolve_interval watches use, made for conf on
 * worker 0's base (the main thread's: only worker 0's instance of a route
 * watches names) before the commit; returns the one it replaces (to free
 * once the commit has moved every watch), or NULL.
 */
static struct resolve *
udproxy_set_resolver(struct udproxy *up, const struct conf *conf)
{
	struct worker	*w = up->workers[0];
	struct resolve	*old = w->resolver, *r = NULL;
	char		 err[CONF_ERRLEN];

	if (udproxy_watches_names(conf)) {
		if (old != NULL && up->conf != NULL &&
		    conf_same_resolver(up->conf, conf)) {
			r = old;
			old = NULL;
		} else if ((r = resolve_new(w->base,
		    (const char *const *)conf->resolvers, conf->nresolvers,
		    conf->resolver_timeout_ms, err, sizeof(err))) == NULL)
			log_warning("%s: names are not re-resolved: %s",
			    conf->path, err);
	}
	w->resolver = r;
	w->resolve_min_ms = conf->resolve_min_ms;
	w->resolve_max_ms = conf->resolve_max_ms;
	return old;
}

/*
 * Makes conf the running configuration (taking ownership) and puts the
 * summary line in msg, or leaves everything as it was and returns -1 with
 * the reason in msg.
 */
int
udproxy_apply(struct udproxy *up, struct conf *conf, char *msg,
    size_t msglen)
{
	struct resolve		 *oldr;
	struct reload_plan	 *plan;
	struct reload_summary	  sum;
	struct accesslog	**logs;
	struct stats_http	 *http;
	struct conf		 *oconf;
	size_t			  nlogs;

	if (up->conf == NULL && up->nworkers == 1)
		udproxy_workers_init(up, conf);
	if (udproxy_alogs_prepare(up, conf, &logs, &nlogs, msg,
	    msglen) == -1) {
		conf_free(conf);
		return -1;
	}
	if (udproxy_http_prepare(up, conf, &http, msg, msglen) == -1) {
		udproxy_alogs_abort(up, logs, nlogs);
		conf_free(conf);
		return -1;
	}
	plan = reload_plan(up->conf, conf);
	plan->inherit = up->inherit;
	if (reload_prepare(plan, up->nworkers, msg, msglen) == -1) {
		reload_plan_free(plan);
		if (http != up->http)
			stats_http_free(http);
		udproxy_alogs_abort(up, logs, nlogs);
		conf_free(conf);
		return -1;
	}
	/*
	 * The routes' monitors run on worker 0, the main thread's: their
	 * resolver is made (files read) before the workers stop.
	 */
	oldr = udproxy_set_resolver(up, conf);
	/* The workers stand still while their routes change, no longer. */
	udproxy_pause(up);
	/* What the commit logs is logged at the level the new file asks for. */
	log_setlevel(conf->log_level);
	reload_commit(plan, up, &sum);
	udproxy_alogs_point(up, logs, nlogs);
	oconf = up->conf;
	up->conf = conf;
	udproxy_set_limits(up, conf);
	udproxy_resume(up);
	reload_plan_free(plan);
	/* The routes watch their names on the new resolver now. */
	resolve_free(oldr);
	udproxy_alogs_commit(up, logs, nlogs);
	udproxy_http_commit(up, conf, http);
	up->generation++;
	if (oconf == NULL)
		snprintf(msg, msglen, "loaded %s: %zu routes", conf->path,
		    conf->nroutes);
	else {
		snprintf(msg, msglen, "reloaded %s: routes %zu added, "
		    "%zu removed, %zu changed, %zu kept; sessions %zu kept, "
		    "%zu closed", conf->path, sum.added, sum.removed,
		    sum.changed, sum.kept, sum.sessions_kept,
		    sum.sessions_closed);
		if ((conf->user == NULL) != (oconf->user == NULL) ||
		    (conf->user != NULL &&
		    strcmp(conf->user, oconf->user) != 0))
			log_warning("user changed: takes effect when the daemon "
			    "is stopped and started again");
		if (conf->workers != up->nworkers)
			log_warning("workers %u: %zu running; takes effect when "
			    "the daemon is stopped and started again",
			    conf->workers, up->nworkers);
		/*
		 * A family of transparent routes new to this reload: say what
		 * it lacks (a local netlink dump; each bounded at a second).
		 */
		if (transparent_families(conf) &
		    ~transparent_families(oconf))
			transparent_check(conf, udproxy_warn_cb, NULL);
	}
	conf_free(oconf);
	return 0;
}

/* A stats line, kept for after the pause (lines never hold a newline). */
static void
udproxy_stats_keep(const char *line, void *arg)
{
	evbuffer_add_printf(arg, "%s\n", line);
}

/*
 * The stats lines, one call of cb each: the daemon's, then per route its
 * counters, its histograms and one line per pool member.
 * SIGUSR1 logs them; the control socket's "stats" sends them.
 */
void
udproxy_stats(struct udproxy *up, void (*cb)(const char *, void *),
    void *arg)
{
	struct evbuffer	*b;
	struct route	*r;
	char		 line[2200], *l;
	size_t		 i;

	if ((b = evbuffer_new()) == NULL)
		fatalx("cannot allocate a buffer");
	for (i = 0; i < up->nroutes; i++)
		route_read_drops(up->routes[i]);
	/* The figures are taken paused; they are logged (slow) after. */
	udproxy_pause(up);
	snprintf(line, sizeof(line), "stats: routes=%zu sessions=%zu "
	    "max_sessions=%zu workers=%zu reloads=%llu reload_failures=%llu",
	    up->nroutes, udproxy_nsessions(up), up->max_sessions,
	    up->nworkers, (unsigned long long)up->reloads,
	    (unsigned long long)up->reload_failures);
	udproxy_stats_keep(line, b);
	for (i = 0; i < up->nroutes; i++) {
		route_format_stats(up->routes[i], line, sizeof(line));
		udproxy_stats_keep(line, b);
		route_format_hist(up->routes[i], line, sizeof(line));
		udproxy_stats_keep(line, b);
		route_format_members(up->routes[i], udproxy_stats_keep, b);
		for (r = up->routes[i]; r != NULL; r = r->sibling)
			guard_list_blocks(r, clock_ms(), udproxy_stats_keep, b);
	}
	udproxy_resume(up);
	while ((l = evbuffer_readln(b, NULL, EVBUFFER_EOL_LF)) != NULL) {
		cb(l, arg);
		free(l);
	}
	evbuffer_free(b);
}

static void
udproxy_log_line(const char *line, void *arg)
{
	(void)arg;
	log_notice("%s", line);
}

static void
udproxy_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct udproxy	*up = arg;

	(void)what;
	switch (sig) {
	case SIGHUP:
		reloader_request(up->reloader, NULL);
		break;
	case SIGTERM:
	case SIGINT:
		log_info("received signal %d, shutting down", (int)sig);
		event_base_loopbreak(up->base);
		break;
	case SIGUSR2:
		upgrade_request(up, NULL);
		break;
	case SIGUSR1:
		udproxy_stats(up, udproxy_log_line, NULL);
		break;
	}
}

/*
 * Blocks (SIG_BLOCK) or unblocks (SIG_UNBLOCK) the signals the daemon
 * handles. main() blocks them before their events exist, so a SIGHUP
 * sent right after start waits instead of killing the process.
 */
void
udproxy_mask_signals(int how)
{
	sigset_t	set;
	size_t		i;

	sigemptyset(&set);
	for (i = 0; i < sizeof(udproxy_signals) / sizeof(int); i++)
		sigaddset(&set, udproxy_signals[i]);
	sigprocmask(how, &set, NULL);
}

/*
 * After the daemon's fork: every event base (the main one, each worker
 * thread's) gets kernel objects of the child's own.
 */
int
udproxy_reinit(struct udproxy *up)
{
	size_t	i;

	if (event_reinit(up->base) == -1)
		return -1;
	for (i = 1; i < up->nworkers; i++)
		if (event_reinit(up->workers[i]->base) == -1)
			return -1;
	return 0;
}

/*
 * Starts the threads (access log writers, workers 1 to N-1), once, in
 * the process that serves: after the daemon's fork, before it reports
 * that it serves.
 */
void
udproxy_start(struct udproxy *up)
{
	size_t	i;

	if (up->running)
		return;
	up->running = 1;
	for (i = 0; i < up->nalogs; i++)
		accesslog_start(up->alogs[i]);
	for (i = 1; i < up->nworkers; i++)
		worker_start(up->workers[i]);
}

int
udproxy_run(struct udproxy *up)
{
	udproxy_start(up);
	udproxy_mask_signals(SIG_UNBLOCK);
	return event_base_dispatch(up->base) == -1 ? -1 : 0;
}

void
udproxy_free(struct udproxy *up)
{
	size_t	i;

	if (up == NULL)
		return;
	upgrade_free(up->upgrade);
	free(up->exe);
	control_free(up->control);
	reloader_free(up->reloader);
	/* From here the main thread alone touches the routes. */
	for (i = 1; i < up->nworkers; i++)
		worker_stop(up->workers[i]);
	for (i = 0; i < up->nroutes; i++)
		route_free_chain(up->routes[i]);
	free(up->routes);
	resolve_free(up->workers[0]->resolver);
	stats_http_free(up->http);
	/* After the routes: their sessions' last lines are in, flushed. */
	for (i = 0; i < up->nalogs; i++)
		accesslog_close(up->alogs[i]);
	free(up->alogs);
	for (i = 0; i < sizeof(udproxy_signals) / sizeof(int); i++)
		event_free(up->ev_signal[i]);
	conf_free(up->conf);
	for (i = 0; i < up->nworkers; i++)
		worker_free(up->workers[i]);
	free(up->workers);
	/*
	 * A resolution cancelled above still owes evdns's deferred
	 * callbacks: one pass of the loop (nothing else is left on it)
	 * delivers them, so they free what they hold.
	 */
	event_base_loop(up->base, EVLOOP_NONBLOCK);
	event_base_free(up->base);
	free(up);
}

/*
 * After a reload: the control socket follows the 'control' setting. If
 * the new path cannot be made (the directory may need the privileges we
 * dropped), the socket stays where it is and a warning says so.
 */
void
udproxy_control_sync(struct udproxy *up)
{
	const char	*path;
	char		 err[CONF_ERRLEN];

	path = up->conf->control != NULL ? up->conf->control :
	    up->control_default;
	if (path == NULL)
		return;
	if (up->control == NULL) {
		if ((up->control = control_open(up, path, err,
		    sizeof(err))) == NULL)
			log_msg(up->conf->control != NULL || errno ==
			    EADDRINUSE ? LOG_LEVEL_WARNING : LOG_LEVEL_INFO,
			    "%s; running without a control socket", err);
	} else if (control_move(up->control, path, err, sizeof(err)) == -1)
		log_warning("%s; the control socket stays at %s", err,
		    control_path(up->control));
}

/* After a successful upgrade, once its control replies are out. */
void
udproxy_upgraded_exit(struct udproxy *up)
{
	event_base_loopbreak(up->base);
}
