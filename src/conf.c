/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "acl.h"
#include "conf.h"
#include "health.h"
#include "conffile.h"
#include "xmalloc.h"

/* Error context while loading: the first error wins and stops the load. */
struct conf_ctx {
	char			*err;
	size_t			 errlen;
	const char		*path;
	/* Top-level abuse-control defaults, for every route. */
	struct conf_guard	 guard;
	const config_setting_t	*allow, *deny;
	const config_setting_t	*limit_where;	/* per_client or block */
};

static int	conf_fail(struct conf_ctx *, const config_setting_t *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));

static int
conf_fail(struct conf_ctx *ctx, const config_setting_t *s, const char *fmt,
    ...)
{
	char		 msg[CONF_ERRLEN];
	const char	*file = ctx->path;
	int		 line = 0;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s != NULL) {
		if (config_setting_source_file(s) != NULL)
			file = config_setting_source_file(s);
		line = config_setting_source_line(s);
	}
	if (line > 0)
		snprintf(ctx->err, ctx->errlen, "%s:%d: %s", file, line, msg);
	else
		snprintf(ctx->err, ctx->errlen, "%s: %s", file, msg);
	return -1;
}

static const char *
conf_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	default:
		return "unknown";
	}
}

static int
conf_get_string(struct conf_ctx *ctx, const config_setting_t *s,
    const char *what, char **out)
{
	const char	*v;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return conf_fail(ctx, s, "%s must be a string, not %s", what,
		    conf_type_name(config_setting_type(s)));
	v = config_setting_get_string(s);
	if (v == NULL || *v == '\0')
		return conf_fail(ctx, s, "%s must not be empty", what);
	free(*out);
	*out = xstrdup(v);
	return 0;
}

/*
 * Integers come back from libconfig 1.5 already wrapped to 32 bits when
 * they were too large, so a range check here is the best we can do; the
 * man page tells users to keep numbers small.
 */
static int
conf_get_uint(struct conf_ctx *ctx, const config_setting_t *s,
    const char *what, long long min, long long max, unsigned int *out)
{
	long long	v;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		v = config_setting_get_int(s);
		break;
	case CONFIG_TYPE_INT64:
		v = config_setting_get_int64(s);
		break;
	default:
		return conf_fail(ctx, s, "%s must be an integer, not %s", what,
		    conf_type_name(config_setting_type(s)));
	}
	if (v < min || v > max)
		return conf_fail(ctx, s, "%s must be between %lld and %lld, "
		    "not %lld", what, min, max, v);
	*out = (unsigned int)v;
	return 0;
}

/*
 * workers: a count, or "auto" for the CPUs the process may run on (at most
 * CONF_WORKERS_MAX; a machine that does not say counts as one).
 */
static int
conf_parse_workers(struct conf_ctx *ctx, struct conf *conf,
    const config_setting_t *s)
{
	cpu_set_t	 set;
	const char	*v;
	long		 n;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return conf_get_uint(ctx, s, "workers", 1, CONF_WORKERS_MAX,
		    &conf->workers);
	v = config_setting_get_string(s);
	if (strcmp(v, "auto") != 0)
		return conf_fail(ctx, s, "workers must be a number from 1 to "
		    "%d or \"auto\"", CONF_WORKERS_MAX);
	/* The CPUs this process may run on: a container's, not the host's. */
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	else
		n = sysconf(_SC_NPROCESSORS_ONLN);
	conf->workers = n < 1 ? 1 : n > CONF_WORKERS_MAX ? CONF_WORKERS_MAX :
	    (unsigned int)n;
	conf->workers_auto = 1;
	return 0;
}

static int
conf_get_seconds(struct conf_ctx *ctx, const config_setting_t *s,
    const char *what, uint64_t *ms)
{
	double	v;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		v = config_setting_get_int(s);
		break;
	case CONFIG_TYPE_INT64:
		v = (double)config_setting_get_int64(s);
		break;
	case CONFIG_TYPE_FLOAT:
		v = config_setting_get_float(s);
		break;
	default:
		return conf_fail(ctx, s, "%s must be a number of seconds, "
		    "not %s", what, conf_type_name(config_setting_type(s)));
	}
	if (!(v > 0) || v > CONF_IDLE_MAX_S)
		return conf_fail(ctx, s, "%s must be greater than 0 and at "
		    "most %d seconds", what, CONF_IDLE_MAX_S);
	*ms = (uint64_t)llround(v * 1000.0);
	if (*ms == 0)
		*ms = 1;
	return 0;
}

static int
conf_name_valid(const char *name)
{
	size_t	i, len = strlen(name);

	if (len == 0 || len > CONF_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

static int
conf_parse_addr(struct conf_ctx *ctx, const config_setting_t *s,
    const struct route_conf *rc, const char *what, int flags,
    struct addr *a)
{
	char	 why[CONF_ERRLEN / 2];

	if (addr_parse(config_setting_get_string(s), flags, a, why,
	    sizeof(why)) == -1)
		return conf_fail(ctx, s, "route '%s': %s: %s", rc->name, what,
		    why);
	return 0;
}

/* "9110" or ":9110" listen on 127.0.0.1; anything else is host:port. */
static int
conf_stats_listen_parse(const char *s, struct addr *a, char *why, size_t whylen)
{
	char	buf[64];

	if (*s == ':')
		s++;
	if (*s != '\0' && strspn(s, "0123456789") == strlen(s)) {
		snprintf(buf, sizeof(buf), "127.0.0.1:%.10s", s);
		return addr_parse(buf, ADDR_NUMERIC, a, why, whylen);
	}
	return addr_parse(s, ADDR_NUMERIC, a, why, whylen);
}

void
conf_stats_free(struct stats_conf *sc)
{
	if (sc == NULL)
		return;
	free(sc->listen_str);
	acl_free(sc->allow);
	free(sc);
}

/* access_log: an absolute path or "syslog". */
static int
conf_get_access_log(struct conf_ctx *ctx, const config_setting_t *s,
    const char *what, char **out)
{
	if (conf_get_string(ctx, s, what, out) == -1)
		return -1;
	if ((*out)[0] != '/' && strcmp(*out, "syslog") != 0)
		return conf_fail(ctx, s, "%s must be an absolute path or "
		    "\"syslog\"", what);
	return 0;
}

static int
conf_get_access_log_format(struct conf_ctx *ctx, const config_setting_t *s,
    const char *what, enum accesslog_format *f)
{
	char	*v = NULL;
	int	 rc = 0;

	if (conf_get_string(ctx, s, what, &v) == -1)
		return -1;
	if (accesslog_format_parse(v, f) == -1)
		rc = conf_fail(ctx, s, "%s '%s' is not one of text, json",
		    what, v);
	free(v);
	return rc;
}

/*
 * stats = { listen = "127.0.0.1:9110"; allow = [ "127.0.0.0/8" ]; };
 * A bare port listens on 127.0.0.1; without allow only loopback
 * clients (127.0.0.0/8, ::1) are served.
 */
static int
conf_parse_stats(struct conf_ctx *ctx, struct conf *conf,
    const config_setting_t *g)
{
	static const char *const loopback[] = { "127.0.0.0/8", "::1/128" };
	struct stats_conf	*sc;
	config_setting_t	*s, *e, *listen = NULL, *allow = NULL;
	const char		*key, **str;
	char			 why[CONF_ERRLEN / 2];
	size_t			 bad;
	int			 i, n;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return conf_fail(ctx, g, "stats must be a group { ... }, not "
		    "%s", conf_type_name(config_setting_type(g)));
	sc = conf->stats = xcalloc(1, sizeof(*sc));
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(g, (unsigned int)i);
		key = config_setting_name(s);
		if (strcmp(key, "listen") == 0) {
			if (config_setting_type(s) == CONFIG_TYPE_INT) {
				snprintf(why, sizeof(why), "%d",
				    config_setting_get_int(s));
				free(sc->listen_str);
				sc->listen_str = xstrdup(why);
			} else if (conf_get_string(ctx, s, "stats: listen",
			    &sc->listen_str) == -1)
				return -1;
			listen = s;
		} else if (strcmp(key, "allow") == 0)
			allow = s;
		else
			return conf_fail(ctx, s, "stats: unknown setting '%s'",
			    key);
	}
	if (listen == NULL)
		return conf_fail(ctx, g, "stats: missing 'listen'");
	if (conf_stats_listen_parse(sc->listen_str, &sc->listen, why,
	    sizeof(why)) == -1)
		return conf_fail(ctx, listen, "stats: listen: %s", why);
	if (addr_port(&sc->listen) == 0)
		return conf_fail(ctx, listen, "stats: listen: port 0");
	if (allow == NULL) {
		sc->allow = acl_new(loopback, 2, NULL, 0, why, sizeof(why),
		    NULL, NULL);
		if (sc->allow == NULL)
			fatalx("stats: default allow list: %s", why);
		return 0;
	}
	if (config_setting_type(allow) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(allow) != CONFIG_TYPE_LIST)
		return conf_fail(ctx, allow, "stats: allow must be an array "
		    "of prefixes [ \"127.0.0.0/8\", ... ], not %s",
		    conf_type_name(config_setting_type(allow)));
	n = config_setting_length(allow);
	if (n > CONF_STATS_ALLOW_MAX)
		return conf_fail(ctx, allow, "stats: allow: more than %d "
		    "prefixes", CONF_STATS_ALLOW_MAX);
	str = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*str));
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(allow, (unsigned int)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			free(str);
			return conf_fail(ctx, allow, "stats: allow: element "
			    "%d must be a string, not %s", i + 1,
			    conf_type_name(config_setting_type(e)));
		}
		str[i] = config_setting_get_string(e);
	}
	/* An empty list allows nobody: acl.c would allow everybody. */
	if (n == 0) {
		free(str);
		return conf_fail(ctx, allow, "stats: allow: empty list (remove "
		    "the stats block to turn the endpoint off)");
	}
	sc->allow = acl_new(str, (size_t)n, NULL, 0, why, sizeof(why), &bad,
	    NULL);
	free(str);
	if (sc->allow == NULL)
		return conf_fail(ctx, config_setting_get_elem(allow,
		    (unsigned int)bad), "stats: allow: %s", why);
	return 0;
}

