/* ice.c — the WebRTC leg's ICE agent on libnice (see gw/ice.h).
 *
 * Loop: everything runs on the call's media loop, the GMainContext given at
 * alloc; libnice emits its signals and the receive callback there too.
 * With gw_ice_config.loop, libnice's sockets and timers live in a driven
 * context of that loop (gw/loop.h) instead of its own context: the loop
 * then looks at them only when one of them is ready, not on every one of
 * its iterations (issue 7: GLib's per-iteration walk over every call's
 * sources was a third of the daemon's CPU at 300 passthrough calls).
 * Owns: one NiceAgent with one stream and one component (rtcp-mux + BUNDLE),
 * the local credentials, the remote-network filter and the connect timer.
 * References: libnice's signal handlers and receive callback share one
 * reference on the gw_ice_agent, the connect timer holds another; both are
 * dropped in gw_ice_agent_close().  Remote candidate strings are checked and
 * filtered in ice_cand.c before libnice ever sees them.
 *
 * Sending media: once libnice has selected a UDP pair and the component is
 * connected, packets go out with one sendto() on the pair's own socket
 * (nice_agent_get_selected_socket, libnice's documented way to do this),
 * not through nice_agent_send(), whose agent lock, stream/component lookup
 * and GSocket layers cost more than the system call on a loaded gateway
 * (issue 7 profile).  libnice still owns the socket, receives on it and
 * runs the consent checks: the direct path is refreshed on every new
 * selected pair and dropped on failure (consent lost) and close, so it
 * never outlives libnice's decision to send.  TURN-relayed pairs keep
 * nice_agent_send() (the relay framing is libnice's).
 *
 * Receiving media, the same way: in a driven context, a reader on the
 * pair's socket (gw_loop_ctx_set_reader) peeks at each datagram and reads
 * RTP/RTCP from the selected remote itself, before libnice, whose receive
 * reads until EAGAIN (a second system call and a GError per packet) under
 * a GLib dispatch.  Everything else (STUN: consent and keepalives, DTLS,
 * other addresses) stays in the socket for libnice.  Set and cleared with
 * the send path.  One datagram per report, or, once the loop is behind,
 * the media queued (up to DRAIN_MAX).  Media that waited over max_queue_ms
 * in the socket is read and dropped there (not RTCP nor DTMF events): a
 * loop that fell behind catches up, so the STUN behind it reaches libnice
 * in time for the consent checks.
 */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "gw/log.h"
#include "gw/net.h"
#include "gw/obj.h"
#include "webrtc/ice_priv.h"

#define COMPONENT 1                  /* RTP, with RTCP muxed onto it */
#define DEFAULT_STUN_PORT 3478
#define DEFAULT_CONNECT_TIMEOUT_MS 20000
/* Larger datagrams (none a browser sends as media) go through libnice. */
#define DIRECT_RX_MAX 2048

/* Post-close the NiceAgent is gone: these functions answer ENOTCONN. */
#define OPEN(ice) ((ice)->agent != NULL)

static void state_report(struct gw_ice_agent *ice, enum gw_ice_state st, const char *reason);

static void direct_drop(struct gw_ice_agent *ice)
{
	if (ice->direct)
		g_object_unref(ice->direct);
	ice->direct = NULL;
	ice->direct_fd = -1;
	ice->direct_gen++;
	ice->direct_alt.ss_family = 0;
	ice->probe_len = 0;
	ice->age.anchored = false;      /* another path, other delays */
	if (ice->driven)
		gw_loop_ctx_set_reader(ice->driven, -1, NULL, NULL);
}

/* Media receive path of a direct pair (loop_ctx reader on libnice's
 * socket, @fd a dup of it): an RTP or RTCP datagram (first byte 128-191,
 * RFC 7983) from the selected remote is read here and handed on; anything
 * else (STUN, DTLS, another address, an error) is left for libnice.  One
 * peek and one read per packet instead of libnice's read, its read until
 * EAGAIN (with a GError) and a GLib dispatch.
 *
 * Normally one datagram per report: a browser sends one every 10-20 ms,
 * so after a fresh one the socket is empty and looking again would cost a
 * system call for nothing.  After one that waited DRAIN_AGE_US or more the
 * loop is behind and more are queued: they are read now, until the socket
 * is empty, holds something for libnice, or has fresh media again (or the
 * agent was closed or re-aimed meanwhile, or DRAIN_MAX were read).  Taking
 * one per report there, the loop's round over every ready socket is
 * nearly a packet interval when it is busy, so such a queue barely
 * shrank and its media waited until media.max_queue_ms dropped it
 * (issue 7: to SIP p99 180 ms at 1000 passthrough calls, 92% busy, while
 * the SIP side, read with recvmmsg, was at 16 ms). */
