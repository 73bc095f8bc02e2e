/* test_rtp.c — RTP header parse/write, sequence arithmetic, RTP sender. */
#include "gw_check.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "gw/rtp.h"

static size_t make_pkt(uint8_t *buf, uint8_t pt, uint16_t seq, uint32_t ts,
		       uint32_t ssrc, const char *payload)
{
	size_t n = gw_rtp_hdr_write(buf, 1500, pt, false, seq, ts, ssrc);

	memcpy(buf + n, payload, strlen(payload));
	return n + strlen(payload);
}

START_TEST(test_rtp_write_then_parse_round_trips)
{
	uint8_t buf[64];
	struct gw_rtp_hdr h;
	size_t n = gw_rtp_hdr_write(buf, sizeof(buf), 111, true, 65535, 0xdeadbeef, 0x01020304);

	ck_assert_uint_eq(n, 12);
	memcpy(buf + n, "abc", 3);
	ck_assert_int_eq(gw_rtp_parse(buf, n + 3, &h), 0);
	ck_assert_uint_eq(h.pt, 111);
	ck_assert(h.marker);
	ck_assert_uint_eq(h.seq, 65535);
	ck_assert_uint_eq(h.ts, 0xdeadbeef);
	ck_assert_uint_eq(h.ssrc, 0x01020304);
	ck_assert_uint_eq(h.payload_len, 3);
	ck_assert_mem_eq(h.payload, "abc", 3);
	ck_assert_uint_eq(h.hdr_len, 12);
}
END_TEST

START_TEST(test_rtp_write_refuses_small_buffer_and_bad_pt)
{
	uint8_t buf[16];

	ck_assert_uint_eq(gw_rtp_hdr_write(buf, 11, 0, false, 1, 1, 1), 0);
	ck_assert_uint_eq(gw_rtp_hdr_write(buf, sizeof(buf), 128, false, 1, 1, 1), 0);
}
END_TEST

START_TEST(test_rtp_parse_refuses_short_header)
{
	uint8_t buf[12];
	struct gw_rtp_hdr h;

	gw_rtp_hdr_write(buf, sizeof(buf), 0, false, 1, 2, 3);
	for (size_t len = 0; len < 12; len++)
		ck_assert_int_eq(gw_rtp_parse(buf, len, &h), EBADMSG);
	ck_assert_int_eq(gw_rtp_parse(buf, 12, &h), 0);
	ck_assert_uint_eq(h.payload_len, 0);
}
END_TEST

START_TEST(test_rtp_parse_refuses_bad_version)
{
	uint8_t buf[32];
	struct gw_rtp_hdr h;
	size_t n = make_pkt(buf, 0, 1, 2, 3, "xxxx");

	buf[0] = (uint8_t)((buf[0] & 0x3f) | (1 << 6));
	ck_assert_int_eq(gw_rtp_parse(buf, n, &h), EBADMSG);
	buf[0] = (uint8_t)(buf[0] & 0x3f);
	ck_assert_int_eq(gw_rtp_parse(buf, n, &h), EBADMSG);
	ck_assert_str_eq(gw_rtp_strerror(EBADMSG), "short-or-bad-version");
}
END_TEST

START_TEST(test_rtp_parse_refuses_csrc_count_past_end)
{
	uint8_t buf[12 + 15 * 4];
	struct gw_rtp_hdr h;

	memset(buf, 0, sizeof(buf));
	gw_rtp_hdr_write(buf, sizeof(buf), 0, false, 1, 2, 3);
	buf[0] |= 15;   /* 15 CSRCs = 60 bytes */
	ck_assert_int_eq(gw_rtp_parse(buf, 12 + 14 * 4, &h), EMSGSIZE);
	ck_assert_int_eq(gw_rtp_parse(buf, 12 + 15 * 4, &h), 0);
	ck_assert_uint_eq(h.cc, 15);
	ck_assert_ptr_eq(h.csrc, buf + 12);
	ck_assert_uint_eq(h.payload_len, 0);
}
END_TEST

