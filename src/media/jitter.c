/* jitter.c — adaptive bounded jitter buffer (see media/jitter.h).
 *
 * Timing model, all in RTP clock units: a packet starting at timestamp s that
 * arrives at time a has rel = a - s.  The frame [p, p+F) can be played at
 * time t once every packet starting before p+F is in, i.e. when
 * D = t - p >= F + max(rel).  So the target is
 *     D = F + min(rel) + jitter + margin
 * with jitter = max(rel) - min(rel) over the last GW_JITTER_HIST packets
 * (at least start_ms until WARM_PACKETS have been seen), capped at max_ms.
 * The packetisation time is part of rel, so any SIP ptime works.  Stalls
 * add F to D, skips remove F, steady playing keeps D.
 *
 * Owned by one session, used on its media loop only.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include "gw/rtp.h"
#include "media/jitter.h"

#define WARM_PACKETS 50          /* history needed before trusting it */

struct gw_jitter {
	unsigned rate, frame;
	int64_t start_units, max_units, margin;
	struct gw_jitter_pkt *pool;
	uint8_t *bytes;          /* cap * stride payload bytes; pool[i].data points in */
	unsigned stride;
	uint16_t *order;         /* pool indexes sorted by ext, count used */
	uint16_t *free_idx;      /* free pool indexes, nfree used */
	unsigned cap, count, nfree;

	bool have_ts;            /* timestamp extension started */
	int64_t last_ext;
	uint32_t last_ts;

	bool have_play, playing;
	int64_t play;            /* start of the next frame to play */
	int64_t taken;           /* end of what has been handed out */

	int64_t hist[GW_JITTER_HIST];
	unsigned hist_n, hist_pos;
	int64_t jit, delay;

	uint64_t late, dropped;
	unsigned epoch;          /* bumped by every reset */
};

static int64_t units_of_us(const struct gw_jitter *jb, uint64_t us)
{
	return (int64_t)(us / 1000000u * jb->rate + us % 1000000u * jb->rate / 1000000u);
}

int gw_jitter_new(unsigned clock_rate, unsigned frame_ms, unsigned start_ms, unsigned max_ms,
		  struct gw_jitter **out)
{
	struct gw_jitter *jb;

	if (clock_rate < 8000 || clock_rate > 48000 || frame_ms < 10 || frame_ms > 60 ||
	    max_ms < frame_ms || max_ms > 2000)
		return EINVAL;
	jb = g_new0(struct gw_jitter, 1);
	jb->rate = clock_rate;
	jb->frame = clock_rate * frame_ms / 1000;
	jb->max_units = (int64_t)clock_rate * max_ms / 1000;
	jb->start_units = (int64_t)clock_rate * MIN(start_ms, max_ms) / 1000;
	jb->margin = jb->frame / 2;
	/* Enough 10 ms packets for the bound plus the largest packet and the
	 * hysteresis; anything beyond is dropped, which bounds the delay. */
	jb->cap = (max_ms + 200) / 10 + 4;
	jb->pool = g_new0(struct gw_jitter_pkt, jb->cap);
	jb->stride = GW_JITTER_SLOT_BYTES;
	jb->bytes = g_malloc((gsize)jb->cap * jb->stride);
	for (unsigned i = 0; i < jb->cap; i++)
		jb->pool[i].data = jb->bytes + (size_t)i * jb->stride;
	jb->order = g_new0(uint16_t, jb->cap);
	jb->free_idx = g_new0(uint16_t, jb->cap);
	gw_jitter_reset(jb);
	*out = jb;
	return 0;
}

void gw_jitter_free(struct gw_jitter *jb)
{
	if (!jb)
		return;
	g_free(jb->pool);
	g_free(jb->bytes);
	g_free(jb->order);
	g_free(jb->free_idx);
	g_free(jb);
}

