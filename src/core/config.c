/* config.c — load the configuration file and describe it (see gw/config.h).
 *
 * Control loop only; the loaded struct gw_config is read-only afterwards and
 * owns everything it points to: its strings, the trunks (struct
 * gw_trunk_config, one per [trunk.NAME]), the [route] rules and the [dids]
 * table.  The key tables and what a value of each type may be are in
 * config_table.c; this file walks the groups (fixed ones, [trunk.NAME],
 * [route], [dids]), checks the rules between keys, and prints the sample
 * file and the README reference from the same tables.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>
#include "gw/config.h"

#define FIELD(base, k, type) ((type *)((char *)(base) + (k)->offset))

#define DIAL_CHARS "0123456789*#"
#define ROUTE_PREFIX_MAX 32

/* One load in progress: where errors go and what they name. */
struct loader {
	GKeyFile *kf;
	const char *file;
	char *dir;               /* folder of the file, for relative paths */
	struct gw_config *cfg;
	GPtrArray *errs;         /* "FILE: [group] key: what is wrong" */
};

static void add_error(struct loader *ld, const char *group, const char *key, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

static void add_error(struct loader *ld, const char *group, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (key)
		g_ptr_array_add(ld->errs, g_strdup_printf("%s: [%s] %s: %s", ld->file, group, key, msg));
	else
		g_ptr_array_add(ld->errs, g_strdup_printf("%s: [%s]: %s", ld->file, group, msg));
	g_free(msg);
}

/* The row of @keys for @key in @group; documentation rows never match. */
static const struct gw_conf_key *key_find(const struct gw_conf_key *keys, size_t n,
					  const char *group, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (keys[i].type != GW_CONF_MAP && !strcmp(keys[i].group, group) &&
		    !strcmp(keys[i].key, key))
			return &keys[i];
	return NULL;
}

static bool group_known(const char *group)
{
	for (size_t i = 0; i < gw_conf_nkeys; i++)
		if (!strcmp(gw_conf_keys[i].group, group))
			return true;
	return false;
}

static bool only_chars(const char *s, const char *allowed)
{
	return s[strspn(s, allowed)] == '\0';
}

/* The address of "host:port" when host is an IP address, else NULL. */
static GInetAddress *hostport_address(const char *hostport)
{
	char *host = NULL;
	uint16_t port;
	GInetAddress *a;

	if (gw_config_split_hostport(hostport, &host, &port))
		return NULL;
	a = g_inet_address_new_from_string(host);
	g_free(host);
	return a;
}

static void set_defaults(void *base, const struct gw_conf_key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *reason = NULL;

		if (keys[i].type == GW_CONF_MAP)
			continue;
		/* defaults are valid by construction (tested) */
		if (gw_config_key_parse(&keys[i], base, keys[i].def, NULL, &reason))
			g_error("config default of %s.%s: %s", keys[i].group, keys[i].key, reason);
	}
}

static void free_fields(void *base, const struct gw_conf_key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keys[i].type != GW_CONF_BOOL && keys[i].type != GW_CONF_INT &&
		    keys[i].type != GW_CONF_MAP)
			g_free(*FIELD(base, &keys[i], char *));
}

static void trunk_free(void *p)
{
	struct gw_trunk_config *t = p;

	free_fields(t, gw_trunk_keys, gw_trunk_nkeys);
	g_free(t->name);
	g_free(t);
}

static void route_free(void *p)
{
	struct gw_route *r = p;

	g_free(r->prefix);
	g_free(r->trunk);
	g_free(r);
}

struct gw_config *gw_config_defaults(void)
{
	struct gw_config *cfg = g_new0(struct gw_config, 1);

	set_defaults(cfg, gw_conf_keys, gw_conf_nkeys);
	set_defaults(cfg, gw_map_keys, gw_map_nkeys);
	cfg->trunks = g_ptr_array_new_with_free_func(trunk_free);
	cfg->routes = g_ptr_array_new_with_free_func(route_free);
	cfg->dids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return cfg;
}

void gw_config_free(struct gw_config *cfg)
{
	if (!cfg)
		return;
	free_fields(cfg, gw_conf_keys, gw_conf_nkeys);
	free_fields(cfg, gw_map_keys, gw_map_nkeys);
	g_ptr_array_unref(cfg->trunks);
	g_ptr_array_unref(cfg->routes);
	g_hash_table_unref(cfg->dids);
	g_free(cfg->file);
	g_free(cfg);
}

