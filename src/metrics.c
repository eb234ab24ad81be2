/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <inttypes.h>
#include <string.h>

#include <event2/buffer.h>

#include "metrics.h"

#define METRICS_PREFIX	"udproxy_"

static const char	metrics_hex[] = "0123456789abcdef";

/*
 * A label value: the format knows only \\, \" and \n, and wants UTF-8, so
 * any other byte outside printable ASCII is written as the text "\xHH"
 * (its backslash escaped): unambiguous, and valid for every parser.
 */
void
metrics_prom_label(struct evbuffer *b, const char *s)
{
	const unsigned char	*p;
	char			 esc[5] = { '\\', '\\', 'x', 0, 0 };

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\\')
			evbuffer_add(b, "\\\\", 2);
		else if (*p == '"')
			evbuffer_add(b, "\\\"", 2);
		else if (*p == '\n')
			evbuffer_add(b, "\\n", 2);
		else if (*p < 0x20 || *p >= 0x7f) {
			esc[3] = metrics_hex[*p >> 4];
			esc[4] = metrics_hex[*p & 0xf];
			evbuffer_add(b, esc, sizeof(esc));
		} else
			evbuffer_add(b, p, 1);
	}
}

/*
 * A JSON string with its quotes. Any byte: controls and every byte from
 * 0x7f up become \u00XX (so the text is ASCII, hence valid UTF-8, and
 * each byte maps back to one code point).
 */
void
metrics_json_string(struct evbuffer *b, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			 esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t			 i;

	evbuffer_add(b, "\"", 1);
	for (i = 0; i < len; i++) {
		if (p[i] == '"')
			evbuffer_add(b, "\\\"", 2);
		else if (p[i] == '\\')
			evbuffer_add(b, "\\\\", 2);
		else if (p[i] == '\n')
			evbuffer_add(b, "\\n", 2);
		else if (p[i] == '\t')
			evbuffer_add(b, "\\t", 2);
		else if (p[i] == '\r')
			evbuffer_add(b, "\\r", 2);
		else if (p[i] < 0x20 || p[i] >= 0x7f) {
			esc[4] = metrics_hex[p[i] >> 4];
			esc[5] = metrics_hex[p[i] & 0xf];
			evbuffer_add(b, esc, sizeof(esc));
		} else
			evbuffer_add(b, p + i, 1);
	}
	evbuffer_add(b, "\"", 1);
}

/* v / 10^digits as an exact decimal: 64 with 6 digits is "0.000064". */
void
metrics_fixed(struct evbuffer *b, uint64_t v, unsigned int digits)
{
	uint64_t	scale = 1;
	unsigned int	i;

	for (i = 0; i < digits; i++)
		scale *= 10;
	if (digits == 0)
		evbuffer_add_printf(b, "%" PRIu64, v);
	else
		evbuffer_add_printf(b, "%" PRIu64 ".%0*" PRIu64, v / scale,
		    (int)digits, v % scale);
}

static void
metrics_head(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP " METRICS_PREFIX "%s %s\n"
	    "# TYPE " METRICS_PREFIX "%s %s\n", name, help, name, type);
}

/* route="NAME" or, for a member (upstream != 0), route="…",upstream="…". */
static void
metrics_labels(struct evbuffer *b, const struct metrics *m, int upstream,
    size_t i)
{
	const struct metrics_upstream	*u;

	if (!upstream) {
		evbuffer_add(b, "route=\"", 7);
		metrics_prom_label(b, m->routes[i].name);
		evbuffer_add(b, "\"", 1);
		return;
	}
	u = &m->upstreams[i];
	evbuffer_add(b, "route=\"", 7);
	metrics_prom_label(b, m->routes[u->route].name);
	evbuffer_add(b, "\",upstream=\"", 12);
	metrics_prom_label(b, u->label);
	evbuffer_add(b, "\"", 1);
}

