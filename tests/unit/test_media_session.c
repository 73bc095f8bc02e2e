/* test_media_session.c — the session's stream handling: re-framing between
 * SIP ptime 30 and 20 ms frames without gaps or duplicated samples (checked
 * byte for byte through G.711), the jitter buffer under scripted arrivals,
 * passthrough byte-exactness, malformed RTP, comfort noise, hold, re-INVITE
 * codec change and config refusal.
 */
#include "gw_check.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "media_harness.h"

/* Browser leg on A-law too, transcoding (not passthrough): A-law decode then
 * encode gives back every byte (mu-law would turn 0x7f into 0xff), so any
 * gap, duplicate or misplaced sample in the re-framing shows as a byte
 * difference. */
#define G711 GW_MEDIA_CODEC_PCMA
#define G711_PT 8

static void g711_both_legs(struct gw_media_config *cfg, unsigned sip_ptime)
{
	gw_media_config_init(cfg);
	cfg->browser_codec = G711;
	cfg->browser_pt = G711_PT;
	cfg->sip_codec = G711;
	cfg->sip_pt = G711_PT;
	cfg->sip_ptime_ms = sip_ptime;
	cfg->passthrough = false;
}

/* @n bytes of A-law speech-like audio as a trunk would send it. */
static uint8_t *g711_speech(struct mh *h, size_t n)
{
	uint8_t *b = malloc(n);
	int16_t *pcm = malloc(n * sizeof(*pcm));

	ma_speechlike(pcm, n, 8000, 0);
	ck_assert_uint_eq(mh_encode(h, G711, pcm, n, b), n);
	free(pcm);
	return b;
}

START_TEST(test_media_sip_ptime30_to_browser_20ms_without_gaps)
{
	struct gw_media_config cfg;
	struct gw_media_counters c;
	struct mh h;
	const size_t total = 24000;      /* 3 s */
	uint8_t *in, *out = malloc(total * 2);
	struct ma_buf dec = { 0 };
	size_t sent = 0, got;
	uint64_t t0;

	g711_both_legs(&cfg, 30);
	/* A steady stream: no start allowance to shed later, so the bytes
	 * come through untouched (not shortened). */
	cfg.jitter_start_ms = 0;
	mh_init(&h, &cfg);
	in = g711_speech(&h, total);
	t0 = h.now;
	for (uint64_t t = 0; t < 3600000; t += 10000) {
		h.now = t0 + t;
		if (t % 30000 == 0 && sent < total) {
			ck_assert_int_eq(mh_from_sip(&h, G711_PT, sent == 0, in + sent, 240, 240), 0);
			sent += 240;
			if (sent == total) {
				gw_media_session_get_counters(h.s, &c);
				ck_assert_uint_eq(c.jb_concealed, 0);
			}
		}
		if (t % 20000 == 0)
			gw_media_session_tick(h.s, h.now);
	}
	got = mh_payload_bytes(&h.browser, G711_PT, out, total * 2);
	ck_assert_uint_ge(got, total);
	ck_assert_int_eq(memcmp(out, in, total), 0);
	/* 20 ms packets with timestamps 160 apart throughout */
	mh_decode_sink(&h.browser, G711_PT, G711, 8000, &dec);
	for (size_t i = 0; i < h.browser.n; i++)
		ck_assert_uint_eq(h.browser.p[i].len, 12 + 160);
	ma_buf_free(&dec);
	free(in);
	free(out);
	mh_free(&h);
}
END_TEST

