/* leg.c — a WebRTC media transport on one media loop: ICE (ice.c), the
 * RFC 7983 demux, DTLS-SRTP (dtls.c, srtp.c) and RTCP reports (rtcp.c).
 *
 * Owns its ICE agent, DTLS endpoint and SRTP contexts.  All state below is
 * touched only on the leg's media loop, except the fields marked
 * "immutable after GATHERED".  Cross-thread calls post small ops that hold
 * a reference on the leg.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include "gw/webrtc.h"
#include "gw/ice.h"
#include "gw/dtls.h"
#include "gw/srtp.h"
#include "gw/rtcp.h"
#include "gw/rtp.h"
#include "gw/cert.h"
#include "gw/config.h"
#include "gw/loop.h"
#include "gw/obj.h"
#include "gw/log.h"

#define RTCP_INTERVAL_MS 2500
/* A browser sends a handful; more is a client bug or an attempt to make
 * the gateway send connectivity checks to arbitrary addresses. */
#define MAX_REMOTE_CANDIDATES 32
#define MAX_DATAGRAM 1500

struct gw_webrtc_leg {
	char *name;
	struct gw_loop *loop;          /* reference */
	const struct gw_config *cfg;   /* borrowed: the daemon's config outlives calls */
	struct gw_cert *cert;          /* reference */
	gw_webrtc_event_h *eventh;
	gw_webrtc_rtp_h *rtph;
	void *arg;                     /* the owner (a gw_obj): reference until close */
	unsigned remote_cands;         /* remote candidates taken, bounded */

	bool controlling;
	enum gw_dtls_role role;
	char *remote_fp, *remote_ufrag, *remote_pwd;
	GPtrArray *pending_cands;      /* before the agent exists */
	bool remote_eoc;

	struct gw_ice_agent *ice;      /* reference */
	struct gw_dtls *dtls;          /* reference */
	struct gw_srtp *srtp;          /* owned */
	/* RTCP reports every RTCP_INTERVAL_MS, off the loop's shared clock
	 * (not a GSource per call, which GLib would walk on every iteration of
	 * the loop); the tick holds a reference on the leg until close. */
	struct gw_loop_tick *rtcp_clock;
	gint64 rtcp_due;        /* monotonic µs */

	/* immutable after GATHERED */
	char *ufrag, *pwd;
	char **cands;
	char fingerprint[GW_CERT_FINGERPRINT_MAX];

	bool gathered, ice_connected, dtls_started, failed, closed;
	bool prompt;            /* holds its loop prompt (set-up) */
	gint64 t_start;
	struct gw_webrtc_stats st;

	struct gw_rtcp_rx_stats rx;
	struct gw_rtcp_sender tx;
	bool rx_any;
};

/* A cross-thread operation carrying a leg reference and maybe strings. */
struct leg_op {
	struct gw_webrtc_leg *leg;
	char *a, *b, *c;
	enum gw_dtls_role role;
};

static void leg_op_destroy(void *obj)
{
	struct leg_op *op = obj;

	gw_obj_deref(op->leg);
	g_free(op->a);
	g_free(op->b);
	g_free(op->c);
}

static struct leg_op *leg_op_new(struct gw_webrtc_leg *leg, const char *a, const char *b,
				 const char *c)
{
	struct leg_op *op = gw_obj_alloc(sizeof(*op), leg_op_destroy);

	op->leg = gw_obj_ref(leg);
	op->a = g_strdup(a);
	op->b = g_strdup(b);
	op->c = g_strdup(c);
	return op;
}

static void post_op(struct gw_webrtc_leg *leg, gw_loop_work_h *fn, struct leg_op *op)
{
	gw_loop_post(leg->loop, fn, op);
	gw_obj_deref(op);
}

static void emit(struct gw_webrtc_leg *leg, enum gw_webrtc_event ev, const char *reason)
{
	if (!leg->closed && leg->eventh)
		leg->eventh(leg, ev, reason, leg->arg);
}

/* While the leg sets up (from when the far end is known, below, until
 * DTLS is up, the leg fails or closes) its loop answers every packet at
 * once (gw_loop_hold_prompt): ICE checks and the DTLS flights must not
 * wait for the clock's slots. */
static void prompt_release(struct gw_webrtc_leg *leg)
{
	if (leg->prompt) {
		leg->prompt = false;
		gw_loop_release_prompt(leg->loop);
	}
}

