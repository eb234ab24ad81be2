/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "acl.h"
#include "clock.h"
#include "conf.h"
#include "guard.h"
#include "limit.h"
#include "route.h"
#include "rxbatch.h"
#include "session.h"
#include "worker.h"
#include "xmalloc.h"

/* SIGUSR1 lists at most this many blocked sources per route. */
#define GUARD_LIST_MAX		32

/*
 * Per-session pacing (upload_rate, download_rate), allocated the first
 * time a rate applies to the session. Buckets hold 50 ms of the rate and
 * may go into debt by one datagram, which is then paid off by waiting.
 */
struct guard_pace {
	struct session		*s;
	struct limit_bucket	 up, down;
	struct event		 ev;		/* refill timer */
	int			 paused;	/* upstream read event off */
	unsigned char		*q;	/* ring of GUARD_QUEUE_BYTES */
	size_t			 qhead, qused, qcount;
};

static void	guard_pace_cb(evutil_socket_t, short, void *);

static uint64_t
guard_pace_burst(unsigned int rate)
{
	return rate / 20 > 0 ? rate / 20 : 1;
}

static int
guard_table_fits(const struct limit_table *t, const struct limit_conf *lc)
{
	return t != NULL && t->size == lc->table_size &&
	    t->prefix4 == lc->prefix4 && t->prefix6 == lc->prefix6;
}

void
guard_route_init(struct route *r)
{
	const struct limit_conf	*lc = &r->conf->guard.limit;

	if (limit_conf_active(lc))
		r->guard.limits = limit_table_new(lc->table_size, lc->prefix4,
		    lc->prefix6);
}

void
guard_route_free(struct route *r)
{
	limit_table_free(r->guard.limits);
	r->guard.limits = NULL;
}

/*
 * After route->conf moved: the table survives unless its sizes changed
 * (then live sessions are counted again in the new one), sessions whose
 * client the new lists deny are closed, and paced sessions re-read their
 * rates at once.
 */
void
guard_route_reconf(struct route *r)
{
	const struct conf_guard	*g = &r->conf->guard;
	struct limit_table	*nt = NULL;
	struct session		*s, *next;
	size_t			 closed = 0;
	uint64_t		 now = clock_ms();
	struct timeval		 tv = { 0, 0 };

	if (limit_conf_active(&g->limit) &&
	    guard_table_fits(r->guard.limits, &g->limit))
		nt = r->guard.limits;
	else {
		if (limit_conf_active(&g->limit))
			nt = limit_table_new(g->limit.table_size,
			    g->limit.prefix4, g->limit.prefix6);
		TAILQ_FOREACH(s, &r->idleq, idle) {
			s->src = LIMIT_NONE;
			if (nt == NULL)
				continue;
			s->src = limit_find(nt, &s->entry.key.client, now);
			if (s->src != LIMIT_NONE)
				limit_session_add(nt, s->src);
		}
		limit_table_free(r->guard.limits);
		r->guard.limits = nt;
	}
	for (s = TAILQ_FIRST(&r->idleq); s != NULL; s = next) {
		next = TAILQ_NEXT(s, idle);
		if (g->acl != NULL &&
		    acl_match(g->acl, &s->entry.key.client) == ACL_DENY) {
			session_close(s, SESSION_END_DENIED);
			r->stats.sessions_closed++;
			r->stats.sessions_denied++;
			closed++;
		} else if (s->pace != NULL)
			evtimer_add(&s->pace->ev, &tv);
	}
	if (closed > 0)
		log_info("route %s: %zu sessions closed: the access lists now "
		    "deny their clients", r->conf->name, closed);
}

/*
 * The per-source table and its blocked sources, one line each (at most
 * GUARD_LIST_MAX), for SIGUSR1 and the control socket's stats.
 */
void
guard_list_blocks(struct route *r, uint64_t now,
    void (*cb)(const char *, void *), void *arg)
{
	struct limit_table	*t = r->guard.limits;
	struct limit_entry	*e;
	char			 src[INET6_ADDRSTRLEN + 8], line[256];
	size_t			 n = 0;
	uint32_t		 i;

	if (t == NULL)
		return;
	snprintf(line, sizeof(line), "route %s: per_client table %" PRIu32
	    "/%" PRIu32 " sources, %" PRIu64 " evicted", r->conf->name,
	    t->count, t->size, t->evictions);
	cb(line, arg);
	for (i = 0; i < t->size; i++) {
		e = &t->entry[i];
		if (e->blocked_until <= now)
			continue;
		if (n++ >= GUARD_LIST_MAX)
			continue;
		snprintf(line, sizeof(line), "route %s: blocked %s for %"
		    PRIu64 " s more", r->conf->name, limit_key_format(t,
		    &e->key, src, sizeof(src)),
		    (e->blocked_until - now + 999) / 1000);
		cb(line, arg);
	}
	if (n > GUARD_LIST_MAX) {
		snprintf(line, sizeof(line), "route %s: %zu more sources "
		    "blocked", r->conf->name, n - GUARD_LIST_MAX);
		cb(line, arg);
	}
}

