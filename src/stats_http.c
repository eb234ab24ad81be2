/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "accesslog.h"
#include "acl.h"
#include "clock.h"
#include "conf.h"
#include "limit.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "route.h"
#include "session.h"
#include "stats_http.h"
#include "udproxy.h"
#include "xmalloc.h"

/*
 * libevent 2.1 has no connection cap and no per-connection hook that
 * sees the peer, so each connection's bufferevent is made here (bevcb)
 * and an extra reference kept on it. evhttp frees a connection with
 * bufferevent_free(), which clears all its callbacks; the sweep sees that,
 * drops the reference (closing the socket) and frees the slot. The
 * sweep also checks new peers against `allow` and ends connections that
 * go STATS_HTTP_LIFETIME_S without completing a request (a slowloris; a
 * scraper on keep-alive completes one per scrape), by shutting their
 * socket down so that evhttp sees EOF and frees them itself.
 */
struct stats_conn {
	struct bufferevent	*bev;
	uint64_t		 start_ms;	/* accepted, or last request */
	int			 checked;
	int			 cut;
};

/*
 * The figures of a page, copied in one go (route and member names too):
 * the page is formatted from the copy, in pieces across loop passes, so
 * a reload that frees routes between two pieces changes nothing.
 */
struct stats_snap {
	struct metrics		 m;
	struct metrics_route	*routes;
	struct metrics_upstream	*upstreams;
	char			*names;		/* every string, end to end */
};

/* A /metrics or /stats reply being streamed, a chunk per write. */
struct stats_stream {
	struct stats_http		*sh;
	struct evhttp_request		*req;
	struct evhttp_connection	*conn;
	struct evbuffer			*buf;
	struct stats_snap		 snap;
	struct metrics_cursor		 cur;
	int				 json;
	LIST_ENTRY(stats_stream)	 entry;
};

struct stats_http {
	struct udproxy			*up;
	const struct stats_conf		*conf;
	struct evhttp			*http;
	struct evhttp_bound_socket	*bound;
	struct event			*ev_sweep;
	struct stats_conn		 conns[STATS_HTTP_MAX_CONNS];
	size_t				 nconns;
	int				 paused;
	struct ratelimit		 rl_denied;
	LIST_HEAD(, stats_stream)	 streams;
	size_t				 nstreams;
};

static void	stats_stream_free(struct stats_stream *);

static void	stats_http_request_cb(struct evhttp_request *, void *);
static struct bufferevent *stats_http_bev_cb(struct event_base *, void *);
static void	stats_http_sweep_cb(evutil_socket_t, short, void *);

/*
 * Binds the endpoint of sc on the main event base, or returns NULL with
 * the reason in err (the caller fails the load or the reload).
 */
