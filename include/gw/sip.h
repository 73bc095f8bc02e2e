/* gw/sip.h — the SIP side of the gateway: one Sofia-SIP `nua` user agent on
 * the control loop (DESIGN section 7).  Only src/sip/ includes Sofia; this
 * header exposes none of its types.
 *
 * The UA listens on sip.listen (UDP + TCP) and sip.tls_listen (TLS, when
 * sip.tls_cert is set), registers with trunks that ask for it, keeps trunks
 * alive with OPTIONS, places INVITEs for the call layer and hands it the
 * INVITEs it accepts.  SDP bodies pass through as text: the call layer builds
 * and reads them (gw/sdp.h); nua's own media engine (soa) is disabled.
 *
 * Threads: everything here runs on the control loop, every callback too.
 * A struct gw_sip_dialog is a gw_obj: the SIP layer holds one reference
 * until the dialog has ended; the call layer holds its own.
 */
#ifndef GW_SIP_H
#define GW_SIP_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

struct gw_config;
struct gw_trunk_config;
struct gw_sip;
struct gw_sip_dialog;

/* ---- dialog events (control loop) ---- */

enum gw_sip_event_type {
	/* Our INVITE: a provisional response (100 is not reported; 180, 181,
	 * 182, 183); @sdp is its body (early media) or NULL. */
	GW_SIP_EV_PROGRESS,
	/* Our INVITE was answered (2xx); @sdp is the answer (never NULL: an
	 * answer without SDP ends the dialog with 488 instead).  The SIP layer
	 * has sent the ACK. */
	GW_SIP_EV_ANSWERED,
	/* Our 2xx to the far end's INVITE, held for the PRACK of our reliable
	 * 18x (gw_sip_dialog_answer_held), has gone out: the call is answered. */
	GW_SIP_EV_ANSWER_SENT,
	/* Terminal, sent once: final failure response to our INVITE (@code,
	 * @reason), BYE or CANCEL from the far end (@code 200 / 487), transaction
	 * timeout (408), ring timeout on an inbound call (480), session timer
	 * expiry (408), transport error (503).  @reason also carries a Reason
	 * header's text when the far end sent one.  No event follows. */
	GW_SIP_EV_ENDED,
	/* Mid-dialog offer from the far end (re-INVITE or UPDATE with SDP): the
	 * handler must set ev->answer_code (200, or 488 when it cannot accept)
	 * and, for 200, ev->answer_sdp (g_malloc'd; the SIP layer frees it). */
	GW_SIP_EV_REOFFER,
	/* Our re-INVITE (gw_sip_dialog_reinvite) completed: @code is its final
	 * status, @sdp the answer on 2xx (else NULL). */
	GW_SIP_EV_REINVITE_DONE,
	/* Inbound call answered with an offer in the 200 (delayed offer): the
	 * ACK carried the far end's answer in @sdp (NULL when it had none). */
	GW_SIP_EV_ACK,
	/* Inbound delayed offer whose INVITE required 100rel: our offer went in
	 * the reliable 18x (gw_sip_dialog_early_offer), and the far end's
	 * PRACK carried its answer in @sdp (NULL when it had none: the handler
	 * should end the dialog, 488).  Reported before a held 2xx goes out. */
	GW_SIP_EV_EARLY_ANSWER,
	/* SIP INFO with application/dtmf-relay or application/dtmf: @digit
	 * (0-9 * # A-D) and @duration_ms (0 when not stated).  Answered 200. */
	GW_SIP_EV_DTMF,
	/* Progress of our REFER (gw_sip_dialog_refer): @code is the 202/4xx
	 * answer to the REFER, then the status line of each NOTIFY sipfrag
	 * (100, 180, 200 ...); @final when the subscription ended. */
	GW_SIP_EV_REFER_STATUS,
	/* The far end asked us to transfer (REFER, only with sip.accept_refer):
	 * @refer_to is the target URI.  Already answered 202. */
	GW_SIP_EV_REFER_REQUEST,
};

struct gw_sip_event {
	enum gw_sip_event_type type;
	int code;                 /* SIP status (PROGRESS, ANSWERED, ENDED, ...) */
	const char *reason;       /* phrase or Reason header text; never NULL */
	const char *sdp;          /* body when application/sdp, else NULL */
	char digit;               /* DTMF */
	unsigned duration_ms;     /* DTMF */
	bool final;               /* REFER_STATUS */
	const char *refer_to;     /* REFER_REQUEST */
	/* REOFFER: filled by the handler */
	int answer_code;
	char *answer_sdp;
};

/* A dialog event.  @d is valid for the call (the handler may drop its own
 * reference inside).  Any gw_sip_dialog_* call is allowed from inside. */
typedef void (gw_sip_event_h)(struct gw_sip_dialog *d, struct gw_sip_event *ev, void *arg);

/* ---- inbound INVITEs ---- */

