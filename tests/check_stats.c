/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * The stats endpoint through the real daemon: /metrics scraped with curl
 * and checked by a strict parser (tests/promcheck.py over the Python
 * prometheus_client), every counter equal to what the test sent and
 * received per route, histogram counts equal to the replies; /stats as
 * JSON; /sessions bounded and filtered; allow lists; the endpoint moved
 * by a reload and kept by a bad one; and abuse (many idle connections, a
 * slowloris) that must not slow a UDP client down.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"
#include "stats.h"
#include "stats_http.h"

static const char	*dir;
static char		 conf[256];

static struct daemon *
start(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static struct daemon *
start(const char *fmt, ...)
{
	char		 text[4096];
	va_list		 ap;
	struct daemon	*d;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	dir = h_tmpdir();
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	h_write_file(conf, "%s", text);
	d = daemon_start(dir, conf, NULL);
	ck_assert_msg(d != NULL, "daemon did not start");
	return d;
}

static void
rewrite(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
rewrite(const char *fmt, ...)
{
	char	text[4096];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	h_write_file(conf, "%s", text);
}

static void
stop(struct daemon *d)
{
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
}

/* A loopback TCP port nobody holds. */
static uint16_t
tcp_port(void)
{
	return h_free_port(AF_INET);	/* free for TCP too */
}

static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*s;
	long	 n;

	if (f == NULL)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	if (n > 0)
		ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

/*
 * GETs http://127.0.0.1:port/path with curl (extra: more curl options);
 * returns the status, 0 when there was no HTTP answer. The body is left
 * in dir/body.
 */
static int
http_get(uint16_t port, const char *path, const char *extra, char **body)
{
	char	cmd[1024], out[256], *code;
	int	rc;

	snprintf(out, sizeof(out), "%s/body", dir);
	snprintf(cmd, sizeof(cmd), "curl -s --max-time %d %s -o %s "
	    "-w '%%{http_code}' 'http://127.0.0.1:%u%s' > %s/code 2>/dev/null",
	    5 * h_slow(), extra != NULL ? extra : "", out, port, path, dir);
	rc = system(cmd);
	(void)rc;
	snprintf(cmd, sizeof(cmd), "%s/code", dir);
	code = slurp(cmd);
	rc = atoi(code);
	free(code);
	if (body != NULL)
		*body = slurp(out);
	return rc;
}

/* Runs tests/promcheck.py on dir/body; its output (caller frees). */
static char *
promcheck(const char *mode)
{
	char	cmd[1024], path[256];
	int	rc;

	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/tests/promcheck.py "
	    "%s < %s/body > %s/parsed", getenv("UDPROXY_SRCDIR"), mode, dir,
	    dir);
	rc = system(cmd);
	ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 0,
	    "promcheck %s failed (status %d)", mode, rc);
	snprintf(path, sizeof(path), "%s/parsed", dir);
	return slurp(path);
}

/* Scrapes /metrics, checks it strictly, returns the normalised samples. */
static char *
scrape(uint16_t port)
{
	char	*body;

	ck_assert_int_eq(http_get(port, "/metrics", NULL, &body), 200);
	free(body);
	return promcheck("");
}

/* The value of one normalised sample line ("name{labels}"), or -1. */
static long long
sample(const char *parsed, const char *key)
{
	char		 needle[512];
	const char	*p;

	snprintf(needle, sizeof(needle), "%s ", key);
	for (p = parsed; (p = strstr(p, needle)) != NULL; p++)
		if (p == parsed || p[-1] == '\n')
			return strtoll(p + strlen(needle), NULL, 10);
	return -1;
}

static long long
route_sample(const char *parsed, const char *name, const char *route)
{
	char	key[256];

	snprintf(key, sizeof(key), "udproxy_%s{route=\"%s\"}", name, route);
	return sample(parsed, key);
}

/* A member's sample: name{route="route",upstream="127.0.0.1:port"}. */
static long long
up_sample(const char *parsed, const char *name, const char *route,
    uint16_t port)
{
	char	key[256];

	snprintf(key, sizeof(key), "udproxy_%s{route=\"%s\",upstream="
	    "\"127.0.0.1:%u\"}", name, route, port);
	return sample(parsed, key);
}

/* Every counter of stats.h, for both routes, is exactly what we expect. */
static void
check_route(const char *parsed, const char *route, long long rx,
    long long rxb, long long tx, long long txb, long long created,
    long long active)
{
	char		 name[128];
	long long	 want;
	size_t		 i;

	for (i = 0; i < stats_ndescs; i++) {
		const char *n = stats_descs[i].name;

		snprintf(name, sizeof(name), "%s%s", n,
		    stats_descs[i].kind == STATS_COUNTER ? "_total" : "");
		if (strcmp(n, "rx_datagrams") == 0)
			want = rx;
		else if (strcmp(n, "rx_bytes") == 0)
			want = rxb;
		else if (strcmp(n, "tx_datagrams") == 0)
			want = tx;
		else if (strcmp(n, "tx_bytes") == 0)
			want = txb;
		else if (strcmp(n, "sessions_created") == 0)
			want = created;
		else if (strcmp(n, "sessions_active") == 0)
			want = active;
		else
			want = 0;
		ck_assert_msg(route_sample(parsed, name, route) == want,
		    "route %s: %s is %lld, expected %lld", route, name,
		    route_sample(parsed, name, route), want);
	}
}

