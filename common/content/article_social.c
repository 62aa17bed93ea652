/*
 * article_social.c — what readers do and find around an article: likes
 * (one per account, counted from the pairs), the archive by month and
 * the related articles (article.h).
 */
#include "booking/calendar.h"
#include "content/article.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/text.h"

#include <string.h>
#include <time.h>

#define LIKE_RECOUNT_TRIES 20
#define RELATED_CANDIDATES 200

/* The public article `slug`'s _id. */
static bool public_id(store_t *st, int64_t now, const char *slug, bson_oid_t *oid, struct err *e)
{
	bson_t f = BSON_INITIALIZER, proj = BSON_INITIALIZER, out;
	store_error_t se = { 0 };
	bool found = false, ok;

	article_public_filter(&f, now);
	BSON_APPEND_UTF8(&f, "slug", slug);
	BSON_APPEND_INT32(&proj, "_id", 1);
	store_find_opts_t opts = { .projection = &proj };
	ok = store_find_one(st, "articles", &f, &opts, &out, &found, &se);
	bson_destroy(&f);
	bson_destroy(&proj);
	if (!ok)
		return store_fail(e, "article like", &se);
	found = found && doc_oid(&out, "_id", oid);
	bson_destroy(&out);
	if (!found)
		return err_set(e, 404, "not_found", NULL, "Cet article n’existe pas.");
	return true;
}

bool article_like(store_t *st, int64_t now, const char *slug, const bson_oid_t *user, int want,
		  bool *liked, int64_t *count, struct err *e)
{
	store_error_t se = { 0 };
	bson_oid_t id;
	bson_t pair = BSON_INITIALIZER;
	bool ok = false;
	int64_t n = 0, stored = -1;

	*liked = false;
	*count = 0;
	if (!public_id(st, now, slug, &id, e))
		goto done;
	BSON_APPEND_OID(&pair, "user", user);
	BSON_APPEND_OID(&pair, "article", &id);
	if (want == 1) {
		bson_t doc = BSON_INITIALIZER;
		BSON_APPEND_OID(&doc, "user", user);
		BSON_APPEND_OID(&doc, "article", &id);
		BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
		ok = store_insert_one(st, "articlelikes", &doc, NULL, &se) || se.code == STORE_ERR_DUPLICATE_KEY;
		bson_destroy(&doc);
		if (!ok) {
			store_fail(e, "article like", &se);
			goto done;
		}
	} else if (want == 0 && !store_delete_one(st, "articlelikes", &pair, NULL, &se)) {
		store_fail(e, "article unlike", &se);
		goto done;
	}
	ok = false;
	{
		int64_t mine = 0;
		if (!store_count(st, "articlelikes", &pair, &mine, &se)) {
			store_fail(e, "article like", &se);
			goto done;
		}
		*liked = mine > 0;
	}
	for (int i = 0; i < LIKE_RECOUNT_TRIES; i++) {
		bson_t cf = BSON_INITIALIZER, af = BSON_INITIALIZER, u = BSON_INITIALIZER, set;
		bool w = true;
		BSON_APPEND_OID(&cf, "article", &id);
		if (!store_count(st, "articlelikes", &cf, &n, &se)) {
			bson_destroy(&cf);
			store_fail(e, "article like count", &se);
			goto done;
		}
		bson_destroy(&cf);
		if (n == stored || want == -1)
			break;
		BSON_APPEND_OID(&af, "_id", &id);
		BSON_APPEND_DOCUMENT_BEGIN(&u, "$set", &set);
		BSON_APPEND_INT64(&set, "likeCount", n);
		bson_append_document_end(&u, &set);
		w = store_update_one(st, "articles", &af, &u, false, NULL, &se);
		bson_destroy(&af);
		bson_destroy(&u);
		if (!w) {
			store_fail(e, "article like count", &se);
			goto done;
		}
		stored = n;
	}
	*count = n;
	ok = true;
done:
	bson_destroy(&pair);
	return ok;
}

