/* transfer.c — transfers the far end asks for (an incoming REFER, RFC 3515,
 * only with sip.accept_refer; the SIP layer has answered it 202 and sent
 * NOTIFY 100).  The gateway is the transferee: it sends a new INVITE to the
 * Refer-To target with a fresh offer from the call's own SIP RTP socket,
 * while the browser keeps talking to the transferor (A).  When the target
 * (B) answers, the call switches to B's dialog and media, and A's dialog
 * ends with NOTIFY 200 + BYE.  When B fails or does not answer within
 * sip.ring_timeout, the call stays with A if A is still there (its media
 * never left A), else it ends with B's failure.  The browser leg never
 * renegotiates: it hears `state transferring` {code, reason, final, to}
 * for the progress and a failure, and `state connected` once B answered.
 *
 * Control loop.  A transfer in progress is owned by its call
 * (call->transfer); it holds a reference on the call and one on B's dialog,
 * which reports to gw_call_sip_event with the call as arg (sipleg.c tells
 * the two dialogs apart by pointer and hands B's events here).
 */
#include <errno.h>
#include <string.h>
#include "call_priv.h"
#include "gw/config.h"
#include "gw/log.h"
#include "gw/obj.h"
#include "gw/signal.h"
#include "gw/sip.h"

struct gw_call_transfer {
	struct gw_call *call;                /* reference */
	struct gw_sip_dialog *dialog;        /* reference: our INVITE to the target */
	const struct gw_trunk_config *trunk; /* the target's trunk (config's); NULL: direct */
	char *to;                            /* the target as shown to the browser (UTF-8) */
	guint watch;                         /* sip.ring_timeout timer (control loop) */
};

/* `state transferring` to the browser. */
static void report(struct gw_call *call, const char *to, int code, const char *reason, bool final)
{
	char *text = gw_call_text(reason);

	gw_info(call->log, "state transferring %d %s%s", code, text, final ? " (final)" : "");
	gw_call_send(call, json_pack("{s:s, s:s, s:i, s:s, s:b, s:s}", "type", "state", "state",
				     "transferring", "code", code, "reason", text, "final", final,
				     "to", to));
	g_free(text);
}

/* ---- the Refer-To target ---- */

static bool has_prefix_ci(const char *s, const char *prefix)
{
	return !g_ascii_strncasecmp(s, prefix, strlen(prefix));
}

/* Length of a "sip:" / "sips:" scheme, 0 when none. */
static size_t sip_scheme_len(const char *s)
{
	return has_prefix_ci(s, "sip:") ? 4 : has_prefix_ci(s, "sips:") ? 5 : 0;
}

/* The host of a SIP URI ("sip:user@HOST:port;params"), g_free; "" when none. */
static char *uri_host(const char *uri)
{
	const char *p = uri + sip_scheme_len(uri), *at = strchr(p, '@'), *end;

	if (at)
		p = at + 1;
	if (*p == '[')
		end = strchr(p, ']') ? strchr(p, ']') + 1 : p + strlen(p);
	else
		end = p + strcspn(p, ":;?>");
	return g_strndup(p, (gsize)(end - p));
}

/* The user of a SIP URI without password or parameters, g_free; NULL when none. */
static char *uri_user(const char *uri)
{
	const char *p = uri + sip_scheme_len(uri), *at = strchr(p, '@');

	if (!at)
		return NULL;
	return g_strndup(p, strcspn(p, ":;@"));
}

/* Where the far end's @refer_to sends the call: *@to (g_free) is what
 * gw_sip_invite dials, *@trunk the trunk (NULL: direct).  A SIP URI whose
 * host is the call's trunk's goes through that trunk (its credentials and
 * outbound proxy: the PBX transfers to one of its own extensions), any
 * other SIP URI goes direct, a bare number goes through the call's trunk
 * (or the route for it).  The browser's token must allow the destination
 * (the number, or the URI when direct): a transfer is a call the gateway
 * places on the browser user's behalf.  0, or ENOTSUP (attended transfer,
 * a method other than INVITE), EPERM, ENOENT (no trunk), EINVAL. */
