/*
 * article.c — public articles, categories, search and views (article.h).
 */
#include "booking/calendar.h"
#include "content/article.h"
#include "content/article_admin.h"
#include "core/buf.h"
#include "core/crypto.h"
#include "core/doc.h"
#include "core/log.h"
#include "core/markdown.h"
#include "core/text.h"

#include <string.h>
#include <time.h>

void article_public_filter(bson_t *f, int64_t now)
{
	bson_t sub;
	BSON_APPEND_UTF8(f, "status", "published");
	BSON_APPEND_DOCUMENT_BEGIN(f, "publishedAt", &sub);
	BSON_APPEND_DATE_TIME(&sub, "$lte", now);
	bson_append_document_end(f, &sub);
	BSON_APPEND_DOCUMENT_BEGIN(f, "isDeleted", &sub);
	BSON_APPEND_BOOL(&sub, "$ne", true);
	bson_append_document_end(f, &sub);
}

/* "12 mars 2026" (Paris is never a day away from UTC at noon: good
 * enough for a date label) */
static json_object *date_label(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[40];
	gmtime_r(&t, &tm);
	buf_fmt(s, sizeof s, "%d %s %d", tm.tm_mday, booking_month_fr(tm.tm_mon + 1), tm.tm_year + 1900);
	return json_object_new_string(s);
}

/* The API form of an article of a list (no content, no searchTerms). */
json_object *article_list_json(const bson_t *doc)
{
	json_object *j = doc_to_json(doc);
	json_object_object_del(j, "searchTerms");
	json_object_object_del(j, "content");
	json_object_object_add(j, "dateLabel", date_label(doc_date(doc, "publishedAt", 0)));
	return j;
}

static bool find_category(store_t *st, const char *slug, bson_t *out, bool *found,
			  struct err *e)
{
	bson_t f = BSON_INITIALIZER, sub;
	store_error_t se = { 0 };
	bool ok;

	BSON_APPEND_UTF8(&f, "slug", slug);
	BSON_APPEND_DOCUMENT_BEGIN(&f, "isVisible", &sub);
	BSON_APPEND_BOOL(&sub, "$ne", false);
	bson_append_document_end(&f, &sub);
	ok = store_find_one(st, "categories", &f, NULL, out, found, &se);
	bson_destroy(&f);
	return ok || store_fail(e, "category", &se);
}

bool article_list(store_t *st, int64_t now, const struct article_query *q,
		  json_object **items, int64_t *total, json_object **category,
		  struct err *e)
{
	bson_t f = BSON_INITIALIZER, sort = BSON_INITIALIZER, cat;
	bool ok = false, found = false, have_cat = false;
	store_error_t se = { 0 };
	store_cursor_t *cur = NULL;
	const bson_t *doc;

	*items = NULL;
	*total = 0;
	if (category)
		*category = NULL;
	article_public_filter(&f, now);
	if (q->category) {
		bson_oid_t oid;
		if (!find_category(st, q->category, &cat, &found, e))
			goto done;
		have_cat = true;
		if (!found || !doc_oid(&cat, "_id", &oid)) {
			err_set(e, 404, "not_found", "category", "Cette catégorie n’existe pas.");
			goto done;
		}
		BSON_APPEND_OID(&f, "category", &oid);
		if (category)
			*category = doc_to_json(&cat);
	}
	if (q->q) {
		/* the search checks "public" itself (article_search.c) */
		bson_t sf = BSON_INITIALIZER;
		bson_oid_t oid;
		if (have_cat && doc_oid(&cat, "_id", &oid))
			BSON_APPEND_OID(&sf, "category", &oid);
		ok = article_search_ranked(st, now, &sf, q->q, q->page, q->per_page, items, total, e);
		bson_destroy(&sf);
		goto done;
	}
	if (!store_count(st, "articles", &f, total, &se)) {
		store_fail(e, "articles count", &se);
		goto done;
	}
	BSON_APPEND_INT32(&sort, "publishedAt", -1);
	/* publishedAt alone: the (status, publishedAt) index gives that order */