START_TEST(metrics_match_traffic)
{
	struct mock	*ma = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	struct mock	*mb = mock_start(AF_INET, 0, MOCK_TWICE, NULL);
	uint16_t	 pa = h_free_port(AF_INET), pb = h_free_port(AF_INET);
	uint16_t	 hp = tcp_port();
	struct daemon	*d;
	char		*p, *j, *q, buf[256], msg[64], key[256];
	long long	 rxb = 0, now = (long long)time(NULL), sum_us, h[10];
	int		 ca, cb, i;

	d = start("stats = { listen = \"%u\"; };\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; },\n"
	    " { name = \"b\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", hp, pa, ma->port, pb,
	    mb->port);
	ca = client_open(AF_INET, pa);
	cb = client_open(AF_INET, pb);
	for (i = 0; i < 7; i++) {
		snprintf(msg, sizeof(msg), "ping %d%s", i, i % 2 ? "xx" : "");
		rxb += (long long)strlen(msg);
		ck_assert_int_eq(client_rt_str(ca, msg, buf, sizeof(buf),
		    2000), 0);
		ck_assert_str_eq(buf, msg);
	}
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(client_rt_str(cb, "twice", buf, sizeof(buf),
		    2000), 0);
		ck_assert_int_eq(client_recv(cb, buf, sizeof(buf), 2000), 5);
	}
	p = scrape(hp);
	check_route(p, "a", 7, rxb, 7, rxb, 1, 1);
	check_route(p, "b", 3, 15, 6, 30, 1, 1);
	/* One latency per request: the first reply after it. */
	ck_assert_int_eq(up_sample(p, "upstream_reply_latency_seconds_count",
	    "a", ma->port), 7);
	ck_assert_int_eq(up_sample(p, "upstream_reply_latency_seconds_count",
	    "b", mb->port), 3);
	snprintf(key, sizeof(key), "udproxy_upstream_reply_latency_seconds_"
	    "bucket{le=\"+Inf\",route=\"a\",upstream=\"127.0.0.1:%u\"}",
	    ma->port);
	ck_assert_int_eq(sample(p, key), 7);
	ck_assert_int_eq(route_sample(p, "session_duration_seconds_count",
	    "a"), 0);
	snprintf(key, sizeof(key), "udproxy_build_info{version=\"%s\"}",
	    PACKAGE_VERSION);
	ck_assert_int_eq(sample(p, key), 1);
	ck_assert_int_eq(sample(p, "udproxy_reloads_total{}"), 0);
	ck_assert_int_eq(sample(p, "udproxy_reload_failures_total{}"), 0);
	ck_assert_int_eq(sample(p, "udproxy_config_generation{}"), 1);
	ck_assert(sample(p, "udproxy_start_time_seconds{}") >= now - 60);
	ck_assert(sample(p, "udproxy_start_time_seconds{}") <= now + 1);
	ck_assert_int_gt(sample(p, "udproxy_session_budget{}"), 0);
	/* Listeners, sessions, the HTTP socket and its connection at least. */
	ck_assert_int_ge(sample(p, "udproxy_open_fds{}"), 6);
	free(p);

	/* The same figures as JSON. */
	ck_assert_int_eq(http_get(hp, "/stats", NULL, &j), 200);
	free(j);
	j = promcheck("--json");
	ck_assert_ptr_nonnull(strstr(j, "\nroutes.a.rx_datagrams=7\n"));
	ck_assert_ptr_nonnull(strstr(j, "\nroutes.b.tx_datagrams=6\n"));
	ck_assert_ptr_nonnull(strstr(j, "\nroutes.b.tx_bytes=30\n"));
	ck_assert_ptr_nonnull(strstr(j,
	    "\nroutes.a.upstream_reply_latency_seconds.count=7\n"));
	ck_assert_ptr_nonnull(strstr(j, "\nconfig_generation=1\n"));
	ck_assert_ptr_nonnull(q = strstr(j,
	    "\nroutes.a.upstream_reply_latency_seconds.sum="));
	sum_us = (long long)(strtod(strchr(q, '=') + 1, NULL) * 1e6 + 0.5);
	free(j);

	/* SIGUSR1: after each route's counters, its histograms. */
	daemon_signal(d, SIGUSR1);
	ck_assert_int_eq(daemon_wait_log(d, "route b: histograms ", 1, 3000),
	    0);
	j = daemon_log_read(d);
	ck_assert_ptr_nonnull(q = strstr(j, "route a: histograms "));
	ck_assert_int_eq(sscanf(q, "route a: histograms latency_us count=%lld "
	    "sum=%lld p50=%lld p90=%lld p99=%lld duration_ms count=%lld "
	    "sum=%lld p50=%lld p90=%lld p99=%lld", &h[0], &h[1], &h[2], &h[3],
	    &h[4], &h[5], &h[6], &h[7], &h[8], &h[9]), 10);
	ck_assert_int_eq(h[0], 7);
	ck_assert_int_eq(h[1], sum_us);
	ck_assert(0 < h[2] && h[2] <= h[3] && h[3] <= h[4]);
	/* No estimate past the bound above the slowest (at most the sum). */
	ck_assert_int_le(h[4], 2 * sum_us + 16);
	ck_assert_int_eq(h[5], 0);
	ck_assert_int_eq(h[6], 0);
	ck_assert_int_eq(h[9], 0);
	ck_assert_ptr_nonnull(strstr(j, "route b: histograms latency_us "
	    "count=3 "));
	free(j);

	/* Idle sessions end on shutdown... here, by a reload removing b. */
	rewrite("stats = { listen = \"%u\"; };\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", hp, pa, ma->port);
	ck_assert_int_eq(daemon_reload(d), 0);
	p = scrape(hp);
	ck_assert_int_eq(sample(p, "udproxy_reloads_total{}"), 1);
	ck_assert_int_eq(sample(p, "udproxy_config_generation{}"), 2);
	ck_assert_int_eq(route_sample(p, "rx_datagrams_total", "b"), -1);
	ck_assert_int_eq(route_sample(p, "rx_datagrams_total", "a"), 7);
	free(p);
	close(ca);
	close(cb);
	stop(d);
	mock_stop(ma);
	mock_stop(mb);
}
END_TEST

/* What one member of a pool was sent and sent back, as the test saw it. */
struct member_traffic {
	long long	rx, rxb, tx, txb, sessions;
};

/*
 * Every per-member counter of stats.h is what the member was sent and
 * sent back (its other counters 0), and it is up.
 */
static void
check_member(const char *parsed, const char *route, uint16_t port,
    const struct member_traffic *t)
{
	char		 name[128];
	long long	 want, got;
	size_t		 i;

	for (i = 0; i < stats_upstream_ndescs; i++) {
		const char *n = stats_upstream_descs[i].name;

		snprintf(name, sizeof(name), "upstream_%s%s", n,
		    stats_upstream_descs[i].kind == STATS_COUNTER ?
		    "_total" : "");
		if (strcmp(n, "rx_datagrams") == 0)
			want = t->rx;
		else if (strcmp(n, "rx_bytes") == 0)
			want = t->rxb;
		else if (strcmp(n, "tx_datagrams") == 0)
			want = t->tx;
		else if (strcmp(n, "tx_bytes") == 0)
			want = t->txb;
		else if (strcmp(n, "sessions_created") == 0 ||
		    strcmp(n, "sessions_active") == 0)
			want = t->sessions;
		else
			want = 0;
		got = up_sample(parsed, name, route, port);
		ck_assert_msg(got == want, "member %u: %s is %lld, expected "
		    "%lld", port, name, got, want);
	}
	ck_assert_int_eq(up_sample(parsed, "upstream_up", route, port), 1);
	/* One reply per request: one latency each. */
	ck_assert_int_eq(up_sample(parsed,
	    "upstream_reply_latency_seconds_count", route, port), t->tx);
}

