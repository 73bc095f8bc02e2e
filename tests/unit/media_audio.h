/* media_audio.h — audio measurement helpers shared by the media tests:
 * tone and speech-like generators, dominant frequency (windowed Goertzel
 * scan), SNR of a tone (least-squares sine fit), SNR against a reference
 * with delay alignment, and the largest sample-to-sample jump.
 * Deterministic: no randomness except from an explicit seed.
 */
#ifndef GW_TEST_MEDIA_AUDIO_H
#define GW_TEST_MEDIA_AUDIO_H

#include <stddef.h>
#include <stdint.h>

/* Append @n samples of a sine at @freq Hz, peak @amp, continuing *@phase. */
void ma_tone(int16_t *out, size_t n, double freq, double rate, double amp, double *phase);

/* Voiced, speech-like test signal: harmonics of a gliding 110..220 Hz pitch
 * with a 4 Hz syllable envelope; sample @start.. of an endless signal. */
void ma_speechlike(int16_t *out, size_t n, double rate, size_t start);

/* Frequency (Hz, 0.1 Hz steps) with the most energy in [@fmin, @fmax]. */
double ma_dominant_freq(const int16_t *x, size_t n, double rate, double fmin, double fmax);

/* SNR in dB of @x taken as a sine at @freq plus noise: the best-fitting sine
 * (any phase and amplitude) is the signal, the rest is noise. */
double ma_tone_snr_db(const int16_t *x, size_t n, double freq, double rate);

/* SNR in dB of @out against @ref after finding the delay (0..@max_lag
 * samples, @out late) and gain that fit best; *@lag_out gets the delay. */
double ma_snr_aligned_db(const int16_t *ref, size_t nref, const int16_t *out, size_t nout,
			 int max_lag, int *lag_out);

/* Largest |x[i] - x[i-1]|. */
int ma_max_jump(const int16_t *x, size_t n);

/* RMS of @x. */
double ma_rms(const int16_t *x, size_t n);

/* Growing sample buffer. */
struct ma_buf {
	int16_t *s;
	size_t n, cap;
};
void ma_buf_add(struct ma_buf *b, const int16_t *x, size_t n);
void ma_buf_free(struct ma_buf *b);

#endif
