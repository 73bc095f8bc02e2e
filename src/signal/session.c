/* session.c — one browser WebSocket session: message assembly with the
 * size limit, the send queue, the hello timer, closing, and resuming a
 * session whose connection dropped on a new connection.
 * Control loop only.  See struct gw_ws_session for who holds references. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "signal_priv.h"
#include "gw/obj.h"
#include "gw/log.h"

static unsigned next_session_id;

static void txq_clear(struct gw_ws_session *s)
{
	GBytes *b;

	while ((b = g_queue_pop_head(&s->txq)))
		g_bytes_unref(b);
	s->txq_bytes = 0;
}

/* Queue @text (json_dumps output, freed here) with LWS_PRE headroom, at the
 * head (a resumed session's welcome) or the tail. */
static void txq_push(struct gw_ws_session *s, char *text, bool head)
{
	size_t len = strlen(text);
	unsigned char *buf = g_malloc(LWS_PRE + len);
	GBytes *b;

	memcpy(buf + LWS_PRE, text, len);
	free(text);
	b = g_bytes_new_take(buf, LWS_PRE + len);
	if (head)
		g_queue_push_head(&s->txq, b);
	else
		g_queue_push_tail(&s->txq, b);
	s->txq_bytes += len;
}

static void session_destroy(void *arg)
{
	struct gw_ws_session *s = arg;

	txq_clear(s);
	if (s->rx)
		g_string_free(s->rx, TRUE);
	g_free(s->user);
	g_strfreev(s->allowed);
	g_free(s->caller_id);
	g_free(s->caller_name);
}

static gboolean hello_timeout(gpointer arg)
{
	struct gw_ws_session *s = arg;

	s->hello_timer = 0;
	if (!s->user) {
		gw_info(s->log, "no hello within %u s: closing", s->hello_s);
		gw_ws_session_error(s, NULL, NULL, GW_ERR_UNAUTHORIZED, "no hello within %u s",
				    s->hello_s);
		gw_ws_session_close(s, "hello timeout");
	}
	return G_SOURCE_REMOVE;
}

void gw_ws_session_new_resume_token(struct gw_ws_session *s)
{
	unsigned char r[16];

	s->resume[0] = '\0';
	if (RAND_bytes(r, sizeof(r)) == 1)
		for (size_t i = 0; i < sizeof(r); i++)
			g_snprintf(s->resume + 2 * i, 3, "%02x", r[i]);
}

/* Close @s unless it says hello within @seconds (the timer holds a ref). */
static void arm_hello(struct gw_ws_session *s, unsigned seconds)
{
	s->hello_s = seconds;
	s->hello_timer = g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, seconds, hello_timeout,
						    gw_obj_ref(s), gw_obj_release);
}

static struct gw_ws_session *session_alloc(const struct gw_signal_cfg *cfg)
{
	struct gw_ws_session *s = gw_obj_alloc(sizeof(*s), session_destroy);

	s->cfg = cfg;
	g_snprintf(s->id, sizeof(s->id), "s%u", ++next_session_id);
	g_snprintf(s->log, sizeof(s->log), "ws %s", s->id);
	g_queue_init(&s->txq);
	return s;
}

struct gw_ws_session *gw_ws_session_new_detached(const struct gw_signal_cfg *cfg,
						 void (*sink)(const char *text, void *arg),
						 void *arg)
{
	struct gw_ws_session *s = session_alloc(cfg);

	s->sink = sink;
	s->sink_arg = arg;
	return s;
}

void gw_ws_peer_key(const char *addr, char *key, size_t size)
{
	struct in6_addr a6;
	struct in_addr a4;
	char buf[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET, addr, &a4) == 1) {
		g_strlcpy(key, addr, size);
	} else if (inet_pton(AF_INET6, addr, &a6) == 1 && IN6_IS_ADDR_V4MAPPED(&a6)) {
		memcpy(&a4, &a6.s6_addr[12], sizeof(a4));
		g_strlcpy(key, inet_ntop(AF_INET, &a4, buf, sizeof(buf)), size);
	} else if (inet_pton(AF_INET6, addr, &a6) == 1) {
		memset(&a6.s6_addr[8], 0, 8);
		g_snprintf(key, size, "%s/64", inet_ntop(AF_INET6, &a6, buf, sizeof(buf)));
	} else {
		key[0] = '\0';
	}
}

struct gw_ws_session *gw_ws_session_new(struct lws *wsi, const struct gw_signal_cfg *cfg)
{
	struct gw_ws_session *s = session_alloc(cfg);
	char peer[64] = "";

	s->wsi = wsi;
	lws_get_peer_simple(wsi, peer, sizeof(peer));
	gw_ws_peer_key(peer, s->peer, sizeof(s->peer));
	arm_hello(s, cfg->hello_timeout_s);
	gw_info(s->log, "connected from %s", peer);
	return s;
}

