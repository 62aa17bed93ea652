/*
 * health.c — see health.h.
 */
#include "web/route.h"
#include "web/health.h"
#include "conn/conn.h"

#include <stdio.h>
#include <sys/time.h>
#include <time.h>

void health_timestamp(char *out, size_t len)
{
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000));
}

void health_get(struct http_req *req)
{
	store_error_t err = { 0 };
	store_t *st = conn_store(&err);
	bool store_ok = st && store_ping(st, &err);
	redisReply *pong = conn_redis("PING");
	bool redis_ok = pong != NULL;
	json_object *o = json_object_new_object();
	char ts[40];

	if (pong)
		freeReplyObject(pong);
	health_timestamp(ts, sizeof ts);
	json_object_object_add(o, "status", json_object_new_string(
		store_ok && redis_ok ? "healthy" : "unhealthy"));
	json_object_object_add(o, "timestamp", json_object_new_string(ts));
	json_object_object_add(o, "service", json_object_new_string(req->app->service));
	if (!store_ok || !redis_ok)
		json_object_object_add(o, "error", json_object_new_string(
			!store_ok && !redis_ok ? "store and redis unreachable"
			: !store_ok ? "store unreachable" : "redis unreachable"));
	json_object *checks = json_object_new_object();
	json_object_object_add(checks, "store", json_object_new_string(store_ok ? "up" : "down"));
	json_object_object_add(checks, "redis", json_object_new_string(redis_ok ? "up" : "down"));
	json_object_object_add(o, "checks", checks);
	http_send_json(req, store_ok && redis_ok ? 200 : 503, o);
}
