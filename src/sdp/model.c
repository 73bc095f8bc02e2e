/* model.c — the SDP model: allocation, destruction, builders, accessors.
 *
 * Any thread.  struct gw_sdp is a gw_obj; it owns its media sections and
 * every string and list inside them (freed by sdp_destroy).
 */
#include <string.h>
#include <glib.h>
#include "gw/obj.h"
#include "gw/sdp.h"
#include "sdp/sdp_priv.h"

void gw_sdp_attr_free(gpointer p)
{
	struct gw_sdp_attr *a = p;

	if (!a)
		return;
	g_free(a->name);
	g_free(a->value);
	g_free(a);
}

struct gw_sdp_attr *gw_sdp_attr_new(const char *name, const char *value)
{
	struct gw_sdp_attr *a = g_new0(struct gw_sdp_attr, 1);

	a->name = g_strdup(name);
	a->value = g_strdup(value);
	return a;
}

void gw_sdp_line_free(gpointer p)
{
	struct gw_sdp_line *l = p;

	if (!l)
		return;
	g_free(l->value);
	g_free(l);
}

void gw_sdp_bandwidth_free(gpointer p)
{
	struct gw_sdp_bandwidth *b = p;

	if (!b)
		return;
	g_free(b->type);
	g_free(b);
}

void gw_sdp_codec_free(gpointer p)
{
	struct gw_sdp_codec *c = p;

	if (!c)
		return;
	g_free(c->encoding);
	g_free(c->fmtp);
	g_free(c);
}

static void conn_clear(struct gw_sdp_conn *c)
{
	g_clear_pointer(&c->nettype, g_free);
	g_clear_pointer(&c->addrtype, g_free);
	g_clear_pointer(&c->address, g_free);
}

static void ice_dtls_clear(struct gw_sdp_ice_dtls *t)
{
	g_clear_pointer(&t->ice_ufrag, g_free);
	g_clear_pointer(&t->ice_pwd, g_free);
	g_clear_pointer(&t->ice_options, g_free);
	g_clear_pointer(&t->fingerprint.hash, g_free);
	g_clear_pointer(&t->fingerprint.value, g_free);
}

struct gw_sdp_media *gw_sdp_media_new(void)
{
	struct gw_sdp_media *m = g_new0(struct gw_sdp_media, 1);

	m->formats = g_ptr_array_new_with_free_func(g_free);
	m->codecs = g_ptr_array_new_with_free_func(gw_sdp_codec_free);
	m->bandwidths = g_ptr_array_new_with_free_func(gw_sdp_bandwidth_free);
	m->lines = g_ptr_array_new_with_free_func(gw_sdp_line_free);
	m->candidates = g_ptr_array_new_with_free_func((GDestroyNotify)gw_sdp_candidate_free);
	m->attrs = g_ptr_array_new_with_free_func(gw_sdp_attr_free);
	return m;
}

void gw_sdp_media_free(gpointer p)
{
	struct gw_sdp_media *m = p;

	if (!m)
		return;
	g_free(m->type);
	g_free(m->proto);
	g_ptr_array_unref(m->formats);
	g_ptr_array_unref(m->codecs);
	conn_clear(&m->conn);
	g_ptr_array_unref(m->bandwidths);
	g_ptr_array_unref(m->lines);
	g_free(m->mid);
	ice_dtls_clear(&m->ice_dtls);
	g_free(m->rtcp_addr);
	g_ptr_array_unref(m->candidates);
	g_ptr_array_unref(m->attrs);
	g_free(m);
}

static void sdp_destroy(void *obj)
{
	struct gw_sdp *sdp = obj;
	struct gw_sdp_origin *o = &sdp->origin;

	g_free(o->username);
	g_free(o->sess_id);
	g_free(o->sess_version);
	g_free(o->nettype);
	g_free(o->addrtype);
	g_free(o->address);
	g_free(sdp->name);
	conn_clear(&sdp->conn);
	g_ptr_array_unref(sdp->bandwidths);
	g_ptr_array_unref(sdp->lines);
	if (sdp->bundle)
		g_ptr_array_unref(sdp->bundle);
	ice_dtls_clear(&sdp->ice_dtls);
	g_ptr_array_unref(sdp->attrs);
	g_ptr_array_unref(sdp->media);
}

/* Contract: see gw/sdp.h. */
struct gw_sdp *gw_sdp_new(void)
{
	struct gw_sdp *sdp = gw_obj_alloc(sizeof(*sdp), sdp_destroy);

	sdp->origin.username = g_strdup("-");
	sdp->origin.sess_id = g_strdup("0");
	sdp->origin.sess_version = g_strdup("0");
	sdp->origin.nettype = g_strdup("IN");
	sdp->origin.addrtype = g_strdup("IP4");
	sdp->origin.address = g_strdup("0.0.0.0");
	sdp->name = g_strdup("-");
	sdp->bandwidths = g_ptr_array_new_with_free_func(gw_sdp_bandwidth_free);
	sdp->lines = g_ptr_array_new_with_free_func(gw_sdp_line_free);
	sdp->attrs = g_ptr_array_new_with_free_func(gw_sdp_attr_free);
	sdp->media = g_ptr_array_new_with_free_func(gw_sdp_media_free);
	return sdp;
}

