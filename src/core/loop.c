/* loop.c — control and media loops, posting work between them, each
 * loop's shared 20 ms media clock, the opt-in paced poll of benchmark
 * peers (gw_loops_set_paced_poll) and the coalesced wake-ups of media
 * loops (gw_loops_set_coalesce).
 *
 * Owns the media threads.  A struct gw_loop is a gw_obj: each call pinned to
 * a loop holds a reference, so a loop outlives every call that runs on it.
 * The tick lists (slots) of a loop belong to that loop's thread.
 *
 * Fd watches (gw_loop_watch_add): one epoll set per loop, polled by GLib as
 * one fd of one GSource, instead of one GSource and one poll entry per
 * socket.  GLib prepares, checks and polls every source on every iteration;
 * with two sockets per call that per-iteration cost grew with the number of
 * calls on the loop (issue 7 profile: GLib and poll() ~10% of the daemon at
 * 100 transcoded calls, ~40% at 300 passthrough calls).  epoll hands back
 * only what is ready.
 */
#define _GNU_SOURCE     /* ppoll */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <glib.h>
#include <glib-unix.h>
#include "core/loop_priv.h"
#include "gw/obj.h"
#include "gw/log.h"

/* The GSource polling a loop's epoll set. */
struct gw_loop_io_source {
	GSource base;
	struct gw_loop *loop;
};

struct gw_loop_tick {
	struct gw_loop *loop;   /* borrowed: ticks go before their loop */
	gw_loop_tick_h *fn;     /* NULL once removed */
	void *arg;
	unsigned slot;          /* its place in the period, for life */
};

static struct gw_loop *control;
static GPtrArray *media; /* of struct gw_loop *, owned references */
/* gw_loops_set_paced_poll(): written before the media threads start
 * (g_thread_new orders it before their reads), read by paced_poll(). */
static unsigned paced_us;
/* gw_loops_set_clock_slots(): written before the loops start (each copies
 * it when created) */
static unsigned clock_slots = 1;
/* gw_loops_set_coalesce(): written before the media threads start */
static bool coalesce;
/* the media loop this thread runs (NULL elsewhere): a GPollFunc gets no
 * user data */
static __thread struct gw_loop *self_loop;

struct post {
	gw_loop_work_h *fn;
	void *obj; /* one reference */
};

static void loop_destroy(void *arg)
{
	struct gw_loop *l = arg;

	gw_loop_ctx_free_all(l);
	if (l->due)
		g_ptr_array_free(l->due, TRUE);
	if (l->due_run)
		g_ptr_array_free(l->due_run, TRUE);
	if (l->io) {
		g_source_destroy(l->io);
		g_source_unref(l->io);
	}
	g_slist_free_full(l->io_dead, g_free);
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->clock) {
		g_source_destroy(l->clock);
		g_source_unref(l->clock);
	}
	for (unsigned s = 0; l->slots && s < l->nslots; s++)
		g_ptr_array_free(l->slots[s], TRUE);
	g_free(l->slots);
	if (l->main)
		g_main_loop_unref(l->main);
	if (l->ctx)
		g_main_context_unref(l->ctx);
}

static struct timespec timespec_of(gint64 us)
{
	return (struct timespec){ .tv_sec = (time_t)(us / G_USEC_PER_SEC),
				  .tv_nsec = (long)(us % G_USEC_PER_SEC) * 1000 };
}

/* Sleep @us outside any wait queue (a signal only ends it early). */
static void nap(gint64 us)
{
	struct timespec ts = timespec_of(us);

	nanosleep(&ts, NULL);
}

/* The GPollFunc of a paced media loop: what g_poll(@fds, @nfds, @timeout)
 * would return, found by polling with timeout 0 and sleeping at most
 * paced_us between polls outside any wait queue (see gw/loop.h for why).
 * Loops here until something is ready or @timeout ms (-1: none) is used up,
 * so GLib prepares and checks its sources no more often than it would. */
