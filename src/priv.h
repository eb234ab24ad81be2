/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Privileges and resource limits: raise the descriptor limit (every
 * session is a socket), and drop root after the listeners are bound while
 * keeping CAP_NET_BIND_SERVICE so reloads can still bind ports below 1024
 * (and CAP_NET_ADMIN when a route is transparent).
 */
#ifndef UDPROXY_PRIV_H
#define UDPROXY_PRIV_H

#include <stddef.h>

void	priv_raise_nofile(void);
int	priv_drop(const char *, const char *, int, char *, size_t);
int	priv_check(const char *, const char *, char *, size_t);

#endif
