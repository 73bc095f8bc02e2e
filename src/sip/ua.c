/* ua.c — the nua user agent: start on the control loop (su_glib), the
 * transports, the event dispatch to dialogs and trunks, orderly shutdown.
 *
 * Loop: the control loop (the default GMainContext).  su_glib_root_create()
 * makes a su_root whose port is a GSource; with threading off the nua
 * stack shares that port, so Sofia's sockets and timers are all
 * dispatched by GLib on this thread and nua callbacks run here too.  The
 * GSource lives in a driven context of the control loop (gw/loop.h) with
 * coarse timers: Sofia rounds the time to its next timer down to the
 * millisecond (su_duration), so attached to the loop as it is, its
 * source is ready with nothing to do for the last fraction of a
 * millisecond before every timer, and the loop spins through that time
 * (measured: the control thread at 1,000 calls woke every 20 ms and spun
 * for up to a millisecond, on the media thread's core in the benchmark).
 * Owns: the nua, the su_root and its GSource, the driven context and a
 * reference on its loop, the trunk states, and one reference on each
 * dialog with a live handle (sip->dialogs).
 */
#include <errno.h>
#include <string.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/su_tag_io.h>
#include "sip_priv.h"
#include "gw/log.h"
#include "gw/obj.h"

#define GW_SIP_DEFAULT_LISTEN "127.0.0.1:5060"
#define GW_SIP_SHUTDOWN_US (3 * G_USEC_PER_SEC)

/* Methods we handle ourselves (nua answers the rest). */
#define GW_SIP_ALLOW "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, NOTIFY, UPDATE"
/* with sip.100rel */
#define GW_SIP_ALLOW_PRACK GW_SIP_ALLOW ", PRACK"
#define GW_SIP_APPL_METHODS "INFO, REFER, UPDATE"

static const char *allow(const struct gw_config *cfg)
{
	return cfg->sip_100rel ? GW_SIP_ALLOW_PRACK : GW_SIP_ALLOW;
}

const char *gw_sip_supported(const struct gw_config *cfg, bool rel100)
{
	bool se = cfg->sip_session_expires > 0;

	rel100 = rel100 && cfg->sip_100rel;
	return se && rel100 ? "timer, 100rel" : se ? "timer" : rel100 ? "100rel" : "";
}

static const char *nonempty(const char *s, const char *def)
{
	return s && *s ? s : def;
}

/* "host" as it goes into a SIP URI (IPv6 in brackets). */
static char *uri_host(const char *host)
{
	return strchr(host, ':') ? g_strdup_printf("[%s]", host) : g_strdup(host);
}

/* Requests that reach us outside any dialog we know: answer what nua left
 * to us and destroy the handle nua created for them. */
static void unbound_event(struct gw_sip *sip, nua_event_t event, nua_handle_t *nh,
			  const sip_t *msg, tagi_t tags[])
{
	int state = nua_callstate_init;

	switch (event) {
	case nua_i_invite:
		gw_sip_inbound_invite(sip, nh, msg);
		return;
	case nua_i_state:
		tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
		if (state == nua_callstate_terminated) {
			gw_debug("sip", "refused call's handle released");
			nua_handle_destroy(nh);
		}
		return;
	case nua_i_info:
	case nua_i_refer:
	case nua_i_update:
		nua_respond(nh, SIP_481_NO_TRANSACTION, NUTAG_WITH_THIS(sip->nua), TAG_END());
		nua_handle_destroy(nh);
		return;
	case nua_i_register:
	case nua_i_publish:
	case nua_i_subscribe:
		nua_respond(nh, SIP_405_METHOD_NOT_ALLOWED, SIPTAG_ALLOW_STR(allow(sip->cfg)),
			    NUTAG_WITH_THIS(sip->nua), TAG_END());
		nua_handle_destroy(nh);
		return;
	case nua_i_options:
	case nua_i_message:
	case nua_i_notify:
	case nua_i_method:
	case nua_i_bye:
	case nua_i_cancel:
	case nua_i_ack:
		if (nh)
			nua_handle_destroy(nh);
		return;
	default:
		return;
	}
}

