# contrib/bench: benchmark programs (built by `make bench`, not by default)

# Media engine microbenchmark: `make bench` builds it; run
# ./contrib/bench/media-bench [seconds] (prints Markdown tables).
EXTRA_PROGRAMS = contrib/bench/media-bench
contrib_bench_media_bench_SOURCES = contrib/bench/media-bench.c \
	tests/unit/media_audio.c tests/unit/media_audio.h
contrib_bench_media_bench_LDADD = libgw.la -lm
bench: contrib/bench/media-bench$(EXEEXT)
.PHONY: bench
