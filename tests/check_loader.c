/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * The threaded loader (loader.c) on a real event base: a good file comes
 * back as a struct conf, a bad one as FILE:LINE: reason, both through the
 * callback on the loop's thread; a load given up on (loader_abandon)
 * never calls back. That the loop forwards meanwhile is check_reload's
 * slow_reload_keeps_forwarding.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "conf.h"
#include "conffile.h"
#include "loader.h"

struct result {
	int		 called;
	struct conf	*conf;
	char		 err[CONF_ERRLEN];
	pthread_t	 thread;
	struct event_base *base;
};

static char	dir[64], path[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/udproxy-loader.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/u.conf", dir);
	conffile_set_owner(geteuid());
}

static void
teardown(void)
{
	unlink(path);
	rmdir(dir);
}

static void
write_conf(const char *text)
{
	FILE	*f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void
done_cb(struct conf *conf, const char *err, void *arg)
{
	struct result	*r = arg;

	r->called++;
	r->conf = conf;
	r->thread = pthread_self();
	snprintf(r->err, sizeof(r->err), "%s", conf == NULL ? err : "");
	event_base_loopbreak(r->base);
}

static void
run(struct result *r)
{
	struct timeval	tv = { 10, 0 };
	char		err[CONF_ERRLEN];

	memset(r, 0, sizeof(*r));
	r->base = event_base_new();
	ck_assert_ptr_nonnull(loader_start(r->base, path, done_cb, r, err,
	    sizeof(err)));
	event_base_loopexit(r->base, &tv);
	event_base_dispatch(r->base);
	event_base_free(r->base);
}

START_TEST(test_good_and_bad)
{
	struct result	r;
	char		want[256];

	write_conf("routes = ( { name = \"a\"; listen = \"127.0.0.1:5000\"; "
	    "upstream = \"127.0.0.1:5001\"; } );\n");
	run(&r);
	ck_assert_int_eq(r.called, 1);
	ck_assert(pthread_equal(r.thread, pthread_self()));
	ck_assert_ptr_nonnull(r.conf);
	ck_assert_uint_eq(r.conf->nroutes, 1);
	ck_assert_str_eq(r.conf->path, path);
	conf_free(r.conf);

	write_conf("routes = (\n  { name = \"a\" listen } );\n");
	run(&r);
	ck_assert_int_eq(r.called, 1);
	ck_assert_ptr_null(r.conf);
	snprintf(want, sizeof(want), "%s:2: syntax error", path);
	ck_assert_str_eq(r.err, want);

	unlink(path);
	run(&r);
	ck_assert_int_eq(r.called, 1);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	ck_assert_str_eq(r.err, want);
}
END_TEST

/* A file of 200 routes comes back whole. */
START_TEST(test_many_routes)
{
	struct result	 r;
	int		 i;
	FILE		*f;

	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("routes = (\n", f);
	for (i = 0; i < 200; i++)
		fprintf(f, "%s{ name = \"r%d\"; listen = \"127.0.0.1:%d\"; "
		    "upstream = \"127.0.0.2:%d\"; }\n", i ? "," : "", i,
		    10000 + i, 20000 + i);
	fputs(");\n", f);
	ck_assert_int_eq(fclose(f), 0);
	run(&r);
	ck_assert_int_eq(r.called, 1);
	ck_assert_ptr_nonnull(r.conf);
	ck_assert_uint_eq(r.conf->nroutes, 200);
	ck_assert_str_eq(r.conf->routes[199].name, "r199");
	conf_free(r.conf);
}
END_TEST

/* Abandoned: its callback never runs, even once the thread is done. */
START_TEST(test_abandon)
{
	struct result	 r;
	struct timeval	 tv = { 0, 300000 };
	char		 err[CONF_ERRLEN];

	write_conf("routes = ( { name = \"a\"; listen = \"127.0.0.1:5000\"; "
	    "upstream = \"127.0.0.1:5001\"; } );\n");
	memset(&r, 0, sizeof(r));
	r.base = event_base_new();
	loader_abandon(loader_start(r.base, path, done_cb, &r, err,
	    sizeof(err)));
	event_base_loopexit(r.base, &tv);
	event_base_dispatch(r.base);
	ck_assert_int_eq(r.called, 0);
	event_base_free(r.base);
	loader_abandon(NULL);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("loader");
	TCase	*tc = tcase_create("loader");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_good_and_bad);
	tcase_add_test(tc, test_many_routes);
	tcase_add_test(tc, test_abandon);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
