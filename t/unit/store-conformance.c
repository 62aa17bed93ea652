/*
 * store-conformance.c — one suite for every store backend (store.h).
 *
 * The store is CWC_TEST_STORE_URI (e.g. mongodb://127.0.0.1:27017/cwc-test);
 * without it, an embedded store in a fresh temporary directory that the
 * test removes. Collections are named "t<pid>x<random>_<name>" and dropped
 * at the end, so runs against a shared server do not collide. Tests that
 * only make sense for one backend say "# skip" with the reason on the
 * other. Prints TAP.
 *
 * CWC_TEST_STORE_PEER=ferretdb says the server is the FerretDB test server
 * (t/mongo-server): the points where FerretDB is known to differ from
 * MongoDB (docs/ferretdb.md) are then skipped with the reason, never
 * counted as passed.
 */
#include "store/store.h"
#include "store/backend.h"
#include "tap.h"
#include "testdoc.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- TAP (tap.h) and the FerretDB skips ----------------------------------------- */

static bool ferretdb;

/* On the FerretDB test server: reports `what` as skipped for the known
 * `difference` and returns true. */
static bool ferret_skip(const char *what, const char *difference)
{
	if (!ferretdb)
		return false;
	skip("%s: FerretDB %s (docs/ferretdb.md)", what, difference);
	return true;
}

/* ---- helpers --------------------------------------------------------------------- */

static store_t *st;
static const char *uri;
static bool embedded;
static char prefix[64];


static bson_t *Jf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bson_t *Jf(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return J(buf);
}

static const char *C(const char *name)
{
	static char ring[8][128];
	static int k;
	char *s = ring[k++ % 8];

	snprintf(s, 128, "%s%s", prefix, name);
	return s;
}

static char *js(const bson_t *b)
{
	static char buf[4][800];
	static int k;
	char *s = b ? bson_as_relaxed_extended_json(b, NULL) : NULL;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s", s ? s : "(null)");
	bson_free(s);
	return buf[k];
}

/* Frees `b` and leaves it an empty document, safe to reuse or free again. */
static void reset(bson_t *b)
{
	bson_destroy(b);
	bson_init(b);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t get_int(const bson_t *doc, const char *path)
{
	bson_iter_t it, f;

	if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, path, &f))
		return INT64_MIN;
	return bson_iter_as_int64(&f);
}

static bson_type_t get_type(const bson_t *doc, const char *path)
{
	bson_iter_t it, f;

	if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, path, &f))
		return BSON_TYPE_EOD;
	return bson_iter_type(&f);
}

/* The "i" fields of what `filter` finds, "0,3,7", or "ERR <code>". */
static const char *find_is(const char *coll, const bson_t *filter, const bson_t *sort,
			   int64_t skip, int64_t limit)
{
	static char out[4][1024];
	static int k;
	char *s = out[k++ % 4];
	store_find_opts_t o = { .sort = sort ? sort : J("{'i': 1}"), .skip = skip, .limit = limit };
	store_error_t err;
	store_cursor_t *cur = store_find(st, coll, filter, &o, &err);
	const bson_t *doc;

	s[0] = '\0';
	if (!cur) {
		snprintf(s, 1024, "ERR %d %s", err.code, err.message);
		return s;
	}
	while (store_cursor_next(cur, &doc))
		snprintf(s + strlen(s), 1024 - strlen(s), "%s%lld", s[0] ? "," : "",
			 (long long) get_int(doc, "i"));
	if (store_cursor_error(cur, &err))
		snprintf(s, 1024, "ERR %d %s", err.code, err.message);
	store_cursor_destroy(cur);
	return s;
}

static int64_t count(const char *coll, const bson_t *filter)
{
	int64_t n = -1;
	store_error_t err;

	if (!store_count(st, coll, filter, &n, &err))
		diag("count %s: %s", coll, err.message);
	return n;
}

static bool insert(const char *coll, const bson_t *doc)
{
	store_error_t err;
	bool r = store_insert_one(st, coll, doc, NULL, &err);

	if (!r)
		diag("insert into %s: %s", coll, err.message);
	return r;
}

