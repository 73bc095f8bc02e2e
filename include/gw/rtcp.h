/* gw/rtcp.h — RTCP (RFC 3550): parse compound packets, build SR/RR + SDES,
 * receiver statistics (loss, jitter, LSR/DLSR) and round-trip time.
 *
 * Pure functions over caller-owned buffers and structs; no library, no loop.
 * Each struct gw_rtcp_rx_stats belongs to one received stream of one call and
 * is updated on that call's media loop.  Times are NTP 32.32 fixed point
 * (seconds since 1900 in the high word) supplied by the caller, so tests can
 * script them; gw_rtcp_ntp_now() gives the wall clock.
 */
#ifndef GW_RTCP_H
#define GW_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gw_rtcp_type {
	GW_RTCP_SR = 200,
	GW_RTCP_RR = 201,
	GW_RTCP_SDES = 202,
	GW_RTCP_BYE = 203,
	GW_RTCP_APP = 204,
	GW_RTCP_RTPFB = 205,
	GW_RTCP_PSFB = 206,
};

/* Report blocks kept from one compound packet (the RC field's maximum). */
#define GW_RTCP_MAX_BLOCKS 31
#define GW_RTCP_CNAME_MAX 255

/* One reception report block (RFC 3550 6.4.1). */
struct gw_rtcp_report_block {
	uint32_t ssrc;            /* the source this block reports on */
	uint8_t fraction_lost;    /* since the previous report, 1/256 units */
	int32_t cumulative_lost;  /* 24-bit signed on the wire */
	uint32_t ext_highest_seq; /* cycles << 16 | highest sequence number */
	uint32_t jitter;          /* interarrival jitter, RTP clock units */
	uint32_t lsr;             /* middle 32 bits of the last SR's NTP time */
	uint32_t dlsr;            /* delay since that SR, 1/65536 s */
};

/* Sender info of an SR (RFC 3550 6.4.1). */
struct gw_rtcp_sender_info {
	uint64_t ntp;
	uint32_t rtp_ts;
	uint32_t packets;
	uint32_t octets;
};

/* What gw_rtcp_parse() found in one compound packet. */
struct gw_rtcp_info {
	unsigned packets;          /* RTCP packets in the compound */
	unsigned skipped;          /* APP, RTPFB, PSFB and unknown types */
	bool has_report;           /* an SR or RR was present */
	bool has_sr;
	uint32_t ssrc;             /* sender SSRC of the first SR/RR */
	struct gw_rtcp_sender_info sr;
	unsigned n_blocks;         /* first GW_RTCP_MAX_BLOCKS report blocks */
	struct gw_rtcp_report_block blocks[GW_RTCP_MAX_BLOCKS];
	char cname[GW_RTCP_CNAME_MAX + 1]; /* first SDES CNAME, "" if none */
	bool bye;
};

/* Our sending side, for building a report. */
struct gw_rtcp_sender {
	uint32_t ssrc;
	bool sent_rtp;             /* RTP sent since the last report: build an SR */
	struct gw_rtcp_sender_info info;
};

/* Statistics of one received RTP stream (RFC 3550 A.1, A.3, A.8). */
struct gw_rtcp_rx_stats {
	bool started;
	uint32_t ssrc;
	uint16_t max_seq;
	uint32_t cycles;          /* wraps, << 16 */
	uint32_t base_seq;
	uint32_t bad_seq;
	uint32_t received;
	uint32_t expected_prior;
	uint32_t received_prior;
	uint32_t transit;
	uint32_t jitter_q4;       /* jitter * 16 (A.8 integer form) */
	uint32_t last_sr;         /* middle 32 bits of the last SR's NTP time */
	uint64_t last_sr_arrival; /* our NTP time when it arrived */
};

/* Parse a compound RTCP packet (after SRTCP unprotect).  Every packet must
 * be version 2 and its length fit (RFC 3550 A.2); SR, RR, SDES and BYE
 * bodies are checked against their counts; padding only on the last.
 * 0 and *out filled; EBADMSG on any inconsistency (*out untouched). */
int gw_rtcp_parse(const uint8_t *buf, size_t len, struct gw_rtcp_info *out);

/* Build an SR (when @s->sent_rtp) or else an RR, with @block when not NULL,
 * followed by an SDES with @cname: a compound packet ready for SRTCP.
 * 0 and *len; EINVAL (empty or over-long cname); ENOBUFS (@cap too small). */
int gw_rtcp_build_report(uint8_t *buf, size_t cap, size_t *len, const struct gw_rtcp_sender *s,
			 const struct gw_rtcp_report_block *block, const char *cname);

/* Account one received RTP packet of @ssrc (a new SSRC restarts the
 * statistics): @arrival is the arrival time in the stream's RTP clock.
 * Returns false when the packet is a large sequence jump not yet confirmed
 * by its successor (A.1), which is not counted. */
bool gw_rtcp_rx_stats_update(struct gw_rtcp_rx_stats *st, uint32_t ssrc, uint16_t seq,
			     uint32_t rtp_ts, uint32_t arrival);

/* Remember an SR from the stream's sender (NTP @sr_ntp) arriving at @now. */
void gw_rtcp_rx_stats_on_sr(struct gw_rtcp_rx_stats *st, uint64_t sr_ntp, uint64_t now);

/* Fill a report block for the stream at @now and start the next interval
 * (fraction lost covers the time since the previous call).  0 or ENODATA
 * (nothing received yet). */
int gw_rtcp_rx_stats_report(struct gw_rtcp_rx_stats *st, uint64_t now, struct gw_rtcp_report_block *out);

/* RFC 3550 6.4.1 round-trip time from a block the peer sent about our
 * stream, received at @now: A - LSR - DLSR.  0 and *rtt_ms; ENODATA (no SR
 * reported yet: LSR 0); ERANGE (negative: clocks or a bogus block). */
int gw_rtcp_rtt_ms(const struct gw_rtcp_report_block *b, uint64_t now, uint32_t *rtt_ms);

/* Wall clock as NTP 32.32, and the conversion from microseconds since 1970. */
uint64_t gw_rtcp_ntp_now(void);
uint64_t gw_rtcp_ntp_from_unix_us(int64_t unix_us);

#endif
