/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

static const uint8_t v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* Strict decimal port: digits only, 1..65535, no sign, no spaces. */
static int
addr_parse_port(const char *s, uint16_t *port)
{
	unsigned long	v = 0;
	size_t		i;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int
addr_looks_numeric(const char *host)
{
	if (host[0] == '0' && (host[1] == 'x' || host[1] == 'X'))
		return 1;
	return strspn(host, "0123456789.") == strlen(host);
}

static int
addr_lookup(const char *host, int bracketed, int flags, uint16_t port,
    struct addr *a, char *err, size_t errlen)
{
	struct addrinfo		 hints, *res;
	struct sockaddr_in6	*sin6;
	struct in_addr		 v4;
	int			 rc;

	/*
	 * getaddrinfo takes inet_aton's shorthands ("127.1", "0x7f000001");
	 * an address that looks numeric must be a full dotted quad.
	 */
	if (!bracketed && addr_looks_numeric(host) &&
	    inet_pton(AF_INET, host, &v4) != 1) {
		snprintf(err, errlen, "invalid IP address '%s'", host);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_family = bracketed ? AF_INET6 : AF_UNSPEC;
	hints.ai_flags = AI_NUMERICSERV;
	if (bracketed || !(flags & ADDR_RESOLVE))
		hints.ai_flags |= AI_NUMERICHOST;
	if ((rc = getaddrinfo(host, "1", &hints, &res)) != 0) {
		if (hints.ai_flags & AI_NUMERICHOST)
			snprintf(err, errlen, "invalid %s address '%s'",
			    bracketed ? "IPv6" : "IP", host);
		else
			snprintf(err, errlen, "cannot resolve '%s': %s",
			    host, gai_strerror(rc));
		return -1;
	}
	if (res->ai_addrlen > sizeof(a->ss)) {
		freeaddrinfo(res);
		snprintf(err, errlen, "unsupported address '%s'", host);
		return -1;
	}
	memset(&a->ss, 0, sizeof(a->ss));
	memcpy(&a->ss, res->ai_addr, res->ai_addrlen);
	a->len = (socklen_t)res->ai_addrlen;
	freeaddrinfo(res);
	if (a->ss.ss_family == AF_INET) {
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
		return 0;
	}
	sin6 = (struct sockaddr_in6 *)&a->ss;
	sin6->sin6_port = htons(port);
	/*
	 * Only link-local addresses have a scope: they cannot be used
	 * without one, and a scope on any other would make two spellings of
	 * one address look different.
	 */
	if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr) ||
	    IN6_IS_ADDR_MC_LINKLOCAL(&sin6->sin6_addr)) {
		if (sin6->sin6_scope_id == 0) {
			snprintf(err, errlen, "link-local address '%s' needs "
			    "an interface, as in '[fe80::1%%eth0]:53'", host);
			return -1;
		}
	} else
		sin6->sin6_scope_id = 0;
	return 0;
}

/*
 * Parses "1.2.3.4:53", "[::1]:53", "[fe80::1%eth0]:53" and, with
 * ADDR_RESOLVE, "name:53". The port lives in the string because libconfig
 * 1.5 wraps out-of-range integers silently.
 */
static int
addr_split(const char *str, char *host, size_t hostmax, int *bracketedp,
    uint16_t *portp, char *err, size_t errlen)
{
	const char	*colon, *end;
	size_t		 hostlen;
	int		 bracketed = 0;

	if (str[0] == '[') {
		if ((end = strchr(str, ']')) == NULL) {
			snprintf(err, errlen, "missing ']' in '%s'", str);
			return -1;
		}
		if (end[1] != ':') {
			snprintf(err, errlen, "missing port in '%s'", str);
			return -1;
		}
		bracketed = 1;
		hostlen = (size_t)(end - str - 1);
		memcpy(host, str + 1, hostlen < hostmax ? hostlen : 0);
		colon = end + 1;
	} else {
		if ((colon = strrchr(str, ':')) == NULL) {
			snprintf(err, errlen, "missing port in '%s'", str);
			return -1;
		}
		if (memchr(str, ':', (size_t)(colon - str)) != NULL) {
			snprintf(err, errlen, "IPv6 address must be in "
			    "brackets, as in '[::1]:53': '%s'", str);
			return -1;
		}
		hostlen = (size_t)(colon - str);
		memcpy(host, str, hostlen < hostmax ? hostlen : 0);
	}
	if (hostlen == 0 || hostlen >= hostmax) {
		snprintf(err, errlen, "%s host in '%s'",
		    hostlen == 0 ? "missing" : "overlong", str);
		return -1;
	}
	host[hostlen] = '\0';
	if (addr_parse_port(colon + 1, portp) == -1) {
		snprintf(err, errlen, "invalid port '%s' (1-65535)", colon + 1);
		return -1;
	}
	*bracketedp = bracketed;
	return 0;
}

