/*
 * article_admin.c — the staff's side of the blog: list, save, delete,
 * categories and their stored counts (article_admin.h).
 */
#include "content/article_admin.h"
#include "content/article.h"
#include "booking/calendar.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/markdown.h"
#include "core/template.h"
#include "core/text.h"

#include <stdlib.h>
#include <string.h>

#define RECOUNT_TRIES 20

static const char *const editor_statuses[] = { "draft", "scheduled", "published", "archived", NULL };

static bool known_status(const char *s)
{
	for (int i = 0; s && editor_statuses[i]; i++)
		if (strcmp(editor_statuses[i], s) == 0)
			return true;
	return false;
}

const char *article_admin_status(const bson_t *doc, int64_t now)
{
	const char *s = doc_str(doc, "status");

	if (!s)
		return "draft";
	if (strcmp(s, "published") == 0 && doc_date(doc, "publishedAt", 0) > now)
		return "scheduled";
	if (strcmp(s, "scheduled") == 0)
		return "scheduled";
	return known_status(s) ? s : "draft";
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;
	return o && json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		? json_object_get_string(v) : NULL;
}

static bool id_filter(bson_t *f, const char *id, struct err *e)
{
	bson_oid_t oid;

	if (!id || !doc_parse_oid(id, &oid))
		return err_set(e, 404, "not_found", NULL, "Cet élément n’existe pas.");
	BSON_APPEND_OID(f, "_id", &oid);
	return true;
}

/* Characters of `s` (UTF-8): the limits are in characters, as a person counts. */
static size_t chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static bool check_len(const char *v, size_t max, const char *field, const char *label, struct err *e)
{
	if (v && chars(v) > max)
		return err_set(e, 422, "validation_failed", field, "%s : %zu caractères au plus.", label, max);
	return true;
}

/* A slug as typed: lower-case letters, digits and single dashes. */
static bool slug_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > ARTICLE_SLUG_MAX || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
		if (c == '-' && s[i + 1] == '-')
			return false;
	}
	return true;
}

/* "2027-03-01T09:30" (Paris time, the datetime-local input) or an ISO-8601
 * instant in UTC: "2027-03-01T08:30Z", "…:30:15Z", "…:30:15.250Z". */
static bool parse_when(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec = 0, ms = 0, n = 0, k = 0;
	size_t len = strlen(s);

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5 || n != 16)
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || y < 2000 || y > 2200)
		return false;
	int64_t day = booking_days_from_civil(y, mo, d);
	if (len == 16) {
		*out = booking_paris_to_utc(day, h * 60 + mi);
		return true;
	}
	if (s[16] == ':') {
		if (sscanf(s + 16, ":%2d%n", &sec, &k) != 1 || k != 3 || sec > 59)
			return false;
		n += k;
		if (s[n] == '.') {
			if (sscanf(s + n, ".%3d%n", &ms, &k) != 1 || k != 4)
				return false;
			n += k;
		}
	}
	if (strcmp(s + n, "Z") != 0)
		return false;
	*out = ((day * 1440 + h * 60 + mi) * 60 + sec) * 1000 + ms;
	return true;
}

/* ---- counts ----------------------------------------------------------------- */

static void published_filter(bson_t *f, const bson_oid_t *cat)
{
	bson_t sub;
	BSON_APPEND_OID(f, "category", cat);
	BSON_APPEND_UTF8(f, "status", "published");
	BSON_APPEND_DOCUMENT_BEGIN(f, "isDeleted", &sub);
	BSON_APPEND_BOOL(&sub, "$ne", true);
	bson_append_document_end(f, &sub);
}

bool article_category_recount(store_t *st, const bson_oid_t *cat, struct err *e)
{
	store_error_t se = { 0 };
	int64_t n = 0, stored = -1;

	for (int i = 0; i < RECOUNT_TRIES; i++) {
		bson_t f = BSON_INITIALIZER, cf = BSON_INITIALIZER, u = BSON_INITIALIZER, set;
		bool ok;
		published_filter(&f, cat);
		ok = store_count(st, "articles", &f, &n, &se);
		bson_destroy(&f);
		if (!ok)
			return store_fail(e, "category recount", &se);
		if (n == stored)
			return true;
		BSON_APPEND_OID(&cf, "_id", cat);
		BSON_APPEND_DOCUMENT_BEGIN(&u, "$set", &set);
		BSON_APPEND_INT64(&set, "articleCount", n);
		bson_append_document_end(&u, &set);
		ok = store_update_one(st, "categories", &cf, &u, false, NULL, &se);
		bson_destroy(&cf);
		bson_destroy(&u);
		if (!ok)
			return store_fail(e, "category recount", &se);
		stored = n;
	}
	return true;
}

