/*
 * lists.c — what the list screens of the back office share (the
 * newsletter's subscribers, quote requests, contact mails, reservations,
 * payments, the audit log, the menu): the list itself (filters from the
 * query, count, a page of rows, the pager: admin_list), a date as the
 * staff read it, the pager of a list, a string member.
 */
#include "admin.h"
#include "audit/api.h"
#include "booking/calendar.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/log.h"
#include "core/template.h"
#include "web/page.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void admin_set_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

void admin_alert(json_object *data, const char *kind, const char *message)
{
	json_object *a = json_object_new_object();

	admin_set_str(a, "kind", kind);
	admin_set_str(a, "message", message);
	json_object_object_add(data, "alert", a);
}

store_t *admin_page_store(struct http_req *req)
{
	store_error_t se = { 0 };
	store_t *st = conn_store(&se);

	if (!st)
		page_error(req, 503);
	return st;
}

bool admin_load(struct http_req *req, store_t *st, const char *coll, bson_t *out, bson_oid_t *id)
{
	bson_t *f;
	store_error_t se = { 0 };
	bool found = false, ok;

	if (!doc_parse_oid(http_param(req, "id"), id)) {
		page_not_found(req);
		return false;
	}
	f = BCON_NEW("_id", BCON_OID(id));
	ok = store_find_one(st, coll, f, NULL, out, &found, &se);
	bson_destroy(f);
	if (!ok) {
		page_error(req, 503);
		return false;
	}
	if (!found) {
		bson_destroy(out);
		page_not_found(req);
		return false;
	}
	return true;
}

bool admin_update_noted(struct http_req *req, store_t *st, const char *coll, const bson_oid_t *id,
			const bson_t *update, const bson_t *before, store_error_t *se)
{
	bson_t *f = BCON_NEW("_id", BCON_OID(id)), after;
	bool found = false;
	bool ok = store_find_one_and_update(st, coll, f, update, &(store_fam_opts_t){ .return_new = true },
					    &after, &found, se);

	bson_destroy(f);
	if (!ok)
		return false;
	if (found)
		audit_note(req, coll, http_param(req, "id"), before, &after);
	bson_destroy(&after);
	return true;
}

bool admin_delete_noted(struct http_req *req, store_t *st, const char *coll, const bson_oid_t *id,
			const bson_t *before)
{
	bson_t *f = BCON_NEW("_id", BCON_OID(id));
	store_error_t se = { 0 };
	bool ok = store_delete_one(st, coll, f, NULL, &se);

	bson_destroy(f);
	if (!ok) {
		log_error("%s delete: %s", coll, se.message);
		return false;
	}
	audit_note(req, coll, http_param(req, "id"), before, NULL);
	return true;
}

void admin_when(int64_t ms, char *out, size_t len)
{
	int64_t day;
	int minute, y, m, d;

	if (ms <= 0) {
		(void)buf_fmt(out, len, "—");
		return;
	}
	booking_paris_local(ms, &day, &minute);
	booking_civil_from_days(day, &y, &m, &d);
	(void)buf_fmt(out, len, "%02d/%02d/%04d %02d:%02d", d, m, y, minute / 60, minute % 60);
}

/* "?status=…&q=…&page=N": the kept filters of the query, then the page. */
static void page_link(struct http_req *req, const char *const *keep, long page, struct buf *out)
{
	out->len = 0;
	for (size_t i = 0; keep && keep[i]; i++) {
		const char *v = http_query(req, keep[i]);
		char *enc;
		if (!v || !*v)
			continue;
		enc = tpl_url_encode(v);
		buf_printf(out, "%s%s=%s", out->len ? "&" : "?", keep[i], enc);
		free(enc);
	}
	buf_printf(out, "%spage=%ld", out->len ? "&" : "?", page);
}

void admin_pager(struct http_req *req, json_object *data, long page, int64_t total, long per_page,
		 const char *const *keep)
{
	int64_t pages = (total + per_page - 1) / per_page;
	struct buf link = { 0 };
	json_object *pg;

	if (pages <= 1)
		return;
	pg = json_object_new_object();
	json_object_object_add(pg, "page", json_object_new_int64(page));
	json_object_object_add(pg, "pages", json_object_new_int64(pages));
	if (page > 1) {
		page_link(req, keep, page - 1, &link);
		admin_set_str(pg, "prev", link.data);
	}
	if (page < pages) {
		page_link(req, keep, page + 1, &link);
		admin_set_str(pg, "next", link.data);
	}
	json_object_object_add(data, "pager", pg);
	buf_free(&link);
}

json_object *admin_options(const char *const *values, const char *const *labels, const char *selected)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; values[i]; i++) {
		json_object *o = json_object_new_object();
		admin_set_str(o, "value", values[i]);
		admin_set_str(o, "label", labels[i]);
		if (selected && strcmp(selected, values[i]) == 0)
			json_object_object_add(o, "selected", json_object_new_boolean(true));
		json_object_array_add(arr, o);
	}
	return arr;
}

