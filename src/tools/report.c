/* report.c — what rtcsip-call prints when it is done: one JSON object per
 * call (timings, states, how it ended, packets, loss, jitter, the audio's
 * frequency before and after `connected`, packets per 500 ms, the latency
 * probe's round trips) and a summary, or the same as text; and the exit
 * status.
 *
 * Main thread, after the media loops were joined (so the media half of
 * every call is safe to read).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <jansson.h>
#include "rtcsip_call.h"

#define MAX_HZ 4000 /* the top of the frequency scan */

/* Did @c go as the command line planned?  Media must flow on a connected
 * call; the end must be the one asked for: our reject, the gateway's
 * hangup with --expect-hangup's code, or our hangup (after --seconds, or
 * --hangup-at at any point of the call). */
static bool call_ok(const struct gw_tool_opts *o, const struct gw_tool_call *c)
{
	if (!c->done || c->failed)
		return false;
	if (c->connected && c->rx_packets == 0)
		return false;
	if (o->reject)
		return c->rejected && c->end_by == GW_TOOL_END_CLIENT;
	if (o->expect_hangup)
		return c->end_by == GW_TOOL_END_GATEWAY && c->code == o->expect_hangup;
	if (c->end_by != GW_TOOL_END_CLIENT)
		return false;
	return c->connected || o->hangup_at >= 0;
}

static json_t *hangup_json(const struct gw_tool_call *c)
{
	if (c->end_by == GW_TOOL_END_NONE)
		return json_null();
	return json_pack("{s:i, s:s, s:s, s:f}", "code", c->code, "reason", c->reason, "by",
			 c->end_by == GW_TOOL_END_GATEWAY ? "gateway" : "client",
			 "ms", gw_tool_call_ms(c, c->t_end));
}

static json_t *timeline_json(const struct gw_tool_call *c)
{
	json_t *arr = json_array();

	for (guint i = 0; c->timeline && i < c->timeline->len; i++)
		json_array_append_new(arr, json_integer(g_array_index(c->timeline, guint, i)));
	return arr;
}

static json_t *probe_json(const struct gw_tool_call *c)
{
	json_t *arr = json_array();

	for (guint i = 0; c->probe_rtt && i < c->probe_rtt->len; i++)
		json_array_append_new(arr, json_real(g_array_index(c->probe_rtt, double, i)));
	return arr;
}

/* A real number, or null when @ok is false (not measured). */
static json_t *real_or_null(bool ok, double v)
{
	return ok ? json_real(v) : json_null();
}

static double dbfs(double rms)
{
	return rms > 0 ? 20 * log10(rms / 32768) : -120.0;
}

static json_t *call_json(const struct gw_tool_call *c, bool ok)
{
	uint64_t expected = c->rx_started ? c->rx_max - c->rx_first + 1 : 0;
	uint64_t lost = expected > c->rx_packets ? expected - c->rx_packets : 0;
	double rms = 0, rms_early = 0;
	double hz = gw_tool_audio_ring_hz(&c->late, MAX_HZ, &rms);
	double hz_early = gw_tool_audio_ring_hz(&c->early, MAX_HZ, &rms_early);
	json_t *j = json_object();

	json_object_set_new(j, "call", json_string(c->id));
	json_object_set_new(j, "direction", json_string(c->inbound ? "inbound" : "outbound"));
	json_object_set_new(j, "codec", json_string(gw_media_codec_name(c->app->codec)));
	json_object_set_new(j, "measured", json_boolean(c->measured));
	json_object_set_new(j, "ok", json_boolean(ok));
	json_object_set_new(j, "connected", json_boolean(c->connected));
	json_object_set_new(j, "media", json_boolean(c->media_up));
	json_object_set_new(j, "code", json_integer(c->code));
	json_object_set_new(j, "reason", json_string(c->reason));
	json_object_set_new(j, "hangup", hangup_json(c));
	json_object_set_new(j, "states", json_copy(c->states));
	json_object_set_new(j, "incoming", c->incoming ? json_copy(c->incoming) : json_null());
	json_object_set_new(j, "dtmf_received", json_string(c->dtmf_rx->str));
	json_object_set_new(j, "errors", json_copy(c->errors));
	json_object_set_new(j, "setup_ms", json_real(gw_tool_call_ms(c, c->t_answer)));
	json_object_set_new(j, "connected_ms", json_real(gw_tool_call_ms(c, c->t_connected)));
	/* wall clock (µs since the epoch, 0 = never) to line up with other logs */
	json_object_set_new(j, "t0_wall_us", json_integer((json_int_t)c->t0_wall));
	json_object_set_new(j, "connected_wall_us", json_integer((json_int_t)c->t_connected_wall));
	json_object_set_new(j, "ice_ms", json_real((double)c->st.ice_ms));
	json_object_set_new(j, "dtls_ms", json_real((double)c->st.dtls_ms));
	json_object_set_new(j, "media_ms", json_real(c->t_start && c->t_media ?
						     (double)(c->t_media - c->t_start) / 1000.0 : -1));
	json_object_set_new(j, "first_audio_ms", json_real(gw_tool_call_ms(c, c->t_first_audio)));
	json_object_set_new(j, "sent", json_integer((json_int_t)c->frames_sent));
	json_object_set_new(j, "sent_late", json_integer((json_int_t)c->tx_late));
	json_object_set_new(j, "received", json_integer((json_int_t)c->rx_packets));
	json_object_set_new(j, "lost", json_integer((json_int_t)lost));
	json_object_set_new(j, "loss_pct", json_real(expected ? 100.0 * (double)lost / (double)expected : 0.0));
	json_object_set_new(j, "jitter_ms", json_real(c->rx_clock ? c->jitter * 1000.0 / c->rx_clock : 0.0));
	json_object_set_new(j, "rtt_ms", json_integer((json_int_t)c->st.rtt_ms));
	json_object_set_new(j, "rtcp_in", json_integer((json_int_t)c->st.rtcp_in));
	json_object_set_new(j, "rtcp_out", json_integer((json_int_t)c->st.rtcp_out));
	json_object_set_new(j, "rx_timeline", timeline_json(c));
	json_object_set_new(j, "frequency_hz", real_or_null(c->measured, hz));
	json_object_set_new(j, "level_dbfs", real_or_null(c->measured, dbfs(rms)));
	json_object_set_new(j, "probe_rtt_ms", probe_json(c));
	json_object_set_new(j, "frequency_early_hz", c->early.fill ? json_real(hz_early) : json_null());
	json_object_set_new(j, "level_early_dbfs", c->early.fill ? json_real(dbfs(rms_early)) : json_null());
	json_object_set_new(j, "selected_pair", json_string(c->st.selected_pair));
	json_object_set_new(j, "srtp_auth_failures", json_integer((json_int_t)c->st.srtp_auth_failures));
	json_object_set_new(j, "srtp_replays", json_integer((json_int_t)c->st.srtp_replays));
	return j;
}

