/* transcode.c — the per-call media session (gw/media.h): configuration,
 * codec set-up, the entry points that classify fed packets and hand them to
 * the direction stages (to_sip.c, to_browser.c, passthrough.c), the 20 ms
 * schedule, hold, re-INVITE codec changes and counters.
 *
 * One session per call, on that call's media loop; it owns every codec
 * state, the jitter buffer and the DTMF detector, freed by its destructor.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include "gw/log.h"
#include "gw/obj.h"
#include "media/session.h"

void gw_media_config_init(struct gw_media_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->browser_codec = GW_MEDIA_CODEC_OPUS;
	cfg->browser_pt = 111;
	cfg->browser_te_pt = 101;
	cfg->browser_te8_pt = -1;
	cfg->sip_codec = GW_MEDIA_CODEC_PCMU;
	cfg->sip_pt = 0;
	cfg->sip_ptime_ms = 20;
	cfg->sip_te_pt = 101;
	cfg->sip_cn_pt = 13;
	cfg->opus.complexity = GW_MEDIA_OPUS_COMPLEXITY_DEFAULT;
	cfg->opus.bitrate = GW_MEDIA_OPUS_BITRATE_DEFAULT;
	cfg->opus.fec = true;
	cfg->opus.loss_pct = GW_MEDIA_OPUS_LOSS_DEFAULT;
	cfg->opus.dtx = false;
	cfg->opus_fec_decode = true;
	cfg->jitter_max_ms = GW_MEDIA_JITTER_MAX_DEFAULT;
	cfg->jitter_start_ms = GW_MEDIA_JITTER_START_DEFAULT;
	cfg->passthrough = false;
	cfg->inband_dtmf = true;
	cfg->opus_overload_complexity = GW_MEDIA_OVERLOAD_COMPLEXITY_DEFAULT;
	cfg->overload_late_ms = GW_MEDIA_OVERLOAD_LATE_MS_DEFAULT;
}

static bool is_sip_codec(enum gw_media_codec c)
{
	return c == GW_MEDIA_CODEC_PCMU || c == GW_MEDIA_CODEC_PCMA || c == GW_MEDIA_CODEC_G722;
}

static bool pt_ok(int pt, bool optional)
{
	return (optional && pt == -1) || (pt >= 0 && pt <= 127);
}

/* Can audio cross between the two codecs without a resampler? */
static bool bridgeable(enum gw_media_codec browser, enum gw_media_codec sip)
{
	return browser == GW_MEDIA_CODEC_OPUS || browser == sip ||
	       gw_codec_pcm_rate(browser, sip) == gw_codec_pcm_rate(sip, browser);
}

static bool sip_side_ok(enum gw_media_codec codec, int pt, unsigned ptime, int te_pt)
{
	return is_sip_codec(codec) && pt_ok(pt, false) && pt_ok(te_pt, true) &&
	       GW_MEDIA_PTIME_OK(ptime);
}

static int config_check(const struct gw_media_config *cfg)
{
	if (!sip_side_ok(cfg->sip_codec, cfg->sip_pt, cfg->sip_ptime_ms, cfg->sip_te_pt) ||
	    !pt_ok(cfg->sip_cn_pt, true) || !pt_ok(cfg->browser_pt, false) ||
	    !pt_ok(cfg->browser_te_pt, true) || !pt_ok(cfg->browser_te8_pt, true) ||
	    !(cfg->browser_codec == GW_MEDIA_CODEC_OPUS || is_sip_codec(cfg->browser_codec)) ||
	    !bridgeable(cfg->browser_codec, cfg->sip_codec) ||
	    cfg->jitter_max_ms < 20 || cfg->jitter_max_ms > 2000 || cfg->jitter_start_ms > 2000 ||
	    cfg->opus_overload_complexity < -1 || cfg->opus_overload_complexity > 10 ||
	    cfg->overload_late_ms < 1 || cfg->overload_late_ms > 100)
		return EINVAL;
	if (cfg->browser_codec == GW_MEDIA_CODEC_OPUS && !gw_opus_cfg_valid(&cfg->opus))
		return EINVAL;
	return 0;
}

struct codec_set {
	struct gw_decoder *bdec, *sdec;
	struct gw_encoder *senc, *benc;
};

/* The session's four coders as a set (borrowed). */
static struct codec_set codecs_of(const struct gw_media_session *s)
{
	return (struct codec_set){ s->bdec, s->sdec, s->senc, s->benc };
}

