/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Asynchronous hostname resolution with libevent's evdns, on the event
 * base it is given; nothing here ever blocks the loop. A name is looked up
 * in the hosts file first, then asked as A and AAAA in parallel (AAAA only
 * where this host can open IPv6 sockets); every address of every answer is
 * kept, sorted and without duplicates, with the smallest TTL. Each lookup
 * has a hard deadline: a resolver that never answers costs one timer, and
 * the callback reports the failure when the deadline passes.
 */
#ifndef UDPROXY_RESOLVE_H
#define UDPROXY_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct conf;
struct event_base;
struct resolve;
struct resolve_batch;
struct resolve_req;
struct resolve_watch;

#define RESOLVE_MAX_ADDRS	64	/* addresses kept per name */
#define RESOLVE_SERVERS_MAX	8

struct resolve_result {
	int			 error;		/* 0, or -1 with why set */
	const char		*why;
	const struct addr	*addrs;		/* sorted by addr_key */
	size_t			 naddrs;
	int			 has_ttl;	/* 0: hosts file or literal */
	uint32_t		 ttl;		/* seconds, smallest answer */
};

/* Called exactly once per request, never from inside resolve_name. */
typedef void	(*resolve_cb)(const struct resolve_result *, void *);

struct resolve	*resolve_new(struct event_base *, const char *const *servers,
		    size_t nservers, uint64_t timeout_ms, char *, size_t);
void		 resolve_free(struct resolve *);
int		 resolve_busy(const struct resolve *);
struct resolve_req *resolve_name(struct resolve *, const char *host,
		    uint16_t port, resolve_cb, void *);
void		 resolve_cancel(struct resolve_req *);
uint64_t	 resolve_timeout_ms(const struct resolve *);
int		 resolve_addrs_equal(const struct addr *, size_t,
		    const struct addr *, size_t);

/*
 * Resolving the names of a parsed configuration, the step between parse
 * and prepare: every upstream name gets its addresses. A name that does
 * not resolve keeps the addresses it has in old (the running
 * configuration, may be NULL) with a warning; without old addresses it
 * fails the whole configuration. The callback gets conf back, or NULL
 * and "FILE:LINE: reason" (conf then freed). With no names in conf the
 * callback runs before resolve_conf returns NULL.
 */
typedef void	(*resolve_conf_cb)(struct conf *, const char *, void *);
struct resolve_batch *resolve_conf(struct event_base *, struct conf *,
		    const struct conf *, resolve_conf_cb, void *);
void		 resolve_conf_cancel(struct resolve_batch *);
size_t		 resolve_conf_names(const struct conf *);
struct conf	*resolve_conf_wait(struct event_base *, struct conf *,
		    char *, size_t);

/* A name re-resolved periodically; cb gets each new address set. */
typedef void	(*resolve_watch_cb)(const struct addr *, size_t, void *);
struct resolve_watch *resolve_watch_new(struct resolve *, const char *route,
		    const char *host, uint16_t port, const struct addr *,
		    size_t, uint64_t interval_ms, uint64_t min_ms,
		    uint64_t max_ms, resolve_watch_cb, void *);
void		 resolve_watch_free(struct resolve_watch *);
uint64_t	 resolve_next_ms(int, uint32_t, uint64_t, uint64_t, uint64_t);

#endif
