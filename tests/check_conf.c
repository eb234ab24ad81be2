/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Unit tests for conf.c: every field of a good file, every error with its
 * exact "FILE:LINE: reason" text, @include resolved beside the main file
 * even after chdir("/"), the libconfig 1.5 pitfalls (silent 32-bit wrap,
 * optional terminators, no trailing commas, dangling strings), and many
 * loads in a row leaving no stale state or open descriptors.
 *
 * Each test writes its files into a fresh mkdtemp(3) directory and loads
 * them by absolute path, as the daemon does.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include <event2/event.h>

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "acl.h"
#include "conf.h"
#include "health.h"
#include "resolve.h"
#include "acl.h"
#include "stats_http.h"

/* Short enough that dir + a file name always fits in PATHLEN. */
#define DIRLEN		256
#define PATHLEN		512

static char	dir[DIRLEN];
static char	example[PATH_MAX];	/* the shipped conf/udproxy.conf */

static int
rm_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void
dir_setup(void)
{
	const char	*tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	ck_assert_int_lt(snprintf(dir, sizeof(dir), "%s/check_conf.XXXXXX",
	    tmp), (int)sizeof(dir));
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
dir_teardown(void)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes text to dir/name and puts that path in path. */
static void
write_file(const char *name, const char *text, char *path, size_t len)
{
	FILE	*f;

	snprintf(path, len, "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	ck_assert_int_eq(fclose(f), 0);
}

/* Loads text as dir/name, which must succeed. */
static struct conf *
load_ok_as(const char *name, const char *text)
{
	char		 path[PATHLEN], err[CONF_ERRLEN] = "";
	struct conf	*c;

	write_file(name, text, path, sizeof(path));
	if ((c = conf_load_file(path, err, sizeof(err))) == NULL)
		ck_abort_msg("loading %s failed: %s", name, err);
	ck_assert_str_eq(c->path, path);
	return c;
}

static struct conf *
load_ok(const char *text)
{
	return load_ok_as("udproxy.conf", text);
}

/* Loads the file at path, which must fail with exactly want. */
static void
load_path_fail(const char *path, const char *want)
{
	char		 err[CONF_ERRLEN];
	struct conf	*c;

	memset(err, 'x', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	c = conf_load_file(path, err, sizeof(err));
	if (c != NULL) {
		conf_free(c);
		ck_abort_msg("%s loaded, expected \"%s\"", path, want);
	}
	ck_assert_str_eq(err, want);
}

/* Loads text as dir/udproxy.conf; it must fail with PATH + suffix. */
static void
load_fail(const char *text, const char *suffix)
{
	char	path[PATHLEN], want[PATHLEN + CONF_ERRLEN];

	write_file("udproxy.conf", text, path, sizeof(path));
	snprintf(want, sizeof(want), "%s%s", path, suffix);
	load_path_fail(path, want);
}

static const char *
fmt(const struct addr *a)
{
	static char	buf[4][ADDR_STRLEN];
	static int	n;

	n = (n + 1) % 4;
	return addr_format((const struct sockaddr *)&a->ss, buf[n],
	    sizeof(buf[n]));
}

static int
count_fds(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

#define GOOD_CONF							\
	"log_level = \"debug\";\n"					\
	"pidfile = \"/run/udproxy-test.pid\"; "			\
	"control = \"/run/udproxy-test.sock\";\n"			\
	"user = \"nobody\";\n"						\
	"group = \"nogroup\";\n"					\
	"max_sessions = 5000;\n"					\
	"routes = (\n"							\
	"\t{\n"								\
	"\t\tname = \"dns\";\n"						\
	"\t\tlisten = \"127.0.0.1:5353\";\n"				\
	"\t\tupstream = \"127.0.0.1:53\";\n"				\
	"\t\tidle_timeout = 30;\n"					\
	"\t\tmax_sessions = 100;\n"					\
	"\t\tmax_datagram_size = 512; receive_buffer_size = 1048576;\n" \
	"\t},\n"							\
	"\t{\n"								\
	"\t\tname = \"v6.route-2_X\";\n"				\
	"\t\tlisten = \"[::1]:5353\";\n"				\
	"\t\tupstream = \"[::1]:53\";\n"				\
	"\t\tidle_timeout = 0.25;\n"					\
	"\t},\n"							\
	"\t{\n"								\
	"\t\tname = \"defaults\";\n"					\
	"\t\tlisten = \"0.0.0.0:6000\";\n"				\
	"\t\tupstream = \"192.0.2.1:6000\";\n"				\
	"\t}\n"								\
	");\n"

START_TEST(test_good)
{
	struct conf		*c = load_ok(GOOD_CONF);
	const struct route_conf	*r;

	ck_assert_int_eq(c->log_level, LOG_LEVEL_DEBUG);
	ck_assert_str_eq(c->pidfile, "/run/udproxy-test.pid");
	ck_assert_str_eq(c->control, "/run/udproxy-test.sock");
	ck_assert_str_eq(c->user, "nobody");
	ck_assert_str_eq(c->group, "nogroup");
	ck_assert_uint_eq(c->max_sessions, 5000);
	ck_assert_uint_eq(c->nroutes, 3);

	r = &c->routes[0];
	ck_assert_str_eq(r->name, "dns");
	ck_assert_str_eq(r->listen_str, "127.0.0.1:5353");
	ck_assert_uint_eq(r->pool.nmembers, 1);
	ck_assert_str_eq(r->pool.members[0].address, "127.0.0.1:53");
	ck_assert_uint_eq(r->pool.members[0].naddrs, 1);
	ck_assert_uint_eq(r->pool.members[0].weight, 1);
	ck_assert_int_eq(r->pool.balance, POOL_ROUND_ROBIN);
	ck_assert_int_eq(r->responses, -1);
	ck_assert_uint_eq(r->requests, 0);
	ck_assert_uint_eq(r->pool.max_fails, 1);
	ck_assert_uint_eq(r->pool.fail_timeout_ms, 10000);
	ck_assert_str_eq(fmt(&r->listen), "127.0.0.1:5353");
	ck_assert_str_eq(fmt(&r->pool.members[0].addrs[0]), "127.0.0.1:53");
	ck_assert_uint_eq(r->idle_ms, 30000);
	ck_assert_uint_eq(r->max_sessions, 100);
	ck_assert_uint_eq(r->max_datagram, 512);
	ck_assert_uint_eq(r->rcvbuf, 1048576);
	ck_assert_uint_eq(c->routes[1].rcvbuf, 0);
	ck_assert_str_eq(r->file, c->path);
	ck_assert_int_eq(r->line, 7);

	r = &c->routes[1];
	ck_assert_str_eq(r->name, "v6.route-2_X");
	ck_assert_str_eq(fmt(&r->listen), "[::1]:5353");
	ck_assert_str_eq(fmt(&r->pool.members[0].addrs[0]), "[::1]:53");
	ck_assert_uint_eq(r->idle_ms, 250);
	ck_assert_uint_eq(r->max_sessions, 0);
	ck_assert_uint_eq(r->max_datagram, 65535);
	ck_assert_int_eq(r->line, 15);

	r = &c->routes[2];
	ck_assert_str_eq(r->name, "defaults");
	ck_assert_str_eq(r->listen_str, "0.0.0.0:6000");
	ck_assert_str_eq(fmt(&r->listen), "0.0.0.0:6000");
	ck_assert_str_eq(fmt(&r->pool.members[0].addrs[0]), "192.0.2.1:6000");
	ck_assert_uint_eq(r->idle_ms, CONF_IDLE_DEFAULT_MS);
	ck_assert_uint_eq(r->idle_ms, 60000);
	ck_assert_uint_eq(r->max_sessions, 0);
	ck_assert_uint_eq(r->max_datagram, CONF_DGRAM_MAX);
	ck_assert_int_eq(r->line, 21);
	conf_free(c);
}
END_TEST

START_TEST(test_defaults)
{
	struct conf	*c = load_ok("routes = ( { name = \"a\"; "
	    "listen = \"127.0.0.1:5000\"; upstream = \"127.0.0.1:5001\"; "
	    "} );\n");

	ck_assert_int_eq(c->log_level, LOG_LEVEL_INFO);
	ck_assert_ptr_null(c->pidfile);
	ck_assert_ptr_null(c->control);
	ck_assert_ptr_null(c->user);
	ck_assert_ptr_null(c->group);
	ck_assert_uint_eq(c->max_sessions, 0);
	ck_assert_uint_eq(c->nroutes, 1);
	ck_assert_uint_eq(c->routes[0].idle_ms, 60000);
	ck_assert_uint_eq(c->routes[0].max_sessions, 0);
	ck_assert_uint_eq(c->routes[0].max_datagram, 65535);
	ck_assert_int_eq(c->routes[0].line, 1);
	conf_free(c);
}
END_TEST

/* Seconds as int, int64 or float; rounded to ms, never below 1 ms. */
START_TEST(test_idle_values)
{
	static const struct {
		const char	*value;
		uint64_t	 ms;
	} cases[] = {
		{ "30", 30000 },
		{ "30L", 30000 },
		{ "0.25", 250 },
		{ "1.5", 1500 },
		{ "0.0015", 2 },
		{ "0.0004", 1 },
		{ "1e-9", 1 },
		{ "86400", 86400000 },
		{ "86400.0", 86400000 },
		{ "1e3", 1000000 },
	};
	char		 text[256];
	struct conf	*c;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "routes = ( { name = \"a\"; "
		    "listen = \"127.0.0.1:5000\"; "
		    "upstream = \"127.0.0.1:5001\"; idle_timeout = %s; } );\n",
		    cases[i].value);
		c = load_ok(text);
		ck_assert_msg(c->routes[0].idle_ms == cases[i].ms,
		    "idle_timeout = %s gave %llu ms, not %llu", cases[i].value,
		    (unsigned long long)c->routes[0].idle_ms,
		    (unsigned long long)cases[i].ms);
		conf_free(c);
	}
}
END_TEST

START_TEST(test_limit_bounds)
{
	struct conf	*c = load_ok("max_sessions = 1000000;\n"
	    "routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:5000\";\n"
	    "    upstream = \"127.0.0.1:5001\"; max_sessions = 1;\n"
	    "    max_datagram_size = 1; },\n"
	    "  { name = \"b\"; listen = \"127.0.0.1:5002\";\n"
	    "    upstream = \"127.0.0.1:5001\"; max_sessions = 1000000;\n"
	    "    max_datagram_size = 65535; }\n"
	    ");\n");

	ck_assert_uint_eq(c->max_sessions, 1000000);
	ck_assert_uint_eq(c->routes[0].max_sessions, 1);
	ck_assert_uint_eq(c->routes[0].max_datagram, 1);
	ck_assert_uint_eq(c->routes[1].max_sessions, 1000000);
	ck_assert_uint_eq(c->routes[1].max_datagram, 65535);
	ck_assert_uint_eq(c->routes[1].line, 6);
	conf_free(c);
}
END_TEST

/* Level names are case-insensitive in the file too. */
START_TEST(test_log_levels)
{
	static const struct {
		const char	*name;
		enum log_level	 level;
	} cases[] = {
		{ "error", LOG_LEVEL_ERROR },
		{ "warning", LOG_LEVEL_WARNING },
		{ "notice", LOG_LEVEL_NOTICE },
		{ "info", LOG_LEVEL_INFO },
		{ "DEBUG", LOG_LEVEL_DEBUG },
	};
	char		 text[256];
	struct conf	*c;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "log_level = \"%s\";\n"
		    "routes = ( { name = \"a\"; listen = \"127.0.0.1:5000\"; "
		    "upstream = \"127.0.0.1:5001\"; } );\n", cases[i].name);
		c = load_ok(text);
		ck_assert_int_eq(c->log_level, cases[i].level);
		conf_free(c);
	}
}
END_TEST

