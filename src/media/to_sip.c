/* to_sip.c — browser -> SIP: follow the browser stream's sequence numbers,
 * rebuild lost frames (in-band FEC for the last lost frame, PLC before it),
 * decode straight to the SIP codec's rate, re-packetise at the SIP ptime with
 * the SIP leg's own timeline, and carry DTMF (relayed telephone-events and
 * digits the browser asked for with a dtmf message).
 *
 * The SIP timeline is the count of samples sent, so it never goes backwards;
 * gaps (DTX, long loss, no audio at all) move it forward by their length
 * and the next packet carries the marker bit.
 * Runs on the session's media loop; state lives in struct gw_media_to_sip.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include "gw/log.h"
#include "media/session.h"

#define IDLE_US 250000           /* no browser audio for this long: timeline runs on ticks */

void gw_media_to_sip_reset(struct gw_media_session *s)
{
	/* Keeps acc_ts (the timeline) and the event state. */
	s->ts.have = false;
	s->ts.acc_n = 0;
}

static size_t ptime_samples(const struct gw_media_session *s)
{
	return (size_t)s->cfg.sip_ptime_ms * s->pcm_rate / 1000;
}

static void send_acc(struct gw_media_session *s, size_t n)
{
	struct gw_media_to_sip *t = &s->ts;
	uint8_t out[GW_MEDIA_MAX_PKT - GW_RTP_HDR_LEN];
	size_t len = 0;

	if (gw_encoder_encode(s->senc, t->acc, n, out, sizeof(out), &len) == 0 && len)
		gw_media_send_sip(s, s->cfg.sip_pt, t->acc_ts, false, out, len);
	t->acc_ts += (uint32_t)(n / s->sip_r);
	t->acc_n -= n;
	memmove(t->acc, t->acc + n, t->acc_n * sizeof(t->acc[0]));
}

/* Send every complete SIP packet sitting in the accumulator. */
static void emit_ready(struct gw_media_session *s)
{
	size_t want = ptime_samples(s);

	while (s->ts.acc_n >= want)
		send_acc(s, want);
}

static void append(struct gw_media_session *s, const int16_t *pcm, size_t n)
{
	struct gw_media_to_sip *t = &s->ts;

	while (n) {
		size_t k = MIN(n, GW_MEDIA_ACC_MAX - t->acc_n);

		memcpy(t->acc + t->acc_n, pcm, k * sizeof(pcm[0]));
		t->acc_n += k;
		pcm += k;
		n -= k;
		emit_ready(s);
	}
}

/* Send what is buffered as a short packet, then leave a gap of @units
 * (SIP clock) in the timeline; the next packet starts a talkspurt. */
static void jump(struct gw_media_session *s, uint32_t units)
{
	if (s->ts.acc_n)
		send_acc(s, s->ts.acc_n);
	s->ts.acc_ts += units;
	gw_rtp_sender_mark(&s->sip_tx);
}

/* Browser clock units -> SIP clock units. */
static uint32_t to_sip_units(const struct gw_media_session *s, int64_t units)
{
	unsigned bclock = gw_media_codec_clock(s->cfg.browser_codec);

	return units <= 0 ? 0 : (uint32_t)(units * 8000 / bclock);
}

/* A gap in the timeline, less what idle ticks already added. */
static void jump_gap(struct gw_media_session *s, int64_t browser_units)
{
	uint32_t u = to_sip_units(s, browser_units);

	jump(s, u > s->ts.idle_units ? u - s->ts.idle_units : 0);
}

/* @lost frames are missing right before @h: conceal all but the last, and
 * rebuild the last from @h's FEC (RFC 6716 LBRR) when allowed. */