static void ua_callback(nua_event_t event, int status, char const *phrase, nua_t *nua,
			struct gw_sip *sip, nua_handle_t *nh, struct gw_sip_hmagic *hm,
			sip_t const *msg, tagi_t tags[])
{
	(void)nua;
	if (!phrase)
		phrase = "";
	gw_trace("sip", "event %s %d %s", nua_event_name(event), status, phrase);
	if (event == nua_r_shutdown) {
		if (status >= 200) {
			sip->shutdown_done = true;
			gw_info("sip", "stopped (%d %s)", status, phrase);
		}
		return;
	}
	/* nta passes 100 Trying up (NTATAG_PASS_100): an INVITE's tells that
	 * the trunk heard it (trunk.invite_timeout); others say nothing.  (A
	 * 100 carrying a final answer is nua's own: gw_sip_held_answer.) */
	if (status == 100 && msg && msg->sip_status && msg->sip_status->st_status < 200 &&
	    event != nua_r_invite)
		return;
	if (!hm) {
		if (nh)
			unbound_event(sip, event, nh, msg, tags);
		return;
	}
	switch (hm->kind) {
	case GW_SIP_H_DIALOG:
		gw_sip_dialog_event(GW_SIP_CONTAINER(hm, struct gw_sip_dialog, magic), event,
				    status, phrase, msg, tags);
		break;
	case GW_SIP_H_REGISTER:
		gw_sip_trunk_event(GW_SIP_CONTAINER(hm, struct gw_sip_trunk, reg_magic), true,
				   event, status, phrase, msg);
		break;
	case GW_SIP_H_OPTIONS:
		gw_sip_trunk_event(GW_SIP_CONTAINER(hm, struct gw_sip_trunk, opt_magic), false,
				   event, status, phrase, msg);
		break;
	}
}

static int create_nua(struct gw_sip *sip, const char *url, const char *sips_url)
{
	const struct gw_config *cfg = sip->cfg;
	unsigned se = cfg->sip_session_expires > 0 ? (unsigned)cfg->sip_session_expires : 0;
	char *ua = g_strdup(nonempty(cfg->sip_user_agent, "rtcsip"));
	/* RFC 3262 is nua's: with 100rel supported it PRACKs a reliable 18x
	 * (PRACK is not one of our application methods) and sends the 18x
	 * of an INVITE that requires 100rel reliably, holding the 200 until
	 * its PRACK; without, such an INVITE gets 420. */
	const char *supported = gw_sip_supported(cfg, true);

	sip->nua = nua_create(sip->root, ua_callback, sip,
			      NUTAG_URL(url),
			      TAG_IF(sips_url, NUTAG_SIPS_URL(sips_url)),
			      TAG_IF(sips_url, TPTAG_CERTIFICATE(sip->tls_dir)),
			      TAG_IF(sips_url, TPTAG_TLS_VERIFY_POLICY(TPTLS_VERIFY_NONE)),
			      TPTAG_LOG(cfg->sip_trace ? 1 : 0),
			      NTATAG_CLIENT_RPORT(1),
			      NTATAG_PASS_100(1),
#ifdef NUTAG_RETRY_AFTER_ENABLE
			      /* 1.13: a 486 or 503 with Retry-After is the answer
			       * now, not N s later (gw_sip_held_answer) */
			      NUTAG_RETRY_AFTER_ENABLE(0),
#endif
			      NTATAG_SERVER_RPORT(1),
			      NUTAG_MEDIA_ENABLE(0),
			      NUTAG_AUTOANSWER(0),
			      NUTAG_AUTOALERT(0),
			      NUTAG_AUTOACK(1),
			      NUTAG_ENABLEMESSAGE(0),
			      NUTAG_APPL_METHOD(GW_SIP_APPL_METHODS),
			      SIPTAG_ALLOW_STR(allow(cfg)),
			      SIPTAG_SUPPORTED_STR(supported),
			      NUTAG_SESSION_TIMER(se),
			      TAG_IF(se, NUTAG_MIN_SE(se < 90 ? se : 90)),
			      TAG_IF(se, NUTAG_SESSION_REFRESHER(nua_any_refresher)),
			      NUTAG_UPDATE_REFRESH(1),
			      NUTAG_OUTBOUND("no-options-keepalive no-validate"),
			      SIPTAG_USER_AGENT_STR(ua),
			      TAG_END());
	g_free(ua);
	if (!sip->nua) {
		int err = errno ? errno : EIO;

		gw_error("sip", "cannot start the SIP stack on %s%s%s: %s", url,
			 sips_url ? " and " : "", sips_url ? sips_url : "", g_strerror(err));
		return err;
	}
	return 0;
}

/* The bind URLs: sip:HOST:PORT (UDP + TCP), sips:HOST:PORT (TLS).  With
 * sip.public_ip the public address names the transport (Via, Contact) and
 * maddr= the local address it binds. */
