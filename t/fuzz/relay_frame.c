/*
 * relay_frame.c — fuzz target: the relay's handler of a client's frame
 * (frame_handle(), ws-relay/relay_frame.c) and the store reads behind
 * typing and resume (relay_chat.c), without a socket: session_send(),
 * session_close() and the Redis publisher are replaced here by functions
 * that check what they are given, and the store is an embedded one in a
 * temporary directory (fuzz.h).
 *
 * Input: the first byte chooses the socket's user (even: the seeded
 * client, odd: the staff member); the rest is one text message.
 *
 * Checks: every frame the socket gets is a JSON object of a known type
 * (an error with a known code); a `message` frame, or a published typing
 * event, is only of a conversation that user may see (the client never
 * gets the staff's group conversation), its id spelt as the store spells
 * it (clients compare ids as strings); every frame gets an answer (a
 * reply, or the typing event published); nothing closes the socket.
 */
#include "fuzz.h"
#include "relay_event.h"
#include "relay_frame.h"
#include "relay_redis.h"
#include "relay_revoke.h"
#include "relay_session.h"
#include "relay_users.h"
#include "account/role.h"
#include "web/route.h"

struct relay relay;
static unsigned replies, published;
static const struct session *current;

/* The conversation a user may see here: the client only FUZZ_CONV,
 * the staff member both. */
static void check_conversation(const char *id, const char *what)
{
	fuzz_check(strcmp(id, FUZZ_CONV) == 0 ||
		   (current->role == SESSION_ROLE_STAFF && strcmp(id, FUZZ_OTHER_CONV) == 0),
		   "%s of conversation %.40s reached user %s", what, id, current->user_id);
}

bool session_send(struct session *s, struct outq_msg *m)
{
	json_object *o = fuzz_json_parse((const char *)OUTQ_PAYLOAD(m), m->len), *v;
	const char *type;

	fuzz_check(s == current, "a frame to another socket");
	fuzz_check(o && json_object_is_type(o, json_type_object) &&
		   json_object_object_get_ex(o, "type", &v) &&
		   json_object_is_type(v, json_type_string),
		   "a frame that is not a typed JSON object: %.*s", (int)m->len,
		   (const char *)OUTQ_PAYLOAD(m));
	fuzz_check(fuzz_utf8_ok(OUTQ_PAYLOAD(m), m->len), "a frame that is not UTF-8");
	type = json_object_get_string(v);
	if (strcmp(type, "error") == 0) {
		const char *code = json_object_object_get_ex(o, "code", &v)
			? json_object_get_string(v) : "";
		fuzz_check(!strcmp(code, "bad_frame") || !strcmp(code, "not_found") ||
			   !strcmp(code, "unavailable"), "an error frame with code %s", code);
		fuzz_check(strcmp(code, "unavailable") != 0, "the store was unavailable");
	} else if (strcmp(type, "message") == 0) {
		fuzz_check(json_object_object_get_ex(o, "conversationId", &v),
			   "a message frame without its conversation");
		check_conversation(json_object_get_string(v), "a message");
	} else if (strcmp(type, "resumed") == 0) {
		const char *last = json_object_object_get_ex(o, "lastMessageId", &v)
			? json_object_get_string(v) : "";
		fuzz_check(strlen(last) == 24 && strspn(last, "0123456789abcdef") == 24,
			   "resumed after \"%.40s\", not an id as the store spells it", last);
	} else {
		fuzz_check(!strcmp(type, "pong"), "a frame of type %s", type);
	}
	json_object_put(o);
	replies++;
	return true;
}

void session_close(struct session *s, uint16_t code, const char *reason)
{
	fuzz_fail("the socket was closed (%u %s)", code, reason);
}

bool relay_redis_publish(const char *payload, size_t len)
{
	json_object *o = fuzz_json_parse(payload, len), *v;

	fuzz_check(o && json_object_object_get_ex(o, "type", &v) &&
		   strcmp(json_object_get_string(v), "typing") == 0,
		   "published %.*s", (int)len, payload);
	fuzz_check(json_object_object_get_ex(o, "conversationId", &v),
		   "a typing event without its conversation");
	check_conversation(json_object_get_string(v), "a typing event");
	fuzz_check(json_object_object_get_ex(o, "userId", &v) &&
		   strcmp(json_object_get_string(v), current->user_id) == 0,
		   "a typing event in another user's name");
	json_object_put(o);
	published++;
	return true;
}

struct relay_user *relay_users_find(const char *id)
{
	return NULL;
}

void relay_revoke_user(const char *user_id)
{
	fuzz_fail("a frame revoked the sockets of %s", user_id);
}

static struct session client, staff;

static void session_as(struct session *s, const char *id, int role)
{
	memset(s, 0, sizeof *s);
	snprintf(s->user_id, sizeof s->user_id, "%s", id);
	bson_oid_init_from_string(&s->user_oid, id);
	s->role_level = role;
	s->role = role >= ROLE_STAFF ? SESSION_ROLE_STAFF : SESSION_ROLE_CLIENT;
	snprintf(s->name, sizeof s->name, "%s", role >= ROLE_STAFF ? "Barista" : "Zoé");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_config();
	fuzz_seed_store();
	session_as(&client, FUZZ_CLIENT, ROLE_CLIENT);
	session_as(&staff, FUZZ_STAFF, ROLE_STAFF);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session *s;

	if (size == 0 || size - 1 > RELAY_MAX_FRAME)
		return 0;
	s = data[0] & 1 ? &staff : &client;
	current = s;
	replies = published = 0;
	fuzz_check(frame_handle(s, (const char *)data + 1, size - 1) == 0,
		   "frame_handle() asked to close");
	fuzz_check(replies + published > 0, "a frame got no answer");
	fuzz_check(s->out.count == 0 && !s->close_code, "the socket's state changed");
	return 0;
}