static double num(json_t *j, const char *key)
{
	return json_number_value(json_object_get(j, key));
}

static void print_text(json_t *arr, json_t *summary)
{
	size_t i;
	json_t *j;

	json_array_foreach(arr, i, j) {
		json_t *h = json_object_get(j, "hangup"), *st;
		size_t k;

		printf("%s (%s): %s%s%s\n", json_string_value(json_object_get(j, "call")),
		       json_string_value(json_object_get(j, "direction")),
		       json_is_true(json_object_get(j, "connected")) ? "connected" : "not connected",
		       *json_string_value(json_object_get(j, "reason")) ? ", ended: " : "",
		       json_string_value(json_object_get(j, "reason")));
		printf("  states:%s", json_array_size(json_object_get(j, "states")) ? "" : " none");
		json_array_foreach(json_object_get(j, "states"), k, st)
			printf(" %s@%.0fms", json_string_value(json_object_get(st, "state")), num(st, "ms"));
		if (json_is_object(h))
			printf("; hangup by %s: %.0f %s", json_string_value(json_object_get(h, "by")),
			       num(h, "code"), json_string_value(json_object_get(h, "reason")));
		printf("\n  setup: %.1f ms, ICE %.0f ms, DTLS %.0f ms, first audio %.1f ms, connected %.1f ms\n",
		       num(j, "setup_ms"), num(j, "ice_ms"), num(j, "dtls_ms"), num(j, "first_audio_ms"),
		       num(j, "connected_ms"));
		printf("  packets sent %.0f, received %.0f, lost %.0f (%.2f%%), jitter %.2f ms, RTT %.0f ms\n",
		       num(j, "sent"), num(j, "received"), num(j, "lost"), num(j, "loss_pct"),
		       num(j, "jitter_ms"), num(j, "rtt_ms"));
		printf("  received audio: %.1f Hz at %.1f dBFS", num(j, "frequency_hz"), num(j, "level_dbfs"));
		if (json_is_real(json_object_get(j, "frequency_early_hz")))
			printf("; early media %.1f Hz", num(j, "frequency_early_hz"));
		if (*json_string_value(json_object_get(j, "dtmf_received")))
			printf("; DTMF received %s", json_string_value(json_object_get(j, "dtmf_received")));
		printf("\n");
		json_array_foreach(json_object_get(j, "errors"), k, st)
			printf("  gateway error: %s: %s\n", json_string_value(json_object_get(st, "code")),
			       json_string_value(json_object_get(st, "message")));
	}
	json_array_foreach(json_object_get(summary, "errors"), i, j)
		printf("error: %s: %s\n", json_string_value(json_object_get(j, "code")),
		       json_string_value(json_object_get(j, "message")));
	printf("%.0f of %.0f call(s) ok\n", num(summary, "ok"), num(summary, "expected"));
}

int gw_tool_report(struct gw_tool_app *a)
{
	json_t *arr = json_array(), *summary, *out;
	unsigned ok = 0;
	uint64_t sent = 0, recv = 0, lost = 0;

	for (guint i = 0; i < a->calls->len; i++) {
		const struct gw_tool_call *c = a->calls->pdata[i];
		bool good = call_ok(&a->o, c);
		json_t *j = call_json(c, good);

		ok += good;
		sent += c->frames_sent;
		recv += c->rx_packets;
		lost += (uint64_t)json_integer_value(json_object_get(j, "lost"));
		json_array_append_new(arr, j);
	}
	summary = json_pack("{s:i, s:i, s:i, s:I, s:I, s:I, s:O, s:s, s:o}", "calls",
			    (int)a->calls->len, "expected", a->o.calls, "ok", (int)ok,
			    "sent", (json_int_t)sent, "received", (json_int_t)recv,
			    "lost", (json_int_t)lost, "errors", a->errors,
			    "codec", gw_media_codec_name(a->codec),
			    "codec_delay_ms", real_or_null(a->codec_delay_ms >= 0, a->codec_delay_ms));
	out = json_pack("{s:o, s:o}", "calls", arr, "summary", summary);
	if (a->o.json) {
		char *text = json_dumps(out, JSON_INDENT(2) | JSON_REAL_PRECISION(6));

		puts(text);
		free(text);
	} else {
		print_text(arr, summary);
	}
	json_decref(out);
	return ok == (unsigned)a->o.calls ? 0 : 1;
}
