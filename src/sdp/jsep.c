/* jsep.c — the gateway as WebRTC answerer (RFC 8829 5.3, RFC 3264 6).
 *
 * Any thread; no state.  Accepts exactly one audio m-line (the first with a
 * DTLS-SRTP profile and a codec we speak), answers every other m-line with
 * port 0 keeping its mid, and reports what it chose in a result the caller
 * owns (gw_sdp_answer_result_clear).
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include "gw/obj.h"
#include "gw/sdp.h"
#include "sdp/sdp_priv.h"

#define TE_EVENTS "0-15"	/* DTMF digits, RFC 4733 */
#define OPUS_FMTP "minptime=10;useinbandfec=1"

/* The offered payload types the answer uses; NULL when not used. */
struct pick {
	const struct gw_sdp_codec *opus, *te48, *te8;
	const struct gw_sdp_codec *extra[3];
	const char *extra_name[3];
	unsigned n_extra;
};

static bool proto_is_dtls_srtp(const char *proto)
{
	/* RTP/SAVPF: pre-2015 Chrome and gateways with a fingerprint. */
	return g_ascii_strcasecmp(proto, "UDP/TLS/RTP/SAVPF") == 0 ||
	       g_ascii_strcasecmp(proto, "RTP/SAVPF") == 0;
}

static bool pick_codecs(const struct gw_sdp_media *m, const struct gw_sdp_jsep_params *p,
			struct pick *pk)
{
	memset(pk, 0, sizeof(*pk));
	pk->opus = gw_sdp_media_find_codec(m, "opus", 48000);
	for (size_t i = 0; p->extra_codecs && p->extra_codecs[i] && pk->n_extra < 3; i++) {
		const struct gw_sdp_codec *c = gw_sdp_media_find_codec(m, p->extra_codecs[i], 8000);

		if (c) {
			pk->extra[pk->n_extra] = c;
			pk->extra_name[pk->n_extra++] = p->extra_codecs[i];
		}
	}
	if (!pk->opus && !pk->n_extra)
		return false;
	if (pk->opus)
		pk->te48 = gw_sdp_media_find_codec(m, "telephone-event", 48000);
	pk->te8 = gw_sdp_media_find_codec(m, "telephone-event", 8000);
	return true;
}

/* The first usable audio m-line, or NULL with what was wrong in @why. */
static const struct gw_sdp_media *find_audio(const struct gw_sdp *offer,
					     const struct gw_sdp_jsep_params *p,
					     struct pick *pk, unsigned *index, GString *why)
{
	for (unsigned i = 0; i < offer->media->len; i++) {
		const struct gw_sdp_media *m = g_ptr_array_index(offer->media, i);
		bool bundle_only = false;

		if (strcmp(m->type, "audio") != 0)
			continue;
		gw_sdp_media_attr(m, "bundle-only", &bundle_only);
		if (m->port == 0 && !bundle_only)
			g_string_append_printf(why, "; m-line %u: port 0 (disabled)", i);
		else if (!proto_is_dtls_srtp(m->proto))
			g_string_append_printf(why, "; m-line %u: proto %s is not DTLS-SRTP "
					       "(UDP/TLS/RTP/SAVPF)", i, m->proto);
		else if (!pick_codecs(m, p, pk))
			g_string_append_printf(why, "; m-line %u: no opus/48000%s", i,
					       p->extra_codecs && p->extra_codecs[0]
						       ? " nor an allowed extra codec" : "");
		else {
			*index = i;
			return m;
		}
	}
	return NULL;
}

/* RFC 3264 6.1: never send what the offerer will not receive, and so on. */
static enum gw_sdp_dir answer_dir(enum gw_sdp_dir want, enum gw_sdp_dir offered)
{
	bool want_send = want == GW_SDP_DIR_NONE || want == GW_SDP_DIR_SENDRECV ||
			 want == GW_SDP_DIR_SENDONLY;
	bool want_recv = want == GW_SDP_DIR_NONE || want == GW_SDP_DIR_SENDRECV ||
			 want == GW_SDP_DIR_RECVONLY;
	bool send = want_send && (offered == GW_SDP_DIR_SENDRECV || offered == GW_SDP_DIR_RECVONLY);
	bool recv = want_recv && (offered == GW_SDP_DIR_SENDRECV || offered == GW_SDP_DIR_SENDONLY);

	if (send && recv)
		return GW_SDP_DIR_SENDRECV;
	if (send)
		return GW_SDP_DIR_SENDONLY;
	return recv ? GW_SDP_DIR_RECVONLY : GW_SDP_DIR_INACTIVE;
}

