/*
 * events.c — the café's events on the site (SPEC §8), server-rendered:
 * /events (upcoming, filtered by ?category=, 12 a page with ?page=),
 * /events/:slug (the Markdown description, date and time in
 * Europe/Paris, place, price, seats left, its image with the sizes of
 * content/upload.h (also on the cards, as og:image and the JSON-LD's
 * image), Event JSON-LD, Open Graph, canonical) with its registration form: a plain HTML form that posts
 * to the page itself (free → 303 to /events/:slug/merci; paid → 303 to
 * the Stripe Checkout page; an error → the page again with the message
 * next to its field and what was typed), the cancellation page of the
 * mailed link (/events/:slug/annulation?r=&token=), and the JSON API
 * (/api/events…). A filled honeypot (`website`) is answered like a
 * success and keeps nothing; CWC_THROTTLE_EVENT limits registrations per
 * address (429 with Retry-After). The data and rules are
 * content/event.h and content/registration.h.
 */
#include "account/account.h"
#include "content/event.h"
#include "content/registration.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/doc.h"
#include "core/template.h"
#include "web/page.h"
#include "web/throttle.h"
#include "site.h"

#include <stdlib.h>
#include <string.h>

/* The cards of /events: one column on a phone, two, then three. */
#define EVENT_CARD_SIZES "(min-width: 64rem) 20rem, (min-width: 40rem) 50vw, 100vw"

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;
	return o && json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		? json_object_get_string(v) : NULL;
}

static void fail_page(struct http_req *req, const struct err *e)
{
	if (e->status == 404)
		page_not_found(req);
	else
		page_error(req, e->status ? e->status : 500);
}

/* ---- the list -------------------------------------------------------------- */

void site_events(struct http_req *req)
{
	const char *category = http_query(req, "category");
	long page = 1;
	struct event_query q = { NULL, 1, EVENT_PER_PAGE };
	json_object *items = NULL, *cats = NULL, *data, *pg;
	int64_t total = 0, pages;
	struct err e = { 0 };
	struct buf url = { 0 }, title = { 0 };
	store_t *st = conn_store(NULL);
	char *enc = NULL;

	const char *page_in = http_query(req, "page");
	if (page_in) {
		/* "2"…, without sign or leading zero; anything else is no page */
		char *end;
		page = strtol(page_in, &end, 10);
		if (!*page_in || *page_in == '0' || *end || strlen(page_in) > 6 || page < 1) {
			page_not_found(req);
			return;
		}
	}
	if (category && !*category)
		category = NULL;
	q.category = category;
	q.page = (int)page;
	if (!event_categories(st, account_now_ms(), &cats, &e) ||
	    !event_list(st, account_now_ms(), &q, &items, &total, &e)) {
		json_object_put(cats);
		fail_page(req, &e);
		return;
	}
	pages = total == 0 ? 1 : (total + EVENT_PER_PAGE - 1) / EVENT_PER_PAGE;
	if (page > pages || (category && total == 0)) {
		json_object_put(cats);
		json_object_put(items);
		page_not_found(req);
		return;
	}
	if (category)
		buf_printf(&title, "Événements : %s", category);
	else
		buf_str(&title, "Événements");
	if (page > 1)
		buf_printf(&title, " (page %ld)", page);
	data = page_data(req, title.data);
	page_section(data, "actus");
	page_set(data, "description", "Ateliers, conférences, soirées et formations à venir à CoworKing Café, Strasbourg : places, horaires et inscription en ligne.");
	if (category)
		enc = tpl_url_encode(category);
	buf_printf(&url, "%s/events", cfg->site_url);
	if (enc)
		buf_printf(&url, "?category=%s", enc);
	if (page > 1)
		buf_printf(&url, "%spage=%ld", enc ? "&" : "?", page);
	page_set(data, "canonical", url.data);

	for (size_t i = 0; i < json_object_array_length(cats); i++) {
		json_object *c = json_object_array_get_idx(cats, i);
		const char *name = jstr(c, "name");
		char *ce = tpl_url_encode(name ? name : "");
		struct buf h = { 0 };
		buf_printf(&h, "/events?category=%s", ce);
		add_str(c, "href", h.data);
		buf_free(&h);
		free(ce);
		if (category && name && strcmp(name, category) == 0)
			json_object_object_add(c, "current", json_object_new_boolean(true));
	}
	json_object_object_add(data, "hasCategories", json_object_new_boolean(json_object_array_length(cats) > 1 || category));
	json_object_object_add(data, "allCurrent", json_object_new_boolean(!category));
	json_object_object_add(data, "categories", cats);
	if (category)
		add_str(data, "category", category);

	pg = json_object_new_object();
	json_object_object_add(pg, "current", json_object_new_int64(page));
	json_object_object_add(pg, "pages", json_object_new_int64(pages));
	json_object_object_add(pg, "many", json_object_new_boolean(pages > 1));
	for (int d = -1; d <= 1; d += 2) {
		long n = page + d;
		struct buf p = { 0 };
		if (n < 1 || n > pages)
			continue;
		buf_str(&p, "/events");
		if (enc)
			buf_printf(&p, "?category=%s", enc);
		if (n > 1)
			buf_printf(&p, "%spage=%ld", enc ? "&" : "?", n);
		add_str(pg, d < 0 ? "prev" : "next", p.data);
		buf_free(&p);
	}
	json_object *pobj;
	if (json_object_object_get_ex(data, "page", &pobj)) {
		const char *v;
		if ((v = jstr(pg, "prev")))
			add_str(pobj, "prev", v);
		if ((v = jstr(pg, "next")))
			add_str(pobj, "next", v);
	}
	json_object_object_add(data, "pagination", pg);
	for (size_t i = 0; i < json_object_array_length(items); i++)
		site_image(json_object_array_get_idx(items, i), "imgSrc", EVENT_CARD_SIZES);
	json_object_object_add(data, "hasEvents", json_object_new_boolean(json_object_array_length(items) > 0));
	json_object_object_add(data, "events", items);
	free(enc);
	buf_free(&url);
	buf_free(&title);
	page_render(req, 200, "events.html", data);
}

