/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Unit tests for proxyproto.c: the v2 header encoder and decoder byte for
 * byte against the layout of haproxy's doc/proxy-protocol.txt (IPv4, IPv6,
 * LOCAL, TCP and UDP, AF_UNSPEC and AF_UNIX fallbacks, TLVs, CRC32c), and
 * every malformed length, truncation and field value rejected.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "proxyproto.h"

#define SIG	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, \
		0x54, 0x0a

static void
set4(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
}

static void
set6(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
}

static void
check_bytes(const uint8_t *got, size_t gotlen, const uint8_t *want,
    size_t wantlen)
{
	size_t	i;

	ck_assert_uint_eq(gotlen, wantlen);
	for (i = 0; i < wantlen; i++)
		ck_assert_msg(got[i] == want[i], "byte %zu: 0x%02x, want "
		    "0x%02x", i, got[i], want[i]);
}

static const uint8_t	udp4[] = {
	SIG, 0x21, 0x12, 0x00, 0x0c,
	192, 0, 2, 1,			/* source */
	198, 51, 100, 2,		/* destination */
	0x04, 0xd2,			/* 1234 */
	0x00, 0x35			/* 53 */
};

START_TEST(test_crc32c_vector)
{
	/* RFC 3720 B.4 / the usual check value of "123456789". */
	ck_assert_uint_eq(proxyproto_crc32c(0, "123456789", 9), 0xe3069283);
	/* Continuing a CRC gives the same as one pass. */
	ck_assert_uint_eq(proxyproto_crc32c(proxyproto_crc32c(0, "1234", 4),
	    "56789", 5), 0xe3069283);
	ck_assert_uint_eq(proxyproto_crc32c(0, "", 0), 0);
}
END_TEST

START_TEST(test_encode_udp4)
{
	struct proxyproto	h;
	uint8_t			buf[PROXYPROTO_SEND_MAX];
	ssize_t			n;

	memset(&h, 0, sizeof(h));
	h.cmd = PROXYPROTO_CMD_PROXY;
	h.transport = PROXYPROTO_DGRAM;
	set4(&h.src, "192.0.2.1", 1234);
	set4(&h.dst, "198.51.100.2", 53);
	n = proxyproto_encode(buf, sizeof(buf), &h);
	check_bytes(buf, (size_t)n, udp4, sizeof(udp4));
	/* Exactly enough room works, one byte less does not. */
	ck_assert_int_eq(proxyproto_encode(buf, sizeof(udp4), &h),
	    (ssize_t)sizeof(udp4));
	ck_assert_int_eq(proxyproto_encode(buf, sizeof(udp4) - 1, &h), -1);
	ck_assert_int_eq(proxyproto_encode(buf, 15, &h), -1);
	/* TCP: the same bytes with 0x11. */
	h.transport = PROXYPROTO_STREAM;
	ck_assert_int_eq(proxyproto_encode(buf, sizeof(buf), &h), 28);
	ck_assert_uint_eq(buf[13], 0x11);
}
END_TEST

START_TEST(test_encode_udp6)
{
	static const uint8_t	want[] = {
		SIG, 0x21, 0x22, 0x00, 0x24,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
		0xfe,
		0xff, 0xff,		/* 65535 */
		0x01, 0xbb		/* 443 */
	};
	struct proxyproto	h;
	uint8_t			buf[PROXYPROTO_SEND_MAX];

	memset(&h, 0, sizeof(h));
	h.cmd = PROXYPROTO_CMD_PROXY;
	h.transport = PROXYPROTO_DGRAM;
	set6(&h.src, "2001:db8::1", 65535);
	set6(&h.dst, "2001:db8::fffe", 443);
	check_bytes(buf, (size_t)proxyproto_encode(buf, sizeof(buf), &h),
	    want, sizeof(want));
	ck_assert_int_eq(proxyproto_encode(buf, sizeof(want) - 1, &h), -1);
}
END_TEST

