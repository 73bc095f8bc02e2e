/* api.c — the JSON API v1 (DESIGN section 4): framing checks, dispatch by
 * "type" through a table, hello/ping, and the registry of sessions by user.
 * Control loop only. */
#include <stdio.h>
#include <string.h>
#include "signal_priv.h"
#include "gw/obj.h"
#include "gw/log.h"

struct api_entry {
	gw_api_h *h;
	bool needs_hello;
};

static GHashTable *handlers;  /* type -> struct api_entry* */
static GPtrArray *sessions;   /* every open session (borrowed: lws pss owns) */
static struct {
	gw_session_close_h *h;
	void *arg;
} close_hook;

/* Types the API defines that this build does not implement yet: answered
 * with a clear error instead of "unknown type". */
static const char *const known_types[] = {
	"hello", "call", "candidate", "accept", "reject", "hangup", "dtmf",
	"hold", "unhold", "transfer", "ping", NULL,
};

static void handlers_init(void)
{
	if (!handlers)
		handlers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (!sessions)
		sessions = g_ptr_array_new();
}

static void add_handler(const char *type, gw_api_h *h, bool needs_hello)
{
	struct api_entry *e = g_new(struct api_entry, 1);

	handlers_init();
	e->h = h;
	e->needs_hello = needs_hello;
	g_hash_table_replace(handlers, g_strdup(type), e);
}

void gw_signal_register(const char *type, gw_api_h *h)
{
	add_handler(type, h, true);
}

void gw_signal_on_session_close(gw_session_close_h *h, void *arg)
{
	close_hook.h = h;
	close_hook.arg = arg;
}

const char *gw_api_require_string(struct gw_ws_session *s, json_t *msg, json_t *tid,
				  const char *field)
{
	json_t *v = json_object_get(msg, field);
	const char *call = json_string_value(json_object_get(msg, "call"));

	if (!json_is_string(v) || json_string_length(v) == 0) {
		gw_ws_session_error(s, tid, call, GW_ERR_BAD_REQUEST,
				    v ? "field '%s' must be a non-empty string" : "missing field '%s'",
				    field);
		return NULL;
	}
	return json_string_value(v);
}

static bool valid_user(const char *u)
{
	size_t n = strlen(u);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(u[i]) && !strchr("._-+@", u[i]))
			return false;
	return true;
}

static json_t *welcome(struct gw_ws_session *s, json_t *tid, bool resumed)
{
	json_t *reply = json_pack("{s:s, s:s, s:s, s:[]}", "type", "welcome", "session", s->id,
				  "user", s->user, "ice_servers");

	if (s->resume[0]) {
		json_object_set_new(reply, "resume", json_string(s->resume));
		json_object_set_new(reply, "resume_timeout", json_integer(s->cfg->resume_timeout_s));
		json_object_set_new(reply, "resumed", json_boolean(resumed));
	}
	if (tid)
		json_object_set(reply, "tid", tid);
	return reply;
}

/* The detached (or abandoned) session of @user that @token resumes. */
static struct gw_ws_session *resumable(struct gw_ws_session *self, const char *user,
				       const char *token)
{
	for (guint i = 0; i < sessions->len; i++) {
		struct gw_ws_session *o = sessions->pdata[i];

		if (o != self && o->user && !strcmp(o->user, user) && gw_ws_session_resumable(o, token))
			return o;
	}
	return NULL;
}

/* How long a connection let in beyond signal.max_sessions has to say hello. */
#define RESUME_HELLO_S 5

/* Sessions that hold a place under signal.max_sessions (detached ones do:
 * their calls go on), those of them a resume token could take over, and
 * connections admitted only to resume. */
static void count_places(const struct gw_ws_session *self, unsigned *placed,
			 unsigned *resumable, unsigned *resuming)
{
	*placed = *resumable = *resuming = 0;
	for (guint i = 0; sessions && i < sessions->len; i++) {
		const struct gw_ws_session *o = sessions->pdata[i];

		if (o == self)
			continue;
		if (o->resume_only) {
			(*resuming)++;
			continue;
		}
		(*placed)++;
		if (o->resume[0] && !o->closing)
			(*resumable)++;
	}
}

/* A connection admitted only to resume that does not: it keeps the place
 * one freed meanwhile, if any. */
static bool promote(struct gw_ws_session *s)
{
	unsigned placed, resumable, resuming;

	count_places(s, &placed, &resumable, &resuming);
	if (placed >= s->cfg->max_sessions)
		return false;
	s->resume_only = false;
	return true;
}

