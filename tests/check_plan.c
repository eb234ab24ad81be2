/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Unit tests for reload_plan(), the pure step of a reload: new routes are
 * matched to running ones by listen address (the listener follows its
 * address, whatever the route is called or where it sits in the list),
 * then classified as ADD, KEEP, UPDATE or REPOINT; unmatched old routes
 * are marked removed. Both configurations come from conf_load_file().
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "conf.h"
#include "reload.h"

#define DIRLEN		256
#define PATHLEN		512

static char	dir[DIRLEN];

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
	ck_assert_int_lt(snprintf(dir, sizeof(dir), "%s/check_plan.XXXXXX",
	    tmp), (int)sizeof(dir));
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
dir_teardown(void)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Loads a configuration whose routes are given as "name listen upstream
 * idle_seconds" strings, one per route, NULL-terminated.
 */
static struct conf *
conf_make(const char *file, const char *const *routes)
{
	char		 path[PATHLEN], err[CONF_ERRLEN] = "";
	char		 name[65], listen[64], upstream[64];
	double		 idle;
	struct conf	*c;
	FILE		*f;
	size_t		 i;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(f, "routes = (\n");
	for (i = 0; routes[i] != NULL; i++) {
		ck_assert_int_eq(sscanf(routes[i], "%64s %63s %63s %lf", name,
		    listen, upstream, &idle), 4);
		fprintf(f, "%s\t{ name = \"%s\"; listen = \"%s\"; "
		    "upstream = \"%s\"; idle_timeout = %g; }\n",
		    i == 0 ? "" : ",", name, listen, upstream, idle);
	}
	fprintf(f, ");\n");
	ck_assert_int_eq(fclose(f), 0);
	if ((c = conf_load_file(path, err, sizeof(err))) == NULL)
		ck_abort_msg("%s: %s", file, err);
	return c;
}

static struct conf *
conf_make_text(const char *file, const char *text)
{
	char		 path[PATHLEN], err[CONF_ERRLEN] = "";
	struct conf	*c;
	FILE		*f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	if ((c = conf_load_file(path, err, sizeof(err))) == NULL)
		ck_abort_msg("%s: %s", file, err);
	return c;
}

static const char *const three[] = {
	"a 127.0.0.1:5000 127.0.0.1:6000 60",
	"b 127.0.0.1:5001 127.0.0.1:6001 60",
	"c [::1]:5002 [::1]:6002 60",
	NULL
};

/* Checks the plan's shape, and that prepare has not run. */
static void
plan_check_shape(const struct reload_plan *p, const struct conf *o,
    const struct conf *n)
{
	size_t	i;

	ck_assert_ptr_eq(p->conf, n);
	ck_assert_uint_eq(p->nnew, n->nroutes);
	ck_assert_uint_eq(p->nold, o != NULL ? o->nroutes : 0);
	for (i = 0; i < p->nnew; i++)
		ck_assert_ptr_null(p->listener[i]);
}

START_TEST(test_identical)
{
	struct conf		*o = conf_make("old.conf", three);
	struct conf		*n = conf_make("new.conf", three);
	struct reload_plan	*p = reload_plan(o, n);
	size_t			 i;

	plan_check_shape(p, o, n);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(p->action[i], RELOAD_KEEP);
		ck_assert_uint_eq(p->old[i], i);
		ck_assert_int_eq(p->removed[i], 0);
	}
	reload_plan_free(p);
	conf_free(o);
	conf_free(n);
}
END_TEST

/* The same object as old and new (a reload of an unchanged file). */
START_TEST(test_same_object)
{
	struct conf		*o = conf_make("old.conf", three);
	struct reload_plan	*p = reload_plan(o, o);
	size_t			 i;

	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(p->action[i], RELOAD_KEEP);
		ck_assert_uint_eq(p->old[i], i);
		ck_assert_int_eq(p->removed[i], 0);
	}
	reload_plan_free(p);
	conf_free(o);
}
END_TEST

