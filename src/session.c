/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <sys/uio.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <netinet/udp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "accesslog.h"
#include "clock.h"
#include "conf.h"
#include "guard.h"
#include "limit.h"
#include "log.h"
#include "pool.h"
#include "proxyproto.h"
#include "route.h"
#include "rxbatch.h"
#include "session.h"
#include "txbatch.h"
#include "worker.h"
#include "xmalloc.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103
#endif

static void	session_reply_cb(evutil_socket_t, short, void *);

/*
 * Reserves room for a new session under the route's max_sessions and the
 * global budget (both counted over every worker), or counts the drop.
 */
static int
session_limit_reached(struct route *r, uint64_t now)
{
	struct worker	*w = r->worker;
	unsigned int	 n;
	size_t		 cap;
	const char	*scope;

	if (r->conf->max_sessions != 0 && !session_count_reserve(r->count,
	    r->conf->max_sessions, &r->count_reserved)) {
		cap = r->conf->max_sessions;
		scope = "route";
	} else if (!worker_session_room(w)) {
		/* The route's slot goes back: other workers may need it. */
		session_count_release(r->count, &r->count_reserved);
		cap = w->max_sessions;
		scope = "global";
	} else
		return 0;
	r->stats.drop_session_limit++;
	if ((n = ratelimit_allow(&r->rl_limit, now)) != 0)
		log_warning("route %s: %s session limit (%zu) reached, "
		    "dropping datagrams from new clients (%u suppressed)",
		    r->conf->name, scope, cap, n - 1);
	return 1;
}

/* The session room was reserved for was not made: give the room back. */
static void
session_unreserve(struct route *r)
{
	session_count_release(r->count, &r->count_reserved);
	worker_session_unreserve(r->worker);
}

/* One more session on r: in its reserved room, or adopted. */
static void
session_count_in(struct route *r)
{
	session_count_add(r->count, &r->count_reserved);
	worker_session_add(r->worker);
	r->nsessions++;
}

/* Binds the client's own address (IP_TRANSPARENT) for transparent mode. */
static int
session_bind_client(int fd, const union sockaddr_u *c, socklen_t clen)
{
	int	on = 1, rc;

	if (c->sa.sa_family == AF_INET)
		rc = setsockopt(fd, SOL_IP, IP_TRANSPARENT, &on, sizeof(on));
	else
		rc = setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &on,
		    sizeof(on));
	/* The same client may have sessions to other upstreams too. */
	if (rc == 0)
		rc = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (rc == 0)
		rc = bind(fd, &c->sa, clen);
	return rc;
}

static const char *
session_upstream_name(const struct upstream *u, char *buf, size_t len)
{
	return addr_format((const struct sockaddr *)&u->addr.ss, buf, len);
}

static int
session_socket(struct route *r, struct upstream *up,
    const union sockaddr_u *c, socklen_t clen, uint64_t now)
{
	const struct addr	*u = &up->addr;
	char			 client[ADDR_STRLEN], name[ADDR_STRLEN];
	unsigned int		 n;
	int			 fd, saved, bound = 1;

	fd = socket(u->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd != -1 && r->conf->transparent) {
		if (c->sa.sa_family != u->ss.ss_family) {
			/* A PROXY header's client of the other family. */
			close(fd);
			fd = -1;
			errno = EAFNOSUPPORT;
			bound = 0;
		} else if (session_bind_client(fd, c, clen) == -1)
			bound = 0;
	}
	if (fd != -1 && bound &&
	    connect(fd, (const struct sockaddr *)&u->ss, u->len) == 0)
		return fd;
	saved = errno;
	if (fd != -1)
		close(fd);
	r->stats.drop_socket_error++;
	if ((n = ratelimit_allow(&r->rl_socket, now)) == 0)
		return -1;
	if (!bound)
		log_warning("route %s: transparent: cannot bind client "
		    "address %s: %s%s (%u suppressed)", r->conf->name,
		    addr_format(&c->sa, client, sizeof(client)),
		    strerror(saved), saved == EPERM ? " (needs CAP_NET_ADMIN)" :
		    "", n - 1);
	else
		log_warning("route %s: cannot open a socket to upstream %s: "
		    "%s (%u suppressed)", r->conf->name,
		    session_upstream_name(up, name, sizeof(name)),
		    strerror(saved), n - 1);
	return -1;
}

