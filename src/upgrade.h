/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Binary upgrade that keeps every session ("udproxy -s upgrade", SIGUSR2).
 * The running daemon (the old process) starts the binary at its own path
 * with an AF_UNIX SOCK_SEQPACKET socketpair in UDPROXY_UPGRADE_FD. The new
 * process loads its configuration and says hello; the old one stops
 * reading (its events are removed, its sockets stay open) and sends every
 * listener socket, every session socket and the session table, with
 * SCM_RIGHTS, at most UPGRADE_BATCH descriptors a message; then the
 * pidfile's and the control socket's descriptors. The new process adopts
 * what its configuration keeps (the rules of a reload), reports ready,
 * waits for the old one's go, and serves; the old one exits. The sockets
 * are the same kernel objects, so datagrams that arrive meanwhile wait in
 * their receive queues and upstreams see the same source ports. If the
 * new process fails to start, fails its configuration or is not ready
 * within upgrade_timeout (of the running configuration), the old one
 * kills and reaps it, takes up its events again and goes on.
 */
#ifndef UDPROXY_UPGRADE_H
#define UDPROXY_UPGRADE_H

#include <stddef.h>

#define UPGRADE_BATCH		64	/* fds a message; SCM_MAX_FD is 253 */
#define UPGRADE_ENV		"UDPROXY_UPGRADE_FD"

struct addr;
struct listener;
struct pidfile;
struct reload_waiter;
struct udproxy;
struct upgrade;
struct upgrade_child;

/* The old process. */
void			 upgrade_request(struct udproxy *,
			    struct reload_waiter *);
void			 upgrade_cancel(struct udproxy *,
			    struct reload_waiter *);
void			 upgrade_free(struct upgrade *);

/* The new process. */
struct upgrade_child	*upgrade_child_open(void);
void			 upgrade_child_fail(struct upgrade_child *,
			    const char *);
int			 upgrade_child_receive(struct upgrade_child *,
			    const char *, char *, size_t);
struct listener		*upgrade_take_listener(struct upgrade_child *,
			    const struct addr *, size_t);
size_t			 upgrade_child_workers(const struct upgrade_child *);
int			 upgrade_take_control(struct upgrade_child *, char **);
void			 upgrade_child_adopt(struct upgrade_child *,
			    struct udproxy *, char *, size_t);
int			 upgrade_child_commit(struct upgrade_child *,
			    struct pidfile **, char *, size_t);
void			 upgrade_child_free(struct upgrade_child *);

#endif