static bool find_one(const char *coll, const bson_t *filter, bson_t *out)
{
	bool found = false;
	store_error_t err;

	if (!store_find_one(st, coll, filter, NULL, out, &found, &err)) {
		diag("find_one: %s", err.message);
		bson_init(out);
		return false;
	}
	return found;   /* `out` is initialised either way (empty when not found) */
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_open_errors(void)
{
	store_error_t err;
	store_t *s;
	const char *secret_uri =
		"mongodb://cwcuser:s3cr%40tPass@127.0.0.1:1/cwc?serverSelectionTimeoutMS=300&connectTimeoutMS=300";

	s = store_open("/nonexistent-dir-cwc/sub/store.sqlite3", &err);
	ok(!s && err.code == STORE_ERR_UNAVAILABLE &&
	   strstr(err.message, "/nonexistent-dir-cwc/sub/store.sqlite3") != NULL,
	   "an embedded store that cannot be opened fails cleanly, naming the path: %s",
	   err.message);
	store_close(s);

	s = store_open(secret_uri, &err);
	if (s) {
		bool pinged = store_ping(s, &err);
		ok(!pinged && err.code == STORE_ERR_UNAVAILABLE && !strstr(err.message, "s3cr") &&
		   !strstr(err.message, "tPass"),
		   "an unreachable MongoDB is UNAVAILABLE and the password is not in the message: %s",
		   err.message);
		store_close(s);
	} else {
		ok(err.code == STORE_ERR_UNAVAILABLE && !strstr(err.message, "s3cr") &&
		   !strstr(err.message, "tPass"),
		   "a MongoDB store that cannot be opened hides the password: %s", err.message);
	}
	{
		char red[256];
		store_uri_redact("mongodb://u:p%40ss@h:1/db", red, sizeof red);
		ok(strcmp(red, "mongodb://u:***@h:1/db") == 0, "store_uri_redact masks the password: %s",
		   red);
	}
	ok(store_ping(st, &err), "ping: a real round trip to the store (%s)", store_backend_name(st));
}

static void test_insert_and_ids(void)
{
	const char *c = C("ins");
	store_error_t err;
	bson_value_t id;
	bson_t got = BSON_INITIALIZER;
	bson_iter_t it;

	ok(store_insert_one(st, c, J("{'name': 'a'}"), &id, &err) && id.value_type == BSON_TYPE_OID,
	   "insert without _id: a new ObjectId is returned");
	{
		bson_t filter = BSON_INITIALIZER;
		bson_append_value(&filter, "_id", 3, &id);
		ok(find_one(c, &filter, &got) && bson_iter_init(&it, &got) && bson_iter_next(&it) &&
		   strcmp(bson_iter_key(&it), "_id") == 0 && get_type(&got, "_id") == BSON_TYPE_OID,
		   "the stored document starts with _id");
		reset(&got);
		bson_destroy(&filter);
	}
	bson_value_destroy(&id);
	ok(insert(c, J("{'name': 'b', 'x': 1, '_id': 'b1'}")) &&
	   find_one(c, J("{'_id': 'b1'}"), &got), "insert with _id in the middle");
	ok(bson_iter_init(&it, &got) && bson_iter_next(&it) && strcmp(bson_iter_key(&it), "_id") == 0 &&
	   bson_iter_next(&it) && strcmp(bson_iter_key(&it), "name") == 0,
	   "…is stored with _id moved first, other fields in order: %s", js(&got));
	reset(&got);

	ok(!store_insert_one(st, c, J("{'$x': 1}"), NULL, &err) && err.code == STORE_ERR_BAD_VALUE,
	   "a top-level '$' key is refused: %s", err.message);
	ok(!store_insert_one(st, c, J("{'a.b': 1}"), NULL, &err) && err.code == STORE_ERR_BAD_VALUE,
	   "a dotted key is refused: %s", err.message);
	ok(!store_insert_one(st, c, J("{'a': {'b': [{'$c': 1}]}}"), NULL, &err) &&
	   err.code == STORE_ERR_BAD_VALUE, "a '$' key nested in an array is refused");
	ok(!store_insert_one(st, c, J("{'_id': [1, 2]}"), NULL, &err) && err.code == STORE_ERR_BAD_VALUE,
	   "an array _id is refused: %s", err.message);
	ok(count(c, NULL) == 2, "refused documents were not stored");
	ok(!store_insert_one(st, "bad$name", J("{}"), NULL, &err) && err.code == STORE_ERR_BAD_VALUE &&
	   !store_insert_one(st, "", J("{}"), NULL, &err), "invalid collection names are refused");
	{
		size_t big = 17 * 1024 * 1024;
		char *s = malloc(big);
		bson_t *doc = bson_new();
		memset(s, 'x', big - 1);
		s[big - 1] = '\0';
		BSON_APPEND_UTF8(doc, "s", s);
		ok(!store_insert_one(st, c, doc, NULL, &err) && err.code == STORE_ERR_BAD_VALUE,
		   "a document over 16 MiB is refused: %s", err.message);
		bson_destroy(doc);
		free(s);
	}
}

/* Inserts `doc` and reads it back by _id "roundtrip": the same bytes? */
static void roundtrip(const char *c, bson_t *doc, const char *what)
{
	bson_t got = BSON_INITIALIZER;

	store_delete_many(st, c, NULL, NULL, NULL);
	ok(insert(c, doc), "insert a document holding %s", what);
	ok(find_one(c, J("{'_id': 'roundtrip'}"), &got) && got.len == doc->len &&
	   memcmp(bson_get_data(&got), bson_get_data(doc), doc->len) == 0,
	   "%s round-trip bit for bit (%u bytes)", what, doc->len);
	bson_destroy(&got);
}

static void test_roundtrip(void)
{
	const char *c = C("types");
	bson_t *doc = bson_new(), sub, arr;
	bson_oid_t oid;
	bson_decimal128_t dec;
	uint8_t bin[5] = { 0, 1, 2, 0xfe, 0xff };
	uint8_t uuid[16] = { 0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x45, 0x67,
			     0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67 };

	bson_oid_init_from_string(&oid, "5f1e2d3c4b5a69788796a5b4");
	BSON_APPEND_UTF8(doc, "_id", "roundtrip");
	BSON_APPEND_DOUBLE(doc, "double", 3.141592653589793);
	BSON_APPEND_DOUBLE(doc, "negzero", -0.0);
	BSON_APPEND_DOUBLE(doc, "nan", NAN);
	BSON_APPEND_DOUBLE(doc, "inf", -INFINITY);
	bson_append_utf8(doc, "string", -1, "caf\xc3\xa9 \xe2\x82\xac a\0b", 12);
	BSON_APPEND_DOCUMENT_BEGIN(doc, "doc", &sub);
	BSON_APPEND_INT32(&sub, "z", 1);
	BSON_APPEND_INT32(&sub, "a", 2);
	bson_append_document_end(doc, &sub);
	BSON_APPEND_ARRAY_BEGIN(doc, "array", &arr);
	BSON_APPEND_INT32(&arr, "0", 1);
	BSON_APPEND_UTF8(&arr, "1", "two");
	BSON_APPEND_NULL(&arr, "2");
	bson_append_array_end(doc, &arr);
	BSON_APPEND_BINARY(doc, "binary", BSON_SUBTYPE_BINARY, bin, sizeof bin);
	BSON_APPEND_BINARY(doc, "uuid", BSON_SUBTYPE_UUID, uuid, sizeof uuid);
	BSON_APPEND_BINARY(doc, "empty", BSON_SUBTYPE_BINARY, bin, 0);
	BSON_APPEND_OID(doc, "oid", &oid);
	BSON_APPEND_BOOL(doc, "bool", true);
	BSON_APPEND_DATE_TIME(doc, "date", 1700000000123LL);
	BSON_APPEND_DATE_TIME(doc, "olddate", -86400000LL * 365 * 100);
	BSON_APPEND_NULL(doc, "null");
	BSON_APPEND_REGEX(doc, "regex", "^caf[eé]$", "imsx");
	BSON_APPEND_INT32(doc, "int32", -2147483647 - 1);
	BSON_APPEND_TIMESTAMP(doc, "timestamp", 1700000000, 42);
	BSON_APPEND_INT64(doc, "int64", INT64_MAX);
	bson_decimal128_from_string("1.10E-6000", &dec);
	BSON_APPEND_DECIMAL128(doc, "decimal", &dec);
	bson_decimal128_from_string("-0.00", &dec);
	BSON_APPEND_DECIMAL128(doc, "decimal0", &dec);
	BSON_APPEND_MINKEY(doc, "minkey");
	BSON_APPEND_MAXKEY(doc, "maxkey");
	BSON_APPEND_CODE(doc, "code", "function () { return 1; }");
	BSON_APPEND_DOCUMENT_BEGIN(doc, "nested", &sub);
	{
		bson_t deeper, a2;
		BSON_APPEND_ARRAY_BEGIN(&sub, "list", &a2);
		BSON_APPEND_DOCUMENT_BEGIN(&a2, "0", &deeper);
		BSON_APPEND_DECIMAL128(&deeper, "d", &dec);
		BSON_APPEND_TIMESTAMP(&deeper, "t", 1, 2);
		BSON_APPEND_DATE_TIME(&deeper, "when", 0);
		bson_append_document_end(&a2, &deeper);
		BSON_APPEND_ARRAY_BEGIN(&a2, "1", &deeper);
		bson_append_array_end(&a2, &deeper);
		bson_append_array_end(&sub, &a2);
	}
	bson_append_document_end(doc, &sub);

	if (!ferret_skip("every BSON type round-trips", "drops the connection on decimal128, NaN, "
			 "MinKey, MaxKey; refuses Infinity and nested arrays; stores -0.0 as 0.0"))
		roundtrip(c, doc, "every BSON type");
	bson_destroy(doc);

	/* what every server stores: the types the application uses */
	doc = bson_new();
	BSON_APPEND_UTF8(doc, "_id", "roundtrip");
	BSON_APPEND_DOUBLE(doc, "double", 0.1);
	bson_append_utf8(doc, "string", -1, "caf\xc3\xa9 \xe2\x82\xac a\0b", 12);
	BSON_APPEND_DOCUMENT_BEGIN(doc, "doc", &sub);
	BSON_APPEND_INT32(&sub, "z", 1);
	BSON_APPEND_DATE_TIME(&sub, "a", -1);
	bson_append_document_end(doc, &sub);
	BSON_APPEND_ARRAY_BEGIN(doc, "array", &arr);
	BSON_APPEND_OID(&arr, "0", &oid);
	BSON_APPEND_UTF8(&arr, "1", "two");
	bson_append_array_end(doc, &arr);
	BSON_APPEND_BINARY(doc, "binary", BSON_SUBTYPE_BINARY, bin, sizeof bin);
	BSON_APPEND_BINARY(doc, "uuid", BSON_SUBTYPE_UUID, uuid, sizeof uuid);
	BSON_APPEND_BOOL(doc, "bool", false);
	BSON_APPEND_DATE_TIME(doc, "date", 1700000000123LL);
	BSON_APPEND_NULL(doc, "null");
	BSON_APPEND_REGEX(doc, "regex", "^a", "i");
	BSON_APPEND_INT32(doc, "int32", 7);
	BSON_APPEND_TIMESTAMP(doc, "timestamp", 1700000000, 42);
	BSON_APPEND_INT64(doc, "int64", INT64_MIN);
	roundtrip(c, doc, "the common types");
	bson_destroy(doc);
}

/* The documents the filter table runs on: one value of `a` each. */
static const char *const dataset[] = {
	"{'i': 0, 'a': 1}",
	"{'i': 1, 'a': {'$numberLong': '1'}}",
	"{'i': 2, 'a': 1.5}",
	"{'i': 3, 'a': {'$numberLong': '9007199254740993'}}",
	"{'i': 4, 'a': {'$numberDouble': '9007199254740992'}}",
	"{'i': 5, 'a': '1'}",
	"{'i': 6, 'a': [1, 5]}",
	"{'i': 7, 'a': [[1], 7]}",
	"{'i': 8, 'a': null}",
	"{'i': 9}",
	"{'i': 10, 'a': {'b': 1}}",
	"{'i': 11, 'a': [{'b': 1}, {'b': 3}]}",
	"{'i': 12, 'a': {'$date': {'$numberLong': '1000'}}}",
	"{'i': 13, 'a': {'$oid': '5f0000000000000000000001'}}",
	"{'i': 14, 'a': true}",
	"{'i': 15, 'a': []}",
	"{'i': 16, 'a': {'$numberDecimal': '1.5'}}",
	"{'i': 17, 'a': {'$numberDouble': 'NaN'}}",
	"{'i': 18, 'a': 'b'}",
	"{'i': 19, 'a': {'b': [2, 3]}}",
};

/* i of the documents FerretDB cannot store (nested array, decimal, NaN) */
static bool ferret_unstorable(int i)
{
	return i == 7 || i == 16 || i == 17;
}

/* `list` ("0,7,9") without the documents FerretDB cannot store. */
static const char *ferret_strip(const char *list)
{
	static char out[4][1024];
	static int k;
	char *s = out[k++ % 4], *copy = strdup(list), *tok, *save = NULL;

	s[0] = '\0';
	if (!ferretdb) {
		snprintf(s, 1024, "%s", list);
		free(copy);
		return s;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (!ferret_unstorable(atoi(tok)))
			snprintf(s + strlen(s), 1024 - strlen(s), "%s%s", s[0] ? "," : "", tok);
	free(copy);
	return s;
}

static const struct {
	const char *filter, *want;
	const char *ferret;   /* FerretDB's known difference, or NULL */
} filters[] = {
	{ "{'a': 1}", "0,1,6", NULL },
	{ "{'a': {'$numberLong': '1'}}", "0,1,6", NULL },
	{ "{'a': 1.5}", "2,16", NULL },
	{ "{'a': {'$numberLong': '9007199254740993'}}", "3", NULL },
	{ "{'a': {'$numberDouble': '9007199254740992'}}", "4", NULL },
	{ "{'a': {'$gt': 1}}", "2,3,4,6,7,16", NULL },
	{ "{'a': {'$gte': 1.5, '$lt': {'$numberLong': '9007199254740993'}}}", "2,4,6,7,16", NULL },
	{ "{'a': {'$lt': 1}}", "17", NULL },
	{ "{'a': {'$gte': '1'}}", "5,18", NULL },
	{ "{'a': {'$gt': {'$date': {'$numberLong': '500'}}}}", "12", NULL },
	{ "{'a': {'$gte': {'$oid': '000000000000000000000000'}}}", "13", NULL },
	{ "{'a': true}", "14", NULL },
	{ "{'a': null}", "8,9", NULL },
	{ "{'a': {'$ne': null}}", "0,1,2,3,4,5,6,7,10,11,12,13,14,15,16,17,18,19", NULL },
	{ "{'a': {'$exists': false}}", "9", NULL },
	{ "{'a': {'$exists': true}, 'a.b': {'$exists': true}}", "10,11,19", NULL },
	{ "{'a.b': 1}", "10,11", NULL },
	{ "{'a.b': {'$gt': 2}}", "11,19", NULL },
	{ "{'a.b': null, 'i': {'$in': [0, 8, 9, 10, 11, 12]}}", "0,8,9,12", NULL },
	{ "{'a': {'$in': [1, 'b', null]}}", "0,1,6,8,9,18", NULL },
	{ "{'a': {'$nin': [1, null]}}", "2,3,4,5,7,10,11,12,13,14,15,16,17,18,19", NULL },
	{ "{'a': [1, 5]}", "6", NULL },
	{ "{'a': [1]}", "7", "cannot store nested arrays" },
	{ "{'a': []}", "15", NULL },
	{ "{'a': {'b': 1}}", "10,11", "does not match a whole document inside an array" },
	{ "{'a': {'$elemMatch': {'b': {'$gt': 2}}}}", "11", "$elemMatch is broken" },
	{ "{'a': {'$elemMatch': {'$gte': 5}}}", "6,7", "$elemMatch is broken" },
	{ "{'$or': [{'a': true}, {'a': 'b'}]}", "14,18", NULL },
	{ "{'$and': [{'a': {'$gte': 1}}, {'a': {'$lte': 1}}]}", "0,1,6", NULL },
	{ "{'a': {'$gte': 1, '$lte': 1}}", "0,1,6", NULL },
	{ "{'a': {'$in': [[1, 5], {'b': 1}]}}", "6,10,11",
	  "does not match a whole document inside an array" },
	{ "{'i': {'$gte': 18}, 'a': {'$ne': 'b'}}", "19", NULL },
};

static void run_filter_table(const char *c, const char *label)
{
	size_t i, bad = 0, run = 0;

	for (i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		const char *got, *want = ferret_strip(filters[i].want);
		int64_t n;
		size_t want_n = *want ? 1 : 0;
		const char *p;

		if (ferretdb && filters[i].ferret) {
			diag("skipped on FerretDB (%s): %s", filters[i].ferret, filters[i].filter);
			continue;
		}
		run++;
		got = find_is(c, J(filters[i].filter), NULL, 0, 0);
		n = count(c, J(filters[i].filter));
		for (p = want; *p; p++)
			want_n += *p == ',';
		if (strcmp(got, want) != 0 || n != (int64_t) want_n) {
			bad++;
			diag("%s %s: got [%s] count %lld, want [%s]", label, filters[i].filter, got,
			     (long long) n, want);
		}
	}
	ok(bad == 0, "%zu filters (equality across number types, ranges per type bracket, "
	   "null/missing, dotted paths, arrays, $in $nin $exists $elemMatch $and $or) %s "
	   "(%zu wrong)", run, label, bad);
}

static void test_filters_and_sort(void)
{
	const char *c = C("values");
	store_error_t err;
	size_t i;
	store_index_t ix = { .keys = J("{'a': 1}"), .expire_after_seconds = -1 };

	for (i = 0; i < sizeof dataset / sizeof dataset[0]; i++)
		if (!ferretdb || !ferret_unstorable((int) i))
			insert(c, J(dataset[i]));
	run_filter_table(c, "without an index");
	ok(strcmp(find_is(c, NULL, J("{'a': 1, 'i': 1}"), 0, 0),
		  ferret_strip("15,8,9,17,0,1,6,2,16,7,4,3,5,18,10,11,19,13,14,12")) == 0,
	   "sort ascending across types (arrays by their smallest element, [] first): %s",
	   find_is(c, NULL, J("{'a': 1, 'i': 1}"), 0, 0));
	ok(strcmp(find_is(c, NULL, J("{'a': -1, 'i': 1}"), 0, 0),
		  ferret_strip("12,14,13,7,19,11,10,18,5,3,4,6,2,16,0,1,17,8,9,15")) == 0,
	   "sort descending across types (arrays by their largest element): %s",
	   find_is(c, NULL, J("{'a': -1, 'i': 1}"), 0, 0));

	ok(store_create_index(st, c, &ix, &err), "create a (multikey) index on a: %s", err.message);
	run_filter_table(c, "with an ascending index on a");
	ix.keys = J("{'a': -1, 'i': 1}");
	ok(store_create_index(st, c, &ix, &err), "create a compound index {a: -1, i: 1}");
	run_filter_table(c, "with a descending compound index too");
	ok(strcmp(find_is(c, NULL, J("{'a': 1, 'i': 1}"), 0, 0),
		  ferret_strip("15,8,9,17,0,1,6,2,16,7,4,3,5,18,10,11,19,13,14,12")) == 0,
	   "the sort is the same with indexes");
}

static void test_unsupported(void)
{
	const char *c = C("values");
	store_error_t err;
	store_cursor_t *cur;
	int64_t n;
	static const char *const bad[] = {
		"{'$where': 'this.a == 1'}", "{'a': {'$size': 2}}", "{'a': {'$all': [1]}}",
		"{'a': {'$not': {'$gt': 1}}}", "{'$nor': [{'a': 1}]}", "{'a': {'$type': 'string'}}",
		"{'$expr': {'$eq': [1, 1]}}", "{'a': {'$mod': [2, 0]}}",
	};
	size_t i, refused = 0;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cur = store_find(st, c, J(bad[i]), NULL, &err);
		if (!cur && err.code == STORE_ERR_UNSUPPORTED)
			refused++;
		else
			diag("%s was not refused (%d %s)", bad[i], err.code, err.message);
		store_cursor_destroy(cur);
	}
	ok(refused == sizeof bad / sizeof bad[0], "%zu unsupported query operators are refused, "
	   "never ignored", refused);
	cur = store_find(st, c, J("{'a': {'$size': 2}}"), NULL, &err);
	ok(!cur && strstr(err.message, "$size"), "the message names the operator: %s", err.message);
	store_cursor_destroy(cur);
	ok(!store_count(st, c, J("{'a': {'$regex': '^x'}}"), &n, &err) &&
	   err.code == STORE_ERR_UNSUPPORTED, "count refuses a regex filter");
	ok(!store_delete_many(st, c, J("{'$where': '1'}"), &n, &err) && err.code == STORE_ERR_UNSUPPORTED,
	   "delete refuses an unsupported filter");
	ok(!store_update_many(st, c, J("{}"), J("{'$rename': {'a': 'b'}}"), false, NULL, &err) &&
	   err.code == STORE_ERR_UNSUPPORTED && strstr(err.message, "$rename"),
	   "$rename is refused, named: %s", err.message);
	ok(!store_update_one(st, c, J("{'i': 0}"), J("{'a': 2}"), false, NULL, &err) &&
	   err.code == STORE_ERR_UNSUPPORTED, "a replacement document is refused: %s", err.message);
	ok(!store_update_one(st, c, J("{'i': 0}"), J("{'$set': {'a': 2}, '$currentDate': {'d': true}}"),
			     false, NULL, &err) && err.code == STORE_ERR_UNSUPPORTED,
	   "$currentDate is refused");
	ok(count(c, J("{'a': 2}")) == 0, "refused updates changed nothing");
}

static void test_find_options(void)
{
	const char *c = C("opts");
	store_error_t err;
	store_cursor_t *cur;
	int i;
	const bson_t *doc = NULL;
	store_find_opts_t o = { 0 };
	bson_t got = BSON_INITIALIZER;

	for (i = 0; i < 20; i++)
		insert(c, Jf("{'i': %d, 'n': %d, 'grp': %d, 'sub': {'x': %d, 'y': 'y%d'}}",
			     i, 19 - i, i % 3, i, i));
	ok(strcmp(find_is(c, NULL, J("{'n': -1}"), 5, 3), "5,6,7") == 0,
	   "sort n descending, skip 5, limit 3: %s", find_is(c, NULL, J("{'n': -1}"), 5, 3));
	ok(strcmp(find_is(c, NULL, J("{'n': 1}"), 18, 0), "1,0") == 0, "skip without limit");
	ok(strcmp(find_is(c, J("{'grp': 1}"), J("{'grp': 1, 'i': -1}"), 0, 2), "19,16") == 0,
	   "filter + compound sort + limit");
	ok(strcmp(find_is(c, NULL, NULL, 25, 0), "") == 0, "skip past the end: nothing");
	o.skip = -1;
	cur = store_find(st, c, NULL, &o, &err);
	ok(!cur && err.code == STORE_ERR_BAD_VALUE, "negative skip is refused");
	store_cursor_destroy(cur);
	o.skip = 0;
	o.sort = J("{'i': 'up'}");
	cur = store_find(st, c, NULL, &o, &err);
	ok(!cur && err.code == STORE_ERR_BAD_VALUE, "a sort direction other than 1/-1 is refused");
	store_cursor_destroy(cur);

	o.sort = J("{'i': 1}");
	o.projection = J("{'sub.y': 1, 'n': 1}");
	o.limit = 1;
	cur = store_find(st, c, J("{'i': 4}"), &o, &err);
	ok(cur && store_cursor_next(cur, &doc) && get_type(doc, "_id") == BSON_TYPE_OID &&
	   get_int(doc, "n") == 15 && get_type(doc, "sub.y") == BSON_TYPE_UTF8 &&
	   get_type(doc, "sub.x") == BSON_TYPE_EOD && get_type(doc, "i") == BSON_TYPE_EOD &&
	   get_type(doc, "grp") == BSON_TYPE_EOD && bson_count_keys(doc) == 3,
	   "inclusion keeps _id, the listed fields and dotted subfields only: %s",
	   cur ? js(doc) : err.message);
	store_cursor_destroy(cur);
	o.projection = J("{'_id': 0, 'sub': 0, 'n': 0}");
	cur = store_find(st, c, J("{'i': 4}"), &o, &err);
	ok(cur && store_cursor_next(cur, &doc) &&
	   bson_equal(doc, J("{'i': 4, 'grp': 1}")), "exclusion with _id: 0: %s",
	   cur ? js(doc) : err.message);
	store_cursor_destroy(cur);
	o.projection = J("{'i': 1, 'n': 0}");
	cur = store_find(st, c, NULL, &o, &err);
	ok(!cur && err.code == STORE_ERR_BAD_VALUE, "mixed inclusion and exclusion is refused: %s",
	   err.message);
	store_cursor_destroy(cur);
	{
		store_find_opts_t fo = { .sort = J("{'n': 1}"), .projection = J("{'_id': 0, 'i': 1}") };
		bool found, r;
		r = store_find_one(st, c, J("{'grp': 2}"), &fo, &got, &found, &err);
		ok(r && found && bson_equal(&got, J("{'i': 17}")),
		   "find_one honours sort and projection: %s", r ? js(&got) : err.message);
		if (r)
			reset(&got);
		r = store_find_one(st, c, J("{'grp': 9}"), NULL, &got, &found, &err);
		ok(r && !found && bson_empty(&got), "find_one with no match: found = false, empty document");
		if (r)
			reset(&got);
	}
	ok(strcmp(find_is(C("never-created"), NULL, NULL, 0, 0), "") == 0 &&
	   count(C("never-created"), NULL) == 0, "a missing collection reads as empty");
}

static void test_updates(void)
{
	const char *c = C("upd");
	store_error_t err;
	store_update_result_t r;
	bson_t got = BSON_INITIALIZER;

	insert(c, J("{'_id': 1, 'n': 2147483647, 'tags': ['a'], 'name': 'x', 'score': 1.5}"));
	insert(c, J("{'_id': 2, 'n': 5, 'tags': ['a', 'b'], 'name': 'y'}"));
	insert(c, J("{'_id': 3, 'n': 'text', 'name': 'z'}"));

	ok(store_update_one(st, c, J("{'_id': 1}"), J("{'$inc': {'n': 1}}"), false, &r, &err) &&
	   r.matched == 1 && r.modified == 1 && !r.upserted, "update_one: matched 1, modified 1");
	ok(find_one(c, J("{'_id': 1}"), &got) && get_type(&got, "n") == BSON_TYPE_INT64 &&
	   get_int(&got, "n") == 2147483648LL, "$inc past INT32_MAX becomes an int64: %s", js(&got));
	reset(&got);
	ok(store_update_one(st, c, J("{'_id': 1}"), J("{'$set': {'name': 'x'}}"), false, &r, &err) &&
	   r.matched == 1 && r.modified == 0, "setting the same value: matched 1, modified 0");
	ok(store_update_many(st, c, J("{'tags': 'a'}"), J("{'$push': {'tags': 'c'}, '$set': {'seen': true}}"),
			     false, &r, &err) && r.matched == 2 && r.modified == 2,
	   "update_many on an array element: 2 matched and modified");
	ok(store_update_many(st, c, J("{}"), J("{'$addToSet': {'tags': {'$each': ['b', 'd']}}}"), false,
			     &r, &err) && r.matched == 3 && r.modified == 3, "$addToSet with $each on 3 documents (one without the array)");
	ok(find_one(c, J("{'_id': 2}"), &got) &&
	   bson_equal(&got, J("{'_id': 2, 'n': 5, 'tags': ['a', 'b', 'c', 'd'], 'name': 'y', 'seen': true}")),
	   "…no duplicates added: %s", js(&got));
	reset(&got);
	ok(store_update_one(st, c, J("{'_id': 2}"), J("{'$pull': {'tags': 'a'}, '$unset': {'seen': ''}}"),
			    false, &r, &err) && find_one(c, J("{'_id': 2}"), &got) &&
	   bson_equal(&got, J("{'_id': 2, 'n': 5, 'tags': ['b', 'c', 'd'], 'name': 'y'}")),
	   "$pull of a value and $unset: %s", js(&got));
	reset(&got);
	if (!ferret_skip("$pull with a condition", "$pull only removes equal values")) {
		ok(store_update_one(st, c, J("{'_id': 2}"), J("{'$pull': {'tags': {'$in': ['x', 'd']}}}"),
				    false, &r, &err) && r.modified == 1 && find_one(c, J("{'_id': 2}"), &got) &&
		   bson_equal(&got, J("{'_id': 2, 'n': 5, 'tags': ['b', 'c'], 'name': 'y'}")),
		   "$pull with a condition: %s", js(&got));
		reset(&got);
	}
	ok(store_update_one(st, c, J("{'_id': 2}"), J("{'$set': {'stats.views': 1, 'stats.likes.total': 2}}"),
			    false, &r, &err) && find_one(c, J("{'_id': 2}"), &got) &&
	   get_int(&got, "stats.likes.total") == 2, "$set with dotted paths creates subdocuments");
	reset(&got);
	ok(!store_update_one(st, c, J("{'_id': 3}"), J("{'$inc': {'n': 1}}"), false, &r, &err) &&
	   err.code == STORE_ERR_BAD_VALUE, "$inc on a string fails: %s", err.message);
	ok(find_one(c, J("{'_id': 3}"), &got) && get_type(&got, "n") == BSON_TYPE_UTF8,
	   "…and leaves the document unchanged");
	reset(&got);
	ok(!store_update_one(st, c, J("{'_id': 1}"), J("{'$set': {'n': 1}, '$inc': {'n': 1}}"), false,
			     &r, &err) && err.code == STORE_ERR_BAD_VALUE,
	   "$set and $inc of the same field conflict: %s", err.message);
	ok(!store_update_one(st, c, J("{'_id': 1}"), J("{'$set': {'_id': 9}}"), false, &r, &err) &&
	   err.code == STORE_ERR_BAD_VALUE && count(c, J("{'_id': 9}")) == 0,
	   "changing _id is refused: %s", err.message);
	ok(!store_update_one(st, c, J("{'_id': 3}"), J("{'$push': {'name': 1}}"), false, &r, &err) &&
	   err.code == STORE_ERR_BAD_VALUE, "$push to a non-array fails: %s", err.message);
	ok(store_update_one(st, c, J("{'_id': 404}"), J("{'$set': {'a': 1}}"), false, &r, &err) &&
	   r.matched == 0 && r.modified == 0 && !r.upserted && count(c, NULL) == 3,
	   "no match without upsert: nothing happens");
}

static void test_upserts(void)
{
	const char *c = C("ups");
	store_error_t err;
	store_update_result_t r;
	bson_t got = BSON_INITIALIZER;

	ok(store_update_one(st, c, J("{'$and': [{'k': 'a'}, {'v': {'$eq': 1}}], 'x': {'$gt': 5}}"),
			    J("{'$set': {'w': 2}}"), true, &r, &err) && r.upserted && r.matched == 0 &&
	   r.upserted_id.value_type == BSON_TYPE_OID, "upsert with $and: inserted with a new ObjectId");
	if (r.upserted)
		bson_value_destroy(&r.upserted_id);
	if (!ferret_skip("the upserted document takes equality fields inside $and",
			 "ignores the equalities of $and when upserting")) {
		ok(find_one(c, J("{'k': 'a'}"), &got) && get_int(&got, "v") == 1 &&
		   get_int(&got, "w") == 2 && get_type(&got, "x") == BSON_TYPE_EOD,
		   "…the equality fields of the filter plus the update: %s", js(&got));
		reset(&got);
	}
	ok(store_update_one(st, c, J("{'_id': 'given', 'k': 'b'}"), J("{'$inc': {'n': 1}}"), true, &r,
			    &err) && r.upserted && r.upserted_id.value_type == BSON_TYPE_UTF8 &&
	   strcmp(r.upserted_id.value.v_utf8.str, "given") == 0, "upsert with _id in the filter keeps it");
	if (r.upserted)
		bson_value_destroy(&r.upserted_id);
	ok(store_update_one(st, c, J("{'_id': 'given', 'k': 'b'}"), J("{'$inc': {'n': 1}}"), true, &r,
			    &err) && !r.upserted && r.matched == 1 && r.modified == 1,
	   "an upsert that matches updates, inserts nothing");
	ok(find_one(c, J("{'_id': 'given'}"), &got) && get_int(&got, "n") == 2, "…n is 2");
	reset(&got);
	ok(!store_update_one(st, c, J("{'k': 'c'}"), J("{'$setOnInsert': {'created': 1}}"), true, &r,
			     &err) && err.code == STORE_ERR_UNSUPPORTED && strstr(err.message, "$setOnInsert"),
	   "$setOnInsert is refused with a clear error: %s", err.message);
	ok(store_update_many(st, c, J("{'k': 'd', 'deep.x': 1}"), J("{'$push': {'l': 1}}"), true, &r, &err) &&
	   r.upserted && count(c, J("{'k': 'd', 'deep': {'x': 1}, 'l': [1]}")) == 1,
	   "update_many upsert with a dotted equality builds the subdocument");
	if (r.upserted)
		bson_value_destroy(&r.upserted_id);
	ok(!store_update_one(st, c, J("{'_id': 'z'}"), J("{'$set': {'_id': 'y'}}"), true, &r, &err) &&
	   err.code == STORE_ERR_BAD_VALUE && count(c, J("{'_id': {'$in': ['y', 'z']}}")) == 0,
	   "an upsert changing the filter's _id is refused");
}

static void test_find_one_and_update(void)
{
	const char *c = C("fam");
	store_error_t err;
	bson_t got = BSON_INITIALIZER;
	bool found;
	store_fam_opts_t o = { 0 };

	insert(c, J("{'_id': 1, 'q': 'jobs', 'prio': 5, 'state': 'new'}"));
	insert(c, J("{'_id': 2, 'q': 'jobs', 'prio': 1, 'state': 'new'}"));
	insert(c, J("{'_id': 3, 'q': 'jobs', 'prio': 3, 'state': 'new'}"));

	o.sort = J("{'prio': 1}");
	ok(store_find_one_and_update(st, c, J("{'state': 'new'}"), J("{'$set': {'state': 'taken'}}"), &o,
				     &got, &found, &err) && found && get_int(&got, "_id") == 2 &&
	   get_type(&got, "state") == BSON_TYPE_UTF8 && bson_equal(&got, J("{'_id': 2, 'q': 'jobs', 'prio': 1, 'state': 'new'}")),
	   "sorted find_one_and_update returns the document before the update by default: %s", js(&got));
	reset(&got);
	o.return_new = true;
	o.projection = J("{'state': 1, '_id': 0}");
	ok(store_find_one_and_update(st, c, J("{'state': 'new'}"), J("{'$set': {'state': 'taken'}}"), &o,
				     &got, &found, &err) && found && bson_equal(&got, J("{'state': 'taken'}")),
	   "return_new gives the document after, projected: %s", js(&got));
	reset(&got);
	ok(count(c, J("{'state': 'taken'}")) == 2 && count(c, J("{'_id': 1, 'state': 'new'}")) == 1,
	   "the lowest priorities were taken, in order");
	o.projection = NULL;
	o.upsert = true;
	ok(store_find_one_and_update(st, c, J("{'_id': 7, 'q': 'other'}"), J("{'$inc': {'hits': 1}}"), &o,
				     &got, &found, &err) && found &&
	   bson_equal(&got, J("{'_id': 7, 'q': 'other', 'hits': 1}")),
	   "upsert with return_new returns the inserted document: %s", js(&got));
	reset(&got);
	o.return_new = false;
	ok(store_find_one_and_update(st, c, J("{'_id': 8}"), J("{'$inc': {'hits': 1}}"), &o, &got, &found,
				     &err) && !found && bson_empty(&got) && count(c, J("{'_id': 8, 'hits': 1}")) == 1,
	   "upsert returning the document before: nothing was there (found = false), inserted");
	reset(&got);
	o.upsert = false;
	ok(store_find_one_and_update(st, c, J("{'_id': 99}"), J("{'$inc': {'hits': 1}}"), &o, &got, &found,
				     &err) && !found && count(c, J("{'_id': 99}")) == 0,
	   "no match, no upsert: found = false");
	reset(&got);
}

static void test_delete_count(void)
{
	const char *c = C("del");
	int64_t n = -1;
	store_error_t err;
	int i;

	for (i = 0; i < 10; i++)
		insert(c, Jf("{'i': %d, 'even': %s}", i, i % 2 ? "false" : "true"));
	ok(count(c, NULL) == 10 && count(c, J("{'even': true}")) == 5, "count all and filtered");
	ok(store_delete_one(st, c, J("{'even': true}"), &n, &err) && n == 1 && count(c, NULL) == 9,
	   "delete_one deletes one");
	ok(store_delete_many(st, c, J("{'i': {'$gte': 7}}"), &n, &err) && n == 3 && count(c, NULL) == 6,
	   "delete_many deletes every match");
	ok(store_delete_many(st, c, J("{'i': 100}"), &n, &err) && n == 0, "deleting nothing: 0");
	ok(store_delete_many(st, C("missing"), NULL, &n, &err) && n == 0,
	   "deleting from a missing collection: 0");
}

static void test_insert_many_dups(void)
{
	const char *c = C("many");
	store_error_t err;
	size_t n = 99;
	const bson_t *docs[5] = {
		J("{'_id': 1}"), J("{'_id': 2}"), J("{'_id': 1, 'dup': true}"), J("{'_id': 3}"), J("{'_id': 4}"),
	};

	ok(!store_insert_many(st, c, docs, 5, &n, &err) && err.code == STORE_ERR_DUPLICATE_KEY &&
	   n == 2, "ordered insert_many stops at a duplicate _id (code %d, %zu inserted): %s", err.code,
	   n, err.message);
	ok(count(c, NULL) == 2 && count(c, J("{'dup': true}")) == 0 && count(c, J("{'_id': 3}")) == 0,
	   "the documents before the duplicate are kept, none after");
	if (!ferret_skip("the E11000 message names the index", "shortens the E11000 message"))
		ok(strstr(err.message, "E11000") && strstr(err.message, "_id_"),
		   "the message is MongoDB's E11000 naming the _id_ index");
	ok(store_insert_many(st, c, NULL, 0, &n, &err) && n == 0, "inserting nothing succeeds");
}

static bool has_index(const bson_t *list, const char *name, bson_t *spec)
{
	bson_iter_t it;

	bson_iter_init(&it, list);
	while (bson_iter_next(&it)) {
		bson_iter_t f;
		const uint8_t *d;
		uint32_t l;
		bson_iter_recurse(&it, &f);
		if (bson_iter_find(&f, "name") && strcmp(bson_iter_utf8(&f, NULL), name) == 0) {
			bson_t tmp;
			bson_iter_document(&it, &l, &d);
			bson_init_static(&tmp, d, l);
			if (spec)
				bson_copy_to(&tmp, spec);
			return true;
		}
	}
	return false;
}

static void test_indexes(void)
{
	const char *users = C("users"), *likes = C("likes");
	store_error_t err;
	store_index_t ix = { .keys = J("{'email': 1}"), .unique = true, .expire_after_seconds = -1 };
	bson_t list = BSON_INITIALIZER, spec = BSON_INITIALIZER;
	size_t n;
	bson_iter_t it;

	insert(users, J("{'email': 'a@x.fr'}"));
	ok(store_create_index(st, users, &ix, &err), "create a unique index: %s", err.message);
	ok(store_create_index(st, users, &ix, &err), "creating it again is a no-op");
	ok(!store_insert_one(st, users, J("{'email': 'a@x.fr', 'other': 1}"), NULL, &err) &&
	   err.code == STORE_ERR_DUPLICATE_KEY && strstr(err.message, "E11000"),
	   "a duplicate is refused with 11000: %s", err.message);
	if (!ferret_skip("the E11000 message names the index and the key", "shortens the E11000 message"))
		ok(strstr(err.message, "email_1") && strstr(err.message, "a@x.fr"),
		   "…and MongoDB's message names the index and the key: %s", err.message);
	if (!ferret_skip("a unique index admits one document without the field",
			 "does not index missing fields as null"))
		ok(insert(users, J("{'name': 'no email'}")) &&
		   !store_insert_one(st, users, J("{'name': 'no email either'}"), NULL, &err) &&
		   err.code == STORE_ERR_DUPLICATE_KEY,
		   "a unique index admits one document without the field (missing = null)");
	ok(store_update_one(st, users, J("{'email': 'a@x.fr'}"), J("{'$set': {'email': 'b@x.fr'}}"), false,
			    NULL, &err) && insert(users, J("{'email': 'a@x.fr'}")),
	   "changing the indexed value frees the old one");
	if (!ferret_skip("an update to a duplicate is refused with 11000",
			 "answers code 1 (InternalError)"))
		ok(!store_update_one(st, users, J("{'email': 'a@x.fr'}"),
				     J("{'$set': {'email': 'b@x.fr'}}"), false, NULL, &err) &&
		   err.code == STORE_ERR_DUPLICATE_KEY && count(users, J("{'email': 'a@x.fr'}")) == 1,
		   "an update to a duplicate is refused, nothing changed: %s", err.message);

	ix.unique = false;
	if (!ferret_skip("same name, other options: refused", "accepts it and keeps the old index"))
		ok(!store_create_index(st, users, &ix, &err) && err.code == STORE_ERR_BAD_VALUE,
		   "same name, other options: refused (IndexOptionsConflict): %s", err.message);
	ix.unique = true;
	ix.name = "email_unique";
	ok(!store_create_index(st, users, &ix, &err) && err.code == STORE_ERR_BAD_VALUE,
	   "same keys under another name: refused: %s", err.message);
	ix.name = NULL;

	ix.keys = J("{'name': 1}");
	ok(insert(users, J("{'name': 'twin', 'email': 't1@x.fr'}")) &&
	   insert(users, J("{'name': 'twin', 'email': 't2@x.fr'}")) &&
	   !store_create_index(st, users, &ix, &err), "a unique index over existing duplicates fails");
	if (!ferret_skip("…with 11000", "answers code 1 (InternalError)"))
		ok(err.code == STORE_ERR_DUPLICATE_KEY, "…with 11000: %s", err.message);
	ok(store_list_indexes(st, users, &list, &err), "list indexes");
	ok(!has_index(&list, "name_1", NULL), "…and the failed index is not there");
	ok(bson_iter_init(&it, &list) && bson_iter_next(&it) && bson_iter_recurse(&it, &it) &&
	   bson_iter_find(&it, "name") && strcmp(bson_iter_utf8(&it, NULL), "_id_") == 0,
	   "_id_ comes first");
	ok(has_index(&list, "_id_", &spec) && get_int(&spec, "v") == 2 &&
	   get_int(&spec, "key._id") == 1 && get_type(&spec, "unique") == BSON_TYPE_EOD,
	   "_id_ is {v: 2, key: {_id: 1}, name: '_id_'}: %s", js(&spec));
	reset(&spec);
	ok(has_index(&list, "email_1", &spec) && get_int(&spec, "v") == 2 &&
	   get_int(&spec, "key.email") == 1 && get_type(&spec, "unique") == BSON_TYPE_BOOL &&
	   get_type(&spec, "expireAfterSeconds") == BSON_TYPE_EOD,
	   "email_1 is {v: 2, key: {email: 1}, name, unique: true}: %s", js(&spec));
	reset(&spec);
	reset(&list);

	ix.keys = J("{'user': 1, 'article': -1}");
	ok(store_create_index(st, likes, &ix, &err), "a compound unique index on a new collection");
	ok(insert(likes, J("{'user': 1, 'article': 1}")) && insert(likes, J("{'user': 1, 'article': 2}")) &&
	   insert(likes, J("{'user': 2, 'article': 1}")), "distinct pairs are accepted");
	ok(!store_insert_one(st, likes, J("{'user': 1.0, 'article': {'$numberLong': '1'}}"), NULL, &err) &&
	   err.code == STORE_ERR_DUPLICATE_KEY,
	   "the same pair in other number types is a duplicate: %s", err.message);
	if (!ferret_skip("the E11000 message names the compound index", "shortens the E11000 message"))
		ok(strstr(err.message, "user_1_article_-1") != NULL, "…named in the message");
	ok(store_list_indexes(st, likes, &list, &err) && has_index(&list, "user_1_article_-1", &spec) &&
	   get_int(&spec, "key.article") == -1, "the compound index is listed with its directions");
	reset(&spec);
	reset(&list);

	ok(!store_list_indexes(st, C("nothing-here"), &list, &err) && err.code == STORE_ERR_NOT_FOUND,
	   "listing the indexes of a missing collection: NOT_FOUND");
	{
		char **names;
		size_t i, mine = 0;
		bool sorted = true, found_users = false;
		ok(store_list_collections(st, &names, &n, &err), "list collections");
		for (i = 0; i < n; i++) {
			if (i && strcmp(names[i - 1], names[i]) >= 0)
				sorted = false;
			if (strncmp(names[i], prefix, strlen(prefix)) == 0)
				mine++;
			if (strcmp(names[i], users) == 0)
				found_users = true;
		}
		ok(sorted && found_users && mine >= 5, "…sorted, with the collections created implicitly "
		   "(%zu of this run)", mine);
		store_free_names(names, n);
	}
	ok(store_drop(st, likes, &err) && count(likes, NULL) == 0 &&
	   !store_list_indexes(st, likes, &list, &err), "drop removes the collection and its indexes");
	ok(store_drop(st, likes, &err), "dropping a missing collection succeeds");
	ok(insert(likes, J("{'user': 1, 'article': 1}")) && insert(likes, J("{'user': 1, 'article': 1}")),
	   "after a drop, the old unique index is gone");
}

static void test_ttl(void)
{
	const char *c = C("sessions");
	store_error_t err;
	store_index_t ix = { .keys = J("{'expires': 1}"), .expire_after_seconds = 0 };
	store_index_t ix2 = { .keys = J("{'at': 1}"), .expire_after_seconds = 3600 };
	int64_t now = now_ms();
	bson_t list = BSON_INITIALIZER, spec = BSON_INITIALIZER;

	ix.keys = J("{'a': 1, 'b': 1}");
	ok(!store_create_index(st, c, &ix, &err) && err.code == STORE_ERR_BAD_VALUE,
	   "a compound TTL index is refused");
	ix.keys = J("{'expires': 1}");
	if (ferret_skip("TTL indexes", "does not implement expireAfterSeconds (code 238)"))
		return;
	ok(store_create_index(st, c, &ix, &err), "create a TTL index (expireAfterSeconds 0)");
	ok(store_create_index(st, c, &ix2, &err), "and one with expireAfterSeconds 3600");
	ok(store_list_indexes(st, c, &list, &err) && has_index(&list, "expires_1", &spec) &&
	   get_int(&spec, "expireAfterSeconds") == 0, "listed with expireAfterSeconds: %s", js(&spec));
	reset(&spec);
	reset(&list);
	insert(c, Jf("{'i': 1, 'expires': {'$date': {'$numberLong': '%lld'}}}", (long long) (now - 3600000)));
	insert(c, Jf("{'i': 2, 'expires': {'$date': {'$numberLong': '%lld'}}}", (long long) (now + 3600000)));
	insert(c, J("{'i': 3}"));
	insert(c, J("{'i': 4, 'expires': 'not a date'}"));
	insert(c, Jf("{'i': 5, 'expires': [{'$date': {'$numberLong': '%lld'}}, {'$date': {'$numberLong': '%lld'}}]}",
		     (long long) (now + 3600000), (long long) (now - 60000)));
	insert(c, Jf("{'i': 6, 'at': {'$date': {'$numberLong': '%lld'}}}", (long long) (now - 1800000)));
	insert(c, Jf("{'i': 7, 'at': {'$date': {'$numberLong': '%lld'}}}", (long long) (now - 7200000)));
	ok(store_expire_ttl(st, &err), "store_expire_ttl: %s", err.message);
	ok(strcmp(find_is(c, NULL, NULL, 0, 0), "2,3,4,6") == 0,
	   "expired documents are gone (past date, earliest of an array, older than "
	   "expireAfterSeconds), the others stay: %s", find_is(c, NULL, NULL, 0, 0));
}

static void test_cursor_and_writes(void)
{
	const char *c = C("cursor");
	const bson_t *docs[300];
	store_cursor_t *cur;
	store_error_t err;
	const bson_t *doc;
	int i, seen = 0;
	size_t n;
	bool all_updated = true;

	for (i = 0; i < 300; i++)
		docs[i] = Jf("{'i': %d, 'done': false}", i);
	ok(store_insert_many(st, c, docs, 300, &n, &err) && n == 300, "insert_many 300 documents");
	cur = store_find(st, c, NULL, NULL, &err);
	while (cur && store_cursor_next(cur, &doc)) {
		bson_t filter = BSON_INITIALIZER;
		bson_iter_t it;
		bson_iter_init_find(&it, doc, "_id");
		bson_append_iter(&filter, "_id", 3, &it);
		if (!store_update_one(st, c, &filter, J("{'$set': {'done': true}}"), false, NULL, &err))
			all_updated = false;
		bson_destroy(&filter);
		seen++;
	}
	ok(cur && !store_cursor_error(cur, &err) && seen == 300 && all_updated,
	   "writing while a cursor is open works (%d documents read and updated)", seen);
	store_cursor_destroy(cur);
	ok(count(c, J("{'done': true}")) == 300, "every document was updated");
}

static void test_indexed_queries_do_not_scan(void)
{
	const char *c = C("big");
	store_error_t err;
	const bson_t *docs[1000];
	size_t n, total = 0;
	int b, i;
	uint64_t before;
	store_index_t ik = { .keys = J("{'k': 1}"), .unique = true, .expire_after_seconds = -1 };
	store_index_t ig = { .keys = J("{'g': 1, 'when': -1}"), .expire_after_seconds = -1 };
	store_index_t iw = { .keys = J("{'when': 1}"), .expire_after_seconds = -1 };
	const char *got;
	bson_t one = BSON_INITIALIZER;
	bool found;

	if (!embedded) {
		skip("indexed query does not scan: the embedded store's counter of examined documents");
		return;
	}
	ok(store_create_index(st, c, &ik, &err) && store_create_index(st, c, &ig, &err) &&
	   store_create_index(st, c, &iw, &err), "indexes on k (unique), (g, when desc), when");
	for (b = 0; b < 10; b++) {
		for (i = 0; i < 1000; i++)
			docs[i] = Jf("{'_id': %d, 'i': %d, 'k': 'k%05d', 'g': %d, 'when': {'$date': "
				     "{'$numberLong': '%d'}}, 'free': %d}", b * 1000 + i, b * 1000 + i,
				     b * 1000 + i, (b * 1000 + i) % 100, (b * 1000 + i) * 1000,
				     b * 1000 + i);
		store_insert_many(st, c, docs, 1000, &n, &err);
		total += n;
	}
	ok(total == 10000, "10,000 documents inserted");

	before = store_sqlite_docs_examined(st);
	ok(store_find_one(st, c, J("{'k': 'k05000'}"), NULL, &one, &found, &err) && found &&
	   get_int(&one, "i") == 5000, "find by the unique indexed field");
	reset(&one);
	ok(store_sqlite_docs_examined(st) - before == 1 &&
	   strcmp(store_sqlite_last_plan(st), "IXSCAN k_1") == 0,
	   "…examined 1 document of 10,000 (%llu, %s)",
	   (unsigned long long) (store_sqlite_docs_examined(st) - before), store_sqlite_last_plan(st));

	before = store_sqlite_docs_examined(st);
	got = find_is(c, J("{'k': {'$in': ['k00007', 'k09999', 'k00100', 'nope']}}"), NULL, 0, 0);
	ok(strcmp(got, "7,100,9999") == 0 && store_sqlite_docs_examined(st) - before == 3,
	   "$in on an indexed field examines only the 3 matches (%llu)",
	   (unsigned long long) (store_sqlite_docs_examined(st) - before));

	before = store_sqlite_docs_examined(st);
	ok(count(c, J("{'g': 42}")) == 100 && store_sqlite_docs_examined(st) - before == 100,
	   "equality on the first field of a compound index: 100 examined for 100 matches (%llu)",
	   (unsigned long long) (store_sqlite_docs_examined(st) - before));

	before = store_sqlite_docs_examined(st);
	got = find_is(c, J("{'g': 42}"), J("{'when': -1}"), 0, 3);
	ok(strcmp(got, "9942,9842,9742") == 0 && store_sqlite_docs_examined(st) - before == 3 &&
	   strstr(store_sqlite_last_plan(st), "SORT") == NULL,
	   "equality + sort on the next index field + limit: the index order, 3 examined (%s, %llu, %s)",
	   got, (unsigned long long) (store_sqlite_docs_examined(st) - before), store_sqlite_last_plan(st));

	before = store_sqlite_docs_examined(st);
	got = find_is(c, J("{'g': 42}"), J("{'when': 1}"), 0, 3);
	ok(strcmp(got, "42,142,242") == 0 && store_sqlite_docs_examined(st) - before == 3 &&
	   strstr(store_sqlite_last_plan(st), "SORT") == NULL,
	   "…the opposite sort walks the same index backwards, 3 examined (%s, %llu)", got,
	   (unsigned long long) (store_sqlite_docs_examined(st) - before));

	before = store_sqlite_docs_examined(st);
	got = find_is(c, Jf("{'g': 42, 'when': {'$lt': {'$date': {'$numberLong': '%d'}}}}", 542000),
		      J("{'when': -1}"), 0, 0);
	ok(strcmp(got, "442,342,242,142,42") == 0 && store_sqlite_docs_examined(st) - before == 5,
	   "equality prefix + range on the next field reads only the 5 matches (%s, %llu)", got,
	   (unsigned long long) (store_sqlite_docs_examined(st) - before));

	/* an $in list on a leading field pins it as MongoDB's bounds do: one
	 * prefix per value, each bounded by the next field's range */
	before = store_sqlite_docs_examined(st);
	got = find_is(c, Jf("{'g': {'$in': [43, 42]}, 'when': {'$lt': {'$date': {'$numberLong': '%d'}}}}",
			    542000), J("{'i': 1}"), 0, 0);
	ok(strcmp(got, "42,43,142,143,242,243,342,343,442,443") == 0 &&
	   store_sqlite_docs_examined(st) - before == 10,
	   "$in on the first field + range on the next reads only the 10 matches (%s, %llu)", got,
	   (unsigned long long) (store_sqlite_docs_examined(st) - before));
	got = find_is(c, Jf("{'g': {'$in': [43, 42]}, 'when': {'$lt': {'$date': {'$numberLong': '%d'}}}}",
			    542000), J("{'when': -1}"), 0, 0);
	ok(strcmp(got, "443,442,343,342,243,242,143,142,43,42") == 0,
	   "…sorted on the next field across the values, not value by value (%s)", got);
	got = find_is(c, J("{'g': {'$in': [43, 42]}}"), J("{'g': 1, 'when': -1}"), 0, 3);
	ok(strcmp(got, "9942,9842,9742") == 0 && strstr(store_sqlite_last_plan(st), "SORT") == NULL,
	   "…and in the index's order when the sort follows it (%s, %s)", got, store_sqlite_last_plan(st));

	before = store_sqlite_docs_examined(st);
	got = find_is(c, NULL, J("{'_id': -1}"), 0, 3);
	ok(strcmp(got, "9999,9998,9997") == 0 && store_sqlite_docs_examined(st) - before == 3,
	   "sort by _id descending + limit 3: the _id index backwards, 3 examined (%s)", got);

	before = store_sqlite_docs_examined(st);
	got = find_is(c, Jf("{'when': {'$gte': {'$date': {'$numberLong': '%d'}}, '$lt': {'$date': "
			    "{'$numberLong': '%d'}}}}", 5000000, 6000000), J("{'when': 1}"), 0, 20);
	ok(strncmp(got, "5000,5001,5002", 14) == 0 && store_sqlite_docs_examined(st) - before == 20,
	   "a date range with sort and limit 20 reads 20 documents (%llu)",
	   (unsigned long long) (store_sqlite_docs_examined(st) - before));

	before = store_sqlite_docs_examined(st);
	got = find_is(c, J("{'_id': 1234}"), NULL, 0, 0);
	ok(strcmp(got, "1234") == 0 && store_sqlite_docs_examined(st) - before == 1 &&
	   strcmp(store_sqlite_last_plan(st), "IXSCAN _id_") == 0,
	   "find by _id examines 1 document (%s, %llu, %s)", got,
	   (unsigned long long) (store_sqlite_docs_examined(st) - before), store_sqlite_last_plan(st));

	before = store_sqlite_docs_examined(st);
	ok(strcmp(find_is(c, NULL, J("{'k': -1}"), 0, 2), "9999,9998") == 0 &&
	   store_sqlite_docs_examined(st) - before == 2, "sort on an indexed field + limit reads 2");

	before = store_sqlite_docs_examined(st);
	got = find_is(c, J("{'free': 777}"), NULL, 0, 0);
	ok(strcmp(got, "777") == 0 && store_sqlite_docs_examined(st) - before == 10000 &&
	   strncmp(store_sqlite_last_plan(st), "COLLSCAN", 8) == 0,
	   "the same lookup on an unindexed field scans all 10,000: the counter works (%s, %llu, %s)",
	   got, (unsigned long long) (store_sqlite_docs_examined(st) - before),
	   store_sqlite_last_plan(st));

	{
		store_cursor_t *cur = store_find(st, c, NULL, NULL, &err);
		const bson_t *doc;
		before = store_sqlite_docs_examined(st);
		for (i = 0; i < 10 && store_cursor_next(cur, &doc); i++)
			;
		ok(i == 10 && store_sqlite_docs_examined(st) - before <= 256,
		   "a cursor reads lazily: 10 documents of 10,000 cost %llu reads",
		   (unsigned long long) (store_sqlite_docs_examined(st) - before));
		store_cursor_destroy(cur);
	}
	{
		/* the uniqueness of k and its key encoding, under updates */
		store_update_result_t r;
		ok(store_update_many(st, c, J("{'g': 3}"), J("{'$inc': {'g': 1000}}"), false, &r, &err) &&
		   r.modified == 100 && count(c, J("{'g': 1003}")) == 100 && count(c, J("{'g': 3}")) == 0,
		   "updates move documents within the index");
	}
}

static int child_incs(int rounds)
{
	store_error_t err;
	store_t *mine = store_open(uri, &err);
	int i, failures = 0;

	if (!mine)
		return 100;
	for (i = 0; i < rounds; i++) {
		bson_t *f = bson_new(), *u = bson_new(), inc;
		BSON_APPEND_UTF8(f, "_id", "counter");
		BSON_APPEND_DOCUMENT_BEGIN(u, "$inc", &inc);
		BSON_APPEND_INT32(&inc, "n", 1);
		bson_append_document_end(u, &inc);
		if (!store_update_one(mine, C("conc"), f, u, false, NULL, &err))
			failures++;
		bson_destroy(f);
		bson_destroy(u);
	}
	store_close(mine);
	return failures ? 1 : 0;
}

/* Once `start` closes, claims jobs until none is left, writing the number
 * of each job it got to `out` (an int each). */
static int child_claims(int me, int start, int out)
{
	store_error_t err;
	store_t *mine = store_open(uri, &err);
	int failures = 0, claims = 0;
	char c;

	if (!mine)
		return 100;
	while (read(start, &c, 1) > 0)
		;
	for (;;) {
		bson_t *f = bson_new(), *u = bson_new(), set, got;
		bool found = false;
		store_fam_opts_t o = { 0 };
		BSON_APPEND_UTF8(f, "state", "new");
		BSON_APPEND_DOCUMENT_BEGIN(u, "$set", &set);
		BSON_APPEND_UTF8(&set, "state", "taken");
		BSON_APPEND_INT32(&set, "by", me);
		bson_append_document_end(u, &set);
		if (!store_find_one_and_update(mine, C("jobs"), f, u, &o, &got, &found, &err)) {
			failures++;
		} else {
			int job = found ? (int) get_int(&got, "job") : -1;
			if (found && write(out, &job, sizeof job) != (ssize_t) sizeof job)
				failures++;
			reset(&got);
		}
		bson_destroy(f);
		bson_destroy(u);
		/* a store that hands out the same job forever must not hang the test */
		if (!found || ++claims > 1000)
			break;
	}
	store_close(mine);
	return failures || claims > 1000 ? 1 : 0;
}

/* Embedded: a process opening a new store file that others open too. */
static int child_first_open(const char *path, int me)
{
	store_error_t err;
	store_t *mine = store_open(path, &err);
	bson_t *doc = bson_new();
	bool ok;

	if (!mine)
		return 100;
	BSON_APPEND_INT32(doc, "child", me);
	ok = store_insert_one(mine, "opened", doc, NULL, &err);
	bson_destroy(doc);
	store_close(mine);
	return ok ? 0 : 1;
}

/* A store's cached catalogue follows another connection's schema changes
 * (another worker creating an index between two of this store's calls). */
static void test_other_store_index(void)
{
	store_error_t err;
	store_t *other = store_open(uri, &err);
	store_index_t ix = { .keys = J("{'k': 1}"), .unique = true, .expire_after_seconds = -1 };
	bson_t got = BSON_INITIALIZER;
	const char *c = C("xconn");

	if (!other) {
		ok(false, "open a second store: %s", err.message);
		return;
	}
	ok(insert(c, J("{'i': 1, 'k': 1}")) && find_one(c, J("{'k': 1}"), &got),
	   "a document, read back (the catalogue is cached)");
	reset(&got);
	ok(store_create_index(other, c, &ix, &err), "another store creates a unique index: %s",
	   err.message);
	ok(strcmp(find_is(c, J("{'k': 1}"), NULL, 0, 0), "1") == 0 &&
	   (!embedded || strcmp(store_sqlite_last_plan(st), "IXSCAN k_1") == 0),
	   "the first store's next read uses it (%s)", store_sqlite_last_plan(st));
	ok(!store_insert_one(st, c, J("{'i': 2, 'k': 1}"), NULL, &err) &&
	   err.code == STORE_ERR_DUPLICATE_KEY, "and its next write respects it (%d %s)", err.code,
	   err.message);
	ok(insert(c, J("{'i': 3, 'k': [5, 6]}")), "the first store writes a multikey document");
	{
		bson_t *f = bson_new();
		bool found = false;
		BSON_APPEND_INT32(f, "k", 6);
		ok(store_find_one(other, c, f, NULL, &got, &found, &err) && found &&
		   get_int(&got, "i") == 3, "the other store finds it through the index");
		bson_destroy(f);
		reset(&got);
	}
	bson_destroy(&got);
	store_close(other);
}

static void test_first_open_race(void)
{
	char path[300];
	const char *slash;
	pid_t kids[4];
	int i, status, bad = 0;
	int64_t n = -1;
	store_error_t err;
	store_t *s;

	if (!embedded) {
		skip("4 processes creating one new store at once: opens embedded store files");
		return;
	}
	slash = strrchr(uri, '/');
	snprintf(path, sizeof path, "%.*s/race.sqlite3", slash ? (int) (slash - uri) : 1,
		 slash ? uri : ".");
	fflush(stdout);
	for (i = 0; i < 4; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(child_first_open(path, i));
	}
	for (i = 0; i < 4; i++)
		if (waitpid(kids[i], &status, 0) != kids[i] || !WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	s = store_open(path, &err);
	if (s) {
		store_count(s, "opened", NULL, &n, &err);
		store_close(s);
	}
	ok(bad == 0 && n == 4, "4 processes creating the same new store at once all succeed "
	   "(%lld documents)", (long long) n);
	unlink(path);
	for (i = 0; i < 2; i++) {
		char side[320];
		snprintf(side, sizeof side, "%s%s", path, i ? "-shm" : "-wal");
		unlink(side);
	}
}

/* 4 processes claim the 200 jobs of C("jobs") with find_one_and_update;
 * each tells which jobs it got: no job may be claimed twice or never. */
static void test_claims(void)
{
	pid_t kids[4];
	int start[2], pipes[4][2], claimed_by[200], per_kid[4] = { 0 };
	int i, job, status, bad = 0, claims = 0, twice = 0, never = 0, bogus = 0, owner_ok = 0;

	fflush(stdout);
	for (i = 0; i < 200; i++)
		claimed_by[i] = -1;
	if (pipe(start) < 0)
		abort();
	for (i = 0; i < 4; i++) {
		if (pipe(pipes[i]) < 0)
			abort();
		kids[i] = fork();
		if (kids[i] == 0) {
			close(start[1]);
			close(pipes[i][0]);
			_exit(child_claims(i, start[0], pipes[i][1]));
		}
		close(pipes[i][1]);
	}
	/* all at once: each child waits for this end to close */
	close(start[0]);
	close(start[1]);
	for (i = 0; i < 4; i++) {
		/* read before reaping: a child blocked on a full pipe never exits */
		while (read(pipes[i][0], &job, sizeof job) == (ssize_t) sizeof job) {
			claims++;
			per_kid[i]++;
			if (job < 0 || job >= 200)
				bogus++;
			else if (claimed_by[job] >= 0)
				twice++;
			else
				claimed_by[job] = i;
		}
		close(pipes[i][0]);
	}
	for (i = 0; i < 4; i++)
		if (waitpid(kids[i], &status, 0) != kids[i] || !WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	for (i = 0; i < 200; i++)
		never += claimed_by[i] < 0;
	ok(bad == 0, "4 processes claiming 200 jobs with find_one_and_update all succeed");
	ok(claims == 200 && twice == 0 && never == 0 && bogus == 0,
	   "every job is claimed by exactly one process (%d claims: %d twice, %d never, "
	   "%d unknown; %d/%d/%d/%d per process)", claims, twice, never, bogus,
	   per_kid[0], per_kid[1], per_kid[2], per_kid[3]);
	for (i = 0; i < 4; i++)
		owner_ok += count(C("jobs"), Jf("{'state': 'taken', 'by': %d}", i)) == per_kid[i];
	ok(owner_ok == 4 && count(C("jobs"), J("{'state': 'new'}")) == 0,
	   "every job is stored as taken by the process that claimed it");
}

static void test_concurrency(void)
{
	pid_t kids[4];
	int i, status, bad = 0;
	bson_t got = BSON_INITIALIZER;
	const bson_t *docs[200];
	size_t n;
	store_error_t err;

	if (ferret_skip("concurrent $inc and find_one_and_update from 4 processes",
			"updates are not atomic under concurrency (#3040)"))
		return;
	insert(C("conc"), J("{'_id': 'counter', 'n': 0}"));
	fflush(stdout);
	for (i = 0; i < 4; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(child_incs(1000));
	}
	for (i = 0; i < 4; i++)
		if (waitpid(kids[i], &status, 0) != kids[i] || !WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	ok(bad == 0, "4 processes × 1000 $inc, each with its own store, all succeed");
	ok(find_one(C("conc"), J("{'_id': 'counter'}"), &got) && get_int(&got, "n") == 4000,
	   "the counter is exactly 4000 (%lld)", (long long) get_int(&got, "n"));
	reset(&got);

	for (i = 0; i < 200; i++)
		docs[i] = Jf("{'job': %d, 'state': 'new'}", i);
	store_insert_many(st, C("jobs"), docs, 200, &n, &err);
	test_claims();
}

static void test_ensure_indexes(void)
{
	store_error_t err;
	char **before = NULL, **after = NULL;
	size_t nb = 0, na = 0, i, j;
	bson_t list = BSON_INITIALIZER;

	/* FerretDB refuses TTL indexes (code 238): they are created without
	 * their TTL (store/indexes.c), so this runs there too. */
	store_list_collections(st, &before, &nb, &err);
	ok(store_ensure_indexes(st, &err), "store_ensure_indexes: %s", err.message);
	ok(store_ensure_indexes(st, &err), "store_ensure_indexes again (idempotent): %s", err.message);
	ok(store_list_indexes(st, "users", &list, &err) && has_index(&list, "email_1", NULL),
	   "users has its unique email index");
	reset(&list);
	ok(store_list_indexes(st, "bookings", &list, &err) &&
	   has_index(&list, "confirmationNumber_1", NULL) &&
	   has_index(&list, "spaceType_1_date_1_status_1", NULL), "bookings has its indexes");
	reset(&list);
	/* drop only what this test created */
	store_list_collections(st, &after, &na, &err);
	for (i = 0; i < na; i++) {
		bool existed = false;
		for (j = 0; j < nb; j++)
			if (strcmp(after[i], before[j]) == 0)
				existed = true;
		if (!existed && strncmp(after[i], prefix, strlen(prefix)) != 0)
			store_drop(st, after[i], &err);
	}
	store_free_names(before, nb);
	store_free_names(after, na);
}

/* ---- setup and cleanup -------------------------------------------------------------- */

static void cleanup_collections(void)
{
	char **names;
	size_t n, i;
	store_error_t err;

	if (!store_list_collections(st, &names, &n, &err))
		return;
	for (i = 0; i < n; i++)
		if (strncmp(names[i], prefix, strlen(prefix)) == 0)
			store_drop(st, names[i], &err);
	store_free_names(names, n);
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

int main(void)
{
	char dir[] = "/tmp/cwc-store-test-XXXXXX";
	char path[256];
	bool own_dir = false;
	store_error_t err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	uri = getenv("CWC_TEST_STORE_URI");
	if (!uri || !*uri) {
		if (!mkdtemp(dir)) {
			printf("1..0 # SKIP cannot create a temporary directory: %s\n", strerror(errno));
			return 0;
		}
		snprintf(path, sizeof path, "%s/cwc.sqlite3", dir);
		uri = path;
		own_dir = true;
	}
	srand((unsigned) (time(NULL) ^ getpid()));
	snprintf(prefix, sizeof prefix, "t%dx%04x_", (int) getpid(), rand() & 0xffff);
	st = store_open(uri, &err);
	if (!st) {
		if (strstr(err.message, "not built")) {
			printf("1..0 # SKIP %s\n", err.message);
			return 0;
		}
		printf("not ok 1 - open the store: %s\n1..1\n", err.message);
		return 1;
	}
	embedded = strcmp(store_backend_name(st), "sqlite") == 0;
	ferretdb = !embedded && getenv("CWC_TEST_STORE_PEER") &&
		   strcmp(getenv("CWC_TEST_STORE_PEER"), "ferretdb") == 0;
	diag("backend %s, collections %s*", store_backend_name(st), prefix);

	test_open_errors();
	test_insert_and_ids();
	test_roundtrip();
	test_filters_and_sort();
	test_unsupported();
	test_find_options();
	test_updates();
	test_upserts();
	test_find_one_and_update();
	test_delete_count();
	test_insert_many_dups();
	test_indexes();
	test_ttl();
	test_cursor_and_writes();
	test_indexed_queries_do_not_scan();
	test_concurrency();
	test_other_store_index();
	test_first_open_race();
	test_ensure_indexes();

	cleanup_collections();
	{
		char **names;
		size_t n, i, left = 0;
		if (store_list_collections(st, &names, &n, &err)) {
			for (i = 0; i < n; i++)
				left += strncmp(names[i], prefix, strlen(prefix)) == 0;
			store_free_names(names, n);
		}
		ok(left == 0, "every collection of this run was dropped");
	}
	store_close(st);
	if (own_dir)
		remove_dir(dir);
	testdoc_free();
	return tap_done();
}