/* One header as name/value (both NUL-terminated). */
struct gw_sip_header {
	const char *name, *value;
};

struct gw_sip_incoming {
	const char *call_id;
	const char *ruri_user;        /* user part of the Request-URI ("" when none) */
	const char *to_user;          /* user part of To */
	const char *from_user;        /* the caller ("" when none): the user part of From, or
				       * of P-Asserted-Identity when @asserted */
	const char *from_display;     /* its display name ("" when none) */
	const char *from_uri;         /* "sip:user@host" of From */
	bool asserted;                /* the caller is the trunk's P-Asserted-Identity
				       * (trunk.trust_pai, RFC 3325) */
	bool withheld;                /* the caller withheld its identity (From anonymous,
				       * no asserted identity to show): @from_user is
				       * "anonymous" */
	const char *source;           /* "IP:port" the INVITE came from */
	const struct gw_trunk_config *trunk; /* whose allowed_networks matched */
	const char *sdp;              /* the offer, or NULL (delayed offer) */
	const struct gw_sip_header *headers; /* X- headers, @n_headers of them */
	unsigned n_headers;
};

/* An INVITE the SIP layer accepted (source allowed, under sip.max_calls).
 * Its 100 Trying is already sent.  The handler either answers it now with
 * gw_sip_dialog_respond (e.g. 480, 488) or keeps a reference on @d, binds
 * its event handler with gw_sip_dialog_bind, and responds later (180, then
 * 200 or a failure).  Without a final response within sip.ring_timeout
 * seconds the SIP layer answers 480 itself and reports GW_SIP_EV_ENDED. */
typedef void (gw_sip_incoming_h)(struct gw_sip_dialog *d, const struct gw_sip_incoming *in,
				 void *arg);

/* ---- the UA ---- */

/* Start the UA on the control loop: bind the transports, start trunk
 * registration and OPTIONS keepalives.  @incoming gets accepted INVITEs.
 * 0 or errno (logged with the reason, e.g. the address in use). */
int gw_sip_start(const struct gw_config *cfg, gw_sip_incoming_h *incoming, void *arg,
		 struct gw_sip **out);

/* Begin an orderly stop: end every dialog (BYE/CANCEL/480), unregister.
 * Returns at once; gw_sip_idle() tells when nua has finished (or after a
 * bounded time). */
void gw_sip_shutdown(struct gw_sip *sip);
bool gw_sip_idle(const struct gw_sip *sip);

/* Free the UA (after shutdown and idle, or at any time during start-up).
 * Not from inside one of its own callbacks: it frees the context they
 * run in. */
void gw_sip_free(struct gw_sip *sip);

/* Dialogs in progress (both directions); sip.max_calls bounds it. */
unsigned gw_sip_dialog_count(const struct gw_sip *sip);

/* { "trunks": { NAME: { "state": "up"|"down"|"unknown",
 *   "registered": bool (only when register = true), "reason": "..." } } }
 * for /healthz.  New reference. */
json_t *gw_sip_health(const struct gw_sip *sip);

/* The local address SIP-side media should use: sip.rtp_address, else the
 * host of sip.listen.  And the address to advertise in SDP: sip.public_ip
 * when set, else the same. */
const char *gw_sip_rtp_address(const struct gw_sip *sip);
const char *gw_sip_sdp_address(const struct gw_sip *sip);

/* ---- outbound ---- */

/* The trunk @to routes to ([route] longest prefix, else route.default; the
 * first one it names that is not down, else its first), or NULL when none.  @to is a number or a SIP URI (a SIP URI needs no trunk
 * when it names a host: then NULL is returned with *@direct = true). */
const struct gw_trunk_config *gw_sip_route(const struct gw_sip *sip, const char *to,
					   bool *direct);
/* The trunk after @after in @to's route (a value naming several: the
 * failovers; the first not down, else the next), or NULL when none is left. */
const struct gw_trunk_config *gw_sip_route_next(const struct gw_sip *sip, const char *to,
						const struct gw_trunk_config *after);

/* @to normalised for @trunk: visual separators (space - . ( )) removed,
 * then the trunk's plus rule and prefix applied.  g_free. */
char *gw_sip_normalise_number(const struct gw_trunk_config *trunk, const char *to);

struct gw_sip_invite_params {
	const struct gw_trunk_config *trunk; /* NULL only for a direct SIP URI */
	const char *to;               /* number (normalised here) or SIP URI */
	const char *from_user;        /* the browser user (From user unless trunk.from_user,
				       * @caller_id, or its [dids] number with
				       * trunk.caller_id = did) */
	const char *caller_id;        /* From user the user's token gives (JWT caller_id;
				       * only trunk.from_user comes first), or NULL */
	const char *from_display;     /* may be NULL */
	bool privacy;                 /* withhold the caller: From anonymous, Privacy: id
				       * (the identity only in P-Asserted-Identity, with
				       * trunk.send_pai) */
	const char *sdp;              /* our offer (RTP/AVP) */
	const struct gw_sip_header *headers; /* extra headers (X-...), may be NULL */
	unsigned n_headers;
	const char *log_ctx;          /* log prefix, copied */
};

