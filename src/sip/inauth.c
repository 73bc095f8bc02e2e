/* inauth.c — digest authentication (RFC 3261 section 22, RFC 2617 and
 * RFC 7616 with MD5) of INVITEs from outside every trunk's allowed_networks:
 * a PBX or SIP phone on a changing address proves it knows a trunk's
 * inbound_username / inbound_password, and its call then belongs to that
 * trunk like one from the trunk's networks.
 *
 * Sofia's auth module makes and checks the nonces (issue time and a
 * counter sealed with an HMAC under a random key made at start, so nothing
 * is kept per nonce; older than GW_SIP_NONCE_TTL = stale) and formats the
 * Proxy-Authenticate header; Sofia parses the credentials.  The response
 * is computed here with OpenSSL's MD5 and compared in constant time:
 * Sofia's own check compares with strcmp and its debug log prints the
 * password and HA1.
 * Control loop.  Owns sip->inauth (the auth module) and sip->inauth_realm.
 */
#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "sip_priv.h"
#include <sofia-sip/auth_module.h>
#include <sofia-sip/auth_plugin.h>
#include <sofia-sip/auth_digest.h>
#include <sofia-sip/msg_date.h>
#include <sofia-sip/url.h>
#include "gw/log.h"

/* Seconds a nonce is good for (then the challenge says stale=true). */
#define GW_SIP_NONCE_TTL 300

#define GW_SIP_MD5_HEX 32

static bool any_credentials(const struct gw_config *cfg)
{
	for (guint i = 0; cfg->trunks && i < cfg->trunks->len; i++) {
		const struct gw_trunk_config *t = g_ptr_array_index(cfg->trunks, i);

		if (t->inbound_username && *t->inbound_username)
			return true;
	}
	return false;
}

int gw_sip_inauth_start(struct gw_sip *sip)
{
	const struct gw_config *cfg = sip->cfg;
	unsigned char key[32];
	char hex[2 * sizeof(key) + 1];

	if (!any_credentials(cfg))
		return 0;
	if (RAND_bytes(key, sizeof(key)) != 1) {
		gw_error("sip", "no random bytes for the digest nonce key");
		return EIO;
	}
	for (size_t i = 0; i < sizeof(key); i++)
		g_snprintf(hex + 2 * i, 3, "%02x", key[i]);
	sip->inauth_realm = g_strdup(cfg->sip_domain && *cfg->sip_domain ? cfg->sip_domain
									   : sip->listen_host);
	sip->inauth = auth_mod_create(sip->root, AUTHTAG_METHOD("Digest"),
				      AUTHTAG_REALM(sip->inauth_realm), AUTHTAG_QOP("auth"),
				      AUTHTAG_ALGORITHM("MD5"), AUTHTAG_EXPIRES(GW_SIP_NONCE_TTL),
				      AUTHTAG_NEXT_EXPIRES(0), AUTHTAG_MASTER_KEY(hex), TAG_END());
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hex, sizeof(hex));
	if (!sip->inauth) {
		gw_error("sip", "cannot create Sofia's digest auth module");
		return ENOMEM;
	}
	gw_info("sip", "INVITEs from outside allowed_networks are challenged (realm \"%s\")",
		sip->inauth_realm);
	return 0;
}

void gw_sip_inauth_free(struct gw_sip *sip)
{
	if (sip->inauth)
		auth_mod_unref(sip->inauth);
	sip->inauth = NULL;
	g_free(sip->inauth_realm);
	sip->inauth_realm = NULL;
}

/* Lower-case hex MD5 of @parts joined with ':' (RFC 2617 section 3.2.2). */
static bool md5_hex(const char *const *parts, size_t n, char out[GW_SIP_MD5_HEX + 1])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1;

	for (size_t i = 0; ok && i < n; i++)
		ok = (!i || EVP_DigestUpdate(ctx, ":", 1) == 1) &&
		     EVP_DigestUpdate(ctx, parts[i], strlen(parts[i])) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, d, &len) == 1 && len == GW_SIP_MD5_HEX / 2;
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; ok && i < len; i++)
		g_snprintf(out + 2 * i, 3, "%02x", d[i]);
	OPENSSL_cleanse(d, sizeof(d));
	return ok;
}

