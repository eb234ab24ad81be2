/*
 * The batched data path through the real daemon: the listener's receive
 * buffer (default, explicit, across a reload, as the kernel reports it),
 * bursts drained without loss, and batches that mix clients and datagram
 * sizes arriving intact and in order in both directions. The upstream here
 * is a socket of the test itself with a large buffer, so every datagram the
 * daemon sends is seen, in order, with its exact bytes.
 */
#include "autoconf.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define BIGBUF		(8 * 1024 * 1024)
#define DEFAULT_RCVBUF	(8 * 1024 * 1024)	/* LISTENER_RCVBUF_DEFAULT */
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static const char	*dir;
static char		 conf[256];

static struct daemon *
start(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static struct daemon *
start(const char *fmt, ...)
{
	char		 text[4096];
	va_list		 ap;
	struct daemon	*d;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	dir = h_tmpdir();
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	h_write_file(conf, "%s", text);
	d = daemon_start(dir, conf, NULL);
	ck_assert_msg(d != NULL, "daemon did not start");
	return d;
}

static void
stop(struct daemon *d)
{
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
}

static void
bigbuf(int fd)
{
	int	size = BIGBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) == -1)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

/* An upstream that is a socket of this process, on 127.0.0.1. */
static int
sink_open(uint16_t *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ne(fd, -1);
	bigbuf(fd);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* One datagram from the sink, with its sender; -1 after timeout_ms. */
static ssize_t
sink_recv(int fd, void *buf, size_t len, struct sockaddr_in *from,
    int timeout_ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	socklen_t	flen = sizeof(*from);

	if (poll(&pfd, 1, timeout_ms * h_slow()) <= 0)
		return -1;
	return recvfrom(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)from,
	    &flen);
}

/* A client with a large buffer, so a burst of replies all fits. */
static int
client(uint16_t port)
{
	int	fd = client_open(AF_INET, port);

	ck_assert_int_ne(fd, -1);
	bigbuf(fd);
	return fd;
}

/* Fills buf with a pattern that names the client, the datagram and len. */
static void
fill(unsigned char *buf, size_t len, unsigned int cl, unsigned int seq)
{
	size_t	i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(cl * 31 + seq * 7 + i);
	if (len >= 8) {
		memcpy(buf, &cl, 4);
		memcpy(buf + 4, &seq, 4);
	}
}

static int
pattern_ok(const unsigned char *buf, size_t len, unsigned int cl,
    unsigned int seq)
{
	unsigned char	want[2048];

	if (len > sizeof(want))
		return 0;
	fill(want, len, cl, seq);
	return memcmp(buf, want, len) == 0;
}

static long long
wait_stat(struct daemon *d, const char *counter, long long want)
{
	long long	v = -1;
	int		i;

	for (i = 0; i < 50 * h_slow(); i++) {
		if ((v = daemon_stat(d, "r", counter)) == want)
			break;
		h_sleep_ms(100);
	}
	return v;
}

/*
 * SO_RCVBUF of the daemon's socket bound to port, as the kernel reports it
 * (halved, as setsockopt takes it), read through a duplicate of the
 * daemon's descriptor (pidfd_getfd); -1 where that cannot be done.
 */
static int
daemon_rcvbuf(struct daemon *d, uint16_t port)
{
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_getfd)
	struct sockaddr_storage	 ss;
	struct dirent		*e;
	socklen_t		 len;
	char			 path[64];
	DIR			*dp;
	int			 pfd, fd, val = -1, v;

	if ((pfd = (int)syscall(SYS_pidfd_open, d->pid, 0)) == -1)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)d->pid);
	if ((dp = opendir(path)) == NULL) {
		close(pfd);
		return -1;
	}
	while (val == -1 && (e = readdir(dp)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		fd = (int)syscall(SYS_pidfd_getfd, pfd, atoi(e->d_name), 0);
		if (fd == -1)
			continue;
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
		    ss.ss_family == AF_INET &&
		    ntohs(((struct sockaddr_in *)&ss)->sin_port) == port) {
			len = sizeof(v);
			if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v,
			    &len) == 0)
				val = v / 2;
		}
		close(fd);
	}
	closedir(dp);
	close(pfd);
	return val;
#else
	(void)d;
	(void)port;
	return -1;
#endif
}

/*
 * Without receive_buffer_size the listener gets 8 MiB, forced past
 * net.core.rmem_max at start-up, and the log says what was asked and got.
 */
