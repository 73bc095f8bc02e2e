/* test_config.c — the key tables drive parsing, validation and the sample:
 * fixed groups, [sip], [trunk.NAME] sections, [route] rules and [dids]. */
#include "gw_check.h"
#include <errno.h>
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
	/* [sip] */
	{ "[sip]\nsession_expires = 30\n", "[sip] session_expires: 30 is below the RFC 4028 minimum of 90" },
	{ "[sip]\nring_timeout = 1\n", "[sip] ring_timeout: 1 is out of range (5 to 600)" },
	{ "[sip]\nlisten = localhost:5060\n", "[sip] listen: 'localhost:5060' needs an IP address" },
	{ "[sip]\nlisten = 0.0.0.0:5060\n", "[sip] listen: 0.0.0.0:5060 is a wildcard address" },
	{ "[sip]\ntls_cert = /etc/c.pem\n", "[sip] tls_cert: sip.tls_cert and sip.tls_key go together" },
	{ "[sip]\ntls_cert = /c.pem\ntls_key = /k.pem\ntls_listen = sip.example:5061\n",
	  "[sip] tls_listen: 'sip.example:5061' needs an IP address" },
	{ "[sip]\nrtp_port_range = 40000\n", "[sip] rtp_port_range: '40000' is not a port range" },
	/* [trunk.NAME] */
	{ "[trunk.x]\nproxy = sip:pbx\nkey = 1\n", "[trunk.x] key: unknown key" },
	{ "[trunk.a b]\nproxy = sip:pbx\n", "[trunk.a b]: trunk name 'a b' may hold only letters" },
	{ "[trunk.uk/1]\nproxy = sip:pbx\n", "[trunk.uk/1]: trunk name" },
	{ "[trunk]\nproxy = sip:pbx\n", "[trunk]: a trunk section needs a name" },
	{ "[trunk.]\nproxy = sip:pbx\n", "[trunk.]: a trunk section needs a name" },
	{ "[trunkx]\nproxy = sip:pbx\n", "[trunkx]: unknown group" },
	{ "[trunk.x]\ntransport = tcp\n", "[trunk.x] proxy: required" },
	{ "[trunk.x]\nproxy = http://pbx\n", "[trunk.x] proxy: 'http://pbx' is not a SIP URI" },
	{ "[trunk.x]\nproxy = pbx.example.com\n", "[trunk.x] proxy: 'pbx.example.com' is not a SIP URI" },
	{ "[trunk.x]\nproxy = sip:\n", "[trunk.x] proxy: 'sip:' has no valid host" },
	{ "[trunk.x]\nproxy = sip:pbx:99999\n", "[trunk.x] proxy: 'sip:pbx:99999' does not have host[:port]" },
	{ "[trunk.x]\nproxy = sip:bob@pbx\n", "[trunk.x] proxy: 'sip:bob@pbx' has a user part" },
	{ "[trunk.x]\nproxy = sip:pbx\noutbound_proxy = sip:a b\n", "[trunk.x] outbound_proxy:" },
	{ "[trunk.x]\nproxy = sips:pbx\n", "[trunk.x] transport: a sips: proxy needs transport = tls" },
	{ "[trunk.x]\nproxy = sip:pbx\ntransport = sctp\n", "[trunk.x] transport: 'sctp' is not one of udp|tcp|tls" },
	{ "[trunk.x]\nproxy = sip:pbx\ncodecs = PCMU OPUS\n",
	  "[trunk.x] codecs: 'OPUS' is not one of PCMU|PCMA|G722" },
	{ "[trunk.x]\nproxy = sip:pbx\ncodecs = ,\n", "[trunk.x] codecs: needs at least one of PCMU|PCMA|G722" },
	{ "[trunk.x]\nproxy = sip:pbx\ncodecs = PCMU,pcmu\n", "[trunk.x] codecs: 'pcmu' is listed twice" },
	{ "[trunk.x]\nproxy = sip:pbx\nregister = true\nusername = alice\n",
	  "[trunk.x] register: needs username and password" },
	{ "[trunk.x]\nproxy = sip:pbx\nregister = true\npassword = s3cret\n",
	  "[trunk.x] register: needs username and password" },
	{ "[trunk.x]\nproxy = sip:pbx\nregister_expires = 10\n",
	  "[trunk.x] register_expires: 10 is out of range (60 to 86400)" },
	{ "[trunk.x]\nproxy = sip:pbx\nprefix = 9a\n", "[trunk.x] prefix: '9a' may hold only digits" },
	{ "[trunk.x]\nproxy = sip:pbx\nplus = drop\n", "[trunk.x] plus: 'drop' is not one of keep|strip|00" },
	{ "[trunk.x]\nproxy = sip:pbx\ndtmf = inband\n", "[trunk.x] dtmf: 'inband' is not one of rfc4733|info" },
	{ "[trunk.x]\nproxy = sip:pbx\nallowed_networks = 10.0.0.0/40\n",
	  "[trunk.x] allowed_networks: '10.0.0.0/40' is not a network" },
	{ "[trunk.x]\nproxy = sip:pbx\ninbound_username = pbx\n",
	  "[trunk.x] inbound_username: inbound_username and inbound_password go together" },
	{ "[trunk.x]\nproxy = sip:pbx\ninbound_password = s3cret\n",
	  "[trunk.x] inbound_username: inbound_username and inbound_password go together" },
	{ "[trunk.a]\nproxy = sip:pbx\ninbound_username = pbx\ninbound_password = one\n"
	  "[trunk.b]\nproxy = sip:pbx2\ninbound_username = pbx\ninbound_password = two\n",
	  "[trunk.b] inbound_username: 'pbx' is already the inbound_username of [trunk.a]" },
	/* [route] and [dids] */
	{ "[route]\n+44 = uk\n", "[route] +44: no trunk named 'uk'" },
	{ "[route]\ndefault = carrier\n", "[route] default: no trunk named 'carrier'" },
	{ "[trunk.t]\nproxy = sip:pbx\n[route]\n44x = t\n", "[route] 44x: not a number prefix" },
	{ "[trunk.t]\nproxy = sip:pbx\n[route]\n4+4 = t\n", "[route] 4+4: not a number prefix" },
	{ "[trunk.t]\nproxy = sip:pbx\n[route]\n123456789012345678901234567890123 = t\n",
	  "[route] 123456789012345678901234567890123: not a number prefix" },
	{ "[trunk.t]\nproxy = sip:pbx\n[route]\n+1 =\n", "[route] +1: needs a trunk name" },
	{ "[trunk.t]\nproxy = sip:pbx\n[route]\n+1 = t backup\n", "[route] +1: no trunk named 'backup'" },
	{ "[trunk.t]\nproxy = sip:pbx\n[route]\ndefault = t,t\n", "[route] default: trunk 't' named twice" },
	{ "[dids]\na@b = alice\n", "[dids] a@b: not a number or name" },
	{ "[trunk.x]\nproxy = sip:pbx\npassword = a\\qb\n", "[trunk.x] password: " },
	{ "[dids]\n+15551230000 =\n", "[dids] +15551230000: needs a browser user name" },
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

