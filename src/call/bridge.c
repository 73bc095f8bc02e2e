/* bridge.c — the media loop half of a SIP call: the media engine between
 * the browser's WebRTC leg and the SIP-side RTP socket, clocked by a 20 ms
 * tick.  Every function named gw_call_bridge_* posts to the call's media
 * loop; the static ones run there and own call->media / call->tick.  Digits
 * the engine hears from SIP go back to the control loop as `dtmf` messages.
 */
#include "call_priv.h"
#include "gw/config.h"
#include "gw/loop.h"
#include "gw/log.h"
#include "gw/obj.h"
#include "gw/rtp_socket.h"
#include "gw/signal.h"

/* An op carried to the media loop (or a digit carried back). */
struct bridge_op {
	struct gw_call *call;           /* reference */
	struct gw_call_sip_media sip;   /* set_sip */
	char digits[48];                /* dtmf to SIP, one digit from SIP, or a reason */
	unsigned duration_ms;
	int code;                       /* end: the SIP code */
};

static void op_destroy(void *obj)
{
	struct bridge_op *op = obj;

	gw_obj_deref(op->call);
}

static struct bridge_op *op_new(struct gw_call *call)
{
	struct bridge_op *op = gw_obj_alloc(sizeof(*op), op_destroy);

	op->call = gw_obj_ref(call);
	return op;
}

static void post(struct gw_call *call, gw_loop_work_h *fn, struct bridge_op *op)
{
	gw_loop_post(call->loop, fn, op);
	gw_obj_deref(op);
}

/* ---- engine outputs (media loop, synchronous from feed/tick) ---- */

/* A packet has just been sent: count the time since what made the engine
 * send it (call->lat_origin_us, set around feed and tick; 0: not timed). */
static void lat_count(struct gw_call *call, struct gw_lat_hist *h)
{
	if (call->lat_origin_us)
		gw_lat_hist_add(h, g_get_monotonic_time() - call->lat_origin_us);
}

static void to_sip(uint8_t *rtp, size_t len, size_t cap, void *arg)
{
	struct gw_call *call = arg;

	gw_rtp_socket_send(call->rtp, rtp, len);
	lat_count(call, &call->lat_to_sip);
}

/* Protected in place: the engine leaves GW_MEDIA_SEND_ROOM for the tag. */
G_STATIC_ASSERT(GW_MEDIA_SEND_ROOM >= GW_WEBRTC_SRTP_TRAILER);

static void to_browser(uint8_t *rtp, size_t len, size_t cap, void *arg)
{
	struct gw_call *call = arg;

	gw_webrtc_leg_send_rtp(call->leg, rtp, len, cap);
	lat_count(call, &call->lat_to_browser);
}

static void dtmf_to_control(void *obj)
{
	struct bridge_op *op = obj;
	struct gw_call *call = op->call;

	if (call->state == GW_CALL_ENDED)
		return;
	gw_info(call->log, "DTMF '%s' from SIP (%u ms)", op->digits, op->duration_ms);
	gw_call_send(call, json_pack("{s:s, s:s, s:i}", "type", "dtmf", "digit", op->digits,
				     "duration_ms", (int)op->duration_ms));
}

static void on_dtmf(char digit, unsigned duration_ms, enum gw_media_dtmf_source src, void *arg)
{
	struct bridge_op *op = op_new(arg);

	op->digits[0] = digit;
	op->duration_ms = duration_ms;
	gw_loop_post(gw_loop_control(), dtmf_to_control, op);
	gw_obj_deref(op);
}

static void end_to_control(void *obj)
{
	struct bridge_op *op = obj;

	gw_call_end(op->call, op->code, op->digits, true);
}

/* Media loop: end the call with @code (BYE with a Reason, hangup @code to
 * the browser) because of @why. */
