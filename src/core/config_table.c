/* config_table.c — every configuration key, declared once.
 *
 * Adding a key: add a field to struct gw_config and one row here; parsing,
 * validation, the sample file and the README reference follow from it.
 */
#include <stddef.h>
#include "gw/config.h"

#define F(field) offsetof(struct gw_config, field)

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
	  "WebSocket sessions open at once; more are refused", F(signal_max_sessions) },
	{ "signal", "max_frame", GW_CONF_INT, "65536", 1024, 1048576, NULL,
	  "largest JSON message accepted, in bytes", F(signal_max_frame) },
	{ "signal", "hello_timeout", GW_CONF_INT, "10", 1, 3600, NULL,
	  "seconds a new WebSocket session has to send hello before it is closed", F(signal_hello_timeout) },

	{ "auth", "mode", GW_CONF_ENUM, "none", 0, 0, "none|jwt",
	  "none: hello names the user (loopback only); jwt: HS256 token in hello", F(auth_mode) },
	{ "auth", "jwt_secret", GW_CONF_STRING, "", 0, 0, NULL,
	  "HS256 secret for auth.mode = jwt (at least 32 characters)", F(auth_jwt_secret) },
	{ "auth", "allow_insecure", GW_CONF_BOOL, "false", 0, 0, NULL,
	  "allow auth.mode = none on a non-loopback signal.listen", F(auth_allow_insecure) },

	{ "media", "threads", GW_CONF_INT, "0", 0, 64, NULL,
	  "media loops (threads); 0 = one per CPU core", F(media_threads) },
	{ "media", "max_calls", GW_CONF_INT, "1000", 1, 100000, NULL,
	  "calls in progress at once; more are refused (error limit)", F(media_max_calls) },
	{ "media", "passthrough", GW_CONF_BOOL, "false", 0, 0, NULL,
	  "relay without transcoding when both legs negotiated the same codec", F(media_passthrough) },
	{ "media", "jitter_max_ms", GW_CONF_INT, "200", 20, 1000, NULL,
	  "upper bound of the adaptive jitter buffer on the SIP side", F(media_jitter_max_ms) },
	{ "media", "opus_complexity", GW_CONF_INT, "5", 0, 10, NULL,
	  "Opus encoder complexity toward the browser", F(media_opus_complexity) },
	{ "media", "opus_bitrate", GW_CONF_INT, "32000", 6000, 510000, NULL,
	  "Opus encoder bitrate toward the browser, bit/s", F(media_opus_bitrate) },
	{ "media", "opus_fec", GW_CONF_BOOL, "true", 0, 0, NULL,
	  "Opus in-band FEC toward the browser", F(media_opus_fec) },
	{ "media", "opus_expected_loss", GW_CONF_INT, "5", 0, 100, NULL,
	  "packet loss (percent) the Opus encoder plans FEC for", F(media_opus_expected_loss) },

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
	  "browser candidates outside these networks are ignored; empty = any", F(ice_remote_networks) },
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
};

const size_t gw_conf_nkeys = sizeof(gw_conf_keys) / sizeof(gw_conf_keys[0]);
