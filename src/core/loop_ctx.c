/* loop_ctx.c — driven contexts (gw/loop.h): a private GMainContext run from
 * a loop's epoll set and deadline heap.
 *
 * GLib's documented way to run a GMainContext inside another event loop is
 * its iteration in parts: prepare + query (what to poll, for how long), the
 * outer loop polls, check (with the poll results) + dispatch.  Here the
 * poll is the loop's epoll set plus one deadline per context in a min-heap
 * the loop's io source waits on.  A context is cycled (check, dispatch,
 * prepare, query) only when one of its fds is reported or its deadline is
 * due: it costs nothing on the loop's iterations that are not about it.
 *
 * Keeping the registrations true to the context:
 * - The context is OWNERLESS_POLLING (GLib >= 2.72): every source attached,
 *   fd added or removed and ready time changed writes its wakeup fd, from
 *   any thread, also while nobody owns it.  The wakeup fd is registered as
 *   it is (it lives as long as the context, whose reference we hold).
 *   GLib also writes it twice on every dispatch of a source with fds that
 *   is blocked while it runs (g_main_dispatch takes its fds out of the poll
 *   set and back); the sources of a hot path are not (can_recurse), so a
 *   plain packet dispatch writes nothing.  The wakeup fd is read only when
 *   the loop reports it (GLib's check acknowledges it): a dispatch that did
 *   signal is cycled once more on the loop's next poll, and that cycle
 *   checks the files.
 * - Every other fd is registered as our own dup(): its owner may close it
 *   at any time (GLib only promises the fd leaves the context first) and
 *   the number may then come back for another file; a dup is ours, so its
 *   registration can never be mistaken for, or remove, somebody else's.
 *   Registrations that are not exactly the query's fds, or (after a
 *   wakeup) a number that no longer names the file of our dup, or whose
 *   file cannot be told (not a socket or pipe): all dups are made again.
 *
 * Owns: the context (one reference), the dups and their watches.  A struct
 * gw_loop_ctx, its loop's heap and list are the loop thread's.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include "gw/log.h"
#include "core/loop_priv.h"

#define NO_SLOT G_MAXUINT
/* A fd that could not be registered (out of fds): poll the context this often. */
#define DEGRADED_POLL_MS 10
/* The same timer queried again lands within GLib's 1 ms rounding of it. */
#define DEADLINE_SLACK_US 1000
/* Registering again after a failure: not more often than this. */
#define DEGRADED_RETRY_US G_USEC_PER_SEC

struct reg {
	int fd;                         /* the context's number */
	int dup;                        /* ours, in the loop's epoll set */
	gushort events;
	dev_t dev;                      /* the file of both */
	ino_t ino;
	bool unique;                    /* dev + ino name one file (a socket or
					 * pipe; eventfds, timerfds ... share one) */
	bool reader;                    /* the reader's file */
	struct gw_loop_watch *w;
};

struct file_id {
	dev_t dev;
	ino_t ino;
};

struct gw_loop_ctx {
	struct gw_loop *loop;           /* borrowed: contexts go before their loop */
	GMainContext *ctx;              /* ref; NULL once destroyed */
	GList link;                     /* in loop->driven */
	int wake_fd;                    /* the context's wakeup fd */
	struct gw_loop_watch *wake_w;
	bool woken;                     /* the wakeup fd fired since the last cycle */
	gint max_prio;
	GPollFD *fds;                   /* the last query's; revents set by on_fd */
	gint nfds, cap;
	struct reg *regs;               /* registered dups (not the wakeup fd) */
	guint nregs;
	bool degraded;                  /* a fd is not registered: poll instead */
	bool running;                   /* inside g_main_context_dispatch() */
	bool dead;                      /* let go by its owner */
	gint64 retry_at;                /* degraded: register again from (monotonic µs) */
	bool warned;                    /* about a fd we could not watch */
	gint64 deadline;                /* monotonic µs, -1: none */
	gw_loop_ctx_reader_h *reader;   /* sees its file first; NULL: none */
	void *reader_arg;               /* no reference held: the caller removes
					 * the reader before it goes */
	dev_t reader_dev;
	ino_t reader_ino;
	gw_loop_ctx_socket_h *socket_hook; /* each socket watched; NULL: none */
	void *socket_hook_arg;          /* (as reader_arg) */
	GArray *hooked;                 /* struct file_id: sockets given to it */
	guint slot;                     /* in loop->due, NO_SLOT if none */
	bool coarse;                    /* gw_loop_ctx_set_coarse_timers() */
	struct gw_loop_ctx_stats stats;
};

/* ---- the deadline heap ---- */