static void end_from_loop(struct gw_call *call, int code, const char *why)
{
	struct bridge_op *op = op_new(call);

	op->code = code;
	g_strlcpy(op->digits, why, sizeof(op->digits));
	gw_loop_post(gw_loop_control(), end_to_control, op);
	gw_obj_deref(op);
}

/* Media loop: the SIP side's media cannot run; end the call (BYE 488). */
static void media_failed(struct gw_call *call, const char *why)
{
	end_from_loop(call, 488, why);
}

/* ---- inputs ---- */

static uint64_t now_us(void)
{
	return (uint64_t)g_get_monotonic_time();
}

/* The engine times arrivals by when they are read (its jitter buffer must
 * cover the loop's own delays); the latency count starts at the kernel's
 * arrival stamp @rx_us. */
void gw_call_bridge_from_browser(struct gw_call *call, uint8_t *buf, size_t len, gint64 rx_us)
{
	if (!call->media || call->media_stopped)
		return;
	call->lat_origin_us = rx_us;
	gw_media_session_feed_from_browser(call->media, buf, len, now_us());
	call->lat_origin_us = 0;
}

static void from_sip(struct gw_rtp_socket *s, uint8_t *buf, size_t len, int64_t rx_us, void *arg)
{
	struct gw_call *call = arg;

	if (!call->media || call->media_stopped)
		return;
	call->lat_origin_us = rx_us;
	gw_media_session_feed_from_sip(call->media, buf, len, now_us());
	call->lat_origin_us = 0;
}

/* media.rtp_timeout: once a second, has the far end's RTP count moved?
 * Only while RTP is expected (answered, not on hold); only RTP from the
 * call's media source counts (rtp_socket.c drops strangers'), so spraying
 * the port cannot keep a dead call up. */
static void check_rtp(struct gw_call *call, gint64 now)
{
	uint64_t n;
	char why[48];

	if (!call->rtp_expected || call->rtp_timed_out || now < call->rtp_check_us)
		return;
	call->rtp_check_us = now + G_USEC_PER_SEC;
	n = gw_rtp_socket_source_packets(call->rtp);
	if (n != call->rtp_seen_count) {
		call->rtp_seen_count = n;
		call->rtp_seen_us = now;
		return;
	}
	if (now - call->rtp_seen_us < call->rtp_timeout_us)
		return;
	call->rtp_timed_out = true;
	g_snprintf(why, sizeof(why), "no RTP from the far end for %" G_GINT64_FORMAT " s",
		   (now - call->rtp_seen_us) / G_USEC_PER_SEC);
	gw_warn(call->log, "%s: ending the call", why);
	end_from_loop(call, 408, why);
}

/* Whether RTP is expected now (answered, neither side holding, the far
 * end's direction lets it send, no transfer under way).  The clock starts
 * over on @restart (an answer, a hold or resume, a new address, a transfer
 * starting or ending) and when RTP becomes expected; a session refresh
 * with the same SDP does not restart it. */
static void expect_rtp(struct gw_call *call, bool restart)
{
	bool was = call->rtp_expected;

	call->rtp_timeout_us = (gint64)gw_call_config()->media_rtp_timeout * G_USEC_PER_SEC;
	call->rtp_expected = call->rtp_timeout_us && call->bridge_answered && !call->bridge_quiet &&
			     !call->bridge_paused;
	if (!restart && was)
		return;
	call->rtp_seen_us = g_get_monotonic_time();
	call->rtp_seen_count = gw_rtp_socket_source_packets(call->rtp);
	call->rtp_check_us = 0;
}

/* The loop's shared media clock, every 20 ms at @due on its grid: the
 * engine's frames follow the grid; what it sends waited from when its
 * first frame fell due (earlier than @due when the loop skipped rounds).
 * How late the round started tells the engine when to shed encoder work
 * (media.overload_late_ms). */