void gw_jitter_reset(struct gw_jitter *jb)
{
	jb->epoch++;
	jb->count = 0;
	jb->nfree = jb->cap;
	for (unsigned i = 0; i < jb->cap; i++)
		jb->free_idx[i] = (uint16_t)(jb->cap - 1 - i);
	jb->have_ts = false;
	jb->have_play = false;
	jb->playing = false;
	jb->hist_n = 0;
	jb->hist_pos = 0;
	jb->jit = jb->start_units;
	jb->delay = 0;
}

/* Make every slot hold @len bytes: a new arena, each slot's bytes copied. */
static void widen(struct gw_jitter *jb, size_t len)
{
	unsigned stride = (unsigned)MIN(GW_JITTER_MAX_PAYLOAD, MAX(len, 2u * jb->stride));
	uint8_t *bytes = g_malloc((gsize)jb->cap * stride);

	for (unsigned i = 0; i < jb->cap; i++) {
		memcpy(bytes + (size_t)i * stride, jb->pool[i].data, jb->pool[i].len);
		jb->pool[i].data = bytes + (size_t)i * stride;
	}
	g_free(jb->bytes);
	jb->bytes = bytes;
	jb->stride = stride;
}

static struct gw_jitter_pkt *slot(const struct gw_jitter *jb, unsigned i)
{
	return &jb->pool[jb->order[i]];
}

static void remove_front(struct gw_jitter *jb)
{
	jb->free_idx[jb->nfree++] = jb->order[0];
	jb->count--;
	memmove(jb->order, jb->order + 1, jb->count * sizeof(jb->order[0]));
}

static int64_t pkt_end(const struct gw_jitter *jb, const struct gw_jitter_pkt *p)
{
	return p->ext + (p->dur ? p->dur : 1);
}

static int64_t extend_ts(struct gw_jitter *jb, uint32_t ts)
{
	int32_t d;

	if (!jb->have_ts) {
		jb->have_ts = true;
		jb->last_ts = ts;
		jb->last_ext = ts;
		return ts;
	}
	d = gw_rtp_ts_diff(ts, jb->last_ts);
	if (d > 0) {
		jb->last_ts = ts;
		jb->last_ext += d;
		return jb->last_ext;
	}
	return jb->last_ext + d;
}

int gw_jitter_put(struct gw_jitter *jb, uint32_t ts, uint16_t seq, uint8_t pt,
		  bool marker, const uint8_t *payload, size_t len, uint32_t dur,
		  uint64_t now_us)
{
	struct gw_jitter_pkt *p;
	int64_t ext, edge;
	unsigned i;
	uint16_t idx;

	if (len > GW_JITTER_MAX_PAYLOAD)
		return EMSGSIZE;
	ext = extend_ts(jb, ts);
	if (jb->have_play) {
		edge = MAX(jb->play, jb->taken);
		/* A jump of seconds either way is a new timeline (sender restart,
		 * broken DTX), not jitter: start over rather than call it late. */
		if (ext > jb->play + 4 * (int64_t)jb->rate || ext + dur < edge - (int64_t)jb->rate) {
			gw_jitter_reset(jb);
			ext = extend_ts(jb, ts);
		}
	}

	jb->hist[jb->hist_pos] = units_of_us(jb, now_us) - ext;
	jb->hist_pos = (jb->hist_pos + 1) % GW_JITTER_HIST;
	if (jb->hist_n < GW_JITTER_HIST)
		jb->hist_n++;

	if (jb->playing) {
		edge = MAX(jb->play, jb->taken);
		if (ext + (dur ? dur : 1) <= edge) {
			jb->late++;
			return ETIME;
		}
	}
	for (i = 0; i < jb->count; i++)
		if (slot(jb, i)->ext == ext)
			return EALREADY;

	if (jb->count == jb->cap) {
		remove_front(jb);
		jb->dropped++;
	}
	if (!jb->have_play || (!jb->playing && ext < jb->play)) {
		jb->have_play = true;
		jb->play = ext;
		jb->taken = ext;
	}

	if (len > jb->stride)
		widen(jb, len);
	idx = jb->free_idx[--jb->nfree];
	p = &jb->pool[idx];
	p->ext = ext;
	p->ts = ts;
	p->dur = dur;
	p->seq = seq;
	p->pt = pt;
	p->marker = marker;
	p->len = (uint16_t)len;
	if (len)
		memcpy(p->data, payload, len);
	/* Mostly in order: find the place from the back. */
	for (i = jb->count; i > 0 && slot(jb, i - 1)->ext > ext; i--)
		;
	memmove(jb->order + i + 1, jb->order + i, (jb->count - i) * sizeof(jb->order[0]));
	jb->order[i] = idx;
	jb->count++;
	return 0;
}

