/* server.c — the libwebsockets context on the control loop (GLib event
 * library): HTTPS static files, GET /healthz and the /ws endpoint, whose
 * upgrades it refuses from web pages signal.allowed_origins does not allow
 * (origin.c).  Owns the lws context and the origin policy; sessions are in
 * session.c, messages in api.c. */
#include <errno.h>
#include <string.h>
#include "signal_priv.h"
#include "gw/config.h"
#include "gw/cert.h"
#include "gw/obj.h"
#include "gw/log.h"
#include "config.h"

#define WS_PROTOCOL "rtcsip.v1"
#define WS_PATH "/ws"

struct gw_signal {
	struct lws_context *ctx;
	GMainLoop *loop;             /* the control loop, for lws' foreign loop */
	struct gw_signal_cfg cfg;
	char *host;
	char *web_root;
	char *cert_path, *key_path;
	struct lws_http_mount mount_files;
	struct lws_http_mount mount_health;
	struct gw_origin_policy *origins;
	const char *cfg_allowed_origins; /* as configured, for log lines */
	lws_retry_bo_t liveness;     /* pings; lws keeps a pointer to it */
	bool shutting_down;
};

static struct gw_signal *server; /* the one server of this process */
static struct {
	gw_health_h *h;
	void *arg;
} health;

void gw_signal_set_health(gw_health_h *h, void *arg)
{
	health.h = h;
	health.arg = arg;
}

static int send_health(struct lws *wsi)
{
	unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *p = start,
		*end = buf + sizeof(buf) - 1;
	json_t *j = health.h ? health.h(health.arg) : NULL;
	char *body;
	size_t len;

	if (!j)
		j = json_object();
	json_object_set_new(j, "status", json_string(server && server->shutting_down ?
						     "stopping" : "ok"));
	json_object_set_new(j, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(j, "sessions", json_integer(gw_signal_session_count()));
	if (!json_object_get(j, "calls"))
		json_object_set_new(j, "calls", json_integer(0));
	body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	len = strlen(body);
	if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "application/json", len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (unsigned char *)"cache-control:",
					(unsigned char *)"no-store", 8, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end)) {
		free(body);
		return -1;
	}
	/* Body after the headers; small enough for one write. */
	memcpy(start, body, len);
	free(body);
	if (lws_write(wsi, start, len, LWS_WRITE_HTTP_FINAL) != (int)len)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* The header @tok of @wsi as a string; "" when absent, NULL when longer
 * than @len - 1 (refused rather than cut). */
static const char *hdr(struct lws *wsi, enum lws_token_indexes tok, char *buf, int len)
{
	int n = lws_hdr_total_length(wsi, tok);

	if (n <= 0)
		return "";
	if (n >= len || lws_hdr_copy(wsi, buf, len, tok) < 0)
		return NULL;
	return buf;
}

/* May this upgrade to /ws proceed, as far as the page that asked is
 * concerned?  Logs a refusal at info, once per request. */
static bool origin_ok(struct lws *wsi)
{
	char obuf[256], hbuf[256], *esc;
	const char *origin = hdr(wsi, WSI_TOKEN_ORIGIN, obuf, sizeof(obuf));
	const char *host = hdr(wsi, WSI_TOKEN_HOST, hbuf, sizeof(hbuf));

	/* WebSocket over HTTP/2 (RFC 8441) names the host in :authority. */
	if (host && !*host)
		host = hdr(wsi, WSI_TOKEN_HTTP_COLON_AUTHORITY, hbuf, sizeof(hbuf));
	if (origin && host && gw_origin_allowed(server->origins, origin, host))
		return true;
	esc = g_strescape(origin ? origin : "(too long)", NULL);
	gw_info(NULL, "signal: refused WebSocket from origin '%s': not in signal.allowed_origins%s",
		esc, *server->cfg_allowed_origins ? "" : " (default: this gateway's own https://HOST:PORT)");
	g_free(esc);
	return false;
}

/* Refuse a WebSocket upgrade with 403 and @why as the body (RFC 6455
 * section 4.2.2); 1 (response sent, lws then ends the connection) or -1. */
