/*
 * relay_redis.c — subscriber and publisher, each with reconnect. See
 * relay_redis.h.
 *
 * hiredis 0.14 rules followed here: check ac->err right after
 * redisAsyncConnect (a refused connect can fail at once); after the
 * connect or disconnect callback hiredis frees the context itself, so we
 * only forget it; never start a new connection from inside a hiredis
 * callback (a uv_timer does it); a subscribed context can only
 * (un)subscribe, so it gets no PING: TCP keepalive finds a dead peer.
 * Each context's `data` points at its struct redis_link.
 */
#include "relay_redis.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "relay.h"
#include "relay_event.h"
#include "relay_redis_uv.h"
#include "relay_revoke.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS   2000
#define CONFIRM_DEADLINE_MS 5000  /* connect + SUBSCRIBE/PING, or start over */

/* One connection and its reconnect state. */
struct redis_link {
	const char *name;        /* "subscriber" | "publisher", for the log */
	bool subscriber;
	redisAsyncContext *ac;   /* NULL while disconnected */
	bool freeing;            /* we are freeing ac: its callbacks are ours */
	uv_timer_t retry;        /* next connection attempt */
	uv_timer_t deadline;     /* the attempt in progress gives up */
	unsigned backoff_ms;
	bool up;                 /* subscribed / answered PING */
	bool ever_up;
	bool outage;             /* a failure was logged; log the recovery */
	uint64_t outage_start;   /* uv_now() */
};

static struct {
	uv_loop_t *loop;
	char host[256];
	int port;
	char user[128];
	char password[256];

	bool timers_init;
	bool stopping;
	struct redis_link sub, pub;
} rs;

static void redis_connect(struct redis_link *l);
static void redis_failed(struct redis_link *l, const char *why);

/* redis://[[user]:password@]host[:port][/db]; the db is irrelevant to
 * pub/sub (channels are server-wide). */
static bool redis_parse_url(const char *url, char *err, size_t errlen)
{
	const char *p, *end, *at, *colon, *host_end;

	rs.port = 6379;
	rs.user[0] = rs.password[0] = '\0';
	if (strncasecmp(url, "redis://", 8) != 0) {
		snprintf(err, errlen, "REDIS_URL must start with redis://");
		return false;
	}
	p = url + 8;
	end = p + strcspn(p, "/?");
	at = memchr(p, '@', (size_t)(end - p));
	if (at) {
		colon = memchr(p, ':', (size_t)(at - p));
		if (colon) {
			snprintf(rs.user, sizeof rs.user, "%.*s", (int)(colon - p), p);
			snprintf(rs.password, sizeof rs.password, "%.*s",
				 (int)(at - colon - 1), colon + 1);
		} else {
			snprintf(rs.password, sizeof rs.password, "%.*s",
				 (int)(at - p), p);
		}
		p = at + 1;
	}
	if (*p == '[') {  /* [IPv6]:port */
		host_end = memchr(p, ']', (size_t)(end - p));
		if (!host_end) {
			snprintf(err, errlen, "REDIS_URL has an unclosed [");
			return false;
		}
		snprintf(rs.host, sizeof rs.host, "%.*s", (int)(host_end - p - 1),
			 p + 1);
		colon = host_end + 1 < end && host_end[1] == ':' ? host_end + 1 : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		host_end = colon ? colon : end;
		snprintf(rs.host, sizeof rs.host, "%.*s", (int)(host_end - p), p);
	}
	if (colon) {
		char *stop;
		long port = strtol(colon + 1, &stop, 10);

		if (stop != end || port <= 0 || port > 65535) {
			snprintf(err, errlen, "REDIS_URL has a bad port");
			return false;
		}
		rs.port = (int)port;
	}
	if (!rs.host[0]) {
		snprintf(err, errlen, "REDIS_URL has no host");
		return false;
	}
	return true;
}

static void redis_on_retry(uv_timer_t *t)
{
	redis_connect(t->data);
}

/* Frees the link's context from outside hiredis' callbacks, without its
 * disconnect callback counting it as a failure. */