/* Mixed families: IPv6 with the IPv4 side mapped; mapped pairs fold to v4. */
START_TEST(test_encode_mixed)
{
	struct proxyproto	h, d;
	uint8_t			buf[PROXYPROTO_SEND_MAX];
	ssize_t			n;
	char			txt[INET6_ADDRSTRLEN];

	memset(&h, 0, sizeof(h));
	h.cmd = PROXYPROTO_CMD_PROXY;
	h.transport = PROXYPROTO_DGRAM;
	set6(&h.src, "2001:db8::7", 4000);
	set4(&h.dst, "198.51.100.2", 53);
	n = proxyproto_encode(buf, sizeof(buf), &h);
	ck_assert_int_eq(n, 16 + 36);
	ck_assert_uint_eq(buf[13], 0x22);
	ck_assert_int_eq(proxyproto_decode(buf, (size_t)n, &d), 0);
	inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&d.dst)->sin6_addr, txt,
	    sizeof(txt));
	ck_assert_str_eq(txt, "::ffff:198.51.100.2");

	set6(&h.src, "::ffff:192.0.2.1", 1234);
	n = proxyproto_encode(buf, sizeof(buf), &h);
	check_bytes(buf, (size_t)n, udp4, sizeof(udp4));
}
END_TEST

START_TEST(test_encode_local)
{
	static const uint8_t	want[] = { SIG, 0x20, 0x00, 0x00, 0x00 };
	struct proxyproto	h;
	uint8_t			buf[PROXYPROTO_SEND_MAX];

	memset(&h, 0, sizeof(h));
	h.cmd = PROXYPROTO_CMD_LOCAL;
	check_bytes(buf, (size_t)proxyproto_encode(buf, sizeof(buf), &h),
	    want, sizeof(want));
}
END_TEST

START_TEST(test_encode_invalid)
{
	struct proxyproto	h;
	uint8_t			buf[PROXYPROTO_SEND_MAX];
	char			name[PROXYPROTO_AUTHORITY_MAX + 1];

	memset(&h, 0, sizeof(h));
	h.cmd = PROXYPROTO_CMD_PROXY;
	h.transport = PROXYPROTO_DGRAM;
	ck_assert_int_eq(proxyproto_encode(buf, sizeof(buf), &h), -1);
	set4(&h.src, "192.0.2.1", 1);
	ck_assert_int_eq(proxyproto_encode(buf, sizeof(buf), &h), -1);
	set4(&h.dst, "192.0.2.2", 2);
	h.transport = PROXYPROTO_UNSPEC;
	ck_assert_int_eq(proxyproto_encode(buf, sizeof(buf), &h), -1);
	h.transport = PROXYPROTO_DGRAM;
	h.cmd = 2;
	ck_assert_int_eq(proxyproto_encode(buf, sizeof(buf), &h), -1);
	h.cmd = PROXYPROTO_CMD_PROXY;
	memset(name, 'a', sizeof(name));
	h.authority = (const uint8_t *)name;
	h.authority_len = sizeof(name);
	ck_assert_int_eq(proxyproto_encode(buf, sizeof(buf), &h), -1);
	h.authority_len = 0;
	ck_assert_int_eq(proxyproto_encode(buf, sizeof(buf), &h), -1);
	h.authority_len = PROXYPROTO_AUTHORITY_MAX;
	h.crc32c = 1;
	ck_assert_int_eq(proxyproto_encode(buf, sizeof(buf), &h),
	    PROXYPROTO_SEND_MAX - 36 + 12);
}
END_TEST

