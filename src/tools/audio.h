/* audio.h — small audio helpers for rtcsip-call: tone and WAV sources, a
 * WAV recorder, a ring of the last samples received and the
 * dominant-frequency measurement.  No library, no threads: each object
 * belongs to whoever embeds it (one call, on its media loop). */
#ifndef GW_TOOLS_AUDIO_H
#define GW_TOOLS_AUDIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The client's audio rate: 16 kHz wideband (Opus decodes/encodes at it). */
#define GW_TOOL_AUDIO_RATE 16000

/* A mono 16-bit source at GW_TOOL_AUDIO_RATE: a tone, or a WAV file (looped). */
struct gw_tool_audio_src {
	double freq, phase;      /* tone */
	int16_t *pcm;            /* WAV, resampled to GW_TOOL_AUDIO_RATE */
	size_t len, pos;
};

/* A -6 dBFS sine of @hz. */
void gw_tool_audio_src_tone(struct gw_tool_audio_src *s, double hz);
/* Load a PCM16 WAV (mono or stereo, any rate); 0 or errno, *err (g_free). */
int gw_tool_audio_src_wav(struct gw_tool_audio_src *s, const char *path, char **err);
/* @dst plays what @src plays, from the start, with its own copy of the samples. */
void gw_tool_audio_src_copy(struct gw_tool_audio_src *dst, const struct gw_tool_audio_src *src);
/* The next @n samples. */
void gw_tool_audio_src_read(struct gw_tool_audio_src *s, int16_t *out, size_t n);
void gw_tool_audio_src_clear(struct gw_tool_audio_src *s);

/* Write a GW_TOOL_AUDIO_RATE mono PCM16 WAV; header fixed up at close.
 * create returns NULL when the file cannot be opened. */
FILE *gw_tool_wav_create(const char *path);
void gw_tool_wav_write(FILE *f, const int16_t *pcm, size_t n);
void gw_tool_wav_close(FILE *f);

/* Dominant frequency (Hz) of @pcm at @rate between 50 Hz and @max_hz, by a
 * Goertzel scan (10 Hz steps, then 0.5 Hz around the peak); 0 for silence.
 * *rms gets the RMS level (full scale 32768). */
double gw_tool_audio_dominant_hz(const int16_t *pcm, size_t n, unsigned rate, double max_hz, double *rms);

/* The last @cap samples pushed into it (older ones are overwritten). */
struct gw_tool_audio_ring {
	int16_t *pcm;
	size_t cap, pos, fill;
};

void gw_tool_audio_ring_init(struct gw_tool_audio_ring *r, size_t cap);
void gw_tool_audio_ring_push(struct gw_tool_audio_ring *r, const int16_t *pcm, size_t n);
/* gw_tool_audio_dominant_hz() over what the ring holds, oldest first; 0
 * and *rms 0 when it is empty. */
double gw_tool_audio_ring_hz(const struct gw_tool_audio_ring *r, double max_hz, double *rms);
void gw_tool_audio_ring_clear(struct gw_tool_audio_ring *r);

#endif
