/*
 * conn.h — the connections of one process: the store and Redis.
 *
 * Opened lazily on first use, so always after fork() (PLATFORM.md: never
 * use a libmongoc pool inherited from a parent). A connection that fails
 * is dropped and opened again on the next use, so an app recovers by
 * itself when Redis or MongoDB comes back.
 */
#ifndef CWC_CONN_H
#define CWC_CONN_H

#include "store/store.h"

#include <hiredis/hiredis.h>
#include <stdbool.h>

/* The Redis channel of every event for the relays (chat messages, reads,
 * typing, session revocations): the apps PUBLISH, every relay SUBSCRIBEs. */
#define CONN_EVENTS_CHANNEL "cwc:events"

/* The process's store, or NULL (the reason logged, and in `err` when
 * non-NULL) when it cannot be opened right now. Owned here. */
store_t *conn_store(store_error_t *err);

/* Runs one Redis command — once more on a fresh connection when the old
 * one turns out broken; NULL when Redis is unreachable (retried on the
 * next call) or answers an error. The caller frees the reply with
 * freeReplyObject(). */
redisReply *conn_redis(const char *fmt, ...);

/* PUBLISH `message` on `channel`; false when Redis is unreachable. */
bool conn_publish(const char *channel, const char *message);

/* The back office's badge counts that can change behind a staff member's
 * back (docs/relay.md "badge"): a new or changed booking, customer
 * message, contact mail or quote request. */
#define CONN_BADGE_BOOKINGS "bookings"
#define CONN_BADGE_MESSAGES "messages"
#define CONN_BADGE_CONTACT "contact"
#define CONN_BADGE_QUOTES "quotes"

/* Tells every staff socket that the count `what` (a CONN_BADGE_*) changed:
 * publishes {"type":"badge","badge":what,"audience":"staff"}; the page
 * reads the counts again from the admin app. Best effort: false (logged)
 * when Redis is unreachable — the counts are right after a reload. */
bool conn_publish_badge(const char *what);

/* Opens the store once, pings it and creates the declared indexes; used by
 * a program's start-up check. On failure writes the reason to `errbuf`. */
bool conn_store_check(char *errbuf, size_t errlen);

/* Closes everything (at worker exit). */
void conn_close(void);

#endif