int
guard_admit(struct route *r, const struct addr_key *client, size_t len,
    uint64_t now, uint32_t *src)
{
	const struct conf_guard	*g = &r->conf->guard;
	struct limit_table	*t = r->guard.limits;
	char			 buf[INET6_ADDRSTRLEN + 8];
	unsigned int		 n;
	uint32_t		 i;

	*src = LIMIT_NONE;
	if (g->acl != NULL && acl_match(g->acl, client) == ACL_DENY) {
		r->stats.drop_acl++;
		return 0;
	}
	if (t == NULL)
		return 1;
	if ((i = limit_find(t, client, now)) == LIMIT_NONE) {
		/* Every entry has live sessions: no room for a new source. */
		r->stats.drop_client_sessions++;
		return 0;
	}
	switch (limit_check(t, i, &g->limit, len, now)) {
	case LIMIT_PASS:
		*src = i;
		return 1;
	case LIMIT_RATE:
		r->stats.drop_client_rate++;
		return 0;
	case LIMIT_BLOCK_START:
		r->stats.blocks++;
		if ((n = ratelimit_allow(&r->guard.rl_block, now)) != 0)
			log_notice("route %s: blocking %s for %u s: over %u x "
			    "per_client.rate (%u suppressed)", r->conf->name,
			    limit_key_format(t, &t->entry[i].key, buf,
			    sizeof(buf)), g->limit.block_seconds,
			    g->limit.block_threshold, n - 1);
		/* FALLTHROUGH */
	case LIMIT_BLOCKED:
	default:
		r->stats.drop_blocked++;
		return 0;
	}
}

int
guard_session_room(struct route *r, uint32_t src)
{
	unsigned int	max = r->conf->guard.limit.sessions;

	if (src == LIMIT_NONE || max == 0 ||
	    r->guard.limits->entry[src].sessions < max)
		return 1;
	r->stats.drop_client_sessions++;
	return 0;
}

void
guard_session_open(struct session *s, uint32_t src)
{
	s->src = src;
	if (src != LIMIT_NONE)
		limit_session_add(s->route->guard.limits, src);
}

/*
 * A session handed over by an upgrade counts in this process's table
 * (new, empty) so per_client.sessions stays exact; buckets and blocks
 * start afresh.
 */
void
guard_session_adopt(struct session *s, uint64_t now)
{
	struct limit_table	*t = s->route->guard.limits;

	s->src = LIMIT_NONE;
	if (t != NULL &&
	    (s->src = limit_find(t, &s->entry.key.client, now)) != LIMIT_NONE)
		limit_session_add(t, s->src);
}

void
guard_session_close(struct session *s)
{
	struct guard_pace	*p = s->pace;

	if (s->src != LIMIT_NONE && s->route->guard.limits != NULL)
		limit_session_del(s->route->guard.limits, s->src);
	s->src = LIMIT_NONE;
	if (p != NULL) {
		evtimer_del(&p->ev);
		free(p->q);
		free(p);
		s->pace = NULL;
	}
}

static struct guard_pace *
guard_pace_get(struct session *s, uint64_t now)
{
	const struct conf_guard	*g = &s->route->conf->guard;
	struct guard_pace	*p;

	if ((p = s->pace) != NULL)
		return p;
	p = s->pace = xcalloc(1, sizeof(*p));
	p->s = s;
	limit_bucket_init(&p->up, guard_pace_burst(g->upload_rate), now);
	limit_bucket_init(&p->down, guard_pace_burst(g->download_rate), now);
	evtimer_assign(&p->ev, s->route->worker->base, guard_pace_cb, p);
	return p;
}

static void
guard_pace_schedule(struct guard_pace *p, uint64_t wait)
{
	struct timeval	tv;

	if (wait == 0)
		wait = 1;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	evtimer_add(&p->ev, &tv);
}

/* The ring holds [2-byte length][payload] records, wrapping at its end. */
static void
guard_ring_put(struct guard_pace *p, size_t off, const void *src, size_t n)
{
	size_t	first;

	off %= GUARD_QUEUE_BYTES;
	first = GUARD_QUEUE_BYTES - off < n ? GUARD_QUEUE_BYTES - off : n;
	memcpy(p->q + off, src, first);
	memcpy(p->q, (const unsigned char *)src + first, n - first);
}

static void
guard_ring_get(const struct guard_pace *p, size_t off, void *dst, size_t n)
{
	size_t	first;

	off %= GUARD_QUEUE_BYTES;
	first = GUARD_QUEUE_BYTES - off < n ? GUARD_QUEUE_BYTES - off : n;
	memcpy(dst, p->q + off, first);
	memcpy((unsigned char *)dst + first, p->q, n - first);
}