START_TEST(test_rtp_parse_refuses_huge_extension_length)
{
	uint8_t buf[40];
	struct gw_rtp_hdr h;

	memset(buf, 0, sizeof(buf));
	gw_rtp_hdr_write(buf, sizeof(buf), 0, false, 1, 2, 3);
	buf[0] |= 0x10;
	buf[12] = 0xbe; buf[13] = 0xde;
	buf[14] = 0xff; buf[15] = 0xff;          /* 262140 bytes */
	ck_assert_int_eq(gw_rtp_parse(buf, sizeof(buf), &h), EMSGSIZE);
	/* Header without room for the extension header itself. */
	ck_assert_int_eq(gw_rtp_parse(buf, 14, &h), EMSGSIZE);
	/* A correct one-word extension. */
	buf[14] = 0; buf[15] = 1;
	ck_assert_int_eq(gw_rtp_parse(buf, 24, &h), 0);
	ck_assert(h.has_ext);
	ck_assert_uint_eq(h.ext_profile, 0xbede);
	ck_assert_uint_eq(h.ext_len, 4);
	ck_assert_uint_eq(h.hdr_len, 20);
	ck_assert_uint_eq(h.payload_len, 4);
}
END_TEST

START_TEST(test_rtp_parse_strips_padding_and_refuses_bad_padding)
{
	uint8_t buf[32];
	struct gw_rtp_hdr h;
	size_t n = make_pkt(buf, 8, 1, 2, 3, "abcd");

	buf[0] |= 0x20;
	buf[n++] = 0; buf[n++] = 0; buf[n++] = 3;
	ck_assert_int_eq(gw_rtp_parse(buf, n, &h), 0);
	ck_assert(h.padding);
	ck_assert_uint_eq(h.payload_len, 4);
	buf[n - 1] = 0;
	ck_assert_int_eq(gw_rtp_parse(buf, n, &h), EMSGSIZE);
	buf[n - 1] = 8;                        /* more than the 7 payload bytes */
	ck_assert_int_eq(gw_rtp_parse(buf, n, &h), EMSGSIZE);
}
END_TEST

START_TEST(test_rtp_parse_leaves_output_untouched_on_error)
{
	uint8_t buf[12] = { 0 };
	struct gw_rtp_hdr h;

	memset(&h, 0xab, sizeof(h));
	ck_assert_int_eq(gw_rtp_parse(buf, sizeof(buf), &h), EBADMSG);
	ck_assert_uint_eq(h.pt, 0xab);
	ck_assert_int_eq(gw_rtp_parse(NULL, 12, &h), EINVAL);
}
END_TEST

START_TEST(test_rtp_parse_sends_muxed_rtcp_away)
{
	uint8_t buf[28] = { 0x81, 200, 0, 6 };  /* RTCP SR */
	struct gw_rtp_hdr h;

	ck_assert(gw_rtp_is_rtcp(buf, sizeof(buf)));
	ck_assert_int_eq(gw_rtp_parse(buf, sizeof(buf), &h), EPROTO);
	buf[1] = 111;
	ck_assert(!gw_rtp_is_rtcp(buf, sizeof(buf)));
}
END_TEST

/* media.max_queue_ms: what waited too long is dropped, except RTCP (a
 * whole 4-byte header at least) and the call's telephone-event type */
