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

/* Collect the browser's `headers` (X- names, string values) into @out;
 * returns the count, or -1 after replying bad_request. */
static int collect_headers(struct gw_call *call, json_t *msg, json_t *tid,
			   struct gw_sip_header *out)
{
	json_t *headers = json_object_get(msg, "headers"), *v;
	const char *name;
	int n = 0;

	if (!headers || json_is_null(headers))
		return 0;
	if (!json_is_object(headers) || json_object_size(headers) > MAX_HEADERS) {
		gw_ws_session_error(call->session, tid, call->id, GW_ERR_BAD_REQUEST,
				    "headers must be an object of at most %d strings", MAX_HEADERS);
		return -1;
	}
	json_object_foreach(headers, name, v) {
		if (g_ascii_strncasecmp(name, "X-", 2) || !json_is_string(v)) {
			gw_ws_session_error(call->session, tid, call->id, GW_ERR_BAD_REQUEST,
					    "header '%.64s': only X- headers with string values", name);
			return -1;
		}
		out[n].name = name;
		out[n].value = json_string_value(v);
		n++;
	}
	return n;
}

void gw_call_outbound_start(struct gw_call *call, json_t *msg, json_t *tid, const char *to)
{
	struct gw_sip *sip = gw_call_sip();
	struct gw_sip_header headers[MAX_HEADERS];
	struct gw_sip_invite_params p = { 0 };
	const struct gw_trunk_config *trunk;
	char *offer = NULL, *reason = NULL;
	bool direct = false;
	int n, rc;

	trunk = gw_sip_route(sip, to, &direct);
	if ((n = collect_headers(call, msg, tid, headers)) < 0) {
		gw_call_end(call, 400, "bad headers", false);
		goto out;
	}
	if (gw_call_sip_prepare(call, trunk, NULL)) {
		gw_ws_session_error(call->session, tid, call->id, GW_ERR_INTERNAL, "no RTP port free");
		gw_call_end(call, 503, "no RTP port free", false);
		goto out;
	}
	if (!(offer = gw_call_sip_offer(call, &reason))) {
		gw_error(call->log, "cannot build the SIP offer: %s", reason);
		gw_ws_session_error(call->session, tid, call->id, GW_ERR_INTERNAL, "cannot build the SIP offer");
		gw_call_end(call, 500, "cannot build the SIP offer", false);
		goto out;
	}
	p.trunk = trunk;
	p.to = to;
	p.from_user = gw_ws_session_user(call->session);
	p.caller_id = gw_ws_session_caller_id(call->session);
	p.from_display = gw_ws_session_caller_name(call->session);
	call->privacy = json_is_true(json_object_get(msg, "privacy")); /* checked by call.c */
	p.privacy = call->privacy;
	p.sdp = offer;
	p.headers = headers;
	p.n_headers = (unsigned)n;
	p.log_ctx = call->log;
	rc = gw_sip_invite(sip, &p, gw_call_sip_event, call, &call->dialog);
	if (rc) {
		const char *code = rc == EAGAIN ? GW_ERR_LIMIT : rc == EINVAL ? GW_ERR_BAD_REQUEST
									: GW_ERR_INTERNAL;

		gw_ws_session_error(call->session, tid, call->id, code, "cannot call '%s': %s", to,
				    rc == EAGAIN ? "too many SIP calls" : g_strerror(rc));
		gw_call_end(call, rc == EAGAIN ? 503 : 500, "INVITE not sent", false);
		goto out;
	}
	gw_info(call->log, "INVITE to %s via %s sent %" G_GINT64_FORMAT " us after the call", to,
		trunk ? trunk->name : "direct", g_get_monotonic_time() - call->t_created);
	call->sip_state = GW_CALL_SIP_TRYING;
	gw_call_bridge_start(call);
out:
	g_free(offer);
	g_free(reason);
}