/*
 * The PROXY v2 header of a new session, built once: the client (or the
 * client an accepted header named) and the address it sent to (the
 * listener's, on a wildcard listener the datagram's local address, or
 * an accepted header's destination). Returns its length, 0 if none.
 */
static size_t
session_pp_build(struct route *r, const struct dgram *d,
    const struct sess_origin *o, unsigned char *buf, size_t size)
{
	const struct listener	*l = r->listener;
	struct proxyproto	 h;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	ssize_t			 n;

	if (r->conf->pp_send == CONF_PP_OFF)
		return 0;
	memset(&h, 0, sizeof(h));
	h.cmd = PROXYPROTO_CMD_PROXY;
	h.transport = PROXYPROTO_DGRAM;
	if (o != NULL) {
		memcpy(&h.src, &o->client, o->clientlen);
		memcpy(&h.dst, &o->dst, sizeof(o->dst));
	} else
		memcpy(&h.src, &d->client, d->clientlen);
	if (h.dst.ss_family == AF_UNSPEC) {
		memcpy(&h.dst, &l->addr.ss, l->addr.len);
		if (d->local.family == AF_INET) {
			sin = (struct sockaddr_in *)&h.dst;
			sin->sin_addr = d->local.a.v4;
		} else if (d->local.family == AF_INET6) {
			sin6 = (struct sockaddr_in6 *)&h.dst;
			sin6->sin6_addr = d->local.a.v6;
		}
	}
	if (r->conf->pp_tlvs & CONF_PP_TLV_AUTHORITY) {
		h.authority = (const uint8_t *)r->conf->name;
		h.authority_len = strlen(r->conf->name);
	}
	h.crc32c = (r->conf->pp_tlvs & CONF_PP_TLV_CRC32C) != 0;
	n = proxyproto_encode(buf, size, &h);
	return n > 0 ? (size_t)n : 0;
}

/*
 * Creates the session for a client's first datagram, or returns NULL after
 * counting why the datagram is dropped.
 */
struct session *
session_new(struct route *r, const struct dgram *d,
    const struct sess_origin *o, const struct sess_key *key, uint64_t hash,
    uint64_t now)
{
	struct session	*s;
	unsigned char	 pp[PROXYPROTO_SEND_MAX];
	struct upstream	*u;
	char		 client[ADDR_STRLEN];
	size_t		 pplen;
	int		 fd;

	if (session_limit_reached(r, now))
		return NULL;
	if ((u = route_pick(r, &key->client, now)) == NULL) {
		session_unreserve(r);
		return NULL;
	}
	if ((fd = session_socket(r, u, o != NULL ? &o->client : &d->client,
	    o != NULL ? o->clientlen : d->clientlen, now)) == -1) {
		session_unreserve(r);
		return NULL;
	}
	pplen = session_pp_build(r, d, o, pp, sizeof(pp));
	s = xcalloc(1, sizeof(*s) + pplen);
	s->entry.key = *key;
	s->entry.hash = hash;
	s->route = r;
	memcpy(&s->client, &d->client, d->clientlen);
	s->clientlen = d->clientlen;
	if (o != NULL) {
		memcpy(&s->origin, &o->client, o->clientlen);
		s->originlen = o->clientlen;
	} else {
		s->origin = s->client;
		s->originlen = s->clientlen;
	}
	memcpy(s->pp_hdr, pp, pplen);
	s->pp_len = s->pp_size = (uint16_t)pplen;
	s->local = d->local;
	s->fd = fd;
	s->up = u;
	pool_attach(r->pool, u);
	s->last_ms = now;
	s->src = LIMIT_NONE;
	s->start_ms = now;
	event_assign(&s->ev, r->worker->base, fd, EV_READ | EV_PERSIST,
	    session_reply_cb, s);
	/* Unwatched, the session's replies would never be read: undo. */
	if (event_add(&s->ev, NULL) == -1) {
		r->stats.drop_event_error++;
		route_event_error(r, "a session's upstream socket", now);
		pool_detach(r->pool, u);
		close(fd);
		free(s);
		session_unreserve(r);
		return NULL;
	}
	sessmap_insert(&r->map, &s->entry);
	TAILQ_INSERT_TAIL(&r->idleq, s, idle);
	session_count_in(r);
	r->stats.sessions_created++;
	u->stats.sessions_created++;
	if (!evtimer_pending(r->ev_expire, NULL))
		route_schedule_expire(r, now);
	if (log_enabled(LOG_LEVEL_DEBUG))
		log_debug("route %s: new session for %s", r->conf->name,
		    addr_format(&s->origin.sa, client, sizeof(client)));
	return s;
}

