/* test_srtp_ossl.c — libsrtp2 on OpenSSL crypto (src/webrtc/srtp_ossl.c):
 * byte-for-byte the same SRTP/SRTCP as libsrtp's own (NSS) crypto, in a
 * forked child that keeps it; forged packets refused; wrong vectors and
 * broken implementations refused by libsrtp's self-test; and
 * RTCSIP_SRTP_CRYPTO=libsrtp keeps libsrtp's own types.
 *
 * Which type libsrtp's kernel holds is read through
 * srtp_crypto_kernel_get_{cipher,auth}_type: exported by libsrtp2.so but
 * declared in a header Debian does not install, so looked up with dlsym;
 * without it those checks print SKIP and the rest still runs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_DEFAULT */
#endif
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <glib.h>
#include <srtp2/srtp.h>
#include "gw/srtp.h"
#include "srtp_ossl.h"

#define BUF_CAP 2000
#define N_PROFILES 4

/* The four profiles whose primitives we replace: the two rtcsip
 * negotiates through gw_srtp, the AES-256 two through libsrtp directly. */
static const struct prof {
	const char *name;
	enum gw_srtp_profile gw; /* GW_SRTP_NONE: not in gw_srtp */
	void (*policy)(srtp_crypto_policy_t *p); /* for libsrtp directly */
	size_t key_len, salt_len, tag_len;
	bool aead;
} profs[N_PROFILES] = {
	{ "AES_CM_128_HMAC_SHA1_80", GW_SRTP_AES128_CM_SHA1_80, NULL, 16, 14, 10, false },
	{ "AEAD_AES_128_GCM", GW_SRTP_AEAD_AES_128_GCM, NULL, 16, 12, 16, true },
	{ "AES_256_CM_HMAC_SHA1_80", GW_SRTP_NONE, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80, 32, 14,
	  10, false },
	{ "AEAD_AES_256_GCM", GW_SRTP_NONE, srtp_crypto_policy_set_aes_gcm_256_16_auth, 32, 12, 16, true },
};

/* RTP packets: sequence numbers across the 16-bit wrap (the rollover
 * counter enters the tag and the IV) and payloads of 0 to 1200 bytes. */
static const struct { uint16_t seq; size_t plen; } rtp_pkts[] = {
	{ 65530, 160 }, { 65531, 0 }, { 65532, 1200 }, { 65533, 1 }, { 65534, 17 },
	{ 65535, 100 }, { 0, 160 }, { 1, 1200 }, { 2, 0 }, { 3, 64 },
};
#define N_RTP G_N_ELEMENTS(rtp_pkts)
#define N_RTCP 3

/* ---- one end: gw_srtp where it has the profile, libsrtp otherwise ---- */

struct end {
	struct gw_srtp *gw;
	srtp_t tx, rx;
};

/* Fixed master keys: end A sends with key/salt A and receives with B; the
 * mirrored end (@is_b) the other way round. */
static void fill_key(uint8_t *key, uint8_t *salt, const struct prof *p, uint8_t seed)
{
	for (size_t i = 0; i < p->key_len; i++)
		key[i] = (uint8_t)(seed + 7 * i);
	for (size_t i = 0; i < p->salt_len; i++)
		salt[i] = (uint8_t)(seed ^ (0x5c + 3 * i));
}

static int lib_session(srtp_t *out, const struct prof *p, uint8_t seed, bool outbound)
{
	uint8_t master[32 + 14];
	srtp_policy_t pol;

	memset(&pol, 0, sizeof(pol));
	p->policy(&pol.rtp);
	p->policy(&pol.rtcp);
	fill_key(master, master + p->key_len, p, seed);
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	pol.key = master;
	return srtp_create(out, &pol) == srtp_err_status_ok ? 0 : EIO;
}