static gint paced_poll(GPollFD *fds, guint nfds, gint timeout)
{
	gint64 until = timeout > 0 ? g_get_monotonic_time() + (gint64)timeout * 1000 : 0;
	gint n = g_poll(fds, nfds, 0);

	while (n == 0 && timeout != 0) {
		gint64 us = paced_us;

		if (timeout > 0) {
			gint64 left = until - g_get_monotonic_time();

			if (left <= 0)
				break;
			us = MIN(us, left);
		}
		nap(us);
		n = g_poll(fds, nfds, 0);
	}
	return n;
}

/* Once per IDLE_WINDOW_US, whether to coalesce through the next window.
 * Worth it when the loop has time to spare (idle at least half the window)
 * and woke a fifth more often than both its naps (NAPS_PER_S) and its
 * clock would wake it: packets arrive between its clock's slots.  Stop
 * when it is idle under 40%, or when under half its naps find something
 * waiting (they then wake it more often than the packets would).  The
 * margins keep it from flapping. */
#define IDLE_WINDOW_US G_USEC_PER_SEC
#define NAPS_PER_S     (G_USEC_PER_SEC / GW_LOOP_COALESCE_MAX_US)

static void idle_window(struct gw_loop *l, gint64 now)
{
	gint64 span = now - l->idle_since, pct, waits, clock;
	bool want;

	if (span < IDLE_WINDOW_US)
		return;
	pct = l->idle_us * 100 / span;
	waits = (gint64)l->waits * G_USEC_PER_SEC / span;
	clock = (gint64)l->clock_runs * G_USEC_PER_SEC / span;
	want = l->coalescing ? pct >= 40 && l->naps_found * 2 >= l->naps
			     : pct >= 50 && waits * 5 > MAX(NAPS_PER_S, clock) * 6;
	if (want != l->coalescing) {
		l->coalescing = want;
		gw_debug(NULL, "%s: %s wake-ups (last %lld ms: idle %lld%%, %lld waits/s, clock %lld/s, "
			 "%u of %u naps found work)", l->name, want ? "coalescing" : "no longer coalescing",
			 (long long)(span / 1000), (long long)pct, (long long)waits, (long long)clock,
			 l->naps_found, l->naps);
	}
	l->idle_since = now;
	l->idle_us = 0;
	l->waits = l->naps = l->naps_found = l->clock_runs = 0;
}

/* A nap of @us that only the loop's sockets wait through: ppoll(2) on
 * every fd of the context but the epoll set (poll skips a negative fd), so
 * GLib's wakeup fd (work posted from another thread, a source attached)
 * or anything else attached straight to the context ends it at once. */
static void nap_for_work(const struct gw_loop *l, GPollFD *fds, guint nfds, gint64 us)
{
	struct timespec ts = timespec_of(us);
	guint i = 0;

	while (i < nfds && fds[i].fd != l->epfd)
		i++;
	if (i < nfds)
		fds[i].fd = -1;
	/* GPollFD is struct pollfd on unix (GLib's own g_poll casts it) */
	(void)ppoll((struct pollfd *)fds, nfds, &ts, NULL);
	if (i < nfds)
		fds[i].fd = l->epfd;
}

/* The GPollFunc of a media loop with coalescing allowed (see gw/loop.h):
 * GLib's blocking poll, unless the loop has calls, none of them holds it
 * prompt, and idle_window() said so; then, with nothing ready, a nap to
 * GLib's @timeout (the next slot, or an earlier timer) of at most
 * GW_LOOP_COALESCE_MAX_US that only the sockets wait through, and one
 * more poll with timeout 0.  Returning 0 before @timeout is up only makes
 * GLib go round again.  Time spent waiting here is the loop's idle time;
 * a poll with timeout 0 first tells a wait from an iteration that finds
 * work at once. */
