/* to_browser.c — SIP -> browser: packets go into the jitter buffer; every
 * 20 ms one frame is played out of it (re-framing any SIP ptime into 20 ms:
 * packets are decoded into a FIFO and cut at frame edges), gaps are
 * concealed (spandsp PLC) or filled with comfort noise after a CN packet
 * (RFC 3389), in-band DTMF is detected, delay above the jitter buffer's
 * target is shed (silent frames dropped, other audio shortened by pitch
 * periods), and the frame is encoded (Opus on the 48 kHz clock) toward the
 * browser.  RFC 4733 events from SIP are relayed on
 * the browser clock and reported once per digit.
 * Runs on the session's media loop; state lives in struct gw_media_to_browser.
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib.h>
#include <spandsp.h>
#include "gw/log.h"
#include "media/accelerate.h"
#include "media/session.h"

#define FRAME_UNITS     160      /* 20 ms on the 8 kHz SIP clock */
#define SILENCE_RMS     100      /* about -50 dBov: safe to skip to cut delay */
#define COUNTED_CONCEAL 5        /* longer gaps are silence, not concealment */
#define DTMF_TIMEOUT_US 1000000  /* event without end packets: over after 1 s */
#define ACCEL_SHARE     4        /* cut at most a quarter frame per frame played:
				  * a fifth of the audio, 25% faster */

void gw_media_to_browser_reset(struct gw_media_session *s)
{
	/* Keeps out_ts (the browser timeline) and the event state. */
	s->tb.fifo_n = 0;
	s->tb.fifo_valid = false;
	s->tb.cn_active = false;
	s->tb.conceal_run = 0;
	s->tb.anchored = false;
	s->tb.have_ssrc = false;
	s->tb.pend_n = 0;
	s->tb.accel = false;
	s->tb.accel_budget = 0;
}

void gw_media_to_browser_free(struct gw_media_session *s)
{
	if (s->tb.cn)
		awgn_free((awgn_state_t *)s->tb.cn);
	s->tb.cn = NULL;
}

int gw_media_to_browser_put(struct gw_media_session *s, const struct gw_rtp_hdr *h, uint64_t now_us)
{
	struct gw_media_to_browser *t = &s->tb;
	bool cn = s->cfg.sip_cn_pt >= 0 && h->pt == s->cfg.sip_cn_pt;
	uint32_t dur = cn ? 0 : gw_codec_payload_duration(s->cfg.sip_codec, h->payload, h->payload_len);
	int err;

	if (!cn && dur == 0) {
		s->c.undecodable++;
		return ENODATA;
	}
	if (!t->have_ssrc || h->ssrc != t->ssrc) {
		if (t->have_ssrc)
			gw_jitter_reset(s->jb);  /* new source, new timeline */
		t->have_ssrc = true;
		t->ssrc = h->ssrc;
	}
	err = gw_jitter_put(s->jb, h->ts, h->seq, h->pt, h->marker, h->payload,
			    h->payload_len, dur, now_us);
	switch (err) {
	case 0:
		return 0;
	case ETIME:                      /* counted by the jitter buffer */
	case EALREADY:
		return EALREADY;
	default:
		s->c.undecodable++;
		return ENODATA;
	}
}

/* Fill @n samples of a gap: comfort noise after CN, else concealment. */
static void fill_gap(struct gw_media_session *s, int16_t *pcm, size_t n)
{
	struct gw_media_to_browser *t = &s->tb;

	if (t->cn_active && t->cn) {
		for (size_t i = 0; i < n; i++)
			pcm[i] = awgn((awgn_state_t *)t->cn);
	} else if (t->cn_active) {
		memset(pcm, 0, n * sizeof(pcm[0]));
	} else {
		gw_decoder_conceal(s->sdec, pcm, n);
	}
}

/* RFC 3389 §3: the first byte is the noise level in -dBov. */
static void start_cn(struct gw_media_session *s, const struct gw_jitter_pkt *p)
{
	struct gw_media_to_browser *t = &s->tb;
	int level = p->len ? (p->data[0] & 0x7f) : 127;

	if (!t->cn || level != t->cn_level) {
		t->cn = (struct awgn_state_s *)awgn_init_dbov((awgn_state_t *)t->cn, 4733,
							       (float)-level);
		t->cn_level = level;
	}
	t->cn_active = true;
}

