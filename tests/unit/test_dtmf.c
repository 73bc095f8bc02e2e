/* test_dtmf.c — RFC 4733 payloads, the receiver that reports each event
 * once, the generator's packet sequence, and in-band detection of tones made
 * by spandsp's own generator.
 */
#include "gw_check.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spandsp.h>
#include "media/dtmf.h"

static const char all_digits[] = "0123456789*#ABCD";

START_TEST(test_dtmf_payload_round_trips)
{
	struct gw_dtmf_ev ev = { .event = 11, .end = true, .volume = 10, .duration = 1234 }, back;
	uint8_t p[4];

	gw_dtmf_ev_write(p, &ev);
	ck_assert_uint_eq(p[0], 11);
	ck_assert_uint_eq(p[1], 0x80 | 10);
	ck_assert_int_eq(gw_dtmf_ev_parse(p, 4, &back), 0);
	ck_assert_uint_eq(back.event, 11);
	ck_assert(back.end);
	ck_assert_uint_eq(back.duration, 1234);
	ck_assert_int_eq(gw_dtmf_ev_parse(p, 3, &back), EBADMSG);
	for (int i = 0; i < 16; i++) {
		uint8_t code;

		ck_assert_int_eq(gw_dtmf_event_code(all_digits[i], &code), 0);
		ck_assert_uint_eq(code, i);
		ck_assert_int_eq(gw_dtmf_digit(code), all_digits[i]);
	}
	ck_assert_int_eq(gw_dtmf_digit(16), 0);
	ck_assert_int_eq(gw_dtmf_event_code('x', &p[0]), EINVAL);
	ck_assert_int_eq(gw_dtmf_event_code('\0', &p[0]), EINVAL);
}
END_TEST

START_TEST(test_dtmf_generator_sends_start_updates_and_three_ends)
{
	struct gw_dtmf_gen g;
	uint8_t p[4];
	uint32_t ts;
	bool m;
	int packets = 0, ends = 0, markers = 0;
	uint16_t last_dur = 0;

	gw_dtmf_gen_init(&g, 8000);
	ck_assert_int_eq(gw_dtmf_gen_push(&g, '5', 100), 0);
	ck_assert_int_eq(gw_dtmf_gen_push(&g, 'z', 100), EINVAL);
	for (int tick = 0; tick < 20; tick++) {
		struct gw_dtmf_ev ev;

		if (!gw_dtmf_gen_tick(&g, 1000 + (uint32_t)tick * 160, p, &ts, &m))
			continue;
		gw_dtmf_ev_parse(p, 4, &ev);
		ck_assert_uint_eq(ts, 1000);             /* every packet: the start */
		ck_assert_uint_eq(ev.event, 5);
		ck_assert_uint_ge(ev.duration, last_dur);
		last_dur = ev.duration;
		packets++;
		markers += m;
		ends += ev.end;
	}
	ck_assert_int_eq(markers, 1);
	ck_assert_int_eq(ends, 3);
	ck_assert_uint_eq(last_dur, 800);                /* 100 ms at 8 kHz */
	ck_assert_int_eq(packets, 4 + 3);                /* 20,40,60,80 ms, then 3 ends */
	ck_assert(!gw_dtmf_gen_busy(&g));
}
END_TEST

START_TEST(test_dtmf_receiver_reports_each_event_once)
{
	struct gw_dtmf_rx rx = { 0 };
	struct gw_dtmf_done done[2];
	struct gw_dtmf_ev ev = { .event = 3, .volume = 10 };
	int nd, total = 0;
	unsigned r;

	for (int i = 1; i <= 5; i++) {
		ev.duration = (uint16_t)(160 * i);
		r = gw_dtmf_rx_packet(&rx, 8000, &ev, (uint64_t)i * 20000, done, &nd);
		ck_assert_uint_eq(r & GW_DTMF_RX_NEW, i == 1 ? GW_DTMF_RX_NEW : 0);
		ck_assert_int_eq(nd, 0);
	}
	ev.end = true;
	for (int i = 0; i < 3; i++) {
		r = gw_dtmf_rx_packet(&rx, 8000, &ev, 200000, done, &nd);
		total += nd;
		if (nd) {
			ck_assert_int_eq(done[0].digit, '3');
			ck_assert_uint_eq(done[0].duration, 800);
		} else {
			ck_assert(r & GW_DTMF_RX_DUP);
		}
	}
	ck_assert_int_eq(total, 1);
	/* A new event whose end is lost is reported when the next one starts. */
	ev.end = false;
	ev.event = 7;
	gw_dtmf_rx_packet(&rx, 9600, &ev, 300000, done, &nd);
	ev.event = 8;
	gw_dtmf_rx_packet(&rx, 12000, &ev, 500000, done, &nd);
	ck_assert_int_eq(nd, 1);
	ck_assert_int_eq(done[0].digit, '7');
	/* ... or after the timeout. */
	ck_assert(!gw_dtmf_rx_expire(&rx, 600000, 1000000, &done[0]));
	ck_assert(gw_dtmf_rx_expire(&rx, 1600000, 1000000, &done[0]));
	ck_assert_int_eq(done[0].digit, '8');
	/* A stray packet of an older event is ignored. */
	ck_assert_uint_eq(gw_dtmf_rx_packet(&rx, 9600, &ev, 1700000, done, &nd), GW_DTMF_RX_DUP);
	ck_assert_int_eq(nd, 0);
}
END_TEST

struct heard {
	char digits[64];
	unsigned dur[64];
	int n;
};

static void on_digit(char digit, unsigned duration_ms, void *arg)
{
	struct heard *h = arg;

	if (h->n < 64) {
		h->digits[h->n] = digit;
		h->dur[h->n++] = duration_ms;
	}
}

START_TEST(test_dtmf_detects_every_inband_digit_once_with_duration)
{
	dtmf_tx_state_t *tx = dtmf_tx_init(NULL);
	struct gw_dtmf_detect *det;
	struct heard h = { .n = 0 };

	ck_assert_ptr_nonnull(tx);
	ck_assert_int_eq(gw_dtmf_detect_new(on_digit, &h, &det), 0);
	dtmf_tx_set_timing(tx, 120, 80);
	dtmf_tx_put(tx, all_digits, -1);
	for (int block = 0; block < 250; block++) {
		int16_t pcm[160];
		int n = dtmf_tx(tx, pcm, 160);

		memset(pcm + n, 0, (size_t)(160 - n) * sizeof(pcm[0]));
		gw_dtmf_detect_feed(det, pcm, 160);
	}
	h.digits[h.n] = 0;
	printf("in-band heard \"%s\"; first duration %u ms\n", h.digits, h.n ? h.dur[0] : 0);
	ck_assert_str_eq(h.digits, all_digits);
	for (int i = 0; i < h.n; i++) {
		ck_assert_uint_ge(h.dur[i], 120 - 30);
		ck_assert_uint_le(h.dur[i], 120 + 30);
	}
	gw_dtmf_detect_free(det);
	dtmf_tx_free(tx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dtmf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_dtmf_payload_round_trips);
	tcase_add_test(tc, test_dtmf_generator_sends_start_updates_and_three_ends);
	tcase_add_test(tc, test_dtmf_receiver_reports_each_event_once);
	tcase_add_test(tc, test_dtmf_detects_every_inband_digit_once_with_duration);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
