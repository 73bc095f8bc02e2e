/* session.c — requests inside an established dialog: re-INVITE and UPDATE
 * offers from the far end (REOFFER), re-INVITE without SDP, SIP INFO DTMF
 * both ways, REFER both ways with its NOTIFY sipfrag progress, and our own
 * re-INVITE (hold / unhold).
 * Control loop.  Responses to requests handled here are sent inside the
 * nua callback (NUTAG_WITH_THIS), once the call layer's handler returned.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>
#include "sip_priv.h"
#include "gw/log.h"

#define SDP_TAGS(sdp) \
	TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")), TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp))

static nua_t *dialog_nua(const struct gw_sip_dialog *d)
{
	return d->sip ? d->sip->nua : NULL;
}

/* Ask the handler for an answer to @offer and send it: 2xx with its SDP,
 * else its failure code, else 488. */
static void answer_offer(struct gw_sip_dialog *d, const char *offer, const char *what)
{
	struct gw_sip_event ev = { .type = GW_SIP_EV_REOFFER, .code = 0, .reason = what,
				   .sdp = offer };
	int code;

	gw_sip_dialog_emit(d, &ev);
	code = ev.answer_code;
	if (!d->nh) {
		g_free(ev.answer_sdp);
		return;
	}
	if (code >= 200 && code < 300 && ev.answer_sdp) {
		nua_respond(d->nh, code, sip_status_phrase(code) ? sip_status_phrase(code) : "OK",
			    SDP_TAGS(ev.answer_sdp), NUTAG_WITH_THIS(dialog_nua(d)), TAG_END());
		g_free(d->local_sdp);
		d->local_sdp = ev.answer_sdp;
		return;
	}
	g_free(ev.answer_sdp);
	if (code < 300 || code > 699)
		code = 488;
	gw_info(d->log, "%s offer refused: %d", what, code);
	nua_respond(d->nh, code, sip_status_phrase(code) ? sip_status_phrase(code) : "Refused",
		    NUTAG_WITH_THIS(dialog_nua(d)), TAG_END());
}

void gw_sip_session_reinvite_in(struct gw_sip_dialog *d, const sip_t *sip)
{
	char *offer = gw_sip_body_sdp(sip);

	if (offer) {
		answer_offer(d, offer, "re-INVITE");
		g_free(offer);
		return;
	}
	/* Offer solicited (RFC 3261 section 14.2): offer our current SDP in
	 * the 2xx; the ACK carries the far end's answer. */
	if (!d->local_sdp) {
		nua_respond(d->nh, SIP_488_NOT_ACCEPTABLE, NUTAG_WITH_THIS(dialog_nua(d)), TAG_END());
		return;
	}
	nua_respond(d->nh, SIP_200_OK, SDP_TAGS(d->local_sdp), NUTAG_WITH_THIS(dialog_nua(d)),
		    TAG_END());
	d->ack_sdp_expected = true;
}

void gw_sip_session_update_in(struct gw_sip_dialog *d, const sip_t *sip)
{
	char *offer = gw_sip_body_sdp(sip);

	if (!offer) {
		/* A session refresh (RFC 4028): nua adds the timer headers. */
		nua_respond(d->nh, SIP_200_OK, NUTAG_WITH_THIS(dialog_nua(d)), TAG_END());
		return;
	}
	answer_offer(d, offer, "UPDATE");
	g_free(offer);
}

/* ---- INFO DTMF ---- */

static char dtmf_digit(const char *s)
{
	char c;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!strncmp(s, "10", 2))
		return '*';
	if (!strncmp(s, "11", 2))
		return '#';
	c = (char)g_ascii_toupper(*s);
	if (g_ascii_isdigit(c) || c == '*' || c == '#' || (c >= 'A' && c <= 'D'))
		return c;
	return 0;
}

/* "Signal=5\r\nDuration=160" (application/dtmf-relay) or "5"
 * (application/dtmf).  0 when no digit. */
static char parse_dtmf(const char *body, bool relay, unsigned *duration_ms)
{
	char **lines;
	char digit = 0;

	*duration_ms = 0;
	if (!relay)
		return dtmf_digit(body);
	lines = g_strsplit_set(body, "\r\n", -1);
	for (char **l = lines; *l; l++) {
		char *eq = strchr(*l, '=');
		char *key, *val;

		if (!eq)
			continue;
		*eq = '\0';
		key = g_strstrip(*l);
		val = g_strstrip(eq + 1);
		if (!g_ascii_strcasecmp(key, "Signal"))
			digit = dtmf_digit(val);
		else if (!g_ascii_strcasecmp(key, "Duration"))
			*duration_ms = (unsigned)MIN(strtoul(val, NULL, 10), 60000ul);
	}
	g_strfreev(lines);
	return digit;
}

