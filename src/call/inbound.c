/* inbound.c — an INVITE for a browser user: the Request-URI user (mapped
 * through [dids]) names the user, every open session of that user gets
 * `incoming` with its own WebRTC offer (forking), the first `accept` wins
 * (200 OK) and the other sessions get `hangup` "answered elsewhere";
 * nobody online -> 480, everyone rejects -> 486 or the browser's code,
 * too many calls or overloaded media loops (media.max_busy_pct) -> 503,
 * CANCEL -> `hangup`.  Control loop.
 */
#include <errno.h>
#include <string.h>
#include "call_priv.h"
#include "gw/call.h"
#include "gw/config.h"
#include "gw/loop.h"
#include "gw/log.h"
#include "gw/obj.h"
#include "gw/signal.h"
#include "gw/sip.h"

static void inbound_destroy(void *obj)
{
	struct gw_call_inbound *in = obj;

	gw_obj_deref(in->dialog);
	g_free(in->user);
	g_free(in->from);
	g_free(in->from_name);
	g_free(in->to);
	json_decref(in->headers);
	gw_obj_deref(in->sip_offer);
	gw_call_early_free(in->early);
	if (in->forks)
		g_ptr_array_free(in->forks, TRUE);
}

/* The dialog stops reporting to the group; drops the binding's reference. */
static void unbind(struct gw_call_inbound *in)
{
	if (!in->bound)
		return;
	in->bound = false;
	gw_obj_deref(in);
}

/* Ring ended without an answer (CANCEL, ring timeout, caller gone). */
static void end_forks(struct gw_call_inbound *in, int code, const char *reason)
{
	GPtrArray *forks = g_ptr_array_copy(in->forks, NULL, NULL);

	gw_obj_ref(in);
	for (guint i = 0; i < forks->len; i++)
		gw_call_end(forks->pdata[i], code, reason, true);
	g_ptr_array_free(forks, TRUE);
	gw_obj_deref(in);
}

/* Refuse the INVITE while it rings (@code) and end every fork. */
static void give_up(struct gw_call_inbound *in, int code, const char *reason)
{
	gw_info(in->log, "refused while ringing: %d %s", code, reason);
	gw_obj_ref(in);
	gw_sip_dialog_end(in->dialog, code, reason);
	unbind(in);
	end_forks(in, code, reason);
	gw_obj_deref(in);
}

static void on_dialog_event(struct gw_sip_dialog *d, struct gw_sip_event *ev, void *arg)
{
	struct gw_call_inbound *in = arg;
	char *why = NULL;

	switch (ev->type) {
	case GW_SIP_EV_ENDED:
		gw_info(in->log, "ended while ringing: %d %s", ev->code, ev->reason);
		gw_obj_ref(in);
		unbind(in);
		end_forks(in, ev->code, *ev->reason ? ev->reason : "cancelled by the caller");
		gw_obj_deref(in);
		break;
	case GW_SIP_EV_EARLY_ANSWER:
		/* the PRACK of our 180 answers the offer in it (early.c) */
		if (gw_call_early_answer(in, ev->sdp, &why)) {
			gw_warn(in->log, "unusable answer in the PRACK: %s", why);
			give_up(in, 488, "no usable answer to our offer");
		}
		g_free(why);
		break;
	case GW_SIP_EV_REOFFER:
		ev->answer_code = 491; /* not answered yet: no re-offer before our answer */
		break;
	default:
		break;
	}
}

/* SDP from SIP we could never answer: refuse the INVITE before ringing. */
static bool offer_usable(const struct gw_sdp *offer, const struct gw_trunk_config *trunk,
			 char **reason)
{
	struct gw_sdp_sip_params p = { 0 };
	struct gw_sdp_sip_media media = { 0 };
	char **codecs = gw_call_split_codecs(trunk ? trunk->codecs : NULL);
	char *answer = NULL;
	bool ok;

	p.addr = "127.0.0.1";
	p.port = 9;
	p.codecs = (const char *const *)codecs;
	p.telephone_event = true;
	ok = !gw_sdp_sip_answer_build(offer, &p, &media, &answer, reason);
	gw_sdp_sip_media_clear(&media);
	g_free(answer);
	g_strfreev(codecs);
	return ok;
}

