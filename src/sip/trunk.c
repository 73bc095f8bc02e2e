/* trunk.c — run-time state of each [trunk.NAME]: its proxy as a URI, the
 * networks its INVITEs may come from, REGISTER (nua refreshes it; failures
 * retry with exponential backoff 5 s .. 300 s), the OPTIONS keepalive and
 * the up/down state /healthz reports.
 * Control loop.  struct gw_sip owns the trunks; their nua handles point at
 * them and are destroyed before they are freed.
 */
#include <errno.h>
#include <string.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>
#include "sip_priv.h"
#include "gw/log.h"

#define REG_BACKOFF_MIN 5u
#define REG_BACKOFF_MAX 300u

static const char *state_name(enum gw_sip_trunk_state s)
{
	return s == GW_SIP_TRUNK_UP ? "up" : s == GW_SIP_TRUNK_DOWN ? "down" : "unknown";
}

static void set_state(struct gw_sip_trunk *t, enum gw_sip_trunk_state s, const char *reason)
{
	enum gw_sip_trunk_state old = t->state;

	g_free(t->reason);
	t->reason = g_strdup(reason);
	t->state = s;
	t->out_until = 0;
	if (old == s)
		return;
	if (s == GW_SIP_TRUNK_DOWN)
		gw_warn(t->log, "down: %s", reason);
	else
		gw_info(t->log, "%s: %s", old == GW_SIP_TRUNK_DOWN ? "up again" : "up", reason);
}

/* Out of service for a 503's Retry-After, and still within it. */
static bool out_of_service(const struct gw_sip_trunk *t)
{
	return t->out_until && g_get_monotonic_time() < t->out_until;
}

/* A registration's outcome as the trunk's reason (takes @reason), unless
 * a Retry-After's, which says more, is in force. */
static void register_reason(struct gw_sip_trunk *t, char *reason)
{
	if (out_of_service(t)) {
		g_free(reason);
		return;
	}
	g_free(t->reason);
	t->reason = reason;
}

void gw_sip_trunk_seen(struct gw_sip_trunk *t, int status, const char *phrase, const sip_t *sip)
{
	/* Any answer from the peer, even 4xx/5xx, means it is there; only
	 * a timeout or transport error made up by our own stack means not.
	 * nua's own codes (900+) say nothing about the peer. */
	bool down = (status == 408 || status == 503) && gw_sip_status_local(sip);
	char *reason;

	if (status >= 700)
		return;
	if (status == 503 && !down && sip->sip_retry_after && sip->sip_retry_after->af_delta) {
		gw_sip_trunk_out_of_service(t, sip->sip_retry_after->af_delta, phrase);
		return;
	}
	/* out of service for a Retry-After: so long, whatever it says */
	if (!down && out_of_service(t))
		return;
	reason = g_strdup_printf("%d %s", status, phrase ? phrase : "");
	set_state(t, down ? GW_SIP_TRUNK_DOWN : GW_SIP_TRUNK_UP, reason);
	g_free(reason);
}

void gw_sip_trunk_out_of_service(struct gw_sip_trunk *t, unsigned long secs, const char *phrase)
{
	unsigned s = (unsigned)MIN(secs, (unsigned long)GW_SIP_RETRY_AFTER_MAX);
	char *reason = g_strdup_printf("503 %s, Retry-After %u s", phrase ? phrase : "", s);

	set_state(t, GW_SIP_TRUNK_DOWN, reason);
	t->out_until = g_get_monotonic_time() + (gint64)s * G_USEC_PER_SEC;
	g_free(reason);
}

bool gw_sip_trunk_is_down(const struct gw_sip_trunk *t)
{
	return t->state == GW_SIP_TRUNK_DOWN && (!t->out_until || out_of_service(t));
}

void gw_sip_trunk_unresponsive(struct gw_sip_trunk *t, const char *reason)
{
	set_state(t, GW_SIP_TRUNK_DOWN, reason);
}

/* ---- REGISTER ---- */

const char *gw_sip_contact_user(const struct gw_trunk_config *trunk)
{
	const char *u = trunk && trunk->registration ? trunk->username : NULL;

	if (!u || !*u)
		return NULL;
	for (const char *c = u; *c; c++) /* RFC 3261 user characters, no escapes */
		if (!g_ascii_isalnum(*c) && !strchr("-_.!~*'()&=+$,;?/", *c))
			return NULL;
	return u;
}

static void register_start(struct gw_sip_trunk *t);

static gboolean register_retry(gpointer arg)
{
	struct gw_sip_trunk *t = arg;

	t->reg_timer = 0;
	register_start(t);
	return G_SOURCE_REMOVE;
}

