/*
 * relay_frame.c — the client frame types, one handler each, found through
 * a table. See relay_frame.h and docs/relay.md ("Frames").
 */
#include "relay_frame.h"

#include <json-c/json.h>
#include <string.h>

#include "relay_chat.h"
#include "relay_event.h"
#include "relay_session.h"

static const char pong_frame[] = "{\"type\":\"pong\"}";

static void frame_send_text(struct session *s, const char *text, size_t len)
{
	struct outq_msg *m = outq_msg_new(text, len);

	if (!m) {
		session_close(s, RELAY_CLOSE_TRY_AGAIN, "out of memory");
		return;
	}
	session_send(s, m);
	outq_msg_unref(m);
}

void frame_send_error(struct session *s, const char *code,
		      const char *message)
{
	json_object *o = json_object_new_object();
	const char *text;

	json_object_object_add(o, "type", json_object_new_string("error"));
	json_object_object_add(o, "code", json_object_new_string(code));
	json_object_object_add(o, "message", json_object_new_string(message));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	frame_send_text(s, text, strlen(text));
	json_object_put(o);
}

/* The string member `key` of `o`, non-empty, or NULL. */
static const char *frame_string(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !json_object_get_string_len(v))
		return NULL;
	return json_object_get_string(v);
}

static int frame_ping(struct session *s, json_object *frame)
{
	frame_send_text(s, pong_frame, sizeof pong_frame - 1);
	return 0;
}

/* The answer to a frame relay_chat.c could not serve. */
static void frame_chat_error(struct session *s, enum relay_chat_result rc)
{
	if (rc == RELAY_CHAT_NOT_FOUND)
		frame_send_error(s, "not_found", "No such conversation or message.");
	else if (rc == RELAY_CHAT_UNAVAILABLE)
		frame_send_error(s, "unavailable", "The service is temporarily "
				 "unavailable; try again shortly.");
}

/* Published to every relay for the other participants and the staff
 * (relay_chat.h), once the user is known to have access. */
static int frame_typing(struct session *s, json_object *frame)
{
	const char *conversation = frame_string(frame, "conversationId");
	json_object *active;

	if (!conversation ||
	    !json_object_object_get_ex(frame, "active", &active) ||
	    !json_object_is_type(active, json_type_boolean)) {
		frame_send_error(s, "bad_frame", "typing needs \"conversationId\""
				 " (string) and \"active\" (boolean)");
		return 0;
	}
	frame_chat_error(s, relay_chat_typing(s, conversation,
					      json_object_get_boolean(active)));
	return 0;
}

/* What the user missed after lastMessageId (relay_chat.h). */
static int frame_resume(struct session *s, json_object *frame)
{
	const char *last = frame_string(frame, "lastMessageId");
	const char *conversation = frame_string(frame, "conversationId");
	json_object *v;

	if (!last || (!conversation &&
		      json_object_object_get_ex(frame, "conversationId", &v) &&
		      !json_object_is_type(v, json_type_null))) {
		frame_send_error(s, "bad_frame", "resume needs \"lastMessageId\" "
				 "(string) and optionally \"conversationId\" (string)");
		return 0;
	}
	frame_chat_error(s, relay_chat_resume(s, last, conversation));
	return 0;
}

static const struct frame_route {
	const char *type;
	int (*handle)(struct session *s, json_object *frame);
} frame_routes[] = {
	{ "ping", frame_ping },
	{ "typing", frame_typing },
	{ "resume", frame_resume },
};

int frame_handle(struct session *s, const char *text, size_t len)
{
	json_object *frame = relay_json_parse(text, len);
	const char *type;
	int rc = 0;

	if (!frame || !json_object_is_type(frame, json_type_object)) {
		frame_send_error(s, "bad_frame", "a frame is a JSON object");
		goto done;
	}
	type = frame_string(frame, "type");
	if (!type) {
		frame_send_error(s, "bad_frame", "a frame needs a string \"type\"");
		goto done;
	}
	for (size_t i = 0; i < sizeof frame_routes / sizeof *frame_routes; i++)
		if (strcmp(type, frame_routes[i].type) == 0) {
			rc = frame_routes[i].handle(s, frame);
			goto done;
		}
	frame_send_error(s, "bad_frame", "unknown frame type");
done:
	json_object_put(frame);
	return rc;
}
