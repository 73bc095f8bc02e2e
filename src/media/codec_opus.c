/* codec_opus.c — libopus behind struct gw_codec_ops: decode straight to the
 * other leg's rate (8 or 16 kHz), PLC and in-band FEC on decode; encode from
 * 8/16 kHz with the configured complexity, bitrate, FEC and loss.
 * Runs on the owning session's media loop; owns its OpusEncoder/OpusDecoder.
 */
#include <errno.h>
#include <opus/opus.h>
#include "gw/log.h"
#include "media/codec.h"

bool gw_opus_cfg_valid(const struct gw_media_opus_cfg *cfg)
{
	return cfg && cfg->complexity >= 0 && cfg->complexity <= 10 &&
	       cfg->bitrate >= 6000 && cfg->bitrate <= 510000 &&
	       cfg->loss_pct >= 0 && cfg->loss_pct <= 100;
}

static void *opus_dec_new(unsigned pcm_rate)
{
	int err = OPUS_OK;
	OpusDecoder *d = opus_decoder_create((opus_int32)pcm_rate, 1, &err);

	if (!d)
		gw_error(NULL, "opus: decoder at %u Hz: %s", pcm_rate, opus_strerror(err));
	return d;
}

static void opus_dec_free(void *st)
{
	if (st)
		opus_decoder_destroy(st);
}

static int opus_dec_decode(void *st, const uint8_t *p, size_t len,
			   int16_t *pcm, size_t cap, size_t *n)
{
	int r;

	if (len == 0 || len > 1500)
		return EBADMSG;
	r = opus_decode(st, p, (opus_int32)len, pcm, (int)cap, 0);
	if (r < 0)
		return EBADMSG;
	*n = (size_t)r;
	return 0;
}

static void opus_dec_conceal(void *st, int16_t *pcm, size_t n)
{
	/* NULL data = PLC for n samples (n must be a 2.5 ms multiple; callers
	 * pass frame sizes taken from real packets). */
	if (opus_decode(st, NULL, 0, pcm, (int)n, 0) < 0)
		for (size_t i = 0; i < n; i++)
			pcm[i] = 0;
}

/* RFC 6716 §4.2.3: the SILK layer starts with, per channel, one VAD flag per
 * SILK frame then one LBRR flag, each an equiprobable range-coded bit, i.e.
 * the leading bits of the first frame's first byte. */
bool gw_opus_packet_has_fec(const uint8_t *p, size_t len)
{
	const unsigned char *frames[48];
	opus_int16 sizes[48];
	unsigned config, ms, silk_frames, bit;
	bool stereo;

	if (!p || len < 2)
		return false;
	config = p[0] >> 3;
	stereo = (p[0] & 0x04) != 0;
	if (config >= 16)
		return false;                    /* CELT only: no LBRR */
	if (config < 12) {
		static const unsigned silk_ms[4] = { 10, 20, 40, 60 };
		ms = silk_ms[config & 3];
	} else {
		ms = (config & 1) ? 20 : 10;
	}
	silk_frames = ms <= 20 ? 1 : ms / 20;
	if (opus_packet_parse(p, (opus_int32)len, NULL, frames, sizes, NULL) <= 0 || sizes[0] == 0)
		return false;
	bit = silk_frames;                       /* mid channel LBRR flag */
	if ((frames[0][0] >> (7 - bit)) & 1)
		return true;
	if (stereo) {
		bit = 2 * silk_frames + 1;       /* side channel LBRR flag */
		return bit <= 7 && ((frames[0][0] >> (7 - bit)) & 1);
	}
	return false;
}

static bool opus_dec_recover(void *st, const uint8_t *next, size_t len,
			     int16_t *pcm, size_t n)
{
	bool fec = gw_opus_packet_has_fec(next, len);

	/* With decode_fec=1 libopus decodes the LBRR copy of the previous frame,
	 * or conceals when there is none; either way the decoder state stays in
	 * step for decoding @next itself afterwards. */
	if (opus_decode(st, next, (opus_int32)len, pcm, (int)n, 1) < 0) {
		opus_dec_conceal(st, pcm, n);
		return false;
	}
	return fec;
}

static int opus_enc_configure(void *st, const struct gw_media_opus_cfg *cfg)
{
	OpusEncoder *e = st;

	if (!gw_opus_cfg_valid(cfg))
		return EINVAL;
	if (opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(cfg->complexity)) != OPUS_OK ||
	    opus_encoder_ctl(e, OPUS_SET_BITRATE(cfg->bitrate)) != OPUS_OK ||
	    opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(cfg->fec ? 1 : 0)) != OPUS_OK ||
	    opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(cfg->loss_pct)) != OPUS_OK ||
	    opus_encoder_ctl(e, OPUS_SET_DTX(cfg->dtx ? 1 : 0)) != OPUS_OK ||
	    opus_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)) != OPUS_OK)
		return EINVAL;
	return 0;
}

static void *opus_enc_new(unsigned pcm_rate, const struct gw_media_opus_cfg *cfg)
{
	int err = OPUS_OK;
	OpusEncoder *e;

	if (!gw_opus_cfg_valid(cfg))
		return NULL;
	e = opus_encoder_create((opus_int32)pcm_rate, 1, OPUS_APPLICATION_VOIP, &err);
	if (!e) {
		gw_error(NULL, "opus: encoder at %u Hz: %s", pcm_rate, opus_strerror(err));
		return NULL;
	}
	if (opus_enc_configure(e, cfg) != 0) {
		opus_encoder_destroy(e);
		return NULL;
	}
	return e;
}

static void opus_enc_free(void *st)
{
	if (st)
		opus_encoder_destroy(st);
}

static int opus_enc_encode(void *st, const int16_t *pcm, size_t n,
			   uint8_t *buf, size_t cap, size_t *len)
{
	opus_int32 r = opus_encode(st, pcm, (int)n, buf, (opus_int32)(cap > 1500 ? 1500 : cap));

	if (r == OPUS_BAD_ARG)
		return EINVAL;
	if (r < 0) {
		gw_warn(NULL, "opus: encode: %s", opus_strerror(r));
		return EIO;
	}
	*len = (size_t)r;
	return 0;
}

static uint32_t opus_duration(const uint8_t *p, size_t len)
{
	int n;

	if (!p || len == 0)
		return 0;
	n = opus_packet_get_nb_samples(p, (opus_int32)len, 48000);
	return n > 0 ? (uint32_t)n : 0;
}

const struct gw_codec_ops gw_codec_opus_ops = {
	.codec = GW_MEDIA_CODEC_OPUS,
	.dec_new = opus_dec_new,
	.dec_free = opus_dec_free,
	.decode = opus_dec_decode,
	.conceal = opus_dec_conceal,
	.recover = opus_dec_recover,
	.enc_new = opus_enc_new,
	.enc_free = opus_enc_free,
	.encode = opus_enc_encode,
	.configure = opus_enc_configure,
	.duration = opus_duration,
};
