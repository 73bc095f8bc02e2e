/* test_loop_paced.c — media loops with the paced poll of benchmark peers
 * (gw_loops_set_paced_poll): datagrams, timeouts and posted work still
 * arrive, and an idle paced loop waits in nanosleep, never inside poll (so
 * a sender on loopback finds no sleeper to wake on its sockets).
 *
 * Where the loop thread waits is read from /proc/self/task/TID/syscall: the
 * number of the system call a blocked thread sits in ("running" when it is
 * on a CPU or waiting for one).  A paced loop never blocks in poll at all
 * (it polls with timeout 0), so "never seen in poll" holds however noisy
 * the machine; "seen in nanosleep" is sampled until seen, with a generous
 * deadline.  Only 127.0.0.1; timeouts are generous (shared machines).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "gw_check.h"
#include <gio/gio.h>
#include <glib.h>
#include "gw/loop.h"

#define PACE_US     1000
#define WAIT_US     (10 * G_USEC_PER_SEC)  /* generous: the machine is shared */
#define BURST       100

/* What the loop thread saw, under a lock; the test thread waits on it. */
struct seen {
	GMutex lock;
	GCond cond;
	int datagrams;
	char first[64];
	gint64 timeout_at;      /* monotonic us when the 5 ms timeout ran; 0 = not yet */
	gboolean posted_ran;
	pid_t tid;              /* the loop thread's id; 0 = not yet */
};

static struct seen seen;

static void seen_reset(void)
{
	g_mutex_clear(&seen.lock);
	g_cond_clear(&seen.cond);
	memset(&seen, 0, sizeof(seen));
	g_mutex_init(&seen.lock);
	g_cond_init(&seen.cond);
}

/* Wait until @done(&seen) holds or WAIT_US passed; whether it holds. */
static gboolean seen_wait(gboolean (*done)(void))
{
	gint64 until = g_get_monotonic_time() + WAIT_US;
	gboolean ok;

	g_mutex_lock(&seen.lock);
	while (!(ok = done()) && g_cond_wait_until(&seen.cond, &seen.lock, until))
		;
	ok = done();
	g_mutex_unlock(&seen.lock);
	return ok;
}

static gboolean got_one_and_timeout(void)
{
	return seen.datagrams >= 1 && seen.timeout_at;
}

static gboolean got_burst(void)
{
	return seen.datagrams >= BURST;
}

static gboolean got_posted(void)
{
	return seen.posted_ran;
}

static gboolean got_tid(void)
{
	return seen.tid != 0;
}

