# contrib/bench: benchmark programs (built by `make bench` and `make check`,
# whose smoke run of contrib/bench/run needs them; not by `make`)

# Media engine microbenchmark: `make bench` builds it; run
# ./contrib/bench/media-bench [seconds] (prints Markdown tables), or
# media-bench --floor (the floor contrib/bench/run measures against).
check_PROGRAMS += contrib/bench/media-bench
contrib_bench_media_bench_SOURCES = contrib/bench/media-bench.c \
	contrib/bench/floor.c contrib/bench/bench.h \
	src/tools/audio_loop.c src/tools/audio_loop.h \
	tests/unit/media_audio.c tests/unit/media_audio.h
contrib_bench_media_bench_LDADD = libgw.la -lm
# The benchmark's RTP echo (sipp answers the SIP side: echo-uas.xml).
check_PROGRAMS += contrib/bench/rtp-echo
contrib_bench_rtp_echo_SOURCES = contrib/bench/rtp-echo.c
bench: contrib/bench/media-bench$(EXEEXT) contrib/bench/rtp-echo$(EXEEXT)
.PHONY: bench

# `contrib/bench/run`: the whole benchmark (floor, capacity, latency, setup)
EXTRA_DIST += contrib/bench/run contrib/bench/benchlib.py contrib/bench/echo-uas.xml
EXTRA_DIST += contrib/bench/ROUNDS.md
