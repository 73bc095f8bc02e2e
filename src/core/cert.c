/* cert.c — ECDSA P-256 self-signed certificate: generate, load, write, fingerprint.
 *
 * Any thread (no loop): generation and loading are called at start-up or from
 * a worker thread; afterwards a struct gw_cert is immutable and shared by
 * reference.  It owns one X509, one EVP_PKEY and its SHA-256 fingerprint text.
 * Only this file and src/webrtc/dtls.c (through cert_priv.h) use OpenSSL types.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include "gw/log.h"
#include "gw/obj.h"
#include "core/cert_priv.h"

#define CERT_VALID_SECONDS (365L * 24 * 3600)
#define CERT_BACKDATE_SECONDS 3600L
/* RFC 5280 ub-common-name */
#define CERT_CN_MAX 64

struct gw_cert {
	X509 *x509;
	EVP_PKEY *pkey;
	char fingerprint[GW_CERT_FINGERPRINT_MAX];
};

/* RFC 8122 section 5 hash function textual names we verify. */
static const struct {
	const char *name;
	const EVP_MD *(*md)(void);
} hashes[] = {
	{ "sha-1", EVP_sha1 },
	{ "sha-224", EVP_sha224 },
	{ "sha-256", EVP_sha256 },
	{ "sha-384", EVP_sha384 },
	{ "sha-512", EVP_sha512 },
};

static void cert_destroy(void *obj)
{
	struct gw_cert *c = obj;

	X509_free(c->x509);
	EVP_PKEY_free(c->pkey);
}

/* One line: the first queued OpenSSL error (the queue is then cleared). */
static void log_openssl(const char *what)
{
	char detail[256] = "no detail";
	unsigned long e = ERR_get_error();

	if (e)
		ERR_error_string_n(e, detail, sizeof(detail));
	ERR_clear_error();
	gw_error("cert", "%s: %s", what, detail);
}

static int fp_format(X509 *x, const char *name, const EVP_MD *md, char *buf, size_t size)
{
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	GString *s;

	if (!X509_digest(x, md, dig, &n))
		return EIO;
	s = g_string_new(name);
	g_string_append_c(s, ' ');
	for (unsigned int i = 0; i < n; i++)
		g_string_append_printf(s, i ? ":%02X" : "%02X", dig[i]);
	g_strlcpy(buf, s->str, size);
	g_string_free(s, TRUE);
	return 0;
}

/* Find the hash of a fingerprint value; *hex points past the space. */
static int fp_parse(const char *fp, size_t *hash_index, const char **hex)
{
	const char *sp = fp ? strchr(fp, ' ') : NULL;
	size_t i, n, dlen;

	if (!sp)
		return EINVAL;
	for (i = 0; i < G_N_ELEMENTS(hashes); i++) {
		n = strlen(hashes[i].name);
		if ((size_t)(sp - fp) == n && g_ascii_strncasecmp(fp, hashes[i].name, n) == 0)
			break;
	}
	if (i == G_N_ELEMENTS(hashes))
		return EINVAL;
	dlen = (size_t)EVP_MD_get_size(hashes[i].md());
	/* "XX" then ":XX" per further byte, nothing else */
	if (strlen(sp + 1) != dlen * 3 - 1)
		return EINVAL;
	for (size_t k = 0; k < dlen * 3 - 1; k++) {
		char ch = sp[1 + k];

		if (k % 3 == 2 ? ch != ':' : !g_ascii_isxdigit(ch))
			return EINVAL;
	}
	*hash_index = i;
	*hex = sp + 1;
	return 0;
}

int gw_cert_fingerprint_check(const char *fp)
{
	size_t i;
	const char *hex;

	return fp_parse(fp, &i, &hex);
}

int gw_cert_x509_match(X509 *x, const char *expected, char *actual, size_t size)
{
	char buf[GW_CERT_FINGERPRINT_MAX];
	size_t i;
	const char *hex;
	int err;

	err = fp_parse(expected, &i, &hex);
	if (err)
		return err;
	err = fp_format(x, hashes[i].name, hashes[i].md(), buf, sizeof(buf));
	if (err)
		return err;
	if (actual)
		g_strlcpy(actual, buf, size);
	return g_ascii_strcasecmp(strchr(buf, ' ') + 1, hex) == 0 ? 0 : EACCES;
}

