/* test_dtls.c — DTLS-SRTP between two in-process endpoints on one
 * GMainContext, wired through idle callbacks: both role orders, both SRTP
 * profiles (keys proven by an SRTP round trip), fingerprint mismatch,
 * a lost first flight, mangled datagrams, close_notify. */
#include "gw_check.h"
#include <errno.h>
#include <string.h>
#include <glib.h>
#include "gw/cert.h"
#include "gw/dtls.h"
#include "gw/obj.h"
#include "gw/srtp.h"

/* generous: a lost flight costs one retransmission timeout (0.5 s) */
#define RUN_LIMIT_US (15 * G_USEC_PER_SEC)

struct end {
	const char *name;
	struct gw_dtls *dtls;
	struct end *peer;
	GMainContext *ctx;
	int drop;             /* outgoing datagrams still to drop */
	bool drop_ccs;        /* drop the first datagram starting with ChangeCipherSpec */
	bool mangle_first;    /* before the first datagram, send broken copies */
	unsigned sent;
	unsigned mangled_sent;
	unsigned refused;     /* EBADMSG returned to deliveries to us */
	unsigned done_calls;
	int err;
	char reason[512];
	bool have_keys;
	struct gw_srtp_keys keys;
	bool close_on_reset;  /* done(ECONNRESET): close and drop our reference */
};

struct delivery {
	struct end *to;
	struct gw_dtls *dtls; /* reference held while queued */
	GBytes *data;
};

static gboolean deliver(gpointer p)
{
	struct delivery *d = p;
	gsize n;
	const uint8_t *buf = g_bytes_get_data(d->data, &n);

	if (gw_dtls_recv(d->dtls, buf, n) == EBADMSG)
		d->to->refused++;
	gw_obj_deref(d->dtls);
	g_bytes_unref(d->data);
	g_free(d);
	return G_SOURCE_REMOVE;
}

static void post(struct end *to, const uint8_t *buf, size_t len)
{
	struct delivery *d = g_new0(struct delivery, 1);
	GSource *src = g_idle_source_new();

	if (!to->dtls) {
		g_free(d);
		g_source_unref(src);
		return;
	}
	d->to = to;
	d->dtls = gw_obj_ref(to->dtls);
	d->data = g_bytes_new(buf, len);
	g_source_set_callback(src, deliver, d, NULL);
	g_source_attach(src, to->ctx);
	g_source_unref(src);
}

/* A cut exactly between two records would be a valid (shorter) datagram. */
static bool record_boundary(const uint8_t *buf, size_t len, size_t cut)
{
	size_t off = 0;

	while (off + 13 <= len) {
		off += 13 + (((size_t)buf[off + 11] << 8) | buf[off + 12]);
		if (off == cut)
			return true;
	}
	return false;
}

static void send_mangled(struct end *e, const uint8_t *buf, size_t len)
{
	const size_t cuts[] = { 1, 5, 12, 13, 14, len / 2, len - 1 };
	uint8_t junk[64];

	for (size_t i = 0; i < G_N_ELEMENTS(cuts); i++, e->mangled_sent++)
		post(e->peer, buf, record_boundary(buf, len, cuts[i]) ? cuts[i] - 1 : cuts[i]);
	/* not DTLS at all (RFC 7983: RTP range) */
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)g_random_int();
	junk[0] = 0x80;
	post(e->peer, junk, sizeof(junk));
	e->mangled_sent++;
	/* a record header whose length runs past the datagram */
	memcpy(junk, buf, 13);
	junk[11] = 0x40;
	post(e->peer, junk, sizeof(junk));
	e->mangled_sent++;
}

static void on_send(const uint8_t *buf, size_t len, void *arg)
{
	struct end *e = arg;

	if (e->mangle_first && e->sent == 0)
		send_mangled(e, buf, len);
	e->sent++;
	if (e->drop > 0) {
		e->drop--;
		return;
	}
	if (e->drop_ccs && buf[0] == 20) {
		e->drop_ccs = false;
		return;
	}
	post(e->peer, buf, len);
}

