/*
 * store.c — the public store interface (store.h) over two backends.
 *
 * Everything both backends must agree on is decided here, once: argument
 * checks, collection names, the rules for stored documents (no '$' or '.'
 * in keys, `_id` first and added when missing), which filter, update,
 * sort and projection operators are accepted (by compiling them with
 * store/query.c and throwing the result away), index specifications and
 * their default names. The backend (struct store_ops, store_backend.h)
 * then only sees well-formed requests. Messages never carry a URI
 * password.
 */
#include "store/store.h"
#include "store/backend.h"
#include "store/query.h"
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void store_error_set(store_error_t *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
}

static void error_clear(store_error_t *err)
{
	err->code = STORE_OK;
	err->message[0] = '\0';
}

/* The password of "scheme://user:password@host…" as [*start, *end). */
static bool uri_password(const char *uri, const char **start, const char **end)
{
	const char *auth = strstr(uri, "://"), *at, *colon, *slash;

	if (!auth)
		return false;
	auth += 3;
	slash = strchr(auth, '/');
	at = NULL;
	/* the last '@' before the path: passwords may contain '@' unescaped */
	for (const char *p = auth; *p && (!slash || p < slash); p++)
		if (*p == '@')
			at = p;
	if (!at)
		return false;
	colon = memchr(auth, ':', (size_t) (at - auth));
	if (!colon)
		return false;
	*start = colon + 1;
	*end = at;
	return *end > *start;
}

void store_uri_redact(const char *uri, char *out, size_t outsz)
{
	const char *ps, *pe;

	if (!outsz)
		return;
	if (!uri) {
		snprintf(out, outsz, "(null)");
		return;
	}
	if (!uri_password(uri, &ps, &pe)) {
		snprintf(out, outsz, "%s", uri);
		return;
	}
	snprintf(out, outsz, "%.*s***%s", (int) (ps - uri), uri, pe);
}

/* Replaces every occurrence of `secret` (len > 0) in `msg` with "***". */
static void mask_in(char *msg, size_t msgsz, const char *secret, size_t len)
{
	char *hit;

	if (len == 0)
		return;
	while ((hit = memmem(msg, strlen(msg), secret, len)) != NULL) {
		size_t tail = strlen(hit + len);
		if (len >= 3) {
			memcpy(hit, "***", 3);
			memmove(hit + 3, hit + len, tail + 1);
		} else if ((size_t) (hit - msg) + 3 + tail < msgsz) {
			memmove(hit + 3, hit + len, tail + 1);
			memcpy(hit, "***", 3);
		} else {
			memset(hit, '*', len);
		}
	}
}

/* Safety net behind the backends: no form of the password survives in a
 * message about this URI. */
static void mask_password(store_error_t *err, const char *uri)
{
	const char *ps, *pe;
	char decoded[256];
	size_t i, n = 0;

	if (!uri_password(uri, &ps, &pe))
		return;
	mask_in(err->message, sizeof err->message, ps, (size_t) (pe - ps));
	for (i = 0; ps + i < pe && n + 1 < sizeof decoded; i++) {
		unsigned int c;
		if (ps[i] == '%' && ps + i + 2 < pe && sscanf(ps + i + 1, "%2x", &c) == 1) {
			decoded[n++] = (char) c;
			i += 2;
		} else {
			decoded[n++] = ps[i];
		}
	}
	mask_in(err->message, sizeof err->message, decoded, n);
}

static bool is_mongodb_uri(const char *uri)
{
	return strncmp(uri, "mongodb://", 10) == 0 || strncmp(uri, "mongodb+srv://", 14) == 0;
}

store_t *store_open(const char *uri, store_error_t *err)
{
	store_error_t local;
	const struct store_ops *ops;
	store_t *st;

	if (!err)
		err = &local;
	error_clear(err);
	if (!uri || !*uri) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "store_open: empty store URI");
		return NULL;
	}
	ops = is_mongodb_uri(uri) ? &store_mongo_ops : &store_sqlite_ops;
	st = ops->open(uri, err);
	if (!st) {
		if (err->code == STORE_OK)
			store_error_set(err, STORE_ERR_UNAVAILABLE, "cannot open the store");
		mask_password(err, uri);
	}
	return st;
}

void store_close(store_t *st)
{
	if (st)
		st->ops->close(st);
}

const char *store_backend_name(const store_t *st)
{
	return st ? st->ops->name : "none";
}

/* ---- checks shared by every call ------------------------------------------ */

