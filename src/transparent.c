/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "transparent.h"

#define TRANSPARENT_TABLES	64	/* tables with a local default route */

int
transparent_families(const struct conf *conf)
{
	size_t	i;
	int	f = 0;

	const struct pool_conf	*pc;
	size_t			 m, a;

	for (i = 0; i < conf->nroutes; i++) {
		if (!conf->routes[i].transparent)
			continue;
		/* Every address of the pool (names resolved by now). */
		pc = &conf->routes[i].pool;
		for (m = 0; m < pc->nmembers; m++)
			for (a = 0; a < pc->members[m].naddrs; a++)
				f |= pc->members[m].addrs[a].ss.ss_family ==
				    AF_INET ? TRANSPARENT_V4 : TRANSPARENT_V6;
	}
	return f;
}

/* Whether CAP_NET_ADMIN is in the effective set now. */
int
transparent_have_cap(void)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[2];

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) == -1)
		return 0;
	return (data[0].effective & (1U << CAP_NET_ADMIN)) != 0;
}

struct transparent_dump {
	uint32_t	table[TRANSPARENT_TABLES];
	size_t		ntables;
	int		found;
};

static uint32_t
transparent_table(struct nlmsghdr *nh, size_t hdrlen, uint32_t table)
{
	struct rtattr	*rta;
	int		 len;

	len = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(hdrlen);
	for (rta = (struct rtattr *)((char *)NLMSG_DATA(nh) +
	    NLMSG_ALIGN(hdrlen)); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == RTA_TABLE &&
		    RTA_PAYLOAD(rta) >= sizeof(uint32_t))
			memcpy(&table, RTA_DATA(rta), sizeof(table));
	return table;
}

/* Routes: remember the tables that hold a "local" default route. */
static void
transparent_route(struct nlmsghdr *nh, struct transparent_dump *t)
{
	struct rtmsg	*rtm = NLMSG_DATA(nh);
	uint32_t	 table;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)) ||
	    rtm->rtm_type != RTN_LOCAL || rtm->rtm_dst_len != 0)
		return;
	table = transparent_table(nh, sizeof(*rtm), rtm->rtm_table);
	if (t->ntables < TRANSPARENT_TABLES)
		t->table[t->ntables++] = table;
}

/* Rules: one that looks up such a table. */
static void
transparent_rule(struct nlmsghdr *nh, struct transparent_dump *t)
{
	struct fib_rule_hdr	*frh = NLMSG_DATA(nh);
	uint32_t		 table;
	size_t			 i;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*frh)) ||
	    frh->action != FR_ACT_TO_TBL)
		return;
	/* FRA_TABLE has the number of RTA_TABLE. */
	table = transparent_table(nh, sizeof(*frh), frh->table);
	for (i = 0; i < t->ntables; i++)
		if (t->table[i] == table)
			t->found = 1;
}

/* One netlink dump; -1 if it cannot be read. */
static int
transparent_dump(int fd, int type, int family, struct transparent_dump *t)
{
	struct {
		struct nlmsghdr	nh;
		struct rtmsg	rtm;
	}			 req;
	static char		 buf[16384];
	struct nlmsghdr		*nh;
	struct pollfd		 pfd = { fd, POLLIN, 0 };
	ssize_t			 n;
	int			 len;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.rtm));
	req.nh.nlmsg_type = (uint16_t)type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = (uint32_t)type;
	req.rtm.rtm_family = (unsigned char)family;
	if (send(fd, &req, req.nh.nlmsg_len, 0) == -1)
		return -1;
	for (;;) {
		/* The kernel answers at once; a second is plenty. */
		if (poll(&pfd, 1, 1000) != 1)
			return -1;
		if ((n = recv(fd, buf, sizeof(buf), 0)) <= 0)
			return -1;
		len = (int)n;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
		    nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nh->nlmsg_type == NLMSG_ERROR)
				return -1;
			if (type == RTM_GETROUTE)
				transparent_route(nh, t);
			else
				transparent_rule(nh, t);
		}
	}
}

/*
 * Whether policy routing delivers packets for foreign addresses of the
 * family locally: a rule that leads to a table with a local default
 * route. 1 yes, 0 no, -1 when netlink cannot tell.
 */
int
transparent_routing(int family)
{
	struct transparent_dump	t;
	int			fd, rc = -1;

	memset(&t, 0, sizeof(t));
	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) == -1)
		return -1;
	if (transparent_dump(fd, RTM_GETROUTE, family, &t) == 0 &&
	    transparent_dump(fd, RTM_GETRULE, family, &t) == 0)
		rc = t.found;
	close(fd);
	return rc;
}

/* Reports, through report, what transparent routes will lack. */
void
transparent_check(const struct conf *conf,
    void (*report)(const char *, void *), void *arg)
{
	char	msg[256];
	int	f = transparent_families(conf), i, rc;
	static const struct {
		int		 bit, family;
		const char	*name, *cmd;
	} fam[] = {
		{ TRANSPARENT_V4, AF_INET, "IPv4", "ip rule" },
		{ TRANSPARENT_V6, AF_INET6, "IPv6", "ip -6 rule" }
	};

	if (f == 0)
		return;
	if (!transparent_have_cap())
		report("transparent routes need CAP_NET_ADMIN, which udproxy "
		    "does not have: session sockets cannot bind client "
		    "addresses", arg);
	for (i = 0; i < 2; i++) {
		if (!(f & fam[i].bit))
			continue;
		if ((rc = transparent_routing(fam[i].family)) == 1)
			continue;
		snprintf(msg, sizeof(msg), rc == 0 ?
		    "transparent routes: no %s policy routing for replies: no "
		    "'%s' leads to a table with a local default route, so "
		    "replies addressed to clients are not delivered to udproxy "
		    "(see TRANSPARENT MODE in udproxy.conf(5))" :
		    "transparent routes: cannot read the %s policy routing "
		    "rules over netlink to check them ('%s')", fam[i].name,
		    fam[i].cmd);
		report(msg, arg);
	}
}