bool article_archive(store_t *st, int64_t now, json_object **months, int64_t *total,
		     struct err *e)
{
	bson_t f = BSON_INITIALIZER, sort = BSON_INITIALIZER, proj = BSON_INITIALIZER;
	store_error_t se = { 0 };
	store_cursor_t *cur;
	const bson_t *doc;
	json_object *month = NULL, *list = NULL;
	char last[8] = "";

	*months = NULL;
	*total = 0;
	article_public_filter(&f, now);
	BSON_APPEND_INT32(&sort, "publishedAt", -1);
	BSON_APPEND_INT32(&sort, "_id", -1);
	BSON_APPEND_INT32(&proj, "title", 1);
	BSON_APPEND_INT32(&proj, "slug", 1);
	BSON_APPEND_INT32(&proj, "publishedAt", 1);
	store_find_opts_t opts = { .sort = &sort, .projection = &proj, .limit = ARTICLE_ARCHIVE_MAX };
	cur = store_find(st, "articles", &f, &opts, &se);
	bson_destroy(&f);
	bson_destroy(&sort);
	bson_destroy(&proj);
	if (!cur)
		return store_fail(e, "archive", &se);
	*months = json_object_new_array();
	while (store_cursor_next(cur, &doc)) {
		time_t t = (time_t)(doc_date(doc, "publishedAt", 0) / 1000);
		struct tm tm;
		char key[16], label[40];
		json_object *a;
		gmtime_r(&t, &tm);
		buf_fmt(key, sizeof key, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
		if (strcmp(key, last) != 0) {
			month = json_object_new_object();
			list = json_object_new_array();
			buf_fmt(label, sizeof label, "%s %d", booking_month_fr(tm.tm_mon + 1), tm.tm_year + 1900);
			json_object_object_add(month, "key", json_object_new_string(key));
			json_object_object_add(month, "label", json_object_new_string(label));
			json_object_object_add(month, "count", json_object_new_int(0));
			json_object_object_add(month, "articles", list);
			json_object_array_add(*months, month);
			buf_fmt(last, sizeof last, "%s", key);
		}
		a = article_list_json(doc);
		json_object_array_add(list, a);
		json_object_object_add(month, "count", json_object_new_int((int)json_object_array_length(list)));
		(*total)++;
	}
	if (store_cursor_error(cur, &se)) {
		store_cursor_destroy(cur);
		json_object_put(*months);
		*months = NULL;
		return store_fail(e, "archive", &se);
	}
	store_cursor_destroy(cur);
	return true;
}

struct title_words {
	bson_t *in;
	int n;
};

static void add_title_word(const char *w, size_t wlen, void *ctx)
{
	struct title_words *tw = ctx;
	char k[16];
	if (tw->n >= ARTICLE_QUERY_MAX_WORDS)
		return;
	buf_fmt(k, sizeof k, "%d", tw->n++);
	bson_append_utf8(tw->in, k, -1, w, (int)wlen);
}

/* How many of the folded words of `title` (≥ 4 letters) `terms` (a JSON
 * array of folded words) holds. */
static int shared_words(const char *title, const bson_t *doc)
{
	struct buf folded = { 0 };
	bson_iter_t it, arr;
	int n = 0;

	text_fold(&folded, title, strlen(title));
	if (folded.data && bson_iter_init_find(&it, doc, "searchTerms") && BSON_ITER_HOLDS_ARRAY(&it) &&
	    bson_iter_recurse(&it, &arr)) {
		while (bson_iter_next(&arr)) {
			uint32_t len;
			const char *w = BSON_ITER_HOLDS_UTF8(&arr) ? bson_iter_utf8(&arr, &len) : NULL;
			if (!w || len < 4)
				continue;
			for (const char *p = folded.data; (p = strstr(p, w)); p += len)
				if ((p == folded.data || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0')) {
					n++;
					break;
				}
		}
	}
	buf_free(&folded);
	return n;
}

bool article_related(store_t *st, int64_t now, json_object *article, int n,
		     json_object **items, struct err *e)
{
	json_object *v, *cat;
	bson_oid_t self, catid;
	bool have_cat = false;
	const char *title = "";
	store_error_t se = { 0 };
	bson_oid_t taken[8];
	int ntaken = 0;

	*items = json_object_new_array();
	if (n > 6)
		n = 6;
	if (!json_object_object_get_ex(article, "_id", &v) || !doc_parse_oid(json_object_get_string(v), &self))
		return true;
	taken[ntaken++] = self;
	if (json_object_object_get_ex(article, "category", &cat) && json_object_object_get_ex(cat, "_id", &v))
		have_cat = doc_parse_oid(json_object_get_string(v), &catid);
	if (json_object_object_get_ex(article, "title", &v))
		title = json_object_get_string(v);

	for (int pass = have_cat ? 0 : 1; pass < 2 && ntaken <= n; pass++) {
		bson_t f = BSON_INITIALIZER, sort = BSON_INITIALIZER, proj = BSON_INITIALIZER, nin, sub, in;
		store_cursor_t *cur;
		const bson_t *doc;
		struct { bson_t *doc; int score; } best[8];   /* bson_t is not movable: pointers */
		int nbest = 0, want = n + 1 - ntaken;

		article_public_filter(&f, now);
		BSON_APPEND_DOCUMENT_BEGIN(&f, "_id", &sub);
		BSON_APPEND_ARRAY_BEGIN(&sub, "$nin", &nin);
		for (int i = 0; i < ntaken; i++) {
			char k[8];
			buf_fmt(k, sizeof k, "%d", i);
			BSON_APPEND_OID(&nin, k, &taken[i]);
		}
		bson_append_array_end(&sub, &nin);
		bson_append_document_end(&f, &sub);
		if (pass == 0) {
			BSON_APPEND_OID(&f, "category", &catid);
		} else {
			struct title_words tw = { &in, 0 };
			BSON_APPEND_DOCUMENT_BEGIN(&f, "searchTerms", &sub);
			BSON_APPEND_ARRAY_BEGIN(&sub, "$in", &in);
			text_words(title, strlen(title), 4, add_title_word, &tw);
			bson_append_array_end(&sub, &in);
			bson_append_document_end(&f, &sub);
			if (tw.n == 0) {
				bson_destroy(&f);
				bson_destroy(&sort);
				bson_destroy(&proj);
				break;
			}
		}
		BSON_APPEND_INT32(&sort, "publishedAt", -1);
		BSON_APPEND_INT32(&proj, "content", 0);
		if (pass == 0)   /* the terms only score the second pass */
			BSON_APPEND_INT32(&proj, "searchTerms", 0);
		store_find_opts_t opts = { .sort = &sort, .projection = &proj,
					   .limit = pass == 0 ? want : RELATED_CANDIDATES };
		cur = store_find(st, "articles", &f, &opts, &se);
		bson_destroy(&f);
		bson_destroy(&sort);
		bson_destroy(&proj);
		if (!cur) {
			json_object_put(*items);
			*items = NULL;
			return store_fail(e, "related", &se);
		}
		while (store_cursor_next(cur, &doc)) {
			int score = pass == 0 ? 0 : shared_words(title, doc), at = nbest;
			/* keep the `want` best, newest first among equals (the order read) */
			while (at > 0 && best[at - 1].score < score)
				at--;
			if (at >= want)
				continue;
			if (nbest == want)
				bson_destroy(best[--nbest].doc);
			memmove(&best[at + 1], &best[at], (size_t)(nbest - at) * sizeof best[0]);
			best[at].doc = bson_copy(doc);
			best[at].score = score;
			nbest++;
		}
		bool failed = store_cursor_error(cur, &se);
		store_cursor_destroy(cur);
		for (int i = 0; i < nbest; i++) {
			bson_oid_t id;
			if (!failed) {
				json_object_array_add(*items, article_list_json(best[i].doc));
				if (doc_oid(best[i].doc, "_id", &id) && ntaken < 8)
					taken[ntaken++] = id;
			}
			bson_destroy(best[i].doc);
		}
		if (failed) {
			json_object_put(*items);
			*items = NULL;
			return store_fail(e, "related", &se);
		}
	}
	return true;
}
