/*
 * probe.h — asks one instance for its health directly, without Caddy:
 * what a rolling update, a compose healthcheck or systemd's start check
 * needs before putting an instance behind Caddy (`cwc-ctl health ADDR`).
 *
 * ADDR is what the instance listens on:
 *   - a unix socket path ("/run/cwc/site-1.sock") or "host:port": a
 *     FastCGI app (site, admin); the request is GET /api/health;
 *   - "http://host:port[/path]": a plain HTTP server (the relay); the
 *     request is GET /path (default /health).
 * One request, one connection, a deadline over the whole exchange.
 */
#ifndef CWC_PROBE_H
#define CWC_PROBE_H

#include <stddef.h>

/* The HTTP status the instance at `addr` answers (200 when healthy), or -1
 * when it cannot be asked (no such socket, refused, timeout, a malformed
 * answer); `detail` (≥ 1 byte) then says why, else holds the start of the
 * response body. Waits at most `timeout_ms`. */
int probe_health(const char *addr, int timeout_ms, char *detail, size_t detail_len);

#endif