	bson_t proj = BSON_INITIALIZER;   /* a list shows neither text nor terms */
	BSON_APPEND_INT32(&proj, "content", 0);
	BSON_APPEND_INT32(&proj, "searchTerms", 0);
	store_find_opts_t opts = {
		.sort = &sort,
		.projection = &proj,
		.skip = (int64_t)(q->page - 1) * q->per_page,
		.limit = q->per_page,
	};
	cur = store_find(st, "articles", &f, &opts, &se);
	bson_destroy(&proj);
	if (!cur) {
		store_fail(e, "articles", &se);
		goto done;
	}
	*items = json_object_new_array();
	while (store_cursor_next(cur, &doc))
		json_object_array_add(*items, article_list_json(doc));
	if (store_cursor_error(cur, &se)) {
		store_fail(e, "articles", &se);
		goto done;
	}
	ok = true;
done:
	if (!ok) {
		json_object_put(*items);
		*items = NULL;
		if (category) {
			json_object_put(*category);
			*category = NULL;
		}
	}
	store_cursor_destroy(cur);
	if (have_cat)
		bson_destroy(&cat);
	bson_destroy(&f);
	bson_destroy(&sort);
	return ok;
}

/* {title, slug} of the public article just older (dir -1) or newer (+1)
 * than `at`, or NULL. */
static json_object *neighbour(store_t *st, int64_t now, int64_t at, int dir,
			      struct err *e, bool *ok)
{
	bson_t f = BSON_INITIALIZER, sort = BSON_INITIALIZER, out;
	store_error_t se = { 0 };
	bool found = false;
	json_object *j = NULL;

	article_public_filter(&f, now);
	bson_t and, c0, c1;
	BSON_APPEND_ARRAY_BEGIN(&f, "$and", &and);
	BSON_APPEND_DOCUMENT_BEGIN(&and, "0", &c0);
	BSON_APPEND_DOCUMENT_BEGIN(&c0, "publishedAt", &c1);
	BSON_APPEND_DATE_TIME(&c1, dir < 0 ? "$lt" : "$gt", at);
	bson_append_document_end(&c0, &c1);
	bson_append_document_end(&and, &c0);
	bson_append_array_end(&f, &and);
	BSON_APPEND_INT32(&sort, "publishedAt", dir);
	store_find_opts_t opts = { .sort = &sort, .limit = 1 };
	if (!store_find_one(st, "articles", &f, &opts, &out, &found, &se)) {
		*ok = store_fail(e, "article neighbour", &se);
	} else {
		if (found && doc_str(&out, "slug")) {
			j = json_object_new_object();
			json_object_object_add(j, "title", json_object_new_string(doc_str(&out, "title") ? doc_str(&out, "title") : ""));
			json_object_object_add(j, "slug", json_object_new_string(doc_str(&out, "slug")));
		}
		bson_destroy(&out);
	}
	bson_destroy(&f);
	bson_destroy(&sort);
	return j;
}