static void recover_loss(struct gw_media_session *s, uint64_t lost, const struct gw_rtp_hdr *h)
{
	struct gw_media_to_sip *t = &s->ts;
	int32_t gap = gw_rtp_ts_diff(h->ts, t->next_ts);
	int16_t pcm[GW_CODEC_MAX_FRAME];
	size_t frame = MIN(t->last_frame, (size_t)GW_CODEC_MAX_FRAME);

	s->c.browser_lost += lost;
	/* Too long to conceal usefully, or timestamps that do not match the
	 * count of lost packets: leave a gap instead. */
	if (lost > GW_MEDIA_MAX_CONCEAL || frame == 0 || gap <= 0 ||
	    (uint64_t)gap > lost * t->last_dur * 2) {
		jump_gap(s, gap > 0 ? gap : (int64_t)(lost * t->last_dur));
		return;
	}
	for (uint64_t i = 0; i + 1 < lost; i++) {
		gw_decoder_conceal(s->bdec, pcm, frame);
		s->c.plc_frames++;
		append(s, pcm, frame);
	}
	if (s->cfg.opus_fec_decode &&
	    gw_decoder_recover(s->bdec, h->payload, h->payload_len, pcm, frame))
		s->c.fec_recovered++;
	else {
		if (!s->cfg.opus_fec_decode)
			gw_decoder_conceal(s->bdec, pcm, frame);
		s->c.plc_frames++;
	}
	append(s, pcm, frame);
}

int gw_media_to_sip_audio(struct gw_media_session *s, const struct gw_rtp_hdr *h, uint64_t now_us)
{
	struct gw_media_to_sip *t = &s->ts;
	int16_t pcm[GW_CODEC_MAX_FRAME];
	uint32_t dur = gw_codec_payload_duration(s->cfg.browser_codec, h->payload, h->payload_len);
	uint64_t ext;
	size_t n = 0;
	int err;

	if (dur == 0) {
		s->c.undecodable++;
		return ENODATA;
	}
	if (!t->have || h->ssrc != t->ssrc) {
		/* New source: carry on where the timeline is, as a talkspurt. */
		if (t->have)
			jump(s, 0);
		memset(&t->seq, 0, sizeof(t->seq));
		t->ssrc = h->ssrc;
		ext = gw_rtp_seq_extend(&t->seq, h->seq);
		gw_rtp_sender_mark(&s->sip_tx);
	} else {
		ext = gw_rtp_seq_extend(&t->seq, h->seq);
		if (ext <= t->last_seq) {
			s->c.browser_late++;
			return EALREADY;
		}
		if (ext - t->last_seq > 1)
			recover_loss(s, ext - t->last_seq - 1, h);
		else if (gw_rtp_ts_diff(h->ts, t->next_ts) > 0)
			jump_gap(s, gw_rtp_ts_diff(h->ts, t->next_ts));   /* DTX pause */
	}
	t->have = true;
	t->last_seq = ext;
	t->next_ts = h->ts + dur;
	t->last_dur = dur;
	t->last_audio_us = now_us;
	t->idle_units = 0;

	err = gw_decoder_decode(s->bdec, h->payload, h->payload_len, pcm, G_N_ELEMENTS(pcm), &n);
	if (err || n == 0) {
		/* Keep the timeline whole: conceal what this packet should have held. */
		s->c.undecodable++;
		n = MIN((size_t)dur * s->browser_r_num / s->browser_r_den, G_N_ELEMENTS(pcm));
		gw_decoder_conceal(s->bdec, pcm, n);
	}
	t->last_frame = n;
	append(s, pcm, n);
	return err ? ENODATA : 0;
}

