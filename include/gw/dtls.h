/* gw/dtls.h — DTLS-SRTP key agreement for one WebRTC leg (RFC 5763, 5764).
 *
 * One struct gw_dtls per call leg, driven by that call's media loop (the
 * GMainContext given at allocation): datagrams from the wire go in with
 * gw_dtls_recv(), datagrams to the wire come out through the send handler,
 * retransmissions and the handshake deadline run as GSources on that loop.
 * The peer's certificate must match the fingerprint from its SDP.  On
 * success the done handler receives the SRTP keys for gw_srtp_alloc().
 * Refcounted (gw_obj); every function and handler runs on the media loop.
 */
#ifndef GW_DTLS_H
#define GW_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include "gw/cert.h"
#include "gw/srtp.h"

/* Default handshake deadline: no completed handshake this long after start
 * fails (gw_dtls_set_handshake_timeout() changes it per endpoint). */
#define GW_DTLS_HANDSHAKE_TIMEOUT_MS 20000
/* Largest datagram we emit (fits any path WebRTC runs over). */
#define GW_DTLS_MTU 1200

/* RFC 5763 5: a=setup:active is the DTLS client, passive the server.  We
 * answer actpass with passive (server) and passive with active (client). */
enum gw_dtls_role {
	GW_DTLS_ROLE_CLIENT, /* a=setup:active */
	GW_DTLS_ROLE_SERVER, /* a=setup:passive */
};

/* Bits for gw_dtls_set_profiles(): 1u << enum gw_srtp_profile. */
#define GW_DTLS_PROFILE_BIT(p) (1u << (unsigned)(p))
#define GW_DTLS_PROFILES_ALL \
	(GW_DTLS_PROFILE_BIT(GW_SRTP_AEAD_AES_128_GCM) | GW_DTLS_PROFILE_BIT(GW_SRTP_AES128_CM_SHA1_80))

struct gw_dtls;

/* One datagram to send to the peer (valid during the call only). */
typedef void(gw_dtls_send_h)(const uint8_t *buf, size_t len, void *arg);

/* The handshake ended.  Success: @err 0, @keys valid during the call,
 * @reason NULL.  Failure: @err is ETIMEDOUT (deadline), EACCES (peer
 * certificate does not match its SDP fingerprint, or no certificate) or
 * EPROTO (any other handshake failure, including an alert from the peer),
 * @keys NULL and @reason a sentence for the log / hangup.  After a success
 * it is called once more, with ECONNRESET and a reason, if the peer closes
 * (close_notify or fatal alert): the call should end.  Never called after
 * gw_dtls_close().  The handler may call gw_dtls_close() and drop its
 * reference. */
typedef void(gw_dtls_done_h)(int err, const struct gw_srtp_keys *keys, const char *reason, void *arg);

/* Counters, for logs and metrics. */
struct gw_dtls_stats {
	uint64_t datagrams_in;
	uint64_t datagrams_out;
	uint64_t bad_records;    /* datagrams refused: truncated / not DTLS */
	uint64_t retransmits;    /* retransmission timer expiries */
	uint64_t ignored_data;   /* application data after the handshake */
	uint64_t ignored_retired; /* datagrams after gw_dtls_retire(), unread */
};

/* Create an endpoint on media loop @ctx presenting @cert (a reference is
 * kept) in @role, accepting only a peer certificate whose fingerprint is
 * @remote_fingerprint ("sha-256 AB:.." as in the peer's SDP, any RFC 8122
 * hash).  Nothing is sent before gw_dtls_start().  0, EINVAL (bad argument
 * or unusable fingerprint) or EIO (OpenSSL failure, logged); *out holds one
 * reference. */
int gw_dtls_alloc(struct gw_dtls **out, GMainContext *ctx, struct gw_cert *cert,
		  enum gw_dtls_role role, const char *remote_fingerprint, gw_dtls_send_h *sendh,
		  gw_dtls_done_h *doneh, void *arg);

/* Log context for this endpoint's lines (e.g. "call c1"); copied. */
void gw_dtls_set_log_ctx(struct gw_dtls *dtls, const char *ctx);

/* Restrict the SRTP profiles offered (client) or accepted (server) to the
 * GW_DTLS_PROFILE_BIT() set @mask; default GW_DTLS_PROFILES_ALL, GCM
 * preferred.  Only before gw_dtls_start().  0, EINVAL (empty or unknown
 * profile) or EBUSY (already started). */
int gw_dtls_set_profiles(struct gw_dtls *dtls, unsigned mask);

/* Give up on a handshake not complete @ms after gw_dtls_start() (default
 * GW_DTLS_HANDSHAKE_TIMEOUT_MS).  Only before start: 0, EINVAL (0) or EBUSY. */
int gw_dtls_set_handshake_timeout(struct gw_dtls *dtls, unsigned ms);

/* Begin: the client sends its ClientHello, the server waits for one; both
 * arm the retransmission timer and the handshake deadline.  Idempotent.
 * 0 or ESHUTDOWN (closed or already failed). */
int gw_dtls_start(struct gw_dtls *dtls);

/* Feed one datagram received from the peer (RFC 7983: first byte 20..63).
 * Implies gw_dtls_start() when not started yet (a ClientHello may beat
 * our own ICE "connected").  0 when consumed (including ignored
 * application data); EBADMSG when refused as truncated or not DTLS (counted,
 * the handshake goes on); ESHUTDOWN after close or failure.  May call the
 * send and done handlers before returning. */
int gw_dtls_recv(struct gw_dtls *dtls, const uint8_t *buf, size_t len);

/* Send close_notify when connected, stop all timers; no handler runs
 * afterwards.  Idempotent; call before dropping the last reference. */
void gw_dtls_close(struct gw_dtls *dtls);

/* The peer has proven it finished its handshake (media from it
 * authenticated with the exported keys): free the SSL and its buffers,
 * keeping a ready close_notify for gw_dtls_close().  Afterwards nothing
 * the peer sends can be authenticated: every record, alerts included, is
 * counted and ignored (the handler is not called again).  No-op unless
 * connected; idempotent. */
void gw_dtls_retire(struct gw_dtls *dtls);

/* True once the handshake succeeded (and until close / peer close). */
bool gw_dtls_is_connected(const struct gw_dtls *dtls);

/* Copy of the counters. */
void gw_dtls_stats_get(const struct gw_dtls *dtls, struct gw_dtls_stats *out);

#endif
