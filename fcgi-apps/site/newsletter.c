/*
 * newsletter.c — the newsletter on the site (SPEC §8): the footer's form
 * (POST /newsletter, a plain form: 303 to /newsletter/merci, or the
 * /newsletter page with the error next to the field and what was typed),
 * the JSON POST /api/newsletter/subscribe, the confirmation link (GET
 * /api/newsletter/confirm?token=, a page), and the unsubscribe link (GET:
 * a page asking to confirm; POST: RFC 8058's one-click, no session
 * needed, the address and its token in the URL).
 *
 * Subscribing answers the same whether the address is new, pending or
 * confirmed. A filled honeypot (`website`) is answered like a success;
 * CWC_THROTTLE_NEWSLETTER limits requests per client address (429 with
 * Retry-After); a refused address counts nothing.
 */
#include "account/account.h"
#include "conn/conn.h"
#include "content/newsletter.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/crypto.h"
#include "web/page.h"
#include "web/throttle.h"
#include "site.h"

#include <stdlib.h>
#include <string.h>

#define SUBSCRIBED_MESSAGE "Merci ! Si cette adresse n’est pas encore inscrite, un e-mail de confirmation vient de lui être envoyé : suivez son lien pour recevoir la lettre."

static void set_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

static void canonical(json_object *data, const char *path)
{
	struct buf url = { 0 };
	buf_printf(&url, "%s%s", cfg->site_url, path);
	page_set(data, "canonical", url.data);
	buf_free(&url);
}

static void subscribe_page(struct http_req *req, int status, const char *email, const struct err *e)
{
	json_object *data = page_data(req, "La lettre du café"), *form = json_object_new_object();

	canonical(data, "/newsletter");
	page_set(data, "description", "Une lettre par mois au plus : les nouveautés, les événements et les offres de CoworKing Café à Strasbourg.");
	set_str(form, "email", email);
	if (e) {
		json_object *err = json_object_new_object();
		set_str(err, "text", e->message);
		json_object_object_add(err, e->field[0] ? e->field : "form", json_object_new_boolean(true));
		json_object_object_add(form, "error", err);
	}
	json_object_object_add(data, "form", form);
	page_render(req, status, "newsletter.html", data);
}

void site_newsletter(struct http_req *req)
{
	subscribe_page(req, 200, NULL, NULL);
}

static void message_page(struct http_req *req, int status, const char *title, const char *text,
			 json_object *extra)
{
	json_object *data = page_data(req, title);
	page_set(data, "robots", "noindex");
	set_str(data, "heading", title);
	set_str(data, "text", text);
	if (extra)
		json_object_object_add(data, "unsubscribe", extra);
	page_render(req, status, "newsletter-message.html", data);
}

void site_newsletter_thanks(struct http_req *req)
{
	message_page(req, 200, "Vérifiez votre boîte mail", SUBSCRIBED_MESSAGE, NULL);
}

/* Honeypot and rate limit; false when the request is already answered. */
static bool gate(struct http_req *req, const char *honeypot, bool page)
{
	long retry = 0;
	if (honeypot && *honeypot) {
		if (page) {
			http_redirect(req, 303, "/newsletter/merci");
		} else {
			json_object *ok = json_object_new_object();
			set_str(ok, "message", SUBSCRIBED_MESSAGE);
			http_send_json(req, 200, ok);
		}
		return false;
	}
	if (!throttle_take(THROTTLE_NEWSLETTER, THROTTLE_IP, http_client_ip(req), &retry)) {
		throttle_refuse(req, retry);
		return false;
	}
	return true;
}

static bool email_ok(const char *email, struct err *e)
{
	char norm[ACCOUNT_EMAIL_MAX + 1];
	if (!email || !account_email_normalise(email, strlen(email), norm, sizeof norm))
		return err_set(e, 400, "validation_failed", "email",
			       "Indiquez une adresse e-mail valide (nom@exemple.fr).");
	return true;
}

