/* call_priv.h — the call object, shared by the files of src/call. */
#ifndef GW_CALL_PRIV_H
#define GW_CALL_PRIV_H

#include <stdbool.h>
#include <glib.h>
#include "gw/rtp.h"
#include "gw/sdp.h"
#include "gw/webrtc.h"

struct gw_ws_session;

enum gw_call_state {
	GW_CALL_ANSWERING,   /* gathering; answer not sent yet */
	GW_CALL_ACTIVE,      /* answer sent */
	GW_CALL_ENDED,
};

/* One call of one browser session.  Refcounted: the registry holds one
 * reference while the call is in it; each op posted between loops holds
 * one.  Fields above "media loop" belong to the control loop. */
struct gw_call {
	char *key;                     /* "SESSION/CALL": registry key */
	char *id;                      /* the client's call id */
	char log[96];                  /* "call c1 (alice)" */
	struct gw_ws_session *session; /* reference */
	struct gw_loop *loop;          /* pinned media loop, reference */
	struct gw_webrtc_leg *leg;     /* reference */
	struct gw_sdp *offer;          /* the browser's offer */
	struct gw_sdp_answer_result res; /* what the offer said (first pass) */
	enum gw_call_state state;
	bool echo;
	gint64 t_created;              /* monotonic µs */

	/* media loop */
	struct gw_rtp_sender echo_tx;  /* echo: our SSRC, sequence, timestamps */
};

/* echo.c: the built-in echo destination (media loop). */
void gw_call_echo_init(struct gw_call *call);
void gw_call_echo_rtp(struct gw_call *call, struct gw_webrtc_leg *leg, const struct gw_rtp_hdr *h);

#endif
