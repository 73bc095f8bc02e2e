/* rtcsip-call — a C WebRTC client for rtcsip built on the gateway's own
 * modules (ICE controlling, DTLS client, Opus).  It speaks the JSON API,
 * places one or many calls, sends a tone or a WAV file, and measures what
 * comes back: setup, ICE and DTLS times, packets, loss, jitter, RTT, and the
 * dominant frequency of the received audio.
 *
 * Threads: the WebSocket and the call bookkeeping run on the main loop;
 * each call's media (leg, codec, timer) runs on a media loop.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <jansson.h>
#include "gw/cert.h"
#include "gw/config.h"
#include "gw/log.h"
#include "gw/loop.h"
#include "gw/obj.h"
#include "gw/rtp.h"
#include "gw/sdp.h"
#include "gw/webrtc.h"
#include "gw/media.h"
#include "media/codec.h"
#include "audio.h"
#include "ws_client.h"

#define FRAME (AUDIO_RATE / 50) /* 20 ms of PCM */
#define RTP_FRAME 960           /* 20 ms on Opus' 48 kHz RTP clock (RFC 7587) */
#define ANALYSIS AUDIO_RATE     /* the last second received is analysed */

struct opts {
	char *url, *to, *user, *wav, *record, *local_addr;
	double tone;
	int seconds, calls, threads;
	double rate;
	gboolean json, verbose, garbage;
};

struct app;

/* One call.  Control-loop fields first, then media-loop fields. */
struct tcall {
	struct app *app;
	unsigned idx;
	char id[32];
	struct gw_webrtc_leg *leg;   /* reference */
	gint64 t_start, t_call_sent, t_answer, t_media;
	bool answered, connected, done, failed;
	int code;
	char reason[128];

	/* media loop */
	int opus_pt;
	struct gw_encoder *enc;
	struct gw_decoder *dec;
	struct audio_src src;
	struct gw_rtp_sender tx;
	GSource *timer;
	gint64 media_t0;
	uint64_t frames_sent;
	bool garbage_sent;
	uint64_t rx_packets, rx_first, rx_max;
	bool rx_started;
	struct gw_rtp_seq_ext seq;
	double jitter;               /* RFC 3550 A.8, in 48 kHz units */
	int64_t last_transit;
	bool have_transit;
	gint64 t_first_audio;        /* monotonic µs; media loop writes once */
	int16_t *ring;               /* last ANALYSIS samples */
	size_t ring_pos, ring_fill;
	FILE *rec;
	struct gw_webrtc_stats st;   /* copied at the end */
};

struct app {
	struct opts o;
	struct gw_config *cfg;
	struct gw_cert *cert;
	struct ws_client *ws;
	GMainLoop *loop;
	struct tcall **calls;
	unsigned started, finished;
	bool welcomed;
	int rc;
};

static struct app *the_app;

static gint64 now_us(void)
{
	return g_get_monotonic_time();
}

static void tcall_destroy(void *obj)
{
	struct tcall *c = obj;

	gw_obj_deref(c->leg);
	gw_encoder_free(c->enc);
	gw_decoder_free(c->dec);
	audio_src_clear(&c->src);
	g_free(c->ring);
}

static void call_finish(struct tcall *c, int code, const char *reason, bool failed)
{
	if (c->done)
		return;
	c->done = true;
	c->failed = failed;
	c->code = code;
	g_strlcpy(c->reason, reason ? reason : "", sizeof(c->reason));
	if (failed)
		gw_warn(c->id, "failed: %d %s", code, c->reason);
	gw_webrtc_leg_close(c->leg);
	if (++c->app->finished == (unsigned)c->app->o.calls)
		g_main_loop_quit(c->app->loop);
}

/* --- media loop --- */

/* What an attacker or a broken peer may put on the media path (RFC 7983
 * classes): random bytes, truncated DTLS records, SRTP/SRTCP whose
 * authentication tag is wrong, and replays of a real packet. */
