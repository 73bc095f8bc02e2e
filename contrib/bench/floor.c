/* floor.c — `media-bench --floor`: the CPU a call cannot do without, per
 * call-second, on this machine, with the daemon's codec settings; the
 * yardstick contrib/bench/run divides the daemon's measured CPU by.
 *
 * Transcoded call (50 packets each way per second): Opus decode to 8 kHz of
 * exactly the packets rtcsip-call sends in a load run (src/tools/
 * audio_loop.c), G.711 encode and decode (the SIP leg and its echo), Opus
 * encode from 8 kHz at the given complexity (the daemon's bitrate, FEC and
 * loss defaults), SRTP unprotect + protect of 50 packets each (libsrtp2 via
 * gw/srtp.h, AEAD_AES_128_GCM: the daemon prefers it and Chromium, Firefox
 * and rtcsip-call all offer it, so it is what calls use), and 100
 * UDP send + receive pairs over 127.0.0.1 (browser in, SIP out, SIP in,
 * browser out).  Passthrough call: the same SRTP and UDP, no codec.
 *
 * CPU time is CLOCK_PROCESS_CPUTIME_ID (user + system: the loopback
 * receive path runs in the sender's system time).  Each of RUNS rounds
 * measures every part once, back to back; the figure is the round with the
 * median total, and the lowest and highest totals are printed beside it.  The median,
 * not the best: the daemon's figure it is divided by is an average over
 * many seconds on the same shared core, interference included, and the
 * best of a few short runs swung 5100-7000 us here between runs.
 *
 * Paced (`--floor SECONDS COMPLEXITY CALLS [SLOTS]`): the same codec chain
 * for CALLS calls at once, each with its own codec state, run in real time
 * as the daemon must: every 20 ms period cut into SLOTS (the daemon's
 * media.clock_slots), each call's frame in its own slot, sleeping in
 * between.  The hot rounds above run the chain back to back, so the core
 * never idles; a real-time process pays for its wake-ups from idle (caches
 * and the core's state after the idle time; here the chain cost 13-33%
 * more paced than hot at 25 calls, nothing measurable at 100), which no
 * gateway can avoid.  The paced figure is that cost without any gateway:
 * one PACED_S-second run of the paced codec chain plus the median round's
 * SRTP and UDP parts.
 *
 * Wake-up: the CPU a thread is charged for one sleep and wake-up, by the
 * daemon's own measure (gw_loops_wakeup_cost_us(), which media.
 * coalesce_wakeups = auto decides by) once per round, median of the
 * rounds.  Not part of either floor: how often the daemon sleeps depends on its
 * load; contrib/bench/run counts the media thread's sleeps per step and
 * prices them with this.  On a VM that halts its core in the hypervisor
 * on every sleep (this one: guest halt polling off) a timer's wake-up
 * cost 20-33 us and one by another core's write 15-17 us; bare metal pays
 * a few.
 * Prints one JSON object.  Single-threaded.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "gw/loop.h"
#include "gw/media.h"
#include "gw/rtp.h"
#include "gw/srtp.h"
#include "media/codec.h"
#include "../../src/tools/audio_loop.h"
#include "bench.h"

#define PKT_CAP (1500 + GW_SRTP_PROTECT_ROOM)

enum { RUNS = 5, PACED_S = 5 };

static unsigned seconds = 10;

static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* --- the codec chain of one call: Opus decode of the load generator's
 * packet, G.711 encode and decode (the SIP leg and its echo), Opus encode.
 * Each call owns its four codecs. --- */

struct chain {
	struct gw_decoder *opus_dec, *g711_dec;
	struct gw_encoder *opus_enc, *g711_enc;
};

static void chain_init(struct chain *c, const struct gw_media_opus_cfg *cfg)
{
	if (gw_decoder_new(GW_MEDIA_CODEC_OPUS, 8000, &c->opus_dec) ||
	    gw_decoder_new(GW_MEDIA_CODEC_PCMU, 8000, &c->g711_dec) ||
	    gw_encoder_new(GW_MEDIA_CODEC_OPUS, 8000, cfg, &c->opus_enc) ||
	    gw_encoder_new(GW_MEDIA_CODEC_PCMU, 8000, NULL, &c->g711_enc)) {
		fprintf(stderr, "media-bench: codec setup failed\n");
		exit(1);
	}
}

