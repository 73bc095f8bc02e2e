/* call.c — the call registry, the browser API handlers common to every
 * call (`call`, `candidate`, `hangup`), and the glue between a call's WebRTC
 * leg on its media loop and the browser session on the control loop.
 * Control loop, except the leg callbacks (media loop) which only post or
 * hand packets to the bridge. */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include <jansson.h>
#include "call_priv.h"
#include "gw/call.h"
#include "gw/cert.h"
#include "gw/config.h"
#include "gw/loop.h"
#include "gw/obj.h"
#include "gw/log.h"
#include "gw/signal.h"
#include "gw/sip.h"
#include "gw/rtp_socket.h"

/* Browser codecs accepted besides Opus when media.passthrough = true, so a
 * browser offering only G.711 is relayed to a G.711 trunk untouched. */
static const char *const passthrough_codecs[] = { "PCMU", "PCMA", NULL };
static const char *const pcmu_only[] = { "PCMU", NULL };
static const char *const pcma_only[] = { "PCMA", NULL };

static GHashTable *calls;               /* key -> struct gw_call * (one reference) */
static const struct gw_config *config;  /* the daemon's, outlives every call */
static struct gw_cert *dtls_cert;       /* reference */
static struct gw_sip *sip_ua;           /* the daemon's, outlives every call */

/* A leg event carried from the media loop to the control loop. */
struct call_event {
	struct gw_call *call;              /* reference */
	enum gw_webrtc_event ev;
	char *reason;
};

static void call_destroy(void *obj)
{
	struct gw_call *call = obj;

	gw_obj_deref(call->leg);
	gw_obj_deref(call->media); /* normally freed on the loop; not when it stopped first */
	gw_obj_deref(call->rtp);
	gw_obj_deref(call->dialog);
	gw_obj_deref(call->inbound);
	g_strfreev(call->sip_codecs);
	g_free(call->sip_addr);
	g_free(call->to);
	json_decref(call->x_headers);
	gw_sdp_sip_media_clear(&call->sip_remote);
	if (call->loop)
		gw_loop_unpin(call->loop);
	gw_obj_deref(call->loop);
	gw_obj_deref(call->session);
	gw_sdp_answer_result_clear(&call->res);
	gw_obj_deref(call->offer);
	g_free(call->key);
	g_free(call->id);
}

static char *call_key(struct gw_ws_session *s, const char *id)
{
	return g_strdup_printf("%s/%s", gw_ws_session_id(s), id);
}