static void send_garbage(struct tcall *c)
{
	GRand *r = g_rand_new_with_seed(7983);
	uint8_t b[400];

	for (int i = 0; i < 200; i++) {
		size_t n = (size_t)g_rand_int_range(r, 1, (gint32)sizeof(b));

		for (size_t k = 0; k < n; k++)
			b[k] = (uint8_t)g_rand_int(r);
		switch (i % 4) {
		case 0: /* random first byte: unknown class or anything */
			break;
		case 1: /* truncated DTLS record */
			b[0] = 22;
			n = (size_t)g_rand_int_range(r, 1, 13);
			break;
		case 2: /* SRTP with a valid header and a wrong tag */
			gw_rtp_hdr_write(b, sizeof(b), (uint8_t)c->opus_pt, false,
					 (uint16_t)(c->tx.seq + 100 + i), 0, c->tx.ssrc);
			n = 12 + 80 + 10;
			break;
		case 3: /* SRTCP-looking junk */
			b[0] = 0x80;
			b[1] = 200;
			break;
		}
		gw_webrtc_leg_send_raw(c->leg, b, n);
	}
	g_rand_free(r);
}

static gboolean media_tick(gpointer data)
{
	struct tcall *c = data;
	uint8_t pkt[1500 + GW_WEBRTC_SRTP_TRAILER], payload[1275];
	int16_t pcm[FRAME];
	uint64_t due = (uint64_t)((now_us() - c->media_t0) / 20000) + 1;

	if (c->app->o.garbage && !c->garbage_sent && due > 50) {
		c->garbage_sent = true;
		send_garbage(c);
	}
	/* Catch up on the wall clock, not on timer ticks (timers drift). */
	while (c->frames_sent < due) {
		size_t len = 0, n;

		audio_src_read(&c->src, pcm, FRAME);
		if (gw_encoder_encode(c->enc, pcm, FRAME, payload, sizeof(payload), &len))
			break;
		n = gw_rtp_sender_write(&c->tx, pkt, sizeof(pkt) - GW_WEBRTC_SRTP_TRAILER,
					(uint8_t)c->opus_pt, (uint32_t)(c->frames_sent * RTP_FRAME), false,
					payload, len);
		c->frames_sent++;
		if (n)
			gw_webrtc_leg_send_rtp(c->leg, pkt, n, sizeof(pkt));
	}
	return G_SOURCE_CONTINUE;
}

static void media_start(struct tcall *c)
{
	struct gw_media_opus_cfg oc = { .complexity = 5, .bitrate = 32000, .fec = true, .loss_pct = 5 };

	if (gw_encoder_new(GW_MEDIA_CODEC_OPUS, AUDIO_RATE, &oc, &c->enc) ||
	    gw_decoder_new(GW_MEDIA_CODEC_OPUS, AUDIO_RATE, &c->dec)) {
		gw_error(c->id, "cannot create the Opus codec");
		return;
	}
	gw_rtp_sender_init(&c->tx, 48000);
	c->media_t0 = now_us();
	c->timer = g_timeout_source_new(10);
	g_source_set_callback(c->timer, media_tick, c, NULL);
	g_source_attach(c->timer, gw_loop_context(gw_webrtc_leg_loop(c->leg)));
}

static void media_stop(void *obj)
{
	struct tcall *c = obj;

	if (c->timer) {
		g_source_destroy(c->timer);
		g_source_unref(c->timer);
		c->timer = NULL;
	}
	if (c->leg)
		gw_webrtc_leg_stats(c->leg, &c->st);
	if (c->rec) {
		audio_wav_close(c->rec);
		c->rec = NULL;
	}
}