static void sample_has_keys(const char *gen, const struct gw_conf_key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *line = keys[i].type == GW_CONF_MAP ? g_strdup_printf("\n#%s\n", keys[i].def) :
			g_strdup_printf("\n#%s = %s\n", keys[i].key, keys[i].def);

		ck_assert_msg(strstr(gen, line), "sample lacks %s.%s", keys[i].group, keys[i].key);
		g_free(line);
	}
}

START_TEST(test_config_sample_file_matches_the_table)
{
	char *path = g_build_filename(g_getenv("GW_TEST_SRCDIR"), "conf", "rtcsipd.conf.sample", NULL);
	char *file = NULL, *gen = gw_config_sample();

	ck_assert_msg(g_file_get_contents(path, &file, NULL, NULL), "cannot read %s", path);
	ck_assert_msg(!strcmp(file, gen),
		      "conf/rtcsipd.conf.sample is stale: regenerate with rtcsipd --print-sample-config");
	/* and every key of every table is in it */
	sample_has_keys(gen, gw_conf_keys, gw_conf_nkeys);
	sample_has_keys(gen, gw_trunk_keys, gw_trunk_nkeys);
	sample_has_keys(gen, gw_map_keys, gw_map_nkeys);
	ck_assert_ptr_nonnull(strstr(gen, "\n#[trunk.NAME]\n#"));
	ck_assert_ptr_nonnull(strstr(gen, "\n[route]\n"));
	ck_assert_ptr_nonnull(strstr(gen, "\n#+44 = uk carrier\n"));
	ck_assert_ptr_nonnull(strstr(gen, "\n[dids]\n"));
	ck_assert_ptr_nonnull(strstr(gen, "\n#+15551230000 = alice\n"));
	/* in the order of the file: [sip], then trunks, then [route], then [dids] */
	ck_assert(strstr(gen, "\n[sip]\n") < strstr(gen, "#[trunk.NAME]"));
	ck_assert(strstr(gen, "#[trunk.NAME]") < strstr(gen, "\n[route]\n"));
	ck_assert(strstr(gen, "\n[route]\n") < strstr(gen, "\n[dids]\n"));
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
		      "README.md's configuration table is stale: run contrib/update-config-docs.sh");
	for (size_t i = 0; i < gw_trunk_nkeys; i++) {
		char *row = g_strdup_printf("\n| `trunk.NAME.%s` | ", gw_trunk_keys[i].key);

		ck_assert_msg(strstr(ref, row), "reference lacks trunk key %s", gw_trunk_keys[i].key);
		g_free(row);
	}
	ck_assert_ptr_nonnull(strstr(ref, "\n| `sip.session_expires` | int 0-86400 | `1800` |"));
	ck_assert_ptr_nonnull(strstr(ref, "\n| `route.default` | "));
	ck_assert_ptr_nonnull(strstr(ref, "\n| `route.PREFIX` | trunk names | | "));
	ck_assert_ptr_nonnull(strstr(ref, "\n| `dids.NUMBER` | browser user | | "));
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
	const struct gw_trunk_config *t;
	int rc = gw_config_load(path, &cfg, &errors);

	ck_assert_msg(rc == 0, "%s", errors ? errors[0] : "");
	ck_assert(cfg->echo_enabled);
	ck_assert_str_eq(cfg->sip_listen, "127.0.0.1:5060");
	/* the local test trunk, and every call from the browser goes there */
	t = gw_config_trunk(cfg, "local");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->proxy, "sip:127.0.0.1:5080");
	ck_assert(!t->registration);
	ck_assert_int_eq(t->options_interval, 30);
	ck_assert_str_eq(t->allowed_networks, "127.0.0.0/8");
	ck_assert_str_eq(t->codecs, "PCMU PCMA");
	ck_assert_str_eq(cfg->route_default, "local");
	gw_config_free(cfg);
	g_free(path);
}
END_TEST