/* Frame @i of the load generator's loop @l through the chain. */
static void chain_frame(struct chain *c, const struct gw_tool_audio_loop *l, unsigned i)
{
	unsigned k = i % GW_TOOL_LOOP_FRAMES;
	int16_t pcm[GW_CODEC_MAX_FRAME];
	uint8_t g711[160], out[1500];
	size_t n, len;

	gw_decoder_decode(c->opus_dec, l->data[k], l->len[k], pcm, GW_CODEC_MAX_FRAME, &n);
	gw_encoder_encode(c->g711_enc, pcm, 160, g711, sizeof(g711), &len);
	gw_decoder_decode(c->g711_dec, g711, len, pcm, 160, &n);
	gw_encoder_encode(c->opus_enc, pcm, 160, out, sizeof(out), &len);
}

static void chain_clear(struct chain *c)
{
	gw_decoder_free(c->opus_dec);
	gw_decoder_free(c->g711_dec);
	gw_encoder_free(c->opus_enc);
	gw_encoder_free(c->g711_enc);
}

/* One chain back to back for seconds * 50 frames: µs of CPU. */
static double codec_chain(const void *arg)
{
	const struct gw_tool_audio_loop *l = ((const void *const *)arg)[0];
	const struct gw_media_opus_cfg *cfg = ((const void *const *)arg)[1];
	struct chain c;
	double t0;

	chain_init(&c, cfg);
	t0 = cpu_us();
	for (unsigned i = 0; i < seconds * 50; i++)
		chain_frame(&c, l, i);
	t0 = cpu_us() - t0;
	chain_clear(&c);
	return t0;
}

/* --- SRTP: the daemon unprotects what the browser sent and protects what
 * it sends back; @arg is the payload size.  Fresh contexts each run so
 * the replay window never refuses a packet. --- */

static void keys_for(struct gw_srtp_keys *k, bool daemon)
{
	memset(k, 0, sizeof(*k));
	k->profile = GW_SRTP_AEAD_AES_128_GCM;
	gw_srtp_profile_lengths(k->profile, &k->key_len, &k->salt_len);
	memset(daemon ? k->local_key : k->remote_key, 0x11, k->key_len);
	memset(daemon ? k->local_salt : k->remote_salt, 0x22, k->salt_len);
	memset(daemon ? k->remote_key : k->local_key, 0x33, k->key_len);
	memset(daemon ? k->remote_salt : k->local_salt, 0x44, k->salt_len);
}

static double srtp_run(const void *arg)
{
	size_t payload = *(const size_t *)arg;
	unsigned frames = seconds * 50;
	struct gw_srtp_keys kd, kb;
	struct gw_srtp *daemon = NULL, *browser = NULL;
	uint8_t (*in)[PKT_CAP] = malloc(frames * sizeof(*in));
	size_t *in_len = malloc(frames * sizeof(*in_len));
	uint8_t pkt[PKT_CAP], body[1500];
	double t0;

	keys_for(&kd, true);
	keys_for(&kb, false);
	if (gw_srtp_alloc(&daemon, &kd) || gw_srtp_alloc(&browser, &kb)) {
		fprintf(stderr, "media-bench: SRTP setup failed\n");
		exit(1);
	}
	memset(body, 0x5a, sizeof(body));
	for (unsigned i = 0; i < frames; i++) {
		in_len[i] = gw_rtp_hdr_write(in[i], PKT_CAP, 111, false, (uint16_t)i, i * 960, 1);
		memcpy(in[i] + in_len[i], body, payload);
		in_len[i] += payload;
		gw_srtp_protect(browser, in[i], &in_len[i], PKT_CAP);
	}
	t0 = cpu_us();
	for (unsigned i = 0; i < frames; i++) {
		size_t len = in_len[i];

		gw_srtp_unprotect(daemon, in[i], &len);
		len = gw_rtp_hdr_write(pkt, PKT_CAP, 111, false, (uint16_t)i, i * 960, 2);
		memcpy(pkt + len, body, payload);
		len += payload;
		gw_srtp_protect(daemon, pkt, &len, PKT_CAP);
	}
	t0 = cpu_us() - t0;
	gw_srtp_free(daemon);
	gw_srtp_free(browser);
	free(in);
	free(in_len);
	return t0;
}

/* --- UDP: 100 send + receive pairs per call-second over 127.0.0.1; @arg
 * is the packet size --- */

