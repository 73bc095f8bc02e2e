/* rtp_socket.c — the SIP-side RTP/RTCP UDP socket pair of one call (see
 * gw/rtp_socket.h).
 *
 * Opened on any thread; receives on the call's media loop through one fd
 * watch per port in the loop's shared epoll set (gw_loop_watch_add: no
 * GSource per socket), added on the loop's thread and together holding one
 * reference on the socket until gw_rtp_socket_close() removes them.  Owns
 * both fds and a reference on its loop.  Plain BSD sockets, not GSocket:
 * this is the per-packet hot path and must not pay for a GError or a
 * GObject per datagram.
 *
 * A burst is drained by one recvmmsg() per wakeup into a per-thread batch
 * buffer: the callback runs synchronously on the loop thread, so one batch
 * per media thread serves every socket pinned there.
 */
#define _GNU_SOURCE /* recvmmsg */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <glib.h>
#include "gw/rtp.h"
#include "gw/rtp_socket.h"
#include "gw/loop.h"
#include "gw/net.h"
#include "gw/obj.h"
#include "gw/log.h"

#define BATCH 64             /* datagrams read per wakeup, at most */
#define DGRAM_MAX 2048       /* larger than any Ethernet-MTU datagram */
#define RCVBUF (256 * 1024)  /* ride out a stalled loop (capped by rmem_max) */
#define KERNEL_PORT_TRIES 32 /* 0,0: kernel ports tried for an even free pair */
#define RTP_HDR_MIN 12
#define CANDIDATES 4         /* sources on probation at once */
#define SOURCE_SILENT_US G_USEC_PER_SEC /* a source not the SDP's this quiet may be replaced */

/* How a source was learned, weakest first: a stronger one takes over from
 * a weaker one at its first packet. */
enum source_rank {
	BY_PROBATION = 1,        /* GW_RTP_PROBATION packets in sequence */
	BY_PEER,                 /* the SIP peer's IP address, any port */
	BY_SDP,                  /* the SDP's address and port */
};

struct gw_rtp_socket {
	/* Fixed at open; read on any thread. */
	int family;
	int fd[2];                      /* RTP, RTCP; -1 once closed */
	uint16_t port;                  /* RTP port; RTCP is port + 1 */
	char name[24];                  /* log context, "rtp PORT" */
	struct gw_rtp_age_limit age;    /* max_us set before start; the rest the loop's */

	/* Set once by start (before its watches are added, on the loop), then
	 * owned by the media loop like everything below. */
	struct gw_loop *loop;           /* reference */
	struct gw_loop_watch *w[2];     /* RTP, RTCP; NULL when not watching */
	bool watched;                   /* the watches hold a reference */
	gw_rtp_socket_h *h;
	void *arg;                      /* not referenced */
	bool closed;

	struct sockaddr_storage remote; /* where we send */
	socklen_t remote_len;           /* 0: nowhere (hold, or never set) */
	struct sockaddr_storage sdp;    /* what the SDP said (remote unless latched:
					 * symmetric and learned) */
	socklen_t sdp_len;              /* 0: nowhere */
	bool symmetric;                 /* send to the learned source */
	struct sockaddr_storage peer;   /* the SIP peer's address (port unused) */
	socklen_t peer_len;             /* 0: unknown */
	bool peer_trusted;              /* the SDP's address is private and not the
					 * peer's: media may come from the peer */
	/* the one source media is taken from (see gw/rtp_socket.h) */
	bool learned;
	enum source_rank rank;          /* how it was learned */
	struct sockaddr_storage source;
	gint64 source_last_us;          /* its last packet's arrival (not the SDP's) */
	struct {                        /* sources on probation */
		struct sockaddr_storage addr;
		uint32_t ssrc;
		uint16_t seq;
		unsigned n;             /* in-sequence packets so far, 0: free */
	} cand[CANDIDATES];
	unsigned cand_next;             /* the slot a new source takes when all are used */
	uint64_t source_in;             /* RTP taken from the learned source */

	struct gw_rtp_socket_stats st;  /* counters only; the rest filled on read */
	uint64_t truncated;             /* datagrams over DGRAM_MAX, dropped */
};

