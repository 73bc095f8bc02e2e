/* gw/signal.h — the browser-facing server: HTTPS static files, /healthz,
 * and the JSON API v1 over WSS at /ws (DESIGN section 4).
 *
 * Everything here runs on the control loop.  The call layer plugs in by
 * registering handlers for message types and a session-close hook, so this
 * layer knows nothing about calls.
 */
#ifndef GW_SIGNAL_H
#define GW_SIGNAL_H

#include <stdbool.h>
#include <jansson.h>

struct gw_config;
struct gw_ws_session;
struct gw_signal;

/* Stable error codes of the API (DESIGN section 4). */
#define GW_ERR_BAD_REQUEST  "bad_request"
#define GW_ERR_UNAUTHORIZED "unauthorized"
#define GW_ERR_NOT_FOUND    "not_found"
#define GW_ERR_BUSY         "busy"
#define GW_ERR_LIMIT        "limit"
#define GW_ERR_INTERNAL     "internal"

/* A request handler.  @msg is the parsed object (borrowed); @tid is its
 * "tid" (borrowed, may be NULL) to echo in the reply.  Handlers reply with
 * gw_ws_session_send / gw_ws_session_error. */
typedef void (gw_api_h)(struct gw_ws_session *s, json_t *msg, json_t *tid);

/* Called when a session closes (for any reason), before it is released. */
typedef void (gw_session_close_h)(struct gw_ws_session *s, void *arg);

/* Extra fields for /healthz (e.g. "calls"); returns a new object or NULL. */
typedef json_t *(gw_health_h)(void *arg);

/* Create the server on the control loop from @cfg: generates the TLS
 * certificate when none is configured, binds signal.listen.
 * 0 or errno (logged with the detail). */
int gw_signal_start(const struct gw_config *cfg, struct gw_signal **out);

/* What gw_signal_start() would refuse in @cfg beyond the config table's
 * own checks (signal.allowed_origins), for --check-config: 0, or EINVAL
 * with *why (g_free) as "[group] key: problem". */
int gw_signal_config_check(const struct gw_config *cfg, char **why);

/* Stop accepting, send a close to every session; the sessions' close
 * hooks run.  Returns at once; gw_signal_idle() says when all are gone. */
void gw_signal_shutdown(struct gw_signal *sig);
bool gw_signal_idle(const struct gw_signal *sig);

/* Free the server (after shutdown). */
void gw_signal_free(struct gw_signal *sig);

/* Register @h for messages of @type that need a completed hello. */
void gw_signal_register(const char *type, gw_api_h *h);
void gw_signal_on_session_close(gw_session_close_h *h, void *arg);
void gw_signal_set_health(gw_health_h *h, void *arg);

/* Sessions currently open, and those of @user (the returned array holds
 * references: g_ptr_array_unref it). */
unsigned gw_signal_session_count(void);
GPtrArray *gw_signal_sessions_of(const char *user);

/* --- sessions (refcounted gw_obj; owned by the control loop) --- */

const char *gw_ws_session_id(const struct gw_ws_session *s);
const char *gw_ws_session_user(const struct gw_ws_session *s); /* NULL before hello */
const char *gw_ws_session_log(const struct gw_ws_session *s);  /* log context */
bool gw_ws_session_open(const struct gw_ws_session *s);
/* Destination prefixes the session's token allows, or NULL = any. */
const char *const *gw_ws_session_allowed(const struct gw_ws_session *s);
/* The From user and display name the session's token gives its SIP calls
 * (JWT caller_id, caller_name), or NULL. */
const char *gw_ws_session_caller_id(const struct gw_ws_session *s);
const char *gw_ws_session_caller_name(const struct gw_ws_session *s);

/* Queue @msg (steals the reference) for sending.  Returns ENOTCONN when
 * the session is closed, ENOBUFS when the peer does not read (the session
 * is then closed). */
int gw_ws_session_send(struct gw_ws_session *s, json_t *msg);

/* Send an error reply; @call may be NULL, @tid may be NULL. */
void gw_ws_session_error(struct gw_ws_session *s, json_t *tid, const char *call,
			 const char *code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Close the session (after what is queued has been sent). */
void gw_ws_session_close(struct gw_ws_session *s, const char *reason);

/* Field helpers for handlers: fetch a required string field or reply
 * bad_request naming the field and return NULL. */
const char *gw_api_require_string(struct gw_ws_session *s, json_t *msg, json_t *tid,
				  const char *field);

#endif
