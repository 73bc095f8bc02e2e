/* rtcp.c — RTCP compound parse/build and receiver statistics (see gw/rtcp.h).
 *
 * No library and no state of its own: callers own the buffers and the
 * per-stream struct gw_rtcp_rx_stats, on their call's media loop.  Every read
 * of a packet is bounded by the lengths checked first (RFC 3550 A.2).
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include "gw/rtcp.h"

#define RTP_SEQ_MOD (1u << 16)
/* RFC 3550 A.1 */
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
/* seconds from 1900 (NTP era 0) to 1970 */
#define NTP_UNIX_OFFSET 2208988800ull

#define SR_INFO_LEN 20
#define BLOCK_LEN 24
#define SDES_CNAME 1

static uint32_t rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void wr_header(uint8_t *p, unsigned count, unsigned pt, size_t bytes)
{
	size_t words = bytes / 4 - 1;

	p[0] = (uint8_t)(0x80 | (count & 0x1f));
	p[1] = (uint8_t)pt;
	p[2] = (uint8_t)(words >> 8);
	p[3] = (uint8_t)words;
}

/* --- parse --------------------------------------------------------------- */

static void parse_block(const uint8_t *p, struct gw_rtcp_report_block *b)
{
	uint32_t lost = ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) | p[7];

	b->ssrc = rd32(p);
	b->fraction_lost = p[4];
	/* sign-extend the 24-bit field */
	b->cumulative_lost = (lost & 0x800000) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
	b->ext_highest_seq = rd32(p + 8);
	b->jitter = rd32(p + 12);
	b->lsr = rd32(p + 16);
	b->dlsr = rd32(p + 20);
}

static int parse_report(const uint8_t *body, size_t blen, unsigned count, bool sr, struct gw_rtcp_info *in)
{
	size_t fixed = 4 + (sr ? SR_INFO_LEN : 0);

	if (blen < fixed + (size_t)count * BLOCK_LEN)
		return EBADMSG;
	if (!in->has_report) {
		in->has_report = true;
		in->ssrc = rd32(body);
	}
	if (sr && !in->has_sr) {
		in->has_sr = true;
		in->sr.ntp = ((uint64_t)rd32(body + 4) << 32) | rd32(body + 8);
		in->sr.rtp_ts = rd32(body + 12);
		in->sr.packets = rd32(body + 16);
		in->sr.octets = rd32(body + 20);
	}
	for (unsigned i = 0; i < count && in->n_blocks < GW_RTCP_MAX_BLOCKS; i++)
		parse_block(body + fixed + (size_t)i * BLOCK_LEN, &in->blocks[in->n_blocks++]);
	return 0;
}

/* RFC 3550 6.5: chunks of SSRC + items, each chunk ended by a null item and
 * padded to 32 bits. */
static int parse_sdes(const uint8_t *body, size_t blen, unsigned count, struct gw_rtcp_info *in)
{
	size_t off = 0;

	for (unsigned c = 0; c < count; c++) {
		if (blen - off < 4)
			return EBADMSG;
		off += 4;
		for (;;) {
			uint8_t type, ilen;

			if (off >= blen)
				return EBADMSG;
			type = body[off];
			if (type == 0)
				break;
			if (blen - off < 2 || blen - off - 2 < body[off + 1])
				return EBADMSG;
			ilen = body[off + 1];
			if (type == SDES_CNAME && !in->cname[0]) {
				memcpy(in->cname, body + off + 2, ilen);
				in->cname[ilen] = '\0';
			}
			off += 2 + (size_t)ilen;
		}
		/* the null item, then up to the next 32-bit boundary */
		off = (off + 4) & ~(size_t)3;
		if (off > blen)
			return EBADMSG;
	}
	return 0;
}

static int parse_bye(const uint8_t *body, size_t blen, unsigned count, struct gw_rtcp_info *in)
{
	size_t ids = (size_t)count * 4;

	if (blen < ids)
		return EBADMSG;
	/* optional reason: length octet + text */
	if (blen > ids && blen - ids - 1 < body[ids])
		return EBADMSG;
	in->bye = true;
	return 0;
}

