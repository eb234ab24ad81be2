/*
 * Access lists: an allow list and a deny list of address prefixes, looked
 * up in O(prefix length) in a binary trie per family (one bit per level,
 * nodes in one array built at load time). The longest matching prefix
 * decides; a prefix in both lists denies; an address matching nothing is
 * allowed unless an allow list exists. IPv4-mapped IPv6 addresses and
 * prefixes are folded to IPv4, as struct addr_key folds them. Pure: no
 * sockets, no events; immutable once built, so it lives in struct conf.
 */
#ifndef UDPROXY_ACL_H
#define UDPROXY_ACL_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

enum acl_verdict {
	ACL_ALLOW,
	ACL_DENY
};

/* A parsed prefix: family AF_INET or AF_INET6, host bits zero. */
struct acl_prefix {
	int		 family;
	unsigned int	 len;
	uint8_t		 addr[16];
};

struct acl;

/*
 * "192.0.2.0/24", "2001:db8::/32", "192.0.2.1" (a host), "all" (both
 * 0.0.0.0/0 and ::/0). Returns the number of prefixes written to out
 * (1, or 2 for "all"), or -1 with a reason in why.
 */
int		 acl_prefix_parse(const char *, struct acl_prefix out[2],
		    char *why, size_t);
/*
 * Builds an access list from prefix strings; either list may be empty.
 * NULL with "'STRING': reason" in why, and *bad set to the failing index
 * in its list (and *bad_deny to whether it was the deny list).
 */
struct acl	*acl_new(const char *const *allow, size_t nallow,
		    const char *const *deny, size_t ndeny, char *why,
		    size_t, size_t *bad, int *bad_deny);
void		 acl_free(struct acl *);
enum acl_verdict acl_match(const struct acl *, const struct addr_key *);
enum acl_verdict acl_match_sa(const struct acl *, const struct sockaddr *);
/* Whether the two lists decide every address the same way (same rules). */
int		 acl_equal(const struct acl *, const struct acl *);
size_t		 acl_nodes(const struct acl *);

#endif
