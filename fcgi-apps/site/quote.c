/*
 * quote.c — the privatization quote form (SPEC §8): GET and POST
 * /privatization/devis (a plain HTML form: 303 to /privatization/merci,
 * or the form again with the error next to its field and what was
 * typed), the JSON POST /api/privatization/devis, and the thank-you
 * page. A filled honeypot (`website`) is answered like a success and
 * saves nothing; CWC_THROTTLE_QUOTE limits requests per client address
 * (429 with Retry-After); a refused form counts nothing.
 */
#include "account/account.h"
#include "booking/calendar.h"
#include "conn/conn.h"
#include "content/quote.h"
#include "core/buf.h"
#include "core/config.h"
#include "web/page.h"
#include "web/throttle.h"
#include "site.h"

#include <string.h>

static void set_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

static void today(char out[11])
{
	int64_t day;
	int minute;
	booking_paris_local(account_now_ms(), &day, &minute);
	booking_format_date(day, out);
}

static json_object *choices(const struct quote_choice *list, const char *selected)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; list[i].value; i++) {
		json_object *c = json_object_new_object();
		set_str(c, "value", list[i].value);
		set_str(c, "label", list[i].label);
		if (selected && strcmp(selected, list[i].value) == 0)
			json_object_object_add(c, "selected", json_object_new_boolean(true));
		json_object_array_add(arr, c);
	}
	return arr;
}

static void quote_page(struct http_req *req, int status, const struct quote_req *q, const struct err *e)
{
	json_object *data = page_data(req, "Demande de devis de privatisation");
	json_object *form = json_object_new_object();
	struct buf url = { 0 };
	char t[11];

	buf_printf(&url, "%s/privatization/devis", cfg->site_url);
	page_set(data, "canonical", url.data);
	buf_free(&url);
	page_set(data, "description", "Privatiser CoworKing Café pour un atelier, un séminaire ou une soirée d’équipe : demandez un devis, réponse sous 48 heures ouvrées.");
	page_section(data, "privatization");
	today(t);
	set_str(data, "today", t);
	set_str(form, "date", q ? q->date : NULL);
	set_str(form, "startTime", q ? q->start_time : NULL);
	set_str(form, "endTime", q ? q->end_time : NULL);
	set_str(form, "company", q ? q->company : NULL);
	set_str(form, "contactName", q ? q->contact_name : NULL);
	set_str(form, "email", q ? q->email : NULL);
	set_str(form, "phone", q ? q->phone : NULL);
	set_str(form, "message", q ? q->message : NULL);
	json_object_object_add(form, "eventTypes", choices(quote_event_types, q ? q->event_type : NULL));
	json_object_object_add(form, "attendees", choices(quote_attendees, q ? q->attendees : NULL));
	if (e) {
		json_object *err = json_object_new_object();
		set_str(err, "text", e->message);
		json_object_object_add(err, e->field[0] ? e->field : "form", json_object_new_boolean(true));
		json_object_object_add(form, "error", err);
	}
	json_object_object_add(data, "form", form);
	page_render(req, status, "quote.html", data);
}

void site_quote(struct http_req *req)
{
	quote_page(req, 200, NULL, NULL);
}

void site_quote_thanks(struct http_req *req)
{
	json_object *data = page_data(req, "Demande de devis envoyée");
	page_set(data, "robots", "noindex");
	page_section(data, "privatization");
	page_render(req, 200, "quote-merci.html", data);
}

static bool gate(struct http_req *req, const char *honeypot, bool page)
{
	long retry = 0;
	if (honeypot && *honeypot) {
		if (page)
			http_redirect(req, 303, "/privatization/merci");
		else
			http_send_json(req, 201, json_object_new_object());
		return false;
	}
	if (!throttle_take(THROTTLE_QUOTE, THROTTLE_IP, http_client_ip(req), &retry)) {
		throttle_refuse(req, retry);
		return false;
	}
	return true;
}

void site_quote_post(struct http_req *req)
{
	struct quote_req q = {
		http_form(req, "eventType"), http_form(req, "date"), http_form(req, "startTime"),
		http_form(req, "endTime"), http_form(req, "attendees"), http_form(req, "company"),
		http_form(req, "contactName"), http_form(req, "email"), http_form(req, "phone"),
		http_form(req, "message"),
	};
	struct err e = { 0 };
	char t[11];
	store_t *st;

	today(t);
	if (!quote_check(&q, t, &e)) {
		quote_page(req, 422, &q, &e);
		return;
	}
	if (!gate(req, http_form(req, "website"), true))
		return;
	if (!(st = conn_store(NULL)) || !quote_submit(st, account_now_ms(), t, &q, &e)) {
		page_error(req, e.status >= 400 ? e.status : 503);
		return;
	}
	http_redirect(req, 303, "/privatization/merci");
}

static const char *json_str(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		? json_object_get_string(v) : NULL;
}

void site_quote_api(struct http_req *req)
{
	json_object *j = req->json;
	struct quote_req q = {
		json_str(j, "eventType"), json_str(j, "date"), json_str(j, "startTime"),
		json_str(j, "endTime"), json_str(j, "attendees"), json_str(j, "company"),
		json_str(j, "contactName"), json_str(j, "email"), json_str(j, "phone"),
		json_str(j, "message"),
	};
	struct err e = { 0 };
	char t[11];
	store_t *st;
	json_object *ok;

	today(t);
	if (!quote_check(&q, t, &e)) {
		http_send_err(req, &e);
		return;
	}
	if (!gate(req, json_str(j, "website"), false))
		return;
	if (!(st = http_store(req)))
		return;
	if (!quote_submit(st, account_now_ms(), t, &q, &e)) {
		http_send_err(req, &e);
		return;
	}
	ok = json_object_new_object();
	set_str(ok, "message", "Merci, votre demande de devis a bien été envoyée.");
	http_send_json(req, 201, ok);
}