static void redis_drop(struct redis_link *l)
{
	redisAsyncContext *ac = l->ac;

	if (!ac)
		return;
	l->ac = NULL;
	l->freeing = true;
	redisAsyncFree(ac);
	l->freeing = false;
}

/* hiredis 0.14 has no connect timeout: a Redis behind a network that drops
 * packets would keep the attempt pending forever. */
static void redis_on_deadline(uv_timer_t *t)
{
	struct redis_link *l = t->data;

	redis_drop(l);
	redis_failed(l, l->subscriber ? "no answer to SUBSCRIBE within 5 s"
		     : "no answer to PING within 5 s");
}

/* A connection attempt failed or a connection dropped: log it if it
 * starts an outage, and try again later. */
static void redis_failed(struct redis_link *l, const char *why)
{
	l->ac = NULL;
	l->up = false;
	uv_timer_stop(&l->deadline);
	if (rs.stopping)
		return;
	if (!l->outage) {
		l->outage = true;
		l->outage_start = uv_now(rs.loop);
		if (l->ever_up)
			log_warn("redis %s:%d lost by the %s (%s); reconnecting",
				 rs.host, rs.port, l->name, why);
		else
			log_warn("redis %s:%d unreachable for the %s (%s); retrying",
				 rs.host, rs.port, l->name, why);
	} else {
		log_debug("redis %s:%d still unavailable to the %s: %s", rs.host,
			  rs.port, l->name, why);
	}
	uv_timer_start(&l->retry, redis_on_retry, l->backoff_ms, 0);
	l->backoff_ms = l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
		: l->backoff_ms * 2;
}

static void redis_on_connect(const redisAsyncContext *ac, int status)
{
	struct redis_link *l = ac->data;

	if (status != REDIS_OK)
		redis_failed(l, ac->errstr[0] ? ac->errstr : "connect failed");
	else
		log_debug("redis %s:%d connected (%s)", rs.host, rs.port, l->name);
}

static void redis_on_disconnect(const redisAsyncContext *ac, int status)
{
	struct redis_link *l = ac->data;

	if (l->freeing)
		return;
	redis_failed(l, status == REDIS_OK ? "connection closed"
		     : ac->errstr[0] ? ac->errstr : "connection error");
}

/* The link is confirmed working (subscribed, or PING answered). */
static void redis_link_up(struct redis_link *l)
{
	l->up = true;
	l->backoff_ms = BACKOFF_FIRST_MS;
	uv_timer_stop(&l->deadline);
	if (l->outage)
		log_info("redis %s:%d back for the %s after %.1f s%s", rs.host,
			 rs.port, l->name,
			 (double)(uv_now(rs.loop) - l->outage_start) / 1000.0,
			 l->subscriber ? "; subscribed to " CONN_EVENTS_CHANNEL : "");
	else if (l->subscriber)
		log_info("redis %s:%d subscribed to %s", rs.host, rs.port,
			 CONN_EVENTS_CHANNEL);
	else
		log_debug("redis %s:%d publisher ready", rs.host, rs.port);
	l->outage = false;
	l->ever_up = true;
	/* whatever was published while we were not subscribed is lost to
	 * this relay's sockets: sessions may have ended meanwhile (checked
	 * first, so that their sockets close before being told to resync),
	 * and the others catch up over resume / HTTP */
	if (l->subscriber && relay.sessions.count) {
		relay_revoke_check_all();
		relay_event_resync();
	}
}

/* Every reply on the subscription: the confirmation, then messages.
 * NULL when the context goes away. */
static void redis_on_channel(redisAsyncContext *ac, void *reply_, void *priv)
{
	redisReply *reply = reply_, *kind;

	if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3)
		return;
	kind = reply->element[0];
	if (kind->type != REDIS_REPLY_STRING)
		return;
	if (strcasecmp(kind->str, "subscribe") == 0)
		redis_link_up(&rs.sub);
	else if (strcasecmp(kind->str, "message") == 0 &&
		 reply->element[2]->type == REDIS_REPLY_STRING)
		relay_event_broadcast(reply->element[2]->str,
				      reply->element[2]->len);
}

