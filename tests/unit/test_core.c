/* test_core.c — refcounted objects and posting work between loops. */
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "gw_check.h"
#include <glib.h>
#include "gw/obj.h"
#include "gw/latency.h"
#include "gw/loop.h"

static int destroyed;

static void count_destroy(void *obj)
{
	destroyed++;
}

START_TEST(test_obj_destructor_runs_at_last_deref)
{
	long live = gw_obj_live();
	int *o = gw_obj_alloc(sizeof(int), count_destroy);

	destroyed = 0;
	ck_assert_int_eq(*o, 0); /* zeroed */
	ck_assert_uint_eq(gw_obj_refs(o), 1);
	ck_assert_ptr_eq(gw_obj_ref(o), o);
	ck_assert_uint_eq(gw_obj_refs(o), 2);
	ck_assert_ptr_null(gw_obj_deref(o));
	ck_assert_int_eq(destroyed, 0);
	ck_assert_ptr_null(gw_obj_deref(o));
	ck_assert_int_eq(destroyed, 1);
	ck_assert_int_eq(gw_obj_live(), live);
	ck_assert_ptr_null(gw_obj_deref(NULL));
	ck_assert_ptr_null(gw_obj_ref(NULL));
}
END_TEST

struct job {
	GThread *ran_on;
	GMainLoop *done;   /* quit when the job ran (ref, dropped by job_destroy) */
	GMainContext *expect_ctx;
	gboolean owner_ok;
};

static void job_destroy(void *obj)
{
	struct job *j = obj;

	if (j->done)
		g_main_loop_unref(j->done);
	destroyed++;
}