/* Decode packets into the FIFO until it holds the frame [p, p+F); returns
 * true when part of it had to be concealed. */
static bool fill_fifo(struct gw_media_session *s, int64_t p)
{
	struct gw_media_to_browser *t = &s->tb;
	const size_t r = s->sip_r, want = FRAME_UNITS * r;
	int16_t pcm[GW_JITTER_MAX_PAYLOAD * 2];
	bool concealed = false;

	if (!t->fifo_valid || t->epoch != gw_jitter_epoch(s->jb) || t->fifo_ts > p) {
		/* A new stream: what is pending still plays, nothing of it is
		 * shed on the old stream's account. */
		t->accel = false;
		t->accel_budget = 0;
		t->fifo_valid = true;
		t->epoch = gw_jitter_epoch(s->jb);
		t->fifo_n = 0;
		t->fifo_ts = p;
	}
	if (t->fifo_ts < p) {            /* frames were skipped */
		size_t drop = MIN((size_t)(p - t->fifo_ts) * r, t->fifo_n);

		t->fifo_n -= drop;
		memmove(t->fifo, t->fifo + drop, t->fifo_n * sizeof(t->fifo[0]));
		t->fifo_ts = p;
	}
	while (t->fifo_n < want) {
		int64_t pos = t->fifo_ts + (int64_t)(t->fifo_n / r);
		const struct gw_jitter_pkt *pk = gw_jitter_take(s->jb, pos, p + FRAME_UNITS);
		size_t n = 0, skip;

		if (!pk) {
			fill_gap(s, t->fifo + t->fifo_n, want - t->fifo_n);
			concealed |= !t->cn_active;
			t->fifo_n = want;
			break;
		}
		if (pk->ext > pos) {
			size_t gap = (size_t)(pk->ext - pos) * r;

			fill_gap(s, t->fifo + t->fifo_n, gap);
			concealed |= !t->cn_active;
			t->fifo_n += gap;
			pos = pk->ext;
		}
		if (s->cfg.sip_cn_pt >= 0 && pk->pt == s->cfg.sip_cn_pt) {
			start_cn(s, pk);
			continue;
		}
		if (gw_decoder_decode(s->sdec, pk->data, pk->len, pcm, G_N_ELEMENTS(pcm), &n)) {
			s->c.undecodable++;
			continue;                /* the next round conceals it */
		}
		t->cn_active = false;
		/* Partly played already (its start was concealed): keep the rest. */
		skip = MIN((size_t)(pos - pk->ext) * r, n);
		n = MIN(n - skip, G_N_ELEMENTS(t->fifo) - t->fifo_n);
		memcpy(t->fifo + t->fifo_n, pcm + skip, n * sizeof(pcm[0]));
		t->fifo_n += n;
	}
	return concealed;
}

static void detect_inband(struct gw_media_session *s, const int16_t *pcm, size_t n)
{
	int16_t narrow[FRAME_UNITS];

	/* A trunk that sends RFC 4733 usually leaves the tone in the audio
	 * too: once it has, digits are reported from the out-of-band signal
	 * only, and the detector is not fed at all. */
	if (!s->det || s->tb.rfc4733_seen)
		return;
	if (s->sip_r == 1) {
		gw_dtmf_detect_feed(s->det, pcm, n);
		return;
	}
	/* 16 kHz: average pairs down to 8 kHz; DTMF tones sit below 1.7 kHz,
	 * far from where this crude low-pass folds anything back. */
	for (size_t i = 0; i < FRAME_UNITS; i++)
		narrow[i] = (int16_t)(((int)pcm[2 * i] + pcm[2 * i + 1]) / 2);
	gw_dtmf_detect_feed(s->det, narrow, FRAME_UNITS);
}

static void count_conceal(struct gw_media_session *s, bool concealed)
{
	if (!concealed) {
		s->tb.conceal_run = 0;
		return;
	}
	if (++s->tb.conceal_run <= COUNTED_CONCEAL)
		s->c.jb_concealed++;
}