static void register_drop(struct gw_sip_trunk *t)
{
	if (t->reg_nh) {
		nua_handle_bind(t->reg_nh, NULL);
		nua_handle_destroy(t->reg_nh);
		t->reg_nh = NULL;
	}
}

/* The registrar refused (or nothing answered): again after the backoff,
 * or the Retry-After if longer (RFC 3261 21.5.4; at most
 * GW_SIP_RETRY_AFTER_MAX s). */
static void register_failed(struct gw_sip_trunk *t, int status, const char *phrase,
			    const sip_t *sip)
{
	unsigned wait = t->reg_backoff;

	if (sip && sip->sip_retry_after && sip->sip_retry_after->af_delta > wait)
		wait = (unsigned)MIN(sip->sip_retry_after->af_delta,
				     (unsigned long)GW_SIP_RETRY_AFTER_MAX);
	t->registered = false;
	register_drop(t);
	register_reason(t, g_strdup_printf("REGISTER: %d %s", status, phrase));
	if (t->sip->shutting_down)
		return;
	gw_warn(t->log, "registration failed: %d %s; retrying in %u s", status, phrase, wait);
	t->reg_wait = wait;
	if (t->reg_timer)
		g_source_remove(t->reg_timer); /* one pending retry at most */
	t->reg_timer = g_timeout_add_seconds(wait, register_retry, t);
	t->reg_backoff = MIN(t->reg_backoff * 2, REG_BACKOFF_MAX);
}

static void register_start(struct gw_sip_trunk *t)
{
	const struct gw_trunk_config *c = t->cfg;
	const char *domain = c->from_domain && *c->from_domain ? c->from_domain : t->host;
	char *aor, *registrar, *expires;

	if (!t->sip->nua || t->sip->shutting_down || t->reg_nh)
		return;
	aor = g_strdup_printf("<sip:%s@%s>", c->username, domain);
	registrar = g_strdup_printf("sip:%s%s", t->hostport, t->uri_params);
	expires = g_strdup_printf("%d", c->register_expires > 0 ? c->register_expires : 3600);
	g_ptr_array_set_size(t->reg_realms, 0);
	t->reg_nh = nua_handle(t->sip->nua, &t->reg_magic, SIPTAG_TO_STR(aor), SIPTAG_FROM_STR(aor),
			       TAG_IF(t->route, NUTAG_INITIAL_ROUTE_STR(t->route)), TAG_END());
	if (t->reg_nh) {
		gw_debug(t->log, "REGISTER %s at %s", aor, registrar);
		nua_register(t->reg_nh, NUTAG_REGISTRAR(registrar), SIPTAG_EXPIRES_STR(expires),
			     NUTAG_M_USERNAME(gw_sip_contact_user(c)), TAG_END());
	} else {
		register_failed(t, 500, "cannot create a handle", NULL);
	}
	g_free(aor);
	g_free(registrar);
	g_free(expires);
}

static void register_event(struct gw_sip_trunk *t, nua_event_t event, int status,
			   const char *phrase, const sip_t *sip)
{
	const struct gw_trunk_config *c = t->cfg;
	const char *user = c->auth_username && *c->auth_username ? c->auth_username : c->username;

	if (event == nua_r_unregister) {
		if (status >= 200) {
			gw_info(t->log, "unregistered: %d %s", status, phrase);
			t->registered = false;
			register_drop(t);
		}
		return;
	}
	if (event != nua_r_register || status < 200)
		return;
	gw_sip_trunk_seen(t, status, phrase, sip);
	if ((status == 401 || status == 407) &&
	    gw_sip_auth_answer(t->reg_nh, t->reg_realms, sip, status, user, c->password, t->log))
		return;
	if (status >= 300) {
		register_failed(t, status, phrase, sip);
		return;
	}
	if (!t->registered)
		gw_info(t->log, "registered (%d %s, expires %lu s)", status, phrase,
			sip && sip->sip_expires ? (unsigned long)sip->sip_expires->ex_delta : 0ul);
	else
		gw_debug(t->log, "registration refreshed");
	t->registered = true;
	t->reg_backoff = REG_BACKOFF_MIN;
	/* A later challenge for the same realm is a new attempt. */
	g_ptr_array_set_size(t->reg_realms, 0);
	register_reason(t, g_strdup_printf("REGISTER: %d %s", status, phrase));
}

/* ---- OPTIONS keepalive ---- */

