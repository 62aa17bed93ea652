/*
 * api.c — the chat's HTTP API, served by the site (customers) and admin
 * (staff) alike. See api.h; the rules and events are chat.c's.
 *
 * Concurrency: a conversation's participants (with their unreadCount) are
 * rewritten as a whole under an optimistic revision (`rev`, incremented
 * by every such write; a write whose revision moved is retried), so two
 * messages sent at once never lose an unread increment, on either store.
 */
#include "chat/api.h"
#include "chat/chat.h"
#include "account/account.h"
#include "account/api.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/doc.h"
#include "core/log.h"
#include "web/route.h"
#include "chat/ticket.h"
#include "conn/conn.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REV_RETRIES 8
#define CHAT_NAME_MAX 100          /* characters of a group's name */


struct chat_ctx {
	struct http_req *req;
	const struct auth_session *me;
	store_t *st;
	bool staff_view;
	int64_t now;
};

static bool ctx_init(struct chat_ctx *c, struct http_req *req)
{
	store_error_t err = { 0 };

	c->req = req;
	c->me = auth_session(req);
	c->staff_view = req->app->staff;
	c->now = account_now_ms();
	c->st = conn_store(&err);
	if (!c->me) {
		http_error(req, 401, "unauthorized", "Please sign in.");
		return false;
	}
	if (!c->st) {
		http_error(req, 503, "unavailable", "The service is temporarily unavailable.");
		return false;
	}
	return true;
}

/* The conversation of the path's :id the caller may read, into `out`
 * (initialised on success); otherwise the 404 (or error) is finished. */
static bool load_conversation(struct chat_ctx *c, bson_t *out)
{
	bson_oid_t id;
	bson_t filter = BSON_INITIALIZER;
	store_error_t err = { 0 };
	bool found = false, ok;

	if (!doc_parse_oid(http_param(c->req, "id"), &id)) {
		http_error(c->req, 404, "not_found", "No such conversation.");
		return false;
	}
	BSON_APPEND_OID(&filter, "_id", &id);
	ok = store_find_one(c->st, "conversations", &filter, NULL, out, &found, &err);
	bson_destroy(&filter);
	if (!ok) {
		http_send_store_fail(c->req, "chat: load conversation", &err);
		return false;
	}
	if (!found || !chat_can_access(out, &c->me->user_id, c->me->role, c->staff_view)) {
		bson_destroy(out);
		http_error(c->req, 404, "not_found", "No such conversation.");
		return false;
	}
	return true;
}

static json_object *message_json(struct chat_ctx *c, struct chat_user_cache *uc, const bson_t *msg)
{
	json_object *o = doc_to_json(msg);
	bson_oid_t sender;

	if (doc_oid(msg, "sender", &sender))
		json_object_object_add(o, "senderInfo", chat_user_cached(c->st, uc, &sender));
	return o;
}

/* ---- unread counts ------------------------------------------------- */

static int64_t unread_for(struct chat_ctx *c, const bson_t *conv)
{
	int idx;
	char key[64];
	bson_oid_t id;
	bson_t filter = BSON_INITIALIZER, ne, ne2;
	int64_t n = 0;
	store_error_t err = { 0 };

	if (chat_is_participant(conv, &c->me->user_id, &idx)) {
		snprintf(key, sizeof key, "participants.%d.unreadCount", idx);
		return doc_int(conv, key, 0);
	}
	/* staff who never opened this customer conversation: what they have
	 * not read of it */
	if (!doc_oid(conv, "_id", &id))
		return 0;
	BSON_APPEND_OID(&filter, "conversation", &id);
	BSON_APPEND_DOCUMENT_BEGIN(&filter, "sender", &ne);
	BSON_APPEND_OID(&ne, "$ne", &c->me->user_id);
	bson_append_document_end(&filter, &ne);
	BSON_APPEND_DOCUMENT_BEGIN(&filter, "readBy.user", &ne2);
	BSON_APPEND_OID(&ne2, "$ne", &c->me->user_id);
	bson_append_document_end(&filter, &ne2);
	if (!store_count(c->st, "messages", &filter, &n, &err))
		log_warn("chat: unread count: %s", err.message);
	bson_destroy(&filter);
	return n;
}

/* ---- conversation JSON --------------------------------------------- */

