/* test_sip_ua.c — the SIP user agent (src/sip) against a real sipp on
 * 127.0.0.1: outbound calls (answer, busy, digest auth, far-end BYE,
 * CANCEL), inbound calls (allowed networks, max_calls, ring timeout, INFO
 * DTMF both ways, re-INVITE / UPDATE offers, digest auth of callers outside
 * the allowed networks), REFER both ways (and the failure NOTIFY of an
 * accepted one), registration with
 * refresh, OPTIONS health, routing and number normalisation.
 * Each test runs the default GMainContext until the expected event or a
 * generous timeout.  Skipped (77) when sipp is not installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include "gw_check.h"
#include <glib.h>
#include "sip_priv.h" /* a trunk's state, for routing */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include "gw/cert.h"
#include "gw/config.h"
#include "gw/log.h"
#include "gw/loop.h"
#include "gw/obj.h"
#include "gw/sip.h"

#define SIPP "/usr/bin/sipp"
#define WAIT_S 20

static const char *OFFER =
	"v=0\r\no=gw 1 1 IN IP4 127.0.0.1\r\ns=gwtest\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	"m=audio 7000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";
static const char *ANSWER =
	"v=0\r\no=gw 1 2 IN IP4 127.0.0.1\r\ns=gwtest-answer\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	"m=audio 7000 RTP/AVP 0\r\na=sendrecv\r\n";

/* ---- ports, config ---- */

/* A port free for both UDP and TCP on 127.0.0.1. */
static uint16_t free_port(void)
{
	for (int tries = 0; tries < 50; tries++) {
		GSocket *u = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
					  G_SOCKET_PROTOCOL_UDP, NULL);
		GSocket *t = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
					  G_SOCKET_PROTOCOL_TCP, NULL);
		GInetAddress *lo = g_inet_address_new_from_string("127.0.0.1");
		GSocketAddress *a = g_inet_socket_address_new(lo, 0), *bound = NULL, *b2 = NULL;
		uint16_t port = 0;

		if (g_socket_bind(u, a, FALSE, NULL) && (bound = g_socket_get_local_address(u, NULL))) {
			port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
			b2 = g_inet_socket_address_new(lo, port);
			if (!g_socket_bind(t, b2, FALSE, NULL))
				port = 0;
		}
		if (bound)
			g_object_unref(bound);
		if (b2)
			g_object_unref(b2);
		g_object_unref(a);
		g_object_unref(lo);
		g_object_unref(u);
		g_object_unref(t);
		if (port > 1024)
			return port;
	}
	ck_abort_msg("no free port");
	return 0;
}

static const struct gw_conf_key *key_row(const struct gw_conf_key *rows, size_t n,
					 const char *group, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if ((!group || !strcmp(rows[i].group, group)) && !strcmp(rows[i].key, key))
			return &rows[i];
	ck_abort_msg("no config key %s", key);
	return NULL;
}

static void cfg_set(struct gw_config *cfg, const char *group, const char *key, const char *v)
{
	char *reason = NULL;
	int err = gw_config_key_parse(key_row(gw_conf_keys, gw_conf_nkeys, group, key), cfg, v,
				      NULL, &reason);

	ck_assert_msg(err == 0, "[%s] %s = %s: %s", group, key, v, reason ? reason : "");
}

static void trunk_set(struct gw_trunk_config *t, const char *key, const char *v)
{
	char *reason = NULL;
	int err = gw_config_key_parse(key_row(gw_trunk_keys, gw_trunk_nkeys, NULL, key), t, v,
				      NULL, &reason);

	ck_assert_msg(err == 0, "trunk %s = %s: %s", key, v, reason ? reason : "");
}

/* A trunk with every default, added to @cfg (which frees it). */
static struct gw_trunk_config *trunk_add(struct gw_config *cfg, const char *name, uint16_t port)
{
	struct gw_trunk_config *t = g_new0(struct gw_trunk_config, 1);
	char *proxy = g_strdup_printf("sip:127.0.0.1:%u", port);

	for (size_t i = 0; i < gw_trunk_nkeys; i++)
		trunk_set(t, gw_trunk_keys[i].key, gw_trunk_keys[i].def);
	t->name = g_strdup(name);
	trunk_set(t, "proxy", proxy);
	trunk_set(t, "options_interval", "0");
	g_free(proxy);
	g_ptr_array_add(cfg->trunks, t);
	return t;
}

/* ---- the fixture: one UA on a free port, sipp peers ---- */

struct ev {
	enum gw_sip_event_type type;
	int code;
	char *reason, *sdp, *refer_to;
	char digit;
	bool final;
};

struct fx {
	struct gw_config *cfg;
	struct gw_sip *sip;
	uint16_t port;
	char *dir;
	GPtrArray *events;             /* struct ev * of the current dialog */
	struct gw_sip_dialog *in;      /* last inbound dialog (a reference) */
	unsigned n_incoming;
	char *in_ruri, *in_from, *in_display, *in_sdp, *in_xhdr, *in_source, *in_trunk;
	/* what the incoming handler does */
	int in_respond;                /* 0 = keep ringing */
	/* on DTMF: send this digit back */
	char dtmf_reply;
};

static struct fx F;

static void ev_free(void *p)
{
	struct ev *e = p;

	g_free(e->reason);
	g_free(e->sdp);
	g_free(e->refer_to);
	g_free(e);
}

static void on_event(struct gw_sip_dialog *d, struct gw_sip_event *ev, void *arg)
{
	struct ev *e = g_new0(struct ev, 1);

	(void)arg;
	e->type = ev->type;
	e->code = ev->code;
	e->reason = g_strdup(ev->reason);
	e->sdp = g_strdup(ev->sdp);
	e->refer_to = g_strdup(ev->refer_to);
	e->digit = ev->digit;
	e->final = ev->final;
	g_ptr_array_add(F.events, e);
	if (ev->type == GW_SIP_EV_REOFFER) {
		ev->answer_code = 200;
		ev->answer_sdp = g_strdup(ANSWER);
	}
	if (ev->type == GW_SIP_EV_DTMF && ev->digit == '5' && F.dtmf_reply)
		ck_assert_int_eq(gw_sip_dialog_info_dtmf(d, F.dtmf_reply, 120), 0);
}

static void on_incoming(struct gw_sip_dialog *d, const struct gw_sip_incoming *in, void *arg)
{
	(void)arg;
	F.n_incoming++;
	g_free(F.in_ruri);
	g_free(F.in_from);
	g_free(F.in_display);
	g_free(F.in_sdp);
	g_free(F.in_xhdr);
	g_free(F.in_source);
	g_free(F.in_trunk);
	F.in_ruri = g_strdup(in->ruri_user);
	F.in_from = g_strdup(in->from_uri);
	F.in_display = g_strdup(in->from_display);
	F.in_sdp = g_strdup(in->sdp);
	F.in_source = g_strdup(in->source);
	F.in_xhdr = NULL;
	for (unsigned i = 0; i < in->n_headers; i++)
		if (!g_ascii_strcasecmp(in->headers[i].name, "X-Customer"))
			F.in_xhdr = g_strdup(in->headers[i].value);
	ck_assert_ptr_nonnull(in->trunk);
	F.in_trunk = g_strdup(in->trunk->name);
	if (F.in)
		return; /* keep the first one (max_calls test) */
	F.in = gw_obj_ref(d);
	gw_sip_dialog_bind(d, on_event, NULL, "test in");
	if (F.in_respond >= 200) {
		ck_assert_int_eq(gw_sip_dialog_respond(d, 180, NULL, NULL), 0);
		ck_assert_int_eq(gw_sip_dialog_respond(d, F.in_respond, NULL,
						       F.in_respond < 300 ? ANSWER : NULL), 0);
		ck_assert_int_eq(gw_sip_dialog_respond(d, 200, NULL, ANSWER), EALREADY);
	}
}

static gboolean tick(gpointer unused)
{
	(void)unused;
	return G_SOURCE_CONTINUE;
}

