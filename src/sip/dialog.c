/* dialog.c — the INVITE dialog object: nua events of its handle turned into
 * gw_sip events, the answer to our INVITE, ending from our side, and the
 * end of the handle's life.
 *
 * Control loop.  A dialog is a gw_obj; the SIP layer holds one reference
 * (sip->dialogs) from creation until nua reports the call terminated, when
 * the handle is destroyed.  Events are delivered with an extra reference
 * held, so the handler may drop its own inside.
 */
#include <errno.h>
#include <string.h>
#include "sip_priv.h"
#include "gw/log.h"
#include "gw/obj.h"

static void dialog_destroy(void *obj)
{
	struct gw_sip_dialog *d = obj;

	g_free(d->log);
	g_free(d->call_id);
	g_free(d->local_sdp);
	g_free(d->pending_sdp);
	g_free(d->early_sdp);
	g_free(d->early_tag);
	g_free(d->held_sdp);
	g_free(d->held_reason);
	g_free(d->refer_event);
	g_ptr_array_free(d->realms, TRUE);
}

struct gw_sip_dialog *gw_sip_dialog_new(struct gw_sip *sip, bool inbound, const char *log)
{
	struct gw_sip_dialog *d = gw_obj_alloc(sizeof(*d), dialog_destroy);

	d->magic.kind = GW_SIP_H_DIALOG;
	d->sip = sip;
	d->inbound = inbound;
	d->log = g_strdup(log);
	d->realms = g_ptr_array_new_with_free_func(g_free);
	/* The allocation's reference is the SIP layer's. */
	sip->dialogs = g_list_prepend(sip->dialogs, d);
	return d;
}

void gw_sip_dialog_uncount(struct gw_sip_dialog *d)
{
	if (d->counted && d->sip) {
		d->counted = false;
		d->sip->n_calls--;
	}
}

void gw_sip_dialog_stop_timer(struct gw_sip_dialog *d)
{
	if (d->timer) {
		g_source_remove(d->timer);
		d->timer = 0;
	}
}

void gw_sip_dialog_detach(struct gw_sip_dialog *d)
{
	struct gw_sip *sip = d->sip;

	if (!sip)
		return;
	gw_sip_dialog_stop_timer(d);
	gw_sip_dialog_uncount(d);
	if (d->nh) {
		nua_handle_bind(d->nh, NULL);
		nua_handle_destroy(d->nh);
		d->nh = NULL;
	}
	d->state = GW_SIP_DLG_TERMINATED;
	d->ended = true;
	sip->dialogs = g_list_remove(sip->dialogs, d);
	d->sip = NULL;
	gw_debug(d->log, "dialog released");
	gw_obj_deref(d);
}

void gw_sip_dialog_emit(struct gw_sip_dialog *d, struct gw_sip_event *ev)
{
	if (d->ended || !d->h)
		return;
	if (!ev->reason)
		ev->reason = "";
	gw_obj_ref(d);
	d->h(d, ev, d->arg);
	gw_obj_deref(d);
}

const char *gw_sip_dialog_phrase(struct gw_sip_dialog *d, const char *phrase)
{
	return su_strdup(nua_handle_home(d->nh), phrase);
}

void gw_sip_dialog_emit_ended(struct gw_sip_dialog *d, int code, const char *reason)
{
	struct gw_sip_event ev = { .type = GW_SIP_EV_ENDED, .code = code,
				   .reason = reason ? reason : "" };

	if (d->ended)
		return;
	d->ended = true;
	gw_sip_dialog_stop_timer(d);
	gw_info(d->log, "ended: %d %s", code, ev.reason);
	if (!d->h)
		return;
	gw_obj_ref(d);
	d->h(d, &ev, d->arg);
	gw_obj_deref(d);
}

static void send_bye(struct gw_sip_dialog *d, int code, const char *reason)
{
	char *hdr = code != 200 ? gw_sip_reason_header(code, reason) : NULL;

	if (d->bye_sent || !d->nh)
		goto out;
	d->bye_sent = true;
	nua_bye(d->nh, TAG_IF(hdr, SIPTAG_REASON_STR(hdr)), TAG_END());
out:
	g_free(hdr);
}

/* nua status codes of its own (900 and up) are internal errors. */
static int visible_code(int status)
{
	return status >= 700 ? 500 : status;
}