static void fail(struct gw_webrtc_leg *leg, const char *reason)
{
	prompt_release(leg);
	if (leg->failed || leg->closed)
		return;
	leg->failed = true;
	gw_warn(leg->name, "media transport failed: %s", reason);
	emit(leg, GW_WEBRTC_FAILED, reason);
}

static gint64 ms_since_start(const struct gw_webrtc_leg *leg)
{
	return (g_get_monotonic_time() - leg->t_start) / 1000;
}

/* --- RTCP --- */

static void rtcp_send(struct gw_webrtc_leg *leg)
{
	uint8_t buf[MAX_DATAGRAM];
	struct gw_rtcp_report_block block, *bp = NULL;
	size_t len = 0;
	uint64_t now = gw_rtcp_ntp_now();

	if (!leg->srtp || leg->closed)
		return;
	if (!leg->tx.ssrc)
		leg->tx.ssrc = g_random_int() | 1;
	if (leg->rx_any && gw_rtcp_rx_stats_report(&leg->rx, now, &block) == 0)
		bp = &block;
	leg->tx.info.ntp = now;
	if (gw_rtcp_build_report(buf, sizeof(buf) - GW_WEBRTC_SRTP_TRAILER, &len, &leg->tx, bp,
				 "rtcsip") ||
	    gw_srtp_protect_rtcp(leg->srtp, buf, &len, sizeof(buf)))
		return;
	leg->tx.sent_rtp = false;
	if (gw_ice_agent_send(leg->ice, buf, len) == 0)
		leg->st.rtcp_out++;
}

static void rtcp_on_clock(void *arg, gint64 due)
{
	struct gw_webrtc_leg *leg = arg;

	if (due < leg->rtcp_due)
		return;
	leg->rtcp_due = due + (gint64)RTCP_INTERVAL_MS * 1000;
	rtcp_send(leg);
}

static void rtcp_stop(struct gw_webrtc_leg *leg)
{
	if (!leg->rtcp_clock)
		return;
	gw_loop_tick_remove(leg->rtcp_clock);
	leg->rtcp_clock = NULL;
	gw_obj_deref(leg); /* the tick's */
}

static void on_rtcp(struct gw_webrtc_leg *leg, uint8_t *buf, size_t len)
{
	struct gw_rtcp_info info;
	uint64_t now = gw_rtcp_ntp_now();

	if (gw_srtp_unprotect_rtcp(leg->srtp, buf, &len))
		return; /* counted by srtp.c */
	if (gw_rtcp_parse(buf, len, &info)) {
		leg->st.rtcp_malformed++;
		return;
	}
	leg->st.rtcp_in++;
	if (info.has_sr)
		gw_rtcp_rx_stats_on_sr(&leg->rx, info.sr.ntp, now);
	for (unsigned i = 0; i < info.n_blocks; i++) {
		const struct gw_rtcp_report_block *b = &info.blocks[i];
		uint32_t rtt;

		if (b->ssrc != leg->tx.ssrc)
			continue;
		if (gw_rtcp_rtt_ms(b, now, &rtt) == 0)
			leg->st.rtt_ms = rtt;
		leg->st.remote_jitter = b->jitter;
		leg->st.remote_cumulative_lost = b->cumulative_lost > 0 ? (uint32_t)b->cumulative_lost : 0;
	}
}

/* --- receive path: RFC 7983 demux --- */

static void on_srtp(struct gw_webrtc_leg *leg, const uint8_t *data, size_t len, gint64 rx_us)
{
	uint8_t buf[MAX_DATAGRAM + GW_WEBRTC_SRTP_TRAILER];
	struct gw_rtp_hdr h;

	if (!leg->srtp) {
		leg->st.dropped_before_keys++;
		return;
	}
	if (len > MAX_DATAGRAM) {
		leg->st.dropped_unknown++;
		return;
	}
	memcpy(buf, data, len);
	if (gw_rtp_is_rtcp(buf, len)) {
		on_rtcp(leg, buf, len);
		return;
	}
	if (gw_srtp_unprotect(leg->srtp, buf, &len))
		return; /* auth failure or replay: counted by srtp.c */
	if (gw_rtp_parse(buf, len, &h))
		return;
	leg->st.rtp_in++;
	leg->st.bytes_in += len;
	/* Arrival in the 48 kHz Opus clock for jitter (RFC 3550 A.8). */
	gw_rtcp_rx_stats_update(&leg->rx, h.ssrc, h.seq, h.ts,
				(uint32_t)(rx_us * 48 / 1000));
	if (!leg->rx_any && leg->dtls)
		gw_dtls_retire(leg->dtls); /* the peer has its keys: DTLS is done */
	leg->rx_any = true;
	if (leg->rtph && !leg->closed)
		leg->rtph(leg, &h, buf, len, rx_us, leg->arg);
}

