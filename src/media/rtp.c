/* rtp.c — RTP header parse/write, sequence extension, the RTP sender and
 * the socket readers' age limit (media.max_queue_ms) (see gw/rtp.h).  Runs
 * on whichever loop calls it, owns nothing; the age limit's log line is
 * rate-limited per thread.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include "gw/log.h"
#include "gw/rtp.h"

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

bool gw_rtp_is_rtcp(const uint8_t *buf, size_t len)
{
	/* RFC 5761 §4: RTCP packet types 192..223 collide with RTP marker+PT
	 * 64..95, which RTP must not use when multiplexed; RTCP has at least
	 * its 4-byte header. */
	return buf && len >= 4 && (buf[0] >> 6) == 2 && buf[1] >= 192 && buf[1] <= 223;
}

int gw_rtp_parse(const uint8_t *buf, size_t len, struct gw_rtp_hdr *out)
{
	struct gw_rtp_hdr h;
	size_t off, end;

	if (!buf || !out)
		return EINVAL;
	if (len < GW_RTP_HDR_LEN || (buf[0] >> 6) != 2)
		return EBADMSG;
	if (gw_rtp_is_rtcp(buf, len))
		return EPROTO;

	memset(&h, 0, sizeof(h));
	h.padding = (buf[0] & 0x20) != 0;
	h.has_ext = (buf[0] & 0x10) != 0;
	h.cc = buf[0] & 0x0f;
	h.marker = (buf[1] & 0x80) != 0;
	h.pt = buf[1] & 0x7f;
	h.seq = rd16(buf + 2);
	h.ts = rd32(buf + 4);
	h.ssrc = rd32(buf + 8);

	off = GW_RTP_HDR_LEN;
	end = len;
	/* Compare against what is left rather than adding to off, so a huge
	 * count can never wrap the arithmetic. */
	if ((size_t)h.cc * 4 > end - off)
		return EMSGSIZE;
	if (h.cc)
		h.csrc = buf + off;
	off += (size_t)h.cc * 4;

	if (h.has_ext) {
		size_t ext_len;

		if (end - off < 4)
			return EMSGSIZE;
		h.ext_profile = rd16(buf + off);
		ext_len = (size_t)rd16(buf + off + 2) * 4;
		off += 4;
		if (ext_len > end - off)
			return EMSGSIZE;
		h.ext = buf + off;
		h.ext_len = ext_len;
		off += ext_len;
	}

	if (h.padding) {
		/* RFC 3550 §5.1: the last octet counts the padding, itself included. */
		size_t pad = buf[len - 1];

		if (pad == 0 || pad > end - off)
			return EMSGSIZE;
		end -= pad;
	}

	h.hdr_len = off;
	h.payload = buf + off;
	h.payload_len = end - off;
	*out = h;
	return 0;
}

const char *gw_rtp_strerror(int err)
{
	switch (err) {
	case 0:        return "ok";
	case EINVAL:   return "invalid-argument";
	case EBADMSG:  return "short-or-bad-version";
	case EMSGSIZE: return "length-past-end";
	case EPROTO:   return "rtcp";
	default:       return "error";
	}
}

size_t gw_rtp_hdr_write(uint8_t *buf, size_t cap, uint8_t pt, bool marker,
			uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	if (!buf || cap < GW_RTP_HDR_LEN || pt > GW_RTP_MAX_PT)
		return 0;
	buf[0] = 0x80;
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
	wr16(buf + 2, seq);
	wr32(buf + 4, ts);
	wr32(buf + 8, ssrc);
	return GW_RTP_HDR_LEN;
}

uint64_t gw_rtp_seq_extend(struct gw_rtp_seq_ext *st, uint16_t seq)
{
	if (!st->started) {
		/* Start one cycle up so packets from before an early wrap still
		 * map to a smaller (non-negative) value. */
		st->started = true;
		st->max_seq = seq;
		st->cycles = 1u << 16;
		return st->cycles + seq;
	}
	if (gw_rtp_seq_newer(seq, st->max_seq)) {
		if (seq < st->max_seq)
			st->cycles += 1u << 16;
		st->max_seq = seq;
		return st->cycles + seq;
	}
	/* Older (or duplicate): it belongs to the previous cycle when it is
	 * numerically above the newest one. */
	if (seq > st->max_seq)
		return st->cycles - (1u << 16) + seq;
	return st->cycles + seq;
}

void gw_rtp_sender_init_fixed(struct gw_rtp_sender *s, uint32_t clock_rate,
			      uint32_t ssrc, uint16_t seq, uint32_t ts_offset)
{
	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	s->seq = seq;
	s->ts_offset = ts_offset;
	s->clock_rate = clock_rate;
	s->marker_pending = true;
}

void gw_rtp_sender_init(struct gw_rtp_sender *s, uint32_t clock_rate)
{
	uint32_t ssrc;

	/* SSRC 0 is legal but confuses some equipment; avoid it. */
	do
		ssrc = g_random_int();
	while (ssrc == 0);
	gw_rtp_sender_init_fixed(s, clock_rate, ssrc, (uint16_t)g_random_int(),
				 g_random_int());
}

void gw_rtp_sender_mark(struct gw_rtp_sender *s)
{
	s->marker_pending = true;
}

