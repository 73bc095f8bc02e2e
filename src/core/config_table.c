/* config_table.c — every configuration key, declared once.
 *
 * Adding a key: add a field to struct gw_config (or gw_trunk_config) and one
 * row here; parsing, validation, the sample file and the README reference
 * follow from it.  Three tables, in the order the sample file shows them:
 * the fixed groups, the keys of every [trunk.NAME], then [route] and [dids].
 * Below them, what a value of each type may be (gw_config_key_parse).
 * No state; any thread.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>
#include "gw/config.h"
#include "gw/loop.h"

#define F(field) offsetof(struct gw_config, field)
#define T(field) offsetof(struct gw_trunk_config, field)
#define FIELD(base, k, type) ((type *)((char *)(base) + (k)->offset))
#define DIAL_CHARS "0123456789*#"

const struct gw_conf_key gw_conf_keys[] = {
	{ "general", "state_dir", GW_CONF_PATH, "/var/lib/rtcsip", 0, 0, NULL,
	  "folder for generated files (certificates); created when missing", F(state_dir) },
	{ "general", "log_level", GW_CONF_ENUM, "info", 0, 0, "error|warn|info|debug|trace",
	  "log verbosity (the --log-level option overrides it)", F(log_level) },

	{ "signal", "listen", GW_CONF_HOSTPORT, "127.0.0.1:8443", 0, 0, NULL,
	  "HTTPS + WSS listen address (the browser API is at /ws)", F(signal_listen) },
	{ "signal", "web_root", GW_CONF_PATH, "", 0, 0, NULL,
	  "folder of static files served at / (demo page, rtcsip.js); empty = the installed one", F(signal_web_root) },
	{ "signal", "cert", GW_CONF_PATH, "", 0, 0, NULL,
	  "TLS certificate (PEM); empty = self-signed, generated once into state_dir", F(signal_cert) },
	{ "signal", "key", GW_CONF_PATH, "", 0, 0, NULL,
	  "TLS private key (PEM) for signal.cert", F(signal_key) },
	{ "signal", "max_sessions", GW_CONF_INT, "1000", 1, 100000, NULL,
	  "WebSocket sessions at once, detached ones waiting to be resumed included; beyond it "
	  "a connection is refused, or let in for one hello that must resume a session (at "
	  "most as many such connections as sessions a token could resume)", F(signal_max_sessions) },
	{ "signal", "max_pending_per_ip", GW_CONF_INT, "64", 0, 100000, NULL,
	  "WebSocket connections from one address that have not said hello yet; beyond it a "
	  "connection from that address is refused, so that one address cannot hold the places "
	  "of signal.max_sessions with idle connections; 0 = no limit (behind a reverse proxy "
	  "every browser comes from the proxy's address)", F(signal_max_pending_per_ip) },
	{ "signal", "max_frame", GW_CONF_INT, "65536", 1024, 1048576, NULL,
	  "largest JSON message accepted, in bytes", F(signal_max_frame) },
	{ "signal", "hello_timeout", GW_CONF_INT, "10", 1, 3600, NULL,
	  "seconds a new WebSocket session has to send hello before it is closed", F(signal_hello_timeout) },
	{ "signal", "resume_timeout", GW_CONF_INT, "10", 0, 300, NULL,
	  "seconds a session whose WebSocket dropped (no close frame) keeps its calls for the "
	  "browser to reconnect and resume it; 0 = calls end with the connection", F(signal_resume_timeout) },
	{ "signal", "ping_interval", GW_CONF_INT, "20", 1, 3600, NULL,
	  "seconds between WebSocket pings; a connection that answers none for twice as long is "
	  "closed as lost (the session then waits signal.resume_timeout)", F(signal_ping_interval) },
	{ "signal", "allowed_origins", GW_CONF_STRING, "", 0, 0, NULL,
	  "web pages allowed to open /ws: origins (https://app.example.com:8443) separated by spaces "
	  "or commas; empty = only the gateway's own https://HOST:PORT; * = any page (unsafe unless "
	  "auth.mode = jwt); clients sending no Origin header (not browsers) are always allowed",
	  F(signal_allowed_origins) },

	{ "auth", "mode", GW_CONF_ENUM, "none", 0, 0, "none|jwt",
	  "none: hello names the user (loopback only); jwt: HS256 token in hello", F(auth_mode) },
	{ "auth", "jwt_secret", GW_CONF_STRING, "", 0, 0, NULL,
	  "HS256 secret for auth.mode = jwt (at least 32 characters)", F(auth_jwt_secret) },
	{ "auth", "allow_insecure", GW_CONF_BOOL, "false", 0, 0, NULL,
	  "allow auth.mode = none on a non-loopback signal.listen", F(auth_allow_insecure) },

	{ "media", "threads", GW_CONF_INT, "0", 0, 64, NULL,
	  "media loops (threads); 0 = one per CPU core", F(media_threads) },
	{ "media", "clock_slots", GW_CONF_INT, "10", 1, GW_LOOP_CLOCK_SLOTS_MAX, NULL,
	  "slots each media loop's 20 ms clock is cut into, each running its share of the calls' "
	  "transcoding at its own offset: more slots, shorter bursts for packets and frames to "
	  "wait behind (less added latency) for a few percent more CPU; 1 = all calls at once",
	  F(media_clock_slots) },
	{ "media", "coalesce_wakeups", GW_CONF_ENUM, "auto", 0, 0, "off|on|auto",
	  "a media loop with calls that is idle at least half the time sleeps until its clock's "
	  "next slot (at most 2 ms) instead of waking for each packet: fewer wake-ups, each of "
	  "which costs 15-30 us of CPU on a VM that halts idle cores in the hypervisor (3-19% "
	  "less CPU at low load there), for up to 2 ms more latency on the packets "
	  "that arrive while it sleeps; work posted to the loop and calls in set-up (ICE, DTLS) "
	  "never wait; auto = on where a wake-up measured at start costs at least 10 us",
	  F(media_coalesce_wakeups) },
	{ "media", "max_calls", GW_CONF_INT, "1000", 1, 100000, NULL,
	  "calls in progress at once; more are refused (error limit)", F(media_max_calls) },
	{ "media", "max_busy_pct", GW_CONF_INT, "95", 0, 100, NULL,
	  "new calls are refused (browser: error limit; SIP: 503 with Retry-After) while every "
	  "media loop's thread used at least this share of a core over the last second (from "
	  "10 calls on a loop, each call admitted since counting at that second's share per "
	  "call): at capacity a gateway turns calls away instead of degrading all of them; "
	  "0 = never",
	  F(media_max_busy_pct) },
	{ "media", "max_queue_ms", GW_CONF_INT, "200", 0, 5000, NULL,
	  "a media packet that waited longer than this in its socket (from the kernel's receive "
	  "stamp to the read) is dropped unprocessed, counted in the call's browser_stale and "
	  "sip_stale: after a stall, or with the core overloaded, the gateway catches up instead "
	  "of relaying audio that is already too late and building up seconds of delay in which "
	  "ICE consent checks time out and calls fail; RTCP and DTMF events are kept however "
	  "late; 0 = never",
	  F(media_max_queue_ms) },
	{ "media", "passthrough", GW_CONF_BOOL, "false", 0, 0, NULL,
	  "relay without transcoding when both legs negotiated the same codec at 20 ms "
	  "(another trunk ptime is re-framed)", F(media_passthrough) },
	{ "media", "jitter_max_ms", GW_CONF_INT, "200", 20, 1000, NULL,
	  "upper bound of the adaptive jitter buffer on the SIP side", F(media_jitter_max_ms) },
	{ "media", "jitter_start_ms", GW_CONF_INT, "80", 0, 1000, NULL,
	  "jitter allowance of that buffer at the start of a stream, before the jitter is "
	  "measured (capped by jitter_max_ms; = jitter_max_ms: nothing lost while unknown, "
	  "at the cost of that much delay at first)", F(media_jitter_start_ms) },
	{ "media", "rtp_timeout", GW_CONF_INT, "60", 0, 3600, NULL,
	  "seconds without RTP from the SIP side (answered, not on hold) after which the "
	  "call ends: BYE with Reason 408, hangup 408 to the browser; 0 = never", F(media_rtp_timeout) },
	{ "media", "opus_complexity", GW_CONF_INT, "5", 0, 10, NULL,
	  "Opus encoder complexity toward the browser", F(media_opus_complexity) },
	{ "media", "opus_bitrate", GW_CONF_INT, "32000", 6000, 510000, NULL,
	  "Opus encoder bitrate toward the browser, bit/s", F(media_opus_bitrate) },
	{ "media", "opus_fec", GW_CONF_BOOL, "true", 0, 0, NULL,
	  "Opus in-band FEC toward the browser", F(media_opus_fec) },
	{ "media", "opus_expected_loss", GW_CONF_INT, "5", 0, 100, NULL,
	  "packet loss (percent) the Opus encoder plans FEC for", F(media_opus_expected_loss) },
	{ "media", "overload_opus_complexity", GW_CONF_INT, "1", -1, 10, NULL,
	  "Opus complexity toward the browser while a media loop's clock runs "
	  "media.overload_late_ms behind (the core is overloaded): about half the encoder's CPU "
	  "at 1, so the backlog drains instead of delaying every call's audio; back to "
	  "opus_complexity once the loop is within a quarter of that; -1 = never",
	  F(media_overload_opus_complexity) },
	{ "media", "overload_late_ms", GW_CONF_INT, "10", 2, 19, NULL,
	  "how far behind its 20 ms clock a media loop runs before its calls shed encoder work "
	  "(media.overload_opus_complexity); under 20: a loop a whole period late skips that "
	  "round instead", F(media_overload_late_ms) },

	{ "ice", "lite", GW_CONF_BOOL, "false", 0, 0, NULL,
	  "ICE-lite instead of full ICE (only for a gateway with a public address)", F(ice_lite) },
	{ "ice", "local_addresses", GW_CONF_ADDRLIST, "127.0.0.1", 0, 0, NULL,
	  "addresses the gateway gathers ICE host candidates on", F(ice_local_addresses) },
	{ "ice", "public_ip", GW_CONF_ADDR, "", 0, 0, NULL,
	  "1:1 NAT: address advertised in place of the local host address", F(ice_public_ip) },
	{ "ice", "stun_server", GW_CONF_HOSTPORT, "", 0, 0, NULL,
	  "STUN server host:port for server-reflexive candidates; empty = none", F(ice_stun_server) },
	{ "ice", "turn_server", GW_CONF_HOSTPORT, "", 0, 0, NULL,
	  "TURN server host:port (UDP) for relayed candidates; empty = none", F(ice_turn_server) },
	{ "ice", "turn_user", GW_CONF_STRING, "", 0, 0, NULL,
	  "TURN username", F(ice_turn_user) },
	{ "ice", "turn_password", GW_CONF_STRING, "", 0, 0, NULL,
	  "TURN password", F(ice_turn_password) },
	{ "ice", "port_range", GW_CONF_PORTRANGE, "", 0, 0, NULL,
	  "UDP ports for ICE, \"min-max\"; empty = any free port", F(ice_port_range) },
	{ "ice", "remote_networks", GW_CONF_NETLIST, "", 0, 0, NULL,
	  "browser candidates outside these networks are ignored, and so are connectivity checks "
	  "from outside them (dropped in the kernel, so none is answered or learned as a "
	  "peer-reflexive candidate); empty = any", F(ice_remote_networks) },
	{ "ice", "timeout", GW_CONF_INT, "30", 5, 300, NULL,
	  "seconds ICE may take to connect before the call ends", F(ice_timeout) },

	{ "dtls", "cert", GW_CONF_PATH, "", 0, 0, NULL,
	  "DTLS certificate (PEM, ECDSA P-256); empty = generated once into state_dir", F(dtls_cert) },
	{ "dtls", "key", GW_CONF_PATH, "", 0, 0, NULL,
	  "DTLS private key (PEM) for dtls.cert", F(dtls_key) },

	{ "echo", "enabled", GW_CONF_BOOL, "false", 0, 0, NULL,
	  "answer calls to echo.destination with the browser's own audio", F(echo_enabled) },
	{ "echo", "destination", GW_CONF_STRING, "echo", 0, 0, NULL,
	  "the number or name that reaches the built-in echo", F(echo_destination) },

	{ "sip", "listen", GW_CONF_HOSTPORT, "127.0.0.1:5060", 0, 0, NULL,
	  "SIP listen address, UDP and TCP (host must be an IP address)", F(sip_listen) },
	{ "sip", "tls_listen", GW_CONF_HOSTPORT, "127.0.0.1:5061", 0, 0, NULL,
	  "SIP over TLS listen address; used only when sip.tls_cert is set", F(sip_tls_listen) },
	{ "sip", "tls_cert", GW_CONF_PATH, "", 0, 0, NULL,
	  "TLS certificate (PEM) for SIP over TLS; empty = no TLS listener", F(sip_tls_cert) },
	{ "sip", "tls_key", GW_CONF_PATH, "", 0, 0, NULL,
	  "TLS private key (PEM) for sip.tls_cert", F(sip_tls_key) },
	{ "sip", "public_ip", GW_CONF_ADDR, "", 0, 0, NULL,
	  "1:1 NAT: address put in Contact, Via and SDP in place of the local one; empty = local", F(sip_public_ip) },
	{ "sip", "rtp_address", GW_CONF_ADDR, "", 0, 0, NULL,
	  "local address of the SIP-side RTP sockets; empty = host of sip.listen", F(sip_rtp_address) },
	{ "sip", "rtp_port_range", GW_CONF_PORTRANGE, "20000-39999", 0, 0, NULL,
	  "UDP ports for SIP-side RTP, \"min-max\"", F(sip_rtp_port_range) },
	{ "sip", "max_calls", GW_CONF_INT, "1000", 1, 100000, NULL,
	  "SIP calls in progress at once; more are refused", F(sip_max_calls) },
	{ "sip", "ring_timeout", GW_CONF_INT, "60", 5, 600, NULL,
	  "seconds an inbound call may ring unanswered before it is refused with 480", F(sip_ring_timeout) },
	{ "sip", "session_expires", GW_CONF_INT, "1800", 0, 86400, NULL,
	  "RFC 4028 session timer, seconds: 0 = off, else at least 90", F(sip_session_expires) },
	{ "sip", "100rel", GW_CONF_BOOL, "true", 0, 0, NULL,
	  "RFC 3262 reliable provisional responses: say Supported: 100rel, PRACK a far end's "
	  "reliable 18x, and take calls that require 100rel (their 180 is sent reliably); "
	  "false = such calls get 420 Bad Extension", F(sip_100rel) },
	{ "sip", "accept_refer", GW_CONF_BOOL, "false", 0, 0, NULL,
	  "follow REFER (transfer) requests from the SIP side", F(sip_accept_refer) },
	{ "sip", "trace", GW_CONF_BOOL, "false", 0, 0, NULL,
	  "log every SIP message sent and received", F(sip_trace) },
	{ "sip", "user_agent", GW_CONF_STRING, "rtcsip", 0, 0, NULL,
	  "User-Agent and Server header value", F(sip_user_agent) },
	{ "sip", "domain", GW_CONF_STRING, "", 0, 0, NULL,
	  "host part of From for browser users; empty = sip.public_ip or the sip.listen host", F(sip_domain) },
};

const size_t gw_conf_nkeys = sizeof(gw_conf_keys) / sizeof(gw_conf_keys[0]);

/* Every [trunk.NAME] section takes these keys. */
const struct gw_conf_key gw_trunk_keys[] = {
	{ "trunk.*", "proxy", GW_CONF_SIPURI, "", 0, 0, NULL,
	  "SIP URI of the peer, sip:host[:port] or sips:host[:port] (required)", T(proxy) },
	{ "trunk.*", "outbound_proxy", GW_CONF_SIPURI, "", 0, 0, NULL,
	  "SIP URI every request to this trunk is sent through; empty = none", T(outbound_proxy) },
	{ "trunk.*", "transport", GW_CONF_ENUM, "udp", 0, 0, "udp|tcp|tls",
	  "transport toward the proxy (a sips: proxy needs tls)", T(transport) },
	{ "trunk.*", "username", GW_CONF_STRING, "", 0, 0, NULL,
	  "digest user name, also the user of REGISTER's From and To and of our Contact in this trunk's calls", T(username) },
	{ "trunk.*", "password", GW_CONF_STRING, "", 0, 0, NULL,
	  "digest password; empty = no credentials", T(password) },
	{ "trunk.*", "auth_username", GW_CONF_STRING, "", 0, 0, NULL,
	  "digest user name when it differs from username; empty = username", T(auth_username) },
	{ "trunk.*", "from_user", GW_CONF_STRING, "", 0, 0, NULL,
	  "caller id user in From of outbound calls; empty = the browser user", T(from_user) },
	{ "trunk.*", "from_domain", GW_CONF_STRING, "", 0, 0, NULL,
	  "host part of From of outbound calls; empty = the proxy's host", T(from_domain) },
	{ "trunk.*", "register", GW_CONF_BOOL, "false", 0, 0, NULL,
	  "REGISTER with the proxy (needs username and password)", T(registration) },
	{ "trunk.*", "register_expires", GW_CONF_INT, "3600", 60, 86400, NULL,
	  "registration lifetime asked for, seconds", T(register_expires) },
	{ "trunk.*", "options_interval", GW_CONF_INT, "30", 0, 3600, NULL,
	  "seconds between OPTIONS keepalives to the proxy; 0 = off", T(options_interval) },
	{ "trunk.*", "codecs", GW_CONF_ENUMLIST, "PCMU PCMA", 0, 0, "PCMU|PCMA|G722",
	  "codecs offered and accepted, in preference order, space or comma separated", T(codecs) },
	{ "trunk.*", "dtmf", GW_CONF_ENUM, "rfc4733", 0, 0, "rfc4733|info",
	  "how DTMF digits are sent: RFC 4733 telephone-events or SIP INFO", T(dtmf) },
	{ "trunk.*", "allowed_networks", GW_CONF_NETLIST, "", 0, 0, NULL,
	  "inbound INVITEs from these networks belong to this trunk; empty = none (see inbound_username)", T(allowed_networks) },
	{ "trunk.*", "inbound_username", GW_CONF_STRING, "", 0, 0, NULL,
	  "digest user an INVITE from outside every allowed_networks must give (after a 407) to "
	  "belong to this trunk; with inbound_password; empty = none", T(inbound_username) },
	{ "trunk.*", "inbound_password", GW_CONF_STRING, "", 0, 0, NULL,
	  "password of inbound_username (the two go together)", T(inbound_password) },
	{ "trunk.*", "caller_id", GW_CONF_ENUM, "user", 0, 0, "user|did",
	  "From user when from_user is empty: the browser user's name, or the number [dids] maps to "
	  "that user (the lowest when several; the name when none)", T(caller_id) },
	{ "trunk.*", "send_pai", GW_CONF_BOOL, "false", 0, 0, NULL,
	  "put the caller's identity (From's user and host) in P-Asserted-Identity too (RFC 3325); "
	  "a browser that withholds its number (call privacy) then sends it only there", T(send_pai) },
	{ "trunk.*", "trust_pai", GW_CONF_BOOL, "true", 0, 0, NULL,
	  "show browser users the P-Asserted-Identity of this trunk's INVITEs as the caller "
	  "(RFC 3325; unless the caller withheld it), instead of From", T(trust_pai) },
	{ "trunk.*", "100rel", GW_CONF_BOOL, "true", 0, 0, NULL,
	  "RFC 3262 with this trunk (when sip.100rel is on); false = our INVITEs do not say "
	  "Supported: 100rel and its INVITEs that require it get 420 Bad Extension, for a peer "
	  "whose reliable 18x or PRACKs misbehave", T(rel100) },
	{ "trunk.*", "invite_timeout", GW_CONF_INT, "0", 0, 32, NULL,
	  "seconds our INVITE may go without any response (not even 100 Trying) before the trunk "
	  "counts as down and the call goes to the route's next trunk (or ends 408); 0 = SIP timer "
	  "B, 32 s", T(invite_timeout) },
	{ "trunk.*", "symmetric_rtp", GW_CONF_BOOL, "false", 0, 0, NULL,
	  "send RTP to where the far end's RTP comes from (for peers behind NAT)", T(symmetric_rtp) },
	{ "trunk.*", "plus", GW_CONF_ENUM, "keep", 0, 0, "keep|strip|00",
	  "leading + of a dialled number: keep it, strip it, or replace it with 00", T(plus) },
	{ "trunk.*", "prefix", GW_CONF_DIALSTRING, "", 0, 0, NULL,
	  "digits put in front of every dialled number after the plus rule; empty = none", T(prefix) },
};

