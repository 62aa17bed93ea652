/*
 * chat.c — the chat's rules and the JSON it shares with the relay: who
 * may read a conversation, how a user is shown next to a message, and how
 * an event is addressed and published. See chat.h. The HTTP API is api.c;
 * the relay (ws-relay/relay_chat.c) links the same functions.
 */
#include "chat/chat.h"
#include "account/account.h"
#include "conn/conn.h"
#include "core/doc.h"

#include <string.h>

bool chat_is_participant(const bson_t *conv, const bson_oid_t *user, int *index)
{
	bson_iter_t it, arr;
	int i = 0;

	if (!bson_iter_init_find(&it, conv, "participants") || !BSON_ITER_HOLDS_ARRAY(&it) ||
	    !bson_iter_recurse(&it, &arr))
		return false;
	while (bson_iter_next(&arr)) {
		bson_iter_t p;
		if (BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_iter_recurse(&arr, &p) &&
		    bson_iter_find(&p, "user") && BSON_ITER_HOLDS_OID(&p) &&
		    bson_oid_equal(bson_iter_oid(&p), user)) {
			if (index)
				*index = i;
			return true;
		}
		i++;
	}
	return false;
}

bool chat_can_access(const bson_t *conv, const bson_oid_t *user, int role, bool staff_view)
{
	const char *type = doc_str(conv, "type");

	if (doc_bool(conv, "isDeleted", false))
		return false;
	if (chat_is_participant(conv, user, NULL))
		return true;
	return staff_view && role >= ROLE_STAFF && type && strcmp(type, "direct") == 0;
}

/* ---- users shown with messages and conversations ------------------- */

json_object *chat_user_brief(store_t *st, const bson_oid_t *id)
{
	bson_t user;
	bool found = false;
	store_error_t err = { 0 };
	json_object *o = json_object_new_object();
	char hex[25];

	bson_oid_to_string(id, hex);
	json_object_object_add(o, "id", json_object_new_string(hex));
	if (!account_find_by_id(st, id, &user, &found, &err) || !found) {
		if (found || err.code == 0)
			bson_destroy(&user);
		json_object_object_add(o, "name", json_object_new_string("Compte supprimé"));
		json_object_object_add(o, "deleted", json_object_new_boolean(true));
		return o;
	}
	const char *name = doc_str(&user, "givenName");
	if (!name || !*name)
		name = doc_str(&user, "username");
	json_object_object_add(o, "name", json_object_new_string(name && *name ? name : "Client"));
	bson_destroy(&user);
	return o;
}

json_object *chat_user_cached(store_t *st, struct chat_user_cache *uc, const bson_oid_t *id)
{
	for (int i = 0; i < uc->n; i++)
		if (bson_oid_equal(&uc->ids[i], id))
			return json_object_get(uc->briefs[i]);
	json_object *b = chat_user_brief(st, id);
	if (uc->n < CHAT_USER_CACHE) {
		bson_oid_copy(id, &uc->ids[uc->n]);
		uc->briefs[uc->n++] = json_object_get(b);
	}
	return b;
}

void chat_user_cache_free(struct chat_user_cache *uc)
{
	for (int i = 0; i < uc->n; i++)
		json_object_put(uc->briefs[i]);
	uc->n = 0;
}

/* ---- events ---------------------------------------------------------- */

/* The ids of the participants as a JSON array. */
static json_object *participant_ids(const bson_t *conv)
{
	json_object *a = json_object_new_array();
	bson_iter_t it, arr;

	if (bson_iter_init_find(&it, conv, "participants") && BSON_ITER_HOLDS_ARRAY(&it) &&
	    bson_iter_recurse(&it, &arr)) {
		while (bson_iter_next(&arr)) {
			bson_iter_t p;
			char hex[25];
			if (BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_iter_recurse(&arr, &p) &&
			    bson_iter_find(&p, "user") && BSON_ITER_HOLDS_OID(&p)) {
				bson_oid_to_string(bson_iter_oid(&p), hex);
				json_object_array_add(a, json_object_new_string(hex));
			}
		}
	}
	return a;
}

void chat_event_address(json_object *event, const bson_t *conv)
{
	const char *type = doc_str(conv, "type");
	bson_oid_t id;
	char hex[25] = "";

	if (doc_oid(conv, "_id", &id))
		bson_oid_to_string(&id, hex);
	json_object_object_add(event, "conversationId", json_object_new_string(hex));
	json_object_object_add(event, "participants", participant_ids(conv));
	json_object_object_add(event, "audience",
			       type && strcmp(type, "direct") == 0 ? json_object_new_string("staff") : NULL);
}

bool chat_publish(const bson_t *conv, json_object *event)
{
	bool ok;

	chat_event_address(event, conv);
	ok = conn_publish(CONN_EVENTS_CHANNEL,
			  json_object_to_json_string_ext(event, JSON_C_TO_STRING_PLAIN));
	json_object_put(event);
	return ok;
}