/* --- abuse control: allow, deny, per_client, block, rates ------------ */

static void
conf_guard_defaults(struct conf_guard *g)
{
	memset(g, 0, sizeof(*g));
	g->limit.prefix4 = 32;
	g->limit.prefix6 = 64;
	g->limit.table_size = CONF_TABLE_DEFAULT;
	g->limit.block_threshold = 0;
	g->limit.block_seconds = 0;
}

/*
 * Builds the access list of one scope from its allow and deny settings
 * (either may be NULL; an empty list is no list). A bad prefix is
 * reported at its own line.
 */
static int
conf_guard_acl(struct conf_ctx *ctx, const config_setting_t *allow,
    const config_setting_t *deny, const char *scope, struct acl **out)
{
	const config_setting_t	*list[2] = { allow, deny }, *e;
	const char		**str[2] = { NULL, NULL };
	static const char	*names[2] = { "allow", "deny" };
	size_t			 n[2] = { 0, 0 }, bad = 0;
	char			 why[CONF_ERRLEN / 2];
	int			 i, j, len, bad_deny = 0, rc = -1;

	*out = NULL;
	for (i = 0; i < 2; i++) {
		if (list[i] == NULL)
			continue;
		if (config_setting_type(list[i]) != CONFIG_TYPE_ARRAY &&
		    config_setting_type(list[i]) != CONFIG_TYPE_LIST) {
			conf_fail(ctx, list[i], "%s%s must be a list of "
			    "prefixes [ \"192.0.2.0/24\", ... ], not %s", scope,
			    names[i], conf_type_name(config_setting_type(
			    list[i])));
			goto out;
		}
		len = config_setting_length(list[i]);
		str[i] = xcalloc((size_t)len + 1, sizeof(*str[i]));
		for (j = 0; j < len; j++) {
			e = config_setting_get_elem(list[i], (unsigned int)j);
			if (config_setting_type(e) != CONFIG_TYPE_STRING) {
				conf_fail(ctx, e, "%s%s: element %d must be a "
				    "string, not %s", scope, names[i], j + 1,
				    conf_type_name(config_setting_type(e)));
				goto out;
			}
			str[i][n[i]++] = config_setting_get_string(e);
		}
	}
	if (n[0] + n[1] == 0)
		rc = 0;
	else if ((*out = acl_new(str[0], n[0], str[1], n[1], why,
	    sizeof(why), &bad, &bad_deny)) == NULL) {
		e = config_setting_get_elem(list[bad_deny], (unsigned int)bad);
		conf_fail(ctx, e != NULL ? e : list[bad_deny], "%s%s: %s", scope,
		    names[bad_deny], why);
	} else
		rc = 0;
out:
	free(str[0]);
	free(str[1]);
	return rc;
}

static int
conf_guard_group(struct conf_ctx *ctx, const config_setting_t *s,
    const char *scope, const char *what, struct limit_conf *lc)
{
	static const struct {
		const char	*name;
		int		 block;		/* in block = { ... } */
		long long	 min, max;
		size_t		 off;
	} f[] = {
#define LF(n, b, lo, hi, field) \
	{ n, b, lo, hi, offsetof(struct limit_conf, field) }
		LF("sessions", 0, 0, CONF_SESSIONS_MAX, sessions),
		LF("rate", 0, 0, CONF_RATE_MAX, rate),
		LF("burst", 0, 1, CONF_RATE_MAX, burst),
		LF("bytes_rate", 0, 0, CONF_BYTES_RATE_MAX, bytes_rate),
		LF("prefix4", 0, 0, 32, prefix4),
		LF("prefix6", 0, 0, 128, prefix6),
		LF("table_size", 0, 1, CONF_TABLE_MAX, table_size),
		LF("threshold", 1, 1, 1000, block_threshold),
		LF("seconds", 1, 1, CONF_IDLE_MAX_S, block_seconds),
#undef LF
	};
	const config_setting_t	*m;
	char			 w[CONF_NAME_MAX + 96];
	size_t			 k;
	int			 i, n, block = strcmp(what, "block") == 0;

	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return conf_fail(ctx, s, "%s%s must be a group { ... }, not %s",
		    scope, what, conf_type_name(config_setting_type(s)));
	if (block) {
		/* A block group alone gets the documented defaults. */
		lc->block_threshold = 10;
		lc->block_seconds = 60;
	}
	n = config_setting_length(s);
	for (i = 0; i < n; i++) {
		m = config_setting_get_elem(s, (unsigned int)i);
		for (k = 0; k < sizeof(f) / sizeof(f[0]); k++)
			if (f[k].block == block &&
			    strcmp(f[k].name, config_setting_name(m)) == 0)
				break;
		if (k == sizeof(f) / sizeof(f[0]))
			return conf_fail(ctx, m, "%s%s: unknown setting '%s'",
			    scope, what, config_setting_name(m));
		snprintf(w, sizeof(w), "%s%s: %s", scope, what, f[k].name);
		if (conf_get_uint(ctx, m, w, f[k].min, f[k].max,
		    (unsigned int *)(void *)((char *)lc + f[k].off)) == -1)
			return -1;
	}
	return 0;
}

static int
conf_guard_ratio(struct conf_ctx *ctx, const config_setting_t *s,
    const char *scope, unsigned int *milli)
{
	double	v;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		v = config_setting_get_int(s);
		break;
	case CONFIG_TYPE_INT64:
		v = (double)config_setting_get_int64(s);
		break;
	case CONFIG_TYPE_FLOAT:
		v = config_setting_get_float(s);
		break;
	default:
		return conf_fail(ctx, s, "%smax_reply_ratio must be a number, "
		    "not %s", scope, conf_type_name(config_setting_type(s)));
	}
	if (!(v == 0 || (v >= 0.01 && v <= CONF_RATIO_MAX)))
		return conf_fail(ctx, s, "%smax_reply_ratio must be 0 (off) or "
		    "between 0.01 and %d", scope, CONF_RATIO_MAX);
	*milli = (unsigned int)llround(v * 1000.0);
	return 0;
}

/*
 * One abuse-control setting of a route or of the top level: 1 if key is
 * one, 0 if not, -1 on error. allow and deny are kept as settings and
 * built into an access list once the scope is complete.
 */
static int
conf_guard_key(struct conf_ctx *ctx, const config_setting_t *s,
    const char *key, const char *scope, struct conf_guard *g,
    const config_setting_t **allow, const config_setting_t **deny)
{
	char	w[CONF_NAME_MAX + 64];

	snprintf(w, sizeof(w), "%s%s", scope, key);
	if (strcmp(key, "allow") == 0)
		*allow = s;
	else if (strcmp(key, "deny") == 0)
		*deny = s;
	else if (strcmp(key, "per_client") == 0 ||
	    strcmp(key, "block") == 0) {
		if (conf_guard_group(ctx, s, scope, key, &g->limit) == -1)
			return -1;
		ctx->limit_where = s;
	} else if (strcmp(key, "max_reply_ratio") == 0) {
		if (conf_guard_ratio(ctx, s, scope,
		    &g->reply_ratio_milli) == -1)
			return -1;
	} else if (strcmp(key, "upload_rate") == 0) {
		if (conf_get_uint(ctx, s, w, 0, CONF_BYTES_RATE_MAX,
		    &g->upload_rate) == -1)
			return -1;
	} else if (strcmp(key, "download_rate") == 0) {
		if (conf_get_uint(ctx, s, w, 0, CONF_BYTES_RATE_MAX,
		    &g->download_rate) == -1)
			return -1;
	} else
		return 0;
	return 1;
}