const size_t gw_trunk_nkeys = sizeof(gw_trunk_keys) / sizeof(gw_trunk_keys[0]);

/* [route] and [dids]: groups whose key names are data.  GW_CONF_MAP rows
 * only document those keys; config.c checks them. */
const struct gw_conf_key gw_map_keys[] = {
	{ "route", "default", GW_CONF_STRING, "", 0, 0, NULL,
	  "trunk for numbers no prefix rule matches, or several (space or comma separated): "
	  "a call the first answers 408 or 5xx before ringing goes to the next, and one that is "
	  "down (OPTIONS or requests timed out) is passed over while another is not; empty = none",
	  F(route_default) },
	{ "route", "PREFIX", GW_CONF_MAP, "+44 = uk carrier", 0, 0, "trunk names",
	  "numbers starting with PREFIX (an optional leading '+', then digits, '*', '#'; up to 32 characters; "
	  "not starting with '#', which starts a comment) go to that trunk, or to the next of several "
	  "as for default; the longest prefix wins", 0 },
	{ "dids", "NUMBER", GW_CONF_MAP, "+15551230000 = alice", 0, 0, "browser user",
	  "an inbound INVITE whose Request-URI user is NUMBER ('+', digits, '*', '#', letters, '-', '_', '.'; "
	  "not starting with '#') rings that browser user", 0 },
};