#define DRAIN_AGE_US (GW_LOOP_TICK_MS * 1000 / 2)
/* At most this many per report (as the SIP side's recvmmsg batch): a peer
 * sending faster than the loop reads must not keep the other calls of the
 * loop waiting; the rest is reported again. */
#define DRAIN_MAX 64

/* Whether media from @from is read directly: the selected pair's remote,
 * or the second one learned.  If not, the socket's first datagram (media
 * from @from, @len bytes, starting with @hdr) is left to libnice, and its
 * header kept to learn @from by (probe_*) if libnice hands it on. */
static bool direct_source(struct gw_ice_agent *ice, const struct sockaddr_storage *from,
			  const uint8_t *hdr, size_t len)
{
	if (gw_sockaddr_equal(from, &ice->direct_to) ||
	    (ice->direct_alt.ss_family && gw_sockaddr_equal(from, &ice->direct_alt)))
		return true;
	if (len >= sizeof(ice->probe_hdr)) {
		memcpy(ice->probe_hdr, hdr, sizeof(ice->probe_hdr));
		ice->probe_from = *from;
		ice->probe_len = len;
	}
	return false;
}

static bool direct_read(int fd, void *arg)
{
	struct gw_ice_agent *ice = arg;
	static __thread uint8_t buf[DIRECT_RX_MAX];
	union gw_rx_stamp_buf ctl;
	struct sockaddr_storage from;
	struct iovec iov;
	struct msghdr m;
	unsigned gen = ice->direct_gen;
	ssize_t n;
	int64_t rx_us, mono_us, real_us;
	bool more;

	for (int reads = 1;; reads++) {
		/* the length, and the header direct_source may keep */
		iov = (struct iovec){ buf, sizeof(ice->probe_hdr) };
		m = (struct msghdr){ .msg_name = &from, .msg_namelen = sizeof(from),
				     .msg_iov = &iov, .msg_iovlen = 1 };
		n = recvmsg(fd, &m, MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK;
		if (n < 1 || n > (ssize_t)sizeof(buf) || buf[0] < 128 || buf[0] > 191 ||
		    !direct_source(ice, &from, buf, (size_t)n))
			return false;
		iov.iov_len = sizeof(buf);
		m.msg_name = NULL;
		m.msg_namelen = 0;
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		m.msg_flags = 0;
		n = recvmsg(fd, &m, MSG_DONTWAIT);
		if (n <= 0)
			return false;
		gw_rx_clocks(&mono_us, &real_us);
		rx_us = gw_rx_time_us(&m, mono_us, real_us);
		more = reads < DRAIN_MAX && mono_us - rx_us >= DRAIN_AGE_US;
		ice->rx_packets++;
		ice->rx_bytes += (uint64_t)n;
		ice->direct_rx_packets++;
		if (!gw_rtp_age_drop(&ice->age, buf, (size_t)n, rx_us, mono_us, ice->name, "browser") &&
		    ice->recvh) {
			if (!more) {
				ice->recvh(buf, (size_t)n, rx_us, ice->arg); /* may close the agent */
				return true;
			}
			/* the agent must outlive the call to be looked at again */
			gw_obj_ref(ice);
			ice->recvh(buf, (size_t)n, rx_us, ice->arg);
			/* not closed nor re-aimed meanwhile (a generation, not the
			 * GSocket's address, which a new socket could reuse) */
			more = ice->direct_gen == gen;
			gw_obj_deref(ice);
		}
		if (!more)
			return true;
	}
}

/* Point the direct send path at the currently selected pair, if it is a
 * plain UDP one and the component is connected; otherwise clear it. */
static void direct_refresh(struct gw_ice_agent *ice)
{
	NiceCandidate *l = NULL, *r = NULL;
	GSocket *sock;

	direct_drop(ice);
	if (!OPEN(ice) || ice->state != GW_ICE_CONNECTED ||
	    !nice_agent_get_selected_pair(ice->agent, ice->stream, COMPONENT, &l, &r))
		return;
	sock = nice_agent_get_selected_socket(ice->agent, ice->stream, COMPONENT);
	if (!sock)
		return;                  /* relayed: libnice frames it */
	memset(&ice->direct_to, 0, sizeof(ice->direct_to));
	nice_address_copy_to_sockaddr(&r->addr, (struct sockaddr *)&ice->direct_to);
	ice->direct_len = nice_address_ip_version(&r->addr) == 6 ? sizeof(struct sockaddr_in6)
								 : sizeof(struct sockaddr_in);
	ice->direct_fd = g_socket_get_fd(sock);
	ice->direct = sock;
	/* Arrival stamps for direct_read (libnice's own reads, which pass no
	 * control buffer, are not affected). */
	gw_socket_rx_stamps(ice->direct_fd);
	if (ice->driven && gw_loop_ctx_set_reader(ice->driven, ice->direct_fd, direct_read, ice))
		gw_debug(ice->name, "ice: media receive stays with libnice");
}

static void obj_deref_notify(gpointer obj)
{
	gw_obj_deref(obj);
}

static void timer_stop(struct gw_ice_agent *ice)
{
	if (!ice->timer)
		return;
	g_source_destroy(ice->timer); /* drops the timer's reference */
	g_source_unref(ice->timer);
	ice->timer = NULL;
}

static gboolean on_connect_timeout(gpointer data)
{
	struct gw_ice_agent *ice = data;
	char reason[64];

	/* Forget the source first: the state callback may close the agent. */
	g_source_unref(ice->timer);
	ice->timer = NULL;
	snprintf(reason, sizeof(reason), "ice failed: timeout after %u ms", ice->connect_timeout_ms);
	state_report(ice, GW_ICE_FAILED, reason);
	return G_SOURCE_REMOVE;
}

static void timer_start(struct gw_ice_agent *ice)
{
	ice->timer = g_timeout_source_new(ice->connect_timeout_ms);
	g_source_set_callback(ice->timer, on_connect_timeout, gw_obj_ref(ice), obj_deref_notify);
	g_source_attach(ice->timer, ice->ctx);
}

static void pair_describe(const NiceCandidate *c, char *buf, size_t size)
{
	char ip[NICE_ADDRESS_STRING_LEN];
	bool v6 = nice_address_ip_version(&c->addr) == 6;

	nice_address_to_string(&c->addr, ip);
	snprintf(buf, size, "%s%s%s:%u %s", v6 ? "[" : "", ip, v6 ? "]" : "",
		 nice_address_get_port(&c->addr), nice_candidate_type_to_string(c->type));
}

/* Report @st once, in order: states only move forward, FAILED is final. */
static void state_report(struct gw_ice_agent *ice, enum gw_ice_state st, const char *reason)
{
	if (st <= ice->state || ice->state >= GW_ICE_FAILED)
		return;
	ice->state = st;
	if (st == GW_ICE_CONNECTED) {
		struct gw_ice_stats s;

		ice->connected_us = g_get_monotonic_time();
		timer_stop(ice);
		direct_refresh(ice);
		gw_ice_agent_stats(ice, &s);
		gw_info(ice->name, "ice connected in %lld ms: %s -> %s", (long long)s.connect_ms,
			s.local, s.remote);
	} else if (st == GW_ICE_FAILED) {
		timer_stop(ice);
		direct_drop(ice);
		gw_warn(ice->name, "%s", reason);
	} else {
		gw_debug(ice->name, "ice %s", gw_ice_state_name(st));
	}
	if (ice->stateh) {
		/* The callback may close and release the agent: keep it alive. */
		gw_obj_ref(ice);
		ice->stateh(st, reason, ice->arg);
		gw_obj_deref(ice);
	}
}

static void on_component_state(NiceAgent *agent, guint stream, guint component, guint state,
			       gpointer data)
{
	struct gw_ice_agent *ice = data;

	if (stream != ice->stream || component != COMPONENT)
		return;
	gw_trace(ice->name, "libnice component %s", nice_component_state_to_string(state));
	switch (state) {
	case NICE_COMPONENT_STATE_GATHERING:
		state_report(ice, GW_ICE_GATHERING, NULL);
		break;
	case NICE_COMPONENT_STATE_CONNECTING:
		state_report(ice, GW_ICE_CONNECTING, NULL);
		break;
	case NICE_COMPONENT_STATE_READY:
		ice->nice_ready = true;
		/* fall through */
	case NICE_COMPONENT_STATE_CONNECTED:
		state_report(ice, GW_ICE_CONNECTED, NULL);
		break;
	case NICE_COMPONENT_STATE_FAILED:
		/* Once nominated (READY), libnice fails a component only when
		 * the selected pair stops answering consent checks (RFC 7675). */
		state_report(ice, GW_ICE_FAILED,
			     ice->nice_ready ? "consent lost" :
			     ice->state == GW_ICE_CONNECTED ? "ice failed: no pair nominated" :
			     "ice failed: no candidate pair succeeded");
		break;
	default:
		break;
	}
}

static void on_new_candidate(NiceAgent *agent, NiceCandidate *cand, gpointer data)
{
	struct gw_ice_agent *ice = data;
	char *line;

	if (cand->stream_id != ice->stream || cand->component_id != COMPONENT || !ice->candh)
		return;
	line = gw_ice_cand_print(ice, cand);
	if (!line)
		return;
	gw_obj_ref(ice);
	ice->candh(line, ice->arg);
	gw_obj_deref(ice);
	g_free(line);
}

static void on_gathering_done(NiceAgent *agent, guint stream, gpointer data)
{
	struct gw_ice_agent *ice = data;

	if (stream != ice->stream)
		return;
	gw_debug(ice->name, "ice gathering done");
	if (ice->candh) {
		gw_obj_ref(ice);
		ice->candh(NULL, ice->arg);
		gw_obj_deref(ice);
	}
}

static void on_selected_pair(NiceAgent *agent, guint stream, guint component,
			     NiceCandidate *local, NiceCandidate *remote, gpointer data)
{
	struct gw_ice_agent *ice = data;
	char l[80], r[80];

	pair_describe(local, l, sizeof(l));
	pair_describe(remote, r, sizeof(r));
	gw_debug(ice->name, "ice selected pair %s -> %s", l, r);
	direct_refresh(ice);
}

/* @src is libnice's socket source, dispatching (it calls on_recv).  GLib
 * blocks a source while it dispatches: takes its fd out of the poll set
 * and puts it back, and each of the two writes the context's wakeup fd,
 * which a driven context then has to drain: three system calls per packet
 * for nothing, as libnice never iterates its context from inside its own
 * callbacks (the one thing blocking guards against).  So its sources in a
 * driven context may recurse, and are never blocked. */
static void dont_block(GSource *src)
{
	if (src && !g_source_get_can_recurse(src))
		g_source_set_can_recurse(src, TRUE);
}

/* Whether @a is one of the remote candidates libnice knows (signalled or
 * peer-reflexive). */
static bool remote_candidate(struct gw_ice_agent *ice, const NiceAddress *a)
{
	GSList *remotes = nice_agent_get_remote_candidates(ice->agent, ice->stream, COMPONENT);
	bool found = false;

	for (GSList *it = remotes; it && !found; it = it->next)
		found = nice_address_equal(&((NiceCandidate *)it->data)->addr, a);
	g_slist_free_full(remotes, (GDestroyNotify)nice_candidate_free);
	return found;
}

/* libnice handed on a datagram: if it is the media direct_read left to it
 * for its source (probe_*), that source is a valid pair's remote, read
 * directly from now.  libnice reads in order and drops what came from no
 * valid pair, so the first datagram it hands on after the probe decides;
 * and the source must be a remote candidate, so that a copy of the
 * browser's packet sent just ahead of it from elsewhere (an on-path
 * attacker) does not get its source learned. */
static void learn_source(struct gw_ice_agent *ice, const gchar *buf, guint len)
{
	char ip[NICE_ADDRESS_STRING_LEN];
	NiceAddress a;
	bool same = len == ice->probe_len && !memcmp(buf, ice->probe_hdr, sizeof(ice->probe_hdr));

	ice->probe_len = 0;
	if (!same || !ice->direct)
		return;
	nice_address_set_from_sockaddr(&a, (const struct sockaddr *)&ice->probe_from);
	nice_address_to_string(&a, ip);
	if (!remote_candidate(ice, &a)) {
		gw_debug(ice->name, "ice: media from %s port %u, not a remote candidate, came "
			 "with a copy from the browser: not read directly", ip,
			 nice_address_get_port(&a));
		return;
	}
	ice->direct_alt = ice->probe_from;
	gw_info(ice->name, "ice: the browser also sends media from %s port %u (a valid pair it "
		"chose): read directly too", ip, nice_address_get_port(&a));
}

/* Hot path.  The callback may close the agent: nothing touches @ice after it. */
static void on_recv(NiceAgent *agent, guint stream, guint component, guint len, gchar *buf,
		    gpointer data)
{
	struct gw_ice_agent *ice = data;
	int64_t now_us;

	if (ice->driven)
		dont_block(g_main_current_source());
	ice->rx_packets++;
	ice->rx_bytes += len;
	if (!ice->recvh)
		return;
	if (ice->probe_len)
		learn_source(ice, buf, len);
	/* Media here with a direct path went round it: libnice read it with
	 * what was queued behind a consent check at the head of the queue.
	 * Its age is guessed (gw_rtp_age_limit). */
	now_us = g_get_monotonic_time();
	if (ice->direct && gw_rtp_age_drop_unstamped(&ice->age, (const uint8_t *)buf, len, now_us,
						    ice->name, "browser"))
		return;
	ice->recvh((const uint8_t *)buf, len, now_us, ice->arg);
}

/* The driven context watches a new socket of libnice's: checks from
 * outside ice.remote_networks are dropped by the kernel before libnice
 * reads them (it would answer them and learn their sources as
 * peer-reflexive remotes, which no candidate filter sees). */
static void filter_socket(int fd, void *arg)
{
	struct gw_ice_agent *ice = arg;
	int err = gw_ice_networks_attach(ice->nets, fd);

	if (err && !ice->filter_warned) {
		gw_warn(ice->name, "ice: cannot filter connectivity checks from outside "
			"ice.remote_networks in the kernel (%s): libnice answers them", g_strerror(err));
		ice->filter_warned = true;
	}
}

/* libnice's STUN code calls its own exported stun_* functions through the
 * PLT, so a library loaded before libnice that exports the same name takes
 * over.  Sofia-SIP exports stun_message_length(): linked ahead of libnice,
 * every connectivity check comes out empty and ICE fails with no other
 * clue.  Checked once; the fix is link order (libnice before Sofia). */
static gpointer check_libnice_symbols(gpointer unused)
{
	static const char *const names[] = {"stun_message_length", "stun_agent_finish_message"};
	Dl_info info;
	void *self;
	gpointer ok = GINT_TO_POINTER(1);

	if (!dladdr((void *)nice_agent_new, &info) || !info.dli_fname)
		return ok;
	self = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
	if (!self)
		return ok;
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		void *own = dlsym(self, names[i]), *global = dlsym(RTLD_DEFAULT, names[i]);
		Dl_info who;

		if (own && global && own != global) {
			gw_error(NULL, "ice: libnice's %s() is overridden by %s: ICE cannot work; "
				 "link libnice before that library (Makefile.am DEPS_LIBS)",
				 names[i], dladdr(global, &who) && who.dli_fname ? who.dli_fname : "?");
			ok = GINT_TO_POINTER(0);
		}
	}
	dlclose(self);
	return ok;
}

