/*
 * api.h — the chat's HTTP API (SPEC §6), the same paths on the site
 * (customers, ROLE_CLIENT) and admin (staff, ROLE_STAFF). What a caller
 * may see is chat.h's rule; anything else answers 404.
 */
#ifndef CWC_CHAT_API_H
#define CWC_CHAT_API_H

#include "web/http.h"

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

#endif