bool article_get(store_t *st, int64_t now, const char *slug,
		 json_object **article, struct err *e)
{
	bson_t f = BSON_INITIALIZER, doc;
	store_error_t se = { 0 };
	bool found = false, ok = true;
	struct buf html = { 0 };
	bson_oid_t cat;
	json_object *j;
	const char *md;

	*article = NULL;
	article_public_filter(&f, now);
	BSON_APPEND_UTF8(&f, "slug", slug);
	ok = store_find_one(st, "articles", &f, NULL, &doc, &found, &se);
	bson_destroy(&f);
	if (!ok)
		return store_fail(e, "article", &se);
	if (!found) {
		bson_destroy(&doc);
		return err_set(e, 404, "not_found", NULL, "Cet article n’existe pas.");
	}
	j = article_list_json(&doc);
	md = doc_str(&doc, "content");
	if (!markdown_render(md ? md : "", md ? strlen(md) : 0, &html))
		buf_str(&html, "");
	json_object_object_add(j, "html", json_object_new_string(html.data ? html.data : ""));
	buf_free(&html);
	if (!json_object_object_get_ex(j, "readingTime", NULL))
		json_object_object_add(j, "readingTime",
				       json_object_new_int(markdown_reading_minutes(md ? md : "", md ? strlen(md) : 0)));
	if (doc_oid(&doc, "category", &cat)) {
		bson_t cf = BSON_INITIALIZER, c;
		bool cfound = false;
		BSON_APPEND_OID(&cf, "_id", &cat);
		if (store_find_one(st, "categories", &cf, NULL, &c, &cfound, &se)) {
			if (cfound)
				json_object_object_add(j, "category", doc_to_json(&c));
			bson_destroy(&c);
		}
		bson_destroy(&cf);
	}
	int64_t at = doc_date(&doc, "publishedAt", 0);
	json_object *prev = neighbour(st, now, at, -1, e, &ok);
	json_object *next = ok ? neighbour(st, now, at, 1, e, &ok) : NULL;
	if (prev)
		json_object_object_add(j, "previous", prev);
	if (next)
		json_object_object_add(j, "next", next);
	bson_destroy(&doc);
	if (!ok) {
		json_object_put(j);
		return false;
	}
	*article = j;
	return true;
}

bool article_categories(store_t *st, int64_t now, json_object **items,
			struct err *e)
{
	bson_t f = BSON_INITIALIZER, sort = BSON_INITIALIZER, sub;
	store_error_t se = { 0 };
	store_cursor_t *cur;
	const bson_t *doc;
	bool ok = true;

	*items = NULL;
	BSON_APPEND_DOCUMENT_BEGIN(&f, "isVisible", &sub);
	BSON_APPEND_BOOL(&sub, "$ne", false);
	bson_append_document_end(&f, &sub);
	BSON_APPEND_INT32(&sort, "order", 1);
	BSON_APPEND_INT32(&sort, "name", 1);
	store_find_opts_t opts = { .sort = &sort, .limit = 100 };
	cur = store_find(st, "categories", &f, &opts, &se);
	bson_destroy(&f);
	bson_destroy(&sort);
	if (!cur)
		return store_fail(e, "categories", &se);
	*items = json_object_new_array();
	while (ok && store_cursor_next(cur, &doc)) {
		bson_t cf = BSON_INITIALIZER;
		bson_oid_t oid;
		int64_t n = 0;
		json_object *j = doc_to_json(doc);
		if (doc_oid(doc, "_id", &oid)) {
			article_public_filter(&cf, now);
			BSON_APPEND_OID(&cf, "category", &oid);
			ok = store_count(st, "articles", &cf, &n, &se);
		}
		bson_destroy(&cf);
		json_object_object_add(j, "articleCount", json_object_new_int64(n));
		json_object_array_add(*items, j);
	}
	if (ok && store_cursor_error(cur, &se))
		ok = false;
	store_cursor_destroy(cur);
	if (!ok) {
		json_object_put(*items);
		*items = NULL;
		return store_fail(e, "categories", &se);
	}
	return true;
}

