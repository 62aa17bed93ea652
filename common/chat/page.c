/*
 * page.c — the chat pages: the customer's /dashboard/messages on the
 * site and the staff messenger (/messages) on admin. Server-rendered
 * shells (common/chat/templates); public/chat.js does the rest with the HTTP API of chat.h and the relay
 * (history, send, live updates, typing, unread badge).
 */
#include "web/route.h"
#include "account/api.h"
#include "chat/page.h"
#include "core/doc.h"
#include "web/page.h"
#include "assets.h"

#include <string.h>

static void set_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

void chat_page(struct http_req *req)
{
	const struct auth_session *me = auth_session(req);
	bool staff = req->app->staff;
	json_object *data = page_data(req, "Messages");

	page_set(data, "script", ASSET_CHAT_JS);
	set_str(data, "view", staff ? "staff" : "customer");
	json_object_object_add(data, "staff", json_object_new_boolean(staff));
	set_str(data, "me", me ? me->user_id_hex : "");
	set_str(data, "name", me ? doc_str(&me->user, "givenName") : "");
	page_section(data, "messages");
	page_render(req, 200, "chat.html", data);
}
