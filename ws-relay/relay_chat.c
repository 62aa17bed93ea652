/*
 * relay_chat.c — typing and resume. See relay_chat.h.
 *
 * The JSON of a message is the API's (doc_to_json() plus `senderInfo`
 * {id, name}), as common/chat/chat.c publishes it, so a client handles a
 * resumed message and a live one the same way.
 */
#include "relay_chat.h"

#include <json-c/json.h>
#include <string.h>

#include "account/account.h"
#include "chat/chat.h"
#include "core/doc.h"
#include "core/log.h"
#include "relay_redis.h"
#include "relay_session.h"
#include "relay_store.h"
#include "account/role.h"

#define RESUME_CONVERSATIONS_MAX 100   /* a customer's conversations scanned */
#define SENDER_CACHE 16

static const int json_flags = JSON_C_TO_STRING_PLAIN |
	JSON_C_TO_STRING_NOSLASHESCAPE;

static bool is_staff(const struct session *s)
{
	return s->role_level >= ROLE_STAFF;
}

/* The ids of the conversation's participants, as a JSON array. */
static json_object *participant_ids(const bson_t *conv)
{
	json_object *a = json_object_new_array();
	bson_iter_t it, arr, p;
	char hex[25];

	if (!bson_iter_init_find(&it, conv, "participants") ||
	    !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr))
		return a;
	while (bson_iter_next(&arr))
		if (BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_iter_recurse(&arr, &p) &&
		    bson_iter_find(&p, "user") && BSON_ITER_HOLDS_OID(&p)) {
			bson_oid_to_string(bson_iter_oid(&p), hex);
			json_object_array_add(a, json_object_new_string(hex));
		}
	return a;
}

/* The conversation `id` into `out` (initialised when this returns OK) if
 * the socket's user may access it. */
static enum relay_chat_result load_conversation(store_t *st,
						const struct session *s,
						const bson_oid_t *id, bson_t *out,
						store_error_t *err)
{
	bson_t *filter = BCON_NEW("_id", BCON_OID(id));
	bool found = false, ok;

	ok = store_find_one(st, "conversations", filter, NULL, out, &found, err);
	bson_destroy(filter);
	if (!ok)
		return RELAY_CHAT_UNAVAILABLE;
	if (!found || !chat_can_access(out, &s->user_oid, s->role_level,
				       is_staff(s))) {
		bson_destroy(out);
		return RELAY_CHAT_NOT_FOUND;
	}
	return RELAY_CHAT_OK;
}

enum relay_chat_result relay_chat_typing(struct session *s,
					 const char *conversation_id,
					 bool active)
{
	store_error_t err = { 0 };
	enum relay_chat_result rc;
	bson_oid_t id;
	uint64_t started;
	store_t *st;
	bson_t conv;
	json_object *ev;
	const char *type, *text;

	if (!doc_parse_oid(conversation_id, &id))
		return RELAY_CHAT_NOT_FOUND;
	if (!(st = relay_store_begin(&started)))
		return RELAY_CHAT_UNAVAILABLE;
	rc = load_conversation(st, s, &id, &conv, &err);
	relay_store_done(started, "typing: conversation",
			 rc == RELAY_CHAT_UNAVAILABLE ? &err : NULL);
	if (rc != RELAY_CHAT_OK)
		return rc;

	type = doc_str(&conv, "type");
	ev = json_object_new_object();
	json_object_object_add(ev, "type", json_object_new_string("typing"));
	json_object_object_add(ev, "conversationId",
			       json_object_new_string(conversation_id));
	json_object_object_add(ev, "userId", json_object_new_string(s->user_id));
	json_object_object_add(ev, "name", json_object_new_string(s->name));
	json_object_object_add(ev, "active", json_object_new_boolean(active));
	json_object_object_add(ev, "participants", participant_ids(&conv));
	json_object_object_add(ev, "audience", type && strcmp(type, "direct") == 0
			       ? json_object_new_string("staff") : NULL);
	bson_destroy(&conv);
	text = json_object_to_json_string_ext(ev, json_flags);
	rc = relay_redis_publish(text, strlen(text)) ? RELAY_CHAT_OK
		: RELAY_CHAT_UNAVAILABLE;
	json_object_put(ev);
	return rc;
}

/* ---- resume --------------------------------------------------------- */

/* {id, name} of senders, memoised over one resume (as chat.c's). */
struct sender_cache {
	bson_oid_t ids[SENDER_CACHE];
	json_object *briefs[SENDER_CACHE];
	int n;
};