static json_object *conversation_json(struct chat_ctx *c, struct chat_user_cache *uc,
				      const bson_t *conv, int64_t unread)
{
	json_object *o = doc_to_json(conv), *people = json_object_new_array();
	bson_iter_t it, arr;
	bson_oid_t last;

	json_object_object_del(o, "rev");
	if (bson_iter_init_find(&it, conv, "participants") && BSON_ITER_HOLDS_ARRAY(&it) &&
	    bson_iter_recurse(&it, &arr)) {
		while (bson_iter_next(&arr)) {
			bson_iter_t p;
			if (BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_iter_recurse(&arr, &p) &&
			    bson_iter_find(&p, "user") && BSON_ITER_HOLDS_OID(&p))
				json_object_array_add(people, chat_user_cached(c->st, uc, bson_iter_oid(&p)));
		}
	}
	json_object_object_add(o, "people", people);
	json_object_object_add(o, "unreadCount", json_object_new_int64(unread));
	if (doc_oid(conv, "lastMessage", &last)) {
		bson_t filter = BSON_INITIALIZER, msg;
		bool found = false;
		store_error_t err = { 0 };
		BSON_APPEND_OID(&filter, "_id", &last);
		if (store_find_one(c->st, "messages", &filter, NULL, &msg, &found, &err)) {
			if (found)
				json_object_object_add(o, "lastMessage", message_json(c, uc, &msg));
			bson_destroy(&msg);
		}
		bson_destroy(&filter);
	}
	return o;
}

/*
 * A row holds its document by pointer (bson_copy), never a bson_t by
 * value: the rows are realloc'd and qsort'ed, and a bson_t must not be
 * moved. One larger than its inline buffer (120 bytes; any conversation
 * is) keeps pointers into itself (impl->buf = &impl->alloc), so a moved
 * copy reads through the old place: freed memory or another row's
 * document, and the worker crashed once a list had a dozen rows.
 */
struct conv_row {
	bson_t *doc;
	int64_t unread;
	int64_t last_at;
};

static int conv_row_cmp(const void *a, const void *b)
{
	const struct conv_row *x = a, *y = b;

	if ((x->unread > 0) != (y->unread > 0))
		return x->unread > 0 ? -1 : 1;
	return x->last_at < y->last_at ? 1 : x->last_at > y->last_at ? -1 : 0;
}

void chat_conversations_list(struct http_req *req)
{
	struct chat_ctx c;
	bson_t filter = BSON_INITIALIZER, sort = BSON_INITIALIZER, ne;
	store_find_opts_t opts = { .sort = &sort, .limit = 500 };
	store_cursor_t *cur;
	store_error_t err = { 0 };
	const bson_t *doc;
	struct conv_row *rows = NULL;
	size_t n = 0, cap = 0;
	bool only_unread = http_query(req, "unread") && strcmp(http_query(req, "unread"), "1") == 0;
	struct chat_user_cache uc = { .n = 0 };

	if (!ctx_init(&c, req))
		return;
	BSON_APPEND_DOCUMENT_BEGIN(&filter, "isDeleted", &ne);
	BSON_APPEND_BOOL(&ne, "$ne", true);
	bson_append_document_end(&filter, &ne);
	if (c.staff_view) {
		bson_t or, a, b;
		BSON_APPEND_ARRAY_BEGIN(&filter, "$or", &or);
		BSON_APPEND_DOCUMENT_BEGIN(&or, "0", &a);
		BSON_APPEND_UTF8(&a, "type", "direct");
		bson_append_document_end(&or, &a);
		BSON_APPEND_DOCUMENT_BEGIN(&or, "1", &b);
		BSON_APPEND_OID(&b, "participants.user", &c.me->user_id);
		bson_append_document_end(&or, &b);
		bson_append_array_end(&filter, &or);
	} else {
		BSON_APPEND_OID(&filter, "participants.user", &c.me->user_id);
	}
	BSON_APPEND_INT32(&sort, "lastMessageAt", -1);
	cur = store_find(c.st, "conversations", &filter, &opts, &err);
	bson_destroy(&filter);
	bson_destroy(&sort);
	if (!cur) {
		http_send_store_fail(req, "chat: list conversations", &err);
		return;
	}
	while (store_cursor_next(cur, &doc)) {
		int64_t unread = unread_for(&c, doc);
		if (only_unread && unread == 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			rows = realloc(rows, cap * sizeof *rows);
			if (!rows)
				abort();
		}
		rows[n].doc = bson_copy(doc);
		if (!rows[n].doc)
			abort();
		rows[n].unread = unread;
		rows[n].last_at = doc_date(doc, "lastMessageAt", doc_date(doc, "createdAt", 0));
		n++;
	}
	if (store_cursor_error(cur, &err)) {
		store_cursor_destroy(cur);
		for (size_t i = 0; i < n; i++)
			bson_destroy(rows[i].doc);
		free(rows);
		http_send_store_fail(req, "chat: list conversations", &err);
		return;
	}
	store_cursor_destroy(cur);
	if (c.staff_view && n > 1)   /* qsort(NULL, 0) is undefined */
		qsort(rows, n, sizeof *rows, conv_row_cmp);

	json_object *list = json_object_new_array();
	int64_t total_unread = 0;
	for (size_t i = 0; i < n; i++) {
		json_object_array_add(list, conversation_json(&c, &uc, rows[i].doc, rows[i].unread));
		total_unread += rows[i].unread;
		bson_destroy(rows[i].doc);
	}
	free(rows);
	chat_user_cache_free(&uc);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "conversations", list);
	json_object_object_add(o, "totalUnread", json_object_new_int64(total_unread));
	http_send_json(req, 200, o);
}

