/* test_sdp.c — the SDP model (parse, print, candidates) and the JSEP
 * offer/answer builders, with rtcsip's own samples shaped like what Chrome,
 * Firefox and SIP phones send. */
#include "gw_check.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "gw/obj.h"
#include "gw/sdp.h"

#define FP_A "sha-256 0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9"
#define FP_GW "sha-256 11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00"

/* Chrome-shaped unified-plan offer: audio (sendonly), video, data; BUNDLE. */
static const char chrome_avd[] =
	"v=0\r\n"
	"o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"t=0 0\r\n"
	"a=group:BUNDLE a0 v1 d2\r\n"
	"a=extmap-allow-mixed\r\n"
	"a=msid-semantic: WMS stream-x\r\n"
	"m=audio 50123 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
	"c=IN IP4 192.0.2.10\r\n"
	"a=rtcp:9 IN IP4 0.0.0.0\r\n"
	"a=candidate:2999745851 1 udp 2122260223 192.0.2.10 50123 typ host generation 0 network-id 1\r\n"
	"a=candidate:1111111111 1 tcp 1518280447 192.0.2.10 9 typ host tcptype active generation 0 network-id 1\r\n"
	"a=ice-ufrag:Qw3r\r\n"
	"a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
	"a=ice-options:trickle\r\n"
	"a=fingerprint:" FP_A "\r\n"
	"a=setup:actpass\r\n"
	"a=mid:a0\r\n"
	"a=sendonly\r\n"
	"a=rtcp-mux\r\n"
	"a=rtpmap:111 opus/48000/2\r\n"
	"a=fmtp:111 minptime=10;useinbandfec=1\r\n"
	"a=rtpmap:63 red/48000/2\r\n"
	"a=fmtp:63 111/111\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:13 CN/8000\r\n"
	"a=rtpmap:110 telephone-event/48000\r\n"
	"a=rtpmap:126 telephone-event/8000\r\n"
	"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
	"a=msid:stream-x track-a\r\n"
	"a=rtcp-fb:111 transport-cc\r\n"
	"a=ssrc:3735928559 cname:c1\r\n"
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"a=rtcp:9 IN IP4 0.0.0.0\r\n"
	"a=ice-ufrag:Qw3r\r\n"
	"a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
	"a=fingerprint:" FP_A "\r\n"
	"a=setup:actpass\r\n"
	"a=mid:v1\r\n"
	"a=sendrecv\r\n"
	"a=rtcp-mux\r\n"
	"a=rtpmap:96 VP8/90000\r\n"
	"a=rtpmap:97 rtx/90000\r\n"
	"a=fmtp:97 apt=96\r\n"
	"a=rtcp-rsize\r\n"
	"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"a=ice-ufrag:Qw3r\r\n"
	"a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
	"a=fingerprint:" FP_A "\r\n"
	"a=setup:actpass\r\n"
	"a=mid:d2\r\n"
	"a=sctp-port:5000\r\n"
	"a=max-message-size:262144\r\n";

/* Firefox-shaped: fingerprint at session level, only telephone-event/8000,
 * candidates for RTP and RTCP, end-of-candidates, session a=sendrecv. */
static const char firefox_audio[] =
	"v=0\r\n"
	"o=mozilla...THIS_IS_SDPARTA-99.0 1520117427612297811 0 IN IP4 0.0.0.0\r\n"
	"s=-\r\n"
	"t=0 0\r\n"
	"a=fingerprint:" FP_A "\r\n"
	"a=group:BUNDLE 0\r\n"
	"a=ice-options:trickle\r\n"
	"a=msid-semantic:WMS *\r\n"
	"a=sendrecv\r\n"
	"m=audio 52000 UDP/TLS/RTP/SAVPF 109 9 0 8 101\r\n"
	"c=IN IP4 198.51.100.20\r\n"
	"a=candidate:0 1 UDP 2122252543 198.51.100.20 52000 typ host\r\n"
	"a=candidate:1 1 UDP 1686052863 203.0.113.5 52000 typ srflx raddr 198.51.100.20 rport 52000\r\n"
	"a=candidate:0 2 UDP 2122252542 198.51.100.20 52001 typ host\r\n"
	"a=end-of-candidates\r\n"
	"a=ice-pwd:0f1e2d3c4b5a69788796a5b4c3d2e1f0\r\n"
	"a=ice-ufrag:9a8b7c6d\r\n"
	"a=setup:actpass\r\n"
	"a=mid:0\r\n"
	"a=rtcp-mux\r\n"
	"a=rtpmap:109 opus/48000/2\r\n"
	"a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1\r\n"
	"a=rtpmap:9 G722/8000/1\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000/1\r\n"
	"a=fmtp:101 0-15\r\n"
	"a=extmap:1/sendonly urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
	"a=msid:{aa} {bb}\r\n"
	"a=ssrc:1234 cname:{cc}\r\n";

/* A SIP phone: session c=, i=, b=, session-level sendonly, static pts
 * without rtpmap, ptime, a k= line and an unknown attribute. */
static const char sip_phone[] =
	"v=0\r\n"
	"o=phone 2890844526 2890844527 IN IP4 10.1.2.3\r\n"
	"s=SIP Call\r\n"
	"i=desk phone\r\n"
	"c=IN IP4 10.1.2.3\r\n"
	"b=AS:84\r\n"
	"t=0 0\r\n"
	"a=sendonly\r\n"
	"m=audio 40000 RTP/AVP 0 8 18 101\r\n"
	"b=TIAS:64000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:18 annexb=no\r\n"
	"a=fmtp:101 0-16\r\n"
	"a=ptime:20\r\n"
	"a=maxptime:40\r\n"
	"a=rtcp:40001\r\n"
	"a=x-vendor-thing:on\r\n"
	"m=video 0 RTP/AVP\r\n";

