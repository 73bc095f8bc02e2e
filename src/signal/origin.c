/* origin.c — which web pages may open the browser API at /ws: the
 * signal.allowed_origins policy checked against a WebSocket upgrade's Origin
 * header (RFC 6454, RFC 6455 section 10.2), so a page of another site open
 * in the user's browser cannot drive the gateway (cross-site WebSocket
 * hijacking).  Origin only defends browsers: a request without one (a
 * non-browser client) is allowed, and authentication stays auth.mode's job.
 * Pure functions over an immutable policy; any thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "signal_priv.h"

struct gw_origin_policy {
	bool any;    /* "*" */
	char **list; /* normalised origins; empty = only the gateway's own */
};

#define ORIGIN_HOST_CHARS "abcdefghijklmnopqrstuvwxyz0123456789-._"

static bool is_scheme(const char *s, size_t len)
{
	if (!len || !g_ascii_isalpha(s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!g_ascii_isalnum(s[i]) && !strchr("+-.", s[i]))
			return false;
	return true;
}

/* "scheme://host[:port]" in one spelling (lower case, port always written
 * for http and https) so equal origins compare equal as strings.  0, or
 * EINVAL with *why (static text); *out (g_free) only on success. */
static int origin_normalise(const char *s, char **out, const char **why)
{
	const char *sep = strstr(s, "://"), *auth, *host, *hend, *pstr = NULL;
	char *scheme = NULL, *h = NULL, *end;
	long port = 0;
	int rc = EINVAL;

	*why = "not scheme://host[:port]";
	if (!sep || !is_scheme(s, (size_t)(sep - s)))
		goto out;
	scheme = g_ascii_strdown(s, sep - s);
	auth = sep + 3;
	if (auth[strcspn(auth, "/?#@")]) {
		*why = "an origin has no path, query or user (not even a trailing '/')";
		goto out;
	}
	host = auth;
	if (*auth == '[') {
		hend = strchr(auth, ']');
		if (!hend || hend == auth + 1 ||
		    strspn(auth + 1, "0123456789abcdefABCDEF:.") != (size_t)(hend - auth - 1))
			goto out;
		hend++;
		if (*hend == ':')
			pstr = hend + 1;
		else if (*hend)
			goto out;
	} else {
		hend = strchr(auth, ':');
		if (!hend)
			hend = auth + strlen(auth);
		else
			pstr = hend + 1;
	}
	if (hend == host)
		goto out;
	h = g_ascii_strdown(host, hend - host);
	if (*host != '[' && (h[strspn(h, ORIGIN_HOST_CHARS)] || *h == '.' || *h == '-'))
		goto out;
	if (pstr) {
		errno = 0;
		port = strtol(pstr, &end, 10);
		if (errno || *end || end == pstr || !g_ascii_isdigit(*pstr) ||
		    port < 1 || port > 65535) {
			*why = "bad port";
			goto out;
		}
	} else if (!strcmp(scheme, "https")) {
		port = 443;
	} else if (!strcmp(scheme, "http")) {
		port = 80;
	}
	*out = port ? g_strdup_printf("%s://%s:%ld", scheme, h, port) :
		      g_strdup_printf("%s://%s", scheme, h);
	*why = NULL;
	rc = 0;
out:
	g_free(scheme);
	g_free(h);
	return rc;
}

int gw_origin_policy_parse(const char *spec, struct gw_origin_policy **out, char **reason)
{
	struct gw_origin_policy *p = g_new0(struct gw_origin_policy, 1);
	char **items = g_strsplit_set(spec ? spec : "", ", \t", -1);
	GPtrArray *list = g_ptr_array_new();
	int rc = 0;

	for (char **it = items; *it && !rc; it++) {
		const char *why;
		char *norm;

		if (!**it)
			continue;
		if (!strcmp(*it, "*")) {
			p->any = true;
			continue;
		}
		if (origin_normalise(*it, &norm, &why)) {
			*reason = g_strdup_printf("'%s' is not an origin: %s", *it, why);
			rc = EINVAL;
			break;
		}
		g_ptr_array_add(list, norm);
	}
	if (!rc && p->any && list->len) {
		*reason = g_strdup("'*' (any origin) cannot be combined with a list of origins");
		rc = EINVAL;
	}
	g_ptr_array_add(list, NULL);
	p->list = (char **)g_ptr_array_free(list, FALSE);
	g_strfreev(items);
	if (rc)
		gw_origin_policy_free(p);
	else
		*out = p;
	return rc;
}

void gw_origin_policy_free(struct gw_origin_policy *p)
{
	if (!p)
		return;
	g_strfreev(p->list);
	g_free(p);
}

bool gw_origin_policy_any(const struct gw_origin_policy *p)
{
	return p->any;
}

bool gw_origin_allowed(const struct gw_origin_policy *p, const char *origin, const char *host)
{
	char *norm = NULL, *own = NULL, *own_url;
	const char *why;
	bool ok = false;

	if (!origin || !*origin || p->any)
		return true;
	/* "null" (sandboxed frames, file:) and garbage fail to normalise. */
	if (origin_normalise(origin, &norm, &why))
		goto out;
	if (p->list[0]) {
		for (char **it = p->list; *it && !ok; it++)
			ok = !strcmp(*it, norm);
		goto out;
	}
	/* Default: the page the gateway itself serves, https://<Host>. */
	if (!host || !*host)
		goto out;
	own_url = g_strconcat("https://", host, NULL);
	if (!origin_normalise(own_url, &own, &why))
		ok = !strcmp(own, norm);
	g_free(own_url);
out:
	g_free(norm);
	g_free(own);
	return ok;
}
