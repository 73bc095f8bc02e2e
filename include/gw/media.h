/* gw/media.h — the per-call media engine: Opus <-> G.711/G.722 transcoding,
 * passthrough relay, adaptive jitter buffer, RFC 4733 DTMF, counters.
 *
 * Pure engine: no sockets, threads or timers.  A struct gw_media_session
 * lives on its call's media loop and is used from that loop only (no locks).
 * The caller feeds decrypted RTP from the browser and plain RTP from SIP,
 * calls gw_media_session_tick() every 20 ms with a monotonic time, and gets
 * packets back through the two send callbacks (called synchronously from
 * feed/tick) and DTMF digits through the dtmf callback.
 *
 * Browser -> SIP: Opus decoded straight to 8 kHz (16 kHz for G.722); a single
 * lost packet is rebuilt from the in-band FEC of the next one, longer gaps are
 * concealed (PLC); re-encoded and re-packetised at the SIP ptime with the SIP
 * leg's own SSRC/sequence/8 kHz timestamps.
 * SIP -> browser: adaptive jitter buffer (bounded by jitter_max_ms), re-framing
 * of any SIP ptime into 20 ms frames, Opus encode, RTP on the 48 kHz clock.
 */
#ifndef GW_MEDIA_H
#define GW_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gw_media_codec {
	GW_MEDIA_CODEC_NONE = 0,
	GW_MEDIA_CODEC_PCMU,     /* static pt 0, 8 kHz */
	GW_MEDIA_CODEC_PCMA,     /* static pt 8, 8 kHz */
	GW_MEDIA_CODEC_G722,     /* static pt 9, 16 kHz audio, 8 kHz RTP clock (RFC 3551 §4.5.2) */
	GW_MEDIA_CODEC_OPUS,     /* dynamic pt, 48 kHz RTP clock (RFC 7587) */
};

/* "PCMU", "PCMA", "G722", "opus" or "none". */
const char *gw_media_codec_name(enum gw_media_codec codec);

/* RTP clock rate of @codec (48000 for Opus, 8000 otherwise, 0 for NONE). */
unsigned gw_media_codec_clock(enum gw_media_codec codec);

/* Opus encoder settings for the browser leg. */
struct gw_media_opus_cfg {
	int complexity;          /* 0..10 */
	int bitrate;             /* bits/s, 6000..510000 */
	bool fec;                /* in-band FEC (LBRR) */
	int loss_pct;            /* expected packet loss 0..100, drives FEC strength */
	bool dtx;                /* discontinuous transmission (default off) */
};

struct gw_media_config {
	/* browser leg */
	enum gw_media_codec browser_codec;  /* normally OPUS; same as SIP for passthrough */
	uint8_t browser_pt;
	int browser_te_pt;       /* telephone-event pt (clock = codec clock), -1: none */
	int browser_te8_pt;      /* and telephone-event/8000 beside Opus, -1: none.
				  * Chromium sends its RTCDTMFSender events with it
				  * when both are negotiated: durations in 8 kHz
				  * units, timestamps on the audio's 48 kHz clock */
	/* SIP leg */
	enum gw_media_codec sip_codec;      /* PCMU, PCMA or G722 */
	uint8_t sip_pt;
	unsigned sip_ptime_ms;   /* GW_MEDIA_PTIME_MIN..MAX in GW_MEDIA_PTIME_STEP steps */
	int sip_te_pt;           /* telephone-event/8000 pt, -1: none */
	int sip_cn_pt;           /* comfort noise pt (RFC 3389), -1: none; default 13 */
	/* engine */
	struct gw_media_opus_cfg opus;
	bool opus_fec_decode;    /* use FEC from the browser when a packet is lost */
	unsigned jitter_max_ms;  /* jitter buffer bound (media.jitter_max_ms) */
	unsigned jitter_start_ms; /* its allowance at the start (media.jitter_start_ms) */
	bool passthrough;        /* relay unchanged when both legs use the same codec */
	bool inband_dtmf;        /* detect DTMF tones in SIP audio */
	/* Overload: while the loop's clock runs overload_late_ms or more
	 * behind, frames toward the browser are encoded at this complexity
	 * (gw_media_session_set_late); -1, or not below opus.complexity: never */
	int opus_overload_complexity;
	unsigned overload_late_ms;
	const char *log_ctx;     /* log prefix, copied; may be NULL */
};