struct batch {
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage from[BATCH];
	union gw_rx_stamp_buf ctl[BATCH]; /* the kernel's receive stamps */
	uint8_t buf[BATCH][DGRAM_MAX];
};

/* One batch per thread that reads, freed when the thread exits. */
static GPrivate batch_key = G_PRIVATE_INIT(g_free);

static struct batch *batch_get(void)
{
	struct batch *b = g_private_get(&batch_key);

	if (!b) {
		b = g_new0(struct batch, 1);
		for (int i = 0; i < BATCH; i++) {
			b->iov[i].iov_base = b->buf[i];
			b->iov[i].iov_len = DGRAM_MAX;
			b->msgs[i].msg_hdr.msg_name = &b->from[i];
			b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
			b->msgs[i].msg_hdr.msg_iovlen = 1;
		}
		g_private_set(&batch_key, b);
	}
	/* msg_namelen and msg_controllen are value-result: the last read
	 * shortened them. */
	for (int i = 0; i < BATCH; i++) {
		b->msgs[i].msg_hdr.msg_namelen = sizeof(b->from[i]);
		b->msgs[i].msg_hdr.msg_control = b->ctl[i].buf;
		b->msgs[i].msg_hdr.msg_controllen = sizeof(b->ctl[i].buf);
	}
	return b;
}

/* Rate limit for warnings on the packet path: the 1st, 2nd, 4th, 8th... */
static bool power_of_two(uint64_t n)
{
	return n && !(n & (n - 1));
}

/* "IP:port" or "[IPv6]:port"; "" when @len is 0. */
static void addr_format(const struct sockaddr_storage *a, socklen_t len, char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "";

	if (!len) {
		out[0] = '\0';
	} else if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)a;

		inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof(ip));
		g_snprintf(out, size, "[%s]:%u", ip, ntohs(v6->sin6_port));
	} else {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)a;

		inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof(ip));
		g_snprintf(out, size, "%s:%u", ip, ntohs(v4->sin_port));
	}
}

/* Numeric IPv4 or IPv6 address and port into a sockaddr; 0 or EINVAL. */
static int addr_parse(const char *ip, uint16_t port, struct sockaddr_storage *out,
		      socklen_t *out_len)
{
	struct sockaddr_storage a;

	if (!ip)
		return EINVAL;
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, ip, &((struct sockaddr_in *)&a)->sin_addr) == 1) {
		a.ss_family = AF_INET;
		((struct sockaddr_in *)&a)->sin_port = htons(port);
		*out_len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)&a)->sin6_addr) == 1) {
		a.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&a)->sin6_port = htons(port);
		*out_len = sizeof(struct sockaddr_in6);
	} else {
		return EINVAL;
	}
	*out = a;
	return 0;
}

static bool addr_is_unspecified(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)a)->sin6_addr);
	return ((const struct sockaddr_in *)a)->sin_addr.s_addr == htonl(INADDR_ANY);
}

/* An address that cannot be reached from outside its own network: what a
 * far end behind NAT puts in its SDP (RFC 1918, RFC 6598 shared, link
 * local, loopback; IPv6 unique and link local, loopback). */
static bool addr_is_private(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET6) {
		const struct in6_addr *x = &((const struct sockaddr_in6 *)a)->sin6_addr;

		return (x->s6_addr[0] & 0xfe) == 0xfc || IN6_IS_ADDR_LINKLOCAL(x) ||
		       IN6_IS_ADDR_LOOPBACK(x);
	} else {
		uint32_t v = ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr);

		return (v >> 24) == 10 || (v >> 20) == 0xac1 || (v >> 16) == 0xc0a8 ||
		       (v >> 22) == (100u << 2 | 1) || (v >> 16) == 0xa9fe || (v >> 24) == 127;
	}
}

static void addr_set_port(struct sockaddr_storage *a, uint16_t port)
{
	if (a->ss_family == AF_INET6)
		((struct sockaddr_in6 *)a)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)a)->sin_port = htons(port);
}

/* One non-blocking UDP socket bound to @addr at @port (0 = kernel's pick);
 * 0 and *@out_fd, or errno. */
