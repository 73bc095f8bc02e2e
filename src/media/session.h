/* media/session.h — private: the struct behind gw_media_session and the
 * stages the pipeline files share.
 *
 *   transcode.c    object, config, dispatch of fed packets, tick, hold, counters
 *   to_sip.c       browser -> SIP: loss handling (FEC/PLC), decode, re-packetise
 *                  at the SIP ptime, encode; DTMF toward SIP (relay + generator)
 *   to_browser.c   SIP -> browser: jitter buffer, 20 ms re-framing, CN, in-band
 *                  DTMF detection, Opus encode; RFC 4733 from SIP
 *   passthrough.c  relay of unchanged payloads, both ways
 *
 * Ownership: the session (a gw_obj) owns every codec state, the jitter buffer
 * and the detector; all of it lives on the call's media loop.
 */
#ifndef GW_MEDIA_SESSION_H
#define GW_MEDIA_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include "gw/media.h"
#include "gw/rtp.h"
#include "media/codec.h"
#include "media/dtmf.h"
#include "media/jitter.h"

#define GW_MEDIA_FRAME_MS    20
#define GW_MEDIA_MAX_PKT     1500
#define GW_MEDIA_ACC_MAX     4096     /* samples: 60 ms ptime + a 120 ms frame at 16 kHz */
#define GW_MEDIA_PEND_MAX    1280     /* samples: four 20 ms frames at 16 kHz */
#define GW_MEDIA_MAX_CONCEAL 5        /* lost browser frames rebuilt before a jump */

struct awgn_state_s;

/* Passthrough, one direction: rewrites SSRC, sequence and timestamp. */
struct gw_media_relay {
	bool have;
	uint32_t in_ssrc;
	uint32_t in_base;        /* input timestamp ... */
	uint32_t out_base;       /* ... and the output media timestamp it maps to */
	uint16_t seq_delta;      /* output seq = input seq + delta */
	uint32_t out_end;        /* media ts just after the newest packet sent */
	struct gw_dtmf_rx ev;    /* telephone-events seen on this direction */
	uint32_t ev_out_ts;
};

/* Browser -> SIP transcoding. */
struct gw_media_to_sip {
	bool have;               /* a browser stream is being followed */
	uint32_t ssrc;
	struct gw_rtp_seq_ext seq;
	uint64_t last_seq;
	uint32_t next_ts;        /* browser clock: timestamp expected next */
	uint32_t last_dur;       /* browser clock units of the last packet */
	size_t last_frame;       /* its length in samples */
	int16_t acc[GW_MEDIA_ACC_MAX];
	size_t acc_n;
	uint32_t acc_ts;         /* SIP media timestamp of acc[0] */
	uint32_t idle_units;     /* SIP units added by ticks since the last audio */
	uint64_t last_audio_us;
	uint64_t last_tick_us;
	bool ticked;
	struct gw_dtmf_rx ev;    /* telephone-events from the browser */
	uint32_t ev_out_ts;
	uint32_t gen_floor;      /* first timestamp a generated digit may use */
};

/* SIP -> browser transcoding. */
struct gw_media_to_browser {
	int16_t fifo[GW_MEDIA_ACC_MAX];
	size_t fifo_n;
	int64_t fifo_ts;         /* extended SIP timestamp of fifo[0] */
	bool fifo_valid;
	unsigned epoch;          /* jitter buffer epoch fifo belongs to */
	/* Played out of the jitter buffer, not yet sent: one frame at a time
	 * normally; once delay has been cut (accel) up to 1.5 frames may carry
	 * over between ticks (counted as delay; a stall plays them out). */
	int16_t pend[GW_MEDIA_PEND_MAX];
	size_t pend_n;
	bool accel;
	size_t accel_budget;     /* samples that may be cut now */
	uint64_t accel_cut;      /* SIP clock units cut, for jb_accel_ms */
	bool cn_active;
	int cn_level;
	struct awgn_state_s *cn;
	unsigned conceal_run;    /* consecutive concealed frames */
	bool started;            /* first frame went out */
	uint32_t out_ts;         /* browser media timestamp of the next frame */
	bool anchored;
	uint32_t anchor_in;      /* SIP timestamp of the last frame played ... */
	uint32_t anchor_out;     /* ... and its browser timestamp */
	struct gw_dtmf_rx ev;    /* telephone-events from SIP */
	uint32_t ev_out_ts;
	bool rfc4733_seen;       /* the trunk signals digits out of band */
	bool have_ssrc;
	uint32_t ssrc;           /* the stream the jitter buffer holds */
};

