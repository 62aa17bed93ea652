/*
 * store-query.c — unit tests of store_query.c (squery_*): MongoDB's order
 * of values across types, filter matching, updates, upsert documents,
 * projections, sorts, and the order-preserving key encoding.
 *
 * Documents are written in MongoDB extended JSON with single quotes (J()).
 * Prints TAP.
 */
#include "store/query.h"
#include "tap.h"
#include "testdoc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ---- documents from JSON, freed at exit ---------------------------------------- */



static char *js(const bson_t *b)
{
	static char buf[4][600];
	static int k;
	char *s = bson_as_canonical_extended_json(b, NULL);

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s", s ? s : "(null)");
	bson_free(s);
	return buf[k];
}

/* The value of field "v" of a J() document. */
static const bson_value_t *V(const char *json)
{
	static bson_value_t vals[64];
	static int k;
	bson_value_t *v = &vals[k++ % 64];
	bson_iter_t it;

	bson_iter_init_find(&it, J(json), "v");
	*v = *bson_iter_value(&it);   /* points into the pooled document */
	return v;
}

/* ---- 1. comparison order ------------------------------------------------------- */

/* Ascending MongoDB order; entries with the same `rank` are equal. */
static const struct {
	int rank;
	const char *v;
} order[] = {
	{ 0, "{'v': {'$minKey': 1}}" },
	{ 1, "{'v': {'$undefined': true}}" },
	{ 2, "{'v': null}" },
	{ 3, "{'v': {'$numberDouble': 'NaN'}}" },
	{ 3, "{'v': {'$numberDecimal': 'NaN'}}" },
	{ 4, "{'v': {'$numberDouble': '-Infinity'}}" },
	{ 4, "{'v': {'$numberDecimal': '-Infinity'}}" },
	{ 5, "{'v': {'$numberDecimal': '-1E+400'}}" },
	{ 6, "{'v': {'$numberDouble': '-1e300'}}" },
	{ 7, "{'v': {'$numberLong': '-9223372036854775808'}}" },
	{ 8, "{'v': {'$numberLong': '-9007199254740993'}}" },
	{ 8, "{'v': {'$numberDecimal': '-9007199254740993'}}" },
	{ 9, "{'v': {'$numberDouble': '-1.5'}}" },
	{ 9, "{'v': {'$numberDecimal': '-1.50'}}" },
	{ 10, "{'v': -1}" },
	{ 10, "{'v': {'$numberLong': '-1'}}" },
	{ 11, "{'v': 0}" },
	{ 11, "{'v': {'$numberDouble': '-0.0'}}" },
	{ 11, "{'v': {'$numberDecimal': '0E-10'}}" },
	{ 12, "{'v': {'$numberDecimal': '1E-400'}}" },
	{ 13, "{'v': {'$numberDecimal': '0.1'}}" },
	{ 14, "{'v': {'$numberDouble': '0.1'}}" },
	{ 15, "{'v': 1}" },
	{ 15, "{'v': {'$numberLong': '1'}}" },
	{ 15, "{'v': 1.0}" },
	{ 15, "{'v': {'$numberDecimal': '1.000'}}" },
	{ 16, "{'v': {'$numberDecimal': '1.0000000000000000000000000000001'}}" },
	{ 17, "{'v': 2147483647}" },
	{ 18, "{'v': {'$numberLong': '2147483648'}}" },
	{ 19, "{'v': {'$numberLong': '9007199254740992'}}" },
	{ 19, "{'v': {'$numberDouble': '9007199254740992'}}" },
	{ 20, "{'v': {'$numberDecimal': '9007199254740992.5'}}" },
	{ 21, "{'v': {'$numberLong': '9007199254740993'}}" },
	{ 21, "{'v': {'$numberDecimal': '9007199254740993'}}" },
	{ 22, "{'v': {'$numberLong': '9223372036854775807'}}" },
	{ 23, "{'v': {'$numberDouble': '9223372036854775808'}}" },
	{ 24, "{'v': {'$numberDouble': '1e300'}}" },
	{ 25, "{'v': {'$numberDecimal': '1E+400'}}" },
	{ 26, "{'v': {'$numberDouble': 'Infinity'}}" },
	{ 26, "{'v': {'$numberDecimal': 'Infinity'}}" },
	{ 27, "{'v': ''}" },
	{ 28, "{'v': 'a'}" },
	{ 28, "{'v': {'$symbol': 'a'}}" },
	{ 29, "{'v': 'a\\u0000'}" },
	{ 30, "{'v': 'a\\u0001'}" },
	{ 31, "{'v': 'ab'}" },
	{ 32, "{'v': 'b'}" },
	{ 33, "{'v': 'é'}" },
	{ 34, "{'v': {}}" },
	{ 35, "{'v': {'a': 1}}" },
	{ 35, "{'v': {'a': 1.0}}" },
	{ 36, "{'v': {'a': 1, 'b': 1}}" },
	{ 37, "{'v': {'a': 2}}" },
	{ 38, "{'v': {'b': 0}}" },     /* type bracket before field name */
	{ 39, "{'v': {'a': 'x'}}" },
	{ 40, "{'v': []}" },
	{ 41, "{'v': [1]}" },
	{ 42, "{'v': [1, 2]}" },
	{ 43, "{'v': [2]}" },
	{ 44, "{'v': ['a']}" },
	{ 45, "{'v': {'$binary': {'base64': 'AQ==', 'subType': '05'}}}" },
	{ 46, "{'v': {'$binary': {'base64': 'AAA=', 'subType': '00'}}}" },
	{ 47, "{'v': {'$binary': {'base64': 'AAE=', 'subType': '00'}}}" },
	{ 48, "{'v': {'$binary': {'base64': 'AAA=', 'subType': '04'}}}" },
	{ 49, "{'v': {'$oid': '000000000000000000000000'}}" },
	{ 50, "{'v': {'$oid': '5f0000000000000000000001'}}" },
	{ 51, "{'v': {'$oid': 'ff0000000000000000000000'}}" },
	{ 52, "{'v': false}" },
	{ 53, "{'v': true}" },
	{ 54, "{'v': {'$date': {'$numberLong': '-1000'}}}" },
	{ 55, "{'v': {'$date': {'$numberLong': '0'}}}" },
	{ 56, "{'v': {'$date': {'$numberLong': '1700000000000'}}}" },
	{ 57, "{'v': {'$timestamp': {'t': 1, 'i': 5}}}" },
	{ 58, "{'v': {'$timestamp': {'t': 2, 'i': 1}}}" },
	{ 59, "{'v': {'$regularExpression': {'pattern': 'a', 'options': ''}}}" },
	{ 60, "{'v': {'$regularExpression': {'pattern': 'a', 'options': 'i'}}}" },
	{ 61, "{'v': {'$regularExpression': {'pattern': 'b', 'options': ''}}}" },
	{ 62, "{'v': {'$code': 'f()'}}" },
	{ 63, "{'v': {'$maxKey': 1}}" },
};

