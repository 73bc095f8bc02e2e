/* sip_priv.h — private structures of the SIP layer (src/sip only).
 *
 * Only src/sip includes Sofia-SIP.  Everything here lives on the control
 * loop (the default GMainContext), where su_glib runs the nua stack.
 *
 * Ownership:
 *   struct gw_sip        owns the nua instance, the su_root, the trunk
 *                        states and one reference on every dialog whose
 *                        nua handle is alive (sip->dialogs).
 *   struct gw_sip_dialog a gw_obj; nua handle magic.  The SIP layer's
 *                        reference is dropped when nua reports the call
 *                        terminated and the handle is destroyed.
 *   struct gw_sip_trunk  plain struct owned by struct gw_sip; its REGISTER
 *                        and OPTIONS handles point at it (magic) and are
 *                        destroyed before it is freed.
 */
#ifndef GW_SIP_PRIV_H
#define GW_SIP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include <gio/gio.h>

struct gw_sip;
struct gw_sip_hmagic;
struct auth_mod_t;

#define SU_ROOT_MAGIC_T struct gw_sip
#define NUA_MAGIC_T     struct gw_sip
#define NUA_HMAGIC_T    struct gw_sip_hmagic

#include <sofia-sip/su.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#include "gw/sip.h"
#include "gw/config.h"
#include "gw/loop.h"

/* nta marks the responses it makes up itself (timeout, transport error)
 * with this flag in sip_flags (NTA_INTERNAL_MSG, nta_internal.h). */
#define GW_SIP_NTA_INTERNAL_MSG (1 << 15)

/* The magic of every nua handle starts with this, so the event callback
 * can tell what the handle belongs to. */
enum gw_sip_hkind {
	GW_SIP_H_DIALOG = 1,
	GW_SIP_H_REGISTER,
	GW_SIP_H_OPTIONS,
};

struct gw_sip_hmagic {
	enum gw_sip_hkind kind;
};

#define GW_SIP_CONTAINER(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

enum gw_sip_trunk_state {
	GW_SIP_TRUNK_UNKNOWN = 0,
	GW_SIP_TRUNK_UP,
	GW_SIP_TRUNK_DOWN,
};

/* Run-time state of one [trunk.NAME] (control loop, owned by gw_sip). */
struct gw_sip_trunk {
	struct gw_sip *sip;
	const struct gw_trunk_config *cfg;
	char *log;                 /* "trunk NAME" */
	GPtrArray *networks;       /* GInetAddressMask *: allowed sources */
	char *host;                /* proxy host ("[v6]" bracketed) */
	char *hostport;            /* proxy host[:port] */
	char *uri_params;          /* ";transport=tcp" or "" */
	char *route;               /* "<sip:outbound;lr>" or NULL */

	/* registration (cfg->registration) */
	struct gw_sip_hmagic reg_magic;
	nua_handle_t *reg_nh;
	GPtrArray *reg_realms;     /* realms answered on the current attempt */
	bool registered;
	bool unregistering;
	unsigned reg_backoff;      /* s to wait after the next failure */
	unsigned reg_wait;         /* s the pending retry waits (the backoff
				    * or a longer Retry-After) */
	guint reg_timer;

	/* OPTIONS keepalive (cfg->options_interval) */
	struct gw_sip_hmagic opt_magic;
	nua_handle_t *opt_nh;
	guint opt_timer;

	enum gw_sip_trunk_state state;
	char *reason;              /* last state change reason */
	gint64 out_until;          /* down for a 503's Retry-After: until this
				    * (monotonic µs), and only so long; 0 other */
};

struct gw_sip {
	const struct gw_config *cfg;
	gw_sip_incoming_h *incoming;
	void *incoming_arg;

	su_root_t *root;
	GSource *source;
	struct gw_loop_ctx *driven; /* Sofia's GSource's context; NULL: default */
	struct gw_loop *loop;      /* ref: the control loop, which @driven needs
				    * (outlives gw_loops_stop) */
	nua_t *nua;

