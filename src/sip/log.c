/* log.c — Sofia-SIP's logging routed into gw_log.
 *
 * Sofia writes through su_log_default in fragments (not whole lines), so
 * the fragments are joined into lines here.  With sip.trace the transport
 * layer (TPTAG_LOG) prints every message sent and received as a block:
 *     "send 512 bytes to udp/[127.0.0.1]:5080 at 12:00:00.000000:"
 *     "   ------------------------------------------------------------------"
 *     "   INVITE sip:... SIP/2.0" ...
 *     "   ------------------------------------------------------------------"
 * Each block becomes one gw_info line (what a PBX admin asks for first);
 * every other Sofia line goes to gw_debug.
 * Any thread Sofia logs from (the control loop in practice); one lock.
 */
#include <string.h>
#include <sofia-sip/su_log.h>
#include "sip_priv.h"
#include "gw/log.h"

static GMutex log_lock;
static unsigned log_users;  /* UAs started (tests run several in turn) */
static bool log_trace;
static GString *log_line;   /* fragment of the current line */
static GString *log_block;  /* trace block being collected, or NULL */
static unsigned log_seps;   /* separator lines seen in the block */

static bool is_separator(const char *line)
{
	while (*line == ' ')
		line++;
	return strlen(line) >= 40 && strspn(line, "-") == strlen(line);
}

static bool is_trace_stamp(const char *line)
{
	return (g_str_has_prefix(line, "send ") || g_str_has_prefix(line, "recv ")) &&
	       strstr(line, " bytes ");
}

static void flush_block(void)
{
	gw_info("sip trace", "%s", log_block->str);
	g_string_free(log_block, TRUE);
	log_block = NULL;
}

static void handle_line(const char *line)
{
	if (log_block) {
		if (is_separator(line)) {
			if (++log_seps == 2)
				flush_block();
			return;
		}
		/* Message lines are indented by three spaces. */
		g_string_append_c(log_block, '\n');
		g_string_append(log_block, g_str_has_prefix(line, "   ") ? line + 3 : line);
		return;
	}
	if (log_trace && is_trace_stamp(line)) {
		size_t n = strlen(line);

		log_block = g_string_new_len(line, n && line[n - 1] == ':' ? (gssize)n - 1 : (gssize)n);
		log_seps = 0;
		return;
	}
	if (*line)
		gw_debug("sofia", "%s", line);
}

static void sofia_logger(void *stream, char const *fmt, va_list ap)
{
	char *text = g_strdup_vprintf(fmt, ap);
	char *nl;

	(void)stream;
	g_mutex_lock(&log_lock);
	if (!log_line)
		log_line = g_string_new(NULL);
	g_string_append(log_line, text);
	while ((nl = memchr(log_line->str, '\n', log_line->len))) {
		size_t n = (size_t)(nl - log_line->str);
		char *line = g_strndup(log_line->str, n);

		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		g_string_erase(log_line, 0, (gssize)n + 1);
		handle_line(line);
		g_free(line);
	}
	g_mutex_unlock(&log_lock);
	g_free(text);
}

void gw_sip_log_start(bool trace)
{
	unsigned level = 0;

	if (gw_log_enabled(GW_LOG_TRACE))
		level = 9;
	else if (gw_log_enabled(GW_LOG_DEBUG))
		level = 3;
	g_mutex_lock(&log_lock);
	log_users++;
	log_trace = log_trace || trace;
	g_mutex_unlock(&log_lock);
	su_log_redirect(su_log_default, sofia_logger, NULL);
	su_log_set_level(su_log_default, level);
}

void gw_sip_log_stop(void)
{
	g_mutex_lock(&log_lock);
	if (log_users && --log_users) {
		g_mutex_unlock(&log_lock);
		return;
	}
	log_trace = false;
	if (log_block) {
		g_string_free(log_block, TRUE);
		log_block = NULL;
	}
	if (log_line) {
		g_string_free(log_line, TRUE);
		log_line = NULL;
	}
	g_mutex_unlock(&log_lock);
}
