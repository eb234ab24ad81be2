/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "acl.h"
#include "clock.h"
#include "conf.h"
#include "guard.h"
#include "listener.h"
#include "log.h"
#include "monitor.h"
#include "pool.h"
#include "proxyproto.h"
#include "route.h"
#include "rxbatch.h"
#include "session.h"
#include "txbatch.h"
#include "worker.h"
#include "xmalloc.h"

static void	route_read_cb(evutil_socket_t, short, void *);
static void	route_expire_cb(evutil_socket_t, short, void *);
static void	route_retry_cb(evutil_socket_t, short, void *);
static void	route_watch(struct route *, uint64_t);
static void	route_apply_rcvbuf(struct route *);

/* Takes ownership of the listener. */
struct route *
route_new(struct worker *w, const struct route_conf *rc,
    struct listener *l)
{
	struct route	*r;

	r = xcalloc(1, sizeof(*r));
	r->worker = w;
	r->conf = rc;
	r->count = &r->own_count;
	r->listener = l;
	r->pool = pool_new(&rc->pool);
	sessmap_init(&r->map);
	TAILQ_INIT(&r->idleq);
	hist_init(&r->latency, ROUTE_LATENCY_SHIFT);
	hist_init(&r->duration, ROUTE_DURATION_SHIFT);
	r->ev_read = event_new(w->base, l->fd, EV_READ | EV_PERSIST,
	    route_read_cb, r);
	r->ev_expire = evtimer_new(w->base, route_expire_cb, r);
	r->ev_retry = evtimer_new(w->base, route_retry_cb, r);
	if (r->ev_read == NULL || r->ev_expire == NULL || r->ev_retry == NULL)
		fatalx("route %s: cannot create events", rc->name);
	route_watch(r, clock_ms());
	guard_route_init(r);
	route_apply_rcvbuf(r);
	/* Checks and names run once per route: on worker 0's instance. */
	r->monitor = w->id == 0 ? monitor_new(r) : NULL;
	return r;
}

/*
 * A registration with the event loop failed (epoll_ctl: ENOMEM, or
 * ENOSPC at fs.epoll.max_user_watches): counted by the caller, logged
 * here at most once a second per route. errno is the reason.
 */
void
route_event_error(struct route *r, const char *what, uint64_t now)
{
	unsigned int	n;
	int		saved = errno;

	if ((n = ratelimit_allow(&r->rl_event, now)) != 0)
		log_error("route %s: cannot add %s to the event loop: %s "
		    "(%u suppressed)", r->conf->name, what, strerror(saved),
		    n - 1);
	errno = saved;
}

/*
 * Watches the listener. A route is created where nothing may fail (the
 * commit of a reload), so a failure is retried every second rather than
 * undone; until then the kernel queues the route's datagrams.
 */
static void
route_watch(struct route *r, uint64_t now)
{
	struct timeval	tv = { 1, 0 };

	if (event_add(r->ev_read, NULL) == 0)
		return;
	r->stats.event_errors++;
	route_event_error(r, "the listener (retrying every second)", now);
	if (evtimer_add(r->ev_retry, &tv) == -1)
		log_error("route %s: cannot schedule the retry: the route "
		    "receives nothing until the next reload", r->conf->name);
}

static void
route_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct route	*r = arg;

	(void)fd;
	(void)what;
	route_watch(r, clock_ms());
	if (event_pending(r->ev_read, EV_READ, NULL))
		log_notice("route %s: listener added to the event loop",
		    r->conf->name);
}

/* Closes every session, for a reload or shutdown; returns how many. */
size_t
route_close_sessions(struct route *r, enum session_end why)
{
	struct session	*s;
	size_t		 n = 0;

	while ((s = TAILQ_FIRST(&r->idleq)) != NULL) {
		session_close(s, why);
		r->stats.sessions_closed++;
		n++;
	}
	evtimer_del(r->ev_expire);
	return n;
}

/*
 * Frees a route's instance on every worker, the first last: the others
 * count their sessions in its count.
 */
void
route_free_chain(struct route *r)
{
	if (r == NULL)
		return;
	route_free_chain(r->sibling);
	route_free(r);
}