static int parse_one(uint8_t pt, unsigned count, const uint8_t *body, size_t blen, struct gw_rtcp_info *in)
{
	switch (pt) {
	case GW_RTCP_SR:
		return parse_report(body, blen, count, true, in);
	case GW_RTCP_RR:
		return parse_report(body, blen, count, false, in);
	case GW_RTCP_SDES:
		return parse_sdes(body, blen, count, in);
	case GW_RTCP_BYE:
		return parse_bye(body, blen, count, in);
	case GW_RTCP_APP:
	case GW_RTCP_RTPFB:
	case GW_RTCP_PSFB:
		/* sender SSRC + name / media SSRC at least */
		if (blen < 8)
			return EBADMSG;
		in->skipped++;
		return 0;
	default:
		in->skipped++;
		return 0;
	}
}

int gw_rtcp_parse(const uint8_t *buf, size_t len, struct gw_rtcp_info *out)
{
	struct gw_rtcp_info info, *in = &info;
	size_t off = 0;
	int err = 0;

	if (!buf || !out || len < 4)
		return EBADMSG;
	memset(in, 0, sizeof(*in));
	while (off < len) {
		const uint8_t *p = buf + off;
		size_t plen, blen;

		if (len - off < 4 || (p[0] >> 6) != 2) {
			err = EBADMSG;
			goto out;
		}
		plen = ((((size_t)p[2] << 8) | p[3]) + 1) * 4;
		if (plen > len - off) {
			err = EBADMSG;
			goto out;
		}
		blen = plen - 4;
		if (p[0] & 0x20) {
			/* A.2: only the last packet of a compound may be padded */
			if (off + plen != len || p[plen - 1] == 0 || p[plen - 1] > blen) {
				err = EBADMSG;
				goto out;
			}
			blen -= p[plen - 1];
		}
		err = parse_one(p[1], p[0] & 0x1f, p + 4, blen, in);
		if (err)
			goto out;
		in->packets++;
		off += plen;
	}
	*out = *in;
out:
	return err;
}

/* --- build --------------------------------------------------------------- */

static void write_block(uint8_t *p, const struct gw_rtcp_report_block *b)
{
	int32_t lost = b->cumulative_lost;

	if (lost > 0x7fffff)
		lost = 0x7fffff;
	else if (lost < -0x800000)
		lost = -0x800000;
	wr32(p, b->ssrc);
	wr32(p + 4, ((uint32_t)b->fraction_lost << 24) | ((uint32_t)lost & 0xffffff));
	wr32(p + 8, b->ext_highest_seq);
	wr32(p + 12, b->jitter);
	wr32(p + 16, b->lsr);
	wr32(p + 20, b->dlsr);
}

int gw_rtcp_build_report(uint8_t *buf, size_t cap, size_t *len, const struct gw_rtcp_sender *s,
			 const struct gw_rtcp_report_block *block, const char *cname)
{
	size_t clen = cname ? strlen(cname) : 0;
	unsigned nb = block ? 1 : 0;
	size_t rlen = 8 + (s->sent_rtp ? SR_INFO_LEN : 0) + nb * BLOCK_LEN;
	/* SDES: header, SSRC, CNAME item, >= 1 null octet, 32-bit aligned */
	size_t slen = (8 + 2 + clen + 4) & ~(size_t)3;
	uint8_t *p;

	if (!buf || !len || !s || clen == 0 || clen > GW_RTCP_CNAME_MAX)
		return EINVAL;
	if (cap < rlen + slen)
		return ENOBUFS;
	p = buf;
	wr_header(p, nb, s->sent_rtp ? GW_RTCP_SR : GW_RTCP_RR, rlen);
	wr32(p + 4, s->ssrc);
	p += 8;
	if (s->sent_rtp) {
		wr32(p, (uint32_t)(s->info.ntp >> 32));
		wr32(p + 4, (uint32_t)s->info.ntp);
		wr32(p + 8, s->info.rtp_ts);
		wr32(p + 12, s->info.packets);
		wr32(p + 16, s->info.octets);
		p += SR_INFO_LEN;
	}
	if (block) {
		write_block(p, block);
		p += BLOCK_LEN;
	}
	memset(p, 0, slen);
	wr_header(p, 1, GW_RTCP_SDES, slen);
	wr32(p + 4, s->ssrc);
	p[8] = SDES_CNAME;
	p[9] = (uint8_t)clen;
	memcpy(p + 10, cname, clen);
	*len = rlen + slen;
	return 0;
}

/* --- receiver statistics ------------------------------------------------- */

