/*
 * page.c — the account pages of both apps (sign-in), and what accounts add
 * to every page. See page.h.
 */
#include "account/page.h"
#include "account/api.h"
#include "account/role.h"
#include "core/doc.h"
#include "web/page.h"
#include "web/route.h"
#include "assets.h"

static const char *role_label(int role)
{
	switch (role) {
	case ROLE_DEV: return "Développement";
	case ROLE_ADMIN: return "Administration";
	case ROLE_STAFF: return "Membre de l’équipe";
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
	json_object_object_add(user, "isAdmin", json_object_new_boolean(me->role >= ROLE_ADMIN));
	json_object_object_add(data, "user", user);
}

void login_page(struct http_req *req)
{
	bool staff = req->app->staff;
	/* only local paths, so the page cannot be used to redirect away */
	const char *next = http_return_path(http_query(req, "next"),
					    staff ? "/" : "/dashboard/messages");
	json_object *data = page_data(req, "Connexion");

	page_set(data, "script", ASSET_LOGIN_JS);
	json_object_object_add(data, "staff", json_object_new_boolean(staff));
	json_object_object_add(data, "next", json_object_new_string(next));
	page_section(data, "login");
	page_render(req, 200, "login.html", data);
}