/* ---- one event ------------------------------------------------------------------ */

/* The event page with the form `in` typed so far (or none), the error `e`
 * (or none) and `status`. */
static void event_page(struct http_req *req, int status, const struct event_reg_input *in,
		       const struct err *err)
{
	const char *slug = http_param(req, "slug");
	json_object *ev = NULL, *data, *form, *ld, *loc, *addr, *offer;
	struct err e = { 0 };
	struct buf url = { 0 }, image = { 0 };
	const char *v;

	if (!event_get_public(conn_store(NULL), account_now_ms(), slug, &ev, NULL, &e)) {
		fail_page(req, &e);
		return;
	}
	data = page_data(req, jstr(ev, "title"));
	page_section(data, "actus");
	buf_printf(&url, "%s/events/%s", cfg->site_url, slug);
	page_set(data, "canonical", url.data);
	v = jstr(ev, "shortDescription");
	page_set(data, "description", v && *v ? v : "Un événement à CoworKing Café, Strasbourg.");
	site_image(ev, "imgSrc", "(min-width: 60rem) 40rem, 100vw");
	if ((v = jstr(ev, "imgSrc")) && *v && tpl_url_safe(v)) {
		site_image_absolute(v, &image);
		page_set(data, "image", image.data);
		if ((v = jstr(ev, "imgAlt")) && *v)
			page_set(data, "imageAlt", v);
	}

	ld = json_object_new_object();
	add_str(ld, "@context", "https://schema.org");
	add_str(ld, "@type", "Event");
	add_str(ld, "name", jstr(ev, "title"));
	if ((v = jstr(ev, "shortDescription")) && *v)
		add_str(ld, "description", v);
	{
		json_object *t;
		if (json_object_object_get_ex(ev, "startsAt", &t))
			add_str(ld, "startDate", json_object_get_string(t));
		if (json_object_object_get_ex(ev, "endsAt", &t))
			add_str(ld, "endDate", json_object_get_string(t));
	}
	if (image.data)
		add_str(ld, "image", image.data);
	add_str(ld, "eventStatus", "https://schema.org/EventScheduled");
	add_str(ld, "eventAttendanceMode", "https://schema.org/OfflineEventAttendanceMode");
	loc = json_object_new_object();
	add_str(loc, "@type", "Place");
	add_str(loc, "name", "CoworKing Café");
	addr = json_object_new_object();
	add_str(addr, "@type", "PostalAddress");
	add_str(addr, "streetAddress", "1 rue de la Division Leclerc");
	add_str(addr, "postalCode", "67000");
	add_str(addr, "addressLocality", "Strasbourg");
	add_str(addr, "addressCountry", "FR");
	json_object_object_add(loc, "address", addr);
	json_object_object_add(ld, "location", loc);
	offer = json_object_new_object();
	add_str(offer, "@type", "Offer");
	{
		json_object *cents, *full;
		char price[24];
		json_object_object_get_ex(ev, "priceCents", &cents);
		int64_t c = cents ? json_object_get_int64(cents) : 0;
		json_object_object_get_ex(ev, "paid", &cents);
		if (!cents || !json_object_get_boolean(cents))
			c = 0;
		(void)buf_fmt(price, sizeof price, "%lld.%02lld", (long long)(c / 100), (long long)(c % 100));
		add_str(offer, "price", price);
		add_str(offer, "priceCurrency", "EUR");
		json_object_object_get_ex(ev, "full", &full);
		add_str(offer, "availability", full && json_object_get_boolean(full)
			? "https://schema.org/SoldOut" : "https://schema.org/InStock");
		add_str(offer, "url", url.data);
	}
	json_object_object_add(ld, "offers", offer);
	json_object_object_add(ld, "organizer", json_object_new_object());
	{
		json_object *org;
		json_object_object_get_ex(ld, "organizer", &org);
		add_str(org, "@type", "Organization");
		add_str(org, "name", "CoworKing Café");
		add_str(org, "url", cfg->site_url);
	}
	page_set_json_ld(data, ld);

	form = json_object_new_object();
	add_str(form, "firstName", in ? in->first_name : NULL);
	add_str(form, "lastName", in ? in->last_name : NULL);
	add_str(form, "email", in ? in->email : NULL);
	add_str(form, "phone", in ? in->phone : NULL);
	add_str(form, "message", in ? in->message : NULL);
	if (err) {
		json_object *eo = json_object_new_object();
		add_str(eo, "text", err->message);
		json_object_object_add(eo, err->field[0] ? err->field : "form", json_object_new_boolean(true));
		json_object_object_add(form, "error", eo);
	}
	json_object_object_add(data, "form", form);
	v = http_query(req, "paiement");
	if (v && strcmp(v, "annule") == 0)
		json_object_object_add(data, "paymentCancelled", json_object_new_boolean(true));
	json_object_object_add(data, "event", ev);
	buf_free(&url);
	buf_free(&image);
	page_render(req, status, "event.html", data);
}

