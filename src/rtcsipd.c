/* rtcsipd.c — the daemon: command line, configuration, start, signals,
 * orderly stop.  Runs the control loop on the main thread. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <glib.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include "gw/config.h"
#include "gw/ice.h"
#include "gw/log.h"
#include "gw/loop.h"
#include "gw/signal.h"
#include "gw/call.h"
#include "gw/sip.h"
#include "gw/srtp.h"
#include "config.h"

#define SHUTDOWN_GRACE_MS 4000

struct daemon {
	GMainLoop *loop;
	struct gw_config *cfg;
	struct gw_signal *sig;
	struct gw_sip *sip;
	int signals;            /* SIGINT/SIGTERM received */
	gint64 stop_started;    /* monotonic µs */
};

static gboolean stop_poll(gpointer arg)
{
	struct daemon *d = arg;
	gint64 waited = (g_get_monotonic_time() - d->stop_started) / 1000;

	if ((gw_signal_idle(d->sig) && gw_call_count() == 0 && gw_sip_idle(d->sip)) ||
	    waited > SHUTDOWN_GRACE_MS) {
		if (waited > SHUTDOWN_GRACE_MS)
			gw_warn(NULL, "shutdown: grace period over, %u session(s) and %u call(s) left",
				gw_signal_session_count(), gw_call_count());
		g_main_loop_quit(d->loop);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_signal(gpointer arg)
{
	struct daemon *d = arg;

	if (++d->signals > 1) {
		gw_warn(NULL, "second signal: exiting at once");
		_exit(1);
	}
	gw_info(NULL, "signal received: stopping (send it again to exit at once)");
	d->stop_started = g_get_monotonic_time();
	gw_call_hangup_all(503, "gateway shutting down");
	gw_sip_shutdown(d->sip);
	gw_signal_shutdown(d->sig);
	g_timeout_add(50, stop_poll, d);
	return G_SOURCE_CONTINUE;
}

static int print_errors(char **errors)
{
	for (char **e = errors; e && *e; e++)
		fprintf(stderr, "%s\n", *e);
	g_strfreev(errors);
	return 2;
}

/* Each call holds about six fds: its ICE socket and the loop's copy of it
 * (one more pair per extra host address or TURN relay), RTP and RTCP
 * sockets, the wakeup fds of libnice's own context and of the call's driven
 * context.  Debian's default soft limit of 1024 open files would stop the
 * gateway near 170 calls.  Take what the hard limit allows, as nginx
 * and FreeSWITCH do, and say how many calls that is. */
static void raise_open_files_limit(void)
{
	enum { FDS_PER_CALL = 6, FDS_BASE = 64, CEILING = 1 << 20 };
	struct rlimit rl;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	was = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		/* the kernel refuses more than fs.nr_open, whatever the hard limit says */
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > CEILING ? CEILING
										   : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			rl.rlim_cur = was;
	}
	gw_info(NULL, "open files: %llu -> %llu (room for about %llu calls)",
		(unsigned long long)was, (unsigned long long)rl.rlim_cur,
		(unsigned long long)(rl.rlim_cur > FDS_BASE ? (rl.rlim_cur - FDS_BASE) / FDS_PER_CALL
							  : 0));
}

/* media.coalesce_wakeups: "auto" decides by what a wake-up costs here. */
#define COALESCE_AUTO_US 10.0

static void set_coalesce(const char *mode)
{
	bool on = !strcmp(mode, "on");
	double cost = -1;

	if (!strcmp(mode, "auto")) {
		cost = gw_loops_wakeup_cost_us();
		on = cost >= COALESCE_AUTO_US;
	}
	gw_loops_set_coalesce(on);
	if (cost >= 0)
		gw_info(NULL, "media: a wake-up costs %.1f us of CPU here: idle media loops %s wake-ups "
			"(media.coalesce_wakeups = auto)", cost, on ? "coalesce" : "do not coalesce");
	else
		gw_info(NULL, "media: idle media loops %s wake-ups (media.coalesce_wakeups = %s)",
			on ? "coalesce" : "do not coalesce", mode);
}

static int run(struct daemon *d)
{
	char *why = NULL;
	int err;

	if (g_mkdir_with_parents(d->cfg->state_dir, 0750)) {
		gw_error(NULL, "state_dir %s: %s", d->cfg->state_dir, g_strerror(errno));
		return 1;
	}
	if (gw_ice_networks_check(d->cfg->ice_remote_networks, &why)) {
		gw_error(NULL, "ice.remote_networks: %s", why);
		g_free(why);
		return 1;
	}
	raise_open_files_limit();
	gw_loops_set_clock_slots((unsigned)d->cfg->media_clock_slots);
	set_coalesce(d->cfg->media_coalesce_wakeups);
	err = gw_loops_start(gw_config_media_threads(d->cfg));
	if (err)
		return 1;
	gw_loops_sample_busy_start(); /* /healthz and media.max_busy_pct */
	err = gw_srtp_init(); /* its self-tests would delay the first call */
	if (!err)
		err = gw_call_init(d->cfg);
	if (!err)
		err = gw_signal_start(d->cfg, &d->sig);
	if (!err)
		err = gw_sip_start(d->cfg, gw_call_sip_incoming, NULL, &d->sip);
	if (err)
		goto out;
	gw_call_set_sip(d->sip);
	d->loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGINT, on_signal, d);
	g_unix_signal_add(SIGTERM, on_signal, d);
	gw_info(NULL, "rtcsipd %s ready (%u media loop(s))", PACKAGE_VERSION, gw_loop_count());
	g_main_loop_run(d->loop);
	gw_info(NULL, "stopped");
out:
	gw_signal_free(d->sig);
	gw_loops_stop();
	/* Events the media loops posted while stopping hold call references. */
	while (g_main_context_pending(NULL))
		g_main_context_iteration(NULL, FALSE);
	gw_call_cleanup();
	gw_call_set_sip(NULL);
	/* Last: the calls just freed held references on SIP dialogs. */
	if (d->sip)
		gw_sip_free(d->sip);
	if (d->loop)
		g_main_loop_unref(d->loop);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	char *config_file = NULL, *check_file = NULL, *log_level = NULL;
	gboolean version = FALSE, sample = FALSE, reference = FALSE;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_file,
		  "configuration file (default " GW_SYSCONFDIR "/rtcsip/rtcsipd.conf)", "FILE" },
		{ "check-config", 0, 0, G_OPTION_ARG_FILENAME, &check_file,
		  "validate FILE, print each error, exit 0 when it is valid", "FILE" },
		{ "log-level", 'l', 0, G_OPTION_ARG_STRING, &log_level,
		  "error, warn, info, debug or trace (overrides general.log_level)", "LEVEL" },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &version, "print the version and exit", NULL },
		{ "print-sample-config", 0, 0, G_OPTION_ARG_NONE, &sample,
		  "print a sample configuration with every key and exit", NULL },
		{ "print-config-reference", 0, 0, G_OPTION_ARG_NONE, &reference,
		  "print the configuration reference (Markdown) and exit", NULL },
		{ NULL }
	};
	GOptionContext *octx = g_option_context_new("- WebRTC to SIP gateway");
	GError *gerr = NULL;
	struct daemon d = { 0 };
	char **errors = NULL;
	enum gw_log_level level;
	int rc = 0;

	g_option_context_add_main_entries(octx, entries, NULL);
	if (!g_option_context_parse(octx, &argc, &argv, &gerr)) {
		fprintf(stderr, "rtcsipd: %s (try --help)\n", gerr->message);
		rc = 2;
		goto out;
	}
	if (version) {
		printf("rtcsipd %s\n", PACKAGE_VERSION);
		goto out;
	}
	if (sample || reference) {
		char *text = sample ? gw_config_sample() : gw_config_reference();

		fputs(text, stdout);
		g_free(text);
		goto out;
	}
	if (check_file) {
		char *why = NULL;

		if (gw_config_load(check_file, &d.cfg, &errors)) {
			rc = print_errors(errors);
			goto out;
		}
		if (gw_signal_config_check(d.cfg, &why) ||
		    gw_ice_networks_check(d.cfg->ice_remote_networks, &why)) {
			fprintf(stderr, "%s: %s\n", check_file, why);
			g_free(why);
			rc = 2;
			goto out;
		}
		printf("%s: ok\n", check_file);
		goto out;
	}
	if (!config_file)
		config_file = g_strdup(GW_SYSCONFDIR "/rtcsip/rtcsipd.conf");
	if (gw_config_load(config_file, &d.cfg, &errors)) {
		rc = print_errors(errors);
		goto out;
	}
	if (gw_log_level_parse(log_level ? log_level : d.cfg->log_level, &level)) {
		fprintf(stderr, "rtcsipd: unknown log level '%s'\n", log_level);
		rc = 2;
		goto out;
	}
	gw_log_set_level(level);
	gw_log_capture_glib();
	signal(SIGPIPE, SIG_IGN);
	rc = run(&d);
out:
	if (gerr)
		g_error_free(gerr);
	gw_config_free(d.cfg);
	g_option_context_free(octx);
	g_free(config_file);
	g_free(check_file);
	g_free(log_level);
	return rc;
}