X509 *gw_cert_x509(const struct gw_cert *cert)
{
	return cert->x509;
}

EVP_PKEY *gw_cert_pkey(const struct gw_cert *cert)
{
	return cert->pkey;
}

const char *gw_cert_fingerprint(const struct gw_cert *cert)
{
	return cert->fingerprint;
}

/* Takes ownership of @x and @pkey in every case. */
static int cert_wrap(X509 *x, EVP_PKEY *pkey, struct gw_cert **out)
{
	struct gw_cert *c = gw_obj_alloc(sizeof(*c), cert_destroy);

	c->x509 = x;
	c->pkey = pkey;
	if (fp_format(x, "sha-256", EVP_sha256(), c->fingerprint, sizeof(c->fingerprint))) {
		log_openssl("certificate digest");
		gw_obj_deref(c);
		return EIO;
	}
	*out = c;
	return 0;
}

static bool cn_valid(const char *cn)
{
	size_t n = cn ? strlen(cn) : 0;

	if (n == 0 || n > CERT_CN_MAX || !g_utf8_validate(cn, -1, NULL))
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)cn[i] < 0x20 || cn[i] == 0x7f)
			return false;
	}
	return true;
}

/* Random positive 64-bit serial (RFC 5280 4.1.2.2: positive, <= 20 octets). */
static int set_random_serial(X509 *x)
{
	unsigned char raw[8];
	BIGNUM *bn = NULL;
	int ok = 0;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return 0;
	raw[0] &= 0x7f;
	raw[0] |= 0x01; /* never zero, never short */
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	if (bn)
		ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

int gw_cert_generate(const char *cn, struct gw_cert **out)
{
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	int err = EIO;

	if (!cn_valid(cn) || !out)
		return EINVAL;
	pkey = EVP_EC_gen("P-256");
	x = X509_new();
	if (!pkey || !x)
		goto out;
	name = X509_get_subject_name(x);
	if (!X509_set_version(x, X509_VERSION_3) || !set_random_serial(x) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -CERT_BACKDATE_SECONDS) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), CERT_VALID_SECONDS) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, pkey) ||
	    !X509_sign(x, pkey, EVP_sha256()))
		goto out;
	err = cert_wrap(x, pkey, out);
	x = NULL;
	pkey = NULL;
out:
	if (err == EIO && (x || pkey))
		log_openssl("certificate generation");
	X509_free(x);
	EVP_PKEY_free(pkey);
	return err;
}

/* Never prompt on a terminal for an encrypted key: refuse it. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	return 0;
}

static char *openssl_reason(void)
{
	char detail[256] = "not a PEM file";
	unsigned long e = ERR_peek_last_error();

	if (e)
		ERR_error_string_n(e, detail, sizeof(detail));
	ERR_clear_error();
	return g_strdup(detail);
}

static int load_pem(const char *cert_path, const char *key_path, struct gw_cert **out, char **err)
{
	BIO *bio = NULL;
	X509 *x = NULL;
	EVP_PKEY *pkey = NULL;
	char *why = NULL;
	int ret = EINVAL;

	ERR_clear_error();
	bio = BIO_new_file(cert_path, "r");
	if (!bio || !(x = PEM_read_bio_X509(bio, NULL, no_password, NULL))) {
		ret = bio ? EINVAL : EIO;
		why = openssl_reason();
		*err = g_strdup_printf("%s: cannot read certificate: %s", cert_path, why);
		goto out;
	}
	BIO_free(bio);
	bio = BIO_new_file(key_path, "r");
	if (!bio || !(pkey = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL))) {
		ret = bio ? EINVAL : EIO;
		why = openssl_reason();
		*err = g_strdup_printf("%s: cannot read private key: %s", key_path, why);
		goto out;
	}
	if (X509_check_private_key(x, pkey) != 1) {
		ERR_clear_error();
		*err = g_strdup_printf("%s: private key does not match certificate %s", key_path, cert_path);
		goto out;
	}
	ret = cert_wrap(x, pkey, out);
	x = NULL;
	pkey = NULL;
	if (ret)
		*err = g_strdup_printf("%s: cannot digest certificate", cert_path);
out:
	g_free(why);
	BIO_free(bio);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return ret;
}

/* Write @pkey and/or @x as PEM to @path with @mode, through a temporary file
 * in the same directory renamed into place, so a crash never leaves a half
 * written file that the next start would refuse. */