START_TEST(test_rtp_age_limit_keeps_only_rtcp_and_events)
{
	struct gw_rtp_age_limit l = { .max_us = 200000 };
	uint8_t rr[8] = { 0x80, 201, 0, 1 };     /* RTCP RR, no blocks */
	uint8_t audio[12] = { 0x80, 0 };         /* PCMU */
	uint8_t event[16] = { 0x80, 101 };
	const int64_t now = 10000000;

	gw_rtp_pts_add(&l.events, 101);
	/* fresh: nothing is dropped */
	ck_assert(!gw_rtp_age_drop(&l, audio, sizeof(audio), now - 150000, now, "t", "SIP"));
	/* late: audio dropped, RTCP and the event kept */
	ck_assert(gw_rtp_age_drop(&l, audio, sizeof(audio), now - 250000, now, "t", "SIP"));
	ck_assert(!gw_rtp_age_drop(&l, rr, sizeof(rr), now - 250000, now, "t", "SIP"));
	ck_assert(!gw_rtp_age_drop(&l, event, sizeof(event), now - 250000, now, "t", "SIP"));
	/* three bytes that look like RTCP are not: dropped like audio */
	ck_assert(gw_rtp_age_drop(&l, rr, 3, now - 250000, now, "t", "SIP"));
	ck_assert_uint_eq(l.dropped, 2);
	/* 0 = never */
	l.max_us = 0;
	ck_assert(!gw_rtp_age_drop(&l, audio, sizeof(audio), now - 9000000, now, "t", "SIP"));
}
END_TEST

/* Opus (pt 111, 48 kHz) with SSRC @ssrc and timestamp @ts at @buf. */
static void opus_pkt(uint8_t *buf, uint32_t ssrc, uint32_t ts)
{
	ck_assert_uint_eq(gw_rtp_hdr_write(buf, 12, 111, false, 1, ts, ssrc), 12);
}

/* Without a receive stamp a packet's arrival is guessed from its RTP
 * timestamp: a stamped packet of the stream plus the time between them on
 * the sender's timeline (all equally delayed here).  No guess (kept) without
 * an anchor, for another SSRC or payload type, for a packet before the
 * anchor or 10 s or more after it; events are kept however late. */
START_TEST(test_rtp_age_guessed_from_the_timestamp_without_a_stamp)
{
	struct gw_rtp_age_limit l = { .max_us = 200000, .media_pt = 111, .media_rate = 48000 };
	uint8_t pkt[12], event[16] = { 0x80, 110 };
	const int64_t t0 = 50000000;
	const uint32_t ts0 = 0xfffff000;   /* wraps on the way */

	gw_rtp_pts_add(&l.events, 110);
	opus_pkt(pkt, 7, ts0 + 960);
	ck_assert(!gw_rtp_age_drop_unstamped(&l, pkt, sizeof(pkt), t0 + 900000, "t", "browser"));
	/* the anchor: stamped at t0 (read 1 ms later) */
	opus_pkt(pkt, 7, ts0);
	ck_assert(!gw_rtp_age_drop(&l, pkt, sizeof(pkt), t0, t0 + 1000, "t", "browser"));
	/* 20 ms after it on the sender's timeline: read 150 ms after that, kept;
	 * read 900 ms after the anchor: it waited about 880 ms, dropped */
	opus_pkt(pkt, 7, ts0 + 960);
	ck_assert(!gw_rtp_age_drop_unstamped(&l, pkt, sizeof(pkt), t0 + 170000, "t", "browser"));
	ck_assert(gw_rtp_age_drop_unstamped(&l, pkt, sizeof(pkt), t0 + 900000, "t", "browser"));
	/* 800 ms after it: read at 900 ms, it waited at most 100 ms */
	opus_pkt(pkt, 7, ts0 + 38400);
	ck_assert(!gw_rtp_age_drop_unstamped(&l, pkt, sizeof(pkt), t0 + 900000, "t", "browser"));
	/* no guess: another SSRC, before the anchor (over 10 s after it: the
	 * next test) */
	opus_pkt(pkt, 8, ts0 + 960);
	ck_assert(!gw_rtp_age_drop_unstamped(&l, pkt, sizeof(pkt), t0 + 900000, "t", "browser"));
	opus_pkt(pkt, 7, ts0 - 960);
	ck_assert(!gw_rtp_age_drop_unstamped(&l, pkt, sizeof(pkt), t0 + 900000, "t", "browser"));
	/* nor for another payload type, whose clock may differ, such as an
	 * event's */
	ck_assert_uint_eq(gw_rtp_hdr_write(pkt, 12, 0, false, 1, ts0 + 960, 7), 12);
	ck_assert(!gw_rtp_age_drop_unstamped(&l, pkt, sizeof(pkt), t0 + 900000, "t", "browser"));
	memcpy(event + 4, (uint8_t[]){ 0xff, 0xff, 0xf3, 0xc0, 0, 0, 0, 7 }, 8);
	ck_assert(!gw_rtp_age_drop_unstamped(&l, event, sizeof(event), t0 + 900000, "t", "browser"));
	ck_assert_uint_eq(l.dropped, 1);
	/* a stamped packet moves the anchor */
	opus_pkt(pkt, 7, ts0 + 96000);
	ck_assert(!gw_rtp_age_drop(&l, pkt, sizeof(pkt), t0 + 2000000, t0 + 2000000, "t", "browser"));
	opus_pkt(pkt, 7, ts0 + 96960);
	ck_assert(!gw_rtp_age_drop_unstamped(&l, pkt, sizeof(pkt), t0 + 2100000, "t", "browser"));
	ck_assert(gw_rtp_age_drop_unstamped(&l, pkt, sizeof(pkt), t0 + 2300000, "t", "browser"));
	/* max_us 0: never */
	l.max_us = 0;
	ck_assert(!gw_rtp_age_drop_unstamped(&l, pkt, sizeof(pkt), t0 + 9000000, "t", "browser"));
	ck_assert_uint_eq(l.dropped, 2);
}
END_TEST

