# src/webrtc: sources of this layer (appended to libgw_la_SOURCES)

# ICE (libnice): agent, candidate lines, remote-network filter
libgw_la_SOURCES += \
	src/webrtc/ice.c \
	src/webrtc/ice_cand.c \
	src/webrtc/ice_filter.c \
	src/webrtc/ice_priv.h
check_PROGRAMS += tests/unit/test_ice
tests_unit_test_ice_SOURCES = tests/unit/test_ice.c
tests_unit_test_ice_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/webrtc
tests_unit_test_ice_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_ice_LDADD = $(TEST_LIBS_COMMON)
TESTS += tests/unit/test_ice
libgw_la_SOURCES += src/webrtc/dtls.c src/webrtc/srtp.c src/webrtc/rtcp.c
# libsrtp2 crypto types on OpenSSL (installed by gw_srtp_init)
libgw_la_SOURCES += src/webrtc/srtp_ossl.c src/webrtc/srtp_ossl_kat.c src/webrtc/srtp_ossl.h
# WebRTC leg: ICE + RFC 7983 demux + DTLS-SRTP + RTCP on a media loop
libgw_la_SOURCES += src/webrtc/leg.c
check_PROGRAMS += tests/unit/test_cert tests/unit/test_dtls tests/unit/test_srtp tests/unit/test_rtcp
tests_unit_test_cert_SOURCES = tests/unit/test_cert.c
tests_unit_test_cert_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_cert_LDADD = $(TEST_LIBS_COMMON)
tests_unit_test_dtls_SOURCES = tests/unit/test_dtls.c
tests_unit_test_dtls_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_dtls_LDADD = $(TEST_LIBS_COMMON)
tests_unit_test_srtp_SOURCES = tests/unit/test_srtp.c
tests_unit_test_srtp_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_srtp_LDADD = $(TEST_LIBS_COMMON)
tests_unit_test_rtcp_SOURCES = tests/unit/test_rtcp.c
tests_unit_test_rtcp_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_rtcp_LDADD = $(TEST_LIBS_COMMON)
TESTS += tests/unit/test_cert tests/unit/test_dtls tests/unit/test_srtp tests/unit/test_rtcp
# OpenSSL crypto for libsrtp: interop with libsrtp's own, self-test vectors
check_PROGRAMS += tests/unit/test_srtp_ossl
tests_unit_test_srtp_ossl_SOURCES = tests/unit/test_srtp_ossl.c
tests_unit_test_srtp_ossl_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/webrtc
tests_unit_test_srtp_ossl_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_srtp_ossl_LDADD = $(TEST_LIBS_COMMON)
TESTS += tests/unit/test_srtp_ossl