/* Take the frame [p, p+F) out of the FIFO and append it to the pending
 * output; counts it when part of it had to be concealed. */
static void assemble(struct gw_media_session *s, int64_t p)
{
	struct gw_media_to_browser *t = &s->tb;
	const size_t want = FRAME_UNITS * s->sip_r;
	bool concealed = fill_fifo(s, p);

	if (G_UNLIKELY(t->pend_n + want > GW_MEDIA_PEND_MAX)) {
		g_warn_if_reached();     /* cannot happen: see play() */
		t->pend_n = 0;
	}
	memcpy(t->pend + t->pend_n, t->fifo, want * sizeof(t->fifo[0]));
	/* Digits are heard in the audio as sent, before any of it is shortened. */
	detect_inband(s, t->pend + t->pend_n, want);
	t->pend_n += want;
	t->fifo_n -= want;
	memmove(t->fifo, t->fifo + want, t->fifo_n * sizeof(t->fifo[0]));
	t->fifo_ts += FRAME_UNITS;
	count_conceal(s, concealed);
}

static bool is_silent(const struct gw_media_session *s, const int16_t *pcm, size_t n)
{
	double e = 0;

	if (s->tb.cn_active)
		return true;
	for (size_t i = 0; i < n; i++)
		e += (double)pcm[i] * pcm[i];
	return sqrt(e / (double)n) < SILENCE_RMS;
}

/* Shorten the pending audio by a pitch period when the budget allows (it
 * grows by a quarter frame a tick up to one longest period; a cut spends
 * it, and so does a search that found nothing to cut, so loud noise costs
 * one search every third tick).  Takes the next frame first when the
 * pending audio is shorter than the search window, and again when the cut
 * left less than a frame.  Returns the start of the last frame taken (@p
 * when none). */
static int64_t shorten(struct gw_media_session *s, int64_t p)
{
	struct gw_media_to_browser *t = &s->tb;
	const unsigned rate = 8000 * s->sip_r;
	const size_t n = FRAME_UNITS * s->sip_r, win = gw_accelerate_window(rate);
	size_t cut;

	t->accel_budget = MIN(t->accel_budget + n / ACCEL_SHARE, win / 2);
	if (t->accel_budget < win / 2)
		return p;
	if (t->pend_n < win)
		assemble(s, p = gw_jitter_skip(s->jb));
	cut = gw_accelerate(t->pend, t->pend_n, rate);
	t->pend_n -= cut;
	t->accel_cut += cut / s->sip_r;
	t->accel_budget = cut ? t->accel_budget - cut : 0;
	if (t->pend_n < n)
		assemble(s, p = gw_jitter_skip(s->jb));
	return p;
}

/* Play the frame at @p, which the jitter buffer found @excess clock units
 * later than its target; with the carry-over that is the delay to shed:
 * from 2 frames over, silent frames are dropped whole and other audio is
 * shortened until it is back within a frame.  Leaves at least one frame
 * pending. */
static void play(struct gw_media_session *s, int64_t p, unsigned excess)
{
	struct gw_media_to_browser *t = &s->tb;
	const size_t n = FRAME_UNITS * s->sip_r, c0 = t->pend_n;
	const size_t over = excess + c0 / s->sip_r;

	assemble(s, p);
	if (over >= 2 * FRAME_UNITS)
		t->accel = true;
	else if (over < FRAME_UNITS)
		t->accel = false;
	if (!t->accel) {
		t->accel_budget = 0;
	} else if (over >= 2 * FRAME_UNITS && is_silent(s, t->pend + c0, n)) {
		t->pend_n = c0;
		assemble(s, p = gw_jitter_skip(s->jb));
		s->c.jb_shrunk++;
	} else {
		p = shorten(s, p);
	}
	/* pend[0] plays what the SIP side timed this far before p's end. */
	t->anchored = true;
	t->anchor_in = (uint32_t)(p + FRAME_UNITS - (int64_t)(t->pend_n / s->sip_r));
	t->anchor_out = t->out_ts;
}

