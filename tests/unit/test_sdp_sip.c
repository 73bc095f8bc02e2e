/* test_sdp_sip.c — the SIP side's RTP/AVP offer/answer (src/sdp/sip.c) with
 * offers written in the style of Asterisk, FreeSWITCH, a Cisco CUBE and a
 * carrier SBC, hold and re-INVITE variants, answers to our offers, bad
 * input, and (when ../shared/fixtures is there) every SIP-gear SDP listed in
 * its MANIFEST.tsv. */
#include "gw_check.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "gw/obj.h"
#include "gw/sdp.h"

static const char *const g711[] = { "PCMU", "PCMA", NULL };
static const char *const all3[] = { "G722", "PCMA", "PCMU", NULL };

/* Our side as the daemon configures it by default. */
static struct gw_sdp_sip_params params(void)
{
	return (struct gw_sdp_sip_params){
		.addr = "198.51.100.1", .port = 40000, .codecs = g711,
		.telephone_event = true, .session_id = 4242, .session_version = 7,
	};
}

/* Asterisk chan_pjsip: G722 and G729 first, telephone-event 0-16, maxptime. */
static const char asterisk_offer[] =
	"v=0\r\n"
	"o=- 1692112344 1692112344 IN IP4 203.0.113.10\r\n"
	"s=Asterisk\r\n"
	"c=IN IP4 203.0.113.10\r\n"
	"t=0 0\r\n"
	"m=audio 18362 RTP/AVP 9 18 0 8 101\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:18 G729/8000\r\n"
	"a=fmtp:18 annexb=no\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-16\r\n"
	"a=ptime:20\r\n"
	"a=maxptime:150\r\n"
	"a=sendrecv\r\n";

/* FreeSWITCH: PCMA first, iLBC, CN, a=rtcp, plus a video m-line. */
static const char freeswitch_offer[] =
	"v=0\r\n"
	"o=FreeSWITCH 1692100000 1692100001 IN IP4 203.0.113.20\r\n"
	"s=FreeSWITCH\r\n"
	"c=IN IP4 203.0.113.20\r\n"
	"t=0 0\r\n"
	"m=audio 24580 RTP/AVP 8 0 102 9 101 13\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:102 iLBC/8000\r\n"
	"a=fmtp:102 mode=30\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-16\r\n"
	"a=rtpmap:13 CN/8000\r\n"
	"a=ptime:20\r\n"
	"a=rtcp:24581 IN IP4 203.0.113.20\r\n"
	"m=video 24582 RTP/AVP 96\r\n"
	"a=rtpmap:96 H264/90000\r\n"
	"a=fmtp:96 profile-level-id=42e01f\r\n"
	"a=sendrecv\r\n";

/* Cisco CUBE: G729 first, telephone-event 0-15 at 100, CN 19, media-level
 * c= that differs from the session one. */
static const char cube_offer[] =
	"v=0\r\n"
	"o=CiscoSystemsSIP-GW-UserAgent 4217 6711 IN IP4 192.0.2.77\r\n"
	"s=SIP Call\r\n"
	"c=IN IP4 192.0.2.77\r\n"
	"t=0 0\r\n"
	"m=audio 16434 RTP/AVP 18 0 100 19\r\n"
	"c=IN IP4 192.0.2.78\r\n"
	"a=rtpmap:18 G729/8000\r\n"
	"a=fmtp:18 annexb=no\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:100 telephone-event/8000\r\n"
	"a=fmtp:100 0-15\r\n"
	"a=rtpmap:19 CN/8000\r\n"
	"a=ptime:20\r\n";

/* Carrier SBC: G729, PCMA before PCMU, te 97, CN 13, ptime 30. */
static const char sbc_offer[] =
	"v=0\r\n"
	"o=Sonus_UAC 281530 773219 IN IP4 203.0.113.5\r\n"
	"s=SIP Media Capabilities\r\n"
	"c=IN IP4 203.0.113.6\r\n"
	"t=0 0\r\n"
	"m=audio 40002 RTP/AVP 18 8 0 97 13\r\n"
	"a=rtpmap:18 G729/8000\r\n"
	"a=fmtp:18 annexb=no\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:97 telephone-event/8000\r\n"
	"a=fmtp:97 0-15\r\n"
	"a=rtpmap:13 CN/8000\r\n"
	"a=sendrecv\r\n"
	"a=maxptime:30\r\n"
	"a=ptime:30\r\n";

static struct gw_sdp *parse(const char *text)
{
	struct gw_sdp *sdp = NULL;
	char *why = NULL;

	ck_assert_msg(gw_sdp_parse(text, strlen(text), &sdp, &why) == 0, "parse: %s", why);
	return sdp;
}

/* Answer @text with @p; on success *@ans is the parsed answer. */
static int answer(const char *text, const struct gw_sdp_sip_params *p,
		  struct gw_sdp_sip_media *media, struct gw_sdp **ans, char **reason)
{
	struct gw_sdp *offer = parse(text);
	char *out = NULL;
	int err = gw_sdp_sip_answer_build(offer, p, media, &out, reason);

	if (!err) {
		ck_assert_ptr_nonnull(out);
		*ans = parse(out);
		g_free(out);
	} else {
		ck_assert_ptr_null(out);
	}
	gw_obj_deref(offer);
	return err;
}

/* Answer @text that must succeed. */
static struct gw_sdp *answer_ok(const char *text, const struct gw_sdp_sip_params *p,
				struct gw_sdp_sip_media *media)
{
	struct gw_sdp *ans = NULL;
	char *why = NULL;
	int err = answer(text, p, media, &ans, &why);

	ck_assert_msg(err == 0, "answer refused (%d): %s", err, why);
	return ans;
}

/* The pts of @m's m= line as "0 8 101". */
static char *pts(const struct gw_sdp_media *m)
{
	GString *s = g_string_new(NULL);

	for (unsigned i = 0; i < m->formats->len; i++)
		g_string_append_printf(s, "%s%s", i ? " " : "",
				       (const char *)g_ptr_array_index(m->formats, i));
	return g_string_free(s, FALSE);
}

static void assert_pts(const struct gw_sdp_media *m, const char *want)
{
	char *got = pts(m);

	ck_assert_str_eq(got, want);
	g_free(got);
}