bool article_view(store_t *st, int64_t now, const char *slug,
		  const char *visitor, bool *counted, struct err *e)
{
	struct buf key = { 0 };
	char id[65];
	bson_t doc = BSON_INITIALIZER, f = BSON_INITIALIZER, u = BSON_INITIALIZER, inc;
	store_error_t se = { 0 };
	bool ok = true;

	*counted = false;
	buf_printf(&key, "%s\n%s\n%lld", visitor, slug, (long long)(now / 86400000));
	crypto_sha256_hex(key.data, key.len, id);
	buf_free(&key);
	BSON_APPEND_UTF8(&doc, "_id", id);
	BSON_APPEND_DATE_TIME(&doc, "at", now);
	if (!store_insert_one(st, "articleviews", &doc, NULL, &se)) {
		if (se.code != STORE_ERR_DUPLICATE_KEY)
			ok = store_fail(e, "article view", &se);
		goto done;
	}
	article_public_filter(&f, now);
	BSON_APPEND_UTF8(&f, "slug", slug);
	BSON_APPEND_DOCUMENT_BEGIN(&u, "$inc", &inc);
	BSON_APPEND_INT32(&inc, "viewCount", 1);
	bson_append_document_end(&u, &inc);
	store_update_result_t res = { 0 };
	if (!store_update_one(st, "articles", &f, &u, false, &res, &se))
		ok = store_fail(e, "article view", &se);
	*counted = ok && res.matched == 1;
done:
	bson_destroy(&doc);
	bson_destroy(&f);
	bson_destroy(&u);
	return ok;
}

/* ---- writing ------------------------------------------------------------ */

struct terms {
	bson_t *arr;
	struct buf seen;   /* "\nword\n"… */
	int n;
};

static void add_term(const char *w, size_t wlen, void *ctx)
{
	struct terms *t = ctx;
	struct buf key = { 0 };
	char idx[16];

	buf_str(&key, "\n");
	buf_add(&key, w, wlen);
	buf_str(&key, "\n");
	if (!t->seen.data || !strstr(t->seen.data, key.data)) {
		buf_add(&t->seen, key.data, key.len);
		buf_fmt(idx, sizeof idx, "%d", t->n++);
		bson_append_utf8(t->arr, idx, -1, w, (int)wlen);
	}
	buf_free(&key);
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		? json_object_get_string(v) : NULL;
}

bool article_category_put(store_t *st, int64_t now, json_object *doc,
			  struct err *e)
{
	const char *name = jstr(doc, "name"), *slug = jstr(doc, "slug");
	bson_t f = BSON_INITIALIZER, u = BSON_INITIALIZER, set;
	store_error_t se = { 0 };
	json_object *v;
	bool ok;

	if (!name || !*name)
		return err_set(e, 400, "validation_failed", "name", "Le nom est obligatoire.");
	if (!slug || !*slug)
		return err_set(e, 400, "validation_failed", "slug", "Le slug est obligatoire.");
	BSON_APPEND_UTF8(&f, "slug", slug);
	BSON_APPEND_DOCUMENT_BEGIN(&u, "$set", &set);
	BSON_APPEND_UTF8(&set, "name", name);
	BSON_APPEND_UTF8(&set, "description", jstr(doc, "description") ? jstr(doc, "description") : "");
	BSON_APPEND_UTF8(&set, "color", jstr(doc, "color") ? jstr(doc, "color") : "#4F46E5");
	BSON_APPEND_INT32(&set, "order", json_object_object_get_ex(doc, "order", &v) ? json_object_get_int(v) : 0);
	BSON_APPEND_BOOL(&set, "isVisible", json_object_object_get_ex(doc, "isVisible", &v) ? json_object_get_boolean(v) : true);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	bson_append_document_end(&u, &set);
	ok = store_update_one(st, "categories", &f, &u, true, NULL, &se);
	bson_destroy(&f);
	bson_destroy(&u);
	return ok || store_fail(e, "category put", &se);
}

