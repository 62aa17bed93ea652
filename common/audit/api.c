/*
 * api.c — the audit log's HTTP face: notes, the dispatcher's hook, the
 * list. See api.h.
 */
#include "audit/api.h"
#include "account/account.h"
#include "account/api.h"
#include "audit/audit.h"
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

void audit_api_list(struct http_req *req)
{
	static const char *const filters[] = { "collection", "documentId", "action", NULL };
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
	for (int i = 0; filters[i]; i++) {
		const char *v = http_query(req, filters[i]);
		if (v && *v)
			BSON_APPEND_UTF8(&filter, filters[i], v);
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
