/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Unit tests for the exposition formats: Prometheus label escaping, JSON
 * escaping of every byte (decoded back and compared), exact decimals,
 * and the /metrics and /stats pages of a known snapshot: every counter of
 * stats.h for every route, HELP and TYPE before samples, cumulative
 * histogram buckets ending in +Inf equal to the count.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>

#include "metrics.h"

/* The buffer's bytes as a NUL-terminated string (caller frees). */
static char *
take(struct evbuffer *b)
{
	size_t	 n = evbuffer_get_length(b);
	char	*s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	return s;
}

START_TEST(test_prom_label)
{
	struct evbuffer	*b = evbuffer_new();
	char		*s;

	metrics_prom_label(b, "a\"b\\c\nd\x01\xff~ e");
	s = take(b);
	ck_assert_str_eq(s, "a\\\"b\\\\c\\nd\\\\x01\\\\xff~ e");
	free(s);
	evbuffer_free(b);
}
END_TEST

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : -1;
}

/* Every byte value survives escaping; the text is printable ASCII. */
START_TEST(test_json_every_byte)
{
	struct evbuffer	*b = evbuffer_new();
	char		 in[256], out[256], *s, *p;
	size_t		 i, n = 0;

	for (i = 0; i < 256; i++)
		in[i] = (char)i;
	metrics_json_string(b, in, sizeof(in));
	s = take(b);
	ck_assert_int_eq(s[0], '"');
	ck_assert_int_eq(s[strlen(s) - 1], '"');
	for (p = s + 1; *p != '\0' && p[1] != '\0'; p++) {
		ck_assert_msg(*p >= 0x20 && *p < 0x7f, "byte %02x unescaped",
		    (unsigned char)*p);
		ck_assert_msg(*p != '"', "bare quote inside the string");
		if (*p != '\\') {
			out[n++] = *p;
			continue;
		}
		p++;
		switch (*p) {
		case 'n': out[n++] = '\n'; break;
		case 't': out[n++] = '\t'; break;
		case 'r': out[n++] = '\r'; break;
		case '"': out[n++] = '"'; break;
		case '\\': out[n++] = '\\'; break;
		case 'u':
			ck_assert(p[1] == '0' && p[2] == '0');
			ck_assert(hexval(p[3]) >= 0 && hexval(p[4]) >= 0);
			out[n++] = (char)(hexval(p[3]) * 16 + hexval(p[4]));
			p += 4;
			break;
		default:
			ck_abort_msg("bad escape \\%c", *p);
		}
		ck_assert_uint_le(n, sizeof(out));
	}
	ck_assert_uint_eq(n, sizeof(in));
	ck_assert(memcmp(in, out, sizeof(in)) == 0);
	free(s);
	evbuffer_free(b);
}
END_TEST

START_TEST(test_fixed)
{
	struct evbuffer	*b = evbuffer_new();
	char		*s;

	metrics_fixed(b, 64, 6);
	evbuffer_add(b, " ", 1);
	metrics_fixed(b, 1234567, 3);
	evbuffer_add(b, " ", 1);
	metrics_fixed(b, 0, 3);
	evbuffer_add(b, " ", 1);
	metrics_fixed(b, 42, 0);
	s = take(b);
	ck_assert_str_eq(s, "0.000064 1234.567 0.000 42");
	free(s);
	evbuffer_free(b);
}
END_TEST

static struct metrics_route	routes[2];
static struct metrics_upstream	ups[3];
static struct metrics		m;

