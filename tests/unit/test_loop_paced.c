/* test_loop_paced.c — media loops that do not wait in poll: the paced poll
 * of benchmark peers (gw_loops_set_paced_poll): datagrams, timeouts and
 * posted work still arrive, and an idle paced loop waits in nanosleep,
 * never inside poll (so a sender on loopback finds no sleeper to wake on
 * its sockets); and coalesced wake-ups (gw_loops_set_coalesce): a loop with
 * calls that is idle sleeps until its clock's next slot, never in poll,
 * and takes a datagram that arrived meanwhile only then; without calls it
 * waits in poll as before.
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
	gint64 last_due;        /* the clock's last slot due time (coalescing tests) */
	gint64 got_at;          /* when the last datagram was taken */
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
		seen.got_at = g_get_monotonic_time();
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
static GSocket *watched_socket(GMainContext *ctx, guint16 *port, GSourceFunc fn)
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
	g_source_set_callback(src, fn, NULL, NULL);
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
	GSocket *s = watched_socket(gw_loop_context(l), &port, G_SOURCE_FUNC(on_readable));
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
	GSocket *s = watched_socket(gw_loop_context(l), &port, G_SOURCE_FUNC(on_readable));

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

/* ---- coalesced wake-ups ---- */

#define SLOTS       10
#define SLOT_US     (20000 / SLOTS)
#define SENDS       10

static struct gw_loop_tick *tick;     /* the loop thread's */
static int want_datagrams;

static gboolean got_wanted(void)
{
	return seen.datagrams >= want_datagrams;
}

/* A second call's tick (test_clock_runs_a_new_tick_in_an_empty_slot...):
 * when it was added, and the due time of its first round. */
static gint64 first_due[2];
static struct gw_loop_tick *tick_b;   /* the loop thread's */

/* @arg NULL: the first call's tick; else the second call's, which records
 * its first round and goes. */
static void on_tick(void *arg, gint64 due)
{
	g_mutex_lock(&seen.lock);
	if (!arg) {
		seen.last_due = due;
	} else if (tick_b) {
		first_due[1] = due;
		gw_loop_tick_remove(tick_b);
		tick_b = NULL;
	}
	g_cond_broadcast(&seen.cond);
	g_mutex_unlock(&seen.lock);
}

static void add_tick(void *obj)
{
	tick = gw_loop_tick_add(obj, on_tick, NULL);
}

static void remove_tick(void *obj)
{
	gw_loop_tick_remove(tick);
	tick = NULL;
	on_posted(NULL);
}

static gboolean got_tick(void)
{
	return seen.last_due != 0;
}

/* Calls on a coalescing loop: @n ticks, one per slot (the clock wakes the
 * loop n times a period); and noise: datagrams every NOISE_US from a
 * thread of the test to a second watched socket, packets between the
 * slots such as calls bring. */
#define NOISE_US    500

static struct gw_loop_tick *ticks[SLOTS];     /* the loop thread's */
static int nticks;
static gint noise_stop;
static GThread *noise;

static void add_ticks(void *obj)
{
	for (int i = 0; i < nticks; i++)
		ticks[i] = gw_loop_tick_add(obj, on_tick, NULL);
}

static void remove_ticks(void *obj)
{
	for (int i = 0; i < nticks; i++)
		gw_loop_tick_remove(ticks[i]);
	nticks = 0;
	on_posted(NULL);
}

static gboolean on_noise(GSocket *sock, GIOCondition cond, gpointer arg)
{
	char buf[64];

	while (g_socket_receive(sock, buf, sizeof(buf), NULL, NULL) >= 0)
		;
	return G_SOURCE_CONTINUE;
}

static gpointer noise_main(gpointer arg)
{
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *to = g_inet_socket_address_new(lo, (guint16)GPOINTER_TO_UINT(arg));
	GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);

	while (!g_atomic_int_get(&noise_stop)) {
		g_socket_send_to(s, to, "noise", 5, NULL, NULL);
		g_usleep(NOISE_US);
	}
	g_object_unref(s);
	g_object_unref(to);
	g_object_unref(lo);
	return NULL;
}

/* One media loop of SLOTS slots with coalescing allowed, @calls ticks, and
 * noise if @with_noise; the loop (borrowed) and the noise socket. */
static struct gw_loop *start_coalescing_loop(int calls, gboolean with_noise, GSocket **noise_sock)
{
	struct gw_loop *l;
	guint16 port;

	seen_reset();
	gw_loops_set_clock_slots(SLOTS);
	gw_loops_set_coalesce(TRUE);
	ck_assert_int_eq(gw_loops_start(1), 0);
	l = gw_loop_nth(0);
	*noise_sock = watched_socket(gw_loop_context(l), &port, G_SOURCE_FUNC(on_noise));
	g_atomic_int_set(&noise_stop, 0);
	noise = with_noise ? g_thread_new("noise", noise_main, GUINT_TO_POINTER(port)) : NULL;
	nticks = calls;
	gw_loop_post(l, add_ticks, l);
	ck_assert(seen_wait(got_tick));
	return l;
}