static int send_forbidden(struct lws *wsi, const char *why)
{
	static const char status[] = "HTTP/1.1 403 Forbidden";
	unsigned char buf[LWS_PRE + 512], *start = buf + LWS_PRE, *p = start,
		*end = buf + sizeof(buf) - 1;
	size_t len = strlen(why);

	/* Not lws_return_http_status(): on the upgrade path lws has not yet
	 * recorded the request's HTTP version and would answer "HTTP/1.0",
	 * which WebSocket clients refuse to read as a status. */
	if (lws_add_http_header_by_name(wsi, NULL, (const unsigned char *)status,
					(int)strlen(status), &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"content-type:",
					(const unsigned char *)"text/plain", 10, &p, end) ||
	    lws_add_http_header_content_length(wsi, len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
					(const unsigned char *)"close", 5, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	memcpy(start, why, len);
	return lws_write(wsi, start, len, LWS_WRITE_HTTP_FINAL) == (int)len ? 1 : -1;
}

static int http_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		   size_t len)
{
	if (reason == LWS_CALLBACK_HTTP) {
		const char *uri = in;

		/* Only /healthz is mounted on this callback. */
		if (uri && (!strcmp(uri, "/healthz") || !strcmp(uri, "/")))
			return send_health(wsi);
		return lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL) ? -1 :
		       lws_http_transaction_completed(wsi);
	}
	/* Still HTTP here, so a refused page gets a real 403. */
	if (reason == LWS_CALLBACK_HTTP_CONFIRM_UPGRADE && in &&
	    !g_ascii_strcasecmp(in, "websocket") && !origin_ok(wsi))
		return send_forbidden(wsi, "origin not allowed by signal.allowed_origins\n");
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static int ws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		 size_t len)
{
	struct gw_signal_pss *pss = user;
	char uri[64], why[96];

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
		    strcmp(uri, WS_PATH))
			return 1; /* the API lives at /ws only */
		if (server->shutting_down)
			return 1;
		/* Upgrades that skip CONFIRM_UPGRADE (WebSocket over HTTP/2)
		 * are checked here; refusing now can only hang up. */
		return origin_ok(wsi) ? 0 : 1;
	case LWS_CALLBACK_ESTABLISHED:
		pss->session = gw_ws_session_new(wsi, &server->cfg);
		if (!gw_api_session_admit(pss->session, why, sizeof(why))) {
			gw_ws_session_error(pss->session, NULL, NULL, GW_ERR_LIMIT, "%s", why);
			gw_ws_session_close(pss->session, "refused: limit");
			return 0;
		}
		gw_api_session_added(pss->session);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (pss->session) {
			/* a hello that resumes another session replaces pss->session */
			struct gw_ws_session *s = gw_obj_ref(pss->session);

			gw_ws_session_on_rx(s, in, len, lws_is_final_fragment(wsi));
			gw_obj_deref(s);
		}
		return 0;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (pss->session)
			pss->session->peer_closed = true;
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return pss->session ? gw_ws_session_on_writeable(pss->session) : 0;
	case LWS_CALLBACK_CLOSED:
		if (pss->session) {
			if (!gw_ws_session_on_closed(pss->session))
				gw_api_session_removed(pss->session);
			pss->session = gw_obj_deref(pss->session);
		}
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

