/* test_codec.c — the codec layer (media/codec.h) with the real libopus and
 * spandsp: a 1 kHz tone survives each codec at the right frequency and with
 * a sane SNR, Opus FEC data is recognised, bad payloads are refused.
 */
#include "gw_check.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "media/codec.h"
#include "media_audio.h"

static const struct gw_media_opus_cfg opus_cfg = {
	.complexity = 5, .bitrate = 24000, .fec = true, .loss_pct = 10, .dtx = false,
};

/* Encode/decode @seconds of a 1 kHz tone in 20 ms frames; returns output. */
static void roundtrip(enum gw_media_codec codec, unsigned rate, struct ma_buf *out)
{
	struct gw_encoder *e;
	struct gw_decoder *d;
	size_t frame = rate / 50;
	double ph = 0;

	ck_assert_int_eq(gw_encoder_new(codec, rate, &opus_cfg, &e), 0);
	ck_assert_int_eq(gw_decoder_new(codec, rate, &d), 0);
	for (int i = 0; i < 100; i++) {
		int16_t in[320], pcm[GW_CODEC_MAX_FRAME];
		uint8_t buf[1500];
		size_t len = 0, n = 0;

		ma_tone(in, frame, 1000, rate, 10000, &ph);
		ck_assert_int_eq(gw_encoder_encode(e, in, frame, buf, sizeof(buf), &len), 0);
		ck_assert_uint_gt(len, 0);
		ck_assert_int_eq(gw_decoder_decode(d, buf, len, pcm, GW_CODEC_MAX_FRAME, &n), 0);
		ck_assert_uint_eq(n, frame);
		ma_buf_add(out, pcm, n);
	}
	gw_encoder_free(e);
	gw_decoder_free(d);
}

static void check_tone(enum gw_media_codec codec, unsigned rate, double min_snr)
{
	struct ma_buf out = { 0 };
	size_t skip = rate / 5;          /* codec start-up */
	double f, snr;

	roundtrip(codec, rate, &out);
	f = ma_dominant_freq(out.s + skip, out.n - skip, rate, 200, 3400);
	snr = ma_tone_snr_db(out.s + skip, out.n - skip, f, rate);
	printf("codec %s @%u: %.1f Hz, SNR %.1f dB\n", gw_media_codec_name(codec), rate, f, snr);
	ck_assert_double_le(fabs(f - 1000), 5);
	ck_assert_double_ge(snr, min_snr);
	ma_buf_free(&out);
}

START_TEST(test_codec_pcmu_keeps_1khz_tone)
{
	check_tone(GW_MEDIA_CODEC_PCMU, 8000, 30);
}
END_TEST

START_TEST(test_codec_pcma_keeps_1khz_tone)
{
	check_tone(GW_MEDIA_CODEC_PCMA, 8000, 30);
}
END_TEST

START_TEST(test_codec_g722_keeps_1khz_tone_at_16k)
{
	check_tone(GW_MEDIA_CODEC_G722, 16000, 25);
}
END_TEST

START_TEST(test_codec_opus_keeps_1khz_tone_at_8k_and_16k)
{
	check_tone(GW_MEDIA_CODEC_OPUS, 8000, 15);
	check_tone(GW_MEDIA_CODEC_OPUS, 16000, 15);
}
END_TEST

START_TEST(test_codec_opus_fec_flag_follows_encoder_setting)
{
	struct gw_media_opus_cfg cfg = opus_cfg;
	int with = 0, without = 0;

	for (int pass = 0; pass < 2; pass++) {
		struct gw_encoder *e;
		double ph = 0;

		cfg.fec = pass == 0;
		ck_assert_int_eq(gw_encoder_new(GW_MEDIA_CODEC_OPUS, 8000, &cfg, &e), 0);
		for (int i = 0; i < 50; i++) {
			int16_t in[160];
			uint8_t buf[1500];
			size_t len;

			ma_speechlike(in, 160, 8000, (size_t)i * 160);
			ck_assert_int_eq(gw_encoder_encode(e, in, 160, buf, sizeof(buf), &len), 0);
			if (i > 0 && gw_opus_packet_has_fec(buf, len))
				*(pass == 0 ? &with : &without) += 1;
			(void)ph;
		}
		gw_encoder_free(e);
	}
	printf("opus packets with FEC: %d/49 when on, %d/49 when off\n", with, without);
	ck_assert_int_gt(with, 30);
	ck_assert_int_eq(without, 0);
}
END_TEST