int
addr_parse(const char *str, int flags, struct addr *a, char *err,
    size_t errlen)
{
	char		 host[256];
	uint16_t	 port;
	int		 bracketed;

	if (addr_split(str, host, sizeof(host), &bracketed, &port, err,
	    errlen) == -1)
		return -1;
	return addr_lookup(host, bracketed, flags, port, a, err, errlen);
}

/* RFC 1123 host name syntax (plus '_', seen in service names). */
static int
addr_hostname_valid(const char *h)
{
	size_t	i, label = 0, len = strlen(h);

	if (len == 0 || len > 253 || h[0] == '.' || h[0] == '-')
		return 0;
	for (i = 0; i < len; i++) {
		char c = h[i];

		if (c == '.') {
			if (label == 0 || h[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return h[len - 1] != '-';
}

/*
 * Splits "name:port" without resolving: returns 1 with the name in host
 * (at least 254 bytes), 0 if str is a numeric address (parse it with
 * addr_parse), -1 with the reason in err.
 */
int
addr_parse_name(const char *str, char *host, size_t hostlen, uint16_t *port,
    char *err, size_t errlen)
{
	int	bracketed;

	if (addr_split(str, host, hostlen, &bracketed, port, err,
	    errlen) == -1)
		return -1;
	if (bracketed || addr_looks_numeric(host))
		return 0;
	if (!addr_hostname_valid(host)) {
		snprintf(err, errlen, "invalid host name '%s'", host);
		return -1;
	}
	return 1;
}

void
addr_key_make(struct addr_key *k, const struct sockaddr *sa)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)sa;
		k->family = AF_INET;
		k->port = sin->sin_port;
		memcpy(k->addr, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)sa;
		k->port = sin6->sin6_port;
		if (memcmp(&sin6->sin6_addr, v4mapped_prefix, 12) == 0) {
			k->family = AF_INET;
			memcpy(k->addr, sin6->sin6_addr.s6_addr + 12, 4);
		} else {
			k->family = AF_INET6;
			k->scope = sin6->sin6_scope_id;
			memcpy(k->addr, &sin6->sin6_addr, 16);
		}
	}
}

int
addr_key_equal(const struct addr_key *a, const struct addr_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

int
addr_equal(const struct addr *a, const struct addr *b)
{
	struct addr_key	ka, kb;

	addr_key_make(&ka, (const struct sockaddr *)&a->ss);
	addr_key_make(&kb, (const struct sockaddr *)&b->ss);
	return addr_key_equal(&ka, &kb);
}

int
addr_is_wildcard(const struct addr *a)
{
	struct addr_key	k;
	static const uint8_t zero[16];

	addr_key_make(&k, (const struct sockaddr *)&a->ss);
	return memcmp(k.addr, zero, sizeof(zero)) == 0;
}

int
addr_is_loopback(const struct addr *a)
{
	struct addr_key	k;

	addr_key_make(&k, (const struct sockaddr *)&a->ss);
	if (k.family == AF_INET)
		return k.addr[0] == 127;
	return IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)k.addr);
}

uint16_t
addr_port(const struct addr *a)
{
	struct addr_key	k;

	addr_key_make(&k, (const struct sockaddr *)&a->ss);
	return ntohs(k.port);
}

const char *
addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char				 host[INET6_ADDRSTRLEN];
	char				 ifname[IF_NAMESIZE];
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		if (sin6->sin6_scope_id != 0 &&
		    if_indextoname(sin6->sin6_scope_id, ifname) != NULL)
			snprintf(buf, len, "[%s%%%s]:%u", host, ifname,
			    ntohs(sin6->sin6_port));
		else
			snprintf(buf, len, "[%s]:%u", host,
			    ntohs(sin6->sin6_port));
	} else
		snprintf(buf, len, "(unknown family %d)", sa->sa_family);
	return buf;
}