size_t gw_rtp_sender_write(struct gw_rtp_sender *s, uint8_t *buf, size_t cap,
			   uint8_t pt, uint32_t media_ts, bool marker,
			   const uint8_t *payload, size_t payload_len)
{
	uint32_t ts = media_ts + s->ts_offset;
	size_t n;

	if (cap < GW_RTP_HDR_LEN || payload_len > cap - GW_RTP_HDR_LEN)
		return 0;
	n = gw_rtp_hdr_write(buf, cap, pt, marker || s->marker_pending, s->seq, ts, s->ssrc);
	if (n == 0)
		return 0;
	if (payload_len)
		memcpy(buf + n, payload, payload_len);
	s->seq++;
	s->marker_pending = false;
	s->sent_any = true;
	s->last_ts = ts;
	s->packets++;
	s->octets += payload_len;
	return n + payload_len;
}

/* --- media.max_queue_ms ---------------------------------------------------- */

#define STALE_LOG_US (10 * G_USEC_PER_SEC)

/* @buf waited too long: dropped unless RTCP or an event. */
bool gw_rtp_age_limit_drops(struct gw_rtp_age_limit *l, const uint8_t *buf, size_t len,
			    int64_t now_us, const char *ctx, const char *side)
{
	/* under overload every call of the loop drops some: one line per
	 * thread at most every 10 s, with the count since */
	static __thread struct gw_log_limit stale_log;
	uint64_t unlogged;

	if (gw_rtp_is_rtcp(buf, len) ||
	    (len >= 2 && (buf[0] >> 6) == 2 && gw_rtp_pts_has(&l->events, buf[1] & 0x7f)))
		return false;
	l->dropped++;
	if (gw_log_limit_pass(&stale_log, now_us, STALE_LOG_US, &unlogged))
		gw_warn(ctx, "media from the %s side dropped: it waited over %" G_GINT64_FORMAT " ms in "
			"the socket (the media loop is overloaded or was stalled); %" G_GUINT64_FORMAT
			" more such packets on this thread since the last report", side,
			l->max_us / 1000, unlogged);
	return true;
}

/* @buf's SSRC and timestamp when it is RTP of the anchored stream. */
static bool anchored_stream(const struct gw_rtp_age_limit *l, const uint8_t *buf, size_t len,
			    uint32_t *ssrc, uint32_t *ts)
{
	if (len < GW_RTP_HDR_LEN || (buf[0] >> 6) != 2 || (buf[1] & 0x7f) != l->media_pt ||
	    gw_rtp_is_rtcp(buf, len))
		return false;
	*ts = rd32(buf + 4);
	*ssrc = rd32(buf + 8);
	return true;
}

/* Whether @a was delayed more than @b by the network: it arrived later
 * after @b than it was sent. */
static bool more_delayed(const struct gw_rtp_age_limit *l, const struct gw_rtp_age_mark *a,
			 const struct gw_rtp_age_mark *b)
{
	return (a->rx_us - b->rx_us) * (int64_t)l->media_rate >
	       (int64_t)gw_rtp_ts_diff(a->ts, b->ts) * G_USEC_PER_SEC;
}

void gw_rtp_age_anchor(struct gw_rtp_age_limit *l, const uint8_t *buf, size_t len,
		       int64_t rx_us)
{
	struct gw_rtp_age_mark m = { .rx_us = rx_us };
	uint32_t ssrc;

	if (!anchored_stream(l, buf, len, &ssrc, &m.ts))
		return;
	if (!l->anchored || ssrc != l->anchor_ssrc) {
		l->anchored = true;
		l->has_prev = false;
		l->anchor_ssrc = ssrc;
		l->cur = m;
		l->window_us = l->last_rx_us = rx_us;
		return;
	}
	if (rx_us > l->last_rx_us)
		l->last_rx_us = rx_us;
	if (rx_us - l->window_us >= GW_RTP_AGE_WINDOW_US) {
		l->prev = l->cur;
		l->has_prev = true;
		l->cur = m;
		l->window_us = rx_us;
	} else if (more_delayed(l, &m, &l->cur)) {
		l->cur = m;
	}
}

bool gw_rtp_age_drop_unstamped(struct gw_rtp_age_limit *l, const uint8_t *buf, size_t len,
			       int64_t now_us, const char *ctx, const char *side)
{
	const struct gw_rtp_age_mark *a;
	uint32_t ssrc, ts;
	int64_t later;   /* ticks after the anchor on the sender's timeline */

	if (!l->max_us || !l->anchored || !l->media_rate ||
	    !anchored_stream(l, buf, len, &ssrc, &ts) || ssrc != l->anchor_ssrc ||
	    now_us - l->last_rx_us > (int64_t)GW_RTP_AGE_ANCHOR_MAX_MS * 1000)
		return false;
	a = l->has_prev && more_delayed(l, &l->prev, &l->cur) ? &l->prev : &l->cur;
	later = gw_rtp_ts_diff(ts, a->ts);
	/* before the anchor (reordered), or too far from it for two clocks
	 * to agree: no guess */
	if (later < 0 || later > (int64_t)l->media_rate * GW_RTP_AGE_ANCHOR_MAX_MS / 1000)
		return false;
	return now_us - (a->rx_us + later * G_USEC_PER_SEC / l->media_rate) > l->max_us &&
	       gw_rtp_age_limit_drops(l, buf, len, now_us, ctx, side);
}
