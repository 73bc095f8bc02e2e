/* call_flow.c — the life of one rtcsip-call call common to both directions:
 * creation, the leg's events carried to the main thread, the gateway's
 * `state` / `hangup` / `dtmf` / `error` messages, the timers started at
 * connected (media seconds, DTMF, hold, unhold), our hangup and the end.
 *
 * Main thread (default GMainContext), except on_leg_event which runs on the
 * media loop and only starts the media and posts.  Every armed timer and
 * every posted event holds a reference on the call; finish removes the
 * timers so nothing outlives the run.
 */
#include <string.h>
#include <glib.h>
#include <jansson.h>
#include "rtcsip_call.h"
#include "gw/cert.h"
#include "gw/log.h"
#include "gw/loop.h"
#include "gw/obj.h"
#include "gw/webrtc.h"
#include "ws_client.h"

#define ACK_WAIT_MS 5000    /* how long a `hangup` may stay unanswered */

static gint64 now_us(void)
{
	return g_get_monotonic_time();
}

static void call_destroy(void *obj)
{
	struct gw_tool_call *c = obj;

	gw_tool_media_clear(c);
	gw_obj_deref(c->leg);
	gw_obj_deref(c->loop);
	gw_obj_deref(c->offer);
	g_free(c->offer_sdp);
	json_decref(c->states);
	json_decref(c->errors);
	json_decref(c->incoming);
	g_string_free(c->dtmf_rx, TRUE);
	g_free(c->id);
}

struct gw_tool_call *gw_tool_call_new(struct gw_tool_app *a, const char *id, bool inbound)
{
	struct gw_tool_call *c = gw_obj_alloc(sizeof(*c), call_destroy);

	c->app = a;
	c->idx = a->calls->len;
	c->id = g_strndup(id, 64);
	c->inbound = inbound;
	c->t_start = now_us();
	c->audio_pt = -1;
	c->states = json_array();
	c->errors = json_array();
	c->dtmf_rx = g_string_new(NULL);
	gw_tool_media_init(c);
	g_ptr_array_add(a->calls, c);
	return c;
}

double gw_tool_call_ms(const struct gw_tool_call *c, gint64 t)
{
	return c->t0 && t ? (double)(t - c->t0) / 1000.0 : -1;
}

/* --- leg events: media loop -> main thread --- */

struct leg_event {
	struct gw_tool_call *c;      /* reference */
	enum gw_webrtc_event ev;
	char *reason;
};

static void leg_event_destroy(void *obj)
{
	struct leg_event *e = obj;

	gw_obj_deref(e->c);
	g_free(e->reason);
}

static void on_leg_event_main(void *obj)
{
	struct leg_event *e = obj;
	struct gw_tool_call *c = e->c;
	char why[160];

	if (c->done)
		return;
	switch (e->ev) {
	case GW_WEBRTC_GATHERED:
		c->gathered = true;
		if (c->inbound)
			gw_tool_call_in_ready(c);
		else
			gw_tool_call_out_gathered(c);
		break;
	case GW_WEBRTC_DTLS_CONNECTED:
		c->media_up = true;
		c->t_media = now_us();
		break;
	case GW_WEBRTC_FAILED:
		/* A browser whose peer connection failed hangs up. */
		g_snprintf(why, sizeof(why), "media failed: %s", e->reason ? e->reason : "?");
		gw_tool_call_hangup(c, 480, why, true);
		break;
	case GW_WEBRTC_ICE_CONNECTED:
		break;
	}
}

static void on_leg_event(struct gw_webrtc_leg *leg, enum gw_webrtc_event ev, const char *reason,
			 void *arg)
{
	struct gw_tool_call *c = arg;
	struct leg_event *e;

	if (ev == GW_WEBRTC_DTLS_CONNECTED)
		gw_tool_media_start(c); /* early media: audio may flow before `connected` */
	e = gw_obj_alloc(sizeof(*e), leg_event_destroy);
	e->c = gw_obj_ref(c);
	e->ev = ev;
	e->reason = g_strdup(reason);
	gw_loop_post(gw_loop_control(), on_leg_event_main, e);
	gw_obj_deref(e);
}

int gw_tool_call_leg_start(struct gw_tool_call *c, struct gw_webrtc_params *p)
{
	c->loop = gw_loop_pin();
	p->name = c->id;
	p->loop = c->loop;
	p->cfg = c->app->cfg;
	p->cert = c->app->cert;
	return gw_webrtc_leg_alloc(&c->leg, p, on_leg_event, gw_tool_media_rtp, c);
}

/* --- messages and timers --- */

