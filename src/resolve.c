/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "clock.h"
#include "conf.h"
#include "log.h"
#include "resolve.h"
#include "xmalloc.h"

/*
 * After the first family answers, the other one gets at most this long:
 * a server that drops AAAA queries must not hold every lookup until the
 * deadline.
 */
#define RESOLVE_STRAGGLER_MS	500

struct resolve_req {
	struct resolve		*r;
	LIST_ENTRY(resolve_req)	 link;
	resolve_cb		 cb;
	void			*arg;
	char			*host;
	uint16_t		 port;
	struct evdns_request	*q4, *q6;	/* NULL once answered */
	int			 pending;	/* evdns callbacks to come */
	int			 done;		/* cb called or cancelled */
	int			 err;		/* first DNS_ERR_* seen */
	int			 has_ttl;
	uint32_t		 ttl;
	struct event		*ev;		/* deadline or completion */
	size_t			 naddrs;
	struct addr		 addrs[RESOLVE_MAX_ADDRS];
};

LIST_HEAD(resolve_reqs, resolve_req);

struct resolve {
	struct event_base	*base;
	struct evdns_base	*dns;
	struct evdns_base	*hosts;	/* no servers: the hosts file only */
	uint64_t		 timeout_ms;
	int			 want6;
	int			 dying;
	size_t			 outstanding;	/* evdns callbacks to come */
	struct resolve_reqs	 reqs;
	/* The synchronous answer of the hosts lookup being made. */
	int			 hcalled;
	int			 herr;
	struct evutil_addrinfo	*hres;
};

static void	resolve_maybe_free(struct resolve *);

/* Whether this host can use IPv6 at all: no AAAA queries otherwise. */
static int
resolve_have_ipv6(void)
{
	int	fd;

	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) == -1)
		return 0;
	close(fd);
	return 1;
}

struct resolve *
resolve_new(struct event_base *base, const char *const *servers,
    size_t nservers, uint64_t timeout_ms, char *err, size_t errlen)
{
	struct resolve	*r;
	char		 tmo[32];
	size_t		 i;
	int		 rc;

	r = xcalloc(1, sizeof(*r));
	r->base = base;
	r->timeout_ms = timeout_ms;
	r->want6 = resolve_have_ipv6();
	LIST_INIT(&r->reqs);
	if ((r->dns = evdns_base_new(base, 0)) == NULL ||
	    (r->hosts = evdns_base_new(base, 0)) == NULL) {
		snprintf(err, errlen, "cannot create the DNS resolver");
		goto fail;
	}
	evdns_base_load_hosts(r->hosts, NULL);
	if (nservers == 0) {
		rc = evdns_base_resolv_conf_parse(r->dns, DNS_OPTIONS_ALL,
		    "/etc/resolv.conf");
		/* 6: parsed, but no nameserver in it (evdns adds 127.0.0.1). */
		if (rc != 0 && rc != 6)
			log_warning("resolver: cannot use /etc/resolv.conf "
			    "(evdns error %d); asking 127.0.0.1", rc);
		if (evdns_base_count_nameservers(r->dns) == 0 &&
		    evdns_base_nameserver_ip_add(r->dns, "127.0.0.1") != 0) {
			snprintf(err, errlen, "resolver: no nameserver");
			goto fail;
		}
	}
	for (i = 0; i < nservers; i++) {
		if (evdns_base_nameserver_ip_add(r->dns, servers[i]) != 0) {
			snprintf(err, errlen, "resolver: cannot use '%s'",
			    servers[i]);
			goto fail;
		}
	}
	/*
	 * Two attempts that together fit the deadline; our own timer
	 * enforces it whatever evdns does with a server it marked down.
	 */
	snprintf(tmo, sizeof(tmo), "%.3f", (double)timeout_ms / 2000.0);
	if (evdns_base_set_option(r->dns, "timeout:", tmo) != 0 ||
	    evdns_base_set_option(r->dns, "attempts:", "2") != 0 ||
	    evdns_base_set_option(r->dns, "initial-probe-timeout:",
	    tmo) != 0) {
		snprintf(err, errlen, "resolver: cannot set the timeout");
		goto fail;
	}
	return r;
fail:
	if (r->dns != NULL)
		evdns_base_free(r->dns, 0);
	if (r->hosts != NULL)
		evdns_base_free(r->hosts, 0);
	free(r);
	return NULL;
}

