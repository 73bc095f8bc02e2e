/* jsep_local.c — the gateway's own side of a JSEP offer or answer: checks
 * struct gw_sdp_jsep_params and writes the session lines and the ICE/DTLS
 * transport of the audio m-line (shared by jsep.c and jsep_offer.c).
 *
 * Any thread; no state.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include "gw/sdp.h"
#include "sdp/sdp_priv.h"

static const char *const known_extras[] = { "PCMU", "PCMA", "G722" };

static bool is_token(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

static int bad(char **reason, const char *what)
{
	if (reason)
		*reason = g_strdup_printf("bad local parameters: %s", what);
	return EINVAL;
}

/* Contract: see sdp_priv.h. */
int gw_sdp_jsep_check(const struct gw_sdp_jsep_params *p, char **reason)
{
	const char *sp;

	if (!p)
		return bad(reason, "none given");
	if (!is_token(p->local_addr, 255))
		return bad(reason, "local_addr must be an address without blanks");
	/* RFC 8839 5.4: ufrag 4-256, pwd 22-256 ice-chars. */
	if (!is_token(p->ice_ufrag, 256) || strlen(p->ice_ufrag) < 4)
		return bad(reason, "ice_ufrag must be 4-256 characters");
	if (!is_token(p->ice_pwd, 256) || strlen(p->ice_pwd) < 22)
		return bad(reason, "ice_pwd must be 22-256 characters");
	sp = p->fingerprint ? strchr(p->fingerprint, ' ') : NULL;
	if (!sp || sp == p->fingerprint || !is_token(sp + 1, 1024))
		return bad(reason, "fingerprint must be \"HASH HEX:HEX:...\"");
	if (p->setup && strcmp(p->setup, "active") != 0 && strcmp(p->setup, "passive") != 0)
		return bad(reason, "setup must be \"active\", \"passive\" or NULL");
	for (size_t i = 0; p->extra_codecs && p->extra_codecs[i]; i++) {
		bool ok = false;

		for (size_t k = 0; k < G_N_ELEMENTS(known_extras); k++)
			ok = ok || g_ascii_strcasecmp(p->extra_codecs[i], known_extras[k]) == 0;
		if (!ok)
			return bad(reason, "extra_codecs may hold PCMU, PCMA and G722 only");
	}
	for (size_t i = 0; p->candidates && p->candidates[i]; i++) {
		struct gw_sdp_candidate c;
		char *why = NULL;

		if (gw_sdp_candidate_parse(p->candidates[i], &c, &why) != 0) {
			if (reason)
				*reason = g_strdup_printf("bad local candidate %zu: %s", i, why);
			g_free(why);
			return EINVAL;
		}
		gw_sdp_candidate_clear(&c);
	}
	if (p->cname && !is_token(p->cname, 255))
		return bad(reason, "cname must be a token");
	if (p->msid && !is_token(p->msid, 64))
		return bad(reason, "msid must be a token of up to 64 characters");
	return 0;
}

/* Contract: see sdp_priv.h. */
struct gw_sdp *gw_sdp_jsep_session(const struct gw_sdp_jsep_params *p)
{
	struct gw_sdp *sdp = gw_sdp_new();
	/* RFC 8866 5.2: sess-id fits in 63 bits so peers need no bignums. */
	uint64_t id = p->session_id ? p->session_id
				    : (((uint64_t)g_random_int() << 31) ^ g_random_int()) | 1;

	g_free(sdp->origin.sess_id);
	sdp->origin.sess_id = g_strdup_printf("%" G_GUINT64_FORMAT, id & INT64_MAX);
	g_free(sdp->origin.sess_version);
	sdp->origin.sess_version = g_strdup_printf("%" G_GUINT64_FORMAT,
						   p->session_version ? p->session_version : 1);
	gw_sdp_set_str(&sdp->origin.username, "rtcsip");
	gw_sdp_set_str(&sdp->origin.addrtype, strchr(p->local_addr, ':') ? "IP6" : "IP4");
	gw_sdp_set_str(&sdp->origin.address, p->local_addr);
	sdp->ice_lite = p->ice_lite;
	return sdp;
}

/* Contract: see sdp_priv.h. */
void gw_sdp_jsep_transport(struct gw_sdp_media *m, const struct gw_sdp_jsep_params *p,
			   enum gw_sdp_setup setup)
{
	const char *sp = strchr(p->fingerprint, ' ');

	m->port = p->local_port ? p->local_port : 9;	/* RFC 8840: 9 = trickle pending */
	gw_sdp_conn_set(&m->conn, p->local_addr);
	for (size_t i = 0; p->candidates && p->candidates[i]; i++) {
		struct gw_sdp_candidate c;

		/* Checked by gw_sdp_jsep_check(): cannot fail here. */
		if (gw_sdp_candidate_parse(p->candidates[i], &c, NULL) == 0) {
			g_ptr_array_add(m->candidates, g_memdup2(&c, sizeof(c)));
		}
	}
	m->end_of_candidates = p->end_of_candidates;
	gw_sdp_set_str(&m->ice_dtls.ice_ufrag, p->ice_ufrag);
	gw_sdp_set_str(&m->ice_dtls.ice_pwd, p->ice_pwd);
	if (p->ice_trickle)
		gw_sdp_set_str(&m->ice_dtls.ice_options, "trickle");
	m->ice_dtls.fingerprint.hash = g_strndup(p->fingerprint, (size_t)(sp - p->fingerprint));
	m->ice_dtls.fingerprint.value = g_strdup(sp + 1);
	m->ice_dtls.setup = setup;
	m->rtcp_mux = true;
}

/* Contract: see sdp_priv.h. */
void gw_sdp_jsep_stream_ids(struct gw_sdp_media *m, const struct gw_sdp_jsep_params *p)
{
	const char *cname = p->cname ? p->cname : "rtcsip";
	char *v;

	if (p->msid) {
		v = g_strdup_printf("%s %s-audio", p->msid, p->msid);
		gw_sdp_media_add_attr(m, "msid", v);
		g_free(v);
	}
	if (p->ssrc) {
		v = g_strdup_printf("%u cname:%s", p->ssrc, cname);
		gw_sdp_media_add_attr(m, "ssrc", v);
		g_free(v);
	}
}

/* Contract: see sdp_priv.h. */
unsigned gw_sdp_extra_codec_pt(const char *name)
{
	if (g_ascii_strcasecmp(name, "PCMU") == 0)
		return 0;
	if (g_ascii_strcasecmp(name, "PCMA") == 0)
		return 8;
	return 9;	/* G722 */
}
