/* call_media.c — the media half of an rtcsip-call call: once DTLS is up,
 * send 20 ms Opus frames of the tone or WAV on the wall clock; decode what
 * comes back and measure it (loss, jitter, packets per 500 ms, the last
 * second before and after `connected` for the frequency, a recording).
 *
 * Media loop of the call's leg, except init (main thread, before the leg
 * exists) and the final stop/clear (main thread, after the loops joined).
 * Owns the codecs, the audio source, the rings, the timeline, the recording.
 */
#include <math.h>
#include <string.h>
#include <glib.h>
#include "rtcsip_call.h"
#include "gw/log.h"
#include "gw/loop.h"
#include "gw/media.h"
#include "gw/rtp.h"
#include "gw/webrtc.h"
#include "media/codec.h"

#define FRAME (GW_TOOL_AUDIO_RATE / 50) /* 20 ms of PCM */
#define RTP_FRAME 960                   /* 20 ms on Opus' 48 kHz RTP clock (RFC 7587) */
#define BUCKET_US 500000                /* rx_timeline resolution */
#define MAX_BUCKETS (2 * 3600 * 4)      /* four hours; later packets are not bucketed */

static gint64 now_us(void)
{
	return g_get_monotonic_time();
}

void gw_tool_media_init(struct gw_tool_call *c)
{
	struct gw_tool_app *a = c->app;

	gw_tool_audio_ring_init(&c->late, GW_TOOL_AUDIO_RATE);
	gw_tool_audio_ring_init(&c->early, GW_TOOL_AUDIO_RATE);
	c->timeline = g_array_new(FALSE, TRUE, sizeof(guint));
	if (a->o.wav)
		gw_tool_audio_src_copy(&c->src, &a->wav);
	else
		gw_tool_audio_src_tone(&c->src, a->o.tone);
	if (a->o.record && c->idx == 0 && !(c->rec = gw_tool_wav_create(a->o.record)))
		gw_warn(c->id, "cannot create %s: not recording", a->o.record);
}

/* What an attacker or a broken peer may put on the media path (RFC 7983
 * classes): random bytes, truncated DTLS records, SRTP/SRTCP whose
 * authentication tag is wrong, and replays of a real packet. */
static void send_garbage(struct gw_tool_call *c)
{
	GRand *r = g_rand_new_with_seed(7983);
	uint8_t b[400];

	for (int i = 0; i < 200; i++) {
		size_t n = (size_t)g_rand_int_range(r, 1, (gint32)sizeof(b));

		for (size_t k = 0; k < n; k++)
			b[k] = (uint8_t)g_rand_int(r);
		switch (i % 4) {
		case 0: /* random first byte: unknown class or anything */
			break;
		case 1: /* truncated DTLS record */
			b[0] = 22;
			n = (size_t)g_rand_int_range(r, 1, 13);
			break;
		case 2: /* SRTP with a valid header and a wrong tag */
			gw_rtp_hdr_write(b, sizeof(b), (uint8_t)c->opus_pt, false,
					 (uint16_t)(c->tx.seq + 100 + i), 0, c->tx.ssrc);
			n = 12 + 80 + 10;
			break;
		case 3: /* SRTCP-looking junk */
			b[0] = 0x80;
			b[1] = 200;
			break;
		}
		gw_webrtc_leg_send_raw(c->leg, b, n);
	}
	g_rand_free(r);
}

static gboolean media_tick(gpointer data)
{
	struct gw_tool_call *c = data;
	uint8_t pkt[1500 + GW_WEBRTC_SRTP_TRAILER], payload[1275];
	int16_t pcm[FRAME];
	uint64_t due = (uint64_t)((now_us() - c->media_t0) / 20000) + 1;

	if (c->app->o.garbage && !c->garbage_sent && due > 50) {
		c->garbage_sent = true;
		send_garbage(c);
	}
	/* Catch up on the wall clock, not on timer ticks (timers drift). */
	while (c->frames_sent < due) {
		size_t len = 0, n;

		gw_tool_audio_src_read(&c->src, pcm, FRAME);
		if (gw_encoder_encode(c->enc, pcm, FRAME, payload, sizeof(payload), &len))
			break;
		n = gw_rtp_sender_write(&c->tx, pkt, sizeof(pkt) - GW_WEBRTC_SRTP_TRAILER,
					(uint8_t)c->opus_pt, (uint32_t)(c->frames_sent * RTP_FRAME), false,
					payload, len);
		c->frames_sent++;
		if (n)
			gw_webrtc_leg_send_rtp(c->leg, pkt, n, sizeof(pkt));
	}
	return G_SOURCE_CONTINUE;
}

