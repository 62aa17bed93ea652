/*
 * relay_chat.h — the chat operations a socket asks of the relay, with the
 * same access rule as the HTTP API (chat_can_access(), common/chat/chat.h).
 *
 * typing  the user may access the conversation → a `typing` event is
 *         PUBLISHed for every relay:
 *           {"type":"typing","conversationId","userId","name","active",
 *            "participants":[…],"audience":"staff"|null}
 * resume  the messages after `lastMessageId` (by createdAt, then _id),
 *         oldest first, as `message` frames shaped like the live ones;
 *         in the customer's conversations (every one they take part in),
 *         for staff in the conversation of that message; with
 *         `conversationId`, in that conversation only. At most
 *         RELAY_RESUME_MAX, and fewer when the socket's outgoing queue
 *         could not take them; then {"type":"resumed","count":n,
 *         "hasMore":bool,"lastMessageId":…} (hasMore: resume again from
 *         the last id received, or read GET …/messages?after=).
 *
 * Both read the store synchronously (relay_store.h).
 */
#ifndef CWC_RELAY_CHAT_H
#define CWC_RELAY_CHAT_H

#include <stdbool.h>

struct session;

enum relay_chat_result {
	RELAY_CHAT_OK = 0,
	RELAY_CHAT_NOT_FOUND,      /* no such id, or not one the user may see */
	RELAY_CHAT_UNAVAILABLE,    /* store or Redis unavailable */
};

/* Publishes `s`'s user typing (or not) in `conversation_id` (hex). */
enum relay_chat_result relay_chat_typing(struct session *s,
					 const char *conversation_id,
					 bool active);

/* Queues to `s` what came after `last_message_id` (hex), in
 * `conversation_id` (hex) only when not NULL, then the `resumed` frame. */
enum relay_chat_result relay_chat_resume(struct session *s,
					 const char *last_message_id,
					 const char *conversation_id);

#endif