/* µs the set's coders have spent working so far. */
static uint64_t codec_set_busy_us(const struct codec_set *cs)
{
	return (gw_decoder_busy_ns(cs->bdec) + gw_decoder_busy_ns(cs->sdec) +
		gw_encoder_busy_ns(cs->senc) + gw_encoder_busy_ns(cs->benc)) / 1000;
}

static void codec_set_free(struct codec_set *cs)
{
	gw_decoder_free(cs->bdec);
	gw_decoder_free(cs->sdec);
	gw_encoder_free(cs->senc);
	gw_encoder_free(cs->benc);
	memset(cs, 0, sizeof(*cs));
}

/* Build the four coders for @cfg (nothing for passthrough). */
static int codec_set_new(const struct gw_media_config *cfg, bool passthrough,
			 unsigned pcm_rate, struct codec_set *out)
{
	struct codec_set cs = { 0 };
	int err = 0;

	if (passthrough)
		goto out;
	if ((err = gw_decoder_new(cfg->browser_codec, pcm_rate, &cs.bdec)) ||
	    (err = gw_encoder_new(cfg->sip_codec, pcm_rate, NULL, &cs.senc)) ||
	    (err = gw_decoder_new(cfg->sip_codec, pcm_rate, &cs.sdec)) ||
	    (err = gw_encoder_new(cfg->browser_codec, pcm_rate, &cfg->opus, &cs.benc)))
		codec_set_free(&cs);
out:
	if (!err)
		*out = cs;
	return err;
}

/* Derived values that follow from the codecs in s->cfg. */
static void apply_rates(struct gw_media_session *s)
{
	unsigned bclock = gw_media_codec_clock(s->cfg.browser_codec);

	s->pcm_rate = gw_codec_pcm_rate(s->cfg.sip_codec, s->cfg.browser_codec);
	s->sip_r = s->pcm_rate / 8000;
	s->browser_r_num = s->pcm_rate;
	s->browser_r_den = bclock;
}

static void session_destroy(void *obj)
{
	struct gw_media_session *s = obj;
	struct codec_set cs = codecs_of(s);

	codec_set_free(&cs);
	gw_jitter_free(s->jb);
	gw_dtmf_detect_free(s->det);
	gw_media_to_browser_free(s);
	g_free(s->log_ctx);
}

static void inband_digit(char digit, unsigned duration_ms, void *arg)
{
	struct gw_media_session *s = arg;

	s->c.dtmf_inband++;
	gw_media_report_dtmf(s, digit, duration_ms, GW_MEDIA_DTMF_INBAND);
}

/* Relay payloads unchanged only with the same codec on both legs and the
 * trunk's ptime equal to the browser's 20 ms frames; another ptime goes
 * through the pipeline, which re-frames it (a trunk that asked for
 * a=ptime:30 gets 30 ms packets). */
static bool can_pass(const struct gw_media_config *cfg, enum gw_media_codec sip_codec,
		     unsigned sip_ptime_ms)
{
	return cfg->passthrough && cfg->browser_codec == sip_codec &&
	       sip_ptime_ms == GW_MEDIA_FRAME_MS;
}

int gw_media_session_new(const struct gw_media_config *cfg,
			 gw_media_send_h *to_sip, gw_media_send_h *to_browser,
			 gw_media_dtmf_h *dtmf, void *arg,
			 struct gw_media_session **out)
{
	struct gw_media_session *s;
	struct codec_set cs;
	int err;

	if (!cfg || !to_sip || !to_browser || !out || config_check(cfg))
		return EINVAL;
	s = gw_obj_alloc(sizeof(*s), session_destroy);
	s->cfg = *cfg;
	s->log_ctx = g_strdup(cfg->log_ctx);
	s->cfg.log_ctx = s->log_ctx;
	s->to_sip_h = to_sip;
	s->to_browser_h = to_browser;
	s->dtmf_h = dtmf;
	s->arg = arg;
	s->passthrough = can_pass(cfg, cfg->sip_codec, cfg->sip_ptime_ms);
	apply_rates(s);

