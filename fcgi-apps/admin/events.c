/*
 * events.c — the staff's event screens (SPEC §9 events): the list, the
 * create and edit form (title, address, category, Markdown description,
 * date and times in Europe/Paris, place, seats, price in euros stored as
 * cents, published), publish / unpublish, duplicate, cancel the event
 * (every registrant mailed, paid tickets refunded; running it again
 * finishes what a first run left), the registrations with a cancel
 * button each, and their CSV export (web/csv.h: GET
 * /events/:id/registrations?format=csv, audited as
 * events.registrations.export). Plain HTML forms that come back to the page (303), no
 * script needed (blog-editor.js only sends a chosen image through the
 * article editor's upload, content/upload.h, and fills its address); every write is a ROUTE_AUDIT route and notes what it
 * changed with audit_note(). The rules are content/event.h and
 * content/registration.h.
 */
#include "admin.h"
#include "assets.h"
#include "account/account.h"
#include "account/api.h"
#include "audit/api.h"
#include "content/event.h"
#include "content/image.h"
#include "content/registration.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/money.h"
#include "core/template.h"
#include "web/csv.h"
#include "web/page.h"

#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE 25

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;
	return o && json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		? json_object_get_string(v) : NULL;
}

static const struct { const char *value, *label, *badge; } statuses[] = {
	{ "draft", "Brouillon", "badge badge-neutral" },
	{ "published", "Publié", "badge badge-ok" },
	{ "cancelled", "Annulé", "badge badge-neutral" },
	{ "archived", "Archivé", "badge badge-neutral" },
};

static const struct { const char *value, *label, *badge; } reg_statuses[] = {
	{ "confirmed", "Confirmée", "badge badge-ok" },
	{ "awaiting_payment", "Paiement en cours", "badge badge-warn" },
	{ "pending", "En cours", "badge badge-warn" },
	{ "cancelled", "Annulée", "badge badge-neutral" },
};

static void status_label(json_object *o, const char *status)
{
	for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++)
		if (status && strcmp(status, statuses[i].value) == 0) {
			admin_set_str(o, "statusLabel", statuses[i].label);
			admin_set_str(o, "badge", statuses[i].badge);
			json_object_object_add(o, status, json_object_new_boolean(true));
		}
}

/* ---- the list -------------------------------------------------------------- */

void admin_page_events(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	long page = 1;
	json_object *items = NULL, *data;
	int64_t total = 0;
	struct err e = { 0 };
	const char *done = http_query(req, "done");

	if (!st || !http_query_long(req, "page", 1, 100000, &page))
		return;
	if (!event_admin_list(st, account_now_ms(), (int)page, PAGE_SIZE, &items, &total, &e)) {
		page_error(req, e.status ? e.status : 500);
		return;
	}
	data = page_data(req, "Événements");
	page_section(data, "events");
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		json_object *r = json_object_array_get_idx(items, i);
		struct buf h = { 0 };
		buf_printf(&h, "/events/%s", jstr(r, "id") ? jstr(r, "id") : "");
		admin_set_str(r, "href", h.data);
		buf_free(&h);
		status_label(r, jstr(r, "status"));
	}
	json_object_object_add(data, "hasRows", json_object_new_boolean(json_object_array_length(items) > 0));
	json_object_object_add(data, "rows", items);
	json_object_object_add(data, "total", json_object_new_int64(total));
	admin_pager(req, data, page, total, PAGE_SIZE, NULL);
	if (done && strcmp(done, "deleted") == 0)
		admin_alert(data, "success", "L’événement est supprimé.");
	page_render(req, 200, "events.html", data);
}

/* ---- the form --------------------------------------------------------------- */

static void input_from_form(struct http_req *req, struct event_input *in)
{
	const char *pub = http_form(req, "published");
	*in = (struct event_input){
		.title = http_form(req, "title"), .slug = http_form(req, "slug"),
		.category = http_form(req, "category"), .short_description = http_form(req, "shortDescription"),
		.description = http_form(req, "description"), .date = http_form(req, "date"),
		.start_time = http_form(req, "startTime"), .end_time = http_form(req, "endTime"),
		.location = http_form(req, "location"), .capacity = http_form(req, "maxParticipants"),
		.price = http_form(req, "price"), .img_src = http_form(req, "imgSrc"),
		.img_alt = http_form(req, "imgAlt"), .published = pub && strcmp(pub, "1") == 0,
	};
}