static int end_open(struct end *e, const struct prof *p, bool is_b)
{
	uint8_t a = 0x21, b = 0x93;

	memset(e, 0, sizeof(*e));
	if (gw_srtp_init())
		return EIO;
	if (p->gw != GW_SRTP_NONE) {
		struct gw_srtp_keys k = { .profile = p->gw, .key_len = p->key_len, .salt_len = p->salt_len };

		fill_key(k.local_key, k.local_salt, p, is_b ? b : a);
		fill_key(k.remote_key, k.remote_salt, p, is_b ? a : b);
		return gw_srtp_alloc(&e->gw, &k);
	}
	if (lib_session(&e->tx, p, is_b ? b : a, true) || lib_session(&e->rx, p, is_b ? a : b, false))
		return EIO;
	return 0;
}

static void end_close(struct end *e)
{
	gw_srtp_free(e->gw);
	if (e->tx)
		srtp_dealloc(e->tx);
	if (e->rx)
		srtp_dealloc(e->rx);
}

static int lib_status(srtp_err_status_t st)
{
	return st == srtp_err_status_ok ? 0 : st == srtp_err_status_auth_fail ? EACCES : EIO;
}

static int end_protect(struct end *e, uint8_t *buf, size_t *len, bool rtcp)
{
	int n = (int)*len, err;

	if (e->gw)
		return rtcp ? gw_srtp_protect_rtcp(e->gw, buf, len, BUF_CAP)
			    : gw_srtp_protect(e->gw, buf, len, BUF_CAP);
	err = lib_status(rtcp ? srtp_protect_rtcp(e->tx, buf, &n) : srtp_protect(e->tx, buf, &n));
	if (!err)
		*len = (size_t)n;
	return err;
}

static int end_unprotect(struct end *e, uint8_t *buf, size_t *len, bool rtcp)
{
	int n = (int)*len, err;

	if (e->gw)
		return rtcp ? gw_srtp_unprotect_rtcp(e->gw, buf, len) : gw_srtp_unprotect(e->gw, buf, len);
	err = lib_status(rtcp ? srtp_unprotect_rtcp(e->rx, buf, &n) : srtp_unprotect(e->rx, buf, &n));
	if (!err)
		*len = (size_t)n;
	return err;
}

/* ---- plaintext packets, the same in child and parent ---- */

static size_t make_rtp(uint8_t *buf, size_t i)
{
	uint16_t seq = rtp_pkts[i].seq;
	uint32_t ts = 960u * (uint32_t)i;

	buf[0] = 0x80;
	buf[1] = 111;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	buf[4] = (uint8_t)(ts >> 24);
	buf[5] = (uint8_t)(ts >> 16);
	buf[6] = (uint8_t)(ts >> 8);
	buf[7] = (uint8_t)ts;
	memcpy(buf + 8, "\x1a\x2b\x3c\x4d", 4);
	for (size_t j = 0; j < rtp_pkts[i].plen; j++)
		buf[12 + j] = (uint8_t)(j * 13 + i);
	return 12 + rtp_pkts[i].plen;
}

/* An empty RR (8 bytes), an SR + SDES CNAME (48), a 1200-byte APP. */
static size_t make_rtcp(uint8_t *buf, size_t i)
{
	static const uint8_t rr[8] = { 0x80, 201, 0, 1, 0x1a, 0x2b, 0x3c, 0x4d };
	static const uint8_t sr_sdes[48] = {
		0x80, 200, 0, 6, 0x1a, 0x2b, 0x3c, 0x4d, 0xe8, 0x1f, 0x2a, 0x10, 0x40, 0, 0, 0,
		0, 0, 0x3c, 0, 0, 0, 0, 50, 0, 0, 0x1f, 0x40,
		0x81, 202, 0, 4, 0x1a, 0x2b, 0x3c, 0x4d, 1, 7, 'g', 'w', '@', 't', 'e', 's', 't', 0, 0, 0,
	};

	if (i == 0) {
		memcpy(buf, rr, sizeof(rr));
		return sizeof(rr);
	}
	if (i == 1) {
		memcpy(buf, sr_sdes, sizeof(sr_sdes));
		return sizeof(sr_sdes);
	}
	memcpy(buf, "\x80\xcc\x01\x2b\x1a\x2b\x3c\x4dTEST", 12); /* APP, 300 words */
	for (size_t j = 12; j < 1200; j++)
		buf[j] = (uint8_t)(j * 31);
	return 1200;
}