void site_event(struct http_req *req)
{
	event_page(req, 200, NULL, NULL);
}

/* Honeypot and rate limit; false when the request is answered already. */
static bool event_gate(struct http_req *req, const char *honeypot, bool page)
{
	long retry = 0;
	if (honeypot && *honeypot) {
		if (page) {
			struct buf to = { 0 };
			buf_printf(&to, "/events/%s/merci", http_param(req, "slug"));
			http_redirect(req, 303, to.data);
			buf_free(&to);
		} else {
			http_send_json(req, 201, json_object_new_object());
		}
		return false;
	}
	if (!throttle_take(THROTTLE_EVENT, THROTTLE_IP, http_client_ip(req), &retry)) {
		throttle_refuse(req, retry);
		return false;
	}
	return true;
}

void site_event_post(struct http_req *req)
{
	struct event_reg_input in = {
		http_form(req, "firstName"), http_form(req, "lastName"), http_form(req, "email"),
		http_form(req, "phone"), http_form(req, "message"),
	};
	struct event_reg_result res;
	struct err e = { 0 };

	if (!event_reg_check(&in, &e)) {
		event_page(req, 422, &in, &e);
		return;
	}
	if (!event_gate(req, http_form(req, "website"), true))
		return;
	if (!event_register(conn_store(NULL), account_now_ms(), http_param(req, "slug"), &in, &res, &e)) {
		if (e.status == 409 || e.status == 400 || e.status == 503)
			event_page(req, e.status, &in, &e);
		else
			fail_page(req, &e);
		return;
	}
	if (res.paid) {
		http_redirect(req, 303, res.checkout_url);
	} else {
		struct buf to = { 0 };
		buf_printf(&to, "/events/%s/merci", http_param(req, "slug"));
		http_redirect(req, 303, to.data);
		buf_free(&to);
	}
}

