/* fuzz_rtp.c — libFuzzer harness for the RTP header parser
 * (src/media/rtp.c) and the RTCP compound parser (src/webrtc/rtcp.c): the
 * packets the SIP peer sends in clear and the browser's after SRTP.
 *
 * The input is one datagram.  It goes through the demultiplexing test
 * (gw_rtp_is_rtcp), the RTP parser and the RTCP parser, as the legs do.
 * Every byte the parsers point at (CSRCs, extension, payload) is read, so
 * ASan catches a pointer or length that runs past the datagram; a parsed
 * RTP header and RTCP report also go through the receiver statistics.
 *
 * Oracle: the parsed lengths must add up to at most the datagram (abort()
 * otherwise); FUZZ_ORACLE=0 keeps only the sanitizers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gw/log.h"
#include "fuzz_env.h"
#include "gw/rtcp.h"
#include "gw/rtp.h"

static bool oracle = true;
static volatile uint8_t sink;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	oracle = fuzz_env_init();
	return 0;
}

static void check(bool ok, const char *what)
{
	if (ok || !oracle)
		return;
	fprintf(stderr, "ORACLE: %s\n", what);
	abort();
}

/* Read @n bytes at @p (ASan checks each). */
static void touch(const uint8_t *p, size_t n)
{
	uint8_t x = 0;

	for (size_t i = 0; i < n; i++)
		x ^= p[i];
	sink = x;
}

static void fuzz_rtp(const uint8_t *buf, size_t len)
{
	struct gw_rtp_hdr h;
	struct gw_rtcp_rx_stats st = { 0 };
	struct gw_rtcp_report_block rb;
	int err = gw_rtp_parse(buf, len, &h);

	(void)gw_rtp_strerror(err);
	if (err)
		return;
	check(h.hdr_len >= GW_RTP_HDR_LEN && h.hdr_len <= len, "hdr_len out of the datagram");
	check(h.payload == buf + h.hdr_len, "payload does not follow the header");
	check(h.hdr_len + h.payload_len <= len, "payload runs past the datagram");
	check(h.pt <= GW_RTP_MAX_PT, "pt over 127");
	if (h.cc)
		touch(h.csrc, (size_t)h.cc * 4);
	if (h.has_ext)
		touch(h.ext, h.ext_len);
	touch(h.payload, h.payload_len);

	/* What a leg does with it: receiver statistics, twice (same and next seq). */
	gw_rtcp_rx_stats_update(&st, h.ssrc, h.seq, h.ts, h.ts + 160);
	gw_rtcp_rx_stats_update(&st, h.ssrc, (uint16_t)(h.seq + h.payload_len), h.ts + 160, h.ts);
	gw_rtcp_rx_stats_report(&st, ((uint64_t)h.ts << 32) | h.ssrc, &rb);
}

static void fuzz_rtcp(const uint8_t *buf, size_t len)
{
	struct gw_rtcp_info in;
	struct gw_rtcp_rx_stats st = { 0 };
	uint32_t rtt;

	if (gw_rtcp_parse(buf, len, &in) != 0)
		return;
	check(in.n_blocks <= GW_RTCP_MAX_BLOCKS, "n_blocks over GW_RTCP_MAX_BLOCKS");
	check(memchr(in.cname, '\0', sizeof(in.cname)) != NULL, "cname not terminated");
	check(in.packets >= 1, "a parsed compound without packets");
	for (unsigned i = 0; i < in.n_blocks; i++)
		gw_rtcp_rtt_ms(&in.blocks[i], in.sr.ntp + ((uint64_t)i << 16), &rtt);
	if (in.has_sr)
		gw_rtcp_rx_stats_on_sr(&st, in.sr.ntp, in.sr.ntp + 65536);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool rtcp = gw_rtp_is_rtcp(data, size);

	/* Both parsers see every datagram: the demux decides in the daemon,
	 * but each must be safe on anything. */
	fuzz_rtp(data, size);
	fuzz_rtcp(data, size);
	(void)rtcp;
	return 0;
}