/* ---- what libsrtp's kernel holds ---- */

typedef const srtp_cipher_type_t *(get_cipher_h)(srtp_cipher_type_id_t id);
typedef const srtp_auth_type_t *(get_auth_h)(srtp_auth_type_id_t id);

static const srtp_cipher_type_id_t cipher_ids[] = {
	SRTP_AES_ICM_128, SRTP_AES_ICM_256, SRTP_AES_GCM_128, SRTP_AES_GCM_256,
};

/* Bit i set when the kernel holds our type for cipher_ids[i], bit 4 for
 * HMAC-SHA1; -1 when libsrtp does not let us look. */
static int ours_installed(void)
{
	get_cipher_h *get_cipher = (get_cipher_h *)dlsym(RTLD_DEFAULT, "srtp_crypto_kernel_get_cipher_type");
	get_auth_h *get_auth = (get_auth_h *)dlsym(RTLD_DEFAULT, "srtp_crypto_kernel_get_auth_type");
	int mask = 0;

	if (!get_cipher || !get_auth)
		return -1;
	for (size_t i = 0; i < G_N_ELEMENTS(cipher_ids); i++)
		if (get_cipher(cipher_ids[i]) == gw_srtp_ossl_cipher_type(cipher_ids[i]))
			mask |= 1 << i;
	if (get_auth(SRTP_HMAC_SHA1) == gw_srtp_ossl_auth_type(SRTP_HMAC_SHA1))
		mask |= 1 << 4;
	return mask;
}

#define ALL_OURS 0x1f

/* ---- the child: libsrtp's own crypto protects every packet ---- */

static bool write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static bool child_send(int fd, const uint8_t *buf, size_t len)
{
	uint32_t n = (uint32_t)len;

	return write_all(fd, &n, sizeof(n)) && write_all(fd, buf, len);
}

static void child_protect_all(int fd)
{
	uint8_t buf[BUF_CAP];
	int8_t mask;

	setenv(GW_SRTP_CRYPTO_ENV, "libsrtp", 1);
	if (gw_srtp_init())
		_exit(2);
	mask = (int8_t)ours_installed();
	if (!write_all(fd, &mask, 1))
		_exit(3);
	for (size_t p = 0; p < N_PROFILES; p++) {
		struct end e;

		if (end_open(&e, &profs[p], false))
			_exit(4);
		for (size_t i = 0; i < N_RTP + N_RTCP; i++) {
			bool rtcp = i >= N_RTP;
			size_t len = rtcp ? make_rtcp(buf, i - N_RTP) : make_rtp(buf, i);

			if (end_protect(&e, buf, &len, rtcp) || !child_send(fd, buf, len))
				_exit(5);
		}
		end_close(&e);
	}
	_exit(0);
}

/* What the child sent: its ours_installed() and the protected packets,
 * [profile][packet].  Call before gw_srtp_init() in this process. */
struct child_out {
	int mask;
	GBytes *pkt[N_PROFILES][N_RTP + N_RTCP];
};

static void child_run(struct child_out *out)
{
	GByteArray *all = g_byte_array_new();
	uint8_t chunk[4096];
	size_t off = 1;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		child_protect_all(fds[1]);
	}
	close(fds[1]);
	while ((n = read(fds[0], chunk, sizeof(chunk))) > 0)
		g_byte_array_append(all, chunk, (guint)n);
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed: status %d", status);
	ck_assert_uint_ge(all->len, 1);
	out->mask = (int8_t)all->data[0];
	for (size_t p = 0; p < N_PROFILES; p++)
		for (size_t i = 0; i < N_RTP + N_RTCP; i++) {
			uint32_t len;

			ck_assert_uint_ge(all->len - off, sizeof(len));
			memcpy(&len, all->data + off, sizeof(len));
			off += sizeof(len);
			ck_assert_uint_ge(all->len - off, len);
			out->pkt[p][i] = g_bytes_new(all->data + off, len);
			off += len;
		}
	ck_assert_uint_eq(off, all->len);
	g_byte_array_free(all, TRUE);
}