static int transport_urls(struct gw_sip *sip, char **url, char **sips_url)
{
	const struct gw_config *cfg = sip->cfg;
	const char *pub = nonempty(cfg->sip_public_ip, NULL);
	char *host = NULL, *h = NULL, *p = NULL, *tls_host = NULL;
	uint16_t port = 0, tls_port = 0;
	int err;

	err = gw_config_split_hostport(nonempty(cfg->sip_listen, GW_SIP_DEFAULT_LISTEN), &host, &port);
	if (err) {
		gw_error("sip", "sip.listen '%s' is not host:port", gw_sip_str(cfg->sip_listen));
		goto out;
	}
	sip->listen_host = g_strdup(host);
	h = uri_host(host);
	p = pub ? uri_host(pub) : NULL;
	if (p)
		*url = g_strdup_printf("sip:%s:%u;maddr=%s", p, port, h);
	else
		*url = g_strdup_printf("sip:%s:%u", h, port);
	*sips_url = NULL;
	if (cfg->sip_tls_cert && *cfg->sip_tls_cert && cfg->sip_tls_listen && *cfg->sip_tls_listen) {
		char *th;

		err = gw_config_split_hostport(cfg->sip_tls_listen, &tls_host, &tls_port);
		if (err) {
			gw_error("sip", "sip.tls_listen '%s' is not host:port", cfg->sip_tls_listen);
			g_free(*url);
			goto out;
		}
		th = uri_host(tls_host);
		if (p)
			*sips_url = g_strdup_printf("sips:%s:%u;maddr=%s", p, tls_port, th);
		else
			*sips_url = g_strdup_printf("sips:%s:%u", th, tls_port);
		g_free(th);
	}
out:
	g_free(host);
	g_free(tls_host);
	g_free(h);
	g_free(p);
	return err;
}

/* Parse the extension headers of sip_extra.h (P-Asserted-Identity among
 * them) as headers, not unknown text (identity.c reads them): once per
 * process, before nua_create (nta takes the default parser when its
 * agent is created).  A malformed one goes to sip_error like any other
 * header that is not critical: the request is still taken. */
static void extend_parser(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		if (sip_update_default_mclass(sip_extend_mclass(NULL)) < 0)
			gw_warn("sip", "cannot parse the extension headers (P-Asserted-Identity)");
		g_once_init_leave(&done, 1);
	}
}

/* Attach Sofia's GSource to a driven context of the control loop (see
 * the top), or to the default context as it is when there is no control
 * loop or it cannot drive one more context.  Not blocked while it
 * dispatches: GLib would signal the context's wakeup fd for each of its
 * fds, twice per dispatch, and the context would cycle again at once.
 * Nothing iterates this context from inside Sofia's callbacks, so it
 * never recurses. */
static void attach_source(struct gw_sip *sip)
{
	struct gw_loop *control = gw_loop_control();
	GMainContext *ctx = NULL;

	g_source_set_can_recurse(sip->source, TRUE);
	/* started before the loop runs: own its context meanwhile */
	if (control && g_main_context_acquire(gw_loop_context(control))) {
		sip->driven = gw_loop_ctx_new(control);
		g_main_context_release(gw_loop_context(control));
	}
	if (sip->driven) {
		sip->loop = gw_obj_ref(control);
		gw_loop_ctx_set_coarse_timers(sip->driven);
		ctx = gw_loop_ctx_context(sip->driven);
	} else if (control) {
		gw_warn("sip", "Sofia runs on the control loop's context as it is: "
			"it spins through the last millisecond before each SIP timer");
	}
	g_source_attach(sip->source, ctx);
}

int gw_sip_start(const struct gw_config *cfg, gw_sip_incoming_h *incoming, void *arg,
		 struct gw_sip **out)
{
	struct gw_sip *sip = g_new0(struct gw_sip, 1);
	char *url = NULL, *sips_url = NULL;
	int err;

	sip->cfg = cfg;
	sip->incoming = incoming;
	sip->incoming_arg = arg;
	sip->trunks = g_ptr_array_new();
	err = transport_urls(sip, &url, &sips_url);
	if (err)
		goto out;
	sip->rtp_addr = g_strdup(nonempty(cfg->sip_rtp_address, sip->listen_host));
	sip->sdp_addr = g_strdup(nonempty(cfg->sip_public_ip, sip->rtp_addr));
	sip->from_host = nonempty(cfg->sip_domain, NULL)
				 ? g_strdup(cfg->sip_domain)
				 : uri_host(nonempty(cfg->sip_public_ip, sip->listen_host));
	if (sips_url) {
		err = gw_sip_tls_prepare(cfg, &sip->tls_dir);
		if (err)
			goto out;
	}
	su_init();
	extend_parser();
	gw_sip_log_start(cfg->sip_trace);
	sip->log_started = true;
	sip->root = su_glib_root_create(sip);
	if (!sip->root) {
		gw_error("sip", "cannot create the su_glib root");
		err = ENOMEM;
		goto out;
	}
	/* One thread: the nua stack shares the GLib port of this root. */
	su_root_threading(sip->root, 0);
	sip->source = su_glib_root_gsource(sip->root);
	attach_source(sip);
	err = create_nua(sip, url, sips_url);
	if (err)
		goto out;
	err = gw_sip_inauth_start(sip);
	if (err)
		goto out;
	err = gw_sip_trunks_start(sip);
	if (err)
		goto out;
	gw_info("sip", "listening on %s (udp, tcp)%s%s%s", url, sips_url ? ", " : "",
		sips_url ? sips_url : "", sips_url ? " (tls)" : "");
out:
	g_free(url);
	g_free(sips_url);
	if (err)
		gw_sip_free(sip);
	else
		*out = sip;
	return err;
}