void
route_free(struct route *r)
{
	if (r == NULL)
		return;
	session_count_release(r->count, &r->count_reserved);
	/* Queued replies name this route and may leave by its listener. */
	txbatch_flush(r->worker->tx);
	route_close_sessions(r, SESSION_END_SHUTDOWN);
	monitor_free(r->monitor);
	event_free(r->ev_read);
	event_free(r->ev_expire);
	event_free(r->ev_retry);
	sessmap_free(&r->map);
	guard_route_free(r);
	pool_free(r->pool);
	listener_close(r->listener);
	free(r);
}

/*
 * An explicit receive_buffer_size wins; without one the listener gets
 * LISTENER_RCVBUF_DEFAULT. Both are forced past net.core.rmem_max while
 * the daemon may (at start-up, as root); later only up to the limit.
 */
static void
route_apply_rcvbuf(struct route *r)
{
	unsigned int	want = r->conf->rcvbuf != 0 ? r->conf->rcvbuf :
			    LISTENER_RCVBUF_DEFAULT;
	int		got, forced;

	got = listener_set_rcvbuf(r->listener, r->conf->rcvbuf, &forced);
	if (got == -1) {
		log_warning("route %s: cannot set the receive buffer of worker "
		    "%zu's listener: %s", r->conf->name, r->worker->id,
		    strerror(errno));
		return;
	}
	/* Every worker's listener gets the same: worker 0 speaks for all. */
	if (r->worker->id != 0)
		return;
	if (r->conf->rcvbuf != 0 && (unsigned int)got < want)
		log_warning("route %s: receive_buffer_size %u capped at %d "
		    "by net.core.rmem_max", r->conf->name, want, got);
	else
		log_info("route %s: listener receive buffer %d bytes "
		    "(asked %u, %s)", r->conf->name, got, want,
		    forced ? "SO_RCVBUFFORCE" : (unsigned int)got < want ?
		    "SO_RCVBUF, capped by net.core.rmem_max" : "SO_RCVBUF");
}

/* Closes the sessions pinned to removed members; returns how many. */
static size_t
route_prune(struct route *r)
{
	struct session	*s, *next;
	size_t		 n = 0;

	for (s = TAILQ_FIRST(&r->idleq); s != NULL; s = next) {
		next = TAILQ_NEXT(s, idle);
		if (!s->up->removed)
			continue;
		session_close(s, SESSION_END_RELOAD);
		r->stats.sessions_closed++;
		n++;
	}
	pool_collect(r->pool);
	route_schedule_expire(r, clock_ms());
	return n;
}

/*
 * New tunables apply to live sessions at once: re-derive the deadline.
 * The pool follows the new configuration: sessions to addresses still in
 * it stay (whatever their weight, flags or the balancer); those to
 * removed members close now. Returns how many closed.
 */
size_t
route_set_conf(struct route *r, const struct route_conf *rc)
{
	unsigned int	old = r->conf->rcvbuf;
	size_t		closed = 0;

	r->conf = rc;
	if (rc->rcvbuf != old)
		route_apply_rcvbuf(r);
	guard_route_reconf(r);
	if (pool_apply(r->pool, &rc->pool) > 0)
		closed = route_prune(r);
	/* The other workers' verdicts follow at the end of the commit. */
	if (r->monitor != NULL)
		monitor_apply(r->monitor);
	route_schedule_expire(r, clock_ms());
	return closed;
}

/*
 * Replaces the addresses configured member m stands for (a name that
 * resolved anew): members that stay keep their sessions, sessions to
 * dropped addresses close now. Returns how many closed.
 */
size_t
route_set_addrs(struct route *r, size_t m, const struct addr *addrs,
    size_t n)
{
	if (pool_set_addrs(r->pool, m, addrs, n) == 0)
		return 0;
	return route_prune(r);
}

/*
 * Worker 0's monitor speaks for the route on every worker: its other
 * instances (r's siblings) follow, each with its worker paused.
 */
static void
route_pause_siblings(struct route *r, int pause)
{
	struct route	*x;

	for (x = r->sibling; x != NULL; x = x->sibling)
		if (pause)
			worker_pause(x->worker);
		else
			worker_resume(x->worker);
	for (x = r->sibling; pause && x != NULL; x = x->sibling)
		worker_pause_wait(x->worker);
}

