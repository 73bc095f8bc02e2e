/* media/accelerate.h — private: shorten audio by one pitch period without
 * changing its pitch, so the SIP-side jitter buffer can shed delay in
 * voiced speech, tones, music and quiet audio, not only in silence
 * (time-scale compression by pitch-synchronous overlap-add, like the
 * "accelerate" of WebRTC's NetEq).
 *
 * spandsp's time_scale does the same for a stream, but holds up to 33 ms of
 * audio inside it at every rate (its PICOLA window) and has no flush: in the
 * playout path that would add the very delay this is meant to remove.  Here
 * the cut is made in the caller's buffer, on demand, with no delay of its own.
 */
#ifndef GW_MEDIA_ACCELERATE_H
#define GW_MEDIA_ACCELERATE_H

#include <stddef.h>
#include <stdint.h>

/* Samples gw_accelerate() needs to look at: two of the longest periods
 * (15 ms each) at @rate Hz. */
size_t gw_accelerate_window(unsigned rate);

/* Find the period (2.5..15 ms) over which @pcm[0..@n) repeats best; when it
 * repeats well enough (voiced speech, tones, music) or the audio is too
 * quiet to matter, cross-fade its first period into the second and close
 * the gap, so @pcm[0..@n - cut) is the same sound, shorter.  Returns cut
 * (0: nothing removed: noise-like audio, or @n below the window).  @rate is
 * 8000 or 16000. */
size_t gw_accelerate(int16_t *pcm, size_t n, unsigned rate);

#endif