/*
 * SIGUSR1's line for the member on port (after n earlier ones) has what
 * it was sent and sent back, and one latency per reply.
 */
static void
check_member_line(struct daemon *d, const char *route, uint16_t port,
    const struct member_traffic *t, int up)
{
	char	 head[128], want[512], *log, *line;
	int	 n;

	snprintf(head, sizeof(head), "route %s: upstream 127.0.0.1:%u "
	    "(127.0.0.1:%u) ", route, port, port);
	n = daemon_log_count(d, head);
	daemon_signal(d, SIGUSR1);
	ck_assert_int_eq(daemon_wait_log(d, head, n + 1, 3000), 0);
	log = daemon_log_read(d);
	for (line = strstr(log, head); strstr(line + 1, head) != NULL; )
		line = strstr(line + 1, head);
	*strchrnul(line, '\n') = '\0';
	snprintf(want, sizeof(want), "%sup=%d rx_datagrams=%lld rx_bytes=%lld "
	    "tx_datagrams=%lld tx_bytes=%lld sessions_active=%lld "
	    "sessions_created=%lld sessions_moved=0 send_errors=0 refusals=0 "
	    "fails=0 passive_downs=0 check_downs=0 check_ups=0 latency_us "
	    "count=%lld sum=", head, up, t->rx, t->rxb, t->tx, t->txb,
	    t->sessions, t->sessions, t->tx);
	ck_assert_msg(strncmp(line, want, strlen(want)) == 0, "%s, not %s",
	    line, want);
	free(log);
}

/*
 * Per-member figures across a pool of two: exact counts for known
 * traffic, the latency histogram's count equal to each member's replies,
 * their sums the route's; a member that refuses fails and goes down; a
 * member a reload removes loses its series.
 */
START_TEST(metrics_per_upstream)
{
	struct mock		*m[2];
	struct member_traffic	 t[2];
	uint16_t		 lp = h_free_port(AF_INET), hp = tcp_port();
	uint16_t		 port[2];
	struct daemon		*d;
	char			 msg[64], buf[256], tag[32], echo[200], *p;
	unsigned int		 peer;
	int			 c[4], i, j, k, on[4];
	ssize_t			 n;
	long long		 fails;

	m[0] = mock_start(AF_INET, 0, MOCK_PEER, "a");
	m[1] = mock_start(AF_INET, 0, MOCK_PEER, "b");
	port[0] = m[0]->port;
	port[1] = m[1]->port;
	memset(t, 0, sizeof(t));
	d = start("stats = { listen = \"%u\"; };\n"
	    "routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\";\n"
	    "  upstreams = ( \"127.0.0.1:%u\", \"127.0.0.1:%u\" ); } );\n",
	    hp, lp, port[0], port[1]);
	/* Client i sends i + 1 datagrams of its own length, each answered. */
	for (i = 0; i < 4; i++) {
		c[i] = client_open(AF_INET, lp);
		for (j = 0; j <= i; j++) {
			snprintf(msg, sizeof(msg), "c%d-%d%.*s", i, j, i * 3,
			    "xxxxxxxxxxxxxxx");
			ck_assert_int_eq(send(c[i], msg, strlen(msg), 0),
			    (ssize_t)strlen(msg));
			n = client_recv(c[i], buf, sizeof(buf) - 1, 2000);
			ck_assert_int_gt(n, 0);
			buf[n] = '\0';
			ck_assert_int_eq(sscanf(buf, "%31s %u %199s", tag,
			    &peer, echo), 3);
			ck_assert_str_eq(echo, msg);
			k = strcmp(tag, "a") == 0 ? 0 : 1;
			if (j == 0) {
				on[i] = k;
				t[k].sessions++;
			}
			ck_assert_int_eq(k, on[i]);
			t[k].rx++;
			t[k].rxb += (long long)strlen(msg);
			t[k].tx++;
			t[k].txb += n;
		}
	}
	/* Round robin over two: each member has two of the four clients. */
	ck_assert_int_eq(t[0].sessions, 2);
	ck_assert_int_eq(t[1].sessions, 2);
	p = scrape(hp);
	check_member(p, "r", port[0], &t[0]);
	check_member(p, "r", port[1], &t[1]);
	ck_assert_int_eq(route_sample(p, "rx_datagrams_total", "r"),
	    t[0].rx + t[1].rx);
	ck_assert_int_eq(route_sample(p, "tx_bytes_total", "r"),
	    t[0].txb + t[1].txb);
	free(p);
	/* The same in SIGUSR1's line per member. */
	check_member_line(d, "r", port[0], &t[0], 1);
	check_member_line(d, "r", port[1], &t[1], 1);

	/* The same per member in /stats, under its route. */
	ck_assert_int_eq(http_get(hp, "/stats", NULL, &p), 200);
	free(p);
	p = promcheck("--json");
	snprintf(buf, sizeof(buf), "\nroutes.r.upstreams.%d.address="
	    "\"127.0.0.1:%u\"\n", 1, port[1]);
	ck_assert_msg(strstr(p, buf) != NULL, "no %s in %s", buf, p);
	snprintf(buf, sizeof(buf), "\nroutes.r.upstreams.1.tx_bytes=%lld\n",
	    t[1].txb);
	ck_assert_ptr_nonnull(strstr(p, buf));
	snprintf(buf, sizeof(buf), "\nroutes.r.upstreams.0.upstream_reply_"
	    "latency_seconds.count=%lld\n", t[0].tx);
	ck_assert_ptr_nonnull(strstr(p, buf));
	ck_assert_ptr_nonnull(strstr(p, "\nroutes.r.upstreams.0.up=true\n"));
	free(p);

	/* b goes away: the next datagram to it is refused, b goes down. */
	mock_stop(m[1]);
	for (k = 0; k < 4 && on[k] != 1; k++)
		;
	ck_assert_int_lt(k, 4);
	ck_assert_int_eq(send(c[k], "dead", 4, 0), 4);
	t[1].rx++;
	t[1].rxb += 4;
	for (i = 0, fails = 0; i < 50 * h_slow() && fails == 0; i++) {
		p = scrape(hp);
		fails = up_sample(p, "upstream_fails_total", "r", port[1]);
		if (fails == 0) {
			free(p);
			h_sleep_ms(100);
		}
	}
	ck_assert_int_eq(fails, 1);
	ck_assert_int_eq(up_sample(p, "upstream_refusals_total", "r",
	    port[1]), 1);
	ck_assert_int_eq(up_sample(p, "upstream_passive_downs_total", "r",
	    port[1]), 1);
	ck_assert_int_eq(up_sample(p, "upstream_up", "r", port[1]), 0);
	ck_assert_int_eq(up_sample(p, "upstream_rx_datagrams_total", "r",
	    port[1]), t[1].rx);
	ck_assert_int_eq(up_sample(p, "upstream_rx_bytes_total", "r",
	    port[1]), t[1].rxb);
	ck_assert_int_eq(route_sample(p, "upstream_downs_total", "r"), 1);
	/* a saw nothing of it. */
	check_member(p, "r", port[0], &t[0]);
	free(p);

	/* A reload drops b: its series go, a's stay as they were. */
	rewrite("stats = { listen = \"%u\"; };\n"
	    "routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\";\n"
	    "  upstreams = ( \"127.0.0.1:%u\" ); } );\n", hp, lp, port[0]);
	ck_assert_int_eq(daemon_reload(d), 0);
	p = scrape(hp);
	check_member(p, "r", port[0], &t[0]);
	ck_assert_int_eq(up_sample(p, "upstream_rx_datagrams_total", "r",
	    port[1]), -1);
	ck_assert_int_eq(up_sample(p, "upstream_up", "r", port[1]), -1);
	ck_assert_int_eq(up_sample(p, "upstream_reply_latency_seconds_count",
	    "r", port[1]), -1);
	ck_assert_ptr_null(strstr(p, buf));
	free(p);
	for (i = 0; i < 4; i++)
		close(c[i]);
	stop(d);
	mock_stop(m[0]);
}
END_TEST

