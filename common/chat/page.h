/*
 * page.h — the HTML shell of the chat (customer and staff) that both
 * apps serve; its script is public/chat.js.
 */
#ifndef CWC_CHAT_PAGE_H
#define CWC_CHAT_PAGE_H

#include "web/http.h"

/* /dashboard/messages (site) and /messages (admin). */
void chat_page(struct http_req *req);

#endif
