/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Telling the service manager (systemd's sd_notify, when configure found
 * libsystemd) what the daemon is doing: READY=1 once it serves, around
 * every reload RELOADING=1 then READY=1, STOPPING=1 at shutdown, and a
 * STATUS= line each time. Without libsystemd, or outside a unit with
 * NOTIFY_SOCKET, every call does nothing.
 */
#ifndef UDPROXY_NOTIFY_H
#define UDPROXY_NOTIFY_H

#include <sys/types.h>

int	notify_enabled(void);
void	notify_ready(pid_t, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	notify_reloading(void);
void	notify_status(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	notify_stopping(void);

#endif
