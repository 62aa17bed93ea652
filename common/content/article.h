/*
 * article.h — the blog "Le Mag'" (SPEC §8): public articles, categories
 * with honest counts, search, views; and writing an article (the seed,
 * the back office) with what is derived from it kept in step.
 *
 * Public = status "published", publishedAt ≤ now, isDeleted not true.
 * Search uses `searchTerms`, the folded words (core/text.h) of the title,
 * excerpt and content stored with the article by article_put(): a query
 * "Cafe" finds "café"; articles holding any word of the query are found,
 * ranked (most words matched, then in the title, then newest:
 * article_search.c), and no query text ever reaches a regular expression.
 *
 * Lists and documents come back as json-c objects in the API's JSON form
 * (core/doc.h), without `content` and `searchTerms` in lists; the caller
 * puts them. Errors fill a struct err (404 not_found, or the store's).
 */
#ifndef CWC_ARTICLE_H
#define CWC_ARTICLE_H

#include "core/err.h"
#include "store/store.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#define ARTICLE_PER_PAGE 6
#define ARTICLE_QUERY_MAX_WORDS 8

struct article_query {
	const char *category;   /* category slug, or NULL */
	const char *q;          /* search text, or NULL */
	int page;               /* from 1 */
	int per_page;
};

/* One page of public articles, newest first: *items (array) and *total
 * (all matching). A category slug nobody has is 404 not_found; *category
 * (may be NULL) gets that category's document. A query with no word of
 * two letters or more matches nothing. */
bool article_list(store_t *st, int64_t now, const struct article_query *q,
		  json_object **items, int64_t *total, json_object **category,
		  struct err *e);

/* The public article `slug` with `html` (its Markdown rendered by
 * core/markdown.h), `category` (the category document, or absent),
 * `previous` / `next` (older / newer public articles: {title, slug}).
 * 404 not_found when there is no such public article. */
bool article_get(store_t *st, int64_t now, const char *slug,
		 json_object **article, struct err *e);

/* ---- article_counts.c: what every page shows the same ---------------- */
/* The visible categories (by `order`), each with `articleCount`: its
 * public articles now, counted (not the stored articleCount, which counts
 * scheduled articles too). Caller puts *items. */
bool article_categories(store_t *st, int64_t now, json_object **items,
			struct err *e);
/* *n = the number of public articles, of category `cat` (NULL: all).
 * Both may be a worker's reading of up to CWC_BLOG_CACHE_MS ago (display
 * only; 0 = always read now): see article_counts.c. */
bool article_public_count(store_t *st, int64_t now, const bson_oid_t *cat, int64_t *n,
			  struct err *e);
/* *out = the category `id` as stored (its articleCount too), or NULL when
 * there is none; from the same reading as the counts when caching. */
bool article_category_doc(store_t *st, int64_t now, const bson_oid_t *id, json_object **out,
			  struct err *e);
/* *prev / *next: {title, slug} of the public article just older / newer
 * than `at` (a publishedAt), or NULL; from the same reading as the counts
 * when caching. Caller puts them. */
bool article_neighbours(store_t *st, int64_t now, int64_t at, json_object **prev,
			json_object **next, struct err *e);

/* Counts a view of `slug` once per `visitor` (an opaque key: address and
 * user agent) and day; *counted says whether this one was. */
bool article_view(store_t *st, int64_t now, const char *slug,
		  const char *visitor, bool *counted, struct err *e);

/* Creates or replaces (by slug) the article `doc` (JSON object with the
 * fields of SPEC §8; `category` may be a category slug), computing
 * readingTime and searchTerms, and setting publishedAt on first
 * publication. Categories are created by category_put(). */
bool article_put(store_t *st, int64_t now, json_object *doc, struct err *e);
bool article_category_put(store_t *st, int64_t now, json_object *doc,
			  struct err *e);

/* Appends the public condition to filter `f`. */
void article_public_filter(bson_t *f, int64_t now);
/* The list form of a stored article (no content, no searchTerms; with
 * dateLabel). Caller puts it. */
json_object *article_list_json(const bson_t *doc);

/* ---- article_search.c: the ranked search of article_list() --------- */
#define ARTICLE_SEARCH_MAX 2000   /* candidates ranked at most */
/* One page of the articles public at `now`, matching `base` (an empty
 * filter or a category) with at least one word of `q`, ranked (see
 * article_search.c); *total counts the candidates. */
bool article_search_ranked(store_t *st, int64_t now, const bson_t *base, const char *q, int page,
			   int per_page, json_object **items, int64_t *total, struct err *e);

/* ---- article_social.c: likes, the archive, related articles ---------- */

/* One like per account (`articlelikes` {article, user} unique): `want`
 * 1 likes, 0 unlikes, -1 only reads. *liked says whether `user` likes the
 * public article `slug` afterwards, *count how many accounts do — counted
 * from the pairs and stored as the article's likeCount (stored again
 * until the count read after storing agrees, so concurrent likes end
 * right). 404 not_found for no such public article. */
bool article_like(store_t *st, int64_t now, const char *slug, const bson_oid_t *user, int want,
		  bool *liked, int64_t *count, struct err *e);

/* The public articles by month, newest first: *months (caller puts) is
 * [{key "2026-03", label "mars 2026", count, articles [{title, slug,
 * dateLabel}]}]; *total all of them. At most ARTICLE_ARCHIVE_MAX read. */
#define ARTICLE_ARCHIVE_MAX 5000
bool article_archive(store_t *st, int64_t now, json_object **months, int64_t *total,
		     struct err *e);

/* Up to `n` public articles related to `article` (an article_get()
 * object: its _id, category and title): newest of its category first,
 * then those sharing the most words of its title. Caller puts *items. */
bool article_related(store_t *st, int64_t now, json_object *article, int n,
		     json_object **items, struct err *e);

/* Demo content: categories and a dozen French articles (idempotent:
 * existing slugs are left alone). `report` gets one line per document. */
bool article_seed(store_t *st, int64_t now, void (*report)(const char *),
		  struct err *e);

/* Appends to `set` the array "searchTerms": the folded words (core/text.h)
 * of at least 2 bytes of the title, the excerpt (NULL: none) and the
 * content, each once, in order. */
void article_append_search_terms(bson_t *set, const char *title, const char *excerpt,
				 const char *content);

#endif
