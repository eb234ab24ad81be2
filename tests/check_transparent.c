/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * transparent = true in network namespaces this test makes itself: a
 * client (192.0.2.2), the proxy (192.0.2.1 and 198.51.100.1, with policy
 * routing that delivers the upstream's replies locally) and an upstream
 * (198.51.100.2), joined by veth pairs. The documentation-range
 * addresses exist only inside these namespaces. The upstream must see
 * the client's own address and port, replies must reach the client, and
 * an expired session must free the client's port on the proxy; also as
 * user nobody, which must keep CAP_NET_ADMIN (and only it beside
 * CAP_NET_BIND_SERVICE); over IPv6 (2001:db8::/32) too; with a client
 * named by a PROXY header; and -t's warnings. Skips (77) where
 * namespaces cannot be made; removes them always.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"
#include "proxyproto.h"

#define PROXY_PORT	5300
#define UP_PORT		7000

static char	ns_c[32], ns_p[32], ns_u[32];
static int	have6;	/* the IPv6 addresses and routes are up too */
static pid_t	made;	/* by this process, which alone removes them */

static int
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char	cmd[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void
ns_cleanup(void)
{
	/* Check's forked test processes exit through here too. */
	if (made != getpid())
		return;
	sh("ip netns del %s 2>/dev/null", ns_c);
	sh("ip netns del %s 2>/dev/null", ns_p);
	sh("ip netns del %s 2>/dev/null", ns_u);
	made = 0;
}

/* 0 when the three namespaces are up, -1 (after cleaning up) if not. */
static int
ns_setup(void)
{
	long	pid = (long)getpid();

	snprintf(ns_c, sizeof(ns_c), "udpx-c-%ld", pid);
	snprintf(ns_p, sizeof(ns_p), "udpx-p-%ld", pid);
	snprintf(ns_u, sizeof(ns_u), "udpx-u-%ld", pid);
	if (sh("ip netns add %s 2>/dev/null", ns_c) != 0)
		return -1;
	made = getpid();
	if (sh("ip netns add %s && ip netns add %s", ns_p, ns_u) != 0 ||
	    sh("ip -n %s link add vpc type veth peer name vc netns %s",
	    ns_p, ns_c) != 0 ||
	    sh("ip -n %s link add vpu type veth peer name vu netns %s",
	    ns_p, ns_u) != 0 ||
	    sh("ip -n %s link set lo up && ip -n %s link set lo up && "
	    "ip -n %s link set lo up", ns_c, ns_p, ns_u) != 0 ||
	    sh("ip -n %s addr add 192.0.2.2/24 dev vc && "
	    "ip -n %s link set vc up && "
	    "ip -n %s route add default via 192.0.2.1", ns_c, ns_c,
	    ns_c) != 0 ||
	    sh("ip -n %s addr add 192.0.2.1/24 dev vpc && "
	    "ip -n %s link set vpc up && "
	    "ip -n %s addr add 198.51.100.1/24 dev vpu && "
	    "ip -n %s link set vpu up", ns_p, ns_p, ns_p, ns_p) != 0 ||
	    sh("ip -n %s addr add 198.51.100.2/24 dev vu && "
	    "ip -n %s link set vu up && "
	    "ip -n %s route add default via 198.51.100.1", ns_u, ns_u,
	    ns_u) != 0 ||
	    /* The recipe of the man page, with iif instead of a fwmark. */
	    sh("ip -n %s rule add iif vpu lookup 100 && "
	    "ip -n %s route add local 0.0.0.0/0 dev lo table 100", ns_p,
	    ns_p) != 0) {
		ns_cleanup();
		return -1;
	}
	/* IPv6 in 2001:db8::/32; a host without IPv6 skips that case. */
	have6 = sh("ip -n %s addr add 2001:db8:1::2/64 dev vc nodad && "
	    "ip -n %s -6 route add default via 2001:db8:1::1 && "
	    "ip -n %s addr add 2001:db8:1::1/64 dev vpc nodad && "
	    "ip -n %s addr add 2001:db8:2::1/64 dev vpu nodad && "
	    "ip -n %s addr add 2001:db8:2::2/64 dev vu nodad && "
	    "ip -n %s -6 route add default via 2001:db8:2::1 && "
	    "ip -n %s -6 rule add iif vpu lookup 100 && "
	    "ip -n %s -6 route add local ::/0 dev lo table 100", ns_c, ns_c,
	    ns_p, ns_p, ns_u, ns_u, ns_p, ns_p) == 0;
	return 0;
}

/* Moves this thread into a namespace (or back: name NULL). */
static void
ns_enter(const char *name)
{
	static int	home = -1;
	char		path[64];
	int		fd;

	if (home == -1)
		ck_assert_int_ne(home = open("/proc/self/ns/net", O_RDONLY |
		    O_CLOEXEC), -1);
	if (name == NULL) {
		ck_assert_int_eq(setns(home, CLONE_NEWNET), 0);
		return;
	}
	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	ck_assert_int_ne(fd = open(path, O_RDONLY | O_CLOEXEC), -1);
	ck_assert_int_eq(setns(fd, CLONE_NEWNET), 0);
	close(fd);
}

static int
udp_socket(const char *ip, uint16_t port, int transparent)
{
	struct sockaddr_in	sin;
	int			fd, on = 1;

	ck_assert_int_ne(fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0),
	    -1);
	if (transparent)
		ck_assert_int_eq(setsockopt(fd, SOL_IP, IP_TRANSPARENT, &on,
		    sizeof(on)), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	inet_pton(AF_INET, ip, &sin.sin_addr);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static uint16_t
local_port(int fd)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/* Whether a fresh socket in the proxy could bind the client's port. */
static int
port_free(uint16_t port)
{
	int	fd;

	ns_enter(ns_p);
	fd = udp_socket("192.0.2.2", port, 1);
	ns_enter(NULL);
	if (fd == -1) {
		ck_assert_int_eq(errno, EADDRINUSE);
		return 0;
	}
	close(fd);
	return 1;
}

static void
transparent_case(const char *extra)
{
	struct daemon		*d;
	struct sockaddr_in	 from, to;
	socklen_t		 fl = sizeof(from);
	const char		*dir;
	char			 conf[256], buf[256], ip[INET_ADDRSTRLEN];
	int			 c, u, i;
	uint16_t		 cport;
	ssize_t			 n;

	dir = h_tmpdir();
	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	h_write_file(conf, "%sroutes = ( { name = \"t\"; listen = "
	    "\"192.0.2.1:%u\"; upstream = \"198.51.100.2:%u\"; "
	    "transparent = true; idle_timeout = 1; } );\n", extra,
	    PROXY_PORT, UP_PORT);
	ck_assert_int_eq(chmod(conf, 0644), 0);

	ns_enter(ns_u);
	ck_assert_int_ne(u = udp_socket("198.51.100.2", UP_PORT, 0), -1);
	ns_enter(ns_p);
	d = daemon_start(dir, conf, NULL);
	ns_enter(ns_c);
	ck_assert_int_ne(c = udp_socket("192.0.2.2", 0, 0), -1);
	ns_enter(NULL);
	ck_assert_ptr_nonnull(d);
	/* The routing of the man page is in place: no warning. */
	ck_assert_int_eq(daemon_log_count(d, "policy routing"), 0);
	ck_assert_int_eq(daemon_log_count(d, "CAP_NET_ADMIN"), 0);
	cport = local_port(c);

	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(PROXY_PORT);
	inet_pton(AF_INET, "192.0.2.1", &to.sin_addr);
	ck_assert_int_eq(sendto(c, "hello", 5, 0, (struct sockaddr *)&to,
	    sizeof(to)), 5);
	/* The upstream sees the client itself, address and port. */
	for (i = 0; i < 300 * h_slow(); i++) {
		fl = sizeof(from);
		if ((n = recvfrom(u, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fl)) >= 0)
			break;
		h_sleep_ms(10);
	}
	ck_assert_int_eq(n, 5);
	ck_assert(memcmp(buf, "hello", 5) == 0);
	inet_ntop(AF_INET, &from.sin_addr, ip, sizeof(ip));
	ck_assert_str_eq(ip, "192.0.2.2");
	ck_assert_uint_eq(ntohs(from.sin_port), cport);
	/* The reply, addressed to the client, reaches it through udproxy. */
	ck_assert_int_eq(sendto(u, "reply", 5, 0, (struct sockaddr *)&from,
	    fl), 5);
	n = client_recv(c, buf, sizeof(buf), 3000);
	ck_assert_int_eq(n, 5);
	ck_assert(memcmp(buf, "reply", 5) == 0);
	ck_assert_int_eq(daemon_stat(d, "t", "sessions_created"), 1);
	ck_assert_int_eq(daemon_stat(d, "t", "tx_datagrams"), 1);
	/* The session holds the client's port on the proxy... */
	ck_assert_int_eq(port_free(cport), 0);
	/* ...until it expires. */
	for (i = 0; i < 50 * h_slow(); i++) {
		if (daemon_stat(d, "t", "sessions_expired") == 1)
			break;
		h_sleep_ms(100);
	}
	ck_assert_int_eq(daemon_stat(d, "t", "sessions_expired"), 1);
	ck_assert_int_eq(port_free(cport), 1);
	ck_assert_int_eq(daemon_stat(d, "t", "drop_socket_error"), 0);
	close(c);
	close(u);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
}

START_TEST(transparent_root)
{
	transparent_case("");
}
END_TEST

/* Receives one datagram on u, with its source, within a bounded wait. */
static ssize_t
recv_src(int u, char *buf, size_t len, struct sockaddr_in *from,
    socklen_t *fl)
{
	ssize_t	n = -1;
	int	i;

	for (i = 0; i < 300 * h_slow(); i++) {
		*fl = sizeof(*from);
		if ((n = recvfrom(u, buf, len, MSG_DONTWAIT,
		    (struct sockaddr *)from, fl)) >= 0)
			break;
		h_sleep_ms(10);
	}
	return n;
}

/*
 * proxy_protocol_from with transparent: the session binds the client the
 * header names; the upstream's reply to that address comes back through
 * udproxy to the real sender.
 */
START_TEST(transparent_proxied)
{
	struct daemon		*d;
	struct proxyproto	 h;
	struct sockaddr_in	 from, to, *hs = (struct sockaddr_in *)&h.src;
	struct sockaddr_in	*hd = (struct sockaddr_in *)&h.dst;
	socklen_t		 fl;
	const char		*dir = h_tmpdir();
	char			 conf[256], buf[256], ip[INET_ADDRSTRLEN];
	uint8_t			 out[128];
	ssize_t			 n;
	int			 c, u;

	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	h_write_file(conf, "routes = ( { name = \"t\"; listen = "
	    "\"192.0.2.1:%u\"; upstream = \"198.51.100.2:%u\"; "
	    "transparent = true; proxy_protocol_from = [ \"192.0.2.2\" ]; "
	    "} );\n", PROXY_PORT + 1, UP_PORT + 1);
	ns_enter(ns_u);
	ck_assert_int_ne(u = udp_socket("198.51.100.2", UP_PORT + 1, 0), -1);
	ns_enter(ns_p);
	d = daemon_start(dir, conf, NULL);
	ns_enter(ns_c);
	ck_assert_int_ne(c = udp_socket("192.0.2.2", 0, 0), -1);
	ns_enter(NULL);
	ck_assert_ptr_nonnull(d);

	memset(&h, 0, sizeof(h));
	h.cmd = PROXYPROTO_CMD_PROXY;
	h.transport = PROXYPROTO_DGRAM;
	hs->sin_family = hd->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.99", &hs->sin_addr);
	hs->sin_port = htons(4444);
	inet_pton(AF_INET, "192.0.2.1", &hd->sin_addr);
	hd->sin_port = htons(PROXY_PORT + 1);
	n = proxyproto_encode(out, sizeof(out), &h);
	ck_assert_int_eq(n, 28);
	memcpy(out + n, "hdr", 3);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(PROXY_PORT + 1);
	inet_pton(AF_INET, "192.0.2.1", &to.sin_addr);
	ck_assert_int_eq(sendto(c, out, (size_t)n + 3, 0,
	    (struct sockaddr *)&to, sizeof(to)), n + 3);
	n = recv_src(u, buf, sizeof(buf), &from, &fl);
	ck_assert_int_eq(n, 3);
	ck_assert(memcmp(buf, "hdr", 3) == 0);
	inet_ntop(AF_INET, &from.sin_addr, ip, sizeof(ip));
	ck_assert_str_eq(ip, "192.0.2.99");
	ck_assert_uint_eq(ntohs(from.sin_port), 4444);
	ck_assert_int_eq(sendto(u, "back", 4, 0, (struct sockaddr *)&from,
	    fl), 4);
	n = client_recv(c, buf, sizeof(buf), 3000);
	ck_assert_int_eq(n, 4);
	ck_assert(memcmp(buf, "back", 4) == 0);
	close(c);
	close(u);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
}
END_TEST

static int
udp_socket6(const char *ip, uint16_t port)
{
	struct sockaddr_in6	sin6;
	int			fd;

	ck_assert_int_ne(fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0),
	    -1);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)), 0);
	return fd;
}