static void child_free(struct child_out *out)
{
	for (size_t p = 0; p < N_PROFILES; p++)
		for (size_t i = 0; i < N_RTP + N_RTCP; i++)
			g_bytes_unref(out->pkt[p][i]);
}

/* The child kept libsrtp's own crypto, this process runs ours. */
static void check_crypto_differs(const struct child_out *c)
{
	ck_assert_int_eq(gw_srtp_init(), 0);
	if (c->mask < 0) {
		printf("SKIP: libsrtp hides its crypto kernel: cannot check which types ran\n");
		return;
	}
	ck_assert_int_eq(c->mask, 0);
	ck_assert_int_eq(ours_installed(), ALL_OURS);
}

static const uint8_t *pkt_data(GBytes *b, size_t *len)
{
	gsize n;
	const uint8_t *d = g_bytes_get_data(b, &n);

	*len = n;
	return d;
}

START_TEST(test_srtp_ossl_protects_byte_for_byte_like_libsrtp)
{
	struct child_out c;
	uint8_t buf[BUF_CAP];

	child_run(&c);
	check_crypto_differs(&c);
	for (size_t p = 0; p < N_PROFILES; p++) {
		struct end e;

		ck_assert_int_eq(end_open(&e, &profs[p], false), 0);
		for (size_t i = 0; i < N_RTP + N_RTCP; i++) {
			bool rtcp = i >= N_RTP;
			size_t len = rtcp ? make_rtcp(buf, i - N_RTP) : make_rtp(buf, i), theirs_len;
			const uint8_t *theirs = pkt_data(c.pkt[p][i], &theirs_len);

			ck_assert_int_eq(end_protect(&e, buf, &len, rtcp), 0);
			ck_assert_msg(len == theirs_len && memcmp(buf, theirs, len) == 0,
				      "%s packet %zu: %zu bytes differ from libsrtp's %zu", profs[p].name, i,
				      len, theirs_len);
		}
		end_close(&e);
	}
	child_free(&c);
}
END_TEST

START_TEST(test_srtp_ossl_unprotects_libsrtp_packets_to_the_original)
{
	struct child_out c;
	uint8_t buf[BUF_CAP], plain[BUF_CAP];

	child_run(&c);
	check_crypto_differs(&c);
	for (size_t p = 0; p < N_PROFILES; p++) {
		struct end e;

		ck_assert_int_eq(end_open(&e, &profs[p], true), 0);
		for (size_t i = 0; i < N_RTP + N_RTCP; i++) {
			bool rtcp = i >= N_RTP;
			size_t plen = rtcp ? make_rtcp(plain, i - N_RTP) : make_rtp(plain, i), len;
			const uint8_t *theirs = pkt_data(c.pkt[p][i], &len);

			memcpy(buf, theirs, len);
			ck_assert_msg(end_unprotect(&e, buf, &len, rtcp) == 0, "%s packet %zu refused",
				      profs[p].name, i);
			ck_assert_uint_eq(len, plen);
			ck_assert_int_eq(memcmp(buf, plain, plen), 0);
		}
		end_close(&e);
	}
	child_free(&c);
}
END_TEST

/* A fresh receiver refuses @pkt with bit @bit of byte @at flipped as an
 * authentication failure (counted, for gw_srtp), then takes it intact. */
