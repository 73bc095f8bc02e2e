# Unit tests: one Check program per module, each linked against libgw.
TEST_CFLAGS_COMMON = $(AM_CFLAGS) $(CHECK_CFLAGS) -DGW_TEST_SRCDIR='"$(abs_top_srcdir)"'
TEST_LIBS_COMMON = libgw.la $(CHECK_LIBS)
# gw_check_run(): how every unit test main() runs its suite.
EXTRA_DIST += tests/unit/gw_check.h
AM_TESTS_ENVIRONMENT = export GW_TEST_SRCDIR='$(abs_top_srcdir)'; export GW_TEST_BUILDDIR='$(abs_top_builddir)'; export CK_DEFAULT_TIMEOUT=60; export GW_TEST_SANITIZED='$(SAN_CFLAGS)';

check_PROGRAMS += tests/unit/test_core tests/unit/test_config tests/unit/test_api
tests_unit_test_core_SOURCES = tests/unit/test_core.c
tests_unit_test_core_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_core_LDADD = $(TEST_LIBS_COMMON)
tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_config_LDADD = $(TEST_LIBS_COMMON)
tests_unit_test_api_SOURCES = tests/unit/test_api.c
tests_unit_test_api_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/signal
tests_unit_test_sip_ua_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/sip
tests_unit_test_api_CFLAGS = $(TEST_CFLAGS_COMMON)
tests_unit_test_api_LDADD = $(TEST_LIBS_COMMON)
TESTS += tests/unit/test_core tests/unit/test_config tests/unit/test_api

# Integration tests: Debian's python3 (python3-websockets) against the real daemon.
TEST_EXTENSIONS = .py .sh
PY_LOG_COMPILER = /usr/bin/python3
SH_LOG_COMPILER = /bin/bash
TESTS += tests/integration/test_daemon.py tests/integration/test_echo.py
EXTRA_DIST += tests/integration/gwtest.py tests/integration/test_daemon.py tests/integration/test_echo.py
TESTS += tests/integration/test_rtcsip_call.py
EXTRA_DIST += tests/integration/test_rtcsip_call.py

# SIP side: sipp scenarios (tests/integration/sipp) and baresip as real peers.
TESTS += tests/integration/test_sip_outbound.py tests/integration/test_sip_inbound.py \
	tests/integration/test_sip_register.py tests/integration/test_sip_dtmf.py \
	tests/integration/test_sip_baresip.py tests/integration/test_sip_robustness.py
EXTRA_DIST += tests/integration/siptest.py tests/integration/test_sip_outbound.py \
	tests/integration/test_sip_inbound.py tests/integration/test_sip_register.py \
	tests/integration/test_sip_dtmf.py tests/integration/test_sip_baresip.py \
	tests/integration/test_sip_robustness.py \
	tests/integration/sipp/uas_answer_echo.xml tests/integration/sipp/uas_busy.xml \
	tests/integration/sipp/uas_ring_cancel.xml tests/integration/sipp/uas_answer_bye.xml \
	tests/integration/sipp/uas_early_media.xml tests/integration/sipp/uas_auth.xml \
	tests/integration/sipp/uas_hold.xml tests/integration/sipp/uas_session_timer.xml \
	tests/integration/sipp/uas_dtmf_rfc4733.xml tests/integration/sipp/uas_dtmf_info.xml \
	tests/integration/sipp/uas_registrar.xml tests/integration/sipp/uac_call_echo.xml \
	tests/integration/sipp/uac_cancel.xml tests/integration/sipp/uac_expect_403.xml \
	tests/integration/sipp/uac_expect_480.xml tests/integration/sipp/uas_answer_silent.xml \
	tests/integration/sipp/uac_identity_486.xml \
	tests/integration/sipp/uac_call_silent.xml tests/integration/sipp/uac_call_100rel.xml \
	tests/integration/sipp/uac_delayed_offer_100rel.xml \
	tests/integration/sipp/uac_delayed_offer_100rel_no_answer.xml \
	tests/integration/sipp/uas_early_media_100rel.xml tests/integration/sipp/uac_100rel_no_prack.xml \
	tests/integration/sipp/uas_auth_bye.xml tests/integration/sipp/uas_register_busy.xml \
	tests/integration/sipp/uas_unavailable.xml tests/integration/sipp/uas_slow_ring_echo.xml \
	tests/integration/sipp/uas_unavailable_retry_after.xml