/* IPV6_TRANSPARENT: the same over IPv6. */
START_TEST(transparent_v6)
{
	struct daemon		*d;
	struct sockaddr_in6	 from, to, me;
	socklen_t		 fl, ml = sizeof(me);
	const char		*dir = h_tmpdir();
	char			 conf[256], buf[256], ip[INET6_ADDRSTRLEN];
	ssize_t			 n = -1;
	int			 c, u, i;

	if (!have6) {
		fprintf(stderr, "transparent_v6: skipped, no IPv6 in the "
		    "namespaces\n");
		return;
	}
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	h_write_file(conf, "routes = ( { name = \"t6\"; listen = "
	    "\"[2001:db8:1::1]:%u\"; upstream = \"[2001:db8:2::2]:%u\"; "
	    "transparent = true; } );\n", PROXY_PORT + 2, UP_PORT + 2);
	ns_enter(ns_u);
	u = udp_socket6("2001:db8:2::2", UP_PORT + 2);
	ns_enter(ns_p);
	d = daemon_start(dir, conf, NULL);
	ns_enter(ns_c);
	c = udp_socket6("2001:db8:1::2", 0);
	ns_enter(NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(daemon_log_count(d, "policy routing"), 0);
	ck_assert_int_eq(getsockname(c, (struct sockaddr *)&me, &ml), 0);
	memset(&to, 0, sizeof(to));
	to.sin6_family = AF_INET6;
	to.sin6_port = htons(PROXY_PORT + 2);
	inet_pton(AF_INET6, "2001:db8:1::1", &to.sin6_addr);
	ck_assert_int_eq(sendto(c, "six", 3, 0, (struct sockaddr *)&to,
	    sizeof(to)), 3);
	for (i = 0; i < 300 * h_slow(); i++) {
		fl = sizeof(from);
		if ((n = recvfrom(u, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fl)) >= 0)
			break;
		h_sleep_ms(10);
	}
	ck_assert_int_eq(n, 3);
	inet_ntop(AF_INET6, &from.sin6_addr, ip, sizeof(ip));
	ck_assert_str_eq(ip, "2001:db8:1::2");
	ck_assert_uint_eq(from.sin6_port, me.sin6_port);
	ck_assert_int_eq(sendto(u, "xis", 3, 0, (struct sockaddr *)&from,
	    fl), 3);
	n = client_recv(c, buf, sizeof(buf), 3000);
	ck_assert_int_eq(n, 3);
	ck_assert(memcmp(buf, "xis", 3) == 0);
	close(c);
	close(u);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
}
END_TEST

/* Capabilities in /proc/PID/status, as a number. */
static unsigned long long
cap_eff(pid_t pid)
{
	char			 path[64], line[256];
	unsigned long long	 v = ~0ULL;
	FILE			*f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "CapEff: %llx", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* As nobody: CAP_NET_ADMIN and CAP_NET_BIND_SERVICE kept, nothing else. */
START_TEST(transparent_nobody)
{
	struct daemon	*d;
	const char	*dir;
	char		 conf[256];

	if (getpwnam("nobody") == NULL) {
		h_skip("transparent_nobody: no user nobody");
		return;
	}
	transparent_case("user = \"nobody\";\n");

	/* The same daemon, checked for its capabilities while it runs. */
	dir = h_tmpdir();
	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	h_write_file(conf, "user = \"nobody\";\nroutes = ( { name = \"t\"; "
	    "listen = \"192.0.2.1:%u\"; upstream = \"198.51.100.2:%u\"; "
	    "transparent = true; } );\n", PROXY_PORT, UP_PORT);
	ck_assert_int_eq(chmod(conf, 0644), 0);
	ns_enter(ns_p);
	d = daemon_start(dir, conf, NULL);
	ns_enter(NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(daemon_wait_log(d, "running as user nobody", 1,
	    3000), 0);
	ck_assert_uint_eq(cap_eff(d->pid), (1ULL << 10) | (1ULL << 12));
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);

	/* Without a transparent route, CAP_NET_BIND_SERVICE only. */
	h_write_file(conf, "user = \"nobody\";\nroutes = ( { name = \"t\"; "
	    "listen = \"192.0.2.1:%u\"; upstream = \"198.51.100.2:%u\"; "
	    "} );\n", PROXY_PORT, UP_PORT);
	ns_enter(ns_p);
	d = daemon_start(dir, conf, NULL);
	ns_enter(NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(daemon_wait_log(d, "running as user nobody", 2,
	    3000), 0);
	ck_assert_uint_eq(cap_eff(d->pid), 1ULL << 10);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
}
END_TEST

/* A reload that makes a route transparent says what the host lacks. */
START_TEST(reload_warns)
{
	struct daemon	*d;
	const char	*dir = h_tmpdir();
	char		 conf[256];

	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	h_write_file(conf, "routes = ( { name = \"t\"; listen = "
	    "\"192.0.2.2:%u\"; upstream = \"198.51.100.2:%u\"; } );\n",
	    PROXY_PORT, UP_PORT);
	/* The client's namespace: no policy routing there. */
	ns_enter(ns_c);
	d = daemon_start(dir, conf, NULL);
	ns_enter(NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(daemon_log_count(d, "policy routing"), 0);
	h_write_file(conf, "routes = ( { name = \"t\"; listen = "
	    "\"192.0.2.2:%u\"; upstream = \"198.51.100.2:%u\"; "
	    "transparent = true; } );\n", PROXY_PORT, UP_PORT);
	ck_assert_int_eq(daemon_reload(d), 0);
	ck_assert_int_eq(daemon_wait_log(d, "transparent routes: no IPv4 "
	    "policy routing for replies", 1, 3000), 0);
	/* Reloading the same again says nothing new. */
	ck_assert_int_eq(daemon_reload(d), 0);
	ck_assert_int_eq(daemon_log_count(d, "policy routing"), 1);
	ck_assert_int_eq(daemon_stop(d), 0);
	daemon_free(d);
}
END_TEST

/* -t says when the policy routing is missing, and only then. */
START_TEST(check_routing)
{
	const char	*dir = h_tmpdir();
	char		 conf[256], out[256], *text;
	FILE		*f;
	size_t		 n;

	snprintf(conf, sizeof(conf), "%s/udproxy.conf", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	h_write_file(conf, "routes = ( { name = \"t\"; listen = "
	    "\"192.0.2.1:%u\"; upstream = \"198.51.100.2:%u\"; "
	    "transparent = true; } );\n", PROXY_PORT, UP_PORT);
	text = calloc(1, 4096);
	ck_assert_int_eq(sh("ip netns exec %s %s -t -c '%s' 2>'%s'", ns_p,
	    getenv("UDPROXY_BIN"), conf, out), 0);
	ck_assert_ptr_nonnull(f = fopen(out, "r"));
	n = fread(text, 1, 4095, f);
	fclose(f);
	text[n] = '\0';
	ck_assert_ptr_null(strstr(text, "warning"));
	ck_assert_ptr_nonnull(strstr(text, "configuration is valid"));
	/* The client's namespace has no such routing. */
	ck_assert_int_eq(sh("ip netns exec %s %s -t -c '%s' 2>'%s'", ns_c,
	    getenv("UDPROXY_BIN"), conf, out), 0);
	ck_assert_ptr_nonnull(f = fopen(out, "r"));
	n = fread(text, 1, 4095, f);
	fclose(f);
	text[n] = '\0';
	ck_assert_ptr_nonnull(strstr(text, "udproxy: warning: transparent "
	    "routes: no IPv4 policy routing for replies: no 'ip rule' leads "
	    "to a table with a local default route"));
	ck_assert_ptr_null(strstr(text, "CAP_NET_ADMIN"));
	/* Without the capability: root, with it out of the bounding set. */
	ck_assert_int_eq(sh("ip netns exec %s setpriv "
	    "--bounding-set=-net_admin %s -t -c '%s' 2>'%s'", ns_p,
	    getenv("UDPROXY_BIN"), conf, out), 0);
	ck_assert_ptr_nonnull(f = fopen(out, "r"));
	n = fread(text, 1, 4095, f);
	fclose(f);
	text[n] = '\0';
	ck_assert_ptr_nonnull(strstr(text, "udproxy: warning: transparent "
	    "routes need CAP_NET_ADMIN, which udproxy does not have"));
	ck_assert_ptr_null(strstr(text, "policy routing"));
	free(text);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("transparent");
	TCase	*tc = tcase_create("transparent");
	int	 failed;

	if (geteuid() != 0) {
		fprintf(stderr, "check_transparent: SKIP: needs root for "
		    "network namespaces\n");
		return 77;
	}
	if (ns_setup() == -1) {
		fprintf(stderr, "check_transparent: SKIP: cannot make network "
		    "namespaces and veth pairs with ip(8)\n");
		return 77;
	}
	atexit(ns_cleanup);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, transparent_root);
	tcase_add_test(tc, transparent_nobody);
	tcase_add_test(tc, transparent_proxied);
	tcase_add_test(tc, transparent_v6);
	tcase_add_test(tc, check_routing);
	tcase_add_test(tc, reload_warns);
	suite_add_tcase(s, tc);
	failed = h_run_suite(s);
	ns_cleanup();
	return failed;
}