/* One series of a histogram family: its buckets, sum and count. */
static void
metrics_prom_hist(struct evbuffer *b, const struct metrics *m,
    const char *name, int upstream, size_t i, const struct hist *h,
    unsigned int digits)
{
	unsigned int	j;

	for (j = 0; j < HIST_NBUCKETS; j++) {
		evbuffer_add_printf(b, METRICS_PREFIX "%s_bucket{", name);
		metrics_labels(b, m, upstream, i);
		evbuffer_add(b, ",le=\"", 5);
		metrics_fixed(b, hist_bound(h, j), digits);
		evbuffer_add_printf(b, "\"} %" PRIu64 "\n",
		    hist_cumulative(h, j));
	}
	evbuffer_add_printf(b, METRICS_PREFIX "%s_bucket{", name);
	metrics_labels(b, m, upstream, i);
	evbuffer_add_printf(b, ",le=\"+Inf\"} %" PRIu64 "\n", h->count);
	evbuffer_add_printf(b, METRICS_PREFIX "%s_sum{", name);
	metrics_labels(b, m, upstream, i);
	evbuffer_add(b, "} ", 2);
	metrics_fixed(b, h->sum, digits);
	evbuffer_add_printf(b, "\n" METRICS_PREFIX "%s_count{", name);
	metrics_labels(b, m, upstream, i);
	evbuffer_add_printf(b, "} %" PRIu64 "\n", h->count);
}

static void
metrics_global(struct evbuffer *b, const char *name, const char *type,
    const char *help, uint64_t v)
{
	metrics_head(b, name, type, help);
	evbuffer_add_printf(b, METRICS_PREFIX "%s %" PRIu64 "\n", name, v);
}

static void
metrics_prom_globals(struct evbuffer *b, const struct metrics *m)
{
	metrics_head(b, "build_info", "gauge",
	    "Always 1; the version is in the label");
	evbuffer_add(b, METRICS_PREFIX "build_info{version=\"",
	    strlen(METRICS_PREFIX "build_info{version=\""));
	metrics_prom_label(b, m->version);
	evbuffer_add(b, "\"} 1\n", 5);
	metrics_global(b, "start_time_seconds", "gauge",
	    "Start time of the daemon since the Unix epoch, in seconds",
	    m->start_time);
	metrics_global(b, "reloads_total", "counter",
	    "Configuration reloads applied", m->reloads);
	metrics_global(b, "reload_failures_total", "counter",
	    "Configuration reloads refused (the old configuration kept "
	    "running)", m->reload_failures);
	metrics_global(b, "config_generation", "gauge",
	    "Configurations applied since start, the first included",
	    m->generation);
	metrics_global(b, "session_budget", "gauge",
	    "Sessions allowed, all routes together (max_sessions or the "
	    "descriptor limit)", m->session_budget);
	metrics_global(b, "open_fds", "gauge",
	    "File descriptors in use by the daemon", m->open_fds);
	metrics_global(b, "access_log_lines_total", "counter",
	    "Access log lines written", m->access_log_lines);
	metrics_global(b, "access_log_dropped_total", "counter",
	    "Access log lines dropped: the buffer was full",
	    m->access_log_dropped);
}

/*
 * The page is a list of sections; each has families (desc), each family
 * a series per item (a route, or a member of a route's pool).
 */
enum metrics_section {
	METRICS_GLOBAL,		/* the daemon's figures: one item */
	METRICS_ROUTE,		/* stats_descs, per route */
	METRICS_UPSTREAM,	/* stats_upstream_descs, per member */
	METRICS_UP,		/* upstream_up, per member */
	METRICS_LATENCY,	/* upstream_reply_latency_seconds, per member */
	METRICS_DURATION,	/* session_duration_seconds, per route */
	METRICS_END
};

#define METRICS_LATENCY_HELP						\
	"Time from a client datagram to the first reply after it, per "	\
	"upstream"
#define METRICS_UP_HELP							\
	"1 when the upstream takes new sessions, 0 when it is down "	\
	"(configured down, passive health or health checks)"

static size_t
metrics_ndescs(enum metrics_section sec)
{
	switch (sec) {
	case METRICS_ROUTE:
		return stats_ndescs;
	case METRICS_UPSTREAM:
		return stats_upstream_ndescs;
	case METRICS_END:
		return 0;
	default:
		return 1;
	}
}

static size_t
metrics_nitems(const struct metrics *m, enum metrics_section sec)
{
	switch (sec) {
	case METRICS_GLOBAL:
		return 1;
	case METRICS_ROUTE:
	case METRICS_DURATION:
		return m->nroutes;
	default:
		return m->nupstreams;
	}
}

static void
metrics_prom_desc_head(struct evbuffer *b, const char *prefix,
    const struct stats_desc *d)
{
	if (d->kind == STATS_COUNTER)
		evbuffer_add_printf(b, "# HELP " METRICS_PREFIX "%s%s_total "
		    "%s\n# TYPE " METRICS_PREFIX "%s%s_total counter\n",
		    prefix, d->name, d->help, prefix, d->name);
	else
		evbuffer_add_printf(b, "# HELP " METRICS_PREFIX "%s%s %s\n"
		    "# TYPE " METRICS_PREFIX "%s%s gauge\n", prefix, d->name,
		    d->help, prefix, d->name);
}