static void check_flip_refused(const struct prof *p, GBytes *pkt, bool rtcp, size_t at, int bit)
{
	uint8_t buf[BUF_CAP];
	size_t len;
	const uint8_t *d = pkt_data(pkt, &len);
	struct end e;
	int err;

	ck_assert_uint_lt(at, len);
	ck_assert_int_eq(end_open(&e, p, true), 0);
	memcpy(buf, d, len);
	buf[at] ^= (uint8_t)(1u << bit);
	err = end_unprotect(&e, buf, &len, rtcp);
	ck_assert_msg(err == EACCES, "%s: flipped byte %zu of %zu: %s, not an auth failure", p->name, at,
		      len, g_strerror(err));
	if (e.gw) {
		struct gw_srtp_stats st;

		gw_srtp_stats_get(e.gw, &st);
		ck_assert_uint_eq(st.auth_failures, 1);
	}
	d = pkt_data(pkt, &len);
	memcpy(buf, d, len);
	ck_assert_int_eq(end_unprotect(&e, buf, &len, rtcp), 0);
	end_close(&e);
}

START_TEST(test_srtp_ossl_refuses_libsrtp_packets_with_a_flipped_bit)
{
	struct child_out c;

	child_run(&c);
	check_crypto_differs(&c);
	for (size_t p = 0; p < N_PROFILES; p++) {
		size_t tag = profs[p].tag_len, len, index_at;
		GBytes *big = c.pkt[p][2], *sr = c.pkt[p][N_RTP + 1];

		/* RTP: a payload bit, a tag bit */
		pkt_data(big, &len);
		check_flip_refused(&profs[p], big, false, 12 + 600, 3);
		check_flip_refused(&profs[p], big, false, len - tag / 2, 0);
		/* SRTCP: an encrypted bit, a tag bit, the low bit of the index
		 * (RFC 3711 3.4: before the tag; RFC 7714 17: after it) */
		pkt_data(sr, &len);
		index_at = profs[p].aead ? len - 4 : len - tag - 4;
		check_flip_refused(&profs[p], sr, true, 20, 7);
		check_flip_refused(&profs[p], sr, true, profs[p].aead ? index_at - 1 : len - 1, 5);
		check_flip_refused(&profs[p], sr, true, index_at + 3, 0);
	}
	child_free(&c);
}
END_TEST

/* ---- libsrtp's self-test keeps wrong types out ---- */

/* RFC 3711 B.2 keystream, first two blocks: libsrtp's own AES-ICM vector. */
static const uint8_t b2_key[30] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f,
	0x3c, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static uint8_t b2_iv[16];
static const uint8_t zeros[32];
static const uint8_t b2_stream[32] = {
	0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
	0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
};
static uint8_t b2_stream_wrong[32];
static const srtp_cipher_test_case_t b2_case = {
	.key_length_octets = 30, .key = b2_key, .idx = b2_iv, .plaintext_length_octets = 32,
	.plaintext = zeros, .ciphertext_length_octets = 32, .ciphertext = b2_stream,
};
static const srtp_cipher_test_case_t b2_case_wrong = {
	.key_length_octets = 30, .key = b2_key, .idx = b2_iv, .plaintext_length_octets = 32,
	.plaintext = zeros, .ciphertext_length_octets = 32, .ciphertext = b2_stream_wrong,
};

/* RFC 2202 case 2, with the right tag and with its last octet changed */
static const uint8_t hmac_tag[20] = {
	0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
	0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79,
};
static uint8_t hmac_tag_wrong[20];
static const srtp_auth_test_case_t hmac_case = {
	.key_length_octets = 4, .key = (const uint8_t *)"Jefe", .data_length_octets = 28,
	.data = (const uint8_t *)"what do ya want for nothing?", .tag_length_octets = 20, .tag = hmac_tag,
};
static const srtp_auth_test_case_t hmac_case_wrong = {
	.key_length_octets = 4, .key = (const uint8_t *)"Jefe", .data_length_octets = 28,
	.data = (const uint8_t *)"what do ya want for nothing?", .tag_length_octets = 20, .tag = hmac_tag_wrong,
};

