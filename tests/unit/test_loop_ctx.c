/* test_loop_ctx.c — driven contexts (gw_loop_ctx): a private GMainContext
 * whose timers and sockets run from a loop's deadline heap and epoll set.
 *
 * Most tests drive the control loop, which is the default context iterated
 * by the test thread itself; one runs on a media loop's thread.  Sockets
 * are UDP on 127.0.0.1.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include "gw_check.h"
#include <gio/gio.h>
#include <glib-unix.h>
#include "gw/loop.h"

static struct gw_loop *control;

static void setup(void)
{
	ck_assert_int_eq(gw_loops_start(1), 0);
	control = gw_loop_control();
	ck_assert(g_main_context_acquire(g_main_context_default()));
}

static void teardown(void)
{
	g_main_context_release(g_main_context_default());
	gw_loops_stop();
}

/* Iterate the control loop until *@flag or @ms pass; *@flag at the end. */
static bool run_until(const gint *flag, int ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (!g_atomic_int_get(flag) && g_get_monotonic_time() < end)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(500);
	return g_atomic_int_get(flag);
}

/* Iterate for @ms whatever happens. */
static void run_for(int ms)
{
	gint never = 0;

	run_until(&never, ms);
}

static GSocket *udp_socket(guint16 *port)
{
	GInetAddress *lo = g_inet_address_new_from_string("127.0.0.1");
	GSocketAddress *any = g_inet_socket_address_new(lo, 0), *bound;
	GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
				  G_SOCKET_PROTOCOL_UDP, NULL);

	ck_assert_ptr_nonnull(s);
	ck_assert(g_socket_bind(s, any, FALSE, NULL));
	g_socket_set_blocking(s, FALSE);
	bound = g_socket_get_local_address(s, NULL);
	*port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	g_object_unref(bound);
	g_object_unref(any);
	g_object_unref(lo);
	return s;
}

static void send_to(guint16 port, const char *msg)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)strlen(msg));
	close(fd);
}

/* ---- timers: the deadline heap ---- */

struct fired {
	gint64 due;             /* monotonic µs */
	gint64 at;
	int order;
};

static int n_fired;

static gboolean on_timer(gpointer data)
{
	struct fired *f = data;

	f->at = g_get_monotonic_time();
	f->order = n_fired++;
	return G_SOURCE_REMOVE;
}

START_TEST(test_loop_ctx_timers_of_many_contexts_fire_in_deadline_order)
{
	enum { N = 40 };
	struct gw_loop_ctx *c[N];
	struct fired f[N];
	gint all = 0;

	n_fired = 0;
	for (int i = 0; i < N; i++) {
		/* deadlines in a scrambled order, 10 ms apart: 310 .. 700 ms
		 * (all known to the loop before the first is due, even on a
		 * busy machine) */
		guint ms = 300 + (guint)((i * 17) % N + 1) * 10;
		GSource *t;

		f[i] = (struct fired){ .due = g_get_monotonic_time() + ms * 1000, .order = -1 };
		t = g_timeout_source_new(ms); /* ready at or after f[i].due */
		c[i] = gw_loop_ctx_new(control);
		ck_assert_ptr_nonnull(c[i]);
		g_source_set_callback(t, on_timer, &f[i], NULL);
		g_source_attach(t, gw_loop_ctx_context(c[i]));
		g_source_unref(t);
	}
	ck_assert_uint_eq(gw_loop_ctx_count(control), N);
	while (g_main_context_iteration(NULL, FALSE)) /* their wakeups: deadlines into the heap */
		;
	for (gint64 end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
	     n_fired < N && g_get_monotonic_time() < end;)
		g_main_context_iteration(NULL, TRUE);
	all = n_fired == N;
	ck_assert_msg(all, "only %d of %d timers fired", n_fired, N);
	for (int i = 0; i < N; i++) {
		ck_assert_msg(f[i].at >= f[i].due, "timer %d fired %lld µs early", i,
			      (long long)(f[i].due - f[i].at));
		for (int j = 0; j < N; j++)
			if (f[j].due + 5000 < f[i].due) /* clearly earlier: fired earlier */
				ck_assert_int_lt(f[j].order, f[i].order);
	}
	for (int i = 0; i < N; i++)
		gw_loop_ctx_free(c[i]);
	ck_assert_uint_eq(gw_loop_ctx_count(control), 0);
}
END_TEST

/* ---- sockets ---- */

