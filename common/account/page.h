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
 * (templates/login.html), a plain form posted to the same path; ?next= a
 * local path to go to afterwards (anything else: the app's default),
 * ?activated / ?reset say what the previous step did. */
void login_page(struct http_req *req);
/* POST of the same path (ROUTE_FORM): auth_sign_in(), then 303 to next;
 * else the form again with the error (401, 403→422, 429, 422/400). */
void login_page_post(struct http_req *req);

/* The site's other account pages (SPEC §4), each GET (the form) and POST
 * (ROUTE_FORM: the API's rules and throttles, then 303 to the next step):
 *   /auth/register          → /auth/register?sent=1 (honeypot `website`)
 *   /auth/activate-account  ?token= → a button (GET activates nothing)
 *                           → /auth/login?activated=1
 *   /auth/forgot-password   → /auth/forgot-password?sent=1
 *   /auth/reset-password    ?token= → /auth/login?reset=1 */
void register_page(struct http_req *req);
void register_page_post(struct http_req *req);
void activate_page(struct http_req *req);
void activate_page_post(struct http_req *req);
void forgot_page(struct http_req *req);
void forgot_page_post(struct http_req *req);
void reset_page(struct http_req *req);
void reset_page_post(struct http_req *req);

#endif