/* Settings that only make sense together, once a scope is complete. */
static int
conf_guard_check(struct conf_ctx *ctx, const config_setting_t *where,
    const char *scope, const struct conf_guard *g)
{
	const struct limit_conf	*lc = &g->limit;

	if (lc->block_threshold != 0 && lc->rate == 0)
		return conf_fail(ctx, where, "%sblock needs per_client.rate: "
		    "a source is blocked when it sends over threshold x rate",
		    scope);
	if (lc->burst != 0 && lc->rate == 0)
		return conf_fail(ctx, where, "%sper_client: burst needs rate",
		    scope);
	return 0;
}

static int
conf_get_bool(struct conf_ctx *ctx, const config_setting_t *s,
    const char *what, int *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return conf_fail(ctx, s, "%s must be true or false, not %s",
		    what, conf_type_name(config_setting_type(s)));
	*out = config_setting_get_bool(s) ? 1 : 0;
	return 0;
}

/* proxy_protocol = { send = "every" | "first" | "off"; tlvs = [ ... ]; } */
static int
conf_parse_pp(struct conf_ctx *ctx, const config_setting_t *g,
    struct route_conf *rc)
{
	config_setting_t	*s, *e;
	const char		*key, *v;
	int			 i, j, n, m;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return conf_fail(ctx, g, "route '%s': proxy_protocol must be a "
		    "group { send = ...; }, not %s", rc->name,
		    conf_type_name(config_setting_type(g)));
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(g, (unsigned int)i);
		key = config_setting_name(s);
		if (strcmp(key, "send") == 0) {
			v = config_setting_type(s) == CONFIG_TYPE_STRING ?
			    config_setting_get_string(s) : NULL;
			if (v != NULL && strcmp(v, "every") == 0)
				rc->pp_send = CONF_PP_EVERY;
			else if (v != NULL && strcmp(v, "first") == 0)
				rc->pp_send = CONF_PP_FIRST;
			else if (v != NULL && strcmp(v, "off") == 0)
				rc->pp_send = CONF_PP_OFF;
			else
				return conf_fail(ctx, s, "route '%s': "
				    "proxy_protocol: send must be \"every\", "
				    "\"first\" or \"off\"", rc->name);
		} else if (strcmp(key, "tlvs") == 0) {
			if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
			    config_setting_type(s) != CONFIG_TYPE_LIST)
				return conf_fail(ctx, s, "route '%s': "
				    "proxy_protocol: tlvs must be a list of "
				    "strings [ \"authority\", ... ], not %s",
				    rc->name,
				    conf_type_name(config_setting_type(s)));
			m = config_setting_length(s);
			for (j = 0; j < m; j++) {
				e = config_setting_get_elem(s,
				    (unsigned int)j);
				v = config_setting_type(e) ==
				    CONFIG_TYPE_STRING ?
				    config_setting_get_string(e) : NULL;
				if (v != NULL && strcmp(v, "authority") == 0)
					rc->pp_tlvs |= CONF_PP_TLV_AUTHORITY;
				else if (v != NULL && strcmp(v, "crc32c") == 0)
					rc->pp_tlvs |= CONF_PP_TLV_CRC32C;
				else
					return conf_fail(ctx, e, "route '%s': "
					    "proxy_protocol: tlvs: element %d "
					    "is not \"authority\" or "
					    "\"crc32c\"", rc->name, j + 1);
			}
		} else
			return conf_fail(ctx, s, "route '%s': proxy_protocol: "
			    "unknown setting '%s'", rc->name, key);
	}
	return 0;
}

/* proxy_protocol_from = [ "10.0.0.0/8", ... ]: the trusted senders. */
static int
conf_parse_pp_from(struct conf_ctx *ctx, const config_setting_t *s,
    struct route_conf *rc)
{
	const char	**str;
	char		  why[CONF_ERRLEN / 2];
	size_t		  bad = 0;
	int		  i, n, type = config_setting_type(s);

	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return conf_fail(ctx, s, "route '%s': proxy_protocol_from must "
		    "be a list of address prefixes [ \"10.0.0.0/8\", ... ], "
		    "not %s", rc->name, conf_type_name(type));
	if ((n = config_setting_length(s)) == 0)
		return conf_fail(ctx, s, "route '%s': proxy_protocol_from: "
		    "empty list", rc->name);
	str = xcalloc((size_t)n, sizeof(*str));
	for (i = 0; i < n; i++) {
		str[i] = config_setting_get_string_elem(s, (unsigned int)i);
		if (str[i] == NULL) {
			free(str);
			return conf_fail(ctx, config_setting_get_elem(s,
			    (unsigned int)i), "route '%s': proxy_protocol_from: "
			    "element %d must be a string", rc->name, i + 1);
		}
	}
	acl_free(rc->pp_from);
	rc->pp_from = acl_new(str, (size_t)n, NULL, 0, why, sizeof(why), &bad,
	    NULL);
	free(str);
	if (rc->pp_from == NULL)
		return conf_fail(ctx, config_setting_get_elem(s,
		    (unsigned int)bad), "route '%s': proxy_protocol_from: %s",
		    rc->name, why);
	return 0;
}

/*
 * One pool member: the string of `upstream`, or an element of
 * `upstreams` (a string, or a group with address, weight, backup, down).
 * A name is kept as a name: resolve_conf fills in every address it has.
 */
static int
conf_parse_member(struct conf_ctx *ctx, const config_setting_t *e,
    const struct route_conf *rc, const char *what, struct member_conf *m)
{
	const config_setting_t	*address = NULL;
	config_setting_t	*s;
	const char		*key;
	char			 sub[CONF_NAME_MAX + 96], why[CONF_ERRLEN / 2];
	char			 host[256];
	int			 j, len;

	m->weight = 1;
	m->line = config_setting_source_line(e);
	if (config_setting_type(e) == CONFIG_TYPE_STRING) {
		snprintf(sub, sizeof(sub), "route '%s': %s", rc->name, what);
		if (conf_get_string(ctx, e, sub, &m->address) == -1)
			return -1;
		address = e;
	} else if (config_setting_type(e) == CONFIG_TYPE_GROUP) {
		len = config_setting_length(e);
		for (j = 0; j < len; j++) {
			s = config_setting_get_elem(e, (unsigned int)j);
			key = config_setting_name(s);
			snprintf(sub, sizeof(sub), "route '%s': %s: %s",
			    rc->name, what, key);
			if (strcmp(key, "address") == 0) {
				if (conf_get_string(ctx, s, sub,
				    &m->address) == -1)
					return -1;
				address = s;
			} else if (strcmp(key, "weight") == 0) {
				if (conf_get_uint(ctx, s, sub, 1,
				    POOL_WEIGHT_MAX, &m->weight) == -1)
					return -1;
			} else if (strcmp(key, "backup") == 0) {
				if (conf_get_bool(ctx, s, sub,
				    &m->backup) == -1)
					return -1;
			} else if (strcmp(key, "down") == 0) {
				if (conf_get_bool(ctx, s, sub, &m->down) == -1)
					return -1;
			} else
				return conf_fail(ctx, s, "route '%s': %s: "
				    "unknown setting '%s'", rc->name, what,
				    key);
		}
		if (address == NULL)
			return conf_fail(ctx, e, "route '%s': %s: missing "
			    "'address'", rc->name, what);
	} else
		return conf_fail(ctx, e, "route '%s': %s must be a string or "
		    "a group { address = ...; }, not %s", rc->name, what,
		    conf_type_name(config_setting_type(e)));
	switch (addr_parse_name(m->address, host, sizeof(host), &m->port,
	    why, sizeof(why))) {
	case -1:
		return conf_fail(ctx, address, "route '%s': %s: %s", rc->name,
		    what, why);
	case 1:
		/* Resolved later, off the parse, by resolve_conf. */
		m->host = xstrdup(host);
		return 0;
	}
	m->addrs = xcalloc(1, sizeof(*m->addrs));
	if (addr_parse(m->address, ADDR_NUMERIC, m->addrs, why,
	    sizeof(why)) == -1)
		return conf_fail(ctx, address, "route '%s': %s: %s", rc->name,
		    what, why);
	m->naddrs = 1;
	if (addr_is_wildcard(m->addrs))
		return conf_fail(ctx, address, "route '%s': %s must not be a "
		    "wildcard address", rc->name, what);
	return 0;
}

