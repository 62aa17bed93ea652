/*
 * contact.c — the contact page and its form (SPEC §8): GET /contact,
 * POST /contact (a plain HTML form: 303 to /contact/merci, or the page
 * again with the error next to its field and what was typed), the JSON
 * POST /api/contact-mails, and the thank-you page. A filled honeypot
 * (`website`, hidden from people) is answered like a success and saves
 * nothing; CWC_THROTTLE_CONTACT limits messages per address (429 with
 * Retry-After).
 */
#include "account/account.h"
#include "content/contact.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/config.h"
#include "web/page.h"
#include "web/throttle.h"
#include "site.h"

#include <string.h>

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

/* The contact page, with `m` typed so far and the error `e` (or none). */
static void contact_page(struct http_req *req, int status, const struct contact_msg *m,
			 const struct err *e)
{
	json_object *data = page_data(req, "Contact"), *form = json_object_new_object();
	json_object *subjects = json_object_new_array();
	struct buf url = { 0 };

	buf_printf(&url, "%s/contact", cfg->site_url);
	page_set(data, "canonical", url.data);
	buf_free(&url);
	page_set(data, "description", "Écrire à CoworKing Café, nous trouver à Strasbourg : adresse, accès en tram, formulaire de contact.");
	page_section(data, "contact");
	add_str(form, "name", m ? m->name : NULL);
	add_str(form, "email", m ? m->email : NULL);
	add_str(form, "phone", m ? m->phone : NULL);
	add_str(form, "message", m ? m->message : NULL);
	for (size_t i = 0; contact_subjects[i]; i++) {
		json_object *s = json_object_new_object();
		add_str(s, "label", contact_subjects[i]);
		if (m && m->subject && strcmp(m->subject, contact_subjects[i]) == 0)
			json_object_object_add(s, "selected", json_object_new_boolean(true));
		json_object_array_add(subjects, s);
	}
	json_object_object_add(form, "subjects", subjects);
	if (e) {
		json_object *err = json_object_new_object();
		add_str(err, "text", e->message);
		json_object_object_add(err, e->field[0] ? e->field : "form", json_object_new_boolean(true));
		json_object_object_add(form, "error", err);
	}
	add_str(data, "contactEmail", cfg->contact_email);
	json_object_object_add(data, "form", form);
	page_render(req, status, "contact.html", data);
}

void site_contact(struct http_req *req)
{
	contact_page(req, 200, NULL, NULL);
}

void site_contact_thanks(struct http_req *req)
{
	json_object *data = page_data(req, "Message envoyé");
	page_section(data, "contact");
	page_render(req, 200, "contact-merci.html", data);
}

/* Honeypot and rate limit; false when the request is already answered
 * (`thanks`: how a filled honeypot is answered). */
static bool contact_gate(struct http_req *req, const char *honeypot, bool page)
{
	long retry = 0;
	if (honeypot && *honeypot) {
		if (page)
			http_redirect(req, 303, "/contact/merci");
		else
			http_send_json(req, 201, json_object_new_object());
		return false;
	}
	if (!throttle_take(THROTTLE_CONTACT, THROTTLE_IP, http_client_ip(req), &retry)) {
		throttle_refuse(req, retry);
		return false;
	}
	return true;
}

void site_contact_post(struct http_req *req)
{
	struct contact_msg m = {
		http_form(req, "name"), http_form(req, "email"), http_form(req, "phone"),
		http_form(req, "subject"), http_form(req, "message"),
	};
	struct err e = { 0 };

	if (!contact_check(&m, &e)) {
		contact_page(req, 422, &m, &e);
		return;
	}
	if (!contact_gate(req, http_form(req, "website"), true))
		return;
	if (!contact_submit(conn_store(NULL), account_now_ms(), &m, &e)) {
		page_error(req, e.status ? e.status : 500);
		return;
	}
	http_redirect(req, 303, "/contact/merci");
}

static const char *json_str(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		? json_object_get_string(v) : NULL;
}

void site_contact_api(struct http_req *req)
{
	struct contact_msg m = {
		json_str(req->json, "name"), json_str(req->json, "email"), json_str(req->json, "phone"),
		json_str(req->json, "subject"), json_str(req->json, "message"),
	};
	struct err e = { 0 };

	if (!contact_check(&m, &e)) {
		http_send_err(req, &e);
		return;
	}
	if (!contact_gate(req, json_str(req->json, "website"), false))
		return;
	if (!contact_submit(conn_store(NULL), account_now_ms(), &m, &e)) {
		http_send_err(req, &e);
		return;
	}
	json_object *ok = json_object_new_object();
	add_str(ok, "message", "Merci, votre message a bien été envoyé.");
	http_send_json(req, 201, ok);
}