void gw_ws_session_hurry_hello(struct gw_ws_session *s, unsigned seconds)
{
	if (!s->hello_timer || seconds >= s->hello_s)
		return;
	g_source_remove(s->hello_timer);
	arm_hello(s, seconds);
}

void gw_ws_session_set_user(struct gw_ws_session *s, const char *user)
{
	g_free(s->user);
	s->user = g_strdup(user);
	g_snprintf(s->log, sizeof(s->log), "ws %s %s", s->id, user);
	if (s->cfg->resume_timeout_s && !s->sink)
		gw_ws_session_new_resume_token(s);
	if (s->hello_timer) {
		g_source_remove(s->hello_timer);
		s->hello_timer = 0;
	}
}

const char *gw_ws_session_id(const struct gw_ws_session *s)
{
	return s->id;
}

const char *gw_ws_session_user(const struct gw_ws_session *s)
{
	return s->user;
}

const char *gw_ws_session_log(const struct gw_ws_session *s)
{
	return s->log;
}

const char *const *gw_ws_session_allowed(const struct gw_ws_session *s)
{
	return (const char *const *)s->allowed;
}

const char *gw_ws_session_caller_id(const struct gw_ws_session *s)
{
	return s->caller_id;
}

const char *gw_ws_session_caller_name(const struct gw_ws_session *s)
{
	return s->caller_name;
}

void gw_ws_session_grant(struct gw_ws_session *s, struct gw_auth_claims *c)
{
	g_strfreev(s->allowed);
	g_free(s->caller_id);
	g_free(s->caller_name);
	s->allowed = g_steal_pointer(&c->allowed);
	s->caller_id = g_steal_pointer(&c->caller_id);
	s->caller_name = g_steal_pointer(&c->caller_name);
}

bool gw_ws_session_open(const struct gw_ws_session *s)
{
	return (s->wsi || s->sink || s->detached) && !s->closing;
}

/* The resume time is over (or the session was closed while detached):
 * the session ends now, its calls with it. */
static gboolean resume_expired(gpointer arg)
{
	struct gw_ws_session *s = arg;

	s->resume_timer = 0;
	if (!s->detached)
		return G_SOURCE_REMOVE;
	if (!s->closing)
		gw_info(s->log, "not resumed within %u s: closing", s->cfg->resume_timeout_s);
	s->detached = false;
	s->closing = true;
	txq_clear(s);
	gw_api_session_removed(s);
	return G_SOURCE_REMOVE;
}

static void arm_resume_timer(struct gw_ws_session *s, unsigned seconds)
{
	guint old = s->resume_timer;

	/* the new timer's reference first: the old one's may be the last */
	s->resume_timer = g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, seconds, resume_expired,
						     gw_obj_ref(s), gw_obj_release);
	if (old)
		g_source_remove(old);
}

bool gw_ws_session_resumable(const struct gw_ws_session *s, const char *token)
{
	size_t n = strlen(s->resume);

	return n && !s->closing && strlen(token) == n && !CRYPTO_memcmp(s->resume, token, n);
}

int gw_ws_session_send(struct gw_ws_session *s, json_t *msg)
{
	char *text;
	size_t len;
	int err = 0;

	if (!gw_ws_session_open(s)) {
		err = ENOTCONN;
		goto out;
	}
	text = json_dumps(msg, JSON_COMPACT);
	if (!text) {
		err = ENOMEM;
		goto out;
	}
	len = strlen(text);
	if (s->sink) {
		s->sink(text, s->sink_arg);
		free(text);
		goto out;
	}
	if (s->txq_bytes + len > GW_WS_TXQ_MAX) {
		free(text);
		gw_warn(s->log, "peer is not reading (%zu bytes queued): closing", s->txq_bytes);
		gw_ws_session_close(s, "send queue full");
		err = ENOBUFS;
		goto out;
	}
	txq_push(s, text, false);
	if (s->wsi) /* detached: kept for the connection that resumes it */
		lws_callback_on_writable(s->wsi);
out:
	json_decref(msg);
	return err;
}

void gw_ws_session_error(struct gw_ws_session *s, json_t *tid, const char *call,
			 const char *code, const char *fmt, ...)
{
	json_t *msg = json_object();
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	json_object_set_new(msg, "type", json_string("error"));
	if (tid)
		json_object_set(msg, "tid", tid);
	if (call)
		json_object_set_new(msg, "call", json_string(call));
	json_object_set_new(msg, "code", json_string(code));
	/* A %.64s cut can split a UTF-8 sequence: never drop the message. */
	json_object_set_new(msg, "message", json_string(text) ?: json_string("(unprintable detail)"));
	gw_debug(s->log, "error %s: %s", code, text);
	g_free(text);
	gw_ws_session_send(s, msg);
}

