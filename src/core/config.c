/* config.c — load, validate and describe the configuration (see gw/config.h).
 * Control loop only; the result is read-only afterwards. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>
#include "gw/config.h"

#define FIELD(cfg, k, type) ((type *)((char *)(cfg) + (k)->offset))

static const struct gw_conf_key *key_find(const char *group, const char *key)
{
	for (size_t i = 0; i < gw_conf_nkeys; i++)
		if (!strcmp(gw_conf_keys[i].group, group) && !strcmp(gw_conf_keys[i].key, key))
			return &gw_conf_keys[i];
	return NULL;
}

static bool group_known(const char *group)
{
	for (size_t i = 0; i < gw_conf_nkeys; i++)
		if (!strcmp(gw_conf_keys[i].group, group))
			return true;
	return false;
}

int gw_config_split_hostport(const char *s, char **host, uint16_t *port)
{
	const char *colon, *hbeg, *hend;
	char *end;
	long p;

	if (!s || !*s)
		return EINVAL;
	if (s[0] == '[') {
		hbeg = s + 1;
		hend = strchr(s, ']');
		if (!hend || hend[1] != ':')
			return EINVAL;
		colon = hend + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return EINVAL; /* bare IPv6 needs brackets */
		hbeg = s;
		hend = colon;
	}
	if (hend == hbeg)
		return EINVAL;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || p < 1 || p > 65535)
		return EINVAL;
	*host = g_strndup(hbeg, (gsize)(hend - hbeg));
	*port = (uint16_t)p;
	return 0;
}

int gw_config_split_portrange(const char *s, uint16_t *min, uint16_t *max)
{
	unsigned long a, b;
	char *end;

	if (!s || !*s) {
		*min = *max = 0;
		return 0;
	}
	a = strtoul(s, &end, 10);
	if (end == s || *end != '-')
		return EINVAL;
	s = end + 1;
	b = strtoul(s, &end, 10);
	if (end == s || *end || a < 1 || b > 65535 || a > b)
		return EINVAL;
	*min = (uint16_t)a;
	*max = (uint16_t)b;
	return 0;
}

static bool is_ip(const char *s)
{
	GInetAddress *a = g_inet_address_new_from_string(s);

	if (!a)
		return false;
	g_object_unref(a);
	return true;
}

/* Validate a comma-separated list; @masks selects "net/len" vs plain IPs. */
static char *check_list(const char *v, bool masks)
{
	char **items = g_strsplit(v, ",", -1);
	char *err = NULL;

	for (char **it = items; *it && !err; it++) {
		char *s = g_strstrip(*it);
		GInetAddressMask *m;

		if (!*s)
			continue;
		if (!masks) {
			if (!is_ip(s))
				err = g_strdup_printf("'%s' is not an IP address", s);
			continue;
		}
		m = g_inet_address_mask_new_from_string(s, NULL);
		if (!m)
			err = g_strdup_printf("'%s' is not a network (address/prefix)", s);
		else
			g_object_unref(m);
	}
	g_strfreev(items);
	return err;
}

static bool choice_ok(const char *choices, const char *v)
{
	char **c = g_strsplit(choices, "|", -1);
	bool ok = g_strv_contains((const char *const *)c, v);

	g_strfreev(c);
	return ok;
}