static gboolean on_readable(GSocket *sock, GIOCondition cond, gpointer arg)
{
	char buf[64];
	gssize n;

	while ((n = g_socket_receive(sock, buf, sizeof(buf) - 1, NULL, NULL)) >= 0) {
		buf[n] = '\0';
		g_mutex_lock(&seen.lock);
		if (!seen.datagrams++)
			g_strlcpy(seen.first, buf, sizeof(seen.first));
		g_cond_broadcast(&seen.cond);
		g_mutex_unlock(&seen.lock);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_timeout(gpointer arg)
{
	g_mutex_lock(&seen.lock);
	seen.timeout_at = g_get_monotonic_time();
	g_cond_broadcast(&seen.cond);
	g_mutex_unlock(&seen.lock);
	return G_SOURCE_REMOVE;
}

static gboolean on_tid(gpointer arg)
{
	g_mutex_lock(&seen.lock);
	seen.tid = (pid_t)syscall(SYS_gettid);
	g_cond_broadcast(&seen.cond);
	g_mutex_unlock(&seen.lock);
	return G_SOURCE_REMOVE;
}

static void on_posted(void *obj)
{
	g_mutex_lock(&seen.lock);
	seen.posted_ran = TRUE;
	g_cond_broadcast(&seen.cond);
	g_mutex_unlock(&seen.lock);
}

/* A UDP socket on 127.0.0.1 watched from @ctx; its port in @port. */
static GSocket *watched_socket(GMainContext *ctx, guint16 *port)
{
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *sa = g_inet_socket_address_new(lo, 0), *bound;
	GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
	GSource *src;

	ck_assert_ptr_nonnull(s);
	ck_assert(g_socket_bind(s, sa, FALSE, NULL));
	g_socket_set_blocking(s, FALSE);
	bound = g_socket_get_local_address(s, NULL);
	*port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	src = g_socket_create_source(s, G_IO_IN, NULL);
	g_source_set_callback(src, G_SOURCE_FUNC(on_readable), NULL, NULL);
	g_source_attach(src, ctx);
	g_source_unref(src);
	g_object_unref(bound);
	g_object_unref(sa);
	g_object_unref(lo);
	return s;
}

static void send_to(guint16 port, const char *text)
{
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *to = g_inet_socket_address_new(lo, port);
	GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);

	ck_assert_int_eq(g_socket_send_to(s, to, text, strlen(text), NULL, NULL), (gssize)strlen(text));
	g_object_unref(s);
	g_object_unref(to);
	g_object_unref(lo);
}

/* Start one media loop, paced or not; the loop (borrowed). */
static struct gw_loop *start_loop(unsigned pace_us)
{
	seen_reset();
	gw_loops_set_paced_poll(pace_us);
	ck_assert_int_eq(gw_loops_start(1), 0);
	return gw_loop_nth(0);
}

static void stop_loop(void)
{
	gw_loops_stop();
	gw_loops_set_paced_poll(0);
}

START_TEST(test_paced_loop_delivers_a_datagram_and_runs_a_5ms_timeout)
{
	struct gw_loop *l = start_loop(PACE_US);
	guint16 port;
	GSocket *s = watched_socket(gw_loop_context(l), &port);
	GSource *t = g_timeout_source_new(5);
	gint64 t0 = g_get_monotonic_time();

	g_source_set_callback(t, on_timeout, NULL, NULL);
	g_source_attach(t, gw_loop_context(l));
	g_source_unref(t);
	send_to(port, "paced hello");
	ck_assert_msg(seen_wait(got_one_and_timeout), "paced loop stalled: %d datagram(s), timeout %s",
		      seen.datagrams, seen.timeout_at ? "ran" : "never ran");
	ck_assert_str_eq(seen.first, "paced hello");
	ck_assert_int_eq(seen.datagrams, 1);
	/* a timeout is not run early by polling with timeout 0 */
	ck_assert_int_ge(seen.timeout_at - t0, 5000);
	stop_loop();
	g_object_unref(s);
}
END_TEST

START_TEST(test_paced_loop_delivers_a_whole_burst)
{
	struct gw_loop *l = start_loop(PACE_US);
	guint16 port;
	GSocket *s = watched_socket(gw_loop_context(l), &port);

	for (int i = 0; i < BURST; i++) {
		char text[32];

		g_snprintf(text, sizeof(text), "datagram %d", i);
		send_to(port, text);
	}
	ck_assert_msg(seen_wait(got_burst), "only %d of %d datagrams delivered", seen.datagrams, BURST);
	ck_assert_str_eq(seen.first, "datagram 0");
	stop_loop();
	g_object_unref(s);
}
END_TEST

START_TEST(test_paced_loop_runs_work_posted_from_another_thread)
{
	struct gw_loop *l = start_loop(PACE_US);

	/* the loop sleeps in nanosleep: the poster's wake-up write is only
	 * seen at the next poll, which must still come */
	g_usleep(20000);
	gw_loop_post(l, on_posted, NULL);
	ck_assert_msg(seen_wait(got_posted), "posted work never ran on a paced loop");
	stop_loop();
}
END_TEST

/* Where thread @tid waits: the system call number it is blocked in, -1
 * when it is running (or blocked outside a system call), or -2 when
 * /proc does not say. */
static long blocked_in(pid_t tid)
{
	char path[64], text[256];
	FILE *f;
	size_t n;

	g_snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	if (!(f = fopen(path, "r")))
		return -2;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	if (!n)
		return -2;
	if (!strncmp(text, "running", 7))
		return -1;
	return strtol(text, NULL, 10);
}

static gboolean is_poll(long nr)
{
	gboolean yes = FALSE;
#ifdef SYS_poll
	yes |= nr == SYS_poll;
#endif
#ifdef SYS_ppoll
	yes |= nr == SYS_ppoll;
#endif
	return yes;
}

static gboolean is_sleep(long nr)
{
	gboolean yes = nr == SYS_clock_nanosleep;
#ifdef SYS_nanosleep
	yes |= nr == SYS_nanosleep;
#endif
	return yes;
}

/* Sample where the idle loop's thread waits until @want samples of
 * nanosleep (@want_poll: of poll) were seen or WAIT_US passed; the counts.
 * FALSE when /proc does not tell. */
static gboolean sample_idle(struct gw_loop *l, int want, gboolean want_poll, int *in_poll, int *in_sleep)
{
	gint64 until;
	pid_t tid;

	g_main_context_invoke(gw_loop_context(l), on_tid, NULL);
	ck_assert(seen_wait(got_tid));
	tid = seen.tid;
	if (blocked_in(tid) == -2) {
		printf("test_loop_paced: /proc/self/task/%d/syscall unreadable (%s): where the loop waits "
		       "is not checked\n", (int)tid, g_strerror(errno));
		return FALSE;
	}
	*in_poll = *in_sleep = 0;
	until = g_get_monotonic_time() + WAIT_US;
	while ((want_poll ? *in_poll : *in_sleep) < want && g_get_monotonic_time() < until) {
		long nr = blocked_in(tid);

		*in_poll += is_poll(nr);
		*in_sleep += is_sleep(nr);
		g_usleep(700); /* not a divisor of the pace: samples every phase */
	}
	return TRUE;
}

START_TEST(test_paced_idle_loop_waits_in_nanosleep_never_in_poll)
{
	struct gw_loop *l = start_loop(PACE_US);
	int in_poll, in_sleep;

	if (sample_idle(l, 50, FALSE, &in_poll, &in_sleep)) {
		ck_assert_msg(in_poll == 0, "a paced loop was seen blocked in poll %d time(s)", in_poll);
		ck_assert_msg(in_sleep >= 50, "a paced idle loop was seen in nanosleep only %d time(s)", in_sleep);
	}
	stop_loop();
}
END_TEST

/* The check above can fail: an unpaced loop is seen sleeping in poll. */
START_TEST(test_unpaced_idle_loop_waits_in_poll)
{
	struct gw_loop *l = start_loop(0);
	int in_poll, in_sleep;

	if (sample_idle(l, 50, TRUE, &in_poll, &in_sleep)) {
		ck_assert_msg(in_poll >= 50, "an unpaced idle loop was seen in poll only %d time(s)", in_poll);
		ck_assert_int_eq(in_sleep, 0);
	}
	stop_loop();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loop_paced");
	TCase *tc = tcase_create("paced");

	g_mutex_init(&seen.lock);
	g_cond_init(&seen.cond);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_paced_loop_delivers_a_datagram_and_runs_a_5ms_timeout);
	tcase_add_test(tc, test_paced_loop_delivers_a_whole_burst);
	tcase_add_test(tc, test_paced_loop_runs_work_posted_from_another_thread);
	tcase_add_test(tc, test_paced_idle_loop_waits_in_nanosleep_never_in_poll);
	tcase_add_test(tc, test_unpaced_idle_loop_waits_in_poll);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
