/* rtcsip_call.h — private to rtcsip-call: its options, the application and
 * one call, shared by the files of src/tools:
 *   rtcsip-call.c  options, the WebSocket session, dispatch of gateway messages
 *   call_flow.c    the life of a call common to both directions (states,
 *                  hangup, timers, DTMF/hold requests, leg events)
 *   call_out.c     outbound: offer, `call`, the gateway's `answer`
 *   call_in.c      inbound (--answer): `incoming`, our answer, accept/reject
 *   call_media.c   the media loop half: tone/WAV out, audio in, measurements,
 *                  the latency probe
 *   audio_loop.c   the pre-encoded tone every call sends (load runs), the
 *                  probe's onset detector and codec delay
 *   report.c       the JSON or text report and the exit status
 *
 * Threads: struct gw_tool_app and the control half of struct gw_tool_call
 * belong to the main thread (the default GMainContext runs the WebSocket,
 * the call flow and every timer).  The media half of a call belongs to the
 * media loop its leg lives on; the main thread reads it only after the
 * media loops were joined (report), except the atomic `media_connected`.
 */
#ifndef GW_TOOLS_RTCSIP_CALL_H
#define GW_TOOLS_RTCSIP_CALL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>
#include <jansson.h>
#include "gw/rtp.h"
#include "gw/sdp.h"
#include "gw/webrtc.h"
#include "audio.h"
#include "audio_loop.h"

struct gw_cert;
struct gw_config;
struct gw_decoder;
struct gw_encoder;
struct gw_loop;
struct gw_tool_ticker;
struct gw_tool_ws;

/* Command line.  Times in seconds; a negative *_at means "not asked". */
struct gw_tool_opts {
	char *url, *to, *user, *wav, *record, *local_addr, *dtmf;
	char *codec;                 /* --codec: "opus" (default) or "pcmu" */
	char *id_header;             /* --call-id-header: X- header carrying our call id */
	char *token;                 /* --token: a JWT for hello (auth.mode = jwt) instead of --user */
	char **headers;              /* --header NAME:VALUE, repeated */
	gboolean privacy;            /* --privacy: withhold our number (call privacy) */
	double tone, rate;
	double hangup_at, dtmf_at, hold_at, unhold_at;
	int seconds, calls, threads, max_wait;
	int measure_every;           /* decode and measure audio on every Nth call only */
	gboolean probe;              /* --probe: latency probe in the tone */
	gboolean answer;             /* answer incoming calls instead of calling */
	int answer_delay_ms, answer_timeout, reject, expect_hangup;
	gboolean json, verbose, garbage;
};

/* Control-loop timers of one call (GLib source ids, 0 when not armed). */
enum gw_tool_timer {
	GW_TOOL_TM_MAX_WAIT,         /* give up waiting for connected */
	GW_TOOL_TM_SECONDS,          /* media time is over: hang up */
	GW_TOOL_TM_HANGUP_AT,        /* --hangup-at */
	GW_TOOL_TM_DTMF,
	GW_TOOL_TM_HOLD,
	GW_TOOL_TM_UNHOLD,
	GW_TOOL_TM_ANSWER,           /* inbound: --answer-delay is over */
	GW_TOOL_TM_ACK,              /* our hangup/reject got no reply */
	GW_TOOL_TM_COUNT,
};

enum gw_tool_end_by {
	GW_TOOL_END_NONE,            /* no hangup (signalling lost, timed out) */
	GW_TOOL_END_GATEWAY,         /* the gateway sent `hangup` first */
	GW_TOOL_END_CLIENT,          /* we sent `hangup` or `reject` first */
};

struct gw_tool_app {
	struct gw_tool_opts o;
	struct gw_config *cfg;
	struct gw_cert *cert;
	struct gw_tool_ws *ws;
	GMainLoop *loop;
	struct gw_tool_audio_src wav;  /* --wav, loaded once; each call plays a copy */
	enum gw_media_codec codec;   /* what calls send: OPUS, or PCMU (--codec pcmu) */
	struct gw_tool_audio_loop *aloop; /* the tone, encoded once; NULL: encode per call */
	double codec_delay_ms;       /* --probe: the codec chain's own delay; < 0 unknown */
	json_t *headers;             /* --header as an object, or NULL */
	GPtrArray *calls;            /* struct gw_tool_call * (one reference each) */
	json_t *errors;              /* `error` replies naming no call we know */
	unsigned finished;
	guint start_timer, answer_timer, safety_timer;
	bool welcomed, gave_up;
};

