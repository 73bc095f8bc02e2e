/* call_media.c — the media half of an rtcsip-call call: once DTLS is up,
 * send 20 ms frames on the wall clock (the app's pre-encoded tone, or the
 * WAV / tone encoded per call); count what comes back (loss, jitter, packets
 * per 500 ms) and, on measured calls, decode it: the last second before and
 * after `connected` for the frequency, a recording, the latency probe.
 *
 * One sender per media loop (a 1 ms timer: GLib wakes every 1-2 ms) sends
 * the due frames of every call on that loop: a thousand calls cost one
 * timer, not a thousand.  Each call's frames keep their own phase within
 * the 20 ms period, spread over it by the call's index, as independent
 * browsers' would be: not one burst of every call's frame at once, which a
 * gateway would have to queue.
 *
 * Media loop of the call's leg, except init (main thread, before the leg
 * exists) and the final stop/clear/cleanup (main thread, after the loops
 * joined).  Owns the codecs, the audio source, the rings, the timeline, the
 * recording, the probe's samples.
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
#define FRAME_US 20000
#define TICK_MS 1                       /* the sender's period: frames leave within 1-2 ms */
#define BUCKET_US 500000                /* rx_timeline resolution */
#define MAX_BUCKETS (2 * 3600 * 4)      /* four hours; later packets are not bucketed */
#define PROBE_MAX_MS 900.0              /* a longer "round trip" is a missed onset */

static gint64 now_us(void)
{
	return g_get_monotonic_time();
}

/* --- the senders: one per media loop --- */

/* Lives on its media loop; the table maps a loop's context to it (locked:
 * calls start their media on different loops). */
struct gw_tool_ticker {
	GSource *timer;
	GPtrArray *calls;            /* struct gw_tool_call *, borrowed: a call
				      * leaves (media_stop) before it goes */
};

static GMutex tickers_lock;
static GHashTable *tickers;      /* GMainContext * -> struct gw_tool_ticker * */

static void send_due(struct gw_tool_call *c);

static gboolean ticker_tick(gpointer data)
{
	struct gw_tool_ticker *t = data;

	for (guint i = 0; i < t->calls->len; i++)
		send_due(t->calls->pdata[i]);
	return G_SOURCE_CONTINUE;
}

static void ticker_free(gpointer data)
{
	struct gw_tool_ticker *t = data;

	g_source_destroy(t->timer);
	g_source_unref(t->timer);
	g_ptr_array_free(t->calls, TRUE);
	g_free(t);
}

/* Media loop of @ctx: its sender, made on first use. */
static struct gw_tool_ticker *ticker_for(GMainContext *ctx)
{
	struct gw_tool_ticker *t;

	g_mutex_lock(&tickers_lock);
	if (!tickers)
		tickers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, ticker_free);
	t = g_hash_table_lookup(tickers, ctx);
	if (!t) {
		t = g_new0(struct gw_tool_ticker, 1);
		t->calls = g_ptr_array_new();
		t->timer = g_timeout_source_new(TICK_MS);
		g_source_set_priority(t->timer, G_PRIORITY_HIGH);
		g_source_set_callback(t->timer, ticker_tick, t, NULL);
		g_source_attach(t->timer, ctx);
		g_hash_table_insert(tickers, ctx, t);
	}
	g_mutex_unlock(&tickers_lock);
	return t;
}

static void ticker_leave(struct gw_tool_call *c)
{
	if (!c->ticker)
		return;
	g_ptr_array_remove_fast(c->ticker->calls, c);
	c->ticker = NULL;
}

void gw_tool_media_cleanup(void)
{
	g_mutex_lock(&tickers_lock);
	if (tickers)
		g_hash_table_destroy(tickers);
	tickers = NULL;
	g_mutex_unlock(&tickers_lock);
}

