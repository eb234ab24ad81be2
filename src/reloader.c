/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>

#include "conf.h"
#include "loader.h"
#include "log.h"
#include "notify.h"
#include "reloader.h"
#include "resolve.h"
#include "udproxy.h"
#include "xmalloc.h"

static void	reloader_start(struct reloader *);

struct reloader *
reloader_new(struct udproxy *up)
{
	struct reloader	*rl;

	rl = xcalloc(1, sizeof(*rl));
	rl->up = up;
	TAILQ_INIT(&rl->current);
	TAILQ_INIT(&rl->next);
	return rl;
}

/* Ends the running reload: counts it, logs it, tells its waiters. */
static void
reloader_finish(struct reloader *rl, int ok, const char *msg)
{
	struct reload_waiter	*w;
	struct udproxy		*up = rl->up;

	if (ok) {
		up->reloads++;
		log_notice("%s", msg);
		notify_status("%s", msg);
	} else {
		up->reload_failures++;
		log_error("reload failed: %s", msg);
		notify_status("reload failed: %s", msg);
		/* A reload reopens the access logs even when it fails. */
		udproxy_reopen_logs(up);
	}
	rl->running = 0;
	while ((w = TAILQ_FIRST(&rl->current)) != NULL) {
		TAILQ_REMOVE(&rl->current, w, entry);
		w->done_cb(w, ok, msg);
	}
	if (rl->again) {
		rl->again = 0;
		TAILQ_CONCAT(&rl->current, &rl->next, entry);
		reloader_start(rl);
	}
}

static void
reloader_resolved(struct reloader *rl, struct conf *conf, const char *err)
{
	char	msg[CONF_ERRLEN];

	if (conf == NULL) {
		reloader_finish(rl, 0, err);
		return;
	}
	if (udproxy_apply(rl->up, conf, msg, sizeof(msg)) == -1) {
		reloader_finish(rl, 0, msg);
		return;
	}
	udproxy_control_sync(rl->up);
	reloader_finish(rl, 1, msg);
}

static void
reloader_names_cb(struct conf *conf, const char *err, void *arg)
{
	struct reloader	*rl = arg;

	rl->resolving = NULL;
	rl->resolved(rl, conf, err);
}

void
reloader_resolve_start(struct reloader *rl, struct conf *conf,
    reloader_resolved_cb *done)
{
	rl->resolved = done;
	rl->resolving = resolve_conf(rl->up->base, conf, rl->up->conf,
	    reloader_names_cb, rl);
}

static void
reloader_loaded(struct conf *conf, const char *err, void *arg)
{
	struct reloader	*rl = arg;

	rl->loader = NULL;
	if (conf == NULL)
		reloader_finish(rl, 0, err);
	else
		reloader_resolve_start(rl, conf, reloader_resolved);
}

static void
reloader_start(struct reloader *rl)
{
	char	err[CONF_ERRLEN];

	rl->running = 1;
	if (rl->up->upgrade != NULL || rl->up->upgraded) {
		reloader_finish(rl, 0, rl->up->upgraded ? "upgraded: this "
		    "process is exiting" : "an upgrade is in progress; try "
		    "again when it is done");
		return;
	}
	log_info("reloading %s", rl->up->conf->path);
	notify_reloading();
	rl->loader = loader_start(rl->up->base, rl->up->conf->path,
	    reloader_loaded, rl, err, sizeof(err));
	if (rl->loader == NULL)
		reloader_finish(rl, 0, err);
}

/*
 * Asks for a reload; w (may be NULL) is told its outcome. A request made
 * while a reload runs is served by one more reload after it, because the
 * file may have changed after the running one read it.
 */
void
reloader_request(struct reloader *rl, struct reload_waiter *w)
{
	if (rl->running) {
		rl->again = 1;
		if (w != NULL)
			TAILQ_INSERT_TAIL(&rl->next, w, entry);
		return;
	}
	if (w != NULL)
		TAILQ_INSERT_TAIL(&rl->current, w, entry);
	reloader_start(rl);
}

/* Forgets w (its asker went away); the reload itself goes on. */
void
reloader_cancel(struct reloader *rl, struct reload_waiter *w)
{
	struct reload_waiter	*x;

	TAILQ_FOREACH(x, &rl->current, entry)
		if (x == w) {
			TAILQ_REMOVE(&rl->current, w, entry);
			return;
		}
	TAILQ_FOREACH(x, &rl->next, entry)
		if (x == w) {
			TAILQ_REMOVE(&rl->next, w, entry);
			return;
		}
}

/* At shutdown: a parse in progress is abandoned, not waited for. */
void
reloader_free(struct reloader *rl)
{
	if (rl == NULL)
		return;
	loader_abandon(rl->loader);
	resolve_conf_cancel(rl->resolving);
	free(rl);
}