/* Run the default loop until @cond(@arg) or @secs seconds. */
static bool run_until(bool (*cond)(const void *), const void *arg, int secs)
{
	gint64 end = g_get_monotonic_time() + (gint64)secs * G_USEC_PER_SEC;
	guint t = g_timeout_add(20, tick, NULL);
	bool ok;

	while (!(ok = cond(arg)) && g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(t);
	return ok;
}

/* The first event of @type, or NULL. */
static const struct ev *event_of(enum gw_sip_event_type type)
{
	for (guint i = 0; i < F.events->len; i++) {
		const struct ev *e = g_ptr_array_index(F.events, i);

		if (e->type == type)
			return e;
	}
	return NULL;
}

static unsigned events_of(enum gw_sip_event_type type)
{
	unsigned n = 0;

	for (guint i = 0; i < F.events->len; i++)
		n += ((const struct ev *)g_ptr_array_index(F.events, i))->type == type;
	return n;
}

static bool has_event(const void *arg)
{
	return event_of(*(const enum gw_sip_event_type *)arg) != NULL;
}

static bool wait_event(enum gw_sip_event_type type)
{
	return run_until(has_event, &type, WAIT_S);
}

/* ---- sipp ---- */

struct sipp {
	GPid pid;
	bool done;
	int status;
	char log[512];     /* sipp's stdout/stderr file */
};

static void sipp_exited(GPid pid, gint status, gpointer arg)
{
	struct sipp *s = arg;
	char *text = NULL;

	s->done = true;
	s->status = status;
	g_spawn_close_pid(pid);
	/* A failing sipp (bind error, unexpected message) says why here, so
	 * the CI log shows it next to the assertion that follows. */
	if (status != 0 && g_file_get_contents(s->log, &text, NULL, NULL))
		g_printerr("--- sipp exited with status %d; %s:\n%.4000s\n", status, s->log, text);
	g_free(text);
}

/* True once something (sipp) holds UDP 127.0.0.1:*@arg. */
static bool udp_port_taken(const void *arg)
{
	GSocket *u = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
				  G_SOCKET_PROTOCOL_UDP, NULL);
	GInetAddress *lo = g_inet_address_new_from_string("127.0.0.1");
	GSocketAddress *a = g_inet_socket_address_new(lo, *(const uint16_t *)arg);
	bool taken = !g_socket_bind(u, a, FALSE, NULL);

	g_object_unref(a);
	g_object_unref(lo);
	g_object_unref(u);
	return taken;
}

/* Start sipp with scenario @xml on 127.0.0.1:@port (@ip to bind as, NULL =
 * 127.0.0.1); @target "host:port" makes it a UAC; @extra: more arguments
 * (NULL-terminated, may be NULL). */
static void sipp_start_args(struct sipp *s, const char *xml, uint16_t port, const char *ip,
			    const char *target, const char *const *extra)
{
	char *path = g_build_filename(g_getenv("GW_TEST_SRCDIR") ? g_getenv("GW_TEST_SRCDIR")
								   : GW_TEST_SRCDIR,
				      "tests", "unit", "sip", xml, NULL);
	char *p = g_strdup_printf("%u", port);
	char *logf = g_strdup_printf("%s/sipp-%s.log", F.dir, xml);
	const char *argv[40];
	int n = 0, fd;
	GError *err = NULL;

	argv[n++] = SIPP;
	if (target)
		argv[n++] = target;
	argv[n++] = "-sf";
	argv[n++] = path;
	argv[n++] = "-i";
	argv[n++] = ip ? ip : "127.0.0.1";
	argv[n++] = "-p";
	argv[n++] = p;
	argv[n++] = "-m";
	argv[n++] = "1";
	argv[n++] = "-timeout";
	argv[n++] = "40s";
	argv[n++] = "-timeout_error";
	argv[n++] = "-nostdin";
	argv[n++] = "-trace_err";
	if (target) {
		argv[n++] = "-s";
		argv[n++] = "5551000";
	}
	for (; extra && *extra && n < (int)G_N_ELEMENTS(argv) - 1; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	memset(s, 0, sizeof(*s));
	g_strlcpy(s->log, logf, sizeof(s->log));
	ck_assert_msg(g_spawn_async_with_fds(F.dir, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
					     NULL, NULL, &s->pid, -1, fd, fd, &err),
		      "sipp: %s", err ? err->message : "?");
	close(fd);
	g_child_watch_add(s->pid, sipp_exited, s);
	/* A UAS must be listening before we send to it. */
	if (!target)
		ck_assert(run_until(udp_port_taken, &port, WAIT_S));
	g_free(path);
	g_free(p);
	g_free(logf);
}

static void sipp_start(struct sipp *s, const char *xml, uint16_t port, const char *ip,
		       const char *target)
{
	sipp_start_args(s, xml, port, ip, target, NULL);
}

static bool sipp_done(const void *arg)
{
	return ((const struct sipp *)arg)->done;
}

/* Wait for sipp and return its exit code (-1 on a signal or timeout). */
static int sipp_wait(struct sipp *s)
{
	if (!run_until(sipp_done, s, 45)) {
		kill(s->pid, SIGKILL);
		run_until(sipp_done, s, 5);
		return -1;
	}
	return WIFEXITED(s->status) ? WEXITSTATUS(s->status) : -1;
}

/* ---- setup / teardown ---- */

static void setup(void)
{
	char *listen;

	if (access(SIPP, X_OK) != 0) {
		printf("SKIP: %s not found (Debian package sip-tester)\n", SIPP);
		exit(77);
	}
	memset(&F, 0, sizeof(F));
	/* the control loop the daemon runs Sofia on */
	ck_assert_int_eq(gw_loops_start(1), 0);
	F.dir = g_dir_make_tmp("gwsip-XXXXXX", NULL);
	F.events = g_ptr_array_new_with_free_func(ev_free);
	F.cfg = gw_config_defaults();
	F.port = free_port();
	listen = g_strdup_printf("127.0.0.1:%u", F.port);
	cfg_set(F.cfg, "sip", "listen", listen);
	cfg_set(F.cfg, "general", "state_dir", F.dir);
	if (getenv("GW_TEST_TRACE"))
		cfg_set(F.cfg, "sip", "trace", "true");
	g_free(listen);
}

static void start_ua(void)
{
	ck_assert_int_eq(gw_sip_start(F.cfg, on_incoming, NULL, &F.sip), 0);
}

static bool idle(const void *arg)
{
	(void)arg;
	return gw_sip_idle(F.sip);
}

static void rm_dir(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		char *p = g_build_filename(dir, name, NULL);

		if (g_file_test(p, G_FILE_TEST_IS_DIR))
			rm_dir(p);
		else
			g_unlink(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(dir);
}

static void teardown(void)
{
	if (F.sip) {
		gw_sip_shutdown(F.sip);
		run_until(idle, NULL, 10);
		gw_sip_free(F.sip);
	}
	gw_loops_stop();
	F.in = gw_obj_deref(F.in);
	gw_config_free(F.cfg);
	g_ptr_array_free(F.events, TRUE);
	g_free(F.in_ruri);
	g_free(F.in_from);
	g_free(F.in_display);
	g_free(F.in_sdp);
	g_free(F.in_xhdr);
	g_free(F.in_source);
	g_free(F.in_trunk);
	if (!getenv("GW_TEST_KEEP"))
		rm_dir(F.dir);
	g_free(F.dir);
}

/* Place a call to @to through @trunk. */
static struct gw_sip_dialog *call(const struct gw_trunk_config *trunk, const char *to,
				  const struct gw_sip_header *h, unsigned nh)
{
	struct gw_sip_invite_params p = {
		.trunk = trunk, .to = to, .from_user = "alice", .from_display = "Alice \"A\"",
		.sdp = OFFER, .headers = h, .n_headers = nh, .log_ctx = "test out",
	};
	struct gw_sip_dialog *d = NULL;

	ck_assert_int_eq(gw_sip_invite(F.sip, &p, on_event, NULL, &d), 0);
	ck_assert_ptr_nonnull(d);
	return d;
}

static bool no_dialogs(const void *arg)
{
	(void)arg;
	return gw_sip_dialog_count(F.sip) == 0;
}

/* ---- outbound ---- */

START_TEST(test_sip_outbound_answered_then_our_bye)
{
	uint16_t sp = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "carrier", sp);
	struct gw_sip_header h[] = { { "X-Test", "hello world" } };
	struct gw_sip_dialog *d;
	struct sipp s;
	const struct ev *e;

	trunk_set(t, "plus", "00");
	trunk_set(t, "from_domain", "example.org");
	start_ua();
	sipp_start(&s, "uas_answer.xml", sp, NULL, NULL);
	d = call(t, "+1 (555) 1234", h, 1);
	ck_assert_str_ne(gw_sip_dialog_call_id(d), "");
	ck_assert_uint_eq(gw_sip_dialog_count(F.sip), 1);
	ck_assert(wait_event(GW_SIP_EV_ANSWERED));
	e = event_of(GW_SIP_EV_PROGRESS);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->code, 180);
	e = event_of(GW_SIP_EV_ANSWERED);
	ck_assert_int_eq(e->code, 200);
	ck_assert_ptr_nonnull(strstr(e->sdp, "s=sipp-answer"));
	ck_assert(gw_sip_dialog_established(d));
	gw_sip_dialog_end(d, 200, NULL);
	gw_sip_dialog_end(d, 200, NULL); /* twice is harmless */
	d = gw_obj_deref(d);
	ck_assert_int_eq(sipp_wait(&s), 0);
	ck_assert(run_until(no_dialogs, NULL, WAIT_S));
	ck_assert_ptr_null(event_of(GW_SIP_EV_ENDED));
}
END_TEST

