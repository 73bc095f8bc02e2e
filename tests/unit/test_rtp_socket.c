/* test_rtp_socket.c — the SIP-side RTP/RTCP socket pair: port choice,
 * receive, send, hold, symmetric latching and close, with real UDP sockets
 * on 127.0.0.1 and a real media loop.
 *
 * The socket lives on media loop 0; the test thread runs socket operations
 * there with on_loop() and plays the far ends with plain blocking sockets.
 */
#include "gw_check.h"
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <glib.h>
#include "gw/rtp_socket.h"
#include "gw/loop.h"
#include "gw/obj.h"

#define WAIT_US (10 * G_USEC_PER_SEC) /* generous: shared, noisy machines */

static long live_before;

static void loops_up(void)
{
	live_before = gw_obj_live();
	ck_assert_int_eq(gw_loops_start(1), 0);
}

/* Stop the loop and check every object (sockets, posted work) was freed. */
static void loops_down(void)
{
	gw_loops_stop();
	ck_assert_int_eq(gw_obj_live(), live_before);
}

/* --- running work on the media loop and waiting for it ------------------ */

static GMutex mu;
static GCond cond;

struct job {
	void (*fn)(void *arg);
	void *arg;
	bool done;
};

static void job_run(void *obj)
{
	struct job *j = obj;

	j->fn(j->arg);
	g_mutex_lock(&mu);
	j->done = true;
	g_cond_broadcast(&cond);
	g_mutex_unlock(&mu);
}

/* Run @fn(@arg) on media loop 0 and return once it ran. */
static void on_loop(void (*fn)(void *arg), void *arg)
{
	struct job *j = gw_obj_alloc(sizeof(*j), NULL);
	gint64 end = g_get_monotonic_time() + WAIT_US;
	bool done;

	j->fn = fn;
	j->arg = arg;
	gw_loop_post(gw_loop_nth(0), job_run, j);
	g_mutex_lock(&mu);
	while (!j->done && g_cond_wait_until(&cond, &mu, end))
		;
	done = j->done;
	g_mutex_unlock(&mu);
	gw_obj_deref(j);
	ck_assert_msg(done, "the media loop did not run posted work");
}

struct op {
	struct gw_rtp_socket *s;
	const char *ip;
	uint16_t port;
	bool symmetric;
	const uint8_t *buf;
	size_t len;
	int ret;
	struct gw_rtp_socket_stats st;
	uint64_t source_in;
};

static void op_set_remote(void *arg)
{
	struct op *o = arg;

	o->ret = gw_rtp_socket_set_remote(o->s, o->ip, o->port, o->symmetric);
}

static void op_set_peer(void *arg)
{
	struct op *o = arg;

	o->ret = gw_rtp_socket_set_peer(o->s, o->ip);
}

static void op_send(void *arg)
{
	struct op *o = arg;

	o->ret = gw_rtp_socket_send(o->s, o->buf, o->len);
}

static void op_stats(void *arg)
{
	struct op *o = arg;

	gw_rtp_socket_stats(o->s, &o->st);
	o->source_in = gw_rtp_socket_source_packets(o->s);
}

static void op_close(void *arg)
{
	gw_rtp_socket_close(((struct op *)arg)->s);
}

static void noop(void *arg)
{
}

static int set_remote(struct gw_rtp_socket *s, const char *ip, uint16_t port, bool symmetric)
{
	struct op o = { .s = s, .ip = ip, .port = port, .symmetric = symmetric };

	on_loop(op_set_remote, &o);
	return o.ret;
}

static int set_peer(struct gw_rtp_socket *s, const char *ip)
{
	struct op o = { .s = s, .ip = ip };

	on_loop(op_set_peer, &o);
	return o.ret;
}

static int sock_send(struct gw_rtp_socket *s, const void *buf, size_t len)
{
	struct op o = { .s = s, .buf = buf, .len = len };

	on_loop(op_send, &o);
	return o.ret;
}

static struct gw_rtp_socket_stats stats_of(struct gw_rtp_socket *s)
{
	struct op o = { .s = s };

	on_loop(op_stats, &o);
	return o.st;
}

static void close_on_loop(struct gw_rtp_socket *s)
{
	struct op o = { .s = s };

	on_loop(op_close, &o);
}

/* --- what the socket delivered ------------------------------------------ */

struct rec {
	GPtrArray *pkts;                 /* of GBytes, guarded by mu */
	gint64 last_rx_us;               /* the last one's arrival, guarded by mu */
	bool close_on_first;
};

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->pkts = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
}

static void on_packet(struct gw_rtp_socket *s, uint8_t *buf, size_t len, int64_t rx_us,
		      void *arg)
{
	struct rec *r = arg;

	g_mutex_lock(&mu);
	g_ptr_array_add(r->pkts, g_bytes_new(buf, len));
	r->last_rx_us = rx_us;
	g_cond_broadcast(&cond);
	g_mutex_unlock(&mu);
	if (r->close_on_first)
		gw_rtp_socket_close(s);
}

static guint rec_count(struct rec *r)
{
	guint n;

	g_mutex_lock(&mu);
	n = r->pkts->len;
	g_mutex_unlock(&mu);
	return n;
}

/* Wait until @n datagrams were delivered; returns how many were. */
static guint rec_wait(struct rec *r, guint n)
{
	gint64 end = g_get_monotonic_time() + WAIT_US;
	guint got;

	g_mutex_lock(&mu);
	while (r->pkts->len < n && g_cond_wait_until(&cond, &mu, end))
		;
	got = r->pkts->len;
	g_mutex_unlock(&mu);
	return got;
}

static void rec_assert_pkt(struct rec *r, guint i, const void *buf, size_t len)
{
	GBytes *b;

	g_mutex_lock(&mu);
	ck_assert_uint_gt(r->pkts->len, i);
	b = r->pkts->pdata[i];
	g_mutex_unlock(&mu);
	ck_assert_uint_eq(g_bytes_get_size(b), len);
	ck_assert_mem_eq(g_bytes_get_data(b, NULL), buf, len);
}

/* --- the far ends: plain UDP sockets on 127.0.0.1 ------------------------ */