/*
 * workers = 2: each worker counts its own clients; /metrics shows the
 * sums, per route and per member, exactly (and the latency histogram of
 * each member counts its replies), whichever worker a client landed on.
 */
START_TEST(metrics_summed_over_workers)
{
	struct mock		*m[2];
	struct member_traffic	 t[2];
	uint16_t		 lp = h_free_port(AF_INET), hp = tcp_port();
	struct daemon		*d;
	struct h_run		 r;
	char			 msg[64], buf[256], tag[32], echo[200], *p;
	char			 key[256], sock[100];
	unsigned int		 peer;
	int			 c[40], i, j, k;
	long			 w[2];
	ssize_t			 n;

	m[0] = mock_start(AF_INET, 0, MOCK_PEER, "a");
	m[1] = mock_start(AF_INET, 0, MOCK_PEER, "b");
	memset(t, 0, sizeof(t));
	snprintf(sock, sizeof(sock), "%s/ctl.sock", h_tmpdir());
	d = start("workers = 2;\ncontrol = \"%s\";\n"
	    "stats = { listen = \"%u\"; };\n"
	    "routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\";\n"
	    "  upstreams = ( \"127.0.0.1:%u\", \"127.0.0.1:%u\" ); } );\n",
	    sock, hp, lp, m[0]->port, m[1]->port);
	for (i = 0; i < 40; i++) {
		c[i] = client_open(AF_INET, lp);
		for (j = 0; j < 2; j++) {
			snprintf(msg, sizeof(msg), "c%d-%d", i, j);
			ck_assert_int_eq(send(c[i], msg, strlen(msg), 0),
			    (ssize_t)strlen(msg));
			n = client_recv(c[i], buf, sizeof(buf) - 1, 2000);
			ck_assert_int_gt(n, 0);
			buf[n] = '\0';
			ck_assert_int_eq(sscanf(buf, "%31s %u %199s", tag,
			    &peer, echo), 3);
			ck_assert_str_eq(echo, msg);
			k = strcmp(tag, "a") == 0 ? 0 : 1;
			t[k].sessions += j == 0;
			t[k].rx++;
			t[k].rxb += (long long)strlen(msg);
			t[k].tx++;
			t[k].txb += n;
		}
	}
	/*
	 * Two workers run and both serve (the kernel's hash puts all 40
	 * clients on one of them once in 2^39 runs): the sums below are
	 * over two instances, not one.
	 */
	h_run(&r, dir, "-s", "status", "-c", conf, (char *)NULL);
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out, "\nworkers 2\n") != NULL, "%s", r.out);
	for (k = 0; k < 2; k++) {
		snprintf(key, sizeof(key), "\nworker %d sessions ", k);
		ck_assert_msg((p = strstr(r.out, key)) != NULL, "%s", r.out);
		w[k] = strtol(p + strlen(key), NULL, 10);
		ck_assert_msg(w[k] > 0, "%s", r.out);
	}
	ck_assert_int_eq(w[0] + w[1], 40);
	ck_assert_ptr_null(strstr(r.out, "\nworker 2 "));
	p = scrape(hp);
	check_member(p, "r", m[0]->port, &t[0]);
	check_member(p, "r", m[1]->port, &t[1]);
	check_route(p, "r", 80, t[0].rxb + t[1].rxb, 80, t[0].txb + t[1].txb,
	    40, 40);
	for (k = 0; k < 2; k++) {
		snprintf(key, sizeof(key), "udproxy_upstream_reply_latency_"
		    "seconds_count{route=\"r\",upstream=\"127.0.0.1:%u\"}",
		    m[k]->port);
		ck_assert_int_eq(sample(p, key), t[k].tx);
	}
	free(p);
	check_member_line(d, "r", m[0]->port, &t[0], 1);
	check_member_line(d, "r", m[1]->port, &t[1], 1);
	for (i = 0; i < 40; i++)
		close(c[i]);
	stop(d);
	mock_stop(m[0]);
	mock_stop(m[1]);
}
END_TEST

/*
 * Active health checks: a member that stops answering is counted down
 * once (check_downs, up 0), back once it answers again (check_ups, up 1).
 */
