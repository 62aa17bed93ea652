/*
 * relay_redis.h — the relay's two Redis connections (hiredis async, libuv).
 *
 * The subscriber SUBSCRIBEs to CONN_EVENTS_CHANNEL and hands each published
 * payload to relay_event_broadcast(). The publisher, a second connection
 * (a subscribed one can only (un)subscribe), PUBLISHes what the relay
 * itself emits: typing and presence events, which every relay — this one
 * included — then receives like any other event.
 *
 * Each connection reconnects by itself: when it fails or drops, the
 * context is forgotten and a new one is tried after 100 ms, doubling up to
 * 2 s; an attempt not confirmed (SUBSCRIBE answered, or PING answered)
 * within 5 s is abandoned. An outage is logged once when it starts and
 * once when it ends. Events published while the subscriber was away are
 * lost to this relay: when it is subscribed again after an outage, every
 * open socket is sent {"type":"resync"} so that clients catch up
 * (docs/relay.md).
 */
#ifndef CWC_RELAY_REDIS_H
#define CWC_RELAY_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

/* Reads `url` (redis://[[user]:password@]host[:port][/db]). False, with
 * `err` filled, when it is unusable. */
bool relay_redis_init(const char *url, char *err, size_t errlen);

/* Starts both connections on `loop` (after relay_redis_init()). An
 * unreachable Redis is not an error: it is retried. */
void relay_redis_start(uv_loop_t *loop);

/* Disconnects and stops retrying; the handles close with the loop. */
void relay_redis_stop(void);

/* True while subscribed (the health endpoint's "redis":"up"). */
bool relay_redis_is_up(void);

/* PUBLISHes `len` bytes on CONN_EVENTS_CHANNEL through the publisher. False
 * (nothing sent) while the publisher is not connected: what the relay
 * publishes is ephemeral (typing, presence) and is not kept for later. */
bool relay_redis_publish(const char *payload, size_t len);

#endif