START_TEST(rcvbuf_default)
{
	uint16_t	 lp = h_free_port(AF_INET), up;
	int		 s = sink_open(&up), got;
	struct daemon	*d;
	char		 line[256];

	d = start("log_level = \"info\";\nroutes = ( { name = \"r\"; "
	    "listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; } );\n",
	    lp, up);
	ck_assert_int_eq(daemon_wait_log(d, "route r: listener receive buffer ",
	    1, 5000), 0);
	if (geteuid() == 0) {
		snprintf(line, sizeof(line), "route r: listener receive buffer "
		    "%d bytes (asked %d, SO_RCVBUFFORCE)", DEFAULT_RCVBUF,
		    DEFAULT_RCVBUF);
		ck_assert_int_eq(daemon_log_count(d, line), 1);
		got = daemon_rcvbuf(d, lp);
		if (got != -1)
			ck_assert_int_eq(got, DEFAULT_RCVBUF);
		else
			fprintf(stderr, "note: pidfd_getfd unavailable, "
			    "checked the log line only\n");
	} else
		ck_assert_int_eq(daemon_log_count(d, "(asked 8388608, "
		    "SO_RCVBUF"), 1);
	stop(d);
	close(s);
}
END_TEST

/* An explicit receive_buffer_size wins; a reload that drops it restores
 * the default. */
START_TEST(rcvbuf_explicit_then_default)
{
	uint16_t	 lp = h_free_port(AF_INET), up;
	int		 s = sink_open(&up), got;
	struct daemon	*d;

	d = start("log_level = \"info\";\nroutes = ( { name = \"r\"; "
	    "listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; "
	    "receive_buffer_size = 65536; } );\n", lp, up);
	ck_assert_int_eq(daemon_wait_log(d, "route r: listener receive buffer "
	    "65536 bytes (asked 65536, ", 1, 5000), 0);
	got = daemon_rcvbuf(d, lp);
	if (got == -1) {
		stop(d);
		close(s);
		return;		/* the log line was checked */
	}
	ck_assert_int_eq(got, 65536);
	h_write_file(conf, "log_level = \"info\";\nroutes = ( { name = \"r\"; "
	    "listen = \"127.0.0.1:%u\"; upstream = \"127.0.0.1:%u\"; } );\n",
	    lp, up);
	ck_assert_int_eq(daemon_reload(d), 0);
	ck_assert_int_eq(daemon_wait_log(d, "route r: listener receive buffer "
	    "8388608 bytes (asked 8388608, ", 1, 5000), 0);
	if (geteuid() == 0)
		ck_assert_int_eq(daemon_rcvbuf(d, lp), DEFAULT_RCVBUF);
	stop(d);
	close(s);
}
END_TEST

/*
 * A burst from many clients while the daemon is stopped (so it all waits
 * in the listener's buffer at once) is relayed whole at the default
 * buffer: every datagram reaches the upstream, each client's in order,
 * each from its own session. The kernel's 208 KiB default lost most of it.
 */
#define BURST_CLIENTS	400
#define BURST_EACH	5
START_TEST(burst_no_loss)
{
	uint16_t		 lp = h_free_port(AF_INET), up;
	int			 s = sink_open(&up), fds[BURST_CLIENTS];
	unsigned int		 next[BURST_CLIENTS], cl, seq, i, total = 0;
	uint16_t		 sport[BURST_CLIENTS];
	unsigned char		 buf[2048];
	struct sockaddr_in	 from;
	struct daemon		*d;
	ssize_t			 n;

	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", lp, up);
	for (i = 0; i < BURST_CLIENTS; i++) {
		fds[i] = client_open(AF_INET, lp);
		ck_assert_int_ne(fds[i], -1);
		next[i] = 0;
		sport[i] = 0;
	}
	daemon_signal(d, SIGSTOP);
	for (seq = 0; seq < BURST_EACH; seq++)
		for (i = 0; i < BURST_CLIENTS; i++) {
			fill(buf, 300, i, seq);
			ck_assert_int_eq(send(fds[i], buf, 300, 0), 300);
		}
	daemon_signal(d, SIGCONT);
	while (total < BURST_CLIENTS * BURST_EACH &&
	    (n = sink_recv(s, buf, sizeof(buf), &from, 3000)) >= 0) {
		ck_assert_int_eq(n, 300);
		memcpy(&cl, buf, 4);
		memcpy(&seq, buf + 4, 4);
		ck_assert_uint_lt(cl, BURST_CLIENTS);
		ck_assert_uint_eq(seq, next[cl]);
		ck_assert(pattern_ok(buf, 300, cl, seq));
		if (seq == 0)
			sport[cl] = ntohs(from.sin_port);
		ck_assert_uint_eq(ntohs(from.sin_port), sport[cl]);
		next[cl]++;
		total++;
	}
	ck_assert_uint_eq(total, BURST_CLIENTS * BURST_EACH);
	ck_assert_int_eq(wait_stat(d, "rx_datagrams",
	    BURST_CLIENTS * BURST_EACH), BURST_CLIENTS * BURST_EACH);
	ck_assert_int_eq(daemon_stat(d, "r", "drop_rcvbuf"), 0);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"),
	    BURST_CLIENTS);
	for (i = 0; i < BURST_CLIENTS; i++)
		ck_assert_int_ne(sport[i], sport[(i + 1) % BURST_CLIENTS]);
	for (i = 0; i < BURST_CLIENTS; i++)
		close(fds[i]);
	stop(d);
	close(s);
}
END_TEST

