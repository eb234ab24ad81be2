/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Applying a configuration, at start and on SIGHUP, in three steps:
 * plan (pure: match new routes to running ones by listen address),
 * prepare (bind the listeners that are new; the only step that can fail,
 * and a failure closes only what it opened), commit (cannot fail).
 */
#ifndef UDPROXY_RELOAD_H
#define UDPROXY_RELOAD_H

#include <stddef.h>

struct conf;
struct listener;
struct udproxy;

enum reload_action {
	RELOAD_ADD,		/* new listen address: new route */
	RELOAD_KEEP,		/* identical: nothing to do */
	RELOAD_UPDATE,		/* same listen and upstreams, new tunables */
	RELOAD_REPOINT		/* same listen, other upstream addresses:
				   sessions to removed members close */
};

struct reload_plan {
	const struct conf	 *conf;		/* the new configuration */
	size_t			  nnew;
	enum reload_action	 *action;	/* per new route */
	size_t			 *old;		/* per new route, unless ADD */
	size_t			  nworkers;	/* listeners per route */
	struct listener		**listener;	/* per ADD route and worker
						   ([i * nworkers + k]) */
	size_t			  nold;
	int			 *removed;	/* per old route */
	struct upgrade_child	 *inherit;	/* listeners handed over */
};

struct reload_summary {
	size_t	added, removed, changed, kept;
	size_t	sessions_kept, sessions_closed;
};

struct reload_plan	*reload_plan(const struct conf *, const struct conf *);
int			 reload_prepare(struct reload_plan *, size_t, char *,
			    size_t);
void			 reload_commit(struct reload_plan *, struct udproxy *,
			    struct reload_summary *);
void			 reload_plan_free(struct reload_plan *);

#endif
