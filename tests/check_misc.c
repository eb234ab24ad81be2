/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Unit tests for the small pure helpers: the log rate limiter, the stats
 * line, log level names, and the session budget left by RLIMIT_NOFILE.
 */
#include "autoconf.h"

#include <sys/resource.h>
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "conf.h"
#include "log.h"
#include "stats.h"
#include "udproxy.h"

START_TEST(test_ratelimit)
{
	struct ratelimit	rl;

	memset(&rl, 0, sizeof(rl));
	/* The first line is always let through, whatever the clock says. */
	ck_assert_uint_eq(ratelimit_allow(&rl, 5000), 1);
	ck_assert_uint_eq(ratelimit_allow(&rl, 5000), 0);
	ck_assert_uint_eq(ratelimit_allow(&rl, 5001), 0);
	ck_assert_uint_eq(ratelimit_allow(&rl, 5999), 0);
	ck_assert_uint_eq(rl.suppressed, 3);
	/* 1000 ms after the window opened: 3 suppressed plus this one. */
	ck_assert_uint_eq(ratelimit_allow(&rl, 6000), 4);
	ck_assert_uint_eq(rl.suppressed, 0);
	ck_assert_uint_eq(rl.window_ms, 6000);
	/* A quiet window: the next line reports nothing suppressed. */
	ck_assert_uint_eq(ratelimit_allow(&rl, 9000), 1);
	ck_assert_uint_eq(ratelimit_allow(&rl, 9999), 0);
	ck_assert_uint_eq(ratelimit_allow(&rl, 10000), 2);
}
END_TEST

/* A clock that starts at 0 must not make the first line look too early. */
START_TEST(test_ratelimit_time_zero)
{
	struct ratelimit	rl;

	memset(&rl, 0, sizeof(rl));
	ck_assert_uint_eq(ratelimit_allow(&rl, 0), 1);
	ck_assert_uint_eq(ratelimit_allow(&rl, 999), 0);
	ck_assert_uint_eq(ratelimit_allow(&rl, 1000), 2);
}
END_TEST

/* Two limiters (two routes, or two kinds) do not share a window. */
START_TEST(test_ratelimit_independent)
{
	struct ratelimit	a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ck_assert_uint_eq(ratelimit_allow(&a, 100), 1);
	ck_assert_uint_eq(ratelimit_allow(&b, 100), 1);
	ck_assert_uint_eq(ratelimit_allow(&a, 200), 0);
	ck_assert_uint_eq(ratelimit_allow(&b, 1100), 1);
	ck_assert_uint_eq(ratelimit_allow(&a, 1100), 2);
}
END_TEST

START_TEST(test_stats_format)
{
	struct route_stats	st;
	char			buf[1024];
	const char		*want =
	    "rx_datagrams=3 rx_bytes=300 tx_datagrams=2 "
	    "tx_bytes=18446744073709551615 sessions_active=1 "
	    "sessions_created=0 sessions_expired=0 sessions_closed=0 "
	    "drop_oversize=0 drop_truncated=0 drop_session_limit=4 "
	    "drop_socket_error=0 drop_event_error=0 event_errors=0 "
	    "drop_upstream_send=0 drop_client_send=0 "
	    "drop_proxy_oversize=0 drop_proxy_invalid=5 "
	    "upstream_refused=7 rx_errors=9 drop_rcvbuf=11 drop_acl=12 "
	    "drop_client_sessions=0 drop_client_rate=0 drop_reply_ratio=0 "
	    "drop_blocked=0 drop_rate_queue_full=0 blocks=0 "
	    "sessions_denied=13 sessions_done=0 sessions_moved=0 "
	    "drop_no_upstream=0 drop_unwanted_reply=0 upstream_failures=0 "
	    "upstream_downs=0";

	memset(&st, 0, sizeof(st));
	st.rx_datagrams = 3;
	st.rx_bytes = 300;
	st.tx_datagrams = 2;
	st.tx_bytes = UINT64_MAX;
	st.sessions_active = 1;
	st.drop_session_limit = 4;
	st.drop_proxy_invalid = 5;
	st.upstream_refused = 7;
	st.rx_errors = 9;
	st.drop_rcvbuf = 11;
	st.drop_acl = 12;
	st.sessions_denied = 13;
	ck_assert_uint_eq(stats_format(&st, buf, sizeof(buf)), strlen(want));
	ck_assert_str_eq(buf, want);
}
END_TEST

START_TEST(test_stats_format_zero)
{
	struct route_stats	st;
	char			buf[1024];

	memset(&st, 0, sizeof(st));
	stats_format(&st, buf, sizeof(buf));
	ck_assert_str_eq(buf, "rx_datagrams=0 rx_bytes=0 tx_datagrams=0 "
	    "tx_bytes=0 sessions_active=0 sessions_created=0 "
	    "sessions_expired=0 sessions_closed=0 drop_oversize=0 "
	    "drop_truncated=0 drop_session_limit=0 drop_socket_error=0 "
	    "drop_event_error=0 event_errors=0 "
	    "drop_upstream_send=0 drop_client_send=0 "
	    "drop_proxy_oversize=0 drop_proxy_invalid=0 upstream_refused=0 "
	    "rx_errors=0 drop_rcvbuf=0 drop_acl=0 drop_client_sessions=0 "
	    "drop_client_rate=0 drop_reply_ratio=0 drop_blocked=0 "
	    "drop_rate_queue_full=0 blocks=0 sessions_denied=0 "
	    "sessions_done=0 sessions_moved=0 drop_no_upstream=0 "
	    "drop_unwanted_reply=0 upstream_failures=0 upstream_downs=0");
}
END_TEST