#define NORDER (sizeof order / sizeof order[0])

static int sgn(int x)
{
	return x < 0 ? -1 : x > 0;
}

static int key_cmp(const bson_value_t *a, const bson_value_t *b, bool desc)
{
	squery_buf_t ka = { 0 }, kb = { 0 };
	size_t n;
	int c;

	squery_key_append(&ka, a, desc);
	squery_key_append(&kb, b, desc);
	n = ka.len < kb.len ? ka.len : kb.len;
	c = memcmp(ka.data, kb.data, n);
	if (!c)
		c = ka.len < kb.len ? -1 : ka.len > kb.len;
	squery_buf_free(&ka);
	squery_buf_free(&kb);
	return sgn(c);
}

static void test_order(void)
{
	size_t i, j;
	int bad_cmp = 0, bad_key = 0, bad_desc = 0;

	for (i = 0; i < NORDER; i++) {
		for (j = 0; j < NORDER; j++) {
			const bson_value_t *a = V(order[i].v), *b = V(order[j].v);
			int want = sgn(order[i].rank - order[j].rank);
			if (sgn(squery_compare(a, b)) != want) {
				if (bad_cmp++ < 5)
					diag("compare %s %s = %d, want %d", order[i].v, order[j].v,
					     squery_compare(a, b), want);
			}
			if (key_cmp(a, b, false) != want) {
				if (bad_key++ < 5)
					diag("key order %s %s = %d, want %d", order[i].v, order[j].v,
					     key_cmp(a, b, false), want);
			}
			if (key_cmp(a, b, true) != -want)
				bad_desc++;
		}
	}
	ok(bad_cmp == 0, "squery_compare orders %zu values of every type as MongoDB (%d wrong pairs)",
	   NORDER, bad_cmp);
	ok(bad_key == 0, "key encodings sort as squery_compare and equal values encode alike (%d wrong)",
	   bad_key);
	ok(bad_desc == 0, "descending key encodings sort in reverse (%d wrong)", bad_desc);
	ok(squery_compare_docs(J("{'a': 1, 'b': 'x'}"), J("{'a': 1.0, 'b': 'x'}")) == 0 &&
	   squery_compare_docs(J("{'a': 1}"), J("{'b': 1}")) < 0,
	   "documents compare field by field, numbers by value");
}

/* ---- 2. matching ----------------------------------------------------------------- */