bool admin_contains_folded(const char *hay, const char *needle)
{
	size_t n;
	if (!needle || !*needle)
		return true;
	if (!hay)
		return false;
	n = strlen(needle);
	for (const char *p = hay; *p; p++)
		if (strncasecmp(p, needle, n) == 0)
			return true;
	return false;
}

/* Pass `filter`'s rows of the window [*skip, *skip + *want) into rows;
 * *n its documents. */
static bool list_pass(store_t *st, const struct admin_list *l, const bson_t *filter, int64_t *skip,
		      int64_t *want, json_object *rows, int64_t *n, store_error_t *se)
{
	store_find_opts_t opts = { .sort = l->sort };
	store_cursor_t *cur;
	const bson_t *doc;
	bool ok;

	*n = 0;
	if (!l->match) {   /* the store counts and skips */
		if (!store_count(st, l->collection, filter, n, se))
			return false;
		if (*want <= 0 || *skip >= *n) {
			*skip = *skip >= *n ? *skip - *n : *skip;
			return true;
		}
		opts.skip = *skip;
		opts.limit = *want;
		*skip = 0;
	}
	if (!(cur = store_find(st, l->collection, filter, &opts, se)))
		return false;
	while (store_cursor_next(cur, &doc)) {
		if (l->match) {
			if (!l->match(doc, l->ctx))
				continue;
			++*n;
			if (*skip > 0) {
				--*skip;
				continue;
			}
			if (*want <= 0)
				continue;
		}
		if (l->row) {
			json_object_array_add(rows, l->row(doc, l->ctx));
		} else {
			json_object *row = json_object_new_object();
			l->fields(row, doc);
			json_object_array_add(rows, row);
		}
		--*want;
	}
	ok = !store_cursor_error(cur, se);
	store_cursor_destroy(cur);
	return ok;
}

bool admin_list_rows(store_t *st, const struct admin_list *l, const bson_t *const *passes, size_t n, long page,
		     json_object *rows, int64_t *total, int64_t *counts, store_error_t *se)
{
	int64_t skip = (int64_t)(page - 1) * l->per_page, want = l->per_page;

	*total = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t c = 0;
		if (!list_pass(st, l, passes[i], &skip, &want, rows, &c, se))
			return false;
		if (counts)
			counts[i] = c;
		*total += c;
	}
	return true;
}

int admin_list(struct http_req *req, store_t *st, const struct admin_list *l, const bson_t *const *passes,
	       size_t n, long page, json_object *data, int64_t *counts)
{
	store_error_t se = { 0 };
	json_object *rows = json_object_new_array();
	int64_t total = 0;

	json_object_object_add(data, "rows", rows);
	if (!admin_list_rows(st, l, passes, n, page, rows, &total, counts, &se)) {
		log_error("%s list: %s", l->collection, se.message);
		return 503;
	}
	if (l->past_end_404 && page > 1 && json_object_array_length(rows) == 0)
		return 404;
	json_object_object_add(data, "total", json_object_new_int64(total));
	json_object_object_add(data, "hasRows", json_object_new_boolean(json_object_array_length(rows) > 0));
	admin_pager(req, data, page, total, l->per_page, l->keep);
	return 200;
}

json_object *admin_list_json(store_t *st, const struct admin_list *l, const bson_t *filter, long page,
			     const char *key, store_error_t *se)
{
	json_object *rows = json_object_new_array(), *o;
	int64_t total = 0;

	if (!admin_list_rows(st, l, &filter, 1, page, rows, &total, NULL, se)) {
		json_object_put(rows);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, key, rows);
	json_object_object_add(o, "pagination", http_pagination(page, l->per_page, total));
	return o;
}

void admin_list_render(struct http_req *req, int status, const char *tpl, json_object *data)
{
	if (status == 200) {
		page_render(req, 200, tpl, data);
		return;
	}
	json_object_put(data);
	if (status == 404)
		page_not_found(req);
	else
		page_error(req, status);
}

json_object *admin_filter_form(struct http_req *req, json_object *data, const char *action,
			       const struct admin_filter *f, size_t n)
{
	json_object *form = json_object_new_object(), *fields = json_object_new_array();

	admin_set_str(form, "action", action);
	admin_set_str(form, "submit", "Filtrer");
	json_object_object_add(form, "wide", json_object_new_boolean(false));
	/* every member the template reads is set: none is looked up above */
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		admin_set_str(o, "name", f[i].name);
		admin_set_str(o, "id", f[i].id);
		admin_set_str(o, "label", f[i].label);
		json_object_object_add(o, "select", json_object_new_boolean(f[i].options != NULL));
		if (f[i].options) {
			admin_set_str(o, "all", f[i].all);
			json_object_object_add(o, "options", f[i].options);
		} else {
			admin_set_str(o, "type", f[i].type);
			admin_set_str(o, "value", f[i].value ? f[i].value : http_query(req, f[i].name));
			admin_set_str(o, "placeholder", f[i].placeholder);
			json_object_object_add(o, "maxlength", json_object_new_int(f[i].maxlength));
			admin_set_str(o, "error", f[i].error);
		}
		json_object_array_add(fields, o);
	}
	json_object_object_add(form, "fields", fields);
	json_object_object_add(data, "filterForm", form);
	return form;
}
