/* test_api.c — JSON API v1 framing: every malformed message gets the right
 * error code, the session keeps working, hello/ping/JWT behave. */
#include "gw_check.h"
#include <glib.h>
#include <string.h>
#include <openssl/hmac.h>
#include "signal_priv.h"
#include "gw/obj.h"

static GPtrArray *replies;

static void sink(const char *text, void *arg)
{
	g_ptr_array_add(replies, g_strdup(text));
}

static struct gw_signal_cfg cfg = {
	.max_frame = 1024,
	.max_sessions = 10,
	.hello_timeout_s = 10,
	.auth_none = true,
	.jwt_secret = "0123456789abcdef0123456789abcdef",
};

static struct gw_ws_session *session;

static void setup(void)
{
	replies = g_ptr_array_new_with_free_func(g_free);
	session = gw_ws_session_new_detached(&cfg, sink, NULL);
	gw_api_session_added(session);
}

static void teardown(void)
{
	gw_api_session_removed(session);
	session = gw_obj_deref(session);
	g_ptr_array_unref(replies);
}

/* Send @text as one message; return the single reply (caller json_decref). */
static json_t *exchange(const char *text)
{
	guint before = replies->len;
	json_t *j;

	gw_ws_session_on_rx(session, text, strlen(text), true);
	ck_assert_msg(replies->len == before + 1, "expected one reply to %s, got %u", text,
		      replies->len - before);
	j = json_loads(replies->pdata[replies->len - 1], 0, NULL);
	ck_assert_ptr_nonnull(j);
	return j;
}

static void expect_error(const char *text, const char *code, const char *msg_part)
{
	json_t *r = exchange(text);
	const char *m = json_string_value(json_object_get(r, "message"));

	ck_assert_str_eq(json_string_value(json_object_get(r, "type")), "error");
	ck_assert_msg(!strcmp(json_string_value(json_object_get(r, "code")), code),
		      "%s: code %s, want %s", text, json_string_value(json_object_get(r, "code")), code);
	ck_assert_msg(m && strstr(m, msg_part), "%s: message '%s' lacks '%s'", text, m, msg_part);
	json_decref(r);
}

static void expect_pong(void)
{
	json_t *r = exchange("{\"type\":\"ping\",\"tid\":\"p\"}");

	ck_assert_str_eq(json_string_value(json_object_get(r, "type")), "pong");
	ck_assert_str_eq(json_string_value(json_object_get(r, "tid")), "p");
	json_decref(r);
}

static const struct {
	const char *text, *code, *msg;
} malformed[] = {
	{ "{", "bad_request", "not JSON" },
	{ "", "bad_request", "not JSON" },
	{ "hello", "bad_request", "not JSON" },
	{ "{\"type\":\"ping\"} trailing", "bad_request", "not JSON" },
	{ "\xff\xfe{}", "bad_request", "not JSON" },
	{ "[1,2]", "bad_request", "must be a JSON object" },
	{ "\"ping\"", "bad_request", "not JSON" }, /* jansson refuses bare strings at top */
	{ "42", "bad_request", "not JSON" },
	{ "{\"tid\":1}", "bad_request", "missing field 'type'" },
	{ "{\"type\":5}", "bad_request", "field 'type' must be a string" },
	{ "{\"type\":\"frobnicate\"}", "bad_request", "unknown type 'frobnicate'" },
	{ "{\"type\":\"ping\",\"tid\":{}}", "bad_request", "tid must be" },
	{ "{\"type\":\"ping\",\"type\":\"ping\"}", "bad_request", "not JSON" },
	{ "{\"type\":\"hello\"}", "bad_request", "missing field 'user'" },
	{ "{\"type\":\"hello\",\"user\":\"\"}", "bad_request", "field 'user' must be a non-empty string" },
	{ "{\"type\":\"hello\",\"user\":7}", "bad_request", "field 'user' must be" },
	{ "{\"type\":\"hello\",\"user\":\"a b\"}", "bad_request", "user must be" },
	{ "{\"type\":\"call\",\"call\":\"c1\"}", "unauthorized", "send hello first" },
};

START_TEST(test_api_malformed_message_gets_error_and_session_survives)
{
	/* "call" needs hello: register a handler that must never run. */
	expect_error(malformed[_i].text, malformed[_i].code, malformed[_i].msg);
	expect_pong();
}
END_TEST

static void never_called(struct gw_ws_session *s, json_t *msg, json_t *tid)
{
	ck_abort_msg("handler ran before hello");
}