void gw_sip_session_info_in(struct gw_sip_dialog *d, const sip_t *sip)
{
	const sip_payload_t *pl = sip ? sip->sip_payload : NULL;
	const char *ct = sip && sip->sip_content_type ? sip->sip_content_type->c_type : NULL;
	struct gw_sip_event ev = { .type = GW_SIP_EV_DTMF, .code = 200, .reason = "INFO" };
	bool relay;
	char *body;

	if (!pl || !pl->pl_data || !pl->pl_len) {
		/* Body-less INFO: a keepalive. */
		nua_respond(d->nh, SIP_200_OK, NUTAG_WITH_THIS(dialog_nua(d)), TAG_END());
		return;
	}
	relay = ct && !g_ascii_strcasecmp(ct, "application/dtmf-relay");
	if (!relay && (!ct || g_ascii_strcasecmp(ct, "application/dtmf"))) {
		gw_debug(d->log, "INFO with %s refused: 415", ct ? ct : "no Content-Type");
		nua_respond(d->nh, SIP_415_UNSUPPORTED_MEDIA,
			    SIPTAG_ACCEPT_STR("application/dtmf-relay, application/dtmf"),
			    NUTAG_WITH_THIS(dialog_nua(d)), TAG_END());
		return;
	}
	body = g_strndup(pl->pl_data, MIN(pl->pl_len, 1024));
	ev.digit = parse_dtmf(body, relay, &ev.duration_ms);
	g_free(body);
	if (!ev.digit) {
		nua_respond(d->nh, 400, "No DTMF digit", NUTAG_WITH_THIS(dialog_nua(d)), TAG_END());
		return;
	}
	nua_respond(d->nh, SIP_200_OK, NUTAG_WITH_THIS(dialog_nua(d)), TAG_END());
	gw_debug(d->log, "INFO DTMF %c (%u ms)", ev.digit, ev.duration_ms);
	gw_sip_dialog_emit(d, &ev);
}

int gw_sip_dialog_info_dtmf(struct gw_sip_dialog *d, char digit, unsigned duration_ms)
{
	char body[64];
	char c = (char)g_ascii_toupper(digit);

	if (!d || (!g_ascii_isdigit(c) && c != '*' && c != '#' && (c < 'A' || c > 'D')))
		return EINVAL;
	if (!d->nh || d->ended || d->state != GW_SIP_DLG_ESTABLISHED)
		return ENOTCONN;
	g_snprintf(body, sizeof(body), "Signal=%c\r\nDuration=%u\r\n", c,
		   duration_ms ? MIN(duration_ms, 60000u) : 160u);
	nua_info(d->nh, SIPTAG_CONTENT_TYPE_STR("application/dtmf-relay"),
		 SIPTAG_PAYLOAD_STR(body), TAG_END());
	return 0;
}

/* ---- re-INVITE from our side ---- */

int gw_sip_dialog_reinvite(struct gw_sip_dialog *d, const char *sdp)
{
	if (!d || !sdp)
		return EINVAL;
	if (!d->nh || d->ended || d->state != GW_SIP_DLG_ESTABLISHED)
		return ENOTCONN;
	if (d->reinvite_pending)
		return EBUSY;
	d->reinvite_pending = true;
	g_free(d->pending_sdp);
	d->pending_sdp = g_strdup(sdp);
	nua_invite(d->nh, SDP_TAGS(sdp), TAG_END());
	return 0;
}

/* ---- REFER ---- */

/* NOTIFY of the implicit subscription an accepted REFER created (RFC 3515
 * section 2.4.4): a message/sipfrag status line. */
void gw_sip_session_refer_notify(struct gw_sip_dialog *d, int code, const char *phrase,
				 bool final)
{
	char frag[96];

	if (!d->refer_event || !d->nh)
		return;
	g_snprintf(frag, sizeof(frag), "SIP/2.0 %d %s\r\n", code, phrase);
	nua_notify(d->nh, SIPTAG_EVENT_STR(d->refer_event),
		   NUTAG_SUBSTATE(final ? nua_substate_terminated : nua_substate_active),
		   TAG_IF(final, SIPTAG_SUBSCRIPTION_STATE_STR("terminated;reason=noresource")),
		   SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"),
		   SIPTAG_PAYLOAD_STR(frag), TAG_END());
	if (final) {
		g_free(d->refer_event);
		d->refer_event = NULL;
		d->refer_reported = true;
	}
}

int gw_sip_dialog_refer_notify(struct gw_sip_dialog *d, int code, const char *phrase)
{
	if (!d || code < 200 || code > 699)
		return EINVAL;
	if (!d->nh || d->ended)
		return ENOTCONN;
	if (!d->refer_event)
		return d->refer_reported ? EALREADY : ENOENT;
	/* The phrase goes into the sipfrag body: one short printable line. */
	if (!phrase || !*phrase || strlen(phrase) > 64 || !gw_sip_value_ok(phrase))
		phrase = sip_status_phrase(code) ? sip_status_phrase(code) : "Failed";
	gw_info(d->log, "transfer outcome to the far end: NOTIFY %d %s", code, phrase);
	gw_sip_session_refer_notify(d, code, phrase, true);
	return 0;
}