static const struct {
	const char *filter, *doc;
	bool match;
} matches[] = {
	/* equality, across number types, not across brackets */
	{ "{'a': 1}", "{'a': 1}", true },
	{ "{'a': 1}", "{'a': 1.0}", true },
	{ "{'a': 1}", "{'a': {'$numberLong': '1'}}", true },
	{ "{'a': 1}", "{'a': {'$numberDecimal': '1.0'}}", true },
	{ "{'a': 1}", "{'a': '1'}", false },
	{ "{'a': 1}", "{'a': true}", false },
	{ "{'a': 1}", "{}", false },
	/* arrays: the array or one of its elements, one level only */
	{ "{'a': 1}", "{'a': [3, 1]}", true },
	{ "{'a': 1}", "{'a': [[1], 2]}", false },
	{ "{'a': [1, 2]}", "{'a': [1, 2]}", true },
	{ "{'a': [1, 2]}", "{'a': [2, 1]}", false },
	{ "{'a': [1, 2]}", "{'a': [[1, 2], 3]}", true },
	{ "{'a': [1, 2]}", "{'a': [1, 2, 3]}", false },
	{ "{'a': []}", "{'a': []}", true },
	{ "{'a': []}", "{'a': [[]]}", true },
	{ "{'a': []}", "{}", false },
	/* whole documents: same fields, same order */
	{ "{'a': {'b': 1}}", "{'a': {'b': 1.0}}", true },
	{ "{'a': {'b': 1}}", "{'a': {'b': 1, 'c': 2}}", false },
	{ "{'a': {'b': 1, 'c': 2}}", "{'a': {'c': 2, 'b': 1}}", false },
	{ "{'a': {'b': 1}}", "{'a': [{'b': 1}]}", true },
	/* null matches missing */
	{ "{'a': null}", "{}", true },
	{ "{'a': null}", "{'a': null}", true },
	{ "{'a': null}", "{'a': {'$undefined': true}}", true },
	{ "{'a': null}", "{'a': 0}", false },
	{ "{'a': null}", "{'a': [1, null]}", true },
	{ "{'a': null}", "{'a': []}", false },
	{ "{'a.b': null}", "{'a': 1}", true },
	{ "{'a.b': null}", "{'a': [{'b': 1}, {'c': 1}]}", true },
	{ "{'a.b': null}", "{'a': [{'b': 1}]}", false },
	{ "{'a.b': null}", "{'a': [1, 2]}", false },
	/* dotted paths through documents and arrays */
	{ "{'a.b': 1}", "{'a': {'b': 1}}", true },
	{ "{'a.b': 1}", "{'a': [{'b': 2}, {'b': 1}]}", true },
	{ "{'a.b': 1}", "{'a': [{'b': [0, 1]}]}", true },
	{ "{'a.b': 1}", "{'a': [[{'b': 1}]]}", false },
	{ "{'a.b': 1}", "{'a': {'b': [2, 1]}}", true },
	{ "{'a.b': 1}", "{'a': 1}", false },
	{ "{'a.b.c': 1}", "{'a': [{'b': [{'c': 1}]}]}", true },
	{ "{'a.1': 5}", "{'a': [4, 5]}", true },
	{ "{'a.1': 5}", "{'a': [5, 4]}", false },
	{ "{'a.1': 5}", "{'a': {'1': 5}}", true },
	{ "{'a.1': 5}", "{'a': [{'1': 5}]}", true },
	{ "{'a.0.b': 1}", "{'a': [{'b': 1}]}", true },
	{ "{'a.0.b': 1}", "{'a': [{'b': 2}, {'b': 1}]}", false },
	/* ranges: same type bracket only; any element */
	{ "{'a': {'$gt': 5}}", "{'a': 6}", true },
	{ "{'a': {'$gt': 5}}", "{'a': 5}", false },
	{ "{'a': {'$gt': 5}}", "{'a': {'$numberDecimal': '5.000000000000000000000000000001'}}", true },
	{ "{'a': {'$gt': 5}}", "{'a': '6'}", false },
	{ "{'a': {'$gt': 5}}", "{'a': [1, 10]}", true },
	{ "{'a': {'$gt': 5}}", "{'a': [1, 2]}", false },
	{ "{'a': {'$gt': 5}}", "{}", false },
	{ "{'a': {'$gt': 5}}", "{'a': null}", false },
	{ "{'a': {'$gte': 5}}", "{'a': {'$numberLong': '5'}}", true },
	{ "{'a': {'$lt': 5}}", "{'a': {'$numberDouble': 'NaN'}}", true },
	{ "{'a': {'$lt': 5}}", "{'a': {'$numberDouble': '-Infinity'}}", true },
	{ "{'a': {'$lt': 5}}", "{'a': '4'}", false },
	{ "{'a': {'$lte': 'b'}}", "{'a': 'ab'}", true },
	{ "{'a': {'$lte': 'b'}}", "{'a': 'ba'}", false },
	{ "{'a': {'$gt': 5, '$lt': 8}}", "{'a': [1, 10]}", true },
	{ "{'a': {'$gt': 5, '$lt': 8}}", "{'a': 9}", false },
	{ "{'a': {'$gte': null}}", "{}", true },
	{ "{'a': {'$gte': null}}", "{'a': 1}", false },
	{ "{'a': {'$gt': null}}", "{'a': null}", false },
	{ "{'a': {'$lt': {'$maxKey': 1}}}", "{'a': 'x'}", true },
	{ "{'a': {'$gt': {'$minKey': 1}}}", "{'a': {'$date': {'$numberLong': '1'}}}", true },
	{ "{'d': {'$gte': {'$date': {'$numberLong': '1000'}}}}", "{'d': {'$date': {'$numberLong': '1000'}}}", true },
	{ "{'d': {'$gte': {'$date': {'$numberLong': '1000'}}}}", "{'d': 2000}", false },
	{ "{'d': {'$gt': {'$date': {'$numberLong': '1000'}}}}", "{'d': {'$timestamp': {'t': 5, 'i': 1}}}", false },
	{ "{'o': {'$gt': {'$oid': '5f0000000000000000000001'}}}", "{'o': {'$oid': '5f0000000000000000000002'}}", true },
	{ "{'a': {'$gt': [1]}}", "{'a': [[2]]}", true },
	/* $elemMatch: one element satisfies everything */
	{ "{'a': {'$elemMatch': {'$gt': 5, '$lt': 8}}}", "{'a': [1, 10]}", false },
	{ "{'a': {'$elemMatch': {'$gt': 5, '$lt': 8}}}", "{'a': [1, 6]}", true },
	{ "{'a': {'$elemMatch': {'$gt': 5}}}", "{'a': 6}", false },
	{ "{'a': {'$elemMatch': {'b': 1, 'c': 2}}}", "{'a': [{'b': 1, 'c': 2}]}", true },
	{ "{'a': {'$elemMatch': {'b': 1, 'c': 2}}}", "{'a': [{'b': 1}, {'c': 2}]}", false },
	{ "{'a.b': {'$elemMatch': {'$gt': 1}}}", "{'a': {'b': [0, 2]}}", true },
	{ "{'p': {'$elemMatch': {'user': 7, 'unread': {'$gt': 0}}}}", "{'p': [{'user': 7, 'unread': 0}, {'user': 8, 'unread': 3}]}", false },
	/* $ne / $nin: the negation of the whole */
	{ "{'a': {'$ne': 5}}", "{'a': 5}", false },
	{ "{'a': {'$ne': 5}}", "{'a': [5, 6]}", false },
	{ "{'a': {'$ne': 5}}", "{'a': 6}", true },
	{ "{'a': {'$ne': 5}}", "{}", true },
	{ "{'a': {'$ne': null}}", "{}", false },
	{ "{'a': {'$ne': null}}", "{'a': [null]}", false },
	{ "{'a': {'$ne': null}}", "{'a': []}", true },
	{ "{'a': {'$ne': null}}", "{'a': 0}", true },
	{ "{'a': {'$in': [1, 'x']}}", "{'a': 1.0}", true },
	{ "{'a': {'$in': [1, 'x']}}", "{'a': ['y', 'x']}", true },
	{ "{'a': {'$in': [1, 'x']}}", "{'a': 2}", false },
	{ "{'a': {'$in': [1, 'x']}}", "{}", false },
	{ "{'a': {'$in': [null, 3]}}", "{}", true },
	{ "{'a': {'$in': [[1, 2]]}}", "{'a': [1, 2]}", true },
	{ "{'a': {'$in': []}}", "{'a': 1}", false },
	{ "{'a': {'$nin': [1, 2]}}", "{'a': 3}", true },
	{ "{'a': {'$nin': [1, 2]}}", "{'a': [3, 1]}", false },
	{ "{'a': {'$nin': [1, 2]}}", "{}", true },
	{ "{'a': {'$nin': [null]}}", "{}", false },
	/* $exists */
	{ "{'a': {'$exists': true}}", "{'a': null}", true },
	{ "{'a': {'$exists': true}}", "{}", false },
	{ "{'a': {'$exists': false}}", "{}", true },
	{ "{'a': {'$exists': 0}}", "{'a': 1}", false },
	{ "{'a.b': {'$exists': true}}", "{'a': [{'b': null}]}", true },
	{ "{'a.b': {'$exists': true}}", "{'a': [1]}", false },
	{ "{'a.b': {'$exists': false}}", "{'a': [1]}", true },
	/* $and / $or */
	{ "{'$or': [{'a': 1}, {'b': 2}]}", "{'b': 2}", true },
	{ "{'$or': [{'a': 1}, {'b': 2}]}", "{'c': 1}", false },
	{ "{'$and': [{'a': {'$gt': 1}}, {'a': {'$lt': 3}}]}", "{'a': 2}", true },
	{ "{'$and': [{'a': {'$gt': 1}}, {'a': {'$lt': 3}}]}", "{'a': 3}", false },
	{ "{'a': 1, '$or': [{'b': 1}, {'c': {'$exists': true}}]}", "{'a': 1, 'c': 0}", true },
	{ "{'$comment': 'ignored', 'a': 1}", "{'a': 1}", true },
	{ "{}", "{'x': 1}", true },
};

