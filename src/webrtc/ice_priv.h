/* webrtc/ice_priv.h — what ice.c and ice_cand.c share; libnice types inside,
 * so only src/webrtc/ice*.c include it. */
#ifndef GW_WEBRTC_ICE_PRIV_H
#define GW_WEBRTC_ICE_PRIV_H

#include <stdbool.h>
#include <sys/socket.h>
#include <nice/agent.h>
#include "gw/ice.h"
#include "gw/rtp.h"

/* One WebRTC leg's ICE agent.  Owned by the call's media loop (@ctx): no
 * field is touched from another thread.  A gw_obj; see ice.c for who holds
 * references. */
struct gw_ice_agent {
	GMainContext *ctx;              /* the media loop (ref): our connect timer */
	struct gw_loop_ctx *driven;     /* libnice's own context on the loop, or NULL */
	GMainContext *nctx;             /* libnice's: driven's, else ctx (borrowed) */
	NiceAgent *agent;               /* NULL once closed */
	guint stream;                   /* the one stream; component 1 */
	char *name;                     /* log context */
	char *ufrag, *pwd;              /* local credentials */
	NiceAddress public_addr;        /* 1:1 NAT address, or invalid */
	struct gw_ice_networks *nets;   /* remote-candidate filter */
	bool filter_warned;             /* about its kernel half */
	bool turn;                      /* a TURN server was configured */
	unsigned connect_timeout_ms;
	GSource *timer;                 /* connect timeout (holds a ref) */
	enum gw_ice_state state;
	bool nice_ready;                /* libnice nominated a pair (READY) */
	gint64 gather_start_us, connected_us;
	unsigned remote_cands;
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	gw_ice_recv_h *recvh;
	gw_ice_state_h *stateh;
	gw_ice_candidate_h *candh;
	void *arg;
	/* Media send path once a UDP pair is selected: libnice's own socket
	 * (ref from nice_agent_get_selected_socket) and the remote address,
	 * so a packet is one sendto() instead of nice_agent_send()'s lock,
	 * lookups and GSocket layers.  NULL: send through libnice (no pair
	 * yet, TURN-relayed pair, or not connected). */
	GSocket *direct;
	int direct_fd;
	struct sockaddr_storage direct_to;
	socklen_t direct_len;
	uint64_t direct_packets;
	uint64_t direct_rx_packets;     /* received by direct_read */
	/* A second address the browser's media comes from, read directly too:
	 * a browser may send on a valid pair other than the one libnice
	 * selected (Chromium switches without nominating again).  Learned
	 * when libnice hands on media direct_read left to it for coming from
	 * there (libnice delivers only what comes from a valid pair's remote):
	 * the header and length of that datagram, and its source, are kept
	 * until then.  ss_family 0: none.  Cleared with the direct path. */
	struct sockaddr_storage direct_alt;
	struct sockaddr_storage probe_from;
	uint8_t probe_hdr[12];
	size_t probe_len;               /* 0: nothing being learned */
	unsigned direct_gen;            /* bumped whenever the path is dropped */
	struct gw_rtp_age_limit age;    /* media.max_queue_ms (guessed for libnice's reads) */
};

/* Our candidate @c as "candidate:..." (no "a="), with public_ip applied to
 * host candidates; g_free it.  NULL for candidates we never advertise. */
char *gw_ice_cand_print(const struct gw_ice_agent *ice, const NiceCandidate *c);

/* Check, parse and filter one remote candidate line (see
 * gw_ice_agent_add_remote_candidate for the errors); *@out is a libnice
 * candidate for the agent's stream, nice_candidate_free it. */
int gw_ice_cand_parse(const struct gw_ice_agent *ice, const char *line, NiceCandidate **out);

/* @s is min..max ice-chars (RFC 8839: ALPHA / DIGIT / "+" / "/"). */
bool gw_ice_cand_is_ice_chars(const char *s, size_t min, size_t max);

#endif
