/* candidate.c — ICE candidate attribute parse and print (RFC 8839 5.1),
 * used by the SDP parser and on its own for trickled candidates.
 *
 * Any thread; no state.  A struct gw_sdp_candidate owns its strings and its
 * extension list (gw_sdp_candidate_clear frees them).
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include "gw/sdp.h"
#include "sdp/sdp_priv.h"

#define CAND_MAX_LEN   2048	/* one line; real ones are ~150 bytes */
#define CAND_TOKEN_MAX 256

/* 7 fixed tokens after the foundation, then the pairs; one slot more
 * detects "too many". */
#define CAND_MAX_TOKENS (7 + 2 * (3 + GW_SDP_MAX_CAND_EXT) + 1)

static const char *const type_names[] = {
	[GW_SDP_CAND_HOST] = "host",
	[GW_SDP_CAND_SRFLX] = "srflx",
	[GW_SDP_CAND_PRFLX] = "prflx",
	[GW_SDP_CAND_RELAY] = "relay",
};

const char *gw_sdp_cand_type_name(enum gw_sdp_cand_type type)
{
	return (unsigned)type < G_N_ELEMENTS(type_names) ? type_names[type] : "host";
}

void gw_sdp_candidate_clear(struct gw_sdp_candidate *c)
{
	if (!c)
		return;
	g_free(c->foundation);
	g_free(c->transport);
	g_free(c->address);
	g_free(c->raddr);
	g_free(c->tcptype);
	if (c->extensions)
		g_ptr_array_unref(c->extensions);
	memset(c, 0, sizeof(*c));
}

void gw_sdp_candidate_free(struct gw_sdp_candidate *c)
{
	if (!c)
		return;
	gw_sdp_candidate_clear(c);
	g_free(c);
}

struct gw_sdp_candidate *gw_sdp_candidate_dup(const struct gw_sdp_candidate *c)
{
	struct gw_sdp_candidate *d = g_new0(struct gw_sdp_candidate, 1);

	*d = *c;
	d->foundation = g_strdup(c->foundation);
	d->transport = g_strdup(c->transport);
	d->address = g_strdup(c->address);
	d->raddr = g_strdup(c->raddr);
	d->tcptype = g_strdup(c->tcptype);
	d->extensions = g_ptr_array_new_with_free_func(gw_sdp_attr_free);
	for (unsigned i = 0; c->extensions && i < c->extensions->len; i++) {
		const struct gw_sdp_attr *a = g_ptr_array_index(c->extensions, i);

		g_ptr_array_add(d->extensions, gw_sdp_attr_new(a->name, a->value));
	}
	return d;
}

static int fail(char **reason, const char *msg, const char *tok)
{
	if (reason)
		*reason = tok ? g_strdup_printf("candidate: %s \"%s\"", msg, tok)
			      : g_strdup_printf("candidate: %s", msg);
	return EINVAL;
}

static bool parse_type(const char *s, enum gw_sdp_cand_type *out)
{
	for (size_t i = 0; i < G_N_ELEMENTS(type_names); i++)
		if (g_ascii_strcasecmp(s, type_names[i]) == 0) {
			*out = (enum gw_sdp_cand_type)i;
			return true;
		}
	return false;
}

/* The pairs after "typ TYPE": raddr, rport, tcptype and the others. */
static int parse_pairs(char **tok, int n, struct gw_sdp_candidate *c, char **reason)
{
	uint64_t v;

	if (n % 2)
		return fail(reason, "extension without a value:", tok[n - 1]);
	for (int i = 0; i < n; i += 2) {
		const char *key = tok[i], *val = tok[i + 1];

		if (strcmp(key, "raddr") == 0 && !c->raddr) {
			c->raddr = g_strdup(val);
		} else if (strcmp(key, "rport") == 0 && !c->has_rport) {
			if (!gw_sdp_parse_uint(val, 65535, &v))
				return fail(reason, "rport is not a number in 0-65535:", val);
			c->has_rport = true;
			c->rport = (uint16_t)v;
		} else if (strcmp(key, "tcptype") == 0 && !c->tcptype) {
			c->tcptype = g_strdup(val);
		} else {
			if (c->extensions->len >= GW_SDP_MAX_CAND_EXT)
				return fail(reason, "too many extensions", NULL);
			g_ptr_array_add(c->extensions, gw_sdp_attr_new(key, val));
		}
	}
	return 0;
}