/* Contract: see gw/sdp.h. */
struct gw_sdp_media *gw_sdp_media_add(struct gw_sdp *sdp, const char *type, uint16_t port,
				      const char *proto)
{
	struct gw_sdp_media *m = gw_sdp_media_new();

	m->type = g_strdup(type);
	m->port = port;
	m->proto = g_strdup(proto);
	g_ptr_array_add(sdp->media, m);
	return m;
}

/* Contract: see gw/sdp.h. */
struct gw_sdp_codec *gw_sdp_media_add_codec(struct gw_sdp_media *m, unsigned pt,
					    const char *encoding, unsigned clock,
					    unsigned channels, const char *fmtp)
{
	struct gw_sdp_codec *c = g_new0(struct gw_sdp_codec, 1);

	c->pt = pt;
	c->encoding = g_strdup(encoding);
	c->clock = clock;
	c->channels = channels;
	c->fmtp = g_strdup(fmtp);
	g_ptr_array_add(m->formats, g_strdup_printf("%u", pt));
	g_ptr_array_add(m->codecs, c);
	return c;
}

/* Contract: see gw/sdp.h. */
void gw_sdp_media_add_format(struct gw_sdp_media *m, const char *format)
{
	g_ptr_array_add(m->formats, g_strdup(format));
}

/* Contract: see gw/sdp.h. */
void gw_sdp_media_add_attr(struct gw_sdp_media *m, const char *name, const char *value)
{
	g_ptr_array_add(m->attrs, gw_sdp_attr_new(name, value));
}

/* Contract: see gw/sdp.h. */
void gw_sdp_add_attr(struct gw_sdp *sdp, const char *name, const char *value)
{
	g_ptr_array_add(sdp->attrs, gw_sdp_attr_new(name, value));
}

/* Contract: see gw/sdp.h. */
void gw_sdp_media_add_candidate(struct gw_sdp_media *m, const struct gw_sdp_candidate *c)
{
	g_ptr_array_add(m->candidates, gw_sdp_candidate_dup(c));
}

/* Contract: see gw/sdp.h. */
void gw_sdp_set_str(char **field, const char *value)
{
	char *copy = g_strdup(value);

	g_free(*field);
	*field = copy;
}

/* Contract: see gw/sdp.h. */
void gw_sdp_conn_set(struct gw_sdp_conn *conn, const char *address)
{
	gw_sdp_set_str(&conn->nettype, "IN");
	gw_sdp_set_str(&conn->addrtype, strchr(address, ':') ? "IP6" : "IP4");
	gw_sdp_set_str(&conn->address, address);
}

bool gw_sdp_proto_is_rtp(const char *proto)
{
	/* RTP/AVP, RTP/SAVPF, UDP/TLS/RTP/SAVPF, TCP/RTP/AVP ... (RFC 4566 8.2.2) */
	return proto && strstr(proto, "RTP/") != NULL;
}

/* ---- accessors (contracts in gw/sdp.h) ---- */

struct gw_sdp_media *gw_sdp_media_get(const struct gw_sdp *sdp, unsigned i)
{
	return i < sdp->media->len ? g_ptr_array_index(sdp->media, i) : NULL;
}

struct gw_sdp_media *gw_sdp_find_media(const struct gw_sdp *sdp, const char *type)
{
	for (unsigned i = 0; i < sdp->media->len; i++) {
		struct gw_sdp_media *m = g_ptr_array_index(sdp->media, i);

		if (g_strcmp0(m->type, type) == 0)
			return m;
	}
	return NULL;
}

struct gw_sdp_media *gw_sdp_find_mid(const struct gw_sdp *sdp, const char *mid)
{
	for (unsigned i = 0; mid && i < sdp->media->len; i++) {
		struct gw_sdp_media *m = g_ptr_array_index(sdp->media, i);

		if (g_strcmp0(m->mid, mid) == 0)
			return m;
	}
	return NULL;
}

bool gw_sdp_bundle_has(const struct gw_sdp *sdp, const char *mid)
{
	for (unsigned i = 0; mid && sdp->bundle && i < sdp->bundle->len; i++)
		if (strcmp(g_ptr_array_index(sdp->bundle, i), mid) == 0)
			return true;
	return false;
}

const char *gw_sdp_media_ice_ufrag(const struct gw_sdp *sdp, const struct gw_sdp_media *m)
{
	return m->ice_dtls.ice_ufrag ? m->ice_dtls.ice_ufrag : sdp->ice_dtls.ice_ufrag;
}

const char *gw_sdp_media_ice_pwd(const struct gw_sdp *sdp, const struct gw_sdp_media *m)
{
	return m->ice_dtls.ice_pwd ? m->ice_dtls.ice_pwd : sdp->ice_dtls.ice_pwd;
}

