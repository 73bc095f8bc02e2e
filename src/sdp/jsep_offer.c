/* jsep_offer.c — the gateway as WebRTC offerer: an inbound SIP call rings a
 * browser, and the rtcsip-call test client calls the gateway.
 *
 * Any thread; no state.  One audio m-line UDP/TLS/RTP/SAVPF, mid 0 in a
 * BUNDLE group, Opus first (RFC 7587), RFC 4733 events at both clocks.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include "gw/obj.h"
#include "gw/sdp.h"
#include "sdp/sdp_priv.h"

/* Contract: see gw/sdp.h. */
int gw_sdp_offer_build(const struct gw_sdp_jsep_params *p, char **out, char **reason)
{
	struct gw_sdp *sdp;
	struct gw_sdp_media *m;
	int err;

	err = gw_sdp_jsep_check(p, reason);
	if (err)
		return err;
	if (p->setup) {
		if (reason)
			*reason = g_strdup("an offer always says a=setup:actpass (RFC 5763 5); "
					   "leave setup NULL");
		return EINVAL;
	}
	sdp = gw_sdp_jsep_session(p);
	sdp->bundle = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(sdp->bundle, g_strdup("0"));
	m = gw_sdp_media_add(sdp, "audio", 9, "UDP/TLS/RTP/SAVPF");
	gw_sdp_media_add_codec(m, GW_SDP_PT_OPUS, "opus", 48000, 2,
			       "minptime=10;useinbandfec=1");
	for (size_t i = 0; p->extra_codecs && p->extra_codecs[i]; i++) {
		unsigned pt = gw_sdp_extra_codec_pt(p->extra_codecs[i]);
		char *name = g_ascii_strup(p->extra_codecs[i], -1);

		if (!gw_sdp_media_codec_by_pt(m, pt))
			gw_sdp_media_add_codec(m, pt, name, 8000, 0, NULL);
		g_free(name);
	}
	gw_sdp_media_add_codec(m, GW_SDP_PT_TE48, "telephone-event", 48000, 0, "0-15");
	gw_sdp_media_add_codec(m, GW_SDP_PT_TE8, "telephone-event", 8000, 0, "0-15");
	gw_sdp_jsep_transport(m, p, GW_SDP_SETUP_ACTPASS);
	gw_sdp_set_str(&m->mid, "0");
	m->direction = p->direction != GW_SDP_DIR_NONE ? p->direction : GW_SDP_DIR_SENDRECV;
	gw_sdp_jsep_stream_ids(m, p);
	*out = gw_sdp_print(sdp);
	gw_obj_deref(sdp);
	return 0;
}
