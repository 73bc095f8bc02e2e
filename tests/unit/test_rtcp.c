/* test_rtcp.c — RTCP reports built and parsed back, RTT from LSR/DLSR,
 * loss and jitter on a scripted stream, malformed compounds refused. */
#include "gw_check.h"
#include <errno.h>
#include <string.h>
#include <glib.h>
#include "gw/rtcp.h"
#include "gw/rtp.h"

/* NTP time of @sec seconds and @ms milliseconds. */
static uint64_t ntp(uint32_t sec, uint32_t ms)
{
	return ((uint64_t)sec << 32) | (((uint64_t)ms << 32) / 1000);
}

START_TEST(test_rtcp_sr_with_block_and_cname_parses_back)
{
	struct gw_rtcp_sender s = { .ssrc = 0x01020304, .sent_rtp = true,
				    .info = { .ntp = ntp(3900000000u, 250), .rtp_ts = 48000,
					      .packets = 1234, .octets = 98765 } };
	struct gw_rtcp_report_block b = { .ssrc = 0xcafebabe, .fraction_lost = 64, .cumulative_lost = -3,
					  .ext_highest_seq = 0x0001fff0, .jitter = 77, .lsr = 0x12345678,
					  .dlsr = 0x00018000 };
	struct gw_rtcp_info in;
	uint8_t buf[512];
	size_t len = 0;

	ck_assert_int_eq(gw_rtcp_build_report(buf, sizeof(buf), &len, &s, &b, "alice@example"), 0);
	ck_assert_uint_eq(len % 4, 0);
	ck_assert_uint_eq(buf[1], GW_RTCP_SR);
	ck_assert(gw_rtp_is_rtcp(buf, len));
	ck_assert_int_eq(gw_rtcp_parse(buf, len, &in), 0);
	ck_assert_uint_eq(in.packets, 2);
	ck_assert(in.has_sr);
	ck_assert_uint_eq(in.ssrc, 0x01020304);
	ck_assert(in.sr.ntp == s.info.ntp);
	ck_assert_uint_eq(in.sr.rtp_ts, 48000);
	ck_assert_uint_eq(in.sr.packets, 1234);
	ck_assert_uint_eq(in.sr.octets, 98765);
	ck_assert_uint_eq(in.n_blocks, 1);
	ck_assert_uint_eq(in.blocks[0].ssrc, 0xcafebabe);
	ck_assert_uint_eq(in.blocks[0].fraction_lost, 64);
	ck_assert_int_eq(in.blocks[0].cumulative_lost, -3);
	ck_assert_uint_eq(in.blocks[0].ext_highest_seq, 0x0001fff0);
	ck_assert_uint_eq(in.blocks[0].jitter, 77);
	ck_assert_uint_eq(in.blocks[0].lsr, 0x12345678);
	ck_assert_uint_eq(in.blocks[0].dlsr, 0x00018000);
	ck_assert_str_eq(in.cname, "alice@example");
}
END_TEST

START_TEST(test_rtcp_rr_when_nothing_sent_and_buffer_limits)
{
	struct gw_rtcp_sender s = { .ssrc = 42, .sent_rtp = false };
	struct gw_rtcp_info in;
	uint8_t buf[256];
	size_t len = 0, need;

	/* every CNAME length pads SDES to 32 bits */
	for (int n = 1; n <= 8; n++) {
		char cname[9] = "abcdefgh";

		cname[n] = '\0';
		ck_assert_int_eq(gw_rtcp_build_report(buf, sizeof(buf), &len, &s, NULL, cname), 0);
		ck_assert_uint_eq(buf[1], GW_RTCP_RR);
		ck_assert_int_eq(gw_rtcp_parse(buf, len, &in), 0);
		ck_assert(!in.has_sr);
		ck_assert(in.has_report);
		ck_assert_uint_eq(in.n_blocks, 0);
		ck_assert_str_eq(in.cname, cname);
	}
	need = len;
	ck_assert_int_eq(gw_rtcp_build_report(buf, need - 1, &len, &s, NULL, "abcdefgh"), ENOBUFS);
	ck_assert_int_eq(gw_rtcp_build_report(buf, sizeof(buf), &len, &s, NULL, ""), EINVAL);
}
END_TEST

