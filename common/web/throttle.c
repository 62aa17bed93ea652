/*
 * throttle.c — Redis fixed-window counters, and the per-process table that
 * keeps counting while Redis is down. See throttle.h.
 */
#include "web/throttle.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/log.h"
#include "conn/conn.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	[THROTTLE_GUEST_BOOKING] = { "guest-booking", "CWC_THROTTLE_GUEST_BOOKING", "30/3600" },
	[THROTTLE_CONTACT] = { "contact", "CWC_THROTTLE_CONTACT", "5/3600" },
	[THROTTLE_EVENT] = { "event", "CWC_THROTTLE_EVENT", "10/3600" },
	[THROTTLE_NEWSLETTER] = { "newsletter", "CWC_THROTTLE_NEWSLETTER", "5/3600" },
	[THROTTLE_QUOTE] = { "quote", "CWC_THROTTLE_QUOTE", "5/3600" },
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

/* Runs `script` on the key; false when Redis cannot answer. */
static bool redis_count(const char *script, const char *key, long window,
			long *count, long *ttl)
{
	redisReply *r = conn_redis("EVAL %s 1 %s %ld", script, key, window);
	bool ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		  r->element[0]->type == REDIS_REPLY_INTEGER &&
		  r->element[1]->type == REDIS_REPLY_INTEGER;

	if (ok) {
		*count = (long)r->element[0]->integer;
		*ttl = (long)r->element[1]->integer;
	}
	if (r)
		freeReplyObject(r);
	return ok;
}

/* ---- the fallback: this process's own counters ---------------------------
 *
 * Open addressing over a fixed array: a key lives in one of PROBE slots
 * from its hash. The hash is an HMAC under a random per-process secret, so
 * nobody can aim keys at one neighbourhood to evict a victim's counter.
 * A full neighbourhood gives up its lowest counter (then the one whose
 * window ends first): a flood of one-off keys evicts other one-off keys,
 * not the counter of an account that is being guessed. */

enum { PROBE = 8 };

struct local_slot {
	uint64_t hash;     /* 0 = empty */
	long count;
	time_t ends;       /* CLOCK_MONOTONIC seconds */
};

static struct local_slot local[THROTTLE_LOCAL_SLOTS];
static unsigned char local_secret[32];
static bool local_ready, redis_out;

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static uint64_t local_hash(const char *key)
{
	unsigned char mac[32];
	uint64_t h;

	if (!local_ready) {
		/* created on first use, after fork(): each worker has its own */
		if (!crypto_random(local_secret, sizeof local_secret))
			memset(local_secret, 0x5a, sizeof local_secret);
		local_ready = true;
	}
	crypto_hmac_sha256(local_secret, sizeof local_secret, key, strlen(key), mac);
	memcpy(&h, mac, sizeof h);
	return h ? h : 1;
}

static int slot_rank(const struct local_slot *s, time_t now)
{
	return !s->hash ? 0 : s->ends <= now ? 1 : 2;
}

/* Whether `a` is a better slot to take than `b`: free, else expired, else
 * the lower count, else the window that ends first. */
static bool slot_better_victim(const struct local_slot *a,
			       const struct local_slot *b, time_t now)
{
	int ra = slot_rank(a, now), rb = slot_rank(b, now);

	if (ra != rb)
		return ra < rb;
	if (ra < 2)
		return false;
	if (a->count != b->count)
		return a->count < b->count;
	return a->ends < b->ends;
}

/* The slot holding `key`'s live counter, or NULL; with `claim`, a slot for
 * a new counter (empty, expired, or evicted) otherwise. */
static struct local_slot *local_slot(const char *key, time_t now, bool claim)
{
	uint64_t h = local_hash(key);
	size_t start = (size_t)(h % THROTTLE_LOCAL_SLOTS);
	struct local_slot *victim = NULL;

	for (size_t i = 0; i < PROBE; i++) {
		struct local_slot *s = &local[(start + i) % THROTTLE_LOCAL_SLOTS];
		if (s->hash == h && s->ends > now)
			return s;
		if (!victim || slot_better_victim(s, victim, now))
			victim = s;
	}
	if (!claim)
		return NULL;
	victim->hash = h;
	victim->count = 0;
	victim->ends = 0;
	return victim;
}

static void local_count(bool incr, const char *key, long window,
			long *count, long *ttl)
{
	time_t now = mono_now();
	struct local_slot *s = local_slot(key, now, incr);

	if (!s) {
		*count = 0;
		*ttl = -2;
		return;
	}
	if (incr) {
		if (s->ends <= now) {
			s->count = 0;
			s->ends = now + window;
		}
		s->count++;
	}
	*count = s->count;
	*ttl = (long)(s->ends - now);
}

static void local_forget(const char *key)
{
	struct local_slot *s = local_slot(key, mono_now(), false);

	if (s)
		memset(s, 0, sizeof *s);
}

/* Counts (or peeks at, without `incr`) the key: in Redis, or here while
 * Redis cannot answer. Logs the change of state once each way. */
static void count_key(bool incr, const char *key, long window, long *count,
		      long *ttl)
{
	if (redis_count(incr ? incr_script : peek_script, key, window, count, ttl)) {
		if (redis_out) {
			log_info("throttle: redis is back; its counters are used again");
			memset(local, 0, sizeof local);
			redis_out = false;
		}
		return;
	}
	if (!redis_out) {
		log_warn("throttle: redis unavailable; limiting with this process's "
			 "own counters until it is back");
		redis_out = true;
	}
	local_count(incr, key, window, count, ttl);
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
	count_key(false, k, l.window, &count, &ttl);
	if (count < l.max)
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
	count_key(true, k, l.window, &count, &ttl);
}

bool throttle_take(enum throttle_action action, enum throttle_scope scope,
		   const char *key, long *retry_after)
{
	struct throttle_limit l = throttle_limit_of(action, scope);
	char k[400];
	long count, ttl;

	key_of(k, sizeof k, action, scope, key);
	count_key(true, k, l.window, &count, &ttl);
	if (count <= l.max)
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
	local_forget(k);
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