static gboolean quit_cb(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

static void job_run(void *obj)
{
	struct job *j = obj;

	j->ran_on = g_thread_self();
	j->owner_ok = g_main_context_is_owner(j->expect_ctx);
	/* Report back to the control loop, as real code does. */
	g_main_context_invoke(NULL, quit_cb, j->done);
}

START_TEST(test_loop_post_runs_on_target_loop_holding_a_reference)
{
	struct job *j;
	struct gw_loop *l;

	ck_assert_int_eq(gw_loops_start(2), 0);
	ck_assert_uint_eq(gw_loop_count(), 2);
	destroyed = 0;
	j = gw_obj_alloc(sizeof(*j), job_destroy);
	j->done = g_main_loop_new(NULL, FALSE);
	l = gw_loop_pin();
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(gw_loop_pinned(l), 1);
	j->expect_ctx = gw_loop_context(l);
	gw_loop_post(l, job_run, j);
	/* Drop our reference at once: the post must keep the job alive. */
	GMainLoop *done = g_main_loop_ref(j->done);
	j = gw_obj_deref(j);
	ck_assert_int_eq(destroyed, 0);
	g_main_loop_run(done);
	g_main_loop_unref(done);
	/* The job ran on the media thread, not ours, and was then released. */
	gw_loop_unpin(l);
	l = gw_obj_deref(l);
	gw_loops_stop();
	ck_assert_int_eq(destroyed, 1);
}
END_TEST

START_TEST(test_loop_pin_balances_calls_across_loops)
{
	struct gw_loop *a, *b, *c;

	ck_assert_int_eq(gw_loops_start(2), 0);
	a = gw_loop_pin();
	b = gw_loop_pin();
	ck_assert_ptr_ne(a, b);
	gw_loop_unpin(a);
	c = gw_loop_pin();
	ck_assert_ptr_eq(c, a); /* the emptier one */
	gw_loop_unpin(b);
	gw_loop_unpin(c);
	gw_obj_deref(a);
	gw_obj_deref(b);
	gw_obj_deref(c);
	gw_loops_stop();
}
END_TEST

static void touch(void *obj)
{
	(*(int *)obj)++;
}

START_TEST(test_loop_stop_releases_pending_work)
{
	int *o;

	ck_assert_int_eq(gw_loops_start(1), 0);
	destroyed = 0;
	o = gw_obj_alloc(sizeof(int), count_destroy);
	/* Post a burst and stop at once: some work may run, the rest is
	 * dropped, and every reference the posts took must be released. */
	for (int i = 0; i < 1000; i++)
		gw_loop_post(gw_loop_nth(0), touch, o);
	o = gw_obj_deref(o);
	gw_loops_stop();
	ck_assert_int_eq(destroyed, 1);
}
END_TEST

/* ---- the shared media clock ---- */

struct ticker {
	struct gw_loop *loop;
	struct gw_loop_tick *self;
	struct ticker *victim;  /* removed by this one mid-round */
	int calls, stop_after;
	gint64 first_us, last_us;
	gint64 late_us;         /* how late round 6 began: round 5 overran by 30 ms */
	gint64 due10_us;        /* round 10 overran by 50 ms: ... */
	gint64 skip_us;         /* ... how far after it round 11 was due */
	GMainContext *expect_ctx;
	gboolean on_loop;
};

static struct ticker tk[3];
static GMainLoop *tick_done;
static unsigned ticks_left_after, clock_gone;

static void on_tick(void *arg, gint64 due_us)
{
	struct ticker *t = arg;

	if (!t->calls)
		t->first_us = due_us;
	t->last_us = due_us;
	t->calls++;
	if (t == &tk[0] && t->calls == 5)
		g_usleep(30000);
	if (t == &tk[0] && t->calls == 6)
		t->late_us = g_get_monotonic_time() - due_us;
	if (t == &tk[0] && t->calls == 10) {
		t->due10_us = due_us;
		g_usleep(50000);
	}
	if (t == &tk[0] && t->calls == 11)
		t->skip_us = due_us - t->due10_us;
	t->on_loop = g_main_context_is_owner(t->expect_ctx);
	if (t->victim && t->calls == 2) {
		gw_loop_tick_remove(t->victim->self); /* another one, mid-round */
		t->victim->self = NULL;
	}
	if (t->calls == t->stop_after) {
		gw_loop_tick_remove(t->self); /* itself, mid-round */
		t->self = NULL;
		if (t == &tk[0]) {
			ticks_left_after = gw_loop_tick_count(t->loop);
			g_main_context_invoke(NULL, quit_cb, tick_done);
		}
	}
}

static void add_ticks(void *obj)
{
	struct gw_loop *l = obj;

	for (int i = 0; i < 3; i++) {
		tk[i].loop = l;
		tk[i].expect_ctx = gw_loop_context(l);
		tk[i].self = gw_loop_tick_add(l, on_tick, &tk[i]);
	}
}

static void check_clock_gone(void *obj)
{
	clock_gone = gw_loop_tick_count(obj) == 0 &&
		     !g_main_context_find_source_by_user_data(gw_loop_context(obj), obj);
	g_main_context_invoke(NULL, quit_cb, tick_done);
}

/* run twice: one clock slot, and four (the three ticks in slots 0-2) */
START_TEST(test_loop_clock_ticks_every_20ms_and_survives_removal_mid_round)
{
	struct gw_loop *l;

	gw_loops_set_clock_slots(_i ? 4 : 1);
	ck_assert_int_eq(gw_loops_start(1), 0);
	l = gw_loop_pin();
	memset(tk, 0, sizeof(tk));
	tk[0].stop_after = 25; /* 500 ms */
	tk[1].stop_after = 10;
	tk[2].stop_after = 1000;
	tk[1].victim = &tk[2];  /* tk[1] removes tk[2] at its 2nd tick */
	tick_done = g_main_loop_new(NULL, FALSE);
	gw_loop_post(l, add_ticks, l);
	g_main_loop_run(tick_done);
	ck_assert(tk[0].on_loop && tk[1].on_loop && tk[2].on_loop);
	ck_assert_int_eq(tk[0].calls, 25);
	ck_assert_int_eq(tk[1].calls, 10);
	ck_assert_int_eq(tk[2].calls, 1);   /* removed by tk[1] at its 2nd, before its turn */
	ck_assert_uint_eq(ticks_left_after, 0);
	/* a fixed grid: whole periods of 20 ms (no drift; more than 24 only if
	 * a loaded machine made the loop skip rounds), though round 5 overran
	 * its period by 10 ms and round 6 ran that late */
	ck_assert_int_ge(tk[0].last_us - tk[0].first_us, 24 * 20000);
	ck_assert_int_eq((tk[0].last_us - tk[0].first_us) % 20000, 0);
	ck_assert_int_ge(tk[0].late_us, 9000);
	/* a loop two periods behind skips the rounds it missed (phase kept)
	 * instead of running them back to back: round 11 was due >= 40 ms
	 * after round 10, not 20 */
	ck_assert_int_ge(tk[0].skip_us, 40000);
	ck_assert_int_eq(tk[0].skip_us % 20000, 0);
	/* the loop's clock source is gone once nothing ticks */
	gw_loop_post(l, check_clock_gone, l);
	g_main_loop_run(tick_done);
	ck_assert_uint_eq(clock_gone, 1);
	g_main_loop_unref(tick_done);
	gw_loop_unpin(l);
	gw_obj_deref(l);
	gw_loops_stop();
	gw_loops_set_clock_slots(1);
}
END_TEST

/* media.clock_slots = 4: each callback's ticks spread over the four
 * slots of the period (the media ticks and the RTCP ones of calls, added
 * alternately, each get all four), each due at its slot's offset, 20 ms
 * apart, and run in slot order */
#define SLOTS 4
#define SLOT_TICKS (2 * SLOTS)

struct slotted {
	struct gw_loop_tick *self;
	int calls;
	gint64 first_us, prev_us;
	bool steps_of_20ms;
	bool in_order;          /* never due before the tick that ran before it */
};

static struct slotted sl[SLOT_TICKS];
static GMainLoop *slots_done;
static gint64 slot_last_due;
static bool slot_stopped;

static void slot_tick(struct slotted *t, gint64 due_us)
{
	if (!t->calls)
		t->first_us = due_us;
	else if (due_us == t->prev_us || (due_us - t->prev_us) % 20000)
		t->steps_of_20ms = false; /* (whole periods: a loaded machine may skip) */
	if (due_us < slot_last_due)
		t->in_order = false;
	slot_last_due = due_us;
	t->prev_us = due_us;
	if (++t->calls == 10 && t == &sl[0] && !slot_stopped) {
		slot_stopped = true;
		g_main_context_invoke(NULL, quit_cb, slots_done);
	}
}

/* two callbacks, as a call's media tick and its leg's RTCP tick */
static void on_media_tick(void *arg, gint64 due_us)
{
	slot_tick(arg, due_us);
}

static void on_rtcp_tick(void *arg, gint64 due_us)
{
	slot_tick(arg, due_us);
}

static void add_slotted(void *obj)
{
	for (int i = 0; i < SLOT_TICKS; i++) {
		sl[i].steps_of_20ms = sl[i].in_order = true;
		sl[i].self = gw_loop_tick_add(obj, i % 2 ? on_rtcp_tick : on_media_tick, &sl[i]);
	}
}

static void remove_slotted(void *obj)
{
	(void)obj;
	for (int i = 0; i < SLOT_TICKS; i++)
		gw_loop_tick_remove(sl[i].self);
	g_main_context_invoke(NULL, quit_cb, slots_done);
}

START_TEST(test_loop_clock_slots_spread_each_callbacks_ticks_over_the_period)
{
	struct gw_loop *l;
	gint64 base = G_MAXINT64;
	unsigned seen[2] = { 0, 0 }; /* per callback: bit per slot offset */

	gw_loops_set_clock_slots(SLOTS);
	ck_assert_int_eq(gw_loops_start(1), 0);
	l = gw_loop_pin();
	memset(sl, 0, sizeof(sl));
	slot_last_due = 0;
	slot_stopped = false;
	slots_done = g_main_loop_new(NULL, FALSE);
	gw_loop_post(l, add_slotted, l);
	g_main_loop_run(slots_done);
	gw_loop_post(l, remove_slotted, l);
	g_main_loop_run(slots_done);
	for (int i = 0; i < SLOT_TICKS; i++)
		base = MIN(base, sl[i].first_us);
	for (int i = 0; i < SLOT_TICKS; i++) {
		gint64 off = (sl[i].first_us - base) % 20000;

		ck_assert_int_ge(sl[i].calls, 9);
		ck_assert_msg(sl[i].steps_of_20ms, "tick %d: not on its 20 ms grid", i);
		ck_assert_msg(sl[i].in_order, "tick %d ran before a slot due earlier", i);
		ck_assert_int_eq(off % (20000 / SLOTS), 0);
		seen[i % 2] |= 1u << (off / (20000 / SLOTS));
	}
	ck_assert_uint_eq(seen[0], (1u << SLOTS) - 1); /* the media ticks: every slot */
	ck_assert_uint_eq(seen[1], (1u << SLOTS) - 1); /* the RTCP ones too */
	g_main_loop_unref(slots_done);
	gw_loop_unpin(l);
	gw_obj_deref(l);
	gw_loops_stop();
	gw_loops_set_clock_slots(1);
}
END_TEST

/* ---- fd watches ---- */

struct watcher {
	int fd;
	struct gw_loop_watch *w;
	struct watcher *other;  /* removed by whichever of a pair runs first */
	int calls, reads;
	bool read_on_first;     /* false: leave the datagram for the next round */
	gboolean on_loop;
	GMainContext *expect_ctx;
};

static struct watcher wt[3];
static GMainLoop *watch_done;

static int udp_bound(struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)sa, sizeof(*sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)sa, &len), 0);
	return fd;
}

