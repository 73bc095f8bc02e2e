/* test_tool_audio_loop.c — rtcsip-call's pre-encoded tone, its latency
 * probe and the codec chain's delay (src/tools/audio_loop.c), with the real
 * codecs: what a load run sends must decode to the tone asked for, the
 * probe's gap must be silent, the onset detector must find the tone after
 * the gap (and nothing else), and the codec delay must be what the codecs
 * really add. */
#include "gw_check.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../../src/tools/audio.h"
#include "../../src/tools/audio_loop.h"
#include "media/codec.h"

static const struct gw_media_opus_cfg client = {
	.complexity = 5, .bitrate = 32000, .fec = true, .loss_pct = 5
};

/* Decode @loops passes of @l at @rate into a new buffer; *@n samples. */
static int16_t *decode_loop(const struct gw_tool_audio_loop *l, unsigned rate, unsigned loops,
			    size_t *n)
{
	struct gw_decoder *d;
	size_t frame = rate / 50, got;
	int16_t *pcm = calloc((size_t)loops * GW_TOOL_LOOP_FRAMES * frame + GW_CODEC_MAX_FRAME,
			      sizeof(*pcm));

	ck_assert_int_eq(gw_decoder_new(l->codec, rate, &d), 0);
	*n = 0;
	for (unsigned i = 0; i < loops * GW_TOOL_LOOP_FRAMES; i++) {
		unsigned k = i % GW_TOOL_LOOP_FRAMES;

		ck_assert_int_eq(gw_decoder_decode(d, l->data[k], l->len[k], pcm + *n,
						   GW_CODEC_MAX_FRAME, &got), 0);
		ck_assert_uint_eq(got, frame);
		*n += got;
	}
	gw_decoder_free(d);
	return pcm;
}

START_TEST(test_opus_loop_decodes_to_the_tone_across_the_loop_boundary)
{
	struct gw_tool_audio_loop *l;
	size_t n;
	int16_t *pcm;
	double rms, hz;

	ck_assert_int_eq(gw_tool_audio_loop_build(GW_MEDIA_CODEC_OPUS, 440, false, &client, &l), 0);
	ck_assert_int_eq(l->onset_frame, -1);
	ck_assert_uint_eq(l->clock, 48000);
	ck_assert_uint_eq(l->ts_step, 960);
	pcm = decode_loop(l, 16000, 2, &n);
	/* the half second around the loop's end and start */
	hz = gw_tool_audio_dominant_hz(pcm + 12000, 8000, 16000, 4000, &rms);
	ck_assert_msg(fabs(hz - 440) <= 2, "heard %.1f Hz", hz);
	ck_assert_msg(20 * log10(rms / 32768) > -12, "level %.1f dBFS", 20 * log10(rms / 32768));
	free(pcm);
	gw_tool_audio_loop_free(l);
}
END_TEST

START_TEST(test_probe_loop_is_silent_for_100_ms_then_the_tone)
{
	struct gw_tool_audio_loop *l;
	size_t n;
	int16_t *pcm;
	int peak = 0;

	ck_assert_int_eq(gw_tool_audio_loop_build(GW_MEDIA_CODEC_PCMU, 1000, true, &client, &l), 0);
	ck_assert_int_eq(l->onset_frame, GW_TOOL_PROBE_GAP_MS / 20);
	ck_assert_uint_eq(l->len[0], 160);
	pcm = decode_loop(l, 8000, 1, &n);
	for (size_t i = 0; i < 800; i++)
		ck_assert_msg(abs(pcm[i]) < 100, "sample %zu of the gap is %d", i, pcm[i]);
	for (size_t i = 800; i < 1600; i++)
		if (abs(pcm[i]) > peak)
			peak = abs(pcm[i]);
	ck_assert_msg(peak > 15000, "tone peak %d", peak);
	free(pcm);
	gw_tool_audio_loop_free(l);
}
END_TEST