static json_object *sender_brief(store_t *st, struct sender_cache *sc,
				 const bson_oid_t *id)
{
	json_object *o;
	store_error_t err = { 0 };
	bson_t user;
	bool found = false;
	const char *name;
	char hex[25];

	for (int i = 0; i < sc->n; i++)
		if (bson_oid_equal(&sc->ids[i], id))
			return json_object_get(sc->briefs[i]);
	o = json_object_new_object();
	bson_oid_to_string(id, hex);
	json_object_object_add(o, "id", json_object_new_string(hex));
	if (account_find_by_id(st, id, &user, &found, &err)) {
		if (found) {
			name = doc_str(&user, "givenName");
			if (!name || !*name)
				name = doc_str(&user, "username");
			json_object_object_add(o, "name", json_object_new_string(
						       name && *name ? name : "Client"));
		}
		bson_destroy(&user);
	}
	if (!found) {
		json_object_object_add(o, "name", json_object_new_string("Compte supprimé"));
		json_object_object_add(o, "deleted", json_object_new_boolean(true));
	}
	if (sc->n < SENDER_CACHE) {
		bson_oid_copy(id, &sc->ids[sc->n]);
		sc->briefs[sc->n++] = json_object_get(o);
	}
	return o;
}

static void sender_cache_free(struct sender_cache *sc)
{
	for (int i = 0; i < sc->n; i++)
		json_object_put(sc->briefs[i]);
	sc->n = 0;
}

/* The conversations a resume reads, as the members of a BSON array `in`:
 * the one the message is in, and for a customer (without an explicit
 * conversation) every other one of theirs. */
static bool resume_conversations(store_t *st, const struct session *s,
				 const bson_oid_t *conv_id, bool only_this,
				 bson_t *in, store_error_t *err)
{
	store_find_opts_t opts = { .limit = RESUME_CONVERSATIONS_MAX };
	bson_t *filter, *proj;
	store_cursor_t *cur;
	const bson_t *doc;
	bson_oid_t id;
	int n = 0;
	char key[16];
	bool ok;

	BSON_APPEND_OID(in, "0", conv_id);
	if (only_this || is_staff(s))
		return true;
	filter = BCON_NEW("participants.user", BCON_OID(&s->user_oid),
			  "isDeleted", "{", "$ne", BCON_BOOL(true), "}");
	proj = BCON_NEW("_id", BCON_INT32(1));
	opts.projection = proj;
	cur = store_find(st, "conversations", filter, &opts, err);
	bson_destroy(filter);
	bson_destroy(proj);
	if (!cur)
		return false;
	while (store_cursor_next(cur, &doc))
		if (doc_oid(doc, "_id", &id) && !bson_oid_equal(&id, conv_id)) {
			snprintf(key, sizeof key, "%d", ++n);
			BSON_APPEND_OID(in, key, &id);
		}
	ok = !store_cursor_error(cur, err);
	store_cursor_destroy(cur);
	return ok;
}

static void send_json(struct session *s, json_object *o)
{
	const char *text = json_object_to_json_string_ext(o, json_flags);
	struct outq_msg *m = outq_msg_new(text, strlen(text));

	if (m) {
		session_send(s, m);
		outq_msg_unref(m);
	}
}

/* Queues the messages of the cursor as `message` frames while the socket's
 * queue has room (half of what is left, so live events still fit). */
static void resume_send(struct session *s, store_t *st, store_cursor_t *cur,
			long max_msgs, char last_hex[25], long *count,
			bool *more)
{
	size_t max_bytes = (RELAY_OUTQ_MAX_BYTES - s->out.bytes) / 2, bytes = 0;
	struct sender_cache sc = { .n = 0 };
	const bson_t *doc;

	while (store_cursor_next(cur, &doc)) {
		json_object *frame, *msg;
		bson_oid_t id, conv, sender;
		const char *text;
		char conv_hex[25];
		struct outq_msg *m;
		size_t len;
		bool sent;

		if (*count >= max_msgs) {
			*more = true;
			break;
		}
		msg = doc_to_json(doc);
		if (doc_oid(doc, "sender", &sender))
			json_object_object_add(msg, "senderInfo",
					       sender_brief(st, &sc, &sender));
		frame = json_object_new_object();
		json_object_object_add(frame, "type", json_object_new_string("message"));
		json_object_object_add(frame, "message", msg);
		conv_hex[0] = '\0';
		if (doc_oid(doc, "conversation", &conv))
			bson_oid_to_string(&conv, conv_hex);
		json_object_object_add(frame, "conversationId",
				       json_object_new_string(conv_hex));
		text = json_object_to_json_string_ext(frame, json_flags);
		len = strlen(text);
		if (bytes + len > max_bytes) {
			json_object_put(frame);
			*more = true;
			break;
		}
		m = outq_msg_new(text, len);
		json_object_put(frame);
		sent = m && session_send(s, m);
		outq_msg_unref(m);
		if (!sent) {
			*more = true;
			break;
		}
		bytes += len;
		(*count)++;
		if (doc_oid(doc, "_id", &id))
			bson_oid_to_string(&id, last_hex);
	}
	sender_cache_free(&sc);
}