const size_t gw_map_nkeys = sizeof(gw_map_keys) / sizeof(gw_map_keys[0]);

/* What a value of each type may be. */

int gw_config_split_hostport(const char *s, char **host, uint16_t *port)
{
	const char *colon, *hbeg, *hend;
	char *end;
	long p;

	if (!s || !*s)
		return EINVAL;
	if (s[0] == '[') {
		hbeg = s + 1;
		hend = strchr(s, ']');
		if (!hend || hend[1] != ':')
			return EINVAL;
		colon = hend + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return EINVAL; /* bare IPv6 needs brackets */
		hbeg = s;
		hend = colon;
	}
	if (hend == hbeg)
		return EINVAL;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || p < 1 || p > 65535)
		return EINVAL;
	*host = g_strndup(hbeg, (gsize)(hend - hbeg));
	*port = (uint16_t)p;
	return 0;
}

int gw_config_split_portrange(const char *s, uint16_t *min, uint16_t *max)
{
	unsigned long a, b;
	char *end;

	if (!s || !*s) {
		*min = *max = 0;
		return 0;
	}
	a = strtoul(s, &end, 10);
	if (end == s || *end != '-')
		return EINVAL;
	s = end + 1;
	b = strtoul(s, &end, 10);
	if (end == s || *end || a < 1 || b > 65535 || a > b)
		return EINVAL;
	*min = (uint16_t)a;
	*max = (uint16_t)b;
	return 0;
}