	GPtrArray *trunks;         /* struct gw_sip_trunk * */
	GList *dialogs;            /* struct gw_sip_dialog * with a live handle */
	unsigned n_calls;          /* dialogs counted against sip.max_calls */

	/* digest auth of INVITEs from outside the allowed networks
	 * (inauth.c); NULL when no trunk has inbound credentials */
	struct auth_mod_t *inauth;
	char *inauth_realm;

	char *listen_host;
	char *rtp_addr;
	char *sdp_addr;
	char *from_host;           /* host of From for direct calls */
	char *tls_dir;

	bool log_started;
	bool shutting_down;
	bool shutdown_done;        /* nua_r_shutdown with a final status */
	gint64 shutdown_started;   /* monotonic, µs */
};

enum gw_sip_dialog_state {
	GW_SIP_DLG_CALLING = 0,    /* INVITE sent / received, no final answer */
	GW_SIP_DLG_ESTABLISHED,    /* 2xx sent / received */
	GW_SIP_DLG_TERMINATED,     /* handle destroyed */
};

/* One INVITE dialog, in or out (gw_obj, control loop). */
struct gw_sip_dialog {
	struct gw_sip_hmagic magic;
	struct gw_sip *sip;        /* NULL once the UA is freed */
	nua_handle_t *nh;          /* NULL once destroyed */
	enum gw_sip_dialog_state state;
	bool inbound;
	bool counted;              /* holds a place in sip->n_calls */
	bool final_sent;           /* inbound: final response sent */
	bool ended;                /* ENDED reported or end() called: no more events */
	bool bye_sent;
	bool reinvite_pending;
	bool refer_pending;
	bool ack_sdp_expected;     /* our 2xx carried the offer */
	bool delayed_offer;        /* inbound INVITE without SDP */
	bool rel100;               /* inbound INVITE requires 100rel: our 18x are
				    * sent reliably (nua, RFC 3262) */
	bool prack_wait;           /* such an 18x is not PRACKed yet */
	bool early_offer;          /* delayed offer: ours went in that 18x, the
				    * PRACK answers it (RFC 3262 section 5) */
	bool early_answered;       /* ... and that PRACK came */
	bool sent_18x;             /* an 18x went out */

	gw_sip_event_h *h;
	void *arg;
	char *log;
	char *call_id;
	const struct gw_trunk_config *trunk;
	char *local_sdp;           /* last SDP we sent (offer or answer) */
	char *pending_sdp;         /* our re-INVITE offer until it is answered */
	char *early_sdp;           /* the far end's SDP in an 18x to our INVITE */
	char *early_tag;           /* ... and that 18x's To tag (its fork) */
	/* inbound: our 2xx, waiting for prack_wait to clear; held_code 0:
	 * none (strings owned; held_sdp NULL after an early offer) */
	char *held_sdp;
	char *held_reason;
	int held_code;
	char *refer_event;         /* Event of an accepted REFER's subscription,
				    * NULL once its final NOTIFY went out */
	bool refer_reported;       /* that final NOTIFY went out (until the next REFER) */
	guint timer;               /* inbound: sip.ring_timeout; outbound: the trunk's
				    * invite_timeout until any response (a reference) */
	GPtrArray *realms;         /* realms answered for the pending request */
	char peer_ip[48];          /* gw_sip_dialog_peer_ip() */
};

/* ---- ua.c ---- */
/* Our Supported header: timer with sip.session_expires, 100rel with
 * sip.100rel and @rel100 (the trunk's 100rel). */
const char *gw_sip_supported(const struct gw_config *cfg, bool rel100);
struct gw_sip_trunk *gw_sip_trunk_by_cfg(const struct gw_sip *sip,
					 const struct gw_trunk_config *cfg);
/* The user of our Contact in a dialog with @trunk: the username it
 * registers (nua picks a registration by From or To, which name the caller
 * and the number, so with several trunks registered another trunk's);
 * NULL: nua's choice (no trunk, no registration, or a username a URI
 * would need escaped). */