static gint64 due_at(const struct gw_loop *l, guint i)
{
	return ((const struct gw_loop_ctx *)l->due->pdata[i])->deadline;
}

static void heap_put(struct gw_loop *l, guint i, struct gw_loop_ctx *c)
{
	l->due->pdata[i] = c;
	c->slot = i;
}

static void heap_up(struct gw_loop *l, guint i, struct gw_loop_ctx *c)
{
	while (i > 0) {
		guint parent = (i - 1) / 2;

		if (due_at(l, parent) <= c->deadline)
			break;
		heap_put(l, i, l->due->pdata[parent]);
		i = parent;
	}
	heap_put(l, i, c);
}

static void heap_down(struct gw_loop *l, guint i, struct gw_loop_ctx *c)
{
	for (;;) {
		guint k = 2 * i + 1;

		if (k >= l->due->len)
			break;
		if (k + 1 < l->due->len && due_at(l, k + 1) < due_at(l, k))
			k++;
		if (c->deadline <= due_at(l, k))
			break;
		heap_put(l, i, l->due->pdata[k]);
		i = k;
	}
	heap_put(l, i, c);
}

static void heap_remove(struct gw_loop *l, struct gw_loop_ctx *c)
{
	guint i = c->slot, last;
	struct gw_loop_ctx *moved;

	if (i == NO_SLOT)
		return;
	c->slot = NO_SLOT;
	last = l->due->len - 1;
	moved = l->due->pdata[last];
	g_ptr_array_set_size(l->due, last);
	if (i == last)
		return;
	heap_up(l, i, moved);
	heap_down(l, moved->slot, moved);
}

static void deadline_set(struct gw_loop_ctx *c, gint64 at)
{
	struct gw_loop *l = c->loop;

	heap_remove(l, c);
	c->deadline = at;
	if (at < 0)
		return;
	g_ptr_array_add(l->due, c);
	heap_up(l, l->due->len - 1, c);
}

gint64 gw_loop_ctx_next_due(const struct gw_loop *l)
{
	return l->due && l->due->len ? due_at(l, 0) : -1;
}

/* ---- registrations ---- */

static uint32_t to_epoll(gushort ev)
{
	return (ev & G_IO_IN ? EPOLLIN : 0) | (ev & G_IO_OUT ? EPOLLOUT : 0) |
	       (ev & G_IO_PRI ? EPOLLPRI : 0);
}

static gushort from_epoll(uint32_t ev)
{
	return (ev & EPOLLIN ? G_IO_IN : 0) | (ev & EPOLLOUT ? G_IO_OUT : 0) |
	       (ev & EPOLLPRI ? G_IO_PRI : 0) | (ev & EPOLLERR ? G_IO_ERR : 0) |
	       (ev & EPOLLHUP ? G_IO_HUP : 0);
}

static void unregister(struct gw_loop_ctx *c)
{
	for (guint i = 0; i < c->nregs; i++) {
		gw_loop_watch_remove(c->regs[i].w);
		close(c->regs[i].dup);
	}
	c->nregs = 0;
}

/* The registrations are exactly the fds of the last query (but the wakeup
 * fd): numbers are unique on both sides, so each one found and the counts
 * equal.  A query limited by a ready source's priority leaves the lower
 * priorities' fds out: then registrations beyond it are fine. */
static bool registered(const struct gw_loop_ctx *c)
{
	guint n = 0;

	for (gint k = 0; k < c->nfds; k++) {
		guint i = 0;

		if (c->fds[k].fd == c->wake_fd)
			continue;
		while (i < c->nregs &&
		       (c->regs[i].fd != c->fds[k].fd || c->regs[i].events != c->fds[k].events))
			i++;
		if (i == c->nregs)
			return false;
		n++;
	}
	return n == c->nregs || c->max_prio != G_MAXINT;
}

/* Does the registered number still name the file we registered?  (False
 * when that cannot be told.) */
static bool same_file(const struct reg *r)
{
	struct stat st;

	return r->unique && !fstat(r->fd, &st) && st.st_dev == r->dev && st.st_ino == r->ino;
}

/* Is @r's file the one the reader was set on? */
static bool reader_file(const struct gw_loop_ctx *c, const struct reg *r)
{
	return c->reader && r->unique && r->dev == c->reader_dev && r->ino == c->reader_ino;
}

static bool same_files(const struct gw_loop_ctx *c)
{
	for (guint i = 0; i < c->nregs; i++)
		if (!same_file(&c->regs[i]))
			return false;
	return true;
}

static void on_fd(int fd, void *arg);

/* socket_hook for each socket of the last query it has not had yet: once
 * per socket (a socket filter attached again is charged to the socket
 * twice until the old one goes), registered or not (degraded). */
