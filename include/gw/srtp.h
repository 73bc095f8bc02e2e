/* gw/srtp.h — SRTP/SRTCP protection of one call's WebRTC leg (libsrtp2).
 *
 * Keys come from the DTLS-SRTP handshake (gw/dtls.h, RFC 5764 4.2).  A
 * struct gw_srtp holds one libsrtp session per direction (outbound: any SSRC
 * we send, inbound: any SSRC the peer sends).  It belongs to one call, lives
 * on that call's media loop and is not refcounted: the owner frees it with
 * gw_srtp_free().  Packets failing authentication or replay checks are
 * dropped and counted (gw_srtp_stats), never passed on.
 */
#ifndef GW_SRTP_H
#define GW_SRTP_H

#include <stddef.h>
#include <stdint.h>

enum gw_srtp_profile {
	GW_SRTP_NONE = 0,
	GW_SRTP_AES128_CM_SHA1_80 = 1, /* RFC 5764 SRTP_AES128_CM_HMAC_SHA1_80 */
	GW_SRTP_AEAD_AES_128_GCM = 7,  /* RFC 7714 */
};

#define GW_SRTP_MAX_KEY_LEN 16
#define GW_SRTP_MAX_SALT_LEN 14

/* Room a caller must leave after the packet for gw_srtp_protect() /
 * gw_srtp_protect_rtcp() (libsrtp2 may write up to this much). */
#define GW_SRTP_PROTECT_ROOM (16 + 128)
#define GW_SRTCP_PROTECT_ROOM (GW_SRTP_PROTECT_ROOM + 4)

/* Master keys of both directions, as negotiated. */
struct gw_srtp_keys {
	enum gw_srtp_profile profile;
	size_t key_len;  /* 16 for both profiles */
	size_t salt_len; /* 14 for AES-CM, 12 for GCM */
	uint8_t local_key[GW_SRTP_MAX_KEY_LEN];   /* protects what we send */
	uint8_t local_salt[GW_SRTP_MAX_SALT_LEN];
	uint8_t remote_key[GW_SRTP_MAX_KEY_LEN];  /* checks what we receive */
	uint8_t remote_salt[GW_SRTP_MAX_SALT_LEN];
};

/* Dropped-packet counters (inbound unless noted). */
struct gw_srtp_stats {
	uint64_t auth_failures; /* bad authentication tag (SRTP and SRTCP) */
	uint64_t replays;       /* index already seen or too old */
	uint64_t malformed;     /* too short / not RTP or RTCP, refused before libsrtp */
	uint64_t other_errors;  /* any other libsrtp failure, both directions */
};

struct gw_srtp;

/* Key length and salt length of @profile; 0 or EINVAL (unknown profile). */
/* Initialise libsrtp2 once per process (it runs its cipher self-tests,
 * ~25 ms): the daemon calls it at start so the first call does not pay.
 * gw_srtp_alloc() calls it too.  0 or EIO.  Any thread. */
int gw_srtp_init(void);

int gw_srtp_profile_lengths(enum gw_srtp_profile profile, size_t *key_len, size_t *salt_len);

/* "AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM", or "none". */
const char *gw_srtp_profile_name(enum gw_srtp_profile profile);

/* Create both directions from @keys.  0, EINVAL (unknown profile or lengths
 * not those of the profile) or EIO (libsrtp refused; logged).  Initialises
 * libsrtp2 on first use (thread-safe). */
int gw_srtp_alloc(struct gw_srtp **out, const struct gw_srtp_keys *keys);

/* Wipe the keys and free.  NULL-safe. */
void gw_srtp_free(struct gw_srtp *srtp);

/* Protect the RTP packet in @buf (*@len bytes, buffer of @cap bytes) in
 * place; *@len grows by the tag.  0; EINVAL (not an RTP packet);
 * ENOBUFS (@cap < *@len + GW_SRTP_PROTECT_ROOM); EIO (libsrtp failure). */
int gw_srtp_protect(struct gw_srtp *srtp, uint8_t *buf, size_t *len, size_t cap);

/* Check and decrypt the SRTP packet in @buf in place; *@len shrinks to the
 * RTP packet.  0; EINVAL (too short / not RTP: counted malformed);
 * EACCES (authentication failed: counted); EALREADY (replay: counted);
 * EIO (other libsrtp failure: counted).  On error @buf may be garbage. */
int gw_srtp_unprotect(struct gw_srtp *srtp, uint8_t *buf, size_t *len);

/* Same contracts for compound RTCP / SRTCP (room: GW_SRTCP_PROTECT_ROOM). */
int gw_srtp_protect_rtcp(struct gw_srtp *srtp, uint8_t *buf, size_t *len, size_t cap);
int gw_srtp_unprotect_rtcp(struct gw_srtp *srtp, uint8_t *buf, size_t *len);

/* Copy of the counters. */
void gw_srtp_stats_get(const struct gw_srtp *srtp, struct gw_srtp_stats *out);

#endif
