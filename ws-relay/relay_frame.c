/*
 * relay_frame.c — the client frame types, one handler each, found through
 * a table. See relay_frame.h and docs/relay.md ("Frames").
 */
#include "relay_frame.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

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

/* The value of the 4 hex digits at `p`, or -1. */
static long frame_hex4(const char *p, const char *end)
{
	long v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)p[i];

		v = v * 16 + (c >= '0' && c <= '9' ? c - '0'
			      : c >= 'a' && c <= 'f' ? c - 'a' + 10
			      : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1000);
	}
	return v < 0 ? -1 : v;
}

/* The string starting at the quote *p: what is wrong with it, or NULL;
 * *p is moved past its closing quote. */
static const char *frame_string_flaw(const char **p, const char *end)
{
	const char *q = *p + 1;
	long cp, low;

	while (q < end && *q != '"') {
		if ((unsigned char)*q < 0x20)
			return "a control character in a string";
		if (*q != '\\') {
			q++;
			continue;
		}
		if (end - q < 2)
			break;
		if (q[1] != 'u') {
			q += 2;
			continue;
		}
		cp = frame_hex4(q + 2, end);
		q += 6;
		if (cp == 0)
			return "a NUL (\\u0000) in a string";
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return "a lone surrogate in a string";
		if (cp >= 0xd800 && cp <= 0xdbff) {
			low = end - q >= 6 && q[0] == '\\' && q[1] == 'u'
				? frame_hex4(q + 2, end) : -1;
			if (low < 0xdc00 || low > 0xdfff)
				return "a lone surrogate in a string";
			q += 6;
		}
	}
	if (q >= end)
		return "an unterminated string";
	*p = q + 1;
	return NULL;
}

/* The number starting at *p: what is wrong with it, or NULL; *p is moved
 * past it. Integers must fit in 64 bits, other numbers in a double. */
static const char *frame_number_flaw(const char **p, const char *end)
{
	const char *q = *p;
	bool integer = true;
	char num[64], *stop;
	double d;

	while (q < end && strchr("+-0123456789.eE", *q)) {
		if (*q == '.' || *q == 'e' || *q == 'E')
			integer = false;
		q++;
	}
	if ((size_t)(q - *p) >= sizeof num)
		return "a number over 63 characters";
	memcpy(num, *p, (size_t)(q - *p));
	num[q - *p] = '\0';
	*p = q;
	errno = 0;
	if (integer) {
		(void)strtoll(num, &stop, 10);
		return errno == ERANGE ? "an integer beyond 64 bits" : NULL;
	}
	d = strtod(num, &stop);
	return errno == ERANGE || !isfinite(d) ? "a number out of range" : NULL;
}

/*
 * What json-c 0.16 accepts but a frame must not hold: it turns a lone
 * surrogate into U+FFFD and keeps a \u0000 that C strings then cut short,
 * reads 1e99999 as infinity, takes NaN and Infinity, and clamps integers
 * beyond 64 bits. NULL when `text` (already parsed by json-c, so only
 * strings, numbers and words are left to look at) is clean, else what is
 * wrong with it.
 */
static const char *frame_text_flaw(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *why = NULL, *word;

	while (!why && p < end) {
		if (*p == '"') {
			why = frame_string_flaw(&p, end);
		} else if (*p == '-' || (*p >= '0' && *p <= '9')) {
			why = frame_number_flaw(&p, end);
		} else if (isalpha((unsigned char)*p)) {
			for (word = p; p < end && isalpha((unsigned char)*p); p++)
				;
			if (!((p - word == 4 && !memcmp(word, "true", 4)) ||
			      (p - word == 5 && !memcmp(word, "false", 5)) ||
			      (p - word == 4 && !memcmp(word, "null", 4))))
				why = "NaN and Infinity are not JSON numbers";
		} else {
			p++;
		}
	}
	return why;
}

int frame_handle(struct session *s, const char *text, size_t len)
{
	json_object *frame = relay_json_parse(text, len);
	const char *type, *flaw;
	char message[96];
	int rc = 0;

	if (!frame || !json_object_is_type(frame, json_type_object)) {
		frame_send_error(s, "bad_frame", "a frame is a JSON object");
		goto done;
	}
	if ((flaw = frame_text_flaw(text, len))) {
		(void)buf_fmt(message, sizeof message, "refused: %s", flaw);
		frame_send_error(s, "bad_frame", message);
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