static void
snapshot(void)
{
	memset(routes, 0, sizeof(routes));
	routes[0].name = "dns";
	routes[0].stats.rx_datagrams = 7;
	routes[0].stats.tx_bytes = 12345;
	routes[0].stats.sessions_active = 2;
	routes[1].name = "we\"ird";
	routes[1].stats.drop_rcvbuf = 3;
	hist_init(&routes[0].latency, 6);
	hist_init(&routes[1].latency, 6);
	hist_init(&routes[0].duration, 0);
	hist_init(&routes[1].duration, 0);
	hist_record(&routes[0].latency, 50);	/* 0.000050 s: first bucket */
	hist_record(&routes[0].latency, 100);	/* second bucket */
	hist_record(&routes[0].latency, 1000000);	/* 1 s */
	hist_record(&routes[0].duration, 1500);	/* 1.5 s */
	/* dns has two members, we"ird one. */
	memset(ups, 0, sizeof(ups));
	routes[0].upstream = 0;
	routes[0].nupstreams = 2;
	routes[1].upstream = 2;
	routes[1].nupstreams = 1;
	snprintf(ups[0].label, sizeof(ups[0].label), "127.0.0.1:53");
	ups[0].member = "ns.example:53";
	ups[0].up = 1;
	ups[0].stats.rx_datagrams = 5;
	ups[0].stats.fails = 2;
	hist_init(&ups[0].latency, 6);
	hist_record(&ups[0].latency, 50);
	hist_record(&ups[0].latency, 1000000);
	snprintf(ups[1].label, sizeof(ups[1].label), "[::1]:53");
	ups[1].member = "ns.example:53";
	ups[1].stats.rx_datagrams = 2;
	ups[1].stats.check_downs = 1;
	hist_init(&ups[1].latency, 6);
	hist_record(&ups[1].latency, 100);
	snprintf(ups[2].label, sizeof(ups[2].label), "127.0.0.2:9");
	ups[2].member = "127.0.0.2:9";
	ups[2].route = 1;
	ups[2].up = 1;
	hist_init(&ups[2].latency, 6);
	memset(&m, 0, sizeof(m));
	m.version = "1.2.3";
	m.start_time = 1700000000;
	m.reloads = 4;
	m.reload_failures = 1;
	m.generation = 5;
	m.session_budget = 1000;
	m.open_fds = 17;
	m.routes = routes;
	m.nroutes = 2;
	m.upstreams = ups;
	m.nupstreams = 3;
}