START_TEST(test_media_browser_20ms_to_sip_ptime30_without_gaps)
{
	struct gw_media_config cfg;
	struct mh h;
	const size_t total = 24000;
	uint8_t *in, *out = malloc(total);
	struct ma_buf dec = { 0 };
	size_t got, pkts;

	g711_both_legs(&cfg, 30);
	mh_init(&h, &cfg);
	in = g711_speech(&h, total);
	for (size_t off = 0; off < total; off += 160) {
		ck_assert_int_eq(mh_from_browser(&h, G711_PT, off == 0, in + off, 160, 160), 0);
		mh_tick(&h);
	}
	got = mh_payload_bytes(&h.sip, G711_PT, out, total);
	ck_assert_uint_eq(got, total);
	ck_assert_int_eq(memcmp(out, in, total), 0);
	pkts = mh_decode_sink(&h.sip, G711_PT, G711, 8000, &dec);
	ck_assert_uint_eq(pkts, total / 240);
	for (size_t i = 0; i < h.sip.n; i++)
		ck_assert_uint_eq(h.sip.p[i].len, 12 + 240);
	ma_buf_free(&dec);
	free(in);
	free(out);
	mh_free(&h);
}
END_TEST

/* The 20 ms tick runs for a slot that began before the latest browser
 * packet arrived (ticks a few ms late, as on a busy loop): audio is still
 * flowing, so the SIP timestamps must advance 160 per 20 ms packet, not
 * jump as if the call had gone idle (they once ran ~1.5x fast). */
START_TEST(test_media_late_ticks_keep_sip_timestamps_at_160_per_packet)
{
	struct gw_media_config cfg;
	struct mh h;
	uint8_t *in;
	uint64_t t0;

	g711_both_legs(&cfg, 20);
	mh_init(&h, &cfg);
	in = g711_speech(&h, 160 * 100);
	t0 = h.now;
	gw_media_session_tick(h.s, t0); /* the schedule starts at t0 */
	for (unsigned k = 0; k < 100; k++) {
		h.now = t0 + (k + 1) * 20000 + 3000; /* after the slot began */
		ck_assert_int_eq(mh_from_browser(&h, G711_PT, k == 0, in + k * 160, 160, 160), 0);
		h.now = t0 + (k + 1) * 20000 + 6000; /* the tick, 6 ms late */
		gw_media_session_tick(h.s, h.now);
	}
	ck_assert_uint_ge(h.sip.n, 90);
	for (size_t i = 1; i < h.sip.n; i++) {
		struct gw_rtp_hdr x, y;

		ck_assert_int_eq(gw_rtp_parse(h.sip.p[i - 1].d, h.sip.p[i - 1].len, &x), 0);
		ck_assert_int_eq(gw_rtp_parse(h.sip.p[i].d, h.sip.p[i].len, &y), 0);
		ck_assert_msg(y.ts - x.ts == 160, "SIP packet %zu: timestamp step %u, not 160", i,
			      y.ts - x.ts);
	}
	free(in);
	mh_free(&h);
}
END_TEST

/* The session's own frame schedule, which the bridge times a frame's wait
 * from: unset before the first tick, then the next 20 ms step; a tick that
 * comes 50 ms late plays the frames that fell due (the first of them due
 * 40 ms before it) and the schedule goes on from there. */
START_TEST(test_media_frame_due_follows_the_schedule)
{
	struct gw_media_config cfg;
	struct mh h;
	uint64_t t0;

	g711_both_legs(&cfg, 20);
	mh_init(&h, &cfg);
	ck_assert_uint_eq(gw_media_session_frame_due(h.s), 0);
	t0 = h.now;
	gw_media_session_tick(h.s, t0);
	ck_assert_uint_eq(gw_media_session_frame_due(h.s), t0 + 20000);
	gw_media_session_tick(h.s, t0 + 20000);
	ck_assert_uint_eq(gw_media_session_frame_due(h.s), t0 + 40000);
	/* late: due t0 + 40 ms, runs at t0 + 90 ms: plays 40, 60, 80 */
	gw_media_session_tick(h.s, t0 + 90000);
	ck_assert_uint_eq(gw_media_session_frame_due(h.s), t0 + 100000);
	mh_free(&h);
}
END_TEST

/* SIP packets every 20 ms arriving 0..@jitter_ms late (every 25th one
 * @spike_ms late when non-zero); 1 ms clock steps, ticks every 20 ms. */
