/*
 * relay_event.c — parsing published events and the delivery rule.
 * See relay_event.h and docs/relay.md ("Redis channel").
 */
#include "account/role.h"
#include "relay_event.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "relay.h"
#include "relay_revoke.h"
#include "relay_session.h"
#include "relay_users.h"

/* The event types a client may receive from Redis, and one for the relay
 * itself: "revoke" (relay_revoke.h). */
static const char *const known_types[] = {
	"message", "read", "typing", "presence", "badge", "revoke",
};

#define JSON_MAX_DEPTH 16

static bool type_is_known(const char *type)
{
	for (size_t i = 0; i < sizeof known_types / sizeof *known_types; i++)
		if (strcmp(type, known_types[i]) == 0)
			return true;
	return false;
}

json_object *relay_json_parse(const char *text, size_t len)
{
	json_tokener *tok;
	json_object *obj;
	size_t used;

	if (len > (size_t)INT32_MAX)
		return NULL;
	tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	if (!tok)
		return NULL;
	obj = json_tokener_parse_ex(tok, text, (int)len);
	used = json_tokener_get_parse_end(tok);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	for (; obj && used < len; used++)
		if (!memchr(" \t\r\n", text[used], 4)) {
			json_object_put(obj);
			obj = NULL;
		}
	return obj;
}

bool relay_event_parse(struct relay_event *ev, const char *payload,
		       size_t len, char *err, size_t errlen)
{
	json_object *v;
	const char *text;

	memset(ev, 0, sizeof *ev);
	if (len > RELAY_MAX_EVENT) {
		snprintf(err, errlen, "event of %zu bytes is over %d", len,
			 RELAY_MAX_EVENT);
		return false;
	}
	ev->root = relay_json_parse(payload, len);
	if (!ev->root || !json_object_is_type(ev->root, json_type_object)) {
		snprintf(err, errlen, "event is not a JSON object");
		goto fail;
	}
	if (!json_object_object_get_ex(ev->root, "type", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !type_is_known(json_object_get_string(v))) {
		snprintf(err, errlen, "event has no known \"type\"");
		goto fail;
	}
	ev->type = json_object_get_string(v);
	ev->no_echo = strcmp(ev->type, "typing") == 0 ||
		strcmp(ev->type, "presence") == 0;
	if (json_object_object_get_ex(ev->root, "userId", &v) &&
	    json_object_is_type(v, json_type_string))
		ev->user_id = json_object_get_string(v);
	if (strcmp(ev->type, "revoke") == 0) {
		ev->revoke = true;
		if (!ev->user_id) {
			snprintf(err, errlen, "revoke event without \"userId\"");
			goto fail;
		}
		return true;   /* for the relay: no routing, no frame */
	}
	if (json_object_object_get_ex(ev->root, "conversationId", &v)) {
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(err, errlen, "\"conversationId\" is not a string");
			goto fail;
		}
		ev->conversation_id = json_object_get_string(v);
	}
	if (json_object_object_get_ex(ev->root, "participants", &v)) {
		if (!json_object_is_type(v, json_type_array)) {
			snprintf(err, errlen, "\"participants\" is not an array");
			goto fail;
		}
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (!json_object_is_type(json_object_array_get_idx(v, i),
						 json_type_string)) {
				snprintf(err, errlen, "\"participants\" holds a non-string");
				goto fail;
			}
		ev->participants = json_object_get(v);
		json_object_object_del(ev->root, "participants");
	}
	if (json_object_object_get_ex(ev->root, "audience", &v)) {
		ev->audience_staff = json_object_is_type(v, json_type_string) &&
			strcmp(json_object_get_string(v), "staff") == 0;
		json_object_object_del(ev->root, "audience");
	}
	text = json_object_to_json_string_ext(ev->root, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	ev->frame = outq_msg_new(text, strlen(text));
	if (!ev->frame) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return true;
fail:
	relay_event_free(ev);
	return false;
}

void relay_event_free(struct relay_event *ev)
{
	outq_msg_unref(ev->frame);
	json_object_put(ev->participants);
	json_object_put(ev->root);
	memset(ev, 0, sizeof *ev);
}

bool relay_event_has_participant(const struct relay_event *ev,
				 const char *user_id)
{
	size_t n;

	if (!ev->participants || !user_id || !*user_id)
		return false;
	n = json_object_array_length(ev->participants);
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(ev->participants, i);

		if (strcmp(json_object_get_string(p), user_id) == 0)
			return true;
	}
	return false;
}

bool relay_should_deliver(const struct session *s,
			  const struct relay_event *ev)
{
	if (!s->user_id[0])
		return false;
	if (ev->no_echo && ev->user_id && strcmp(ev->user_id, s->user_id) == 0)
		return false;
	return relay_event_has_participant(ev, s->user_id) ||
	       (ev->audience_staff && s->role == SESSION_ROLE_STAFF);
}

/* Queues the event to `s` when the rule says so and it was not queued
 * there already for this event (a staff participant is found twice). */
static bool deliver(struct session *s, const struct relay_event *ev,
		    unsigned long seq)
{
	if (s->delivered_seq == seq || !relay_should_deliver(s, ev))
		return false;
	s->delivered_seq = seq;
	return session_send(s, ev->frame);
}

void relay_event_broadcast(const char *payload, size_t len)
{
	struct relay_event ev;
	unsigned delivered = 0;
	uint64_t started = uv_hrtime();
	unsigned long seq;
	char err[128];
	size_t n;

	if (!relay_event_parse(&ev, payload, len, err, sizeof err)) {
		log_warn("dropped an event from %s: %s", CONN_EVENTS_CHANNEL, err);
		return;
	}
	if (ev.revoke) {
		relay_revoke_user(ev.user_id);
		relay_event_free(&ev);
		return;
	}
	seq = ++relay.event_seq;
	n = ev.participants ? json_object_array_length(ev.participants) : 0;
	for (size_t i = 0; i < n; i++) {
		const char *id = json_object_get_string(
			json_object_array_get_idx(ev.participants, i));
		struct relay_user *u = relay_users_find(id);

		if (!u)
			continue;
		lws_start_foreach_dll_safe(struct lws_dll2 *, d, d1,
					   lws_dll2_get_head(&u->sessions)) {
			delivered += deliver(lws_container_of(d, struct session,
							      user_node), &ev, seq);
		} lws_end_foreach_dll_safe(d, d1);
	}
	if (ev.audience_staff) {
		lws_start_foreach_dll_safe(struct lws_dll2 *, d, d1,
					   lws_dll2_get_head(&relay.staff)) {
			delivered += deliver(lws_container_of(d, struct session,
							      staff_node), &ev, seq);
		} lws_end_foreach_dll_safe(d, d1);
	}
	log_debug("%s event of conversation %s sent to %u sockets in %.2f ms",
		  ev.type, ev.conversation_id ? ev.conversation_id : "-", delivered,
		  (double)(uv_hrtime() - started) / 1e6);
	relay_event_free(&ev);
}

void relay_event_resync(void)
{
	static const char text[] = "{\"type\":\"resync\"}";
	struct outq_msg *m = outq_msg_new(text, sizeof text - 1);

	if (!m)
		return;
	log_info("telling %u sockets to resync", relay.sessions.count);
	lws_start_foreach_dll_safe(struct lws_dll2 *, d, d1,
				   lws_dll2_get_head(&relay.sessions)) {
		session_send(lws_container_of(d, struct session, list), m);
	} lws_end_foreach_dll_safe(d, d1);
	outq_msg_unref(m);
}