static struct sockaddr_in lo_addr(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A UDP socket on 127.0.0.1:@port; -errno when it cannot bind. */
static int try_bind(uint16_t port)
{
	struct sockaddr_in a = lo_addr(port);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;

	ck_assert_int_ge(fd, 0);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

static int peer_new(uint16_t *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = try_bind(0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void peer_send(int fd, uint16_t to, const void *buf, size_t len)
{
	struct sockaddr_in a = lo_addr(to);

	ck_assert_int_eq(sendto(fd, buf, len, 0, (struct sockaddr *)&a, sizeof(a)), (ssize_t)len);
}

/* Next datagram on @fd within the generous timeout; its length or -1. */
static ssize_t peer_recv(int fd, void *buf, size_t cap)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, (int)(WAIT_US / 1000)) != 1)
		return -1;
	return recv(fd, buf, cap, 0);
}

/* An RTP header (version 2, PT 0) with @seq, then @fill up to @len. */
static size_t rtp_pkt(uint8_t *buf, size_t len, uint16_t seq, uint8_t fill)
{
	memset(buf, fill, len);
	buf[0] = 0x80;
	buf[1] = 0x00;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	return len;
}

/* An even base port with base..base+3 free right now, below the kernel's
 * ephemeral range so nothing else picks them by chance. */
static uint16_t free_quad(void)
{
	for (int tries = 0; tries < 200; tries++) {
		uint16_t base = (uint16_t)(20000 + 2 * g_random_int_range(0, 5000));
		int fds[4], n;

		for (n = 0; n < 4; n++) {
			fds[n] = try_bind((uint16_t)(base + n));
			if (fds[n] < 0)
				break;
		}
		for (int i = 0; i < n; i++)
			close(fds[i]);
		if (n == 4)
			return base;
	}
	ck_abort_msg("no 4 free ports found on 127.0.0.1");
	return 0;
}

static void assert_port_taken(uint16_t port)
{
	int fd = try_bind(port);

	if (fd >= 0)
		close(fd);
	ck_assert_int_eq(fd, -EADDRINUSE);
}

static void assert_port_free(uint16_t port)
{
	int fd = try_bind(port);

	ck_assert_int_ge(fd, 0);
	close(fd);
}

/* --- tests ---------------------------------------------------------------- */

START_TEST(test_open_in_range_binds_even_rtp_port_and_next_for_rtcp)
{
	struct gw_rtp_socket *s;
	uint16_t base = free_quad(), port;

	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", base, (uint16_t)(base + 3), &s), 0);
	port = gw_rtp_socket_port(s);
	ck_assert_uint_eq(port % 2, 0);
	ck_assert(port == base || port == base + 2);
	assert_port_taken(port);
	assert_port_taken((uint16_t)(port + 1));
	gw_rtp_socket_close(s); /* never started: any thread */
	gw_rtp_socket_close(s); /* idempotent */
	s = gw_obj_deref(s);
	assert_port_free(port);
	assert_port_free((uint16_t)(port + 1));
}
END_TEST

START_TEST(test_open_exhausts_four_port_range_with_eaddrinuse)
{
	struct gw_rtp_socket *a, *b, *c = NULL;
	uint16_t base = free_quad();

	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", base, (uint16_t)(base + 3), &a), 0);
	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", base, (uint16_t)(base + 3), &b), 0);
	ck_assert_uint_ne(gw_rtp_socket_port(a), gw_rtp_socket_port(b));
	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", base, (uint16_t)(base + 3), &c),
			 EADDRINUSE);
	ck_assert_ptr_null(c);
	gw_obj_deref(a);
	gw_obj_deref(b);
}
END_TEST

START_TEST(test_open_skips_pair_whose_rtcp_port_is_taken)
{
	struct gw_rtp_socket *s;
	uint16_t base = free_quad();
	int busy = try_bind((uint16_t)(base + 1));

	ck_assert_int_ge(busy, 0);
	/* Whatever the random start, only base+2/base+3 can be used. */
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", base, (uint16_t)(base + 3), &s), 0);
		ck_assert_uint_eq(gw_rtp_socket_port(s), base + 2);
		gw_obj_deref(s);
	}
	/* The attempt on base must not have left base itself bound. */
	assert_port_free(base);
	close(busy);
}
END_TEST

START_TEST(test_open_refuses_bad_address_and_range)
{
	struct gw_rtp_socket *s = (struct gw_rtp_socket *)&s; /* sentinel */
	struct gw_rtp_socket *const sentinel = s;

	ck_assert_int_eq(gw_rtp_socket_open("not-an-ip", 20000, 20009, &s), EINVAL);
	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1:5060", 20000, 20009, &s), EINVAL);
	ck_assert_int_eq(gw_rtp_socket_open("", 0, 0, &s), EINVAL);
	ck_assert_int_eq(gw_rtp_socket_open(NULL, 0, 0, &s), EINVAL);
	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", 20010, 20000, &s), EINVAL);
	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", 0, 20000, &s), EINVAL);
	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", 20001, 20002, &s), EINVAL); /* no pair */
	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", 65535, 65535, &s), EINVAL);
	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", 0, 0, NULL), EINVAL);
	ck_assert_ptr_eq(s, sentinel); /* untouched on failure */
}
END_TEST

START_TEST(test_open_any_port_gets_even_pair_from_kernel)
{
	struct gw_rtp_socket *s;
	uint16_t port;

	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", 0, 0, &s), 0);
	port = gw_rtp_socket_port(s);
	ck_assert_uint_ne(port, 0);
	ck_assert_uint_eq(port % 2, 0);
	assert_port_taken(port);
	assert_port_taken((uint16_t)(port + 1));
	gw_obj_deref(s); /* never started: the destructor closes */
	assert_port_free(port);
}
END_TEST

