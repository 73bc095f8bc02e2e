/* test_jitter.c — the adaptive jitter buffer (media/jitter.h) under scripted
 * arrival patterns driven by a fake clock: nothing is lost while the jitter
 * stays under the bound, the delay stays bounded when it does not, packets
 * come out in order across timestamp wraparound, and silence cuts delay.
 */
#include "gw_check.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "media/jitter.h"

#define RATE 8000
#define FRAME 160

struct arrival {
	uint64_t at_us;
	uint16_t seq;
};

static int by_time(const void *a, const void *b)
{
	const struct arrival *x = a, *y = b;

	if (x->at_us != y->at_us)
		return x->at_us < y->at_us ? -1 : 1;
	return (int)x->seq - (int)y->seq;
}

struct run {
	unsigned played_chunks, gap_units, stalls, taken;
	unsigned max_latency_ms;
	uint64_t late, dropped;
	unsigned final_delay_ms;
	unsigned first_play_ms;  /* when the first frame played */
	bool order_ok;
	unsigned char *seen;     /* per packet: times taken */
};

/* Drive @npkts packets of @ptime_ms, sent every ptime from t=0 with
 * timestamps from @ts0, arriving 5 ms + a pseudo-random 0..@jitter_ms later
 * (spikes of @spike_ms on every 50th packet when non-zero).  Ticks every
 * 20 ms; each PLAY takes the packets covering its frame. */
static void drive(struct gw_jitter *jb, unsigned npkts, unsigned ptime_ms, uint32_t ts0,
		  unsigned jitter_ms, unsigned spike_ms, bool skip_when_over, struct run *r)
{
	struct arrival *arr = calloc(npkts, sizeof(*arr));
	unsigned dur = ptime_ms * 8, next = 0;
	uint32_t rng = 12345;
	int64_t last_taken_ext = -1, covered = 0;

	memset(r, 0, sizeof(*r));
	r->order_ok = true;
	r->seen = calloc(npkts, 1);
	for (unsigned i = 0; i < npkts; i++) {
		rng = rng * 1103515245u + 12345u;
		unsigned j = jitter_ms ? (rng >> 8) % (jitter_ms + 1) : 0;

		if (spike_ms && i % 50 == 25)
			j = spike_ms;
		arr[i].at_us = (uint64_t)i * ptime_ms * 1000 + 5000 + (uint64_t)j * 1000;
		arr[i].seq = (uint16_t)i;
	}
	qsort(arr, npkts, sizeof(*arr), by_time);

	for (uint64_t now = 0; now < (uint64_t)npkts * ptime_ms * 1000 + 2000000; now += 20000) {
		int64_t p;
		unsigned excess;
		enum gw_jitter_action a;

		for (; next < npkts && arr[next].at_us <= now; next++) {
			uint8_t payload[480];
			uint16_t seq = arr[next].seq;

			memset(payload, 0, sizeof(payload));
			memcpy(payload, &seq, sizeof(seq));
			gw_jitter_put(jb, ts0 + (uint32_t)seq * dur, seq, 0, false, payload, dur, dur,
				      arr[next].at_us);
		}
		a = gw_jitter_tick(jb, now, &p, &excess);
		if (a == GW_JITTER_STALL)
			r->stalls++;
		if (a != GW_JITTER_PLAY)
			continue;
		if (!r->played_chunks)
			r->first_play_ms = (unsigned)(now / 1000);
		if (skip_when_over && excess >= 2 * FRAME)
			p = gw_jitter_skip(jb);
		r->played_chunks++;
		{
			/* what earlier (longer) packets already covered is not taken again */
			int64_t pos = p > covered ? p : covered;
			const struct gw_jitter_pkt *pk;

			while (pos < p + FRAME) {
				pk = gw_jitter_take(jb, pos, p + FRAME);
				if (!pk) {
					/* (the stream's end is not a gap) */
					if (p < (int64_t)ts0 + (int64_t)npkts * dur)
						r->gap_units += (unsigned)(p + FRAME - pos);
					break;
				}
				if (pk->ext > pos)
					r->gap_units += (unsigned)(pk->ext - pos);
				uint16_t seq;
				memcpy(&seq, pk->data, sizeof(seq));
				if (seq < npkts)
					r->seen[seq]++;
				r->taken++;
				if (pk->ext <= last_taken_ext)
					r->order_ok = false;
				last_taken_ext = pk->ext;
				pos = pk->ext + pk->dur;
			}
			covered = pos;
		}
		{
			/* extended timestamps start at ts0, so this holds across wrap */
			int64_t sent_ms = (p - (int64_t)ts0) / 8;
			unsigned lat = (unsigned)((int64_t)(now / 1000) - sent_ms);

			if (next >= npkts / 10 && lat > r->max_latency_ms)
				r->max_latency_ms = lat;
		}
	}
	{
		struct gw_jitter_stats st;

		gw_jitter_get_stats(jb, &st);
		r->late = st.late;
		r->dropped = st.dropped;
		r->final_delay_ms = st.delay_ms;
	}
	free(arr);
}

