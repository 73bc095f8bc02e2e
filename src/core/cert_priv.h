/* cert_priv.h — OpenSSL view of a struct gw_cert, for the DTLS wrapper only.
 *
 * Kept out of include/gw so that only the wrappers of OpenSSL (src/core/cert.c,
 * src/webrtc/dtls.c) see OpenSSL types.  The certificate is immutable: the
 * pointers returned here are borrowed, valid while a reference is held, and
 * must not be modified (OpenSSL may take its own references on them).
 */
#ifndef GW_CERT_PRIV_H
#define GW_CERT_PRIV_H

#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "gw/cert.h"

/* Borrowed X509 / private key of @cert. */
X509 *gw_cert_x509(const struct gw_cert *cert);
EVP_PKEY *gw_cert_pkey(const struct gw_cert *cert);

/* Compare the fingerprint of @x, computed with the hash named in
 * @expected ("sha-256 AB:.."), with @expected (hex case ignored).
 * 0 on match, EACCES on mismatch, EINVAL when @expected is not a valid
 * fingerprint (see gw_cert_fingerprint_check), EIO on OpenSSL failure.
 * When @actual is not NULL it receives @x's fingerprint in the same hash
 * (for the log line), truncated to @size. */
int gw_cert_x509_match(X509 *x, const char *expected, char *actual, size_t size);

#endif
