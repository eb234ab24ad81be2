/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Unit tests for the access log: the text and JSON lines field by field,
 * escaping of any byte, cut lines still ending in a newline, and the
 * writer thread: lines reach the file, close flushes, reopen after a
 * rename starts a new file and loses nothing, an unopenable path fails.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "accesslog.h"

static struct accesslog_entry
entry(void)
{
	struct accesslog_entry	e;

	memset(&e, 0, sizeof(e));
	e.time_ms = UINT64_C(1700000000123);	/* 2023-11-14T22:13:20.123Z */
	e.route = "dns";
	e.client = "127.0.0.1:5353";
	e.local = "127.0.0.1:53";
	e.upstream = "[::1]:5300";
	e.end = "idle";
	e.duration_ms = 61005;
	e.rx_datagrams = 3;
	e.rx_bytes = 120;
	e.tx_datagrams = 2;
	e.tx_bytes = 999;
	return e;
}

START_TEST(test_text_line)
{
	struct accesslog_entry	e = entry();
	char			buf[ACCESSLOG_LINE_MAX];
	size_t			n;

	n = accesslog_format_line(buf, sizeof(buf), ACCESSLOG_TEXT, &e);
	ck_assert_str_eq(buf, "2023-11-14T22:13:20.123Z route=dns "
	    "client=127.0.0.1:5353 local=127.0.0.1:53 upstream=[::1]:5300 "
	    "duration=61.005 rx_datagrams=3 rx_bytes=120 tx_datagrams=2 "
	    "tx_bytes=999 end=idle\n");
	ck_assert_uint_eq(n, strlen(buf));
}
END_TEST

START_TEST(test_json_line)
{
	struct accesslog_entry	e = entry();
	char			buf[ACCESSLOG_LINE_MAX];

	accesslog_format_line(buf, sizeof(buf), ACCESSLOG_JSON, &e);
	ck_assert_str_eq(buf, "{\"time\":\"2023-11-14T22:13:20.123Z\","
	    "\"route\":\"dns\",\"client\":\"127.0.0.1:5353\","
	    "\"local\":\"127.0.0.1:53\",\"upstream\":\"[::1]:5300\","
	    "\"duration_ms\":61005,\"rx_datagrams\":3,\"rx_bytes\":120,"
	    "\"tx_datagrams\":2,\"tx_bytes\":999,\"end\":\"idle\"}\n");
}
END_TEST

START_TEST(test_escaping)
{
	struct accesslog_entry	e = entry();
	char			buf[ACCESSLOG_LINE_MAX];

	e.route = "a b\"c\\d\n\x01\x7f\xff";
	e.local = "";
	accesslog_format_line(buf, sizeof(buf), ACCESSLOG_TEXT, &e);
	ck_assert_ptr_nonnull(strstr(buf,
	    " route=a\\x20b\\x22c\\x5cd\\x0a\\x01\\x7f\\xff client="));
	ck_assert_ptr_nonnull(strstr(buf, " local=- upstream="));
	ck_assert_ptr_eq(strchr(buf, '\n'), buf + strlen(buf) - 1);
	accesslog_format_line(buf, sizeof(buf), ACCESSLOG_JSON, &e);
	ck_assert_ptr_nonnull(strstr(buf,
	    "\"route\":\"a b\\\"c\\\\d\\u000a\\u0001\\u007f\\u00ff\","));
	ck_assert_ptr_nonnull(strstr(buf, "\"local\":\"\","));
}
END_TEST

START_TEST(test_cut)
{
	struct accesslog_entry	e = entry();
	char			buf[40];
	size_t			n;

	n = accesslog_format_line(buf, sizeof(buf), ACCESSLOG_TEXT, &e);
	ck_assert_uint_eq(n, sizeof(buf) - 1);
	ck_assert_uint_eq(strlen(buf), n);
	ck_assert_int_eq(buf[n - 1], '\n');
	ck_assert(strncmp(buf, "2023-11-14T22:13:20.123Z route=dns ", 35) == 0);
}
END_TEST