void gw_ws_session_close(struct gw_ws_session *s, const char *reason)
{
	if (!gw_ws_session_open(s))
		return;
	s->closing = true;
	g_strlcpy(s->close_reason, reason ? reason : "", sizeof(s->close_reason));
	if (s->wsi)
		lws_callback_on_writable(s->wsi);
	else if (s->detached)
		arm_resume_timer(s, 0); /* end it from the loop, not from inside a send */
}

void gw_ws_session_on_rx(struct gw_ws_session *s, const void *buf, size_t len, bool final)
{
	if (s->closing)
		return;
	if (!s->rx)
		s->rx = g_string_sized_new(len < 4096 ? 4096 : len);
	if (!s->rx_oversized && s->rx->len + len > s->cfg->max_frame) {
		/* Keep reading to the end of the message, but drop it. */
		s->rx_oversized = true;
		g_string_truncate(s->rx, 0);
	}
	if (!s->rx_oversized)
		g_string_append_len(s->rx, buf, (gssize)len);
	if (!final)
		return;
	if (s->rx_oversized) {
		gw_ws_session_error(s, NULL, NULL, GW_ERR_BAD_REQUEST,
				    "message larger than %zu bytes", s->cfg->max_frame);
		s->rx_oversized = false;
	} else {
		gw_api_dispatch(s, s->rx->str, s->rx->len);
	}
	/* Do not keep a large buffer around after a big message. */
	if (s->rx && s->rx->allocated_len > 65536) {
		g_string_free(s->rx, TRUE);
		s->rx = NULL;
	} else if (s->rx) {
		g_string_truncate(s->rx, 0);
	}
}

int gw_ws_session_on_writeable(struct gw_ws_session *s)
{
	GBytes *b = g_queue_pop_head(&s->txq);

	if (b) {
		gsize size;
		unsigned char *p = (unsigned char *)g_bytes_get_data(b, &size);
		size_t len = size - LWS_PRE;
		int n = lws_write(s->wsi, p + LWS_PRE, len, LWS_WRITE_TEXT);

		s->txq_bytes -= len;
		g_bytes_unref(b);
		if (n < (int)len) {
			gw_warn(s->log, "write failed: closing");
			return -1;
		}
		if (!g_queue_is_empty(&s->txq) || s->closing)
			lws_callback_on_writable(s->wsi);
		return 0;
	}
	if (s->closing) {
		lws_close_reason(s->wsi, LWS_CLOSE_STATUS_NORMAL,
				 (unsigned char *)s->close_reason, strlen(s->close_reason));
		return -1;
	}
	return 0;
}

bool gw_ws_session_on_closed(struct gw_ws_session *s)
{
	s->wsi = NULL;
	if (s->hello_timer) {
		g_source_remove(s->hello_timer);
		s->hello_timer = 0;
	}
	/* Lost without a close frame (network change, sleeping laptop): keep
	 * the session, what it should have received meanwhile included. */
	if (s->user && s->resume[0] && !s->closing && !s->peer_closed) {
		gw_info(s->log, "connection lost: the session waits %u s to be resumed",
			s->cfg->resume_timeout_s);
		s->detached = true;
		if (s->rx) /* a message cut by the drop never completes */
			g_string_truncate(s->rx, 0);
		s->rx_oversized = false;
		arm_resume_timer(s, s->cfg->resume_timeout_s);
		return true;
	}
	gw_info(s->log, "closed%s%s", s->close_reason[0] ? ": " : "", s->close_reason);
	s->closing = true;
	txq_clear(s);
	return false;
}

void gw_ws_session_resume(struct gw_ws_session *old, struct gw_ws_session *fresh, json_t *welcome)
{
	struct lws *wsi = fresh->wsi;
	struct gw_signal_pss *pss = lws_wsi_user(wsi);
	char *text = json_dumps(welcome, JSON_COMPACT);

	json_decref(welcome);
	if (old->wsi) {
		/* The browser gave up on a connection we still think open: its
		 * reference moves to the new connection, the old one is killed. */
		struct gw_signal_pss *opss = lws_wsi_user(old->wsi);

		gw_info(old->log, "resumed by a new connection: closing the old one");
		opss->session = NULL;
		lws_set_timeout(old->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	} else {
		gw_info(old->log, "resumed by a new connection");
		gw_obj_ref(old); /* for pss; the resume timer drops its own */
		if (old->resume_timer) {
			g_source_remove(old->resume_timer);
			old->resume_timer = 0;
		}
	}
	old->detached = false;
	old->peer_closed = false;
	old->wsi = wsi;
	pss->session = old;
	if (text)
		txq_push(old, text, true);
	lws_callback_on_writable(wsi);

	/* @fresh never said hello: it has no calls and leaves quietly. */
	fresh->wsi = NULL;
	fresh->closing = true;
	if (fresh->hello_timer) {
		g_source_remove(fresh->hello_timer);
		fresh->hello_timer = 0;
	}
	gw_api_session_removed(fresh);
	gw_obj_deref(fresh); /* pss' reference */
}
