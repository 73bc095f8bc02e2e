/* rtcsip-call — a C WebRTC client for rtcsip built on the gateway's own
 * modules (ICE, DTLS-SRTP, Opus): the "browser" of the tests.  It speaks
 * the JSON API (DESIGN section 4), places one or many calls or answers
 * incoming ones, follows the call states, sends DTMF, hold and unhold,
 * sends a tone or a WAV file and measures what comes back (setup, ICE and
 * DTLS times, packets, loss, jitter, RTT, the received audio's frequency).
 * As the load generator of contrib/bench/run: hundreds of calls in one
 * process sending one pre-encoded tone (Opus, or PCMU with --codec pcmu),
 * decoding only every --measure-every'th call, with a latency probe.
 *
 * This file: the command line, the WebSocket session and the dispatch of the
 * gateway's messages (see rtcsip_call.h for the other files).  Main thread;
 * each call's media runs on a media loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <jansson.h>
#include "rtcsip_call.h"
#include "gw/cert.h"
#include "gw/config.h"
#include "gw/log.h"
#include "gw/loop.h"
#include "gw/obj.h"
#include "ws_client.h"

#define DRAIN_US (2 * G_USEC_PER_SEC) /* at exit: time to write what is queued */

/* --paced-poll-us: the media loops drain their sockets on this clock instead
 * of sleeping on them (gw_loops_set_paced_poll), so that a benchmarked
 * daemon's sends on loopback do not pay for waking us.  0: GLib's poll. */
static int paced_poll_us;

struct gw_tool_call *gw_tool_app_find_call(struct gw_tool_app *a, const char *id)
{
	for (guint i = 0; id && i < a->calls->len; i++) {
		struct gw_tool_call *c = a->calls->pdata[i];

		if (!strcmp(c->id, id))
			return c;
	}
	return NULL;
}

void gw_tool_app_maybe_quit(struct gw_tool_app *a)
{
	if (a->finished < a->calls->len)
		return;
	if (a->calls->len < (unsigned)a->o.calls && !a->gave_up) {
		/* idle and more to answer: --answer-timeout runs from now */
		if (a->o.answer && a->welcomed && !a->answer_timer)
			a->answer_timer = g_timeout_add_seconds((guint)a->o.answer_timeout,
								gw_tool_app_answer_timeout, a);
		return;
	}
	g_main_loop_quit(a->loop);
}

static void app_error(struct gw_tool_app *a, const char *code, const char *message)
{
	gw_warn(NULL, "%s: %s", code, message);
	json_array_append_new(a->errors, json_pack("{s:s, s:s}", "code", code, "message", message));
}

/* Stop waiting for calls that have not started yet. */
static void give_up(struct gw_tool_app *a)
{
	a->gave_up = true;
	if (a->start_timer)
		g_source_remove(a->start_timer);
	if (a->answer_timer)
		g_source_remove(a->answer_timer);
	a->start_timer = a->answer_timer = 0;
	gw_tool_app_maybe_quit(a);
}

gboolean gw_tool_app_answer_timeout(gpointer app)
{
	struct gw_tool_app *a = app;
	char *m = g_strdup_printf("no incoming call within %d s", a->o.answer_timeout);

	a->answer_timer = 0;
	app_error(a, "timeout", m);
	g_free(m);
	give_up(a);
	return G_SOURCE_REMOVE;
}

/* Last resort when a gateway stops answering: every call has its own
 * bounded timers, this only catches what they cannot. */
static gboolean safety_timeout(gpointer data)
{
	struct gw_tool_app *a = data;

	a->safety_timer = 0;
	app_error(a, "timeout", "rtcsip-call ran out of time");
	for (guint i = 0; i < a->calls->len; i++)
		gw_tool_call_finish(a->calls->pdata[i], GW_TOOL_END_NONE, 408, "timed out", true);
	give_up(a);
	g_main_loop_quit(a->loop);
	return G_SOURCE_REMOVE;
}

static void on_welcome(struct gw_tool_app *a)
{
	a->welcomed = true;
	if (a->o.answer) {
		gw_tool_app_maybe_quit(a); /* starts waiting for `incoming` */
		return;
	}
	if (gw_tool_call_out_next(a))
		a->start_timer = g_timeout_add((guint)(1000 / a->o.rate), gw_tool_call_out_next, a);
}

