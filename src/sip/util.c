/* util.c — small helpers over Sofia's parsed headers: bodies by length,
 * Reason text, challenge realms and digest answers, the source address of
 * the request being handled, token / value checks for headers we add.
 * Control loop.  Nothing here trusts a header to be present. */
#include <string.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/msg_header.h>
#include "sip_priv.h"
#include "gw/log.h"

char *gw_sip_body_sdp(const sip_t *sip)
{
	const sip_content_type_t *ct;

	if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data || !sip->sip_payload->pl_len)
		return NULL;
	ct = sip->sip_content_type;
	if (!ct || !ct->c_type || g_ascii_strcasecmp(ct->c_type, "application/sdp"))
		return NULL;
	/* The payload is not NUL-terminated: copy by length. */
	return g_strndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

char *gw_sip_unquote(const char *s)
{
	size_t n;
	GString *out;

	if (!s)
		return g_strdup("");
	n = strlen(s);
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return g_strdup(s);
	out = g_string_sized_new(n);
	for (size_t i = 1; i < n - 1; i++) {
		if (s[i] == '\\' && i + 1 < n - 1)
			i++;
		g_string_append_c(out, s[i]);
	}
	return g_string_free(out, FALSE);
}

char *gw_sip_reason_text(const sip_t *sip)
{
	for (const sip_reason_t *re = sip ? sip->sip_reason : NULL; re; re = re->re_next) {
		const char *text = msg_params_find(re->re_params, "text=");

		if (text && *text)
			return gw_sip_unquote(text);
	}
	return NULL;
}

char *gw_sip_url_user(const url_t *url)
{
	if (!url)
		return g_strdup("");
	/* tel:+15550100: the number is the URL's "host". */
	if (url->url_type == url_tel && !url->url_user)
		return g_strdup(url->url_host ? url->url_host : "");
	return g_strdup(url->url_user ? url->url_user : "");
}

/* The transport address the message being processed (a request, or a
 * response during its r_ event) came from, from its address info; NULL
 * when it has none. */
char *gw_sip_source(nua_t *nua, GInetAddress **addr)
{
	msg_t *msg = nua_current_request(nua);
	su_addrinfo_t *ai = msg ? msg_addrinfo(msg) : NULL;
	GSocketAddress *sa = NULL;
	char *res = NULL;

	if (ai && ai->ai_addr && ai->ai_addrlen)
		sa = g_socket_address_new_from_native(ai->ai_addr, ai->ai_addrlen);
	if (sa && G_IS_INET_SOCKET_ADDRESS(sa)) {
		GInetSocketAddress *isa = G_INET_SOCKET_ADDRESS(sa);
		GInetAddress *ia = g_inet_socket_address_get_address(isa);
		char *ip = g_inet_address_to_string(ia);

		if (g_inet_address_get_family(ia) == G_SOCKET_FAMILY_IPV6)
			res = g_strdup_printf("[%s]:%u", ip, g_inet_socket_address_get_port(isa));
		else
			res = g_strdup_printf("%s:%u", ip, g_inet_socket_address_get_port(isa));
		g_free(ip);
		*addr = g_object_ref(ia);
	}
	if (sa)
		g_object_unref(sa);
	return res;
}

void gw_sip_ip_string(GInetAddress *addr, char *out, size_t size)
{
	char *ip = addr ? g_inet_address_to_string(addr) : NULL;

	g_strlcpy(out, ip ? ip : "", size);
	g_free(ip);
}

void gw_sip_source_ip(nua_t *nua, char *out, size_t size)
{
	GInetAddress *addr = NULL;
	char *source = gw_sip_source(nua, &addr);

	gw_sip_ip_string(addr, out, size);
	if (addr)
		g_object_unref(addr);
	g_free(source);
}

char *gw_sip_challenge_realm(const sip_t *sip, int status)
{
	const msg_auth_t *au;
	const char *realm;

	if (!sip)
		return NULL;
	au = status == 407 ? sip->sip_proxy_authenticate : sip->sip_www_authenticate;
	if (!au || !au->au_scheme || g_ascii_strcasecmp(au->au_scheme, "Digest"))
		return NULL;
	realm = msg_params_find(au->au_params, "realm=");
	if (!realm)
		return NULL;
	/* Sofia's credential string wants the realm quoted, as in the header. */
	if (realm[0] == '"')
		return g_strdup(realm);
	return g_strdup_printf("\"%s\"", realm);
}

bool gw_sip_auth_answer(nua_handle_t *nh, GPtrArray *realms, const sip_t *sip, int status,
			const char *user, const char *password, const char *log)
{
	char *realm = gw_sip_challenge_realm(sip, status);
	char *cred;

	if (!realm) {
		gw_warn(log, "%d without a Digest challenge", status);
		return false;
	}
	if (!password || !*password || !user || !*user) {
		gw_warn(log, "%d from realm %s: no credentials configured", status, realm);
		g_free(realm);
		return false;
	}
	for (guint i = 0; i < realms->len; i++) {
		if (!strcmp(g_ptr_array_index(realms, i), realm)) {
			/* One try per realm: a second challenge means the
			 * credentials were refused (no loop). */
			gw_warn(log, "%d: realm %s refused the credentials of user %s", status,
				realm, user);
			g_free(realm);
			return false;
		}
	}
	cred = g_strdup_printf("Digest:%s:%s:%s", realm, user, password);
	gw_debug(log, "answering %d challenge of realm %s as %s", status, realm, user);
	g_ptr_array_add(realms, realm);
	nua_authenticate(nh, NUTAG_AUTH(cred), TAG_END());
	g_free(cred);
	return true;
}

/* RFC 3261 section 25.1 token. */
bool gw_sip_token_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && !strchr("-.!%*_+`'~", *s))
			return false;
	return true;
}

bool gw_sip_value_ok(const char *s)
{
	return s && !strpbrk(s, "\r\n") && strlen(s) <= 1024;
}

char *gw_sip_reason_header(int code, const char *text)
{
	GString *t = g_string_new(NULL);

	for (const char *p = text ? text : ""; *p; p++)
		if (*p != '"' && *p != '\\' && *p != '\r' && *p != '\n')
			g_string_append_c(t, *p);
	if (!t->len)
		g_string_append(t, sip_status_phrase(code) ? sip_status_phrase(code) : "Call ended");
	char *r = g_strdup_printf("SIP;cause=%d;text=\"%s\"", code, t->str);
	g_string_free(t, TRUE);
	return r;
}

bool gw_sip_held_answer(int status, const char *phrase, const sip_t *sip)
{
	return status == 100 && phrase && g_str_has_prefix(phrase, "Retry After ") && sip &&
	       sip->sip_status && sip->sip_status->st_status >= 300 && sip->sip_retry_after;
}

bool gw_sip_status_local(const sip_t *sip)
{
	return !sip || (sip->sip_flags & GW_SIP_NTA_INTERNAL_MSG);
}