static const struct lws_protocols protocols[] = {
	{ "http", http_cb, 0, 0, 0, NULL, 0 },
	/* rx_buffer_size bounds one fragment; session.c enforces max_frame
	 * over the whole message. */
	{ WS_PROTOCOL, ws_cb, sizeof(struct gw_signal_pss), 16384, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void lws_log_emit(int level, const char *line)
{
	enum gw_log_level l = GW_LOG_DEBUG;

	if (level & LLL_ERR)
		l = GW_LOG_WARN; /* lws calls client mistakes errors */
	else if (level & (LLL_WARN | LLL_NOTICE))
		l = GW_LOG_DEBUG;
	else
		l = GW_LOG_TRACE;
	gw_log_write(l, "lws", "%s", line);
}

/* See gw/signal.h. */
int gw_signal_config_check(const struct gw_config *cfg, char **why)
{
	struct gw_origin_policy *p = NULL;
	char *err = NULL;

	if (gw_origin_policy_parse(cfg->signal_allowed_origins, &p, &err)) {
		*why = g_strdup_printf("[signal] allowed_origins: %s", err);
		g_free(err);
		return EINVAL;
	}
	gw_origin_policy_free(p);
	return 0;
}

static char *default_web_root(void)
{
	return g_build_filename(GW_DATADIR, "web", NULL);
}

int gw_signal_start(const struct gw_config *cfg, struct gw_signal **out)
{
	struct lws_context_creation_info info;
	struct gw_signal *sig = g_new0(struct gw_signal, 1);
	struct gw_cert *cert = NULL;
	void *loops[1];
	uint16_t port;
	char *err = NULL;
	int rc = 0;

	sig->cfg.max_frame = (size_t)cfg->signal_max_frame;
	sig->cfg.max_sessions = (unsigned)cfg->signal_max_sessions;
	sig->cfg.max_pending_per_ip = (unsigned)cfg->signal_max_pending_per_ip;
	sig->cfg.hello_timeout_s = (unsigned)cfg->signal_hello_timeout;
	sig->cfg.resume_timeout_s = (unsigned)cfg->signal_resume_timeout;
	sig->cfg.auth_none = gw_config_auth_mode(cfg) == GW_AUTH_NONE;
	sig->cfg.jwt_secret = cfg->auth_jwt_secret;
	if (gw_origin_policy_parse(cfg->signal_allowed_origins, &sig->origins, &err)) {
		gw_error(NULL, "signal: allowed_origins: %s", err);
		rc = EINVAL;
		goto out;
	}
	sig->cfg_allowed_origins = cfg->signal_allowed_origins;
	if (gw_origin_policy_any(sig->origins) && sig->cfg.auth_none)
		gw_warn(NULL, "signal: allowed_origins = * with auth.mode = none: any web page "
			"the user opens can place calls through this gateway");
	if (gw_config_split_hostport(cfg->signal_listen, &sig->host, &port)) {
		rc = EINVAL;
		goto out;
	}
	sig->web_root = *cfg->signal_web_root ? g_strdup(cfg->signal_web_root) : default_web_root();
	if (*cfg->signal_cert) {
		sig->cert_path = g_strdup(cfg->signal_cert);
		sig->key_path = g_strdup(cfg->signal_key);
	} else {
		sig->cert_path = g_build_filename(cfg->state_dir, "https-cert.pem", NULL);
		sig->key_path = g_build_filename(cfg->state_dir, "https-key.pem", NULL);
	}
	rc = gw_cert_load_or_generate(sig->cert_path, sig->key_path, "rtcsip", &cert, &err);
	if (rc) {
		gw_error(NULL, "signal: TLS certificate: %s", err);
		goto out;
	}
	gw_info(NULL, "signal: TLS certificate %s (%s)", sig->cert_path, gw_cert_fingerprint(cert));

	lws_set_log_level(LLL_ERR | LLL_WARN | LLL_NOTICE, lws_log_emit);

	sig->mount_files.mountpoint = "/";
	sig->mount_files.mountpoint_len = 1;
	sig->mount_files.origin = sig->web_root;
	sig->mount_files.origin_protocol = LWSMPRO_FILE;
	sig->mount_files.def = "index.html";
	sig->mount_files.mount_next = &sig->mount_health;
	sig->mount_health.mountpoint = "/healthz";
	sig->mount_health.mountpoint_len = 8;
	sig->mount_health.origin = "http";
	sig->mount_health.origin_protocol = LWSMPRO_CALLBACK;

	sig->loop = g_main_loop_new(g_main_context_default(), FALSE);
	loops[0] = sig->loop;
	memset(&info, 0, sizeof(info));
	/* No LWS_SERVER_OPTION_VALIDATE_UTF8: a bad message gets an API error
	 * (jansson refuses invalid UTF-8) instead of a dropped connection. */
	info.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	if (!strchr(sig->host, ':'))
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	/* HTTP/1.1 only: offered h2, Chromium first tries WebSocket over h2
	 * (RFC 8441) against lws 4.1 and only falls back to HTTP/1.1 about
	 * 5 s later, so every page waited 5 s for its session. */
	info.alpn = "http/1.1";
	info.foreign_loops = loops;
	info.port = port;
	info.iface = sig->host;
	info.protocols = protocols;
	info.mounts = &sig->mount_files;
	info.ssl_cert_filepath = sig->cert_path;
	info.ssl_private_key_filepath = sig->key_path;
	info.vhost_name = "rtcsip";
	info.timeout_secs = 20;
	/* A browser that vanished (network change, sleep) without a FIN or
	 * RST leaves a half-open connection TCP keepalive notices only while
	 * nothing is queued: a ping every ping_interval, answered by every
	 * browser's WebSocket stack, and the connection is lost without a
	 * pong for twice as long (then detached, resumable). */
	sig->liveness.secs_since_valid_ping = (uint16_t)cfg->signal_ping_interval;
	sig->liveness.secs_since_valid_hangup = (uint16_t)(2 * cfg->signal_ping_interval);
	info.retry_and_idle_policy = &sig->liveness;
	info.ka_time = 30;
	info.ka_probes = 3;
	info.ka_interval = 5;
	server = sig;
	sig->ctx = lws_create_context(&info);
	if (!sig->ctx) {
		gw_error(NULL, "signal: cannot listen on %s (in use, or no such address?)",
			 cfg->signal_listen);
		server = NULL;
		rc = EADDRINUSE;
		goto out;
	}
	gw_info(NULL, "signal: listening on https://%s (API at " WS_PATH ", web root %s)",
		cfg->signal_listen, sig->web_root);
out:
	gw_obj_deref(cert);
	g_free(err);
	if (rc)
		gw_signal_free(sig);
	else
		*out = sig;
	return rc;
}

void gw_signal_shutdown(struct gw_signal *sig)
{
	GPtrArray *all;

	if (!sig || sig->shutting_down)
		return;
	sig->shutting_down = true;
	all = gw_signal_sessions_of(NULL);
	for (guint i = 0; i < all->len; i++)
		gw_ws_session_close(all->pdata[i], "gateway shutting down");
	g_ptr_array_unref(all);
}

bool gw_signal_idle(const struct gw_signal *sig)
{
	return gw_signal_session_count() == 0;
}

void gw_signal_free(struct gw_signal *sig)
{
	if (!sig)
		return;
	if (sig->ctx)
		lws_context_destroy(sig->ctx);
	if (server == sig)
		server = NULL;
	if (sig->loop)
		g_main_loop_unref(sig->loop);
	g_free(sig->host);
	g_free(sig->web_root);
	g_free(sig->cert_path);
	g_free(sig->key_path);
	gw_origin_policy_free(sig->origins);
	g_free(sig);
}
