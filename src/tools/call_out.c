/* call_out.c — outbound calls of rtcsip-call, as a browser places them: a
 * leg that is ICE controlling and DTLS client, an offer with every
 * candidate (end-of-candidates, no trickle), `call` with optional headers,
 * then the gateway's `answer` completes ICE and DTLS while the far end
 * rings.  With --codec pcmu the offer has PCMU as its only audio codec, as
 * a browser sends after setCodecPreferences([PCMU]).  Main thread.
 */
#include <stdlib.h>
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

/* Our offer without Opus (pt 111) and telephone-event/48000 (pt 110):
 * PCMU and telephone-event/8000 are left.  Returns a new string (g_free). */
static char *pcmu_only(const char *sdp)
{
	char **lines = g_strsplit(sdp, "\r\n", -1);
	GString *out = g_string_new(NULL);
	char drop[2][16];

	g_snprintf(drop[0], sizeof(drop[0]), ":%u ", GW_SDP_PT_OPUS);
	g_snprintf(drop[1], sizeof(drop[1]), ":%u ", GW_SDP_PT_TE48);
	for (char **l = lines; *l && **l; l++) {
		if (g_str_has_prefix(*l, "m=audio ")) {
			char **tok = g_strsplit(*l, " ", -1);

			for (char **t = tok; *t; t++) {
				if (t - tok >= 3 && (atoi(*t) == (int)GW_SDP_PT_OPUS ||
						     atoi(*t) == (int)GW_SDP_PT_TE48))
					continue;
				g_string_append_printf(out, "%s%s", t == tok ? "" : " ", *t);
			}
			g_string_append(out, "\r\n");
			g_strfreev(tok);
			continue;
		}
		if (g_str_has_prefix(*l, "a=") && (strstr(*l, drop[0]) || strstr(*l, drop[1])) &&
		    (g_str_has_prefix(*l, "a=rtpmap") || g_str_has_prefix(*l, "a=fmtp") ||
		     g_str_has_prefix(*l, "a=rtcp-fb")))
			continue;
		g_string_append_printf(out, "%s\r\n", *l);
	}
	g_strfreev(lines);
	return g_string_free(out, FALSE);
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
	const char *const pcmu[] = { "PCMU", NULL };
	bool pcmu_call = c->app->codec == GW_MEDIA_CODEC_PCMU;
	char *sdp = NULL, *reason = NULL;
	json_t *msg, *headers;

	p.local_addr = "0.0.0.0";
	p.ice_ufrag = gw_webrtc_leg_ufrag(c->leg);
	p.ice_pwd = gw_webrtc_leg_pwd(c->leg);
	p.ice_trickle = true;
	p.fingerprint = gw_webrtc_leg_fingerprint(c->leg);
	p.candidates = gw_webrtc_leg_candidates(c->leg);
	p.end_of_candidates = true;
	p.extra_codecs = pcmu_call ? pcmu : NULL;
	if (gw_sdp_offer_build(&p, &sdp, &reason)) {
		gw_tool_call_finish(c, GW_TOOL_END_NONE, 500, reason, true);
		goto out;
	}
	if (pcmu_call) {
		char *only = pcmu_only(sdp);

		g_free(sdp);
		sdp = only;
	}
	c->t0 = now_us();
	c->t0_wall = g_get_real_time();
	msg = json_pack("{s:s, s:s}", "to", o->to, "sdp", sdp);
	headers = c->app->headers ? json_copy(c->app->headers) : NULL;
	if (o->id_header) {
		/* lets a benchmark find this call in the far end's SIP trace */
		if (!headers)
			headers = json_object();
		json_object_set_new(headers, o->id_header, json_string(c->id));
	}
	if (headers)
		json_object_set_new(msg, "headers", headers);
	if (o->privacy)
		json_object_set_new(msg, "privacy", json_true());
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
	const struct gw_sdp_codec *codec;
	bool pcmu_call = c->app->codec == GW_MEDIA_CODEC_PCMU;
	char *reason = NULL, *fps;
	bool eoc = false;

	if (c->answered || c->done)
		return;
	c->t_answer = now_us();
	c->answered = true;
	if (gw_sdp_parse(text, strlen(text), &sdp, &reason) || !(m = gw_sdp_find_media(sdp, "audio")) ||
	    !(fp = gw_sdp_media_fingerprint(sdp, m)) ||
	    !(codec = pcmu_call ? gw_sdp_media_find_codec(m, "PCMU", 8000)
				: gw_sdp_media_find_codec(m, "opus", 48000))) {
		gw_tool_call_hangup(c, 488, reason ? reason : "answer without usable audio", true);
		goto out;
	}
	c->audio_pt = (int)codec->pt; /* read by the media loop only after DTLS connects */
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