START_TEST(metrics_health_checks)
{
	struct mock	*m1 = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	/* A port of our slot: it is rebound below, and must still be free. */
	struct mock	*m2 = mock_start(AF_INET, h_free_port(AF_INET), MOCK_ECHO,
			    NULL);
	uint16_t	 lp = h_free_port(AF_INET), hp = tcp_port();
	uint16_t	 p2 = m2->port;
	struct daemon	*d;
	char		 want[160], *p;

	d = start("stats = { listen = \"%u\"; };\n"
	    "routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\";\n"
	    "  upstreams = ( \"127.0.0.1:%u\", \"127.0.0.1:%u\" );\n"
	    "  health_check = { interval = 0.1; timeout = 0.05;\n"
	    "    send = \"ping\"; rise = 2; fall = 2; }; } );\n", hp, lp,
	    m1->port, p2);
	p = scrape(hp);
	ck_assert_int_eq(up_sample(p, "upstream_up", "r", p2), 1);
	ck_assert_int_eq(up_sample(p, "upstream_check_downs_total", "r", p2),
	    0);
	free(p);
	mock_stop(m2);
	snprintf(want, sizeof(want), "route r: upstream 127.0.0.1:%u is down "
	    "(health check: 2 misses", p2);
	ck_assert_int_eq(daemon_wait_log(d, want, 1, 5000 * h_slow()), 0);
	p = scrape(hp);
	ck_assert_int_eq(up_sample(p, "upstream_up", "r", p2), 0);
	ck_assert_int_eq(up_sample(p, "upstream_check_downs_total", "r", p2),
	    1);
	ck_assert_int_eq(up_sample(p, "upstream_check_ups_total", "r", p2), 0);
	ck_assert_int_eq(up_sample(p, "upstream_up", "r", m1->port), 1);
	ck_assert_int_eq(up_sample(p, "upstream_check_downs_total", "r",
	    m1->port), 0);
	free(p);
	m2 = mock_start(AF_INET, p2, MOCK_ECHO, NULL);
	ck_assert_ptr_nonnull(m2);
	snprintf(want, sizeof(want), "route r: upstream 127.0.0.1:%u is up "
	    "(health check: 2 successes)", p2);
	ck_assert_int_eq(daemon_wait_log(d, want, 1, 5000 * h_slow()), 0);
	p = scrape(hp);
	ck_assert_int_eq(up_sample(p, "upstream_up", "r", p2), 1);
	ck_assert_int_eq(up_sample(p, "upstream_check_downs_total", "r", p2),
	    1);
	ck_assert_int_eq(up_sample(p, "upstream_check_ups_total", "r", p2), 1);
	/* Checks are not traffic. */
	ck_assert_int_eq(up_sample(p, "upstream_rx_datagrams_total", "r", p2),
	    0);
	free(p);
	stop(d);
	mock_stop(m1);
	mock_stop(m2);
}
END_TEST

/* Sessions show up most recent first, bounded, filtered by route. */
START_TEST(sessions_page)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET), hp = tcp_port();
	struct daemon	*d;
	char		*b, *j, buf[64], want[256];
	int		 c[3], i;
	struct sockaddr_in sin;
	socklen_t	 len;

	d = start("stats = { listen = \"127.0.0.1:%u\"; };\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", hp, pa, m->port);
	for (i = 0; i < 3; i++) {
		c[i] = client_open(AF_INET, pa);
		ck_assert_int_eq(client_rt_str(c[i], i == 2 ? "last!" : "hi",
		    buf, sizeof(buf), 2000), 0);
	}
	ck_assert_int_eq(http_get(hp, "/sessions?route=a", NULL, &b), 200);
	free(b);
	j = promcheck("--json");
	ck_assert_ptr_nonnull(strstr(j, "sessions.0.route=\"a\"\n"));
	ck_assert_ptr_nonnull(strstr(j, "sessions.2.route=\"a\"\n"));
	ck_assert_ptr_null(strstr(j, "sessions.3."));
	ck_assert_ptr_nonnull(strstr(j, "truncated=false"));
	/* The most recent first: client 2, with its 5 bytes each way. */
	len = sizeof(sin);
	getsockname(c[2], (struct sockaddr *)&sin, &len);
	snprintf(want, sizeof(want), "sessions.0.client=\"127.0.0.1:%u\"\n",
	    ntohs(sin.sin_port));
	ck_assert_ptr_nonnull(strstr(j, want));
	snprintf(want, sizeof(want), "sessions.0.local=\"127.0.0.1:%u\"\n"
	    "sessions.0.upstream=\"127.0.0.1:%u\"\n", pa, m->port);
	ck_assert_ptr_nonnull(strstr(j, want));
	ck_assert_ptr_nonnull(strstr(j, "sessions.0.rx_datagrams=1\n"
	    "sessions.0.rx_bytes=5\nsessions.0.tx_datagrams=1\n"
	    "sessions.0.tx_bytes=5\n"));
	free(j);
	ck_assert_int_eq(http_get(hp, "/sessions?route=a&limit=2", NULL, &b),
	    200);
	free(b);
	j = promcheck("--json");
	ck_assert_ptr_nonnull(strstr(j, "sessions.1.route"));
	ck_assert_ptr_null(strstr(j, "sessions.2."));
	ck_assert_ptr_nonnull(strstr(j, "truncated=true"));
	free(j);
	ck_assert_int_eq(http_get(hp, "/sessions?limit=0", NULL, &b), 200);
	ck_assert_str_eq(b, "{\"sessions\":[],\"truncated\":true}\n");
	free(b);
	ck_assert_int_eq(http_get(hp, "/sessions?route=nope", NULL, NULL), 404);
	ck_assert_int_eq(http_get(hp, "/sessions?limit=x", NULL, NULL), 400);
	ck_assert_int_eq(http_get(hp, "/sessions?limit=10001", NULL, NULL),
	    400);
	ck_assert_int_eq(http_get(hp, "/", NULL, NULL), 404);
	/* evhttp answers methods it is told to refuse with 501. */
	ck_assert_int_eq(http_get(hp, "/metrics", "-X POST", NULL), 501);
	ck_assert_int_eq(http_get(hp, "/metrics", "-I", NULL), 200);
	for (i = 0; i < 3; i++)
		close(c[i]);
	stop(d);
	mock_stop(m);
}
END_TEST

