/* inbound.c — INVITEs from the SIP side: the source must be in a trunk's
 * allowed networks or the request carry a trunk's digest credentials
 * (inauth.c: else 407 / 403), the call count under sip.max_calls (else
 * 503 + Retry-After), then the call layer's incoming handler gets the
 * request; responses to it (gw_sip_dialog_respond) and the ring timeout.
 * Control loop.  The ring timer holds a reference on its dialog.
 */
#include <errno.h>
#include <string.h>
#include "sip_priv.h"
#include "gw/log.h"
#include "gw/obj.h"

#define GW_SIP_MAX_X_HEADERS 32

static gboolean ring_expired(gpointer arg)
{
	struct gw_sip_dialog *d = arg;
	char *hdr;

	d->timer = 0;
	if (d->final_sent || d->ended || !d->nh)
		return G_SOURCE_REMOVE;
	gw_info(d->log, "no answer within %d s: 480", d->sip ? d->sip->cfg->sip_ring_timeout : 0);
	hdr = gw_sip_reason_header(480, "No answer");
	nua_respond(d->nh, 480, "No answer", SIPTAG_REASON_STR(hdr), TAG_END());
	g_free(hdr);
	d->final_sent = true;
	gw_sip_dialog_emit_ended(d, 480, "No answer");
	return G_SOURCE_REMOVE;
}

static void reject(struct gw_sip *sip, nua_handle_t *nh, int code, const char *phrase)
{
	nua_respond(nh, code, phrase, TAG_IF(code == 503, SIPTAG_RETRY_AFTER_STR("5")),
		    NUTAG_WITH_THIS(sip->nua), TAG_END());
}

static char *url_string(const url_t *url)
{
	if (!url || !url->url_host)
		return g_strdup("");
	return g_strdup_printf("%s:%s%s%s%s%s", url->url_scheme ? url->url_scheme : "sip",
			       url->url_user ? url->url_user : "", url->url_user ? "@" : "",
			       url->url_host, url->url_port ? ":" : "",
			       url->url_port ? url->url_port : "");
}

/* The X- headers of @msg, at most GW_SIP_MAX_X_HEADERS (strings borrowed
 * from the message, valid during the handler). */
static struct gw_sip_header *x_headers(const sip_t *msg, unsigned *n)
{
	struct gw_sip_header *h = g_new0(struct gw_sip_header, GW_SIP_MAX_X_HEADERS);

	*n = 0;
	for (const sip_unknown_t *u = msg->sip_unknown; u && *n < GW_SIP_MAX_X_HEADERS;
	     u = u->un_next) {
		if (!u->un_name || !u->un_value || g_ascii_strncasecmp(u->un_name, "X-", 2))
			continue;
		h[*n].name = u->un_name;
		h[*n].value = u->un_value;
		(*n)++;
	}
	return h;
}

static void offer_to_handler(struct gw_sip *sip, struct gw_sip_dialog *d, const sip_t *msg,
			     struct gw_sip_trunk *t, const char *source)
{
	struct gw_sip_incoming in = { 0 };
	const sip_from_t *from = msg->sip_from;
	char *ruri_user = gw_sip_url_user(msg->sip_request ? msg->sip_request->rq_url : NULL);
	char *to_user = gw_sip_url_user(msg->sip_to ? msg->sip_to->a_url : NULL);
	struct gw_sip_caller caller;
	char *from_uri = url_string(from ? from->a_url : NULL);
	char *sdp = gw_sip_body_sdp(msg);
	struct gw_sip_header *hdrs;