void site_event_thanks(struct http_req *req)
{
	json_object *ev = NULL, *data;
	struct err e = { 0 };
	const char *paid = http_query(req, "paiement");

	if (!event_get_public(conn_store(NULL), account_now_ms(), http_param(req, "slug"), &ev, NULL, &e)) {
		fail_page(req, &e);
		return;
	}
	data = page_data(req, "Inscription enregistrée");
	page_section(data, "actus");
	page_set(data, "robots", "noindex");
	if (paid && *paid)
		json_object_object_add(data, "paid", json_object_new_boolean(true));
	json_object_object_add(data, "event", ev);
	page_render(req, 200, "event-merci.html", data);
}

/* ---- cancellation by the mailed link -------------------------------------------- */

static void cancel_page(struct http_req *req, int status, const char *id, const char *token, bool done)
{
	bson_t reg, ev;
	struct err e = { 0 };
	json_object *data, *evj;
	bson_oid_t eid;
	bool found = false;
	store_error_t se = { 0 };
	store_t *st = conn_store(NULL);
	const char *s;

	if (!event_reg_by_token(st, id, token, &reg, &e)) {
		fail_page(req, &e);
		return;
	}
	if (!doc_oid(&reg, "eventId", &eid) || !event_find(st, &eid, NULL, &ev, &found, &se)) {
		bson_destroy(&reg);
		page_error(req, 500);
		return;
	}
	if (!found || !(s = doc_str(&ev, "slug")) || strcmp(s, http_param(req, "slug")) != 0) {
		bson_destroy(&reg);
		bson_destroy(&ev);
		page_not_found(req);
		return;
	}
	data = page_data(req, "Annuler mon inscription");
	page_section(data, "actus");
	page_set(data, "robots", "noindex");
	evj = event_public_json(&ev, 0);
	json_object_object_add(data, "event", evj);
	add_str(data, "r", id);
	add_str(data, "token", token);
	add_str(data, "firstName", doc_str(&reg, "firstName"));
	s = doc_str(&reg, "status");
	if (done)
		json_object_object_add(data, "done", json_object_new_boolean(true));
	else if (s && strcmp(s, "cancelled") == 0)
		json_object_object_add(data, "already", json_object_new_boolean(true));
	else
		json_object_object_add(data, "ask", json_object_new_boolean(true));
	if (doc_int(&reg, "amountPaidCents", 0) > 0)
		json_object_object_add(data, "paid", json_object_new_boolean(true));
	bson_destroy(&reg);
	bson_destroy(&ev);
	page_render(req, status, "event-annulation.html", data);
}

void site_event_cancel_page(struct http_req *req)
{
	cancel_page(req, 200, http_query(req, "r"), http_query(req, "token"), false);
}

void site_event_cancel_post(struct http_req *req)
{
	const char *id = http_form(req, "r"), *token = http_form(req, "token");
	bson_t reg;
	struct err e = { 0 };
	bson_oid_t rid;
	bool changed = false;
	store_t *st = conn_store(NULL);

	if (!event_reg_by_token(st, id, token, &reg, &e)) {
		fail_page(req, &e);
		return;
	}
	doc_oid(&reg, "_id", &rid);
	bson_destroy(&reg);
	if (!event_reg_cancel(st, account_now_ms(), &rid, "customer", &changed, NULL, NULL, &e)) {
		fail_page(req, &e);
		return;
	}
	cancel_page(req, 200, id, token, true);
}