static int udp_bind(const struct sockaddr_storage *addr, socklen_t alen, uint16_t port,
		    int *out_fd)
{
	struct sockaddr_storage a = *addr;
	int fd, one = 1, rcvbuf = RCVBUF, err;

	fd = socket(a.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	/* The family is what local_ip says: "::" must not take IPv4 ports. */
	if (a.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	gw_socket_rx_stamps(fd); /* without: arrival = read time */
	addr_set_port(&a, port);
	if (bind(fd, (struct sockaddr *)&a, alen) < 0) {
		err = errno;
		close(fd);
		return err;
	}
	*out_fd = fd;
	return 0;
}

static uint16_t udp_local_port(int fd)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return 0;
	return a.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&a)->sin6_port)
				       : ntohs(((struct sockaddr_in *)&a)->sin_port);
}

/* Bind RTP at @port (0 = kernel's pick) and RTCP at the next port.
 * 0 and fds/port, EADDRINUSE when either is taken (or the kernel's pick is
 * odd), or another errno. */
static int bind_pair(const struct sockaddr_storage *addr, socklen_t alen, uint16_t port,
		     int fds[2], uint16_t *out_port)
{
	int rtp, rtcp, err;

	err = udp_bind(addr, alen, port, &rtp);
	if (err)
		return err;
	port = udp_local_port(rtp);
	if (port == 0 || (port & 1)) {
		close(rtp);
		return EADDRINUSE;
	}
	err = udp_bind(addr, alen, (uint16_t)(port + 1), &rtcp);
	if (err) {
		close(rtp);
		return err;
	}
	fds[0] = rtp;
	fds[1] = rtcp;
	*out_port = port;
	return 0;
}

/* Walk the even ports of [@min, @max] whose +1 is in range too, from a
 * random start, wrapping.  0, EADDRINUSE when every pair is taken, EINVAL
 * when the range holds no pair, or the first other bind error. */
static int bind_range(const struct sockaddr_storage *addr, socklen_t alen, unsigned min,
		      unsigned max, int fds[2], uint16_t *out_port)
{
	unsigned first = min + (min & 1), pairs, start;
	int err = EADDRINUSE;

	if (min == 0 || max > 65535 || first + 1 > max)
		return EINVAL;
	pairs = (max - 1 - first) / 2 + 1;
	start = (unsigned)g_random_int_range(0, (gint32)pairs);
	for (unsigned i = 0; i < pairs; i++) {
		uint16_t port = (uint16_t)(first + 2 * ((start + i) % pairs));

		err = bind_pair(addr, alen, port, fds, out_port);
		if (err != EADDRINUSE)
			return err;
	}
	return err;
}

static int bind_kernel(const struct sockaddr_storage *addr, socklen_t alen, int fds[2],
		       uint16_t *out_port)
{
	int err = EADDRINUSE;

	for (int i = 0; i < KERNEL_PORT_TRIES && err == EADDRINUSE; i++)
		err = bind_pair(addr, alen, 0, fds, out_port);
	return err;
}

static void close_fds(struct gw_rtp_socket *s)
{
	for (int i = 0; i < 2; i++) {
		if (s->fd[i] >= 0)
			close(s->fd[i]);
		s->fd[i] = -1;
	}
}

static void rtp_socket_destroy(void *obj)
{
	struct gw_rtp_socket *s = obj;

	/* Reached only when never watched or after close: the watches hold a
	 * reference.  Closes what an unstarted owner left open. */
	close_fds(s);
	gw_obj_deref(s->loop);
}

int gw_rtp_socket_open(const char *local_ip, uint16_t port_min, uint16_t port_max,
		       struct gw_rtp_socket **out)
{
	struct gw_rtp_socket *s = NULL;
	struct sockaddr_storage addr;
	socklen_t alen;
	int fds[2], err;
	uint16_t port;

