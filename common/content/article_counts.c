/*
 * article_counts.c — what every blog page shows the same to everyone
 * (article.h): the number of public articles (the lists' totals), by
 * category, the visible categories with their counts (the sidebar), an
 * article's previous/next and its category.
 *
 * One reading serves them all: the public articles' category, slug,
 * title and publishedAt (a projection, one pass, newest first) and the
 * categories, instead of a count per category plus one for the list. A worker may answer from its
 * reading of the last cfg->blog_cache_ms (CWC_BLOG_CACHE_MS, default
 * 1000 ms; 0 = read every time, as the tests do but
 * t/content-blog-cache.t): display only, the articles of a page are
 * always read, and no write reads these counts. The same discipline as
 * the availability display (common/booking/api.c).
 */
#include "content/article.h"
#include "core/config.h"
#include "core/doc.h"

#include <stdlib.h>
#include <string.h>

struct cat_count {
	bson_oid_t id;
	int64_t n;
};

struct pub {
	int64_t at;               /* publishedAt */
	char *slug, *title;
};

struct counts {
	store_t *st;              /* the store read (a process may have several) */
	int64_t at, until;        /* read at `at`, good before `until` */
	int64_t total;            /* public articles */
	struct cat_count *cats;   /* public articles by category */
	size_t ncats;
	json_object *categories;  /* the visible categories with articleCount */
	json_object *stored;      /* every category as stored, by _id (hex) */
	struct pub *pubs;         /* the public articles, newest first */
	size_t npubs;
};

static struct counts cached;

static void counts_free(struct counts *c)
{
	for (size_t i = 0; i < c->npubs; i++) {
		free(c->pubs[i].slug);
		free(c->pubs[i].title);
	}
	free(c->pubs);
	free(c->cats);
	json_object_put(c->categories);
	json_object_put(c->stored);
	memset(c, 0, sizeof *c);
}

static int64_t counts_of(const struct counts *c, const bson_oid_t *cat)
{
	for (size_t i = 0; i < c->ncats; i++)
		if (bson_oid_equal(&c->cats[i].id, cat))
			return c->cats[i].n;
	return 0;
}

static bool count_cat(struct counts *c, const bson_oid_t *cat)
{
	for (size_t i = 0; i < c->ncats; i++)
		if (bson_oid_equal(&c->cats[i].id, cat)) {
			c->cats[i].n++;
			return true;
		}
	if ((c->ncats & (c->ncats - 1)) == 0) {   /* 0, 1, 2, 4…: grow */
		struct cat_count *more = realloc(c->cats, (c->ncats ? c->ncats * 2 : 4) * sizeof *more);
		if (!more)
			return false;
		c->cats = more;
	}
	c->cats[c->ncats].id = *cat;
	c->cats[c->ncats++].n = 1;
	return true;
}

/* Reads the counts and the category list at `now` into *c (zeroed). */
static bool counts_read(store_t *st, int64_t now, struct counts *c, struct err *e)
{
	bson_t f = BSON_INITIALIZER, proj = BSON_INITIALIZER, asort = BSON_INITIALIZER;
	bson_t sort = BSON_INITIALIZER, f_all = BSON_INITIALIZER;
	store_error_t se = { 0 };
	store_cursor_t *cur;
	const bson_t *doc;
	bool ok = true;

	c->st = st;
	c->at = now;
	article_public_filter(&f, now);
	BSON_APPEND_INT32(&proj, "category", 1);
	BSON_APPEND_INT32(&proj, "slug", 1);
	BSON_APPEND_INT32(&proj, "title", 1);
	BSON_APPEND_INT32(&proj, "publishedAt", 1);
	BSON_APPEND_INT32(&asort, "publishedAt", -1);
	store_find_opts_t opts = { .sort = &asort, .projection = &proj };
	cur = store_find(st, "articles", &f, &opts, &se);
	if (!cur) {
		ok = store_fail(e, "articles count", &se);
		goto done;
	}
	while (ok && store_cursor_next(cur, &doc)) {
		bson_oid_t cat;
		const char *slug = doc_str(doc, "slug"), *title = doc_str(doc, "title");
		c->total++;
		if (doc_oid(doc, "category", &cat) && !count_cat(c, &cat))
			ok = false;
		if (ok && slug && (c->npubs & (c->npubs - 1)) == 0) {   /* 0, 1, 2, 4…: grow */
			struct pub *more = realloc(c->pubs, (c->npubs ? c->npubs * 2 : 4) * sizeof *more);
			ok = more != NULL;
			if (more)
				c->pubs = more;
		}
		if (ok && slug) {
			struct pub *p = &c->pubs[c->npubs];
			p->at = doc_date(doc, "publishedAt", 0);
			p->slug = strdup(slug);
			p->title = strdup(title ? title : "");
			if (p->slug && p->title) {
				c->npubs++;
			} else {
				free(p->slug);
				free(p->title);
				ok = false;
			}
		}
		if (!ok)
			err_set(e, 500, "internal", NULL, "Mémoire insuffisante.");
	}
	if (ok && store_cursor_error(cur, &se))
		ok = store_fail(e, "articles count", &se);
	store_cursor_destroy(cur);
	if (!ok)
		goto done;

	/* every category (an article shows its own, even hidden); the
	 * visible ones listed, as { isVisible: { $ne: false } } would */
	BSON_APPEND_INT32(&sort, "order", 1);
	BSON_APPEND_INT32(&sort, "name", 1);
	store_find_opts_t copts = { .sort = &sort };
	cur = store_find(st, "categories", &f_all, &copts, &se);
	if (!cur) {
		ok = store_fail(e, "categories", &se);
		goto done;
	}
	c->categories = json_object_new_array();
	c->stored = json_object_new_object();
	while (store_cursor_next(cur, &doc)) {
		bson_oid_t oid;
		bson_iter_t it;
		char hex[25];
		if (!doc_oid(doc, "_id", &oid))
			continue;
		bson_oid_to_string(&oid, hex);
		json_object_object_add(c->stored, hex, doc_to_json(doc));
		if (bson_iter_init_find(&it, doc, "isVisible") && BSON_ITER_HOLDS_BOOL(&it) && !bson_iter_bool(&it))
			continue;
		if (json_object_array_length(c->categories) >= 100)
			continue;
		json_object *j = doc_to_json(doc);
		/* the public articles now, not the stored articleCount (which
		 * counts the scheduled ones too: article_admin.h) */
		json_object_object_add(j, "articleCount", json_object_new_int64(counts_of(c, &oid)));
		json_object_array_add(c->categories, j);
	}
	if (store_cursor_error(cur, &se))
		ok = store_fail(e, "categories", &se);
	store_cursor_destroy(cur);
done:
	bson_destroy(&f);
	bson_destroy(&f_all);
	bson_destroy(&proj);
	bson_destroy(&asort);
	bson_destroy(&sort);
	return ok;
}

