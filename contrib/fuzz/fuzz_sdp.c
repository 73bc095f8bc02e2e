/* fuzz_sdp.c — libFuzzer harness for the SDP parser and what the daemon
 * does with a parsed SDP (src/sdp).
 *
 * The input is SDP text as a browser ("call" message) or a SIP peer (INVITE
 * or 200 OK body) would send it.  When it parses:
 *   - print it, and parse the print again (the print of a parsed SDP must
 *     be valid SDP);
 *   - answer it as the browser-facing side does (gw_sdp_answer_build, with
 *     the probe parameters of src/call/call.c and a passthrough variant);
 *   - answer it and read it as an answer as the SIP side does
 *     (gw_sdp_sip_answer_build / gw_sdp_sip_answer_parse, with the
 *     parameters of src/call/sipleg.c and a variant).
 * Everything is freed, so LeakSanitizer sees any leak.
 *
 * Oracle (besides the sanitizers): an SDP the gateway prints or builds must
 * parse with its own parser; the harness abort()s otherwise.  Set
 * FUZZ_ORACLE=0 in the environment to keep only the sanitizers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "gw/log.h"
#include "fuzz_env.h"
#include "gw/obj.h"
#include "gw/sdp.h"

static bool oracle = true;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	oracle = fuzz_env_init();
	return 0;
}

/* @text is an SDP the gateway produced (@what): it must parse back. */
static void must_parse(const char *what, const char *text)
{
	struct gw_sdp *sdp = NULL;
	char *why = NULL;

	if (gw_sdp_parse(text, strlen(text), &sdp, &why) != 0) {
		if (oracle) {
			fprintf(stderr, "ORACLE: %s does not parse back: %s\n---\n%s---\n", what,
				why ? why : "(no reason)", text);
			abort();
		}
		g_free(why);
		return;
	}
	gw_obj_deref(sdp);
}

/* The browser side: the daemon's probe answer (src/call/call.c on_call), then
 * a passthrough-style answer with every optional field set. */
static void jsep_answers(const struct gw_sdp *offer)
{
	static const char *const cands[] = {
		"candidate:1 1 udp 2130706431 192.0.2.10 40000 typ host",
		"candidate:2 1 udp 1694498815 198.51.100.7 40000 typ srflx raddr 192.0.2.10 rport 40000",
		NULL
	};
	static const char *const g711[] = { "PCMU", "PCMA", NULL };
	static const char *const all3[] = { "G722", "pcma", "PCMU", NULL };
	const char *fp = "sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
			 "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
	struct gw_sdp_jsep_params variants[3] = {
		{ .local_addr = "0.0.0.0", .ice_ufrag = "probe",
		  .ice_pwd = "probeprobeprobeprobeprobe", .fingerprint = fp },
		{ .local_addr = "0.0.0.0", .ice_ufrag = "GwUf",
		  .ice_pwd = "GwPassword0123456789abcd", .fingerprint = fp, .setup = "passive",
		  .candidates = cands, .end_of_candidates = true, .extra_codecs = g711,
		  .ice_lite = true, .ice_trickle = true },
		{ .local_addr = "2001:db8::1", .local_port = 40000, .ice_ufrag = "GwUf",
		  .ice_pwd = "GwPassword0123456789abcd", .fingerprint = fp, .setup = "active",
		  .extra_codecs = all3, .direction = GW_SDP_DIR_SENDONLY, .session_id = 42,
		  .session_version = 3, .ssrc = 1234, .cname = "gw", .msid = "stream" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(variants); i++) {
		struct gw_sdp_answer_result res = { 0 };
		char *ans = NULL, *why = NULL;

		if (gw_sdp_answer_build(offer, &variants[i], &res, &ans, &why) == 0) {
			/* What the call layer reads from the result. */
			for (unsigned k = 0; res.remote_candidates && k < res.remote_candidates->len; k++) {
				char *c = gw_sdp_candidate_print(g_ptr_array_index(res.remote_candidates, k));

				g_free(c);
			}
			must_parse("the browser answer", ans);
		}
		gw_sdp_answer_result_clear(&res);
		g_free(ans);
		g_free(why);
	}
}

/* The SIP side: answer the SDP as an offer (inbound INVITE, re-INVITE), and
 * read it as the answer to our offer (200 OK). */
static void sip_answers(const struct gw_sdp *sdp)
{
	static const char *const g711[] = { "PCMU", "PCMA", NULL };
	static const char *const all3[] = { "G722", "PCMA", "pcmu", NULL };
	struct gw_sdp_sip_params variants[2] = {
		{ .addr = "198.51.100.1", .port = 40000, .codecs = g711, .telephone_event = true,
		  .ptime = 20, .session_id = 4242, .session_version = 7,
		  .direction = GW_SDP_DIR_SENDRECV },
		{ .addr = "2001:db8::10", .port = 5004, .codecs = all3, .telephone_event = false,
		  .te_pt = 96, .direction = GW_SDP_DIR_SENDONLY },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(variants); i++) {
		struct gw_sdp_sip_media media = { 0 };
		char *ans = NULL, *why = NULL;

		if (gw_sdp_sip_answer_build(sdp, &variants[i], &media, &ans, &why) == 0)
			must_parse("the SIP answer", ans);
		gw_sdp_sip_media_clear(&media);
		g_free(ans);
		g_clear_pointer(&why, g_free);

		gw_sdp_sip_answer_parse(sdp, &variants[i], &media, &why);
		gw_sdp_sip_media_clear(&media);
		g_free(why);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_sdp *sdp = NULL;
	char *why = NULL, *text;

	if (gw_sdp_parse((const char *)data, size, &sdp, &why) != 0) {
		g_free(why);
		return 0;
	}
	text = gw_sdp_print(sdp);
	must_parse("the print of a parsed SDP", text);
	g_free(text);
	jsep_answers(sdp);
	sip_answers(sdp);
	gw_obj_deref(sdp);
	return 0;
}
