/* loop_probe.h — what the media-loop tests (test_loop_paced,
 * test_loop_coalesce) share: what a loop thread saw (datagrams, a timeout,
 * posted work, a clock tick), recorded under a lock for the test thread to
 * wait on; sockets on 127.0.0.1 that the loop watches; and where the loop
 * thread waits, read from /proc/self/task/TID/syscall.
 *
 * Where it waits tells the loop's poll modes apart: GLib's blocking wait
 * is poll(2); the paced poll of benchmark peers naps in nanosleep and the
 * coalesced wake-ups in ppoll(2) (gw/loop.h); a thread that runs (or waits
 * for a CPU) reads "running".  Only 127.0.0.1; waits are generous (shared
 * machines).
 */
#ifndef GW_TESTS_LOOP_PROBE_H
#define GW_TESTS_LOOP_PROBE_H

#include <sys/types.h>
#include <gio/gio.h>
#include <glib.h>
#include "gw/loop.h"

#define PROBE_WAIT_US (10 * G_USEC_PER_SEC)  /* generous: the machine is shared */

struct seen {
	GMutex lock;
	GCond cond;
	int datagrams;
	char first[64];
	gint64 timeout_at;      /* monotonic us when a timeout ran; 0 = not yet */
	gboolean posted_ran;
	gint64 posted_at;       /* when posted work last ran */
	pid_t tid;              /* the loop thread's id; 0 = not yet */
	gint64 last_due;        /* the clock's last slot due time */
	gint64 got_at;          /* when the last datagram was taken */
};

extern struct seen seen;

void seen_reset(void);
/* Wait until @done() holds (called under seen.lock) or PROBE_WAIT_US
 * passed; whether it holds. */
gboolean seen_wait(gboolean (*done)(void));
gboolean got_posted(void);
gboolean got_tid(void);
gboolean got_tick(void);        /* seen.last_due set */

/* Loop-side recorders. */
gboolean on_readable(GSocket *sock, GIOCondition cond, gpointer arg);  /* a GSocket source */
void on_watch_readable(int fd, void *arg);                             /* a gw_loop_watch */
gboolean on_tid(gpointer arg);
void on_posted(void *obj);
void on_clock_tick(void *arg, gint64 due);      /* a media tick: seen.last_due */

/* A UDP socket on 127.0.0.1 watched by a GSource of @ctx calling @fn; its
 * port in @port. */
GSocket *watched_socket(GMainContext *ctx, guint16 *port, GSourceFunc fn);
/* A UDP socket on 127.0.0.1 in @loop's epoll set (gw_loop_watch_add) calling
 * @fn; its port in @port and its watch in @w (remove it on the loop's
 * thread before the loop stops). */
GSocket *epoll_socket(struct gw_loop *loop, guint16 *port, gw_loop_watch_h *fn,
		      struct gw_loop_watch **w);
void send_to(guint16 port, const char *text);

/* Where thread @tid waits: the system call number it is blocked in, -1
 * when running, -2 when /proc does not say. */
long blocked_in(pid_t tid);
gboolean is_poll(long nr);      /* GLib's blocking wait */
gboolean is_nap(long nr);       /* a paced or coalescing nap */
/* Sample where @l's idle thread waits until @want samples of a nap
 * (@want_poll: of poll) were seen or PROBE_WAIT_US passed; the counts.
 * FALSE (and says why) when this machine cannot tell. */
gboolean sample_idle(struct gw_loop *l, int want, gboolean want_poll, int *in_poll, int *in_nap);

#endif