/* Authority then CRC32c, the CRC over the header with its field zeroed. */
START_TEST(test_encode_tlvs)
{
	uint8_t			want[] = {
		SIG, 0x21, 0x12, 0x00, 0x0c + 3 + 3 + 7,
		192, 0, 2, 1, 198, 51, 100, 2, 0x04, 0xd2, 0x00, 0x35,
		0x02, 0x00, 0x03, 'd', 'n', 's',
		0x03, 0x00, 0x04, 0, 0, 0, 0
	};
	struct proxyproto	h, d;
	uint8_t			buf[PROXYPROTO_SEND_MAX];
	uint32_t		crc;
	ssize_t			n;

	crc = proxyproto_crc32c(0, want, sizeof(want));
	want[sizeof(want) - 4] = (uint8_t)(crc >> 24);
	want[sizeof(want) - 3] = (uint8_t)(crc >> 16);
	want[sizeof(want) - 2] = (uint8_t)(crc >> 8);
	want[sizeof(want) - 1] = (uint8_t)crc;

	memset(&h, 0, sizeof(h));
	h.cmd = PROXYPROTO_CMD_PROXY;
	h.transport = PROXYPROTO_DGRAM;
	set4(&h.src, "192.0.2.1", 1234);
	set4(&h.dst, "198.51.100.2", 53);
	h.authority = (const uint8_t *)"dns";
	h.authority_len = 3;
	h.crc32c = 1;
	n = proxyproto_encode(buf, sizeof(buf), &h);
	check_bytes(buf, (size_t)n, want, sizeof(want));
	ck_assert_int_eq(proxyproto_encode(buf, sizeof(want) - 1, &h), -1);

	ck_assert_int_eq(proxyproto_decode(want, sizeof(want), &d), 0);
	ck_assert_int_eq(d.crc32c, 1);
	ck_assert_uint_eq(d.authority_len, 3);
	ck_assert(memcmp(d.authority, "dns", 3) == 0);
	ck_assert_uint_eq(d.len, sizeof(want));
}
END_TEST

START_TEST(test_decode_udp4)
{
	uint8_t			dg[sizeof(udp4) + 5];
	struct proxyproto	h;
	struct sockaddr_in	*s, *d;

	memcpy(dg, udp4, sizeof(udp4));
	memcpy(dg + sizeof(udp4), "hello", 5);
	ck_assert_int_eq(proxyproto_decode(dg, sizeof(dg), &h), 0);
	ck_assert_int_eq(h.cmd, PROXYPROTO_CMD_PROXY);
	ck_assert_int_eq(h.family, AF_INET);
	ck_assert_int_eq(h.transport, PROXYPROTO_DGRAM);
	ck_assert_uint_eq(h.len, 28);
	s = (struct sockaddr_in *)&h.src;
	d = (struct sockaddr_in *)&h.dst;
	ck_assert_int_eq(s->sin_family, AF_INET);
	ck_assert_uint_eq(ntohl(s->sin_addr.s_addr), 0xc0000201);
	ck_assert_uint_eq(ntohs(s->sin_port), 1234);
	ck_assert_uint_eq(ntohl(d->sin_addr.s_addr), 0xc6336402);
	ck_assert_uint_eq(ntohs(d->sin_port), 53);
	ck_assert_ptr_null(h.authority);
	ck_assert_int_eq(h.crc32c, 0);
	/* The header alone (empty payload) is valid too. */
	ck_assert_int_eq(proxyproto_decode(dg, sizeof(udp4), &h), 0);
	/* TCP over IPv4 is accepted with its addresses. */
	dg[13] = 0x11;
	ck_assert_int_eq(proxyproto_decode(dg, sizeof(dg), &h), 0);
	ck_assert_int_eq(h.transport, PROXYPROTO_STREAM);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&h.src)->sin_port),
	    1234);
}
END_TEST

START_TEST(test_decode_udp6)
{
	struct proxyproto	h, d;
	uint8_t			buf[PROXYPROTO_SEND_MAX];
	ssize_t			n;
	struct sockaddr_in6	*s;
	char			txt[INET6_ADDRSTRLEN];

	memset(&h, 0, sizeof(h));
	h.cmd = PROXYPROTO_CMD_PROXY;
	h.transport = PROXYPROTO_STREAM;
	set6(&h.src, "2001:db8::1", 5353);
	set6(&h.dst, "2001:db8::2", 53);
	n = proxyproto_encode(buf, sizeof(buf), &h);
	ck_assert_int_eq(n, 52);
	ck_assert_uint_eq(buf[13], 0x21);
	ck_assert_int_eq(proxyproto_decode(buf, (size_t)n, &d), 0);
	ck_assert_int_eq(d.family, AF_INET6);
	s = (struct sockaddr_in6 *)&d.src;
	ck_assert_int_eq(s->sin6_family, AF_INET6);
	inet_ntop(AF_INET6, &s->sin6_addr, txt, sizeof(txt));
	ck_assert_str_eq(txt, "2001:db8::1");
	ck_assert_uint_eq(ntohs(s->sin6_port), 5353);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in6 *)&d.dst)->sin6_port),
	    53);
}
END_TEST