START_TEST(test_rtcp_rtt_from_lsr_and_dlsr)
{
	struct gw_rtcp_rx_stats peer;
	struct gw_rtcp_report_block b;
	uint64_t sr_sent = ntp(3900000000u, 0);
	uint32_t rtt = 0;

	/* we send an SR at t=0; it takes 40 ms to reach the peer, who
	 * reports 1.5 s later; the report takes 60 ms back: RTT 100 ms */
	memset(&peer, 0, sizeof(peer));
	ck_assert(gw_rtcp_rx_stats_update(&peer, 7, 1, 0, 0));
	gw_rtcp_rx_stats_on_sr(&peer, sr_sent, ntp(3900000000u, 40) + 0x12345 /* other clock */);
	ck_assert_int_eq(gw_rtcp_rx_stats_report(&peer, ntp(3900000001u, 540) + 0x12345, &b), 0);
	ck_assert_uint_eq(b.lsr, (uint32_t)(sr_sent >> 16));
	ck_assert_int_eq(gw_rtcp_rtt_ms(&b, ntp(3900000001u, 600), &rtt), 0);
	ck_assert_uint_ge(rtt, 99);
	ck_assert_uint_le(rtt, 101);

	/* no SR seen yet: no RTT */
	b.lsr = 0;
	ck_assert_int_eq(gw_rtcp_rtt_ms(&b, ntp(3900000002u, 0), &rtt), ENODATA);
	/* a report claiming to come from the future */
	b.lsr = (uint32_t)(ntp(3900000005u, 0) >> 16);
	b.dlsr = 0;
	ck_assert_int_eq(gw_rtcp_rtt_ms(&b, ntp(3900000002u, 0), &rtt), ERANGE);
}
END_TEST

START_TEST(test_rtcp_loss_and_jitter_on_scripted_sequence)
{
	struct gw_rtcp_rx_stats st;
	struct gw_rtcp_report_block b;
	/* seq 65530..65545 across the wrap: 65533 and 2 lost, 3 and 4 swapped */
	const int seqs[] = { 65530, 65531, 65532, 65534, 65535, 0, 1, 4, 3, 5, 6, 7, 8, 9 };
	uint32_t arrival = 1000;

	memset(&st, 0, sizeof(st));
	for (size_t i = 0; i < G_N_ELEMENTS(seqs); i++) {
		uint16_t seq = (uint16_t)seqs[i];
		uint32_t ts = (uint32_t)(uint16_t)(seq - 65530) * 960;

		/* each packet arrives at its sender's pace (constant transit),
		 * so loss and reordering alone add no jitter */
		ck_assert(gw_rtcp_rx_stats_update(&st, 0x99, seq, ts, arrival + ts));
	}
	ck_assert_int_eq(gw_rtcp_rx_stats_report(&st, ntp(1, 0), &b), 0);
	ck_assert_uint_eq(b.ssrc, 0x99);
	/* 16 expected (65530..9), 14 received */
	ck_assert_int_eq(b.cumulative_lost, 2);
	ck_assert_uint_eq(b.ext_highest_seq, 0x10009);
	ck_assert_uint_eq(b.fraction_lost, 2 * 256 / 16);
	ck_assert_uint_eq(b.jitter, 0);
	ck_assert_uint_eq(b.lsr, 0);

	/* next interval: 10 packets, none lost, every other one 40 ms late
	 * (1920 ticks at 48 kHz); reference: RFC 3550 6.4.1 in floating point */
	double ref = 0, prev_transit = arrival;
	for (uint16_t seq = 10; seq < 20; seq++) {
		uint32_t ts = (uint32_t)(seq + 6) * 960;
		uint32_t late = (seq % 2) * 1920u;

		ck_assert(gw_rtcp_rx_stats_update(&st, 0x99, seq, ts, arrival + ts + late));
		ref += (ABS((arrival + late) - prev_transit) - ref) / 16.0;
		prev_transit = arrival + late;
	}
	ck_assert_int_eq(gw_rtcp_rx_stats_report(&st, ntp(2, 0), &b), 0);
	ck_assert_uint_eq(b.fraction_lost, 0);
	ck_assert_int_eq(b.cumulative_lost, 2);
	ck_assert_uint_eq(b.ext_highest_seq, 0x10013);
	ck_assert_double_gt(ref, 800);
	ck_assert_uint_ge(b.jitter, (uint32_t)ref - 2);
	ck_assert_uint_le(b.jitter, (uint32_t)ref + 2);
}
END_TEST

