/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Active health checks: every interval, each target (a pool member)
 * gets the configured datagram from a socket of its own, connected to it;
 * a reply within the timeout that starts with the expected bytes (any
 * reply when none are given) is a success, silence or an ICMP refusal a
 * miss. fall misses in a row mark the target down, rise successes up
 * again; the owner hears of every change and new sessions avoid members
 * that are down. The state machine and the escape decoder are pure; the
 * checker runs on the event base it is given and never blocks.
 */
#ifndef UDPROXY_HEALTH_H
#define UDPROXY_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct event_base;
struct health;
struct health_target;

#define HEALTH_PAYLOAD_MAX	512
#define HEALTH_INTERVAL_MS	5000
#define HEALTH_TIMEOUT_MS	1000
#define HEALTH_RISE		2
#define HEALTH_FALL		3
#define HEALTH_COUNT_MAX	100
#define HEALTH_INTERVAL_MAX_S	3600

struct health_conf {
	uint64_t	 interval_ms;
	uint64_t	 timeout_ms;		/* at most interval_ms */
	unsigned int	 rise;
	unsigned int	 fall;
	size_t		 send_len;
	size_t		 expect_len;		/* 0: any reply will do */
	uint8_t		 send[HEALTH_PAYLOAD_MAX];
	uint8_t		 expect[HEALTH_PAYLOAD_MAX];
};

/* Consecutive results against the current state. */
struct health_state {
	int		 up;
	unsigned int	 run;
};

void		 health_conf_defaults(struct health_conf *);
int		 health_conf_same(const struct health_conf *,
		    const struct health_conf *);
int		 health_unescape(const char *, uint8_t *, size_t, size_t *,
		    char *, size_t);
void		 health_state_init(struct health_state *);
int		 health_state_update(struct health_state *,
		    const struct health_conf *, int ok);

/* The target's state changed to up (1) or down (0). */
typedef void	(*health_change_cb)(struct health_target *, int up, void *);

struct health	*health_new(struct event_base *, const struct health_conf *,
		    const char *route, health_change_cb, void *);
void		 health_set_conf(struct health *, const struct health_conf *);
struct health_target *health_add(struct health *, const struct addr *,
		    void *cookie);
void		*health_target_cookie(const struct health_target *);
struct health_target *health_first(struct health *);
struct health_target *health_next(struct health_target *);
const struct addr *health_target_addr(const struct health_target *);
void		 health_remove(struct health_target *);
int		 health_target_up(const struct health_target *);
void		 health_free(struct health *);

#endif