const char *
session_end_name(enum session_end why)
{
	switch (why) {
	case SESSION_END_IDLE:
		return "idle";
	case SESSION_END_RELOAD:
		return "reload";
	case SESSION_END_SHUTDOWN:
		return "shutdown";
	case SESSION_END_DENIED:
		return "denied";
	case SESSION_END_DONE:
		return "done";
	}
	return "unknown";
}

/* The local end the client talks to: the listener's, or its pktinfo. */
const char *
session_local_format(const struct session *s, char *buf, size_t len)
{
	const struct listener	*l = s->route->listener;
	union sockaddr_u	 u;

	if (s->local.family == 0)
		return addr_format((const struct sockaddr *)&l->addr.ss, buf,
		    len);
	memset(&u, 0, sizeof(u));
	if (s->local.family == AF_INET) {
		u.sin.sin_family = AF_INET;
		u.sin.sin_addr = s->local.a.v4;
		u.sin.sin_port = htons(addr_port(&l->addr));
	} else {
		u.sin6.sin6_family = AF_INET6;
		u.sin6.sin6_addr = s->local.a.v6;
		u.sin6.sin6_port = htons(addr_port(&l->addr));
		if (IN6_IS_ADDR_LINKLOCAL(&u.sin6.sin6_addr))
			u.sin6.sin6_scope_id = s->local.ifindex;
	}
	return addr_format(&u.sa, buf, len);
}

static void
session_log_end(struct session *s, enum session_end why, uint64_t now)
{
	struct route		*r = s->route;
	struct accesslog_entry	 e;
	struct timespec		 ts;
	char			 client[ADDR_STRLEN], local[ADDR_STRLEN];
	char			 upstream[ADDR_STRLEN];

	clock_gettime(CLOCK_REALTIME, &ts);
	memset(&e, 0, sizeof(e));
	e.time_ms = (uint64_t)ts.tv_sec * 1000 +
	    (uint64_t)ts.tv_nsec / 1000000;
	e.route = r->conf->name;
	/* With an accepted PROXY header, the client it named. */
	e.client = addr_format(&s->origin.sa, client, sizeof(client));
	e.local = session_local_format(s, local, sizeof(local));
	e.upstream = addr_format((const struct sockaddr *)&s->up->addr.ss,
	    upstream, sizeof(upstream));
	e.end = session_end_name(why);
	e.duration_ms = now - s->start_ms;
	e.rx_datagrams = s->rx_datagrams;
	e.rx_bytes = s->rx_bytes;
	e.tx_datagrams = s->tx_datagrams;
	e.tx_bytes = s->tx_bytes;
	accesslog_write(r->alog, r->alog_format, &e);
}

void
session_export(const struct session *s, struct session_state *st)
{
	/* Only meaningful bytes: the record leaves the process. */
	memset(st, 0, sizeof(*st));
	st->key = s->entry.key;
	memcpy(&st->client, &s->client, s->clientlen <= sizeof(st->client) ?
	    s->clientlen : sizeof(st->client));
	st->clientlen = s->clientlen;
	memcpy(&st->origin, &s->origin, s->originlen <= sizeof(st->origin) ?
	    s->originlen : sizeof(st->origin));
	st->originlen = s->originlen;
	st->local.family = s->local.family;
	if (s->local.family != 0) {
		st->local.ifindex = s->local.ifindex;
		if (s->local.family == AF_INET)
			st->local.a.v4 = s->local.a.v4;
		else
			st->local.a.v6 = s->local.a.v6;
	}
	st->last_ms = s->last_ms;
	st->start_ms = s->start_ms;
	st->rx_datagrams = s->rx_datagrams;
	st->rx_bytes = s->rx_bytes;
	st->tx_datagrams = s->tx_datagrams;
	st->tx_bytes = s->tx_bytes;
	st->req_bytes = s->req_bytes;
	st->reply_bytes = s->reply_bytes;
	st->upstream = s->up->addr;
	st->nrequests = s->nrequests;
	st->nreplies = s->nreplies;
	st->unbound = s->unbound;
	st->pp_len = s->pp_len <= sizeof(st->pp_hdr) ? s->pp_len : 0;
	memcpy(st->pp_hdr, s->pp_hdr, st->pp_len);
}

