/*
 * page.c — what accounts add to the pages of both apps. See page.h.
 */
#include "account/page.h"
#include "account/api.h"
#include "account/role.h"
#include "core/doc.h"

static const char *role_label(int role)
{
	switch (role) {
	case ROLE_DEV: return "Développement";
	case ROLE_ADMIN: return "Administration";
	case ROLE_STAFF: return "Équipe";
	default: return "Client";
	}
}

void account_page_data(struct http_req *req, json_object *data)
{
	const struct auth_session *me = auth_session(req);
	json_object *user;
	const char *name;

	if (!me)
		return;
	name = doc_str(&me->user, "givenName");
	if (!name || !*name)
		name = doc_str(&me->user, "email");
	user = json_object_new_object();
	json_object_object_add(user, "name", json_object_new_string(name ? name : ""));
	json_object_object_add(user, "roleLabel", json_object_new_string(role_label(me->role)));
	json_object_object_add(data, "user", user);
}
