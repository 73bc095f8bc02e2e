/* call_out.c — outbound calls of rtcsip-call, as a browser places them: a
 * leg that is ICE controlling and DTLS client, an offer with every
 * candidate (end-of-candidates, no trickle), `call` with optional headers,
 * then the gateway's `answer` completes ICE and DTLS while the far end
 * rings.  Main thread.
 */
#include <string.h>
#include <glib.h>
#include <jansson.h>
#include "rtcsip_call.h"
#include "gw/log.h"
#include "gw/obj.h"
#include "gw/sdp.h"
#include "gw/webrtc.h"

static gint64 now_us(void)
{
	return g_get_monotonic_time();
}

gboolean gw_tool_call_out_next(gpointer app)
{
	struct gw_tool_app *a = app;
	struct gw_webrtc_params p = { 0 };
	struct gw_tool_call *c;
	char id[32];

	g_snprintf(id, sizeof(id), "c%u", a->calls->len + 1);
	c = gw_tool_call_new(a, id, false);
	p.controlling = true;
	p.dtls_role = GW_DTLS_ROLE_CLIENT; /* confirmed by the answer */
	if (gw_tool_call_leg_start(c, &p))
		gw_tool_call_finish(c, GW_TOOL_END_NONE, 500, "cannot start the WebRTC leg", true);
	if (a->calls->len < (unsigned)a->o.calls)
		return G_SOURCE_CONTINUE;
	a->start_timer = 0;
	return G_SOURCE_REMOVE;
}

void gw_tool_call_out_gathered(struct gw_tool_call *c)
{
	const struct gw_tool_opts *o = &c->app->o;
	struct gw_sdp_jsep_params p = { 0 };
	char *sdp = NULL, *reason = NULL;
	json_t *msg;

	p.local_addr = "0.0.0.0";
	p.ice_ufrag = gw_webrtc_leg_ufrag(c->leg);
	p.ice_pwd = gw_webrtc_leg_pwd(c->leg);
	p.ice_trickle = true;
	p.fingerprint = gw_webrtc_leg_fingerprint(c->leg);
	p.candidates = gw_webrtc_leg_candidates(c->leg);
	p.end_of_candidates = true;
	if (gw_sdp_offer_build(&p, &sdp, &reason)) {
		gw_tool_call_finish(c, GW_TOOL_END_NONE, 500, reason, true);
		goto out;
	}
	c->t0 = now_us();
	msg = json_pack("{s:s, s:s}", "to", o->to, "sdp", sdp);
	if (c->app->headers)
		json_object_set(msg, "headers", c->app->headers);
	gw_tool_call_send(c, "call", msg);
	gw_tool_call_arm(c, GW_TOOL_TM_MAX_WAIT, o->max_wait * 1000.0);
	if (o->hangup_at >= 0)
		gw_tool_call_arm(c, GW_TOOL_TM_HANGUP_AT, o->hangup_at * 1000);
out:
	g_free(sdp);
	g_free(reason);
}

void gw_tool_call_out_answer(struct gw_tool_call *c, const char *text)
{
	struct gw_sdp *sdp = NULL;
	struct gw_sdp_media *m;
	const struct gw_sdp_fingerprint *fp;
	const struct gw_sdp_codec *opus;
	char *reason = NULL, *fps;
	bool eoc = false;

	if (c->answered || c->done)
		return;
	c->t_answer = now_us();
	c->answered = true;
	if (gw_sdp_parse(text, strlen(text), &sdp, &reason) || !(m = gw_sdp_find_media(sdp, "audio")) ||
	    !(fp = gw_sdp_media_fingerprint(sdp, m)) || !(opus = gw_sdp_media_find_codec(m, "opus", 48000))) {
		gw_tool_call_hangup(c, 488, reason ? reason : "answer without usable audio", true);
		goto out;
	}
	c->opus_pt = (int)opus->pt; /* read by the media loop only after DTLS connects */
	fps = g_strdup_printf("%s %s", fp->hash, fp->value);
	gw_webrtc_leg_set_remote(c->leg, gw_sdp_media_ice_ufrag(sdp, m), gw_sdp_media_ice_pwd(sdp, m),
				 fps, gw_sdp_media_setup(sdp, m) == GW_SDP_SETUP_ACTIVE ?
				 GW_DTLS_ROLE_SERVER : GW_DTLS_ROLE_CLIENT);
	g_free(fps);
	for (unsigned i = 0; gw_sdp_media_candidate(m, i); i++) {
		char *cand = gw_sdp_candidate_print(gw_sdp_media_candidate(m, i));

		gw_webrtc_leg_add_candidate(c->leg, cand);
		g_free(cand);
	}
	gw_sdp_media_attr(m, "end-of-candidates", &eoc);
	if (eoc || m->end_of_candidates || sdp->end_of_candidates)
		gw_webrtc_leg_end_of_candidates(c->leg);
out:
	gw_obj_deref(sdp);
	g_free(reason);
}
