/* test_transcode.c — audio through a whole gw_media_session with the real
 * codecs, measured: a 1 kHz tone both ways for PCMU, PCMA and G.722; Opus
 * FEC against PLC under 5 % loss; loss bursts without clicks; the time the
 * coders work, as the session counts it.
 */
#include "gw_check.h"
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <opus/opus.h>
#include "media_harness.h"

#define TONE_AMP 10000

static uint8_t sip_pt_of(enum gw_media_codec c)
{
	return c == GW_MEDIA_CODEC_PCMU ? 0 : c == GW_MEDIA_CODEC_PCMA ? 8 : 9;
}

static void config_for(struct gw_media_config *cfg, enum gw_media_codec sip)
{
	gw_media_config_init(cfg);
	cfg->sip_codec = sip;
	cfg->sip_pt = sip_pt_of(sip);
}

/* Browser -> SIP: 2 s of a 1 kHz tone from a browser-like Opus encoder. */
static void tone_to_sip(enum gw_media_codec codec, double min_snr)
{
	struct gw_media_config cfg;
	struct mh h;
	struct ma_buf out = { 0 };
	unsigned rate = codec == GW_MEDIA_CODEC_G722 ? 16000 : 8000;
	double ph = 0, f, snr;
	size_t pkts;

	config_for(&cfg, codec);
	mh_init(&h, &cfg);
	for (int i = 0; i < 100; i++) {
		int16_t pcm[960];
		uint8_t buf[1500];
		size_t len;

		ma_tone(pcm, 960, 1000, 48000, TONE_AMP, &ph);
		len = mh_browser_encode(&h, pcm, buf, sizeof(buf));
		ck_assert_int_eq(mh_from_browser(&h, 111, i == 0, buf, len, 960), 0);
		mh_tick(&h);
	}
	pkts = mh_decode_sink(&h.sip, cfg.sip_pt, codec, rate, &out);
	ck_assert_uint_eq(pkts, 100);                  /* 20 ms each, none lost */
	ck_assert_uint_eq(out.n, 100 * rate / 50);
	f = ma_dominant_freq(out.s + rate / 5, out.n - rate / 5, rate, 200, 3400);
	snr = ma_tone_snr_db(out.s + rate / 5, out.n - rate / 5, f, rate);
	printf("browser opus -> SIP %s: %.1f Hz, SNR %.1f dB (min %.0f)\n",
	       gw_media_codec_name(codec), f, snr, min_snr);
	ck_assert_double_le(fabs(f - 1000), 5);
	ck_assert_double_ge(snr, min_snr);
	ma_buf_free(&out);
	mh_free(&h);
}

START_TEST(test_transcode_browser_tone_reaches_sip_pcmu)
{
	tone_to_sip(GW_MEDIA_CODEC_PCMU, 20);
}
END_TEST

START_TEST(test_transcode_browser_tone_reaches_sip_pcma)
{
	tone_to_sip(GW_MEDIA_CODEC_PCMA, 20);
}
END_TEST

START_TEST(test_transcode_browser_tone_reaches_sip_g722)
{
	tone_to_sip(GW_MEDIA_CODEC_G722, 20);
}
END_TEST

/* SIP -> browser: 2 s of a 1 kHz tone from the trunk, Opus decoded at 48 kHz
 * as a browser would. */
