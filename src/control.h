/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * The control socket: a local AF_UNIX stream socket (mode 0600, owned by
 * the user that started the daemon) that takes one command a connection
 * and answers with its outcome, for "udproxy -s" and the init scripts.
 * Bounded: a command line of at most CONTROL_LINE_MAX bytes, read within
 * CONTROL_READ_TIMEOUT seconds, at most CONTROL_CONNS connections at
 * once; a client can never hold up forwarding or another client.
 *
 * The reply is one status line, "ok[ message]" or "error message",
 * then any number of body lines, then the end of the stream.
 *
 * Adding a command: a function that gets the connection and the rest of
 * the line, and a line in control_cmds[] (control.c). It answers with
 * control_reply(), control_line() and control_finish(), now or later
 * (control_set_cancel() tells it when the client left first).
 */
#ifndef UDPROXY_CONTROL_H
#define UDPROXY_CONTROL_H

#include <stddef.h>

#define CONTROL_LINE_MAX	256
#define CONTROL_READ_TIMEOUT	2	/* seconds */
#define CONTROL_WRITE_TIMEOUT	5
#define CONTROL_CONNS		16

struct control;
struct control_conn;
struct udproxy;

struct control_cmd {
	const char	*name;
	void		(*run)(struct control_conn *, const char *args);
};

struct control	*control_open(struct udproxy *, const char *, char *, size_t);
int		 control_move(struct control *, const char *, char *, size_t);
const char	*control_path(const struct control *);
int		 control_fd(const struct control *);
void		 control_pause(struct control *, int);
struct control	*control_adopt(struct udproxy *, int, const char *);
void		 control_free(struct control *);

struct udproxy	*control_udproxy(struct control_conn *);
void		 control_reply(struct control_conn *, int ok, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
void		 control_line(struct control_conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 control_finish(struct control_conn *);
void		 control_set_cancel(struct control_conn *,
		    void (*)(struct control_conn *, void *), void *);
void		 control_after(struct control_conn *,
		    void (*)(struct udproxy *));

/* The client side: sends cmd to the socket at path, prints the reply. */
int		 control_client(const char *path, const char *cmd, int);

#endif
