/*
 * catalogue.c — the catalogue's admin API (SPEC §7 Staff operations, §9
 * "spaces and prices, services, hours and closures"): staff read, admins
 * write. Every write goes through booking/catalogue_edit.c (the forms of
 * catalogue_pages.c call the same functions) and notes before/after for
 * the audit log (the route table marks the routes ROUTE_AUDIT).
 *
 *   GET    /api/booking/spaces                      every space, inactive too
 *   POST   /api/booking/spaces                      create (one of the four types)
 *   GET    /api/booking/spaces/:spaceType
 *   PUT|PATCH /api/booking/spaces/:spaceType        change any members
 *   POST   /api/booking/spaces/:spaceType/deactivate
 *   POST   /api/booking/space-preview               the quote with unsaved values
 *   GET|POST /api/booking/services, PATCH /api/booking/services/:id,
 *   POST   /api/booking/services/:id/deactivate
 *   GET|PUT /api/settings/hours                     409 hours_conflict unless confirm
 *   POST   /api/settings/hours/closures, DELETE …/closures/:index,
 *   DELETE /api/settings/hours/annual-closures/:day
 */
#include "admin.h"
#include "account/account.h"
#include "audit/api.h"
#include "booking/api.h"
#include "booking/catalogue_edit.h"
#include "booking/price.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/doc.h"

#include <stdlib.h>
#include <string.h>

#define SPACES "spaceconfigurations"
#define SERVICES "additionalservices"
#define HOURS "globalhoursconfigurations"

static store_t *api_store(struct http_req *req)
{
	store_error_t se = { 0 };
	store_t *st = conn_store(&se);
	struct err e;

	if (!st) {
		store_fail(&e, "admin: catalogue", &se);
		http_send_err(req, &e);
	}
	return st;
}

static void note(struct http_req *req, const char *coll, const bson_t *before, const bson_t *after)
{
	bson_oid_t id;
	char hex[25] = "";

	if (doc_oid(after, "_id", &id) || doc_oid(before, "_id", &id))
		bson_oid_to_string(&id, hex);
	audit_note(req, coll, hex, bson_empty(before) ? NULL : before, after);
}

static void send_doc(struct http_req *req, int status, const char *key, const bson_t *doc)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, key, doc_to_json(doc));
	http_send_json(req, status, o);
}

int64_t admin_catalogue_today(void)
{
	int64_t day;
	int minute;

	booking_paris_local(account_now_ms(), &day, &minute);
	return day;
}

static void send_list(struct http_req *req, const char *coll, const char *key, const char *order)
{
	store_t *st = api_store(req);
	bson_t filter = BSON_INITIALIZER, *sort;
	store_cursor_t *cur;
	store_error_t se = { 0 };
	const bson_t *doc;
	json_object *arr, *o;
	struct err e;

	if (!st)
		return;
	/* every document (a few dozen at most); the deleted ones skipped below */
	sort = BCON_NEW(order, BCON_INT32(1), "_id", BCON_INT32(1));
	store_find_opts_t opts = { .sort = sort, .limit = 500 };
	cur = store_find(st, coll, &filter, &opts, &se);
	bson_destroy(&filter);
	bson_destroy(sort);
	if (!cur) {
		store_fail(&e, "admin: catalogue list", &se);
		http_send_err(req, &e);
		return;
	}
	arr = json_object_new_array();
	while (store_cursor_next(cur, &doc))
		if (!doc_bool(doc, "isDeleted", false))
			json_object_array_add(arr, doc_to_json(doc));
	if (store_cursor_error(cur, &se)) {
		store_cursor_destroy(cur);
		json_object_put(arr);
		store_fail(&e, "admin: catalogue list", &se);
		http_send_err(req, &e);
		return;
	}
	store_cursor_destroy(cur);
	o = json_object_new_object();
	json_object_object_add(o, key, arr);
	http_send_json(req, 200, o);
}

/* ---- spaces ------------------------------------------------------------------ */

void admin_spaces_list(struct http_req *req)
{
	send_list(req, SPACES, "spaces", "displayOrder");
}

void admin_space_get(struct http_req *req)
{
	store_t *st = api_store(req);
	struct err e = { 0 };
	bson_t doc;

	if (!st)
		return;
	if (!booking_space_doc(st, http_param(req, "spaceType"), &doc, &e)) {
		http_send_err(req, &e);
		return;
	}
	send_doc(req, 200, "space", &doc);
	bson_destroy(&doc);
}

/* A catalogue document's save (booking/catalogue_edit.h): a space or a
 * service, created (no id) or changed. */
typedef bool (*catalogue_save_fn)(store_t *st, const char *id, json_object *in, int64_t now, bson_t *before,
				  bson_t *after, struct err *e);

