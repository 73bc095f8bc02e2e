/* latency.c — fixed-size latency histogram (see gw/latency.h). */
#include <stdio.h>
#include <string.h>
#include "gw/latency.h"

static unsigned bucket_of(uint64_t v)
{
	unsigned octave;

	if (v < GW_LAT_SUB)
		return (unsigned)v;
	if (v >= GW_LAT_MAX_US)
		return GW_LAT_BUCKETS - 1;
	octave = 63u - (unsigned)__builtin_clzll(v);          /* 2^octave <= v */
	/* octave >= 3: the 3 bits after the leading one pick the sub-bucket */
	return GW_LAT_SUB * (octave - 2) + (unsigned)((v >> (octave - 3)) & (GW_LAT_SUB - 1));
}

uint64_t gw_lat_bucket_low(unsigned i)
{
	unsigned octave;

	if (i < GW_LAT_SUB)
		return i;
	octave = i / GW_LAT_SUB + 2;
	return (uint64_t)(GW_LAT_SUB + i % GW_LAT_SUB) << (octave - 3);
}

uint64_t gw_lat_bucket_high(unsigned i)
{
	return i + 1 < GW_LAT_BUCKETS ? gw_lat_bucket_low(i + 1) : GW_LAT_MAX_US;
}

void gw_lat_hist_add(struct gw_lat_hist *h, int64_t us)
{
	uint64_t v = us > 0 ? (uint64_t)us : 0;

	h->n[bucket_of(v)]++;
	h->count++;
	if (v > h->max_us)
		h->max_us = v;
}

uint64_t gw_lat_hist_percentile(const struct gw_lat_hist *h, double pct)
{
	uint64_t want, seen = 0;

	if (!h->count)
		return 0;
	want = (uint64_t)((double)h->count * pct / 100.0 + 0.999999);
	if (want < 1)
		want = 1;
	for (unsigned i = 0; i < GW_LAT_BUCKETS; i++) {
		seen += h->n[i];
		if (seen >= want) {
			uint64_t high = gw_lat_bucket_high(i);

			/* below 8 µs buckets are exact: their value, not the next */
			if (i < GW_LAT_SUB)
				high = i;
			return high < h->max_us ? high : h->max_us;
		}
	}
	return h->max_us;
}

#define MORE ",..."

char *gw_lat_hist_format(const struct gw_lat_hist *h, char *out, size_t size)
{
	size_t used = 0, room;
	int w;

	if (size < sizeof(MORE) + 4)
		return size ? (out[0] = '\0', out) : out;  /* documented minimum */
	room = size - sizeof(MORE) + 1;   /* keep space for the marker */
	out[0] = '\0';
	for (unsigned i = 0; i < GW_LAT_BUCKETS; i++) {
		if (!h->n[i])
			continue;
		w = snprintf(out + used, room - used, "%s%llu:%u", used ? "," : "",
			     (unsigned long long)gw_lat_bucket_low(i), h->n[i]);
		if (w < 0 || (size_t)w >= room - used) {
			/* whole entries only; the marker alone if none fits */
			const char *more = used ? MORE : MORE + 1;

			memcpy(out + used, more, strlen(more) + 1);
			return out;
		}
		used += (size_t)w;
	}
	if (!used)
		memcpy(out, "-", 2);
	return out;
}