const struct gw_trunk_config *gw_config_trunk(const struct gw_config *cfg, const char *name)
{
	for (guint i = 0; i < cfg->trunks->len; i++) {
		const struct gw_trunk_config *t = g_ptr_array_index(cfg->trunks, i);

		if (!strcmp(t->name, name))
			return t;
	}
	return NULL;
}

static bool host_is_loopback(const char *hostport)
{
	GInetAddress *a = hostport_address(hostport);
	char *host = NULL;
	uint16_t port;
	bool lo = false;

	if (a) {
		lo = g_inet_address_get_is_loopback(a);
		g_object_unref(a);
	} else if (!gw_config_split_hostport(hostport, &host, &port)) {
		lo = !g_ascii_strcasecmp(host, "localhost");
		g_free(host);
	}
	return lo;
}

/* [sip] rules between keys. */
static void check_sip(struct loader *ld, const struct gw_config *cfg)
{
	GInetAddress *listen = hostport_address(cfg->sip_listen);

	if (!*cfg->sip_tls_cert != !*cfg->sip_tls_key)
		add_error(ld, "sip", "tls_cert", "sip.tls_cert and sip.tls_key go together");
	/* Sofia binds the host as given; a name would be resolved once, silently. */
	if (!listen)
		add_error(ld, "sip", "listen", "'%s' needs an IP address as host", cfg->sip_listen);
	else if (g_inet_address_get_is_any(listen) && !*cfg->sip_rtp_address && !*cfg->sip_public_ip)
		add_error(ld, "sip", "listen", "%s is a wildcard address: set sip.rtp_address or "
			  "sip.public_ip (SDP needs a real address)", cfg->sip_listen);
	if (*cfg->sip_tls_cert) {
		GInetAddress *tls = hostport_address(cfg->sip_tls_listen);

		if (!tls)
			add_error(ld, "sip", "tls_listen", "'%s' needs an IP address as host",
				  cfg->sip_tls_listen);
		g_clear_object(&tls);
	}
	/* RFC 4028 section 4: Min-SE is never below 90 seconds. */
	if (cfg->sip_session_expires > 0 && cfg->sip_session_expires < 90)
		add_error(ld, "sip", "session_expires", "%d is below the RFC 4028 minimum of 90 "
			  "seconds (0 = off)", cfg->sip_session_expires);
	g_clear_object(&listen);
}

/* Rules between keys (DESIGN section 8: secure by default). */
static void check_cross(struct loader *ld, const struct gw_config *cfg)
{
	if (!strcmp(cfg->auth_mode, "none") && !cfg->auth_allow_insecure &&
	    !host_is_loopback(cfg->signal_listen))
		add_error(ld, "auth", "mode", "'none' on non-loopback signal.listen %s is refused "
			  "(use jwt, or set auth.allow_insecure = true)", cfg->signal_listen);
	if (!strcmp(cfg->auth_mode, "jwt") && strlen(cfg->auth_jwt_secret) < 32)
		add_error(ld, "auth", "jwt_secret", "must be at least 32 characters with auth.mode = jwt");
	if (!*cfg->signal_cert != !*cfg->signal_key)
		add_error(ld, "signal", "cert", "signal.cert and signal.key go together");
	if (!*cfg->dtls_cert != !*cfg->dtls_key)
		add_error(ld, "dtls", "cert", "dtls.cert and dtls.key go together");
	if (*cfg->ice_turn_server && (!*cfg->ice_turn_user || !*cfg->ice_turn_password))
		add_error(ld, "ice", "turn_server", "needs ice.turn_user and ice.turn_password");
	if (!*cfg->ice_local_addresses)
		add_error(ld, "ice", "local_addresses", "at least one address is needed");
	check_sip(ld, cfg);
}

/* The value of @group.@key, trimmed; NULL (error added) when unreadable. */
static char *get_value(struct loader *ld, const char *group, const char *key)
{
	GError *gerr = NULL;
	char *v = g_key_file_get_string(ld->kf, group, key, &gerr);

	/* GLib may return the raw value *and* an error (a bad escape) */
	if (gerr) {
		add_error(ld, group, key, "%s (a backslash starts an escape: write \\\\ for one)",
			  gerr->message);
		g_error_free(gerr);
		g_free(v);
		return NULL;
	}
	return g_strstrip(v);
}