/* Route identity is the listen address: a renamed route keeps its socket. */
START_TEST(test_rename)
{
	static const char *const renamed[] = {
		"a 127.0.0.1:5000 127.0.0.1:6000 60",
		"bee 127.0.0.1:5001 127.0.0.1:6001 60",
		"c [::1]:5002 [::1]:6002 60",
		NULL
	};
	struct conf		*o = conf_make("old.conf", three);
	struct conf		*n = conf_make("new.conf", renamed);
	struct reload_plan	*p = reload_plan(o, n);

	plan_check_shape(p, o, n);
	ck_assert_int_eq(p->action[0], RELOAD_KEEP);
	ck_assert_int_eq(p->action[1], RELOAD_UPDATE);
	ck_assert_uint_eq(p->old[1], 1);
	ck_assert_int_eq(p->action[2], RELOAD_KEEP);
	ck_assert_int_eq(p->removed[0] + p->removed[1] + p->removed[2], 0);
	reload_plan_free(p);
	conf_free(o);
	conf_free(n);
}
END_TEST

START_TEST(test_tunables)
{
	struct conf		*o, *n;
	struct reload_plan	*p;
	static const char	 base[] = "routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:5000\";\n"
	    "    upstream = \"127.0.0.1:6000\"; idle_timeout = 60; },\n"
	    "  { name = \"b\"; listen = \"127.0.0.1:5001\";\n"
	    "    upstream = \"127.0.0.1:6001\"; max_sessions = 10; },\n"
	    "  { name = \"c\"; listen = \"127.0.0.1:5002\";\n"
	    "    upstream = \"127.0.0.1:6002\"; max_datagram_size = 512; },\n"
	    "  { name = \"d\"; listen = \"127.0.0.1:5003\";\n"
	    "    upstream = \"127.0.0.1:6003\"; }\n"
	    ");\n";
	/* The same, each route with one tunable changed but d. */
	static const char	 changed[] = "routes = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:5000\";\n"
	    "    upstream = \"127.0.0.1:6000\"; idle_timeout = 61; },\n"
	    "  { name = \"b\"; listen = \"127.0.0.1:5001\";\n"
	    "    upstream = \"127.0.0.1:6001\"; max_sessions = 11; },\n"
	    "  { name = \"c\"; listen = \"127.0.0.1:5002\";\n"
	    "    upstream = \"127.0.0.1:6002\"; max_datagram_size = 513; },\n"
	    /* Written differently, same values: unchanged. */
	    "  { name = \"d\"; listen = \"127.0.0.1:05003\";\n"
	    "    upstream = \"[::ffff:127.0.0.1]:6003\"; idle_timeout = 60.0;\n"
	    "    max_datagram_size = 65535; }\n"
	    ");\n";

	o = conf_make_text("old.conf", base);
	n = conf_make_text("new.conf", changed);
	p = reload_plan(o, n);
	plan_check_shape(p, o, n);
	ck_assert_int_eq(p->action[0], RELOAD_UPDATE);
	ck_assert_int_eq(p->action[1], RELOAD_UPDATE);
	ck_assert_int_eq(p->action[2], RELOAD_UPDATE);
	ck_assert_int_eq(p->action[3], RELOAD_KEEP);
	ck_assert_uint_eq(p->old[0], 0);
	ck_assert_uint_eq(p->old[1], 1);
	ck_assert_uint_eq(p->old[2], 2);
	ck_assert_uint_eq(p->old[3], 3);
	reload_plan_free(p);
	conf_free(o);
	conf_free(n);
}
END_TEST

/* A new upstream wins over any other change: its sessions must close. */
START_TEST(test_repoint)
{
	static const char *const moved[] = {
		"a 127.0.0.1:5000 127.0.0.1:7000 60",	/* upstream port */
		"renamed 127.0.0.1:5001 127.0.0.2:6001 5",	/* and more */
		"c [::1]:5002 127.0.0.1:6002 60",	/* family */
		NULL
	};
	struct conf		*o = conf_make("old.conf", three);
	struct conf		*n = conf_make("new.conf", moved);
	struct reload_plan	*p = reload_plan(o, n);
	size_t			 i;

	plan_check_shape(p, o, n);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(p->action[i], RELOAD_REPOINT);
		ck_assert_uint_eq(p->old[i], i);
		ck_assert_int_eq(p->removed[i], 0);
	}
	reload_plan_free(p);
	conf_free(o);
	conf_free(n);
}
END_TEST

/*
 * Pools: new weights, flags, balance, order or responses keep every
 * session (UPDATE); the same addresses written differently is KEEP; a
 * member added or removed changes the address set (REPOINT: the commit
 * closes only the sessions of removed members).
 */
