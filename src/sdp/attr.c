/* attr.c — a= lines: the attributes rtcsip understands become model fields,
 * every other one is kept as (name, value) in order.
 *
 * Any thread; called by parse.c for each a= line with the current level.
 * The rule for understood attributes: malformed values the gateway relies
 * on (ICE credentials, fingerprint, setup, rtpmap, candidates) are refused
 * with a reason; hints whose loss harms nothing (ptime, a=rtcp) are kept as
 * plain attributes when they do not parse.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include "gw/log.h"
#include "gw/sdp.h"
#include "sdp/sdp_priv.h"

/* Returned by a handler: not understood at this place, keep as text. */
#define KEEP 1

#define ICE_CRED_MAX 256	/* RFC 8839 section 5.4 */

/* Where an attribute lands: the session or the current media section. */
struct level {
	struct gw_sdp_media *m;		/* NULL at session level */
	struct gw_sdp_ice_dtls *id;
	enum gw_sdp_dir *dir;
	bool *eoc;
	GPtrArray *attrs;
};

enum { SESSION = 1, MEDIA = 2, BOTH = 3 };

struct attr_handler {
	const char *name;
	unsigned scope;
	int (*fn)(struct sdp_parse_ctx *ctx, struct level *lv, const char *name, char *value);
};

static bool has_blank(const char *s)
{
	return strpbrk(s, " \t") != NULL;
}

static int need_value(struct sdp_parse_ctx *ctx, const char *name, const char *value)
{
	if (!value || !*value)
		return gw_sdp_fail(ctx, EINVAL, "a=%s needs a value", name);
	return 0;
}

static int on_group(struct sdp_parse_ctx *ctx, struct level *lv, const char *name, char *value)
{
	char *tok[GW_SDP_MAX_MEDIA + 2];
	int n;

	if (!value || strncmp(value, "BUNDLE", 6) != 0 || (value[6] && value[6] != ' ') ||
	    ctx->sdp->bundle)
		return KEEP;	/* other semantics (LS, FID) or a second BUNDLE group */
	n = gw_sdp_split_ws(value, tok, (int)G_N_ELEMENTS(tok));
	if (n < 0)
		return gw_sdp_fail(ctx, E2BIG, "a=group:BUNDLE lists more than %u mids",
				   GW_SDP_MAX_MEDIA);
	ctx->sdp->bundle = g_ptr_array_new_with_free_func(g_free);
	for (int i = 1; i < n; i++)
		g_ptr_array_add(ctx->sdp->bundle, g_strdup(tok[i]));
	return 0;
}

static int on_mid(struct sdp_parse_ctx *ctx, struct level *lv, const char *name, char *value)
{
	int err = need_value(ctx, name, value);

	if (err)
		return err;
	if (has_blank(value))
		return gw_sdp_fail(ctx, EINVAL, "a=mid \"%s\" contains a blank", value);
	if (lv->m->mid)
		return gw_sdp_fail(ctx, EINVAL, "more than one a=mid in this m= section");
	if (gw_sdp_find_mid(ctx->sdp, value))
		return gw_sdp_fail(ctx, EINVAL, "a=mid:%s is used by two m= sections", value);
	lv->m->mid = g_strdup(value);
	return 0;
}

/* "PT rest": the payload type of an rtpmap/fmtp and where its codec is. */
static int pt_codec(struct sdp_parse_ctx *ctx, struct level *lv, const char *name, char *value,
		    struct gw_sdp_codec **codec, char **rest)
{
	char *sp;
	uint64_t pt;

	if (!gw_sdp_proto_is_rtp(lv->m->proto))
		return KEEP;
	if (!value)
		return gw_sdp_fail(ctx, EINVAL, "a=%s needs a payload type and a value", name);
	sp = value + strcspn(value, " \t");
	if (*sp)
		*sp++ = '\0';
	if (!gw_sdp_parse_uint(value, 127, &pt))
		return gw_sdp_fail(ctx, EINVAL, "a=%s payload type \"%s\" is not a number in 0-127",
				   name, value);
	*codec = gw_sdp_media_codec_mut(lv->m, (unsigned)pt);
	if (!*codec) {
		/* Browsers never do this; SBCs that strip codecs from the m=
		 * line sometimes leave their rtpmap behind.  Not a codec. */
		gw_debug(NULL, "sdp line %u: a=%s for payload type %u not on the m= line",
			 ctx->lineno, name, (unsigned)pt);
		return KEEP;
	}
	while (*sp == ' ' || *sp == '\t')
		sp++;
	*rest = sp;
	return 0;
}

