/* test_origin.c — signal.allowed_origins: which web pages may open /ws
 * (src/signal/origin.c). */
#include "gw_check.h"
#include <errno.h>
#include <string.h>
#include <glib.h>
#include "signal_priv.h"

static struct gw_origin_policy *policy(const char *spec)
{
	struct gw_origin_policy *p = NULL;
	char *why = NULL;

	ck_assert_msg(!gw_origin_policy_parse(spec, &p, &why), "'%s': %s", spec, why);
	return p;
}

static char *refusal(const char *spec)
{
	struct gw_origin_policy *p = NULL;
	char *why = NULL;

	ck_assert_int_eq(gw_origin_policy_parse(spec, &p, &why), EINVAL);
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(why);
	return why;
}

START_TEST(test_origin_default_allows_only_own_https_origin)
{
	struct gw_origin_policy *p = policy("");

	ck_assert(gw_origin_allowed(p, "https://127.0.0.1:8443", "127.0.0.1:8443"));
	ck_assert(gw_origin_allowed(p, "HTTPS://GW.Example.com", "gw.example.com:443"));
	ck_assert(gw_origin_allowed(p, "https://[::1]:8443", "[::1]:8443"));
	ck_assert(!gw_origin_allowed(p, "https://evil.example", "127.0.0.1:8443"));
	ck_assert(!gw_origin_allowed(p, "http://127.0.0.1:8443", "127.0.0.1:8443"));
	ck_assert(!gw_origin_allowed(p, "https://127.0.0.1:8444", "127.0.0.1:8443"));
	ck_assert(!gw_origin_allowed(p, "https://127.0.0.1", "127.0.0.1:8443"));
	ck_assert(!gw_origin_allowed(p, "null", "127.0.0.1:8443"));
	ck_assert(!gw_origin_allowed(p, "https://127.0.0.1:8443", ""));
	ck_assert(!gw_origin_allowed(p, "https://127.0.0.1:8443", "127.0.0.1:8443/x"));
	gw_origin_policy_free(p);
}
END_TEST

START_TEST(test_origin_absent_header_is_allowed)
{
	struct gw_origin_policy *p = policy("https://app.example");

	ck_assert(gw_origin_allowed(p, NULL, "127.0.0.1:8443"));
	ck_assert(gw_origin_allowed(p, "", NULL));
	gw_origin_policy_free(p);
}
END_TEST

START_TEST(test_origin_list_replaces_own_origin)
{
	struct gw_origin_policy *p = policy(" https://app.example ,http://Dev.Local:8080\thttps://x.test:443");

	ck_assert(gw_origin_allowed(p, "https://app.example", "127.0.0.1:8443"));
	ck_assert(gw_origin_allowed(p, "https://app.example:443", "127.0.0.1:8443"));
	ck_assert(gw_origin_allowed(p, "http://dev.local:8080", "127.0.0.1:8443"));
	ck_assert(gw_origin_allowed(p, "https://x.test", "127.0.0.1:8443"));
	ck_assert(!gw_origin_allowed(p, "https://127.0.0.1:8443", "127.0.0.1:8443"));
	ck_assert(!gw_origin_allowed(p, "http://app.example", "127.0.0.1:8443"));
	ck_assert(!gw_origin_allowed(p, "https://app.example.evil", "127.0.0.1:8443"));
	ck_assert(!gw_origin_allowed(p, "https://evil.app.example", "127.0.0.1:8443"));
	ck_assert(!gw_origin_allowed(p, "https://app.example:8443", "127.0.0.1:8443"));
	ck_assert(!gw_origin_policy_any(p));
	gw_origin_policy_free(p);
}
END_TEST

START_TEST(test_origin_star_allows_any_page)
{
	struct gw_origin_policy *p = policy("*");

	ck_assert(gw_origin_policy_any(p));
	ck_assert(gw_origin_allowed(p, "https://evil.example", "127.0.0.1:8443"));
	ck_assert(gw_origin_allowed(p, "null", ""));
	gw_origin_policy_free(p);
}
END_TEST

START_TEST(test_origin_bad_config_refused_with_reason)
{
	char *why;

	why = refusal("https://app.example/");
	ck_assert_msg(strstr(why, "'https://app.example/'") && strstr(why, "path"), "%s", why);
	g_free(why);
	why = refusal("app.example");
	ck_assert_msg(strstr(why, "scheme://host"), "%s", why);
	g_free(why);
	why = refusal("https://app.example:99999");
	ck_assert_msg(strstr(why, "port"), "%s", why);
	g_free(why);
	why = refusal("* https://app.example");
	ck_assert_msg(strstr(why, "'*'"), "%s", why);
	g_free(why);
	g_free(refusal("https://"));
	g_free(refusal("https://user@app.example"));
	g_free(refusal("https://[zz]:1"));
	g_free(refusal("https://a b"));
	g_free(refusal("1https://app.example"));
	g_free(refusal("https://app.example:"));
	g_free(refusal("https://app.example:+1"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("origin");
	TCase *tc = tcase_create("policy");

	tcase_add_test(tc, test_origin_default_allows_only_own_https_origin);
	tcase_add_test(tc, test_origin_absent_header_is_allowed);
	tcase_add_test(tc, test_origin_list_replaces_own_origin);
	tcase_add_test(tc, test_origin_star_allows_any_page);
	tcase_add_test(tc, test_origin_bad_config_refused_with_reason);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
