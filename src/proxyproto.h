/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * PROXY protocol version 2 (haproxy's doc/proxy-protocol.txt): encoding
 * the binary header a datagram to an upstream starts with, and decoding
 * one at the start of a datagram from a trusted sender. Version 1 (text)
 * is not spoken. Pure: no sockets, no events, no allocation; decoding
 * reads at most the header's own length and never past the buffer.
 */
#ifndef UDPROXY_PROXYPROTO_H
#define UDPROXY_PROXYPROTO_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#define PROXYPROTO_SIG_LEN	12
#define PROXYPROTO_HDR_LEN	16	/* signature, ver_cmd, fam, len */
#define PROXYPROTO_V4_LEN	12	/* 2 * 4 address + 2 * 2 port */
#define PROXYPROTO_V6_LEN	36	/* 2 * 16 address + 2 * 2 port */
#define PROXYPROTO_UNIX_LEN	216	/* 2 * 108 */
#define PROXYPROTO_UNIQUE_ID_MAX 128
#define PROXYPROTO_AUTHORITY_MAX 255	/* what udproxy sends, at most */
/* The largest header udproxy builds: v6, authority, CRC32c. */
#define PROXYPROTO_SEND_MAX	(PROXYPROTO_HDR_LEN + PROXYPROTO_V6_LEN + \
				 3 + PROXYPROTO_AUTHORITY_MAX + 3 + 4)

/* Command, the low nibble of the 13th byte. */
#define PROXYPROTO_CMD_LOCAL	0x0
#define PROXYPROTO_CMD_PROXY	0x1

/* Transport, the low nibble of the 14th byte. */
#define PROXYPROTO_UNSPEC	0x0
#define PROXYPROTO_STREAM	0x1
#define PROXYPROTO_DGRAM	0x2

/* TLV types (section 2.2). */
#define PP2_TYPE_ALPN		0x01
#define PP2_TYPE_AUTHORITY	0x02
#define PP2_TYPE_CRC32C		0x03
#define PP2_TYPE_NOOP		0x04
#define PP2_TYPE_UNIQUE_ID	0x05
#define PP2_TYPE_SSL		0x20
#define PP2_TYPE_NETNS		0x30

/* Why a buffer is not a valid header; proxyproto_strerror words them. */
enum proxyproto_error {
	PROXYPROTO_OK = 0,
	PROXYPROTO_ESHORT = -1,		/* fewer than 16 bytes */
	PROXYPROTO_ESIG = -2,		/* no v2 signature */
	PROXYPROTO_EVERSION = -3,	/* version is not 2 */
	PROXYPROTO_ECMD = -4,		/* command neither LOCAL nor PROXY */
	PROXYPROTO_EFAMILY = -5,	/* unknown family/transport byte */
	PROXYPROTO_ETRUNC = -6,		/* len runs past the datagram */
	PROXYPROTO_EADDRLEN = -7,	/* len shorter than the addresses */
	PROXYPROTO_ETLV = -8,		/* a TLV runs past the header */
	PROXYPROTO_ETLVLEN = -9,	/* a TLV with a wrong fixed length */
	PROXYPROTO_ECRC = -10,		/* CRC32c mismatch */
	PROXYPROTO_EDUP = -11		/* a TLV that may appear once, twice */
};

/*
 * A header. Decoding fills it; encoding reads cmd, transport, src, dst,
 * authority and crc32c. Decoded addresses are set (family AF_INET or
 * AF_INET6) only when the header carries usable ones: a PROXY command
 * with TCP or UDP over IPv4 or IPv6. For LOCAL, AF_UNSPEC and AF_UNIX
 * headers src.ss_family is AF_UNSPEC: the receiver uses the real
 * endpoints, as the spec asks. Decoded TLV pointers point into the input.
 */
struct proxyproto {
	int			 cmd;
	int			 family;	/* AF_UNSPEC/INET/INET6/UNIX */
	int			 transport;
	struct sockaddr_storage	 src;
	struct sockaddr_storage	 dst;
	const uint8_t		*authority;	/* not NUL-terminated */
	size_t			 authority_len;
	const uint8_t		*unique_id;
	size_t			 unique_id_len;
	int			 crc32c;	/* present (and verified) */
	size_t			 len;		/* bytes of the whole header */
};

ssize_t		 proxyproto_encode(void *, size_t, const struct proxyproto *);
int		 proxyproto_decode(const void *, size_t, struct proxyproto *);
int		 proxyproto_has_sig(const void *, size_t);
const char	*proxyproto_strerror(int);
uint32_t	 proxyproto_crc32c(uint32_t, const void *, size_t);

#endif
