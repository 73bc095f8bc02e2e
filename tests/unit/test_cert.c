/* test_cert.c — the gateway certificate: generated once, loaded after,
 * fingerprint as SDP wants it, bad files refused with a reason. */
#include "gw_check.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <glib.h>
#include <glib/gstdio.h>
#include "gw/cert.h"
#include "gw/obj.h"

static char *tmpdir;

static void setup(void)
{
	tmpdir = g_dir_make_tmp("gw-cert-XXXXXX", NULL);
	ck_assert_ptr_nonnull(tmpdir);
}

static void rm_rf(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *n;

	if (d) {
		while ((n = g_dir_read_name(d))) {
			char *p = g_build_filename(path, n, NULL);

			rm_rf(p);
			g_free(p);
		}
		g_dir_close(d);
	}
	g_remove(path);
}

static void teardown(void)
{
	rm_rf(tmpdir);
	g_free(tmpdir);
}

static char *path_in(const char *rel)
{
	return g_build_filename(tmpdir, rel, NULL);
}

START_TEST(test_cert_fingerprint_is_sha256_upper_hex_with_colons)
{
	long live = gw_obj_live();
	struct gw_cert *c = NULL;

	ck_assert_int_eq(gw_cert_generate("rtcsip test", &c), 0);
	ck_assert(g_regex_match_simple("^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$", gw_cert_fingerprint(c), 0, 0));
	ck_assert_int_eq(gw_cert_fingerprint_check(gw_cert_fingerprint(c)), 0);
	c = gw_obj_deref(c);
	ck_assert_int_eq(gw_obj_live(), live);
}
END_TEST

START_TEST(test_cert_two_generations_differ)
{
	struct gw_cert *a = NULL, *b = NULL;

	ck_assert_int_eq(gw_cert_generate("a", &a), 0);
	ck_assert_int_eq(gw_cert_generate("a", &b), 0);
	ck_assert_str_ne(gw_cert_fingerprint(a), gw_cert_fingerprint(b));
	gw_obj_deref(a);
	gw_obj_deref(b);
}
END_TEST