/* ---- creating conversations ----------------------------------------- */

static void append_participant(bson_t *arr, int i, const bson_oid_t *user, int64_t now)
{
	char key[16];
	bson_t p;

	snprintf(key, sizeof key, "%d", i);
	BSON_APPEND_DOCUMENT_BEGIN(arr, key, &p);
	BSON_APPEND_OID(&p, "user", user);
	BSON_APPEND_DATE_TIME(&p, "joinedAt", now);
	BSON_APPEND_DATE_TIME(&p, "lastReadAt", now);
	BSON_APPEND_INT32(&p, "unreadCount", 0);
	bson_append_document_end(arr, &p);
}

/* The customer's direct conversation with the café: the oldest one whose
 * participants include them. */
static bool find_direct(struct chat_ctx *c, bson_t *out, bool *found, store_error_t *err)
{
	bson_t filter = BSON_INITIALIZER, sort = BSON_INITIALIZER, ne;
	store_find_opts_t opts = { .sort = &sort };
	bool ok;

	BSON_APPEND_UTF8(&filter, "type", "direct");
	BSON_APPEND_OID(&filter, "participants.user", &c->me->user_id);
	BSON_APPEND_DOCUMENT_BEGIN(&filter, "isDeleted", &ne);
	BSON_APPEND_BOOL(&ne, "$ne", true);
	bson_append_document_end(&filter, &ne);
	BSON_APPEND_INT32(&sort, "createdAt", 1);
	BSON_APPEND_INT32(&sort, "_id", 1);
	ok = store_find_one(c->st, "conversations", &filter, &opts, out, found, err);
	bson_destroy(&filter);
	bson_destroy(&sort);
	return ok;
}

static void create_direct(struct chat_ctx *c)
{
	bson_t conv, doc = BSON_INITIALIZER, arr;
	bool found = false;
	store_error_t err = { 0 };
	bson_oid_t id;
	struct chat_user_cache uc = { .n = 0 };
	int status = 200;

	if (!find_direct(c, &conv, &found, &err)) {
		http_send_store_fail(c->req, "chat: find conversation", &err);
		return;
	}
	if (!found) {
		/* Insert, then keep the oldest: two requests racing both insert,
		 * both then read the same oldest one, and the newer is removed. */
		bson_destroy(&conv);
		bson_oid_init(&id, NULL);
		BSON_APPEND_OID(&doc, "_id", &id);
		BSON_APPEND_UTF8(&doc, "type", "direct");
		BSON_APPEND_ARRAY_BEGIN(&doc, "participants", &arr);
		append_participant(&arr, 0, &c->me->user_id, c->now);
		bson_append_array_end(&doc, &arr);
		BSON_APPEND_OID(&doc, "createdBy", &c->me->user_id);
		BSON_APPEND_BOOL(&doc, "isDeleted", false);
		BSON_APPEND_INT32(&doc, "rev", 0);
		BSON_APPEND_DATE_TIME(&doc, "lastMessageAt", c->now);
		BSON_APPEND_DATE_TIME(&doc, "createdAt", c->now);
		BSON_APPEND_DATE_TIME(&doc, "updatedAt", c->now);
		bool ok = store_insert_one(c->st, "conversations", &doc, NULL, &err);
		bson_destroy(&doc);
		if (!ok || !find_direct(c, &conv, &found, &err) || !found) {
			if (ok && !found)
				bson_destroy(&conv);
			http_send_store_fail(c->req, "chat: create conversation", &err);
			return;
		}
		bson_oid_t kept;
		if (doc_oid(&conv, "_id", &kept) && !bson_oid_equal(&kept, &id)) {
			bson_t del = BSON_INITIALIZER;
			BSON_APPEND_OID(&del, "_id", &id);
			store_delete_one(c->st, "conversations", &del, NULL, &err);
			bson_destroy(&del);
		} else {
			status = 201;
		}
	}
	http_send_json(c->req, status, conversation_json(c, &uc, &conv, unread_for(c, &conv)));
	chat_user_cache_free(&uc);
	bson_destroy(&conv);
}