/* Final answer to our initial INVITE. */
static void invite_final(struct gw_sip_dialog *d, int status, const char *phrase, const sip_t *sip)
{
	char *sdp, *text;

	if (status < 300) {
		if (d->state == GW_SIP_DLG_ESTABLISHED)
			return; /* a 2xx retransmission or another fork */
		d->state = GW_SIP_DLG_ESTABLISHED;
		if (d->ended) {
			/* We cancelled, but the answer crossed the CANCEL. */
			send_bye(d, 487, "Call cancelled");
			return;
		}
		sdp = gw_sip_body_sdp(sip);
		if (!sdp && d->early_sdp && sip && sip->sip_to &&
		    !g_strcmp0(sip->sip_to->a_tag, d->early_tag)) {
			/* RFC 3262: an answer in a reliable 18x is the answer, and
			 * the 2xx need not repeat it; after an unreliable one it
			 * should, but taking the 18x's is what the caller heard.
			 * Only from the fork that answers (the same To tag). */
			gw_debug(d->log, "%d without SDP: the answer is the 18x's", status);
			sdp = g_strdup(d->early_sdp);
		}
		if (!sdp) {
			gw_warn(d->log, "%d answer without SDP: hanging up", status);
			send_bye(d, 488, "Answer without SDP");
			gw_sip_dialog_emit_ended(d, 488, "Answer without SDP");
			return;
		}
		gw_info(d->log, "answered: %d %s", status, phrase);
		struct gw_sip_event ev = { .type = GW_SIP_EV_ANSWERED, .code = status,
					   .reason = phrase, .sdp = sdp };
		gw_sip_dialog_emit(d, &ev);
		g_free(sdp);
		return;
	}
	if (d->state == GW_SIP_DLG_ESTABLISHED)
		return; /* e.g. nua finishing a request we stopped authenticating */
	text = gw_sip_reason_text(sip);
	gw_sip_dialog_emit_ended(d, visible_code(status), text ? text : phrase);
	g_free(text);
}

/* An answer nua holds for its Retry-After (gw_sip_held_answer) would
 * leave the browser waiting N s while the route's next trunk could answer:
 * a 503 takes the trunk out of service for N s instead, and the call ends
 * with the answer now, which fails over; the handle goes with nua's retry
 * (nua would never call it terminated).  true if so. */
static bool invite_retry_after(struct gw_sip_dialog *d, struct gw_sip_trunk *t, int status,
			       const char *phrase, const sip_t *sip)
{
	const sip_status_t *st;

	if (!gw_sip_held_answer(status, phrase, sip) || d->inbound)
		return false;
	st = sip->sip_status;
	gw_info(d->log, "%d %s with Retry-After: %lu: the call ends here (Sofia-SIP would send the "
		"INVITE again after it)", st->st_status, st->st_phrase,
		sip->sip_retry_after->af_delta);
	if (t)
		gw_sip_trunk_seen(t, st->st_status, st->st_phrase, sip); /* 503: out of service */
	invite_final(d, st->st_status, st->st_phrase, sip); /* ended (unless it was) */
	gw_sip_dialog_detach(d);
	return true;
}