	if (!out || addr_parse(local_ip, 0, &addr, &alen))
		return EINVAL;
	if ((port_min == 0) != (port_max == 0) || port_min > port_max)
		return EINVAL;
	if (port_min == 0)
		err = bind_kernel(&addr, alen, fds, &port);
	else
		err = bind_range(&addr, alen, port_min, port_max, fds, &port);
	if (err) {
		gw_debug(NULL, "rtp socket on %s [%u, %u]: %s", local_ip, port_min, port_max,
			 g_strerror(err));
		goto out;
	}
	s = gw_obj_alloc(sizeof(*s), rtp_socket_destroy);
	s->family = addr.ss_family;
	s->fd[0] = fds[0];
	s->fd[1] = fds[1];
	s->port = port;
	g_snprintf(s->name, sizeof(s->name), "rtp %u", port);
	gw_debug(s->name, "bound %s ports %u/%u", local_ip, port, port + 1);
	*out = s;
out:
	return err;
}

uint16_t gw_rtp_socket_port(const struct gw_rtp_socket *s)
{
	return s ? s->port : 0;
}

void gw_rtp_socket_set_max_queue(struct gw_rtp_socket *s, unsigned ms)
{
	s->age.max_us = (gint64)ms * 1000;
}

void gw_rtp_socket_set_event_pt(struct gw_rtp_socket *s, int pt)
{
	memset(&s->age.events, 0, sizeof(s->age.events));
	gw_rtp_pts_add(&s->age.events, pt);
}

static bool is_rtp(const struct gw_rtp_socket *s, const struct sockaddr_storage *from,
		   const uint8_t *buf, size_t len)
{
	return len >= RTP_HDR_MIN && (buf[0] >> 6) == 2 && from->ss_family == s->family;
}

/* Take media from @from from now on; its packet (arrived at @rx_us) that
 * taught us counts. */
static void learn(struct gw_rtp_socket *s, const struct sockaddr_storage *from, socklen_t len,
		  enum source_rank rank, gint64 rx_us)
{
	char src[64], sdp[64];

	memcpy(&s->source, from, len);
	s->learned = true;
	s->rank = rank;
	s->source_last_us = rank == BY_SDP ? 0 : rx_us;
	s->source_in++;
	memset(s->cand, 0, sizeof(s->cand));
	addr_format(from, len, src, sizeof(src));
	addr_format(&s->sdp, s->sdp_len, sdp, sizeof(sdp));
	if (rank == BY_PROBATION)
		gw_info(s->name, "media from %s, not the SDP's %s: taken after %d packets in "
			"sequence", src, sdp, GW_RTP_PROBATION);
	else if (rank == BY_PEER)
		gw_info(s->name, "media from %s, not the SDP's %s but the SIP peer's address: "
			"taken at its first packet", src, sdp);
	else if (s->st.foreign)
		gw_info(s->name, "media from the SDP's %s (%" G_GUINT64_FORMAT " packets from "
			"elsewhere dropped so far)", src, s->st.foreign);
	if (s->symmetric && !gw_sockaddr_equal(from, &s->remote)) {
		memcpy(&s->remote, from, len);
		s->remote_len = len;
		gw_info(s->name, "symmetric RTP: latched to %s (SDP said %s)", src, sdp);
	}
}

/* One more RTP packet from @from, not the SDP's address: has its source
 * now sent GW_RTP_PROBATION in sequence with one SSRC?  Each source on
 * probation counts on its own (CANDIDATES at once), so a stranger's
 * packets cannot keep a real far end from completing its run. */
static bool probation_passed(struct gw_rtp_socket *s, const struct sockaddr_storage *from,
			     socklen_t from_len, const uint8_t *buf, size_t len)
{
	struct gw_rtp_hdr h;
	unsigned i, free_slot = CANDIDATES;

	if (gw_rtp_parse(buf, len, &h))
		return false;   /* malformed (or RTCP): no step towards a source */
	for (i = 0; i < CANDIDATES; i++) {
		if (s->cand[i].n && gw_sockaddr_equal(from, &s->cand[i].addr))
			break;
		if (!s->cand[i].n && free_slot == CANDIDATES)
			free_slot = i;
	}
	if (i == CANDIDATES) {
		if (free_slot == CANDIDATES) {
			free_slot = s->cand_next;
			s->cand_next = (s->cand_next + 1) % CANDIDATES;
		}
		i = free_slot;
		memcpy(&s->cand[i].addr, from, from_len);
		s->cand[i].n = 0;
	}
	if (s->cand[i].n && h.ssrc == s->cand[i].ssrc && h.seq == (uint16_t)(s->cand[i].seq + 1))
		s->cand[i].n++;
	else
		s->cand[i].n = 1;
	s->cand[i].ssrc = h.ssrc;
	s->cand[i].seq = h.seq;
	return s->cand[i].n >= GW_RTP_PROBATION;
}

