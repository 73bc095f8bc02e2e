/* sdp_priv.h — helpers shared by the files of src/sdp (not a public API).
 *
 * The parser works on a NUL-terminated private copy of the input, one line
 * at a time; struct sdp_parse_ctx carries the position and the first error.
 */
#ifndef GW_SDP_PRIV_H
#define GW_SDP_PRIV_H

#include <stdarg.h>
#include "gw/sdp.h"

struct sdp_parse_ctx {
	unsigned lineno;
	char *reason;			/* first failure, g_free */
	struct gw_sdp *sdp;
	struct gw_sdp_media *media;	/* current m= section, NULL at session level */
	unsigned n_candidates;
	bool seen_v, seen_o, seen_s, seen_t;
};

/* Record "line N: <message>" as the reason (the first one wins); returns @err. */
int gw_sdp_fail(struct sdp_parse_ctx *ctx, int err, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Decimal digits only (no sign, no blanks), value <= @max.  true on success. */
bool gw_sdp_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Split @s in place on runs of spaces/tabs into at most @max tokens.
 * Returns the count, or -1 when there are more than @max. */
int gw_sdp_split_ws(char *s, char **tok, int max);

/* Handle the value of one a= line (after "a=") at ctx's level. */
int gw_sdp_parse_attr(struct sdp_parse_ctx *ctx, char *value);

/* Parse the part after "candidate:"; fills @out only on success. */
int gw_sdp_candidate_parse_value(const char *value, struct gw_sdp_candidate *out,
				 char **reason);

/* Whether @proto carries RTP (its formats are payload types). */
bool gw_sdp_proto_is_rtp(const char *proto);

/* Free functions for the GPtrArray element types. */
void gw_sdp_attr_free(gpointer p);
void gw_sdp_line_free(gpointer p);
void gw_sdp_bandwidth_free(gpointer p);
void gw_sdp_codec_free(gpointer p);
void gw_sdp_media_free(gpointer p);

/* A struct gw_sdp_attr with copies of @name and @value. */
struct gw_sdp_attr *gw_sdp_attr_new(const char *name, const char *value);

/* A media section with empty lists; the caller owns it. */
struct gw_sdp_media *gw_sdp_media_new(void);

/* The codec of @m for payload type @pt (mutable), or NULL. */
struct gw_sdp_codec *gw_sdp_media_codec_mut(struct gw_sdp_media *m, unsigned pt);

/* ---- JSEP local side (jsep_local.c) ---- */

/* Check the gateway's parameters; 0 or EINVAL with *@reason. */
int gw_sdp_jsep_check(const struct gw_sdp_jsep_params *p, char **reason);

/* A new SDP with the gateway's o= line and a=ice-lite when asked. */
struct gw_sdp *gw_sdp_jsep_session(const struct gw_sdp_jsep_params *p);

/* Port, c=, candidates, ICE credentials, fingerprint, @setup and rtcp-mux
 * of the gateway's audio m-line.  @p must have passed gw_sdp_jsep_check(). */
void gw_sdp_jsep_transport(struct gw_sdp_media *m, const struct gw_sdp_jsep_params *p,
			   enum gw_sdp_setup setup);

/* a=msid and a=ssrc of the gateway's audio, when the params ask for them. */
void gw_sdp_jsep_stream_ids(struct gw_sdp_media *m, const struct gw_sdp_jsep_params *p);

/* Static payload type of an extra codec name (PCMU 0, PCMA 8, G722 9). */
unsigned gw_sdp_extra_codec_pt(const char *name);

#endif
