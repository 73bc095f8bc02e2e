/* sip.c — the SIP side's SDP: plain RTP/AVP offer/answer toward trunks,
 * PBXs and carriers (RFC 3264, RFC 4566, RFC 3551, RFC 4733).
 *
 * Any thread; no state.  Builds our offers and answers on the SDP model and
 * reads the far end's offer or answer into a struct gw_sdp_sip_media the
 * caller owns (gw_sdp_sip_media_clear).  Strict in what we send (one audio
 * m-line, one codec in answers, no ICE/DTLS/rtcp-mux), liberal in what we
 * accept (static payload types without rtpmap, lower-case names, missing
 * clock rates, "a=ptime:20.0", session-level direction, RFC 2543 hold).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "gw/media.h"
#include "gw/obj.h"
#include "gw/sdp.h"
#include "sdp/sdp_priv.h"

#define PROTO_AVP	"RTP/AVP"
#define TE_NAME		"telephone-event"
#define TE_EVENTS	"0-16"	/* DTMF 0-15 and flash (RFC 4733 section 3.2) */
#define TE_PT_DEFAULT	101u
#define PTIME_DEFAULT	20u
#define PTIME_MIN	10u	/* ms; a remote hint outside the range is ignored */
#define PTIME_MAX	200u

/* The codecs the SIP side speaks, with their RFC 3551 static payload types. */
static const struct {
	const char *name;
	unsigned pt;
} known[] = {
	{ "PCMU", 0 }, { "PCMA", 8 }, { "G722", 9 },
};