static gpointer ref_copy(gconstpointer obj, gpointer unused)
{
	(void)unused;
	return gw_obj_ref((void *)obj);
}

void gw_sip_shutdown(struct gw_sip *sip)
{
	GList *copy;

	if (!sip || sip->shutting_down)
		return;
	sip->shutting_down = true;
	sip->shutdown_started = g_get_monotonic_time();
	gw_info("sip", "shutting down: %u dialog(s)", g_list_length(sip->dialogs));
	/* end() may drop the last references: walk a referenced copy. */
	copy = g_list_copy_deep(sip->dialogs, ref_copy, NULL);
	for (GList *l = copy; l; l = l->next)
		gw_sip_dialog_end(l->data, 480, "Service shutting down");
	g_list_free_full(copy, gw_obj_release);
	gw_sip_trunks_shutdown(sip);
	if (sip->nua)
		nua_shutdown(sip->nua);
	else
		sip->shutdown_done = true;
}

bool gw_sip_idle(const struct gw_sip *sip)
{
	if (!sip || sip->shutdown_done)
		return true;
	return sip->shutting_down &&
	       g_get_monotonic_time() - sip->shutdown_started >= GW_SIP_SHUTDOWN_US;
}

void gw_sip_free(struct gw_sip *sip)
{
	bool stuck = false;

	if (!sip)
		return;
	if (sip->nua && !sip->shutdown_done) {
		/* nua_destroy() needs a finished nua_shutdown: give it a
		 * bounded time on this loop (start-up failure or a caller
		 * that did not wait for gw_sip_idle). */
		gint64 until = g_get_monotonic_time() + GW_SIP_SHUTDOWN_US;

		gw_sip_shutdown(sip);
		while (!sip->shutdown_done && g_get_monotonic_time() < until)
			if (!g_main_context_iteration(NULL, FALSE))
				g_usleep(1000);
	}
	while (sip->dialogs)
		gw_sip_dialog_detach(sip->dialogs->data);
	gw_sip_trunks_free(sip);
	gw_sip_inauth_free(sip);
	if (sip->nua && sip->shutdown_done) {
		nua_destroy(sip->nua);
	} else if (sip->nua) {
		/* Destroying a running nua would abort; the process is
		 * stopping anyway. */
		gw_warn("sip", "SIP stack did not stop in time; leaving it");
		stuck = true;
	}
	sip->nua = NULL;
	/* The context holds the last reference on the port's GSource;
	 * destroying it detaches Sofia from the loop in any case, so
	 * nothing of a stuck stack runs after this. */
	if (sip->root && !stuck)
		su_root_destroy(sip->root);
	if (sip->source)
		g_source_destroy(sip->source);
	gw_loop_ctx_free(sip->driven);
	sip->loop = gw_obj_deref(sip->loop);
	if (sip->root)
		su_deinit();
	if (sip->log_started)
		gw_sip_log_stop();
	g_ptr_array_free(sip->trunks, TRUE);
	g_free(sip->listen_host);
	g_free(sip->rtp_addr);
	g_free(sip->sdp_addr);
	g_free(sip->from_host);
	g_free(sip->tls_dir);
	g_free(sip);
}

unsigned gw_sip_dialog_count(const struct gw_sip *sip)
{
	return sip ? sip->n_calls : 0;
}

const char *gw_sip_rtp_address(const struct gw_sip *sip)
{
	return sip->rtp_addr;
}

const char *gw_sip_sdp_address(const struct gw_sip *sip)
{
	return sip->sdp_addr;
}

struct gw_sip_trunk *gw_sip_trunk_by_cfg(const struct gw_sip *sip,
					 const struct gw_trunk_config *cfg)
{
	for (guint i = 0; cfg && i < sip->trunks->len; i++) {
		struct gw_sip_trunk *t = g_ptr_array_index(sip->trunks, i);

		if (t->cfg == cfg)
			return t;
	}
	return NULL;
}