	err = codec_set_new(&s->cfg, s->passthrough, s->pcm_rate, &cs);
	if (err) {
		gw_error(s->log_ctx, "media: cannot set up %s <-> %s",
			 gw_media_codec_name(cfg->browser_codec), gw_media_codec_name(cfg->sip_codec));
		goto out;
	}
	s->bdec = cs.bdec;
	s->sdec = cs.sdec;
	s->senc = cs.senc;
	s->benc = cs.benc;
	if ((err = gw_jitter_new(8000, GW_MEDIA_FRAME_MS, cfg->jitter_start_ms, cfg->jitter_max_ms,
				 &s->jb)))
		goto out;
	if (cfg->inband_dtmf && (err = gw_dtmf_detect_new(inband_digit, s, &s->det)))
		goto out;
	gw_rtp_sender_init(&s->sip_tx, 8000);
	gw_rtp_sender_init(&s->browser_tx, gw_media_codec_clock(cfg->browser_codec));
	gw_dtmf_gen_init(&s->gen, 8000);
	gw_media_to_sip_reset(s);
	gw_media_to_browser_reset(s);
	gw_media_relay_reset(&s->b2s);
	gw_media_relay_reset(&s->s2b);
	gw_debug(s->log_ctx, "media: %s <-> %s/%u ms%s", gw_media_codec_name(cfg->browser_codec),
		 gw_media_codec_name(cfg->sip_codec), cfg->sip_ptime_ms,
		 s->passthrough ? " (passthrough)" : "");
out:
	if (err) {
		gw_obj_deref(s);
		return err;
	}
	*out = s;
	return 0;
}

/* Write one packet of @tx into s->pkt (leaving GW_MEDIA_SEND_ROOM), count
 * it and hand it to @h. */
static void send_packet(struct gw_media_session *s, struct gw_rtp_sender *tx,
			uint64_t *packets, uint64_t *bytes, gw_media_send_h *h, uint8_t pt,
			uint32_t media_ts, bool marker, const uint8_t *payload, size_t len)
{
	size_t n = gw_rtp_sender_write(tx, s->pkt, sizeof(s->pkt) - GW_MEDIA_SEND_ROOM, pt,
				       media_ts, marker, payload, len);

	if (!n)
		return;
	(*packets)++;
	*bytes += n;
	h(s->pkt, n, sizeof(s->pkt), s->arg);
}

void gw_media_send_sip(struct gw_media_session *s, uint8_t pt, uint32_t media_ts,
		       bool marker, const uint8_t *payload, size_t len)
{
	send_packet(s, &s->sip_tx, &s->c.sip_tx_packets, &s->c.sip_tx_bytes, s->to_sip_h, pt,
		    media_ts, marker, payload, len);
}

void gw_media_send_browser(struct gw_media_session *s, uint8_t pt, uint32_t media_ts,
			   bool marker, const uint8_t *payload, size_t len)
{
	send_packet(s, &s->browser_tx, &s->c.browser_tx_packets, &s->c.browser_tx_bytes,
		    s->to_browser_h, pt, media_ts, marker, payload, len);
}

void gw_media_report_dtmf(struct gw_media_session *s, char digit, unsigned duration_ms,
			  enum gw_media_dtmf_source src)
{
	gw_debug(s->log_ctx, "media: DTMF %c %u ms from SIP (%s)", digit, duration_ms,
		 src == GW_MEDIA_DTMF_INBAND ? "in-band" : "RFC 4733");
	if (s->dtmf_h && digit)
		s->dtmf_h(digit, duration_ms, src, s->arg);
}

/* Parse and count; 0 or EBADMSG. */
static int parse_counted(struct gw_media_session *s, const uint8_t *rtp, size_t len,
			 struct gw_rtp_hdr *h, const char *leg)
{
	int err = gw_rtp_parse(rtp, len, h);

	if (err) {
		s->c.malformed++;
		gw_debug(s->log_ctx, "media: dropped RTP from %s: %s", leg, gw_rtp_strerror(err));
		return EBADMSG;
	}
	return 0;
}

int gw_media_session_feed_from_browser(struct gw_media_session *s,
				       const uint8_t *rtp, size_t len, uint64_t now_us)
{
	struct gw_rtp_hdr h;
	bool te;

	s->c.browser_rx_packets++;
	s->c.browser_rx_bytes += len;
	if (parse_counted(s, rtp, len, &h, "browser"))
		return EBADMSG;
	te = gw_media_browser_event_clock(s, h.pt) != 0;
	if (h.pt != s->cfg.browser_pt && !te) {
		s->c.unknown_pt++;
		return ENOENT;
	}
	if (s->hold)
		return ENODATA;
	if (s->passthrough) {
		if (te && s->cfg.sip_te_pt < 0)
			return ENODATA;
		return gw_media_relay_packet(s, &s->b2s, &h,
					     te ? (uint8_t)s->cfg.sip_te_pt : s->cfg.sip_pt, true);
	}
	return te ? gw_media_to_sip_event(s, &h, now_us) : gw_media_to_sip_audio(s, &h, now_us);
}

