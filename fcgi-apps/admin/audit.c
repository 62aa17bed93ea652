/*
 * audit.c — the audit log's screen (SPEC §9, admins): who did what,
 * when, from where, on which document, newest first, filtered by
 * collection, action or document, 50 a page. The entries are written by
 * the dispatcher (audit/api.h); this page only reads them.
 */
#include "admin.h"
#include "audit/api.h"
#include "audit/audit.h"
#include "booking/calendar.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/template.h"
#include "web/page.h"

#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE 50
#define VALUE_MAX 80
#define CHANGES_SHOWN 8   /* a creation lists every field: the rest is counted */

/* A value as text ("—" when absent), cut at `max` bytes (0: whole) with
 * "…". Appended to `out`. */
static void value_text(json_object *v, bool present, size_t max, struct buf *out)
{
	const char *s;
	size_t len;

	if (!present) {
		buf_str(out, "—");
		return;
	}
	s = json_object_is_type(v, json_type_string) ? json_object_get_string(v)
	    : json_object_to_json_string_ext(v, max ? JSON_C_TO_STRING_PLAIN
					     : JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(s);
	if (max && len > max) {
		while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
			max--;     /* not inside a character */
		buf_add(out, s, max);
		buf_str(out, "…");
	} else {
		buf_add(out, s, len);
	}
}

/* [{field, before, after}] of an entry's changed fields, values cut at
 * `max` bytes (0: whole). */
static json_object *changes(json_object *entry, size_t max)
{
	json_object *before = NULL, *after = NULL, *arr = json_object_new_array();

	json_object_object_get_ex(entry, "before", &before);
	json_object_object_get_ex(entry, "after", &after);
	for (int pass = 0; pass < 2; pass++) {
		json_object *src = pass ? after : before, *other = pass ? before : after;
		if (!src || !json_object_is_type(src, json_type_object))
			continue;
		json_object_object_foreach(src, key, v) {
			json_object *ov = NULL, *c;
			bool in_other = other && json_object_is_type(other, json_type_object) &&
					json_object_object_get_ex(other, key, &ov);
			struct buf b = { 0 }, a = { 0 };
			if (pass && in_other)
				continue;   /* shown with before */
			value_text(pass ? ov : v, pass ? in_other : true, max, &b);
			value_text(pass ? v : ov, pass ? true : in_other, max, &a);
			buf_add(&b, "", 1);
			buf_add(&a, "", 1);
			c = json_object_new_object();
			admin_set_str(c, "field", key);
			admin_set_str(c, "before", b.data);
			admin_set_str(c, "after", a.data);
			buf_free(&b);
			buf_free(&a);
			json_object_array_add(arr, c);
		}
	}
	return arr;
}

/* The fields every view of an entry shows: when (Paris), who, where from,
 * what, on which document (linked when it has a screen). */
static void entry_fields(const bson_t *doc, json_object *e, json_object *row)
{
	json_object *actor = NULL, *v = NULL;
	char when[32], href[96];
	const char *coll = doc_str(doc, "collection"), *id = doc_str(doc, "documentId");

	admin_when(doc_date(doc, "at", 0), when, sizeof when);
	admin_set_str(row, "at", when);
	admin_set_str(row, "action", doc_str(doc, "action"));
	admin_set_str(row, "collection", coll);
	admin_set_str(row, "documentId", id);
	if (coll && id && strcmp(coll, "bookings") == 0 && strlen(id) == 24 &&
	    buf_fmt(href, sizeof href, "/booking/reservations/%s", id))
		admin_set_str(row, "href", href);
	admin_set_str(row, "ip", doc_str(doc, "ip"));
	admin_set_str(row, "requestId", doc_str(doc, "requestId"));
	if (json_object_object_get_ex(e, "actor", &actor) && actor) {
		if (json_object_object_get_ex(actor, "email", &v) && v)
			admin_set_str(row, "actor", json_object_get_string(v));
		if (json_object_object_get_ex(actor, "role", &v) && v)
			admin_set_str(row, "role", json_object_get_string(v));
		if (json_object_object_get_ex(actor, "user", &v) && v)
			admin_set_str(row, "actorId", json_object_get_string(v));
	}
}

static json_object *audit_row(const bson_t *doc, void *ctx)
{
	json_object *e = doc_to_json(doc), *row = json_object_new_object();
	json_object *all = changes(e, VALUE_MAX), *shown = json_object_new_array();
	size_t n = json_object_array_length(all);
	bson_oid_t eid;
	char hex[25], detail[64];

	(void)ctx;
	entry_fields(doc, e, row);
	if (doc_oid(doc, "_id", &eid)) {
		bson_oid_to_string(&eid, hex);
		if (buf_fmt(detail, sizeof detail, "/audit-log/%s", hex))
			admin_set_str(row, "detail", detail);
	}
	for (size_t i = 0; i < n && i < CHANGES_SHOWN; i++)
		json_object_array_add(shown, json_object_get(json_object_array_get_idx(all, i)));
	json_object_object_add(row, "changes", shown);
	if (n > CHANGES_SHOWN)
		json_object_object_add(row, "more", json_object_new_int64((int64_t)(n - CHANGES_SHOWN)));
	json_object_put(all);
	json_object_put(e);
	return row;
}

void admin_page_audit(struct http_req *req)
{
	static const char *const filters[] = {
		"actor", "action", "collection", "documentId", "from", "to", NULL,
	};
	struct err fe = { 0 };
	store_t *st = conn_store(NULL);
	const char *page_s = http_query(req, "page");
	long page = page_s ? strtol(page_s, NULL, 10) : 1;
	bson_t filter = BSON_INITIALIZER, *sort;
	const bson_t *passes[1] = { &filter };
	const char *day_error = "Une date s’écrit AAAA-MM-JJ.";
	json_object *data;
	bool bad;

	if (!st) {
		page_error(req, 503);
		bson_destroy(&filter);
		return;
	}
	if (page < 1 || page > 100000)
		page = 1;
	data = page_data(req, "Journal d’audit");
	page_section(data, "audit");
	bad = !audit_query_filter(req, false, &filter, &fe);
	/* a malformed day (typed in the address): said next to it */
	admin_filter_form(req, data, "/audit-log", (const struct admin_filter[]){
		{ .name = "actor", .id = "a-actor", .label = "Qui (e-mail)" },
		{ .name = "action", .id = "a-action", .label = "Action" },
		{ .name = "collection", .id = "a-collection", .label = "Collection" },
		{ .name = "documentId", .id = "a-doc", .label = "Document" },
		{ .name = "from", .id = "a-from", .label = "Du", .type = "date",
		  .error = bad && strcmp(fe.field, "from") == 0 ? day_error : NULL },
		{ .name = "to", .id = "a-to", .label = "Au", .type = "date",
		  .error = bad && strcmp(fe.field, "to") == 0 ? day_error : NULL } }, 6);
	if (bad) {
		json_object_object_add(data, "total", json_object_new_int64(0));
		page_render(req, 400, "audit-log.html", data);
		bson_destroy(&filter);
		return;
	}
	sort = BCON_NEW("at", BCON_INT32(-1), "_id", BCON_INT32(-1));
	admin_list_render(req, admin_list(req, st, &(struct admin_list){ .collection = AUDIT_COLLECTION,
				.keep = filters, .per_page = PAGE_SIZE, .sort = sort, .row = audit_row },
				passes, 1, page, data, NULL), "audit-log.html", data);
	bson_destroy(sort);
	bson_destroy(&filter);
}

void admin_page_audit_entry(struct http_req *req)
{
	store_t *st = http_store(req);
	bson_t doc;
	store_error_t se = { 0 };
	bool found;
	json_object *data, *e, *row, *all;

	if (!st)
		return;
	if (!audit_entry_find(st, http_param(req, "id"), &doc, &found, &se)) {
		page_error(req, 503);
		return;
	}
	if (!found) {
		page_error(req, 404);
		return;
	}
	data = page_data(req, "Entrée du journal d’audit");
	page_section(data, "audit");
	e = doc_to_json(&doc);
	row = json_object_new_object();
	entry_fields(&doc, e, row);
	all = changes(e, 0);
	json_object_object_add(row, "hasChanges", json_object_new_boolean(json_object_array_length(all) > 0));
	json_object_object_add(row, "changes", all);
	json_object_object_add(data, "entry", row);
	json_object_put(e);
	bson_destroy(&doc);
	page_render(req, 200, "audit-entry.html", data);
}