static void assert_reason(char *why, const char *part)
{
	ck_assert_msg(why && strstr(why, part), "reason \"%s\" lacks \"%s\"",
		      why ? why : "(none)", part);
	g_free(why);
}

/* ---- offers ---- */

START_TEST(test_sdp_sip_offer_has_exact_mline_rtpmaps_and_parses_back)
{
	struct gw_sdp_sip_params p = params();
	struct gw_sdp *sdp;
	const struct gw_sdp_media *m;
	const struct gw_sdp_codec *te;
	char *text = NULL, *why = NULL;

	ck_assert_int_eq(gw_sdp_sip_offer_build(&p, &text, &why), 0);
	ck_assert_msg(strstr(text, "\r\nm=audio 40000 RTP/AVP 0 8 101\r\n"), "%s", text);
	ck_assert_msg(strstr(text, "\r\na=rtpmap:0 PCMU/8000\r\n"), "%s", text);
	ck_assert_msg(strstr(text, "\r\na=rtpmap:8 PCMA/8000\r\n"), "%s", text);
	ck_assert_msg(strstr(text, "\r\na=rtpmap:101 telephone-event/8000\r\n"), "%s", text);
	ck_assert_msg(strstr(text, "\r\na=fmtp:101 0-16\r\n"), "%s", text);
	ck_assert_msg(strstr(text, "\r\na=ptime:20\r\n"), "%s", text);
	ck_assert_msg(strstr(text, "\r\na=sendrecv\r\n"), "%s", text);
	ck_assert_msg(g_str_has_prefix(text, "v=0\r\no=rtcsip 4242 7 IN IP4 198.51.100.1\r\n"
				       "s=rtcsip\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\n"),
		      "%s", text);
	ck_assert_ptr_null(strstr(text, "ice-"));
	ck_assert_ptr_null(strstr(text, "fingerprint"));
	ck_assert_ptr_null(strstr(text, "rtcp-mux"));
	ck_assert_ptr_null(strstr(text, "setup"));

	sdp = parse(text);
	ck_assert_uint_eq(sdp->media->len, 1);
	m = gw_sdp_media_get(sdp, 0);
	ck_assert_str_eq(m->proto, "RTP/AVP");
	ck_assert_uint_eq(m->port, 40000);
	ck_assert_uint_eq(m->ptime, 20);
	ck_assert_int_eq(gw_sdp_media_direction(sdp, m), GW_SDP_DIR_SENDRECV);
	ck_assert_str_eq(gw_sdp_media_conn(sdp, m)->address, "198.51.100.1");
	te = gw_sdp_media_find_codec(m, "telephone-event", 8000);
	ck_assert_ptr_nonnull(te);
	ck_assert_uint_eq(te->pt, 101);
	ck_assert_str_eq(te->fmtp, "0-16");
	gw_obj_deref(sdp);
	g_free(text);
}
END_TEST

START_TEST(test_sdp_sip_offer_options_g722_ipv6_te_pt_ptime_direction)
{
	static const char *const mixed[] = { "g722", "pcma", "PCMA", NULL };
	struct gw_sdp_sip_params p = params();
	char *text = NULL, *why = NULL;

	p.codecs = mixed;	/* case-insensitive, duplicate listed once */
	p.addr = "2001:db8::10";
	p.te_pt = 96;
	p.ptime = 30;
	p.direction = GW_SDP_DIR_SENDONLY;
	p.session_id = 0;	/* random */
	ck_assert_int_eq(gw_sdp_sip_offer_build(&p, &text, &why), 0);
	ck_assert_msg(strstr(text, "\r\nm=audio 40000 RTP/AVP 9 8 96\r\n"), "%s", text);
	ck_assert_msg(strstr(text, "\r\na=rtpmap:9 G722/8000\r\n"), "%s", text);
	ck_assert_msg(strstr(text, " IN IP6 2001:db8::10\r\n"), "%s", text);
	ck_assert_msg(strstr(text, "\r\nc=IN IP6 2001:db8::10\r\n"), "%s", text);
	ck_assert_msg(strstr(text, "\r\na=fmtp:96 0-16\r\n"), "%s", text);
	ck_assert_msg(strstr(text, "\r\na=ptime:30\r\n"), "%s", text);
	ck_assert_msg(strstr(text, "\r\na=sendonly\r\n"), "%s", text);
	ck_assert_ptr_null(strstr(text, "o=rtcsip 0 "));
	g_free(text);

	/* Without telephone-event: only the codecs. */
	p = params();
	p.telephone_event = false;
	ck_assert_int_eq(gw_sdp_sip_offer_build(&p, &text, &why), 0);
	ck_assert_msg(strstr(text, "\r\nm=audio 40000 RTP/AVP 0 8\r\n"), "%s", text);
	ck_assert_ptr_null(strstr(text, "telephone-event"));
	g_free(text);
}
END_TEST

START_TEST(test_sdp_sip_offer_refuses_bad_params_with_reason)
{
	static const char *const none[] = { NULL };
	static const char *const g729[] = { "PCMU", "G729", NULL };
	struct gw_sdp_sip_params p;
	char *text = NULL, *why = NULL;

	ck_assert_int_eq(gw_sdp_sip_offer_build(NULL, &text, &why), EINVAL);
	assert_reason(why, "none given");
	p = params();
	p.codecs = NULL;
	ck_assert_int_eq(gw_sdp_sip_offer_build(&p, &text, &why), EINVAL);
	assert_reason(why, "no codec");
	p.codecs = none;
	ck_assert_int_eq(gw_sdp_sip_offer_build(&p, &text, &why), EINVAL);
	assert_reason(why, "no codec");
	p.codecs = g729;
	ck_assert_int_eq(gw_sdp_sip_offer_build(&p, &text, &why), EINVAL);
	assert_reason(why, "G729");
	p = params();
	p.te_pt = 95;
	ck_assert_int_eq(gw_sdp_sip_offer_build(&p, &text, &why), EINVAL);
	assert_reason(why, "96-127");
	p.te_pt = 128;
	ck_assert_int_eq(gw_sdp_sip_offer_build(&p, &text, &why), EINVAL);
	assert_reason(why, "96-127");
	p = params();
	p.ptime = 100000;
	ck_assert_int_eq(gw_sdp_sip_offer_build(&p, &text, &why), EINVAL);
	assert_reason(why, "ptime");
	p = params();
	p.addr = NULL;
	ck_assert_int_eq(gw_sdp_sip_offer_build(&p, &text, &why), EINVAL);
	assert_reason(why, "addr");
	p.addr = "gw.example.com";
	ck_assert_int_eq(gw_sdp_sip_offer_build(&p, &text, &why), EINVAL);
	assert_reason(why, "not an IP address");
	p.addr = "198.51.100.1 x";
	ck_assert_int_eq(gw_sdp_sip_offer_build(&p, &text, &why), EINVAL);
	assert_reason(why, "addr");
	p = params();
	p.port = 0;
	ck_assert_int_eq(gw_sdp_sip_offer_build(&p, &text, &why), EINVAL);
	assert_reason(why, "port");
	ck_assert_ptr_null(text);
	/* A NULL reason pointer is allowed. */
	ck_assert_int_eq(gw_sdp_sip_offer_build(&p, &text, NULL), EINVAL);
}
END_TEST