/* LOCAL: valid, no addresses used, whatever len it skips. */
START_TEST(test_decode_local)
{
	uint8_t			dg[64] = { SIG, 0x20, 0x00, 0x00, 0x00, 'x' };
	struct proxyproto	h;

	ck_assert_int_eq(proxyproto_decode(dg, 17, &h), 0);
	ck_assert_int_eq(h.cmd, PROXYPROTO_CMD_LOCAL);
	ck_assert_int_eq(h.src.ss_family, AF_UNSPEC);
	ck_assert_uint_eq(h.len, 16);
	/* LOCAL naming UDP over IPv4 without the addresses: skipped. */
	dg[13] = 0x12;
	dg[15] = 3;
	ck_assert_int_eq(proxyproto_decode(dg, 20, &h), 0);
	ck_assert_uint_eq(h.len, 19);
	ck_assert_int_eq(h.src.ss_family, AF_UNSPEC);
	/* LOCAL with addresses: they are ignored. */
	memcpy(dg, udp4, sizeof(udp4));
	dg[12] = 0x20;
	ck_assert_int_eq(proxyproto_decode(dg, sizeof(udp4), &h), 0);
	ck_assert_int_eq(h.src.ss_family, AF_UNSPEC);
	ck_assert_uint_eq(h.len, 28);
	/* LOCAL with TLVs after no addresses. */
	memset(dg, 0, sizeof(dg));
	memcpy(dg, (const uint8_t[]){ SIG, 0x20, 0x00, 0x00, 0x05, 0x02,
	    0x00, 0x02, 'h', 'c' }, 21);
	ck_assert_int_eq(proxyproto_decode(dg, 21, &h), 0);
	ck_assert_uint_eq(h.authority_len, 2);
	ck_assert_uint_eq(h.len, 21);
}
END_TEST

/* AF_UNSPEC and AF_UNIX under PROXY: accepted, real endpoints used. */
START_TEST(test_decode_fallbacks)
{
	uint8_t			dg[16 + PROXYPROTO_UNIX_LEN + 3];
	struct proxyproto	h;

	memset(dg, 0, sizeof(dg));
	memcpy(dg, (const uint8_t[]){ SIG, 0x21, 0x00, 0x00, 0x04 }, 16);
	dg[16] = 0x04;		/* a NOOP TLV with one byte */
	dg[18] = 0x01;
	ck_assert_int_eq(proxyproto_decode(dg, 20, &h), 0);
	ck_assert_int_eq(h.family, AF_UNSPEC);
	ck_assert_int_eq(h.src.ss_family, AF_UNSPEC);
	ck_assert_uint_eq(h.len, 20);

	memset(dg, 0, sizeof(dg));
	memcpy(dg, (const uint8_t[]){ SIG, 0x21, 0x32, 0x00,
	    PROXYPROTO_UNIX_LEN }, 16);
	ck_assert_int_eq(proxyproto_decode(dg, 16 + PROXYPROTO_UNIX_LEN,
	    &h), 0);
	ck_assert_int_eq(h.family, AF_UNIX);
	ck_assert_int_eq(h.src.ss_family, AF_UNSPEC);
	dg[13] = 0x31;
	ck_assert_int_eq(proxyproto_decode(dg, 16 + PROXYPROTO_UNIX_LEN,
	    &h), 0);
	dg[15] = PROXYPROTO_UNIX_LEN - 1;
	ck_assert_int_eq(proxyproto_decode(dg, sizeof(dg), &h),
	    PROXYPROTO_EADDRLEN);
}
END_TEST

