/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"

/*
 * Logging is process-wide by nature (stderr and syslog are), so its two
 * settings live here rather than in the daemon context.
 */
static int		log_foreground = 1;
static enum log_level	log_maxlevel = LOG_LEVEL_INFO;

static const char *const log_names[] = {
	"error", "warning", "notice", "info", "debug"
};
static const int log_prio[] = {
	LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG
};

void
log_init(int foreground, enum log_level level)
{
	log_foreground = foreground;
	log_maxlevel = level;
	if (!foreground)
		openlog("udproxy", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_setlevel(enum log_level level)
{
	log_maxlevel = level;
}

int
log_level_parse(const char *name, enum log_level *level)
{
	size_t	i;

	for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (strcasecmp(name, log_names[i]) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int
log_enabled(enum log_level level)
{
	return level <= log_maxlevel;
}

/*
 * Names, paths and libconfig's messages come from files and packets: a
 * control byte (C0, DEL, or C1 written as UTF-8) must not reach a terminal
 * or a log line, where a newline forges a line and ESC drives the terminal.
 */
void
log_sanitize(char *s)
{
	unsigned char	*p = (unsigned char *)s;

	for (; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
		else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			p[0] = p[1] = '?';
			p++;
		}
	}
}

void
log_stderr(const char *fmt, ...)
{
	char	line[2048];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_sanitize(line);
	fprintf(stderr, "udproxy: %s\n", line);
	fflush(stderr);
}

static void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char	 line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	log_sanitize(line);
	if (log_foreground) {
		fprintf(stderr, "udproxy: %s: %s\n", log_names[level], line);
		fflush(stderr);
	} else
		syslog(log_prio[level], "%s", line);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list	ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
log_libevent_cb(int severity, const char *msg)
{
	enum log_level	level;

	switch (severity) {
	case EVENT_LOG_DEBUG:
		level = LOG_LEVEL_DEBUG;
		break;
	case EVENT_LOG_MSG:
		level = LOG_LEVEL_INFO;
		break;
	case EVENT_LOG_WARN:
		level = LOG_LEVEL_WARNING;
		break;
	default:
		level = LOG_LEVEL_ERROR;
		break;
	}
	log_msg(level, "libevent: %s", msg);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

unsigned int
ratelimit_allow(struct ratelimit *rl, uint64_t now_ms)
{
	unsigned int	n;

	if (rl->count == 0 || now_ms - rl->window_ms >= 1000) {
		n = rl->suppressed + 1;
		rl->window_ms = now_ms;
		rl->count = 1;
		rl->suppressed = 0;
		return n;
	}
	rl->suppressed++;
	return 0;
}