START_TEST(test_jitter_no_loss_below_bound)
{
	struct gw_jitter *jb;
	struct run r;
	unsigned missing = 0;

	ck_assert_int_eq(gw_jitter_new(RATE, 20, 120, 120, &jb), 0);
	drive(jb, 1000, 20, 1000, 100, 0, false, &r);
	for (unsigned i = 0; i < 1000; i++) {
		ck_assert_uint_le(r.seen[i], 1);
		missing += r.seen[i] == 0;
		if (!r.seen[i])
			printf("missing seq %u\n", i);
	}
	printf("jitter 0..100 ms, bound 120: late %llu dropped %llu missing %u gaps %u units, "
	       "max latency %u ms\n", (unsigned long long)r.late, (unsigned long long)r.dropped,
	       missing, r.gap_units, r.max_latency_ms);
	ck_assert_uint_eq(missing, 0);
	ck_assert_uint_eq(r.gap_units, 0);
	ck_assert_uint_eq(r.late, 0);
	ck_assert_uint_eq(r.dropped, 0);
	ck_assert(r.order_ok);
	free(r.seen);
	gw_jitter_free(jb);
}
END_TEST

START_TEST(test_jitter_no_loss_with_ptime_30_and_60)
{
	unsigned ptimes[] = { 30, 60, 10 };

	for (unsigned k = 0; k < 3; k++) {
		struct gw_jitter *jb;
		struct run r;
		unsigned n = 20000 / ptimes[k];

		ck_assert_int_eq(gw_jitter_new(RATE, 20, 100, 100, &jb), 0);
		drive(jb, n, ptimes[k], 77, 60, 0, false, &r);
		for (unsigned i = 0; i < n; i++)
			ck_assert_uint_eq(r.seen[i], 1);
		ck_assert_uint_eq(r.gap_units, 0);
		ck_assert_uint_eq(r.late, 0);
		free(r.seen);
		gw_jitter_free(jb);
	}
}
END_TEST

START_TEST(test_jitter_delay_bounded_above_bound)
{
	struct gw_jitter *jb;
	struct run r;

	/* Bound 60 ms; every 50th packet is 400 ms late, the rest jitter 0..40. */
	ck_assert_int_eq(gw_jitter_new(RATE, 20, 60, 60, &jb), 0);
	drive(jb, 1000, 20, 5000, 40, 400, false, &r);
	printf("bound 60 ms with 400 ms spikes: late %llu dropped %llu, max latency %u ms\n",
	       (unsigned long long)r.late, (unsigned long long)r.dropped, r.max_latency_ms);
	/* frame 20 + (5 ms network + 20 ms packetisation) + bound 60 + margin 10
	 * + 2 frames of hysteresis = 155 ms at most */
	ck_assert_uint_le(r.max_latency_ms, 155);
	ck_assert_uint_ge(r.late, 15);           /* the spikes were given up */
	ck_assert_uint_le(r.late, 25);
	ck_assert(r.order_ok);
	free(r.seen);
	gw_jitter_free(jb);
}
END_TEST

