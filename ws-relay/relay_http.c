/*
 * relay_http.c — health and errors over plain HTTP. See relay_http.h.
 *
 * Bodies are small and built here from values of our own, so snprintf is
 * enough (nothing that needs escaping goes in).
 */
#include "relay_http.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "relay.h"
#include "relay_redis.h"

static void http_timestamp(char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, len - n, ".%03dZ", (int)(ts.tv_nsec / 1000000) % 1000);
}

static void reply_health(struct relay_http_reply *r)
{
	bool redis_up = relay_redis_is_up();
	const char *error = relay.shutting_down ? "shutting down"
		: !redis_up ? "redis unavailable" : NULL;
	char now[40], *body = r->body + LWS_PRE;
	size_t room = sizeof r->body - LWS_PRE;
	int n;

	http_timestamp(now, sizeof now);
	r->status = error ? 503 : 200;
	n = snprintf(body, room, "{\"status\":\"%s\",\"service\":\"relay\","
		     "\"redis\":\"%s\",\"connections\":%u,\"timestamp\":\"%s\"%s%s%s}",
		     error ? "unhealthy" : "healthy", redis_up ? "up" : "down",
		     relay.sessions.count, now, error ? ",\"error\":\"" : "",
		     error ? error : "", error ? "\"" : "");
	r->len = n < 0 ? 0 : (size_t)n < room ? (size_t)n : room - 1;
}

static void reply_error(struct relay_http_reply *r, int status,
			const char *code, const char *message)
{
	size_t room = sizeof r->body - LWS_PRE;
	int n;

	r->status = status;
	n = snprintf(r->body + LWS_PRE, room,
		     "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code,
		     message);
	r->len = n < 0 ? 0 : (size_t)n < room ? (size_t)n : room - 1;
}

static void reply_upgrade_required(struct relay_http_reply *r)
{
	reply_error(r, 426, "upgrade_required",
		    "/ws is a WebSocket endpoint");
}

static void http_log(const struct relay_http_reply *r)
{
	log_access(r->method, r->path, r->status,
		   (double)(uv_hrtime() - r->started) / 1e6);
}

static const struct http_route {
	const char *path;
	void (*reply)(struct relay_http_reply *r);
} http_routes[] = {
	{ "/health", reply_health },
	{ "/api/health", reply_health },
	{ "/ws", reply_upgrade_required },
};

int relay_http_serve(struct lws *wsi, struct relay_http_reply *r,
		     const char *path, size_t len)
{
	unsigned char hdr[LWS_PRE + 384], *start = hdr + LWS_PRE, *p = start,
		      *end = hdr + sizeof hdr - 1;
	char *uri;
	int uri_len, method = lws_http_get_uri_and_method(wsi, &uri, &uri_len);
	const struct http_route *route = NULL;

	memset(r, 0, sizeof *r);
	for (size_t i = 0; i < sizeof http_routes / sizeof *http_routes; i++)
		if (strlen(http_routes[i].path) == len &&
		    memcmp(http_routes[i].path, path, len) == 0)
			route = &http_routes[i];

	if (!route)
		reply_error(r, 404, "not_found", "no such path");
	else if (method != LWSHUMETH_GET && method != LWSHUMETH_HEAD) {
		reply_error(r, 405, "method_not_allowed", "use GET");
		r->close_after = true;  /* a request body may follow: not read */
	} else {
		route->reply(r);
		r->head = method == LWSHUMETH_HEAD;
	}

	r->started = uv_hrtime();
	r->method = method == LWSHUMETH_GET ? "GET" : method == LWSHUMETH_HEAD
		? "HEAD" : method == LWSHUMETH_POST ? "POST" : "OTHER";
	snprintf(r->path, sizeof r->path, "%.*s", (int)(len < 100 ? len : 100),
		 path);

	if (lws_add_http_common_headers(wsi, (unsigned)r->status,
					"application/json", r->len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
					(const unsigned char *)"no-store", 8, &p, end) ||
	    (r->status == 405 &&
	     lws_add_http_header_by_name(wsi, (const unsigned char *)"allow:",
					 (const unsigned char *)"GET, HEAD", 9,
					 &p, end)) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return 1;
	if (r->head) {
		http_log(r);
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	lws_callback_on_writable(wsi);
	return 0;
}

int relay_http_write(struct lws *wsi, struct relay_http_reply *r)
{
	if (lws_write(wsi, (unsigned char *)r->body + LWS_PRE, r->len,
		      LWS_WRITE_HTTP_FINAL) != (int)r->len)
		return 1;
	http_log(r);
	if (r->close_after)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

void relay_http_refuse(struct lws *wsi, int status, const char *code,
		       const char *message)
{
	unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start,
		      *end = buf + sizeof buf - 1;
	char body[400];
	int n = snprintf(body, sizeof body,
			 "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}",
			 code, message);

	if (n < 0 || (size_t)n >= sizeof body)
		n = 0;
	/* lws' status line would say HTTP/1.0 here (it has not recorded the
	 * request's version on the upgrade path): ours says 1.1 */
	p += snprintf((char *)p, 64, "HTTP/1.1 %d %s\r\nserver: cwc-relay\r\n",
		      status, status == 401 ? "Unauthorized" : status == 403
		      ? "Forbidden" : status == 404 ? "Not Found"
		      : status == 429 ? "Too Many Requests" : "Service Unavailable");
	if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
					 (const unsigned char *)"application/json",
					 16, &p, end) ||
	    lws_add_http_header_content_length(wsi, (lws_filepos_t)n, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
					(const unsigned char *)"no-store", 8, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
					(const unsigned char *)"close", 5, &p, end) ||
	    lws_finalize_http_header(wsi, &p, end) ||
	    end - p < n)
		return;
	memcpy(p, body, (size_t)n);
	p += n;
	if (lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_HEADERS) < 0)
		log_debug("could not write the refusal of an upgrade");
}