const struct gw_sdp_fingerprint *gw_sdp_media_fingerprint(const struct gw_sdp *sdp,
							  const struct gw_sdp_media *m)
{
	if (m->ice_dtls.fingerprint.hash)
		return &m->ice_dtls.fingerprint;
	if (sdp->ice_dtls.fingerprint.hash)
		return &sdp->ice_dtls.fingerprint;
	return NULL;
}

enum gw_sdp_setup gw_sdp_media_setup(const struct gw_sdp *sdp, const struct gw_sdp_media *m)
{
	return m->ice_dtls.setup != GW_SDP_SETUP_NONE ? m->ice_dtls.setup : sdp->ice_dtls.setup;
}

enum gw_sdp_dir gw_sdp_media_direction(const struct gw_sdp *sdp, const struct gw_sdp_media *m)
{
	if (m->direction != GW_SDP_DIR_NONE)
		return m->direction;
	if (sdp->direction != GW_SDP_DIR_NONE)
		return sdp->direction;
	return GW_SDP_DIR_SENDRECV;	/* RFC 3264 section 5.1 */
}

const struct gw_sdp_conn *gw_sdp_media_conn(const struct gw_sdp *sdp, const struct gw_sdp_media *m)
{
	if (m->conn.address)
		return &m->conn;
	return sdp->conn.address ? &sdp->conn : NULL;
}

/* RFC 3551 static audio payload types a SIP peer may list without rtpmap. */
static const struct {
	unsigned pt;
	const char *name;
	unsigned clock;
} static_pts[] = {
	{ 0, "PCMU", 8000 }, { 3, "GSM", 8000 }, { 4, "G723", 8000 },
	{ 8, "PCMA", 8000 }, { 9, "G722", 8000 }, { 13, "CN", 8000 },
	{ 18, "G729", 8000 },
};

static bool codec_matches(const struct gw_sdp_codec *c, const char *encoding, unsigned clock)
{
	const char *name = c->encoding;
	unsigned rate = c->clock;

	if (!name) {
		for (size_t i = 0; i < G_N_ELEMENTS(static_pts); i++)
			if (static_pts[i].pt == c->pt) {
				name = static_pts[i].name;
				rate = static_pts[i].clock;
			}
	}
	if (!name || g_ascii_strcasecmp(name, encoding) != 0)
		return false;
	return clock == 0 || rate == clock;
}

const struct gw_sdp_codec *gw_sdp_media_find_codec(const struct gw_sdp_media *m,
						   const char *encoding, unsigned clock)
{
	for (unsigned i = 0; i < m->codecs->len; i++) {
		const struct gw_sdp_codec *c = g_ptr_array_index(m->codecs, i);

		if (codec_matches(c, encoding, clock))
			return c;
	}
	return NULL;
}

struct gw_sdp_codec *gw_sdp_media_codec_mut(struct gw_sdp_media *m, unsigned pt)
{
	for (unsigned i = 0; i < m->codecs->len; i++) {
		struct gw_sdp_codec *c = g_ptr_array_index(m->codecs, i);

		if (c->pt == pt)
			return c;
	}
	return NULL;
}

const struct gw_sdp_codec *gw_sdp_media_codec_by_pt(const struct gw_sdp_media *m, unsigned pt)
{
	return gw_sdp_media_codec_mut((struct gw_sdp_media *)m, pt);
}

const struct gw_sdp_candidate *gw_sdp_media_candidate(const struct gw_sdp_media *m, unsigned i)
{
	return i < m->candidates->len ? g_ptr_array_index(m->candidates, i) : NULL;
}

const char *gw_sdp_media_attr(const struct gw_sdp_media *m, const char *name, bool *found)
{
	for (unsigned i = 0; i < m->attrs->len; i++) {
		const struct gw_sdp_attr *a = g_ptr_array_index(m->attrs, i);

		if (strcmp(a->name, name) == 0) {
			if (found)
				*found = true;
			return a->value ? a->value : "";
		}
	}
	if (found)
		*found = false;
	return NULL;
}

const char *gw_sdp_dir_name(enum gw_sdp_dir dir)
{
	switch (dir) {
	case GW_SDP_DIR_SENDRECV: return "sendrecv";
	case GW_SDP_DIR_SENDONLY: return "sendonly";
	case GW_SDP_DIR_RECVONLY: return "recvonly";
	case GW_SDP_DIR_INACTIVE: return "inactive";
	default: return "";
	}
}

const char *gw_sdp_setup_name(enum gw_sdp_setup setup)
{
	switch (setup) {
	case GW_SDP_SETUP_ACTPASS: return "actpass";
	case GW_SDP_SETUP_ACTIVE: return "active";
	case GW_SDP_SETUP_PASSIVE: return "passive";
	case GW_SDP_SETUP_HOLDCONN: return "holdconn";
	default: return "";
	}
}