struct stats_http *
stats_http_open(struct udproxy *up, const struct stats_conf *sc, char *err,
    size_t errlen)
{
	struct stats_http	*sh;
	struct evconnlistener	*lev;
	evutil_socket_t		 fd;
	char			 peer[ADDR_STRLEN];
	int			 saved;

	fd = socket(sc->listen.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1 || evutil_make_listen_socket_reuseable(fd) == -1 ||
	    bind(fd, (const struct sockaddr *)&sc->listen.ss,
	    sc->listen.len) == -1 || listen(fd, 64) == -1) {
		saved = errno;
		if (fd != -1)
			close(fd);
		snprintf(err, errlen, "stats: cannot listen on %s: %s",
		    sc->listen_str, strerror(saved));
		return NULL;
	}
	sh = xcalloc(1, sizeof(*sh));
	LIST_INIT(&sh->streams);
	sh->up = up;
	sh->conf = sc;
	if ((sh->http = evhttp_new(up->base)) == NULL)
		fatalx("stats: cannot create the HTTP server");
	lev = evconnlistener_new(up->base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (lev == NULL)
		fatalx("stats: cannot create the listener");
	if ((sh->bound = evhttp_bind_listener(sh->http, lev)) == NULL)
		fatalx("stats: cannot bind the HTTP server");
	sh->ev_sweep = evtimer_new(up->base, stats_http_sweep_cb, sh);
	if (sh->ev_sweep == NULL)
		fatalx("stats: cannot create the sweep timer");
	evhttp_set_timeout(sh->http, STATS_HTTP_TIMEOUT_S);
	evhttp_set_max_headers_size(sh->http, STATS_HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(sh->http, STATS_HTTP_MAX_BODY);
	evhttp_set_allowed_methods(sh->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_bevcb(sh->http, stats_http_bev_cb, sh);
	evhttp_set_gencb(sh->http, stats_http_request_cb, sh);
	log_info("stats: listening on %s", addr_format((const struct sockaddr *)
	    &sc->listen.ss, peer, sizeof(peer)));
	return sh;
}

/* Same address: the reload keeps the socket and takes the new allow list. */
void
stats_http_set_conf(struct stats_http *sh, const struct stats_conf *sc)
{
	size_t	i;

	sh->conf = sc;
	/* Connections already open are checked again. */
	for (i = 0; i < sh->nconns; i++)
		sh->conns[i].checked = 0;
	if (sh->nconns > 0)
		event_active(sh->ev_sweep, EV_TIMEOUT, 1);
}

int
stats_http_same_listen(const struct stats_http *sh,
    const struct stats_conf *sc)
{
	return addr_equal(&sh->conf->listen, &sc->listen);
}

void
stats_http_free(struct stats_http *sh)
{
	size_t	i;

	if (sh == NULL)
		return;
	/* Frees every connection (and their streams); then the references. */
	evhttp_free(sh->http);
	while (!LIST_EMPTY(&sh->streams))
		stats_stream_free(LIST_FIRST(&sh->streams));
	for (i = 0; i < sh->nconns; i++)
		bufferevent_decref(sh->conns[i].bev);
	event_free(sh->ev_sweep);
	free(sh);
}

static void
stats_http_pause(struct stats_http *sh, int pause)
{
	struct evconnlistener	*lev;

	if (pause == sh->paused)
		return;
	lev = evhttp_bound_socket_get_listener(sh->bound);
	if (pause)
		evconnlistener_disable(lev);
	else
		evconnlistener_enable(lev);
	sh->paused = pause;
}

static struct bufferevent *
stats_http_bev_cb(struct event_base *base, void *arg)
{
	struct stats_http	*sh = arg;
	struct bufferevent	*bev;
	struct stats_conn	*c;

	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		fatalx("stats: cannot create a bufferevent");
	/*
	 * Cannot happen: the listener pauses at the cap and its accept loop
	 * stops at once. Served uncounted rather than failed.
	 */
	if (sh->nconns == STATS_HTTP_MAX_CONNS)
		return bev;
	bufferevent_incref(bev);
	c = &sh->conns[sh->nconns++];
	c->bev = bev;
	c->start_ms = clock_ms();
	c->checked = 0;
	c->cut = 0;
	if (sh->nconns == STATS_HTTP_MAX_CONNS)
		stats_http_pause(sh, 1);
	/* The peer is known once evhttp has set the socket: just after. */
	event_active(sh->ev_sweep, EV_TIMEOUT, 1);
	return bev;
}

static void
stats_http_cut(struct stats_conn *c)
{
	evutil_socket_t	fd = bufferevent_getfd(c->bev);

	if (fd != -1 && !c->cut)
		shutdown(fd, SHUT_RDWR);
	c->cut = 1;
}

static void
stats_http_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stats_http		*sh = arg;
	struct stats_conn		*c;
	struct sockaddr_storage		 ss;
	socklen_t			 sslen;
	bufferevent_data_cb		 readcb, writecb;
	bufferevent_event_cb		 eventcb;
	struct timeval			 tv = { 0, 200000 };
	char				 peer[ADDR_STRLEN];
	uint64_t			 now = clock_ms();
	size_t				 i;
	unsigned int			 n;

	(void)fd;
	(void)what;
	for (i = 0; i < sh->nconns; ) {
		c = &sh->conns[i];
		bufferevent_getcb(c->bev, &readcb, &writecb, &eventcb, NULL);
		/*
		 * bufferevent_free() clears all three; evhttp clears only the
		 * read callback while it writes a reply.
		 */
		if (readcb == NULL && writecb == NULL && eventcb == NULL) {
			/* evhttp is done with it (bufferevent_free). */
			bufferevent_disable(c->bev, EV_READ | EV_WRITE);
			bufferevent_decref(c->bev);
			sh->conns[i] = sh->conns[--sh->nconns];
			continue;
		}
		if (!c->checked && bufferevent_getfd(c->bev) != -1) {
			c->checked = 1;
			sslen = sizeof(ss);
			if (getpeername(bufferevent_getfd(c->bev),
			    (struct sockaddr *)&ss, &sslen) == -1 ||
			    acl_match_sa(sh->conf->allow,
			    (struct sockaddr *)&ss) != ACL_ALLOW) {
				if ((n = ratelimit_allow(&sh->rl_denied,
				    now)) != 0)
					log_warning("stats: connection from %s "
					    "denied by allow (%u suppressed)",
					    sslen > 0 ? addr_format((struct
					    sockaddr *)&ss, peer, sizeof(peer)) :
					    "?", n - 1);
				stats_http_cut(c);
			}
		}
		/* Not while a reply is being written (no read callback). */
		if (readcb != NULL &&
		    now - c->start_ms >= STATS_HTTP_LIFETIME_S * 1000)
			stats_http_cut(c);
		i++;
	}
	if (sh->nconns < STATS_HTTP_MAX_CONNS)
		stats_http_pause(sh, 0);
	if (sh->nconns > 0)
		evtimer_add(sh->ev_sweep, &tv);
}

/* Counts this process's open descriptors (not per datagram: per scrape). */
static uint64_t
stats_http_open_fds(void)
{
	DIR		*d;
	struct dirent	*de;
	uint64_t	 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	/* Less the one opendir holds. */
	return n > 0 ? n - 1 : 0;
}

/* Room for a copy of s in the names area. */
static const char *
stats_snap_copy(char **names, const char *s)
{
	char	*p = *names;
	size_t	 n = strlen(s) + 1;

	memcpy(p, s, n);
	*names += n;
	return p;
}

/*
 * Takes the figures of every route and pool member in one go: this is
 * the one place the pages gather them. Every figure is summed into a
 * zeroed copy, so a route with several instances (one per worker) adds
 * each instance here and a member each instance's member of its address.
 */
static void
stats_http_snapshot(struct stats_http *sh, struct stats_snap *sn)
{
	struct udproxy		*up = sh->up;
	struct metrics		*m = &sn->m;
	struct metrics_route	*mr;
	struct metrics_upstream	*mu;
	struct route		*r;
	struct upstream		*u;
	char			*names;
	uint64_t		 now = clock_ms();
	size_t			 i, k, nup = 0, len = 1;

	memset(sn, 0, sizeof(*sn));
	m->version = PACKAGE_VERSION;
	m->start_time = up->start_time;
	m->reloads = up->reloads;
	m->reload_failures = up->reload_failures;
	m->generation = up->generation;
	m->session_budget = up->max_sessions;
	m->open_fds = stats_http_open_fds();
	for (i = 0; i < up->nalogs; i++) {
		m->access_log_lines += accesslog_lines(up->alogs[i]);
		m->access_log_dropped += accesslog_dropped(up->alogs[i]);
	}
	for (i = 0; i < up->nroutes; i++)
		route_read_drops(up->routes[i]);
	udproxy_pause(up);
	for (i = 0; i < up->nroutes; i++) {
		r = up->routes[i];
		len += strlen(r->conf->name) + 1;
		nup += r->pool->nmembers;
		for (k = 0; k < r->pool->nmembers; k++)
			len += strlen(r->pool->members[k]->label) + 1;
	}
	sn->routes = xcalloc(up->nroutes + 1, sizeof(*sn->routes));
	sn->upstreams = xcalloc(nup + 1, sizeof(*sn->upstreams));
	sn->names = names = xmalloc(len);
	nup = 0;
	for (i = 0; i < up->nroutes; i++) {
		r = up->routes[i];
		mr = &sn->routes[i];
		mr->name = stats_snap_copy(&names, r->conf->name);
		route_sum_stats(r, &mr->stats, &mr->latency, &mr->duration);
		mr->upstream = nup;
		mr->nupstreams = r->pool->nmembers;
		for (k = 0; k < r->pool->nmembers; k++) {
			u = r->pool->members[k];
			mu = &sn->upstreams[nup++];
			addr_format((const struct sockaddr *)&u->addr.ss,
			    mu->label, sizeof(mu->label));
			mu->member = stats_snap_copy(&names, u->label);
			mu->route = i;
			/* Its address's figures, summed over the workers. */
			mu->up = route_sum_member(r, k, &mu->stats,
			    &mu->latency, now);
		}
	}
	udproxy_resume(up);
	m->routes = sn->routes;
	m->nroutes = up->nroutes;
	m->upstreams = sn->upstreams;
	m->nupstreams = nup;
}

static void
stats_snap_free(struct stats_snap *sn)
{
	free(sn->routes);
	free(sn->upstreams);
	free(sn->names);
}

static void
stats_http_reply(struct evhttp_request *req, int code, const char *reason,
    const char *type, struct evbuffer *body)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, code, reason, body);
}

