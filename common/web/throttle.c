/*
 * throttle.c — Redis fixed-window counters. See throttle.h.
 */
#include "web/throttle.h"
#include "core/config.h"
#include "core/log.h"
#include "conn/conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* INCR, and the window as TTL when the key is new (or lost its TTL):
 * atomic, so no counter can outlive its window. Returns {count, ttl}. */
static const char incr_script[] =
	"local c = redis.call('INCR', KEYS[1]) "
	"local t = redis.call('TTL', KEYS[1]) "
	"if t < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) t = tonumber(ARGV[1]) end "
	"return {c, t}";

/* Returns {count, ttl} without counting. */
static const char peek_script[] =
	"local c = tonumber(redis.call('GET', KEYS[1]) or '0') "
	"return {c, redis.call('TTL', KEYS[1])}";

static const struct {
	const char *name, *env, *def;
} actions[] = {
	[THROTTLE_LOGIN] = { "login", "CWC_THROTTLE_LOGIN", "5/900" },
	[THROTTLE_FORGOT] = { "forgot", "CWC_THROTTLE_FORGOT", "5/3600" },
	[THROTTLE_RESEND] = { "resend", "CWC_THROTTLE_RESEND", "5/3600" },
	[THROTTLE_REGISTER] = { "register", "CWC_THROTTLE_REGISTER", "10/3600" },
};

bool throttle_parse_limit(const char *s, struct throttle_limit *out)
{
	char *end;
	long max, window;

	if (!s)
		return false;
	errno = 0;
	max = strtol(s, &end, 10);
	if (errno || end == s || *end != '/' || max <= 0 || max > 1000000)
		return false;
	s = end + 1;
	window = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || window <= 0 || window > 366L * 86400)
		return false;
	out->max = max;
	out->window = window;
	return true;
}

struct throttle_limit throttle_limit_of(enum throttle_action action,
					enum throttle_scope scope)
{
	struct throttle_limit l;
	char ipvar[64];
	const char *v = NULL;

	if (scope == THROTTLE_IP) {
		snprintf(ipvar, sizeof ipvar, "%s_IP", actions[action].env);
		v = cfg_get(ipvar, NULL);
	}
	if (!v)
		v = cfg_get(actions[action].env, NULL);
	if (v && throttle_parse_limit(v, &l))
		return l;
	if (v)
		log_warn("%s: \"%s\" is not COUNT/SECONDS; using %s",
			 actions[action].env, v, actions[action].def);
	throttle_parse_limit(actions[action].def, &l);
	return l;
}

static void key_of(char *out, size_t outlen, enum throttle_action action,
		   enum throttle_scope scope, const char *key)
{
	snprintf(out, outlen, "cwc:throttle:%s:%s:%.300s", actions[action].name,
		 scope == THROTTLE_IP ? "ip" : "acct", key ? key : "");
}

/* Runs `script` on the key; false when Redis cannot answer (fail open). */
static bool run(const char *script, const char *key, long window,
		long *count, long *ttl)
{
	redisReply *r = conn_redis("EVAL %s 1 %s %ld", script, key, window);
	bool ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		  r->element[0]->type == REDIS_REPLY_INTEGER &&
		  r->element[1]->type == REDIS_REPLY_INTEGER;

	if (ok) {
		*count = (long)r->element[0]->integer;
		*ttl = (long)r->element[1]->integer;
	} else {
		log_warn("throttle: redis unavailable, %s not limited", key);
	}
	if (r)
		freeReplyObject(r);
	return ok;
}

static long retry_of(long ttl, long window)
{
	return ttl > 0 ? ttl : ttl == -1 ? window : 1;
}

bool throttle_check(enum throttle_action action, enum throttle_scope scope,
		    const char *key, long *retry_after)
{
	struct throttle_limit l = throttle_limit_of(action, scope);
	char k[400];
	long count, ttl;

	key_of(k, sizeof k, action, scope, key);
	if (!run(peek_script, k, l.window, &count, &ttl) || count < l.max)
		return true;
	*retry_after = retry_of(ttl, l.window);
	return false;
}

void throttle_hit(enum throttle_action action, enum throttle_scope scope,
		  const char *key)
{
	struct throttle_limit l = throttle_limit_of(action, scope);
	char k[400];
	long count, ttl;

	key_of(k, sizeof k, action, scope, key);
	run(incr_script, k, l.window, &count, &ttl);
}

bool throttle_take(enum throttle_action action, enum throttle_scope scope,
		   const char *key, long *retry_after)
{
	struct throttle_limit l = throttle_limit_of(action, scope);
	char k[400];
	long count, ttl;

	key_of(k, sizeof k, action, scope, key);
	if (!run(incr_script, k, l.window, &count, &ttl) || count <= l.max)
		return true;
	*retry_after = retry_of(ttl, l.window);
	return false;
}

void throttle_clear(enum throttle_action action, enum throttle_scope scope,
		    const char *key)
{
	char k[400];
	redisReply *r;

	key_of(k, sizeof k, action, scope, key);
	r = conn_redis("DEL %s", k);
	if (r)
		freeReplyObject(r);
}

void throttle_refuse(struct http_req *req, long retry_after)
{
	http_add_headerf(req, "Retry-After", "%ld", retry_after);
	http_error(req, 429, "too_many_requests",
		   "Too many attempts. Please try again in %ld seconds.",
		   retry_after);
}
