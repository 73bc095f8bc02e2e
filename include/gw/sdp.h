/* gw/sdp.h — the SDP model of rtcsip: parse, print, JSEP offer/answer.
 *
 * Our own parser because Sofia's drops the rtpmaps of UDP/TLS/RTP/SAVPF
 * m-lines.  Depends on GLib and libc only.
 *
 * Model: struct gw_sdp is a gw_obj (release with gw_obj_deref).  Media
 * sections are struct gw_sdp_media in sdp->media, in m= order.  Attributes the
 * gateway understands are parsed into fields; every other attribute is kept as
 * (name, value) in order so printing preserves it.  Standard lines that are
 * not modelled (i= u= e= p= r= z= k=) are kept too; unknown type letters are
 * ignored (RFC 4566 section 5).  All strings are g_malloc'd and owned by the
 * struct that holds them.
 *
 * Threads: any.  A parsed or built gw_sdp is not changed afterwards, so it
 * may be shared read-only between loops by taking a reference.
 */
#ifndef GW_SDP_H
#define GW_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/* Input limits; larger input is refused with E2BIG and a reason. */
#define GW_SDP_MAX_SIZE        65536u	/* bytes */
#define GW_SDP_MAX_LINES       2048u
#define GW_SDP_MAX_MEDIA       64u
#define GW_SDP_MAX_FORMATS     128u	/* per m= line */
#define GW_SDP_MAX_CANDIDATES  256u	/* per SDP */
#define GW_SDP_MAX_CAND_EXT    16u	/* extension pairs per candidate */

enum gw_sdp_dir {
	GW_SDP_DIR_NONE = 0,	/* not stated (media: inherits the session's) */
	GW_SDP_DIR_SENDRECV,
	GW_SDP_DIR_SENDONLY,
	GW_SDP_DIR_RECVONLY,
	GW_SDP_DIR_INACTIVE,
};

enum gw_sdp_setup {
	GW_SDP_SETUP_NONE = 0,	/* not stated */
	GW_SDP_SETUP_ACTPASS,
	GW_SDP_SETUP_ACTIVE,
	GW_SDP_SETUP_PASSIVE,
	GW_SDP_SETUP_HOLDCONN,
};

enum gw_sdp_cand_type {
	GW_SDP_CAND_HOST = 0,
	GW_SDP_CAND_SRFLX,
	GW_SDP_CAND_PRFLX,
	GW_SDP_CAND_RELAY,
};

/* An attribute or candidate extension kept as text; value NULL for a flag. */
struct gw_sdp_attr {
	char *name;
	char *value;
};

/* A standard line the model does not interpret (i= u= e= p= r= z= k=). */
struct gw_sdp_line {
	char type;
	char *value;
};

/* o= */
struct gw_sdp_origin {
	char *username, *sess_id, *sess_version, *nettype, *addrtype, *address;
};

/* c=; address NULL when the line is absent.  address keeps any /ttl suffix. */
struct gw_sdp_conn {
	char *nettype, *addrtype, *address;
};

/* b=TYPE:VALUE */
struct gw_sdp_bandwidth {
	char *type;
	uint64_t value;
};

/* a=fingerprint:HASH VALUE; hash NULL when absent. */
struct gw_sdp_fingerprint {
	char *hash, *value;
};

/* One payload type of an RTP m= line, in m= order: its a=rtpmap (encoding
 * NULL when the pt has none, e.g. a static pt) and its a=fmtp (NULL: none). */
struct gw_sdp_codec {
	unsigned pt;		/* 0..127 */
	char *encoding;		/* as sent, e.g. "opus", "PCMU" */
	unsigned clock;		/* 0 when the rtpmap has no clock rate */
	unsigned channels;	/* 0 when not stated (means 1) */
	char *fmtp;		/* parameters after "a=fmtp:PT " */
};