static void hook_sockets(struct gw_loop_ctx *c)
{
	struct stat st;

	if (!c->socket_hook)
		return;
	for (gint k = 0; k < c->nfds; k++) {
		struct file_id id;
		bool had = false;

		if (c->fds[k].fd == c->wake_fd || fstat(c->fds[k].fd, &st) || !S_ISSOCK(st.st_mode))
			continue;
		id = (struct file_id){ st.st_dev, st.st_ino };
		for (guint i = 0; i < c->hooked->len && !had; i++) {
			const struct file_id *h = &g_array_index(c->hooked, struct file_id, i);

			had = h->dev == id.dev && h->ino == id.ino;
		}
		if (had)
			continue;
		g_array_append_val(c->hooked, id);
		c->socket_hook(c->fds[k].fd, c->socket_hook_arg);
	}
}

/* Register a dup of every fd of the last query, from scratch. */
static void register_all(struct gw_loop_ctx *c)
{
	struct stat st;

	hook_sockets(c);
	unregister(c);
	c->degraded = false;
	c->regs = g_renew(struct reg, c->regs, MAX(c->nfds, 1));
	for (gint k = 0; k < c->nfds; k++) {
		struct reg *r = &c->regs[c->nregs];

		if (c->fds[k].fd == c->wake_fd)
			continue;
		r->fd = c->fds[k].fd;
		r->events = c->fds[k].events;
		r->dup = fcntl(r->fd, F_DUPFD_CLOEXEC, 0);
		r->w = NULL;
		if (r->dup >= 0 && !fstat(r->dup, &st)) {
			r->dev = st.st_dev;
			r->ino = st.st_ino;
			r->unique = S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode);
			r->reader = reader_file(c, r);
			r->w = gw_loop_watch_add_events(c->loop, r->dup, to_epoll(r->events), on_fd, c);
		}
		if (!r->w) {
			if (!c->warned)
				gw_warn(NULL, "%s: cannot watch fd %d of a driven context (%s): polling "
					"it every %d ms, trying again every second",
					gw_loop_name(c->loop), r->fd, g_strerror(errno), DEGRADED_POLL_MS);
			c->warned = true;
			if (r->dup >= 0)
				close(r->dup);
			c->degraded = true;
			continue;
		}
		c->nregs++;
	}
	c->stats.resyncs++;
	if (c->degraded)
		c->retry_at = g_get_monotonic_time() + DEGRADED_RETRY_US;
}

/* Empty the wakeup fd (an eventfd, or a pipe where GLib has no eventfd);
 * true if it had been written. */
static bool drain(int fd)
{
	char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf));

	while (n == (ssize_t)sizeof(buf))
		n = read(fd, buf, sizeof(buf));
	return n > 0;
}

/* ---- the cycle ---- */

/* prepare + query into c->fds; *@timeout the context's, in ms (-1: none).
 * The caller owns the context. */
static void query(struct gw_loop_ctx *c, gint *timeout)
{
	g_main_context_prepare(c->ctx, &c->max_prio);
	for (;;) {
		gint n = g_main_context_query(c->ctx, c->max_prio, timeout, c->fds, c->cap);

		if (n <= c->cap) {
			c->nfds = n;
			return;
		}
		c->cap = n + 2;
		c->fds = g_renew(GPollFD, c->fds, c->cap);
	}
}

static void schedule(struct gw_loop_ctx *c, gint timeout)
{
	gint64 now, at;

	if (c->degraded && (timeout < 0 || timeout > DEGRADED_POLL_MS))
		timeout = DEGRADED_POLL_MS;
	now = g_get_monotonic_time();
	if (timeout < 0) {
		deadline_set(c, -1);
		return;
	}
	at = now + (gint64)timeout * 1000;
	/* Keep the heap still when the answer is the deadline we already have. */
	if (c->deadline > now && at >= c->deadline - DEADLINE_SLACK_US &&
	    at <= c->deadline + DEADLINE_SLACK_US)
		return;
	deadline_set(c, at);
}

static void destroy(struct gw_loop_ctx *c)
{
	struct gw_loop *l = c->loop;
	GMainContext *ctx;

	unregister(c);
	gw_loop_watch_remove(c->wake_w);
	heap_remove(l, c);
	g_queue_unlink(&l->driven, &c->link);
	/* sources still attached are destroyed with the last reference, and
	 * their destroy notifies may try to free it again */
	c->dead = true;
	ctx = c->ctx;
	c->ctx = NULL;
	g_main_context_unref(ctx);
	g_free(c->fds);
	g_free(c->regs);
	if (c->hooked)
		g_array_free(c->hooked, TRUE);
	/* the loop's batch in progress may still point at it */
	if (l->io_dispatching)
		l->driven_dead = g_slist_prepend(l->driven_dead, c);
	else
		g_free(c);
}