/*
 * Sizes that a batch must keep apart: runs of equal sizes broken by a
 * shorter one, an empty datagram, one byte, and sizes that are equal but
 * belong to two clients interleaved.
 */
static const size_t sizes[] = {
	100, 100, 100, 40, 100, 100, 0, 0, 1, 1200, 1200, 1200, 1199, 1200,
	512, 512, 513, 512, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
	1400, 1400, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	64, 64, 64, 3, 2000, 2000
};

/* Sends sizes[] from two clients, interleaved, while the daemon sleeps. */
START_TEST(mixed_sizes_keep_order)
{
	uint16_t		 lp = h_free_port(AF_INET), up, port[2];
	int			 s = sink_open(&up), c[2];
	unsigned int		 next[2] = { 0, 0 }, k, cl, total = 0;
	unsigned int		 seq;
	unsigned char		 buf[4096];
	struct sockaddr_in	 from, to[2];
	struct daemon		*d;
	ssize_t			 n;
	size_t			 i, want;

	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", lp, up);
	for (k = 0; k < 2; k++) {
		c[k] = client(lp);
		/* A first round trip sets the session up: its port. */
		fill(buf, 16, k, 9999);
		ck_assert_int_eq(send(c[k], buf, 16, 0), 16);
		ck_assert_int_eq(sink_recv(s, buf, sizeof(buf), &to[k], 3000),
		    16);
		port[k] = ntohs(to[k].sin_port);
	}
	ck_assert_uint_ne(port[0], port[1]);
	daemon_signal(d, SIGSTOP);
	for (i = 0; i < nitems(sizes); i++)
		for (k = 0; k < 2; k++) {
			fill(buf, sizes[i], k, (unsigned int)i);
			ck_assert_int_eq(send(c[k], buf, sizes[i], 0),
			    (ssize_t)sizes[i]);
		}
	daemon_signal(d, SIGCONT);
	/* Upstream: each client's datagrams, exact and in order. */
	while (total < 2 * nitems(sizes) &&
	    (n = sink_recv(s, buf, sizeof(buf), &from, 3000)) >= 0) {
		k = ntohs(from.sin_port) == port[0] ? 0 : 1;
		ck_assert_uint_eq(ntohs(from.sin_port), port[k]);
		ck_assert_uint_lt(next[k], nitems(sizes));
		want = sizes[next[k]];
		ck_assert_int_eq(n, (ssize_t)want);
		if (want >= 8) {
			memcpy(&cl, buf, 4);
			memcpy(&seq, buf + 4, 4);
			ck_assert_uint_eq(cl, k);
			ck_assert_uint_eq(seq, next[k]);
		}
		ck_assert(pattern_ok(buf, want, k, next[k]));
		next[k]++;
		total++;
	}
	ck_assert_uint_eq(total, 2 * nitems(sizes));
	/*
	 * Downstream: the upstream answers both sessions with sizes[], the
	 * two interleaved, in one burst; each client gets its own, in order.
	 */
	daemon_signal(d, SIGSTOP);
	for (i = 0; i < nitems(sizes); i++)
		for (k = 0; k < 2; k++) {
			fill(buf, sizes[i], k + 10, (unsigned int)i);
			ck_assert_int_eq(sendto(s, buf, sizes[i], 0,
			    (struct sockaddr *)&to[k], sizeof(to[k])),
			    (ssize_t)sizes[i]);
		}
	daemon_signal(d, SIGCONT);
	for (k = 0; k < 2; k++)
		for (i = 0; i < nitems(sizes); i++) {
			n = client_recv(c[k], buf, sizeof(buf), 3000);
			ck_assert_int_eq(n, (ssize_t)sizes[i]);
			ck_assert(pattern_ok(buf, sizes[i], k + 10,
			    (unsigned int)i));
		}
	for (k = 0; k < 2; k++) {
		ck_assert_int_eq(client_recv(c[k], buf, sizeof(buf), 200), -1);
		close(c[k]);
	}
	ck_assert_int_eq(wait_stat(d, "tx_datagrams",
	    (long long)(2 * nitems(sizes))), (long long)(2 * nitems(sizes)));
	ck_assert_int_eq(daemon_stat(d, "r", "rx_datagrams"),
	    (long long)(2 * nitems(sizes) + 2));
	stop(d);
	close(s);
}
END_TEST