/* ---- answering offers from SIP gear ---- */

START_TEST(test_sdp_sip_answer_picks_offerers_first_common_codec)
{
	struct gw_sdp_sip_params p = params();
	struct gw_sdp_sip_media md;
	struct gw_sdp *ans;
	const struct gw_sdp_media *a;

	/* Asterisk lists G722 and G729 before PCMU: with G.711 only, PCMU. */
	ans = answer_ok(asterisk_offer, &p, &md);
	ck_assert_str_eq(md.codec, "PCMU");
	ck_assert_uint_eq(md.pt, 0);
	ck_assert_int_eq(md.te_pt, 101);
	ck_assert_int_eq(md.cn_pt, -1);
	ck_assert_str_eq(md.addr, "203.0.113.10");
	ck_assert_uint_eq(md.port, 18362);
	ck_assert_uint_eq(md.ptime, 20);
	ck_assert_int_eq(md.direction, GW_SDP_DIR_SENDRECV);
	ck_assert(!md.hold);
	a = gw_sdp_media_get(ans, 0);
	ck_assert_uint_eq(ans->media->len, 1);
	ck_assert_str_eq(a->proto, "RTP/AVP");
	ck_assert_uint_eq(a->port, 40000);
	assert_pts(a, "0 101");
	ck_assert_str_eq(gw_sdp_media_codec_by_pt(a, 0)->encoding, "PCMU");
	ck_assert_str_eq(gw_sdp_media_codec_by_pt(a, 101)->fmtp, "0-16");
	ck_assert_str_eq(gw_sdp_media_conn(ans, a)->address, "198.51.100.1");
	ck_assert_str_eq(ans->origin.username, "rtcsip");
	ck_assert_int_eq(a->direction, GW_SDP_DIR_SENDRECV);
	ck_assert_uint_eq(a->ptime, 20);
	gw_sdp_sip_media_clear(&md);
	gw_obj_deref(ans);

	/* With G722 allowed (our order: G722 PCMA PCMU) the offerer's G722 wins. */
	p.codecs = all3;
	ans = answer_ok(asterisk_offer, &p, &md);
	ck_assert_str_eq(md.codec, "G722");
	ck_assert_uint_eq(md.pt, 9);
	assert_pts(gw_sdp_media_get(ans, 0), "9 101");
	gw_sdp_sip_media_clear(&md);
	gw_obj_deref(ans);

	/* The offerer's order wins over ours: we list PCMU first, the SBC PCMA. */
	p.codecs = g711;
	ans = answer_ok(sbc_offer, &p, &md);
	ck_assert_str_eq(md.codec, "PCMA");
	gw_sdp_sip_media_clear(&md);
	gw_obj_deref(ans);
}
END_TEST

START_TEST(test_sdp_sip_answer_freeswitch_refuses_video_and_cn)
{
	struct gw_sdp_sip_params p = params();
	struct gw_sdp_sip_media md;
	struct gw_sdp *ans = answer_ok(freeswitch_offer, &p, &md);
	const struct gw_sdp_media *a, *v;

	ck_assert_str_eq(md.codec, "PCMA");
	ck_assert_uint_eq(md.pt, 8);
	ck_assert_int_eq(md.te_pt, 101);
	ck_assert_int_eq(md.cn_pt, 13);
	ck_assert_str_eq(md.addr, "203.0.113.20");
	ck_assert_uint_eq(md.port, 24580);
	ck_assert_uint_eq(ans->media->len, 2);
	a = gw_sdp_media_get(ans, 0);
	v = gw_sdp_media_get(ans, 1);
	assert_pts(a, "8 101");	/* no CN, no iLBC */
	ck_assert_ptr_null(gw_sdp_media_find_codec(a, "CN", 0));
	ck_assert_str_eq(v->type, "video");
	ck_assert_uint_eq(v->port, 0);
	ck_assert_str_eq(v->proto, "RTP/AVP");
	assert_pts(v, "96");
	gw_sdp_sip_media_clear(&md);
	gw_obj_deref(ans);
}
END_TEST

START_TEST(test_sdp_sip_answer_cube_uses_media_level_address_and_te_100)
{
	struct gw_sdp_sip_params p = params();
	struct gw_sdp_sip_media md;
	struct gw_sdp *ans = answer_ok(cube_offer, &p, &md);

	ck_assert_str_eq(md.codec, "PCMU");
	ck_assert_int_eq(md.te_pt, 100);
	ck_assert_int_eq(md.cn_pt, 19);
	ck_assert_str_eq(md.addr, "192.0.2.78");
	ck_assert_uint_eq(md.port, 16434);
	assert_pts(gw_sdp_media_get(ans, 0), "0 100");
	gw_sdp_sip_media_clear(&md);
	gw_obj_deref(ans);

	/* Without telephone-event on our side it is left out and not reported. */
	p.telephone_event = false;
	ans = answer_ok(cube_offer, &p, &md);
	ck_assert_int_eq(md.te_pt, -1);
	assert_pts(gw_sdp_media_get(ans, 0), "0");
	gw_sdp_sip_media_clear(&md);
	gw_obj_deref(ans);
}
END_TEST

