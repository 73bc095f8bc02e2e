/* gw/webrtc.h — one WebRTC media transport (a "leg"): ICE, DTLS-SRTP and
 * RTCP for one bundled, rtcp-muxed audio stream, on one media loop.
 *
 * Used by the daemon (ICE controlled, DTLS role from the offer) and by the
 * rtcsip-call client (ICE controlling, DTLS client).  A leg is a gw_obj.
 * Everything but the calls marked "any thread" runs on the leg's loop;
 * events and packets are delivered there.
 */
#ifndef GW_WEBRTC_H
#define GW_WEBRTC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gw/dtls.h"

struct gw_rtp_pts;

struct gw_loop;
struct gw_cert;
struct gw_config;
struct gw_webrtc_leg;

enum gw_webrtc_event {
	GW_WEBRTC_GATHERED,        /* local ufrag/pwd/candidates are known */
	GW_WEBRTC_ICE_CONNECTED,
	GW_WEBRTC_DTLS_CONNECTED,  /* SRTP keys are in place: media flows */
	GW_WEBRTC_FAILED,          /* terminal: ICE failed, consent lost, DTLS failed */
};

struct gw_webrtc_params {
	const char *name;                /* log context, e.g. "call c1" */
	struct gw_loop *loop;            /* media loop the leg lives on */
	const struct gw_config *cfg;     /* ice.* settings */
	bool controlling;                /* ICE role */
	enum gw_dtls_role dtls_role;
	struct gw_cert *cert;            /* our DTLS certificate */
	const char *remote_fingerprint;  /* "sha-256 AB:..." (may be NULL: set later) */
	const char *remote_ufrag, *remote_pwd; /* may be NULL: set later */
	const char *const *remote_candidates;  /* NULL-terminated, may be NULL */
	bool remote_end_of_candidates;
};

struct gw_webrtc_stats {
	uint64_t rtp_in, rtp_out, rtcp_in, rtcp_out;
	uint64_t bytes_in, bytes_out;
	uint64_t dropped_before_keys;   /* media before DTLS completed */
	uint64_t dropped_unknown;       /* neither DTLS nor RTP/RTCP (RFC 7983) */
	uint64_t dropped_stale;         /* RTP/RTCP that waited over media.max_queue_ms
					 * in the socket (direct UDP path only) */
	uint64_t srtp_auth_failures, srtp_replays, srtp_errors;
	uint64_t dtls_bad_records;
	uint64_t rtcp_malformed;
	uint32_t rtt_ms;                /* from the peer's reports; 0 = unknown */
	uint32_t remote_jitter;         /* reported by the peer, RTP clock units */
	uint32_t remote_cumulative_lost;
	int64_t ice_ms, dtls_ms;        /* from start to connected; -1 = not yet */
	char selected_pair[176];
};

/* Media loop, after GW_WEBRTC_GATHERED/.../FAILED; @reason for FAILED. */
typedef void (gw_webrtc_event_h)(struct gw_webrtc_leg *leg, enum gw_webrtc_event ev,
				 const char *reason, void *arg);
/* Media loop: one decrypted RTP packet, already parsed into @h (whose
 * pointers point into @buf).  @buf may be modified in place.  @rx_us: when
 * its datagram arrived (gw_ice_recv_h). */
struct gw_rtp_hdr;
typedef void (gw_webrtc_rtp_h)(struct gw_webrtc_leg *leg, const struct gw_rtp_hdr *h,
			       uint8_t *buf, size_t len, int64_t rx_us, void *arg);

/* Create a leg and start it on @p->loop (gathering begins there).  Any
 * thread.  @arg must be a gw_obj: the leg holds a reference on it until
 * gw_webrtc_leg_close() has run on the loop, so no callback can reach a
 * freed owner; the owner must call close (the two references form a cycle
 * until then).  0 or errno. */
int gw_webrtc_leg_alloc(struct gw_webrtc_leg **out, const struct gw_webrtc_params *p,
			gw_webrtc_event_h *eventh, gw_webrtc_rtp_h *rtph, void *arg);

/* After GW_WEBRTC_GATHERED: our ICE credentials, candidates
 * ("candidate:..." strings, NULL-terminated) and DTLS fingerprint.  They
 * never change afterwards, so any thread may read them once it has seen the
 * event.  */
const char *gw_webrtc_leg_ufrag(const struct gw_webrtc_leg *leg);
const char *gw_webrtc_leg_pwd(const struct gw_webrtc_leg *leg);
const char *const *gw_webrtc_leg_candidates(const struct gw_webrtc_leg *leg);
const char *gw_webrtc_leg_fingerprint(const struct gw_webrtc_leg *leg);

/* Any thread: remote information learnt later (an answer, trickle). */
void gw_webrtc_leg_set_remote(struct gw_webrtc_leg *leg, const char *ufrag, const char *pwd,
			      const char *fingerprint, enum gw_dtls_role dtls_role);
void gw_webrtc_leg_add_candidate(struct gw_webrtc_leg *leg, const char *candidate);
void gw_webrtc_leg_end_of_candidates(struct gw_webrtc_leg *leg);

/* Media loop: protect and send one RTP packet.  @buf needs @cap >= len +
 * GW_WEBRTC_SRTP_TRAILER bytes.  0, ENOTCONN before DTLS, or errno. */
#define GW_WEBRTC_SRTP_TRAILER 32
int gw_webrtc_leg_send_rtp(struct gw_webrtc_leg *leg, uint8_t *buf, size_t len, size_t cap);

/* Media loop: send @buf as it is, bypassing SRTP (robustness tests inject
 * garbage this way).  0 or errno. */
int gw_webrtc_leg_send_raw(struct gw_webrtc_leg *leg, const uint8_t *buf, size_t len);

/* Media loop: the payload types the browser may send: its media (@media_pt,
 * RTP clock @media_rate) and RFC 4733 telephone-events, kept however long
 * they waited (gw_ice_agent_set_rx_pts). */
void gw_webrtc_leg_set_rx_pts(struct gw_webrtc_leg *leg, uint8_t media_pt, uint32_t media_rate,
			      const struct gw_rtp_pts *events);

/* Media loop: counters. */
void gw_webrtc_leg_stats(struct gw_webrtc_leg *leg, struct gw_webrtc_stats *out);

/* Any thread: stop everything (DTLS close_notify, ICE close) on the loop;
 * no event or packet is delivered after the close ran on the loop.  Drop
 * your reference afterwards. */
void gw_webrtc_leg_close(struct gw_webrtc_leg *leg);

struct gw_loop *gw_webrtc_leg_loop(const struct gw_webrtc_leg *leg);

#endif
