/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Loading a configuration file off the event loop. A thread runs
 * conf_load_file (pure: no events, no shared state) and posts its outcome
 * back through a pipe the loop watches, so a slow or hostile file never
 * stalls forwarding. The callback runs on the loop.
 */
#ifndef UDPROXY_LOADER_H
#define UDPROXY_LOADER_H

struct conf;
struct event_base;
struct loader;

/* conf NULL: err holds "FILE:LINE: reason". The callback owns conf. */
typedef void	loader_done_cb(struct conf *, const char *err, void *arg);

struct loader	*loader_start(struct event_base *, const char *path,
		    loader_done_cb *, void *, char *, size_t);
void		 loader_abandon(struct loader *);

#endif
