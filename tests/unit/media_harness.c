/* media_harness.c — see media_harness.h.  Uses libopus and spandsp directly
 * for the far ends, so the engine is checked against the real codecs rather
 * than against itself.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <opus/opus.h>
#include <spandsp.h>
#include "gw/obj.h"
#include "media_harness.h"

static void sink_add(struct mh_sink *s, const uint8_t *rtp, size_t len)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->p = realloc(s->p, s->cap * sizeof(*s->p));
	}
	s->p[s->n].d = malloc(len);
	memcpy(s->p[s->n].d, rtp, len);
	s->p[s->n++].len = len;
}

void mh_sink_clear(struct mh_sink *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->p[i].d);
	free(s->p);
	memset(s, 0, sizeof(*s));
}

static void to_sip(uint8_t *rtp, size_t len, size_t cap, void *arg)
{
	sink_add(&((struct mh *)arg)->sip, rtp, len);
}

static void to_browser(uint8_t *rtp, size_t len, size_t cap, void *arg)
{
	sink_add(&((struct mh *)arg)->browser, rtp, len);
}

static void on_dtmf(char digit, unsigned ms, enum gw_media_dtmf_source src, void *arg)
{
	struct mh *h = arg;

	if (h->ndigits < 64)
		h->digits[h->ndigits++] = (struct mh_digit){ digit, ms, src };
}

void mh_init(struct mh *h, const struct gw_media_config *cfg)
{
	int err;

	memset(h, 0, sizeof(*h));
	ck_assert_int_eq(gw_media_session_new(cfg, to_sip, to_browser, on_dtmf, h, &h->s), 0);
	h->opus = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
	ck_assert_ptr_nonnull(h->opus);
	opus_encoder_ctl(h->opus, OPUS_SET_BITRATE(32000));
	opus_encoder_ctl(h->opus, OPUS_SET_INBAND_FEC(1));
	opus_encoder_ctl(h->opus, OPUS_SET_PACKET_LOSS_PERC(10));
	opus_encoder_ctl(h->opus, OPUS_SET_COMPLEXITY(9));
	h->now = 1000000;
	h->bseq = 1000;
	h->bts = 123456;
	h->bssrc = 0xb0b0b0b0;
	h->sseq = 60000;
	h->sts = 0xfffff000;             /* wraps early on purpose */
	h->sssrc = 0x51951951;
}

void mh_free(struct mh *h)
{
	h->s = gw_obj_deref(h->s);
	opus_encoder_destroy(h->opus);
	if (h->g722)
		g722_encode_free(h->g722);
	mh_sink_clear(&h->sip);
	mh_sink_clear(&h->browser);
}

void mh_tick(struct mh *h)
{
	h->now += 20000;
	gw_media_session_tick(h->s, h->now);
}