START_TEST(test_received_datagrams_arrive_with_identical_bytes)
{
	struct gw_rtp_socket *s;
	struct rec r;
	uint8_t a[172], b[1500], c[12], big[3000];
	uint16_t pport;
	int peer = peer_new(&pport);

	loops_up();
	rec_init(&r);
	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", 0, 0, &s), 0);
	gw_rtp_socket_start(s, gw_loop_nth(0), on_packet, &r); /* from this (control) thread */
	peer_send(peer, gw_rtp_socket_port(s), a, rtp_pkt(a, sizeof(a), 1, 0xd5));
	peer_send(peer, gw_rtp_socket_port(s), b, rtp_pkt(b, sizeof(b), 2, 0x5a));
	/* Over the receive buffer: dropped whole, never delivered cut short. */
	peer_send(peer, gw_rtp_socket_port(s), big, rtp_pkt(big, sizeof(big), 3, 0x11));
	peer_send(peer, gw_rtp_socket_port(s), c, rtp_pkt(c, sizeof(c), 4, 0));
	ck_assert_uint_eq(rec_wait(&r, 3), 3);
	on_loop(noop, NULL); /* anything more would have been delivered by now */
	ck_assert_uint_eq(rec_count(&r), 3);
	rec_assert_pkt(&r, 0, a, sizeof(a));
	rec_assert_pkt(&r, 1, b, sizeof(b));
	rec_assert_pkt(&r, 2, c, sizeof(c));
	struct gw_rtp_socket_stats st = stats_of(s);
	ck_assert_uint_eq(st.rtp_in, 3);
	ck_assert_uint_eq(st.bytes_in, sizeof(a) + sizeof(b) + sizeof(c));
	ck_assert_uint_eq(st.rtcp_in, 0);
	close_on_loop(s);
	gw_obj_deref(s);
	close(peer);
	loops_down();
	g_ptr_array_unref(r.pkts);
}
END_TEST

START_TEST(test_burst_of_200_datagrams_arrives_completely_in_order)
{
	struct gw_rtp_socket *s;
	struct rec r;
	uint8_t pkt[172];
	uint16_t pport;
	int peer = peer_new(&pport);

	loops_up();
	rec_init(&r);
	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", 0, 0, &s), 0);
	gw_rtp_socket_start(s, gw_loop_nth(0), on_packet, &r);
	for (uint16_t i = 0; i < 200; i++)
		peer_send(peer, gw_rtp_socket_port(s), pkt, rtp_pkt(pkt, sizeof(pkt), i, (uint8_t)i));
	ck_assert_uint_eq(rec_wait(&r, 200), 200);
	for (uint16_t i = 0; i < 200; i++) {
		rtp_pkt(pkt, sizeof(pkt), i, (uint8_t)i);
		rec_assert_pkt(&r, i, pkt, sizeof(pkt));
	}
	ck_assert_uint_eq(stats_of(s).rtp_in, 200);
	close_on_loop(s);
	gw_obj_deref(s);
	close(peer);
	loops_down();
	g_ptr_array_unref(r.pkts);
}
END_TEST

START_TEST(test_send_reaches_remote_and_hold_sends_nothing)
{
	struct gw_rtp_socket *s;
	struct gw_rtp_socket_stats st;
	uint8_t pkt[160], marker[20], got[2048];
	uint16_t pport;
	int peer = peer_new(&pport);
	char want[64];

	loops_up();
	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", 0, 0, &s), 0);
	gw_rtp_socket_start(s, gw_loop_nth(0), NULL, NULL);
	ck_assert_int_eq(set_remote(s, "127.0.0.1", pport, false), 0);
	ck_assert_int_eq(sock_send(s, pkt, rtp_pkt(pkt, sizeof(pkt), 7, 0xff)), 0);
	ck_assert_int_eq(peer_recv(peer, got, sizeof(got)), sizeof(pkt));
	ck_assert_mem_eq(got, pkt, sizeof(pkt));
	st = stats_of(s);
	g_snprintf(want, sizeof(want), "127.0.0.1:%u", pport);
	ck_assert_str_eq(st.remote, want);
	ck_assert_uint_eq(st.rtp_out, 1);
	ck_assert_uint_eq(st.bytes_out, sizeof(pkt));

	/* Hold (RFC 3264 c=0.0.0.0, or port 0): sends succeed and go nowhere. */
	ck_assert_int_eq(set_remote(s, "0.0.0.0", pport, false), 0);
	ck_assert_str_eq(stats_of(s).remote, "");
	ck_assert_int_eq(sock_send(s, pkt, sizeof(pkt)), 0);
	ck_assert_int_eq(set_remote(s, "127.0.0.1", 0, false), 0);
	ck_assert_int_eq(sock_send(s, pkt, sizeof(pkt)), 0);
	/* Resume: the next datagram the peer sees is the marker, so nothing
	 * was sent while on hold (UDP on loopback keeps order). */
	ck_assert_int_eq(set_remote(s, "127.0.0.1", pport, false), 0);
	ck_assert_int_eq(sock_send(s, marker, rtp_pkt(marker, sizeof(marker), 8, 0x42)), 0);
	ck_assert_int_eq(peer_recv(peer, got, sizeof(got)), sizeof(marker));
	ck_assert_mem_eq(got, marker, sizeof(marker));
	ck_assert_uint_eq(stats_of(s).rtp_out, 2);
	close_on_loop(s);
	ck_assert_int_eq(sock_send(s, pkt, sizeof(pkt)), EBADF);
	gw_obj_deref(s);
	close(peer);
	loops_down();
}
END_TEST

START_TEST(test_set_remote_refuses_bad_address_and_keeps_old_one)
{
	struct gw_rtp_socket *s;
	uint8_t pkt[40], got[2048];
	uint16_t pport;
	int peer = peer_new(&pport);

	loops_up();
	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", 0, 0, &s), 0);
	gw_rtp_socket_start(s, gw_loop_nth(0), NULL, NULL);
	ck_assert_int_eq(set_remote(s, "127.0.0.1", pport, false), 0);
	ck_assert_int_eq(set_remote(s, "pbx.example.com", 5004, false), EINVAL);
	ck_assert_int_eq(set_remote(s, "127.0.0.256", 5004, false), EINVAL);
	ck_assert_int_eq(set_remote(s, "::1", 5004, false), EINVAL); /* IPv6 on an IPv4 socket */
	ck_assert_int_eq(set_remote(s, NULL, 5004, false), EINVAL);
	ck_assert_int_eq(sock_send(s, pkt, rtp_pkt(pkt, sizeof(pkt), 1, 3)), 0);
	ck_assert_int_eq(peer_recv(peer, got, sizeof(got)), sizeof(pkt));
	ck_assert_mem_eq(got, pkt, sizeof(pkt));
	close_on_loop(s);
	gw_obj_deref(s);
	close(peer);
	loops_down();
}
END_TEST

