/* auth.c — HS256 JSON Web Token verification for hello (RFC 7519, 7515).
 * Pure function; control loop.  Claims used: sub (the user), exp (required,
 * seconds since the epoch), nbf (optional), allowed (optional array of
 * destination prefixes the user may call), caller_id and caller_name
 * (optional: the From of the user's SIP calls). */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "signal_priv.h"

/* base64url without padding -> bytes; NULL when malformed. */
static guchar *b64url_decode(const char *s, size_t n, gsize *out_len)
{
	GString *t = g_string_sized_new(n + 4);
	guchar *bin;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!g_ascii_isalnum(c)) {
			g_string_free(t, TRUE);
			return NULL;
		}
		g_string_append_c(t, c);
	}
	if (t->len % 4 == 1) {
		g_string_free(t, TRUE);
		return NULL;
	}
	while (t->len % 4)
		g_string_append_c(t, '=');
	bin = g_base64_decode(t->str, out_len);
	g_string_free(t, TRUE);
	return bin;
}

static json_t *decode_json_part(const char *s, size_t n)
{
	gsize len;
	guchar *bin = b64url_decode(s, n, &len);
	json_t *j;

	if (!bin)
		return NULL;
	j = json_loadb((const char *)bin, len, 0, NULL);
	g_free(bin);
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

void gw_auth_claims_clear(struct gw_auth_claims *c)
{
	g_free(c->user);
	g_strfreev(c->allowed);
	g_free(c->caller_id);
	g_free(c->caller_name);
	memset(c, 0, sizeof(*c));
}

/* A From user a carrier takes: 1-32 of '+' (first only), digits, '*',
 * letters, '-', '_', '.' (a number, or a PBX extension's name; no '#',
 * which a SIP URI would need escaped). */
static bool caller_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && !strchr("*-_.", s[i]) && !(s[i] == '+' && i == 0))
			return false;
	return true;
}

/* A display name: 1-64 bytes of UTF-8 without control characters. */
static bool caller_name_ok(const char *s)
{
	if (!*s || strlen(s) > 64 || !g_utf8_validate(s, -1, NULL))
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* Optional string claim @name checked by @ok (@what it must be) into
 * *@out; false with *@why. */
static bool string_claim(json_t *claims, const char *name, bool (*ok)(const char *),
			 const char *what, char **out, char **why)
{
	json_t *v = json_object_get(claims, name);

	if (!v)
		return true;
	if (!json_is_string(v) || !ok(json_string_value(v))) {
		*why = g_strdup_printf("token claim %s must be %s", name, what);
		return false;
	}
	*out = g_strdup(json_string_value(v));
	return true;
}

int gw_auth_jwt_verify(const char *token, const char *secret, gint64 now_s,
		       struct gw_auth_claims *out, char **why)
{
	const char *dot1, *dot2;
	json_t *hdr = NULL, *claims = NULL, *v;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	guchar *sig = NULL;
	gsize sig_len = 0;
	const char *sub;
	int err = EACCES;

	dot1 = strchr(token, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (!dot1 || !dot2 || strchr(dot2 + 1, '.') || strlen(token) > 8192) {
		*why = g_strdup("token is not a JWS compact serialisation");
		goto out;
	}
	hdr = decode_json_part(token, (size_t)(dot1 - token));
	if (!hdr || g_strcmp0(json_string_value(json_object_get(hdr, "alg")), "HS256")) {
		*why = g_strdup("token header must say alg HS256");
		goto out;
	}
	if (json_object_get(hdr, "crit")) {
		/* RFC 7515 4.1.11: we understand no extension, so refuse. */
		*why = g_strdup("token header has critical extensions");
		goto out;
	}
	sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &sig_len);
	if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)token,
		  (size_t)(dot2 - token), mac, &mac_len) ||
	    !sig || sig_len != mac_len || CRYPTO_memcmp(sig, mac, mac_len)) {
		*why = g_strdup("bad token signature");
		goto out;
	}
	claims = decode_json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (!claims) {
		*why = g_strdup("token claims are not a JSON object");
		goto out;
	}
	v = json_object_get(claims, "exp");
	if (!json_is_number(v)) {
		*why = g_strdup("token has no exp claim");
		goto out;
	}
	/* Compared as doubles: a huge exp must not overflow a cast. */
	if (!(json_number_value(v) > (double)now_s)) {
		*why = g_strdup("token expired");
		goto out;
	}
	v = json_object_get(claims, "nbf");
	if (json_is_number(v) && json_number_value(v) > (double)(now_s + 60)) {
		*why = g_strdup("token not valid yet");
		goto out;
	}
	sub = json_string_value(json_object_get(claims, "sub"));
	if (!sub || !*sub || strlen(sub) > 64) {
		*why = g_strdup("token has no usable sub claim");
		goto out;
	}
	v = json_object_get(claims, "allowed");
	if (v && !json_is_array(v)) {
		*why = g_strdup("token claim allowed must be an array of strings");
		goto out;
	}
	memset(out, 0, sizeof(*out));
	if (!string_claim(claims, "caller_id", caller_id_ok,
			  "1-32 of + (first), digits, *, letters, - _ .", &out->caller_id, why) ||
	    !string_claim(claims, "caller_name", caller_name_ok,
			  "1-64 bytes of UTF-8 without control characters", &out->caller_name, why)) {
		gw_auth_claims_clear(out);
		goto out;
	}
	if (v) {
		GPtrArray *a = g_ptr_array_new();
		size_t i;
		json_t *e;

		json_array_foreach(v, i, e)
			if (json_is_string(e))
				g_ptr_array_add(a, g_strdup(json_string_value(e)));
		g_ptr_array_add(a, NULL);
		out->allowed = (char **)g_ptr_array_free(a, FALSE);
	}
	out->user = g_strdup(sub);
	err = 0;
out:
	g_free(sig);
	json_decref(hdr);
	json_decref(claims);
	return err;
}