static void tone_to_browser(enum gw_media_codec codec, double min_snr)
{
	struct gw_media_config cfg;
	struct mh h;
	struct ma_buf out = { 0 };
	unsigned rate = codec == GW_MEDIA_CODEC_G722 ? 16000 : 8000;
	struct gw_media_counters c;
	double ph = 0, f, snr;
	size_t pkts;

	config_for(&cfg, codec);
	mh_init(&h, &cfg);
	for (int i = 0; i < 110; i++) {
		if (i == 100) {
			/* every frame played so far had its packet */
			gw_media_session_get_counters(h.s, &c);
			ck_assert_uint_eq(c.jb_concealed, 0);
			ck_assert_uint_eq(c.jb_late, 0);
		}
		int16_t pcm[320];
		uint8_t buf[320];
		size_t len;

		if (i < 100) {
			ma_tone(pcm, rate / 50, 1000, rate, TONE_AMP, &ph);
			len = mh_encode(&h, codec, pcm, rate / 50, buf);
			ck_assert_int_eq(mh_from_sip(&h, cfg.sip_pt, i == 0, buf, len, 160), 0);
		}
		mh_tick(&h);
	}
	pkts = mh_decode_sink(&h.browser, 111, GW_MEDIA_CODEC_OPUS, 48000, &out);
	ck_assert_uint_ge(pkts, 95);
	f = ma_dominant_freq(out.s + 9600, 48000, 48000, 200, 3400);
	snr = ma_tone_snr_db(out.s + 9600, 48000, f, 48000);
	printf("SIP %s -> browser opus: %.1f Hz, SNR %.1f dB (min %.0f), jitter delay %u ms\n",
	       gw_media_codec_name(codec), f, snr, min_snr, c.jb_delay_ms);
	ck_assert_double_le(fabs(f - 1000), 5);
	ck_assert_double_ge(snr, min_snr);
	ma_buf_free(&out);
	mh_free(&h);
}

/* Opus (SILK) at the default 32 kbit/s codes a pure tone at 25..37 dB (18
 * at 24 kbit/s); 15 dB still rules out a wrong rate, a gap or a broken
 * re-framing, which all land far below 10 dB. */
START_TEST(test_transcode_sip_pcmu_tone_reaches_browser)
{
	tone_to_browser(GW_MEDIA_CODEC_PCMU, 15);
}
END_TEST

START_TEST(test_transcode_sip_pcma_tone_reaches_browser)
{
	tone_to_browser(GW_MEDIA_CODEC_PCMA, 15);
}
END_TEST

START_TEST(test_transcode_sip_g722_tone_reaches_browser)
{
	tone_to_browser(GW_MEDIA_CODEC_G722, 15);
}
END_TEST

/* --- loss --- */

#define LOSS_PKTS 1000

struct encoded {
	uint8_t d[LOSS_PKTS][400];
	size_t len[LOSS_PKTS];
};

/* A browser stream encoded once, so every run sees the same packets. */
static struct encoded *encode_stream(double tone_hz)
{
	struct encoded *e = calloc(1, sizeof(*e));
	int err;
	OpusEncoder *enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
	double ph = 0;

	opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
	opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(1));
	opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(10));
	for (int i = 0; i < LOSS_PKTS; i++) {
		int16_t pcm[960];

		if (tone_hz > 0)
			ma_tone(pcm, 960, tone_hz, 48000, TONE_AMP, &ph);
		else
			ma_speechlike(pcm, 960, 48000, (size_t)i * 960);
		e->len[i] = (size_t)opus_encode(enc, pcm, 960, e->d[i], 400);
	}
	opus_encoder_destroy(enc);
	return e;
}

/* Feed @npkts packets (skipping those marked in @lost) and decode what the
 * SIP side got. */
static void run_lossy(const struct encoded *e, int npkts, const bool *lost, bool fec,
		      struct ma_buf *out, struct gw_media_counters *c)
{
	struct gw_media_config cfg;
	struct mh h;

	config_for(&cfg, GW_MEDIA_CODEC_PCMU);
	cfg.opus_fec_decode = fec;
	mh_init(&h, &cfg);
	for (int i = 0; i < npkts; i++) {
		if (!lost || !lost[i])
			mh_from_browser(&h, 111, i == 0, e->d[i], e->len[i], 960);
		else {
			h.bseq++;
			h.bts += 960;
		}
		mh_tick(&h);
	}
	mh_decode_sink(&h.sip, 0, GW_MEDIA_CODEC_PCMU, 8000, out);
	gw_media_session_get_counters(h.s, c);
	mh_free(&h);
}