/* Every key of @group through the rows of @keys named @table_group. */
static void load_keys(struct loader *ld, const char *group, void *base, const char *table_group,
		      const struct gw_conf_key *keys, size_t n)
{
	char **names = g_key_file_get_keys(ld->kf, group, NULL, NULL);

	for (char **k = names; k && *k; k++) {
		const struct gw_conf_key *def = key_find(keys, n, table_group, *k);
		char *v, *msg = NULL;

		if (!def) {
			add_error(ld, group, *k, "unknown key");
			continue;
		}
		if (!(v = get_value(ld, group, *k)))
			continue;
		if (gw_config_key_parse(def, base, v, ld->dir, &msg))
			add_error(ld, group, *k, "%s", msg);
		g_free(msg);
		g_free(v);
	}
	g_strfreev(names);
}

/* [trunk.NAME]: a trunk with the table's defaults, then the file's keys. */
static void load_trunk(struct loader *ld, const char *group)
{
	const char *name = group[5] == '.' ? group + 6 : "";
	struct gw_trunk_config *t;
	guint errs_before = ld->errs->len;

	if (!*name) {
		add_error(ld, group, NULL, "a trunk section needs a name: [trunk.NAME]");
		return;
	}
	if (!only_chars(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")) {
		add_error(ld, group, NULL, "trunk name '%s' may hold only letters, digits, '-' and '_'", name);
		return;
	}
	t = g_new0(struct gw_trunk_config, 1);
	t->name = g_strdup(name);
	set_defaults(t, gw_trunk_keys, gw_trunk_nkeys);
	g_ptr_array_add(ld->cfg->trunks, t);
	load_keys(ld, group, t, "trunk.*", gw_trunk_keys, gw_trunk_nkeys);
	if (ld->errs->len != errs_before)
		return; /* a bad value already said what is wrong */
	if (!*t->proxy)
		add_error(ld, group, "proxy", "required (sip:host[:port] of the peer)");
	else if (!g_ascii_strncasecmp(t->proxy, "sips:", 5) && strcmp(t->transport, "tls"))
		add_error(ld, group, "transport", "a sips: proxy needs transport = tls");
	if (t->registration && (!*t->username || !*t->password))
		add_error(ld, group, "register", "needs username and password");
	if (!*t->inbound_username != !*t->inbound_password)
		add_error(ld, group, "inbound_username", "inbound_username and inbound_password "
			  "go together");
	/* The digest user name picks the trunk of an authenticated INVITE. */
	for (guint i = 0; *t->inbound_username && i + 1 < ld->cfg->trunks->len; i++) {
		const struct gw_trunk_config *o = g_ptr_array_index(ld->cfg->trunks, i);

		if (o->inbound_username && !strcmp(o->inbound_username, t->inbound_username))
			add_error(ld, group, "inbound_username", "'%s' is already the "
				  "inbound_username of [trunk.%s]", t->inbound_username, o->name);
	}
}

/* "+44", "0044", "*9": an optional '+', then digits, '*' and '#'. */
static bool route_prefix_ok(const char *p)
{
	size_t len = strlen(p);

	return len > 0 && len <= ROUTE_PREFIX_MAX && only_chars(p + (p[0] == '+'), DIAL_CHARS);
}

/* [route]: "default" through the table, every other key a prefix rule. */
static void load_routes(struct loader *ld, const char *group)
{
	char **names = g_key_file_get_keys(ld->kf, group, NULL, NULL);

	for (char **k = names; k && *k; k++) {
		const struct gw_conf_key *def = key_find(gw_map_keys, gw_map_nkeys, group, *k);
		struct gw_route *r;
		char *v, *msg = NULL;

		if (!(v = get_value(ld, group, *k)))
			continue;
		if (def) {
			if (gw_config_key_parse(def, ld->cfg, v, ld->dir, &msg))
				add_error(ld, group, *k, "%s", msg);
			g_free(msg);
		} else if (!route_prefix_ok(*k)) {
			add_error(ld, group, *k, "not a number prefix (an optional '+', then digits, "
				  "'*', '#'; at most %d characters)", ROUTE_PREFIX_MAX);
		} else if (!*v) {
			add_error(ld, group, *k, "needs a trunk name");
		} else {
			r = g_new0(struct gw_route, 1);
			r->prefix = g_strdup(*k);
			r->trunk = g_steal_pointer(&v);
			g_ptr_array_add(ld->cfg->routes, r);
		}
		g_free(v);
	}
	g_strfreev(names);
}

/* [dids]: number as dialled -> browser user. */
static void load_dids(struct loader *ld, const char *group)
{
	char **names = g_key_file_get_keys(ld->kf, group, NULL, NULL);

	for (char **k = names; k && *k; k++) {
		char *v;

		if (!only_chars(*k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"0123456789+*#-_.")) {
			add_error(ld, group, *k, "not a number or name ('+', digits, '*', '#', "
				  "letters, '-', '_', '.')");
			continue;
		}
		if (!(v = get_value(ld, group, *k)))
			continue;
		if (!*v) {
			add_error(ld, group, *k, "needs a browser user name");
			g_free(v);
			continue;
		}
		g_hash_table_replace(ld->cfg->dids, g_strdup(*k), v);
	}
	g_strfreev(names);
}

/* Longest prefix first, so the first match is the best one. */
static gint route_cmp(gconstpointer a, gconstpointer b)
{
	const struct gw_route *ra = *(struct gw_route *const *)a, *rb = *(struct gw_route *const *)b;
	size_t la = strlen(ra->prefix), lb = strlen(rb->prefix);

	if (la != lb)
		return la > lb ? -1 : 1;
	return strcmp(ra->prefix, rb->prefix);
}

char **gw_config_trunk_list(const char *value)
{
	char **names = g_strsplit_set(value ? value : "", " \t,", -1);
	guint n = 0;

	for (guint i = 0; names[i]; i++) {
		if (*names[i])
			names[n++] = names[i];
		else
			g_free(names[i]);
	}
	names[n] = NULL;
	return names;
}

/* Every trunk a [route] value names exists, once (checked once all
 * sections are read). */
static void check_route_trunks(struct loader *ld, struct gw_config *cfg, const char *key,
			       const char *value)
{
	char **names = gw_config_trunk_list(value);

	for (guint i = 0; names[i]; i++) {
		if (!gw_config_trunk(cfg, names[i]))
			add_error(ld, "route", key, "no trunk named '%s' (no [trunk.%s] section)",
				  names[i], names[i]);
		else if (g_strv_contains((const char *const *)names + i + 1, names[i]))
			add_error(ld, "route", key, "trunk '%s' named twice", names[i]);
	}
	g_strfreev(names);
}

static void check_routes(struct loader *ld, struct gw_config *cfg)
{
	check_route_trunks(ld, cfg, "default", cfg->route_default);
	for (guint i = 0; i < cfg->routes->len; i++) {
		const struct gw_route *r = g_ptr_array_index(cfg->routes, i);

		check_route_trunks(ld, cfg, r->prefix, r->trunk);
	}
	g_ptr_array_sort(cfg->routes, route_cmp);
}

static void load_groups(struct loader *ld)
{
	char **groups = g_key_file_get_groups(ld->kf, NULL);

	for (char **g = groups; *g; g++) {
		if (g_str_has_prefix(*g, "trunk") && ((*g)[5] == '\0' || (*g)[5] == '.'))
			load_trunk(ld, *g);
		else if (!strcmp(*g, "route"))
			load_routes(ld, *g);
		else if (!strcmp(*g, "dids"))
			load_dids(ld, *g);
		else if (group_known(*g))
			load_keys(ld, *g, ld->cfg, *g, gw_conf_keys, gw_conf_nkeys);
		else
			add_error(ld, *g, NULL, "unknown group");
	}
	g_strfreev(groups);
}

int gw_config_load(const char *file, struct gw_config **out, char ***errors)
{
	struct loader ld = { .kf = g_key_file_new(), .file = file, .errs = g_ptr_array_new() };
	GError *gerr = NULL;
	char *rel;
	int err = 0;

	if (!g_key_file_load_from_file(ld.kf, file, G_KEY_FILE_NONE, &gerr)) {
		g_ptr_array_add(ld.errs, g_strdup_printf("%s: %s", file, gerr->message));
		goto out;
	}
	ld.cfg = gw_config_defaults();
	ld.cfg->file = g_strdup(file);
	/* Relative paths in the file are relative to its folder; that folder
	 * itself may be given relative to the working directory. */
	rel = g_path_get_dirname(file);
	ld.dir = g_canonicalize_filename(rel, NULL);
	g_free(rel);
	load_groups(&ld);
	check_routes(&ld, ld.cfg);
	if (ld.errs->len == 0)
		check_cross(&ld, ld.cfg);
out:
	if (ld.errs->len) {
		err = EINVAL;
		g_ptr_array_add(ld.errs, NULL);
		*errors = (char **)g_ptr_array_free(ld.errs, FALSE);
		gw_config_free(ld.cfg);
	} else {
		g_ptr_array_free(ld.errs, TRUE);
		*out = ld.cfg;
	}
	if (gerr)
		g_error_free(gerr);
	g_free(ld.dir);
	g_key_file_free(ld.kf);
	return err;
}

enum gw_auth_mode gw_config_auth_mode(const struct gw_config *cfg)
{
	return strcmp(cfg->auth_mode, "jwt") ? GW_AUTH_NONE : GW_AUTH_JWT;
}

unsigned gw_config_media_threads(const struct gw_config *cfg)
{
	return cfg->media_threads > 0 ? (unsigned)cfg->media_threads : g_get_num_processors();
}

/* The type as the sample file and the README show it.  g_free. */
static char *type_name(const struct gw_conf_key *k)
{
	switch (k->type) {
	case GW_CONF_BOOL: return g_strdup("bool");
	case GW_CONF_INT: return g_strdup("int");
	case GW_CONF_STRING: return g_strdup("string");
	case GW_CONF_ENUM: return g_strdup(k->choices);
	case GW_CONF_ENUMLIST: return g_strdup_printf("list of %s", k->choices);
	case GW_CONF_PATH: return g_strdup("path");
	case GW_CONF_HOSTPORT: return g_strdup("host:port");
	case GW_CONF_PORTRANGE: return g_strdup("min-max");
	case GW_CONF_NETLIST: return g_strdup("networks");
	case GW_CONF_ADDRLIST: return g_strdup("addresses");
	case GW_CONF_ADDR: return g_strdup("address");
	case GW_CONF_SIPURI: return g_strdup("SIP URI");
	case GW_CONF_DIALSTRING: return g_strdup("digits, * and #");
	case GW_CONF_MAP: return g_strdup(k->choices);
	}
	return g_strdup("?");
}

/* The sample file shows a trunk section commented out, so that the sample
 * itself loads (a [trunk.NAME] without proxy would not). */
static const char trunk_intro[] =
	"\n# [trunk.NAME]: one section per SIP peer (carrier, PBX, SIP provider);\n"
	"# NAME holds letters, digits, '-' and '_'.  Copy the block below,\n"
	"# uncomment the header with a real NAME and set at least proxy.\n"
	"#[trunk.NAME]\n";

static void sample_rows(GString *s, const struct gw_conf_key *keys, size_t n, const char **group)
{
	for (size_t i = 0; i < n; i++) {
		const struct gw_conf_key *k = &keys[i];
		char *type = type_name(k), *range = k->type == GW_CONF_INT ?
			g_strdup_printf(", %ld-%ld", k->min, k->max) : g_strdup("");

		if (strcmp(*group, k->group)) {
			*group = k->group;
			if (!strcmp(k->group, "trunk.*"))
				g_string_append(s, trunk_intro);
			else
				g_string_append_printf(s, "\n[%s]\n", k->group);
		}
		if (k->type == GW_CONF_MAP)
			g_string_append_printf(s, "# %s = %s: %s\n#%s\n", k->key, type, k->help, k->def);
		else
			g_string_append_printf(s, "# %s (%s%s)\n#%s = %s\n", k->help, type, range, k->key, k->def);
		g_free(range);
		g_free(type);
	}
}

char *gw_config_sample(void)
{
	GString *s = g_string_new(
		"# rtcsipd.conf.sample — every key with its default and meaning.\n"
		"# Generated from the key table: rtcsipd --print-sample-config\n");
	const char *group = "";

	sample_rows(s, gw_conf_keys, gw_conf_nkeys, &group);
	sample_rows(s, gw_trunk_keys, gw_trunk_nkeys, &group);
	sample_rows(s, gw_map_keys, gw_map_nkeys, &group);
	return g_string_free(s, FALSE);
}

static void reference_rows(GString *s, const struct gw_conf_key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct gw_conf_key *k = &keys[i];
		char *type = g_strdelimit(type_name(k), "|", '/');
		const char *group = strcmp(k->group, "trunk.*") ? k->group : "trunk.NAME";

		if (k->type == GW_CONF_INT) {
			char *t = g_strdup_printf("%s %ld-%ld", type, k->min, k->max);

			g_free(type);
			type = t;
		}

		if (k->type == GW_CONF_MAP)
			g_string_append_printf(s, "| `%s.%s` | %s | | %s; e.g. `%s` |\n",
					       group, k->key, type, k->help, k->def);
		else
			g_string_append_printf(s, "| `%s.%s` | %s | `%s` | %s |\n",
					       group, k->key, type, k->def, k->help);
		g_free(type);
	}
}

char *gw_config_reference(void)
{
	GString *s = g_string_new("| key | type | default | meaning |\n|---|---|---|---|\n");

	reference_rows(s, gw_conf_keys, gw_conf_nkeys);
	reference_rows(s, gw_trunk_keys, gw_trunk_nkeys);
	reference_rows(s, gw_map_keys, gw_map_nkeys);
	return g_string_free(s, FALSE);
}
