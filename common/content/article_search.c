/*
 * article_search.c — the blog's search, ranked (article.h): an article
 * is a candidate when its `searchTerms` (the folded words of its title,
 * excerpt and text, indexed) hold at least one word of the query; the
 * candidates come by the index, the most matched words first, then the
 * most words in the title, then the newest. Past ARTICLE_SEARCH_MAX
 * candidates, the first the index yields are ranked. Folding makes "cafe" find
 * "café"; the query's words are compared as values, never as patterns.
 *
 * A worker keeps the ranking (not the articles) of its last
 * SEARCH_CACHE_SLOTS queries for cfg->blog_cache_ms (CWC_BLOG_CACHE_MS,
 * as the counts: article_counts.c): the next page of a search, or the
 * same search by someone else, then reads only the page's articles.
 */
#include "content/article.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/doc.h"
#include "core/text.h"

#include <stdlib.h>
#include <string.h>

struct qwords {
	char w[ARTICLE_QUERY_MAX_WORDS][64];
	int n;
};

static void add_qword(const char *w, size_t wlen, void *ctx)
{
	struct qwords *qw = ctx;

	if (qw->n >= ARTICLE_QUERY_MAX_WORDS || wlen >= sizeof qw->w[0])
		return;
	for (int i = 0; i < qw->n; i++)
		if (strlen(qw->w[i]) == wlen && memcmp(qw->w[i], w, wlen) == 0)
			return;
	memcpy(qw->w[qw->n], w, wlen);
	qw->w[qw->n++][wlen] = '\0';
}

struct hit {
	bson_oid_t id;
	int score;
	int64_t at;   /* publishedAt */
};

static int hit_cmp(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	if (x->score != y->score)
		return y->score - x->score;
	if (x->at != y->at)
		return x->at < y->at ? 1 : -1;
	return memcmp(&y->id, &x->id, sizeof x->id);
}