START_TEST(test_transcode_fec_beats_plc_under_5pct_single_loss)
{
	struct encoded *e = encode_stream(0);
	static bool lost[LOSS_PKTS];
	struct ma_buf ref = { 0 }, with_fec = { 0 }, plc_only = { 0 };
	struct gw_media_counters c0, cf, cp;
	uint32_t rng = 20240611;
	int nlost = 0;
	double snr_fec, snr_plc;

	/* 5 % random losses, never two in a row (single-packet loss). */
	for (int i = 0; i < LOSS_PKTS; i++) {
		rng = rng * 1664525u + 1013904223u;
		lost[i] = i > 10 && i < LOSS_PKTS - 1 && !lost[i - 1] && (rng >> 8) % 100 < 5;
		nlost += lost[i];
	}
	run_lossy(e, LOSS_PKTS, NULL, true, &ref, &c0);
	run_lossy(e, LOSS_PKTS, lost, true, &with_fec, &cf);
	run_lossy(e, LOSS_PKTS, lost, false, &plc_only, &cp);
	/* Same timeline in all three: concealment keeps every sample slot. */
	ck_assert_uint_eq(with_fec.n, ref.n);
	ck_assert_uint_eq(plc_only.n, ref.n);
	snr_fec = ma_snr_aligned_db(ref.s, ref.n, with_fec.s, with_fec.n, 0, NULL);
	snr_plc = ma_snr_aligned_db(ref.s, ref.n, plc_only.s, plc_only.n, 0, NULL);
	printf("5%% single loss (%d of %d): SNR vs lossless %.2f dB with FEC, %.2f dB PLC only "
	       "(fec_recovered %llu, plc %llu)\n", nlost, LOSS_PKTS, snr_fec, snr_plc,
	       (unsigned long long)cf.fec_recovered, (unsigned long long)cp.plc_frames);
	ck_assert_int_ge(nlost, 30);
	ck_assert_uint_eq(cf.browser_lost, (uint64_t)nlost);
	/* FEC is used wherever the browser put LBRR in the next packet */
	ck_assert_uint_ge(cf.fec_recovered, (uint64_t)nlost / 2);
	ck_assert_uint_eq(cf.fec_recovered + cf.plc_frames, (uint64_t)nlost);
	ck_assert_uint_eq(cp.fec_recovered, 0);
	ck_assert_uint_eq(cp.plc_frames, (uint64_t)nlost);
	ck_assert_double_ge(snr_fec, snr_plc + 3.0);
	ma_buf_free(&ref);
	ma_buf_free(&with_fec);
	ma_buf_free(&plc_only);
	free(e);
}
END_TEST

START_TEST(test_transcode_loss_bursts_concealed_without_clicks)
{
	struct encoded *e = encode_stream(300);
	static bool lost[LOSS_PKTS];
	struct ma_buf ref = { 0 }, out = { 0 };
	struct gw_media_counters c0, c;
	int clean_jump, jump;

	memset(lost, 0, sizeof(lost));
	for (int b = 0; b < 3; b++)               /* bursts of 3, 4 and 5 */
		for (int k = 0; k < 3 + b; k++)
			lost[100 + 100 * b + k] = true;
	run_lossy(e, 400, NULL, true, &ref, &c0);
	run_lossy(e, 400, lost, true, &out, &c);
	ck_assert_uint_eq(out.n, ref.n);          /* no gap in the SIP stream */
	clean_jump = ma_max_jump(ref.s + 1600, ref.n - 1600);
	jump = ma_max_jump(out.s + 1600, out.n - 1600);
	printf("bursts of 3-5 lost: max sample jump %d (clean tone %d), concealed %llu, fec %llu\n",
	       jump, clean_jump, (unsigned long long)c.plc_frames,
	       (unsigned long long)c.fec_recovered);
	ck_assert_uint_eq(c.browser_lost, 12);
	ck_assert_uint_eq(c.plc_frames + c.fec_recovered, 12);
	/* A click is a step far above what the tone itself does per sample:
	 * bound 1.5x the clean tone's largest step.  The bound does catch
	 * clicks: silence in place of the lost frames breaks it. */
	ck_assert_int_le(jump, clean_jump * 3 / 2);
	for (int i = 0; i < LOSS_PKTS && i < 400; i++)
		if (lost[i])
			memset(ref.s + i * 160, 0, 160 * sizeof(ref.s[0]));
	ck_assert_int_gt(ma_max_jump(ref.s + 1600, ref.n - 1600), clean_jump * 3 / 2);
	ma_buf_free(&ref);
	ma_buf_free(&out);
	free(e);
}
END_TEST