static void options_send(struct gw_sip_trunk *t)
{
	const struct gw_trunk_config *c = t->cfg;
	char *to, *uri, *from = NULL;

	/* none during a 503's Retry-After (RFC 3261 21.5.4: no other
	 * requests to it so long); the first one after says if it is back */
	if (t->opt_nh || !t->sip->nua || t->sip->shutting_down || out_of_service(t))
		return;
	to = g_strdup_printf("<sip:%s>", t->hostport);
	uri = g_strdup_printf("sip:%s%s", t->hostport, t->uri_params);
	/* Some carriers ignore requests whose From has no user. */
	if (c->username && *c->username)
		from = g_strdup_printf("<sip:%s@%s>", c->username,
				       c->from_domain && *c->from_domain ? c->from_domain : t->host);
	t->opt_nh = nua_handle(t->sip->nua, &t->opt_magic, SIPTAG_TO_STR(to),
			       TAG_IF(from, SIPTAG_FROM_STR(from)),
			       TAG_IF(t->route, NUTAG_INITIAL_ROUTE_STR(t->route)), TAG_END());
	if (t->opt_nh)
		nua_options(t->opt_nh, NUTAG_URL(uri), TAG_END());
	g_free(to);
	g_free(uri);
	g_free(from);
}

static gboolean options_tick(gpointer arg)
{
	options_send(arg);
	return G_SOURCE_CONTINUE;
}

static void options_event(struct gw_sip_trunk *t, nua_event_t event, int status,
			  const char *phrase, const sip_t *sip)
{
	if (event != nua_r_options || status < 200)
		return;
	gw_sip_trunk_seen(t, status, phrase, sip);
	if (t->opt_nh) {
		nua_handle_bind(t->opt_nh, NULL);
		nua_handle_destroy(t->opt_nh);
		t->opt_nh = NULL;
	}
}

void gw_sip_trunk_event(struct gw_sip_trunk *t, bool reg, nua_event_t event, int status,
			const char *phrase, const sip_t *sip)
{
	/* nua holding a final answer for its Retry-After: it is the answer
	 * (the handle goes, as with any final answer, and nua's retry) */
	if (gw_sip_held_answer(status, phrase, sip)) {
		status = sip->sip_status->st_status;
		phrase = sip->sip_status->st_phrase;
	}
	if (reg)
		register_event(t, event, status, phrase, sip);
	else
		options_event(t, event, status, phrase, sip);
}

/* ---- set-up ---- */

static void add_network(struct gw_sip_trunk *t, const char *s)
{
	char *plain = g_strdup(s);
	GInetAddressMask *m;
	size_t n = strlen(plain);

	if (plain[0] == '[' && n > 2 && plain[n - 1] == ']') {
		memmove(plain, plain + 1, n - 2);
		plain[n - 2] = '\0';
	}
	m = g_inet_address_mask_new_from_string(plain, NULL);
	if (m)
		g_ptr_array_add(t->networks, m);
	else
		gw_warn(t->log, "allowed_networks: '%s' is not a network; ignored", s);
	g_free(plain);
}

static int trunk_parse(struct gw_sip_trunk *t)
{
	const struct gw_trunk_config *c = t->cfg;
	su_home_t home[1] = { SU_HOME_INIT(home) };
	url_t *url = c->proxy ? url_make(home, c->proxy) : NULL;
	const char *tp = gw_sip_str(c->transport);
	int err = 0;

	if (!url || (url->url_type != url_sip && url->url_type != url_sips) || !url->url_host) {
		gw_error(t->log, "proxy '%s' is not a SIP URI", gw_sip_str(c->proxy));
		err = EINVAL;
		goto out;
	}
	t->host = g_strdup(url->url_host);
	t->hostport = url->url_port ? g_strdup_printf("%s:%s", url->url_host, url->url_port)
				    : g_strdup(url->url_host);
	t->uri_params = *tp && g_ascii_strcasecmp(tp, "udp")
				? g_strdup_printf(";transport=%s", tp) : g_strdup("");
	if (c->outbound_proxy && *c->outbound_proxy) {
		const char *op = c->outbound_proxy;
		bool lr = strstr(op, ";lr") != NULL;
		bool has_tp = strstr(op, "transport=") != NULL;

		t->route = g_strdup_printf("<%s%s%s%s>", g_str_has_prefix(op, "sip") ? "" : "sip:",
					   op, has_tp ? "" : t->uri_params, lr ? "" : ";lr");
	}
	/* An empty list means no inbound calls from this trunk. */
	if (c->allowed_networks && *c->allowed_networks) {
		char **items = g_strsplit(c->allowed_networks, ",", -1);

		for (char **it = items; *it; it++)
			if (*g_strstrip(*it))
				add_network(t, *it);
		g_strfreev(items);
	}
out:
	su_home_deinit(home);
	return err;
}

