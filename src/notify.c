/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "notify.h"

#ifdef HAVE_LIBSYSTEMD
/* One message; a failure to reach the manager is not the daemon's. */
static void
notify_send(const char *msg)
{
	(void)sd_notify(0, msg);
}
#endif

/* Whether udproxy was built with sd_notify support. */
int
notify_enabled(void)
{
#ifdef HAVE_LIBSYSTEMD
	return 1;
#else
	return 0;
#endif
}

/*
 * Serving. MAINPID names the process that serves: the daemon's own after
 * it forked, or the new one after a binary upgrade.
 */
void
notify_ready(pid_t pid, const char *fmt, ...)
{
#ifdef HAVE_LIBSYSTEMD
	char	status[512], msg[700];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(status, sizeof(status), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "READY=1\nMAINPID=%ld\nSTATUS=%s",
	    (long)pid, status);
	notify_send(msg);
#else
	(void)pid;
	(void)fmt;
#endif
}

void
notify_reloading(void)
{
#ifdef HAVE_LIBSYSTEMD
	struct timespec	ts;
	char		msg[128];

	/* MONOTONIC_USEC lets systemd 253+ (Type=notify-reload) match it. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu\n"
	    "STATUS=reloading", (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	notify_send(msg);
#endif
}

/* After a reload, failed or not: serving again, with its outcome. */
void
notify_status(const char *fmt, ...)
{
#ifdef HAVE_LIBSYSTEMD
	char	status[512], msg[600];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(status, sizeof(status), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	notify_send(msg);
#else
	(void)fmt;
#endif
}

void
notify_stopping(void)
{
#ifdef HAVE_LIBSYSTEMD
	notify_send("STOPPING=1\nSTATUS=stopping");
#endif
}
