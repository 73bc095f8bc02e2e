/* media/jitter.h — private: adaptive, bounded jitter buffer for the SIP ->
 * browser direction.
 *
 * It stores RTP payloads ordered by (extended) timestamp and decides, once per
 * 20 ms frame, whether to wait, stall (insert a frame) or play the next
 * frame.  The playout delay follows the arrival jitter seen over the last 100
 * packets and never exceeds max_ms: it starts with start_ms of allowance (or
 * more when the first packets already show more jitter; a packet later than
 * that is lost, as in any adaptive buffer) and grows at once when packets
 * come later; the caller
 * shrinks it by taking more than one frame in a tick (to_browser.c drops
 * silent frames and shortens others by whole pitch periods).  Decoding and re-framing are
 * the caller's (to_browser.c): it takes packets covering each frame.
 *
 * Owned by one session, used on its media loop only.  Payloads live in one
 * arena of cap slots of `stride` bytes, sized for 20 ms of G.711 at first
 * (7 KiB, not the 43 KiB of 120 ms slots); a larger packet widens every
 * slot once (one allocation and copy), so a 30/40/60 ms trunk pays it on
 * its first packet and nothing after.
 */
#ifndef GW_MEDIA_JITTER_H
#define GW_MEDIA_JITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_JITTER_MAX_PAYLOAD 960    /* 120 ms of G.711 or G.722 */
#define GW_JITTER_SLOT_BYTES  160    /* first slot size: 20 ms of G.711 or G.722 */
#define GW_JITTER_HIST        100

struct gw_jitter_pkt {
	int64_t ext;             /* extended timestamp (clock units) */
	uint32_t ts;             /* as on the wire */
	uint32_t dur;            /* clock units; 0 when unknown (comfort noise) */
	uint16_t seq;
	uint8_t pt;
	bool marker;
	uint16_t len;
	uint8_t *data;           /* the slot's bytes in the buffer's arena */
};

enum gw_jitter_action {
	GW_JITTER_WAIT,          /* nothing to play yet (filling) */
	GW_JITTER_STALL,         /* play one inserted frame, position unchanged */
	GW_JITTER_PLAY,          /* play the frame starting at the returned position */
};

struct gw_jitter;

/* New buffer for a @clock_rate stream played in @frame_ms frames, bounded
 * by @max_ms of jitter allowance, starting (before the jitter is known)
 * with @start_ms of it (at most @max_ms).  0 or EINVAL. */
int gw_jitter_new(unsigned clock_rate, unsigned frame_ms, unsigned start_ms, unsigned max_ms,
		  struct gw_jitter **out);
void gw_jitter_free(struct gw_jitter *jb);

/* Forget all packets and history (new stream, codec change, resume). */
void gw_jitter_reset(struct gw_jitter *jb);

/* Store one packet arriving at @now_us.  0, or: ETIME (late: its whole span
 * was already played; counted), EALREADY (duplicate), EMSGSIZE (payload
 * larger than GW_JITTER_MAX_PAYLOAD).  When full, the oldest packet is
 * dropped (counted) to keep the delay bounded. */
int gw_jitter_put(struct gw_jitter *jb, uint32_t ts, uint16_t seq, uint8_t pt,
		  bool marker, const uint8_t *payload, size_t len, uint32_t dur,
		  uint64_t now_us);

/* Decide the frame due at @now_us.  For PLAY, *@start is the frame's first
 * timestamp (extended) and the position moves one frame on; *@excess is how
 * far (clock units) the delay is above target: the caller may then take
 * further frames with gw_jitter_skip() and drop them (silence) or shorten
 * them (media/accelerate.h). */
enum gw_jitter_action gw_jitter_tick(struct gw_jitter *jb, uint64_t now_us,
				     int64_t *start, unsigned *excess);

/* Move on to the frame after the one just returned by PLAY (or by the last
 * skip) and return its start, within the same tick: the caller drops the
 * previous frame (silence) or plays both shortened.  Cuts latency. */
int64_t gw_jitter_skip(struct gw_jitter *jb);

/* The next packet covering position @from (extended ts) and starting before
 * @until, removed from the buffer; NULL when there is none.  Packets wholly
 * before @from are discarded (counted dropped).  The result stays valid until
 * the next put/take/reset. */
const struct gw_jitter_pkt *gw_jitter_take(struct gw_jitter *jb, int64_t from, int64_t until);

struct gw_jitter_stats {
	uint64_t late;           /* arrived after their span was played */
	uint64_t dropped;        /* discarded unplayed (overflow, latency bound) */
	unsigned delay_ms;       /* current buffering delay */
	unsigned target_ms;      /* current jitter allowance */
	unsigned count;          /* packets held */
};

void gw_jitter_get_stats(const struct gw_jitter *jb, struct gw_jitter_stats *out);

/* Changes whenever the buffer restarts (reset, or a timestamp jump seen by
 * put), so a caller holding decoded audio knows to drop it. */
unsigned gw_jitter_epoch(const struct gw_jitter *jb);

#endif
