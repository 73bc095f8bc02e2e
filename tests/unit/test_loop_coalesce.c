/* test_loop_coalesce.c — coalesced wake-ups (gw_loops_set_coalesce): a
 * media loop with calls, idle and woken by packets between its clock's
 * slots, naps to its next slot instead of waiting in poll, and takes a
 * datagram that arrived meanwhile only then; work posted to it ends the
 * nap at once; while a call in set-up holds it prompt it never naps;
 * without calls, or without packets between the slots, it waits in poll.
 *
 * The loops' sockets are fd watches (its epoll set), as the gateway's are;
 * packets "between the slots" come from a noise thread every NOISE_US.
 * Where the loop thread waits (poll: GLib's wait, ppoll: a nap) is read
 * from /proc (loop_probe.h).  The timing checks are one-sided where they
 * can be (a nap makes a datagram wait at least until the next slot,
 * however slow the machine); the one that is not (posted work runs before
 * the next slot) needs only most of its rounds.  Only 127.0.0.1.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "gw_check.h"
#include <gio/gio.h>
#include <glib.h>
#include "gw/loop.h"
#include "loop_probe.h"

#define SLOTS       10
#define SLOT_US     (20000 / SLOTS)
#define ROUNDS      10
#define NOISE_US    500

/* Calls on the loop: @nticks ticks, one per slot (the clock wakes the loop
 * nticks times a period); all of it the loop thread's. */
static struct gw_loop_tick *ticks[SLOTS];
static int nticks;
static struct gw_loop_watch *noise_w, *data_w;

static gint noise_stop;
static GThread *noise;
static int want_datagrams;

static gboolean got_wanted(void)
{
	return seen.datagrams >= want_datagrams;
}

static void add_ticks(void *obj)
{
	for (int i = 0; i < nticks; i++)
		ticks[i] = gw_loop_tick_add(obj, on_clock_tick, NULL);
}

static void remove_ticks(void *obj)
{
	for (int i = 0; i < nticks; i++)
		gw_loop_tick_remove(ticks[i]);
	nticks = 0;
	on_posted(NULL);
}

/* The loop's thread, before it stops: what it watches goes first. */
static void remove_all(void *obj)
{
	gw_loop_watch_remove(noise_w);
	gw_loop_watch_remove(data_w);
	noise_w = data_w = NULL;
	remove_ticks(obj);
}

static void on_noise(int fd, void *arg)
{
	char buf[64];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
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
	*noise_sock = epoll_socket(l, &port, on_noise, &noise_w);
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
	gw_loop_post(l, remove_all, NULL);
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
	int in_poll, in_nap;

	if (sample_idle(l, 5, FALSE, &in_poll, &in_nap))
		ck_assert_msg(in_nap >= 5, "a coalescing loop with calls never napped (%d in poll)", in_poll);
}

/* Wait for the clock's next slot to run; its due time. */
static gint64 next_slot_ran(void)
{
	g_mutex_lock(&seen.lock);
	seen.last_due = 0;
	g_mutex_unlock(&seen.lock);
	ck_assert(seen_wait(got_tick));
	return seen.last_due;
}

