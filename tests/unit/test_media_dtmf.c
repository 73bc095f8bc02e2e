/* test_media_dtmf.c — DTMF through a whole session: every digit of
 * 0123456789*#ABCD crosses each way exactly once with the right duration on
 * the right clock (48 kHz toward the browser, 8 kHz toward SIP), digits the
 * browser asks for go out as RFC 4733, in-band tones from the trunk are
 * detected, and timestamps never go backwards.
 */
#include "gw_check.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spandsp.h>
#include "media/dtmf.h"
#include "media_harness.h"

static const char all_digits[] = "0123456789*#ABCD";

/* What one leg received as telephone-events, grouped per event. */
struct events {
	char digits[32];
	uint32_t ts[32];
	uint16_t final_dur[32];
	int ends[32], markers[32];
	int n;
	bool ts_backwards;
};

static void collect_events(const struct mh_sink *sink, uint8_t te_pt, struct events *ev)
{
	memset(ev, 0, sizeof(*ev));
	for (size_t i = 0; i < sink->n; i++) {
		struct gw_rtp_hdr h;
		struct gw_dtmf_ev e;

		ck_assert_int_eq(gw_rtp_parse(sink->p[i].d, sink->p[i].len, &h), 0);
		if (h.pt != te_pt)
			continue;
		ck_assert_int_eq(gw_dtmf_ev_parse(h.payload, h.payload_len, &e), 0);
		if (ev->n == 0 || h.ts != ev->ts[ev->n - 1]) {
			ck_assert_int_lt(ev->n, 32);
			if (ev->n && gw_rtp_ts_diff(h.ts, ev->ts[ev->n - 1]) <= 0)
				ev->ts_backwards = true;
			ev->ts[ev->n] = h.ts;
			ev->digits[ev->n++] = gw_dtmf_digit(e.event);
		}
		ev->final_dur[ev->n - 1] = e.duration;
		ev->ends[ev->n - 1] += e.end;
		ev->markers[ev->n - 1] += h.marker;
	}
}

static void check_events(const struct events *ev, uint16_t dur)
{
	ck_assert_str_eq(ev->digits, all_digits);
	ck_assert(!ev->ts_backwards);
	for (int i = 0; i < ev->n; i++) {
		ck_assert_uint_eq(ev->final_dur[i], dur);
		ck_assert_int_eq(ev->ends[i], 3);
		ck_assert_int_eq(ev->markers[i], 1);
	}
}

/* 20 ms of browser audio (a quiet tone) on every tick keeps the stream real. */
static void browser_audio(struct mh *h, double *ph)
{
	int16_t pcm[960];
	uint8_t buf[1500];
	size_t len;

	ma_tone(pcm, 960, 440, 48000, 3000, ph);
	len = mh_browser_encode(h, pcm, buf, sizeof(buf));
	mh_from_browser(h, 111, false, buf, len, 960);
}

/* 20 ms of trunk audio: a quiet tone, so the jitter buffer keeps its delay
 * (it only trims silence) and the event spacing can be checked exactly. */
static void sip_audio(struct mh *h, double *ph)
{
	int16_t pcm[160];
	uint8_t b[160];

	ma_tone(pcm, 160, 440, 8000, 3000, ph);
	mh_encode(h, GW_MEDIA_CODEC_PCMU, pcm, 160, b);
	ck_assert_int_eq(mh_from_sip(h, 0, false, b, 160, 160), 0);
}

/* Browser events of payload type @pt whose durations count @unit clock
 * units per 20 ms (960: telephone-event/48000; 160: the /8000 Chromium's
 * RTCDTMFSender uses beside Opus), timestamps on the audio's 48 kHz clock
 * either way: each digit reaches SIP once, 100 ms long on its 8 kHz clock,
 * where the browser's timeline put it. */
