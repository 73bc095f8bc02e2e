/* passthrough.c — relay of unchanged payloads when both legs negotiated the
 * same codec (media.passthrough = true).  Only the header is rewritten: the
 * outgoing leg's own SSRC, sequence numbers shifted by a constant (so gaps
 * and order stay visible to the far end) and timestamps shifted by a
 * constant, rebased when the source changes SSRC (marker set).
 * Runs on the session's media loop; owns nothing.
 */
#include <errno.h>
#include <string.h>
#include "media/session.h"

void gw_media_relay_reset(struct gw_media_relay *r)
{
	/* Keep out_end so the outgoing timeline stays monotonic. */
	r->have = false;
}

uint32_t gw_media_relay_now_ts(const struct gw_media_relay *r)
{
	return r->out_end;
}

void gw_media_relay_inserted(struct gw_media_relay *r)
{
	/* A generated packet took the next sequence number. */
	r->seq_delta++;
}

int gw_media_relay_packet(struct gw_media_session *s, struct gw_media_relay *r,
			  const struct gw_rtp_hdr *h, uint8_t out_pt, bool to_sip)
{
	struct gw_rtp_sender *tx = to_sip ? &s->sip_tx : &s->browser_tx;
	enum gw_media_codec codec = to_sip ? s->cfg.browser_codec : s->cfg.sip_codec;
	bool audio = out_pt == (to_sip ? s->cfg.sip_pt : s->cfg.browser_pt);
	uint16_t next_seq, out_seq;
	uint32_t out_ts, dur;

	if (!r->have || h->ssrc != r->in_ssrc) {
		r->have = true;
		r->in_ssrc = h->ssrc;
		r->in_base = h->ts;
		r->out_base = r->out_end;
		r->seq_delta = (uint16_t)(tx->seq - h->seq);
		gw_rtp_sender_mark(tx);
	}
	out_ts = r->out_base + (h->ts - r->in_base);
	out_seq = (uint16_t)(h->seq + r->seq_delta);
	dur = audio ? gw_codec_payload_duration(codec, h->payload, h->payload_len) : 0;

	next_seq = tx->seq;
	tx->seq = out_seq;
	if (to_sip)
		gw_media_send_sip(s, out_pt, out_ts, h->marker, h->payload, h->payload_len);
	else
		gw_media_send_browser(s, out_pt, out_ts, h->marker, h->payload, h->payload_len);
	/* A reordered (older) packet must not pull the next number back. */
	if (!gw_rtp_seq_newer(tx->seq, next_seq))
		tx->seq = next_seq;
	if (gw_rtp_ts_diff(out_ts + dur, r->out_end) > 0)
		r->out_end = out_ts + dur;
	return 0;
}
