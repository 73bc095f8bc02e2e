/* gw/net.h — small socket helpers shared by the SIP-side RTP sockets and
 * the ICE direct path: address comparison and kernel receive times.
 * Inline: they sit on per-packet paths. */
#ifndef GW_NET_H
#define GW_NET_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>

/* Same family, address and port (IPv4 or IPv6; anything else: false). */
static inline bool gw_sockaddr_equal(const struct sockaddr_storage *a,
				     const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	return false;
}

/* Same family and address, any port. */
static inline bool gw_sockaddr_same_ip(const struct sockaddr_storage *a,
				       const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr,
			       sizeof(struct in6_addr));
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
	return false;
}

/* Ask the kernel to stamp every datagram @fd receives with its arrival time
 * (SO_TIMESTAMPNS): a read after the loop was busy still tells when the
 * packet came.  0 or errno. */
static inline int gw_socket_rx_stamps(int fd)
{
	int one = 1;

	return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) ? errno : 0;
}

/* Control buffer room a read needs for that stamp (and room to spare: with
 * another control message enabled, a full buffer would drop the stamp). */
#define GW_RX_STAMP_SPACE (CMSG_SPACE(sizeof(struct timespec)) + 64)

/* A read's control buffer for it, aligned for struct cmsghdr. */
union gw_rx_stamp_buf {
	struct cmsghdr align;
	uint8_t buf[GW_RX_STAMP_SPACE];
};

static inline int64_t gw_clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Both clocks as at one moment, after a read: *@mono_us (the clock of
 * g_get_monotonic_time) and *@real_us (CLOCK_REALTIME, the stamps' clock),
 * the latter the midpoint of a read before and after the monotonic one, so
 * being preempted in between does not shift the pair. */
static inline void gw_rx_clocks(int64_t *mono_us, int64_t *real_us)
{
	int64_t before = gw_clock_us(CLOCK_REALTIME);

	*mono_us = gw_clock_us(CLOCK_MONOTONIC);
	*real_us = before + (gw_clock_us(CLOCK_REALTIME) - before) / 2;
}

/* When the datagram read into @m arrived, on the monotonic clock in µs, from
 * its kernel stamp (CLOCK_REALTIME) and gw_rx_clocks() taken once after the
 * read.  @mono_us when there is no stamp, or when it lies in the future or
 * more than 10 s back (the wall clock was stepped between stamp and read). */
static inline int64_t gw_rx_time_us(const struct msghdr *m, int64_t mono_us, int64_t real_us)
{
	const struct cmsghdr *c;
	struct timespec ts;
	int64_t age;

	if (!m->msg_control || (m->msg_flags & MSG_CTRUNC))
		return mono_us;
	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR((struct msghdr *)m, (struct cmsghdr *)c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		age = real_us - ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
		return age >= 0 && age <= 10 * 1000000 ? mono_us - age : mono_us;
	}
	return mono_us;
}

#endif
