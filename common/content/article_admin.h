/*
 * article_admin.h — writing the blog (SPEC §9 blog): the staff's list of
 * articles (every status, filters, search), the editor's save with its
 * checks, soft deletion, the categories (create, rename, order,
 * visibility, delete only when empty) and their stored `articleCount`.
 *
 * Statuses as the editor speaks them: "draft", "scheduled", "published",
 * "archived". A scheduled article is stored as status "published" with
 * `publishedAt` (and `scheduledFor`) in the future: the site's rule
 * "public = published and publishedAt ≤ now" publishes it by itself at
 * that time, no job needed. article_admin_status() gives the editor's
 * status of a stored article.
 *
 * `articleCount` of a category = its articles with status "published"
 * and not deleted (scheduled ones included). Every write that may change
 * it (save, delete, article_put) recounts the categories concerned from
 * the articles themselves and stores the count, again until the count
 * read after storing equals what was stored: of concurrent writers, the
 * last to store a count checks it after every article write it follows,
 * so the stored value ends right whatever the interleaving.
 *
 * Errors fill a struct err: 400/422 validation_failed naming the field
 * (French message for the editor), 404 not_found, 409 slug_taken /
 * category_not_empty, or the store's (store_fail).
 */
#ifndef CWC_ARTICLE_ADMIN_H
#define CWC_ARTICLE_ADMIN_H

#include "core/err.h"
#include "store/store.h"

#include <bson/bson.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#define ARTICLE_TITLE_MAX 200
#define ARTICLE_EXCERPT_MAX 500
#define ARTICLE_SLUG_MAX 100
#define ARTICLE_META_TITLE_MAX 120
#define ARTICLE_META_DESCRIPTION_MAX 300
#define ARTICLE_CONTENT_MAX (512 * 1024)
#define CATEGORY_NAME_MAX 80

struct article_admin_query {
	const char *status;     /* editor status, or NULL: all */
	const char *category;   /* category id (hex), or NULL */
	const char *q;          /* search text, or NULL */
	int64_t page;           /* from 1 */
	int64_t limit;
};

/* The editor's status of a stored article at `now`. */
const char *article_admin_status(const bson_t *doc, int64_t now);

/* One page of articles (not deleted), last updated first, as JSON for the
 * staff (`id`, `editorStatus`; no `content`, no `searchTerms`) into
 * *items (caller puts), and how many match into *total. An unknown
 * status is 400 naming "status". */
bool article_admin_list(store_t *st, int64_t now, const struct article_admin_query *q,
			json_object **items, int64_t *total, struct err *e);

/* The article `id` (not deleted) into `out` (initialised on success);
 * 404 when there is none. */
bool article_admin_get(store_t *st, const char *id, bson_t *out, struct err *e);

/* Creates (id NULL) or updates the article `id` from the editor's fields
 * in `in` (strings: title, slug, excerpt, content, category (id or slug,
 * "" for none), metaTitle, metaDescription, featuredImage, imgAlt, status,
 * publishedAt ("YYYY-MM-DDTHH:MM", UTC, or ISO-8601); an update keeps
 * what `in` does not name). `author` (may be NULL) is set on creation.
 * On success `before` (empty on creation) and `after` are initialised
 * (caller destroys both) and the categories' counts are right. */
bool article_admin_save(store_t *st, int64_t now, const char *id, json_object *in,
			const char *author, bson_t *before, bson_t *after, struct err *e);

/* Marks the article `id` deleted (it leaves the site and the lists) and
 * recounts its category; `before` initialised on success. */
bool article_admin_delete(store_t *st, int64_t now, const char *id, bson_t *before,
			  struct err *e);

/* Recounts and stores the `articleCount` of category `cat` (see above). */
bool article_category_recount(store_t *st, const bson_oid_t *cat, struct err *e);

/* Every category (hidden ones too), by order then name, with the stored
 * articleCount and `id`, into *items (caller puts). */
bool article_category_list_all(store_t *st, json_object **items, struct err *e);

/* The category `id` into `out` (initialised on success); 404 when none. */
bool article_category_get(store_t *st, const char *id, bson_t *out, struct err *e);

/* Creates (id NULL) or updates the category `id` from `in` (name, slug,
 * description, color "#rrggbb", order (number or numeric string),
 * isVisible (boolean, or "on"/"true"/"1")); an update keeps what `in`
 * does not name. `before`/`after` as article_admin_save. */
bool article_category_save(store_t *st, int64_t now, const char *id, json_object *in,
			   bson_t *before, bson_t *after, struct err *e);

/* Deletes the category `id` when no article (of any status, not deleted)
 * is in it: 409 category_not_empty otherwise. `before` initialised on
 * success. */
bool article_category_delete(store_t *st, const char *id, bson_t *before, struct err *e);

#endif
