/* srtp_ossl_kat.c — the known-answer vectors srtp_ossl.c's libsrtp types
 * carry: libsrtp runs them before accepting a type (srtp_replace_*_type),
 * so a wrong implementation is never installed.  Sources: RFC 3711 B.2 and
 * B.3, RFC 6188 7.1, RFC 2202 and the GCM specification's test cases 4 and
 * 16.  Read-only data, any thread.
 */
#include <stddef.h>
#include <stdint.h>
#include "srtp_ossl.h"

/* AES-ICM: the keystream (the encryption of zeros) of
 * RFC 3711 B.2 (AES-128) and RFC 6188 7.1 (AES-256) at counters 0000..0002
 * and, with IV ...FEFF, at FEFF..FF01 (a carry out of the low octet); and
 * RFC 3711 B.3's session keys, the KDF's use of the cipher (RFC 3711 4.3.1:
 * the label in IV octet 7), including a 14-octet partial block. */
static const uint8_t kat_zero[48];
static uint8_t kat_iv_zero[16];
static uint8_t kat_iv_feff[16] = { [14] = 0xfe, [15] = 0xff };
static uint8_t kat_iv_label1[16] = { [7] = 1 };
static uint8_t kat_iv_label2[16] = { [7] = 2 };
static const uint8_t kat_icm128_key[] =
	"\x2b\x7e\x15\x16\x28\xae\xd2\xa6\xab\xf7\x15\x88\x09\xcf\x4f\x3c"
	"\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9\xfa\xfb\xfc\xfd";
static const uint8_t kat_icm128_ks0[] =
	"\xe0\x3e\xad\x09\x35\xc9\x5e\x80\xe1\x66\xb1\x6d\xd9\x2b\x4e\xb4"
	"\xd2\x35\x13\x16\x2b\x02\xd0\xf7\x2a\x43\xa2\xfe\x4a\x5f\x97\xab"
	"\x41\xe9\x5b\x3b\xb0\xa2\xe8\xdd\x47\x79\x01\xe4\xfc\xa8\x94\xc0";
static const uint8_t kat_icm128_ksfeff[] =
	"\xec\x8c\xdf\x73\x98\x60\x7c\xb0\xf2\xd2\x16\x75\xea\x9e\xa1\xe4"
	"\x36\x2b\x7c\x3c\x67\x73\x51\x63\x18\xa0\x77\xd7\xfc\x50\x73\xae"
	"\x6a\x2c\xc3\x78\x78\x89\x37\x4f\xbe\xb4\xc8\x1b\x17\xba\x6c\x44";
static const uint8_t kat_b3_key[] =
	"\xe1\xf9\x7a\x0d\x3e\x01\x8b\xe0\xd6\x4f\xa3\x2c\x06\xde\x41\x39"
	"\x0e\xc6\x75\xad\x49\x8a\xfe\xeb\xb6\x96\x0b\x3a\xab\xe6";
static const uint8_t kat_b3_cipher_key[] =
	"\xc6\x1e\x7a\x93\x74\x4f\x39\xee\x10\x73\x4a\xfe\x3f\xf7\xa0\x87";
static const uint8_t kat_b3_auth_key[] =
	"\xce\xbe\x32\x1f\x6f\xf7\x71\x6b\x6f\xd4\xab\x49\xaf\x25\x6a\x15"
	"\x6d\x38\xba\xa4\x8f\x0a\x0a\xcf\x3c\x34\xe2\x35\x9e\x6c\xdb\xce";
static const uint8_t kat_b3_salt[] =
	"\x30\xcb\xbc\x08\x86\x3d\x8c\x85\xd4\x9d\xb3\x4a\x9a\xe1";
static const uint8_t kat_icm256_key[] =
	"\x57\xf8\x2f\xe3\x61\x3f\xd1\x70\xa8\x5e\xc9\x3c\x40\xb1\xf0\x92"
	"\x2e\xc4\xcb\x0d\xc0\x25\xb5\x82\x72\x14\x7c\xc4\x38\x94\x4a\x98"
	"\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9\xfa\xfb\xfc\xfd";
static const uint8_t kat_icm256_ks0[] =
	"\x92\xbd\xd2\x8a\x93\xc3\xf5\x25\x11\xc6\x77\xd0\x8b\x55\x15\xa4"
	"\x9d\xa7\x1b\x23\x78\xa8\x54\xf6\x70\x50\x75\x6d\xed\x16\x5b\xac"
	"\x63\xc4\x86\x8b\x70\x96\xd8\x84\x21\xb5\x63\xb8\xc9\x4c\x9a\x31";
