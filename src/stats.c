/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "stats.h"

const struct stats_desc stats_descs[] = {
#define STATS_DESC(name, kind, help)					\
	{ #name, STATS_##kind, help, offsetof(struct route_stats, name) },
	ROUTE_STATS(STATS_DESC)
#undef STATS_DESC
};
const size_t stats_ndescs = sizeof(stats_descs) / sizeof(stats_descs[0]);

uint64_t
stats_get(const struct route_stats *st, const struct stats_desc *d)
{
	uint64_t	v;

	memcpy(&v, (const char *)st + d->offset, sizeof(v));
	return v;
}

/* "rx_datagrams=1 rx_bytes=5 ...": one word per counter, in list order. */
size_t
stats_format(const struct route_stats *st, char *buf, size_t len)
{
	size_t	off = 0;
	int	n;

	buf[0] = '\0';
#define STATS_PRINT(name, kind, help)					\
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