static void
stats_http_error(struct evhttp_request *req, int code, const char *reason,
    const char *msg)
{
	struct evbuffer	*b = evbuffer_new();

	evbuffer_add_printf(b, "%s\n", msg);
	stats_http_reply(req, code, reason, "text/plain; charset=utf-8", b);
	evbuffer_free(b);
}

/* One live session as a JSON object, after a comma unless first. */
static void
stats_http_session_json(struct evbuffer *b, const struct route *r,
    const struct session *s, uint64_t now, int first)
{
	char	addr[ADDR_STRLEN];

	evbuffer_add(b, first ? "{\"route\":" : ",{\"route\":", first ? 9 : 10);
	metrics_json_string(b, r->conf->name, strlen(r->conf->name));
	addr_format(&s->origin.sa, addr, sizeof(addr));
	evbuffer_add(b, ",\"client\":", 10);
	metrics_json_string(b, addr, strlen(addr));
	session_local_format(s, addr, sizeof(addr));
	evbuffer_add(b, ",\"local\":", 9);
	metrics_json_string(b, addr, strlen(addr));
	evbuffer_add(b, ",\"upstream\":", 12);
	/* The pool member the session is pinned to. */
	addr_format((const struct sockaddr *)&s->up->addr.ss, addr,
	    sizeof(addr));
	metrics_json_string(b, addr, strlen(addr));
	evbuffer_add_printf(b, ",\"age_ms\":%" PRIu64 ",\"idle_ms\":%" PRIu64
	    ",\"rx_datagrams\":%" PRIu64 ",\"rx_bytes\":%" PRIu64
	    ",\"tx_datagrams\":%" PRIu64 ",\"tx_bytes\":%" PRIu64 "}",
	    now - s->start_ms, now - s->last_ms, s->rx_datagrams, s->rx_bytes,
	    s->tx_datagrams, s->tx_bytes);
}