static void on_done(int err, const struct gw_srtp_keys *keys, const char *reason, void *arg)
{
	struct end *e = arg;

	e->done_calls++;
	e->err = err;
	g_strlcpy(e->reason, reason ? reason : "", sizeof(e->reason));
	if (!err) {
		ck_assert_ptr_nonnull(keys);
		e->keys = *keys;
		e->have_keys = true;
	} else {
		ck_assert_ptr_null(keys);
		ck_assert_ptr_nonnull(reason);
	}
	if (err == ECONNRESET && e->close_on_reset) {
		gw_dtls_close(e->dtls);
		e->dtls = gw_obj_deref(e->dtls);
	}
}

static struct gw_cert *cert_a, *cert_b, *cert_other;

static void setup(void)
{
	ck_assert_int_eq(gw_cert_generate("endpoint a", &cert_a), 0);
	ck_assert_int_eq(gw_cert_generate("endpoint b", &cert_b), 0);
	ck_assert_int_eq(gw_cert_generate("intruder", &cert_other), 0);
}

static void teardown(void)
{
	cert_a = gw_obj_deref(cert_a);
	cert_b = gw_obj_deref(cert_b);
	cert_other = gw_obj_deref(cert_other);
}

static void make_pair(GMainContext *ctx, struct end *a, struct end *b, enum gw_dtls_role role_a,
		      const char *a_expects, const char *b_expects)
{
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->name = "a";
	b->name = "b";
	a->peer = b;
	b->peer = a;
	a->ctx = b->ctx = ctx;
	ck_assert_int_eq(gw_dtls_alloc(&a->dtls, ctx, cert_a, role_a, a_expects ? a_expects : gw_cert_fingerprint(cert_b),
				       on_send, on_done, a), 0);
	ck_assert_int_eq(gw_dtls_alloc(&b->dtls, ctx, cert_b,
				       role_a == GW_DTLS_ROLE_CLIENT ? GW_DTLS_ROLE_SERVER : GW_DTLS_ROLE_CLIENT,
				       b_expects ? b_expects : gw_cert_fingerprint(cert_a), on_send, on_done, b), 0);
	gw_dtls_set_log_ctx(a->dtls, "test a");
	gw_dtls_set_log_ctx(b->dtls, "test b");
}

/* Run the loop until both ends reported (or the limit). */
static void run_started(GMainContext *ctx, struct end *a, struct end *b)
{
	gint64 until = g_get_monotonic_time() + RUN_LIMIT_US;

	while ((a->done_calls == 0 || b->done_calls == 0) && g_get_monotonic_time() < until)
		g_main_context_iteration(ctx, TRUE);
	/* let in-flight datagrams land (the server's last flight) */
	while (g_main_context_iteration(ctx, FALSE))
		;
}

static void run(GMainContext *ctx, struct end *a, struct end *b)
{
	ck_assert_int_eq(gw_dtls_start(a->dtls), 0);
	ck_assert_int_eq(gw_dtls_start(b->dtls), 0);
	run_started(ctx, a, b);
}

static void finish(GMainContext *ctx, struct end *a, struct end *b)
{
	if (a->dtls)
		gw_dtls_close(a->dtls);
	if (b->dtls)
		gw_dtls_close(b->dtls);
	a->dtls = gw_obj_deref(a->dtls);
	b->dtls = gw_obj_deref(b->dtls);
	while (g_main_context_iteration(ctx, FALSE))
		;
}

/* A protects, B unprotects to the very same bytes; and back. */
static void srtp_round_trip(const struct end *a, const struct end *b)
{
	struct gw_srtp *sa, *sb;
	const struct end *from[2] = { a, b };
	struct gw_srtp **tx[2] = { &sa, &sb }, **rx[2] = { &sb, &sa };

	ck_assert_int_eq(gw_srtp_alloc(&sa, &a->keys), 0);
	ck_assert_int_eq(gw_srtp_alloc(&sb, &b->keys), 0);
	for (int dir = 0; dir < 2; dir++) {
		uint8_t plain[200], buf[200 + GW_SRTP_PROTECT_ROOM];
		size_t len = sizeof(plain);

		plain[0] = 0x80;
		plain[1] = 111;
		for (size_t i = 2; i < sizeof(plain); i++)
			plain[i] = (uint8_t)(i ^ (size_t)dir ^ (uintptr_t)from[dir]);
		memcpy(buf, plain, len);
		ck_assert_int_eq(gw_srtp_protect(*tx[dir], buf, &len, sizeof(buf)), 0);
		ck_assert_uint_gt(len, sizeof(plain));
		ck_assert_int_eq(gw_srtp_unprotect(*rx[dir], buf, &len), 0);
		ck_assert_uint_eq(len, sizeof(plain));
		ck_assert_int_eq(memcmp(buf, plain, len), 0);
	}
	gw_srtp_free(sa);
	gw_srtp_free(sb);
}