START_TEST(test_sip_outbound_busy_ends_486)
{
	uint16_t sp = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "carrier", sp);
	struct gw_sip_dialog *d;
	struct sipp s;
	const struct ev *e;

	F.cfg->sip_session_expires = 0; /* no session timer */
	start_ua();
	sipp_start(&s, "uas_busy.xml", sp, NULL, NULL);
	d = call(t, "5551234", NULL, 0);
	ck_assert(wait_event(GW_SIP_EV_ENDED));
	e = event_of(GW_SIP_EV_ENDED);
	ck_assert_int_eq(e->code, 486);
	ck_assert_str_eq(e->reason, "Busy Here");
	ck_assert(!gw_sip_dialog_established(d));
	ck_assert_int_eq(sipp_wait(&s), 0);
	ck_assert(run_until(no_dialogs, NULL, WAIT_S));
	ck_assert_uint_eq(events_of(GW_SIP_EV_ENDED), 1);
	gw_sip_dialog_end(d, 200, NULL); /* after the end: no effect */
	gw_obj_deref(d);
}
END_TEST

START_TEST(test_sip_outbound_digest_auth_then_far_end_bye)
{
	uint16_t sp = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "pbx", sp);
	struct gw_sip_dialog *d;
	struct sipp s;
	const struct ev *e;

	trunk_set(t, "username", "alice");
	trunk_set(t, "password", "secret");
	start_ua();
	sipp_start(&s, "uas_auth_bye.xml", sp, NULL, NULL);
	d = call(t, "1000", NULL, 0);
	ck_assert(wait_event(GW_SIP_EV_ENDED));
	e = event_of(GW_SIP_EV_ANSWERED);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e->sdp, "s=sipp-auth"));
	e = event_of(GW_SIP_EV_ENDED);
	ck_assert_int_eq(e->code, 200);
	ck_assert_str_eq(e->reason, "Normal call clearing");
	ck_assert_int_eq(sipp_wait(&s), 0);
	ck_assert(run_until(no_dialogs, NULL, WAIT_S));
	gw_obj_deref(d);
}
END_TEST

START_TEST(test_sip_outbound_proxy_route_and_answer_without_sdp_ends_488)
{
	uint16_t sp = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "carrier", sp);
	char *op = g_strdup_printf("sip:127.0.0.1:%u", sp);
	struct gw_sip_dialog *d;
	struct sipp s;
	const struct ev *e;

	trunk_set(t, "proxy", "sip:pbx.example.com");
	trunk_set(t, "outbound_proxy", op);
	start_ua();
	sipp_start(&s, "uas_proxy_no_sdp.xml", sp, NULL, NULL);
	d = call(t, "5551234", NULL, 0);
	ck_assert(wait_event(GW_SIP_EV_ENDED));
	e = event_of(GW_SIP_EV_ENDED);
	ck_assert_int_eq(e->code, 488);
	ck_assert_ptr_null(event_of(GW_SIP_EV_ANSWERED));
	ck_assert_int_eq(sipp_wait(&s), 0);
	ck_assert(run_until(no_dialogs, NULL, WAIT_S));
	gw_obj_deref(d);
	g_free(op);
}
END_TEST

START_TEST(test_sip_session_timer_expiry_ends_408)
{
	uint16_t sp = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "carrier", sp);
	struct gw_sip_dialog *d;
	struct sipp s;
	const struct ev *e;

	F.cfg->sip_session_expires = 4;
	start_ua();
	sipp_start(&s, "uas_session_timer.xml", sp, NULL, NULL);
	d = call(t, "5551234", NULL, 0);
	ck_assert(wait_event(GW_SIP_EV_ANSWERED));
	ck_assert(wait_event(GW_SIP_EV_ENDED));
	e = event_of(GW_SIP_EV_ENDED);
	ck_assert_int_eq(e->code, 408);
	ck_assert_int_eq(sipp_wait(&s), 0);
	ck_assert(run_until(no_dialogs, NULL, WAIT_S));
	ck_assert_uint_eq(events_of(GW_SIP_EV_ENDED), 1);
	gw_obj_deref(d);
}
END_TEST

START_TEST(test_sip_outbound_refused_credentials_give_up_401)
{
	uint16_t sp = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "pbx", sp);
	struct gw_sip_dialog *d;
	struct sipp s;
	const struct ev *e;

	trunk_set(t, "username", "alice");
	trunk_set(t, "password", "wrong");
	start_ua();
	sipp_start(&s, "uas_auth_refused.xml", sp, NULL, NULL);
	d = call(t, "1000", NULL, 0);
	ck_assert(wait_event(GW_SIP_EV_ENDED));
	e = event_of(GW_SIP_EV_ENDED);
	ck_assert_int_eq(e->code, 401);
	ck_assert_int_eq(sipp_wait(&s), 0);
	ck_assert_uint_eq(events_of(GW_SIP_EV_ENDED), 1);
	ck_assert(run_until(no_dialogs, NULL, WAIT_S));
	gw_obj_deref(d);
}
END_TEST

START_TEST(test_sip_outbound_cancel_while_ringing)
{
	uint16_t sp = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "carrier", sp);
	struct gw_sip_dialog *d;
	struct sipp s;

	start_ua();
	sipp_start(&s, "uas_cancel.xml", sp, NULL, NULL);
	d = call(t, "5551234", NULL, 0);
	ck_assert(wait_event(GW_SIP_EV_PROGRESS));
	gw_sip_dialog_end(d, 487, "Caller hung up");
	d = gw_obj_deref(d);
	ck_assert_int_eq(sipp_wait(&s), 0);
	ck_assert(run_until(no_dialogs, NULL, WAIT_S));
	ck_assert_ptr_null(event_of(GW_SIP_EV_ENDED));
}
END_TEST


/* ---- inbound ---- */

static char *our_addr(void)
{
	return g_strdup_printf("127.0.0.1:%u", F.port);
}

static bool incoming_n(const void *arg)
{
	return F.n_incoming >= *(const unsigned *)arg;
}

START_TEST(test_sip_inbound_call_info_dtmf_reoffers_and_far_end_bye)
{
	uint16_t sp = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "pbx", sp);
	char *target = our_addr(), *src = g_strdup_printf("127.0.0.1:%u", sp);
	const struct ev *e;
	struct sipp s;
	unsigned i, n_reoffer = 0;
	GString *digits = g_string_new(NULL);

	trunk_set(t, "allowed_networks", "127.0.0.1/32");
	F.in_respond = 200;
	F.dtmf_reply = '7';
	start_ua();
	sipp_start(&s, "uac_call.xml", sp, NULL, target);
	ck_assert(wait_event(GW_SIP_EV_ENDED));
	ck_assert_int_eq(sipp_wait(&s), 0);
	ck_assert_uint_eq(F.n_incoming, 1);
	ck_assert_str_eq(F.in_ruri, "5551000");
	ck_assert_str_eq(F.in_display, "Bob Caller");
	ck_assert_str_eq(F.in_source, src);
	ck_assert_ptr_nonnull(strstr(F.in_from, "sip:bob@127.0.0.1"));
	ck_assert_ptr_nonnull(strstr(F.in_sdp, "s=sipp-offer"));
	ck_assert_str_eq(F.in_xhdr, "42");
	for (i = 0; i < F.events->len; i++) {
		e = g_ptr_array_index(F.events, i);
		if (e->type == GW_SIP_EV_DTMF)
			g_string_append_c(digits, e->digit);
		if (e->type == GW_SIP_EV_REOFFER) {
			ck_assert_ptr_nonnull(strstr(e->sdp, n_reoffer ? "s=sipp-update" : "s=sipp-hold"));
			n_reoffer++;
		}
	}
	ck_assert_str_eq(digits->str, "#5");
	ck_assert_uint_eq(n_reoffer, 2);
	e = event_of(GW_SIP_EV_ACK);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e->sdp, "s=sipp-ack-answer"));
	e = event_of(GW_SIP_EV_ENDED);
	ck_assert_int_eq(e->code, 200);
	ck_assert_uint_eq(events_of(GW_SIP_EV_ENDED), 1);
	ck_assert(run_until(no_dialogs, NULL, WAIT_S));
	g_string_free(digits, TRUE);
	g_free(target);
	g_free(src);
}
END_TEST

