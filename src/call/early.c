/* early.c — an inbound INVITE without an offer that requires 100rel.  Its
 * first reliable response must carry our offer (RFC 3262 section 5) and
 * that is the 180, sent while every browser session still rings: so the
 * ringing group (struct gw_call_inbound) opens the SIP-side RTP port and
 * makes the offer, the carrier's PRACK answers it, and the session that
 * answers takes both for its call, whose 200 then has no SDP (the offer /
 * answer is done).  Control loop.
 */
#include <errno.h>
#include <string.h>
#include "call_priv.h"
#include "gw/log.h"
#include "gw/obj.h"
#include "gw/rtp_socket.h"
#include "gw/sdp.h"

void gw_call_early_free(struct gw_call_early *e)
{
	if (!e)
		return;
	gw_obj_deref(e->rtp);
	g_strfreev(e->codecs);
	g_free(e->addr);
	g_free(e->answer);
	g_free(e);
}

char *gw_call_early_offer(struct gw_call_inbound *in, char **reason)
{
	struct gw_call_early *e = g_new0(struct gw_call_early, 1);
	char *sdp = NULL;

	gw_call_sip_params(in->trunk, &e->local, &e->codecs, &e->addr);
	if (gw_call_sip_rtp_open(&e->rtp, in->log)) {
		*reason = g_strdup("no SIP-side RTP port");
		goto out;
	}
	e->local.port = gw_rtp_socket_port(e->rtp);
	e->local.direction = GW_SDP_DIR_SENDRECV;
	e->local.session_version = 1;
	if (gw_sdp_sip_offer_build(&e->local, &sdp, reason))
		goto out;
	in->early = g_steal_pointer(&e);
out:
	gw_call_early_free(e);
	return sdp;
}

int gw_call_early_answer(struct gw_call_inbound *in, const char *sdp, char **reason)
{
	struct gw_sdp *parsed = NULL;
	struct gw_sdp_sip_media media = { 0 };
	int rc = EINVAL;

	if (!sdp) {
		*reason = g_strdup("the PRACK has no answer to our offer");
		goto out;
	}
	if (gw_sdp_parse(sdp, strlen(sdp), &parsed, reason) ||
	    gw_sdp_sip_answer_parse(parsed, &in->early->local, &media, reason))
		goto out;
	g_free(in->early->answer);
	in->early->answer = g_strdup(sdp);
	rc = 0;
out:
	gw_sdp_sip_media_clear(&media);
	gw_obj_deref(parsed);
	return rc;
}

int gw_call_early_prepare(struct gw_call_inbound *in, struct gw_call *call)
{
	int rc = gw_call_sip_prepare(call, in->trunk, in->early->rtp);

	if (rc)
		return rc;
	/* the same o= id: re-INVITEs go on from the offer we sent */
	call->sip_local.session_id = in->early->local.session_id;
	return 0;
}
