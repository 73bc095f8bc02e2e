/* dtmf.c — RFC 4733 telephone-event payloads, receiver, generator, and the
 * in-band detector (spandsp dtmf_rx).  See media/dtmf.h.
 * Used on the owning session's media loop; the detector owns its spandsp state.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <glib.h>
#include <spandsp.h>
#include "gw/rtp.h"
#include "media/dtmf.h"

static const char dtmf_digits[] = "0123456789*#ABCD";

int gw_dtmf_ev_parse(const uint8_t *p, size_t len, struct gw_dtmf_ev *out)
{
	if (!p || len < 4)
		return EBADMSG;
	out->event = p[0];
	out->end = (p[1] & 0x80) != 0;
	out->volume = p[1] & 0x3f;
	out->duration = (uint16_t)((p[2] << 8) | p[3]);
	return 0;
}

void gw_dtmf_ev_write(uint8_t out[4], const struct gw_dtmf_ev *ev)
{
	out[0] = ev->event;
	out[1] = (uint8_t)((ev->end ? 0x80 : 0) | (ev->volume & 0x3f));
	out[2] = (uint8_t)(ev->duration >> 8);
	out[3] = (uint8_t)ev->duration;
}

char gw_dtmf_digit(uint8_t event)
{
	return event < 16 ? dtmf_digits[event] : 0;
}

int gw_dtmf_event_code(char digit, uint8_t *event)
{
	const char *p;
	char c = (char)toupper((unsigned char)digit);

	if (c == 0 || !(p = strchr(dtmf_digits, c)))
		return EINVAL;
	*event = (uint8_t)(p - dtmf_digits);
	return 0;
}

/* --- receiver --- */

unsigned gw_dtmf_rx_packet(struct gw_dtmf_rx *rx, uint32_t ts, const struct gw_dtmf_ev *ev,
			   uint64_t now_us, struct gw_dtmf_done *done, int *ndone)
{
	unsigned res = 0;

	*ndone = 0;
	if (!rx->seen_any || ts != rx->ts) {
		/* RFC 4733 §2.5.2.1: a new timestamp starts a new event; an older
		 * one is a stray retransmission of something already handled. */
		if (rx->seen_any && gw_rtp_ts_diff(ts, rx->ts) < 0)
			return GW_DTMF_RX_DUP;
		if (rx->active && !rx->ended)
			done[(*ndone)++] = (struct gw_dtmf_done){ gw_dtmf_digit(rx->event), rx->duration };
		rx->seen_any = true;
		rx->active = true;
		rx->ended = false;
		rx->ts = ts;
		rx->event = ev->event;
		rx->duration = ev->duration;
		res |= GW_DTMF_RX_NEW;
	} else {
		if (rx->ended || !rx->active)
			return GW_DTMF_RX_DUP;
		if (ev->duration > rx->duration)
			rx->duration = ev->duration;
	}
	rx->last_us = now_us;
	if (ev->end) {
		rx->ended = true;
		rx->active = false;
		done[(*ndone)++] = (struct gw_dtmf_done){ gw_dtmf_digit(rx->event), rx->duration };
	}
	return res;
}

bool gw_dtmf_rx_expire(struct gw_dtmf_rx *rx, uint64_t now_us, uint64_t timeout_us,
		       struct gw_dtmf_done *done)
{
	if (!rx->active || rx->ended || now_us < rx->last_us + timeout_us)
		return false;
	rx->active = false;
	rx->ended = true;
	*done = (struct gw_dtmf_done){ gw_dtmf_digit(rx->event), rx->duration };
	return true;
}

/* --- generator --- */

void gw_dtmf_gen_init(struct gw_dtmf_gen *g, unsigned rate)
{
	memset(g, 0, sizeof(*g));
	g->rate = rate;
	g->step = rate / 50;
}

int gw_dtmf_gen_push(struct gw_dtmf_gen *g, char digit, unsigned duration_ms)
{
	uint8_t event;
	uint64_t units;

	if (gw_dtmf_event_code(digit, &event))
		return EINVAL;
	if (g->count == GW_DTMF_QUEUE)
		return ENOBUFS;
	duration_ms = CLAMP(duration_ms, 40u, 5000u);
	units = (uint64_t)duration_ms * g->rate / 1000;
	/* One event segment carries at most 0xFFFF units (RFC 4733 §2.5.1.3);
	 * digits never need more. */
	if (units > 0xffff)
		units = 0xffff;
	g->queue[(g->head + g->count) % GW_DTMF_QUEUE].event = event;
	g->queue[(g->head + g->count) % GW_DTMF_QUEUE].units = (uint32_t)units;
	g->count++;
	return 0;
}