START_TEST(test_sdp_sip_answer_sbc_reports_ptime_and_te_97)
{
	struct gw_sdp_sip_params p = params();
	struct gw_sdp_sip_media md;
	struct gw_sdp *ans = answer_ok(sbc_offer, &p, &md);

	ck_assert_str_eq(md.codec, "PCMA");
	ck_assert_int_eq(md.te_pt, 97);
	ck_assert_int_eq(md.cn_pt, 13);
	ck_assert_uint_eq(md.ptime, 30);
	ck_assert_str_eq(md.addr, "203.0.113.6");
	ck_assert_uint_eq(md.port, 40002);
	/* Our own ptime is what we want to receive. */
	ck_assert_uint_eq(gw_sdp_media_get(ans, 0)->ptime, 20);
	gw_sdp_sip_media_clear(&md);
	gw_obj_deref(ans);
}
END_TEST

START_TEST(test_sdp_sip_answer_accepts_static_pts_without_rtpmap_and_odd_spelling)
{
	static const char bare[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
		"m=audio 5004 RTP/AVP 18 8 0\r\n";
	static const char xlite[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
		"m=audio 8000 RTP/AVPF 98 110 101\r\n"
		"a=rtpmap:98 iLBC\r\na=rtpmap:110 pcmu/8000/1\r\n"
		"a=rtpmap:101 TELEPHONE-EVENT/8000\r\na=ptime:20.0\r\n";
	struct gw_sdp_sip_params p = params();
	struct gw_sdp_sip_media md;
	struct gw_sdp *ans = answer_ok(bare, &p, &md);
	const struct gw_sdp_media *a;

	ck_assert_str_eq(md.codec, "PCMA");	/* pt 8, RFC 3551 */
	ck_assert_uint_eq(md.pt, 8);
	ck_assert_int_eq(md.te_pt, -1);
	a = gw_sdp_media_get(ans, 0);
	assert_pts(a, "8");
	ck_assert_str_eq(gw_sdp_media_codec_by_pt(a, 8)->encoding, "PCMA");
	gw_sdp_sip_media_clear(&md);
	gw_obj_deref(ans);

	/* Dynamic pt for PCMU, lower case, RTP/AVPF kept in the answer. */
	ans = answer_ok(xlite, &p, &md);
	ck_assert_str_eq(md.codec, "PCMU");
	ck_assert_uint_eq(md.pt, 110);
	ck_assert_int_eq(md.te_pt, 101);
	ck_assert_uint_eq(md.ptime, 20);
	ck_assert_str_eq(gw_sdp_media_get(ans, 0)->proto, "RTP/AVPF");
	assert_pts(gw_sdp_media_get(ans, 0), "110 101");
	gw_sdp_sip_media_clear(&md);
	gw_obj_deref(ans);
}
END_TEST

START_TEST(test_sdp_sip_answer_skips_savp_takes_later_avp_line)
{
	static const char two[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
		"m=audio 5004 RTP/SAVP 0\r\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:tMuyik1Aiiq9p4DQVHhAASSWDEP7K7wo0cICOn39\r\n"
		"m=audio 5006 RTP/AVP 0\r\n";
	struct gw_sdp_sip_params p = params();
	struct gw_sdp_sip_media md;
	struct gw_sdp *ans = answer_ok(two, &p, &md);

	ck_assert_uint_eq(md.port, 5006);
	ck_assert_uint_eq(gw_sdp_media_get(ans, 0)->port, 0);
	ck_assert_str_eq(gw_sdp_media_get(ans, 0)->proto, "RTP/SAVP");
	ck_assert_uint_eq(gw_sdp_media_get(ans, 1)->port, 40000);
	gw_sdp_sip_media_clear(&md);
	gw_obj_deref(ans);
}
END_TEST

START_TEST(test_sdp_sip_answer_refuses_savp_only_and_no_common_codec)
{
	static const char savp[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
		"m=audio 5004 RTP/SAVP 0 8\r\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:tMuyik1Aiiq9p4DQVHhAASSWDEP7K7wo0cICOn39\r\n";
	static const char g729[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
		"m=audio 5004 RTP/AVP 18 97 101\r\na=rtpmap:18 G729/8000\r\n"
		"a=rtpmap:97 iLBC/8000\r\na=rtpmap:101 telephone-event/8000\r\n";
	static const char video[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
		"m=video 5004 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
	static const char off[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
		"m=audio 0 RTP/AVP 0\r\n";
	struct gw_sdp_sip_params p = params();
	struct gw_sdp_sip_media md = { .port = 1 };
	struct gw_sdp *ans = NULL;
	char *why = NULL;

	ck_assert_int_eq(answer(savp, &p, &md, &ans, &why), ENOTSUP);
	assert_reason(why, "RTP/SAVP");
	ck_assert_int_eq(answer(g729, &p, &md, &ans, &why), ENOTSUP);
	ck_assert_msg(strstr(why, "G729/8000") && strstr(why, "iLBC/8000") &&
		      strstr(why, "PCMU PCMA"), "%s", why);
	g_free(why);
	ck_assert_int_eq(answer(video, &p, &md, &ans, &why), ENOTSUP);
	assert_reason(why, "no audio m-line");
	ck_assert_int_eq(answer(off, &p, &md, &ans, &why), ENOTSUP);
	assert_reason(why, "port 0");
	/* Outputs untouched on failure. */
	ck_assert_uint_eq(md.port, 1);
	ck_assert_ptr_null(md.addr);
	ck_assert_ptr_null(ans);
}
END_TEST

/* ---- hold and re-INVITEs ---- */

static const char *hold_offer(const char *conn, const char *dir_line)
{
	static char buf[512];

	snprintf(buf, sizeof(buf),
		 "v=0\r\no=- 5 2 IN IP4 192.0.2.30\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		 "m=audio 7078 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n%s",
		 conn, dir_line);
	return buf;
}

/* Answer @text; check what we answer and what we report. */
static void check_hold(const char *text, enum gw_sdp_dir want, enum gw_sdp_dir answered,
		       enum gw_sdp_dir far, bool hold)
{
	struct gw_sdp_sip_params p = params();
	struct gw_sdp_sip_media md;
	struct gw_sdp *ans;

	p.direction = want;
	ans = answer_ok(text, &p, &md);
	ck_assert_msg(gw_sdp_media_direction(ans, gw_sdp_media_get(ans, 0)) == answered,
		      "answered %s, want %s for\n%s",
		      gw_sdp_dir_name(gw_sdp_media_direction(ans, gw_sdp_media_get(ans, 0))),
		      gw_sdp_dir_name(answered), text);
	ck_assert_int_eq(md.direction, far);
	ck_assert_int_eq(md.hold, hold);
	/* Our answer always carries our real address. */
	ck_assert_str_eq(gw_sdp_media_conn(ans, gw_sdp_media_get(ans, 0))->address,
			 "198.51.100.1");
	gw_sdp_sip_media_clear(&md);
	gw_obj_deref(ans);
}

START_TEST(test_sdp_sip_answer_hold_variants)
{
	const enum gw_sdp_dir N = GW_SDP_DIR_NONE, SR = GW_SDP_DIR_SENDRECV,
			      SO = GW_SDP_DIR_SENDONLY, RO = GW_SDP_DIR_RECVONLY,
			      IN = GW_SDP_DIR_INACTIVE;

	check_hold(hold_offer("192.0.2.30", "a=sendonly\r\n"), N, RO, SO, true);
	check_hold(hold_offer("192.0.2.30", "a=inactive\r\n"), N, IN, IN, true);
	check_hold(hold_offer("192.0.2.30", "a=recvonly\r\n"), N, SO, RO, false);
	check_hold(hold_offer("192.0.2.30", "a=sendrecv\r\n"), N, SR, SR, false);
	check_hold(hold_offer("192.0.2.30", ""), N, SR, SR, false);
	/* RFC 2543 hold: c=0.0.0.0 means "do not send to me". */
	check_hold(hold_offer("0.0.0.0", ""), N, RO, SO, true);
	check_hold(hold_offer("0.0.0.0", "a=recvonly\r\n"), N, IN, IN, true);
	/* Our wish combines with theirs. */
	check_hold(hold_offer("192.0.2.30", "a=sendonly\r\n"), SO, IN, SO, true);
	check_hold(hold_offer("192.0.2.30", "a=sendrecv\r\n"), SO, SO, SR, false);
	check_hold(hold_offer("192.0.2.30", "a=sendrecv\r\n"), RO, RO, SR, false);
	check_hold(hold_offer("192.0.2.30", "a=recvonly\r\n"), RO, IN, RO, false);
	check_hold(hold_offer("192.0.2.30", "a=sendrecv\r\n"), IN, IN, SR, false);
}
END_TEST

START_TEST(test_sdp_sip_answer_hold_fixture_style_session_level_sendonly)
{
	static const char polycom[] =
		"v=0\r\no=- 1167770389 1167770390 IN IP4 192.0.2.42\r\ns=Polycom IP Phone\r\n"
		"c=IN IP4 192.0.2.42\r\nt=0 0\r\na=sendonly\r\n"
		"m=audio 2222 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n";
	struct gw_sdp_sip_params p = params();
	struct gw_sdp_sip_media md;
	struct gw_sdp *ans = answer_ok(polycom, &p, &md);

	ck_assert(md.hold);
	ck_assert_int_eq(md.direction, GW_SDP_DIR_SENDONLY);
	ck_assert_int_eq(gw_sdp_media_get(ans, 0)->direction, GW_SDP_DIR_RECVONLY);
	gw_sdp_sip_media_clear(&md);
	gw_obj_deref(ans);
}
END_TEST

START_TEST(test_sdp_sip_reoffer_reports_new_address_and_port)
{
	static const char first[] =
		"v=0\r\no=- 77 1 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n"
		"m=audio 10000 RTP/AVP 8 0\r\n";
	static const char moved[] =
		"v=0\r\no=- 77 2 IN IP6 2001:db8::50\r\ns=-\r\nc=IN IP6 2001:db8::50\r\nt=0 0\r\n"
		"m=audio 10002 RTP/AVP 0 8\r\n";
	struct gw_sdp_sip_params p = params();
	struct gw_sdp_sip_media md;
	struct gw_sdp *ans = answer_ok(first, &p, &md);

	ck_assert_str_eq(md.addr, "192.0.2.50");
	ck_assert_uint_eq(md.port, 10000);
	ck_assert_str_eq(md.codec, "PCMA");
	gw_sdp_sip_media_clear(&md);
	ck_assert_ptr_null(md.addr);
	ck_assert_ptr_null(md.codec);
	gw_obj_deref(ans);
	p.session_version = 8;
	ans = answer_ok(moved, &p, &md);
	ck_assert_str_eq(md.addr, "2001:db8::50");
	ck_assert_uint_eq(md.port, 10002);
	ck_assert_str_eq(md.codec, "PCMU");
	ck_assert_str_eq(ans->origin.sess_version, "8");
	gw_sdp_sip_media_clear(&md);
	gw_obj_deref(ans);
}
END_TEST

/* ---- answers to our offers ---- */

static int parse_answer(const char *text, const struct gw_sdp_sip_params *p,
			struct gw_sdp_sip_media *md, char **why)
{
	struct gw_sdp *ans = parse(text);
	int err = gw_sdp_sip_answer_parse(ans, p, md, why);

	gw_obj_deref(ans);
	return err;
}

START_TEST(test_sdp_sip_answer_parse_takes_answerers_first_codec_and_te)
{
	static const char pcma_first[] =
		"v=0\r\no=- 9 9 IN IP4 203.0.113.40\r\ns=-\r\nc=IN IP4 203.0.113.40\r\nt=0 0\r\n"
		"m=audio 30000 RTP/AVP 8 0 96 13\r\na=rtpmap:8 PCMA/8000\r\n"
		"a=rtpmap:0 PCMU/8000\r\na=rtpmap:96 telephone-event/8000\r\n"
		"a=fmtp:96 0-15\r\na=ptime:40\r\n";
	static const char *const pcmu[] = { "PCMU", NULL };
	struct gw_sdp_sip_params p = params();
	struct gw_sdp_sip_media md;
	char *why = NULL;

	ck_assert_int_eq(parse_answer(pcma_first, &p, &md, &why), 0);
	ck_assert_str_eq(md.codec, "PCMA");
	ck_assert_uint_eq(md.pt, 8);
	ck_assert_int_eq(md.te_pt, 96);	/* theirs, not our 101 */
	ck_assert_int_eq(md.cn_pt, 13);	/* static CN without rtpmap */
	ck_assert_uint_eq(md.ptime, 40);
	ck_assert_str_eq(md.addr, "203.0.113.40");
	ck_assert_uint_eq(md.port, 30000);
	ck_assert_int_eq(md.direction, GW_SDP_DIR_SENDRECV);
	ck_assert(!md.hold);
	gw_sdp_sip_media_clear(&md);

	/* We did not offer telephone-event: not reported even if answered. */
	p.telephone_event = false;
	ck_assert_int_eq(parse_answer(pcma_first, &p, &md, &why), 0);
	ck_assert_int_eq(md.te_pt, -1);
	gw_sdp_sip_media_clear(&md);

	/* Only PCMU offered: PCMA in the answer is not ours. */
	p.codecs = pcmu;
	ck_assert_int_eq(parse_answer(pcma_first, &p, &md, &why), 0);
	ck_assert_str_eq(md.codec, "PCMU");
	gw_sdp_sip_media_clear(&md);
}
END_TEST

START_TEST(test_sdp_sip_answer_parse_round_trips_our_offer)
{
	struct gw_sdp_sip_params us = params(), them = params();
	struct gw_sdp_sip_media md_them, md_us;
	struct gw_sdp *offer, *ans;
	char *offer_text = NULL, *ans_text = NULL, *why = NULL;

	/* We offer PCMU PCMA te; a peer that prefers PCMA answers (its own
	 * answerer is our answer builder), and we read its answer. */
	ck_assert_int_eq(gw_sdp_sip_offer_build(&us, &offer_text, &why), 0);
	offer = parse(offer_text);
	them.addr = "192.0.2.99";
	them.port = 6000;
	ck_assert_int_eq(gw_sdp_sip_answer_build(offer, &them, &md_them, &ans_text, &why), 0);
	ck_assert_str_eq(md_them.addr, "198.51.100.1");
	ck_assert_uint_eq(md_them.port, 40000);
	ck_assert_str_eq(md_them.codec, "PCMU");
	ck_assert_int_eq(md_them.te_pt, 101);
	ans = parse(ans_text);
	ck_assert_int_eq(gw_sdp_sip_answer_parse(ans, &us, &md_us, &why), 0);
	ck_assert_str_eq(md_us.addr, "192.0.2.99");
	ck_assert_uint_eq(md_us.port, 6000);
	ck_assert_str_eq(md_us.codec, "PCMU");
	ck_assert_int_eq(md_us.te_pt, 101);
	ck_assert_uint_eq(md_us.ptime, 20);
	gw_sdp_sip_media_clear(&md_them);
	gw_sdp_sip_media_clear(&md_us);
	gw_obj_deref(offer);
	gw_obj_deref(ans);
	g_free(offer_text);
	g_free(ans_text);
}
END_TEST

START_TEST(test_sdp_sip_answer_parse_refusal_and_hold)
{
	static const char refused[] =
		"v=0\r\no=- 9 9 IN IP4 203.0.113.40\r\ns=-\r\nc=IN IP4 203.0.113.40\r\nt=0 0\r\n"
		"m=audio 0 RTP/AVP 0\r\n";
	static const char g729[] =
		"v=0\r\no=- 9 9 IN IP4 203.0.113.40\r\ns=-\r\nc=IN IP4 203.0.113.40\r\nt=0 0\r\n"
		"m=audio 30000 RTP/AVP 18\r\n";
	static const char savp[] =
		"v=0\r\no=- 9 9 IN IP4 203.0.113.40\r\ns=-\r\nc=IN IP4 203.0.113.40\r\nt=0 0\r\n"
		"m=audio 30000 RTP/SAVP 0\r\n";
	static const char held[] =
		"v=0\r\no=- 9 9 IN IP4 203.0.113.40\r\ns=-\r\nc=IN IP4 203.0.113.40\r\nt=0 0\r\n"
		"m=audio 30000 RTP/AVP 0\r\na=sendonly\r\n";
	static const char zero[] =
		"v=0\r\no=- 9 9 IN IP4 203.0.113.40\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
		"m=audio 30000 RTP/AVP 0\r\n";
	static const char idle[] =
		"v=0\r\no=- 9 9 IN IP4 203.0.113.40\r\ns=-\r\nc=IN IP4 203.0.113.40\r\nt=0 0\r\n"
		"a=inactive\r\nm=audio 30000 RTP/AVP 0\r\n";
	struct gw_sdp_sip_params p = params();
	struct gw_sdp_sip_media md = { .pt = 77 };
	char *why = NULL;

	ck_assert_int_eq(parse_answer(refused, &p, &md, &why), ENOTSUP);
	assert_reason(why, "refused");
	ck_assert_int_eq(parse_answer(g729, &p, &md, &why), ENOTSUP);
	assert_reason(why, "18");
	ck_assert_int_eq(parse_answer(savp, &p, &md, &why), ENOTSUP);
	assert_reason(why, "RTP/SAVP");
	ck_assert_uint_eq(md.pt, 77);
	ck_assert_int_eq(parse_answer(held, &p, &md, &why), 0);
	ck_assert(md.hold);
	ck_assert_int_eq(md.direction, GW_SDP_DIR_SENDONLY);
	gw_sdp_sip_media_clear(&md);
	ck_assert_int_eq(parse_answer(zero, &p, &md, &why), 0);
	ck_assert(md.hold);
	ck_assert_str_eq(md.addr, "0.0.0.0");
	gw_sdp_sip_media_clear(&md);
	ck_assert_int_eq(parse_answer(idle, &p, &md, &why), 0);
	ck_assert(md.hold);
	ck_assert_int_eq(md.direction, GW_SDP_DIR_INACTIVE);
	gw_sdp_sip_media_clear(&md);
}
END_TEST

/* ---- bad input ---- */

START_TEST(test_sdp_sip_bad_input_is_refused_with_reason)
{
	static const char no_c[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n";
	static const char no_fmt[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
		"m=audio 5004 RTP/AVP\r\n";
	static const char host[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 pbx.example.net\r\nt=0 0\r\n"
		"m=audio 5004 RTP/AVP 0\r\n";
	static const char mcast[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 224.2.1.1/127\r\nt=0 0\r\n"
		"m=audio 5004 RTP/AVP 0\r\n";
	static const char stereo[] =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
		"m=audio 5004 RTP/AVP 96\r\na=rtpmap:96 PCMU/8000/2\r\n";
	struct gw_sdp_sip_params p = params();
	struct gw_sdp_sip_media md;
	struct gw_sdp *ans = NULL, *offer;
	char *out = NULL, *why = NULL;

	ck_assert_int_eq(answer(no_c, &p, &md, &ans, &why), EINVAL);
	assert_reason(why, "no c= line");
	ck_assert_int_eq(parse_answer(no_c, &p, &md, &why), EINVAL);
	assert_reason(why, "no c= line");
	ck_assert_int_eq(answer(no_fmt, &p, &md, &ans, &why), ENOTSUP);
	assert_reason(why, "no payload types");
	ck_assert_int_eq(parse_answer(no_fmt, &p, &md, &why), ENOTSUP);
	assert_reason(why, "no payload types");
	ck_assert_int_eq(answer(host, &p, &md, &ans, &why), EINVAL);
	assert_reason(why, "pbx.example.net");
	ck_assert_int_eq(answer(mcast, &p, &md, &ans, &why), ENOTSUP);
	assert_reason(why, "unicast");
	ck_assert_int_eq(answer(stereo, &p, &md, &ans, &why), ENOTSUP);
	assert_reason(why, "96 PCMU/8000/2");

	/* NULL SDP, NULL outputs, bad local params. */
	ck_assert_int_eq(gw_sdp_sip_answer_build(NULL, &p, &md, &out, &why), EINVAL);
	assert_reason(why, "no offer");
	ck_assert_int_eq(gw_sdp_sip_answer_parse(NULL, &p, &md, &why), EINVAL);
	assert_reason(why, "no answer");
	offer = parse(cube_offer);
	ck_assert_int_eq(gw_sdp_sip_answer_build(offer, &p, NULL, &out, &why), EINVAL);
	g_free(why);
	ck_assert_int_eq(gw_sdp_sip_answer_build(offer, NULL, &md, &out, &why), EINVAL);
	g_free(why);
	p.codecs = NULL;
	ck_assert_int_eq(gw_sdp_sip_answer_build(offer, &p, &md, &out, &why), EINVAL);
	assert_reason(why, "no codec");
	ck_assert_int_eq(gw_sdp_sip_answer_parse(offer, &p, &md, &why), EINVAL);
	assert_reason(why, "no codec");
	ck_assert_ptr_null(out);
	ck_assert_ptr_null(ans);
	gw_obj_deref(offer);
	gw_sdp_sip_media_clear(NULL);
}
END_TEST

START_TEST(test_sdp_sip_remote_ptime_out_of_range_or_odd_falls_back)
{
	static const char *const lines[] = {
		"a=ptime:0\r\n", "a=ptime:10000\r\n", "a=ptime:abc\r\n", "a=ptime:-20\r\n",
		"a=ptime:30.0\r\n", "a=ptime:60\r\na=maxptime:40\r\n", "a=maxptime:10\r\n",
		"a=ptime:1e999\r\n", "a=ptime:nan\r\n",
		/* what the media engine packs: 10-60 ms in 10 ms steps, the nearest,
		 * never above maxptime */
		"a=ptime:25\r\n", "a=ptime:80\r\n", "a=ptime:45\r\na=maxptime:45\r\n",
		"a=ptime:200\r\na=maxptime:150\r\n", "a=ptime:14\r\n",
	};
	static const unsigned want[] = { 20, 20, 20, 20, 30, 40, 10, 20, 20, 30, 60, 40, 60, 10 };
	struct gw_sdp_sip_params p = params();

	for (size_t i = 0; i < G_N_ELEMENTS(lines); i++) {
		char *text = g_strdup_printf("v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\n"
					     "c=IN IP4 192.0.2.9\r\nt=0 0\r\n"
					     "m=audio 5004 RTP/AVP 0\r\n%s", lines[i]);
		struct gw_sdp_sip_media md;
		struct gw_sdp *ans = answer_ok(text, &p, &md);

		ck_assert_msg(md.ptime == want[i], "%s: ptime %u, want %u", lines[i], md.ptime,
			      want[i]);
		gw_sdp_sip_media_clear(&md);
		gw_obj_deref(ans);
		g_free(text);
	}
}
END_TEST

/* ---- SIP gear from ../shared/fixtures (read at run time) ---- */

/* Whether @m is an audio m-line we must be able to take. */
static bool usable(const struct gw_sdp *sdp, const struct gw_sdp_media *m)
{
	const struct gw_sdp_conn *c = gw_sdp_media_conn(sdp, m);
	bool codec = false;

	if (strcmp(m->type, "audio") || m->port == 0 || !c || !g_hostname_is_ip_address(c->address))
		return false;
	if (strcmp(m->proto, "RTP/AVP") && strcmp(m->proto, "RTP/AVPF"))
		return false;
	for (size_t i = 0; all3[i]; i++) {
		const struct gw_sdp_codec *k = gw_sdp_media_find_codec(m, all3[i], 8000);

		codec = codec || (k && k->channels <= 1);
	}
	return codec;
}

static void check_fixture(const char *path, unsigned *answered, unsigned *refused)
{
	struct gw_sdp_sip_params p = params();
	struct gw_sdp *offer = NULL, *ans;
	struct gw_sdp_sip_media md;
	char *text = NULL, *out = NULL, *why = NULL;
	bool want = false;
	gsize len;
	int err;

	p.codecs = all3;
	ck_assert_msg(g_file_get_contents(path, &text, &len, NULL), "cannot read %s", path);
	ck_assert_msg(gw_sdp_parse(text, len, &offer, &why) == 0, "%s: %s", path, why);
	for (unsigned i = 0; i < offer->media->len; i++)
		want = want || usable(offer, gw_sdp_media_get(offer, i));
	err = gw_sdp_sip_answer_build(offer, &p, &md, &out, &why);
	if (err) {
		ck_assert_msg((err == ENOTSUP || err == EINVAL) && why && *why,
			      "%s: error %d without a reason", path, err);
		ck_assert_msg(!want, "%s has usable audio but was refused: %s", path, why);
		printf("  refused %s: %s\n", strrchr(path, '/') + 1, why);
		(*refused)++;
		g_free(why);
		goto out;
	}
	ck_assert_msg(want, "%s answered but has no usable audio", path);
	ans = parse(out);
	ck_assert_uint_eq(ans->media->len, offer->media->len);
	for (unsigned i = 0, accepted = 0; i < ans->media->len; i++) {
		const struct gw_sdp_media *a = gw_sdp_media_get(ans, i);
		const struct gw_sdp_media *o = gw_sdp_media_get(offer, i);

		ck_assert_str_eq(a->type, o->type);
		ck_assert_str_eq(a->proto, o->proto);
		if (a->port == 0)
			continue;
		ck_assert_msg(++accepted == 1, "%s: two accepted m-lines", path);
		ck_assert_uint_eq(a->port, p.port);
		ck_assert_uint_eq(o->port, md.port);
		ck_assert_uint_eq(((struct gw_sdp_codec *)g_ptr_array_index(a->codecs, 0))->pt,
				  md.pt);
		ck_assert_ptr_nonnull(gw_sdp_media_find_codec(o, md.codec, 8000));
		ck_assert_ptr_null(gw_sdp_media_find_codec(a, "CN", 0));
	}
	ck_assert(md.ptime >= 10 && md.ptime <= 200);
	printf("  answered %s: %s/%u te %d %s:%u %s%s\n", strrchr(path, '/') + 1, md.codec,
	       md.pt, md.te_pt, md.addr, md.port, gw_sdp_dir_name(md.direction),
	       md.hold ? " (hold)" : "");
	(*answered)++;
	gw_sdp_sip_media_clear(&md);
	gw_obj_deref(ans);
	g_free(out);
out:
	gw_obj_deref(offer);
	g_free(text);
}

START_TEST(test_sdp_sip_answers_or_refuses_every_sip_gear_fixture)
{
	const char *top = getenv("GW_TEST_SRCDIR");
	char *dir = g_build_filename(top ? top : GW_TEST_SRCDIR, "..", "shared", "fixtures", NULL);
	char *manifest = g_build_filename(dir, "MANIFEST.tsv", NULL);
	char *text = NULL;
	char **rows;
	unsigned answered = 0, refused = 0;

	if (!g_file_get_contents(manifest, &text, NULL, NULL)) {
		printf("SKIP: test_sdp_sip_answers_or_refuses_every_sip_gear_fixture: no %s\n",
		       manifest);
		g_free(manifest);
		g_free(dir);
		return;
	}
	/* MANIFEST.tsv: file<TAB>what<TAB>...; SIP gear lives under sip_sdp/. */
	rows = g_strsplit(text, "\n", -1);
	for (char **r = rows; *r; r++) {
		char *tab = strchr(*r, '\t');
		char *path;

		if (!tab || !g_str_has_prefix(*r, "sip_sdp/"))
			continue;
		*tab = '\0';
		if (!g_str_has_suffix(*r, ".sdp"))
			continue;
		path = g_build_filename(dir, *r, NULL);
		check_fixture(path, &answered, &refused);
		g_free(path);
	}
	printf("sip_sdp: %u answered, %u refused with a reason\n", answered, refused);
	ck_assert_uint_gt(answered, 0);
	g_strfreev(rows);
	g_free(text);
	g_free(manifest);
	g_free(dir);
}
END_TEST

static Suite *sdp_sip_suite(void)
{
	Suite *s = suite_create("sdp_sip");
	TCase *tc = tcase_create("sdp_sip");

	tcase_add_test(tc, test_sdp_sip_offer_has_exact_mline_rtpmaps_and_parses_back);
	tcase_add_test(tc, test_sdp_sip_offer_options_g722_ipv6_te_pt_ptime_direction);
	tcase_add_test(tc, test_sdp_sip_offer_refuses_bad_params_with_reason);
	tcase_add_test(tc, test_sdp_sip_answer_picks_offerers_first_common_codec);
	tcase_add_test(tc, test_sdp_sip_answer_freeswitch_refuses_video_and_cn);
	tcase_add_test(tc, test_sdp_sip_answer_cube_uses_media_level_address_and_te_100);
	tcase_add_test(tc, test_sdp_sip_answer_sbc_reports_ptime_and_te_97);
	tcase_add_test(tc, test_sdp_sip_answer_accepts_static_pts_without_rtpmap_and_odd_spelling);
	tcase_add_test(tc, test_sdp_sip_answer_skips_savp_takes_later_avp_line);
	tcase_add_test(tc, test_sdp_sip_answer_refuses_savp_only_and_no_common_codec);
	tcase_add_test(tc, test_sdp_sip_answer_hold_variants);
	tcase_add_test(tc, test_sdp_sip_answer_hold_fixture_style_session_level_sendonly);
	tcase_add_test(tc, test_sdp_sip_reoffer_reports_new_address_and_port);
	tcase_add_test(tc, test_sdp_sip_answer_parse_takes_answerers_first_codec_and_te);
	tcase_add_test(tc, test_sdp_sip_answer_parse_round_trips_our_offer);
	tcase_add_test(tc, test_sdp_sip_answer_parse_refusal_and_hold);
	tcase_add_test(tc, test_sdp_sip_bad_input_is_refused_with_reason);
	tcase_add_test(tc, test_sdp_sip_remote_ptime_out_of_range_or_odd_falls_back);
	tcase_add_test(tc, test_sdp_sip_answers_or_refuses_every_sip_gear_fixture);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return gw_check_run(sdp_sip_suite());
}