/* The response @ar must carry for @password (qop=auth or RFC 2069). */
static bool expected_response(const auth_response_t *ar, const char *realm, const char *method,
			      const char *password, char out[GW_SIP_MD5_HEX + 1])
{
	char ha1[GW_SIP_MD5_HEX + 1], ha2[GW_SIP_MD5_HEX + 1];
	const char *a1[] = { ar->ar_username, realm, password };
	const char *a2[] = { method, ar->ar_uri };
	const char *with_qop[] = { ha1, ar->ar_nonce, ar->ar_nc, ar->ar_cnonce, "auth", ha2 };
	const char *plain[] = { ha1, ar->ar_nonce, ha2 };
	bool ok = md5_hex(a1, G_N_ELEMENTS(a1), ha1) && md5_hex(a2, G_N_ELEMENTS(a2), ha2) &&
		  (ar->ar_auth ? md5_hex(with_qop, G_N_ELEMENTS(with_qop), out)
			       : md5_hex(plain, G_N_ELEMENTS(plain), out));

	OPENSSL_cleanse(ha1, sizeof(ha1));
	return ok;
}

/* What makes the credentials unusable, or NULL. */
static const char *malformed(const auth_response_t *ar)
{
	if (!ar->ar_username || !*ar->ar_username)
		return "no username";
	if (!ar->ar_nonce || !ar->ar_uri || !ar->ar_response)
		return "no nonce, uri or response";
	if (!ar->ar_md5)
		return "an algorithm other than the MD5 offered";
	if (ar->ar_qop && !ar->ar_auth)
		return "a qop other than the auth offered";
	if (ar->ar_auth && (!ar->ar_cnonce || !ar->ar_nc))
		return "qop=auth without cnonce and nc";
	if (strlen(ar->ar_response) != GW_SIP_MD5_HEX)
		return "a response that is not an MD5 digest";
	return NULL;
}

static struct gw_sip_trunk *trunk_by_user(struct gw_sip *sip, const char *user)
{
	for (guint i = 0; i < sip->trunks->len; i++) {
		struct gw_sip_trunk *t = g_ptr_array_index(sip->trunks, i);
		const char *u = t->cfg->inbound_username;

		if (u && *u && !strcmp(u, user))
			return t;
	}
	return NULL;
}

/* The trunk whose password produced @ar's response, or NULL. */
static struct gw_sip_trunk *verify(struct gw_sip *sip, const auth_response_t *ar,
				   const sip_t *msg)
{
	struct gw_sip_trunk *t = trunk_by_user(sip, ar->ar_username);
	char want[GW_SIP_MD5_HEX + 1], got[GW_SIP_MD5_HEX + 1];
	bool ok;

	/* An unknown user costs the same work as a known one. */
	ok = expected_response(ar, sip->inauth_realm, msg->sip_request->rq_method_name,
			       t ? t->cfg->inbound_password : "-", want);
	for (size_t i = 0; i <= GW_SIP_MD5_HEX; i++)
		got[i] = g_ascii_tolower(ar->ar_response[i]);
	ok = ok && CRYPTO_memcmp(want, got, GW_SIP_MD5_HEX) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok ? t : NULL;
}

static void forbid(struct gw_sip *sip, nua_handle_t *nh)
{
	nua_respond(nh, SIP_403_FORBIDDEN, NUTAG_WITH_THIS(sip->nua), TAG_END());
}

/* 407 with a fresh nonce (RFC 3261 section 22.3). */
static void challenge(struct gw_sip *sip, nua_handle_t *nh, auth_status_t *as)
{
	auth_challenger_t ach = { .ach_status = 407, .ach_phrase = sip_407_Proxy_auth_required,
				  .ach_header = sip_proxy_authenticate_class };

	auth_challenge_digest(sip->inauth, as, &ach);
	if (!as->as_response) {
		gw_error("sip", "cannot make a digest challenge: 500");
		nua_respond(nh, SIP_500_INTERNAL_SERVER_ERROR, NUTAG_WITH_THIS(sip->nua), TAG_END());
		return;
	}
	nua_respond(nh, SIP_407_PROXY_AUTH_REQUIRED,
		    SIPTAG_PROXY_AUTHENTICATE((sip_proxy_authenticate_t *)as->as_response),
		    NUTAG_WITH_THIS(sip->nua), TAG_END());
}