/* SSRC 7's Opus packet with timestamp @ts through @l: stamped as arrived
 * at (and read at) @rx_us, or read at @now_us without a stamp.  true:
 * dropped. */
static bool stamped(struct gw_rtp_age_limit *l, uint32_t ts, int64_t rx_us)
{
	uint8_t pkt[12];

	opus_pkt(pkt, 7, ts);
	return gw_rtp_age_drop(l, pkt, sizeof(pkt), rx_us, rx_us, "t", "browser");
}

static bool unstamped(struct gw_rtp_age_limit *l, uint32_t ts, int64_t now_us)
{
	uint8_t pkt[12];

	opus_pkt(pkt, 7, ts);
	return gw_rtp_age_drop_unstamped(l, pkt, sizeof(pkt), now_us, "t", "browser");
}

/* The guess's anchor is the most delayed stamped packet of the last one to
 * two seconds, so a packet delayed as much by the network as a recent one
 * is not taken for one that waited in the socket; and a stream whose last
 * stamped packet is 10 s old has no anchor (its sender paused). */
START_TEST(test_rtp_age_guess_anchored_by_the_most_delayed_recent_packet)
{
	struct gw_rtp_age_limit l = { .max_us = 200000, .media_pt = 111, .media_rate = 48000 };
	const int64_t t0 = 50000000;

	/* 0 ms on the sender's timeline arrived at t0; 20 ms arrived 150 ms
	 * later than that would say (the network delayed it) */
	ck_assert(!stamped(&l, 0, t0));
	ck_assert(!stamped(&l, 960, t0 + 170000));
	/* the delay drains: less delayed ones do not move the anchor */
	ck_assert(!stamped(&l, 1920, t0 + 175000));
	ck_assert(!stamped(&l, 2880, t0 + 180000));
	ck_assert(!stamped(&l, 3840, t0 + 185000));
	/* 100 ms, read unstamped 420 ms after t0: against the last packet it
	 * waited 215 ms, against the most delayed at most 170 ms: kept */
	ck_assert(!unstamped(&l, 4800, t0 + 420000));
	/* read at 460 ms: over 200 ms even so */
	ck_assert(unstamped(&l, 4800, t0 + 460000));
	/* a second on (the next window), 1.1 s arrived 100 ms late; a second
	 * on again, the window before the last still anchors: 2.02 s read at
	 * 2.25 s waited at most 130 ms */
	ck_assert(!stamped(&l, 48000, t0 + 1000000));
	ck_assert(!stamped(&l, 52800, t0 + 1200000));
	ck_assert(!stamped(&l, 96000, t0 + 2000000));
	ck_assert(!unstamped(&l, 96960, t0 + 2250000));
	/* one more window: the delay is forgotten, 3.02 s read at 3.25 s
	 * waited 230 ms */
	ck_assert(!stamped(&l, 144000, t0 + 3000000));
	ck_assert(unstamped(&l, 144960, t0 + 3250000));
	/* nothing stamped for over 10 s: no guess, though 12 s on the
	 * sender's timeline read at 13.1 s would be 1.1 s old */
	ck_assert(!unstamped(&l, 48000 * 12, t0 + 13100000));
	ck_assert(unstamped(&l, 48000 * 12, t0 + 12900000));
	ck_assert_uint_eq(l.dropped, 3);

	/* a packet over 10 s after the anchor on the sender's timeline: no
	 * guess (two clocks drift), though the last stamped packet is recent;
	 * 9.9 s after it, a guess (the anchor is 20 ms at 170 ms, in the
	 * window before the last) */
	l = (struct gw_rtp_age_limit){ .max_us = 200000, .media_pt = 111, .media_rate = 48000 };
	ck_assert(!stamped(&l, 0, t0));
	ck_assert(!stamped(&l, 960, t0 + 170000));
	ck_assert(!stamped(&l, 91200, t0 + 1900000));
	ck_assert(!unstamped(&l, 960 + 484800, t0 + 10520000));
	ck_assert(unstamped(&l, 960 + 475200, t0 + 10320000));
}
END_TEST