static void assert_connected_with(const struct end *a, const struct end *b, enum gw_srtp_profile prof)
{
	ck_assert_msg(a->err == 0 && b->err == 0, "a: %s / b: %s", a->reason, b->reason);
	ck_assert(a->have_keys && b->have_keys);
	ck_assert_int_eq(a->keys.profile, prof);
	ck_assert_int_eq(b->keys.profile, prof);
	/* each side's local key is the other's remote key, and they differ */
	ck_assert_int_eq(memcmp(a->keys.local_key, b->keys.remote_key, a->keys.key_len), 0);
	ck_assert_int_eq(memcmp(a->keys.remote_key, b->keys.local_key, a->keys.key_len), 0);
	ck_assert_int_ne(memcmp(a->keys.local_key, a->keys.remote_key, a->keys.key_len), 0);
	srtp_round_trip(a, b);
}

/* A and B through a default handshake (A in @role_a): both connected on
 * AEAD_AES_128_GCM, the daemon's first choice. */
static void connected_pair(GMainContext *ctx, struct end *a, struct end *b, enum gw_dtls_role role_a)
{
	make_pair(ctx, a, b, role_a, NULL, NULL);
	run(ctx, a, b);
	assert_connected_with(a, b, GW_SRTP_AEAD_AES_128_GCM);
}

/* finish(), then no object of the test is left alive; @ctx is released. */
static void finish_and_check(GMainContext *ctx, struct end *a, struct end *b, long live)
{
	finish(ctx, a, b);
	ck_assert_int_eq(gw_obj_live(), live);
	g_main_context_unref(ctx);
}

static void handshake_case(enum gw_dtls_role role_a, unsigned mask_a, unsigned mask_b, enum gw_srtp_profile expect)
{
	GMainContext *ctx = g_main_context_new();
	long live = gw_obj_live();
	struct end a, b;

	make_pair(ctx, &a, &b, role_a, NULL, NULL);
	ck_assert_int_eq(gw_dtls_set_profiles(a.dtls, mask_a), 0);
	ck_assert_int_eq(gw_dtls_set_profiles(b.dtls, mask_b), 0);
	run(ctx, &a, &b);
	assert_connected_with(&a, &b, expect);
	ck_assert(gw_dtls_is_connected(a.dtls) && gw_dtls_is_connected(b.dtls));
	finish_and_check(ctx, &a, &b, live);
}

START_TEST(test_dtls_a_client_b_server_agree_on_gcm_keys)
{
	handshake_case(GW_DTLS_ROLE_CLIENT, GW_DTLS_PROFILES_ALL, GW_DTLS_PROFILES_ALL, GW_SRTP_AEAD_AES_128_GCM);
}
END_TEST

START_TEST(test_dtls_a_server_b_client_agree_on_gcm_keys)
{
	handshake_case(GW_DTLS_ROLE_SERVER, GW_DTLS_PROFILES_ALL, GW_DTLS_PROFILES_ALL, GW_SRTP_AEAD_AES_128_GCM);
}
END_TEST

START_TEST(test_dtls_aes_cm_sha1_80_when_only_one_side_allows_it)
{
	/* server restricted */
	handshake_case(GW_DTLS_ROLE_CLIENT, GW_DTLS_PROFILES_ALL, GW_DTLS_PROFILE_BIT(GW_SRTP_AES128_CM_SHA1_80),
		       GW_SRTP_AES128_CM_SHA1_80);
	/* client restricted, reverse roles */
	handshake_case(GW_DTLS_ROLE_SERVER, GW_DTLS_PROFILES_ALL, GW_DTLS_PROFILE_BIT(GW_SRTP_AES128_CM_SHA1_80),
		       GW_SRTP_AES128_CM_SHA1_80);
}
END_TEST

