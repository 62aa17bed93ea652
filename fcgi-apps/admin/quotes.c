/*
 * quotes.c — privatization quote requests for the staff (SPEC §9
 * messages): the list (status filter, 30 a page, new ones first, newest
 * first), a request's detail with its notes, and the form that changes
 * its status and notes (audited as quotes.update; the staff's badge is
 * told).
 */
#include "admin.h"
#include "booking/calendar.h"
#include "account/account.h"
#include "audit/api.h"
#include "conn/conn.h"
#include "content/quote.h"
#include "core/buf.h"
#include "core/doc.h"
#include "web/page.h"

#include <string.h>

#define PAGE_SIZE 30

static const char *badge_of(const char *status)
{
	if (status && strcmp(status, "won") == 0)
		return "badge badge-ok";
	if (status && (strcmp(status, "lost") == 0 || strcmp(status, "answered") == 0))
		return "badge badge-neutral";
	return "badge";
}

static json_object *status_options(const char *selected)
{
	const char *values[8], *labels[8];
	size_t n = 0;
	for (; quote_statuses[n].value && n < 7; n++) {
		values[n] = quote_statuses[n].value;
		labels[n] = quote_statuses[n].label;
	}
	values[n] = labels[n] = NULL;
	return admin_options(values, labels, selected);
}

static void quote_fields(json_object *row, const bson_t *doc)
{
	static const char *const keys[] = { "contactName", "company", "email", "phone", "date",
					    "startTime", "endTime", "message", "notes", NULL };
	const char *s = doc_str(doc, "status");
	char when[32];
	bson_oid_t id;

	for (size_t i = 0; keys[i]; i++)
		admin_set_str(row, keys[i], doc_str(doc, keys[i]));
	{
		/* the wished day as the booking screens write one ("lun. 15 févr. 2027") */
		int64_t day;
		char d[48];
		if (doc_str(doc, "date") && booking_parse_date(doc_str(doc, "date"), &day)) {
			admin_booking_day(day, d, sizeof d);
			admin_set_str(row, "date", d);
		}
	}
	if (doc_oid(doc, "_id", &id)) {
		char hex[25], href[64];
		bson_oid_to_string(&id, hex);
		(void)buf_fmt(href, sizeof href, "/quotes/%s", hex);
		admin_set_str(row, "href", href);
		admin_set_str(row, "id", hex);
	}
	admin_set_str(row, "eventType", quote_label(quote_event_types, doc_str(doc, "eventType")));
	admin_set_str(row, "attendees", quote_label(quote_attendees, doc_str(doc, "attendees")));
	admin_set_str(row, "statusLabel", quote_label(quote_statuses, s) ? quote_label(quote_statuses, s) : s);
	admin_set_str(row, "badge", badge_of(s));
	admin_when(doc_date(doc, "createdAt", 0), when, sizeof when);
	admin_set_str(row, "createdAt", when);
}

void admin_page_quotes(struct http_req *req)
{
	static const char *const keep[] = { "status", NULL };
	const char *status = http_query(req, "status");
	long page = 1;
	store_error_t se = { 0 };
	store_t *st;
	bson_t *sort, *passes[2] = { NULL, NULL }, *f;
	json_object *data;
	int64_t fresh = 0;
	size_t n;
	bool ok;

	if (!http_query_long(req, "page", 1, 100000, &page))
		return;
	if (status && *status && !quote_label(quote_statuses, status)) {
		http_error_field(req, 400, "invalid_request", "status", "Unknown status.");
		return;
	}
	if (!(st = conn_store(&se))) {
		page_error(req, 503);
		return;
	}
	data = page_data(req, "Demandes de devis");
	page_section(data, "quotes");
	admin_filter_form(req, data, "/quotes", (const struct admin_filter[]){
		{ .name = "status", .id = "q-status", .label = "Statut",
		  .options = status_options(status), .all = "Tous" } }, 1);
	f = BCON_NEW("status", BCON_UTF8("new"));
	ok = store_count(st, QUOTE_COLLECTION, f, &fresh, &se);
	bson_destroy(f);
	if (!ok) {
		admin_list_render(req, 503, "quotes.html", data);
		return;
	}
	json_object_object_add(data, "fresh", json_object_new_int64(fresh));
	/* new ones first, then the others (no order of the status names puts
	 * "new" first: "won" > "new" > "lost"), each newest first */
	sort = BCON_NEW("createdAt", BCON_INT32(-1), "_id", BCON_INT32(-1));
	if (status && *status) {
		passes[0] = BCON_NEW("status", BCON_UTF8(status));
		n = 1;
	} else {
		passes[0] = BCON_NEW("status", BCON_UTF8("new"));
		passes[1] = BCON_NEW("status", "{", "$ne", BCON_UTF8("new"), "}");
		n = 2;
	}
	admin_list_render(req, admin_list(req, st, &(struct admin_list){ .collection = QUOTE_COLLECTION,
				.keep = keep, .per_page = PAGE_SIZE, .sort = sort, .fields = quote_fields,
				.past_end_404 = true }, (const bson_t *const *)passes, n, page, data, NULL),
			  "quotes.html", data);
	for (size_t i = 0; i < n; i++)
		bson_destroy(passes[i]);
	bson_destroy(sort);
}