static void browser_events_reach_sip(uint8_t pt, uint16_t unit)
{
	struct gw_media_config cfg;
	struct gw_media_counters c;
	struct events ev;
	struct ma_buf dec = { 0 };
	struct mh h;
	double ph = 0;

	gw_media_config_init(&cfg);
	cfg.browser_te8_pt = 126;
	mh_init(&h, &cfg);
	for (int d = 0; d < 16; d++) {
		uint32_t start = h.bts;

		/* RFC 4733 as a browser sends it: 100 ms, an update per 20 ms,
		 * three end packets, at the audio's timestamp. */
		for (int k = 1; k <= 8; k++) {
			struct gw_dtmf_ev e = { .event = (uint8_t)d, .volume = 10,
						.duration = (uint16_t)(k <= 5 ? k * unit : 5 * unit),
						.end = k >= 6 };
			uint8_t p[4], buf[64];
			size_t n;

			gw_dtmf_ev_write(p, &e);
			n = mh_rtp(buf, pt, k == 1, h.bseq++, start, h.bssrc, p, 4);
			ck_assert_int_eq(gw_media_session_feed_from_browser(h.s, buf, n, h.now), 0);
			browser_audio(&h, &ph);
			mh_tick(&h);
		}
		for (int k = 0; k < 5; k++) {
			browser_audio(&h, &ph);
			mh_tick(&h);
		}
	}
	collect_events(&h.sip, 101, &ev);
	check_events(&ev, 800);                         /* 100 ms at 8 kHz */
	/* digits 13 frames (260 ms) apart are 2080 units apart at 8 kHz */
	for (int i = 1; i < ev.n; i++)
		ck_assert_uint_eq(ev.ts[i] - ev.ts[i - 1], 2080);
	gw_media_session_get_counters(h.s, &c);
	ck_assert_uint_eq(c.dtmf_to_sip, 16);
	ck_assert_uint_eq(c.unknown_pt, 0);
	/* the audio between digits is still a clean stream (seq, ts checked) */
	mh_decode_sink(&h.sip, 0, GW_MEDIA_CODEC_PCMU, 8000, &dec);
	ma_buf_free(&dec);
	mh_free(&h);
}

START_TEST(test_media_dtmf_browser_events_reach_sip_on_8k_clock)
{
	browser_events_reach_sip(101, 960);
}
END_TEST

START_TEST(test_media_dtmf_browser_telephone_event_8000_beside_opus_reaches_sip)
{
	browser_events_reach_sip(126, 160);
}
END_TEST

static void requested_digits(bool with_audio)
{
	struct gw_media_config cfg;
	struct events ev;
	struct ma_buf dec = { 0 };
	struct mh h;
	double ph = 0;

	gw_media_config_init(&cfg);
	mh_init(&h, &cfg);
	for (int d = 0; d < 16; d++)
		ck_assert_int_eq(gw_media_session_send_dtmf_to_sip(h.s, all_digits[d], 100), 0);
	ck_assert_int_eq(gw_media_session_send_dtmf_to_sip(h.s, 'x', 100), EINVAL);
	for (int t = 0; t < 16 * 15 + 10; t++) {
		if (with_audio)
			browser_audio(&h, &ph);
		mh_tick(&h);
	}
	collect_events(&h.sip, 101, &ev);
	printf("requested digits (%s audio): \"%s\"\n", with_audio ? "with" : "without", ev.digits);
	check_events(&ev, 800);
	for (int i = 1; i < ev.n; i++)                  /* tone, 3 ends, 100 ms pause */
		ck_assert_uint_ge(ev.ts[i] - ev.ts[i - 1], 800 + 800);
	if (with_audio)
		mh_decode_sink(&h.sip, 0, GW_MEDIA_CODEC_PCMU, 8000, &dec);
	ma_buf_free(&dec);
	mh_free(&h);
}

START_TEST(test_media_dtmf_requested_digits_sent_as_rfc4733)
{
	requested_digits(true);
}
END_TEST

START_TEST(test_media_dtmf_requested_digits_without_audio_keep_distinct_timestamps)
{
	requested_digits(false);
}
END_TEST

