/* gw_check.h — the one way the unit tests run their Check suite. */
#ifndef GW_TESTS_GW_CHECK_H
#define GW_TESTS_GW_CHECK_H

#include <check.h>

/* Run every test of @s (the runner takes it over); the exit status for
 * main(): 0 if all passed. */
static inline int gw_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

#endif
