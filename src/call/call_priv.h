/* call_priv.h — the call object (the B2BUA joining one browser WebRTC leg to
 * its far end: the built-in echo or a SIP dialog), shared by src/call.
 *
 * Files: call.c (registry, browser API common to all calls), outbound.c
 * (browser -> SIP), inbound.c (SIP -> browser, forking to every session of
 * the user), sipleg.c (SIP dialog events and mid-call requests of a call),
 * bridge.c (the media loop half: media engine, SIP RTP socket, 20 ms tick),
 * echo.c (the echo destination), transfer.c (transfers the far end asks
 * for with REFER).
 */
#ifndef GW_CALL_PRIV_H
#define GW_CALL_PRIV_H

#include <stdbool.h>
#include <glib.h>
#include <jansson.h>
#include "gw/latency.h"
#include "gw/media.h"
#include "gw/rtp.h"
#include "gw/sdp.h"
#include "gw/webrtc.h"

struct gw_ws_session;
struct gw_sip;
struct gw_sip_dialog;
struct gw_trunk_config;
struct gw_config;
struct gw_rtp_socket;
struct gw_call_inbound;
struct gw_sip_event;
struct gw_call_transfer;

enum gw_call_state {
	GW_CALL_ANSWERING,   /* gathering; answer (or incoming offer) not sent yet */
	GW_CALL_ACTIVE,      /* answer / incoming sent */
	GW_CALL_ENDED,
};

enum gw_call_kind {
	GW_CALL_ECHO,
	GW_CALL_OUTBOUND,    /* the browser called out through SIP */
	GW_CALL_INBOUND,     /* a SIP INVITE rang this browser session */
};

enum gw_call_sip_state {
	GW_CALL_SIP_NONE,
	GW_CALL_SIP_TRYING,
	GW_CALL_SIP_RINGING,
	GW_CALL_SIP_EARLY,       /* early media flowing */
	GW_CALL_SIP_CONNECTED,
};

/* What the media loop needs to know about the SIP side; copied into a
 * posted op (strings inline so the op owns everything). */
struct gw_call_sip_media {
	enum gw_media_codec codec;
	uint8_t pt;
	int te_pt;
	int cn_pt;
	unsigned ptime;
	char addr[64];
	uint16_t port;
	bool symmetric;
	char peer_ip[48];    /* where the far end's SIP comes from; "" unknown */
	bool hold;           /* far end holds us (or we hold it): forward nothing */
	bool far_sends;      /* its direction lets it send (sendrecv, sendonly) */
};

/* One call of one browser session.  Refcounted: the registry holds one
 * reference while the call is in it; each op posted between loops holds
 * one; the WebRTC leg holds one until it closed.  Fields up to "media
 * loop" belong to the control loop. */
struct gw_call {
	char *key;                     /* "SESSION/CALL": registry key */
	char *id;                      /* the client's (or, inbound, our) call id */
	char log[96];                  /* "call c1 (alice)" */
	enum gw_call_kind kind;
	struct gw_ws_session *session; /* reference */
	struct gw_loop *loop;          /* pinned media loop, reference */
	struct gw_webrtc_leg *leg;     /* reference */
	enum gw_call_state state;
	gint64 t_created;              /* monotonic µs */

	/* outbound: what the browser called, kept for a failover's INVITE */
	char *to;                      /* owned */
	json_t *x_headers;             /* its X- headers (reference), or NULL */

	/* outbound and echo: the browser's offer and what it said */
	struct gw_sdp *offer;
	struct gw_sdp_answer_result res;

	/* browser leg media (both directions of call) */
	int browser_opus_pt, browser_te_pt;
	int browser_te8_pt;   /* telephone-event/8000 beside Opus (see gw_media_config) */