static void on_error(struct gw_tool_app *a, json_t *msg)
{
	const char *code = json_string_value(json_object_get(msg, "code"));
	const char *m = json_string_value(json_object_get(msg, "message"));
	const char *tid = json_string_value(json_object_get(msg, "tid"));
	const char *sep = tid ? strchr(tid, ':') : NULL;
	char *request = sep ? g_strndup(tid, (gsize)(sep - tid)) : NULL;
	struct gw_tool_call *c = gw_tool_app_find_call(a, sep ? sep + 1 : NULL);

	if (!c)
		c = gw_tool_app_find_call(a, json_string_value(json_object_get(msg, "call")));
	if (c) {
		gw_tool_call_on_error(c, request, code, m);
	} else {
		app_error(a, code ? code : "error", m ? m : "");
		if (!a->welcomed)
			give_up(a); /* hello refused: nothing else will happen */
	}
	g_free(request);
}

static void on_ws_msg(json_t *msg, void *arg)
{
	struct gw_tool_app *a = arg;
	const char *type = json_string_value(json_object_get(msg, "type"));
	struct gw_tool_call *c = gw_tool_app_find_call(a, json_string_value(json_object_get(msg, "call")));

	if (!type)
		return;
	if (!strcmp(type, "welcome")) {
		if (!a->welcomed)
			on_welcome(a);
	} else if (!strcmp(type, "error")) {
		on_error(a, msg);
	} else if (!strcmp(type, "incoming")) {
		gw_tool_call_in_incoming(a, msg);
	} else if (!c) {
		gw_debug(NULL, "%s for no call of ours ignored", type);
	} else if (!strcmp(type, "answer")) {
		if (!c->inbound)
			gw_tool_call_out_answer(c, json_string_value(json_object_get(msg, "sdp")) ?: "");
	} else if (!strcmp(type, "state")) {
		gw_tool_call_on_state(c, json_string_value(json_object_get(msg, "state")));
	} else if (!strcmp(type, "hangup")) {
		gw_tool_call_on_hangup(c, msg);
	} else if (!strcmp(type, "candidate")) {
		gw_tool_call_on_candidate(c, msg);
	} else if (!strcmp(type, "dtmf")) {
		gw_tool_call_on_dtmf(c, json_string_value(json_object_get(msg, "digit")));
	}
}

static void on_ws_state(bool open, const char *reason, void *arg)
{
	struct gw_tool_app *a = arg;

	if (open) {
		gw_tool_ws_send(a->ws, json_pack("{s:s, s:s}", "type", "hello",
						 a->o.token ? "token" : "user",
						 a->o.token ? a->o.token : a->o.user));
		return;
	}
	if (a->gave_up || (a->welcomed && a->finished == a->calls->len &&
			   a->calls->len == (unsigned)a->o.calls))
		return; /* every call is over: this is our own close */
	app_error(a, "signalling", reason ? reason : "connection lost");
	for (guint i = 0; i < a->calls->len; i++)
		gw_tool_call_finish(a->calls->pdata[i], GW_TOOL_END_NONE, 503, "signalling lost", true);
	give_up(a);
	g_main_loop_quit(a->loop);
}

/* --header NAME:VALUE ... as {"NAME": "VALUE"}; NULL when none.  0 or
 * EINVAL (message printed). */
static int parse_headers(char **in, json_t **out)
{
	json_t *h = NULL;

	for (; in && *in; in++) {
		const char *colon = strchr(*in, ':');
		char *name = colon ? g_strstrip(g_strndup(*in, (gsize)(colon - *in))) : NULL;
		json_t *value = colon ? json_string(g_strchug((char *)colon + 1)) : NULL;

		if (!name || !*name || !value) {
			fprintf(stderr, "rtcsip-call: --header wants NAME:VALUE (UTF-8), not '%s'\n", *in);
			g_free(name);
			json_decref(value);
			json_decref(h);
			return EINVAL;
		}
		if (!h)
			h = json_object();
		json_object_set_new(h, name, value);
		g_free(name);
	}
	*out = h;
	return 0;
}

