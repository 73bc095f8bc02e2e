# src/media: the media engine (appended to libgw_la_SOURCES)
libgw_la_SOURCES += \
	src/media/rtp.c \
	src/media/codec.c \
	src/media/codec.h \
	src/media/codec_opus.c \
	src/media/codec_g711.c \
	src/media/codec_g722.c \
	src/media/dtmf.c \
	src/media/dtmf.h \
	src/media/jitter.c \
	src/media/accelerate.c \
	src/media/accelerate.h \
	src/media/jitter.h \
	src/media/session.h \
	src/media/transcode.c \
	src/media/to_sip.c \
	src/media/to_browser.c \
	src/media/passthrough.c \
	src/media/rtp_socket.c

# Unit tests of the media layer; media_audio.c measures audio for them.
MEDIA_TEST_AUDIO = tests/unit/media_audio.c tests/unit/media_audio.h

check_PROGRAMS += tests/unit/test_rtp
tests_unit_test_rtp_SOURCES = tests/unit/test_rtp.c
tests_unit_test_rtp_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_rtp_LDADD = $(TEST_LIBS_COMMON)
TESTS += tests/unit/test_rtp

check_PROGRAMS += tests/unit/test_codec
tests_unit_test_codec_SOURCES = tests/unit/test_codec.c $(MEDIA_TEST_AUDIO)
tests_unit_test_codec_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_codec_LDADD = $(TEST_LIBS_COMMON) -lm
TESTS += tests/unit/test_codec

check_PROGRAMS += tests/unit/test_jitter
tests_unit_test_jitter_SOURCES = tests/unit/test_jitter.c
tests_unit_test_jitter_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_jitter_LDADD = $(TEST_LIBS_COMMON)
TESTS += tests/unit/test_jitter

check_PROGRAMS += tests/unit/test_dtmf
tests_unit_test_dtmf_SOURCES = tests/unit/test_dtmf.c
tests_unit_test_dtmf_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_dtmf_LDADD = $(TEST_LIBS_COMMON)
TESTS += tests/unit/test_dtmf

MEDIA_TEST_HARNESS = $(MEDIA_TEST_AUDIO) tests/unit/media_harness.c tests/unit/media_harness.h

check_PROGRAMS += tests/unit/test_transcode
tests_unit_test_transcode_SOURCES = tests/unit/test_transcode.c $(MEDIA_TEST_HARNESS)
tests_unit_test_transcode_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_transcode_LDADD = $(TEST_LIBS_COMMON) -lm
TESTS += tests/unit/test_transcode

check_PROGRAMS += tests/unit/test_media_session
tests_unit_test_media_session_SOURCES = tests/unit/test_media_session.c $(MEDIA_TEST_HARNESS)
tests_unit_test_media_session_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_media_session_LDADD = $(TEST_LIBS_COMMON) -lm
TESTS += tests/unit/test_media_session

check_PROGRAMS += tests/unit/test_playout
tests_unit_test_playout_SOURCES = tests/unit/test_playout.c $(MEDIA_TEST_HARNESS)
tests_unit_test_playout_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_playout_LDADD = $(TEST_LIBS_COMMON) -lm
TESTS += tests/unit/test_playout

check_PROGRAMS += tests/unit/test_media_dtmf
tests_unit_test_media_dtmf_SOURCES = tests/unit/test_media_dtmf.c $(MEDIA_TEST_HARNESS)
tests_unit_test_media_dtmf_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_media_dtmf_LDADD = $(TEST_LIBS_COMMON) -lm
TESTS += tests/unit/test_media_dtmf

check_PROGRAMS += tests/unit/test_rtp_socket
tests_unit_test_rtp_socket_SOURCES = tests/unit/test_rtp_socket.c
tests_unit_test_rtp_socket_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_rtp_socket_LDADD = $(TEST_LIBS_COMMON)
TESTS += tests/unit/test_rtp_socket