static void jittery_sip(struct mh *h, const uint8_t *in, size_t total, unsigned jitter_ms,
			unsigned spike_ms, unsigned *max_delay_ms)
{
	size_t npk = total / 160;
	uint64_t *arrive = malloc(npk * sizeof(*arrive));
	uint32_t rng = 99;
	uint64_t t0 = h->now;
	uint16_t seq0 = h->sseq;
	uint32_t ts0 = h->sts;

	for (size_t i = 0; i < npk; i++) {
		rng = rng * 1103515245u + 12345u;
		arrive[i] = i * 20000 + 3000 + (uint64_t)((rng >> 8) % (jitter_ms + 1)) * 1000;
		if (spike_ms && i % 25 == 12)
			arrive[i] = i * 20000 + (uint64_t)spike_ms * 1000;
	}
	*max_delay_ms = 0;
	for (uint64_t t = 0; t < npk * 20000 + 1000000; t += 1000) {
		h->now = t0 + t;
		for (size_t i = 0; i < npk; i++) {
			uint8_t buf[200];
			size_t n;

			if (arrive[i] != t)
				continue;
			n = mh_rtp(buf, G711_PT, i == 0, (uint16_t)(seq0 + i), ts0 + (uint32_t)i * 160,
				   h->sssrc, in + i * 160, 160);
			gw_media_session_feed_from_sip(h->s, buf, n, h->now);
		}
		if (t % 20000 == 0) {
			struct gw_media_counters c;

			gw_media_session_tick(h->s, h->now);
			gw_media_session_get_counters(h->s, &c);
			if (t > 1000000 && t < npk * 20000 && c.jb_delay_ms > *max_delay_ms)
				*max_delay_ms = c.jb_delay_ms;
		}
	}
	free(arrive);
}

/* Walk @out against @in: equal bytes, except where the playout shed delay
 * (a silent frame dropped: @in jumps ahead; a pitch period of L cut: L
 * cross-faded bytes stand for 2L).  Returns how many such places there
 * were, or -1 at a difference neither explains; *@checked gets how much
 * of @in was matched. */
static int shed_places(const uint8_t *in, size_t nin, const uint8_t *out, size_t nout,
		       size_t *checked)
{
	enum { RUN = 48, MAX_SKIP = 320 };
	size_t i = 0, o = 0;
	int places = 0;

	while (i + RUN + MAX_SKIP < nin && o + RUN + MAX_SKIP < nout) {
		bool found = false;

		if (out[o] == in[i]) {
			i++;
			o++;
			continue;
		}
		/* the fade may agree with the original for its first bytes */
		for (size_t back = 0; back <= 4 && back <= o && !found; back++) {
			for (size_t l = 1; l <= MAX_SKIP / 2 && !found; l++) {
				if (!memcmp(out + o - back + l, in + i - back + 2 * l, RUN)) {
					o = o - back + l;
					i = i - back + 2 * l;
					found = true;
				}
			}
			for (size_t k = 160; k <= MAX_SKIP && !found; k += 160) {
				if (!memcmp(out + o - back, in + i - back + k, RUN)) {
					o -= back;
					i = i - back + k;
					found = true;
				}
			}
		}
		if (!found)
			break;
		places++;
	}
	*checked = i;
	return i + RUN + MAX_SKIP < nin && o + RUN + MAX_SKIP < nout ? -1 : places;
}