static void invite_response(struct gw_sip_dialog *d, int status, const char *phrase,
			    const sip_t *sip)
{
	struct gw_sip_trunk *t = d->sip ? gw_sip_trunk_by_cfg(d->sip, d->trunk) : NULL;

	if (!d->reinvite_pending && d->state != GW_SIP_DLG_ESTABLISHED) {
		if (invite_retry_after(d, t, status, phrase, sip))
			return;
		if (t)
			gw_sip_trunk_seen(t, status, phrase, sip);
		if (!d->inbound && !d->ended)
			gw_sip_dialog_stop_timer(d); /* heard: the trunk's invite_timeout is met */
	}
	if (status > 100 && status < 300 && d->sip) {
		char ip[sizeof(d->peer_ip)];

		gw_sip_source_ip(d->sip->nua, ip, sizeof(ip));
		if (*ip)
			g_strlcpy(d->peer_ip, ip, sizeof(d->peer_ip));
	}
	if (status < 200) {
		if (status > 100 && !d->reinvite_pending && d->state != GW_SIP_DLG_ESTABLISHED) {
			char *sdp = gw_sip_body_sdp(sip);
			struct gw_sip_event ev = { .type = GW_SIP_EV_PROGRESS, .code = status,
						   .reason = phrase, .sdp = sdp };

			if (sdp) {
				g_free(d->early_sdp);
				g_free(d->early_tag);
				d->early_sdp = g_strdup(sdp);
				d->early_tag = g_strdup(sip && sip->sip_to ? sip->sip_to->a_tag : NULL);
			}
			gw_sip_dialog_emit(d, &ev);
			g_free(sdp);
		}
		return;
	}
	if (d->reinvite_pending) {
		char *sdp = status < 300 ? gw_sip_body_sdp(sip) : NULL;
		struct gw_sip_event ev = { .type = GW_SIP_EV_REINVITE_DONE,
					   .code = visible_code(status), .reason = phrase, .sdp = sdp };

		d->reinvite_pending = false;
		if (status < 300 && d->pending_sdp) {
			g_free(d->local_sdp);
			d->local_sdp = d->pending_sdp;
			d->pending_sdp = NULL;
		}
		gw_sip_dialog_emit(d, &ev);
		g_free(sdp);
		return;
	}
	invite_final(d, status, phrase, sip);
}

/* 401/407 on a request of this dialog: answer with the trunk's
 * credentials once per realm.  true when the request is being retried. */
static bool dialog_auth(struct gw_sip_dialog *d, int status, const sip_t *sip)
{
	const struct gw_trunk_config *t = d->trunk;
	const char *user;

	if (!t || !d->nh)
		return false;
	user = t->auth_username && *t->auth_username ? t->auth_username : t->username;
	return gw_sip_auth_answer(d->nh, d->realms, sip, status, user, t->password, d->log);
}

static bool is_response(nua_event_t event)
{
	switch (event) {
	case nua_r_invite:
	case nua_r_bye:
	case nua_r_cancel:
	case nua_r_info:
	case nua_r_refer:
	case nua_r_update:
	case nua_r_prack:
		return true;
	default:
		return false;
	}
}

/* A BYE we did not send ourselves came back: nua sends one only when the
 * session timer ran out (RFC 4028 section 10) or our 2xx was never
 * acknowledged. */
static void stack_bye_done(struct gw_sip_dialog *d)
{
	if (d->ended || d->bye_sent)
		return;
	gw_sip_dialog_emit_ended(d, 408, d->state == GW_SIP_DLG_ESTABLISHED ? "Session timeout"
									    : "Terminated");
}

static void state_changed(struct gw_sip_dialog *d, int status, const char *phrase, tagi_t tags[])
{
	int state = nua_callstate_init;

	tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
	if (state != nua_callstate_terminated)
		return;
	/* Terminations nobody reported yet: a re-INVITE answered 408/481,
	 * a transport failure, a BYE nua sent by itself. */
	if (!d->ended && status >= 300)
		gw_sip_dialog_emit_ended(d, visible_code(status), phrase);
	else if (!d->ended)
		stack_bye_done(d);
	gw_sip_dialog_detach(d);
}

static void ack_in(struct gw_sip_dialog *d, const sip_t *sip)
{
	char *sdp;

	if (!d->ack_sdp_expected)
		return;
	d->ack_sdp_expected = false;
	sdp = gw_sip_body_sdp(sip);
	struct gw_sip_event ev = { .type = GW_SIP_EV_ACK, .code = 200, .reason = "ACK", .sdp = sdp };
	gw_sip_dialog_emit(d, &ev);
	g_free(sdp);
}

static void bye_or_cancel_in(struct gw_sip_dialog *d, bool cancel, const sip_t *sip)
{
	char *text = gw_sip_reason_text(sip);

	if (cancel) {
		/* nua has answered the INVITE 487 itself. */
		d->final_sent = true;
		gw_sip_dialog_emit_ended(d, 487, text ? text : "Request Terminated");
	} else {
		gw_sip_dialog_emit_ended(d, 200, text ? text : "Bye");
	}
	g_free(text);
}

