/* gw/log.h — levelled logging to stderr with a per-call / per-session prefix.
 *
 * Every line: `TIME LEVEL [context] message`.  The context is a short string
 * the object owns (e.g. "call c1", "ws 3 alice"); NULL for global lines.
 * Thread-safe: each line is written with one write(2).
 * GLib (and so libnice) logging is routed here by gw_log_capture_glib(); the
 * wrapper of each other library (lws in src/signal, Sofia in src/sip) routes
 * its library's log here too, so nothing leaks to stdout.
 */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <stdbool.h>
#include <stdarg.h>

enum gw_log_level {
	GW_LOG_ERROR = 0,
	GW_LOG_WARN,
	GW_LOG_INFO,
	GW_LOG_DEBUG,
	GW_LOG_TRACE,
};

void gw_log_set_level(enum gw_log_level level);
enum gw_log_level gw_log_get_level(void);
/* Parse "error|warn|info|debug|trace"; 0 or EINVAL. */
int gw_log_level_parse(const char *name, enum gw_log_level *out);

static inline bool gw_log_enabled(enum gw_log_level level)
{
	return level <= gw_log_get_level();
}

void gw_log_write(enum gw_log_level level, const char *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void gw_log_writev(enum gw_log_level level, const char *ctx, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#define gw_error(ctx, ...) gw_log_write(GW_LOG_ERROR, (ctx), __VA_ARGS__)
#define gw_warn(ctx, ...)  gw_log_write(GW_LOG_WARN, (ctx), __VA_ARGS__)
#define gw_info(ctx, ...)  gw_log_write(GW_LOG_INFO, (ctx), __VA_ARGS__)
#define gw_debug(ctx, ...) \
	do { if (gw_log_enabled(GW_LOG_DEBUG)) gw_log_write(GW_LOG_DEBUG, (ctx), __VA_ARGS__); } while (0)
#define gw_trace(ctx, ...) \
	do { if (gw_log_enabled(GW_LOG_TRACE)) gw_log_write(GW_LOG_TRACE, (ctx), __VA_ARGS__); } while (0)

/* Route GLib's structured and unstructured logging (libnice uses it) into
 * gw_log at matching levels.  Call once at start-up. */
void gw_log_capture_glib(void);

#endif