uint64_t
resolve_timeout_ms(const struct resolve *r)
{
	return r->timeout_ms;
}

/* Whether evdns still owes callbacks (the loop must run to deliver them). */
int
resolve_busy(const struct resolve *r)
{
	return r->outstanding != 0;
}

static void
resolve_req_free(struct resolve_req *q)
{
	event_free(q->ev);
	free(q->host);
	free(q);
}

static int
resolve_addr_cmp(const void *a, const void *b)
{
	struct addr_key	ka, kb;

	addr_key_make(&ka, (const struct sockaddr *)&((const struct addr *)
	    a)->ss);
	addr_key_make(&kb, (const struct sockaddr *)&((const struct addr *)
	    b)->ss);
	return memcmp(&ka, &kb, sizeof(ka));
}

/* Whether two sorted address sets are the same. */
int
resolve_addrs_equal(const struct addr *a, size_t na, const struct addr *b,
    size_t nb)
{
	size_t	i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (resolve_addr_cmp(&a[i], &b[i]) != 0)
			return 0;
	return 1;
}

static void
resolve_add(struct resolve_req *q, const struct sockaddr *sa)
{
	struct addr	*a;

	if (q->naddrs == RESOLVE_MAX_ADDRS)
		return;
	a = &q->addrs[q->naddrs++];
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		memcpy(&a->ss, sa, sizeof(struct sockaddr_in));
		((struct sockaddr_in *)&a->ss)->sin_port = htons(q->port);
		a->len = sizeof(struct sockaddr_in);
	} else {
		memcpy(&a->ss, sa, sizeof(struct sockaddr_in6));
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(q->port);
		a->len = sizeof(struct sockaddr_in6);
	}
}

/* Sorts, drops duplicates, calls back; the request is gone afterwards. */
static void
resolve_finish(struct resolve_req *q)
{
	struct resolve_result	res;
	size_t			i, n = 0;

	q->done = 1;
	LIST_REMOVE(q, link);
	event_del(q->ev);
	qsort(q->addrs, q->naddrs, sizeof(q->addrs[0]), resolve_addr_cmp);
	for (i = 0; i < q->naddrs; i++)
		if (n == 0 || resolve_addr_cmp(&q->addrs[n - 1],
		    &q->addrs[i]) != 0)
			q->addrs[n++] = q->addrs[i];
	q->naddrs = n;
	memset(&res, 0, sizeof(res));
	res.addrs = q->addrs;
	res.naddrs = q->naddrs;
	res.has_ttl = q->has_ttl;
	res.ttl = q->ttl;
	if (n == 0) {
		res.error = -1;
		if (q->err == DNS_ERR_TIMEOUT || q->err == DNS_ERR_CANCEL ||
		    q->err == DNS_ERR_NONE)
			res.why = q->err == DNS_ERR_NONE && q->pending == 0 ?
			    "no address" : "timed out";
		else
			res.why = evdns_err_to_string(q->err);
	}
	q->cb(&res, q->arg);
	if (q->pending == 0)
		resolve_req_free(q);
}

static void
resolve_cancel_queries(struct resolve_req *q)
{
	if (q->q4 != NULL)
		evdns_cancel_request(q->r->dns, q->q4);
	if (q->q6 != NULL)
		evdns_cancel_request(q->r->dns, q->q6);
	/* Their callbacks still come, with DNS_ERR_CANCEL. */
	q->q4 = q->q6 = NULL;
}

static void
resolve_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resolve_req	*q = arg;

	(void)fd;
	(void)what;
	resolve_cancel_queries(q);
	resolve_finish(q);
}