/* a=candidate (RFC 8839 section 5.1). */
struct gw_sdp_candidate {
	char *foundation;	/* may be "" (some ICE-lite servers send none) */
	unsigned component;	/* 1..256 */
	char *transport;	/* as sent: "udp", "UDP", "tcp", "ssltcp" ... */
	uint32_t priority;
	char *address;		/* IP address or hostname (mDNS) as sent */
	uint16_t port;
	enum gw_sdp_cand_type type;
	char *raddr;		/* NULL when absent */
	bool has_rport;
	uint16_t rport;
	char *tcptype;		/* NULL when absent */
	GPtrArray *extensions;	/* struct gw_sdp_attr: other pairs, in order */
};

/* ICE and DTLS transport attributes, at session or media level. */
struct gw_sdp_ice_dtls {
	char *ice_ufrag, *ice_pwd, *ice_options;	/* NULL when absent */
	struct gw_sdp_fingerprint fingerprint;	/* first a=fingerprint only */
	enum gw_sdp_setup setup;
};

struct gw_sdp_media {
	char *type;		/* "audio", "video", "application", ... */
	uint16_t port;
	unsigned port_count;	/* 0 when the m= line has no "/n" */
	char *proto;		/* "UDP/TLS/RTP/SAVPF", "RTP/AVP", ... */
	GPtrArray *formats;	/* char *, as on the m= line (may be empty) */
	GPtrArray *codecs;	/* struct gw_sdp_codec *, RTP protos only */
	struct gw_sdp_conn conn;
	GPtrArray *bandwidths;	/* struct gw_sdp_bandwidth * */
	GPtrArray *lines;	/* struct gw_sdp_line *: i= k= */
	char *mid;
	struct gw_sdp_ice_dtls ice_dtls;
	enum gw_sdp_dir direction;
	bool rtcp_mux;
	bool has_rtcp;
	uint16_t rtcp_port;
	char *rtcp_addr;	/* "IN IP4 0.0.0.0" after the port, or NULL */
	unsigned ptime, maxptime;	/* 0 when absent */
	GPtrArray *candidates;	/* struct gw_sdp_candidate * */
	bool end_of_candidates;
	GPtrArray *attrs;	/* struct gw_sdp_attr *: every other a= line */
};

struct gw_sdp {
	struct gw_sdp_origin origin;
	char *name;		/* s= */
	struct gw_sdp_conn conn;
	GPtrArray *bandwidths;	/* struct gw_sdp_bandwidth * */
	uint64_t time_start, time_stop;	/* t= */
	GPtrArray *lines;	/* struct gw_sdp_line *: i= u= e= p= r= z= k= */
	GPtrArray *bundle;	/* char *: mids of the first a=group:BUNDLE, or NULL */
	bool ice_lite;
	struct gw_sdp_ice_dtls ice_dtls;
	enum gw_sdp_dir direction;
	bool end_of_candidates;
	GPtrArray *attrs;	/* struct gw_sdp_attr *: every other a= line */
	GPtrArray *media;	/* struct gw_sdp_media * */
};

/* ---- parse and print (parse.c, attr.c, print.c) ---- */

/* Parse @len bytes at @buf (need not be NUL-terminated; CRLF, LF or both).
 * 0 and *@out (one reference) on success; EINVAL for malformed input, E2BIG
 * over a limit, each with *@reason (g_free; @reason may be NULL) naming the
 * line and the problem. */
int gw_sdp_parse(const char *buf, size_t len, struct gw_sdp **out, char **reason);

/* The SDP text with CRLF line ends (g_free).  Never NULL. */
char *gw_sdp_print(const struct gw_sdp *sdp);

/* ---- candidates on their own, for trickle ICE (candidate.c) ---- */

/* Parse "candidate:..." with or without a leading "a=" (trailing CR/LF
 * ignored).  0 and *@out filled (free with gw_sdp_candidate_clear), or
 * EINVAL with *@reason; *@out untouched on failure. */
int gw_sdp_candidate_parse(const char *line, struct gw_sdp_candidate *out, char **reason);

/* "candidate:..." without "a=" and without line end (g_free). */
char *gw_sdp_candidate_print(const struct gw_sdp_candidate *c);

/* Free what the candidate's fields hold and zero it.  NULL-safe. */
void gw_sdp_candidate_clear(struct gw_sdp_candidate *c);