static void on_readable(int fd, void *arg)
{
	struct watcher *t = arg;
	char buf[64];

	ck_assert_int_eq(fd, t->fd);
	t->calls++;
	t->on_loop = g_main_context_is_owner(t->expect_ctx);
	if (t->other && t->other->w) {
		gw_loop_watch_remove(t->other->w); /* its event may be in this very batch */
		t->other->w = NULL;
	}
	if (t->read_on_first || t->calls > 1) {
		if (recv(fd, buf, sizeof(buf), 0) > 0)
			t->reads++;
	}
	if (wt[2].reads == 1 && (wt[0].reads + wt[1].reads) == 1)
		g_main_context_invoke(NULL, quit_cb, watch_done);
}

static void add_watches(void *obj)
{
	struct gw_loop *l = obj;

	/* all three are readable already: one epoll batch reports them */
	for (int i = 0; i < 3; i++) {
		wt[i].expect_ctx = gw_loop_context(l);
		wt[i].w = gw_loop_watch_add(l, wt[i].fd, on_readable, &wt[i]);
		ck_assert_ptr_nonnull(wt[i].w);
	}
}

static void remove_watches(void *obj)
{
	for (int i = 0; i < 3; i++) {
		gw_loop_watch_remove(wt[i].w);
		wt[i].w = NULL;
	}
	g_main_context_invoke(NULL, quit_cb, watch_done);
}

