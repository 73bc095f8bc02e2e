/* fuzz_candidate.c — libFuzzer harness for the ICE candidate line parser
 * (src/sdp/candidate.c), which reads trickled candidates from browsers
 * ("candidate" messages) on their own, outside an SDP.
 *
 * The input becomes a NUL-terminated line (bytes after an embedded NUL are
 * simply not seen, as with a C string from JSON).  When it parses: print,
 * dup, print the dup, free both.
 *
 * Oracle: the print of a parsed candidate must parse again and print the
 * same text (abort() otherwise); FUZZ_ORACLE=0 keeps only the sanitizers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "gw/log.h"
#include "fuzz_env.h"
#include "gw/sdp.h"

static bool oracle = true;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	oracle = fuzz_env_init();
	return 0;
}

static void check(bool ok, const char *what, const char *a, const char *b)
{
	if (ok || !oracle)
		return;
	fprintf(stderr, "ORACLE: %s\n  first:  %s\n  second: %s\n", what, a, b ? b : "(null)");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = g_strndup((const char *)data, size);	/* NUL-terminated copy */
	struct gw_sdp_candidate c, again;
	struct gw_sdp_candidate *d;
	char *why = NULL, *text, *text2, *text3, *line2;

	if (gw_sdp_candidate_parse(line, &c, &why) != 0) {
		g_free(why);
		g_free(line);
		return 0;
	}
	text = gw_sdp_candidate_print(&c);
	(void)gw_sdp_cand_type_name(c.type);
	d = gw_sdp_candidate_dup(&c);
	text2 = gw_sdp_candidate_print(d);
	check(strcmp(text, text2) == 0, "dup prints differently", text, text2);

	/* Round trip: "a=" + print must parse to the same print. */
	line2 = g_strconcat("a=", text, "\r\n", NULL);
	if (gw_sdp_candidate_parse(line2, &again, &why) == 0) {
		text3 = gw_sdp_candidate_print(&again);
		check(strcmp(text, text3) == 0, "print does not round-trip", text, text3);
		g_free(text3);
		gw_sdp_candidate_clear(&again);
	} else {
		check(false, "print does not parse back", text, why);
		g_free(why);
	}
	g_free(line2);
	g_free(text2);
	g_free(text);
	gw_sdp_candidate_free(d);
	gw_sdp_candidate_clear(&c);
	g_free(line);
	return 0;
}
