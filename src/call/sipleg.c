/* sipleg.c — the SIP side of a call: our RTP/AVP SDP, the far end's SDP
 * applied to the media bridge, the dialog's events (progress, answer,
 * re-INVITEs, INFO DTMF, REFER progress, end) and the browser's mid-call
 * requests (`dtmf`, `hold`, `unhold`, `transfer`).  While a transfer the far
 * end asked for is under way the call has two dialogs reporting here: the
 * transferor's (call->dialog) and the target's, whose events go to
 * transfer.c.  Control loop.
 */
#include <errno.h>
#include <string.h>
#include "call_priv.h"
#include "gw/config.h"
#include "gw/log.h"
#include "gw/obj.h"
#include "gw/rtp_socket.h"
#include "gw/signal.h"
#include "gw/sip.h"

#define DTMF_DEFAULT_MS 100

static const char *const state_names[] = {
	[GW_CALL_SIP_NONE] = NULL,
	[GW_CALL_SIP_TRYING] = "trying",
	[GW_CALL_SIP_RINGING] = "ringing",
	[GW_CALL_SIP_EARLY] = "early_media",
	[GW_CALL_SIP_CONNECTED] = "connected",
};

/* Record SIP progress; the browser hears it once its answer went out (the
 * answer is sent first so the client knows the call before its states). */
static void set_sip_state(struct gw_call *call, enum gw_call_sip_state st)
{
	if (st <= call->sip_state)
		return;
	call->sip_state = st;
	if (st == GW_CALL_SIP_CONNECTED && call->rtp)
		gw_call_bridge_answered(call);
	if (call->state == GW_CALL_ACTIVE && state_names[st])
		gw_call_send_state(call, state_names[st]);
}

void gw_call_sip_replay_state(struct gw_call *call)
{
	if (state_names[call->sip_state])
		gw_call_send_state(call, state_names[call->sip_state]);
}

