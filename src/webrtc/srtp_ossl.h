/* srtp_ossl.h — private to src/webrtc: libsrtp2 crypto types on OpenSSL
 * (srtp_ossl.c), installed by gw_srtp_init().
 */
#ifndef GW_WEBRTC_SRTP_OSSL_H
#define GW_WEBRTC_SRTP_OSSL_H

#include <srtp2/auth.h>
#include <srtp2/cipher.h>

/* Name of the environment variable choosing SRTP crypto: "libsrtp" keeps
 * libsrtp's own (NSS in Debian); unset or "openssl" installs ours. */
#define GW_SRTP_CRYPTO_ENV "RTCSIP_SRTP_CRYPTO"

/* After srtp_init(), once per process: replace libsrtp's AES-ICM-128/256,
 * HMAC-SHA1 and AES-GCM-128/256 with the OpenSSL types below, unless
 * RTCSIP_SRTP_CRYPTO=libsrtp.  libsrtp runs each type's known-answer tests
 * (ours and the replaced type's) and refuses a type that fails them; a type
 * refused keeps libsrtp's own and is logged as a warning.  0 (all installed,
 * or libsrtp's own kept as asked) or EIO (at least one kept; logged).
 * Never makes libsrtp unusable.  Not thread-safe: gw_srtp_init's once. */
int gw_srtp_ossl_install(void);

/* Our type for @id (SRTP_AES_ICM_128, SRTP_AES_ICM_256, SRTP_AES_GCM_128,
 * SRTP_AES_GCM_256), or NULL: for tests checking what libsrtp accepts.
 * Its instances work once gw_srtp_ossl_install() has run. */
const srtp_cipher_type_t *gw_srtp_ossl_cipher_type(srtp_cipher_type_id_t id);

/* Our type for SRTP_HMAC_SHA1, or NULL for any other @id. */
const srtp_auth_type_t *gw_srtp_ossl_auth_type(srtp_auth_type_id_t id);

/* srtp_ossl_kat.c: the first of each type's chain of known answers. */
extern const srtp_cipher_test_case_t gw_srtp_kat_icm128, gw_srtp_kat_icm256;
extern const srtp_cipher_test_case_t gw_srtp_kat_gcm128, gw_srtp_kat_gcm256;
extern const srtp_auth_test_case_t gw_srtp_kat_hmac;

#endif