START_TEST(test_config_sample_file_loads_as_a_config)
{
	char *path = g_build_filename(g_getenv("GW_TEST_SRCDIR"), "conf", "rtcsipd.conf.sample", NULL);
	char **errors = NULL;
	struct gw_config *cfg = NULL;
	int rc = gw_config_load(path, &cfg, &errors);

	ck_assert_msg(rc == 0, "%s", errors ? errors[0] : "");
	ck_assert_uint_eq(cfg->trunks->len, 0);
	gw_config_free(cfg);
	g_free(path);
}
END_TEST

START_TEST(test_config_sip_keys_parse_and_default)
{
	struct gw_config *cfg = NULL;
	char *err = load_errors("[sip]\nlisten = 127.0.0.2:5070\npublic_ip = 192.0.2.10\n"
				"rtp_port_range = 30000-30999\nsession_expires = 90\n"
				"accept_refer = true\ntrace = yes\nuser_agent = gw-test\n", &cfg);
	uint16_t lo, hi;

	ck_assert_msg(err == NULL, "%s", err);
	ck_assert_str_eq(cfg->sip_listen, "127.0.0.2:5070");
	ck_assert_str_eq(cfg->sip_public_ip, "192.0.2.10");
	ck_assert_int_eq(gw_config_split_portrange(cfg->sip_rtp_port_range, &lo, &hi), 0);
	ck_assert_uint_eq(lo, 30000);
	ck_assert_uint_eq(hi, 30999);
	ck_assert_int_eq(cfg->sip_session_expires, 90);
	ck_assert(cfg->sip_accept_refer);
	ck_assert(cfg->sip_trace);
	ck_assert_str_eq(cfg->sip_user_agent, "gw-test");
	/* untouched keys keep the table's defaults */
	ck_assert_str_eq(cfg->sip_tls_listen, "127.0.0.1:5061");
	ck_assert_str_eq(cfg->sip_tls_cert, "");
	ck_assert_int_eq(cfg->sip_max_calls, 1000);
	ck_assert_int_eq(cfg->sip_ring_timeout, 60);
	ck_assert_str_eq(cfg->sip_domain, "");
	gw_config_free(cfg);

	/* 0 switches the session timer off; a wildcard listen is fine with rtp_address */
	err = load_errors("[sip]\nsession_expires = 0\nlisten = 0.0.0.0:5060\nrtp_address = 192.0.2.1\n"
			  "[auth]\nallow_insecure = true\n", &cfg);
	ck_assert_msg(err == NULL, "%s", err);
	ck_assert_int_eq(cfg->sip_session_expires, 0);
	gw_config_free(cfg);
}
END_TEST