/* The form's values: from what was typed (`in`), or the stored `doc`. */
static json_object *form_values(const struct event_input *in, const bson_t *doc)
{
	json_object *v = json_object_new_object();
	char price[32] = "", cap[16] = "";
	const char *category = NULL;

	if (in) {
		admin_set_str(v, "title", in->title);
		admin_set_str(v, "slug", in->slug);
		admin_set_str(v, "shortDescription", in->short_description);
		admin_set_str(v, "description", in->description);
		admin_set_str(v, "date", in->date);
		admin_set_str(v, "startTime", in->start_time);
		admin_set_str(v, "endTime", in->end_time);
		admin_set_str(v, "location", in->location);
		admin_set_str(v, "maxParticipants", in->capacity);
		admin_set_str(v, "price", in->price);
		admin_set_str(v, "imgSrc", in->img_src);
		admin_set_str(v, "imgAlt", in->img_alt);
		json_object_object_add(v, "published", json_object_new_boolean(in->published));
		category = in->category;
	} else if (doc) {
		static const char *const keys[] = { "title", "slug", "shortDescription", "description", "date",
						    "startTime", "endTime", "location", "imgSrc", "imgAlt", NULL };
		int64_t cents = doc_int(doc, "priceCents", 0);
		for (int i = 0; keys[i]; i++)
			admin_set_str(v, keys[i], doc_str(doc, keys[i]));
		(void)buf_fmt(cap, sizeof cap, "%lld", (long long)doc_int(doc, "maxParticipants", 0));
		admin_set_str(v, "maxParticipants", cap);
		if (cents > 0) {
			if (cents % 100)
				(void)buf_fmt(price, sizeof price, "%lld,%02lld", (long long)(cents / 100), (long long)(cents % 100));
			else
				(void)buf_fmt(price, sizeof price, "%lld", (long long)(cents / 100));
		}
		admin_set_str(v, "price", price);
		json_object_object_add(v, "published", json_object_new_boolean(
			doc_str(doc, "status") && strcmp(doc_str(doc, "status"), "published") == 0));
		category = doc_str(doc, "category.0");
	} else {
		admin_set_str(v, "maxParticipants", "20");
		admin_set_str(v, "startTime", "18:30");
		admin_set_str(v, "endTime", "20:00");
		admin_set_str(v, "location", "Open Space");
	}
	json_object *cats = json_object_new_array();
	for (int i = 0; event_categories_all[i]; i++) {
		json_object *c = json_object_new_object();
		admin_set_str(c, "label", event_categories_all[i]);
		if (category && strcmp(category, event_categories_all[i]) == 0)
			json_object_object_add(c, "selected", json_object_new_boolean(true));
		json_object_array_add(cats, c);
	}
	json_object_object_add(v, "categories", cats);
	return v;
}

/* The event page: the form, the actions, the registrations. `doc` is the
 * stored event (NULL: the create form). */