static int parse_target(struct gw_call *call, const char *refer_to, char **to,
			const struct gw_trunk_config **trunk, const char **why)
{
	char *s = g_strstrip(g_strdup(refer_to)), *q, *host = NULL, *user = NULL;
	const char *check;
	const struct gw_trunk_config *via = NULL;
	bool direct = false, other_method;
	int rc = 0;

	if (*s == '<') {
		memmove(s, s + 1, strlen(s));
		if ((q = strchr(s, '>')))
			*q = '\0';
	}
	/* RFC 3515 section 2.1: URI headers become headers of the new request;
	 * we send none of them, and Replaces asks for an attended transfer. */
	if ((q = strchr(s, '?'))) {
		char *lower = g_ascii_strdown(q, -1);
		bool replaces = strstr(lower, "replaces") != NULL;

		g_free(lower);
		if (replaces) {
			*why = "attended transfer (Replaces) is not supported";
			rc = ENOTSUP;
			goto out;
		}
		*q = '\0';
	}
	q = g_ascii_strdown(s, -1);
	other_method = strstr(q, ";method=") && !strstr(q, ";method=invite");
	g_free(q);
	if (other_method) {
		*why = "Refer-To asks for a method other than INVITE";
		rc = ENOTSUP;
		goto out;
	}
	if (!*s || strpbrk(s, " \t\r\n\"")) {
		*why = "unusable Refer-To";
		rc = EINVAL;
		goto out;
	}
	if (sip_scheme_len(s) || strchr(s, '@')) {
		host = uri_host(s);
		user = uri_user(s);
		if (call->trunk && call->trunk->proxy) {
			char *th = uri_host(call->trunk->proxy);

			if (*host && !g_ascii_strcasecmp(host, th))
				via = call->trunk;
			g_free(th);
		}
		check = via && user ? user : s;
	} else {
		via = call->trunk ? call->trunk : gw_sip_route(gw_call_sip(), s, &direct);
		if (!via) {
			*why = "no trunk for the transfer target";
			rc = ENOENT;
			goto out;
		}
		check = s;
	}
	if (!gw_call_destination_allowed(call->session, check)) {
		*why = "the browser user may not call the transfer target";
		rc = EPERM;
		goto out;
	}
	*to = g_strdup(s);
	*trunk = via;
out:
	g_free(host);
	g_free(user);
	g_free(s);
	return rc;
}

/* ---- life of a transfer ---- */

/* Forget the transfer (its dialog is over or now the call's). */
static void finish(struct gw_call_transfer *x)
{
	struct gw_call *call = x->call;

	if (x->watch)
		g_source_remove(x->watch);
	call->transfer = NULL;
	gw_obj_deref(x->dialog);
	g_free(x->to);
	g_free(x);
	gw_obj_deref(call);
}

/* The target did not take the call (its dialog is over). */
static void fail(struct gw_call_transfer *x, int code, const char *reason)
{
	struct gw_call *call = gw_obj_ref(x->call);
	char *why = g_strdup_printf("transfer failed: %d %s", code, reason);

	report(call, x->to, code, reason, true);
	gw_warn(call->log, "transfer to %s failed: %d %s; %s", x->to, code, reason,
		call->dialog ? "the call stays with the transferor" : "the transferor has left");
	finish(x);
	/* A stays in the call: tell it the transfer failed (NOTIFY with the
	 * target's status, RFC 3515 section 2.4.5), so it may REFER again. */
	if (call->dialog) {
		gw_sip_dialog_refer_notify(call->dialog, code, NULL);
		gw_call_bridge_rtp_pause(call, false);  /* A's media again */
	} else {
		gw_call_end(call, code, why, true);
	}
	g_free(why);
	gw_obj_deref(call);
}

/* The target answered: the call is now B's. */
static void switch_to_target(struct gw_call_transfer *x, struct gw_sip_event *ev)
{
	struct gw_call *call = x->call;
	struct gw_sip_dialog *old = call->dialog;
	const struct gw_trunk_config *old_trunk = call->trunk;
	bool held = call->remote_hold;

	/* B's media state is its own: A's hold (RFC 5589 puts us on hold
	 * before the REFER) does not carry over, and symmetric RTP follows
	 * B's trunk. */
	call->remote_hold = false;
	call->trunk = x->trunk;
	if (gw_call_sip_answer_apply(call, x->dialog, ev->sdp ? ev->sdp : "")) {
		call->remote_hold = held;
		call->trunk = old_trunk;
		gw_sip_dialog_end(x->dialog, 488, "Unusable SDP answer");
		fail(x, 488, "the transfer target answered without usable audio");
		return;
	}
	call->dialog = g_steal_pointer(&x->dialog);
	call->reinvite_pending = false; /* a re-INVITE of A's, if any, is moot */
	gw_info(call->log, "transferred to %s (%s)", x->to, x->trunk ? x->trunk->name : "direct");
	gw_call_bridge_rtp_pause(call, false);  /* B's media from now on */
	finish(x);
	if (old) {
		gw_sip_dialog_end(old, 200, "transferred"); /* NOTIFY 200 OK, then BYE */
		gw_obj_deref(old);
	}
	gw_call_send_state(call, "connected");
}

/* The target rang for sip.ring_timeout seconds. */
static gboolean on_timeout(gpointer arg)
{
	struct gw_call_transfer *x = arg;

	x->watch = 0;
	gw_sip_dialog_end(x->dialog, 408, "No answer");
	fail(x, 408, "no answer from the transfer target");
	return G_SOURCE_REMOVE;
}

