/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Becoming a daemon: the pidfile (locked, so a second instance refuses to
 * start) and the fork that returns to the caller only once the child is
 * serving, so an init script sees a failed start as a non-zero exit.
 */
#ifndef UDPROXY_DAEMON_H
#define UDPROXY_DAEMON_H

#include <sys/types.h>
#include <stddef.h>

struct pidfile {
	char	*path;
	int	 fd;
};

struct pidfile	*pidfile_open(const char *, char *, size_t);
int		 pidfile_write(struct pidfile *, char *, size_t);
int		 pidfile_write_pid(struct pidfile *, pid_t, char *, size_t);
void		 pidfile_remove(struct pidfile *);
void		 pidfile_release(struct pidfile *);
int		 daemon_detach(struct pidfile *);
void		 daemon_notify(int, const char *);

#endif