int gw_sip_trunks_start(struct gw_sip *sip)
{
	const GPtrArray *cfgs = sip->cfg->trunks;

	for (guint i = 0; cfgs && i < cfgs->len; i++) {
		struct gw_sip_trunk *t = g_new0(struct gw_sip_trunk, 1);
		int err;

		t->sip = sip;
		t->cfg = g_ptr_array_index(cfgs, i);
		t->log = g_strdup_printf("trunk %s", gw_sip_str(t->cfg->name));
		t->networks = g_ptr_array_new_with_free_func(g_object_unref);
		t->reg_realms = g_ptr_array_new_with_free_func(g_free);
		t->reg_magic.kind = GW_SIP_H_REGISTER;
		t->opt_magic.kind = GW_SIP_H_OPTIONS;
		t->reg_backoff = REG_BACKOFF_MIN;
		g_ptr_array_add(sip->trunks, t);
		err = trunk_parse(t);
		if (err)
			return err;
		if (t->cfg->registration) {
			if (t->cfg->username && *t->cfg->username)
				register_start(t);
			else
				gw_error(t->log, "register = true needs a username; not registering");
		}
		if (t->cfg->options_interval > 0) {
			t->opt_timer = g_timeout_add_seconds((guint)t->cfg->options_interval,
							     options_tick, t);
			options_send(t);
		}
	}
	return 0;
}

void gw_sip_trunks_shutdown(struct gw_sip *sip)
{
	for (guint i = 0; i < sip->trunks->len; i++) {
		struct gw_sip_trunk *t = g_ptr_array_index(sip->trunks, i);

		if (t->reg_timer)
			g_source_remove(t->reg_timer);
		if (t->opt_timer)
			g_source_remove(t->opt_timer);
		t->reg_timer = t->opt_timer = 0;
		if (t->opt_nh) {
			nua_handle_bind(t->opt_nh, NULL);
			nua_handle_destroy(t->opt_nh);
			t->opt_nh = NULL;
		}
		if (t->reg_nh && t->registered && !t->unregistering) {
			t->unregistering = true;
			nua_unregister(t->reg_nh, TAG_END());
		} else if (!t->unregistering) {
			register_drop(t);
		}
	}
}

void gw_sip_trunks_free(struct gw_sip *sip)
{
	for (guint i = 0; i < sip->trunks->len; i++) {
		struct gw_sip_trunk *t = g_ptr_array_index(sip->trunks, i);

		if (t->reg_timer)
			g_source_remove(t->reg_timer);
		if (t->opt_timer)
			g_source_remove(t->opt_timer);
		if (t->opt_nh) {
			nua_handle_bind(t->opt_nh, NULL);
			nua_handle_destroy(t->opt_nh);
		}
		register_drop(t);
		g_ptr_array_free(t->networks, TRUE);
		g_ptr_array_free(t->reg_realms, TRUE);
		g_free(t->log);
		g_free(t->host);
		g_free(t->hostport);
		g_free(t->uri_params);
		g_free(t->route);
		g_free(t->reason);
		g_free(t);
	}
	g_ptr_array_set_size(sip->trunks, 0);
}

struct gw_sip_trunk *gw_sip_trunk_for_source(struct gw_sip *sip, GInetAddress *addr)
{
	for (guint i = 0; i < sip->trunks->len; i++) {
		struct gw_sip_trunk *t = g_ptr_array_index(sip->trunks, i);

		for (guint j = 0; j < t->networks->len; j++)
			if (g_inet_address_mask_matches(g_ptr_array_index(t->networks, j), addr))
				return t;
	}
	return NULL;
}

json_t *gw_sip_health(const struct gw_sip *sip)
{
	json_t *trunks = json_object();

	for (guint i = 0; sip && i < sip->trunks->len; i++) {
		const struct gw_sip_trunk *t = g_ptr_array_index(sip->trunks, i);
		/* a Retry-After that ran out says nothing of now */
		const char *state = t->state == GW_SIP_TRUNK_DOWN && !gw_sip_trunk_is_down(t)
					    ? "unknown" : state_name(t->state);
		json_t *o = json_pack("{s:s, s:s}", "state", state,
				      "reason", t->reason ? t->reason : "");

		if (t->cfg->registration)
			json_object_set_new(o, "registered", json_boolean(t->registered));
		json_object_set_new(trunks, gw_sip_str(t->cfg->name), o);
	}
	return json_pack("{s:o}", "trunks", trunks);
}