/* ---- articles ------------------------------------------------------------- */

static json_object *staff_json(const bson_t *doc, int64_t now)
{
	json_object *j = doc_to_json(doc);
	bson_oid_t oid;
	char hex[25] = "";

	json_object_object_del(j, "searchTerms");
	json_object_object_del(j, "content");
	if (doc_oid(doc, "_id", &oid))
		bson_oid_to_string(&oid, hex);
	json_object_object_add(j, "id", json_object_new_string(hex));
	json_object_object_add(j, "editorStatus", json_object_new_string(article_admin_status(doc, now)));
	return j;
}

struct words {
	bson_t *and;
	int n;
};

static void add_word(const char *w, size_t wlen, void *ctx)
{
	struct words *ws = ctx;
	bson_t one;
	char key[16];

	if (ws->n >= ARTICLE_QUERY_MAX_WORDS)
		return;
	buf_fmt(key, sizeof key, "%d", ws->n++);
	BSON_APPEND_DOCUMENT_BEGIN(ws->and, key, &one);
	bson_append_utf8(&one, "searchTerms", -1, w, (int)wlen);
	bson_append_document_end(ws->and, &one);
}

bool article_admin_list(store_t *st, int64_t now, const struct article_admin_query *q,
			json_object **items, int64_t *total, struct err *e)
{
	bson_t f = BSON_INITIALIZER, sub, sort = BSON_INITIALIZER;
	store_error_t se = { 0 };
	store_cursor_t *cur = NULL;
	const bson_t *doc;
	bool ok = false;

	*items = NULL;
	*total = 0;
	BSON_APPEND_DOCUMENT_BEGIN(&f, "isDeleted", &sub);
	BSON_APPEND_BOOL(&sub, "$ne", true);
	bson_append_document_end(&f, &sub);
	if (q->status && *q->status) {
		if (!known_status(q->status)) {
			err_set(e, 400, "invalid_request", "status", "Statut inconnu.");
			goto done;
		}
		if (strcmp(q->status, "scheduled") == 0 || strcmp(q->status, "published") == 0) {
			BSON_APPEND_UTF8(&f, "status", "published");
			BSON_APPEND_DOCUMENT_BEGIN(&f, "publishedAt", &sub);
			BSON_APPEND_DATE_TIME(&sub, strcmp(q->status, "scheduled") == 0 ? "$gt" : "$lte", now);
			bson_append_document_end(&f, &sub);
		} else {
			BSON_APPEND_UTF8(&f, "status", q->status);
		}
	}
	if (q->category && *q->category) {
		bson_oid_t oid;
		if (!doc_parse_oid(q->category, &oid)) {
			err_set(e, 400, "invalid_request", "category", "Catégorie inconnue.");
			goto done;
		}
		BSON_APPEND_OID(&f, "category", &oid);
	}
	if (q->q && *q->q) {
		bson_t and;
		struct words ws = { &and, 0 };
		BSON_APPEND_ARRAY_BEGIN(&f, "$and", &and);
		text_words(q->q, strlen(q->q), 2, add_word, &ws);
		bson_append_array_end(&f, &and);
		if (ws.n == 0) {
			*items = json_object_new_array();
			ok = true;
			goto done;
		}
	}
	if (!store_count(st, "articles", &f, total, &se)) {
		store_fail(e, "admin articles", &se);
		goto done;
	}
	BSON_APPEND_INT32(&sort, "updatedAt", -1);
	BSON_APPEND_INT32(&sort, "_id", -1);
	store_find_opts_t opts = { .sort = &sort, .skip = (q->page - 1) * q->limit, .limit = q->limit };
	cur = store_find(st, "articles", &f, &opts, &se);
	if (!cur) {
		store_fail(e, "admin articles", &se);
		goto done;
	}
	*items = json_object_new_array();
	while (store_cursor_next(cur, &doc))
		json_object_array_add(*items, staff_json(doc, now));
	if (store_cursor_error(cur, &se)) {
		store_fail(e, "admin articles", &se);
		goto done;
	}
	ok = true;
done:
	if (!ok) {
		json_object_put(*items);
		*items = NULL;
	}
	store_cursor_destroy(cur);
	bson_destroy(&f);
	bson_destroy(&sort);
	return ok;
}

