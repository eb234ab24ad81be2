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

static void
metrics_route_label(struct evbuffer *b, const struct metrics_route *r)
{
	evbuffer_add(b, "route=\"", 7);
	metrics_prom_label(b, r->name);
	evbuffer_add(b, "\"", 1);
}

static void
metrics_prom_hist(struct evbuffer *b, const struct metrics *m,
    const char *name, const char *help, int latency)
{
	const struct metrics_route	*r;
	const struct hist		*h;
	unsigned int			 digits = latency ? 6 : 3;
	size_t				 i;
	unsigned int			 j;

	metrics_head(b, name, "histogram", help);
	for (i = 0; i < m->nroutes; i++) {
		r = &m->routes[i];
		h = latency ? r->latency : r->duration;
		if (h == NULL)
			continue;
		for (j = 0; j < HIST_NBUCKETS; j++) {
			evbuffer_add_printf(b, METRICS_PREFIX "%s_bucket{",
			    name);
			metrics_route_label(b, r);
			evbuffer_add(b, ",le=\"", 5);
			metrics_fixed(b, hist_bound(h, j), digits);
			evbuffer_add_printf(b, "\"} %" PRIu64 "\n",
			    hist_cumulative(h, j));
		}
		evbuffer_add_printf(b, METRICS_PREFIX "%s_bucket{", name);
		metrics_route_label(b, r);
		evbuffer_add_printf(b, ",le=\"+Inf\"} %" PRIu64 "\n", h->count);
		evbuffer_add_printf(b, METRICS_PREFIX "%s_sum{", name);
		metrics_route_label(b, r);
		evbuffer_add(b, "} ", 2);
		metrics_fixed(b, h->sum, digits);
		evbuffer_add_printf(b, "\n" METRICS_PREFIX "%s_count{", name);
		metrics_route_label(b, r);
		evbuffer_add_printf(b, "} %" PRIu64 "\n", h->count);
	}
}

static void
metrics_global(struct evbuffer *b, const char *name, const char *type,
    const char *help, uint64_t v)
{
	metrics_head(b, name, type, help);
	evbuffer_add_printf(b, METRICS_PREFIX "%s %" PRIu64 "\n", name, v);
}

void
metrics_prom(struct evbuffer *b, const struct metrics *m)
{
	const struct stats_desc	*d;
	size_t			 i, j;

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

	for (j = 0; j < stats_ndescs; j++) {
		d = &stats_descs[j];
		if (d->kind == STATS_COUNTER) {
			evbuffer_add_printf(b, "# HELP " METRICS_PREFIX
			    "%s_total %s\n# TYPE " METRICS_PREFIX
			    "%s_total counter\n", d->name, d->help, d->name);
		} else
			metrics_head(b, d->name, "gauge", d->help);
		for (i = 0; i < m->nroutes; i++) {
			evbuffer_add_printf(b, METRICS_PREFIX "%s%s{",
			    d->name, d->kind == STATS_COUNTER ? "_total" : "");
			metrics_route_label(b, &m->routes[i]);
			evbuffer_add_printf(b, "} %" PRIu64 "\n",
			    stats_get(&m->routes[i].stats, d));
		}
	}
	metrics_prom_hist(b, m, "upstream_reply_latency_seconds",
	    "Time from a client datagram to the first upstream reply after "
	    "it", 1);
	metrics_prom_hist(b, m, "session_duration_seconds",
	    "Lifetime of ended sessions", 0);
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

void
metrics_json(struct evbuffer *b, const struct metrics *m)
{
	const struct metrics_route	*r;
	size_t				 i, j;

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
	for (i = 0; i < m->nroutes; i++) {
		r = &m->routes[i];
		evbuffer_add(b, i == 0 ? "{\"name\":" : ",{\"name\":",
		    i == 0 ? 8 : 9);
		metrics_json_string(b, r->name, strlen(r->name));
		for (j = 0; j < stats_ndescs; j++)
			evbuffer_add_printf(b, ",\"%s\":%" PRIu64,
			    stats_descs[j].name,
			    stats_get(&r->stats, &stats_descs[j]));
		if (r->latency != NULL)
			metrics_json_hist(b, "upstream_reply_latency_seconds",
			    r->latency, 6);
		if (r->duration != NULL)
			metrics_json_hist(b, "session_duration_seconds",
			    r->duration, 3);
		evbuffer_add(b, "}", 1);
	}
	evbuffer_add(b, "]}\n", 3);
}