static void create_group(struct chat_ctx *c)
{
	json_object *name, *list;
	bson_t doc = BSON_INITIALIZER, arr, conv;
	store_error_t err = { 0 };
	bson_oid_t id, ids[50];
	int n = 0;
	struct chat_user_cache uc = { .n = 0 };

	if (!json_object_object_get_ex(c->req->json, "name", &name) ||
	    !json_object_is_type(name, json_type_string) ||
	    json_object_get_string_len(name) == 0 ||
	    buf_utf8_chars(json_object_get_string(name), (size_t)json_object_get_string_len(name)) >
		    CHAT_NAME_MAX) {
		http_error(c->req, 422, "validation_failed", "name: 1 to %d characters.", CHAT_NAME_MAX);
		bson_destroy(&doc);
		return;
	}
	if (!json_object_object_get_ex(c->req->json, "participants", &list) ||
	    !json_object_is_type(list, json_type_array) || json_object_array_length(list) > 49) {
		http_error(c->req, 422, "validation_failed", "participants: a list of up to 49 staff ids.");
		bson_destroy(&doc);
		return;
	}
	bson_oid_copy(&c->me->user_id, &ids[n++]);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *v = json_object_array_get_idx(list, i);
		bson_oid_t uid;
		bson_t user;
		bool found = false;
		int role = ROLE_PUBLIC;
		if (!json_object_is_type(v, json_type_string) ||
		    !doc_parse_oid(json_object_get_string(v), &uid)) {
			http_error(c->req, 422, "validation_failed", "participants: %zu is not an id.", i);
			bson_destroy(&doc);
			return;
		}
		if (!account_find_by_id(c->st, &uid, &user, &found, &err)) {
			http_send_store_fail(c->req, "chat: group participants", &err);
			bson_destroy(&doc);
			return;
		}
		if (found)
			account_user_role(c->st, &user, &role, &err);
		bson_destroy(&user);
		if (!found || role < ROLE_STAFF) {
			http_error(c->req, 422, "validation_failed",
				   "participants: %zu is not a staff member.", i);
			bson_destroy(&doc);
			return;
		}
		bool dup = false;
		for (int j = 0; j < n; j++)
			dup |= bson_oid_equal(&ids[j], &uid);
		if (!dup)
			bson_oid_copy(&uid, &ids[n++]);
	}
	bson_oid_init(&id, NULL);
	BSON_APPEND_OID(&doc, "_id", &id);
	BSON_APPEND_UTF8(&doc, "type", "group");
	BSON_APPEND_UTF8(&doc, "name", json_object_get_string(name));
	BSON_APPEND_ARRAY_BEGIN(&doc, "participants", &arr);
	for (int i = 0; i < n; i++)
		append_participant(&arr, i, &ids[i], c->now);
	bson_append_array_end(&doc, &arr);
	BSON_APPEND_OID(&doc, "createdBy", &c->me->user_id);
	BSON_APPEND_BOOL(&doc, "isDeleted", false);
	BSON_APPEND_INT32(&doc, "rev", 0);
	BSON_APPEND_DATE_TIME(&doc, "lastMessageAt", c->now);
	BSON_APPEND_DATE_TIME(&doc, "createdAt", c->now);
	BSON_APPEND_DATE_TIME(&doc, "updatedAt", c->now);
	if (!store_insert_one(c->st, "conversations", &doc, NULL, &err)) {
		bson_destroy(&doc);
		http_send_store_fail(c->req, "chat: create group", &err);
		return;
	}
	bson_copy_to(&doc, &conv);
	bson_destroy(&doc);
	http_send_json(c->req, 201, conversation_json(c, &uc, &conv, 0));
	chat_user_cache_free(&uc);
	bson_destroy(&conv);
}

void chat_conversations_create(struct http_req *req)
{
	struct chat_ctx c;
	json_object *type;

	if (!ctx_init(&c, req))
		return;
	if (c.staff_view) {
		if (!json_object_object_get_ex(req->json, "type", &type) ||
		    !json_object_is_type(type, json_type_string) ||
		    strcmp(json_object_get_string(type), "group") != 0) {
			http_error(req, 422, "validation_failed",
				   "type: staff create \"group\" conversations.");
			return;
		}
		create_group(&c);
	} else {
		create_direct(&c);
	}
}

/* ---- messages ------------------------------------------------------- */

/* The (createdAt, _id) position of message `hex` in `conv_id`. */
static bool message_position(struct chat_ctx *c, const bson_oid_t *conv_id, const char *hex,
			     bson_oid_t *id, int64_t *created, bool *found, store_error_t *err)
{
	bson_t filter = BSON_INITIALIZER, msg;
	bool ok;

	*found = false;
	if (!doc_parse_oid(hex, id))
		return true;
	BSON_APPEND_OID(&filter, "_id", id);
	BSON_APPEND_OID(&filter, "conversation", conv_id);
	ok = store_find_one(c->st, "messages", &filter, NULL, &msg, found, err);
	bson_destroy(&filter);
	if (ok) {
		*created = doc_date(&msg, "createdAt", 0);
		bson_destroy(&msg);
	}
	return ok;
}