static void
stats_http_sessions(struct stats_http *sh, struct evhttp_request *req,
    const char *query)
{
	struct evkeyvalq	 args;
	struct evbuffer		*b;
	struct route		*r;
	struct session		*s;
	const char		*name, *lim;
	char			*end;
	unsigned long		 limit = STATS_HTTP_SESSIONS_DEFAULT;
	uint64_t		 now = clock_ms(), n = 0;
	size_t			 i;
	int			 found = 0, more = 0;

	TAILQ_INIT(&args);
	if (query != NULL && evhttp_parse_query_str(query, &args) == -1) {
		stats_http_error(req, HTTP_BADREQUEST, "Bad Request",
		    "bad query string");
		return;
	}
	name = evhttp_find_header(&args, "route");
	if ((lim = evhttp_find_header(&args, "limit")) != NULL) {
		errno = 0;
		limit = strtoul(lim, &end, 10);
		if (*lim < '0' || *lim > '9' || *end != '\0' || errno != 0 ||
		    limit > STATS_HTTP_SESSIONS_MAX) {
			evhttp_clear_headers(&args);
			stats_http_error(req, HTTP_BADREQUEST, "Bad Request",
			    "limit must be 0 to " "10000");
			return;
		}
	}
	b = evbuffer_new();
	evbuffer_add(b, "{\"sessions\":[", 13);
	udproxy_pause(sh->up);
	for (i = 0; i < sh->up->nroutes; i++) {
		if (name != NULL && strcmp(name,
		    sh->up->routes[i]->conf->name) != 0)
			continue;
		found = 1;
		/* Most recently active first, worker after worker. */
		for (r = sh->up->routes[i]; r != NULL && !more;
		    r = r->sibling) {
			TAILQ_FOREACH_REVERSE(s, &r->idleq, session_q, idle) {
				if (n == limit) {
					more = 1;
					break;
				}
				stats_http_session_json(b, r, s, now, n == 0);
				n++;
			}
		}
		if (more)
			break;
	}
	udproxy_resume(sh->up);
	evbuffer_add_printf(b, "],\"truncated\":%s}\n", more ? "true" :
	    "false");
	if (name != NULL && !found)
		stats_http_error(req, HTTP_NOTFOUND, "Not Found",
		    "no such route");
	else
		stats_http_reply(req, HTTP_OK, "OK", "application/json", b);
	evbuffer_free(b);
	evhttp_clear_headers(&args);
}