/* Send an INVITE.  0 and *@out (a reference for the caller), EAGAIN over
 * sip.max_calls, EINVAL for a destination that is not a valid number or
 * URI or a header name that is not a token, or EIO (logged).  Events go to
 * @h with @arg (which must outlive the dialog or be released in ENDED). */
int gw_sip_invite(struct gw_sip *sip, const struct gw_sip_invite_params *p,
		  gw_sip_event_h *h, void *arg, struct gw_sip_dialog **out);

/* ---- dialogs ---- */

/* Inbound: attach the event handler (before the first response). */
void gw_sip_dialog_bind(struct gw_sip_dialog *d, gw_sip_event_h *h, void *arg,
			const char *log_ctx);

/* Inbound INVITE: send a response.  1xx (180, 183; @sdp: our offer when
 * gw_sip_dialog_early_offer() says it belongs there, an early answer to the
 * INVITE's offer, or NULL), 2xx (@sdp:
 * our answer, or our offer for a delayed-offer INVITE; NULL, and required
 * NULL, when the offer went in a reliable 18x: RFC 3261 13.2.1 forbids a
 * second one), or a final failure (3xx-6xx; @reason NULL = the standard
 * phrase; a Retry-After is added to 503).  0, EALREADY when a final
 * response was sent already, EINVAL for a bad code or a misplaced @sdp. */
int gw_sip_dialog_respond(struct gw_sip_dialog *d, int code, const char *reason,
			  const char *sdp);

/* The 2xx gw_sip_dialog_respond() took is held until the far end PRACKs
 * our reliable 18x (its INVITE required 100rel): GW_SIP_EV_ANSWER_SENT
 * says when it goes out. */
bool gw_sip_dialog_answer_held(const struct gw_sip_dialog *d);

/* The INVITE has no offer and requires 100rel, and no 18x went out yet: the
 * next 18x is sent reliably and must carry our offer (RFC 3262 section 5);
 * the answer comes as GW_SIP_EV_EARLY_ANSWER. */
bool gw_sip_dialog_early_offer(const struct gw_sip_dialog *d);

/* End the dialog from our side: CANCEL while our INVITE has no final
 * response, BYE once established (with a Reason header carrying @code and
 * @reason when @code != 200), or the final response @code to an inbound
 * INVITE not yet answered (486/480/603 ...).  No event follows (not even
 * ENDED).  Safe to call more than once. */
void gw_sip_dialog_end(struct gw_sip_dialog *d, int code, const char *reason);

/* Established dialog: send a re-INVITE with @sdp (hold/unhold).  The result
 * comes as GW_SIP_EV_REINVITE_DONE.  0, EBUSY while another is pending, or
 * ENOTCONN. */
int gw_sip_dialog_reinvite(struct gw_sip_dialog *d, const char *sdp);

/* Send one DTMF digit as SIP INFO application/dtmf-relay.  0, EINVAL (not a
 * digit) or ENOTCONN. */
int gw_sip_dialog_info_dtmf(struct gw_sip_dialog *d, char digit, unsigned duration_ms);

/* Blind transfer: REFER to @target (number: made a URI on the dialog's
 * trunk; or SIP URI).  Progress as GW_SIP_EV_REFER_STATUS.  0, EINVAL,
 * EBUSY (a REFER is pending) or ENOTCONN. */
int gw_sip_dialog_refer(struct gw_sip_dialog *d, const char *target);

/* Report the final outcome of the far end's REFER (GW_SIP_EV_REFER_REQUEST)
 * without ending the dialog: NOTIFY with sipfrag "SIP/2.0 @code @phrase" and
 * Subscription-State: terminated.  0, EALREADY (already reported), ENOENT
 * (no REFER pending) or ENOTCONN; EINVAL for @code outside 200-699.  @phrase
 * NULL (or not one short line) = the standard phrase.  The far end may then
 * REFER again; a later gw_sip_dialog_end sends no second NOTIFY. */
int gw_sip_dialog_refer_notify(struct gw_sip_dialog *d, int code, const char *phrase);

const char *gw_sip_dialog_call_id(const struct gw_sip_dialog *d);
/* The IP address (no port) the far end's INVITE, or the latest answer to
 * ours (18x, 2xx), came from: the next hop (a proxy or SBC when there is
 * one); "" when unknown.  Media from there may be trusted when the SDP's
 * address is a private one (gw/rtp_socket.h). */
const char *gw_sip_dialog_peer_ip(const struct gw_sip_dialog *d);
const struct gw_trunk_config *gw_sip_dialog_trunk(const struct gw_sip_dialog *d);
bool gw_sip_dialog_established(const struct gw_sip_dialog *d);

#endif
