/* srtp_ossl.c — libsrtp2 cipher and auth types on OpenSSL 3 libcrypto.
 *
 * Debian builds libsrtp2 on NSS, which sets up a PK11 context for every
 * packet (~5.7 us for AES-CM + HMAC-SHA1 on a 100-byte packet).  libsrtp
 * lets an application replace a primitive (srtp_replace_cipher_type,
 * srtp_replace_auth_type); these types do AES-ICM (RFC 3711 4.1.1, 128 and
 * 256-bit keys, RFC 6188), HMAC-SHA1 (RFC 3711 4.2.1) and AES-GCM (RFC 7714)
 * with libcrypto (AES-NI).  Each libsrtp cipher/auth instance owns one EVP
 * context, keyed when libsrtp derives its session keys and re-armed with the
 * packet's IV only: no allocation and no algorithm fetch per packet here
 * (OpenSSL 3.0 itself allocates twice per HMAC, in EVP_MD_CTX_copy_ex).
 *
 * Environment: RTCSIP_SRTP_CRYPTO=libsrtp keeps libsrtp's own crypto (for
 * comparison benchmarks, and as an escape hatch); unset or "openssl"
 * installs these types.
 *
 * gw_srtp_ossl_install() runs once, from gw_srtp_init() (any thread, under
 * its once).  libsrtp accepts a type only if it passes its own known-answer
 * vectors (srtp_ossl_kat.c: RFC 3711 B.2 and B.3, RFC 6188 7.1, RFC 2202,
 * the GCM spec's test cases 4 and 16) and those of the type it replaces, so
 * a wrong implementation is never installed.  An instance then belongs to the
 * libsrtp session that allocated it (one media loop).  The EVP_CIPHER and
 * EVP_MAC fetched at install are shared read-only and live for the process.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include "gw/log.h"
#include "srtp_ossl.h"

#define ICM_SALT_LEN 14 /* RFC 3711 4.1.1: 112-bit session salt */
#define GCM_SALT_LEN 12 /* RFC 7714 8.1: 96-bit salt (libsrtp applies it) */
#define GCM_TAG_LEN 16
#define GCM_TAG_LEN_8 8 /* libsrtp's AEAD_AES_*_GCM_8 policies */
#define SHA1_LEN 20

/* Fetched by install; read-only afterwards, from any media loop. */
static EVP_CIPHER *evp_ctr128, *evp_ctr256, *evp_gcm128, *evp_gcm256;
static EVP_MAC *evp_hmac;

/* ---- AES-ICM: AES in counter mode, counter = (salt || 0x0000) ^ IV ---- */

struct icm {
	srtp_cipher_t base; /* first: libsrtp holds &base, we get state = this */
	EVP_CIPHER_CTX *ctx;
	const EVP_CIPHER *evp;
	int aes_len;        /* 16 or 32 */
	uint8_t offset[16]; /* salt || 0x0000 */
};

static const srtp_cipher_type_t icm128_type, icm256_type;

static srtp_err_status_t icm_alloc(srtp_cipher_t **cp, int key_len, const srtp_cipher_type_t *type,
				   const EVP_CIPHER *evp, int aes_len)
{
	struct icm *c;

	/* libsrtp passes key + salt lengths: 30 or 46 */
	if (key_len != aes_len + ICM_SALT_LEN)
		return srtp_err_status_bad_param;
	if (!evp)
		return srtp_err_status_cipher_fail;
	c = g_new0(struct icm, 1);
	c->ctx = EVP_CIPHER_CTX_new();
	if (!c->ctx) {
		g_free(c);
		return srtp_err_status_alloc_fail;
	}
	c->evp = evp;
	c->aes_len = aes_len;
	c->base.type = type;
	c->base.state = c;
	c->base.key_len = key_len;
	c->base.algorithm = type->id;
	*cp = &c->base;
	return srtp_err_status_ok;
}

static srtp_err_status_t icm128_alloc(srtp_cipher_t **cp, int key_len, int tag_len)
{
	(void)tag_len;
	return icm_alloc(cp, key_len, &icm128_type, evp_ctr128, 16);
}

