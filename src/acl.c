#include "autoconf.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <endian.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "xmalloc.h"

#define ACL_F_ALLOW	0x1
#define ACL_F_DENY	0x2
#define ACL_ROOT4	0
#define ACL_ROOT6	1

struct acl_node {
	uint32_t	 child[2];	/* 0: none (0 and 1 are roots) */
	uint32_t	 flags;
};

struct acl_rule {
	struct acl_prefix	 p;
	int			 deny;
};

struct acl {
	struct acl_node	*node;
	size_t		 nnodes;
	int		 has_allow;
	struct acl_rule	*rule;		/* sorted, unique (acl_equal) */
	size_t		 nrules;
};

static const uint8_t	acl_v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static int
acl_bit(const uint8_t *a, unsigned int i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

static int
acl_host_bits_clear(const struct acl_prefix *p)
{
	unsigned int	i, max = p->family == AF_INET ? 32 : 128;

	for (i = p->len; i < max; i++)
		if (acl_bit(p->addr, i))
			return 0;
	return 1;
}

int
acl_prefix_parse(const char *s, struct acl_prefix out[2], char *why,
    size_t whylen)
{
	char		 host[INET6_ADDRSTRLEN + 1];
	const char	*slash, *d;
	struct acl_prefix *p = &out[0];
	size_t		 hlen;
	unsigned long	 len = 0;
	unsigned int	 max;

	memset(out, 0, 2 * sizeof(*out));
	if (strcmp(s, "all") == 0) {
		out[0].family = AF_INET;
		out[1].family = AF_INET6;
		return 2;
	}
	slash = strchr(s, '/');
	hlen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (hlen == 0 || hlen >= sizeof(host)) {
		snprintf(why, whylen, "not an address prefix");
		return -1;
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, p->addr) == 1) {
		p->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, p->addr) == 1) {
		p->family = AF_INET6;
		max = 128;
	} else {
		snprintf(why, whylen, "not an IPv4 or IPv6 address%s",
		    strchr(host, '%') != NULL ? " (no scope in a prefix)" : "");
		return -1;
	}
	if (slash == NULL)
		len = max;
	else {
		d = slash + 1;
		if (*d == '\0' || strlen(d) > 3) {
			snprintf(why, whylen, "bad prefix length");
			return -1;
		}
		for (; *d != '\0'; d++) {
			if (*d < '0' || *d > '9') {
				snprintf(why, whylen, "bad prefix length");
				return -1;
			}
			len = len * 10 + (unsigned long)(*d - '0');
		}
		if (len > max) {
			snprintf(why, whylen, "prefix length %lu is over %u",
			    len, max);
			return -1;
		}
	}
	p->len = (unsigned int)len;
	if (!acl_host_bits_clear(p)) {
		snprintf(why, whylen, "bits set after the first %u: not a "
		    "network address", p->len);
		return -1;
	}
	/* ::ffff:a.b.c.d/n (n >= 96) is an IPv4 prefix, as clients are. */
	if (p->family == AF_INET6 && p->len >= 96 &&
	    memcmp(p->addr, acl_v4mapped, sizeof(acl_v4mapped)) == 0) {
		p->family = AF_INET;
		p->len -= 96;
		memmove(p->addr, p->addr + 12, 4);
		memset(p->addr + 4, 0, 12);
	}
	return 1;
}

static void
acl_insert(struct acl *acl, const struct acl_prefix *p, int deny)
{
	uint32_t	n = p->family == AF_INET ? ACL_ROOT4 : ACL_ROOT6;
	unsigned int	i;
	int		b;

	for (i = 0; i < p->len; i++) {
		b = acl_bit(p->addr, i);
		if (acl->node[n].child[b] == 0) {
			acl->node[acl->nnodes].child[0] = 0;
			acl->node[acl->nnodes].child[1] = 0;
			acl->node[acl->nnodes].flags = 0;
			acl->node[n].child[b] = (uint32_t)acl->nnodes++;
		}
		n = acl->node[n].child[b];
	}
	acl->node[n].flags |= deny ? ACL_F_DENY : ACL_F_ALLOW;
}