static int on_rtpmap(struct sdp_parse_ctx *ctx, struct level *lv, const char *name, char *value)
{
	struct gw_sdp_codec *c = NULL;
	char *rest = NULL, *part[4] = { 0 };
	uint64_t clock = 0, channels = 0;
	int err = pt_codec(ctx, lv, name, value, &c, &rest);
	int n = 0;

	if (err)
		return err;
	if (c->encoding)
		return gw_sdp_fail(ctx, EINVAL, "second a=rtpmap for payload type %u", c->pt);
	for (char *p = rest; p && n < 4; n++) {
		part[n] = p;
		p = strchr(p, '/');
		if (p)
			*p++ = '\0';
	}
	if (!part[0] || !*part[0] || has_blank(part[0]))
		return gw_sdp_fail(ctx, EINVAL, "a=rtpmap:%u has no encoding name", c->pt);
	if (part[3])
		return gw_sdp_fail(ctx, EINVAL, "a=rtpmap:%u has too many '/' fields", c->pt);
	/* "a=rtpmap:98 iLBC" without a clock rate: X-Lite sends it; keep 0. */
	if (part[1] && !gw_sdp_parse_uint(part[1], 10000000, &clock))
		return gw_sdp_fail(ctx, EINVAL, "a=rtpmap:%u clock rate \"%s\" is not a number",
				   c->pt, part[1]);
	if (part[2] && (!gw_sdp_parse_uint(part[2], 255, &channels) || channels == 0))
		return gw_sdp_fail(ctx, EINVAL, "a=rtpmap:%u channel count \"%s\" is not a "
				   "number in 1-255", c->pt, part[2]);
	c->encoding = g_strdup(part[0]);
	c->clock = (unsigned)clock;
	c->channels = (unsigned)channels;
	return 0;
}

static int on_fmtp(struct sdp_parse_ctx *ctx, struct level *lv, const char *name, char *value)
{
	struct gw_sdp_codec *c = NULL;
	char *rest = NULL;
	int err = pt_codec(ctx, lv, name, value, &c, &rest);

	if (err)
		return err;
	if (c->fmtp)
		return gw_sdp_fail(ctx, EINVAL, "second a=fmtp for payload type %u", c->pt);
	c->fmtp = g_strdup(rest);
	return 0;
}

static int on_ptime(struct sdp_parse_ctx *ctx, struct level *lv, const char *name, char *value)
{
	unsigned *field = strcmp(name, "ptime") == 0 ? &lv->m->ptime : &lv->m->maxptime;
	uint64_t v;

	if (*field || !gw_sdp_parse_uint(value, 10000, &v) || v == 0)
		return KEEP;	/* "20.0" or a duplicate: a hint, kept as text */
	*field = (unsigned)v;
	return 0;
}

static int on_ice_cred(struct sdp_parse_ctx *ctx, struct level *lv, const char *name, char *value)
{
	char **field = strcmp(name, "ice-ufrag") == 0 ? &lv->id->ice_ufrag : &lv->id->ice_pwd;
	int err = need_value(ctx, name, value);

	if (err)
		return err;
	if (has_blank(value) || strlen(value) > ICE_CRED_MAX)
		return gw_sdp_fail(ctx, EINVAL, "a=%s must be 1-%u characters without blanks",
				   name, ICE_CRED_MAX);
	if (*field)
		return gw_sdp_fail(ctx, EINVAL, "more than one a=%s at this level", name);
	*field = g_strdup(value);
	return 0;
}

static int on_ice_options(struct sdp_parse_ctx *ctx, struct level *lv, const char *name,
			  char *value)
{
	if (lv->id->ice_options || !value)
		return KEEP;
	lv->id->ice_options = g_strdup(value);
	return 0;
}

static int on_ice_lite(struct sdp_parse_ctx *ctx, struct level *lv, const char *name, char *value)
{
	if (value)
		return KEEP;
	ctx->sdp->ice_lite = true;
	return 0;
}

static int on_fingerprint(struct sdp_parse_ctx *ctx, struct level *lv, const char *name,
			  char *value)
{
	char *tok[2];

	if (lv->id->fingerprint.hash)
		return KEEP;	/* RFC 8122 allows several; the first one is used */
	if (!value || gw_sdp_split_ws(value, tok, 2) != 2)
		return gw_sdp_fail(ctx, EINVAL, "a=fingerprint must be \"HASH HEX:HEX:...\"");
	lv->id->fingerprint.hash = g_strdup(tok[0]);
	lv->id->fingerprint.value = g_strdup(tok[1]);
	return 0;
}

static int on_setup(struct sdp_parse_ctx *ctx, struct level *lv, const char *name, char *value)
{
	static const char *const names[] = { "actpass", "active", "passive", "holdconn" };
	static const enum gw_sdp_setup vals[] = { GW_SDP_SETUP_ACTPASS, GW_SDP_SETUP_ACTIVE,
						  GW_SDP_SETUP_PASSIVE, GW_SDP_SETUP_HOLDCONN };

	if (lv->id->setup != GW_SDP_SETUP_NONE)
		return gw_sdp_fail(ctx, EINVAL, "more than one a=setup at this level");
	for (size_t i = 0; value && i < G_N_ELEMENTS(names); i++)
		if (strcmp(value, names[i]) == 0) {
			lv->id->setup = vals[i];
			return 0;
		}
	return gw_sdp_fail(ctx, EINVAL, "a=setup must be actpass, active, passive or holdconn");
}

static int on_rtcp_mux(struct sdp_parse_ctx *ctx, struct level *lv, const char *name, char *value)
{
	if (value || lv->m->rtcp_mux)
		return KEEP;
	lv->m->rtcp_mux = true;
	return 0;
}