void gw_tool_call_send(struct gw_tool_call *c, const char *type, json_t *msg)
{
	if (!msg)
		msg = json_object();
	json_object_set_new(msg, "type", json_string(type));
	json_object_set_new(msg, "call", json_string(c->id));
	/* The tid names the request, so an `error` reply tells which failed. */
	json_object_set_new(msg, "tid", json_sprintf("%s:%s", type, c->id));
	gw_tool_ws_send(c->app->ws, msg);
}

static gboolean on_timer(struct gw_tool_call *c, enum gw_tool_timer which);

#define TIMER_FN(NAME, WHICH) \
	static gboolean NAME(gpointer data) { return on_timer(data, WHICH); }
TIMER_FN(tm_max_wait, GW_TOOL_TM_MAX_WAIT)
TIMER_FN(tm_seconds, GW_TOOL_TM_SECONDS)
TIMER_FN(tm_hangup_at, GW_TOOL_TM_HANGUP_AT)
TIMER_FN(tm_dtmf, GW_TOOL_TM_DTMF)
TIMER_FN(tm_hold, GW_TOOL_TM_HOLD)
TIMER_FN(tm_unhold, GW_TOOL_TM_UNHOLD)
TIMER_FN(tm_answer, GW_TOOL_TM_ANSWER)
TIMER_FN(tm_ack, GW_TOOL_TM_ACK)

static GSourceFunc const timer_fns[GW_TOOL_TM_COUNT] = {
	tm_max_wait, tm_seconds, tm_hangup_at, tm_dtmf, tm_hold, tm_unhold, tm_answer, tm_ack,
};

void gw_tool_call_arm(struct gw_tool_call *c, enum gw_tool_timer which, double ms)
{
	if (c->timers[which])
		g_source_remove(c->timers[which]);
	c->timers[which] = g_timeout_add_full(G_PRIORITY_DEFAULT, ms > 0 ? (guint)(ms + 0.5) : 0,
					      timer_fns[which], gw_obj_ref(c), gw_obj_release);
}

void gw_tool_call_disarm(struct gw_tool_call *c)
{
	for (unsigned i = 0; i < GW_TOOL_TM_COUNT; i++)
		if (c->timers[i])
			g_source_remove(c->timers[i]);
	memset(c->timers, 0, sizeof(c->timers));
}

static void arm_after_connected(struct gw_tool_call *c, enum gw_tool_timer which, double s)
{
	if (s >= 0)
		gw_tool_call_arm(c, which, s * 1000);
}

void gw_tool_call_connected(struct gw_tool_call *c)
{
	const struct gw_tool_opts *o = &c->app->o;

	if (c->connected || c->done)
		return;
	c->connected = true;
	c->t_connected = now_us();
	c->t_connected_wall = g_get_real_time();
	g_atomic_int_set(&c->media_connected, 1);
	if (c->timers[GW_TOOL_TM_MAX_WAIT])
		g_source_remove(c->timers[GW_TOOL_TM_MAX_WAIT]);
	c->timers[GW_TOOL_TM_MAX_WAIT] = 0;
	arm_after_connected(c, GW_TOOL_TM_SECONDS, o->seconds);
	if (o->dtmf && *o->dtmf)
		arm_after_connected(c, GW_TOOL_TM_DTMF, o->dtmf_at);
	arm_after_connected(c, GW_TOOL_TM_HOLD, o->hold_at);
	arm_after_connected(c, GW_TOOL_TM_UNHOLD, o->unhold_at);
}

void gw_tool_call_hangup(struct gw_tool_call *c, int code, const char *reason, bool failed)
{
	if (c->done)
		return;
	if (!c->hangup_sent) {
		c->hangup_sent = true;
		c->t_end = now_us();
		gw_tool_call_send(c, "hangup", NULL);
	}
	if (failed) {
		gw_tool_call_finish(c, GW_TOOL_END_CLIENT, code, reason, true);
		return;
	}
	gw_tool_call_disarm(c); /* no DTMF or hold after our hangup */
	g_strlcpy(c->reason, reason, sizeof(c->reason));
	c->code = code;
	gw_tool_call_arm(c, GW_TOOL_TM_ACK, ACK_WAIT_MS);
}