/*
 * One client's datagrams in a row, while the daemon sleeps: the listener
 * batch holds runs of one session (sent as GSO where the sizes allow it,
 * else with sendmmsg), and the upstream still sees each datagram, exact,
 * in order. The same for a burst of replies of those sizes.
 */
START_TEST(runs_keep_sizes)
{
	uint16_t		 lp = h_free_port(AF_INET), up;
	int			 s = sink_open(&up), c;
	unsigned char		 buf[4096];
	struct sockaddr_in	 from, to;
	struct daemon		*d;
	ssize_t			 n;
	size_t			 i;

	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", lp, up);
	c = client(lp);
	ck_assert_int_eq(send(c, "hello", 5, 0), 5);
	ck_assert_int_eq(sink_recv(s, buf, sizeof(buf), &to, 3000), 5);
	daemon_signal(d, SIGSTOP);
	for (i = 0; i < nitems(sizes); i++) {
		fill(buf, sizes[i], 3, (unsigned int)i);
		ck_assert_int_eq(send(c, buf, sizes[i], 0), (ssize_t)sizes[i]);
	}
	daemon_signal(d, SIGCONT);
	for (i = 0; i < nitems(sizes); i++) {
		n = sink_recv(s, buf, sizeof(buf), &from, 3000);
		ck_assert_int_eq(n, (ssize_t)sizes[i]);
		ck_assert_uint_eq(from.sin_port, to.sin_port);
		ck_assert(pattern_ok(buf, sizes[i], 3, (unsigned int)i));
	}
	daemon_signal(d, SIGSTOP);
	for (i = 0; i < nitems(sizes); i++) {
		fill(buf, sizes[i], 4, (unsigned int)i);
		ck_assert_int_eq(sendto(s, buf, sizes[i], 0,
		    (struct sockaddr *)&to, sizeof(to)), (ssize_t)sizes[i]);
	}
	daemon_signal(d, SIGCONT);
	for (i = 0; i < nitems(sizes); i++) {
		n = client_recv(c, buf, sizeof(buf), 3000);
		ck_assert_int_eq(n, (ssize_t)sizes[i]);
		ck_assert(pattern_ok(buf, sizes[i], 4, (unsigned int)i));
	}
	ck_assert_int_eq(client_recv(c, buf, sizeof(buf), 200), -1);
	ck_assert_int_eq(daemon_stat(d, "r", "rx_datagrams"),
	    (long long)nitems(sizes) + 1);
	ck_assert_int_eq(wait_stat(d, "tx_datagrams", (long long)nitems(sizes)),
	    (long long)nitems(sizes));
	close(c);
	stop(d);
	close(s);
}
END_TEST

/*
 * With download_rate, replies are read one at a time, at most a batch's
 * worth per wake-up. A burst of more than that, queued while the daemon
 * sleeps, must still be read whole and in order, however readiness is
 * reported (an edge-triggered build once lost what was left after the
 * first batch). A rate far above the burst keeps the pacing itself out
 * of the way.
 */