int gw_media_session_feed_from_sip(struct gw_media_session *s,
				   const uint8_t *rtp, size_t len, uint64_t now_us)
{
	struct gw_rtp_hdr h;
	bool te, cn;

	s->c.sip_rx_packets++;
	s->c.sip_rx_bytes += len;
	if (parse_counted(s, rtp, len, &h, "SIP"))
		return EBADMSG;
	te = s->cfg.sip_te_pt >= 0 && h.pt == s->cfg.sip_te_pt;
	cn = s->cfg.sip_cn_pt >= 0 && h.pt == s->cfg.sip_cn_pt;
	if (h.pt != s->cfg.sip_pt && !te && !cn) {
		s->c.unknown_pt++;
		return ENOENT;
	}
	if (cn)
		s->c.cn_packets++;
	if (s->hold)
		return ENODATA;
	if (te)
		return gw_media_to_browser_event(s, &h, now_us);
	if (s->passthrough) {
		/* The browser leg did not negotiate CN: the gap is its silence. */
		if (cn)
			return 0;
		return gw_media_relay_packet(s, &s->s2b, &h, s->cfg.browser_pt, false);
	}
	return gw_media_to_browser_put(s, &h, now_us);
}

static void play_slot(struct gw_media_session *s, uint64_t slot_us)
{
	if (s->hold) {
		/* Time runs on for the browser timeline while nothing is sent. */
		if (!s->passthrough && s->tb.started)
			s->tb.out_ts += gw_media_codec_clock(s->cfg.browser_codec) * GW_MEDIA_FRAME_MS / 1000;
		return;
	}
	if (!s->passthrough)
		gw_media_to_browser_frame(s, slot_us);
	gw_media_to_sip_tick(s, slot_us);
	gw_media_to_browser_expire(s, slot_us);
}

void gw_media_session_tick(struct gw_media_session *s, uint64_t now_us)
{
	const uint64_t frame_us = GW_MEDIA_FRAME_MS * 1000;
	unsigned n = 0;

	/* Frames follow the wall clock, not the tick count: a late tick plays
	 * the frames that fell due (at most 3; a longer stall is dropped). */
	if (!s->sched) {
		s->sched = true;
		s->next_frame_us = now_us;
	}
	while (s->next_frame_us <= now_us && n < 3) {
		play_slot(s, s->next_frame_us);
		s->next_frame_us += frame_us;
		n++;
	}
	if (s->next_frame_us <= now_us)
		s->next_frame_us = now_us + frame_us;
}

void gw_media_session_set_late(struct gw_media_session *s, uint64_t late_us)
{
	uint64_t on_us = (uint64_t)s->cfg.overload_late_ms * 1000;
	bool want = late_us >= (s->overloaded ? on_us / 4 : on_us);
	struct gw_media_opus_cfg o;

	/* every tick of every call: nothing more when nothing changes */
	if (want == s->overloaded || !s->benc || s->cfg.browser_codec != GW_MEDIA_CODEC_OPUS ||
	    s->cfg.opus_overload_complexity < 0 ||
	    s->cfg.opus_overload_complexity >= s->cfg.opus.complexity)
		return;
	o = s->cfg.opus;
	if (want)
		o.complexity = s->cfg.opus_overload_complexity;
	if (gw_encoder_set_opus(s->benc, &o) == 0)
		s->overloaded = want;
}

uint64_t gw_media_session_frame_due(const struct gw_media_session *s)
{
	return s->sched ? s->next_frame_us : 0;
}

int gw_media_session_send_dtmf_to_sip(struct gw_media_session *s, char digit,
				      unsigned duration_ms)
{
	uint8_t ev;

	if (gw_dtmf_event_code(digit, &ev))
		return EINVAL;
	if (s->cfg.sip_te_pt < 0)
		return ENOTSUP;
	return gw_dtmf_gen_push(&s->gen, digit, duration_ms);
}

static uint32_t later_ts(uint32_t a, uint32_t b)
{
	return gw_rtp_ts_diff(a, b) > 0 ? a : b;
}

/* Relay <-> pipeline (a re-INVITE changed the codec or the ptime): the side
 * that takes over continues both outgoing timelines where the other left
 * them, never behind (same SSRC and sequence go on, RFC 3550 5.1); the
 * relay does not move the pipeline's timelines, nor the other way round. */