bool gw_dtmf_gen_busy(const struct gw_dtmf_gen *g)
{
	return g->state != GW_DTMF_GEN_IDLE || g->count > 0;
}

static void gen_write(const struct gw_dtmf_gen *g, bool end, uint8_t payload[4])
{
	struct gw_dtmf_ev ev = {
		.event = g->event, .end = end, .volume = 10, .duration = (uint16_t)g->sent,
	};

	gw_dtmf_ev_write(payload, &ev);
}

bool gw_dtmf_gen_tick(struct gw_dtmf_gen *g, uint32_t now_ts, uint8_t payload[4],
		      uint32_t *ev_ts, bool *marker)
{
	*marker = false;
	switch (g->state) {
	case GW_DTMF_GEN_IDLE:
		if (g->count == 0)
			return false;
		g->event = g->queue[g->head].event;
		g->total = g->queue[g->head].units;
		g->head = (g->head + 1) % GW_DTMF_QUEUE;
		g->count--;
		g->ts = now_ts;
		g->sent = MIN(g->step, g->total);
		/* RFC 4733 §2.5.1.2: the first packet of an event has the marker. */
		*marker = true;
		gen_write(g, false, payload);
		g->state = g->sent >= g->total ? GW_DTMF_GEN_END : GW_DTMF_GEN_TONE;
		g->ends_left = 3;
		break;
	case GW_DTMF_GEN_TONE:
		g->sent = MIN(g->sent + g->step, g->total);
		if (g->sent < g->total) {
			gen_write(g, false, payload);
			break;
		}
		g->state = GW_DTMF_GEN_END;
		/* fall through - the final duration goes out with the E bit */
	case GW_DTMF_GEN_END:
		/* §2.5.1.4: the end packet is sent three times, same duration. */
		gen_write(g, true, payload);
		if (--g->ends_left == 0) {
			g->state = GW_DTMF_GEN_GAP;
			g->gap_ticks = 5;       /* 100 ms between digits */
		}
		break;
	case GW_DTMF_GEN_GAP:
		if (--g->gap_ticks == 0)
			g->state = GW_DTMF_GEN_IDLE;
		return false;
	}
	*ev_ts = g->ts;
	return true;
}

/* --- in-band detector --- */

struct gw_dtmf_detect {
	dtmf_rx_state_t *rx;
	gw_dtmf_detect_h *h;
	void *arg;
	uint64_t pos;            /* samples fed before the current block */
	uint64_t block_end;      /* sample count at the end of the current block */
	uint64_t start;          /* where the current tone began */
	char digit;              /* tone in progress, 0 when none */
};

/* spandsp realtime report: @code is the digit at a confirmed start, 0 at
 * the end.  Positions are taken at block ends, so start and end share the
 * same bias and the duration is right to about one block. */
static void detect_report(void *user_data, int code, int level, int delay)
{
	struct gw_dtmf_detect *d = user_data;

	if (code) {
		d->digit = (char)code;
		d->start = d->block_end;
		return;
	}
	if (d->digit) {
		unsigned ms = (unsigned)((d->block_end - d->start) / 8);

		d->h(d->digit, ms, d->arg);
		d->digit = 0;
	}
}

int gw_dtmf_detect_new(gw_dtmf_detect_h *h, void *arg, struct gw_dtmf_detect **out)
{
	struct gw_dtmf_detect *d = g_new0(struct gw_dtmf_detect, 1);

	d->rx = dtmf_rx_init(NULL, NULL, NULL);
	if (!d->rx) {
		g_free(d);
		return EIO;
	}
	dtmf_rx_set_realtime_callback(d->rx, detect_report, d);
	d->h = h;
	d->arg = arg;
	*out = d;
	return 0;
}

void gw_dtmf_detect_free(struct gw_dtmf_detect *d)
{
	if (!d)
		return;
	dtmf_rx_free(d->rx);
	g_free(d);
}

void gw_dtmf_detect_feed(struct gw_dtmf_detect *d, const int16_t *pcm, size_t n)
{
	d->block_end = d->pos + n;
	dtmf_rx(d->rx, pcm, (int)n);
	d->pos += n;
}