static void
resolve_answer(struct resolve_req *q, int family, int result, int count,
    int ttl, const void *addresses)
{
	struct resolve		*r = q->r;
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	struct timeval		 tv;
	int			 i;

	q->pending--;
	r->outstanding--;
	if (family == AF_INET)
		q->q4 = NULL;
	else
		q->q6 = NULL;
	if (q->done) {
		if (q->pending == 0)
			resolve_req_free(q);
		resolve_maybe_free(r);
		return;
	}
	if (result == DNS_ERR_NONE && count > 0) {
		for (i = 0; i < count; i++) {
			if (family == AF_INET) {
				memset(&sin, 0, sizeof(sin));
				sin.sin_family = AF_INET;
				memcpy(&sin.sin_addr, (const uint8_t *)addresses +
				    4 * i, 4);
				resolve_add(q, (struct sockaddr *)&sin);
			} else {
				memset(&sin6, 0, sizeof(sin6));
				sin6.sin6_family = AF_INET6;
				memcpy(&sin6.sin6_addr, (const uint8_t *)
				    addresses + 16 * i, 16);
				resolve_add(q, (struct sockaddr *)&sin6);
			}
		}
		if (ttl < 0)
			ttl = 0;
		if (!q->has_ttl || (uint32_t)ttl < q->ttl)
			q->ttl = (uint32_t)ttl;
		q->has_ttl = 1;
	} else if (result != DNS_ERR_NONE && q->err == DNS_ERR_NONE)
		q->err = result;
	if (q->q4 == NULL && q->q6 == NULL)
		resolve_finish(q);
	else if (q->naddrs > 0) {
		tv.tv_sec = RESOLVE_STRAGGLER_MS / 1000;
		tv.tv_usec = (RESOLVE_STRAGGLER_MS % 1000) * 1000;
		evtimer_add(q->ev, &tv);
	}
}

static void
resolve_answer4_cb(int result, char type, int count, int ttl, void *addrs,
    void *arg)
{
	(void)type;
	resolve_answer(arg, AF_INET, result, count, ttl, addrs);
}

static void
resolve_answer6_cb(int result, char type, int count, int ttl, void *addrs,
    void *arg)
{
	(void)type;
	resolve_answer(arg, AF_INET6, result, count, ttl, addrs);
}

/*
 * The hosts lookup answers synchronously; a name that is not in the file
 * starts queries on a base without servers, which we cancel at once (its
 * callback then comes later with EVUTIL_EAI_CANCEL).
 */
static void
resolve_hosts_cb(int err, struct evutil_addrinfo *res, void *arg)
{
	struct resolve	*r = arg;

	if (err == EVUTIL_EAI_CANCEL) {
		r->outstanding--;
		resolve_maybe_free(r);
		return;
	}
	r->hcalled = 1;
	r->herr = err;
	r->hres = res;
}

static int
resolve_hosts(struct resolve *r, struct resolve_req *q)
{
	struct evutil_addrinfo			 hints, *ai;
	struct evdns_getaddrinfo_request	*gr;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = r->want6 ? AF_UNSPEC : AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	r->hcalled = 0;
	r->hres = NULL;
	gr = evdns_getaddrinfo(r->hosts, q->host, NULL, &hints,
	    resolve_hosts_cb, r);
	if (gr != NULL) {
		r->outstanding++;
		evdns_getaddrinfo_cancel(gr);
		return 0;
	}
	if (!r->hcalled || r->herr != 0 || r->hres == NULL) {
		if (r->hres != NULL)
			evutil_freeaddrinfo(r->hres);
		return 0;
	}
	for (ai = r->hres; ai != NULL; ai = ai->ai_next)
		if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
			resolve_add(q, ai->ai_addr);
	evutil_freeaddrinfo(r->hres);
	r->hres = NULL;
	return q->naddrs > 0;
}

/*
 * Starts resolving host; cb is called once, from the event loop, unless
 * the request is cancelled first. Returns NULL only if nothing could be
 * started (evdns refused the name).
 */
