/* fuzz_ice_cand.c — libFuzzer harness for the remote-candidate gate of the
 * ICE agent (src/webrtc/ice_cand.c gw_ice_cand_parse): a browser's trickled
 * or SDP candidate line, checked field by field, then parsed by libnice and
 * filtered by ice.remote_networks (src/webrtc/ice_filter.c).
 *
 * The agent is a bare struct gw_ice_agent around a libnice agent with one
 * stream (no loop, no sockets: only the parse is exercised), made once.
 * The input becomes a NUL-terminated line.  Accepted candidates are printed
 * back with libnice and freed; rejected ones free everything themselves.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <nice/agent.h>
#include "gw/log.h"
#include "fuzz_env.h"
#include "webrtc/ice_priv.h"

static struct gw_ice_agent ice;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *err = NULL;

	(void)argc;
	(void)argv;
	(void)fuzz_env_init();   /* (no oracle of its own) */
	ice.ctx = g_main_context_new();
	ice.nctx = ice.ctx;
	ice.agent = nice_agent_new(ice.ctx, NICE_COMPATIBILITY_RFC5245);
	ice.stream = nice_agent_add_stream(ice.agent, 1);
	ice.name = g_strdup("ice fuzz");
	/* A filter with both families, so matches and refusals both happen. */
	if (gw_ice_networks_parse("192.0.2.0/24, 10.0.0.0/8 198.51.100.7, 2001:db8::/32, ::1",
				  &ice.nets, &err))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = g_strndup((const char *)data, size);	/* NUL-terminated copy */
	NiceCandidate *c = NULL;

	if (gw_ice_cand_parse(&ice, line, &c) == 0) {
		gchar *sdp = nice_agent_generate_local_candidate_sdp(ice.agent, c);

		g_free(sdp);
		nice_candidate_free(c);
	}
	(void)gw_ice_networks_match_ip(ice.nets, line);
	g_free(line);
	return 0;
}
