/* test_playout.c — how the SIP -> browser playout sheds delay when the
 * audio never goes silent: gw_accelerate() cuts whole pitch periods out of
 * tones and voiced sound (same pitch, no click) and leaves noise alone; in a
 * session, a continuous tone's start allowance and a hiccup's backlog are
 * shed within seconds (before, they stayed until a pause), the tone staying
 * a clean 1 kHz throughout.
 */
#include "gw_check.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "media/accelerate.h"
#include "media_harness.h"

/* ---- gw_accelerate on its own ---- */

/* @min_snr: a period of a whole number of samples splices exactly; else
 * the cut lands up to half a sample off (a phase step of a few degrees,
 * inaudible, which a single sine fit still counts). */
static void check_tone_cut(unsigned rate, double freq, double min_snr)
{
	const size_t n = 2 * rate / 50;  /* 40 ms: two frames */
	int16_t in[640], out[640];
	double ph = 0, f, snr;
	size_t cut;

	ma_tone(in, n, freq, rate, 12000, &ph);
	memcpy(out, in, sizeof(out));
	cut = gw_accelerate(out, n, rate);
	f = ma_dominant_freq(out, n - cut, rate, 100, 3000);
	snr = ma_tone_snr_db(out, n - cut, freq, rate);
	printf("%u Hz tone at %u Hz: cut %zu samples (%.2f periods), %.1f Hz, SNR %.1f dB, "
	       "max jump %d (tone %d)\n", (unsigned)freq, rate, cut, cut * freq / rate, f, snr,
	       ma_max_jump(out, n - cut), ma_max_jump(in, n));
	ck_assert_uint_ge(cut, rate / 400);           /* 2.5 .. 15 ms */
	ck_assert_uint_le(cut, rate * 15 / 1000);
	ck_assert(fabs(f - freq) <= freq * 0.005);
	ck_assert(snr >= min_snr);                    /* no phase jump, no click */
	ck_assert_int_le(ma_max_jump(out, n - cut), ma_max_jump(in, n) * 11 / 10);
}

START_TEST(test_accelerate_tone_keeps_its_pitch)
{
	check_tone_cut(8000, 1000, 60);
	check_tone_cut(8000, 440, 25);   /* a period of 18.2 samples */
	check_tone_cut(16000, 1000, 60);
	check_tone_cut(16000, 230, 25);  /* 69.6 samples */
}
END_TEST

START_TEST(test_accelerate_voiced_speech_is_cut_smoothly)
{
	const unsigned rate = 8000;
	const size_t n = 320;
	unsigned cuts = 0, windows = 0;

	/* 2 s of the speech-like signal (gliding pitch, syllable envelope),
	 * one 40 ms window every 40 ms. */
	for (size_t at = 0; at + n <= 16000; at += n) {
		int16_t in[320], out[320];
		size_t cut;

		ma_speechlike(in, n, rate, at);
		memcpy(out, in, sizeof(out));
		cut = gw_accelerate(out, n, rate);
		windows++;
		if (!cut) {
			ck_assert_int_eq(memcmp(in, out, sizeof(in)), 0);
			continue;
		}
		cuts++;
		/* the fade starts where the audio did and ends where its rest
		 * begins: no step bigger than the sound itself makes */
		ck_assert_int_eq(out[0], in[0]);
		ck_assert_int_eq(out[n - cut - 1], in[n - 1]);
		ck_assert_int_le(ma_max_jump(out, n - cut), ma_max_jump(in, n) * 3 / 2 + 50);
	}
	printf("speech-like: %u of %u windows cut\n", cuts, windows);
	ck_assert_uint_ge(cuts, windows * 3 / 4);
}
END_TEST