enum gw_jitter_action gw_jitter_tick(struct gw_jitter *jb, uint64_t now_us,
				     int64_t *start, unsigned *excess)
{
	int64_t min_rel, max_rel, target, hard, d;

	if (!jb->have_play)
		return GW_JITTER_WAIT;
	min_rel = max_rel = jb->hist[0];
	for (unsigned i = 1; i < jb->hist_n; i++) {
		min_rel = MIN(min_rel, jb->hist[i]);
		max_rel = MAX(max_rel, jb->hist[i]);
	}
	/* Until the history means something, allow at least the start value. */
	jb->jit = max_rel - min_rel;
	if (jb->hist_n < WARM_PACKETS)
		jb->jit = MAX(jb->jit, jb->start_units);
	jb->jit = MIN(jb->jit, jb->max_units);
	target = jb->frame + min_rel + jb->jit + jb->margin;
	hard = jb->frame + min_rel + jb->max_units + jb->margin + 2 * jb->frame;
	d = units_of_us(jb, now_us) - jb->play;
	jb->delay = MAX(d - jb->frame - min_rel, 0);

	if (!jb->playing) {
		if (d < target)
			return GW_JITTER_WAIT;
		jb->playing = true;
	} else if (d < target) {
		return GW_JITTER_STALL;
	}
	if (d > hard) {
		/* Over the bound (clock drift, a burst after an outage): jump
		 * forward; what is skipped is counted dropped by take. */
		int64_t k = (d - target) / jb->frame;

		jb->play += k * jb->frame;
		d -= k * jb->frame;
		jb->delay = d - jb->frame - min_rel;
	}
	*start = jb->play;
	jb->play += jb->frame;
	*excess = (unsigned)(d - target);
	return GW_JITTER_PLAY;
}

int64_t gw_jitter_skip(struct gw_jitter *jb)
{
	int64_t start = jb->play;

	jb->play += jb->frame;
	return start;
}

const struct gw_jitter_pkt *gw_jitter_take(struct gw_jitter *jb, int64_t from, int64_t until)
{
	struct gw_jitter_pkt *p;

	while (jb->count && pkt_end(jb, slot(jb, 0)) <= from) {
		if (slot(jb, 0)->dur)    /* comfort noise just expires */
			jb->dropped++;
		remove_front(jb);
	}
	if (!jb->count || slot(jb, 0)->ext >= until)
		return NULL;
	p = slot(jb, 0);
	remove_front(jb);   /* the slot stays intact until the next put */
	jb->taken = MAX(jb->taken, pkt_end(jb, p));
	return p;
}

void gw_jitter_get_stats(const struct gw_jitter *jb, struct gw_jitter_stats *out)
{
	out->late = jb->late;
	out->dropped = jb->dropped;
	out->delay_ms = (unsigned)(jb->delay * 1000 / jb->rate);
	out->target_ms = (unsigned)(jb->jit * 1000 / jb->rate);
	out->count = jb->count;
}

unsigned gw_jitter_epoch(const struct gw_jitter *jb)
{
	return jb->epoch;
}