/* Peers outside allow get no answer; the list follows reloads. */
/* /blocks lists the sources under a dynamic block, with the time left. */
START_TEST(blocks_page)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET), hp = tcp_port();
	struct daemon	*d;
	char		*b;
	int		 fd, i;

	d = start("stats = { listen = \"127.0.0.1:%u\"; };\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; per_client = { rate = 10; }; "
	    "block = { threshold = 2; seconds = 60; }; } );\n", hp, pa,
	    m->port);
	ck_assert_int_eq(http_get(hp, "/blocks", NULL, &b), 200);
	ck_assert_str_eq(b, "{\"blocks\":[],\"truncated\":false}\n");
	free(b);
	fd = client_open_from("127.0.0.9", "127.0.0.1", pa);
	ck_assert_int_ne(fd, -1);
	for (i = 0; i < 40; i++)
		send(fd, "f", 1, 0);
	ck_assert_int_eq(daemon_wait_log(d, "blocking 127.0.0.9/32", 1,
	    3000), 0);
	ck_assert_int_eq(http_get(hp, "/blocks", NULL, &b), 200);
	ck_assert_msg(strncmp(b, "{\"blocks\":[{\"route\":\"a\","
	    "\"source\":\"127.0.0.9/32\",\"remaining_ms\":", 63) == 0 &&
	    strstr(b, "}],\"truncated\":false}\n") != NULL, "%s", b);
	free(b);
	close(fd);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
	mock_stop(m);
}
END_TEST

START_TEST(allow_list)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET), hp = tcp_port();
	struct daemon	*d;

	d = start("stats = { listen = \"%u\"; allow = [ \"10.0.0.0/8\" ]; };\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", hp, pa, m->port);
	ck_assert_int_eq(http_get(hp, "/metrics", NULL, NULL), 0);
	ck_assert_int_eq(daemon_wait_log(d, "stats: connection from "
	    "127.0.0.1:", 1, 3000), 0);
	ck_assert_int_eq(daemon_log_count(d, "denied by allow"), 1);
	rewrite("stats = { listen = \"%u\"; allow = [ \"127.0.0.1/32\" ]; };\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", hp, pa, m->port);
	ck_assert_int_eq(daemon_reload(d), 0);
	ck_assert_int_eq(http_get(hp, "/metrics", NULL, NULL), 200);
	stop(d);
	mock_stop(m);
}
END_TEST

/* A reload moves the endpoint; a bad stats block keeps the old one. */
START_TEST(reload_moves_endpoint)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET), h1 = tcp_port();
	uint16_t	 h2 = tcp_port();
	struct daemon	*d;
	char		*p;

	d = start("stats = { listen = \"%u\"; };\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", h1, pa, m->port);
	ck_assert_int_eq(http_get(h1, "/metrics", NULL, NULL), 200);
	rewrite("stats = { listen = \"127.0.0.1:%u\"; };\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", h2, pa, m->port);
	ck_assert_int_eq(daemon_reload(d), 0);
	ck_assert_int_eq(http_get(h1, "/metrics", NULL, NULL), 0);
	p = scrape(h2);
	ck_assert_int_eq(sample(p, "udproxy_reloads_total{}"), 1);
	free(p);
	/* Bad: the reload fails as a whole, the endpoint stays. */
	rewrite("stats = { listen = \"127.0.0.1:%u\";\n"
	    "  allow = [ \"127.0.0.1/33\" ]; };\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", h1, pa, m->port);
	ck_assert_int_eq(daemon_reload(d), -1);
	ck_assert_int_eq(daemon_log_count(d, "udproxy.conf:2: stats: allow: "
	    "'127.0.0.1/33': prefix length 33 is over 32"), 1);
	p = scrape(h2);
	ck_assert_int_eq(sample(p, "udproxy_reload_failures_total{}"), 1);
	ck_assert_int_eq(sample(p, "udproxy_config_generation{}"), 2);
	free(p);
	ck_assert_int_eq(http_get(h1, "/metrics", NULL, NULL), 0);
	/* A port held by someone else fails the reload too. */
	rewrite("stats = { listen = \"127.0.0.1:%u\"; };\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", h2 + 0, pa, m->port);
	ck_assert_int_eq(daemon_reload(d), 0);	/* same address: kept */
	/* No stats block: the endpoint closes. */
	rewrite("routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", pa, m->port);
	ck_assert_int_eq(daemon_reload(d), 0);
	ck_assert_int_eq(http_get(h2, "/metrics", NULL, NULL), 0);
	stop(d);
	mock_stop(m);
}
END_TEST

static int
tcp_connect(uint16_t port)
{
	struct sockaddr_in	sin;
	int			fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long	x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static long long
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The 99th percentile of n round trips, in microseconds. */
static long long
p99_rtt(int c, int n)
{
	long long	*t = calloc((size_t)n, sizeof(*t)), t0, r;
	char		 buf[64];
	int		 i;

	for (i = 0; i < n; i++) {
		t0 = now_us();
		ck_assert_int_eq(client_rt_str(c, "stream", buf, sizeof(buf),
		    2000), 0);
		t[i] = now_us() - t0;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_ll);
	r = t[n * 99 / 100];
	free(t);
	return r;
}

#define IDLE_CONNS	1000

/*
 * 1000 idle connections and a slowloris (a header byte every 200 ms)
 * hold the endpoint while a UDP client streams: the endpoint takes at
 * most STATS_HTTP_MAX_CONNS, the daemon's descriptors stay bounded, the
 * client's p99 stays near its baseline, idle connections are closed
 * after the timeout, and once the flood is gone the endpoint answers.
 */
START_TEST(abuse_does_not_stall_forwarding)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET), hp = tcp_port();
	struct daemon	*d;
	static int	 conns[IDLE_CONNS];
	long long	 base, loaded, deadline;
	int		 c, i, fds0, slow, closed;
	char		 b;
	struct rlimit	 rl;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < IDLE_CONNS + 100) {
		rl.rlim_cur = rl.rlim_max < IDLE_CONNS + 100 ? rl.rlim_max :
		    IDLE_CONNS + 100;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	d = start("stats = { listen = \"%u\"; };\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", hp, pa, m->port);
	c = client_open(AF_INET, pa);
	base = p99_rtt(c, 300);
	fds0 = daemon_fd_count(d);

	slow = tcp_connect(hp);
	ck_assert_int_ne(slow, -1);
	for (i = 0; i < IDLE_CONNS; i++)
		conns[i] = tcp_connect(hp);
	h_sleep_ms(200);
	/* The slowloris: a request that never ends, a byte at a time. */
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(write(slow, i == 0 ? "G" : "E", 1), 1);
		loaded = p99_rtt(c, 30);
		(void)loaded;
	}
	/* The best of three: a loaded 2-core machine has its own hiccups. */
	loaded = p99_rtt(c, 300);
	for (i = 0; i < 2; i++) {
		long long again = p99_rtt(c, 300);
		loaded = again < loaded ? again : loaded;
	}
	ck_assert_int_le(daemon_fd_count(d), fds0 + STATS_HTTP_MAX_CONNS + 1);
	ck_assert_msg(loaded <= 2 * base + 5000 * h_slow(),
	    "p99 %lld us under abuse, %lld us before", loaded, base);

	/* Idle connections that got a slot are closed after the timeout. */
	deadline = now_us() + (STATS_HTTP_TIMEOUT_S + 5LL) * 1000000 * h_slow();
	closed = 0;
	while (now_us() < deadline && closed == 0) {
		for (i = 0; i < IDLE_CONNS && closed == 0; i++)
			if (conns[i] != -1 && read(conns[i], &b, 1) == 0)
				closed = 1;
		h_sleep_ms(100);
	}
	ck_assert_msg(closed, "no idle connection was closed by the timeout");
	close(slow);
	for (i = 0; i < IDLE_CONNS; i++)
		if (conns[i] != -1)
			close(conns[i]);
	/* Slots come back: the endpoint serves again. */
	deadline = now_us() + 5000000LL * h_slow();
	while (http_get(hp, "/metrics", NULL, NULL) != 200 &&
	    now_us() < deadline)
		h_sleep_ms(100);
	ck_assert_int_eq(http_get(hp, "/metrics", NULL, NULL), 200);
	/*
	 * The kernel keeps completing handshakes of the flood for seconds
	 * (retransmissions); each takes a slot for a moment, never more.
	 */
	ck_assert_int_le(daemon_fd_count(d), fds0 + STATS_HTTP_MAX_CONNS + 1);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