void site_newsletter_post(struct http_req *req)
{
	const char *email = http_form(req, "email");
	struct err e = { 0 };
	store_t *st;

	if (!email_ok(email, &e)) {
		subscribe_page(req, 422, email, &e);
		return;
	}
	if (!gate(req, http_form(req, "website"), true))
		return;
	if (!(st = conn_store(NULL)) ||
	    !newsletter_subscribe(st, account_now_ms(), email, "footer", &e)) {
		page_error(req, e.status >= 400 ? e.status : 503);
		return;
	}
	http_redirect(req, 303, "/newsletter/merci");
}

static const char *json_str(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		? json_object_get_string(v) : NULL;
}

void site_newsletter_api(struct http_req *req)
{
	const char *email = json_str(req->json, "email");
	struct err e = { 0 };
	store_t *st;
	json_object *ok;

	if (!email_ok(email, &e)) {
		http_send_err(req, &e);
		return;
	}
	if (!gate(req, json_str(req->json, "website"), false))
		return;
	if (!(st = http_store(req)))
		return;
	if (!newsletter_subscribe(st, account_now_ms(), email, "api", &e)) {
		http_send_err(req, &e);
		return;
	}
	ok = json_object_new_object();
	set_str(ok, "message", SUBSCRIBED_MESSAGE);
	http_send_json(req, 200, ok);
}

void site_newsletter_confirm(struct http_req *req)
{
	char email[ACCOUNT_EMAIL_MAX + 1];
	struct err e = { 0 };
	store_t *st = conn_store(NULL);

	if (!st) {
		page_error(req, 503);
		return;
	}
	if (!newsletter_confirm(st, account_now_ms(), http_query(req, "token"), email, sizeof email, &e)) {
		if (e.status >= 500)
			page_error(req, e.status);
		else
			message_page(req, e.status, "Lien non valable", e.message, NULL);
		return;
	}
	message_page(req, 200, "Inscription confirmée",
		     "C’est fait : vous recevrez la lettre du café une fois par mois au plus. "
		     "Chaque lettre contient un lien pour vous désinscrire en un clic.", NULL);
}

/* GET: asks to confirm (a link followed by a mail scanner must not
 * unsubscribe anybody); POST: unsubscribes. */
void site_newsletter_unsubscribe(struct http_req *req)
{
	const char *email = http_query(req, "email"), *token = http_query(req, "token");
	char want[65], norm[ACCOUNT_EMAIL_MAX + 1];
	struct err e = { 0 };
	store_t *st;

	if (!email || !token || !account_email_normalise(email, strlen(email), norm, sizeof norm)) {
		message_page(req, 400, "Lien non valable", "Ce lien de désinscription n’est pas valable.", NULL);
		return;
	}
	newsletter_unsubscribe_token(norm, want);
	if (!crypto_equal(want, 64, token, strlen(token))) {
		message_page(req, 400, "Lien non valable", "Ce lien de désinscription n’est pas valable.", NULL);
		return;
	}
	if (req->method != HTTP_POST) {
		json_object *u = json_object_new_object();
		char *url = newsletter_unsubscribe_url(norm);
		const char *path = strstr(url, "/api/newsletter/unsubscribe");
		set_str(u, "action", path ? path : "/api/newsletter/unsubscribe");
		set_str(u, "email", norm);
		free(url);
		message_page(req, 200, "Se désinscrire de la lettre",
			     "Vous ne recevrez plus la lettre du café à cette adresse :", u);
		return;
	}
	if (!(st = conn_store(NULL))) {
		page_error(req, 503);
		return;
	}
	if (!newsletter_unsubscribe(st, account_now_ms(), norm, token, &e)) {
		if (e.status >= 500)
			page_error(req, e.status);
		else
			message_page(req, e.status, "Lien non valable", e.message, NULL);
		return;
	}
	message_page(req, 200, "Vous êtes désinscrit",
		     "Vous ne recevrez plus la lettre du café. Vous pouvez vous réinscrire à tout moment depuis le bas de chaque page.", NULL);
}
