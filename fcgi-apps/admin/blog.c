/*
 * blog.c — the blog's admin JSON API (SPEC §9 blog, staff):
 *   /api/blog/articles[/:id]     list (status, category, q, page, limit),
 *                                create, read, update, delete (soft)
 *   /api/blog/categories[/:id]   list, create, update, delete when empty
 *   /api/blog/preview            Markdown → the HTML the site will show
 * Every write is audited (ROUTE_AUDIT + audit_note); the rules live in
 * content/article_admin.h, shared with the pages of blog_pages.c.
 */
#include "admin.h"
#include "account/account.h"
#include "account/api.h"
#include "audit/api.h"
#include "content/article_admin.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/markdown.h"

#include <string.h>

#define LIST_LIMIT_MAX 100

static void hex_id(const bson_t *doc, char hex[25])
{
	bson_oid_t oid;

	hex[0] = '\0';
	if (doc_oid(doc, "_id", &oid))
		bson_oid_to_string(&oid, hex);
}

/* Audits the save of a `coll` document (created when id is NULL: 201)
 * and answers {key: j}; takes before, after and j. */
static void send_saved(struct http_req *req, const char *coll, const char *key, const char *id, bson_t *before,
		       bson_t *after, json_object *j)
{
	json_object *o = json_object_new_object();
	char hex[25];

	hex_id(after, hex);
	audit_note(req, coll, hex, id ? before : NULL, after);
	json_object_object_add(o, key, j);
	bson_destroy(before);
	bson_destroy(after);
	http_send_json(req, id ? 200 : 201, o);
}

/* Audits the deletion of the path's :id `coll` document and answers
 * {deleted: true}; takes before. */
static void send_deleted(struct http_req *req, const char *coll, bson_t *before)
{
	json_object *o = json_object_new_object();

	audit_note(req, coll, http_param(req, "id"), before, NULL);
	bson_destroy(before);
	json_object_object_add(o, "deleted", json_object_new_boolean(true));
	http_send_json(req, 200, o);
}

/* The staff's JSON of a stored article, content included. */
static json_object *article_full_json(const bson_t *doc)
{
	json_object *j = doc_to_json(doc);
	char hex[25];

	hex_id(doc, hex);
	json_object_object_del(j, "searchTerms");
	json_object_object_add(j, "id", json_object_new_string(hex));
	json_object_object_add(j, "editorStatus",
			       json_object_new_string(article_admin_status(doc, account_now_ms())));
	return j;
}

const char *admin_blog_author(struct http_req *req)
{
	const struct auth_session *s = auth_session(req);
	const char *email = s ? doc_str(&s->user, "email") : NULL;
	return email ? email : s ? s->user_id_hex : NULL;
}

void admin_blog_articles_list(struct http_req *req)
{
	store_t *st = http_store(req);
	long page = 1, limit = 25;
	json_object *items = NULL, *o;
	int64_t total = 0;
	struct err e = { 0 };

	if (!st)
		return;
	if (!http_query_long(req, "page", 1, 100000, &page) ||
	    !http_query_long(req, "limit", 1, LIST_LIMIT_MAX, &limit))
		return;
	struct article_admin_query q = {
		http_query(req, "status"), http_query(req, "category"), http_query(req, "q"), page, limit,
	};
	if (!article_admin_list(st, account_now_ms(), &q, &items, &total, &e)) {
		http_send_err(req, &e);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "articles", items);
	json_object_object_add(o, "pagination", http_pagination(page, limit, total));
	http_send_json(req, 200, o);
}

void admin_blog_article_get(struct http_req *req)
{
	store_t *st = http_store(req);
	struct err e = { 0 };
	bson_t doc;
	json_object *o;

	if (!st)
		return;
	if (!article_admin_get(st, http_param(req, "id"), &doc, &e)) {
		http_send_err(req, &e);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "article", article_full_json(&doc));
	bson_destroy(&doc);
	http_send_json(req, 200, o);
}

static void article_write(struct http_req *req, const char *id)
{
	store_t *st = http_store(req);
	struct err e = { 0 };
	bson_t before, after;

	if (!st)
		return;
	if (!article_admin_save(st, account_now_ms(), id, req->json, admin_blog_author(req),
				&before, &after, &e)) {
		bson_destroy(&before);
		bson_destroy(&after);
		http_send_err(req, &e);
		return;
	}
	send_saved(req, "articles", "article", id, &before, &after, article_full_json(&after));
}

void admin_blog_article_create(struct http_req *req)
{
	article_write(req, NULL);
}

void admin_blog_article_update(struct http_req *req)
{
	article_write(req, http_param(req, "id"));
}

void admin_blog_article_delete(struct http_req *req)
{
	store_t *st = http_store(req);
	struct err e = { 0 };
	bson_t before;

	if (!st)
		return;
	if (!article_admin_delete(st, account_now_ms(), http_param(req, "id"), &before, &e)) {
		http_send_err(req, &e);
		return;
	}
	send_deleted(req, "articles", &before);
}

void admin_blog_preview(struct http_req *req)
{
	json_object *v, *o;
	struct buf html = { 0 };
	const char *src;

	if (!json_object_object_get_ex(req->json, "content", &v) || !json_object_is_type(v, json_type_string)) {
		http_error_field(req, 400, "invalid_request", "content", "content is a string.");
		return;
	}
	src = json_object_get_string(v);
	if (strlen(src) > ARTICLE_CONTENT_MAX) {
		http_error_field(req, 413, "too_large", "content", "Le contenu dépasse %d Ko.",
				 ARTICLE_CONTENT_MAX / 1024);
		return;
	}
	if (!markdown_render(src, strlen(src), &html)) {
		http_error(req, 500, "internal", "Internal error.");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "html", json_object_new_string(html.data ? html.data : ""));
	json_object_object_add(o, "readingTime", json_object_new_int(markdown_reading_minutes(src, strlen(src))));
	buf_free(&html);
	http_send_json(req, 200, o);
}

void admin_blog_categories_list(struct http_req *req)
{
	store_t *st = http_store(req);
	struct err e = { 0 };
	json_object *items, *o;

	if (!st)
		return;
	if (!article_category_list_all(st, &items, &e)) {
		http_send_err(req, &e);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "categories", items);
	http_send_json(req, 200, o);
}

static void category_write(struct http_req *req, const char *id)
{
	store_t *st = http_store(req);
	struct err e = { 0 };
	bson_t before, after;
	json_object *j;
	char hex[25];

	if (!st)
		return;
	if (!article_category_save(st, account_now_ms(), id, req->json, &before, &after, &e)) {
		bson_destroy(&before);
		bson_destroy(&after);
		http_send_err(req, &e);
		return;
	}
	hex_id(&after, hex);
	j = doc_to_json(&after);
	json_object_object_add(j, "id", json_object_new_string(hex));
	send_saved(req, "categories", "category", id, &before, &after, j);
}

void admin_blog_category_create(struct http_req *req)
{
	category_write(req, NULL);
}

void admin_blog_category_update(struct http_req *req)
{
	category_write(req, http_param(req, "id"));
}

void admin_blog_category_delete(struct http_req *req)
{
	store_t *st = http_store(req);
	struct err e = { 0 };
	bson_t before;

	if (!st)
		return;
	if (!article_category_delete(st, http_param(req, "id"), &before, &e)) {
		http_send_err(req, &e);
		return;
	}
	send_deleted(req, "categories", &before);
}