bool article_admin_get(store_t *st, const char *id, bson_t *out, struct err *e)
{
	bson_t f = BSON_INITIALIZER, sub;
	store_error_t se = { 0 };
	bool found = false, ok;

	if (!id_filter(&f, id, e)) {
		bson_destroy(&f);
		return false;
	}
	BSON_APPEND_DOCUMENT_BEGIN(&f, "isDeleted", &sub);
	BSON_APPEND_BOOL(&sub, "$ne", true);
	bson_append_document_end(&f, &sub);
	ok = store_find_one(st, "articles", &f, NULL, out, &found, &se);
	bson_destroy(&f);
	if (!ok)
		return store_fail(e, "admin article", &se);
	if (!found) {
		bson_destroy(out);
		return err_set(e, 404, "not_found", NULL, "Cet article n’existe pas.");
	}
	return true;
}

/* The category `v` names (an id or a slug) into *oid; 422 when none. */
static bool category_ref(store_t *st, const char *v, bson_oid_t *oid, struct err *e)
{
	bson_t f = BSON_INITIALIZER, out;
	store_error_t se = { 0 };
	bool found = false, ok;

	if (doc_parse_oid(v, oid))
		BSON_APPEND_OID(&f, "_id", oid);
	else
		BSON_APPEND_UTF8(&f, "slug", v);
	ok = store_find_one(st, "categories", &f, NULL, &out, &found, &se);
	bson_destroy(&f);
	if (!ok)
		return store_fail(e, "article category", &se);
	if (found)
		found = doc_oid(&out, "_id", oid);
	bson_destroy(&out);
	if (!found)
		return err_set(e, 422, "validation_failed", "category", "Cette catégorie n’existe pas.");
	return true;
}

/* The value of `k`: from `in` when it names it, else from `old`. */
static const char *pick(json_object *in, const bson_t *old, const char *k)
{
	const char *v = jstr(in, k);
	return v ? v : old ? doc_str(old, k) : NULL;
}

/* The slug an article or a category is saved with (into `slug`): the
 * one `in` gives, else `old`'s (NULL: a new one), else made of `name`
 * (`max` characters). False with 422 when it is malformed, 409 `taken`
 * when another document of `coll` has it (the unique index is the last
 * word), or the store's failure. */
static bool save_slug(store_t *st, const char *coll, json_object *in, const bson_t *old, const char *name,
		      size_t max, const char *taken, struct buf *slug, struct err *e)
{
	store_error_t se = { 0 };
	bson_t sf = BSON_INITIALIZER, other;
	bool found = false, mine = false;

	if (jstr(in, "slug") && *jstr(in, "slug"))
		buf_str(slug, jstr(in, "slug"));
	else if (old && doc_str(old, "slug"))
		buf_str(slug, doc_str(old, "slug"));
	else
		text_slug(slug, name, max);
	if (!slug->data || !slug_ok(slug->data)) {
		err_set(e, 422, "validation_failed", "slug",
			"Le slug : lettres minuscules sans accent, chiffres et tirets.");
		return false;
	}
	BSON_APPEND_UTF8(&sf, "slug", slug->data);
	if (!store_find_one(st, coll, &sf, NULL, &other, &found, &se)) {
		bson_destroy(&sf);
		store_fail(e, strcmp(coll, "articles") == 0 ? "article save" : "category save", &se);
		return false;
	}
	bson_destroy(&sf);
	if (found) {
		bson_oid_t a, b;
		mine = old && doc_oid(&other, "_id", &a) && doc_oid(old, "_id", &b) && bson_oid_equal(&a, &b);
	}
	bson_destroy(&other);
	if (found && !mine) {
		err_set(e, 409, "slug_taken", "slug", "%s", taken);
		return false;
	}
	return true;
}

/* Writes the update `u` to the `f` document of `coll` (inserted when
 * `insert`), then reads it back into `after` (initialised). False with
 * 409 `taken` for a slug the unique index refuses, or the store's failure. */
