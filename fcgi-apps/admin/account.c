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

void admin_dashboard(struct http_req *req)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(true));
	json_object_object_add(o, "role", json_object_new_string(
		account_role_slug(req->role) ? account_role_slug(req->role) : ""));
	http_send_json(req, 200, o);
}