enum relay_chat_result relay_chat_resume(struct session *s,
					 const char *last_message_id,
					 const char *conversation_id)
{
	enum relay_chat_result rc = RELAY_CHAT_NOT_FOUND;
	store_error_t err = { 0 };
	bson_oid_t last, conv_id, wanted;
	bson_t *filter = NULL, msg, conv, in = BSON_INITIALIZER, *sort = NULL;
	store_cursor_t *cur = NULL;
	bool found = false, more = false;
	store_find_opts_t opts = { 0 };
	long room, count = 0;
	char last_hex[25];
	uint64_t started;
	json_object *o;
	int64_t at;
	store_t *st;

	if (!doc_parse_oid(last_message_id, &last) ||
	    (conversation_id && !doc_parse_oid(conversation_id, &wanted))) {
		bson_destroy(&in);
		return RELAY_CHAT_NOT_FOUND;
	}
	if (!(st = relay_store_begin(&started))) {
		bson_destroy(&in);
		return RELAY_CHAT_UNAVAILABLE;
	}
	filter = BCON_NEW("_id", BCON_OID(&last));
	if (!store_find_one(st, "messages", filter, NULL, &msg, &found, &err)) {
		rc = RELAY_CHAT_UNAVAILABLE;
		goto done;
	}
	if (!found || !doc_oid(&msg, "conversation", &conv_id) ||
	    (conversation_id && !bson_oid_equal(&wanted, &conv_id))) {
		bson_destroy(&msg);
		goto done;
	}
	at = doc_date(&msg, "createdAt", 0);
	bson_destroy(&msg);
	rc = load_conversation(st, s, &conv_id, &conv, &err);
	if (rc != RELAY_CHAT_OK)
		goto done;
	bson_destroy(&conv);
	if (!resume_conversations(st, s, &conv_id, conversation_id != NULL,
				  &in, &err)) {
		rc = RELAY_CHAT_UNAVAILABLE;
		goto done;
	}

	/* conversation ∈ in, not deleted, (createdAt, _id) > (at, last) */
	bson_destroy(filter);
	filter = BCON_NEW("conversation", "{", "$in", BCON_ARRAY(&in), "}",
			  "isDeleted", "{", "$ne", BCON_BOOL(true), "}",
			  "$or", "[",
			  "{", "createdAt", "{", "$gt", BCON_DATE_TIME(at), "}", "}",
			  "{", "createdAt", BCON_DATE_TIME(at),
			  "_id", "{", "$gt", BCON_OID(&last), "}", "}",
			  "]");
	sort = BCON_NEW("createdAt", BCON_INT32(1), "_id", BCON_INT32(1));
	room = RELAY_OUTQ_MAX_MSGS - (long)s->out.count - 16;
	if (room > RELAY_RESUME_MAX)
		room = RELAY_RESUME_MAX;
	if (room < 0)
		room = 0;
	opts.sort = sort;
	opts.limit = room + 1;
	cur = store_find(st, "messages", filter, &opts, &err);
	if (!cur) {
		rc = RELAY_CHAT_UNAVAILABLE;
		goto done;
	}
	snprintf(last_hex, sizeof last_hex, "%s", last_message_id);
	resume_send(s, st, cur, room, last_hex, &count, &more);
	if (store_cursor_error(cur, &err)) {
		rc = RELAY_CHAT_UNAVAILABLE;
		goto done;
	}
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("resumed"));
	json_object_object_add(o, "count", json_object_new_int64(count));
	json_object_object_add(o, "hasMore", json_object_new_boolean(more));
	json_object_object_add(o, "lastMessageId", json_object_new_string(last_hex));
	send_json(s, o);
	json_object_put(o);
	log_debug("socket %lu resumed after %s: %ld messages%s", s->id,
		  last_message_id, count, more ? ", more left" : "");
done:
	relay_store_done(started, "resume", rc == RELAY_CHAT_UNAVAILABLE ? &err : NULL);
	if (cur)
		store_cursor_destroy(cur);
	if (filter)
		bson_destroy(filter);
	if (sort)
		bson_destroy(sort);
	bson_destroy(&in);
	return rc;
}
