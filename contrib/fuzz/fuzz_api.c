/* fuzz_api.c — libFuzzer harness for the browser JSON API framing
 * (src/signal/session.c message assembly, src/signal/api.c dispatch and
 * hello, src/signal/auth.c JWT verification).
 *
 * A session without a socket (gw_ws_session_new_detached, as
 * tests/unit/test_api.c does) is fed WebSocket messages with
 * gw_ws_session_on_rx; its replies go to a sink.  Input layout:
 *
 *   byte 0, bits 0-1: mode
 *       0  auth.mode = none, max_frame 65536 (the default)
 *       1  auth.mode = jwt: tokens are taken as they come (the signature
 *          check stops nearly all of them; the framing before it is tested)
 *       2  auth.mode = jwt, token signed here: the rest is
 *          "HEADER-JSON \0 CLAIMS-JSON"; the harness base64url-encodes both,
 *          signs them with the configured secret and sends a hello with the
 *          token, then a ping (so the claims parser is reached)
 *       3  auth.mode = none, max_frame 1024 (the minimum: oversized path)
 *   byte 0, bits 2-4: k; 0 delivers each message in one piece, otherwise in
 *       fragments of 2^(k-1) bytes (final only on the last), as lws does
 *   rest: up to 16 messages separated by NUL bytes (modes 0, 1, 3).
 *
 * A "call" handler that needs hello is registered, as the call layer does.
 * Oracle: each complete message gets exactly one reply (abort() otherwise);
 * FUZZ_ORACLE=0 keeps only the sanitizers.  Everything is released, so
 * LeakSanitizer sees leaks; gw_obj_live() must come back to where it was.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "signal_priv.h"
#include "gw/log.h"
#include "fuzz_env.h"
#include "gw/obj.h"

#define MAX_MESSAGES 16
#define SECRET "0123456789abcdef0123456789abcdef"

static bool oracle = true;
static unsigned replies;

static void sink(const char *text, void *arg)
{
	json_t *j = json_loads(text, 0, NULL);

	(void)arg;
	/* every reply is an object with a type */
	if (oracle && (!j || !json_is_string(json_object_get(j, "type")))) {
		fprintf(stderr, "ORACLE: reply is not an object with a type: %s\n", text);
		abort();
	}
	json_decref(j);
	replies++;
}

/* What the call layer's handlers start with (src/call/call.c on_call). */
static void on_call(struct gw_ws_session *s, json_t *msg, json_t *tid)
{
	const char *to = gw_api_require_string(s, msg, tid, "to");
	json_t *reply;

	if (!to || !gw_api_require_string(s, msg, tid, "sdp"))
		return;
	reply = json_pack("{s:s, s:s}", "type", "ringing", "to", to);
	if (tid)
		json_object_set(reply, "tid", tid);
	gw_ws_session_send(s, reply);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	oracle = fuzz_env_init();
	gw_signal_register("call", on_call);
	return 0;
}

/* Deliver @len bytes as one message, in pieces of @frag bytes (0: whole). */
static void deliver(struct gw_ws_session *s, const char *buf, size_t len, size_t frag)
{
	size_t off = 0;

	if (!frag || len == 0) {
		gw_ws_session_on_rx(s, buf, len, true);
		return;
	}
	while (off < len) {
		size_t n = MIN(frag, len - off);

		gw_ws_session_on_rx(s, buf + off, n, off + n == len);
		off += n;
	}
}

static char *b64url(const void *data, size_t len)
{
	char *s = g_base64_encode(data, len);
	size_t n = strlen(s);

	while (n && s[n - 1] == '=')
		s[--n] = '\0';
	g_strdelimit(s, "+", '-');
	g_strdelimit(s, "/", '_');
	return s;
}

/* Mode 2: a correctly signed token from the two JSON parts in @p. */
static char *signed_hello(const char *p, size_t len)
{
	const char *nul = memchr(p, '\0', len);
	size_t hlen = nul ? (size_t)(nul - p) : len;
	const char *claims = nul ? nul + 1 : "";
	size_t clen = nul ? len - hlen - 1 : 0;
	char *h = b64url(p, hlen), *c = b64url(claims, clen), *sig, *signing, *text;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	json_t *msg;

	signing = g_strdup_printf("%s.%s", h, c);
	HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)signing,
	     strlen(signing), mac, &mlen);
	sig = b64url(mac, mlen);
	msg = json_pack("{s:s, s:s++, s:i}", "type", "hello", "token", signing, ".", sig, "tid", 1);
	text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	g_free(h);
	g_free(c);
	g_free(sig);
	g_free(signing);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_signal_cfg cfg = {
		.max_frame = 65536, .max_sessions = 10, .hello_timeout_s = 10,
		.auth_none = true, .jwt_secret = SECRET,
	};
	const char *p = (const char *)data + 1;
	size_t len = size ? size - 1 : 0, frag;
	long live = gw_obj_live();
	struct gw_ws_session *s;
	unsigned mode, k, expect = 0;

	if (size == 0)
		return 0;
	mode = data[0] & 3;
	k = (data[0] >> 2) & 7;
	frag = k ? (size_t)1 << (k - 1) : 0;
	cfg.auth_none = mode == 0 || mode == 3;
	if (mode == 3)
		cfg.max_frame = 1024;

	replies = 0;
	s = gw_ws_session_new_detached(&cfg, sink, NULL);
	gw_api_session_added(s);
	if (mode == 2) {
		char *hello = signed_hello(p, len);

		if (hello) {
			deliver(s, hello, strlen(hello), frag);
			expect++;
			free(hello);
		}
		deliver(s, "{\"type\":\"ping\"}", 15, frag);
		expect++;
	} else {
		for (unsigned n = 0; n < MAX_MESSAGES && len; n++) {
			const char *nul = memchr(p, '\0', len);
			size_t mlen = nul ? (size_t)(nul - p) : len;

			deliver(s, p, mlen, frag);
			expect++;
			p += mlen;
			len -= mlen;
			if (nul) {
				p++;
				len--;
			}
		}
	}
	if (oracle && replies != expect && gw_ws_session_open(s)) {
		fprintf(stderr, "ORACLE: %u messages got %u replies\n", expect, replies);
		abort();
	}
	gw_api_session_removed(s);
	gw_obj_deref(s);
	if (oracle && gw_obj_live() != live) {
		fprintf(stderr, "ORACLE: %ld gw_obj objects leaked\n", gw_obj_live() - live);
		abort();
	}
	return 0;
}