/* {$or: [{createdAt: {op: t}}, {createdAt: t, _id: {op: id}}]} */
static void append_cursor(bson_t *filter, const char *op, int64_t t, const bson_oid_t *id)
{
	bson_t or, a, b, x, y;

	BSON_APPEND_ARRAY_BEGIN(filter, "$or", &or);
	BSON_APPEND_DOCUMENT_BEGIN(&or, "0", &a);
	BSON_APPEND_DOCUMENT_BEGIN(&a, "createdAt", &x);
	BSON_APPEND_DATE_TIME(&x, op, t);
	bson_append_document_end(&a, &x);
	bson_append_document_end(&or, &a);
	BSON_APPEND_DOCUMENT_BEGIN(&or, "1", &b);
	BSON_APPEND_DATE_TIME(&b, "createdAt", t);
	BSON_APPEND_DOCUMENT_BEGIN(&b, "_id", &y);
	BSON_APPEND_OID(&y, op, id);
	bson_append_document_end(&b, &y);
	bson_append_document_end(&or, &b);
	bson_append_array_end(filter, &or);
}

void chat_messages_list(struct http_req *req)
{
	struct chat_ctx c;
	bson_t conv, filter = BSON_INITIALIZER, sort = BSON_INITIALIZER, ne;
	bson_oid_t conv_id, at;
	const char *before = http_query(req, "before"), *after = http_query(req, "after");
	const char *limit_s = http_query(req, "limit");
	long limit = CHAT_PAGE_DEFAULT;
	int64_t t = 0;
	bool found;
	store_error_t err = { 0 };
	int dir = -1;

	if (!ctx_init(&c, req) || !load_conversation(&c, &conv))
		return;
	doc_oid(&conv, "_id", &conv_id);
	bson_destroy(&conv);
	if (limit_s) {
		char *end;
		limit = strtol(limit_s, &end, 10);
		if (*end || limit < 1 || limit > CHAT_PAGE_MAX) {
			http_error(req, 400, "invalid_request", "limit: a number from 1 to %d.", CHAT_PAGE_MAX);
			return;
		}
	}
	if (before && after) {
		http_error(req, 400, "invalid_request", "Use before or after, not both.");
		return;
	}
	BSON_APPEND_OID(&filter, "conversation", &conv_id);
	BSON_APPEND_DOCUMENT_BEGIN(&filter, "isDeleted", &ne);
	BSON_APPEND_BOOL(&ne, "$ne", true);
	bson_append_document_end(&filter, &ne);
	if (before || after) {
		if (!message_position(&c, &conv_id, before ? before : after, &at, &t, &found, &err)) {
			bson_destroy(&filter);
			http_send_store_fail(req, "chat: message cursor", &err);
			return;
		}
		if (!found) {
			bson_destroy(&filter);
			http_error(req, 400, "invalid_request", "%s: no such message here.",
				   before ? "before" : "after");
			return;
		}
		append_cursor(&filter, before ? "$lt" : "$gt", t, &at);
		if (after)
			dir = 1;
	}
	BSON_APPEND_INT32(&sort, "createdAt", dir);
	BSON_APPEND_INT32(&sort, "_id", dir);
	store_find_opts_t opts = { .sort = &sort, .limit = limit + 1 };
	store_cursor_t *cur = store_find(c.st, "messages", &filter, &opts, &err);
	bson_destroy(&filter);
	bson_destroy(&sort);
	if (!cur) {
		http_send_store_fail(req, "chat: list messages", &err);
		return;
	}
	json_object *list = json_object_new_array();
	struct chat_user_cache uc = { .n = 0 };
	const bson_t *doc;
	long n = 0;
	bool more = false;
	while (store_cursor_next(cur, &doc)) {
		if (n == limit) {
			more = true;
			break;
		}
		json_object_array_add(list, message_json(&c, &uc, doc));
		n++;
	}
	if (dir > 0) {
		/* read oldest first to find the page; answer newest first */
		json_object *rev = json_object_new_array();
		for (size_t i = json_object_array_length(list); i-- > 0;)
			json_object_array_add(rev, json_object_get(json_object_array_get_idx(list, i)));
		json_object_put(list);
		list = rev;
	}
	chat_user_cache_free(&uc);
	if (store_cursor_error(cur, &err)) {
		store_cursor_destroy(cur);
		json_object_put(list);
		http_send_store_fail(req, "chat: list messages", &err);
		return;
	}
	store_cursor_destroy(cur);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "messages", list);
	json_object_object_add(o, "hasMore", json_object_new_boolean(more));
	http_send_json(req, 200, o);
}

