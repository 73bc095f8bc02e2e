/* gw/rtp.h — RTP packets (RFC 3550): header parse with validity checks,
 * header write, sequence/timestamp arithmetic with wraparound, and an RTP
 * sender (own SSRC, own sequence numbers, own timestamp origin).
 *
 * Pure functions and plain structs: no allocation, no I/O, no locks.  A
 * struct gw_rtp_sender belongs to whoever embeds it (one per leg, used on that
 * call's media loop only).
 */
#ifndef GW_RTP_H
#define GW_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_RTP_HDR_LEN  12u     /* fixed header, no CSRC, no extension */
#define GW_RTP_MAX_PT   127u

/* A parsed RTP packet.  All pointers point into the buffer given to
 * gw_rtp_parse() and are valid as long as that buffer is. */
struct gw_rtp_hdr {
	uint8_t pt;              /* payload type, 0..127 */
	bool marker;
	bool padding;            /* P bit was set (already removed from payload_len) */
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint8_t cc;              /* CSRC count */
	const uint8_t *csrc;     /* cc big-endian 32-bit CSRCs, NULL when cc == 0 */
	bool has_ext;            /* X bit */
	uint16_t ext_profile;    /* "defined by profile" (0xBEDE = RFC 8285 one-byte) */
	const uint8_t *ext;      /* extension body (after its 4-byte header) */
	size_t ext_len;          /* bytes in ext */
	size_t hdr_len;          /* bytes before the payload */
	const uint8_t *payload;
	size_t payload_len;      /* without padding; may be 0 */
};

/* Parse and validate one RTP packet of @len bytes.  Returns 0 and fills @out,
 * or (leaving @out untouched):
 *   EINVAL   NULL argument
 *   EBADMSG  shorter than 12 bytes, or version != 2
 *   EMSGSIZE CSRC list, extension or padding runs past the end of the packet
 *            (also: padding count 0)
 *   EPROTO   the packet is RTCP multiplexed on the RTP port (RFC 5761 §4:
 *            second byte 192..223); hand it to the RTCP code instead.
 * gw_rtp_strerror() turns these into a one-word reason for counters/logs. */
int gw_rtp_parse(const uint8_t *buf, size_t len, struct gw_rtp_hdr *out);

/* Short reason for a gw_rtp_parse() error ("short", "version", ...). */
const char *gw_rtp_strerror(int err);

/* True when @buf looks like RTCP multiplexed with RTP (RFC 5761 §4: the
 * second byte 192..223, RTP payload type 64..95 with the marker bit; at
 * least the 4-byte RTCP header).  The one demultiplexing test of both legs. */
bool gw_rtp_is_rtcp(const uint8_t *buf, size_t len);

/* A set of RTP payload types (0-127); all zero = empty. */
struct gw_rtp_pts {
	uint64_t bits[2];
};

/* Add @pt; a negative one (none) or one over 127 is ignored. */
static inline void gw_rtp_pts_add(struct gw_rtp_pts *set, int pt)
{
	if (pt >= 0 && pt < 128)
		set->bits[pt >> 6] |= UINT64_C(1) << (pt & 63);
}

static inline bool gw_rtp_pts_has(const struct gw_rtp_pts *set, unsigned pt)
{
	return pt < 128 && ((set->bits[pt >> 6] >> (pt & 63)) & 1);
}

/* media.max_queue_ms for one socket reader (the SIP side's RTP socket, a
 * browser's ICE direct path): a datagram that waited longer than max_us in
 * its socket, from the kernel's receive stamp to the read, is dropped and
 * counted: a loop that fell behind catches up instead of relaying audio
 * already too late.  Not RTCP (multiplexed) nor RFC 4733 events, whose
 * payload types are in @events: a digit or report late beats one lost (a
 * long stall could take a whole digit, or its end packets), and they are
 * few.
 *
 * A datagram read without a stamp (a browser's ICE: libnice read it, as it
 * reads everything queued behind a consent check that was at the head of
 * the queue) has its arrival guessed from its RTP timestamp.  The stamped
 * packets of the stream (@media_pt, clock @media_rate, one SSRC) tie the
 * sender's timeline to ours: a packet sent T after one of them arrives T
 * after it, give or take the difference in their network delays.  So the
 * anchor is the most delayed stamped packet of the last one to two seconds
 * (a packet no more delayed than it is guessed to have arrived no earlier
 * than it did: its wait is underestimated, never over); one delayed more
 * than that, by over max_us - its real wait, would be dropped fresh: a
 * jump of 200 ms (the default) in the network's delay within two
 * seconds.  No guess (kept) without an anchor (a TURN-relayed pair:
 * libnice reads all of it), for a packet before the anchor or over
 * GW_RTP_AGE_ANCHOR_MAX_MS after it on the sender's timeline, or when the
 * last stamped packet is that long ago on ours (the sender paused: its
 * timestamps may not have kept time).  Owned by the reader's media loop;
 * its owner clears @anchored when the path or the media changes. */
#define GW_RTP_AGE_ANCHOR_MAX_MS 10000
/* The anchor's two windows, each this long: the most delayed packet of the
 * current one and of the one before. */
#define GW_RTP_AGE_WINDOW_US 1000000
struct gw_rtp_age_mark {
	uint32_t ts;                 /* a stamped packet's RTP timestamp ... */
	int64_t rx_us;               /* ... and its receive stamp (monotonic) */
};
struct gw_rtp_age_limit {
	int64_t max_us;              /* 0 = never */
	struct gw_rtp_pts events;    /* kept however late */
	uint64_t dropped;            /* so far */
	uint8_t media_pt;            /* the stream anchored ... */
	uint32_t media_rate;         /* ... and its RTP clock, Hz; 0: none */
	bool anchored;               /* the fields below hold that stream's */
	bool has_prev;               /* prev holds a window's */
	uint32_t anchor_ssrc;
	struct gw_rtp_age_mark cur;  /* the most delayed of the current window */
	struct gw_rtp_age_mark prev; /* ... and of the one before */
	int64_t window_us;           /* the current window began (monotonic) */
	int64_t last_rx_us;          /* the newest stamped packet arrived */
};