/* One call.  Refcounted (gw_obj): the app holds one reference, each armed
 * timer and each closure posted to a loop holds one.  Control-loop fields
 * first, then the media-loop fields. */
struct gw_tool_call {
	struct gw_tool_app *app;
	unsigned idx;
	char *id;                    /* ours (outbound) or the gateway's (inbound) */
	bool inbound;
	struct gw_loop *loop;        /* pinned media loop, reference */
	struct gw_webrtc_leg *leg;   /* reference; NULL for a call we reject */
	/* monotonic µs; 0 = not yet.  t0: `call` sent or `incoming` received. */
	gint64 t_start, t0, t_answer, t_media, t_connected, t_end;
	gint64 t0_wall, t_connected_wall; /* the same on the wall clock (real time) */
	bool answered, gathered, answer_due, accepted, rejected, connected, media_up;
	bool hangup_sent, done, failed;
	enum gw_tool_end_by end_by;
	int code;                    /* how it ended: SIP-style code and reason */
	char reason[128];
	guint timers[GW_TOOL_TM_COUNT];
	json_t *states;              /* [{state, ms}] as the gateway sent them */
	json_t *errors;              /* [{code, message, request}] */
	json_t *incoming;            /* the `incoming` message but type, call, sdp; or NULL */
	GString *dtmf_rx;            /* digits of the gateway's `dtmf` messages */
	struct gw_sdp *offer;        /* inbound: the gateway's offer, until accept */
	char *offer_sdp;             /* inbound: its text, until the leg starts */
	const char *setup;           /* inbound: our a=setup ("active" or NULL) */

	/* media loop */
	gint media_connected;        /* atomic: set by the control loop at connected */
	int audio_pt;                /* Opus or PCMU pt; set before DTLS can complete */
	bool measured;               /* decode, measure and probe what comes back */
	struct gw_encoder *enc;      /* only without app->aloop */
	struct gw_decoder *dec;      /* only when measured */
	struct gw_tool_audio_src src;
	struct gw_rtp_sender tx;
	struct gw_tool_ticker *ticker; /* the sender of our loop; NULL when not sending */
	gint64 media_t0;
	uint64_t frames_sent;
	uint64_t tx_late;            /* frames sent over 20 ms after their time (we lag) */
	bool garbage_sent;
	uint64_t rx_packets, rx_first, rx_max;
	unsigned rx_clock;           /* RTP clock of what we receive (48000 or 8000) */
	bool rx_started;
	struct gw_rtp_seq_ext seq;
	double jitter;               /* RFC 3550 A.8, in 48 kHz units */
	int64_t last_transit;
	bool have_transit;
	gint64 t_first_audio;        /* monotonic µs of the first decoded packet */
	struct gw_tool_audio_ring late;  /* last second received after connected */
	struct gw_tool_audio_ring early; /* last second received before connected */
	GArray *timeline;            /* guint: packets per 500 ms since t0 */
	struct gw_tool_onset onset;  /* --probe: the tone's return after its gap */
	gint64 probe_sent[4];        /* monotonic µs the last onsets were sent */
	unsigned probe_nsent;
	GArray *probe_rtt;           /* double ms: onset sent -> onset heard */
	FILE *rec;
	struct gw_webrtc_stats st;   /* copied when the media stops */
};

/* ---- rtcsip-call.c ---- */

/* Quit the main loop once every call that will happen has ended; in
 * --answer mode with no call in progress and more to take, start waiting
 * --answer-timeout for the next `incoming`. */
void gw_tool_app_maybe_quit(struct gw_tool_app *a);
/* --answer-timeout passed without an `incoming` (a GSourceFunc). */
gboolean gw_tool_app_answer_timeout(gpointer app);
/* The call named @id, or NULL. */
struct gw_tool_call *gw_tool_app_find_call(struct gw_tool_app *a, const char *id);