/* Trims `s` into a new string; counts code points into *chars. */
static char *trimmed(const char *s, size_t len, size_t *chars)
{
	const char *e = s + len;
	char *out;

	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	out = strndup(s, (size_t)(e - s));
	*chars = buf_utf8_chars(out, strlen(out));
	return out;
}

static void publish(const bson_t *conv, json_object *event)
{
	if (!chat_publish(conv, event))
		log_warn("chat: event not published (Redis down); clients catch up on reconnect");
}

/*
 * Rewrites the participants of `conv` under its revision: `sender` (may
 * be NULL) joins when absent, every other participant gets `bump` more
 * unread (0: unchanged), and `reader` (may be NULL) is reset to 0 unread
 * with lastReadAt = now. Retries when another write got in between; on
 * success `conv` holds the new document.
 */
static bool update_participants(struct chat_ctx *c, bson_t *conv, const bson_oid_t *sender,
				int bump, const bson_oid_t *reader, const bson_t *extra_set,
				store_error_t *err)
{
	for (int attempt = 0; attempt < REV_RETRIES; attempt++) {
		bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set, arr, inc;
		bson_iter_t it, parts;
		bson_oid_t id;
		int64_t rev = doc_int(conv, "rev", -1);
		int i = 0;
		bool joined = sender && chat_is_participant(conv, sender, NULL);
		bool found = false, ok;

		doc_oid(conv, "_id", &id);
		BSON_APPEND_OID(&filter, "_id", &id);
		if (rev >= 0) {
			BSON_APPEND_INT64(&filter, "rev", rev);
		} else {
			bson_t ex;
			BSON_APPEND_DOCUMENT_BEGIN(&filter, "rev", &ex);
			BSON_APPEND_BOOL(&ex, "$exists", false);
			bson_append_document_end(&filter, &ex);
		}
		BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
		BSON_APPEND_ARRAY_BEGIN(&set, "participants", &arr);
		if (bson_iter_init_find(&it, conv, "participants") && BSON_ITER_HOLDS_ARRAY(&it) &&
		    bson_iter_recurse(&it, &parts)) {
			while (bson_iter_next(&parts)) {
				bson_t p;
				bson_iter_t f;
				const bson_oid_t *user = NULL;
				char key[16];
				if (!BSON_ITER_HOLDS_DOCUMENT(&parts))
					continue;
				bson_iter_recurse(&parts, &f);
				bson_t old;
				uint32_t len;
				const uint8_t *data;
				bson_iter_document(&parts, &len, &data);
				bson_init_static(&old, data, len);
				bson_oid_t uid;
				if (doc_oid(&old, "user", &uid))
					user = &uid;
				bool is_reader = user && reader && bson_oid_equal(user, reader);
				bool is_sender = user && sender && bson_oid_equal(user, sender);
				snprintf(key, sizeof key, "%d", i++);
				BSON_APPEND_DOCUMENT_BEGIN(&arr, key, &p);
				while (bson_iter_next(&f)) {
					const char *k = bson_iter_key(&f);
					if (strcmp(k, "unreadCount") == 0 || (is_reader && strcmp(k, "lastReadAt") == 0))
						continue;
					bson_append_iter(&p, k, -1, &f);
				}
				int64_t unread = doc_int(&old, "unreadCount", 0);
				if (is_reader)
					unread = 0;
				else if (!is_sender)
					unread += bump;
				BSON_APPEND_INT64(&p, "unreadCount", unread);
				if (is_reader)
					BSON_APPEND_DATE_TIME(&p, "lastReadAt", c->now);
				bson_append_document_end(&arr, &p);
			}
		}
		if (sender && !joined)
			append_participant(&arr, i++, sender, c->now);
		if (reader && !chat_is_participant(conv, reader, NULL) && !(sender && bson_oid_equal(sender, reader)))
			append_participant(&arr, i++, reader, c->now);
		bson_append_array_end(&set, &arr);
		BSON_APPEND_DATE_TIME(&set, "updatedAt", c->now);
		if (extra_set) {
			bson_iter_t x;
			bson_iter_init(&x, extra_set);
			while (bson_iter_next(&x))
				bson_append_iter(&set, bson_iter_key(&x), -1, &x);
		}
		bson_append_document_end(&update, &set);
		BSON_APPEND_DOCUMENT_BEGIN(&update, "$inc", &inc);
		BSON_APPEND_INT64(&inc, "rev", 1);
		bson_append_document_end(&update, &inc);

		store_fam_opts_t fo = { .return_new = true };
		bson_t out;
		ok = store_find_one_and_update(c->st, "conversations", &filter, &update, &fo,
					       &out, &found, err);
		bson_destroy(&filter);
		bson_destroy(&update);
		if (!ok)
			return false;
		if (found) {
			bson_destroy(conv);
			bson_copy_to(&out, conv);
			bson_destroy(&out);
			return true;
		}
		bson_destroy(&out);
		/* someone else wrote first: read again and retry */
		bson_t again, f2 = BSON_INITIALIZER;
		BSON_APPEND_OID(&f2, "_id", &id);
		ok = store_find_one(c->st, "conversations", &f2, NULL, &again, &found, err);
		bson_destroy(&f2);
		if (!ok)
			return false;
		if (!found) {
			bson_destroy(&again);
			err->code = STORE_ERR_NOT_FOUND;
			snprintf(err->message, sizeof err->message, "conversation vanished");
			return false;
		}
		bson_destroy(conv);
		bson_copy_to(&again, conv);
		bson_destroy(&again);
	}
	err->code = STORE_ERR_CONFLICT;
	snprintf(err->message, sizeof err->message, "too much contention on the conversation");
	return false;
}

