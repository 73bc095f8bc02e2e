/* test_srtp.c — SRTP/SRTCP with libsrtp2: round trips in both profiles,
 * forged, replayed and truncated packets dropped and counted. */
#include "gw_check.h"
#include <errno.h>
#include <string.h>
#include <glib.h>
#include "gw/rtcp.h"
#include "gw/srtp.h"

#define BUF_CAP 1500

/* Keys for two ends: A's local key is B's remote key and vice versa. */
static void make_pair(enum gw_srtp_profile prof, struct gw_srtp **a, struct gw_srtp **b)
{
	struct gw_srtp_keys ka, kb;
	size_t kl, sl;

	ck_assert_int_eq(gw_srtp_profile_lengths(prof, &kl, &sl), 0);
	memset(&ka, 0, sizeof(ka));
	ka.profile = prof;
	ka.key_len = kl;
	ka.salt_len = sl;
	for (size_t i = 0; i < kl; i++) {
		ka.local_key[i] = (uint8_t)g_random_int();
		ka.remote_key[i] = (uint8_t)g_random_int();
	}
	for (size_t i = 0; i < sl; i++) {
		ka.local_salt[i] = (uint8_t)g_random_int();
		ka.remote_salt[i] = (uint8_t)g_random_int();
	}
	kb = ka;
	memcpy(kb.local_key, ka.remote_key, kl);
	memcpy(kb.remote_key, ka.local_key, kl);
	memcpy(kb.local_salt, ka.remote_salt, sl);
	memcpy(kb.remote_salt, ka.local_salt, sl);
	ck_assert_int_eq(gw_srtp_alloc(a, &ka), 0);
	ck_assert_int_eq(gw_srtp_alloc(b, &kb), 0);
}

/* A 12-byte RTP header (PT 111, Opus) plus @plen bytes of payload. */
static size_t make_rtp(uint8_t *buf, uint16_t seq, uint32_t ssrc, size_t plen)
{
	buf[0] = 0x80;
	buf[1] = 111;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	memset(buf + 4, 0, 4);
	buf[4] = (uint8_t)(seq >> 2);
	buf[8] = (uint8_t)(ssrc >> 24);
	buf[9] = (uint8_t)(ssrc >> 16);
	buf[10] = (uint8_t)(ssrc >> 8);
	buf[11] = (uint8_t)ssrc;
	for (size_t i = 0; i < plen; i++)
		buf[12 + i] = (uint8_t)(i * 7 + seq);
	return 12 + plen;
}

static void check_round_trip(enum gw_srtp_profile prof, size_t tag)
{
	struct gw_srtp *a, *b;
	uint8_t plain[BUF_CAP], buf[BUF_CAP];
	size_t plen, len;

	make_pair(prof, &a, &b);
	for (uint16_t seq = 65530; seq != 10; seq++) { /* across the wrap */
		plen = make_rtp(plain, seq, 0x11223344, 160);
		memcpy(buf, plain, plen);
		len = plen;
		ck_assert_int_eq(gw_srtp_protect(a, buf, &len, sizeof(buf)), 0);
		ck_assert_uint_eq(len, plen + tag);
		/* payload encrypted, header in clear */
		ck_assert_int_eq(memcmp(buf, plain, 12), 0);
		ck_assert_int_ne(memcmp(buf + 12, plain + 12, 160), 0);
		ck_assert_int_eq(gw_srtp_unprotect(b, buf, &len), 0);
		ck_assert_uint_eq(len, plen);
		ck_assert_int_eq(memcmp(buf, plain, plen), 0);
	}
	/* and the other direction with its own keys */
	plen = make_rtp(plain, 1, 0x55667788, 80);
	memcpy(buf, plain, plen);
	len = plen;
	ck_assert_int_eq(gw_srtp_protect(b, buf, &len, sizeof(buf)), 0);
	ck_assert_int_eq(gw_srtp_unprotect(a, buf, &len), 0);
	ck_assert_int_eq(memcmp(buf, plain, plen), 0);
	gw_srtp_free(a);
	gw_srtp_free(b);
}

START_TEST(test_srtp_round_trip_aes_cm_sha1_80)
{
	check_round_trip(GW_SRTP_AES128_CM_SHA1_80, 10);
}
END_TEST

START_TEST(test_srtp_round_trip_aead_aes_128_gcm)
{
	check_round_trip(GW_SRTP_AEAD_AES_128_GCM, 16);
}
END_TEST

