/*
 * conn.c — per-process store and Redis connections. See conn.h.
 */
#include "conn/conn.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static store_t *store;
static redisContext *redis;
static bool redis_unreachable;   /* logged once per outage, not per command */

store_t *conn_store(store_error_t *err)
{
	store_error_t e = { 0 };

	if (store)
		return store;
	store = store_open(cfg->store_uri, &e);
	if (!store) {
		log_error("store unavailable: %s", e.message);
		if (err)
			*err = e;
	}
	return store;
}

/* redis://[user:password@]host[:port][/db] */
static bool parse_redis_url(const char *url, char *host, size_t hostlen,
			    int *port, int *db, char *password, size_t pwlen)
{
	const char *p = url, *at, *end;

	*port = 6379;
	*db = 0;
	password[0] = '\0';
	if (strncmp(p, "redis://", 8) != 0)
		return false;
	p += 8;
	end = p + strcspn(p, "/");
	at = memchr(p, '@', (size_t)(end - p));
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		const char *pw = colon ? colon + 1 : p;
		snprintf(password, pwlen, "%.*s", (int)(at - pw), pw);
		p = at + 1;
	}
	const char *colon = memchr(p, ':', (size_t)(end - p));
	snprintf(host, hostlen, "%.*s", (int)((colon ? colon : end) - p), p);
	if (colon)
		*port = atoi(colon + 1);
	if (*end == '/' && end[1])
		*db = atoi(end + 1);
	return host[0] && *port > 0;
}

static void redis_drop(void)
{
	if (redis)
		redisFree(redis);
	redis = NULL;
}

static bool redis_connect(void)
{
	char host[256], password[256];
	int port, db;
	struct timeval tv = { .tv_sec = 1, .tv_usec = 0 };
	redisReply *r;

	if (redis)
		return true;
	if (!parse_redis_url(cfg->redis_url, host, sizeof host, &port, &db,
			     password, sizeof password)) {
		log_error("REDIS_URL is not a redis:// URL");
		return false;
	}
	redis = redisConnectWithTimeout(host, port, tv);
	if (!redis || redis->err) {
		if (!redis_unreachable)
			log_warn("redis %s:%d unreachable: %s (retried at each use; "
				 "logged again once it is back)", host, port,
				 redis ? redis->errstr : "out of memory");
		redis_unreachable = true;
		redis_drop();
		return false;
	}
	if (redis_unreachable)
		log_info("redis %s:%d reachable again", host, port);
	redis_unreachable = false;
	redisSetTimeout(redis, tv);
	if (password[0]) {
		r = redisCommand(redis, "AUTH %s", password);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			log_error("redis AUTH refused");
			if (r)
				freeReplyObject(r);
			redis_drop();
			return false;
		}
		freeReplyObject(r);
	}
	if (db) {
		r = redisCommand(redis, "SELECT %d", db);
		if (r)
			freeReplyObject(r);
		if (!r) {
			redis_drop();
			return false;
		}
	}
	return true;
}

redisReply *conn_redis(const char *fmt, ...)
{
	va_list ap;
	redisReply *r = NULL;

	/* A connection that broke since the last command (Redis restarted)
	 * fails on first use: reconnect and try once more, so the command is
	 * not lost to a stale connection. */
	for (int attempt = 0; attempt < 2 && !r; attempt++) {
		if (!redis_connect())
			return NULL;
		va_start(ap, fmt);
		r = redisvCommand(redis, fmt, ap);
		va_end(ap);
		if (!r) {
			log_warn("redis: %s", redis->errstr);
			redis_drop();
		}
	}
	if (!r)
		return NULL;
	if (r->type == REDIS_REPLY_ERROR) {
		log_warn("redis error: %s", r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

bool conn_publish(const char *channel, const char *message)
{
	redisReply *r = conn_redis("PUBLISH %s %s", channel, message);

	if (!r)
		return false;
	freeReplyObject(r);
	return true;
}

bool conn_publish_badge(const char *what)
{
	char event[128];

	if (!buf_fmt(event, sizeof event,
		     "{\"type\":\"badge\",\"badge\":\"%s\",\"audience\":\"staff\"}", what))
		return false;
	if (!conn_publish(CONN_EVENTS_CHANNEL, event)) {
		log_warn("badge %s: not published (redis unreachable)", what);
		return false;
	}
	return true;
}

bool conn_store_check(char *errbuf, size_t errlen)
{
	store_error_t e = { 0 };
	store_t *st = conn_store(&e);

	if (!st || !store_ping(st, &e) || !store_ensure_indexes(st, &e)) {
		snprintf(errbuf, errlen, "%s", e.message);
		return false;
	}
	return true;
}

void conn_close(void)
{
	if (store)
		store_close(store);
	store = NULL;
	redis_drop();
}