START_TEST(test_sip_inbound_cancel_while_ringing_ends_487)
{
	uint16_t sp = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "pbx", sp);
	char *target = our_addr();
	const struct ev *e;
	struct sipp s;

	trunk_set(t, "allowed_networks", "127.0.0.1/32");
	start_ua();
	sipp_start(&s, "uac_cancel.xml", sp, NULL, target);
	ck_assert(wait_event(GW_SIP_EV_ENDED));
	e = event_of(GW_SIP_EV_ENDED);
	ck_assert_int_eq(e->code, 487);
	ck_assert_int_eq(sipp_wait(&s), 0);
	ck_assert_int_eq(gw_sip_dialog_respond(F.in, 180, NULL, NULL), EALREADY);
	ck_assert(run_until(no_dialogs, NULL, WAIT_S));
	g_free(target);
}
END_TEST

START_TEST(test_sip_inbound_delayed_offer_answer_in_ack)
{
	uint16_t sp = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "pbx", sp);
	char *target = our_addr();
	const struct ev *e;
	struct sipp s;

	trunk_set(t, "allowed_networks", "127.0.0.1/32");
	F.in_respond = 200;
	start_ua();
	sipp_start(&s, "uac_delayed_offer.xml", sp, NULL, target);
	ck_assert(wait_event(GW_SIP_EV_ENDED));
	ck_assert_int_eq(sipp_wait(&s), 0);
	ck_assert_uint_eq(F.n_incoming, 1);
	ck_assert_ptr_null(F.in_sdp);
	e = event_of(GW_SIP_EV_ACK);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e->sdp, "s=sipp-ack-answer"));
	e = event_of(GW_SIP_EV_ENDED);
	ck_assert_int_eq(e->code, 200);
	ck_assert_str_eq(e->reason, "Caller done");
	g_free(target);
}
END_TEST

START_TEST(test_sip_inbound_from_unknown_network_gets_403)
{
	uint16_t sp = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "pbx", sp);
	char *target = our_addr();
	struct sipp s;

	trunk_set(t, "allowed_networks", "127.0.0.1/32");
	start_ua();
	sipp_start(&s, "uac_expect_403.xml", sp, "127.0.0.9", target);
	ck_assert_int_eq(sipp_wait(&s), 0);
	ck_assert_uint_eq(F.n_incoming, 0);
	ck_assert_uint_eq(gw_sip_dialog_count(F.sip), 0);
	g_free(target);
}
END_TEST

/* A trunk that takes calls from 127.0.0.1 only, or from anywhere with
 * the digest user "pbx" (password "s3cret"), after a decoy trunk with
 * other credentials. */
static struct gw_trunk_config *inauth_trunks(uint16_t port)
{
	struct gw_trunk_config *decoy = trunk_add(F.cfg, "decoy", free_port());
	struct gw_trunk_config *t = trunk_add(F.cfg, "pbx", port);

	trunk_set(decoy, "inbound_username", "decoy");
	trunk_set(decoy, "inbound_password", "s3cret");
	trunk_set(t, "allowed_networks", "127.0.0.1/32");
	trunk_set(t, "inbound_username", "pbx");
	trunk_set(t, "inbound_password", "s3cret");
	return t;
}

/* sipp's digest-uri is "sip:" + its remote address unless -auth_uri says
 * what follows "sip:": the Request-URI, as a phone sends it. */
static char *ruri(void)
{
	return g_strdup_printf("5551000@127.0.0.1:%u", F.port);
}

START_TEST(test_sip_inbound_digest_auth_after_407_rings_with_trunk)
{
	uint16_t sp = free_port();
	char *target = our_addr(), *uri = ruri();
	const char *extra[] = { "-auth_uri", uri, NULL };
	const struct ev *e;
	struct sipp s;

	inauth_trunks(sp);
	cfg_set(F.cfg, "sip", "domain", "gw.example");
	/* The challenged attempt must not hold a place. */
	F.cfg->sip_max_calls = 1;
	F.in_respond = 200;
	start_ua();
	sipp_start_args(&s, "uac_inauth_call.xml", sp, "127.0.0.9", target, extra);
	ck_assert(wait_event(GW_SIP_EV_ENDED));
	ck_assert_int_eq(sipp_wait(&s), 0);
	ck_assert_uint_eq(F.n_incoming, 1);
	ck_assert_str_eq(F.in_trunk, "pbx");
	ck_assert(g_str_has_prefix(F.in_source, "127.0.0.9:"));
	ck_assert_ptr_nonnull(strstr(F.in_sdp, "s=sipp-offer"));
	e = event_of(GW_SIP_EV_ENDED);
	ck_assert_int_eq(e->code, 200);
	ck_assert(run_until(no_dialogs, NULL, WAIT_S));
	g_free(target);
	g_free(uri);
}
END_TEST

START_TEST(test_sip_inbound_digest_wrong_password_gets_403)
{
	uint16_t sp = free_port();
	char *target = our_addr(), *uri = ruri();
	const char *extra[] = { "-auth_uri", uri, NULL };
	struct sipp s;

	inauth_trunks(sp);
	start_ua();
	sipp_start_args(&s, "uac_inauth_wrong.xml", sp, "127.0.0.9", target, extra);
	ck_assert_int_eq(sipp_wait(&s), 0);
	ck_assert_uint_eq(F.n_incoming, 0);
	ck_assert_uint_eq(gw_sip_dialog_count(F.sip), 0);
	g_free(target);
	g_free(uri);
}
END_TEST

static char *md5_join(const char *a, const char *b, const char *c)
{
	char *in = g_strdup_printf("%s:%s:%s", a, b, c);
	char *out = g_compute_checksum_for_string(G_CHECKSUM_MD5, in, -1);

	g_free(in);
	return out;
}

/* An altered nonce or another realm: 407 again; our nonce with a response
 * for another nonce, or without a response: 403 (uac_inauth_forged.xml). */
START_TEST(test_sip_inbound_digest_forged_credentials_407_or_403)
{
	uint16_t sp = free_port();
	char *target = our_addr();
	char *uri = ruri();
	char *ha1 = md5_join("pbx", "127.0.0.1", "s3cret");
	char *ha2 = g_strdup_printf("INVITE:sip:%s", uri);
	char *ha2_md5 = g_compute_checksum_for_string(G_CHECKSUM_MD5, ha2, -1);
	/* RFC 2617 qop=auth response for a nonce we never issued. */
	char *in = g_strdup_printf("%s:AAAAAAAAAAAAAAAAAAAAAA==:00000001:0a4f113b:auth:%s", ha1,
				   ha2_md5);
	char *resp = g_compute_checksum_for_string(G_CHECKSUM_MD5, in, -1);
	const char *extra[] = { "-key", "resp", resp, NULL };
	struct sipp s;

	inauth_trunks(sp);
	start_ua();
	sipp_start_args(&s, "uac_inauth_forged.xml", sp, "127.0.0.9", target, extra);
	ck_assert_int_eq(sipp_wait(&s), 0);
	ck_assert_uint_eq(F.n_incoming, 0);
	ck_assert_uint_eq(gw_sip_dialog_count(F.sip), 0);
	g_free(target);
	g_free(uri);
	g_free(ha1);
	g_free(ha2);
	g_free(ha2_md5);
	g_free(in);
	g_free(resp);
}
END_TEST