static srtp_err_status_t icm256_alloc(srtp_cipher_t **cp, int key_len, int tag_len)
{
	(void)tag_len;
	return icm_alloc(cp, key_len, &icm256_type, evp_ctr256, 32);
}

static srtp_err_status_t icm_dealloc(srtp_cipher_t *cp)
{
	struct icm *c = (struct icm *)cp;

	/* EVP_CIPHER_CTX_free wipes the key schedule; we wipe the salt */
	EVP_CIPHER_CTX_free(c->ctx);
	OPENSSL_cleanse(c, sizeof(*c));
	g_free(c);
	return srtp_err_status_ok;
}

/* @key is the AES key followed by the 14-byte salt. */
static srtp_err_status_t icm_init(void *state, const uint8_t *key)
{
	struct icm *c = state;

	memcpy(c->offset, key + c->aes_len, ICM_SALT_LEN);
	c->offset[14] = c->offset[15] = 0;
	if (!EVP_EncryptInit_ex2(c->ctx, c->evp, key, NULL, NULL)) {
		ERR_clear_error();
		return srtp_err_status_cipher_fail;
	}
	return srtp_err_status_ok;
}

/* libsrtp's 16-byte IV (SSRC and index for a packet, the label for key
 * derivation) XORed with the offset is the first counter block.  OpenSSL
 * carries into all 128 bits where RFC 3711 counts the low 16: the same,
 * since libsrtp's IVs end in two zero octets and no packet has 2^16 blocks. */
static srtp_err_status_t icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct icm *c = state;
	uint8_t ctr[16];

	(void)dir;
	for (int i = 0; i < 16; i++)
		ctr[i] = c->offset[i] ^ iv[i];
	if (!EVP_EncryptInit_ex2(c->ctx, NULL, NULL, ctr, NULL)) {
		ERR_clear_error();
		return srtp_err_status_cipher_fail;
	}
	return srtp_err_status_ok;
}

/* XOR the keystream into @buf in place; counter mode decrypts the same way. */
static srtp_err_status_t icm_crypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct icm *c = state;
	int out = 0;

	if (*len == 0)
		return srtp_err_status_ok;
	if (!buf || *len > INT_MAX)
		return srtp_err_status_bad_param;
	if (!EVP_EncryptUpdate(c->ctx, buf, &out, buf, (int)*len) || out != (int)*len) {
		ERR_clear_error();
		return srtp_err_status_cipher_fail;
	}
	return srtp_err_status_ok;
}

/* ---- AES-GCM (RFC 7714): libsrtp computes the 12-byte IV itself ---- */

struct gcm {
	srtp_cipher_t base; /* first, as for struct icm */
	EVP_CIPHER_CTX *ctx;
	const EVP_CIPHER *evp;
	int tag_len;              /* 16, or 8 for the _8 policies */
	uint8_t tag[GCM_TAG_LEN]; /* of the last encrypt, for get_tag */
};

static const srtp_cipher_type_t gcm128_type, gcm256_type;