START_TEST(test_api_error_echoes_tid_and_call)
{
	json_t *r = exchange("{\"type\":\"nope\",\"tid\":17,\"call\":\"c9\"}");

	ck_assert_int_eq(json_integer_value(json_object_get(r, "tid")), 17);
	ck_assert_str_eq(json_string_value(json_object_get(r, "call")), "c9");
	json_decref(r);
}
END_TEST

START_TEST(test_api_hello_welcomes_user_once)
{
	json_t *r = exchange("{\"type\":\"hello\",\"user\":\"alice\",\"tid\":\"h\"}");

	ck_assert_str_eq(json_string_value(json_object_get(r, "type")), "welcome");
	ck_assert_str_eq(json_string_value(json_object_get(r, "user")), "alice");
	ck_assert_str_eq(json_string_value(json_object_get(r, "tid")), "h");
	ck_assert_str_eq(json_string_value(json_object_get(r, "session")), gw_ws_session_id(session));
	ck_assert(json_is_array(json_object_get(r, "ice_servers")));
	json_decref(r);
	ck_assert_str_eq(gw_ws_session_user(session), "alice");
	expect_error("{\"type\":\"hello\",\"user\":\"bob\"}", "bad_request", "already");
	ck_assert_str_eq(gw_ws_session_user(session), "alice");
}
END_TEST

/* A registered connection from @peer that has not said hello (the caller
 * removes and derefs it). */
static struct gw_ws_session *pending_from(const struct gw_signal_cfg *c, const char *peer)
{
	struct gw_ws_session *s = gw_ws_session_new_detached(c, sink, NULL);

	g_strlcpy(s->peer, peer, sizeof(s->peer));
	gw_api_session_added(s);
	return s;
}

static void drop(struct gw_ws_session *s)
{
	gw_api_session_removed(s);
	gw_obj_deref(s);
}

/* What counts as one address: IPv4 as it is, also mapped into IPv6; IPv6
 * by its /64; no address (lws's text for a getpeername error) none. */
START_TEST(test_api_peer_key_is_the_address_or_its_64)
{
	char a[48], b[48];

	gw_ws_peer_key("192.0.2.1", a, sizeof(a));
	ck_assert_str_eq(a, "192.0.2.1");
	gw_ws_peer_key("::ffff:192.0.2.1", a, sizeof(a));
	ck_assert_str_eq(a, "192.0.2.1");
	gw_ws_peer_key("2001:db8:1:2:aaaa::1", a, sizeof(a));
	gw_ws_peer_key("2001:db8:1:2:bbbb:cccc:dddd:2", b, sizeof(b));
	ck_assert_str_eq(a, "2001:db8:1:2::/64");
	ck_assert_str_eq(b, a);
	gw_ws_peer_key("2001:db8:1:3::1", b, sizeof(b));
	ck_assert_str_ne(b, a);
	gw_ws_peer_key("getpeername: Transport endpoint is not connected", a, sizeof(a));
	ck_assert_str_eq(a, "");
}
END_TEST

/* signal.max_pending_per_ip: two connections from 192.0.2.1 awaiting
 * hello fill that address's allowance; another from it is refused with a
 * reason, one from elsewhere is not, and once one of the two has said
 * hello the address may open another.  0 lifts the limit. */
START_TEST(test_api_pending_connections_are_limited_per_address)
{
	struct gw_signal_cfg c = cfg;
	struct gw_ws_session *a, *b, *x;
	const char *hello = "{\"type\":\"hello\",\"user\":\"alice\"}";
	char why[96] = "";

	c.max_pending_per_ip = 2;
	a = pending_from(&c, "192.0.2.1");
	b = pending_from(&c, "192.0.2.1");
	x = gw_ws_session_new_detached(&c, sink, NULL);
	g_strlcpy(x->peer, "192.0.2.1", sizeof(x->peer));
	ck_assert(!gw_api_session_admit(x, why, sizeof(why)));
	ck_assert_msg(strstr(why, "awaiting hello (limit 2)"), "%s", why);
	g_strlcpy(x->peer, "192.0.2.2", sizeof(x->peer));
	ck_assert(gw_api_session_admit(x, why, sizeof(why)));
	/* a said hello: it no longer waits */
	gw_ws_session_on_rx(a, hello, strlen(hello), true);
	ck_assert_str_eq(gw_ws_session_user(a), "alice");
	g_strlcpy(x->peer, "192.0.2.1", sizeof(x->peer));
	ck_assert(gw_api_session_admit(x, why, sizeof(why)));
	/* two waiting again: refused, unless the limit is 0 */
	drop(a);
	a = pending_from(&c, "192.0.2.1");
	ck_assert(!gw_api_session_admit(x, why, sizeof(why)));
	c.max_pending_per_ip = 0;
	ck_assert(gw_api_session_admit(x, why, sizeof(why)));
	gw_obj_deref(x);
	drop(a);
	drop(b);
}
END_TEST