/* One second both ways: the browser's Opus tone in, PCMU silence from SIP. */
static void second_both_ways(struct mh *h, uint8_t sip_pt)
{
	uint8_t g711[160];
	double ph = 0;

	memset(g711, sip_pt == 0 ? 0xff : 0xd5, sizeof(g711));
	for (int i = 0; i < 50; i++) {
		int16_t pcm[960];
		uint8_t buf[1500];
		size_t len;

		ma_tone(pcm, 960, 1000, 48000, TONE_AMP, &ph);
		len = mh_browser_encode(h, pcm, buf, sizeof(buf));
		ck_assert_int_eq(mh_from_browser(h, 111, i == 0, buf, len, 960), 0);
		ck_assert_int_eq(mh_from_sip(h, sip_pt, i == 0, g711, 160, 160), 0);
		mh_tick(h);
	}
}

/* codec_us (what contrib/bench/run splits the daemon's CPU by): a
 * transcoded second counts some, never more than the wall time it took;
 * a codec switch keeps what the old coders did; a passthrough session,
 * with no coders, counts none. */
START_TEST(test_transcode_counts_codec_time)
{
	struct gw_media_config cfg;
	struct gw_media_counters c0, c1;
	struct mh h;
	int64_t t0, wall;

	config_for(&cfg, GW_MEDIA_CODEC_PCMU);
	mh_init(&h, &cfg);
	t0 = g_get_monotonic_time();
	second_both_ways(&h, 0);
	wall = g_get_monotonic_time() - t0;
	gw_media_session_get_counters(h.s, &c0);
	printf("codec time: %llu us of %lld us wall, %llu frames to the browser\n",
	       (unsigned long long)c0.codec_us, (long long)wall,
	       (unsigned long long)c0.browser_tx_packets);
	ck_assert_uint_ge(c0.browser_tx_packets, 40);  /* the encoder did run */
	ck_assert_uint_gt(c0.codec_us, 0);
	ck_assert_uint_le(c0.codec_us, (uint64_t)wall);
	ck_assert_int_eq(gw_media_session_set_sip_codec(h.s, GW_MEDIA_CODEC_PCMA, 8, 20, 101), 0);
	gw_media_session_get_counters(h.s, &c1);
	ck_assert_uint_ge(c1.codec_us, c0.codec_us);
	second_both_ways(&h, 8);
	gw_media_session_get_counters(h.s, &c1);
	ck_assert_uint_gt(c1.codec_us, c0.codec_us);
	mh_free(&h);

	config_for(&cfg, GW_MEDIA_CODEC_PCMU);
	cfg.browser_codec = GW_MEDIA_CODEC_PCMU;
	cfg.browser_pt = 0;
	cfg.passthrough = true;
	mh_init(&h, &cfg);
	ck_assert(gw_media_session_is_passthrough(h.s));
	for (int i = 0; i < 50; i++) {
		uint8_t g711[160];

		memset(g711, 0xff, sizeof(g711));
		ck_assert_int_eq(mh_from_browser(&h, 0, i == 0, g711, 160, 160), 0);
		ck_assert_int_eq(mh_from_sip(&h, 0, i == 0, g711, 160, 160), 0);
		mh_tick(&h);
	}
	gw_media_session_get_counters(h.s, &c0);
	ck_assert_uint_ge(c0.sip_tx_packets, 50);
	ck_assert_uint_eq(c0.codec_us, 0);
	mh_free(&h);
}
END_TEST

/* 2 s of a 1 kHz tone from SIP, each tick told how late the loop runs:
 * on time for 25 ticks, 12 ms late for 25, 4 ms for 25, 1 ms for 25 (the
 * bridge calls gw_media_session_set_late before each tick).  Returns the
 * overload counter; what reached the browser is in @out. */