size_t mh_browser_encode(struct mh *h, const int16_t *pcm48, uint8_t *out, size_t cap)
{
	opus_int32 n = opus_encode(h->opus, pcm48, 960, out, (opus_int32)cap);

	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

size_t mh_rtp(uint8_t *buf, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
	      uint32_t ssrc, const uint8_t *payload, size_t len)
{
	size_t n = gw_rtp_hdr_write(buf, 1500, pt, marker, seq, ts, ssrc);

	memcpy(buf + n, payload, len);
	return n + len;
}

int mh_from_browser(struct mh *h, uint8_t pt, bool marker, const uint8_t *payload,
		    size_t len, uint32_t ts_step)
{
	uint8_t buf[1500];
	size_t n = mh_rtp(buf, pt, marker, h->bseq++, h->bts, h->bssrc, payload, len);

	h->bts += ts_step;
	return gw_media_session_feed_from_browser(h->s, buf, n, h->now);
}

int mh_from_sip(struct mh *h, uint8_t pt, bool marker, const uint8_t *payload,
		size_t len, uint32_t ts_step)
{
	uint8_t buf[1500];
	size_t n = mh_rtp(buf, pt, marker, h->sseq++, h->sts, h->sssrc, payload, len);

	h->sts += ts_step;
	return gw_media_session_feed_from_sip(h->s, buf, n, h->now);
}

size_t mh_decode_sink(const struct mh_sink *sink, uint8_t pt, enum gw_media_codec codec,
		      unsigned rate, struct ma_buf *out)
{
	OpusDecoder *od = NULL;
	g711_state_t *g711 = NULL;
	g722_decode_state_t *g722 = NULL;
	size_t count = 0;
	uint32_t ssrc = 0, next_ts = 0;
	uint16_t next_seq = 0;
	bool first = true;
	int err;

	if (codec == GW_MEDIA_CODEC_OPUS)
		od = opus_decoder_create((opus_int32)rate, 1, &err);
	else if (codec == GW_MEDIA_CODEC_G722)
		g722 = g722_decode_init(NULL, 64000, rate == 8000 ? G722_SAMPLE_RATE_8000 : 0);
	else
		g711 = g711_init(NULL, codec == GW_MEDIA_CODEC_PCMU ? G711_ULAW : G711_ALAW);

	for (size_t i = 0; i < sink->n; i++) {
		struct gw_rtp_hdr hd;
		int16_t pcm[5760];
		int n = 0;
		uint32_t dur;

		ck_assert_int_eq(gw_rtp_parse(sink->p[i].d, sink->p[i].len, &hd), 0);
		if (!first) {
			ck_assert_uint_eq(hd.ssrc, ssrc);
			ck_assert_uint_eq(hd.seq, next_seq);
		}
		next_seq = (uint16_t)(hd.seq + 1);
		ssrc = hd.ssrc;
		if (hd.pt != pt) {
			first = false;
			continue;
		}
		if (od) {
			n = opus_decode(od, hd.payload, (opus_int32)hd.payload_len, pcm, 5760, 0);
			dur = (uint32_t)opus_packet_get_nb_samples(hd.payload, (opus_int32)hd.payload_len, 48000);
		} else if (g722) {
			n = g722_decode(g722, pcm, hd.payload, (int)hd.payload_len);
			dur = (uint32_t)hd.payload_len;
		} else {
			n = g711_decode(g711, pcm, hd.payload, (int)hd.payload_len);
			dur = (uint32_t)hd.payload_len;
		}
		ck_assert_int_gt(n, 0);
		/* Timestamps advance by exactly the audio sent, except where a
		 * talkspurt starts (marker), and never go backwards. */
		if (count && !hd.marker)
			ck_assert_uint_eq(hd.ts, next_ts);
		if (count)
			ck_assert_int_ge(gw_rtp_ts_diff(hd.ts, next_ts), 0);
		next_ts = hd.ts + dur;
		ma_buf_add(out, pcm, (size_t)n);
		count++;
		first = false;
	}
	if (od)
		opus_decoder_destroy(od);
	if (g722)
		g722_decode_free(g722);
	if (g711)
		g711_free(g711);
	return count;
}

size_t mh_payload_bytes(const struct mh_sink *sink, uint8_t pt, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < sink->n; i++) {
		struct gw_rtp_hdr hd;

		ck_assert_int_eq(gw_rtp_parse(sink->p[i].d, sink->p[i].len, &hd), 0);
		if (hd.pt != pt || n + hd.payload_len > cap)
			continue;
		memcpy(out + n, hd.payload, hd.payload_len);
		n += hd.payload_len;
	}
	return n;
}

size_t mh_encode(struct mh *h, enum gw_media_codec codec, const int16_t *pcm, size_t n,
		 uint8_t *out)
{
	size_t len;

	if (codec == GW_MEDIA_CODEC_G722) {
		if (!h->g722)
			h->g722 = g722_encode_init(NULL, 64000, 0);
		len = (size_t)g722_encode(h->g722, out, pcm, (int)n);
	} else {
		g711_state_t *g = g711_init(NULL, codec == GW_MEDIA_CODEC_PCMU ? G711_ULAW : G711_ALAW);

		len = (size_t)g711_encode(g, out, pcm, (int)n);
		g711_free(g);
	}
	return len;
}