/*
 * A session handed over by the process this one replaces: its connected
 * upstream socket fd (same source port) and its state. Sessions must come
 * in idle order, oldest first, so the route's idle queue stays in
 * deadline order. It counts in per_client.sessions again; buckets,
 * blocks and pacing start afresh. NULL (fd
 * closed) if the loop cannot watch it.
 */
struct session *
session_adopt(struct route *r, int fd, const struct session_state *st)
{
	struct session	*s;
	struct upstream	*u;
	size_t		 pplen = st->pp_len <= sizeof(st->pp_hdr) ?
			    st->pp_len : 0;

	/* Its upstream must still be in the pool, as on a reload. */
	if ((u = pool_find(r->pool, &st->upstream)) == NULL) {
		close(fd);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s) + pplen);
	s->up = u;
	s->nrequests = st->nrequests;
	s->nreplies = st->nreplies;
	s->unbound = st->unbound;
	s->entry.key = st->key;
	s->entry.hash = sessmap_hash(&r->map, &st->key);
	s->route = r;
	s->client = st->client;
	s->clientlen = st->clientlen;
	s->origin = st->origin;
	s->originlen = st->originlen;
	s->local = st->local;
	s->fd = fd;
	s->last_ms = st->last_ms;
	s->start_ms = st->start_ms;
	s->rx_datagrams = st->rx_datagrams;
	s->rx_bytes = st->rx_bytes;
	s->tx_datagrams = st->tx_datagrams;
	s->tx_bytes = st->tx_bytes;
	s->req_bytes = st->req_bytes;
	s->reply_bytes = st->reply_bytes;
	s->src = LIMIT_NONE;
	memcpy(s->pp_hdr, st->pp_hdr, pplen);
	s->pp_len = s->pp_size = (uint16_t)pplen;
	event_assign(&s->ev, r->worker->base, fd, EV_READ | EV_PERSIST,
	    session_reply_cb, s);
	if (event_add(&s->ev, NULL) == -1) {
		r->stats.drop_event_error++;
		close(fd);
		free(s);
		return NULL;
	}
	if (!s->unbound)
		sessmap_insert(&r->map, &s->entry);
	TAILQ_INSERT_TAIL(&r->idleq, s, idle);
	pool_attach(r->pool, u);
	session_count_in(r);
	guard_session_adopt(s, clock_ms());
	return s;
}

void
session_close(struct session *s, enum session_end why)
{
	struct route	*r = s->route;
	uint64_t	 now = clock_ms();

	/* Queued replies point at the session; they leave (and count) now. */
	if (r->worker->tx->n > 0)
		txbatch_flush(r->worker->tx);
	guard_session_close(s);
	hist_record(&r->duration, now - s->start_ms);
	if (r->alog != NULL)
		session_log_end(s, why, now);
	event_del(&s->ev);
	close(s->fd);
	if (!s->unbound)
		sessmap_remove(&r->map, &s->entry);
	TAILQ_REMOVE(&r->idleq, s, idle);
	pool_detach(r->pool, s->up);
	worker_session_remove(r->worker);
	session_count_remove(r->count);
	r->nsessions--;
	free(s);
}

/*
 * Moves a session whose member went down to the member the balancer
 * picks now, on a new socket (so replies from the old one stop). Returns
 * -1, the datagram dropped and counted, when there is none or no socket.
 */
int
session_repin(struct session *s, uint64_t now)
{
	struct route	*r = s->route;
	struct upstream	*u;
	int		 fd;

	if ((u = route_pick(r, &s->entry.key.client, now)) == NULL)
		return -1;
	if ((fd = session_socket(r, u, &s->origin, s->originlen, now)) == -1)
		return -1;
	event_del(&s->ev);
	close(s->fd);
	s->fd = fd;
	event_assign(&s->ev, r->worker->base, fd, EV_READ | EV_PERSIST,
	    session_reply_cb, s);
	event_add(&s->ev, NULL);
	s->up->stats.sessions_moved++;
	pool_detach(r->pool, s->up);
	pool_attach(r->pool, u);
	s->up = u;
	s->nrequests = s->nreplies = 0;
	/* send = "first": the new upstream has not seen the header yet. */
	s->pp_len = s->pp_size;
	r->stats.sessions_moved++;
	return 0;
}