START_TEST(test_coalescing_loop_with_calls_naps_never_waits_in_poll)
{
	GSocket *ns;
	struct gw_loop *l = start_coalescing_loop(SLOTS, TRUE, &ns);
	int in_poll, in_nap;

	wait_coalescing(l);
	/* it waits in naps now, not in poll (but for a second in which a
	 * loaded machine left it too little idle time) */
	if (sample_idle(l, 100, FALSE, &in_poll, &in_nap)) {
		ck_assert_msg(in_poll * 10 <= in_nap, "a coalescing loop was seen blocked in poll %d time(s), "
			      "napping %d", in_poll, in_nap);
		ck_assert_int_ge(in_nap, 100);
	}
	/* without calls it waits in poll again: nothing to be late for */
	seen.posted_ran = FALSE;
	gw_loop_post(l, remove_ticks, NULL);
	ck_assert(seen_wait(got_posted));
	if (sample_idle(l, 50, TRUE, &in_poll, &in_nap))
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
	int in_poll = 0, in_nap = 0;

	/* (one sample to learn its thread id; no posting after that, which
	 * would wake it) */
	if (!sample_idle(l, 1, TRUE, &in_poll, &in_nap)) {
		stop_coalescing_loop(l, ns);
		return;
	}
	for (until = g_get_monotonic_time() + 3 * G_USEC_PER_SEC; g_get_monotonic_time() < until;) {
		long nr = blocked_in(seen.tid);

		in_poll += is_poll(nr);
		in_nap += is_nap(nr);
		g_usleep(700);
	}
	ck_assert_msg(in_nap == 0, "a loop whose clock wakes it 250 times a second napped (%d of %d samples)",
		      in_nap, in_nap + in_poll);
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
	GSocket *ns, *s;
	struct gw_loop *l = start_coalescing_loop(SLOTS, TRUE, &ns);
	guint16 port;
	int waited = 0, sent = 0;

	s = epoll_socket(l, &port, on_watch_readable, &data_w);
	wait_coalescing(l);
	for (int i = 0; i < 10 * ROUNDS && sent < ROUNDS; i++) {
		gint64 due = next_slot_ran();
		gboolean in_time;

		/* just after a slot ran, well before the next */
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
	ck_assert_msg(sent >= ROUNDS / 2, "only %d rounds of %d sent in time", sent, 10 * ROUNDS);
	ck_assert_msg(waited * 2 >= sent, "only %d of %d datagrams waited for the next slot", waited, sent);
	stop_coalescing_loop(l, ns);
	g_object_unref(s);
}
END_TEST

/* Work posted to a napping loop (a call's set-up step from the control
 * loop) does not wait for the next slot: it ends the nap.  Posted a
 * quarter slot after a slot ran, it runs before the next slot's due time
 * unless this machine holds the loop thread up for the 1.5 ms left, so
 * most rounds, not all, must show it; a napping loop that ignored it
 * would run none before the slot. */
START_TEST(test_coalescing_loop_runs_posted_work_at_once)
{
	GSocket *ns;
	struct gw_loop *l = start_coalescing_loop(SLOTS, TRUE, &ns);
	int early = 0, posted = 0;

	wait_coalescing(l);
	for (int i = 0; i < 10 * ROUNDS && posted < ROUNDS; i++) {
		gint64 due = next_slot_ran();
		gboolean in_time;

		g_usleep(SLOT_US / 4);
		seen.posted_ran = FALSE;
		gw_loop_post(l, on_posted, NULL);
		in_time = g_get_monotonic_time() < due + SLOT_US;
		ck_assert_msg(seen_wait(got_posted), "posted work %d never ran", i);
		if (!in_time)
			continue;
		posted++;
		early += seen.posted_at < due + SLOT_US;
	}
	ck_assert_msg(posted >= ROUNDS / 2, "only %d rounds of %d posted in time", posted, 10 * ROUNDS);
	ck_assert_msg(early * 2 >= posted, "only %d of %d posts ran before the next slot: the nap "
		      "ignored them", early, posted);
	stop_coalescing_loop(l, ns);
}
END_TEST

static void hold(void *obj)
{
	gw_loop_hold_prompt(obj);
	on_posted(NULL);
}

static void release(void *obj)
{
	gw_loop_release_prompt(obj);
	on_posted(NULL);
}

/* A loop held prompt (a call in set-up) waits in poll, never in a nap,
 * however long it has been coalescing; released, it naps again. */
START_TEST(test_coalescing_loop_held_prompt_never_naps)
{
	GSocket *ns;
	struct gw_loop *l = start_coalescing_loop(SLOTS, TRUE, &ns);
	int in_poll, in_nap;

	wait_coalescing(l);
	seen.posted_ran = FALSE;
	gw_loop_post(l, hold, l);
	ck_assert(seen_wait(got_posted));
	if (sample_idle(l, 50, TRUE, &in_poll, &in_nap)) {
		ck_assert_msg(in_nap == 0, "a loop held prompt napped (%d of %d samples)", in_nap,
			      in_nap + in_poll);
		ck_assert_int_ge(in_poll, 50);
	}
	seen.posted_ran = FALSE;
	gw_loop_post(l, release, l);
	ck_assert(seen_wait(got_posted));
	wait_coalescing(l);
	stop_coalescing_loop(l, ns);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loop_coalesce");
	TCase *tc = tcase_create("coalesce");

	g_mutex_init(&seen.lock);
	g_cond_init(&seen.cond);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_coalescing_loop_with_calls_naps_never_waits_in_poll);
	tcase_add_test(tc, test_coalescing_loop_without_packets_between_slots_waits_in_poll);
	tcase_add_test(tc, test_coalescing_loop_takes_a_datagram_at_its_next_slot);
	tcase_add_test(tc, test_coalescing_loop_runs_posted_work_at_once);
	tcase_add_test(tc, test_coalescing_loop_held_prompt_never_naps);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