static void test_matching(void)
{
	size_t i, bad = 0;

	for (i = 0; i < sizeof matches / sizeof matches[0]; i++) {
		store_error_t err = { 0 };
		squery_filter_t *f = squery_filter_new(J(matches[i].filter), &err);
		bool m = f && squery_filter_match(f, J(matches[i].doc));
		if (!f || m != matches[i].match) {
			bad++;
			diag("%s on %s: %s (want %s) %s", matches[i].filter, matches[i].doc,
			     m ? "match" : "no match", matches[i].match ? "match" : "no match",
			     f ? "" : err.message);
		}
		squery_filter_destroy(f);
	}
	ok(bad == 0, "%zu filter/document cases match as MongoDB does (%zu wrong)",
	   sizeof matches / sizeof matches[0], bad);
}

static const struct {
	const char *filter;
	int code;
	const char *mentions;
} bad_filters[] = {
	{ "{'a': {'$regex': 'x'}}", STORE_ERR_UNSUPPORTED, "regular" },  /* JSON makes it a regex */
	{ "{'a': {'$size': 2}}", STORE_ERR_UNSUPPORTED, "$size" },
	{ "{'a': {'$all': [1]}}", STORE_ERR_UNSUPPORTED, "$all" },
	{ "{'a': {'$not': {'$gt': 1}}}", STORE_ERR_UNSUPPORTED, "$not" },
	{ "{'a': {'$type': 'string'}}", STORE_ERR_UNSUPPORTED, "$type" },
	{ "{'a': {'$foo': 1}}", STORE_ERR_UNSUPPORTED, "$foo" },
	{ "{'$where': 'true'}", STORE_ERR_UNSUPPORTED, "$where" },
	{ "{'$nor': [{'a': 1}]}", STORE_ERR_UNSUPPORTED, "$nor" },
	{ "{'$expr': {'$eq': ['$a', 1]}}", STORE_ERR_UNSUPPORTED, "$expr" },
	{ "{'$text': {'$search': 'x'}}", STORE_ERR_UNSUPPORTED, "$text" },
	{ "{'a': {'$regularExpression': {'pattern': 'x', 'options': ''}}}", STORE_ERR_UNSUPPORTED, "regular" },
	{ "{'a': {'$in': [{'$regularExpression': {'pattern': 'x', 'options': ''}}]}}", STORE_ERR_UNSUPPORTED, "regular" },
	{ "{'a': {'$in': 5}}", STORE_ERR_BAD_VALUE, "$in" },
	{ "{'$or': []}", STORE_ERR_BAD_VALUE, "$or" },
	{ "{'$and': {'a': 1}}", STORE_ERR_BAD_VALUE, "$and" },
	{ "{'a': {'$gt': 1, 'b': 2}}", STORE_ERR_BAD_VALUE, "b" },
	{ "{'a': {'$elemMatch': 1}}", STORE_ERR_BAD_VALUE, "$elemMatch" },
};

static void test_bad_filters(void)
{
	size_t i, bad = 0;

	for (i = 0; i < sizeof bad_filters / sizeof bad_filters[0]; i++) {
		store_error_t err = { 0 };
		squery_filter_t *f = squery_filter_new(J(bad_filters[i].filter), &err);
		if (f || err.code != bad_filters[i].code ||
		    !strstr(err.message, bad_filters[i].mentions)) {
			bad++;
			diag("%s: code %d '%s'", bad_filters[i].filter, err.code, err.message);
		}
		squery_filter_destroy(f);
	}
	ok(bad == 0, "unsupported and malformed filters are refused with a message naming the "
	   "operator (%zu wrong)", bad);
}

/* ---- 3. updates -------------------------------------------------------------------- */