static void on_tick(void *arg, gint64 due)
{
	struct gw_call *call = arg;

	if (call->media) {
		uint64_t first = gw_media_session_frame_due(call->media);

		call->lat_origin_us = first && first < (uint64_t)due ? (gint64)first : due;
		gw_media_session_set_late(call->media, (uint64_t)gw_loop_round_late_us(call->loop));
		gw_media_session_tick(call->media, (uint64_t)due);
		call->lat_origin_us = 0;
	}
	check_rtp(call, due);
}

/* ---- ops on the media loop ---- */

static void start_on_loop(void *obj)
{
	struct bridge_op *op = obj;
	struct gw_call *call = op->call;

	if (call->media_stopped || call->tick)
		return;
	gw_rtp_socket_start(call->rtp, call->loop, from_sip, call);
	/* The tick does not own the call: stop_on_loop removes it first. */
	call->tick = gw_loop_tick_add(call->loop, on_tick, call);
}

/* The browser leg's codec: Opus, or the G.711 a browser offered alone
 * (call.c accepts that with media.passthrough = true). */
static void browser_codec(const struct gw_call *call, struct gw_media_config *mc)
{
	if (call->browser_opus_pt >= 0) {
		mc->browser_codec = GW_MEDIA_CODEC_OPUS;
		mc->browser_pt = (uint8_t)call->browser_opus_pt;
	} else if (call->res.pcmu_pt >= 0) {
		mc->browser_codec = GW_MEDIA_CODEC_PCMU;
		mc->browser_pt = (uint8_t)call->res.pcmu_pt;
	} else {
		mc->browser_codec = GW_MEDIA_CODEC_PCMA;
		mc->browser_pt = (uint8_t)call->res.pcma_pt;
	}
}

static void set_sip_on_loop(void *obj)
{
	struct bridge_op *op = obj;
	struct gw_call *call = op->call;
	const struct gw_call_sip_media *m = &op->sip;
	struct gw_media_config mc;
	bool quiet, restart;

	if (call->media_stopped)
		return;
	/* (an address the socket refuses, of the other family, trusts none) */
	gw_rtp_socket_set_peer(call->rtp, m->peer_ip);
	if (gw_rtp_socket_set_remote(call->rtp, m->hold ? "0.0.0.0" : m->addr, m->port,
				     m->symmetric)) {
		gw_error(call->log, "cannot send RTP to %s:%u", m->addr, m->port);
		media_failed(call, "unusable SIP media address");
		return;
	}
	if (!call->media) {
		const struct gw_config *cfg = gw_call_config();

		gw_media_config_init(&mc);
		browser_codec(call, &mc);
		mc.browser_te_pt = call->browser_te_pt;
		mc.browser_te8_pt = call->browser_te8_pt;
		mc.passthrough = cfg->media_passthrough;
		mc.sip_codec = m->codec;
		mc.sip_pt = m->pt;
		mc.sip_ptime_ms = m->ptime;
		mc.sip_te_pt = m->te_pt;
		mc.sip_cn_pt = m->cn_pt;
		mc.opus.complexity = cfg->media_opus_complexity;
		mc.opus.bitrate = cfg->media_opus_bitrate;
		mc.opus.fec = cfg->media_opus_fec;
		mc.opus.loss_pct = cfg->media_opus_expected_loss;
		mc.opus_overload_complexity = cfg->media_overload_opus_complexity;
		mc.overload_late_ms = (unsigned)cfg->media_overload_late_ms;
		mc.jitter_max_ms = (unsigned)cfg->media_jitter_max_ms;
		mc.jitter_start_ms = (unsigned)cfg->media_jitter_start_ms;
		mc.log_ctx = call->log;
		if (gw_media_session_new(&mc, to_sip, to_browser, on_dtmf, call, &call->media)) {
			gw_error(call->log, "cannot start the media engine (%s/%u ptime %u)",
				 gw_media_codec_name(m->codec), m->pt, m->ptime);
			media_failed(call, "unusable SIP media");
			return;
		}
		gw_info(call->log, "media: browser %s/%u <-> SIP %s/%u ptime %u te %d, to %s:%u%s%s",
			gw_media_codec_name(mc.browser_codec), mc.browser_pt,
			gw_media_codec_name(m->codec), m->pt, m->ptime, m->te_pt, m->addr, m->port,
			m->symmetric ? " (symmetric)" : "",
			gw_media_session_is_passthrough(call->media) ? " (passthrough)" : "");
	} else if (gw_media_session_set_sip_codec(call->media, m->codec, m->pt, m->ptime, m->te_pt)) {
		gw_warn(call->log, "re-INVITE: cannot switch to %s/%u ptime %u; keeping the old codec",
			gw_media_codec_name(m->codec), m->pt, m->ptime);
	}
	/* digits are never dropped for waiting in a socket (media.max_queue_ms):
	 * the SIP side's telephone-event the engine uses, the browser's both;
	 * the browser's audio has its age guessed when read without a stamp */
	gw_rtp_socket_set_event_pt(call->rtp, gw_media_session_sip_event_pt(call->media));
	if (call->leg) {
		struct gw_rtp_pts te = { { 0 } };
		struct gw_media_config bc;

		gw_rtp_pts_add(&te, call->browser_te_pt);
		gw_rtp_pts_add(&te, call->browser_te8_pt);
		browser_codec(call, &bc);
		gw_webrtc_leg_set_rx_pts(call->leg, bc.browser_pt,
					 gw_media_codec_clock(bc.browser_codec), &te);
	}
	gw_media_session_set_hold(call->media, m->hold);
	quiet = m->hold || !m->far_sends;
	restart = quiet != call->bridge_quiet || m->port != call->bridge_port ||
		  strcmp(m->addr, call->bridge_addr) != 0;
	call->bridge_quiet = quiet;
	call->bridge_port = m->port;
	g_strlcpy(call->bridge_addr, m->addr, sizeof(call->bridge_addr));
	expect_rtp(call, restart);
}