static void on_rtp(struct gw_webrtc_leg *leg, const struct gw_rtp_hdr *h, uint8_t *buf, size_t len,
		   void *arg)
{
	struct tcall *c = arg;
	int16_t pcm[AUDIO_RATE * 120 / 1000]; /* the longest Opus packet */
	size_t n = 0;
	uint64_t ext;
	int64_t arrival, transit;

	if ((int)h->pt != c->opus_pt || !c->dec)
		return;
	ext = gw_rtp_seq_extend(&c->seq, h->seq);
	if (!c->rx_started) {
		c->rx_started = true;
		c->rx_first = c->rx_max = ext;
	} else if (ext > c->rx_max) {
		c->rx_max = ext;
	}
	c->rx_packets++;
	arrival = now_us() * 48 / 1000;
	transit = arrival - (int64_t)h->ts;
	if (c->have_transit) {
		double d = fabs((double)(transit - c->last_transit));

		c->jitter += (d - c->jitter) / 16;
	}
	c->last_transit = transit;
	c->have_transit = true;
	if (gw_decoder_decode(c->dec, h->payload, h->payload_len, pcm, G_N_ELEMENTS(pcm), &n))
		return;
	if (!c->t_first_audio)
		c->t_first_audio = now_us();
	if (c->rec)
		audio_wav_write(c->rec, pcm, n);
	for (size_t i = 0; i < n; i++) {
		c->ring[c->ring_pos] = pcm[i];
		c->ring_pos = (c->ring_pos + 1) % ANALYSIS;
		if (c->ring_fill < ANALYSIS)
			c->ring_fill++;
	}
}

/* --- control loop --- */

struct tevent {
	struct tcall *c;             /* reference */
	enum gw_webrtc_event ev;
	char *reason;
};

static void tevent_destroy(void *obj)
{
	struct tevent *e = obj;

	gw_obj_deref(e->c);
	g_free(e->reason);
}

static void send_offer(struct tcall *c)
{
	struct gw_sdp_jsep_params p = { 0 };
	char *sdp = NULL, *reason = NULL;

	p.local_addr = "0.0.0.0";
	p.ice_ufrag = gw_webrtc_leg_ufrag(c->leg);
	p.ice_pwd = gw_webrtc_leg_pwd(c->leg);
	p.ice_trickle = true;
	p.fingerprint = gw_webrtc_leg_fingerprint(c->leg);
	p.candidates = gw_webrtc_leg_candidates(c->leg);
	p.end_of_candidates = true;
	if (gw_sdp_offer_build(&p, &sdp, &reason)) {
		call_finish(c, 500, reason, true);
		goto out;
	}
	c->t_call_sent = now_us();
	ws_client_send(c->app->ws, json_pack("{s:s, s:s, s:s, s:s}", "type", "call", "call", c->id,
					     "to", c->app->o.to, "sdp", sdp));
out:
	g_free(sdp);
	g_free(reason);
}

static gboolean hangup_due(gpointer data)
{
	struct tcall *c = data;

	if (!c->done)
		ws_client_send(c->app->ws, json_pack("{s:s, s:s}", "type", "hangup", "call", c->id));
	return G_SOURCE_REMOVE;
}

static void on_event_control(void *obj)
{
	struct tevent *e = obj;
	struct tcall *c = e->c;

	if (c->done)
		return;
	switch (e->ev) {
	case GW_WEBRTC_GATHERED:
		send_offer(c);
		break;
	case GW_WEBRTC_DTLS_CONNECTED:
		c->connected = true;
		c->t_media = now_us();
		g_timeout_add_full(G_PRIORITY_DEFAULT, (guint)c->app->o.seconds * 1000, hangup_due,
				   gw_obj_ref(c), gw_obj_release);
		break;
	case GW_WEBRTC_FAILED:
		call_finish(c, 480, e->reason, true);
		break;
	case GW_WEBRTC_ICE_CONNECTED:
		break;
	}
}

