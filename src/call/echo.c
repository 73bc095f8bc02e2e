/* echo.c — the built-in "echo" destination: the browser's RTP comes back to
 * it through the whole receive and send path (SRTP unprotect, RTP, our own
 * SSRC/sequence/timestamps, SRTP protect).  Media loop of the call. */
#include "call_priv.h"
#include "gw/log.h"

void gw_call_echo_init(struct gw_call *call)
{
	/* Opus clock; the sender picks a random SSRC, sequence and offset. */
	gw_rtp_sender_init(&call->echo_tx, 48000);
}

void gw_call_echo_rtp(struct gw_call *call, struct gw_webrtc_leg *leg, const struct gw_rtp_hdr *h)
{
	uint8_t out[1500 + GW_WEBRTC_SRTP_TRAILER];
	size_t n;

	n = gw_rtp_sender_write(&call->echo_tx, out, sizeof(out) - GW_WEBRTC_SRTP_TRAILER, h->pt,
				h->ts, h->marker, h->payload, h->payload_len);
	if (n)
		gw_webrtc_leg_send_rtp(leg, out, n, sizeof(out));
}
