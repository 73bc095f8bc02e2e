/* audio.c — see audio.h.  Plain C over PCM16 buffers; no thread of its own. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib.h>
#include "audio.h"

void gw_tool_audio_src_tone(struct gw_tool_audio_src *s, double hz)
{
	memset(s, 0, sizeof(*s));
	s->freq = hz;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int gw_tool_audio_src_wav(struct gw_tool_audio_src *s, const char *path, char **err)
{
	gchar *data = NULL;
	gsize size = 0, off = 12;
	unsigned channels = 0, rate = 0, bits = 0;
	const uint8_t *pcm = NULL;
	size_t frames = 0;
	int rc = EINVAL;

	memset(s, 0, sizeof(*s));
	if (!g_file_get_contents(path, &data, &size, NULL)) {
		*err = g_strdup_printf("%s: cannot read", path);
		return ENOENT;
	}
	if (size < 12 || memcmp(data, "RIFF", 4) || memcmp(data + 8, "WAVE", 4)) {
		*err = g_strdup_printf("%s: not a WAV file", path);
		goto out;
	}
	while (off + 8 <= size) {
		const uint8_t *c = (const uint8_t *)data + off;
		uint32_t clen = le32(c + 4);

		if (clen > size - off - 8)
			break;
		if (!memcmp(c, "fmt ", 4) && clen >= 16) {
			channels = le16(c + 10);
			rate = le32(c + 12);
			bits = le16(c + 22);
		} else if (!memcmp(c, "data", 4)) {
			pcm = c + 8;
			frames = channels ? clen / (2u * channels) : 0;
			break;
		}
		off += 8 + clen + (clen & 1);
	}
	if (!pcm || bits != 16 || channels < 1 || channels > 2 || rate < 8000 || rate > 48000 || !frames) {
		*err = g_strdup_printf("%s: need PCM16 mono or stereo, 8-48 kHz", path);
		goto out;
	}
	/* Linear resampling to GW_TOOL_AUDIO_RATE, first channel. */
	s->len = (size_t)((double)frames * GW_TOOL_AUDIO_RATE / rate);
	s->pcm = g_new(int16_t, s->len);
	for (size_t i = 0; i < s->len; i++) {
		double x = (double)i * rate / GW_TOOL_AUDIO_RATE;
		size_t k = (size_t)x;
		double f = x - (double)k;
		int16_t a = (int16_t)le16(pcm + 2 * channels * k);
		int16_t b = k + 1 < frames ? (int16_t)le16(pcm + 2 * channels * (k + 1)) : a;

		s->pcm[i] = (int16_t)lrint(a + (b - a) * f);
	}
	rc = 0;
out:
	g_free(data);
	return rc;
}

void gw_tool_audio_src_copy(struct gw_tool_audio_src *dst, const struct gw_tool_audio_src *src)
{
	*dst = *src;
	dst->pos = 0;
	dst->phase = 0;
	if (src->pcm)
		dst->pcm = g_memdup2(src->pcm, src->len * sizeof(*src->pcm));
}

void gw_tool_audio_src_read(struct gw_tool_audio_src *s, int16_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s->pcm) {
			out[i] = s->pcm[s->pos++];
			if (s->pos == s->len)
				s->pos = 0;
		} else {
			/* -6 dBFS sine */
			out[i] = (int16_t)lrint(16384.0 * sin(s->phase));
			s->phase += 2 * M_PI * s->freq / GW_TOOL_AUDIO_RATE;
			if (s->phase > 2 * M_PI)
				s->phase -= 2 * M_PI;
		}
	}
}

void gw_tool_audio_src_clear(struct gw_tool_audio_src *s)
{
	g_free(s->pcm);
	memset(s, 0, sizeof(*s));
}