START_TEST(test_sip_inbound_over_max_calls_gets_503)
{
	uint16_t sp1 = free_port(), sp2 = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "pbx", sp1);
	char *target = our_addr();
	struct gw_sip_invite_params p = { .trunk = t, .to = "123", .sdp = OFFER };
	struct gw_sip_dialog *d = NULL;
	struct sipp s1, s2;
	unsigned one = 1;

	trunk_set(t, "allowed_networks", "127.0.0.0/8");
	F.cfg->sip_max_calls = 1;
	start_ua();
	sipp_start(&s1, "uac_expect_486.xml", sp1, NULL, target);
	ck_assert(run_until(incoming_n, &one, WAIT_S));
	ck_assert_uint_eq(gw_sip_dialog_count(F.sip), 1);
	/* Outbound counts against the same limit. */
	ck_assert_int_eq(gw_sip_invite(F.sip, &p, on_event, NULL, &d), EAGAIN);
	ck_assert_ptr_null(d);
	sipp_start(&s2, "uac_expect_503.xml", sp2, NULL, target);
	ck_assert_int_eq(sipp_wait(&s2), 0);
	ck_assert_uint_eq(F.n_incoming, 1);
	gw_sip_dialog_end(F.in, 486, NULL);
	ck_assert_int_eq(gw_sip_dialog_respond(F.in, 200, NULL, ANSWER), EALREADY);
	ck_assert_int_eq(sipp_wait(&s1), 0);
	ck_assert(run_until(no_dialogs, NULL, WAIT_S));
	ck_assert_ptr_null(event_of(GW_SIP_EV_ENDED));
	g_free(target);
}
END_TEST

START_TEST(test_sip_inbound_ring_timeout_answers_480)
{
	uint16_t sp = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "pbx", sp);
	char *target = our_addr();
	const struct ev *e;
	struct sipp s;

	trunk_set(t, "allowed_networks", "127.0.0.1");
	F.cfg->sip_ring_timeout = 1;
	start_ua();
	sipp_start(&s, "uac_expect_480.xml", sp, NULL, target);
	ck_assert(wait_event(GW_SIP_EV_ENDED));
	e = event_of(GW_SIP_EV_ENDED);
	ck_assert_int_eq(e->code, 480);
	ck_assert_str_eq(e->reason, "No answer");
	ck_assert_int_eq(sipp_wait(&s), 0);
	ck_assert_int_eq(gw_sip_dialog_respond(F.in, 200, NULL, ANSWER), EALREADY);
	ck_assert(run_until(no_dialogs, NULL, WAIT_S));
	g_free(target);
}
END_TEST

/* ---- trunks: registration, OPTIONS health ---- */

/* health.trunks.NAME.KEY as a string ("true"/"false" for booleans), or
 * NULL when absent.  g_free. */
static char *health(const char *trunk, const char *key)
{
	json_t *h = gw_sip_health(F.sip);
	json_t *v = json_object_get(json_object_get(json_object_get(h, "trunks"), trunk), key);
	char *r = NULL;

	if (json_is_string(v))
		r = g_strdup(json_string_value(v));
	else if (json_is_boolean(v))
		r = g_strdup(json_is_true(v) ? "true" : "false");
	json_decref(h);
	return r;
}

struct want {
	const char *trunk, *key, *value, *reason_part;
};

static bool health_is(const void *arg)
{
	const struct want *w = arg;
	char *v = health(w->trunk, w->key), *reason = health(w->trunk, "reason");
	bool ok = v && !strcmp(v, w->value) &&
		  (!w->reason_part || (reason && strstr(reason, w->reason_part)));

	g_free(v);
	g_free(reason);
	return ok;
}

START_TEST(test_sip_register_digest_then_refresh_before_expiry)
{
	uint16_t sp = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "reg", sp);
	struct want registered = { "reg", "registered", "true", "200" };
	struct want refused = { "reg", "registered", "false", "403 Enough" };
	struct sipp s;

	trunk_set(t, "username", "alice");
	trunk_set(t, "password", "secret");
	trunk_set(t, "register", "true");
	trunk_set(t, "register_expires", "60");
	sipp_start(&s, "uas_registrar.xml", sp, NULL, NULL);
	start_ua();
	ck_assert(run_until(health_is, &registered, WAIT_S));
	/* The registrar granted 16 s: nua refreshes well before they run
	 * out (sipp fails unless the refresh comes within 15.5 s); the
	 * registrar refuses the refresh so we can see it arrived. */
	ck_assert(run_until(health_is, &refused, WAIT_S));
	ck_assert_int_eq(sipp_wait(&s), 0);
}
END_TEST

START_TEST(test_sip_health_options_up_then_down_and_unknown)
{
	uint16_t sp = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "peer", sp);
	struct want up = { "peer", "state", "up", "404 Not Here" };
	struct want down = { "peer", "state", "down", NULL };
	struct sipp s;
	char *v;

	trunk_add(F.cfg, "quiet", free_port());
	trunk_set(t, "options_interval", "1");
	sipp_start(&s, "uas_options.xml", sp, NULL, NULL);
	start_ua();
	/* Any answer, even 404, means the peer is there. */
	ck_assert(run_until(health_is, &up, WAIT_S));
	ck_assert_int_eq(sipp_wait(&s), 0);
	/* Nothing listens any more: the next keepalive fails locally. */
	ck_assert(run_until(health_is, &down, WAIT_S));
	v = health("quiet", "state");
	ck_assert_str_eq(v, "unknown");
	g_free(v);
	v = health("quiet", "registered");
	ck_assert_ptr_null(v);
}
END_TEST

/* A source that counts the default context's iterations (GLib prepares
 * every source on each) and is never ready itself. */
struct counter {
	GSource base;
	unsigned n;
};

static gboolean counter_prepare(GSource *src, gint *timeout)
{
	((struct counter *)src)->n++;
	*timeout = -1;
	return FALSE;
}

static gboolean counter_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
	(void)src;
	(void)cb;
	(void)data;
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs counter_funcs = { .prepare = counter_prepare, .dispatch = counter_dispatch };

static gboolean flag_set(gpointer arg)
{
	*(bool *)arg = true;
	return G_SOURCE_REMOVE;
}

/* Sofia rounds the time to its next timer down to the millisecond: its
 * source is ready with nothing to do for the last fraction of a
 * millisecond before each timer, and a loop that takes that at its word
 * spins until the timer is due.  The control loop must sleep instead. */
START_TEST(test_sip_timers_do_not_spin_the_control_loop)
{
	uint16_t port = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "mute", port);
	GInetAddress *lo = g_inet_address_new_from_string("127.0.0.1");
	GSocketAddress *a = g_inet_socket_address_new(lo, port);
	GSocket *mute = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
				     G_SOCKET_PROTOCOL_UDP, NULL);
	struct counter *c = (struct counter *)g_source_new(&counter_funcs, sizeof(*c));
	bool done = false;

	/* bound but never read: no ICMP, so nta retransmits each keepalive
	 * OPTIONS on its timers (500 ms, 1 s, 2 s ...): about ten timers in
	 * the 3 s below */
	ck_assert(g_socket_bind(mute, a, FALSE, NULL));
	trunk_set(t, "options_interval", "1");
	start_ua();
	g_source_attach(&c->base, NULL);
	g_timeout_add(3000, flag_set, &done);
	while (!done)
		g_main_context_iteration(NULL, TRUE);
	/* a few iterations per timer and keepalive; spinning, every timer
	 * costs dozens to hundreds */
	ck_assert_uint_lt(c->n, 120);
	g_source_destroy(&c->base);
	g_source_unref(&c->base);
	g_object_unref(mute);
	g_object_unref(a);
	g_object_unref(lo);
}
END_TEST

/* ---- REFER, shutdown ---- */

static bool refer_final(const void *arg)
{
	(void)arg;
	for (guint i = 0; i < F.events->len; i++) {
		const struct ev *e = g_ptr_array_index(F.events, i);

		if (e->type == GW_SIP_EV_REFER_STATUS && e->final)
			return true;
	}
	return false;
}