static void on_event(struct gw_webrtc_leg *leg, enum gw_webrtc_event ev, const char *reason,
		     void *arg)
{
	struct tcall *c = arg;
	struct tevent *e;

	if (ev == GW_WEBRTC_DTLS_CONNECTED)
		media_start(c);
	e = gw_obj_alloc(sizeof(*e), tevent_destroy);
	e->c = gw_obj_ref(c);
	e->ev = ev;
	e->reason = g_strdup(reason);
	gw_loop_post(gw_loop_control(), on_event_control, e);
	gw_obj_deref(e);
}

static gboolean start_call(gpointer data)
{
	struct app *a = data;
	struct tcall *c = gw_obj_alloc(sizeof(*c), tcall_destroy);
	struct gw_webrtc_params p = { 0 };
	struct gw_loop *loop = gw_loop_pin();
	char *err = NULL;

	c->app = a;
	c->idx = a->started;
	g_snprintf(c->id, sizeof(c->id), "c%u", a->started + 1);
	a->calls[a->started++] = c;
	c->t_start = now_us();
	c->ring = g_new0(int16_t, ANALYSIS);
	c->opus_pt = -1;
	if (a->o.wav && audio_src_wav(&c->src, a->o.wav, &err)) {
		gw_error(NULL, "%s", err);
		g_free(err);
		exit(2);
	} else if (!a->o.wav) {
		audio_src_tone(&c->src, a->o.tone);
	}
	if (a->o.record && c->idx == 0)
		c->rec = audio_wav_create(a->o.record);
	p.name = c->id;
	p.loop = loop;
	p.cfg = a->cfg;
	p.controlling = true;
	p.dtls_role = GW_DTLS_ROLE_CLIENT; /* confirmed by the answer */
	p.cert = a->cert;
	if (gw_webrtc_leg_alloc(&c->leg, &p, on_event, on_rtp, c))
		call_finish(c, 500, "cannot start the WebRTC leg", true);
	gw_obj_deref(loop);
	return a->started < (unsigned)a->o.calls ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static struct tcall *call_by_id(struct app *a, const char *id)
{
	for (unsigned i = 0; id && i < a->started; i++)
		if (!strcmp(a->calls[i]->id, id))
			return a->calls[i];
	return NULL;
}

static void on_answer(struct tcall *c, const char *text)
{
	struct gw_sdp *sdp = NULL;
	struct gw_sdp_media *m;
	const struct gw_sdp_fingerprint *fp;
	const struct gw_sdp_codec *opus;
	char *reason = NULL, *fps;
	bool eoc = false;

	c->t_answer = now_us();
	c->answered = true;
	if (gw_sdp_parse(text, strlen(text), &sdp, &reason) || !(m = gw_sdp_find_media(sdp, "audio")) ||
	    !(fp = gw_sdp_media_fingerprint(sdp, m)) || !(opus = gw_sdp_media_find_codec(m, "opus", 48000))) {
		call_finish(c, 488, reason ? reason : "answer without usable audio", true);
		goto out;
	}
	c->opus_pt = (int)opus->pt; /* read by the media loop only after DTLS connects */
	fps = g_strdup_printf("%s %s", fp->hash, fp->value);
	gw_webrtc_leg_set_remote(c->leg, gw_sdp_media_ice_ufrag(sdp, m), gw_sdp_media_ice_pwd(sdp, m),
				 fps, gw_sdp_media_setup(sdp, m) == GW_SDP_SETUP_ACTIVE ?
				 GW_DTLS_ROLE_SERVER : GW_DTLS_ROLE_CLIENT);
	g_free(fps);
	for (unsigned i = 0; gw_sdp_media_candidate(m, i); i++) {
		char *cand = gw_sdp_candidate_print(gw_sdp_media_candidate(m, i));

		gw_webrtc_leg_add_candidate(c->leg, cand);
		g_free(cand);
	}
	gw_sdp_media_attr(m, "end-of-candidates", &eoc);
	if (eoc)
		gw_webrtc_leg_end_of_candidates(c->leg);
out:
	gw_obj_deref(sdp);
	g_free(reason);
}

static void on_ws_msg(json_t *msg, void *arg)
{
	struct app *a = arg;
	const char *type = json_string_value(json_object_get(msg, "type"));
	struct tcall *c = call_by_id(a, json_string_value(json_object_get(msg, "call")));

	if (!type)
		return;
	if (!strcmp(type, "welcome") && !a->welcomed) {
		a->welcomed = true;
		a->calls = g_new0(struct tcall *, (gsize)a->o.calls);
		start_call(a);
		if (a->o.calls > 1)
			g_timeout_add((guint)(1000 / a->o.rate), start_call, a);
	} else if (!strcmp(type, "answer") && c && !c->answered) {
		on_answer(c, json_string_value(json_object_get(msg, "sdp")) ?: "");
	} else if (!strcmp(type, "hangup") && c) {
		call_finish(c, (int)json_integer_value(json_object_get(msg, "code")),
			    json_string_value(json_object_get(msg, "reason")), !c->connected);
	} else if (!strcmp(type, "error")) {
		const char *m = json_string_value(json_object_get(msg, "message"));

		gw_warn(NULL, "gateway error %s: %s", json_string_value(json_object_get(msg, "code")), m);
		if (c)
			call_finish(c, 400, m, true);
		else if (!a->welcomed)
			g_main_loop_quit(a->loop);
	} else if (!strcmp(type, "state") && c) {
		gw_debug(c->id, "state %s", json_string_value(json_object_get(msg, "state")));
	}
}

static void on_ws_state(bool open, const char *reason, void *arg)
{
	struct app *a = arg;

	if (open) {
		ws_client_send(a->ws, json_pack("{s:s, s:s}", "type", "hello", "user", a->o.user));
		return;
	}
	if (a->finished == a->started && a->welcomed)
		return; /* every call is over: this is our own close */
	gw_warn(NULL, "signalling: %s", reason);
	for (unsigned i = 0; i < a->started; i++)
		call_finish(a->calls[i], 503, "signalling lost", !a->calls[i]->connected);
	g_main_loop_quit(a->loop);
}

static gboolean overall_timeout(gpointer data)
{
	struct app *a = data;

	gw_error(NULL, "timed out");
	for (unsigned i = 0; i < a->started; i++)
		call_finish(a->calls[i], 408, "timed out", true);
	g_main_loop_quit(a->loop);
	return G_SOURCE_REMOVE;
}

static double ms(gint64 from, gint64 to)
{
	return from && to ? (double)(to - from) / 1000.0 : -1;
}

/* Print the per-call results and the summary; exit status 0 when every
 * call connected and received audio back. */
static int report(struct app *a)
{
	json_t *arr = json_array(), *out;
	unsigned ok = 0;
	uint64_t sent = 0, recv = 0, lost = 0;

	for (unsigned i = 0; i < a->started; i++) {
		struct tcall *c = a->calls[i];
		int16_t *lin = g_new(int16_t, ANALYSIS);
		uint64_t expected = c->rx_started ? c->rx_max - c->rx_first + 1 : 0;
		uint64_t l = expected > c->rx_packets ? expected - c->rx_packets : 0;
		double rms = 0, hz;
		json_t *j;

		/* unroll the ring: oldest first */
		for (size_t k = 0; k < c->ring_fill; k++)
			lin[k] = c->ring[(c->ring_pos + ANALYSIS - c->ring_fill + k) % ANALYSIS];
		hz = audio_dominant_hz(lin, c->ring_fill, AUDIO_RATE, 4000, &rms);
		g_free(lin);
		if (c->connected && c->rx_packets > 0 && !c->failed)
			ok++;
		sent += c->frames_sent;
		recv += c->rx_packets;
		lost += l;
		j = json_pack("{s:s, s:b, s:i, s:s, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:f, s:f, s:I,"
			      " s:f, s:f, s:s, s:I, s:I}",
			      "call", c->id, "connected", c->connected, "code", c->code, "reason", c->reason,
			      "setup_ms", ms(c->t_call_sent, c->t_answer),
			      "ice_ms", (double)c->st.ice_ms, "dtls_ms", (double)c->st.dtls_ms,
			      "media_ms", ms(c->t_start, c->t_media),
			      "first_audio_ms", ms(c->t_call_sent, c->t_first_audio),
			      "sent", (json_int_t)c->frames_sent, "received", (json_int_t)c->rx_packets,
			      "lost", (json_int_t)l, "loss_pct", expected ? 100.0 * (double)l / (double)expected : 0.0,
			      "jitter_ms", c->jitter / 48.0, "rtt_ms", (json_int_t)c->st.rtt_ms,
			      "frequency_hz", hz, "level_dbfs", rms > 0 ? 20 * log10(rms / 32768) : -120.0,
			      "selected_pair", c->st.selected_pair,
			      "srtp_auth_failures", (json_int_t)c->st.srtp_auth_failures,
			      "srtp_replays", (json_int_t)c->st.srtp_replays);
		json_array_append_new(arr, j);
	}
	out = json_pack("{s:o, s:{s:i, s:i, s:I, s:I, s:I}}", "calls", arr, "summary", "calls",
			(int)a->started, "ok", (int)ok, "sent", (json_int_t)sent, "received",
			(json_int_t)recv, "lost", (json_int_t)lost);
	if (a->o.json) {
		char *text = json_dumps(out, JSON_INDENT(2) | JSON_REAL_PRECISION(6));

		puts(text);
		free(text);
	} else {
		size_t i;
		json_t *j;

		json_array_foreach(arr, i, j) {
			printf("%s: %s%s%s\n", json_string_value(json_object_get(j, "call")),
			       json_is_true(json_object_get(j, "connected")) ? "connected" : "not connected",
			       *json_string_value(json_object_get(j, "reason")) ? ", ended: " : "",
			       json_string_value(json_object_get(j, "reason")));
			printf("  setup (call -> answer): %.1f ms, ICE %.0f ms, DTLS %.0f ms, first audio %.1f ms\n",
			       json_real_value(json_object_get(j, "setup_ms")),
			       json_real_value(json_object_get(j, "ice_ms")),
			       json_real_value(json_object_get(j, "dtls_ms")),
			       json_real_value(json_object_get(j, "first_audio_ms")));
			printf("  packets sent %" JSON_INTEGER_FORMAT ", received %" JSON_INTEGER_FORMAT
			       ", lost %" JSON_INTEGER_FORMAT " (%.2f%%), jitter %.2f ms, RTT %" JSON_INTEGER_FORMAT " ms\n",
			       json_integer_value(json_object_get(j, "sent")),
			       json_integer_value(json_object_get(j, "received")),
			       json_integer_value(json_object_get(j, "lost")),
			       json_real_value(json_object_get(j, "loss_pct")),
			       json_real_value(json_object_get(j, "jitter_ms")),
			       json_integer_value(json_object_get(j, "rtt_ms")));
			printf("  received audio: %.1f Hz at %.1f dBFS\n",
			       json_real_value(json_object_get(j, "frequency_hz")),
			       json_real_value(json_object_get(j, "level_dbfs")));
		}
		printf("%u of %u call(s) ok\n", ok, a->started);
	}
	json_decref(out);
	return ok == (unsigned)a->o.calls ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct app a = { 0 };
	GOptionEntry entries[] = {
		{ "url", 'u', 0, G_OPTION_ARG_STRING, &a.o.url, "gateway API URL (wss://127.0.0.1:8443/ws)", "URL" },
		{ "to", 't', 0, G_OPTION_ARG_STRING, &a.o.to, "destination (default echo)", "TO" },
		{ "user", 0, 0, G_OPTION_ARG_STRING, &a.o.user, "user name for hello (default rtcsip-call)", "USER" },
		{ "tone", 0, 0, G_OPTION_ARG_DOUBLE, &a.o.tone, "send a sine tone of HZ (default 1000)", "HZ" },
		{ "wav", 0, 0, G_OPTION_ARG_FILENAME, &a.o.wav, "send this PCM16 WAV file (looped)", "FILE" },
		{ "record", 0, 0, G_OPTION_ARG_FILENAME, &a.o.record, "record what the first call receives", "FILE" },
		{ "seconds", 's', 0, G_OPTION_ARG_INT, &a.o.seconds, "media seconds per call (default 5)", "S" },
		{ "calls", 'n', 0, G_OPTION_ARG_INT, &a.o.calls, "concurrent calls (default 1)", "N" },
		{ "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &a.o.rate, "calls started per second (default 10)", "R" },
		{ "threads", 0, 0, G_OPTION_ARG_INT, &a.o.threads, "media threads (default 1)", "N" },
		{ "local-address", 0, 0, G_OPTION_ARG_STRING, &a.o.local_addr, "ICE address (default 127.0.0.1)", "IP" },
		{ "inject-garbage", 0, 0, G_OPTION_ARG_NONE, &a.o.garbage,
		  "1 s into each call, send garbage on the media path (robustness test)", NULL },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &a.o.json, "print the report as JSON", NULL },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &a.o.verbose, "debug logging", NULL },
		{ NULL }
	};
	GOptionContext *octx = g_option_context_new("- WebRTC test client for rtcsip");
	GError *gerr = NULL;

	a.o.tone = 1000;
	a.o.seconds = 5;
	a.o.calls = 1;
	a.o.rate = 10;
	a.o.threads = 1;
	g_option_context_add_main_entries(octx, entries, NULL);
	if (!g_option_context_parse(octx, &argc, &argv, &gerr)) {
		fprintf(stderr, "rtcsip-call: %s\n", gerr->message);
		return 2;
	}
	g_option_context_free(octx);
	if (!a.o.url)
		a.o.url = g_strdup("wss://127.0.0.1:8443/ws");
	if (!a.o.to)
		a.o.to = g_strdup("echo");
	if (!a.o.user)
		a.o.user = g_strdup("rtcsip-call");
	if (a.o.calls < 1 || a.o.seconds < 1 || a.o.rate <= 0 || a.o.threads < 1) {
		fprintf(stderr, "rtcsip-call: --calls, --seconds, --rate and --threads must be positive\n");
		return 2;
	}
	gw_log_set_level(a.o.verbose ? GW_LOG_DEBUG : GW_LOG_WARN);
	gw_log_capture_glib();
	the_app = &a;
	a.cfg = gw_config_defaults();
	if (a.o.local_addr) {
		g_free(a.cfg->ice_local_addresses);
		a.cfg->ice_local_addresses = g_strdup(a.o.local_addr);
	}
	gw_loops_start((unsigned)a.o.threads);
	gw_cert_generate("rtcsip-call", &a.cert);
	a.loop = g_main_loop_new(NULL, FALSE);
	if (ws_client_open(&a.ws, a.o.url, on_ws_msg, on_ws_state, &a)) {
		fprintf(stderr, "rtcsip-call: cannot connect to %s\n", a.o.url);
		return 1;
	}
	g_timeout_add_seconds((guint)(a.o.seconds + 30 + a.o.calls / a.o.rate), overall_timeout, &a);
	g_main_loop_run(a.loop);
	/* Media threads joined: what they owned is ours to read now. */
	gw_loops_stop();
	while (g_main_context_pending(NULL))
		g_main_context_iteration(NULL, FALSE);
	for (unsigned i = 0; i < a.started; i++)
		media_stop(a.calls[i]);
	a.rc = report(&a);
	ws_client_free(a.ws);
	for (unsigned i = 0; i < a.started; i++)
		gw_obj_deref(a.calls[i]);
	g_free(a.calls);
	gw_obj_deref(a.cert);
	gw_config_free(a.cfg);
	return a.rc;
}