static bool catalogue_write(struct http_req *req, store_t *st, catalogue_save_fn save, const char *coll,
			    const char *id, json_object *in, bson_t *after, struct err *e)
{
	bson_t before;

	if (!save(st, id, in, account_now_ms(), &before, after, e))
		return false;
	note(req, coll, &before, after);
	bson_destroy(&before);
	return true;
}

/* The API's write: the saved document as {key: …} with `status`. */
static void catalogue_send_write(struct http_req *req, catalogue_save_fn save, const char *coll, const char *key,
				 const char *id, json_object *in, int status)
{
	store_t *st = api_store(req);
	struct err e = { 0 };
	bson_t after;

	if (!st)
		return;
	if (!catalogue_write(req, st, save, coll, id, in, &after, &e)) {
		http_send_err(req, &e);
		return;
	}
	send_doc(req, status, key, &after);
	bson_destroy(&after);
}

/* A deactivation: {isActive: false} written like a change. */
static void catalogue_deactivate(struct http_req *req, catalogue_save_fn save, const char *coll, const char *key,
				 const char *id)
{
	json_object *in = json_object_new_object();

	json_object_object_add(in, "isActive", json_object_new_boolean(false));
	catalogue_send_write(req, save, coll, key, id, in, 200);
	json_object_put(in);
}

bool admin_space_write(struct http_req *req, store_t *st, const char *type, json_object *in, bson_t *after,
		       struct err *e)
{
	return catalogue_write(req, st, booking_space_save, SPACES, type, in, after, e);
}

static void space_write(struct http_req *req, const char *type, json_object *in, int status)
{
	catalogue_send_write(req, booking_space_save, SPACES, "space", type, in, status);
}

void admin_space_create(struct http_req *req)
{
	space_write(req, NULL, req->json, 201);
}

void admin_space_update(struct http_req *req)
{
	space_write(req, http_param(req, "spaceType"), req->json, 200);
}

void admin_space_deactivate(struct http_req *req)
{
	catalogue_deactivate(req, booking_space_save, SPACES, "space", http_param(req, "spaceType"));
}

bool admin_space_preview(store_t *st, const char *type, json_object *space_in, json_object *example,
			 struct booking_quote *q, struct err *e)
{
	struct booking_space sp;
	struct booking_request rq;
	bson_t current, set = BSON_INITIALIZER;
	json_object *body;
	bool have = false, ok = false;
	char field[96];

	if (type && *type) {
		if (!booking_space_doc(st, type, &current, e)) {
			if (e->status != 404)
				goto done;
			memset(e, 0, sizeof *e);
		} else {
			have = true;
		}
	}
	if (!have && !json_object_object_get_ex(space_in, "spaceType", NULL) && type)
		json_object_object_add(space_in, "spaceType", json_object_new_string(type));
	if (!booking_space_check(space_in, have ? &current : NULL, &set, &sp, e))
		goto done;
	if (!json_object_is_type(example, json_type_object)) {
		err_set(e, 400, "invalid_request", "example", "example: {reservationType, date, startTime, endTime, numberOfPeople}.");
		goto done;
	}
	body = json_object_new_object();
	json_object_object_foreach(example, k, v)
		json_object_object_add(body, k, json_object_get(v));
	json_object_object_add(body, "spaceType", json_object_new_string(sp.space_type));
	ok = booking_api_read_request(body, &rq, e);
	json_object_put(body);
	if (!ok)
		goto named;
	sp.active = true;            /* a preview of the prices, even of a space not open yet */
	sp.requires_quote = false;
	ok = booking_price_quote(&sp, NULL, &rq, q, e);
named:
	if (!ok && e->field[0]) {    /* the example's fields, as the page names them */
		(void)buf_fmt(field, sizeof field, "example.%s", e->field);
		(void)buf_fmt(e->field, sizeof e->field, "%s", field);
	}
done:
	if (have)
		bson_destroy(&current);
	bson_destroy(&set);
	return ok;
}

void admin_space_preview_api(struct http_req *req)
{
	store_t *st = api_store(req);
	json_object *space = NULL, *example = NULL, *type = NULL, *o;
	struct booking_quote q;
	struct booking_request rq;
	struct err e = { 0 };

	if (!st)
		return;
	json_object_object_get_ex(req->json, "spaceType", &type);
	json_object_object_get_ex(req->json, "space", &space);
	json_object_object_get_ex(req->json, "example", &example);
	if (!type || !json_object_is_type(type, json_type_string)) {
		err_set(&e, 400, "invalid_request", "spaceType", "spaceType est obligatoire.");
		http_send_err(req, &e);
		return;
	}
	space = space ? json_object_get(space) : json_object_new_object();
	if (!json_object_is_type(space, json_type_object)) {
		json_object_put(space);
		err_set(&e, 400, "invalid_request", "space", "space est un objet.");
		http_send_err(req, &e);
		return;
	}
	if (!admin_space_preview(st, json_object_get_string(type), space, example, &q, &e)) {
		json_object_put(space);
		http_send_err(req, &e);
		return;
	}
	json_object_put(space);
	{
		json_object *body = json_object_new_object();
		json_object_object_foreach(example, k, v)
			json_object_object_add(body, k, json_object_get(v));
		json_object_object_add(body, "spaceType", json_object_get(type));
		(void)booking_api_read_request(body, &rq, &e);
		json_object_put(body);
	}
	o = json_object_new_object();
	json_object_object_add(o, "quote", booking_quote_json(&rq, &q));
	http_send_json(req, 200, o);
}

