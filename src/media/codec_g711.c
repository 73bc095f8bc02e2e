/* codec_g711.c — G.711 mu-law (PCMU) and A-law (PCMA) through spandsp,
 * behind struct gw_codec_ops.  8 kHz only, one byte per sample, no FEC;
 * concealment is spandsp's generic PLC run by codec.c.
 * Runs on the owning session's media loop; owns its g711_state_t.
 */
#include <errno.h>
#include <spandsp.h>
#include "gw/log.h"
#include "media/codec.h"

static void *g711_new(int mode, unsigned pcm_rate)
{
	if (pcm_rate != 8000)
		return NULL;
	return g711_init(NULL, mode);
}

static void *ulaw_new(unsigned pcm_rate)
{
	return g711_new(G711_ULAW, pcm_rate);
}

static void *alaw_new(unsigned pcm_rate)
{
	return g711_new(G711_ALAW, pcm_rate);
}

static void *ulaw_enc_new(unsigned pcm_rate, const struct gw_media_opus_cfg *cfg)
{
	return g711_new(G711_ULAW, pcm_rate);
}

static void *alaw_enc_new(unsigned pcm_rate, const struct gw_media_opus_cfg *cfg)
{
	return g711_new(G711_ALAW, pcm_rate);
}

static void g711_state_free(void *st)
{
	if (st)
		g711_free(st);
}

static int g711_dec(void *st, const uint8_t *p, size_t len,
		    int16_t *pcm, size_t cap, size_t *n)
{
	if (len == 0 || len > cap)
		return EBADMSG;
	*n = (size_t)g711_decode(st, pcm, p, (int)len);
	return 0;
}

static int g711_enc(void *st, const int16_t *pcm, size_t n,
		    uint8_t *buf, size_t cap, size_t *len)
{
	if (n > cap)
		return EINVAL;
	*len = (size_t)g711_encode(st, buf, pcm, (int)n);
	return 0;
}

static uint32_t g711_duration(const uint8_t *p, size_t len)
{
	return (uint32_t)len;     /* one sample per byte at the 8 kHz clock */
}

const struct gw_codec_ops gw_codec_pcmu_ops = {
	.codec = GW_MEDIA_CODEC_PCMU,
	.dec_new = ulaw_new,
	.dec_free = g711_state_free,
	.decode = g711_dec,
	.enc_new = ulaw_enc_new,
	.enc_free = g711_state_free,
	.encode = g711_enc,
	.duration = g711_duration,
};

const struct gw_codec_ops gw_codec_pcma_ops = {
	.codec = GW_MEDIA_CODEC_PCMA,
	.dec_new = alaw_new,
	.dec_free = g711_state_free,
	.decode = g711_dec,
	.enc_new = alaw_enc_new,
	.enc_free = g711_state_free,
	.encode = g711_enc,
	.duration = g711_duration,
};
