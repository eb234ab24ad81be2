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
	p->nworkers = 1;
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

/*
 * Binds every new listener, one per worker for each new route (with more
 * than one worker, as an SO_REUSEPORT group), or none: the first failure
 * undoes the rest.
 */
int
reload_prepare(struct reload_plan *p, size_t nworkers, char *err,
    size_t errlen)
{
	const struct route_conf	*rc;
	struct listener		**l, *probe;
	char			 why[CONF_ERRLEN / 2];
	size_t			 i, k;
	int			 inherited;

	if (nworkers != p->nworkers) {
		free(p->listener);
		p->nworkers = nworkers;
		p->listener = xcalloc(p->nnew * nworkers,
		    sizeof(*p->listener));
	}
	for (i = 0; i < p->nnew; i++) {
		if (p->action[i] != RELOAD_ADD)
			continue;
		rc = &p->conf->routes[i];
		inherited = 0;
		for (k = 0; k < nworkers; k++) {
			l = &p->listener[i * nworkers + k];
			/* A binary upgrade hands the old process's over. */
			if (p->inherit != NULL && (*l = upgrade_take_listener(
			    p->inherit, &rc->listen, k)) != NULL) {
				inherited = 1;
				continue;
			}
			/*
			 * Before a new SO_REUSEPORT group: a socket without
			 * it binds only where nobody listens, so the port is
			 * not silently shared with another process (another
			 * udproxy of the same user could join the group).
			 */
			if (nworkers > 1 && !inherited && k == 0) {
				if ((probe = listener_open(&rc->listen, 0, why,
				    sizeof(why))) == NULL) {
					snprintf(err, errlen, "%s:%d: route "
					    "'%s': %s", rc->file, rc->line,
					    rc->name, why);
					goto fail;
				}
				listener_close(probe);
			}
			*l = listener_open(&rc->listen, nworkers > 1, why,
			    sizeof(why));
			if (*l == NULL) {
				snprintf(err, errlen, "%s:%d: route '%s': %s",
				    rc->file, rc->line, rc->name, why);
				goto fail;
			}
		}
	}
	return 0;
fail:
	for (i = 0; i < p->nnew * p->nworkers; i++) {
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

/* Frees a route's instance on every worker; returns the sessions closed. */
static size_t
reload_free_chain(struct route *r)
{
	struct route	*x;
	size_t		 n = 0;

	for (x = r; x != NULL; x = x->sibling)
		n += route_close_sessions(x, SESSION_END_RELOAD);
	route_free_chain(r);
	return n;
}

/* The new route on every worker, chained from worker 0's. */
static struct route *
reload_new_chain(struct reload_plan *p, struct udproxy *up, size_t i)
{
	const struct route_conf	 *rc = &p->conf->routes[i];
	struct route		 *first = NULL, **tail = &first;
	size_t			  k;

	for (k = 0; k < p->nworkers; k++) {
		*tail = route_new(up->workers[k], rc,
		    p->listener[i * p->nworkers + k]);
		p->listener[i * p->nworkers + k] = NULL;
		/* One count for the route's max_sessions over all workers. */
		(*tail)->count = &first->own_count;
		tail = &(*tail)->sibling;
	}
	return first;
}

/*
 * Builds the new route table from the plan. Routes that survive are the
 * same objects, so their sessions and pending events stay valid; only
 * route->conf moves. Every worker's instance of a route changes alike.
 * Cannot fail. The workers are paused (udproxy_pause).
 */
void
reload_commit(struct reload_plan *p, struct udproxy *up,
    struct reload_summary *sum)
{
	struct route		**routes, *r, *x;
	const struct route_conf	 *rc;
	size_t			  i, j, closed, kept, n;

	memset(sum, 0, sizeof(*sum));
	routes = xcalloc(p->nnew, sizeof(*routes));
	for (j = 0; j < p->nold; j++) {
		if (!p->removed[j])
			continue;
		r = up->routes[j];
		rc = r->conf;
		n = reload_free_chain(r);
		log_info("route %s: removed, %zu sessions closed", rc->name,
		    n);
		sum->sessions_closed += n;
		sum->removed++;
		up->routes[j] = NULL;
	}
	for (i = 0; i < p->nnew; i++) {
		rc = &p->conf->routes[i];
		if (p->action[i] == RELOAD_ADD) {
			routes[i] = reload_new_chain(p, up, i);
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
		closed = kept = 0;
		for (x = r; x != NULL; x = x->sibling) {
			if (!conf_route_same_sessions(x->conf, rc))
				closed += route_close_sessions(x,
				    SESSION_END_RELOAD);
			closed += route_set_conf(x, rc);
			kept += x->nsessions;
		}
		sum->sessions_closed += closed;
		sum->sessions_kept += kept;
		if (p->action[i] == RELOAD_REPOINT)
			log_info("route %s: upstreams changed, %zu sessions to "
			    "removed upstreams closed", rc->name, closed);
		if (p->action[i] == RELOAD_KEEP)
			sum->kept++;
		else
			sum->changed++;
		/* Every worker's pool has the new members now. */
		route_siblings_sync_checked(r);
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
	for (i = 0; i < p->nnew * p->nworkers; i++)
		listener_close(p->listener[i]);
	free(p->action);
	free(p->old);
	free(p->listener);
	free(p->removed);
	free(p);
}
