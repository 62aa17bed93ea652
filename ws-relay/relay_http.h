/*
 * relay_http.h — the plain HTTP side of the relay's port.
 *
 *   GET /health, GET /api/health   200 {"status":"healthy","service":"relay",
 *                                  "redis":"up","connections":N,"timestamp":…}
 *                                  503 with "status":"unhealthy" and "error"
 *                                  while Redis is down or the relay stops
 *   GET /ws without an upgrade     426 upgrade_required
 *   anything else                  404 not_found, 405 method_not_allowed
 * and the refusal of a WebSocket upgrade (401, 403, 404, 503), written
 * before the upgrade completes, the connection closed after it.
 *
 * Errors have the shape of SPEC §11. Each request is access-logged.
 */
#ifndef CWC_RELAY_HTTP_H
#define CWC_RELAY_HTTP_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The response being written on one HTTP connection. */
struct relay_http_reply {
	int status;
	bool head;             /* HEAD: headers only */
	bool close_after;      /* close the connection once written */
	const char *method;    /* for the access log */
	char path[104];
	uint64_t started;      /* uv_hrtime() when the request came in */
	size_t len;
	char body[LWS_PRE + 320];
};

/* LWS_CALLBACK_HTTP: answers the request for `path` (`len` bytes).
 * Returns what the callback returns. */
int relay_http_serve(struct lws *wsi, struct relay_http_reply *r,
		     const char *path, size_t len);

/* LWS_CALLBACK_HTTP_WRITEABLE: writes the body. */
int relay_http_write(struct lws *wsi, struct relay_http_reply *r);

/* LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: answers the upgrade request
 * with `status` and {"error":{code,message}} (static strings with nothing
 * to escape) and `Connection: close`; the callback then returns nonzero
 * and lws closes the connection once this is written. */
void relay_http_refuse(struct lws *wsi, int status, const char *code,
		       const char *message);

#endif