#define CHECK_STORE(st, err)                                                       \
	do {                                                                       \
		if (!(st)) {                                                       \
			store_error_set(err, STORE_ERR_BAD_VALUE, "%s: no store", __func__); \
			return false;                                              \
		}                                                                  \
	} while (0)

bool store_coll_name_ok(const char *coll, store_error_t *err)
{
	size_t len;

	if (!coll || !*coll) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "collection name is empty");
		return false;
	}
	len = strlen(coll);
	if (len > STORE_MAX_COLL_NAME || strchr(coll, '$') || coll[0] == '.' ||
	    coll[len - 1] == '.' || strncmp(coll, "system.", 7) == 0) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "Invalid collection name: '%.*s'",
				(int) (len > 100 ? 100 : len), coll);
		return false;
	}
	return true;
}

static bool check_filter(const bson_t *filter, store_error_t *err)
{
	squery_filter_t *f = squery_filter_new(filter, err);

	squery_filter_destroy(f);
	return f != NULL;
}

static bool check_update(const bson_t *update, store_error_t *err)
{
	squery_update_t *u;

	if (!update) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "update document is missing");
		return false;
	}
	u = squery_update_new(update, err);
	squery_update_destroy(u);
	return u != NULL;
}

static bool check_sort_projection(const bson_t *sort, const bson_t *projection,
				  store_error_t *err)
{
	squery_sort_t *s;
	squery_projection_t *p;

	s = squery_sort_new(sort, err);
	if (!s && err->code != STORE_OK)
		return false;
	squery_sort_destroy(s);
	p = squery_projection_new(projection, err);
	if (!p && err->code != STORE_OK)
		return false;
	squery_projection_destroy(p);
	return true;
}

static bool check_id_type(bson_type_t t, store_error_t *err)
{
	if (t == BSON_TYPE_ARRAY || t == BSON_TYPE_REGEX || t == BSON_TYPE_UNDEFINED) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "The '_id' value cannot be of type %s",
				t == BSON_TYPE_ARRAY ? "array"
				: t == BSON_TYPE_REGEX ? "regex" : "undefined");
		return false;
	}
	return true;
}

/* Validates `doc` for storage. *out is `doc` itself when it already starts
 * with `_id`, else a new document (caller frees when *out != doc) with
 * `_id` first (a new ObjectId when there was none). */
static bool prepare_doc(const bson_t *doc, const bson_t **out, store_error_t *err)
{
	bson_iter_t it;
	bson_t *copy;

	*out = NULL;
	if (!doc) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "document is missing");
		return false;
	}
	if (!bson_validate(doc, BSON_VALIDATE_NONE, NULL)) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "document is not valid BSON");
		return false;
	}
	if (doc->len > STORE_MAX_DOC_SIZE) {
		store_error_set(err, STORE_ERR_BAD_VALUE,
				"document is %u bytes: larger than the %d bytes allowed",
				doc->len, STORE_MAX_DOC_SIZE);
		return false;
	}
	if (!squery_check_fields(doc, err))
		return false;
	if (bson_iter_init(&it, doc) && bson_iter_next(&it) &&
	    strcmp(bson_iter_key(&it), "_id") == 0) {
		if (!check_id_type(bson_iter_type(&it), err))
			return false;
		*out = doc;
		return true;
	}
	copy = bson_new();
	if (bson_iter_init_find(&it, doc, "_id")) {
		if (!check_id_type(bson_iter_type(&it), err)) {
			bson_destroy(copy);
			return false;
		}
		bson_append_iter(copy, "_id", 3, &it);
	} else {
		bson_oid_t oid;
		bson_oid_init(&oid, NULL);
		BSON_APPEND_OID(copy, "_id", &oid);
	}
	bson_iter_init(&it, doc);
	while (bson_iter_next(&it))
		if (strcmp(bson_iter_key(&it), "_id") != 0)
			bson_append_iter(copy, NULL, 0, &it);
	if (copy->len > STORE_MAX_DOC_SIZE) {
		bson_destroy(copy);
		store_error_set(err, STORE_ERR_BAD_VALUE, "document is too large with its _id");
		return false;
	}
	*out = copy;
	return true;
}

/* ---- the interface ---------------------------------------------------------- */

bool store_ping(store_t *st, store_error_t *err)
{
	store_error_t local;

	if (!err)
		err = &local;
	error_clear(err);
	CHECK_STORE(st, err);
	return st->ops->ping(st, err);
}