static int udp_socket(struct sockaddr_in *addr)
{
	socklen_t alen = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)addr, sizeof(*addr)) ||
	    getsockname(fd, (struct sockaddr *)addr, &alen)) {
		fprintf(stderr, "media-bench: UDP socket: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

static double udp_run(const void *arg)
{
	size_t size = *(const size_t *)arg;
	struct sockaddr_in a_addr, b_addr;
	int a = udp_socket(&a_addr), b = udp_socket(&b_addr);
	uint8_t buf[1500] = { 0x80 };
	double t0;

	t0 = cpu_us();
	for (unsigned i = 0; i < seconds * 100; i++) {
		if (sendto(a, buf, size, 0, (struct sockaddr *)&b_addr, sizeof(b_addr)) < 0 ||
		    recv(b, buf, sizeof(buf), 0) < 0) {
			fprintf(stderr, "media-bench: UDP: %s\n", strerror(errno));
			exit(1);
		}
	}
	t0 = cpu_us() - t0;
	close(a);
	close(b);
	return t0;
}

/* --- the codec chain in real time (see the top) --- */

static struct timespec ns_to_ts(int64_t ns)
{
	struct timespec t = { .tv_sec = (time_t)(ns / 1000000000), .tv_nsec = (long)(ns % 1000000000) };

	return t;
}

/* µs of CPU per call-second of @calls chains for @wall_s seconds. */
static double paced_codecs(const struct gw_tool_audio_loop *l, const struct gw_media_opus_cfg *cfg,
			   unsigned calls, unsigned slots, unsigned wall_s)
{
	struct chain *c = calloc(calls, sizeof(*c));    /* owned, one per call */
	unsigned periods = wall_s * 50;
	struct timespec now, due;
	int64_t start;
	double t0;

	if (!c) {
		fprintf(stderr, "media-bench: out of memory\n");
		exit(1);
	}
	for (unsigned i = 0; i < calls; i++)
		chain_init(&c[i], cfg);
	clock_gettime(CLOCK_MONOTONIC, &now);
	start = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	t0 = cpu_us();
	for (unsigned p = 0; p < periods; p++) {
		for (unsigned s = 0; s < slots; s++) {
			/* slot s of period p due as in the daemon's clock (loop.c);
			 * a late slot runs at once: past saturation this is hot */
			due = ns_to_ts(start + ((int64_t)p * slots + s + 1) * 20000000 / slots);
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
			for (unsigned i = s; i < calls; i += slots)
				chain_frame(&c[i], l, p);
		}
	}
	t0 = cpu_us() - t0;
	for (unsigned i = 0; i < calls; i++)
		chain_clear(&c[i]);
	free(c);
	return t0 / ((double)calls * wall_s);
}

/* One round: every part of both kinds of call, in µs per call-second;
 * and a wake-up, in µs. */
struct floor_round {
	double codec, srtp_t, srtp_p, udp_t, udp_p;
	double transcode, passthrough;
	double wakeup;
};

static void floor_round(struct floor_round *r, const void *chain_arg, size_t opus_size,
			size_t opus_pkt, size_t pcmu_pkt)
{
	size_t pcmu_size = 160;
	double per_s = 1.0 / seconds;

	r->codec = codec_chain(chain_arg) * per_s;
	r->srtp_t = srtp_run(&opus_size) * per_s;
	r->srtp_p = srtp_run(&pcmu_size) * per_s;
	/* half the pairs carry the browser's packet size, half the SIP side's */
	r->udp_t = (udp_run(&opus_pkt) + udp_run(&pcmu_pkt)) / 2 * per_s;
	r->udp_p = udp_run(&pcmu_pkt) * per_s;
	r->transcode = r->codec + r->srtp_t + r->udp_t;
	r->passthrough = r->srtp_p + r->udp_p;
	r->wakeup = gw_loops_wakeup_cost_us();
}

static int cmp_us(double x, double y)
{
	return (x > y) - (x < y);
}

static int by_transcode(const void *a, const void *b)
{
	return cmp_us(((const struct floor_round *)a)->transcode,
		      ((const struct floor_round *)b)->transcode);
}

static int by_passthrough(const void *a, const void *b)
{
	return cmp_us(((const struct floor_round *)a)->passthrough,
		      ((const struct floor_round *)b)->passthrough);
}

static int by_wakeup(const void *a, const void *b)
{
	return cmp_us(((const struct floor_round *)a)->wakeup, ((const struct floor_round *)b)->wakeup);
}

int gw_bench_floor(int argc, char **argv)
{
	struct gw_media_opus_cfg client = { .complexity = 5, .bitrate = 32000, .fec = true, .loss_pct = 5 };
	struct gw_media_config daemon;
	struct gw_tool_audio_loop *opus_loop = NULL;
	struct floor_round r[RUNS], t, p, w;
	const void *chain_arg[2];
	size_t opus_bytes = 0, opus_size, opus_pkt, pcmu_pkt;
	int calls = 0, slots = 10;
	double paced;

	gw_media_config_init(&daemon);
	if (argc > 0 && atoi(argv[0]) > 0)
		seconds = (unsigned)atoi(argv[0]);
	if (argc > 1)
		daemon.opus.complexity = atoi(argv[1]);
	if (argc > 2)
		calls = atoi(argv[2]);
	if (argc > 3)
		slots = atoi(argv[3]);
	if (!gw_opus_cfg_valid(&daemon.opus) || calls < 0 || calls > 10000 || slots < 1 ||
	    slots > GW_LOOP_CLOCK_SLOTS_MAX ||
	    gw_tool_audio_loop_build(GW_MEDIA_CODEC_OPUS, 1000, true, &client, &opus_loop)) {
		fprintf(stderr, "usage: media-bench --floor [SECONDS [OPUS_COMPLEXITY [CALLS [SLOTS]]]]\n"
			"  OPUS_COMPLEXITY 0-10, CALLS 0-10000, SLOTS 1-%d\n", GW_LOOP_CLOCK_SLOTS_MAX);
		return 2;
	}
	for (unsigned i = 0; i < GW_TOOL_LOOP_FRAMES; i++)
		opus_bytes += opus_loop->len[i];
	opus_size = opus_bytes / GW_TOOL_LOOP_FRAMES;
	/* on the wire: RTP header + payload + the GCM tag (16 bytes) */
	opus_pkt = 12 + opus_size + 16;
	pcmu_pkt = 12 + 160 + 16;
	chain_arg[0] = opus_loop;
	chain_arg[1] = &daemon.opus;
	for (unsigned i = 0; i < RUNS; i++)
		floor_round(&r[i], chain_arg, opus_size, opus_pkt, pcmu_pkt);
	qsort(r, RUNS, sizeof(r[0]), by_transcode);
	t = r[RUNS / 2];
	printf("{\"seconds\": %u, \"runs\": %d, \"opus_complexity\": %d, \"opus_bitrate\": %d, "
	       "\"browser_payload_bytes\": %zu,\n"
	       " \"transcode_us_per_call_s\": %.1f, \"transcode_range_us\": [%.1f, %.1f],\n"
	       " \"transcode_parts\": {\"codecs\": %.1f, \"srtp\": %.1f, \"udp\": %.1f},\n",
	       seconds, RUNS, daemon.opus.complexity, daemon.opus.bitrate, opus_size,
	       t.transcode, r[0].transcode, r[RUNS - 1].transcode, t.codec, t.srtp_t, t.udp_t);
	if (calls > 0) {
		paced = paced_codecs(opus_loop, &daemon.opus, (unsigned)calls, (unsigned)slots, PACED_S);
		printf(" \"paced\": {\"calls\": %d, \"slots\": %d, \"seconds\": %d, \"codecs\": %.1f, "
		       "\"transcode_us_per_call_s\": %.1f},\n",
		       calls, slots, PACED_S, paced, paced + t.srtp_t + t.udp_t);
	}
	qsort(r, RUNS, sizeof(r[0]), by_passthrough);
	p = r[RUNS / 2];
	printf(" \"passthrough_us_per_call_s\": %.1f, \"passthrough_range_us\": [%.1f, %.1f],\n"
	       " \"passthrough_parts\": {\"srtp\": %.1f, \"udp\": %.1f},\n",
	       p.passthrough, r[0].passthrough, r[RUNS - 1].passthrough, p.srtp_p, p.udp_p);
	qsort(r, RUNS, sizeof(r[0]), by_wakeup);
	w = r[RUNS / 2];
	printf(" \"wakeup_us\": %.2f, \"wakeup_range_us\": [%.2f, %.2f]}\n",
	       w.wakeup, r[0].wakeup, r[RUNS - 1].wakeup);
	gw_tool_audio_loop_free(opus_loop);
	return 0;
}
