/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * What transparent routes (transparent = true) need from the system:
 * CAP_NET_ADMIN to bind a client's address, and policy routing that
 * delivers the upstream's replies, addressed to clients, to this host
 * (an "ip rule" leading to a table with a "local" default route). The
 * checks read the kernel's state over netlink once, at start-up and for
 * -t; they never change it.
 */
#ifndef UDPROXY_TRANSPARENT_H
#define UDPROXY_TRANSPARENT_H

#include <stddef.h>

struct conf;

/* The address families of the upstreams of transparent routes, a bit each. */
#define TRANSPARENT_V4	0x1
#define TRANSPARENT_V6	0x2

int	transparent_families(const struct conf *);
int	transparent_have_cap(void);
int	transparent_routing(int);
void	transparent_check(const struct conf *,
	    void (*)(const char *, void *), void *);

#endif