bool store_insert_many(store_t *st, const char *coll, const bson_t *const *docs,
		       size_t n, size_t *n_inserted, store_error_t *err)
{
	store_error_t local;
	const bson_t **prepared = NULL;
	size_t i, done = 0;
	bool ok = false;

	if (!err)
		err = &local;
	error_clear(err);
	if (n_inserted)
		*n_inserted = 0;
	CHECK_STORE(st, err);
	if (!store_coll_name_ok(coll, err))
		return false;
	if (n == 0)
		return true;
	if (!docs) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "store_insert_many: no documents");
		return false;
	}
	/* Every document is checked before any is sent, as libmongoc does. */
	prepared = calloc(n, sizeof *prepared);
	if (!prepared) {
		store_error_set(err, STORE_ERR_INTERNAL, "out of memory");
		return false;
	}
	for (i = 0; i < n; i++) {
		if (!prepare_doc(docs[i], &prepared[i], err)) {
			char msg[sizeof err->message];
			snprintf(msg, sizeof msg, "%s", err->message);
			store_error_set(err, err->code, "document %zu: %.480s", i, msg);
			goto done;
		}
	}
	ok = st->ops->insert_many(st, coll, prepared, n, &done, err);
done:
	for (i = 0; i < n; i++)
		if (prepared[i] && prepared[i] != docs[i])
			bson_destroy((bson_t *) prepared[i]);
	free(prepared);
	if (n_inserted)
		*n_inserted = done;
	return ok;
}

bool store_insert_one(store_t *st, const char *coll, const bson_t *doc,
		      bson_value_t *id_out, store_error_t *err)
{
	store_error_t local;
	const bson_t *prepared = NULL;
	size_t done = 0;
	bool ok = false;

	if (!err)
		err = &local;
	error_clear(err);
	CHECK_STORE(st, err);
	if (!store_coll_name_ok(coll, err) || !prepare_doc(doc, &prepared, err))
		return false;
	ok = st->ops->insert_many(st, coll, &prepared, 1, &done, err);
	if (ok && id_out) {
		bson_iter_t it;
		bson_iter_init_find(&it, prepared, "_id");
		bson_value_copy(bson_iter_value(&it), id_out);
	}
	if (prepared != doc)
		bson_destroy((bson_t *) prepared);
	return ok;
}

static bool normalize_find_opts(const store_find_opts_t *opts, store_find_opts_t *out,
				store_error_t *err)
{
	memset(out, 0, sizeof *out);
	if (opts)
		*out = *opts;
	if (out->skip < 0 || out->limit < 0) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "%s must be non-negative",
				out->skip < 0 ? "skip" : "limit");
		return false;
	}
	return check_sort_projection(out->sort, out->projection, err);
}

store_cursor_t *store_find(store_t *st, const char *coll, const bson_t *filter,
			   const store_find_opts_t *opts, store_error_t *err)
{
	store_error_t local;
	store_find_opts_t o;

	if (!err)
		err = &local;
	error_clear(err);
	if (!st) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "store_find: no store");
		return NULL;
	}
	if (!store_coll_name_ok(coll, err) || !check_filter(filter, err) ||
	    !normalize_find_opts(opts, &o, err))
		return NULL;
	return st->ops->find(st, coll, filter, &o, err);
}

bool store_cursor_next(store_cursor_t *cur, const bson_t **doc)
{
	*doc = NULL;
	if (!cur || cur->failed)
		return false;
	error_clear(&cur->error);
	if (cur->ops->next(cur, doc, &cur->error))
		return true;
	if (cur->error.code != STORE_OK)
		cur->failed = true;
	return false;
}

bool store_cursor_error(store_cursor_t *cur, store_error_t *err)
{
	if (!cur || !cur->failed)
		return false;
	if (err)
		*err = cur->error;
	return true;
}

void store_cursor_destroy(store_cursor_t *cur)
{
	if (cur)
		cur->ops->destroy(cur);
}

bool store_find_one(store_t *st, const char *coll, const bson_t *filter,
		    const store_find_opts_t *opts, bson_t *out, bool *found,
		    store_error_t *err)
{
	store_error_t local;
	store_find_opts_t o;
	store_cursor_t *cur;
	const bson_t *doc;
	bool ok = true;

	if (!err)
		err = &local;
	error_clear(err);
	if (found)
		*found = false;
	if (opts)
		o = *opts;
	else
		memset(&o, 0, sizeof o);
	o.limit = 1;
	cur = store_find(st, coll, filter, &o, err);
	if (!cur)
		return false;
	if (store_cursor_next(cur, &doc)) {
		bson_copy_to(doc, out);
		if (found)
			*found = true;
	} else if (store_cursor_error(cur, err)) {
		ok = false;
	} else {
		bson_init(out);
	}
	store_cursor_destroy(cur);
	return ok;
}