static void ice_recv(const uint8_t *buf, size_t len, int64_t rx_us, void *arg)
{
	struct gw_webrtc_leg *leg = arg;

	if (leg->closed || len == 0)
		return;
	if (buf[0] >= 20 && buf[0] <= 63) {
		if (leg->dtls)
			gw_dtls_recv(leg->dtls, buf, len);
		else
			leg->st.dropped_before_keys++;
	} else if (buf[0] >= 128 && buf[0] <= 191) {
		on_srtp(leg, buf, len, rx_us);
	} else {
		leg->st.dropped_unknown++;
	}
}

/* --- DTLS --- */

static void dtls_send(const uint8_t *buf, size_t len, void *arg)
{
	struct gw_webrtc_leg *leg = arg;

	if (leg->ice && !leg->closed)
		gw_ice_agent_send(leg->ice, buf, len);
}

static void dtls_done(int err, const struct gw_srtp_keys *keys, const char *reason, void *arg)
{
	struct gw_webrtc_leg *leg = arg;
	char why[160];

	if (err) {
		g_snprintf(why, sizeof(why), "dtls: %s", reason ? reason : g_strerror(err));
		fail(leg, why);
		return;
	}
	if (leg->srtp)
		return;
	if (gw_srtp_alloc(&leg->srtp, keys)) {
		fail(leg, "srtp: cannot create the session");
		return;
	}
	prompt_release(leg);
	leg->st.dtls_ms = ms_since_start(leg);
	gw_info(leg->name, "DTLS connected after %" G_GINT64_FORMAT " ms (%s)", leg->st.dtls_ms,
		gw_srtp_profile_name(keys->profile));
	if (!leg->closed && !leg->rtcp_clock) {
		leg->rtcp_due = g_get_monotonic_time() + (gint64)RTCP_INTERVAL_MS * 1000;
		leg->rtcp_clock = gw_loop_tick_add(leg->loop, rtcp_on_clock, gw_obj_ref(leg));
	}
	emit(leg, GW_WEBRTC_DTLS_CONNECTED, NULL);
}

static void dtls_maybe_start(struct gw_webrtc_leg *leg)
{
	if (leg->closed || leg->failed || !leg->remote_fp)
		return;
	/* The far end is known: at the start for a browser's offer, with the
	 * browser's answer for a call from SIP (not while it rings). */
	if (!leg->prompt && !leg->srtp) {
		leg->prompt = true;
		gw_loop_hold_prompt(leg->loop);
	}
	if (!leg->dtls) {
		if (gw_dtls_alloc(&leg->dtls, gw_loop_context(leg->loop), leg->cert, leg->role,
				  leg->remote_fp, dtls_send, dtls_done, leg)) {
			fail(leg, "dtls: cannot create the endpoint");
			return;
		}
		gw_dtls_set_log_ctx(leg->dtls, leg->name);
	}
	/* The client speaks first, once a candidate pair works. */
	if (!leg->dtls_started && (leg->role == GW_DTLS_ROLE_SERVER || leg->ice_connected)) {
		leg->dtls_started = true;
		if (gw_dtls_start(leg->dtls))
			fail(leg, "dtls: cannot start the handshake");
	}
}

/* --- ICE --- */

static void ice_state(enum gw_ice_state st, const char *reason, void *arg)
{
	struct gw_webrtc_leg *leg = arg;
	struct gw_ice_stats is;

	if (leg->closed)
		return;
	if (st == GW_ICE_CONNECTED && !leg->ice_connected) {
		leg->ice_connected = true;
		leg->st.ice_ms = ms_since_start(leg);
		gw_ice_agent_stats(leg->ice, &is);
		g_snprintf(leg->st.selected_pair, sizeof(leg->st.selected_pair), "%s <-> %s",
			   is.local, is.remote);
		gw_info(leg->name, "ICE connected after %" G_GINT64_FORMAT " ms: %s", leg->st.ice_ms,
			leg->st.selected_pair);
		emit(leg, GW_WEBRTC_ICE_CONNECTED, NULL);
		dtls_maybe_start(leg);
	} else if (st == GW_ICE_FAILED) {
		char why[160];

		g_snprintf(why, sizeof(why), "ice: %s", reason ? reason : "failed");
		fail(leg, why);
	}
}