START_TEST(test_srtp_wrong_auth_tag_dropped_and_counted)
{
	struct gw_srtp *a, *b;
	struct gw_srtp_stats st;
	uint8_t buf[BUF_CAP];
	size_t len;

	for (int p = 0; p < 2; p++) {
		make_pair(p ? GW_SRTP_AEAD_AES_128_GCM : GW_SRTP_AES128_CM_SHA1_80, &a, &b);
		len = make_rtp(buf, 100, 1, 50);
		ck_assert_int_eq(gw_srtp_protect(a, buf, &len, sizeof(buf)), 0);
		buf[len - 1] ^= 0x01;
		ck_assert_int_eq(gw_srtp_unprotect(b, buf, &len), EACCES);
		/* a wrong payload byte fails the same way */
		len = make_rtp(buf, 101, 1, 50);
		ck_assert_int_eq(gw_srtp_protect(a, buf, &len, sizeof(buf)), 0);
		buf[20] ^= 0x80;
		ck_assert_int_eq(gw_srtp_unprotect(b, buf, &len), EACCES);
		gw_srtp_stats_get(b, &st);
		ck_assert_uint_eq(st.auth_failures, 2);
		ck_assert_uint_eq(st.replays, 0);
		/* genuine traffic still passes afterwards */
		len = make_rtp(buf, 102, 1, 50);
		ck_assert_int_eq(gw_srtp_protect(a, buf, &len, sizeof(buf)), 0);
		ck_assert_int_eq(gw_srtp_unprotect(b, buf, &len), 0);
		gw_srtp_free(a);
		gw_srtp_free(b);
	}
}
END_TEST

START_TEST(test_srtp_replayed_packet_dropped_and_counted)
{
	struct gw_srtp *a, *b;
	struct gw_srtp_stats st;
	uint8_t buf[BUF_CAP], copy[BUF_CAP];
	size_t len, clen;

	make_pair(GW_SRTP_AES128_CM_SHA1_80, &a, &b);
	len = make_rtp(buf, 500, 9, 40);
	ck_assert_int_eq(gw_srtp_protect(a, buf, &len, sizeof(buf)), 0);
	memcpy(copy, buf, len);
	clen = len;
	ck_assert_int_eq(gw_srtp_unprotect(b, buf, &len), 0);
	ck_assert_int_eq(gw_srtp_unprotect(b, copy, &clen), EALREADY);
	gw_srtp_stats_get(b, &st);
	ck_assert_uint_eq(st.replays, 1);
	ck_assert_uint_eq(st.auth_failures, 0);
	/* our own re-send of the same packet is allowed on the way out */
	len = make_rtp(buf, 500, 9, 40);
	ck_assert_int_eq(gw_srtp_protect(a, buf, &len, sizeof(buf)), 0);
	gw_srtp_free(a);
	gw_srtp_free(b);
}
END_TEST

START_TEST(test_srtcp_round_trip_and_forgery_counted)
{
	struct gw_srtp *a, *b;
	struct gw_srtp_stats st;
	struct gw_rtcp_sender snd = { .ssrc = 0xabcdef01, .sent_rtp = true,
				      .info = { .ntp = 0x1122334455667788ull, .packets = 50, .octets = 8000 } };
	struct gw_rtcp_info info;
	uint8_t plain[BUF_CAP], buf[BUF_CAP];
	size_t plen, len;

	for (int p = 0; p < 2; p++) {
		make_pair(p ? GW_SRTP_AEAD_AES_128_GCM : GW_SRTP_AES128_CM_SHA1_80, &a, &b);
		ck_assert_int_eq(gw_rtcp_build_report(plain, sizeof(plain), &plen, &snd, NULL, "gw@test"), 0);
		memcpy(buf, plain, plen);
		len = plen;
		ck_assert_int_eq(gw_srtp_protect_rtcp(a, buf, &len, sizeof(buf)), 0);
		ck_assert_uint_gt(len, plen);
		ck_assert_int_eq(gw_srtp_unprotect_rtcp(b, buf, &len), 0);
		ck_assert_uint_eq(len, plen);
		ck_assert_int_eq(memcmp(buf, plain, plen), 0);
		ck_assert_int_eq(gw_rtcp_parse(buf, len, &info), 0);
		ck_assert_str_eq(info.cname, "gw@test");

		memcpy(buf, plain, plen);
		len = plen;
		ck_assert_int_eq(gw_srtp_protect_rtcp(a, buf, &len, sizeof(buf)), 0);
		buf[10] ^= 0x04;
		ck_assert_int_eq(gw_srtp_unprotect_rtcp(b, buf, &len), EACCES);
		gw_srtp_stats_get(b, &st);
		ck_assert_uint_eq(st.auth_failures, 1);
		gw_srtp_free(a);
		gw_srtp_free(b);
	}
}
END_TEST

