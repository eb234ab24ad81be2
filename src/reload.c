/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "listener.h"
#include "log.h"
#include "reload.h"
#include "route.h"
#include "udproxy.h"
#include "upgrade.h"
#include "xmalloc.h"

static int
reload_same_tunables(const struct route_conf *a, const struct route_conf *b)
{
	return strcmp(a->name, b->name) == 0 && a->idle_ms == b->idle_ms &&
	    a->max_sessions == b->max_sessions &&
	    a->max_datagram == b->max_datagram && a->rcvbuf == b->rcvbuf &&
	    conf_route_same_guard(a, b) &&
	    conf_route_same_pool(a, b);
}

/* An old route's listen key and index, sorted for binary search. */
struct reload_key {
	struct addr_key	key;
	size_t		index;
};

static int
reload_key_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct reload_key *)a)->key,
	    &((const struct reload_key *)b)->key, sizeof(struct addr_key));
}

/*
 * Matches every route of the new configuration to the running route with
 * the same listen address, if any: a listener follows its address, so a
 * renamed route keeps its socket and its sessions. oconf may be NULL (the
 * first load). Listen addresses are unique in a valid configuration, so
 * a sorted table finds each match in O(log n). Pure.
 */
struct reload_plan *
reload_plan(const struct conf *oconf, const struct conf *nconf)
{
	struct reload_plan		*p;
	struct reload_key		*keys, want, *hit;
	const struct route_conf		*n, *o;
	size_t				 i, j, nold;

	nold = oconf != NULL ? oconf->nroutes : 0;
	p = xcalloc(1, sizeof(*p));
	p->conf = nconf;
	p->nnew = nconf->nroutes;
	p->nold = nold;
	p->action = xcalloc(p->nnew, sizeof(*p->action));
	p->old = xcalloc(p->nnew, sizeof(*p->old));
	p->listener = xcalloc(p->nnew, sizeof(*p->listener));
	p->removed = xcalloc(nold, sizeof(*p->removed));
	keys = xcalloc(nold, sizeof(*keys));
	for (j = 0; j < nold; j++) {
		p->removed[j] = 1;
		addr_key_make(&keys[j].key,
		    (const struct sockaddr *)&oconf->routes[j].listen.ss);
		keys[j].index = j;
	}
	qsort(keys, nold, sizeof(*keys), reload_key_cmp);
	for (i = 0; i < p->nnew; i++) {
		n = &nconf->routes[i];
		p->action[i] = RELOAD_ADD;
		addr_key_make(&want.key, (const struct sockaddr *)&n->listen.ss);
		hit = bsearch(&want, keys, nold, sizeof(*keys), reload_key_cmp);
		if (hit == NULL || !p->removed[hit->index])
			continue;
		j = hit->index;
		o = &oconf->routes[j];
		p->removed[j] = 0;
		p->old[i] = j;
		if (!conf_route_same_upstream(n, o))
			p->action[i] = RELOAD_REPOINT;
		else if (!reload_same_tunables(n, o))
			p->action[i] = RELOAD_UPDATE;
		else
			p->action[i] = RELOAD_KEEP;
	}
	free(keys);
	return p;
}

/* Binds every new listener, or none: the first failure undoes the rest. */
int
reload_prepare(struct reload_plan *p, char *err, size_t errlen)
{
	const struct route_conf	*rc;
	char			 why[CONF_ERRLEN / 2];
	size_t			 i;

	for (i = 0; i < p->nnew; i++) {
		if (p->action[i] != RELOAD_ADD)
			continue;
		rc = &p->conf->routes[i];
		/* A binary upgrade hands the old process's sockets over. */
		if (p->inherit != NULL && (p->listener[i] =
		    upgrade_take_listener(p->inherit, &rc->listen)) != NULL)
			continue;
		p->listener[i] = listener_open(&rc->listen, why, sizeof(why));
		if (p->listener[i] == NULL) {
			snprintf(err, errlen, "%s:%d: route '%s': %s", rc->file,
			    rc->line, rc->name, why);
			goto fail;
		}
	}
	return 0;
fail:
	for (i = 0; i < p->nnew; i++) {
		listener_close(p->listener[i]);
		p->listener[i] = NULL;
	}
	return -1;
}

static void
reload_log_added(const struct route_conf *rc, const struct listener *l)
{
	const struct member_conf	*m = &rc->pool.members[0];
	char				 name[ADDR_STRLEN], up[ADDR_STRLEN];
	size_t				 i, n = 0;

	addr_format((const struct sockaddr *)&l->addr.ss, name, sizeof(name));
	if (rc->pool.nmembers == 1 && m->naddrs == 1) {
		log_info("route %s: listening on %s, upstream %s", rc->name,
		    name, addr_format((const struct sockaddr *)&m->addrs[0].ss,
		    up, sizeof(up)));
		return;
	}
	for (i = 0; i < rc->pool.nmembers; i++)
		n += rc->pool.members[i].naddrs;
	log_info("route %s: listening on %s, upstreams: %zu members, %zu "
	    "addresses, balance %s", rc->name, name, rc->pool.nmembers, n,
	    pool_balance_name(rc->pool.balance));
}

/*
 * Builds the new route table from the plan. Routes that survive are the
 * same objects, so their sessions and pending events stay valid; only
 * route->conf moves. Cannot fail.
 */
void
reload_commit(struct reload_plan *p, struct udproxy *up,
    struct reload_summary *sum)
{
	struct route		**routes, *r;
	const struct route_conf	 *rc;
	size_t			  i, j, closed;

	memset(sum, 0, sizeof(*sum));
	routes = xcalloc(p->nnew, sizeof(*routes));
	for (j = 0; j < p->nold; j++) {
		if (!p->removed[j])
			continue;
		r = up->routes[j];
		log_info("route %s: removed, %zu sessions closed",
		    r->conf->name, r->nsessions);
		sum->sessions_closed += r->nsessions;
		sum->removed++;
		route_close_sessions(r, SESSION_END_RELOAD);
		route_free(r);
		up->routes[j] = NULL;
	}
	for (i = 0; i < p->nnew; i++) {
		rc = &p->conf->routes[i];
		if (p->action[i] == RELOAD_ADD) {
			/* One worker today; routes run on it. */
			routes[i] = route_new(up->workers[0], rc,
			    p->listener[i]);
			p->listener[i] = NULL;
			reload_log_added(rc, routes[i]->listener);
			sum->added++;
			continue;
		}
		r = routes[i] = up->routes[p->old[i]];
		up->routes[p->old[i]] = NULL;
		/*
		 * Sessions pinned to an address that is still in the pool
		 * stay; those to removed members close at once.
		 */
		closed = 0;
		if (!conf_route_same_sessions(r->conf, rc))
			closed = route_close_sessions(r,
			    SESSION_END_RELOAD);
		closed += route_set_conf(r, rc);
		sum->sessions_closed += closed;
		sum->sessions_kept += r->nsessions;
		if (p->action[i] == RELOAD_REPOINT)
			log_info("route %s: upstreams changed, %zu sessions to "
			    "removed upstreams closed", rc->name, closed);
		if (p->action[i] == RELOAD_KEEP)
			sum->kept++;
		else
			sum->changed++;
	}
	free(up->routes);
	up->routes = routes;
	up->nroutes = p->nnew;
}

void
reload_plan_free(struct reload_plan *p)
{
	size_t	i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nnew; i++)
		listener_close(p->listener[i]);
	free(p->action);
	free(p->old);
	free(p->listener);
	free(p->removed);
	free(p);
}