/* ---- JSON ------------------------------------------------------------------------ */

void site_events_api(struct http_req *req)
{
	long limit = EVENT_PER_PAGE, page = 1;
	struct event_query q = { http_query(req, "category"), 1, EVENT_PER_PAGE };
	json_object *items = NULL, *o;
	int64_t total = 0;
	struct err e = { 0 };

	if (!http_query_long(req, "limit", 1, 50, &limit) || !http_query_long(req, "page", 1, 100000, &page))
		return;
	q.per_page = (int)limit;
	q.page = (int)page;
	if (!event_list(conn_store(NULL), account_now_ms(), &q, &items, &total, &e)) {
		http_send_err(req, &e);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "events", items);
	json_object_object_add(o, "pagination", http_pagination(page, limit, total));
	http_send_json(req, 200, o);
}

void site_event_api(struct http_req *req)
{
	json_object *ev = NULL, *o;
	struct err e = { 0 };

	if (!event_get_public(conn_store(NULL), account_now_ms(), http_param(req, "slug"), &ev, NULL, &e)) {
		http_send_err(req, &e);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "event", ev);
	http_send_json(req, 200, o);
}

void site_event_register_api(struct http_req *req)
{
	struct event_reg_input in = {
		jstr(req->json, "firstName"), jstr(req->json, "lastName"), jstr(req->json, "email"),
		jstr(req->json, "phone"), jstr(req->json, "message"),
	};
	struct event_reg_result res;
	struct err e = { 0 };
	json_object *o;

	if (!event_reg_check(&in, &e)) {
		http_send_err(req, &e);
		return;
	}
	if (!event_gate(req, jstr(req->json, "website"), false))
		return;
	if (!event_register(conn_store(NULL), account_now_ms(), http_param(req, "slug"), &in, &res, &e)) {
		http_send_err(req, &e);
		return;
	}
	o = json_object_new_object();
	add_str(o, "registrationId", res.id);
	add_str(o, "status", res.paid ? "awaiting_payment" : "confirmed");
	if (res.paid)
		add_str(o, "checkoutUrl", res.checkout_url);
	add_str(o, "message", res.paid ? "Votre place est réservée 30 minutes : réglez-la sur la page de paiement."
				       : "Votre inscription est confirmée : un e-mail vous a été envoyé.");
	http_send_json(req, 201, o);
}

void site_event_cancel_api(struct http_req *req)
{
	bson_t reg, ev;
	struct err e = { 0 };
	bson_oid_t rid, eid;
	bool changed = false, found = false;
	store_error_t se = { 0 };
	store_t *st = conn_store(NULL);
	const char *slug;
	json_object *o;

	if (!event_reg_by_token(st, http_param(req, "id"), jstr(req->json, "token"), &reg, &e)) {
		http_send_err(req, &e);
		return;
	}
	doc_oid(&reg, "_id", &rid);
	found = doc_oid(&reg, "eventId", &eid) && event_find(st, &eid, NULL, &ev, &found, &se) && found;
	bson_destroy(&reg);
	slug = found ? doc_str(&ev, "slug") : NULL;
	if (!slug || strcmp(slug, http_param(req, "slug")) != 0) {
		if (found)
			bson_destroy(&ev);
		http_error(req, 404, "not_found", "Ce lien d’annulation n’est pas valable.");
		return;
	}
	bson_destroy(&ev);
	if (!event_reg_cancel(st, account_now_ms(), &rid, "customer", &changed, NULL, NULL, &e)) {
		http_send_err(req, &e);
		return;
	}
	o = json_object_new_object();
	add_str(o, "status", "cancelled");
	json_object_object_add(o, "changed", json_object_new_boolean(changed));
	http_send_json(req, 200, o);
}