char **gw_call_split_codecs(const char *list)
{
	char **items = g_strsplit_set(list ? list : "", " ,", -1);
	GPtrArray *out = g_ptr_array_new();

	for (char **it = items; *it; it++)
		if (**it)
			g_ptr_array_add(out, g_ascii_strup(*it, -1));
	g_strfreev(items);
	if (out->len == 0) {
		g_ptr_array_add(out, g_strdup("PCMU"));
		g_ptr_array_add(out, g_strdup("PCMA"));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* A G.711-only browser (passthrough): offer its codec first when the trunk
 * allows it, so both legs can share it and the engine relays untouched. */
static void prefer_browser_codec(struct gw_call *call)
{
	const char *mine = call->res.pcmu_pt >= 0 ? "PCMU" : "PCMA";

	for (size_t i = 0; call->sip_codecs[i]; i++) {
		char *found = call->sip_codecs[i];

		if (strcmp(found, mine))
			continue;
		memmove(call->sip_codecs + 1, call->sip_codecs, i * sizeof(*call->sip_codecs));
		call->sip_codecs[0] = found;
		break;
	}
}

void gw_call_sip_params(const struct gw_trunk_config *trunk, struct gw_sdp_sip_params *p,
			char ***codecs, char **addr)
{
	*codecs = gw_call_split_codecs(trunk ? trunk->codecs : NULL);
	*addr = g_strdup(gw_sip_sdp_address(gw_call_sip()));
	p->addr = *addr;
	p->codecs = (const char *const *)*codecs;
	p->telephone_event = !(trunk && !strcmp(trunk->dtmf, "info"));
	p->ptime = 20;
	p->session_id = g_random_int_range(1, G_MAXINT32);
}

int gw_call_sip_rtp_open(struct gw_rtp_socket **rtp, const char *log)
{
	const struct gw_config *cfg = gw_call_config();
	struct gw_sip *sip = gw_call_sip();
	uint16_t pmin = 0, pmax = 0;
	int rc;

	gw_config_split_portrange(cfg->sip_rtp_port_range, &pmin, &pmax);
	rc = gw_rtp_socket_open(gw_sip_rtp_address(sip), pmin, pmax, rtp);
	if (rc) {
		gw_error(log, "no SIP-side RTP port on %s (%s): %s", gw_sip_rtp_address(sip),
			 cfg->sip_rtp_port_range, g_strerror(rc));
		return rc;
	}
	gw_rtp_socket_set_max_queue(*rtp, (unsigned)cfg->media_max_queue_ms);
	return 0;
}

int gw_call_sip_prepare(struct gw_call *call, const struct gw_trunk_config *trunk,
			struct gw_rtp_socket *rtp)
{
	int rc;

	call->trunk = trunk;
	call->dtmf_info = trunk && !strcmp(trunk->dtmf, "info");
	g_strfreev(call->sip_codecs); /* a failover prepares again */
	g_free(call->sip_addr);
	gw_call_sip_params(trunk, &call->sip_local, &call->sip_codecs, &call->sip_addr);
	if (call->kind == GW_CALL_OUTBOUND && call->browser_opus_pt < 0)
		prefer_browser_codec(call); /* in place: sip_local.codecs follows */
	if (rtp && rtp != call->rtp) {
		gw_obj_deref(call->rtp);
		call->rtp = gw_obj_ref(rtp);
	} else if (!rtp && (rc = gw_call_sip_rtp_open(&call->rtp, call->log))) {
		return rc;
	}
	call->sip_local.port = gw_rtp_socket_port(call->rtp);
	return 0;
}

char *gw_call_sip_offer(struct gw_call *call, char **reason)
{
	char *sdp = NULL;

	call->sip_local.direction = call->local_hold ? GW_SDP_DIR_SENDONLY : GW_SDP_DIR_SENDRECV;
	call->sip_local.session_version++;
	if (gw_sdp_sip_offer_build(&call->sip_local, &sdp, reason))
		return NULL;
	return sdp;
}

static enum gw_media_codec codec_of(const char *name)
{
	if (!g_ascii_strcasecmp(name, "PCMU"))
		return GW_MEDIA_CODEC_PCMU;
	if (!g_ascii_strcasecmp(name, "PCMA"))
		return GW_MEDIA_CODEC_PCMA;
	if (!g_ascii_strcasecmp(name, "G722"))
		return GW_MEDIA_CODEC_G722;
	return GW_MEDIA_CODEC_NONE;
}

/* The engine re-frames 10..60 ms in 10 ms steps; send the nearest. */
static unsigned engine_ptime(unsigned ptime)
{
	unsigned p = (ptime + 5) / 10 * 10;

	return p < 10 ? 20 : p > 60 ? 60 : p;
}

void gw_call_sip_media_apply(struct gw_call *call, struct gw_sip_dialog *d,
			     struct gw_sdp_sip_media *media, bool offer)
{
	struct gw_call_sip_media m = { 0 };
	bool was_held = call->remote_hold;

	m.codec = codec_of(media->codec);
	m.pt = (uint8_t)media->pt;
	m.te_pt = call->dtmf_info ? -1 : media->te_pt;
	m.cn_pt = media->cn_pt;
	m.ptime = engine_ptime(media->ptime);
	g_strlcpy(m.addr, media->addr ? media->addr : "0.0.0.0", sizeof(m.addr));
	m.port = media->port;
	m.symmetric = call->trunk && call->trunk->symmetric_rtp;
	g_strlcpy(m.peer_ip, d ? gw_sip_dialog_peer_ip(d) : "", sizeof(m.peer_ip));
	/* Only the far end's offers say whether it holds us; an answer's
	 * direction mirrors our own offer (our hold). */
	if (offer)
		call->remote_hold = media->hold;
	m.hold = call->remote_hold || call->local_hold;
	m.far_sends = media->direction == GW_SDP_DIR_SENDRECV || media->direction == GW_SDP_DIR_SENDONLY;
	gw_sdp_sip_media_clear(&call->sip_remote);
	call->sip_remote = *media;
	memset(media, 0, sizeof(*media));
	call->sip_media_known = true;
	gw_call_bridge_set_sip(call, &m);
	if (call->remote_hold != was_held && call->sip_state == GW_CALL_SIP_CONNECTED)
		gw_call_send_state(call, call->remote_hold ? "held" : "resumed");
}

/* The far end's answer (183, 200, 200 to our re-INVITE, ACK). */
int gw_call_sip_answer_apply(struct gw_call *call, struct gw_sip_dialog *d, const char *text)
{
	struct gw_sdp *sdp = NULL;
	struct gw_sdp_sip_media media = { 0 };
	char *reason = NULL;
	int rc;

	rc = gw_sdp_parse(text, strlen(text), &sdp, &reason);
	if (!rc)
		rc = gw_sdp_sip_answer_parse(sdp, &call->sip_local, &media, &reason);
	if (rc) {
		gw_warn(call->log, "unusable SDP answer from SIP: %s", reason);
		goto out;
	}
	gw_call_sip_media_apply(call, d, &media, false);
out:
	gw_sdp_sip_media_clear(&media);
	gw_obj_deref(sdp);
	g_free(reason);
	return rc;
}

/* A re-INVITE/UPDATE offer from the far end: answer without touching the
 * browser leg; media follows the new address, codec or hold state. */
static void on_reoffer(struct gw_call *call, struct gw_sip_event *ev)
{
	struct gw_sdp *sdp = NULL;
	struct gw_sdp_sip_media media = { 0 };
	char *reason = NULL, *answer = NULL;

	call->sip_local.direction = call->local_hold ? GW_SDP_DIR_SENDONLY : GW_SDP_DIR_SENDRECV;
	call->sip_local.session_version++; /* RFC 3264 section 8: +1 per new SDP we send */
	if (!ev->sdp || gw_sdp_parse(ev->sdp, strlen(ev->sdp), &sdp, &reason) ||
	    gw_sdp_sip_answer_build(sdp, &call->sip_local, &media, &answer, &reason)) {
		gw_warn(call->log, "re-offer refused: %s", reason ? reason : "no SDP");
		call->sip_local.session_version--; /* nothing was sent */
		ev->answer_code = 488;
		goto out;
	}
	ev->answer_code = 200;
	ev->answer_sdp = g_steal_pointer(&answer);
	gw_call_sip_media_apply(call, call->dialog, &media, true);
out:
	gw_sdp_sip_media_clear(&media);
	gw_obj_deref(sdp);
	g_free(reason);
	g_free(answer);
}

static void on_reinvite_done(struct gw_call *call, struct gw_sip_event *ev)
{
	char *text;

	call->reinvite_pending = false;
	if (ev->code >= 200 && ev->code < 300) {
		/* Accepted: both ends now believe in the new state, so an
		 * unusable answer cannot be rolled back; end the call. */
		if (!ev->sdp || gw_call_sip_answer_apply(call, call->dialog, ev->sdp))
			gw_call_end(call, 488, "unusable SDP in the answer to our re-INVITE", true);
		else
			gw_call_send_state(call, call->local_hold ? "held" : "resumed");
		return;
	}
	gw_warn(call->log, "%s refused by the far end: %d %s", call->local_hold ? "hold" : "unhold",
		ev->code, ev->reason);
	call->local_hold = !call->local_hold;
	text = gw_call_text(ev->reason);
	gw_call_send(call, json_pack("{s:s, s:s, s:s++}", "type", "error", "code", GW_ERR_INTERNAL,
				     "message", call->local_hold ? "unhold" : "hold",
				     " refused by the far end: ", text));
	g_free(text);
}

/* Progress of our REFER (blind transfer), reported as `state transferring`. */
static void on_refer_status(struct gw_call *call, struct gw_sip_event *ev)
{
	char *text = gw_call_text(ev->reason);

	gw_call_send(call, json_pack("{s:s, s:s, s:i, s:s, s:b}", "type", "state", "state",
				     "transferring", "code", ev->code, "reason", text, "final",
				     ev->final));
	g_free(text);
	if (ev->final && ev->code >= 200 && ev->code < 300)
		gw_call_end(call, 200, "transferred", true);
}

void gw_call_sip_event(struct gw_sip_dialog *d, struct gw_sip_event *ev, void *arg)
{
	struct gw_call *call = arg;

	if (gw_call_transfer_owns(call, d)) {
		gw_call_transfer_event(call, d, ev);
		return;
	}
	if (call->state == GW_CALL_ENDED)
		return;
	if (d != call->dialog) {
		/* A dialog this call has let go of (none should report). */
		if (ev->type == GW_SIP_EV_REOFFER)
			ev->answer_code = 488;
		return;
	}
	switch (ev->type) {
	case GW_SIP_EV_PROGRESS:
		if (ev->sdp && !gw_call_sip_answer_apply(call, d, ev->sdp))
			set_sip_state(call, GW_CALL_SIP_EARLY);
		else
			set_sip_state(call, GW_CALL_SIP_RINGING);
		break;
	case GW_SIP_EV_ANSWERED:
		if (gw_call_sip_answer_apply(call, d, ev->sdp ? ev->sdp : "")) {
			gw_call_end(call, 488, "the far end answered without usable audio", true);
			break;
		}
		gw_info(call->log, "answered %" G_GINT64_FORMAT " ms after the call",
			(g_get_monotonic_time() - call->t_created) / 1000);
		set_sip_state(call, GW_CALL_SIP_CONNECTED);
		break;
	case GW_SIP_EV_ANSWER_SENT:
		/* our held 200 went out after the carrier's PRACK */
		gw_info(call->log, "answer sent after the carrier's PRACK: connected");
		set_sip_state(call, GW_CALL_SIP_CONNECTED);
		break;
	case GW_SIP_EV_ACK:
	case GW_SIP_EV_EARLY_ANSWER:
		/* We offered in our 200 (delayed offer): the ACK must answer;
		 * or in the reliable 180 (early.c): the PRACK must. */
		if (!ev->sdp || gw_call_sip_answer_apply(call, d, ev->sdp))
			gw_call_end(call, 488, "the far end's answer has no usable audio", true);
		break;
	case GW_SIP_EV_REOFFER:
		on_reoffer(call, ev);
		break;
	case GW_SIP_EV_REINVITE_DONE:
		on_reinvite_done(call, ev);
		break;
	case GW_SIP_EV_DTMF:
		gw_call_send(call, json_pack("{s:s, s:s#, s:i}", "type", "dtmf", "digit", &ev->digit, 1,
					     "duration_ms", (int)ev->duration_ms));
		break;
	case GW_SIP_EV_REFER_STATUS:
		on_refer_status(call, ev);
		break;
	case GW_SIP_EV_REFER_REQUEST:
		gw_call_transfer_start(call, ev->refer_to);
		break;
	case GW_SIP_EV_ENDED:
		/* The dialog is over: nothing more to send on it. */
		call->dialog = gw_obj_deref(call->dialog);
		if (call->transfer) {
			/* A blind transferor often hangs up right after the
			 * 202: the call goes on to the target. */
			gw_info(call->log, "the transferor left (%d %s); the transfer goes on",
				ev->code, ev->reason);
			break;
		}
		if (gw_call_outbound_failover(call, ev->code))
			break;
		gw_call_end(call, ev->code, *ev->reason ? ev->reason : "ended by the far end", true);
		break;
	}
}

/* ---- browser requests ---- */

/* The caller's call with a connected SIP side, or an error reply. */
static struct gw_call *connected_call(struct gw_ws_session *s, json_t *msg, json_t *tid)
{
	struct gw_call *call = gw_call_find(s, msg, tid);

	if (!call)
		return NULL;
	if (call->transfer) {
		gw_ws_session_error(s, tid, call->id, GW_ERR_BUSY,
				    "call '%s' is being transferred by the far end", call->id);
		return NULL;
	}
	if (!call->dialog || call->sip_state < GW_CALL_SIP_EARLY) {
		gw_ws_session_error(s, tid, call->id, GW_ERR_BAD_REQUEST,
				    "call '%s' has no connected SIP side", call->id);
		return NULL;
	}
	return call;
}

static void on_dtmf(struct gw_ws_session *s, json_t *msg, json_t *tid)
{
	struct gw_call *call = connected_call(s, msg, tid);
	const char *digits;
	json_t *dur;
	int ms = DTMF_DEFAULT_MS;

	if (!call || !(digits = gw_api_require_string(s, msg, tid, "digits")))
		return;
	if (!*digits || strlen(digits) > 32 || strspn(digits, "0123456789*#ABCDabcd") != strlen(digits)) {
		gw_ws_session_error(s, tid, call->id, GW_ERR_BAD_REQUEST,
				    "digits must be 1 to 32 of 0-9 * # A-D");
		return;
	}
	dur = json_object_get(msg, "duration_ms");
	if (dur && (!json_is_integer(dur) || json_integer_value(dur) < 40 ||
		    json_integer_value(dur) > 5000)) {
		gw_ws_session_error(s, tid, call->id, GW_ERR_BAD_REQUEST,
				    "duration_ms must be a whole number from 40 to 5000");
		return;
	}
	if (dur)
		ms = (int)json_integer_value(dur);
	if (call->dtmf_info && call->sip_state != GW_CALL_SIP_CONNECTED) {
		gw_ws_session_error(s, tid, call->id, GW_ERR_BAD_REQUEST,
				    "SIP INFO DTMF needs an answered call");
		return;
	}
	if (!call->dtmf_info && (!call->sip_media_known || call->sip_remote.te_pt < 0)) {
		gw_ws_session_error(s, tid, call->id, GW_ERR_BAD_REQUEST,
				    "the far end did not accept telephone-event (RFC 4733)");
		return;
	}
	gw_info(call->log, "DTMF '%s' to SIP (%s)", digits, call->dtmf_info ? "INFO" : "RFC 4733");
	if (call->dtmf_info) {
		for (const char *d = digits; *d; d++)
			gw_sip_dialog_info_dtmf(call->dialog, g_ascii_toupper(*d), (unsigned)ms);
	} else {
		gw_call_bridge_dtmf(call, digits, (unsigned)ms);
	}
}

static void set_hold(struct gw_ws_session *s, json_t *msg, json_t *tid, bool hold)
{
	struct gw_call *call = connected_call(s, msg, tid);
	char *sdp = NULL, *reason = NULL;
	int rc;

	if (!call)
		return;
	if (call->sip_state != GW_CALL_SIP_CONNECTED) {
		gw_ws_session_error(s, tid, call->id, GW_ERR_BAD_REQUEST, "call not answered yet");
		goto out;
	}
	if (call->reinvite_pending) {
		gw_ws_session_error(s, tid, call->id, GW_ERR_BUSY, "a hold or unhold is in progress");
		goto out;
	}
	if (call->local_hold == hold) {
		gw_call_send_state(call, hold ? "held" : "resumed");
		goto out;
	}
	call->local_hold = hold;
	sdp = gw_call_sip_offer(call, &reason);
	rc = sdp ? gw_sip_dialog_reinvite(call->dialog, sdp) : EINVAL;
	if (rc) {
		call->local_hold = !hold;
		gw_ws_session_error(s, tid, call->id, GW_ERR_INTERNAL, "cannot send the re-INVITE: %s",
				    reason ? reason : g_strerror(rc));
		goto out;
	}
	call->reinvite_pending = true;
	gw_info(call->log, "%s: re-INVITE %s", hold ? "hold" : "unhold", hold ? "sendonly" : "sendrecv");
out:
	g_free(sdp);
	g_free(reason);
}

static void on_hold(struct gw_ws_session *s, json_t *msg, json_t *tid)
{
	set_hold(s, msg, tid, true);
}

static void on_unhold(struct gw_ws_session *s, json_t *msg, json_t *tid)
{
	set_hold(s, msg, tid, false);
}

static void on_transfer(struct gw_ws_session *s, json_t *msg, json_t *tid)
{
	struct gw_call *call = connected_call(s, msg, tid);
	const char *to;
	int rc;

	if (!call || !(to = gw_api_require_string(s, msg, tid, "to")))
		return;
	if (!gw_call_destination_allowed(s, to)) {
		gw_ws_session_error(s, tid, call->id, GW_ERR_UNAUTHORIZED, "not allowed to call '%s'", to);
		return;
	}
	rc = gw_sip_dialog_refer(call->dialog, to);
	if (rc)
		gw_ws_session_error(s, tid, call->id, rc == EINVAL ? GW_ERR_BAD_REQUEST : GW_ERR_BUSY,
				    "cannot transfer to '%s': %s", to, g_strerror(rc));
	else
		gw_info(call->log, "blind transfer to %s (REFER)", to);
}

void gw_call_sip_init_api(void)
{
	gw_signal_register("dtmf", on_dtmf);
	gw_signal_register("hold", on_hold);
	gw_signal_register("unhold", on_unhold);
	gw_signal_register("transfer", on_transfer);
}
