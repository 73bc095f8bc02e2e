/* media-bench.c — CPU cost of the media engine, stage by stage and per
 * call-second, next to the codec-only floor (Opus decode + Opus encode +
 * G.711 encode/decode) measured in the same run; and the audio quality of
 * the Opus encoder settings under 5 % packet loss, to pick the defaults.
 *
 * Build and run: `make bench && ./contrib/bench/media-bench [seconds]`.
 * CPU time is CLOCK_PROCESS_CPUTIME_ID; each figure is the best of 3 runs.
 * Prints Markdown tables.  Single-threaded, no network.
 * `media-bench --floor ...` prints only the floor contrib/bench/run uses
 * (floor.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <opus/opus.h>
#include "gw/media.h"
#include "gw/obj.h"
#include "gw/rtp.h"
#include "media/codec.h"
#include "media/jitter.h"
#include "../../tests/unit/media_audio.h"
#include "bench.h"

static unsigned frames = 1500;       /* 30 s of audio per measurement */

static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* --- inputs, made once --- */

static int16_t *speech8, *speech16, *speech48;
static uint8_t (*browser_pkts)[400];
static size_t *browser_len;
static uint8_t (*pcmu_pkts)[160];

static void make_inputs(void)
{
	int err;
	OpusEncoder *enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
	struct gw_encoder *g711;

	speech8 = malloc(frames * 160 * sizeof(int16_t));
	speech16 = malloc(frames * 320 * sizeof(int16_t));
	speech48 = malloc(frames * 960 * sizeof(int16_t));
	ma_speechlike(speech8, frames * 160, 8000, 0);
	ma_speechlike(speech16, frames * 320, 16000, 0);
	ma_speechlike(speech48, frames * 960, 48000, 0);
	browser_pkts = malloc(frames * sizeof(*browser_pkts));
	browser_len = malloc(frames * sizeof(*browser_len));
	pcmu_pkts = malloc(frames * sizeof(*pcmu_pkts));
	/* what a browser sends: 48 kHz, 32 kbit/s, FEC on */
	opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
	opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(1));
	opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(10));
	for (unsigned i = 0; i < frames; i++)
		browser_len[i] = (size_t)opus_encode(enc, speech48 + i * 960, 960, browser_pkts[i], 400);
	opus_encoder_destroy(enc);
	gw_encoder_new(GW_MEDIA_CODEC_PCMU, 8000, NULL, &g711);
	for (unsigned i = 0; i < frames; i++) {
		size_t len;

		gw_encoder_encode(g711, speech8 + i * 160, 160, pcmu_pkts[i], 160, &len);
	}
	gw_encoder_free(g711);
}

/* --- stages: each returns CPU microseconds for all frames --- */

static double stage_opus_decode(unsigned rate)
{
	struct gw_decoder *d;
	int16_t pcm[GW_CODEC_MAX_FRAME];
	double t0;
	size_t n;

	gw_decoder_new(GW_MEDIA_CODEC_OPUS, rate, &d);
	t0 = cpu_us();
	for (unsigned i = 0; i < frames; i++)
		gw_decoder_decode(d, browser_pkts[i], browser_len[i], pcm, GW_CODEC_MAX_FRAME, &n);
	t0 = cpu_us() - t0;
	gw_decoder_free(d);
	return t0;
}

static double stage_encode(enum gw_media_codec codec, unsigned rate,
			   const struct gw_media_opus_cfg *cfg)
{
	struct gw_encoder *e;
	const int16_t *src = rate == 16000 ? speech16 : speech8;
	size_t fr = rate / 50, len;
	uint8_t out[1500];
	double t0;

	if (gw_encoder_new(codec, rate, cfg, &e))
		return -1;
	t0 = cpu_us();
	for (unsigned i = 0; i < frames; i++)
		gw_encoder_encode(e, src + i * fr, fr, out, sizeof(out), &len);
	t0 = cpu_us() - t0;
	gw_encoder_free(e);
	return t0;
}

static double stage_g711_decode(void)
{
	struct gw_decoder *d;
	int16_t pcm[160];
	double t0;
	size_t n;

	gw_decoder_new(GW_MEDIA_CODEC_PCMU, 8000, &d);
	t0 = cpu_us();
	for (unsigned i = 0; i < frames; i++)
		gw_decoder_decode(d, pcmu_pkts[i], 160, pcm, 160, &n);
	t0 = cpu_us() - t0;
	gw_decoder_free(d);
	return t0;
}