START_TEST(test_config_trunk_parses_every_key)
{
	struct gw_config *cfg = NULL;
	const struct gw_trunk_config *t;
	char *err = load_errors("[trunk.carrier-1]\n"
				"proxy = sips:sip.carrier.example:5061\n"
				"outbound_proxy = sip:192.0.2.7;lr\n"
				"transport = tls\n"
				"username = 4420700\n"
				"password = s3cr=t;x\\\\y\n"
				"auth_username = auth-4420700\n"
				"from_user = +442070000000\n"
				"from_domain = carrier.example\n"
				"register = true\n"
				"register_expires = 600\n"
				"options_interval = 0\n"
				"codecs = g722, pcmu,PCMA\n"
				"dtmf = info\n"
				"allowed_networks = 192.0.2.0/24, 2001:db8::/32\n"
				"inbound_username = pbx-in\n"
				"inbound_password = in s3cret\n"
				"symmetric_rtp = true\n"
				"plus = 00\n"
				"prefix = *31#\n", &cfg);

	ck_assert_msg(err == NULL, "%s", err);
	ck_assert_uint_eq(cfg->trunks->len, 1);
	t = gw_config_trunk(cfg, "carrier-1");
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_eq(t, g_ptr_array_index(cfg->trunks, 0));
	ck_assert_str_eq(t->name, "carrier-1");
	ck_assert_str_eq(t->proxy, "sips:sip.carrier.example:5061");
	ck_assert_str_eq(t->outbound_proxy, "sip:192.0.2.7;lr");
	ck_assert_str_eq(t->transport, "tls");
	ck_assert_str_eq(t->username, "4420700");
	ck_assert_str_eq(t->password, "s3cr=t;x\\y"); /* \\ in the file is one backslash */
	ck_assert_str_eq(t->auth_username, "auth-4420700");
	ck_assert_str_eq(t->from_user, "+442070000000");
	ck_assert_str_eq(t->from_domain, "carrier.example");
	ck_assert(t->registration);
	ck_assert_int_eq(t->register_expires, 600);
	ck_assert_int_eq(t->options_interval, 0);
	/* the codec list comes back in the table's spelling, order kept */
	ck_assert_str_eq(t->codecs, "G722 PCMU PCMA");
	ck_assert_str_eq(t->dtmf, "info");
	ck_assert_str_eq(t->allowed_networks, "192.0.2.0/24, 2001:db8::/32");
	ck_assert_str_eq(t->inbound_username, "pbx-in");
	ck_assert_str_eq(t->inbound_password, "in s3cret");
	ck_assert(t->symmetric_rtp);
	ck_assert_str_eq(t->plus, "00");
	ck_assert_str_eq(t->prefix, "*31#");
	ck_assert_ptr_null(gw_config_trunk(cfg, "carrier"));
	gw_config_free(cfg);
}
END_TEST

START_TEST(test_config_trunk_takes_table_defaults)
{
	struct gw_config *cfg = NULL;
	const struct gw_trunk_config *t;
	char *err = load_errors("[trunk.pbx]\nproxy = sip:[::1]:5080\n", &cfg);

	ck_assert_msg(err == NULL, "%s", err);
	t = gw_config_trunk(cfg, "pbx");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->proxy, "sip:[::1]:5080");
	ck_assert_str_eq(t->outbound_proxy, "");
	ck_assert_str_eq(t->transport, "udp");
	ck_assert_str_eq(t->username, "");
	ck_assert_str_eq(t->password, "");
	ck_assert(!t->registration);
	ck_assert_int_eq(t->register_expires, 3600);
	ck_assert_int_eq(t->options_interval, 30);
	ck_assert_str_eq(t->codecs, "PCMU PCMA");
	ck_assert_str_eq(t->dtmf, "rfc4733");
	/* no inbound calls from a trunk unless its networks are named */
	ck_assert_str_eq(t->allowed_networks, "");
	ck_assert_str_eq(t->inbound_username, "");
	ck_assert_str_eq(t->inbound_password, "");
	ck_assert(!t->symmetric_rtp);
	ck_assert_str_eq(t->plus, "keep");
	ck_assert_str_eq(t->prefix, "");
	ck_assert_str_eq(cfg->route_default, "");
	gw_config_free(cfg);
}
END_TEST