static gint coalesced_poll(GPollFD *fds, guint nfds, gint timeout)
{
	struct gw_loop *l = self_loop;
	gint64 t0;
	gint n;

	if (timeout == 0 || !l)   /* (!l: iterated from another thread) */
		return g_poll(fds, nfds, timeout);
	t0 = g_get_monotonic_time();
	idle_window(l, t0);
	if ((n = g_poll(fds, nfds, 0)))
		return n;
	l->waits++;
	if (!l->coalescing || l->prompt_holds || !gw_loop_tick_count(l)) {
		n = g_poll(fds, nfds, timeout);
	} else {
		nap_for_work(l, fds, nfds, timeout < 0 ? GW_LOOP_COALESCE_MAX_US
					   : MIN((gint64)timeout * 1000, GW_LOOP_COALESCE_MAX_US));
		l->naps++;
		if ((n = g_poll(fds, nfds, 0)) > 0)
			l->naps_found++;
	}
	l->idle_us += g_get_monotonic_time() - t0;
	return n;
}

void gw_loops_set_coalesce(bool on)
{
	g_return_if_fail(media == NULL);
	coalesce = on;
}

/* (Also from gw_loops_stop(), which runs leftover posted work on the
 * control thread once the loop's own has gone.) */
void gw_loop_hold_prompt(struct gw_loop *loop)
{
	g_return_if_fail(loop);
	loop->prompt_holds++;
}

void gw_loop_release_prompt(struct gw_loop *loop)
{
	g_return_if_fail(loop && loop->prompt_holds > 0);
	loop->prompt_holds--;
}

static double thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double gw_loops_wakeup_cost_us(void)
{
	enum { ROUNDS = 5, NAPS = 40, NAP_US = 100 };
	double r[ROUNDS];

	for (unsigned i = 0; i < ROUNDS; i++) {
		double t0 = thread_cpu_us();

		for (unsigned k = 0; k < NAPS; k++)
			nap(NAP_US);
		r[i] = (thread_cpu_us() - t0) / NAPS;
	}
	qsort(r, ROUNDS, sizeof(r[0]), cmp_double);
	return r[ROUNDS / 2];
}

void gw_loops_set_paced_poll(unsigned us)
{
	/* running paced loops read it on every nap: it changes only between runs */
	g_return_if_fail(media == NULL);
	paced_us = us;
}

void gw_loops_set_clock_slots(unsigned n)
{
	g_return_if_fail(media == NULL);
	g_return_if_fail(n >= 1 && n <= GW_LOOP_CLOCK_SLOTS_MAX);
	clock_slots = n;
}

static gpointer media_thread(gpointer arg)
{
	struct gw_loop *l = arg;

	self_loop = l;
	l->idle_since = g_get_monotonic_time();
	if (pthread_getcpuclockid(pthread_self(), &l->cpu_clock) == 0)
		g_atomic_int_set(&l->cpu_clock_ok, 1);
	g_main_context_push_thread_default(l->ctx);
	g_main_loop_run(l->main);
	g_main_context_pop_thread_default(l->ctx);
	g_atomic_int_set(&l->cpu_clock_ok, 0);
	return NULL;
}

/* The io source waits for the epoll set and for the earliest deadline of
 * the loop's driven contexts (loop_ctx.c). */
static gboolean io_prepare(GSource *src, gint *timeout)
{
	gint64 due = gw_loop_ctx_next_due(((struct gw_loop_io_source *)src)->loop), now;

	if (due < 0) {
		*timeout = -1;
		return FALSE;
	}
	now = g_source_get_time(src);
	if (due <= now) {
		*timeout = 0;
		return TRUE;
	}
	/* rounded up: waking before the deadline would only spin */
	*timeout = (gint)MIN((due - now + 999) / 1000, G_MAXINT);
	return FALSE;
}

static gboolean io_check(GSource *src)
{
	gint64 due = gw_loop_ctx_next_due(((struct gw_loop_io_source *)src)->loop);

	return due >= 0 && due <= g_source_get_time(src);
}

/* Run the handler of each ready watch, then the driven contexts that are
 * due.  Level-triggered: what a handler leaves unread (or a batch beyond
 * MAX_EVENTS) shows up again on the next iteration. */