START_TEST(test_dtls_no_common_srtp_profile_fails_both)
{
	GMainContext *ctx = g_main_context_new();
	struct end a, b;

	make_pair(ctx, &a, &b, GW_DTLS_ROLE_CLIENT, NULL, NULL);
	ck_assert_int_eq(gw_dtls_set_profiles(a.dtls, GW_DTLS_PROFILE_BIT(GW_SRTP_AES128_CM_SHA1_80)), 0);
	ck_assert_int_eq(gw_dtls_set_profiles(b.dtls, GW_DTLS_PROFILE_BIT(GW_SRTP_AEAD_AES_128_GCM)), 0);
	run(ctx, &a, &b);
	ck_assert_int_ne(a.err, 0);
	ck_assert_int_ne(b.err, 0);
	ck_assert(!a.have_keys && !b.have_keys);
	finish(ctx, &a, &b);
	g_main_context_unref(ctx);
}
END_TEST

START_TEST(test_dtls_fingerprint_mismatch_refused_with_reason)
{
	GMainContext *ctx = g_main_context_new();
	long live = gw_obj_live();
	struct end a, b;

	/* b's SDP said the peer is cert_other: a's real certificate must be refused */
	make_pair(ctx, &a, &b, GW_DTLS_ROLE_CLIENT, NULL, gw_cert_fingerprint(cert_other));
	run(ctx, &a, &b);
	ck_assert_int_eq(b.done_calls, 1);
	ck_assert_int_eq(b.err, EACCES);
	ck_assert_ptr_nonnull(strstr(b.reason, "does not match"));
	ck_assert_ptr_nonnull(strstr(b.reason, gw_cert_fingerprint(cert_a) + 8));
	/* a hears the alert and fails too; no keys anywhere */
	ck_assert_int_eq(a.done_calls, 1);
	ck_assert_int_ne(a.err, 0);
	ck_assert(!a.have_keys && !b.have_keys);
	ck_assert_int_eq(gw_dtls_recv(b.dtls, (const uint8_t *)"\x16\xfe\xfd", 3), ESHUTDOWN);
	finish(ctx, &a, &b);
	ck_assert_int_eq(gw_obj_live(), live);

	/* same from the server's side: the client presents the wrong cert */
	make_pair(ctx, &a, &b, GW_DTLS_ROLE_SERVER, NULL, gw_cert_fingerprint(cert_other));
	run(ctx, &a, &b);
	ck_assert_int_eq(b.err, EACCES);
	ck_assert_int_ne(a.err, 0);
	finish(ctx, &a, &b);
	g_main_context_unref(ctx);
}
END_TEST

START_TEST(test_dtls_lost_first_flight_recovered_by_retransmission)
{
	GMainContext *ctx = g_main_context_new();
	struct gw_dtls_stats sa, sb;
	struct end a, b;

	for (int who = 0; who < 3; who++) {
		make_pair(ctx, &a, &b, GW_DTLS_ROLE_CLIENT, NULL, NULL);
		/* 0: the ClientHello is lost; 1: the server's first flight;
		 * 2: the server's last flight (it is already connected and must
		 * answer the client's retransmission) */
		if (who < 2)
			(who ? &b : &a)->drop = 1;
		else
			b.drop_ccs = true;
		run(ctx, &a, &b);
		ck_assert(!b.drop_ccs && a.drop == 0 && b.drop == 0); /* the loss happened */
		assert_connected_with(&a, &b, GW_SRTP_AEAD_AES_128_GCM);
		/* a timer fired (the peer may have answered the retransmission
		 * by resending its own flight without a timer of its own) */
		gw_dtls_stats_get(a.dtls, &sa);
		gw_dtls_stats_get(b.dtls, &sb);
		ck_assert_uint_ge(sa.retransmits + sb.retransmits, 1);
		finish(ctx, &a, &b);
	}
	g_main_context_unref(ctx);
}
END_TEST

START_TEST(test_dtls_server_answers_client_hello_before_its_own_start)
{
	GMainContext *ctx = g_main_context_new();
	struct end a, b;

	/* the browser's ClientHello may beat our ICE "connected" */
	make_pair(ctx, &a, &b, GW_DTLS_ROLE_SERVER, NULL, NULL);
	ck_assert_int_eq(gw_dtls_start(b.dtls), 0);
	run_started(ctx, &a, &b);
	assert_connected_with(&a, &b, GW_SRTP_AEAD_AES_128_GCM);
	finish(ctx, &a, &b);
	g_main_context_unref(ctx);
}
END_TEST

