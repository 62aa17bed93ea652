/*
 * query.h — MongoDB query semantics over bson_t, as pure functions.
 *
 * The embedded backend (store/sqlite.c) evaluates everything with these;
 * store.c uses the constructors to validate filters, updates, sorts and
 * projections identically for both backends. Semantics follow MongoDB:
 *   - comparison across types in MongoDB's canonical order (MinKey <
 *     undefined < null < numbers < strings/symbols < objects < arrays <
 *     binData < ObjectId < bool < date < timestamp < regex < dbPointer <
 *     code < code-with-scope < MaxKey); int32, int64, double and decimal128
 *     compare exactly by value, NaN below every other number;
 *   - filters: implicit equality, $eq $ne $gt $gte $lt $lte $in $nin
 *     $exists $and $or $elemMatch, dotted paths through documents and
 *     arrays, "matching inside arrays", null matching missing fields,
 *     comparisons only within one type bracket;
 *   - updates: $set $unset $inc $push($each) $pull $addToSet($each), applied
 *     in the lexicographic order of their paths (MongoDB ≥ 5.0);
 *   - projections (inclusion / exclusion, `_id` rules, dotted paths) and
 *     sorts (array fields sort by their smallest / largest element).
 *
 * Also here: an order-preserving byte encoding of BSON values (memcmp order
 * = MongoDB order; equal values such as 1, 1L, 1.0 encode identically)
 * used for index keys, and the index keys of a document.
 *
 * Every constructor copies what it needs (the caller's bson_t may go away)
 * and reports errors in a store_error_t with the codes of store.h:
 * STORE_ERR_UNSUPPORTED for operators the store does not implement (the
 * message names the operator), STORE_ERR_BAD_VALUE for malformed input.
 */
#ifndef CWC_STORE_QUERY_H
#define CWC_STORE_QUERY_H

#include "store/store.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- comparison ---------------------------------------------------------- */

/* MongoDB's canonical rank of a type (lower sorts first). */
int squery_type_rank(bson_type_t t);

/* <0, 0, >0 as MongoDB orders the two values (documents and arrays
 * compared element by element: type rank, then field name, then value). */
int squery_compare(const bson_value_t *a, const bson_value_t *b);
int squery_compare_docs(const bson_t *a, const bson_t *b);

/* ---- documents ----------------------------------------------------------- */

/* MongoDB's rules for stored field names, at any depth: no key starting
 * with '$' or containing '.'; nesting at most STORE_MAX_DEPTH levels.
 * STORE_ERR_BAD_VALUE names the offending key. */
bool squery_check_fields(const bson_t *doc, store_error_t *err);

/* ---- filters ------------------------------------------------------------- */

typedef struct squery_filter squery_filter_t;

/* Compiles `filter` (NULL or empty = match everything). Returns NULL on
 * error. Free with squery_filter_destroy(). */
squery_filter_t *squery_filter_new(const bson_t *filter, store_error_t *err);
void squery_filter_destroy(squery_filter_t *f);
bool squery_filter_match(const squery_filter_t *f, const bson_t *doc);
/* True when the filter has no condition at all. */
bool squery_filter_is_empty(const squery_filter_t *f);

typedef enum squery_op {
	SQUERY_EQ, SQUERY_NE, SQUERY_GT, SQUERY_GTE, SQUERY_LT, SQUERY_LTE,
	SQUERY_IN, SQUERY_NIN, SQUERY_EXISTS, SQUERY_ELEMMATCH,
} squery_op_t;

/* Calls `fn` for each leaf condition every matching document must satisfy
 * (the top level and nested $and; not inside $or). `operand` is the
 * operator's argument (the array for $in), valid while `f` lives. */
typedef void (*squery_conjunct_fn)(void *ctx, const char *path, squery_op_t op,
				   const bson_value_t *operand);
void squery_filter_conjuncts(const squery_filter_t *f, squery_conjunct_fn fn,
			     void *ctx);

/* ---- updates ------------------------------------------------------------- */

typedef struct squery_update squery_update_t;

/* Compiles an update document of operators. Replacement documents and
 * operators other than the six supported are refused with
 * STORE_ERR_UNSUPPORTED (the message names the operator); conflicting
 * paths ("$set a" and "$inc a", or "a" and "a.b") and malformed operands
 * with STORE_ERR_BAD_VALUE. Free with squery_update_destroy(). */
squery_update_t *squery_update_new(const bson_t *update, store_error_t *err);
void squery_update_destroy(squery_update_t *u);

/* Applies `u` to `doc` into `out` (initialised by this function whenever
 * it returns true; the caller calls bson_destroy()). *changed says whether
 * `out` differs from `doc` byte for byte. Errors (STORE_ERR_BAD_VALUE):
 * $inc on a non-number or int64 overflow, $push/$addToSet/$pull on a
 * non-array, a path through a scalar, a change of `_id`, a result larger
 * than 16 MiB. */
bool squery_update_apply(const squery_update_t *u, const bson_t *doc,
			 bson_t *out, bool *changed, store_error_t *err);

/* The document an upsert inserts: the equality conditions of `filter`
 * (top level, $and, single-branch $or, one-element $in; dotted paths make
 * subdocuments), then `u` applied, then `_id` (from the filter, the update,
 * or a new ObjectId) moved first. `out` is initialised whenever this
 * returns true. */
bool squery_upsert_doc(const bson_t *filter, const squery_update_t *u,
		       bson_t *out, store_error_t *err);

