/* print.c — model to SDP text, CRLF line ends.
 *
 * Any thread; reads the model only.  Order: RFC 4566 section 5 for the
 * lines; attributes the model understands first in a fixed order (the order
 * browsers use), then every other attribute in the order it was parsed.
 */
#include <string.h>
#include <glib.h>
#include "gw/sdp.h"
#include "sdp/sdp_priv.h"

static void put_lines(GString *s, const GPtrArray *lines, char type)
{
	for (unsigned i = 0; i < lines->len; i++) {
		const struct gw_sdp_line *l = g_ptr_array_index(lines, i);

		if (l->type == type)
			g_string_append_printf(s, "%c=%s\r\n", l->type, l->value);
	}
}

static void put_conn(GString *s, const struct gw_sdp_conn *c)
{
	if (c->address)
		g_string_append_printf(s, "c=%s %s %s\r\n", c->nettype, c->addrtype, c->address);
}

static void put_bandwidths(GString *s, const GPtrArray *bws)
{
	for (unsigned i = 0; i < bws->len; i++) {
		const struct gw_sdp_bandwidth *b = g_ptr_array_index(bws, i);

		g_string_append_printf(s, "b=%s:%" G_GUINT64_FORMAT "\r\n", b->type, b->value);
	}
}

static void put_attrs(GString *s, const GPtrArray *attrs)
{
	for (unsigned i = 0; i < attrs->len; i++) {
		const struct gw_sdp_attr *a = g_ptr_array_index(attrs, i);

		if (a->value)
			g_string_append_printf(s, "a=%s:%s\r\n", a->name, a->value);
		else
			g_string_append_printf(s, "a=%s\r\n", a->name);
	}
}

static void put_ice_dtls(GString *s, const struct gw_sdp_ice_dtls *t)
{
	if (t->ice_ufrag)
		g_string_append_printf(s, "a=ice-ufrag:%s\r\n", t->ice_ufrag);
	if (t->ice_pwd)
		g_string_append_printf(s, "a=ice-pwd:%s\r\n", t->ice_pwd);
	if (t->ice_options)
		g_string_append_printf(s, "a=ice-options:%s\r\n", t->ice_options);
	if (t->fingerprint.hash)
		g_string_append_printf(s, "a=fingerprint:%s %s\r\n", t->fingerprint.hash,
				       t->fingerprint.value);
	if (t->setup != GW_SDP_SETUP_NONE)
		g_string_append_printf(s, "a=setup:%s\r\n", gw_sdp_setup_name(t->setup));
}

static void put_codecs(GString *s, const struct gw_sdp_media *m)
{
	for (unsigned i = 0; i < m->codecs->len; i++) {
		const struct gw_sdp_codec *c = g_ptr_array_index(m->codecs, i);

		if (c->encoding) {
			g_string_append_printf(s, "a=rtpmap:%u %s", c->pt, c->encoding);
			if (c->clock)
				g_string_append_printf(s, "/%u", c->clock);
			if (c->clock && c->channels)
				g_string_append_printf(s, "/%u", c->channels);
			g_string_append(s, "\r\n");
		}
		if (c->fmtp)
			g_string_append_printf(s, "a=fmtp:%u %s\r\n", c->pt, c->fmtp);
	}
}

static void put_media(GString *s, const struct gw_sdp_media *m)
{
	g_string_append_printf(s, "m=%s %u", m->type, m->port);
	if (m->port_count)
		g_string_append_printf(s, "/%u", m->port_count);
	g_string_append_printf(s, " %s", m->proto);
	for (unsigned i = 0; i < m->formats->len; i++)
		g_string_append_printf(s, " %s", (const char *)g_ptr_array_index(m->formats, i));
	g_string_append(s, "\r\n");
	put_lines(s, m->lines, 'i');
	put_conn(s, &m->conn);
	put_bandwidths(s, m->bandwidths);
	put_lines(s, m->lines, 'k');
	if (m->has_rtcp) {
		g_string_append_printf(s, "a=rtcp:%u", m->rtcp_port);
		if (m->rtcp_addr)
			g_string_append_printf(s, " %s", m->rtcp_addr);
		g_string_append(s, "\r\n");
	}
	for (unsigned i = 0; i < m->candidates->len; i++) {
		char *c = gw_sdp_candidate_print(g_ptr_array_index(m->candidates, i));

		g_string_append_printf(s, "a=%s\r\n", c);
		g_free(c);
	}
	if (m->end_of_candidates)
		g_string_append(s, "a=end-of-candidates\r\n");
	put_ice_dtls(s, &m->ice_dtls);
	if (m->mid)
		g_string_append_printf(s, "a=mid:%s\r\n", m->mid);
	if (m->direction != GW_SDP_DIR_NONE)
		g_string_append_printf(s, "a=%s\r\n", gw_sdp_dir_name(m->direction));
	if (m->rtcp_mux)
		g_string_append(s, "a=rtcp-mux\r\n");
	put_codecs(s, m);
	if (m->ptime)
		g_string_append_printf(s, "a=ptime:%u\r\n", m->ptime);
	if (m->maxptime)
		g_string_append_printf(s, "a=maxptime:%u\r\n", m->maxptime);
	put_attrs(s, m->attrs);
}

/* Contract: see gw/sdp.h. */
char *gw_sdp_print(const struct gw_sdp *sdp)
{
	const struct gw_sdp_origin *o = &sdp->origin;
	GString *s = g_string_sized_new(1024);

	g_string_append(s, "v=0\r\n");
	g_string_append_printf(s, "o=%s %s %s %s %s %s\r\n", o->username, o->sess_id,
			       o->sess_version, o->nettype, o->addrtype, o->address);
	g_string_append_printf(s, "s=%s\r\n", sdp->name ? sdp->name : "-");
	put_lines(s, sdp->lines, 'i');
	put_lines(s, sdp->lines, 'u');
	put_lines(s, sdp->lines, 'e');
	put_lines(s, sdp->lines, 'p');
	put_conn(s, &sdp->conn);
	put_bandwidths(s, sdp->bandwidths);
	g_string_append_printf(s, "t=%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT "\r\n",
			       sdp->time_start, sdp->time_stop);
	put_lines(s, sdp->lines, 'r');
	put_lines(s, sdp->lines, 'z');
	put_lines(s, sdp->lines, 'k');
	if (sdp->bundle) {
		g_string_append(s, "a=group:BUNDLE");
		for (unsigned i = 0; i < sdp->bundle->len; i++)
			g_string_append_printf(s, " %s", (const char *)g_ptr_array_index(sdp->bundle, i));
		g_string_append(s, "\r\n");
	}
	if (sdp->ice_lite)
		g_string_append(s, "a=ice-lite\r\n");
	put_ice_dtls(s, &sdp->ice_dtls);
	if (sdp->direction != GW_SDP_DIR_NONE)
		g_string_append_printf(s, "a=%s\r\n", gw_sdp_dir_name(sdp->direction));
	if (sdp->end_of_candidates)
		g_string_append(s, "a=end-of-candidates\r\n");
	put_attrs(s, sdp->attrs);
	for (unsigned i = 0; i < sdp->media->len; i++)
		put_media(s, g_ptr_array_index(sdp->media, i));
	return g_string_free(s, FALSE);
}