/* A short buffer gets a terminated prefix, and the length of that prefix. */
START_TEST(test_stats_format_short)
{
	struct route_stats	st;
	char			buf[32];

	memset(&st, 0, sizeof(st));
	st.rx_datagrams = 12345;
	memset(buf, 'x', sizeof(buf));
	ck_assert_uint_eq(stats_format(&st, buf, 10), 9);
	ck_assert_str_eq(buf, "rx_datagr");
	ck_assert_uint_eq(stats_format(&st, buf, 1), 0);
	ck_assert_str_eq(buf, "");
	/* Exactly at a word boundary: the second word's space is cut. */
	ck_assert_uint_eq(stats_format(&st, buf, 19), 18);
	ck_assert_str_eq(buf, "rx_datagrams=12345");
}
END_TEST

START_TEST(test_log_level_parse)
{
	static const struct {
		const char	*name;
		enum log_level	 level;
	} ok[] = {
		{ "error", LOG_LEVEL_ERROR },
		{ "warning", LOG_LEVEL_WARNING },
		{ "notice", LOG_LEVEL_NOTICE },
		{ "info", LOG_LEVEL_INFO },
		{ "debug", LOG_LEVEL_DEBUG },
		{ "ERROR", LOG_LEVEL_ERROR },
		{ "Warning", LOG_LEVEL_WARNING },
		{ "nOtIcE", LOG_LEVEL_NOTICE },
		{ "INFO", LOG_LEVEL_INFO },
		{ "Debug", LOG_LEVEL_DEBUG },
	};
	static const char *const bad[] = {
		"", "warn", "err", "information", "info ", " info", "crit",
		"debugging", "3"
	};
	enum log_level	level;
	size_t		i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		level = (enum log_level)-1;
		ck_assert_msg(log_level_parse(ok[i].name, &level) == 0,
		    "log_level_parse(\"%s\") failed", ok[i].name);
		ck_assert_int_eq(level, ok[i].level);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		level = LOG_LEVEL_NOTICE;
		ck_assert_msg(log_level_parse(bad[i], &level) == -1,
		    "log_level_parse(\"%s\") succeeded", bad[i]);
		/* A failed parse leaves the old level alone. */
		ck_assert_int_eq(level, LOG_LEVEL_NOTICE);
	}
}
END_TEST

START_TEST(test_log_enabled)
{
	log_setlevel(LOG_LEVEL_WARNING);
	ck_assert_int_eq(log_enabled(LOG_LEVEL_ERROR), 1);
	ck_assert_int_eq(log_enabled(LOG_LEVEL_WARNING), 1);
	ck_assert_int_eq(log_enabled(LOG_LEVEL_NOTICE), 0);
	ck_assert_int_eq(log_enabled(LOG_LEVEL_DEBUG), 0);
	log_setlevel(LOG_LEVEL_DEBUG);
	ck_assert_int_eq(log_enabled(LOG_LEVEL_DEBUG), 1);
	log_setlevel(LOG_LEVEL_INFO);
}
END_TEST

/*
 * Sets the soft RLIMIT_NOFILE (keeping the hard one, which valgrind
 * insists on) and returns the budget for nroutes.
 */
static size_t
budget_at(rlim_t soft, size_t nroutes)
{
	struct rlimit	rl;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = soft;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	return udproxy_fd_budget(nroutes);
}

START_TEST(test_fd_budget)
{
	struct rlimit	saved;
	rlim_t		reserve = UDPROXY_FD_RESERVE;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	ck_assert_uint_eq(UDPROXY_FD_RESERVE, 32);
	if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < 100)
		return;		/* cannot raise the soft limit to 100 */

	ck_assert_uint_eq(budget_at(100, 0), 100 - 32);
	ck_assert_uint_eq(budget_at(100, 1), 100 - 32 - 1);
	ck_assert_uint_eq(budget_at(100, 5), 100 - 32 - 5);
	ck_assert_uint_eq(budget_at(100, 67), 1);
	/* No room at all still leaves one session, not zero or a wrap. */
	ck_assert_uint_eq(budget_at(100, 68), 1);
	ck_assert_uint_eq(budget_at(100, 1000), 1);
	ck_assert_uint_eq(budget_at(33, 0), 1);
	ck_assert_uint_eq(budget_at(32, 0), 1);

	/* At the real limit: what is left, capped at CONF_SESSIONS_MAX. */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
	if (saved.rlim_cur == RLIM_INFINITY ||
	    saved.rlim_cur - reserve - 3 > CONF_SESSIONS_MAX)
		ck_assert_uint_eq(udproxy_fd_budget(3), CONF_SESSIONS_MAX);
	else if (saved.rlim_cur > reserve + 3)
		ck_assert_uint_eq(udproxy_fd_budget(3),
		    saved.rlim_cur - reserve - 3);
}
END_TEST

static Suite *
misc_suite(void)
{
	Suite	*s = suite_create("misc");
	TCase	*tc;

	tc = tcase_create("ratelimit");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_ratelimit);
	tcase_add_test(tc, test_ratelimit_time_zero);
	tcase_add_test(tc, test_ratelimit_independent);
	suite_add_tcase(s, tc);

	tc = tcase_create("stats");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_stats_format);
	tcase_add_test(tc, test_stats_format_zero);
	tcase_add_test(tc, test_stats_format_short);
	suite_add_tcase(s, tc);

	tc = tcase_create("log");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_log_level_parse);
	tcase_add_test(tc, test_log_enabled);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_fd_budget);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(misc_suite());
	int	 failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0 ? 1 : 0;
}
