/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Logging: stderr in the foreground, syslog (facility daemon) otherwise.
 * Per-datagram warnings go through a struct ratelimit so a flood of bad
 * packets cannot fill a disk.
 */
#ifndef UDPROXY_LOG_H
#define UDPROXY_LOG_H

#include <stdint.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_NOTICE,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

struct ratelimit {
	uint64_t	 window_ms;	/* start of the current window */
	unsigned int	 suppressed;	/* lines dropped in the previous window */
	unsigned int	 count;		/* lines let through in this window */
};

void	log_init(int foreground, enum log_level);
void	log_setlevel(enum log_level);
int	log_level_parse(const char *, enum log_level *);
int	log_enabled(enum log_level);
void	log_msg(enum log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_libevent_cb(int, const char *);
void	log_sanitize(char *);
/* "udproxy: " and the message on stderr, control bytes escaped. */
void	log_stderr(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2)));

#define log_error(...)		log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...)	log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...)		log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...)		log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)		log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/*
 * Returns how many earlier lines were suppressed plus one when a line may
 * be logged now (at most one per second), 0 when it must be suppressed.
 */
unsigned int	ratelimit_allow(struct ratelimit *, uint64_t now_ms);

#endif
