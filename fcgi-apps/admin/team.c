/*
 * team.c — the team's API (SPEC §9 team, admins; a dev for devs): the
 * staff accounts and their roles, an invitation by mail (the activation
 * mail: the new member chooses a password), role changes (audited).
 * Nobody changes their own role, so nobody raises it; only a dev gives or
 * takes the dev role, and nobody gives a role above their own.
 */
#include "admin.h"
#include "account/account.h"
#include "account/api.h"
#include "account/role.h"
#include "account/manage.h"
#include "account/session.h"
#include "audit/api.h"
#include "core/doc.h"
#include "core/log.h"

#include <string.h>

void admin_team_list(struct http_req *req)
{
	admin_users_list_as(req, ADMIN_TEAM);
}

/* The role a request asks for, checked against the signed-in member's. */
static bool wanted_role(struct http_req *req, const char **slug, int *role)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(req->json, "role", &v) || !json_object_is_type(v, json_type_string)) {
		http_error_field(req, 400, "invalid_request", "role", "role is staff, admin or dev.");
		return false;
	}
	*slug = json_object_get_string(v);
	*role = account_role_from_slug(*slug);
	if (*role < ROLE_CLIENT) {
		http_error_field(req, 422, "validation_failed", "role", "role is client, staff, admin or dev.");
		return false;
	}
	if (*role > req->role || (*role == ROLE_DEV && req->role < ROLE_DEV)) {
		http_error_field(req, 403, "forbidden", "role", "You cannot give a role above your own.");
		return false;
	}
	return true;
}

void admin_team_invite(struct http_req *req)
{
	const char *slug;
	int role;

	if (!wanted_role(req, &slug, &role))
		return;
	if (role < ROLE_STAFF) {
		http_error_field(req, 422, "validation_failed", "role", "A team member is staff, admin or dev.");
		return;
	}
	slug = account_role_slug(role);   /* static: the member is deleted next */
	json_object_object_del(req->json, "role");
	admin_user_create_as(req, slug);
}

void admin_user_role(struct http_req *req)
{
	store_t *st = http_store(req);
	store_error_t se = { 0 };
	bson_oid_t id;
	bson_t u, after;
	const char *slug;
	int role, current = ROLE_CLIENT;
	bool found = false;
	struct err e;
	json_object *o;

	if (!st || !admin_load_live_user(req, st, "team: role", &u, &id, &current))
		return;
	/* admin_may_manage refuses one's own account and a dev's for a non-dev */
	if (!admin_may_manage(req, &id, current) || !wanted_role(req, &slug, &role))
		goto done;
	if (!manage_set_role(st, &id, slug, account_now_ms(), &e)) {
		http_send_err(req, &e);
		goto done;
	}
	{	/* the sessions of someone who lost rights end: they sign in again */
		if (role < current && !session_end_all(st, &id, NULL, &se))
			log_error("team: end sessions: %s", se.message);
	}
	{
		char hex[25];
		if (!account_find_by_id(st, &id, &after, &found, &se)) {
			http_send_store_fail(req, "team: changed", &se);
			goto done;
		}
		bson_oid_to_string(&id, hex);
		audit_note(req, "users", hex, &u, &after);
		o = json_object_new_object();
		json_object_object_add(o, "user", admin_user_json(&after, role));
		bson_destroy(&after);
		http_send_json(req, 200, o);
	}
done:
	bson_destroy(&u);
}
