/* dtls.c — DTLS 1.2 handshake with use_srtp on OpenSSL 3 (see gw/dtls.h).
 *
 * Runs on the call's media loop only.  A struct gw_dtls holds a reference
 * on the SSL_CTX of its certificate (one per certificate, shared by every
 * endpoint and loop, built once; the verify callback finds its
 * endpoint through the SSL's app data), owns its SSL, the two GSources
 * (retransmission timer, handshake deadline) and the queue of datagrams
 * OpenSSL produced.  Records we write are at most one datagram, so the
 * SSL's write buffer is sized for that (max_send_fragment), not 16 KiB.
 * Once the owner has authenticated media from the peer, the peer has
 * finished its handshake too and needs nothing more from us:
 * gw_dtls_retire() frees the SSL (~60 KiB per call: record buffers,
 * handshake buffer, peer certificate, key schedules) after making the
 * close_notify it would send at close (records carry explicit sequence
 * numbers and we send nothing else, so the bytes made now are the bytes
 * SSL_shutdown would make later).  A retired endpoint can no longer
 * authenticate what it receives, so it ignores every record, alerts
 * included (a forged alert must not end a call): a browser that closes
 * its peer connection is noticed through signalling or ICE consent.
 * Input goes through a memory BIO, one datagram at a time; output goes
 * through a small BIO that queues each datagram
 * OpenSSL writes, so datagram boundaries survive (a memory BIO would
 * concatenate a flight), and the queue is flushed to the send handler after
 * each OpenSSL call, never from inside one.
 * The GSources hold no reference: they are destroyed by close and by the
 * destructor, and each dispatch holds a reference while it runs, so a
 * handler that drops the last reference never frees the object under us.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "core/cert_priv.h"
#include "gw/dtls.h"
#include "gw/log.h"
#include "gw/obj.h"

/* First retransmission after 500 ms, doubling up to 4 s (RFC 6347 4.2.4.1
 * suggests 1 s; real-time media wants a faster first retry). */
#define RTX_INITIAL_US 500000u
#define RTX_MAX_US 4000000u
/* RFC 6347 4.1: DTLSPlaintext header; 2^14 + 2048 is the largest record body. */
#define RECORD_HEADER_LEN 13
#define RECORD_MAX_BODY (16384 + 2048)
#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp"

enum dtls_state {
	ST_NEW,       /* allocated, not started */
	ST_HANDSHAKE, /* started, handshake running */
	ST_CONNECTED, /* keys reported */
	ST_ENDED,     /* failed or closed by the peer: done handler told */
	ST_CLOSED,    /* gw_dtls_close(): silent */
};

struct gw_dtls {
	GMainContext *ctx;
	struct gw_cert *cert;
	enum gw_dtls_role role;
	char *remote_fp;
	char *log_ctx;
	SSL_CTX *sslctx;
	SSL *ssl;
	BIO *rbio; /* owned by ssl */
	GSource *rtx_timer;
	GSource *deadline;
	GQueue outq; /* GBytes written by OpenSSL, not yet handed to sendh */
	GBytes *close_notify; /* retired: our close_notify datagram, made at retire */
	bool retired;         /* SSL freed (gw_dtls_retire) */
	gw_dtls_send_h *sendh;
	gw_dtls_done_h *doneh;
	void *arg;
	enum dtls_state state;
	unsigned timeout_ms;     /* handshake deadline */
	int verify_err;          /* set by verify_peer() when it refused */
	char verify_reason[512];
	struct gw_dtls_stats stats;
};

static void rearm_timer(struct gw_dtls *d);

/* --- the wire BIO: each BIO_write is one datagram ------------------------ */

static int wire_write(BIO *bio, const char *buf, int len)
{
	struct gw_dtls *d = BIO_get_data(bio);

	if (len <= 0)
		return 0;
	g_queue_push_tail(&d->outq, g_bytes_new(buf, (gsize)len));
	return len;
}

static long wire_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_DGRAM_QUERY_MTU:
		return GW_DTLS_MTU;
	default:
		/* includes BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: our MTU is the UDP payload */
		return 0;
	}
}

static int wire_create(BIO *bio)
{
	BIO_set_init(bio, 1);
	return 1;
}

static BIO_METHOD *wire_method(void)
{
	static gsize once;
	static BIO_METHOD *m;

	if (g_once_init_enter(&once)) {
		m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "gw dtls wire");
		if (m) {
			BIO_meth_set_write(m, wire_write);
			BIO_meth_set_ctrl(m, wire_ctrl);
			BIO_meth_set_create(m, wire_create);
		}
		g_once_init_leave(&once, 1);
	}
	return m;
}