static const struct {
	const char *doc, *update, *want;  /* want NULL: error `code` */
	int code;
} updates[] = {
	{ "{'_id': 1}", "{'$set': {'a': 1}}", "{'_id': 1, 'a': 1}", 0 },
	{ "{'_id': 1}", "{'$set': {'a.b.c': 1}}", "{'_id': 1, 'a': {'b': {'c': 1}}}", 0 },
	{ "{'_id': 1}", "{'$set': {'z': 1, 'a': 1}}", "{'_id': 1, 'a': 1, 'z': 1}", 0 },
	{ "{'_id': 1}", "{'$set': {'x.b': 1, 'x.a': 1}}", "{'_id': 1, 'x': {'a': 1, 'b': 1}}", 0 },
	{ "{'_id': 1, 'a': 1, 'b': 2}", "{'$set': {'a': 'x'}}", "{'_id': 1, 'a': 'x', 'b': 2}", 0 },
	{ "{'_id': 1, 'a': {'b': 1}}", "{'$set': {'a.c': 2}}", "{'_id': 1, 'a': {'b': 1, 'c': 2}}", 0 },
	{ "{'_id': 1, 'a': [0]}", "{'$set': {'a.2': 1}}", "{'_id': 1, 'a': [0, null, 1]}", 0 },
	{ "{'_id': 1, 'a': [{'b': 1}]}", "{'$set': {'a.0.b': 2}}", "{'_id': 1, 'a': [{'b': 2}]}", 0 },
	{ "{'_id': 1, 'a': 5}", "{'$set': {'a.b': 1}}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1, 'a': [0]}", "{'$set': {'a.x': 1}}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1, 'a': null}", "{'$set': {'a.b': 1}}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1, 'a': 1, 'b': 2}", "{'$unset': {'a': ''}}", "{'_id': 1, 'b': 2}", 0 },
	{ "{'_id': 1, 'a': [1, 2]}", "{'$unset': {'a.0': 1}}", "{'_id': 1, 'a': [null, 2]}", 0 },
	{ "{'_id': 1, 'a': 3}", "{'$unset': {'x.y': 1, 'a.b': 1}}", "{'_id': 1, 'a': 3}", 0 },
	{ "{'_id': 1, 'n': 2147483647}", "{'$inc': {'n': 1}}", "{'_id': 1, 'n': {'$numberLong': '2147483648'}}", 0 },
	{ "{'_id': 1, 'n': -2147483648}", "{'$inc': {'n': -1}}", "{'_id': 1, 'n': {'$numberLong': '-2147483649'}}", 0 },
	{ "{'_id': 1, 'n': 1}", "{'$inc': {'n': 2}}", "{'_id': 1, 'n': 3}", 0 },
	{ "{'_id': 1, 'n': 1}", "{'$inc': {'n': {'$numberLong': '1'}}}", "{'_id': 1, 'n': {'$numberLong': '2'}}", 0 },
	{ "{'_id': 1, 'n': 1}", "{'$inc': {'n': 1.5}}", "{'_id': 1, 'n': 2.5}", 0 },
	{ "{'_id': 1, 'n': {'$numberLong': '5'}}", "{'$inc': {'n': 0.5}}", "{'_id': 1, 'n': 5.5}", 0 },
	{ "{'_id': 1}", "{'$inc': {'n': 5, 'm.k': {'$numberLong': '2'}}}", "{'_id': 1, 'm': {'k': {'$numberLong': '2'}}, 'n': 5}", 0 },
	{ "{'_id': 1, 'n': {'$numberLong': '9223372036854775807'}}", "{'$inc': {'n': 1}}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1, 'n': 'x'}", "{'$inc': {'n': 1}}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1, 'n': null}", "{'$inc': {'n': 1}}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1}", "{'$inc': {'n': 'x'}}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1, 'a': [1]}", "{'$push': {'a': 3}}", "{'_id': 1, 'a': [1, 3]}", 0 },
	{ "{'_id': 1, 'a': [1]}", "{'$push': {'a': [3]}}", "{'_id': 1, 'a': [1, [3]]}", 0 },
	{ "{'_id': 1}", "{'$push': {'a': {'$each': [1, 2]}}}", "{'_id': 1, 'a': [1, 2]}", 0 },
	{ "{'_id': 1, 'a': 5}", "{'$push': {'a': 1}}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1}", "{'$push': {'a': {'$each': [1], '$slice': 2}}}", NULL, STORE_ERR_UNSUPPORTED },
	{ "{'_id': 1, 'a': [1]}", "{'$addToSet': {'a': 1.0}}", "{'_id': 1, 'a': [1]}", 0 },
	{ "{'_id': 1, 'a': [1]}", "{'$addToSet': {'a': {'$each': [2, 2, 3, 1]}}}", "{'_id': 1, 'a': [1, 2, 3]}", 0 },
	{ "{'_id': 1, 'a': [{'x': 1}]}", "{'$addToSet': {'a': {'x': 1}}}", "{'_id': 1, 'a': [{'x': 1}]}", 0 },
	{ "{'_id': 1, 'a': 1}", "{'$addToSet': {'a': 1}}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1, 'a': [1, 1.0, 2, {'$numberLong': '1'}]}", "{'$pull': {'a': 1}}", "{'_id': 1, 'a': [2]}", 0 },
	{ "{'_id': 1, 'a': [1, 2, 3]}", "{'$pull': {'a': {'$gte': 2}}}", "{'_id': 1, 'a': [1]}", 0 },
	{ "{'_id': 1, 'a': [1, 'x', 3]}", "{'$pull': {'a': {'$in': ['x', 3]}}}", "{'_id': 1, 'a': [1]}", 0 },
	{ "{'_id': 1, 'a': [{'b': 1, 'c': 2}, {'b': 2}]}", "{'$pull': {'a': {'b': 1}}}", "{'_id': 1, 'a': [{'b': 2}]}", 0 },
	{ "{'_id': 1, 'a': [[1, 2], [2, 1]]}", "{'$pull': {'a': [1, 2]}}", "{'_id': 1, 'a': [[2, 1]]}", 0 },
	{ "{'_id': 1, 'a': 1}", "{'$pull': {'a': 1}}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1}", "{'$pull': {'a': 1}}", "{'_id': 1}", 0 },
	{ "{'_id': 1}", "{'$set': {'_id': 2}}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1}", "{'$set': {'_id': 1}}", "{'_id': 1}", 0 },
	{ "{'_id': 1}", "{'$unset': {'_id': 1}}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': {'a': 1}}", "{'$set': {'_id.a': 2}}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1}", "{'$set': {'a': 1}, '$inc': {'a': 1}}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1}", "{'$set': {'a': 1, 'a.b': 2}}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1}", "{'$set': {'a.b': 1}, '$unset': {'a.c': 1}}", "{'_id': 1, 'a': {'b': 1}}", 0 },
	{ "{'_id': 1}", "{'$rename': {'a': 'b'}}", NULL, STORE_ERR_UNSUPPORTED },
	{ "{'_id': 1}", "{'$setOnInsert': {'a': 1}}", NULL, STORE_ERR_UNSUPPORTED },
	{ "{'_id': 1}", "{'$min': {'a': 1}}", NULL, STORE_ERR_UNSUPPORTED },
	{ "{'_id': 1}", "{'a': 1}", NULL, STORE_ERR_UNSUPPORTED },
	{ "{'_id': 1}", "{'$set': {'a': 1}, 'b': 1}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1}", "{}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1}", "{'$set': 1}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1}", "{'$set': {'a.$': 1}}", NULL, STORE_ERR_UNSUPPORTED },
	{ "{'_id': 1}", "{'$set': {'a.$[]': 1}}", NULL, STORE_ERR_UNSUPPORTED },
	{ "{'_id': 1}", "{'$set': {'$a': 1}}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1}", "{'$set': {'a..b': 1}}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1}", "{'$set': {'a': {'$x': 1}}}", NULL, STORE_ERR_BAD_VALUE },
	{ "{'_id': 1}", "{'$push': {'a': {'x.y': 1}}}", NULL, STORE_ERR_BAD_VALUE },
};

static void test_updates(void)
{
	size_t i, bad = 0;

	for (i = 0; i < sizeof updates / sizeof updates[0]; i++) {
		store_error_t err = { 0 };
		squery_update_t *u = squery_update_new(J(updates[i].update), &err);
		bson_t out;
		bool changed = false, applied = false;

		if (u)
			applied = squery_update_apply(u, J(updates[i].doc), &out, &changed, &err);
		if (updates[i].want) {
			const bson_t *want = J(updates[i].want);
			bool same = applied && out.len == want->len &&
				    memcmp(bson_get_data(&out), bson_get_data(want), want->len) == 0;
			if (!same) {
				bad++;
				diag("%s on %s: got %s (%s), want %s", updates[i].update, updates[i].doc,
				     applied ? js(&out) : "error", err.message, updates[i].want);
			} else if (changed != (strcmp(updates[i].doc, updates[i].want) != 0)) {
				bad++;
				diag("%s on %s: changed=%d", updates[i].update, updates[i].doc, changed);
			}
		} else if (applied || err.code != updates[i].code) {
			bad++;
			diag("%s on %s: %s, code %d '%s', want code %d", updates[i].update,
			     updates[i].doc, applied ? js(&out) : "error", err.code, err.message,
			     updates[i].code);
		}
		if (applied)
			bson_destroy(&out);
		squery_update_destroy(u);
	}
	ok(bad == 0, "%zu update cases apply (or fail) as MongoDB does, byte for byte (%zu wrong)",
	   sizeof updates / sizeof updates[0], bad);
}

