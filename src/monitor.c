/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "health.h"
#include "log.h"
#include "monitor.h"
#include "pool.h"
#include "resolve.h"
#include "route.h"
#include "worker.h"
#include "xmalloc.h"

/* One watched name: member m of the route's pool configuration. */
struct monitor_name {
	struct monitor		*mon;
	size_t			 member;
	struct resolve_watch	*watch;
};

struct monitor {
	struct route		*r;
	struct health		*health;
	struct monitor_name	*names;
	size_t			 nnames;
};

static void
monitor_health_cb(struct health_target *t, int up, void *arg)
{
	struct monitor	*mon = arg;
	struct upstream	*u;

	if ((u = pool_find(mon->r->pool, health_target_addr(t))) == NULL)
		return;
	if (u->checked_down == up) {
		if (up)
			u->stats.check_ups++;
		else
			u->stats.check_downs++;
	}
	pool_set_checked(mon->r->pool, u, !up);
	route_siblings_sync_checked(mon->r);
}

struct monitor_key {
	struct addr_key		 key;
	struct health_target	*t;
	struct upstream		*u;
};

static int
monitor_key_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct monitor_key *)a)->key,
	    &((const struct monitor_key *)b)->key, sizeof(struct addr_key));
}

/*
 * The pool's members changed (a reload, a new answer): every member gets
 * a target, targets of members that left go, members that stay keep
 * theirs (and their state). Both sides sorted: O(n log n).
 */
void
monitor_members(struct monitor *mon)
{
	struct pool		*p = mon->r->pool;
	struct monitor_key	*tk, *mk;
	struct health_target	*t;
	size_t			 nt = 0, nm = p->nmembers, i = 0, j = 0;
	int			 c;

	if (mon->health == NULL)
		return;
	for (t = health_first(mon->health); t != NULL; t = health_next(t))
		nt++;
	tk = xcalloc(nt + 1, sizeof(*tk));
	mk = xcalloc(nm + 1, sizeof(*mk));
	nt = 0;
	for (t = health_first(mon->health); t != NULL; t = health_next(t)) {
		addr_key_make(&tk[nt].key,
		    (const struct sockaddr *)&health_target_addr(t)->ss);
		tk[nt++].t = t;
	}
	/* Members configured down are not checked (as in nginx). */
	for (i = 0, nm = 0; i < p->nmembers; i++) {
		if (p->members[i]->down)
			continue;
		mk[nm].key = p->members[i]->key;
		mk[nm++].u = p->members[i];
	}
	qsort(tk, nt, sizeof(*tk), monitor_key_cmp);
	qsort(mk, nm, sizeof(*mk), monitor_key_cmp);
	i = 0;
	while (i < nt || j < nm) {
		c = i == nt ? 1 : j == nm ? -1 : monitor_key_cmp(&tk[i], &mk[j]);
		if (c < 0)
			health_remove(tk[i++].t);
		else if (c > 0) {
			health_add(mon->health, &mk[j].u->addr, NULL);
			pool_set_checked(p, mk[j].u, 0);
			j++;
		} else {
			pool_set_checked(p, mk[j].u,
			    !health_target_up(tk[i].t));
			i++;
			j++;
		}
	}
	free(tk);
	free(mk);
}

static void
monitor_name_cb(const struct addr *addrs, size_t n, void *arg)
{
	struct monitor_name	*mn = arg;
	struct route		*r = mn->mon->r;
	size_t			 closed;

	closed = route_set_addrs(r, mn->member, addrs, n);
	closed += route_siblings_set_addrs(r, mn->member, addrs, n);
	if (closed > 0)
		log_info("route %s: %zu sessions to addresses gone from %s "
		    "closed", r->conf->name, closed,
		    r->conf->pool.members[mn->member].host);
	monitor_members(mn->mon);
	route_siblings_sync_checked(r);
}

static void
monitor_unwatch(struct monitor *mon)
{
	size_t	i;

	for (i = 0; i < mon->nnames; i++)
		resolve_watch_free(mon->names[i].watch);
	free(mon->names);
	mon->names = NULL;
	mon->nnames = 0;
}

/* The route has a (new) configuration: checks and watches follow it. */
void
monitor_apply(struct monitor *mon)
{
	struct route			*r = mon->r;
	const struct route_conf		*rc = r->conf;
	const struct member_conf	*m;
	struct worker			*w = r->worker;
	size_t				 i;

	if (rc->health == NULL && mon->health != NULL) {
		health_free(mon->health);
		mon->health = NULL;
		for (i = 0; i < r->pool->nmembers; i++)
			pool_set_checked(r->pool, r->pool->members[i], 0);
	} else if (rc->health != NULL && mon->health == NULL)
		mon->health = health_new(w->base, rc->health, rc->name,
		    monitor_health_cb, mon);
	else if (rc->health != NULL)
		health_set_conf(mon->health, rc->health);
	monitor_members(mon);

	/* Watches start over from the addresses this reload resolved. */
	monitor_unwatch(mon);
	if (rc->resolve_interval_ms == 0 || w->resolver == NULL)
		return;
	mon->names = xcalloc(rc->pool.nmembers, sizeof(*mon->names));
	for (i = 0; i < rc->pool.nmembers; i++) {
		m = &rc->pool.members[i];
		if (m->host == NULL)
			continue;
		mon->names[mon->nnames].mon = mon;
		mon->names[mon->nnames].member = i;
		mon->names[mon->nnames].watch = resolve_watch_new(w->resolver,
		    rc->name, m->host, m->port, m->addrs, m->naddrs,
		    rc->resolve_interval_ms, w->resolve_min_ms,
		    w->resolve_max_ms, monitor_name_cb,
		    &mon->names[mon->nnames]);
		mon->nnames++;
	}
}

struct monitor *
monitor_new(struct route *r)
{
	struct monitor	*mon;

	mon = xcalloc(1, sizeof(*mon));
	mon->r = r;
	monitor_apply(mon);
	return mon;
}

void
monitor_free(struct monitor *mon)
{
	if (mon == NULL)
		return;
	monitor_unwatch(mon);
	health_free(mon->health);
	free(mon);
}