static const uint8_t kat_icm256_ksfeff[] =
	"\xce\xa5\x18\xc9\x0f\xd9\x1c\xed\x9c\xbb\x18\xc0\x78\xa5\x47\x11"
	"\x3d\xbc\x48\x14\xf4\xda\x5f\x00\xa0\x87\x72\xb6\x3c\x6a\x04\x6d"
	"\x6e\xb2\x46\x91\x30\x62\xa1\x68\x91\x43\x3e\x97\xdd\x01\xa5\x7f";

#define ICM_KAT(klen, k, iv, n, ks, nx)                                                      \
	{ .key_length_octets = (klen), .key = (k), .idx = (iv), .plaintext_length_octets = (n),    \
	  .plaintext = kat_zero, .ciphertext_length_octets = (n), .ciphertext = (ks),              \
	  .next_test_case = (nx) }

static const srtp_cipher_test_case_t kat_icm128_b3_salt =
	ICM_KAT(30, kat_b3_key, kat_iv_label2, 14, kat_b3_salt, NULL);
static const srtp_cipher_test_case_t kat_icm128_b3_auth =
	ICM_KAT(30, kat_b3_key, kat_iv_label1, 32, kat_b3_auth_key, &kat_icm128_b3_salt);
static const srtp_cipher_test_case_t kat_icm128_b3_enc =
	ICM_KAT(30, kat_b3_key, kat_iv_zero, 16, kat_b3_cipher_key, &kat_icm128_b3_auth);
static const srtp_cipher_test_case_t kat_icm128_feff =
	ICM_KAT(30, kat_icm128_key, kat_iv_feff, 48, kat_icm128_ksfeff, &kat_icm128_b3_enc);
const srtp_cipher_test_case_t gw_srtp_kat_icm128 =
	ICM_KAT(30, kat_icm128_key, kat_iv_zero, 48, kat_icm128_ks0, &kat_icm128_feff);
static const srtp_cipher_test_case_t kat_icm256_feff =
	ICM_KAT(46, kat_icm256_key, kat_iv_feff, 48, kat_icm256_ksfeff, NULL);
const srtp_cipher_test_case_t gw_srtp_kat_icm256 =
	ICM_KAT(46, kat_icm256_key, kat_iv_zero, 48, kat_icm256_ks0, &kat_icm256_feff);

/* AES-GCM: the GCM specification's (McGrew, Viega) test cases 4 (AES-128,
 * also with the tag cut to 8 octets) and 16 (AES-256).  libsrtp keys carry
 * the 12-octet SRTP salt after the AES key; the cipher ignores it. */
static uint8_t kat_gcm_iv[12] = { 0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88 };
static const uint8_t kat_gcm128_key[] =
	"\xfe\xff\xe9\x92\x86\x65\x73\x1c\x6d\x6a\x8f\x94\x67\x30\x83\x08"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";
static const uint8_t kat_gcm256_key[] =
	"\xfe\xff\xe9\x92\x86\x65\x73\x1c\x6d\x6a\x8f\x94\x67\x30\x83\x08"
	"\xfe\xff\xe9\x92\x86\x65\x73\x1c\x6d\x6a\x8f\x94\x67\x30\x83\x08"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";
static const uint8_t kat_gcm_aad[] =
	"\xfe\xed\xfa\xce\xde\xad\xbe\xef\xfe\xed\xfa\xce\xde\xad\xbe\xef"
	"\xab\xad\xda\xd2";
static const uint8_t kat_gcm_plain[] =
	"\xd9\x31\x32\x25\xf8\x84\x06\xe5\xa5\x59\x09\xc5\xaf\xf5\x26\x9a"
	"\x86\xa7\xa9\x53\x15\x34\xf7\xda\x2e\x4c\x30\x3d\x8a\x31\x8a\x72"
	"\x1c\x3c\x0c\x95\x95\x68\x09\x53\x2f\xcf\x0e\x24\x49\xa6\xb5\x25"
	"\xb1\x6a\xed\xf5\xaa\x0d\xe6\x57\xba\x63\x7b\x39";
static const uint8_t kat_gcm128_ct[] =
	"\x42\x83\x1e\xc2\x21\x77\x74\x24\x4b\x72\x21\xb7\x84\xd0\xd4\x9c"
	"\xe3\xaa\x21\x2f\x2c\x02\xa4\xe0\x35\xc1\x7e\x23\x29\xac\xa1\x2e"
	"\x21\xd5\x14\xb2\x54\x66\x93\x1c\x7d\x8f\x6a\x5a\xac\x84\xaa\x05"
	"\x1b\xa3\x0b\x39\x6a\x0a\xac\x97\x3d\x58\xe0\x91\x5b\xc9\x4f\xbc"
	"\x32\x21\xa5\xdb\x94\xfa\xe9\x5a\xe7\x12\x1a\x47";
