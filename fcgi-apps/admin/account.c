/*
 * account.c — sign-in on the admin app (SPEC §4): the site's login,
 * logout and session endpoints, admitting staff, admin and dev only
 * (a client's correct password is answered 403 `forbidden`).
 */
#include "account/account.h"
#include "admin.h"
#include "account/api.h"
#include "web/route.h"

void admin_login(struct http_req *req)
{
	auth_login(req, ROLE_STAFF);
}

void admin_logout(struct http_req *req)
{
	auth_logout(req);
}

void admin_session(struct http_req *req)
{
	auth_session_get(req);
}