/* This worker's counts, read again when older than the cache time (or
 * read at a later clock: a test may move it back). NULL with *e filled
 * on failure; the cache is then left as it was. */
static const struct counts *counts_cached(store_t *st, int64_t now, struct err *e)
{
	struct counts fresh = { 0 };

	if (cached.st == st && cached.at <= now && now < cached.until)
		return &cached;
	if (!counts_read(st, now, &fresh, e)) {
		counts_free(&fresh);
		return NULL;
	}
	fresh.until = now + cfg->blog_cache_ms;
	counts_free(&cached);
	cached = fresh;
	return &cached;
}

static bool caching(void)
{
	return cfg && cfg->blog_cache_ms > 0;
}

bool article_public_count(store_t *st, int64_t now, const bson_oid_t *cat, int64_t *n,
			  struct err *e)
{
	*n = 0;
	if (caching()) {
		const struct counts *c = counts_cached(st, now, e);
		if (!c)
			return false;
		*n = cat ? counts_of(c, cat) : c->total;
		return true;
	}
	bson_t f = BSON_INITIALIZER;
	store_error_t se = { 0 };
	bool ok;
	article_public_filter(&f, now);
	if (cat)
		BSON_APPEND_OID(&f, "category", cat);
	ok = store_count(st, "articles", &f, n, &se);
	bson_destroy(&f);
	return ok || store_fail(e, "articles count", &se);
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

static json_object *pub_json(const struct pub *p)
{
	json_object *j = json_object_new_object();
	json_object_object_add(j, "title", json_object_new_string(p->title));
	json_object_object_add(j, "slug", json_object_new_string(p->slug));
	return j;
}

bool article_neighbours(store_t *st, int64_t now, int64_t at, json_object **prev,
			json_object **next, struct err *e)
{
	bool ok = true;

	*prev = *next = NULL;
	if (caching()) {
		const struct counts *c = counts_cached(st, now, e);
		if (!c)
			return false;
		/* newest first: the newer is the last above `at`, the older
		 * the first below */
		for (size_t i = 0; i < c->npubs; i++) {
			if (c->pubs[i].at > at)
				continue;
			if (i > 0)
				*next = pub_json(&c->pubs[i - 1]);
			while (i < c->npubs && c->pubs[i].at == at)
				i++;
			if (i < c->npubs)
				*prev = pub_json(&c->pubs[i]);
			return true;
		}
		if (c->npubs > 0)
			*next = pub_json(&c->pubs[c->npubs - 1]);
		return true;
	}
	*prev = neighbour(st, now, at, -1, e, &ok);
	*next = ok ? neighbour(st, now, at, 1, e, &ok) : NULL;
	if (!ok) {
		json_object_put(*prev);
		*prev = NULL;
	}
	return ok;
}

bool article_category_doc(store_t *st, int64_t now, const bson_oid_t *id, json_object **out,
			  struct err *e)
{
	bson_t cf = BSON_INITIALIZER, c;
	store_error_t se = { 0 };
	bool found = false, ok;

	*out = NULL;
	if (caching()) {
		const struct counts *cc = counts_cached(st, now, e);
		json_object *j;
		char hex[25];
		if (!cc)
			return false;
		bson_oid_to_string(id, hex);
		if (json_object_object_get_ex(cc->stored, hex, &j))
			return json_object_deep_copy(j, out, NULL) == 0 ||
			       err_set(e, 500, "internal", NULL, "Mémoire insuffisante.");
		/* newer than the reading: from the store */
	}
	BSON_APPEND_OID(&cf, "_id", id);
	ok = store_find_one(st, "categories", &cf, NULL, &c, &found, &se);
	bson_destroy(&cf);
	if (!ok)
		return store_fail(e, "category", &se);
	if (found)
		*out = doc_to_json(&c);
	bson_destroy(&c);
	return true;
}

bool article_categories(store_t *st, int64_t now, json_object **items,
			struct err *e)
{
	*items = NULL;
	if (caching()) {
		const struct counts *c = counts_cached(st, now, e);
		if (!c)
			return false;
		if (json_object_deep_copy(c->categories, items, NULL) != 0) {
			*items = NULL;
			return err_set(e, 500, "internal", NULL, "Mémoire insuffisante.");
		}
		return true;
	}
	struct counts fresh = { 0 };
	bool ok = counts_read(st, now, &fresh, e);
	if (ok) {
		*items = fresh.categories;
		fresh.categories = NULL;
	}
	counts_free(&fresh);
	return ok;
}
