/* test_sdp_corpus.c — the SDP model against real browser and SIP SDP from
 * ../shared/fixtures (read at run time, never copied into the repo).
 *
 * Every file must parse; print/parse must keep every line and be stable;
 * browser SDP must either be answered (one audio m-line accepted, every
 * other one refused with port 0 and its mid) or refused with a reason
 * because it has no usable audio.  Exits 77 (skip) without the fixtures. */
#include "../unit/gw_check.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "gw/obj.h"
#include "gw/sdp.h"

static char *fixtures;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Non-blank lines of @text (CRLF or LF), sorted. */
static char **sorted_lines(const char *text)
{
	char **raw = g_strsplit(text, "\n", -1);
	GPtrArray *out = g_ptr_array_new();

	for (char **l = raw; *l; l++) {
		char *s = g_strchomp(g_strdup(*l));

		if (*s)
			g_ptr_array_add(out, s);
		else
			g_free(s);
	}
	g_strfreev(raw);
	qsort(out->pdata, out->len, sizeof(char *), cmp_str);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* Files of fixtures/@sub, sorted, full paths. */
static GPtrArray *list_dir(const char *sub)
{
	char *dir = g_build_filename(fixtures, sub, NULL);
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((name = g_dir_read_name(d)))
		if (g_str_has_suffix(name, ".sdp"))
			g_ptr_array_add(files, g_build_filename(dir, name, NULL));
	g_dir_close(d);
	g_free(dir);
	qsort(files->pdata, files->len, sizeof(char *), cmp_str);
	ck_assert_uint_gt(files->len, 0);
	return files;
}

/* Parse @path; check the round trip; return the model. */
static struct gw_sdp *load(const char *path, char **text_out)
{
	struct gw_sdp *sdp = NULL, *again = NULL;
	char *text = NULL, *why = NULL, *once, *twice;
	char **want, **got;
	gsize len;

	ck_assert_msg(g_file_get_contents(path, &text, &len, NULL), "cannot read %s", path);
	ck_assert_msg(gw_sdp_parse(text, len, &sdp, &why) == 0, "%s: %s", path, why);
	once = gw_sdp_print(sdp);
	ck_assert_msg(gw_sdp_parse(once, strlen(once), &again, &why) == 0, "%s reprint: %s",
		      path, why);
	twice = gw_sdp_print(again);
	ck_assert_msg(strcmp(once, twice) == 0, "%s: print/parse/print not stable", path);
	want = sorted_lines(text);
	got = sorted_lines(once);
	for (guint i = 0; want[i] || got[i]; i++)
		ck_assert_msg(want[i] && got[i] && strcmp(want[i], got[i]) == 0,
			      "%s: line sets differ at \"%s\" / \"%s\"", path,
			      want[i] ? want[i] : "(end)", got[i] ? got[i] : "(end)");
	g_strfreev(want);
	g_strfreev(got);
	g_free(once);
	g_free(twice);
	gw_obj_deref(again);
	*text_out = text;
	return sdp;
}

/* Whether some enabled audio m-line has a DTLS-SRTP profile and Opus or
 * a codec from @names (may be NULL): what the answerer must accept. */
static bool has_usable_audio(const struct gw_sdp *sdp, const char *const *names)
{
	for (unsigned i = 0; i < sdp->media->len; i++) {
		const struct gw_sdp_media *m = gw_sdp_media_get(sdp, i);

		if (strcmp(m->type, "audio") != 0 || m->port == 0 || !strstr(m->proto, "SAVPF"))
			continue;
		if (gw_sdp_media_find_codec(m, "opus", 48000))
			return true;
		for (size_t k = 0; names && names[k]; k++)
			if (gw_sdp_media_find_codec(m, names[k], 8000))
				return true;
	}
	return false;
}

static void check_answer(const char *path, const struct gw_sdp *offer, const char *text,
			 const struct gw_sdp_answer_result *res)
{
	struct gw_sdp *ans = NULL;
	char *why = NULL;
	unsigned accepted = 0;

	ck_assert_msg(gw_sdp_parse(text, strlen(text), &ans, &why) == 0, "%s answer: %s", path,
		      why);
	ck_assert_uint_eq(ans->media->len, offer->media->len);
	for (unsigned i = 0; i < ans->media->len; i++) {
		const struct gw_sdp_media *a = gw_sdp_media_get(ans, i);
		const struct gw_sdp_media *o = gw_sdp_media_get(offer, i);

		ck_assert_str_eq(a->type, o->type);
		ck_assert_str_eq(a->proto, o->proto);
		ck_assert_str_eq(a->mid ? a->mid : "", o->mid ? o->mid : "");
		if (a->port == 0)
			continue;
		accepted++;
		ck_assert_msg(i == res->mline && !strcmp(a->type, "audio"), "%s: m-line %u", path, i);
		ck_assert(a->rtcp_mux);
		ck_assert_ptr_nonnull(a->ice_dtls.ice_ufrag);
		ck_assert_ptr_nonnull(a->ice_dtls.fingerprint.hash);
		ck_assert_int_ne(a->ice_dtls.setup, GW_SDP_SETUP_NONE);
		ck_assert_int_ne(a->ice_dtls.setup, GW_SDP_SETUP_ACTPASS);
		if (res->opus_pt >= 0) {
			const struct gw_sdp_codec *c = gw_sdp_media_find_codec(o, "opus", 48000);

			ck_assert_uint_eq(c->pt, (unsigned)res->opus_pt);
			ck_assert_uint_eq(((struct gw_sdp_codec *)g_ptr_array_index(a->codecs, 0))->pt,
					  c->pt);
		}
	}
	ck_assert_msg(accepted == 1, "%s: %u accepted m-lines", path, accepted);
	if (ans->bundle) {
		ck_assert_uint_eq(ans->bundle->len, 1);
		ck_assert_str_eq(g_ptr_array_index(ans->bundle, 0), res->mid);
	}
	gw_obj_deref(ans);
}

/* Answer @offer with @extras allowed; returns true when answered. */
static bool try_answer(const char *path, const struct gw_sdp *offer, const char *const *extras)
{
	static const char *const cands[] = {
		"candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host", NULL
	};
	const struct gw_sdp_jsep_params p = {
		.local_addr = "127.0.0.1", .local_port = 40000, .ice_ufrag = "GwUf",
		.ice_pwd = "GwPassword0123456789abcd", .candidates = cands,
		.fingerprint = "sha-256 11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:"
			       "11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00",
		.extra_codecs = extras,
	};
	struct gw_sdp_answer_result res;
	char *text = NULL, *why = NULL;
	int err = gw_sdp_answer_build(offer, &p, &res, &text, &why);

	if (err) {
		ck_assert_msg(err == ENOTSUP && why && *why, "%s refused (%d): %s", path, err,
			      why ? why : "(no reason)");
		ck_assert_msg(!has_usable_audio(offer, extras),
			      "%s has usable audio but was refused: %s", path, why);
		g_free(why);
		return false;
	}
	check_answer(path, offer, text, &res);
	gw_sdp_answer_result_clear(&res);
	g_free(text);
	return true;
}

START_TEST(test_sdp_corpus_browser_sdp_parses_and_answers)
{
	static const char *const g711[] = { "PCMA", "PCMU", NULL };
	GPtrArray *files = list_dir("browser_sdp");
	unsigned answered = 0, answered_g711 = 0;

	for (unsigned i = 0; i < files->len; i++) {
		const char *path = g_ptr_array_index(files, i);
		char *text;
		struct gw_sdp *sdp = load(path, &text);

		answered += try_answer(path, sdp, NULL);
		answered_g711 += try_answer(path, sdp, g711);
		g_free(text);
		gw_obj_deref(sdp);
	}
	printf("browser_sdp: %u files, %u answered with Opus, %u with G.711 allowed\n",
	       files->len, answered, answered_g711);
	/* Most of the corpus is browsers offering Opus. */
	ck_assert_uint_gt(answered, files->len / 2);
	ck_assert_uint_gt(answered_g711, answered);
	g_ptr_array_unref(files);
	ck_assert_int_eq(gw_obj_live(), 0);
}
END_TEST

START_TEST(test_sdp_corpus_sip_sdp_parses_and_is_not_webrtc)
{
	GPtrArray *files = list_dir("sip_sdp");

	for (unsigned i = 0; i < files->len; i++) {
		const char *path = g_ptr_array_index(files, i);
		char *text;
		struct gw_sdp *sdp = load(path, &text);

		ck_assert_ptr_nonnull(gw_sdp_find_media(sdp, "audio"));
		/* Plain RTP: never answered as WebRTC. */
		ck_assert(!try_answer(path, sdp, NULL));
		g_free(text);
		gw_obj_deref(sdp);
	}
	g_ptr_array_unref(files);
	ck_assert_int_eq(gw_obj_live(), 0);
}
END_TEST

int main(void)
{
	const char *top = g_getenv("GW_TEST_SRCDIR");
	Suite *s;
	TCase *tc;
	int failed;

	fixtures = g_build_filename(top ? top : GW_TEST_SRCDIR, "..", "shared", "fixtures", NULL);
	if (!g_file_test(fixtures, G_FILE_TEST_IS_DIR)) {
		printf("SKIP: interop corpus ../shared/fixtures not found\n");
		g_free(fixtures);
		return 77;
	}
	s = suite_create("sdp_corpus");
	tc = tcase_create("corpus");
	tcase_add_test(tc, test_sdp_corpus_browser_sdp_parses_and_answers);
	tcase_add_test(tc, test_sdp_corpus_sip_sdp_parses_and_is_not_webrtc);
	suite_add_tcase(s, tc);
	failed = gw_check_run(s);
	g_free(fixtures);
	return failed;
}
