/* rtp-echo.c — the far end's media for contrib/bench/run: every UDP
 * datagram that reaches ADDR:PORT goes straight back to its sender,
 * unchanged (what sipp -rtp_echo does).  sipp's echo socket keeps the
 * default receive buffer (about 170 datagrams), so on a busy shared core a
 * moment without the CPU loses packets of hundreds of calls at once; this
 * one asks for 4 MiB and moves up to 64 datagrams per system call
 * (recvmmsg / sendmmsg), so the loss the benchmark reports is the
 * gateway's, not the echo's.  sipp still answers the SIP side
 * (contrib/bench/echo-uas.xml points its SDP here).
 *
 * --pace-us N: instead of sleeping on the socket, drain it without waiting
 * every N us (recvmmsg MSG_DONTWAIT until EAGAIN, then nanosleep).  On
 * loopback the sender's sendto wakes a receiver that sleeps on its socket,
 * inside the sender's system call: paced, the daemon's sends find no
 * sleeper here, as on a real network.  Costs up to N us of echo delay.
 *
 * Usage: rtp-echo [--pace-us N] ADDR PORT.  Single-threaded; runs until
 * SIGTERM or SIGINT, then prints {"echoed": N, "send_errors": N} on stdout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define BATCH   64
#define DGRAM   2048
#define RCVBUF  (4 << 20)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int open_socket(const char *addr, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd, size = RCVBUF;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1 || atoi(port) <= 0 || atoi(port) > 65535) {
		fprintf(stderr, "usage: rtp-echo IPV4-ADDR PORT\n");
		return -1;
	}
	sa.sin_port = htons((uint16_t)atoi(port));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "rtp-echo: %s:%s: %s\n", addr, port, strerror(errno));
		return -1;
	}
	/* the kernel caps it at net.core.rmem_max; what we get is enough to
	 * know, not to fail over */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	return fd;
}

/* One echo's buffers: datagrams in, the same datagrams back out. */
struct echo {
	int fd;
	uint8_t buf[BATCH][DGRAM];
	struct sockaddr_in from[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr msg[BATCH];
	unsigned long long echoed, send_errors;
};

/* Receive up to BATCH datagrams (@flags: 0 waits for one, MSG_DONTWAIT
 * never waits) and send each back to its sender; what recvmmsg returned. */
static int echo_batch(struct echo *e, int flags)
{
	int n, sent;

	for (int i = 0; i < BATCH; i++) {
		e->iov[i].iov_base = e->buf[i];
		e->iov[i].iov_len = DGRAM;
		memset(&e->msg[i], 0, sizeof(e->msg[i]));
		e->msg[i].msg_hdr.msg_iov = &e->iov[i];
		e->msg[i].msg_hdr.msg_iovlen = 1;
		e->msg[i].msg_hdr.msg_name = &e->from[i];
		e->msg[i].msg_hdr.msg_namelen = sizeof(e->from[i]);
	}
	n = recvmmsg(e->fd, e->msg, BATCH, flags | MSG_WAITFORONE, NULL);
	if (n <= 0)
		return n;
	/* back to each sender, the same bytes */
	for (int i = 0; i < n; i++)
		e->iov[i].iov_len = e->msg[i].msg_len;
	sent = sendmmsg(e->fd, e->msg, (unsigned)n, 0);
	if (sent > 0)
		e->echoed += (unsigned long long)sent;
	e->send_errors += (unsigned long long)(n - (sent > 0 ? sent : 0));
	return n;
}

/* Sleep on the socket (the default): woken by each sender. */
static void run_blocking(struct echo *e)
{
	while (!stop)
		echo_batch(e, 0);
}

/* Drain the socket every @pace_us without ever waiting on it. */
static void run_paced(struct echo *e, long pace_us)
{
	struct timespec ts = { .tv_sec = pace_us / 1000000, .tv_nsec = (pace_us % 1000000) * 1000 };

	while (!stop) {
		while (!stop && echo_batch(e, MSG_DONTWAIT) > 0)
			;
		nanosleep(&ts, NULL); /* a signal ends it early: stop is checked */
	}
}

/* --pace-us N (0-1000000) in @argv[1..2]: 0 and @*pace, or -1. */
static int parse_pace(char **argv, long *pace)
{
	char *end;
	long v;

	if (strcmp(argv[1], "--pace-us"))
		return -1;
	errno = 0;
	v = strtol(argv[2], &end, 10);
	if (errno || end == argv[2] || *end || v < 0 || v > 1000000)
		return -1;
	*pace = v;
	return 0;
}

int main(int argc, char **argv)
{
	static struct echo e;
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: recvmmsg returns */
	long pace_us = 0;

	if (argc == 5 && parse_pace(argv, &pace_us) == 0) {
		argv += 2;
		argc -= 2;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: rtp-echo [--pace-us 0-1000000] IPV4-ADDR PORT\n");
		return 2;
	}
	if ((e.fd = open_socket(argv[1], argv[2])) < 0)
		return 2;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (pace_us > 0)
		run_paced(&e, pace_us);
	else
		run_blocking(&e);
	printf("{\"echoed\": %llu, \"send_errors\": %llu}\n", e.echoed, e.send_errors);
	close(e.fd);
	return 0;
}
