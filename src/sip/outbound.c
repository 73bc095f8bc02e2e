/* outbound.c — INVITEs we place for the call layer: the Request-URI, To and
 * From for a number on a trunk or a direct SIP URI, the caller's identity
 * (P-Asserted-Identity, a withheld caller: RFC 3325 and 3323), the trunk's
 * outbound proxy as the initial Route, and the caller's X- headers (checked).
 * Control loop.  The dialog's answers are handled in dialog.c.
 */
#include <errno.h>
#include <string.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>
#include "sip_priv.h"
#include "gw/log.h"
#include "gw/obj.h"

static bool number_ok(const char *s)
{
	if (*s == '+')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (!g_ascii_isdigit(*s) && *s != '*' && *s != '#')
			return false;
	return true;
}

/* RFC 3261 user part without escapes we would have to add. */
static bool user_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 128)
		return false;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && !strchr("-_.!~*'()&=+$,;?/%", *s))
			return false;
	return true;
}

/* A SIP URI the far end can be reached at, checked by Sofia's parser. */
static char *direct_uri(const char *to)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	bool has_scheme = !g_ascii_strncasecmp(to, "sip:", 4) || !g_ascii_strncasecmp(to, "sips:", 5);
	char *uri = has_scheme ? g_strdup(to) : g_strconcat("sip:", to, NULL);
	url_t *url;

	if (strpbrk(uri, " \t\r\n<>\"")) {
		g_free(uri);
		return NULL;
	}
	url = url_make(home, uri);
	if (!url || (url->url_type != url_sip && url->url_type != url_sips) || !url->url_host ||
	    !*url->url_host) {
		g_free(uri);
		uri = NULL;
	}
	su_home_deinit(home);
	return uri;
}

char *gw_sip_target_uri(struct gw_sip *sip, const struct gw_trunk_config *trunk, const char *to)
{
	struct gw_sip_trunk *t;
	char *num, *uri;

	if (!to || !*to)
		return NULL;
	if (gw_sip_is_direct(to))
		return direct_uri(to);
	t = gw_sip_trunk_by_cfg(sip, trunk);
	if (!t)
		return NULL;
	num = gw_sip_normalise_number(trunk, to);
	uri = number_ok(num) ? g_strdup_printf("sip:%s@%s%s", num, t->hostport, t->uri_params) : NULL;
	g_free(num);
	return uri;
}

/* trunk.caller_id = did: the number [dids] maps to @user (the lowest
 * when several, leaving out what cannot be a From user), else @user. */
static const char *caller_number(const struct gw_config *cfg, const char *user)
{
	GHashTableIter it;
	gpointer num, owner;
	const char *best = NULL;

	g_hash_table_iter_init(&it, cfg->dids);
	while (g_hash_table_iter_next(&it, &num, &owner))
		if (!g_strcmp0(owner, user) && user_ok(num) && (!best || strcmp(num, best) < 0))
			best = num;
	return best ? best : user;
}

/* RFC 3323: the From of a caller who withholds its identity. */
#define ANONYMOUS_FROM "\"Anonymous\" <sip:anonymous@anonymous.invalid>"

/* Append "@name: @value" to *@s (made when NULL), CRLF-separated. */
static void add_header(GString **s, const char *name, const char *value)
{
	if (!*s)
		*s = g_string_new(NULL);
	else
		g_string_append(*s, "\r\n");
	g_string_append_printf(*s, "%s: %s", name, value);
}

/* "X-A: v\r\nX-B: w", then P-Asserted-Identity: @pai (when not NULL) and
 * Privacy: id (a withheld caller), or NULL; EINVAL for a name that is not
 * an X- token or a value with CR/LF. */
static int extra_headers(const struct gw_sip_invite_params *p, const char *pai, char **out)
{
	GString *s = NULL;

	for (unsigned i = 0; p->headers && i < p->n_headers; i++) {
		const struct gw_sip_header *h = &p->headers[i];

		if (!gw_sip_token_ok(h->name) || g_ascii_strncasecmp(h->name, "X-", 2) ||
		    !gw_sip_value_ok(h->value)) {
			if (s)
				g_string_free(s, TRUE);
			return EINVAL;
		}
		add_header(&s, h->name, h->value);
	}
	if (pai)
		add_header(&s, "P-Asserted-Identity", pai);
	if (p->privacy)
		add_header(&s, "Privacy", "id");
	*out = s ? g_string_free(s, FALSE) : NULL;
	return 0;
}

/* "Display" <sip:user@host> with the display name's quotes escaped. */
static char *from_header(const char *display, const char *user, const char *host)
{
	GString *s = g_string_new(NULL);

	if (display && *display) {
		g_string_append_c(s, '"');
		for (const char *c = display; *c && s->len < 130; c++) {
			if (*c == '\r' || *c == '\n')
				continue;
			if (*c == '"' || *c == '\\')
				g_string_append_c(s, '\\');
			g_string_append_c(s, *c);
		}
		g_string_append(s, "\" ");
	}
	g_string_append_printf(s, "<sip:%s@%s>", user, host);
	return g_string_free(s, FALSE);
}