START_TEST(test_api_oversized_message_refused_then_next_one_works)
{
	GString *big = g_string_new("{\"type\":\"ping\",\"pad\":\"");
	guint before = replies->len;

	while (big->len < 3000)
		g_string_append(big, "xxxxxxxxxxxxxxxx");
	g_string_append(big, "\"}");
	/* Delivered in fragments, as lws does for large messages. */
	gw_ws_session_on_rx(session, big->str, 1000, false);
	gw_ws_session_on_rx(session, big->str + 1000, 1000, false);
	gw_ws_session_on_rx(session, big->str + 2000, big->len - 2000, true);
	ck_assert_uint_eq(replies->len, before + 1);
	ck_assert_ptr_nonnull(strstr(replies->pdata[before], "larger than 1024 bytes"));
	ck_assert_ptr_nonnull(strstr(replies->pdata[before], "bad_request"));
	g_string_free(big, TRUE);
	expect_pong();
}
END_TEST

START_TEST(test_api_fragments_are_assembled_into_one_message)
{
	const char *msg = "{\"type\":\"ping\",\"tid\":\"frag\"}";
	guint before = replies->len;

	gw_ws_session_on_rx(session, msg, 5, false);
	gw_ws_session_on_rx(session, msg + 5, 10, false);
	ck_assert_uint_eq(replies->len, before);
	gw_ws_session_on_rx(session, msg + 15, strlen(msg) - 15, true);
	ck_assert_uint_eq(replies->len, before + 1);
	ck_assert_ptr_nonnull(strstr(replies->pdata[before], "\"frag\""));
}
END_TEST

/* --- JWT (auth.mode = jwt) --- */

static char *b64url(const void *data, size_t len)
{
	char *s = g_base64_encode(data, len);
	size_t n = strlen(s);

	while (n && s[n - 1] == '=')
		s[--n] = 0;
	g_strdelimit(s, "+", '-');
	g_strdelimit(s, "/", '_');
	return s;
}

static char *make_jwt(const char *alg, const char *claims, const char *secret)
{
	char *hdr = g_strdup_printf("{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
	char *h = b64url(hdr, strlen(hdr)), *c = b64url(claims, strlen(claims));
	char *signing = g_strdup_printf("%s.%s", h, c), *sig, *tok;
	unsigned char mac[32];
	unsigned int mlen = 0;

	HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)signing, strlen(signing),
	     mac, &mlen);
	sig = b64url(mac, mlen);
	tok = g_strdup_printf("%s.%s", signing, sig);
	g_free(hdr);
	g_free(h);
	g_free(c);
	g_free(signing);
	g_free(sig);
	return tok;
}

static void hello_token(const char *token, const char *want_type, const char *want)
{
	char *text = g_strdup_printf("{\"type\":\"hello\",\"token\":\"%s\"}", token);
	json_t *r = exchange(text);

	ck_assert_str_eq(json_string_value(json_object_get(r, "type")), want_type);
	if (!strcmp(want_type, "welcome"))
		ck_assert_str_eq(json_string_value(json_object_get(r, "user")), want);
	else
		ck_assert_msg(strstr(json_string_value(json_object_get(r, "message")), want), "%s",
			      json_string_value(json_object_get(r, "message")));
	json_decref(r);
	g_free(text);
}