struct rx {
	GSocket *sock;
	gint count;
	char last[64];
	GThread *thread;        /* where the callback ran */
};

static gboolean on_readable(GSocket *s, GIOCondition cond, gpointer data)
{
	struct rx *r = data;
	char buf[64];
	gssize n;

	while ((n = g_socket_receive(s, buf, sizeof(buf) - 1, NULL, NULL)) > 0) {
		buf[n] = 0;
		g_strlcpy(r->last, buf, sizeof(r->last));
		r->thread = g_thread_self();
		g_atomic_int_inc(&r->count);
	}
	return G_SOURCE_CONTINUE;
}

static GSource *watch(struct rx *r, GMainContext *ctx)
{
	GSource *src = g_socket_create_source(r->sock, G_IO_IN, NULL);

	g_source_set_callback(src, (GSourceFunc)(void (*)(void))on_readable, r, NULL);
	g_source_attach(src, ctx);
	return src;
}

static gboolean count_tick(gpointer data)
{
	g_atomic_int_inc((gint *)data);
	return G_SOURCE_CONTINUE;
}

START_TEST(test_loop_ctx_socket_and_repeating_timer_run_from_the_loop)
{
	struct gw_loop_ctx *c = gw_loop_ctx_new(control);
	struct gw_loop_ctx_stats st;
	struct rx r = { 0 };
	GSource *src, *tick;
	guint16 port;
	gint ticks = 0;

	ck_assert_ptr_nonnull(c);
	r.sock = udp_socket(&port);
	src = watch(&r, gw_loop_ctx_context(c));
	tick = g_timeout_source_new(10);
	g_source_set_callback(tick, count_tick, &ticks, NULL);
	g_source_attach(tick, gw_loop_ctx_context(c));
	for (int i = 0; i < 50; i++) {
		char msg[16];

		g_snprintf(msg, sizeof(msg), "packet %d", i);
		send_to(port, msg);
		run_for(2);
	}
	run_for(200);
	ck_assert_int_eq(r.count, 50);
	ck_assert_str_eq(r.last, "packet 49");
	ck_assert_ptr_eq(r.thread, g_thread_self());
	ck_assert_int_ge(ticks, 5);
	gw_loop_ctx_stats(c, &st);
	ck_assert_uint_eq(st.fds, 2);   /* its wakeup fd and the socket */
	ck_assert_uint_ge(st.cycles, 50);
	/* GLib's own wakeups around each dispatch are not taken for changes:
	 * the fds were registered once or twice, not once per packet */
	ck_assert_msg(st.resyncs <= 3, "%" G_GUINT64_FORMAT " resyncs", st.resyncs);

	/* the socket's source goes: so does its registration */
	g_source_destroy(src);
	g_source_unref(src);
	run_for(50);
	gw_loop_ctx_stats(c, &st);
	ck_assert_uint_eq(st.fds, 1);
	send_to(port, "nobody listens");
	run_for(50);
	ck_assert_int_eq(r.count, 50);

	g_source_destroy(tick);
	g_source_unref(tick);
	gw_loop_ctx_free(c);
	g_object_unref(r.sock);
}
END_TEST

/* A source attached by a thread that does not own the context still wakes
 * the loop (OWNERLESS_POLLING: the attach signals the wakeup fd). */
struct other {
	GMainContext *ctx;
	gint ran;
	GThread *ran_on;
};

static gboolean note_thread(gpointer data)
{
	struct other *o = data;

	o->ran_on = g_thread_self();
	g_atomic_int_set(&o->ran, 1);
	return G_SOURCE_REMOVE;
}

static gpointer attach_from_thread(gpointer data)
{
	struct other *o = data;
	GSource *idle = g_idle_source_new();

	g_usleep(50000); /* the loop sleeps in poll by now */
	g_source_set_callback(idle, note_thread, o, NULL);
	g_source_attach(idle, o->ctx);
	g_source_unref(idle);
	return NULL;
}

START_TEST(test_loop_ctx_source_attached_by_another_thread_runs_on_the_loop)
{
	struct gw_loop_ctx *c = gw_loop_ctx_new(control);
	struct other o = { .ctx = gw_loop_ctx_context(c) };
	GThread *t = g_thread_new("attacher", attach_from_thread, &o);
	gint64 start = g_get_monotonic_time();

	/* blocking iterations: only the wakeup can end the first one */
	while (!g_atomic_int_get(&o.ran) && g_get_monotonic_time() - start < 5 * G_USEC_PER_SEC)
		g_main_context_iteration(NULL, TRUE);
	g_thread_join(t);
	ck_assert(o.ran);
	ck_assert_ptr_eq(o.ran_on, g_thread_self());
	gw_loop_ctx_free(c);
}
END_TEST