static struct gw_sdp *parse_ok(const char *text)
{
	struct gw_sdp *sdp = NULL;
	char *why = NULL;
	int err = gw_sdp_parse(text, strlen(text), &sdp, &why);

	ck_assert_msg(err == 0, "parse failed: %s", why ? why : "(no reason)");
	ck_assert_ptr_null(why);
	return sdp;
}

static struct gw_sdp_jsep_params gw_params(void)
{
	static const char *const cands[] = {
		"candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host", NULL
	};

	return (struct gw_sdp_jsep_params){
		.local_addr = "127.0.0.1", .local_port = 40000,
		.ice_ufrag = "GwUf", .ice_pwd = "GwPassword0123456789abcd",
		.fingerprint = FP_GW, .candidates = cands, .end_of_candidates = true,
	};
}

static char *answer_ok(const char *offer_text, const struct gw_sdp_jsep_params *p,
		       struct gw_sdp_answer_result *res)
{
	struct gw_sdp *offer = parse_ok(offer_text);
	char *ans = NULL, *why = NULL;
	int err = gw_sdp_answer_build(offer, p, res, &ans, &why);

	ck_assert_msg(err == 0, "answer refused: %s", why ? why : "(no reason)");
	gw_obj_deref(offer);
	return ans;
}

/* The answer refuses with @err and a reason containing @needle. */
static void answer_refused(const char *offer_text, const struct gw_sdp_jsep_params *p,
			   int err, const char *needle)
{
	struct gw_sdp *offer = parse_ok(offer_text);
	struct gw_sdp_answer_result res;
	char *ans = NULL, *why = NULL;

	ck_assert_int_eq(gw_sdp_answer_build(offer, p, &res, &ans, &why), err);
	ck_assert_ptr_null(ans);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, needle), "reason \"%s\" lacks \"%s\"", why, needle);
	g_free(why);
	gw_obj_deref(offer);
}

/* @text with @from replaced by @to (all occurrences). */
static char *edit(const char *text, const char *from, const char *to)
{
	char **parts = g_strsplit(text, from, -1);
	char *out = g_strjoinv(to, parts);

	g_strfreev(parts);
	return out;
}

static void assert_no_leak(void)
{
	ck_assert_int_eq(gw_obj_live(), 0);
}