void gw_tool_media_start(struct gw_tool_call *c)
{
	struct gw_media_opus_cfg oc = { .complexity = 5, .bitrate = 32000, .fec = true, .loss_pct = 5 };

	if (c->timer)
		return;
	if (gw_encoder_new(GW_MEDIA_CODEC_OPUS, GW_TOOL_AUDIO_RATE, &oc, &c->enc) ||
	    gw_decoder_new(GW_MEDIA_CODEC_OPUS, GW_TOOL_AUDIO_RATE, &c->dec)) {
		gw_error(c->id, "cannot create the Opus codec");
		return;
	}
	gw_rtp_sender_init(&c->tx, 48000);
	c->media_t0 = now_us();
	c->timer = g_timeout_source_new(10);
	g_source_set_callback(c->timer, media_tick, c, NULL);
	g_source_attach(c->timer, gw_loop_context(gw_webrtc_leg_loop(c->leg)));
}

void gw_tool_media_stop(void *call)
{
	struct gw_tool_call *c = call;

	if (c->timer) {
		g_source_destroy(c->timer);
		g_source_unref(c->timer);
		c->timer = NULL;
	}
	if (c->leg)
		gw_webrtc_leg_stats(c->leg, &c->st);
	if (c->rec) {
		gw_tool_wav_close(c->rec);
		c->rec = NULL;
	}
}

/* Loss and interarrival jitter (RFC 3550 A.3, A.8) over the Opus stream. */
static void rx_account(struct gw_tool_call *c, const struct gw_rtp_hdr *h)
{
	uint64_t ext = gw_rtp_seq_extend(&c->seq, h->seq);
	int64_t arrival, transit;

	if (!c->rx_started) {
		c->rx_started = true;
		c->rx_first = c->rx_max = ext;
	} else if (ext > c->rx_max) {
		c->rx_max = ext;
	}
	c->rx_packets++;
	arrival = now_us() * 48 / 1000;
	transit = arrival - (int64_t)h->ts;
	if (c->have_transit) {
		double d = fabs((double)(transit - c->last_transit));

		c->jitter += (d - c->jitter) / 16;
	}
	c->last_transit = transit;
	c->have_transit = true;
}

/* Packets per 500 ms since t0, so a test sees audio stop on hold. */
static void timeline_count(struct gw_tool_call *c)
{
	gint64 since = now_us() - c->t0;
	guint bucket;

	if (!c->t0 || since < 0 || since / BUCKET_US >= MAX_BUCKETS)
		return;
	bucket = (guint)(since / BUCKET_US);
	if (c->timeline->len <= bucket)
		g_array_set_size(c->timeline, bucket + 1);
	g_array_index(c->timeline, guint, bucket)++;
}

void gw_tool_media_rtp(struct gw_webrtc_leg *leg, const struct gw_rtp_hdr *h, uint8_t *buf,
		       size_t len, void *arg)
{
	struct gw_tool_call *c = arg;
	int16_t pcm[GW_TOOL_AUDIO_RATE * 120 / 1000]; /* the longest Opus packet */
	size_t n = 0;

	if ((int)h->pt != c->opus_pt || !c->dec)
		return;
	rx_account(c, h);
	timeline_count(c);
	if (gw_decoder_decode(c->dec, h->payload, h->payload_len, pcm, G_N_ELEMENTS(pcm), &n))
		return;
	if (!c->t_first_audio)
		c->t_first_audio = now_us();
	if (c->rec)
		gw_tool_wav_write(c->rec, pcm, n);
	/* Early media is measured on its own: a ringback tone before the
	 * answer must not blur the frequency of the call itself. */
	gw_tool_audio_ring_push(g_atomic_int_get(&c->media_connected) ? &c->late : &c->early, pcm, n);
}

void gw_tool_media_clear(struct gw_tool_call *c)
{
	if (c->timer) {
		g_source_destroy(c->timer);
		g_source_unref(c->timer);
		c->timer = NULL;
	}
	if (c->rec)
		gw_tool_wav_close(c->rec);
	c->rec = NULL;
	gw_encoder_free(c->enc);
	gw_decoder_free(c->dec);
	c->enc = NULL;
	c->dec = NULL;
	gw_tool_audio_src_clear(&c->src);
	gw_tool_audio_ring_clear(&c->late);
	gw_tool_audio_ring_clear(&c->early);
	if (c->timeline)
		g_array_free(c->timeline, TRUE);
	c->timeline = NULL;
}