START_TEST(test_decode_bad_fields)
{
	static const uint8_t	bad_fam[] = { 0x01, 0x02, 0x03, 0x10, 0x13,
	    0x20, 0x23, 0x30, 0x33, 0x40, 0x41, 0x42, 0xf2, 0x1f };
	uint8_t			dg[sizeof(udp4)];
	struct proxyproto	h;
	size_t			i;

	memcpy(dg, udp4, sizeof(dg));
	dg[12] = 0x11;
	ck_assert_int_eq(proxyproto_decode(dg, sizeof(dg), &h),
	    PROXYPROTO_EVERSION);
	dg[12] = 0x31;
	ck_assert_int_eq(proxyproto_decode(dg, sizeof(dg), &h),
	    PROXYPROTO_EVERSION);
	dg[12] = 0x01;
	ck_assert_int_eq(proxyproto_decode(dg, sizeof(dg), &h),
	    PROXYPROTO_EVERSION);
	for (i = 2; i < 16; i++) {
		dg[12] = (uint8_t)(0x20 | i);
		ck_assert_int_eq(proxyproto_decode(dg, sizeof(dg), &h),
		    PROXYPROTO_ECMD);
	}
	dg[12] = 0x21;
	for (i = 0; i < sizeof(bad_fam); i++) {
		dg[13] = bad_fam[i];
		ck_assert_int_eq(proxyproto_decode(dg, sizeof(dg), &h),
		    PROXYPROTO_EFAMILY);
	}
	/* Every signature byte matters. */
	for (i = 0; i < PROXYPROTO_SIG_LEN; i++) {
		memcpy(dg, udp4, sizeof(dg));
		dg[i] ^= 0x01;
		ck_assert_int_eq(proxyproto_decode(dg, sizeof(dg), &h),
		    PROXYPROTO_ESIG);
		ck_assert_int_eq(proxyproto_has_sig(dg, sizeof(dg)), 0);
	}
	ck_assert_int_eq(proxyproto_has_sig(udp4, sizeof(udp4)), 1);
	ck_assert_int_eq(proxyproto_has_sig(udp4, 11), 0);
	ck_assert_int_eq(proxyproto_decode("hello", 5, &h), PROXYPROTO_ESIG);
	ck_assert_int_eq(proxyproto_decode("", 0, &h), PROXYPROTO_ESHORT);
	ck_assert_int_eq(proxyproto_decode(udp4, 13, &h), PROXYPROTO_ESHORT);
}
END_TEST

/* Every prefix of a header is rejected; len may not run past the datagram. */
START_TEST(test_decode_lengths)
{
	uint8_t			buf[PROXYPROTO_SEND_MAX];
	struct proxyproto	h, d;
	ssize_t			n;
	size_t			i;

	for (i = 0; i < sizeof(udp4); i++)
		ck_assert_int_eq(proxyproto_decode(udp4, i, &d),
		    i < 16 ? PROXYPROTO_ESHORT : PROXYPROTO_ETRUNC);

	memset(&h, 0, sizeof(h));
	h.cmd = PROXYPROTO_CMD_PROXY;
	h.transport = PROXYPROTO_DGRAM;
	set6(&h.src, "2001:db8::1", 1);
	set6(&h.dst, "2001:db8::2", 2);
	h.authority = (const uint8_t *)"route-1";
	h.authority_len = 7;
	h.crc32c = 1;
	n = proxyproto_encode(buf, sizeof(buf), &h);
	ck_assert_int_eq(n, 16 + 36 + 10 + 7);
	ck_assert_int_eq(proxyproto_decode(buf, (size_t)n, &d), 0);
	for (i = 16; i < (size_t)n; i++)
		ck_assert_int_eq(proxyproto_decode(buf, i, &d),
		    PROXYPROTO_ETRUNC);

	/* len shorter than the IPv4 / IPv6 address block. */
	memcpy(buf, udp4, sizeof(udp4));
	for (i = 0; i < PROXYPROTO_V4_LEN; i++) {
		buf[15] = (uint8_t)i;
		ck_assert_int_eq(proxyproto_decode(buf, sizeof(udp4), &d),
		    PROXYPROTO_EADDRLEN);
	}
	n = proxyproto_encode(buf, sizeof(buf), &h);
	for (i = 0; i < PROXYPROTO_V6_LEN; i++) {
		buf[14] = 0;
		buf[15] = (uint8_t)i;
		ck_assert_int_eq(proxyproto_decode(buf, (size_t)n, &d),
		    PROXYPROTO_EADDRLEN);
	}
	/* The largest len, 65535, with fewer bytes present. */
	memcpy(buf, udp4, sizeof(udp4));
	buf[14] = buf[15] = 0xff;
	ck_assert_int_eq(proxyproto_decode(buf, sizeof(udp4), &d),
	    PROXYPROTO_ETRUNC);
}
END_TEST

