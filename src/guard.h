/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Abuse control on the data path of a route: access lists and per-source
 * limits before any session exists, per-source session counts, the reply
 * ratio (amplification guard), per-session upload and download pacing,
 * and the listing of dynamic blocks. The pure parts are acl.c and
 * limit.c; this module applies them to routes and sessions. Nothing here
 * allocates or logs per datagram: the per-source table is allocated at
 * load, a session's pacing state once per session, and the only log
 * lines (a block starting) are rate-limited.
 */
#ifndef UDPROXY_GUARD_H
#define UDPROXY_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "log.h"

struct limit_table;
struct route;
struct route_conf;
struct session;

/* An upload_rate queue: at most this many datagrams and bytes. */
#define GUARD_QUEUE_DGRAMS	8
#define GUARD_QUEUE_BYTES	16384

struct guard_route {
	struct limit_table	*limits;	/* NULL: no per_client */
	struct ratelimit	 rl_block;
};

void	guard_route_init(struct route *);
void	guard_route_free(struct route *);
void	guard_route_reconf(struct route *);
void	guard_list_blocks(struct route *, uint64_t,
	    void (*)(const char *, void *), void *);

/* Route dispatch, before any session exists: 0 drops (counted). */
int	guard_admit(struct route *, const struct addr_key *, size_t,
	    uint64_t, uint32_t *);
int	guard_session_room(struct route *, uint32_t);
void	guard_session_open(struct session *, uint32_t);
void	guard_session_adopt(struct session *, uint64_t);
void	guard_session_close(struct session *);

/* Client -> upstream: 1 to send now; 0 queued or dropped (counted). */
int	guard_upload(struct session *, const void *, size_t, uint64_t);
/* Upstream -> client: 1 to send; 0 beyond max_reply_ratio (counted). */
int	guard_reply(struct session *, size_t);
/* download_rate: whether to read, and the bytes read. */
int	guard_download_paced(const struct session *);
int	guard_download_ok(struct session *, uint64_t);
void	guard_download_debit(struct session *, size_t);

#endif
