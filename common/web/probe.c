/*
 * probe.c — GET /api/health of one instance over FastCGI (or /health of a
 * relay over HTTP), with a deadline. See probe.h.
 *
 * The FastCGI side is the smallest responder exchange: BEGIN_REQUEST,
 * the params of a GET, empty PARAMS and STDIN records, then STDOUT records
 * until END_REQUEST. The CGI response's `Status:` header (none: 200) is
 * the answer.
 */
#include "web/probe.h"
#include "core/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define FCGI_BEGIN_REQUEST 1
#define FCGI_END_REQUEST 3
#define FCGI_PARAMS 4
#define FCGI_STDIN 5
#define FCGI_STDOUT 6
#define FCGI_RESPONDER 1
#define PROBE_MAX_RESPONSE 65536

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for `events` on `fd` until `deadline` (ms); false on timeout. */
static bool wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		struct pollfd pf = { .fd = fd, .events = events };
		int n;

		if (left <= 0)
			return false;
		n = poll(&pf, 1, (int)left);
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR)
			return false;
	}
}

/* A non-blocking socket connected to `addr` (a unix path, or host:port),
 * or -1 with `detail` filled. */
static int connect_to(const char *addr, long long deadline, char *detail, size_t dlen)
{
	int fd = -1, rc;

	if (addr[0] == '/' || addr[0] == '.') {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		if (!buf_fmt(sun.sun_path, sizeof sun.sun_path, "%s", addr)) {
			(void)buf_fmt(detail, dlen, "socket path too long");
			return -1;
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
			(void)buf_fmt(detail, dlen, "connect %s: %s", addr, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		return fd;
	}

	char host[256];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;

	if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof host) {
		(void)buf_fmt(detail, dlen, "%s is not a socket path or host:port", addr);
		return -1;
	}
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	rc = getaddrinfo(host, colon + 1, &hints, &ai);
	if (rc != 0) {
		(void)buf_fmt(detail, dlen, "%s: %s", addr, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		int soerr = errno;
		socklen_t sl = sizeof soerr;

		if (soerr == EINPROGRESS) {
			soerr = ETIMEDOUT;
			if (wait_fd(fd, POLLOUT, deadline))
				getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		}
		if (soerr != 0) {
			(void)buf_fmt(detail, dlen, "connect %s: %s", addr, strerror(soerr));
			close(fd);
			fd = -1;
		}
	} else if (fd < 0) {
		(void)buf_fmt(detail, dlen, "socket: %s", strerror(errno));
	}
	freeaddrinfo(ai);
	return fd;
}

static bool send_all(int fd, const unsigned char *p, size_t n, long long deadline)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
			return false;
		} else if (!wait_fd(fd, POLLOUT, deadline)) {
			return false;
		}
	}
	return true;
}

/* Reads up to `n` bytes (exactly `n` when `exact`); returns how many were
 * read, -1 on an error or the deadline. */
static ssize_t recv_some(int fd, unsigned char *p, size_t n, bool exact, long long deadline)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, p + got, n - got, 0);

		if (r > 0) {
			got += (size_t)r;
			if (!exact)
				break;
		} else if (r == 0) {
			break;
		} else if (errno != EAGAIN && errno != EINTR) {
			return -1;
		} else if (!wait_fd(fd, POLLIN, deadline)) {
			return -1;
		}
	}
	return (ssize_t)got;
}

/* Appends one FastCGI record header for request 1. */
static void record_header(unsigned char *h, int type, size_t len)
{
	h[0] = 1;
	h[1] = (unsigned char)type;
	h[2] = 0;
	h[3] = 1;
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)len;
	h[6] = 0;
	h[7] = 0;
}

/* Appends a name-value pair (both < 128 bytes) to `p`; returns the new end. */
static unsigned char *param(unsigned char *p, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);

	*p++ = (unsigned char)nl;
	*p++ = (unsigned char)vl;
	memcpy(p, name, nl);
	memcpy(p + nl, value, vl);
	return p + nl + vl;
}

/* The status of a CGI response head in `out` (Status: header, else 200),
 * or -1 when there is no complete head. */
static int cgi_status(const char *out)
{
	const char *end = strstr(out, "\r\n\r\n");
	const char *line = out;

	if (!end)
		return -1;
	while (line < end) {
		if (strncasecmp(line, "Status:", 7) == 0)
			return atoi(line + 7);
		line = strstr(line, "\r\n") + 2;
	}
	return 200;
}

static void body_detail(const char *out, char *detail, size_t dlen)
{
	const char *body = strstr(out, "\r\n\r\n");

	(void)buf_fmt(detail, dlen, "%.200s", body ? body + 4 : "");
}

