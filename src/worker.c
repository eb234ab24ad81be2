/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <stdlib.h>

#include <event2/event.h>

#include "log.h"
#include "rxbatch.h"
#include "txbatch.h"
#include "worker.h"
#include "xmalloc.h"

/*
 * A worker running on base, or on an event base of its own when base is
 * NULL (a worker thread's). The session budget starts at zero: the owner
 * sets it with worker_set_max_sessions once the configuration is known.
 */
struct worker *
worker_new(struct event_base *base)
{
	struct worker	*w;

	w = xcalloc(1, sizeof(*w));
	if (base == NULL) {
		if ((base = event_base_new()) == NULL)
			fatalx("cannot create a worker's event base");
		w->owns_base = 1;
	}
	w->base = base;
	w->rx_listener = rxbatch_new(RXBATCH_NAMES | RXBATCH_PKTINFO, NULL);
	w->rx_session = rxbatch_new(0, w->rx_listener->data);
	w->tx = txbatch_new(base);
	return w;
}

/* The routes on the worker must be freed first. */
void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	txbatch_free(w->tx);
	rxbatch_free(w->rx_session);
	rxbatch_free(w->rx_listener);
	if (w->owns_base)
		event_base_free(w->base);
	free(w);
}

/*
 * A smaller budget than the live sessions closes none of them: new
 * clients are refused until enough have ended.
 */
void
worker_set_max_sessions(struct worker *w, size_t max)
{
	w->max_sessions = max;
}

/* Whether one more session fits this worker's budget. */
int
worker_session_room(struct worker *w)
{
	if (w->nsessions < w->max_sessions)
		return 1;
	w->sessions_refused++;
	return 0;
}

void
worker_session_add(struct worker *w)
{
	w->nsessions++;
}

void
worker_session_remove(struct worker *w)
{
	if (w->nsessions == 0)
		fatalx("worker: session count underflow");
	w->nsessions--;
}

/*
 * Worker i's share of a budget of total sessions split over n workers:
 * the shares differ by at most one and add up to total, and every worker
 * gets at least one session so that none refuses every client. Pure.
 */
size_t
worker_budget_share(size_t total, size_t n, size_t i)
{
	size_t	share;

	if (n == 0 || i >= n)
		return 0;
	share = total / n + (i < total % n ? 1 : 0);
	return share == 0 ? 1 : share;
}
