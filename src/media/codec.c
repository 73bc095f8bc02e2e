/* codec.c — struct gw_decoder / gw_encoder: picks the codec table, runs
 * spandsp's PLC for codecs without their own concealment, and answers codec
 * facts (clock, names, linear rate, payload duration).
 * Used on the owning session's media loop; each struct owns its codec state.
 * Each struct also adds up the time its calls take (busy_ns): the session
 * reports it (gw_media_counters.codec_us), so contrib/bench/run can split
 * the daemon's CPU into the codecs' share and the gateway's own.  Two vDSO
 * clock reads per call, against 20-100 us of Opus work.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <glib.h>
#include <spandsp.h>
#include "gw/log.h"
#include "media/codec.h"

/* More than spandsp 0.0.6's PLC history (PLC_HISTORY_LEN = 160 + 120). */
#define PLC_RECENT 320

struct gw_decoder {
	const struct gw_codec_ops *ops;
	void *st;
	plc_state_t *plc;        /* only when ops->conceal is NULL */
	int16_t recent[PLC_RECENT];  /* last samples given to the PLC */
	bool concealing;
	uint64_t busy_ns;        /* wall time in decode, conceal, recover */
};

struct gw_encoder {
	const struct gw_codec_ops *ops;
	void *st;
	uint64_t busy_ns;        /* wall time in encode */
};

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static const struct gw_codec_ops *ops_of(enum gw_media_codec codec)
{
	switch (codec) {
	case GW_MEDIA_CODEC_PCMU: return &gw_codec_pcmu_ops;
	case GW_MEDIA_CODEC_PCMA: return &gw_codec_pcma_ops;
	case GW_MEDIA_CODEC_G722: return &gw_codec_g722_ops;
	case GW_MEDIA_CODEC_OPUS: return &gw_codec_opus_ops;
	default:                  return NULL;
	}
}

const char *gw_media_codec_name(enum gw_media_codec codec)
{
	switch (codec) {
	case GW_MEDIA_CODEC_PCMU: return "PCMU";
	case GW_MEDIA_CODEC_PCMA: return "PCMA";
	case GW_MEDIA_CODEC_G722: return "G722";
	case GW_MEDIA_CODEC_OPUS: return "opus";
	default:                  return "none";
	}
}

unsigned gw_media_codec_clock(enum gw_media_codec codec)
{
	switch (codec) {
	case GW_MEDIA_CODEC_PCMU:
	case GW_MEDIA_CODEC_PCMA:
	case GW_MEDIA_CODEC_G722: return 8000;
	case GW_MEDIA_CODEC_OPUS: return 48000;
	default:                  return 0;
	}
}

unsigned gw_codec_pcm_rate(enum gw_media_codec codec, enum gw_media_codec other)
{
	switch (codec) {
	case GW_MEDIA_CODEC_PCMU:
	case GW_MEDIA_CODEC_PCMA: return 8000;
	case GW_MEDIA_CODEC_G722: return 16000;
	case GW_MEDIA_CODEC_OPUS:
		return other == GW_MEDIA_CODEC_G722 ? 16000 : 8000;
	default:                  return 0;
	}
}

uint32_t gw_codec_payload_duration(enum gw_media_codec codec,
				   const uint8_t *payload, size_t len)
{
	const struct gw_codec_ops *ops = ops_of(codec);

	return ops ? ops->duration(payload, len) : 0;
}

int gw_decoder_new(enum gw_media_codec codec, unsigned pcm_rate, struct gw_decoder **out)
{
	const struct gw_codec_ops *ops = ops_of(codec);
	struct gw_decoder *d;

	if (!ops || (pcm_rate != 8000 && pcm_rate != 16000))
		return EINVAL;
	d = g_new0(struct gw_decoder, 1);
	d->ops = ops;
	d->st = ops->dec_new(pcm_rate);
	if (!d->st) {
		g_free(d);
		return EIO;
	}
	if (!ops->conceal)
		d->plc = plc_init(NULL);
	*out = d;
	return 0;
}

void gw_decoder_free(struct gw_decoder *d)
{
	if (!d)
		return;
	d->ops->dec_free(d->st);
	if (d->plc)
		plc_free(d->plc);
	g_free(d);
}