static bool foreign(struct gw_rtp_socket *s, const struct sockaddr_storage *from)
{
	char str[64];

	if (++s->st.foreign >= 64 && power_of_two(s->st.foreign)) {
		addr_format(from, sizeof(*from), str, sizeof(str));
		gw_warn(s->name, "%" G_GUINT64_FORMAT " RTP packets dropped so far from other sources "
			"than the call's media (latest from %s)", s->st.foreign, str);
	}
	return false;
}

/* May this datagram from @from pass?  One source only once the SDP gave an
 * address (gw/rtp_socket.h): that address, or any port of the SIP peer's
 * address, at once; another after GW_RTP_PROBATION packets in sequence
 * with one SSRC.  A stronger source (enum source_rank) takes over from a
 * weaker one at its first packet; any that qualifies takes over from a
 * learned source other than the SDP's once that has been silent for
 * SOURCE_SILENT_US (a NAT rebinding, a far end that moved).  Silence is
 * judged by arrival times (@rx_us), not by when the loop reads: after a
 * stalled loop, a stranger's queued packets do not find the source silent. */
static bool source_accept(struct gw_rtp_socket *s, const struct sockaddr_storage *from,
			  socklen_t from_len, const uint8_t *buf, size_t len, gint64 rx_us)
{
	bool replaceable;

	if (s->learned && gw_sockaddr_equal(from, &s->source)) {
		if (s->rank != BY_SDP && rx_us > s->source_last_us)
			s->source_last_us = rx_us;
		s->source_in += is_rtp(s, from, buf, len);
		return true;
	}
	/* No far end yet (nor during a c=0.0.0.0 hold): nothing to tell a
	 * source from, nothing learned; the media engine judges. */
	if (!s->sdp_len)
		return true;
	/* Only RTP version 2 teaches a source: a stray probe must not. */
	if (!is_rtp(s, from, buf, len))
		return s->learned ? foreign(s, from) : true;
	if (gw_sockaddr_equal(from, &s->sdp)) {
		learn(s, from, from_len, BY_SDP, rx_us);
		return true;
	}
	if (s->learned && s->rank == BY_SDP)
		return foreign(s, from);
	replaceable = !s->learned || rx_us - s->source_last_us >= SOURCE_SILENT_US;
	if (s->peer_trusted && gw_sockaddr_same_ip(from, &s->peer)) {
		if (!replaceable && s->rank >= BY_PEER)
			return foreign(s, from);
		learn(s, from, from_len, BY_PEER, rx_us);
		return true;
	}
	if (probation_passed(s, from, from_len, buf, len) && replaceable) {
		learn(s, from, from_len, BY_PROBATION, rx_us);
		return true;
	}
	return foreign(s, from);
}

/* One datagram; @mono_us and @real_us: the clocks just after the read. */
static void rtp_input(struct gw_rtp_socket *s, struct mmsghdr *m, gint64 mono_us, gint64 real_us)
{
	struct msghdr *h = &m->msg_hdr;
	uint8_t *buf = h->msg_iov->iov_base;
	size_t len = m->msg_len;
	gint64 rx_us = gw_rx_time_us(h, mono_us, real_us);

	if (h->msg_flags & MSG_TRUNC) {
		if (power_of_two(++s->truncated))
			gw_warn(s->name, "datagram over %d bytes dropped (%" G_GUINT64_FORMAT " so far)",
				DGRAM_MAX, s->truncated);
		return;
	}
	if (!source_accept(s, h->msg_name, h->msg_namelen, buf, len, rx_us))
		return;
	if (gw_rtp_age_drop(&s->age, buf, len, rx_us, mono_us, s->name, "SIP"))
		return;
	s->st.rtp_in++;
	s->st.bytes_in += len;
	if (s->h)
		s->h(s, buf, len, rx_us, s->arg);
}

