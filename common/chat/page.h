/*
 * page.h — the HTML shells of the chat (customer and staff) and of
 * the login page both apps serve; their scripts are public/chat.js and
 * public/login.js.
 */
#ifndef CWC_CHAT_PAGE_H
#define CWC_CHAT_PAGE_H

#include "web/http.h"

/* /dashboard/messages (site) and /messages (admin). */
void chat_page(struct http_req *req);
/* /auth/login (site) and /login (admin); ?next= a local path. */
void login_page(struct http_req *req);

#endif