/*
 * Every member's health-check verdict, worker 0's, on the other workers
 * too: after a verdict, and after a reload or a new answer changed the
 * pools (where worker 0's monitor may let go of a verdict, or health
 * checks altogether, without a transition to report).
 */
void
route_siblings_sync_checked(struct route *r)
{
	struct route	*x;
	struct upstream	*u, *u0;
	size_t		 i;

	if (r->sibling == NULL)
		return;
	route_pause_siblings(r, 1);
	for (x = r->sibling; x != NULL; x = x->sibling)
		for (i = 0; i < x->pool->nmembers; i++) {
			u = x->pool->members[i];
			u0 = pool_find(r->pool, &u->addr);
			pool_set_checked(x->pool, u, u0 != NULL ?
			    u0->checked_down : 0);
		}
	route_pause_siblings(r, 0);
}

/* A name's new addresses, for the other workers; returns sessions closed. */
size_t
route_siblings_set_addrs(struct route *r, size_t m, const struct addr *addrs,
    size_t n)
{
	struct route	*x;
	size_t		 closed = 0;

	if (r->sibling == NULL)
		return 0;
	route_pause_siblings(r, 1);
	for (x = r->sibling; x != NULL; x = x->sibling)
		closed += route_set_addrs(x, m, addrs, n);
	route_pause_siblings(r, 0);
	return closed;
}

/* The member for a new session, or NULL (counted and logged). */
struct upstream *
route_pick(struct route *r, const struct addr_key *client, uint64_t now)
{
	struct upstream	*u;
	unsigned int	 n;

	if ((u = pool_pick(r->pool, client, now)) != NULL)
		return u;
	r->stats.drop_no_upstream++;
	if ((n = ratelimit_allow(&r->rl_noup, now)) != 0)
		log_warning("route %s: no usable upstream, dropping datagrams "
		    "(%u suppressed)", r->conf->name, n - 1);
	return NULL;
}

/* Passive health: a refusal, a send error or a reply that never came. */
void
route_upstream_fail(struct route *r, struct upstream *u, uint64_t now)
{
	char	a[ADDR_STRLEN];

	r->stats.upstream_failures++;
	if (!pool_fail(r->pool, u, now))
		return;
	r->stats.upstream_downs++;
	log_notice("route %s: upstream %s (%s) down for %llu ms after %u "
	    "failures", r->conf->name, u->label,
	    addr_format((const struct sockaddr *)&u->addr.ss, a, sizeof(a)),
	    (unsigned long long)r->pool->fail_timeout_ms, r->pool->max_fails);
}

/*
 * All sessions of a route share one timeout, so the idle queue is in
 * deadline order and one timer at the head's deadline serves them all.
 */
void
route_schedule_expire(struct route *r, uint64_t now)
{
	struct session	*s;
	struct timeval	 tv;
	uint64_t	 deadline, delay;

	evtimer_del(r->ev_expire);
	if ((s = TAILQ_FIRST(&r->idleq)) == NULL)
		return;
	deadline = s->last_ms + r->conf->idle_ms;
	delay = deadline > now ? deadline - now : 0;
	tv.tv_sec = (time_t)(delay / 1000);
	tv.tv_usec = (suseconds_t)(delay % 1000) * 1000;
	/* Retried at the route's next datagram (route_read_cb). */
	if (evtimer_add(r->ev_expire, &tv) == -1) {
		r->stats.event_errors++;
		route_event_error(r, "the idle timer", now);
	}
}

static void
route_expire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct route	*r = arg;
	struct session	*s;
	uint64_t	 now = clock_ms();

	(void)fd;
	(void)what;
	while ((s = TAILQ_FIRST(&r->idleq)) != NULL &&
	    s->last_ms + r->conf->idle_ms <= now) {
		/* With responses, a reply that never came is a failure. */
		if (session_waiting(s))
			route_upstream_fail(r, s->up, now);
		session_close(s, SESSION_END_IDLE);
		r->stats.sessions_expired++;
	}
	route_schedule_expire(r, now);
}

/*
 * A datagram from a proxy_protocol_from source must start with a PROXY v2
 * header: strip it and take the client it names. Returns 1 with o filled
 * when it names one, 0 when the datagram speaks for its sender (LOCAL,
 * AF_UNSPEC), -1 when it must be dropped.
 */