/*
 * One worker's blocked sources of route r as JSON objects, n of them so
 * far; 1 once STATS_HTTP_SESSIONS_MAX is reached (and more remain).
 */
static int
stats_http_route_blocks(struct evbuffer *b, const struct route *r,
    uint64_t now, uint64_t *n)
{
	const struct limit_table	*t = r->guard.limits;
	const struct limit_entry	*e;
	char				 src[INET6_ADDRSTRLEN + 8];
	uint32_t			 j;

	if (t == NULL)
		return 0;
	for (j = 0; j < t->size; j++) {
		e = &t->entry[j];
		if (e->blocked_until <= now)
			continue;
		if (*n == STATS_HTTP_SESSIONS_MAX)
			return 1;
		evbuffer_add(b, *n == 0 ? "{\"route\":" : ",{\"route\":",
		    *n == 0 ? 9 : 10);
		metrics_json_string(b, r->conf->name, strlen(r->conf->name));
		limit_key_format(t, &e->key, src, sizeof(src));
		evbuffer_add(b, ",\"source\":", 10);
		metrics_json_string(b, src, strlen(src));
		evbuffer_add_printf(b, ",\"remaining_ms\":%" PRIu64 "}",
		    e->blocked_until - now);
		(*n)++;
	}
	return 0;
}

/*
 * The sources under a dynamic block, per route: a scan of each route's
 * per-source table (fixed size), at most STATS_HTTP_SESSIONS_MAX entries.
 */
static void
stats_http_blocks(struct stats_http *sh, struct evhttp_request *req)
{
	struct evbuffer		*b;
	struct route		*r;
	uint64_t		 now = clock_ms(), n = 0;
	size_t			 i;
	int			 more = 0;

	b = evbuffer_new();
	evbuffer_add(b, "{\"blocks\":[", 11);
	udproxy_pause(sh->up);
	for (i = 0; i < sh->up->nroutes && !more; i++)
		for (r = sh->up->routes[i]; r != NULL && !more; r = r->sibling)
			more = stats_http_route_blocks(b, r, now, &n);
	udproxy_resume(sh->up);
	evbuffer_add_printf(b, "],\"truncated\":%s}\n", more ? "true" :
	    "false");
	stats_http_reply(req, HTTP_OK, "OK", "application/json", b);
	evbuffer_free(b);
}

static void
stats_stream_free(struct stats_stream *st)
{
	LIST_REMOVE(st, entry);
	st->sh->nstreams--;
	stats_snap_free(&st->snap);
	evbuffer_free(st->buf);
	free(st);
}

static void	stats_stream_next(struct stats_stream *);

/* The last chunk went out: the next one. */
static void
stats_stream_chunk_cb(struct evhttp_connection *conn, void *arg)
{
	(void)conn;
	stats_stream_next(arg);
}

/*
 * The connection went away mid-reply (the client left, a timeout, the
 * endpoint closed). When evhttp let go of the request (EOF, timeout), it
 * is ours to free; otherwise evhttp frees it with the connection.
 */
