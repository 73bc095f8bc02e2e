/* gw/ice.h — ICE for the WebRTC leg (libnice), and the remote-network filter.
 *
 * One gw_ice_agent per WebRTC leg: one stream with one component (BUNDLE and
 * rtcp-mux), UDP only, RFC 5245/8445 full ICE by default or ICE-lite, trickle
 * both ways, RFC 7675 consent freshness.  The agent lives on the call's media
 * loop (the GMainContext given at alloc): every function below and every
 * callback runs on that loop's thread.  Only src/webrtc/ice*.c include libnice.
 *
 * Ownership: gw_ice_agent is a gw_obj.  While it is open, libnice (its signal
 * handlers, the receive callback and the connect timer) holds one reference of
 * its own, so the owner must call gw_ice_agent_close() before dropping its
 * last reference; the object is freed once both are gone.
 *
 * public_ip (1:1 NAT, rtpengine/Janus "nat-1-1" semantics): the address of
 * every host candidate of the same family is REPLACED by public_ip in what the
 * gateway advertises (answer candidates and trickled ones), same port and
 * priority, no raddr.  The private address is never advertised; the sockets
 * stay bound to it and the NAT maps public_ip:port 1:1 onto them.
 */
#ifndef GW_ICE_H
#define GW_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <glib.h>
#include "gw/loop.h"

struct gw_rtp_pts;

/* ---- remote-network filter (ice.remote_networks) ------------------------ */

/* A parsed list of IPv4/IPv6 prefixes.  Plain allocation, single owner. */
struct gw_ice_networks;

/* Parse @list, e.g. "127.0.0.0/8, ::1/128, 192.168.1.7" (commas and/or
 * blanks separate entries; a bare address is a /32 or /128).  NULL or a blank
 * string gives an empty list, which matches every address ("any").
 * Returns 0 and sets *@out, or EINVAL and sets *@err (g_free it) to a reason
 * naming the bad entry (bad address, prefix out of range, host bits set). */
int gw_ice_networks_parse(const char *list, struct gw_ice_networks **out, char **err);

/* Free a list from gw_ice_networks_parse (NULL-safe). */
void gw_ice_networks_free(struct gw_ice_networks *nets);

/* Its prefixes (0: any; NULL-safe). */
size_t gw_ice_networks_count(const struct gw_ice_networks *nets);

/* Whether @sa (AF_INET or AF_INET6; IPv4-mapped IPv6 counts as IPv4) lies in
 * one of the prefixes; an empty list matches everything, other families never. */
bool gw_ice_networks_match(const struct gw_ice_networks *nets, const struct sockaddr *sa);

/* Same for a numeric address string; false if @ip is not an IP address. */
bool gw_ice_networks_match_ip(const struct gw_ice_networks *nets, const char *ip);

/* Attach to @fd, if a UDP socket, a kernel filter that drops STUN Binding
 * Requests (connectivity checks) from sources outside @nets, so that
 * libnice neither answers them nor learns their sources as peer-reflexive
 * remotes; nothing for an empty list or another kind of socket.  0 or an
 * errno (ENOSPC: too many prefixes for one program). */
int gw_ice_networks_attach(const struct gw_ice_networks *nets, int fd);

/* At start: whether @list (ice.remote_networks) parses and its filter is
 * one the kernel takes; 0, or an errno with *@why set (g_free it). */
int gw_ice_networks_check(const char *list, char **why);

/* ---- agent --------------------------------------------------------------- */

/* Settings of one agent; strings are copied at alloc, so they may be freed
 * afterwards.  Zero / NULL fields take the default given. */
