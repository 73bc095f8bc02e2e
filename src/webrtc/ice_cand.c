/* ice_cand.c — candidate lines in and out of the ICE agent (see ice_priv.h).
 *
 * Remote lines are checked field by field (RFC 8839 5.1 grammar) and against
 * ice.remote_networks BEFORE libnice parses them, because libnice's parser
 * turns garbage numbers into 0 and would send checks to any address.  Local
 * candidates are printed by libnice, with ice.public_ip applied.
 * Loop: the agent's media loop.  Owns nothing beyond each call.
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include "gw/log.h"
#include "webrtc/ice_priv.h"

#define MAX_LINE 1024

bool gw_ice_cand_is_ice_chars(const char *s, size_t min, size_t max)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++) {
		if (!g_ascii_isalnum(s[n]) && s[n] != '+' && s[n] != '/')
			return false;
		if (n >= max)
			return false;
	}
	return n >= min;
}

/* A decimal number of at most @digits digits in [lo, hi]. */
static bool number_ok(const char *s, size_t digits, guint64 lo, guint64 hi, guint64 *out)
{
	size_t n = strlen(s);
	guint64 v;

	if (n == 0 || n > digits)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!g_ascii_isdigit(s[i]))
			return false;
	}
	v = g_ascii_strtoull(s, NULL, 10);
	if (v < lo || v > hi)
		return false;
	if (out)
		*out = v;
	return true;
}

/* A host name per RFC 1123 letters/digits/dots/hyphens, with a letter
 * somewhere (so "999.1.1.1" stays a malformed IP, not a name). */
static bool hostname_like(const char *s)
{
	bool alpha = false;

	for (const char *p = s; *p; p++) {
		if (g_ascii_isalpha(*p))
			alpha = true;
		else if (!g_ascii_isdigit(*p) && *p != '.' && *p != '-')
			return false;
	}
	return alpha && *s != '.' && *s != '-';
}

/* RFC 8839 5.1: foundation SP component-id SP transport SP priority SP
 * connection-address SP port SP "typ" SP cand-type *(SP name SP value).
 * Returns 0, EINVAL or ENOTSUP with *@why set to a static reason. */
static int fields_check(gchar **tok, const char **why)
{
	guint len = g_strv_length(tok);
	static const char *const types[] = {"host", "srflx", "prflx", "relay"};
	guint64 component;
	bool type_ok = false;

	for (guint i = 0; i < len; i++) {
		if (!*tok[i]) {
			*why = "empty field (double space)";
			return EINVAL;
		}
	}
	if (len < 8) {
		*why = "fewer than 8 fields";
		return EINVAL;
	}
	if (!gw_ice_cand_is_ice_chars(tok[0], 1, 32)) {
		*why = "bad foundation";
		return EINVAL;
	}
	if (!number_ok(tok[1], 3, 1, 256, &component)) {
		*why = "bad component id";
		return EINVAL;
	}
	if (!number_ok(tok[3], 10, 1, G_MAXUINT32, NULL)) {
		*why = "bad priority";
		return EINVAL;
	}
	if (!number_ok(tok[5], 5, 1, 65535, NULL)) {
		*why = "bad port";
		return EINVAL;
	}
	if (strcmp(tok[6], "typ") != 0) {
		*why = "no 'typ' after the port";
		return EINVAL;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(types); i++)
		type_ok = type_ok || strcmp(tok[7], types[i]) == 0;
	if (!type_ok) {
		*why = "unknown candidate type";
		return EINVAL;
	}
	if ((len - 8) % 2) {
		*why = "extension attribute without a value";
		return EINVAL;
	}
	if (!g_hostname_is_ip_address(tok[4])) {
		if (!hostname_like(tok[4])) {
			*why = "bad connection address";
			return EINVAL;
		}
		*why = g_str_has_suffix(tok[4], ".local") ?
		       "mDNS host name (not resolved by the gateway)" :
		       "host name instead of an IP address";
		return ENOTSUP;
	}
	if (g_ascii_strcasecmp(tok[2], "udp") != 0) {
		*why = g_ascii_strcasecmp(tok[2], "tcp") == 0 ?
		       "TCP candidate (the gateway uses UDP only)" : "unknown transport";
		return g_ascii_strcasecmp(tok[2], "tcp") == 0 ? ENOTSUP : EINVAL;
	}
	if (component != 1) {
		*why = "component other than 1 (rtcp-mux is required)";
		return ENOTSUP;
	}
	return 0;
}

