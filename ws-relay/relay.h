/*
 * relay.h — the WebSocket relay process (SPEC §1, §6; docs/relay.md).
 *
 * One process, one libuv loop shared by libwebsockets (the HTTP/WebSocket
 * server, a foreign loop) and hiredis (a Redis subscriber and a publisher).
 * An upgrade is authenticated by relay_auth.c (session cookie or ticket)
 * before it completes. Events the apps PUBLISH on Redis come in through
 * relay_redis.c, are parsed once by relay_event.c and handed to the
 * sockets relay_should_deliver() accepts, found through the per-user
 * index of relay_users.c; each socket (relay_session.c) has a bounded
 * outgoing queue (relay_outq.c). Client frames are handled by
 * relay_frame.c, with the store reads they need in relay_chat.c (through
 * relay_store.c); GET /health by relay_http.c. A socket lives as long as
 * the session it was opened with: relay_revoke.c closes it when that
 * session ends.
 *
 * `relay` is the per-process singleton built by main.c.
 */
#ifndef CWC_RELAY_H
#define CWC_RELAY_H

#include "conn/conn.h"

#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* The one Redis channel the apps publish events on. */

/* Limits (docs/relay.md, "Limits"). */
#define RELAY_MAX_FRAME        (16 * 1024)   /* one client message, all fragments */
#define RELAY_MAX_EVENT        (64 * 1024)   /* one Redis event */
#define RELAY_OUTQ_MAX_MSGS    256           /* per socket */
#define RELAY_OUTQ_MAX_BYTES   (1024 * 1024) /* per socket */
#define RELAY_RATE_PER_SEC     20            /* client frames, sustained */
#define RELAY_RATE_BURST       40
#define RELAY_RATE_MAX_DROPPED 40            /* refused frames before close */
#define RELAY_CLOSE_GRACE_MS   5000          /* a socket told to close must be gone by then */
#define RELAY_SWEEP_MS         1000          /* idle and close deadlines checked this often */
#define RELAY_SHUTDOWN_GRACE_MS 2000         /* sockets get this long to say goodbye */
#define RELAY_RESUME_MAX       200           /* messages sent for one resume */

#define RELAY_MAX_USER_SOCKETS 20            /* per user, default (CWC_RELAY_MAX_USER_SOCKETS) */

/* Close codes we send (RFC 6455 §7.4; 4000–4999 are the application's). */
#define RELAY_CLOSE_GOING_AWAY     1001
#define RELAY_CLOSE_PROTOCOL       1002
#define RELAY_CLOSE_UNSUPPORTED    1003
#define RELAY_CLOSE_POLICY         1008
#define RELAY_CLOSE_TOO_BIG        1009
#define RELAY_CLOSE_TRY_AGAIN      1013
#define RELAY_CLOSE_SESSION_ENDED  4001  /* sign in again; do not retry as is */

struct relay {
	uv_loop_t *loop;
	struct lws_context *lws;       /* NULL once destroyed */
	lws_dll2_owner_t sessions;     /* struct session, established WebSockets */
	lws_dll2_owner_t staff;        /* the staff ones among them (session.staff_node) */
	bool shutting_down;
	unsigned long next_session_id;
	unsigned long event_seq;       /* relay_event.c: numbers each delivery round */
	uint64_t ping_ms;              /* silence before a ping (CWC_RELAY_PING_INTERVAL) */
	uint64_t idle_ms;              /* silence before hanging up (CWC_RELAY_IDLE_TIMEOUT) */
	unsigned max_user_sockets;     /* open sockets per user (CWC_RELAY_MAX_USER_SOCKETS) */
};

extern struct relay relay;

#endif