START_TEST(test_dtls_silent_peer_times_out_with_reason)
{
	GMainContext *ctx = g_main_context_new();
	long live = gw_obj_live();
	gint64 t0;
	struct end a, b;

	make_pair(ctx, &a, &b, GW_DTLS_ROLE_CLIENT, NULL, NULL);
	ck_assert_int_eq(gw_dtls_set_handshake_timeout(a.dtls, 1500), 0);
	ck_assert_int_eq(gw_dtls_set_handshake_timeout(b.dtls, 1500), 0);
	a.drop = 1000; /* nothing from a ever arrives */
	t0 = g_get_monotonic_time();
	run(ctx, &a, &b);
	ck_assert_int_eq(a.err, ETIMEDOUT);
	ck_assert_int_eq(b.err, ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(a.reason, "timed out"));
	/* it retried before giving up, and did not give up early */
	ck_assert_uint_ge(a.sent, 2);
	ck_assert_int_ge(g_get_monotonic_time() - t0, 1400 * 1000);
	ck_assert_int_eq(gw_dtls_set_handshake_timeout(a.dtls, 10), EBUSY);
	finish_and_check(ctx, &a, &b, live);
}
END_TEST

START_TEST(test_dtls_truncated_and_garbage_records_refused_then_handshake_succeeds)
{
	GMainContext *ctx = g_main_context_new();
	struct gw_dtls_stats sa, sb;
	struct end a, b;

	make_pair(ctx, &a, &b, GW_DTLS_ROLE_CLIENT, NULL, NULL);
	a.mangle_first = true; /* broken ClientHellos reach the server first */
	b.mangle_first = true; /* broken ServerHello flight reaches the client */
	run(ctx, &a, &b);
	assert_connected_with(&a, &b, GW_SRTP_AEAD_AES_128_GCM);
	gw_dtls_stats_get(a.dtls, &sa);
	gw_dtls_stats_get(b.dtls, &sb);
	ck_assert_uint_eq(b.refused, a.mangled_sent);
	ck_assert_uint_eq(a.refused, b.mangled_sent);
	ck_assert_uint_eq(sb.bad_records, a.mangled_sent);
	ck_assert_uint_eq(sa.bad_records, b.mangled_sent);
	/* direct calls: empty and NULL */
	ck_assert_int_eq(gw_dtls_recv(a.dtls, NULL, 0), EBADMSG);
	ck_assert_int_eq(gw_dtls_recv(a.dtls, (const uint8_t *)"", 0), EBADMSG);
	ck_assert(gw_dtls_is_connected(a.dtls));
	finish(ctx, &a, &b);
	g_main_context_unref(ctx);
}
END_TEST

START_TEST(test_dtls_close_notify_ends_the_peer_and_silences_the_closer)
{
	GMainContext *ctx = g_main_context_new();
	long live = gw_obj_live();
	struct end a, b;

	connected_pair(ctx, &a, &b, GW_DTLS_ROLE_SERVER);
	b.close_on_reset = true;
	gw_dtls_close(a.dtls);
	gw_dtls_close(a.dtls); /* idempotent */
	while (g_main_context_iteration(ctx, FALSE))
		;
	ck_assert_int_eq(b.done_calls, 2);
	ck_assert_int_eq(b.err, ECONNRESET);
	ck_assert_ptr_nonnull(strstr(b.reason, "close_notify"));
	ck_assert_ptr_null(b.dtls); /* its handler closed and dropped it */
	ck_assert_int_eq(a.done_calls, 1);
	ck_assert_int_eq(gw_dtls_start(a.dtls), ESHUTDOWN);
	finish_and_check(ctx, &a, &b, live);
}
END_TEST

/* Retired (SSL freed once the peer's media authenticated), an endpoint
 * still closes properly: the close_notify it made at retire is one the
 * peer's OpenSSL decrypts and honours. */
START_TEST(test_dtls_retired_endpoint_sends_a_close_notify_the_peer_honours)
{
	GMainContext *ctx = g_main_context_new();
	long live = gw_obj_live();
	struct end a, b;

	connected_pair(ctx, &a, &b, GW_DTLS_ROLE_SERVER);
	gw_dtls_retire(a.dtls);
	gw_dtls_retire(a.dtls); /* idempotent */
	ck_assert(gw_dtls_is_connected(a.dtls));
	b.close_on_reset = true;
	gw_dtls_close(a.dtls);
	while (g_main_context_iteration(ctx, FALSE))
		;
	ck_assert_int_eq(b.done_calls, 2);
	ck_assert_int_eq(b.err, ECONNRESET);
	ck_assert_ptr_nonnull(strstr(b.reason, "close_notify"));
	ck_assert_int_eq(a.done_calls, 1);
	finish_and_check(ctx, &a, &b, live);
}
END_TEST