START_TEST(test_srtp_ossl_self_test_refuses_wrong_vectors)
{
	static srtp_cipher_type_t icm;
	static srtp_auth_type_t hmac;

	ck_assert_int_eq(gw_srtp_init(), 0);
	memcpy(b2_stream_wrong, b2_stream, 32);
	b2_stream_wrong[31] ^= 0x01;
	memcpy(hmac_tag_wrong, hmac_tag, 20);
	hmac_tag_wrong[19] ^= 0x80;

	icm = *gw_srtp_ossl_cipher_type(SRTP_AES_ICM_128);
	icm.test_data = &b2_case_wrong;
	ck_assert_int_eq(srtp_replace_cipher_type(&icm, SRTP_AES_ICM_128), srtp_err_status_algo_fail);
	hmac = *gw_srtp_ossl_auth_type(SRTP_HMAC_SHA1);
	hmac.test_data = &hmac_case_wrong;
	ck_assert_int_eq(srtp_replace_auth_type(&hmac, SRTP_HMAC_SHA1), srtp_err_status_algo_fail);
	if (ours_installed() >= 0)
		ck_assert_int_eq(ours_installed(), ALL_OURS);

	/* the same copies with the right answers go in: the one octet decided */
	icm.test_data = &b2_case;
	ck_assert_int_eq(srtp_replace_cipher_type(&icm, SRTP_AES_ICM_128), srtp_err_status_ok);
	hmac.test_data = &hmac_case;
	ck_assert_int_eq(srtp_replace_auth_type(&hmac, SRTP_HMAC_SHA1), srtp_err_status_ok);
}
END_TEST

/* Broken implementations: AES-ICM ignoring the packet IV, HMAC with a
 * wrong last tag octet, GCM with a wrong tag.  libsrtp calls an instance
 * through the type its alloc sets, so the copies wrap alloc too. */
static srtp_cipher_type_t broken_icm, broken_gcm;
static srtp_auth_type_t broken_hmac;
static const srtp_cipher_type_t *real_icm, *real_gcm;
static const srtp_auth_type_t *real_hmac;

static srtp_err_status_t broken_icm_alloc(srtp_cipher_t **cp, int key_len, int tag_len)
{
	srtp_err_status_t st = real_icm->alloc(cp, key_len, tag_len);

	if (!st)
		(*cp)->type = &broken_icm;
	return st;
}

static srtp_err_status_t icm_set_iv_ignoring_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	uint8_t zero_iv[16] = { 0 };

	(void)iv;
	return real_icm->set_iv(state, zero_iv, dir);
}

static srtp_err_status_t broken_gcm_alloc(srtp_cipher_t **cp, int key_len, int tag_len)
{
	srtp_err_status_t st = real_gcm->alloc(cp, key_len, tag_len);

	if (!st)
		(*cp)->type = &broken_gcm;
	return st;
}

static srtp_err_status_t gcm_get_tag_wrong(void *state, uint8_t *tag, uint32_t *len)
{
	srtp_err_status_t st = real_gcm->get_tag(state, tag, len);

	tag[0] ^= 0x01;
	return st;
}

static srtp_err_status_t broken_hmac_alloc(srtp_auth_t **ap, int key_len, int out_len)
{
	srtp_err_status_t st = real_hmac->alloc(ap, key_len, out_len);

	if (!st)
		(*ap)->type = &broken_hmac;
	return st;
}

static srtp_err_status_t hmac_compute_wrong(void *state, const uint8_t *buf, int len, int tag_len, uint8_t *tag)
{
	srtp_err_status_t st = real_hmac->compute(state, buf, len, tag_len, tag);

	if (tag_len > 0)
		tag[tag_len - 1] ^= 0x01;
	return st;
}