/* Wait until the socket counted @n foreign datagrams. */
static uint64_t wait_foreign(struct gw_rtp_socket *s, uint64_t n)
{
	gint64 end = g_get_monotonic_time() + WAIT_US;
	uint64_t got;

	while ((got = stats_of(s).foreign) < n && g_get_monotonic_time() < end)
		g_usleep(5000);
	return got;
}

/* RTP with @seq from @fd to @port, SSRC bytes all @ssrc (rtp_pkt's fill). */
static void rtp_from(int fd, uint16_t port, uint16_t seq, uint8_t ssrc)
{
	uint8_t pkt[60];

	peer_send(fd, port, pkt, rtp_pkt(pkt, sizeof(pkt), seq, ssrc));
}

/* The source tests' set-up: a started socket on 127.0.0.1 recording into
 * r, and far ends a, b, c, d (fds) on ports pa, pb, pc, pd. */
struct src_fix {
	struct gw_rtp_socket *s;
	struct rec r;
	uint16_t port, pa, pb, pc, pd;
	int a, b, c, d;
};

#define EVENT_PT 101   /* the far end's telephone-event */

/* ... its media dropped once it waited over @max_queue_ms (0 = never),
 * not its events of EVENT_PT. */
static void src_up_queue(struct src_fix *f, unsigned max_queue_ms)
{
	f->a = peer_new(&f->pa);
	f->b = peer_new(&f->pb);
	f->c = peer_new(&f->pc);
	f->d = peer_new(&f->pd);
	loops_up();
	rec_init(&f->r);
	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", 0, 0, &f->s), 0);
	f->port = gw_rtp_socket_port(f->s);
	gw_rtp_socket_set_max_queue(f->s, max_queue_ms);
	gw_rtp_socket_set_event_pt(f->s, EVENT_PT);
	gw_rtp_socket_start(f->s, gw_loop_nth(0), on_packet, &f->r);
}

static void src_up(struct src_fix *f)
{
	src_up_queue(f, 0);
}

static void src_down(struct src_fix *f)
{
	close_on_loop(f->s);
	gw_obj_deref(f->s);
	close(f->a);
	close(f->b);
	close(f->c);
	close(f->d);
	loops_down();
	g_ptr_array_unref(f->r.pkts);
}

/* @fd sends RTP @seq with SSRC bytes @ssrc: it must be delivered, the
 * @n-th datagram the callback saw. */
static void expect_taken(struct src_fix *f, int fd, uint16_t seq, uint8_t ssrc, guint n)
{
	uint8_t pkt[60];

	peer_send(fd, f->port, pkt, rtp_pkt(pkt, sizeof(pkt), seq, ssrc));
	ck_assert_uint_eq(rec_wait(&f->r, n), n);
	rec_assert_pkt(&f->r, n - 1, pkt, sizeof(pkt));
}

/* @addr is 127.0.0.1:@port. */
static void assert_lo(const char *addr, uint16_t port)
{
	char want[64];

	g_snprintf(want, sizeof(want), "127.0.0.1:%u", port);
	ck_assert_str_eq(addr, want);
}

START_TEST(test_symmetric_latches_to_a_nat_source_after_probation)
{
	struct src_fix f;
	struct gw_rtp_socket_stats st;
	uint8_t pkt[60], junk[8] = { 0 }, got[2048];

	src_up(&f);
	/* The SDP said A; the NATed peer really sends from B. */
	ck_assert_int_eq(set_remote(f.s, "127.0.0.1", f.pa, true), 0);
	/* A non-RTP datagram is delivered but teaches nothing. */
	peer_send(f.c, f.port, junk, sizeof(junk));
	ck_assert_uint_eq(rec_wait(&f.r, 1), 1);
	ck_assert(!stats_of(f.s).learned);
	/* B is on probation for its first packets: dropped, counted */
	for (uint16_t seq = 1; seq < GW_RTP_PROBATION; seq++)
		rtp_from(f.b, f.port, seq, 0xb0);
	ck_assert_uint_eq(wait_foreign(f.s, GW_RTP_PROBATION - 1), GW_RTP_PROBATION - 1);
	ck_assert(!stats_of(f.s).learned);
	/* ... and is taken with the next one in sequence */
	expect_taken(&f, f.b, GW_RTP_PROBATION, 0xb0, 2);
	st = stats_of(f.s);
	ck_assert(st.learned && st.latched);
	assert_lo(st.remote, f.pb);
	assert_lo(st.source, f.pb);
	/* Our media now goes to B. */
	ck_assert_int_eq(sock_send(f.s, pkt, rtp_pkt(pkt, sizeof(pkt), 100, 9)), 0);
	ck_assert_int_eq(peer_recv(f.b, got, sizeof(got)), sizeof(pkt));
	ck_assert_mem_eq(got, pkt, sizeof(pkt));
	/* C is not the learned source: dropped and counted. */
	rtp_from(f.c, f.port, 2, 0xc0);
	ck_assert_uint_eq(wait_foreign(f.s, GW_RTP_PROBATION), GW_RTP_PROBATION);
	expect_taken(&f, f.b, 9, 0xb0, 3); /* B's, not C's */
	/* The same SDP again (a session refresh) keeps the latch to B. */
	ck_assert_int_eq(set_remote(f.s, "127.0.0.1", f.pa, true), 0);
	st = stats_of(f.s);
	ck_assert(st.latched);
	assert_lo(st.remote, f.pb);
	/* A re-INVITE to C's address learns again: C, being the SDP's
	 * address, is taken at its first packet. */
	ck_assert_int_eq(set_remote(f.s, "127.0.0.1", f.pc, true), 0);
	ck_assert(!stats_of(f.s).learned);
	peer_send(f.c, f.port, pkt, rtp_pkt(pkt, sizeof(pkt), 4, 0xc0));
	ck_assert_uint_eq(rec_wait(&f.r, 4), 4);
	st = stats_of(f.s);
	ck_assert(st.learned && st.latched);
	assert_lo(st.remote, f.pc);
	ck_assert_int_eq(sock_send(f.s, pkt, rtp_pkt(pkt, sizeof(pkt), 101, 8)), 0);
	ck_assert_int_eq(peer_recv(f.c, got, sizeof(got)), sizeof(pkt));
	ck_assert_mem_eq(got, pkt, sizeof(pkt));
	/* A never got anything: the first datagram it sees is this marker. */
	ck_assert_int_eq(set_remote(f.s, "127.0.0.1", f.pa, false), 0);
	ck_assert_int_eq(sock_send(f.s, pkt, rtp_pkt(pkt, sizeof(pkt), 102, 7)), 0);
	ck_assert_int_eq(peer_recv(f.a, got, sizeof(got)), sizeof(pkt));
	ck_assert_mem_eq(got, pkt, sizeof(pkt));
	src_down(&f);
}
END_TEST