/* Measured defaults (see contrib/bench/media-bench.c and the README). */
/* The SIP ptimes the engine packs (ms): 10 to 60 in 10 ms steps. */
#define GW_MEDIA_PTIME_MIN                10
#define GW_MEDIA_PTIME_MAX                60
#define GW_MEDIA_PTIME_STEP               10
#define GW_MEDIA_PTIME_OK(ms) ((ms) >= GW_MEDIA_PTIME_MIN && (ms) <= GW_MEDIA_PTIME_MAX && \
			       (ms) % GW_MEDIA_PTIME_STEP == 0)

#define GW_MEDIA_OPUS_COMPLEXITY_DEFAULT  5
#define GW_MEDIA_OPUS_BITRATE_DEFAULT     32000
#define GW_MEDIA_OPUS_LOSS_DEFAULT        5
#define GW_MEDIA_OVERLOAD_COMPLEXITY_DEFAULT 1
#define GW_MEDIA_OVERLOAD_LATE_MS_DEFAULT  10
#define GW_MEDIA_JITTER_MAX_DEFAULT       200
#define GW_MEDIA_JITTER_START_DEFAULT     80

/* Fill @cfg with defaults: Opus pt 111 / te 101 toward the browser, PCMU
 * pt 0 ptime 20 / te 101 / CN 13 toward SIP, measured Opus settings, FEC
 * on, DTX off, jitter_max 200 ms, passthrough off, in-band DTMF on. */
void gw_media_config_init(struct gw_media_config *cfg);

/* Per-call counters, all since the session was created. */
struct gw_media_counters {
	uint64_t browser_rx_packets, browser_rx_bytes;
	uint64_t browser_tx_packets, browser_tx_bytes;
	uint64_t sip_rx_packets, sip_rx_bytes;
	uint64_t sip_tx_packets, sip_tx_bytes;
	uint64_t malformed;          /* RTP refused by gw_rtp_parse (both legs) */
	uint64_t unknown_pt;         /* valid RTP with a payload type not negotiated */
	uint64_t undecodable;        /* payload the codec refused */
	uint64_t browser_lost;       /* browser packets never received (sequence gaps) */
	uint64_t browser_late;       /* browser packets arrived after their slot */
	uint64_t fec_recovered;      /* browser frames rebuilt from in-band FEC */
	uint64_t plc_frames;         /* browser frames concealed (PLC), toward SIP */
	uint64_t jb_concealed;       /* 20 ms frames concealed toward the browser */
	uint64_t jb_late;            /* SIP packets arriving after their playout */
	uint64_t jb_dropped;         /* SIP packets dropped (overflow, latency bound) */
	uint64_t jb_shrunk;          /* silent 20 ms frames skipped to cut latency */
	uint64_t jb_accel_ms;        /* audio shortened by whole pitch periods, same */
	unsigned jb_delay_ms;        /* current buffering delay */
	unsigned jb_target_ms;       /* current jitter allowance */
	uint64_t cn_packets;         /* comfort noise packets from SIP */
	uint64_t dtmf_to_sip;        /* DTMF events sent toward SIP */
	uint64_t dtmf_from_sip;      /* RFC 4733 digits received from SIP */
	uint64_t dtmf_inband;        /* DTMF digits detected in SIP audio */
	uint64_t codec_us;           /* wall time in decoders, encoders and PLC */
	uint64_t overload_frames;    /* frames to the browser at the overload complexity */
};

struct gw_media_session;

/* Room the engine leaves after every packet it hands out, so a sender can
 * protect it in place (SRTP adds its tag there). */
#define GW_MEDIA_SEND_ROOM 32

/* Packet output: one complete RTP packet of @len bytes in a buffer of @cap
 * >= len + GW_MEDIA_SEND_ROOM bytes that the callee may modify; valid only
 * during the call. */
typedef void (gw_media_send_h)(uint8_t *rtp, size_t len, size_t cap, void *arg);

