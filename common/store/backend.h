/*
 * backend.h — what a store backend implements (internal to the store).
 *
 * store.c owns the public interface of store.h: it checks every argument,
 * validates documents, filters, updates, sorts, projections and index
 * specifications once for both backends, then calls the backend through
 * `struct store_ops`. A backend therefore receives only well-formed input:
 *
 *   - `coll` is a valid collection name (non-empty, no '$', no NUL, not
 *     "system.*", at most STORE_MAX_COLL_NAME bytes);
 *   - documents to insert are valid BSON, at most 16 MiB, with no key
 *     starting with '$' or containing '.', nesting ≤ 100, and `_id` is their
 *     FIRST field (added as a new ObjectId by store.c when missing; never an
 *     array, regex or undefined);
 *   - `filter` is NULL or uses only the operators squery_filter_new()
 *     accepts ($eq $ne $gt $gte $lt $lte $in $nin $exists $and $or
 *     $elemMatch); anything else was refused with STORE_ERR_UNSUPPORTED;
 *   - `update` uses only $set $unset $inc $push $pull $addToSet (with $each
 *     for $push/$addToSet), with no conflicting paths (squery_update_new());
 *   - `opts` is never NULL (store.c passes zeroed defaults), skip/limit are
 *     ≥ 0, sort and projection are valid (squery_sort_new(),
 *     squery_projection_new());
 *   - an index's `name` is never NULL (store.c fills MongoDB's default name)
 *     and its `keys` are normalised to int32 1 / -1; a TTL index has one
 *     field; a request for the `_id` index never reaches the backend.
 *
 * Errors: every operation returns false (or NULL) and fills `err` (never
 * NULL here: store.c passes its own when the caller gave none) using the
 * codes of store.h. A backend speaking to a MongoDB server maps the
 * server's codes: 11000/11001/12582 → STORE_ERR_DUPLICATE_KEY; 2, 9, 14,
 * 28, 40, 52, 54, 66, 67, 85, 86, 171, 10334, 17419 → STORE_ERR_BAD_VALUE
 * (except 9 FailedToParse for an unknown operator → STORE_ERR_UNSUPPORTED);
 * 26 → STORE_ERR_NOT_FOUND; 112 → STORE_ERR_CONFLICT; network and
 * server-selection errors → STORE_ERR_UNAVAILABLE; the rest →
 * STORE_ERR_INTERNAL. Messages keep the server's text (it is for the log)
 * and never contain a URI password (use store_uri_redact()).
 *
 * Memory: a backend allocates its `struct store` (embedding it as the first
 * member of its own struct is the usual way) in `open` and frees it in
 * `close`; same for cursors (`struct store_cursor` first) in `find` and the
 * cursor's `destroy`. Nothing a backend returns through an out-parameter
 * aliases its internal memory except the cursor's current document. A
 * cursor refers to its store: callers destroy cursors before closing it.
 */
#ifndef CWC_STORE_BACKEND_H
#define CWC_STORE_BACKEND_H

#include "store/store.h"

#include <stdarg.h>

#define STORE_MAX_DEPTH      100                 /* MongoDB's nesting limit */
#define STORE_MAX_INDEX_KEYS 32

struct store_ops {
	const char *name;  /* "sqlite", "mongodb": store_backend_name() */

	/* `uri` is the caller's, unmodified. Returns a new store with `ops`
	 * set, or NULL with `err` filled (password masked). */
	store_t *(*open)(const char *uri, store_error_t *err);
	void (*close)(store_t *st);
	bool (*ping)(store_t *st, store_error_t *err);

	/* Ordered insert: stops at the first failure with the documents
	 * before it stored; *n_inserted (never NULL) says how many were. */
	bool (*insert_many)(store_t *st, const char *coll,
			    const bson_t *const *docs, size_t n,
			    size_t *n_inserted, store_error_t *err);

	/* `filter` may be NULL (everything). The cursor yields documents
	 * already sorted, skipped, limited and projected. */
	store_cursor_t *(*find)(store_t *st, const char *coll,
				const bson_t *filter,
				const store_find_opts_t *opts, store_error_t *err);

	/* update_one when !many. `res` is never NULL and arrives zeroed; on
	 * upsert the backend sets res->upserted and res->upserted_id (owned by
	 * the caller afterwards). */
	bool (*update)(store_t *st, const char *coll, const bson_t *filter,
		       const bson_t *update, bool many, bool upsert,
		       store_update_result_t *res, store_error_t *err);

	/* Atomic. `opts` is never NULL. On success *found says whether a
	 * document was found or upserted, and `out` (initialised by the backend
	 * whenever it returns true) holds it, projected. */
	bool (*find_one_and_update)(store_t *st, const char *coll,
				    const bson_t *filter, const bson_t *update,
				    const store_fam_opts_t *opts, bson_t *out,
				    bool *found, store_error_t *err);

	/* delete_one when !many. `*deleted` is never NULL. */
	bool (*delete)(store_t *st, const char *coll, const bson_t *filter,
		       bool many, int64_t *deleted, store_error_t *err);

	bool (*count)(store_t *st, const char *coll, const bson_t *filter,
		      int64_t *count, store_error_t *err);

	/* Idempotent: same name and spec = success without change; same name
	 * with another spec, or same keys under another name = error
	 * (STORE_ERR_BAD_VALUE, MongoDB's IndexOptionsConflict /
	 * IndexKeySpecsConflict). Existing documents violating a unique index
	 * = STORE_ERR_DUPLICATE_KEY, and no index is left behind. */
	bool (*create_index)(store_t *st, const char *coll,
			     const store_index_t *index, store_error_t *err);

	/* `out` initialised by the backend whenever it returns true.
	 * Unknown collection: STORE_ERR_NOT_FOUND. */
	bool (*list_indexes)(store_t *st, const char *coll, bson_t *out,
			     store_error_t *err);

	/* Sorted names, malloc'd array of malloc'd strings (freed by
	 * store_free_names()). */
	bool (*list_collections)(store_t *st, char ***names, size_t *n,
				 store_error_t *err);

	bool (*drop)(store_t *st, const char *coll, store_error_t *err);
	bool (*expire_ttl)(store_t *st, store_error_t *err);
};

struct store {
	const struct store_ops *ops;
};

struct store_cursor_ops {
	/* Returns true with *doc pointing at the next document (owned by the
	 * cursor, valid until the next call); false at the end, or on error
	 * with `err` filled (the caller then keeps the error). */
	bool (*next)(store_cursor_t *cur, const bson_t **doc, store_error_t *err);
	void (*destroy)(store_cursor_t *cur);
};

struct store_cursor {
	const struct store_cursor_ops *ops;
	bool failed;           /* set by store.c after next() reported an error */
	store_error_t error;
};

/* The backends: store/sqlite.c and store/mongo.c. */
extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_mongo_ops;

/* Copies `uri` into `out` (size `outsz`, always NUL-terminated) with the
 * password of a "scheme://user:password@host" URI replaced by "***".
 * Backends use it in every message that names the URI. */
void store_uri_redact(const char *uri, char *out, size_t outsz);

/* Embedded backend only (0 / "" on another backend): the number of stored
 * documents read and tested against a filter since the store was opened,
 * and a short description of the plan of the last query ("IXSCAN email_1",
 * "IDHACK", "COLLSCAN"), so tests can prove indexed lookups do not scan. */
uint64_t store_sqlite_docs_examined(const store_t *st);
const char *store_sqlite_last_plan(const store_t *st);

#endif