START_TEST(test_media_jitter_below_bound_loses_no_sample)
{
	struct gw_media_config cfg;
	struct gw_media_counters c;
	struct mh h;
	const size_t total = 40000;      /* 5 s */
	uint8_t *in, *out = malloc(total * 2);
	unsigned max_delay;
	size_t got, checked;
	int places;

	g711_both_legs(&cfg, 20);
	cfg.jitter_max_ms = 120;
	cfg.jitter_start_ms = 120;   /* the bound from the start: nothing lost to a guess */
	mh_init(&h, &cfg);
	in = g711_speech(&h, total);
	jittery_sip(&h, in, total, 100, 0, &max_delay);
	gw_media_session_get_counters(h.s, &c);
	printf("jitter 0..100 ms under a 120 ms bound: late %llu, concealed %llu, delay %u ms\n",
	       (unsigned long long)c.jb_late, (unsigned long long)c.jb_concealed, max_delay);
	ck_assert_uint_eq(c.jb_late, 0);
	ck_assert_uint_eq(c.jb_dropped, 0);
	ck_assert_uint_le(c.jb_concealed, 5);    /* the stream's end only */
	/* Every sample came out, byte for byte, but where delay the jitter
	 * did not need was shed (silent frames dropped, pitch periods cut). */
	got = mh_payload_bytes(&h.browser, G711_PT, out, total * 2);
	places = shed_places(in, total, out, got, &checked);
	printf("   shed: %llu silent frames, %llu ms shortened; %d places, %zu of %zu bytes "
	       "matched\n", (unsigned long long)c.jb_shrunk, (unsigned long long)c.jb_accel_ms,
	       places, checked, total);
	ck_assert_int_ge(places, 0);
	ck_assert_uint_ge(checked, total - 400);
	ck_assert_uint_ge(got + c.jb_shrunk * 160 + c.jb_accel_ms * 8 + 8, total);
	free(in);
	free(out);
	mh_free(&h);
}
END_TEST

START_TEST(test_media_jitter_above_bound_keeps_delay_bounded)
{
	struct gw_media_config cfg;
	struct gw_media_counters c;
	struct mh h;
	struct ma_buf dec = { 0 };
	const size_t total = 40000;
	uint8_t *in;
	unsigned max_delay;

	g711_both_legs(&cfg, 20);
	cfg.jitter_max_ms = 60;
	mh_init(&h, &cfg);
	in = g711_speech(&h, total);
	jittery_sip(&h, in, total, 30, 300, &max_delay);
	gw_media_session_get_counters(h.s, &c);
	printf("300 ms spikes over a 60 ms bound: late %llu, concealed %llu, max delay %u ms\n",
	       (unsigned long long)c.jb_late, (unsigned long long)c.jb_concealed, max_delay);
	/* bound + half-frame margin + 2 frames of hysteresis */
	ck_assert_uint_le(max_delay, 60 + 10 + 40);
	ck_assert_uint_ge(c.jb_late, 8);           /* the spikes are given up ... */
	ck_assert_uint_le(c.jb_late, 10);          /* ... and nothing else */
	/* the browser stream itself stays continuous */
	mh_decode_sink(&h.browser, G711_PT, G711, 8000, &dec);
	ck_assert_uint_ge(dec.n, total);
	ma_buf_free(&dec);
	free(in);
	mh_free(&h);
}
END_TEST