static gboolean on_timer(struct gw_tool_call *c, enum gw_tool_timer which)
{
	const struct gw_tool_opts *o = &c->app->o;
	char why[96];

	c->timers[which] = 0;
	if (c->done)
		return G_SOURCE_REMOVE;
	switch (which) {
	case GW_TOOL_TM_MAX_WAIT:
		g_snprintf(why, sizeof(why), "not connected after %d s", o->max_wait);
		gw_tool_call_hangup(c, 408, why, true);
		break;
	case GW_TOOL_TM_SECONDS:
		gw_tool_call_hangup(c, 200, "media time over", false);
		break;
	case GW_TOOL_TM_HANGUP_AT:
		gw_tool_call_hangup(c, 200, "hung up by --hangup-at", false);
		break;
	case GW_TOOL_TM_DTMF:
		gw_tool_call_send(c, "dtmf", json_pack("{s:s}", "digits", o->dtmf));
		break;
	case GW_TOOL_TM_HOLD:
		gw_tool_call_send(c, "hold", NULL);
		break;
	case GW_TOOL_TM_UNHOLD:
		gw_tool_call_send(c, "unhold", NULL);
		break;
	case GW_TOOL_TM_ANSWER:
		c->answer_due = true;
		gw_tool_call_in_ready(c);
		break;
	case GW_TOOL_TM_ACK:
		/* Our hangup or reject stands even without a reply. */
		gw_tool_call_finish(c, GW_TOOL_END_CLIENT, c->code,
				    c->rejected ? c->reason : "no reply to hangup", false);
		break;
	case GW_TOOL_TM_COUNT:
		break;
	}
	return G_SOURCE_REMOVE;
}

void gw_tool_call_finish(struct gw_tool_call *c, enum gw_tool_end_by by, int code,
			 const char *reason, bool failed)
{
	if (c->done)
		return;
	c->done = true;
	c->failed = c->failed || failed;
	c->end_by = by;
	c->code = code;
	g_strlcpy(c->reason, reason ? reason : "", sizeof(c->reason));
	if (by == GW_TOOL_END_GATEWAY || !c->t_end)
		c->t_end = now_us();
	gw_tool_call_disarm(c);
	if (c->failed)
		gw_warn(c->id, "failed: %d %s", code, c->reason);
	else
		gw_info(c->id, "ended: %d %s", code, c->reason);
	if (c->leg) {
		/* close first: no packet or event reaches us after it ran */
		gw_webrtc_leg_close(c->leg);
		gw_loop_post(c->loop, gw_tool_media_stop, c);
	}
	if (c->loop)
		gw_loop_unpin(c->loop);
	c->app->finished++;
	gw_tool_app_maybe_quit(c->app);
}

/* --- gateway messages --- */

void gw_tool_call_on_state(struct gw_tool_call *c, const char *state)
{
	if (c->done || !state)
		return;
	gw_debug(c->id, "state %s", state);
	json_array_append_new(c->states, json_pack("{s:s, s:f}", "state", state, "ms",
						   gw_tool_call_ms(c, now_us())));
	if (!strcmp(state, "connected"))
		gw_tool_call_connected(c);
}

void gw_tool_call_on_hangup(struct gw_tool_call *c, json_t *msg)
{
	const char *reason = json_string_value(json_object_get(msg, "reason"));
	int code = (int)json_integer_value(json_object_get(msg, "code"));

	if (c->done)
		return;
	/* After our hangup or reject, this is the gateway's reply to it. */
	gw_tool_call_finish(c, c->hangup_sent ? GW_TOOL_END_CLIENT : GW_TOOL_END_GATEWAY, code,
			    reason ? reason : "", false);
}

void gw_tool_call_on_dtmf(struct gw_tool_call *c, const char *digit)
{
	if (digit && *digit)
		g_string_append(c->dtmf_rx, digit);
}

void gw_tool_call_on_candidate(struct gw_tool_call *c, json_t *msg)
{
	json_t *cand = json_object_get(msg, "candidate");

	if (c->done || !c->leg)
		return;
	if (json_is_object(cand)) /* RTCIceCandidate.toJSON() form */
		cand = json_object_get(cand, "candidate");
	if (json_is_string(cand) && json_string_length(cand))
		gw_webrtc_leg_add_candidate(c->leg, json_string_value(cand));
	else if (json_is_null(cand) || json_is_string(cand))
		gw_webrtc_leg_end_of_candidates(c->leg);
}

void gw_tool_call_on_error(struct gw_tool_call *c, const char *request, const char *code,
			   const char *message)
{
	char why[160];

	json_array_append_new(c->errors, json_pack("{s:s, s:s, s:s?}", "code", code ? code : "",
						   "message", message ? message : "",
						   "request", request));
	gw_warn(c->id, "gateway error on %s: %s: %s", request ? request : "?", code, message);
	if (c->done)
		return;
	g_snprintf(why, sizeof(why), "%s: %s", code ? code : "error", message ? message : "");
	if (request && !strcmp(request, "hangup")) {
		/* the call is gone already (e.g. not_found): our hangup stands */
		gw_tool_call_finish(c, GW_TOOL_END_CLIENT, c->code, c->reason, false);
	} else if (request ? !strcmp(request, "call") || !strcmp(request, "accept") ||
			     !strcmp(request, "reject")
			   : !c->answered && !c->accepted) {
		/* the call itself was refused */
		gw_tool_call_finish(c, GW_TOOL_END_NONE, 400, why, true);
	}
	/* dtmf, hold, unhold, candidate: recorded; the call goes on */
}