static char *new_call_id(void)
{
	return g_strdup_printf("in-%08x%08x", g_random_int(), g_random_int());
}

/* Start one fork: a call on session @s with a controlling ICE leg. */
static void start_fork(struct gw_call_inbound *in, struct gw_ws_session *s)
{
	struct gw_webrtc_params wp = { 0 };
	struct gw_call *call;
	char *id = new_call_id();

	call = gw_call_register(s, id, GW_CALL_INBOUND);
	g_free(id);
	if (!call)
		return;
	call->inbound = gw_obj_ref(in);
	g_ptr_array_add(in->forks, call);
	/* We offer, so we control ICE, unless we are ICE-lite (the offer says so). */
	wp.controlling = !gw_call_config()->ice_lite;
	wp.dtls_role = GW_DTLS_ROLE_SERVER;   /* confirmed by the answer's setup */
	if (gw_call_start_leg(call, &wp)) {
		gw_call_end(call, 500, "cannot start media", false);
		return;
	}
	gw_info(call->log, "incoming call from %s to %s on %s", in->from, in->to,
		gw_loop_name(call->loop));
}

void gw_call_sip_incoming(struct gw_sip_dialog *d, const struct gw_sip_incoming *sin, void *arg)
{
	const struct gw_config *cfg = gw_call_config();
	struct gw_call_inbound *in = NULL;
	struct gw_sdp *offer = NULL;
	GPtrArray *sessions = NULL;
	const char *user, *mapped;
	char *reason = NULL;

	user = *sin->ruri_user ? sin->ruri_user : sin->to_user;
	mapped = cfg->dids ? g_hash_table_lookup(cfg->dids, user) : NULL;
	if (mapped)
		user = mapped;
	if (sin->sdp && (gw_sdp_parse(sin->sdp, strlen(sin->sdp), &offer, &reason) ||
			 !offer_usable(offer, sin->trunk, &reason))) {
		gw_info(NULL, "INVITE %s from %s refused: %s", sin->call_id, sin->source, reason);
		gw_sip_dialog_respond(d, 488, NULL, NULL);
		goto out;
	}
	sessions = gw_signal_sessions_of(user);
	if (sessions->len == 0) {
		gw_info(NULL, "INVITE %s for %s: user offline", sin->call_id, user);
		gw_sip_dialog_respond(d, 480, "User offline", NULL);
		goto out;
	}
	if (gw_call_count() + sessions->len > (unsigned)cfg->media_max_calls) {
		gw_sip_dialog_respond(d, 503, "Too many calls", NULL);
		goto out;
	}
	if (gw_call_overloaded("INVITE")) {
		gw_sip_dialog_respond(d, 503, "Overloaded", NULL);
		goto out;
	}
	in = gw_obj_alloc(sizeof(*in), inbound_destroy);
	in->dialog = gw_obj_ref(d);
	in->trunk = sin->trunk;
	in->user = g_strdup(user);
	/* SIP text may be Latin-1; JSON needs UTF-8. */
	in->from = gw_call_text(*sin->from_user ? sin->from_user : sin->from_uri);
	in->from_name = gw_call_text(sin->from_display);
	in->asserted = sin->asserted;
	in->withheld = sin->withheld;
	in->to = gw_call_text(*sin->ruri_user ? sin->ruri_user : sin->to_user);
	in->sip_offer = g_steal_pointer(&offer);
	in->forks = g_ptr_array_new();
	g_snprintf(in->log, sizeof(in->log), "INVITE %.40s (%s)", sin->call_id, user);
	if (sin->n_headers) {
		in->headers = json_object();
		for (unsigned i = 0; i < sin->n_headers; i++) {
			char *name = gw_call_text(sin->headers[i].name);
			char *value = gw_call_text(sin->headers[i].value);

			json_object_set_new(in->headers, name, json_string(value));
			g_free(name);
			g_free(value);
		}
	}
	in->bound = true;
	gw_obj_ref(in); /* the binding's */
	gw_sip_dialog_bind(d, on_dialog_event, in, in->log);
	gw_info(in->log, "from %s%s to %s: ringing %u session(s)", in->from,
		sin->sdp ? "" : " (delayed offer)", in->to, sessions->len);
	in->starting = true;
	for (guint i = 0; i < sessions->len && in->bound; i++)
		start_fork(in, sessions->pdata[i]);
	in->starting = false;
	if (in->forks->len == 0 && in->bound) {
		gw_sip_dialog_end(d, 480, "no session could take the call");
		unbind(in);
	}
out:
	if (sessions)
		g_ptr_array_unref(sessions);
	gw_obj_deref(offer);
	gw_obj_deref(in);
	g_free(reason);
}