static void ice_candidate(const char *candidate, void *arg)
{
	struct gw_webrtc_leg *leg = arg;

	if (candidate || leg->gathered || leg->closed)
		return; /* we send every candidate in the SDP, none by trickle */
	leg->gathered = true;
	leg->cands = gw_ice_agent_local_candidates(leg->ice);
	leg->ufrag = g_strdup(gw_ice_agent_ufrag(leg->ice));
	leg->pwd = g_strdup(gw_ice_agent_pwd(leg->ice));
	gw_debug(leg->name, "gathered %u candidate(s)", g_strv_length(leg->cands));
	emit(leg, GW_WEBRTC_GATHERED, NULL);
}

static void add_remote_candidate(struct gw_webrtc_leg *leg, const char *cand)
{
	int err;

	if (++leg->remote_cands > MAX_REMOTE_CANDIDATES) {
		if (leg->remote_cands == MAX_REMOTE_CANDIDATES + 1)
			gw_warn(leg->name, "more than %d remote candidates: ignoring the rest",
				MAX_REMOTE_CANDIDATES);
		return;
	}
	err = gw_ice_agent_add_remote_candidate(leg->ice, cand);

	if (err == EPERM)
		gw_debug(leg->name, "candidate outside ice.remote_networks ignored: %s", cand);
	else if (err)
		gw_info(leg->name, "bad candidate ignored: %.120s", cand);
}

