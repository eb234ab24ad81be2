/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * A route's monitors, kept beside its pool: the active health checks of
 * its members (health.c; a member the checks mark down takes no new
 * session) and the periodic re-resolution of the names its upstreams
 * stand for (resolve_watch; a new answer replaces that member's
 * addresses in the pool, keeping the sessions of addresses that stay).
 * Both follow the route's configuration across reloads. With several
 * workers only worker 0's instance of a route has a monitor (one probe
 * per interval, one query per name); its verdicts and answers apply to
 * the route's instances on every worker.
 */
#ifndef UDPROXY_MONITOR_H
#define UDPROXY_MONITOR_H

struct monitor;
struct route;

struct monitor	*monitor_new(struct route *);
void		 monitor_apply(struct monitor *);
void		 monitor_members(struct monitor *);
void		 monitor_free(struct monitor *);

#endif