void chat_messages_send(struct http_req *req)
{
	struct chat_ctx c;
	bson_t conv, msg = BSON_INITIALIZER, extra = BSON_INITIALIZER, empty;
	json_object *content, *reply;
	bson_oid_t conv_id, msg_id, reply_id;
	store_error_t err = { 0 };
	size_t chars;
	char *text;

	if (!ctx_init(&c, req))
		return;
	if (!json_object_object_get_ex(req->json, "content", &content) ||
	    !json_object_is_type(content, json_type_string)) {
		bson_destroy(&msg);
		bson_destroy(&extra);
		http_error(req, 400, "invalid_request", "content: a string is required.");
		return;
	}
	text = trimmed(json_object_get_string(content), (size_t)json_object_get_string_len(content), &chars);
	if (chars < 1 || chars > CHAT_CONTENT_MAX) {
		free(text);
		bson_destroy(&msg);
		bson_destroy(&extra);
		http_error(req, 422, "validation_failed", "content: 1 to %d characters.", CHAT_CONTENT_MAX);
		return;
	}
	if (!load_conversation(&c, &conv)) {
		free(text);
		bson_destroy(&msg);
		bson_destroy(&extra);
		return;
	}
	doc_oid(&conv, "_id", &conv_id);
	bool has_reply = json_object_object_get_ex(req->json, "replyTo", &reply) &&
			 !json_object_is_type(reply, json_type_null);
	if (has_reply) {
		int64_t t;
		bool found = false;
		if (!json_object_is_type(reply, json_type_string) ||
		    !message_position(&c, &conv_id, json_object_get_string(reply), &reply_id, &t, &found, &err) ||
		    !found) {
			free(text);
			bson_destroy(&msg);
			bson_destroy(&extra);
			bson_destroy(&conv);
			if (err.code)
				http_send_store_fail(req, "chat: reply target", &err);
			else
				http_error(req, 422, "validation_failed", "replyTo: no such message in this conversation.");
			return;
		}
	}
	bson_oid_init(&msg_id, NULL);
	BSON_APPEND_OID(&msg, "_id", &msg_id);
	BSON_APPEND_OID(&msg, "conversation", &conv_id);
	BSON_APPEND_OID(&msg, "sender", &c.me->user_id);
	BSON_APPEND_UTF8(&msg, "content", text);
	BSON_APPEND_UTF8(&msg, "type", "text");
	BSON_APPEND_ARRAY_BEGIN(&msg, "attachments", &empty);
	bson_append_array_end(&msg, &empty);
	BSON_APPEND_UTF8(&msg, "status", "sent");
	BSON_APPEND_ARRAY_BEGIN(&msg, "readBy", &empty);
	bson_append_array_end(&msg, &empty);
	if (has_reply)
		BSON_APPEND_OID(&msg, "replyTo", &reply_id);
	else
		BSON_APPEND_NULL(&msg, "replyTo");
	BSON_APPEND_BOOL(&msg, "isDeleted", false);
	BSON_APPEND_DATE_TIME(&msg, "createdAt", c.now);
	BSON_APPEND_DATE_TIME(&msg, "updatedAt", c.now);
	free(text);

	if (!store_insert_one(c.st, "messages", &msg, NULL, &err)) {
		bson_destroy(&msg);
		bson_destroy(&extra);
		bson_destroy(&conv);
		http_send_store_fail(req, "chat: insert message", &err);
		return;
	}
	BSON_APPEND_OID(&extra, "lastMessage", &msg_id);
	BSON_APPEND_DATE_TIME(&extra, "lastMessageAt", c.now);
	if (!update_participants(&c, &conv, &c.me->user_id, 1, NULL, &extra, &err))
		log_error("chat: message %s stored but conversation not updated: %s",
			  "(new)", err.message);
	bson_destroy(&extra);

	struct chat_user_cache uc = { .n = 0 };
	json_object *m = message_json(&c, &uc, &msg);
	chat_user_cache_free(&uc);
	json_object *event = json_object_new_object();
	json_object_object_add(event, "type", json_object_new_string("message"));
	json_object_object_add(event, "message", json_object_get(m));
	publish(&conv, event);
	/* a customer's message changes the staff's unread badge (SPEC §9) */
	if (req->role < ROLE_STAFF)
		(void)conn_publish_badge(CONN_BADGE_MESSAGES);
	bson_destroy(&msg);
	bson_destroy(&conv);
	http_send_json(req, 201, m);
}

