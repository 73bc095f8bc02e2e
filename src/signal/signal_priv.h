/* signal_priv.h — internals shared by the files of src/signal. */
#ifndef GW_SIGNAL_PRIV_H
#define GW_SIGNAL_PRIV_H

#include <libwebsockets.h>
#include <glib.h>
#include "gw/signal.h"

/* Largest amount of unsent replies a session may accumulate before we
 * decide the peer is not reading and drop it. */
#define GW_WS_TXQ_MAX (1024 * 1024)

/* One browser session: a WebSocket connection and, when the connection is
 * lost without a close frame, the time (signal.resume_timeout) in which a
 * new connection may take the session over with its resume token, calls
 * and queued messages included.  Control loop only.  References: the lws
 * per-session data (struct gw_signal_pss) of the connection it is attached
 * to holds one; the hello timer and the resume timer hold one each while
 * armed; handlers may take more. */
struct gw_ws_session {
	char id[24];
	char log[64];            /* "ws 7 alice" */
	char *user;              /* set by hello */
	char peer[48];           /* signal.max_pending_per_ip's key for the connection's
				  * address (gw_ws_peer_key), "" = unknown */
	char **allowed;          /* JWT 'allowed' destination prefixes, or NULL = any */
	char *caller_id;         /* JWT 'caller_id' (owned), or NULL */
	char *caller_name;       /* JWT 'caller_name' (owned), or NULL */
	struct lws *wsi;         /* NULL once lws closed the connection */
	char resume[33];         /* hex token that resumes this session, "" = none */
	bool peer_closed;        /* the browser sent a close frame: it meant to go */
	bool detached;           /* connection lost, waiting to be resumed */
	bool resume_only;        /* admitted beyond signal.max_sessions: its hello
				  * must resume a session */
	guint resume_timer;      /* ends a detached session */
	GQueue txq;              /* of GBytes (LWS_PRE headroom + text) */
	size_t txq_bytes;
	GString *rx;             /* fragments of the message being received */
	bool rx_oversized;       /* discarding the rest of an oversized message */
	bool closing;            /* close after the queue drains */
	char close_reason[64];
	guint hello_timer;
	unsigned hello_s;        /* what hello_timer waits */
	const struct gw_signal_cfg *cfg;
	/* Unit tests: replies go to @sink instead of a socket. */
	void (*sink)(const char *text, void *arg);
	void *sink_arg;
};

/* What the session code needs from the configuration. */
struct gw_signal_cfg {
	size_t max_frame;
	unsigned max_sessions;
	unsigned max_pending_per_ip; /* 0 = no limit */
	unsigned hello_timeout_s;
	unsigned resume_timeout_s; /* 0 = sessions end with their connection */
	bool auth_none;
	const char *jwt_secret;
};

/* Per-connection data lws allocates for us. */
struct gw_signal_pss {
	struct gw_ws_session *session; /* one reference while attached */
};

struct gw_ws_session *gw_ws_session_new(struct lws *wsi, const struct gw_signal_cfg *cfg);
/* The address @addr (numeric, as lws gives it) as one address counts for
 * signal.max_pending_per_ip: IPv4 as it is (also when mapped into IPv6),
 * IPv6 by its /64 (one host may hold a whole /64); "" when @addr is no
 * address (lws reports getpeername's error in its place). */
void gw_ws_peer_key(const char *addr, char *key, size_t size);
/* A session without a socket whose replies go to @sink (tests). */
struct gw_ws_session *gw_ws_session_new_detached(const struct gw_signal_cfg *cfg,
						 void (*sink)(const char *text, void *arg),
						 void *arg);
/* lws events for a session. */
void gw_ws_session_on_rx(struct gw_ws_session *s, const void *buf, size_t len, bool final);
int gw_ws_session_on_writeable(struct gw_ws_session *s);
/* The connection is gone.  Returns true when the session stays (detached)
 * for signal.resume_timeout seconds: its registry entry and calls live on
 * and the caller only drops its reference; false when it is over. */
bool gw_ws_session_on_closed(struct gw_ws_session *s);
/* Move the connection of @fresh (a session that has not said hello yet)
 * to @old, detached or still attached to a connection the browser gave up
 * on (that one is closed), and queue @welcome (stolen) ahead of what @old
 * queued meanwhile.  @fresh leaves the registry. */
void gw_ws_session_resume(struct gw_ws_session *old, struct gw_ws_session *fresh, json_t *welcome);
/* A fresh random resume token for @s (on hello, and on each resume so a
 * token works once). */
void gw_ws_session_new_resume_token(struct gw_ws_session *s);
/* Does @token resume @s? (constant time) */
bool gw_ws_session_resumable(const struct gw_ws_session *s, const char *token);
void gw_ws_session_set_user(struct gw_ws_session *s, const char *user);
/* Close @s if it has not said hello within @seconds of now, when that is
 * sooner than its hello timer. */
void gw_ws_session_hurry_hello(struct gw_ws_session *s, unsigned seconds);

/* api.c: one complete message from a session. */
void gw_api_dispatch(struct gw_ws_session *s, const char *text, size_t len);
/* session registry (api.c) */
/* May the new connection @s (not yet added) have a session?  Sets
 * s->resume_only when it may only resume one; when it may not, false with
 * the reason for the browser in @why (signal.max_pending_per_ip for its
 * address, or signal.max_sessions). */
bool gw_api_session_admit(struct gw_ws_session *s, char *why, size_t size);
void gw_api_session_added(struct gw_ws_session *s);
void gw_api_session_removed(struct gw_ws_session *s);
/* auth.c: what a verified token grants (strings owned). */
struct gw_auth_claims {
	char *user;              /* sub */
	char **allowed;          /* destination prefixes (NULL-terminated), NULL = any */
	char *caller_id;         /* From user of the user's SIP calls, NULL = the trunk's rule */
	char *caller_name;       /* From display name, NULL = none */
};
void gw_auth_claims_clear(struct gw_auth_claims *c);
/* session.c: the session takes what @c grants but the user (a token's,
 * on hello or resume; those of an earlier token are dropped). */
void gw_ws_session_grant(struct gw_ws_session *s, struct gw_auth_claims *c);
/* Verify an HS256 JWT: 0 and *@out (gw_auth_claims_clear), or EACCES and
 * *@why (g_free). */
int gw_auth_jwt_verify(const char *token, const char *secret, gint64 now_s,
		       struct gw_auth_claims *out, char **why);

/* origin.c: the signal.allowed_origins policy (immutable once parsed). */
struct gw_origin_policy;
/* Parse @spec: origins "scheme://host[:port]" separated by spaces or
 * commas, "*" (any), or "" (only the gateway's own origin).  0, or EINVAL
 * with *reason (g_free) naming the bad entry; *out only on success. */
int gw_origin_policy_parse(const char *spec, struct gw_origin_policy **out, char **reason);
void gw_origin_policy_free(struct gw_origin_policy *p);
/* True when the policy is "*". */
bool gw_origin_policy_any(const struct gw_origin_policy *p);
/* May a WebSocket upgrade carrying header @origin (NULL or "" = none: not a
 * browser, allowed) to @host (the Host header, for the default policy)
 * proceed?  Scheme and host compare without case, default ports implied. */
bool gw_origin_allowed(const struct gw_origin_policy *p, const char *origin, const char *host);

#endif
