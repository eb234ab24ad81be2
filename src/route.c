/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "conf.h"
#include "listener.h"
#include "log.h"
#include "route.h"
#include "session.h"
#include "worker.h"
#include "xmalloc.h"

static void	route_read_cb(evutil_socket_t, short, void *);
static void	route_expire_cb(evutil_socket_t, short, void *);
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
	r->listener = l;
	sessmap_init(&r->map);
	TAILQ_INIT(&r->idleq);
	r->ev_read = event_new(w->base, l->fd, EV_READ | EV_PERSIST,
	    route_read_cb, r);
	r->ev_expire = evtimer_new(w->base, route_expire_cb, r);
	if (r->ev_read == NULL || r->ev_expire == NULL)
		fatalx("route %s: cannot create events", rc->name);
	event_add(r->ev_read, NULL);
	if (rc->rcvbuf != 0)
		route_apply_rcvbuf(r);
	return r;
}

/* Closes every session, for a reload or shutdown; returns how many. */
size_t
route_close_sessions(struct route *r)
{
	struct session	*s;
	size_t		 n = 0;

	while ((s = TAILQ_FIRST(&r->idleq)) != NULL) {
		session_close(s);
		r->stats.sessions_closed++;
		n++;
	}
	evtimer_del(r->ev_expire);
	return n;
}

void
route_free(struct route *r)
{
	if (r == NULL)
		return;
	route_close_sessions(r);
	event_free(r->ev_read);
	event_free(r->ev_expire);
	sessmap_free(&r->map);
	listener_close(r->listener);
	free(r);
}

static void
route_apply_rcvbuf(struct route *r)
{
	int	got;

	got = listener_set_rcvbuf(r->listener, r->conf->rcvbuf);
	if (got == -1)
		log_warning("route %s: cannot set receive_buffer_size: %s",
		    r->conf->name, strerror(errno));
	else if (r->conf->rcvbuf != 0 && (unsigned int)got < r->conf->rcvbuf)
		log_warning("route %s: receive_buffer_size %u capped at %d "
		    "by net.core.rmem_max", r->conf->name, r->conf->rcvbuf,
		    got);
}

/* New tunables apply to live sessions at once: re-derive the deadline. */
void
route_set_conf(struct route *r, const struct route_conf *rc)
{
	unsigned int	old = r->conf->rcvbuf;

	r->conf = rc;
	if (rc->rcvbuf != old)
		route_apply_rcvbuf(r);
	route_schedule_expire(r, clock_ms());
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
	evtimer_add(r->ev_expire, &tv);
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
		session_close(s);
		r->stats.sessions_expired++;
	}
	route_schedule_expire(r, now);
}

static void
route_dispatch(struct route *r, const struct dgram *d, uint64_t now)
{
	struct sess_key		 key;
	struct sessmap_entry	*e;
	struct session		*s;
	uint64_t		 hash;

	addr_key_make(&key.client, &d->client.sa);
	listener_local_key(r->listener, &d->local, &key.local);
	hash = sessmap_hash(&r->map, &key);
	if ((e = sessmap_find(&r->map, &key, hash)) != NULL) {
		s = (struct session *)e;
		session_touch(s, now);
	} else if ((s = session_new(r, d, &key, hash, now)) == NULL)
		return;
	session_send(s, d->data, d->len, now);
}

/* Client datagrams are waiting: forward one batch, then yield. */
static void
route_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct route	*r = arg;
	struct dgram	 d;
	uint64_t	 now = clock_ms();
	int		 i, n;

	(void)fd;
	(void)what;
	if ((n = listener_recv(r->listener, r->worker->rx_listener)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			r->stats.rx_errors++;
		return;
	}
	for (i = 0; i < n; i++) {
		listener_dgram(r->listener, r->worker->rx_listener, i, &d);
		if (d.truncated)
			r->stats.drop_truncated++;
		else if (d.len > r->conf->max_datagram)
			r->stats.drop_oversize++;
		else
			route_dispatch(r, &d, now);
	}
}

void
route_log_stats(struct route *r)
{
	char	line[1024];

	/* Gauges are read when asked for, not kept per datagram. */
	r->stats.sessions_active = r->map.count;
	r->stats.drop_rcvbuf = listener_drops(r->listener);
	stats_format(&r->stats, line, sizeof(line));
	log_notice("route %s: stats %s", r->conf->name, line);
}
