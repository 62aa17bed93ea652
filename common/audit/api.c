/*
 * api.c — the audit log's HTTP face: notes, the dispatcher's hook, the
 * list. See api.h.
 */
#include "audit/api.h"
#include "account/account.h"
#include "account/api.h"
#include "audit/audit.h"
#include "booking/calendar.h"
#include "conn/conn.h"
#include "core/doc.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 100

void audit_note(struct http_req *req, const char *collection, const char *id,
		const bson_t *before, const bson_t *after)
{
	(void)req;   /* the notes are the process's: one request at a time */
	audit_note_add(collection, id, before, after);
}

void audit_export(struct http_req *req, const char *collection, long rows)
{
	bson_t after = BSON_INITIALIZER;

	BSON_APPEND_INT64(&after, "exported", rows);
	BSON_APPEND_UTF8(&after, "query", req->query ? req->query : "");
	audit_note(req, collection, NULL, NULL, &after);
	bson_destroy(&after);
}

void audit_route_done(struct http_req *req, const char *action)
{
	const struct auth_session *me = auth_session(req);
	struct audit_actor actor = { 0 };
	store_error_t se = { 0 };
	store_t *st;

	if (!action) {
		if (audit_pending())
			log_error("audit: %s %s noted changes but its route is not audited",
				  req->method_name, req->raw_path);
		audit_discard();
		return;
	}
	if (req->status >= 400 ||
	    ((req->method & (HTTP_GET | HTTP_HEAD)) && !audit_pending())) {
		audit_discard();   /* refused, or a read that exported nothing */
		return;
	}
	if (me) {
		actor.user = &me->user_id;
		actor.email = doc_str(&me->user, "email");
		actor.role = account_role_slug(me->role);
	}
	actor.ip = http_client_ip(req);
	actor.request_id = req->request_id;
	st = conn_store(&se);
	if (!st || !audit_flush(st, &actor, action, account_now_ms(), &se)) {
		/* the change is made and answered: say loudly it is not on record */
		log_error("audit: %s (request %s) not recorded: %s", action, req->request_id,
			  se.message);
		audit_discard();
	}
}

/* A day YYYY-MM-DD of the query as the instant its Paris day starts
 * (`next`: the day after's). */
static bool query_day(struct http_req *req, const char *key, bool next, int64_t *out,
		      struct err *e)
{
	const char *v = http_query(req, key);
	int64_t day;

	if (!booking_parse_date(v, &day))
		return err_set(e, 400, "invalid_request", key, "%s must be a day written YYYY-MM-DD.", key);
	*out = booking_paris_to_utc(day + (next ? 1 : 0), 0);
	return true;
}

bool audit_query_filter(struct http_req *req, bool strict, bson_t *filter, struct err *e)
{
	static const char *const exact[] = { "collection", "documentId", "action", NULL };
	static const char *const known[] = {
		"collection", "documentId", "action", "actor", "from", "to", "page", "limit", NULL,
	};
	const char *actor = http_query(req, "actor");
	const char *from = http_query(req, "from"), *to = http_query(req, "to");
	bson_oid_t id;

	for (size_t i = 0; strict && i < req->queryn; i++) {
		bool ok = false;
		for (int k = 0; known[k] && !ok; k++)
			ok = strcmp(req->queryv[i].key, known[k]) == 0;
		if (!ok)
			return err_set(e, 400, "unknown_filter", req->queryv[i].key,
				       "The log cannot be filtered by %.64s.", req->queryv[i].key);
	}
	for (int i = 0; exact[i]; i++) {
		const char *v = http_query(req, exact[i]);
		if (v && *v)
			BSON_APPEND_UTF8(filter, exact[i], v);
	}
	if (actor && *actor) {
		if (doc_parse_oid(actor, &id))
			BSON_APPEND_OID(filter, "actor.user", &id);
		else
			BSON_APPEND_UTF8(filter, "actor.email", actor);
	}
	if ((from && *from) || (to && *to)) {
		int64_t lo = 0, hi = 0;
		bson_t range;

		if (from && *from && !query_day(req, "from", false, &lo, e))
			return false;
		if (to && *to && !query_day(req, "to", true, &hi, e))
			return false;
		BSON_APPEND_DOCUMENT_BEGIN(filter, "at", &range);
		if (from && *from)
			BSON_APPEND_DATE_TIME(&range, "$gte", lo);
		if (to && *to)
			BSON_APPEND_DATE_TIME(&range, "$lt", hi);
		bson_append_document_end(filter, &range);
	}
	return true;
}

void audit_api_get(struct http_req *req)
{
	store_t *st = http_store(req);
	bson_t doc;
	store_error_t se = { 0 };
	bool found;
	json_object *o;

	if (!st)
		return;
	if (!audit_entry_find(st, http_param(req, "id"), &doc, &found, &se)) {
		http_send_store_fail(req, "audit: entry", &se);
		return;
	}
	if (!found) {
		http_error(req, 404, "not_found", "There is no such entry.");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "entry", doc_to_json(&doc));
	bson_destroy(&doc);
	http_send_json(req, 200, o);
}

void audit_api_list(struct http_req *req)
{
	store_error_t se = { 0 };
	store_t *st = conn_store(&se);
	long page = 1, limit = LIST_LIMIT_DEFAULT;
	bson_t filter = BSON_INITIALIZER, *sort = NULL;
	store_cursor_t *cur = NULL;
	const bson_t *doc;
	int64_t total = 0;
	json_object *o, *arr = NULL, *pg;
	struct err e;

	if (!http_query_long(req, "page", 1, 100000, &page) ||
	    !http_query_long(req, "limit", 1, LIST_LIMIT_MAX, &limit))
		goto done;
	if (!audit_query_filter(req, true, &filter, &e)) {
		http_send_err(req, &e);
		goto done;
	}
	if (!st || !store_count(st, AUDIT_COLLECTION, &filter, &total, &se))
		goto fail;
	sort = BCON_NEW("at", BCON_INT32(-1), "_id", BCON_INT32(-1));
	store_find_opts_t opts = { .sort = sort, .skip = (page - 1) * limit, .limit = limit };
	cur = store_find(st, AUDIT_COLLECTION, &filter, &opts, &se);
	if (!cur)
		goto fail;
	arr = json_object_new_array();
	while (store_cursor_next(cur, &doc))
		json_object_array_add(arr, doc_to_json(doc));
	if (store_cursor_error(cur, &se))
		goto fail;
	o = json_object_new_object();
	json_object_object_add(o, "entries", arr);
	arr = NULL;
	pg = http_pagination(page, limit, total);
	json_object_object_add(o, "pagination", pg);
	http_send_json(req, 200, o);
	goto done;
fail:
	store_fail(&e, "audit: list", &se);
	http_send_err(req, &e);
done:
	json_object_put(arr);
	if (cur)
		store_cursor_destroy(cur);
	if (sort)
		bson_destroy(sort);
	bson_destroy(&filter);
}