static void
stats_stream_close_cb(struct evhttp_connection *conn, void *arg)
{
	struct stats_stream	*st = arg;

	evhttp_connection_set_closecb(conn, NULL, NULL);
	if (evhttp_request_get_connection(st->req) == NULL)
		evhttp_send_reply_end(st->req);
	stats_stream_free(st);
}

/*
 * Formats about STATS_HTTP_CHUNK more bytes of the page and sends them;
 * the next piece waits until these are written, so a page of thousands of
 * routes takes many loop passes of bounded work, and a client that reads
 * slowly holds no more than a chunk of output.
 */
static void
stats_stream_next(struct stats_stream *st)
{
	int	done;

	if (st->json)
		done = metrics_json_step(st->buf, &st->snap.m, &st->cur,
		    STATS_HTTP_CHUNK);
	else
		done = metrics_prom_step(st->buf, &st->snap.m, &st->cur,
		    STATS_HTTP_CHUNK);
	evhttp_send_reply_chunk_with_cb(st->req, st->buf,
	    done ? NULL : stats_stream_chunk_cb, st);
	if (!done)
		return;
	evhttp_connection_set_closecb(st->conn, NULL, NULL);
	evhttp_send_reply_end(st->req);
	stats_stream_free(st);
}

/* GET /metrics (json 0) or /stats (json 1): a snapshot, then streamed. */
static void
stats_stream_start(struct stats_http *sh, struct evhttp_request *req,
    int json)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct stats_stream	*st;

	evhttp_add_header(h, "Content-Type", json ? "application/json" :
	    "text/plain; version=0.0.4; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		evhttp_send_reply(req, HTTP_OK, "OK", NULL);
		return;
	}
	/* Each holds a snapshot: a few at once, the others try again. */
	if (sh->nstreams == STATS_HTTP_MAX_STREAMS || conn == NULL) {
		evhttp_clear_headers(h);
		evhttp_add_header(h, "Retry-After", "1");
		stats_http_error(req, 503, "Service Unavailable",
		    "too many scrapes at once");
		return;
	}
	st = xcalloc(1, sizeof(*st));
	st->sh = sh;
	st->req = req;
	st->conn = conn;
	st->json = json;
	if ((st->buf = evbuffer_new()) == NULL)
		fatalx("stats: cannot create a buffer");
	stats_http_snapshot(sh, &st->snap);
	LIST_INSERT_HEAD(&sh->streams, st, entry);
	sh->nstreams++;
	evhttp_send_reply_start(req, HTTP_OK, "OK");
	evhttp_connection_set_closecb(conn, stats_stream_close_cb, st);
	stats_stream_next(st);
}

/* A complete request: the connection's lifetime starts again. */
static void
stats_http_touch(struct stats_http *sh, struct bufferevent *bev)
{
	size_t	i;

	for (i = 0; i < sh->nconns; i++)
		if (sh->conns[i].bev == bev) {
			sh->conns[i].start_ms = clock_ms();
			break;
		}
}

static void
stats_http_request_cb(struct evhttp_request *req, void *arg)
{
	struct stats_http		*sh = arg;
	struct evhttp_connection	*conn;
	const struct evhttp_uri		*uri;
	const struct sockaddr		*peer;
	const char			*path;

	conn = evhttp_request_get_connection(req);
	peer = conn != NULL ? evhttp_connection_get_addr(conn) : NULL;
	if (conn != NULL)
		stats_http_touch(sh, evhttp_connection_get_bufferevent(conn));
	if (peer == NULL || acl_match_sa(sh->conf->allow, peer) != ACL_ALLOW) {
		stats_http_error(req, 403, "Forbidden", "forbidden");
		return;
	}
	uri = evhttp_request_get_evhttp_uri(req);
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path == NULL)
		path = "";
	if (strcmp(path, "/metrics") == 0 || strcmp(path, "/stats") == 0)
		stats_stream_start(sh, req, path[1] == 's');
	else if (strcmp(path, "/sessions") == 0)
		stats_http_sessions(sh, req, evhttp_uri_get_query(uri));
	else if (strcmp(path, "/blocks") == 0)
		stats_http_blocks(sh, req);
	else
		stats_http_error(req, HTTP_NOTFOUND, "Not Found",
		    "not found: try /metrics, /stats, /sessions or /blocks");
}