static char **split_list(const char *s)
{
	char **v = g_strsplit(s ? s : "", ",", -1);
	GPtrArray *out = g_ptr_array_new();

	for (char **p = v; *p; p++)
		if (*g_strstrip(*p))
			g_ptr_array_add(out, g_strdup(*p));
	g_strfreev(v);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static void leg_start(void *obj)
{
	struct gw_webrtc_leg *leg = obj;
	const struct gw_config *cfg = leg->cfg;
	struct gw_ice_config ic = { 0 };
	char **addrs = split_list(cfg->ice_local_addresses);
	char *stun = NULL, *turn = NULL;

	if (leg->closed)
		goto out;
	ic.name = leg->name;
	ic.controlling = leg->controlling;
	ic.lite = cfg->ice_lite && !leg->controlling;
	ic.local_addrs = (const char *const *)addrs;
	ic.public_ip = *cfg->ice_public_ip ? cfg->ice_public_ip : NULL;
	if (*cfg->ice_stun_server && !gw_config_split_hostport(cfg->ice_stun_server, &stun, &ic.stun_port))
		ic.stun_server = stun;
	if (*cfg->ice_turn_server && !gw_config_split_hostport(cfg->ice_turn_server, &turn, &ic.turn_port)) {
		ic.turn_server = turn;
		ic.turn_user = cfg->ice_turn_user;
		ic.turn_password = cfg->ice_turn_password;
	}
	gw_config_split_portrange(cfg->ice_port_range, &ic.port_min, &ic.port_max);
	ic.remote_networks = cfg->ice_remote_networks;
	ic.connect_timeout_ms = (unsigned)cfg->ice_timeout * 1000;
	ic.max_queue_ms = (unsigned)cfg->media_max_queue_ms;
	ic.loop = leg->loop;
	leg->t_start = g_get_monotonic_time();
	if (gw_ice_agent_alloc(&leg->ice, gw_loop_context(leg->loop), &ic, ice_recv, ice_state,
			       ice_candidate, leg)) {
		fail(leg, "ice: cannot create the agent");
		goto out;
	}
	if (leg->remote_ufrag)
		gw_ice_agent_set_remote_credentials(leg->ice, leg->remote_ufrag, leg->remote_pwd);
	dtls_maybe_start(leg);
	if (gw_ice_agent_gather(leg->ice)) {
		fail(leg, "ice: cannot gather candidates");
		goto out;
	}
	for (guint i = 0; i < leg->pending_cands->len; i++)
		add_remote_candidate(leg, leg->pending_cands->pdata[i]);
	g_ptr_array_set_size(leg->pending_cands, 0);
	if (leg->remote_eoc)
		gw_ice_agent_end_of_candidates(leg->ice);
out:
	g_strfreev(addrs);
	g_free(stun);
	g_free(turn);
}

static void leg_destroy(void *obj)
{
	struct gw_webrtc_leg *leg = obj;

	gw_obj_deref(leg->arg); /* only when close never ran */
	gw_obj_deref(leg->ice);
	gw_obj_deref(leg->dtls);
	gw_srtp_free(leg->srtp);
	gw_obj_deref(leg->cert);
	gw_obj_deref(leg->loop);
	g_ptr_array_free(leg->pending_cands, TRUE);
	g_strfreev(leg->cands);
	g_free(leg->ufrag);
	g_free(leg->pwd);
	g_free(leg->remote_fp);
	g_free(leg->remote_ufrag);
	g_free(leg->remote_pwd);
	g_free(leg->name);
}

int gw_webrtc_leg_alloc(struct gw_webrtc_leg **out, const struct gw_webrtc_params *p,
			gw_webrtc_event_h *eventh, gw_webrtc_rtp_h *rtph, void *arg)
{
	struct gw_webrtc_leg *leg;

	if (!p->loop || !p->cfg || !p->cert)
		return EINVAL;
	leg = gw_obj_alloc(sizeof(*leg), leg_destroy);
	leg->name = g_strdup(p->name ? p->name : "webrtc");
	leg->loop = gw_obj_ref(p->loop);
	leg->cfg = p->cfg;
	leg->cert = gw_obj_ref(p->cert);
	leg->eventh = eventh;
	leg->rtph = rtph;
	leg->arg = gw_obj_ref(arg);
	leg->controlling = p->controlling;
	leg->role = p->dtls_role;
	leg->remote_fp = g_strdup(p->remote_fingerprint);
	leg->remote_ufrag = g_strdup(p->remote_ufrag);
	leg->remote_pwd = g_strdup(p->remote_pwd);
	leg->remote_eoc = p->remote_end_of_candidates;
	leg->pending_cands = g_ptr_array_new_with_free_func(g_free);
	for (size_t i = 0; p->remote_candidates && p->remote_candidates[i]; i++)
		g_ptr_array_add(leg->pending_cands, g_strdup(p->remote_candidates[i]));
	g_strlcpy(leg->fingerprint, gw_cert_fingerprint(p->cert), sizeof(leg->fingerprint));
	leg->st.ice_ms = leg->st.dtls_ms = -1;
	gw_loop_post(leg->loop, leg_start, leg);
	*out = leg;
	return 0;
}

const char *gw_webrtc_leg_ufrag(const struct gw_webrtc_leg *leg)
{
	return leg->ufrag;
}

const char *gw_webrtc_leg_pwd(const struct gw_webrtc_leg *leg)
{
	return leg->pwd;
}

const char *const *gw_webrtc_leg_candidates(const struct gw_webrtc_leg *leg)
{
	return (const char *const *)leg->cands;
}

const char *gw_webrtc_leg_fingerprint(const struct gw_webrtc_leg *leg)
{
	return leg->fingerprint;
}

struct gw_loop *gw_webrtc_leg_loop(const struct gw_webrtc_leg *leg)
{
	return leg->loop;
}

static void op_set_remote(void *obj)
{
	struct leg_op *op = obj;
	struct gw_webrtc_leg *leg = op->leg;

	if (leg->closed)
		return;
	if (op->a && !leg->remote_ufrag) {
		leg->remote_ufrag = g_strdup(op->a);
		leg->remote_pwd = g_strdup(op->b);
		if (leg->ice)
			gw_ice_agent_set_remote_credentials(leg->ice, op->a, op->b);
	}
	if (op->c && !leg->remote_fp) {
		leg->remote_fp = g_strdup(op->c);
		leg->role = op->role;
		if (leg->ice)
			dtls_maybe_start(leg);
	}
}

void gw_webrtc_leg_set_remote(struct gw_webrtc_leg *leg, const char *ufrag, const char *pwd,
			      const char *fingerprint, enum gw_dtls_role dtls_role)
{
	struct leg_op *op = leg_op_new(leg, ufrag, pwd, fingerprint);

	op->role = dtls_role;
	post_op(leg, op_set_remote, op);
}

static void op_add_candidate(void *obj)
{
	struct leg_op *op = obj;

	if (op->leg->closed)
		return;
	if (op->leg->ice)
		add_remote_candidate(op->leg, op->a);
	else if (op->leg->pending_cands->len < MAX_REMOTE_CANDIDATES)
		g_ptr_array_add(op->leg->pending_cands, g_strdup(op->a));
}

void gw_webrtc_leg_add_candidate(struct gw_webrtc_leg *leg, const char *candidate)
{
	post_op(leg, op_add_candidate, leg_op_new(leg, candidate, NULL, NULL));
}

static void op_eoc(void *obj)
{
	struct leg_op *op = obj;

	op->leg->remote_eoc = true;
	if (op->leg->ice && !op->leg->closed)
		gw_ice_agent_end_of_candidates(op->leg->ice);
}

void gw_webrtc_leg_end_of_candidates(struct gw_webrtc_leg *leg)
{
	post_op(leg, op_eoc, leg_op_new(leg, NULL, NULL, NULL));
}

int gw_webrtc_leg_send_rtp(struct gw_webrtc_leg *leg, uint8_t *buf, size_t len, size_t cap)
{
	struct gw_rtp_hdr h;
	int err;

	if (!leg->srtp || leg->closed)
		return ENOTCONN;
	if (gw_rtp_parse(buf, len, &h))
		return EINVAL;
	leg->tx.ssrc = h.ssrc;
	leg->tx.sent_rtp = true;
	leg->tx.info.rtp_ts = h.ts;
	leg->tx.info.packets++;
	leg->tx.info.octets += (uint32_t)h.payload_len;
	err = gw_srtp_protect(leg->srtp, buf, &len, cap);
	if (err)
		return err;
	err = gw_ice_agent_send(leg->ice, buf, len);
	if (!err) {
		leg->st.rtp_out++;
		leg->st.bytes_out += len;
	}
	return err;
}

int gw_webrtc_leg_send_raw(struct gw_webrtc_leg *leg, const uint8_t *buf, size_t len)
{
	if (!leg->ice || leg->closed)
		return ENOTCONN;
	return gw_ice_agent_send(leg->ice, buf, len);
}

void gw_webrtc_leg_set_rx_pts(struct gw_webrtc_leg *leg, uint8_t media_pt, uint32_t media_rate,
			      const struct gw_rtp_pts *events)
{
	if (leg->ice)
		gw_ice_agent_set_rx_pts(leg->ice, media_pt, media_rate, events);
}

void gw_webrtc_leg_stats(struct gw_webrtc_leg *leg, struct gw_webrtc_stats *out)
{
	struct gw_srtp_stats ss = { 0 };
	struct gw_dtls_stats ds = { 0 };

	if (leg->srtp)
		gw_srtp_stats_get(leg->srtp, &ss);
	if (leg->dtls)
		gw_dtls_stats_get(leg->dtls, &ds);
	leg->st.srtp_auth_failures = ss.auth_failures;
	leg->st.srtp_replays = ss.replays;
	leg->st.srtp_errors = ss.malformed + ss.other_errors;
	leg->st.dtls_bad_records = ds.bad_records;
	if (leg->ice)
		leg->st.dropped_stale = gw_ice_agent_stale_packets(leg->ice);
	*out = leg->st;
}

static void op_close(void *obj)
{
	struct leg_op *op = obj;
	struct gw_webrtc_leg *leg = op->leg;

	if (leg->closed)
		return;
	gw_webrtc_leg_stats(leg, &leg->st);
	gw_info(leg->name, "media: rtp in %" G_GUINT64_FORMAT " out %" G_GUINT64_FORMAT
		", rtcp in %" G_GUINT64_FORMAT " out %" G_GUINT64_FORMAT
		", dropped: srtp_auth %" G_GUINT64_FORMAT " replay %" G_GUINT64_FORMAT
		" srtp_other %" G_GUINT64_FORMAT " dtls_bad %" G_GUINT64_FORMAT
		" unknown %" G_GUINT64_FORMAT " rtcp_bad %" G_GUINT64_FORMAT " before_keys %" G_GUINT64_FORMAT
		" stale %" G_GUINT64_FORMAT ", rtt %u ms",
		leg->st.rtp_in, leg->st.rtp_out, leg->st.rtcp_in, leg->st.rtcp_out,
		leg->st.srtp_auth_failures, leg->st.srtp_replays, leg->st.srtp_errors,
		leg->st.dtls_bad_records, leg->st.dropped_unknown, leg->st.rtcp_malformed,
		leg->st.dropped_before_keys, leg->st.dropped_stale, leg->st.rtt_ms);
	leg->closed = true;
	prompt_release(leg);
	rtcp_stop(leg);
	if (leg->dtls)
		gw_dtls_close(leg->dtls);
	if (leg->ice)
		gw_ice_agent_close(leg->ice);
	leg->arg = gw_obj_deref(leg->arg); /* no callback after this point */
}

void gw_webrtc_leg_close(struct gw_webrtc_leg *leg)
{
	if (leg)
		post_op(leg, op_close, leg_op_new(leg, NULL, NULL, NULL));
}
