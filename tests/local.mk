# Unit tests: one Check program per module, each linked against libgw.
TEST_CFLAGS_COMMON = $(AM_CFLAGS) $(CHECK_CFLAGS) -DGW_TEST_SRCDIR='"$(abs_top_srcdir)"'
TEST_LIBS_COMMON = libgw.la $(CHECK_LIBS)
AM_TESTS_ENVIRONMENT = export GW_TEST_SRCDIR='$(abs_top_srcdir)'; export GW_TEST_BUILDDIR='$(abs_top_builddir)'; export CK_DEFAULT_TIMEOUT=60;
