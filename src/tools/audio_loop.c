/* audio_loop.c — see audio_loop.h.  Encodes with the media engine's codec
 * interface (media/codec.h), so the tool and the daemon share one Opus and
 * one G.711 wrapper.  No thread of its own.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "audio_loop.h"
#include "media/codec.h"

#define AMPLITUDE   16384   /* -6 dBFS */
#define LOUD        4096    /* onset: a quarter of the tone's amplitude */
#define QUIET       1000    /* gap: below about -30 dBFS */
#define ARM_MS      30      /* quiet needed before an onset counts */
#define DELAY_LOOPS 6       /* seconds run through the codec chain */

static void make_pcm(int16_t *pcm, unsigned rate, double hz, bool probe)
{
	unsigned gap = probe ? rate * GW_TOOL_PROBE_GAP_MS / 1000 : 0;

	for (unsigned i = 0; i < rate; i++)
		pcm[i] = i < gap ? 0 : (int16_t)lrint(AMPLITUDE * sin(2 * M_PI * hz * (i - gap) / rate));
}

int gw_tool_audio_loop_build(enum gw_media_codec codec, double hz, bool probe,
			     const struct gw_media_opus_cfg *opus, struct gw_tool_audio_loop **out)
{
	struct gw_tool_audio_loop *l;
	struct gw_encoder *enc = NULL;
	int16_t *pcm = NULL;
	size_t frame;
	int rc = EINVAL;

	if ((codec != GW_MEDIA_CODEC_OPUS && codec != GW_MEDIA_CODEC_PCMU) || hz < 50 || hz > 3000 ||
	    hz != floor(hz))
		return EINVAL;
	l = g_new0(struct gw_tool_audio_loop, 1);
	l->codec = codec;
	l->pcm_rate = codec == GW_MEDIA_CODEC_OPUS ? 16000 : 8000;
	l->clock = gw_media_codec_clock(codec);
	l->ts_step = l->clock / 50;
	l->onset_frame = probe ? GW_TOOL_PROBE_GAP_MS / 20 : -1;
	frame = l->pcm_rate / 50;
	pcm = g_new(int16_t, l->pcm_rate);
	make_pcm(pcm, l->pcm_rate, hz, probe);
	if (gw_encoder_new(codec, l->pcm_rate, opus, &enc)) {
		rc = EIO;
		goto out;
	}
	/* Opus: the first pass only brings the encoder's state around the loop. */
	for (int pass = codec == GW_MEDIA_CODEC_OPUS ? 0 : 1; pass < 2; pass++)
		for (unsigned i = 0; i < GW_TOOL_LOOP_FRAMES; i++)
			if (gw_encoder_encode(enc, pcm + i * frame, frame, l->data[i],
					      GW_TOOL_LOOP_MAX_PAYLOAD, &l->len[i])) {
				rc = EIO;
				goto out;
			}
	rc = 0;
	*out = g_steal_pointer(&l);
out:
	gw_encoder_free(enc);
	g_free(pcm);
	g_free(l);
	return rc;
}

void gw_tool_audio_loop_free(struct gw_tool_audio_loop *l)
{
	g_free(l);
}

void gw_tool_onset_init(struct gw_tool_onset *o, unsigned rate)
{
	o->rate = rate;
	o->quiet = 0;
	o->armed = false;
}

