/* media/codec.h — private: one encoder / decoder interface over libopus and
 * spandsp's G.711 and G.722, with packet loss concealment and Opus FEC.
 *
 * Each struct is owned by one session and used on its media loop only.
 * Linear audio is 16-bit mono at the coder's pcm_rate (8000 or 16000).
 */
#ifndef GW_MEDIA_CODEC_H
#define GW_MEDIA_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gw/media.h"

#define GW_CODEC_MAX_FRAME  5760   /* 120 ms at 48 kHz: the largest Opus frame */

struct gw_decoder;
struct gw_encoder;

/* Rate of linear audio for @codec when bridged to @other: G.711 8000, G.722
 * 16000, Opus follows the other leg (8000 if that is unknown). */
unsigned gw_codec_pcm_rate(enum gw_media_codec codec, enum gw_media_codec other);

/* Duration of a payload in RTP clock units, or 0 when unknown/invalid. */
uint32_t gw_codec_payload_duration(enum gw_media_codec codec,
				   const uint8_t *payload, size_t len);

/* --- decoder --- */

/* New decoder producing @pcm_rate audio.  0, EINVAL or EIO (library error). */
int gw_decoder_new(enum gw_media_codec codec, unsigned pcm_rate, struct gw_decoder **out);
void gw_decoder_free(struct gw_decoder *d);

/* Decode one payload into @pcm (capacity @cap samples); *@n = samples out.
 * 0, or EBADMSG when the codec refuses the payload. */
int gw_decoder_decode(struct gw_decoder *d, const uint8_t *payload, size_t len,
		      int16_t *pcm, size_t cap, size_t *n);

/* Conceal @n missing samples (Opus PLC, or spandsp PLC for G.711/G.722). */
void gw_decoder_conceal(struct gw_decoder *d, int16_t *pcm, size_t n);

/* Rebuild the @n samples lost just before @next from @next's in-band FEC.
 * Returns true when FEC data was used; false when there was none (then
 * @pcm holds concealment instead). */
bool gw_decoder_recover(struct gw_decoder *d, const uint8_t *next, size_t len,
			int16_t *pcm, size_t n);

/* Wall time (ns) spent in @d's decode, conceal and recover calls so far;
 * 0 for NULL. */
uint64_t gw_decoder_busy_ns(const struct gw_decoder *d);

/* --- encoder --- */

/* New encoder taking @pcm_rate audio; @opus only for Opus (may be NULL for
 * others).  0, EINVAL or EIO. */
int gw_encoder_new(enum gw_media_codec codec, unsigned pcm_rate,
		   const struct gw_media_opus_cfg *opus, struct gw_encoder **out);
void gw_encoder_free(struct gw_encoder *e);

/* Encode @n samples into @buf (capacity @cap); *@len = bytes out.
 * 0, EINVAL (frame size the codec cannot take) or EIO. */
int gw_encoder_encode(struct gw_encoder *e, const int16_t *pcm, size_t n,
		      uint8_t *buf, size_t cap, size_t *len);

/* Wall time (ns) spent in @e's encode calls so far; 0 for NULL. */
uint64_t gw_encoder_busy_ns(const struct gw_encoder *e);

/* Apply new Opus settings (no-op for other codecs).  0 or EINVAL. */
int gw_encoder_set_opus(struct gw_encoder *e, const struct gw_media_opus_cfg *opus);

/* --- one table per codec (codec_opus.c, codec_g711.c, codec_g722.c) --- */

/* What a codec file provides.  States are opaque to codec.c.  Constructors
 * return NULL on failure (after logging the library's reason). */
struct gw_codec_ops {
	enum gw_media_codec codec;
	void *(*dec_new)(unsigned pcm_rate);
	void (*dec_free)(void *st);
	int (*decode)(void *st, const uint8_t *p, size_t len,
		      int16_t *pcm, size_t cap, size_t *n);
	/* Own concealment (Opus); NULL: codec.c runs spandsp's PLC. */
	void (*conceal)(void *st, int16_t *pcm, size_t n);
	/* In-band FEC; NULL when the codec has none. */
	bool (*recover)(void *st, const uint8_t *next, size_t len, int16_t *pcm, size_t n);
	void *(*enc_new)(unsigned pcm_rate, const struct gw_media_opus_cfg *cfg);
	void (*enc_free)(void *st);
	int (*encode)(void *st, const int16_t *pcm, size_t n,
		      uint8_t *buf, size_t cap, size_t *len);
	int (*configure)(void *st, const struct gw_media_opus_cfg *cfg);  /* may be NULL */
	uint32_t (*duration)(const uint8_t *p, size_t len);               /* RTP units */
};

extern const struct gw_codec_ops gw_codec_opus_ops;
extern const struct gw_codec_ops gw_codec_pcmu_ops;
extern const struct gw_codec_ops gw_codec_pcma_ops;
extern const struct gw_codec_ops gw_codec_g722_ops;

/* True when the Opus packet carries LBRR (FEC) data for the previous frame. */
bool gw_opus_packet_has_fec(const uint8_t *p, size_t len);

/* True when @cfg is in range (complexity 0..10, bitrate 6000..510000, ...). */
bool gw_opus_cfg_valid(const struct gw_media_opus_cfg *cfg);

#endif