void chat_mark_read(struct http_req *req)
{
	struct chat_ctx c;
	bson_t conv, filter = BSON_INITIALIZER, update = BSON_INITIALIZER, ne, ne2, push, rb, set;
	bson_oid_t conv_id;
	store_error_t err = { 0 };
	store_update_result_t res = { 0 };
	char ts[40], hex[25];

	if (!ctx_init(&c, req) || !load_conversation(&c, &conv))
		return;
	doc_oid(&conv, "_id", &conv_id);
	BSON_APPEND_OID(&filter, "conversation", &conv_id);
	BSON_APPEND_DOCUMENT_BEGIN(&filter, "sender", &ne);
	BSON_APPEND_OID(&ne, "$ne", &c.me->user_id);
	bson_append_document_end(&filter, &ne);
	BSON_APPEND_DOCUMENT_BEGIN(&filter, "readBy.user", &ne2);
	BSON_APPEND_OID(&ne2, "$ne", &c.me->user_id);
	bson_append_document_end(&filter, &ne2);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$push", &push);
	BSON_APPEND_DOCUMENT_BEGIN(&push, "readBy", &rb);
	BSON_APPEND_OID(&rb, "user", &c.me->user_id);
	BSON_APPEND_DATE_TIME(&rb, "readAt", c.now);
	bson_append_document_end(&push, &rb);
	bson_append_document_end(&update, &push);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	BSON_APPEND_UTF8(&set, "status", "read");
	bson_append_document_end(&update, &set);
	bool ok = store_update_many(c.st, "messages", &filter, &update, false, &res, &err);
	bson_destroy(&filter);
	bson_destroy(&update);
	if (!ok || !update_participants(&c, &conv, NULL, 0, &c.me->user_id, NULL, &err)) {
		bson_destroy(&conv);
		http_send_store_fail(req, "chat: mark read", &err);
		return;
	}
	doc_iso_time(c.now, ts, sizeof ts);
	bson_oid_to_string(&c.me->user_id, hex);
	json_object *event = json_object_new_object();
	json_object_object_add(event, "type", json_object_new_string("read"));
	json_object_object_add(event, "userId", json_object_new_string(hex));
	json_object_object_add(event, "readAt", json_object_new_string(ts));
	json_object_object_add(event, "count", json_object_new_int64(res.modified));
	publish(&conv, event);
	bson_destroy(&conv);

	json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(true));
	json_object_object_add(o, "marked", json_object_new_int64(res.modified));
	http_send_json(req, 200, o);
}

void chat_ticket(struct http_req *req)
{
	const struct auth_session *me = auth_session(req);
	char ticket[TICKET_MAX], ts[40], url[512];
	int64_t exp = account_now_ms() / 1000 + TICKET_TTL_S;

	if (!me) {
		http_error(req, 401, "unauthorized", "Please sign in.");
		return;
	}
	if (!ticket_issue(cfg->jwt_secret, me->user_id_hex, me->role, me->token_hash, exp,
			  ticket, sizeof ticket)) {
		http_error(req, 500, "internal", "Internal error (request %s).", req->request_id);
		return;
	}
	doc_iso_time(exp * 1000, ts, sizeof ts);
	if (cfg->ws_url && *cfg->ws_url) {
		snprintf(url, sizeof url, "%s?ticket=%s", cfg->ws_url, ticket);
	} else {
		const char *base = req->app->base_url();
		bool tls = strncmp(base, "https://", 8) == 0;
		snprintf(url, sizeof url, "%s%s/ws?ticket=%s", tls ? "wss://" : "ws://",
			 strstr(base, "://") ? strstr(base, "://") + 3 : base, ticket);
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ticket", json_object_new_string(ticket));
	json_object_object_add(o, "expiresAt", json_object_new_string(ts));
	json_object_object_add(o, "url", json_object_new_string(url));
	http_send_json(req, 200, o);
}