/* RFC 5763 5, RFC 4145 4: our DTLS role from the offer's a=setup. */
static int pick_setup(enum gw_sdp_setup remote, const char *want, enum gw_sdp_setup *out,
		      char **reason)
{
	enum gw_sdp_setup local;

	switch (remote) {
	case GW_SDP_SETUP_ACTPASS:
		local = want && strcmp(want, "active") == 0 ? GW_SDP_SETUP_ACTIVE
							  : GW_SDP_SETUP_PASSIVE;
		break;
	case GW_SDP_SETUP_PASSIVE:
		local = GW_SDP_SETUP_ACTIVE;
		break;
	case GW_SDP_SETUP_HOLDCONN:
		if (reason)
			*reason = g_strdup("offer says a=setup:holdconn: no DTLS connection to make");
		return EINVAL;
	default:	/* active, or absent which RFC 4145 reads as active */
		local = GW_SDP_SETUP_PASSIVE;
		break;
	}
	if (want && strcmp(want, gw_sdp_setup_name(local)) != 0) {
		if (reason)
			*reason = g_strdup_printf("offer a=setup:%s leaves us %s, not %s",
						  gw_sdp_setup_name(remote),
						  gw_sdp_setup_name(local), want);
		return EINVAL;
	}
	*out = local;
	return 0;
}

static void add_rejected(struct gw_sdp *ans, const struct gw_sdp_media *m)
{
	struct gw_sdp_media *r = gw_sdp_media_add(ans, m->type, 0, m->proto);

	/* RFC 3264 6: one format is enough on a refused m-line; keep its
	 * rtpmap so strict parsers find a described payload type. */
	if (m->codecs->len) {
		const struct gw_sdp_codec *c = g_ptr_array_index(m->codecs, 0);

		gw_sdp_media_add_codec(r, c->pt, c->encoding, c->clock, c->channels, NULL);
	} else if (m->formats->len) {
		gw_sdp_media_add_format(r, g_ptr_array_index(m->formats, 0));
	}
	gw_sdp_conn_set(&r->conn, "0.0.0.0");
	gw_sdp_set_str(&r->mid, m->mid);
}

static void add_accepted(struct gw_sdp *ans, const struct gw_sdp_media *m,
			 const struct gw_sdp_jsep_params *p, const struct pick *pk,
			 enum gw_sdp_setup setup, enum gw_sdp_dir dir)
{
	struct gw_sdp_media *a = gw_sdp_media_add(ans, "audio", 0, m->proto);

	if (pk->opus)
		gw_sdp_media_add_codec(a, pk->opus->pt, "opus", 48000, 2, OPUS_FMTP);
	for (unsigned i = 0; i < pk->n_extra; i++) {
		char *name = g_ascii_strup(pk->extra_name[i], -1);

		gw_sdp_media_add_codec(a, pk->extra[i]->pt, name, 8000, 0, NULL);
		g_free(name);
	}
	if (pk->te48)
		gw_sdp_media_add_codec(a, pk->te48->pt, "telephone-event", 48000, 0, TE_EVENTS);
	if (pk->te8)
		gw_sdp_media_add_codec(a, pk->te8->pt, "telephone-event", 8000, 0, TE_EVENTS);
	gw_sdp_jsep_transport(a, p, setup);
	gw_sdp_set_str(&a->mid, m->mid);
	a->direction = dir;
	gw_sdp_jsep_stream_ids(a, p);
}

/* The accepted m-line's candidates and those of its BUNDLE peers, which
 * share its transport (RFC 8843 7), without duplicates. */
static void collect_candidates(const struct gw_sdp *offer, const struct gw_sdp_media *am,
			       struct gw_sdp_answer_result *res)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	bool bundled = gw_sdp_bundle_has(offer, am->mid);

	res->remote_candidates = g_ptr_array_new_with_free_func(
		(GDestroyNotify)gw_sdp_candidate_free);
	res->remote_end_of_candidates = offer->end_of_candidates;
	for (unsigned i = 0; i < offer->media->len; i++) {
		const struct gw_sdp_media *m = g_ptr_array_index(offer->media, i);

		if (m != am && !(bundled && gw_sdp_bundle_has(offer, m->mid)))
			continue;
		res->remote_end_of_candidates |= m->end_of_candidates;
		for (unsigned k = 0; k < m->candidates->len; k++) {
			const struct gw_sdp_candidate *c = g_ptr_array_index(m->candidates, k);
			char *key = gw_sdp_candidate_print(c);

			if (g_hash_table_add(seen, key))
				g_ptr_array_add(res->remote_candidates, gw_sdp_candidate_dup(c));
		}
	}
	g_hash_table_unref(seen);
}

static void fill_result(struct gw_sdp_answer_result *res, const struct gw_sdp *offer,
			const struct gw_sdp_media *m, unsigned index, const struct pick *pk,
			enum gw_sdp_setup setup, enum gw_sdp_dir dir)
{
	const struct gw_sdp_fingerprint *fp = gw_sdp_media_fingerprint(offer, m);

