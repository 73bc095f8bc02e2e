/* call_in.c — inbound calls of rtcsip-call (--answer), as a browser takes
 * them: the gateway's `incoming` offer is answered the way the daemon
 * answers a browser's offer (src/call/call.c), with the roles swapped: the
 * gateway offered, so it is ICE controlling and we are controlled (unless it
 * is ICE-lite), and we pick a=setup:active (DTLS client).  `accept` carries
 * the answer with every candidate once the leg has gathered and
 * --answer-delay is over; --reject CODE sends `reject` instead.
 * Main thread.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include <jansson.h>
#include "rtcsip_call.h"
#include "gw/log.h"
#include "gw/obj.h"
#include "gw/sdp.h"
#include "gw/webrtc.h"
#include "ws_client.h"

#define REJECT_WAIT_MS 1500 /* how long we listen for a reply to `reject` */

static gint64 now_us(void)
{
	return g_get_monotonic_time();
}

/* RFC 5763 section 5: the answerer of actpass picks; we take active, as
 * browsers do.  An offer that is active (or says nothing, RFC 4145) leaves
 * us passive. */
static const char *our_setup(const struct gw_sdp *offer)
{
	const struct gw_sdp_media *m = gw_sdp_find_media(offer, "audio");
	enum gw_sdp_setup s = m ? gw_sdp_media_setup(offer, m) : GW_SDP_SETUP_NONE;

	return s == GW_SDP_SETUP_ACTPASS || s == GW_SDP_SETUP_PASSIVE ? "active" : NULL;
}

/* Validate @sdp and, when @start, start the leg with the offer's ICE/DTLS
 * data (like a browser, only once the user answers: an agent that checks
 * before the gateway has our credentials fails).  0, or an errno with
 * *@why (g_free). */
static int start_leg(struct gw_tool_call *c, const char *sdp, bool start, char **why)
{
	struct gw_sdp_jsep_params probe = { 0 };
	struct gw_sdp_answer_result res = { 0 };
	struct gw_webrtc_params wp = { 0 };
	char *probe_sdp = NULL, *fp = NULL, *reason = NULL;
	GPtrArray *cands = g_ptr_array_new_with_free_func(g_free);
	int rc;

	c->offer = gw_obj_deref(c->offer);
	if ((rc = gw_sdp_parse(sdp, strlen(sdp), &c->offer, &reason))) {
		*why = g_strdup_printf("bad offer: %s", reason);
		goto out;
	}
	/* First pass: check the offer and learn the remote ICE/DTLS data; the
	 * real answer is built once our candidates are gathered. */
	c->setup = our_setup(c->offer);
	probe.local_addr = "0.0.0.0";
	probe.ice_ufrag = "probe";
	probe.ice_pwd = "probeprobeprobeprobeprobe";
	probe.fingerprint = "sha-256 00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
			    "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00";
	probe.setup = c->setup;
	if ((rc = gw_sdp_answer_build(c->offer, &probe, &res, &probe_sdp, &reason))) {
		*why = g_strdup_printf("offer refused: %s", reason);
		goto out;
	}
	if (res.opus_pt < 0) {
		*why = g_strdup("offer has no opus/48000");
		rc = ENOTSUP;
		goto out;
	}
	c->audio_pt = res.opus_pt;
	if (!start)
		goto out;
	for (guint i = 0; res.remote_candidates && i < res.remote_candidates->len; i++)
		g_ptr_array_add(cands, gw_sdp_candidate_print(res.remote_candidates->pdata[i]));
	g_ptr_array_add(cands, NULL);
	fp = g_strdup_printf("%s %s", res.remote_fp_hash, res.remote_fp_value);
	/* RFC 8445 section 6.1.1: facing an ICE-lite agent we must control. */
	wp.controlling = res.remote_ice_lite;
	wp.dtls_role = res.local_setup == GW_SDP_SETUP_ACTIVE ? GW_DTLS_ROLE_CLIENT
							      : GW_DTLS_ROLE_SERVER;
	wp.remote_fingerprint = fp;
	wp.remote_ufrag = res.remote_ufrag;
	wp.remote_pwd = res.remote_pwd;
	wp.remote_candidates = (const char *const *)cands->pdata;
	wp.remote_end_of_candidates = res.remote_end_of_candidates;
	if ((rc = gw_tool_call_leg_start(c, &wp)))
		*why = g_strdup("cannot start the WebRTC leg");
out:
	g_ptr_array_free(cands, TRUE);
	gw_sdp_answer_result_clear(&res);
	g_free(probe_sdp);
	g_free(fp);
	g_free(reason);
	return rc;
}

static void send_reject(struct gw_tool_call *c, int code, const char *reason)
{
	c->rejected = c->hangup_sent = true;
	c->t_end = now_us();
	c->code = code;
	g_strlcpy(c->reason, reason, sizeof(c->reason));
	gw_tool_call_send(c, "reject", json_pack("{s:i}", "code", code));
	gw_tool_call_disarm(c);
	/* The gateway may say nothing more: listen a moment for an error. */
	gw_tool_call_arm(c, GW_TOOL_TM_ACK, REJECT_WAIT_MS);
}

