/* loop_probe.c — see loop_probe.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include "gw_check.h"
#include "loop_probe.h"

struct seen seen;

void seen_reset(void)
{
	g_mutex_clear(&seen.lock);
	g_cond_clear(&seen.cond);
	memset(&seen, 0, sizeof(seen));
	g_mutex_init(&seen.lock);
	g_cond_init(&seen.cond);
}

gboolean seen_wait(gboolean (*done)(void))
{
	gint64 until = g_get_monotonic_time() + PROBE_WAIT_US;
	gboolean ok;

	g_mutex_lock(&seen.lock);
	while (!(ok = done()) && g_cond_wait_until(&seen.cond, &seen.lock, until))
		;
	ok = done();
	g_mutex_unlock(&seen.lock);
	return ok;
}

gboolean got_posted(void)
{
	return seen.posted_ran;
}

gboolean got_tid(void)
{
	return seen.tid != 0;
}

gboolean got_tick(void)
{
	return seen.last_due != 0;
}

static void seen_datagram(const char *text)
{
	g_mutex_lock(&seen.lock);
	seen.got_at = g_get_monotonic_time();
	if (!seen.datagrams++)
		g_strlcpy(seen.first, text, sizeof(seen.first));
	g_cond_broadcast(&seen.cond);
	g_mutex_unlock(&seen.lock);
}

gboolean on_readable(GSocket *sock, GIOCondition cond, gpointer arg)
{
	char buf[64];
	gssize n;

	while ((n = g_socket_receive(sock, buf, sizeof(buf) - 1, NULL, NULL)) >= 0) {
		buf[n] = '\0';
		seen_datagram(buf);
	}
	return G_SOURCE_CONTINUE;
}

void on_watch_readable(int fd, void *arg)
{
	char buf[64];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) >= 0) {
		buf[n] = '\0';
		seen_datagram(buf);
	}
}

gboolean on_tid(gpointer arg)
{
	g_mutex_lock(&seen.lock);
	seen.tid = (pid_t)syscall(SYS_gettid);
	g_cond_broadcast(&seen.cond);
	g_mutex_unlock(&seen.lock);
	return G_SOURCE_REMOVE;
}

void on_posted(void *obj)
{
	g_mutex_lock(&seen.lock);
	seen.posted_ran = TRUE;
	seen.posted_at = g_get_monotonic_time();
	g_cond_broadcast(&seen.cond);
	g_mutex_unlock(&seen.lock);
}

void on_clock_tick(void *arg, gint64 due)
{
	g_mutex_lock(&seen.lock);
	seen.last_due = due;
	g_cond_broadcast(&seen.cond);
	g_mutex_unlock(&seen.lock);
}

/* A non-blocking UDP socket bound to 127.0.0.1; its port in @port. */
static GSocket *bound_socket(guint16 *port)
{
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *sa = g_inet_socket_address_new(lo, 0), *bound;
	GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);

	ck_assert_ptr_nonnull(s);
	ck_assert(g_socket_bind(s, sa, FALSE, NULL));
	g_socket_set_blocking(s, FALSE);
	bound = g_socket_get_local_address(s, NULL);
	*port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	g_object_unref(bound);
	g_object_unref(sa);
	g_object_unref(lo);
	return s;
}

GSocket *watched_socket(GMainContext *ctx, guint16 *port, GSourceFunc fn)
{
	GSocket *s = bound_socket(port);
	GSource *src = g_socket_create_source(s, G_IO_IN, NULL);

	g_source_set_callback(src, fn, NULL, NULL);
	g_source_attach(src, ctx);
	g_source_unref(src);
	return s;
}

GSocket *epoll_socket(struct gw_loop *loop, guint16 *port, gw_loop_watch_h *fn,
		      struct gw_loop_watch **w)
{
	GSocket *s = bound_socket(port);

	*w = gw_loop_watch_add(loop, g_socket_get_fd(s), fn, NULL);
	ck_assert_ptr_nonnull(*w);
	return s;
}

void send_to(guint16 port, const char *text)
{
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *to = g_inet_socket_address_new(lo, port);
	GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);

	ck_assert_int_eq(g_socket_send_to(s, to, text, strlen(text), NULL, NULL), (gssize)strlen(text));
	g_object_unref(s);
	g_object_unref(to);
	g_object_unref(lo);
}

long blocked_in(pid_t tid)
{
	char path[64], text[256];
	FILE *f;
	size_t n;

	g_snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	if (!(f = fopen(path, "r")))
		return -2;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	if (!n)
		return -2;
	if (!strncmp(text, "running", 7))
		return -1;
	return strtol(text, NULL, 10);
}

gboolean is_poll(long nr)
{
#ifdef SYS_poll
	return nr == SYS_poll;
#else
	return FALSE;
#endif
}

gboolean is_nap(long nr)
{
	gboolean yes = nr == SYS_clock_nanosleep || nr == SYS_ppoll;
#ifdef SYS_nanosleep
	yes |= nr == SYS_nanosleep;
#endif
	return yes;
}

gboolean sample_idle(struct gw_loop *l, int want, gboolean want_poll, int *in_poll, int *in_nap)
{
	gint64 until;
	pid_t tid;

#ifndef SYS_poll
	printf("loop_probe: no poll(2) here (GLib waits in ppoll too): where the loop waits is not "
	       "checked\n");
	return FALSE;
#endif
	g_main_context_invoke(gw_loop_context(l), on_tid, NULL);
	ck_assert(seen_wait(got_tid));
	tid = seen.tid;
	if (blocked_in(tid) == -2) {
		printf("loop_probe: /proc/self/task/%d/syscall unreadable (%s): where the loop waits "
		       "is not checked\n", (int)tid, g_strerror(errno));
		return FALSE;
	}
	*in_poll = *in_nap = 0;
	until = g_get_monotonic_time() + PROBE_WAIT_US;
	while ((want_poll ? *in_poll : *in_nap) < want && g_get_monotonic_time() < until) {
		long nr = blocked_in(tid);

		*in_poll += is_poll(nr);
		*in_nap += is_nap(nr);
		g_usleep(700); /* not a divisor of the 1 ms pace: samples every phase */
	}
	return TRUE;
}
