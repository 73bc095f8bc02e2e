/* test_playout.c — how the SIP -> browser playout sheds delay when the
 * audio never goes silent: gw_accelerate() cuts whole pitch periods out of
 * tones and voiced sound (same pitch, no click) and leaves noise alone; in a
 * session, a continuous tone's start allowance and a hiccup's backlog are
 * shed within seconds (before, they stayed until a pause), the tone staying
 * a clean 1 kHz throughout; hostile SIP streams (jitter, bursts, loss,
 * duplicates, garbage, odd sizes, comfort noise, source and timeline jumps,
 * hold, codec changes) never break the playout or its delay bound.
 */
#include "gw_check.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
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
		/* the fade ends on the sample before the rest (in[2 cut - 1],
		 * give or take the last weight's 1/cut of in[cut - 1]), so the
		 * seam is no step bigger than the sound itself makes */
		ck_assert_int_le(abs(out[cut - 1] - in[2 * cut - 1]),
				 abs(in[cut - 1] - in[2 * cut - 1]) / (int)cut + 1);
		ck_assert_int_eq(out[cut], in[2 * cut]);
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

static uint32_t rnd(uint32_t *st)
{
	*st = *st * 1103515245u + 12345u;
	return *st >> 8;
}

/* One hostile SIP stream into a session for 15 s of fake time. */
/* @codec, and (re-INVITEs) @other, at the other rate; both at @ptime. */
static void hostile_stream(enum gw_media_codec codec, uint8_t pt, enum gw_media_codec other,
			   uint8_t other_pt, unsigned ptime, uint32_t seed)
{
	enum { SECONDS = 15, MAX_AHEAD = 64 };
	struct gw_media_config cfg;
	struct gw_media_counters c;
	struct mh h;
	const unsigned clock = 8000;
	unsigned r = codec == GW_MEDIA_CODEC_G722 ? 2 : 1;
	struct { uint64_t at; size_t len; uint8_t d[1200]; } q[MAX_AHEAD];
	unsigned nq = 0, ticks = 0, max_delay = 0;
	uint32_t st = seed, ts = 1000, ssrc = 0x1234;
	uint16_t seq = 1;
	uint64_t t0, next_pkt = 0, burst_until = 0;
	double ph = 0;

	gw_media_config_init(&cfg);
	cfg.sip_codec = codec;
	cfg.sip_pt = pt;
	cfg.sip_ptime_ms = ptime;
	mh_init(&h, &cfg);
	t0 = h.now;
	for (uint64_t t = 0; t < SECONDS * 1000000ull; t += 1000) {
		h.now = t0 + t;
		if (t >= next_pkt) {
			/* the next packet: tone, speech or silence by the second,
			 * sometimes 10 or 60 ms long, sometimes comfort noise */
			unsigned ms = rnd(&st) % 50 ? ptime : (rnd(&st) % 2 ? 10 : 60);
			size_t ns = (size_t)ms * clock / 1000 * r, len;
			int16_t pcm[960];
			uint8_t pay[960];
			/* calm and rough seconds: the buffer grows and sheds */
			uint64_t delay = rnd(&st) % (t / 1000000 % 4 ? 20 : 150) * 1000;

			switch (t / 1000000 % 3) {
			case 0: ma_tone(pcm, ns, 1000, clock * r, 9000, &ph); break;
			case 1: ma_speechlike(pcm, ns, clock * r, t / 125 * r); break;
			default: memset(pcm, 0, ns * sizeof(pcm[0])); break;
			}
			len = mh_encode(&h, codec, pcm, ns, pay);
			if (rnd(&st) % 40 == 0) {            /* comfort noise */
				pay[0] = 60;
				len = 1;
			}
			if (rnd(&st) % 200 == 0)            /* a new source */
				ssrc = rnd(&st);
			if (rnd(&st) % 300 == 0)            /* a timeline jump */
				ts += rnd(&st) % 2 ? 8000 * 30 : (uint32_t)-8000 * 20;
			if (rnd(&st) % 250 == 0)            /* a network stall */
				burst_until = t + 100000 + rnd(&st) % 500000;
			if (rnd(&st) % 33 && nq < MAX_AHEAD) {  /* else lost */
				q[nq].at = MAX(t + delay, burst_until);
				q[nq].len = mh_rtp(q[nq].d, len == 1 ? 13 : pt, false, seq, ts, ssrc,
						   pay, len);
				if (rnd(&st) % 100 == 0)      /* cut short: malformed */
					q[nq].len = rnd(&st) % 12;
				if (rnd(&st) % 100 == 0)      /* garbage of any size */
					for (size_t i = 12; i < q[nq].len; i++)
						q[nq].d[i] = (uint8_t)rnd(&st);
				nq++;
				if (rnd(&st) % 100 == 0 && nq < MAX_AHEAD) {  /* twice */
					q[nq] = q[nq - 1];
					q[nq].at += rnd(&st) % 80000;
					nq++;
				}
			}
			seq++;
			ts += (uint32_t)(ms * clock / 1000);
			next_pkt += ms * 1000ull;
		}
		for (unsigned i = 0; i < nq;) {
			if (q[i].at > t) {
				i++;
				continue;
			}
			gw_media_session_feed_from_sip(h.s, q[i].d, q[i].len, h.now);
			q[i] = q[--nq];
		}
		/* ticks on time, 15 ms late, or skipped (the next catches up) */
		if (t % 20000 == (rnd(&st) % 4 ? 0 : 15000) && rnd(&st) % 8) {
			gw_media_session_tick(h.s, h.now);
			ticks++;
			gw_media_session_get_counters(h.s, &c);
			max_delay = MAX(max_delay, c.jb_delay_ms);
		}
		if (t % 1000000 == 500000 && rnd(&st) % 5 == 0) {  /* hold for a while */
			gw_media_session_set_hold(h.s, true);
			gw_media_session_set_hold(h.s, false);
		}
		if (t % 1000000 == 0 && rnd(&st) % 3 == 0) {  /* re-INVITE: the other rate */
			enum gw_media_codec x = codec;
			uint8_t xpt = pt;

			codec = other;
			pt = other_pt;
			other = x;
			other_pt = xpt;
			r = codec == GW_MEDIA_CODEC_G722 ? 2 : 1;
			ck_assert_int_eq(gw_media_session_set_sip_codec(h.s, codec, pt, ptime, 101), 0);
		}
	}
	gw_media_session_get_counters(h.s, &c);
	printf("hostile %s/%u ms seed %u: %u ticks, browser packets %zu, late %llu, dropped "
	       "%llu, concealed %llu, shrunk %llu, accel %llu ms, undecodable %llu, malformed "
	       "%llu, max delay %u ms\n", gw_media_codec_name(codec), ptime, seed, ticks,
	       h.browser.n, (unsigned long long)c.jb_late, (unsigned long long)c.jb_dropped,
	       (unsigned long long)c.jb_concealed, (unsigned long long)c.jb_shrunk,
	       (unsigned long long)c.jb_accel_ms, (unsigned long long)c.undecodable,
	       (unsigned long long)c.malformed, max_delay);
	/* the browser stream went on, and the delay stayed within the bound
	 * (200) plus margin, hysteresis and what is carried over */
	ck_assert_uint_ge(h.browser.n, SECONDS * 50 / 2);
	ck_assert_uint_le(max_delay, 200 + 10 + 40 + 30);
	mh_free(&h);
}

START_TEST(test_playout_survives_hostile_sip_streams)
{
	for (uint32_t seed = 1; seed <= 3; seed++) {
		hostile_stream(GW_MEDIA_CODEC_PCMA, 8, GW_MEDIA_CODEC_G722, 9, 20, seed);
		hostile_stream(GW_MEDIA_CODEC_G722, 9, GW_MEDIA_CODEC_PCMU, 0, 20, seed);
		hostile_stream(GW_MEDIA_CODEC_PCMU, 0, GW_MEDIA_CODEC_G722, 9, 30, seed);
	}
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
	tcase_add_test(tc, test_playout_survives_hostile_sip_streams);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