/* The trunk's invite_timeout ran out with nothing heard: CANCEL (sent
 * when something comes, or dropped with the transaction), the trunk down,
 * ENDED 408 (a failover for the call layer).  A 2xx that comes later gets
 * a BYE (dialog.c). */
static gboolean invite_expired(gpointer arg)
{
	struct gw_sip_dialog *d = arg;
	struct gw_sip_trunk *t = d->sip ? gw_sip_trunk_by_cfg(d->sip, d->trunk) : NULL;
	char *why;

	d->timer = 0;
	if (d->ended || !d->nh || !t)
		return G_SOURCE_REMOVE;
	why = g_strdup_printf("no response to an INVITE in %d s", d->trunk->invite_timeout);
	gw_warn(d->log, "%s: cancelling", why);
	gw_sip_trunk_unresponsive(t, why);
	nua_cancel(d->nh, TAG_END());
	gw_sip_dialog_emit_ended(d, 408, why);
	g_free(why);
	return G_SOURCE_REMOVE;
}

int gw_sip_invite(struct gw_sip *sip, const struct gw_sip_invite_params *p,
		  gw_sip_event_h *h, void *arg, struct gw_sip_dialog **out)
{
	struct gw_sip_trunk *t = NULL;
	struct gw_sip_dialog *d = NULL;
	char *uri = NULL, *hdrs = NULL, *from = NULL, *identity = NULL, *to = NULL;
	char *call_id = NULL, *log = NULL;
	const char *user, *host, *contact_user = gw_sip_contact_user(p ? p->trunk : NULL);
	int max, err = 0;

	if (!sip || !p || !p->to || !p->sdp || !h)
		return EINVAL;
	if (!sip->nua || sip->shutting_down)
		return EIO;
	max = sip->cfg->sip_max_calls;
	if (max > 0 && sip->n_calls >= (unsigned)max)
		return EAGAIN;
	if (p->trunk && !(t = gw_sip_trunk_by_cfg(sip, p->trunk)))
		return EINVAL;
	uri = gw_sip_target_uri(sip, p->trunk, p->to);
	if (!uri) {
		err = EINVAL;
		goto out;
	}
	user = p->from_user;
	if (t && t->cfg->from_user && *t->cfg->from_user)
		user = t->cfg->from_user;
	else if (p->caller_id && *p->caller_id)
		user = p->caller_id;
	else if (t && user && !g_strcmp0(t->cfg->caller_id, "did"))
		user = caller_number(sip->cfg, user);
	if (!user || !*user)
		user = "anonymous";
	if (!user_ok(user)) {
		err = EINVAL;
		goto out;
	}
	if (t)
		host = t->cfg->from_domain && *t->cfg->from_domain ? t->cfg->from_domain : t->host;
	else
		host = sip->from_host;
	identity = from_header(p->from_display, user, host);
	from = g_strdup(p->privacy ? ANONYMOUS_FROM : identity);
	err = extra_headers(p, t && t->cfg->send_pai ? identity : NULL, &hdrs);
	if (err)
		goto out;
	to = g_strdup_printf("<%s>", uri);
	call_id = g_uuid_string_random();
	log = p->log_ctx ? g_strdup(p->log_ctx) : g_strdup_printf("sip out %.12s", call_id);
	d = gw_sip_dialog_new(sip, false, log);
	d->h = h;
	d->arg = arg;
	d->trunk = p->trunk;
	d->call_id = call_id;
	call_id = NULL;
	d->local_sdp = g_strdup(p->sdp);
	d->counted = true;
	sip->n_calls++;
	d->nh = nua_handle(sip->nua, &d->magic, SIPTAG_TO_STR(to), SIPTAG_FROM_STR(from),
			   SIPTAG_CALL_ID_STR(d->call_id),
			   TAG_IF(t && t->route, NUTAG_INITIAL_ROUTE_STR(t ? t->route : NULL)),
			   TAG_IF(contact_user, NUTAG_M_USERNAME(contact_user)),
			   TAG_IF(t && !t->cfg->rel100,
				  SIPTAG_SUPPORTED_STR(gw_sip_supported(sip->cfg, false))),
			   TAG_END());
	if (!d->nh) {
		gw_error(d->log, "nua_handle failed");
		gw_sip_dialog_detach(d);
		err = EIO;
		goto out;
	}
	gw_info(d->log, "INVITE %s from %s%s via %s", uri, identity,
		p->privacy ? " (withheld)" : "", t ? gw_sip_str(t->cfg->name) : "direct");
	nua_invite(d->nh, NUTAG_URL(uri),
		   SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(p->sdp),
		   TAG_IF(hdrs, SIPTAG_HEADER_STR(hdrs)), TAG_END());
	if (t && t->cfg->invite_timeout > 0)
		d->timer = g_timeout_add_full(G_PRIORITY_DEFAULT,
					      (guint)t->cfg->invite_timeout * 1000u, invite_expired,
					      gw_obj_ref(d), gw_obj_release);
	*out = gw_obj_ref(d);
out:
	g_free(uri);
	g_free(hdrs);
	g_free(from);
	g_free(identity);
	g_free(to);
	g_free(call_id);
	g_free(log);
	return err;
}
