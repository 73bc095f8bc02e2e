/* ice_filter.c — ice.remote_networks: IPv4/IPv6 prefix lists (see gw/ice.h).
 *
 * Parsed once (config validation, agent alloc), then read-only: any thread may
 * match against a list.  The list owns one g_malloc'd block.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <glib.h>
#include "gw/ice.h"

struct net_prefix {
	int family;              /* AF_INET or AF_INET6 */
	uint8_t addr[16];        /* network order; 4 bytes used for IPv4 */
	unsigned bits;
};

struct gw_ice_networks {
	size_t n;                /* 0 = match any */
	struct net_prefix p[];
};

/* Parse one "addr[/bits]" entry; 0, or EINVAL with *err set. */
static int prefix_parse(const char *entry, struct net_prefix *out, char **err)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(entry, '/');
	size_t alen = slash ? (size_t)(slash - entry) : strlen(entry);
	struct net_prefix p = {0};
	unsigned max_bits;

	if (alen > 0 && alen < sizeof(addr)) {
		memcpy(addr, entry, alen);
		addr[alen] = '\0';
		if (inet_pton(AF_INET, addr, p.addr) == 1)
			p.family = AF_INET;
		else if (inet_pton(AF_INET6, addr, p.addr) == 1)
			p.family = AF_INET6;
	}
	if (!p.family) {
		*err = g_strdup_printf("'%s': not an IPv4 or IPv6 address", entry);
		return EINVAL;
	}
	max_bits = p.family == AF_INET ? 32 : 128;
	p.bits = max_bits;
	if (slash) {
		const char *s = slash + 1;
		size_t n = strspn(s, "0123456789");

		if (n == 0 || n > 3 || s[n] != '\0' || g_ascii_strtoull(s, NULL, 10) > max_bits) {
			*err = g_strdup_printf("'%s': prefix length must be 0-%u", entry, max_bits);
			return EINVAL;
		}
		p.bits = (unsigned)g_ascii_strtoull(s, NULL, 10);
	}
	/* "10.0.0.1/8" is almost always a typo for a host or for 10.0.0.0/8:
	 * refuse it rather than guess. */
	for (unsigned b = p.bits; b < max_bits; b++) {
		if (p.addr[b / 8] & (0x80u >> (b % 8))) {
			*err = g_strdup_printf("'%s': host bits set after /%u", entry, p.bits);
			return EINVAL;
		}
	}
	*out = p;
	return 0;
}

int gw_ice_networks_parse(const char *list, struct gw_ice_networks **out, char **err)
{
	GArray *acc = g_array_new(FALSE, TRUE, sizeof(struct net_prefix));
	struct gw_ice_networks *nets;
	gchar **entries = NULL, **words = NULL;
	gchar *copy = g_strstrip(g_strdup(list ? list : ""));
	int err_no = 0;

	/* Split on commas first so "a,,b" is refused as an empty entry; blanks
	 * inside an entry then separate entries too ("a b, c"). */
	entries = *copy ? g_strsplit(copy, ",", -1) : g_new0(gchar *, 1);
	for (size_t i = 0; entries[i]; i++) {
		if (!*g_strstrip(entries[i])) {
			*err = g_strdup_printf("empty entry in '%s'", list);
			err_no = EINVAL;
			goto out;
		}
		words = g_strsplit_set(entries[i], " \t", -1);
		for (size_t w = 0; words[w]; w++) {
			struct net_prefix p;

			if (!*words[w])
				continue;
			err_no = prefix_parse(words[w], &p, err);
			if (err_no)
				goto out;
			g_array_append_val(acc, p);
		}
		g_strfreev(words);
		words = NULL;
	}
	nets = g_malloc0(sizeof(*nets) + sizeof(nets->p[0]) * acc->len);
	nets->n = acc->len;
	if (acc->len)
		memcpy(nets->p, acc->data, sizeof(nets->p[0]) * acc->len);
	*out = nets;
out:
	g_strfreev(words);
	g_strfreev(entries);
	g_array_unref(acc);
	g_free(copy);
	return err_no;
}

void gw_ice_networks_free(struct gw_ice_networks *nets)
{
	g_free(nets);
}

static bool prefix_match(const struct net_prefix *p, int family, const uint8_t *a)
{
	unsigned full = p->bits / 8, rest = p->bits % 8;

	if (p->family != family)
		return false;
	if (memcmp(p->addr, a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((p->addr[full] ^ a[full]) & (0xffu << (8 - rest))) == 0;
}

bool gw_ice_networks_match(const struct gw_ice_networks *nets, const struct sockaddr *sa)
{
	const uint8_t *a;
	int family;

	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		family = AF_INET;
		a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		family = AF_INET6;
		a = a6->s6_addr;
		/* ::ffff:a.b.c.d is the IPv4 host a.b.c.d on a dual-stack socket */
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			a += 12;
		}
	} else {
		return false;
	}
	if (!nets || nets->n == 0)
		return true;
	for (size_t i = 0; i < nets->n; i++) {
		if (prefix_match(&nets->p[i], family, a))
			return true;
	}
	return false;
}

bool gw_ice_networks_match_ip(const struct gw_ice_networks *nets, const char *ip)
{
	struct sockaddr_in6 s6 = {0};
	struct sockaddr_in s4 = {0};

	if (!ip)
		return false;
	if (inet_pton(AF_INET, ip, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		return gw_ice_networks_match(nets, (const struct sockaddr *)&s4);
	}
	if (inet_pton(AF_INET6, ip, &s6.sin6_addr) == 1) {
		s6.sin6_family = AF_INET6;
		return gw_ice_networks_match(nets, (const struct sockaddr *)&s6);
	}
	return false;
}