/* The 180, once: with our offer when the INVITE had none and requires
 * 100rel (early.c). */
static void ring(struct gw_call_inbound *in)
{
	char *sdp = NULL, *reason = NULL;

	in->ringing_sent = true;
	if (gw_sip_dialog_early_offer(in->dialog) && !(sdp = gw_call_early_offer(in, &reason))) {
		gw_error(in->log, "cannot offer in the reliable 180: %s", reason);
		give_up(in, 500, "cannot make an offer");
		goto out;
	}
	if (gw_sip_dialog_respond(in->dialog, 180, NULL, sdp) && in->early) {
		/* the dialog is over: our offer never went out */
		g_clear_pointer(&in->early, gw_call_early_free);
		give_up(in, 500, "cannot ring");
	}
out:
	g_free(sdp);
	g_free(reason);
}

void gw_call_inbound_gathered(struct gw_call *call)
{
	struct gw_call_inbound *in = call->inbound;
	struct gw_sdp_jsep_params p = { 0 };
	char *sdp = NULL, *reason = NULL;
	json_t *msg;

	if (!in)
		return;
	p.local_addr = "0.0.0.0";
	p.ice_ufrag = gw_webrtc_leg_ufrag(call->leg);
	p.ice_pwd = gw_webrtc_leg_pwd(call->leg);
	p.ice_lite = gw_call_config()->ice_lite;
	p.fingerprint = gw_webrtc_leg_fingerprint(call->leg);
	p.candidates = gw_webrtc_leg_candidates(call->leg);
	p.end_of_candidates = true;
	if (gw_sdp_offer_build(&p, &sdp, &reason)) {
		gw_error(call->log, "cannot build the offer: %s", reason);
		gw_call_end(call, 500, "cannot build the offer", false);
		goto out;
	}
	call->state = GW_CALL_ACTIVE;
	msg = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "incoming", "from", in->from,
			"from_name", in->from_name, "to", in->to, "sdp", sdp);
	if (!msg) {
		gw_call_end(call, 500, "cannot describe the incoming call", false);
		goto out;
	}
	if (in->headers)
		json_object_set(msg, "headers", in->headers);
	if (in->asserted)
		json_object_set_new(msg, "asserted", json_true());
	if (in->withheld)
		json_object_set_new(msg, "withheld", json_true());
	gw_call_send(call, msg);
	if (!in->ringing_sent && in->bound)
		ring(in);
out:
	g_free(sdp);
	g_free(reason);
}

void gw_call_inbound_fork_ended(struct gw_call *call, int code)
{
	struct gw_call_inbound *in = call->inbound;

	call->inbound = NULL; /* our reference, dropped below */
	g_ptr_array_remove(in->forks, call);
	if (!in->answered && in->bound && !in->starting && in->forks->len == 0) {
		/* every browser declined; else a 5xx/6xx of ours (shutdown); else nobody */
		int final = in->reject_code ? in->reject_code : code >= 500 && code < 700 ? code : 480;

		gw_info(in->log, "no session answers: %d", final);
		gw_sip_dialog_end(in->dialog, final, in->reject_code ? "Rejected" : "No session answers");
		unbind(in);
	}
	gw_obj_deref(in);
}

