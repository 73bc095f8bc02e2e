/* test_config.c — the key table drives parsing, validation and the sample. */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include "gw/config.h"

static char *write_conf(const char *text)
{
	char *path = NULL;
	int fd = g_file_open_tmp("rtcsip-test-XXXXXX.conf", &path, NULL);

	ck_assert_int_ge(fd, 0);
	ck_assert(g_file_set_contents(path, text, -1, NULL));
	close(fd);
	return path;
}

/* Load @text; return the error lines joined by newlines, or NULL when valid. */
static char *load_errors(const char *text, struct gw_config **cfg_out)
{
	char *path = write_conf(text), **errors = NULL, *joined = NULL;
	struct gw_config *cfg = NULL;

	if (gw_config_load(path, &cfg, &errors)) {
		joined = g_strjoinv("\n", errors);
		g_strfreev(errors);
	}
	if (cfg_out)
		*cfg_out = cfg;
	else
		gw_config_free(cfg);
	g_unlink(path);
	g_free(path);
	return joined;
}

START_TEST(test_config_defaults_are_valid_and_typed)
{
	struct gw_config *cfg = NULL;
	char *err = load_errors("[general]\nstate_dir = /tmp/x\n", &cfg);

	ck_assert_msg(err == NULL, "%s", err);
	ck_assert_str_eq(cfg->signal_listen, "127.0.0.1:8443");
	ck_assert_int_eq(cfg->signal_max_frame, 65536);
	ck_assert_int_eq(cfg->media_opus_complexity, 5);
	ck_assert(cfg->media_opus_fec);
	ck_assert(!cfg->ice_lite);
	ck_assert_int_eq(gw_config_auth_mode(cfg), GW_AUTH_NONE);
	gw_config_free(cfg);
}
END_TEST

START_TEST(test_config_values_parse_into_fields)
{
	struct gw_config *cfg = NULL;
	char *err = load_errors("[signal]\nlisten = 127.0.0.2:9443\nmax_frame = 2048\n"
				"[media]\nthreads = 3\npassthrough = yes\n"
				"[ice]\nport_range = 20000-20100\nremote_networks = 127.0.0.0/8, ::1/128\n"
				"[general]\nstate_dir = state\n", &cfg);
	uint16_t lo, hi;

	ck_assert_msg(err == NULL, "%s", err);
	ck_assert_str_eq(cfg->signal_listen, "127.0.0.2:9443");
	ck_assert_int_eq(cfg->signal_max_frame, 2048);
	ck_assert_uint_eq(gw_config_media_threads(cfg), 3);
	ck_assert(cfg->media_passthrough);
	ck_assert_int_eq(gw_config_split_portrange(cfg->ice_port_range, &lo, &hi), 0);
	ck_assert_uint_eq(lo, 20000);
	ck_assert_uint_eq(hi, 20100);
	/* relative paths resolve against the config file's folder */
	ck_assert(g_path_is_absolute(cfg->state_dir));
	ck_assert(g_str_has_suffix(cfg->state_dir, "/state"));
	gw_config_free(cfg);
}
END_TEST

/* Each invalid case, and a fragment the error must contain. */
static const struct {
	const char *conf, *expect;
} bad[] = {
	{ "[signal]\nbogus = 1\n", "[signal] bogus: unknown key" },
	{ "[nope]\nx = 1\n", "[nope]: unknown group" },
	{ "[signal]\nlisten = 127.0.0.1:70000\n", "[signal] listen: '127.0.0.1:70000' is not host:port" },
	{ "[signal]\nlisten = 127.0.0.1\n", "[signal] listen:" },
	{ "[signal]\nmax_frame = 10\n", "[signal] max_frame: 10 is out of range (1024 to 1048576)" },
	{ "[signal]\nmax_sessions = many\n", "[signal] max_sessions: 'many' is not a whole number" },
	{ "[media]\npassthrough = maybe\n", "[media] passthrough: 'maybe' is not a boolean" },
	{ "[auth]\nmode = ldap\n", "[auth] mode: 'ldap' is not one of none|jwt" },
	{ "[ice]\nport_range = 30000-20000\n", "[ice] port_range:" },
	{ "[ice]\nremote_networks = 127.0.0.0/33\n", "[ice] remote_networks: '127.0.0.0/33' is not a network" },
	{ "[ice]\npublic_ip = example\n", "[ice] public_ip: 'example' is not an IP address" },
	{ "[signal]\nlisten = 0.0.0.0:8443\n", "[auth] mode: 'none' on non-loopback" },
	{ "[auth]\nmode = jwt\njwt_secret = short\n", "[auth] jwt_secret: must be at least 32" },
	{ "[ice]\nturn_server = 127.0.0.1:3478\n", "[ice] turn_server: needs" },
	{ "not an ini file\n", "" },
};