void gw_tool_media_init(struct gw_tool_call *c)
{
	struct gw_tool_app *a = c->app;

	c->measured = c->idx % (unsigned)a->o.measure_every == 0;
	c->rx_clock = gw_media_codec_clock(a->codec);
	c->timeline = g_array_new(FALSE, TRUE, sizeof(guint));
	c->probe_rtt = g_array_new(FALSE, FALSE, sizeof(double));
	if (c->measured) {
		gw_tool_audio_ring_init(&c->late, GW_TOOL_AUDIO_RATE);
		gw_tool_audio_ring_init(&c->early, GW_TOOL_AUDIO_RATE);
		gw_tool_onset_init(&c->onset, a->codec == GW_MEDIA_CODEC_PCMU ? 8000 : GW_TOOL_AUDIO_RATE);
	}
	/* with the app's loop every call sends that: no source of its own */
	if (!a->aloop && a->o.wav)
		gw_tool_audio_src_copy(&c->src, &a->wav);
	else if (!a->aloop)
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
			gw_rtp_hdr_write(b, sizeof(b), (uint8_t)c->audio_pt, false,
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

/* --probe: an onset frame just left. */
static void probe_sent(struct gw_tool_call *c, gint64 t)
{
	c->probe_sent[c->probe_nsent++ % G_N_ELEMENTS(c->probe_sent)] = t;
}

/* Send the frames due by now: catch up on the wall clock, not on timer
 * ticks (timers drift). */
static void send_due(struct gw_tool_call *c)
{
	const struct gw_tool_audio_loop *lp = c->app->aloop;
	uint8_t pkt[1500 + GW_WEBRTC_SRTP_TRAILER], payload[1275];
	int16_t pcm[FRAME];
	gint64 now = now_us();
	uint64_t due = now < c->media_t0 ? 0 : (uint64_t)((now - c->media_t0) / FRAME_US) + 1;

	if (c->app->o.garbage && !c->garbage_sent && due > 50) {
		c->garbage_sent = true;
		send_garbage(c);
	}
	while (c->frames_sent < due) {
		unsigned k = (unsigned)(c->frames_sent % GW_TOOL_LOOP_FRAMES);
		const uint8_t *p = payload;
		size_t len = 0, n;

		if (lp) {
			p = lp->data[k];
			len = lp->len[k];
		} else {
			gw_tool_audio_src_read(&c->src, pcm, FRAME);
			if (gw_encoder_encode(c->enc, pcm, FRAME, payload, sizeof(payload), &len))
				break;
		}
		n = gw_rtp_sender_write(&c->tx, pkt, sizeof(pkt) - GW_WEBRTC_SRTP_TRAILER,
					(uint8_t)c->audio_pt,
					(uint32_t)(c->frames_sent * (lp ? lp->ts_step : RTP_FRAME)), false,
					p, len);
		if (now - c->media_t0 - (gint64)c->frames_sent * FRAME_US > FRAME_US)
			c->tx_late++;
		c->frames_sent++;
		if (!n)
			continue;
		gw_webrtc_leg_send_rtp(c->leg, pkt, n, sizeof(pkt));
		if (lp && c->measured && (int)k == lp->onset_frame)
			probe_sent(c, now_us());
	}
}

void gw_tool_media_start(struct gw_tool_call *c)
{
	struct gw_tool_app *a = c->app;
	struct gw_media_opus_cfg oc = { .complexity = 5, .bitrate = 32000, .fec = true, .loss_pct = 5 };

	if (c->ticker)
		return;
	if ((!a->aloop && gw_encoder_new(GW_MEDIA_CODEC_OPUS, GW_TOOL_AUDIO_RATE, &oc, &c->enc)) ||
	    (c->measured && gw_decoder_new(a->codec, a->codec == GW_MEDIA_CODEC_PCMU ? 8000
										: GW_TOOL_AUDIO_RATE, &c->dec))) {
		gw_error(c->id, "cannot create the %s codec", gw_media_codec_name(a->codec));
		return;
	}
	gw_rtp_sender_init(&c->tx, c->rx_clock);
	/* phase: the index times the golden ratio, modulo the period (even
	 * spread for any number of calls); the first frame leaves then */
	c->media_t0 = now_us() + (gint64)(fmod(c->idx * 0.6180339887, 1.0) * FRAME_US);
	c->ticker = ticker_for(gw_loop_context(gw_webrtc_leg_loop(c->leg)));
	g_ptr_array_add(c->ticker->calls, c);
}

void gw_tool_media_stop(void *call)
{
	struct gw_tool_call *c = call;

	ticker_leave(c);
	if (c->leg)
		gw_webrtc_leg_stats(c->leg, &c->st);
	if (c->rec) {
		gw_tool_wav_close(c->rec);
		c->rec = NULL;
	}
}

/* Loss and interarrival jitter (RFC 3550 A.3, A.8), in RTP clock units. */
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
	arrival = now_us() * c->rx_clock / 1000000;
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

/* --probe: the tone's return after its gap, timed from the moment the
 * onset frame left (both on this loop's monotonic clock): the onset's
 * sample in the decoded frame counts from the packet's arrival, as if
 * played at once. */
static void probe_check(struct gw_tool_call *c, const int16_t *pcm, size_t n, gint64 t_rx)
{
	long at = gw_tool_onset_feed(&c->onset, pcm, n);
	gint64 heard, sent = 0;
	double ms;

	if (at < 0)
		return;
	heard = t_rx + at * G_USEC_PER_SEC / c->onset.rate;
	for (unsigned i = 0; i < MIN(c->probe_nsent, G_N_ELEMENTS(c->probe_sent)); i++)
		if (c->probe_sent[i] <= heard && c->probe_sent[i] > sent)
			sent = c->probe_sent[i];
	ms = (double)(heard - sent) / 1000.0;
	if (sent && ms < PROBE_MAX_MS)
		g_array_append_val(c->probe_rtt, ms);
}

/* 8 kHz (PCMU) to the 16 kHz of the rings and the recording: linear. */
static size_t upsample(const int16_t *in, size_t n, int16_t *out)
{
	for (size_t i = 0; i < n; i++) {
		int next = i + 1 < n ? in[i + 1] : in[i];

		out[2 * i] = in[i];
		out[2 * i + 1] = (int16_t)((in[i] + next) / 2);
	}
	return 2 * n;
}

void gw_tool_media_rtp(struct gw_webrtc_leg *leg, const struct gw_rtp_hdr *h, uint8_t *buf,
		       size_t len, int64_t rx_us, void *arg)
{
	struct gw_tool_call *c = arg;
	int16_t pcm[GW_TOOL_AUDIO_RATE * 120 / 1000]; /* the longest Opus packet */
	int16_t wide[G_N_ELEMENTS(pcm) * 2];
	const int16_t *out = pcm;
	gint64 t = rx_us; /* arrival: a busy load generator's read delay is not the gateway's */
	size_t n = 0;

	if ((int)h->pt != c->audio_pt)
		return;
	rx_account(c, h);
	timeline_count(c);
	if (!c->dec || gw_decoder_decode(c->dec, h->payload, h->payload_len, pcm, G_N_ELEMENTS(pcm), &n))
		return;
	if (!c->t_first_audio)
		c->t_first_audio = t;
	if (c->app->o.probe)
		probe_check(c, pcm, n, t);
	if (c->app->codec == GW_MEDIA_CODEC_PCMU) {
		n = upsample(pcm, MIN(n, G_N_ELEMENTS(pcm)), wide);
		out = wide;
	}
	if (c->rec)
		gw_tool_wav_write(c->rec, out, n);
	/* Early media is measured on its own: a ringback tone before the
	 * answer must not blur the frequency of the call itself. */
	gw_tool_audio_ring_push(g_atomic_int_get(&c->media_connected) ? &c->late : &c->early, out, n);
}

void gw_tool_media_clear(struct gw_tool_call *c)
{
	ticker_leave(c);
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
	if (c->probe_rtt)
		g_array_free(c->probe_rtt, TRUE);
	c->probe_rtt = NULL;
}