static bool save_write(store_t *st, const char *coll, const bson_t *f, const bson_t *u, bool insert,
		       const char *taken, bson_t *after, struct err *e)
{
	const char *what = strcmp(coll, "articles") == 0 ? "article save" : "category save";
	store_error_t se = { 0 };
	bool found = false;

	if (!store_update_one(st, coll, f, u, insert, NULL, &se)) {
		if (se.code == STORE_ERR_DUPLICATE_KEY)
			err_set(e, 409, "slug_taken", "slug", "%s", taken);
		else
			store_fail(e, what, &se);
		return false;
	}
	bson_destroy(after);
	if (!store_find_one(st, coll, f, NULL, after, &found, &se)) {
		bson_init(after);
		store_fail(e, what, &se);
		return false;
	}
	return true;
}

/* The end of a save: `before` becomes `old` (a change, NULL: a creation)
 * when it succeeded; both are emptied when it failed. */
static void save_end(bool ok, const bson_t *old, bson_t *before, bson_t *after)
{
	if (ok && old) {
		bson_destroy(before);
		bson_copy_to(old, before);
	} else if (!ok) {
		bson_reinit(before);
		bson_reinit(after);
	}
}

bool article_admin_save(store_t *st, int64_t now, const char *id, json_object *in,
			const char *author, bson_t *before, bson_t *after, struct err *e)
{
	bson_t f = BSON_INITIALIZER, u = BSON_INITIALIZER, set, unset, old = BSON_INITIALIZER;
	struct buf slug = { 0 };
	bool ok = false, have_old = false, old_cat = false, new_cat = false;
	bson_oid_t old_cat_id, new_cat_id, oid;
	const char *title, *content, *excerpt, *status, *cat, *when, *img;
	int64_t published = 0;
	const char *stored_status;

	bson_init(before);
	bson_init(after);
	if (id) {
		bson_destroy(&old);
		if (!article_admin_get(st, id, &old, e)) {
			bson_init(&old);
			goto done;
		}
		have_old = true;
		old_cat = doc_oid(&old, "category", &old_cat_id);
	}
	const bson_t *o = have_old ? &old : NULL;
	title = pick(in, o, "title");
	content = pick(in, o, "content");
	excerpt = pick(in, o, "excerpt");
	img = pick(in, o, "featuredImage");
	status = jstr(in, "status");
	if (!status)
		status = have_old ? article_admin_status(&old, now) : "draft";
	if (!title || !*title) {
		err_set(e, 422, "validation_failed", "title", "Le titre est obligatoire.");
		goto done;
	}
	if (!check_len(title, ARTICLE_TITLE_MAX, "title", "Le titre", e) ||
	    !check_len(excerpt, ARTICLE_EXCERPT_MAX, "excerpt", "Le résumé", e) ||
	    !check_len(pick(in, o, "metaTitle"), ARTICLE_META_TITLE_MAX, "metaTitle", "Le titre SEO", e) ||
	    !check_len(pick(in, o, "metaDescription"), ARTICLE_META_DESCRIPTION_MAX, "metaDescription",
		       "La description SEO", e) ||
	    !check_len(pick(in, o, "imgAlt"), ARTICLE_TITLE_MAX, "imgAlt", "Le texte alternatif", e))
		goto done;
	if (!content || !*content) {
		err_set(e, 422, "validation_failed", "content", "Le contenu est obligatoire.");
		goto done;
	}
	if (strlen(content) > ARTICLE_CONTENT_MAX) {
		err_set(e, 413, "too_large", "content", "Le contenu dépasse %d Ko.", ARTICLE_CONTENT_MAX / 1024);
		goto done;
	}
	if (!known_status(status)) {
		err_set(e, 422, "validation_failed", "status", "Statut inconnu.");
		goto done;
	}
	if (img && *img && !tpl_url_safe(img)) {
		err_set(e, 422, "validation_failed", "featuredImage",
			"L’image doit être une adresse https:// ou un chemin du site.");
		goto done;
	}
	if (!save_slug(st, "articles", in, have_old ? &old : NULL, title, 80, "Un autre article a déjà ce slug.",
		       &slug, e))
		goto done;
	cat = jstr(in, "category");
	if (cat && *cat) {
		if (!category_ref(st, cat, &new_cat_id, e))
			goto done;
		new_cat = true;
	} else if (!cat && old_cat) {
		new_cat_id = old_cat_id;
		new_cat = true;
	}

	/* the status and its date */
	when = jstr(in, "publishedAt");
	if (when && *when && !parse_when(when, &published)) {
		err_set(e, 422, "validation_failed", "publishedAt", "Date et heure attendues (AAAA-MM-JJ HH:MM).");
		goto done;
	}
	if (strcmp(status, "scheduled") == 0) {
		if (!published && have_old)
			published = doc_date(&old, "publishedAt", 0);
		if (published <= now) {
			err_set(e, 422, "validation_failed", "publishedAt",
				"Un article programmé a une date de publication à venir.");
			goto done;
		}
		stored_status = "published";
	} else if (strcmp(status, "published") == 0) {
		int64_t was = have_old ? doc_date(&old, "publishedAt", 0) : 0;
		if (!published || published > now ||
		    (was && was <= now && published / 60000 == was / 60000))   /* the form's minute */
			published = was && was <= now ? was : published && published <= now ? published : now;
		stored_status = "published";
	} else {
		if (!published && have_old)
			published = doc_date(&old, "publishedAt", 0);
		stored_status = status;
	}

	if (have_old)
		BSON_APPEND_OID(&f, "_id", (doc_oid(&old, "_id", &oid), &oid));
	else
		BSON_APPEND_OID(&f, "_id", (bson_oid_init(&oid, NULL), &oid));
	BSON_APPEND_DOCUMENT_BEGIN(&u, "$set", &set);
	BSON_APPEND_UTF8(&set, "title", title);
	BSON_APPEND_UTF8(&set, "slug", slug.data);
	BSON_APPEND_UTF8(&set, "excerpt", excerpt ? excerpt : "");
	BSON_APPEND_UTF8(&set, "content", content);
	BSON_APPEND_UTF8(&set, "status", stored_status);
	static const char *const plain[] = { "metaTitle", "metaDescription", "featuredImage", "imgAlt", NULL };
	for (int i = 0; plain[i]; i++) {
		const char *v = pick(in, o, plain[i]);
		BSON_APPEND_UTF8(&set, plain[i], v ? v : "");
	}
	if (published)
		BSON_APPEND_DATE_TIME(&set, "publishedAt", published);
	if (strcmp(status, "scheduled") == 0)
		BSON_APPEND_DATE_TIME(&set, "scheduledFor", published);
	if (new_cat)
		BSON_APPEND_OID(&set, "category", &new_cat_id);
	BSON_APPEND_INT32(&set, "readingTime", markdown_reading_minutes(content, strlen(content)));
	article_append_search_terms(&set, title, excerpt, content);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	if (!have_old) {
		BSON_APPEND_BOOL(&set, "isDeleted", false);
		BSON_APPEND_INT32(&set, "viewCount", 0);
		BSON_APPEND_INT32(&set, "likeCount", 0);
		BSON_APPEND_DATE_TIME(&set, "createdAt", now);
		if (author)
			BSON_APPEND_UTF8(&set, "author", author);
	}
	bson_append_document_end(&u, &set);
	if (have_old && ((!new_cat && old_cat) || strcmp(status, "scheduled") != 0)) {
		BSON_APPEND_DOCUMENT_BEGIN(&u, "$unset", &unset);
		if (!new_cat && old_cat)
			BSON_APPEND_UTF8(&unset, "category", "");
		if (strcmp(status, "scheduled") != 0)
			BSON_APPEND_UTF8(&unset, "scheduledFor", "");
		bson_append_document_end(&u, &unset);
	}
	if (!save_write(st, "articles", &f, &u, !have_old, "Un autre article a déjà ce slug.", after, e))
		goto done;
	if (old_cat && !article_category_recount(st, &old_cat_id, e))
		goto done;
	if (new_cat && !(old_cat && bson_oid_equal(&old_cat_id, &new_cat_id)) &&
	    !article_category_recount(st, &new_cat_id, e))
		goto done;
	ok = true;
done:
	save_end(ok, have_old ? &old : NULL, before, after);
	bson_destroy(&old);
	bson_destroy(&f);
	bson_destroy(&u);
	buf_free(&slug);
	return ok;
}