/* The socket is closed and another file takes its number inside one
 * dispatch: the loop must watch the new file, not the old one. */
struct swap {
	struct rx a, b;
	GSource *src;
	GMainContext *ctx;
	int number;
	guint16 port_b;
};

static gboolean on_first(GSocket *s, GIOCondition cond, gpointer data)
{
	struct swap *sw = data;
	guint16 port;
	GSocket *b;
	int fd;

	on_readable(s, cond, &sw->a);
	/* A goes: source first, then the socket (what GLib asks of owners) */
	sw->number = g_socket_get_fd(sw->a.sock);
	g_source_destroy(sw->src);
	g_source_unref(sw->src);
	g_socket_close(sw->a.sock, NULL); /* now: the source still holds the GSocket */
	/* B is put on A's old number */
	b = udp_socket(&port);
	fd = dup(g_socket_get_fd(b));
	g_object_unref(b);
	ck_assert_int_eq(dup2(fd, sw->number), sw->number);
	close(fd);
	sw->b.sock = g_socket_new_from_fd(sw->number, NULL);
	ck_assert_ptr_nonnull(sw->b.sock);
	g_socket_set_blocking(sw->b.sock, FALSE);
	sw->port_b = port;
	sw->src = watch(&sw->b, sw->ctx);
	return G_SOURCE_REMOVE;
}

START_TEST(test_loop_ctx_fd_number_reused_inside_a_dispatch_keeps_working)
{
	struct gw_loop_ctx *c = gw_loop_ctx_new(control);
	struct swap sw = { .ctx = gw_loop_ctx_context(c) };
	guint16 port_a;

	sw.a.sock = udp_socket(&port_a);
	sw.src = g_socket_create_source(sw.a.sock, G_IO_IN, NULL);
	g_source_set_callback(sw.src, (GSourceFunc)(void (*)(void))on_first, &sw, NULL);
	g_source_attach(sw.src, sw.ctx);
	send_to(port_a, "to A");
	ck_assert(run_until(&sw.a.count, 2000));
	ck_assert_str_eq(sw.a.last, "to A");
	ck_assert_ptr_nonnull(sw.b.sock);
	ck_assert_int_eq(g_socket_get_fd(sw.b.sock), sw.number);
	send_to(sw.port_b, "to B");
	/* noticed at once (the dispatch's wakeup makes the cycle check the
	 * files), well before any periodic check would */
	ck_assert_msg(run_until(&sw.b.count, 800), "the new socket on fd %d was not read",
		      sw.number);
	ck_assert_str_eq(sw.b.last, "to B");
	g_source_destroy(sw.src);
	g_source_unref(sw.src);
	gw_loop_ctx_free(c);
	g_object_unref(sw.a.sock);
	g_object_unref(sw.b.sock);
}
END_TEST

/* The same with a hang-up: the old file (a pipe whose writer goes inside
 * the dispatch, before the dispatch signals anything) is reported before
 * the wakeup; its hang-up must not reach the new file on its number. */
struct hup_swap {
	int r1, w1, w2, number;
	GSource *src;
	GMainContext *ctx;
	gint got, hups;
};

static gboolean on_new_pipe(gint fd, GIOCondition cond, gpointer data)
{
	struct hup_swap *h = data;
	char buf[8];

	if (cond & (G_IO_HUP | G_IO_ERR))
		g_atomic_int_inc(&h->hups);
	if ((cond & G_IO_IN) && read(fd, buf, sizeof(buf)) > 0)
		g_atomic_int_inc(&h->got);
	return G_SOURCE_CONTINUE;
}

static gboolean on_old_pipe(gint fd, GIOCondition cond, gpointer data)
{
	struct hup_swap *h = data;
	char buf[8];
	int p[2];

	(void)cond;
	ck_assert_int_gt(read(fd, buf, sizeof(buf)), 0);
	close(h->w1);                    /* the old file hangs up, first */
	g_source_destroy(h->src);        /* then the context hears of it */
	g_source_unref(h->src);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(dup2(p[0], h->number), h->number); /* closes r1 */
	close(p[0]);
	h->w2 = p[1];
	h->src = g_unix_fd_source_new(h->number, G_IO_IN);
	g_source_set_callback(h->src, (GSourceFunc)(void (*)(void))on_new_pipe, h, NULL);
	g_source_attach(h->src, h->ctx);
	return G_SOURCE_REMOVE;
}