static int probe_fastcgi(int fd, long long deadline, char *detail, size_t dlen)
{
	unsigned char params[400], req[512], *p = params;
	char *out = malloc(PROBE_MAX_RESPONSE + 1);
	size_t out_len = 0, plen;
	int status = -1;

	if (!out) {
		(void)buf_fmt(detail, dlen, "out of memory");
		return -1;
	}
	p = param(p, "REQUEST_METHOD", "GET");
	p = param(p, "REQUEST_URI", "/api/health");
	p = param(p, "SCRIPT_NAME", "/api/health");
	p = param(p, "QUERY_STRING", "");
	p = param(p, "SERVER_PROTOCOL", "HTTP/1.1");
	p = param(p, "REMOTE_ADDR", "127.0.0.1");
	p = param(p, "HTTP_HOST", "localhost");
	p = param(p, "HTTP_USER_AGENT", "cwc-probe");
	plen = (size_t)(p - params);
	/* BEGIN_REQUEST (responder; the connection closes when done), the
	 * params, their end, and an empty STDIN */
	record_header(req, FCGI_BEGIN_REQUEST, 8);
	memset(req + 8, 0, 8);
	req[9] = FCGI_RESPONDER;
	record_header(req + 16, FCGI_PARAMS, plen);
	memcpy(req + 24, params, plen);
	p = req + 24 + plen;
	record_header(p, FCGI_PARAMS, 0);
	record_header(p + 8, FCGI_STDIN, 0);
	p += 16;
	if (!send_all(fd, req, (size_t)(p - req), deadline)) {
		(void)buf_fmt(detail, dlen, "sending the request: %s", strerror(errno));
		goto done;
	}
	for (;;) {
		unsigned char h[8], skip[256];
		size_t len, pad;

		if (recv_some(fd, h, 8, true, deadline) != 8) {
			(void)buf_fmt(detail, dlen, "no complete answer before the deadline or the end");
			goto done;
		}
		len = ((size_t)h[4] << 8) | h[5];
		pad = h[6];
		if (h[1] == FCGI_STDOUT && out_len + len <= PROBE_MAX_RESPONSE) {
			if (recv_some(fd, (unsigned char *)out + out_len, len, true, deadline) != (ssize_t)len)
				break;
			out_len += len;
		} else {
			size_t left = len;
			while (left > 0) {
				size_t n = left < sizeof skip ? left : sizeof skip;
				if (recv_some(fd, skip, n, true, deadline) != (ssize_t)n)
					goto short_read;
				left -= n;
			}
		}
		if (pad && recv_some(fd, skip, pad, true, deadline) != (ssize_t)pad)
			break;
		if (h[1] == FCGI_END_REQUEST) {
			out[out_len] = '\0';
			status = cgi_status(out);
			if (status < 0)
				(void)buf_fmt(detail, dlen, "the answer has no CGI head");
			else
				body_detail(out, detail, dlen);
			goto done;
		}
	}
short_read:
	(void)buf_fmt(detail, dlen, "the connection ended inside a record");
done:
	free(out);
	return status;
}

static int probe_http(int fd, const char *host, const char *path, long long deadline,
		      char *detail, size_t dlen)
{
	char req[512], *out = malloc(PROBE_MAX_RESPONSE + 1);
	size_t out_len = 0;
	ssize_t n;
	int status = -1;

	if (!out) {
		(void)buf_fmt(detail, dlen, "out of memory");
		return -1;
	}
	if (!buf_fmt(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: cwc-probe\r\n\r\n",
		     path, host)) {
		(void)buf_fmt(detail, dlen, "URL too long");
		goto done;
	}
	if (!send_all(fd, (const unsigned char *)req, strlen(req), deadline)) {
		(void)buf_fmt(detail, dlen, "sending the request: %s", strerror(errno));
		goto done;
	}
	while (out_len < PROBE_MAX_RESPONSE &&
	       (n = recv_some(fd, (unsigned char *)out + out_len, PROBE_MAX_RESPONSE - out_len,
			      false, deadline)) > 0)
		out_len += (size_t)n;
	out[out_len] = '\0';
	if (strncmp(out, "HTTP/1.", 7) != 0 || out_len < 12 || !strstr(out, "\r\n\r\n")) {
		(void)buf_fmt(detail, dlen, "no complete HTTP answer");
		goto done;
	}
	status = atoi(out + 9);
	body_detail(out, detail, dlen);
done:
	free(out);
	return status;
}

int probe_health(const char *addr, int timeout_ms, char *detail, size_t dlen)
{
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 1);
	char hostport[300];
	const char *path = "/health";
	int fd, status;
	bool http = strncmp(addr, "http://", 7) == 0;

	detail[0] = '\0';
	if (http) {
		const char *hp = addr + 7, *slash = strchr(hp, '/');
		size_t len = slash ? (size_t)(slash - hp) : strlen(hp);

		if (len == 0 || len >= sizeof hostport) {
			(void)buf_fmt(detail, dlen, "%s: no host:port", addr);
			return -1;
		}
		memcpy(hostport, hp, len);
		hostport[len] = '\0';
		if (slash)
			path = slash;
		addr = hostport;
	}
	fd = connect_to(addr, deadline, detail, dlen);
	if (fd < 0)
		return -1;
	status = http ? probe_http(fd, hostport, path, deadline, detail, dlen)
		      : probe_fastcgi(fd, deadline, detail, dlen);
	close(fd);
	return status;
}