struct resolve_req *
resolve_name(struct resolve *r, const char *host, uint16_t port,
    resolve_cb cb, void *arg)
{
	struct resolve_req	*q;
	struct timeval		 tv;

	q = xcalloc(1, sizeof(*q));
	q->r = r;
	q->cb = cb;
	q->arg = arg;
	q->host = xstrdup(host);
	q->port = port;
	q->err = DNS_ERR_NONE;
	if ((q->ev = evtimer_new(r->base, resolve_timer_cb, q)) == NULL)
		fatalx("cannot create a resolver timer");
	LIST_INSERT_HEAD(&r->reqs, q, link);
	if (resolve_hosts(r, q)) {
		/* Answered now; delivered from the loop, as promised. */
		tv.tv_sec = tv.tv_usec = 0;
		evtimer_add(q->ev, &tv);
		return q;
	}
	q->q4 = evdns_base_resolve_ipv4(r->dns, host, 0, resolve_answer4_cb,
	    q);
	if (q->q4 != NULL) {
		q->pending++;
		r->outstanding++;
	}
	if (r->want6) {
		q->q6 = evdns_base_resolve_ipv6(r->dns, host, 0,
		    resolve_answer6_cb, q);
		if (q->q6 != NULL) {
			q->pending++;
			r->outstanding++;
		}
	}
	if (q->pending == 0) {
		LIST_REMOVE(q, link);
		resolve_req_free(q);
		return NULL;
	}
	tv.tv_sec = (time_t)(r->timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(r->timeout_ms % 1000) * 1000;
	evtimer_add(q->ev, &tv);
	return q;
}

/* The callback will not be called; the handle is invalid afterwards. */
void
resolve_cancel(struct resolve_req *q)
{
	if (q == NULL || q->done)
		return;
	q->done = 1;
	LIST_REMOVE(q, link);
	event_del(q->ev);
	resolve_cancel_queries(q);
	if (q->pending == 0)
		resolve_req_free(q);
}

static void
resolve_maybe_free(struct resolve *r)
{
	if (!r->dying || r->outstanding != 0)
		return;
	evdns_base_free(r->hosts, 0);
	free(r);
}

/*
 * Cancels every request. evdns may still owe callbacks (they are
 * deferred); the object then lives until the loop has delivered them,
 * which resolve_busy tells.
 */
void
resolve_free(struct resolve *r)
{
	struct resolve_req	*q;

	if (r == NULL)
		return;
	while ((q = LIST_FIRST(&r->reqs)) != NULL)
		resolve_cancel(q);
	evdns_base_free(r->dns, 0);
	r->dns = NULL;
	/* The hosts base is touched by its pending cancels: keep it then. */
	r->dying = 1;
	resolve_maybe_free(r);
}

/* --- the names of a configuration ------------------------------------ */

struct resolve_slot {
	struct resolve_batch	*b;
	size_t			 route;
	size_t			 member;	/* of the route's pool */
	struct resolve_req	*req;
	int			 failed;
	char			 why[128];
};

struct resolve_batch {
	struct resolve		*r;
	struct conf		*conf;
	const struct conf	*old;
	resolve_conf_cb		 cb;
	void			*arg;
	struct resolve_slot	*slots;
	size_t			 nslots;
	size_t			 pending;
};

size_t
resolve_conf_names(const struct conf *conf)
{
	size_t	i, n = 0;

	size_t	m;

	for (i = 0; i < conf->nroutes; i++)
		for (m = 0; m < conf->routes[i].pool.nmembers; m++)
			if (conf->routes[i].pool.members[m].host != NULL)
				n++;
	return n;
}

/* Every address of a name is a pool member. */
static void
resolve_set_member(struct member_conf *m, const struct addr *a, size_t n)
{
	free(m->addrs);
	m->addrs = xcalloc(n, sizeof(*a));
	memcpy(m->addrs, a, n * sizeof(*a));
	m->naddrs = n;
}

/* The running route's member of the same name, with its addresses. */
static const struct member_conf *
resolve_old_member(const struct conf *old, const struct route_conf *rc,
    const struct member_conf *m)
{
	const struct member_conf	*om;
	size_t				 i, j;

	if (old == NULL)
		return NULL;
	for (i = 0; i < old->nroutes; i++) {
		if (strcmp(old->routes[i].name, rc->name) != 0)
			continue;
		for (j = 0; j < old->routes[i].pool.nmembers; j++) {
			om = &old->routes[i].pool.members[j];
			if (strcmp(om->address, m->address) == 0 &&
			    om->naddrs > 0)
				return om;
		}
	}
	return NULL;
}

static void
resolve_batch_free(struct resolve_batch *b)
{
	size_t	i;

	for (i = 0; i < b->nslots; i++)
		resolve_cancel(b->slots[i].req);
	resolve_free(b->r);
	free(b->slots);
	free(b);
}

static void
resolve_batch_done(struct resolve_batch *b)
{
	struct conf		*conf = b->conf;
	resolve_conf_cb		 cb = b->cb;
	void			*arg = b->arg;
	struct route_conf	*rc;
	char			 err[CONF_ERRLEN];
	size_t			 i;
	int			 failed = 0;

	for (i = 0; i < b->nslots && !failed; i++) {
		if (!b->slots[i].failed)
			continue;
		rc = &conf->routes[b->slots[i].route];
		snprintf(err, sizeof(err), "%s:%d: route '%s': upstream: "
		    "cannot resolve '%s': %s", rc->file,
		    rc->pool.members[b->slots[i].member].line, rc->name,
		    rc->pool.members[b->slots[i].member].host,
		    b->slots[i].why);
		failed = 1;
	}
	if (!failed && conf_check_loops(conf, err, sizeof(err)) == -1)
		failed = 1;
	resolve_batch_free(b);
	if (failed) {
		conf_free(conf);
		cb(NULL, err, arg);
	} else
		cb(conf, NULL, arg);
}

static void
resolve_slot_cb(const struct resolve_result *res, void *arg)
{
	struct resolve_slot	*sl = arg;
	struct resolve_batch	*b = sl->b;
	struct route_conf	*rc = &b->conf->routes[sl->route];
	struct member_conf	*m = &rc->pool.members[sl->member];
	const struct member_conf *om;
	struct addr		 keep[RESOLVE_MAX_ADDRS];
	size_t			 i, n = 0;

	sl->req = NULL;
	/* A DNS answer of 0.0.0.0 or :: is a sinkhole, not an upstream. */
	for (i = 0; i < res->naddrs; i++)
		if (!addr_is_wildcard(&res->addrs[i]))
			keep[n++] = res->addrs[i];
	if (n > 0) {
		resolve_set_member(m, keep, n);
		log_info("route %s: %s resolved to %zu address%s", rc->name,
		    m->host, n, n == 1 ? "" : "es");
	} else if ((om = resolve_old_member(b->old, rc, m)) != NULL) {
		resolve_set_member(m, om->addrs, om->naddrs);
		log_warning("route %s: cannot resolve '%s': %s; keeping its "
		    "%zu previous address%s", rc->name, m->host,
		    res->error != 0 ? res->why : "only wildcard addresses",
		    om->naddrs, om->naddrs == 1 ? "" : "es");
	} else {
		sl->failed = 1;
		snprintf(sl->why, sizeof(sl->why), "%s", res->error != 0 ?
		    res->why : "only wildcard addresses");
	}
	if (--b->pending == 0)
		resolve_batch_done(b);
}

struct resolve_batch *
resolve_conf(struct event_base *base, struct conf *conf,
    const struct conf *old, resolve_conf_cb cb, void *arg)
{
	struct resolve_batch	*b;
	struct route_conf	*rc;
	char			 err[CONF_ERRLEN];
	size_t			 i, m, n = resolve_conf_names(conf);

	if (n == 0) {
		cb(conf, NULL, arg);
		return NULL;
	}
	b = xcalloc(1, sizeof(*b));
	b->conf = conf;
	b->old = old;
	b->cb = cb;
	b->arg = arg;
	b->r = resolve_new(base, (const char *const *)conf->resolvers,
	    conf->nresolvers, conf->resolver_timeout_ms, err, sizeof(err));
	if (b->r == NULL) {
		char	msg[CONF_ERRLEN + 256];

		free(b);
		snprintf(msg, sizeof(msg), "%s: %s", conf->path, err);
		conf_free(conf);
		cb(NULL, msg, arg);
		return NULL;
	}
	b->slots = xcalloc(n, sizeof(*b->slots));
	for (i = 0; i < conf->nroutes; i++) {
		rc = &conf->routes[i];
		for (m = 0; m < rc->pool.nmembers; m++) {
			if (rc->pool.members[m].host == NULL)
				continue;
			b->slots[b->nslots].b = b;
			b->slots[b->nslots].route = i;
			b->slots[b->nslots].member = m;
			b->nslots++;
		}
	}
	/* Counted first: a request that fails to start completes a slot. */
	b->pending = b->nslots;
	for (i = 0; i < b->nslots; i++) {
		rc = &conf->routes[b->slots[i].route];
		b->slots[i].req = resolve_name(b->r,
		    rc->pool.members[b->slots[i].member].host,
		    rc->pool.members[b->slots[i].member].port,
		    resolve_slot_cb, &b->slots[i]);
		if (b->slots[i].req == NULL) {
			b->slots[i].failed = 1;
			snprintf(b->slots[i].why, sizeof(b->slots[i].why),
			    "the resolver refused the name");
			b->pending--;
		}
	}
	if (b->pending == 0) {
		resolve_batch_done(b);
		return NULL;
	}
	return b;
}

/* The callback will not run; the configuration is freed. */
void
resolve_conf_cancel(struct resolve_batch *b)
{
	if (b == NULL)
		return;
	conf_free(b->conf);
	resolve_batch_free(b);
}

struct resolve_wait {
	int		 done;
	struct conf	*conf;
	char		*err;
	size_t		 errlen;
};

static void
resolve_wait_cb(struct conf *conf, const char *err, void *arg)
{
	struct resolve_wait	*w = arg;

	w->done = 1;
	w->conf = conf;
	if (conf == NULL)
		snprintf(w->err, w->errlen, "%s", err);
}

/*
 * For start and -t, before anything else runs on base: resolves conf's
 * names, running the loop until they are in (each lookup has its
 * deadline, so this is bounded). Returns conf, or NULL (conf freed).
 */
struct conf *
resolve_conf_wait(struct event_base *base, struct conf *conf, char *err,
    size_t errlen)
{
	struct resolve_wait	w;

	memset(&w, 0, sizeof(w));
	w.err = err;
	w.errlen = errlen;
	(void)resolve_conf(base, conf, NULL, resolve_wait_cb, &w);
	while (!w.done)
		if (event_base_loop(base, EVLOOP_ONCE) == -1)
			fatalx("the event loop failed while resolving");
	return w.conf;
}

/* --- a name watched: re-resolved periodically ------------------------ */

struct resolve_watch {
	struct resolve		*r;
	char			*host;
	char			*route;
	uint16_t		 port;
	uint64_t		 interval_ms, min_ms, max_ms;
	resolve_watch_cb	 cb;
	void			*arg;
	struct event		*ev;
	struct resolve_req	*req;
	struct addr		*addrs;		/* the set last reported */
	size_t			 naddrs;
	struct ratelimit	 rl_fail;
};

static uint64_t
resolve_clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * When to ask again: the answer's TTL if it is shorter than the interval,
 * the interval otherwise (and after a failure), always inside
 * [resolve_min, resolve_max].
 */
uint64_t
resolve_next_ms(int has_ttl, uint32_t ttl, uint64_t interval_ms,
    uint64_t min_ms, uint64_t max_ms)
{
	uint64_t	next = interval_ms;

	if (has_ttl && (uint64_t)ttl * 1000 < next)
		next = (uint64_t)ttl * 1000;
	return resolve_clamp(next, min_ms, max_ms);
}

static void
resolve_watch_arm(struct resolve_watch *w, uint64_t ms)
{
	struct timeval	tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(w->ev, &tv);
}

/* How many of a's addresses are not in b (both sorted). */
static size_t
resolve_missing(const struct addr *a, size_t na, const struct addr *b,
    size_t nb)
{
	size_t	i = 0, j = 0, n = 0;
	int	c;

	while (i < na) {
		c = j < nb ? resolve_addr_cmp(&a[i], &b[j]) : -1;
		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			n++;
			i++;
		} else
			j++;
	}
	return n;
}