/* ---- browser API: accept / reject ---- */

/* The browser's JSEP answer applied to the fork's leg. */
static int apply_browser_answer(struct gw_call *call, const char *text, char **why)
{
	struct gw_sdp *sdp = NULL;
	const struct gw_sdp_media *m;
	const struct gw_sdp_fingerprint *fp;
	const struct gw_sdp_codec *opus, *te;
	const char *ufrag, *pwd;
	char *fps;
	bool eoc = false;
	int rc = EINVAL;

	if (gw_sdp_parse(text, strlen(text), &sdp, why))
		goto out;
	m = gw_sdp_find_media(sdp, "audio");
	if (!m || m->port == 0) {
		*why = g_strdup("the answer refuses audio");
		goto out;
	}
	ufrag = gw_sdp_media_ice_ufrag(sdp, m);
	pwd = gw_sdp_media_ice_pwd(sdp, m);
	fp = gw_sdp_media_fingerprint(sdp, m);
	opus = gw_sdp_media_find_codec(m, "opus", 48000);
	if (!ufrag || !pwd || !fp || !opus) {
		*why = g_strdup("the answer needs ice-ufrag, ice-pwd, fingerprint and opus");
		goto out;
	}
	te = gw_sdp_media_find_codec(m, "telephone-event", 48000);
	call->browser_opus_pt = (int)opus->pt;
	call->browser_te_pt = te ? (int)te->pt : -1;
	te = gw_sdp_media_find_codec(m, "telephone-event", 8000);
	call->browser_te8_pt = te ? (int)te->pt : -1;
	fps = g_strdup_printf("%s %s", fp->hash, fp->value);
	/* setup:active in the answer makes the browser the DTLS client. */
	gw_webrtc_leg_set_remote(call->leg, ufrag, pwd, fps,
				 gw_sdp_media_setup(sdp, m) == GW_SDP_SETUP_PASSIVE ? GW_DTLS_ROLE_CLIENT
										  : GW_DTLS_ROLE_SERVER);
	g_free(fps);
	for (unsigned i = 0; gw_sdp_media_candidate(m, i); i++) {
		char *c = gw_sdp_candidate_print(gw_sdp_media_candidate(m, i));

		gw_webrtc_leg_add_candidate(call->leg, c);
		g_free(c);
	}
	gw_sdp_media_attr(m, "end-of-candidates", &eoc);
	if (eoc || m->end_of_candidates || sdp->end_of_candidates)
		gw_webrtc_leg_end_of_candidates(call->leg);
	rc = 0;
out:
	gw_obj_deref(sdp);
	return rc;
}

/* The SIP 200 OK: our answer to the INVITE's offer, or our offer, or no
 * SDP when our offer went in the 180 (early.c).  *@held: the SIP layer
 * holds it for the carrier's PRACK (100rel); the call is answered at
 * GW_SIP_EV_ANSWER_SENT (sipleg.c). */
static int answer_sip(struct gw_call *call, struct gw_call_inbound *in, bool *held)
{
	struct gw_sdp_sip_media media = { 0 };
	char *sdp = NULL, *reason = NULL;
	int rc;

	if (in->early ? gw_call_early_prepare(in, call) : gw_call_sip_prepare(call, in->trunk, NULL))
		return EADDRINUSE;
	call->sip_local.direction = GW_SDP_DIR_SENDRECV;
	call->sip_local.session_version = 1;
	if (in->sip_offer)
		rc = gw_sdp_sip_answer_build(in->sip_offer, &call->sip_local, &media, &sdp, &reason);
	else if (in->early)
		rc = 0;
	else
		rc = (sdp = gw_call_sip_offer(call, &reason)) ? 0 : EINVAL;
	if (rc) {
		gw_error(call->log, "cannot build the SIP SDP: %s", reason);
		goto out;
	}
	rc = gw_sip_dialog_respond(in->dialog, 200, NULL, sdp);
	if (rc)
		goto out;
	*held = gw_sip_dialog_answer_held(in->dialog);
	call->dialog = gw_obj_ref(in->dialog);
	gw_sip_dialog_bind(call->dialog, gw_call_sip_event, call, call->log);
	if (in->sip_offer)
		gw_call_sip_media_apply(call, call->dialog, &media, true);
	else if (in->early && in->early->answer &&
		 gw_call_sip_answer_apply(call, call->dialog, in->early->answer))
		/* checked usable already; a later PRACK's comes to sipleg.c */
		gw_warn(call->log, "the PRACK's answer no longer applies");
	gw_call_bridge_start(call);
	if (!*held) {
		call->sip_state = GW_CALL_SIP_CONNECTED;
		gw_call_bridge_answered(call);
	}
out:
	gw_sdp_sip_media_clear(&media);
	g_free(sdp);
	g_free(reason);
	return rc;
}