/* Connections from @s's address, other than @s, that have not said hello
 * (nor closed, nor been detached). */
static unsigned count_pending_from(const struct gw_ws_session *s)
{
	unsigned n = 0;

	for (guint i = 0; sessions && i < sessions->len; i++) {
		const struct gw_ws_session *o = sessions->pdata[i];

		if (o != s && !o->user && !o->detached && !o->closing && !strcmp(o->peer, s->peer))
			n++;
	}
	return n;
}

/* A refusal is logged at most once a second (a flood must not flood the
 * log), with how many were not. */
static void log_refusal(const struct gw_ws_session *s, const char *why)
{
	static struct gw_log_limit limit; /* control loop only */
	uint64_t unlogged;

	if (gw_log_limit_pass(&limit, g_get_monotonic_time(), G_USEC_PER_SEC, &unlogged))
		gw_warn(s->log, "refusing %s: %s (%" G_GUINT64_FORMAT " more refused since the "
			"last report)", s->peer[0] ? s->peer : "a connection", why, unlogged);
}

bool gw_api_session_admit(struct gw_ws_session *s, char *why, size_t size)
{
	unsigned placed, resumable, resuming, limit = s->cfg->max_pending_per_ip;

	/* One address must not hold every place with connections that never
	 * say hello (each for signal.hello_timeout).  Unknown addresses (unit
	 * tests' sessions without a socket) are not limited. */
	if (limit && s->peer[0] && count_pending_from(s) >= limit) {
		snprintf(why, size, "too many connections from your address awaiting hello (limit %u)",
			 limit);
		log_refusal(s, "signal.max_pending_per_ip reached");
		return false;
	}
	count_places(s, &placed, &resumable, &resuming);
	if (placed < s->cfg->max_sessions)
		return true;
	/* Full, but a browser whose connection dropped must get its calls
	 * back, also before we noticed the drop (a half-open connection is
	 * the usual case: nothing tells us for minutes): one connection beyond
	 * the limit per session a resume token could take over, whose hello
	 * must resume one (on_hello) within signal.hello_timeout. */
	if (resuming < resumable) {
		s->resume_only = true;
		/* a browser that resumes says hello at once: hold the door
		 * place briefly */
		gw_ws_session_hurry_hello(s, RESUME_HELLO_S);
		gw_info(s->log, "signal.max_sessions (%u) reached: admitted only to resume one of "
			"the %u sessions", s->cfg->max_sessions, resumable);
		return true;
	}
	snprintf(why, size, "too many sessions (limit %u)", s->cfg->max_sessions);
	log_refusal(s, "signal.max_sessions reached");
	return false;
}

/* hello with "resume": take over the session the token names, calls and
 * all.  False when there is none (expired, closed, another user). */
static bool resume_session(struct gw_ws_session *s, json_t *msg, json_t *tid,
			   struct gw_auth_claims *claims)
{
	const char *user = claims->user;
	const char *token = json_string_value(json_object_get(msg, "resume"));
	struct gw_ws_session *old;

	if (!token || !s->wsi)
		return false;
	old = resumable(s, user, token);
	if (!old) {
		gw_info(s->log, "hello: nothing to resume for %s (expired or ended): new session", user);
		return false;
	}
	gw_ws_session_grant(old, claims); /* the new token's */
	gw_ws_session_new_resume_token(old);
	gw_ws_session_resume(old, s, welcome(old, tid, true));
	return true;
}