/* Listeners the kernel binds side by side are not a conflict. */
START_TEST(test_listen_no_conflict)
{
	struct conf	*c = load_ok("routes = (\n"
	    "  { name = \"v4any\"; listen = \"0.0.0.0:5000\";\n"
	    "    upstream = \"192.0.2.1:53\"; },\n"
	    /* IPv6 listeners are V6ONLY, so [::]:P and 0.0.0.0:P coexist. */
	    "  { name = \"v6any\"; listen = \"[::]:5000\";\n"
	    "    upstream = \"192.0.2.1:53\"; },\n"
	    "  { name = \"lo1\"; listen = \"127.0.0.1:5001\";\n"
	    "    upstream = \"192.0.2.1:53\"; },\n"
	    "  { name = \"lo2\"; listen = \"127.0.0.2:5001\";\n"
	    "    upstream = \"192.0.2.1:53\"; },\n"
	    "  { name = \"lo6\"; listen = \"[::1]:5001\";\n"
	    "    upstream = \"192.0.2.1:53\"; }\n"
	    ");\n");

	ck_assert_uint_eq(c->nroutes, 5);
	conf_free(c);
}
END_TEST

/*
 * Upstreams that are not our own listeners: an IPv4 loopback upstream
 * cannot reach an IPv6-only [::]:P listener, and a routable address on a
 * wildcard listener's port is another host as far as the file can tell.
 */
START_TEST(test_upstream_not_loop)
{
	struct conf	*c = load_ok("routes = (\n"
	    "  { name = \"a\"; listen = \"[::]:5000\";\n"
	    "    upstream = \"127.0.0.1:5000\"; },\n"
	    "  { name = \"b\"; listen = \"0.0.0.0:5001\";\n"
	    "    upstream = \"192.0.2.1:5001\"; },\n"
	    "  { name = \"c\"; listen = \"127.0.0.1:5002\";\n"
	    "    upstream = \"127.0.0.2:5002\"; }\n"
	    ");\n");

	ck_assert_uint_eq(c->nroutes, 3);
	conf_free(c);
}
END_TEST

/* One line per route, so the expected line numbers are easy to read. */
#define A	"{ name = \"a\"; listen = \"127.0.0.1:5000\"; " \
		"upstream = \"127.0.0.1:5001\"; }"
/* A route "a" on lines 1-2 whose extra setting x is on line 3. */
#define RT(x)	"routes = ( { name = \"a\"; listen = \"127.0.0.1:5000\";\n" \
		"\tupstream = \"127.0.0.1:5001\";\n\t" x "\n} );\n"
/* Route "a" on lines 1-2 without an upstream; x on line 3. */
#define P(x)	"routes = ( { name = \"a\"; listen = \"127.0.0.1:5000\";\n" \
		"\t\n\t" x "\n} );\n"
/* A route whose name, listen and upstream are given, all on line 1. */
#define R1(n, l, u) "routes = ( { name = " n "; listen = " l "; " \
		"upstream = " u "; } );\n"

#define IDLE_RANGE	":3: route 'a': idle_timeout must be greater than 0 and at most " \
			"86400 seconds"
#define LOOP(r, u, o)	": route '" r "': upstream " u " is udproxy's own " \
			"listener (route '" o "'): a forwarding loop"

