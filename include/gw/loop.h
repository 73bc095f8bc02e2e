/* gw/loop.h — the control loop and the media loops (DESIGN section 2).
 *
 * The control loop is the default GMainContext run by the main thread.  Media
 * loops are threads, each with its own GMainContext; a call is pinned to one
 * media loop for its whole life.  Work crosses loops only via gw_loop_post().
 */
#ifndef GW_LOOP_H
#define GW_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

struct gw_loop;

typedef void (gw_loop_work_h)(void *obj);

/* Start @n media loops (n >= 1).  Control loop only; 0 or errno. */
int gw_loops_start(unsigned n);

/* --- paced poll (benchmark peers only) ---
 * On loopback the SENDER's sendto/sendmsg runs the receiver's delivery and
 * wakes the receiving thread if it sleeps on that socket, so a benchmarked
 * daemon pays for waking its peers, which it never does on a real network
 * (measured: the wake-up leaves the daemon's profile, its /proc CPU stays
 * within noise; the paced load generator uses half the CPU).
 * With @us > 0, every media loop started afterwards polls its sources with
 * timeout 0 and, when nothing is ready, sleeps in nanosleep (at most @us,
 * never past GLib's own timeout) before polling again: the thread never sits
 * in a socket's wait queue.  Cost: up to @us of latency per wake-up (also
 * for work posted from other threads) and a poll every @us while idle.
 * 0 (the default, and what rtcsipd uses) is GLib's blocking poll.
 * Call before gw_loops_start() (refused while media loops run); the
 * control loop is never paced. */
void gw_loops_set_paced_poll(unsigned us);

/* --- coalesced wake-ups ---
 * With @on, a media loop that has calls (media ticks), was idle at least
 * half of the last second and woke more often than its naps or its clock
 * would wake it (packets arrive between its clock's slots; the count
 * costs each wait a poll with timeout 0 first) does not wait for its
 * sockets when nothing is ready: it sleeps until its next timeout (the
 * clock's next slot), at most GW_LOOP_COALESCE_MAX_US, then takes what
 * arrived meanwhile.  Only the sockets of its fd watches (and driven
 * contexts) wait: work posted to it, or any fd attached straight to its
 * context, ends the nap at once.  It stops when idle under 40%, or when
 * under half its naps find something waiting.  Each wake-up costs the
 * thread CPU: 15-30 us on a VM whose idle core halts in the hypervisor
 * (guest halt polling off), a few on bare metal; a loop that wakes for
 * each packet pays it for each.
 * Cost: up to GW_LOOP_COALESCE_MAX_US more latency for the packets that
 * arrive while it sleeps, and only then.  A busy loop is never held back,
 * nor one held prompt (below).  Call before gw_loops_start() (refused
 * while media loops run); off unless set (rtcsipd: media.coalesce_wakeups).
 * The paced poll of benchmark peers, when set, takes precedence. */
#define GW_LOOP_COALESCE_MAX_US 2000
void gw_loops_set_coalesce(bool on);
/* CPU microseconds a sleep and wake-up costs the calling thread here: the
 * median of 5 rounds of 40 naps of 100 us (about 30 ms of wall time). */
double gw_loops_wakeup_cost_us(void);
/* While a media loop has holds it wakes for every packet, coalescing or
 * not: a call in set-up (ICE checks, the DTLS handshake) would otherwise
 * wait for the clock's slot at each round trip.  Each hold is released
 * once.  The loop's own thread only (or once it has stopped). */
void gw_loop_hold_prompt(struct gw_loop *loop);
void gw_loop_release_prompt(struct gw_loop *loop);

/* --- the media clock's slots ---
 * Cut each loop's 20 ms clock period into @n slots (1..GW_LOOP_CLOCK_SLOTS_MAX,
 * media.clock_slots) that each run their share of the calls' ticks, so a
 * loop's media work is @n smaller bursts per period instead of one (see the
 * media clock below).  Call before gw_loops_start() (refused while media
 * loops run); loops created afterwards use it.  Default 1 (rtcsipd: the
 * configured media.clock_slots, 10 unless set). */
#define GW_LOOP_CLOCK_SLOTS_MAX 20
void gw_loops_set_clock_slots(unsigned n);