int gw_media_to_sip_event(struct gw_media_session *s, const struct gw_rtp_hdr *h, uint64_t now_us)
{
	struct gw_media_to_sip *t = &s->ts;
	struct gw_dtmf_rx *rx = s->passthrough ? &s->b2s.ev : &t->ev;
	struct gw_dtmf_done done[2];
	struct gw_dtmf_ev ev;
	uint8_t payload[4];
	unsigned res;
	int ndone;

	if (gw_dtmf_ev_parse(h->payload, h->payload_len, &ev)) {
		s->c.undecodable++;
		return ENODATA;
	}
	if (s->cfg.sip_te_pt < 0)
		return ENODATA;
	res = gw_dtmf_rx_packet(rx, h->ts, &ev, now_us, done, &ndone);
	if ((res & GW_DTMF_RX_DUP) && h->ts != rx->ts)
		return EALREADY;         /* stray packet of an older event */
	if (res & GW_DTMF_RX_NEW)
		s->c.dtmf_to_sip++;
	if (s->passthrough)
		return gw_media_relay_packet(s, &s->b2s, h, (uint8_t)s->cfg.sip_te_pt, true);
	/* Events share the audio's sequence space: a number used by an event
	 * is not a lost audio packet. */
	if (t->have && h->ssrc == t->ssrc) {
		uint64_t ext = gw_rtp_seq_extend(&t->seq, h->seq);

		if (ext > t->last_seq)
			t->last_seq = ext;
	}

	if (res & GW_DTMF_RX_NEW) {
		/* Event start on the SIP timeline: where the browser's next audio
		 * timestamp lands, shifted by how far the event is from it. */
		uint32_t now_ts = t->acc_ts + (uint32_t)(t->acc_n / s->sip_r);

		t->ev_out_ts = now_ts;
		if (t->have) {
			int32_t d = gw_rtp_ts_diff(h->ts, t->next_ts);
			unsigned bclock = gw_media_codec_clock(s->cfg.browser_codec);

			t->ev_out_ts = now_ts + (uint32_t)((int64_t)d * 8000 / (int64_t)bclock);
		}
	}
	/* (an event: its clock is not 0) */
	ev.duration = (uint16_t)MIN((uint32_t)ev.duration * 8000 / gw_media_browser_event_clock(s, h->pt),
				    0xffffu);
	gw_dtmf_ev_write(payload, &ev);
	gw_media_send_sip(s, (uint8_t)s->cfg.sip_te_pt, t->ev_out_ts, h->marker, payload, 4);
	return 0;
}

void gw_media_to_sip_tick(struct gw_media_session *s, uint64_t now_us)
{
	struct gw_media_to_sip *t = &s->ts;
	uint8_t payload[4];
	uint32_t now_ts, ev_ts;
	bool marker;

	/* Without browser audio, time still passes on the SIP timeline, so a
	 * later talkspurt or digit gets a later timestamp.  A tick may run for
	 * a slot that began before the last packet arrived: that is not idle
	 * (unsigned now - last would wrap, and SIP timestamps ran ~1.5x fast). */
	if (!s->passthrough && t->ticked && now_us > t->last_tick_us &&
	    (t->last_audio_us == 0 ||
	     (now_us > t->last_audio_us && now_us - t->last_audio_us > IDLE_US))) {
		uint32_t units = (uint32_t)((now_us - t->last_tick_us) * 8000 / 1000000);

		if (t->acc_n)
			send_acc(s, t->acc_n);
		t->acc_ts += units;
		t->idle_units += units;
	}
	t->last_tick_us = now_us;
	t->ticked = true;

	if (s->cfg.sip_te_pt < 0)
		return;
	now_ts = s->passthrough ? gw_media_relay_now_ts(&s->b2s)
				: t->acc_ts + (uint32_t)(t->acc_n / s->sip_r);
	if (!gw_dtmf_gen_busy(&s->gen))
		return;
	/* Never reuse the timestamp of an earlier digit (RFC 4733 §2.5.1.1). */
	if (gw_rtp_ts_diff(now_ts, t->gen_floor) < 0)
		now_ts = t->gen_floor;
	if (!gw_dtmf_gen_tick(&s->gen, now_ts, payload, &ev_ts, &marker))
		return;
	if (marker)
		s->c.dtmf_to_sip++;
	t->gen_floor = ev_ts + s->gen.total + 1;
	gw_media_send_sip(s, (uint8_t)s->cfg.sip_te_pt, ev_ts, marker, payload, 4);
	if (s->passthrough)
		gw_media_relay_inserted(&s->b2s);
}
