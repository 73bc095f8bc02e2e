# src/sip: the SIP user agent (Sofia-SIP nua), appended to libgw_la_SOURCES
libgw_la_SOURCES += \
	src/sip/ua.c \
	src/sip/log.c \
	src/sip/tls.c \
	src/sip/util.c \
	src/sip/route.c \
	src/sip/dialog.c \
	src/sip/inbound.c \
	src/sip/identity.c \
	src/sip/inauth.c \
	src/sip/outbound.c \
	src/sip/session.c \
	src/sip/trunk.c

check_PROGRAMS += tests/unit/test_sip_ua
tests_unit_test_sip_ua_SOURCES = tests/unit/test_sip_ua.c
tests_unit_test_sip_ua_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_sip_ua_LDADD = $(TEST_LIBS_COMMON)
TESTS += tests/unit/test_sip_ua
EXTRA_DIST += tests/unit/sip/uas_answer.xml tests/unit/sip/uas_busy.xml \
	tests/unit/sip/uas_auth_bye.xml tests/unit/sip/uas_cancel.xml \
	tests/unit/sip/uas_refer.xml tests/unit/sip/uas_registrar.xml \
	tests/unit/sip/uas_options.xml tests/unit/sip/uac_call.xml \
	tests/unit/sip/uas_options_retry_after.xml tests/unit/sip/uas_register_retry_after.xml \
	tests/unit/sip/uac_expect_403.xml tests/unit/sip/uac_expect_480.xml \
	tests/unit/sip/uac_expect_486.xml tests/unit/sip/uac_expect_503.xml \
	tests/unit/sip/uas_public_ip.xml tests/unit/sip/uac_refer.xml \
	tests/unit/sip/uac_cancel.xml tests/unit/sip/uac_delayed_offer.xml \
	tests/unit/sip/uas_proxy_no_sdp.xml tests/unit/sip/uas_session_timer.xml \
	tests/unit/sip/uas_auth_refused.xml tests/unit/sip/uac_inauth_call.xml \
	tests/unit/sip/uac_inauth_wrong.xml tests/unit/sip/uac_inauth_forged.xml \
	tests/unit/sip/uac_refer_notify.xml