struct gw_media_session {
	struct gw_media_config cfg;
	char *log_ctx;
	gw_media_send_h *to_sip_h;
	gw_media_send_h *to_browser_h;
	gw_media_dtmf_h *dtmf_h;
	void *arg;

	bool passthrough;
	bool hold;
	bool overloaded;         /* benc at cfg.opus_overload_complexity */
	unsigned pcm_rate;       /* linear audio between the codecs */
	unsigned sip_r;          /* samples per SIP clock unit (2 for G.722) */
	unsigned browser_r_num, browser_r_den;  /* pcm samples per browser unit */
	struct gw_media_counters c;

	struct gw_rtp_sender sip_tx;
	struct gw_rtp_sender browser_tx;

	struct gw_decoder *bdec;     /* browser payloads */
	struct gw_encoder *senc;     /* toward SIP */
	struct gw_decoder *sdec;     /* SIP payloads */
	struct gw_encoder *benc;     /* toward the browser */
	struct gw_jitter *jb;
	struct gw_dtmf_detect *det;
	struct gw_dtmf_gen gen;      /* digits asked for by the browser */

	struct gw_media_to_sip ts;
	struct gw_media_to_browser tb;
	struct gw_media_relay b2s, s2b;

	bool sched;
	uint64_t next_frame_us;
	uint8_t pkt[GW_MEDIA_MAX_PKT + GW_MEDIA_SEND_ROOM]; /* room: see gw_media_send_h */
};

/* The clock the durations of the browser's RFC 4733 events of payload
 * type @pt count in: the codec's for browser_te_pt, 8000 for
 * browser_te8_pt; 0 when @pt is no event. */
static inline unsigned gw_media_browser_event_clock(const struct gw_media_session *s, unsigned pt)
{
	if (s->cfg.browser_te8_pt >= 0 && pt == (unsigned)s->cfg.browser_te8_pt)
		return 8000;
	if (s->cfg.browser_te_pt >= 0 && pt == (unsigned)s->cfg.browser_te_pt)
		return gw_media_codec_clock(s->cfg.browser_codec);
	return 0;
}

/* transcode.c */
void gw_media_send_sip(struct gw_media_session *s, uint8_t pt, uint32_t media_ts,
		       bool marker, const uint8_t *payload, size_t len);
void gw_media_send_browser(struct gw_media_session *s, uint8_t pt, uint32_t media_ts,
			   bool marker, const uint8_t *payload, size_t len);
void gw_media_report_dtmf(struct gw_media_session *s, char digit, unsigned duration_ms,
			  enum gw_media_dtmf_source src);

/* to_sip.c */
void gw_media_to_sip_reset(struct gw_media_session *s);
int gw_media_to_sip_audio(struct gw_media_session *s, const struct gw_rtp_hdr *h, uint64_t now_us);
int gw_media_to_sip_event(struct gw_media_session *s, const struct gw_rtp_hdr *h, uint64_t now_us);
void gw_media_to_sip_tick(struct gw_media_session *s, uint64_t now_us);

/* to_browser.c */
void gw_media_to_browser_reset(struct gw_media_session *s);
void gw_media_to_browser_free(struct gw_media_session *s);
int gw_media_to_browser_put(struct gw_media_session *s, const struct gw_rtp_hdr *h, uint64_t now_us);
int gw_media_to_browser_event(struct gw_media_session *s, const struct gw_rtp_hdr *h, uint64_t now_us);
void gw_media_to_browser_frame(struct gw_media_session *s, uint64_t now_us);
void gw_media_to_browser_expire(struct gw_media_session *s, uint64_t now_us);

/* passthrough.c */
void gw_media_relay_reset(struct gw_media_relay *r);
/* Relay one packet with @out_pt through @tx; @to_sip picks the sink. */
int gw_media_relay_packet(struct gw_media_session *s, struct gw_media_relay *r,
			  const struct gw_rtp_hdr *h, uint8_t out_pt, bool to_sip);
/* Next sequence number and media timestamp a generated packet should use on
 * the SIP side of a relay (keeps the relayed numbering consistent). */
uint32_t gw_media_relay_now_ts(const struct gw_media_relay *r);
void gw_media_relay_inserted(struct gw_media_relay *r);

#endif