/* `upstream` (a pool of one) or `upstreams` (a list), exactly one. */
static int
conf_parse_pool(struct conf_ctx *ctx, const config_setting_t *g,
    const config_setting_t *upstream, const config_setting_t *upstreams,
    struct route_conf *rc)
{
	const config_setting_t	*e;
	struct member_conf	*m;
	char			 what[64];
	size_t			 i, k, total = 0;
	unsigned int		 n;

	if (upstream != NULL && upstreams != NULL)
		return conf_fail(ctx, upstreams, "route '%s': set one of "
		    "'upstream' and 'upstreams', not both", rc->name);
	if (upstream == NULL && upstreams == NULL)
		return conf_fail(ctx, g, "route '%s': missing 'upstream'",
		    rc->name);
	if (upstream != NULL) {
		if (config_setting_type(upstream) != CONFIG_TYPE_STRING)
			return conf_fail(ctx, upstream, "route '%s': upstream "
			    "must be a string, not %s", rc->name,
			    conf_type_name(config_setting_type(upstream)));
		rc->pool.members = xcalloc(1, sizeof(*rc->pool.members));
		rc->pool.nmembers = 1;
		return conf_parse_member(ctx, upstream, rc, "upstream",
		    &rc->pool.members[0]);
	}
	if (config_setting_type(upstreams) != CONFIG_TYPE_LIST &&
	    config_setting_type(upstreams) != CONFIG_TYPE_ARRAY)
		return conf_fail(ctx, upstreams, "route '%s': upstreams must "
		    "be a list ( ... ), not %s", rc->name,
		    conf_type_name(config_setting_type(upstreams)));
	n = (unsigned int)config_setting_length(upstreams);
	if (n == 0)
		return conf_fail(ctx, upstreams, "route '%s': upstreams: "
		    "empty list", rc->name);
	if (n > POOL_MEMBERS_MAX)
		return conf_fail(ctx, upstreams, "route '%s': upstreams: "
		    "more than %d members", rc->name, POOL_MEMBERS_MAX);
	rc->pool.members = xcalloc(n, sizeof(*rc->pool.members));
	for (i = 0; i < n; i++) {
		rc->pool.nmembers = i + 1;
		m = &rc->pool.members[i];
		e = config_setting_get_elem(upstreams, (unsigned int)i);
		snprintf(what, sizeof(what), "upstreams element %zu", i + 1);
		if (conf_parse_member(ctx, e, rc, what, m) == -1)
			return -1;
		total += m->naddrs;
		if (total > POOL_MEMBERS_MAX)
			return conf_fail(ctx, e, "route '%s': upstreams: more "
			    "than %d addresses", rc->name, POOL_MEMBERS_MAX);
		/* The same member twice is a typo; names may overlap. */
		for (k = 0; k < i; k++)
			if (strcmp(rc->pool.members[k].address,
			    m->address) == 0 || (m->naddrs == 1 &&
			    rc->pool.members[k].naddrs == 1 &&
			    addr_equal(&m->addrs[0],
			    &rc->pool.members[k].addrs[0])))
				return conf_fail(ctx, e, "route '%s': %s: %s "
				    "repeats element %zu", rc->name, what,
				    m->address, k + 1);
	}
	return 0;
}

/*
 * health_check = { interval = 5; timeout = 1; send = "..."; expect = "...";
 * rise = 2; fall = 3; }: send is required, the rest has defaults.
 */
static int
conf_parse_health(struct conf_ctx *ctx, const config_setting_t *g,
    struct route_conf *rc)
{
	struct health_conf	*hc;
	config_setting_t	*s, *timeout = NULL, *send = NULL;
	const char		*key;
	char			 what[CONF_NAME_MAX + 64], why[128], *str = NULL;
	int			 i, n, rv = -1;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return conf_fail(ctx, g, "route '%s': health_check must be a "
		    "group { ... }, not %s", rc->name,
		    conf_type_name(config_setting_type(g)));
	free(rc->health);
	hc = rc->health = xcalloc(1, sizeof(*hc));
	health_conf_defaults(hc);
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(g, (unsigned int)i);
		key = config_setting_name(s);
		snprintf(what, sizeof(what), "route '%s': health_check: %s",
		    rc->name, key);
		if (strcmp(key, "interval") == 0) {
			if (conf_get_seconds(ctx, s, what,
			    &hc->interval_ms) == -1)
				goto out;
			if (hc->interval_ms > HEALTH_INTERVAL_MAX_S * 1000) {
				conf_fail(ctx, s, "%s must be at most %d "
				    "seconds", what, HEALTH_INTERVAL_MAX_S);
				goto out;
			}
		} else if (strcmp(key, "timeout") == 0) {
			if (conf_get_seconds(ctx, s, what,
			    &hc->timeout_ms) == -1)
				goto out;
			timeout = s;
		} else if (strcmp(key, "rise") == 0 ||
		    strcmp(key, "fall") == 0) {
			if (conf_get_uint(ctx, s, what, 1, HEALTH_COUNT_MAX,
			    key[0] == 'r' ? &hc->rise : &hc->fall) == -1)
				goto out;
		} else if (strcmp(key, "send") == 0 ||
		    strcmp(key, "expect") == 0) {
			if (config_setting_type(s) != CONFIG_TYPE_STRING) {
				conf_fail(ctx, s, "%s must be a string, not %s",
				    what, conf_type_name(
				    config_setting_type(s)));
				goto out;
			}
			if (health_unescape(config_setting_get_string(s),
			    key[0] == 's' ? hc->send : hc->expect,
			    HEALTH_PAYLOAD_MAX, key[0] == 's' ? &hc->send_len :
			    &hc->expect_len, why, sizeof(why)) == -1) {
				conf_fail(ctx, s, "%s: %s", what, why);
				goto out;
			}
			if (key[0] == 's')
				send = s;
		} else {
			conf_fail(ctx, s, "route '%s': health_check: unknown "
			    "setting '%s'", rc->name, key);
			goto out;
		}
	}
	if (send == NULL) {
		conf_fail(ctx, g, "route '%s': health_check: missing 'send'",
		    rc->name);
		goto out;
	}
	if (hc->timeout_ms > hc->interval_ms) {
		conf_fail(ctx, timeout, "route '%s': health_check: timeout "
		    "must not exceed interval", rc->name);
		goto out;
	}
	rv = 0;
out:
	free(str);
	return rv;
}

