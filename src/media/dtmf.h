/* media/dtmf.h — private: RFC 4733 telephone-event payloads, a receiver that
 * reports each incoming event exactly once, a tick-driven generator, and an
 * in-band detector over spandsp's dtmf_rx.
 *
 * All structs are embedded in (or owned by) one session and used on its
 * media loop only.
 */
#ifndef GW_MEDIA_DTMF_H
#define GW_MEDIA_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 4733 §2.3 payload: event, E bit, volume, duration (clock units). */
struct gw_dtmf_ev {
	uint8_t event;
	bool end;
	uint8_t volume;          /* -dBm0, 0..63 */
	uint16_t duration;
};

/* Parse the first 4 bytes of @p.  0, or EBADMSG when @len < 4. */
int gw_dtmf_ev_parse(const uint8_t *p, size_t len, struct gw_dtmf_ev *out);

/* Write @ev as 4 bytes at @out. */
void gw_dtmf_ev_write(uint8_t out[4], const struct gw_dtmf_ev *ev);

/* '0'-'9', '*', '#', 'A'-'D' for events 0-15, or 0 for any other event. */
char gw_dtmf_digit(uint8_t event);

/* Event code of @digit (case-insensitive).  0 or EINVAL. */
int gw_dtmf_event_code(char digit, uint8_t *event);

/* --- receiver --- */

/* A finished incoming event. */
struct gw_dtmf_done {
	char digit;
	uint32_t duration;       /* clock units */
};

struct gw_dtmf_rx {
	bool active;             /* an event is in progress */
	bool ended;              /* its end packet was seen (repeats ignored) */
	bool seen_any;
	uint32_t ts;             /* timestamp of the current/last event */
	uint8_t event;
	uint16_t duration;       /* longest duration seen for it */
	uint64_t last_us;        /* arrival of its last packet */
};

/* Result bits of gw_dtmf_rx_packet(). */
#define GW_DTMF_RX_NEW  1u      /* first packet of a new event */
#define GW_DTMF_RX_DUP  2u      /* a repeat of an end already seen */

/* Account one telephone-event packet with RTP timestamp @ts.  Events that
 * finished (its end, or an earlier event that never sent one) are written to
 * @done (room for 2), their number to *@ndone.  Returns GW_DTMF_RX_* bits. */
unsigned gw_dtmf_rx_packet(struct gw_dtmf_rx *rx, uint32_t ts, const struct gw_dtmf_ev *ev,
			   uint64_t now_us, struct gw_dtmf_done *done, int *ndone);

/* An event whose end never came is finished after @timeout_us of silence.
 * Returns true and fills @done when that happened now. */
bool gw_dtmf_rx_expire(struct gw_dtmf_rx *rx, uint64_t now_us, uint64_t timeout_us,
		       struct gw_dtmf_done *done);

/* --- generator (RFC 4733 §2.5.1) --- */

#define GW_DTMF_QUEUE 64

struct gw_dtmf_gen {
	unsigned rate;           /* clock of the telephone-event stream */
	unsigned step;           /* clock units per 20 ms tick */
	struct { uint8_t event; uint32_t units; } queue[GW_DTMF_QUEUE];
	unsigned head, count;
	enum { GW_DTMF_GEN_IDLE, GW_DTMF_GEN_TONE, GW_DTMF_GEN_END, GW_DTMF_GEN_GAP } state;
	uint8_t event;
	uint32_t ts;             /* media timestamp of the current event */
	uint32_t total;          /* its wanted duration */
	uint32_t sent;           /* duration sent so far */
	unsigned ends_left;      /* end packets still to send (3 in all) */
	unsigned gap_ticks;      /* pause before the next digit */
};

void gw_dtmf_gen_init(struct gw_dtmf_gen *g, unsigned rate);

/* Queue a digit for @duration_ms.  0, EINVAL (not a digit) or ENOBUFS. */
int gw_dtmf_gen_push(struct gw_dtmf_gen *g, char digit, unsigned duration_ms);

/* Advance one 20 ms tick.  When a packet is due, writes its 4-byte payload,
 * its event timestamp (@now_ts when the event started) and marker, and
 * returns true. */
bool gw_dtmf_gen_tick(struct gw_dtmf_gen *g, uint32_t now_ts, uint8_t payload[4],
		      uint32_t *ev_ts, bool *marker);

/* True while an event is being sent or digits are queued. */
bool gw_dtmf_gen_busy(const struct gw_dtmf_gen *g);

/* --- in-band detector --- */

struct gw_dtmf_detect;

/* Called when a detected tone ends: the digit and its duration in ms. */
typedef void (gw_dtmf_detect_h)(char digit, unsigned duration_ms, void *arg);

/* 0 or EIO. */
int gw_dtmf_detect_new(gw_dtmf_detect_h *h, void *arg, struct gw_dtmf_detect **out);
void gw_dtmf_detect_free(struct gw_dtmf_detect *d);

/* Feed 8 kHz audio; digits are reported through the handler as they end. */
void gw_dtmf_detect_feed(struct gw_dtmf_detect *d, const int16_t *pcm, size_t n);

#endif