static void on_accept(struct gw_ws_session *s, json_t *msg, json_t *tid)
{
	struct gw_call *call = gw_call_find(s, msg, tid);
	struct gw_call_inbound *in;
	const char *sdp;
	char *why = NULL;
	GPtrArray *others;
	bool held = false;

	if (!call || !(sdp = gw_api_require_string(s, msg, tid, "sdp")))
		return;
	in = call->inbound;
	if (call->kind != GW_CALL_INBOUND || !in || in->answered || !in->bound) {
		gw_ws_session_error(s, tid, call->id, GW_ERR_BAD_REQUEST, "call '%s' is not ringing",
				    call->id);
		return;
	}
	if (apply_browser_answer(call, sdp, &why)) {
		gw_ws_session_error(s, tid, call->id, GW_ERR_BAD_REQUEST, "bad answer: %s", why);
		g_free(why);
		return;
	}
	gw_obj_ref(in);
	in->answered = call;
	if (answer_sip(call, in, &held)) {
		in->answered = NULL;
		gw_call_end(call, 500, "cannot answer the INVITE", true);
		if (in->early && in->bound) /* its port went with this call */
			give_up(in, 500, "cannot answer");
		goto out;
	}
	gw_info(call->log, "answered %" G_GINT64_FORMAT " ms after the INVITE%s",
		(g_get_monotonic_time() - call->t_created) / 1000,
		held ? ": connected once the carrier PRACKs our 180" : "");
	/* held: `connected` when the 200 goes out (sipleg.c) */
	if (!held)
		gw_call_send_state(call, "connected");
	/* The winner leaves the ringing group; the others hang up. */
	call->inbound = NULL;
	g_ptr_array_remove(in->forks, call);
	gw_obj_deref(in); /* the winner's reference */
	others = g_ptr_array_copy(in->forks, NULL, NULL);
	for (guint i = 0; i < others->len; i++)
		gw_call_end(others->pdata[i], 200, "answered elsewhere", true);
	g_ptr_array_free(others, TRUE);
	unbind(in);
out:
	gw_obj_deref(in);
}

static void on_reject(struct gw_ws_session *s, json_t *msg, json_t *tid)
{
	struct gw_call *call = gw_call_find(s, msg, tid);
	json_t *jc;
	int code = 486;

	if (!call)
		return;
	if (call->kind != GW_CALL_INBOUND || !call->inbound || call->inbound->answered) {
		gw_ws_session_error(s, tid, call->id, GW_ERR_BAD_REQUEST, "call '%s' is not ringing",
				    call->id);
		return;
	}
	jc = json_object_get(msg, "code");
	if (jc && (!json_is_integer(jc) || json_integer_value(jc) < 400 ||
		   json_integer_value(jc) > 699)) {
		gw_ws_session_error(s, tid, call->id, GW_ERR_BAD_REQUEST,
				    "code must be a SIP failure status 400-699");
		return;
	}
	if (jc)
		code = (int)json_integer_value(jc);
	call->inbound->reject_code = code;
	gw_call_end(call, code, "rejected by the browser", false);
}

void gw_call_inbound_init(void)
{
	gw_signal_register("accept", on_accept);
	gw_signal_register("reject", on_reject);
}