static int on_rtcp(struct sdp_parse_ctx *ctx, struct level *lv, const char *name, char *value)
{
	char *sp;
	uint64_t port;

	if (!value || lv->m->has_rtcp)
		return KEEP;
	sp = value + strcspn(value, " \t");
	if (*sp)
		*sp++ = '\0';
	if (!gw_sdp_parse_uint(value, 65535, &port))
		return KEEP;
	lv->m->has_rtcp = true;
	lv->m->rtcp_port = (uint16_t)port;
	while (*sp == ' ' || *sp == '\t')
		sp++;
	lv->m->rtcp_addr = *sp ? g_strdup(sp) : NULL;
	return 0;
}

static int on_direction(struct sdp_parse_ctx *ctx, struct level *lv, const char *name, char *value)
{
	static const char *const names[] = { "sendrecv", "sendonly", "recvonly", "inactive" };
	static const enum gw_sdp_dir vals[] = { GW_SDP_DIR_SENDRECV, GW_SDP_DIR_SENDONLY,
						GW_SDP_DIR_RECVONLY, GW_SDP_DIR_INACTIVE };

	if (value)
		return KEEP;
	if (*lv->dir != GW_SDP_DIR_NONE)
		return gw_sdp_fail(ctx, EINVAL, "more than one direction attribute at this level");
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (strcmp(name, names[i]) == 0)
			*lv->dir = vals[i];
	return 0;
}

static int on_candidate(struct sdp_parse_ctx *ctx, struct level *lv, const char *name, char *value)
{
	struct gw_sdp_candidate c;
	char *why = NULL;
	int err;

	if (ctx->n_candidates >= GW_SDP_MAX_CANDIDATES)
		return gw_sdp_fail(ctx, E2BIG, "more than %u candidates", GW_SDP_MAX_CANDIDATES);
	err = gw_sdp_candidate_parse_value(value ? value : "", &c, &why);
	if (err) {
		gw_sdp_fail(ctx, err, "%s", why);
		g_free(why);
		return err;
	}
	g_ptr_array_add(lv->m->candidates, g_memdup2(&c, sizeof(c)));
	ctx->n_candidates++;
	return 0;
}

static int on_eoc(struct sdp_parse_ctx *ctx, struct level *lv, const char *name, char *value)
{
	if (value)
		return KEEP;
	*lv->eoc = true;
	return 0;
}

static const struct attr_handler handlers[] = {
	{ "group", SESSION, on_group },
	{ "mid", MEDIA, on_mid },
	{ "rtpmap", MEDIA, on_rtpmap },
	{ "fmtp", MEDIA, on_fmtp },
	{ "ptime", MEDIA, on_ptime },
	{ "maxptime", MEDIA, on_ptime },
	{ "ice-ufrag", BOTH, on_ice_cred },
	{ "ice-pwd", BOTH, on_ice_cred },
	{ "ice-options", BOTH, on_ice_options },
	{ "ice-lite", SESSION, on_ice_lite },
	{ "fingerprint", BOTH, on_fingerprint },
	{ "setup", BOTH, on_setup },
	{ "rtcp-mux", MEDIA, on_rtcp_mux },
	{ "rtcp", MEDIA, on_rtcp },
	{ "sendrecv", BOTH, on_direction },
	{ "sendonly", BOTH, on_direction },
	{ "recvonly", BOTH, on_direction },
	{ "inactive", BOTH, on_direction },
	{ "candidate", MEDIA, on_candidate },
	{ "end-of-candidates", BOTH, on_eoc },
};

/* Contract: see sdp_priv.h. */
int gw_sdp_parse_attr(struct sdp_parse_ctx *ctx, char *line)
{
	struct level lv;
	char *colon = strchr(line, ':');
	char *value = NULL;
	char *copy;
	int rc = KEEP;

	if (colon == line || !*line)
		return gw_sdp_fail(ctx, EINVAL, "a= line without an attribute name");
	if (ctx->media) {
		lv = (struct level){ ctx->media, &ctx->media->ice_dtls, &ctx->media->direction,
				     &ctx->media->end_of_candidates, ctx->media->attrs };
	} else {
		lv = (struct level){ NULL, &ctx->sdp->ice_dtls, &ctx->sdp->direction,
				     &ctx->sdp->end_of_candidates, ctx->sdp->attrs };
	}
	/* Handlers cut their value in place; keep the text for KEEP. */
	copy = g_strdup(line);
	if (colon) {
		*colon = '\0';
		value = colon + 1;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(handlers); i++) {
		const struct attr_handler *h = &handlers[i];

		if (strcmp(h->name, line) != 0)
			continue;
		if (h->scope & (ctx->media ? MEDIA : SESSION))
			rc = h->fn(ctx, &lv, line, value);
		break;
	}
	if (rc == KEEP) {
		char *c = strchr(copy, ':');

		if (c)
			*c++ = '\0';
		g_ptr_array_add(lv.attrs, gw_sdp_attr_new(copy, c));
		rc = 0;
	}
	g_free(copy);
	return rc;
}