START_TEST(paced_burst_all_read)
{
	uint16_t		 lp = h_free_port(AF_INET), up;
	int			 s = sink_open(&up), c;
	unsigned char		 buf[256];
	struct sockaddr_in	 to;
	struct daemon		*d;
	unsigned int		 i, burst = 150;

	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; download_rate = 100000000; } );\n",
	    lp, up);
	c = client(lp);
	ck_assert_int_eq(send(c, "hello", 5, 0), 5);
	ck_assert_int_eq(sink_recv(s, buf, sizeof(buf), &to, 3000), 5);
	daemon_signal(d, SIGSTOP);
	for (i = 0; i < burst; i++) {
		fill(buf, 100, 5, i);
		ck_assert_int_eq(sendto(s, buf, 100, 0,
		    (struct sockaddr *)&to, sizeof(to)), 100);
	}
	daemon_signal(d, SIGCONT);
	for (i = 0; i < burst; i++) {
		ck_assert_int_eq(client_recv(c, buf, sizeof(buf), 3000), 100);
		ck_assert(pattern_ok(buf, 100, 5, i));
	}
	ck_assert_int_eq(client_recv(c, buf, sizeof(buf), 200), -1);
	ck_assert_int_eq(wait_stat(d, "tx_datagrams", burst), burst);
	close(c);
	stop(d);
	close(s);
}
END_TEST

/*
 * Kernel receive time of the next datagram on fd (SO_TIMESTAMPNS, in ns
 * of CLOCK_REALTIME), or -1 after timeout_ms.
 */
static int64_t
recv_stamp(int fd, int timeout_ms)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(struct timespec))];
	} ctl;
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	unsigned char	 buf[2048];
	struct iovec	 iov = { buf, sizeof(buf) };
	struct msghdr	 msg;
	struct cmsghdr	*c;
	struct timespec	 ts;

	if (poll(&pfd, 1, timeout_ms * h_slow()) <= 0)
		return -1;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	if (recvmsg(fd, &msg, MSG_DONTWAIT) == -1)
		return -1;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		}
	ck_abort_msg("no SCM_TIMESTAMPNS on a datagram");
	return -1;
}

#define NEW_CLIENTS	1200

/*
 * A burst of new clients must not hold back the replies of a session that
 * is already there: the listener's drain yields after ROUTE_DRAIN_SESSIONS
 * (256) set-ups, give or take a batch. While the daemon sleeps, 1200 new
 * clients send a datagram each, then the upstream answers the old
 * session. The kernel's receive times say what the daemon did first: the
 * reply reaches its client after at most a few hundred of the new
 * clients' datagrams reached the upstream, not after all 1200 (as when
 * the drain set up 4096 sessions in one go).
 */
START_TEST(new_clients_do_not_hold_replies)
{
	uint16_t		 lp = h_free_port(AF_INET), up;
	int			 s = sink_open(&up), c, *fds, on = 1, i;
	unsigned char		 buf[64];
	struct sockaddr_in	 to;
	struct rlimit		 rl;
	struct daemon		*d;
	int64_t			 t_reply, t;
	int			 before = 0, total = 0;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < NEW_CLIENTS + 200) {
		h_skip("new_clients_do_not_hold_replies: RLIMIT_NOFILE %llu",
		    (unsigned long long)rl.rlim_max);
		close(s);
		return;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < NEW_CLIENTS + 200) {
		rl.rlim_cur = NEW_CLIENTS + 200;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	ck_assert_int_eq(setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &on,
	    sizeof(on)), 0);
	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", lp, up);
	c = client(lp);
	ck_assert_int_eq(setsockopt(c, SOL_SOCKET, SO_TIMESTAMPNS, &on,
	    sizeof(on)), 0);
	ck_assert_int_eq(send(c, "old", 3, 0), 3);
	ck_assert_int_eq(sink_recv(s, buf, sizeof(buf), &to, 3000), 3);
	fds = calloc(NEW_CLIENTS, sizeof(*fds));
	ck_assert_ptr_nonnull(fds);
	for (i = 0; i < NEW_CLIENTS; i++) {
		fds[i] = client_open(AF_INET, lp);
		ck_assert_int_ne(fds[i], -1);
	}
	daemon_signal(d, SIGSTOP);
	for (i = 0; i < NEW_CLIENTS; i++)
		ck_assert_int_eq(send(fds[i], "new", 3, 0), 3);
	/* Queued after the burst: the listener is ready first. */
	ck_assert_int_eq(sendto(s, "reply", 5, 0, (struct sockaddr *)&to,
	    sizeof(to)), 5);
	daemon_signal(d, SIGCONT);
	t_reply = recv_stamp(c, 5000);
	ck_assert_int_ne(t_reply, -1);
	while (total < NEW_CLIENTS && (t = recv_stamp(s, 3000)) != -1) {
		total++;
		if (t < t_reply)
			before++;
	}
	ck_assert_int_eq(total, NEW_CLIENTS);
	/*
	 * One drain's worth (256 + 64), or two if the reply's socket became
	 * ready behind the listener in the kernel's ready list.
	 */
	ck_assert_msg(before > 0 && before <= 2 * (256 + 64),
	    "the reply came after %d of %d new clients' datagrams", before,
	    NEW_CLIENTS);
	ck_assert_int_eq(daemon_stat(d, "r", "sessions_created"),
	    NEW_CLIENTS + 1);
	ck_assert_int_eq(daemon_stat(d, "r", "drop_rcvbuf"), 0);
	for (i = 0; i < NEW_CLIENTS; i++)
		close(fds[i]);
	free(fds);
	close(c);
	stop(d);
	close(s);
}
END_TEST