static int parse_options(struct gw_tool_app *a, int argc, char **argv)
{
	struct gw_tool_opts *o = &a->o;
	GOptionEntry entries[] = {
		{ "url", 'u', 0, G_OPTION_ARG_STRING, &o->url, "gateway API URL (wss://127.0.0.1:8443/ws)", "URL" },
		{ "to", 't', 0, G_OPTION_ARG_STRING, &o->to, "destination (default echo)", "TO" },
		{ "user", 0, 0, G_OPTION_ARG_STRING, &o->user, "user name for hello (default rtcsip-call)", "USER" },
		{ "token", 0, 0, G_OPTION_ARG_STRING, &o->token, "JWT for hello (auth.mode = jwt) instead of --user", "JWT" },
		{ "header", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->headers, "extra header for the call (repeat)", "NAME:VALUE" },
		{ "privacy", 0, 0, G_OPTION_ARG_NONE, &o->privacy, "withhold our number (the call's privacy)", NULL },
		{ "tone", 0, 0, G_OPTION_ARG_DOUBLE, &o->tone, "send a sine tone of HZ (default 1000)", "HZ" },
		{ "wav", 0, 0, G_OPTION_ARG_FILENAME, &o->wav, "send this PCM16 WAV file (looped)", "FILE" },
		{ "record", 0, 0, G_OPTION_ARG_FILENAME, &o->record, "record what the first call receives", "FILE" },
		{ "seconds", 's', 0, G_OPTION_ARG_INT, &o->seconds, "media seconds per call from connected (default 5)", "S" },
		{ "duration", 0, 0, G_OPTION_ARG_INT, &o->seconds, "same as --seconds", "S" },
		{ "codec", 0, 0, G_OPTION_ARG_STRING, &o->codec, "opus (default) or pcmu: the only audio codec we offer", "NAME" },
		{ "probe", 0, 0, G_OPTION_ARG_NONE, &o->probe,
		  "latency probe: the tone pauses 100 ms each second; time its return", NULL },
		{ "measure-every", 0, 0, G_OPTION_ARG_INT, &o->measure_every,
		  "decode and measure what comes back on every Nth call only (default 1)", "N" },
		{ "call-id-header", 0, 0, G_OPTION_ARG_STRING, &o->id_header,
		  "send each call's id in this X- header of the call", "NAME" },
		{ "hangup-at", 0, 0, G_OPTION_ARG_DOUBLE, &o->hangup_at, "hang up S s after the call started, in any state", "S" },
		{ "max-wait", 0, 0, G_OPTION_ARG_INT, &o->max_wait, "give up when not connected after S s (default 30)", "S" },
		{ "expect-hangup", 0, 0, G_OPTION_ARG_INT, &o->expect_hangup, "the gateway is expected to end each call with CODE", "CODE" },
		{ "dtmf", 0, 0, G_OPTION_ARG_STRING, &o->dtmf, "send these DTMF digits in one message", "DIGITS" },
		{ "dtmf-at", 0, 0, G_OPTION_ARG_DOUBLE, &o->dtmf_at, "... S s after connected (default 1)", "S" },
		{ "hold-at", 0, 0, G_OPTION_ARG_DOUBLE, &o->hold_at, "send hold S s after connected", "S" },
		{ "unhold-at", 0, 0, G_OPTION_ARG_DOUBLE, &o->unhold_at, "send unhold S s after connected", "S" },
		{ "answer", 0, 0, G_OPTION_ARG_NONE, &o->answer, "answer incoming calls instead of calling", NULL },
		{ "answer-delay", 0, 0, G_OPTION_ARG_INT, &o->answer_delay_ms, "accept MS after incoming (default 0)", "MS" },
		{ "answer-timeout", 0, 0, G_OPTION_ARG_INT, &o->answer_timeout, "give up when no incoming within S s (default 30)", "S" },
		{ "reject", 0, 0, G_OPTION_ARG_INT, &o->reject, "reject incoming calls with CODE", "CODE" },
		{ "calls", 'n', 0, G_OPTION_ARG_INT, &o->calls, "calls to place, or to answer (default 1)", "N" },
		{ "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &o->rate, "calls started per second (default 10)", "R" },
		{ "threads", 0, 0, G_OPTION_ARG_INT, &o->threads, "media threads (default 1)", "N" },
		{ "paced-poll-us", 0, 0, G_OPTION_ARG_INT, &paced_poll_us,
		  "media threads poll every US instead of sleeping on their sockets, for loopback "
		  "benchmarks (adds up to US of latency; default 0: off)", "US" },
		{ "local-address", 0, 0, G_OPTION_ARG_STRING, &o->local_addr, "ICE address (default 127.0.0.1)", "IP" },
		{ "inject-garbage", 0, 0, G_OPTION_ARG_NONE, &o->garbage,
		  "1 s into each call, send garbage on the media path (robustness test)", NULL },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &o->json, "print the report as JSON", NULL },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose, "debug logging", NULL },
		{ NULL }
	};
	GOptionContext *octx = g_option_context_new("- WebRTC test client (browser) for rtcsip");
	GError *gerr = NULL;
	bool ok;

	o->tone = 1000;
	o->seconds = 5;
	o->calls = 1;
	o->rate = 10;
	o->threads = 1;
	o->measure_every = 1;
	o->max_wait = 30;
	o->answer_timeout = 30;
	o->dtmf_at = 1;
	o->hangup_at = o->hold_at = o->unhold_at = -1;
	g_option_context_add_main_entries(octx, entries, NULL);
	ok = g_option_context_parse(octx, &argc, &argv, &gerr);
	g_option_context_free(octx);
	if (!ok) {
		fprintf(stderr, "rtcsip-call: %s\n", gerr->message);
		g_error_free(gerr);
		return EINVAL;
	}
	if (o->calls < 1 || o->seconds < 1 || o->rate <= 0 || o->threads < 1 || o->max_wait < 1 ||
	    o->answer_timeout < 1 || o->answer_delay_ms < 0 || o->dtmf_at < 0) {
		fprintf(stderr, "rtcsip-call: --calls, --seconds, --rate, --threads, --max-wait and "
			"--answer-timeout must be positive, --answer-delay and --dtmf-at not negative\n");
		return EINVAL;
	}
	if ((o->reject && (o->reject < 300 || o->reject > 699)) ||
	    (o->expect_hangup && (o->expect_hangup < 100 || o->expect_hangup > 699))) {
		fprintf(stderr, "rtcsip-call: --reject takes a code 300-699, --expect-hangup 100-699\n");
		return EINVAL;
	}
	if (o->reject && !o->answer) {
		fprintf(stderr, "rtcsip-call: --reject needs --answer\n");
		return EINVAL;
	}
	if (o->codec && g_ascii_strcasecmp(o->codec, "opus") && g_ascii_strcasecmp(o->codec, "pcmu")) {
		fprintf(stderr, "rtcsip-call: --codec is opus or pcmu, not '%s'\n", o->codec);
		return EINVAL;
	}
	a->codec = o->codec && !g_ascii_strcasecmp(o->codec, "pcmu") ? GW_MEDIA_CODEC_PCMU
								      : GW_MEDIA_CODEC_OPUS;
	if ((a->codec == GW_MEDIA_CODEC_PCMU || o->probe) && (o->answer || o->wav)) {
		fprintf(stderr, "rtcsip-call: --codec pcmu and --probe are for calls we place with a tone\n");
		return EINVAL;
	}
	if (paced_poll_us < 0 || paced_poll_us > 1000000) {
		fprintf(stderr, "rtcsip-call: --paced-poll-us takes 0 (off) to 1000000\n");
		return EINVAL;
	}
	if (o->measure_every < 1) {
		fprintf(stderr, "rtcsip-call: --measure-every must be positive\n");
		return EINVAL;
	}
	if (o->id_header && g_ascii_strncasecmp(o->id_header, "X-", 2)) {
		fprintf(stderr, "rtcsip-call: --call-id-header takes an X- header name\n");
		return EINVAL;
	}
	if (!o->url)
		o->url = g_strdup("wss://127.0.0.1:8443/ws");
	if (!o->to)
		o->to = g_strdup("echo");
	if (!o->user)
		o->user = g_strdup("rtcsip-call");
	return parse_headers(o->headers, &a->headers);
}