int gw_decoder_decode(struct gw_decoder *d, const uint8_t *payload, size_t len,
		      int16_t *pcm, size_t cap, size_t *n)
{
	uint64_t t0 = now_ns();
	size_t got = 0;
	int err = d->ops->decode(d->st, payload, len, pcm, cap, &got);

	if (err)
		goto out;
	/* spandsp's PLC learns pitch from the audio it is shown, and smooths
	 * the join after a concealed stretch. */
	if (d->plc) {
		size_t k = MIN(got, (size_t)PLC_RECENT);

		plc_rx(d->plc, pcm, (int)got);
		memmove(d->recent, d->recent + k, (PLC_RECENT - k) * sizeof(d->recent[0]));
		memcpy(d->recent + PLC_RECENT - k, pcm + got - k, k * sizeof(d->recent[0]));
		d->concealing = false;
	}
	*n = got;
out:
	d->busy_ns += now_ns() - t0;
	return err;
}

static void conceal(struct gw_decoder *d, int16_t *pcm, size_t n)
{
	if (!d->plc) {
		d->ops->conceal(d->st, pcm, n);
		return;
	}
	if (!d->concealing) {
		/* spandsp 0.0.6 rotates its history ring with an overlapping
		 * memcpy when a gap starts and the ring is not at offset 0.
		 * Handing it the same recent audio again in one block of more
		 * than its history length leaves the ring at offset 0, so that
		 * copy never happens; the history content stays the same. */
		int16_t again[PLC_RECENT];

		memcpy(again, d->recent, sizeof(again));
		plc_rx(d->plc, again, PLC_RECENT);
		d->concealing = true;
	}
	plc_fillin(d->plc, pcm, (int)n);
}

void gw_decoder_conceal(struct gw_decoder *d, int16_t *pcm, size_t n)
{
	uint64_t t0 = now_ns();

	conceal(d, pcm, n);
	d->busy_ns += now_ns() - t0;
}

bool gw_decoder_recover(struct gw_decoder *d, const uint8_t *next, size_t len,
			int16_t *pcm, size_t n)
{
	uint64_t t0 = now_ns();
	bool fec = false;

	if (d->ops->recover)
		fec = d->ops->recover(d->st, next, len, pcm, n);
	else
		conceal(d, pcm, n);
	d->busy_ns += now_ns() - t0;
	return fec;
}

uint64_t gw_decoder_busy_ns(const struct gw_decoder *d)
{
	return d ? d->busy_ns : 0;
}

int gw_encoder_new(enum gw_media_codec codec, unsigned pcm_rate,
		   const struct gw_media_opus_cfg *opus, struct gw_encoder **out)
{
	const struct gw_codec_ops *ops = ops_of(codec);
	struct gw_encoder *e;

	if (!ops || (pcm_rate != 8000 && pcm_rate != 16000))
		return EINVAL;
	if (codec == GW_MEDIA_CODEC_OPUS && !gw_opus_cfg_valid(opus))
		return EINVAL;
	e = g_new0(struct gw_encoder, 1);
	e->ops = ops;
	e->st = ops->enc_new(pcm_rate, opus);
	if (!e->st) {
		g_free(e);
		return EIO;
	}
	*out = e;
	return 0;
}

void gw_encoder_free(struct gw_encoder *e)
{
	if (!e)
		return;
	e->ops->enc_free(e->st);
	g_free(e);
}

int gw_encoder_encode(struct gw_encoder *e, const int16_t *pcm, size_t n,
		      uint8_t *buf, size_t cap, size_t *len)
{
	uint64_t t0 = now_ns();
	int err = e->ops->encode(e->st, pcm, n, buf, cap, len);

	e->busy_ns += now_ns() - t0;
	return err;
}

uint64_t gw_encoder_busy_ns(const struct gw_encoder *e)
{
	return e ? e->busy_ns : 0;
}

int gw_encoder_set_opus(struct gw_encoder *e, const struct gw_media_opus_cfg *opus)
{
	return e->ops->configure ? e->ops->configure(e->st, opus) : 0;
}
