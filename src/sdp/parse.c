/* parse.c — SDP text to model: framing, limits and the non-attribute lines
 * (v= o= s= c= t= b= m=, plus the kept i= u= e= p= r= z= k=).
 *
 * Any thread; no state outside the call.  The input is never read past
 * @len: it is checked for NUL bytes and copied once into a NUL-terminated
 * buffer that the line parsers split in place.  a= lines go to attr.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include "gw/log.h"
#include "gw/obj.h"
#include "gw/sdp.h"
#include "sdp/sdp_priv.h"

int gw_sdp_fail(struct sdp_parse_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (ctx->reason)
		return err;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (ctx->lineno)
		ctx->reason = g_strdup_printf("line %u: %s", ctx->lineno, msg);
	else
		ctx->reason = g_strdup(msg);
	g_free(msg);
	return err;
}

bool gw_sdp_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return false;
		d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

int gw_sdp_split_ws(char *s, char **tok, int max)
{
	int n = 0;

	while (*s) {
		while (*s == ' ' || *s == '\t')
			*s++ = '\0';
		if (!*s)
			break;
		if (n == max)
			return -1;
		tok[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
	}
	return n;
}

/* Copy @tok[0..2] into a c= or the tail of an o= line. */
static void set3(char **a, char **b, char **c, char **tok)
{
	gw_sdp_set_str(a, tok[0]);
	gw_sdp_set_str(b, tok[1]);
	gw_sdp_set_str(c, tok[2]);
}

static int parse_origin(struct sdp_parse_ctx *ctx, char *v)
{
	struct gw_sdp_origin *o = &ctx->sdp->origin;
	char *tok[6];

	if (ctx->seen_o)
		return gw_sdp_fail(ctx, EINVAL, "more than one o= line");
	if (gw_sdp_split_ws(v, tok, 6) != 6)
		return gw_sdp_fail(ctx, EINVAL, "o= needs 6 fields: username sess-id "
				   "sess-version nettype addrtype address");
	gw_sdp_set_str(&o->username, tok[0]);
	gw_sdp_set_str(&o->sess_id, tok[1]);
	gw_sdp_set_str(&o->sess_version, tok[2]);
	set3(&o->nettype, &o->addrtype, &o->address, tok + 3);
	ctx->seen_o = true;
	return 0;
}

static int parse_conn(struct sdp_parse_ctx *ctx, char *v)
{
	struct gw_sdp_conn *c = ctx->media ? &ctx->media->conn : &ctx->sdp->conn;
	char *tok[3];

	/* RFC 4566 allows several c= lines for layered multicast; a unicast
	 * gateway has no use for it and a duplicate hides which one is meant. */
	if (c->address)
		return gw_sdp_fail(ctx, EINVAL, "more than one c= line at this level");
	if (gw_sdp_split_ws(v, tok, 3) != 3)
		return gw_sdp_fail(ctx, EINVAL, "c= needs 3 fields: nettype addrtype address");
	set3(&c->nettype, &c->addrtype, &c->address, tok);
	return 0;
}

static int parse_timing(struct sdp_parse_ctx *ctx, char *v)
{
	char *tok[2];
	uint64_t start, stop;

	if (ctx->media)
		return gw_sdp_fail(ctx, EINVAL, "t= inside a media section");
	if (ctx->seen_t)	/* several t= are legal but meaningless for a call */
		return 0;
	if (gw_sdp_split_ws(v, tok, 2) != 2 || !gw_sdp_parse_uint(tok[0], UINT64_MAX, &start) ||
	    !gw_sdp_parse_uint(tok[1], UINT64_MAX, &stop))
		return gw_sdp_fail(ctx, EINVAL, "t= needs two decimal times");
	ctx->sdp->time_start = start;
	ctx->sdp->time_stop = stop;
	ctx->seen_t = true;
	return 0;
}

static int parse_bandwidth(struct sdp_parse_ctx *ctx, char *v)
{
	GPtrArray *list = ctx->media ? ctx->media->bandwidths : ctx->sdp->bandwidths;
	char *colon = strchr(v, ':');
	struct gw_sdp_bandwidth *b;
	uint64_t val;

	if (!colon || colon == v || !gw_sdp_parse_uint(colon + 1, UINT32_MAX, &val))
		return gw_sdp_fail(ctx, EINVAL, "b= must be TYPE:KBPS, got \"%s\"", v);
	if (list->len >= 8)
		return gw_sdp_fail(ctx, E2BIG, "too many b= lines");
	*colon = '\0';
	b = g_new0(struct gw_sdp_bandwidth, 1);
	b->type = g_strdup(v);
	b->value = val;
	g_ptr_array_add(list, b);
	return 0;
}