START_TEST(test_jitter_wraps_timestamps_in_order)
{
	struct gw_jitter *jb;
	struct run r;

	ck_assert_int_eq(gw_jitter_new(RATE, 20, 100, 100, &jb), 0);
	drive(jb, 300, 20, 0xffffffffu - 160 * 100, 50, 0, false, &r);
	for (unsigned i = 0; i < 300; i++)
		ck_assert_uint_eq(r.seen[i], 1);
	ck_assert(r.order_ok);
	free(r.seen);
	gw_jitter_free(jb);
}
END_TEST

START_TEST(test_jitter_skipping_silence_cuts_delay)
{
	struct gw_jitter *jb;
	struct run r;

	/* No jitter at all: the buffer starts at its 200 ms bound and comes
	 * down once it has seen enough packets and may skip frames. */
	ck_assert_int_eq(gw_jitter_new(RATE, 20, 200, 200, &jb), 0);
	drive(jb, 500, 20, 0, 0, 0, true, &r);
	printf("no jitter, bound 200, skipping allowed: final delay %u ms\n", r.final_delay_ms);
	ck_assert_uint_le(r.final_delay_ms, 60);
	free(r.seen);
	gw_jitter_free(jb);
}
END_TEST

START_TEST(test_jitter_starts_low_and_grows_to_the_jitter)
{
	struct gw_jitter *jb;
	struct run r;
	unsigned missing = 0, missing_after_1s = 0;

	/* Steady packets: the first frame plays after the 80 ms start
	 * allowance (5 ms network + 20 ms packet + 80 + 10 margin, at the
	 * next 20 ms tick), not after the 200 ms bound. */
	ck_assert_int_eq(gw_jitter_new(RATE, 20, 80, 200, &jb), 0);
	drive(jb, 200, 20, 0, 0, 0, false, &r);
	printf("start 80 / bound 200, no jitter: first frame at %u ms\n", r.first_play_ms);
	ck_assert_uint_le(r.first_play_ms, 140);
	ck_assert_uint_ge(r.first_play_ms, 100);
	free(r.seen);
	gw_jitter_free(jb);

	/* Jitter 0..150 ms from the first packet on: the buffer grows at once
	 * to cover it (a packet later than the allowance plus a frame could
	 * be lost in the first second: the price of starting low), and
	 * nothing is lost after that. */
	ck_assert_int_eq(gw_jitter_new(RATE, 20, 80, 200, &jb), 0);
	drive(jb, 1000, 20, 1000, 150, 0, false, &r);
	for (unsigned i = 0; i < 1000; i++) {
		missing += r.seen[i] == 0;
		missing_after_1s += i >= 50 && r.seen[i] == 0;
	}
	printf("start 80 / bound 200, jitter 0..150: late %llu, missing %u (%u after 1 s), "
	       "stalls %u, gaps %u units, max latency %u ms\n", (unsigned long long)r.late, missing,
	       missing_after_1s, r.stalls, r.gap_units, r.max_latency_ms);
	ck_assert_uint_le(missing, 5);
	ck_assert_uint_eq(missing_after_1s, 0);
	ck_assert_uint_ge(r.max_latency_ms, 150);  /* grew past the start */
	ck_assert(r.order_ok);
	free(r.seen);
	gw_jitter_free(jb);
}
END_TEST