START_TEST(test_rtp_parse_random_bytes_never_reads_past_end)
{
	/* Each buffer is allocated at its exact size so ASan catches any
	 * overread; every accepted packet must describe bytes inside it. */
	srand(4733);
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)(rand() % 80);
		uint8_t *buf = malloc(len ? len : 1);
		struct gw_rtp_hdr h;

		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)rand();
		if (len)
			buf[0] = (uint8_t)(0x80 | (buf[0] & 0x3f));
		if (gw_rtp_parse(buf, len, &h) == 0) {
			ck_assert_uint_le(h.hdr_len + h.payload_len, len);
			ck_assert(h.payload >= buf && h.payload + h.payload_len <= buf + len);
		}
		free(buf);
	}
}
END_TEST

START_TEST(test_rtp_seq_diff_handles_wraparound)
{
	ck_assert_int_eq(gw_rtp_seq_diff(0, 65535), 1);
	ck_assert_int_eq(gw_rtp_seq_diff(65535, 0), -1);
	ck_assert(gw_rtp_seq_newer(2, 65530));
	ck_assert(!gw_rtp_seq_newer(65530, 2));
	ck_assert(!gw_rtp_seq_newer(7, 7));
	ck_assert_int_eq(gw_rtp_ts_diff(10, 0xfffffff0u), 26);
}
END_TEST

START_TEST(test_rtp_seq_extend_counts_cycles_and_late_packets)
{
	struct gw_rtp_seq_ext st = { 0 };
	uint64_t a = gw_rtp_seq_extend(&st, 65534);
	uint64_t b = gw_rtp_seq_extend(&st, 65535);
	uint64_t c = gw_rtp_seq_extend(&st, 1);      /* wrapped, 0 lost */
	uint64_t late = gw_rtp_seq_extend(&st, 0);   /* late, after the wrap */
	uint64_t older = gw_rtp_seq_extend(&st, 65533); /* late, before the wrap */

	ck_assert_uint_eq(b, a + 1);
	ck_assert_uint_eq(c, a + 3);
	ck_assert_uint_eq(late, a + 2);
	ck_assert_uint_eq(older, a - 1);
	ck_assert_uint_eq(gw_rtp_seq_extend(&st, 2), a + 4);
}
END_TEST

