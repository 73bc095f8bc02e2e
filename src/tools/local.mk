# rtcsip-call: the C WebRTC client ("browser" of the tests, load generation)
bin_PROGRAMS += rtcsip-call
rtcsip_call_SOURCES = src/tools/rtcsip-call.c src/tools/rtcsip_call.h \
	src/tools/call_flow.c src/tools/call_out.c src/tools/call_in.c \
	src/tools/call_media.c src/tools/report.c \
	src/tools/ws_client.c src/tools/ws_client.h \
	src/tools/audio.c src/tools/audio.h \
	src/tools/audio_loop.c src/tools/audio_loop.h
rtcsip_call_LDADD = libgw.la

# The pre-encoded tone, latency probe and codec delay of load runs.
check_PROGRAMS += tests/unit/test_tool_audio_loop
tests_unit_test_tool_audio_loop_SOURCES = tests/unit/test_tool_audio_loop.c \
	src/tools/audio_loop.c src/tools/audio.c
tests_unit_test_tool_audio_loop_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_tool_audio_loop_LDADD = $(TEST_LIBS_COMMON) -lm
TESTS += tests/unit/test_tool_audio_loop