START_TEST(test_config_refuses_each_kind_of_invalid)
{
	char *err = load_errors(bad[_i].conf, NULL);

	ck_assert_msg(err != NULL, "accepted: %s", bad[_i].conf);
	ck_assert_msg(strstr(err, bad[_i].expect), "'%s' not in '%s'", bad[_i].expect, err);
	/* every line names the file first */
	ck_assert_msg(strstr(err, "rtcsip-test-") == err || strstr(err, "/rtcsip-test-"), "%s", err);
	g_free(err);
}
END_TEST

START_TEST(test_config_reports_every_error_not_just_the_first)
{
	char *err = load_errors("[signal]\nbogus = 1\nmax_frame = 1\n[media]\nthreads = -1\n", NULL);

	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_nonnull(strstr(err, "bogus"));
	ck_assert_ptr_nonnull(strstr(err, "max_frame"));
	ck_assert_ptr_nonnull(strstr(err, "threads"));
	g_free(err);
}
END_TEST

START_TEST(test_config_insecure_listen_allowed_when_said_so)
{
	char *err = load_errors("[signal]\nlisten = 0.0.0.0:8443\n[auth]\nallow_insecure = true\n", NULL);

	ck_assert_msg(err == NULL, "%s", err);
}
END_TEST

START_TEST(test_config_sample_file_matches_the_table)
{
	char *path = g_build_filename(g_getenv("GW_TEST_SRCDIR"), "conf", "rtcsipd.conf.sample", NULL);
	char *file = NULL, *gen = gw_config_sample();

	ck_assert_msg(g_file_get_contents(path, &file, NULL, NULL), "cannot read %s", path);
	ck_assert_msg(!strcmp(file, gen),
		      "conf/rtcsipd.conf.sample is stale: regenerate with rtcsipd --print-sample-config");
	/* and every key of the table is in it */
	for (size_t i = 0; i < gw_conf_nkeys; i++) {
		char *line = g_strdup_printf("#%s = ", gw_conf_keys[i].key);

		ck_assert_msg(strstr(gen, line), "sample lacks %s", gw_conf_keys[i].key);
		g_free(line);
	}
	g_free(file);
	g_free(gen);
	g_free(path);
}
END_TEST

START_TEST(test_config_readme_reference_matches_the_table)
{
	char *path = g_build_filename(g_getenv("GW_TEST_SRCDIR"), "README.md", NULL);
	char *file = NULL, *ref = gw_config_reference();

	ck_assert_msg(g_file_get_contents(path, &file, NULL, NULL), "cannot read %s", path);
	ck_assert_msg(strstr(file, ref),
		      "README.md's configuration table is stale: paste rtcsipd --print-config-reference");
	g_free(file);
	g_free(ref);
	g_free(path);
}
END_TEST

START_TEST(test_config_relative_file_name_resolves_paths)
{
	char *dir = g_dir_make_tmp("rtcsip-cfg-XXXXXX", NULL), *cwd = g_get_current_dir();
	char *conf = g_build_filename(dir, "sub", NULL), **errors = NULL;
	struct gw_config *cfg = NULL;
	int rc;

	g_mkdir(conf, 0700);
	g_free(conf);
	conf = g_build_filename(dir, "sub", "r.conf", NULL);
	ck_assert(g_file_set_contents(conf, "[general]\nstate_dir = ../state\n", -1, NULL));
	ck_assert_int_eq(chdir(dir), 0);
	rc = gw_config_load("sub/r.conf", &cfg, &errors);
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_msg(rc == 0, "%s", errors ? errors[0] : "");
	ck_assert(g_str_has_prefix(cfg->state_dir, "/"));
	ck_assert_msg(g_str_has_suffix(cfg->state_dir, "/state") && !strstr(cfg->state_dir, ".."),
		      "%s", cfg->state_dir);
	gw_config_free(cfg);
	g_unlink(conf);
	g_free(conf);
	g_free(cwd);
	g_free(dir);
}
END_TEST

START_TEST(test_config_shipped_file_is_valid)
{
	char *path = g_build_filename(g_getenv("GW_TEST_SRCDIR"), "conf", "rtcsipd.conf", NULL);
	char **errors = NULL;
	struct gw_config *cfg = NULL;
	int rc = gw_config_load(path, &cfg, &errors);

	ck_assert_msg(rc == 0, "%s", errors ? errors[0] : "");
	ck_assert(cfg->echo_enabled);
	gw_config_free(cfg);
	g_free(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_config_defaults_are_valid_and_typed);
	tcase_add_test(tc, test_config_values_parse_into_fields);
	tcase_add_loop_test(tc, test_config_refuses_each_kind_of_invalid, 0, G_N_ELEMENTS(bad));
	tcase_add_test(tc, test_config_reports_every_error_not_just_the_first);
	tcase_add_test(tc, test_config_insecure_listen_allowed_when_said_so);
	tcase_add_test(tc, test_config_sample_file_matches_the_table);
	tcase_add_test(tc, test_config_readme_reference_matches_the_table);
	tcase_add_test(tc, test_config_relative_file_name_resolves_paths);
	tcase_add_test(tc, test_config_shipped_file_is_valid);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
