/* audio_loop.h — what rtcsip-call sends when the audio is a tone: one
 * second of 20 ms frames encoded once (Opus from 16 kHz, or PCMU) and shared
 * read-only by every call, so a thousand calls need no encoder each; with
 * the latency probe the second starts with a 100 ms gap, and the tone's
 * return after that gap (its onset) times the audio round trip.  Also the
 * onset detector, and the delay the gateway's codec chain alone adds to the
 * onset, so the probe can report the rest.
 *
 * contrib/bench/media-bench links this file too: its codec floor decodes
 * exactly the packets the load generator sends.
 *
 * Threads: a loop is built on the main thread before any media loop runs
 * and is read-only afterwards (any thread).  A struct gw_tool_onset belongs
 * to whoever embeds it (one call, on its media loop).
 */
#ifndef GW_TOOLS_AUDIO_LOOP_H
#define GW_TOOLS_AUDIO_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gw/media.h"

#define GW_TOOL_LOOP_FRAMES      50    /* one second of 20 ms frames */
#define GW_TOOL_LOOP_MAX_PAYLOAD 400   /* 20 ms of Opus at 32 kbit/s with FEC fits */
#define GW_TOOL_PROBE_GAP_MS     100   /* silence before the tone, once a second */

struct gw_tool_audio_loop {
	enum gw_media_codec codec;     /* GW_MEDIA_CODEC_OPUS or GW_MEDIA_CODEC_PCMU */
	unsigned pcm_rate;             /* the PCM it was encoded from: 16000 or 8000 */
	unsigned clock;                /* RTP clock: 48000 or 8000 */
	uint32_t ts_step;              /* RTP clock units per frame */
	int onset_frame;               /* probe: the frame whose first sample starts
					* the tone after the gap; -1 without probe */
	size_t len[GW_TOOL_LOOP_FRAMES];
	uint8_t data[GW_TOOL_LOOP_FRAMES][GW_TOOL_LOOP_MAX_PAYLOAD];
};

/* Encode one second of a -6 dBFS sine of @hz (a whole number of periods per
 * second, so the loop is seamless) with @codec: Opus from 16 kHz with @opus
 * (the encoder runs over the second twice and keeps the second pass, so its
 * state at the loop's start matches its end), or PCMU from 8 kHz.  @probe
 * puts GW_TOOL_PROBE_GAP_MS of silence first.  0 and *@out (free with
 * gw_tool_audio_loop_free), EINVAL (codec, or @hz not a whole number from
 * 50 to 3000) or EIO (the codec refused). */
int gw_tool_audio_loop_build(enum gw_media_codec codec, double hz, bool probe,
			     const struct gw_media_opus_cfg *opus, struct gw_tool_audio_loop **out);
void gw_tool_audio_loop_free(struct gw_tool_audio_loop *l);

/* Milliseconds the gateway's codec chain shifts the probe's onset with no
 * network at all: for Opus, the client's packets decoded at 8 kHz, PCMU
 * encoded and decoded (the SIP echo), Opus encoded with @gw_opus (the
 * daemon's settings) and decoded at 16 kHz as the client does; for PCMU
 * (passthrough) the payloads decoded as they are.  Found with the same
 * detector as the live probe, so its threshold bias cancels out.  0 and
 * *@ms, EINVAL (no probe in @l) or EIO (codec failure, or no onset found). */
int gw_tool_audio_loop_codec_delay(const struct gw_tool_audio_loop *l,
				   const struct gw_media_opus_cfg *gw_opus, double *ms);

/* Finds the tone's onset after the probe's gap in received PCM: the first
 * loud sample (a quarter of the tone's amplitude) after at least 30 ms of
 * quiet ones (below about -30 dBFS). */
struct gw_tool_onset {
	unsigned rate;                 /* samples per second */
	unsigned quiet;                /* quiet samples in a row so far */
	bool armed;                    /* a gap was seen: the next loud sample is the onset */
};

void gw_tool_onset_init(struct gw_tool_onset *o, unsigned rate);
/* Feed @n samples; the index in @pcm of the onset, or -1 when none. */
long gw_tool_onset_feed(struct gw_tool_onset *o, const int16_t *pcm, size_t n);

#endif