static void timelines_hand_over(struct gw_media_session *s, bool to_passthrough)
{
	if (to_passthrough) {
		s->b2s.out_end = later_ts(s->b2s.out_end, s->ts.acc_ts);
		s->s2b.out_end = later_ts(s->s2b.out_end, s->tb.out_ts);
	} else {
		s->ts.acc_ts = later_ts(s->ts.acc_ts, s->b2s.out_end);
		s->tb.out_ts = later_ts(s->tb.out_ts, s->s2b.out_end);
	}
}

int gw_media_session_set_sip_codec(struct gw_media_session *s,
				   enum gw_media_codec codec, uint8_t pt,
				   unsigned ptime_ms, int te_pt)
{
	struct gw_media_config cfg = s->cfg;
	struct codec_set cs, old = codecs_of(s);
	bool passthrough;
	int err;

	cfg.sip_codec = codec;
	cfg.sip_pt = pt;
	cfg.sip_ptime_ms = ptime_ms;
	cfg.sip_te_pt = te_pt;
	if (config_check(&cfg))
		return EINVAL;
	passthrough = can_pass(&cfg, codec, ptime_ms);
	err = codec_set_new(&cfg, passthrough, gw_codec_pcm_rate(codec, cfg.browser_codec), &cs);
	if (err)
		return EINVAL;
	s->c.codec_us += codec_set_busy_us(&old); /* the old coders' work still counts */
	codec_set_free(&old);
	s->bdec = cs.bdec;
	s->sdec = cs.sdec;
	s->senc = cs.senc;
	s->benc = cs.benc;
	s->cfg = cfg;
	s->overloaded = false;   /* the new encoder starts at cfg.opus */
	if (passthrough != s->passthrough)
		timelines_hand_over(s, passthrough);
	s->passthrough = passthrough;
	apply_rates(s);
	/* Same SSRC and sequence on both legs (RFC 3550 allows a payload type
	 * change within a stream); buffered audio of the old codec is dropped. */
	gw_jitter_reset(s->jb);
	gw_media_to_sip_reset(s);
	gw_media_to_browser_reset(s);
	gw_media_relay_reset(&s->b2s);
	gw_media_relay_reset(&s->s2b);
	gw_rtp_sender_mark(&s->sip_tx);
	gw_rtp_sender_mark(&s->browser_tx);
	gw_info(s->log_ctx, "media: SIP codec now %s/%u ms%s", gw_media_codec_name(codec),
		ptime_ms, passthrough ? " (passthrough)" : "");
	return 0;
}

int gw_media_session_set_opus(struct gw_media_session *s, const struct gw_media_opus_cfg *opus)
{
	if (!gw_opus_cfg_valid(opus))
		return EINVAL;
	if (s->benc && gw_encoder_set_opus(s->benc, opus))
		return EINVAL;
	s->cfg.opus = *opus;
	s->overloaded = false;   /* the encoder is at @opus now; a late tick sheds again */
	return 0;
}

void gw_media_session_set_hold(struct gw_media_session *s, bool hold)
{
	if (hold == s->hold)
		return;
	s->hold = hold;
	if (hold)
		return;
	gw_jitter_reset(s->jb);
	gw_media_to_sip_reset(s);
	gw_media_to_browser_reset(s);
	gw_media_relay_reset(&s->b2s);
	gw_media_relay_reset(&s->s2b);
	gw_rtp_sender_mark(&s->sip_tx);
	gw_rtp_sender_mark(&s->browser_tx);
}

bool gw_media_session_is_passthrough(const struct gw_media_session *s)
{
	return s->passthrough;
}

int gw_media_session_sip_event_pt(const struct gw_media_session *s)
{
	return s->cfg.sip_te_pt;
}

void gw_media_session_get_counters(const struct gw_media_session *s,
				   struct gw_media_counters *out)
{
	struct gw_jitter_stats js;
	struct codec_set cs = codecs_of(s);

	*out = s->c;
	out->codec_us += codec_set_busy_us(&cs);
	gw_jitter_get_stats(s->jb, &js);
	out->jb_late = js.late;
	out->jb_dropped = js.dropped;
	/* what the playout holds beyond the buffer is delay too */
	out->jb_delay_ms = js.delay_ms + (unsigned)(s->tb.pend_n * 1000 / (8000u * s->sip_r));
	out->jb_accel_ms = s->tb.accel_cut / 8;
	out->jb_target_ms = js.target_ms;
}