/* ---- services --------------------------------------------------------------------- */

void admin_services_list(struct http_req *req)
{
	send_list(req, SERVICES, "services", "order");
}

bool admin_service_write(struct http_req *req, store_t *st, const char *id, json_object *in, bson_t *after,
			 struct err *e)
{
	return catalogue_write(req, st, booking_service_save, SERVICES, id, in, after, e);
}

static void service_write(struct http_req *req, const char *id, json_object *in, int status)
{
	catalogue_send_write(req, booking_service_save, SERVICES, "service", id, in, status);
}

void admin_service_create(struct http_req *req)
{
	service_write(req, NULL, req->json, 201);
}

void admin_service_update(struct http_req *req)
{
	service_write(req, http_param(req, "id"), req->json, 200);
}

void admin_service_deactivate(struct http_req *req)
{
	catalogue_deactivate(req, booking_service_save, SERVICES, "service", http_param(req, "id"));
}

/* ---- hours and closures -------------------------------------------------------------- */

static void send_hours(struct http_req *req, store_t *st, int status)
{
	bson_t doc;
	bool stored;
	struct err e = { 0 };

	if (!booking_hours_doc(st, &doc, &stored, &e)) {
		http_send_err(req, &e);
		return;
	}
	send_doc(req, status, "hours", &doc);
	bson_destroy(&doc);
}

void admin_hours_get(struct http_req *req)
{
	store_t *st = api_store(req);

	if (st)
		send_hours(req, st, 200);
}

static bool confirmed(json_object *in)
{
	json_object *v = NULL;

	return json_object_object_get_ex(in, "confirm", &v) && json_object_get_boolean(v);
}

/* Sends a refusal; a 409 hours_conflict says how many bookings. */
static void send_hours_err(struct http_req *req, const struct err *e, int64_t conflicts)
{
	json_object *o, *er;

	if (e->status != 409) {
		http_send_err(req, e);
		return;
	}
	o = json_object_new_object();
	er = json_object_new_object();
	json_object_object_add(er, "code", json_object_new_string(e->code));
	json_object_object_add(er, "message", json_object_new_string(e->message));
	json_object_object_add(er, "field", json_object_new_string(e->field));
	json_object_object_add(er, "conflicts", json_object_new_int64(conflicts));
	json_object_object_add(o, "error", er);
	http_send_json(req, 409, o);
}

/* The hours written by `save` (the week's hours, or a closure added),
 * audited, sent back with `status`. */
typedef bool (*hours_save_fn)(store_t *st, json_object *in, bool confirmed, int64_t today, int64_t now,
			      int64_t *conflicts, bson_t *before, bson_t *after, struct err *e);

static void send_hours_noted(struct http_req *req, int status, bson_t *before, bson_t *after)
{
	note(req, HOURS, before, after);
	bson_destroy(before);
	send_doc(req, status, "hours", after);
	bson_destroy(after);
}

static void hours_write(struct http_req *req, hours_save_fn save, int status)
{
	store_t *st = api_store(req);
	struct err e = { 0 };
	bson_t before, after;
	int64_t conflicts = 0;

	if (!st)
		return;
	if (!save(st, req->json, confirmed(req->json), admin_catalogue_today(), account_now_ms(), &conflicts,
		  &before, &after, &e)) {
		send_hours_err(req, &e, conflicts);
		return;
	}
	send_hours_noted(req, status, &before, &after);
}

void admin_hours_put(struct http_req *req)
{
	hours_write(req, booking_hours_save, 200);
}

void admin_closure_add(struct http_req *req)
{
	hours_write(req, booking_closure_add, 201);
}

static void closure_delete(struct http_req *req, int index, const char *annual)
{
	store_t *st = api_store(req);
	struct err e = { 0 };
	bson_t before, after;

	if (!st)
		return;
	if (!booking_closure_delete(st, index, annual, account_now_ms(), &before, &after, &e)) {
		http_send_err(req, &e);
		return;
	}
	send_hours_noted(req, 200, &before, &after);
}

void admin_closure_delete(struct http_req *req)
{
	const char *s = http_param(req, "index");
	char *end;
	long n = s ? strtol(s, &end, 10) : -1;

	closure_delete(req, s && *s && !*end && n >= 0 && n < 100000 ? (int)n : -1, NULL);
}

void admin_annual_closure_delete(struct http_req *req)
{
	closure_delete(req, -1, http_param(req, "day"));
}