START_TEST(test_sip_refer_out_progress_then_shutdown_sends_bye)
{
	uint16_t sp = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "carrier", sp);
	struct gw_sip_invite_params p = { .trunk = t, .to = "123", .sdp = OFFER };
	struct gw_sip_dialog *d, *d2 = NULL;
	const struct ev *first = NULL, *last = NULL;
	struct sipp s;

	start_ua();
	sipp_start(&s, "uas_refer.xml", sp, NULL, NULL);
	d = call(t, "5551234", NULL, 0);
	ck_assert(wait_event(GW_SIP_EV_ANSWERED));
	ck_assert_int_eq(gw_sip_dialog_refer(d, "sip:carol@127.0.0.1"), 0);
	ck_assert_int_eq(gw_sip_dialog_refer(d, "sip:dave@127.0.0.1"), EBUSY);
	ck_assert(run_until(refer_final, NULL, WAIT_S));
	for (guint i = 0; i < F.events->len; i++) {
		const struct ev *e = g_ptr_array_index(F.events, i);

		if (e->type != GW_SIP_EV_REFER_STATUS)
			continue;
		if (!first)
			first = e;
		last = e;
	}
	ck_assert_int_eq(first->code, 202);
	ck_assert(!first->final);
	ck_assert_int_eq(last->code, 200);
	ck_assert(last->final);
	gw_sip_shutdown(F.sip);
	ck_assert_int_eq(gw_sip_invite(F.sip, &p, on_event, NULL, &d2), EIO);
	ck_assert_int_eq(sipp_wait(&s), 0);
	ck_assert(run_until(idle, NULL, WAIT_S));
	ck_assert_ptr_null(event_of(GW_SIP_EV_ENDED));
	gw_obj_deref(d);
}
END_TEST

/* ---- routing, numbers, refused input (no peer needed) ---- */

static void route_add(const char *prefix, const char *trunk)
{
	struct gw_route *r = g_new0(struct gw_route, 1);

	r->prefix = g_strdup(prefix);
	r->trunk = g_strdup(trunk);
	g_ptr_array_add(F.cfg->routes, r);
}

START_TEST(test_sip_route_longest_prefix_default_and_direct)
{
	struct gw_trunk_config *a = trunk_add(F.cfg, "a", 5070);
	struct gw_trunk_config *b = trunk_add(F.cfg, "b", 5071);
	struct gw_trunk_config *c = trunk_add(F.cfg, "c", 5072);
	bool direct = true;

	route_add("+44", "b");
	route_add("+4420", "c");
	g_free(F.cfg->route_default);
	F.cfg->route_default = g_strdup("a");
	start_ua();
	ck_assert_ptr_eq(gw_sip_route(F.sip, "+44 20 7946 0000", &direct), c);
	ck_assert(!direct);
	ck_assert_ptr_eq(gw_sip_route(F.sip, "+44 161 496 0000", &direct), b);
	ck_assert_ptr_eq(gw_sip_route(F.sip, "tel:+442079460000", &direct), c);
	ck_assert_ptr_eq(gw_sip_route(F.sip, "+1 555 0100", &direct), a);
	ck_assert_ptr_null(gw_sip_route(F.sip, "sip:bob@example.com", &direct));
	ck_assert(direct);
	ck_assert_ptr_null(gw_sip_route(F.sip, "bob@pbx.example.com", &direct));
	ck_assert(direct);
	ck_assert_ptr_eq(gw_sip_route(F.sip, "sip:+15550100", &direct), a);
	ck_assert(!direct);
}
END_TEST

/* A route naming several trunks: the first, then each next one once. */
START_TEST(test_sip_route_failover_order)
{
	struct gw_trunk_config *a = trunk_add(F.cfg, "a", 5070);
	struct gw_trunk_config *b = trunk_add(F.cfg, "b", 5071);
	struct gw_trunk_config *c = trunk_add(F.cfg, "c", 5072);
	bool direct = true;

	route_add("+44", "c, a b");
	g_free(F.cfg->route_default);
	F.cfg->route_default = g_strdup(" b  a");
	start_ua();
	ck_assert_ptr_eq(gw_sip_route(F.sip, "+44 20 7946 0000", &direct), c);
	ck_assert_ptr_eq(gw_sip_route_next(F.sip, "+44 20 7946 0000", c), a);
	ck_assert_ptr_eq(gw_sip_route_next(F.sip, "+44 20 7946 0000", a), b);
	ck_assert_ptr_null(gw_sip_route_next(F.sip, "+44 20 7946 0000", b));
	ck_assert_ptr_eq(gw_sip_route(F.sip, "+1 555 0100", &direct), b);
	ck_assert_ptr_eq(gw_sip_route_next(F.sip, "+1 555 0100", b), a);
	ck_assert_ptr_null(gw_sip_route_next(F.sip, "+1 555 0100", a));
	ck_assert_ptr_null(gw_sip_route_next(F.sip, "+1 555 0100", c)); /* not in the route */
	ck_assert_ptr_null(gw_sip_route_next(F.sip, "sip:bob@example.com", a));
	/* a trunk down (OPTIONS or requests timed out) is passed over while
	 * another is not; when all left are down, the next is tried anyway */
	gw_sip_trunk_by_cfg(F.sip, c)->state = GW_SIP_TRUNK_DOWN;
	ck_assert_ptr_eq(gw_sip_route(F.sip, "+44 20 7946 0000", &direct), a);
	ck_assert_ptr_eq(gw_sip_route_next(F.sip, "+44 20 7946 0000", c), a);
	gw_sip_trunk_by_cfg(F.sip, a)->state = GW_SIP_TRUNK_DOWN;
	ck_assert_ptr_eq(gw_sip_route(F.sip, "+44 20 7946 0000", &direct), b);
	ck_assert_ptr_eq(gw_sip_route(F.sip, "+1 555 0100", &direct), b);
	gw_sip_trunk_by_cfg(F.sip, b)->state = GW_SIP_TRUNK_DOWN;
	ck_assert_ptr_eq(gw_sip_route(F.sip, "+44 20 7946 0000", &direct), c);
	ck_assert_ptr_eq(gw_sip_route_next(F.sip, "+44 20 7946 0000", c), a);
	ck_assert_ptr_null(gw_sip_route_next(F.sip, "+44 20 7946 0000", b));
	/* down for a 503's Retry-After: only so long (a answered nothing since) */
	gw_sip_trunk_by_cfg(F.sip, c)->state = GW_SIP_TRUNK_UP;
	gw_sip_trunk_out_of_service(gw_sip_trunk_by_cfg(F.sip, c), 30, "Service Unavailable");
	gw_sip_trunk_by_cfg(F.sip, a)->state = GW_SIP_TRUNK_UP;
	ck_assert_ptr_eq(gw_sip_route(F.sip, "+44 20 7946 0000", &direct), a);
	gw_sip_trunk_seen(gw_sip_trunk_by_cfg(F.sip, c), 200, "OK", NULL); /* still out */
	ck_assert_ptr_eq(gw_sip_route(F.sip, "+44 20 7946 0000", &direct), a);
	gw_sip_trunk_by_cfg(F.sip, c)->out_until = g_get_monotonic_time() - 1;
	ck_assert_ptr_eq(gw_sip_route(F.sip, "+44 20 7946 0000", &direct), c);
	/* and what it answers after that counts again */
	gw_sip_trunk_seen(gw_sip_trunk_by_cfg(F.sip, c), 200, "OK", NULL);
	ck_assert_int_eq(gw_sip_trunk_by_cfg(F.sip, c)->state, GW_SIP_TRUNK_UP);
	ck_assert_int_eq(gw_sip_trunk_by_cfg(F.sip, c)->out_until, 0);
}
END_TEST

/* A registrar's 503 with Retry-After takes the trunk out of service and
 * the next REGISTER waits as long (at most 600 s), not the backoff (RFC
 * 3261 21.5.4); what a REGISTER gets meanwhile does not replace the
 * Retry-After as the trunk's reason in /healthz. */
START_TEST(test_sip_register_503_retry_after_waits_that_long)
{
	struct gw_trunk_config *c = trunk_add(F.cfg, "reg", free_port());
	sip_retry_after_t ra = { .af_delta = 120 };
	sip_t unavailable = { .sip_retry_after = &ra };
	struct gw_sip_trunk *t;

	trunk_set(c, "username", "alice");
	trunk_set(c, "register", "true");
	start_ua();
	t = gw_sip_trunk_by_cfg(F.sip, c);
	gw_sip_trunk_event(t, true, nua_r_register, 503, "Service Unavailable", &unavailable);
	ck_assert_uint_eq(t->reg_wait, 120);
	ck_assert(gw_sip_trunk_is_down(t));
	ck_assert_str_eq(t->reason, "503 Service Unavailable, Retry-After 120 s");
	/* answered meanwhile (another registrar behind the name) */
	gw_sip_trunk_event(t, true, nua_r_register, 200, "OK", NULL);
	ck_assert(t->registered);
	ck_assert_str_eq(t->reason, "503 Service Unavailable, Retry-After 120 s");
	/* over 600 s: 600 */
	ra.af_delta = 5000;
	gw_sip_trunk_event(t, true, nua_r_register, 503, "Service Unavailable", &unavailable);
	ck_assert_uint_eq(t->reg_wait, 600);
	ck_assert_str_eq(t->reason, "503 Service Unavailable, Retry-After 600 s");
	/* refused without one: the backoff (5 s from the 200, doubled by the
	 * failure since) */
	t->out_until = g_get_monotonic_time() - 1;
	gw_sip_trunk_event(t, true, nua_r_register, 403, "Forbidden", NULL);
	ck_assert_uint_eq(t->reg_wait, 10);
	ck_assert_str_eq(t->reason, "REGISTER: 403 Forbidden");
	ck_assert(!t->registered);
}
END_TEST