static void put_header(FILE *f, uint32_t data_bytes)
{
	uint8_t h[44];
	uint32_t v;

	memcpy(h, "RIFF", 4);
	v = 36 + data_bytes;
	memcpy(h + 4, (uint8_t[]){ v, v >> 8, v >> 16, v >> 24 }, 4);
	memcpy(h + 8, "WAVEfmt ", 8);
	memcpy(h + 16, (uint8_t[]){ 16, 0, 0, 0, 1, 0, 1, 0 }, 8); /* PCM, mono */
	v = GW_TOOL_AUDIO_RATE;
	memcpy(h + 24, (uint8_t[]){ v, v >> 8, v >> 16, v >> 24 }, 4);
	v = GW_TOOL_AUDIO_RATE * 2;
	memcpy(h + 28, (uint8_t[]){ v, v >> 8, v >> 16, v >> 24 }, 4);
	memcpy(h + 32, (uint8_t[]){ 2, 0, 16, 0 }, 4);
	memcpy(h + 36, "data", 4);
	v = data_bytes;
	memcpy(h + 40, (uint8_t[]){ v, v >> 8, v >> 16, v >> 24 }, 4);
	fseek(f, 0, SEEK_SET);
	fwrite(h, 1, sizeof(h), f);
	fseek(f, 0, SEEK_END);
}

FILE *gw_tool_wav_create(const char *path)
{
	FILE *f = fopen(path, "w+b");

	if (f)
		put_header(f, 0);
	return f;
}

void gw_tool_wav_write(FILE *f, const int16_t *pcm, size_t n)
{
	/* little-endian hosts only (x86_64, arm64) */
	fwrite(pcm, sizeof(*pcm), n, f);
}

void gw_tool_wav_close(FILE *f)
{
	long size;

	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	put_header(f, (uint32_t)(size > 44 ? size - 44 : 0));
	fclose(f);
}

static double goertzel_power(const int16_t *x, size_t n, unsigned rate, double hz)
{
	double w = 2 * M_PI * hz / rate, c = 2 * cos(w), s1 = 0, s2 = 0;

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + c * s1 - s2;

		s2 = s1;
		s1 = s0;
	}
	return s1 * s1 + s2 * s2 - c * s1 * s2;
}

double gw_tool_audio_dominant_hz(const int16_t *pcm, size_t n, unsigned rate, double max_hz, double *rms)
{
	double best = 0, best_p = 0, acc = 0;

	for (size_t i = 0; i < n; i++)
		acc += (double)pcm[i] * pcm[i];
	*rms = n ? sqrt(acc / (double)n) : 0;
	if (*rms < 30) /* about -60 dBFS: silence */
		return 0;
	for (double f = 50; f <= max_hz; f += 10) {
		double p = goertzel_power(pcm, n, rate, f);

		if (p > best_p) {
			best_p = p;
			best = f;
		}
	}
	for (double f = best - 10; f <= best + 10; f += 0.5) {
		double p = goertzel_power(pcm, n, rate, f);

		if (p > best_p) {
			best_p = p;
			best = f;
		}
	}
	return best;
}

void gw_tool_audio_ring_init(struct gw_tool_audio_ring *r, size_t cap)
{
	r->pcm = g_new0(int16_t, cap);
	r->cap = cap;
	r->pos = r->fill = 0;
}

void gw_tool_audio_ring_push(struct gw_tool_audio_ring *r, const int16_t *pcm, size_t n)
{
	for (size_t i = 0; i < n && r->cap; i++) {
		r->pcm[r->pos] = pcm[i];
		r->pos = (r->pos + 1) % r->cap;
		if (r->fill < r->cap)
			r->fill++;
	}
}

double gw_tool_audio_ring_hz(const struct gw_tool_audio_ring *r, double max_hz, double *rms)
{
	int16_t *lin;
	double hz;

	*rms = 0;
	if (!r->fill)
		return 0;
	/* unroll the ring: oldest first */
	lin = g_new(int16_t, r->fill);
	for (size_t k = 0; k < r->fill; k++)
		lin[k] = r->pcm[(r->pos + r->cap - r->fill + k) % r->cap];
	hz = gw_tool_audio_dominant_hz(lin, r->fill, GW_TOOL_AUDIO_RATE, max_hz, rms);
	g_free(lin);
	return hz;
}

void gw_tool_audio_ring_clear(struct gw_tool_audio_ring *r)
{
	g_free(r->pcm);
	r->pcm = NULL;
	r->cap = r->pos = r->fill = 0;
}
