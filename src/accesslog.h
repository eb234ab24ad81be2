/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * The access log: one line per ended session, as text or JSON, to a file
 * or to syslog. The event loop only formats the line and copies it into
 * a bounded memory buffer; a writer thread does the write(2) or
 * syslog(3), so a slow disk never stalls forwarding; it starts with
 * accesslog_start, in the process that serves (after the daemon's fork). A full buffer drops
 * lines and counts them. accesslog_reopen (SIGHUP, `udproxy -s reopen`)
 * makes the writer reopen the file by name, for logrotate.
 */
#ifndef UDPROXY_ACCESSLOG_H
#define UDPROXY_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>

#define ACCESSLOG_LINE_MAX	2048
#define ACCESSLOG_BUFFER	(1024 * 1024)	/* bytes waiting, at most */

enum accesslog_format {
	ACCESSLOG_TEXT,
	ACCESSLOG_JSON
};

struct accesslog_entry {
	uint64_t	 time_ms;	/* end, Unix milliseconds */
	const char	*route;
	const char	*client;
	const char	*local;
	const char	*upstream;
	const char	*end;		/* idle, reload, shutdown, ... */
	uint64_t	 duration_ms;
	uint64_t	 rx_datagrams;	/* client -> upstream */
	uint64_t	 rx_bytes;
	uint64_t	 tx_datagrams;	/* upstream -> client */
	uint64_t	 tx_bytes;
};

struct accesslog;

int		 accesslog_format_parse(const char *, enum accesslog_format *);
size_t		 accesslog_format_line(char *, size_t, enum accesslog_format,
		    const struct accesslog_entry *);

struct accesslog *accesslog_open(const char *, char *, size_t);
void		 accesslog_start(struct accesslog *);
const char	*accesslog_path(const struct accesslog *);
void		 accesslog_write(struct accesslog *, enum accesslog_format,
		    const struct accesslog_entry *);
void		 accesslog_reopen(struct accesslog *);
void		 accesslog_close(struct accesslog *);
uint64_t	 accesslog_lines(struct accesslog *);
uint64_t	 accesslog_dropped(struct accesslog *);

#endif
