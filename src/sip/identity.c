/* identity.c — who is calling, on an INVITE from a trunk (RFC 3325, 3323).
 *
 * A trunk is a peer we configured (its networks, or its digest
 * credentials), so by default it is trusted to assert its callers
 * (trunk.trust_pai): the caller browser users see is the first
 * P-Asserted-Identity with a SIP, SIPS or tel URI, as carriers verify it,
 * whatever From says.  A caller who asked for privacy (Privacy: id or
 * user) or whose From is anonymous is withheld, asserted or not: browser
 * users are outside the trust domain, and get "anonymous".  Control loop.
 */
#include <string.h>
#include <sofia-sip/sip_extra.h>
#include "sip_priv.h"

/* Privacy (RFC 3323) asks to hide the caller from us on: "id" (the
 * asserted identity) or "user" (the user-level headers, From among them;
 * "header" is about Via, Contact and such, not who calls).  A Privacy
 * header Sofia could not parse counts as asking. */
static bool private(const sip_t *msg)
{
	for (msg_param_t const *v = msg->sip_privacy ? msg->sip_privacy->priv_values : NULL;
	     v && *v; v++)
		if (!g_ascii_strcasecmp(*v, "id") || !g_ascii_strcasecmp(*v, "user"))
			return true;
	for (const sip_error_t *e = msg->sip_error; e; e = e->er_next)
		if (e->er_name && !g_ascii_strcasecmp(e->er_name, "Privacy"))
			return true;
	return false;
}

/* RFC 3323's anonymous From: user "anonymous" or host anonymous.invalid. */
static bool anonymous(const sip_from_t *from)
{
	const url_t *u = from ? from->a_url : NULL;

	return u && ((u->url_user && !g_ascii_strcasecmp(u->url_user, "anonymous")) ||
		     (u->url_host && !g_ascii_strcasecmp(u->url_host, "anonymous.invalid")));
}

static const sip_p_asserted_identity_t *asserted(const sip_t *msg)
{
	for (const sip_p_asserted_identity_t *p = sip_p_asserted_identity(msg); p;
	     p = p->paid_next) {
		const url_t *u = p->paid_url;

		if ((u->url_type == url_sip || u->url_type == url_sips || u->url_type == url_tel) &&
		    ((u->url_user && *u->url_user) || (u->url_type == url_tel && u->url_host)))
			return p;
	}
	return NULL;
}

void gw_sip_caller(const struct gw_trunk_config *trunk, const sip_t *msg,
		   struct gw_sip_caller *out)
{
	const sip_from_t *from = msg->sip_from;
	const sip_p_asserted_identity_t *pai = trunk->trust_pai ? asserted(msg) : NULL;

	memset(out, 0, sizeof(*out));
	if (private(msg) || anonymous(from)) {
		out->withheld = true;
		out->user = g_strdup("anonymous");
		out->display = g_strdup("Anonymous");
		return;
	}
	if (pai) {
		/* not From's name beside it: that is the caller's to choose */
		out->asserted = true;
		out->user = gw_sip_url_user(pai->paid_url);
		out->display = gw_sip_unquote(pai->paid_display ? pai->paid_display : "");
	} else {
		out->user = gw_sip_url_user(from ? from->a_url : NULL);
		out->display = gw_sip_unquote(from && from->a_display ? from->a_display : "");
	}
	/* +15551230000;npdi;rn=...: the number, not its parameters */
	out->user[strcspn(out->user, ";")] = '\0';
}

void gw_sip_caller_clear(struct gw_sip_caller *c)
{
	g_free(c->user);
	g_free(c->display);
	memset(c, 0, sizeof(*c));
}