/* A retired endpoint cannot authenticate anything: the peer's (real)
 * close_notify and a forged alert are both ignored, never ending the call;
 * garbage is still refused. */
START_TEST(test_dtls_retired_endpoint_ignores_alerts_it_cannot_authenticate)
{
	GMainContext *ctx = g_main_context_new();
	long live = gw_obj_live();
	static const uint8_t junk[] = { 0x17, 0xfe, 0xfd, 0x00 };
	static const uint8_t forged[] = { 0x15, 0xfe, 0xfd, 0x00, 0x01, 0, 0, 0, 0, 0, 9,
					  0x00, 0x02, 0x02, 0x00 };
	struct gw_dtls_stats st;
	struct end a, b;

	connected_pair(ctx, &a, &b, GW_DTLS_ROLE_CLIENT);
	gw_dtls_retire(a.dtls);
	ck_assert_int_eq(gw_dtls_recv(a.dtls, junk, sizeof(junk)), EBADMSG);
	ck_assert_int_eq(gw_dtls_recv(a.dtls, forged, sizeof(forged)), 0);
	gw_dtls_close(b.dtls);
	while (g_main_context_iteration(ctx, FALSE))
		;
	ck_assert_int_eq(a.done_calls, 1);
	ck_assert(gw_dtls_is_connected(a.dtls));
	gw_dtls_stats_get(a.dtls, &st);
	ck_assert_uint_eq(st.ignored_retired, 2);
	ck_assert_uint_eq(st.bad_records, 1);
	finish_and_check(ctx, &a, &b, live);
}
END_TEST

START_TEST(test_dtls_alloc_refuses_bad_fingerprint_and_late_profile_change)
{
	GMainContext *ctx = g_main_context_new();
	struct gw_dtls *d = NULL;
	struct end a, b;

	ck_assert_int_eq(gw_dtls_alloc(&d, ctx, cert_a, GW_DTLS_ROLE_CLIENT, "sha-256 00:11", on_send, on_done, &a),
			 EINVAL);
	ck_assert_int_eq(gw_dtls_alloc(&d, ctx, cert_a, GW_DTLS_ROLE_CLIENT, NULL, on_send, on_done, &a), EINVAL);
	ck_assert_ptr_null(d);
	make_pair(ctx, &a, &b, GW_DTLS_ROLE_CLIENT, NULL, NULL);
	ck_assert_int_eq(gw_dtls_set_profiles(a.dtls, 0), EINVAL);
	ck_assert_int_eq(gw_dtls_set_profiles(a.dtls, 1u << 3), EINVAL);
	ck_assert_int_eq(gw_dtls_start(a.dtls), 0);
	ck_assert_int_eq(gw_dtls_set_profiles(a.dtls, GW_DTLS_PROFILES_ALL), EBUSY);
	finish(ctx, &a, &b);
	g_main_context_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dtls");
	TCase *tc = tcase_create("dtls");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dtls_a_client_b_server_agree_on_gcm_keys);
	tcase_add_test(tc, test_dtls_a_server_b_client_agree_on_gcm_keys);
	tcase_add_test(tc, test_dtls_aes_cm_sha1_80_when_only_one_side_allows_it);
	tcase_add_test(tc, test_dtls_no_common_srtp_profile_fails_both);
	tcase_add_test(tc, test_dtls_fingerprint_mismatch_refused_with_reason);
	tcase_add_test(tc, test_dtls_lost_first_flight_recovered_by_retransmission);
	tcase_add_test(tc, test_dtls_server_answers_client_hello_before_its_own_start);
	tcase_add_test(tc, test_dtls_silent_peer_times_out_with_reason);
	tcase_add_test(tc, test_dtls_truncated_and_garbage_records_refused_then_handshake_succeeds);
	tcase_add_test(tc, test_dtls_close_notify_ends_the_peer_and_silences_the_closer);
	tcase_add_test(tc, test_dtls_retired_endpoint_sends_a_close_notify_the_peer_honours);
	tcase_add_test(tc, test_dtls_retired_endpoint_ignores_alerts_it_cannot_authenticate);
	tcase_add_test(tc, test_dtls_alloc_refuses_bad_fingerprint_and_late_profile_change);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