/* ---- call_flow.c (main thread) ---- */

/* A new call registered with @a (which keeps the returned reference). */
struct gw_tool_call *gw_tool_call_new(struct gw_tool_app *a, const char *id, bool inbound);
/* Start the leg: fills name, loop, config, cert of @p.  0 or errno. */
int gw_tool_call_leg_start(struct gw_tool_call *c, struct gw_webrtc_params *p);
/* Send @msg (stolen) for @c with "type" @type, "call" and "tid" "TYPE:ID". */
void gw_tool_call_send(struct gw_tool_call *c, const char *type, json_t *msg);
/* Arm timer @which to fire after @ms (replacing one that is armed). */
void gw_tool_call_arm(struct gw_tool_call *c, enum gw_tool_timer which, double ms);
/* Cancel every armed timer of @c. */
void gw_tool_call_disarm(struct gw_tool_call *c);
/* The call is up (`state connected`, or our `accept`): media time starts. */
void gw_tool_call_connected(struct gw_tool_call *c);
/* We end the call: send `hangup` and wait for the reply (or, when
 * @failed, end at once with @code/@reason). */
void gw_tool_call_hangup(struct gw_tool_call *c, int code, const char *reason, bool failed);
/* The call is over: stop timers and media, count it.  Idempotent; a call
 * marked failed stays failed. */
void gw_tool_call_finish(struct gw_tool_call *c, enum gw_tool_end_by by, int code,
			 const char *reason, bool failed);
/* Gateway messages for @c. */
void gw_tool_call_on_state(struct gw_tool_call *c, const char *state);
void gw_tool_call_on_hangup(struct gw_tool_call *c, json_t *msg);
void gw_tool_call_on_dtmf(struct gw_tool_call *c, const char *digit);
/* A `candidate` trickled by the gateway (string, {candidate}, or null). */
void gw_tool_call_on_candidate(struct gw_tool_call *c, json_t *msg);
/* An `error` reply about @c to the request @request ("call", "dtmf", ...;
 * NULL when the reply carried no tid of ours). */
void gw_tool_call_on_error(struct gw_tool_call *c, const char *request, const char *code,
			   const char *message);
/* Milliseconds from the call's t0 to @t; -1 when either is unknown. */
double gw_tool_call_ms(const struct gw_tool_call *c, gint64 t);

/* ---- call_out.c (main thread) ---- */

/* Start the next outbound call (a GSourceFunc on the app). */
gboolean gw_tool_call_out_next(gpointer app);
/* Leg gathered: send the offer in `call`. */
void gw_tool_call_out_gathered(struct gw_tool_call *c);
/* The gateway's `answer`. */
void gw_tool_call_out_answer(struct gw_tool_call *c, const char *sdp);

/* ---- call_in.c (main thread) ---- */

/* The gateway's `incoming`. */
void gw_tool_call_in_incoming(struct gw_tool_app *a, json_t *msg);
/* Leg gathered, or --answer-delay over: accept (or reject) when both are. */
void gw_tool_call_in_ready(struct gw_tool_call *c);

/* ---- call_media.c ---- */

/* Main thread, at creation: audio source, rings, recorder. */
void gw_tool_media_init(struct gw_tool_call *c);
/* Media loop, at DTLS connected: codecs and the 20 ms sender. */
void gw_tool_media_start(struct gw_tool_call *c);
/* Main thread, after the media loops were joined: free the senders. */
void gw_tool_media_cleanup(void);
/* Media loop (a gw_loop_work_h), or main thread once the loops are
 * joined: stop sending, copy the leg's stats, close the recording. */
void gw_tool_media_stop(void *call);
/* The leg's RTP callback (media loop). */
void gw_tool_media_rtp(struct gw_webrtc_leg *leg, const struct gw_rtp_hdr *h, uint8_t *buf,
		       size_t len, int64_t rx_us, void *arg);
/* Destructor part: frees what the media half owns. */
void gw_tool_media_clear(struct gw_tool_call *c);

/* ---- report.c (main thread, after the loops are joined) ---- */

/* Print the report; the exit status: 0 when every call went as planned. */
int gw_tool_report(struct gw_tool_app *a);

#endif
