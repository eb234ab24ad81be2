/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Unit tests for conffile.c: what is refused before libconfig parses a
 * file (not a regular file, writable by group or others, owned by another
 * user, larger than the limits, a NUL byte), for the main file and for
 * every @include, each with its exact "FILE: reason"; and that what is
 * allowed comes back whole.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "conf.h"
#include "conffile.h"

#define PATHLEN		512

static char	dir[256];

static int
rm_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void
setup(void)
{
	const char	*tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/check_conffile.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	conffile_set_owner(geteuid());
}

static void
teardown(void)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes len bytes of text to dir/name, mode 0644; its path in path. */
static void
put(const char *name, const char *text, size_t len, char *path)
{
	FILE	*f;

	snprintf(path, PATHLEN, "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
}

static void
puts_file(const char *name, const char *text, char *path)
{
	put(name, text, strlen(text), path);
}

/* conffile_load(path) must fail with exactly want. */
static void
load_fail(const char *path, const char *want)
{
	char	err[CONF_ERRLEN] = "", *text;

	text = conffile_load(path, dir, err, sizeof(err));
	ck_assert_msg(text == NULL, "%s was accepted", path);
	ck_assert_str_eq(err, want);
}

/* ... and conf_load_file, which the daemon calls, with the same. */
static void
both_fail(const char *path, const char *want)
{
	char		 err[CONF_ERRLEN] = "";
	struct conf	*c;

	load_fail(path, want);
	c = conf_load_file(path, err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err, want);
}

#define GOOD	"routes = ( { name = \"a\"; listen = \"127.0.0.1:5000\"; " \
		"upstream = \"127.0.0.1:5001\"; } );\n"

START_TEST(good_file_whole)
{
	char	 path[PATHLEN], err[CONF_ERRLEN] = "", *text;

	puts_file("udproxy.conf", GOOD, path);
	text = conffile_load(path, dir, err, sizeof(err));
	ck_assert_msg(text != NULL, "%s", err);
	ck_assert_str_eq(text, GOOD);
	free(text);
	/* Read-only for everyone is fine too. */
	ck_assert_int_eq(chmod(path, 0400), 0);
	text = conffile_load(path, dir, err, sizeof(err));
	ck_assert_msg(text != NULL, "%s", err);
	free(text);
}
END_TEST

START_TEST(writable_by_group_or_others)
{
	char	path[PATHLEN], inc[PATHLEN], want[PATHLEN + 128];

	puts_file("udproxy.conf", GOOD, path);
	ck_assert_int_eq(chmod(path, 0664), 0);
	snprintf(want, sizeof(want), "%s: refused: writable by its group "
	    "(mode 0664); chmod go-w it", path);
	both_fail(path, want);
	ck_assert_int_eq(chmod(path, 0602), 0);
	snprintf(want, sizeof(want), "%s: refused: writable by everyone "
	    "(mode 0602); chmod go-w it", path);
	both_fail(path, want);

	/* An include, however deep, is held to the same rule. */
	puts_file("udproxy.conf", "@include \"a.inc\"\n", path);
	puts_file("a.inc", "  @include\t\"sub/b.inc\"\n", inc);
	snprintf(inc, sizeof(inc), "%s/sub", dir);
	ck_assert_int_eq(mkdir(inc, 0755), 0);
	puts_file("sub/b.inc", GOOD, inc);
	ck_assert_int_eq(chmod(inc, 0666), 0);
	snprintf(want, sizeof(want), "%s/sub/b.inc: refused: writable by "
	    "everyone (mode 0666); chmod go-w it", dir);
	both_fail(path, want);
	ck_assert_int_eq(chmod(inc, 0644), 0);
	{
		char		 err[CONF_ERRLEN] = "";
		struct conf	*c = conf_load_file(path, err, sizeof(err));

		ck_assert_msg(c != NULL, "%s", err);
		conf_free(c);
	}
}
END_TEST

/*
 * Owned by someone other than root or the start user: as root the file
 * is given to another uid; otherwise the start user is said to be another.
 */
START_TEST(owned_by_another_user)
{
	char		 path[PATHLEN], want[PATHLEN + 128];
	unsigned long	 other, owner;

	puts_file("udproxy.conf", GOOD, path);
	if (geteuid() == 0) {
		other = 65534;
		owner = 0;
		ck_assert_int_eq(chown(path, (uid_t)other, (gid_t)-1), 0);
	} else {
		other = geteuid();
		owner = other + 1;
		conffile_set_owner((uid_t)owner);
	}
	snprintf(want, sizeof(want), "%s: refused: owned by uid %lu, not by "
	    "root or uid %lu (the user udproxy started as)", path, other,
	    owner);
	both_fail(path, want);
}
END_TEST

START_TEST(not_a_regular_file)
{
	char	path[PATHLEN], want[PATHLEN + 64];

	/* A FIFO would block the reader forever: refused at once. */
	snprintf(path, sizeof(path), "%s/fifo.conf", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	snprintf(want, sizeof(want), "%s: not a regular file", path);
	both_fail(path, want);
	load_fail("/dev/null", "/dev/null: not a regular file");
	snprintf(want, sizeof(want), "%s: Is a directory", dir);
	load_fail(dir, want);
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	load_fail(path, want);

	/* An include that is a FIFO. */
	puts_file("udproxy.conf", "@include \"fifo.conf\"\n", path);
	snprintf(want, sizeof(want), "%s/fifo.conf: not a regular file", dir);
	both_fail(path, want);
}
END_TEST

START_TEST(size_limits)
{
	char	 path[PATHLEN], inc[PATHLEN], want[PATHLEN + 128], *big, *text;
	char	 err[CONF_ERRLEN] = "";
	size_t	 i;

	/* Exactly the limit passes; one byte more does not. */
	big = malloc(CONFFILE_MAX + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, '#', CONFFILE_MAX + 1);
	for (i = 79; i < CONFFILE_MAX + 1; i += 80)
		big[i] = '\n';
	put("udproxy.conf", big, CONFFILE_MAX, path);
	text = conffile_load(path, dir, err, sizeof(err));
	ck_assert_msg(text != NULL, "%s", err);
	ck_assert_uint_eq(strlen(text), CONFFILE_MAX);
	free(text);
	put("udproxy.conf", big, CONFFILE_MAX + 1, path);
	snprintf(want, sizeof(want), "%s: larger than %d bytes", path,
	    CONFFILE_MAX);
	both_fail(path, want);

	/* An include above the limit. */
	put("big.inc", big, CONFFILE_MAX + 1, inc);
	puts_file("udproxy.conf", GOOD "@include \"big.inc\"\n", path);
	snprintf(want, sizeof(want), "%s/big.inc: larger than %d bytes", dir,
	    CONFFILE_MAX);
	both_fail(path, want);

	/* Every inclusion counts towards the total. */
	put("big.inc", big, CONFFILE_MAX, inc);
	text = malloc(64 * 9 + 1);
	ck_assert_ptr_nonnull(text);
	text[0] = '\0';
	for (i = 0; i < CONFFILE_TOTAL_MAX / CONFFILE_MAX; i++)
		strcat(text, "@include \"big.inc\"\n");
	puts_file("udproxy.conf", text, path);
	snprintf(want, sizeof(want), "%s/big.inc: the configuration and its "
	    "includes are larger than %d bytes", dir, CONFFILE_TOTAL_MAX);
	both_fail(path, want);
	free(text);
	free(big);
}
END_TEST

START_TEST(nul_byte)
{
	static const char	text[] = "# one\n# two\n\0 three\n";
	char			path[PATHLEN], want[PATHLEN + 64];

	put("udproxy.conf", text, sizeof(text) - 1, path);
	snprintf(want, sizeof(want), "%s:3: NUL byte in the file", path);
	both_fail(path, want);
}
END_TEST

/* What is not an @include to libconfig is not followed; a loop stops. */
START_TEST(include_scan)
{
	char	 path[PATHLEN], inc[PATHLEN], err[CONF_ERRLEN] = "", *text;

	puts_file("bad.inc", GOOD, inc);
	ck_assert_int_eq(chmod(inc, 0666), 0);
	puts_file("udproxy.conf", GOOD "x = \"@include \\\"bad.inc\\\"\";\n"
	    "#@include \"bad.inc\"\n@includes \"bad.inc\"\n"
	    "@include \"bad.inc\n", path);
	text = conffile_load(path, dir, err, sizeof(err));
	ck_assert_msg(text != NULL, "%s", err);
	free(text);
	/* Escapes in the name, as libconfig reads them. */
	snprintf(inc, sizeof(inc), "%s/q\"b\\.inc", dir);
	puts_file("q\"b\\.inc", GOOD, inc);
	ck_assert_int_eq(chmod(inc, 0660), 0);
	puts_file("udproxy.conf", "@include \"q\\\"b\\\\.inc\"\n", path);
	text = conffile_load(path, dir, err, sizeof(err));
	ck_assert_ptr_null(text);
	ck_assert_msg(strstr(err, "q\"b\\.inc: refused: writable by its "
	    "group") != NULL, "%s", err);
	/* Self-inclusion is bounded (libconfig then says it is too deep). */
	puts_file("udproxy.conf", "@include \"udproxy.conf\"\n"
	    "@include \"udproxy.conf\"\n", path);
	text = conffile_load(path, dir, err, sizeof(err));
	ck_assert_msg(text != NULL, "%s", err);
	free(text);
}
END_TEST

static Suite *
conffile_suite(void)
{
	Suite	*s = suite_create("conffile");
	TCase	*tc = tcase_create("checks");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, good_file_whole);
	tcase_add_test(tc, writable_by_group_or_others);
	tcase_add_test(tc, owned_by_another_user);
	tcase_add_test(tc, not_a_regular_file);
	tcase_add_test(tc, size_limits);
	tcase_add_test(tc, nul_byte);
	tcase_add_test(tc, include_scan);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failures;

	sr = srunner_create(conffile_suite());
	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0 ? 1 : 0;
}