START_TEST(test_config_trunks_keep_file_order)
{
	struct gw_config *cfg = NULL;
	char *err = load_errors("[trunk.zeta]\nproxy = sip:pbx.example\n"
				"[trunk.alpha]\nproxy = sip:10.0.0.1;transport=tcp\ntransport = tcp\n"
				"[trunk.mid_2]\nproxy = sips:[2001:db8::1]\ntransport = tls\n", &cfg);

	ck_assert_msg(err == NULL, "%s", err);
	ck_assert_uint_eq(cfg->trunks->len, 3);
	ck_assert_str_eq(((struct gw_trunk_config *)g_ptr_array_index(cfg->trunks, 0))->name, "zeta");
	ck_assert_str_eq(((struct gw_trunk_config *)g_ptr_array_index(cfg->trunks, 1))->name, "alpha");
	ck_assert_str_eq(((struct gw_trunk_config *)g_ptr_array_index(cfg->trunks, 2))->name, "mid_2");
	gw_config_free(cfg);
}
END_TEST

START_TEST(test_config_bad_trunk_value_does_not_also_hide_the_trunk)
{
	/* one mistake, one line: the route to the broken trunk is not "unknown" */
	char *err = load_errors("[trunk.uk]\nproxy = sip:pbx\ncodecs = OPUS\n[route]\n+44 = uk\n", NULL);

	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_nonnull(strstr(err, "[trunk.uk] codecs: 'OPUS'"));
	ck_assert_msg(!strchr(err, '\n'), "more than one error: %s", err);
	g_free(err);
}
END_TEST

static const char *route_prefix(const struct gw_config *cfg, guint i)
{
	return ((struct gw_route *)g_ptr_array_index(cfg->routes, i))->prefix;
}

static const char *route_trunk(const struct gw_config *cfg, guint i)
{
	return ((struct gw_route *)g_ptr_array_index(cfg->routes, i))->trunk;
}

START_TEST(test_config_routes_sorted_longest_prefix_first)
{
	struct gw_config *cfg = NULL;
	char *err = load_errors("[trunk.uk]\nproxy = sip:uk.example\n"
				"[trunk.london]\nproxy = sip:ldn.example\n"
				"[trunk.intl]\nproxy = sip:intl.example\n"
				"[route]\n+44 = uk\n00 = intl\ndefault = intl\n+4420 = london\n*9 = uk\n+ = intl\n",
				&cfg);

	ck_assert_msg(err == NULL, "%s", err);
	ck_assert_str_eq(cfg->route_default, "intl");
	/* "default" is not a prefix rule */
	ck_assert_uint_eq(cfg->routes->len, 5);
	ck_assert_str_eq(route_prefix(cfg, 0), "+4420");
	ck_assert_str_eq(route_trunk(cfg, 0), "london");
	ck_assert_str_eq(route_prefix(cfg, 1), "+44");
	ck_assert_str_eq(route_trunk(cfg, 1), "uk");
	ck_assert_uint_eq(strlen(route_prefix(cfg, 2)), 2); /* "*9" and "00" */
	ck_assert_uint_eq(strlen(route_prefix(cfg, 3)), 2);
	ck_assert_str_eq(route_prefix(cfg, 4), "+");
	for (guint i = 0; i < cfg->routes->len; i++)
		ck_assert_ptr_nonnull(gw_config_trunk(cfg, route_trunk(cfg, i)));
	gw_config_free(cfg);
}
END_TEST

START_TEST(test_config_route_default_names_a_trunk)
{
	struct gw_config *cfg = NULL;
	char *err = load_errors("[route]\ndefault = carrier\n[trunk.carrier]\nproxy = sip:192.0.2.1\n", &cfg);

	/* [route] may come before the trunk it names */
	ck_assert_msg(err == NULL, "%s", err);
	ck_assert_str_eq(cfg->route_default, "carrier");
	ck_assert_uint_eq(cfg->routes->len, 0);
	ck_assert_ptr_nonnull(gw_config_trunk(cfg, cfg->route_default));
	gw_config_free(cfg);
}
END_TEST

