/* test_loop_paced.c — media loops that do not wait in poll: the paced poll
 * of benchmark peers (gw_loops_set_paced_poll): datagrams, timeouts and
 * posted work still arrive, and an idle paced loop waits in nanosleep,
 * never inside poll (so a sender on loopback finds no sleeper to wake on
 * its sockets); and the media clock's slots: one call on a loop of ten
 * slots wakes it once a period, a call added to an empty slot runs
 * within a period, and every tick of a round reads the round's lateness;
 * and a loop's load (gw_loop_busy_pct), its thread's share of a core.
 * (Coalesced wake-ups: test_loop_coalesce.c.)
 *
 * Where the loop thread waits: loop_probe.h.  A paced loop never blocks in
 * poll at all (it polls with timeout 0), so "never seen in poll" holds
 * however noisy the machine; "seen in nanosleep" is sampled until seen,
 * with a generous deadline.  Only 127.0.0.1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "gw_check.h"
#include <gio/gio.h>
#include <glib.h>
#include "gw/loop.h"
#include "gw/obj.h"
#include "loop_probe.h"

#define PACE_US     1000
#define BURST       100

static gboolean got_one_and_timeout(void)
{
	return seen.datagrams >= 1 && seen.timeout_at;
}

static gboolean got_burst(void)
{
	return seen.datagrams >= BURST;
}

static gboolean on_timeout(gpointer arg)
{
	g_mutex_lock(&seen.lock);
	seen.timeout_at = g_get_monotonic_time();
	g_cond_broadcast(&seen.cond);
	g_mutex_unlock(&seen.lock);
	return G_SOURCE_REMOVE;
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

START_TEST(test_paced_idle_loop_waits_in_nanosleep_never_in_poll)
{
	struct gw_loop *l = start_loop(PACE_US);
	int in_poll, in_nap;

	if (sample_idle(l, 50, FALSE, &in_poll, &in_nap)) {
		ck_assert_msg(in_poll == 0, "a paced loop was seen blocked in poll %d time(s)", in_poll);
		ck_assert_msg(in_nap >= 50, "a paced idle loop was seen in nanosleep only %d time(s)", in_nap);
	}
	stop_loop();
}
END_TEST

/* The check above can fail: an unpaced loop is seen sleeping in poll. */
START_TEST(test_unpaced_idle_loop_waits_in_poll)
{
	struct gw_loop *l = start_loop(0);
	int in_poll, in_nap;

	if (sample_idle(l, 50, TRUE, &in_poll, &in_nap)) {
		ck_assert_msg(in_poll >= 50, "an unpaced idle loop was seen in poll only %d time(s)", in_poll);
		ck_assert_int_eq(in_nap, 0);
	}
	stop_loop();
}
END_TEST

/* ---- the clock's slots ---- */

#define SLOTS       10
#define SLOT_US     (20000 / SLOTS)

static struct gw_loop_tick *tick;     /* the loop thread's */

/* A second call's tick (test_clock_runs_a_new_tick_in_an_empty_slot...):
 * when it was added, and the due time of its first round. */
static gint64 first_due[2];
static struct gw_loop_tick *tick_b;   /* the loop thread's */

/* @arg NULL: the first call's tick; else the second call's, which records
 * its first round and goes. */