START_TEST(test_codec_payload_duration_per_codec)
{
	uint8_t p[480] = { 0 };

	ck_assert_uint_eq(gw_codec_payload_duration(GW_MEDIA_CODEC_PCMU, p, 240), 240);
	ck_assert_uint_eq(gw_codec_payload_duration(GW_MEDIA_CODEC_G722, p, 160), 160);
	/* TOC config 1 (SILK NB 20 ms), code 0: one 20 ms frame = 960 at 48 kHz */
	p[0] = 1 << 3;
	ck_assert_uint_eq(gw_codec_payload_duration(GW_MEDIA_CODEC_OPUS, p, 10), 960);
	ck_assert_uint_eq(gw_media_codec_clock(GW_MEDIA_CODEC_G722), 8000);
	ck_assert_uint_eq(gw_media_codec_clock(GW_MEDIA_CODEC_OPUS), 48000);
	ck_assert_uint_eq(gw_codec_pcm_rate(GW_MEDIA_CODEC_OPUS, GW_MEDIA_CODEC_G722), 16000);
}
END_TEST

START_TEST(test_codec_refuses_bad_payloads_and_settings)
{
	struct gw_decoder *d;
	struct gw_encoder *e;
	struct gw_media_opus_cfg bad = opus_cfg;
	int16_t pcm[GW_CODEC_MAX_FRAME];
	uint8_t junk[3] = { 0xff, 0xff, 0xff };   /* code 3, 0 frames: invalid */
	size_t n;

	ck_assert_int_eq(gw_decoder_new(GW_MEDIA_CODEC_OPUS, 8000, &d), 0);
	ck_assert_int_eq(gw_decoder_decode(d, junk, sizeof(junk), pcm, GW_CODEC_MAX_FRAME, &n), EBADMSG);
	ck_assert_int_eq(gw_decoder_decode(d, junk, 0, pcm, GW_CODEC_MAX_FRAME, &n), EBADMSG);
	gw_decoder_free(d);
	ck_assert_int_eq(gw_decoder_new(GW_MEDIA_CODEC_PCMU, 16000, &d), EIO);
	ck_assert_int_eq(gw_decoder_new(GW_MEDIA_CODEC_NONE, 8000, &d), EINVAL);
	bad.complexity = 11;
	ck_assert_int_eq(gw_encoder_new(GW_MEDIA_CODEC_OPUS, 8000, &bad, &e), EINVAL);
	/* A G.711 payload longer than the output buffer is refused, not overrun. */
	ck_assert_int_eq(gw_decoder_new(GW_MEDIA_CODEC_PCMA, 8000, &d), 0);
	ck_assert_int_eq(gw_decoder_decode(d, (uint8_t *)pcm, 200, pcm + 1000, 100, &n), EBADMSG);
	gw_decoder_free(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("codec");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_codec_pcmu_keeps_1khz_tone);
	tcase_add_test(tc, test_codec_pcma_keeps_1khz_tone);
	tcase_add_test(tc, test_codec_g722_keeps_1khz_tone_at_16k);
	tcase_add_test(tc, test_codec_opus_keeps_1khz_tone_at_8k_and_16k);
	tcase_add_test(tc, test_codec_opus_fec_flag_follows_encoder_setting);
	tcase_add_test(tc, test_codec_payload_duration_per_codec);
	tcase_add_test(tc, test_codec_refuses_bad_payloads_and_settings);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
