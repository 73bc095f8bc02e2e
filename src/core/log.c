/* log.c — levelled stderr logging (see gw/log.h).  Any thread. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include "gw/log.h"

static gint current_level = GW_LOG_INFO;

static const char *const level_names[] = {
	[GW_LOG_ERROR] = "error",
	[GW_LOG_WARN] = "warn",
	[GW_LOG_INFO] = "info",
	[GW_LOG_DEBUG] = "debug",
	[GW_LOG_TRACE] = "trace",
};

void gw_log_set_level(enum gw_log_level level)
{
	g_atomic_int_set(&current_level, (gint)level);
}

enum gw_log_level gw_log_get_level(void)
{
	return (enum gw_log_level)g_atomic_int_get(&current_level);
}

int gw_log_level_parse(const char *name, enum gw_log_level *out)
{
	for (size_t i = 0; i < G_N_ELEMENTS(level_names); i++) {
		if (name && g_ascii_strcasecmp(name, level_names[i]) == 0) {
			*out = (enum gw_log_level)i;
			return 0;
		}
	}
	return EINVAL;
}

void gw_log_writev(enum gw_log_level level, const char *ctx, const char *fmt, va_list ap)
{
	char line[2048];
	size_t n;
	gint64 now;
	time_t secs;
	struct tm tm;

	if (!gw_log_enabled(level))
		return;
	now = g_get_real_time();
	secs = (time_t)(now / G_USEC_PER_SEC);
	gmtime_r(&secs, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03dZ %-5s ",
			      (int)(now % G_USEC_PER_SEC / 1000), level_names[level]);
	if (ctx && *ctx && n < sizeof(line))
		n += (size_t)snprintf(line + n, sizeof(line) - n, "[%s] ", ctx);
	if (n < sizeof(line))
		n += (size_t)vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2; /* truncated: keep the newline */
	while (n > 0 && line[n - 1] == '\n')
		n--;
	line[n++] = '\n';
	/* One write(2) per line keeps lines whole across threads. */
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
}

void gw_log_write(enum gw_log_level level, const char *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gw_log_writev(level, ctx, fmt, ap);
	va_end(ap);
}

static enum gw_log_level from_glib(GLogLevelFlags flags)
{
	if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		return GW_LOG_ERROR;
	if (flags & G_LOG_LEVEL_WARNING)
		return GW_LOG_WARN;
	if (flags & G_LOG_LEVEL_MESSAGE)
		return GW_LOG_INFO;
	if (flags & G_LOG_LEVEL_INFO)
		return GW_LOG_DEBUG;
	return GW_LOG_TRACE; /* G_LOG_LEVEL_DEBUG: libnice is very chatty */
}

static GLogWriterOutput glib_writer(GLogLevelFlags flags, const GLogField *fields,
				    gsize n_fields, gpointer user_data)
{
	const char *domain = "glib", *message = "";
	enum gw_log_level level = from_glib(flags);

	if (!gw_log_enabled(level))
		return G_LOG_WRITER_HANDLED;
	for (gsize i = 0; i < n_fields; i++) {
		if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].value)
			domain = fields[i].value;
		else if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].value)
			message = fields[i].value;
	}
	gw_log_write(level, domain, "%s", message);
	return G_LOG_WRITER_HANDLED;
}

void gw_log_capture_glib(void)
{
	g_log_set_writer_func(glib_writer, NULL, NULL);
}
