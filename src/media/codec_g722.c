/* codec_g722.c — G.722 at 64 kbit/s through spandsp, behind struct
 * gw_codec_ops.  Linear audio at 16 kHz (or 8 kHz with spandsp's
 * G722_SAMPLE_RATE_8000 option); the RTP clock is 8 kHz (RFC 3551 §4.5.2),
 * so one payload byte is one clock unit.  No FEC; codec.c runs spandsp PLC.
 * Runs on the owning session's media loop; owns its spandsp states.
 */
#include <errno.h>
#include <spandsp.h>
#include "gw/log.h"
#include "media/codec.h"

static int g722_options(unsigned pcm_rate, int *options)
{
	if (pcm_rate == 16000)
		*options = 0;
	else if (pcm_rate == 8000)
		*options = G722_SAMPLE_RATE_8000;
	else
		return EINVAL;
	return 0;
}

static void *g722_dec_new(unsigned pcm_rate)
{
	int options;

	if (g722_options(pcm_rate, &options))
		return NULL;
	return g722_decode_init(NULL, 64000, options);
}

static void g722_dec_free(void *st)
{
	if (st)
		g722_decode_free(st);
}

static int g722_dec(void *st, const uint8_t *p, size_t len,
		    int16_t *pcm, size_t cap, size_t *n)
{
	/* At most two samples per byte (16 kHz); check before decoding. */
	if (len == 0 || len * 2 > cap)
		return EBADMSG;
	*n = (size_t)g722_decode(st, pcm, p, (int)len);
	return 0;
}

static void *g722_enc_new(unsigned pcm_rate, const struct gw_media_opus_cfg *cfg)
{
	int options;

	if (g722_options(pcm_rate, &options))
		return NULL;
	return g722_encode_init(NULL, 64000, options);
}

static void g722_enc_free(void *st)
{
	if (st)
		g722_encode_free(st);
}

static int g722_enc(void *st, const int16_t *pcm, size_t n,
		    uint8_t *buf, size_t cap, size_t *len)
{
	/* 64 kbit/s: one byte per two 16 kHz samples, or per 8 kHz sample. */
	if (n > cap)
		return EINVAL;
	*len = (size_t)g722_encode(st, buf, pcm, (int)n);
	return 0;
}

static uint32_t g722_duration(const uint8_t *p, size_t len)
{
	return (uint32_t)len;
}

const struct gw_codec_ops gw_codec_g722_ops = {
	.codec = GW_MEDIA_CODEC_G722,
	.dec_new = g722_dec_new,
	.dec_free = g722_dec_free,
	.decode = g722_dec,
	.enc_new = g722_enc_new,
	.enc_free = g722_enc_free,
	.encode = g722_enc,
	.duration = g722_duration,
};