static void
metrics_prom_head(struct evbuffer *b, enum metrics_section sec, size_t j)
{
	switch (sec) {
	case METRICS_ROUTE:
		metrics_prom_desc_head(b, "", &stats_descs[j]);
		break;
	case METRICS_UPSTREAM:
		metrics_prom_desc_head(b, "upstream_",
		    &stats_upstream_descs[j]);
		break;
	case METRICS_UP:
		metrics_head(b, "upstream_up", "gauge", METRICS_UP_HELP);
		break;
	case METRICS_LATENCY:
		metrics_head(b, "upstream_reply_latency_seconds", "histogram",
		    METRICS_LATENCY_HELP);
		break;
	case METRICS_DURATION:
		metrics_head(b, "session_duration_seconds", "histogram",
		    "Lifetime of ended sessions");
		break;
	default:
		break;
	}
}

static void
metrics_prom_sample(struct evbuffer *b, const struct metrics *m,
    const char *prefix, const struct stats_desc *d, int upstream, size_t i,
    uint64_t v)
{
	evbuffer_add_printf(b, METRICS_PREFIX "%s%s%s{", prefix, d->name,
	    d->kind == STATS_COUNTER ? "_total" : "");
	metrics_labels(b, m, upstream, i);
	evbuffer_add_printf(b, "} %" PRIu64 "\n", v);
}

static void
metrics_prom_item(struct evbuffer *b, const struct metrics *m,
    enum metrics_section sec, size_t j, size_t i)
{
	switch (sec) {
	case METRICS_GLOBAL:
		metrics_prom_globals(b, m);
		break;
	case METRICS_ROUTE:
		metrics_prom_sample(b, m, "", &stats_descs[j], 0, i,
		    stats_get(&m->routes[i].stats, &stats_descs[j]));
		break;
	case METRICS_UPSTREAM:
		metrics_prom_sample(b, m, "upstream_",
		    &stats_upstream_descs[j], 1, i,
		    stats_get(&m->upstreams[i].stats,
		    &stats_upstream_descs[j]));
		break;
	case METRICS_UP:
		evbuffer_add(b, METRICS_PREFIX "upstream_up{",
		    strlen(METRICS_PREFIX "upstream_up{"));
		metrics_labels(b, m, 1, i);
		evbuffer_add_printf(b, "} %d\n", m->upstreams[i].up ? 1 : 0);
		break;
	case METRICS_LATENCY:
		metrics_prom_hist(b, m, "upstream_reply_latency_seconds", 1, i,
		    &m->upstreams[i].latency, 6);
		break;
	case METRICS_DURATION:
		metrics_prom_hist(b, m, "session_duration_seconds", 0, i,
		    &m->routes[i].duration, 3);
		break;
	default:
		break;
	}
}

/*
 * Appends the next part of the Prometheus page to b, until b holds at
 * least budget bytes (one series more at most) or the page is complete.
 * Returns 1 when it is.
 */
int
metrics_prom_step(struct evbuffer *b, const struct metrics *m,
    struct metrics_cursor *c, size_t budget)
{
	enum metrics_section	sec;
	size_t			n;

	for (;;) {
		sec = (enum metrics_section)c->section;
		if (sec == METRICS_END)
			return 1;
		if (c->desc == metrics_ndescs(sec)) {
			c->section++;
			c->desc = c->item = 0;
			c->headed = 0;
			continue;
		}
		if (evbuffer_get_length(b) >= budget)
			return 0;
		if (!c->headed) {
			metrics_prom_head(b, sec, c->desc);
			c->headed = 1;
		}
		n = metrics_nitems(m, sec);
		while (c->item < n && evbuffer_get_length(b) < budget)
			metrics_prom_item(b, m, sec, c->desc, c->item++);
		if (c->item == n) {
			c->desc++;
			c->item = 0;
			c->headed = 0;
		}
	}
}

void
metrics_prom(struct evbuffer *b, const struct metrics *m)
{
	struct metrics_cursor	c;

	memset(&c, 0, sizeof(c));
	while (!metrics_prom_step(b, m, &c, SIZE_MAX))
		;
}