static int
acl_rule_cmp(const void *x, const void *y)
{
	const struct acl_rule	*a = x, *b = y;

	if (a->p.family != b->p.family)
		return a->p.family < b->p.family ? -1 : 1;
	if (a->p.len != b->p.len)
		return a->p.len < b->p.len ? -1 : 1;
	if (memcmp(a->p.addr, b->p.addr, 16) != 0)
		return memcmp(a->p.addr, b->p.addr, 16);
	return a->deny - b->deny;
}

struct acl *
acl_new(const char *const *allow, size_t nallow, const char *const *deny,
    size_t ndeny, char *why, size_t whylen, size_t *bad, int *bad_deny)
{
	struct acl		*acl;
	struct acl_prefix	 p[2];
	char			 reason[128];
	size_t			 i, j, k, bits = 2, n = nallow + ndeny;
	int			 np, isdeny;
	const char		*str;

	acl = xcalloc(1, sizeof(*acl));
	acl->rule = xcalloc(2 * n + 1, sizeof(*acl->rule));
	for (k = 0; k < n; k++) {
		isdeny = k >= nallow;
		i = isdeny ? k - nallow : k;
		str = isdeny ? deny[i] : allow[i];
		if ((np = acl_prefix_parse(str, p, reason,
		    sizeof(reason))) == -1) {
			snprintf(why, whylen, "'%s': %s", str, reason);
			if (bad != NULL)
				*bad = i;
			if (bad_deny != NULL)
				*bad_deny = isdeny;
			acl_free(acl);
			return NULL;
		}
		for (j = 0; j < (size_t)np; j++) {
			acl->rule[acl->nrules].p = p[j];
			acl->rule[acl->nrules++].deny = isdeny;
			bits += p[j].len;
		}
		if (!isdeny)
			acl->has_allow = 1;
	}
	qsort(acl->rule, acl->nrules, sizeof(*acl->rule), acl_rule_cmp);
	for (i = j = 0; i < acl->nrules; i++)
		if (j == 0 || acl_rule_cmp(&acl->rule[j - 1],
		    &acl->rule[i]) != 0)
			acl->rule[j++] = acl->rule[i];
	acl->nrules = j;
	/* At most one new node per prefix bit, plus the two roots. */
	acl->node = xcalloc(bits, sizeof(*acl->node));
	acl->nnodes = 2;
	for (i = 0; i < acl->nrules; i++)
		acl_insert(acl, &acl->rule[i].p, acl->rule[i].deny);
	return acl;
}

void
acl_free(struct acl *acl)
{
	if (acl == NULL)
		return;
	free(acl->node);
	free(acl->rule);
	free(acl);
}

/* Walks the address's bits; the deepest node with rules decides. */
enum acl_verdict
acl_match(const struct acl *acl, const struct addr_key *k)
{
	const struct acl_node	*node = acl->node;
	enum acl_verdict	 v = acl->has_allow ? ACL_DENY : ACL_ALLOW;
	unsigned int		 i, max;
	uint64_t		 w[2];
	uint32_t		 n;

	if (k->family == AF_INET) {
		n = ACL_ROOT4;
		max = 32;
	} else if (k->family == AF_INET6) {
		n = ACL_ROOT6;
		max = 128;
	} else
		return ACL_DENY;
	/* The address as two host-order words: one shift per bit. */
	memcpy(w, k->addr, sizeof(w));
	w[0] = be64toh(w[0]);
	w[1] = be64toh(w[1]);
	for (i = 0;; i++) {
		if (node[n].flags != 0)
			v = node[n].flags & ACL_F_DENY ? ACL_DENY : ACL_ALLOW;
		if (i == max || (n = node[n].child[(w[i >> 6] >>
		    (63 - (i & 63))) & 1]) == 0)
			break;
	}
	return v;
}

enum acl_verdict
acl_match_sa(const struct acl *acl, const struct sockaddr *sa)
{
	struct addr_key	k;

	addr_key_make(&k, sa);
	return acl_match(acl, &k);
}

int
acl_equal(const struct acl *a, const struct acl *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return a->has_allow == b->has_allow && a->nrules == b->nrules &&
	    (a->nrules == 0 || memcmp(a->rule, b->rule,
	    a->nrules * sizeof(*a->rule)) == 0);
}

size_t
acl_nodes(const struct acl *acl)
{
	return acl->nnodes;
}