/* Against RTP injection ("RTP bleed"): once the far end's SDP is known,
 * audio is taken from one source.  An attacker spraying the port, before
 * or after the far end's first packet, gets nothing in; a far end whose
 * media leaves from another port than its SDP says still gets through
 * after its probation. */
START_TEST(test_media_is_taken_from_one_source_only)
{
	struct src_fix f;
	struct gw_rtp_socket_stats st;
	uint8_t pkt[60], got[2048];

	src_up(&f);
	ck_assert_int_eq(set_remote(f.s, "127.0.0.1", f.pa, false), 0);
	/* C sprays the port first: short of its probation, nothing gets in */
	for (uint16_t seq = 1; seq < GW_RTP_PROBATION; seq++)
		rtp_from(f.c, f.port, seq, 0xc0);
	ck_assert_uint_eq(wait_foreign(f.s, GW_RTP_PROBATION - 1), GW_RTP_PROBATION - 1);
	/* the far end's first packet from the SDP address is taken at once */
	expect_taken(&f, f.a, 1, 0xa0, 1);
	st = stats_of(f.s);
	ck_assert(st.learned && !st.latched);
	assert_lo(st.source, f.pa);
	/* C's sequence goes on, far past probation: all dropped */
	for (uint16_t seq = GW_RTP_PROBATION; seq < 20; seq++)
		rtp_from(f.c, f.port, seq, 0xc0);
	ck_assert_uint_eq(wait_foreign(f.s, 19), 19);
	expect_taken(&f, f.a, 2, 0xa0, 2);
	g_usleep(50000);
	ck_assert_uint_eq(rec_wait(&f.r, 2), 2);  /* nothing of C's */
	/* Sends go where the SDP said. */
	ck_assert_int_eq(sock_send(f.s, pkt, rtp_pkt(pkt, sizeof(pkt), 9, 9)), 0);
	ck_assert_int_eq(peer_recv(f.a, got, sizeof(got)), sizeof(pkt));
	ck_assert_mem_eq(got, pkt, sizeof(pkt));

	/* The far end moves (a re-INVITE to A again keeps the source; to
	 * D learns again).  Media now leaves from B, not the SDP's D: taken
	 * after probation.  C's packet in between does not break B's run
	 * (each source counts on its own); an SSRC change restarts it. */
	ck_assert_int_eq(set_remote(f.s, "127.0.0.1", f.pa, false), 0);
	ck_assert(stats_of(f.s).learned);
	ck_assert_int_eq(set_remote(f.s, "127.0.0.1", f.pd, false), 0);
	ck_assert(!stats_of(f.s).learned);
	rtp_from(f.b, f.port, 100, 0xb0);
	rtp_from(f.b, f.port, 101, 0xb0);
	rtp_from(f.c, f.port, 50, 0xc0);
	rtp_from(f.b, f.port, 102, 0xb0);   /* 3 in sequence, C's in between */
	ck_assert_uint_eq(wait_foreign(f.s, 19 + 4), 19 + 4);
	ck_assert(!stats_of(f.s).learned);
	rtp_from(f.b, f.port, 103, 0xb1);   /* another SSRC: starts over */
	rtp_from(f.b, f.port, 104, 0xb1);
	rtp_from(f.b, f.port, 105, 0xb1);
	ck_assert_uint_eq(wait_foreign(f.s, 19 + 7), 19 + 7);
	ck_assert(!stats_of(f.s).learned);
	expect_taken(&f, f.b, 106, 0xb1, 3);
	st = stats_of(f.s);
	ck_assert(st.learned && !st.latched);
	assert_lo(st.source, f.pb);
	assert_lo(st.remote, f.pd);
	/* B only passed probation: the SDP's D takes over at its first
	 * packet, and B is foreign from then on (had B been an attacker that
	 * sprayed the port before D's first packet, it lost it here). */
	expect_taken(&f, f.d, 7, 0xd0, 4);
	assert_lo(stats_of(f.s).source, f.pd);
	rtp_from(f.b, f.port, 107, 0xb1);
	ck_assert_uint_eq(wait_foreign(f.s, 19 + 8), 19 + 8);
	src_down(&f);
}
END_TEST

/* src_up_queue, symmetric toward A, and B learned by probation: its
 * probation run's last packet is the first one delivered. */
static void src_up_b_learned(struct src_fix *f, unsigned max_queue_ms)
{
	src_up_queue(f, max_queue_ms);
	ck_assert_int_eq(set_remote(f->s, "127.0.0.1", f->pa, true), 0);
	for (uint16_t seq = 1; seq < GW_RTP_PROBATION; seq++)
		rtp_from(f->b, f->port, seq, 0xb0);
	ck_assert_uint_eq(wait_foreign(f->s, GW_RTP_PROBATION - 1), GW_RTP_PROBATION - 1);
	expect_taken(f, f->b, GW_RTP_PROBATION, 0xb0, 1);
}

static void stall(void *obj)
{
	struct job *j = obj;

	g_mutex_lock(&mu);
	j->done = true;        /* here: begun */
	g_cond_broadcast(&cond);
	g_mutex_unlock(&mu);
	g_usleep(GPOINTER_TO_UINT(j->arg));
}

/* Keep media loop 0 busy for @us from now: returns once it has begun. */
static void stall_loop(unsigned us)
{
	struct job *j = gw_obj_alloc(sizeof(*j), NULL);
	gint64 end = g_get_monotonic_time() + WAIT_US;
	bool begun;

	j->arg = GUINT_TO_POINTER(us);
	gw_loop_post(gw_loop_nth(0), stall, j);
	g_mutex_lock(&mu);
	while (!j->done && g_cond_wait_until(&cond, &mu, end))
		;
	begun = j->done;
	g_mutex_unlock(&mu);
	gw_obj_deref(j);
	ck_assert_msg(begun, "the media loop did not run posted work");
}