static bool unicast(const NiceAddress *a)
{
	if (a->s.addr.sa_family == AF_INET) {
		guint32 v4 = ntohl(a->s.ip4.sin_addr.s_addr);

		return v4 != 0 && v4 != 0xffffffffu && (v4 >> 28) != 0xe;
	}
	return !IN6_IS_ADDR_UNSPECIFIED(&a->s.ip6.sin6_addr) &&
	       !IN6_IS_ADDR_MULTICAST(&a->s.ip6.sin6_addr);
}

int gw_ice_cand_parse(const struct gw_ice_agent *ice, const char *line, NiceCandidate **out)
{
	NiceCandidate *cand = NULL;
	gchar *copy = NULL, *body, *sdp = NULL;
	gchar **tok = NULL;
	const char *why = NULL;
	int err = EINVAL;

	if (!line || strlen(line) > MAX_LINE) {
		why = line ? "longer than 1024 bytes" : "no candidate";
		goto out;
	}
	copy = g_strstrip(g_strdup(line));
	body = g_str_has_prefix(copy, "a=") ? copy + 2 : copy;
	if (!g_str_has_prefix(body, "candidate:")) {
		why = "does not start with 'candidate:'";
		goto out;
	}
	body += strlen("candidate:");
	for (const char *p = body; *p; p++) {
		if (!g_ascii_isprint(*p)) {
			why = "control character";
			goto out;
		}
	}
	tok = g_strsplit(body, " ", -1);
	err = fields_check(tok, &why);
	if (err)
		goto out;

	err = EINVAL;
	sdp = g_strconcat("a=candidate:", body, NULL);
	cand = nice_agent_parse_remote_candidate_sdp(ice->agent, ice->stream, sdp);
	if (!cand) {
		why = "libnice could not parse it";
		goto out;
	}
	/* The filter runs before libnice has the candidate: a refused address
	 * never gets a single connectivity check. */
	err = EPERM;
	if (!unicast(&cand->addr)) {
		why = "not a unicast address";
		goto out;
	}
	if (!gw_ice_networks_match(ice->nets, &cand->addr.s.addr)) {
		why = "address outside ice.remote_networks";
		goto out;
	}
	err = 0;
	*out = cand;
	cand = NULL;
out:
	if (err) {
		/* escaped: the line comes from the browser, keep the log one line */
		gchar *shown = line ? g_strescape(line, NULL) : g_strdup("(null)");

		gw_warn(ice->name, "ice: ignored remote candidate (%s): %.200s", why, shown);
		g_free(shown);
	}
	if (cand)
		nice_candidate_free(cand);
	g_strfreev(tok);
	g_free(sdp);
	g_free(copy);
	return err;
}

char *gw_ice_cand_print(const struct gw_ice_agent *ice, const NiceCandidate *c)
{
	NiceCandidate *nat = NULL;
	gchar *sdp, *line;

	/* Peer-reflexive local candidates are learnt from checks, never
	 * signalled (RFC 8445 7.2.5.3.1). */
	if (!ice->agent || c->transport != NICE_CANDIDATE_TRANSPORT_UDP ||
	    c->type == NICE_CANDIDATE_TYPE_PEER_REFLEXIVE)
		return NULL;
	/* ice.public_ip (nat-1-1): advertise the public address in place of
	 * the private one, same port; no raddr, so the private address stays
	 * private.  The NAT maps public_ip:port onto our socket 1:1. */
	if (c->type == NICE_CANDIDATE_TYPE_HOST && nice_address_is_valid(&ice->public_addr) &&
	    nice_address_ip_version(&c->addr) == nice_address_ip_version(&ice->public_addr)) {
		nat = nice_candidate_copy(c);
		nat->addr = ice->public_addr;
		nice_address_set_port(&nat->addr, nice_address_get_port(&c->addr));
		nat->base_addr = nat->addr;
		c = nat;
	}
	sdp = nice_agent_generate_local_candidate_sdp(ice->agent, (NiceCandidate *)c);
	line = g_strdup(g_str_has_prefix(sdp, "a=") ? sdp + 2 : sdp);
	g_free(sdp);
	if (nat)
		nice_candidate_free(nat);
	return line;
}
