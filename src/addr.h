/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Socket addresses: parsing "host:port" strings from the config, canonical
 * fixed-size keys for hashing and comparing, and formatting for logs.
 * Pure: no sockets, no events.
 */
#ifndef UDPROXY_ADDR_H
#define UDPROXY_ADDR_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

/* "[" + address + "%" + interface + "]:" + port + NUL */
#define ADDR_STRLEN	(INET6_ADDRSTRLEN + IF_NAMESIZE + 10)

/*
 * Canonical form of an address: built zeroed, IPv4-mapped IPv6 folded to
 * IPv4, so two keys are equal exactly when memcmp says so.
 */
struct addr_key {
	uint8_t		 family;
	uint8_t		 pad;
	uint16_t	 port;		/* network byte order */
	uint32_t	 scope;
	uint8_t		 addr[16];
};

struct addr {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
};

#define ADDR_NUMERIC	0x0	/* only numeric hosts (listeners) */
#define ADDR_RESOLVE	0x1	/* hostnames allowed, resolved now */

int		 addr_parse(const char *, int, struct addr *, char *, size_t);
int		 addr_parse_name(const char *, char *, size_t, uint16_t *,
		    char *, size_t);
void		 addr_key_make(struct addr_key *, const struct sockaddr *);
int		 addr_key_equal(const struct addr_key *, const struct addr_key *);
int		 addr_equal(const struct addr *, const struct addr *);
int		 addr_is_wildcard(const struct addr *);
int		 addr_is_loopback(const struct addr *);
uint16_t	 addr_port(const struct addr *);
const char	*addr_format(const struct sockaddr *, char *, size_t);

#endif