/* Whether, with responses set, the session still expects replies. */
int
session_waiting(const struct session *s)
{
	int	want = s->route->conf->responses;

	return want > 0 &&
	    (uint64_t)s->nreplies < (uint64_t)want * s->nrequests;
}

/* Whether responses and requests say the session has done its work. */
static int
session_done(const struct session *s)
{
	const struct route_conf	*rc = s->route->conf;

	if (rc->requests != 0 && s->nrequests < rc->requests)
		return 0;
	if (rc->responses < 0)
		return 0;
	/* responses = 0 and any number of requests: until idle_timeout. */
	if (rc->responses == 0)
		return rc->requests != 0;
	return !session_waiting(s);
}

/*
 * A datagram went to the upstream: unbind or end the session if due, as
 * requests and responses say. Returns 1 when it ended.
 */
static int
session_counted(struct session *s)
{
	struct route	*r = s->route;

	s->nrequests++;
	if (r->conf->requests != 0 && !s->unbound &&
	    s->nrequests >= r->conf->requests) {
		sessmap_remove(&r->map, &s->entry);
		s->unbound = 1;
	}
	if (r->conf->requests == 0 && r->conf->responses < 0)
		return 0;
	if (!session_done(s))
		return 0;
	r->stats.sessions_done++;
	session_close(s, SESSION_END_DONE);
	return 1;
}

/* Moves the session to the young end of the idle queue: O(1). */
void
session_touch(struct session *s, uint64_t now)
{
	struct route	*r = s->route;

	s->last_ms = now;
	if (TAILQ_NEXT(s, idle) != NULL) {
		TAILQ_REMOVE(&r->idleq, s, idle);
		TAILQ_INSERT_TAIL(&r->idleq, s, idle);
	}
}

static void
session_refused(struct session *s, uint64_t now)
{
	struct route	*r = s->route;
	char		 name[ADDR_STRLEN];
	unsigned int	 n;

	r->stats.upstream_refused++;
	s->up->stats.refusals++;
	if ((n = ratelimit_allow(&r->rl_refused, now)) != 0)
		log_warning("route %s: upstream %s refused (ICMP port "
		    "unreachable) (%u suppressed)", r->conf->name,
		    session_upstream_name(s->up, name, sizeof(name)), n - 1);
	route_upstream_fail(r, s->up, now);
}

/* n datagrams of bytes in all went to the upstream. */
static void
session_sent(struct session *s, unsigned int n, size_t bytes)
{
	struct route	*r = s->route;

	r->stats.rx_datagrams += n;
	r->stats.rx_bytes += bytes;
	s->up->stats.rx_datagrams += n;
	s->up->stats.rx_bytes += bytes;
	s->req_bytes += bytes;
	s->rx_datagrams += n;
	s->rx_bytes += bytes;
	if (s->req_us == 0)
		s->req_us = clock_batch_us;
}

/* n datagrams to the upstream are lost to error: count, log (limited). */
static void
session_send_failed(struct session *s, int error, unsigned int count,
    uint64_t now)
{
	struct route	*r = s->route;
	unsigned int	 n;

	char		 name[ADDR_STRLEN];

	r->stats.drop_upstream_send += count;
	s->up->stats.send_errors += count;
	if (error == ECONNREFUSED) {
		session_refused(s, now);
		return;
	}
	if ((n = ratelimit_allow(&r->rl_send, now)) != 0)
		log_warning("route %s: send to upstream %s: %s (%u suppressed)",
		    r->conf->name, session_upstream_name(s->up, name,
		    sizeof(name)), strerror(error), n - 1);
	route_upstream_fail(r, s->up, now);
}

/*
 * One GSO send of iov[0..n) cut at iov[0]'s size: 0 when it is done (sent,
 * or lost and counted), -1 when the kernel cannot segment it here (EIO,
 * EINVAL: a segment above the path's MTU) and it must go another way.
 */