/* More than --calls at once: busy, as a browser on a call would say. */
static void reject_extra(struct gw_tool_app *a, const char *id)
{
	gw_warn(id, "incoming call beyond --calls %d: rejected 486", a->o.calls);
	gw_tool_ws_send(a->ws, json_pack("{s:s, s:s, s:i}", "type", "reject", "call", id,
					 "code", 486));
}

/* What the gateway said of the call (the caller, its name and whether
 * the carrier asserted or withheld it, the X- headers ...): the message
 * but its type, call id and offer. */
static json_t *incoming_info(json_t *msg)
{
	json_t *in = json_deep_copy(msg), *h = json_object_get(msg, "headers");

	json_object_del(in, "type");
	json_object_del(in, "call");
	json_object_del(in, "sdp");
	if (!json_is_string(json_object_get(in, "from")))
		json_object_set_new(in, "from", json_null());
	if (!json_is_string(json_object_get(in, "to")))
		json_object_set_new(in, "to", json_null());
	if (!json_is_object(h))
		json_object_set_new(in, "headers", json_object());
	return in;
}

void gw_tool_call_in_incoming(struct gw_tool_app *a, json_t *msg)
{
	const struct gw_tool_opts *o = &a->o;
	const char *id = json_string_value(json_object_get(msg, "call"));
	const char *sdp = json_string_value(json_object_get(msg, "sdp"));
	struct gw_tool_call *c;
	char *why = NULL;

	if (!o->answer || !id || !*id) {
		json_array_append_new(a->errors, json_pack("{s:s, s:s}", "code", "unexpected",
			"message", o->answer ? "incoming without a call id" : "incoming while not in --answer mode"));
		if (id && *id)
			gw_tool_ws_send(a->ws, json_pack("{s:s, s:s, s:i}", "type", "reject", "call", id,
							 "code", 486));
		return;
	}
	if (gw_tool_app_find_call(a, id)) {
		gw_warn(id, "second incoming with the same call id ignored");
		return;
	}
	if (a->calls->len >= (unsigned)o->calls) {
		reject_extra(a, id);
		return;
	}
	c = gw_tool_call_new(a, id, true);
	c->t0 = now_us();
	c->t0_wall = g_get_real_time();
	c->incoming = incoming_info(msg);
	gw_info(c->id, "incoming from %s", json_string_value(json_object_get(c->incoming, "from")));
	/* --answer-timeout runs again once no call is in progress */
	if (a->answer_timer)
		g_source_remove(a->answer_timer);
	a->answer_timer = 0;
	if (o->hangup_at >= 0)
		gw_tool_call_arm(c, GW_TOOL_TM_HANGUP_AT, o->hangup_at * 1000);
	if (!o->reject) {
		if (!sdp || start_leg(c, sdp, false, &why)) {
			gw_tool_call_on_error(c, "incoming", "bad_offer", why ? why : "incoming without sdp");
			send_reject(c, 488, why ? why : "incoming without sdp");
			c->failed = true;
			g_free(why);
			return;
		}
		c->offer_sdp = g_strdup(sdp);
		gw_tool_call_arm(c, GW_TOOL_TM_MAX_WAIT, o->max_wait * 1000.0);
	}
	gw_tool_call_arm(c, GW_TOOL_TM_ANSWER, o->answer_delay_ms);
}

static void send_accept(struct gw_tool_call *c)
{
	struct gw_sdp_jsep_params p = { 0 };
	struct gw_sdp_answer_result res = { 0 };
	char *sdp = NULL, *reason = NULL;

	p.local_addr = "0.0.0.0"; /* RFC 8839: candidates carry the addresses */
	p.ice_ufrag = gw_webrtc_leg_ufrag(c->leg);
	p.ice_pwd = gw_webrtc_leg_pwd(c->leg);
	p.fingerprint = gw_webrtc_leg_fingerprint(c->leg);
	p.candidates = gw_webrtc_leg_candidates(c->leg);
	p.end_of_candidates = true;
	p.setup = c->setup;
	if (gw_sdp_answer_build(c->offer, &p, &res, &sdp, &reason)) {
		gw_tool_call_on_error(c, "accept", "internal", reason);
		send_reject(c, 500, "cannot build the answer");
		c->failed = true;
		goto out;
	}
	c->accepted = true;
	c->t_answer = now_us();
	gw_tool_call_send(c, "accept", json_pack("{s:s}", "sdp", sdp));
	c->offer = gw_obj_deref(c->offer);
	gw_tool_call_connected(c);
out:
	gw_sdp_answer_result_clear(&res);
	g_free(sdp);
	g_free(reason);
}

void gw_tool_call_in_ready(struct gw_tool_call *c)
{
	if (c->done || c->accepted || c->rejected || !c->answer_due)
		return;
	if (c->app->o.reject) {
		send_reject(c, c->app->o.reject, "rejected");
	} else if (!c->leg) {
		char *why = NULL;

		if (start_leg(c, c->offer_sdp, true, &why)) {
			gw_tool_call_on_error(c, "accept", "internal", why);
			send_reject(c, 500, why);
			c->failed = true;
		}
		g_free(why);
	} else if (c->gathered) {
		send_accept(c);
	}
}