START_TEST(test_loop_watches_run_ready_fds_and_honour_removal_mid_batch)
{
	struct sockaddr_in sa[3], from;
	int tx = udp_bound(&from);
	struct gw_loop *l;
	char buf[64];

	ck_assert_int_eq(gw_loops_start(1), 0);
	l = gw_loop_pin();
	memset(wt, 0, sizeof(wt));
	for (int i = 0; i < 3; i++) {
		wt[i].fd = udp_bound(&sa[i]);
		ck_assert_int_eq(sendto(tx, "x", 1, 0, (struct sockaddr *)&sa[i], sizeof(sa[i])), 1);
	}
	wt[0].other = &wt[1];
	wt[1].other = &wt[0];
	wt[0].read_on_first = wt[1].read_on_first = true;
	watch_done = g_main_loop_new(NULL, FALSE);
	gw_loop_post(l, add_watches, l);
	g_main_loop_run(watch_done);
	/* one of the pair ran and removed the other, which never ran */
	ck_assert_int_eq(wt[0].calls + wt[1].calls, 1);
	ck_assert(wt[0].on_loop || wt[1].on_loop);
	/* the one removed still has its datagram: nobody read it */
	ck_assert_int_eq(recv(wt[0].calls ? wt[1].fd : wt[0].fd, buf, sizeof(buf), MSG_DONTWAIT), 1);
	/* level-triggered: what the first call left unread came back */
	ck_assert_int_eq(wt[2].calls, 2);
	ck_assert_int_eq(wt[2].reads, 1);
	ck_assert(wt[2].on_loop);
	gw_loop_post(l, remove_watches, NULL);
	g_main_loop_run(watch_done);
	/* removed: data arriving now calls nobody */
	ck_assert_int_eq(sendto(tx, "y", 1, 0, (struct sockaddr *)&sa[2], sizeof(sa[2])), 1);
	gw_loop_post(l, remove_watches, NULL); /* a round trip through the loop */
	g_main_loop_run(watch_done);
	ck_assert_int_eq(wt[2].calls, 2);
	ck_assert_ptr_null(gw_loop_watch_add(l, -1, on_readable, NULL));
	g_main_loop_unref(watch_done);
	for (int i = 0; i < 3; i++)
		close(wt[i].fd);
	close(tx);
	gw_loop_unpin(l);
	gw_obj_deref(l);
	gw_loops_stop();
}
END_TEST