bool article_put(store_t *st, int64_t now, json_object *doc, struct err *e)
{
	const char *title = jstr(doc, "title"), *content = jstr(doc, "content");
	const char *excerpt = jstr(doc, "excerpt"), *status = jstr(doc, "status");
	const char *cat = jstr(doc, "category");
	bson_t f = BSON_INITIALIZER, u = BSON_INITIALIZER, set, inc, arr, old;
	struct buf slug = { 0 }, all = { 0 };
	struct terms terms = { &arr, { 0 }, 0 };
	store_error_t se = { 0 };
	bool ok = false, found = false, old_cat = false, new_cat = false;
	bson_oid_t old_cat_id, new_cat_id;
	int64_t published = 0;
	json_object *v;

	if (!title || !*title)
		return err_set(e, 400, "validation_failed", "title", "Le titre est obligatoire.");
	if (!content)
		return err_set(e, 400, "validation_failed", "content", "Le contenu est obligatoire.");
	if (!status)
		status = "draft";
	if (jstr(doc, "slug"))
		buf_str(&slug, jstr(doc, "slug"));
	else
		text_slug(&slug, title, 80);
	BSON_APPEND_UTF8(&f, "slug", slug.data);
	if (!store_find_one(st, "articles", &f, NULL, &old, &found, &se)) {
		store_fail(e, "article put", &se);
		goto done;
	}
	if (found) {
		published = doc_date(&old, "publishedAt", 0);
		old_cat = doc_oid(&old, "category", &old_cat_id);
	}
	bson_destroy(&old);
	if (json_object_object_get_ex(doc, "publishedAt", &v) && json_object_is_type(v, json_type_int))
		published = json_object_get_int64(v);
	else if (!published && strcmp(status, "published") == 0)
		published = now;

	BSON_APPEND_DOCUMENT_BEGIN(&u, "$set", &set);
	BSON_APPEND_UTF8(&set, "title", title);
	BSON_APPEND_UTF8(&set, "excerpt", excerpt ? excerpt : "");
	BSON_APPEND_UTF8(&set, "content", content);
	BSON_APPEND_UTF8(&set, "status", status);
	BSON_APPEND_BOOL(&set, "isDeleted", false);
	if (jstr(doc, "featuredImage"))
		BSON_APPEND_UTF8(&set, "featuredImage", jstr(doc, "featuredImage"));
	if (jstr(doc, "imgAlt"))
		BSON_APPEND_UTF8(&set, "imgAlt", jstr(doc, "imgAlt"));
	if (jstr(doc, "author"))
		BSON_APPEND_UTF8(&set, "author", jstr(doc, "author"));
	if (published)
		BSON_APPEND_DATE_TIME(&set, "publishedAt", published);
	BSON_APPEND_INT32(&set, "readingTime", markdown_reading_minutes(content, strlen(content)));
	if (cat) {
		bson_t c;
		bool cfound = false;
		bson_oid_t oid;
		if (!find_category(st, cat, &c, &cfound, e)) {
			bson_append_document_end(&u, &set);
			goto done;
		}
		if (cfound && doc_oid(&c, "_id", &oid)) {
			BSON_APPEND_OID(&set, "category", &oid);
			new_cat_id = oid;
			new_cat = true;
		}
		bson_destroy(&c);
	}
	buf_printf(&all, "%s\n%s\n%s", title, excerpt ? excerpt : "", content);
	BSON_APPEND_ARRAY_BEGIN(&set, "searchTerms", &arr);
	text_words(all.data, all.len, 2, add_term, &terms);
	bson_append_array_end(&set, &arr);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	bson_append_document_end(&u, &set);
	BSON_APPEND_DOCUMENT_BEGIN(&u, "$inc", &inc);
	BSON_APPEND_INT32(&inc, "viewCount", 0);
	BSON_APPEND_INT32(&inc, "likeCount", 0);
	bson_append_document_end(&u, &inc);
	if (!store_update_one(st, "articles", &f, &u, true, NULL, &se)) {
		store_fail(e, "article put", &se);
		goto done;
	}
	/* the categories' stored articleCount (article_admin.h) */
	if (old_cat && !article_category_recount(st, &old_cat_id, e))
		goto done;
	if (new_cat && !(old_cat && bson_oid_equal(&old_cat_id, &new_cat_id)) &&
	    !article_category_recount(st, &new_cat_id, e))
		goto done;
	ok = true;
done:
	bson_destroy(&f);
	bson_destroy(&u);
	buf_free(&slug);
	buf_free(&all);
	buf_free(&terms.seen);
	return ok;
}