	gw_sip_caller(t->cfg, msg, &caller);
	in.call_id = d->call_id;
	in.ruri_user = ruri_user;
	in.to_user = to_user;
	in.from_user = caller.user;
	in.from_display = caller.display;
	in.asserted = caller.asserted;
	in.withheld = caller.withheld;
	in.from_uri = from_uri;
	in.source = source;
	in.trunk = t->cfg;
	in.sdp = sdp;
	hdrs = x_headers(msg, &in.n_headers);
	in.headers = hdrs;
	d->delayed_offer = !sdp;
	d->rel100 = sip->cfg->sip_100rel && msg && sip_has_feature(msg->sip_require, "100rel");
	gw_info(d->log, "INVITE from %s (%s) to %s via trunk %s%s%s%s", from_uri, source, ruri_user,
		gw_sip_str(t->cfg->name), sdp ? "" : " (no offer)",
		caller.asserted ? ", asserted caller " : caller.withheld ? ", caller withheld" : "",
		caller.asserted ? caller.user : "");
	if (sip->cfg->sip_ring_timeout > 0)
		d->timer = g_timeout_add_seconds_full(G_PRIORITY_DEFAULT,
						      (guint)sip->cfg->sip_ring_timeout,
						      ring_expired, gw_obj_ref(d), gw_obj_release);
	sip->incoming(d, &in, sip->incoming_arg);
	g_free(hdrs);
	g_free(ruri_user);
	g_free(to_user);
	gw_sip_caller_clear(&caller);
	g_free(from_uri);
	g_free(sdp);
}

void gw_sip_inbound_invite(struct gw_sip *sip, nua_handle_t *nh, const sip_t *msg)
{
	GInetAddress *addr = NULL;
	char *source = gw_sip_source(sip->nua, &addr);
	const char *call_id = msg && msg->sip_call_id && msg->sip_call_id->i_id
				      ? msg->sip_call_id->i_id : "";
	struct gw_sip_trunk *t = addr ? gw_sip_trunk_for_source(sip, addr) : NULL;
	struct gw_sip_dialog *d;
	char *log;
	int max = sip->cfg->sip_max_calls;

	if (!msg || !source) {
		gw_warn("sip", "INVITE %s: source address unknown: 500", call_id);
		reject(sip, nh, SIP_500_INTERNAL_SERVER_ERROR);
		goto out;
	}
	/* Outside every allowed network: digest credentials may name the
	 * trunk (inauth.c answers 407 or 403 otherwise). */
	if (!t && !(t = gw_sip_inauth_check(sip, nh, msg, source)))
		goto out;
	if (!t->cfg->rel100 && sip_has_feature(msg->sip_require, "100rel")) {
		/* nua took it (sip.100rel); this trunk does not */
		gw_info("sip", "INVITE %s from %s requires 100rel, off for trunk %s: 420",
			call_id, source, gw_sip_str(t->cfg->name));
		nua_respond(nh, SIP_420_BAD_EXTENSION, SIPTAG_UNSUPPORTED_STR("100rel"),
			    NUTAG_WITH_THIS(sip->nua), TAG_END());
		goto out;
	}
	if (sip->shutting_down || !sip->incoming) {
		reject(sip, nh, SIP_503_SERVICE_UNAVAILABLE);
		goto out;
	}
	if (max > 0 && sip->n_calls >= (unsigned)max) {
		gw_warn("sip", "INVITE %s from %s refused (503): sip.max_calls = %d reached",
			call_id, source, max);
		reject(sip, nh, SIP_503_SERVICE_UNAVAILABLE);
		goto out;
	}
	log = g_strdup_printf("sip in %.12s", call_id);
	d = gw_sip_dialog_new(sip, true, log);
	g_free(log);
	d->nh = nh;
	nua_handle_bind(nh, &d->magic);
	d->trunk = t->cfg;
	d->call_id = g_strdup(call_id);
	gw_sip_ip_string(addr, d->peer_ip, sizeof(d->peer_ip));
	d->counted = true;
	sip->n_calls++;
	gw_obj_ref(d);
	offer_to_handler(sip, d, msg, t, source);
	gw_obj_deref(d);
out:
	if (addr)
		g_object_unref(addr);
	g_free(source);
}