struct gw_ice_config {
	const char *name;              /* log context, e.g. "call c1"; NULL = "ice" */
	bool controlling;              /* ICE role; a lite agent must be controlled */
	bool lite;                     /* ice.lite: answer checks only (RFC 8445 2.5) */
	const char *const *local_addrs;/* NULL-terminated IPs to gather host candidates
				        * on, e.g. {"127.0.0.1", NULL}; NULL or empty =
				        * libnice's own interface list (no loopback) */
	const char *public_ip;         /* ice.public_ip: 1:1 NAT address, see above */
	const char *stun_server;       /* host name or IP; NULL = no srflx gathering */
	uint16_t stun_port;            /* 0 = 3478 */
	const char *turn_server;       /* host name or IP; NULL = no relay (UDP TURN) */
	uint16_t turn_port;            /* 0 = 3478 */
	const char *turn_user;         /* required with turn_server */
	const char *turn_password;     /* required with turn_server */
	uint16_t port_min, port_max;   /* ice.port_range; both 0 = any port */
	const char *remote_networks;   /* "127.0.0.0/8, ::1/128"; NULL or "" = any */
	unsigned connect_timeout_ms;   /* gather start -> CONNECTED; 0 = 20000 */
	unsigned max_queue_ms;         /* media.max_queue_ms: RTP/RTCP read on the
				        * direct path (gw_ice_stats) that waited
				        * longer in the socket is dropped
				        * (gw_ice_agent_stale_packets); 0 = never */
	struct gw_loop *loop;          /* run libnice in a driven context of this
				        * loop (gw_loop_ctx_new; call gw_ice_agent_alloc
				        * on its thread, ctx must be its context); NULL =
				        * libnice's sources go on ctx itself */
};

enum gw_ice_state {
	GW_ICE_NEW = 0,     /* allocated, not gathering yet */
	GW_ICE_GATHERING,
	GW_ICE_CONNECTING,
	GW_ICE_CONNECTED,   /* a pair works: media may flow (also after nomination) */
	GW_ICE_FAILED,      /* terminal: no pair, timeout, or consent lost */
	GW_ICE_CLOSED,      /* gw_ice_agent_close() was called; never reported */
};

/* Every datagram received on the selected path that is not an ICE check
 * (DTLS, SRTP, SRTCP: demultiplex them per RFC 7983).  @buf is only valid
 * during the call.  @rx_us: when it arrived, monotonic µs (the kernel's
 * stamp on a direct pair, else when it was read). */
typedef void (gw_ice_recv_h)(const uint8_t *buf, size_t len, int64_t rx_us, void *arg);

/* State changes, each reported once, only forward; @reason is set for
 * FAILED: "ice failed: no candidate pair succeeded", "ice failed: no pair
 * nominated", "ice failed: timeout after N ms" (connect_timeout_ms), or
 * "consent lost" (RFC 7675; libnice 0.1.21 declares it after 10 s without a
 * consent response, not the RFC's 30 s). */
typedef void (gw_ice_state_h)(enum gw_ice_state st, const char *reason, void *arg);

/* A gathered local candidate, "candidate:..." without "a=" (ready for a JSON
 * `candidate` message or an a= line), or NULL once gathering is done. */
typedef void (gw_ice_candidate_h)(const char *candidate, void *arg);

struct gw_ice_agent;

/* Counters and selected pair for logs, /metrics and the call's stats. */
struct gw_ice_stats {
	enum gw_ice_state state;
	int64_t connect_ms;          /* gather start -> CONNECTED, -1 until then */
	unsigned remote_candidates;  /* remote candidates handed to libnice */
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t direct_packets;     /* of tx_packets: sent on the selected UDP pair's
				      * socket directly, not through nice_agent_send */
	uint64_t direct_rx_packets;  /* of rx_packets: RTP/RTCP read from that socket
				      * before libnice (driven contexts only) */
	bool have_pair;              /* the fields below are set */
	char local[80], remote[80];  /* selected pair, "IP:port typ" */
};

/* Create an agent on @ctx (the call's media loop) with one stream/component;
 * the callbacks (any may be NULL) get @arg.  Nothing is sent until
 * gw_ice_agent_gather().  0, EINVAL on a bad config (one log line says why),
 * or EIO if libnice refuses or its STUN symbols are overridden by a library
 * linked before it (Sofia-SIP exports stun_message_length: link order). */