static srtp_err_status_t gcm_alloc(srtp_cipher_t **cp, int key_len, int tag_len,
				   const srtp_cipher_type_t *type, const EVP_CIPHER *evp, int aes_len)
{
	struct gcm *c;

	if (key_len != aes_len + GCM_SALT_LEN || (tag_len != GCM_TAG_LEN && tag_len != GCM_TAG_LEN_8))
		return srtp_err_status_bad_param;
	if (!evp)
		return srtp_err_status_cipher_fail;
	c = g_new0(struct gcm, 1);
	c->ctx = EVP_CIPHER_CTX_new();
	if (!c->ctx) {
		g_free(c);
		return srtp_err_status_alloc_fail;
	}
	c->evp = evp;
	c->tag_len = tag_len;
	c->base.type = type;
	c->base.state = c;
	c->base.key_len = key_len;
	c->base.algorithm = type->id;
	*cp = &c->base;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm128_alloc(srtp_cipher_t **cp, int key_len, int tag_len)
{
	return gcm_alloc(cp, key_len, tag_len, &gcm128_type, evp_gcm128, 16);
}

static srtp_err_status_t gcm256_alloc(srtp_cipher_t **cp, int key_len, int tag_len)
{
	return gcm_alloc(cp, key_len, tag_len, &gcm256_type, evp_gcm256, 32);
}

static srtp_err_status_t gcm_dealloc(srtp_cipher_t *cp)
{
	struct gcm *c = (struct gcm *)cp;

	EVP_CIPHER_CTX_free(c->ctx);
	OPENSSL_cleanse(c, sizeof(*c));
	g_free(c);
	return srtp_err_status_ok;
}

/* @key is the AES key (the salt after it is libsrtp's business). */
static srtp_err_status_t gcm_init(void *state, const uint8_t *key)
{
	struct gcm *c = state;

	if (!EVP_CipherInit_ex2(c->ctx, c->evp, key, NULL, 1, NULL)) {
		ERR_clear_error();
		return srtp_err_status_cipher_fail;
	}
	return srtp_err_status_ok;
}

/* Starts one packet: the IV, the direction; AAD and data follow. */
static srtp_err_status_t gcm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct gcm *c = state;

	if (dir != srtp_direction_encrypt && dir != srtp_direction_decrypt)
		return srtp_err_status_bad_param;
	if (!EVP_CipherInit_ex2(c->ctx, NULL, NULL, iv, dir == srtp_direction_encrypt, NULL)) {
		ERR_clear_error();
		return srtp_err_status_cipher_fail;
	}
	return srtp_err_status_ok;
}

/* libsrtp may call this more than once per packet (SRTCP: header, then
 * the E-bit and index word); GCM takes AAD in pieces before the data. */
static srtp_err_status_t gcm_set_aad(void *state, const uint8_t *aad, uint32_t len)
{
	struct gcm *c = state;
	int out = 0;

	if (len == 0)
		return srtp_err_status_ok;
	if (!aad || len > INT_MAX)
		return srtp_err_status_bad_param;
	if (!EVP_CipherUpdate(c->ctx, NULL, &out, aad, (int)len)) {
		ERR_clear_error();
		return srtp_err_status_cipher_fail;
	}
	return srtp_err_status_ok;
}

/* Encrypt @buf in place (NULL with *@len 0 for SRTCP sent unencrypted:
 * the tag still covers the AAD); keep the tag for get_tag. */
static srtp_err_status_t gcm_encrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct gcm *c = state;
	uint8_t none[GCM_TAG_LEN];
	int out = 0;

	if (*len > INT_MAX || (*len && !buf))
		return srtp_err_status_bad_param;
	if ((*len && (!EVP_CipherUpdate(c->ctx, buf, &out, buf, (int)*len) || out != (int)*len)) ||
	    !EVP_CipherFinal_ex(c->ctx, none, &out) ||
	    EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_GET_TAG, c->tag_len, c->tag) <= 0) {
		ERR_clear_error();
		return srtp_err_status_cipher_fail;
	}
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_get_tag(void *state, uint8_t *tag, uint32_t *len)
{
	struct gcm *c = state;

	memcpy(tag, c->tag, (size_t)c->tag_len);
	*len = (uint32_t)c->tag_len;
	return srtp_err_status_ok;
}

/* @buf holds ciphertext then tag; decrypt in place and check the tag:
 * *@len shrinks to the plaintext.  A wrong tag is auth_fail, which libsrtp
 * passes up as it is (gw_srtp counts it). */
static srtp_err_status_t gcm_decrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct gcm *c = state;
	uint8_t tag[GCM_TAG_LEN], none[GCM_TAG_LEN];
	unsigned int n;
	int out = 0;

	if (!buf || *len < (unsigned int)c->tag_len || *len > INT_MAX)
		return srtp_err_status_bad_param;
	n = *len - (unsigned int)c->tag_len;
	memcpy(tag, buf + n, (size_t)c->tag_len);
	if (EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_SET_TAG, c->tag_len, tag) <= 0 ||
	    (n && (!EVP_CipherUpdate(c->ctx, buf, &out, buf, (int)n) || out != (int)n))) {
		ERR_clear_error();
		return srtp_err_status_cipher_fail;
	}
	if (!EVP_CipherFinal_ex(c->ctx, none, &out)) {
		ERR_clear_error();
		return srtp_err_status_auth_fail;
	}
	*len = n;
	return srtp_err_status_ok;
}

