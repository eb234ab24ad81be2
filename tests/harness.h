/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Test harness for integration tests: temp directories, mock upstreams in
 * child processes, the real udproxy binary started on loopback, UDP
 * clients, and bounded waits on the daemon's log. Every wait has a
 * deadline; every process started here is ended here, by PID.
 */
#ifndef UDPROXY_HARNESS_H
#define UDPROXY_HARNESS_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

enum mock_mode {
	MOCK_ECHO,		/* send the payload back */
	MOCK_PEER,		/* send back "<tag> <peer port> <payload>" */
	MOCK_TWICE,		/* send the payload back two times */
	MOCK_TRICKLE,		/* send it back MOCK_TRICKLE_COUNT times,
				   100 ms apart */
	MOCK_PROXY		/* parse a PROXY v2 header, send back
				   "<tag> <src> <dst>[ auth=<a>] <payload>",
				   "<tag> LOCAL <payload>", "<tag> - <payload>"
				   without one, "<tag> bad <why>" */,
	MOCK_HUNDRED		/* send it back MOCK_HUNDRED_COUNT times at
				   once (an amplifying upstream) */
};

#define MOCK_TRICKLE_COUNT	8
#define MOCK_HUNDRED_COUNT	100

struct mock {
	pid_t		 pid;
	int		 family;
	uint16_t	 port;
};

struct daemon {
	pid_t		 pid;
	char		 dir[64];
	char		 conf[128];
	char		 log[128];
	int		 exited;
	int		 status;
};

/*
 * A case that cannot run here (no root, no IPv6 loopback, no helper) says
 * why with h_skip() and returns. h_run_suite() runs the suite and returns
 * the program's exit status: 1 if a case failed, else 77 (automake's SKIP) if
 * any case skipped, listing them, else 0, so that a case that could not
 * run never counts as a pass.
 */
struct Suite;
void		 h_skip(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
int		 h_run_suite(struct Suite *);

/* Timeouts scale with UDPROXY_TEST_SLOW (e.g. 10 under valgrind). */
int		 h_slow(void);
const char	*h_tmpdir(void);
void		 h_write_file(const char *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/*
 * A loopback port (free for UDP and TCP) that no other test process, of
 * this or another tree's make check, is given, and that no port-0 socket
 * can take: from a flock(2)ed slot below ip_local_port_range (harness.c).
 */
uint16_t	 h_free_port(int family);
int		 h_port_bindable(uint16_t);
void		 h_sleep_ms(int);
int		 h_reap(pid_t, int timeout_ms);
int64_t		 h_now_ms(void);	/* CLOCK_MONOTONIC */
int		 h_family6(void);
int		 h_localhost_family(void);

/* Mock upstreams bound to 127.0.0.1 or ::1; port 0 lets the kernel pick. */
struct mock	*mock_start(int family, uint16_t port, enum mock_mode,
		    const char *tag);
void		 mock_stop(struct mock *);

/* The daemon, started with -f on a config file in dir. */
struct daemon	*daemon_start(const char *dir, const char *conf,
		    const char *extra_args);
struct daemon	*daemon_start_nowait(const char *dir, const char *conf,
		    const char *extra_args);
int		 daemon_wait_log(struct daemon *, const char *, int count,
		    int timeout_ms);
int		 daemon_log_count(struct daemon *, const char *);
char		*daemon_log_read(struct daemon *);
int		 daemon_wait_exit(struct daemon *, int timeout_ms);
int		 daemon_stop(struct daemon *);
void		 daemon_signal(struct daemon *, int);
int		 daemon_reload(struct daemon *);
long long	 daemon_stat(struct daemon *, const char *route,
		    const char *counter);
int		 daemon_fd_count(struct daemon *);
void		 daemon_free(struct daemon *);

/*
 * Runs udproxy (through UDPROXY_WRAPPER) with the NULL-terminated
 * arguments and waits at most 20 s (scaled) for it: exit status (128 + N
 * for signal N, -1 if it had to be killed), stdout and stderr.
 */
struct h_run {
	int	 status;
	char	 out[16384];
	char	 err[16384];
};
void		 h_run(struct h_run *, const char *dir, ...)
		    __attribute__((sentinel));

/* UDP clients: a socket bound to a loopback port, connected to the proxy. */
int		 client_open(int family, uint16_t port);
int		 client_open_from(const char *src, const char *dst,
		    uint16_t port);
ssize_t		 client_recv(int fd, void *, size_t, int timeout_ms);
ssize_t		 client_rt(int fd, const void *, size_t, void *, size_t,
		    int timeout_ms);
int		 client_rt_str(int fd, const char *, char *, size_t,
		    int timeout_ms);

#endif