static bool update_common(store_t *st, const char *coll, const bson_t *filter,
			  const bson_t *update, bool many, bool upsert,
			  store_update_result_t *res, store_error_t *err)
{
	store_error_t local;
	store_update_result_t r;

	if (!err)
		err = &local;
	error_clear(err);
	memset(&r, 0, sizeof r);
	if (res)
		memset(res, 0, sizeof *res);
	CHECK_STORE(st, err);
	if (!store_coll_name_ok(coll, err) || !check_filter(filter, err) || !check_update(update, err))
		return false;
	if (!st->ops->update(st, coll, filter, update, many, upsert, &r, err)) {
		if (r.upserted)
			bson_value_destroy(&r.upserted_id);
		return false;
	}
	if (res)
		*res = r;
	else if (r.upserted)
		bson_value_destroy(&r.upserted_id);
	return true;
}

bool store_update_one(store_t *st, const char *coll, const bson_t *filter,
		      const bson_t *update, bool upsert, store_update_result_t *res,
		      store_error_t *err)
{
	return update_common(st, coll, filter, update, false, upsert, res, err);
}

bool store_update_many(store_t *st, const char *coll, const bson_t *filter,
		       const bson_t *update, bool upsert, store_update_result_t *res,
		       store_error_t *err)
{
	return update_common(st, coll, filter, update, true, upsert, res, err);
}

bool store_find_one_and_update(store_t *st, const char *coll, const bson_t *filter,
			       const bson_t *update, const store_fam_opts_t *opts,
			       bson_t *out, bool *found, store_error_t *err)
{
	store_error_t local;
	store_fam_opts_t o;
	bool f = false;

	if (!err)
		err = &local;
	error_clear(err);
	if (found)
		*found = false;
	CHECK_STORE(st, err);
	memset(&o, 0, sizeof o);
	if (opts)
		o = *opts;
	if (!store_coll_name_ok(coll, err) || !check_filter(filter, err) ||
	    !check_update(update, err) || !check_sort_projection(o.sort, o.projection, err))
		return false;
	if (!st->ops->find_one_and_update(st, coll, filter, update, &o, out, &f, err))
		return false;
	if (found)
		*found = f;
	return true;
}

static bool delete_common(store_t *st, const char *coll, const bson_t *filter, bool many,
			  int64_t *deleted, store_error_t *err)
{
	store_error_t local;
	int64_t d = 0;

	if (!err)
		err = &local;
	error_clear(err);
	if (deleted)
		*deleted = 0;
	CHECK_STORE(st, err);
	if (!store_coll_name_ok(coll, err) || !check_filter(filter, err))
		return false;
	if (!st->ops->delete(st, coll, filter, many, &d, err))
		return false;
	if (deleted)
		*deleted = d;
	return true;
}

bool store_delete_one(store_t *st, const char *coll, const bson_t *filter,
		      int64_t *deleted, store_error_t *err)
{
	return delete_common(st, coll, filter, false, deleted, err);
}

bool store_delete_many(store_t *st, const char *coll, const bson_t *filter,
		       int64_t *deleted, store_error_t *err)
{
	return delete_common(st, coll, filter, true, deleted, err);
}

bool store_count(store_t *st, const char *coll, const bson_t *filter, int64_t *count,
		 store_error_t *err)
{
	store_error_t local;
	int64_t c = 0;

	if (!err)
		err = &local;
	error_clear(err);
	if (count)
		*count = 0;
	CHECK_STORE(st, err);
	if (!store_coll_name_ok(coll, err) || !check_filter(filter, err))
		return false;
	if (!st->ops->count(st, coll, filter, &c, err))
		return false;
	if (count)
		*count = c;
	return true;
}

/* { field: 1 | -1 } with every direction normalised to int32 ±1, and
 * MongoDB's default name ("user_1_date_-1") into `name`. */