static void test_update_messages(void)
{
	store_error_t err = { 0 };
	squery_update_t *u = squery_update_new(J("{'$setOnInsert': {'a': 1}}"), &err);

	ok(!u && strstr(err.message, "$setOnInsert") != NULL,
	   "an unsupported update operator is named in the message: %s", err.message);
	u = squery_update_new(J("{'$inc': {'n': 1}}"), &err);
	{
		bson_t out;
		bool changed;
		bool applied = squery_update_apply(u, J("{'_id': 7, 'n': 'x'}"), &out, &changed, &err);
		ok(!applied && strstr(err.message, "non-numeric") && strstr(err.message, "'n'"),
		   "$inc on a string says which field and why: %s", err.message);
		if (applied)
			bson_destroy(&out);
	}
	squery_update_destroy(u);
	u = squery_update_new(J("{'$set': {'a': 1}, '$inc': {'a': 1}}"), &err);
	ok(!u && strstr(err.message, "conflict"), "conflicting paths: %s", err.message);
}

/* ---- 4. upsert documents ------------------------------------------------------------- */

static void upsert_case(const char *filter, const char *update, const char *want, int code)
{
	store_error_t err = { 0 };
	squery_update_t *u = squery_update_new(J(update), &err);
	bson_t out;
	bool built = u && squery_upsert_doc(J(filter), u, &out, &err);

	if (!want) {
		ok(!built && err.code == code, "upsert from %s with %s is refused (%s)", filter,
		   update, err.message);
	} else if (!built) {
		ok(false, "upsert from %s with %s: %s", filter, update, err.message);
	} else {
		/* compare without the generated _id when the filter has none */
		bson_t rest = BSON_INITIALIZER;
		bson_iter_t it;
		bool first_is_id = bson_iter_init(&it, &out) && bson_iter_next(&it) &&
				   strcmp(bson_iter_key(&it), "_id") == 0;
		bool gen = first_is_id && bson_iter_type(&it) == BSON_TYPE_OID &&
			   !strstr(want, "'_id'");
		bson_iter_init(&it, &out);
		while (bson_iter_next(&it))
			if (!gen || strcmp(bson_iter_key(&it), "_id") != 0)
				bson_append_iter(&rest, NULL, 0, &it);
		ok(first_is_id && bson_equal(&rest, J(want)), "upsert from %s with %s builds %s (got %s)",
		   filter, update, want, js(&out));
		bson_destroy(&rest);
		bson_destroy(&out);
	}
	squery_update_destroy(u);
}

static void test_upsert(void)
{
	upsert_case("{'b': 1, 'a': 2}", "{'$set': {'c': 3}}", "{'a': 2, 'b': 1, 'c': 3}", 0);
	upsert_case("{'a.b': 1, 'x': {'$gt': 1}}", "{'$inc': {'n': 1}}", "{'a': {'b': 1}, 'n': 1}", 0);
	upsert_case("{'$and': [{'a': 1}, {'b': {'$eq': 2}}], 'c': {'$in': [3]}}", "{'$push': {'l': 1}}",
		    "{'a': 1, 'b': 2, 'c': 3, 'l': [1]}", 0);
	upsert_case("{'$or': [{'a': 1}]}", "{'$set': {'b': 1}}", "{'a': 1, 'b': 1}", 0);
	upsert_case("{'$or': [{'a': 1}, {'a': 2}]}", "{'$set': {'b': 1}}", "{'b': 1}", 0);
	upsert_case("{'k': 'x', '_id': 5}", "{'$set': {'v': 1}}", "{'_id': 5, 'k': 'x', 'v': 1}", 0);
	upsert_case("{'k': 'x'}", "{'$set': {'k': 'y', '_id': 9}}", "{'_id': 9, 'k': 'y'}", 0);
	upsert_case("{'_id': 5}", "{'$set': {'_id': 6}}", NULL, STORE_ERR_BAD_VALUE);
	upsert_case("{'a': 1, 'a.b': 2}", "{'$set': {'c': 1}}", NULL, STORE_ERR_BAD_VALUE);
	upsert_case("{'_id': [1]}", "{'$set': {'c': 1}}", NULL, STORE_ERR_BAD_VALUE);
}

/* ---- 5. projection ---------------------------------------------------------------------- */

static void projection_case(const char *proj, const char *doc, const char *want, int code)
{
	store_error_t err = { 0 };
	squery_projection_t *p = squery_projection_new(J(proj), &err);
	bson_t out;

	if (!want) {
		ok(!p && err.code == code, "projection %s is refused (%s)", proj, err.message);
		squery_projection_destroy(p);
		return;
	}
	if (!p && err.code != STORE_OK) {
		ok(false, "projection %s: %s", proj, err.message);
		return;
	}
	squery_project(p, J(doc), &out);
	ok(bson_equal(&out, J(want)), "projection %s of %s gives %s (got %s)", proj, doc, want,
	   js(&out));
	bson_destroy(&out);
	squery_projection_destroy(p);
}

static void test_projection(void)
{
	const char *d = "{'_id': 1, 'a': 1, 'b': 2, 'c': {'x': 1, 'y': 2}}";

	projection_case("{'a': 1}", d, "{'_id': 1, 'a': 1}", 0);
	projection_case("{'b': 1, 'a': 1}", d, "{'_id': 1, 'a': 1, 'b': 2}", 0);
	projection_case("{'a': 0}", d, "{'_id': 1, 'b': 2, 'c': {'x': 1, 'y': 2}}", 0);
	projection_case("{'_id': 0, 'a': 1}", d, "{'a': 1}", 0);
	projection_case("{'_id': 0}", d, "{'a': 1, 'b': 2, 'c': {'x': 1, 'y': 2}}", 0);
	projection_case("{'_id': 1}", d, "{'_id': 1}", 0);
	projection_case("{'c.y': 1}", d, "{'_id': 1, 'c': {'y': 2}}", 0);
	projection_case("{'c.y': 0, '_id': 0}", d, "{'a': 1, 'b': 2, 'c': {'x': 1}}", 0);
	projection_case("{'a.b': 1}", "{'_id': 1, 'a': [{'b': 1, 'c': 1}, 5, {'c': 2}, [{'b': 3}]]}",
			"{'_id': 1, 'a': [{'b': 1}, {}, [{'b': 3}]]}", 0);
	projection_case("{'a.b': 0}", "{'_id': 1, 'a': [{'b': 1, 'c': 1}, 5]}",
			"{'_id': 1, 'a': [{'c': 1}, 5]}", 0);
	projection_case("{'a.b': 1}", "{'_id': 1, 'a': 5}", "{'_id': 1}", 0);
	projection_case("{'z': 1}", d, "{'_id': 1}", 0);
	projection_case("{'a': true, 'b': 1.0}", d, "{'_id': 1, 'a': 1, 'b': 2}", 0);
	projection_case("{'a': 1, 'b': 0}", d, NULL, STORE_ERR_BAD_VALUE);
	projection_case("{'a': 1, 'a.b': 1}", d, NULL, STORE_ERR_BAD_VALUE);
	projection_case("{'a': {'$slice': 1}}", d, NULL, STORE_ERR_UNSUPPORTED);
	projection_case("{'a.$': 1}", d, NULL, STORE_ERR_UNSUPPORTED);
	projection_case("{'a': 'x'}", d, NULL, STORE_ERR_UNSUPPORTED);
}

