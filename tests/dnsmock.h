/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * A tiny DNS responder for tests: UDP on 127.0.0.1 at a port the kernel
 * picks, served by a thread of the test process. It answers A and AAAA
 * queries from a table the test changes while it runs (NXDOMAIN for names
 * not in it), counts the queries, and can be told to never answer.
 */
#ifndef UDPROXY_DNSMOCK_H
#define UDPROXY_DNSMOCK_H

#include <stdint.h>

struct dnsmock;

struct dnsmock	*dnsmock_start(void);
uint16_t	 dnsmock_port(const struct dnsmock *);
/* Replaces name's records by the space-separated addresses ("" = none). */
void		 dnsmock_set(struct dnsmock *, const char *name,
		    const char *addrs, uint32_t ttl);
void		 dnsmock_remove(struct dnsmock *, const char *name);
void		 dnsmock_silent(struct dnsmock *, int);
unsigned int	 dnsmock_queries(struct dnsmock *);
void		 dnsmock_stop(struct dnsmock *);

#endif