/* --- helpers ------------------------------------------------------------- */

static const char *lctx(const struct gw_dtls *d)
{
	return d->log_ctx ? d->log_ctx : "dtls";
}

/* The first queued OpenSSL error as text; the queue is cleared. */
static void openssl_detail(char *buf, size_t size)
{
	unsigned long e = ERR_get_error();

	if (e)
		ERR_error_string_n(e, buf, size);
	else
		g_strlcpy(buf, "no OpenSSL detail", size);
	ERR_clear_error();
}

static void source_stop(GSource **src)
{
	if (*src) {
		g_source_destroy(*src);
		g_source_unref(*src);
		*src = NULL;
	}
}

static void stop_timers(struct gw_dtls *d)
{
	source_stop(&d->rtx_timer);
	source_stop(&d->deadline);
}

static GSource *timeout_attach(struct gw_dtls *d, guint ms, GSourceFunc fn)
{
	GSource *src = g_timeout_source_new(ms);

	g_source_set_callback(src, fn, d, NULL);
	g_source_attach(src, d->ctx);
	return src;
}

/* Hand queued datagrams to the wire.  One at a time from the queue head, so
 * a send handler that feeds the peer, which answers into gw_dtls_recv() on
 * us, still sees datagrams leave in order.  The handler may run OpenSSL on
 * this thread: callers take OpenSSL's error detail before flushing. */
static void flush(struct gw_dtls *d)
{
	GBytes *b;

	while ((b = g_queue_pop_head(&d->outq))) {
		gsize n;
		const uint8_t *p = g_bytes_get_data(b, &n);

		d->stats.datagrams_out++;
		d->sendh(p, n, d->arg);
		g_bytes_unref(b);
	}
}

/* End the handshake or the session and tell the owner once. */
static void end(struct gw_dtls *d, int err, const char *reason)
{
	if (d->state == ST_ENDED || d->state == ST_CLOSED)
		return;
	d->state = ST_ENDED;
	stop_timers(d);
	if (err == ECONNRESET)
		gw_info(lctx(d), "DTLS ended: %s", reason);
	else
		gw_warn(lctx(d), "DTLS ended: %s", reason);
	d->doneh(err, NULL, reason, d->arg);
}

/* --- handshake ----------------------------------------------------------- */

/* Replaces chain verification: WebRTC certificates are self-signed; what
 * authenticates the peer is the fingerprint from its SDP (RFC 5763 5). */
