/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * The reload pipeline, asynchronous from end to end so the loop never
 * waits: parse and validate (a thread, loader.c) -> resolve (the hook
 * where names get resolved without blocking) -> prepare + commit (on the
 * loop, udproxy_apply). One reload runs at a time; requests that arrive
 * meanwhile coalesce into one more reload after it. Whoever asked (SIGHUP,
 * a control client) gets the outcome through its waiter.
 */
#ifndef UDPROXY_RELOADER_H
#define UDPROXY_RELOADER_H

#include <sys/queue.h>
#include <stdint.h>

struct conf;
struct loader;
struct resolve_batch;
struct udproxy;

/*
 * ok 1: msg is the summary line ("reloaded FILE: routes ..."); ok 0: msg
 * is the reason ("FILE:LINE: reason"). The waiter is off every list when
 * its callback runs, so the callback may free it.
 */
struct reload_waiter {
	TAILQ_ENTRY(reload_waiter) entry;
	void	(*done_cb)(struct reload_waiter *, int ok, const char *msg);
};
TAILQ_HEAD(reload_waiters, reload_waiter);

struct reloader;
typedef void	reloader_resolved_cb(struct reloader *, struct conf *,
		    const char *err);

struct reloader {
	struct udproxy		*up;
	struct loader		*loader;	/* the parse stage, running */
	struct resolve_batch	*resolving;	/* the resolve stage, running */
	int			 running;
	int			 again;		/* asked during this run */
	struct reload_waiters	 current;	/* told when this run ends */
	struct reload_waiters	 next;		/* told when the next ends */
	reloader_resolved_cb	*resolved;
};

struct reloader	*reloader_new(struct udproxy *);
void		 reloader_request(struct reloader *, struct reload_waiter *);
void		 reloader_cancel(struct reloader *, struct reload_waiter *);
void		 reloader_free(struct reloader *);

/*
 * The resolve stage: gets the parsed configuration and calls done with it
 * (or NULL and the reason) once every name in it is resolved, with evdns
 * on the loop (resolve_conf); the running configuration serves meanwhile.
 * It may call done before returning (no names to resolve).
 */
void		 reloader_resolve_start(struct reloader *, struct conf *,
		    reloader_resolved_cb *);

#endif
