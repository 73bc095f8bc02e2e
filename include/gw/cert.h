/* gw/cert.h — the gateway's ECDSA P-256 self-signed certificate.
 *
 * One certificate identifies the gateway on the DTLS-SRTP leg (its SHA-256
 * fingerprint goes into every answer) and may also serve HTTPS.  It is loaded
 * from PEM files, or generated once and written there so later starts present
 * the same fingerprint.  A struct gw_cert is a refcounted gw_obj and is
 * immutable after creation, so any loop may hold a reference and read it.
 * This header stays free of OpenSSL types; src/core/cert_priv.h gives the
 * DTLS wrapper the X509 and key.
 */
#ifndef GW_CERT_H
#define GW_CERT_H

#include <stddef.h>

struct gw_cert;

/* Longest fingerprint string gw_cert_fingerprint*() produce, with NUL:
 * "sha-512 " + 64 bytes as "XX:" */
#define GW_CERT_FINGERPRINT_MAX (8 + 64 * 3)

/* Generate a new ECDSA P-256 key and a self-signed certificate for it in
 * memory: CN @cn, random 64-bit serial, valid from one hour ago for a year.
 * 0 or EINVAL (bad @cn) / EIO (OpenSSL failure, logged); *out holds one
 * reference on success. */
int gw_cert_generate(const char *cn, struct gw_cert **out);

/* Load the PEM certificate and key at @cert_path / @key_path; when neither
 * exists, generate one (CN @cn) and write both files (parent directories
 * created, key file mode 0600, written atomically) so the next start loads
 * the same certificate.  Only one of the two files present, unreadable or
 * corrupt PEM, or a key that does not match the certificate are refused:
 * returns an errno value and, when @err is not NULL, sets *err to a
 * g_malloc'd sentence naming the file (g_free it).  0 and *out (one
 * reference) on success.  Blocking file I/O: call at start-up or from a
 * worker thread. */
int gw_cert_load_or_generate(const char *cert_path, const char *key_path, const char *cn,
			     struct gw_cert **out, char **err);

/* The certificate's fingerprint as written in SDP (RFC 8122):
 * "sha-256 AB:CD:..." with 32 upper-case hex bytes.  Valid while the
 * caller holds a reference. */
const char *gw_cert_fingerprint(const struct gw_cert *cert);

/* Check that @fp is an SDP fingerprint value we can verify: a known hash
 * name (sha-1, sha-224, sha-256, sha-384, sha-512, any case), one space,
 * then exactly that hash's length in colon-separated hex bytes.
 * 0 or EINVAL. */
int gw_cert_fingerprint_check(const char *fp);

#endif