static double stage_jitter(void)
{
	struct gw_jitter *jb;
	double t0;

	gw_jitter_new(8000, 20, 80, 200, &jb);
	t0 = cpu_us();
	for (unsigned i = 0; i < frames; i++) {
		uint64_t now = (uint64_t)i * 20000;
		int64_t p;
		unsigned ex;

		gw_jitter_put(jb, i * 160, (uint16_t)i, 0, false, pcmu_pkts[i], 160, 160, now + 5000);
		if (gw_jitter_tick(jb, now + 20000, &p, &ex) == GW_JITTER_PLAY)
			while (gw_jitter_take(jb, p, p + 160))
				;
	}
	t0 = cpu_us() - t0;
	gw_jitter_free(jb);
	return t0;
}

static void sink(uint8_t *rtp, size_t len, size_t cap, void *arg)
{
	(void)rtp;
	*(size_t *)arg += len;
}

/* The whole session, one direction or both. */
static double stage_session(bool to_sip, bool to_browser, int complexity)
{
	struct gw_media_config cfg;
	struct gw_media_session *s;
	size_t bytes = 0;
	double t0;

	gw_media_config_init(&cfg);
	if (complexity >= 0)
		cfg.opus.complexity = complexity;
	if (gw_media_session_new(&cfg, sink, sink, NULL, &bytes, &s))
		return -1;
	t0 = cpu_us();
	for (unsigned i = 0; i < frames; i++) {
		uint8_t pkt[600];
		uint64_t now = 1000000 + (uint64_t)i * 20000;
		size_t n;

		if (to_sip) {
			n = gw_rtp_hdr_write(pkt, sizeof(pkt), 111, false, (uint16_t)i, i * 960, 1);
			memcpy(pkt + n, browser_pkts[i], browser_len[i]);
			gw_media_session_feed_from_browser(s, pkt, n + browser_len[i], now);
		}
		if (to_browser) {
			n = gw_rtp_hdr_write(pkt, sizeof(pkt), 0, false, (uint16_t)i, i * 160, 2);
			memcpy(pkt + n, pcmu_pkts[i], 160);
			gw_media_session_feed_from_sip(s, pkt, n + 160, now);
		}
		gw_media_session_tick(s, now);
	}
	t0 = cpu_us() - t0;
	gw_obj_deref(s);
	return t0;
}

static double best3(double a, double b, double c)
{
	double m = a < b ? a : b;

	return m < c ? m : c;
}

/* Best of three runs, in microseconds per 20 ms frame. */
#define PER_FRAME(expr) (best3((expr), (expr), (expr)) / frames)

/* --- quality of the encoder toward the browser under loss --- */

/* Encode @rate speech with @cfg, lose @loss % of packets (never two in a
 * row), decode as a browser does (FEC from the next packet when
 * @fec_decode, else PLC), and return the SNR against the input in dB. */
static double quality(const struct gw_media_opus_cfg *cfg, unsigned rate, unsigned loss,
		      bool fec_decode, double *kbps)
{
	struct gw_encoder *e;
	int err;
	const size_t fr = rate / 50;
	const int16_t *in = rate == 16000 ? speech16 : speech8;
	OpusDecoder *d = opus_decoder_create((opus_int32)rate, 1, &err);
	uint8_t (*pk)[1500] = malloc(frames * sizeof(*pk));
	size_t *len = malloc(frames * sizeof(*len));
	int16_t *out = malloc(frames * fr * sizeof(int16_t));
	bool prev_lost = false;
	uint32_t rng = 424242;
	size_t total = 0;
	double snr;

	gw_encoder_new(GW_MEDIA_CODEC_OPUS, rate, cfg, &e);
	for (unsigned i = 0; i < frames; i++) {
		gw_encoder_encode(e, in + i * fr, fr, pk[i], sizeof(pk[i]), &len[i]);
		total += len[i];
	}
	for (unsigned i = 0; i < frames; i++) {
		bool lost;
		int n;

		rng = rng * 1664525u + 1013904223u;
		lost = !prev_lost && i > 0 && i + 1 < frames && (rng >> 8) % 100 < loss;
		prev_lost = lost;
		if (!lost)
			n = opus_decode(d, pk[i], (opus_int32)len[i], out + i * fr, (int)fr, 0);
		else if (fec_decode)
			n = opus_decode(d, pk[i + 1], (opus_int32)len[i + 1], out + i * fr, (int)fr, 1);
		else
			n = opus_decode(d, NULL, 0, out + i * fr, (int)fr, 0);
		if (n != (int)fr)
			memset(out + i * fr, 0, fr * sizeof(*out));
	}
	snr = ma_snr_aligned_db(in, frames * fr - 2 * fr, out, frames * fr, (int)(2 * fr), NULL);
	*kbps = (double)total * 8 / (frames * 0.02) / 1000;
	gw_encoder_free(e);
	opus_decoder_destroy(d);
	free(pk);
	free(len);
	free(out);
	return snr;
}