/* Media loop: RTP port readable.  The callback may close the socket and
 * drop its owner's reference: ours keeps it alive to the end. */
static void rtp_readable(int fd, void *data)
{
	struct gw_rtp_socket *s = gw_obj_ref(data);
	struct batch *b;
	int64_t mono_us, real_us;
	int n;

	if (s->closed)
		goto out;
	b = batch_get();
	n = recvmmsg(fd, b->msgs, BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			gw_debug(s->name, "recvmmsg: %s", g_strerror(errno));
		goto out;
	}
	gw_rx_clocks(&mono_us, &real_us);
	/* The callback may close us: nothing is delivered after that. */
	for (int i = 0; i < n && !s->closed; i++)
		rtp_input(s, &b->msgs[i], mono_us, real_us);
out:
	gw_obj_deref(s);
}

/* Media loop: RTCP port readable.  Counted and dropped for now. */
static void rtcp_readable(int fd, void *data)
{
	struct gw_rtp_socket *s = data;
	int n;

	if (s->closed)
		return;
	n = recvmmsg(fd, batch_get()->msgs, BATCH, MSG_DONTWAIT, NULL);
	if (n > 0)
		s->st.rtcp_in += (uint64_t)n;
}

/* Media loop (posted by start, holding a reference): watch both ports. */
static void watch_on_loop(void *obj)
{
	struct gw_rtp_socket *s = obj;

	if (s->closed)
		return;
	s->w[1] = gw_loop_watch_add(s->loop, s->fd[1], rtcp_readable, s);
	s->w[0] = gw_loop_watch_add(s->loop, s->fd[0], rtp_readable, s);
	if (!s->w[0] || !s->w[1])
		gw_error(s->name, "cannot watch the RTP/RTCP ports: %s", g_strerror(errno));
	s->watched = true;
	gw_obj_ref(s); /* the watches' */
}

void gw_rtp_socket_start(struct gw_rtp_socket *s, struct gw_loop *loop, gw_rtp_socket_h *h,
			 void *arg)
{
	g_return_if_fail(s && loop);
	if (s->loop || s->closed) {
		gw_warn(s->name, "start ignored: already %s", s->closed ? "closed" : "started");
		return;
	}
	/* Everything the loop reads is written here, before the post that
	 * publishes it; the watches are added on the loop's own thread, so a
	 * first datagram can never race this function. */
	s->loop = gw_obj_ref(loop);
	s->h = h;
	s->arg = arg;
	if (gw_loop_is_current(loop))
		watch_on_loop(s);
	else
		gw_loop_post(loop, watch_on_loop, s);
}

/* Whether the peer rule applies: a far end behind NAT (see the header). */
static void peer_update(struct gw_rtp_socket *s)
{
	s->peer_trusted = s->peer_len && s->sdp_len && addr_is_private(&s->sdp) &&
			  !gw_sockaddr_same_ip(&s->sdp, &s->peer);
	/* A learned source ranks by what the peer is now. */
	if (s->learned && s->rank != BY_SDP)
		s->rank = s->peer_trusted && gw_sockaddr_same_ip(&s->source, &s->peer)
				  ? BY_PEER : BY_PROBATION;
}

/* Forget the learned source: the next media teaches one again. */
static void unlearn(struct gw_rtp_socket *s)
{
	s->learned = false;
	memset(s->cand, 0, sizeof(s->cand));
}

