/* gw/rtp_socket.h — the SIP-side RTP/RTCP socket pair of one call: plain UDP
 * on an even port (RTP) and the next odd port (RTCP), living on the call's
 * media loop.
 *
 * Opened on any thread (the call layer needs the port for its SDP before
 * the media loop has seen the call); it starts receiving once started on
 * its loop; everything else runs on that loop.  A gw_obj.
 *
 * Remote address: set from the far end's SDP; media is sent there.  Media
 * is taken from one source only, against RTP injection and the "RTP
 * bleed" hijack of a call's audio by whoever sends to its port: the SDP
 * address at its first RTP packet; when that address is a private one
 * (RFC 1918, shared, link-local, loopback: a far end behind NAT) and not
 * the SIP peer's, the SIP peer's address too, any port, at its first RTP
 * packet (the SIP peer is the next hop the call's signalling came from: a
 * PBX behind NAT sends its media from the public address its SIP comes
 * from); another source (media from elsewhere) once it has sent
 * GW_RTP_PROBATION RTP packets in sequence with one SSRC (each of a few
 * sources on probation counted on its own).  RTP from anywhere else is
 * dropped and counted.  Ranked SDP address > SIP peer > probation: a
 * stronger source takes over from a weaker one at its first packet; an
 * equal or weaker one only from a source (not the SDP's) silent for a
 * second (a NAT rebinding).  What is left: a stranger who sprays the port
 * is heard until the far end's first packet when that comes from neither
 * address (or before it sends at all), and keeps the call when the far
 * end's media comes from neither and the stranger keeps sending (what
 * symmetric RTP has always risked); with the peer rule, whatever the SIP
 * next hop (a proxy or SBC) sends from its own address is trusted.  Before any SDP address (and during a c=0.0.0.0 hold) every
 * datagram is delivered and nothing is learned.  A set_remote to another
 * address or with another symmetric flag learns again; the same one keeps
 * what was learned.  With symmetric RTP (a trunk option for peers behind
 * NAT) media is also sent to the learned source ("latched").  Datagrams
 * that are not RTP version 2 never teach a source; they reach the callback
 * (which refuses them) until a source is learned, then are dropped unless
 * they come from it.
 */
#ifndef GW_RTP_SOCKET_H
#define GW_RTP_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gw_loop;
struct gw_rtp_socket;

/* Media loop: one datagram received on the RTP port.  @buf may be changed
 * in place; valid during the call only.  @rx_us: when it arrived (the
 * kernel's stamp, monotonic µs; earlier than now when the loop was busy). */
typedef void (gw_rtp_socket_h)(struct gw_rtp_socket *s, uint8_t *buf, size_t len,
			       int64_t rx_us, void *arg);

struct gw_rtp_socket_stats {
	uint64_t rtp_in, rtp_out, rtcp_in;
	uint64_t bytes_in, bytes_out;
	uint64_t foreign;        /* dropped: not the learned source, or on probation */
	uint64_t stale;          /* dropped: waited too long to be read (set_max_queue) */
	uint64_t send_errors;
	bool learned;            /* media is taken from one source now */
	bool latched;            /* symmetric: and sent to it */
	char source[64];         /* "IP:port" media is taken from, "" until learned */
	char remote[64];         /* "IP:port" we send to, "" when none */
};

/* Bind an RTP/RTCP pair on @local_ip, RTP on an even port in [@port_min,
 * @port_max] (0, 0 = any even port the kernel gives whose +1 is free),
 * tried from a random start.  Any thread.  0 and *@out, EADDRINUSE when the
 * range is exhausted, EINVAL for a bad address or range, or errno. */
int gw_rtp_socket_open(const char *local_ip, uint16_t port_min, uint16_t port_max,
		       struct gw_rtp_socket **out);

uint16_t gw_rtp_socket_port(const struct gw_rtp_socket *s); /* RTP port; any thread */

/* Start receiving on @loop: at once when called on @loop, else from @loop
 * shortly after (the socket's watches are always added on the loop's own
 * thread; datagrams arriving meanwhile wait in the socket).  Call once, from
 * any thread.  @arg is not referenced: keep it alive until
 * gw_rtp_socket_close. */
void gw_rtp_socket_start(struct gw_rtp_socket *s, struct gw_loop *loop, gw_rtp_socket_h *h,
			 void *arg);

/* Before start, any thread: a datagram the source rules let through
 * (above) that waited longer than @ms in the socket (kernel receive stamp
 * to read) is dropped and counted (stale); it still counts toward
 * gw_rtp_socket_source_packets.  0 (the default) = never
 * (media.max_queue_ms). */
void gw_rtp_socket_set_max_queue(struct gw_rtp_socket *s, unsigned ms);

/* The RFC 4733 telephone-event payload type the far end sends (-1, the
 * default: none): those are never dropped for waiting (set_max_queue;
 * gw_rtp_age_limit).  Before start, or on the socket's loop. */
void gw_rtp_socket_set_event_pt(struct gw_rtp_socket *s, int pt);

#define GW_RTP_PROBATION 4  /* in-sequence packets that teach a source not in the SDP */

/* Media loop: where to send (@ip "0.0.0.0" or port 0 = nowhere: hold).
 * @symmetric: send to the learned source, not the SDP address.  0 or
 * EINVAL. */
int gw_rtp_socket_set_remote(struct gw_rtp_socket *s, const char *ip, uint16_t port,
			     bool symmetric);

/* Media loop: the SIP peer's address (@ip numeric, no port; NULL or ""
 * = unknown), trusted for media as above.  Keeps what was learned (ranked anew: a
 * source at the peer's address as the peer's, any other not the SDP's as
 * probation-learned).  0, or EINVAL (not an address of the socket's family):
 * then no peer is trusted. */
int gw_rtp_socket_set_peer(struct gw_rtp_socket *s, const char *ip);

/* Media loop: send one RTP packet to the remote (dropped silently when
 * there is none).  0 or errno (counted). */
int gw_rtp_socket_send(struct gw_rtp_socket *s, const uint8_t *buf, size_t len);

void gw_rtp_socket_stats(const struct gw_rtp_socket *s, struct gw_rtp_socket_stats *out);
/* RTP packets taken so far from the call's media source (the learned one:
 * nothing before the SDP gave an address, no stranger's, no non-RTP
 * datagram); media loop; 0 for NULL. */
uint64_t gw_rtp_socket_source_packets(const struct gw_rtp_socket *s);

/* Media loop (or any thread if never started): stop receiving, close both
 * sockets; no callback after it returns.  Drop your reference afterwards. */
void gw_rtp_socket_close(struct gw_rtp_socket *s);

#endif