/* Seconds the whole run may take before safety_timeout. */
static guint run_budget(const struct gw_tool_opts *o)
{
	double per_call = o->max_wait + o->seconds + 30;
	double extra = MAX(MAX(o->hangup_at, o->dtmf_at), MAX(o->hold_at, o->unhold_at));

	if (o->answer)
		return (guint)(o->calls * (o->answer_timeout + per_call + extra) + 30);
	return (guint)(o->calls / o->rate + per_call + extra + 30);
}

static void opts_clear(struct gw_tool_opts *o)
{
	g_free(o->url);
	g_free(o->to);
	g_free(o->user);
	g_free(o->token);
	g_free(o->wav);
	g_free(o->record);
	g_free(o->local_addr);
	g_free(o->dtmf);
	g_free(o->codec);
	g_free(o->id_header);
	g_strfreev(o->headers);
}

/* The tone as one pre-encoded second every call sends (a thousand calls
 * need no encoder each), and with --probe the codec chain's own delay.
 * A tone that is no whole number of Hz is encoded per call as before.
 * 0, or an errno with a message printed. */
static int prepare_audio(struct gw_tool_app *a)
{
	struct gw_media_opus_cfg oc = { .complexity = 5, .bitrate = 32000, .fec = true, .loss_pct = 5 };
	struct gw_media_config gw;
	int rc;

	a->codec_delay_ms = -1;
	if (a->o.wav)
		return 0;
	rc = gw_tool_audio_loop_build(a->codec, a->o.tone, a->o.probe, &oc, &a->aloop);
	if (rc == EINVAL && a->codec == GW_MEDIA_CODEC_OPUS && !a->o.probe)
		return 0;
	if (rc) {
		fprintf(stderr, "rtcsip-call: cannot encode a %g Hz tone%s: %s\n", a->o.tone,
			rc == EINVAL ? " (--codec pcmu and --probe need a whole number of Hz, 50-3000)" : "",
			g_strerror(rc));
		return rc;
	}
	/* the daemon's Opus settings toward the browser, as shipped */
	gw_media_config_init(&gw);
	if (a->o.probe && (rc = gw_tool_audio_loop_codec_delay(a->aloop, &gw.opus, &a->codec_delay_ms)))
		fprintf(stderr, "rtcsip-call: cannot find the codec chain's delay: %s\n", g_strerror(rc));
	return rc;
}