void gw_sip_session_refer_in(struct gw_sip_dialog *d, const sip_t *sip, tagi_t tags[])
{
	const sip_refer_to_t *rt = sip ? sip->sip_refer_to : NULL;
	const sip_event_t *event = NULL;
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct gw_sip_event ev = { .type = GW_SIP_EV_REFER_REQUEST, .code = 202,
				   .reason = "Accepted" };
	char *target, *event_str;

	if (!rt || !rt->r_url->url_host) {
		nua_respond(d->nh, 400, "Refer-To missing", NUTAG_WITH_THIS(dialog_nua(d)), TAG_END());
		return;
	}
	if (!d->sip || !d->sip->cfg->sip_accept_refer || d->ended || d->refer_event) {
		gw_info(d->log, "REFER declined (%s)", d->refer_event ? "one is in progress"
								      : "sip.accept_refer is off");
		nua_respond(d->nh, SIP_603_DECLINE, NUTAG_WITH_THIS(dialog_nua(d)), TAG_END());
		return;
	}
	tl_gets(tags, NUTAG_REFER_EVENT_REF(event), TAG_END());
	target = url_as_string(home, rt->r_url);
	event_str = event ? sip_header_as_string(home, (const sip_header_t *)event) : NULL;
	d->refer_event = g_strdup(event_str ? event_str : "refer");
	d->refer_reported = false;
	nua_respond(d->nh, SIP_202_ACCEPTED, NUTAG_WITH_THIS(dialog_nua(d)), TAG_END());
	gw_sip_session_refer_notify(d, 100, "Trying", false);
	gw_info(d->log, "REFER to %s accepted", target ? target : "?");
	ev.refer_to = target ? target : "";
	gw_sip_dialog_emit(d, &ev);
	su_home_deinit(home);
}

static void refer_status(struct gw_sip_dialog *d, int code, const char *phrase, bool final)
{
	struct gw_sip_event ev = { .type = GW_SIP_EV_REFER_STATUS, .code = code,
				   .reason = phrase, .final = final };

	if (final)
		d->refer_pending = false;
	gw_sip_dialog_emit(d, &ev);
}

void gw_sip_session_refer_response(struct gw_sip_dialog *d, int status, const char *phrase)
{
	if (status < 200 || !d->refer_pending)
		return;
	refer_status(d, status >= 700 ? 500 : status, phrase, status >= 300);
}

/* NOTIFY of the implicit "refer" subscription: a message/sipfrag body
 * whose first line is a status line ("SIP/2.0 200 OK"). */
void gw_sip_session_notify_in(struct gw_sip_dialog *d, const sip_t *sip, tagi_t tags[])
{
	const sip_payload_t *pl = sip ? sip->sip_payload : NULL;
	const char *ct = sip && sip->sip_content_type ? sip->sip_content_type->c_type : NULL;
	int substate = nua_substate_active;
	char *frag = NULL, *phrase = NULL;
	int code = 0;

	if (!d->refer_pending)
		return;
	tl_gets(tags, NUTAG_SUBSTATE_REF(substate), TAG_END());
	if (pl && pl->pl_data && ct && !g_ascii_strcasecmp(ct, "message/sipfrag")) {
		char *eol;

		frag = g_strndup(pl->pl_data, MIN(pl->pl_len, 1024));
		if ((eol = strpbrk(frag, "\r\n")))
			*eol = '\0';
		if (g_str_has_prefix(frag, "SIP/2.0 ") && g_ascii_isdigit(frag[8])) {
			char *end;
			long v = strtol(frag + 8, &end, 10);

			if (v >= 100 && v <= 699) {
				code = (int)v;
				phrase = g_strdup(g_strstrip(end));
			}
		}
	}
	if (code || substate == nua_substate_terminated)
		refer_status(d, code, phrase ? phrase : "", substate == nua_substate_terminated);
	g_free(phrase);
	g_free(frag);
}

int gw_sip_dialog_refer(struct gw_sip_dialog *d, const char *target)
{
	char *uri, *hdr;

	if (!d || !target || !*target)
		return EINVAL;
	if (!d->nh || !d->sip || d->ended || d->state != GW_SIP_DLG_ESTABLISHED)
		return ENOTCONN;
	if (d->refer_pending)
		return EBUSY;
	uri = gw_sip_target_uri(d->sip, d->trunk, target);
	if (!uri)
		return EINVAL;
	hdr = g_strdup_printf("<%s>", uri);
	d->refer_pending = true;
	gw_info(d->log, "REFER to %s", uri);
	nua_refer(d->nh, SIPTAG_REFER_TO_STR(hdr), TAG_END());
	g_free(hdr);
	g_free(uri);
	return 0;
}
