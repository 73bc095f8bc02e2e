/* srtp.c — SRTP/SRTCP for the WebRTC leg on libsrtp2 (see gw/srtp.h).
 *
 * Runs on the owning call's media loop.  Owns two libsrtp sessions: outbound
 * (ssrc_any_outbound, our local key) and inbound (ssrc_any_inbound, the
 * peer's key); each session is touched by that one thread only, which is what
 * libsrtp2 needs.  Debian builds libsrtp2 on NSS; gw_srtp_init() swaps its
 * AES-CM, HMAC-SHA1 and AES-GCM for OpenSSL ones (srtp_ossl.c), unless
 * RTCSIP_SRTP_CRYPTO=libsrtp.  Headers are checked here before libsrtp sees
 * a packet, so truncated input is refused and counted.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <glib.h>
#include <srtp2/srtp.h>
#include "gw/log.h"
#include "gw/srtp.h"
#include "srtp_ossl.h"

/* Our re-sends (RFC 4733 end packets, retransmitted frames) repeat an
 * index; the receive window covers the reordering a browser tolerates. */
#define REPLAY_WINDOW 1024

G_STATIC_ASSERT(GW_SRTP_PROTECT_ROOM == SRTP_MAX_TRAILER_LEN);
G_STATIC_ASSERT((int)GW_SRTP_AES128_CM_SHA1_80 == (int)srtp_profile_aes128_cm_sha1_80);
G_STATIC_ASSERT((int)GW_SRTP_AEAD_AES_128_GCM == (int)srtp_profile_aead_aes_128_gcm);

struct gw_srtp {
	srtp_t tx;
	srtp_t rx;
	struct gw_srtp_stats stats;
};

static void srtp_log(srtp_log_level_t level, const char *msg, void *data)
{
	if (level == srtp_log_level_error)
		gw_error("srtp", "libsrtp: %s", msg);
	else if (level == srtp_log_level_warning)
		gw_warn("srtp", "libsrtp: %s", msg);
	else
		gw_debug("srtp", "libsrtp: %s", msg);
}

int gw_srtp_init(void)
{
	static gsize done;
	static int result;

	if (g_once_init_enter(&done)) {
		srtp_err_status_t st;

		srtp_install_log_handler(srtp_log, NULL);
		st = srtp_init();
		if (st != srtp_err_status_ok) {
			gw_error("srtp", "srtp_init failed: libsrtp error %d", (int)st);
			result = EIO;
		} else {
			/* a type libsrtp refuses keeps its own: logged, not fatal */
			(void)gw_srtp_ossl_install();
		}
		g_once_init_leave(&done, 1);
	}
	return result;
}

int gw_srtp_profile_lengths(enum gw_srtp_profile profile, size_t *key_len, size_t *salt_len)
{
	switch (profile) {
	case GW_SRTP_AES128_CM_SHA1_80:
		*key_len = SRTP_AES_128_KEY_LEN;
		*salt_len = SRTP_SALT_LEN;
		return 0;
	case GW_SRTP_AEAD_AES_128_GCM:
		*key_len = SRTP_AES_128_KEY_LEN;
		*salt_len = SRTP_AEAD_SALT_LEN;
		return 0;
	default:
		return EINVAL;
	}
}

const char *gw_srtp_profile_name(enum gw_srtp_profile profile)
{
	switch (profile) {
	case GW_SRTP_AES128_CM_SHA1_80:
		return "AES_CM_128_HMAC_SHA1_80";
	case GW_SRTP_AEAD_AES_128_GCM:
		return "AEAD_AES_128_GCM";
	default:
		return "none";
	}
}

static int session_create(srtp_t *out, enum gw_srtp_profile profile, const uint8_t *key,
			  const uint8_t *salt, size_t key_len, size_t salt_len, bool outbound)
{
	uint8_t master[GW_SRTP_MAX_KEY_LEN + GW_SRTP_MAX_SALT_LEN];
	srtp_policy_t pol;
	srtp_err_status_t st;

	memset(&pol, 0, sizeof(pol));
	if (srtp_crypto_policy_set_from_profile_for_rtp(&pol.rtp, (srtp_profile_t)profile) ||
	    srtp_crypto_policy_set_from_profile_for_rtcp(&pol.rtcp, (srtp_profile_t)profile))
		return EINVAL;
	memcpy(master, key, key_len);
	memcpy(master + key_len, salt, salt_len);
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	pol.key = master;
	pol.window_size = REPLAY_WINDOW;
	pol.allow_repeat_tx = outbound;
	pol.next = NULL;
	st = srtp_create(out, &pol);
	/* libsrtp derived its session keys; do not leave the master on the stack */
	memset(master, 0, sizeof(master));
	if (st != srtp_err_status_ok) {
		gw_error("srtp", "srtp_create (%s) failed: libsrtp error %d",
			 outbound ? "outbound" : "inbound", (int)st);
		return EIO;
	}
	return 0;
}

