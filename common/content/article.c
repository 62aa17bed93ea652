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

#include <stdlib.h>
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
	bson_t shown;
	json_object *j;

	/* left out before converting: the text and terms are most of it */
	bson_init(&shown);
	bson_copy_to_excluding_noinit(doc, &shown, "searchTerms", "content", NULL);
	j = doc_to_json(&shown);
	bson_destroy(&shown);
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
	{
		bson_oid_t oid;
		bool by_cat = have_cat && doc_oid(&cat, "_id", &oid);
		if (!article_public_count(st, now, by_cat ? &oid : NULL, total, e))
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

/* The HTML of the Markdown `md`, rendered once per worker for the last
 * RENDERED_SLOTS texts read (keyed by the whole text: an edit is a new
 * key, so nothing is ever stale). A new string for the caller. */
#define RENDERED_SLOTS 16
static struct {
	char *md, *html;
	size_t len;
	uint64_t used;
} rendered_cache[RENDERED_SLOTS];
static uint64_t rendered_clock;

static json_object *rendered(const char *md)
{
	size_t len = strlen(md), slot = 0;
	struct buf html = { 0 };
	json_object *j;

	for (size_t i = 0; i < RENDERED_SLOTS; i++) {
		if (rendered_cache[i].md && rendered_cache[i].len == len &&
		    memcmp(rendered_cache[i].md, md, len) == 0) {
			rendered_cache[i].used = ++rendered_clock;
			return json_object_new_string(rendered_cache[i].html);
		}
		if (rendered_cache[i].used < rendered_cache[slot].used)
			slot = i;
	}
	if (!markdown_render(md, len, &html))
		return json_object_new_string("");   /* not kept: may work next time */
	j = json_object_new_string(html.data ? html.data : "");
	char *m = strdup(md), *h = strdup(html.data ? html.data : "");
	if (m && h) {
		free(rendered_cache[slot].md);
		free(rendered_cache[slot].html);
		rendered_cache[slot].md = m;
		rendered_cache[slot].html = h;
		rendered_cache[slot].len = len;
		rendered_cache[slot].used = ++rendered_clock;
	} else {
		free(m);
		free(h);
	}
	buf_free(&html);
	return j;
}

bool article_get(store_t *st, int64_t now, const char *slug,
		 json_object **article, struct err *e)
{
	bson_t f = BSON_INITIALIZER, doc;
	store_error_t se = { 0 };
	bool found = false, ok = true;
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
	json_object_object_add(j, "html", rendered(md ? md : ""));
	if (!json_object_object_get_ex(j, "readingTime", NULL))
		json_object_object_add(j, "readingTime",
				       json_object_new_int(markdown_reading_minutes(md ? md : "", md ? strlen(md) : 0)));
	if (doc_oid(&doc, "category", &cat)) {
		json_object *c = NULL;
		struct err ce = { 0 };
		if (article_category_doc(st, now, &cat, &c, &ce) && c)
			json_object_object_add(j, "category", c);
	}
	int64_t at = doc_date(&doc, "publishedAt", 0);
	json_object *prev = NULL, *next = NULL;
	ok = article_neighbours(st, now, at, &prev, &next, e);
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
	/* seen today already (a reload, the next page): a read, not a write
	 * that would fail on the unique _id (writes queue behind each other) */
	{
		bson_t out;
		bool seen = false;
		if (!store_find_one(st, "articleviews", &doc, NULL, &out, &seen, &se)) {
			ok = store_fail(e, "article view", &se);
			goto done;
		}
		bson_destroy(&out);
		if (seen)
			goto done;
	}
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

void article_append_search_terms(bson_t *set, const char *title, const char *excerpt,
				 const char *content)
{
	struct buf all = { 0 };
	bson_t arr;
	struct terms terms = { &arr, { 0 }, 0 };

	buf_printf(&all, "%s\n%s\n%s", title, excerpt ? excerpt : "", content);
	BSON_APPEND_ARRAY_BEGIN(set, "searchTerms", &arr);
	text_words(all.data, all.len, 2, add_term, &terms);
	bson_append_array_end(set, &arr);
	buf_free(&all);
	buf_free(&terms.seen);
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
	bson_t f = BSON_INITIALIZER, u = BSON_INITIALIZER, set, inc, old;
	struct buf slug = { 0 };
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
	article_append_search_terms(&set, title, excerpt, content);
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
	return ok;
}