START_TEST(test_media_dtmf_sip_events_reach_browser_and_are_reported_once)
{
	struct gw_media_config cfg;
	struct gw_media_counters c;
	struct events ev;
	struct mh h;
	double ph = 0;

	gw_media_config_init(&cfg);
	/* A steady stream: no start allowance to shed later (shortening the
	 * audio between two events would move them closer). */
	cfg.jitter_start_ms = 0;
	mh_init(&h, &cfg);
	for (int d = 0; d < 16; d++) {
		uint32_t start = h.sts;

		for (int k = 1; k <= 8; k++) {
			struct gw_dtmf_ev e = { .event = (uint8_t)d, .volume = 10,
						.duration = (uint16_t)(k <= 5 ? k * 160 : 800), .end = k >= 6 };
			uint8_t p[4], buf[64];
			size_t n;

			gw_dtmf_ev_write(p, &e);
			n = mh_rtp(buf, 101, k == 1, h.sseq++, start, h.sssrc, p, 4);
			ck_assert_int_eq(gw_media_session_feed_from_sip(h.s, buf, n, h.now), 0);
			sip_audio(&h, &ph);
			mh_tick(&h);
		}
		for (int k = 0; k < 5; k++) {
			sip_audio(&h, &ph);
			mh_tick(&h);
		}
	}
	collect_events(&h.browser, 101, &ev);
	check_events(&ev, 4800);                        /* 100 ms at 48 kHz */
	for (int i = 1; i < ev.n; i++)
		ck_assert_uint_eq(ev.ts[i] - ev.ts[i - 1], 260 * 48);
	ck_assert_int_eq(h.ndigits, 16);
	for (int i = 0; i < 16; i++) {
		ck_assert_int_eq(h.digits[i].digit, all_digits[i]);
		ck_assert_uint_eq(h.digits[i].ms, 100);
		ck_assert_int_eq(h.digits[i].src, GW_MEDIA_DTMF_RFC4733);
	}
	gw_media_session_get_counters(h.s, &c);
	ck_assert_uint_eq(c.dtmf_from_sip, 16);
	ck_assert_uint_eq(c.dtmf_inband, 0);
	mh_free(&h);
}
END_TEST

START_TEST(test_media_dtmf_inband_from_sip_detected_once_each)
{
	struct gw_media_config cfg;
	struct gw_media_counters c;
	dtmf_tx_state_t *tx = dtmf_tx_init(NULL);
	struct mh h;

	gw_media_config_init(&cfg);
	mh_init(&h, &cfg);
	dtmf_tx_set_timing(tx, 120, 80);
	dtmf_tx_put(tx, all_digits, -1);
	for (int i = 0; i < 200; i++) {
		int16_t pcm[160];
		uint8_t b[160];
		int n = dtmf_tx(tx, pcm, 160);

		memset(pcm + n, 0, (size_t)(160 - n) * sizeof(pcm[0]));
		mh_encode(&h, GW_MEDIA_CODEC_PCMU, pcm, 160, b);
		mh_from_sip(&h, 0, i == 0, b, 160, 160);
		mh_tick(&h);
	}
	for (int i = 0; i < 20; i++)
		mh_tick(&h);
	gw_media_session_get_counters(h.s, &c);
	ck_assert_int_eq(h.ndigits, 16);
	for (int i = 0; i < 16; i++) {
		ck_assert_int_eq(h.digits[i].digit, all_digits[i]);
		ck_assert_uint_ge(h.digits[i].ms, 120 - 30);
		ck_assert_uint_le(h.digits[i].ms, 120 + 30);
		ck_assert_int_eq(h.digits[i].src, GW_MEDIA_DTMF_INBAND);
	}
	ck_assert_uint_eq(c.dtmf_inband, 16);
	dtmf_tx_free(tx);
	mh_free(&h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("media_dtmf");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_media_dtmf_browser_events_reach_sip_on_8k_clock);
	tcase_add_test(tc, test_media_dtmf_browser_telephone_event_8000_beside_opus_reaches_sip);
	tcase_add_test(tc, test_media_dtmf_requested_digits_sent_as_rfc4733);
	tcase_add_test(tc, test_media_dtmf_requested_digits_without_audio_keep_distinct_timestamps);
	tcase_add_test(tc, test_media_dtmf_sip_events_reach_browser_and_are_reported_once);
	tcase_add_test(tc, test_media_dtmf_inband_from_sip_detected_once_each);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