START_TEST(test_media_passthrough_payloads_byte_exact_both_ways)
{
	struct gw_media_config cfg;
	struct mh h;
	uint8_t in[50 * 160], out[50 * 160];
	struct ma_buf dec = { 0 };
	struct gw_rtp_hdr hd;
	uint32_t rng = 7;

	g711_both_legs(&cfg, 20);
	cfg.passthrough = true;
	mh_init(&h, &cfg);
	ck_assert(gw_media_session_is_passthrough(h.s));
	for (size_t i = 0; i < sizeof(in); i++) {
		rng = rng * 1103515245u + 12345u;
		in[i] = (uint8_t)(rng >> 16);    /* any bytes, even non-canonical */
	}
	for (int i = 0; i < 50; i++) {
		ck_assert_int_eq(mh_from_browser(&h, G711_PT, i == 0, in + i * 160, 160, 160), 0);
		ck_assert_int_eq(mh_from_sip(&h, G711_PT, i == 0, in + i * 160, 160, 160), 0);
		mh_tick(&h);
	}
	ck_assert_uint_eq(mh_payload_bytes(&h.sip, G711_PT, out, sizeof(out)), sizeof(in));
	ck_assert_int_eq(memcmp(in, out, sizeof(in)), 0);
	ck_assert_uint_eq(mh_payload_bytes(&h.browser, G711_PT, out, sizeof(out)), sizeof(in));
	ck_assert_int_eq(memcmp(in, out, sizeof(in)), 0);
	/* header rewritten: own SSRC, consecutive seq, ts step 160 */
	ck_assert_uint_eq(mh_decode_sink(&h.sip, G711_PT, G711, 8000, &dec), 50);
	ck_assert_int_eq(gw_rtp_parse(h.sip.p[0].d, h.sip.p[0].len, &hd), 0);
	ck_assert_uint_ne(hd.ssrc, h.bssrc);
	ck_assert(hd.marker);
	/* a new browser SSRC continues the same outgoing stream, marked */
	h.bssrc ^= 0x1234;
	h.bts += 777777;
	ck_assert_int_eq(mh_from_browser(&h, G711_PT, false, in, 160, 160), 0);
	ck_assert_int_eq(gw_rtp_parse(h.sip.p[50].d, h.sip.p[50].len, &hd), 0);
	ck_assert(hd.marker);
	dec.n = 0;
	ck_assert_uint_eq(mh_decode_sink(&h.sip, G711_PT, G711, 8000, &dec), 51);
	ma_buf_free(&dec);
	mh_free(&h);
}
END_TEST

/* The newest SIP timestamp of payload type @pt in @sink from packet @from on. */
static bool last_ts(const struct mh_sink *sink, size_t from, uint8_t pt, uint32_t *ts,
		    size_t *payload_len)
{
	struct gw_rtp_hdr hd;
	bool any = false;

	for (size_t i = from; i < sink->n; i++)
		if (!gw_rtp_parse(sink->p[i].d, sink->p[i].len, &hd) && hd.pt == pt) {
			*ts = hd.ts;
			*payload_len = hd.payload_len;
			any = true;
		}
	return any;
}

/* Browser frames @from..@to of @in through the session, one tick each. */
static void feed(struct mh *h, const uint8_t *in, int from, int to)
{
	for (int i = from; i < to; i++) {
		ck_assert_int_eq(mh_from_browser(h, G711_PT, i == 0, in + i * 160, 160, 160), 0);
		mh_tick(h);
	}
}

/* Re-INVITE to @ptime ms, then frames @from..@to: relayed at 20 ms, else
 * re-framed to @ptime; the SIP timestamp moved on from @before.  The last
 * one sent. */
static uint32_t switch_ptime(struct mh *h, const uint8_t *in, int from, int to, unsigned ptime,
			     uint32_t before)
{
	size_t mark = h->sip.n, len;
	uint32_t ts;

	ck_assert_int_eq(gw_media_session_set_sip_codec(h->s, G711, G711_PT, ptime, -1), 0);
	ck_assert(gw_media_session_is_passthrough(h->s) == (ptime == 20));
	feed(h, in, from, to);
	ck_assert(last_ts(&h->sip, mark, G711_PT, &ts, &len));
	ck_assert_uint_eq(len, ptime * 8);
	ck_assert_msg(gw_rtp_ts_diff(ts, before) > 0, "SIP timestamp went back %u -> %u", before,
		      ts);
	return ts;
}

/* A trunk that asked for a=ptime:30 gets 30 ms packets: the same codec on
 * both legs is then re-framed through the pipeline, not relayed; a
 * re-INVITE to 20 ms relays again, to 40 ms re-frames again; the SIP
 * timeline runs on across every switch. */