	/* SIP side (outbound, and inbound once answered) */
	struct gw_sip_dialog *dialog;  /* reference; NULL for echo */
	const struct gw_trunk_config *trunk; /* the config's; may be NULL */
	struct gw_rtp_socket *rtp;     /* reference (SIP-side RTP/RTCP ports) */
	struct gw_sdp_sip_params sip_local; /* our SIP-side SDP (strings below) */
	char **sip_codecs;             /* owned, NULL-terminated: sip_local.codecs */
	char *sip_addr;                /* owned: sip_local.addr */
	struct gw_sdp_sip_media sip_remote; /* the far end's current SDP */
	bool sip_media_known;
	enum gw_call_sip_state sip_state;
	bool privacy;                  /* the browser withheld its number (`call`
					* privacy): the transfer's INVITE too */
	bool local_hold;               /* browser asked hold */
	bool remote_hold;              /* the far end holds */
	bool reinvite_pending;
	bool dtmf_info;                /* trunk sends DTMF as SIP INFO */
	struct gw_call_inbound *inbound; /* reference while ringing (inbound) */
	struct gw_call_transfer *transfer; /* transfer.c: the far end's REFER being
					    * carried out (it holds a call reference), or NULL */

	/* media loop */
	struct gw_rtp_sender echo_tx;  /* echo: our SSRC, sequence, timestamps */
	struct gw_media_session *media;
	struct gw_loop_tick *tick;
	bool media_stopped;
	/* media.rtp_timeout (bridge.c): is the far end still sending? */
	gint64 rtp_timeout_us;         /* 0: never */
	bool rtp_expected;             /* answered, the far end may send, no pause */
	bool rtp_timed_out;
	uint64_t rtp_seen_count;       /* the socket's source count at the last change */
	gint64 rtp_seen_us;            /* when it last changed (or the clock started over) */
	gint64 rtp_check_us;           /* next look */
	bool bridge_answered;          /* told the call is answered */
	bool bridge_quiet;             /* the last set_sip: hold, or a far end that does not send */
	bool bridge_paused;            /* a transfer is under way */
	char bridge_addr[64];          /* the last set_sip's address ... */
	uint16_t bridge_port;          /* ... and port (with bridge_quiet: a change
					* restarts the RTP clock, a refresh does not) */
	/* Time inside the gateway, per packet sent (bridge.c, "media latency"
	 * lines at the end): from what made the engine send (a packet's
	 * arrival, or when the frame the clock played fell due) to the send. */
	gint64 lat_origin_us;
	struct gw_lat_hist lat_to_sip, lat_to_browser;
};

/* An inbound INVITE ringing every session of one user (forking). */
struct gw_call_inbound {
	struct gw_sip_dialog *dialog;  /* reference */
	const struct gw_trunk_config *trunk; /* the config's: where the INVITE came from */
	bool bound;                    /* the dialog still reports to us (holds a reference) */
	bool starting;                 /* forks are being started: do not judge "no fork left" */
	char *user;
	char *from;                    /* caller as shown to the browser */
	char *from_name;               /* caller's display name, "" when none */
	bool asserted;                 /* from: the trunk's P-Asserted-Identity */
	bool withheld;                 /* from: "anonymous", the caller withheld it */
	char *to;                      /* dialled number */
	json_t *headers;               /* X- headers for `incoming`, or NULL */
	struct gw_sdp *sip_offer;      /* NULL: delayed offer */
	GPtrArray *forks;              /* struct gw_call * (borrowed: each holds us) */
	struct gw_call *answered;      /* the winner (borrowed), NULL while ringing */
	bool ringing_sent;
	struct gw_call_early *early;   /* owned: our offer in the reliable 180, or NULL */
	int reject_code;               /* last code a browser rejected with, 0: none */
	char log[96];
};

/* ---- call.c ---- */
/* Text from SIP as UTF-8 for JSON: kept when valid, else read as
 * ISO-8859-1 (what legacy gear sends).  g_free. */
char *gw_call_text(const char *sip_text);
const struct gw_config *gw_call_config(void);
struct gw_sip *gw_call_sip(void);
struct gw_cert *gw_call_cert(void);
/* A new call registered under @s/@id with its log context; the registry
 * holds the returned (borrowed) reference.  NULL if the id exists. */