char *gw_call_text(const char *sip_text)
{
	char *s;

	if (!sip_text)
		return g_strdup("");
	if (g_utf8_validate(sip_text, -1, NULL))
		return g_strdup(sip_text);
	/* Legacy gear sends ISO-8859-1 ("Soci\xe9t\xe9"); every byte string is
	 * valid Latin-1, so this only fails on allocation trouble. */
	s = g_convert(sip_text, -1, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
	return s ? s : g_utf8_make_valid(sip_text, -1);
}

const struct gw_config *gw_call_config(void)
{
	return config;
}

struct gw_sip *gw_call_sip(void)
{
	return sip_ua;
}

struct gw_cert *gw_call_cert(void)
{
	return dtls_cert;
}

void gw_call_set_sip(struct gw_sip *sip)
{
	sip_ua = sip;
}

void gw_call_send(struct gw_call *call, json_t *msg)
{
	json_object_set_new(msg, "call", json_string(call->id));
	gw_ws_session_send(call->session, msg);
}

void gw_call_send_state(struct gw_call *call, const char *state)
{
	gw_info(call->log, "state %s", state);
	gw_call_send(call, json_pack("{s:s, s:s}", "type", "state", "state", state));
}

void gw_call_end(struct gw_call *call, int code, const char *reason, bool tell_browser)
{
	char *text;

	if (call->state == GW_CALL_ENDED)
		return;
	call->state = GW_CALL_ENDED;
	text = gw_call_text(reason); /* SIP reason phrases may be Latin-1 */
	gw_info(call->log, "ended: %d %s", code, text);
	if (tell_browser && gw_ws_session_open(call->session))
		gw_call_send(call, json_pack("{s:s, s:i, s:s}", "type", "hangup", "code", code,
					     "reason", text));
	g_free(text);
	if (call->inbound)
		gw_call_inbound_fork_ended(call, code); /* may end the INVITE too */
	gw_call_transfer_abort(call);               /* a transfer target still ringing */
	if (call->dialog) {
		gw_sip_dialog_end(call->dialog, code, reason);
		call->dialog = gw_obj_deref(call->dialog);
	}
	if (call->rtp)
		gw_call_bridge_stop(call);
	gw_webrtc_leg_close(call->leg);
	g_hash_table_remove(calls, call->key); /* drops the registry's reference */
}

static void send_answer(struct gw_call *call)
{
	struct gw_sdp_jsep_params p = { 0 };
	struct gw_sdp_answer_result res = { 0 };
	char *sdp = NULL, *reason = NULL;

	p.local_addr = "0.0.0.0"; /* RFC 8839: candidates carry the addresses */
	p.ice_ufrag = gw_webrtc_leg_ufrag(call->leg);
	p.ice_pwd = gw_webrtc_leg_pwd(call->leg);
	p.ice_lite = config->ice_lite;
	p.fingerprint = gw_webrtc_leg_fingerprint(call->leg);
	p.candidates = gw_webrtc_leg_candidates(call->leg);
	p.end_of_candidates = true;
	p.setup = call->res.local_setup == GW_SDP_SETUP_ACTIVE ? "active" : "passive";
	/* A G.711-only browser (passthrough): answer with the one codec the
	 * bridge will use, so the browser cannot switch to another. */
	if (call->kind == GW_CALL_OUTBOUND && call->browser_opus_pt < 0)
		p.extra_codecs = call->res.pcmu_pt >= 0 ? pcmu_only : pcma_only;
	if (gw_sdp_answer_build(call->offer, &p, &res, &sdp, &reason)) {
		gw_error(call->log, "cannot build the answer: %s", reason);
		gw_call_end(call, 500, "cannot build the answer", true);
		goto out;
	}
	call->state = GW_CALL_ACTIVE;
	/* in µs: contrib/bench/run reads it for the `call` -> `answer` time */
	gw_info(call->log, "answer sent %" G_GINT64_FORMAT " us after the call",
		g_get_monotonic_time() - call->t_created);
	gw_call_send(call, json_pack("{s:s, s:s}", "type", "answer", "sdp", sdp));
	if (call->kind == GW_CALL_OUTBOUND)
		gw_call_sip_replay_state(call);
out:
	gw_sdp_answer_result_clear(&res);
	g_free(sdp);
	g_free(reason);
}

static void on_event_control(void *obj)
{
	struct call_event *e = obj;
	struct gw_call *call = e->call;

	if (call->state == GW_CALL_ENDED)
		return;
	switch (e->ev) {
	case GW_WEBRTC_GATHERED:
		if (call->kind == GW_CALL_INBOUND)
			gw_call_inbound_gathered(call);
		else
			send_answer(call);
		break;
	case GW_WEBRTC_DTLS_CONNECTED:
		gw_info(call->log, "browser media connected %" G_GINT64_FORMAT " ms after the start",
			(g_get_monotonic_time() - call->t_created) / 1000);
		if (call->kind == GW_CALL_ECHO)
			gw_call_send_state(call, "connected");
		break;
	case GW_WEBRTC_FAILED:
		gw_call_end(call, 480, e->reason ? e->reason : "media failed", true);
		break;
	case GW_WEBRTC_ICE_CONNECTED:
		break;
	}
}

static void call_event_destroy(void *obj)
{
	struct call_event *e = obj;

	gw_obj_deref(e->call);
	g_free(e->reason);
}

/* Media loop: hand the event to the control loop, which owns call state. */
static void on_leg_event(struct gw_webrtc_leg *leg, enum gw_webrtc_event ev, const char *reason,
			 void *arg)
{
	struct call_event *e = gw_obj_alloc(sizeof(*e), call_event_destroy);

	e->call = gw_obj_ref(arg);
	e->ev = ev;
	e->reason = g_strdup(reason);
	gw_loop_post(gw_loop_control(), on_event_control, e);
	gw_obj_deref(e);
}

/* Media loop: one decrypted RTP packet from the browser. */
static void on_leg_rtp(struct gw_webrtc_leg *leg, const struct gw_rtp_hdr *h, uint8_t *buf,
		       size_t len, int64_t rx_us, void *arg)
{
	struct gw_call *call = arg;

	if (call->kind == GW_CALL_ECHO)
		gw_call_echo_rtp(call, leg, h);
	else
		gw_call_bridge_from_browser(call, buf, len, rx_us);
}

bool gw_call_destination_allowed(struct gw_ws_session *s, const char *to)
{
	const char *const *allowed = gw_ws_session_allowed(s);

	if (!allowed)
		return true;
	for (; *allowed; allowed++)
		if (g_str_has_prefix(to, *allowed))
			return true;
	return false;
}

struct gw_call *gw_call_register(struct gw_ws_session *s, const char *id, enum gw_call_kind kind)
{
	char *key = call_key(s, id);
	struct gw_call *call;

	if (g_hash_table_contains(calls, key)) {
		g_free(key);
		return NULL;
	}
	call = gw_obj_alloc(sizeof(*call), call_destroy);
	call->key = key;
	call->id = g_strdup(id);
	call->kind = kind;
	g_snprintf(call->log, sizeof(call->log), "call %s (%s)", id, gw_ws_session_user(s));
	call->session = gw_obj_ref(s);
	call->t_created = g_get_monotonic_time();
	call->browser_opus_pt = GW_SDP_PT_OPUS;
	call->browser_te_pt = GW_SDP_PT_TE48;
	call->browser_te8_pt = GW_SDP_PT_TE8;
	g_hash_table_insert(calls, call->key, call); /* the registry's reference */
	return call;
}

int gw_call_start_leg(struct gw_call *call, const struct gw_webrtc_params *wp)
{
	struct gw_webrtc_params p = *wp;

	call->loop = gw_loop_pin();
	p.name = call->log;
	p.loop = call->loop;
	p.cfg = config;
	p.cert = dtls_cert;
	return gw_webrtc_leg_alloc(&call->leg, &p, on_leg_event, on_leg_rtp, call);
}

/* Refusals are logged at most every REFUSED_LOG_US (a retry storm would
 * flood the log otherwise), with how many went unlogged in between. */
#define REFUSED_LOG_US (10 * G_USEC_PER_SEC)

bool gw_call_overloaded(const char *what)
{
	static struct gw_log_limit refused_log; /* control thread */
	uint64_t unlogged;
	unsigned least;

	if (!gw_loops_busy_over((unsigned)config->media_max_busy_pct, &least))
		return false;
	if (gw_log_limit_pass(&refused_log, g_get_monotonic_time(), REFUSED_LOG_US, &unlogged))
		gw_warn(NULL, "%s refused: every media loop is at least %u%% busy (its last second, "
			"with the calls admitted since; media.max_busy_pct = %d); %" G_GUINT64_FORMAT
			" more refused since the last report", what, least,
			config->media_max_busy_pct, unlogged);
	return true;
}

bool gw_call_over_limit(struct gw_ws_session *s, json_t *tid, const char *id)
{
	if (gw_call_count() >= (unsigned)config->media_max_calls) {
		if (s)
			gw_ws_session_error(s, tid, id, GW_ERR_LIMIT, "too many calls (limit %d)",
					    config->media_max_calls);
		return true;
	}
	if (gw_call_overloaded("call")) {
		if (s)
			gw_ws_session_error(s, tid, id, GW_ERR_LIMIT, "gateway overloaded: its media "
					    "threads are busy (media.max_busy_pct); try again later");
		return true;
	}
	return false;
}

/* Start the leg of a call the browser placed, from its offer. */
static int start_offered_leg(struct gw_call *call)
{
	struct gw_webrtc_params wp = { 0 };
	GPtrArray *cands = g_ptr_array_new_with_free_func(g_free);
	char *fp;
	int rc;

	for (guint i = 0; call->res.remote_candidates && i < call->res.remote_candidates->len; i++)
		g_ptr_array_add(cands, gw_sdp_candidate_print(call->res.remote_candidates->pdata[i]));
	g_ptr_array_add(cands, NULL);
	fp = g_strdup_printf("%s %s", call->res.remote_fp_hash, call->res.remote_fp_value);
	wp.controlling = false;
	wp.dtls_role = call->res.local_setup == GW_SDP_SETUP_ACTIVE ? GW_DTLS_ROLE_CLIENT
								    : GW_DTLS_ROLE_SERVER;
	wp.remote_fingerprint = fp;
	wp.remote_ufrag = call->res.remote_ufrag;
	wp.remote_pwd = call->res.remote_pwd;
	wp.remote_candidates = (const char *const *)cands->pdata;
	wp.remote_end_of_candidates = call->res.remote_end_of_candidates;
	rc = gw_call_start_leg(call, &wp);
	g_ptr_array_free(cands, TRUE);
	g_free(fp);
	return rc;
}

static void on_call(struct gw_ws_session *s, json_t *msg, json_t *tid)
{
	const char *id, *to, *sdp;
	struct gw_sdp *offer = NULL;
	struct gw_sdp_jsep_params probe = { 0 };
	struct gw_sdp_answer_result res = { 0 };
	struct gw_call *call;
	char *reason = NULL, *key = NULL, *probe_sdp = NULL;
	json_t *privacy;
	bool echo;

	if (!(id = gw_api_require_string(s, msg, tid, "call")) ||
	    !(to = gw_api_require_string(s, msg, tid, "to")) ||
	    !(sdp = gw_api_require_string(s, msg, tid, "sdp")))
		return;
	if (strlen(id) > 64) {
		gw_ws_session_error(s, tid, NULL, GW_ERR_BAD_REQUEST, "call id longer than 64 bytes");
		return;
	}
	privacy = json_object_get(msg, "privacy"); /* outbound.c reads it */
	if (privacy && !json_is_boolean(privacy) && !json_is_null(privacy)) {
		gw_ws_session_error(s, tid, id, GW_ERR_BAD_REQUEST, "privacy must be true or false");
		return;
	}
	key = call_key(s, id);
	if (g_hash_table_contains(calls, key)) {
		gw_ws_session_error(s, tid, id, GW_ERR_BAD_REQUEST, "call '%s' already exists", id);
		goto out;
	}
	if (!gw_call_destination_allowed(s, to)) {
		gw_ws_session_error(s, tid, id, GW_ERR_UNAUTHORIZED, "not allowed to call '%s'", to);
		goto out;
	}
	echo = config->echo_enabled && !strcmp(to, config->echo_destination);
	if (!echo && !gw_call_outbound_routable(to)) {
		gw_ws_session_error(s, tid, id, GW_ERR_NOT_FOUND, "no route to '%s'", to);
		goto out;
	}
	if (gw_call_over_limit(s, tid, id))
		goto out;
	if (gw_sdp_parse(sdp, strlen(sdp), &offer, &reason)) {
		gw_ws_session_error(s, tid, id, GW_ERR_BAD_REQUEST, "bad offer: %s", reason);
		goto out;
	}
	/* First pass: validate the offer and learn the remote ICE/DTLS data;
	 * the real answer is built once our candidates are gathered. */
	probe.local_addr = "0.0.0.0";
	probe.ice_ufrag = "probe";
	probe.ice_pwd = "probeprobeprobeprobeprobe";
	probe.fingerprint = gw_cert_fingerprint(dtls_cert);
	if (!echo && config->media_passthrough)
		probe.extra_codecs = passthrough_codecs;
	if (gw_sdp_answer_build(offer, &probe, &res, &probe_sdp, &reason)) {
		gw_ws_session_error(s, tid, id, GW_ERR_BAD_REQUEST, "offer refused: %s", reason);
		goto out;
	}
	if (!echo && res.opus_pt < 0 && res.pcmu_pt < 0 && res.pcma_pt < 0) {
		gw_ws_session_error(s, tid, id, GW_ERR_BAD_REQUEST, "offer refused: no Opus%s",
				    config->media_passthrough ? " nor G.711" : "");
		goto out;
	}

	call = gw_call_register(s, id, echo ? GW_CALL_ECHO : GW_CALL_OUTBOUND);
	call->offer = g_steal_pointer(&offer);
	call->res = res;
	memset(&res, 0, sizeof(res));
	/* browser_opus_pt < 0: a G.711-only browser (passthrough, see bridge.c) */
	call->browser_opus_pt = call->res.opus_pt;
	call->browser_te_pt = call->res.opus_pt >= 0 ? call->res.te48_pt : call->res.te8_pt;
	call->browser_te8_pt = call->res.opus_pt >= 0 ? call->res.te8_pt : -1;
	if (echo)
		gw_call_echo_init(call);
	if (start_offered_leg(call)) {
		gw_ws_session_error(s, tid, id, GW_ERR_INTERNAL, "cannot start media");
		gw_call_end(call, 500, "cannot start media", false);
		goto out;
	}
	gw_info(call->log, "call to %s on %s", to, gw_loop_name(call->loop));
	if (!echo)
		gw_call_outbound_start(call, msg, tid, to);
out:
	gw_obj_deref(offer);
	gw_sdp_answer_result_clear(&res);
	g_free(probe_sdp);
	g_free(reason);
	g_free(key);
}

struct gw_call *gw_call_find(struct gw_ws_session *s, json_t *msg, json_t *tid)
{
	const char *id = gw_api_require_string(s, msg, tid, "call");
	char *key;
	struct gw_call *call;

	if (!id)
		return NULL;
	key = call_key(s, id);
	call = g_hash_table_lookup(calls, key);
	g_free(key);
	if (!call)
		gw_ws_session_error(s, tid, id, GW_ERR_NOT_FOUND, "no call '%.64s'", id);
	return call;
}

static void on_candidate(struct gw_ws_session *s, json_t *msg, json_t *tid)
{
	struct gw_call *call = gw_call_find(s, msg, tid);
	json_t *c;

	if (!call)
		return;
	c = json_object_get(msg, "candidate");
	if (json_is_null(c) || (json_is_string(c) && json_string_length(c) == 0)) {
		gw_webrtc_leg_end_of_candidates(call->leg);
	} else if (json_is_string(c)) {
		gw_webrtc_leg_add_candidate(call->leg, json_string_value(c));
	} else if (json_is_object(c) && json_is_string(json_object_get(c, "candidate"))) {
		/* RTCIceCandidate.toJSON() form */
		const char *v = json_string_value(json_object_get(c, "candidate"));

		if (*v)
			gw_webrtc_leg_add_candidate(call->leg, v);
		else
			gw_webrtc_leg_end_of_candidates(call->leg);
	} else {
		gw_ws_session_error(s, tid, call->id, GW_ERR_BAD_REQUEST,
				    c ? "field 'candidate' must be a string or null"
				      : "missing field 'candidate'");
	}
}

static void on_hangup(struct gw_ws_session *s, json_t *msg, json_t *tid)
{
	struct gw_call *call = gw_call_find(s, msg, tid);
	json_t *reply;

	if (!call)
		return;
	if (call->inbound && !call->inbound->reject_code)
		call->inbound->reject_code = 486; /* hanging up a ringing call declines it */
	reply = json_pack("{s:s, s:s, s:i, s:s}", "type", "hangup", "call", call->id, "code", 200,
			  "reason", "ended by the browser");
	if (tid)
		json_object_set(reply, "tid", tid);
	gw_call_end(call, 200, "ended by the browser", false);
	gw_ws_session_send(s, reply);
}

static void on_session_close(struct gw_ws_session *s, void *arg)
{
	GHashTableIter it;
	gpointer value;
	GPtrArray *mine = g_ptr_array_new();

	g_hash_table_iter_init(&it, calls);
	while (g_hash_table_iter_next(&it, NULL, &value))
		if (((struct gw_call *)value)->session == s)
			g_ptr_array_add(mine, value);
	for (guint i = 0; i < mine->len; i++)
		gw_call_end(mine->pdata[i], 487, "browser session closed", false);
	g_ptr_array_free(mine, TRUE);
}

static json_t *health(void *arg)
{
	json_t *h = json_pack("{s:I}", "calls", (json_int_t)gw_call_count());
	json_t *loops = json_array();

	/* each media loop's calls and its last second's load (admission,
	 * media.max_busy_pct, adds the calls pinned since) */
	for (unsigned i = 0; i < gw_loop_count(); i++) {
		struct gw_loop *l = gw_loop_nth(i);

		json_array_append_new(loops, json_pack("{s:s, s:I, s:I}", "loop", gw_loop_name(l),
						       "calls", (json_int_t)gw_loop_pinned(l),
						       "busy_pct", (json_int_t)gw_loop_busy_pct(l)));
	}
	json_object_set_new(h, "media_loops", loops);
	if (sip_ua) {
		json_t *sip = gw_sip_health(sip_ua);

		json_object_set_new(sip, "dialogs", json_integer(gw_sip_dialog_count(sip_ua)));
		json_object_set_new(h, "sip", sip);
	}
	return h;
}

int gw_call_init(const struct gw_config *cfg)
{
	char *cert = NULL, *key = NULL, *err = NULL;
	int rc;

	config = cfg;
	if (*cfg->dtls_cert) {
		cert = g_strdup(cfg->dtls_cert);
		key = g_strdup(cfg->dtls_key);
	} else {
		cert = g_build_filename(cfg->state_dir, "dtls-cert.pem", NULL);
		key = g_build_filename(cfg->state_dir, "dtls-key.pem", NULL);
	}
	rc = gw_cert_load_or_generate(cert, key, "rtcsip", &dtls_cert, &err);
	if (rc) {
		gw_error(NULL, "DTLS certificate: %s", err);
		goto out;
	}
	gw_info(NULL, "DTLS certificate %s (%s)", cert, gw_cert_fingerprint(dtls_cert));
	calls = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, gw_obj_release);
	gw_signal_set_health(health, NULL);
	gw_signal_on_session_close(on_session_close, NULL);
	gw_signal_register("call", on_call);
	gw_signal_register("candidate", on_candidate);
	gw_signal_register("hangup", on_hangup);
	gw_call_sip_init_api();
	gw_call_inbound_init();
out:
	g_free(cert);
	g_free(key);
	g_free(err);
	return rc;
}

void gw_call_cleanup(void)
{
	if (calls)
		g_hash_table_destroy(calls);
	calls = NULL;
	dtls_cert = gw_obj_deref(dtls_cert);
}

unsigned gw_call_count(void)
{
	return calls ? g_hash_table_size(calls) : 0;
}

void gw_call_hangup_all(int code, const char *reason)
{
	GList *all;

	if (!calls)
		return;
	all = g_hash_table_get_values(calls);
	for (GList *l = all; l; l = l->next)
		gw_call_end(l->data, code, reason, true);
	g_list_free(all);
}
