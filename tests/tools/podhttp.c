/* The "container" of a data-plane sandbox (hack/dataplane.sh): a tiny HTTP server that
 * answers every request with the pod's name, cluster and IP, so tests can count who served. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A request is read only to be drained, so a small bound suffices; a client that sends
 * more, or nothing within the timeout, gets its answer (or is dropped) all the same. */
#define PH_REQ_MAX 4096
#define PH_READ_TIMEOUT_MS 2000

static int ph_usage(void)
{
	fputs("usage: podhttp PORT POD CLUSTER IP\n", stderr);
	return 2;
}

/* ph_drain: reads until the end of the request head, the bound, EOF or the timeout. */
static void ph_drain(int fd)
{
	char buf[PH_REQ_MAX + 1];
	size_t got = 0;
	while (got < PH_REQ_MAX) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, PH_READ_TIMEOUT_MS) <= 0)
			return;
		ssize_t n = read(fd, buf + got, PH_REQ_MAX - got);
		if (n <= 0)
			return;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return;
	}
}

static void ph_write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static int ph_listen(const char *port_s)
{
	char *end;
	long port = strtol(port_s, &end, 10);
	if (*port_s == '\0' || *end != '\0' || port < 1 || port > 65535) {
		fprintf(stderr, "podhttp: bad port '%s'\n", port_s);
		return -1;
	}
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port),
				  .sin_addr.s_addr = htonl(INADDR_ANY) };
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 64) != 0) {
		fprintf(stderr, "podhttp: listen on :%ld: %s\n", port, strerror(errno));
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	if (argc != 5)
		return ph_usage();
	/* The answer never changes: build it once. Names are DNS labels, so 512 bytes hold it. */
	char body[512], resp[768];
	int blen = snprintf(body, sizeof body, "pod=%s cluster=%s ip=%s\n", argv[2], argv[3], argv[4]);
	if (blen < 0 || (size_t)blen >= sizeof body) {
		fputs("podhttp: pod, cluster or IP too long\n", stderr);
		return 2;
	}
	int rlen = snprintf(resp, sizeof resp,
			    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
			    "Connection: close\r\n\r\n%s", blen, body);
	if (rlen < 0 || (size_t)rlen >= sizeof resp)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	int lfd = ph_listen(argv[1]);
	if (lfd < 0)
		return 1;
	for (;;) {
		int c = accept(lfd, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "podhttp: accept: %s\n", strerror(errno));
			return 1;
		}
		ph_drain(c);
		ph_write_all(c, resp, (size_t)rlen);
		close(c);
	}
}