START_TEST(test_loop_ctx_hang_up_of_a_reused_numbers_old_file_stays_with_it)
{
	struct gw_loop_ctx *c = gw_loop_ctx_new(control);
	struct hup_swap h = { .ctx = gw_loop_ctx_context(c), .w2 = -1 };
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	h.r1 = h.number = p[0];
	h.w1 = p[1];
	h.src = g_unix_fd_source_new(h.r1, G_IO_IN);
	/* not blocked while dispatching: GLib would signal the wakeup first */
	g_source_set_can_recurse(h.src, TRUE);
	g_source_set_callback(h.src, (GSourceFunc)(void (*)(void))on_old_pipe, &h, NULL);
	g_source_attach(h.src, h.ctx);
	ck_assert_int_eq(write(h.w1, "a", 1), 1);
	run_for(300);
	ck_assert_int_ge(h.w2, 0);
	ck_assert_int_eq(write(h.w2, "b", 1), 1);
	ck_assert(run_until(&h.got, 800));
	ck_assert_int_eq(g_atomic_int_get(&h.hups), 0);
	g_source_destroy(h.src);
	g_source_unref(h.src);
	gw_loop_ctx_free(c);
	close(h.number);
	close(h.w2);
}
END_TEST

/* A reader sees its file's datagrams before the context: what it takes
 * never reaches the context's source, what it leaves does; removed, it is
 * not called; it may free the context. */
struct first {
	gint calls;
	bool take;
	struct gw_loop_ctx *free_me;
};

static bool read_first(int fd, void *arg)
{
	struct first *f = arg;
	char buf[64];

	g_atomic_int_inc(&f->calls);
	if (f->free_me) {
		gw_loop_ctx_free(f->free_me);
		f->free_me = NULL;
	}
	if (!f->take)
		return false;
	ck_assert_int_gt(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), 0);
	return true;
}

START_TEST(test_loop_ctx_reader_sees_its_file_first)
{
	struct gw_loop_ctx *c = gw_loop_ctx_new(control);
	struct first f = { .take = true };
	struct rx r = { 0 };
	guint16 port;
	GSource *src;

	struct rx other = { 0 };
	guint16 other_port;
	GSource *other_src;
	int efd;

	/* set before its file is registered (the source comes after) */
	r.sock = udp_socket(&port);
	ck_assert_int_eq(gw_loop_ctx_set_reader(c, g_socket_get_fd(r.sock), read_first, &f), 0);
	src = watch(&r, gw_loop_ctx_context(c));
	/* another socket of the context is not the reader's */
	other.sock = udp_socket(&other_port);
	other_src = watch(&other, gw_loop_ctx_context(c));
	run_for(50);
	send_to(other_port, "other");
	ck_assert(run_until(&other.count, 2000));
	ck_assert_int_eq(g_atomic_int_get(&f.calls), 0);
	/* files that cannot be told apart (eventfds share one inode) are refused */
	efd = eventfd(0, EFD_CLOEXEC);
	ck_assert_int_ge(efd, 0);
	ck_assert_int_eq(gw_loop_ctx_set_reader(c, efd, read_first, &f), ENOTSUP);
	close(efd);
	ck_assert_int_eq(gw_loop_ctx_set_reader(c, g_socket_get_fd(r.sock), read_first, &f), 0);
	send_to(port, "taken");
	run_for(300);
	ck_assert_int_eq(g_atomic_int_get(&f.calls), 1);
	ck_assert_int_eq(g_atomic_int_get(&r.count), 0);
	f.take = false;
	send_to(port, "left");
	ck_assert(run_until(&r.count, 2000));
	ck_assert_str_eq(r.last, "left");
	ck_assert_int_eq(g_atomic_int_get(&f.calls), 2);
	ck_assert_int_eq(gw_loop_ctx_set_reader(c, -1, NULL, NULL), 0);
	send_to(port, "unread");
	run_for(300);
	ck_assert_int_eq(g_atomic_int_get(&f.calls), 2);
	ck_assert_int_eq(g_atomic_int_get(&r.count), 2);
	/* the reader lets the context go */
	f.take = true;
	f.free_me = c;
	ck_assert_int_eq(gw_loop_ctx_set_reader(c, g_socket_get_fd(r.sock), read_first, &f), 0);
	send_to(port, "last");
	run_for(300);
	ck_assert_int_eq(g_atomic_int_get(&f.calls), 3);
	ck_assert_uint_eq(gw_loop_ctx_count(control), 0);
	g_source_destroy(src);
	g_source_unref(src);
	g_source_destroy(other_src);
	g_source_unref(other_src);
	g_object_unref(r.sock);
	g_object_unref(other.sock);
}
END_TEST