static void
metrics_json_hist(struct evbuffer *b, const char *name,
    const struct hist *h, unsigned int digits)
{
	unsigned int	j;

	evbuffer_add_printf(b, ",\"%s\":{\"count\":%" PRIu64 ",\"sum\":",
	    name, h->count);
	metrics_fixed(b, h->sum, digits);
	evbuffer_add(b, ",\"buckets\":[", 12);
	for (j = 0; j < HIST_NBUCKETS; j++) {
		evbuffer_add_printf(b, "%s{\"le\":", j == 0 ? "" : ",");
		metrics_fixed(b, hist_bound(h, j), digits);
		evbuffer_add_printf(b, ",\"count\":%" PRIu64 "}",
		    hist_cumulative(h, j));
	}
	evbuffer_add(b, "]}", 2);
}

static void
metrics_json_globals(struct evbuffer *b, const struct metrics *m)
{
	evbuffer_add(b, "{\"version\":", 11);
	metrics_json_string(b, m->version, strlen(m->version));
	evbuffer_add_printf(b, ",\"start_time_seconds\":%" PRIu64
	    ",\"reloads_total\":%" PRIu64 ",\"reload_failures_total\":%" PRIu64
	    ",\"config_generation\":%" PRIu64 ",\"session_budget\":%" PRIu64
	    ",\"open_fds\":%" PRIu64 ",\"access_log_lines_total\":%" PRIu64
	    ",\"access_log_dropped_total\":%" PRIu64 ",\"routes\":[",
	    m->start_time, m->reloads, m->reload_failures, m->generation,
	    m->session_budget, m->open_fds, m->access_log_lines,
	    m->access_log_dropped);
}

/* A route's object up to the opening of its "upstreams" array. */
static void
metrics_json_route(struct evbuffer *b, const struct metrics_route *r,
    int first)
{
	size_t	j;

	evbuffer_add(b, first ? "{\"name\":" : ",{\"name\":", first ? 8 : 9);
	metrics_json_string(b, r->name, strlen(r->name));
	for (j = 0; j < stats_ndescs; j++)
		evbuffer_add_printf(b, ",\"%s\":%" PRIu64, stats_descs[j].name,
		    stats_get(&r->stats, &stats_descs[j]));
	metrics_json_hist(b, "upstream_reply_latency_seconds", &r->latency, 6);
	metrics_json_hist(b, "session_duration_seconds", &r->duration, 3);
	evbuffer_add(b, ",\"upstreams\":[", 14);
}

static void
metrics_json_upstream(struct evbuffer *b, const struct metrics_upstream *u,
    int first)
{
	size_t	j;

	evbuffer_add(b, first ? "{\"address\":" : ",{\"address\":",
	    first ? 11 : 12);
	metrics_json_string(b, u->label, strlen(u->label));
	evbuffer_add(b, ",\"member\":", 10);
	metrics_json_string(b, u->member, strlen(u->member));
	evbuffer_add_printf(b, ",\"up\":%s", u->up ? "true" : "false");
	for (j = 0; j < stats_upstream_ndescs; j++)
		evbuffer_add_printf(b, ",\"%s\":%" PRIu64,
		    stats_upstream_descs[j].name,
		    stats_get(&u->stats, &stats_upstream_descs[j]));
	metrics_json_hist(b, "upstream_reply_latency_seconds", &u->latency, 6);
	evbuffer_add(b, "}", 1);
}

/*
 * The JSON page in pieces, as metrics_prom_step: section 0 is the head,
 * 1 the routes (item: route, sub: 0 its own figures, then one per member,
 * then its end), 2 the tail.
 */
int
metrics_json_step(struct evbuffer *b, const struct metrics *m,
    struct metrics_cursor *c, size_t budget)
{
	const struct metrics_route	*r;

	for (;;) {
		if (c->section == 0) {
			metrics_json_globals(b, m);
			c->section = 1;
		}
		if (c->section == 3)
			return 1;
		if (c->section == 2) {
			evbuffer_add(b, "]}\n", 3);
			c->section = 3;
			return 1;
		}
		if (c->item == m->nroutes) {
			c->section = 2;
			continue;
		}
		if (evbuffer_get_length(b) >= budget)
			return 0;
		r = &m->routes[c->item];
		if (c->sub == 0)
			metrics_json_route(b, r, c->item == 0);
		else if (c->sub <= r->nupstreams)
			metrics_json_upstream(b,
			    &m->upstreams[r->upstream + c->sub - 1],
			    c->sub == 1);
		else {
			evbuffer_add(b, "]}", 2);
			c->item++;
			c->sub = 0;
			continue;
		}
		c->sub++;
	}
}

void
metrics_json(struct evbuffer *b, const struct metrics *m)
{
	struct metrics_cursor	c;

	memset(&c, 0, sizeof(c));
	while (!metrics_json_step(b, m, &c, SIZE_MAX))
		;
}