static void on_hello(struct gw_ws_session *s, json_t *msg, json_t *tid)
{
	const struct gw_signal_cfg *cfg = s->cfg;
	struct gw_auth_claims claims = { 0 };
	char *why = NULL;

	if (s->user) {
		gw_ws_session_error(s, tid, NULL, GW_ERR_BAD_REQUEST, "hello already done");
		return;
	}
	if (cfg->auth_none) {
		const char *u = gw_api_require_string(s, msg, tid, "user");

		if (!u)
			goto refused;
		if (!valid_user(u)) {
			gw_ws_session_error(s, tid, NULL, GW_ERR_BAD_REQUEST,
					    "user must be 1-64 characters of letters, digits and ._-+@");
			goto refused;
		}
		claims.user = g_strdup(u);
	} else {
		const char *token = json_string_value(json_object_get(msg, "token"));

		if (!token || gw_auth_jwt_verify(token, cfg->jwt_secret, g_get_real_time() / G_USEC_PER_SEC,
						 &claims, &why) ||
		    !valid_user(claims.user)) {
			if (!why)
				why = g_strdup("token sub is not a valid user name");
			gw_info(s->log, "hello refused: %s", token ? why : "no token");
			gw_ws_session_error(s, tid, NULL, GW_ERR_UNAUTHORIZED, "%s",
					    token ? why : "missing field 'token'");
			goto refused;
		}
	}
	if (resume_session(s, msg, tid, &claims))
		goto out;
	if (s->resume_only && !promote(s)) {
		gw_info(s->log, "hello: signal.max_sessions (%u) reached and nothing to resume for %s: "
			"refusing", cfg->max_sessions, claims.user);
		gw_ws_session_error(s, tid, NULL, GW_ERR_LIMIT, "too many sessions (limit %u)",
				    cfg->max_sessions);
		goto refused;
	}
	gw_ws_session_set_user(s, claims.user);
	gw_ws_session_grant(s, &claims);
	gw_info(s->log, "hello: user %s", s->user);
	gw_ws_session_send(s, welcome(s, tid, false));
	goto out;
refused:
	/* let in beyond signal.max_sessions to resume: one hello, no retries */
	if (s->resume_only)
		gw_ws_session_close(s, "too many sessions");
out:
	g_free(why);
	gw_auth_claims_clear(&claims);
}

static void on_ping(struct gw_ws_session *s, json_t *msg, json_t *tid)
{
	json_t *reply = json_pack("{s:s}", "type", "pong");

	if (tid)
		json_object_set(reply, "tid", tid);
	gw_ws_session_send(s, reply);
}

void gw_api_dispatch(struct gw_ws_session *s, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *msg = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *tid, *type;
	const char *t;
	struct api_entry *e;

	handlers_init();
	if (!msg) {
		gw_ws_session_error(s, NULL, NULL, GW_ERR_BAD_REQUEST, "not JSON: %s (at byte %d)",
				    jerr.text, jerr.position);
		return;
	}
	if (!json_is_object(msg)) {
		gw_ws_session_error(s, NULL, NULL, GW_ERR_BAD_REQUEST, "message must be a JSON object");
		goto out;
	}
	tid = json_object_get(msg, "tid");
	if (tid && !json_is_string(tid) && !json_is_integer(tid)) {
		gw_ws_session_error(s, NULL, NULL, GW_ERR_BAD_REQUEST, "tid must be a string or integer");
		goto out;
	}
	type = json_object_get(msg, "type");
	if (!json_is_string(type)) {
		gw_ws_session_error(s, tid, NULL, GW_ERR_BAD_REQUEST,
				    type ? "field 'type' must be a string" : "missing field 'type'");
		goto out;
	}
	t = json_string_value(type);
	e = g_hash_table_lookup(handlers, t);
	if (!e) {
		const char *call = json_string_value(json_object_get(msg, "call"));

		if (g_strv_contains((const char *const *)known_types, t))
			gw_ws_session_error(s, tid, call, GW_ERR_BAD_REQUEST,
					    "'%s' is not supported by this gateway yet", t);
		else
			gw_ws_session_error(s, tid, call, GW_ERR_BAD_REQUEST, "unknown type '%.64s'", t);
		goto out;
	}
	if (e->needs_hello && !s->user) {
		gw_ws_session_error(s, tid, NULL, GW_ERR_UNAUTHORIZED, "send hello first");
		goto out;
	}
	gw_obj_ref(s); /* a handler may close the session */
	e->h(s, msg, tid);
	gw_obj_deref(s);
out:
	json_decref(msg);
}

void gw_api_session_added(struct gw_ws_session *s)
{
	handlers_init();
	if (!g_hash_table_lookup(handlers, "hello")) {
		add_handler("hello", on_hello, false);
		add_handler("ping", on_ping, false);
	}
	g_ptr_array_add(sessions, s);
}

void gw_api_session_removed(struct gw_ws_session *s)
{
	if (!g_ptr_array_remove_fast(sessions, s))
		return;
	if (close_hook.h)
		close_hook.h(s, close_hook.arg);
}

unsigned gw_signal_session_count(void)
{
	return sessions ? sessions->len : 0;
}

GPtrArray *gw_signal_sessions_of(const char *user)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(gw_obj_release);

	for (guint i = 0; sessions && i < sessions->len; i++) {
		struct gw_ws_session *s = sessions->pdata[i];

		/* NULL user: every session (shutdown) */
		if ((!user || (s->user && !strcmp(s->user, user))) && gw_ws_session_open(s))
			g_ptr_array_add(out, gw_obj_ref(s));
	}
	return out;
}
