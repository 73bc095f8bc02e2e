/* gw/net.h — small socket-address helpers shared by the SIP-side RTP
 * sockets and the ICE direct path.  Pure, inline: they sit on per-packet
 * paths. */
#ifndef GW_NET_H
#define GW_NET_H

#include <stdbool.h>
#include <string.h>
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

#endif
