/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * The configuration as data: parsed from a libconfig file into a fresh
 * struct conf, validated whole, then never changed. Pure: no sockets, no
 * events, no DNS: a hostname upstream is kept as a name, and
 * resolve_conf fills in its addresses (every address of a name is a
 * pool member) before the configuration is used.
 */
#ifndef UDPROXY_CONF_H
#define UDPROXY_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "accesslog.h"
#include "addr.h"
#include "limit.h"
#include "log.h"
#include "pool.h"

struct acl;

#define CONF_ERRLEN		512
#define CONF_STATS_ALLOW_MAX	256
#define CONF_CONTROL_MAX	108	/* sizeof(sun_path) */
#define CONF_NAME_MAX		64
#define CONF_IDLE_DEFAULT_MS	60000
#define CONF_IDLE_MAX_S		86400
#define CONF_SESSIONS_MAX	1000000
#define CONF_WORKERS_MAX	64
#define CONF_DGRAM_MAX		65535
#define CONF_RCVBUF_MIN		1024
#define CONF_RCVBUF_MAX		(256 * 1024 * 1024)
#define CONF_RESOLVERS_MAX	8
#define CONF_RESOLVER_TIMEOUT_MS	5000
#define CONF_RESOLVER_TIMEOUT_MAX_S	60
#define CONF_UPGRADE_TIMEOUT_MS	10000	/* plus resolver_timeout */
#define CONF_UPGRADE_TIMEOUT_MAX_S	300
#define CONF_RESOLVE_MIN_MS	1000
#define CONF_RESOLVE_MAX_MS	3600000
#define CONF_COUNT_MAX		1000000	/* responses, requests */
#define CONF_FAILS_MAX		1000

/* proxy_protocol.send */
enum conf_pp_send {
	CONF_PP_OFF = 0,
	CONF_PP_EVERY,		/* a header on each datagram to the upstream */
	CONF_PP_FIRST		/* on a session's first datagram only */
};

/* proxy_protocol.tlvs, a bit each */
#define CONF_PP_TLV_AUTHORITY	0x1	/* the route's name */
#define CONF_PP_TLV_CRC32C	0x2

struct acl;

/*
 * Abuse control of a route (allow, deny, per_client, block,
 * max_reply_ratio, upload_rate, download_rate); 0 or NULL is off. The
 * same settings at the top level are defaults for every route.
 */
struct conf_guard {
	struct acl		*acl;		/* NULL: every source allowed */
	struct limit_conf	 limit;		/* per_client and block */
	unsigned int		 reply_ratio_milli; /* max_reply_ratio x 1000 */
	unsigned int		 upload_rate;	/* bytes/s per session */
	unsigned int		 download_rate;
};

#define CONF_RATE_MAX		100000000	/* datagrams/s */
#define CONF_BYTES_RATE_MAX	2000000000	/* bytes/s */
#define CONF_TABLE_MAX		16777216
#define CONF_TABLE_DEFAULT	65536
#define CONF_RATIO_MAX		1000

struct health_conf;

struct route_conf {
	char		*name;
	char		*listen_str;
	struct addr	 listen;
	struct pool_conf pool;			/* upstream or upstreams */
	int		 responses;		/* -1: any number */
	unsigned int	 requests;		/* 0: any number */
	uint64_t	 idle_ms;
	uint64_t	 resolve_interval_ms;	/* 0: names only at reload */
	struct health_conf *health;		/* NULL: no active checks */
	unsigned int	 max_sessions;		/* 0: only the global cap */
	unsigned int	 max_datagram;
	unsigned int	 rcvbuf;		/* 0: the kernel's default */
	enum conf_pp_send pp_send;
	unsigned int	 pp_tlvs;
	int		 transparent;		/* bind the client's address */
	struct acl	*pp_from;		/* NULL: accept no PROXY header */
	struct conf_guard guard;
	char		*access_log;		/* path, "syslog" or NULL */
	enum accesslog_format access_log_format;
	int		 access_log_format_set;
	char		*file;			/* where it was declared */
	int		 line;
};

/* The `stats` block, as data. */
struct stats_conf {
	char			*listen_str;
	struct addr		 listen;
	struct acl		*allow;		/* never NULL */
};

struct conf {
	char			*path;
	enum log_level		 log_level;
	char			*pidfile;
	char			*control;	/* NULL: the default */
	char			*user;
	char			*group;
	unsigned int		 max_sessions;	/* 0: derive from fd limit */
	unsigned int		 workers;	/* threads, resolved from "auto" */
	int			 workers_auto;
	char			**resolvers;	/* "ip:port"; none: resolv.conf */
	size_t			 nresolvers;
	uint64_t		 resolver_timeout_ms;
	uint64_t		 upgrade_timeout_ms;	/* ready bound */
	uint64_t		 resolve_min_ms;	/* bounds on re-resolving */
	uint64_t		 resolve_max_ms;
	struct route_conf	*routes;
	size_t			 nroutes;
	struct stats_conf	*stats;		/* NULL: no endpoint */
	char			*access_log;	/* routes inherit it */
	enum accesslog_format	 access_log_format;
};

struct conf	*conf_load_file(const char *, char *, size_t);
void		 conf_free(struct conf *);
void		 conf_stats_free(struct stats_conf *);
int		 conf_peek_control(const char *, char *, size_t);
int		 conf_route_same_upstream(const struct route_conf *,
		    const struct route_conf *);
int		 conf_check_loops(const struct conf *, char *, size_t);
int		 conf_same_resolver(const struct conf *, const struct conf *);
int		 conf_route_same_guard(const struct route_conf *,
		    const struct route_conf *);
int		 conf_route_same_sessions(const struct route_conf *,
		    const struct route_conf *);
int		 conf_route_same_pool(const struct route_conf *,
		    const struct route_conf *);

#endif