static int fail(char **reason, int err, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static int fail(char **reason, int err, const char *fmt, ...)
{
	va_list ap;

	if (reason) {
		va_start(ap, fmt);
		*reason = g_strdup_vprintf(fmt, ap);
		va_end(ap);
	}
	return err;
}

static int known_index(const char *name)
{
	for (size_t i = 0; name && i < G_N_ELEMENTS(known); i++)
		if (g_ascii_strcasecmp(name, known[i].name) == 0)
			return (int)i;
	return -1;
}

/* RFC 3551 section 6: a static payload type without rtpmap is its table
 * codec; with an rtpmap the name decides (clock 8000 or not stated, mono). */
static bool codec_is(const struct gw_sdp_codec *c, int k)
{
	if (!c->encoding)
		return c->pt == known[k].pt;
	return g_ascii_strcasecmp(c->encoding, known[k].name) == 0 &&
	       (c->clock == 0 || c->clock == 8000) && c->channels <= 1;
}

static bool is_ip(const char *addr)
{
	return addr && *addr && !strpbrk(addr, " \t/") && g_hostname_is_ip_address(addr);
}

/* Check our parameters; @local: the address and port are used too. */
static int check_params(const struct gw_sdp_sip_params *p, bool local, char **reason)
{
	size_t n = 0;

	if (!p)
		return fail(reason, EINVAL, "bad local parameters: none given");
	if (local && !is_ip(p->addr))
		return fail(reason, EINVAL, "bad local parameters: addr \"%s\" is not an IP address",
			    p->addr ? p->addr : "(none)");
	if (local && p->port == 0)
		return fail(reason, EINVAL, "bad local parameters: RTP port is 0");
	for (; p->codecs && p->codecs[n]; n++)
		if (known_index(p->codecs[n]) < 0)
			return fail(reason, EINVAL, "bad local parameters: unknown codec \"%s\" "
				    "(PCMU, PCMA and G722 are supported)", p->codecs[n]);
	if (n == 0)
		return fail(reason, EINVAL, "bad local parameters: no codec");
	/* RFC 3551 section 3: dynamic payload types are 96-127. */
	if (p->te_pt && (p->te_pt < 96 || p->te_pt > 127))
		return fail(reason, EINVAL, "bad local parameters: telephone-event payload type "
			    "%u is not in 96-127", p->te_pt);
	if (p->ptime && (p->ptime < PTIME_MIN || p->ptime > PTIME_MAX))
		return fail(reason, EINVAL, "bad local parameters: ptime %u is not in %u-%u ms",
			    p->ptime, PTIME_MIN, PTIME_MAX);
	return 0;
}

/* Whether @p lists codec @k. */
static bool ours(const struct gw_sdp_sip_params *p, int k)
{
	for (size_t i = 0; p->codecs[i]; i++)
		if (known_index(p->codecs[i]) == k)
			return true;
	return false;
}

/* The first codec of @m (m= order) that is one of ours; its table index in
 * *@k.  Serves both rules: the offerer's order wins in an answer we build,
 * and the answerer's first listed codec is the one it sends. */
static const struct gw_sdp_codec *first_common(const struct gw_sdp_media *m,
					       const struct gw_sdp_sip_params *p, int *k)
{
	for (unsigned i = 0; i < m->codecs->len; i++) {
		const struct gw_sdp_codec *c = g_ptr_array_index(m->codecs, i);

		for (int j = 0; j < (int)G_N_ELEMENTS(known); j++)
			if (codec_is(c, j) && ours(p, j)) {
				*k = j;
				return c;
			}
	}
	return NULL;
}

/* Why @m has no codec of ours, for reasons: "none of our codecs (PCMU
 * PCMA) among the offered 18 G729/8000, 101 telephone-event/8000". */
static void describe_no_codec(GString *s, const struct gw_sdp_media *m,
			      const struct gw_sdp_sip_params *p, const char *what)
{
	if (!m->formats->len) {
		g_string_append(s, "the m= line lists no payload types");
		return;
	}
	g_string_append(s, "none of our codecs (");
	for (size_t i = 0; p->codecs[i]; i++)
		g_string_append_printf(s, "%s%s", i ? " " : "", known[known_index(p->codecs[i])].name);
	g_string_append_printf(s, ") among the %s ", what);
	for (unsigned i = 0; i < m->codecs->len; i++) {
		const struct gw_sdp_codec *c = g_ptr_array_index(m->codecs, i);

		g_string_append_printf(s, "%s%u", i ? ", " : "", c->pt);
		if (c->encoding)
			g_string_append_printf(s, " %s", c->encoding);
		if (c->encoding && c->clock)
			g_string_append_printf(s, "/%u", c->clock);
		if (c->encoding && c->clock && c->channels)
			g_string_append_printf(s, "/%u", c->channels);
	}
}

/* The far end's a=ptime: "20" (model field) or "20.0" (kept as text by the
 * parser), rounded to what we can pack and bounded by its a=maxptime; 20
 * when absent or out of range. */
static unsigned remote_ptime(const struct gw_sdp_media *m)
{
	const char *text = gw_sdp_media_attr(m, "ptime", NULL);
	const unsigned step = GW_MEDIA_PTIME_STEP;
	unsigned ptime = m->ptime;

	if (!ptime && text) {
		char *end = NULL;
		double v = g_ascii_strtod(text, &end);

		/* The range test also refuses NaN and infinities. */
		if (end != text && *end == '\0' && v >= PTIME_MIN && v <= PTIME_MAX)
			ptime = (unsigned)(v + 0.5);
	}
	if (ptime < PTIME_MIN || ptime > PTIME_MAX)
		ptime = PTIME_DEFAULT;
	/* The nearest ptime the media engine packs (a=ptime is a wish, RFC
	 * 4566 section 6), never above a=maxptime. */
	ptime = (ptime + step / 2) / step * step;
	ptime = CLAMP(ptime, GW_MEDIA_PTIME_MIN, GW_MEDIA_PTIME_MAX);
	if (m->maxptime >= PTIME_MIN && ptime > m->maxptime)
		ptime = MAX(m->maxptime / step * step, GW_MEDIA_PTIME_MIN);
	return ptime;
}

static bool addr_is_any(const char *addr)
{
	return strcmp(addr, "0.0.0.0") == 0 || strcmp(addr, "::") == 0;
}

static bool addr_is_multicast(const char *addr)
{
	char *end = NULL;
	unsigned long first = strtoul(addr, &end, 10);

	if (strchr(addr, ':'))
		return g_ascii_strncasecmp(addr, "ff", 2) == 0;
	return end != addr && *end == '.' && first >= 224 && first <= 239;
}

/* Fill @out from the far end's audio m-line @m (index @i) of @sdp: address,
 * port, codec, te/cn, ptime, direction, hold.  @what names the SDP for
 * reasons ("offer", "answer").  @out is left for the caller to free. */
static int read_media(const struct gw_sdp *sdp, const struct gw_sdp_media *m, unsigned i,
		      const struct gw_sdp_sip_params *p, const char *what,
		      struct gw_sdp_sip_media *out, char **reason)
{
	const struct gw_sdp_conn *conn = gw_sdp_media_conn(sdp, m);
	const struct gw_sdp_codec *c, *te = NULL, *cn;
	enum gw_sdp_dir dir = gw_sdp_media_direction(sdp, m);
	int k = -1;

	if (!conn)
		return fail(reason, EINVAL, "%s m-line %u has no c= line (neither at media nor at "
			    "session level)", what, i);
	if (!is_ip(conn->address))
		return fail(reason, addr_is_multicast(conn->address) ? ENOTSUP : EINVAL,
			    "%s m-line %u: c= address \"%s\" is not a unicast IP address", what, i,
			    conn->address);
	if (addr_is_multicast(conn->address))
		return fail(reason, ENOTSUP, "%s m-line %u: multicast c= address %s is not "
			    "supported", what, i, conn->address);
	c = first_common(m, p, &k);
	if (!c) {
		GString *s = g_string_new(NULL);

		describe_no_codec(s, m, p, strcmp(what, "offer") == 0 ? "offered" : "answered");
		fail(reason, ENOTSUP, "%s m-line %u: %s", what, i, s->str);
		g_string_free(s, TRUE);
		return ENOTSUP;
	}
	if (p->telephone_event)
		te = gw_sdp_media_find_codec(m, TE_NAME, 8000);
	cn = gw_sdp_media_find_codec(m, "CN", 8000);

	/* RFC 3264 section 8.4: c=0.0.0.0 (RFC 2543 hold) means "do not send
	 * to me", whatever the direction attribute says. */
	out->hold = addr_is_any(conn->address);
	if (out->hold && dir == GW_SDP_DIR_SENDRECV)
		dir = GW_SDP_DIR_SENDONLY;
	else if (out->hold && dir == GW_SDP_DIR_RECVONLY)
		dir = GW_SDP_DIR_INACTIVE;
	out->hold = out->hold || dir == GW_SDP_DIR_SENDONLY || dir == GW_SDP_DIR_INACTIVE;
	out->addr = g_strdup(conn->address);
	out->port = m->port;
	out->codec = g_strdup(known[k].name);
	out->pt = c->pt;
	out->te_pt = te ? (int)te->pt : -1;
	out->cn_pt = cn ? (int)cn->pt : -1;
	out->ptime = remote_ptime(m);
	out->direction = dir;
	return 0;
}

/* RFC 3264 section 6.1: we send only what the offerer receives, receive
 * only what it sends, and never more than @want allows. */
static enum gw_sdp_dir answer_dir(enum gw_sdp_dir want, enum gw_sdp_dir offered)
{
	bool want_send = want != GW_SDP_DIR_RECVONLY && want != GW_SDP_DIR_INACTIVE;
	bool want_recv = want != GW_SDP_DIR_SENDONLY && want != GW_SDP_DIR_INACTIVE;
	bool send = want_send && (offered == GW_SDP_DIR_SENDRECV || offered == GW_SDP_DIR_RECVONLY);
	bool recv = want_recv && (offered == GW_SDP_DIR_SENDRECV || offered == GW_SDP_DIR_SENDONLY);

	if (send && recv)
		return GW_SDP_DIR_SENDRECV;
	if (send)
		return GW_SDP_DIR_SENDONLY;
	return recv ? GW_SDP_DIR_RECVONLY : GW_SDP_DIR_INACTIVE;
}

/* A session with our o=, s= and session-level c=. */
static struct gw_sdp *local_session(const struct gw_sdp_sip_params *p)
{
	struct gw_sdp *sdp = gw_sdp_new();
	/* RFC 4566 section 5.2: an NTP-like number; 63 bits so peers that
	 * parse it as a signed 64-bit integer cope. */
	uint64_t id = p->session_id ? p->session_id
				    : (((uint64_t)g_random_int() << 31) ^ g_random_int()) | 1;

	g_free(sdp->origin.sess_id);
	sdp->origin.sess_id = g_strdup_printf("%" G_GUINT64_FORMAT, id & INT64_MAX);
	g_free(sdp->origin.sess_version);
	sdp->origin.sess_version = g_strdup_printf("%" G_GUINT64_FORMAT,
						   p->session_version ? p->session_version : 1);
	gw_sdp_set_str(&sdp->origin.username, "rtcsip");
	gw_sdp_set_str(&sdp->origin.addrtype, strchr(p->addr, ':') ? "IP6" : "IP4");
	gw_sdp_set_str(&sdp->origin.address, p->addr);
	gw_sdp_set_str(&sdp->name, "rtcsip");
	gw_sdp_conn_set(&sdp->conn, p->addr);
	return sdp;
}

/* Contract: see gw/sdp.h. */
int gw_sdp_sip_offer_build(const struct gw_sdp_sip_params *p, char **out, char **reason)
{
	struct gw_sdp *sdp;
	struct gw_sdp_media *m;
	int err = check_params(p, true, reason);

	if (err)
		return err;
	if (!out)
		return fail(reason, EINVAL, "no place for the offer");
	sdp = local_session(p);
	m = gw_sdp_media_add(sdp, "audio", p->port, PROTO_AVP);
	for (size_t i = 0; p->codecs[i]; i++) {
		int k = known_index(p->codecs[i]);

		if (!gw_sdp_media_codec_by_pt(m, known[k].pt))	/* listed twice */
			gw_sdp_media_add_codec(m, known[k].pt, known[k].name, 8000, 0, NULL);
	}
	if (p->telephone_event)
		gw_sdp_media_add_codec(m, p->te_pt ? p->te_pt : TE_PT_DEFAULT, TE_NAME, 8000, 0,
				       TE_EVENTS);
	m->ptime = p->ptime ? p->ptime : PTIME_DEFAULT;
	m->direction = p->direction != GW_SDP_DIR_NONE ? p->direction : GW_SDP_DIR_SENDRECV;
	*out = gw_sdp_print(sdp);
	gw_obj_deref(sdp);
	return 0;
}

/* RFC 3264 section 6: a refused stream keeps its media, proto and one of its
 * formats, with port 0.  The session-level c= covers it. */
static void add_refused(struct gw_sdp *ans, const struct gw_sdp_media *m)
{
	struct gw_sdp_media *r = gw_sdp_media_add(ans, m->type, 0, m->proto);

	if (m->codecs->len) {
		const struct gw_sdp_codec *c = g_ptr_array_index(m->codecs, 0);

		gw_sdp_media_add_codec(r, c->pt, c->encoding, c->clock, c->channels, NULL);
	} else if (m->formats->len) {
		gw_sdp_media_add_format(r, g_ptr_array_index(m->formats, 0));
	}
}

static void add_accepted(struct gw_sdp *ans, const struct gw_sdp_media *m,
			 const struct gw_sdp_sip_params *p, const struct gw_sdp_sip_media *got,
			 enum gw_sdp_dir dir)
{
	struct gw_sdp_media *a = gw_sdp_media_add(ans, "audio", p->port, m->proto);

	/* One codec: the far end then never switches codecs mid-call, and CN is
	 * left out so it sends real (comfort) audio instead of SID frames. */
	gw_sdp_media_add_codec(a, got->pt, got->codec, 8000, 0, NULL);
	if (got->te_pt >= 0)
		gw_sdp_media_add_codec(a, (unsigned)got->te_pt, TE_NAME, 8000, 0, TE_EVENTS);
	a->ptime = p->ptime ? p->ptime : PTIME_DEFAULT;
	a->direction = dir;
}

static bool proto_is_avp(const char *proto)
{
	return g_ascii_strcasecmp(proto, "RTP/AVP") == 0 ||
	       g_ascii_strcasecmp(proto, "RTP/AVPF") == 0;
}

/* The first audio m-line we can take: enabled, plain RTP, with a codec of
 * ours.  NULL with what was wrong with each audio m-line in @why. */
static const struct gw_sdp_media *pick_audio(const struct gw_sdp *offer,
					     const struct gw_sdp_sip_params *p, unsigned *index,
					     GString *why)
{
	for (unsigned i = 0; i < offer->media->len; i++) {
		const struct gw_sdp_media *m = g_ptr_array_index(offer->media, i);
		int k;

		if (g_ascii_strcasecmp(m->type, "audio") != 0)
			continue;
		g_string_append_printf(why, "; m-line %u: ", i);
		if (m->port == 0) {
			g_string_append(why, "port 0 (disabled)");
		} else if (!proto_is_avp(m->proto)) {
			g_string_append_printf(why, "proto %s is not plain RTP/AVP (SRTP and "
					       "DTLS are not offered on the SIP side)", m->proto);
		} else if (!first_common(m, p, &k)) {
			describe_no_codec(why, m, p, "offered");
		} else {
			*index = i;
			return m;
		}
	}
	return NULL;
}

/* Contract: see gw/sdp.h. */
int gw_sdp_sip_answer_build(const struct gw_sdp *offer, const struct gw_sdp_sip_params *p,
			    struct gw_sdp_sip_media *media, char **answer, char **reason)
{
	struct gw_sdp_sip_media got = { 0 };
	GString *why = g_string_new(NULL);
	const struct gw_sdp_media *am;
	struct gw_sdp *ans = NULL;
	unsigned index = 0;
	int err;

	err = check_params(p, true, reason);
	if (err)
		goto out;
	if (!offer || !media || !answer) {
		err = fail(reason, EINVAL, "no offer or no place for the answer");
		goto out;
	}
	am = pick_audio(offer, p, &index, why);
	if (!am) {
		err = why->len ? fail(reason, ENOTSUP, "no usable audio m-line in the offer: %s",
				      why->str + 2)
			       : fail(reason, ENOTSUP, "the offer has no audio m-line");
		goto out;
	}
	err = read_media(offer, am, index, p, "offer", &got, reason);
	if (err)
		goto out;

	ans = local_session(p);
	for (unsigned i = 0; i < offer->media->len; i++) {
		const struct gw_sdp_media *m = g_ptr_array_index(offer->media, i);

		if (m == am)
			add_accepted(ans, m, p, &got, answer_dir(p->direction, got.direction));
		else
			add_refused(ans, m);
	}
	*answer = gw_sdp_print(ans);
	*media = got;
	memset(&got, 0, sizeof(got));
out:
	gw_sdp_sip_media_clear(&got);
	gw_obj_deref(ans);
	g_string_free(why, TRUE);
	return err;
}

/* Contract: see gw/sdp.h. */
int gw_sdp_sip_answer_parse(const struct gw_sdp *answer, const struct gw_sdp_sip_params *p,
			    struct gw_sdp_sip_media *media, char **reason)
{
	struct gw_sdp_sip_media got = { 0 };
	const struct gw_sdp_media *m = NULL;
	unsigned i = 0;
	int err;

	err = check_params(p, false, reason);
	if (err)
		return err;
	if (!answer || !media)
		return fail(reason, EINVAL, "no answer or no place for the result");
	/* Our offers have one audio m-line: the answer's first one is its peer. */
	while (i < answer->media->len &&
	       g_ascii_strcasecmp(gw_sdp_media_get(answer, i)->type, "audio") != 0)
		i++;
	m = gw_sdp_media_get(answer, i);
	if (!m)
		return fail(reason, ENOTSUP, "the answer has no audio m-line");
	if (m->port == 0)
		return fail(reason, ENOTSUP, "the far end refused our audio (port 0 in the answer)");
	if (!proto_is_avp(m->proto))
		return fail(reason, ENOTSUP, "the answer changed the proto to %s (we offered %s)",
			    m->proto, PROTO_AVP);
	err = read_media(answer, m, i, p, "answer", &got, reason);
	if (err) {
		gw_sdp_sip_media_clear(&got);
		return err;
	}
	*media = got;
	return 0;
}

/* Contract: see gw/sdp.h. */
void gw_sdp_sip_media_clear(struct gw_sdp_sip_media *m)
{
	if (!m)
		return;
	g_free(m->addr);
	g_free(m->codec);
	memset(m, 0, sizeof(*m));
}