START_TEST(test_rtcp_sequence_jump_needs_confirmation_and_new_ssrc_restarts)
{
	struct gw_rtcp_rx_stats st;
	struct gw_rtcp_report_block b;

	memset(&st, 0, sizeof(st));
	for (uint16_t s = 100; s < 110; s++)
		ck_assert(gw_rtcp_rx_stats_update(&st, 1, s, s * 160u, s * 160u));
	/* a lone far jump is not counted ... */
	ck_assert(!gw_rtcp_rx_stats_update(&st, 1, 30000, 0, 0));
	ck_assert_int_eq(gw_rtcp_rx_stats_report(&st, ntp(1, 0), &b), 0);
	ck_assert_uint_eq(b.ext_highest_seq, 109);
	ck_assert_int_eq(b.cumulative_lost, 0);
	/* ... its successor confirms it: statistics restart there */
	ck_assert(gw_rtcp_rx_stats_update(&st, 1, 30001, 0, 0));
	ck_assert_int_eq(gw_rtcp_rx_stats_report(&st, ntp(2, 0), &b), 0);
	ck_assert_uint_eq(b.ext_highest_seq, 30001);
	ck_assert_int_eq(b.cumulative_lost, 0);
	/* another SSRC starts over */
	ck_assert(gw_rtcp_rx_stats_update(&st, 2, 5, 0, 0));
	ck_assert_int_eq(gw_rtcp_rx_stats_report(&st, ntp(3, 0), &b), 0);
	ck_assert_uint_eq(b.ssrc, 2);
	ck_assert_uint_eq(b.ext_highest_seq, 5);
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(gw_rtcp_rx_stats_report(&st, ntp(3, 0), &b), ENODATA);
}
END_TEST