/* A deep copy (free with gw_sdp_candidate_free). */
struct gw_sdp_candidate *gw_sdp_candidate_dup(const struct gw_sdp_candidate *c);
void gw_sdp_candidate_free(struct gw_sdp_candidate *c);

/* "host", "srflx", "prflx", "relay". */
const char *gw_sdp_cand_type_name(enum gw_sdp_cand_type type);

/* ---- accessors (model.c) ---- */

/* The @i-th media section, or NULL past the end. */
struct gw_sdp_media *gw_sdp_media_get(const struct gw_sdp *sdp, unsigned i);

/* The first media section of @type ("audio"), or NULL. */
struct gw_sdp_media *gw_sdp_find_media(const struct gw_sdp *sdp, const char *type);

/* The media section with a=mid:@mid, or NULL. */
struct gw_sdp_media *gw_sdp_find_mid(const struct gw_sdp *sdp, const char *mid);

/* Whether @mid is listed in the session's BUNDLE group. */
bool gw_sdp_bundle_has(const struct gw_sdp *sdp, const char *mid);

/* Effective values for @m: its own, else the session's (RFC 8839, 8842). */
const char *gw_sdp_media_ice_ufrag(const struct gw_sdp *sdp, const struct gw_sdp_media *m);
const char *gw_sdp_media_ice_pwd(const struct gw_sdp *sdp, const struct gw_sdp_media *m);
/* NULL when neither level has a fingerprint. */
const struct gw_sdp_fingerprint *gw_sdp_media_fingerprint(const struct gw_sdp *sdp,
							  const struct gw_sdp_media *m);
enum gw_sdp_setup gw_sdp_media_setup(const struct gw_sdp *sdp, const struct gw_sdp_media *m);
/* Never GW_SDP_DIR_NONE: media, else session, else sendrecv. */
enum gw_sdp_dir gw_sdp_media_direction(const struct gw_sdp *sdp, const struct gw_sdp_media *m);
/* NULL when neither level has c=. */
const struct gw_sdp_conn *gw_sdp_media_conn(const struct gw_sdp *sdp, const struct gw_sdp_media *m);

/* The first codec of @m named @encoding (case-insensitive) with @clock
 * (0 = any clock); static payload types without rtpmap (0 PCMU, 8 PCMA,
 * 9 G722, ...) match by their RFC 3551 name.  NULL when none. */
const struct gw_sdp_codec *gw_sdp_media_find_codec(const struct gw_sdp_media *m,
						   const char *encoding, unsigned clock);

/* The codec for payload type @pt, or NULL. */
const struct gw_sdp_codec *gw_sdp_media_codec_by_pt(const struct gw_sdp_media *m, unsigned pt);

/* The @i-th candidate of @m, or NULL past the end. */
const struct gw_sdp_candidate *gw_sdp_media_candidate(const struct gw_sdp_media *m, unsigned i);

/* The value of the first other attribute @name of @m (NULL: absent; "" for
 * a flag); *@found tells a flag from absence when non-NULL. */
const char *gw_sdp_media_attr(const struct gw_sdp_media *m, const char *name, bool *found);

const char *gw_sdp_dir_name(enum gw_sdp_dir dir);	/* "sendrecv" ... */
const char *gw_sdp_setup_name(enum gw_sdp_setup setup);	/* "actpass" ... */

/* ---- building a model (model.c) ---- */

/* An empty SDP (v=0, "o=- 0 0 IN IP4 0.0.0.0", "s=-", "t=0 0"); one ref. */
struct gw_sdp *gw_sdp_new(void);

/* Append a media section; the SDP owns it. */
struct gw_sdp_media *gw_sdp_media_add(struct gw_sdp *sdp, const char *type, uint16_t port,
				      const char *proto);

/* Append payload type @pt to the m= line with its rtpmap (@encoding NULL:
 * none) and fmtp (NULL: none). */
struct gw_sdp_codec *gw_sdp_media_add_codec(struct gw_sdp_media *m, unsigned pt,
					    const char *encoding, unsigned clock,
					    unsigned channels, const char *fmtp);