static void ice_destroy(void *obj)
{
	struct gw_ice_agent *ice = obj;

	direct_drop(ice);
	/* Only reached with an agent or driven context still set when alloc
	 * failed half-way (on the loop's thread). */
	if (ice->agent)
		g_object_unref(ice->agent);
	gw_loop_ctx_free(ice->driven);
	if (ice->ctx)
		g_main_context_unref(ice->ctx);
	gw_ice_networks_free(ice->nets);
	g_free(ice->name);
	g_free(ice->ufrag);
	g_free(ice->pwd);
}

/* Refuse settings libnice would take silently and misbehave on. */
static int config_check(const struct gw_ice_config *cfg, const char *name, NiceAddress *public_addr,
			struct gw_ice_networks **nets)
{
	char *why = NULL;
	int err;

	if (cfg->lite && cfg->controlling) {
		gw_error(name, "ice: a lite agent cannot be controlling (RFC 8445 6.1.1)");
		return EINVAL;
	}
	if ((cfg->port_min || cfg->port_max) &&
	    (cfg->port_min == 0 || cfg->port_max < cfg->port_min)) {
		gw_error(name, "ice: bad port range %u-%u", cfg->port_min, cfg->port_max);
		return EINVAL;
	}
	if (cfg->turn_server && (!cfg->turn_user || !cfg->turn_password)) {
		gw_error(name, "ice: TURN server %s needs a user and a password", cfg->turn_server);
		return EINVAL;
	}
	nice_address_init(public_addr);
	if (cfg->public_ip && *cfg->public_ip &&
	    !nice_address_set_from_string(public_addr, cfg->public_ip)) {
		gw_error(name, "ice: public_ip '%s' is not an IP address", cfg->public_ip);
		return EINVAL;
	}
	for (size_t i = 0; cfg->local_addrs && cfg->local_addrs[i]; i++) {
		NiceAddress a;

		if (!nice_address_set_from_string(&a, cfg->local_addrs[i])) {
			gw_error(name, "ice: local address '%s' is not an IP address",
				 cfg->local_addrs[i]);
			return EINVAL;
		}
	}
	err = gw_ice_networks_parse(cfg->remote_networks, nets, &why);
	if (err) {
		gw_error(name, "ice: remote_networks: %s", why);
		g_free(why);
	}
	return err;
}