/* Parse @v for key @k into @cfg; returns NULL or an error message (g_free). */
static char *set_value(struct gw_config *cfg, const struct gw_conf_key *k, const char *v,
		       const char *basedir)
{
	char *end, *host = NULL;
	long n;
	uint16_t a, b;

	switch (k->type) {
	case GW_CONF_BOOL:
		if (!g_ascii_strcasecmp(v, "true") || !strcmp(v, "1") || !g_ascii_strcasecmp(v, "yes"))
			*FIELD(cfg, k, bool) = true;
		else if (!g_ascii_strcasecmp(v, "false") || !strcmp(v, "0") || !g_ascii_strcasecmp(v, "no"))
			*FIELD(cfg, k, bool) = false;
		else
			return g_strdup_printf("'%s' is not a boolean (true or false)", v);
		return NULL;
	case GW_CONF_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || end == v || *end)
			return g_strdup_printf("'%s' is not a whole number", v);
		if (n < k->min || n > k->max)
			return g_strdup_printf("%ld is out of range (%ld to %ld)", n, k->min, k->max);
		*FIELD(cfg, k, int) = (int)n;
		return NULL;
	case GW_CONF_ENUM:
		if (!choice_ok(k->choices, v))
			return g_strdup_printf("'%s' is not one of %s", v, k->choices);
		break;
	case GW_CONF_HOSTPORT:
		if (*v && gw_config_split_hostport(v, &host, &a))
			return g_strdup_printf("'%s' is not host:port (port 1-65535)", v);
		g_free(host);
		break;
	case GW_CONF_PORTRANGE:
		if (gw_config_split_portrange(v, &a, &b))
			return g_strdup_printf("'%s' is not a port range min-max (1-65535)", v);
		break;
	case GW_CONF_NETLIST:
	case GW_CONF_ADDRLIST: {
		char *err = check_list(v, k->type == GW_CONF_NETLIST);
		if (err)
			return err;
		break;
	}
	case GW_CONF_ADDR:
		if (*v && !is_ip(v))
			return g_strdup_printf("'%s' is not an IP address", v);
		break;
	case GW_CONF_PATH:
		if (*v && !g_path_is_absolute(v) && basedir) {
			g_free(*FIELD(cfg, k, char *));
			*FIELD(cfg, k, char *) = g_canonicalize_filename(v, basedir);
			return NULL;
		}
		break;
	case GW_CONF_STRING:
		break;
	}
	g_free(*FIELD(cfg, k, char *));
	*FIELD(cfg, k, char *) = g_strdup(v);
	return NULL;
}

struct gw_config *gw_config_defaults(void)
{
	struct gw_config *cfg = g_new0(struct gw_config, 1);

	for (size_t i = 0; i < gw_conf_nkeys; i++) {
		char *err = set_value(cfg, &gw_conf_keys[i], gw_conf_keys[i].def, NULL);

		g_assert(!err); /* defaults are valid by construction (tested) */
	}
	return cfg;
}

void gw_config_free(struct gw_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < gw_conf_nkeys; i++) {
		const struct gw_conf_key *k = &gw_conf_keys[i];

		if (k->type != GW_CONF_BOOL && k->type != GW_CONF_INT)
			g_free(*FIELD(cfg, k, char *));
	}
	g_free(cfg->file);
	g_free(cfg);
}

static bool host_is_loopback(const char *hostport)
{
	char *host = NULL;
	uint16_t port;
	bool lo = false;
	GInetAddress *a;

	if (gw_config_split_hostport(hostport, &host, &port))
		return false;
	a = g_inet_address_new_from_string(host);
	if (a) {
		lo = g_inet_address_get_is_loopback(a);
		g_object_unref(a);
	} else {
		lo = !g_ascii_strcasecmp(host, "localhost");
	}
	g_free(host);
	return lo;
}

/* Rules between keys (DESIGN section 8: secure by default). */
static void check_cross(const struct gw_config *cfg, const char *file, GPtrArray *errs)
{
	if (!strcmp(cfg->auth_mode, "none") && !cfg->auth_allow_insecure &&
	    !host_is_loopback(cfg->signal_listen))
		g_ptr_array_add(errs, g_strdup_printf(
			"%s: [auth] mode: 'none' on non-loopback signal.listen %s is refused "
			"(use jwt, or set auth.allow_insecure = true)", file, cfg->signal_listen));
	if (!strcmp(cfg->auth_mode, "jwt") && strlen(cfg->auth_jwt_secret) < 32)
		g_ptr_array_add(errs, g_strdup_printf(
			"%s: [auth] jwt_secret: must be at least 32 characters with auth.mode = jwt", file));
	if (!*cfg->signal_cert != !*cfg->signal_key)
		g_ptr_array_add(errs, g_strdup_printf(
			"%s: [signal] cert: signal.cert and signal.key go together", file));
	if (!*cfg->dtls_cert != !*cfg->dtls_key)
		g_ptr_array_add(errs, g_strdup_printf(
			"%s: [dtls] cert: dtls.cert and dtls.key go together", file));
	if (*cfg->ice_turn_server && (!*cfg->ice_turn_user || !*cfg->ice_turn_password))
		g_ptr_array_add(errs, g_strdup_printf(
			"%s: [ice] turn_server: needs ice.turn_user and ice.turn_password", file));
	if (!*cfg->ice_local_addresses)
		g_ptr_array_add(errs, g_strdup_printf(
			"%s: [ice] local_addresses: at least one address is needed", file));
}