START_TEST(test_format_parse)
{
	enum accesslog_format	f;

	ck_assert_int_eq(accesslog_format_parse("text", &f), 0);
	ck_assert_int_eq(f, ACCESSLOG_TEXT);
	ck_assert_int_eq(accesslog_format_parse("json", &f), 0);
	ck_assert_int_eq(f, ACCESSLOG_JSON);
	ck_assert_int_eq(accesslog_format_parse("JSON", &f), -1);
	ck_assert_int_eq(accesslog_format_parse("", &f), -1);
}
END_TEST

static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*s;
	long	 n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

static int
count_lines(const char *s)
{
	int	n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

START_TEST(test_writer_reopen)
{
	char			 dir[] = "/tmp/check_accesslog.XXXXXX";
	char			 path[128], old[128], err[256], *s;
	struct accesslog	*al;
	struct accesslog_entry	 e = entry();
	int			 i;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/access.log", dir);
	snprintf(old, sizeof(old), "%s/access.log.1", dir);
	al = accesslog_open(path, err, sizeof(err));
	ck_assert_ptr_nonnull(al);
	accesslog_start(al);
	for (i = 0; i < 100; i++) {
		e.rx_datagrams = (uint64_t)i;
		accesslog_write(al, ACCESSLOG_TEXT, &e);
	}
	ck_assert_int_eq(rename(path, old), 0);
	/* Lines before the reopen go to the renamed file, later ones not. */
	accesslog_reopen(al);
	for (i = 100; i < 150; i++) {
		e.rx_datagrams = (uint64_t)i;
		accesslog_write(al, ACCESSLOG_JSON, &e);
	}
	ck_assert_uint_eq(accesslog_lines(al), 150);
	ck_assert_uint_eq(accesslog_dropped(al), 0);
	accesslog_close(al);
	s = slurp(old);
	ck_assert_int_eq(count_lines(s), 100);
	ck_assert_ptr_nonnull(strstr(s, " rx_datagrams=0 "));
	ck_assert_ptr_nonnull(strstr(s, " rx_datagrams=99 "));
	ck_assert_ptr_null(strstr(s, "\"rx_datagrams\""));
	free(s);
	s = slurp(path);
	ck_assert_int_eq(count_lines(s), 50);
	ck_assert(strncmp(s, "{\"time\":", 8) == 0);
	ck_assert_ptr_nonnull(strstr(s, "\"rx_datagrams\":100,"));
	ck_assert_ptr_nonnull(strstr(s, "\"rx_datagrams\":149,"));
	free(s);
	unlink(old);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* A log whose writer never started still writes its lines at close. */
START_TEST(test_close_unstarted)
{
	char			 dir[] = "/tmp/check_accesslog.XXXXXX";
	char			 path[128], err[256], *s;
	struct accesslog	*al;
	struct accesslog_entry	 e = entry();

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/access.log", dir);
	al = accesslog_open(path, err, sizeof(err));
	ck_assert_ptr_nonnull(al);
	accesslog_write(al, ACCESSLOG_TEXT, &e);
	accesslog_write(al, ACCESSLOG_TEXT, &e);
	accesslog_close(al);
	s = slurp(path);
	ck_assert_int_eq(count_lines(s), 2);
	free(s);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_open_fails)
{
	char	err[256] = "";

	ck_assert_ptr_null(accesslog_open("/nonexistent-dir/x/access.log",
	    err, sizeof(err)));
	ck_assert_str_eq(err, "access log /nonexistent-dir/x/access.log: "
	    "No such file or directory");
}
END_TEST

static Suite *
accesslog_suite(void)
{
	Suite	*s = suite_create("accesslog");
	TCase	*tc = tcase_create("format");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_text_line);
	tcase_add_test(tc, test_json_line);
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_cut);
	tcase_add_test(tc, test_format_parse);
	suite_add_tcase(s, tc);
	tc = tcase_create("writer");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_writer_reopen);
	tcase_add_test(tc, test_open_fails);
	tcase_add_test(tc, test_close_unstarted);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(accesslog_suite());
	int	 failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0 ? 1 : 0;
}