/* Silence is judged by when packets arrived, not when the loop read them:
 * B is learned and heard; the loop then stalls 1.3 s, while C sends its
 * whole probation run just after B's last packet.  Read after the stall,
 * B had been silent for over a second by the loop's clock (the old rule
 * handed the call to C), for 20 ms by the packets' arrival.  And what the
 * callback gets is each packet's arrival time. */
START_TEST(test_a_stalled_loop_does_not_make_the_source_look_silent)
{
	struct src_fix f;
	struct gw_rtp_socket_stats st;
	gint64 sent_us, woke_us, rx_us;

	src_up_b_learned(&f, 0);
	stall_loop(1300 * 1000);
	for (uint16_t seq = 1; seq <= GW_RTP_PROBATION; seq++)
		rtp_from(f.c, f.port, seq, 0xc0);             /* C's whole run */
	sent_us = g_get_monotonic_time();
	rtp_from(f.b, f.port, GW_RTP_PROBATION + 1, 0xb0);  /* B goes on */
	on_loop(noop, NULL);                                 /* the stall is over */
	woke_us = g_get_monotonic_time();
	ck_assert_uint_eq(rec_wait(&f.r, 2), 2);
	ck_assert_uint_eq(wait_foreign(f.s, 2 * GW_RTP_PROBATION - 1), 2 * GW_RTP_PROBATION - 1);
	st = stats_of(f.s);
	ck_assert(st.learned);
	assert_lo(st.source, f.pb);
	g_mutex_lock(&mu);
	rx_us = f.r.last_rx_us;
	g_mutex_unlock(&mu);
	ck_assert_int_ge(rx_us, sent_us);
	ck_assert_int_lt(rx_us, woke_us - 1000 * 1000);
	/* a second later B is silent by any clock: C's next in sequence is taken */
	g_usleep(1100 * 1000);
	expect_taken(&f, f.c, GW_RTP_PROBATION + 1, 0xc0, 3);
	assert_lo(stats_of(f.s).source, f.pc);
	src_down(&f);
}
END_TEST

/* media.max_queue_ms (here 200): the loop stalls 800 ms.  What the source
 * sent as it began waited about that long in the socket: its audio is
 * dropped, counted stale, and still shows the source alive
 * (media.rtp_timeout), but its RFC 4733 event is delivered, late rather
 * than lost; what it sends once the loop runs again is delivered.
 * (Without a limit the late packets are delivered: the test above.) */
START_TEST(test_media_that_waited_past_max_queue_is_dropped_but_keeps_the_source_alive)
{
	struct src_fix f;
	struct op o;
	uint8_t pkt[60], ev[16];
	uint16_t seq = GW_RTP_PROBATION;

	src_up_b_learned(&f, 200);
	stall_loop(800 * 1000);
	rtp_from(f.b, f.port, ++seq, 0xb0);                 /* waits ~780 ms */
	rtp_pkt(ev, sizeof(ev), ++seq, 0xb0);
	ev[1] = 0x80 | EVENT_PT;                             /* a digit begins */
	peer_send(f.b, f.port, ev, sizeof(ev));
	rtp_from(f.b, f.port, ++seq, 0xb0);
	on_loop(noop, NULL);                                 /* the stall is over */
	ck_assert_uint_eq(rec_wait(&f.r, 2), 2);
	rec_assert_pkt(&f.r, 1, ev, sizeof(ev));
	expect_taken(&f, f.b, ++seq, 0xb0, 3);
	peer_send(f.b, f.port, pkt, rtp_pkt(pkt, sizeof(pkt), ++seq, 0xb0));
	ck_assert_uint_eq(rec_wait(&f.r, 4), 4);
	rec_assert_pkt(&f.r, 3, pkt, sizeof(pkt));
	o = (struct op){ .s = f.s };
	on_loop(op_stats, &o);
	ck_assert_uint_eq(o.st.stale, 2);
	ck_assert_uint_eq(o.st.rtp_in, 4);
	ck_assert_uint_eq(o.source_in, 6);
	src_down(&f);
}
END_TEST

/* A peer behind NAT (symmetric): its first source passes probation across
 * the sequence wrap and is latched; when its NAT mapping changes, the new
 * source is taken once the old one has been silent for a second (not
 * before); and the SDP's address, when it finally sends, takes over both
 * where media comes from and where it goes. */
START_TEST(test_symmetric_follows_a_nat_rebinding_and_yields_to_the_sdp_address)
{
	struct src_fix f;
	struct gw_rtp_socket_stats st;
	uint8_t pkt[60], got[2048];

	src_up(&f);
	ck_assert_int_eq(set_remote(f.s, "127.0.0.1", f.pa, true), 0);
	rtp_from(f.b, f.port, 65534, 0xb0);
	rtp_from(f.b, f.port, 65535, 0xb0);
	rtp_from(f.b, f.port, 0, 0xb0);
	ck_assert_uint_eq(wait_foreign(f.s, 3), 3);
	expect_taken(&f, f.b, 1, 0xb0, 1);
	st = stats_of(f.s);
	ck_assert(st.learned && st.latched);
	assert_lo(st.remote, f.pb);
	/* the mapping changes: C's run passes probation while B has only
	 * just been heard: not taken */
	for (uint16_t seq = 1; seq <= GW_RTP_PROBATION; seq++)
		rtp_from(f.c, f.port, seq, 0xc0);
	ck_assert_uint_eq(wait_foreign(f.s, 3 + GW_RTP_PROBATION), 3 + GW_RTP_PROBATION);
	assert_lo(stats_of(f.s).source, f.pb);
	/* B silent for over a second: C's next packet in sequence is taken */
	g_usleep(1200 * 1000);
	expect_taken(&f, f.c, GW_RTP_PROBATION + 1, 0xc0, 2);
	st = stats_of(f.s);
	assert_lo(st.source, f.pc);
	assert_lo(st.remote, f.pc);
	ck_assert_int_eq(sock_send(f.s, pkt, rtp_pkt(pkt, sizeof(pkt), 100, 9)), 0);
	ck_assert_int_eq(peer_recv(f.c, got, sizeof(got)), sizeof(pkt));
	/* the SDP's A sends: it is the source and the remote from now on */
	peer_send(f.a, f.port, pkt, rtp_pkt(pkt, sizeof(pkt), 1, 0xa0));
	ck_assert_uint_eq(rec_wait(&f.r, 3), 3);
	st = stats_of(f.s);
	assert_lo(st.source, f.pa);
	assert_lo(st.remote, f.pa);
	ck_assert(st.latched);
	ck_assert_int_eq(sock_send(f.s, pkt, rtp_pkt(pkt, sizeof(pkt), 101, 8)), 0);
	ck_assert_int_eq(peer_recv(f.a, got, sizeof(got)), sizeof(pkt));
	ck_assert_mem_eq(got, pkt, sizeof(pkt));
	/* and C, however long it runs now, is foreign */
	for (uint16_t seq = 10; seq < 20; seq++)
		rtp_from(f.c, f.port, seq, 0xc0);
	ck_assert_uint_eq(wait_foreign(f.s, 3 + GW_RTP_PROBATION + 10), 3 + GW_RTP_PROBATION + 10);
	ck_assert_uint_eq(rec_wait(&f.r, 3), 3);
	src_down(&f);
}
END_TEST