static int
conf_parse_route(struct conf_ctx *ctx, const config_setting_t *g,
    unsigned int index, struct route_conf *rc)
{
	config_setting_t	*s, *listen = NULL, *upstream = NULL;
	config_setting_t	*transparent = NULL;
	config_setting_t	*upstreams = NULL;
	const config_setting_t	*allow = ctx->allow, *deny = ctx->deny;
	const char		*key;
	char			 what[CONF_NAME_MAX + 64], *balance = NULL;
	char			 scope[CONF_NAME_MAX + 16];
	unsigned int		 v;
	int			 i, n, rv;

	rc->idle_ms = CONF_IDLE_DEFAULT_MS;
	rc->responses = -1;
	rc->pool.balance = POOL_ROUND_ROBIN;
	rc->pool.max_fails = POOL_FAILS_DEFAULT;
	rc->pool.fail_timeout_ms = POOL_FAIL_TIMEOUT_MS;
	rc->max_datagram = CONF_DGRAM_MAX;
	rc->guard = ctx->guard;
	rc->guard.acl = NULL;
	rc->line = config_setting_source_line(g);
	rc->file = xstrdup(config_setting_source_file(g) != NULL ?
	    config_setting_source_file(g) : ctx->path);
	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return conf_fail(ctx, g, "routes: element %u must be a group "
		    "{ ... }, not %s", index + 1,
		    conf_type_name(config_setting_type(g)));

	/* The name first, so every later message can carry it. */
	if ((s = config_setting_get_member(g, "name")) == NULL)
		return conf_fail(ctx, g, "route #%u: missing 'name'",
		    index + 1);
	if (conf_get_string(ctx, s, "name", &rc->name) == -1)
		return -1;
	if (!conf_name_valid(rc->name))
		return conf_fail(ctx, s, "route name '%s' is invalid: use 1 to "
		    "%d of A-Z a-z 0-9 _ - .", rc->name, CONF_NAME_MAX);

	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(g, (unsigned int)i);
		key = config_setting_name(s);
		if (strcmp(key, "name") == 0)
			continue;
		snprintf(what, sizeof(what), "route '%s': %s", rc->name, key);
		snprintf(scope, sizeof(scope), "route '%s': ", rc->name);
		if ((rv = conf_guard_key(ctx, s, key, scope, &rc->guard,
		    &allow, &deny)) == -1)
			return -1;
		if (rv == 1)
			continue;
		if (strcmp(key, "listen") == 0) {
			if (conf_get_string(ctx, s, what,
			    &rc->listen_str) == -1)
				return -1;
			listen = s;
		} else if (strcmp(key, "upstream") == 0) {
			upstream = s;
		} else if (strcmp(key, "upstreams") == 0) {
			upstreams = s;
		} else if (strcmp(key, "balance") == 0) {
			if (conf_get_string(ctx, s, what, &balance) == -1)
				return -1;
			if (pool_balance_parse(balance,
			    &rc->pool.balance) == -1) {
				conf_fail(ctx, s, "route '%s': balance '%s' is "
				    "not one of round_robin, hash, "
				    "least_sessions, random", rc->name,
				    balance);
				free(balance);
				return -1;
			}
			free(balance);
			balance = NULL;
		} else if (strcmp(key, "responses") == 0) {
			if (conf_get_uint(ctx, s, what, 0, CONF_COUNT_MAX,
			    &v) == -1)
				return -1;
			rc->responses = (int)v;
		} else if (strcmp(key, "requests") == 0) {
			if (conf_get_uint(ctx, s, what, 1, CONF_COUNT_MAX,
			    &rc->requests) == -1)
				return -1;
		} else if (strcmp(key, "max_fails") == 0) {
			if (conf_get_uint(ctx, s, what, 0, CONF_FAILS_MAX,
			    &rc->pool.max_fails) == -1)
				return -1;
		} else if (strcmp(key, "fail_timeout") == 0) {
			if (conf_get_seconds(ctx, s, what,
			    &rc->pool.fail_timeout_ms) == -1)
				return -1;
		} else if (strcmp(key, "idle_timeout") == 0) {
			if (conf_get_seconds(ctx, s, what, &rc->idle_ms) == -1)
				return -1;
		} else if (strcmp(key, "max_sessions") == 0) {
			if (conf_get_uint(ctx, s, what, 1, CONF_SESSIONS_MAX,
			    &rc->max_sessions) == -1)
				return -1;
		} else if (strcmp(key, "receive_buffer_size") == 0) {
			if (conf_get_uint(ctx, s, what, CONF_RCVBUF_MIN,
			    CONF_RCVBUF_MAX, &rc->rcvbuf) == -1)
				return -1;
		} else if (strcmp(key, "resolve_interval") == 0) {
			if (conf_get_seconds(ctx, s, what,
			    &rc->resolve_interval_ms) == -1)
				return -1;
		} else if (strcmp(key, "health_check") == 0) {
			if (conf_parse_health(ctx, s, rc) == -1)
				return -1;
		} else if (strcmp(key, "max_datagram_size") == 0) {
			/* Not 0: that is what 2^32 wraps to. */
			if (conf_get_uint(ctx, s, what, 1, CONF_DGRAM_MAX,
			    &rc->max_datagram) == -1)
				return -1;
		} else if (strcmp(key, "proxy_protocol") == 0) {
			if (conf_parse_pp(ctx, s, rc) == -1)
				return -1;
		} else if (strcmp(key, "proxy_protocol_from") == 0) {
			if (conf_parse_pp_from(ctx, s, rc) == -1)
				return -1;
		} else if (strcmp(key, "transparent") == 0) {
			if (conf_get_bool(ctx, s, what,
			    &rc->transparent) == -1)
				return -1;
			transparent = s;
		} else if (strcmp(key, "access_log") == 0) {
			if (conf_get_access_log(ctx, s, what,
			    &rc->access_log) == -1)
				return -1;
		} else if (strcmp(key, "access_log_format") == 0) {
			if (conf_get_access_log_format(ctx, s, what,
			    &rc->access_log_format) == -1)
				return -1;
			rc->access_log_format_set = 1;
		} else
			return conf_fail(ctx, s, "route '%s': unknown setting "
			    "'%s'", rc->name, key);
	}
	snprintf(scope, sizeof(scope), "route '%s': ", rc->name);
	if (conf_guard_check(ctx, g, scope, &rc->guard) == -1 ||
	    conf_guard_acl(ctx, allow, deny, scope, &rc->guard.acl) == -1)
		return -1;
	if (listen == NULL)
		return conf_fail(ctx, g, "route '%s': missing 'listen'",
		    rc->name);
	if (conf_parse_addr(ctx, listen, rc, "listen", ADDR_NUMERIC,
	    &rc->listen) == -1)
		return -1;
	/* An IPv6 listener is V6ONLY: it cannot bind an IPv4 address. */
	if (rc->listen.ss.ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(
	    &((struct sockaddr_in6 *)&rc->listen.ss)->sin6_addr))
		return conf_fail(ctx, listen, "route '%s': listen: IPv4-mapped "
		    "address '%s': write the IPv4 address, as in "
		    "'127.0.0.1:53'", rc->name, rc->listen_str);
	if (conf_parse_pool(ctx, g, upstream, upstreams, rc) == -1)
		return -1;
	/* The session socket binds the client's address to reach it. */
	if (rc->transparent && rc->pp_from == NULL) {
		const struct member_conf	*mc;
		size_t				 mi, ai;

		for (mi = 0; mi < rc->pool.nmembers; mi++) {
			mc = &rc->pool.members[mi];
			for (ai = 0; ai < mc->naddrs; ai++)
				if (mc->addrs[ai].ss.ss_family !=
				    rc->listen.ss.ss_family)
					return conf_fail(ctx, transparent,
					    "route '%s': transparent: "
					    "upstream %s is not of the "
					    "listener's address family, so it "
					    "cannot be reached from a "
					    "client's address", rc->name,
					    mc->address);
		}
	}
	return 0;
}

static int
conf_key_wild(const struct addr_key *k)
{
	static const uint8_t	zero[16];

	return memcmp(k->addr, zero, sizeof(zero)) == 0;
}

/* Two listeners that the kernel would refuse to bind side by side. */
static int
conf_listen_conflict(const struct addr *a, const struct addr *b)
{
	struct addr_key	ka, kb;

	addr_key_make(&ka, (const struct sockaddr *)&a->ss);
	addr_key_make(&kb, (const struct sockaddr *)&b->ss);
	if (ka.family != kb.family || ka.port != kb.port)
		return 0;
	return addr_key_equal(&ka, &kb) || conf_key_wild(&ka) ||
	    conf_key_wild(&kb);
}

/* An upstream that would deliver datagrams back into one of our listeners. */
static int
conf_is_loop(const struct addr *upstream, const struct addr *listen)
{
	struct addr_key	ku, kl;

	if (addr_equal(upstream, listen))
		return 1;
	/* Folded families: [::ffff:127.0.0.1]:P reaches 0.0.0.0:P too. */
	addr_key_make(&ku, (const struct sockaddr *)&upstream->ss);
	addr_key_make(&kl, (const struct sockaddr *)&listen->ss);
	return addr_is_wildcard(listen) && addr_is_loopback(upstream) &&
	    ku.family == kl.family && ku.port == kl.port;
}

/* The first conflict of route i, in file order, as a message; -1 if none. */
static int
conf_check_route(struct conf_ctx *ctx, struct conf *conf,
    config_setting_t *list, size_t i)
{
	struct route_conf	*a = &conf->routes[i], *b;
	size_t			 j, m, k;

	for (j = 0; j < i; j++) {
		b = &conf->routes[j];
		if (strcmp(a->name, b->name) == 0)
			return conf_fail(ctx, config_setting_get_elem(list,
			    (unsigned int)i), "duplicate route name '%s' "
			    "(first at line %d)", a->name, b->line);
		if (conf_listen_conflict(&a->listen, &b->listen))
			return conf_fail(ctx, config_setting_get_elem(list,
			    (unsigned int)i), "route '%s': listen %s conflicts "
			    "with route '%s' (line %d)", a->name, a->listen_str,
			    b->name, b->line);
	}
	for (j = 0; j < conf->nroutes; j++) {
		b = &conf->routes[j];
		for (m = 0; m < a->pool.nmembers; m++)
			for (k = 0; k < a->pool.members[m].naddrs; k++)
				if (conf_is_loop(&a->pool.members[m].addrs[k],
				    &b->listen))
					return conf_fail(ctx,
					    config_setting_get_elem(list,
					    (unsigned int)i), "route '%s': "
					    "upstream %s is udproxy's own "
					    "listener (route '%s'): a "
					    "forwarding loop", a->name,
					    a->pool.members[m].address,
					    b->name);
	}
	return 0;
}

