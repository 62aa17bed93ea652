/*
 * store.h — documents with MongoDB semantics, over SQLite or MongoDB.
 *
 * Every feature reads and writes its collections through this interface.
 * Documents are libbson `bson_t`; collection and field names are the
 * original system's (SPEC §3). Two backends, chosen by store_open():
 *   - "mongodb://…" or "mongodb+srv://…"  → MongoDB through libmongoc
 *     (store/mongo.c; a client pool per process, created after fork);
 *   - anything else is a path to the embedded SQLite file (store/sqlite.c;
 *     WAL, safe for every worker of every process at once).
 * Both behave the same: the conformance suite (t/unit/store-conformance.c)
 * runs on both.
 *
 * A store_t belongs to one process and one thread: open it in each worker
 * after fork(), never share it across fork().
 *
 * Errors: every call that can fail returns false (or NULL) and fills the
 * caller's store_error_t (which may be NULL). Codes follow MongoDB's where
 * MongoDB has one, so callers test `err.code == STORE_ERR_DUPLICATE_KEY`
 * on either backend.
 */
#ifndef CWC_STORE_H
#define CWC_STORE_H

#include "core/err.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

enum store_error_code {
	STORE_OK = 0,
	STORE_ERR_INTERNAL = 1,        /* a bug or an unexpected backend error */
	STORE_ERR_BAD_VALUE = 2,       /* malformed filter/update/document (MongoDB BadValue) */
	STORE_ERR_UNAVAILABLE = 6,     /* cannot reach or open the store (MongoDB HostUnreachable) */
	STORE_ERR_UNSUPPORTED = 9,     /* an operator this store does not implement (FailedToParse) */
	STORE_ERR_NOT_FOUND = 26,      /* namespace/index not found */
	STORE_ERR_CONFLICT = 112,      /* write conflict that survived the retries */
	STORE_ERR_DUPLICATE_KEY = 11000,
};

typedef struct store_error {
	int code;           /* enum store_error_code */
	char message[512];  /* for the log; never shown to a client as is */
} store_error_t;

typedef struct store store_t;
typedef struct store_cursor store_cursor_t;

/* Opens the store named by `uri` (see the file comment). For the embedded
 * backend the schema is created on first open. The password of a MongoDB
 * URI never appears in `err->message`. Returns NULL on error.
 * Free with store_close(). */
store_t *store_open(const char *uri, store_error_t *err);
void store_close(store_t *st);

/* "sqlite" or "mongodb". */
const char *store_backend_name(const store_t *st);

/* A real round trip (MongoDB: ping; SQLite: a read of the schema). */
bool store_ping(store_t *st, store_error_t *err);

/* Inserts `doc`; when it has no `_id`, an ObjectId is added first (the
 * stored document starts with `_id`). When `id_out` is non-NULL it receives
 * a copy of the `_id` value (free with bson_value_destroy()). Keys starting
 * with '$' or containing '.' are refused (STORE_ERR_BAD_VALUE). */
bool store_insert_one(store_t *st, const char *coll, const bson_t *doc,
		      bson_value_t *id_out, store_error_t *err);

/* Inserts `n` documents in order. Ordered semantics, as MongoDB's default:
 * stops at the first error (e.g. a duplicate key) with the documents
 * before it inserted; `*n_inserted` (may be NULL) says how many were. */
bool store_insert_many(store_t *st, const char *coll, const bson_t *const *docs,
		       size_t n, size_t *n_inserted, store_error_t *err);

typedef struct store_find_opts {
	const bson_t *sort;        /* { field: 1 | -1, … } or NULL */
	const bson_t *projection;  /* inclusion or exclusion, MongoDB rules; NULL = whole doc */
	int64_t skip;              /* 0 = none */
	int64_t limit;             /* 0 = no limit */
} store_find_opts_t;

/* Starts a query. `filter` may be NULL (all documents). `opts` may be NULL.
 * Returns NULL on error (bad filter, store down). Free with
 * store_cursor_destroy(), before store_close(). */
store_cursor_t *store_find(store_t *st, const char *coll, const bson_t *filter,
			   const store_find_opts_t *opts, store_error_t *err);

/* Advances the cursor. Returns true and points *doc at the next document
 * (owned by the cursor, valid until the next call); false at the end or on
 * error — store_cursor_error() tells which. */
bool store_cursor_next(store_cursor_t *cur, const bson_t **doc);
bool store_cursor_error(store_cursor_t *cur, store_error_t *err);
void store_cursor_destroy(store_cursor_t *cur);

/* The first document matching `filter` (after opts' sort/skip), copied into
 * `out`, which this function initialises whenever it returns true (the
 * caller then calls bson_destroy(out)); *found says whether there was one
 * (when false, `out` is an empty document). */
bool store_find_one(store_t *st, const char *coll, const bson_t *filter,
		    const store_find_opts_t *opts, bson_t *out, bool *found,
		    store_error_t *err);