START_TEST(test_jitter_late_packet_refused_and_counted)
{
	struct gw_jitter *jb;
	struct gw_jitter_stats st;
	uint8_t pl[160] = { 0 };
	int64_t p;
	unsigned ex;

	ck_assert_int_eq(gw_jitter_new(RATE, 20, 40, 40, &jb), 0);
	ck_assert_int_eq(gw_jitter_put(jb, 0, 0, 0, false, pl, 160, 160, 0), 0);
	ck_assert_int_eq(gw_jitter_put(jb, 0, 0, 0, false, pl, 160, 160, 0), EALREADY);
	ck_assert_int_eq(gw_jitter_tick(jb, 0, &p, &ex), GW_JITTER_WAIT);
	ck_assert_int_eq(gw_jitter_tick(jb, 100000, &p, &ex), GW_JITTER_PLAY);
	ck_assert_int_eq(p, 0);
	ck_assert_ptr_nonnull(gw_jitter_take(jb, 0, 160));
	ck_assert_int_eq(gw_jitter_tick(jb, 120000, &p, &ex), GW_JITTER_PLAY);
	ck_assert_ptr_null(gw_jitter_take(jb, 160, 320));
	/* seq 1 covering [160, 320) is too late now */
	ck_assert_int_eq(gw_jitter_put(jb, 160, 1, 0, false, pl, 160, 160, 125000), ETIME);
	ck_assert_int_eq(gw_jitter_put(jb, 320, 2, 0, false, pl, 2000, 160, 125000), EMSGSIZE);
	gw_jitter_get_stats(jb, &st);
	ck_assert_uint_eq(st.late, 1);
	gw_jitter_free(jb);
	ck_assert_int_eq(gw_jitter_new(RATE, 20, 5, 5, &jb), EINVAL);
}
END_TEST

/* A longer packet widens every slot: what was stored before keeps its
 * bytes, and the long packet comes out whole. */
START_TEST(test_jitter_keeps_payloads_when_a_longer_packet_widens_the_slots)
{
	static const unsigned sizes[] = { 160, 160, 480, 160, 960 };
	struct gw_jitter *jb;
	uint8_t pl[960];
	uint32_t ts = 0;
	int64_t p;
	unsigned ex, i;
	const struct gw_jitter_pkt *pk;

	ck_assert_int_eq(gw_jitter_new(RATE, 20, 200, 200, &jb), 0);
	for (i = 0; i < G_N_ELEMENTS(sizes); i++) {
		memset(pl, 0x10 + (int)i, sizeof(pl));
		ck_assert_int_eq(gw_jitter_put(jb, ts, (uint16_t)i, 0, false, pl, sizes[i], sizes[i],
					       1000 * i), 0);
		ts += sizes[i];
	}
	ck_assert_int_eq(gw_jitter_tick(jb, 1000000, &p, &ex), GW_JITTER_PLAY);
	ts = 0;
	for (i = 0; i < G_N_ELEMENTS(sizes); i++) {
		pk = gw_jitter_take(jb, ts, ts + sizes[i]);
		ck_assert_ptr_nonnull(pk);
		ck_assert_uint_eq(pk->seq, i);
		ck_assert_uint_eq(pk->len, sizes[i]);
		for (unsigned k = 0; k < sizes[i]; k++)
			ck_assert_uint_eq(pk->data[k], 0x10 + i);
		ts += sizes[i];
	}
	gw_jitter_free(jb);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jitter");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_jitter_no_loss_below_bound);
	tcase_add_test(tc, test_jitter_no_loss_with_ptime_30_and_60);
	tcase_add_test(tc, test_jitter_delay_bounded_above_bound);
	tcase_add_test(tc, test_jitter_wraps_timestamps_in_order);
	tcase_add_test(tc, test_jitter_skipping_silence_cuts_delay);
	tcase_add_test(tc, test_jitter_starts_low_and_grows_to_the_jitter);
	tcase_add_test(tc, test_jitter_late_packet_refused_and_counted);
	tcase_add_test(tc, test_jitter_keeps_payloads_when_a_longer_packet_widens_the_slots);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