static int write_pem(const char *path, int mode, EVP_PKEY *pkey, X509 *x, char **err)
{
	char *tmp = g_strdup_printf("%s.XXXXXX", path);
	BIO *bio = NULL;
	int fd, ret = EIO;

	fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, mode);
	if (fd < 0) {
		ret = errno;
		*err = g_strdup_printf("%s: cannot create: %s", path, g_strerror(ret));
		g_free(tmp);
		return ret;
	}
	errno = 0;
	/* be exact whatever the umask: the key must be 0600 */
	if (fchmod(fd, mode) != 0 || !(bio = BIO_new_fd(fd, BIO_NOCLOSE)) ||
	    (pkey && !PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL)) ||
	    (x && !PEM_write_bio_X509(bio, x)) || BIO_flush(bio) != 1 || fsync(fd) != 0) {
		*err = g_strdup_printf("%s: cannot write: %s", path, errno ? g_strerror(errno) : "OpenSSL error");
		goto out;
	}
	if (g_rename(tmp, path) != 0) {
		ret = errno;
		*err = g_strdup_printf("%s: cannot rename into place: %s", path, g_strerror(ret));
		goto out;
	}
	ret = 0;
out:
	BIO_free(bio);
	close(fd);
	if (ret)
		g_unlink(tmp);
	ERR_clear_error();
	g_free(tmp);
	return ret;
}

static int make_parent(const char *path, char **err)
{
	char *dir = g_path_get_dirname(path);
	int ret = 0;

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		ret = errno;
		*err = g_strdup_printf("%s: cannot create directory: %s", dir, g_strerror(ret));
	}
	g_free(dir);
	return ret;
}

static int generate_files(const char *cert_path, const char *key_path, const char *cn,
			  struct gw_cert **out, char **err)
{
	struct gw_cert *c = NULL;
	bool same = strcmp(cert_path, key_path) == 0;
	int ret;

	ret = gw_cert_generate(cn, &c);
	if (ret) {
		*err = g_strdup_printf("cannot generate a certificate for CN \"%s\"", cn ? cn : "");
		return ret;
	}
	ret = make_parent(key_path, err);
	if (!ret && !same)
		ret = make_parent(cert_path, err);
	/* key first: a certificate file alone would be refused at next start */
	if (!ret)
		ret = write_pem(key_path, 0600, c->pkey, same ? c->x509 : NULL, err);
	if (!ret && !same) {
		ret = write_pem(cert_path, 0644, NULL, c->x509, err);
		if (ret)
			g_unlink(key_path);
	}
	if (ret) {
		gw_obj_deref(c);
		return ret;
	}
	gw_info("cert", "generated %s (%s) and %s", cert_path, c->fingerprint, key_path);
	*out = c;
	return 0;
}

int gw_cert_load_or_generate(const char *cert_path, const char *key_path, const char *cn,
			     struct gw_cert **out, char **err)
{
	char *msg = NULL;
	bool have_cert, have_key;
	int ret;

	if (!cert_path || !key_path || !*cert_path || !*key_path || !out) {
		msg = g_strdup("certificate and key paths are required");
		ret = EINVAL;
		goto out;
	}
	have_cert = g_file_test(cert_path, G_FILE_TEST_EXISTS);
	have_key = g_file_test(key_path, G_FILE_TEST_EXISTS);
	if (have_cert && have_key)
		ret = load_pem(cert_path, key_path, out, &msg);
	else if (!have_cert && !have_key)
		ret = generate_files(cert_path, key_path, cn, out, &msg);
	else {
		msg = g_strdup_printf("%s exists but %s does not; refusing to overwrite one of a pair",
				      have_cert ? cert_path : key_path, have_cert ? key_path : cert_path);
		ret = ENOENT;
	}
out:
	if (ret && err)
		*err = msg;
	else
		g_free(msg);
	return ret;
}