START_TEST(test_loop_refuses_what_cannot_loop_or_is_no_browser_codec)
{
	struct gw_tool_audio_loop *l = NULL;

	ck_assert_int_eq(gw_tool_audio_loop_build(GW_MEDIA_CODEC_OPUS, 1000.5, false, &client, &l), EINVAL);
	ck_assert_int_eq(gw_tool_audio_loop_build(GW_MEDIA_CODEC_OPUS, 20, false, &client, &l), EINVAL);
	ck_assert_int_eq(gw_tool_audio_loop_build(GW_MEDIA_CODEC_G722, 1000, false, &client, &l), EINVAL);
	ck_assert_ptr_null(l);
}
END_TEST

START_TEST(test_codec_delay_is_what_the_codec_chain_adds)
{
	struct gw_media_config gw;
	struct gw_tool_audio_loop *opus, *pcmu, *plain;
	double ms = -1;

	gw_media_config_init(&gw);
	ck_assert_int_eq(gw_tool_audio_loop_build(GW_MEDIA_CODEC_OPUS, 1000, true, &client, &opus), 0);
	ck_assert_int_eq(gw_tool_audio_loop_build(GW_MEDIA_CODEC_PCMU, 1000, true, &client, &pcmu), 0);
	ck_assert_int_eq(gw_tool_audio_loop_build(GW_MEDIA_CODEC_OPUS, 1000, false, &client, &plain), 0);
	/* two Opus encoders (6.5 ms look-ahead each) and their decoders */
	ck_assert_int_eq(gw_tool_audio_loop_codec_delay(opus, &gw.opus, &ms), 0);
	ck_assert_msg(ms > 8 && ms < 30, "Opus chain delay %.2f ms", ms);
	/* G.711 has none: only the detector's first loud sample */
	ck_assert_int_eq(gw_tool_audio_loop_codec_delay(pcmu, &gw.opus, &ms), 0);
	ck_assert_msg(ms >= 0 && ms < 1, "PCMU delay %.2f ms", ms);
	ck_assert_int_eq(gw_tool_audio_loop_codec_delay(plain, &gw.opus, &ms), EINVAL);
	gw_tool_audio_loop_free(opus);
	gw_tool_audio_loop_free(pcmu);
	gw_tool_audio_loop_free(plain);
}
END_TEST

static void tone(int16_t *pcm, size_t n, double amp)
{
	for (size_t i = 0; i < n; i++)
		pcm[i] = (int16_t)lrint(amp * sin(2 * M_PI * 1000 * (double)i / 8000));
}

START_TEST(test_onset_is_the_tone_after_a_gap_and_nothing_else)
{
	struct gw_tool_onset o;
	int16_t pcm[2400] = { 0 };

	/* a continuous tone never has an onset */
	gw_tool_onset_init(&o, 8000);
	tone(pcm, 2400, 16384);
	ck_assert_int_eq(gw_tool_onset_feed(&o, pcm, 2400), -1);
	/* 10 ms of silence is a pause, not the probe's gap */
	memset(pcm, 0, 80 * sizeof(pcm[0]));
	ck_assert_int_eq(gw_tool_onset_feed(&o, pcm, 160), -1);
	/* 40 ms of silence, then a tone ramping up through the mid levels:
	 * the onset is the first loud sample, found across frame edges */
	memset(pcm, 0, sizeof(pcm));
	for (size_t i = 320; i < 400; i++)
		pcm[i] = (int16_t)((i - 320) * 100 * ((i & 1) ? 1 : -1));
	ck_assert_int_eq(gw_tool_onset_feed(&o, pcm, 160), -1);
	ck_assert_int_eq(gw_tool_onset_feed(&o, pcm + 160, 160), -1);
	ck_assert_int_eq(gw_tool_onset_feed(&o, pcm + 320, 160), 41);
	/* once found, the same tone does not count again */
	ck_assert_int_eq(gw_tool_onset_feed(&o, pcm + 320, 160), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tool_audio_loop");
	TCase *tc = tcase_create("audio_loop");

	tcase_add_test(tc, test_opus_loop_decodes_to_the_tone_across_the_loop_boundary);
	tcase_add_test(tc, test_probe_loop_is_silent_for_100_ms_then_the_tone);
	tcase_add_test(tc, test_loop_refuses_what_cannot_loop_or_is_no_browser_codec);
	tcase_add_test(tc, test_codec_delay_is_what_the_codec_chain_adds);
	tcase_add_test(tc, test_onset_is_the_tone_after_a_gap_and_nothing_else);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
