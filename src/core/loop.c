/* loop.c — control and media loops, and posting work between them.
 *
 * Owns the media threads.  A struct gw_loop is a gw_obj: each call pinned to a
 * loop holds a reference, so a loop outlives every call that runs on it.
 */
#include <errno.h>
#include <glib.h>
#include "gw/loop.h"
#include "gw/obj.h"
#include "gw/log.h"

struct gw_loop {
	char name[16];
	GMainContext *ctx;
	GMainLoop *main;
	GThread *thread;        /* NULL for the control loop */
	gint pinned;            /* calls pinned here (control loop writes, any reads) */
};

static struct gw_loop *control;
static GPtrArray *media; /* of struct gw_loop *, owned references */

struct post {
	gw_loop_work_h *fn;
	void *obj; /* one reference */
};

static void loop_destroy(void *arg)
{
	struct gw_loop *l = arg;

	if (l->main)
		g_main_loop_unref(l->main);
	if (l->ctx)
		g_main_context_unref(l->ctx);
}

static gpointer media_thread(gpointer arg)
{
	struct gw_loop *l = arg;

	g_main_context_push_thread_default(l->ctx);
	g_main_loop_run(l->main);
	g_main_context_pop_thread_default(l->ctx);
	return NULL;
}

static struct gw_loop *loop_new(const char *name, GMainContext *ctx)
{
	struct gw_loop *l = gw_obj_alloc(sizeof(*l), loop_destroy);

	g_strlcpy(l->name, name, sizeof(l->name));
	l->ctx = ctx ? g_main_context_ref(ctx) : g_main_context_new();
	l->main = g_main_loop_new(l->ctx, FALSE);
	return l;
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
		l->thread = g_thread_new(name, media_thread, l);
		g_ptr_array_add(media, l);
	}
	gw_debug(NULL, "started %u media loop(s)", n);
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