/* --- fd watches ---
 * Call @fn(@fd, @arg) on @loop's thread whenever @fd is readable (level-
 * triggered: data left unread calls it again).  All watches of a loop share
 * one epoll set polled as a single GSource, so a loop's per-iteration cost
 * does not grow with the number of sockets it carries.  Add from any thread
 * (the watch is live at once); NULL with errno set on failure.  Remove on
 * the loop's thread (also from inside any watch handler: a removed watch is
 * never called again, even for an event of the batch being dispatched) or
 * while the loop does not run; remove before closing @fd.  @arg is not
 * referenced. */
struct gw_loop_watch;
typedef void (gw_loop_watch_h)(int fd, void *arg);
struct gw_loop_watch *gw_loop_watch_add(struct gw_loop *loop, int fd, gw_loop_watch_h *fn,
					void *arg);
void gw_loop_watch_remove(struct gw_loop_watch *w);

/* --- driven contexts ---
 * A private GMainContext whose sources run on @loop's thread but cost the
 * loop nothing on the iterations that are not about them: its fds join the
 * loop's epoll set and its next timeout one heap of deadlines per loop, and
 * it is iterated (GLib's check + dispatch, then prepare + query) only when
 * one of them fires.  For a library that wants a GMainContext for each of
 * its objects' sockets and timers (libnice's agent): attached to the
 * loop's own context, every call's sources are prepared, checked and
 * polled on every iteration, so each packet costs more the more calls the
 * loop carries.  Create and free on @loop's thread (free also from inside
 * the context's own dispatch); sources may be attached from any thread, as
 * to any context.  Sources still attached when the last reference to the
 * context goes are destroyed with it. */
struct gw_loop_ctx;
struct gw_loop_ctx_stats {
	uint64_t cycles;        /* check + dispatch + prepare + query */
	uint64_t resyncs;       /* its fds registered from scratch */
	uint64_t held;          /* cycles followed by a coarse timer's 1 ms */
	unsigned fds;           /* registered now, the wakeup fd included */
};
/* NULL (logged) if the loop cannot watch its fds. */
struct gw_loop_ctx *gw_loop_ctx_new(struct gw_loop *loop);
GMainContext *gw_loop_ctx_context(const struct gw_loop_ctx *c); /* borrowed */
void gw_loop_ctx_free(struct gw_loop_ctx *c);
void gw_loop_ctx_stats(const struct gw_loop_ctx *c, struct gw_loop_ctx_stats *out);
/* For a context whose sources round their timeouts down to the
 * millisecond (Sofia-SIP's su_source: a timer 0.6 ms away makes it ready
 * with nothing to do until it is due, and the loop would spin on it for
 * that time): a context still ready right after its cycle waits 1 ms for
 * the next one, so such a timer runs up to 1 ms late.  Only for sources
 * that signal the context's wakeup fd for the work they queue (Sofia's
 * messages do: g_main_context_wakeup) and that do not block while they
 * dispatch (g_source_set_can_recurse: GLib signals the wakeup fd twice
 * per fd of a blocked source's dispatch).  Loop thread. */
void gw_loop_ctx_set_coarse_timers(struct gw_loop_ctx *c);
/* Driven contexts living on @loop (tests). */
unsigned gw_loop_ctx_count(const struct gw_loop *loop);
/* A reader that sees the file behind @fd (one of the context's) first when
 * it is readable: @fn(a dup of it, @arg) reads what it wants and returns
 * true if the context need not look (nothing left for it; a datagram it
 * left there brings it back, level-triggered), false to cycle the context
 * as usual.  For a hot path that can do without the library's layers while
 * leaving it everything else (libnice's STUN).  One per context; @fn NULL
 * or @fd < 0 removes it.  The file, not the number: a number reused for
 * another file is not read; ENOTSUP if @fd is not a socket or pipe.  It
 * may read one datagram or several: what it leaves is reported again.  @fn
 * may free the context.  Loop thread. */
typedef bool (gw_loop_ctx_reader_h)(int fd, void *arg);
int gw_loop_ctx_set_reader(struct gw_loop_ctx *c, int fd, gw_loop_ctx_reader_h *fn, void *arg);
/* @fn(its fd, @arg) once for each socket the context starts to watch
 * (before it is read, also when it cannot be registered), e.g. to attach a
 * socket filter; set before the context has sockets.  NULL removes it; no
 * reference held on @arg.  Loop thread. */
