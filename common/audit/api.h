/*
 * api.h — the audit log's HTTP face (SPEC §9): the seam between a
 * handler, which says what it changed, and the dispatcher, which writes
 * it once the answer is known; and the admins' reading of the log.
 *
 * An app audits a route by naming an action in its route table (the
 * `audit` field of struct route, web/route.h) and setting
 * `.audit = audit_route_done` in its struct app. A handler of such a
 * route calls audit_note() for each document it changed; after a status
 * below 400 the dispatcher's hook writes one entry per note with the
 * signed-in actor, the client's address and the request id; after an
 * error the notes are dropped. Handlers never write the log themselves.
 */
#ifndef CWC_AUDIT_API_H
#define CWC_AUDIT_API_H

#include "web/http.h"

#include <bson/bson.h>

/* Notes that this request changed `collection`/`id` from `before` (NULL:
 * created) to `after` (NULL: deleted). Copies what it needs. */
void audit_note(struct http_req *req, const char *collection, const char *id,
		const bson_t *before, const bson_t *after);

/* Notes that this request exported `rows` rows of `collection` (a CSV
 * export, web/csv.h), with the query string that chose them. An audited
 * GET route writes an entry only when its handler called this: reading a
 * list as JSON is not on record, taking it away as a file is. */
void audit_export(struct http_req *req, const char *collection, long rows);

/* The struct app `audit` hook (see web/route.h). */
void audit_route_done(struct http_req *req, const char *action);

/* The filter of the log's list (the API and the screen) from the query:
 * `collection`, `documentId`, `action` (exact), `actor` (an account id,
 * or an e-mail address), `from` / `to` (days YYYY-MM-DD, Paris time, both
 * included). Appends to `filter`. False with `e` (400 naming the field)
 * for a malformed value, or — when `strict` — for a parameter that is
 * none of these nor page, limit. */
bool audit_query_filter(struct http_req *req, bool strict, bson_t *filter, struct err *e);

/* GET /api/audit-log?actor=&action=&collection=&documentId=&from=&to=
 * &page=&limit= (admin): newest first, {entries, pagination}; limit at
 * most 100; an undeclared parameter is a 400 naming it. */
void audit_api_list(struct http_req *req);

/* GET /api/audit-log/:id (admin): one entry, whole; 404 for an id that is
 * not one. There is no route that changes or removes an entry. */
void audit_api_get(struct http_req *req);

#endif
