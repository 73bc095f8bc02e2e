/* call.c — the call registry and the browser API handlers for calls.
 * Control loop only. */
#include <glib.h>
#include <jansson.h>
#include "gw/call.h"
#include "gw/config.h"
#include "gw/signal.h"

static GHashTable *calls; /* "session/call-id" -> struct gw_call * */

static json_t *health(void *arg)
{
	return json_pack("{s:i}", "calls", (json_int_t)gw_call_count());
}

int gw_call_init(const struct gw_config *cfg)
{
	calls = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	gw_signal_set_health(health, NULL);
	return 0;
}

void gw_call_cleanup(void)
{
	if (calls)
		g_hash_table_destroy(calls);
	calls = NULL;
}

unsigned gw_call_count(void)
{
	return calls ? g_hash_table_size(calls) : 0;
}

void gw_call_hangup_all(int code, const char *reason)
{
}