/* A header of udp4 plus the TLV bytes tlv[0..len). */
static int
decode_tlvs(const uint8_t *tlv, size_t len, struct proxyproto *h)
{
	static uint8_t	buf[sizeof(udp4) + 512];

	ck_assert_uint_le(len, 512);
	memcpy(buf, udp4, sizeof(udp4));
	memcpy(buf + sizeof(udp4), tlv, len);
	buf[14] = (uint8_t)((12 + len) >> 8);
	buf[15] = (uint8_t)(12 + len);
	return proxyproto_decode(buf, sizeof(udp4) + len, h);
}

START_TEST(test_decode_tlv_lengths)
{
	uint8_t			tlv[512];
	struct proxyproto	h;

	/* One or two stray bytes cannot be a TLV. */
	ck_assert_int_eq(decode_tlvs((const uint8_t[]){ 0x04 }, 1, &h),
	    PROXYPROTO_ETLV);
	ck_assert_int_eq(decode_tlvs((const uint8_t[]){ 0x04, 0x00 }, 2, &h),
	    PROXYPROTO_ETLV);
	/* An empty NOOP is fine; a value running past the header is not. */
	ck_assert_int_eq(decode_tlvs((const uint8_t[]){ 0x04, 0, 0 }, 3, &h),
	    0);
	ck_assert_int_eq(decode_tlvs((const uint8_t[]){ 0x04, 0, 1 }, 3, &h),
	    PROXYPROTO_ETLV);
	ck_assert_int_eq(decode_tlvs((const uint8_t[]){ 0x02, 0xff, 0xff, 'a'
	    }, 4, &h), PROXYPROTO_ETLV);
	ck_assert_int_eq(decode_tlvs((const uint8_t[]){ 0x04, 0, 1, 0, 0x02 },
	    5, &h), PROXYPROTO_ETLV);
	/* CRC32c must be exactly 4 bytes. */
	ck_assert_int_eq(decode_tlvs((const uint8_t[]){ 0x03, 0, 3, 0, 0, 0 },
	    6, &h), PROXYPROTO_ETLVLEN);
	ck_assert_int_eq(decode_tlvs((const uint8_t[]){ 0x03, 0, 5, 0, 0, 0,
	    0, 0 }, 8, &h), PROXYPROTO_ETLVLEN);
	/* UNIQUE_ID: up to 128 bytes. */
	memset(tlv, 0, sizeof(tlv));
	tlv[0] = PP2_TYPE_UNIQUE_ID;
	tlv[2] = 128;
	ck_assert_int_eq(decode_tlvs(tlv, 3 + 128, &h), 0);
	ck_assert_uint_eq(h.unique_id_len, 128);
	tlv[2] = 129;
	ck_assert_int_eq(decode_tlvs(tlv, 3 + 129, &h), PROXYPROTO_ETLVLEN);
	/* SSL: client and verify (5 bytes), then sub-TLVs that fit. */
	ck_assert_int_eq(decode_tlvs((const uint8_t[]){ 0x20, 0, 4, 1, 0, 0,
	    0 }, 7, &h), PROXYPROTO_ETLVLEN);
	ck_assert_int_eq(decode_tlvs((const uint8_t[]){ 0x20, 0, 5, 1, 0, 0,
	    0, 0 }, 8, &h), 0);
	ck_assert_int_eq(decode_tlvs((const uint8_t[]){ 0x20, 0, 10, 1, 0, 0,
	    0, 0, 0x21, 0, 2, '1', '3' }, 13, &h), 0);
	ck_assert_int_eq(decode_tlvs((const uint8_t[]){ 0x20, 0, 10, 1, 0, 0,
	    0, 0, 0x21, 0, 3, '1', '3' }, 13, &h), PROXYPROTO_ETLV);
	ck_assert_int_eq(decode_tlvs((const uint8_t[]){ 0x20, 0, 7, 1, 0, 0,
	    0, 0, 0x21, 0 }, 10, &h), PROXYPROTO_ETLV);
	/* Repeats of once-only TLVs. */
	ck_assert_int_eq(decode_tlvs((const uint8_t[]){ 0x02, 0, 1, 'a', 0x02,
	    0, 1, 'b' }, 8, &h), PROXYPROTO_EDUP);
	ck_assert_int_eq(decode_tlvs((const uint8_t[]){ 0x05, 0, 1, 'a', 0x05,
	    0, 1, 'b' }, 8, &h), PROXYPROTO_EDUP);
	/* Unknown and custom types are skipped. */
	ck_assert_int_eq(decode_tlvs((const uint8_t[]){ 0xe0, 0, 2, 1, 2,
	    0x30, 0, 1, 'n', 0x01, 0, 2, 'h', '3' }, 14, &h), 0);
	ck_assert_ptr_null(h.authority);
}
END_TEST