static NiceAgent *agent_new(const struct gw_ice_config *cfg, GMainContext *ctx)
{
	/* Consent freshness (RFC 7675) also turns keepalives into checks. */
	NiceAgentOption opts = NICE_AGENT_OPTION_ICE_TRICKLE | NICE_AGENT_OPTION_CONSENT_FRESHNESS |
			       NICE_AGENT_OPTION_REGULAR_NOMINATION;
	NiceAgent *agent;

	if (cfg->lite)
		opts |= NICE_AGENT_OPTION_LITE_MODE;
	agent = nice_agent_new_full(ctx, NICE_COMPATIBILITY_RFC5245, opts);
	if (!agent)
		return NULL;
	/* UDP only; no UPnP port mapping behind the operator's back. */
	g_object_set(agent, "controlling-mode", (gboolean)cfg->controlling, "ice-udp", TRUE,
		     "ice-tcp", FALSE, "upnp", FALSE, NULL);
	if (cfg->stun_server && *cfg->stun_server)
		g_object_set(agent, "stun-server", cfg->stun_server, "stun-server-port",
			     (guint)(cfg->stun_port ? cfg->stun_port : DEFAULT_STUN_PORT), NULL);
	for (size_t i = 0; cfg->local_addrs && cfg->local_addrs[i]; i++) {
		NiceAddress a;

		if (nice_address_set_from_string(&a, cfg->local_addrs[i]))
			nice_agent_add_local_address(agent, &a);
	}
	return agent;
}