/* A PBX behind NAT: its SDP gives a private address nobody can reach
 * (127.0.0.3 here), its media leaves from its public address, the one its
 * SIP came from (127.0.0.1).  A stranger elsewhere (127.0.0.2) that
 * sprays the port first passes probation and is taken, as before; the
 * PBX's first packet takes over at once, and from then on neither the
 * stranger's run nor another port of the PBX's address gets in while it
 * keeps sending. */
START_TEST(test_sip_peer_address_takes_over_from_a_stranger_at_its_first_packet)
{
	struct src_fix f;
	struct sockaddr_in two = { .sin_family = AF_INET }, three = { .sin_family = AF_INET };
	struct gw_rtp_socket_stats st;
	socklen_t len = sizeof(three);
	int stranger = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int sdp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint16_t seq = 1;
	uint8_t pkt[60];

	src_up(&f);
	two.sin_addr.s_addr = htonl(0x7f000002);
	three.sin_addr.s_addr = htonl(0x7f000003);
	ck_assert_int_ge(stranger, 0);
	ck_assert_int_ge(sdp_fd, 0);
	ck_assert_int_eq(bind(stranger, (struct sockaddr *)&two, sizeof(two)), 0);
	ck_assert_int_eq(bind(sdp_fd, (struct sockaddr *)&three, sizeof(three)), 0);
	ck_assert_int_eq(getsockname(sdp_fd, (struct sockaddr *)&three, &len), 0);
	/* (loopback, like RFC 1918 space, is private: the peer rule applies) */
	ck_assert_int_eq(set_remote(f.s, "127.0.0.3", ntohs(three.sin_port), false), 0);
	ck_assert_int_eq(set_peer(f.s, "::1"), EINVAL);      /* not this socket's family */
	ck_assert_int_eq(set_peer(f.s, "no.such"), EINVAL);
	ck_assert_int_eq(set_peer(f.s, "127.0.0.1"), 0);
	for (; seq <= GW_RTP_PROBATION; seq++)
		rtp_from(stranger, f.port, seq, 0x55);
	ck_assert_uint_eq(rec_wait(&f.r, 1), 1);
	ck_assert(g_str_has_prefix(stats_of(f.s).source, "127.0.0.2:"));
	/* the PBX's public address, another port than any SDP said */
	expect_taken(&f, f.b, 1, 0xb0, 2);
	st = stats_of(f.s);
	assert_lo(st.source, f.pb);
	/* the stranger goes on in sequence, another port of the PBX's
	 * address tries too: dropped while the PBX keeps sending */
	for (int i = 0; i < 2 * GW_RTP_PROBATION; i++, seq++)
		rtp_from(stranger, f.port, seq, 0x55);
	rtp_from(f.c, f.port, 1, 0xc0);
	/* (its probation run counted too) */
	ck_assert_uint_eq(wait_foreign(f.s, 3 * GW_RTP_PROBATION), 3 * GW_RTP_PROBATION);
	expect_taken(&f, f.b, 2, 0xb0, 3);
	assert_lo(stats_of(f.s).source, f.pb);
	/* forgetting the peer keeps what was learned ... */
	ck_assert_int_eq(set_peer(f.s, NULL), 0);
	expect_taken(&f, f.b, 3, 0xb0, 4);
	/* ... but another port of its address is a stranger now, and so after
	 * a refused peer (another family) */
	ck_assert_int_eq(set_peer(f.s, "127.0.0.1"), 0);
	ck_assert_int_eq(set_peer(f.s, "::1"), EINVAL);
	rtp_from(f.c, f.port, 100, 0xc0);
	ck_assert_uint_eq(wait_foreign(f.s, 3 * GW_RTP_PROBATION + 1), 3 * GW_RTP_PROBATION + 1);
	/* the SDP's address outranks them all at its first packet */
	ck_assert_int_eq(set_peer(f.s, "127.0.0.1"), 0);
	peer_send(sdp_fd, f.port, pkt, rtp_pkt(pkt, sizeof(pkt), 1, 0xd0));
	ck_assert_uint_eq(rec_wait(&f.r, 5), 5);
	ck_assert(g_str_has_prefix(stats_of(f.s).source, "127.0.0.3:"));
	rtp_from(f.b, f.port, 4, 0xb0);
	ck_assert_uint_eq(wait_foreign(f.s, 3 * GW_RTP_PROBATION + 2), 3 * GW_RTP_PROBATION + 2);
	close(stranger);
	close(sdp_fd);
	src_down(&f);
}
END_TEST

/* Before the far end's SDP, and on hold, every datagram is delivered and
 * nothing is learned: the media engine judges. */
START_TEST(test_before_an_sdp_address_any_source_is_delivered)
{
	struct src_fix f;
	struct gw_rtp_socket_stats st;

	src_up(&f);
	rtp_from(f.b, f.port, 1, 1);
	rtp_from(f.c, f.port, 2, 2);
	ck_assert_uint_eq(rec_wait(&f.r, 2), 2);
	/* hold (c=0.0.0.0) after a source was learned: forgotten */
	ck_assert_int_eq(set_remote(f.s, "127.0.0.1", f.pa, false), 0);
	rtp_from(f.a, f.port, 1, 3);
	ck_assert_uint_eq(rec_wait(&f.r, 3), 3);
	ck_assert(stats_of(f.s).learned);
	ck_assert_int_eq(set_remote(f.s, "0.0.0.0", f.pa, false), 0);
	rtp_from(f.b, f.port, 3, 1);
	rtp_from(f.c, f.port, 4, 2);
	ck_assert_uint_eq(rec_wait(&f.r, 5), 5);
	st = stats_of(f.s);
	ck_assert(!st.learned && !st.latched);
	ck_assert_uint_eq(st.foreign, 0);
	src_down(&f);
}
END_TEST

