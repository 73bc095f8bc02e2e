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
#include <stdint.h>

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

/* At most one line every @every_us for what can happen at any rate (a
 * refusal storm, every packet of an overloaded loop): true when a line may
 * be written now (@now_us, monotonic), with *@skipped set to the events
 * left unlogged since the last one; false counts this one.  Not locked:
 * one per thread (static __thread) or per object. */
struct gw_log_limit {
	int64_t next_us;
	uint64_t skipped;
};

static inline bool gw_log_limit_pass(struct gw_log_limit *l, int64_t now_us, int64_t every_us,
				     uint64_t *skipped)
{
	if (now_us < l->next_us) {
		l->skipped++;
		return false;
	}
	*skipped = l->skipped;
	l->skipped = 0;
	l->next_us = now_us + every_us;
	return true;
}

/* Route GLib's structured and unstructured logging (libnice uses it) into
 * gw_log at matching levels.  Call once at start-up. */
void gw_log_capture_glib(void);

#endif
