/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <string.h>

#include "hist.h"

void
hist_init(struct hist *h, unsigned int shift)
{
	memset(h, 0, sizeof(*h));
	if (shift > 63 - HIST_NBUCKETS)
		shift = 63 - HIST_NBUCKETS;
	h->shift = shift;
}

/* The bucket for v: the smallest i with v <= 2^(shift + i). */
static unsigned int
hist_index(const struct hist *h, uint64_t v)
{
	unsigned int	bits;

	if (v <= (UINT64_C(1) << h->shift))
		return 0;
	/* ceil(log2(v)) for v >= 2 is 64 - clz(v - 1). */
	bits = 64 - (unsigned int)__builtin_clzll(v - 1);
	bits -= h->shift;
	return bits > HIST_NBUCKETS ? HIST_NBUCKETS : bits;
}

void
hist_record(struct hist *h, uint64_t v)
{
	h->bucket[hist_index(h, v)]++;
	h->count++;
	h->sum = h->sum + v < h->sum ? UINT64_MAX : h->sum + v;
}

/* The upper bound of finite bucket i, in units. */
uint64_t
hist_bound(const struct hist *h, unsigned int i)
{
	return UINT64_C(1) << (h->shift + i);
}

/* How many values are at most hist_bound(i); i == HIST_NBUCKETS: all. */
uint64_t
hist_cumulative(const struct hist *h, unsigned int i)
{
	uint64_t	n = 0;
	unsigned int	j;

	for (j = 0; j <= i && j <= HIST_NBUCKETS; j++)
		n += h->bucket[j];
	return n;
}

/* Adds src into dst; both must have the same shift. */
void
hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned int	i;

	for (i = 0; i <= HIST_NBUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	dst->sum = dst->sum + src->sum < dst->sum ? UINT64_MAX :
	    dst->sum + src->sum;
}

/*
 * An estimate of the permille/1000 quantile, in units, as Prometheus's
 * histogram_quantile() makes it: the bucket that holds the value of that
 * rank, linearly between its bounds (the first from 0); in the last
 * bucket (above every bound), the highest bound. 0 when empty.
 */
uint64_t
hist_quantile(const struct hist *h, unsigned int permille)
{
	double		rank, below = 0, lower, upper;
	unsigned int	i;

	if (h->count == 0)
		return 0;
	if (permille > 1000)
		permille = 1000;
	rank = (double)h->count * permille / 1000;
	for (i = 0; i < HIST_NBUCKETS; i++) {
		if (below + (double)h->bucket[i] >= rank && h->bucket[i] > 0)
			break;
		below += (double)h->bucket[i];
	}
	if (i == HIST_NBUCKETS)
		return hist_bound(h, HIST_NBUCKETS - 1);
	lower = i == 0 ? 0 : (double)hist_bound(h, i - 1);
	upper = (double)hist_bound(h, i);
	return (uint64_t)(lower + (upper - lower) * (rank - below) /
	    (double)h->bucket[i] + 0.5);
}
