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
 * Usage: rtp-echo ADDR PORT.  Single-threaded; runs until SIGTERM or
 * SIGINT, then prints {"echoed": N, "send_errors": N} on stdout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(int argc, char **argv)
{
	static uint8_t buf[BATCH][DGRAM];
	struct sockaddr_in from[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr msg[BATCH];
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: recvmmsg returns */
	unsigned long long echoed = 0, send_errors = 0;
	int fd;

	if (argc != 3 || (fd = open_socket(argv[1], argv[2])) < 0)
		return 2;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop) {
		int n, sent;

		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = DGRAM;
			memset(&msg[i], 0, sizeof(msg[i]));
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_name = &from[i];
			msg[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		n = recvmmsg(fd, msg, BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0)
			continue;
		/* back to each sender, the same bytes */
		for (int i = 0; i < n; i++)
			iov[i].iov_len = msg[i].msg_len;
		sent = sendmmsg(fd, msg, (unsigned)n, 0);
		if (sent > 0)
			echoed += (unsigned long long)sent;
		send_errors += (unsigned long long)(n - (sent > 0 ? sent : 0));
	}
	printf("{\"echoed\": %llu, \"send_errors\": %llu}\n", echoed, send_errors);
	close(fd);
	return 0;
}