static const struct {
	const char	*text;
	const char	*err;		/* after the file's path */
} bad[] = {
	/* Unknown settings. */
	{ "foo = 1;\nroutes = ( " A " );\n", ":1: unknown setting 'foo'" },
	{ "routes = ( " A " );\nRoutes = 1;\n",
	    ":2: unknown setting 'Routes'" },
	{ "routes = (\n\t{\n\t\tname = \"dns\";\n"
	    "\t\tlisten = \"127.0.0.1:5000\";\n"
	    "\t\tupsteam = \"127.0.0.1:5001\";\n\t}\n);\n",
	    ":5: route 'dns': unknown setting 'upsteam'" },
	{ RT("idle = 5;"), ":3: route 'a': unknown setting 'idle'" },
	{ RT("Name = \"b\";"), ":3: route 'a': unknown setting 'Name'" },

	/* Wrong types. */
	{ RT("idle_timeout = \"30\";"),
	    ":3: route 'a': idle_timeout must be a number of seconds, not a string" },
	{ RT("idle_timeout = true;"),
	    ":3: route 'a': idle_timeout must be a number of seconds, not a boolean" },
	{ RT("idle_timeout = [ 30 ];"),
	    ":3: route 'a': idle_timeout must be a number of seconds, not an array" },
	{ RT("idle_timeout = ( 30 );"),
	    ":3: route 'a': idle_timeout must be a number of seconds, not a list" },
	{ RT("idle_timeout = { s = 30; };"),
	    ":3: route 'a': idle_timeout must be a number of seconds, not a group" },
	{ RT("max_sessions = 10.0;"),
	    ":3: route 'a': max_sessions must be an integer, not a float" },
	{ RT("max_datagram_size = \"512\";"),
	    ":3: route 'a': max_datagram_size must be an integer, not a string" },
	{ R1("5", "\"127.0.0.1:5000\"", "\"127.0.0.1:5001\""),
	    ":1: name must be a string, not an integer" },
	{ R1("\"a\"", "5000", "\"127.0.0.1:5001\""),
	    ":1: route 'a': listen must be a string, not an integer" },
	{ R1("\"a\"", "\"127.0.0.1:5000\"", "5001.0"),
	    ":1: route 'a': upstream must be a string, not a float" },
	{ "routes = 5;\n",
	    ":1: routes must be a list ( ... ), not an integer" },
	{ "routes = \"a\";\n",
	    ":1: routes must be a list ( ... ), not a string" },
	{ "routes = { a = " A "; };\n",
	    ":1: routes must be a list ( ... ), not a group" },
	{ "routes = [ 1, 2 ];\n",
	    ":1: routes must be a list ( ... ), not an array" },
	{ "routes = ( \"a\" );\n",
	    ":1: routes: element 1 must be a group { ... }, not a string" },
	{ "routes = ( " A ",\n  ( 1 ) );\n",
	    ":2: routes: element 2 must be a group { ... }, not a list" },
	{ "log_level = 3;\nroutes = ( " A " );\n",
	    ":1: log_level must be a string, not an integer" },
	{ "max_sessions = \"5\";\nroutes = ( " A " );\n",
	    ":1: max_sessions must be an integer, not a string" },
	{ "user = 0;\nroutes = ( " A " );\n",
	    ":1: user must be a string, not an integer" },

	/* Missing or empty values. */
	{ "routes = ( { listen = \"127.0.0.1:5000\"; "
	    "upstream = \"127.0.0.1:5001\"; } );\n",
	    ":1: route #1: missing 'name'" },
	{ "routes = ( " A ",\n  { listen = \"127.0.0.1:5002\"; } );\n",
	    ":2: route #2: missing 'name'" },
	{ "routes = ( { name = \"a\";\n upstream = \"127.0.0.1:5001\"; } );\n",
	    ":1: route 'a': missing 'listen'" },
	{ "routes = (\n  { name = \"a\";\n listen = \"127.0.0.1:5000\"; } );\n",
	    ":2: route 'a': missing 'upstream'" },
	{ R1("\"\"", "\"127.0.0.1:5000\"", "\"127.0.0.1:5001\""),
	    ":1: name must not be empty" },
	{ R1("\"a\"", "\"\"", "\"127.0.0.1:5001\""),
	    ":1: route 'a': listen must not be empty" },
	{ "group = \"\";\nroutes = ( " A " );\n",
	    ":1: group must not be empty" },

	/* Routes: none, empty, duplicate. */
	{ "routes = ( );\n", ":1: routes: empty list" },
	{ "\n\nroutes = ();\n", ":3: routes: empty list" },
	{ "log_level = \"info\";\n", ": no 'routes' list: nothing to do" },
	{ "", ": no 'routes' list: nothing to do" },
	{ "# only a comment\n// and another\n",
	    ": no 'routes' list: nothing to do" },
	{ "routes = (\n"
	    "  {\n"
	    "    name = \"a\"; listen = \"127.0.0.1:5000\";\n"
	    "    upstream = \"127.0.0.1:5001\";\n"
	    "  },\n"
	    "  {\n"
	    "    name = \"a\"; listen = \"127.0.0.1:5002\";\n"
	    "    upstream = \"127.0.0.1:5001\";\n"
	    "  }\n"
	    ");\n",
	    ":6: duplicate route name 'a' (first at line 2)" },
	{ "routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:5000\";\n"
	    "    upstream = \"127.0.0.1:5001\"; },\n"
	    "  { name = \"b\"; listen = \"127.0.0.1:5000\";\n"
	    "    upstream = \"127.0.0.1:5001\"; }\n"
	    ");\n",
	    ":4: route 'b': listen 127.0.0.1:5000 conflicts with route 'a' "
	    "(line 2)" },
	/* The same address spelled differently is the same listener. */
	{ "routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:5000\";\n"
	    "    upstream = \"127.0.0.1:5001\"; },\n"
	    "  { name = \"b\"; listen = \"127.0.0.1:05000\";\n"
	    "    upstream = \"127.0.0.1:5001\"; }\n"
	    ");\n",
	    ":4: route 'b': listen 127.0.0.1:05000 conflicts with route 'a' "
	    "(line 2)" },
	{ "routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:5000\";\n"
	    "    upstream = \"127.0.0.1:5001\"; },\n"
	    "  { name = \"b\"; listen = \"0.0.0.0:5000\";\n"
	    "    upstream = \"127.0.0.1:5001\"; }\n"
	    ");\n",
	    ":4: route 'b': listen 0.0.0.0:5000 conflicts with route 'a' "
	    "(line 2)" },
	{ "routes = (\n"
	    "  { name = \"any\"; listen = \"0.0.0.0:5000\";\n"
	    "    upstream = \"192.0.2.1:53\"; },\n"
	    "  { name = \"lo\"; listen = \"127.0.0.1:5000\";\n"
	    "    upstream = \"192.0.2.1:53\"; }\n"
	    ");\n",
	    ":4: route 'lo': listen 127.0.0.1:5000 conflicts with route 'any' "
	    "(line 2)" },
	{ "routes = (\n"
	    "  { name = \"any6\"; listen = \"[::]:5000\";\n"
	    "    upstream = \"192.0.2.1:53\"; },\n"
	    "  { name = \"lo6\"; listen = \"[::1]:5000\";\n"
	    "    upstream = \"192.0.2.1:53\"; }\n"
	    ");\n",
	    ":4: route 'lo6': listen [::1]:5000 conflicts with route 'any6' "
	    "(line 2)" },

	/* libconfig syntax. */
	{ R1("\"a\"", "\"127.0.0.1:5000\"", "\"127.0.0.1:5001\"")
	    "log_level \"info\";\n", ":2: syntax error" },
	{ "routes = ( " A " ;\n", ":1: syntax error" },
	/* A trailing comma is a syntax error in 1.5 (allowed from 1.7). */
	{ "routes = (\n" A ",\n);\n", ":3: syntax error" },
	{ "routes = (\n" A "\n" A "\n);\n", ":3: syntax error" },
	{ "log_level = \"info\";\nlog_level = \"debug\";\n"
	    "routes = ( " A " );\n", ":2: duplicate setting name" },
	{ RT("listen = \"127.0.0.1:5002\";"), ":3: duplicate setting name" },

	/* Numbers out of range. */
	{ RT("idle_timeout = 0;"), IDLE_RANGE },
	{ RT("idle_timeout = 0.0;"), IDLE_RANGE },
	{ RT("idle_timeout = -1;"), IDLE_RANGE },
	{ RT("idle_timeout = -0.5;"), IDLE_RANGE },
	{ RT("idle_timeout = 86401;"), IDLE_RANGE },
	{ RT("idle_timeout = 86400.001;"), IDLE_RANGE },
	{ RT("idle_timeout = 2147483647;"), IDLE_RANGE },
	{ RT("idle_timeout = 8589934592L;"), IDLE_RANGE },
	/* libconfig 1.5 wraps 2^32 to 0: caught by the range check. */
	{ RT("idle_timeout = 4294967296;"), IDLE_RANGE },
	{ RT("max_sessions = 0;"),
	    ":3: route 'a': max_sessions must be between 1 and 1000000, not 0" },
	{ RT("max_sessions = 1000001;"),
	    ":3: route 'a': max_sessions must be between 1 and 1000000, not 1000001" },
	{ RT("max_sessions = -1;"),
	    ":3: route 'a': max_sessions must be between 1 and 1000000, not -1" },
	/* Wrapped to -1 by libconfig; an L suffix keeps 64 bits. */
	{ RT("max_sessions = 0x1FFFFFFFF;"),
	    ":3: route 'a': max_sessions must be between 1 and 1000000, not -1" },
	{ RT("max_sessions = 4294967297L;"),
	    ":3: route 'a': max_sessions must be between 1 and 1000000, "
	    "not 4294967297" },
	/* 2^32 wraps to 0, which the range check refuses. */
	{ RT("max_datagram_size = 4294967296;"),
	    ":3: route 'a': max_datagram_size must be between 1 and 65535, "
	    "not 0" },
	{ RT("receive_buffer_size = 100;"),
	    ":3: route 'a': receive_buffer_size must be between 1024 and "
	    "268435456, not 100" },
	{ RT("receive_buffer_size = \"1M\";"),
	    ":3: route 'a': receive_buffer_size must be an integer, not a "
	    "string" },
	{ RT("max_datagram_size = 70000;"),
	    ":3: route 'a': max_datagram_size must be between 1 and "
	    "65535, not 70000" },
	{ RT("max_datagram_size = -1;"),
	    ":3: route 'a': max_datagram_size must be between 1 and 65535, not -1" },
	{ RT("max_datagram_size = 99999999999999999999999;"),
	    ":3: route 'a': max_datagram_size must be between 1 and 65535, not -1" },
	{ "max_sessions = 0;\nroutes = ( " A " );\n",
	    ":1: max_sessions must be between 1 and 1000000, not 0" },
	{ "max_sessions = 1000001;\nroutes = ( " A " );\n",
	    ":1: max_sessions must be between 1 and 1000000, not 1000001" },

	/* Addresses. */
	{ R1("\"dns\"", "\"127.0.0.1:99999\"", "\"127.0.0.1:5001\""),
	    ":1: route 'dns': listen: invalid port '99999' (1-65535)" },
	{ R1("\"a\"", "\"127.0.0.1:0\"", "\"127.0.0.1:5001\""),
	    ":1: route 'a': listen: invalid port '0' (1-65535)" },
	{ R1("\"a\"", "\"[::ffff:127.0.0.1]:5000\"", "\"127.0.0.1:5001\""),
	    ":1: route 'a': listen: IPv4-mapped address "
	    "'[::ffff:127.0.0.1]:5000': write the IPv4 address, as in "
	    "'127.0.0.1:53'" },
	{ R1("\"a\"", "\"localhost:5000\"", "\"127.0.0.1:5001\""),
	    ":1: route 'a': listen: invalid IP address 'localhost'" },
	{ R1("\"a\"", "\"::1:5000\"", "\"127.0.0.1:5001\""),
	    ":1: route 'a': listen: IPv6 address must be in brackets, as in "
	    "'[::1]:53': '::1:5000'" },
	{ R1("\"a\"", "\"127.0.0.1:5000\"", "\"127.0.0.1\""),
	    ":1: route 'a': upstream: missing port in '127.0.0.1'" },
	{ R1("\"a\"", "\"127.0.0.1:5000\"", "\"localhost:abc\""),
	    ":1: route 'a': upstream: invalid port 'abc' (1-65535)" },
	{ "routes = ( { name = \"a\"; listen = \"127.0.0.1:5000\";\n"
	    "  upstream = \"0.0.0.0:5001\"; } );\n",
	    ":2: route 'a': upstream must not be a wildcard address" },
	{ "routes = ( { name = \"a\"; listen = \"127.0.0.1:5000\";\n"
	    "  upstream = \"[::]:5001\"; } );\n",
	    ":2: route 'a': upstream must not be a wildcard address" },

	/* Forwarding loops. */
	{ R1("\"a\"", "\"127.0.0.1:5000\"", "\"127.0.0.1:5000\""),
	    ":1" LOOP("a", "127.0.0.1:5000", "a") },
	{ R1("\"a\"", "\"0.0.0.0:5000\"", "\"127.0.0.1:5000\""),
	    ":1" LOOP("a", "127.0.0.1:5000", "a") },
	{ R1("\"a\"", "\"0.0.0.0:5000\"", "\"127.0.0.2:5000\""),
	    ":1" LOOP("a", "127.0.0.2:5000", "a") },
	{ R1("\"a\"", "\"[::]:5000\"", "\"[::1]:5000\""),
	    ":1" LOOP("a", "[::1]:5000", "a") },
	{ R1("\"a\"", "\"[::1]:5000\"", "\"[::1]:5000\""),
	    ":1" LOOP("a", "[::1]:5000", "a") },
	{ R1("\"a\"", "\"127.0.0.1:5000\"", "\"[::ffff:127.0.0.1]:5000\""),
	    ":1" LOOP("a", "[::ffff:127.0.0.1]:5000", "a") },
	{ "routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:5000\";\n"
	    "    upstream = \"192.0.2.1:53\"; },\n"
	    "  { name = \"b\"; listen = \"127.0.0.1:5001\";\n"
	    "    upstream = \"127.0.0.1:5000\"; }\n"
	    ");\n",
	    ":4" LOOP("b", "127.0.0.1:5000", "a") },

	/* Names and other top-level values. */
	{ R1("\"a b\"", "\"127.0.0.1:5000\"", "\"127.0.0.1:5001\""),
	    ":1: route name 'a b' is invalid: use 1 to 64 of A-Z a-z 0-9 "
	    "_ - ." },
	{ R1("\"dns/1\"", "\"127.0.0.1:5000\"", "\"127.0.0.1:5001\""),
	    ":1: route name 'dns/1' is invalid: use 1 to 64 of A-Z a-z 0-9 "
	    "_ - ." },
	{ R1("\"x123456789x123456789x123456789x123456789x123456789"
	    "x123456789x1234\"", "\"127.0.0.1:5000\"", "\"127.0.0.1:5001\""),
	    ":1: route name 'x123456789x123456789x123456789x123456789"
	    "x123456789x123456789x1234' is invalid: use 1 to 64 of A-Z a-z "
	    "0-9 _ - ." },
	{ "log_level = \"verbose\";\nroutes = ( " A " );\n",
	    ":1: log_level 'verbose' is not one of error, warning, notice, "
	    "info, debug" },
	{ "routes = ( " A " );\nlog_level = \"warn\";\n",
	    ":2: log_level 'warn' is not one of error, warning, notice, "
	    "info, debug" },
	{ "pidfile = \"run/udproxy.pid\";\nroutes = ( " A " );\n",
	    ":1: pidfile must be an absolute path" },
	{ "pidfile = \"\";\nroutes = ( " A " );\n",
	    ":1: pidfile must not be empty" },

	/* PROXY protocol and transparent mode. */
	{ RT("proxy_protocol = \"every\";"),
	    ":3: route 'a': proxy_protocol must be a group { send = ...; }, "
	    "not a string" },
	{ RT("proxy_protocol = { send = \"all\"; };"),
	    ":3: route 'a': proxy_protocol: send must be \"every\", "
	    "\"first\" or \"off\"" },
	{ RT("proxy_protocol = { send = 1; };"),
	    ":3: route 'a': proxy_protocol: send must be \"every\", "
	    "\"first\" or \"off\"" },
	{ RT("proxy_protocol = { send = \"every\";\n\tversion = 2; };"),
	    ":4: route 'a': proxy_protocol: unknown setting 'version'" },
	{ RT("proxy_protocol = { tlvs = \"authority\"; };"),
	    ":3: route 'a': proxy_protocol: tlvs must be a list of strings "
	    "[ \"authority\", ... ], not a string" },
	{ RT("proxy_protocol = { tlvs = [ \"authority\", \"ssl\" ]; };"),
	    ":3: route 'a': proxy_protocol: tlvs: element 2 is not "
	    "\"authority\" or \"crc32c\"" },
	{ RT("proxy_protocol = { tlvs = ( \"crc32c\", 1 ); };"),
	    ":3: route 'a': proxy_protocol: tlvs: element 2 is not "
	    "\"authority\" or \"crc32c\"" },
	{ RT("proxy_protocol_from = \"10.0.0.0/8\";"),
	    ":3: route 'a': proxy_protocol_from must be a list of address "
	    "prefixes [ \"10.0.0.0/8\", ... ], not a string" },
	{ RT("proxy_protocol_from = [ ];"),
	    ":3: route 'a': proxy_protocol_from: empty list" },
	{ RT("proxy_protocol_from = [ \"10.0.0.0/8\",\n\t\"10.0.0.0/33\" ];"),
	    ":4: route 'a': proxy_protocol_from: '10.0.0.0/33': prefix "
	    "length 33 is over 32" },
	{ RT("proxy_protocol_from = ( \"x\" );"),
	    ":3: route 'a': proxy_protocol_from: 'x': not an IPv4 or IPv6 "
	    "address" },
	{ RT("proxy_protocol_from = ( \"10.0.0.1\",\n\t5 );"),
	    ":4: route 'a': proxy_protocol_from: element 2 must be a "
	    "string" },
	{ RT("transparent = 1;"),
	    ":3: route 'a': transparent must be true or false, not an "
	    "integer" },
	{ RT("transparent = \"yes\";"),
	    ":3: route 'a': transparent must be true or false, not a "
	    "string" },
	{ "routes = ( { name = \"a\"; listen = \"127.0.0.1:5000\";\n"
	    "\tupstream = \"[::1]:5001\";\n\ttransparent = true; } );\n",
	    ":3: route 'a': transparent: upstream [::1]:5001 is not of the "
	    "listener's address family, so it cannot be reached from a "
	    "client's address" },
	{ "control = \"run/udproxy.sock\";\nroutes = ( " A " );\n",
	    ":1: control must be an absolute path" },
	{ "control = \"\";\nroutes = ( " A " );\n",
	    ":1: control must not be empty" },
	{ "control = 1;\nroutes = ( " A " );\n",
	    ":1: control must be a string, not an integer" },
	{ "routes = ( " A " );\ncontrol = \"/x123456789x123456789x123456789"
	    "x123456789x123456789x123456789x123456789x123456789x123456789"
	    "x123456789x1234567.sock\";\n",
	    ":2: control path is longer than 107 bytes" },
	/* Abuse control (issue 9). */
	{ RT("allow = [ \"10.0.0.0/33\" ];"),
	    ":3: route 'a': allow: '10.0.0.0/33': prefix length 33 is over 32" },
	{ RT("deny = [ \"10.0.0.0/8\",\n\t\"10.1.0.0/8\" ];"),
	    ":4: route 'a': deny: '10.1.0.0/8': bits set after the first 8: "
	    "not a network address" },
	{ RT("allow = \"10.0.0.0/8\";"),
	    ":3: route 'a': allow must be a list of prefixes [ "
	    "\"192.0.2.0/24\", ... ], not a string" },
	{ RT("deny = [ 10 ];"),
	    ":3: route 'a': deny: element 1 must be a string, not an integer" },
	{ "allow = [ \"all\",\n \"example.com\" ];\nroutes = ( " A " );\n",
	    ":2: allow: 'example.com': not an IPv4 or IPv6 address" },
	{ RT("per_client = { sessions = 4; foo = 1; };"),
	    ":3: route 'a': per_client: unknown setting 'foo'" },
	{ RT("per_client = { threshold = 1; };"),
	    ":3: route 'a': per_client: unknown setting 'threshold'" },
	{ RT("per_client = 5;"),
	    ":3: route 'a': per_client must be a group { ... }, not an integer" },
	{ RT("per_client = { rate = 100000001; };"),
	    ":3: route 'a': per_client: rate must be between 0 and 100000000, "
	    "not 100000001" },
	{ RT("per_client = { rate = 1; burst = 0; };"),
	    ":3: route 'a': per_client: burst must be between 1 and "
	    "100000000, not 0" },
	{ RT("per_client = { prefix4 = 33; };"),
	    ":3: route 'a': per_client: prefix4 must be between 0 and 32, not 33" },
	{ RT("per_client = { prefix6 = 129; };"),
	    ":3: route 'a': per_client: prefix6 must be between 0 and 128, not 129" },
	{ RT("per_client = { table_size = 0; };"),
	    ":3: route 'a': per_client: table_size must be between 1 and "
	    "16777216, not 0" },
	{ RT("per_client = { sessions = -1; };"),
	    ":3: route 'a': per_client: sessions must be between 0 and "
	    "1000000, not -1" },
	{ RT("per_client = { bytes_rate = \"1M\"; };"),
	    ":3: route 'a': per_client: bytes_rate must be an integer, not a "
	    "string" },
	{ RT("per_client = { burst = 10; };"),
	    ":1: route 'a': per_client: burst needs rate" },
	{ RT("block = { threshold = 10; seconds = 60; };"),
	    ":1: route 'a': block needs per_client.rate: a source is "
	    "blocked when it sends over threshold x rate" },
	{ "block = { seconds = 5; };\nroutes = ( " A " );\n",
	    ":1: block needs per_client.rate: a source is blocked when "
	    "it sends over threshold x rate" },
	{ RT("per_client = { rate = 5; };\n\tblock = { threshold = 0; };"),
	    ":4: route 'a': block: threshold must be between 1 and 1000, not 0" },
	{ RT("per_client = { rate = 5; };\n\tblock = { seconds = 0; };"),
	    ":4: route 'a': block: seconds must be between 1 and 86400, not 0" },
	{ RT("per_client = { rate = 5; };\n\tblock = { rate = 1; };"),
	    ":4: route 'a': block: unknown setting 'rate'" },
	{ RT("max_reply_ratio = -1.0;"),
	    ":3: route 'a': max_reply_ratio must be 0 (off) or between 0.01 "
	    "and 1000" },
	{ RT("max_reply_ratio = 1001;"),
	    ":3: route 'a': max_reply_ratio must be 0 (off) or between "
	    "0.01 and 1000" },
	{ RT("max_reply_ratio = 0.001;"),
	    ":3: route 'a': max_reply_ratio must be 0 (off) or between "
	    "0.01 and 1000" },
	{ RT("max_reply_ratio = \"3\";"),
	    ":3: route 'a': max_reply_ratio must be a number, not a string" },
	{ RT("upload_rate = -1;"),
	    ":3: route 'a': upload_rate must be between 0 and 2000000000, not -1" },
	{ RT("download_rate = 2000000001L;"),
	    ":3: route 'a': download_rate must be between 0 and "
	    "2000000000, not 2000000001" },
	{ "upload_rate = 1.5;\nroutes = ( " A " );\n",
	    ":1: upload_rate must be an integer, not a float" },

	/* Pools. */
	{ RT("upstreams = ( \"127.0.0.1:5002\" );"),
	    ":3: route 'a': set one of 'upstream' and 'upstreams', not both" },
	{ P("upstreams = ( );"), ":3: route 'a': upstreams: empty list" },
	{ P("upstreams = \"127.0.0.1:5001\";"),
	    ":3: route 'a': upstreams must be a list ( ... ), not a string" },
	{ P("upstreams = ( 5001 );"),
	    ":3: route 'a': upstreams element 1 must be a string or a group "
	    "{ address = ...; }, not an integer" },
	{ P("upstreams = ( { weight = 2; } );"),
	    ":3: route 'a': upstreams element 1: missing 'address'" },
	{ P("upstreams = ( { address = \"127.0.0.1:5001\"; wieght = 2; } );"),
	    ":3: route 'a': upstreams element 1: unknown setting 'wieght'" },
	{ P("upstreams = ( { address = \"127.0.0.1:5001\"; weight = 0; } );"),
	    ":3: route 'a': upstreams element 1: weight must be between 1 "
	    "and 1000, not 0" },
	{ P("upstreams = ( { address = \"127.0.0.1:5001\"; weight = 1001; } );"),
	    ":3: route 'a': upstreams element 1: weight must be between 1 "
	    "and 1000, not 1001" },
	{ P("upstreams = ( { address = \"127.0.0.1:5001\"; backup = 1; } );"),
	    ":3: route 'a': upstreams element 1: backup must be true or "
	    "false, not an integer" },
	{ P("upstreams = ( { address = \"127.0.0.1:5001\"; down = \"yes\"; } );"),
	    ":3: route 'a': upstreams element 1: down must be true or false, "
	    "not a string" },
	{ P("upstreams = ( \"127.0.0.1:5001\",\n\"127.0.0.1:99999\" );"),
	    ":4: route 'a': upstreams element 2: invalid port '99999' "
	    "(1-65535)" },
	{ P("upstreams = ( \"127.0.0.1:5001\",\n\"0.0.0.0:5001\" );"),
	    ":4: route 'a': upstreams element 2 must not be a wildcard "
	    "address" },
	{ P("upstreams = ( \"127.0.0.1:5001\",\n"
	    "{ address = \"127.0.0.1:5001\"; } );"),
	    ":4: route 'a': upstreams element 2: 127.0.0.1:5001 repeats "
	    "element 1" },
	{ P("upstreams = ( \"127.0.0.1:5001\",\n\"[::ffff:127.0.0.1]:5001\" );"),
	    ":4: route 'a': upstreams element 2: [::ffff:127.0.0.1]:5001 "
	    "repeats element 1" },
	{ P("upstreams = ( \"127.0.0.1:5001\", \"127.0.0.1:5000\" );"),
	    ":1" LOOP("a", "127.0.0.1:5000", "a") },
	{ RT("balance = \"least_conn\";"),
	    ":3: route 'a': balance 'least_conn' is not one of round_robin, "
	    "hash, least_sessions, random" },
	{ RT("balance = 1;"),
	    ":3: route 'a': balance must be a string, not an integer" },
	{ RT("responses = -1;"),
	    ":3: route 'a': responses must be between 0 and 1000000, not -1" },
	{ RT("requests = 0;"),
	    ":3: route 'a': requests must be between 1 and 1000000, not 0" },
	{ RT("requests = 1000001;"),
	    ":3: route 'a': requests must be between 1 and 1000000, not "
	    "1000001" },
	{ RT("max_fails = 1001;"),
	    ":3: route 'a': max_fails must be between 0 and 1000, not 1001" },
	{ RT("fail_timeout = 0;"),
	    ":3: route 'a': fail_timeout must be greater than 0 and at most "
	    "86400 seconds" },
};

