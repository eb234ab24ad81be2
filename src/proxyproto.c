/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <netinet/in.h>
#include <string.h>

#include "proxyproto.h"

static const uint8_t	proxyproto_sig[PROXYPROTO_SIG_LEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* CRC32c (Castagnoli, reflected 0x82f63b78), as RFC 4960 appendix B. */
static const uint32_t	proxyproto_crctab[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4,
	0xc79a971f, 0x35f1141c, 0x26a1e7e8, 0xd4ca64eb,
	0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24,
	0x105ec76f, 0xe235446c, 0xf165b798, 0x030e349b,
	0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54,
	0x5d1d08bf, 0xaf768bbc, 0xbc267848, 0x4e4dfb4b,
	0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35,
	0xaa64d611, 0x580f5512, 0x4b5fa6e6, 0xb93425e5,
	0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45,
	0xf779deae, 0x05125dad, 0x1642ae59, 0xe4292d5a,
	0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595,
	0x417b1dbc, 0xb3109ebf, 0xa0406d4b, 0x522bee48,
	0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687,
	0x0c38d26c, 0xfe53516f, 0xed03a29b, 0x1f682198,
	0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38,
	0xdbfc821c, 0x2997011f, 0x3ac7f2eb, 0xc8ac71e8,
	0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096,
	0xa65c047d, 0x5437877e, 0x4767748a, 0xb50cf789,
	0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46,
	0x7198540d, 0x83f3d70e, 0x90a324fa, 0x62c8a7f9,
	0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36,
	0x3cdb9bdd, 0xceb018de, 0xdde0eb2a, 0x2f8b6829,
	0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93,
	0x082f63b7, 0xfa44e0b4, 0xe9141340, 0x1b7f9043,
	0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3,
	0x55326b08, 0xa759e80b, 0xb4091bff, 0x466298fc,
	0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033,
	0xa24bb5a6, 0x502036a5, 0x4370c551, 0xb11b4652,
	0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d,
	0xef087a76, 0x1d63f975, 0x0e330a81, 0xfc588982,
	0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622,
	0x38cc2a06, 0xcaa7a905, 0xd9f75af1, 0x2b9cd9f2,
	0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530,
	0x0417b1db, 0xf67c32d8, 0xe52cc12c, 0x1747422f,
	0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0,
	0xd3d3e1ab, 0x21b862a8, 0x32e8915c, 0xc083125f,
	0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90,
	0x9e902e7b, 0x6cfbad78, 0x7fab5e8c, 0x8dc0dd8f,
	0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1,
	0x69e9f0d5, 0x9b8273d6, 0x88d28022, 0x7ab90321,
	0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81,
	0x34f4f86a, 0xc69f7b69, 0xd5cf889d, 0x27a40b9e,
	0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

/* Continues a CRC32c: start with crc 0; the value is the final CRC. */
uint32_t
proxyproto_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t	*p = buf;

	crc = ~crc;
	while (len-- > 0)
		crc = proxyproto_crctab[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void
proxyproto_put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned int
proxyproto_get16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static uint32_t
proxyproto_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * One address as 16 IPv6 bytes (IPv4 mapped) and as 4 IPv4 bytes when it
 * is IPv4 or IPv4-mapped; returns whether it is one of those.
 */
static int
proxyproto_split(const struct sockaddr_storage *ss, uint8_t v6[16],
    uint8_t v4[4], uint16_t *port)
{
	static const uint8_t	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET) {
		memcpy(v4, &sin->sin_addr, 4);
		memcpy(v6, mapped, 12);
		memcpy(v6 + 12, v4, 4);
		*port = sin->sin_port;
		return 1;
	}
	memcpy(v6, &sin6->sin6_addr, 16);
	memcpy(v4, v6 + 12, 4);
	*port = sin6->sin6_port;
	return memcmp(v6, mapped, 12) == 0;
}

/*
 * Writes h as a v2 header into buf: a PROXY command over h->transport
 * with h->src and h->dst (both IPv4 or IPv4-mapped: the IPv4 family;
 * otherwise IPv6, with an IPv4 address mapped), or a LOCAL command with
 * no addresses; then the authority TLV if set, then a CRC32c TLV if
 * h->crc32c. Returns the header's length, or -1 if it does not fit in
 * size bytes or h is not something a sender may emit.
 */
ssize_t
proxyproto_encode(void *buf, size_t size, const struct proxyproto *h)
{
	uint8_t		*b = buf, s6[16], d6[16], s4[4], d4[4];
	uint16_t	 sport, dport;
	size_t		 n = PROXYPROTO_HDR_LEN, crc_at = 0;
	int		 v4;
	uint32_t	 crc;

	if (size < PROXYPROTO_HDR_LEN)
		return -1;
	memcpy(b, proxyproto_sig, sizeof(proxyproto_sig));
	if (h->cmd == PROXYPROTO_CMD_LOCAL) {
		b[12] = 0x20 | PROXYPROTO_CMD_LOCAL;
		b[13] = 0x00;
	} else if (h->cmd == PROXYPROTO_CMD_PROXY) {
		if ((h->src.ss_family != AF_INET &&
		    h->src.ss_family != AF_INET6) ||
		    (h->dst.ss_family != AF_INET &&
		    h->dst.ss_family != AF_INET6) ||
		    (h->transport != PROXYPROTO_STREAM &&
		    h->transport != PROXYPROTO_DGRAM))
			return -1;
		v4 = proxyproto_split(&h->src, s6, s4, &sport) &
		    proxyproto_split(&h->dst, d6, d4, &dport);
		b[12] = 0x20 | PROXYPROTO_CMD_PROXY;
		if (v4) {
			if (size < n + PROXYPROTO_V4_LEN)
				return -1;
			b[13] = (uint8_t)(0x10 | h->transport);
			memcpy(b + n, s4, 4);
			memcpy(b + n + 4, d4, 4);
			memcpy(b + n + 8, &sport, 2);
			memcpy(b + n + 10, &dport, 2);
			n += PROXYPROTO_V4_LEN;
		} else {
			if (size < n + PROXYPROTO_V6_LEN)
				return -1;
			b[13] = (uint8_t)(0x20 | h->transport);
			memcpy(b + n, s6, 16);
			memcpy(b + n + 16, d6, 16);
			memcpy(b + n + 32, &sport, 2);
			memcpy(b + n + 34, &dport, 2);
			n += PROXYPROTO_V6_LEN;
		}
	} else
		return -1;
	if (h->authority != NULL) {
		if (h->authority_len == 0 ||
		    h->authority_len > PROXYPROTO_AUTHORITY_MAX ||
		    size - n < 3 + h->authority_len)
			return -1;
		b[n] = PP2_TYPE_AUTHORITY;
		proxyproto_put16(b + n + 1, (unsigned int)h->authority_len);
		memcpy(b + n + 3, h->authority, h->authority_len);
		n += 3 + h->authority_len;
	}
	if (h->crc32c) {
		if (size - n < 7)
			return -1;
		b[n] = PP2_TYPE_CRC32C;
		proxyproto_put16(b + n + 1, 4);
		crc_at = n + 3;
		memset(b + crc_at, 0, 4);
		n += 7;
	}
	proxyproto_put16(b + 14, (unsigned int)(n - PROXYPROTO_HDR_LEN));
	if (h->crc32c) {
		crc = proxyproto_crc32c(0, b, n);
		b[crc_at] = (uint8_t)(crc >> 24);
		b[crc_at + 1] = (uint8_t)(crc >> 16);
		b[crc_at + 2] = (uint8_t)(crc >> 8);
		b[crc_at + 3] = (uint8_t)crc;
	}
	return (ssize_t)n;
}

/* Whether buf starts with the 12-byte v2 signature. */
int
proxyproto_has_sig(const void *buf, size_t len)
{
	return len >= PROXYPROTO_SIG_LEN &&
	    memcmp(buf, proxyproto_sig, PROXYPROTO_SIG_LEN) == 0;
}

/* The sub-TLVs of a PP2_TYPE_SSL value must tile it exactly. */
static int
proxyproto_ssl_valid(const uint8_t *v, size_t len)
{
	size_t	i, tl;

	if (len < 5)
		return PROXYPROTO_ETLVLEN;
	for (i = 5; i < len; i += 3 + tl) {
		if (len - i < 3)
			return PROXYPROTO_ETLV;
		tl = proxyproto_get16(v + i + 1);
		if (len - i - 3 < tl)
			return PROXYPROTO_ETLV;
	}
	return PROXYPROTO_OK;
}

/* TLVs in b[start, end): each must fit, the known ones be well formed. */
static int
proxyproto_tlvs(const uint8_t *b, size_t start, size_t end,
    struct proxyproto *h)
{
	size_t		i, tl, crc_at = 0;
	uint32_t	crc;
	static const uint8_t	zero[4];
	int		rc;

	for (i = start; i < end; i += 3 + tl) {
		if (end - i < 3)
			return PROXYPROTO_ETLV;
		tl = proxyproto_get16(b + i + 1);
		if (end - i - 3 < tl)
			return PROXYPROTO_ETLV;
		switch (b[i]) {
		case PP2_TYPE_AUTHORITY:
			if (h->authority != NULL)
				return PROXYPROTO_EDUP;
			h->authority = b + i + 3;
			h->authority_len = tl;
			break;
		case PP2_TYPE_CRC32C:
			if (tl != 4)
				return PROXYPROTO_ETLVLEN;
			if (crc_at != 0)
				return PROXYPROTO_EDUP;
			crc_at = i + 3;
			break;
		case PP2_TYPE_UNIQUE_ID:
			if (tl > PROXYPROTO_UNIQUE_ID_MAX)
				return PROXYPROTO_ETLVLEN;
			if (h->unique_id != NULL)
				return PROXYPROTO_EDUP;
			h->unique_id = b + i + 3;
			h->unique_id_len = tl;
			break;
		case PP2_TYPE_SSL:
			if ((rc = proxyproto_ssl_valid(b + i + 3, tl)) != 0)
				return rc;
			break;
		default:
			/* NOOP, ALPN, NETNS, custom: skipped. */
			break;
		}
	}
	if (crc_at != 0) {
		crc = proxyproto_crc32c(0, b, crc_at);
		crc = proxyproto_crc32c(crc, zero, 4);
		crc = proxyproto_crc32c(crc, b + crc_at + 4,
		    end - crc_at - 4);
		if (crc != proxyproto_get32(b + crc_at))
			return PROXYPROTO_ECRC;
		h->crc32c = 1;
	}
	return PROXYPROTO_OK;
}

/*
 * Decodes the header at the start of a datagram of len bytes. Returns 0
 * with h filled (h->len is where the payload starts) or a negative
 * enum proxyproto_error. The whole header must lie in the datagram: a
 * datagram cannot carry the rest later.
 */
int
proxyproto_decode(const void *buf, size_t len, struct proxyproto *h)
{
	const uint8_t		*b = buf;
	struct sockaddr_in	*s4, *d4;
	struct sockaddr_in6	*s6, *d6;
	size_t			 alen, block;

	memset(h, 0, sizeof(*h));
	if (memcmp(b, proxyproto_sig, len < PROXYPROTO_SIG_LEN ? len :
	    PROXYPROTO_SIG_LEN) != 0)
		return PROXYPROTO_ESIG;
	if (len < PROXYPROTO_HDR_LEN)
		return PROXYPROTO_ESHORT;
	if ((b[12] >> 4) != 2)
		return PROXYPROTO_EVERSION;
	h->cmd = b[12] & 0x0f;
	if (h->cmd != PROXYPROTO_CMD_LOCAL && h->cmd != PROXYPROTO_CMD_PROXY)
		return PROXYPROTO_ECMD;
	h->transport = b[13] & 0x0f;
	switch (b[13]) {
	case 0x00:
		h->family = AF_UNSPEC;
		block = 0;
		break;
	case 0x11:
	case 0x12:
		h->family = AF_INET;
		block = PROXYPROTO_V4_LEN;
		break;
	case 0x21:
	case 0x22:
		h->family = AF_INET6;
		block = PROXYPROTO_V6_LEN;
		break;
	case 0x31:
	case 0x32:
		h->family = AF_UNIX;
		block = PROXYPROTO_UNIX_LEN;
		break;
	default:
		return PROXYPROTO_EFAMILY;
	}
	alen = proxyproto_get16(b + 14);
	if (len - PROXYPROTO_HDR_LEN < alen)
		return PROXYPROTO_ETRUNC;
	h->len = PROXYPROTO_HDR_LEN + alen;
	if (alen < block) {
		/* A LOCAL command need not carry the addresses it names. */
		if (h->cmd == PROXYPROTO_CMD_LOCAL)
			return PROXYPROTO_OK;
		return PROXYPROTO_EADDRLEN;
	}
	if (h->cmd == PROXYPROTO_CMD_PROXY && h->family == AF_INET) {
		s4 = (struct sockaddr_in *)&h->src;
		d4 = (struct sockaddr_in *)&h->dst;
		s4->sin_family = d4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, b + 16, 4);
		memcpy(&d4->sin_addr, b + 20, 4);
		memcpy(&s4->sin_port, b + 24, 2);
		memcpy(&d4->sin_port, b + 26, 2);
	} else if (h->cmd == PROXYPROTO_CMD_PROXY &&
	    h->family == AF_INET6) {
		s6 = (struct sockaddr_in6 *)&h->src;
		d6 = (struct sockaddr_in6 *)&h->dst;
		s6->sin6_family = d6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, b + 16, 16);
		memcpy(&d6->sin6_addr, b + 32, 16);
		memcpy(&s6->sin6_port, b + 48, 2);
		memcpy(&d6->sin6_port, b + 50, 2);
	}
	return proxyproto_tlvs(b, PROXYPROTO_HDR_LEN + block, h->len, h);
}

const char *
proxyproto_strerror(int e)
{
	switch (e) {
	case PROXYPROTO_OK:
		return "valid";
	case PROXYPROTO_ESHORT:
		return "shorter than a header";
	case PROXYPROTO_ESIG:
		return "no PROXY v2 signature";
	case PROXYPROTO_EVERSION:
		return "version is not 2";
	case PROXYPROTO_ECMD:
		return "unknown command";
	case PROXYPROTO_EFAMILY:
		return "unknown address family or transport";
	case PROXYPROTO_ETRUNC:
		return "header length runs past the datagram";
	case PROXYPROTO_EADDRLEN:
		return "header length shorter than its addresses";
	case PROXYPROTO_ETLV:
		return "TLV runs past the header";
	case PROXYPROTO_ETLVLEN:
		return "TLV of the wrong length";
	case PROXYPROTO_ECRC:
		return "CRC32c mismatch";
	case PROXYPROTO_EDUP:
		return "repeated TLV";
	default:
		return "invalid";
	}
}
