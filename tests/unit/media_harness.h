/* media_harness.h — drives a gw_media_session in tests: a fake clock, sinks
 * that keep every packet the engine sends, a browser-like Opus sender at
 * 48 kHz and a SIP-like G.711/G.722 sender, and decoders for what came out.
 */
#ifndef GW_TEST_MEDIA_HARNESS_H
#define GW_TEST_MEDIA_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gw/media.h"
#include "gw/rtp.h"
#include "media_audio.h"

struct mh_pkt {
	uint8_t *d;
	size_t len;
};

struct mh_sink {
	struct mh_pkt *p;
	size_t n, cap;
};

struct mh_digit {
	char digit;
	unsigned ms;
	enum gw_media_dtmf_source src;
};

struct OpusEncoder;

struct mh {
	struct gw_media_session *s;
	struct mh_sink sip, browser;
	struct mh_digit digits[64];
	int ndigits;
	uint64_t now;            /* fake monotonic clock, microseconds */
	/* browser side */
	struct OpusEncoder *opus;
	uint16_t bseq;
	uint32_t bts, bssrc;
	/* SIP side */
	uint16_t sseq;
	uint32_t sts, sssrc;
	struct g722_encode_state_s *g722;   /* SIP-side G.722 encoder */
};

/* Session from @cfg with sinks; browser Opus encoder at 48 kHz (FEC on,
 * 10 % expected loss, like a browser told about loss). */
void mh_init(struct mh *h, const struct gw_media_config *cfg);
void mh_free(struct mh *h);

/* Advance the clock by 20 ms and tick. */
void mh_tick(struct mh *h);

/* Encode 20 ms of 48 kHz audio as the browser would; returns its length. */
size_t mh_browser_encode(struct mh *h, const int16_t *pcm48, uint8_t *out, size_t cap);

/* Build an RTP packet into @buf; returns its length. */
size_t mh_rtp(uint8_t *buf, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
	      uint32_t ssrc, const uint8_t *payload, size_t len);

/* Feed a payload as the browser's next packet (seq+1, ts += @ts_step). */
int mh_from_browser(struct mh *h, uint8_t pt, bool marker, const uint8_t *payload,
		    size_t len, uint32_t ts_step);
/* Same from SIP. */
int mh_from_sip(struct mh *h, uint8_t pt, bool marker, const uint8_t *payload,
		size_t len, uint32_t ts_step);

/* Decode every packet of payload type @pt in @sink with @codec at @rate and
 * append the audio to @out.  Asserts one SSRC, consecutive sequence numbers
 * and timestamps that advance by exactly each packet's duration, unless
 * the packet has the marker bit; returns the number of packets. */
size_t mh_decode_sink(const struct mh_sink *sink, uint8_t pt, enum gw_media_codec codec,
		      unsigned rate, struct ma_buf *out);

/* Concatenated payloads of packets with @pt (for byte-exact checks). */
size_t mh_payload_bytes(const struct mh_sink *sink, uint8_t pt, uint8_t *out, size_t cap);

/* Encode @pcm (8 kHz, 16 kHz for G.722) as one @codec payload, as the SIP
 * side would; returns its length. */
size_t mh_encode(struct mh *h, enum gw_media_codec codec, const int16_t *pcm, size_t n,
		 uint8_t *out);

void mh_sink_clear(struct mh_sink *sink);

#endif