static const uint8_t kat_gcm256_ct[] =
	"\x52\x2d\xc1\xf0\x99\x56\x7d\x07\xf4\x7f\x37\xa3\x2a\x84\x42\x7d"
	"\x64\x3a\x8c\xdc\xbf\xe5\xc0\xc9\x75\x98\xa2\xbd\x25\x55\xd1\xaa"
	"\x8c\xb0\x8e\x48\x59\x0d\xbb\x3d\xa7\xb0\x8b\x10\x56\x82\x88\x38"
	"\xc5\xf6\x1e\x63\x93\xba\x7a\x0a\xbc\xc9\xf6\x62\x76\xfc\x6e\xce"
	"\x0f\x4e\x17\x68\xcd\xdf\x88\x53\xbb\x2d\x55\x1b";

#define GCM_KAT(klen, k, ct, t, nx)                                                          \
	{ .key_length_octets = (klen), .key = (k), .idx = kat_gcm_iv,                              \
	  .plaintext_length_octets = 60, .plaintext = kat_gcm_plain,                                \
	  .ciphertext_length_octets = 60 + (t), .ciphertext = (ct), .aad_length_octets = 20,       \
	  .aad = kat_gcm_aad, .tag_length_octets = (t), .next_test_case = (nx) }

static const srtp_cipher_test_case_t kat_gcm128_tag8 = GCM_KAT(28, kat_gcm128_key, kat_gcm128_ct, 8, NULL);
const srtp_cipher_test_case_t gw_srtp_kat_gcm128 = GCM_KAT(28, kat_gcm128_key, kat_gcm128_ct, 16, &kat_gcm128_tag8);
const srtp_cipher_test_case_t gw_srtp_kat_gcm256 = GCM_KAT(44, kat_gcm256_key, kat_gcm256_ct, 16, NULL);

/* HMAC-SHA1: RFC 2202 section 3, test cases 1, 2, 5 (with its 96-bit
 * truncation), 6 and 7 (keys longer than a block). */
static const uint8_t kat_hmac_tag1[] =
	"\xb6\x17\x31\x86\x55\x05\x72\x64\xe2\x8b\xc0\xb6\xfb\x37\x8c\x8e"
	"\xf1\x46\xbe\x00";
static const uint8_t kat_hmac_tag2[] =
	"\xef\xfc\xdf\x6a\xe5\xeb\x2f\xa2\xd2\x74\x16\xd5\xf1\x84\xdf\x9c"
	"\x25\x9a\x7c\x79";
static const uint8_t kat_hmac_tag5[] =
	"\x4c\x1a\x03\x42\x4b\x55\xe0\x7f\xe7\xf2\x7b\xe1";
static const uint8_t kat_hmac_key6[] =
	"\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"
	"\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"
	"\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"
	"\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"
	"\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa";
static const uint8_t kat_hmac_tag6[] =
	"\xaa\x4a\xe5\xe1\x52\x72\xd0\x0e\x95\x70\x56\x37\xce\x8a\x3b\x55"
	"\xed\x40\x21\x12";
static const uint8_t kat_hmac_tag7[] =
	"\xe8\xe9\x9d\x0f\x45\x23\x7d\x78\x6d\x6b\xba\xa7\x96\x5c\x78\x08"
	"\xbb\xff\x1a\x91";

#define HMAC_KAT(k, klen, d, dlen, t, tlen, nx)                                              \
	{ .key_length_octets = (klen), .key = (const uint8_t *)(k), .data_length_octets = (dlen),  \
	  .data = (const uint8_t *)(d), .tag_length_octets = (tlen), .tag = (t),                   \
	  .next_test_case = (nx) }

static const srtp_auth_test_case_t kat_hmac_7 =
	HMAC_KAT(kat_hmac_key6, 80, "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
		 73, kat_hmac_tag7, 20, NULL);
static const srtp_auth_test_case_t kat_hmac_6 =
	HMAC_KAT(kat_hmac_key6, 80, "Test Using Larger Than Block-Size Key - Hash Key First", 54,
		 kat_hmac_tag6, 20, &kat_hmac_7);
static const srtp_auth_test_case_t kat_hmac_5 =
	HMAC_KAT("\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c\x0c", 20,
		 "Test With Truncation", 20, kat_hmac_tag5, 12, &kat_hmac_6);
static const srtp_auth_test_case_t kat_hmac_2 =
	HMAC_KAT("Jefe", 4, "what do ya want for nothing?", 28, kat_hmac_tag2, 20, &kat_hmac_5);
const srtp_auth_test_case_t gw_srtp_kat_hmac =
	HMAC_KAT("\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b", 20,
		 "Hi There", 8, kat_hmac_tag1, 20, &kat_hmac_2);