const char *gw_sip_contact_user(const struct gw_trunk_config *trunk);
/* ---- route.c ---- */
/* NULL-safe string of the config ("" when NULL). */
const char *gw_sip_str(const char *s);
/* @to names a host ("sip:bob@example.com", "bob@host"): no trunk needed. */
bool gw_sip_is_direct(const char *to);

/* ---- tls.c ---- */
int gw_sip_tls_prepare(const struct gw_config *cfg, char **dir);

/* ---- log.c: Sofia logging into gw_log, sip.trace ---- */
void gw_sip_log_start(bool trace);
void gw_sip_log_stop(void);

/* ---- util.c: header helpers (lengths, never NUL-terminated bodies) ---- */
char *gw_sip_body_sdp(const sip_t *sip);          /* g_free; NULL if none */
char *gw_sip_reason_text(const sip_t *sip);       /* g_free; NULL if none */
char *gw_sip_source(nua_t *nua, GInetAddress **addr); /* "IP:port"; g_free */
/* The IP address of the same into @out ("" unknown); also for a response
 * being processed (Sofia's nua_current_request() then holds it). */
void gw_sip_source_ip(nua_t *nua, char *out, size_t size);
/* @addr as text into @out ("" for NULL). */
void gw_sip_ip_string(GInetAddress *addr, char *out, size_t size);
char *gw_sip_url_user(const url_t *url);          /* g_free; "" when none */
char *gw_sip_unquote(const char *s);              /* g_free */

/* The caller of an INVITE from @trunk (identity.c). */
struct gw_sip_caller {
	char *user;                /* owned: the user part, or a tel number */
	char *display;             /* owned: its display name, "" when none */
	bool asserted;             /* from P-Asserted-Identity */
	bool withheld;             /* "anonymous" */
};
void gw_sip_caller(const struct gw_trunk_config *trunk, const sip_t *msg,
		   struct gw_sip_caller *out);
void gw_sip_caller_clear(struct gw_sip_caller *c);
char *gw_sip_challenge_realm(const sip_t *sip, int status); /* g_free */
bool gw_sip_token_ok(const char *s);
bool gw_sip_value_ok(const char *s);
char *gw_sip_reason_header(int code, const char *text); /* g_free */
bool gw_sip_status_local(const sip_t *sip);

/* Answer a 401/407 with @user/@password, once per realm (@realms holds the
 * ones tried).  true when nua_authenticate was called. */
bool gw_sip_auth_answer(nua_handle_t *nh, GPtrArray *realms, const sip_t *sip, int status,
			const char *user, const char *password, const char *log);

/* ---- dialog.c ---- */
struct gw_sip_dialog *gw_sip_dialog_new(struct gw_sip *sip, bool inbound, const char *log);
void gw_sip_dialog_event(struct gw_sip_dialog *d, nua_event_t event, int status,
			 const char *phrase, const sip_t *sip, tagi_t tags[]);
/* Deliver @ev to the handler (unless ended). */
void gw_sip_dialog_emit(struct gw_sip_dialog *d, struct gw_sip_event *ev);
/* @phrase for nua_respond() on @d's handle: nua keeps the pointer until it
 * builds the response, later (and nta may hold that), so a copy that lives
 * with the handle. */
const char *gw_sip_dialog_phrase(struct gw_sip_dialog *d, const char *phrase);
/* Report ENDED once, then stay silent. */
void gw_sip_dialog_emit_ended(struct gw_sip_dialog *d, int code, const char *reason);
/* The handle is gone (terminated or UA freed): drop the SIP layer's ref. */
void gw_sip_dialog_detach(struct gw_sip_dialog *d);
void gw_sip_dialog_uncount(struct gw_sip_dialog *d);
/* Stop the dialog's timer (ring timeout, or INVITE timeout). */
void gw_sip_dialog_stop_timer(struct gw_sip_dialog *d);

/* ---- inbound.c ---- */
void gw_sip_inbound_invite(struct gw_sip *sip, nua_handle_t *nh, const sip_t *sip_msg);
/* nua_i_prack on an inbound dialog: report the answer to an early offer,
 * then send the 2xx held for it. */
