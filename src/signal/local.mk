libgw_la_SOURCES += \
	src/signal/server.c \
	src/signal/session.c \
	src/signal/api.c \
	src/signal/auth.c \
	src/signal/origin.c

check_PROGRAMS += tests/unit/test_origin
tests_unit_test_origin_SOURCES = tests/unit/test_origin.c
tests_unit_test_origin_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/signal
tests_unit_test_origin_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_origin_LDADD = $(TEST_LIBS_COMMON)
TESTS += tests/unit/test_origin