static int
route_unwrap(struct route *r, const struct dgram *d, struct sess_origin *o,
    const unsigned char **data, size_t *len, uint64_t now)
{
	struct proxyproto	 h;
	struct sockaddr_in6	*sin6;
	struct sockaddr_in	 sin;
	union sockaddr_u	*u[2] = { &o->client, &o->dst };
	char			 peer[ADDR_STRLEN];
	unsigned int		 n;
	int			 i, rc;

	if ((rc = proxyproto_decode(d->data, d->len, &h)) != 0) {
		r->stats.drop_proxy_invalid++;
		if ((n = ratelimit_allow(&r->rl_proxy, now)) != 0)
			log_warning("route %s: dropped a datagram from %s "
			    "(proxy_protocol_from): PROXY header: %s (%u "
			    "suppressed)", r->conf->name, addr_format(
			    &d->client.sa, peer, sizeof(peer)),
			    proxyproto_strerror(rc), n - 1);
		return -1;
	}
	*data = d->data + h.len;
	*len = d->len - h.len;
	if (h.src.ss_family == AF_UNSPEC)
		return 0;
	memcpy(&o->client, &h.src, sizeof(o->client));
	memcpy(&o->dst, &h.dst, sizeof(o->dst));
	/* IPv4-mapped addresses are IPv4 clients, as in struct addr_key. */
	for (i = 0; i < 2; i++) {
		sin6 = &u[i]->sin6;
		if (sin6->sin6_family != AF_INET6 ||
		    !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			continue;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = sin6->sin6_port;
		memcpy(&sin.sin_addr, &sin6->sin6_addr.s6_addr[12], 4);
		memset(u[i], 0, sizeof(*u[i]));
		u[i]->sin = sin;
	}
	o->clientlen = o->client.sa.sa_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	return 1;
}

/*
 * The client a datagram speaks for (its sender, or the source of an
 * accepted PROXY header, in o) is the one sessions, limits and headers
 * are about; replies go to the sender, d->client.
 */
/*
 * The session a client's datagram belongs to (created if it is the first),
 * with the payload to forward in *datap, *lenp; NULL when it is dropped
 * (and counted).
 */
static struct session *
route_dispatch(struct route *r, const struct dgram *d, uint64_t now,
    const unsigned char **datap, size_t *lenp)
{
	struct sess_key		 key;
	struct sess_origin	 o, *op = NULL;
	struct sessmap_entry	*e;
	struct session		*s;
	const unsigned char	*data = d->data;
	size_t			 len = d->len;
	uint64_t		 hash;
	uint32_t		 src;

	memset(&key.peer, 0, sizeof(key.peer));
	if (r->conf->pp_from != NULL &&
	    acl_match_sa(r->conf->pp_from, &d->client.sa) == ACL_ALLOW) {
		switch (route_unwrap(r, d, &o, &data, &len, now)) {
		case -1:
			return NULL;
		case 1:
			op = &o;
			addr_key_make(&key.peer, &d->client.sa);
			break;
		}
	}
	addr_key_make(&key.client, op != NULL ? &o.client.sa : &d->client.sa);
	if (!guard_admit(r, &key.client, len, now, &src))
		return NULL;
	listener_local_key(r->listener, &d->local, &key.local);
	hash = sessmap_hash(&r->map, &key);
	if ((e = sessmap_find(&r->map, &key, hash)) != NULL) {
		s = (struct session *)e;
		/* Its upstream went down: move on to another. */
		if (!pool_usable(r->pool, s->up, now) &&
		    session_repin(s, now) == -1)
			return NULL;
		session_touch(s, now);
	} else if (!guard_session_room(r, src) ||
	    (s = session_new(r, d, op, &key, hash, now)) == NULL)
		return NULL;
	else
		guard_session_open(s, src);
	if (!guard_upload(s, data, len, now))
		return NULL;
	*datap = data;
	*lenp = len;
	return s;
}

/* Sockets set up so far: new sessions, and ones moved off a failed upstream. */
static uint64_t
route_setups(const struct route *r)
{
	return r->stats.sessions_created + r->stats.sessions_moved;
}

/* Consecutive datagrams of one listener batch that go to one session. */
struct route_run {
	struct session		*s;
	int			 n;
	const unsigned char	*data[RXBATCH_MAX];
	size_t			 len[RXBATCH_MAX];
};

static void
route_run_flush(struct route_run *run, uint64_t now)
{
	if (run->n > 0)
		session_send_run(run->s, run->data, run->len, run->n, now);
	run->s = NULL;
	run->n = 0;
}

/*
 * Client datagrams are waiting: forward what the listener holds, batch by
 * batch, until it is empty, ROUTE_DRAIN_BATCHES were read or
 * ROUTE_DRAIN_SESSIONS sessions were set up. Reading only one batch per
 * wake-up starved the listener while thousands of session callbacks ran
 * in the same loop iteration, and its buffer overflowed; the bounds keep
 * a flood, or a burst of new clients, from starving the sessions' replies
 * in turn. What is left is read in the next pass (level-triggered).
 */
static void
route_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct route	*r = arg;
	struct rxbatch	*b = r->worker->rx_listener;
	struct route_run run;
	struct session	*s;
	struct dgram	 d;
	const unsigned char *data;
	size_t		 len;
	uint64_t	 now = clock_batch_ms();
	uint64_t	 setups = route_setups(r);
	int		 i, n, round;

	(void)fd;
	(void)what;
	run.s = NULL;
	run.n = 0;
	for (round = 0; round < ROUTE_DRAIN_BATCHES; round++) {
		if ((n = listener_recv(r->listener, b)) == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				r->stats.rx_errors++;
			break;
		}
		for (i = 0; i < n; i++) {
			listener_dgram(r->listener, b, i, &d);
			if (d.truncated)
				r->stats.drop_truncated++;
			else if (d.len > r->conf->max_datagram)
				r->stats.drop_oversize++;
			else if ((s = route_dispatch(r, &d, now, &data,
			    &len)) != NULL) {
				/*
				 * With responses or requests, a datagram may
				 * end or unbind its session: one at a time.
				 */
				if (r->conf->responses >= 0 ||
				    r->conf->requests != 0) {
					route_run_flush(&run, now);
					session_send(s, data, len, now);
					continue;
				}
				/*
				 * A run breaks at another session, and
				 * before a datagram that must carry a PROXY
				 * header of its own.
				 */
				if (s != run.s || s->pp_len != 0)
					route_run_flush(&run, now);
				run.s = s;
				run.data[run.n] = data;
				run.len[run.n++] = len;
			}
		}
		/* The batch's buffers are reused by the next receive. */
		route_run_flush(&run, now);
		/*
		 * A short batch: the socket is empty, spare the EAGAIN.
		 * Enough set-ups: the rest waits for the next pass.
		 */
		if (n < RXBATCH_MAX ||
		    route_setups(r) - setups >= ROUTE_DRAIN_SESSIONS)
			break;
	}
	/* Only if adding the idle timer failed: sessions must still end. */
	if (!TAILQ_EMPTY(&r->idleq) && !evtimer_pending(r->ev_expire, NULL))
		route_schedule_expire(r, now);
}

