/* outbound.c — a browser's `call` to a number or SIP URI: the INVITE on the
 * routed trunk, sent at once, while the browser's ICE/DTLS proceeds in
 * parallel (call.c answers the browser when its candidates are gathered).
 * Control loop.
 */
#include <errno.h>
#include <string.h>
#include "call_priv.h"
#include "gw/config.h"
#include "gw/log.h"
#include "gw/obj.h"
#include "gw/signal.h"
#include "gw/sip.h"

#define MAX_HEADERS 16

bool gw_call_outbound_routable(const char *to)
{
	bool direct = false;

	if (!gw_call_sip())
		return false;
	return gw_sip_route(gw_call_sip(), to, &direct) || direct;
}

/* Keep the browser's `headers` (X- names, string values) for the call's
 * INVITEs; false after replying bad_request. */
static bool keep_headers(struct gw_call *call, json_t *msg, json_t *tid)
{
	json_t *headers = json_object_get(msg, "headers"), *v;
	const char *name;

	if (!headers || json_is_null(headers))
		return true;
	if (!json_is_object(headers) || json_object_size(headers) > MAX_HEADERS) {
		gw_ws_session_error(call->session, tid, call->id, GW_ERR_BAD_REQUEST,
				    "headers must be an object of at most %d strings", MAX_HEADERS);
		return false;
	}
	json_object_foreach(headers, name, v) {
		if (g_ascii_strncasecmp(name, "X-", 2) || !json_is_string(v)) {
			gw_ws_session_error(call->session, tid, call->id, GW_ERR_BAD_REQUEST,
					    "header '%.64s': only X- headers with string values", name);
			return false;
		}
	}
	call->x_headers = json_incref(headers);
	return true;
}

/* The INVITE of @call to call->to on @trunk (NULL: direct): our SIP side
 * for that trunk, on the call's RTP port when it has one (a failover).
 * 0, or EADDRINUSE (no RTP port), EPROTO (no offer), or gw_sip_invite's
 * error; *@why says which (static text). */
static int send_invite(struct gw_call *call, const struct gw_trunk_config *trunk, const char **why)
{
	struct gw_sip_header headers[MAX_HEADERS];
	struct gw_sip_invite_params p = { 0 };
	char *offer = NULL, *reason = NULL;
	const char *name;
	json_t *v;
	int rc;

	rc = gw_call_sip_prepare(call, trunk, call->rtp);
	if (rc) {
		*why = "no RTP port free";
		rc = EADDRINUSE;
		goto out;
	}
	if (!(offer = gw_call_sip_offer(call, &reason))) {
		gw_error(call->log, "cannot build the SIP offer: %s", reason);
		*why = "cannot build the SIP offer";
		rc = EPROTO;
		goto out;
	}
	json_object_foreach(call->x_headers, name, v) {
		headers[p.n_headers].name = name;
		headers[p.n_headers++].value = json_string_value(v);
	}
	p.trunk = trunk;
	p.to = call->to;
	p.from_user = gw_ws_session_user(call->session);
	p.caller_id = gw_ws_session_caller_id(call->session);
	p.from_display = gw_ws_session_caller_name(call->session);
	p.privacy = call->privacy;
	p.sdp = offer;
	p.headers = headers;
	p.log_ctx = call->log;
	rc = gw_sip_invite(gw_call_sip(), &p, gw_call_sip_event, call, &call->dialog);
	*why = rc == EAGAIN ? "too many SIP calls" : "INVITE not sent";
	if (!rc)
		gw_info(call->log, "INVITE to %s via %s sent %" G_GINT64_FORMAT " us after the call",
			call->to, trunk ? trunk->name : "direct",
			g_get_monotonic_time() - call->t_created);
out:
	g_free(offer);
	g_free(reason);
	return rc;
}

void gw_call_outbound_start(struct gw_call *call, json_t *msg, json_t *tid, const char *to)
{
	const struct gw_trunk_config *trunk;
	const char *why = NULL;
	bool direct = false;
	int rc;

	trunk = gw_sip_route(gw_call_sip(), to, &direct);
	if (!keep_headers(call, msg, tid)) {
		gw_call_end(call, 400, "bad headers", false);
		return;
	}
	call->to = g_strdup(to);
	call->privacy = json_is_true(json_object_get(msg, "privacy")); /* checked by call.c */
	rc = send_invite(call, trunk, &why);
	if (rc) {
		const char *code = rc == EAGAIN ? GW_ERR_LIMIT : rc == EINVAL ? GW_ERR_BAD_REQUEST
									: GW_ERR_INTERNAL;

		gw_ws_session_error(call->session, tid, call->id, code, "cannot call '%s': %s", to,
				    rc == EINVAL ? g_strerror(rc) : why);
		gw_call_end(call, rc == EAGAIN || rc == EADDRINUSE ? 503 : 500, why, false);
		return;
	}
	call->sip_state = GW_CALL_SIP_TRYING;
	gw_call_bridge_start(call);
}

bool gw_call_outbound_failover(struct gw_call *call, int code)
{
	const struct gw_trunk_config *next;
	const char *why = NULL;

	if (call->kind != GW_CALL_OUTBOUND || !call->trunk || call->sip_state != GW_CALL_SIP_TRYING ||
	    (code != 408 && (code < 500 || code > 599)))
		return false;
	next = gw_sip_route_next(gw_call_sip(), call->to, call->trunk);
	if (!next)
		return false;
	gw_info(call->log, "trunk %s answered %d before ringing: trying trunk %s", call->trunk->name,
		code, next->name);
	if (send_invite(call, next, &why)) {
		gw_warn(call->log, "failover to trunk %s: %s", next->name, why);
		return false;
	}
	return true;
}
