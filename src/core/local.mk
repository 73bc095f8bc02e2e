libgw_la_SOURCES += \
	src/core/obj.c \
	src/core/log.c \
	src/core/loop.c \
	src/core/loop_ctx.c \
	src/core/loop_priv.h \
	src/core/config.c \
	src/core/config_table.c \
	src/core/latency.c
libgw_la_SOURCES += src/core/cert.c
# The media loops' paced poll (benchmark peers, gw_loops_set_paced_poll)
# and the media clock's slots; coalesced wake-ups (gw_loops_set_coalesce).
LOOP_PROBE = tests/unit/loop_probe.c tests/unit/loop_probe.h
check_PROGRAMS += tests/unit/test_loop_paced
tests_unit_test_loop_paced_SOURCES = tests/unit/test_loop_paced.c $(LOOP_PROBE)
tests_unit_test_loop_paced_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_loop_paced_LDADD = $(TEST_LIBS_COMMON)
TESTS += tests/unit/test_loop_paced
check_PROGRAMS += tests/unit/test_loop_coalesce
tests_unit_test_loop_coalesce_SOURCES = tests/unit/test_loop_coalesce.c $(LOOP_PROBE)
tests_unit_test_loop_coalesce_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_loop_coalesce_LDADD = $(TEST_LIBS_COMMON)
TESTS += tests/unit/test_loop_coalesce
# Driven contexts (gw_loop_ctx): libnice's sockets and timers off the loop's own context.
check_PROGRAMS += tests/unit/test_loop_ctx
tests_unit_test_loop_ctx_SOURCES = tests/unit/test_loop_ctx.c
tests_unit_test_loop_ctx_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_loop_ctx_LDADD = $(TEST_LIBS_COMMON)
TESTS += tests/unit/test_loop_ctx