START_TEST(test_media_passthrough_only_at_20ms_other_trunk_ptime_is_reframed)
{
	struct gw_media_config cfg;
	struct mh h;
	uint8_t *in;
	uint32_t before;
	size_t len;

	g711_both_legs(&cfg, 20);
	cfg.passthrough = true;
	mh_init(&h, &cfg);
	in = g711_speech(&h, 400 * 160);
	ck_assert(gw_media_session_is_passthrough(h.s));
	feed(&h, in, 0, 250);              /* 5 s relayed */
	ck_assert(last_ts(&h.sip, 0, G711_PT, &before, &len));
	ck_assert_uint_eq(len, 160);

	before = switch_ptime(&h, in, 250, 280, 30, before);
	switch_ptime(&h, in, 280, 300, 20, before);

	ck_assert_int_eq(gw_media_session_set_sip_codec(h.s, G711, G711_PT, 40, -1), 0);
	ck_assert(!gw_media_session_is_passthrough(h.s));
	free(in);
	mh_free(&h);
}
END_TEST

START_TEST(test_media_malformed_rtp_dropped_and_counted)
{
	struct gw_media_config cfg;
	struct gw_media_counters c;
	struct mh h;
	uint8_t p[64];
	size_t n;

	gw_media_config_init(&cfg);
	mh_init(&h, &cfg);
	n = mh_rtp(p, 111, false, 1, 2, 3, (const uint8_t *)"abcd", 4);
	ck_assert_int_eq(gw_media_session_feed_from_browser(h.s, p, 11, h.now), EBADMSG);  /* short */
	p[0] = 0x40;                                                                      /* version 1 */
	ck_assert_int_eq(gw_media_session_feed_from_browser(h.s, p, n, h.now), EBADMSG);
	p[0] = 0x8f;                                                                      /* 15 CSRCs */
	ck_assert_int_eq(gw_media_session_feed_from_sip(h.s, p, n, h.now), EBADMSG);
	p[0] = 0x90;                                                                      /* extension */
	p[12] = 0xbe; p[13] = 0xde; p[14] = 0xff; p[15] = 0xff;
	ck_assert_int_eq(gw_media_session_feed_from_sip(h.s, p, n, h.now), EBADMSG);
	n = mh_rtp(p, 96, false, 1, 2, 3, (const uint8_t *)"abcd", 4);                   /* unknown pt */
	ck_assert_int_eq(gw_media_session_feed_from_browser(h.s, p, n, h.now), ENOENT);
	ck_assert_int_eq(gw_media_session_feed_from_sip(h.s, p, n, h.now), ENOENT);
	n = mh_rtp(p, 111, false, 1, 2, 3, (const uint8_t *)"", 0);                      /* no payload */
	ck_assert_int_eq(gw_media_session_feed_from_browser(h.s, p, n, h.now), ENODATA);
	for (int i = 0; i < 10; i++)
		mh_tick(&h);
	gw_media_session_get_counters(h.s, &c);
	ck_assert_uint_eq(c.malformed, 4);
	ck_assert_uint_eq(c.unknown_pt, 2);
	ck_assert_uint_eq(c.undecodable, 1);
	ck_assert_uint_eq(c.browser_rx_packets, 4);
	ck_assert_uint_eq(c.sip_rx_packets, 3);
	ck_assert_uint_eq(h.sip.n, 0);
	ck_assert_uint_eq(h.browser.n, 0);
	mh_free(&h);
}
END_TEST

