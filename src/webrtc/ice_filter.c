/* ice_filter.c — ice.remote_networks: IPv4/IPv6 prefix lists (see gw/ice.h),
 * matched here and, for connectivity checks, by a socket filter in the kernel.
 *
 * Parsed once (config validation, agent alloc), then read-only: any thread may
 * match against a list.  The list owns one g_malloc'd block.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/filter.h>
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

size_t gw_ice_networks_count(const struct gw_ice_networks *nets)
{
	return nets ? nets->n : 0;
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

/* ---- in the kernel: STUN checks from outside the networks --------------- */

/* The classic BPF program for a UDP socket: a datagram whose
 * payload starts with 0x0001 (a STUN Binding Request: a connectivity
 * check; media, DTLS, TURN and STUN answers never start so) from a source
 * outside @nets is dropped; everything else is kept.  Filtered before
 * libnice, which would answer such a check and learn its source as a
 * peer-reflexive remote whatever the signalled candidates were.  A UDP
 * socket's filter sees the datagram from its UDP header (payload at 8);
 * the source address is read from the IP header (SKF_NET_OFF). */
#define BPF_KEEP BPF_STMT(BPF_RET | BPF_K, 0xffffffffu)
#define UDP_PAYLOAD 8
#define STUN_BINDING_REQUEST 0x0001

static uint32_t word_at(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

/* Append to @prog the test of a source against one prefix of @words 32-bit
 * words (@addr, @bits) at @src (an SKF_NET_OFF offset): kept if in it. */
static void bpf_prefix(GArray *prog, const uint8_t *addr, unsigned bits, unsigned words, int src)
{
	guint start = prog->len;
	unsigned used = (bits + 31) / 32;   /* words the prefix looks at */

	for (unsigned w = 0; w < used && w < words; w++) {
		unsigned b = MIN(bits - w * 32, 32u);
		uint32_t mask = b == 32 ? 0xffffffffu : ~(0xffffffffu >> b);
		struct sock_filter ins[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(src + 4 * (int)w)),
			BPF_STMT(BPF_ALU | BPF_AND | BPF_K, mask),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, word_at(addr + 4 * w) & mask, 0, 0),
		};

		g_array_append_vals(prog, ins, G_N_ELEMENTS(ins));
	}
	g_array_append_vals(prog, (struct sock_filter[]){ BPF_KEEP }, 1);
	/* each miss skips to past this prefix's KEEP */
	for (guint i = start; i < prog->len; i++) {
		struct sock_filter *ins = &g_array_index(prog, struct sock_filter, i);

		if (BPF_CLASS(ins->code) == BPF_JMP)
			ins->jf = (uint8_t)(prog->len - 1 - i);
	}
}

/* Append the tests of a source against every prefix of @family in @nets,
 * then the drop. */
static void bpf_section(GArray *prog, const struct gw_ice_networks *nets, int family)
{
	bool v4 = family == AF_INET;   /* source: 1 word at 12, or 4 at 8 */

	for (size_t i = 0; i < nets->n; i++)
		if (nets->p[i].family == family)
			bpf_prefix(prog, nets->p[i].addr, nets->p[i].bits, v4 ? 1 : 4,
				   SKF_NET_OFF + (v4 ? 12 : 8));
	g_array_append_vals(prog, (struct sock_filter[]){ BPF_STMT(BPF_RET | BPF_K, 0) }, 1);
}

/* The program in *@out (g_free it), its length in *@len; 0 or ENOSPC (too
 * many prefixes for one program).  One for both families: an IPv6 socket
 * may receive IPv4 (dual-stack), whose header is IPv4's, so the packet's
 * IP version picks the section. */
static int bpf_build(const struct gw_ice_networks *nets, struct sock_filter **out, unsigned *len)
{
	GArray *prog = g_array_new(FALSE, TRUE, sizeof(struct sock_filter));
	const struct sock_filter head[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, UDP_PAYLOAD),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, STUN_BINDING_REQUEST, 1, 0),
		BPF_KEEP,
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)SKF_NET_OFF),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x40, 0, 1),
		BPF_STMT(BPF_JMP | BPF_JA, 0),      /* to the IPv4 section, set below */
	};
	guint ja;

	g_array_append_vals(prog, head, G_N_ELEMENTS(head));
	ja = prog->len - 1;
	bpf_section(prog, nets, AF_INET6);
	g_array_index(prog, struct sock_filter, ja).k = prog->len - ja - 1;
	bpf_section(prog, nets, AF_INET);
	*len = prog->len;
	*out = (struct sock_filter *)g_array_free(prog, FALSE);
	if (*len > BPF_MAXINSNS) {
		g_free(*out);
		*out = NULL;
		return ENOSPC;
	}
	return 0;
}

int gw_ice_networks_attach(const struct gw_ice_networks *nets, int fd)
{
	struct sock_filter *code = NULL;
	struct sock_fprog prog;
	socklen_t sl = sizeof(int);
	int type = 0, family = 0, err = 0;
	unsigned len;

	if (!nets || !nets->n)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &sl) ||
	    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &(socklen_t){ sizeof(int) }))
		return errno;
	if (type != SOCK_DGRAM || (family != AF_INET && family != AF_INET6))
		return 0;
	err = bpf_build(nets, &code, &len);
	if (err)
		goto out;
	prog = (struct sock_fprog){ .len = (unsigned short)len, .filter = code };
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		err = errno;
out:
	g_free(code);
	return err;
}

int gw_ice_networks_check(const char *list, char **why)
{
	struct gw_ice_networks *nets = NULL;
	int fd = -1, err;

	err = gw_ice_networks_parse(list, &nets, why);
	if (err || !nets->n)
		goto out;
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0)
		fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		goto out;                /* nothing to try it on: at the first call */
	err = gw_ice_networks_attach(nets, fd);
	if (err)
		*why = g_strdup_printf("%zu networks make a socket filter the kernel refuses (%s): list "
				       "fewer (sysctl net.core.optmem_max bounds its size)", nets->n,
				       g_strerror(err));
out:
	if (fd >= 0)
		close(fd);
	gw_ice_networks_free(nets);
	return err;
}
