/* ws_client.h — a JSON-over-WSS client for rtcsip-call (libwebsockets on
 * the GLib default loop, so the main thread only).  Accepts self-signed
 * certificates: it is a test and load tool for a gateway you run yourself.
 * Owns its lws context and the queue of messages not yet written. */
#ifndef GW_TOOLS_WS_CLIENT_H
#define GW_TOOLS_WS_CLIENT_H

#include <stdbool.h>
#include <jansson.h>

struct gw_tool_ws;

/* One complete JSON message from the gateway (borrowed). */
typedef void (gw_tool_ws_msg_h)(json_t *msg, void *arg);
/* The connection opened (@open) or ended (@reason). */
typedef void (gw_tool_ws_state_h)(bool open, const char *reason, void *arg);

/* Connect to @url (wss://host:port/path, subprotocol rtcsip.v1).  0 or errno. */
int gw_tool_ws_open(struct gw_tool_ws **out, const char *url, gw_tool_ws_msg_h *msgh,
		    gw_tool_ws_state_h *stateh, void *arg);
/* Queue @msg (reference stolen). */
void gw_tool_ws_send(struct gw_tool_ws *c, json_t *msg);
/* Write what is queued, then close with a close frame (1000).  The state
 * handler is not called for this close. */
void gw_tool_ws_close(struct gw_tool_ws *c);
bool gw_tool_ws_is_open(const struct gw_tool_ws *c);
void gw_tool_ws_free(struct gw_tool_ws *c);

#endif