START_TEST(test_media_cn_from_sip_keeps_browser_stream)
{
	struct gw_media_config cfg;
	struct gw_media_counters c;
	struct mh h;
	struct ma_buf dec = { 0 };
	double ph = 0, f, noise_rms;
	size_t pkts;
	const uint8_t cn_level = 50;     /* -50 dBov */

	gw_media_config_init(&cfg);
	mh_init(&h, &cfg);
	for (int i = 0; i < 150; i++) {
		int16_t pcm[160];
		uint8_t b[160];

		if (i < 50 || i >= 100) {
			ma_tone(pcm, 160, 1000, 8000, 8000, &ph);
			mh_encode(&h, GW_MEDIA_CODEC_PCMU, pcm, 160, b);
			ck_assert_int_eq(mh_from_sip(&h, 0, i == 0 || i == 100, b, 160, 160), 0);
		} else if (i % 10 == 0) {
			/* one CN update per 200 ms of silence */
			ck_assert_int_eq(mh_from_sip(&h, 13, false, &cn_level, 1, 160 * 10), 0);
		}
		mh_tick(&h);
	}
	gw_media_session_get_counters(h.s, &c);
	for (int i = 0; i < 20; i++)             /* drain the jitter buffer */
		mh_tick(&h);
	pkts = mh_decode_sink(&h.browser, 111, GW_MEDIA_CODEC_OPUS, 48000, &dec);
	ck_assert_uint_eq(c.cn_packets, 5);
	ck_assert_uint_eq(c.jb_concealed, 0);    /* CN is not a loss */
	ck_assert_uint_ge(pkts, 150);
	/* the CN stretch (output 1.3 s .. 1.8 s after the start) is quiet noise */
	noise_rms = ma_rms(dec.s + 48000 * 13 / 10, 48000 / 2);
	f = ma_dominant_freq(dec.s + 48000 * 23 / 10, 24000, 48000, 200, 3400);
	printf("CN from SIP: noise RMS %.0f, tone after CN %.1f Hz, %zu packets\n", noise_rms, f, pkts);
	ck_assert_double_gt(noise_rms, 20);
	ck_assert_double_lt(noise_rms, 400);
	ck_assert_double_le(fabs(f - 1000), 5);
	ma_buf_free(&dec);
	mh_free(&h);
}
END_TEST

START_TEST(test_media_hold_stops_forwarding_and_resume_marks)
{
	struct gw_media_config cfg;
	struct mh h;
	uint8_t b[160] = { 0xff };
	struct gw_rtp_hdr hd;
	size_t before;

	g711_both_legs(&cfg, 20);
	mh_init(&h, &cfg);
	for (int i = 0; i < 5; i++) {
		mh_from_browser(&h, G711_PT, false, b, 160, 160);
		mh_tick(&h);
	}
	before = h.sip.n;
	ck_assert_uint_eq(before, 5);
	gw_media_session_set_hold(h.s, true);
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(mh_from_browser(&h, G711_PT, false, b, 160, 160), ENODATA);
		ck_assert_int_eq(mh_from_sip(&h, G711_PT, false, b, 160, 160), ENODATA);
		mh_tick(&h);
	}
	ck_assert_uint_eq(h.sip.n, before);
	gw_media_session_set_hold(h.s, false);
	ck_assert_int_eq(mh_from_browser(&h, G711_PT, false, b, 160, 160), 0);
	ck_assert_uint_eq(h.sip.n, before + 1);
	ck_assert_int_eq(gw_rtp_parse(h.sip.p[before].d, h.sip.p[before].len, &hd), 0);
	ck_assert(hd.marker);
	mh_free(&h);
}
END_TEST