START_TEST(test_rtcp_port_datagrams_are_counted_not_delivered)
{
	struct gw_rtp_socket *s;
	struct rec r;
	uint8_t rr[32] = { 0x81, 201, 0, 7 }, pkt[40];
	uint16_t pport, port;
	int peer = peer_new(&pport);
	gint64 end;

	loops_up();
	rec_init(&r);
	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", 0, 0, &s), 0);
	port = gw_rtp_socket_port(s);
	gw_rtp_socket_start(s, gw_loop_nth(0), on_packet, &r);
	for (int i = 0; i < 3; i++)
		peer_send(peer, (uint16_t)(port + 1), rr, sizeof(rr));
	end = g_get_monotonic_time() + WAIT_US;
	while (stats_of(s).rtcp_in < 3 && g_get_monotonic_time() < end)
		g_usleep(5000);
	ck_assert_uint_eq(stats_of(s).rtcp_in, 3);
	/* Then RTP: the only thing the callback ever saw. */
	peer_send(peer, port, pkt, rtp_pkt(pkt, sizeof(pkt), 1, 1));
	ck_assert_uint_eq(rec_wait(&r, 1), 1);
	rec_assert_pkt(&r, 0, pkt, sizeof(pkt));
	close_on_loop(s);
	gw_obj_deref(s);
	close(peer);
	loops_down();
	g_ptr_array_unref(r.pkts);
}
END_TEST

START_TEST(test_close_on_loop_stops_callbacks_and_frees_ports)
{
	struct gw_rtp_socket *s;
	struct rec r;
	uint8_t pkt[40];
	uint16_t pport, port;
	int peer = peer_new(&pport);

	loops_up();
	rec_init(&r);
	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", 0, 0, &s), 0);
	port = gw_rtp_socket_port(s);
	gw_rtp_socket_start(s, gw_loop_nth(0), on_packet, &r);
	peer_send(peer, port, pkt, rtp_pkt(pkt, sizeof(pkt), 1, 1));
	ck_assert_uint_eq(rec_wait(&r, 1), 1);
	close_on_loop(s);
	close_on_loop(s); /* idempotent */
	for (int i = 0; i < 5; i++)
		peer_send(peer, port, pkt, rtp_pkt(pkt, sizeof(pkt), (uint16_t)(2 + i), 2));
	on_loop(noop, NULL);
	on_loop(noop, NULL);
	ck_assert_uint_eq(rec_count(&r), 1);
	assert_port_free(port);
	assert_port_free((uint16_t)(port + 1));
	gw_obj_deref(s);
	close(peer);
	loops_down(); /* and the watches released their references */
	g_ptr_array_unref(r.pkts);
}
END_TEST

START_TEST(test_close_from_callback_stops_delivery_mid_burst)
{
	struct gw_rtp_socket *s;
	struct rec r;
	uint8_t pkt[40];
	uint16_t pport, port;
	int peer = peer_new(&pport);

	loops_up();
	rec_init(&r);
	r.close_on_first = true;
	ck_assert_int_eq(gw_rtp_socket_open("127.0.0.1", 0, 0, &s), 0);
	port = gw_rtp_socket_port(s);
	/* Queued before start, so the first wakeup reads them as one batch. */
	for (uint16_t i = 0; i < 10; i++)
		peer_send(peer, port, pkt, rtp_pkt(pkt, sizeof(pkt), i, 0));
	gw_rtp_socket_start(s, gw_loop_nth(0), on_packet, &r);
	ck_assert_uint_ge(rec_wait(&r, 1), 1);
	on_loop(noop, NULL); /* runs after that dispatch finished */
	ck_assert_uint_eq(rec_count(&r), 1);
	rtp_pkt(pkt, sizeof(pkt), 0, 0);
	rec_assert_pkt(&r, 0, pkt, sizeof(pkt));
	gw_obj_deref(s);
	close(peer);
	loops_down();
	g_ptr_array_unref(r.pkts);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("rtp_socket");
	TCase *tc = tcase_create("rtp_socket");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_open_in_range_binds_even_rtp_port_and_next_for_rtcp);
	tcase_add_test(tc, test_open_exhausts_four_port_range_with_eaddrinuse);
	tcase_add_test(tc, test_open_skips_pair_whose_rtcp_port_is_taken);
	tcase_add_test(tc, test_open_refuses_bad_address_and_range);
	tcase_add_test(tc, test_open_any_port_gets_even_pair_from_kernel);
	tcase_add_test(tc, test_received_datagrams_arrive_with_identical_bytes);
	tcase_add_test(tc, test_burst_of_200_datagrams_arrives_completely_in_order);
	tcase_add_test(tc, test_send_reaches_remote_and_hold_sends_nothing);
	tcase_add_test(tc, test_set_remote_refuses_bad_address_and_keeps_old_one);
	tcase_add_test(tc, test_symmetric_latches_to_a_nat_source_after_probation);
	tcase_add_test(tc, test_media_is_taken_from_one_source_only);
	tcase_add_test(tc, test_symmetric_follows_a_nat_rebinding_and_yields_to_the_sdp_address);
	tcase_add_test(tc, test_sip_peer_address_takes_over_from_a_stranger_at_its_first_packet);
	tcase_add_test(tc, test_before_an_sdp_address_any_source_is_delivered);
	tcase_add_test(tc, test_a_stalled_loop_does_not_make_the_source_look_silent);
	tcase_add_test(tc, test_media_that_waited_past_max_queue_is_dropped_but_keeps_the_source_alive);
	tcase_add_test(tc, test_rtcp_port_datagrams_are_counted_not_delivered);
	tcase_add_test(tc, test_close_on_loop_stops_callbacks_and_frees_ports);
	tcase_add_test(tc, test_close_from_callback_stops_delivery_mid_burst);
	suite_add_tcase(su, tc);
	return gw_check_run(su);
}