static bool has_word(const char *folded, const char *w)
{
	size_t len = strlen(w);
	for (const char *p = folded; (p = strstr(p, w)); p += len)
		if ((p == folded || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
			return true;
	return false;
}

static int score_of(const bson_t *doc, const struct qwords *qw)
{
	bson_iter_t it, arr;
	bool seen[ARTICLE_QUERY_MAX_WORDS] = { false };
	int matched = 0, in_title = 0;
	struct buf title = { 0 };
	const char *t = doc_str(doc, "title");

	if (bson_iter_init_find(&it, doc, "searchTerms") && BSON_ITER_HOLDS_ARRAY(&it) &&
	    bson_iter_recurse(&it, &arr)) {
		while (bson_iter_next(&arr)) {
			const char *w = BSON_ITER_HOLDS_UTF8(&arr) ? bson_iter_utf8(&arr, NULL) : NULL;
			for (int i = 0; w && i < qw->n; i++)
				if (!seen[i] && strcmp(w, qw->w[i]) == 0) {
					seen[i] = true;
					matched++;
				}
		}
	}
	if (t) {
		text_fold(&title, t, strlen(t));
		for (int i = 0; title.data && i < qw->n; i++)
			in_title += has_word(title.data, qw->w[i]);
	}
	buf_free(&title);
	return matched * 100 + in_title * 10;
}

/* Appends the list form of the `n` articles `hits` (in that order, each
 * with its searchScore) to `items`, read with one query. */
static bool page_items(store_t *st, const struct hit *hits, size_t n, json_object *items,
		       struct err *e)
{
	bson_t f = BSON_INITIALIZER, proj = BSON_INITIALIZER, sub, in;
	store_error_t se = { 0 };
	store_cursor_t *cur;
	const bson_t *doc;
	json_object **got = calloc(n, sizeof *got);
	bool ok = false;

	if (!got)
		return err_set(e, 500, "internal", NULL, "Mémoire insuffisante.");
	BSON_APPEND_DOCUMENT_BEGIN(&f, "_id", &sub);
	BSON_APPEND_ARRAY_BEGIN(&sub, "$in", &in);
	for (size_t i = 0; i < n; i++) {
		char k[16];
		buf_fmt(k, sizeof k, "%zu", i);
		BSON_APPEND_OID(&in, k, &hits[i].id);
	}
	bson_append_array_end(&sub, &in);
	bson_append_document_end(&f, &sub);
	BSON_APPEND_INT32(&proj, "content", 0);
	BSON_APPEND_INT32(&proj, "searchTerms", 0);
	store_find_opts_t opts = { .projection = &proj, .limit = (int64_t)n };
	cur = store_find(st, "articles", &f, &opts, &se);
	if (!cur) {
		store_fail(e, "search", &se);
		goto done;
	}
	while (store_cursor_next(cur, &doc)) {
		bson_oid_t id;
		if (!doc_oid(doc, "_id", &id))
			continue;
		for (size_t i = 0; i < n; i++)
			if (!got[i] && bson_oid_equal(&id, &hits[i].id)) {
				got[i] = article_list_json(doc);
				json_object_object_add(got[i], "searchScore", json_object_new_int(hits[i].score));
				break;
			}
	}
	if (store_cursor_error(cur, &se)) {
		store_fail(e, "search", &se);
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		if (got[i]) {   /* gone meanwhile: left out, as before */
			json_object_array_add(items, got[i]);
			got[i] = NULL;
		}
	ok = true;
done:
	for (size_t i = 0; i < n; i++)
		json_object_put(got[i]);
	free(got);
	store_cursor_destroy(cur);
	bson_destroy(&f);
	bson_destroy(&proj);
	return ok;
}

#define SEARCH_CACHE_SLOTS 16

struct ranking {
	store_t *st;
	struct buf key;     /* the category's id (or "-") and the words */
	int64_t at, until;
	struct hit *hits;
	size_t n;
};

static struct ranking rankings[SEARCH_CACHE_SLOTS];

static void ranking_key(struct buf *key, const bson_t *base, const struct qwords *qw)
{
	bson_iter_t it;
	char hex[25] = "-";

	if (bson_iter_init_find(&it, base, "category") && BSON_ITER_HOLDS_OID(&it))
		bson_oid_to_string(bson_iter_oid(&it), hex);
	buf_str(key, hex);
	for (int i = 0; i < qw->n; i++)
		buf_printf(key, " %s", qw->w[i]);
}

static const struct ranking *ranking_find(store_t *st, int64_t now, const char *key)
{
	for (int i = 0; i < SEARCH_CACHE_SLOTS; i++)
		if (rankings[i].st == st && rankings[i].at <= now && now < rankings[i].until &&
		    strcmp(rankings[i].key.data, key) == 0)
			return &rankings[i];
	return NULL;
}

/* Keeps a copy of `hits` under `key` (in a free slot, or the oldest). */
static void ranking_keep(store_t *st, int64_t now, const char *key, const struct hit *hits, size_t n)
{
	struct ranking *r = &rankings[0];
	struct hit *copy = malloc((n ? n : 1) * sizeof *copy);

	if (!copy)
		return;
	for (int i = 0; i < SEARCH_CACHE_SLOTS; i++) {
		if (!rankings[i].key.data) {
			r = &rankings[i];
			break;
		}
		if (rankings[i].until < r->until)
			r = &rankings[i];
	}
	if (n)
		memcpy(copy, hits, n * sizeof *copy);
	free(r->hits);
	buf_free(&r->key);
	buf_str(&r->key, key);
	r->st = st;
	r->at = now;
	r->until = now + cfg->blog_cache_ms;
	r->hits = copy;
	r->n = n;
}

bool article_search_ranked(store_t *st, int64_t now, const bson_t *base, const char *q, int page,
			   int per_page, json_object **items, int64_t *total, struct err *e)
{
	struct qwords qw = { .n = 0 };
	bson_t f = BSON_INITIALIZER, proj = BSON_INITIALIZER, sub, in;
	store_error_t se = { 0 };
	store_cursor_t *cur = NULL;
	struct hit *hits = NULL;
	const bson_t *doc;
	size_t n = 0, cap = 0;
	struct buf key = { 0 };
	bool ok = false;

	*items = NULL;
	*total = 0;
	text_words(q, strlen(q), 2, add_qword, &qw);
	if (qw.n == 0) {
		*items = json_object_new_array();
		ok = true;
		goto done;
	}
	if (cfg && cfg->blog_cache_ms > 0) {
		const struct ranking *r;
		ranking_key(&key, base, &qw);
		r = ranking_find(st, now, key.data);
		if (r) {
			hits = malloc((r->n ? r->n : 1) * sizeof *hits);
			if (!hits)
				abort();
			if (r->n)
				memcpy(hits, r->hits, r->n * sizeof *hits);
			n = r->n;
			goto ranked;
		}
	}
	bson_concat(&f, base);
	BSON_APPEND_DOCUMENT_BEGIN(&f, "searchTerms", &sub);
	BSON_APPEND_ARRAY_BEGIN(&sub, "$in", &in);
	for (int i = 0; i < qw.n; i++) {
		char k[8];
		buf_fmt(k, sizeof k, "%d", i);
		BSON_APPEND_UTF8(&in, k, qw.w[i]);
	}
	bson_append_array_end(&sub, &in);
	bson_append_document_end(&f, &sub);
	/* first the candidates' scores, from their title and terms only */
	BSON_APPEND_INT32(&proj, "title", 1);
	BSON_APPEND_INT32(&proj, "searchTerms", 1);
	/* no sort and no condition on status: then the store's planner
	 * takes the index of searchTerms (with them it would walk the
	 * (status, publishedAt) index); "public" is checked here */
	BSON_APPEND_INT32(&proj, "publishedAt", 1);
	BSON_APPEND_INT32(&proj, "status", 1);
	BSON_APPEND_INT32(&proj, "isDeleted", 1);
	store_find_opts_t opts = { .projection = &proj, .limit = ARTICLE_SEARCH_MAX };
	cur = store_find(st, "articles", &f, &opts, &se);
	if (!cur) {
		store_fail(e, "search", &se);
		goto done;
	}
	while (store_cursor_next(cur, &doc)) {
		const char *status = doc_str(doc, "status");
		if (!doc_oid(doc, "_id", &(bson_oid_t){ 0 }) || !status || strcmp(status, "published") != 0 ||
		    doc_date(doc, "publishedAt", INT64_MAX) > now || doc_bool(doc, "isDeleted", false))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			hits = realloc(hits, cap * sizeof *hits);
			if (!hits)
				abort();
		}
		doc_oid(doc, "_id", &hits[n].id);
		hits[n].score = score_of(doc, &qw);
		hits[n].at = doc_date(doc, "publishedAt", 0);
		n++;
	}
	if (store_cursor_error(cur, &se)) {
		store_fail(e, "search", &se);
		goto done;
	}
	store_cursor_destroy(cur);
	cur = NULL;
	if (n > 1)
		qsort(hits, n, sizeof *hits, hit_cmp);
	if (key.data)
		ranking_keep(st, now, key.data, hits, n);
ranked:
	*total = (int64_t)n;
	*items = json_object_new_array();
	/* then the page's articles (but their text), in one reading */
	size_t from = (size_t)(page - 1) * (size_t)per_page;
	size_t to = (size_t)page * (size_t)per_page < n ? (size_t)page * (size_t)per_page : n;
	if (from < to && !page_items(st, hits + from, to - from, *items, e))
		goto done;
	ok = true;
done:
	if (!ok) {
		json_object_put(*items);
		*items = NULL;
	}
	free(hits);
	buf_free(&key);
	store_cursor_destroy(cur);
	bson_destroy(&f);
	bson_destroy(&proj);
	return ok;
}