/*
 * Many scrapes over one keep-alive connection, as Prometheus does: every
 * one answered (the slot sweep once took a reply being written for a
 * closed connection and cut it).
 */
START_TEST(keepalive_scrapes)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET), hp = tcp_port();
	struct daemon	*d;
	char		 cmd[1024], path[256], *out;
	int		 rc;

	d = start("stats = { listen = \"%u\"; };\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", hp, pa, m->port);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/tests/promcheck.py "
	    "--hammer %u 2 > %s/hammer", getenv("UDPROXY_SRCDIR"), hp, dir);
	rc = system(cmd);
	snprintf(path, sizeof(path), "%s/hammer", dir);
	out = slurp(path);
	ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 0,
	    "keep-alive scrapes failed after %s", out);
	/* Enough to span several sweeps of the connection slots. */
	ck_assert_int_ge(atoi(out), 20);
	free(out);
	stop(d);
	mock_stop(m);
}
END_TEST

#define HUGE_ROUTES	5000

/* A configuration of HUGE_ROUTES routes: r0 on port pa, the rest on pb. */
static void
write_huge(uint16_t hp, uint16_t pa, uint16_t pb, uint16_t up)
{
	FILE	*f = fopen(conf, "w");
	int	 i;

	ck_assert_ptr_nonnull(f);
	fprintf(f, "stats = { listen = \"%u\"; };\nroutes = (\n"
	    "  { name = \"r0\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; }", hp, pa, up);
	/* 127.0.0.0/8 is all loopback: one port, many addresses. */
	for (i = 1; i < HUGE_ROUTES; i++)
		fprintf(f, ",\n  { name = \"r%d\"; listen = \"127.1.%d.%d:%u\"; "
		    "upstream = \"127.0.0.1:%u\"; }", i, i / 250, i % 250 + 1,
		    pb, up);
	fprintf(f, " );\n");
	ck_assert_int_eq(fclose(f), 0);
}

/*
 * /metrics of 5,000 routes (tens of MB) is streamed in chunks: a UDP
 * client keeps its round trips short while the page is scraped (built
 * whole, it held the loop for the whole page: 176 ms here, against 25 ms
 * streamed, most of it the snapshot), the page parses strictly and has
 * every route; scrapers that stop reading hold a stream slot each, the
 * next is told 503, and slots come back when they leave; a reload that
 * frees the routes mid-page does not cut the page short.
 */