static void render_event(struct http_req *req, int status, store_t *st, const bson_t *doc,
			 const struct event_input *in, const struct err *e, const char *done)
{
	json_object *data, *form;
	bson_oid_t id;
	char idhex[25] = "";

	data = page_data(req, doc ? (doc_str(doc, "title") ? doc_str(doc, "title") : "Événement") : "Nouvel événement");
	page_section(data, "events");
	/* the image field sends a file like the article editor's */
	page_set(data, "script", ASSET_BLOG_EDITOR_JS);
	admin_set_str(data, "uploadEndpoint", admin_upload_endpoint());
	form = form_values(in, doc);
	if (e) {
		json_object *eo = json_object_new_object();
		admin_set_str(eo, "text", e->message);
		json_object_object_add(eo, e->field[0] ? e->field : "form", json_object_new_boolean(true));
		json_object_object_add(form, "error", eo);
		if (!e->field[0] || !doc)
			admin_alert(data, "error", e->message);
	}
	json_object_object_add(data, "form", form);
	if (doc && doc_oid(doc, "_id", &id)) {
		json_object *ev, *regs = NULL;
		struct err le = { 0 };
		int64_t taken = 0;
		store_error_t se = { 0 };
		bson_oid_to_string(&id, idhex);
		(void)event_seats_taken(st, &id, account_now_ms(), &taken, &se);
		ev = event_public_json(doc, taken);
		json_object_object_add(ev, "taken", json_object_new_int64(taken));
		status_label(ev, doc_str(doc, "status"));
		admin_set_str(ev, "id", idhex);
		json_object_object_add(data, "event", ev);
		if (event_reg_list(st, &id, NULL, &regs, &le)) {
			for (size_t i = 0; i < json_object_array_length(regs); i++) {
				json_object *r = json_object_array_get_idx(regs, i);
				const char *s = jstr(r, "status");
				for (size_t k = 0; k < sizeof reg_statuses / sizeof *reg_statuses; k++)
					if (s && strcmp(s, reg_statuses[k].value) == 0) {
						admin_set_str(r, "statusLabel", reg_statuses[k].label);
						admin_set_str(r, "badge", reg_statuses[k].badge);
					}
				json_object_object_add(r, "live", json_object_new_boolean(s && strcmp(s, "cancelled") != 0));
				json_object *cents;
				if (json_object_object_get_ex(r, "amountPaidCents", &cents) && json_object_get_int64(cents) > 0) {
					char eu[32];
					money_format(json_object_get_int64(cents), MONEY_SHORT, eu, sizeof eu);
					admin_set_str(r, "paidLabel", eu);
				}
			}
			json_object_object_add(data, "hasRegistrations", json_object_new_boolean(json_object_array_length(regs) > 0));
			json_object_object_add(data, "registrations", regs);
		}
		admin_set_str(data, "action", "");
	}
	if (done) {
		static const struct { const char *key, *text; } said[] = {
			{ "created", "L’événement est créé." },
			{ "saved", "Les modifications sont enregistrées." },
			{ "image", "L’image est envoyée : c’est désormais celle de l’événement." },
			{ "published", "L’événement est publié sur le site." },
			{ "unpublished", "L’événement est retiré du site (brouillon)." },
			{ "duplicated", "Voici la copie (brouillon) : modifiez-la puis publiez-la." },
			{ "cancelled", "L’événement est annulé : chaque inscrit a reçu un e-mail, les paiements sont remboursés." },
			{ "registration-cancelled", "L’inscription est annulée, la place libérée et la personne prévenue par e-mail." },
		};
		for (size_t i = 0; i < sizeof said / sizeof *said; i++)
			if (strcmp(said[i].key, done) == 0)
				admin_alert(data, "success", said[i].text);
	}
	admin_set_str(data, "formAction", doc ? "" : "/events");
	if (doc) {
		struct buf a = { 0 };
		buf_printf(&a, "/events/%s", idhex);
		admin_set_str(data, "formAction", a.data);
		buf_str(&a, "/image");   /* the no-script upload form */
		admin_set_str(data, "imageAction", a.data);
		json_object_object_add(data, "uploadLocal", json_object_new_boolean(admin_upload_local()));
		buf_free(&a);
	}
	page_render(req, status, "event.html", data);
}

void admin_page_event_new(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	if (st)
		render_event(req, 200, st, NULL, NULL, NULL, NULL);
}

/* The path's event into `out`; otherwise the 404 page is sent. */
static bool load_event(struct http_req *req, store_t *st, bson_oid_t *id, bson_t *out)
{
	store_error_t se = { 0 };
	bool found = false;

	if (!doc_parse_oid(http_param(req, "id"), id)) {
		page_error(req, 404);
		return false;
	}
	if (!event_find(st, id, NULL, out, &found, &se)) {
		page_error(req, 503);
		return false;
	}
	if (!found) {
		bson_destroy(out);
		page_error(req, 404);
		return false;
	}
	return true;
}

void admin_page_event(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	bson_oid_t id;
	bson_t doc;

	if (!st || !load_event(req, st, &id, &doc))
		return;
	render_event(req, 200, st, &doc, NULL, NULL, http_query(req, "done"));
	bson_destroy(&doc);
}

static void back_to(struct http_req *req, const bson_oid_t *id, const char *done)
{
	char hex[25], loc[96];
	bson_oid_to_string(id, hex);
	(void)buf_fmt(loc, sizeof loc, "/events/%s?done=%s", hex, done);
	http_redirect(req, 303, loc);
}

static const bson_oid_t *actor(struct http_req *req)
{
	return req->session ? &req->session->user_id : NULL;
}

static void note(struct http_req *req, const char *coll, const bson_oid_t *id, const bson_t *before,
		 const bson_t *after)
{
	char hex[25];
	bson_oid_to_string(id, hex);
	audit_note(req, coll, hex, before && !bson_empty(before) ? before : NULL, after);
}

void admin_form_event_create(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	struct event_input in;
	struct err e = { 0 };
	bson_oid_t id;
	bson_t after;

	if (!st)
		return;
	input_from_form(req, &in);
	if (!event_save(st, account_now_ms(), NULL, &in, actor(req), &id, NULL, &after, &e)) {
		render_event(req, e.status == 409 ? 409 : 422, st, NULL, &in, &e, NULL);
		return;
	}
	note(req, "events", &id, NULL, &after);
	bson_destroy(&after);
	back_to(req, &id, "created");
}