int gw_ice_agent_alloc(struct gw_ice_agent **out, GMainContext *ctx,
		       const struct gw_ice_config *cfg, gw_ice_recv_h *recvh,
		       gw_ice_state_h *stateh, gw_ice_candidate_h *candh, void *arg)
{
	static GOnce symbols_once = G_ONCE_INIT;
	const char *name = cfg->name ? cfg->name : "ice";
	struct gw_ice_agent *ice = NULL;
	struct gw_ice_networks *nets = NULL;
	NiceAddress public_addr;
	int err;

	if (!GPOINTER_TO_INT(g_once(&symbols_once, check_libnice_symbols, NULL)))
		return EIO;
	err = config_check(cfg, name, &public_addr, &nets);
	if (err)
		return err;
	ice = gw_obj_alloc(sizeof(*ice), ice_destroy);
	ice->ctx = g_main_context_ref(ctx);
	ice->name = g_strdup(name);
	ice->nets = nets;
	ice->public_addr = public_addr;
	ice->age.max_us = (int64_t)cfg->max_queue_ms * 1000;
	ice->connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms
							  : DEFAULT_CONNECT_TIMEOUT_MS;
	ice->direct_fd = -1;
	ice->recvh = recvh;
	ice->stateh = stateh;
	ice->candh = candh;
	ice->arg = arg;

	ice->nctx = ctx;
	if (cfg->loop) {
		ice->driven = gw_loop_ctx_new(cfg->loop);
		if (!ice->driven) {
			err = EIO;
			goto out;
		}
		ice->nctx = gw_loop_ctx_context(ice->driven);
		if (gw_ice_networks_count(nets))
			gw_loop_ctx_set_socket_hook(ice->driven, filter_socket, ice);
	}
	ice->agent = agent_new(cfg, ice->nctx);
	if (!ice->agent) {
		gw_error(name, "ice: libnice could not create an agent");
		err = EIO;
		goto out;
	}
	ice->stream = nice_agent_add_stream(ice->agent, 1);
	if (ice->stream == 0 ||
	    !nice_agent_get_local_credentials(ice->agent, ice->stream, &ice->ufrag, &ice->pwd)) {
		gw_error(name, "ice: libnice could not add a stream");
		err = EIO;
		goto out;
	}
	if (cfg->port_min)
		nice_agent_set_port_range(ice->agent, ice->stream, COMPONENT, cfg->port_min,
					  cfg->port_max);
	if (cfg->turn_server && *cfg->turn_server) {
		if (!nice_agent_set_relay_info(ice->agent, ice->stream, COMPONENT, cfg->turn_server,
					       cfg->turn_port ? cfg->turn_port : DEFAULT_STUN_PORT,
					       cfg->turn_user, cfg->turn_password,
					       NICE_RELAY_TYPE_TURN_UDP)) {
			gw_error(name, "ice: libnice refused TURN server %s", cfg->turn_server);
			err = EIO;
			goto out;
		}
		ice->turn = true;
	}

	/* One reference for every handle libnice holds (STYLE.md). */
	gw_obj_ref(ice);
	g_signal_connect(ice->agent, "component-state-changed", G_CALLBACK(on_component_state), ice);
	g_signal_connect(ice->agent, "new-candidate-full", G_CALLBACK(on_new_candidate), ice);
	g_signal_connect(ice->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), ice);
	g_signal_connect(ice->agent, "new-selected-pair-full", G_CALLBACK(on_selected_pair), ice);
	nice_agent_attach_recv(ice->agent, ice->stream, COMPONENT, ice->nctx, on_recv, ice);
	*out = ice;
	ice = NULL;