START_TEST(test_srtp_ossl_self_test_refuses_broken_implementations)
{
	ck_assert_int_eq(gw_srtp_init(), 0);
	real_icm = gw_srtp_ossl_cipher_type(SRTP_AES_ICM_128);
	real_gcm = gw_srtp_ossl_cipher_type(SRTP_AES_GCM_128);
	real_hmac = gw_srtp_ossl_auth_type(SRTP_HMAC_SHA1);

	broken_icm = *real_icm;
	broken_icm.alloc = broken_icm_alloc;
	broken_icm.set_iv = icm_set_iv_ignoring_iv;
	/* libsrtp's own vector alone (IV 0) cannot tell; ours (RFC 3711 B.2
	 * at ...FEFF, the B.3 labels) can */
	ck_assert_int_eq(srtp_cipher_type_test(&broken_icm, &b2_case), srtp_err_status_ok);
	ck_assert_int_eq(srtp_cipher_type_self_test(&broken_icm), srtp_err_status_algo_fail);
	ck_assert_int_eq(srtp_replace_cipher_type(&broken_icm, SRTP_AES_ICM_128), srtp_err_status_algo_fail);

	broken_gcm = *real_gcm;
	broken_gcm.alloc = broken_gcm_alloc;
	broken_gcm.get_tag = gcm_get_tag_wrong;
	ck_assert_int_eq(srtp_replace_cipher_type(&broken_gcm, SRTP_AES_GCM_128), srtp_err_status_algo_fail);

	broken_hmac = *real_hmac;
	broken_hmac.alloc = broken_hmac_alloc;
	broken_hmac.compute = hmac_compute_wrong;
	ck_assert_int_eq(srtp_replace_auth_type(&broken_hmac, SRTP_HMAC_SHA1), srtp_err_status_algo_fail);

	if (ours_installed() >= 0)
		ck_assert_int_eq(ours_installed(), ALL_OURS);
}
END_TEST

/* ---- RTCSIP_SRTP_CRYPTO ---- */

/* In a child with RTCSIP_SRTP_CRYPTO=@value (NULL: unset): gw_srtp_init,
 * then which of our types libsrtp holds (ours_installed's mask). */
static int installed_with_env(const char *value)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int mask;

		if (value)
			setenv(GW_SRTP_CRYPTO_ENV, value, 1);
		else
			unsetenv(GW_SRTP_CRYPTO_ENV);
		if (gw_srtp_init())
			_exit(100);
		mask = ours_installed();
		_exit(mask < 0 ? 101 : mask);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_ne(WEXITSTATUS(status), 100);
	return WEXITSTATUS(status) == 101 ? -1 : WEXITSTATUS(status);
}

START_TEST(test_srtp_crypto_env_libsrtp_keeps_libsrtp_types)
{
	int keep = installed_with_env("libsrtp");

	if (keep < 0) {
		printf("SKIP: libsrtp hides its crypto kernel: cannot see which types are installed\n");
		return;
	}
	ck_assert_int_eq(keep, 0);
	ck_assert_int_eq(installed_with_env(NULL), ALL_OURS);
	ck_assert_int_eq(installed_with_env("openssl"), ALL_OURS);
	/* an unknown value is warned about and means the default */
	ck_assert_int_eq(installed_with_env("nss-please"), ALL_OURS);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("srtp_ossl");
	TCase *tc = tcase_create("srtp_ossl");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_srtp_ossl_protects_byte_for_byte_like_libsrtp);
	tcase_add_test(tc, test_srtp_ossl_unprotects_libsrtp_packets_to_the_original);
	tcase_add_test(tc, test_srtp_ossl_refuses_libsrtp_packets_with_a_flipped_bit);
	tcase_add_test(tc, test_srtp_ossl_self_test_refuses_wrong_vectors);
	tcase_add_test(tc, test_srtp_ossl_self_test_refuses_broken_implementations);
	tcase_add_test(tc, test_srtp_crypto_env_libsrtp_keeps_libsrtp_types);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	/* each test needs a process of its own: which crypto libsrtp holds
	 * is process state, set once by gw_srtp_init */
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
