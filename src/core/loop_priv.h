/* core/loop_priv.h — what loop.c (loops, posting, fd watches, the media
 * clock) and loop_ctx.c (driven contexts) share.  Only src/core/loop*.c
 * include it. */
#ifndef GW_CORE_LOOP_PRIV_H
#define GW_CORE_LOOP_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <glib.h>
#include "gw/loop.h"

struct gw_loop {
	char name[16];
	GMainContext *ctx;
	GMainLoop *main;
	GThread *thread;        /* NULL for the control loop */
	gint pinned;            /* calls pinned here (control loop writes, any reads) */
	/* load (gw_loops_sample_busy): the thread publishes its CPU clock;
	 * the control loop samples it and writes busy_pct, any thread reads */
	clockid_t cpu_clock;    /* valid while cpu_clock_ok */
	gint cpu_clock_ok;
	gint busy_pct;          /* share of a core over the last sample period */
	gint busy_pinned;       /* calls pinned when it was taken */
	gint64 busy_wall0;      /* the last sample: control loop only */
	gint64 busy_cpu0;
	/* the media clock: loop thread only */
	GPtrArray **slots;      /* nslots arrays of struct gw_loop_tick *, owned */
	unsigned nslots;        /* the period's slots (gw_loops_set_clock_slots) */
	unsigned nticks;        /* in all slots, removed ones included */
	GSource *clock;         /* while there are ticks */
	bool ticking;           /* inside the clock's dispatch */
	gint64 round_late_us;   /* how late the running round started; 0 between */
	gint64 tick_base;       /* the grid point the current period started at */
	unsigned tick_slot;     /* the slot due next, at tick_base + its offset */
	unsigned dead;          /* removed while ticking, freed after */
	/* coalesced wake-ups (gw_loops_set_coalesce): loop thread only */
	bool coalescing;        /* decided at the end of the last idle window */
	gint64 idle_since;      /* start of the current idle window */
	gint64 idle_us;         /* spent waiting in it */
	unsigned waits;         /* times it waited in it (blocked or napped) */
	unsigned naps;          /* of them naps ... */
	unsigned naps_found;    /* ... after which something was ready */
	unsigned clock_runs;    /* dispatches of the clock in it */
	unsigned prompt_holds;  /* gw_loop_hold_prompt() not yet released */
	/* fd watches: the set is any thread's to add to; dispatch, removal
	 * and the dead list are the loop thread's */
	int epfd;               /* -1 if epoll_create1 failed (watches refused) */
	GSource *io;            /* polls epfd and the driven contexts' deadlines (ref) */
	bool io_dispatching;
	GSList *io_dead;        /* of struct gw_loop_watch *, removed meanwhile */
	/* driven contexts (loop_ctx.c): loop thread only */
	GQueue driven;          /* of struct gw_loop_ctx *, linked through ->link */
	GPtrArray *due;         /* min-heap of struct gw_loop_ctx * by deadline */
	GPtrArray *due_run;     /* scratch: the ones being run */
	GSList *driven_dead;    /* of struct gw_loop_ctx *: freed at the end of dispatch */
};

struct gw_loop_watch {
	struct gw_loop *loop;   /* borrowed: watches go before their loop */
	int fd;
	uint32_t events;        /* EPOLLIN, EPOLLOUT, ... */
	uint32_t revents;       /* what epoll reported, while fn runs */
	gw_loop_watch_h *fn;    /* NULL once removed */
	void *arg;
};

/* gw_loop_watch_add() with the epoll events to wait for (EPOLLIN | ...);
 * the handler finds what was reported in w->revents. */
struct gw_loop_watch *gw_loop_watch_add_events(struct gw_loop *loop, int fd, uint32_t events,
					       gw_loop_watch_h *fn, void *arg);

/* loop_ctx.c, called by loop.c on the loop's thread: */
/* The earliest deadline of @l's driven contexts (monotonic µs), -1: none. */
gint64 gw_loop_ctx_next_due(const struct gw_loop *l);
/* Run every driven context of @l whose deadline is at or before @now. */
void gw_loop_ctx_run_due(struct gw_loop *l, gint64 now);
/* After a dispatch: free what gw_loop_ctx_free() left for later. */
void gw_loop_ctx_reap(struct gw_loop *l);
/* The loop goes: free the driven contexts still registered (their owners
 * leaked them or outlive the loop's thread). */
void gw_loop_ctx_free_all(struct gw_loop *l);

#endif