static void
resolve_watch_answer(const struct resolve_result *res, void *arg)
{
	struct resolve_watch	*w = arg;
	struct addr		 keep[RESOLVE_MAX_ADDRS];
	size_t			 i, n = 0, added, removed;
	unsigned int		 shown;

	w->req = NULL;
	for (i = 0; i < res->naddrs; i++)
		if (!addr_is_wildcard(&res->addrs[i]))
			keep[n++] = res->addrs[i];
	if (n == 0) {
		if ((shown = ratelimit_allow(&w->rl_fail, clock_ms())) > 0)
			log_warning("route %s: cannot re-resolve '%s': %s; "
			    "keeping its %zu address%s", w->route, w->host,
			    res->error != 0 ? res->why :
			    "only wildcard addresses", w->naddrs,
			    w->naddrs == 1 ? "" : "es");
		resolve_watch_arm(w, resolve_clamp(w->interval_ms, w->min_ms,
		    w->max_ms));
		return;
	}
	resolve_watch_arm(w, resolve_next_ms(res->has_ttl, res->ttl,
	    w->interval_ms, w->min_ms, w->max_ms));
	if (resolve_addrs_equal(keep, n, w->addrs, w->naddrs))
		return;
	added = resolve_missing(keep, n, w->addrs, w->naddrs);
	removed = resolve_missing(w->addrs, w->naddrs, keep, n);
	free(w->addrs);
	w->addrs = xcalloc(n, sizeof(*keep));
	memcpy(w->addrs, keep, n * sizeof(*keep));
	w->naddrs = n;
	log_notice("route %s: %s now resolves to %zu address%s (%zu added, "
	    "%zu removed)", w->route, w->host, n, n == 1 ? "" : "es", added,
	    removed);
	w->cb(w->addrs, w->naddrs, w->arg);
}