START_TEST(test_api_jwt_good_expired_and_forged_tokens)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	char *good_claims = g_strdup_printf("{\"sub\":\"carol\",\"exp\":%" G_GINT64_FORMAT
					    ",\"allowed\":[\"+1\",\"echo\"]}", now + 600);
	char *old_claims = g_strdup_printf("{\"sub\":\"carol\",\"exp\":%" G_GINT64_FORMAT "}", now - 5);
	char *good = make_jwt("HS256", good_claims, cfg.jwt_secret);
	char *expired = make_jwt("HS256", old_claims, cfg.jwt_secret);
	char *forged = make_jwt("HS256", good_claims, "another-secret-another-secret-xx");
	char *none_alg = make_jwt("none", good_claims, cfg.jwt_secret);
	char *bad_sub_claims = g_strdup_printf("{\"sub\":\"a b\",\"exp\":%" G_GINT64_FORMAT "}", now + 600);
	char *bad_sub = make_jwt("HS256", bad_sub_claims, cfg.jwt_secret);
	char *huge_exp = make_jwt("HS256", "{\"sub\":\"dave\",\"exp\":1e300}", cfg.jwt_secret);

	cfg.auth_none = false;
	hello_token("not-a-token", "error", "not a JWS");
	hello_token(expired, "error", "expired");
	hello_token(forged, "error", "bad token signature");
	hello_token(none_alg, "error", "HS256");
	hello_token(bad_sub, "error", "not a valid user name");
	expect_error("{\"type\":\"hello\",\"user\":\"mallory\"}", "unauthorized", "token");
	ck_assert_ptr_null(gw_ws_session_user(session));
	hello_token(huge_exp, "welcome", "dave"); /* far future, no overflow */
	teardown(); /* a fresh session for the next hello */
	setup();
	hello_token(good, "welcome", "carol");
	ck_assert_str_eq(session->allowed[0], "+1");
	ck_assert_str_eq(session->allowed[1], "echo");
	cfg.auth_none = true;
	g_free(good_claims);
	g_free(old_claims);
	g_free(good);
	g_free(expired);
	g_free(forged);
	g_free(none_alg);
	g_free(bad_sub_claims);
	g_free(bad_sub);
	g_free(huge_exp);
}
END_TEST

/* caller_id / caller_name: kept for the session's calls; a claim that
 * could not be a From user or display name refuses the token. */
START_TEST(test_api_jwt_caller_claims)
{
	gint64 exp = g_get_real_time() / G_USEC_PER_SEC + 600;
	static const char *const bad[][2] = {
		{ "\"caller_id\":\"+1 555\"", "caller_id" },
		{ "\"caller_id\":\"15#5\"", "caller_id" },
		{ "\"caller_id\":\"1+5\"", "caller_id" },
		{ "\"caller_id\":\"\"", "caller_id" },
		{ "\"caller_id\":\"123456789012345678901234567890123\"", "caller_id" },
		{ "\"caller_id\":15551230000", "caller_id" },
		{ "\"caller_name\":\"Bob\\r\\nX-Evil: 1\"", "caller_name" },
		{ "\"caller_name\":\"\"", "caller_name" },
		{ "\"caller_name\":[\"Bob\"]", "caller_name" },
	};
	char *claims, *token;

	cfg.auth_none = false;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		claims = g_strdup_printf("{\"sub\":\"carol\",\"exp\":%" G_GINT64_FORMAT ",%s}", exp,
					 bad[i][0]);
		token = make_jwt("HS256", claims, cfg.jwt_secret);
		hello_token(token, "error", bad[i][1]);
		ck_assert_ptr_null(gw_ws_session_user(session));
		g_free(claims);
		g_free(token);
	}
	claims = g_strdup_printf("{\"sub\":\"carol\",\"exp\":%" G_GINT64_FORMAT
				 ",\"caller_id\":\"+15551230000\",\"caller_name\":\"Carol \\\"C\\\" Ng\"}", exp);
	token = make_jwt("HS256", claims, cfg.jwt_secret);
	hello_token(token, "welcome", "carol");
	ck_assert_str_eq(gw_ws_session_caller_id(session), "+15551230000");
	ck_assert_str_eq(gw_ws_session_caller_name(session), "Carol \"C\" Ng");
	cfg.auth_none = true;
	g_free(claims);
	g_free(token);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("api");

	gw_signal_register("call", never_called);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_api_malformed_message_gets_error_and_session_survives, 0,
			    G_N_ELEMENTS(malformed));
	tcase_add_test(tc, test_api_error_echoes_tid_and_call);
	tcase_add_test(tc, test_api_hello_welcomes_user_once);
	tcase_add_test(tc, test_api_pending_connections_are_limited_per_address);
	tcase_add_test(tc, test_api_peer_key_is_the_address_or_its_64);
	tcase_add_test(tc, test_api_oversized_message_refused_then_next_one_works);
	tcase_add_test(tc, test_api_fragments_are_assembled_into_one_message);
	tcase_add_test(tc, test_api_jwt_good_expired_and_forged_tokens);
	tcase_add_test(tc, test_api_jwt_caller_claims);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
