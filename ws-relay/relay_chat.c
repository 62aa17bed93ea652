/*
 * relay_chat.c — typing and resume. See relay_chat.h.
 *
 * A resumed message is the API's JSON (doc_to_json() plus `senderInfo`
 * from chat_user_cached(), the function common/chat/api.c uses), and a
 * typing event is addressed by chat_event_address() like the apps'
 * events, so clients handle every event the same way.
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

static const int json_flags = JSON_C_TO_STRING_PLAIN |
	JSON_C_TO_STRING_NOSLASHESCAPE;

static bool is_staff(const struct session *s)
{
	return s->role_level >= ROLE_STAFF;
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
	const char *text;

	if (!doc_parse_oid(conversation_id, &id))
		return RELAY_CHAT_NOT_FOUND;
	if (!(st = relay_store_begin(&started)))
		return RELAY_CHAT_UNAVAILABLE;
	rc = load_conversation(st, s, &id, &conv, &err);
	relay_store_done(started, "typing: conversation",
			 rc == RELAY_CHAT_UNAVAILABLE ? &err : NULL);
	if (rc != RELAY_CHAT_OK)
		return rc;

	ev = json_object_new_object();
	json_object_object_add(ev, "type", json_object_new_string("typing"));
	json_object_object_add(ev, "userId", json_object_new_string(s->user_id));
	json_object_object_add(ev, "name", json_object_new_string(s->name));
	json_object_object_add(ev, "active", json_object_new_boolean(active));
	chat_event_address(ev, &conv);
	bson_destroy(&conv);
	text = json_object_to_json_string_ext(ev, json_flags);
	rc = relay_redis_publish(text, strlen(text)) ? RELAY_CHAT_OK
		: RELAY_CHAT_UNAVAILABLE;
	json_object_put(ev);
	return rc;
}

/* ---- resume --------------------------------------------------------- */

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
	struct chat_user_cache sc = { .n = 0 };
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
					       chat_user_cached(st, &sc, &sender));
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
	chat_user_cache_free(&sc);
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
	bson_oid_to_string(&last, last_hex);
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