static void init_seq(struct gw_rtcp_rx_stats *st, uint16_t seq)
{
	st->base_seq = seq;
	st->max_seq = seq;
	st->bad_seq = RTP_SEQ_MOD + 1;
	st->cycles = 0;
	st->received = 0;
	st->received_prior = 0;
	st->expected_prior = 0;
}

/* RFC 3550 A.1 update_seq without probation (SRTP already authenticated
 * the source).  False when the packet is not counted. */
static bool update_seq(struct gw_rtcp_rx_stats *st, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - st->max_seq);

	if (udelta < MAX_DROPOUT) {
		if (seq < st->max_seq)
			st->cycles += RTP_SEQ_MOD;
		st->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
		if (seq != st->bad_seq) {
			/* a jump: believe it only if the next packet follows it */
			st->bad_seq = (seq + 1u) & (RTP_SEQ_MOD - 1);
			return false;
		}
		init_seq(st, seq);
	}
	/* else: duplicate or reordered, counted as received */
	st->received++;
	return true;
}

bool gw_rtcp_rx_stats_update(struct gw_rtcp_rx_stats *st, uint32_t ssrc, uint16_t seq,
			     uint32_t rtp_ts, uint32_t arrival)
{
	uint32_t transit = arrival - rtp_ts;
	int64_t d;

	if (!st->started || st->ssrc != ssrc) {
		memset(st, 0, sizeof(*st));
		st->started = true;
		st->ssrc = ssrc;
		init_seq(st, seq);
		st->received = 1;
		st->transit = transit;
		return true;
	}
	if (!update_seq(st, seq))
		return false;
	/* A.8: RTP timestamps wrap, so the transit difference is modular */
	d = (int32_t)(transit - st->transit);
	st->transit = transit;
	if (d < 0)
		d = -d;
	st->jitter_q4 += (uint32_t)d - ((st->jitter_q4 + 8) >> 4);
	return true;
}

void gw_rtcp_rx_stats_on_sr(struct gw_rtcp_rx_stats *st, uint64_t sr_ntp, uint64_t now)
{
	st->last_sr = (uint32_t)(sr_ntp >> 16);
	st->last_sr_arrival = now;
}

int gw_rtcp_rx_stats_report(struct gw_rtcp_rx_stats *st, uint64_t now, struct gw_rtcp_report_block *out)
{
	uint32_t ext_max, expected, exp_int, rec_int;
	int64_t lost, lost_int;

	if (!st->started)
		return ENODATA;
	/* A.3 */
	ext_max = st->cycles + st->max_seq;
	expected = ext_max - st->base_seq + 1;
	lost = (int64_t)expected - (int64_t)st->received;
	exp_int = expected - st->expected_prior;
	st->expected_prior = expected;
	rec_int = st->received - st->received_prior;
	st->received_prior = st->received;
	lost_int = (int64_t)exp_int - (int64_t)rec_int;

	memset(out, 0, sizeof(*out));
	out->ssrc = st->ssrc;
	out->fraction_lost = (exp_int == 0 || lost_int <= 0) ? 0 : (uint8_t)MIN(255, (lost_int << 8) / exp_int);
	out->cumulative_lost = (int32_t)CLAMP(lost, -0x800000, 0x7fffff);
	out->ext_highest_seq = ext_max;
	out->jitter = st->jitter_q4 >> 4;
	if (st->last_sr_arrival) {
		out->lsr = st->last_sr;
		out->dlsr = (uint32_t)((now - st->last_sr_arrival) >> 16);
	}
	return 0;
}

int gw_rtcp_rtt_ms(const struct gw_rtcp_report_block *b, uint64_t now, uint32_t *rtt_ms)
{
	uint32_t a = (uint32_t)(now >> 16);
	int32_t rtt;

	if (b->lsr == 0)
		return ENODATA;
	rtt = (int32_t)(a - b->lsr - b->dlsr);
	if (rtt < 0)
		return ERANGE;
	*rtt_ms = (uint32_t)(((uint64_t)rtt * 1000) >> 16);
	return 0;
}

uint64_t gw_rtcp_ntp_from_unix_us(int64_t unix_us)
{
	uint64_t sec = (uint64_t)(unix_us / 1000000) + NTP_UNIX_OFFSET;
	uint64_t frac = ((uint64_t)(unix_us % 1000000) << 32) / 1000000;

	return (sec << 32) | frac;
}

uint64_t gw_rtcp_ntp_now(void)
{
	return gw_rtcp_ntp_from_unix_us(g_get_real_time());
}