START_TEST(test_proxy_protocol)
{
	struct conf	*c;

	c = load_ok("routes = (\n"
	    "{ name = \"a\"; listen = \"127.0.0.1:5000\"; "
	    "upstream = \"127.0.0.1:5001\"; },\n"
	    "{ name = \"b\"; listen = \"127.0.0.1:5002\"; "
	    "upstream = \"127.0.0.1:5001\"; proxy_protocol = { send = "
	    "\"every\"; tlvs = [ \"authority\", \"crc32c\" ]; }; "
	    "transparent = true; },\n"
	    "{ name = \"c\"; listen = \"127.0.0.1:5003\"; "
	    "upstream = \"127.0.0.1:5001\"; proxy_protocol = { send = "
	    "\"first\"; tlvs = ( ); }; transparent = false; },\n"
	    "{ name = \"d\"; listen = \"127.0.0.1:5004\"; "
	    "upstream = \"127.0.0.1:5001\"; proxy_protocol = { send = "
	    "\"off\"; tlvs = [ \"authority\" ]; }; },\n"
	    "{ name = \"e\"; listen = \"127.0.0.1:5005\"; "
	    "upstream = \"127.0.0.1:5001\"; proxy_protocol = { }; }\n"
	    ");\n");
	ck_assert_int_eq(c->routes[0].pp_send, CONF_PP_OFF);
	ck_assert_uint_eq(c->routes[0].pp_tlvs, 0);
	ck_assert_int_eq(c->routes[0].transparent, 0);
	ck_assert_int_eq(c->routes[1].pp_send, CONF_PP_EVERY);
	ck_assert_uint_eq(c->routes[1].pp_tlvs,
	    CONF_PP_TLV_AUTHORITY | CONF_PP_TLV_CRC32C);
	ck_assert_int_eq(c->routes[1].transparent, 1);
	ck_assert_int_eq(c->routes[2].pp_send, CONF_PP_FIRST);
	ck_assert_uint_eq(c->routes[2].pp_tlvs, 0);
	ck_assert_int_eq(c->routes[2].transparent, 0);
	ck_assert_int_eq(c->routes[3].pp_send, CONF_PP_OFF);
	ck_assert_uint_eq(c->routes[3].pp_tlvs, CONF_PP_TLV_AUTHORITY);
	ck_assert_int_eq(c->routes[4].pp_send, CONF_PP_OFF);
	ck_assert_ptr_null(c->routes[0].pp_from);
	/* A changed proxy_protocol or transparent makes new sessions. */
	ck_assert(conf_route_same_upstream(&c->routes[0], &c->routes[0]));
	ck_assert(!conf_route_same_upstream(&c->routes[0], &c->routes[1]));
	ck_assert(!conf_route_same_upstream(&c->routes[2], &c->routes[3]));
	ck_assert(!conf_route_same_upstream(&c->routes[3], &c->routes[4]));
	conf_free(c);
}
END_TEST

START_TEST(test_guard)
{
	struct conf		*c;
	const struct route_conf	*r;
	const struct limit_conf	*lc;
	struct addr_key		 k;
	struct sockaddr_in	 sin;

	c = load_ok(
	    "allow = [ \"10.0.0.0/8\", \"2001:db8::/32\" ];\n"
	    "deny = [ \"10.66.0.0/16\", \"all\" ];\n"
	    "per_client = { sessions = 4; rate = 200; burst = 400;\n"
	    "  bytes_rate = 1000000; prefix4 = 32; prefix6 = 64;\n"
	    "  table_size = 65536; };\n"
	    "max_reply_ratio = 3.0;\n"
	    "upload_rate = 0; download_rate = 0;\n"
	    "block = { threshold = 10; seconds = 60; };\n"
	    "routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:5000\";\n"
	    "    upstream = \"127.0.0.1:5001\"; },\n"
	    "  { name = \"b\"; listen = \"127.0.0.1:5002\";\n"
	    "    upstream = \"127.0.0.1:5001\"; allow = [ ];\n"
	    "    per_client = { sessions = 2; prefix4 = 24; };\n"
	    "    block = { threshold = 3; };\n"
	    "    max_reply_ratio = 0; upload_rate = 1000;\n"
	    "    download_rate = 2000; }\n"
	    ");\n");
	r = &c->routes[0];
	lc = &r->guard.limit;
	ck_assert_ptr_nonnull(r->guard.acl);
	ck_assert_uint_eq(lc->sessions, 4);
	ck_assert_uint_eq(lc->rate, 200);
	ck_assert_uint_eq(lc->burst, 400);
	ck_assert_uint_eq(lc->bytes_rate, 1000000);
	ck_assert_uint_eq(lc->prefix4, 32);
	ck_assert_uint_eq(lc->prefix6, 64);
	ck_assert_uint_eq(lc->table_size, 65536);
	ck_assert_uint_eq(lc->block_threshold, 10);
	ck_assert_uint_eq(lc->block_seconds, 60);
	ck_assert_uint_eq(r->guard.reply_ratio_milli, 3000);
	ck_assert_uint_eq(r->guard.upload_rate, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "10.1.2.3", &sin.sin_addr);
	addr_key_make(&k, (struct sockaddr *)&sin);
	ck_assert_int_eq(acl_match(r->guard.acl, &k), ACL_ALLOW);
	inet_pton(AF_INET, "10.66.2.3", &sin.sin_addr);
	addr_key_make(&k, (struct sockaddr *)&sin);
	ck_assert_int_eq(acl_match(r->guard.acl, &k), ACL_DENY);

	/* Route b: per-field overrides, an empty allow list is no list
	 * (the top-level deny list still applies). */
	r = &c->routes[1];
	lc = &r->guard.limit;
	ck_assert_uint_eq(lc->sessions, 2);
	ck_assert_uint_eq(lc->rate, 200);
	ck_assert_uint_eq(lc->prefix4, 24);
	ck_assert_uint_eq(lc->block_threshold, 3);
	ck_assert_uint_eq(lc->block_seconds, 60);
	ck_assert_uint_eq(r->guard.reply_ratio_milli, 0);
	ck_assert_uint_eq(r->guard.upload_rate, 1000);
	ck_assert_uint_eq(r->guard.download_rate, 2000);
	ck_assert_ptr_nonnull(r->guard.acl);
	inet_pton(AF_INET, "10.1.2.3", &sin.sin_addr);
	addr_key_make(&k, (struct sockaddr *)&sin);
	ck_assert_int_eq(acl_match(r->guard.acl, &k), ACL_DENY);
	ck_assert(!conf_route_same_guard(&c->routes[0], &c->routes[1]));
	ck_assert(conf_route_same_guard(&c->routes[0], &c->routes[0]));
	conf_free(c);

	/* Nothing set: everything off, no list. */
	c = load_ok("routes = ( " A " );\n");
	r = &c->routes[0];
	ck_assert_ptr_null(r->guard.acl);
	ck_assert(!limit_conf_active(&r->guard.limit));
	ck_assert_uint_eq(r->guard.limit.table_size, CONF_TABLE_DEFAULT);
	ck_assert_uint_eq(r->guard.limit.block_threshold, 0);
	ck_assert_uint_eq(r->guard.reply_ratio_milli, 0);
	conf_free(c);

	/* Integer ratio, top-level settings after the routes. */
	c = load_ok("routes = ( " A " );\nmax_reply_ratio = 2;\n"
	    "deny = [ \"127.0.0.2\" ];\n");
	ck_assert_uint_eq(c->routes[0].guard.reply_ratio_milli, 2000);
	ck_assert_ptr_nonnull(c->routes[0].guard.acl);
	conf_free(c);
}
END_TEST