static uint64_t late_run(int overload_complexity, struct ma_buf *out, uint32_t sum[2])
{
	static const uint64_t late_us[4] = { 0, 12000, 4000, 1000 };
	struct gw_media_config cfg;
	struct gw_media_counters c;
	struct mh h;
	double ph = 0;

	config_for(&cfg, GW_MEDIA_CODEC_PCMU);
	cfg.opus_overload_complexity = overload_complexity;
	mh_init(&h, &cfg);
	for (int i = 0; i < 100; i++) {
		int16_t pcm[160];
		uint8_t buf[160];
		size_t len;

		ma_tone(pcm, 160, 1000, 8000, TONE_AMP, &ph);
		len = mh_encode(&h, GW_MEDIA_CODEC_PCMU, pcm, 160, buf);
		ck_assert_int_eq(mh_from_sip(&h, 0, i == 0, buf, len, 160), 0);
		gw_media_session_set_late(h.s, late_us[i / 25]);
		mh_tick(&h);
	}
	gw_media_session_get_counters(h.s, &c);
	ck_assert_uint_ge(c.browser_tx_packets, 90);
	ck_assert_uint_eq(c.jb_concealed, 0);
	ck_assert_uint_eq(mh_decode_sink(&h.browser, 111, GW_MEDIA_CODEC_OPUS, 48000, out),
			  c.browser_tx_packets);
	/* what the encoder made of the first 20 frames, and of the next 40 */
	sum[0] = sum[1] = 2166136261u;
	for (size_t i = 0; i < 60 && i < h.browser.n; i++)
		for (size_t k = GW_RTP_HDR_LEN; k < h.browser.p[i].len; k++)
			sum[i >= 20] = (sum[i >= 20] ^ h.browser.p[i].d[k]) * 16777619u;
	mh_free(&h);
	return c.overload_frames;
}

/* Overload: from 10 ms late (media.overload_late_ms) the encoder toward the
 * browser works at media.overload_opus_complexity, still at 4 ms late (it
 * comes back under a quarter of that), not at 1 ms: the frames of ticks
 * 25-74; the tone plays on at 1 kHz through both switches.  -1 never sheds. */
START_TEST(test_transcode_sheds_encoder_work_while_late)
{
	struct ma_buf out = { 0 }, off = { 0 };
	uint32_t sum_shed[2], sum_never[2];
	uint64_t shed = late_run(1, &out, sum_shed), never = late_run(-1, &off, sum_never);
	double f, snr;

	/* the encoder really changed: the same audio coded the same way before
	 * the loop ran late, differently once it did (Opus is deterministic) */
	ck_assert_uint_eq(sum_shed[0], sum_never[0]);
	ck_assert_uint_ne(sum_shed[1], sum_never[1]);

	/* the tone over the switch to complexity 1 and the one back */
	f = ma_dominant_freq(out.s + 9600, out.n - 9600, 48000, 200, 3400);
	snr = ma_tone_snr_db(out.s + 9600, out.n - 9600, f, 48000);
	printf("overload: %llu frames shed, %.1f Hz, SNR %.1f dB\n", (unsigned long long)shed, f, snr);
	ck_assert_uint_eq(shed, 50);
	ck_assert_uint_eq(never, 0);
	ck_assert_double_le(fabs(f - 1000), 5);
	ck_assert_double_ge(snr, 15);
	ma_buf_free(&out);
	ma_buf_free(&off);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("transcode");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_transcode_browser_tone_reaches_sip_pcmu);
	tcase_add_test(tc, test_transcode_browser_tone_reaches_sip_pcma);
	tcase_add_test(tc, test_transcode_browser_tone_reaches_sip_g722);
	tcase_add_test(tc, test_transcode_sip_pcmu_tone_reaches_browser);
	tcase_add_test(tc, test_transcode_sip_pcma_tone_reaches_browser);
	tcase_add_test(tc, test_transcode_sip_g722_tone_reaches_browser);
	tcase_add_test(tc, test_transcode_fec_beats_plc_under_5pct_single_loss);
	tcase_add_test(tc, test_transcode_loss_bursts_concealed_without_clicks);
	tcase_add_test(tc, test_transcode_counts_codec_time);
	tcase_add_test(tc, test_transcode_sheds_encoder_work_while_late);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