static msg_auth_t *credentials(struct gw_sip *sip, const sip_t *msg)
{
	msg_auth_t *au = auth_digest_credentials(msg->sip_proxy_authorization, sip->inauth_realm,
						 NULL);

	return au ? au : auth_digest_credentials(msg->sip_authorization, sip->inauth_realm, NULL);
}

/* The digest-uri names the Request-URI (RFC 2617 section 3.2.2.5). */
static bool uri_matches(su_home_t *home, const auth_response_t *ar, const sip_t *msg)
{
	url_t *u = url_make(home, ar->ar_uri);

	return u && msg->sip_request && url_cmp(u, msg->sip_request->rq_url) == 0;
}

struct gw_sip_trunk *gw_sip_inauth_check(struct gw_sip *sip, nua_handle_t *nh,
					 const sip_t *msg, const char *source)
{
	const char *call_id = msg->sip_call_id && msg->sip_call_id->i_id ? msg->sip_call_id->i_id
									  : "";
	auth_response_t ar[1];
	struct gw_sip_trunk *t = NULL;
	auth_status_t *as;
	msg_auth_t *au;
	const char *why;
	char *user = NULL;
	bool valid;

	if (!sip->inauth) {
		gw_warn("sip", "INVITE %s from %s refused (403): not in any trunk's allowed_networks",
			call_id, source);
		forbid(sip, nh);
		return NULL;
	}
	as = auth_status_new(NULL);
	if (!as) {
		nua_respond(nh, SIP_500_INTERNAL_SERVER_ERROR, NUTAG_WITH_THIS(sip->nua), TAG_END());
		return NULL;
	}
	as->as_realm = sip->inauth_realm;
	as->as_method = "INVITE";
	memset(ar, 0, sizeof(ar));
	ar->ar_size = sizeof(ar);
	if (!(au = credentials(sip, msg))) {
		gw_debug("sip", "INVITE %s from %s: outside allowed_networks, 407 challenge",
			 call_id, source);
		challenge(sip, nh, as);
		goto out;
	}
	if (auth_digest_response_get(as->as_home, ar, au->au_params) < 0) {
		nua_respond(nh, SIP_500_INTERNAL_SERVER_ERROR, NUTAG_WITH_THIS(sip->nua), TAG_END());
		goto out;
	}
	if ((why = malformed(ar)) ||
	    (!uri_matches(as->as_home, ar, msg) && (why = "a uri other than the Request-URI"))) {
		gw_warn("sip", "INVITE %s from %s refused (403): credentials with %s", call_id,
			source, why);
		forbid(sip, nh);
		goto out;
	}
	if (auth_validate_digest_nonce(sip->inauth, as, ar, msg_now()) < 0) {
		/* Not a nonce of ours (made up, altered, from before a restart). */
		gw_info("sip", "INVITE %s from %s: nonce not ours, new 407 challenge", call_id,
			source);
		challenge(sip, nh, as);
		goto out;
	}
	t = verify(sip, ar, msg);
	valid = t != NULL;
	if (valid && as->as_stale) {
		/* Right password, old nonce: retry with a new one (RFC 2617). */
		gw_debug("sip", "INVITE %s from %s: stale nonce, 407 stale=true", call_id, source);
		challenge(sip, nh, as);
		t = NULL;
		goto out;
	}
	user = g_strescape(ar->ar_username, NULL);
	if (!valid) {
		gw_warn("sip", "INVITE %s from %s refused (403): wrong digest credentials for user "
			"'%s'", call_id, source, user);
		forbid(sip, nh);
		goto out;
	}
	gw_info("sip", "INVITE %s from %s: digest user '%s' of trunk %s", call_id, source, user,
		gw_sip_str(t->cfg->name));
out:
	g_free(user);
	auth_status_unref(as);
	return t;
}