START_TEST(test_media_reinvite_switches_sip_codec_keeping_ssrc)
{
	struct gw_media_config cfg;
	struct mh h;
	struct gw_rtp_hdr a, b;
	struct ma_buf dec = { 0 };
	double ph = 0, f;
	size_t first_pcma = 0;

	gw_media_config_init(&cfg);
	mh_init(&h, &cfg);
	for (int i = 0; i < 100; i++) {
		int16_t pcm[960];
		uint8_t buf[1500];
		size_t len;

		if (i == 50) {
			ck_assert_int_eq(gw_media_session_set_sip_codec(h.s, GW_MEDIA_CODEC_PCMA, 8, 20, 101), 0);
			first_pcma = h.sip.n;
		}
		ma_tone(pcm, 960, 1000, 48000, 10000, &ph);
		len = mh_browser_encode(&h, pcm, buf, sizeof(buf));
		mh_from_browser(&h, 111, false, buf, len, 960);
		mh_tick(&h);
	}
	ck_assert_int_eq(gw_rtp_parse(h.sip.p[first_pcma - 1].d, h.sip.p[first_pcma - 1].len, &a), 0);
	ck_assert_int_eq(gw_rtp_parse(h.sip.p[first_pcma].d, h.sip.p[first_pcma].len, &b), 0);
	ck_assert_uint_eq(a.pt, 0);
	ck_assert_uint_eq(b.pt, 8);
	ck_assert_uint_eq(a.ssrc, b.ssrc);
	ck_assert_uint_eq((uint16_t)(a.seq + 1), b.seq);
	ck_assert(b.marker);
	mh_decode_sink(&h.sip, 8, GW_MEDIA_CODEC_PCMA, 8000, &dec);
	f = ma_dominant_freq(dec.s + 800, dec.n - 800, 8000, 200, 3400);
	ck_assert_double_le(fabs(f - 1000), 5);
	/* a bad change is refused and leaves the call as it was */
	ck_assert_int_eq(gw_media_session_set_sip_codec(h.s, GW_MEDIA_CODEC_PCMU, 0, 25, 101), EINVAL);
	ck_assert_int_eq(gw_media_session_set_sip_codec(h.s, GW_MEDIA_CODEC_OPUS, 0, 20, 101), EINVAL);
	ma_buf_free(&dec);
	mh_free(&h);
}
END_TEST

START_TEST(test_media_bad_config_refused)
{
	struct gw_media_config cfg;
	struct gw_media_session *s = NULL;
	static gw_media_send_h *nop;

	gw_media_config_init(&cfg);
	cfg.sip_ptime_ms = 25;
	ck_assert_int_eq(gw_media_session_new(&cfg, nop, nop, NULL, NULL, &s), EINVAL);
	gw_media_config_init(&cfg);
	cfg.browser_codec = GW_MEDIA_CODEC_PCMU;   /* 8 kHz audio cannot feed G.722 */
	cfg.sip_codec = GW_MEDIA_CODEC_G722;
	cfg.sip_pt = 9;
	ck_assert_int_eq(gw_media_session_new(&cfg, nop, nop, NULL, NULL, &s), EINVAL);
	gw_media_config_init(&cfg);
	cfg.opus.complexity = 12;
	ck_assert_int_eq(gw_media_session_new(&cfg, nop, nop, NULL, NULL, &s), EINVAL);
	gw_media_config_init(&cfg);
	cfg.jitter_max_ms = 5;
	ck_assert_int_eq(gw_media_session_new(&cfg, nop, nop, NULL, NULL, &s), EINVAL);
	gw_media_config_init(&cfg);
	cfg.sip_te_pt = 128;
	ck_assert_int_eq(gw_media_session_new(&cfg, nop, nop, NULL, NULL, &s), EINVAL);
	ck_assert_ptr_null(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("media_session");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_media_sip_ptime30_to_browser_20ms_without_gaps);
	tcase_add_test(tc, test_media_browser_20ms_to_sip_ptime30_without_gaps);
	tcase_add_test(tc, test_media_late_ticks_keep_sip_timestamps_at_160_per_packet);
	tcase_add_test(tc, test_media_frame_due_follows_the_schedule);
	tcase_add_test(tc, test_media_jitter_below_bound_loses_no_sample);
	tcase_add_test(tc, test_media_jitter_above_bound_keeps_delay_bounded);
	tcase_add_test(tc, test_media_passthrough_payloads_byte_exact_both_ways);
	tcase_add_test(tc, test_media_passthrough_only_at_20ms_other_trunk_ptime_is_reframed);
	tcase_add_test(tc, test_media_malformed_rtp_dropped_and_counted);
	tcase_add_test(tc, test_media_cn_from_sip_keeps_browser_stream);
	tcase_add_test(tc, test_media_hold_stops_forwarding_and_resume_marks);
	tcase_add_test(tc, test_media_reinvite_switches_sip_codec_keeping_ssrc);
	tcase_add_test(tc, test_media_bad_config_refused);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