START_TEST(test_accelerate_leaves_loud_noise_and_short_buffers_alone)
{
	int16_t x[640], y[640];
	uint32_t rng = 7;
	double ph = 0;

	for (size_t i = 0; i < 640; i++) {
		rng = rng * 1103515245u + 12345u;
		x[i] = (int16_t)((int32_t)(rng >> 16) - 32768) / 3;
	}
	memcpy(y, x, sizeof(y));
	ck_assert_uint_eq(gw_accelerate(y, 320, 8000), 0);
	ck_assert_uint_eq(gw_accelerate(y, 640, 16000), 0);
	ck_assert_int_eq(memcmp(x, y, sizeof(x)), 0);
	/* the same noise 40 dB down is inaudible: cut anyway */
	for (size_t i = 0; i < 640; i++)
		y[i] = x[i] / 100;
	ck_assert_uint_gt(gw_accelerate(y, 320, 8000), 0);
	/* shorter than two longest periods, or a rate it does not know */
	ma_tone(y, 640, 1000, 8000, 12000, &ph);
	ck_assert_uint_eq(gw_accelerate_window(8000), 240);
	ck_assert_uint_eq(gw_accelerate(y, 239, 8000), 0);
	ck_assert_uint_eq(gw_accelerate(y, 640, 44100), 0);
}
END_TEST

/* ---- in a session ---- */

#define G711 GW_MEDIA_CODEC_PCMA
#define G711_PT 8

struct tone_run {
	unsigned delay_ms_at[10];        /* jb_delay_ms at each whole second */
	struct gw_media_counters c;
	struct ma_buf out;               /* what the browser got, decoded */
};

/* @seconds of a continuous 1 kHz A-law tone from SIP, a packet every 20 ms
 * arriving 3 ms after its tick; from @hiccup_at_ms (when non-zero) nothing
 * arrives for @hiccup_ms, then the held packets all at once. */
static void tone_from_sip(unsigned start_ms, unsigned seconds, unsigned hiccup_at_ms,
			  unsigned hiccup_ms, struct tone_run *r)
{
	struct gw_media_config cfg;
	struct mh h;
	const unsigned npk = seconds * 50;
	uint8_t *alaw = malloc((size_t)npk * 160);
	int16_t *pcm = malloc((size_t)npk * 160 * sizeof(*pcm));
	double ph = 0;
	unsigned sent = 0;
	uint64_t t0;

	gw_media_config_init(&cfg);
	cfg.browser_codec = cfg.sip_codec = G711;
	cfg.browser_pt = cfg.sip_pt = G711_PT;
	cfg.passthrough = false;
	cfg.jitter_start_ms = start_ms;
	mh_init(&h, &cfg);
	ma_tone(pcm, (size_t)npk * 160, 1000, 8000, 12000, &ph);
	ck_assert_uint_eq(mh_encode(&h, G711, pcm, (size_t)npk * 160, alaw), (size_t)npk * 160);
	memset(r, 0, sizeof(*r));
	t0 = h.now;
	for (uint64_t t = 0; t < (uint64_t)seconds * 1000000; t += 1000) {
		h.now = t0 + t;
		/* packet k is due at k*20+3 ms, or at the hiccup's end */
		while (sent < npk) {
			uint64_t due = (uint64_t)sent * 20000 + 3000;

			if (hiccup_ms && due >= hiccup_at_ms * 1000ull &&
			    due < (hiccup_at_ms + hiccup_ms) * 1000ull)
				due = (hiccup_at_ms + hiccup_ms) * 1000ull;
			if (due > t)
				break;
			/* (after a hiccup, some come too late: refused) */
			mh_from_sip(&h, G711_PT, sent == 0, alaw + (size_t)sent * 160, 160, 160);
			sent++;
		}
		if (t % 20000)
			continue;
		gw_media_session_tick(h.s, h.now);
		if (t % 1000000 == 0 && t / 1000000 < 10) {
			gw_media_session_get_counters(h.s, &r->c);
			r->delay_ms_at[t / 1000000] = r->c.jb_delay_ms;
		}
	}
	gw_media_session_get_counters(h.s, &r->c);
	mh_decode_sink(&h.browser, G711_PT, G711, 8000, &r->out);
	free(alaw);
	free(pcm);
	mh_free(&h);
}

