/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * libFuzzer harness for the PROXY v2 decoder: any datagram is either
 * refused with a known error or decoded to a header that lies inside it;
 * a decoded PROXY header with addresses re-encodes and decodes to the
 * same addresses. Build and run with "make fuzz" (clang).
 */
#include "autoconf.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxyproto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Whether v6 is ::ffff:a.b.c.d with v4's address and port. */
static int
fuzz_mapped(const struct sockaddr_storage *v6,
    const struct sockaddr_storage *v4)
{
	static const uint8_t		 prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0xff, 0xff };
	const struct sockaddr_in6	*a = (const struct sockaddr_in6 *)v6;
	const struct sockaddr_in	*b = (const struct sockaddr_in *)v4;

	return memcmp(a->sin6_addr.s6_addr, prefix, 12) == 0 &&
	    memcmp(a->sin6_addr.s6_addr + 12, &b->sin_addr, 4) == 0 &&
	    a->sin6_port == b->sin_port;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxyproto	h, again;
	uint8_t			buf[PROXYPROTO_SEND_MAX];
	ssize_t			n;
	int			rc;

	rc = proxyproto_decode(data, size, &h);
	if (rc < PROXYPROTO_EDUP || rc > 0)
		abort();
	if (rc != 0)
		return 0;
	if (h.len < PROXYPROTO_HDR_LEN || h.len > size)
		abort();
	if (h.authority != NULL && (h.authority < data ||
	    h.authority + h.authority_len > data + h.len))
		abort();
	if (h.unique_id != NULL && (h.unique_id < data ||
	    h.unique_id + h.unique_id_len > data + h.len))
		abort();
	if (h.src.ss_family == AF_UNSPEC)
		return 0;
	h.authority = NULL;
	h.crc32c = 1;
	if ((n = proxyproto_encode(buf, sizeof(buf), &h)) == -1)
		abort();
	if (proxyproto_decode(buf, (size_t)n, &again) != 0 ||
	    again.crc32c != 1)
		abort();
	/* An IPv6 pair that is all IPv4-mapped is sent on as IPv4. */
	if (h.family == AF_INET6 && again.family == AF_INET) {
		if (!fuzz_mapped(&h.src, &again.src) ||
		    !fuzz_mapped(&h.dst, &again.dst))
			abort();
		return 0;
	}
	if (again.family != h.family ||
	    memcmp(&again.src, &h.src, sizeof(h.src)) != 0 ||
	    memcmp(&again.dst, &h.dst, sizeof(h.dst)) != 0)
		abort();
	return 0;
}