static void dtmf_on_loop(void *obj)
{
	struct bridge_op *op = obj;
	struct gw_call *call = op->call;

	if (call->media_stopped || !call->media)
		return;
	for (const char *d = op->digits; *d; d++) {
		int rc = gw_media_session_send_dtmf_to_sip(call->media, *d, op->duration_ms);

		if (rc)
			gw_warn(call->log, "DTMF '%c' not sent: %s", *d, g_strerror(rc));
	}
}

/* Time inside the gateway per packet sent, both ways: percentiles for a
 * reader, the histogram (gw_lat_hist_format) for contrib/bench/run, which
 * sums it over calls.  One line each, within the log's 2048 bytes. */
#define LAT_LINE_MAX 1800
static void log_latency(struct gw_call *call)
{
	const struct gw_lat_hist *h[2] = { &call->lat_to_sip, &call->lat_to_browser };
	const char *name[2] = { "to_sip", "to_browser" };
	char *hist = g_malloc(LAT_LINE_MAX);

	for (int i = 0; i < 2; i++)
		gw_info(call->log, "media latency %s: n=%" G_GUINT64_FORMAT " p50=%" G_GUINT64_FORMAT
			"us p99=%" G_GUINT64_FORMAT "us max=%" G_GUINT64_FORMAT "us hist=%s", name[i],
			h[i]->count, gw_lat_hist_percentile(h[i], 50),
			gw_lat_hist_percentile(h[i], 99), h[i]->max_us,
			gw_lat_hist_format(h[i], hist, LAT_LINE_MAX));
	g_free(hist);
}

/* One line per call at its end: what an admin (and contrib/bench/run,
 * which reads it for loss and jitter-buffer depth) wants to know. */