/* Check and dispatch what is ready, then prepare and query again. */
static void cycle(struct gw_loop_ctx *c)
{
	bool woken = c->woken, dispatched, held;
	gint timeout = -1;

	c->woken = false;
	if (!g_main_context_acquire(c->ctx)) {
		/* another thread iterates it: a caller bug; look again later
		 * (and do not spin on its wakeup meanwhile) */
		if (!c->warned)
			gw_warn(NULL, "%s: a driven context is owned by another thread",
				gw_loop_name(c->loop));
		c->warned = true;
		c->woken = woken || drain(c->wake_fd);
		schedule(c, DEGRADED_POLL_MS);
		return;
	}
	c->stats.cycles++;
	if (c->degraded) {
		hook_sockets(c);         /* (a socket registered only later) */
		g_poll(c->fds, (guint)c->nfds, 0);
		for (gint k = 0; k < c->nfds; k++)   /* check acknowledges it */
			woken = woken || (c->fds[k].fd == c->wake_fd && c->fds[k].revents);
	}
	c->running = true;
	dispatched = g_main_context_check(c->ctx, c->max_prio, c->fds, c->nfds);
	if (dispatched)
		g_main_context_dispatch(c->ctx);
	c->running = false;
	if (c->dead) {
		g_main_context_release(c->ctx);
		destroy(c);
		return;
	}
	/* The query sees every change made so far, except a number closed
	 * and opened again for another file: that signalled the wakeup fd,
	 * which is then reported (a dispatch's own signal on the next poll,
	 * not read here: that would be a read per packet). */
	query(c, &timeout);
	g_main_context_release(c->ctx);
	/* Still ready right after its cycle: what was due when it checked
	 * has run, so it is a timer under 1 ms away rounded down (work queued
	 * meanwhile has signalled the wakeup fd, which the loop reports at
	 * once): 1 ms from now, exactly (schedule()'s slack could keep a
	 * deadline up to 1 ms later).  What fell due during the dispatch
	 * waits as long. */
	held = c->coarse && timeout == 0;
	if ((c->degraded || !registered(c) || (woken && !same_files(c))) &&
	    (!c->degraded || g_get_monotonic_time() >= c->retry_at))
		register_all(c);
	if (held) {
		c->stats.held++;
		deadline_set(c, g_get_monotonic_time() + 1000);
	} else {
		schedule(c, timeout);
	}
}

/* The reader's turn on its file (our dup @fd): true if the context need
 * not look.  Like a dispatch, it may free the context. */
static bool read_first(struct gw_loop_ctx *c, int fd)
{
	bool done;

	c->running = true;
	done = c->reader(fd, c->reader_arg);
	c->running = false;
	if (c->dead) {
		destroy(c);
		return true;
	}
	return done;
}

/* A registered fd (ours) is ready: hand its events to the context's poll
 * record and cycle the context. */
static void on_fd(int fd, void *arg)
{
	struct gw_loop_ctx *c = arg;
	struct gw_loop_watch *w = NULL;
	int own = -1;
	bool polled = false;

	if (fd == c->wake_fd) {
		w = c->wake_w;
		own = fd;
		c->woken = true;
	}
	for (guint i = 0; !w && i < c->nregs; i++)
		if (c->regs[i].dup == fd) {
			w = c->regs[i].w;
			own = c->regs[i].fd;
			/* A dispatch may have closed the number and opened it
			 * again since (its wakeup is reported after us): a hang-up
			 * or error of the old file must not reach the new one
			 * (libnice drops a socket on them).  Rare: checked only
			 * then; the cycle re-registers. */
			if ((w->revents & (EPOLLHUP | EPOLLERR)) && !same_file(&c->regs[i])) {
				w = NULL;
				c->woken = true;
			} else if (c->regs[i].reader && w->revents == EPOLLIN && read_first(c, fd)) {
				return;
			}
		}
	for (gint k = 0; w && k < c->nfds; k++)
		if (c->fds[k].fd == own) {
			c->fds[k].revents |= from_epoll(w->revents) &
					     (c->fds[k].events | G_IO_ERR | G_IO_HUP | G_IO_NVAL);
			polled = true;
		}
	/* GLib's check reads the wakeup fd when its record has revents; a
	 * query limited to a higher priority left it out: read it here */
	if (fd == c->wake_fd && !polled)
		drain(fd);
	cycle(c);
}

