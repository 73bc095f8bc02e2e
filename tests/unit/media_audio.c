/* media_audio.c — audio measurement helpers for the media tests (see
 * media_audio.h).  Plain C and libm; no codec in here, so a bug in the
 * engine cannot hide in the measuring stick.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "media_audio.h"

void ma_tone(int16_t *out, size_t n, double freq, double rate, double amp, double *phase)
{
	double step = 2 * M_PI * freq / rate;

	for (size_t i = 0; i < n; i++) {
		out[i] = (int16_t)lrint(amp * sin(*phase));
		*phase += step;
		if (*phase > 2 * M_PI)
			*phase -= 2 * M_PI;
	}
}

void ma_speechlike(int16_t *out, size_t n, double rate, size_t start)
{
	for (size_t i = 0; i < n; i++) {
		double t = (double)(start + i) / rate;
		/* pitch f0(t) = 165 + 55 sin(2 pi t / 0.6): its phase is the
		 * integral, so the glide is smooth */
		double f0 = 165 + 55 * sin(2 * M_PI * t / 0.6);
		double ph = 165 * t - 55 * 0.6 / (2 * M_PI) * cos(2 * M_PI * t / 0.6);
		double env = 0.55 + 0.45 * sin(2 * M_PI * 4 * t);
		double v = 0;

		for (int k = 1; k <= 14; k++) {
			double fk = f0 * k;
			/* formant-like emphasis around 500 Hz and 1500 Hz */
			double g = exp(-pow((fk - 500) / 300, 2)) + 0.5 * exp(-pow((fk - 1500) / 400, 2)) + 0.05;

			if (fk > rate / 2 - 400)
				break;
			v += g * sin(2 * M_PI * k * ph);
		}
		out[i] = (int16_t)lrint(6000 * env * v);
	}
}

static double goertzel_power(const int16_t *x, const double *win, size_t n, double freq, double rate)
{
	double w = 2 * M_PI * freq / rate, c = 2 * cos(w), s1 = 0, s2 = 0;

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] * win[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return s1 * s1 + s2 * s2 - c * s1 * s2;
}

double ma_dominant_freq(const int16_t *x, size_t n, double rate, double fmin, double fmax)
{
	double *win = malloc(n * sizeof(*win));
	double best = fmin, bestp = -1;

	for (size_t i = 0; i < n; i++)
		win[i] = 0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)(n - 1));
	for (double f = fmin; f <= fmax; f += 5) {
		double p = goertzel_power(x, win, n, f, rate);
		if (p > bestp) {
			bestp = p;
			best = f;
		}
	}
	for (double f = best - 5; f <= best + 5; f += 0.1) {
		double p = goertzel_power(x, win, n, f, rate);
		if (p > bestp) {
			bestp = p;
			best = f;
		}
	}
	free(win);
	return best;
}

double ma_tone_snr_db(const int16_t *x, size_t n, double freq, double rate)
{
	/* Least squares for x ~ a cos + b sin (+ dc): 3x3 normal equations. */
	double m[3][4] = { { 0 } };

	for (size_t i = 0; i < n; i++) {
		double w = 2 * M_PI * freq * (double)i / rate;
		double v[3] = { cos(w), sin(w), 1 };

		for (int r = 0; r < 3; r++) {
			for (int c = 0; c < 3; c++)
				m[r][c] += v[r] * v[c];
			m[r][3] += v[r] * x[i];
		}
	}
	for (int p = 0; p < 3; p++)
		for (int r = 0; r < 3; r++) {
			if (r == p)
				continue;
			double f = m[r][p] / m[p][p];
			for (int c = 0; c < 4; c++)
				m[r][c] -= f * m[p][c];
		}
	double a = m[0][3] / m[0][0], b = m[1][3] / m[1][1], dc = m[2][3] / m[2][2];
	double sig = 0, noise = 0;

	for (size_t i = 0; i < n; i++) {
		double w = 2 * M_PI * freq * (double)i / rate;
		double fit = a * cos(w) + b * sin(w);
		double e = x[i] - dc - fit;

		sig += fit * fit;
		noise += e * e;
	}
	return 10 * log10(sig / (noise > 1e-9 ? noise : 1e-9));
}

double ma_snr_aligned_db(const int16_t *ref, size_t nref, const int16_t *out, size_t nout,
			 int max_lag, int *lag_out)
{
	double best = -1e300, sig = 0, noise = 0, rr = 0, ro = 0;
	int best_lag = 0;
	size_t len;

	for (int lag = 0; lag <= max_lag; lag++) {
		double c = 0, e = 0;

		if ((size_t)lag >= nout)
			break;
		len = nref < nout - (size_t)lag ? nref : nout - (size_t)lag;
		for (size_t i = 0; i < len; i++) {
			c += (double)ref[i] * out[i + (size_t)lag];
			e += (double)out[i + (size_t)lag] * out[i + (size_t)lag];
		}
		c = e > 0 ? c / sqrt(e) : 0;
		if (c > best) {
			best = c;
			best_lag = lag;
		}
	}
	len = nref < nout - (size_t)best_lag ? nref : nout - (size_t)best_lag;
	for (size_t i = 0; i < len; i++) {
		rr += (double)ref[i] * ref[i];
		ro += (double)ref[i] * out[i + (size_t)best_lag];
	}
	double g = rr > 0 ? ro / rr : 0;
	for (size_t i = 0; i < len; i++) {
		double s = g * ref[i], e = out[i + (size_t)best_lag] - s;

		sig += s * s;
		noise += e * e;
	}
	if (lag_out)
		*lag_out = best_lag;
	return 10 * log10(sig / (noise > 1e-9 ? noise : 1e-9));
}

int ma_max_jump(const int16_t *x, size_t n)
{
	int m = 0;

	for (size_t i = 1; i < n; i++) {
		int d = abs((int)x[i] - (int)x[i - 1]);
		if (d > m)
			m = d;
	}
	return m;
}

double ma_rms(const int16_t *x, size_t n)
{
	double e = 0;

	for (size_t i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	return n ? sqrt(e / (double)n) : 0;
}

void ma_buf_add(struct ma_buf *b, const int16_t *x, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 1024;
		b->s = realloc(b->s, b->cap * sizeof(*b->s));
	}
	memcpy(b->s + b->n, x, n * sizeof(*x));
	b->n += n;
}

void ma_buf_free(struct ma_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}