	memset(res, 0, sizeof(*res));
	res->mline = index;
	res->mid = g_strdup(m->mid);
	res->opus_pt = pk->opus ? (int)pk->opus->pt : -1;
	res->pcmu_pt = res->pcma_pt = res->g722_pt = -1;
	for (unsigned i = 0; i < pk->n_extra; i++) {
		int pt = (int)pk->extra[i]->pt;

		switch (gw_sdp_extra_codec_pt(pk->extra_name[i])) {
		case 0: res->pcmu_pt = pt; break;
		case 8: res->pcma_pt = pt; break;
		default: res->g722_pt = pt; break;
		}
	}
	res->te48_pt = pk->te48 ? (int)pk->te48->pt : -1;
	res->te8_pt = pk->te8 ? (int)pk->te8->pt : -1;
	res->send_pt = pk->opus ? res->opus_pt : (int)pk->extra[0]->pt;
	res->direction = dir;
	res->local_setup = setup;
	res->remote_setup = gw_sdp_media_setup(offer, m);
	res->remote_ufrag = g_strdup(gw_sdp_media_ice_ufrag(offer, m));
	res->remote_pwd = g_strdup(gw_sdp_media_ice_pwd(offer, m));
	res->remote_fp_hash = g_strdup(fp->hash);
	res->remote_fp_value = g_strdup(fp->value);
	res->remote_ice_lite = offer->ice_lite;
	collect_candidates(offer, m, res);
}

/* Contract: see gw/sdp.h. */
int gw_sdp_answer_build(const struct gw_sdp *offer, const struct gw_sdp_jsep_params *p,
			struct gw_sdp_answer_result *res, char **answer_sdp, char **reason)
{
	GString *why = g_string_new(NULL);
	const struct gw_sdp_media *am;
	struct gw_sdp *ans = NULL;
	enum gw_sdp_setup setup;
	enum gw_sdp_dir dir;
	struct pick pk;
	unsigned index = 0;
	int err;

	err = gw_sdp_jsep_check(p, reason);
	if (err)
		goto out;
	am = offer ? find_audio(offer, p, &pk, &index, why) : NULL;
	if (!am) {
		err = ENOTSUP;
		if (reason && why->len)
			*reason = g_strdup_printf("no usable audio m-line in the offer: %s",
						  why->str + 2);
		else if (reason)
			*reason = g_strdup("the offer has no audio m-line");
		goto out;
	}
	err = EINVAL;
	if (!gw_sdp_media_ice_ufrag(offer, am) || !gw_sdp_media_ice_pwd(offer, am)) {
		if (reason)
			*reason = g_strdup_printf("offer m-line %u has no a=ice-ufrag/a=ice-pwd "
						  "(ICE is required)", index);
		goto out;
	}
	if (!gw_sdp_media_fingerprint(offer, am)) {
		if (reason)
			*reason = g_strdup_printf("offer m-line %u has no a=fingerprint "
						  "(DTLS-SRTP is required)", index);
		goto out;
	}
	if (!am->rtcp_mux) {
		if (reason)
			*reason = g_strdup_printf("offer m-line %u has no a=rtcp-mux (RFC 8858 "
						  "multiplexing is required)", index);
		goto out;
	}
	err = pick_setup(gw_sdp_media_setup(offer, am), p->setup, &setup, reason);
	if (err)
		goto out;
	dir = answer_dir(p->direction, gw_sdp_media_direction(offer, am));

	ans = gw_sdp_jsep_session(p);
	/* RFC 8843 7.3.1: the answer's group lists only the accepted mid. */
	if (gw_sdp_bundle_has(offer, am->mid)) {
		ans->bundle = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(ans->bundle, g_strdup(am->mid));
	}
	for (unsigned i = 0; i < offer->media->len; i++) {
		const struct gw_sdp_media *m = g_ptr_array_index(offer->media, i);

		if (m == am)
			add_accepted(ans, m, p, &pk, setup, dir);
		else
			add_rejected(ans, m);
	}
	fill_result(res, offer, am, index, &pk, setup, dir);
	*answer_sdp = gw_sdp_print(ans);
out:
	gw_obj_deref(ans);
	g_string_free(why, TRUE);
	return err;
}

/* Contract: see gw/sdp.h. */
void gw_sdp_answer_result_clear(struct gw_sdp_answer_result *res)
{
	if (!res)
		return;
	g_free(res->mid);
	g_free(res->remote_ufrag);
	g_free(res->remote_pwd);
	g_free(res->remote_fp_hash);
	g_free(res->remote_fp_value);
	if (res->remote_candidates)
		g_ptr_array_unref(res->remote_candidates);
	memset(res, 0, sizeof(*res));
}