static void redis_on_pong(redisAsyncContext *ac, void *reply_, void *priv)
{
	redisReply *reply = reply_;

	if (reply && reply->type != REDIS_REPLY_ERROR)
		redis_link_up(&rs.pub);
}

static void redis_on_auth(redisAsyncContext *ac, void *reply_, void *priv)
{
	redisReply *reply = reply_;
	struct redis_link *l = ac->data;

	if (reply && reply->type == REDIS_REPLY_ERROR && !l->outage)
		log_error("redis %s:%d refused AUTH (%s): %s", rs.host, rs.port,
			  l->name, reply->str);
}

static void redis_on_published(redisAsyncContext *ac, void *reply_, void *priv)
{
	redisReply *reply = reply_;

	if (reply && reply->type == REDIS_REPLY_ERROR)
		log_warn("redis refused a PUBLISH: %s", reply->str);
}

static void redis_connect(struct redis_link *l)
{
	redisAsyncContext *ac;

	if (rs.stopping || l->ac)
		return;
	ac = redisAsyncConnect(rs.host, rs.port);
	if (!ac) {
		redis_failed(l, "out of memory");
		return;
	}
	if (ac->err) {
		char why[128];

		snprintf(why, sizeof why, "%s", ac->errstr);
		redisAsyncFree(ac);
		redis_failed(l, why);
		return;
	}
	if (redis_uv_attach(ac, rs.loop) != REDIS_OK) {
		redisAsyncFree(ac);
		redis_failed(l, "cannot watch the socket");
		return;
	}
	ac->data = l;
	redisEnableKeepAlive(&ac->c);
	redisAsyncSetConnectCallback(ac, redis_on_connect);
	redisAsyncSetDisconnectCallback(ac, redis_on_disconnect);
	if (rs.password[0] && rs.user[0])
		redisAsyncCommand(ac, redis_on_auth, NULL, "AUTH %s %s", rs.user,
				  rs.password);
	else if (rs.password[0])
		redisAsyncCommand(ac, redis_on_auth, NULL, "AUTH %s", rs.password);
	if (l->subscriber)
		redisAsyncCommand(ac, redis_on_channel, NULL, "SUBSCRIBE %s",
				  CONN_EVENTS_CHANNEL);
	else
		redisAsyncCommand(ac, redis_on_pong, NULL, "PING");
	l->ac = ac;
	uv_timer_start(&l->deadline, redis_on_deadline, CONFIRM_DEADLINE_MS, 0);
}

bool relay_redis_init(const char *url, char *err, size_t errlen)
{
	memset(&rs, 0, sizeof rs);
	rs.sub.name = "subscriber";
	rs.sub.subscriber = true;
	rs.pub.name = "publisher";
	return redis_parse_url(url, err, errlen);
}

static void redis_link_start(struct redis_link *l)
{
	l->backoff_ms = BACKOFF_FIRST_MS;
	uv_timer_init(rs.loop, &l->retry);
	uv_timer_init(rs.loop, &l->deadline);
	l->retry.data = l->deadline.data = l;
	redis_connect(l);
}

void relay_redis_start(uv_loop_t *loop)
{
	rs.loop = loop;
	rs.timers_init = true;
	redis_link_start(&rs.sub);
	redis_link_start(&rs.pub);
}

static void redis_link_stop(struct redis_link *l)
{
	if (rs.timers_init) {
		uv_close((uv_handle_t *)&l->retry, NULL);
		uv_close((uv_handle_t *)&l->deadline, NULL);
	}
	redis_drop(l);
	l->up = false;
}

void relay_redis_stop(void)
{
	rs.stopping = true;
	redis_link_stop(&rs.sub);
	redis_link_stop(&rs.pub);
	rs.timers_init = false;
}

bool relay_redis_is_up(void)
{
	return rs.sub.up;
}

bool relay_redis_publish(const char *payload, size_t len)
{
	if (!rs.pub.up || !rs.pub.ac)
		return false;
	return redisAsyncCommand(rs.pub.ac, redis_on_published, NULL,
				 "PUBLISH %s %b", CONN_EVENTS_CHANNEL, payload,
				 len) == REDIS_OK;
}