TESTS += tests/integration/test_sip_midcall.py
EXTRA_DIST += tests/integration/test_sip_midcall.py \
	tests/integration/sipp/mid_uas_browser_hold.xml tests/integration/sipp/mid_uas_answer_wait_bye.xml \
	tests/integration/sipp/mid_uas_move_media.xml tests/integration/sipp/mid_uas_answer_wrong_port.xml \
	tests/integration/sipp/mid_uac_expect_503.xml tests/integration/sipp/mid_uac_expect_603.xml \
	tests/integration/sipp/mid_uac_expect_486.xml tests/integration/sipp/mid_uac_ring_timeout.xml \
	tests/integration/sipp/mid_uac_delayed_offer.xml tests/integration/sipp/mid_uac_latin1_from.xml
TESTS += tests/integration/test_sip_transfer.py
EXTRA_DIST += tests/integration/test_sip_transfer.py \
	tests/integration/sipp/xfer_a_refer_notify_bye.xml tests/integration/sipp/xfer_a_refer_declined.xml \
	tests/integration/sipp/xfer_a_refer_then_bye.xml tests/integration/sipp/xfer_a_refer_fails.xml \
	tests/integration/sipp/xfer_a_refer_browser_hangup.xml tests/integration/sipp/xfer_b_answer_echo.xml \
	tests/integration/sipp/xfer_b_busy.xml

# Session resume after a dropped WebSocket (signal.resume_timeout).
TESTS += tests/integration/test_resume.py
EXTRA_DIST += tests/integration/test_resume.py

# End-to-end: headless Chromium through the gateway (tests/e2e/*.test.mjs).
TESTS += tests/e2e/run.sh
EXTRA_DIST += tests/e2e/run.sh tests/e2e/harness.mjs tests/e2e/env.mjs tests/e2e/env.test.mjs tests/e2e/sipp.mjs \
	tests/e2e/rtp.mjs tests/e2e/meter.mjs tests/e2e/package.json tests/e2e/package-lock.json \
	tests/e2e/echo.test.mjs tests/e2e/outbound.test.mjs tests/e2e/inbound.test.mjs \
	tests/e2e/dtmf.test.mjs tests/e2e/hold.test.mjs tests/e2e/jwt.test.mjs \
	tests/e2e/reconnect.test.mjs tests/e2e/sipp/uas_echo_wait_bye.xml \
	tests/e2e/sipp/uas_echo_then_bye.xml tests/e2e/sipp/uas_busy.xml \
	tests/e2e/sipp/uas_dtmf_rfc4733.xml tests/e2e/sipp/uas_browser_hold.xml \
	tests/e2e/sipp/uac_carrier_call.xml

if ASAN
# ASan keeps freed memory in quarantine: memory-growth bounds do not apply.
AM_TESTS_ENVIRONMENT += export GW_ASAN=1;
endif

# Benchmark harness smoke run (contrib/bench/run --smoke) and G.711 passthrough.
TESTS += tests/integration/test_bench_smoke.py tests/integration/test_sip_passthrough.py
EXTRA_DIST += tests/integration/test_bench_smoke.py tests/integration/test_sip_passthrough.py

# The parsers of untrusted input under libFuzzer (contrib/fuzz), briefly:
# clang's own ASan + UBSan builds, so the regular build's run is enough.
TESTS += tests/fuzz/run.sh
EXTRA_DIST += tests/fuzz/run.sh tests/fuzz/seeds contrib/fuzz