enum gw_media_dtmf_source {
	GW_MEDIA_DTMF_RFC4733,    /* telephone-event from SIP */
	GW_MEDIA_DTMF_INBAND,     /* tones detected in SIP audio */
};

/* A digit from the SIP side has ended: @digit is one of 0-9 * # A-D. */
typedef void (gw_media_dtmf_h)(char digit, unsigned duration_ms,
			       enum gw_media_dtmf_source src, void *arg);

/* Create a session (a gw_obj: release with gw_obj_deref).  Returns 0, or
 * EINVAL for a bad config (unknown codec, ptime not 10..60 in 10 ms steps,
 * browser codec that cannot be bridged to the SIP one) or EIO when a codec
 * library refused to initialise (logged). */
int gw_media_session_new(const struct gw_media_config *cfg,
			 gw_media_send_h *to_sip, gw_media_send_h *to_browser,
			 gw_media_dtmf_h *dtmf, void *arg,
			 struct gw_media_session **out);

/* One RTP packet (already SRTP-decrypted) from the browser.  Returns 0, or
 * EBADMSG (malformed, counted), ENOENT (payload type not negotiated,
 * counted), EALREADY (duplicate or late, counted), ENODATA (dropped: on
 * hold or not decodable). */
int gw_media_session_feed_from_browser(struct gw_media_session *s,
				       const uint8_t *rtp, size_t len, uint64_t now_us);

/* One RTP packet from the SIP side; same returns.  Buffered in the jitter
 * buffer (transcoding) or relayed at once (passthrough). */
int gw_media_session_feed_from_sip(struct gw_media_session *s,
				   const uint8_t *rtp, size_t len, uint64_t now_us);

/* Every 20 ms: plays one 20 ms frame out of the jitter buffer toward the
 * browser and advances DTMF generation toward SIP.  @now_us is monotonic. */
void gw_media_session_tick(struct gw_media_session *s, uint64_t now_us);

/* How late the clock round of this tick started (µs, gw_loop_round_late_us): from
 * cfg.overload_late_ms on, the Opus encoder toward the browser works at
 * cfg.opus_overload_complexity, so a backlog drains instead of growing,
 * until the loop is back within a quarter of that. */
void gw_media_session_set_late(struct gw_media_session *s, uint64_t late_us);

/* When the next frame toward the browser is due by the session's own 20 ms
 * schedule (the @now_us of a tick it fell due on), 0 before the first
 * tick.  A tick plays every frame due by its @now_us (up to 3). */
uint64_t gw_media_session_frame_due(const struct gw_media_session *s);

/* Queue one digit (0-9 * # A-D, case-insensitive) as RFC 4733 toward SIP,
 * @duration_ms clamped to 40..5000.  Returns 0, EINVAL (not a digit),
 * ENOTSUP (no telephone-event negotiated with SIP) or ENOBUFS (queue full). */
int gw_media_session_send_dtmf_to_sip(struct gw_media_session *s, char digit,
				      unsigned duration_ms);

/* Re-INVITE changed the SIP codec/ptime: switch codecs, keep the SIP
 * stream's SSRC and sequence, flush the jitter buffer.  Returns 0 or EINVAL
 * (then the old settings stay). */
int gw_media_session_set_sip_codec(struct gw_media_session *s,
				   enum gw_media_codec codec, uint8_t pt,
				   unsigned ptime_ms, int te_pt);

/* Change the Opus encoder settings toward the browser.  0 or EINVAL. */
int gw_media_session_set_opus(struct gw_media_session *s,
			      const struct gw_media_opus_cfg *opus);

/* Hold: while true, nothing is forwarded either way (packets are counted
 * and dropped).  Resuming restarts the jitter buffer and marks both streams. */
void gw_media_session_set_hold(struct gw_media_session *s, bool hold);

/* True when payloads are relayed without decoding. */
bool gw_media_session_is_passthrough(const struct gw_media_session *s);

/* The SIP side's telephone-event payload type in use (-1: none). */
int gw_media_session_sip_event_pt(const struct gw_media_session *s);

/* Copy the counters to @out. */
void gw_media_session_get_counters(const struct gw_media_session *s,
				   struct gw_media_counters *out);

#endif
