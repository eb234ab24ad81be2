/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * libFuzzer target for acl.c: the input is prefix strings, one a line
 * ("!" first puts it on the deny list). Whatever the list builds to, the
 * trie must decide every probed address as a linear scan of the parsed
 * rules does (longest match, a tie denies, no match allows unless there
 * is an allow list). The probes are the rules' own networks and the
 * input's last 16 bytes.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"

#define FUZZ_MAX	64

struct rule {
	struct acl_prefix	p;
	int			deny;
};

static int
covers(const struct acl_prefix *p, const struct addr_key *k)
{
	unsigned int	i;

	if (p->family != k->family)
		return 0;
	for (i = 0; i < p->len; i++)
		if (((p->addr[i / 8] ^ k->addr[i / 8]) >> (7 - i % 8)) & 1)
			return 0;
	return 1;
}

static enum acl_verdict
linear(const struct rule *r, size_t n, int has_allow, const struct addr_key *k)
{
	enum acl_verdict	v = has_allow ? ACL_DENY : ACL_ALLOW;
	int			best = -1;
	size_t			i;

	for (i = 0; i < n; i++) {
		if (!covers(&r[i].p, k))
			continue;
		if ((int)r[i].p.len > best) {
			best = (int)r[i].p.len;
			v = r[i].deny ? ACL_DENY : ACL_ALLOW;
		} else if ((int)r[i].p.len == best && r[i].deny)
			v = ACL_DENY;
	}
	return v;
}

static void
probe(const struct acl *acl, const struct rule *r, size_t n, int has_allow,
    int family, const uint8_t *addr)
{
	struct addr_key	k;

	memset(&k, 0, sizeof(k));
	k.family = (uint8_t)family;
	memcpy(k.addr, addr, family == AF_INET ? 4 : 16);
	if (acl_match(acl, &k) != linear(r, n, has_allow, &k))
		abort();
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 text[4096];
	const char		*allow[FUZZ_MAX], *deny[FUZZ_MAX];
	struct rule		 r[4 * FUZZ_MAX];	/* "all" is two */
	struct acl_prefix	 p[2];
	struct acl		*acl;
	char			 why[256], *line, *save;
	size_t			 na = 0, nd = 0, n = 0, i;
	uint8_t			 tail[16];
	int			 np, j, has_allow = 0;

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(tail, 0, sizeof(tail));
	memcpy(tail, data + (size > 16 ? size - 16 : 0), size > 16 ? 16 : size);
	for (line = strtok_r(text, "\n", &save); line != NULL &&
	    na < FUZZ_MAX && nd < FUZZ_MAX; line = strtok_r(NULL, "\n",
	    &save)) {
		if (line[0] == '!')
			deny[nd++] = line + 1;
		else
			allow[na++] = line;
	}
	acl = acl_new(allow, na, deny, nd, why, sizeof(why), NULL, NULL);
	if (acl == NULL)
		return 0;
	for (i = 0; i < na + nd; i++) {
		np = acl_prefix_parse(i < na ? allow[i] : deny[i - na], p, why,
		    sizeof(why));
		if (np < 0)
			abort();		/* acl_new accepted it */
		for (j = 0; j < np; j++) {
			r[n].p = p[j];
			r[n++].deny = i >= na;
		}
		if (i < na)
			has_allow = 1;
	}
	for (i = 0; i < n; i++)
		probe(acl, r, n, has_allow, r[i].p.family, r[i].p.addr);
	probe(acl, r, n, has_allow, AF_INET, tail);
	probe(acl, r, n, has_allow, AF_INET6, tail);
	acl_free(acl);
	return 0;
}
