/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Histograms with fixed log-spaced buckets: bucket i counts values up to
 * 2^(shift + i) units, the last bucket everything above. Recording is
 * O(1) (a bit scan, no search, no allocation), so it may run per reply.
 * Pure: the exposition formats live in metrics.c.
 */
#ifndef UDPROXY_HIST_H
#define UDPROXY_HIST_H

#include <stdint.h>

#define HIST_NBUCKETS	24		/* finite buckets; +Inf is count */

struct hist {
	uint64_t	count;
	uint64_t	sum;			/* in units, saturating */
	uint64_t	bucket[HIST_NBUCKETS + 1];	/* not cumulative */
	unsigned int	shift;			/* first bound: 2^shift */
};

void		hist_init(struct hist *, unsigned int shift);
void		hist_record(struct hist *, uint64_t);
uint64_t	hist_bound(const struct hist *, unsigned int);
uint64_t	hist_cumulative(const struct hist *, unsigned int);
void		hist_merge(struct hist *, const struct hist *);
uint64_t	hist_quantile(const struct hist *, unsigned int);

#endif