bool article_admin_delete(store_t *st, int64_t now, const char *id, bson_t *before,
			  struct err *e)
{
	bson_t f = BSON_INITIALIZER, u = BSON_INITIALIZER, set;
	store_error_t se = { 0 };
	bson_oid_t oid, cat;
	bool ok;

	if (!article_admin_get(st, id, before, e))
		return false;
	doc_oid(before, "_id", &oid);
	BSON_APPEND_OID(&f, "_id", &oid);
	BSON_APPEND_DOCUMENT_BEGIN(&u, "$set", &set);
	BSON_APPEND_BOOL(&set, "isDeleted", true);
	BSON_APPEND_DATE_TIME(&set, "deletedAt", now);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	bson_append_document_end(&u, &set);
	ok = store_update_one(st, "articles", &f, &u, false, NULL, &se);
	bson_destroy(&f);
	bson_destroy(&u);
	if (!ok)
		store_fail(e, "article delete", &se);
	else if (doc_oid(before, "category", &cat))
		ok = article_category_recount(st, &cat, e);
	if (!ok)
		bson_destroy(before);
	return ok;
}

/* ---- categories ------------------------------------------------------------ */

bool article_category_list_all(store_t *st, json_object **items, struct err *e)
{
	bson_t sort = BSON_INITIALIZER;
	store_error_t se = { 0 };
	store_cursor_t *cur;
	const bson_t *doc;

	*items = NULL;
	BSON_APPEND_INT32(&sort, "order", 1);
	BSON_APPEND_INT32(&sort, "name", 1);
	store_find_opts_t opts = { .sort = &sort, .limit = 500 };
	cur = store_find(st, "categories", NULL, &opts, &se);
	bson_destroy(&sort);
	if (!cur)
		return store_fail(e, "categories", &se);
	*items = json_object_new_array();
	while (store_cursor_next(cur, &doc)) {
		json_object *j = doc_to_json(doc);
		bson_oid_t oid;
		char hex[25] = "";
		if (doc_oid(doc, "_id", &oid))
			bson_oid_to_string(&oid, hex);
		json_object_object_add(j, "id", json_object_new_string(hex));
		json_object_object_add(j, "articleCount", json_object_new_int64(doc_int(doc, "articleCount", 0)));
		json_object_object_add(j, "isVisible", json_object_new_boolean(doc_bool(doc, "isVisible", true)));
		json_object_array_add(*items, j);
	}
	if (store_cursor_error(cur, &se)) {
		store_cursor_destroy(cur);
		json_object_put(*items);
		*items = NULL;
		return store_fail(e, "categories", &se);
	}
	store_cursor_destroy(cur);
	return true;
}

