/*
 * chat.h — conversations and messages (SPEC §3, §6): the HTTP API that
 * the site (customers) and admin (staff) both serve, and the events it
 * publishes on Redis for the relays.
 *
 * Who sees what: a customer sees the conversations they take part in (in
 * practice their one direct conversation with the café); staff, on the
 * admin app, see every direct (customer) conversation and the group
 * conversations they take part in. Anything else answers 404, so ids
 * cannot be probed. A staff member who replies to or reads a direct
 * conversation joins its participants.
 *
 * Events: one JSON object per PUBLISH on CHAT_CHANNEL:
 *   {"type":"message"|"read", "conversationId":…, "participants":[ids],
 *    "audience":"staff"|null, "message":{…} | "userId":…,"readAt":…}
 * A relay delivers an event to a socket whose user is in `participants`,
 * or who is staff when `audience` is "staff" (docs/relay.md).
 */
#ifndef CWC_CHAT_H
#define CWC_CHAT_H

#include "web/http.h"

#include <bson/bson.h>
#include <stdbool.h>

#define CHAT_CHANNEL "cwc:events"
#define CHAT_CONTENT_MAX 5000      /* characters, after trimming */
#define CHAT_PAGE_DEFAULT 50
#define CHAT_PAGE_MAX 100

/* GET /api/conversations — with unreadCount for the caller; admin:
 * unread first, then by lastMessageAt; `unread=1` keeps unread ones. */
void chat_conversations_list(struct http_req *req);
/* POST /api/conversations — site: the caller's conversation with the café
 * (created once); admin: {type:"group", name, participants:[staff ids]}. */
void chat_conversations_create(struct http_req *req);
/* GET /api/conversations/:id/messages?before=&after=&limit= — newest first. */
void chat_messages_list(struct http_req *req);
/* POST /api/conversations/:id/messages {content, replyTo?} → 201. */
void chat_messages_send(struct http_req *req);
/* POST /api/conversations/:id/read → 200. */
void chat_mark_read(struct http_req *req);
/* GET /api/messages/ticket → {ticket, expiresAt, url} for the relay. */
void chat_ticket(struct http_req *req);

/* Whether `user` with `role` may read `conversation`; `staff_view` is true
 * on the admin app (and for the relay's staff sockets). */
bool chat_can_access(const bson_t *conversation, const bson_oid_t *user,
		     int role, bool staff_view);

#endif