typedef void (gw_loop_ctx_socket_h)(int fd, void *arg);
void gw_loop_ctx_set_socket_hook(struct gw_loop_ctx *c, gw_loop_ctx_socket_h *fn, void *arg);

/* Stop and join every media loop; pending posted work is dropped (its
 * references released).  Control loop only. */
void gw_loops_stop(void);

/* The control loop (valid after gw_loops_start). */
struct gw_loop *gw_loop_control(void);

/* Pick the media loop with the fewest pinned calls and pin one more to it.
 * Returns a new reference (gw_obj_deref it; call gw_loop_unpin first). */
struct gw_loop *gw_loop_pin(void);
void gw_loop_unpin(struct gw_loop *loop);

unsigned gw_loop_count(void);
struct gw_loop *gw_loop_nth(unsigned i); /* borrowed */

GMainContext *gw_loop_context(const struct gw_loop *loop);
const char *gw_loop_name(const struct gw_loop *loop);
unsigned gw_loop_pinned(const struct gw_loop *loop);

/* Load: the share of a core (0-100) media loop @loop's thread used over
 * the last sample period (0 before the first).  After
 * gw_loops_sample_busy_start() (after gw_loops_start(); gw_loops_stop()
 * ends it) the control loop samples every media loop once a second;
 * gw_loops_sample_busy() takes a sample now (a period is the time since
 * the previous sample).  Both on the control thread; any thread reads. */
unsigned gw_loop_busy_pct(const struct gw_loop *loop);
void gw_loops_sample_busy_start(void);
void gw_loops_sample_busy(void);
/* Whether every media loop is at least @pct busy: its last sample, scaled
 * by the calls pinned to it since (a loop at 60% with 100 calls then is
 * at 66% with 110: arrivals within the second count before the next
 * sample shows them; from 10 calls on).  False for @pct 0 or no media
 * loops; @least, if not NULL, gets the least busy one's share. */
bool gw_loops_busy_over(unsigned pct, unsigned *least);

/* True when the caller runs on @loop's thread. */
gboolean gw_loop_is_current(const struct gw_loop *loop);

/* Run @fn(@obj) on @loop.  Holds a reference on @obj (a gw_obj, may be NULL)
 * until @fn has run or the loop dropped the work.  When the caller already
 * runs on @loop, @fn still runs later (from the loop), never re-entrantly.
 * Any thread. */
void gw_loop_post(struct gw_loop *loop, gw_loop_work_h *fn, void *obj);

/* --- the loop's media clock ---
 * Every call's engine wants a 20 ms tick.  A loop runs one clock for all of
 * them (no per-call timer, no per-call GSource for GLib to prepare and check
 * on every iteration), on a fixed grid, its period cut into slots that each
 * run their share of the ticks (gw_loops_set_clock_slots; loop.c). */
#define GW_LOOP_TICK_MS 20

struct gw_loop_tick;
/* @due_us: when this call was due on the clock's grid (monotonic µs): a
 * whole number of GW_LOOP_TICK_MS after the last one (one, unless the loop
 * fell a period or more behind: the rounds missed are skipped), whenever
 * the loop got to it (g_get_monotonic_time() says how late).  Ticks in
 * different slots are due at different offsets in the period. */
typedef void (gw_loop_tick_h)(void *arg, gint64 due_us);

/* Call @fn(@arg, due) every GW_LOOP_TICK_MS on @loop (first within one
 * period; in the slot with the fewest ticks of @fn).  Caller runs on
 * @loop; @arg is borrowed: remove the tick before it goes.  Returns the
 * handle for gw_loop_tick_remove(). */
struct gw_loop_tick *gw_loop_tick_add(struct gw_loop *loop, gw_loop_tick_h *fn, void *arg);
/* Stop calling it.  On @loop; safe from inside any tick callback. */
void gw_loop_tick_remove(struct gw_loop_tick *t);
/* From a tick callback on @loop: how late the round now running started,
 * in µs (>= 0): the same for every tick of the round, whatever the ticks
 * before it took (what a loop running behind is judged by; a round a
 * whole period late is skipped, so under GW_LOOP_TICK_MS ms plus what a
 * slot takes).  0 outside a round. */
gint64 gw_loop_round_late_us(const struct gw_loop *loop);
/* Ticks registered on @loop (tests). */
unsigned gw_loop_tick_count(const struct gw_loop *loop);

#endif
