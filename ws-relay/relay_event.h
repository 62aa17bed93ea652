/*
 * relay_event.h — the events the apps publish, and who receives them.
 *
 * An event is a JSON object published on CONN_EVENTS_CHANNEL (docs/relay.md):
 *   {"type":"message"|"read"|"typing"|"presence",
 *    "conversationId":"…",
 *    "participants":["userId",…]   or   "audience":"staff",
 *    …the payload the client sees…}
 * The routing fields (`participants`, `audience`) are removed from what the
 * clients receive; everything else is passed through unchanged.
 *
 * One more type is for the relays, not the clients: {"type":"revoke",
 * "userId":…} (some of that user's sessions ended: relay_revoke.h).
 *
 * Who receives it is decided by relay_should_deliver(), the one rule:
 * a socket whose user is in `participants`, or a staff socket when
 * `audience` is "staff" — except that the author of a typing or presence
 * event (its `userId`) does not get it back on their own sockets.
 */
#ifndef CWC_RELAY_EVENT_H
#define CWC_RELAY_EVENT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "relay_outq.h"

struct session;

struct relay_event {
	json_object *root;            /* the event without its routing fields */
	const char *type;             /* borrowed from root */
	const char *conversation_id;  /* borrowed from root; NULL when absent */
	const char *user_id;          /* "userId" (borrowed from root) or NULL */
	bool no_echo;                 /* typing/presence: not back to user_id */
	json_object *participants;    /* array of user-id strings, or NULL */
	bool audience_staff;          /* "audience":"staff" */
	bool revoke;                  /* "revoke": for the relay, not delivered */
	struct outq_msg *frame;       /* the frame clients receive (one ref);
					 NULL for revoke */
};

/* Parses exactly `len` bytes of JSON (blanks may follow the value; nesting
 * at most 16 deep). A new object owned by the caller (json_object_put()),
 * or NULL when the text is not exactly one JSON value. */
json_object *relay_json_parse(const char *text, size_t len);

/* Parses and checks one published event into `ev`. On error fills `err`
 * (for the log) and returns false with nothing to free. Otherwise free
 * with relay_event_free(). */
bool relay_event_parse(struct relay_event *ev, const char *payload,
		       size_t len, char *err, size_t errlen);
void relay_event_free(struct relay_event *ev);

/* Parses one event published on CONN_EVENTS_CHANNEL and queues it to every open
 * socket relay_should_deliver() accepts (looked for among the sockets of
 * the participants, and the staff sockets for "audience":"staff"); a
 * revoke event goes to relay_revoke_user(). A bad event is logged and
 * dropped. */
void relay_event_broadcast(const char *payload, size_t len);

/* Queues {"type":"resync"} to every open socket: events may have been
 * missed (the subscriber was away), catch up over resume or HTTP. */
void relay_event_resync(void);

/* True when `user_id` is in the event's participants. */
bool relay_event_has_participant(const struct relay_event *ev,
				 const char *user_id);

/* The one delivery rule: true when the socket `s` may receive `ev`. */
bool relay_should_deliver(const struct session *s,
			  const struct relay_event *ev);

#endif
