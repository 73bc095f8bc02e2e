/* tls.c — the certificate folder Sofia's TLS transport wants.
 *
 * Sofia (TPTAG_CERTIFICATE) reads a directory holding agent.pem (private
 * key followed by the certificate chain) and cafile.pem (trusted CAs).
 * sip.tls_cert / sip.tls_key are plain PEM files, so they are combined into
 * state_dir/sip-tls/ with mode 0600 at start-up.  Control loop, start-up
 * only (small files, blocking I/O is fine here).
 */
#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include "sip_priv.h"
#include "gw/log.h"

static int write_private(const char *path, const char *data, gsize len)
{
	GError *gerr = NULL;
	int err = 0;

	if (!g_file_set_contents_full(path, data, (gssize)len,
				      G_FILE_SET_CONTENTS_CONSISTENT, 0600, &gerr)) {
		gw_error("sip", "TLS: cannot write %s: %s", path, gerr->message);
		err = EIO;
	}
	if (gerr)
		g_error_free(gerr);
	return err;
}

/* Build state_dir/sip-tls from @cert (PEM chain) and @key (PEM; may be
 * empty when the cert file holds the key too).  0 and *@dir (g_free), or
 * an errno value (logged). */
int gw_sip_tls_prepare(const struct gw_config *cfg, char **dir)
{
	char *cert = NULL, *key = NULL, *ca = NULL, *d = NULL, *path = NULL;
	gsize cert_len = 0, key_len = 0, ca_len = 0;
	GString *agent = NULL;
	GError *gerr = NULL;
	int err = 0;

	if (!g_file_get_contents(cfg->sip_tls_cert, &cert, &cert_len, &gerr)) {
		gw_error("sip", "TLS: sip.tls_cert: %s", gerr->message);
		err = ENOENT;
		goto out;
	}
	if (cfg->sip_tls_key && *cfg->sip_tls_key &&
	    !g_file_get_contents(cfg->sip_tls_key, &key, &key_len, &gerr)) {
		gw_error("sip", "TLS: sip.tls_key: %s", gerr->message);
		err = ENOENT;
		goto out;
	}
	d = g_build_filename(gw_sip_str(cfg->state_dir), "sip-tls", NULL);
	if (g_mkdir_with_parents(d, 0700) < 0) {
		err = errno;
		gw_error("sip", "TLS: cannot create %s: %s", d, g_strerror(err));
		goto out;
	}
	agent = g_string_new_len(key ? key : "", (gssize)key_len);
	if (agent->len && agent->str[agent->len - 1] != '\n')
		g_string_append_c(agent, '\n');
	g_string_append_len(agent, cert, (gssize)cert_len);
	path = g_build_filename(d, "agent.pem", NULL);
	err = write_private(path, agent->str, agent->len);
	if (err)
		goto out;
	g_free(path);
	/* Trust the system CAs for peers (verification is off by default:
	 * carriers and PBXs often use private certificates). */
	if (!g_file_get_contents("/etc/ssl/certs/ca-certificates.crt", &ca, &ca_len, NULL)) {
		ca = g_strndup(cert, cert_len);
		ca_len = cert_len;
	}
	path = g_build_filename(d, "cafile.pem", NULL);
	err = write_private(path, ca, ca_len);
	if (err)
		goto out;
	*dir = d;
	d = NULL;
out:
	if (gerr)
		g_error_free(gerr);
	if (agent) {
		memset(agent->str, 0, agent->len); /* it holds the private key */
		g_string_free(agent, TRUE);
	}
	if (key)
		memset(key, 0, key_len);
	g_free(key);
	g_free(cert);
	g_free(ca);
	g_free(path);
	g_free(d);
	return err;
}