/* Append a non-RTP format (e.g. "webrtc-datachannel"). */
void gw_sdp_media_add_format(struct gw_sdp_media *m, const char *format);

/* Append another attribute (@value NULL for a flag). */
void gw_sdp_media_add_attr(struct gw_sdp_media *m, const char *name, const char *value);
void gw_sdp_add_attr(struct gw_sdp *sdp, const char *name, const char *value);

/* Append a copy of @c. */
void gw_sdp_media_add_candidate(struct gw_sdp_media *m, const struct gw_sdp_candidate *c);

/* Replace *@field (a model string) with a copy of @value (NULL clears). */
void gw_sdp_set_str(char **field, const char *value);

/* Set c= to "IN IP4|IP6 @address" (IP6 when @address has a ':'). */
void gw_sdp_conn_set(struct gw_sdp_conn *conn, const char *address);

/* ---- JSEP offer / answer for the gateway (jsep.c, jsep_offer.c) ---- */

/* The gateway's side of a WebRTC session.  Strings are borrowed. */
struct gw_sdp_jsep_params {
	const char *local_addr;		/* c= address, e.g. "127.0.0.1" */
	uint16_t local_port;		/* m= port; 0 means 9 (RFC 8840) */
	const char *ice_ufrag, *ice_pwd;
	bool ice_lite;			/* a=ice-lite at session level */
	bool ice_trickle;		/* a=ice-options:trickle */
	const char *fingerprint;	/* "sha-256 AB:CD:..." */
	const char *setup;		/* answer only: "active", "passive" or NULL (pick) */
	const char *const *candidates;	/* NULL-terminated "candidate:..." lines, or NULL */
	bool end_of_candidates;
	enum gw_sdp_dir direction;	/* what we want; NONE = sendrecv */
	const char *const *extra_codecs;	/* NULL-terminated: "PCMU", "PCMA", "G722" */
	uint64_t session_id;		/* o= id; 0 = random */
	uint64_t session_version;	/* o= version; 0 = 1 */
	uint32_t ssrc;			/* a=ssrc:N cname:... when non-zero */
	const char *cname;		/* NULL = "rtcsip" */
	const char *msid;		/* a=msid:MSID MSID-audio when non-NULL */
};

/* What the answer chose and what the offer said, for the media layers. */
struct gw_sdp_answer_result {
	unsigned mline;			/* index of the accepted audio m-line */
	char *mid;			/* its a=mid, NULL when none */
	int opus_pt, pcmu_pt, pcma_pt, g722_pt;	/* -1 when not in the answer */
	int te48_pt, te8_pt;		/* telephone-event/48000, /8000; -1 when none */
	int send_pt;			/* the first codec of the answer */
	enum gw_sdp_dir direction;	/* of the answer's audio */
	enum gw_sdp_setup local_setup;	/* ACTIVE: we are the DTLS client */
	enum gw_sdp_setup remote_setup;	/* as offered (NONE when absent) */
	char *remote_ufrag, *remote_pwd;
	char *remote_fp_hash, *remote_fp_value;
	bool remote_ice_lite;
	bool remote_end_of_candidates;
	GPtrArray *remote_candidates;	/* struct gw_sdp_candidate *: the audio
					   m-line's and its BUNDLE peers' */
};

/* Answer @offer as the WebRTC answerer (RFC 8829, RFC 3264): accept the first
 * usable audio m-line (DTLS-SRTP profile, Opus or an allowed extra codec),
 * refuse every other m-line with port 0 keeping its mid.  0, *@res (free with
 * gw_sdp_answer_result_clear) and *@answer_sdp (g_free) on success; EINVAL
 * (bad params, missing ICE credentials, fingerprint or rtcp-mux, setup
 * conflict) or ENOTSUP (no usable audio) with *@reason otherwise. */
int gw_sdp_answer_build(const struct gw_sdp *offer, const struct gw_sdp_jsep_params *p,
			struct gw_sdp_answer_result *res, char **answer_sdp, char **reason);

void gw_sdp_answer_result_clear(struct gw_sdp_answer_result *res);