struct gw_call *gw_call_register(struct gw_ws_session *s, const char *id, enum gw_call_kind kind);
/* Start the call's WebRTC leg (pins a media loop).  0 or errno. */
int gw_call_start_leg(struct gw_call *call, const struct gw_webrtc_params *wp);
/* Send @msg (stolen) to the call's browser with "call" set. */
void gw_call_send(struct gw_call *call, json_t *msg);
void gw_call_send_state(struct gw_call *call, const char *state);
/* End @call: stop its media and SIP dialog (BYE/CANCEL/@code), tell the
 * browser (hangup @code @reason) unless it asked, forget it. */
void gw_call_end(struct gw_call *call, int code, const char *reason, bool tell_browser);
/* Browser API: find the caller's call named by msg.call, or reply not_found. */
struct gw_call *gw_call_find(struct gw_ws_session *s, json_t *msg, json_t *tid);
/* Whether the session's token allows calling @to. */
bool gw_call_destination_allowed(struct gw_ws_session *s, const char *to);
/* Admission of a new call: true (and the error sent to @s) when the
 * registry holds media.max_calls calls, or gw_call_overloaded(). */
bool gw_call_over_limit(struct gw_ws_session *s, json_t *tid, const char *id);
/* Whether new calls are turned away for load: every media loop is at
 * least media.max_busy_pct busy by gw_loops_busy_over() (its last
 * second, with the calls pinned since; logged, naming @what, at most
 * every 10 s).  Control loop. */
bool gw_call_overloaded(const char *what);

/* ---- echo.c (media loop) ---- */
void gw_call_echo_init(struct gw_call *call);
void gw_call_echo_rtp(struct gw_call *call, struct gw_webrtc_leg *leg, const struct gw_rtp_hdr *h);

/* ---- outbound.c ---- */
/* `call` to a SIP destination: @call is registered, its offer parsed. */
void gw_call_outbound_start(struct gw_call *call, json_t *msg, json_t *tid, const char *to);
/* The route for @to exists (a trunk or a direct SIP URI). */
bool gw_call_outbound_routable(const char *to);
/* The call's INVITE ended @code: before any ringing, with 408 or 5xx (RFC
 * 3261 21.5.4: another server may take it), it goes to the next trunk
 * its route names.  True when that INVITE went out. */
bool gw_call_outbound_failover(struct gw_call *call, int code);

/* ---- inbound.c ---- */
void gw_call_inbound_init(void);
/* The leg of an inbound fork gathered: send `incoming`. */
void gw_call_inbound_gathered(struct gw_call *call);
/* A fork ended (any reason) while its INVITE rings. */
void gw_call_inbound_fork_ended(struct gw_call *call, int code);

/* ---- early.c: a delayed offer whose INVITE requires 100rel (control loop) ---- */
/* Our offer goes in the reliable 180 (RFC 3262 section 5), on a SIP-side
 * RTP port the ringing group opens; the far end's PRACK answers it; the
 * browser that answers takes the port, and the answer, for its call. */
struct gw_call_early {
	struct gw_rtp_socket *rtp;       /* reference; the winner takes another */
	struct gw_sdp_sip_params local;  /* our offer (strings below) */
	char **codecs;                   /* owned */
	char *addr;                      /* owned */
	char *answer;                    /* the PRACK's SDP, usable (owned); NULL until it came */
};
/* Open the port and build our offer into a new in->early: the SDP to send
 * (g_free), or NULL and *@reason (g_free). */
char *gw_call_early_offer(struct gw_call_inbound *in, char **reason);
/* The PRACK's @sdp (NULL: none): kept when it answers our offer.  0, or
 * EINVAL with *@reason (g_free). */
int gw_call_early_answer(struct gw_call_inbound *in, const char *sdp, char **reason);
/* gw_call_sip_prepare for the winner @call: the early offer's port and
 * o= id.  0 or errno. */
int gw_call_early_prepare(struct gw_call_inbound *in, struct gw_call *call);
void gw_call_early_free(struct gw_call_early *e);