void gw_call_transfer_abort(struct gw_call *call)
{
	struct gw_call_transfer *x = call->transfer;

	if (!x)
		return;
	gw_info(call->log, "call ended during the transfer: cancelling %s", x->to);
	gw_sip_dialog_end(x->dialog, 487, "Call ended");
	finish(x);
}

bool gw_call_transfer_owns(const struct gw_call *call, const struct gw_sip_dialog *d)
{
	return call->transfer && call->transfer->dialog == d;
}

void gw_call_transfer_event(struct gw_call *call, struct gw_sip_dialog *d, struct gw_sip_event *ev)
{
	struct gw_call_transfer *x = call->transfer;

	if (ev->type == GW_SIP_EV_REOFFER)
		ev->answer_code = 488; /* not ours yet: nothing to offer on */
	if (call->state == GW_CALL_ENDED) {
		if (ev->type != GW_SIP_EV_ENDED)
			gw_sip_dialog_end(d, 487, "Call ended");
		finish(x);
		return;
	}
	switch (ev->type) {
	case GW_SIP_EV_PROGRESS:
		/* B's early media is not played: the browser still talks to A. */
		report(call, x->to, ev->code, ev->reason, false);
		break;
	case GW_SIP_EV_ANSWERED:
		switch_to_target(x, ev);
		break;
	case GW_SIP_EV_ENDED:
		fail(x, ev->code, *ev->reason ? ev->reason : "transfer target unreachable");
		break;
	default:
		break;
	}
}

/* Refuse a transfer before any INVITE went out. */
static void refuse(struct gw_call *call, const char *to, int code, const char *why)
{
	char *shown = gw_call_text(to);

	gw_warn(call->log, "transfer to %s refused: %s", shown, why);
	report(call, shown, code, why, true);
	g_free(shown);
	if (call->dialog) /* the transferor's REFER subscription ends with our refusal */
		gw_sip_dialog_refer_notify(call->dialog, code, NULL);
}

void gw_call_transfer_start(struct gw_call *call, const char *refer_to)
{
	struct gw_sip_invite_params p = { 0 };
	struct gw_call_transfer *x = NULL;
	const struct gw_trunk_config *trunk = NULL;
	const struct gw_config *cfg = gw_call_config();
	char *to = NULL, *offer = NULL, *reason = NULL;
	const char *why = NULL;
	int rc;

	gw_info(call->log, "the far end transfers the call to %s (REFER)", refer_to);
	if (call->transfer) {
		refuse(call, refer_to, 491, "a transfer is in progress");
		goto out;
	}
	if (call->state != GW_CALL_ACTIVE || call->sip_state != GW_CALL_SIP_CONNECTED ||
	    !call->sip_media_known || !call->rtp) {
		refuse(call, refer_to, 481, "the call is not connected");
		goto out;
	}
	rc = parse_target(call, refer_to, &to, &trunk, &why);
	if (rc) {
		refuse(call, refer_to, rc == EPERM ? 403 : rc == ENOENT ? 404 : rc == ENOTSUP ? 501 : 400,
		       why);
		goto out;
	}
	/* Same SIP RTP socket, so the switch only moves where it sends. */
	if (!(offer = gw_call_sip_offer(call, &reason))) {
		refuse(call, to, 500, reason ? reason : "cannot build the SIP offer");
		goto out;
	}
	x = g_new0(struct gw_call_transfer, 1);
	x->call = gw_obj_ref(call);
	x->trunk = trunk;
	x->to = gw_call_text(to);
	p.trunk = trunk;
	p.to = to;
	p.from_user = gw_ws_session_user(call->session);
	p.caller_id = gw_ws_session_caller_id(call->session);
	p.from_display = gw_ws_session_caller_name(call->session);
	p.privacy = call->privacy;
	p.sdp = offer;
	p.log_ctx = call->log;
	rc = gw_sip_invite(gw_call_sip(), &p, gw_call_sip_event, call, &x->dialog);
	if (rc) {
		refuse(call, to, rc == EAGAIN ? 503 : rc == EINVAL ? 400 : 500,
		       rc == EAGAIN ? "too many SIP calls" : "INVITE not sent");
		finish(x);
		goto out;
	}
	call->transfer = x;
	x->watch = g_timeout_add_seconds((guint)cfg->sip_ring_timeout, on_timeout, x);
	/* the transferor may fall silent (or leave) while the target rings */
	gw_call_bridge_rtp_pause(call, true);
	gw_info(call->log, "transfer: INVITE to %s via %s", to, trunk ? trunk->name : "direct");
	report(call, x->to, 100, "Trying", false);
out:
	g_free(to);
	g_free(offer);
	g_free(reason);
}