void gw_loop_ctx_run_due(struct gw_loop *l, gint64 now)
{
	GPtrArray *run = l->due_run;

	if (!l->due->len || due_at(l, 0) > now)
		return;
	/* Take them all first: a cycle that is due again at once (timeout 0)
	 * waits for the loop's next iteration, like any GLib source. */
	while (l->due->len && due_at(l, 0) <= now) {
		struct gw_loop_ctx *c = l->due->pdata[0];

		heap_remove(l, c);
		c->deadline = -1;
		g_ptr_array_add(run, c);
	}
	for (guint i = 0; i < run->len; i++) {
		struct gw_loop_ctx *c = run->pdata[i];

		if (!c->dead)   /* an earlier one's dispatch may have let it go */
			cycle(c);
	}
	g_ptr_array_set_size(run, 0);
}

void gw_loop_ctx_reap(struct gw_loop *l)
{
	g_slist_free_full(l->driven_dead, g_free);
	l->driven_dead = NULL;
}

void gw_loop_ctx_free_all(struct gw_loop *l)
{
	while (l->driven.head)
		destroy(l->driven.head->data);
	gw_loop_ctx_reap(l);
}

/* ---- public ---- */

struct gw_loop_ctx *gw_loop_ctx_new(struct gw_loop *loop)
{
	struct gw_loop_ctx *c;
	gint timeout = -1;

	g_return_val_if_fail(loop && gw_loop_is_current(loop), NULL);
	c = g_new0(struct gw_loop_ctx, 1);
	c->loop = loop;
	c->slot = NO_SLOT;
	c->deadline = -1;
	c->wake_fd = -1;
	c->ctx = g_main_context_new_with_flags(G_MAIN_CONTEXT_FLAGS_OWNERLESS_POLLING);
	c->link.data = c;
	g_queue_push_tail_link(&loop->driven, &c->link);
	if (g_main_context_acquire(c->ctx)) {
		query(c, &timeout);
		g_main_context_release(c->ctx);
	}
	/* a context with no source polls its wakeup fd only */
	if (c->nfds == 1)
		c->wake_fd = c->fds[0].fd;
	c->wake_w = c->wake_fd < 0 ? NULL : gw_loop_watch_add_events(loop, c->wake_fd, EPOLLIN,
								     on_fd, c);
	if (!c->wake_w) {
		gw_error(NULL, "%s: cannot watch a driven context's wakeup fd: %s",
			 gw_loop_name(loop), c->wake_fd < 0 ? "not found" : g_strerror(errno));
		destroy(c);
		return NULL;
	}
	schedule(c, timeout);
	return c;
}

GMainContext *gw_loop_ctx_context(const struct gw_loop_ctx *c)
{
	return c->ctx;
}

void gw_loop_ctx_free(struct gw_loop_ctx *c)
{
	if (!c || c->dead)
		return;
	if (c->running) {
		c->dead = true; /* cycle() destroys it once dispatch returns */
		return;
	}
	destroy(c);
}

void gw_loop_ctx_set_coarse_timers(struct gw_loop_ctx *c)
{
	c->coarse = true;
}

int gw_loop_ctx_set_reader(struct gw_loop_ctx *c, int fd, gw_loop_ctx_reader_h *fn, void *arg)
{
	struct stat st;
	int err = 0;

	g_return_val_if_fail(c && gw_loop_is_current(c->loop), EINVAL);
	c->reader = NULL;
	if (!fn || fd < 0)
		; /* removed */
	else if (fstat(fd, &st))
		err = errno;
	else if (!S_ISSOCK(st.st_mode) && !S_ISFIFO(st.st_mode))
		err = ENOTSUP; /* cannot be told from another file */
	else {
		c->reader = fn;
		c->reader_arg = arg;
		c->reader_dev = st.st_dev;
		c->reader_ino = st.st_ino;
	}
	for (guint i = 0; i < c->nregs; i++)
		c->regs[i].reader = reader_file(c, &c->regs[i]);
	return err;
}

void gw_loop_ctx_set_socket_hook(struct gw_loop_ctx *c, gw_loop_ctx_socket_h *fn, void *arg)
{
	c->socket_hook = fn;
	c->socket_hook_arg = arg;
	if (fn && !c->hooked)
		c->hooked = g_array_new(FALSE, FALSE, sizeof(struct file_id));
}

void gw_loop_ctx_stats(const struct gw_loop_ctx *c, struct gw_loop_ctx_stats *out)
{
	*out = c->stats;
	out->fds = c->nregs + 1;
}

unsigned gw_loop_ctx_count(const struct gw_loop *loop)
{
	return loop->driven.length;
}