static void log_counters(struct gw_call *call)
{
	struct gw_media_counters k;
	struct gw_rtp_socket_stats rs = { 0 };
	struct gw_webrtc_stats ws = { 0 };

	gw_media_session_get_counters(call->media, &k);
	gw_rtp_socket_stats(call->rtp, &rs); /* NULL-safe: rs stays zero */
	if (call->leg)
		gw_webrtc_leg_stats(call->leg, &ws);
	gw_info(call->log, "media counters: browser_rx=%" G_GUINT64_FORMAT " browser_lost=%"
		G_GUINT64_FORMAT " browser_tx=%" G_GUINT64_FORMAT " sip_tx=%" G_GUINT64_FORMAT
		" sip_rx=%" G_GUINT64_FORMAT " fec_recovered=%" G_GUINT64_FORMAT " plc=%"
		G_GUINT64_FORMAT " jb_concealed=%" G_GUINT64_FORMAT " jb_late=%" G_GUINT64_FORMAT
		" jb_dropped=%" G_GUINT64_FORMAT " jb_shrunk=%" G_GUINT64_FORMAT " jb_accel_ms=%"
		G_GUINT64_FORMAT " jb_delay_ms=%u"
		" jb_target_ms=%u passthrough=%d sip_foreign=%" G_GUINT64_FORMAT " codec_us=%"
		G_GUINT64_FORMAT " overload_frames=%" G_GUINT64_FORMAT " browser_stale=%"
		G_GUINT64_FORMAT " sip_stale=%" G_GUINT64_FORMAT " unknown_pt=%" G_GUINT64_FORMAT
		" undecodable=%" G_GUINT64_FORMAT " dtmf_to_sip=%" G_GUINT64_FORMAT,
		k.browser_rx_packets, k.browser_lost, k.browser_tx_packets, k.sip_tx_packets,
		k.sip_rx_packets, k.fec_recovered, k.plc_frames, k.jb_concealed, k.jb_late,
		k.jb_dropped, k.jb_shrunk, k.jb_accel_ms, k.jb_delay_ms, k.jb_target_ms,
		gw_media_session_is_passthrough(call->media), rs.foreign, k.codec_us,
		k.overload_frames, ws.dropped_stale, rs.stale, k.unknown_pt, k.undecodable,
		k.dtmf_to_sip);
	log_latency(call);
}

static void stop_on_loop(void *obj)
{
	struct bridge_op *op = obj;
	struct gw_call *call = op->call;

	if (call->media_stopped)
		return;
	call->media_stopped = true;
	if (call->tick) {
		gw_loop_tick_remove(call->tick);
		call->tick = NULL;
	}
	if (call->rtp)
		gw_rtp_socket_close(call->rtp);
	if (call->media)
		log_counters(call);
	call->media = gw_obj_deref(call->media);
}

/* ---- control loop side ---- */

void gw_call_bridge_start(struct gw_call *call)
{
	post(call, start_on_loop, op_new(call));
}

static void answered_on_loop(void *obj)
{
	struct bridge_op *op = obj;

	op->call->bridge_answered = true;
	expect_rtp(op->call, true);
}

void gw_call_bridge_answered(struct gw_call *call)
{
	post(call, answered_on_loop, op_new(call));
}

static void pause_on_loop(void *obj)
{
	struct bridge_op *op = obj;

	op->call->bridge_paused = op->code != 0;
	expect_rtp(op->call, true);
}

void gw_call_bridge_rtp_pause(struct gw_call *call, bool paused)
{
	struct bridge_op *op = op_new(call);

	op->code = paused;
	post(call, pause_on_loop, op);
}

void gw_call_bridge_set_sip(struct gw_call *call, const struct gw_call_sip_media *m)
{
	struct bridge_op *op = op_new(call);

	op->sip = *m;
	post(call, set_sip_on_loop, op);
}

void gw_call_bridge_dtmf(struct gw_call *call, const char *digits, unsigned duration_ms)
{
	struct bridge_op *op = op_new(call);

	g_strlcpy(op->digits, digits, sizeof(op->digits));
	op->duration_ms = duration_ms;
	post(call, dtmf_on_loop, op);
}

void gw_call_bridge_stop(struct gw_call *call)
{
	post(call, stop_on_loop, op_new(call));
}