void gw_media_to_browser_frame(struct gw_media_session *s, uint64_t now_us)
{
	struct gw_media_to_browser *t = &s->tb;
	const size_t n = FRAME_UNITS * s->sip_r;
	const uint32_t out_units = gw_media_codec_clock(s->cfg.browser_codec) * GW_MEDIA_FRAME_MS / 1000;
	uint8_t out[GW_MEDIA_MAX_PKT - GW_RTP_HDR_LEN];
	size_t len = 0;
	unsigned excess = 0;
	int64_t p = 0;

	switch (gw_jitter_tick(s->jb, now_us, &p, &excess)) {
	case GW_JITTER_WAIT:
		/* Nothing to send; time still runs on the browser timeline. */
		if (t->started) {
			t->out_ts += out_units;
			gw_rtp_sender_mark(&s->browser_tx);
		}
		return;
	case GW_JITTER_STALL:
		/* What is pending plays first; concealment continues it. */
		if (t->pend_n < n) {
			fill_gap(s, t->pend + t->pend_n, n - t->pend_n);
			count_conceal(s, !t->cn_active);
			t->pend_n = n;
		}
		break;
	case GW_JITTER_PLAY:
		play(s, p, excess);
		break;
	}
	if (gw_encoder_encode(s->benc, t->pend, n, out, sizeof(out), &len) == 0 && len) {
		gw_media_send_browser(s, s->cfg.browser_pt, t->out_ts, false, out, len);
		s->c.overload_frames += s->overloaded;
	}
	t->pend_n -= n;
	memmove(t->pend, t->pend + n, t->pend_n * sizeof(t->pend[0]));
	t->started = true;
	t->out_ts += out_units;
}

int gw_media_to_browser_event(struct gw_media_session *s, const struct gw_rtp_hdr *h, uint64_t now_us)
{
	struct gw_media_to_browser *t = &s->tb;
	unsigned bclock = gw_media_codec_clock(s->cfg.browser_codec);
	struct gw_dtmf_done done[2];
	struct gw_dtmf_ev ev;
	uint8_t payload[4];
	unsigned res;
	int ndone;

	if (gw_dtmf_ev_parse(h->payload, h->payload_len, &ev)) {
		s->c.undecodable++;
		return ENODATA;
	}
	t->rfc4733_seen = true;
	res = gw_dtmf_rx_packet(&t->ev, h->ts, &ev, now_us, done, &ndone);
	for (int i = 0; i < ndone; i++) {
		if (!done[i].digit)
			continue;
		s->c.dtmf_from_sip++;
		gw_media_report_dtmf(s, done[i].digit, done[i].duration / 8, GW_MEDIA_DTMF_RFC4733);
	}
	if ((res & GW_DTMF_RX_DUP) && h->ts != t->ev.ts)
		return EALREADY;
	if (s->cfg.browser_te_pt < 0)
		return 0;
	if (s->passthrough)
		return gw_media_relay_packet(s, &s->s2b, h, (uint8_t)s->cfg.browser_te_pt, false);

	if (res & GW_DTMF_RX_NEW) {
		/* Place the event where its SIP timestamp falls on the browser
		 * timeline, using the frame last played as the reference. */
		t->ev_out_ts = t->out_ts;
		if (t->anchored)
			t->ev_out_ts = t->anchor_out +
				(uint32_t)((int64_t)gw_rtp_ts_diff(h->ts, t->anchor_in) * bclock / 8000);
	}
	ev.duration = (uint16_t)MIN((uint32_t)ev.duration * bclock / 8000, 0xffffu);
	gw_dtmf_ev_write(payload, &ev);
	gw_media_send_browser(s, (uint8_t)s->cfg.browser_te_pt, t->ev_out_ts, h->marker, payload, 4);
	return 0;
}

void gw_media_to_browser_expire(struct gw_media_session *s, uint64_t now_us)
{
	struct gw_dtmf_done done;

	if (gw_dtmf_rx_expire(&s->tb.ev, now_us, DTMF_TIMEOUT_US, &done) && done.digit) {
		s->c.dtmf_from_sip++;
		gw_media_report_dtmf(s, done.digit, done.duration / 8, GW_MEDIA_DTMF_RFC4733);
	}
}