/* Sorting helpers: route indexes ordered by name or by listen key. */
struct conf_sort {
	const struct conf	*conf;
	struct addr_key		*key;
};

static int
conf_cmp_key(const struct addr_key *a, size_t ia, const struct addr_key *b,
    size_t ib)
{
	int	c = memcmp(a, b, sizeof(*a));

	return c != 0 ? c : (ia > ib) - (ia < ib);
}

static int
conf_qsort_name(const void *x, const void *y, void *arg)
{
	const struct conf_sort	*cs = arg;
	size_t			 a = *(const size_t *)x, b = *(const size_t *)y;
	int			 c;

	c = strcmp(cs->conf->routes[a].name, cs->conf->routes[b].name);
	return c != 0 ? c : (a > b) - (a < b);
}

static int
conf_qsort_key(const void *x, const void *y, void *arg)
{
	const struct conf_sort	*cs = arg;
	size_t			 a = *(const size_t *)x, b = *(const size_t *)y;

	return conf_cmp_key(&cs->key[a], a, &cs->key[b], b);
}

/* Whether key[sorted[0..n-1]], sorted by key, holds k. */
static int
conf_key_find(const struct addr_key *key, const size_t *sorted, size_t n,
    const struct addr_key *k)
{
	size_t	lo = 0, hi = n, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = memcmp(&key[sorted != NULL ? sorted[mid] : mid], k,
		    sizeof(*k));
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Whether an address of rc's pool is a listener (or its wildcard). */
static int
conf_route_loops(const struct route_conf *rc, const struct addr_key *key,
    const size_t *bykey, size_t n, const struct addr_key *wild, size_t nwild)
{
	const struct addr	*u;
	struct addr_key		 k;
	size_t			 m, a;

	for (m = 0; m < rc->pool.nmembers; m++)
		for (a = 0; a < rc->pool.members[m].naddrs; a++) {
			u = &rc->pool.members[m].addrs[a];
			addr_key_make(&k, (const struct sockaddr *)&u->ss);
			if (conf_key_find(key, bykey, n, &k))
				return 1;
			if (!addr_is_loopback(u))
				continue;
			k.scope = 0;
			memset(k.addr, 0, sizeof(k.addr));
			if (conf_key_find(wild, NULL, nwild, &k))
				return 1;
		}
	return 0;
}

/*
 * Duplicate names, clashing listeners and forwarding loops. Sorting finds
 * the first route in file order that has a problem in O(n log n), so
 * thousands of routes load quickly; that route's problem is then worded
 * by conf_check_route.
 */
static int
conf_check_routes(struct conf_ctx *ctx, struct conf *conf,
    config_setting_t *list)
{
	struct conf_sort	 cs;
	struct addr_key		*key, *wild, k;
	size_t			*byname, *bykey, n = conf->nroutes, first = n;
	size_t			 i, j, g, gmin, wmin, idx, nwild = 0;
	int			 rc = 0;

	key = xcalloc(n, sizeof(*key));
	wild = xcalloc(n, sizeof(*wild));
	byname = xcalloc(n, sizeof(*byname));
	bykey = xcalloc(n, sizeof(*bykey));
	for (i = 0; i < n; i++) {
		addr_key_make(&key[i],
		    (const struct sockaddr *)&conf->routes[i].listen.ss);
		byname[i] = bykey[i] = i;
	}
	cs.conf = conf;
	cs.key = key;
	qsort_r(byname, n, sizeof(*byname), conf_qsort_name, &cs);
	qsort_r(bykey, n, sizeof(*bykey), conf_qsort_key, &cs);

	/* A repeated name: every copy but the first is in conflict. */
	for (i = 1; i < n; i++)
		if (strcmp(conf->routes[byname[i]].name,
		    conf->routes[byname[i - 1]].name) == 0 && byname[i] < first)
			first = byname[i];

	/* Listeners: groups of one family and port, in key order. */
	for (g = 0; g < n; g = j) {
		gmin = wmin = SIZE_MAX;
		for (j = g; j < n && key[bykey[j]].family == key[bykey[g]].family &&
		    key[bykey[j]].port == key[bykey[g]].port; j++) {
			idx = bykey[j];
			gmin = idx < gmin ? idx : gmin;
			if (conf_key_wild(&key[idx]) && idx < wmin)
				wmin = idx;
		}
		for (i = g; i < j; i++) {
			idx = bykey[i];
			/* Same key as an earlier route, or a wildcard clash. */
			if ((i > g && memcmp(&key[bykey[i - 1]], &key[idx],
			    sizeof(*key)) == 0) || (wmin < idx) ||
			    (conf_key_wild(&key[idx]) && gmin < idx))
				first = idx < first ? idx : first;
		}
	}

	/*
	 * Loops: an upstream equal to a listener, or a loopback upstream on
	 * the family and port of a wildcard listener (kept in wild[], sorted,
	 * with only family and port).
	 */
	for (i = 0; i < n; i++) {
		if (!conf_key_wild(&key[bykey[i]]))
			continue;
		memset(&k, 0, sizeof(k));
		k.family = key[bykey[i]].family;
		k.port = key[bykey[i]].port;
		if (nwild == 0 || memcmp(&wild[nwild - 1], &k, sizeof(k)) != 0)
			wild[nwild++] = k;
	}
	for (i = 0; i < n && i < first; i++)
		if (conf_route_loops(&conf->routes[i], key, bykey, n, wild,
		    nwild))
			first = i;
	if (first < n)
		rc = conf_check_route(ctx, conf, list, first);
	free(wild);
	free(key);
	free(byname);
	free(bykey);
	return rc;
}

static int
conf_parse_routes(struct conf_ctx *ctx, struct conf *conf,
    config_setting_t *list)
{
	unsigned int	i, n;

	if (config_setting_type(list) != CONFIG_TYPE_LIST)
		return conf_fail(ctx, list, "routes must be a list ( ... ), "
		    "not %s", conf_type_name(config_setting_type(list)));
	if ((n = (unsigned int)config_setting_length(list)) == 0)
		return conf_fail(ctx, list, "routes: empty list");
	conf->routes = xcalloc(n, sizeof(*conf->routes));
	for (i = 0; i < n; i++) {
		conf->nroutes = i + 1;
		if (conf_parse_route(ctx, config_setting_get_elem(list, i), i,
		    &conf->routes[i]) == -1)
			return -1;
	}
	return conf_check_routes(ctx, conf, list);
}

/*
 * resolver = ( "127.0.0.1:53", "[::1]:5353" ): numeric addresses only
 * (a resolver cannot be found by name); the port defaults to 53.
 */
static int
conf_parse_resolver(struct conf_ctx *ctx, struct conf *conf,
    config_setting_t *list)
{
	config_setting_t	*s;
	struct addr		 a;
	char			 why[CONF_ERRLEN / 2], buf[300], fmt[ADDR_STRLEN];
	const char		*v;
	unsigned int		 i, n;

	if (config_setting_type(list) != CONFIG_TYPE_LIST &&
	    config_setting_type(list) != CONFIG_TYPE_ARRAY)
		return conf_fail(ctx, list, "resolver must be a list of "
		    "addresses, as in ( \"127.0.0.1:53\" ), not %s",
		    conf_type_name(config_setting_type(list)));
	n = (unsigned int)config_setting_length(list);
	if (n == 0 || n > CONF_RESOLVERS_MAX)
		return conf_fail(ctx, list, "resolver must list 1 to %d "
		    "addresses", CONF_RESOLVERS_MAX);
	for (i = 0; i < conf->nresolvers; i++)
		free(conf->resolvers[i]);
	free(conf->resolvers);
	conf->resolvers = xcalloc(n, sizeof(*conf->resolvers));
	conf->nresolvers = 0;
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(list, i);
		if (config_setting_type(s) != CONFIG_TYPE_STRING)
			return conf_fail(ctx, s, "resolver: element %u must be "
			    "a string, not %s", i + 1,
			    conf_type_name(config_setting_type(s)));
		v = config_setting_get_string(s);
		if (strchr(v, ':') == NULL && strlen(v) < 256) {
			snprintf(buf, sizeof(buf), "%s:53", v);
			v = buf;
		}
		if (addr_parse(v, ADDR_NUMERIC, &a, why, sizeof(why)) == -1)
			return conf_fail(ctx, s, "resolver: %s",
			    why);
		if (addr_is_wildcard(&a))
			return conf_fail(ctx, s, "resolver: '%s' is a wildcard "
			    "address", config_setting_get_string(s));
		addr_format((const struct sockaddr *)&a.ss, fmt, sizeof(fmt));
		conf->resolvers[conf->nresolvers++] = xstrdup(fmt);
	}
	return 0;
}