/* Gauges are read when asked for, not kept per datagram. */
void
route_refresh_stats(struct route *r)
{
	r->stats.sessions_active = r->nsessions;
}

/*
 * The kernel's count of datagrams its listener's full buffer dropped,
 * on every worker: a query per socket, so it is made before the workers
 * pause, not during. Only the main thread writes drop_rcvbuf.
 */
void
route_read_drops(struct route *r)
{
	for (; r != NULL; r = r->sibling)
		r->stats.drop_rcvbuf = listener_drops(r->listener);
}

/*
 * A configured route's figures: the sum over its instance on every
 * worker (r and its siblings); lat and dur may be NULL. The workers are
 * paused.
 */
void
route_sum_stats(struct route *r, struct route_stats *st, struct hist *lat,
    struct hist *dur)
{
	memset(st, 0, sizeof(*st));
	if (lat != NULL)
		hist_init(lat, ROUTE_LATENCY_SHIFT);
	if (dur != NULL)
		hist_init(dur, ROUTE_DURATION_SHIFT);
	for (; r != NULL; r = r->sibling) {
		route_refresh_stats(r);
		stats_add(st, &r->stats);
		if (lat != NULL)
			hist_merge(lat, &r->latency);
		if (dur != NULL)
			hist_merge(dur, &r->duration);
	}
}