/*
 * Where the kernel refuses a GSO send (EIO, as on a device that cannot
 * segment; injected with LD_PRELOAD), the replies still arrive, one by
 * one, exact and in order, GSO is turned off once with a warning, and the
 * next burst is sent without it.
 */
START_TEST(gso_refused_falls_back)
{
	const char		*shim = getenv("UDPROXY_SHIM");
	uint16_t		 lp = h_free_port(AF_INET), up;
	int			 s = sink_open(&up), c, round, i;
	unsigned char		 buf[2048];
	struct sockaddr_in	 to;
	struct daemon		*d;

	if (shim == NULL || access(shim, R_OK) == -1) {
		h_skip("gso_refused_falls_back: no UDPROXY_SHIM "
		    "(tests/shim.so)");
		close(s);
		return;
	}
	setenv("LD_PRELOAD", shim, 1);
	setenv("SHIM_GSO_ERRNO", "5", 1);	/* EIO */
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
	d = start("routes = ( { name = \"r\"; listen = \"127.0.0.1:%u\"; "
	    "upstream = \"127.0.0.1:%u\"; } );\n", lp, up);
	unsetenv("LD_PRELOAD");
	unsetenv("SHIM_GSO_ERRNO");
	c = client(lp);
	ck_assert_int_eq(send(c, "hello", 5, 0), 5);
	ck_assert_int_eq(sink_recv(s, buf, sizeof(buf), &to, 3000), 5);
	for (round = 0; round < 2; round++) {
		daemon_signal(d, SIGSTOP);
		for (i = 0; i < 20; i++) {
			fill(buf, 500, 7, (unsigned int)(round * 100 + i));
			ck_assert_int_eq(sendto(s, buf, 500, 0,
			    (struct sockaddr *)&to, sizeof(to)), 500);
		}
		daemon_signal(d, SIGCONT);
		for (i = 0; i < 20; i++) {
			ck_assert_int_eq(client_recv(c, buf, sizeof(buf), 3000),
			    500);
			ck_assert(pattern_ok(buf, 500, 7,
			    (unsigned int)(round * 100 + i)));
		}
	}
	ck_assert_int_eq(client_recv(c, buf, sizeof(buf), 200), -1);
	ck_assert_int_eq(wait_stat(d, "tx_datagrams", 40), 40);
	ck_assert_int_eq(daemon_stat(d, "r", "drop_client_send"), 0);
	ck_assert_int_eq(daemon_log_count(d, "UDP GSO refused by the kernel "
	    "(Input/output error); replies are sent one by one"), 1);
	close(c);
	stop(d);
	close(s);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("batch");
	TCase	*tc = tcase_create("batch");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rcvbuf_default);
	tcase_add_test(tc, rcvbuf_explicit_then_default);
	tcase_add_test(tc, burst_no_loss);
	tcase_add_test(tc, mixed_sizes_keep_order);
	tcase_add_test(tc, runs_keep_sizes);
	tcase_add_test(tc, paced_burst_all_read);
	tcase_add_test(tc, new_clients_do_not_hold_replies);
	tcase_add_test(tc, gso_refused_falls_back);
	suite_add_tcase(s, tc);
	return h_run_suite(s);
}
