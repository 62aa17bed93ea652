/*
 * chat.h — conversations and messages (SPEC §3, §6): who may read what,
 * and the events published on Redis for the relays. The HTTP API that the
 * site (customers) and admin (staff) both serve is api.h; the relay links
 * this module too, so the events' JSON is written once.
 *
 * Who sees what: a customer sees the conversations they take part in (in
 * practice their one direct conversation with the café); staff, on the
 * admin app, see every direct (customer) conversation and the group
 * conversations they take part in. Anything else answers 404, so ids
 * cannot be probed. A staff member who replies to or reads a direct
 * conversation joins its participants.
 *
 * Events: one JSON object per PUBLISH on CONN_EVENTS_CHANNEL:
 *   {"type":"message"|"read", "conversationId":…, "participants":[ids],
 *    "audience":"staff"|null, "message":{…} | "userId":…,"readAt":…}
 * A relay delivers an event to a socket whose user is in `participants`,
 * or who is staff when `audience` is "staff" (docs/relay.md).
 */
#ifndef CWC_CHAT_H
#define CWC_CHAT_H

#include "account/role.h"
#include "store/store.h"

#include <bson/bson.h>
#include <json-c/json.h>
#include <stdbool.h>


/* Whether `user` with `role` may read `conversation`; `staff_view` is true
 * on the admin app (and for the relay's staff sockets). */
bool chat_can_access(const bson_t *conversation, const bson_oid_t *user,
		     int role, bool staff_view);

/* Whether `user` is among the participants of `conv` (its position in
 * *index when non-NULL). */
bool chat_is_participant(const bson_t *conv, const bson_oid_t *user, int *index);

/* {id, name} of a user as messages and conversations show them
 * ("Compte supprimé", deleted: true, for an account that is gone). New
 * object. */
json_object *chat_user_brief(store_t *st, const bson_oid_t *id);

/* chat_user_brief() memoised over one response (the first
 * CHAT_USER_CACHE users). Start with `= { .n = 0 }`, end with
 * chat_user_cache_free(). Returns a new reference. */
#define CHAT_USER_CACHE 64
struct chat_user_cache {
	bson_oid_t ids[CHAT_USER_CACHE];
	json_object *briefs[CHAT_USER_CACHE];
	int n;
};
json_object *chat_user_cached(store_t *st, struct chat_user_cache *uc, const bson_oid_t *id);
void chat_user_cache_free(struct chat_user_cache *uc);

/* Adds what every event about `conv` carries: conversationId,
 * participants (ids) and audience ("staff" for a customer conversation,
 * else null). */
void chat_event_address(json_object *event, const bson_t *conv);

/* Addresses `event` (taking its reference) and PUBLISHes it on
 * CONN_EVENTS_CHANNEL; false when Redis could not take it. */
bool chat_publish(const bson_t *conv, json_object *event);

#endif