START_TEST(test_cert_generated_once_then_loaded_with_same_fingerprint)
{
	char *crt = path_in("new/dir/gw.crt"), *key = path_in("new/keys/gw.key");
	struct gw_cert *first = NULL, *again = NULL;
	char *err = NULL;
	GStatBuf st;

	ck_assert_int_eq(gw_cert_load_or_generate(crt, key, "gw.example", &first, &err), 0);
	ck_assert_ptr_null(err);
	ck_assert(g_file_test(crt, G_FILE_TEST_IS_REGULAR));
	ck_assert_int_eq(g_stat(key, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);

	ck_assert_int_eq(gw_cert_load_or_generate(crt, key, "other cn", &again, &err), 0);
	ck_assert_str_eq(gw_cert_fingerprint(again), gw_cert_fingerprint(first));
	gw_obj_deref(first);
	gw_obj_deref(again);
	g_free(crt);
	g_free(key);
}
END_TEST

START_TEST(test_cert_combined_pem_file_round_trips)
{
	char *pem = path_in("both.pem");
	struct gw_cert *first = NULL, *again = NULL;
	GStatBuf st;

	ck_assert_int_eq(gw_cert_load_or_generate(pem, pem, "gw", &first, NULL), 0);
	ck_assert_int_eq(g_stat(pem, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(gw_cert_load_or_generate(pem, pem, "gw", &again, NULL), 0);
	ck_assert_str_eq(gw_cert_fingerprint(again), gw_cert_fingerprint(first));
	gw_obj_deref(first);
	gw_obj_deref(again);
	g_free(pem);
}
END_TEST

START_TEST(test_cert_corrupt_pem_refused_with_reason_naming_the_file)
{
	char *crt = path_in("gw.crt"), *key = path_in("gw.key");
	struct gw_cert *c = NULL, *out = NULL;
	char *err = NULL, *pem = NULL;
	gsize n;

	ck_assert_int_eq(gw_cert_load_or_generate(crt, key, "gw", &c, NULL), 0);
	gw_obj_deref(c);
	/* cut the certificate in half */
	ck_assert(g_file_get_contents(crt, &pem, &n, NULL));
	ck_assert(g_file_set_contents(crt, pem, (gssize)(n / 2), NULL));
	ck_assert_int_ne(gw_cert_load_or_generate(crt, key, "gw", &out, &err), 0);
	ck_assert_ptr_null(out);
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_nonnull(strstr(err, crt));
	g_free(err);
	err = NULL;

	/* garbage key */
	ck_assert(g_file_set_contents(crt, pem, (gssize)n, NULL));
	ck_assert(g_file_set_contents(key, "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n",
				      -1, NULL));
	ck_assert_int_ne(gw_cert_load_or_generate(crt, key, "gw", &out, &err), 0);
	ck_assert_ptr_null(out);
	ck_assert_ptr_nonnull(strstr(err, key));
	g_free(err);
	g_free(pem);
	g_free(crt);
	g_free(key);
}
END_TEST

START_TEST(test_cert_key_of_another_certificate_refused)
{
	char *crt1 = path_in("1.crt"), *key1 = path_in("1.key");
	char *crt2 = path_in("2.crt"), *key2 = path_in("2.key");
	struct gw_cert *c = NULL, *out = NULL;
	char *err = NULL;

	ck_assert_int_eq(gw_cert_load_or_generate(crt1, key1, "one", &c, NULL), 0);
	gw_obj_deref(c);
	ck_assert_int_eq(gw_cert_load_or_generate(crt2, key2, "two", &c, NULL), 0);
	gw_obj_deref(c);
	ck_assert_int_eq(gw_cert_load_or_generate(crt1, key2, "x", &out, &err), EINVAL);
	ck_assert_ptr_null(out);
	ck_assert_ptr_nonnull(strstr(err, "does not match"));
	g_free(err);
	g_free(crt1);
	g_free(key1);
	g_free(crt2);
	g_free(key2);
}
END_TEST

START_TEST(test_cert_lone_certificate_file_not_overwritten)
{
	char *crt = path_in("gw.crt"), *key = path_in("gw.key"), *data = NULL;
	struct gw_cert *out = NULL;
	char *err = NULL;

	ck_assert(g_file_set_contents(crt, "keep me", -1, NULL));
	ck_assert_int_eq(gw_cert_load_or_generate(crt, key, "gw", &out, &err), ENOENT);
	ck_assert_ptr_null(out);
	ck_assert_ptr_nonnull(strstr(err, key));
	ck_assert(!g_file_test(key, G_FILE_TEST_EXISTS));
	ck_assert(g_file_get_contents(crt, &data, NULL, NULL));
	ck_assert_str_eq(data, "keep me");
	g_free(data);
	g_free(err);
	g_free(crt);
	g_free(key);
}
END_TEST

START_TEST(test_cert_bad_common_name_refused)
{
	struct gw_cert *c = NULL;

	ck_assert_int_eq(gw_cert_generate("", &c), EINVAL);
	ck_assert_int_eq(gw_cert_generate(NULL, &c), EINVAL);
	ck_assert_int_eq(gw_cert_generate("line\nbreak", &c), EINVAL);
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(test_cert_fingerprint_check_accepts_sdp_forms_refuses_others)
{
	const char *sha1 = "sha-1 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33";
	const char *sha256 = "SHA-256 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:"
			     "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff";

	ck_assert_int_eq(gw_cert_fingerprint_check(sha1), 0);
	ck_assert_int_eq(gw_cert_fingerprint_check(sha256), 0);
	ck_assert_int_eq(gw_cert_fingerprint_check(NULL), EINVAL);
	ck_assert_int_eq(gw_cert_fingerprint_check(""), EINVAL);
	ck_assert_int_eq(gw_cert_fingerprint_check("sha-256"), EINVAL);
	ck_assert_int_eq(gw_cert_fingerprint_check("sha-256 00:11"), EINVAL);
	ck_assert_int_eq(gw_cert_fingerprint_check("md5 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"), EINVAL);
	/* sha-1 length under the sha-256 name */
	ck_assert_int_eq(gw_cert_fingerprint_check("sha-256 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33"),
			 EINVAL);
	ck_assert_int_eq(gw_cert_fingerprint_check("sha-1 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:3G"),
			 EINVAL);
	ck_assert_int_eq(gw_cert_fingerprint_check("sha-1 00-11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33"),
			 EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cert");
	TCase *tc = tcase_create("cert");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cert_fingerprint_is_sha256_upper_hex_with_colons);
	tcase_add_test(tc, test_cert_two_generations_differ);
	tcase_add_test(tc, test_cert_generated_once_then_loaded_with_same_fingerprint);
	tcase_add_test(tc, test_cert_combined_pem_file_round_trips);
	tcase_add_test(tc, test_cert_corrupt_pem_refused_with_reason_naming_the_file);
	tcase_add_test(tc, test_cert_key_of_another_certificate_refused);
	tcase_add_test(tc, test_cert_lone_certificate_file_not_overwritten);
	tcase_add_test(tc, test_cert_bad_common_name_refused);
	tcase_add_test(tc, test_cert_fingerprint_check_accepts_sdp_forms_refuses_others);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
