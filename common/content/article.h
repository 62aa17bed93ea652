/*
 * article.h — the blog "Le Mag'" (SPEC §8): public articles, categories
 * with honest counts, search, views; and writing an article (the seed,
 * the back office) with what is derived from it kept in step.
 *
 * Public = status "published", publishedAt ≤ now, isDeleted not true.
 * Search uses `searchTerms`, the folded words (core/text.h) of the title,
 * excerpt and content stored with the article by article_put(): a query
 * "Cafe" finds "café", every word must match, and no query text ever
 * reaches a regular expression.
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

/* The visible categories (by `order`), each with `articleCount`: its
 * public articles now, counted. */
bool article_categories(store_t *st, int64_t now, json_object **items,
			struct err *e);

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

/* Demo content: categories and a dozen French articles (idempotent:
 * existing slugs are left alone). `report` gets one line per document. */
bool article_seed(store_t *st, int64_t now, void (*report)(const char *),
		  struct err *e);

#endif