static int parse_port(struct sdp_parse_ctx *ctx, struct gw_sdp_media *m, char *s)
{
	char *slash = strchr(s, '/');
	uint64_t port, count;

	if (slash)
		*slash = '\0';
	if (!gw_sdp_parse_uint(s, 65535, &port))
		return gw_sdp_fail(ctx, EINVAL, "m= port \"%s\" is not a number in 0-65535", s);
	m->port = (uint16_t)port;
	if (slash) {
		if (!gw_sdp_parse_uint(slash + 1, 65535, &count) || count == 0)
			return gw_sdp_fail(ctx, EINVAL, "m= port count \"%s\" is not a number in "
					   "1-65535", slash + 1);
		m->port_count = (unsigned)count;
	}
	return 0;
}

static int parse_formats(struct sdp_parse_ctx *ctx, struct gw_sdp_media *m, char **fmt, int n)
{
	bool rtp = gw_sdp_proto_is_rtp(m->proto);

	for (int i = 0; i < n; i++) {
		struct gw_sdp_codec *c;
		uint64_t pt;

		if (rtp) {
			if (!gw_sdp_parse_uint(fmt[i], 127, &pt))
				return gw_sdp_fail(ctx, EINVAL, "m= payload type \"%s\" is not a "
						   "number in 0-127", fmt[i]);
			if (gw_sdp_media_codec_mut(m, (unsigned)pt))
				return gw_sdp_fail(ctx, EINVAL, "m= lists payload type %u twice",
						   (unsigned)pt);
			c = g_new0(struct gw_sdp_codec, 1);
			c->pt = (unsigned)pt;
			g_ptr_array_add(m->codecs, c);
		}
		g_ptr_array_add(m->formats, g_strdup(fmt[i]));
	}
	return 0;
}

static int parse_media(struct sdp_parse_ctx *ctx, char *v)
{
	/* 3 fixed fields plus the formats; one slot more detects "too many". */
	char *tok[3 + GW_SDP_MAX_FORMATS + 1];
	struct gw_sdp_media *m;
	int n, err;

	if (ctx->sdp->media->len >= GW_SDP_MAX_MEDIA)
		return gw_sdp_fail(ctx, E2BIG, "more than %u m= lines", GW_SDP_MAX_MEDIA);
	n = gw_sdp_split_ws(v, tok, (int)G_N_ELEMENTS(tok));
	if (n < 0 || n > 3 + (int)GW_SDP_MAX_FORMATS)
		return gw_sdp_fail(ctx, E2BIG, "m= line has more than %u formats",
				   GW_SDP_MAX_FORMATS);
	/* An m= line without formats breaks RFC 4566's grammar, but SIP
	 * gateways send it (Cisco IOS) and it harms nothing: accepted. */
	if (n < 3)
		return gw_sdp_fail(ctx, EINVAL, "m= needs media, port and proto (truncated line?)");
	m = gw_sdp_media_new();
	m->type = g_strdup(tok[0]);
	m->proto = g_strdup(tok[2]);
	ctx->media = m;
	g_ptr_array_add(ctx->sdp->media, m);
	err = parse_port(ctx, m, tok[1]);
	if (!err)
		err = parse_formats(ctx, m, tok + 3, n - 3);
	return err;
}

static int keep_line(struct sdp_parse_ctx *ctx, char type, const char *v)
{
	GPtrArray *list = ctx->media ? ctx->media->lines : ctx->sdp->lines;
	struct gw_sdp_line *l;

	if (ctx->media && !strchr("ik", type))
		return gw_sdp_fail(ctx, EINVAL, "%c= is a session-level line but follows an m= line",
				   type);
	l = g_new0(struct gw_sdp_line, 1);
	l->type = type;
	l->value = g_strdup(v);
	g_ptr_array_add(list, l);
	return 0;
}