static void detail(struct http_req *req, int status, const bson_t *doc, const char *notice, const char *error)
{
	json_object *data = page_data(req, "Demande de devis"), *q = json_object_new_object();
	quote_fields(q, doc);
	json_object_object_add(q, "statusOptions", status_options(doc_str(doc, "status")));
	json_object_object_add(data, "quote", q);
	page_section(data, "quotes");
	if (notice)
		admin_set_str(data, "notice", notice);
	if (error)
		admin_set_str(data, "error", error);
	page_render(req, status, "quote.html", data);
}

void admin_page_quote(struct http_req *req)
{
	store_t *st = conn_store(NULL);
	bson_oid_t id;
	bson_t doc;

	if (!st) {
		page_error(req, 503);
		return;
	}
	if (!admin_load(req, st, QUOTE_COLLECTION, &doc, &id))
		return;
	detail(req, 200, &doc, http_query(req, "saved") ? "Demande enregistrée." : NULL, NULL);
	bson_destroy(&doc);
}

void admin_form_quote(struct http_req *req)
{
	const char *status = http_form(req, "status"), *notes = http_form(req, "notes");
	store_t *st = conn_store(NULL);
	store_error_t se = { 0 };
	bson_t before, after = BSON_INITIALIZER;
	bson_t *f = NULL, *update = NULL;
	bson_oid_t id;
	bool found = false;
	char location[64];

	if (!st) {
		page_error(req, 503);
		return;
	}
	if (!admin_load(req, st, QUOTE_COLLECTION, &before, &id))
		return;
	if (!quote_label(quote_statuses, status)) {
		detail(req, 422, &before, NULL, "Choisissez un statut dans la liste.");
		goto done;
	}
	if (notes && buf_utf8_chars(notes, strlen(notes)) > QUOTE_NOTES_MAX) {
		detail(req, 422, &before, NULL, "Les notes sont trop longues (5 000 caractères au plus).");
		goto done;
	}
	f = BCON_NEW("_id", BCON_OID(&id));
	update = BCON_NEW("$set", "{", "status", BCON_UTF8(status), "notes", BCON_UTF8(notes ? notes : ""),
			  "updatedAt", BCON_DATE_TIME(account_now_ms()), "}");
	if (!store_find_one_and_update(st, QUOTE_COLLECTION, f, update,
				       &(store_fam_opts_t){ .return_new = true }, &after, &found, &se) || !found) {
		page_error(req, found ? 503 : 404);
		goto done;
	}
	audit_note(req, QUOTE_COLLECTION, http_param(req, "id"), &before, &after);
	conn_publish_badge(CONN_BADGE_QUOTES);
	(void)buf_fmt(location, sizeof location, "/quotes/%s?saved=1", http_param(req, "id"));
	http_redirect(req, 303, location);
done:
	bson_destroy(&before);
	bson_destroy(&after);
	if (f)
		bson_destroy(f);
	if (update)
		bson_destroy(update);
}
