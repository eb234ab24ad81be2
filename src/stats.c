/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>

#include "stats.h"

/* "rx_datagrams=1 rx_bytes=5 ...": one word per counter, in list order. */
size_t
stats_format(const struct route_stats *st, char *buf, size_t len)
{
	size_t	off = 0;
	int	n;

	buf[0] = '\0';
#define STATS_PRINT(name)						\
	if (off < len) {						\
		n = snprintf(buf + off, len - off, "%s%s=%" PRIu64,	\
		    off == 0 ? "" : " ", #name, st->name);		\
		if (n > 0)						\
			off += (size_t)n;				\
	}
	ROUTE_STATS(STATS_PRINT)
#undef STATS_PRINT
	return off < len ? off : len - 1;
}