void admin_form_event_update(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	struct event_input in;
	struct err e = { 0 };
	bson_oid_t id;
	bson_t doc, before, after;

	if (!st || !load_event(req, st, &id, &doc))
		return;
	input_from_form(req, &in);
	if (!event_save(st, account_now_ms(), &id, &in, NULL, NULL, &before, &after, &e)) {
		render_event(req, e.status == 409 ? 409 : e.status == 404 ? 404 : 422, st, &doc, &in, &e, NULL);
		bson_destroy(&doc);
		return;
	}
	bson_destroy(&doc);
	note(req, "events", &id, &before, &after);
	bson_destroy(&before);
	bson_destroy(&after);
	back_to(req, &id, "saved");
}

/* POST /events/:id/image: the event form's no-script upload
 * (multipart/form-data, the file in `image`), stored like /api/uploads
 * and set as the event's image; the form again, with the error next to
 * the field, when it is refused. */
void admin_form_event_image(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	struct err e = { 0 };
	bson_oid_t id;
	bson_t doc, before, after;
	char *url = NULL;

	if (!st || !load_event(req, st, &id, &doc))
		return;
	if (doc_str(&doc, "status") && strcmp(doc_str(&doc, "status"), "cancelled") == 0)
		err_set(&e, 409, "event_cancelled", "image", "Cet événement est annulé.");
	if (e.status || !admin_upload_form_image(req, &url, &e) ||
	    !content_set_image(st, account_now_ms(), "events", "imgSrc", &id, url, &before, &after, &e)) {
		free(url);
		render_event(req, e.status >= 400 && e.status < 500 ? e.status : 500, st, &doc, NULL, &e, NULL);
		bson_destroy(&doc);
		return;
	}
	free(url);
	bson_destroy(&doc);
	note(req, "events", &id, &before, &after);
	bson_destroy(&before);
	bson_destroy(&after);
	back_to(req, &id, "image");
}

static void publish(struct http_req *req, bool on)
{
	store_t *st = admin_page_store(req);
	struct err e = { 0 };
	bson_oid_t id;
	bson_t doc, before, after;

	if (!st || !load_event(req, st, &id, &doc))
		return;
	if (!event_set_published(st, account_now_ms(), &id, on, &before, &after, &e)) {
		render_event(req, e.status ? e.status : 500, st, &doc, NULL, &e, NULL);
		bson_destroy(&doc);
		return;
	}
	bson_destroy(&doc);
	note(req, "events", &id, &before, &after);
	bson_destroy(&before);
	bson_destroy(&after);
	back_to(req, &id, on ? "published" : "unpublished");
}

void admin_form_event_publish(struct http_req *req)
{
	publish(req, true);
}

void admin_form_event_unpublish(struct http_req *req)
{
	publish(req, false);
}

void admin_form_event_duplicate(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	struct err e = { 0 };
	bson_oid_t id, nid;
	bson_t doc, after;

	if (!st || !load_event(req, st, &id, &doc))
		return;
	if (!event_duplicate(st, account_now_ms(), &id, actor(req), &nid, &after, &e)) {
		render_event(req, e.status ? e.status : 500, st, &doc, NULL, &e, NULL);
		bson_destroy(&doc);
		return;
	}
	bson_destroy(&doc);
	note(req, "events", &nid, NULL, &after);
	bson_destroy(&after);
	back_to(req, &nid, "duplicated");
}

void admin_form_event_cancel(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	struct err e = { 0 };
	bson_oid_t id;
	bson_t doc, before, after;
	int n = 0;

	if (!st || !load_event(req, st, &id, &doc))
		return;
	if (!event_cancel_event(st, account_now_ms(), &id, &n, &before, &after, &e)) {
		render_event(req, e.status ? e.status : 500, st, &doc, NULL, &e, NULL);
		bson_destroy(&doc);
		return;
	}
	bson_destroy(&doc);
	if (!bson_equal(&before, &after) || n > 0)
		note(req, "events", &id, &before, &after);
	bson_destroy(&before);
	bson_destroy(&after);
	back_to(req, &id, "cancelled");
}

