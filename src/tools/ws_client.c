/* ws_client.c — see ws_client.h.  Default GLib loop (main thread) only. */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include <libwebsockets.h>
#include "ws_client.h"
#include "gw/log.h"

struct gw_tool_ws {
	struct lws_context *ctx;
	struct lws *wsi;
	GMainLoop *loop;
	GQueue txq;          /* of char * (LWS_PRE + text + NUL) */
	GString *rx;
	gw_tool_ws_msg_h *msgh;
	gw_tool_ws_state_h *stateh;
	void *arg;
	bool open;
	bool closing;        /* we asked to close: the CLOSED callback is ours */
};

static int cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct gw_tool_ws *c = lws_context_user(lws_get_context(wsi));
	char *m;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c->open = true;
		c->stateh(true, NULL, c->arg);
		if (!g_queue_is_empty(&c->txq))
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		c->wsi = NULL;
		c->stateh(false, in ? (const char *)in : "connection error", c->arg);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (c->rx->len + len > 1024 * 1024)
			return -1; /* no sane gateway message is that big */
		g_string_append_len(c->rx, in, (gssize)len);
		if (lws_is_final_fragment(wsi)) {
			json_t *j = json_loadb(c->rx->str, c->rx->len, 0, NULL);

			g_string_truncate(c->rx, 0);
			if (j) {
				c->msgh(j, c->arg);
				json_decref(j);
			}
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		m = g_queue_pop_head(&c->txq);
		if (m) {
			size_t n = strlen(m + LWS_PRE);

			if (lws_write(wsi, (unsigned char *)m + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n) {
				g_free(m);
				return -1;
			}
			g_free(m);
			if (!g_queue_is_empty(&c->txq))
				lws_callback_on_writable(wsi);
		}
		if (c->closing && g_queue_is_empty(&c->txq)) {
			/* RFC 6455 section 7: a close frame, not a dropped socket */
			lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
			return -1;
		}
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		c->wsi = NULL;
		c->open = false;
		if (!c->closing)
			c->stateh(false, "closed by the gateway", c->arg);
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "rtcsip.v1", cb, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void lws_log_emit(int level, const char *line)
{
	gw_log_write(GW_LOG_DEBUG, "lws", "%s", line);
}

int gw_tool_ws_open(struct gw_tool_ws **out, const char *url, gw_tool_ws_msg_h *msgh,
		    gw_tool_ws_state_h *stateh, void *arg)
{
	struct lws_context_creation_info info;
	struct lws_client_connect_info ci;
	struct gw_tool_ws *c = g_new0(struct gw_tool_ws, 1);
	char *copy = g_strdup(url), path[256];
	const char *prot = NULL, *ads = NULL, *p = NULL;
	void *loops[1];
	int port = 0;

	if (lws_parse_uri(copy, &prot, &ads, &port, &p) || strcmp(prot, "wss")) {
		g_free(copy);
		g_free(c);
		return EINVAL;
	}
	g_snprintf(path, sizeof(path), "/%s", p);
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
	c->loop = g_main_loop_new(NULL, FALSE);
	c->rx = g_string_new(NULL);
	c->msgh = msgh;
	c->stateh = stateh;
	c->arg = arg;
	g_queue_init(&c->txq);
	loops[0] = c->loop;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.foreign_loops = loops;
	info.user = c;
	c->ctx = lws_create_context(&info);
	if (!c->ctx) {
		g_free(copy);
		gw_tool_ws_free(c);
		return ENOMEM;
	}
	memset(&ci, 0, sizeof(ci));
	ci.context = c->ctx;
	ci.address = ads;
	ci.port = port;
	ci.path = path;
	ci.host = ads;
	ci.protocol = "rtcsip.v1";
	ci.ssl_connection = LCCSCF_USE_SSL | LCCSCF_ALLOW_SELFSIGNED |
			    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_INSECURE |
			    LCCSCF_ALLOW_EXPIRED;
	ci.pwsi = &c->wsi;
	if (!lws_client_connect_via_info(&ci)) {
		g_free(copy);
		gw_tool_ws_free(c);
		return ECONNREFUSED;
	}
	g_free(copy);
	*out = c;
	return 0;
}

void gw_tool_ws_send(struct gw_tool_ws *c, json_t *msg)
{
	char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	size_t n;
	char *buf;

	if (!text) {
		gw_error(NULL, "cannot encode a message (invalid UTF-8 in an option?)");
		json_decref(msg);
		return;
	}
	n = strlen(text);
	buf = g_malloc(LWS_PRE + n + 1);

	memcpy(buf + LWS_PRE, text, n + 1);
	free(text);
	json_decref(msg);
	g_queue_push_tail(&c->txq, buf);
	if (c->wsi && c->open)
		lws_callback_on_writable(c->wsi);
}

void gw_tool_ws_close(struct gw_tool_ws *c)
{
	c->closing = true;
	if (c->wsi && c->open)
		lws_callback_on_writable(c->wsi);
}

bool gw_tool_ws_is_open(const struct gw_tool_ws *c)
{
	return c && c->wsi && c->open;
}

void gw_tool_ws_free(struct gw_tool_ws *c)
{
	if (!c)
		return;
	if (c->ctx)
		lws_context_destroy(c->ctx);
	g_queue_clear_full(&c->txq, g_free);
	g_string_free(c->rx, TRUE);
	g_main_loop_unref(c->loop);
	g_free(c);
}