long gw_tool_onset_feed(struct gw_tool_onset *o, const int16_t *pcm, size_t n)
{
	unsigned arm = o->rate * ARM_MS / 1000;

	for (size_t i = 0; i < n; i++) {
		int a = abs(pcm[i]);

		/* the codecs ramp the onset up: samples between QUIET and LOUD
		 * neither arm nor disarm */
		if (a >= LOUD) {
			bool onset = o->armed;

			o->armed = false;
			o->quiet = 0;
			if (onset)
				return (long)i;
		} else if (a < QUIET && ++o->quiet >= arm) {
			o->armed = true;
		} else if (a >= QUIET) {
			o->quiet = 0;
		}
	}
	return -1;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* The daemon's half of the chain for one client packet: Opus decoded at
 * 8 kHz, PCMU there and back (the SIP echo), Opus encoded; then decoded at
 * 16 kHz as the client does.  *@n = 16 kHz samples out. */
struct chain {
	struct gw_decoder *gw_dec, *pcmu_dec, *client_dec;
	struct gw_encoder *pcmu_enc, *gw_enc;
};

static int chain_run(struct chain *ch, const uint8_t *pkt, size_t len, int16_t *out, size_t cap,
		     size_t *n)
{
	int16_t pcm8[GW_CODEC_MAX_FRAME];
	uint8_t g711[160], opus[GW_TOOL_LOOP_MAX_PAYLOAD];
	size_t k = 0, glen = 0, olen = 0;

	if (gw_decoder_decode(ch->gw_dec, pkt, len, pcm8, G_N_ELEMENTS(pcm8), &k) || k != 160 ||
	    gw_encoder_encode(ch->pcmu_enc, pcm8, k, g711, sizeof(g711), &glen) ||
	    gw_decoder_decode(ch->pcmu_dec, g711, glen, pcm8, G_N_ELEMENTS(pcm8), &k) ||
	    gw_encoder_encode(ch->gw_enc, pcm8, k, opus, sizeof(opus), &olen) ||
	    gw_decoder_decode(ch->client_dec, opus, olen, out, cap, n))
		return EIO;
	return 0;
}

int gw_tool_audio_loop_codec_delay(const struct gw_tool_audio_loop *l,
				   const struct gw_media_opus_cfg *gw_opus, double *ms)
{
	bool opus = l->codec == GW_MEDIA_CODEC_OPUS;
	unsigned rate = opus ? 16000 : 8000, frame = rate / 50;
	unsigned onset = (unsigned)l->onset_frame * frame;
	struct chain ch = { 0 };
	struct gw_tool_onset det;
	long delays[DELAY_LOOPS];
	unsigned found = 0;
	int rc = EIO;

	if (l->onset_frame < 0)
		return EINVAL;
	if (opus ? gw_decoder_new(GW_MEDIA_CODEC_OPUS, 8000, &ch.gw_dec) ||
		   gw_encoder_new(GW_MEDIA_CODEC_PCMU, 8000, NULL, &ch.pcmu_enc) ||
		   gw_decoder_new(GW_MEDIA_CODEC_PCMU, 8000, &ch.pcmu_dec) ||
		   gw_encoder_new(GW_MEDIA_CODEC_OPUS, 8000, gw_opus, &ch.gw_enc) ||
		   gw_decoder_new(GW_MEDIA_CODEC_OPUS, 16000, &ch.client_dec)
		 : gw_decoder_new(GW_MEDIA_CODEC_PCMU, 8000, &ch.client_dec))
		goto out;
	gw_tool_onset_init(&det, rate);
	for (unsigned i = 0; i < DELAY_LOOPS * GW_TOOL_LOOP_FRAMES; i++) {
		const uint8_t *pkt = l->data[i % GW_TOOL_LOOP_FRAMES];
		size_t len = l->len[i % GW_TOOL_LOOP_FRAMES], n = 0;
		int16_t pcm[GW_CODEC_MAX_FRAME];
		long at, sent;

		if (opus ? chain_run(&ch, pkt, len, pcm, G_N_ELEMENTS(pcm), &n)
			 : gw_decoder_decode(ch.client_dec, pkt, len, pcm, G_N_ELEMENTS(pcm), &n))
			goto out;
		if ((at = gw_tool_onset_feed(&det, pcm, n)) < 0)
			continue;
		/* the last onset sent at or before the one found */
		at += (long)(i * frame);
		sent = (at - (long)onset) / (long)rate * (long)rate + (long)onset;
		if (found < DELAY_LOOPS && sent >= 0)
			delays[found++] = at - sent;
	}
	if (!found)
		goto out;
	qsort(delays, found, sizeof(delays[0]), cmp_long);
	*ms = (double)delays[found / 2] * 1000.0 / rate;
	rc = 0;
out:
	gw_decoder_free(ch.gw_dec);
	gw_decoder_free(ch.pcmu_dec);
	gw_decoder_free(ch.client_dec);
	gw_encoder_free(ch.pcmu_enc);
	gw_encoder_free(ch.gw_enc);
	return rc;
}
