/* gw/latency.h — a fixed-size histogram of latencies in microseconds, for
 * the time a packet spends inside the gateway.
 *
 * Log-linear buckets: exact below 8 µs, then 8 per power of two (each at
 * most 12.5% wide) up to GW_LAT_MAX_US; larger values land in the last
 * bucket and in the exact maximum.  Plain data (zero it to start), no
 * allocation: a call holds one per direction and adds to it per packet.
 */
#ifndef GW_LATENCY_H
#define GW_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#define GW_LAT_SUB      8                      /* buckets per power of two */
#define GW_LAT_OCTAVES  19                     /* 8 µs .. 4.2 s */
#define GW_LAT_BUCKETS  (GW_LAT_SUB + GW_LAT_OCTAVES * GW_LAT_SUB)
#define GW_LAT_MAX_US   ((uint64_t)GW_LAT_SUB << GW_LAT_OCTAVES)

struct gw_lat_hist {
	uint64_t count;
	uint64_t max_us;
	uint32_t n[GW_LAT_BUCKETS];
};

/* Count one latency of @us (negative: 0). */
void gw_lat_hist_add(struct gw_lat_hist *h, int64_t us);

/* The smallest and the first value past bucket @i (its width: 1 below 8). */
uint64_t gw_lat_bucket_low(unsigned i);
uint64_t gw_lat_bucket_high(unsigned i);

/* The @pct percentile (0 < pct <= 100): the upper end of the bucket it
 * falls in, never above the maximum seen; 0 when empty. */
uint64_t gw_lat_hist_percentile(const struct gw_lat_hist *h, double pct);

/* "LOW:COUNT,LOW:COUNT" for the non-empty buckets, in order (LOW from
 * gw_lat_bucket_low: what contrib/bench/run sums over calls); "-" when
 * empty.  Whole entries only: when @size (>= 9) cannot hold them all, the
 * last one that fits is followed by ",..." ("..." when none fits).
 * Returns @out ("" when @size < 9). */
char *gw_lat_hist_format(const struct gw_lat_hist *h, char *out, size_t size);

#endif