static int parse_line(struct sdp_parse_ctx *ctx, char *line)
{
	char type = line[0];
	char *v = line + 2;

	if (line[1] != '=')
		return gw_sdp_fail(ctx, EINVAL, "expected \"<letter>=\" at the start of the line");
	if (!g_ascii_isalpha(type))
		return gw_sdp_fail(ctx, EINVAL, "line type '%c' is not a letter", type);
	if (!ctx->seen_v) {
		if (type != 'v')
			return gw_sdp_fail(ctx, EINVAL, "SDP must start with v=0, found %c=", type);
		if (strcmp(v, "0") != 0)
			return gw_sdp_fail(ctx, EINVAL, "unsupported SDP version v=%s", v);
		ctx->seen_v = true;
		return 0;
	}
	if (type != 'o' && !ctx->seen_o)
		return gw_sdp_fail(ctx, EINVAL, "o= must follow v=, found %c=", type);
	if (ctx->media && strchr("vost", type))
		return gw_sdp_fail(ctx, EINVAL, "%c= is a session-level line but follows an m= line",
				   type);
	switch (type) {
	case 'v':
		return gw_sdp_fail(ctx, EINVAL, "second v= line (two SDPs glued together?)");
	case 'o':
		return parse_origin(ctx, v);
	case 's':
		if (ctx->seen_s)
			return gw_sdp_fail(ctx, EINVAL, "more than one s= line");
		ctx->seen_s = true;
		gw_sdp_set_str(&ctx->sdp->name, v);
		return 0;
	case 'c':
		return parse_conn(ctx, v);
	case 't':
		return parse_timing(ctx, v);
	case 'b':
		return parse_bandwidth(ctx, v);
	case 'm':
		return parse_media(ctx, v);
	case 'a':
		return gw_sdp_parse_attr(ctx, v);
	case 'i': case 'u': case 'e': case 'p': case 'r': case 'z': case 'k':
		return keep_line(ctx, type, v);
	default:
		/* RFC 4566 section 5: unknown type letters are ignored. */
		gw_debug(NULL, "sdp line %u: ignoring unknown line type %c=", ctx->lineno, type);
		return 0;
	}
}

/* Line number (1-based) of byte @off in @buf. */
static unsigned line_of(const char *buf, size_t off)
{
	unsigned n = 1;

	for (size_t i = 0; i < off; i++)
		if (buf[i] == '\n')
			n++;
	return n;
}

/* Cut the next line off *@pos (CRLF or LF); NULL at the end.  Strips the
 * line end and trailing blanks some gear leaves behind. */
static char *next_line(char **pos, char *end, bool *stray_cr)
{
	char *line = *pos, *nl, *e;

	if (line >= end)
		return NULL;
	nl = memchr(line, '\n', (size_t)(end - line));
	e = nl ? nl : end;
	*pos = nl ? nl + 1 : end;
	while (e > line && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	*stray_cr = memchr(line, '\r', (size_t)(e - line)) != NULL;
	return line;
}

/* Contract: see gw/sdp.h. */
int gw_sdp_parse(const char *buf, size_t len, struct gw_sdp **out, char **reason)
{
	struct sdp_parse_ctx ctx = { 0 };
	const char *nul;
	char *copy = NULL, *pos, *line;
	bool stray_cr;
	int err = 0;

	ctx.sdp = gw_sdp_new();
	if (!buf || len == 0) {
		err = gw_sdp_fail(&ctx, EINVAL, "empty SDP");
		goto out;
	}
	if (len > GW_SDP_MAX_SIZE) {
		err = gw_sdp_fail(&ctx, E2BIG, "SDP is %zu bytes, the limit is %u", len,
				  GW_SDP_MAX_SIZE);
		goto out;
	}
	nul = memchr(buf, '\0', len);
	if (nul) {
		ctx.lineno = line_of(buf, (size_t)(nul - buf));
		err = gw_sdp_fail(&ctx, EINVAL, "embedded NUL byte");
		goto out;
	}
	copy = g_strndup(buf, len);
	pos = copy;
	while ((line = next_line(&pos, copy + len, &stray_cr))) {
		if (++ctx.lineno > GW_SDP_MAX_LINES) {
			err = gw_sdp_fail(&ctx, E2BIG, "more than %u lines", GW_SDP_MAX_LINES);
			goto out;
		}
		if (stray_cr) {
			err = gw_sdp_fail(&ctx, EINVAL, "carriage return inside the line");
			goto out;
		}
		if (!*line)	/* blank lines (often trailing) harm nothing */
			continue;
		err = parse_line(&ctx, line);
		if (err)
			goto out;
	}
	ctx.lineno = 0;
	if (!ctx.seen_v)
		err = gw_sdp_fail(&ctx, EINVAL, "missing v= line");
	else if (!ctx.seen_o)
		err = gw_sdp_fail(&ctx, EINVAL, "missing o= line");
out:
	g_free(copy);
	if (err) {
		if (reason)
			*reason = g_steal_pointer(&ctx.reason);
		g_free(ctx.reason);
		gw_obj_deref(ctx.sdp);
		return err;
	}
	*out = ctx.sdp;
	return 0;
}