void gw_sip_inbound_prack(struct gw_sip_dialog *d, const sip_t *msg)
{
	int code = d->held_code;
	char *sdp = d->held_sdp, *reason = d->held_reason;

	d->prack_wait = false;
	if (d->early_offer && !d->early_answered) {
		char *answer = gw_sip_body_sdp(msg);
		struct gw_sip_event ev = { .type = GW_SIP_EV_EARLY_ANSWER, .code = 200,
					   .reason = "PRACK", .sdp = answer };

		d->early_answered = true;
		gw_debug(d->log, "PRACK %s", answer ? "answers our offer" : "without an answer to our offer");
		gw_sip_dialog_emit(d, &ev); /* may end the dialog: the respond below is refused */
		g_free(answer);
	}
	if (!code)
		return;
	d->held_code = 0;
	d->held_sdp = d->held_reason = NULL;
	gw_debug(d->log, "PRACK received: sending the answer held for it");
	if (!gw_sip_dialog_respond(d, code, reason, sdp)) {
		struct gw_sip_event ev = { .type = GW_SIP_EV_ANSWER_SENT };

		gw_sip_dialog_emit(d, &ev);
	}
	g_free(sdp);
	g_free(reason);
}

bool gw_sip_dialog_answer_held(const struct gw_sip_dialog *d)
{
	return d && d->held_code;
}

bool gw_sip_dialog_early_offer(const struct gw_sip_dialog *d)
{
	return d && d->inbound && d->delayed_offer && d->rel100 && !d->sent_18x && !d->final_sent;
}

int gw_sip_dialog_respond(struct gw_sip_dialog *d, int code, const char *reason,
			  const char *sdp)
{
	bool early = gw_sip_dialog_early_offer(d);
	const char *contact_user;

	if (!d || !d->inbound || code <= 100 || code > 699)
		return EINVAL;
	if (d->final_sent || d->ended || !d->nh || d->held_code)
		return EALREADY;
	/* SDP where offer/answer puts it (see sip.h) */
	if (code >= 200 && code < 300 && !sdp != d->early_offer)
		return EINVAL;
	if (code < 200 && (early ? !sdp : sdp && d->delayed_offer))
		return EINVAL;
	if (reason && !gw_sip_value_ok(reason))
		reason = NULL;
	if (!reason)
		reason = sip_status_phrase(code) ? sip_status_phrase(code) : "Unknown";
	if (code < 300 && code >= 200 && d->prack_wait) {
		/* nua would hold it too, but then a hang-up before the PRACK
		 * would be a BYE on an early dialog and the 200 still go out
		 * after it: held here, the call is not answered until then
		 * (gw_sip_dialog_end rejects it instead). */
		gw_info(d->log, "answer held until the PRACK of our reliable 18x");
		gw_sip_dialog_stop_timer(d);
		d->held_code = code;
		d->held_reason = g_strdup(reason);
		d->held_sdp = g_strdup(sdp);
		return 0;
	}
	reason = gw_sip_dialog_phrase(d, reason);
	contact_user = gw_sip_contact_user(d->trunk);
	nua_respond(d->nh, code, reason,
		    TAG_IF(contact_user, NUTAG_M_USERNAME(contact_user)),
		    TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		    TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)),
		    TAG_IF(code == 503, SIPTAG_RETRY_AFTER_STR("5")),
		    TAG_END());
	if (code < 200) {
		gw_debug(d->log, "sent %d %s%s%s", code, reason, d->rel100 ? " (reliably)" : "",
			 early ? " with our offer" : "");
		d->prack_wait = d->prack_wait || d->rel100;
		d->sent_18x = true;
		if (early) {
			d->early_offer = true;
			g_free(d->local_sdp);
			d->local_sdp = g_strdup(sdp);
		}
		return 0;
	}
	d->final_sent = true;
	gw_sip_dialog_stop_timer(d);
	if (code < 300) {
		gw_info(d->log, "answered %d %s", code, reason);
		d->state = GW_SIP_DLG_ESTABLISHED;
		if (sdp) {
			g_free(d->local_sdp);
			d->local_sdp = g_strdup(sdp);
		}
		/* Delayed offer: our 2xx is the offer, the ACK the answer
		 * (unless the offer went in the reliable 18x). */
		d->ack_sdp_expected = d->delayed_offer && !d->early_offer;
	} else {
		/* The call layer chose to reject: nothing more to report. */
		gw_info(d->log, "rejected %d %s", code, reason);
		d->ended = true;
	}
	return 0;
}
