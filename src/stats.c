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

const struct stats_desc stats_upstream_descs[] = {
#define STATS_DESC(name, kind, help)					\
	{ #name, STATS_##kind, help, offsetof(struct upstream_stats, name) },
	UPSTREAM_STATS(STATS_DESC)
#undef STATS_DESC
};
const size_t stats_upstream_ndescs = sizeof(stats_upstream_descs) /
    sizeof(stats_upstream_descs[0]);

/* One figure of a route_stats or an upstream_stats, as d describes. */
uint64_t
stats_get(const void *st, const struct stats_desc *d)
{
	uint64_t	v;

	memcpy(&v, (const char *)st + d->offset, sizeof(v));
	return v;
}

/*
 * Adds src into dst, figure by figure: a route's instances (or a member's)
 * sum to the route's figures, gauges included (sessions open now).
 */
void
stats_add(struct route_stats *dst, const struct route_stats *src)
{
#define STATS_ADD(name, kind, help)	dst->name += src->name;
	ROUTE_STATS(STATS_ADD)
#undef STATS_ADD
}

void
stats_upstream_add(struct upstream_stats *dst,
    const struct upstream_stats *src)
{
#define STATS_ADD(name, kind, help)	dst->name += src->name;
	UPSTREAM_STATS(STATS_ADD)
#undef STATS_ADD
}

/* "name=value ..." for the nd figures of st that d lists, in list order. */
static size_t
stats_format_list(const void *st, const struct stats_desc *d, size_t nd,
    char *buf, size_t len)
{
	size_t	off = 0, i;
	int	n;

	buf[0] = '\0';
	for (i = 0; i < nd && off < len; i++) {
		n = snprintf(buf + off, len - off, "%s%s=%" PRIu64,
		    off == 0 ? "" : " ", d[i].name, stats_get(st, &d[i]));
		if (n > 0)
			off += (size_t)n;
	}
	return off < len ? off : len - 1;
}

/* "rx_datagrams=1 rx_bytes=5 ...": one word per counter, in list order. */
size_t
stats_format(const struct route_stats *st, char *buf, size_t len)
{
	return stats_format_list(st, stats_descs, stats_ndescs, buf, len);
}

/* The same for a pool member: "rx_datagrams=1 ... check_ups=0". */
size_t
stats_upstream_format(const struct upstream_stats *st, char *buf, size_t len)
{
	return stats_format_list(st, stats_upstream_descs,
	    stats_upstream_ndescs, buf, len);
}