/* Freed from inside its own dispatch, and another context due in the same
 * batch freed by the first one's callback. */
struct victim {
	struct gw_loop_ctx *self, *other;
	gint ran, destroyed;
};

static gboolean free_contexts(gpointer data)
{
	struct victim *v = data;

	g_atomic_int_inc(&v->ran);
	gw_loop_ctx_free(v->other);
	gw_loop_ctx_free(v->self);
	return G_SOURCE_CONTINUE; /* the context's end destroys the source */
}

static void on_destroyed(gpointer data)
{
	g_atomic_int_inc(&((struct victim *)data)->destroyed);
}

START_TEST(test_loop_ctx_freed_inside_its_own_dispatch_with_a_peer_due_in_the_same_batch)
{
	struct victim v[2] = { 0 };
	gint later = 0;
	struct gw_loop_ctx *survivor = gw_loop_ctx_new(control);
	GSource *t;

	v[0].self = gw_loop_ctx_new(control);
	v[1].self = gw_loop_ctx_new(control);
	v[0].other = v[1].self;         /* the first to run frees both */
	v[1].other = v[0].self;
	for (int i = 0; i < 2; i++) {
		t = g_timeout_source_new(20);
		g_source_set_callback(t, free_contexts, &v[i], on_destroyed);
		g_source_attach(t, gw_loop_ctx_context(v[i].self));
		g_source_unref(t);
	}
	t = g_timeout_source_new(100);
	g_source_set_callback(t, count_tick, &later, NULL);
	g_source_attach(t, gw_loop_ctx_context(survivor));
	g_source_unref(t);
	while (g_main_context_iteration(NULL, FALSE)) /* deadlines into the heap */
		;
	g_usleep(40000);  /* both due before the next iteration: one batch */
	ck_assert(run_until(&later, 2000));
	ck_assert_int_eq(v[0].ran + v[1].ran, 1);
	ck_assert_int_eq(v[0].destroyed + v[1].destroyed, 2);
	ck_assert_uint_eq(gw_loop_ctx_count(control), 1);
	gw_loop_ctx_free(survivor);
	ck_assert_uint_eq(gw_loop_ctx_count(control), 0);
}
END_TEST

/* Out of fds: the context cannot register its socket, polls it instead
 * (nothing is lost), and registers it once fds are back. */