out:
	gw_obj_deref(ice);
	return err;
}

int gw_ice_agent_gather(struct gw_ice_agent *ice)
{
	if (!OPEN(ice))
		return ENOTCONN;
	if (ice->gather_start_us)
		return EALREADY;
	ice->gather_start_us = g_get_monotonic_time();
	timer_start(ice);
	state_report(ice, GW_ICE_GATHERING, NULL);
	if (!OPEN(ice))
		return 0; /* closed by the state callback */
	if (!nice_agent_gather_candidates(ice->agent, ice->stream)) {
		gw_error(ice->name, "ice: libnice could not gather candidates "
			 "(no usable local address or port range exhausted)");
		return EIO;
	}
	return 0;
}

const char *gw_ice_agent_ufrag(const struct gw_ice_agent *ice)
{
	return ice->ufrag;
}

const char *gw_ice_agent_pwd(const struct gw_ice_agent *ice)
{
	return ice->pwd;
}

char **gw_ice_agent_local_candidates(struct gw_ice_agent *ice)
{
	GPtrArray *lines = g_ptr_array_new();
	GSList *cands = NULL;

	if (OPEN(ice))
		cands = nice_agent_get_local_candidates(ice->agent, ice->stream, COMPONENT);
	for (GSList *i = cands; i; i = i->next) {
		char *line = gw_ice_cand_print(ice, i->data);

		if (line)
			g_ptr_array_add(lines, line);
	}
	g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
	g_ptr_array_add(lines, NULL);
	return (char **)g_ptr_array_free(lines, FALSE);
}