/* ---- 6. sort -------------------------------------------------------------------------- */

static void test_sort(void)
{
	const char *docs[] = {
		"{'i': 0, 'a': 3}", "{'i': 1, 'a': [1, 5]}", "{'i': 2, 'a': 'x'}", "{'i': 3}",
		"{'i': 4, 'a': null}", "{'i': 5, 'a': []}", "{'i': 6, 'a': 2.5}",
		"{'i': 7, 'a': {'$numberLong': '2'}}",
	};
	/* ascending: [] (undefined) < missing = null < 1 ([1,5]) < 2 < 2.5 < 3 < 'x' */
	const int asc[] = { 5, 3, 4, 1, 7, 6, 0, 2 };
	/* descending: 'x' > 5 ([1,5]) > 3 > 2.5 > 2 > missing = null > [] */
	const int desc[] = { 2, 1, 0, 6, 7, 3, 4, 5 };
	const int *want[2] = { asc, desc };
	const char *spec[2] = { "{'a': 1}", "{'a': -1}" };
	int pass;

	for (pass = 0; pass < 2; pass++) {
		store_error_t err = { 0 };
		squery_sort_t *s = squery_sort_new(J(spec[pass]), &err);
		squery_sortkey_t *keys[8];
		int idx[8], i, j, good = 1;
		char got[64] = "";

		for (i = 0; i < 8; i++) {
			keys[i] = squery_sortkey_new(s, J(docs[i]));
			idx[i] = i;
		}
		/* insertion sort, stable: ties keep input order */
		for (i = 1; i < 8; i++)
			for (j = i; j > 0 && squery_sortkey_compare(s, keys[idx[j - 1]], keys[idx[j]]) > 0; j--) {
				int t = idx[j];
				idx[j] = idx[j - 1];
				idx[j - 1] = t;
			}
		for (i = 0; i < 8; i++) {
			snprintf(got + strlen(got), sizeof got - strlen(got), "%d ", idx[i]);
			good &= idx[i] == want[pass][i];
		}
		ok(good, "sort %s: arrays by their smallest/largest element, missing = null, "
		   "[] first (got %s)", spec[pass], got);
		for (i = 0; i < 8; i++)
			squery_sortkey_destroy(keys[i]);
		squery_sort_destroy(s);
	}
	{
		store_error_t err = { 0 };
		squery_sort_t *s = squery_sort_new(J("{'a': 2}"), &err);
		ok(!s && err.code == STORE_ERR_BAD_VALUE, "sort direction 2 is refused (%s)", err.message);
		s = squery_sort_new(J("{'a': {'$meta': 'textScore'}}"), &err);
		ok(!s && err.code == STORE_ERR_UNSUPPORTED, "$meta sort is unsupported (%s)", err.message);
	}
	{
		store_error_t err = { 0 };
		squery_sort_t *s = squery_sort_new(J("{'b': 1, 'a': -1}"), &err);
		squery_sortkey_t *x = squery_sortkey_new(s, J("{'b': 1, 'a': 1}"));
		squery_sortkey_t *y = squery_sortkey_new(s, J("{'b': 1.0, 'a': 2}"));
		ok(squery_sortkey_compare(s, x, y) > 0, "compound sort: equal first keys, second descending");
		squery_sortkey_destroy(x);
		squery_sortkey_destroy(y);
		squery_sort_destroy(s);
	}
}

/* ---- 7. index keys and intervals -------------------------------------------------------- */

static size_t nkeys(const char *pattern, const char *doc, int *code)
{
	store_error_t err = { 0 };
	squery_keypattern_t *kp = squery_keypattern_new(J(pattern), &err);
	squery_keyset_t ks;
	size_t n = 0;

	*code = 0;
	if (!kp) {
		*code = err.code;
		return 0;
	}
	if (squery_index_keys(kp, J(doc), &ks, &err)) {
		n = ks.n;
		squery_keyset_free(&ks);
	} else {
		*code = err.code;
	}
	squery_keypattern_destroy(kp);
	return n;
}

static void test_index_keys(void)
{
	int code;
	store_error_t err = { 0 };
	squery_keypattern_t *kp;
	squery_keyset_t ks;
	squery_buf_t want = { 0 };

	ok(nkeys("{'a': 1}", "{'a': [1, 2, 2.0]}", &code) == 2, "an array gives one key per distinct element");
	ok(nkeys("{'a': 1, 'b': -1}", "{'a': [1, 2], 'b': 3}", &code) == 2, "compound with one array: 2 keys");
	ok(nkeys("{'a': 1, 'b': 1}", "{'a': [1, 2], 'b': [3]}", &code) == 0 &&
	   code == STORE_ERR_BAD_VALUE, "two different arrays: cannot index parallel arrays");
	ok(nkeys("{'a.b': 1, 'a.c': 1}", "{'a': [{'b': 1, 'c': 2}, {'b': 3, 'c': 4}]}", &code) == 4,
	   "fields inside the same array: the cross product (4 keys)");
	ok(nkeys("{'a': 'text'}", "{}", &code) == 0 && code == STORE_ERR_UNSUPPORTED,
	   "text indexes are unsupported");

	kp = squery_keypattern_new(J("{'x': 1, 'y': -1}"), &err);
	squery_index_keys(kp, J("{'y': 'k'}"), &ks, &err);
	squery_key_append(&want, NULL, false);
	squery_key_append(&want, V("{'v': 'k'}"), true);
	ok(ks.n == 1 && !ks.multikey && ks.keys[0].len == want.len &&
	   memcmp(ks.keys[0].data, want.data, want.len) == 0,
	   "a missing field indexes as null; a descending component is inverted");
	squery_keyset_free(&ks);
	squery_index_keys(kp, J("{'x': [], 'y': 1}"), &ks, &err);
	want.len = 0;
	squery_key_append(&want, V("{'v': {'$undefined': true}}"), false);
	ok(ks.n == 1 && ks.multikey && ks.keys[0].len > want.len &&
	   memcmp(ks.keys[0].data, want.data, want.len) == 0,
	   "an empty array indexes as undefined and makes the index multikey");
	squery_keyset_free(&ks);
	squery_buf_free(&want);
	{
		bson_t vals;
		squery_index_keys(kp, J("{'x': 'e@x.fr', 'y': 3}"), &ks, &err);
		squery_index_key_values(kp, J("{'x': 'e@x.fr', 'y': 3}"), ks.keys[0].data,
					ks.keys[0].len, &vals);
		ok(bson_equal(&vals, J("{'x': 'e@x.fr', 'y': 3}")), "key values for messages: %s",
		   js(&vals));
		bson_destroy(&vals);
		squery_keyset_free(&ks);
	}
	squery_keypattern_destroy(kp);
}