static bool is_ip(const char *s)
{
	GInetAddress *a = g_inet_address_new_from_string(s);

	if (!a)
		return false;
	g_object_unref(a);
	return true;
}

static bool only_chars(const char *s, const char *allowed)
{
	return s[strspn(s, allowed)] == '\0';
}

static bool is_hostname(const char *s)
{
	return *s && *s != '-' && *s != '.' &&
	       only_chars(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.");
}

/* Validate a comma-separated list; @masks selects "net/len" vs plain IPs. */
static char *check_list(const char *v, bool masks)
{
	char **items = g_strsplit(v, ",", -1);
	char *err = NULL;

	for (char **it = items; *it && !err; it++) {
		char *s = g_strstrip(*it);
		GInetAddressMask *m;

		if (!*s)
			continue;
		if (!masks) {
			if (!is_ip(s))
				err = g_strdup_printf("'%s' is not an IP address", s);
			continue;
		}
		m = g_inet_address_mask_new_from_string(s, NULL);
		if (!m)
			err = g_strdup_printf("'%s' is not a network (address/prefix)", s);
		else
			g_object_unref(m);
	}
	g_strfreev(items);
	return err;
}

/* The choice of "a|b|c" equal to @v (in any case when @anycase), or NULL. */
static char *choice_find(const char *choices, const char *v, bool anycase)
{
	char **c = g_strsplit(choices, "|", -1), *found = NULL;

	for (char **it = c; *it && !found; it++)
		if (anycase ? !g_ascii_strcasecmp(*it, v) : !strcmp(*it, v))
			found = g_strdup(*it);
	g_strfreev(c);
	return found;
}

/* A space/comma list of @k's choices; on success *norm is the list spelled
 * as the table spells it, one space between items. */
static char *check_enumlist(const struct gw_conf_key *k, const char *v, char **norm)
{
	char **items = g_strsplit_set(v, " ,\t", -1);
	GPtrArray *seen = g_ptr_array_new_with_free_func(g_free);
	char *err = NULL;

	for (char **it = items; *it && !err; it++) {
		char *c;

		if (!**it)
			continue;
		c = choice_find(k->choices, *it, true);
		if (!c)
			err = g_strdup_printf("'%s' is not one of %s", *it, k->choices);
		else if (g_ptr_array_find_with_equal_func(seen, c, g_str_equal, NULL))
			err = g_strdup_printf("'%s' is listed twice", *it);
		if (c && !err)
			g_ptr_array_add(seen, c);
		else
			g_free(c);
	}
	if (!err && seen->len == 0)
		err = g_strdup_printf("needs at least one of %s", k->choices);
	if (!err) {
		g_ptr_array_add(seen, NULL);
		*norm = g_strjoinv(" ", (char **)seen->pdata);
	}
	g_ptr_array_unref(seen);
	g_strfreev(items);
	return err;
}

/* "sip:host[:port][;params]" or "sips:..." (RFC 3261 19.1), no user part. */
static char *check_sip_uri(const char *v)
{
	const char *rest;
	char *hp, *host = NULL, *err = NULL;
	size_t len;
	uint16_t port;

	if (!g_ascii_strncasecmp(v, "sip:", 4))
		rest = v + 4;
	else if (!g_ascii_strncasecmp(v, "sips:", 5))
		rest = v + 5;
	else
		return g_strdup_printf("'%s' is not a SIP URI (sip:host[:port] or sips:host[:port])", v);
	hp = g_strndup(rest, strcspn(rest, ";?"));
	len = strlen(hp);
	if (strchr(hp, '@'))
		err = g_strdup_printf("'%s' has a user part; give sip:host[:port]", v);
	else if (len > 2 && hp[0] == '[' && hp[len - 1] == ']')
		host = g_strndup(hp + 1, len - 2);
	else if (strchr(hp, ':') && gw_config_split_hostport(hp, &host, &port))
		err = g_strdup_printf("'%s' does not have host[:port] after the scheme (port 1-65535)", v);
	else if (!host)
		host = g_strdup(hp);
	if (!err && !is_ip(host) && !is_hostname(host))
		err = g_strdup_printf("'%s' has no valid host", v);
	g_free(host);
	g_free(hp);
	return err;
}

/* Parse @v for key @k into the struct at @base; NULL or an error (g_free). */
static char *set_value(void *base, const struct gw_conf_key *k, const char *v, const char *basedir)
{
	char *end, *host = NULL, *norm = NULL, *err;
	long n;
	uint16_t a, b;

	switch (k->type) {
	case GW_CONF_BOOL:
		if (!g_ascii_strcasecmp(v, "true") || !strcmp(v, "1") || !g_ascii_strcasecmp(v, "yes"))
			*FIELD(base, k, bool) = true;
		else if (!g_ascii_strcasecmp(v, "false") || !strcmp(v, "0") || !g_ascii_strcasecmp(v, "no"))
			*FIELD(base, k, bool) = false;
		else
			return g_strdup_printf("'%s' is not a boolean (true or false)", v);
		return NULL;
	case GW_CONF_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || end == v || *end)
			return g_strdup_printf("'%s' is not a whole number", v);
		if (n < k->min || n > k->max)
			return g_strdup_printf("%ld is out of range (%ld to %ld)", n, k->min, k->max);
		*FIELD(base, k, int) = (int)n;
		return NULL;
	case GW_CONF_ENUM:
		if (!(norm = choice_find(k->choices, v, false)))
			return g_strdup_printf("'%s' is not one of %s", v, k->choices);
		break;
	case GW_CONF_ENUMLIST:
		if ((err = check_enumlist(k, v, &norm)))
			return err;
		break;
	case GW_CONF_HOSTPORT:
		if (*v && gw_config_split_hostport(v, &host, &a))
			return g_strdup_printf("'%s' is not host:port (port 1-65535)", v);
		g_free(host);
		break;
	case GW_CONF_PORTRANGE:
		if (gw_config_split_portrange(v, &a, &b))
			return g_strdup_printf("'%s' is not a port range min-max (1-65535)", v);
		break;
	case GW_CONF_NETLIST:
	case GW_CONF_ADDRLIST:
		if ((err = check_list(v, k->type == GW_CONF_NETLIST)))
			return err;
		break;
	case GW_CONF_ADDR:
		if (*v && !is_ip(v))
			return g_strdup_printf("'%s' is not an IP address", v);
		break;
	case GW_CONF_SIPURI:
		if (*v && (err = check_sip_uri(v)))
			return err;
		break;
	case GW_CONF_DIALSTRING:
		if (!only_chars(v, DIAL_CHARS))
			return g_strdup_printf("'%s' may hold only digits, '*' and '#'", v);
		break;
	case GW_CONF_PATH:
		if (*v && !g_path_is_absolute(v) && basedir)
			norm = g_canonicalize_filename(v, basedir);
		break;
	case GW_CONF_STRING:
	case GW_CONF_MAP:
		break;
	}
	g_free(*FIELD(base, k, char *));
	*FIELD(base, k, char *) = norm ? norm : g_strdup(v);
	return NULL;
}

int gw_config_key_parse(const struct gw_conf_key *k, void *base, const char *value,
			const char *basedir, char **reason)
{
	char *msg = set_value(base, k, value, basedir);

	if (!msg)
		return 0;
	*reason = msg;
	return EINVAL;
}