/* Give the WebSocket a moment to write what is queued (a last hangup or
 * reject) and to close as a browser does, before the process goes away. */
static void drain(struct gw_tool_app *a)
{
	gint64 until = g_get_monotonic_time() + DRAIN_US;

	gw_tool_ws_close(a->ws);
	while (gw_tool_ws_is_open(a->ws) && g_get_monotonic_time() < until)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(2000);
}

int main(int argc, char **argv)
{
	struct gw_tool_app a = { 0 };
	char *err = NULL;
	int rc = 2;

	a.calls = g_ptr_array_new_with_free_func(gw_obj_release);
	a.errors = json_array();
	if (parse_options(&a, argc, argv))
		goto out;
	if (a.o.wav && gw_tool_audio_src_wav(&a.wav, a.o.wav, &err)) {
		fprintf(stderr, "rtcsip-call: %s\n", err);
		goto out;
	}
	gw_log_set_level(a.o.verbose ? GW_LOG_DEBUG : GW_LOG_WARN);
	gw_log_capture_glib();
	if (prepare_audio(&a))
		goto out;
	a.cfg = gw_config_defaults();
	/* a test client reports what reaches it, however late: it drops nothing */
	a.cfg->media_max_queue_ms = 0;
	if (a.o.local_addr) {
		g_free(a.cfg->ice_local_addresses);
		a.cfg->ice_local_addresses = g_strdup(a.o.local_addr);
	}
	gw_loops_set_paced_poll((unsigned)paced_poll_us);
	gw_loops_start((unsigned)a.o.threads);
	if (gw_cert_generate("rtcsip-call", &a.cert)) {
		fprintf(stderr, "rtcsip-call: cannot create a DTLS certificate\n");
		rc = 1;
		goto stop;
	}
	a.loop = g_main_loop_new(NULL, FALSE);
	if (gw_tool_ws_open(&a.ws, a.o.url, on_ws_msg, on_ws_state, &a)) {
		fprintf(stderr, "rtcsip-call: cannot connect to %s\n", a.o.url);
		rc = 1;
		goto stop;
	}
	a.safety_timer = g_timeout_add_seconds(run_budget(&a.o), safety_timeout, &a);
	g_main_loop_run(a.loop);
	give_up(&a);
	if (a.safety_timer)
		g_source_remove(a.safety_timer);
	drain(&a);
stop:
	/* Media threads joined: what they owned is ours to read now. */
	gw_loops_stop();
	while (g_main_context_pending(NULL))
		g_main_context_iteration(NULL, FALSE);
	for (guint i = 0; i < a.calls->len; i++)
		gw_tool_media_stop(a.calls->pdata[i]);
	gw_tool_media_cleanup();
	if (a.ws)
		rc = gw_tool_report(&a);
	gw_tool_ws_free(a.ws);
	if (a.loop)
		g_main_loop_unref(a.loop);
	gw_obj_deref(a.cert);
	gw_config_free(a.cfg);
out:
	g_ptr_array_free(a.calls, TRUE);
	json_decref(a.errors);
	json_decref(a.headers);
	gw_tool_audio_src_clear(&a.wav);
	gw_tool_audio_loop_free(a.aloop);
	opts_clear(&a.o);
	g_free(err);
	return rc;
}