/* An offer for a browser: one audio m-line UDP/TLS/RTP/SAVPF, mid 0 in a
 * BUNDLE group, opus/48000/2 (pt 111), extra codecs (PCMU 0, PCMA 8,
 * G722 9), telephone-event/48000 (110) and /8000 (126), rtcp-mux,
 * setup:actpass.  0 and *@out (g_free), or EINVAL with *@reason. */
int gw_sdp_offer_build(const struct gw_sdp_jsep_params *p, char **out, char **reason);

/* Default payload types of gw_sdp_offer_build. */
#define GW_SDP_PT_OPUS  111u
#define GW_SDP_PT_TE48  110u
#define GW_SDP_PT_TE8   126u

/* ---- SIP side: plain RTP/AVP offer/answer (sip.c) ---- */

/* The gateway's side of a SIP-side (RTP/AVP) session.  Strings borrowed. */
struct gw_sdp_sip_params {
	const char *addr;		/* c= and o= address (sip.public_ip or the RTP address) */
	uint16_t port;			/* our RTP port */
	const char *const *codecs;	/* NULL-terminated, preference order:
					   "PCMU", "PCMA", "G722" (static pts 0, 8, 9) */
	bool telephone_event;		/* offer / accept telephone-event/8000 */
	unsigned te_pt;			/* its pt in our offers; 0 = 101 */
	unsigned ptime;			/* a=ptime; 0 = 20 */
	enum gw_sdp_dir direction;	/* what we want; NONE = sendrecv */
	uint64_t session_id;		/* o= id; 0 = random */
	uint64_t session_version;	/* o= version: increase it for every new offer */
};

/* What a SIP-side SDP (offer or answer) from the far end means for media. */
struct gw_sdp_sip_media {
	char *addr;			/* remote RTP address (c=), e.g. "192.0.2.1" */
	uint16_t port;			/* remote RTP port; 0 = stream refused */
	char *codec;			/* chosen codec name, upper case: "PCMU", "PCMA", "G722" */
	unsigned pt;			/* its payload type */
	int te_pt;			/* telephone-event/8000 pt, -1 when none */
	int cn_pt;			/* CN/8000 pt, -1 when none */
	unsigned ptime;			/* a=ptime, 20 when absent */
	enum gw_sdp_dir direction;	/* the far end's, never NONE */
	bool hold;			/* sendonly, inactive or c=0.0.0.0 */
};

/* An offer: "m=audio PORT RTP/AVP" with our codecs (+ telephone-event),
 * a=ptime, a=sendrecv (or @direction), no ICE/DTLS/rtcp-mux.  0 and *@out
 * (g_free), or EINVAL (no codec, unknown codec name, no address) with
 * *@reason. */
int gw_sdp_sip_offer_build(const struct gw_sdp_sip_params *p, char **out, char **reason);

/* Answer a SIP offer: accept its first RTP/AVP (or RTP/AVPF) audio m-line
 * that has one of our codecs (the offerer's order among ours wins), answer
 * telephone-event with the offered pt when @p->telephone_event, refuse every
 * other m-line with port 0; direction per RFC 3264 (sendonly -> recvonly,
 * inactive -> inactive, recvonly -> sendonly, combined with @p->direction).
 * 0, *@media (free with gw_sdp_sip_media_clear) and *@answer (g_free); or
 * ENOTSUP (no common codec, SAVP/DTLS only) / EINVAL with *@reason. */
int gw_sdp_sip_answer_build(const struct gw_sdp *offer, const struct gw_sdp_sip_params *p,
			    struct gw_sdp_sip_media *media, char **answer, char **reason);

/* Read the far end's answer to our offer @p: the first accepted audio
 * m-line, its first codec that we offered, te/cn pts.  0 and *@media, or
 * ENOTSUP (refused, port 0, no codec of ours) / EINVAL with *@reason. */
int gw_sdp_sip_answer_parse(const struct gw_sdp *answer, const struct gw_sdp_sip_params *p,
			    struct gw_sdp_sip_media *media, char **reason);

void gw_sdp_sip_media_clear(struct gw_sdp_sip_media *m);

#endif