START_TEST(test_pool_changes)
{
#define PR(l, x, y)	"  { name = \"r" l "\"; listen = \"127.0.0.1:50" l "\";\n" \
			"    upstreams = ( " x " ); " y " },\n"
#define M1	"\"127.0.0.1:6001\""
#define M2	"\"127.0.0.1:6002\""
#define M3	"\"127.0.0.1:6003\""
#define END	"  { name = \"z\"; listen = \"127.0.0.1:5099\"; " \
		"upstream = " M1 "; }\n);\n"
	static const char	 base[] = "routes = (\n"
	    PR("00", M1 ", " M2, "") PR("01", M1 ", " M2, "")
	    PR("02", M1 ", " M2, "") PR("03", M1 ", " M2, "")
	    PR("04", M1 ", " M2, "") PR("05", M1 ", " M2, "")
	    PR("06", M1 ", " M2, "") PR("07", M1 ", " M2, "") END;
	static const char	 changed[] = "routes = (\n"
	    PR("00", M1 ", { address = " M2 "; weight = 5; }", "")
	    PR("01", M2 ", " M1, "")
	    PR("02", M1 ", { address = " M2 "; backup = true; }", "")
	    PR("03", M1 ", " M2, "balance = \"hash\";")
	    PR("04", M1 ", " M2 ", " M3, "")
	    PR("05", M1, "")
	    PR("06", M1 ", " M2, "responses = 1;")
	    PR("07", "\"[::ffff:127.0.0.1]:6001\", " M2, "") END;
	struct conf		*o, *n;
	struct reload_plan	*p;

	o = conf_make_text("old.conf", base);
	n = conf_make_text("new.conf", changed);
	p = reload_plan(o, n);
	plan_check_shape(p, o, n);
	ck_assert_int_eq(p->action[0], RELOAD_UPDATE);
	ck_assert_int_eq(p->action[1], RELOAD_UPDATE);
	ck_assert_int_eq(p->action[2], RELOAD_UPDATE);
	ck_assert_int_eq(p->action[3], RELOAD_UPDATE);
	ck_assert_int_eq(p->action[4], RELOAD_REPOINT);
	ck_assert_int_eq(p->action[5], RELOAD_REPOINT);
	ck_assert_int_eq(p->action[6], RELOAD_UPDATE);
	ck_assert_int_eq(p->action[7], RELOAD_KEEP);
	ck_assert_int_eq(p->action[8], RELOAD_KEEP);
	reload_plan_free(p);
	conf_free(o);
	conf_free(n);
#undef PR
#undef M1
#undef M2
#undef M3
#undef END
}
END_TEST

START_TEST(test_add_remove)
{
	static const char *const next[] = {
		"a 127.0.0.1:5000 127.0.0.1:6000 60",
		/* b is gone; c moved to a new port: a new listener. */
		"c [::1]:5003 [::1]:6002 60",
		"d 0.0.0.0:5004 127.0.0.1:6004 60",
		NULL
	};
	struct conf		*o = conf_make("old.conf", three);
	struct conf		*n = conf_make("new.conf", next);
	struct reload_plan	*p = reload_plan(o, n);

	plan_check_shape(p, o, n);
	ck_assert_int_eq(p->action[0], RELOAD_KEEP);
	ck_assert_uint_eq(p->old[0], 0);
	ck_assert_int_eq(p->action[1], RELOAD_ADD);
	ck_assert_int_eq(p->action[2], RELOAD_ADD);
	ck_assert_int_eq(p->removed[0], 0);
	ck_assert_int_eq(p->removed[1], 1);
	ck_assert_int_eq(p->removed[2], 1);
	reload_plan_free(p);
	conf_free(o);
	conf_free(n);
}
END_TEST

/* A wildcard and a specific address are different listeners. */
START_TEST(test_wildcard_is_another_listener)
{
	static const char *const any[] = {
		"a 0.0.0.0:5000 127.0.0.1:6000 60",
		NULL
	};
	static const char *const lo[] = {
		"a 127.0.0.1:5000 127.0.0.1:6000 60",
		NULL
	};
	struct conf		*o = conf_make("old.conf", any);
	struct conf		*n = conf_make("new.conf", lo);
	struct reload_plan	*p = reload_plan(o, n);

	ck_assert_int_eq(p->action[0], RELOAD_ADD);
	ck_assert_int_eq(p->removed[0], 1);
	reload_plan_free(p);
	conf_free(o);
	conf_free(n);
}
END_TEST