/* ---- projection ---------------------------------------------------------- */

typedef struct squery_projection squery_projection_t;

/* NULL or empty `proj` = the whole document. Returns NULL on error.
 * Free with squery_projection_destroy(). */
squery_projection_t *squery_projection_new(const bson_t *proj, store_error_t *err);
void squery_projection_destroy(squery_projection_t *p);
/* Initialises `out` with `doc` projected (a copy of `doc` when p is NULL). */
void squery_project(const squery_projection_t *p, const bson_t *doc, bson_t *out);

/* ---- sort ---------------------------------------------------------------- */

typedef struct squery_sort squery_sort_t;
typedef struct squery_sortkey squery_sortkey_t;

/* { field: 1 | -1, … } (NULL or empty = no sort: returns NULL with
 * err->code == STORE_OK). Free with squery_sort_destroy(). */
squery_sort_t *squery_sort_new(const bson_t *sort, store_error_t *err);
void squery_sort_destroy(squery_sort_t *s);
size_t squery_sort_nfields(const squery_sort_t *s);
const char *squery_sort_field(const squery_sort_t *s, size_t i);
int squery_sort_direction(const squery_sort_t *s, size_t i);  /* 1 or -1 */

/* The sort key of `doc` (which must outlive the key). Never NULL (aborts
 * on out-of-memory like libbson). Free with squery_sortkey_destroy(). */
squery_sortkey_t *squery_sortkey_new(const squery_sort_t *s, const bson_t *doc);
void squery_sortkey_destroy(squery_sortkey_t *k);
int squery_sortkey_compare(const squery_sort_t *s, const squery_sortkey_t *a,
			   const squery_sortkey_t *b);

/* ---- order-preserving keys ----------------------------------------------- */

typedef struct squery_buf {
	uint8_t *data;
	size_t len, cap;
} squery_buf_t;

void squery_buf_append(squery_buf_t *b, const void *data, size_t len);
void squery_buf_free(squery_buf_t *b);

/* Appends the key encoding of `v` (NULL = missing, encoded as null).
 * memcmp() of two encodings orders them as squery_compare() does, and
 * values that compare equal encode identically. The encoding is
 * prefix-free, so encodings can be concatenated (compound keys) and
 * inverted byte by byte (descending components). No encoding starts with
 * 0xFF or 0x00. */
void squery_key_append(squery_buf_t *b, const bson_value_t *v, bool descending);

/* The smallest byte string greater than every string starting with
 * `prefix` (trailing 0xFF bytes dropped, the last other byte + 1).
 * `out` is reset first. An empty result means "no upper bound". */
void squery_key_successor(const uint8_t *prefix, size_t len, squery_buf_t *out);

/* Intervals of single-field key encodings (ascending) that contain the
 * key of every value satisfying `op operand`. `lo` and `hi` are bounds
 * compared as prefixes (a key "equals" a bound when it starts with it),
 * inclusive unless lo_excl / hi_excl ($gt, $lt: the operand's own key is
 * out, exactly, since equal values encode identically). Returns false when
 * no such bound exists (the caller scans instead). *out (n intervals) is
 * freed with squery_intervals_free(). */
typedef struct squery_interval {
	squery_buf_t lo, hi;
	bool lo_excl, hi_excl;
} squery_interval_t;
bool squery_intervals(squery_op_t op, const bson_value_t *operand,
		      squery_interval_t **out, size_t *n);
void squery_intervals_free(squery_interval_t *iv, size_t n);

/* ---- index keys ---------------------------------------------------------- */

typedef struct squery_keypattern squery_keypattern_t;

/* `keys` is { field: 1 | -1, … }. Returns NULL with err on error. */
squery_keypattern_t *squery_keypattern_new(const bson_t *keys, store_error_t *err);
void squery_keypattern_destroy(squery_keypattern_t *kp);
size_t squery_keypattern_nfields(const squery_keypattern_t *kp);
const char *squery_keypattern_field(const squery_keypattern_t *kp, size_t i);
int squery_keypattern_direction(const squery_keypattern_t *kp, size_t i);

typedef struct squery_keyset {
	squery_buf_t *keys;   /* sorted, distinct */
	size_t n;
	bool multikey;        /* an array was met on one of the paths */
} squery_keyset_t;

/* The index keys of `doc`: per field the values on its path (elements of
 * arrays, as MongoDB's multikey indexes; missing = null; empty array =
 * undefined), encoded in the field's direction and concatenated; the cross
 * product when one field yields several values. Two fields reaching
 * different arrays = STORE_ERR_BAD_VALUE ("cannot index parallel arrays").
 * `out` is reset first; free with squery_keyset_free(). */
bool squery_index_keys(const squery_keypattern_t *kp, const bson_t *doc,
		       squery_keyset_t *out, store_error_t *err);
void squery_keyset_free(squery_keyset_t *ks);

/* For messages: { field: value, … } of the index key `key` of `doc`, as
 * MongoDB prints it in "dup key: { email: \"a@b.c\" }". `out` is
 * initialised. */
void squery_index_key_values(const squery_keypattern_t *kp, const bson_t *doc,
			     const uint8_t *key, size_t keylen, bson_t *out);

/* The earliest date on `path` of `doc` (elements of arrays included), in
 * ms since the epoch; false when there is none (TTL: never expires). */
bool squery_earliest_date(const bson_t *doc, const char *path, int64_t *ms);

#endif