int gw_ice_agent_alloc(struct gw_ice_agent **out, GMainContext *ctx,
		       const struct gw_ice_config *cfg, gw_ice_recv_h *recvh,
		       gw_ice_state_h *stateh, gw_ice_candidate_h *candh, void *arg);

/* Start gathering local candidates and arm the connect timeout.  Host
 * candidates may be reported (candh) before this returns.  0, EALREADY, EIO.
 * Like every call below except the getters, ENOTCONN after close. */
int gw_ice_agent_gather(struct gw_ice_agent *ice);

/* Local credentials for a=ice-ufrag / a=ice-pwd, valid while @ice lives. */
const char *gw_ice_agent_ufrag(const struct gw_ice_agent *ice);
const char *gw_ice_agent_pwd(const struct gw_ice_agent *ice);

/* Local candidates gathered so far as "candidate:..." strings (public_ip
 * applied), NULL-terminated; free with g_strfreev.  Never NULL. */
char **gw_ice_agent_local_candidates(struct gw_ice_agent *ice);

/* The peer's a=ice-ufrag / a=ice-pwd.  0, or EINVAL when they break RFC 8839
 * (ufrag 4-256, pwd 22-256 ice-chars). */
int gw_ice_agent_set_remote_credentials(struct gw_ice_agent *ice, const char *ufrag,
					const char *pwd);

/* One remote candidate, from the offer or trickled: "candidate:..." with or
 * without "a=" and trailing CR/LF.  Filtered BEFORE libnice sees it, so a
 * refused candidate is never sent a packet.  0 when added; EINVAL malformed;
 * ENOTSUP well-formed but unusable here (TCP, component other than 1, mDNS
 * or other host names); EPERM outside remote_networks; EIO libnice refused.
 * Every refusal logs one line with the reason. */
int gw_ice_agent_add_remote_candidate(struct gw_ice_agent *ice, const char *candidate);

/* The peer has no more candidates (JSON candidate null, a=end-of-candidates,
 * or an offer without a=ice-options:trickle, after adding its candidates):
 * lets ICE declare failure before connect_timeout_ms (trickle ICE).  0 or EIO. */
int gw_ice_agent_end_of_candidates(struct gw_ice_agent *ice);

/* Send one datagram on the selected pair.  Hot path: no allocation.
 * 0, ENOTCONN before CONNECTED (or after FAILED/close), EIO on a send error. */
int gw_ice_agent_send(struct gw_ice_agent *ice, const uint8_t *buf, size_t len);

/* Snapshot of state, timing, counters and selected pair. */
void gw_ice_agent_stats(struct gw_ice_agent *ice, struct gw_ice_stats *out);

/* Media loop: RTP dropped for waiting over max_queue_ms in the socket: on
 * the direct path (counted among direct_rx_packets) and, guessed, among
 * what libnice read past it (gw_ice_agent_set_rx_pts). */
uint64_t gw_ice_agent_stale_packets(const struct gw_ice_agent *ice);

/* Media loop: the payload types the browser may send: its media's
 * @media_pt with RTP clock @media_rate (0: none), whose age is guessed
 * when libnice read it without a receive stamp, and its RFC 4733
 * telephone-event @events (none by default), which like RTCP are never
 * dropped for waiting over max_queue_ms (gw_rtp_age_limit). */
void gw_ice_agent_set_rx_pts(struct gw_ice_agent *ice, uint8_t media_pt, uint32_t media_rate,
			     const struct gw_rtp_pts *events);

/* Current state. */
enum gw_ice_state gw_ice_agent_state(const struct gw_ice_agent *ice);

/* Stop: detach every libnice callback and the timer, release the NiceAgent
 * (TURN allocations are released asynchronously on the loop) and drop
 * libnice's reference.  No callback runs afterwards.  Idempotent, safe from
 * inside any of the callbacks, must precede the owner's last deref. */
void gw_ice_agent_close(struct gw_ice_agent *ice);

/* Short name of a state, e.g. "connected". */
const char *gw_ice_state_name(enum gw_ice_state st);

#endif
