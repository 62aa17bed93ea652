/*
 * relay_frame.h — frames a client sends, and the relay's replies to them.
 *
 * A frame is a JSON object with a string "type" (docs/relay.md):
 *   ping                                  → {"type":"pong"}
 *   typing  {conversationId, active}      published for the conversation's
 *                                         other participants (relay_chat.h)
 *   resume  {lastMessageId[, conversationId]}
 *                                         → `message` frames, then `resumed`
 * Anything else (not JSON, not an object, no or unknown type, bad fields)
 * gets {"type":"error","code":"bad_frame","message":…}; a conversation or
 * message the user may not see gets code `not_found`, a store or Redis
 * outage `unavailable`. The socket stays open.
 */
#ifndef CWC_RELAY_FRAME_H
#define CWC_RELAY_FRAME_H

#include <stddef.h>

struct session;

/* Handles one complete text message of `len` bytes. Returns 0, or -1 when
 * the socket must be closed now (the close reason is set). */
int frame_handle(struct session *s, const char *text, size_t len);

/* Queues {"type":"error","code":code,"message":message} to `s`. */
void frame_send_error(struct session *s, const char *code,
		      const char *message);

#endif
