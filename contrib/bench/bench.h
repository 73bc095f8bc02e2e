/* bench.h — the parts of contrib/bench/media-bench (one program, single
 * threaded, no network beyond 127.0.0.1). */
#ifndef GW_BENCH_H
#define GW_BENCH_H

/* `media-bench --floor [SECONDS [OPUS_COMPLEXITY [CALLS [SLOTS]]]]`
 * (floor.c): the codec floor per call-second as one JSON object on stdout;
 * with CALLS also the paced floor of that many calls in SLOTS clock slots;
 * and the CPU one sleep and wake-up costs a thread here.
 * Exit status. */
int gw_bench_floor(int argc, char **argv);

#endif