static bool normalize_index_keys(const bson_t *keys, bson_t *norm, char *name,
				 size_t namesz, store_error_t *err)
{
	bson_iter_t it;
	size_t used = 0;
	squery_keypattern_t *kp;

	bson_init(norm);
	name[0] = '\0';
	if (!keys || !bson_iter_init(&it, keys)) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "index keys are missing");
		return false;
	}
	while (bson_iter_next(&it)) {
		const char *field = bson_iter_key(&it);
		double d;
		int dir;

		switch (bson_iter_type(&it)) {
		case BSON_TYPE_INT32: d = bson_iter_int32(&it); break;
		case BSON_TYPE_INT64: d = (double) bson_iter_int64(&it); break;
		case BSON_TYPE_DOUBLE: d = bson_iter_double(&it); break;
		case BSON_TYPE_UTF8:
			store_error_set(err, STORE_ERR_UNSUPPORTED,
					"index type '%s' on '%s' is not supported by the store",
					bson_iter_utf8(&it, NULL), field);
			return false;
		default:
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"index key '%s' must be 1 or -1", field);
			return false;
		}
		if (d == 0 || d != d) {
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"index key '%s' must be 1 or -1", field);
			return false;
		}
		dir = d > 0 ? 1 : -1;
		BSON_APPEND_INT32(norm, field, dir);
		used += (size_t) snprintf(name + used, used < namesz ? namesz - used : 0,
					  "%s%s_%d", used ? "_" : "", field, dir);
	}
	if (used >= namesz) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "index name is too long");
		return false;
	}
	kp = squery_keypattern_new(norm, err);
	squery_keypattern_destroy(kp);
	return kp != NULL;
}

bool store_create_index(store_t *st, const char *coll, const store_index_t *index,
			store_error_t *err)
{
	store_error_t local;
	store_index_t ix;
	bson_t norm;
	char defname[512];
	bool ok = false;

	if (!err)
		err = &local;
	error_clear(err);
	CHECK_STORE(st, err);
	if (!store_coll_name_ok(coll, err))
		return false;
	if (!index) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "store_create_index: no index");
		return false;
	}
	if (!normalize_index_keys(index->keys, &norm, defname, sizeof defname, err))
		goto done;
	ix = *index;
	ix.keys = &norm;
	ix.name = index->name ? index->name : defname;
	if (!*ix.name || strlen(ix.name) > 127) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "index name must be 1 to 127 bytes");
		goto done;
	}
	if (ix.expire_after_seconds > 2147483647LL) {
		store_error_set(err, STORE_ERR_BAD_VALUE,
				"expireAfterSeconds must be between 0 and 2147483647");
		goto done;
	}
	if (ix.expire_after_seconds < 0)
		ix.expire_after_seconds = -1;
	if (bson_count_keys(&norm) == 1 && bson_has_field(&norm, "_id")) {
		/* The _id index always exists; only its plain form is accepted. */
		if (ix.unique || ix.expire_after_seconds >= 0 ||
		    (index->name && strcmp(index->name, "_id_") != 0)) {
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"the _id index exists already and takes no options");
			goto done;
		}
		ok = true;
		goto done;
	}
	if (strcmp(ix.name, "_id_") == 0) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "the index name '_id_' is reserved");
		goto done;
	}
	if (ix.expire_after_seconds >= 0 && bson_count_keys(&norm) != 1) {
		store_error_set(err, STORE_ERR_BAD_VALUE,
				"TTL indexes are single-field indexes, compound indexes do not "
				"support TTL");
		goto done;
	}
	ok = st->ops->create_index(st, coll, &ix, err);
done:
	bson_destroy(&norm);
	return ok;
}

bool store_list_indexes(store_t *st, const char *coll, bson_t *out, store_error_t *err)
{
	store_error_t local;

	if (!err)
		err = &local;
	error_clear(err);
	CHECK_STORE(st, err);
	if (!store_coll_name_ok(coll, err))
		return false;
	return st->ops->list_indexes(st, coll, out, err);
}

bool store_list_collections(store_t *st, char ***names, size_t *n, store_error_t *err)
{
	store_error_t local;

	if (!err)
		err = &local;
	error_clear(err);
	*names = NULL;
	*n = 0;
	CHECK_STORE(st, err);
	return st->ops->list_collections(st, names, n, err);
}

void store_free_names(char **names, size_t n)
{
	size_t i;

	if (!names)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

bool store_drop(store_t *st, const char *coll, store_error_t *err)
{
	store_error_t local;

	if (!err)
		err = &local;
	error_clear(err);
	CHECK_STORE(st, err);
	if (!store_coll_name_ok(coll, err))
		return false;
	return st->ops->drop(st, coll, err);
}

bool store_expire_ttl(store_t *st, store_error_t *err)
{
	store_error_t local;

	if (!err)
		err = &local;
	error_clear(err);
	CHECK_STORE(st, err);
	return st->ops->expire_ttl(st, err);
}

bool store_fail(struct err *e, const char *what, const store_error_t *se)
{
	log_error("%s: store error %d: %s", what, se ? se->code : 0,
		  se ? se->message : "");
	if (se && se->code == STORE_ERR_UNAVAILABLE)
		return err_set(e, 503, "unavailable", NULL,
			       "The service is temporarily unavailable. Please try again.");
	return err_set(e, 500, "internal", NULL, "Internal error.");
}