/* -1, 0, 1: `key` before, starting with, after the bound `b`. */
static int key_vs_bound(const squery_buf_t *key, const squery_buf_t *b)
{
	size_t n = key->len < b->len ? key->len : b->len;
	int c = memcmp(key->data, b->data, n);

	if (c)
		return c < 0 ? -1 : 1;
	return key->len < b->len ? -1 : 0;
}

static bool key_in_interval(const squery_buf_t *key, const squery_interval_t *iv)
{
	int lo = key_vs_bound(key, &iv->lo), hi = key_vs_bound(key, &iv->hi);

	return (iv->lo_excl ? lo > 0 : lo >= 0) && (iv->hi_excl ? hi < 0 : hi <= 0);
}

/* Every value satisfying `op operand` must have its key inside the
 * intervals (the property the index planner relies on), and the operand of
 * $gt / $lt must be outside (exact bounds). */
static void test_intervals(void)
{
	const char *ops[] = { "$eq", "$gt", "$gte", "$lt", "$lte", "$in" };
	const squery_op_t opc[] = { SQUERY_EQ, SQUERY_GT, SQUERY_GTE, SQUERY_LT, SQUERY_LTE, SQUERY_IN };
	size_t o, i, j, checked = 0, bad = 0, boundary_bad = 0;

	for (o = 0; o < 6; o++) {
		for (i = 0; i < NORDER; i++) {
			const bson_value_t *operand = V(order[i].v);
			squery_interval_t *iv;
			size_t n, k;
			bson_t *filter = bson_new(), child, arr;
			store_error_t err = { 0 };
			squery_filter_t *f;
			bson_value_t use = *operand;

			if (operand->value_type == BSON_TYPE_REGEX || operand->value_type == BSON_TYPE_UNDEFINED) {
				bson_destroy(filter);
				continue;
			}
			bson_append_document_begin(filter, "a", 1, &child);
			if (opc[o] == SQUERY_IN) {
				bson_append_array_begin(&child, "$in", 3, &arr);
				bson_append_value(&arr, "0", 1, operand);
				bson_append_array_end(&child, &arr);
			} else {
				bson_append_value(&child, ops[o], -1, operand);
			}
			bson_append_document_end(filter, &child);
			f = squery_filter_new(filter, &err);
			if (opc[o] == SQUERY_IN) {
				bson_iter_t it, ai;
				bson_iter_init_find(&it, filter, "a");
				bson_iter_recurse(&it, &ai);
				bson_iter_next(&ai);
				use = *bson_iter_value(&ai);
			}
			if (!f || !squery_intervals(opc[o], &use, &iv, &n)) {
				squery_filter_destroy(f);
				bson_destroy(filter);
				continue;
			}
			for (j = 0; j < NORDER; j++) {
				const bson_value_t *x = V(order[j].v);
				bson_t doc = BSON_INITIALIZER;
				squery_buf_t key = { 0 };
				bool inside = false;

				bson_append_value(&doc, "a", 1, x);
				if (x->value_type == BSON_TYPE_ARRAY) {
					bson_destroy(&doc);
					continue;
				}
				squery_key_append(&key, x, false);
				for (k = 0; k < n && !inside; k++)
					inside = key_in_interval(&key, &iv[k]);
				if (squery_filter_match(f, &doc)) {
					checked++;
					if (!inside) {
						bad++;
						if (bad < 5)
							diag("%s %s: %s outside the intervals", ops[o], order[i].v,
							     order[j].v);
					}
				} else if (inside && (opc[o] == SQUERY_GT || opc[o] == SQUERY_LT) &&
					   squery_compare(x, operand) == 0) {
					boundary_bad++;
					diag("%s %s: the bound %s is inside", ops[o], order[i].v, order[j].v);
				}
				squery_buf_free(&key);
				bson_destroy(&doc);
			}
			squery_intervals_free(iv, n);
			squery_filter_destroy(f);
			bson_destroy(filter);
		}
	}
	ok(bad == 0 && checked > 1000, "index intervals contain every matching value "
	   "(%zu checks, %zu outside)", checked, bad);
	ok(boundary_bad == 0, "the operand of $gt / $lt is outside its interval, in every type");
}

static void test_check_fields(void)
{
	store_error_t err = { 0 };
	bson_t *deep = bson_new();
	int i;

	ok(!squery_check_fields(J("{'a': {'b': [{'$c': 1}]}}"), &err) && err.code == STORE_ERR_BAD_VALUE &&
	   strstr(err.message, "$c"), "a '$' key deep inside arrays is refused: %s", err.message);
	ok(!squery_check_fields(J("{'a.b': 1}"), &err) && strstr(err.message, "a.b"),
	   "a dotted key is refused: %s", err.message);
	ok(squery_check_fields(J("{'a': ['$x', {'b': 'x.y'}], '': 1}"), &err),
	   "'$' and '.' in values, and an empty key, are fine");
	for (i = 0; i < 120; i++) {
		bson_t *next = bson_new();
		BSON_APPEND_DOCUMENT(next, "d", deep);
		bson_destroy(deep);
		deep = next;
	}
	ok(!squery_check_fields(deep, &err) && strstr(err.message, "nested"),
	   "documents nested deeper than 100 levels are refused");
	bson_destroy(deep);
}

int main(void)
{
	test_order();
	test_matching();
	test_bad_filters();
	test_updates();
	test_update_messages();
	test_upsert();
	test_projection();
	test_sort();
	test_index_keys();
	test_intervals();
	test_check_fields();
	testdoc_free();
	return tap_done();
}