int main(int argc, char **argv)
{
	struct gw_media_opus_cfg cfg;
	struct gw_media_config defaults;
	double opus_dec, opus_enc, g711_enc, g711_dec, floor_us, b2s, s2b, both;

	if (argc > 1 && !strcmp(argv[1], "--floor"))
		return gw_bench_floor(argc - 2, argv + 2);
	if (argc > 1 && atoi(argv[1]) > 0)
		frames = (unsigned)atoi(argv[1]) * 50;
	gw_media_config_init(&defaults);
	cfg = defaults.opus;
	make_inputs();
	printf("# rtcsip media benchmark (%u frames of 20 ms, best of 3, CPU time)\n\n", frames);

	opus_dec = PER_FRAME(stage_opus_decode(8000));
	g711_enc = PER_FRAME(stage_encode(GW_MEDIA_CODEC_PCMU, 8000, NULL));
	g711_dec = PER_FRAME(stage_g711_decode());
	opus_enc = PER_FRAME(stage_encode(GW_MEDIA_CODEC_OPUS, 8000, &cfg));
	printf("| stage | us per 20 ms frame |\n|---|---:|\n");
	printf("| Opus decode to 8 kHz (browser stream, 32 kbit/s) | %.2f |\n", opus_dec);
	printf("| Opus decode to 16 kHz | %.2f |\n", PER_FRAME(stage_opus_decode(16000)));
	printf("| G.711 (PCMU) encode | %.2f |\n", g711_enc);
	printf("| G.711 (PCMU) decode | %.2f |\n", g711_dec);
	printf("| G.722 encode (16 kHz) | %.2f |\n",
	       PER_FRAME(stage_encode(GW_MEDIA_CODEC_G722, 16000, NULL)));
	for (int c = 0; c <= 10; c++) {
		struct gw_media_opus_cfg k = cfg;

		k.complexity = c;
		printf("| Opus encode from 8 kHz, complexity %d, %d bit/s, FEC | %.2f |\n", c, k.bitrate,
		       PER_FRAME(stage_encode(GW_MEDIA_CODEC_OPUS, 8000, &k)));
	}
	printf("| jitter buffer (put + tick + take) | %.2f |\n", PER_FRAME(stage_jitter()));
	b2s = PER_FRAME(stage_session(true, false, -1));
	s2b = PER_FRAME(stage_session(false, true, -1));
	both = PER_FRAME(stage_session(true, true, -1));
	printf("| pipeline browser -> SIP (Opus -> PCMU) | %.2f |\n", b2s);
	printf("| pipeline SIP -> browser (PCMU -> jitter -> Opus c%d) | %.2f |\n", cfg.complexity, s2b);
	printf("| pipeline, both directions | %.2f |\n\n", both);

	floor_us = opus_dec + opus_enc + g711_enc + g711_dec;
	printf("| per call-second (50 frames each way) | CPU us | ratio to floor |\n|---|---:|---:|\n");
	printf("| codec floor: Opus dec + Opus enc (c%d) + G.711 enc + dec | %.0f | 1.00 |\n",
	       cfg.complexity, floor_us * 50);
	printf("| whole pipeline, both directions | %.0f | %.2f |\n", both * 50, both / floor_us);
	printf("| calls per CPU core (pipeline only) | %.0f | |\n\n", 1e6 / (both * 50));

	printf("SNR: waveform SNR of decoded speech-like audio against the input (delay\n"
	       "aligned); losses are single packets, rebuilt from FEC or concealed (PLC).\n\n");
	printf("| Opus toward browser | kbit/s | SNR clean dB | 5%% loss FEC | 5%% loss PLC | 10%% loss FEC | encode us/frame |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|\n");
	for (int row = 0; row < 10 + 8 + 4 + 2; row++) {
		struct gw_media_opus_cfg k = cfg;
		unsigned rate = 8000;
		double kb, clean, fec, plc, fec10;

		if (row < 10) {
			k.complexity = row + 1;
		} else if (row < 18) {
			k.bitrate = 12000 + (row - 10) * 4000;
		} else if (row < 22) {
			k.loss_pct = (row - 18) * 5;
			k.fec = k.loss_pct > 0;
		} else {
			rate = 16000;            /* G.722 trunks: wideband Opus */
			k.bitrate = row == 22 ? 24000 : 32000;
		}
		clean = quality(&k, rate, 0, false, &kb);
		fec = quality(&k, rate, 5, true, &kb);
		plc = quality(&k, rate, 5, false, &kb);
		fec10 = quality(&k, rate, 10, true, &kb);
		printf("| %u kHz, complexity %d, %d bit/s, loss %d%%%s | %.1f | %.2f | %.2f | %.2f | %.2f | %.2f |\n",
		       rate / 1000, k.complexity, k.bitrate, k.loss_pct, k.fec ? ", FEC" : "",
		       kb, clean, fec, plc, fec10,
		       PER_FRAME(stage_encode(GW_MEDIA_CODEC_OPUS, rate, &k)));
	}
	return 0;
}