static int
conf_parse(struct conf_ctx *ctx, struct conf *conf, config_t *cf)
{
	config_setting_t	*root, *s, *routes = NULL;
	struct acl		*acl;
	const char		*key;
	char			*level = NULL;
	int			 i, n, rv;
	config_setting_t	*rmin = NULL, *rmax = NULL;

	root = config_root_setting(cf);
	n = config_setting_length(root);
	conf_guard_defaults(&ctx->guard);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(root, (unsigned int)i);
		key = config_setting_name(s);
		if ((rv = conf_guard_key(ctx, s, key, "", &ctx->guard,
		    &ctx->allow, &ctx->deny)) == -1)
			return -1;
		if (rv == 1)
			continue;
		if (strcmp(key, "routes") == 0)
			routes = s;
		else if (strcmp(key, "log_level") == 0) {
			if (conf_get_string(ctx, s, "log_level", &level) == -1)
				return -1;
			if (log_level_parse(level, &conf->log_level) == -1) {
				conf_fail(ctx, s, "log_level '%s' is not one of "
				    "error, warning, notice, info, debug",
				    level);
				free(level);
				return -1;
			}
			free(level);
			level = NULL;
		} else if (strcmp(key, "pidfile") == 0) {
			if (conf_get_string(ctx, s, "pidfile",
			    &conf->pidfile) == -1)
				return -1;
			if (conf->pidfile[0] != '/')
				return conf_fail(ctx, s, "pidfile must be an "
				    "absolute path");
		} else if (strcmp(key, "control") == 0) {
			if (conf_get_string(ctx, s, "control",
			    &conf->control) == -1)
				return -1;
			if (conf->control[0] != '/')
				return conf_fail(ctx, s, "control must be an "
				    "absolute path");
			if (strlen(conf->control) >= CONF_CONTROL_MAX)
				return conf_fail(ctx, s, "control path is "
				    "longer than %d bytes",
				    CONF_CONTROL_MAX - 1);
		} else if (strcmp(key, "user") == 0) {
			if (conf_get_string(ctx, s, "user", &conf->user) == -1)
				return -1;
		} else if (strcmp(key, "group") == 0) {
			if (conf_get_string(ctx, s, "group",
			    &conf->group) == -1)
				return -1;
		} else if (strcmp(key, "max_sessions") == 0) {
			if (conf_get_uint(ctx, s, "max_sessions", 1,
			    CONF_SESSIONS_MAX, &conf->max_sessions) == -1)
				return -1;
		} else if (strcmp(key, "workers") == 0) {
			if (conf_parse_workers(ctx, conf, s) == -1)
				return -1;
		} else if (strcmp(key, "resolver") == 0) {
			if (conf_parse_resolver(ctx, conf, s) == -1)
				return -1;
		} else if (strcmp(key, "resolve_min") == 0) {
			if (conf_get_seconds(ctx, s, "resolve_min",
			    &conf->resolve_min_ms) == -1)
				return -1;
			rmin = s;
		} else if (strcmp(key, "resolve_max") == 0) {
			if (conf_get_seconds(ctx, s, "resolve_max",
			    &conf->resolve_max_ms) == -1)
				return -1;
			rmax = s;
		} else if (strcmp(key, "resolver_timeout") == 0) {
			if (conf_get_seconds(ctx, s, "resolver_timeout",
			    &conf->resolver_timeout_ms) == -1)
				return -1;
			if (conf->resolver_timeout_ms < 100 ||
			    conf->resolver_timeout_ms >
			    CONF_RESOLVER_TIMEOUT_MAX_S * 1000)
				return conf_fail(ctx, s, "resolver_timeout must "
				    "be between 0.1 and %d seconds",
				    CONF_RESOLVER_TIMEOUT_MAX_S);
		} else if (strcmp(key, "upgrade_timeout") == 0) {
			if (conf_get_seconds(ctx, s, "upgrade_timeout",
			    &conf->upgrade_timeout_ms) == -1)
				return -1;
			if (conf->upgrade_timeout_ms < 100 ||
			    conf->upgrade_timeout_ms >
			    CONF_UPGRADE_TIMEOUT_MAX_S * 1000)
				return conf_fail(ctx, s, "upgrade_timeout must "
				    "be between 0.1 and %d seconds",
				    CONF_UPGRADE_TIMEOUT_MAX_S);
		} else if (strcmp(key, "stats") == 0) {
			if (conf_parse_stats(ctx, conf, s) == -1)
				return -1;
		} else if (strcmp(key, "access_log") == 0) {
			if (conf_get_access_log(ctx, s, "access_log",
			    &conf->access_log) == -1)
				return -1;
		} else if (strcmp(key, "access_log_format") == 0) {
			if (conf_get_access_log_format(ctx, s,
			    "access_log_format", &conf->access_log_format) == -1)
				return -1;
		} else
			return conf_fail(ctx, s, "unknown setting '%s'", key);
	}
	/* Top-level lists are checked once here, built per route later. */
	if (conf_guard_check(ctx, ctx->limit_where, "", &ctx->guard) == -1 ||
	    conf_guard_acl(ctx, ctx->allow, ctx->deny, "", &acl) == -1)
		return -1;
	acl_free(acl);
	if (routes == NULL)
		return conf_fail(ctx, NULL, "no 'routes' list: nothing to do");
	if (conf->resolve_min_ms > conf->resolve_max_ms)
		return conf_fail(ctx, rmax != NULL ? rmax : rmin, "resolve_min "
		    "(%llu ms) must not exceed resolve_max (%llu ms)",
		    (unsigned long long)conf->resolve_min_ms,
		    (unsigned long long)conf->resolve_max_ms);
	/* Unset, it covers the new process's first resolution too. */
	if (conf->upgrade_timeout_ms == 0)
		conf->upgrade_timeout_ms = CONF_UPGRADE_TIMEOUT_MS +
		    conf->resolver_timeout_ms;
	if (conf_parse_routes(ctx, conf, routes) == -1)
		return -1;
	/* Routes inherit the top-level access log and its format. */
	for (i = 0; i < (int)conf->nroutes; i++) {
		struct route_conf *rc = &conf->routes[i];

		if (rc->access_log == NULL && conf->access_log != NULL)
			rc->access_log = xstrdup(conf->access_log);
		if (!rc->access_log_format_set)
			rc->access_log_format = conf->access_log_format;
	}
	return 0;
}

/* The directory of path, so that @include "x" finds x beside the file. */
static char *
conf_dirname(const char *path)
{
	char	*dir = xstrdup(path), *slash;

	if ((slash = strrchr(dir, '/')) == NULL) {
		free(dir);
		return xstrdup(".");
	}
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return dir;
}

/*
 * Loads and validates path into a new struct conf. On failure returns NULL
 * with "FILE:LINE: reason" (or "FILE: reason") in err. Every call parses
 * into its own config_t: libconfig 1.5 destroys the object on a failed read
 * and keeps stale error positions.
 */
struct conf *
conf_load_file(const char *path, char *err, size_t errlen)
{
	struct conf_ctx	 ctx = { .err = err, .errlen = errlen, .path = path };
	struct conf	*conf;
	config_t	 cf;
	struct stat	 st;
	char		*dir, *text = NULL;
	int		 saved;

	conf = xcalloc(1, sizeof(*conf));
	conf->path = xstrdup(path);
	conf->log_level = LOG_LEVEL_INFO;
	conf->workers = 1;
	conf->resolver_timeout_ms = CONF_RESOLVER_TIMEOUT_MS;
	conf->resolve_min_ms = CONF_RESOLVE_MIN_MS;
	conf->resolve_max_ms = CONF_RESOLVE_MAX_MS;
	dir = conf_dirname(path);
	config_init(&cf);
	config_set_include_dir(&cf, dir);
	/* The file's checks and size limits first (conffile.c). */
	if ((text = conffile_load(path, dir, err, errlen)) == NULL)
		goto fail;
	errno = 0;
	if (config_read_string(&cf, text) == CONFIG_FALSE) {
		saved = errno;
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO) {
			/* libconfig refuses a directory without an errno. */
			if (saved == 0 && stat(path, &st) == 0 &&
			    S_ISDIR(st.st_mode))
				saved = EISDIR;
			snprintf(err, errlen, "%s: %s", path,
			    saved != 0 ? strerror(saved) : "cannot read file");
		}
		else
			snprintf(err, errlen, "%s:%d: %s",
			    config_error_file(&cf) != NULL ?
			    config_error_file(&cf) : path,
			    config_error_line(&cf), config_error_text(&cf));
		goto fail;
	}
	if (conf_parse(&ctx, conf, &cf) == -1)
		goto fail;
	config_destroy(&cf);
	free(text);
	free(dir);
	return conf;