/* Every 20 ms of the browser's audio (after the first) is a clean 1 kHz. */
static void check_clean_tone(const struct ma_buf *out)
{
	double worst = 100;

	ck_assert_uint_ge(out->n, 160 * 50);
	for (size_t at = 160; at + 160 <= out->n; at += 160) {
		double snr = ma_tone_snr_db(out->s + at, 160, 1000, 8000);

		if (snr < worst)
			worst = snr;
	}
	printf("   browser audio: %zu samples, worst 20 ms SNR %.1f dB, max jump %d\n",
	       out->n, worst, ma_max_jump(out->s + 160, out->n - 160));
	ck_assert(worst >= 25.0);
	ck_assert(fabs(ma_dominant_freq(out->s, out->n, 8000, 500, 2000) - 1000) <= 1);
}

START_TEST(test_playout_continuous_tone_sheds_the_start_allowance)
{
	struct tone_run r;

	/* Start as cautious as the bound (the old behaviour): 200 ms of
	 * allowance that the steady stream turns out not to need. */
	tone_from_sip(200, 6, 0, 0, &r);
	printf("start 200 ms, steady tone: delay by second %u %u %u %u %u %u ms, "
	       "accel %llu ms, shrunk %llu, concealed %llu\n", r.delay_ms_at[1], r.delay_ms_at[2],
	       r.delay_ms_at[3], r.delay_ms_at[4], r.delay_ms_at[5], r.c.jb_delay_ms,
	       (unsigned long long)r.c.jb_accel_ms, (unsigned long long)r.c.jb_shrunk,
	       (unsigned long long)r.c.jb_concealed);
	ck_assert_uint_ge(r.delay_ms_at[1], 150);    /* it did start high */
	ck_assert_uint_le(r.delay_ms_at[5], 50);     /* and came down in a tone */
	ck_assert_uint_le(r.c.jb_delay_ms, 50);
	ck_assert_uint_ge(r.c.jb_accel_ms, 120);
	ck_assert_uint_eq(r.c.jb_shrunk, 0);         /* never silent */
	ck_assert_uint_eq(r.c.jb_concealed, 0);
	check_clean_tone(&r.out);
	ma_buf_free(&r.out);
}
END_TEST

START_TEST(test_playout_hiccup_backlog_is_shed_in_a_tone)
{
	struct tone_run r;

	/* Default start; at 2 s the trunk's packets stop for 300 ms and then
	 * come all at once (a network stall): the buffer grows to cover it,
	 * and once that jitter has left its history (100 packets) sheds it. */
	tone_from_sip(80, 9, 2000, 300, &r);
	printf("hiccup of 300 ms at 2 s: delay by second %u %u %u %u %u %u %u %u ms, "
	       "accel %llu ms, concealed %llu, late %llu\n", r.delay_ms_at[1], r.delay_ms_at[2],
	       r.delay_ms_at[3], r.delay_ms_at[4], r.delay_ms_at[5], r.delay_ms_at[6],
	       r.delay_ms_at[7], r.c.jb_delay_ms, (unsigned long long)r.c.jb_accel_ms,
	       (unsigned long long)r.c.jb_concealed, (unsigned long long)r.c.jb_late);
	ck_assert_uint_ge(r.delay_ms_at[3], 150);    /* grew over the stall */
	ck_assert_uint_le(r.c.jb_delay_ms, 60);      /* and came down again */
	ck_assert_uint_ge(r.c.jb_accel_ms, 100);
	ck_assert_uint_le(r.c.jb_concealed, 16);     /* the stall itself */
	ma_buf_free(&r.out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("playout");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_accelerate_tone_keeps_its_pitch);
	tcase_add_test(tc, test_accelerate_voiced_speech_is_cut_smoothly);
	tcase_add_test(tc, test_accelerate_leaves_loud_noise_and_short_buffers_alone);
	tcase_add_test(tc, test_playout_continuous_tone_sheds_the_start_allowance);
	tcase_add_test(tc, test_playout_hiccup_backlog_is_shed_in_a_tone);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