typedef struct store_update_result {
	int64_t matched;
	int64_t modified;
	bool upserted;
	bson_value_t upserted_id;  /* set when upserted; free with bson_value_destroy() */
} store_update_result_t;

/* `update` is a document of update operators: $set $unset $inc $push
 * $pull $addToSet (a replacement document or another operator is refused
 * with STORE_ERR_UNSUPPORTED / STORE_ERR_BAD_VALUE). With `upsert`, when
 * nothing matches, a document is built from the filter's equality fields
 * and the update, as MongoDB does. `res` may be NULL. */
bool store_update_one(store_t *st, const char *coll, const bson_t *filter,
		      const bson_t *update, bool upsert,
		      store_update_result_t *res, store_error_t *err);
bool store_update_many(store_t *st, const char *coll, const bson_t *filter,
		       const bson_t *update, bool upsert,
		       store_update_result_t *res, store_error_t *err);

typedef struct store_fam_opts {
	const bson_t *sort;        /* which document when several match */
	const bson_t *projection;  /* applied to the returned document */
	bool upsert;
	bool return_new;           /* the document after the update (default: before) */
} store_fam_opts_t;

/* Atomically finds one document and updates it. When one was found, `out`
 * receives the document before or after (per `return_new`) and *found is
 * true; when one was upserted, only with `return_new` (before an insert
 * there was no document: *found is false, as MongoDB returns null). `out`
 * is initialised whenever this returns true. */
bool store_find_one_and_update(store_t *st, const char *coll,
			       const bson_t *filter, const bson_t *update,
			       const store_fam_opts_t *opts, bson_t *out,
			       bool *found, store_error_t *err);

/* Deletes the first / every matching document; `*deleted` may be NULL. */
bool store_delete_one(store_t *st, const char *coll, const bson_t *filter,
		      int64_t *deleted, store_error_t *err);
bool store_delete_many(store_t *st, const char *coll, const bson_t *filter,
		       int64_t *deleted, store_error_t *err);

bool store_count(store_t *st, const char *coll, const bson_t *filter,
		 int64_t *count, store_error_t *err);

typedef struct store_index {
	const char *name;      /* NULL: MongoDB's default name, e.g. "email_1" */
	const bson_t *keys;    /* { field: 1 | -1, … } (compound when several) */
	bool unique;
	int64_t expire_after_seconds;  /* TTL; < 0 when not a TTL index */
} store_index_t;

/* Creates the index if it does not exist (idempotent). */
bool store_create_index(store_t *st, const char *coll,
			const store_index_t *index, store_error_t *err);

/* The collection's indexes in listIndexes form, as an array document
 * { "0": {v, key, name, unique?, expireAfterSeconds?}, … } including _id_.
 * `out` is initialised whenever this returns true. */
bool store_list_indexes(store_t *st, const char *coll, bson_t *out,
			store_error_t *err);

/* The names of the collections that exist, sorted. Free with
 * store_free_names(). */
bool store_list_collections(store_t *st, char ***names, size_t *n,
			    store_error_t *err);
void store_free_names(char **names, size_t n);

/* Fills `err` (may be NULL) with `code` and a printf-style message. */
void store_error_set(store_error_t *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The one mapping from a store failure to what a client is told: logs
 * `what` and `se`, fills `e` with 503 "unavailable" when the store cannot
 * be reached, else 500 "internal" (no detail: that is in the log).
 * Returns false. */
bool store_fail(struct err *e, const char *what, const store_error_t *se);

/* The limits every backend enforces (a restore checks a dump against them
 * before it writes anything). */
#define STORE_MAX_DOC_SIZE   (16 * 1024 * 1024)  /* MongoDB's BSONObjMaxUserSize */
#define STORE_MAX_COLL_NAME  200

/* Whether `coll` is a name the store accepts (not empty, at most
 * STORE_MAX_COLL_NAME bytes, no '$', no leading or trailing '.', not
 * "system.*"); false fills `err` (may be NULL) with STORE_ERR_BAD_VALUE. */
bool store_coll_name_ok(const char *coll, store_error_t *err);

/* Drops a collection and its indexes; dropping a missing one succeeds. */
bool store_drop(store_t *st, const char *coll, store_error_t *err);

/* Removes the documents whose TTL has passed (MongoDB does this by itself
 * about once a minute; the embedded store does it at most once a minute
 * during writes, and here on demand). */
bool store_expire_ttl(store_t *st, store_error_t *err);

/* Creates the indexes declared for every collection of SPEC §3
 * (store/indexes.c), idempotently. On a server that refuses TTL indexes
 * (not implemented), those are created without their TTL and one warning
 * is logged: see store_purge_expired(). */
bool store_ensure_indexes(store_t *st, store_error_t *err);

/* Removes, on any backend, the documents that the declared TTL indexes
 * would have removed by `now_ms` (ms since the epoch): what runs where the
 * server has no TTL indexes. `*n_removed` gets how many. */
bool store_purge_expired(store_t *st, int64_t now_ms, int64_t *n_removed, store_error_t *err);

#endif