int gw_srtp_alloc(struct gw_srtp **out, const struct gw_srtp_keys *keys)
{
	struct gw_srtp *s;
	size_t klen, slen;
	int err;

	if (!out || !keys || gw_srtp_profile_lengths(keys->profile, &klen, &slen) ||
	    keys->key_len != klen || keys->salt_len != slen)
		return EINVAL;
	err = gw_srtp_init();
	if (err)
		return err;
	s = g_new0(struct gw_srtp, 1);
	err = session_create(&s->tx, keys->profile, keys->local_key, keys->local_salt, klen, slen, true);
	if (!err)
		err = session_create(&s->rx, keys->profile, keys->remote_key, keys->remote_salt,
				     klen, slen, false);
	if (err) {
		gw_srtp_free(s);
		return err;
	}
	*out = s;
	return 0;
}

void gw_srtp_free(struct gw_srtp *srtp)
{
	if (!srtp)
		return;
	/* srtp_dealloc wipes the derived keys */
	if (srtp->tx)
		srtp_dealloc(srtp->tx);
	if (srtp->rx)
		srtp_dealloc(srtp->rx);
	g_free(srtp);
}

/* RFC 3550 5.1 fixed header, CSRCs and extension fit in @len. */
static bool rtp_header_ok(const uint8_t *buf, size_t len)
{
	size_t hlen;

	if (len < 12 || (buf[0] >> 6) != 2)
		return false;
	hlen = 12 + 4 * (size_t)(buf[0] & 0x0f);
	if (buf[0] & 0x10) {
		if (len < hlen + 4)
			return false;
		hlen += 4 + 4 * (((size_t)buf[hlen + 2] << 8) | buf[hlen + 3]);
	}
	return hlen <= len;
}

/* RFC 3550 6.4.1: version 2 and at least header + sender SSRC. */
static bool rtcp_header_ok(const uint8_t *buf, size_t len)
{
	return len >= 8 && (buf[0] >> 6) == 2;
}

static int map_status(struct gw_srtp *s, srtp_err_status_t st, bool inbound)
{
	switch (st) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_auth_fail:
		s->stats.auth_failures++;
		return EACCES;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		s->stats.replays++;
		return EALREADY;
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err:
		if (inbound) {
			s->stats.malformed++;
			return EINVAL;
		}
		/* fall through */
	default:
		s->stats.other_errors++;
		gw_debug("srtp", "libsrtp error %d (%s)", (int)st, inbound ? "unprotect" : "protect");
		return EIO;
	}
}

static int protect(struct gw_srtp *s, uint8_t *buf, size_t *len, size_t cap, bool rtcp)
{
	size_t room = rtcp ? GW_SRTCP_PROTECT_ROOM : GW_SRTP_PROTECT_ROOM;
	int n;

	if (!s || !buf || !len)
		return EINVAL;
	if (rtcp ? !rtcp_header_ok(buf, *len) : !rtp_header_ok(buf, *len))
		return EINVAL;
	if (cap < *len || cap - *len < room || *len > INT_MAX - room)
		return ENOBUFS;
	n = (int)*len;
	if (rtcp ? map_status(s, srtp_protect_rtcp(s->tx, buf, &n), false)
		 : map_status(s, srtp_protect(s->tx, buf, &n), false))
		return EIO;
	*len = (size_t)n;
	return 0;
}

static int unprotect(struct gw_srtp *s, uint8_t *buf, size_t *len, bool rtcp)
{
	int n, err;

	if (!s || !buf || !len)
		return EINVAL;
	/* SRTCP carries at least the 4-byte E+index word after the header */
	if (*len > INT_MAX || (rtcp ? !rtcp_header_ok(buf, *len) || *len < 12 : !rtp_header_ok(buf, *len))) {
		s->stats.malformed++;
		return EINVAL;
	}
	n = (int)*len;
	err = map_status(s, rtcp ? srtp_unprotect_rtcp(s->rx, buf, &n) : srtp_unprotect(s->rx, buf, &n),
			 true);
	if (err)
		return err;
	*len = (size_t)n;
	return 0;
}

int gw_srtp_protect(struct gw_srtp *srtp, uint8_t *buf, size_t *len, size_t cap)
{
	return protect(srtp, buf, len, cap, false);
}

int gw_srtp_unprotect(struct gw_srtp *srtp, uint8_t *buf, size_t *len)
{
	return unprotect(srtp, buf, len, false);
}

int gw_srtp_protect_rtcp(struct gw_srtp *srtp, uint8_t *buf, size_t *len, size_t cap)
{
	return protect(srtp, buf, len, cap, true);
}

int gw_srtp_unprotect_rtcp(struct gw_srtp *srtp, uint8_t *buf, size_t *len)
{
	return unprotect(srtp, buf, len, true);
}

void gw_srtp_stats_get(const struct gw_srtp *srtp, struct gw_srtp_stats *out)
{
	*out = srtp->stats;
}