/* ---- sipleg.c ---- */
/* "PCMU, pcma" -> {"PCMU", "PCMA", NULL} (g_strfreev); empty -> PCMU PCMA. */
char **gw_call_split_codecs(const char *list);
/* Our SIP-side SDP parameters for @trunk, but the port: @p's strings point
 * into *@codecs and *@addr (owned: g_strfreev, g_free). */
void gw_call_sip_params(const struct gw_trunk_config *trunk, struct gw_sdp_sip_params *p,
			char ***codecs, char **addr);
/* A new SIP-side RTP socket (*@rtp, a reference) in sip.rtp_port_range.
 * 0 or errno (logged under @log). */
int gw_call_sip_rtp_open(struct gw_rtp_socket **rtp, const char *log);
/* The call's SIP side: our SDP parameters from its trunk (again for a
 * failover), the RTP socket: @rtp (the call takes a reference; it may be
 * the call's own) or, when NULL, a new one.  0 or errno (logged). */
int gw_call_sip_prepare(struct gw_call *call, const struct gw_trunk_config *trunk,
			struct gw_rtp_socket *rtp);
/* Our SIP SDP (offer, or answer to @offer when non-NULL) with the current
 * hold state; g_free.  NULL (and *@reason) when it cannot be built; on an
 * answer, @media gets what the offer said. */
char *gw_call_sip_offer(struct gw_call *call, char **reason);
/* Apply the far end's SDP (parsed media) to the bridge; tells the browser
 * held/resumed on change. */
void gw_call_sip_media_apply(struct gw_call *call, struct gw_sip_dialog *d,
			     struct gw_sdp_sip_media *media, bool offer);
/* Apply the far end's answer @sdp (text) to our current offer.  0, or an
 * errno (logged) with nothing changed. */
int gw_call_sip_answer_apply(struct gw_call *call, struct gw_sip_dialog *d, const char *sdp);
/* Send the browser the SIP state reached so far (after the answer). */
void gw_call_sip_replay_state(struct gw_call *call);
/* The dialog event handler of a call (arg: the call). */
void gw_call_sip_event(struct gw_sip_dialog *d, struct gw_sip_event *ev, void *arg);
/* Browser requests on a call with a SIP side. */
void gw_call_sip_init_api(void);

/* ---- transfer.c (control loop) ---- */
/* The far end's REFER to @refer_to (answered 202 by the SIP layer): call
 * the target; the browser hears `state transferring`, then `connected`. */
void gw_call_transfer_start(struct gw_call *call, const char *refer_to);
/* The call ends: cancel the transfer target if it still rings. */
void gw_call_transfer_abort(struct gw_call *call);
/* Whether @d is the dialog of the call's transfer in progress. */
bool gw_call_transfer_owns(const struct gw_call *call, const struct gw_sip_dialog *d);
/* An event of that dialog (gw_call_sip_event hands it over). */
void gw_call_transfer_event(struct gw_call *call, struct gw_sip_dialog *d, struct gw_sip_event *ev);

/* ---- bridge.c (posts to the media loop; any thread) ---- */
/* Start the SIP RTP socket and the 20 ms tick on the call's loop. */
void gw_call_bridge_start(struct gw_call *call);
/* The SIP side's media changed. */
void gw_call_bridge_set_sip(struct gw_call *call, const struct gw_call_sip_media *m);
/* Digits toward SIP as RFC 4733. */
void gw_call_bridge_dtmf(struct gw_call *call, const char *digits, unsigned duration_ms);
/* Stop media (socket, tick, engine) on the loop. */
void gw_call_bridge_stop(struct gw_call *call);
/* The call is answered (SIP connected): from now on RTP is expected from
 * the far end while not on hold (media.rtp_timeout). */
void gw_call_bridge_answered(struct gw_call *call);
/* A transfer starts (@paused) or ends: no RTP is expected meanwhile (the
 * transferor may be gone while the target rings). */
void gw_call_bridge_rtp_pause(struct gw_call *call, bool paused);
/* Media loop: a decrypted RTP packet from the browser. */
void gw_call_bridge_from_browser(struct gw_call *call, uint8_t *buf, size_t len, gint64 rx_us);

#endif