int gw_ice_agent_set_remote_credentials(struct gw_ice_agent *ice, const char *ufrag,
					const char *pwd)
{
	if (!OPEN(ice))
		return ENOTCONN;
	/* RFC 8839 5.4: ice-ufrag 4-256 and ice-pwd 22-256 ice-chars. */
	if (!gw_ice_cand_is_ice_chars(ufrag, 4, 256) || !gw_ice_cand_is_ice_chars(pwd, 22, 256)) {
		gw_warn(ice->name, "ice: refused remote credentials: ufrag must be 4-256 and "
			"pwd 22-256 of [A-Za-z0-9+/]");
		return EINVAL;
	}
	if (!nice_agent_set_remote_credentials(ice->agent, ice->stream, ufrag, pwd)) {
		gw_error(ice->name, "ice: libnice refused the remote credentials");
		return EIO;
	}
	return 0;
}

int gw_ice_agent_add_remote_candidate(struct gw_ice_agent *ice, const char *candidate)
{
	NiceCandidate *cand = NULL;
	GSList one = {0};
	int err;

	if (!OPEN(ice))
		return ENOTCONN;
	err = gw_ice_cand_parse(ice, candidate, &cand);
	if (err)
		return err;
	one.data = cand;
	if (nice_agent_set_remote_candidates(ice->agent, ice->stream, COMPONENT, &one) < 0) {
		gw_error(ice->name, "ice: libnice refused remote candidate '%s'", candidate);
		err = EIO;
		goto out;
	}
	ice->remote_cands++;
out:
	nice_candidate_free(cand);
	return err;
}

int gw_ice_agent_end_of_candidates(struct gw_ice_agent *ice)
{
	if (!OPEN(ice))
		return ENOTCONN;
	if (!nice_agent_peer_candidate_gathering_done(ice->agent, ice->stream))
		return EIO;
	gw_debug(ice->name, "ice: end of remote candidates (%u added)", ice->remote_cands);
	return 0;
}

int gw_ice_agent_send(struct gw_ice_agent *ice, const uint8_t *buf, size_t len)
{
	gint n;

	if (!OPEN(ice) || ice->state != GW_ICE_CONNECTED)
		return ENOTCONN;
	if (len > G_MAXUINT16)
		return EMSGSIZE;
	if (ice->direct && !g_socket_is_closed(ice->direct)) {
		ssize_t w = sendto(ice->direct_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL,
				   (const struct sockaddr *)&ice->direct_to, ice->direct_len);

		if (w < 0 || (size_t)w != len)
			return EIO;
		ice->direct_packets++;
	} else {
		n = nice_agent_send(ice->agent, ice->stream, COMPONENT, (guint)len,
				    (const gchar *)buf);
		if (n < 0 || (size_t)n != len)
			return EIO;
	}
	ice->tx_packets++;
	ice->tx_bytes += len;
	return 0;
}