/* A late clock lets packet input run between the slots that fell due
 * together: slot 0's tick stalls 15 ms, so slots 1-3 are all due when it
 * returns; the first of them to run sends a datagram to a watched socket.
 * The watch must run next, before any other late slot (all late slots run
 * in one dispatch, or at a higher priority than input, it ran after them) */
struct late_tick {
	struct gw_loop_tick *self;
	unsigned slot;
	unsigned seq_after_stall; /* its first run after the stall, 0: none yet */
};

static struct late_tick lt[4];
static unsigned late_seq, late_watch_seq, late_calls0;
static bool late_stalled;
static int late_rx = -1, late_tx = -1;
static struct sockaddr_in late_to;
static struct gw_loop_watch *late_watch;
static GMainLoop *late_done;

static void late_on_readable(int fd, void *arg)
{
	char buf[16];

	(void)arg;
	if (recv(fd, buf, sizeof(buf), 0) > 0 && !late_watch_seq) {
		late_watch_seq = ++late_seq;
		g_main_context_invoke(NULL, quit_cb, late_done);
	}
}

static void late_on_tick(void *arg, gint64 due_us)
{
	struct late_tick *t = arg;

	(void)due_us;
	if (t->slot == 0 && ++late_calls0 == 3) {
		g_usleep(15000);
		late_stalled = true;
		return;
	}
	if (late_stalled && !t->seq_after_stall) {
		t->seq_after_stall = ++late_seq;
		if (late_seq == 1)
			ck_assert_int_eq(sendto(late_tx, "x", 1, 0, (struct sockaddr *)&late_to,
						sizeof(late_to)), 1);
	}
}

static void late_setup(void *obj)
{
	late_watch = gw_loop_watch_add(obj, late_rx, late_on_readable, NULL);
	ck_assert_ptr_nonnull(late_watch);
	for (unsigned i = 0; i < 4; i++) {
		lt[i].slot = i; /* added in order: slots 0-3 */
		lt[i].self = gw_loop_tick_add(obj, late_on_tick, &lt[i]);
	}
}

static void late_teardown(void *obj)
{
	(void)obj;
	gw_loop_watch_remove(late_watch);
	for (unsigned i = 0; i < 4; i++)
		gw_loop_tick_remove(lt[i].self);
	g_main_context_invoke(NULL, quit_cb, late_done);
}

START_TEST(test_loop_clock_lets_input_run_between_late_slots)
{
	struct sockaddr_in from;
	struct gw_loop *l;

	late_rx = udp_bound(&late_to);
	late_tx = udp_bound(&from);
	gw_loops_set_clock_slots(4);
	ck_assert_int_eq(gw_loops_start(1), 0);
	l = gw_loop_pin();
	late_done = g_main_loop_new(NULL, FALSE);
	gw_loop_post(l, late_setup, l);
	g_main_loop_run(late_done);
	ck_assert_msg(late_watch_seq == 2, "the datagram waited for %u late slot(s)",
		      late_watch_seq - 2);
	gw_loop_post(l, late_teardown, l);
	g_main_loop_run(late_done);
	g_main_loop_unref(late_done);
	gw_loop_unpin(l);
	gw_obj_deref(l);
	gw_loops_stop();
	gw_loops_set_clock_slots(1);
	close(late_rx);
	close(late_tx);
}
END_TEST

/* ---- latency histogram ---- */