static int verify_peer(X509_STORE_CTX *store, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct gw_dtls *d = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *leaf = X509_STORE_CTX_get0_cert(store);
	char actual[GW_CERT_FINGERPRINT_MAX] = "";
	int err;

	(void)arg;
	if (!d) {
		X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	if (!leaf) {
		err = EACCES;
		g_strlcpy(d->verify_reason, "peer sent no certificate", sizeof(d->verify_reason));
	} else {
		err = gw_cert_x509_match(leaf, d->remote_fp, actual, sizeof(actual));
		if (err == EACCES)
			g_snprintf(d->verify_reason, sizeof(d->verify_reason),
				   "peer certificate fingerprint %s does not match the SDP's %s", actual,
				   d->remote_fp);
		else if (err)
			g_strlcpy(d->verify_reason, "cannot digest peer certificate",
				  sizeof(d->verify_reason));
	}
	if (err) {
		d->verify_err = EACCES;
		X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	return 1;
}

static unsigned int rtx_backoff(SSL *ssl, unsigned int prev_us)
{
	if (prev_us == 0)
		return RTX_INITIAL_US;
	return prev_us >= RTX_MAX_US / 2 ? RTX_MAX_US : prev_us * 2;
}

/* RFC 5764 4.2: client_write key, server_write key, client salt, server salt. */
static int export_keys(struct gw_dtls *d, struct gw_srtp_keys *k, const char **why)
{
	uint8_t mat[2 * (GW_SRTP_MAX_KEY_LEN + GW_SRTP_MAX_SALT_LEN)];
	const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
	const uint8_t *ck, *sk, *cs, *ss;
	size_t kl, sl;

	memset(k, 0, sizeof(*k));
	if (!p) {
		*why = "peer did not negotiate use_srtp";
		return EPROTO;
	}
	if (p->id == SRTP_AES128_CM_SHA1_80)
		k->profile = GW_SRTP_AES128_CM_SHA1_80;
	else if (p->id == SRTP_AEAD_AES_128_GCM)
		k->profile = GW_SRTP_AEAD_AES_128_GCM;
	if (gw_srtp_profile_lengths(k->profile, &kl, &sl)) {
		*why = "unsupported SRTP profile selected";
		return EPROTO;
	}
	if (SSL_export_keying_material(d->ssl, mat, 2 * (kl + sl), EXPORTER_LABEL,
				       strlen(EXPORTER_LABEL), NULL, 0, 0) != 1) {
		ERR_clear_error();
		*why = "SRTP keying material export failed";
		return EPROTO;
	}
	ck = mat;
	sk = mat + kl;
	cs = mat + 2 * kl;
	ss = mat + 2 * kl + sl;
	k->key_len = kl;
	k->salt_len = sl;
	memcpy(k->local_key, d->role == GW_DTLS_ROLE_CLIENT ? ck : sk, kl);
	memcpy(k->remote_key, d->role == GW_DTLS_ROLE_CLIENT ? sk : ck, kl);
	memcpy(k->local_salt, d->role == GW_DTLS_ROLE_CLIENT ? cs : ss, sl);
	memcpy(k->remote_salt, d->role == GW_DTLS_ROLE_CLIENT ? ss : cs, sl);
	OPENSSL_cleanse(mat, sizeof(mat));
	return 0;
}

static void connected(struct gw_dtls *d)
{
	struct gw_srtp_keys keys;
	const char *why = NULL;
	X509 *peer = SSL_get0_peer_certificate(d->ssl);
	int err;

	/* verify_peer() ran for any certificate; refuse a handshake without one */
	if (!peer || gw_cert_x509_match(peer, d->remote_fp, NULL, 0) != 0) {
		end(d, EACCES, "peer certificate missing or not the one in its SDP");
		return;
	}
	err = export_keys(d, &keys, &why);
	if (err) {
		end(d, err, why);
		return;
	}
	d->state = ST_CONNECTED;
	stop_timers(d);
	gw_info(lctx(d), "DTLS connected as %s, %s, %s", d->role == GW_DTLS_ROLE_CLIENT ? "client" : "server",
		SSL_get_cipher_name(d->ssl), gw_srtp_profile_name(keys.profile));
	d->doneh(0, &keys, NULL, d->arg);
	OPENSSL_cleanse(&keys, sizeof(keys));
}

static void handshake_failed(struct gw_dtls *d, const char *detail)
{
	char reason[600];

	if (d->verify_err) {
		end(d, d->verify_err, d->verify_reason);
		return;
	}
	g_snprintf(reason, sizeof(reason), "DTLS handshake failed: %s", detail);
	end(d, EPROTO, reason);
}

static void do_handshake(struct gw_dtls *d)
{
	char detail[256] = "";
	int r, e;

	ERR_clear_error();
	r = SSL_do_handshake(d->ssl);
	e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(d->ssl, r);
	if (r != 1 && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
		openssl_detail(detail, sizeof(detail));
	/* send first: the final flight or our alert must reach the peer */
	flush(d);
	if (d->state != ST_HANDSHAKE)
		return;
	if (r == 1)
		connected(d);
	else if (!detail[0])
		rearm_timer(d);
	else
		handshake_failed(d, detail);
}

static gboolean on_rtx_timer(gpointer data)
{
	struct gw_dtls *d = gw_obj_ref(data);
	char detail[256] = "";
	int r;

	g_source_unref(d->rtx_timer);
	d->rtx_timer = NULL;
	ERR_clear_error();
	r = DTLSv1_handle_timeout(d->ssl);
	if (r < 0)
		openssl_detail(detail, sizeof(detail));
	else if (r > 0) {
		d->stats.retransmits++;
		gw_debug(lctx(d), "DTLS retransmission");
	}
	flush(d);
	if (d->state == ST_HANDSHAKE) {
		if (r < 0)
			handshake_failed(d, detail);
		else
			rearm_timer(d);
	}
	gw_obj_deref(d);
	return G_SOURCE_REMOVE;
}

static void rearm_timer(struct gw_dtls *d)
{
	struct timeval tv;
	guint ms;

	source_stop(&d->rtx_timer);
	if (DTLSv1_get_timeout(d->ssl, &tv) <= 0)
		return;
	/* round up so the timer has really expired when OpenSSL checks it */
	ms = (guint)tv.tv_sec * 1000 + (guint)(tv.tv_usec + 999) / 1000;
	d->rtx_timer = timeout_attach(d, ms ? ms : 1, on_rtx_timer);
}

static gboolean on_deadline(gpointer data)
{
	struct gw_dtls *d = gw_obj_ref(data);
	char reason[96];

	g_source_unref(d->deadline);
	d->deadline = NULL;
	g_snprintf(reason, sizeof(reason), "DTLS handshake timed out after %u ms", d->timeout_ms);
	end(d, ETIMEDOUT, reason);
	gw_obj_deref(d);
	return G_SOURCE_REMOVE;
}

/* --- after the handshake ------------------------------------------------- */

static void read_connected(struct gw_dtls *d)
{
	uint8_t buf[2048];
	char detail[256], reason[300];
	int r, e;

	for (;;) {
		ERR_clear_error();
		r = SSL_read(d->ssl, buf, sizeof(buf));
		if (r > 0) {
			/* no data channels on this gateway */
			d->stats.ignored_data++;
			continue;
		}
		e = SSL_get_error(d->ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_ZERO_RETURN)
			openssl_detail(detail, sizeof(detail));
		/* a retransmitted peer Finished makes OpenSSL resend our last flight */
		flush(d);
		if (d->state != ST_CONNECTED || e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return;
		if (e == SSL_ERROR_ZERO_RETURN) {
			end(d, ECONNRESET, "peer closed DTLS (close_notify)");
			return;
		}
		g_snprintf(reason, sizeof(reason), "DTLS session failed: %s", detail);
		end(d, ECONNRESET, reason);
		return;
	}
}

/* RFC 7983 first byte 20..63, then every record header and length must fit
 * (RFC 6347 4.1): a truncated datagram is refused before OpenSSL sees it. */
static bool datagram_ok(const uint8_t *buf, size_t len)
{
	size_t off = 0;

	if (len < RECORD_HEADER_LEN || buf[0] < 20 || buf[0] > 63)
		return false;
	while (off < len) {
		size_t body;

		if (len - off < RECORD_HEADER_LEN || buf[off] < 20 || buf[off] > 63 || buf[off + 1] != 0xfe)
			return false;
		body = ((size_t)buf[off + 11] << 8) | buf[off + 12];
		if (body > RECORD_MAX_BODY || len - off - RECORD_HEADER_LEN < body)
			return false;
		off += RECORD_HEADER_LEN + body;
	}
	return true;
}

/* --- public -------------------------------------------------------------- */

static void dtls_destroy(void *obj)
{
	struct gw_dtls *d = obj;
	GBytes *b;

	stop_timers(d);
	while ((b = g_queue_pop_head(&d->outq)))
		g_bytes_unref(b);
	if (d->close_notify)
		g_bytes_unref(d->close_notify);
	SSL_free(d->ssl);
	SSL_CTX_free(d->sslctx);
	gw_obj_deref(d->cert);
	g_free(d->remote_fp);
	g_free(d->log_ctx);
	if (d->ctx)
		g_main_context_unref(d->ctx);
}

static SSL_CTX *ctx_new(struct gw_cert *cert)
{
	SSL_CTX *c = SSL_CTX_new(DTLS_method());

	if (!c)
		return NULL;
	if (!SSL_CTX_set_min_proto_version(c, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(c, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(c, "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES:!PSK:!SRP:!kRSA") ||
	    !SSL_CTX_set1_groups_list(c, "X25519:P-256:P-384") ||
	    SSL_CTX_use_certificate(c, gw_cert_x509(cert)) != 1 ||
	    SSL_CTX_use_PrivateKey(c, gw_cert_pkey(cert)) != 1 ||
	    SSL_CTX_check_private_key(c) != 1) {
		SSL_CTX_free(c);
		return NULL;
	}
	SSL_CTX_set_options(c, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET);
	/* handshake flights are cut at the MTU; we send no application data */
	SSL_CTX_set_max_send_fragment(c, GW_DTLS_MTU);
	/* one handshake per endpoint: nothing to resume */
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	/* both roles ask for the peer's certificate; verify_peer() decides */
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(c, verify_peer, NULL);
	return c;
}

/* The SSL_CTX of @d's certificate: the last one built is kept (with a
 * reference on its certificate, so the pointer cannot be reused) for the
 * next endpoint; a process normally has one certificate.  Any loop. */
static int ctx_setup(struct gw_dtls *d)
{
	static GMutex lock;
	static struct gw_cert *cached_cert;   /* ref */
	static SSL_CTX *cached;               /* ref */
	SSL_CTX *c = NULL;

	g_mutex_lock(&lock);
	if (cached && cached_cert == d->cert && SSL_CTX_up_ref(cached))
		c = cached;
	g_mutex_unlock(&lock);
	if (!c) {
		c = ctx_new(d->cert);
		if (!c)
			return EIO;
		g_mutex_lock(&lock);
		if (SSL_CTX_up_ref(c)) {
			SSL_CTX_free(cached);
			gw_obj_deref(cached_cert);
			cached = c;
			cached_cert = gw_obj_ref(d->cert);
		}
		g_mutex_unlock(&lock);
	}
	d->sslctx = c;
	return 0;
}

static int ssl_setup(struct gw_dtls *d)
{
	BIO *wbio;

	d->ssl = SSL_new(d->sslctx);
	if (d->ssl)
		SSL_set_app_data(d->ssl, d);    /* for verify_peer() */
	d->rbio = BIO_new(BIO_s_mem());
	wbio = wire_method() ? BIO_new(wire_method()) : NULL;
	if (!d->ssl || !d->rbio || !wbio) {
		BIO_free(d->rbio);
		BIO_free(wbio);
		d->rbio = NULL;
		return EIO;
	}
	BIO_set_data(wbio, d);
	/* an empty read BIO means "wait for the next datagram", not EOF */
	BIO_set_mem_eof_return(d->rbio, -1);
	SSL_set_bio(d->ssl, d->rbio, wbio);
	if (!SSL_set_mtu(d->ssl, GW_DTLS_MTU) || !DTLS_set_link_mtu(d->ssl, GW_DTLS_MTU) ||
	    gw_dtls_set_profiles(d, GW_DTLS_PROFILES_ALL) != 0)
		return EIO;
	DTLS_set_timer_cb(d->ssl, rtx_backoff);
	if (d->role == GW_DTLS_ROLE_CLIENT)
		SSL_set_connect_state(d->ssl);
	else
		SSL_set_accept_state(d->ssl);
	return 0;
}

int gw_dtls_alloc(struct gw_dtls **out, GMainContext *ctx, struct gw_cert *cert,
		  enum gw_dtls_role role, const char *remote_fingerprint, gw_dtls_send_h *sendh,
		  gw_dtls_done_h *doneh, void *arg)
{
	struct gw_dtls *d;
	char detail[256];
	int err;

	if (!out || !ctx || !cert || !sendh || !doneh ||
	    (role != GW_DTLS_ROLE_CLIENT && role != GW_DTLS_ROLE_SERVER) ||
	    gw_cert_fingerprint_check(remote_fingerprint) != 0)
		return EINVAL;
	d = gw_obj_alloc(sizeof(*d), dtls_destroy);
	d->ctx = g_main_context_ref(ctx);
	d->cert = gw_obj_ref(cert);
	d->role = role;
	d->remote_fp = g_strdup(remote_fingerprint);
	d->sendh = sendh;
	d->doneh = doneh;
	d->arg = arg;
	d->timeout_ms = GW_DTLS_HANDSHAKE_TIMEOUT_MS;
	g_queue_init(&d->outq);
	ERR_clear_error();
	err = ctx_setup(d);
	if (!err)
		err = ssl_setup(d);
	if (err) {
		openssl_detail(detail, sizeof(detail));
		gw_error(lctx(d), "DTLS setup failed: %s", detail);
		gw_obj_deref(d);
		return err;
	}
	*out = d;
	return 0;
}

void gw_dtls_set_log_ctx(struct gw_dtls *dtls, const char *ctx)
{
	g_free(dtls->log_ctx);
	dtls->log_ctx = g_strdup(ctx);
}

int gw_dtls_set_profiles(struct gw_dtls *dtls, unsigned mask)
{
	char list[96] = "";

	if (dtls->state != ST_NEW)
		return EBUSY;
	if (mask == 0 || (mask & ~(unsigned)GW_DTLS_PROFILES_ALL))
		return EINVAL;
	/* our preference order: GCM (no separate HMAC) first */
	if (mask & GW_DTLS_PROFILE_BIT(GW_SRTP_AEAD_AES_128_GCM))
		g_strlcat(list, "SRTP_AEAD_AES_128_GCM:", sizeof(list));
	if (mask & GW_DTLS_PROFILE_BIT(GW_SRTP_AES128_CM_SHA1_80))
		g_strlcat(list, "SRTP_AES128_CM_SHA1_80:", sizeof(list));
	list[strlen(list) - 1] = '\0';
	/* note: returns 0 on success */
	if (SSL_set_tlsext_use_srtp(dtls->ssl, list) != 0) {
		ERR_clear_error();
		return EIO;
	}
	return 0;
}

int gw_dtls_set_handshake_timeout(struct gw_dtls *dtls, unsigned ms)
{
	if (dtls->state != ST_NEW)
		return EBUSY;
	if (ms == 0)
		return EINVAL;
	dtls->timeout_ms = ms;
	return 0;
}

int gw_dtls_start(struct gw_dtls *dtls)
{
	if (dtls->state == ST_ENDED || dtls->state == ST_CLOSED)
		return ESHUTDOWN;
	if (dtls->state != ST_NEW)
		return 0;
	dtls->state = ST_HANDSHAKE;
	dtls->deadline = timeout_attach(dtls, dtls->timeout_ms, on_deadline);
	if (dtls->role == GW_DTLS_ROLE_CLIENT) {
		gw_obj_ref(dtls);
		do_handshake(dtls);
		gw_obj_deref(dtls);
	}
	return 0;
}

int gw_dtls_recv(struct gw_dtls *dtls, const uint8_t *buf, size_t len)
{
	int err = 0;

	if (dtls->state == ST_ENDED || dtls->state == ST_CLOSED)
		return ESHUTDOWN;
	if (!buf || !datagram_ok(buf, len) || len > INT_MAX) {
		dtls->stats.bad_records++;
		gw_debug(lctx(dtls), "DTLS: refused a %zu-byte datagram (truncated or not DTLS)", len);
		return EBADMSG;
	}
	dtls->stats.datagrams_in++;
	if (dtls->retired) {
		/* nothing in it can be authenticated any more (see the top) */
		dtls->stats.ignored_retired++;
		return 0;
	}
	gw_obj_ref(dtls);
	if (dtls->state == ST_NEW)
		err = gw_dtls_start(dtls);
	if (!err && (dtls->state == ST_HANDSHAKE || dtls->state == ST_CONNECTED)) {
		if (BIO_write(dtls->rbio, buf, (int)len) != (int)len) {
			ERR_clear_error();
			err = EIO;
		} else if (dtls->state == ST_HANDSHAKE) {
			do_handshake(dtls);
		} else {
			read_connected(dtls);
		}
		/* whatever OpenSSL left unread must not merge with the next datagram */
		(void)BIO_reset(dtls->rbio);
	}
	gw_obj_deref(dtls);
	return err;
}

void gw_dtls_close(struct gw_dtls *dtls)
{
	bool was_connected;

	if (!dtls || dtls->state == ST_CLOSED)
		return;
	was_connected = dtls->state == ST_CONNECTED;
	/* closed before sending: whatever the peer answers is refused */
	dtls->state = ST_CLOSED;
	stop_timers(dtls);
	if (was_connected && dtls->retired) {
		if (dtls->close_notify)
			g_queue_push_tail(&dtls->outq, g_steal_pointer(&dtls->close_notify));
		gw_obj_ref(dtls);
		flush(dtls);
		gw_obj_deref(dtls);
	} else if (was_connected) {
		ERR_clear_error();
		(void)SSL_shutdown(dtls->ssl);
		ERR_clear_error();
		gw_obj_ref(dtls);
		flush(dtls);
		gw_obj_deref(dtls);
	}
}

void gw_dtls_retire(struct gw_dtls *dtls)
{
	GBytes *b;

	if (!dtls || dtls->state != ST_CONNECTED || dtls->retired)
		return;
	ERR_clear_error();
	(void)SSL_shutdown(dtls->ssl);
	ERR_clear_error();
	/* one record, one datagram; anything else OpenSSL wrote is dropped */
	dtls->close_notify = g_queue_pop_head(&dtls->outq);
	while ((b = g_queue_pop_head(&dtls->outq)))
		g_bytes_unref(b);
	SSL_free(dtls->ssl);            /* and both BIOs */
	dtls->ssl = NULL;
	dtls->rbio = NULL;
	SSL_CTX_free(dtls->sslctx);
	dtls->sslctx = NULL;
	dtls->retired = true;
	gw_debug(lctx(dtls), "DTLS retired: the peer's media authenticated");
}

bool gw_dtls_is_connected(const struct gw_dtls *dtls)
{
	return dtls->state == ST_CONNECTED;
}

void gw_dtls_stats_get(const struct gw_dtls *dtls, struct gw_dtls_stats *out)
{
	*out = dtls->stats;
}