fail:
	config_destroy(&cf);
	free(text);
	free(dir);
	conf_free(conf);
	return NULL;
}

void
conf_free(struct conf *conf)
{
	size_t	i;

	if (conf == NULL)
		return;
	for (i = 0; i < conf->nroutes; i++) {
		free(conf->routes[i].name);
		free(conf->routes[i].listen_str);
		pool_conf_free(&conf->routes[i].pool);
		free(conf->routes[i].file);
		free(conf->routes[i].health);
		acl_free(conf->routes[i].pp_from);
		acl_free(conf->routes[i].guard.acl);
		free(conf->routes[i].access_log);
	}
	conf_stats_free(conf->stats);
	free(conf->access_log);
	free(conf->routes);
	for (i = 0; i < conf->nresolvers; i++)
		free(conf->resolvers[i]);
	free(conf->resolvers);
	free(conf->path);
	free(conf->pidfile);
	free(conf->control);
	free(conf->user);
	free(conf->group);
	free(conf);
}

/* Whether both routes' pools stand for the same addresses. */
int
conf_route_same_upstream(const struct route_conf *a,
    const struct route_conf *b)
{
	return pool_conf_same_addrs(&a->pool, &b->pool) &&
	    conf_route_same_sessions(a, b);
}

/*
 * Whether live sessions can carry on under b: they keep what they send
 * and bind (PROXY protocol, transparent source); if not, they all close.
 */
int
conf_route_same_sessions(const struct route_conf *a,
    const struct route_conf *b)
{
	/* Sessions carry what they send and bind: new ones must be made. */
	return a->pp_send == b->pp_send && a->pp_tlvs == b->pp_tlvs &&
	    a->transparent == b->transparent &&
	    (!(a->pp_tlvs & CONF_PP_TLV_AUTHORITY) ||
	    strcmp(a->name, b->name) == 0) &&
	    (a->pp_from == NULL) == (b->pp_from == NULL) &&
	    (a->pp_from == NULL || acl_equal(a->pp_from, b->pp_from));
}

/* Whether two configurations ask the same resolver the same way. */
int
conf_same_resolver(const struct conf *a, const struct conf *b)
{
	size_t	i;

	if (a->nresolvers != b->nresolvers ||
	    a->resolver_timeout_ms != b->resolver_timeout_ms)
		return 0;
	for (i = 0; i < a->nresolvers; i++)
		if (strcmp(a->resolvers[i], b->resolvers[i]) != 0)
			return 0;
	return 1;
}

/*
 * Whether address a is a listener's (key, sorted by bykey), or a loopback
 * address on the family and port of a wildcard listener; *found is that
 * route.
 */
static int
conf_loop_find(const struct addr_key *key, const size_t *bykey, size_t n,
    const struct addr *a, size_t *found)
{
	struct addr_key	k;
	size_t		lo, hi, mid;
	int		c, d;

	addr_key_make(&k, (const struct sockaddr *)&a->ss);
	for (c = 0; c < 2; c++) {
		if (c == 1) {
			if (!addr_is_loopback(a))
				break;
			k.scope = 0;
			memset(k.addr, 0, sizeof(k.addr));
		}
		lo = 0;
		hi = n;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			d = memcmp(&key[bykey[mid]], &k, sizeof(k));
			if (d == 0) {
				*found = bykey[mid];
				return 1;
			}
			if (d < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	return 0;
}

/*
 * The forwarding-loop check for the addresses names resolved to, once
 * they are known: an address equal to a listener, or a loopback address
 * on the family and port of a wildcard listener (whose key is that
 * family and port with a zero address). Listener keys are sorted once,
 * so every address costs O(log n).
 */
int
conf_check_loops(const struct conf *conf, char *err, size_t errlen)
{
	const struct route_conf		*rc;
	const struct member_conf	*mc;
	struct addr_key			*key;
	size_t				*bykey, found, n = conf->nroutes, i, j, m;
	struct conf_sort		 cs;
	int				 rv = 0;

	key = xcalloc(n, sizeof(*key));
	bykey = xcalloc(n, sizeof(*bykey));
	for (i = 0; i < n; i++) {
		addr_key_make(&key[i],
		    (const struct sockaddr *)&conf->routes[i].listen.ss);
		bykey[i] = i;
	}
	cs.conf = conf;
	cs.key = key;
	qsort_r(bykey, n, sizeof(*bykey), conf_qsort_key, &cs);
	for (i = 0; i < n && rv == 0; i++) {
		rc = &conf->routes[i];
		for (m = 0; m < rc->pool.nmembers && rv == 0; m++) {
			mc = &rc->pool.members[m];
			for (j = 0; j < mc->naddrs && rv == 0; j++) {
				if (!conf_loop_find(key, bykey, n,
				    &mc->addrs[j], &found))
					continue;
				snprintf(err, errlen, "%s:%d: route '%s': "
				    "upstream %s is udproxy's own listener "
				    "(route '%s'): a forwarding loop", rc->file,
				    rc->line, rc->name, mc->address,
				    conf->routes[found].name);
				rv = -1;
			}
		}
	}
	free(key);
	free(bykey);
	return rv;
}

/*
 * The control socket path a file names, for "udproxy -s": found even in a
 * file the daemon would refuse (the reload that is asked for may be the
 * one that fixes it). Returns 0 with the path in buf, or -1 when the file
 * sets none (or cannot be read), so the default applies. A file libconfig
 * cannot parse is scanned line by line for a top-level
 * `control = "...";`.
 */
int
conf_peek_control(const char *path, char *buf, size_t len)
{
	config_t	 cf;
	const char	*v = NULL;
	char		 err[CONF_ERRLEN], *dir, *text, *p, *q, *eol;
	int		 rc = -1;

	/* The same checks as a load: a FIFO or a huge file must not hang. */
	dir = conf_dirname(path);
	text = conffile_load(path, dir, err, sizeof(err));
	free(dir);
	if (text == NULL)
		return -1;
	config_init(&cf);
	if (config_read_string(&cf, text) == CONFIG_TRUE) {
		if (config_lookup_string(&cf, "control", &v) == CONFIG_TRUE &&
		    v[0] == '/' && strlen(v) < len) {
			snprintf(buf, len, "%s", v);
			rc = 0;
		}
		config_destroy(&cf);
		free(text);
		return rc;
	}
	config_destroy(&cf);
	/* A file that does not parse: its last control = "/..." line. */
	for (p = text; p != NULL; p = eol) {
		if ((eol = strchr(p, '\n')) != NULL)
			*eol++ = '\0';
		p += strspn(p, " \t");
		if (strncmp(p, "control", 7) != 0)
			goto next;
		p += 7;
		p += strspn(p, " \t");
		if (*p != '=' && *p != ':')
			goto next;
		p++;
		p += strspn(p, " \t");
		if (*p++ != '"' || *p != '/' ||
		    (q = strchr(p, '"')) == NULL || (size_t)(q - p) >= len)
			goto next;
		*q = '\0';
		snprintf(buf, len, "%s", p);
		rc = 0;
next:
		;
	}
	free(text);
	return rc;
}

int
conf_route_same_guard(const struct route_conf *a, const struct route_conf *b)
{
	return acl_equal(a->guard.acl, b->guard.acl) &&
	    memcmp(&a->guard.limit, &b->guard.limit,
	    sizeof(a->guard.limit)) == 0 &&
	    a->guard.reply_ratio_milli == b->guard.reply_ratio_milli &&
	    a->guard.upload_rate == b->guard.upload_rate &&
	    a->guard.download_rate == b->guard.download_rate;
}

/* Whether everything about the pools and their sessions is the same. */
int
conf_route_same_pool(const struct route_conf *a, const struct route_conf *b)
{
	return pool_conf_same(&a->pool, &b->pool) &&
	    a->responses == b->responses && a->requests == b->requests;
}