static gboolean io_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
	enum { MAX_EVENTS = 128 };
	struct gw_loop *l = ((struct gw_loop_io_source *)src)->loop;
	struct epoll_event ev[MAX_EVENTS];
	int n;

	if (l->io_dispatching)  /* a nested iteration: the outer one does the work */
		return G_SOURCE_CONTINUE;
	n = epoll_wait(l->epfd, ev, MAX_EVENTS, 0);
	l->io_dispatching = true;
	for (int i = 0; i < n; i++) {
		struct gw_loop_watch *w = ev[i].data.ptr;

		if (!w->fn)    /* removed by an earlier handler of this batch */
			continue;
		w->revents = ev[i].events;
		w->fn(w->fd, w->arg);
	}
	gw_loop_ctx_run_due(l, g_get_monotonic_time());
	l->io_dispatching = false;
	g_slist_free_full(l->io_dead, g_free);
	l->io_dead = NULL;
	gw_loop_ctx_reap(l);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs io_funcs = { .prepare = io_prepare, .check = io_check,
				 .dispatch = io_dispatch };

static struct gw_loop *loop_new(const char *name, GMainContext *ctx)
{
	struct gw_loop *l = gw_obj_alloc(sizeof(*l), loop_destroy);

	g_strlcpy(l->name, name, sizeof(l->name));
	l->ctx = ctx ? g_main_context_ref(ctx) : g_main_context_new();
	l->main = g_main_loop_new(l->ctx, FALSE);
	l->nslots = clock_slots;
	l->slots = g_new(GPtrArray *, l->nslots);
	for (unsigned s = 0; s < l->nslots; s++)
		l->slots[s] = g_ptr_array_new_with_free_func(g_free);
	g_queue_init(&l->driven);
	l->due = g_ptr_array_new();
	l->due_run = g_ptr_array_new();
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		gw_error(NULL, "%s: epoll_create1: %s", l->name, g_strerror(errno));
	} else {
		l->io = g_source_new(&io_funcs, sizeof(struct gw_loop_io_source));
		((struct gw_loop_io_source *)l->io)->loop = l; /* borrowed: l owns io */
		g_source_set_name(l->io, "gw fd watches");
		g_source_add_unix_fd(l->io, l->epfd, G_IO_IN);
		/* Not blocked while it dispatches: GLib would take its fd out of
		 * the poll set and put it back, writing the context's wakeup fd
		 * twice per dispatch (and so waking the loop once more). */
		g_source_set_can_recurse(l->io, TRUE);
		g_source_attach(l->io, l->ctx);
	}
	return l;
}

struct gw_loop_watch *gw_loop_watch_add_events(struct gw_loop *loop, int fd, uint32_t events,
					       gw_loop_watch_h *fn, void *arg)
{
	struct gw_loop_watch *w;
	struct epoll_event ev = { .events = events };

	if (!loop || fd < 0 || !fn || loop->epfd < 0) {
		errno = EINVAL;
		return NULL;
	}
	w = g_new0(struct gw_loop_watch, 1);
	w->loop = loop;
	w->fd = fd;
	w->events = events;
	w->fn = fn;
	w->arg = arg;
	/* the watch is complete before the kernel can hand it to the loop */
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int err = errno;

		g_free(w);
		errno = err;
		return NULL;
	}
	return w;
}

struct gw_loop_watch *gw_loop_watch_add(struct gw_loop *loop, int fd, gw_loop_watch_h *fn,
					void *arg)
{
	return gw_loop_watch_add_events(loop, fd, EPOLLIN, fn, arg);
}

void gw_loop_watch_remove(struct gw_loop_watch *w)
{
	struct gw_loop *l;

	if (!w)
		return;
	l = w->loop;
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->fn = NULL;
	if (l->io_dispatching)
		l->io_dead = g_slist_prepend(l->io_dead, w); /* its event may be in this batch */
	else
		g_free(w);
}

/* Each media loop's load, sampled every BUSY_SAMPLE_S from the control
 * loop once gw_loops_sample_busy_start() armed it (rtcsipd; not the
 * peers or the tests, whose default context must wake only for what
 * they test): the thread's CPU time (its own clock, which another
 * thread may read) over the wall time since the last sample.  A
 * thread's CPU time is the work it did, whatever else ran on its core
 * or the host took. */