static void
resolve_watch_cb_timer(evutil_socket_t fd, short what, void *arg)
{
	struct resolve_watch	*w = arg;

	(void)fd;
	(void)what;
	w->req = resolve_name(w->r, w->host, w->port, resolve_watch_answer, w);
	if (w->req == NULL)
		resolve_watch_arm(w, resolve_clamp(w->interval_ms, w->min_ms,
		    w->max_ms));
}

/*
 * Watches host:port, whose addresses are cur now: asks again after the
 * interval (or the TTL, see resolve_next_ms) and calls cb with the new
 * sorted set each time it differs. A failed lookup keeps the set, with a
 * rate-limited warning.
 */
struct resolve_watch *
resolve_watch_new(struct resolve *r, const char *route, const char *host,
    uint16_t port, const struct addr *cur, size_t ncur,
    uint64_t interval_ms, uint64_t min_ms, uint64_t max_ms,
    resolve_watch_cb cb, void *arg)
{
	struct resolve_watch	*w;

	w = xcalloc(1, sizeof(*w));
	w->r = r;
	w->route = xstrdup(route);
	w->host = xstrdup(host);
	w->port = port;
	w->interval_ms = interval_ms;
	w->min_ms = min_ms;
	w->max_ms = max_ms;
	w->cb = cb;
	w->arg = arg;
	if (ncur > 0) {
		w->addrs = xcalloc(ncur, sizeof(*cur));
		memcpy(w->addrs, cur, ncur * sizeof(*cur));
		qsort(w->addrs, ncur, sizeof(*cur), resolve_addr_cmp);
	}
	w->naddrs = ncur;
	if ((w->ev = evtimer_new(r->base, resolve_watch_cb_timer, w)) == NULL)
		fatalx("cannot create a resolver timer");
	resolve_watch_arm(w, resolve_clamp(interval_ms, min_ms, max_ms));
	return w;
}

void
resolve_watch_free(struct resolve_watch *w)
{
	if (w == NULL)
		return;
	resolve_cancel(w->req);
	event_free(w->ev);
	free(w->addrs);
	free(w->host);
	free(w->route);
	free(w);
}