START_TEST(test_loop_ctx_out_of_fds_polls_then_recovers)
{
	struct gw_loop_ctx *c = gw_loop_ctx_new(control);
	struct gw_loop_ctx_stats st;
	struct rx r = { 0 };
	struct rlimit was, low;
	struct sockaddr_in to = { .sin_family = AF_INET };
	int tx = socket(AF_INET, SOCK_DGRAM, 0), probe;
	GSource *src;
	guint16 port;

	r.sock = udp_socket(&port);
	to.sin_port = htons(port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* no fd number is free below the limit: the dup must fail (EMFILE) */
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &was), 0);
	probe = dup(0);
	close(probe);
	low = was;
	low.rlim_cur = (rlim_t)probe;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	src = watch(&r, gw_loop_ctx_context(c));
	run_for(30);
	gw_loop_ctx_stats(c, &st);
	ck_assert_uint_eq(st.fds, 1); /* only its wakeup fd */
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(sendto(tx, "low", 3, 0, (struct sockaddr *)&to, sizeof(to)), 3);
		run_for(15);
	}
	run_for(100);
	ck_assert_int_eq(r.count, 10);      /* polled: nothing lost */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &was), 0);
	for (int i = 0; i < 150; i++) {     /* it retries once a second */
		run_for(10);
		gw_loop_ctx_stats(c, &st);
		if (st.fds == 2)
			break;
	}
	ck_assert_uint_eq(st.fds, 2);
	ck_assert_int_eq(sendto(tx, "back", 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
	run_for(50);
	ck_assert_int_eq(r.count, 11);
	ck_assert_str_eq(r.last, "back");
	g_source_destroy(src);
	g_source_unref(src);
	gw_loop_ctx_free(c);
	g_object_unref(r.sock);
	close(tx);
}
END_TEST

/* ---- on a media loop's thread ---- */

struct media {
	struct gw_loop *loop;
	struct gw_loop_ctx *c;
	struct rx r;
	GSource *src;
	guint16 port;
	gint ready, gone;
};

static gboolean media_open(gpointer data)
{
	struct media *m = data;

	m->c = gw_loop_ctx_new(m->loop);
	m->r.sock = udp_socket(&m->port);
	m->src = watch(&m->r, gw_loop_ctx_context(m->c));
	g_atomic_int_set(&m->ready, 1);
	return G_SOURCE_REMOVE;
}

static gboolean media_close(gpointer data)
{
	struct media *m = data;

	g_source_destroy(m->src);
	g_source_unref(m->src);
	gw_loop_ctx_free(m->c);
	g_atomic_int_set(&m->gone, 1);
	return G_SOURCE_REMOVE;
}

static bool wait_flag(const gint *flag)
{
	for (int i = 0; i < 500 && !g_atomic_int_get(flag); i++)
		g_usleep(10000);
	return g_atomic_int_get(flag);
}

START_TEST(test_loop_ctx_on_a_media_loop_reads_on_that_thread)
{
	struct media m = { .loop = gw_loop_nth(0) };

	g_main_context_invoke(gw_loop_context(m.loop), media_open, &m);
	ck_assert(wait_flag(&m.ready));
	ck_assert_ptr_nonnull(m.c);
	for (int i = 0; i < 20; i++)
		send_to(m.port, "media");
	for (int i = 0; i < 500 && g_atomic_int_get(&m.r.count) < 20; i++)
		g_usleep(10000);
	ck_assert_int_eq(g_atomic_int_get(&m.r.count), 20);
	ck_assert_ptr_nonnull(m.r.thread);
	ck_assert_ptr_ne(m.r.thread, g_thread_self());
	g_main_context_invoke(gw_loop_context(m.loop), media_close, &m);
	ck_assert(wait_flag(&m.gone));
	ck_assert_uint_eq(gw_loop_ctx_count(m.loop), 0);
	g_object_unref(m.r.sock);
}
END_TEST

/* ---- coarse timers ---- */

/* A source like Sofia-SIP's su_source: it rounds the time to its timer
 * down to the millisecond, so it is ready (timeout 0) for the last
 * fraction of a millisecond before the timer although its dispatch runs
 * the timer only once it is due; and work it queues from its own dispatch
 * signals the context's wakeup fd, as Sofia's messages do. */
struct coarse_src {
	GSource base;
	gint64 due;             /* monotonic µs; 0: no timer */
	int fired;              /* dispatches that ran the timer */
	int idle;               /* dispatches with nothing to do */
	int queued;             /* work items waiting */
	int chain;              /* items still to queue, one per item done */
	int worked;             /* items done */
};

static gboolean coarse_prepare(GSource *src, gint *timeout)
{
	struct coarse_src *t = (struct coarse_src *)src;
	gint64 now = g_get_monotonic_time();

	*timeout = -1;
	if (t->queued)
		*timeout = 0;
	else if (t->due)
		*timeout = t->due > now ? (gint)((t->due - now) / 1000) : 0;
	return *timeout == 0;
}

static gboolean coarse_check(GSource *src)
{
	gint timeout;

	return coarse_prepare(src, &timeout);
}

static gboolean coarse_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
	struct coarse_src *t = (struct coarse_src *)src;
	bool did = false;

	(void)cb;
	(void)data;
	if (t->queued) {
		t->queued--;
		t->worked++;
		did = true;
		if (t->chain > 0) {
			t->chain--;
			t->queued++;
			g_main_context_wakeup(g_source_get_context(src));
		}
	}
	if (t->due && g_get_monotonic_time() >= t->due) {
		t->due = 0;
		t->fired++;
		did = true;
	}
	if (!did)
		t->idle++;
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs coarse_funcs = { .prepare = coarse_prepare, .check = coarse_check,
				     .dispatch = coarse_dispatch };

static struct coarse_src *coarse_attach(struct gw_loop_ctx *c)
{
	GSource *src = g_source_new(&coarse_funcs, sizeof(struct coarse_src));

	g_source_attach(src, gw_loop_ctx_context(c));
	return (struct coarse_src *)src;
}

/* Set @t's timer @us ahead and iterate the control loop, blocking, until
 * it fired (or 2 s); the dispatches that had nothing to do. */
static int run_to_timer(struct coarse_src *t, gint64 us)
{
	gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
	int idle = t->idle;

	t->fired = 0;
	t->due = g_get_monotonic_time() + us;
	g_main_context_wakeup(g_source_get_context(&t->base)); /* query again */
	while (!t->fired && g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, TRUE);
	ck_assert_int_eq(t->fired, 1);
	return t->idle - idle;
}

/* run_to_timer() for a timer 2.95 ms ahead, queried as 2 ms: the loop
 * wakes with it under 1 ms away, unless the wake-up is late enough to
 * find it due (a loaded machine): then again, up to 5 times.  The
 * empty dispatches of the first run that had any. */
static int idle_before_timer(struct coarse_src *t)
{
	int idle = 0;

	for (int i = 0; i < 5 && !idle; i++)
		idle = run_to_timer(t, 2950);
	return idle;
}

START_TEST(test_loop_ctx_coarse_timers_sleep_through_their_last_millisecond)
{
	struct gw_loop_ctx *plain = gw_loop_ctx_new(control);
	struct gw_loop_ctx *coarse = gw_loop_ctx_new(control);
	struct coarse_src *p, *t;
	struct gw_loop_ctx_stats st;
	int idle;

	ck_assert_ptr_nonnull(plain);
	ck_assert_ptr_nonnull(coarse);
	gw_loop_ctx_set_coarse_timers(coarse);
	p = coarse_attach(plain);
	t = coarse_attach(coarse);

	/* As it is, the loop spins on such a source until its timer is due
	 * (the behaviour the option exists for: this shows the source is
	 * the kind it is about) ... */
	ck_assert_int_ge(idle_before_timer(p), 10);

	/* ... with coarse timers it sleeps through the last millisecond:
	 * one dispatch finds the timer rounded down, and the next, 1 ms
	 * later, finds it due (two if that wake-up came early). */
	ck_assert_int_le(idle_before_timer(t), 2);
	gw_loop_ctx_stats(coarse, &st);
	ck_assert_uint_ge(st.held, (uint64_t)t->idle);

	/* Work queued from a dispatch is not held: the wakeup fd brings each
	 * item on the loop's next iteration, without waiting a millisecond
	 * (non-blocking iterations, a few µs each). */
	idle = t->idle;
	t->queued = 1;
	t->chain = 4;
	g_main_context_wakeup(g_source_get_context(&t->base));
	for (int i = 0; i < 12 && t->worked < 5; i++)
		g_main_context_iteration(NULL, FALSE);
	ck_assert_int_eq(t->worked, 5);
	ck_assert_int_eq(t->idle, idle);

	g_source_destroy(&p->base);
	g_source_unref(&p->base);
	g_source_destroy(&t->base);
	g_source_unref(&t->base);
	gw_loop_ctx_free(plain);
	gw_loop_ctx_free(coarse);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loop_ctx");
	TCase *tc = tcase_create("driven");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_loop_ctx_timers_of_many_contexts_fire_in_deadline_order);
	tcase_add_test(tc, test_loop_ctx_socket_and_repeating_timer_run_from_the_loop);
	tcase_add_test(tc, test_loop_ctx_source_attached_by_another_thread_runs_on_the_loop);
	tcase_add_test(tc, test_loop_ctx_fd_number_reused_inside_a_dispatch_keeps_working);
	tcase_add_test(tc, test_loop_ctx_hang_up_of_a_reused_numbers_old_file_stays_with_it);
	tcase_add_test(tc, test_loop_ctx_reader_sees_its_file_first);
	tcase_add_test(tc, test_loop_ctx_freed_inside_its_own_dispatch_with_a_peer_due_in_the_same_batch);
	tcase_add_test(tc, test_loop_ctx_out_of_fds_polls_then_recovers);
	tcase_add_test(tc, test_loop_ctx_on_a_media_loop_reads_on_that_thread);
	tcase_add_test(tc, test_loop_ctx_coarse_timers_sleep_through_their_last_millisecond);
	suite_add_tcase(s, tc);
	return gw_check_run(s);
}
