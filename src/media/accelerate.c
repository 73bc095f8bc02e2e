/* accelerate.c — cut one pitch period out of a stretch of audio (see
 * media/accelerate.h).
 *
 * For every lag L from 2.5 to 15 ms the normalised correlation between
 * x[0..w) and x[L..L+w) says how well the audio repeats after L (w is L, at
 * least 5 ms); 16 kHz audio is searched at 8 kHz and the lag refined.  The
 * longest lag within a hair of the best one is taken when the best is high
 * enough (or the audio too quiet to matter): x[0..L) is then faded into
 * x[L..2L) (the result starts exactly where the caller's last output ended
 * and ends where x[2L..] begins), and the rest moves up by L.  A tone or a voiced vowel
 * comes out with the same pitch, one period shorter.
 *
 * Pure function on the caller's buffer; no state.
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <glib.h>
#include "media/accelerate.h"

#define MIN_LAG_HZ   400       /* 2.5 ms */
#define MAX_LAG_MS   15
#define MIN_WIN_MS   5
#define CORR_MIN     0.9       /* repeats well enough to splice unheard */
#define CORR_SLACK   0.02      /* "as good": prefer the longer cut */
#define QUIET_RMS    300       /* about -40 dBov: any splice is inaudible */
#define MAX_LAGS     (8000 * MAX_LAG_MS / 1000 + 1)

size_t gw_accelerate_window(unsigned rate)
{
	return 2 * (size_t)rate * MAX_LAG_MS / 1000;
}

static double corr_at(const int16_t *x, size_t lag, size_t w)
{
	int64_t xy = 0, xx = 0, yy = 0;

	for (size_t i = 0; i < w; i++) {
		xy += (int32_t)x[i] * x[i + lag];
		xx += (int32_t)x[i] * x[i];
		yy += (int32_t)x[i + lag] * x[i + lag];
	}
	if (xx == 0 || yy == 0)
		return xx == yy ? 1.0 : 0.0;  /* digital silence repeats itself */
	return (double)xy / sqrt((double)xx * (double)yy);
}

static bool quiet(const int16_t *x, size_t n)
{
	int64_t e = 0;

	for (size_t i = 0; i < n; i++)
		e += (int32_t)x[i] * x[i];
	return e < (int64_t)QUIET_RMS * QUIET_RMS * (int64_t)n;
}

/* The lag (at 8 kHz) to cut in @x[0..2 * 15 ms), 0 when none will do. */
static size_t find_lag(const int16_t *x)
{
	const unsigned rate = 8000;
	const size_t min_lag = rate / MIN_LAG_HZ, max_lag = (size_t)rate * MAX_LAG_MS / 1000;
	const size_t min_win = (size_t)rate * MIN_WIN_MS / 1000;
	double c[MAX_LAGS], best = -1.0;

	for (size_t l = min_lag; l <= max_lag; l++) {
		c[l] = corr_at(x, l, MAX(l, min_win));
		best = MAX(best, c[l]);
	}
	if (best < CORR_MIN && !quiet(x, gw_accelerate_window(rate)))
		return 0;
	for (size_t l = max_lag; l >= min_lag; l--)
		if (c[l] >= best - CORR_SLACK)
			return l;
	return 0;
}

/* The same at 16 kHz: searched at 8 kHz (pairs averaged: a quarter of the
 * work), then the best of the three 16 kHz lags around that one. */
static size_t find_lag16(const int16_t *x)
{
	const size_t max_lag = 16000 * MAX_LAG_MS / 1000, min_win = 16000 * MIN_WIN_MS / 1000;
	int16_t half[2 * 8000 * MAX_LAG_MS / 1000];
	size_t l8, lag = 0;
	double best = -1.0;

	for (size_t i = 0; i < G_N_ELEMENTS(half); i++)
		half[i] = (int16_t)(((int32_t)x[2 * i] + x[2 * i + 1]) / 2);
	l8 = find_lag(half);
	if (!l8)
		return 0;
	for (size_t l = 2 * l8 - 1; l <= MIN(2 * l8 + 1, max_lag); l++) {
		double c = corr_at(x, l, MAX(l, min_win));

		if (c > best) {
			best = c;
			lag = l;
		}
	}
	return lag;
}

size_t gw_accelerate(int16_t *pcm, size_t n, unsigned rate)
{
	size_t lag;

	if ((rate != 8000 && rate != 16000) || n < gw_accelerate_window(rate))
		return 0;
	lag = rate == 8000 ? find_lag(pcm) : find_lag16(pcm);
	if (!lag)
		return 0;
	/* Fade the first period out while the second fades in. */
	for (size_t i = 0; i < lag; i++)
		pcm[i] = (int16_t)(((int32_t)pcm[i] * (int32_t)(lag - i) +
				    (int32_t)pcm[i + lag] * (int32_t)i) / (int32_t)lag);
	memmove(pcm + lag, pcm + 2 * lag, (n - 2 * lag) * sizeof(pcm[0]));
	return lag;
}