#define BUSY_SAMPLE_S 1
static guint busy_timer;        /* on the default (control) context; 0 = not sampling */

void gw_loops_sample_busy(void)
{
	gint64 now = g_get_monotonic_time();

	for (guint i = 0; media && i < media->len; i++) {
		struct gw_loop *l = media->pdata[i];
		struct timespec ts;
		gint64 cpu;

		g_atomic_int_set(&l->busy_pinned, g_atomic_int_get(&l->pinned));
		if (!g_atomic_int_get(&l->cpu_clock_ok) || clock_gettime(l->cpu_clock, &ts)) {
			g_atomic_int_set(&l->busy_pct, 0);
			l->busy_wall0 = 0;
			continue;
		}
		cpu = (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
		if (l->busy_wall0 && now > l->busy_wall0)
			g_atomic_int_set(&l->busy_pct, (gint)MIN(100, (cpu - l->busy_cpu0) * 100 /
								  (now - l->busy_wall0)));
		l->busy_wall0 = now;
		l->busy_cpu0 = cpu;
	}
}

static gboolean on_busy_timer(gpointer arg)
{
	gw_loops_sample_busy();
	return G_SOURCE_CONTINUE;
}

void gw_loops_sample_busy_start(void)
{
	if (media && !busy_timer)
		busy_timer = g_timeout_add_seconds(BUSY_SAMPLE_S, on_busy_timer, NULL);
}

unsigned gw_loop_busy_pct(const struct gw_loop *loop)
{
	return (unsigned)g_atomic_int_get(&((struct gw_loop *)loop)->busy_pct);
}

/* @l's load with the calls pinned since its last sample, each at that
 * sample's share per call (a burst must not overshoot by a second of
 * arrivals; calls that ended show at the next sample).  The share is per
 * call pinned at the sample's end, though the sample averaged a second in
 * which a ramp had fewer: that under-counts a ramp by about as much as
 * its calls' set-up work (ICE, DTLS) over-counts it (measured: 200
 * transcoded calls at 50/s, 163 admitted on a core that carries 155-162;
 * with the second's average count, 139).  Only from PROJECT_MIN_CALLS:
 * with a few calls the loop's own fixed cost would pass for theirs. */
#define PROJECT_MIN_CALLS 10

static unsigned busy_projected(struct gw_loop *l)
{
	gint64 busy = g_atomic_int_get(&l->busy_pct), then = g_atomic_int_get(&l->busy_pinned),
	       now = g_atomic_int_get(&l->pinned);

	if (then >= PROJECT_MIN_CALLS && now > then)
		busy = busy * now / then;
	return (unsigned)MIN(busy, 100);
}

bool gw_loops_busy_over(unsigned pct, unsigned *least)
{
	unsigned low = 100;

	for (guint i = 0; media && i < media->len; i++)
		low = MIN(low, busy_projected(media->pdata[i]));
	if (least)
		*least = low;
	return pct > 0 && media && media->len && low >= pct;
}

int gw_loops_start(unsigned n)
{
	if (media || n == 0)
		return EINVAL;
	control = loop_new("control", g_main_context_default());
	media = g_ptr_array_new();
	for (unsigned i = 0; i < n; i++) {
		char name[16];
		struct gw_loop *l;

		g_snprintf(name, sizeof(name), "media-%u", i);
		l = loop_new(name, NULL);
		if (paced_us)
			g_main_context_set_poll_func(l->ctx, paced_poll);
		else if (coalesce)
			g_main_context_set_poll_func(l->ctx, coalesced_poll);
		l->thread = g_thread_new(name, media_thread, l);
		g_ptr_array_add(media, l);
	}
	gw_debug(NULL, "started %u media loop(s)%s", n,
		 paced_us ? ", paced poll" : coalesce ? ", coalesced wake-ups" : "");
	return 0;
}

static gboolean quit_loop(gpointer arg)
{
	g_main_loop_quit(arg);
	return G_SOURCE_REMOVE;
}

void gw_loops_stop(void)
{
	if (!media)
		return;
	if (busy_timer)
		g_source_remove(busy_timer);
	busy_timer = 0;
	for (guint i = 0; i < media->len; i++) {
		struct gw_loop *l = media->pdata[i];

		g_main_context_invoke(l->ctx, quit_loop, l->main);
		g_thread_join(l->thread);
		l->thread = NULL;
		/* Release posted work that never ran (its destroy notify derefs). */
		while (g_main_context_pending(l->ctx))
			g_main_context_iteration(l->ctx, FALSE);
		gw_obj_deref(l);
	}
	g_ptr_array_free(media, TRUE);
	media = NULL;
	control = gw_obj_deref(control);
}

struct gw_loop *gw_loop_control(void)
{
	return control;
}

struct gw_loop *gw_loop_pin(void)
{
	struct gw_loop *best = NULL;

	g_return_val_if_fail(media && media->len, NULL);
	for (guint i = 0; i < media->len; i++) {
		struct gw_loop *l = media->pdata[i];

		if (!best || g_atomic_int_get(&l->pinned) < g_atomic_int_get(&best->pinned))
			best = l;
	}
	g_atomic_int_inc(&best->pinned);
	return gw_obj_ref(best);
}

void gw_loop_unpin(struct gw_loop *loop)
{
	if (loop)
		g_atomic_int_add(&loop->pinned, -1);
}

unsigned gw_loop_count(void)
{
	return media ? media->len : 0;
}

struct gw_loop *gw_loop_nth(unsigned i)
{
	return media && i < media->len ? media->pdata[i] : NULL;
}

GMainContext *gw_loop_context(const struct gw_loop *loop)
{
	return loop->ctx;
}

const char *gw_loop_name(const struct gw_loop *loop)
{
	return loop->name;
}

unsigned gw_loop_pinned(const struct gw_loop *loop)
{
	return (unsigned)g_atomic_int_get(&((struct gw_loop *)loop)->pinned);
}

gboolean gw_loop_is_current(const struct gw_loop *loop)
{
	return g_main_context_is_owner(loop->ctx);
}

static gboolean post_run(gpointer arg)
{
	struct post *p = arg;

	p->fn(p->obj);
	return G_SOURCE_REMOVE;
}

static void post_free(gpointer arg)
{
	struct post *p = arg;

	gw_obj_deref(p->obj);
	g_free(p);
}

void gw_loop_post(struct gw_loop *loop, gw_loop_work_h *fn, void *obj)
{
	struct post *p = g_new(struct post, 1);
	GSource *src = g_idle_source_new();

	p->fn = fn;
	p->obj = gw_obj_ref(obj);
	/* An idle source (not g_main_context_invoke) so the work never runs
	 * re-entrantly inside the caller even when it is on the same loop. */
	g_source_set_priority(src, G_PRIORITY_DEFAULT);
	g_source_set_callback(src, post_run, p, post_free);
	g_source_attach(src, loop->ctx);
	g_source_unref(src);
}

/* ---- the media clock ----
 * A round every GW_LOOP_TICK_MS on a fixed grid: the next round is due one
 * period after the last was due, not after it ran.  (A GLib timeout is
 * re-armed from when it ran, and its poll rounds up to whole milliseconds:
 * it drifts later every round.)  The callbacks get the due time, so a call's
 * frames keep exact 20 ms steps however late the loop gets to them.
 *
 * The period is cut into nslots slots (media.clock_slots), each due at its
 * own offset; a tick belongs to one slot for its life, the one with the
 * fewest ticks of the same callback when it is added.  With one slot, 100
 * transcoded calls' frames are one ~8 ms burst of Opus encoding every
 * 20 ms: frames late in it wait for the calls before them, and packets
 * arriving meanwhile for all of it (issue 7, README "Eighth round": p99 in
 * the gateway at 100 calls 14-31 ms; with ten slots 4-6 ms, for ~4% more
 * CPU: more, shorter bursts keep less of the encoder in cache).
 *
 * The clock runs at the packets' priority (G_PRIORITY_DEFAULT) and runs
 * one slot per dispatch: at high priority a loop that fell behind ran
 * slot after slot while packet input, which GLib dispatches only when
 * nothing of higher priority is ready, waited in the sockets (to SIP p99
 * up to 50 ms at 100 calls, and the SIP side's input late for its jitter
 * buffer).  A loop that fell behind skips the grid points a period or more
 * late, slot by slot in grid order, instead of running the rounds it
 * missed; each engine plays the frames that fell due itself
 * (gw_media_session_tick).  Slots that fell due within the last period run
 * in order, each once.  GLib polls in whole milliseconds: a slot runs up to
 * 1 ms after it is due.  A slot without ticks costs no wake-up: the clock
 * aims at the next slot that has some (with fewer calls than slots, most
 * are empty; each wake-up of an idle loop costs 15-30 us of CPU on a VM). */
#define PERIOD_US (GW_LOOP_TICK_MS * 1000)

static gint64 slot_due(const struct gw_loop *l, unsigned slot)
{
	return l->tick_base + (gint64)slot * PERIOD_US / l->nslots;
}

static gboolean clock_dispatch(GSource *src, GSourceFunc fn, gpointer arg)
{
	return fn(arg);
}

static GSourceFuncs clock_funcs = { .dispatch = clock_dispatch };

static void run_slot(struct gw_loop *l, GPtrArray *ticks, gint64 due)
{
	/* entries added meanwhile wait for the slot's next round */
	for (guint i = 0, n = ticks->len; i < n; i++) {
		struct gw_loop_tick *t = ticks->pdata[i];

		if (t->fn)
			t->fn(t->arg, due);
	}
}

static void reap_ticks(struct gw_loop *l)
{
	for (unsigned s = 0; s < l->nslots && l->dead; s++) {
		GPtrArray *ticks = l->slots[s];

		for (guint i = ticks->len; i-- > 0;)
			if (!((struct gw_loop_tick *)ticks->pdata[i])->fn) {
				g_ptr_array_remove_index(ticks, i);
				l->nticks--;
				l->dead--;
			}
	}
}

static void next_slot(struct gw_loop *l)
{
	if (++l->tick_slot == l->nslots) {
		l->tick_slot = 0;
		l->tick_base += PERIOD_US;
	}
}

/* Move the clock's aim from the slot it points at to the next that has
 * ticks (the loop has some). */
static void skip_empty_slots(struct gw_loop *l)
{
	for (unsigned k = 0; k < l->nslots && !l->slots[l->tick_slot]->len; k++)
		next_slot(l);
}

static gboolean on_clock(gpointer arg)
{
	struct gw_loop *l = arg;
	gint64 now = g_get_monotonic_time(), due = slot_due(l, l->tick_slot);

	l->clock_runs++;

	/* skip, slot by slot in grid order, what is a period or more late
	 * (whole periods at once first: at most nslots steps are left) */
	if (now - due >= 2 * PERIOD_US)
		l->tick_base += ((now - due) / PERIOD_US - 1) * PERIOD_US;
	for (due = slot_due(l, l->tick_slot); now - due >= PERIOD_US; due = slot_due(l, l->tick_slot))
		next_slot(l);
	/* one slot per dispatch: when several fell due, packet input (same
	 * priority) runs between them, not after all of them */
	if (due <= now) {
		l->ticking = true;
		l->round_late_us = now - due;
		run_slot(l, l->slots[l->tick_slot], due);
		l->round_late_us = 0;
		next_slot(l);
		due = slot_due(l, l->tick_slot);
	}
	l->ticking = false;
	reap_ticks(l);
	if (l->nticks) {
		/* no wake-up for a slot without ticks: with fewer calls than
		 * slots most are empty (clock_aim() comes back for one that
		 * gets a tick meanwhile) */
		skip_empty_slots(l);
		due = slot_due(l, l->tick_slot);
		g_source_set_ready_time(l->clock, due);
		return G_SOURCE_CONTINUE;
	}
	g_source_unref(l->clock);
	l->clock = NULL;
	return G_SOURCE_REMOVE;
}

/* The slot with the fewest ticks of @fn: the media ticks spread evenly,
 * and so do the RTCP ones, whatever order calls add them in. */
static unsigned least_used_slot(const struct gw_loop *l, gw_loop_tick_h *fn)
{
	unsigned best = 0, best_n = G_MAXUINT;

	for (unsigned s = 0; s < l->nslots; s++) {
		GPtrArray *ticks = l->slots[s];
		unsigned n = 0;

		for (guint i = 0; i < ticks->len; i++)
			n += ((struct gw_loop_tick *)ticks->pdata[i])->fn == fn;
		if (n < best_n) {
			best = s;
			best_n = n;
		}
	}
	return best;
}

/* Slot @s just got a tick while the clock aims at a later grid point
 * (on_clock skipped the empty slots between, maybe past the end of the
 * period into the next): aim at @s's next grid point instead if that comes
 * first, so its first round is not a period late.  Not from inside a
 * round: on_clock moves on from the slot it runs, and skips from there. */
static void clock_aim(struct gw_loop *l, unsigned s)
{
	gint64 now = g_get_monotonic_time(), aim = slot_due(l, l->tick_slot);
	gint64 base = l->tick_base, due = slot_due(l, s);

	if (l->ticking)
		return;
	if (due - PERIOD_US > now) {     /* wrapped past it: last period's */
		base -= PERIOD_US;
		due -= PERIOD_US;
	}
	if (due <= now || due >= aim)
		return;
	l->tick_base = base;
	l->tick_slot = s;
	g_source_set_ready_time(l->clock, due);
}

struct gw_loop_tick *gw_loop_tick_add(struct gw_loop *loop, gw_loop_tick_h *fn, void *arg)
{
	struct gw_loop_tick *t = g_new0(struct gw_loop_tick, 1);

	t->loop = loop;
	t->fn = fn;
	t->arg = arg;
	t->slot = least_used_slot(loop, fn);
	g_ptr_array_add(loop->slots[t->slot], t);
	loop->nticks++;
	if (!loop->clock) {
		loop->clock = g_source_new(&clock_funcs, sizeof(GSource));
		/* slot s first due (s + 1) slots from now: all within a period */
		loop->tick_base = g_get_monotonic_time() + PERIOD_US / loop->nslots;
		loop->tick_slot = 0;
		g_source_set_ready_time(loop->clock, loop->tick_base);
		/* the packets' priority: a late clock must not hold their input
		 * back (GLib dispatches only the highest ready priority) */
		g_source_set_priority(loop->clock, G_PRIORITY_DEFAULT);
		g_source_set_name(loop->clock, "gw media clock");
		g_source_set_callback(loop->clock, on_clock, loop, NULL);
		g_source_attach(loop->clock, loop->ctx);
	} else {
		clock_aim(loop, t->slot);
	}
	return t;
}

void gw_loop_tick_remove(struct gw_loop_tick *t)
{
	struct gw_loop *l;
	unsigned slot;

	if (!t)
		return;
	l = t->loop;
	if (l->ticking) {
		t->fn = NULL; /* on_clock frees it after this round */
		l->dead++;
		return;
	}
	slot = t->slot;
	g_ptr_array_remove(l->slots[slot], t); /* frees t */
	if (!--l->nticks && l->clock) {
		g_source_destroy(l->clock);
		g_source_unref(l->clock);
		l->clock = NULL;
	} else if (l->clock && slot == l->tick_slot && !l->slots[slot]->len) {
		/* the slot aimed at lost its last tick: no wake-up for it */
		skip_empty_slots(l);
		g_source_set_ready_time(l->clock, slot_due(l, l->tick_slot));
	}
}

gint64 gw_loop_round_late_us(const struct gw_loop *loop)
{
	return loop->round_late_us;
}

unsigned gw_loop_tick_count(const struct gw_loop *loop)
{
	return loop->nticks - loop->dead;
}
