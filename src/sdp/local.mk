# src/sdp: sources of this layer (appended to libgw_la_SOURCES)
libgw_la_SOURCES += \
	src/sdp/sdp_priv.h \
	src/sdp/model.c \
	src/sdp/parse.c \
	src/sdp/attr.c \
	src/sdp/candidate.c \
	src/sdp/print.c \
	src/sdp/jsep_local.c \
	src/sdp/jsep.c \
	src/sdp/jsep_offer.c \
	src/sdp/sip.c

check_PROGRAMS += tests/unit/test_sdp
tests_unit_test_sdp_SOURCES = tests/unit/test_sdp.c
tests_unit_test_sdp_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_sdp_LDADD = $(TEST_LIBS_COMMON)
TESTS += tests/unit/test_sdp

check_PROGRAMS += tests/unit/test_sdp_sip
tests_unit_test_sdp_sip_SOURCES = tests/unit/test_sdp_sip.c
tests_unit_test_sdp_sip_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_sdp_sip_LDADD = $(TEST_LIBS_COMMON)
TESTS += tests/unit/test_sdp_sip

check_PROGRAMS += tests/interop/test_sdp_corpus
tests_interop_test_sdp_corpus_SOURCES = tests/interop/test_sdp_corpus.c
tests_interop_test_sdp_corpus_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_interop_test_sdp_corpus_LDADD = $(TEST_LIBS_COMMON)
TESTS += tests/interop/test_sdp_corpus
