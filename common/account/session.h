/*
 * session.h — sessions (SPEC §4): a `sessions` document {sessionToken:
 * SHA-256 hex of the cookie's random token, userId, expires (30 days),
 * createdAt, ip, userAgent}. The cookie that carries the raw token is
 * api.h's.
 *
 * Every way a session ends goes through session_delete(), which tells the
 * relays (a "revoke" event on CONN_EVENTS_CHANNEL, docs/relay.md) so that
 * they close the sockets opened with it.
 */
#ifndef CWC_SESSION_H
#define CWC_SESSION_H

#include "store/store.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#define SESSION_TTL_S (30 * 24 * 3600)

/* Creates a session for `user_id`; `raw_out` receives the cookie value. */
bool session_create(store_t *st, const bson_oid_t *user_id,
		    const char *ip, const char *user_agent, int64_t now,
		    char raw_out[65], store_error_t *err);

/* Ends every session of `user_id` but the one whose sessionToken is
 * `except_hash` (NULL: all). Like every way a session ends (logout, a
 * login replacing a session), it publishes {"type":"revoke","userId":…}
 * on CONN_EVENTS_CHANNEL: the relays close the sockets of the ended
 * sessions. */
bool session_end_all(store_t *st, const bson_oid_t *user_id,
		     const char *except_hash, store_error_t *err);

/* Deletes the sessions `filter` selects, all of user `user_id`, then
 * publishes the revoke event (only logged when Redis is down: a relay
 * checks every socket again when its subscription comes back). */
bool session_delete(store_t *st, const bson_oid_t *user_id,
		    const bson_t *filter, store_error_t *err);

#endif