START_TEST(test_config_dids_map_numbers_to_users)
{
	struct gw_config *cfg = NULL;
	char *err = load_errors("[dids]\n+15551230000 = alice\n02079460000 = bob\n*99# = carol\n"
				"sales-desk = dave\n", &cfg);

	ck_assert_msg(err == NULL, "%s", err);
	ck_assert_uint_eq(g_hash_table_size(cfg->dids), 4);
	ck_assert_str_eq(g_hash_table_lookup(cfg->dids, "+15551230000"), "alice");
	ck_assert_str_eq(g_hash_table_lookup(cfg->dids, "02079460000"), "bob");
	ck_assert_str_eq(g_hash_table_lookup(cfg->dids, "*99#"), "carol");
	ck_assert_str_eq(g_hash_table_lookup(cfg->dids, "sales-desk"), "dave");
	ck_assert_ptr_null(g_hash_table_lookup(cfg->dids, "15551230000"));
	gw_config_free(cfg);
}
END_TEST

START_TEST(test_config_sip_tables_empty_not_null_when_absent)
{
	struct gw_config *cfg = NULL, *def = gw_config_defaults();
	char *err = load_errors("[general]\nstate_dir = /tmp/x\n", &cfg);

	ck_assert_msg(err == NULL, "%s", err);
	for (int i = 0; i < 2; i++) {
		struct gw_config *c = i ? def : cfg;

		ck_assert_ptr_nonnull(c->trunks);
		ck_assert_uint_eq(c->trunks->len, 0);
		ck_assert_ptr_nonnull(c->routes);
		ck_assert_uint_eq(c->routes->len, 0);
		ck_assert_str_eq(c->route_default, "");
		ck_assert_ptr_nonnull(c->dids);
		ck_assert_uint_eq(g_hash_table_size(c->dids), 0);
		ck_assert_str_eq(c->sip_listen, "127.0.0.1:5060");
		ck_assert_ptr_null(gw_config_trunk(c, "local"));
	}
	gw_config_free(cfg);
	gw_config_free(def);
}
END_TEST

START_TEST(test_config_key_parse_refuses_and_keeps_field)
{
	const struct gw_conf_key *k = NULL;
	struct gw_trunk_config t = { .codecs = g_strdup("PCMA") };
	char *reason = NULL;

	for (size_t i = 0; i < gw_trunk_nkeys; i++)
		if (!strcmp(gw_trunk_keys[i].key, "codecs"))
			k = &gw_trunk_keys[i];
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(gw_config_key_parse(k, &t, "AMR", NULL, &reason), EINVAL);
	ck_assert_ptr_nonnull(strstr(reason, "'AMR'"));
	ck_assert_str_eq(t.codecs, "PCMA");
	g_free(reason);
	ck_assert_int_eq(gw_config_key_parse(k, &t, "pcmu g722", NULL, &reason), 0);
	ck_assert_str_eq(t.codecs, "PCMU G722");
	g_free(t.codecs);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_test(tc, test_config_defaults_are_valid_and_typed);
	tcase_add_test(tc, test_config_values_parse_into_fields);
	tcase_add_loop_test(tc, test_config_refuses_each_kind_of_invalid, 0, G_N_ELEMENTS(bad));
	tcase_add_test(tc, test_config_reports_every_error_not_just_the_first);
	tcase_add_test(tc, test_config_insecure_listen_allowed_when_said_so);
	tcase_add_test(tc, test_config_sample_file_matches_the_table);
	tcase_add_test(tc, test_config_readme_reference_matches_the_table);
	tcase_add_test(tc, test_config_relative_file_name_resolves_paths);
	tcase_add_test(tc, test_config_shipped_file_is_valid);
	tcase_add_test(tc, test_config_sample_file_loads_as_a_config);
	tcase_add_test(tc, test_config_sip_keys_parse_and_default);
	tcase_add_test(tc, test_config_trunk_parses_every_key);
	tcase_add_test(tc, test_config_trunk_takes_table_defaults);
	tcase_add_test(tc, test_config_trunks_keep_file_order);
	tcase_add_test(tc, test_config_bad_trunk_value_does_not_also_hide_the_trunk);
	tcase_add_test(tc, test_config_routes_sorted_longest_prefix_first);
	tcase_add_test(tc, test_config_route_default_names_a_trunk);
	tcase_add_test(tc, test_config_dids_map_numbers_to_users);
	tcase_add_test(tc, test_config_sip_tables_empty_not_null_when_absent);
	tcase_add_test(tc, test_config_key_parse_refuses_and_keeps_field);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
