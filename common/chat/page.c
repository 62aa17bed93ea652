/*
 * page.c — the chat pages: the customer's /dashboard/messages on the
 * site and the staff messenger (/messages) on admin. Server-rendered
 * shells; public/chat.js does the rest with the HTTP API of chat.h and
 * the relay (history, send, live updates, typing, unread badge).
 */
#include "web/route.h"
#include "account/api.h"
#include "chat/page.h"
#include "core/doc.h"
#include "web/page.h"
#include "assets.h"

#include <stdlib.h>
#include <string.h>

void chat_page(struct http_req *req)
{
	const struct auth_session *me = auth_session(req);
	bool staff = req->app->staff;
	struct buf b = { 0 };
	const char *name = me ? doc_str(&me->user, "givenName") : NULL;

	if (!name)
		name = "";

	buf_str(&b, "<h1>Messages <span class=\"badge\" id=\"unread\" hidden></span></h1>\n"
			 "<div id=\"chat\" class=\"chat\" data-view=\"");
	buf_str(&b, staff ? "staff" : "customer");
	buf_str(&b, "\" data-me=\"");
	page_escape(&b, me ? me->user_id_hex : "");
	buf_str(&b, "\" data-name=\"");
	page_escape(&b, name);
	buf_str(&b, "\">\n"
		"<aside id=\"conversations\"" );
	buf_str(&b, staff ? "" : " hidden");
	buf_str(&b, "><h2>Conversations</h2><ul id=\"conversation-list\"></ul></aside>\n"
		"<section class=\"thread\">"
		"<p id=\"status\" class=\"status\" role=\"status\">Connexion…</p>"
		"<ol id=\"messages\" class=\"messages\" aria-live=\"polite\"></ol>"
		"<p id=\"typing\" class=\"typing\" hidden></p>"
		"<form id=\"send\" class=\"send\" autocomplete=\"off\">"
		"<label for=\"content\" class=\"sr-only\">Votre message</label>"
		"<textarea id=\"content\" name=\"content\" maxlength=\"5000\" rows=\"2\" required"
		" placeholder=\"Écrivez votre message…\"></textarea>"
		"<button type=\"submit\">Envoyer</button></form>"
		"</section></div>\n");
	page_send_script(req, 200, "Messages", b.data, ASSET_CHAT_JS);
	free(b.data);
}

void login_page(struct http_req *req)
{
	struct buf b = { 0 };
	bool staff = req->app->staff;
	/* only local paths, so the page cannot be used to redirect away */
	const char *next = http_return_path(http_query(req, "next"),
					    staff ? "/" : "/dashboard/messages");

	buf_str(&b, "<h1>");
	buf_str(&b, staff ? "Espace équipe" : "Connexion");
	buf_str(&b, "</h1>\n<form id=\"login\" class=\"login\" data-next=\"");
	page_escape(&b, next);
	buf_str(&b, "\">"
		"<label>Adresse e-mail <input type=\"email\" name=\"email\" id=\"email\" required autocomplete=\"username\"></label>"
		"<label>Mot de passe <input type=\"password\" name=\"password\" id=\"password\" required autocomplete=\"current-password\"></label>"
		"<button type=\"submit\">Se connecter</button>"
		"<p id=\"error\" class=\"error\" role=\"alert\" hidden></p></form>\n");
	page_send_script(req, 200, "Connexion", b.data, ASSET_LOGIN_JS);
	free(b.data);
}