START_TEST(test_proxy_protocol_from)
{
	struct conf		*c;
	struct sockaddr_in	 sin;

	c = load_ok("routes = (\n"
	    "{ name = \"a\"; listen = \"127.0.0.1:5000\"; "
	    "upstream = \"127.0.0.1:5001\"; proxy_protocol_from = [ "
	    "\"10.0.0.0/8\", \"2001:db8::/32\", \"192.0.2.1\" ]; },\n"
	    "{ name = \"b\"; listen = \"127.0.0.1:5002\"; "
	    "upstream = \"127.0.0.1:5001\"; proxy_protocol_from = ( "
	    "\"192.0.2.1\", \"10.0.0.0/8\", \"2001:db8::/32\" ); "
	    "transparent = true; },\n"
	    "{ name = \"c\"; listen = \"127.0.0.1:5003\"; "
	    "upstream = \"127.0.0.1:5001\"; proxy_protocol_from = [ "
	    "\"10.0.0.0/9\" ]; },\n"
	    "{ name = \"d\"; listen = \"127.0.0.1:5004\"; "
	    "upstream = \"[::1]:5001\"; proxy_protocol_from = [ "
	    "\"10.0.0.0/9\" ]; transparent = true; }\n"
	    ");\n");
	ck_assert_ptr_nonnull(c->routes[0].pp_from);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x0a800001);	/* 10.128.0.1 */
	ck_assert_int_eq(acl_match_sa(c->routes[0].pp_from,
	    (struct sockaddr *)&sin), ACL_ALLOW);
	ck_assert_int_eq(acl_match_sa(c->routes[2].pp_from,
	    (struct sockaddr *)&sin), ACL_DENY);
	sin.sin_addr.s_addr = htonl(0x7f000001);
	ck_assert_int_eq(acl_match_sa(c->routes[0].pp_from,
	    (struct sockaddr *)&sin), ACL_DENY);
	/* Same prefixes in another order: the same list. */
	ck_assert(!conf_route_same_upstream(&c->routes[0], &c->routes[1]));
	c->routes[1].transparent = 0;
	ck_assert(conf_route_same_upstream(&c->routes[0], &c->routes[1]));
	ck_assert(!conf_route_same_upstream(&c->routes[0], &c->routes[2]));
	/* With proxy_protocol_from, clients may be of either family. */
	ck_assert_int_eq(c->routes[3].transparent, 1);
	conf_free(c);
}
END_TEST

START_TEST(test_pool)
{
	struct conf		*c;
	const struct route_conf	*r;
	const struct member_conf *m;

	c = load_ok("routes = ( { name = \"a\"; listen = \"127.0.0.1:5000\";\n"
	    "  upstreams = ( \"127.0.0.1:5353\",\n"
	    "    { address = \"127.0.0.2:53\"; weight = 3; },\n"
	    "    { address = \"[::1]:53\"; backup = true; },\n"
	    "    { address = \"127.0.0.9:53\"; down = true; } );\n"
	    "  balance = \"least_sessions\"; responses = 0; requests = 1;\n"
	    "  max_fails = 3; fail_timeout = 2.5; } );\n");
	r = &c->routes[0];
	ck_assert_uint_eq(r->pool.nmembers, 4);
	ck_assert_int_eq(r->pool.balance, POOL_LEAST_SESSIONS);
	ck_assert_int_eq(r->responses, 0);
	ck_assert_uint_eq(r->requests, 1);
	ck_assert_uint_eq(r->pool.max_fails, 3);
	ck_assert_uint_eq(r->pool.fail_timeout_ms, 2500);
	m = r->pool.members;
	ck_assert_str_eq(m[0].address, "127.0.0.1:5353");
	ck_assert_uint_eq(m[0].weight, 1);
	ck_assert_int_eq(m[0].backup, 0);
	ck_assert_int_eq(m[0].line, 2);
	ck_assert_str_eq(fmt(&m[1].addrs[0]), "127.0.0.2:53");
	ck_assert_uint_eq(m[1].weight, 3);
	ck_assert_int_eq(m[1].line, 3);
	ck_assert_str_eq(fmt(&m[2].addrs[0]), "[::1]:53");
	ck_assert_int_eq(m[2].backup, 1);
	ck_assert_int_eq(m[2].down, 0);
	ck_assert_int_eq(m[3].down, 1);
	ck_assert_uint_eq(m[3].naddrs, 1);
	conf_free(c);

	/* Every balancer name; an array of strings is a list too. */
	c = load_ok("routes = ( { name = \"a\"; listen = \"127.0.0.1:5000\";\n"
	    "  upstreams = [ \"127.0.0.1:5001\", \"127.0.0.1:5002\" ];\n"
	    "  balance = \"hash\"; max_fails = 0; } );\n");
	ck_assert_uint_eq(c->routes[0].pool.nmembers, 2);
	ck_assert_int_eq(c->routes[0].pool.balance, POOL_HASH);
	ck_assert_uint_eq(c->routes[0].pool.max_fails, 0);
	conf_free(c);
}
END_TEST

/* A name is kept for resolve_conf, which fills in all its addresses. */
START_TEST(test_pool_name_addresses)
{
	struct conf	*c;

	c = load_ok("routes = ( { name = \"a\"; listen = \"127.0.0.1:5000\";\n"
	    "  upstreams = ( \"127.0.0.1:5002\", \"localhost:5001\" ); } );\n");
	ck_assert_ptr_null(c->routes[0].pool.members[0].host);
	ck_assert_uint_eq(c->routes[0].pool.members[0].naddrs, 1);
	ck_assert_str_eq(c->routes[0].pool.members[1].host, "localhost");
	ck_assert_uint_eq(c->routes[0].pool.members[1].port, 5001);
	ck_assert_uint_eq(c->routes[0].pool.members[1].naddrs, 0);
	conf_free(c);
}
END_TEST

START_TEST(test_bad)
{
	load_fail(bad[_i].text, bad[_i].err);
}
END_TEST

/*
 * BUG (conf_is_loop): an upstream written as a v4-mapped address reaches
 * a 0.0.0.0:P listener (the session socket is AF_INET6 without V6ONLY),
 * but the loop check compares the raw ss_family (AF_INET6 vs AF_INET).
 */
START_TEST(test_loop_v4mapped_wildcard)
{
	load_fail(R1("\"a\"", "\"0.0.0.0:5000\"",
	    "\"[::ffff:127.0.0.1]:5000\""),
	    ":1" LOOP("a", "[::ffff:127.0.0.1]:5000", "a"));
}
END_TEST

/* Whichever address localhost has, the loop is found. */
START_TEST(test_loop_hostname)
{
	char		 path[PATHLEN], err[CONF_ERRLEN] = "";
	struct conf	*c;
	struct event_base *base;

	write_file("udproxy.conf", "routes = (\n"
	    "  { name = \"v4\"; listen = \"0.0.0.0:5000\";\n"
	    "    upstream = \"localhost:5000\"; },\n"
	    "  { name = \"v6\"; listen = \"[::]:5000\";\n"
	    "    upstream = \"192.0.2.1:5000\"; }\n"
	    ");\n", path, sizeof(path));
	/* Parsing keeps the name; the check runs once it is resolved. */
	c = conf_load_file(path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(c->routes[0].pool.members[0].host, "localhost");
	ck_assert_uint_eq(c->routes[0].pool.members[0].port, 5000);
	ck_assert_uint_eq(c->routes[0].pool.members[0].naddrs, 0);
	ck_assert_ptr_null(c->routes[1].pool.members[0].host);
	base = event_base_new();
	c = resolve_conf_wait(base, c, err, sizeof(err));
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_free(base);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, ":2: route 'v4': upstream localhost:5000 is "
	    "udproxy's own listener (route 'v") != NULL, "got \"%s\"", err);
}
END_TEST

/* resolver: numeric addresses, port 53 by default, printed canonically. */
START_TEST(test_resolver_setting)
{
	char		 path[PATHLEN], err[CONF_ERRLEN] = "";
	struct conf	*c;

	write_file("udproxy.conf", "resolver = ( \"127.0.0.1:5353\", "
	    "\"127.0.0.2\", \"[::1]:53\" );\nresolver_timeout = 0.5;\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:5000\";\n"
	    "    upstream = \"dns.example:53\"; } );\n", path, sizeof(path));
	c = conf_load_file(path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->nresolvers, 3);
	ck_assert_str_eq(c->resolvers[0], "127.0.0.1:5353");
	ck_assert_str_eq(c->resolvers[1], "127.0.0.2:53");
	ck_assert_str_eq(c->resolvers[2], "[::1]:53");
	ck_assert_uint_eq(c->resolver_timeout_ms, 500);
	ck_assert_str_eq(c->routes[0].pool.members[0].host, "dns.example");
	conf_free(c);
	write_file("udproxy.conf", "routes = ( { name = \"a\"; listen = "
	    "\"127.0.0.1:5000\"; upstream = \"127.0.0.1:53\"; } );\n", path,
	    sizeof(path));
	c = conf_load_file(path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->nresolvers, 0);
	ck_assert_uint_eq(c->resolver_timeout_ms, CONF_RESOLVER_TIMEOUT_MS);
	ck_assert_ptr_null(c->routes[0].pool.members[0].host);
	conf_free(c);
}
END_TEST

#define RSVT(x)	x "\nroutes = ( { name = \"a\"; listen = \"127.0.0.1:5000\"; " \
	    "upstream = \"127.0.0.1:53\"; } );\n"
START_TEST(test_resolver_bad)
{
	load_fail(RSVT("resolver = \"127.0.0.1\";"), ":1: resolver must be a "
	    "list of addresses, as in ( \"127.0.0.1:53\" ), not a string");
	load_fail(RSVT("resolver = ( );"), ":1: resolver must list 1 to 8 "
	    "addresses");
	load_fail(RSVT("resolver = ( \"ns.example:53\" );"), ":1: resolver: "
	    "invalid IP address 'ns.example'");
	load_fail(RSVT("resolver = ( 53 );"), ":1: resolver: element 1 must be "
	    "a string, not an integer");
	load_fail(RSVT("resolver = ( \"0.0.0.0:53\" );"), ":1: resolver: "
	    "'0.0.0.0:53' is a wildcard address");
	load_fail(RSVT("resolver_timeout = 0.05;"), ":1: resolver_timeout must "
	    "be between 0.1 and 60 seconds");
	load_fail(RSVT("resolver_timeout = 61;"), ":1: resolver_timeout must "
	    "be between 0.1 and 60 seconds");
}
END_TEST

/* upgrade_timeout: seconds; unset, 10 s plus resolver_timeout. */
START_TEST(test_upgrade_timeout)
{
	struct conf	*c;

	c = load_ok(RSVT(""));
	ck_assert_uint_eq(c->upgrade_timeout_ms, 15000);
	conf_free(c);
	c = load_ok(RSVT("resolver_timeout = 2.5;"));
	ck_assert_uint_eq(c->upgrade_timeout_ms, 12500);
	conf_free(c);
	/* Set, it is the whole bound, whatever resolver_timeout says. */
	c = load_ok(RSVT("upgrade_timeout = 0.25;\nresolver_timeout = 30;"));
	ck_assert_uint_eq(c->upgrade_timeout_ms, 250);
	conf_free(c);
	c = load_ok(RSVT("upgrade_timeout = 300;"));
	ck_assert_uint_eq(c->upgrade_timeout_ms, 300000);
	conf_free(c);
	load_fail(RSVT("upgrade_timeout = 0.05;"), ":1: upgrade_timeout must "
	    "be between 0.1 and 300 seconds");
	load_fail(RSVT("upgrade_timeout = 301;"), ":1: upgrade_timeout must "
	    "be between 0.1 and 300 seconds");
	load_fail(RSVT("\nupgrade_timeout = 0;"), ":2: upgrade_timeout must "
	    "be greater than 0 and at most 86400 seconds");
	load_fail(RSVT("upgrade_timeout = \"10\";"), ":1: upgrade_timeout must "
	    "be a number of seconds, not a string");
}
END_TEST

