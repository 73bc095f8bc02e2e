/* audio.h — small audio helpers for rtcsip-call: tone and WAV sources, a
 * WAV recorder and the dominant-frequency measurement.  No library. */
#ifndef GW_TOOLS_AUDIO_H
#define GW_TOOLS_AUDIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The client's audio rate: 16 kHz wideband (Opus decodes/encodes at it). */
#define AUDIO_RATE 16000

/* A mono 16-bit source at AUDIO_RATE: a tone, or a WAV file (looped). */
struct audio_src {
	double freq, phase;      /* tone */
	int16_t *pcm;            /* WAV, resampled to AUDIO_RATE */
	size_t len, pos;
};

void audio_src_tone(struct audio_src *s, double hz);
/* Load a PCM16 WAV (mono or stereo, any rate); 0 or errno, *err (g_free). */
int audio_src_wav(struct audio_src *s, const char *path, char **err);
void audio_src_read(struct audio_src *s, int16_t *out, size_t n);
void audio_src_clear(struct audio_src *s);

/* Write an AUDIO_RATE mono PCM16 WAV; header fixed up at close. */
FILE *audio_wav_create(const char *path);
void audio_wav_write(FILE *f, const int16_t *pcm, size_t n);
void audio_wav_close(FILE *f);

/* Dominant frequency (Hz) of @pcm at @rate between 50 Hz and @max_hz, by a
 * Goertzel scan (10 Hz steps, then 0.5 Hz around the peak); 0 for silence.
 * *rms gets the RMS level (full scale 32768). */
double audio_dominant_hz(const int16_t *pcm, size_t n, unsigned rate, double max_hz, double *rms);

#endif