int gw_config_load(const char *file, struct gw_config **out, char ***errors)
{
	GKeyFile *kf = g_key_file_new();
	GError *gerr = NULL;
	GPtrArray *errs = g_ptr_array_new();
	struct gw_config *cfg = NULL;
	char **groups = NULL, *dir = NULL;
	int err = 0;

	if (!g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, &gerr)) {
		g_ptr_array_add(errs, g_strdup_printf("%s: %s", file, gerr->message));
		goto out;
	}
	cfg = gw_config_defaults();
	cfg->file = g_strdup(file);
	{
		/* Relative paths in the file are relative to its folder; that
		 * folder itself may be given relative to the working directory. */
		char *rel = g_path_get_dirname(file);

		dir = g_canonicalize_filename(rel, NULL);
		g_free(rel);
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (char **g = groups; *g; g++) {
		char **keys;

		if (!group_known(*g)) {
			g_ptr_array_add(errs, g_strdup_printf("%s: [%s]: unknown group", file, *g));
			continue;
		}
		keys = g_key_file_get_keys(kf, *g, NULL, NULL);
		for (char **k = keys; k && *k; k++) {
			const struct gw_conf_key *def = key_find(*g, *k);
			char *v, *msg;

			if (!def) {
				g_ptr_array_add(errs, g_strdup_printf("%s: [%s] %s: unknown key", file, *g, *k));
				continue;
			}
			v = g_key_file_get_string(kf, *g, *k, NULL);
			msg = set_value(cfg, def, v ? g_strstrip(v) : "", dir);
			if (msg)
				g_ptr_array_add(errs, g_strdup_printf("%s: [%s] %s: %s", file, *g, *k, msg));
			g_free(msg);
			g_free(v);
		}
		g_strfreev(keys);
	}
	if (errs->len == 0)
		check_cross(cfg, file, errs);
out:
	if (errs->len) {
		err = EINVAL;
		g_ptr_array_add(errs, NULL);
		*errors = (char **)g_ptr_array_free(errs, FALSE);
		gw_config_free(cfg);
	} else {
		g_ptr_array_free(errs, TRUE);
		*out = cfg;
	}
	if (gerr)
		g_error_free(gerr);
	g_strfreev(groups);
	g_free(dir);
	g_key_file_free(kf);
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

static const char *type_name(const struct gw_conf_key *k)
{
	switch (k->type) {
	case GW_CONF_BOOL: return "bool";
	case GW_CONF_INT: return "int";
	case GW_CONF_STRING: return "string";
	case GW_CONF_ENUM: return k->choices;
	case GW_CONF_PATH: return "path";
	case GW_CONF_HOSTPORT: return "host:port";
	case GW_CONF_PORTRANGE: return "min-max";
	case GW_CONF_NETLIST: return "networks";
	case GW_CONF_ADDRLIST: return "addresses";
	case GW_CONF_ADDR: return "address";
	}
	return "?";
}

char *gw_config_sample(void)
{
	GString *s = g_string_new(
		"# rtcsipd.conf.sample — every key with its default and meaning.\n"
		"# Generated from the key table: rtcsipd --print-sample-config\n");
	const char *group = "";

	for (size_t i = 0; i < gw_conf_nkeys; i++) {
		const struct gw_conf_key *k = &gw_conf_keys[i];

		if (strcmp(group, k->group)) {
			group = k->group;
			g_string_append_printf(s, "\n[%s]\n", group);
		}
		g_string_append_printf(s, "# %s (%s", k->help, type_name(k));
		if (k->type == GW_CONF_INT)
			g_string_append_printf(s, ", %ld-%ld", k->min, k->max);
		g_string_append_printf(s, ")\n#%s = %s\n", k->key, k->def);
	}
	return g_string_free(s, FALSE);
}

char *gw_config_reference(void)
{
	GString *s = g_string_new("| key | type | default | meaning |\n|---|---|---|---|\n");

	for (size_t i = 0; i < gw_conf_nkeys; i++) {
		const struct gw_conf_key *k = &gw_conf_keys[i];

		char *type = g_strdelimit(g_strdup(type_name(k)), "|", '/');

		g_string_append_printf(s, "| `%s.%s` | %s", k->group, k->key, type);
		g_free(type);
		if (k->type == GW_CONF_INT)
			g_string_append_printf(s, " %ld-%ld", k->min, k->max);
		g_string_append_printf(s, " | `%s` | %s |\n", k->def, k->help);
	}
	return g_string_free(s, FALSE);
}
