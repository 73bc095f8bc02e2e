/* route.c — which trunk a destination goes to, and how a number is written
 * for that trunk (visual separators, '+' rule, prefix).
 * Control loop (pure functions over the immutable config; no Sofia state). */
#include <string.h>
#include "sip_priv.h"

const char *gw_sip_str(const char *s)
{
	return s ? s : "";
}

static const struct gw_trunk_config *trunk_named(const struct gw_config *cfg, const char *name)
{
	if (!cfg->trunks || !name || !*name)
		return NULL;
	for (guint i = 0; i < cfg->trunks->len; i++) {
		const struct gw_trunk_config *t = g_ptr_array_index(cfg->trunks, i);

		if (t->name && !strcmp(t->name, name))
			return t;
	}
	return NULL;
}

/* Visual separators of RFC 3966 plus the ones people type. */
static bool is_visual(char c)
{
	return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '\t';
}

static char *strip_visual(const char *s)
{
	GString *out = g_string_sized_new(strlen(s));

	for (; *s; s++)
		if (!is_visual(*s))
			g_string_append_c(out, *s);
	return g_string_free(out, FALSE);
}

/* "sip:", "sips:" or "tel:" scheme length, 0 when none. */
static size_t scheme_len(const char *s)
{
	if (!g_ascii_strncasecmp(s, "sip:", 4) || !g_ascii_strncasecmp(s, "tel:", 4))
		return 4;
	if (!g_ascii_strncasecmp(s, "sips:", 5))
		return 5;
	return 0;
}

/* True when @s (after separators are removed) reads as a dialable number. */
static bool looks_like_number(const char *s)
{
	bool digit = false;

	if (*s == '+')
		s++;
	for (; *s; s++) {
		if (is_visual(*s))
			continue;
		if (!g_ascii_isdigit(*s) && *s != '*' && *s != '#')
			return false;
		digit = true;
	}
	return digit;
}

/* A destination that names a host ("sip:bob@example.com", "bob@host",
 * "sip:pbx.example.com") needs no trunk. */
bool gw_sip_is_direct(const char *to)
{
	size_t sl = scheme_len(to);

	if (sl == 4 && !g_ascii_strncasecmp(to, "tel:", 4))
		return false;
	if (strchr(to, '@'))
		return true;
	return sl > 0 && !looks_like_number(to + sl);
}

const struct gw_trunk_config *gw_sip_route(const struct gw_sip *sip, const char *to,
					   bool *direct)
{
	const struct gw_config *cfg = sip->cfg;
	const struct gw_route *best = NULL;
	const struct gw_trunk_config *t;
	char *num;

	*direct = false;
	if (!to || !*to)
		return NULL;
	if (gw_sip_is_direct(to)) {
		*direct = true;
		return NULL;
	}
	num = strip_visual(to + scheme_len(to));
	for (guint i = 0; cfg->routes && i < cfg->routes->len; i++) {
		const struct gw_route *r = g_ptr_array_index(cfg->routes, i);

		if (r->prefix && g_str_has_prefix(num, r->prefix) &&
		    (!best || strlen(r->prefix) > strlen(best->prefix)))
			best = r;
	}
	g_free(num);
	t = best ? trunk_named(cfg, best->trunk) : NULL;
	if (!t)
		t = trunk_named(cfg, cfg->route_default);
	return t;
}

char *gw_sip_normalise_number(const struct gw_trunk_config *trunk, const char *to)
{
	char *num = strip_visual(to + scheme_len(to));
	const char *plus = trunk ? gw_sip_str(trunk->plus) : "keep";
	const char *prefix = trunk ? gw_sip_str(trunk->prefix) : "";
	char *out;

	if (num[0] == '+' && !strcmp(plus, "strip"))
		out = g_strconcat(prefix, num + 1, NULL);
	else if (num[0] == '+' && !strcmp(plus, "00"))
		out = g_strconcat(prefix, "00", num + 1, NULL);
	else
		out = g_strconcat(prefix, num, NULL);
	g_free(num);
	return out;
}