START_TEST(test_sdp_answer_refuses_video_and_data_keeps_mids)
{
	struct gw_sdp_jsep_params p = gw_params();
	struct gw_sdp_answer_result res;
	char *text = answer_ok(chrome_avd, &p, &res);
	struct gw_sdp *ans = parse_ok(text);
	struct gw_sdp_media *a = gw_sdp_media_get(ans, 0), *v = gw_sdp_media_get(ans, 1);
	struct gw_sdp_media *d = gw_sdp_media_get(ans, 2);

	ck_assert_uint_eq(ans->media->len, 3);
	ck_assert_str_eq(a->type, "audio");
	ck_assert_uint_eq(a->port, 40000);
	ck_assert_str_eq(a->mid, "a0");
	ck_assert_str_eq(v->type, "video");
	ck_assert_uint_eq(v->port, 0);
	ck_assert_str_eq(v->proto, "UDP/TLS/RTP/SAVPF");
	ck_assert_str_eq(v->mid, "v1");
	ck_assert_uint_ge(v->formats->len, 1);
	ck_assert_str_eq(d->type, "application");
	ck_assert_uint_eq(d->port, 0);
	ck_assert_str_eq(d->proto, "UDP/DTLS/SCTP");
	ck_assert_str_eq(g_ptr_array_index(d->formats, 0), "webrtc-datachannel");
	ck_assert_str_eq(d->mid, "d2");
	/* BUNDLE keeps only the accepted mid. */
	ck_assert_uint_eq(ans->bundle->len, 1);
	ck_assert_str_eq(g_ptr_array_index(ans->bundle, 0), "a0");
	/* Opus first with FEC, then both telephone-events, nothing else. */
	ck_assert_uint_eq(a->codecs->len, 3);
	ck_assert_int_eq(res.opus_pt, 111);
	ck_assert_int_eq(res.te48_pt, 110);
	ck_assert_int_eq(res.te8_pt, 126);
	ck_assert_int_eq(res.send_pt, 111);
	ck_assert_ptr_nonnull(strstr(text, "a=rtpmap:111 opus/48000/2\r\n"
					   "a=fmtp:111 minptime=10;useinbandfec=1\r\n"));
	ck_assert_ptr_nonnull(strstr(text, "a=rtpmap:110 telephone-event/48000\r\n"));
	ck_assert_ptr_nonnull(strstr(text, "a=rtpmap:126 telephone-event/8000\r\n"));
	ck_assert_ptr_null(strstr(text, "PCMU"));
	/* Offer sendonly: we only receive. */
	ck_assert_int_eq(a->direction, GW_SDP_DIR_RECVONLY);
	ck_assert_int_eq(res.direction, GW_SDP_DIR_RECVONLY);
	/* Transport of the accepted line. */
	ck_assert(a->rtcp_mux);
	ck_assert_str_eq(a->ice_dtls.ice_ufrag, "GwUf");
	ck_assert_str_eq(a->ice_dtls.ice_pwd, "GwPassword0123456789abcd");
	ck_assert_str_eq(a->ice_dtls.fingerprint.hash, "sha-256");
	ck_assert_int_eq(a->ice_dtls.setup, GW_SDP_SETUP_PASSIVE);
	ck_assert_str_eq(a->conn.address, "127.0.0.1");
	ck_assert_uint_eq(a->candidates->len, 1);
	ck_assert(a->end_of_candidates);
	ck_assert_ptr_null(strstr(text, "a=ptime"));
	/* What the offer said, for the ICE and DTLS layers. */
	ck_assert_uint_eq(res.mline, 0);
	ck_assert_str_eq(res.mid, "a0");
	ck_assert_str_eq(res.remote_ufrag, "Qw3r");
	ck_assert_str_eq(res.remote_pwd, "abcdefghijklmnopqrstuvwx");
	ck_assert_str_eq(res.remote_fp_value, FP_A + 8);
	ck_assert_int_eq(res.remote_setup, GW_SDP_SETUP_ACTPASS);
	ck_assert_int_eq(res.local_setup, GW_SDP_SETUP_PASSIVE);
	ck_assert_uint_eq(res.remote_candidates->len, 2);
	gw_sdp_answer_result_clear(&res);
	g_free(text);
	gw_obj_deref(ans);
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_answer_takes_candidates_from_bundle_peers)
{
	/* Data first and the only one with candidates (Chrome since ~M100). */
	const char *offer =
		"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
		"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
		"a=candidate:7 1 udp 2122260223 192.0.2.7 60000 typ host\r\n"
		"a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
		"a=fingerprint:" FP_A "\r\na=setup:actpass\r\na=mid:0\r\n"
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
		"a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
		"a=fingerprint:" FP_A "\r\na=setup:actpass\r\na=mid:1\r\na=rtcp-mux\r\n"
		"a=rtpmap:111 opus/48000/2\r\n";
	struct gw_sdp_jsep_params p = gw_params();
	struct gw_sdp_answer_result res;
	char *text = answer_ok(offer, &p, &res);
	const struct gw_sdp_candidate *c;

	ck_assert_uint_eq(res.mline, 1);
	ck_assert_int_eq(res.te48_pt, -1);
	ck_assert_int_eq(res.te8_pt, -1);
	ck_assert_uint_eq(res.remote_candidates->len, 1);
	c = g_ptr_array_index(res.remote_candidates, 0);
	ck_assert_str_eq(c->address, "192.0.2.7");
	ck_assert_uint_eq(c->port, 60000);
	ck_assert_ptr_nonnull(strstr(text, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
	ck_assert_ptr_nonnull(strstr(text, "a=group:BUNDLE 1\r\n"));
	gw_sdp_answer_result_clear(&res);
	g_free(text);
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_answer_mirrors_direction)
{
	static const struct {
		const char *offered;
		enum gw_sdp_dir want, expect;
	} cases[] = {
		{ "a=sendrecv", GW_SDP_DIR_NONE, GW_SDP_DIR_SENDRECV },
		{ "a=sendonly", GW_SDP_DIR_NONE, GW_SDP_DIR_RECVONLY },
		{ "a=recvonly", GW_SDP_DIR_NONE, GW_SDP_DIR_SENDONLY },
		{ "a=inactive", GW_SDP_DIR_NONE, GW_SDP_DIR_INACTIVE },
		{ "a=sendrecv", GW_SDP_DIR_SENDONLY, GW_SDP_DIR_SENDONLY },	/* our hold */
		{ "a=sendonly", GW_SDP_DIR_SENDONLY, GW_SDP_DIR_INACTIVE },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *offer = edit(chrome_avd, "a=sendonly", cases[i].offered);
		struct gw_sdp_jsep_params p = gw_params();
		struct gw_sdp_answer_result res;
		char *text, *line;

		p.direction = cases[i].want;
		text = answer_ok(offer, &p, &res);
		ck_assert_int_eq(res.direction, cases[i].expect);
		line = g_strdup_printf("a=%s\r\n", gw_sdp_dir_name(cases[i].expect));
		ck_assert_msg(strstr(text, line), "case %zu: no %s", i, line);
		g_free(line);
		g_free(text);
		g_free(offer);
		gw_sdp_answer_result_clear(&res);
	}
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_answer_picks_dtls_role_from_offer)
{
	static const struct {
		const char *offered, *want;
		int err;
		enum gw_sdp_setup expect;
	} cases[] = {
		{ "actpass", NULL, 0, GW_SDP_SETUP_PASSIVE },
		{ "actpass", "active", 0, GW_SDP_SETUP_ACTIVE },
		{ "passive", NULL, 0, GW_SDP_SETUP_ACTIVE },
		{ "active", NULL, 0, GW_SDP_SETUP_PASSIVE },
		{ "active", "active", EINVAL, 0 },
		{ "holdconn", NULL, EINVAL, 0 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *setup = g_strdup_printf("a=setup:%s", cases[i].offered);
		char *offer = edit(chrome_avd, "a=setup:actpass", setup);
		struct gw_sdp_jsep_params p = gw_params();
		struct gw_sdp_answer_result res;

		p.setup = cases[i].want;
		if (cases[i].err) {
			answer_refused(offer, &p, cases[i].err, "setup");
		} else {
			char *text = answer_ok(offer, &p, &res);

			ck_assert_int_eq(res.local_setup, cases[i].expect);
			gw_sdp_answer_result_clear(&res);
			g_free(text);
		}
		g_free(setup);
		g_free(offer);
	}
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_answer_uses_session_fingerprint_and_te8_only)
{
	struct gw_sdp_jsep_params p = gw_params();
	struct gw_sdp_answer_result res;
	char *text = answer_ok(firefox_audio, &p, &res);

	ck_assert_int_eq(res.opus_pt, 109);
	ck_assert_int_eq(res.te48_pt, -1);
	ck_assert_int_eq(res.te8_pt, 101);
	ck_assert_str_eq(res.remote_fp_hash, "sha-256");
	ck_assert_str_eq(res.remote_ufrag, "9a8b7c6d");
	ck_assert(res.remote_end_of_candidates);
	ck_assert_uint_eq(res.remote_candidates->len, 3);
	ck_assert_ptr_nonnull(strstr(text, "m=audio 40000 UDP/TLS/RTP/SAVPF 109 101\r\n"));
	gw_sdp_answer_result_clear(&res);
	g_free(text);
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_answer_refuses_missing_ice_fingerprint_mux)
{
	struct gw_sdp_jsep_params p = gw_params();
	char *no_ufrag = edit(chrome_avd, "a=ice-ufrag:Qw3r\r\n", "");
	char *no_fp = edit(firefox_audio, "a=fingerprint:" FP_A "\r\n", "");
	char *no_mux = edit(firefox_audio, "a=rtcp-mux\r\n", "");

	answer_refused(no_ufrag, &p, EINVAL, "ice-ufrag");
	answer_refused(no_fp, &p, EINVAL, "fingerprint");
	answer_refused(no_mux, &p, EINVAL, "rtcp-mux");
	g_free(no_ufrag);
	g_free(no_fp);
	g_free(no_mux);
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_answer_refuses_offer_without_usable_audio)
{
	struct gw_sdp_jsep_params p = gw_params();
	char *no_opus = edit(firefox_audio, "a=rtpmap:109 opus/48000/2", "a=rtpmap:109 foo/48000/2");
	char *plain_rtp = edit(firefox_audio, "UDP/TLS/RTP/SAVPF", "RTP/AVP");
	char *disabled = edit(firefox_audio, "m=audio 52000", "m=audio 0");
	const char *video_only =
		"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
		"m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n";

	answer_refused(no_opus, &p, ENOTSUP, "no opus/48000");
	answer_refused(plain_rtp, &p, ENOTSUP, "RTP/AVP is not DTLS-SRTP");
	answer_refused(disabled, &p, ENOTSUP, "port 0");
	answer_refused(video_only, &p, ENOTSUP, "no audio m-line");
	answer_refused(sip_phone, &p, ENOTSUP, "not DTLS-SRTP");
	g_free(no_opus);
	g_free(plain_rtp);
	g_free(disabled);
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_answer_accepts_allowed_g711_without_opus)
{
	static const char *const extras[] = { "PCMA", "PCMU", NULL };
	struct gw_sdp_jsep_params p = gw_params();
	struct gw_sdp_answer_result res;
	char *offer = edit(firefox_audio, "a=rtpmap:109 opus/48000/2", "a=rtpmap:109 foo/48000/2");
	char *text;

	p.extra_codecs = extras;
	text = answer_ok(offer, &p, &res);
	ck_assert_int_eq(res.opus_pt, -1);
	ck_assert_int_eq(res.pcma_pt, 8);
	ck_assert_int_eq(res.pcmu_pt, 0);
	ck_assert_int_eq(res.send_pt, 8);
	ck_assert_ptr_nonnull(strstr(text, "UDP/TLS/RTP/SAVPF 8 0 101\r\n"));
	gw_sdp_answer_result_clear(&res);
	g_free(text);
	g_free(offer);
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_answer_refuses_bad_local_params)
{
	struct gw_sdp_jsep_params p = gw_params();
	static const char *const bad_cand[] = { "candidate:1 1 udp 1 127.0.0.1 1 typ nope", NULL };

	p.fingerprint = "AB:CD";
	answer_refused(chrome_avd, &p, EINVAL, "fingerprint");
	p = gw_params();
	p.ice_pwd = "short";
	answer_refused(chrome_avd, &p, EINVAL, "ice_pwd");
	p = gw_params();
	p.candidates = bad_cand;
	answer_refused(chrome_avd, &p, EINVAL, "unknown type");
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_offer_has_opus_dtmf_bundle_and_is_answerable)
{
	struct gw_sdp_jsep_params p = gw_params();
	struct gw_sdp_answer_result res;
	struct gw_sdp *sdp;
	struct gw_sdp_media *m;
	char *text = NULL, *why = NULL, *answer;

	p.ice_trickle = true;
	p.ssrc = 424242;
	p.msid = "gw";
	ck_assert_int_eq(gw_sdp_offer_build(&p, &text, &why), 0);
	sdp = parse_ok(text);
	ck_assert_uint_eq(sdp->media->len, 1);
	m = gw_sdp_media_get(sdp, 0);
	ck_assert_ptr_nonnull(strstr(text, "m=audio 40000 UDP/TLS/RTP/SAVPF 111 110 126\r\n"));
	ck_assert_ptr_nonnull(strstr(text, "a=rtpmap:111 opus/48000/2\r\n"));
	ck_assert_ptr_nonnull(strstr(gw_sdp_media_find_codec(m, "opus", 48000)->fmtp,
				     "useinbandfec=1"));
	ck_assert_uint_eq(gw_sdp_media_find_codec(m, "telephone-event", 48000)->pt, 110);
	ck_assert_uint_eq(gw_sdp_media_find_codec(m, "telephone-event", 8000)->pt, 126);
	ck_assert_str_eq(g_ptr_array_index(sdp->bundle, 0), "0");
	ck_assert_str_eq(m->mid, "0");
	ck_assert(m->rtcp_mux);
	ck_assert_int_eq(m->ice_dtls.setup, GW_SDP_SETUP_ACTPASS);
	ck_assert_str_eq(m->ice_dtls.ice_options, "trickle");
	ck_assert_str_eq(gw_sdp_media_fingerprint(sdp, m)->value, FP_GW + 8);
	ck_assert_uint_eq(m->candidates->len, 1);
	ck_assert_ptr_nonnull(strstr(text, "a=ssrc:424242 cname:rtcsip\r\n"));
	ck_assert_ptr_nonnull(strstr(text, "a=msid:gw gw-audio\r\n"));
	/* Our own answerer accepts our own offer as a browser would. */
	p.ice_ufrag = "Peer";
	answer = answer_ok(text, &p, &res);
	ck_assert_int_eq(res.opus_pt, 111);
	ck_assert_int_eq(res.local_setup, GW_SDP_SETUP_PASSIVE);
	gw_sdp_answer_result_clear(&res);
	g_free(answer);
	g_free(text);
	gw_obj_deref(sdp);
	p.setup = "active";
	ck_assert_int_eq(gw_sdp_offer_build(&p, &text, &why), EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "actpass"));
	g_free(why);
	assert_no_leak();
}
END_TEST

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lines of @text (CRLF or LF) as a sorted, NULL-terminated vector. */
static char **sorted_lines(const char *text)
{
	char *norm = edit(text, "\r\n", "\n");
	char **lines = g_strsplit(norm, "\n", -1);
	guint n = g_strv_length(lines);

	if (n && !*lines[n - 1]) {	/* the piece after the final line end */
		g_free(lines[n - 1]);
		lines[--n] = NULL;
	}
	qsort(lines, n, sizeof(char *), cmp_str);
	g_free(norm);
	return lines;
}

static bool only_crlf(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if ((s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) ||
		    (s[i] == '\r' && s[i + 1] != '\n'))
			return false;
	return n >= 2 && s[n - 1] == '\n';
}

START_TEST(test_sdp_print_keeps_every_line_and_is_stable)
{
	const char *samples[] = { chrome_avd, firefox_audio, sip_phone };

	for (size_t i = 0; i < G_N_ELEMENTS(samples); i++) {
		struct gw_sdp *a = parse_ok(samples[i]), *b;
		char *once = gw_sdp_print(a), *twice;
		char **want = sorted_lines(samples[i]), **got = sorted_lines(once);
		guint n = g_strv_length(want);

		/* Same lines (order may differ), CRLF only. */
		ck_assert_uint_eq(g_strv_length(got), n);
		for (guint k = 0; k < n; k++)
			ck_assert_str_eq(got[k], want[k]);
		ck_assert(only_crlf(once));
		b = parse_ok(once);
		twice = gw_sdp_print(b);
		ck_assert_str_eq(twice, once);
		g_strfreev(want);
		g_strfreev(got);
		g_free(once);
		g_free(twice);
		gw_obj_deref(a);
		gw_obj_deref(b);
	}
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_parse_accepts_lf_and_mixed_line_ends)
{
	char *lf = edit(firefox_audio, "\r\n", "\n");
	char *mixed = edit(firefox_audio, "a=rtcp-mux\r\n", "a=rtcp-mux\n");
	char *no_final = g_strndup(firefox_audio, strlen(firefox_audio) - 2);
	char *trailing = g_strconcat(firefox_audio, "\r\n\r\n", NULL);
	const char *variants[] = { lf, mixed, no_final, trailing };
	struct gw_sdp *ref = parse_ok(firefox_audio);
	char *want = gw_sdp_print(ref);

	for (size_t i = 0; i < G_N_ELEMENTS(variants); i++) {
		struct gw_sdp *sdp = parse_ok(variants[i]);
		char *got = gw_sdp_print(sdp);

		ck_assert_str_eq(got, want);
		g_free(got);
		gw_obj_deref(sdp);
	}
	g_free(want);
	g_free(lf);
	g_free(mixed);
	g_free(no_final);
	g_free(trailing);
	gw_obj_deref(ref);
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_parse_models_session_defaults_and_sip_quirks)
{
	struct gw_sdp *sdp = parse_ok(sip_phone);
	struct gw_sdp_media *m = gw_sdp_media_get(sdp, 0), *v = gw_sdp_media_get(sdp, 1);
	const struct gw_sdp_codec *c;

	/* Session-level sendonly applies to the media that state nothing. */
	ck_assert_int_eq(m->direction, GW_SDP_DIR_NONE);
	ck_assert_int_eq(gw_sdp_media_direction(sdp, m), GW_SDP_DIR_SENDONLY);
	ck_assert_str_eq(gw_sdp_media_conn(sdp, m)->address, "10.1.2.3");
	/* Static pts without rtpmap are found by their RFC 3551 name. */
	c = gw_sdp_media_find_codec(m, "pcmu", 8000);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->pt, 0);
	ck_assert_ptr_null(c->encoding);
	ck_assert_str_eq(gw_sdp_media_find_codec(m, "G729", 0)->fmtp, "annexb=no");
	ck_assert_uint_eq(gw_sdp_media_find_codec(m, "TELEPHONE-EVENT", 8000)->pt, 101);
	ck_assert_ptr_null(gw_sdp_media_find_codec(m, "opus", 48000));
	ck_assert_uint_eq(m->ptime, 20);
	ck_assert_uint_eq(m->maxptime, 40);
	ck_assert(m->has_rtcp);
	ck_assert_uint_eq(m->rtcp_port, 40001);
	ck_assert_str_eq(gw_sdp_media_attr(m, "x-vendor-thing", NULL), "on");
	ck_assert_uint_eq(((struct gw_sdp_bandwidth *)g_ptr_array_index(sdp->bandwidths, 0))->value,
			  84);
	/* m= without formats (Cisco IOS does it): accepted, empty list. */
	ck_assert_uint_eq(v->port, 0);
	ck_assert_uint_eq(v->formats->len, 0);
	gw_obj_deref(sdp);
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_media_inherits_session_ice_and_dtls)
{
	const char *text =
		"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
		"a=ice-ufrag:sess\r\na=ice-pwd:sessionpassword0123456789\r\n"
		"a=fingerprint:sha-1 AA:BB\r\na=setup:active\r\n"
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 OPUS/48000/2\r\n"
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:own1\r\na=ice-pwd:ownpassword0123456789xx\r\n"
		"a=fingerprint:sha-256 CC:DD\r\na=setup:passive\r\na=recvonly\r\n"
		"a=rtpmap:111 opus/48000/2\r\n";
	struct gw_sdp *sdp = parse_ok(text);
	struct gw_sdp_media *a = gw_sdp_media_get(sdp, 0), *b = gw_sdp_media_get(sdp, 1);

	ck_assert_str_eq(gw_sdp_media_ice_ufrag(sdp, a), "sess");
	ck_assert_str_eq(gw_sdp_media_ice_pwd(sdp, a), "sessionpassword0123456789");
	ck_assert_str_eq(gw_sdp_media_fingerprint(sdp, a)->hash, "sha-1");
	ck_assert_int_eq(gw_sdp_media_setup(sdp, a), GW_SDP_SETUP_ACTIVE);
	ck_assert_int_eq(gw_sdp_media_direction(sdp, a), GW_SDP_DIR_SENDRECV);
	ck_assert_str_eq(gw_sdp_media_ice_ufrag(sdp, b), "own1");
	ck_assert_str_eq(gw_sdp_media_fingerprint(sdp, b)->value, "CC:DD");
	ck_assert_int_eq(gw_sdp_media_setup(sdp, b), GW_SDP_SETUP_PASSIVE);
	ck_assert_int_eq(gw_sdp_media_direction(sdp, b), GW_SDP_DIR_RECVONLY);
	/* Encoding names compare case-insensitively. */
	ck_assert_uint_eq(gw_sdp_media_find_codec(a, "opus", 48000)->pt, 111);
	ck_assert_ptr_null(gw_sdp_media_get(sdp, 2));
	ck_assert_ptr_null(gw_sdp_media_conn(sdp, a));
	gw_obj_deref(sdp);
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_rtpmap_for_unlisted_pt_is_kept_but_not_a_codec)
{
	char *text = edit(firefox_audio, "a=rtpmap:8 PCMA/8000\r\n",
			  "a=rtpmap:8 PCMA/8000\r\na=rtpmap:96 speex/8000\r\n");
	struct gw_sdp *sdp = parse_ok(text);
	struct gw_sdp_media *m = gw_sdp_media_get(sdp, 0);
	char *out = gw_sdp_print(sdp);

	ck_assert_ptr_null(gw_sdp_media_find_codec(m, "speex", 0));
	ck_assert_ptr_null(gw_sdp_media_codec_by_pt(m, 96));
	ck_assert_ptr_nonnull(strstr(out, "a=rtpmap:96 speex/8000\r\n"));
	g_free(out);
	g_free(text);
	gw_obj_deref(sdp);
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_parse_ignores_unknown_letters_keeps_known_ones)
{
	char *text = edit(sip_phone, "t=0 0\r\n", "t=0 0\r\ny=strange\r\nz=0 -1h\r\n");
	struct gw_sdp *sdp = parse_ok(text);
	char *out = gw_sdp_print(sdp);

	ck_assert_ptr_null(strstr(out, "y=strange"));
	ck_assert_ptr_nonnull(strstr(out, "t=0 0\r\nz=0 -1h\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "s=SIP Call\r\ni=desk phone\r\n"));
	g_free(out);
	g_free(text);
	gw_obj_deref(sdp);
	assert_no_leak();
}
END_TEST

/* Parse @text; expect @err and a reason containing @needle. */
static void refused(const char *text, size_t len, int err, const char *needle)
{
	struct gw_sdp *sdp = NULL;
	char *why = NULL;
	int got = gw_sdp_parse(text, len, &sdp, &why);

	ck_assert_msg(got == err, "expected %d got %d (%s) for \"%.60s\"", err, got,
		      why ? why : "-", text);
	ck_assert_ptr_null(sdp);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, needle), "reason \"%s\" lacks \"%s\"", why, needle);
	g_free(why);
}

#define HEAD "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"

START_TEST(test_sdp_parse_refuses_malformed_with_line_and_reason)
{
	static const struct {
		const char *text, *needle;
		int err;
	} cases[] = {
		{ HEAD "m", "line 5: expected \"<letter>=\"", EINVAL },
		{ HEAD "a-foo\r\n", "line 5: expected", EINVAL },
		{ HEAD "m=audio 70000 RTP/AVP 0\r\n", "line 5: m= port \"70000\"", EINVAL },
		{ HEAD "m=audio -1 RTP/AVP 0\r\n", "port \"-1\"", EINVAL },
		{ HEAD "m=audio abc RTP/AVP 0\r\n", "port \"abc\"", EINVAL },
		{ HEAD "m=audio 9/0 RTP/AVP 0\r\n", "port count", EINVAL },
		{ HEAD "m=audio 9 RTP/AVP opus\r\n", "payload type \"opus\"", EINVAL },
		{ HEAD "m=audio 9 RTP/AVP 128\r\n", "payload type \"128\"", EINVAL },
		{ HEAD "m=audio 9\r\n", "line 5: m= needs", EINVAL },
		{ HEAD "m=audio 9 RTP/AVP 0\r\na=rtpmap:0\r\n", "line 6: a=rtpmap:0 has no encoding", EINVAL },
		{ HEAD "m=audio 9 RTP/AVP 0\r\na=rtpmap:x PCMU/8000\r\n", "payload type \"x\"", EINVAL },
		{ HEAD "m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/fast\r\n", "clock rate", EINVAL },
		{ HEAD "m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:0 PCMA/8000\r\n",
		  "line 7: second a=rtpmap", EINVAL },
		{ HEAD "m=audio 9 RTP/AVP 0\r\na=candidate:1 1 udp 2122260223 192.0.2.1\r\n",
		  "line 6: candidate: truncated", EINVAL },
		{ HEAD "m=audio 9 RTP/AVP 0\r\na=setup:sometimes\r\n", "a=setup must be", EINVAL },
		{ HEAD "m=audio 9 RTP/AVP 0\r\na=fingerprint:sha-256\r\n", "a=fingerprint", EINVAL },
		{ HEAD "m=audio 9 RTP/AVP 0\r\na=ice-ufrag:\r\n", "a=ice-ufrag needs a value", EINVAL },
		{ HEAD "m=audio 9 RTP/AVP 0\r\na=mid:x\r\nm=video 9 RTP/AVP 96\r\na=mid:x\r\n",
		  "line 8: a=mid:x is used by two", EINVAL },
		{ HEAD "m=audio 9 RTP/AVP 0\r\na=sendonly\r\na=recvonly\r\n", "more than one direction",
		  EINVAL },
		{ HEAD "a=\r\n", "without an attribute name", EINVAL },
		{ HEAD "c=IN IP4\r\n", "line 5: c= needs 3 fields", EINVAL },
		{ HEAD "b=AS:lots\r\n", "b= must be", EINVAL },
		{ HEAD "m=audio 9 RTP/AVP 0\r\ns=late\r\n", "session-level line but follows", EINVAL },
		{ HEAD "v=0\r\n", "second v=", EINVAL },
		{ "o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n", "line 1: SDP must start with v=0", EINVAL },
		{ "v=1\r\n", "unsupported SDP version", EINVAL },
		{ "v=0\r\ns=-\r\n", "o= must follow v=", EINVAL },
		{ "v=0\r\no=- 1 1 IN IP4\r\n", "o= needs 6 fields", EINVAL },
		{ "v=0\r\n", "missing o=", EINVAL },
		{ "\r\n\r\n", "missing v=", EINVAL },
		{ "v=0\ro=- 1 1 IN IP4 0.0.0.0\r\n", "line 1: carriage return", EINVAL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		refused(cases[i].text, strlen(cases[i].text), cases[i].err, cases[i].needle);
	refused("", 0, EINVAL, "empty SDP");
	refused(NULL, 10, EINVAL, "empty SDP");
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_parse_refuses_nul_and_oversized_input)
{
	static const char with_nul[] = HEAD "a=foo\0bar\r\n";
	GString *big = g_string_new(HEAD "m=audio 9 RTP/AVP");
	GString *s;

	refused(with_nul, sizeof(with_nul) - 1, EINVAL, "line 5: embedded NUL");
	for (int i = 0; i < 200; i++)
		g_string_append_printf(big, " %d", i % 128);
	refused(big->str, big->len, E2BIG, "more than 128 formats");
	g_string_free(big, TRUE);

	s = g_string_new(HEAD);
	while (s->len <= GW_SDP_MAX_SIZE)
		g_string_append(s, "a=filler-filler-filler-filler-filler-filler-filler\r\n");
	refused(s->str, s->len, E2BIG, "bytes, the limit is 65536");
	g_string_assign(s, HEAD);
	for (unsigned i = 0; i < GW_SDP_MAX_LINES; i++)
		g_string_append(s, "a=x\r\n");
	refused(s->str, s->len, E2BIG, "more than 2048 lines");
	g_string_assign(s, HEAD);
	for (unsigned i = 0; i <= GW_SDP_MAX_MEDIA; i++)
		g_string_append(s, "m=audio 9 RTP/AVP 0\r\n");
	refused(s->str, s->len, E2BIG, "more than 64 m= lines");
	g_string_assign(s, HEAD "m=audio 9 RTP/AVP 0\r\n");
	for (unsigned i = 0; i <= GW_SDP_MAX_CANDIDATES; i++)
		g_string_append_printf(s, "a=candidate:%u 1 udp 1 192.0.2.1 %u typ host\r\n", i, i);
	refused(s->str, s->len, E2BIG, "more than 256 candidates");
	g_string_free(s, TRUE);
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_parse_stays_inside_unterminated_buffer)
{
	/* Exactly len bytes from the heap, no NUL after: ASan flags any
	 * read past the end.  Every prefix must parse or be refused with a
	 * reason, never crash. */
	size_t full = strlen(chrome_avd);
	unsigned accepted = 0;

	for (size_t len = 1; len <= full; len++) {
		char *buf = g_malloc(len);
		struct gw_sdp *sdp = NULL;
		char *why = NULL;

		memcpy(buf, chrome_avd, len);
		if (gw_sdp_parse(buf, len, &sdp, &why) == 0) {
			ck_assert_ptr_nonnull(sdp);
			accepted++;
			gw_obj_deref(sdp);
		} else {
			ck_assert_ptr_null(sdp);
			ck_assert_msg(why && *why, "prefix %zu refused without a reason", len);
			g_free(why);
		}
		g_free(buf);
	}
	/* The whole SDP, minus its final CRLF, is one of the accepted ones. */
	ck_assert_uint_gt(accepted, 2);
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_candidate_round_trips)
{
	static const char *const lines[] = {
		"candidate:2999745851 1 udp 2122260223 192.0.2.10 50123 typ host generation 0 ufrag Qw3r network-id 1",
		"candidate:842163049 1 udp 1677729535 203.0.113.7 46243 typ srflx raddr 192.0.2.10 rport 50123 generation 0 network-cost 10",
		"candidate:1111111111 1 tcp 1518280447 192.0.2.10 9 typ host tcptype active generation 0 network-id 1",
		"candidate:3 2 UDP 41885439 198.51.100.9 3478 typ relay raddr 0.0.0.0 rport 0",
		"candidate:4 1 udp 1845501695 2001:db8::7 61000 typ prflx",
		"candidate: 1 udp 2113939711 198.51.100.4 19305 typ host generation 0",
		"candidate:5 1 udp 2122260223 0b6a1f5c-3c52-4d36-9f1b-1f0c2e7e9d11.local 50000 typ host",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(lines); i++) {
		struct gw_sdp_candidate c;
		char *why = NULL, *with_a = g_strconcat("a=", lines[i], "\r\n", NULL), *out;

		ck_assert_msg(gw_sdp_candidate_parse(with_a, &c, &why) == 0, "%s: %s", lines[i], why);
		out = gw_sdp_candidate_print(&c);
		ck_assert_str_eq(out, lines[i]);
		g_free(out);
		gw_sdp_candidate_clear(&c);
		ck_assert_int_eq(gw_sdp_candidate_parse(lines[i], &c, NULL), 0);
		gw_sdp_candidate_clear(&c);
		g_free(with_a);
	}
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_candidate_fields)
{
	struct gw_sdp_candidate c;
	const struct gw_sdp_attr *ext;

	ck_assert_int_eq(gw_sdp_candidate_parse(
		"candidate:842163049 1 udp 1677729535 203.0.113.7 46243 typ srflx raddr 192.0.2.10 "
		"rport 50123 generation 0 ufrag Qw3r", &c, NULL), 0);
	ck_assert_str_eq(c.foundation, "842163049");
	ck_assert_uint_eq(c.component, 1);
	ck_assert_str_eq(c.transport, "udp");
	ck_assert_uint_eq(c.priority, 1677729535u);
	ck_assert_str_eq(c.address, "203.0.113.7");
	ck_assert_uint_eq(c.port, 46243);
	ck_assert_int_eq(c.type, GW_SDP_CAND_SRFLX);
	ck_assert_str_eq(c.raddr, "192.0.2.10");
	ck_assert(c.has_rport);
	ck_assert_uint_eq(c.rport, 50123);
	ck_assert_ptr_null(c.tcptype);
	ck_assert_uint_eq(c.extensions->len, 2);
	ext = g_ptr_array_index(c.extensions, 1);
	ck_assert_str_eq(ext->name, "ufrag");
	ck_assert_str_eq(ext->value, "Qw3r");
	gw_sdp_candidate_clear(&c);

	ck_assert_int_eq(gw_sdp_candidate_parse("candidate: 1 tcp 2113939710 2001:db8::1 19305 "
						"typ host tcptype passive", &c, NULL), 0);
	ck_assert_str_eq(c.foundation, "");
	ck_assert_str_eq(c.tcptype, "passive");
	ck_assert_str_eq(c.address, "2001:db8::1");
	gw_sdp_candidate_clear(&c);
	assert_no_leak();
}
END_TEST

START_TEST(test_sdp_candidate_refuses_malformed)
{
	static const struct {
		const char *line, *needle;
	} cases[] = {
		{ "", "does not start with" },
		{ "foo:1 1 udp 1 192.0.2.1 1 typ host", "does not start with" },
		{ "candidate:1 1 udp 1 192.0.2.1 1", "truncated" },
		{ "candidate:1", "truncated" },
		{ "candidate:1 0 udp 1 192.0.2.1 1 typ host", "component" },
		{ "candidate:1 257 udp 1 192.0.2.1 1 typ host", "component" },
		{ "candidate:1 1 udp 4294967296 192.0.2.1 1 typ host", "priority" },
		{ "candidate:1 1 udp -5 192.0.2.1 1 typ host", "priority" },
		{ "candidate:1 1 udp 1 192.0.2.1 65536 typ host", "port" },
		{ "candidate:1 1 udp 1 192.0.2.1 1 type host", "expected \"typ\"" },
		{ "candidate:1 1 udp 1 192.0.2.1 1 typ server", "unknown type" },
		{ "candidate:1 1 udp 1 192.0.2.1 1 typ srflx raddr", "without a value" },
		{ "candidate:1 1 udp 1 192.0.2.1 1 typ srflx raddr 1.2.3.4 rport x", "rport" },
		{ "candidate:1 1 udp 1 192.0.2.1 1 typ host\x01", "control character" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct gw_sdp_candidate c = { 0 };
		char *why = NULL;

		ck_assert_int_eq(gw_sdp_candidate_parse(cases[i].line, &c, &why), EINVAL);
		ck_assert_ptr_null(c.address);
		ck_assert_msg(why && strstr(why, cases[i].needle), "\"%s\": reason \"%s\"",
			      cases[i].line, why ? why : "(none)");
		g_free(why);
	}
	assert_no_leak();
}
END_TEST

static Suite *sdp_suite(void)
{
	Suite *s = suite_create("sdp");
	TCase *tc = tcase_create("sdp");

	tcase_add_test(tc, test_sdp_answer_refuses_video_and_data_keeps_mids);
	tcase_add_test(tc, test_sdp_answer_takes_candidates_from_bundle_peers);
	tcase_add_test(tc, test_sdp_answer_mirrors_direction);
	tcase_add_test(tc, test_sdp_answer_picks_dtls_role_from_offer);
	tcase_add_test(tc, test_sdp_answer_uses_session_fingerprint_and_te8_only);
	tcase_add_test(tc, test_sdp_answer_refuses_missing_ice_fingerprint_mux);
	tcase_add_test(tc, test_sdp_answer_refuses_offer_without_usable_audio);
	tcase_add_test(tc, test_sdp_answer_accepts_allowed_g711_without_opus);
	tcase_add_test(tc, test_sdp_answer_refuses_bad_local_params);
	tcase_add_test(tc, test_sdp_offer_has_opus_dtmf_bundle_and_is_answerable);
	tcase_add_test(tc, test_sdp_print_keeps_every_line_and_is_stable);
	tcase_add_test(tc, test_sdp_parse_accepts_lf_and_mixed_line_ends);
	tcase_add_test(tc, test_sdp_parse_models_session_defaults_and_sip_quirks);
	tcase_add_test(tc, test_sdp_media_inherits_session_ice_and_dtls);
	tcase_add_test(tc, test_sdp_rtpmap_for_unlisted_pt_is_kept_but_not_a_codec);
	tcase_add_test(tc, test_sdp_parse_ignores_unknown_letters_keeps_known_ones);
	tcase_add_test(tc, test_sdp_parse_refuses_malformed_with_line_and_reason);
	tcase_add_test(tc, test_sdp_parse_refuses_nul_and_oversized_input);
	tcase_add_test(tc, test_sdp_parse_stays_inside_unterminated_buffer);
	tcase_add_test(tc, test_sdp_candidate_round_trips);
	tcase_add_test(tc, test_sdp_candidate_fields);
	tcase_add_test(tc, test_sdp_candidate_refuses_malformed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return gw_check_run(sdp_suite());
}
