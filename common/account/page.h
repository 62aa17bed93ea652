/*
 * page.h — the account pages of both apps, and what accounts add to every
 * page.
 */
#ifndef CWC_ACCOUNT_PAGE_H
#define CWC_ACCOUNT_PAGE_H

#include "web/http.h"

#include <json-c/json.h>

/* The `page_data` hook of both apps (web/route.h): adds user {name,
 * roleLabel, isAdmin} when someone is signed in, for the layout's header. */
void account_page_data(struct http_req *req, json_object *data);

/* GET /auth/login (site) and /login (admin): the sign-in form
 * (templates/login.html, public/login.js); ?next= a local path to go to
 * afterwards (anything else: the app's default). */
void login_page(struct http_req *req);

#endif