static int parse_fields(char *s, struct gw_sdp_candidate *c, char **reason)
{
	char *tok[CAND_MAX_TOKENS];
	char *sp = strchr(s, ' ');
	uint64_t v;
	int n;

	if (!sp)
		return fail(reason, "truncated: only a foundation", NULL);
	*sp = '\0';
	/* An empty foundation ("candidate: 1 udp ...") comes from Google's
	 * ICE-lite servers; the foundation only groups candidates: accept. */
	c->foundation = g_strdup(s);
	n = gw_sdp_split_ws(sp + 1, tok, CAND_MAX_TOKENS);
	if (n < 0)
		return fail(reason, "too many fields", NULL);
	if (n < 7)
		return fail(reason, "truncated: needs component transport priority address "
			    "port typ TYPE", NULL);
	for (int i = 0; i < n; i++)
		if (strlen(tok[i]) > CAND_TOKEN_MAX)
			return fail(reason, "field too long", NULL);
	if (!gw_sdp_parse_uint(tok[0], 256, &v) || v == 0)
		return fail(reason, "component is not a number in 1-256:", tok[0]);
	c->component = (unsigned)v;
	c->transport = g_strdup(tok[1]);
	if (!gw_sdp_parse_uint(tok[2], UINT32_MAX, &v))
		return fail(reason, "priority is not a 32-bit number:", tok[2]);
	c->priority = (uint32_t)v;
	c->address = g_strdup(tok[3]);
	if (!gw_sdp_parse_uint(tok[4], 65535, &v))
		return fail(reason, "port is not a number in 0-65535:", tok[4]);
	c->port = (uint16_t)v;
	if (strcmp(tok[5], "typ") != 0)
		return fail(reason, "expected \"typ\", got", tok[5]);
	if (!parse_type(tok[6], &c->type))
		return fail(reason, "unknown type (host, srflx, prflx, relay):", tok[6]);
	return parse_pairs(tok + 7, n - 7, c, reason);
}

int gw_sdp_candidate_parse_value(const char *value, struct gw_sdp_candidate *out,
				 char **reason)
{
	struct gw_sdp_candidate c = { 0 };
	char *copy;
	int err;

	if (strlen(value) > CAND_MAX_LEN)
		return fail(reason, "line too long", NULL);
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return fail(reason, "control character in the line", NULL);
	copy = g_strdup(value);
	c.extensions = g_ptr_array_new_with_free_func(gw_sdp_attr_free);
	err = parse_fields(copy, &c, reason);
	g_free(copy);
	if (err) {
		gw_sdp_candidate_clear(&c);
		return err;
	}
	*out = c;
	return 0;
}

/* Contract: see gw/sdp.h. */
int gw_sdp_candidate_parse(const char *line, struct gw_sdp_candidate *out, char **reason)
{
	const char *p;
	char *body;
	size_t len;
	int err;

	if (!line)
		return fail(reason, "no line", NULL);
	p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "a=", 2) == 0)
		p += 2;
	if (strncmp(p, "candidate:", 10) != 0)
		return fail(reason, "does not start with \"candidate:\" or \"a=candidate:\"", NULL);
	p += 10;
	len = strlen(p);
	while (len && strchr("\r\n \t", p[len - 1]))
		len--;
	body = g_strndup(p, len);
	err = gw_sdp_candidate_parse_value(body, out, reason);
	g_free(body);
	return err;
}

/* Contract: see gw/sdp.h. */
char *gw_sdp_candidate_print(const struct gw_sdp_candidate *c)
{
	GString *s = g_string_new(NULL);

	g_string_printf(s, "candidate:%s %u %s %u %s %u typ %s", c->foundation ? c->foundation : "",
			c->component, c->transport ? c->transport : "udp", c->priority,
			c->address ? c->address : "0.0.0.0", c->port, gw_sdp_cand_type_name(c->type));
	if (c->raddr)
		g_string_append_printf(s, " raddr %s", c->raddr);
	if (c->has_rport)
		g_string_append_printf(s, " rport %u", c->rport);
	if (c->tcptype)
		g_string_append_printf(s, " tcptype %s", c->tcptype);
	for (unsigned i = 0; c->extensions && i < c->extensions->len; i++) {
		const struct gw_sdp_attr *a = g_ptr_array_index(c->extensions, i);

		g_string_append_printf(s, " %s %s", a->name, a->value ? a->value : "");
	}
	return g_string_free(s, FALSE);
}