void admin_form_event_registration_cancel(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	struct err e = { 0 };
	bson_oid_t id, rid;
	bson_t doc, before, after;
	bool changed = false;

	if (!st || !load_event(req, st, &id, &doc))
		return;
	if (!doc_parse_oid(http_param(req, "rid"), &rid)) {
		bson_destroy(&doc);
		page_error(req, 404);
		return;
	}
	{
		/* a registration of this event only */
		bson_t f = BSON_INITIALIZER;
		int64_t n = 0;
		store_error_t se = { 0 };
		BSON_APPEND_OID(&f, "_id", &rid);
		BSON_APPEND_OID(&f, "eventId", &id);
		bool ok = store_count(st, "eventregistrations", &f, &n, &se);
		bson_destroy(&f);
		if (!ok || n != 1) {
			bson_destroy(&doc);
			page_error(req, ok ? 404 : 503);
			return;
		}
	}
	if (!event_reg_cancel(st, account_now_ms(), &rid, "staff", &changed, &before, &after, &e)) {
		render_event(req, e.status ? e.status : 500, st, &doc, NULL, &e, NULL);
		bson_destroy(&doc);
		return;
	}
	bson_destroy(&doc);
	if (changed)
		note(req, "eventregistrations", &rid, &before, &after);
	bson_destroy(&before);
	bson_destroy(&after);
	back_to(req, &id, "registration-cancelled");
}

/* ---- the registrations as CSV ------------------------------------------------- */

void admin_event_registrations(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	const char *format = http_query(req, "format");
	json_object *regs = NULL;
	struct err e = { 0 };
	struct csv c;
	bson_oid_t id;
	bson_t doc;
	char name[64], hex[25];

	if (!st || !load_event(req, st, &id, &doc))
		return;
	bson_oid_to_string(&id, hex);
	if (!format || strcmp(format, "csv") != 0) {
		char loc[64];
		bson_destroy(&doc);
		(void)buf_fmt(loc, sizeof loc, "/events/%s", hex);
		http_redirect(req, 303, loc);
		return;
	}
	if (!event_reg_list(st, &id, NULL, &regs, &e)) {
		bson_destroy(&doc);
		page_error(req, e.status ? e.status : 500);
		return;
	}
	(void)buf_fmt(name, sizeof name, "inscriptions-%.40s.csv", doc_str(&doc, "slug") ? doc_str(&doc, "slug") : hex);
	bson_destroy(&doc);
	csv_begin(&c, req, name);
	static const char *const head[] = { "Prénom", "Nom", "E-mail", "Téléphone", "Message", "Statut",
					    "Inscrit le", "Payé (€)", "Motif d’annulation", NULL };
	for (int i = 0; head[i]; i++)
		csv_cell(&c, head[i]);
	csv_row_end(&c);
	for (size_t i = 0; i < json_object_array_length(regs); i++) {
		json_object *r = json_object_array_get_idx(regs, i), *v;
		const char *s = jstr(r, "status");
		const char *label = s;
		for (size_t k = 0; k < sizeof reg_statuses / sizeof *reg_statuses; k++)
			if (s && strcmp(s, reg_statuses[k].value) == 0)
				label = reg_statuses[k].label;
		csv_cell(&c, jstr(r, "firstName"));
		csv_cell(&c, jstr(r, "lastName"));
		csv_cell(&c, jstr(r, "email"));
		csv_cell(&c, jstr(r, "phone"));
		csv_cell(&c, jstr(r, "message"));
		csv_cell(&c, label);
		csv_cell(&c, jstr(r, "registeredAt"));
		if (json_object_object_get_ex(r, "amountPaidCents", &v))
			csv_cents(&c, json_object_get_int64(v));
		else
			csv_cell(&c, "");
		csv_cell(&c, jstr(r, "cancelReason"));
		csv_row_end(&c);
	}
	audit_export(req, "eventregistrations", (long)json_object_array_length(regs));
	json_object_put(regs);
	csv_end(&c);
}

/* ---- JSON (the original's admin paths) ------------------------------------------- */

void admin_api_events(struct http_req *req)
{
	store_t *st = http_store(req);
	long page = 1, limit = PAGE_SIZE;
	json_object *items = NULL, *o;
	int64_t total = 0;
	struct err e = { 0 };

	if (!st || !http_query_long(req, "page", 1, 100000, &page) || !http_query_long(req, "limit", 1, 100, &limit))
		return;
	if (!event_admin_list(st, account_now_ms(), (int)page, (int)limit, &items, &total, &e)) {
		http_send_err(req, &e);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "events", items);
	json_object_object_add(o, "pagination", http_pagination(page, limit, total));
	http_send_json(req, 200, o);
}

void admin_api_event_registrations(struct http_req *req)
{
	store_t *st = http_store(req);
	const char *status = http_query(req, "status");
	json_object *regs = NULL, *o;
	struct err e = { 0 };
	bson_oid_t id;

	if (!st)
		return;
	if (!doc_parse_oid(http_param(req, "id"), &id)) {
		http_error(req, 404, "not_found", "Cet événement n’existe pas.");
		return;
	}
	if (!event_reg_list(st, &id, status && *status ? status : NULL, &regs, &e)) {
		http_send_err(req, &e);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "registrations", regs);
	http_send_json(req, 200, o);
}