void gw_ice_agent_stats(struct gw_ice_agent *ice, struct gw_ice_stats *out)
{
	NiceCandidate *l = NULL, *r = NULL;

	memset(out, 0, sizeof(*out));
	out->state = ice->state;
	out->connect_ms = ice->connected_us ? (ice->connected_us - ice->gather_start_us) / 1000 : -1;
	out->remote_candidates = ice->remote_cands;
	out->rx_packets = ice->rx_packets;
	out->rx_bytes = ice->rx_bytes;
	out->tx_packets = ice->tx_packets;
	out->tx_bytes = ice->tx_bytes;
	out->direct_packets = ice->direct_packets;
	out->direct_rx_packets = ice->direct_rx_packets;
	if (OPEN(ice) &&
	    nice_agent_get_selected_pair(ice->agent, ice->stream, COMPONENT, &l, &r)) {
		out->have_pair = true;
		pair_describe(l, out->local, sizeof(out->local));
		pair_describe(r, out->remote, sizeof(out->remote));
	}
}

uint64_t gw_ice_agent_stale_packets(const struct gw_ice_agent *ice)
{
	return ice->age.dropped;
}

void gw_ice_agent_set_rx_pts(struct gw_ice_agent *ice, uint8_t media_pt, uint32_t media_rate,
			     const struct gw_rtp_pts *events)
{
	ice->age.events = *events;
	/* called on every change of the call's media (a hold, a resume, a
	 * new codec): the browser may pause, and its timestamps with it */
	ice->age.anchored = false;
	ice->age.media_pt = media_pt;
	ice->age.media_rate = media_rate;
}

enum gw_ice_state gw_ice_agent_state(const struct gw_ice_agent *ice)
{
	return ice->state;
}

/* TURN allocations released: on the driven context (@data, or NULL) when
 * there is one, which goes with the agent. */
static void on_nice_closed(GObject *agent, GAsyncResult *res, gpointer data)
{
	g_object_unref(agent);
	gw_loop_ctx_free(data);
}

void gw_ice_agent_close(struct gw_ice_agent *ice)
{
	NiceAgent *agent;

	if (!ice || !OPEN(ice))
		return;
	agent = ice->agent;
	ice->agent = NULL;
	ice->state = GW_ICE_CLOSED;
	timer_stop(ice);
	direct_drop(ice);
	if (ice->driven) {
		struct gw_loop_ctx_stats st;

		gw_loop_ctx_set_socket_hook(ice->driven, NULL, NULL); /* it may outlive us */
		gw_loop_ctx_stats(ice->driven, &st);
		gw_debug(ice->name, "ice: libnice's context ran %" G_GUINT64_FORMAT " times for %"
			 G_GUINT64_FORMAT " packets in (%" G_GUINT64_FORMAT " read before it), its "
			 "fds registered %" G_GUINT64_FORMAT " time(s)", st.cycles, ice->rx_packets,
			 ice->direct_rx_packets, st.resyncs);
	}
	g_signal_handlers_disconnect_by_data(agent, ice);
	nice_agent_attach_recv(agent, ice->stream, COMPONENT, ice->nctx, NULL, NULL);
	if (ice->turn) {
		/* Release the TURN allocations (refresh with lifetime 0); the
		 * completion is delivered in libnice's context on the media
		 * loop, and drops the last NiceAgent reference (and the driven
		 * context, which must run until then). */
		g_main_context_push_thread_default(ice->nctx);
		nice_agent_close_async(agent, on_nice_closed, ice->driven);
		g_main_context_pop_thread_default(ice->nctx);
	} else {
		g_object_unref(agent);
		gw_loop_ctx_free(ice->driven);
	}
	ice->driven = NULL;
	ice->nctx = NULL;
	gw_debug(ice->name, "ice closed");
	gw_obj_deref(ice); /* libnice's reference */
}

const char *gw_ice_state_name(enum gw_ice_state st)
{
	switch (st) {
	case GW_ICE_NEW: return "new";
	case GW_ICE_GATHERING: return "gathering";
	case GW_ICE_CONNECTING: return "connecting";
	case GW_ICE_CONNECTED: return "connected";
	case GW_ICE_FAILED: return "failed";
	case GW_ICE_CLOSED: return "closed";
	}
	return "?";
}