START_TEST(huge_metrics_streams)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET), pb = h_free_port(AF_INET);
	uint16_t	 hp = tcp_port();
	struct daemon	*d;
	struct pollfd	 pfd;
	FILE		*f;
	char		 cmd[1024], res[256], buf[64], *p;
	const char	*req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	long long	 t0, rtt, worst = 0, size = 0, deadline;
	int		 c, i, code = 0, during = 0, before, hang[STATS_HTTP_MAX_STREAMS];
	double		 took = 0;

	dir = h_tmpdir();
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	write_huge(hp, pa, pb, m->port);
	d = daemon_start(dir, conf, NULL);
	ck_assert_msg(d != NULL, "daemon did not start");
	c = client_open(AF_INET, pa);
	for (before = 0; before < 20; before++)
		ck_assert_int_eq(client_rt_str(c, "stream", buf, sizeof(buf),
		    2000), 0);

	/* Round trips on r0 for as long as the scrape lasts. */
	snprintf(cmd, sizeof(cmd), "curl -s --max-time %d -o %s/body "
	    "-w '%%{http_code} %%{size_download} %%{time_total}' "
	    "'http://127.0.0.1:%u/metrics'", 60 * h_slow(), dir, hp);
	ck_assert_ptr_nonnull(f = popen(cmd, "r"));
	pfd.fd = fileno(f);
	pfd.events = POLLIN;
	while (poll(&pfd, 1, 0) == 0) {
		t0 = now_us();
		ck_assert_int_eq(client_rt_str(c, "stream", buf, sizeof(buf),
		    2000), 0);
		rtt = now_us() - t0;
		worst = rtt > worst ? rtt : worst;
		during++;
	}
	if (fgets(res, sizeof(res), f) != NULL)
		ck_assert_int_eq(sscanf(res, "%d %lld %lf", &code, &size,
		    &took), 3);
	pclose(f);
	ck_assert_int_eq(code, 200);
	fprintf(stderr, "huge_metrics_streams: %lld bytes in %.3f s, %d round "
	    "trips meanwhile, the slowest %lld us\n", size, took, during,
	    worst);
	ck_assert_int_gt(size, 10000000);
	/* The scrape lasted; the client was served all along. */
	ck_assert_int_ge(during, 10);
	ck_assert_msg(worst <= 100000LL * h_slow(), "a round trip took %lld us "
	    "during the scrape", worst);

	p = promcheck("");
	ck_assert_int_eq(route_sample(p, "rx_datagrams_total", "r4999"), 0);
	snprintf(cmd, sizeof(cmd), "udproxy_upstream_up{route=\"r%d\","
	    "upstream=\"127.0.0.1:%u\"}", HUGE_ROUTES - 1, m->port);
	ck_assert_int_eq(sample(p, cmd), 1);
	/* The snapshot was taken when the request came. */
	ck_assert_int_ge(route_sample(p, "rx_datagrams_total", "r0"), before);
	ck_assert_int_le(route_sample(p, "rx_datagrams_total", "r0"),
	    before + during);
	free(p);

	/* Scrapers that do not read: each holds its stream, the next 503. */
	for (i = 0; i < STATS_HTTP_MAX_STREAMS; i++) {
		ck_assert_int_ne(hang[i] = tcp_connect(hp), -1);
		pfd.fd = hang[i];
		pfd.events = POLLOUT;
		ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
		ck_assert_int_eq(write(hang[i], req, strlen(req)),
		    (ssize_t)strlen(req));
	}
	h_sleep_ms(300);
	ck_assert_int_eq(http_get(hp, "/metrics", NULL, NULL), 503);
	ck_assert_int_eq(http_get(hp, "/sessions", NULL, NULL), 200);
	ck_assert_int_eq(client_rt_str(c, "stream", buf, sizeof(buf), 2000),
	    0);
	/* They leave mid-page: their streams end, the slots come back. */
	for (i = 0; i < STATS_HTTP_MAX_STREAMS; i++)
		close(hang[i]);
	deadline = now_us() + 5000000LL * h_slow();
	while ((code = http_get(hp, "/stats", NULL, NULL)) != 200 &&
	    now_us() < deadline)
		h_sleep_ms(100);
	ck_assert_int_eq(code, 200);
	ck_assert_int_eq(http_get(hp, "/metrics", NULL, NULL), 200);

	/*
	 * A reload that frees 4,999 routes while a slow scraper is halfway:
	 * the page goes on from its snapshot, complete and valid.
	 */
	snprintf(cmd, sizeof(cmd), "curl -s --max-time %d --limit-rate 10M "
	    "-o %s/body -w '%%{http_code} %%{size_download}' "
	    "'http://127.0.0.1:%u/metrics'", 60 * h_slow(), dir, hp);
	ck_assert_ptr_nonnull(f = popen(cmd, "r"));
	h_sleep_ms(500);
	rewrite("stats = { listen = \"%u\"; };\n"
	    "routes = ( { name = \"r0\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", hp, pa, m->port);
	ck_assert_int_eq(daemon_reload(d), 0);
	pfd.fd = fileno(f);
	pfd.events = POLLIN;
	/* Still streaming after the reload. */
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	code = 0;
	if (fgets(res, sizeof(res), f) != NULL)
		ck_assert_int_eq(sscanf(res, "%d %lld", &code, &rtt), 2);
	pclose(f);
	ck_assert_int_eq(code, 200);
	ck_assert_int_ge(rtt, size - 100);
	p = promcheck("");
	ck_assert_int_eq(route_sample(p, "rx_datagrams_total", "r4999"), 0);
	free(p);
	p = scrape(hp);
	ck_assert_int_eq(route_sample(p, "rx_datagrams_total", "r4999"), -1);
	ck_assert_int_ge(route_sample(p, "rx_datagrams_total", "r0"), before);
	free(p);
	close(c);
	stop(d);
	mock_stop(m);
}
END_TEST

/* HEAD has the headers and no body; HTTP/1.0 gets the page unchunked. */
START_TEST(head_and_http10)
{
	struct mock	*m = mock_start(AF_INET, 0, MOCK_ECHO, NULL);
	uint16_t	 pa = h_free_port(AF_INET), hp = tcp_port();
	struct daemon	*d;
	char		*b, *p;

	d = start("stats = { listen = \"%u\"; };\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", hp, pa, m->port);
	/* curl -I writes the headers where the body would go. */
	ck_assert_int_eq(http_get(hp, "/metrics", "-I", &b), 200);
	ck_assert_ptr_nonnull(strstr(b, "\r\nContent-Type: text/plain; "
	    "version=0.0.4; charset=utf-8\r\n"));
	ck_assert_ptr_null(strstr(b, "udproxy_"));
	free(b);
	ck_assert_int_eq(http_get(hp, "/metrics", "--http1.0", &b), 200);
	free(b);
	p = promcheck("");
	ck_assert_int_eq(route_sample(p, "rx_datagrams_total", "a"), 0);
	free(p);
	ck_assert_int_eq(http_get(hp, "/stats", "--http1.0", &b), 200);
	ck_assert_str_eq(b + strlen(b) - 3, "]}\n");
	free(b);
	stop(d);
	mock_stop(m);
}
END_TEST

static Suite *
stats_suite(void)
{
	Suite	*s = suite_create("stats");
	TCase	*tc = tcase_create("http");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, metrics_match_traffic);
	tcase_add_test(tc, metrics_per_upstream);
	tcase_add_test(tc, metrics_summed_over_workers);
	tcase_add_test(tc, metrics_health_checks);
	tcase_add_test(tc, sessions_page);
	tcase_add_test(tc, blocks_page);
	tcase_add_test(tc, allow_list);
	tcase_add_test(tc, reload_moves_endpoint);
	tcase_add_test(tc, keepalive_scrapes);
	tcase_add_test(tc, head_and_http10);
	tcase_add_test(tc, abuse_does_not_stall_forwarding);
	suite_add_tcase(s, tc);
	tc = tcase_create("huge");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, huge_metrics_streams);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failures;

	/* curl and the Python parser are the proof; without them, skip. */
	if (system("curl --version >/dev/null 2>&1") != 0 ||
	    system("/usr/bin/python3 -c 'import prometheus_client' "
	    ">/dev/null 2>&1") != 0) {
		fprintf(stderr, "check_stats: needs curl and "
		    "python3-prometheus-client; skipped\n");
		return 77;
	}
	sr = srunner_create(stats_suite());
	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0 ? 1 : 0;
}