static int
session_send_gso(struct session *s, struct iovec *iov, int n, size_t total,
    uint64_t now)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(uint16_t))];
	} ctl;
	struct msghdr	 msg;
	uint16_t	 seg = (uint16_t)iov[0].iov_len;
	ssize_t		 rc;
	int		 error;

	memset(&msg, 0, sizeof(msg));
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)n;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	ctl.hdr.cmsg_level = SOL_UDP;
	ctl.hdr.cmsg_type = UDP_SEGMENT;
	ctl.hdr.cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(&ctl.hdr), &seg, sizeof(seg));
	rc = sendmsg(s->fd, &msg, 0);
	if (rc == -1 && errno == ECONNREFUSED) {
		session_refused(s, now);
		rc = sendmsg(s->fd, &msg, 0);
	}
	if (rc != -1) {
		session_sent(s, (unsigned int)n, total);
		return 0;
	}
	error = errno;
	if (error == EIO || error == EINVAL || error == EMSGSIZE ||
	    error == EOPNOTSUPP)
		return -1;
	session_send_failed(s, error, (unsigned int)n, now);
	return 0;
}

/*
 * Forwards a client's datagram. An ECONNREFUSED here is usually left over
 * from an earlier datagram's ICMP error and says nothing about this one,
 * so it is counted and the send retried once. With responses or requests
 * set, the session may end here: s is not to be used after the call.
 */
static ssize_t
session_write(struct session *s, const void *buf, size_t len)
{
	struct iovec	iov[2];
	struct msghdr	msg;

	if (s->pp_len == 0)
		return send(s->fd, buf, len, 0);
	/* The header and the payload leave as one datagram. */
	iov[0].iov_base = s->pp_hdr;
	iov[0].iov_len = s->pp_len;
	iov[1].iov_base = (void *)(uintptr_t)buf;
	iov[1].iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	return sendmsg(s->fd, &msg, 0);
}

int
session_send(struct session *s, const void *buf, size_t len, uint64_t now)
{
	struct route	*r = s->route;
	ssize_t		 rc;

	if (s->pp_len != 0 && len + s->pp_len > r->conf->max_datagram) {
		r->stats.drop_proxy_oversize++;
		return 0;
	}
	rc = session_write(s, buf, len);
	if (rc == -1 && errno == ECONNREFUSED) {
		session_refused(s, now);
		rc = session_write(s, buf, len);
	}
	if (rc != -1) {
		session_sent(s, 1, len);
		/* send = "first": the header went with this one. */
		if (r->conf->pp_send == CONF_PP_FIRST)
			s->pp_len = 0;
		return session_counted(s);
	}
	/* Saved: logging may change errno. */
	session_send_failed(s, errno, 1, now);
	return 0;
}

/*
 * A run of datagrams from one client, in the order they came: one UDP GSO
 * send when all but the last have one size and the last is not larger
 * (the kernel cuts the buffer back into exactly these datagrams), else
 * one sendmmsg. Runs come from one listener batch (at most RXBATCH_MAX);
 * a session that prefixes a PROXY header sends one by one.
 */