START_TEST(test_prom_page)
{
	struct evbuffer	*b = evbuffer_new();
	char		*s, want[256], *help, *type, *sample;
	size_t		 i;

	snapshot();
	metrics_prom(b, &m);
	s = take(b);
	ck_assert_ptr_nonnull(strstr(s,
	    "# TYPE udproxy_build_info gauge\n"
	    "udproxy_build_info{version=\"1.2.3\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "\nudproxy_start_time_seconds "
	    "1700000000\n"));
	ck_assert_ptr_nonnull(strstr(s, "# TYPE udproxy_reloads_total counter"
	    "\nudproxy_reloads_total 4\n"));
	ck_assert_ptr_nonnull(strstr(s, "\nudproxy_reload_failures_total 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "\nudproxy_config_generation 5\n"));
	ck_assert_ptr_nonnull(strstr(s, "\nudproxy_session_budget 1000\n"));
	ck_assert_ptr_nonnull(strstr(s, "\nudproxy_open_fds 17\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "\nudproxy_rx_datagrams_total{route=\"dns\"} 7\n"
	    "udproxy_rx_datagrams_total{route=\"we\\\"ird\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "# TYPE udproxy_sessions_active gauge\n"
	    "udproxy_sessions_active{route=\"dns\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "\nudproxy_tx_bytes_total{route=\"dns\"} 12345\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "\nudproxy_drop_rcvbuf_total{route=\"we\\\"ird\"} 3\n"));
	/* Every counter of the list, HELP then TYPE then one per route. */
	for (i = 0; i < stats_ndescs; i++) {
		const char *suffix = stats_descs[i].kind == STATS_COUNTER ?
		    "_total" : "";
		snprintf(want, sizeof(want), "# HELP udproxy_%s%s ",
		    stats_descs[i].name, suffix);
		ck_assert_ptr_nonnull(help = strstr(s, want));
		snprintf(want, sizeof(want), "# TYPE udproxy_%s%s %s\n",
		    stats_descs[i].name, suffix,
		    *suffix != '\0' ? "counter" : "gauge");
		ck_assert_ptr_nonnull(type = strstr(s, want));
		snprintf(want, sizeof(want), "\nudproxy_%s%s{route=\"dns\"} ",
		    stats_descs[i].name, suffix);
		ck_assert_ptr_nonnull(sample = strstr(s, want));
		ck_assert(help < type && type < sample);
	}
	/* Per member: HELP, TYPE, one series per member of every route. */
	ck_assert_ptr_nonnull(strstr(s,
	    "# TYPE udproxy_upstream_rx_datagrams_total counter\n"
	    "udproxy_upstream_rx_datagrams_total{route=\"dns\","
	    "upstream=\"127.0.0.1:53\"} 5\n"
	    "udproxy_upstream_rx_datagrams_total{route=\"dns\","
	    "upstream=\"[::1]:53\"} 2\n"
	    "udproxy_upstream_rx_datagrams_total{route=\"we\\\"ird\","
	    "upstream=\"127.0.0.2:9\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(s, "\nudproxy_upstream_fails_total{"
	    "route=\"dns\",upstream=\"127.0.0.1:53\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s, "\nudproxy_upstream_check_downs_total{"
	    "route=\"dns\",upstream=\"[::1]:53\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "# TYPE udproxy_upstream_up gauge\n"
	    "udproxy_upstream_up{route=\"dns\",upstream=\"127.0.0.1:53\"} 1\n"
	    "udproxy_upstream_up{route=\"dns\",upstream=\"[::1]:53\"} 0\n"
	    "udproxy_upstream_up{route=\"we\\\"ird\","
	    "upstream=\"127.0.0.2:9\"} 1\n"));
	for (i = 0; i < stats_upstream_ndescs; i++) {
		const char *suffix = stats_upstream_descs[i].kind ==
		    STATS_COUNTER ? "_total" : "";
		snprintf(want, sizeof(want), "# HELP udproxy_upstream_%s%s ",
		    stats_upstream_descs[i].name, suffix);
		ck_assert_ptr_nonnull(help = strstr(s, want));
		snprintf(want, sizeof(want), "# TYPE udproxy_upstream_%s%s %s\n",
		    stats_upstream_descs[i].name, suffix,
		    *suffix != '\0' ? "counter" : "gauge");
		ck_assert_ptr_nonnull(type = strstr(s, want));
		snprintf(want, sizeof(want), "\nudproxy_upstream_%s%s{route="
		    "\"we\\\"ird\",upstream=\"127.0.0.2:9\"} ",
		    stats_upstream_descs[i].name, suffix);
		ck_assert_ptr_nonnull(sample = strstr(s, want));
		ck_assert(help < type && type < sample);
	}
	/* The reply latency is per member (a route's: sum by route). */
	ck_assert_ptr_nonnull(strstr(s,
	    "# TYPE udproxy_upstream_reply_latency_seconds histogram\n"
	    "udproxy_upstream_reply_latency_seconds_bucket{route=\"dns\","
	    "upstream=\"127.0.0.1:53\",le=\"0.000064\"} 1\n"
	    "udproxy_upstream_reply_latency_seconds_bucket{route=\"dns\","
	    "upstream=\"127.0.0.1:53\",le=\"0.000128\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "udproxy_upstream_reply_latency_seconds_bucket{route=\"dns\","
	    "upstream=\"127.0.0.1:53\",le=\"0.524288\"} 1\n"
	    "udproxy_upstream_reply_latency_seconds_bucket{route=\"dns\","
	    "upstream=\"127.0.0.1:53\",le=\"1.048576\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "udproxy_upstream_reply_latency_seconds_bucket{route=\"dns\","
	    "upstream=\"127.0.0.1:53\",le=\"+Inf\"} 2\n"
	    "udproxy_upstream_reply_latency_seconds_sum{route=\"dns\","
	    "upstream=\"127.0.0.1:53\"} 1.000050\n"
	    "udproxy_upstream_reply_latency_seconds_count{route=\"dns\","
	    "upstream=\"127.0.0.1:53\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "udproxy_upstream_reply_latency_seconds_count{route=\"dns\","
	    "upstream=\"[::1]:53\"} 1\n"));
	/* No series of the family without its member. */
	ck_assert_ptr_null(strstr(s,
	    "udproxy_upstream_reply_latency_seconds_count{route=\"dns\"}"));
	ck_assert_ptr_nonnull(strstr(s,
	    "udproxy_session_duration_seconds_bucket{route=\"dns\","
	    "le=\"1.024\"} 0\n"
	    "udproxy_session_duration_seconds_bucket{route=\"dns\","
	    "le=\"2.048\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "udproxy_session_duration_seconds_count{route=\"we\\\"ird\"} 0\n"));
	ck_assert_int_eq(s[strlen(s) - 1], '\n');
	free(s);
	evbuffer_free(b);
}
END_TEST

START_TEST(test_json_page)
{
	struct evbuffer	*b = evbuffer_new();
	char		*s, want[128];
	size_t		 i;

	snapshot();
	metrics_json(b, &m);
	s = take(b);
	ck_assert_ptr_nonnull(strstr(s, "{\"version\":\"1.2.3\","
	    "\"start_time_seconds\":1700000000,\"reloads_total\":4,"
	    "\"reload_failures_total\":1,\"config_generation\":5,"
	    "\"session_budget\":1000,\"open_fds\":17,"));
	ck_assert_ptr_nonnull(strstr(s, "\"routes\":[{\"name\":\"dns\","
	    "\"rx_datagrams\":7,"));
	ck_assert_ptr_nonnull(strstr(s, "{\"name\":\"we\\\"ird\","));
	for (i = 0; i < stats_ndescs; i++) {
		snprintf(want, sizeof(want), ",\"%s\":", stats_descs[i].name);
		ck_assert_ptr_nonnull(strstr(s, want));
	}
	ck_assert_ptr_nonnull(strstr(s, "\"upstream_reply_latency_seconds\":"
	    "{\"count\":3,\"sum\":1.000150,\"buckets\":[{\"le\":0.000064,"
	    "\"count\":1},{\"le\":0.000128,\"count\":2},"));
	ck_assert_ptr_nonnull(strstr(s, "\"session_duration_seconds\":"
	    "{\"count\":1,\"sum\":1.500,"));
	/* Each route lists its members. */
	ck_assert_ptr_nonnull(strstr(s, ",\"upstreams\":[{\"address\":"
	    "\"127.0.0.1:53\",\"member\":\"ns.example:53\",\"up\":true,"
	    "\"rx_datagrams\":5,"));
	ck_assert_ptr_nonnull(strstr(s, "},{\"address\":\"[::1]:53\","
	    "\"member\":\"ns.example:53\",\"up\":false,\"rx_datagrams\":2,"));
	ck_assert_ptr_nonnull(strstr(s, "\"fails\":2,"));
	ck_assert_ptr_nonnull(strstr(s, "\"check_ups\":0,"
	    "\"upstream_reply_latency_seconds\":{\"count\":2,"
	    "\"sum\":1.000050,"));
	for (i = 0; i < stats_upstream_ndescs; i++) {
		snprintf(want, sizeof(want), ",\"%s\":",
		    stats_upstream_descs[i].name);
		ck_assert_ptr_nonnull(strstr(s, want));
	}
	ck_assert_str_eq(s + strlen(s) - 6, "}]}]}\n");
	free(s);
	evbuffer_free(b);
}
END_TEST

/*
 * A page made in pieces is the page made whole, whatever the budget, and
 * each piece stops at the first series past its budget.
 */
static void
check_pieces(int json)
{
	struct evbuffer		*whole = evbuffer_new(), *b = evbuffer_new();
	struct evbuffer		*all = evbuffer_new();
	struct metrics_cursor	 c;
	static const size_t	 budgets[] = { 1, 100, 1000, 4096, 65536 };
	char			*w, *got;
	size_t			 i, n, len;
	int			 done;

	snapshot();
	if (json)
		metrics_json(whole, &m);
	else
		metrics_prom(whole, &m);
	w = take(whole);
	for (i = 0; i < sizeof(budgets) / sizeof(budgets[0]); i++) {
		memset(&c, 0, sizeof(c));
		n = 0;
		do {
			done = json ? metrics_json_step(b, &m, &c, budgets[i]) :
			    metrics_prom_step(b, &m, &c, budgets[i]);
			len = evbuffer_get_length(b);
			/* One series (a histogram: about 2.5 KiB) past it. */
			ck_assert_uint_lt(len, budgets[i] + 4096);
			if (!done)
				ck_assert_uint_ge(len, budgets[i]);
			evbuffer_add_buffer(all, b);
			n++;
		} while (!done);
		/* Done stays done. */
		ck_assert_int_eq(json ? metrics_json_step(b, &m, &c, 1) :
		    metrics_prom_step(b, &m, &c, 1), 1);
		ck_assert_uint_eq(evbuffer_get_length(b), 0);
		got = take(all);
		ck_assert_str_eq(got, w);
		free(got);
		if (budgets[i] == 1)
			ck_assert_uint_gt(n, json ? 5 : 20);
	}
	free(w);
	evbuffer_free(whole);
	evbuffer_free(b);
	evbuffer_free(all);
}

START_TEST(test_prom_pieces)
{
	check_pieces(0);
}
END_TEST

START_TEST(test_json_pieces)
{
	check_pieces(1);
}
END_TEST

/* No route: the families are still there, with no series. */
START_TEST(test_no_routes)
{
	struct evbuffer	*b = evbuffer_new();
	char		*s;

	snapshot();
	m.nroutes = 0;
	m.nupstreams = 0;
	metrics_prom(b, &m);
	s = take(b);
	ck_assert_ptr_nonnull(strstr(s, "# TYPE udproxy_upstream_up gauge\n"
	    "# HELP udproxy_upstream_reply_latency_seconds "));
	ck_assert_ptr_null(strstr(s, "route="));
	free(s);
	metrics_json(b, &m);
	s = take(b);
	ck_assert_str_eq(s + strlen(s) - 13, "\"routes\":[]}\n");
	free(s);
	evbuffer_free(b);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite	*s = suite_create("metrics");
	TCase	*tc = tcase_create("metrics");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_prom_label);
	tcase_add_test(tc, test_json_every_byte);
	tcase_add_test(tc, test_fixed);
	tcase_add_test(tc, test_prom_page);
	tcase_add_test(tc, test_json_page);
	tcase_add_test(tc, test_prom_pieces);
	tcase_add_test(tc, test_json_pieces);
	tcase_add_test(tc, test_no_routes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(metrics_suite());
	int	 failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0 ? 1 : 0;
}