static void stop_coalescing_loop(struct gw_loop *l, GSocket *noise_sock)
{
	g_atomic_int_set(&noise_stop, 1);
	if (noise)
		g_thread_join(noise);
	noise = NULL;
	seen.posted_ran = FALSE;
	gw_loop_post(l, remove_ticks, NULL);
	ck_assert(seen_wait(got_posted));
	gw_loops_stop();
	gw_loops_set_coalesce(FALSE);
	gw_loops_set_clock_slots(1);
	g_object_unref(noise_sock);
}

/* Wait until the loop is seen napping: it decides once a second (its
 * first idle window), sampled with a generous deadline. */
static void wait_coalescing(struct gw_loop *l)
{
	int in_poll, in_sleep;

	if (sample_idle(l, 5, FALSE, &in_poll, &in_sleep))
		ck_assert_msg(in_sleep >= 5, "a coalescing loop with calls never napped (%d in poll)", in_poll);
}

START_TEST(test_coalescing_loop_with_calls_naps_never_waits_in_poll)
{
	GSocket *ns;
	struct gw_loop *l = start_coalescing_loop(SLOTS, TRUE, &ns);
	int in_poll, in_sleep;

	wait_coalescing(l);
	/* it polls only with timeout 0 now: not blocked in poll (but for a
	 * second in which a loaded machine left it too little idle time) */
	if (sample_idle(l, 100, FALSE, &in_poll, &in_sleep)) {
		ck_assert_msg(in_poll * 10 <= in_sleep, "a coalescing loop was seen blocked in poll %d time(s), "
			      "napping %d", in_poll, in_sleep);
		ck_assert_int_ge(in_sleep, 100);
	}
	/* without calls it waits in poll again: nothing to be late for */
	seen.posted_ran = FALSE;
	gw_loop_post(l, remove_ticks, NULL);
	ck_assert(seen_wait(got_posted));
	if (sample_idle(l, 50, TRUE, &in_poll, &in_sleep))
		ck_assert_msg(in_poll >= 50, "a coalescing loop without calls was seen in poll only %d time(s)",
			      in_poll);
	stop_coalescing_loop(l, ns);
}
END_TEST

/* Calls, but nothing arrives between their slots: napping would wake the
 * loop more often than its clock does, so it waits in poll (sampled over
 * three idle windows: never seen napping). */
START_TEST(test_coalescing_loop_without_packets_between_slots_waits_in_poll)
{
	GSocket *ns;
	struct gw_loop *l = start_coalescing_loop(SLOTS / 2, FALSE, &ns);
	gint64 until;
	int in_poll = 0, in_sleep = 0;

	/* (one sample to learn its thread id; no posting after that, which
	 * would wake it) */
	if (!sample_idle(l, 1, TRUE, &in_poll, &in_sleep)) {
		stop_coalescing_loop(l, ns);
		return;
	}
	for (until = g_get_monotonic_time() + 3 * G_USEC_PER_SEC; g_get_monotonic_time() < until;) {
		long nr = blocked_in(seen.tid);

		in_poll += is_poll(nr);
		in_sleep += is_sleep(nr);
		g_usleep(700);
	}
	ck_assert_msg(in_sleep == 0, "a loop whose clock wakes it 250 times a second napped (%d of %d samples)",
		      in_sleep, in_sleep + in_poll);
	stop_coalescing_loop(l, ns);
}
END_TEST

/* A datagram sent while the loop naps is taken at its next slot, not when
 * it arrives.  "At or after the next slot's due time" is a lower bound the
 * nap guarantees however slow the machine; only a datagram that lands
 * while the loop happens to be awake (it was held up past the send) may
 * come earlier, so most, not all, must wait.  A round whose send this
 * machine delayed past the next slot proves nothing and is not counted. */
START_TEST(test_coalescing_loop_takes_a_datagram_at_its_next_slot)
{
	GSocket *ns;
	struct gw_loop *l = start_coalescing_loop(SLOTS, TRUE, &ns);
	guint16 port;
	GSocket *s = watched_socket(gw_loop_context(l), &port, G_SOURCE_FUNC(on_readable));
	int waited = 0, sent = 0;

	wait_coalescing(l);
	for (int i = 0; i < 10 * SENDS && sent < SENDS; i++) {
		gint64 due;
		gboolean in_time;

		/* just after a slot ran, well before the next */
		g_mutex_lock(&seen.lock);
		seen.last_due = 0;
		g_mutex_unlock(&seen.lock);
		ck_assert(seen_wait(got_tick));
		due = seen.last_due;
		g_usleep(SLOT_US / 4);
		want_datagrams = seen.datagrams + 1;
		send_to(port, "coalesced");
		in_time = g_get_monotonic_time() < due + SLOT_US;
		ck_assert_msg(seen_wait(got_wanted), "datagram %d never arrived", i);
		if (!in_time)
			continue;
		sent++;
		waited += seen.got_at >= due + SLOT_US;
	}
	ck_assert_msg(sent >= SENDS / 2, "only %d rounds of %d sent in time", sent, 10 * SENDS);
	ck_assert_msg(waited * 2 >= sent, "only %d of %d datagrams waited for the next slot", waited, sent);
	stop_coalescing_loop(l, ns);
	g_object_unref(s);
}
END_TEST