/* "route NAME: stats rx_datagrams=... ...", the line SIGUSR1 logs. */
void
route_format_stats(struct route *r, char *buf, size_t len)
{
	struct route_stats	st;
	char			line[2048];

	route_sum_stats(r, &st, NULL, NULL);
	stats_format(&st, line, sizeof(line));
	snprintf(buf, len, "route %s: stats %s", r->conf->name, line);
}

/* "count=N sum=S p50=A p90=B p99=C" of h, in its units. */
static void
route_hist_words(const struct hist *h, char *buf, size_t len)
{
	snprintf(buf, len, "count=%llu sum=%llu p50=%llu p90=%llu p99=%llu",
	    (unsigned long long)h->count, (unsigned long long)h->sum,
	    (unsigned long long)hist_quantile(h, 500),
	    (unsigned long long)hist_quantile(h, 900),
	    (unsigned long long)hist_quantile(h, 990));
}

/*
 * "route NAME: histograms latency_us count=... duration_ms count=...",
 * the line SIGUSR1 logs after the stats line: each histogram's count and
 * sum and its quantiles estimated from the buckets (as Prometheus does).
 */
void
route_format_hist(struct route *r, char *buf, size_t len)
{
	struct route_stats	st;
	struct hist		lat, dur;
	char			l[160], d[160];

	route_sum_stats(r, &st, &lat, &dur);
	route_hist_words(&lat, l, sizeof(l));
	route_hist_words(&dur, d, sizeof(d));
	snprintf(buf, len, "route %s: histograms latency_us %s duration_ms %s",
	    r->conf->name, l, d);
}

/*
 * Pool member k of r (the instance on worker 0) summed over the route's
 * instances: each worker's member of the same address (its place in the
 * pool first, the same on every worker almost always), sessions_active
 * from the sessions pinned to it. Returns whether it is up: usable on
 * every worker. A worker that has not (re-)resolved that address yet adds
 * nothing. The workers are paused.
 */
int
route_sum_member(struct route *r, size_t k, struct upstream_stats *st,
    struct hist *lat, uint64_t now)
{
	struct upstream	*u = r->pool->members[k], *v;
	struct route	*x;
	int		 up = 1;

	memset(st, 0, sizeof(*st));
	hist_init(lat, u->latency.shift);
	for (x = r; x != NULL; x = x->sibling) {
		if (k < x->pool->nmembers &&
		    addr_key_equal(&x->pool->members[k]->key, &u->key))
			v = x->pool->members[k];
		else if ((v = pool_find(x->pool, &u->addr)) == NULL)
			continue;
		if (!pool_usable(x->pool, v, now))
			up = 0;
		stats_upstream_add(st, &v->stats);
		st->sessions_active += v->sessions;
		hist_merge(lat, &v->latency);
	}
	return up;
}

/*
 * One line per pool member of r, for SIGUSR1 after the route's:
 * "route NAME: upstream ADDRESS (MEMBER) up=1 rx_datagrams=... latency_us
 * count=... p99=...".
 */
void
route_format_members(struct route *r, void (*cb)(const char *, void *),
    void *arg)
{
	struct upstream_stats	 st;
	struct hist		 lat;
	struct upstream		*u;
	char			 a[ADDR_STRLEN], words[1024], l[160];
	char			 line[2200];
	uint64_t		 now = clock_ms();
	size_t			 k;
	int			 up;

	for (k = 0; k < r->pool->nmembers; k++) {
		u = r->pool->members[k];
		up = route_sum_member(r, k, &st, &lat, now);
		stats_upstream_format(&st, words, sizeof(words));
		route_hist_words(&lat, l, sizeof(l));
		snprintf(line, sizeof(line), "route %s: upstream %s (%s) up=%d "
		    "%s latency_us %s", r->conf->name,
		    addr_format((const struct sockaddr *)&u->addr.ss, a,
		    sizeof(a)), u->label, up, words, l);
		cb(line, arg);
	}
}