START_TEST(test_reorder)
{
	static const char *const reordered[] = {
		"c [::1]:5002 [::1]:6002 60",
		"a 127.0.0.1:5000 127.0.0.1:6000 60",
		"b 127.0.0.1:5001 127.0.0.1:6001 60",
		NULL
	};
	struct conf		*o = conf_make("old.conf", three);
	struct conf		*n = conf_make("new.conf", reordered);
	struct reload_plan	*p = reload_plan(o, n);
	size_t			 i;

	plan_check_shape(p, o, n);
	ck_assert_uint_eq(p->old[0], 2);
	ck_assert_uint_eq(p->old[1], 0);
	ck_assert_uint_eq(p->old[2], 1);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(p->action[i], RELOAD_KEEP);
		ck_assert_int_eq(p->removed[i], 0);
	}
	reload_plan_free(p);
	conf_free(o);
	conf_free(n);
}
END_TEST

/*
 * Two routes swap ports: each listener stays on its address and is handed
 * to the route now declared there, with that route's upstream.
 */
START_TEST(test_swap_ports)
{
	static const char *const swapped[] = {
		"a 127.0.0.1:5001 127.0.0.1:6000 60",
		"b 127.0.0.1:5000 127.0.0.1:6001 60",
		NULL
	};
	static const char *const two[] = {
		"a 127.0.0.1:5000 127.0.0.1:6000 60",
		"b 127.0.0.1:5001 127.0.0.1:6001 60",
		NULL
	};
	struct conf		*o = conf_make("old.conf", two);
	struct conf		*n = conf_make("new.conf", swapped);
	struct reload_plan	*p = reload_plan(o, n);

	plan_check_shape(p, o, n);
	ck_assert_int_eq(p->action[0], RELOAD_REPOINT);
	ck_assert_uint_eq(p->old[0], 1);
	ck_assert_int_eq(p->action[1], RELOAD_REPOINT);
	ck_assert_uint_eq(p->old[1], 0);
	ck_assert_int_eq(p->removed[0], 0);
	ck_assert_int_eq(p->removed[1], 0);
	reload_plan_free(p);
	conf_free(o);
	conf_free(n);
}
END_TEST

/* Nothing in common: every old route is removed, the new one added. */
START_TEST(test_everything_removed)
{
	static const char *const other[] = {
		"x 127.0.0.1:5100 127.0.0.1:6000 60",
		NULL
	};
	struct conf		*o = conf_make("old.conf", three);
	struct conf		*n = conf_make("new.conf", other);
	struct reload_plan	*p = reload_plan(o, n);

	plan_check_shape(p, o, n);
	ck_assert_int_eq(p->action[0], RELOAD_ADD);
	ck_assert_int_eq(p->removed[0], 1);
	ck_assert_int_eq(p->removed[1], 1);
	ck_assert_int_eq(p->removed[2], 1);
	reload_plan_free(p);
	conf_free(o);
	conf_free(n);
}
END_TEST

/* The first load: no running routes, everything is new. */
START_TEST(test_first_load)
{
	struct conf		*n = conf_make("new.conf", three);
	struct reload_plan	*p = reload_plan(NULL, n);
	size_t			 i;

	plan_check_shape(p, NULL, n);
	ck_assert_uint_eq(p->nold, 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(p->action[i], RELOAD_ADD);
	reload_plan_free(p);
	conf_free(n);
}
END_TEST

/* Freeing is safe on NULL and on a plan that was never prepared. */
START_TEST(test_free_null)
{
	reload_plan_free(NULL);
}
END_TEST

static Suite *
plan_suite(void)
{
	Suite	*s = suite_create("plan");
	TCase	*tc;

	tc = tcase_create("plan");
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_identical);
	tcase_add_test(tc, test_same_object);
	tcase_add_test(tc, test_rename);
	tcase_add_test(tc, test_tunables);
	tcase_add_test(tc, test_repoint);
	tcase_add_test(tc, test_add_remove);
	tcase_add_test(tc, test_pool_changes);
	tcase_add_test(tc, test_wildcard_is_another_listener);
	tcase_add_test(tc, test_reorder);
	tcase_add_test(tc, test_swap_ports);
	tcase_add_test(tc, test_everything_removed);
	tcase_add_test(tc, test_first_load);
	tcase_add_test(tc, test_free_null);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(plan_suite());
	int	 failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0 ? 1 : 0;
}