START_TEST(test_srtp_truncated_packets_refused_and_counted)
{
	struct gw_srtp *a, *b;
	struct gw_srtp_stats st;
	uint8_t buf[BUF_CAP], good[BUF_CAP];
	size_t len, glen;
	unsigned refused = 0;

	make_pair(GW_SRTP_AES128_CM_SHA1_80, &a, &b);
	glen = make_rtp(good, 7, 3, 20);
	ck_assert_int_eq(gw_srtp_protect(a, good, &glen, sizeof(good)), 0);
	/* every prefix of a good packet is refused, never accepted */
	for (size_t cut = 0; cut < glen; cut++) {
		memcpy(buf, good, glen);
		len = cut;
		ck_assert_int_ne(gw_srtp_unprotect(b, buf, &len), 0);
		refused++;
	}
	gw_srtp_stats_get(b, &st);
	ck_assert_uint_eq(st.malformed + st.auth_failures + st.other_errors, refused);
	ck_assert_uint_ge(st.malformed, 12); /* shorter than the RTP header */

	/* header claiming 15 CSRCs in 40 bytes */
	len = make_rtp(buf, 8, 3, 28);
	buf[0] |= 0x0f;
	ck_assert_int_eq(gw_srtp_unprotect(b, buf, &len), EINVAL);
	/* extension header running past the end */
	len = make_rtp(buf, 9, 3, 8);
	buf[0] |= 0x10;
	buf[14] = 0xff;
	ck_assert_int_eq(gw_srtp_unprotect(b, buf, &len), EINVAL);
	/* not version 2 */
	len = make_rtp(buf, 10, 3, 40);
	buf[0] = 0x40;
	ck_assert_int_eq(gw_srtp_unprotect(b, buf, &len), EINVAL);
	/* SRTCP shorter than header + index */
	len = 8;
	memcpy(buf, "\x81\xc9\x00\x01\x00\x00\x00\x01", 8);
	ck_assert_int_eq(gw_srtp_unprotect_rtcp(b, buf, &len), EINVAL);

	/* the real packet still goes through */
	ck_assert_int_eq(gw_srtp_unprotect(b, good, &glen), 0);
	gw_srtp_free(a);
	gw_srtp_free(b);
}
END_TEST

START_TEST(test_srtp_protect_refuses_buffer_without_room_for_tag)
{
	struct gw_srtp *a, *b;
	uint8_t buf[BUF_CAP];
	size_t len = make_rtp(buf, 1, 1, 160);

	make_pair(GW_SRTP_AES128_CM_SHA1_80, &a, &b);
	ck_assert_int_eq(gw_srtp_protect(a, buf, &len, len + 4), ENOBUFS);
	ck_assert_uint_eq(len, 172);
	ck_assert_int_eq(gw_srtp_protect(a, buf, &len, len + GW_SRTP_PROTECT_ROOM), 0);
	len = 4;
	ck_assert_int_eq(gw_srtp_protect(a, buf, &len, sizeof(buf)), EINVAL);
	gw_srtp_free(a);
	gw_srtp_free(b);
}
END_TEST

START_TEST(test_srtp_alloc_refuses_unknown_profile_or_lengths)
{
	struct gw_srtp_keys k;
	struct gw_srtp *s = NULL;

	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(gw_srtp_alloc(&s, &k), EINVAL);
	k.profile = GW_SRTP_AEAD_AES_128_GCM;
	k.key_len = 16;
	k.salt_len = 14; /* GCM uses 12 */
	ck_assert_int_eq(gw_srtp_alloc(&s, &k), EINVAL);
	k.salt_len = 12;
	ck_assert_int_eq(gw_srtp_alloc(&s, &k), 0);
	ck_assert_str_eq(gw_srtp_profile_name(k.profile), "AEAD_AES_128_GCM");
	gw_srtp_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("srtp");
	TCase *tc = tcase_create("srtp");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_srtp_round_trip_aes_cm_sha1_80);
	tcase_add_test(tc, test_srtp_round_trip_aead_aes_128_gcm);
	tcase_add_test(tc, test_srtp_wrong_auth_tag_dropped_and_counted);
	tcase_add_test(tc, test_srtp_replayed_packet_dropped_and_counted);
	tcase_add_test(tc, test_srtcp_round_trip_and_forgery_counted);
	tcase_add_test(tc, test_srtp_truncated_packets_refused_and_counted);
	tcase_add_test(tc, test_srtp_protect_refuses_buffer_without_room_for_tag);
	tcase_add_test(tc, test_srtp_alloc_refuses_unknown_profile_or_lengths);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