START_TEST(test_upstream_bad_name)
{
	load_fail(R1("\"a\"", "\"127.0.0.1:5000\"", "\"bad_-.name..x:53\""),
	    ":1: route 'a': upstream: invalid host name 'bad_-.name..x'");
	load_fail(R1("\"a\"", "\"127.0.0.1:5000\"", "\"-x.example:53\""),
	    ":1: route 'a': upstream: invalid host name '-x.example'");
}
END_TEST

/* udproxy -s finds the socket even in a file the daemon would refuse. */
START_TEST(test_peek_control)
{
	char	path[PATHLEN], buf[CONF_CONTROL_MAX];

	write_file("p.conf", "control = \"/run/a.sock\";\nroutes = ( "
	    "{ name = \"a\"; listen = \"127.0.0.1:5000\"; upstream = "
	    "\"127.0.0.1:99999\"; } );\n", path, sizeof(path));
	ck_assert_int_eq(conf_peek_control(path, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/run/a.sock");
	/* A syntax error: the line scan finds it. */
	write_file("p.conf", "log_level = \"info\";\n  control = "
	    "\"/run/b.sock\";\nroutes = ( { name = \"a\" listen } );\n",
	    path, sizeof(path));
	ck_assert_int_eq(conf_peek_control(path, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/run/b.sock");
	write_file("p.conf", "routes = ( );\n", path, sizeof(path));
	ck_assert_int_eq(conf_peek_control(path, buf, sizeof(buf)), -1);
	write_file("p.conf", "controls = \"/run/c.sock\";\nroutes = ( ;\n",
	    path, sizeof(path));
	ck_assert_int_eq(conf_peek_control(path, buf, sizeof(buf)), -1);
	write_file("p.conf", "control = \"relative.sock\";\n", path,
	    sizeof(path));
	ck_assert_int_eq(conf_peek_control(path, buf, sizeof(buf)), -1);
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	ck_assert_int_eq(conf_peek_control(path, buf, sizeof(buf)), -1);
	/* A FIFO is refused at once, not read (udproxy -s would hang). */
	snprintf(path, sizeof(path), "%s/fifo.conf", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(conf_peek_control(path, buf, sizeof(buf)), -1);
}
END_TEST

START_TEST(test_health_check_parse)
{
	struct conf		*c;
	const struct health_conf *hc;

	c = load_ok(RT("health_check = { interval = 2; timeout = 0.5; "
	    "send = \"\\\\x00\\\\x01ping\"; expect = \"PO\\\\x4eG\"; rise = 4; "
	    "fall = 5; };"));
	hc = c->routes[0].health;
	ck_assert_ptr_nonnull(hc);
	ck_assert_uint_eq(hc->interval_ms, 2000);
	ck_assert_uint_eq(hc->timeout_ms, 500);
	ck_assert_uint_eq(hc->rise, 4);
	ck_assert_uint_eq(hc->fall, 5);
	ck_assert_uint_eq(hc->send_len, 6);
	ck_assert(memcmp(hc->send, "\x00\x01ping", 6) == 0);
	ck_assert_uint_eq(hc->expect_len, 4);
	ck_assert(memcmp(hc->expect, "PONG", 4) == 0);
	conf_free(c);
	/* Defaults: 5 s, 1 s, rise 2, fall 3, any reply. */
	c = load_ok(RT("health_check = { send = \"x\"; };"));
	hc = c->routes[0].health;
	ck_assert_uint_eq(hc->interval_ms, 5000);
	ck_assert_uint_eq(hc->timeout_ms, 1000);
	ck_assert_uint_eq(hc->rise, 2);
	ck_assert_uint_eq(hc->fall, 3);
	ck_assert_uint_eq(hc->expect_len, 0);
	ck_assert_uint_eq(c->routes[0].resolve_interval_ms, 0);
	ck_assert_uint_eq(c->resolve_min_ms, 1000);
	ck_assert_uint_eq(c->resolve_max_ms, 3600000);
	conf_free(c);
	c = load_ok(RT("resolve_interval = 30;"));
	ck_assert_ptr_null(c->routes[0].health);
	ck_assert_uint_eq(c->routes[0].resolve_interval_ms, 30000);
	conf_free(c);
	c = load_ok("resolve_min = 2; resolve_max = 60;\n" RT(""));
	ck_assert_uint_eq(c->resolve_min_ms, 2000);
	ck_assert_uint_eq(c->resolve_max_ms, 60000);
	conf_free(c);
}
END_TEST

START_TEST(test_health_check_bad)
{
	load_fail(RT("health_check = 5;"), ":3: route 'a': health_check "
	    "must be a group { ... }, not an integer");
	load_fail(RT("health_check = { interval = 1; };"), ":3: route 'a': "
	    "health_check: missing 'send'");
	load_fail(RT("health_check = { send = \"x\"; port = 5; };"), ":3: "
	    "route 'a': health_check: unknown setting 'port'");
	load_fail(RT("health_check = { send = \"\\\\x0\"; };"), ":3: route "
	    "'a': health_check: send: bad escape at byte 1: write \\\\xNN "
	    "with two hex digits, or \\\\\\\\");
	load_fail(RT("health_check = { send = 1; };"), ":3: route 'a': "
	    "health_check: send must be a string, not an integer");
	load_fail(RT("health_check = { send = \"x\"; rise = 0; };"), ":3: "
	    "route 'a': health_check: rise must be between 1 and 100, not 0");
	load_fail(RT("health_check = { send = \"x\"; fall = 101; };"), ":3: "
	    "route 'a': health_check: fall must be between 1 and 100, not "
	    "101");
	load_fail(RT("health_check = { send = \"x\"; interval = 1;\n"
	    "timeout = 2; };"), ":4: route 'a': health_check: timeout must "
	    "not exceed interval");
	load_fail(RT("health_check = { send = \"x\"; interval = 3601; };"),
	    ":3: route 'a': health_check: interval must be at most 3600 "
	    "seconds");
	load_fail(RT("health_check = { send = \"x\"; interval = 0; };"),
	    ":3: route 'a': health_check: interval must be greater than 0 "
	    "and at most 86400 seconds");
	load_fail(RT("resolve_interval = 0;"), ":3: route 'a': "
	    "resolve_interval must be greater than 0 and at most 86400 "
	    "seconds");
	load_fail("resolve_min = 10;\nresolve_max = 5;\n" RT(""), ":2: "
	    "resolve_min (10000 ms) must not exceed resolve_max (5000 ms)");
}
END_TEST

START_TEST(test_missing_file)
{
	char	path[PATHLEN], want[PATHLEN + 64];

	snprintf(path, sizeof(path), "%s/nonexistent.conf", dir);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	load_path_fail(path, want);
	snprintf(path, sizeof(path), "%s/nodir/udproxy.conf", dir);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	load_path_fail(path, want);
}
END_TEST

/* libconfig refuses a directory with errno 0; conf.c names the reason. */
START_TEST(test_directory)
{
	char	want[PATHLEN + 64];

	snprintf(want, sizeof(want), "%s: Is a directory", dir);
	load_path_fail(dir, want);
}
END_TEST

/* Root reads any file, so this only means something for other users. */
START_TEST(test_unreadable)
{
	char	path[PATHLEN], want[PATHLEN + 64];

	if (geteuid() == 0)
		return;
	write_file("udproxy.conf", "routes = ( " A " );\n", path,
	    sizeof(path));
	ck_assert_int_eq(chmod(path, 0), 0);
	snprintf(want, sizeof(want), "%s: Permission denied", path);
	load_path_fail(path, want);
}
END_TEST

/* An unterminated string is reported at end of file: check only the end. */
START_TEST(test_unterminated_string)
{
	char		 path[PATHLEN], err[CONF_ERRLEN] = "";
	struct conf	*c;
	size_t		 plen, elen;

	write_file("udproxy.conf", "routes = ( { name = \"a\";\n"
	    "  listen = \"127.0.0.1:5000; upstream = \"127.0.0.1:5001\";\n"
	    "} );\n",
	    path, sizeof(path));
	c = conf_load_file(path, err, sizeof(err));
	ck_assert_ptr_null(c);
	plen = strlen(path);
	elen = strlen(err);
	ck_assert_msg(strncmp(err, path, plen) == 0 && err[plen] == ':' &&
	    elen > 14 && strcmp(err + elen - 14, ": syntax error") == 0,
	    "got \"%s\"", err);
}
END_TEST

/*
 * A raw NUL byte is an error, not the end of the file (libconfig would
 * ignore what follows it): refused before parsing, with its line.
 */
START_TEST(test_nul_byte)
{
	static const char	 text[] =
	    "routes = ( " A " );\nlog_level\0 = 1;\n";
	char			 path[PATHLEN], want[PATHLEN + 64];
	FILE			*f;

	snprintf(path, sizeof(path), "%s/udproxy.conf", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(text, 1, sizeof(text) - 1, f),
	    sizeof(text) - 1);
	ck_assert_int_eq(fclose(f), 0);
	snprintf(want, sizeof(want), "%s:2: NUL byte in the file", path);
	load_path_fail(path, want);
}
END_TEST

/*
 * libconfig 1.5 quirks that are not errors, pinned so an upgrade that
 * changes them is noticed: ';' is optional, so a forgotten one is no
 * syntax error; and a dangling unterminated string after a complete file
 * is dropped silently (one reason to replace files by rename(2)).
 */
START_TEST(test_libconfig_leniency)
{
	struct conf	*c;

	c = load_ok("routes = ( { name = \"a\" listen = \"127.0.0.1:5000\"\n"
	    "  upstream = \"127.0.0.1:5001\" } )\nlog_level = \"debug\"\n");
	ck_assert_str_eq(c->routes[0].pool.members[0].address,
	    "127.0.0.1:5001");
	ck_assert_int_eq(c->log_level, LOG_LEVEL_DEBUG);
	conf_free(c);

	c = load_ok("routes = ( " A " );\nlog_level = \"debug\";\n\"dangling");
	ck_assert_uint_eq(c->nroutes, 1);
	ck_assert_int_eq(c->log_level, LOG_LEVEL_DEBUG);
	conf_free(c);
}
END_TEST

/*
 * libconfig 1.5 wraps integer literals to 32 bits with no error, so a
 * wrapped value that lands in range loads as a working but wrong number.
 * conf.c cannot see the literal; these pin the behaviour (and the man page
 * must say to keep numbers small). An L suffix keeps all 64 bits.
 */
START_TEST(test_int_wrap)
{
	struct conf	*c;

	c = load_ok("max_sessions = 4294967297;\nroutes = ( " A " );\n");
	ck_assert_uint_eq(c->max_sessions, 1);
	conf_free(c);

	c = load_ok(RT("max_sessions = 4294967297;"));
	ck_assert_uint_eq(c->routes[0].max_sessions, 1);
	conf_free(c);


	c = load_ok(RT("idle_timeout = 4294967326;"));	/* 2^32 + 30 */
	ck_assert_uint_eq(c->routes[0].idle_ms, 30000);
	conf_free(c);
}
END_TEST

/*
 * The daemon changes to "/" after start, so includes must resolve beside
 * the main file, never against the working directory.
 */
START_TEST(test_include_after_chdir)
{
	char		 path[PATHLEN];
	struct conf	*c;

	write_file("routes.inc", "routes = (\n  " A "\n);\n", path,
	    sizeof(path));
	snprintf(path, sizeof(path), "%s/sub", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	write_file("sub/more.inc", "max_sessions = 77;\n", path, sizeof(path));
	ck_assert_int_eq(chdir("/"), 0);
	c = load_ok("log_level = \"debug\";\n@include \"routes.inc\"\n"
	    "@include \"sub/more.inc\"\n");
	ck_assert_int_eq(c->log_level, LOG_LEVEL_DEBUG);
	ck_assert_uint_eq(c->max_sessions, 77);
	ck_assert_uint_eq(c->nroutes, 1);
	ck_assert_str_eq(c->routes[0].name, "a");
	/* libconfig names an included file as the @include line spelt it. */
	ck_assert_str_eq(c->routes[0].file, "routes.inc");
	ck_assert_int_eq(c->routes[0].line, 2);
	conf_free(c);
}
END_TEST

/* A file in a subdirectory includes relative to its own directory too. */
START_TEST(test_include_parent)
{
	char		 path[PATHLEN], err[CONF_ERRLEN] = "";
	struct conf	*c;

	write_file("routes.inc", "routes = ( " A " );\n", path, sizeof(path));
	snprintf(path, sizeof(path), "%s/etc", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	write_file("etc/udproxy.conf", "@include \"../routes.inc\"\n", path,
	    sizeof(path));
	ck_assert_int_eq(chdir("/"), 0);
	c = conf_load_file(path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->nroutes, 1);
	conf_free(c);
}
END_TEST

START_TEST(test_include_error_inside)
{
	char	path[PATHLEN];

	write_file("bad.inc", "routes = (\n  { name = \"a\";\n"
	    "    listen = \"127.0.0.1:5000\";\n"
	    "    upsteam = \"127.0.0.1:5001\"; }\n);\n", path, sizeof(path));
	ck_assert_int_eq(chdir("/"), 0);
	write_file("udproxy.conf",
	    "log_level = \"info\";\n@include \"bad.inc\"\n", path,
	    sizeof(path));
	load_path_fail(path, "bad.inc:4: route 'a': unknown setting 'upsteam'");
}
END_TEST

START_TEST(test_include_syntax_error_inside)
{
	char	path[PATHLEN];

	write_file("syn.inc", "routes = (\n  { name \"a\";\n"
	    "    listen = \"127.0.0.1:5000\"; } );\n", path, sizeof(path));
	write_file("udproxy.conf", "@include \"syn.inc\"\n", path,
	    sizeof(path));
	load_path_fail(path, "syn.inc:2: syntax error");
}
END_TEST

START_TEST(test_include_missing)
{
	load_fail("log_level = \"info\";\n\n@include \"missing.inc\"\n",
	    ":3: cannot open include file");
}
END_TEST

/*
 * libconfig 1.5 puts the include directory in front of every @include
 * path, so an absolute one cannot be opened. Pinned: the man page must
 * say include paths are relative to the main file's directory.
 */
START_TEST(test_include_absolute)
{
	char	inc[PATHLEN], text[PATHLEN + 64];

	write_file("routes.inc", "routes = ( " A " );\n", inc, sizeof(inc));
	snprintf(text, sizeof(text), "@include \"%s\"\n", inc);
	load_fail(text, ":1: cannot open include file");
}
END_TEST

/* Self-inclusion stops at libconfig's depth limit, with no fd left open. */
START_TEST(test_include_self)
{
	char	path[PATHLEN];
	int	fds = count_fds();

	write_file("self.conf", "@include \"self.conf\"\n", path,
	    sizeof(path));
	load_path_fail(path, "self.conf:1: include file nesting too deep");
	write_file("a.inc", "\n@include \"b.inc\"\n", path, sizeof(path));
	write_file("b.inc", "@include \"a.inc\"\n", path, sizeof(path));
	write_file("udproxy.conf", "@include \"a.inc\"\n", path, sizeof(path));
	load_path_fail(path, "b.inc:1: include file nesting too deep");
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

/* The example that make install copies into place must load as shipped. */
START_TEST(test_shipped_example)
{
	char		 err[CONF_ERRLEN] = "";
	struct conf	*c;
	size_t		 i;

	ck_assert_msg(example[0] != '\0', "conf/udproxy.conf not found; "
	    "set UDPROXY_SRCDIR");
	c = conf_load_file(example, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_ge(c->nroutes, 1);
	for (i = 0; i < c->nroutes; i++) {
		/* As shipped it must run unprivileged: no port below 1024. */
		ck_assert_uint_ge(addr_port(&c->routes[i].listen), 1024);
		ck_assert_str_eq(c->routes[i].file, example);
	}
	ck_assert_ptr_null(c->user);
	conf_free(c);
}
END_TEST

/*
 * Every prefix of a good file (a config cut short by a partial write)
 * either fails with an error that names the file, or loads something
 * valid. Never a crash, a leak or an empty error.
 */
START_TEST(test_truncated)
{
	static const char	 text[] = GOOD_CONF;
	char			 path[PATHLEN], err[CONF_ERRLEN];
	char			 prefix[sizeof(text)];
	struct conf		*c;
	size_t			 n, plen, loaded = 0;

	for (n = 0; n < sizeof(text) - 1; n++) {
		memcpy(prefix, text, n);
		prefix[n] = '\0';
		write_file("udproxy.conf", prefix, path, sizeof(path));
		err[0] = '\0';
		c = conf_load_file(path, err, sizeof(err));
		if (c != NULL) {
			ck_assert_uint_ge(c->nroutes, 1);
			conf_free(c);
			loaded++;
			continue;
		}
		plen = strlen(path);
		ck_assert_msg(strncmp(err, path, plen) == 0 &&
		    err[plen] == ':' && err[plen + 1] != '\0',
		    "prefix %zu: \"%s\"", n, err);
	}
	/*
	 * Only the cuts after the final ")" and ";" load (the terminator is
	 * optional): the single top-level list makes every other cut fail.
	 */
	ck_assert_uint_eq(loaded, 2);
}
END_TEST

/*
 * Loads in a row share no state: a good load after any failure gives the
 * full result, and errors never carry positions from an earlier file.
 */
START_TEST(test_repeated_loads)
{
	char		 good[PATHLEN], syn[PATHLEN], sem[PATHLEN];
	char		 missing[PATHLEN], want[PATHLEN + CONF_ERRLEN];
	char		 err[CONF_ERRLEN];
	struct conf	*c;
	int		 i, fds;

	write_file("good.conf", GOOD_CONF, good, sizeof(good));
	write_file("syn.conf", "\n\nroutes = ( " A " ;\n", syn, sizeof(syn));
	write_file("sem.conf", "\n" RT("idle_timeout = 0;"), sem, sizeof(sem));
	snprintf(missing, sizeof(missing), "%s/missing.conf", dir);
	fds = count_fds();
	for (i = 0; i < 200; i++) {
		ck_assert_ptr_null(conf_load_file(syn, err, sizeof(err)));
		snprintf(want, sizeof(want), "%s:3: syntax error", syn);
		ck_assert_str_eq(err, want);

		/* A FILE_IO error must not show the previous file's line. */
		ck_assert_ptr_null(conf_load_file(missing, err, sizeof(err)));
		snprintf(want, sizeof(want), "%s: No such file or directory",
		    missing);
		ck_assert_str_eq(err, want);

		ck_assert_ptr_null(conf_load_file(sem, err, sizeof(err)));
		snprintf(want, sizeof(want), "%s" ":4: route 'a': idle_timeout must be "
		    "greater than 0 and at most 86400 seconds", sem);
		ck_assert_str_eq(err, want);

		c = conf_load_file(good, err, sizeof(err));
		ck_assert_msg(c != NULL, "%s", err);
		ck_assert_uint_eq(c->nroutes, 3);
		ck_assert_str_eq(c->routes[1].name, "v6.route-2_X");
		ck_assert_uint_eq(c->routes[1].idle_ms, 250);
		ck_assert_uint_eq(c->max_sessions, 5000);
		ck_assert_int_eq(c->routes[2].line, 21);
		conf_free(c);
	}
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

/* A short error buffer is filled and terminated, never overrun. */
START_TEST(test_short_errbuf)
{
	char		 path[PATHLEN], err[16];
	struct conf	*c;

	write_file("udproxy.conf", "foo = 1;\n", path, sizeof(path));
	memset(err, 'x', sizeof(err));
	c = conf_load_file(path, err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(strlen(err), sizeof(err) - 1);
	ck_assert_int_eq(strncmp(err, path, sizeof(err) - 1), 0);
}
END_TEST

/*
 * The route checks find the first bad route by sorting; here random
 * tables of routes are checked against the plain pairwise rules, in file
 * order, message for message.
 */
struct rand_addr {
	const char	*text;
	int		 family;	/* after folding v4-mapped */
	const char	*host;		/* folded, for equality */
	int		 port;
	int		 wild;
	int		 loopback;
};

static const struct rand_addr rand_listen[] = {
	{ "127.0.0.1:5000", 4, "127.0.0.1", 5000, 0, 1 },
	{ "127.0.0.2:5000", 4, "127.0.0.2", 5000, 0, 1 },
	{ "0.0.0.0:5000", 4, "0.0.0.0", 5000, 1, 0 },
	{ "127.0.0.1:5001", 4, "127.0.0.1", 5001, 0, 1 },
	{ "0.0.0.0:5001", 4, "0.0.0.0", 5001, 1, 0 },
	{ "[::1]:5000", 6, "::1", 5000, 0, 1 },
	{ "[::]:5000", 6, "::", 5000, 1, 0 },
	{ "[::1]:5001", 6, "::1", 5001, 0, 1 },
};
static const struct rand_addr rand_upstream[] = {
	{ "127.0.0.1:5000", 4, "127.0.0.1", 5000, 0, 1 },
	{ "127.0.0.3:5001", 4, "127.0.0.3", 5001, 0, 1 },
	{ "[::ffff:127.0.0.1]:5000", 4, "127.0.0.1", 5000, 0, 1 },
	{ "[::1]:5001", 6, "::1", 5001, 0, 1 },
	{ "192.0.2.1:5000", 4, "192.0.2.1", 5000, 0, 0 },
	{ "127.0.0.1:6000", 4, "127.0.0.1", 6000, 0, 1 },
	{ "192.0.2.1:6000", 4, "192.0.2.1", 6000, 0, 0 },
	{ "[2001:db8::1]:5000", 6, "2001:db8::1", 5000, 0, 0 },
};
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static int
rand_same(const struct rand_addr *a, const struct rand_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	    strcmp(a->host, b->host) == 0;
}

START_TEST(test_route_checks_random)
{
	char				 text[4096], path[PATHLEN], want[1024];
	char				 err[CONF_ERRLEN];
	const struct rand_addr		*l[8], *u[8];
	char				 names[8][4];
	struct conf			*c;
	unsigned int			 seed = 12345;
	int				 round, n, i, j, off;

	for (round = 0; round < 3000; round++) {
		n = 1 + (int)(rand_r(&seed) % 7);
		off = snprintf(text, sizeof(text), "routes = (\n");
		for (i = 0; i < n; i++) {
			snprintf(names[i], sizeof(names[i]), "r%u",
			    rand_r(&seed) % 10);
			l[i] = &rand_listen[rand_r(&seed) % NELEM(rand_listen)];
			u[i] = &rand_upstream[rand_r(&seed) %
			    NELEM(rand_upstream)];
			off += snprintf(text + off, sizeof(text) - (size_t)off,
			    "{ name = \"%s\"; listen = \"%s\"; upstream = "
			    "\"%s\"; }%s\n", names[i], l[i]->text, u[i]->text,
			    i + 1 < n ? "," : "");
		}
		snprintf(text + off, sizeof(text) - (size_t)off, ");\n");
		write_file("rand.conf", text, path, sizeof(path));

		/* The rules, pair by pair, in file order. */
		want[0] = '\0';
		for (i = 0; i < n && want[0] == '\0'; i++) {
			for (j = 0; j < i && want[0] == '\0'; j++) {
				if (strcmp(names[i], names[j]) == 0)
					snprintf(want, sizeof(want), "%s:%d: "
					    "duplicate route name '%s' (first "
					    "at line %d)", path, i + 2,
					    names[i], j + 2);
				else if (l[i]->family == l[j]->family &&
				    l[i]->port == l[j]->port &&
				    (rand_same(l[i], l[j]) || l[i]->wild ||
				    l[j]->wild))
					snprintf(want, sizeof(want), "%s:%d: "
					    "route '%s': listen %s conflicts "
					    "with route '%s' (line %d)", path,
					    i + 2, names[i], l[i]->text,
					    names[j], j + 2);
			}
			for (j = 0; j < n && want[0] == '\0'; j++)
				if (rand_same(u[i], l[j]) || (l[j]->wild &&
				    u[i]->loopback &&
				    u[i]->family == l[j]->family &&
				    u[i]->port == l[j]->port))
					snprintf(want, sizeof(want), "%s:%d: "
					    "route '%s': upstream %s is "
					    "udproxy's own listener (route "
					    "'%s'): a forwarding loop", path,
					    i + 2, names[i], u[i]->text,
					    names[j]);
		}
		c = conf_load_file(path, err, sizeof(err));
		if (want[0] == '\0') {
			ck_assert_msg(c != NULL, "round %d: %s\n%s", round, err,
			    text);
			conf_free(c);
		} else {
			ck_assert_msg(c == NULL, "round %d: loaded, want %s\n%s",
			    round, want, text);
			ck_assert_msg(strcmp(err, want) == 0, "round %d: got "
			    "%s\nwant %s\n%s", round, err, want, text);
		}
	}
}
END_TEST

#define OBS_ROUTE							\
	"routes = ( { name = \"a\"; listen = \"127.0.0.1:7000\";\n"	\
	"  upstream = \"127.0.0.1:7001\"; } );\n"

static int
stats_allowed(const struct conf *c, const char *ip)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else {
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
		sin6->sin6_family = AF_INET6;
	}
	return acl_match_sa(c->stats->allow, (struct sockaddr *)&ss) ==
	    ACL_ALLOW;
}

/* stats = { ... }: listen forms, allow defaults and prefixes. */
START_TEST(test_stats_block)
{
	struct conf	*c;

	c = load_ok("stats = { listen = \"9110\"; };\n" OBS_ROUTE);
	ck_assert_ptr_nonnull(c->stats);
	ck_assert_str_eq(fmt(&c->stats->listen), "127.0.0.1:9110");
	/* Loopback only by default. */
	ck_assert(stats_allowed(c, "127.9.9.9"));
	ck_assert(stats_allowed(c, "::1"));
	ck_assert(!stats_allowed(c, "10.0.0.1"));
	ck_assert(!stats_allowed(c, "::2"));
	conf_free(c);
	c = load_ok("stats = { listen = 9111; };\n" OBS_ROUTE);
	ck_assert_str_eq(fmt(&c->stats->listen), "127.0.0.1:9111");
	conf_free(c);
	c = load_ok("stats = { listen = \"[::1]:9110\";\n"
	    "  allow = [ \"10.1.0.0/16\", \"::1\", \"0.0.0.0/0\" ]; };\n"
	    OBS_ROUTE);
	ck_assert_str_eq(fmt(&c->stats->listen), "[::1]:9110");
	ck_assert(stats_allowed(c, "10.1.255.255"));
	ck_assert(stats_allowed(c, "192.0.2.1"));
	ck_assert(stats_allowed(c, "::1"));
	ck_assert(!stats_allowed(c, "::2"));
	conf_free(c);
	c = load_ok("stats = { listen = \"9110\";\n"
	    "  allow = [ \"10.1.0.0/16\" ]; };\n" OBS_ROUTE);
	ck_assert(stats_allowed(c, "10.1.0.1"));
	ck_assert(!stats_allowed(c, "10.2.0.1"));
	ck_assert(!stats_allowed(c, "127.0.0.1"));
	conf_free(c);
	c = load_ok(OBS_ROUTE);
	ck_assert_ptr_null(c->stats);
	ck_assert_ptr_null(c->access_log);
	ck_assert_ptr_null(c->routes[0].access_log);
	conf_free(c);
}
END_TEST

START_TEST(test_stats_errors)
{
	load_fail("stats = 9110;\n" OBS_ROUTE,
	    ":1: stats must be a group { ... }, not an integer");
	load_fail("stats = { };\n" OBS_ROUTE, ":1: stats: missing 'listen'");
	load_fail("stats = { listen = \"9110\"; port = 1; };\n" OBS_ROUTE,
	    ":1: stats: unknown setting 'port'");
	load_fail("stats = { listen = \"localhost:9110\"; };\n" OBS_ROUTE,
	    ":1: stats: listen: invalid IP address 'localhost'");
	load_fail("stats = { listen = \"99999\"; };\n" OBS_ROUTE,
	    ":1: stats: listen: invalid port '99999' (1-65535)");
	load_fail("stats = { listen = \"9110\";\n allow = \"127.0.0.1\"; };\n"
	    OBS_ROUTE, ":2: stats: allow must be an array of prefixes "
	    "[ \"127.0.0.0/8\", ... ], not a string");
	load_fail("stats = { listen = \"9110\";\n allow = [ \"127.0.0.1/8\" ]; "
	    "};\n" OBS_ROUTE, ":2: stats: allow: '127.0.0.1/8': bits set after "
	    "the first 8: not a network address");
	load_fail("stats = { listen = \"9110\";\n allow = [ \"::1/129\" ]; };\n"
	    OBS_ROUTE, ":2: stats: allow: '::1/129': prefix length 129 "
	    "is over 128");
	load_fail("stats = { listen = \"9110\";\n allow = [ \"10.0.0.0/\" ]; "
	    "};\n" OBS_ROUTE, ":2: stats: allow: '10.0.0.0/': bad prefix "
	    "length");
	load_fail("stats = { listen = \"9110\";\n allow = [ \"host\" ]; };\n"
	    OBS_ROUTE, ":2: stats: allow: 'host': not an IPv4 or IPv6 "
	    "address");
	load_fail("stats = { listen = \"9110\";\n allow = [ ]; };\n"
	    OBS_ROUTE, ":2: stats: allow: empty list (remove the stats "
	    "block to turn the endpoint off)");
}
END_TEST

/* access_log at the top and per route; routes inherit what they lack. */
START_TEST(test_access_log)
{
	struct conf	*c;

	c = load_ok("access_log = \"/var/log/udproxy/access.log\";\n"
	    "access_log_format = \"json\";\n"
	    "routes = ( { name = \"a\"; listen = \"127.0.0.1:7000\";\n"
	    "  upstream = \"127.0.0.1:7001\"; },\n"
	    " { name = \"b\"; listen = \"127.0.0.1:7002\";\n"
	    "  upstream = \"127.0.0.1:7001\"; access_log = \"syslog\";\n"
	    "  access_log_format = \"text\"; } );\n");
	ck_assert_str_eq(c->access_log, "/var/log/udproxy/access.log");
	ck_assert_str_eq(c->routes[0].access_log,
	    "/var/log/udproxy/access.log");
	ck_assert_int_eq(c->routes[0].access_log_format, ACCESSLOG_JSON);
	ck_assert_str_eq(c->routes[1].access_log, "syslog");
	ck_assert_int_eq(c->routes[1].access_log_format, ACCESSLOG_TEXT);
	conf_free(c);
	load_fail("access_log = \"access.log\";\n" OBS_ROUTE,
	    ":1: access_log must be an absolute path or \"syslog\"");
	load_fail("access_log_format = \"xml\";\n" OBS_ROUTE,
	    ":1: access_log_format 'xml' is not one of text, json");
	load_fail("routes = ( { name = \"a\"; listen = \"127.0.0.1:7000\";\n"
	    "  upstream = \"127.0.0.1:7001\"; access_log = 1; } );\n",
	    ":2: route 'a': access_log must be a string, not an integer");
}
END_TEST

/* The CPUs this process may run on, as "auto" counts them. */
static long
affinity_cpus(void)
{
	cpu_set_t	set;

	CPU_ZERO(&set);
	ck_assert_int_eq(sched_getaffinity(0, sizeof(set), &set), 0);
	return CPU_COUNT(&set);
}

/* workers: a count from 1 to 64 or "auto" (the online CPUs), default 1. */
START_TEST(workers_setting)
{
	static const char	 route[] = "routes = ( { name = \"a\"; "
	    "listen = \"127.0.0.1:53\"; upstream = \"127.0.0.1:5353\"; } );\n";
	char			 text[512];
	struct conf		*c;
	long			 ncpu = affinity_cpus();

	c = load_ok(route);
	ck_assert_uint_eq(c->workers, 1);
	ck_assert_int_eq(c->workers_auto, 0);
	conf_free(c);
	snprintf(text, sizeof(text), "workers = 4;\n%s", route);
	c = load_ok(text);
	ck_assert_uint_eq(c->workers, 4);
	conf_free(c);
	snprintf(text, sizeof(text), "workers = \"auto\";\n%s", route);
	c = load_ok(text);
	ck_assert_uint_eq(c->workers, ncpu < 1 ? 1 : ncpu > 64 ? 64 : ncpu);
	ck_assert_int_eq(c->workers_auto, 1);
	conf_free(c);
	snprintf(text, sizeof(text), "workers = 0;\n%s", route);
	load_fail(text, ":1: workers must be between 1 and 64, not 0");
	snprintf(text, sizeof(text), "workers = 65;\n%s", route);
	load_fail(text, ":1: workers must be between 1 and 64, not 65");
	snprintf(text, sizeof(text), "\nworkers = \"many\";\n%s", route);
	load_fail(text, ":2: workers must be a number from 1 to 64 or "
	    "\"auto\"");
	snprintf(text, sizeof(text), "workers = 2.5;\n%s", route);
	load_fail(text, ":1: workers must be an integer, not a float");
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite	*s = suite_create("conf");
	TCase	*tc;

	tc = tcase_create("good");
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_good);
	tcase_add_test(tc, workers_setting);
	tcase_add_test(tc, test_proxy_protocol);
	tcase_add_test(tc, test_proxy_protocol_from);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_idle_values);
	tcase_add_test(tc, test_limit_bounds);
	tcase_add_test(tc, test_log_levels);
	tcase_add_test(tc, test_guard);
	tcase_add_test(tc, test_listen_no_conflict);
	tcase_add_test(tc, test_upstream_not_loop);
	tcase_add_test(tc, test_shipped_example);
	tcase_add_test(tc, test_pool);
	tcase_add_test(tc, test_pool_name_addresses);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad");
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad) /
	    sizeof(bad[0])));
	tcase_add_test(tc, test_loop_v4mapped_wildcard);
	tcase_add_test(tc, test_route_checks_random);
	tcase_add_test(tc, test_loop_hostname);
	tcase_add_test(tc, test_resolver_setting);
	tcase_add_test(tc, test_resolver_bad);
	tcase_add_test(tc, test_upstream_bad_name);
	tcase_add_test(tc, test_health_check_parse);
	tcase_add_test(tc, test_health_check_bad);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_peek_control);
	tcase_add_test(tc, test_directory);
	tcase_add_test(tc, test_unreadable);
	tcase_add_test(tc, test_unterminated_string);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_short_errbuf);
	suite_add_tcase(s, tc);

	tc = tcase_create("libconfig");
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_libconfig_leniency);
	tcase_add_test(tc, test_int_wrap);
	tcase_add_test(tc, test_include_after_chdir);
	tcase_add_test(tc, test_include_parent);
	tcase_add_test(tc, test_include_error_inside);
	tcase_add_test(tc, test_include_syntax_error_inside);
	tcase_add_test(tc, test_include_missing);
	tcase_add_test(tc, test_include_absolute);
	tcase_add_test(tc, test_include_self);
	suite_add_tcase(s, tc);

	tc = tcase_create("observe");
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_stats_block);
	tcase_add_test(tc, test_stats_errors);
	tcase_add_test(tc, test_access_log);
	tcase_add_test(tc, test_upgrade_timeout);
	suite_add_tcase(s, tc);

	tc = tcase_create("stress");
	/* Hundreds of loads; slow under valgrind. */
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_repeated_loads);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * Finds conf/udproxy.conf before any test can chdir: under make check
 * UDPROXY_SRCDIR names the source tree; by hand, try "." and "..".
 */
static void
find_example(void)
{
	static const char *const guesses[] = { ".", ".." };
	const char	*src = getenv("UDPROXY_SRCDIR");
	char		 path[PATHLEN];
	size_t		 i;

	if (src != NULL && *src != '\0') {
		snprintf(path, sizeof(path), "%s/conf/udproxy.conf", src);
		if (realpath(path, example) == NULL)
			example[0] = '\0';
		return;
	}
	for (i = 0; i < sizeof(guesses) / sizeof(guesses[0]); i++) {
		snprintf(path, sizeof(path), "%s/conf/udproxy.conf",
		    guesses[i]);
		if (realpath(path, example) != NULL)
			return;
	}
	example[0] = '\0';
}

int
main(void)
{
	SRunner	*sr;
	int	 failures;

	find_example();
	sr = srunner_create(conf_suite());
	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0 ? 1 : 0;
}