bool article_category_get(store_t *st, const char *id, bson_t *out, struct err *e)
{
	bson_t f = BSON_INITIALIZER;
	store_error_t se = { 0 };
	bool found = false, ok;

	if (!id_filter(&f, id, e)) {
		bson_destroy(&f);
		return false;
	}
	ok = store_find_one(st, "categories", &f, NULL, out, &found, &se);
	bson_destroy(&f);
	if (!ok)
		return store_fail(e, "category", &se);
	if (!found) {
		bson_destroy(out);
		return err_set(e, 404, "not_found", NULL, "Cette catégorie n’existe pas.");
	}
	return true;
}

/* A boolean member: true/false, or a form's "on"/"true"/"1". */
static bool jbool(json_object *in, const char *k, bool def, bool *present)
{
	json_object *v;

	*present = in && json_object_object_get_ex(in, k, &v);
	if (!*present)
		return def;
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v);
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		return strcmp(s, "on") == 0 || strcmp(s, "true") == 0 || strcmp(s, "1") == 0;
	}
	return def;
}

bool article_category_save(store_t *st, int64_t now, const char *id, json_object *in,
			   bson_t *before, bson_t *after, struct err *e)
{
	bson_t f = BSON_INITIALIZER, u = BSON_INITIALIZER, set, old = BSON_INITIALIZER;
	struct buf slug = { 0 };
	bool ok = false, have_old = false, present;
	const char *name, *color, *desc;
	json_object *v;
	long order = 0;
	bson_oid_t oid;

	bson_init(before);
	bson_init(after);
	if (id) {
		bson_destroy(&old);
		if (!article_category_get(st, id, &old, e)) {
			bson_init(&old);
			goto done;
		}
		have_old = true;
		order = (long)doc_int(&old, "order", 0);
	}
	const bson_t *o = have_old ? &old : NULL;
	name = pick(in, o, "name");
	desc = pick(in, o, "description");
	color = pick(in, o, "color");
	if (!name || !*name) {
		err_set(e, 422, "validation_failed", "name", "Le nom est obligatoire.");
		goto done;
	}
	if (!check_len(name, CATEGORY_NAME_MAX, "name", "Le nom", e) ||
	    !check_len(desc, ARTICLE_META_DESCRIPTION_MAX, "description", "La description", e))
		goto done;
	if (color && *color) {
		bool good = strlen(color) == 7 && color[0] == '#';
		for (int i = 1; good && i < 7; i++)
			good = strchr("0123456789abcdefABCDEF", color[i]) != NULL;
		if (!good) {
			err_set(e, 422, "validation_failed", "color", "La couleur : #rrvvbb.");
			goto done;
		}
	}
	if (in && json_object_object_get_ex(in, "order", &v)) {
		char *end = NULL;
		if (json_object_is_type(v, json_type_int)) {
			order = (long)json_object_get_int64(v);
		} else if (json_object_is_type(v, json_type_string) && *json_object_get_string(v)) {
			order = strtol(json_object_get_string(v), &end, 10);
			if (*end)
				order = -100000;
		} else {
			order = -100000;
		}
		if (order < -9999 || order > 9999) {
			err_set(e, 422, "validation_failed", "order", "L’ordre est un nombre entier (−9999 à 9999).");
			goto done;
		}
	}
	if (!save_slug(st, "categories", in, have_old ? &old : NULL, name, 60,
		       "Une autre catégorie a déjà ce slug.", &slug, e))
		goto done;
	if (have_old)
		doc_oid(&old, "_id", &oid);
	else
		bson_oid_init(&oid, NULL);
	BSON_APPEND_OID(&f, "_id", &oid);
	BSON_APPEND_DOCUMENT_BEGIN(&u, "$set", &set);
	BSON_APPEND_UTF8(&set, "name", name);
	BSON_APPEND_UTF8(&set, "slug", slug.data);
	BSON_APPEND_UTF8(&set, "description", desc ? desc : "");
	BSON_APPEND_UTF8(&set, "color", color && *color ? color : "#4F46E5");
	BSON_APPEND_INT32(&set, "order", (int32_t)order);
	{
		/* a form's unchecked box sends nothing: a form says `visibleField` */
		bool vis = jbool(in, "isVisible", have_old ? doc_bool(&old, "isVisible", true) : true, &present);
		if (!present && jstr(in, "visibleField"))
			vis = false;
		BSON_APPEND_BOOL(&set, "isVisible", vis);
	}
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	if (!have_old) {
		BSON_APPEND_INT64(&set, "articleCount", 0);
		BSON_APPEND_DATE_TIME(&set, "createdAt", now);
	}
	bson_append_document_end(&u, &set);
	if (!save_write(st, "categories", &f, &u, !have_old, "Une autre catégorie a déjà ce slug.", after, e))
		goto done;
	ok = true;
done:
	save_end(ok, have_old ? &old : NULL, before, after);
	bson_destroy(&old);
	bson_destroy(&f);
	bson_destroy(&u);
	buf_free(&slug);
	return ok;
}