START_TEST(test_rtp_sender_numbers_packets_with_own_ssrc_and_offset)
{
	struct gw_rtp_sender s;
	uint8_t buf[64];
	struct gw_rtp_hdr h;
	size_t n;

	gw_rtp_sender_init_fixed(&s, 8000, 0x11223344, 65535, 1000);
	n = gw_rtp_sender_write(&s, buf, sizeof(buf), 0, 0, false, (const uint8_t *)"ab", 2);
	ck_assert_uint_eq(n, 14);
	ck_assert_int_eq(gw_rtp_parse(buf, n, &h), 0);
	ck_assert(h.marker);                  /* first packet of the stream */
	ck_assert_uint_eq(h.seq, 65535);
	ck_assert_uint_eq(h.ts, 1000);
	ck_assert_uint_eq(h.ssrc, 0x11223344);

	n = gw_rtp_sender_write(&s, buf, sizeof(buf), 0, 160, false, (const uint8_t *)"cd", 2);
	ck_assert_int_eq(gw_rtp_parse(buf, n, &h), 0);
	ck_assert(!h.marker);
	ck_assert_uint_eq(h.seq, 0);
	ck_assert_uint_eq(h.ts, 1160);

	gw_rtp_sender_mark(&s);
	n = gw_rtp_sender_write(&s, buf, sizeof(buf), 0, 320, false, (const uint8_t *)"ef", 2);
	ck_assert_int_eq(gw_rtp_parse(buf, n, &h), 0);
	ck_assert(h.marker);
	ck_assert_uint_eq(s.packets, 3);
	ck_assert_uint_eq(s.octets, 6);

	/* Too small: nothing consumed. */
	ck_assert_uint_eq(gw_rtp_sender_write(&s, buf, 13, 0, 480, false, (const uint8_t *)"gh", 2), 0);
	ck_assert_uint_eq(s.seq, 2);
}
END_TEST

START_TEST(test_rtp_sender_init_picks_distinct_random_ssrcs)
{
	struct gw_rtp_sender a, b;

	gw_rtp_sender_init(&a, 48000);
	gw_rtp_sender_init(&b, 48000);
	ck_assert_uint_ne(a.ssrc, 0);
	ck_assert_uint_ne(a.ssrc, b.ssrc);
	ck_assert_uint_eq(a.clock_rate, 48000);
}
END_TEST

static Suite *rtp_suite(void)
{
	Suite *s = suite_create("rtp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_rtp_write_then_parse_round_trips);
	tcase_add_test(tc, test_rtp_write_refuses_small_buffer_and_bad_pt);
	tcase_add_test(tc, test_rtp_parse_refuses_short_header);
	tcase_add_test(tc, test_rtp_parse_refuses_bad_version);
	tcase_add_test(tc, test_rtp_parse_refuses_csrc_count_past_end);
	tcase_add_test(tc, test_rtp_parse_refuses_huge_extension_length);
	tcase_add_test(tc, test_rtp_parse_strips_padding_and_refuses_bad_padding);
	tcase_add_test(tc, test_rtp_parse_leaves_output_untouched_on_error);
	tcase_add_test(tc, test_rtp_parse_sends_muxed_rtcp_away);
	tcase_add_test(tc, test_rtp_age_limit_keeps_only_rtcp_and_events);
	tcase_add_test(tc, test_rtp_age_guessed_from_the_timestamp_without_a_stamp);
	tcase_add_test(tc, test_rtp_age_guess_anchored_by_the_most_delayed_recent_packet);
	tcase_add_test(tc, test_rtp_parse_random_bytes_never_reads_past_end);
	tcase_add_test(tc, test_rtp_seq_diff_handles_wraparound);
	tcase_add_test(tc, test_rtp_seq_extend_counts_cycles_and_late_packets);
	tcase_add_test(tc, test_rtp_sender_numbers_packets_with_own_ssrc_and_offset);
	tcase_add_test(tc, test_rtp_sender_init_picks_distinct_random_ssrcs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return gw_check_run(rtp_suite());
}