void gw_sip_dialog_event(struct gw_sip_dialog *d, nua_event_t event, int status,
			 const char *phrase, const sip_t *sip, tagi_t tags[])
{
	gw_obj_ref(d);
	if ((status == 401 || status == 407) && is_response(event) && dialog_auth(d, status, sip))
		goto out;
	if (is_response(event) && (status == 401 || status == 407) && d->nh)
		/* Given up: let nua finish the request it holds for credentials. */
		nua_authenticate(d->nh, TAG_END());
	switch (event) {
	case nua_r_invite:
		invite_response(d, status, phrase, sip);
		break;
	case nua_i_invite:
		gw_sip_session_reinvite_in(d, sip);
		break;
	case nua_i_ack:
		ack_in(d, sip);
		break;
	case nua_i_prack:
		gw_sip_inbound_prack(d, sip);
		break;
	case nua_i_cancel:
		bye_or_cancel_in(d, true, sip);
		break;
	case nua_i_bye:
		bye_or_cancel_in(d, false, sip);
		break;
	case nua_i_state:
		state_changed(d, status, phrase, tags);
		break;
	case nua_i_info:
		gw_sip_session_info_in(d, sip);
		break;
	case nua_i_update:
		gw_sip_session_update_in(d, sip);
		break;
	case nua_i_refer:
		gw_sip_session_refer_in(d, sip, tags);
		break;
	case nua_i_notify:
		gw_sip_session_notify_in(d, sip, tags);
		break;
	case nua_r_refer:
		gw_sip_session_refer_response(d, status, phrase);
		break;
	case nua_r_bye:
		if (status >= 200) /* (not a 5xx nua holds to send it again) */
			stack_bye_done(d);
		break;
	case nua_r_info:
	case nua_r_update:
	case nua_r_prack:
		if (status >= 300)
			gw_debug(d->log, "%s answered %d %s", nua_event_name(event), status, phrase);
		break;
	default:
		break;
	}
out:
	gw_obj_deref(d);
}

/* ---- public API ---- */

void gw_sip_dialog_bind(struct gw_sip_dialog *d, gw_sip_event_h *h, void *arg,
			const char *log_ctx)
{
	if (!d)
		return;
	d->h = h;
	d->arg = arg;
	if (log_ctx) {
		g_free(d->log);
		d->log = g_strdup(log_ctx);
	}
}

void gw_sip_dialog_end(struct gw_sip_dialog *d, int code, const char *reason)
{
	if (!d || d->ended)
		return;
	d->ended = true;
	gw_sip_dialog_stop_timer(d);
	if (!d->nh)
		return;
	if (code < 200 || code > 699)
		code = d->state == GW_SIP_DLG_ESTABLISHED ? 200 : 480;
	if (reason && !gw_sip_value_ok(reason))
		reason = NULL;
	if (d->inbound && !d->final_sent) {
		if (code < 300)
			code = 480;
		gw_info(d->log, "rejecting: %d %s", code, reason ? reason : "");
		nua_respond(d->nh, code, reason ? gw_sip_dialog_phrase(d, reason)
					       : sip_status_phrase(code),
			    TAG_IF(code == 503, SIPTAG_RETRY_AFTER_STR("5")), TAG_END());
		d->final_sent = true;
		return;
	}
	if (d->state == GW_SIP_DLG_ESTABLISHED) {
		/* A transfer we accepted ends with its outcome (RFC 3515),
		 * unless gw_sip_dialog_refer_notify reported it already
		 * (then refer_event is NULL and nothing is sent). */
		if (code == 200)
			gw_sip_session_refer_notify(d, 200, "OK", true);
		else
			gw_sip_session_refer_notify(d, 503, "Service Unavailable", true);
		gw_info(d->log, "hanging up: BYE%s%s", reason ? " " : "", reason ? reason : "");
		send_bye(d, code, reason);
		return;
	}
	if (!d->inbound) {
		gw_info(d->log, "cancelling");
		nua_cancel(d->nh, TAG_END());
	}
}

const char *gw_sip_dialog_peer_ip(const struct gw_sip_dialog *d)
{
	return d ? d->peer_ip : "";
}

const char *gw_sip_dialog_call_id(const struct gw_sip_dialog *d)
{
	return d && d->call_id ? d->call_id : "";
}

const struct gw_trunk_config *gw_sip_dialog_trunk(const struct gw_sip_dialog *d)
{
	return d ? d->trunk : NULL;
}

bool gw_sip_dialog_established(const struct gw_sip_dialog *d)
{
	return d && d->state == GW_SIP_DLG_ESTABLISHED;
}