/* Only nua's 100 "Retry After N" is an answer held for its Retry-After:
 * its other 100s with a final answer are requests it already sent again
 * (a 401 answered from its credential cache keeps the trunk as it is). */
START_TEST(test_sip_held_answer_is_only_nuas_retry_after)
{
	struct gw_trunk_config *c = trunk_add(F.cfg, "reg", free_port());
	sip_retry_after_t ra = { .af_delta = 20 };
	sip_status_t unavailable = { .st_status = 503, .st_phrase = "Service Unavailable" };
	sip_status_t unauthorized = { .st_status = 401, .st_phrase = "Unauthorized" };
	sip_t held = { .sip_status = &unavailable, .sip_retry_after = &ra };
	sip_t cached = { .sip_status = &unauthorized, .sip_retry_after = &ra };
	sip_t plain = { .sip_status = &unavailable };
	struct gw_sip_trunk *t;

	ck_assert(gw_sip_held_answer(100, "Retry After 20", &held));
	ck_assert(!gw_sip_held_answer(100, "Request Authorized by Cache", &cached));
	ck_assert(!gw_sip_held_answer(100, "Retry After 20", &plain));
	ck_assert(!gw_sip_held_answer(503, "Service Unavailable", &held));
	ck_assert(!gw_sip_held_answer(100, "Retry After 20", NULL));
	trunk_set(c, "username", "alice");
	trunk_set(c, "register", "true");
	start_ua();
	t = gw_sip_trunk_by_cfg(F.sip, c);
	gw_sip_trunk_event(t, true, nua_r_register, 100, "Request Authorized by Cache", &cached);
	ck_assert(!gw_sip_trunk_is_down(t));
	ck_assert_uint_eq(t->reg_wait, 0);
	gw_sip_trunk_event(t, true, nua_r_register, 100, "Retry After 20", &held);
	ck_assert(gw_sip_trunk_is_down(t));
	ck_assert_uint_eq(t->reg_wait, 20);
}
END_TEST

/* Debian 12's nua holds a 5xx with Retry-After under 32 s to send the
 * request again by itself: an OPTIONS keepalive's or a REGISTER's 503 so
 * still takes the trunk out of service at once (/healthz), the REGISTER
 * is sent again after the Retry-After, and no keepalive goes to the trunk
 * meanwhile (RFC 3261 21.5.4; one would find sipp gone, fail locally and
 * replace the Retry-After in /healthz). */
START_TEST(test_sip_options_and_register_503_held_by_nua_seen_at_once)
{
	uint16_t po = free_port(), pr;
	struct gw_trunk_config *o = trunk_add(F.cfg, "opt", po), *r;
	struct want opt_out = { "opt", "state", "down", "503 Service Unavailable, Retry-After 20 s" };
	struct want opt_up = { "opt", "state", "up", NULL };
	struct want reg_out = { "reg", "state", "down", "503 Service Unavailable, Retry-After 20 s" };
	struct sipp so, sr;

	trunk_set(o, "options_interval", "1");
	sipp_start(&so, "uas_options_retry_after.xml", po, NULL, NULL);
	pr = free_port();
	r = trunk_add(F.cfg, "reg", pr);
	trunk_set(r, "username", "alice");
	trunk_set(r, "password", "secret");
	trunk_set(r, "register", "true");
	sipp_start(&sr, "uas_register_retry_after.xml", pr, NULL, NULL);
	start_ua();
	ck_assert(run_until(health_is, &opt_out, 5));
	ck_assert(run_until(health_is, &reg_out, 5));
	ck_assert_uint_eq(gw_sip_trunk_by_cfg(F.sip, r)->reg_wait, 20);
	ck_assert_int_eq(sipp_wait(&so), 0);
	ck_assert_int_eq(sipp_wait(&sr), 0);
	ck_assert(!run_until(health_is, &opt_up, 3));   /* three keepalive rounds */
	ck_assert(health_is(&opt_out));
}
END_TEST

START_TEST(test_sip_normalise_plus_rules_and_prefix)
{
	struct gw_trunk_config *t = trunk_add(F.cfg, "t", 5070);
	char *n;

	n = gw_sip_normalise_number(t, "+1 (555) 123-4567");
	ck_assert_str_eq(n, "+15551234567");
	g_free(n);
	trunk_set(t, "plus", "strip");
	trunk_set(t, "prefix", "9");
	n = gw_sip_normalise_number(t, "+1 (555) 123-4567");
	ck_assert_str_eq(n, "915551234567");
	g_free(n);
	trunk_set(t, "plus", "00");
	trunk_set(t, "prefix", "");
	n = gw_sip_normalise_number(t, "+44.20.7946.0000");
	ck_assert_str_eq(n, "00442079460000");
	g_free(n);
	n = gw_sip_normalise_number(t, "0800 123");
	ck_assert_str_eq(n, "0800123");
	g_free(n);
}
END_TEST

START_TEST(test_sip_invite_refuses_bad_numbers_and_headers)
{
	struct gw_trunk_config *t = trunk_add(F.cfg, "t", 5070);
	struct gw_sip_header not_x[] = { { "Foo", "bar" } };
	struct gw_sip_header crlf[] = { { "X-Evil", "a\r\nVia: injected" } };
	struct gw_sip_header space[] = { { "X-Bad Name", "v" } };
	struct gw_sip_invite_params p = { .trunk = t, .to = "12ab34", .from_user = "alice",
					  .sdp = OFFER };
	struct gw_sip_dialog *d = NULL;

	start_ua();
	ck_assert_int_eq(gw_sip_invite(F.sip, &p, on_event, NULL, &d), EINVAL);
	p.to = "+";
	ck_assert_int_eq(gw_sip_invite(F.sip, &p, on_event, NULL, &d), EINVAL);
	p.to = "sip:bob@";
	ck_assert_int_eq(gw_sip_invite(F.sip, &p, on_event, NULL, &d), EINVAL);
	p.to = "sip:bob@example.com>;evil";
	ck_assert_int_eq(gw_sip_invite(F.sip, &p, on_event, NULL, &d), EINVAL);
	p.to = "5551234";
	p.headers = not_x;
	p.n_headers = 1;
	ck_assert_int_eq(gw_sip_invite(F.sip, &p, on_event, NULL, &d), EINVAL);
	p.headers = crlf;
	ck_assert_int_eq(gw_sip_invite(F.sip, &p, on_event, NULL, &d), EINVAL);
	p.headers = space;
	ck_assert_int_eq(gw_sip_invite(F.sip, &p, on_event, NULL, &d), EINVAL);
	p.headers = NULL;
	p.n_headers = 0;
	p.from_user = "al ice";
	ck_assert_int_eq(gw_sip_invite(F.sip, &p, on_event, NULL, &d), EINVAL);
	ck_assert_ptr_null(d);
	ck_assert_uint_eq(gw_sip_dialog_count(F.sip), 0);
	ck_assert_str_eq(gw_sip_rtp_address(F.sip), "127.0.0.1");
	ck_assert_str_eq(gw_sip_sdp_address(F.sip), "127.0.0.1");
}
END_TEST

START_TEST(test_sip_refer_in_accepted_reports_target)
{
	uint16_t sp = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "pbx", sp);
	char *target = our_addr();
	const struct ev *e;
	struct sipp s;

	trunk_set(t, "allowed_networks", "127.0.0.1/32");
	cfg_set(F.cfg, "sip", "accept_refer", "true");
	F.in_respond = 200;
	start_ua();
	sipp_start(&s, "uac_refer.xml", sp, NULL, target);
	ck_assert(wait_event(GW_SIP_EV_ENDED));
	ck_assert_int_eq(sipp_wait(&s), 0);
	e = event_of(GW_SIP_EV_REFER_REQUEST);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->refer_to, "sip:carol@example.com");
	g_free(target);
}
END_TEST

