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
 * vectors (below: RFC 3711 B.2 and B.3, RFC 6188 7.1, RFC 2202, the GCM
 * spec's test cases 4 and 16) and those of the type it replaces, so a wrong
 * implementation is never installed.  An instance then belongs to the
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

/* ---- known answers and the type tables ----
 *
 * AES-ICM: the keystream (the encryption of zeros) of
 * RFC 3711 B.2 (AES-128) and RFC 6188 7.1 (AES-256) at counters 0000..0002
 * and, with IV ...FEFF, at FEFF..FF01 (a carry out of the low octet); and
 * RFC 3711 B.3's session keys, the KDF's use of the cipher (RFC 3711 4.3.1:
 * the label in IV octet 7), including a 14-octet partial block. */
static const uint8_t kat_zero[48];
static uint8_t kat_iv_zero[16];
static uint8_t kat_iv_feff[16] = { [14] = 0xfe, [15] = 0xff };
static uint8_t kat_iv_label1[16] = { [7] = 1 };
static uint8_t kat_iv_label2[16] = { [7] = 2 };
static const uint8_t kat_icm128_key[] =
	"\x2b\x7e\x15\x16\x28\xae\xd2\xa6\xab\xf7\x15\x88\x09\xcf\x4f\x3c"
	"\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9\xfa\xfb\xfc\xfd";
static const uint8_t kat_icm128_ks0[] =
	"\xe0\x3e\xad\x09\x35\xc9\x5e\x80\xe1\x66\xb1\x6d\xd9\x2b\x4e\xb4"
	"\xd2\x35\x13\x16\x2b\x02\xd0\xf7\x2a\x43\xa2\xfe\x4a\x5f\x97\xab"
	"\x41\xe9\x5b\x3b\xb0\xa2\xe8\xdd\x47\x79\x01\xe4\xfc\xa8\x94\xc0";
static const uint8_t kat_icm128_ksfeff[] =
	"\xec\x8c\xdf\x73\x98\x60\x7c\xb0\xf2\xd2\x16\x75\xea\x9e\xa1\xe4"
	"\x36\x2b\x7c\x3c\x67\x73\x51\x63\x18\xa0\x77\xd7\xfc\x50\x73\xae"
	"\x6a\x2c\xc3\x78\x78\x89\x37\x4f\xbe\xb4\xc8\x1b\x17\xba\x6c\x44";
static const uint8_t kat_b3_key[] =
	"\xe1\xf9\x7a\x0d\x3e\x01\x8b\xe0\xd6\x4f\xa3\x2c\x06\xde\x41\x39"
	"\x0e\xc6\x75\xad\x49\x8a\xfe\xeb\xb6\x96\x0b\x3a\xab\xe6";
static const uint8_t kat_b3_cipher_key[] =
	"\xc6\x1e\x7a\x93\x74\x4f\x39\xee\x10\x73\x4a\xfe\x3f\xf7\xa0\x87";
static const uint8_t kat_b3_auth_key[] =
	"\xce\xbe\x32\x1f\x6f\xf7\x71\x6b\x6f\xd4\xab\x49\xaf\x25\x6a\x15"
	"\x6d\x38\xba\xa4\x8f\x0a\x0a\xcf\x3c\x34\xe2\x35\x9e\x6c\xdb\xce";
static const uint8_t kat_b3_salt[] =
	"\x30\xcb\xbc\x08\x86\x3d\x8c\x85\xd4\x9d\xb3\x4a\x9a\xe1";
static const uint8_t kat_icm256_key[] =
	"\x57\xf8\x2f\xe3\x61\x3f\xd1\x70\xa8\x5e\xc9\x3c\x40\xb1\xf0\x92"
	"\x2e\xc4\xcb\x0d\xc0\x25\xb5\x82\x72\x14\x7c\xc4\x38\x94\x4a\x98"
	"\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9\xfa\xfb\xfc\xfd";
static const uint8_t kat_icm256_ks0[] =
	"\x92\xbd\xd2\x8a\x93\xc3\xf5\x25\x11\xc6\x77\xd0\x8b\x55\x15\xa4"
	"\x9d\xa7\x1b\x23\x78\xa8\x54\xf6\x70\x50\x75\x6d\xed\x16\x5b\xac"
	"\x63\xc4\x86\x8b\x70\x96\xd8\x84\x21\xb5\x63\xb8\xc9\x4c\x9a\x31";
static const uint8_t kat_icm256_ksfeff[] =
	"\xce\xa5\x18\xc9\x0f\xd9\x1c\xed\x9c\xbb\x18\xc0\x78\xa5\x47\x11"
	"\x3d\xbc\x48\x14\xf4\xda\x5f\x00\xa0\x87\x72\xb6\x3c\x6a\x04\x6d"
	"\x6e\xb2\x46\x91\x30\x62\xa1\x68\x91\x43\x3e\x97\xdd\x01\xa5\x7f";

#define ICM_KAT(klen, k, iv, n, ks, nx)                                                      \
	{ .key_length_octets = (klen), .key = (k), .idx = (iv), .plaintext_length_octets = (n),    \
	  .plaintext = kat_zero, .ciphertext_length_octets = (n), .ciphertext = (ks),              \
	  .next_test_case = (nx) }

static const srtp_cipher_test_case_t kat_icm128_b3_salt =
	ICM_KAT(30, kat_b3_key, kat_iv_label2, 14, kat_b3_salt, NULL);
static const srtp_cipher_test_case_t kat_icm128_b3_auth =
	ICM_KAT(30, kat_b3_key, kat_iv_label1, 32, kat_b3_auth_key, &kat_icm128_b3_salt);
static const srtp_cipher_test_case_t kat_icm128_b3_enc =
	ICM_KAT(30, kat_b3_key, kat_iv_zero, 16, kat_b3_cipher_key, &kat_icm128_b3_auth);
static const srtp_cipher_test_case_t kat_icm128_feff =
	ICM_KAT(30, kat_icm128_key, kat_iv_feff, 48, kat_icm128_ksfeff, &kat_icm128_b3_enc);
static const srtp_cipher_test_case_t kat_icm128 =
	ICM_KAT(30, kat_icm128_key, kat_iv_zero, 48, kat_icm128_ks0, &kat_icm128_feff);
static const srtp_cipher_test_case_t kat_icm256_feff =
	ICM_KAT(46, kat_icm256_key, kat_iv_feff, 48, kat_icm256_ksfeff, NULL);
static const srtp_cipher_test_case_t kat_icm256 =
	ICM_KAT(46, kat_icm256_key, kat_iv_zero, 48, kat_icm256_ks0, &kat_icm256_feff);

/* AES-GCM: the GCM specification's (McGrew, Viega) test cases 4 (AES-128,
 * also with the tag cut to 8 octets) and 16 (AES-256).  libsrtp keys carry
 * the 12-octet SRTP salt after the AES key; the cipher ignores it. */
static uint8_t kat_gcm_iv[12] = { 0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88 };
static const uint8_t kat_gcm128_key[] =
	"\xfe\xff\xe9\x92\x86\x65\x73\x1c\x6d\x6a\x8f\x94\x67\x30\x83\x08"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";
static const uint8_t kat_gcm256_key[] =
	"\xfe\xff\xe9\x92\x86\x65\x73\x1c\x6d\x6a\x8f\x94\x67\x30\x83\x08"
	"\xfe\xff\xe9\x92\x86\x65\x73\x1c\x6d\x6a\x8f\x94\x67\x30\x83\x08"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";
static const uint8_t kat_gcm_aad[] =
	"\xfe\xed\xfa\xce\xde\xad\xbe\xef\xfe\xed\xfa\xce\xde\xad\xbe\xef"
	"\xab\xad\xda\xd2";
static const uint8_t kat_gcm_plain[] =
	"\xd9\x31\x32\x25\xf8\x84\x06\xe5\xa5\x59\x09\xc5\xaf\xf5\x26\x9a"
	"\x86\xa7\xa9\x53\x15\x34\xf7\xda\x2e\x4c\x30\x3d\x8a\x31\x8a\x72"
	"\x1c\x3c\x0c\x95\x95\x68\x09\x53\x2f\xcf\x0e\x24\x49\xa6\xb5\x25"
	"\xb1\x6a\xed\xf5\xaa\x0d\xe6\x57\xba\x63\x7b\x39";
static const uint8_t kat_gcm128_ct[] =
	"\x42\x83\x1e\xc2\x21\x77\x74\x24\x4b\x72\x21\xb7\x84\xd0\xd4\x9c"
	"\xe3\xaa\x21\x2f\x2c\x02\xa4\xe0\x35\xc1\x7e\x23\x29\xac\xa1\x2e"
	"\x21\xd5\x14\xb2\x54\x66\x93\x1c\x7d\x8f\x6a\x5a\xac\x84\xaa\x05"
	"\x1b\xa3\x0b\x39\x6a\x0a\xac\x97\x3d\x58\xe0\x91\x5b\xc9\x4f\xbc"
	"\x32\x21\xa5\xdb\x94\xfa\xe9\x5a\xe7\x12\x1a\x47";
static const uint8_t kat_gcm256_ct[] =
	"\x52\x2d\xc1\xf0\x99\x56\x7d\x07\xf4\x7f\x37\xa3\x2a\x84\x42\x7d"
	"\x64\x3a\x8c\xdc\xbf\xe5\xc0\xc9\x75\x98\xa2\xbd\x25\x55\xd1\xaa"
	"\x8c\xb0\x8e\x48\x59\x0d\xbb\x3d\xa7\xb0\x8b\x10\x56\x82\x88\x38"
	"\xc5\xf6\x1e\x63\x93\xba\x7a\x0a\xbc\xc9\xf6\x62\x76\xfc\x6e\xce"
	"\x0f\x4e\x17\x68\xcd\xdf\x88\x53\xbb\x2d\x55\x1b";

#define GCM_KAT(klen, k, ct, t, nx)                                                          \
	{ .key_length_octets = (klen), .key = (k), .idx = kat_gcm_iv,                              \
	  .plaintext_length_octets = 60, .plaintext = kat_gcm_plain,                                \
	  .ciphertext_length_octets = 60 + (t), .ciphertext = (ct), .aad_length_octets = 20,       \
	  .aad = kat_gcm_aad, .tag_length_octets = (t), .next_test_case = (nx) }

static const srtp_cipher_test_case_t kat_gcm128_tag8 = GCM_KAT(28, kat_gcm128_key, kat_gcm128_ct, 8, NULL);
static const srtp_cipher_test_case_t kat_gcm128 = GCM_KAT(28, kat_gcm128_key, kat_gcm128_ct, 16, &kat_gcm128_tag8);
static const srtp_cipher_test_case_t kat_gcm256 = GCM_KAT(44, kat_gcm256_key, kat_gcm256_ct, 16, NULL);

/* HMAC-SHA1: RFC 2202 section 3, test cases 1, 2, 5 (with its 96-bit
 * truncation), 6 and 7 (keys longer than a block). */
static const uint8_t kat_hmac_tag1[] =
	"\xb6\x17\x31\x86\x55\x05\x72\x64\xe2\x8b\xc0\xb6\xfb\x37\x8c\x8e"
	"\xf1\x46\xbe\x00";
static const uint8_t kat_hmac_tag2[] =
	"\xef\xfc\xdf\x6a\xe5\xeb\x2f\xa2\xd2\x74\x16\xd5\xf1\x84\xdf\x9c"
	"\x25\x9a\x7c\x79";
static const uint8_t kat_hmac_tag5[] =
	"\x4c\x1a\x03\x42\x4b\x55\xe0\x7f\xe7\xf2\x7b\xe1";
static const uint8_t kat_hmac_key6[] =
	"\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"
	"\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"
	"\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"
	"\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"
	"\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa";
static const uint8_t kat_hmac_tag6[] =
	"\xaa\x4a\xe5\xe1\x52\x72\xd0\x0e\x95\x70\x56\x37\xce\x8a\x3b\x55"
	"\xed\x40\x21\x12";
static const uint8_t kat_hmac_tag7[] =
	"\xe8\xe9\x9d\x0f\x45\x23\x7d\x78\x6d\x6b\xba\xa7\x96\x5c\x78\x08"
	"\xbb\xff\x1a\x91";

#define HMAC_KAT(k, klen, d, dlen, t, tlen, nx)                                              \
	{ .key_length_octets = (klen), .key = (const uint8_t *)(k), .data_length_octets = (dlen),  \
	  .data = (const uint8_t *)(d), .tag_length_octets = (tlen), .tag = (t),                   \
	  .next_test_case = (nx) }

static const srtp_auth_test_case_t kat_hmac_7 =
	HMAC_KAT(kat_hmac_key6, 80, "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
		 73, kat_hmac_tag7, 20, NULL);
static const srtp_auth_test_case_t kat_hmac_6 =
	HMAC_KAT(kat_hmac_key6, 80, "Test Using Larger Than Block-Size Key - Hash Key First", 54,
		 kat_hmac_tag6, 20, &kat_hmac_7);
static const srtp_auth_test_case_t kat_hmac_5 =
	HMAC_KAT("\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c", 20,
		 "Test With Truncation", 20, kat_hmac_tag5, 12, &kat_hmac_6);
static const srtp_auth_test_case_t kat_hmac_2 =
	HMAC_KAT("Jefe", 4, "what do ya want for nothing?", 28, kat_hmac_tag2, 20, &kat_hmac_5);
static const srtp_auth_test_case_t kat_hmac_1 =
	HMAC_KAT("\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b", 20,
		 "Hi There", 8, kat_hmac_tag1, 20, &kat_hmac_2);

static const srtp_cipher_type_t icm128_type = {
	icm128_alloc, icm_dealloc, icm_init, NULL, icm_crypt, icm_crypt, icm_set_iv, NULL,
	"AES-128 counter mode using OpenSSL (rtcsip)", &kat_icm128, SRTP_AES_ICM_128,
};

static const srtp_cipher_type_t icm256_type = {
	icm256_alloc, icm_dealloc, icm_init, NULL, icm_crypt, icm_crypt, icm_set_iv, NULL,
	"AES-256 counter mode using OpenSSL (rtcsip)", &kat_icm256, SRTP_AES_ICM_256,
};

static const srtp_cipher_type_t gcm128_type = {
	gcm128_alloc, gcm_dealloc, gcm_init, gcm_set_aad, gcm_encrypt, gcm_decrypt, gcm_set_iv,
	gcm_get_tag, "AES-128 GCM using OpenSSL (rtcsip)", &kat_gcm128, SRTP_AES_GCM_128,
};

static const srtp_cipher_type_t gcm256_type = {
	gcm256_alloc, gcm_dealloc, gcm_init, gcm_set_aad, gcm_encrypt, gcm_decrypt, gcm_set_iv,
	gcm_get_tag, "AES-256 GCM using OpenSSL (rtcsip)", &kat_gcm256, SRTP_AES_GCM_256,
};

static const srtp_auth_type_t hmac_type = {
	hmac_alloc, hmac_dealloc, hmac_init, hmac_compute, hmac_update, hmac_start,
	"HMAC-SHA1 using OpenSSL (rtcsip)", &kat_hmac_1, SRTP_HMAC_SHA1,
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