START_TEST(test_latency_histogram_buckets_percentiles_and_format)
{
	struct gw_lat_hist h;
	char out[64], big[GW_LAT_BUCKETS * 20];
	uint64_t prev = 0;

	/* buckets tile 0 .. GW_LAT_MAX_US, each within 12.5% of its start */
	for (unsigned i = 0; i < GW_LAT_BUCKETS; i++) {
		uint64_t lo = gw_lat_bucket_low(i), hi = gw_lat_bucket_high(i);

		ck_assert_uint_eq(lo, i ? prev : 0);
		ck_assert_uint_gt(hi, lo);
		if (lo >= 8)
			ck_assert_uint_le((hi - lo) * 8, lo);
		prev = hi;
	}
	ck_assert_uint_eq(prev, GW_LAT_MAX_US);

	memset(&h, 0, sizeof(h));
	ck_assert_uint_eq(gw_lat_hist_percentile(&h, 99), 0);
	ck_assert_str_eq(gw_lat_hist_format(&h, out, sizeof(out)), "-");
	/* 98 packets at 100 µs, one at 3 ms, one at 40 ms; a negative is 0 */
	for (int i = 0; i < 98; i++)
		gw_lat_hist_add(&h, 100);
	gw_lat_hist_add(&h, 3000);
	gw_lat_hist_add(&h, 40000);
	ck_assert_uint_eq(h.count, 100);
	ck_assert_uint_eq(h.max_us, 40000);
	ck_assert_uint_ge(gw_lat_hist_percentile(&h, 50), 100);   /* upper end of 96..104 */
	ck_assert_uint_le(gw_lat_hist_percentile(&h, 50), 104);
	ck_assert_uint_ge(gw_lat_hist_percentile(&h, 99), 3000);
	ck_assert_uint_le(gw_lat_hist_percentile(&h, 99), 3072);
	ck_assert_uint_eq(gw_lat_hist_percentile(&h, 100), 40000); /* never above the max */
	ck_assert_str_eq(gw_lat_hist_format(&h, out, sizeof(out)), "96:98,2816:1,36864:1");
	gw_lat_hist_add(&h, -5);
	gw_lat_hist_add(&h, 5);
	ck_assert_uint_eq(gw_lat_hist_percentile(&h, 0.5), 0);
	ck_assert_str_eq(gw_lat_hist_format(&h, out, sizeof(out)), "0:1,5:1,96:98,2816:1,36864:1");
	/* too small for every entry: whole entries, then the marker */
	ck_assert_str_eq(gw_lat_hist_format(&h, out, 16), "0:1,5:1,...");
	ck_assert_str_eq(gw_lat_hist_format(&h, out, 9), "0:1,...");
	ck_assert_str_eq(gw_lat_hist_format(&h, out, 8), "");
	memset(&h, 0, sizeof(h));
	gw_lat_hist_add(&h, 40000);
	ck_assert_str_eq(gw_lat_hist_format(&h, out, 9), "...");  /* none fits */
	/* every bucket used, past the top too: all of them fit in big */
	memset(&h, 0, sizeof(h));
	for (unsigned i = 0; i < GW_LAT_BUCKETS; i++)
		gw_lat_hist_add(&h, (int64_t)gw_lat_bucket_low(i));
	gw_lat_hist_add(&h, 60 * G_USEC_PER_SEC);
	ck_assert_uint_eq(h.n[GW_LAT_BUCKETS - 1], 2);
	gw_lat_hist_format(&h, big, sizeof(big));
	ck_assert(!g_str_has_suffix(big, "..."));
	ck_assert_uint_eq(h.max_us, 60 * G_USEC_PER_SEC);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_obj_destructor_runs_at_last_deref);
	tcase_add_test(tc, test_loop_post_runs_on_target_loop_holding_a_reference);
	tcase_add_test(tc, test_loop_pin_balances_calls_across_loops);
	tcase_add_test(tc, test_loop_stop_releases_pending_work);
	tcase_add_loop_test(tc, test_loop_clock_ticks_every_20ms_and_survives_removal_mid_round, 0, 2);
	tcase_add_test(tc, test_loop_clock_slots_spread_each_callbacks_ticks_over_the_period);
	tcase_add_test(tc, test_loop_watches_run_ready_fds_and_honour_removal_mid_batch);
	tcase_add_test(tc, test_loop_clock_lets_input_run_between_late_slots);
	tcase_add_test(tc, test_latency_histogram_buckets_percentiles_and_format);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