void gw_sip_inbound_prack(struct gw_sip_dialog *d, const sip_t *sip);

/* ---- inauth.c: digest auth of INVITEs from outside allowed networks ---- */
int gw_sip_inauth_start(struct gw_sip *sip);
void gw_sip_inauth_free(struct gw_sip *sip);
/* Authenticate @msg (an INVITE from @source, in no trunk's networks).
 * Returns the trunk whose inbound credentials it carries, or NULL when it
 * was answered here: 403 (no trunk takes credentials, or they are wrong)
 * or 407 with a fresh challenge. */
struct gw_sip_trunk *gw_sip_inauth_check(struct gw_sip *sip, nua_handle_t *nh,
					 const sip_t *msg, const char *source);

/* ---- session.c: mid-dialog requests ---- */
void gw_sip_session_reinvite_in(struct gw_sip_dialog *d, const sip_t *sip);
void gw_sip_session_update_in(struct gw_sip_dialog *d, const sip_t *sip);
void gw_sip_session_info_in(struct gw_sip_dialog *d, const sip_t *sip);
void gw_sip_session_refer_in(struct gw_sip_dialog *d, const sip_t *sip, tagi_t tags[]);
void gw_sip_session_refer_notify(struct gw_sip_dialog *d, int code, const char *phrase,
				 bool final);
void gw_sip_session_notify_in(struct gw_sip_dialog *d, const sip_t *sip, tagi_t tags[]);
void gw_sip_session_refer_response(struct gw_sip_dialog *d, int status, const char *phrase);
/* @to as a SIP URI: a URI naming a host as given, or a number made a URI
 * on @trunk.  g_free; NULL (EINVAL) when neither. */
char *gw_sip_target_uri(struct gw_sip *sip, const struct gw_trunk_config *trunk, const char *to);

/* ---- trunk.c ---- */
/* Nothing came back from the trunk (@reason): it counts as down until it
 * answers anything again. */
void gw_sip_trunk_unresponsive(struct gw_sip_trunk *t, const char *reason);
int gw_sip_trunks_start(struct gw_sip *sip);
void gw_sip_trunks_shutdown(struct gw_sip *sip);
void gw_sip_trunks_free(struct gw_sip *sip);
void gw_sip_trunk_event(struct gw_sip_trunk *t, bool reg, nua_event_t event, int status,
			const char *phrase, const sip_t *sip);
/* A call through @t got a response: the trunk answers (for health).  A
 * 503 from it with Retry-After (RFC 3261 21.5.4) takes it
 * out of service for that long (at most GW_SIP_RETRY_AFTER_MAX s): routes
 * pass over it until then, whatever it answers meanwhile. */
#define GW_SIP_RETRY_AFTER_MAX 600u
void gw_sip_trunk_seen(struct gw_sip_trunk *t, int status, const char *phrase, const sip_t *sip);
/* nua holding a final answer with Retry-After to send the request again
 * by itself (Sofia-SIP 1.12: a 5xx under 32 s; 1.13 without
 * NUTAG_RETRY_AFTER_ENABLE(0): more): it reports 100 "Retry After N"
 * with the answer as @sip.  Not its other 100s with a final answer (a
 * request it already sent again: 401/407 "Request Authorized by Cache",
 * 422, 423).  Destroying the handle drops nua's retry. */
bool gw_sip_held_answer(int status, const char *phrase, const sip_t *sip);
/* @t answered 503 @phrase with Retry-After: @secs: out of service so long. */
void gw_sip_trunk_out_of_service(struct gw_sip_trunk *t, unsigned long secs, const char *phrase);
/* Whether routes pass over @t (another trunk of the route is not down). */
bool gw_sip_trunk_is_down(const struct gw_sip_trunk *t);
struct gw_sip_trunk *gw_sip_trunk_for_source(struct gw_sip *sip, GInetAddress *addr);

#endif