static int
guard_queue_push(struct guard_pace *p, const void *data, size_t len)
{
	uint16_t	l = (uint16_t)len;

	if (p->qcount >= GUARD_QUEUE_DGRAMS ||
	    p->qused + sizeof(l) + len > GUARD_QUEUE_BYTES)
		return 0;
	if (p->q == NULL)
		p->q = xmalloc(GUARD_QUEUE_BYTES);
	guard_ring_put(p, p->qhead + p->qused, &l, sizeof(l));
	guard_ring_put(p, p->qhead + p->qused + sizeof(l), data, len);
	p->qused += sizeof(l) + len;
	p->qcount++;
	return 1;
}

static size_t
guard_queue_peek(const struct guard_pace *p)
{
	uint16_t	l;

	guard_ring_get(p, p->qhead, &l, sizeof(l));
	return l;
}

static void
guard_queue_pop(struct guard_pace *p, void *dst, size_t len)
{
	guard_ring_get(p, p->qhead + sizeof(uint16_t), dst, len);
	p->qhead = (p->qhead + sizeof(uint16_t) + len) % GUARD_QUEUE_BYTES;
	p->qused -= sizeof(uint16_t) + len;
	if (--p->qcount == 0)
		p->qhead = p->qused = 0;
}

int
guard_upload(struct session *s, const void *data, size_t len, uint64_t now)
{
	unsigned int		 rate = s->route->conf->guard.upload_rate;
	struct guard_pace	*p = s->pace;

	if (rate == 0 && (p == NULL || p->qcount == 0))
		return 1;
	p = guard_pace_get(s, now);
	if (p->qcount == 0 && (rate == 0 || limit_bucket_debit(&p->up, rate,
	    guard_pace_burst(rate), len, now)))
		return 1;
	if (!guard_queue_push(p, data, len)) {
		s->route->stats.drop_rate_queue_full++;
		return 0;
	}
	if (!evtimer_pending(&p->ev, NULL))
		guard_pace_schedule(p, limit_bucket_wait_ms(&p->up, rate));
	return 0;
}

/* Refill: send what the upload budget allows, resume reading replies. */
static void
guard_pace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct guard_pace	*p = arg;
	struct session		*s = p->s;
	const struct conf_guard	*g = &s->route->conf->guard;
	unsigned char		*buf;
	uint64_t		 now = clock_ms(), wait = 0, w;
	size_t			 len;

	(void)fd;
	(void)what;
	/* No batch is in progress in a timer callback: the buffer is free. */
	buf = rxbatch_data(s->route->worker->rx_session, 0);
	while (p->qcount > 0) {
		len = guard_queue_peek(p);
		if (g->upload_rate != 0 && !limit_bucket_debit(&p->up,
		    g->upload_rate, guard_pace_burst(g->upload_rate), len,
		    now)) {
			wait = limit_bucket_wait_ms(&p->up, g->upload_rate);
			break;
		}
		guard_queue_pop(p, buf, len);
		/* responses or requests may end the session (p with it). */
		if (session_send(s, buf, len, now))
			return;
	}
	if (p->paused) {
		if (g->download_rate == 0 || guard_download_ok(s, now)) {
			if (event_add(&s->ev, NULL) == 0)
				p->paused = 0;
			else {
				/* Still paused: retried in a second. */
				s->route->stats.event_errors++;
				route_event_error(s->route, "a session's "
				    "upstream socket", now);
				wait = wait > 1000 ? wait : 1000;
			}
		} else {
			w = limit_bucket_wait_ms(&p->down, g->download_rate);
			wait = w > wait ? w : wait;
		}
	}
	if (p->qcount > 0 || p->paused)
		guard_pace_schedule(p, wait);
}

int
guard_reply(struct session *s, size_t len)
{
	unsigned int		milli;
	unsigned __int128	allowed;

	if ((milli = s->route->conf->guard.reply_ratio_milli) == 0)
		return 1;
	allowed = (unsigned __int128)s->req_bytes * milli / 1000;
	if ((unsigned __int128)s->reply_bytes + len > allowed) {
		s->route->stats.drop_reply_ratio++;
		return 0;
	}
	s->reply_bytes += len;
	return 1;
}

int
guard_download_paced(const struct session *s)
{
	return s->route->conf->guard.download_rate != 0;
}

/* Whether the download budget allows a read; if not, pause reading. */
int
guard_download_ok(struct session *s, uint64_t now)
{
	unsigned int		 rate = s->route->conf->guard.download_rate;
	struct guard_pace	*p = guard_pace_get(s, now);

	if (rate == 0)
		return 1;
	limit_bucket_refill(&p->down, rate, guard_pace_burst(rate), now);
	if (p->down.units >= 0)
		return 1;
	if (!p->paused) {
		p->paused = 1;
		event_del(&s->ev);
		if (!evtimer_pending(&p->ev, NULL))
			guard_pace_schedule(p, limit_bucket_wait_ms(&p->down,
			    rate));
	}
	return 0;
}

void
guard_download_debit(struct session *s, size_t len)
{
	if (s->pace != NULL)
		s->pace->down.units -= (int64_t)len * LIMIT_SCALE;
}