START_TEST(test_rtcp_malformed_compounds_refused)
{
	struct gw_rtcp_sender s = { .ssrc = 5, .sent_rtp = true };
	struct gw_rtcp_report_block blk = { .ssrc = 6 };
	struct gw_rtcp_info in;
	uint8_t good[256], bad[256];
	size_t len;

	ck_assert_int_eq(gw_rtcp_build_report(good, sizeof(good), &len, &s, &blk, "x"), 0);
	ck_assert_int_eq(gw_rtcp_parse(good, len, &in), 0);

	/* every truncation is refused, except the cut right after the SR,
	 * which leaves a complete (SR-only) compound */
	for (size_t cut = 0; cut < len; cut++) {
		if (cut == 52) {
			ck_assert_int_eq(gw_rtcp_parse(good, cut, &in), 0);
			ck_assert_uint_eq(in.packets, 1);
			continue;
		}
		ck_assert_int_eq(gw_rtcp_parse(good, cut, &in), EBADMSG);
	}
	/* length past the end */
	memcpy(bad, good, len);
	bad[3] += 1;
	ck_assert_int_eq(gw_rtcp_parse(bad, len, &in), EBADMSG);
	/* zero length SR (header only) */
	memcpy(bad, good, len);
	bad[2] = 0;
	bad[3] = 0;
	ck_assert_int_eq(gw_rtcp_parse(bad, 4, &in), EBADMSG);
	ck_assert_int_eq(gw_rtcp_parse(bad, len, &in), EBADMSG);
	/* bad version, first and second packet */
	memcpy(bad, good, len);
	bad[0] = (uint8_t)((bad[0] & 0x3f) | 0x40);
	ck_assert_int_eq(gw_rtcp_parse(bad, len, &in), EBADMSG);
	memcpy(bad, good, len);
	bad[52] = (uint8_t)((bad[52] & 0x3f) | 0xc0);
	ck_assert_int_eq(gw_rtcp_parse(bad, len, &in), EBADMSG);
	/* report count larger than the body */
	memcpy(bad, good, len);
	bad[0] = (uint8_t)(bad[0] + 2);
	ck_assert_int_eq(gw_rtcp_parse(bad, len, &in), EBADMSG);
	/* SDES item length running past its packet */
	memcpy(bad, good, len);
	bad[52 + 9] = 200;
	ck_assert_int_eq(gw_rtcp_parse(bad, len, &in), EBADMSG);
	/* padding bit with an impossible pad count */
	memcpy(bad, good, len);
	bad[52] |= 0x20;
	bad[len - 1] = 0xff;
	ck_assert_int_eq(gw_rtcp_parse(bad, len, &in), EBADMSG);
	/* BYE whose reason runs past the end */
	memcpy(bad, "\x81\xcb\x00\x02\x00\x00\x00\x05\x09\x61\x62\x63", 12);
	ck_assert_int_eq(gw_rtcp_parse(bad, 12, &in), EBADMSG);
	memcpy(bad, "\x81\xcb\x00\x02\x00\x00\x00\x05\x03\x61\x62\x63", 12);
	ck_assert_int_eq(gw_rtcp_parse(bad, 12, &in), 0);
	ck_assert(in.bye);
}
END_TEST

START_TEST(test_rtcp_feedback_skipped_and_mux_demux)
{
	/* RR(empty) + PSFB PLI: parsed, the PLI skipped */
	const uint8_t pkt[] = { 0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 1,
				0x81, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2 };
	const uint8_t rtp[] = { 0x80, 0x6f, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 };
	const uint8_t rtp_marker_pt0[] = { 0x80, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 };
	struct gw_rtcp_info in;

	ck_assert_int_eq(gw_rtcp_parse(pkt, sizeof(pkt), &in), 0);
	ck_assert_uint_eq(in.packets, 2);
	ck_assert_uint_eq(in.skipped, 1);
	ck_assert(gw_rtp_is_rtcp(pkt, sizeof(pkt)));
	ck_assert(gw_rtp_is_rtcp(pkt + 8, 12));
	ck_assert(!gw_rtp_is_rtcp(rtp, sizeof(rtp)));
	ck_assert(!gw_rtp_is_rtcp(rtp_marker_pt0, sizeof(rtp_marker_pt0)));
	ck_assert(!gw_rtp_is_rtcp(pkt, 3));
}
END_TEST

START_TEST(test_rtcp_ntp_conversion)
{
	/* 1970-01-01 + 1.5 s */
	uint64_t t = gw_rtcp_ntp_from_unix_us(1500000);

	ck_assert(t >> 32 == 2208988801ull);
	ck_assert((uint32_t)t == 0x80000000u);
	ck_assert(gw_rtcp_ntp_now() >> 32 > 3900000000ull); /* after 2023 */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rtcp");
	TCase *tc = tcase_create("rtcp");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_rtcp_sr_with_block_and_cname_parses_back);
	tcase_add_test(tc, test_rtcp_rr_when_nothing_sent_and_buffer_limits);
	tcase_add_test(tc, test_rtcp_rtt_from_lsr_and_dlsr);
	tcase_add_test(tc, test_rtcp_loss_and_jitter_on_scripted_sequence);
	tcase_add_test(tc, test_rtcp_sequence_jump_needs_confirmation_and_new_ssrc_restarts);
	tcase_add_test(tc, test_rtcp_malformed_compounds_refused);
	tcase_add_test(tc, test_rtcp_feedback_skipped_and_mux_demux);
	tcase_add_test(tc, test_rtcp_ntp_conversion);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