static bool refer_requests_2(const void *arg)
{
	(void)arg;
	return events_of(GW_SIP_EV_REFER_REQUEST) >= 2;
}

static bool have_in(const void *arg)
{
	(void)arg;
	return F.in != NULL;
}

START_TEST(test_sip_refer_in_failure_notify_keeps_call_and_allows_new_refer)
{
	uint16_t sp = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "pbx", sp);
	char *target = our_addr();
	const struct ev *e;
	struct sipp s;

	trunk_set(t, "allowed_networks", "127.0.0.1/32");
	cfg_set(F.cfg, "sip", "accept_refer", "true");
	F.in_respond = 200;
	start_ua();
	/* sipp checks every NOTIFY: 100 active, then 486 terminated, then the
	 * second REFER answered 202 + 100 (not 603) */
	sipp_start(&s, "uac_refer_notify.xml", sp, NULL, target);
	ck_assert(run_until(have_in, NULL, WAIT_S));
	ck_assert_int_eq(gw_sip_dialog_refer_notify(F.in, 486, NULL), ENOENT);
	ck_assert(wait_event(GW_SIP_EV_REFER_REQUEST));
	ck_assert_int_eq(gw_sip_dialog_refer_notify(F.in, 99, NULL), EINVAL);
	ck_assert_int_eq(gw_sip_dialog_refer_notify(F.in, 486, "Busy\r\nVia: injected"), 0);
	ck_assert_int_eq(gw_sip_dialog_refer_notify(F.in, 486, NULL), EALREADY);
	ck_assert(run_until(refer_requests_2, NULL, WAIT_S));
	ck_assert_ptr_null(event_of(GW_SIP_EV_ENDED));
	ck_assert(gw_sip_dialog_established(F.in));
	ck_assert(wait_event(GW_SIP_EV_ENDED));
	ck_assert_int_eq(sipp_wait(&s), 0);
	e = event_of(GW_SIP_EV_ENDED);
	ck_assert_int_eq(e->code, 200);
	ck_assert_int_eq(events_of(GW_SIP_EV_REFER_REQUEST), 2);
	ck_assert_int_eq(gw_sip_dialog_refer_notify(F.in, 486, NULL), ENOTCONN);
	g_free(target);
}
END_TEST

/* ---- transports ---- */

START_TEST(test_sip_public_ip_in_contact_and_via)
{
	uint16_t sp = free_port();
	struct gw_trunk_config *t = trunk_add(F.cfg, "carrier", sp);
	struct gw_sip_dialog *d;
	struct sipp s;
	const struct ev *e;

	cfg_set(F.cfg, "sip", "public_ip", "192.0.2.10");
	start_ua();
	ck_assert_str_eq(gw_sip_sdp_address(F.sip), "192.0.2.10");
	ck_assert_str_eq(gw_sip_rtp_address(F.sip), "127.0.0.1");
	sipp_start(&s, "uas_public_ip.xml", sp, NULL, NULL);
	d = call(t, "5551234", NULL, 0);
	ck_assert(wait_event(GW_SIP_EV_ENDED));
	e = event_of(GW_SIP_EV_ENDED);
	ck_assert_int_eq(e->code, 603);
	ck_assert_int_eq(sipp_wait(&s), 0);
	gw_obj_deref(d);
}
END_TEST

static bool tcp_accepts(uint16_t port)
{
	GSocketClient *c = g_socket_client_new();
	GSocketConnection *conn = g_socket_client_connect_to_host(c, "127.0.0.1", port, NULL, NULL);
	bool ok = conn != NULL;

	if (conn)
		g_object_unref(conn);
	g_object_unref(c);
	return ok;
}

START_TEST(test_sip_tls_listens_with_key_kept_private)
{
	char *cert = g_build_filename(F.dir, "sip.crt", NULL);
	char *key = g_build_filename(F.dir, "sip.key", NULL);
	char *agent = g_build_filename(F.dir, "sip-tls", "agent.pem", NULL);
	char *tls = NULL, *pem = NULL, *err = NULL;
	uint16_t tp = free_port();
	struct gw_cert *c = NULL;
	GStatBuf st;

	ck_assert_msg(gw_cert_load_or_generate(cert, key, "rtcsip-test", &c, &err) == 0, "%s", err);
	gw_obj_deref(c);
	tls = g_strdup_printf("127.0.0.1:%u", tp);
	cfg_set(F.cfg, "sip", "tls_listen", tls);
	cfg_set(F.cfg, "sip", "tls_cert", cert);
	cfg_set(F.cfg, "sip", "tls_key", key);
	start_ua();
	ck_assert(tcp_accepts(tp));
	ck_assert(tcp_accepts(F.port));
	ck_assert_int_eq(g_stat(agent, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert(g_file_get_contents(agent, &pem, NULL, NULL));
	ck_assert_ptr_nonnull(strstr(pem, "PRIVATE KEY"));
	ck_assert_ptr_nonnull(strstr(pem, "BEGIN CERTIFICATE"));
	g_free(pem);
	g_free(tls);
	g_free(cert);
	g_free(key);
	g_free(agent);
}
END_TEST

START_TEST(test_sip_start_refuses_port_in_use)
{
	struct gw_sip *second = NULL;

	start_ua();
	ck_assert_int_ne(gw_sip_start(F.cfg, on_incoming, NULL, &second), 0);
	ck_assert_ptr_null(second);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sip_ua");
	TCase *tc = tcase_create("sipp");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sip_outbound_answered_then_our_bye);
	tcase_add_test(tc, test_sip_outbound_busy_ends_486);
	tcase_add_test(tc, test_sip_outbound_digest_auth_then_far_end_bye);
	tcase_add_test(tc, test_sip_outbound_refused_credentials_give_up_401);
	tcase_add_test(tc, test_sip_outbound_cancel_while_ringing);
	tcase_add_test(tc, test_sip_session_timer_expiry_ends_408);
	tcase_add_test(tc, test_sip_outbound_proxy_route_and_answer_without_sdp_ends_488);
	tcase_add_test(tc, test_sip_inbound_call_info_dtmf_reoffers_and_far_end_bye);
	tcase_add_test(tc, test_sip_inbound_cancel_while_ringing_ends_487);
	tcase_add_test(tc, test_sip_inbound_delayed_offer_answer_in_ack);
	tcase_add_test(tc, test_sip_inbound_from_unknown_network_gets_403);
	tcase_add_test(tc, test_sip_inbound_digest_auth_after_407_rings_with_trunk);
	tcase_add_test(tc, test_sip_inbound_digest_wrong_password_gets_403);
	tcase_add_test(tc, test_sip_inbound_digest_forged_credentials_407_or_403);
	tcase_add_test(tc, test_sip_inbound_over_max_calls_gets_503);
	tcase_add_test(tc, test_sip_inbound_ring_timeout_answers_480);
	tcase_add_test(tc, test_sip_register_digest_then_refresh_before_expiry);
	tcase_add_test(tc, test_sip_register_503_retry_after_waits_that_long);
	tcase_add_test(tc, test_sip_held_answer_is_only_nuas_retry_after);
	tcase_add_test(tc, test_sip_options_and_register_503_held_by_nua_seen_at_once);
	tcase_add_test(tc, test_sip_health_options_up_then_down_and_unknown);
	tcase_add_test(tc, test_sip_timers_do_not_spin_the_control_loop);
	tcase_add_test(tc, test_sip_refer_out_progress_then_shutdown_sends_bye);
	tcase_add_test(tc, test_sip_route_longest_prefix_default_and_direct);
	tcase_add_test(tc, test_sip_route_failover_order);
	tcase_add_test(tc, test_sip_normalise_plus_rules_and_prefix);
	tcase_add_test(tc, test_sip_invite_refuses_bad_numbers_and_headers);
	tcase_add_test(tc, test_sip_refer_in_accepted_reports_target);
	tcase_add_test(tc, test_sip_refer_in_failure_notify_keeps_call_and_allows_new_refer);
	tcase_add_test(tc, test_sip_public_ip_in_contact_and_via);
	tcase_add_test(tc, test_sip_tls_listens_with_key_kept_private);
	tcase_add_test(tc, test_sip_start_refuses_port_in_use);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (access(SIPP, X_OK) != 0) {
		printf("SKIP: %s not found (Debian package sip-tester)\n", SIPP);
		return 77;
	}
	if (getenv("GW_TEST_DEBUG"))
		gw_log_set_level(GW_LOG_DEBUG);
	return gw_check_run(suite());
}