bool article_category_delete(store_t *st, const char *id, bson_t *before, struct err *e)
{
	bson_t f = BSON_INITIALIZER, af = BSON_INITIALIZER, sub;
	store_error_t se = { 0 };
	int64_t n = 0;
	bson_oid_t oid;
	bool ok = false;

	if (!article_category_get(st, id, before, e))
		goto out;
	doc_oid(before, "_id", &oid);
	BSON_APPEND_OID(&af, "category", &oid);
	BSON_APPEND_DOCUMENT_BEGIN(&af, "isDeleted", &sub);
	BSON_APPEND_BOOL(&sub, "$ne", true);
	bson_append_document_end(&af, &sub);
	if (!store_count(st, "articles", &af, &n, &se)) {
		store_fail(e, "category delete", &se);
		goto fail;
	}
	if (n > 0) {
		err_set(e, 409, "category_not_empty", NULL,
			"Cette catégorie a encore %lld article(s) : déplacez-les d’abord.", (long long)n);
		goto fail;
	}
	BSON_APPEND_OID(&f, "_id", &oid);
	if (!store_delete_one(st, "categories", &f, NULL, &se)) {
		store_fail(e, "category delete", &se);
		goto fail;
	}
	ok = true;
	goto out;
fail:
	bson_destroy(before);
out:
	bson_destroy(&f);
	bson_destroy(&af);
	return ok;
}