/* ---- HMAC-SHA1 (RFC 2104), tag truncated by libsrtp's length ---- */

struct hmac {
	srtp_auth_t base; /* first: libsrtp holds &base */
	EVP_MAC_CTX *ctx;
};

static const srtp_auth_type_t hmac_type;

static srtp_err_status_t hmac_alloc(srtp_auth_t **ap, int key_len, int out_len)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0),
		OSSL_PARAM_construct_end(),
	};
	struct hmac *h;

	if (key_len < 0 || out_len < 0 || out_len > SHA1_LEN)
		return srtp_err_status_bad_param;
	if (!evp_hmac)
		return srtp_err_status_auth_fail;
	h = g_new0(struct hmac, 1);
	h->ctx = EVP_MAC_CTX_new(evp_hmac);
	/* the digest once per instance, so init and start fetch nothing */
	if (!h->ctx || !EVP_MAC_CTX_set_params(h->ctx, params)) {
		ERR_clear_error();
		EVP_MAC_CTX_free(h->ctx);
		g_free(h);
		return srtp_err_status_alloc_fail;
	}
	h->base.type = &hmac_type;
	h->base.state = h;
	h->base.out_len = out_len;
	h->base.key_len = key_len;
	h->base.prefix_len = 0;
	*ap = &h->base;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_dealloc(srtp_auth_t *ap)
{
	struct hmac *h = (struct hmac *)ap;

	EVP_MAC_CTX_free(h->ctx);
	OPENSSL_cleanse(h, sizeof(*h));
	g_free(h);
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_init(void *state, const uint8_t *key, int key_len)
{
	struct hmac *h = state;

	if (key_len < 0 || !EVP_MAC_init(h->ctx, key, (size_t)key_len, NULL)) {
		ERR_clear_error();
		return srtp_err_status_auth_fail;
	}
	return srtp_err_status_ok;
}

/* A new message under the same key: OpenSSL restarts from the keyed state. */
static srtp_err_status_t hmac_start(void *state)
{
	struct hmac *h = state;

	if (!EVP_MAC_init(h->ctx, NULL, 0, NULL)) {
		ERR_clear_error();
		return srtp_err_status_auth_fail;
	}
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_update(void *state, const uint8_t *buf, int len)
{
	struct hmac *h = state;

	if (len < 0)
		return srtp_err_status_bad_param;
	if (len && !EVP_MAC_update(h->ctx, buf, (size_t)len)) {
		ERR_clear_error();
		return srtp_err_status_auth_fail;
	}
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_compute(void *state, const uint8_t *buf, int len, int tag_len,
				      uint8_t *tag)
{
	struct hmac *h = state;
	uint8_t md[EVP_MAX_MD_SIZE];
	size_t md_len = 0;
	srtp_err_status_t st;

	if (tag_len < 0 || tag_len > SHA1_LEN)
		return srtp_err_status_bad_param;
	st = hmac_update(state, buf, len);
	if (st)
		return st;
	if (!EVP_MAC_final(h->ctx, md, &md_len, sizeof(md)) || md_len < (size_t)tag_len) {
		ERR_clear_error();
		return srtp_err_status_auth_fail;
	}
	memcpy(tag, md, (size_t)tag_len);
	OPENSSL_cleanse(md, sizeof(md));
	return srtp_err_status_ok;
}

/* ---- the type tables (known answers: srtp_ossl_kat.c) ---- */

static const srtp_cipher_type_t icm128_type = {
	icm128_alloc, icm_dealloc, icm_init, NULL, icm_crypt, icm_crypt, icm_set_iv, NULL,
	"AES-128 counter mode using OpenSSL (rtcsip)", &gw_srtp_kat_icm128, SRTP_AES_ICM_128,
};

static const srtp_cipher_type_t icm256_type = {
	icm256_alloc, icm_dealloc, icm_init, NULL, icm_crypt, icm_crypt, icm_set_iv, NULL,
	"AES-256 counter mode using OpenSSL (rtcsip)", &gw_srtp_kat_icm256, SRTP_AES_ICM_256,
};

static const srtp_cipher_type_t gcm128_type = {
	gcm128_alloc, gcm_dealloc, gcm_init, gcm_set_aad, gcm_encrypt, gcm_decrypt, gcm_set_iv,
	gcm_get_tag, "AES-128 GCM using OpenSSL (rtcsip)", &gw_srtp_kat_gcm128, SRTP_AES_GCM_128,
};

static const srtp_cipher_type_t gcm256_type = {
	gcm256_alloc, gcm_dealloc, gcm_init, gcm_set_aad, gcm_encrypt, gcm_decrypt, gcm_set_iv,
	gcm_get_tag, "AES-256 GCM using OpenSSL (rtcsip)", &gw_srtp_kat_gcm256, SRTP_AES_GCM_256,
};

static const srtp_auth_type_t hmac_type = {
	hmac_alloc, hmac_dealloc, hmac_init, hmac_compute, hmac_update, hmac_start,
	"HMAC-SHA1 using OpenSSL (rtcsip)", &gw_srtp_kat_hmac, SRTP_HMAC_SHA1,
};

const srtp_cipher_type_t *gw_srtp_ossl_cipher_type(srtp_cipher_type_id_t id)
{
	switch (id) {
	case SRTP_AES_ICM_128:
		return &icm128_type;
	case SRTP_AES_ICM_256:
		return &icm256_type;
	case SRTP_AES_GCM_128:
		return &gcm128_type;
	case SRTP_AES_GCM_256:
		return &gcm256_type;
	default:
		return NULL;
	}
}

const srtp_auth_type_t *gw_srtp_ossl_auth_type(srtp_auth_type_id_t id)
{
	return id == SRTP_HMAC_SHA1 ? &hmac_type : NULL;
}

/* ---- install ---- */

static EVP_CIPHER *fetch_cipher(const char *name)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);

	if (!c) {
		gw_warn("srtp", "OpenSSL has no %s: libsrtp keeps its own for it", name);
		ERR_clear_error();
	}
	return c;
}

/* libsrtp refused @desc (or we had no algorithm for it): say so, keep its own. */
static bool installed(srtp_err_status_t st, const char *desc)
{
	if (st == srtp_err_status_ok)
		return true;
	gw_warn("srtp", "libsrtp refused \"%s\" (libsrtp error %d): keeping libsrtp's own", desc,
		(int)st);
	return false;
}

int gw_srtp_ossl_install(void)
{
	static const srtp_cipher_type_t *const ciphers[] = {
		&icm128_type, &icm256_type, &gcm128_type, &gcm256_type,
	};
	const char *mode = getenv(GW_SRTP_CRYPTO_ENV);
	unsigned ok = 0;

	if (mode && strcmp(mode, "libsrtp") == 0) {
		gw_info("srtp", "%s=libsrtp: SRTP uses libsrtp's own crypto", GW_SRTP_CRYPTO_ENV);
		return 0;
	}
	if (mode && *mode && strcmp(mode, "openssl") != 0)
		gw_warn("srtp", "%s=%s is neither \"openssl\" nor \"libsrtp\": using openssl",
			GW_SRTP_CRYPTO_ENV, mode);
	evp_ctr128 = fetch_cipher("AES-128-CTR");
	evp_ctr256 = fetch_cipher("AES-256-CTR");
	evp_gcm128 = fetch_cipher("AES-128-GCM");
	evp_gcm256 = fetch_cipher("AES-256-GCM");
	evp_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!evp_hmac) {
		gw_warn("srtp", "OpenSSL has no HMAC: libsrtp keeps its own for it");
		ERR_clear_error();
	}
	/* an alloc without its algorithm fails, so the self-test refuses it */
	for (size_t i = 0; i < G_N_ELEMENTS(ciphers); i++)
		ok += installed(srtp_replace_cipher_type(ciphers[i], ciphers[i]->id),
				ciphers[i]->description);
	ok += installed(srtp_replace_auth_type(&hmac_type, hmac_type.id), hmac_type.description);
	if (ok == G_N_ELEMENTS(ciphers) + 1) {
		gw_info("srtp", "SRTP crypto: %s (AES-CM-128/256, HMAC-SHA1, AES-GCM-128/256)",
			OpenSSL_version(OPENSSL_VERSION));
		return 0;
	}
	return EIO;
}