int gw_rtp_socket_set_remote(struct gw_rtp_socket *s, const char *ip, uint16_t port,
			     bool symmetric)
{
	struct sockaddr_storage a;
	socklen_t alen;
	char str[64];

	if (!s || addr_parse(ip, port, &a, &alen))
		return EINVAL;
	/* RFC 3264 §8.4: c=0.0.0.0 is hold, whatever the family.  Hold also
	 * forgets the source: a stray packet during hold must not pick where
	 * media comes from or goes; the resuming set_remote learns again. */
	if (port == 0 || addr_is_unspecified(&a)) {
		s->remote_len = 0;
		s->sdp_len = 0;
		s->symmetric = false;
		unlearn(s);
		peer_update(s);
		gw_debug(s->name, "remote: none (hold)");
		return 0;
	}
	if (a.ss_family != s->family)
		return EINVAL;
	/* The same address again (a session refresh, a codec change) keeps
	 * the source and the latch; another one learns again. */
	if (!s->sdp_len || !gw_sockaddr_equal(&a, &s->sdp) || symmetric != s->symmetric) {
		unlearn(s);
		s->remote = a;
		s->remote_len = alen;
	}
	s->sdp = a;
	s->sdp_len = alen;
	s->symmetric = symmetric;
	peer_update(s);
	addr_format(&a, alen, str, sizeof(str));
	gw_debug(s->name, "remote: %s%s", str, symmetric ? " (symmetric)" : "");
	return 0;
}

int gw_rtp_socket_set_peer(struct gw_rtp_socket *s, const char *ip)
{
	struct sockaddr_storage a;
	socklen_t alen;
	int err = 0;

	if (!s)
		return EINVAL;
	s->peer_len = 0;
	if (ip && *ip) {
		if (addr_parse(ip, 0, &a, &alen) || a.ss_family != s->family ||
		    addr_is_unspecified(&a)) {
			err = EINVAL;
		} else {
			s->peer = a;
			s->peer_len = alen;
		}
	}
	peer_update(s);
	return err;
}

int gw_rtp_socket_send(struct gw_rtp_socket *s, const uint8_t *buf, size_t len)
{
	char str[64];
	int err;

	if (!s || (!buf && len))
		return EINVAL;
	if (s->closed)
		return EBADF;
	if (!s->remote_len)
		return 0;
	if (sendto(s->fd[0], buf, len, 0, (struct sockaddr *)&s->remote, s->remote_len) >= 0) {
		s->st.rtp_out++;
		s->st.bytes_out += len;
		return 0;
	}
	/* UDP has no retry worth making: a full queue (EAGAIN, ENOBUFS) drops
	 * the packet like the network would; the caller decides the rest. */
	err = errno;
	if (power_of_two(++s->st.send_errors)) {
		addr_format(&s->remote, s->remote_len, str, sizeof(str));
		gw_warn(s->name, "send to %s: %s (%" G_GUINT64_FORMAT " errors so far)", str,
			g_strerror(err), s->st.send_errors);
	}
	return err;
}

void gw_rtp_socket_stats(const struct gw_rtp_socket *s, struct gw_rtp_socket_stats *out)
{
	if (!s || !out)
		return;
	*out = s->st;
	out->stale = s->age.dropped;
	out->learned = s->learned;
	out->latched = s->learned && s->symmetric;
	addr_format(&s->source, s->learned ? sizeof(s->source) : 0, out->source, sizeof(out->source));
	addr_format(&s->remote, s->remote_len, out->remote, sizeof(out->remote));
}

uint64_t gw_rtp_socket_source_packets(const struct gw_rtp_socket *s)
{
	return s ? s->source_in : 0;
}

static void unwatch(struct gw_rtp_socket *s)
{
	for (int i = 0; i < 2; i++) {
		gw_loop_watch_remove(s->w[i]);
		s->w[i] = NULL;
	}
}

void gw_rtp_socket_close(struct gw_rtp_socket *s)
{
	GMainContext *ctx = NULL;

	if (!s || s->closed)
		return;
	s->closed = true;
	/* Off the loop is safe only while no one runs it (loops stopped):
	 * owning the context proves that. */
	if (s->watched && !gw_loop_is_current(s->loop)) {
		ctx = gw_loop_context(s->loop);
		if (!g_main_context_acquire(ctx)) {
			ctx = NULL;
			gw_warn(s->name, "closed off its running media loop: a callback may still run");
		}
	}
	unwatch(s);
	close_fds(s);
	if (ctx)
		g_main_context_release(ctx);
	gw_debug(s->name, "closed");
	if (s->watched) {
		s->watched = false;
		gw_obj_deref(s); /* the watches' (the caller still holds its own) */
	}
}