START_TEST(test_decode_crc)
{
	uint8_t			buf[PROXYPROTO_SEND_MAX];
	struct proxyproto	h, d;
	ssize_t			n;
	size_t			i;

	memset(&h, 0, sizeof(h));
	h.cmd = PROXYPROTO_CMD_PROXY;
	h.transport = PROXYPROTO_DGRAM;
	set4(&h.src, "192.0.2.1", 1234);
	set4(&h.dst, "198.51.100.2", 53);
	h.crc32c = 1;
	n = proxyproto_encode(buf, sizeof(buf), &h);
	ck_assert_int_eq(n, 28 + 7);
	ck_assert_int_eq(proxyproto_decode(buf, (size_t)n, &d), 0);
	ck_assert_int_eq(d.crc32c, 1);
	/* Any changed bit outside the signature and lengths: a mismatch. */
	for (i = 16; i < (size_t)n; i++) {
		if (i >= 28 && i < 31)
			continue;	/* the TLV's own type and length */
		buf[i] ^= 0x80;
		ck_assert_int_eq(proxyproto_decode(buf, (size_t)n, &d),
		    PROXYPROTO_ECRC);
		buf[i] ^= 0x80;
	}
	buf[13] = 0x11;
	ck_assert_int_eq(proxyproto_decode(buf, (size_t)n, &d),
	    PROXYPROTO_ECRC);
	buf[13] = 0x12;
	/* A second CRC32c TLV is refused, not checked twice. */
	ck_assert_int_eq(decode_tlvs((const uint8_t[]){ 0x03, 0, 4, 0, 0, 0,
	    0, 0x03, 0, 4, 0, 0, 0, 0 }, 14, &d), PROXYPROTO_EDUP);
	/* The payload after the header is not covered. */
	memcpy(buf + n, "payload", 7);
	ck_assert_int_eq(proxyproto_decode(buf, (size_t)n + 7, &d), 0);
}
END_TEST

START_TEST(test_strerror)
{
	int	e;

	for (e = PROXYPROTO_EDUP; e <= 0; e++)
		ck_assert_str_ne(proxyproto_strerror(e), "invalid");
	ck_assert_str_eq(proxyproto_strerror(-99), "invalid");
}
END_TEST

static Suite *
proxyproto_suite(void)
{
	Suite	*s = suite_create("proxyproto");
	TCase	*tc;

	tc = tcase_create("encode");
	tcase_add_test(tc, test_crc32c_vector);
	tcase_add_test(tc, test_encode_udp4);
	tcase_add_test(tc, test_encode_udp6);
	tcase_add_test(tc, test_encode_mixed);
	tcase_add_test(tc, test_encode_local);
	tcase_add_test(tc, test_encode_invalid);
	tcase_add_test(tc, test_encode_tlvs);
	suite_add_tcase(s, tc);

	tc = tcase_create("decode");
	tcase_add_test(tc, test_decode_udp4);
	tcase_add_test(tc, test_decode_udp6);
	tcase_add_test(tc, test_decode_local);
	tcase_add_test(tc, test_decode_fallbacks);
	tcase_add_test(tc, test_decode_bad_fields);
	tcase_add_test(tc, test_decode_lengths);
	tcase_add_test(tc, test_decode_tlv_lengths);
	tcase_add_test(tc, test_decode_crc);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(proxyproto_suite());
	int	 failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
