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

/* The [route] value for the number @to: the longest prefix rule's, else
 * route.default. */
static const char *route_value(const struct gw_config *cfg, const char *to)
{
	const struct gw_route *best = NULL;
	char *num = strip_visual(to + scheme_len(to));

	for (guint i = 0; cfg->routes && i < cfg->routes->len; i++) {
		const struct gw_route *r = g_ptr_array_index(cfg->routes, i);

		if (r->prefix && g_str_has_prefix(num, r->prefix) &&
		    (!best || strlen(r->prefix) > strlen(best->prefix)))
			best = r;
	}
	g_free(num);
	return best ? best->trunk : cfg->route_default;
}

static bool trunk_down(const struct gw_sip *sip, const struct gw_trunk_config *cfg)
{
	const struct gw_sip_trunk *t = gw_sip_trunk_by_cfg(sip, cfg);

	return t && gw_sip_trunk_is_down(t);
}

/* Of the trunks after @after (all for NULL) in @to's route, the first one
 * not down (its OPTIONS or requests timed out, or a 503 with Retry-After
 * took it out of service for a while), else the first. */
static const struct gw_trunk_config *route_trunk(const struct gw_sip *sip, const char *to,
						 const struct gw_trunk_config *after)
{
	char **names = gw_config_trunk_list(route_value(sip->cfg, to));
	const struct gw_trunk_config *t, *first = NULL, *up = NULL;
	bool past = !after;

	for (guint i = 0; names[i] && !up; i++) {
		if (!past) {
			past = !g_strcmp0(names[i], after->name);
			continue;
		}
		if (!(t = trunk_named(sip->cfg, names[i])))
			continue;
		if (!first)
			first = t;
		if (!trunk_down(sip, t))
			up = t;
	}
	g_strfreev(names);
	return up ? up : first;
}

const struct gw_trunk_config *gw_sip_route(const struct gw_sip *sip, const char *to,
					   bool *direct)
{
	*direct = false;
	if (!to || !*to)
		return NULL;
	if (gw_sip_is_direct(to)) {
		*direct = true;
		return NULL;
	}
	return route_trunk(sip, to, NULL);
}

const struct gw_trunk_config *gw_sip_route_next(const struct gw_sip *sip, const char *to,
						const struct gw_trunk_config *after)
{
	if (!to || !*to || gw_sip_is_direct(to) || !after)
		return NULL;
	return route_trunk(sip, to, after);
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