void
session_send_run(struct session *s, const unsigned char *const *data,
    const size_t *len, int n, uint64_t now)
{
	struct route	*r = s->route;
	struct mmsghdr	 msg[RXBATCH_MAX];
	struct iovec	 iov[RXBATCH_MAX];
	size_t		 total = 0;
	int		 i, k, off, gso;

	if (n == 1 || s->pp_len != 0) {
		for (i = 0; i < n; i++)
			session_send(s, data[i], len[i], now);
		return;
	}
	gso = r->worker->tx->gso && len[0] > 0 && len[n - 1] > 0 &&
	    len[n - 1] <= len[0];
	for (i = 0; i < n; i++) {
		iov[i].iov_base = (void *)(uintptr_t)data[i];
		iov[i].iov_len = len[i];
		total += len[i];
		if (i < n - 1 && len[i] != len[0])
			gso = 0;
	}
	if (gso && total <= TXBATCH_GSO_MAX && n <= TXBATCH_SEGS &&
	    session_send_gso(s, iov, n, total, now) == 0)
		return;
	memset(msg, 0, sizeof(msg[0]) * (size_t)n);
	for (i = 0; i < n; i++) {
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	for (off = 0; off < n; off += k) {
		if ((k = sendmmsg(s->fd, msg + off, (unsigned int)(n - off),
		    0)) > 0) {
			for (i = off; i < off + k; i++)
				session_sent(s, 1, len[i]);
			continue;
		}
		/* Datagram off failed: what session_send would do. */
		k = 1;
		if (errno == ECONNREFUSED) {
			session_refused(s, now);
			if (send(s->fd, data[off], len[off], 0) != -1) {
				session_sent(s, 1, len[off]);
				continue;
			}
		}
		session_send_failed(s, errno, 1, now);
	}
}

/* Queues a reply; the worker's flush sends it and counts the outcome. */
static void
session_reply(struct session *s, const void *data, size_t len)
{
	struct route	*r = s->route;

	if (len > r->conf->max_datagram) {
		r->stats.drop_oversize++;
		return;
	}
	if (!guard_reply(s, len))
		return;
	txbatch_add(r->worker->tx, s, r->listener->fd, data, len);
}

/*
 * A reply for the client, as responses says: none relayed with 0; with N,
 * the session ends once N per datagram sent came back. Returns 1 when the
 * session has ended (s is gone).
 */
static int
session_relay(struct session *s, const void *data, size_t len, uint64_t now)
{
	struct route	*r = s->route;

	if (r->conf->responses == 0) {
		r->stats.drop_unwanted_reply++;
		return 0;
	}
	(void)now;
	session_reply(s, data, len);
	s->nreplies++;
	pool_success(r->pool, s->up);
	if (r->conf->responses < 0 || !session_done(s))
		return 0;
	r->stats.sessions_done++;
	session_close(s, SESSION_END_DONE);
	return 1;
}

/*
 * download_rate: one datagram at a time while the budget allows, so the
 * rest stays in the kernel buffer until the pacing timer resumes reading.
 */
static void
session_reply_paced(struct session *s, int fd, uint64_t now)
{
	struct route	*r = s->route;
	unsigned char	*buf = rxbatch_data(r->worker->rx_session, 0);
	ssize_t		 n;
	int		 i;

	for (i = 0; i < RXBATCH_MAX && guard_download_ok(s, now); i++) {
		n = recv(fd, buf, RXBATCH_BUFSIZE, MSG_DONTWAIT | MSG_TRUNC);
		if (n == -1 && errno == ECONNREFUSED) {
			session_refused(s, now);
			continue;
		}
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				r->stats.rx_errors++;
			break;
		}
		guard_download_debit(s, (size_t)n);
		if (n > RXBATCH_BUFSIZE)
			r->stats.drop_truncated++;
		else if (session_relay(s, buf, (size_t)n, now))
			return;
	}
	session_touch(s, now);
}

/* The upstream socket is readable: relay what it holds to the client. */
static void
session_reply_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session	*s = arg;
	struct route	*r = s->route;
	struct rxbatch	*b = r->worker->rx_session;
	uint64_t	 now = clock_batch_ms();
	int		 i, n;

	(void)what;
	if (guard_download_paced(s)) {
		session_reply_paced(s, fd, now);
		return;
	}
	n = rxbatch_recv(b, fd, 0);
	if (n == -1 && errno == ECONNREFUSED) {
		/* The refusal came first; replies may queue behind it. */
		session_refused(s, now);
		n = rxbatch_recv(b, fd, 0);
	}
	if (n == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != ECONNREFUSED)
			r->stats.rx_errors++;
		return;
	}
	/* The first reply after a request: its latency. */
	if (s->req_us != 0 && n > 0) {
		hist_record(&r->latency, clock_batch_us - s->req_us);
		hist_record(&s->up->latency, clock_batch_us - s->req_us);
		s->req_us = 0;
	}
	for (i = 0; i < n; i++) {
		if (b->msg[i].msg_hdr.msg_flags & MSG_TRUNC)
			r->stats.drop_truncated++;
		else if (session_relay(s, rxbatch_data(b, i),
		    b->msg[i].msg_len, now)) {
			/* Whatever else came is more than was asked for. */
			r->stats.drop_unwanted_reply += (uint64_t)(n - i - 1);
			return;
		}
	}
	session_touch(s, now);
}