/* Times thread @tid blocked so far; -1 when /proc does not say. */
static long sleeps_of(pid_t tid)
{
	char path[64], line[128];
	long n = -1;
	FILE *f;

	g_snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* One call on a loop of ten slots: the clock wakes the loop once per
 * period for it, not once per slot (nine of the ten are empty).  Counted
 * wake-ups of an otherwise idle loop over 2 s: about 100 with empty slots
 * skipped, about 1000 without; never below what the one slot needs, so a
 * slow machine only makes the count smaller. */
/* One media loop of SLOTS slots, not coalescing, with one call (tick)
 * that has run once; the loop (borrowed). */
static struct gw_loop *start_one_call_loop(void)
{
	struct gw_loop *l;

	seen_reset();
	gw_loops_set_clock_slots(SLOTS);
	ck_assert_int_eq(gw_loops_start(1), 0);
	l = gw_loop_nth(0);
	gw_loop_post(l, add_tick, l);
	ck_assert(seen_wait(got_tick));
	return l;
}

START_TEST(test_clock_skips_slots_without_ticks)
{
	struct gw_loop *l = start_one_call_loop();
	long before, after;

	g_main_context_invoke(gw_loop_context(l), on_tid, NULL);
	ck_assert(seen_wait(got_tid));
	before = sleeps_of(seen.tid);
	if (before < 0) {
		printf("test_loop_paced: no voluntary_ctxt_switches for thread %d: not checked\n", (int)seen.tid);
	} else {
		g_usleep(2 * G_USEC_PER_SEC);
		after = sleeps_of(seen.tid);
		ck_assert_msg(after - before < 300, "an idle loop with one call woke %ld times in 2 s "
			      "(its slot is due 100 times)", after - before);
		ck_assert_msg(after - before >= 50, "the clock woke the loop only %ld times in 2 s",
			      after - before);
	}
	seen.posted_ran = FALSE;
	gw_loop_post(l, remove_tick, NULL);
	ck_assert(seen_wait(got_posted));
	gw_loops_stop();
	gw_loops_set_clock_slots(1);
}
END_TEST

/* A call added while the clock aims past its (empty) slot is not left a
 * period behind: its first round falls due less than a period after it
 * was added (the next time its slot comes round), on the slots' grid. */
static void add_tick_b(void *obj)
{
	g_mutex_lock(&seen.lock);
	first_due[0] = g_get_monotonic_time();
	/* the same callback as the first call's: the next slot, empty */
	tick_b = gw_loop_tick_add(obj, on_tick, &first_due);
	g_mutex_unlock(&seen.lock);
}

static gboolean got_first_b(void)
{
	return first_due[1] != 0;
}

START_TEST(test_clock_runs_a_new_tick_in_an_empty_slot_within_a_period)
{
	struct gw_loop *l = start_one_call_loop();
	int late = 0;

	for (int i = 0; i < 20; i++) {
		/* after the first call's slot ran, before the second slot's due
		 * time (the one its tick gets), at four phases */
		memset(first_due, 0, sizeof(first_due));
		g_mutex_lock(&seen.lock);
		seen.last_due = 0;
		g_mutex_unlock(&seen.lock);
		ck_assert(seen_wait(got_tick));
		g_usleep((gulong)(i % 4 * SLOT_US / 4));
		gw_loop_post(l, add_tick_b, l);
		ck_assert(seen_wait(got_first_b));
		/* the due time it was run for (a slow machine runs it late,
		 * but for the same due time, unless a whole period late); a
		 * grid point that passes between the stamp above and the add
		 * is a period away, hence the quarter slot; a loop stalled a
		 * whole period skips it, hence two such rounds are let go:
		 * without the aim every round is late) */
		if (first_due[1] - first_due[0] >= 20000 + SLOT_US / 4) {
			late++;
			printf("test_loop_paced: a call added in round %d was first due %lld us after it was "
			       "added\n", i, (long long)(first_due[1] - first_due[0]));
		}
		ck_assert_int_eq((first_due[1] - seen.last_due) % SLOT_US, 0);
	}
	ck_assert_msg(late <= 2, "%d of 20 calls added to an empty slot were first due a period late", late);
	gw_loops_stop();
	gw_loops_set_clock_slots(1);
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
	tcase_add_test(tc, test_clock_skips_slots_without_ticks);
	tcase_add_test(tc, test_clock_runs_a_new_tick_in_an_empty_slot_within_a_period);
	tcase_add_test(tc, test_coalescing_loop_with_calls_naps_never_waits_in_poll);
	tcase_add_test(tc, test_coalescing_loop_without_packets_between_slots_waits_in_poll);
	tcase_add_test(tc, test_coalescing_loop_takes_a_datagram_at_its_next_slot);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