/* gw_rtp_age_drop's half for a datagram that did wait too long. */
bool gw_rtp_age_limit_drops(struct gw_rtp_age_limit *l, const uint8_t *buf, size_t len,
			    int64_t now_us, const char *ctx, const char *side);

/* gw_rtp_age_drop's half that keeps the anchor: @buf arrived at @rx_us. */
void gw_rtp_age_anchor(struct gw_rtp_age_limit *l, const uint8_t *buf, size_t len,
		       int64_t rx_us);

/* Media thread: whether to drop @buf, which arrived at @rx_us (gw_rx_time_us)
 * and was read at @now_us (monotonic); counted, and logged at most every
 * 10 s per thread with @ctx (a call's log context) and @side ("browser",
 * "SIP").  Inline for the per-packet case: in time. */
static inline bool gw_rtp_age_drop(struct gw_rtp_age_limit *l, const uint8_t *buf, size_t len,
				   int64_t rx_us, int64_t now_us, const char *ctx, const char *side)
{
	if (l->media_rate)
		gw_rtp_age_anchor(l, buf, len, rx_us);
	return l->max_us && now_us - rx_us > l->max_us &&
	       gw_rtp_age_limit_drops(l, buf, len, now_us, ctx, side);
}

/* Media thread: the same for @buf read at @now_us without a receive stamp,
 * its arrival guessed from its RTP timestamp (see above). */
bool gw_rtp_age_drop_unstamped(struct gw_rtp_age_limit *l, const uint8_t *buf, size_t len,
			       int64_t now_us, const char *ctx, const char *side);

/* Write a 12-byte RTP header (V=2, no padding/extension/CSRC) at @buf.
 * Returns 12, or 0 when @cap < 12 or @pt > 127 (nothing written). */
size_t gw_rtp_hdr_write(uint8_t *buf, size_t cap, uint8_t pt, bool marker,
			uint16_t seq, uint32_t ts, uint32_t ssrc);

/* --- sequence numbers and timestamps (modulo arithmetic) --- */

/* Signed distance a - b in sequence space: >0 when a is newer than b. */
static inline int16_t gw_rtp_seq_diff(uint16_t a, uint16_t b)
{
	return (int16_t)(uint16_t)(a - b);
}

/* True when @a comes strictly after @b (handles wraparound at 65535). */
static inline bool gw_rtp_seq_newer(uint16_t a, uint16_t b)
{
	return gw_rtp_seq_diff(a, b) > 0;
}

/* Signed distance a - b in timestamp space. */
static inline int32_t gw_rtp_ts_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(uint32_t)(a - b);
}

/* Extends 16-bit sequence numbers to a monotonic 64-bit count (RFC 3550
 * appendix A.1 style cycle counting).  Zero-initialise before use. */
struct gw_rtp_seq_ext {
	bool started;
	uint16_t max_seq;       /* highest sequence number seen */
	uint64_t cycles;        /* wraps seen, times 65536 */
};

/* Extended value of @seq given the history in @st; updates @st when @seq is
 * the newest yet.  Late packets from before a wrap map below the wrap. */
uint64_t gw_rtp_seq_extend(struct gw_rtp_seq_ext *st, uint16_t seq);

/* --- RTP sender: one outgoing stream --- */

/* The sending side of one leg: its own SSRC, sequence numbers and timestamp
 * origin (RFC 3550 §5.1: all three start random).  Callers give timestamps
 * on their own media timeline (starting anywhere, in @clock_rate units); the
 * sender adds its random offset. */
struct gw_rtp_sender {
	uint32_t ssrc;
	uint16_t seq;            /* sequence number of the next packet */
	uint32_t ts_offset;      /* added to media timestamps */
	uint32_t clock_rate;     /* Hz, informative (8000, 48000, ...) */
	bool marker_pending;     /* next packet carries the marker bit */
	bool sent_any;
	uint32_t last_ts;        /* wire timestamp of the last packet */
	uint64_t packets;        /* packets written */
	uint64_t octets;         /* payload octets written (RFC 3550 SR count) */
};

/* Start a stream with random SSRC, sequence and timestamp origin; the first
 * packet carries the marker bit. */
void gw_rtp_sender_init(struct gw_rtp_sender *s, uint32_t clock_rate);

/* Same with given values (tests, or keeping a stream across a re-INVITE). */
void gw_rtp_sender_init_fixed(struct gw_rtp_sender *s, uint32_t clock_rate,
			      uint32_t ssrc, uint16_t seq, uint32_t ts_offset);

/* Make the next packet carry the marker bit (start of a talkspurt, RFC 3551
 * §4.1, or after the source changed). */
void gw_rtp_sender_mark(struct gw_rtp_sender *s);

/* Write one packet: header (next seq, @media_ts + offset, marker when @marker
 * or pending) then @payload.  Returns the packet length, or 0 when it does
 * not fit in @cap or @pt > 127 (the sequence number is then not consumed). */
size_t gw_rtp_sender_write(struct gw_rtp_sender *s, uint8_t *buf, size_t cap,
			   uint8_t pt, uint32_t media_ts, bool marker,
			   const uint8_t *payload, size_t payload_len);

#endif