static void on_tick(void *arg, gint64 due)
{
	if (!arg) {
		on_clock_tick(NULL, due);
		return;
	}
	g_mutex_lock(&seen.lock);
	if (tick_b) {
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

/* ---- how late a round started ----
 * Two ticks in one slot; the first works 2 ms each round (32 ms in its
 * third) before the second runs.  Both read the same lateness in every
 * round, the round's, not the first tick's work on top; the round after
 * the 32 ms one started at least 12 ms late (or was skipped, a whole
 * period late); outside a round it reads 0. */
struct late_rec {
	gint64 due, late;
	int who;
};

static struct late_rec late_recs[64];   /* under seen.lock */
static int n_late_recs, late_rounds;
static gint64 late_outside = -1;
static struct gw_loop *late_loop;
static struct gw_loop_tick *late_tick[2]; /* the loop thread's */

static void on_late_tick(void *arg, gint64 due)
{
	int who = GPOINTER_TO_INT(arg);
	gint64 late = gw_loop_round_late_us(late_loop);
	int round;

	g_mutex_lock(&seen.lock);
	if (n_late_recs < (int)G_N_ELEMENTS(late_recs))
		late_recs[n_late_recs++] = (struct late_rec){ due, late, who };
	round = who == 0 ? ++late_rounds : 0;
	g_cond_broadcast(&seen.cond);
	g_mutex_unlock(&seen.lock);
	if (who == 0)
		g_usleep(round == 3 ? 32000 : 2000);
}

static void add_late_ticks(void *obj)
{
	late_loop = obj;
	late_outside = gw_loop_round_late_us(obj);
	late_tick[0] = gw_loop_tick_add(obj, on_late_tick, GINT_TO_POINTER(0));
	late_tick[1] = gw_loop_tick_add(obj, on_late_tick, GINT_TO_POINTER(1));
}

static void remove_late_ticks(void *obj)
{
	gw_loop_tick_remove(late_tick[0]);
	gw_loop_tick_remove(late_tick[1]);
	on_posted(NULL);
}

static gboolean got_six_rounds(void)
{
	return late_rounds >= 6;
}

START_TEST(test_clock_round_lateness_is_the_rounds_for_every_tick)
{
	struct gw_loop *l;
	gint64 due3 = 0;
	int pairs = 0, r0 = 0;

	seen_reset();
	gw_loops_set_clock_slots(1);
	ck_assert_int_eq(gw_loops_start(1), 0);
	l = gw_loop_nth(0);
	gw_loop_post(l, add_late_ticks, l);
	ck_assert(seen_wait(got_six_rounds));
	seen.posted_ran = FALSE;
	gw_loop_post(l, remove_late_ticks, NULL);
	ck_assert(seen_wait(got_posted));
	gw_loops_stop();

	ck_assert_int_eq(late_outside, 0);
	for (int i = 0; i < n_late_recs; i++) {
		const struct late_rec *a = &late_recs[i];

		ck_assert_int_ge(a->late, 0);
		if (a->who != 0)
			continue;
		if (++r0 == 3)
			due3 = a->due;
		else if (r0 == 4)   /* started after the 32 ms of round 3 */
			ck_assert_int_ge(a->late, due3 + 32000 - a->due);
		for (int k = i + 1; k < n_late_recs; k++)
			if (late_recs[k].who == 1 && late_recs[k].due == a->due) {
				printf("round due %lld: %lld us late for both ticks\n", (long long)a->due,
				       (long long)a->late);
				ck_assert_int_eq(late_recs[k].late, a->late);
				pairs++;
			}
	}
	ck_assert_int_ge(pairs, 5);
}
END_TEST

/* Load: a tick that works 10 ms of its thread's CPU in every 20 ms round. */
#define WORK_NS (10 * 1000 * 1000)

static gint64 thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_busy_tick(void *arg, gint64 due)
{
	gint64 start = thread_cpu_ns();

	while (thread_cpu_ns() - start < WORK_NS)
		;
}

/* (remove_tick() removes it) */
static void add_busy_tick(void *obj)
{
	tick = gw_loop_tick_add(obj, on_busy_tick, NULL);
}

/* A second's load sample (gw_loops_sample_busy) of media loop @l. */
static unsigned busy_over_a_second(struct gw_loop *l)
{
	gw_loops_sample_busy();
	g_usleep(G_USEC_PER_SEC);
	gw_loops_sample_busy();
	return gw_loop_busy_pct(l);
}

/* gw_loop_busy_pct is the loop thread's share of a core: about 50% while
 * a tick works 10 ms of every 20 (at least 20% even on a loaded machine,
 * where rounds a period late are skipped: less work), a few % idle; the
 * admission test gw_loops_busy_over follows it, and from ten calls on
 * counts a call pinned since the sample at the sample's share per call. */
START_TEST(test_loop_load_is_its_threads_share_of_a_core)
{
	struct gw_loop *l, *pins[20];
	unsigned idle, busy, least = 0;

	seen_reset();
	gw_loops_set_clock_slots(1);
	ck_assert_int_eq(gw_loops_start(1), 0);
	l = gw_loop_nth(0);
	ck_assert_uint_eq(gw_loop_busy_pct(l), 0);      /* no sample yet */
	idle = busy_over_a_second(l);
	gw_loop_post(l, add_busy_tick, l);
	g_usleep(100 * 1000);
	busy = busy_over_a_second(l);
	printf("media loop load: %u%% with the working tick, %u%% idle before\n", busy, idle);
	ck_assert_msg(busy >= 20 && busy <= 70, "busy %u%%", busy);
	ck_assert(gw_loops_busy_over(20, &least));
	ck_assert_uint_eq(least, busy);
	ck_assert(!gw_loops_busy_over(0, NULL));        /* 0: never */
	/* calls pinned since a sample of no calls: not projected from */
	for (int i = 0; i < 10; i++)
		pins[i] = gw_loop_pin();
	ck_assert(gw_loops_busy_over(busy, &least) && least == busy);
	/* that load is ten calls' now; ten more pinned before the next
	 * sample double it (a burst does not wait a second to count) */
	busy = busy_over_a_second(l);
	ck_assert_msg(busy >= 20 && busy <= 70, "busy %u%%", busy);
	ck_assert(gw_loops_busy_over(busy, &least) && least == busy);
	for (int i = 10; i < 20; i++)
		pins[i] = gw_loop_pin();
	ck_assert(gw_loops_busy_over(MIN(100, 2 * busy), &least));
	ck_assert_uint_eq(least, MIN(100, 2 * busy));
	/* calls that end count at the next sample */
	for (int i = 0; i < 20; i++) {
		ck_assert_ptr_eq(pins[i], l);
		gw_loop_unpin(pins[i]);
		gw_obj_deref(pins[i]);
	}
	ck_assert(gw_loops_busy_over(busy, &least) && least == busy);
	seen.posted_ran = FALSE;
	gw_loop_post(l, remove_tick, NULL);
	ck_assert(seen_wait(got_posted));
	g_usleep(100 * 1000);
	idle = MAX(idle, busy_over_a_second(l));
	printf("media loop load idle: at most %u%%\n", idle);
	ck_assert_msg(idle <= 5, "idle %u%%", idle);
	ck_assert(!gw_loops_busy_over(20, NULL));
	gw_loops_stop();
	gw_loops_sample_busy();                         /* no loops: nothing */
	ck_assert(!gw_loops_busy_over(1, &least));
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
	tcase_add_test(tc, test_clock_round_lateness_is_the_rounds_for_every_tick);
	tcase_add_test(tc, test_loop_load_is_its_threads_share_of_a_core);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
