/* ws_client.h — a JSON-over-WSS client for rtcsip-call (libwebsockets on
 * the GLib default loop).  Accepts self-signed certificates: it is a test
 * and load tool for a gateway you run yourself. */
#ifndef GW_TOOLS_WS_CLIENT_H
#define GW_TOOLS_WS_CLIENT_H

#include <stdbool.h>
#include <jansson.h>

struct ws_client;

typedef void (ws_msg_h)(json_t *msg, void *arg);                  /* borrowed */
typedef void (ws_state_h)(bool open, const char *reason, void *arg);

/* Connect to @url (wss://host:port/path, subprotocol rtcsip.v1).  0 or errno. */
int ws_client_open(struct ws_client **out, const char *url, ws_msg_h *msgh, ws_state_h *stateh,
		   void *arg);
/* Queue @msg (reference stolen). */
void ws_client_send(struct ws_client *c, json_t *msg);
void ws_client_free(struct ws_client *c);

#endif
