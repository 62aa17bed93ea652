/*
 * query.c — MongoDB semantics over bson_t (see store/query.h).
 *
 * Layout of this file, top to bottom:
 *   1. small helpers (buffers, dotted paths, error text);
 *   2. numbers: one exact representation for int32, int64, double and
 *      decimal128, used both to compare and to build index keys;
 *   3. comparison in MongoDB's canonical order;
 *   4. the path walker: the values a dotted path reaches in a document,
 *      following MongoDB's BSONElementIterator (arrays on the path are
 *      traversed; at the leaf an array yields its elements and itself);
 *   5. filters (compile once, match many);
 *   6. updates, applied on a small mutable tree (struct sq_node);
 *   7. projection; 8. sort; 9. key encoding, intervals and index keys.
 */
#include "store/query.h"
#include "store/backend.h"

#include <ctype.h>
#include <fenv.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================
 * 1. helpers
 * ====================================================================== */

void squery_buf_append(squery_buf_t *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 32;
		while (cap < b->len + len)
			cap *= 2;
		b->data = bson_realloc(b->data, cap);
		b->cap = cap;
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
}

static void buf_byte(squery_buf_t *b, uint8_t c)
{
	squery_buf_append(b, &c, 1);
}

void squery_buf_free(squery_buf_t *b)
{
	bson_free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* A dotted path split in components: "a.b.0" → {"a","b","0"}. */
struct sq_path {
	char *dotted;   /* the original text */
	char *store;    /* copy with '.' replaced by NUL; comp[] point here */
	char **comp;
	size_t n;
};

static void path_init(struct sq_path *p, const char *dotted)
{
	size_t i, n = 1;

	p->dotted = bson_strdup(dotted);
	p->store = bson_strdup(dotted);
	for (i = 0; dotted[i]; i++)
		if (dotted[i] == '.')
			n++;
	p->comp = bson_malloc(n * sizeof *p->comp);
	p->n = 0;
	p->comp[p->n++] = p->store;
	for (i = 0; p->store[i]; i++) {
		if (p->store[i] == '.') {
			p->store[i] = '\0';
			p->comp[p->n++] = p->store + i + 1;
		}
	}
}

static void path_free(struct sq_path *p)
{
	bson_free(p->dotted);
	bson_free(p->store);
	bson_free(p->comp);
	memset(p, 0, sizeof *p);
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char) *s))
			return false;
	return true;
}

/* Component order of update paths: numbers numerically, else bytes. */
static int comp_cmp(const char *a, const char *b)
{
	if (all_digits(a) && all_digits(b)) {
		size_t la, lb;
		while (*a == '0' && a[1])
			a++;
		while (*b == '0' && b[1])
			b++;
		la = strlen(a);
		lb = strlen(b);
		if (la != lb)
			return la < lb ? -1 : 1;
	}
	return strcmp(a, b);
}

/* <0/0/>0 component-wise; *prefix is set when one path is a prefix of
 * (or equal to) the other. */
static int path_cmp(const struct sq_path *a, const struct sq_path *b, bool *prefix)
{
	size_t i, n = a->n < b->n ? a->n : b->n;

	for (i = 0; i < n; i++) {
		int c = comp_cmp(a->comp[i], b->comp[i]);
		if (c) {
			*prefix = false;
			return c;
		}
	}
	*prefix = true;
	return a->n < b->n ? -1 : a->n > b->n ? 1 : 0;
}

/* A short relaxed-JSON rendering of one value for messages. */
static void value_json(const bson_value_t *v, char *out, size_t outsz)
{
	bson_t tmp = BSON_INITIALIZER;
	char *json, *body;
	size_t len;

	if (!v) {
		snprintf(out, outsz, "missing");
		return;
	}
	bson_append_value(&tmp, "v", 1, v);
	json = bson_as_relaxed_extended_json(&tmp, &len);
	/* json is { "v" : X } */
	body = json ? strstr(json, ": ") : NULL;
	if (body && len >= 2) {
		body += 2;
		json[len - 2] = '\0';
		snprintf(out, outsz, "%s", body);
	} else {
		snprintf(out, outsz, "?");
	}
	if (outsz > 4 && strlen(out) == outsz - 1)
		memcpy(out + outsz - 4, "...", 3);
	bson_free(json);
	bson_destroy(&tmp);
}

static const char *type_name(bson_type_t t)
{
	switch (t) {
	case BSON_TYPE_DOUBLE: return "double";
	case BSON_TYPE_UTF8: return "string";
	case BSON_TYPE_DOCUMENT: return "object";
	case BSON_TYPE_ARRAY: return "array";
	case BSON_TYPE_BINARY: return "binData";
	case BSON_TYPE_UNDEFINED: return "undefined";
	case BSON_TYPE_OID: return "objectId";
	case BSON_TYPE_BOOL: return "bool";
	case BSON_TYPE_DATE_TIME: return "date";
	case BSON_TYPE_NULL: return "null";
	case BSON_TYPE_REGEX: return "regex";
	case BSON_TYPE_DBPOINTER: return "dbPointer";
	case BSON_TYPE_CODE: return "javascript";
	case BSON_TYPE_SYMBOL: return "symbol";
	case BSON_TYPE_CODEWSCOPE: return "javascriptWithScope";
	case BSON_TYPE_INT32: return "int";
	case BSON_TYPE_TIMESTAMP: return "timestamp";
	case BSON_TYPE_INT64: return "long";
	case BSON_TYPE_DECIMAL128: return "decimal";
	case BSON_TYPE_MINKEY: return "minKey";
	case BSON_TYPE_MAXKEY: return "maxKey";
	default: return "missing";
	}
}

static bool is_number(bson_type_t t)
{
	return t == BSON_TYPE_INT32 || t == BSON_TYPE_INT64 ||
	       t == BSON_TYPE_DOUBLE || t == BSON_TYPE_DECIMAL128;
}

static const bson_value_t null_value = { .value_type = BSON_TYPE_NULL };
static const bson_value_t undefined_value = { .value_type = BSON_TYPE_UNDEFINED };

static bool check_fields_rec(const uint8_t *data, uint32_t len, bool is_array,
			     int depth, store_error_t *err)
{
	bson_iter_t it;

	if (depth > STORE_MAX_DEPTH) {
		store_error_set(err, STORE_ERR_BAD_VALUE,
				"document is nested more than %d levels deep",
				STORE_MAX_DEPTH);
		return false;
	}
	if (!bson_iter_init_from_data(&it, data, len)) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "corrupt BSON document");
		return false;
	}
	while (bson_iter_next(&it)) {
		const char *key = bson_iter_key(&it);
		bson_type_t t = bson_iter_type(&it);

		if (!is_array && key[0] == '$') {
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"field names cannot start with '$': '%s'", key);
			return false;
		}
		if (!is_array && strchr(key, '.')) {
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"field names cannot contain '.': '%s'", key);
			return false;
		}
		if (t == BSON_TYPE_DOCUMENT || t == BSON_TYPE_ARRAY) {
			const uint8_t *d;
			uint32_t l;
			if (t == BSON_TYPE_DOCUMENT)
				bson_iter_document(&it, &l, &d);
			else
				bson_iter_array(&it, &l, &d);
			if (!check_fields_rec(d, l, t == BSON_TYPE_ARRAY, depth + 1, err))
				return false;
		}
	}
	return true;
}

bool squery_check_fields(const bson_t *doc, store_error_t *err)
{
	return check_fields_rec(bson_get_data(doc), doc->len, false, 1, err);
}

static bool check_value_fields(const bson_value_t *v, store_error_t *err)
{
	if (v->value_type != BSON_TYPE_DOCUMENT && v->value_type != BSON_TYPE_ARRAY)
		return true;
	return check_fields_rec(v->value.v_doc.data, v->value.v_doc.data_len,
				v->value_type == BSON_TYPE_ARRAY, 2, err);
}

/* ======================================================================
 * 2. numbers
 *
 * Every number becomes a class (NaN < -inf < negative < zero < positive <
 * +inf) and, when finite and non-zero, a binary magnitude m·2^(e-63) with
 * a 64-bit mantissa m whose top bit is set. int32, int64 and double are
 * exact in that form. A decimal128 that is not is represented by the
 * largest such magnitude below it ("down", flag `inexact`) plus its exact
 * decimal digits, which only decide between decimals with the same
 * "down" value. Comparisons are therefore exact across all four types.
 * ====================================================================== */

enum { NUM_NAN, NUM_NEG_INF, NUM_NEG, NUM_ZERO, NUM_POS, NUM_POS_INF };

typedef unsigned __int128 u128;

struct sq_num {
	int cls;
	int32_t e;      /* binary exponent of m's top bit; INT32_MIN: below all */
	uint64_t m;
	bool inexact;   /* a decimal strictly above m·2^(e-63) */
	u128 dc;        /* inexact decimals: coefficient normalised to 34 digits */
	int32_t dadj;   /* and adjusted exponent */
};

static u128 pow10_u128(int k)
{
	u128 r = 1;
	while (k-- > 0)
		r *= 10;
	return r;
}

static int digits_u128(u128 c)
{
	int d = 0;
	do {
		d++;
		c /= 10;
	} while (c);
	return d;
}

/* Decodes the BID encoding of a decimal128 (IEEE 754-2008). */
static int dec_decode(const bson_decimal128_t *d, bool *neg, u128 *coeff, int32_t *exp)
{
	uint64_t hi = d->high, lo = d->low;
	uint32_t comb = (uint32_t) (hi >> 58) & 0x1f;

	*neg = hi >> 63;
	if (comb == 0x1f)
		return NUM_NAN;
	if (comb == 0x1e)
		return *neg ? NUM_NEG_INF : NUM_POS_INF;
	if (((hi >> 61) & 3) == 3) {
		/* "11" form: the coefficient would exceed 10^34 - 1: zero */
		*exp = (int32_t) ((hi >> 47) & 0x3fff) - 6176;
		*coeff = 0;
	} else {
		*exp = (int32_t) ((hi >> 49) & 0x3fff) - 6176;
		*coeff = ((u128) (hi & 0x1ffffffffffffULL) << 64) | lo;
		if (*coeff > pow10_u128(34) - 1)
			*coeff = 0;
	}
	if (*coeff == 0)
		return NUM_ZERO;
	return *neg ? NUM_NEG : NUM_POS;
}

static void num_from_mag(struct sq_num *n, uint64_t mag)
{
	int lz = __builtin_clzll(mag);
	n->e = 63 - lz;
	n->m = mag << lz;
}

/* |x| as m·2^(e-63); returns false when bits were lost (long double wider
 * than 64 bits), in which case m is truncated (a value below |x|). */
static bool num_from_ldouble(struct sq_num *n, long double x)
{
	int ex;
	long double f = frexpl(fabsl(x), &ex), scaled = ldexpl(f, 64);
	long double whole = floorl(scaled);

	n->m = (uint64_t) whole;
	n->e = ex - 1;
	return whole == scaled;
}

static long double strtold_rounding(const char *s, int mode)
{
	int saved = fegetround();
	long double r;

	fesetround(mode);
	r = strtold(s, NULL);
	fesetround(saved);
	return r;
}

static void num_decode(const bson_value_t *v, struct sq_num *n)
{
	memset(n, 0, sizeof *n);
	switch (v->value_type) {
	case BSON_TYPE_INT32:
	case BSON_TYPE_INT64: {
		int64_t i = v->value_type == BSON_TYPE_INT32 ? v->value.v_int32
							      : v->value.v_int64;
		if (i == 0) {
			n->cls = NUM_ZERO;
			return;
		}
		n->cls = i < 0 ? NUM_NEG : NUM_POS;
		num_from_mag(n, i < 0 ? (uint64_t) 0 - (uint64_t) i : (uint64_t) i);
		return;
	}
	case BSON_TYPE_DOUBLE: {
		double d = v->value.v_double;
		int ex;
		if (isnan(d))
			n->cls = NUM_NAN;
		else if (isinf(d))
			n->cls = d < 0 ? NUM_NEG_INF : NUM_POS_INF;
		else if (d == 0)
			n->cls = NUM_ZERO;
		else {
			double f = frexp(fabs(d), &ex);
			n->cls = d < 0 ? NUM_NEG : NUM_POS;
			n->m = (uint64_t) ldexp(f, 64);
			n->e = ex - 1;
		}
		return;
	}
	case BSON_TYPE_DECIMAL128: {
		bool neg;
		u128 coeff = 0;
		int32_t exp = 0;
		char text[BSON_DECIMAL128_STRING];
		long double down, up;
		bson_decimal128_t mag = v->value.v_decimal128;

		n->cls = dec_decode(&v->value.v_decimal128, &neg, &coeff, &exp);
		if (n->cls != NUM_NEG && n->cls != NUM_POS)
			return;
		mag.high &= ~(1ULL << 63);
		bson_decimal128_to_string(&mag, text);
		down = strtold_rounding(text, FE_DOWNWARD);
		up = strtold_rounding(text, FE_UPWARD);
		if (down == up && num_from_ldouble(n, down))
			return;
		n->inexact = true;
		if (down == 0) {
			n->e = INT32_MIN;
			n->m = 0;
		} else {
			num_from_ldouble(n, down);
		}
		{
			int nd = digits_u128(coeff);
			n->dc = coeff * pow10_u128(34 - nd);
			n->dadj = exp + nd - 1;
		}
		return;
	}
	default:
		n->cls = NUM_NAN;
		return;
	}
}

static int num_cmp(const struct sq_num *a, const struct sq_num *b)
{
	int c = 0;

	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	if (a->cls != NUM_NEG && a->cls != NUM_POS)
		return 0;
	if (a->e != b->e)
		c = a->e < b->e ? -1 : 1;
	else if (a->m != b->m)
		c = a->m < b->m ? -1 : 1;
	else if (a->inexact != b->inexact)
		c = a->inexact ? 1 : -1;
	else if (a->inexact) {
		if (a->dadj != b->dadj)
			c = a->dadj < b->dadj ? -1 : 1;
		else if (a->dc != b->dc)
			c = a->dc < b->dc ? -1 : 1;
	}
	return a->cls == NUM_POS ? c : -c;
}

/* Fast paths for the common cases; num_cmp() for the rest. */
static int number_compare(const bson_value_t *a, const bson_value_t *b)
{
	struct sq_num na, nb;
	bson_type_t ta = a->value_type, tb = b->value_type;

	if ((ta == BSON_TYPE_INT32 || ta == BSON_TYPE_INT64) &&
	    (tb == BSON_TYPE_INT32 || tb == BSON_TYPE_INT64)) {
		int64_t x = ta == BSON_TYPE_INT32 ? a->value.v_int32 : a->value.v_int64;
		int64_t y = tb == BSON_TYPE_INT32 ? b->value.v_int32 : b->value.v_int64;
		return x < y ? -1 : x > y;
	}
	if (ta == BSON_TYPE_DOUBLE && tb == BSON_TYPE_DOUBLE) {
		double x = a->value.v_double, y = b->value.v_double;
		if (isnan(x) || isnan(y))
			return isnan(x) ? (isnan(y) ? 0 : -1) : 1;
		return x < y ? -1 : x > y;
	}
	num_decode(a, &na);
	num_decode(b, &nb);
	return num_cmp(&na, &nb);
}

/* ======================================================================
 * 3. comparison
 * ====================================================================== */

int squery_type_rank(bson_type_t t)
{
	switch (t) {
	case BSON_TYPE_MINKEY: return 1;
	case BSON_TYPE_EOD:
	case BSON_TYPE_UNDEFINED: return 2;
	case BSON_TYPE_NULL: return 3;
	case BSON_TYPE_DOUBLE:
	case BSON_TYPE_INT32:
	case BSON_TYPE_INT64:
	case BSON_TYPE_DECIMAL128: return 4;
	case BSON_TYPE_UTF8:
	case BSON_TYPE_SYMBOL: return 5;
	case BSON_TYPE_DOCUMENT: return 6;
	case BSON_TYPE_ARRAY: return 7;
	case BSON_TYPE_BINARY: return 8;
	case BSON_TYPE_OID: return 9;
	case BSON_TYPE_BOOL: return 10;
	case BSON_TYPE_DATE_TIME: return 11;
	case BSON_TYPE_TIMESTAMP: return 12;
	case BSON_TYPE_REGEX: return 13;
	case BSON_TYPE_DBPOINTER: return 14;
	case BSON_TYPE_CODE: return 15;
	case BSON_TYPE_CODEWSCOPE: return 16;
	case BSON_TYPE_MAXKEY: return 17;
	default: return 18;
	}
}

static int sign(int c)
{
	return c < 0 ? -1 : c > 0;
}

static int bytes_cmp(const void *a, size_t la, const void *b, size_t lb)
{
	int c = memcmp(a, b, la < lb ? la : lb);
	if (c)
		return sign(c);
	return la < lb ? -1 : la > lb;
}

static int docs_cmp(const uint8_t *da, uint32_t la, const uint8_t *db, uint32_t lb)
{
	bson_iter_t ia, ib;

	if (!bson_iter_init_from_data(&ia, da, la) ||
	    !bson_iter_init_from_data(&ib, db, lb))
		return bytes_cmp(da, la, db, lb);
	for (;;) {
		bool ha = bson_iter_next(&ia), hb = bson_iter_next(&ib);
		int ra, rb, c;

		if (!ha)
			return hb ? -1 : 0;
		if (!hb)
			return 1;
		ra = squery_type_rank(bson_iter_type(&ia));
		rb = squery_type_rank(bson_iter_type(&ib));
		if (ra != rb)
			return ra < rb ? -1 : 1;
		c = strcmp(bson_iter_key(&ia), bson_iter_key(&ib));
		if (c)
			return sign(c);
		c = squery_compare(bson_iter_value(&ia), bson_iter_value(&ib));
		if (c)
			return c;
	}
}

static void string_of(const bson_value_t *v, const char **s, size_t *len)
{
	if (v->value_type == BSON_TYPE_SYMBOL) {
		*s = v->value.v_symbol.symbol;
		*len = v->value.v_symbol.len;
	} else {
		*s = v->value.v_utf8.str;
		*len = v->value.v_utf8.len;
	}
}

int squery_compare(const bson_value_t *a, const bson_value_t *b)
{
	int ra = squery_type_rank(a->value_type), rb = squery_type_rank(b->value_type);
	int c;

	if (ra != rb)
		return ra < rb ? -1 : 1;
	switch (a->value_type) {
	case BSON_TYPE_DOUBLE:
	case BSON_TYPE_INT32:
	case BSON_TYPE_INT64:
	case BSON_TYPE_DECIMAL128:
		return number_compare(a, b);
	case BSON_TYPE_UTF8:
	case BSON_TYPE_SYMBOL: {
		const char *sa, *sb;
		size_t la, lb;
		string_of(a, &sa, &la);
		string_of(b, &sb, &lb);
		return bytes_cmp(sa, la, sb, lb);
	}
	case BSON_TYPE_DOCUMENT:
	case BSON_TYPE_ARRAY:
		return docs_cmp(a->value.v_doc.data, a->value.v_doc.data_len,
				b->value.v_doc.data, b->value.v_doc.data_len);
	case BSON_TYPE_BINARY:
		if (a->value.v_binary.data_len != b->value.v_binary.data_len)
			return a->value.v_binary.data_len < b->value.v_binary.data_len ? -1 : 1;
		if (a->value.v_binary.subtype != b->value.v_binary.subtype)
			return a->value.v_binary.subtype < b->value.v_binary.subtype ? -1 : 1;
		return sign(memcmp(a->value.v_binary.data, b->value.v_binary.data,
				   a->value.v_binary.data_len));
	case BSON_TYPE_OID:
		return sign(memcmp(a->value.v_oid.bytes, b->value.v_oid.bytes, 12));
	case BSON_TYPE_BOOL:
		return (int) a->value.v_bool - (int) b->value.v_bool;
	case BSON_TYPE_DATE_TIME:
		return a->value.v_datetime < b->value.v_datetime ? -1
		       : a->value.v_datetime > b->value.v_datetime;
	case BSON_TYPE_TIMESTAMP: {
		uint64_t x = ((uint64_t) a->value.v_timestamp.timestamp << 32) |
			     a->value.v_timestamp.increment;
		uint64_t y = ((uint64_t) b->value.v_timestamp.timestamp << 32) |
			     b->value.v_timestamp.increment;
		return x < y ? -1 : x > y;
	}
	case BSON_TYPE_REGEX:
		c = strcmp(a->value.v_regex.regex, b->value.v_regex.regex);
		if (c)
			return sign(c);
		return sign(strcmp(a->value.v_regex.options, b->value.v_regex.options));
	case BSON_TYPE_DBPOINTER:
		if (a->value.v_dbpointer.collection_len != b->value.v_dbpointer.collection_len)
			return a->value.v_dbpointer.collection_len <
					       b->value.v_dbpointer.collection_len ? -1 : 1;
		c = memcmp(a->value.v_dbpointer.collection, b->value.v_dbpointer.collection,
			   a->value.v_dbpointer.collection_len);
		if (c)
			return sign(c);
		return sign(memcmp(a->value.v_dbpointer.oid.bytes,
				   b->value.v_dbpointer.oid.bytes, 12));
	case BSON_TYPE_CODE:
		return bytes_cmp(a->value.v_code.code, a->value.v_code.code_len,
				 b->value.v_code.code, b->value.v_code.code_len);
	case BSON_TYPE_CODEWSCOPE:
		c = bytes_cmp(a->value.v_codewscope.code, a->value.v_codewscope.code_len,
			      b->value.v_codewscope.code, b->value.v_codewscope.code_len);
		if (c)
			return c;
		return docs_cmp(a->value.v_codewscope.scope_data,
				a->value.v_codewscope.scope_len,
				b->value.v_codewscope.scope_data,
				b->value.v_codewscope.scope_len);
	default:
		return 0;  /* MinKey, MaxKey, null, undefined: one value each */
	}
}

int squery_compare_docs(const bson_t *a, const bson_t *b)
{
	return docs_cmp(bson_get_data(a), a->len, bson_get_data(b), b->len);
}

/* ======================================================================
 * 4. the path walker
 * ====================================================================== */

enum walk_mode {
	WALK_TRAVERSE,     /* leaf array: its elements, then the array (matching) */
	WALK_NO_TRAVERSE,  /* leaf array: the array only ($elemMatch) */
	WALK_OMIT,         /* leaf array: its elements only (sort and index keys) */
};

enum walk_yield { Y_VALUE, Y_MISSING, Y_EMPTY_ARRAY };

/* Returns true to stop the walk. `v` is NULL for Y_MISSING; otherwise it
 * points into the document (valid while the document lives). */
typedef bool (*walk_fn)(void *ctx, const bson_value_t *v, enum walk_yield kind);

struct walk {
	char *const *comp;
	size_t n;
	enum walk_mode mode;
	walk_fn fn;
	void *ctx;
	int first_array;   /* component index of the first array met, -1 */
};

static void walk_note_array(struct walk *w, size_t i)
{
	if (w->first_array < 0 || (int) i < w->first_array)
		w->first_array = (int) i;
}

static bool walk_array(struct walk *w, bson_iter_t *arr, size_t next);

static bool walk_yield_leaf(struct walk *w, bson_iter_t *it, size_t i)
{
	bson_iter_t child;
	bool any = false;

	if (bson_iter_type(it) != BSON_TYPE_ARRAY)
		return w->fn(w->ctx, bson_iter_value(it), Y_VALUE);
	walk_note_array(w, i);
	if (w->mode == WALK_NO_TRAVERSE)
		return w->fn(w->ctx, bson_iter_value(it), Y_VALUE);
	if (bson_iter_recurse(it, &child)) {
		while (bson_iter_next(&child)) {
			any = true;
			if (w->fn(w->ctx, bson_iter_value(&child), Y_VALUE))
				return true;
		}
	}
	if (w->mode == WALK_TRAVERSE)
		return w->fn(w->ctx, bson_iter_value(it), Y_VALUE);
	if (!any)
		return w->fn(w->ctx, bson_iter_value(it), Y_EMPTY_ARRAY);
	return false;
}

/* From component `idx` on, inside the document data/len. */
static bool walk_doc(struct walk *w, const uint8_t *data, uint32_t len, size_t idx)
{
	size_t i;

	for (i = idx; i < w->n; i++) {
		bson_iter_t it;

		if (!bson_iter_init_from_data(&it, data, len) ||
		    !bson_iter_find(&it, w->comp[i]))
			return w->fn(w->ctx, NULL, Y_MISSING);
		if (i == w->n - 1)
			return walk_yield_leaf(w, &it, i);
		if (bson_iter_type(&it) == BSON_TYPE_DOCUMENT) {
			bson_iter_document(&it, &len, &data);
			continue;
		}
		if (bson_iter_type(&it) == BSON_TYPE_ARRAY) {
			walk_note_array(w, i);
			return walk_array(w, &it, i + 1);
		}
		return w->fn(w->ctx, NULL, Y_MISSING);
	}
	return false;
}

/* The array at `arr`, with components next.. still to follow. */
static bool walk_array(struct walk *w, bson_iter_t *arr, size_t next)
{
	bson_iter_t child;
	const char *comp = w->comp[next];
	bool numeric = all_digits(comp);

	if (!bson_iter_recurse(arr, &child))
		return false;
	while (bson_iter_next(&child)) {
		bson_type_t t = bson_iter_type(&child);
		bool offset = numeric && strcmp(bson_iter_key(&child), comp) == 0;

		if (t == BSON_TYPE_DOCUMENT) {
			const uint8_t *d;
			uint32_t l;
			bson_iter_document(&child, &l, &d);
			if (walk_doc(w, d, l, next))
				return true;
			if (offset) {
				if (next == w->n - 1) {
					if (w->fn(w->ctx, bson_iter_value(&child), Y_VALUE))
						return true;
				} else if (walk_doc(w, d, l, next + 1)) {
					return true;
				}
			}
		} else if (offset) {
			if (next == w->n - 1) {
				if (w->fn(w->ctx, bson_iter_value(&child), Y_VALUE))
					return true;
			} else if (t == BSON_TYPE_ARRAY) {
				walk_note_array(w, next);
				if (walk_array(w, &child, next + 1))
					return true;
			}
		}
	}
	return false;
}

static bool walk_path(const struct sq_path *p, const uint8_t *data, uint32_t len,
		      enum walk_mode mode, walk_fn fn, void *ctx, int *first_array)
{
	struct walk w = {
		.comp = p->comp, .n = p->n, .mode = mode, .fn = fn, .ctx = ctx,
		.first_array = -1,
	};
	bool stopped = walk_doc(&w, data, len, 0);

	if (first_array)
		*first_array = w.first_array;
	return stopped;
}

/* ======================================================================
 * 5. filters
 * ====================================================================== */

enum expr_kind { EXPR_AND, EXPR_OR, EXPR_LEAF };

struct expr {
	enum expr_kind kind;
	struct expr **kids;            /* AND / OR; $elemMatch's predicates */
	size_t nkids;
	/* leaf */
	struct sq_path path;           /* n == 0: the value itself ($elemMatch values, $pull) */
	squery_op_t op;
	bson_value_t operand;          /* shallow, into the filter's copy */
	bson_value_t *in_vals;         /* $in / $nin: sorted, nulls removed */
	size_t n_in;
	bool in_has_null;
	bool exists;                   /* $exists: wanted */
	bool elem_object;              /* $elemMatch on documents (kids[0]) */
};

struct squery_filter {
	bson_t *copy;
	struct expr *root;
};

static void expr_free(struct expr *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->nkids; i++)
		expr_free(e->kids[i]);
	bson_free(e->kids);
	path_free(&e->path);
	bson_free(e->in_vals);
	bson_free(e);
}

static struct expr *expr_new(enum expr_kind kind)
{
	struct expr *e = bson_malloc0(sizeof *e);
	e->kind = kind;
	return e;
}

static void expr_add(struct expr *parent, struct expr *kid)
{
	parent->kids = bson_realloc(parent->kids, (parent->nkids + 1) * sizeof *parent->kids);
	parent->kids[parent->nkids++] = kid;
}

static bool truthy(const bson_value_t *v)
{
	switch (v->value_type) {
	case BSON_TYPE_BOOL: return v->value.v_bool;
	case BSON_TYPE_INT32: return v->value.v_int32 != 0;
	case BSON_TYPE_INT64: return v->value.v_int64 != 0;
	case BSON_TYPE_DOUBLE: return v->value.v_double != 0;
	case BSON_TYPE_NULL:
	case BSON_TYPE_UNDEFINED:
	case BSON_TYPE_EOD: return false;
	default: return true;
	}
}

static int value_qsort_cmp(const void *a, const void *b)
{
	return squery_compare(a, b);
}

static bool first_key_is_operator(const bson_value_t *v)
{
	bson_iter_t it;

	if (v->value_type != BSON_TYPE_DOCUMENT)
		return false;
	if (!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len) ||
	    !bson_iter_next(&it))
		return false;
	return bson_iter_key(&it)[0] == '$';
}

/* The first key of a document value ("" when empty); points into `v`. */
static const char *first_key(const bson_value_t *v)
{
	bson_iter_t it;

	if (!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len) ||
	    !bson_iter_next(&it))
		return "";
	return bson_iter_key(&it);
}

static struct expr *compile_doc(const uint8_t *data, uint32_t len, int depth,
				store_error_t *err);
static bool compile_ops(struct expr *parent, const char *path, const bson_value_t *ops,
			int depth, store_error_t *err);

static struct expr *leaf_new(const char *path, squery_op_t op, const bson_value_t *operand)
{
	struct expr *e = expr_new(EXPR_LEAF);
	if (path)
		path_init(&e->path, path);
	e->op = op;
	e->operand = *operand;
	return e;
}

static bool refuse_regex(const bson_value_t *v, const char *path, store_error_t *err)
{
	if (v->value_type == BSON_TYPE_REGEX) {
		store_error_set(err, STORE_ERR_UNSUPPORTED,
				"regular expression matching (field '%s') is not supported by the store",
				path ? path : "");
		return false;
	}
	if (v->value_type == BSON_TYPE_UNDEFINED) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "cannot compare to undefined");
		return false;
	}
	return true;
}

static bool compile_in(struct expr *e, const bson_value_t *arr, const char *opname,
		       store_error_t *err)
{
	bson_iter_t it;
	size_t n = 0;

	if (arr->value_type != BSON_TYPE_ARRAY) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "%s needs an array", opname);
		return false;
	}
	bson_iter_init_from_data(&it, arr->value.v_doc.data, arr->value.v_doc.data_len);
	while (bson_iter_next(&it))
		n++;
	e->in_vals = bson_malloc0((n ? n : 1) * sizeof *e->in_vals);
	bson_iter_init_from_data(&it, arr->value.v_doc.data, arr->value.v_doc.data_len);
	while (bson_iter_next(&it)) {
		const bson_value_t *v = bson_iter_value(&it);
		if (!refuse_regex(v, e->path.dotted, err))
			return false;
		if (first_key_is_operator(v)) {
			store_error_set(err, STORE_ERR_BAD_VALUE, "cannot nest $ under %s", opname);
			return false;
		}
		if (v->value_type == BSON_TYPE_NULL)
			e->in_has_null = true;
		else
			e->in_vals[e->n_in++] = *v;
	}
	qsort(e->in_vals, e->n_in, sizeof *e->in_vals, value_qsort_cmp);
	return true;
}

static const struct {
	const char *name;
	squery_op_t op;
} field_ops[] = {
	{ "$eq", SQUERY_EQ }, { "$ne", SQUERY_NE }, { "$gt", SQUERY_GT },
	{ "$gte", SQUERY_GTE }, { "$lt", SQUERY_LT }, { "$lte", SQUERY_LTE },
	{ "$in", SQUERY_IN }, { "$nin", SQUERY_NIN }, { "$exists", SQUERY_EXISTS },
	{ "$elemMatch", SQUERY_ELEMMATCH },
};

/* Operators of an operator document { $gt: 1, $lt: 5 } on `path` (NULL:
 * the value itself), appended to `parent` (an AND). */
static bool compile_ops(struct expr *parent, const char *path, const bson_value_t *ops,
			int depth, store_error_t *err)
{
	bson_iter_t it;

	bson_iter_init_from_data(&it, ops->value.v_doc.data, ops->value.v_doc.data_len);
	while (bson_iter_next(&it)) {
		const char *name = bson_iter_key(&it);
		const bson_value_t *arg = bson_iter_value(&it);
		struct expr *e;
		size_t i;
		bool known = false;
		squery_op_t op = SQUERY_EQ;

		if (name[0] != '$') {
			store_error_set(err, STORE_ERR_BAD_VALUE, "unknown operator: %s", name);
			return false;
		}
		for (i = 0; i < sizeof field_ops / sizeof field_ops[0]; i++) {
			if (strcmp(name, field_ops[i].name) == 0) {
				known = true;
				op = field_ops[i].op;
			}
		}
		if (!known) {
			store_error_set(err, STORE_ERR_UNSUPPORTED,
					"query operator %s is not supported by the store "
					"(supported: $eq $ne $gt $gte $lt $lte $in $nin $exists "
					"$elemMatch $and $or)", name);
			return false;
		}
		e = leaf_new(path, op, arg);
		expr_add(parent, e);
		switch (op) {
		case SQUERY_EQ:
		case SQUERY_GT:
		case SQUERY_GTE:
		case SQUERY_LT:
		case SQUERY_LTE:
			if (arg->value_type == BSON_TYPE_UNDEFINED) {
				store_error_set(err, STORE_ERR_BAD_VALUE, "cannot compare to undefined");
				return false;
			}
			if (op == SQUERY_EQ && !refuse_regex(arg, path, err))
				return false;
			break;
		case SQUERY_NE:
			if (arg->value_type == BSON_TYPE_REGEX) {
				store_error_set(err, STORE_ERR_BAD_VALUE, "Can't have regex as arg to $ne.");
				return false;
			}
			if (!refuse_regex(arg, path, err))
				return false;
			break;
		case SQUERY_IN:
		case SQUERY_NIN:
			if (!compile_in(e, arg, name, err))
				return false;
			break;
		case SQUERY_EXISTS:
			e->exists = truthy(arg);
			break;
		case SQUERY_ELEMMATCH:
			if (arg->value_type != BSON_TYPE_DOCUMENT) {
				store_error_set(err, STORE_ERR_BAD_VALUE, "$elemMatch needs an Object");
				return false;
			}
			if (first_key_is_operator(arg) && strcmp(first_key(arg), "$and") != 0 &&
			    strcmp(first_key(arg), "$or") != 0 && strcmp(first_key(arg), "$nor") != 0) {
				struct expr *all = expr_new(EXPR_AND);
				expr_add(e, all);
				if (depth > STORE_MAX_DEPTH) {
					store_error_set(err, STORE_ERR_BAD_VALUE, "filter nested too deeply");
					return false;
				}
				if (!compile_ops(all, NULL, arg, depth + 1, err))
					return false;
			} else {
				struct expr *sub = compile_doc(arg->value.v_doc.data,
							       arg->value.v_doc.data_len,
							       depth + 1, err);
				if (!sub)
					return false;
				e->elem_object = true;
				expr_add(e, sub);
			}
			break;
		}
	}
	return true;
}

static struct expr *compile_doc(const uint8_t *data, uint32_t len, int depth,
				store_error_t *err)
{
	struct expr *and = expr_new(EXPR_AND);
	bson_iter_t it;

	if (depth > STORE_MAX_DEPTH) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "filter nested too deeply");
		goto fail;
	}
	if (!bson_iter_init_from_data(&it, data, len)) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "corrupt filter document");
		goto fail;
	}
	while (bson_iter_next(&it)) {
		const char *key = bson_iter_key(&it);
		const bson_value_t *v = bson_iter_value(&it);

		if (key[0] == '$') {
			bool is_and = strcmp(key, "$and") == 0, is_or = strcmp(key, "$or") == 0;
			struct expr *group;
			bson_iter_t arr;
			size_t count = 0;

			if (strcmp(key, "$comment") == 0)
				continue;
			if (!is_and && !is_or) {
				store_error_set(err, STORE_ERR_UNSUPPORTED,
						"query operator %s is not supported by the store "
						"(supported at the top level: $and $or)", key);
				goto fail;
			}
			if (v->value_type != BSON_TYPE_ARRAY) {
				store_error_set(err, STORE_ERR_BAD_VALUE,
						"%s must be an array", key);
				goto fail;
			}
			group = expr_new(is_and ? EXPR_AND : EXPR_OR);
			expr_add(and, group);
			bson_iter_init_from_data(&arr, v->value.v_doc.data, v->value.v_doc.data_len);
			while (bson_iter_next(&arr)) {
				const bson_value_t *sub = bson_iter_value(&arr);
				struct expr *kid;
				if (sub->value_type != BSON_TYPE_DOCUMENT) {
					store_error_set(err, STORE_ERR_BAD_VALUE,
							"%s argument's entries must be objects", key);
					goto fail;
				}
				kid = compile_doc(sub->value.v_doc.data, sub->value.v_doc.data_len,
						  depth + 1, err);
				if (!kid)
					goto fail;
				expr_add(group, kid);
				count++;
			}
			if (count == 0) {
				store_error_set(err, STORE_ERR_BAD_VALUE,
						"%s argument must be a non-empty array", key);
				goto fail;
			}
			continue;
		}
		if (first_key_is_operator(v)) {
			if (!compile_ops(and, key, v, depth + 1, err))
				goto fail;
			continue;
		}
		if (!refuse_regex(v, key, err))
			goto fail;
		expr_add(and, leaf_new(key, SQUERY_EQ, v));
	}
	return and;
fail:
	expr_free(and);
	return NULL;
}

squery_filter_t *squery_filter_new(const bson_t *filter, store_error_t *err)
{
	squery_filter_t *f = bson_malloc0(sizeof *f);

	f->copy = filter ? bson_copy(filter) : bson_new();
	f->root = compile_doc(bson_get_data(f->copy), f->copy->len, 1, err);
	if (!f->root) {
		squery_filter_destroy(f);
		return NULL;
	}
	return f;
}

void squery_filter_destroy(squery_filter_t *f)
{
	if (!f)
		return;
	expr_free(f->root);
	bson_destroy(f->copy);
	bson_free(f);
}

bool squery_filter_is_empty(const squery_filter_t *f)
{
	return f->root->nkids == 0;
}

static bool value_equals(const bson_value_t *v, const bson_value_t *operand)
{
	if (operand->value_type == BSON_TYPE_NULL)
		return !v || v->value_type == BSON_TYPE_NULL ||
		       v->value_type == BSON_TYPE_UNDEFINED;
	if (!v)
		return false;
	return squery_compare(v, operand) == 0;
}

static bool value_in(const struct expr *e, const bson_value_t *v)
{
	size_t lo = 0, hi = e->n_in;

	if (!v || v->value_type == BSON_TYPE_NULL || v->value_type == BSON_TYPE_UNDEFINED)
		return e->in_has_null;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = squery_compare(v, &e->in_vals[mid]);
		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

static bool value_compares(squery_op_t op, const bson_value_t *v, const bson_value_t *operand)
{
	int c;

	if (operand->value_type == BSON_TYPE_NULL) {
		if (op == SQUERY_GTE || op == SQUERY_LTE)
			return value_equals(v, operand);
		return false;
	}
	if (!v || squery_type_rank(v->value_type) != squery_type_rank(operand->value_type)) {
		/* Across brackets only MinKey / MaxKey bounds match (MongoDB). */
		if (operand->value_type == BSON_TYPE_MAXKEY)
			return op == SQUERY_LT || op == SQUERY_LTE;
		if (operand->value_type == BSON_TYPE_MINKEY)
			return op == SQUERY_GT || op == SQUERY_GTE;
		return false;
	}
	c = squery_compare(v, operand);
	switch (op) {
	case SQUERY_GT: return c > 0;
	case SQUERY_GTE: return c >= 0;
	case SQUERY_LT: return c < 0;
	case SQUERY_LTE: return c <= 0;
	default: return false;
	}
}

static bool expr_match_doc(const struct expr *e, const uint8_t *data, uint32_t len);
static bool leaf_match_value(const struct expr *e, const bson_value_t *v);

/* `op` (the leaf's operator or its positive form) on one value (v NULL =
 * missing), without traversal. */
static bool leaf_match_op(const struct expr *e, squery_op_t op, const bson_value_t *v)
{
	switch (op) {
	case SQUERY_EQ:
		return value_equals(v, &e->operand);
	case SQUERY_NE:
		return !value_equals(v, &e->operand);
	case SQUERY_IN:
		return value_in(e, v);
	case SQUERY_NIN:
		return !value_in(e, v);
	case SQUERY_GT:
	case SQUERY_GTE:
	case SQUERY_LT:
	case SQUERY_LTE:
		return value_compares(op, v, &e->operand);
	case SQUERY_EXISTS:
		return (v != NULL) == e->exists;
	case SQUERY_ELEMMATCH: {
		bson_iter_t it;
		if (!v || v->value_type != BSON_TYPE_ARRAY)
			return false;
		bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len);
		while (bson_iter_next(&it)) {
			const bson_value_t *elt = bson_iter_value(&it);
			if (e->elem_object) {
				if ((elt->value_type == BSON_TYPE_DOCUMENT ||
				     elt->value_type == BSON_TYPE_ARRAY) &&
				    expr_match_doc(e->kids[0], elt->value.v_doc.data,
						   elt->value.v_doc.data_len))
					return true;
			} else {
				const struct expr *all = e->kids[0];
				size_t i;
				bool ok = true;
				for (i = 0; i < all->nkids && ok; i++)
					ok = leaf_match_value(all->kids[i], elt);
				if (ok)
					return true;
			}
		}
		return false;
	}
	}
	return false;
}

static bool leaf_match_value(const struct expr *e, const bson_value_t *v)
{
	return leaf_match_op(e, e->op, v);
}

struct leaf_ctx {
	const struct expr *e;
	squery_op_t op;   /* the positive operator evaluated per value */
};

static bool leaf_walk_fn(void *ctx, const bson_value_t *v, enum walk_yield kind)
{
	struct leaf_ctx *lc = ctx;

	(void) kind;
	if (lc->op == SQUERY_EXISTS)
		return v != NULL;
	return leaf_match_op(lc->e, lc->op, v);
}

/* A leaf on a document: true when some value on the path satisfies the
 * operator; $ne, $nin and $exists:false are the negation of the whole. */
static bool leaf_match_doc(const struct expr *e, const uint8_t *data, uint32_t len)
{
	struct leaf_ctx lc = { .e = e, .op = e->op };
	enum walk_mode mode = WALK_TRAVERSE;
	bool any;

	if (e->op == SQUERY_NE)
		lc.op = SQUERY_EQ;
	else if (e->op == SQUERY_NIN)
		lc.op = SQUERY_IN;
	else if (e->op == SQUERY_ELEMMATCH)
		mode = WALK_NO_TRAVERSE;
	any = walk_path(&e->path, data, len, mode, leaf_walk_fn, &lc, NULL);
	if (e->op == SQUERY_EXISTS)
		return any == e->exists;
	if (e->op == SQUERY_NE || e->op == SQUERY_NIN)
		return !any;
	return any;
}

static bool expr_match_doc(const struct expr *e, const uint8_t *data, uint32_t len)
{
	size_t i;

	switch (e->kind) {
	case EXPR_AND:
		for (i = 0; i < e->nkids; i++)
			if (!expr_match_doc(e->kids[i], data, len))
				return false;
		return true;
	case EXPR_OR:
		for (i = 0; i < e->nkids; i++)
			if (expr_match_doc(e->kids[i], data, len))
				return true;
		return false;
	case EXPR_LEAF:
		return leaf_match_doc(e, data, len);
	}
	return false;
}

bool squery_filter_match(const squery_filter_t *f, const bson_t *doc)
{
	return expr_match_doc(f->root, bson_get_data(doc), doc->len);
}

static void conjuncts(const struct expr *e, squery_conjunct_fn fn, void *ctx)
{
	size_t i;

	if (e->kind == EXPR_AND) {
		for (i = 0; i < e->nkids; i++)
			conjuncts(e->kids[i], fn, ctx);
	} else if (e->kind == EXPR_OR && e->nkids == 1) {
		conjuncts(e->kids[0], fn, ctx);
	} else if (e->kind == EXPR_LEAF && e->path.n > 0) {
		fn(ctx, e->path.dotted, e->op, &e->operand);
	}
}

void squery_filter_conjuncts(const squery_filter_t *f, squery_conjunct_fn fn, void *ctx)
{
	conjuncts(f->root, fn, ctx);
}

/* ======================================================================
 * 6. updates
 * ====================================================================== */

/* A mutable document tree. Containers (document, array) have kids; other
 * nodes own a copy of their value. */
typedef struct sq_node {
	char *key;
	bson_type_t type;
	bson_value_t v;
	struct sq_node **kids;
	size_t n, cap;
} sq_node_t;

static void node_free(sq_node_t *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++)
		node_free(n->kids[i]);
	bson_free(n->kids);
	if (n->type != BSON_TYPE_DOCUMENT && n->type != BSON_TYPE_ARRAY)
		bson_value_destroy(&n->v);
	bson_free(n->key);
	bson_free(n);
}

static void node_push(sq_node_t *parent, sq_node_t *kid)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 4;
		parent->kids = bson_realloc(parent->kids, parent->cap * sizeof *parent->kids);
	}
	parent->kids[parent->n++] = kid;
}

static void node_fill_children(sq_node_t *n, const uint8_t *data, uint32_t len);

static sq_node_t *node_from_value(const char *key, const bson_value_t *v)
{
	sq_node_t *n = bson_malloc0(sizeof *n);

	n->key = bson_strdup(key ? key : "");
	n->type = v->value_type;
	if (n->type == BSON_TYPE_DOCUMENT || n->type == BSON_TYPE_ARRAY)
		node_fill_children(n, v->value.v_doc.data, v->value.v_doc.data_len);
	else
		bson_value_copy(v, &n->v);
	return n;
}

static void node_fill_children(sq_node_t *n, const uint8_t *data, uint32_t len)
{
	bson_iter_t it;

	if (!bson_iter_init_from_data(&it, data, len))
		return;
	while (bson_iter_next(&it))
		node_push(n, node_from_value(bson_iter_key(&it), bson_iter_value(&it)));
}

static sq_node_t *node_container(const char *key, bson_type_t type)
{
	sq_node_t *n = bson_malloc0(sizeof *n);
	n->key = bson_strdup(key);
	n->type = type;
	return n;
}

static void node_append_to(bson_t *b, const char *key, const sq_node_t *n)
{
	size_t i;
	bson_t child;

	if (n->type == BSON_TYPE_DOCUMENT) {
		bson_append_document_begin(b, key, -1, &child);
		for (i = 0; i < n->n; i++)
			node_append_to(&child, n->kids[i]->key, n->kids[i]);
		bson_append_document_end(b, &child);
	} else if (n->type == BSON_TYPE_ARRAY) {
		bson_append_array_begin(b, key, -1, &child);
		for (i = 0; i < n->n; i++) {
			char buf[16];
			const char *k;
			bson_uint32_to_string((uint32_t) i, &k, buf, sizeof buf);
			node_append_to(&child, k, n->kids[i]);
		}
		bson_append_array_end(b, &child);
	} else {
		bson_append_value(b, key, -1, &n->v);
	}
}

static void node_to_bson(const sq_node_t *root, bson_t *out)
{
	size_t i;

	bson_init(out);
	for (i = 0; i < root->n; i++)
		node_append_to(out, root->kids[i]->key, root->kids[i]);
}

/* A value view of a node: containers are serialised into `tmp`. */
static void node_value(const sq_node_t *n, bson_t *tmp, bson_value_t *v)
{
	size_t i;

	bson_init(tmp);
	if (n->type != BSON_TYPE_DOCUMENT && n->type != BSON_TYPE_ARRAY) {
		*v = n->v;
		return;
	}
	for (i = 0; i < n->n; i++) {
		char buf[16];
		const char *k = n->kids[i]->key;
		if (n->type == BSON_TYPE_ARRAY)
			bson_uint32_to_string((uint32_t) i, &k, buf, sizeof buf);
		node_append_to(tmp, k, n->kids[i]);
	}
	v->value_type = n->type;
	v->value.v_doc.data = (uint8_t *) bson_get_data(tmp);
	v->value.v_doc.data_len = tmp->len;
}

static void node_json(const sq_node_t *n, char *out, size_t outsz)
{
	bson_t tmp;
	bson_value_t v;

	node_value(n, &tmp, &v);
	value_json(&v, out, outsz);
	bson_destroy(&tmp);
}

static sq_node_t *node_find(const sq_node_t *doc, const char *key, size_t *pos)
{
	size_t i;

	for (i = 0; i < doc->n; i++) {
		if (strcmp(doc->kids[i]->key, key) == 0) {
			if (pos)
				*pos = i;
			return doc->kids[i];
		}
	}
	return NULL;
}

static void id_json(const sq_node_t *root, char *out, size_t outsz)
{
	sq_node_t *id = node_find(root, "_id", NULL);
	char v[200];

	if (!id) {
		snprintf(out, outsz, "{}");
		return;
	}
	node_json(id, v, sizeof v);
	snprintf(out, outsz, "{ _id: %s }", v);
}

enum uop { UOP_SET, UOP_UNSET, UOP_INC, UOP_PUSH, UOP_ADDTOSET, UOP_PULL };

enum pull_kind { PULL_EQ, PULL_COND, PULL_QUERY };

struct uentry {
	enum uop op;
	const char *opname;
	struct sq_path path;
	bson_value_t val;            /* shallow, into the update's copy */
	bson_value_t *items;         /* $push / $addToSet: the values to add */
	size_t nitems;
	enum pull_kind pull;
	struct expr *cond;           /* PULL_COND (AND of value leaves), PULL_QUERY */
};

struct squery_update {
	bson_t *copy;
	struct uentry *e;
	size_t n;
};

void squery_update_destroy(squery_update_t *u)
{
	size_t i;

	if (!u)
		return;
	for (i = 0; i < u->n; i++) {
		path_free(&u->e[i].path);
		bson_free(u->e[i].items);
		expr_free(u->e[i].cond);
	}
	bson_free(u->e);
	bson_destroy(u->copy);
	bson_free(u);
}

static const struct {
	const char *name;
	enum uop op;
} update_ops[] = {
	{ "$set", UOP_SET }, { "$unset", UOP_UNSET }, { "$inc", UOP_INC },
	{ "$push", UOP_PUSH }, { "$addToSet", UOP_ADDTOSET }, { "$pull", UOP_PULL },
};

static bool check_update_path(const char *path, store_error_t *err)
{
	const char *p = path, *start = path;

	if (!*path) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "An empty update path is not valid.");
		return false;
	}
	for (;; p++) {
		if (*p == '.' || *p == '\0') {
			if (p == start) {
				store_error_set(err, STORE_ERR_BAD_VALUE,
						"The update path '%s' contains an empty field name, "
						"which is not allowed.", path);
				return false;
			}
			if (*start == '$' && (p - start == 1 || start[1] == '[')) {
				store_error_set(err, STORE_ERR_UNSUPPORTED,
						"positional update operators ('%s') are not supported "
						"by the store", path);
				return false;
			}
			if (*start == '$') {
				store_error_set(err, STORE_ERR_BAD_VALUE,
						"The dollar ($) prefixed field in '%s' is not valid "
						"for storage", path);
				return false;
			}
			if (!*p)
				return true;
			start = p + 1;
		}
	}
}

static bool compile_items(struct uentry *ue, store_error_t *err)
{
	bson_iter_t it;
	const bson_value_t *each = NULL;

	if (ue->val.value_type == BSON_TYPE_DOCUMENT) {
		bson_iter_init_from_data(&it, ue->val.value.v_doc.data,
					 ue->val.value.v_doc.data_len);
		if (bson_iter_find(&it, "$each")) {
			each = bson_iter_value(&it);
			bson_iter_init_from_data(&it, ue->val.value.v_doc.data,
						 ue->val.value.v_doc.data_len);
			while (bson_iter_next(&it)) {
				const char *k = bson_iter_key(&it);
				if (strcmp(k, "$each") == 0)
					continue;
				if (ue->op == UOP_PUSH && (strcmp(k, "$slice") == 0 ||
							    strcmp(k, "$sort") == 0 ||
							    strcmp(k, "$position") == 0)) {
					store_error_set(err, STORE_ERR_UNSUPPORTED,
							"$push modifier %s is not supported by the store", k);
					return false;
				}
				store_error_set(err, STORE_ERR_BAD_VALUE,
						"Found unexpected field '%s' with $each in %s", k,
						ue->opname);
				return false;
			}
			if (each->value_type != BSON_TYPE_ARRAY) {
				store_error_set(err, STORE_ERR_BAD_VALUE,
						"The argument to $each in %s must be an array but it was "
						"of type: %s", ue->opname, type_name(each->value_type));
				return false;
			}
		}
	}
	if (!each) {
		ue->items = bson_malloc(sizeof *ue->items);
		ue->items[0] = ue->val;
		ue->nitems = 1;
		return check_value_fields(&ue->val, err);
	}
	bson_iter_init_from_data(&it, each->value.v_doc.data, each->value.v_doc.data_len);
	while (bson_iter_next(&it)) {
		ue->items = bson_realloc(ue->items, (ue->nitems + 1) * sizeof *ue->items);
		ue->items[ue->nitems++] = *bson_iter_value(&it);
		if (!check_value_fields(&ue->items[ue->nitems - 1], err))
			return false;
	}
	return true;
}

static bool compile_pull(struct uentry *ue, store_error_t *err)
{
	const bson_value_t *v = &ue->val;

	if (v->value_type == BSON_TYPE_DOCUMENT) {
		const char *k = first_key(v);
		if (k[0] == '$' && strcmp(k, "$and") != 0 && strcmp(k, "$or") != 0 &&
		    strcmp(k, "$nor") != 0) {
			ue->pull = PULL_COND;
			ue->cond = expr_new(EXPR_AND);
			return compile_ops(ue->cond, NULL, v, 2, err);
		}
		ue->pull = PULL_QUERY;
		ue->cond = compile_doc(v->value.v_doc.data, v->value.v_doc.data_len, 2, err);
		return ue->cond != NULL;
	}
	if (!refuse_regex(v, ue->path.dotted, err))
		return false;
	ue->pull = PULL_EQ;
	return true;
}

static int uentry_cmp(const void *a, const void *b)
{
	const struct uentry *x = a, *y = b;
	bool prefix;
	return path_cmp(&x->path, &y->path, &prefix);
}

squery_update_t *squery_update_new(const bson_t *update, store_error_t *err)
{
	squery_update_t *u = bson_malloc0(sizeof *u);
	bson_iter_t it;
	bool first = true;
	size_t i;

	u->copy = update ? bson_copy(update) : bson_new();
	if (bson_empty(u->copy)) {
		store_error_set(err, STORE_ERR_BAD_VALUE,
				"the update document is empty: it must contain update operators "
				"($set $unset $inc $push $pull $addToSet)");
		goto fail;
	}
	bson_iter_init(&it, u->copy);
	while (bson_iter_next(&it)) {
		const char *name = bson_iter_key(&it);
		const bson_value_t *arg = bson_iter_value(&it);
		bson_iter_t fields;
		size_t k, opk = 0;
		int op = -1;

		if (name[0] != '$') {
			if (first)
				store_error_set(err, STORE_ERR_UNSUPPORTED,
						"replacement documents are not supported by the store "
						"(field '%s'): use update operators such as $set", name);
			else
				store_error_set(err, STORE_ERR_BAD_VALUE,
						"Unknown modifier: %s. Expected a valid update modifier",
						name);
			goto fail;
		}
		first = false;
		for (k = 0; k < sizeof update_ops / sizeof update_ops[0]; k++) {
			if (strcmp(name, update_ops[k].name) == 0) {
				op = (int) update_ops[k].op;
				opk = k;
			}
		}
		if (op < 0) {
			store_error_set(err, STORE_ERR_UNSUPPORTED,
					"update operator %s is not supported by the store "
					"(supported: $set $unset $inc $push $pull $addToSet)", name);
			goto fail;
		}
		if (arg->value_type != BSON_TYPE_DOCUMENT) {
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"Modifiers operate on fields but we found type %s instead "
					"(%s needs a document)", type_name(arg->value_type), name);
			goto fail;
		}
		bson_iter_init_from_data(&fields, arg->value.v_doc.data, arg->value.v_doc.data_len);
		while (bson_iter_next(&fields)) {
			struct uentry *ue;
			const char *path = bson_iter_key(&fields);

			if (!check_update_path(path, err))
				goto fail;
			u->e = bson_realloc(u->e, (u->n + 1) * sizeof *u->e);
			ue = &u->e[u->n++];
			memset(ue, 0, sizeof *ue);
			ue->op = (enum uop) op;
			ue->opname = update_ops[opk].name;
			ue->val = *bson_iter_value(&fields);
			path_init(&ue->path, path);
			switch (ue->op) {
			case UOP_SET:
				if (!check_value_fields(&ue->val, err))
					goto fail;
				break;
			case UOP_UNSET:
				break;
			case UOP_INC:
				if (!is_number(ue->val.value_type)) {
					char j[200];
					value_json(&ue->val, j, sizeof j);
					store_error_set(err, STORE_ERR_BAD_VALUE,
							"Cannot increment with non-numeric argument: "
							"{%s: %s}", path, j);
					goto fail;
				}
				break;
			case UOP_PUSH:
			case UOP_ADDTOSET:
				if (!compile_items(ue, err))
					goto fail;
				break;
			case UOP_PULL:
				if (!compile_pull(ue, err))
					goto fail;
				break;
			}
		}
	}
	/* Apply in path order (MongoDB ≥ 5.0); a path equal to or a prefix of
	 * another is a conflict. */
	if (u->n)
		qsort(u->e, u->n, sizeof *u->e, uentry_cmp);
	for (i = 1; i < u->n; i++) {
		bool prefix;
		path_cmp(&u->e[i - 1].path, &u->e[i].path, &prefix);
		if (prefix) {
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"Updating the path '%s' would create a conflict at '%s'",
					u->e[i].path.dotted, u->e[i - 1].path.dotted);
			goto fail;
		}
	}
	return u;
fail:
	squery_update_destroy(u);
	return NULL;
}

/* Locates the parent container of `p`'s leaf. With `create`, missing
 * intermediate documents are created and a path through a scalar is an
 * error; without, *parent is NULL when the path does not exist. */
static bool resolve_parent(sq_node_t *root, const struct sq_path *p, bool create,
			   sq_node_t **parent, store_error_t *err)
{
	sq_node_t *cur = root;
	size_t i;

	*parent = NULL;
	for (i = 0; i + 1 < p->n; i++) {
		const char *c = p->comp[i];
		sq_node_t *next = NULL;

		if (cur->type == BSON_TYPE_DOCUMENT) {
			next = node_find(cur, c, NULL);
			if (!next) {
				if (!create)
					return true;
				next = node_container(c, BSON_TYPE_DOCUMENT);
				node_push(cur, next);
			}
		} else if (cur->type == BSON_TYPE_ARRAY && all_digits(c)) {
			unsigned long idx = strtoul(c, NULL, 10);
			if (idx < cur->n) {
				next = cur->kids[idx];
			} else {
				if (!create)
					return true;
				if (idx > cur->n + 1500000) {
					store_error_set(err, STORE_ERR_BAD_VALUE,
							"can't backfill array to larger than 1500000 elements");
					return false;
				}
				while (cur->n < idx)
					node_push(cur, node_from_value("", &null_value));
				next = node_container(c, BSON_TYPE_DOCUMENT);
				node_push(cur, next);
			}
		}
		if (!next) {
			char j[200];
			if (!create)
				return true;
			node_json(cur, j, sizeof j);
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"Cannot create field '%s' in element {%s: %s}", c,
					i ? p->comp[i - 1] : "", j);
			return false;
		}
		cur = next;
	}
	if (cur->type != BSON_TYPE_DOCUMENT &&
	    !(cur->type == BSON_TYPE_ARRAY && all_digits(p->comp[p->n - 1]))) {
		char j[200];
		if (!create)
			return true;
		node_json(cur, j, sizeof j);
		store_error_set(err, STORE_ERR_BAD_VALUE,
				"Cannot create field '%s' in element {%s: %s}",
				p->comp[p->n - 1], p->n > 1 ? p->comp[p->n - 2] : "", j);
		return false;
	}
	*parent = cur;
	return true;
}

/* The leaf in `parent` (document or array), or NULL; *pos its index. */
static sq_node_t *leaf_of(sq_node_t *parent, const char *comp, size_t *pos)
{
	if (parent->type == BSON_TYPE_DOCUMENT)
		return node_find(parent, comp, pos);
	{
		unsigned long idx = strtoul(comp, NULL, 10);
		if (idx < parent->n) {
			*pos = idx;
			return parent->kids[idx];
		}
	}
	return NULL;
}

/* Puts `n` at the leaf `comp` of `parent`, replacing what was there. */
static bool leaf_put(sq_node_t *parent, const char *comp, sq_node_t *n, store_error_t *err)
{
	size_t pos;
	sq_node_t *old = leaf_of(parent, comp, &pos);

	if (old) {
		bson_free(n->key);
		n->key = bson_strdup(old->key);
		parent->kids[pos] = n;
		node_free(old);
		return true;
	}
	if (parent->type == BSON_TYPE_ARRAY) {
		unsigned long idx = strtoul(comp, NULL, 10);
		if (idx > parent->n + 1500000) {
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"can't backfill array to larger than 1500000 elements");
			node_free(n);
			return false;
		}
		while (parent->n < idx)
			node_push(parent, node_from_value("", &null_value));
	}
	node_push(parent, n);
	return true;
}

static bool inc_values(const bson_value_t *a, const bson_value_t *b, bson_value_t *out,
		       bool *overflow, store_error_t *err)
{
	*overflow = false;
	if (a->value_type == BSON_TYPE_DECIMAL128 || b->value_type == BSON_TYPE_DECIMAL128) {
		store_error_set(err, STORE_ERR_UNSUPPORTED,
				"$inc on decimal128 values is not supported by the store");
		return false;
	}
	if (a->value_type == BSON_TYPE_DOUBLE || b->value_type == BSON_TYPE_DOUBLE) {
		double x = a->value_type == BSON_TYPE_DOUBLE ? a->value.v_double
			   : a->value_type == BSON_TYPE_INT32 ? (double) a->value.v_int32
							      : (double) a->value.v_int64;
		double y = b->value_type == BSON_TYPE_DOUBLE ? b->value.v_double
			   : b->value_type == BSON_TYPE_INT32 ? (double) b->value.v_int32
							      : (double) b->value.v_int64;
		out->value_type = BSON_TYPE_DOUBLE;
		out->value.v_double = x + y;
		return true;
	}
	if (a->value_type == BSON_TYPE_INT32 && b->value_type == BSON_TYPE_INT32) {
		int64_t s = (int64_t) a->value.v_int32 + b->value.v_int32;
		if (s >= INT32_MIN && s <= INT32_MAX) {
			out->value_type = BSON_TYPE_INT32;
			out->value.v_int32 = (int32_t) s;
		} else {
			out->value_type = BSON_TYPE_INT64;
			out->value.v_int64 = s;
		}
		return true;
	}
	{
		int64_t x = a->value_type == BSON_TYPE_INT32 ? a->value.v_int32 : a->value.v_int64;
		int64_t y = b->value_type == BSON_TYPE_INT32 ? b->value.v_int32 : b->value.v_int64;
		int64_t s;
		if (__builtin_add_overflow(x, y, &s)) {
			*overflow = true;
			return false;
		}
		out->value_type = BSON_TYPE_INT64;
		out->value.v_int64 = s;
		return true;
	}
}

static bool pull_matches(const struct uentry *ue, const sq_node_t *elt)
{
	bson_t tmp;
	bson_value_t v;
	bool m = false;
	size_t i;

	node_value(elt, &tmp, &v);
	switch (ue->pull) {
	case PULL_EQ:
		m = squery_compare(&v, &ue->val) == 0;
		break;
	case PULL_COND:
		m = true;
		for (i = 0; i < ue->cond->nkids && m; i++)
			m = leaf_match_value(ue->cond->kids[i], &v);
		break;
	case PULL_QUERY:
		m = v.value_type == BSON_TYPE_DOCUMENT &&
		    expr_match_doc(ue->cond, v.value.v_doc.data, v.value.v_doc.data_len);
		break;
	}
	bson_destroy(&tmp);
	return m;
}

static bool apply_entry(const struct uentry *ue, sq_node_t *root, store_error_t *err)
{
	sq_node_t *parent, *leaf;
	const char *last = ue->path.comp[ue->path.n - 1];
	bool create = ue->op != UOP_UNSET && ue->op != UOP_PULL;
	size_t pos = 0, i, j;
	char idj[240], vj[200];

	if (!resolve_parent(root, &ue->path, create, &parent, err))
		return false;
	if (!parent)
		return true;   /* $unset / $pull of a path that does not exist */
	leaf = leaf_of(parent, last, &pos);

	switch (ue->op) {
	case UOP_SET:
		return leaf_put(parent, last, node_from_value(last, &ue->val), err);
	case UOP_UNSET:
		if (!leaf)
			return true;
		if (parent->type == BSON_TYPE_ARRAY) {
			return leaf_put(parent, last, node_from_value(last, &null_value), err);
		}
		node_free(leaf);
		memmove(&parent->kids[pos], &parent->kids[pos + 1],
			(parent->n - pos - 1) * sizeof *parent->kids);
		parent->n--;
		return true;
	case UOP_INC: {
		bson_value_t sum;
		bool overflow;
		if (!leaf)
			return leaf_put(parent, last, node_from_value(last, &ue->val), err);
		if (!is_number(leaf->type)) {
			id_json(root, idj, sizeof idj);
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"Cannot apply $inc to a value of non-numeric type. %s has "
					"the field '%s' of non-numeric type %s", idj, last,
					type_name(leaf->type));
			return false;
		}
		if (!inc_values(&leaf->v, &ue->val, &sum, &overflow, err)) {
			if (overflow) {
				id_json(root, idj, sizeof idj);
				value_json(&leaf->v, vj, sizeof vj);
				store_error_set(err, STORE_ERR_BAD_VALUE,
						"Failed to apply $inc operations to current value "
						"(%s) for document %s: integer overflow", vj, idj);
			}
			return false;
		}
		bson_value_destroy(&leaf->v);
		leaf->v = sum;
		leaf->type = sum.value_type;
		return true;
	}
	case UOP_PUSH:
	case UOP_ADDTOSET:
		if (!leaf) {
			leaf = node_container(last, BSON_TYPE_ARRAY);
			if (!leaf_put(parent, last, leaf, err))
				return false;
		} else if (leaf->type != BSON_TYPE_ARRAY) {
			id_json(root, idj, sizeof idj);
			if (ue->op == UOP_PUSH)
				store_error_set(err, STORE_ERR_BAD_VALUE,
						"The field '%s' must be an array but is of type %s in "
						"document %s", ue->path.dotted, type_name(leaf->type), idj);
			else
				store_error_set(err, STORE_ERR_BAD_VALUE,
						"Cannot apply $addToSet to non-array field. Field named "
						"'%s' has non-array type %s", last, type_name(leaf->type));
			return false;
		}
		for (i = 0; i < ue->nitems; i++) {
			bool present = false;
			if (ue->op == UOP_ADDTOSET) {
				for (j = 0; j < leaf->n && !present; j++) {
					bson_t tmp;
					bson_value_t v;
					node_value(leaf->kids[j], &tmp, &v);
					present = squery_compare(&v, &ue->items[i]) == 0;
					bson_destroy(&tmp);
				}
			}
			if (!present)
				node_push(leaf, node_from_value("", &ue->items[i]));
		}
		return true;
	case UOP_PULL:
		if (!leaf)
			return true;
		if (leaf->type != BSON_TYPE_ARRAY) {
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"Cannot apply $pull to a non-array value (field '%s' is of type %s)",
					ue->path.dotted, type_name(leaf->type));
			return false;
		}
		for (i = 0, j = 0; i < leaf->n; i++) {
			if (pull_matches(ue, leaf->kids[i]))
				node_free(leaf->kids[i]);
			else
				leaf->kids[j++] = leaf->kids[i];
		}
		leaf->n = j;
		return true;
	}
	return true;
}

/* The bytes of the `_id` element of `doc` (type + value), for the
 * immutability check; NULL when absent. */
static bool id_element(const bson_t *doc, const uint8_t **raw, size_t *len, bson_type_t *t)
{
	bson_iter_t it;

	if (!bson_iter_init_find(&it, doc, "_id"))
		return false;
	*t = bson_iter_type(&it);
	*raw = it.raw + it.d1;
	*len = it.next_off - it.d1;
	return true;
}

static bool ids_equal(const bson_t *a, const bson_t *b)
{
	const uint8_t *ra = NULL, *rb = NULL;
	size_t la = 0, lb = 0;
	bson_type_t ta = BSON_TYPE_EOD, tb = BSON_TYPE_EOD;
	bool ha = id_element(a, &ra, &la, &ta), hb = id_element(b, &rb, &lb, &tb);

	if (ha != hb)
		return false;
	if (!ha)
		return true;
	return ta == tb && la == lb && memcmp(ra, rb, la) == 0;
}

static bool apply_all(const squery_update_t *u, sq_node_t *root, store_error_t *err)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (!apply_entry(&u->e[i], root, err))
			return false;
	return true;
}

bool squery_update_apply(const squery_update_t *u, const bson_t *doc, bson_t *out,
			 bool *changed, store_error_t *err)
{
	sq_node_t *root = node_container("", BSON_TYPE_DOCUMENT);
	bool ok = false;

	node_fill_children(root, bson_get_data(doc), doc->len);
	if (!apply_all(u, root, err))
		goto done;
	node_to_bson(root, out);
	if (!ids_equal(doc, out)) {
		bson_destroy(out);
		store_error_set(err, STORE_ERR_BAD_VALUE,
				"Performing an update on the path '_id' would modify the immutable "
				"field '_id'");
		goto done;
	}
	if (out->len > STORE_MAX_DOC_SIZE) {
		bson_destroy(out);
		store_error_set(err, STORE_ERR_BAD_VALUE,
				"Resulting document after update is larger than %d", STORE_MAX_DOC_SIZE);
		goto done;
	}
	*changed = out->len != doc->len ||
		   memcmp(bson_get_data(out), bson_get_data(doc), doc->len) != 0;
	ok = true;
done:
	node_free(root);
	return ok;
}

struct eqfield {
	struct sq_path path;
	bson_value_t v;
};

struct eqlist {
	struct eqfield *f;
	size_t n;
};

static void eq_add(struct eqlist *l, const char *path, const bson_value_t *v)
{
	l->f = bson_realloc(l->f, (l->n + 1) * sizeof *l->f);
	path_init(&l->f[l->n].path, path);
	l->f[l->n].v = *v;
	l->n++;
}

static void eq_collect(const uint8_t *data, uint32_t len, struct eqlist *l, int depth)
{
	bson_iter_t it;

	if (depth > STORE_MAX_DEPTH || !bson_iter_init_from_data(&it, data, len))
		return;
	while (bson_iter_next(&it)) {
		const char *key = bson_iter_key(&it);
		const bson_value_t *v = bson_iter_value(&it);

		if (key[0] == '$') {
			bool is_and = strcmp(key, "$and") == 0, is_or = strcmp(key, "$or") == 0;
			bson_iter_t arr;
			size_t n = 0;
			if ((!is_and && !is_or) || v->value_type != BSON_TYPE_ARRAY)
				continue;
			bson_iter_init_from_data(&arr, v->value.v_doc.data, v->value.v_doc.data_len);
			while (bson_iter_next(&arr))
				n++;
			if (is_or && n != 1)
				continue;
			bson_iter_init_from_data(&arr, v->value.v_doc.data, v->value.v_doc.data_len);
			while (bson_iter_next(&arr)) {
				const bson_value_t *sub = bson_iter_value(&arr);
				if (sub->value_type == BSON_TYPE_DOCUMENT)
					eq_collect(sub->value.v_doc.data, sub->value.v_doc.data_len,
						   l, depth + 1);
			}
			continue;
		}
		if (first_key_is_operator(v)) {
			bson_iter_t ops;
			bson_iter_init_from_data(&ops, v->value.v_doc.data, v->value.v_doc.data_len);
			while (bson_iter_next(&ops)) {
				const bson_value_t *arg = bson_iter_value(&ops);
				if (strcmp(bson_iter_key(&ops), "$eq") == 0) {
					eq_add(l, key, arg);
				} else if (strcmp(bson_iter_key(&ops), "$in") == 0 &&
					   arg->value_type == BSON_TYPE_ARRAY) {
					bson_iter_t in;
					bson_iter_init_from_data(&in, arg->value.v_doc.data,
								 arg->value.v_doc.data_len);
					if (bson_iter_next(&in)) {
						bson_iter_t more = in;
						if (!bson_iter_next(&more))
							eq_add(l, key, bson_iter_value(&in));
					}
				}
			}
			continue;
		}
		eq_add(l, key, v);
	}
}

static int eqfield_cmp(const void *a, const void *b)
{
	const struct eqfield *x = a, *y = b;
	bool prefix;
	return path_cmp(&x->path, &y->path, &prefix);
}

static int eqfield_dotted_cmp(const void *a, const void *b)
{
	return strcmp(((const struct eqfield *) a)->path.dotted,
		      ((const struct eqfield *) b)->path.dotted);
}

bool squery_upsert_doc(const bson_t *filter, const squery_update_t *u, bson_t *out,
		       store_error_t *err)
{
	struct eqlist l = { 0 };
	struct eqfield *sorted = NULL;
	sq_node_t *root = node_container("", BSON_TYPE_DOCUMENT);
	bson_t built;
	bool ok = false;
	size_t i, pos;
	sq_node_t *id;

	if (filter)
		eq_collect(bson_get_data(filter), filter->len, &l, 1);
	if (l.n) {
		sorted = bson_malloc(l.n * sizeof *sorted);
		memcpy(sorted, l.f, l.n * sizeof *sorted);
		qsort(sorted, l.n, sizeof *sorted, eqfield_cmp);
		for (i = 1; i < l.n; i++) {
			bool prefix;
			path_cmp(&sorted[i - 1].path, &sorted[i].path, &prefix);
			if (prefix) {
				store_error_set(err, STORE_ERR_BAD_VALUE,
						"cannot infer query fields to set, path '%s' is "
						"matched twice", sorted[i - 1].path.dotted);
				goto done;
			}
		}
	}
	/* added in the byte order of their paths, as MongoDB (a std::map) */
	if (l.n)
		qsort(l.f, l.n, sizeof *l.f, eqfield_dotted_cmp);
	for (i = 0; i < l.n; i++) {
		sq_node_t *parent;
		const char *last = l.f[i].path.comp[l.f[i].path.n - 1];
		if (!check_value_fields(&l.f[i].v, err) ||
		    !resolve_parent(root, &l.f[i].path, true, &parent, err) ||
		    !leaf_put(parent, last, node_from_value(last, &l.f[i].v), err))
			goto done;
	}
	node_to_bson(root, &built);
	if (!apply_all(u, root, err)) {
		bson_destroy(&built);
		goto done;
	}
	/* _id from the filter must not be changed by the update. */
	if (bson_has_field(&built, "_id")) {
		bson_t after;
		bool same;
		node_to_bson(root, &after);
		same = !bson_has_field(&built, "_id") || ids_equal(&built, &after);
		bson_destroy(&after);
		if (!same) {
			bson_destroy(&built);
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"Performing an update on the path '_id' would modify the "
					"immutable field '_id'");
			goto done;
		}
	}
	bson_destroy(&built);
	id = node_find(root, "_id", &pos);
	if (id) {
		if (id->type == BSON_TYPE_ARRAY || id->type == BSON_TYPE_REGEX ||
		    id->type == BSON_TYPE_UNDEFINED) {
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"The '_id' value cannot be of type %s", type_name(id->type));
			goto done;
		}
		memmove(&root->kids[1], &root->kids[0], pos * sizeof *root->kids);
		root->kids[0] = id;
	} else {
		bson_value_t oid = { .value_type = BSON_TYPE_OID };
		bson_oid_init(&oid.value.v_oid, NULL);
		node_push(root, node_from_value("_id", &oid));
		id = root->kids[root->n - 1];
		memmove(&root->kids[1], &root->kids[0], (root->n - 1) * sizeof *root->kids);
		root->kids[0] = id;
	}
	node_to_bson(root, out);
	if (out->len > STORE_MAX_DOC_SIZE) {
		bson_destroy(out);
		store_error_set(err, STORE_ERR_BAD_VALUE, "upserted document is too large");
		goto done;
	}
	ok = true;
done:
	for (i = 0; i < l.n; i++)
		path_free(&l.f[i].path);
	bson_free(l.f);
	bson_free(sorted);
	node_free(root);
	return ok;
}

/* ======================================================================
 * 7. projection
 * ====================================================================== */

struct pnode {
	char *name;
	bool leaf;
	struct pnode **kids;
	size_t n;
};

struct squery_projection {
	bool inclusion;
	int id;            /* -1 default, 0 excluded, 1 included */
	struct pnode root;
};

static void pnode_free_kids(struct pnode *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		pnode_free_kids(p->kids[i]);
		bson_free(p->kids[i]->name);
		bson_free(p->kids[i]);
	}
	bson_free(p->kids);
	p->kids = NULL;
	p->n = 0;
}

void squery_projection_destroy(squery_projection_t *p)
{
	if (!p)
		return;
	pnode_free_kids(&p->root);
	bson_free(p);
}

static struct pnode *pnode_child(const struct pnode *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->kids[i]->name, name) == 0)
			return p->kids[i];
	return NULL;
}

static bool pnode_insert(struct pnode *root, const char *dotted, store_error_t *err)
{
	struct sq_path path;
	struct pnode *cur = root;
	size_t i;
	bool ok = false;

	path_init(&path, dotted);
	for (i = 0; i < path.n; i++) {
		struct pnode *next = pnode_child(cur, path.comp[i]);
		if (!*path.comp[i] || path.comp[i][0] == '$') {
			store_error_set(err, path.comp[i][0] == '$' ? STORE_ERR_UNSUPPORTED
								  : STORE_ERR_BAD_VALUE,
					"projection path '%s' is not supported by the store", dotted);
			goto done;
		}
		if (next && (next->leaf || i + 1 == path.n)) {
			store_error_set(err, STORE_ERR_BAD_VALUE, "Path collision at %s", dotted);
			goto done;
		}
		if (!next) {
			next = bson_malloc0(sizeof *next);
			next->name = bson_strdup(path.comp[i]);
			cur->kids = bson_realloc(cur->kids, (cur->n + 1) * sizeof *cur->kids);
			cur->kids[cur->n++] = next;
		}
		cur = next;
	}
	cur->leaf = true;
	ok = true;
done:
	path_free(&path);
	return ok;
}

squery_projection_t *squery_projection_new(const bson_t *proj, store_error_t *err)
{
	squery_projection_t *p;
	bson_iter_t it;
	int mode = -1;   /* 1 inclusion, 0 exclusion */

	if (err)
		err->code = STORE_OK;
	if (!proj || bson_empty(proj))
		return NULL;
	p = bson_malloc0(sizeof *p);
	p->id = -1;
	bson_iter_init(&it, proj);
	while (bson_iter_next(&it)) {
		const char *key = bson_iter_key(&it);
		const bson_value_t *v = bson_iter_value(&it);
		int include;

		if (v->value_type == BSON_TYPE_BOOL || v->value_type == BSON_TYPE_INT32 ||
		    v->value_type == BSON_TYPE_INT64 || v->value_type == BSON_TYPE_DOUBLE) {
			include = truthy(v) ? 1 : 0;
		} else {
			store_error_set(err, STORE_ERR_UNSUPPORTED,
					"projection of '%s': only 1/true (include) and 0/false "
					"(exclude) are supported by the store ($slice, $elemMatch, "
					"$meta and expressions are not)", key);
			goto fail;
		}
		if (strcmp(key, "_id") == 0) {
			p->id = include;
			continue;
		}
		if (mode >= 0 && mode != include) {
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"Cannot do %s on field %s in %s projection",
					include ? "inclusion" : "exclusion", key,
					mode ? "inclusion" : "exclusion");
			goto fail;
		}
		mode = include;
		if (!pnode_insert(&p->root, key, err))
			goto fail;
	}
	if (mode < 0)
		mode = p->id == 1 ? 1 : 0;
	p->inclusion = mode == 1;
	return p;
fail:
	squery_projection_destroy(p);
	return NULL;
}

static void project_incl(const struct pnode *node, const uint8_t *data, uint32_t len,
			 bson_t *out, bool top, int id);
static void project_excl(const struct pnode *node, const uint8_t *data, uint32_t len,
			 bson_t *out, bool top, int id);

static void project_array(const struct pnode *node, const uint8_t *data, uint32_t len,
			  bson_t *out, bool inclusion)
{
	bson_iter_t it;
	uint32_t i = 0;

	if (!bson_iter_init_from_data(&it, data, len))
		return;
	while (bson_iter_next(&it)) {
		bson_type_t t = bson_iter_type(&it);
		char buf[16];
		const char *k;
		bson_t child;
		const uint8_t *d;
		uint32_t l;

		bson_uint32_to_string(i, &k, buf, sizeof buf);
		if (t == BSON_TYPE_DOCUMENT) {
			bson_iter_document(&it, &l, &d);
			bson_append_document_begin(out, k, -1, &child);
			if (inclusion)
				project_incl(node, d, l, &child, false, -1);
			else
				project_excl(node, d, l, &child, false, -1);
			bson_append_document_end(out, &child);
		} else if (t == BSON_TYPE_ARRAY) {
			bson_iter_array(&it, &l, &d);
			bson_append_array_begin(out, k, -1, &child);
			project_array(node, d, l, &child, inclusion);
			bson_append_array_end(out, &child);
		} else if (!inclusion) {
			bson_append_iter(out, k, -1, &it);
		} else {
			continue;
		}
		i++;
	}
}

static void project_incl(const struct pnode *node, const uint8_t *data, uint32_t len,
			 bson_t *out, bool top, int id)
{
	bson_iter_t it;

	if (!bson_iter_init_from_data(&it, data, len))
		return;
	while (bson_iter_next(&it)) {
		const char *key = bson_iter_key(&it);
		const struct pnode *c;
		bson_type_t t = bson_iter_type(&it);
		bson_t child;
		const uint8_t *d;
		uint32_t l;

		c = pnode_child(node, key);
		if (top && strcmp(key, "_id") == 0 && (id >= 0 || !c)) {
			/* _id is kept unless excluded explicitly */
			if (id != 0)
				bson_append_iter(out, key, -1, &it);
			continue;
		}
		if (!c)
			continue;
		if (c->leaf) {
			bson_append_iter(out, key, -1, &it);
		} else if (t == BSON_TYPE_DOCUMENT) {
			bson_iter_document(&it, &l, &d);
			bson_append_document_begin(out, key, -1, &child);
			project_incl(c, d, l, &child, false, -1);
			bson_append_document_end(out, &child);
		} else if (t == BSON_TYPE_ARRAY) {
			bson_iter_array(&it, &l, &d);
			bson_append_array_begin(out, key, -1, &child);
			project_array(c, d, l, &child, true);
			bson_append_array_end(out, &child);
		}
	}
}

static void project_excl(const struct pnode *node, const uint8_t *data, uint32_t len,
			 bson_t *out, bool top, int id)
{
	bson_iter_t it;

	if (!bson_iter_init_from_data(&it, data, len))
		return;
	while (bson_iter_next(&it)) {
		const char *key = bson_iter_key(&it);
		const struct pnode *c;
		bson_type_t t = bson_iter_type(&it);
		bson_t child;
		const uint8_t *d;
		uint32_t l;

		if (top && strcmp(key, "_id") == 0 && id == 0)
			continue;
		c = pnode_child(node, key);
		if (!c) {
			bson_append_iter(out, key, -1, &it);
		} else if (c->leaf) {
			continue;
		} else if (t == BSON_TYPE_DOCUMENT) {
			bson_iter_document(&it, &l, &d);
			bson_append_document_begin(out, key, -1, &child);
			project_excl(c, d, l, &child, false, -1);
			bson_append_document_end(out, &child);
		} else if (t == BSON_TYPE_ARRAY) {
			bson_iter_array(&it, &l, &d);
			bson_append_array_begin(out, key, -1, &child);
			project_array(c, d, l, &child, false);
			bson_append_array_end(out, &child);
		} else {
			bson_append_iter(out, key, -1, &it);
		}
	}
}

void squery_project(const squery_projection_t *p, const bson_t *doc, bson_t *out)
{
	if (!p) {
		bson_copy_to(doc, out);
		return;
	}
	bson_init(out);
	if (p->inclusion)
		project_incl(&p->root, bson_get_data(doc), doc->len, out, true, p->id);
	else
		project_excl(&p->root, bson_get_data(doc), doc->len, out, true, p->id);
}

/* ======================================================================
 * 8. sort
 * ====================================================================== */

struct squery_sort {
	size_t n;
	struct sq_path *paths;
	int *dirs;
};

struct squery_sortkey {
	size_t n;
	bson_value_t vals[];
};

void squery_sort_destroy(squery_sort_t *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		path_free(&s->paths[i]);
	bson_free(s->paths);
	bson_free(s->dirs);
	bson_free(s);
}

static bool direction_of(const bson_value_t *v, int *dir)
{
	double d;

	switch (v->value_type) {
	case BSON_TYPE_INT32: d = v->value.v_int32; break;
	case BSON_TYPE_INT64: d = (double) v->value.v_int64; break;
	case BSON_TYPE_DOUBLE: d = v->value.v_double; break;
	default: return false;
	}
	if (d != 1 && d != -1)
		return false;
	*dir = (int) d;
	return true;
}

squery_sort_t *squery_sort_new(const bson_t *sort, store_error_t *err)
{
	squery_sort_t *s;
	bson_iter_t it;

	if (err)
		err->code = STORE_OK;
	if (!sort || bson_empty(sort))
		return NULL;
	s = bson_malloc0(sizeof *s);
	bson_iter_init(&it, sort);
	while (bson_iter_next(&it)) {
		const char *key = bson_iter_key(&it);
		const bson_value_t *v = bson_iter_value(&it);
		int dir;

		if (v->value_type == BSON_TYPE_DOCUMENT) {
			store_error_set(err, STORE_ERR_UNSUPPORTED,
					"sort on '%s': $meta and other sort expressions are not "
					"supported by the store", key);
			goto fail;
		}
		if (!direction_of(v, &dir)) {
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"$sort key ordering must be 1 (for ascending) or -1 (for "
					"descending) (field '%s')", key);
			goto fail;
		}
		if (!*key || key[0] == '$') {
			store_error_set(err, STORE_ERR_BAD_VALUE, "bad sort field name '%s'", key);
			goto fail;
		}
		if (s->n == STORE_MAX_INDEX_KEYS) {
			store_error_set(err, STORE_ERR_BAD_VALUE, "too many sort fields");
			goto fail;
		}
		s->paths = bson_realloc(s->paths, (s->n + 1) * sizeof *s->paths);
		s->dirs = bson_realloc(s->dirs, (s->n + 1) * sizeof *s->dirs);
		path_init(&s->paths[s->n], key);
		s->dirs[s->n] = dir;
		s->n++;
	}
	return s;
fail:
	squery_sort_destroy(s);
	return NULL;
}

size_t squery_sort_nfields(const squery_sort_t *s)
{
	return s ? s->n : 0;
}

const char *squery_sort_field(const squery_sort_t *s, size_t i)
{
	return s->paths[i].dotted;
}

int squery_sort_direction(const squery_sort_t *s, size_t i)
{
	return s->dirs[i];
}

struct sortkey_ctx {
	bson_value_t best;
	bool have;
	int dir;
};

static bool sortkey_fn(void *ctx, const bson_value_t *v, enum walk_yield kind)
{
	struct sortkey_ctx *sc = ctx;
	const bson_value_t *cand = kind == Y_MISSING ? &null_value
				   : kind == Y_EMPTY_ARRAY ? &undefined_value : v;

	if (!sc->have || squery_compare(cand, &sc->best) * sc->dir < 0) {
		sc->best = *cand;
		sc->have = true;
	}
	return false;
}

squery_sortkey_t *squery_sortkey_new(const squery_sort_t *s, const bson_t *doc)
{
	squery_sortkey_t *k = bson_malloc0(sizeof *k + s->n * sizeof k->vals[0]);
	size_t i;

	k->n = s->n;
	for (i = 0; i < s->n; i++) {
		struct sortkey_ctx sc = { .dir = s->dirs[i] };
		walk_path(&s->paths[i], bson_get_data(doc), doc->len, WALK_OMIT, sortkey_fn,
			  &sc, NULL);
		k->vals[i] = sc.have ? sc.best : null_value;
	}
	return k;
}

void squery_sortkey_destroy(squery_sortkey_t *k)
{
	bson_free(k);
}

int squery_sortkey_compare(const squery_sort_t *s, const squery_sortkey_t *a,
			   const squery_sortkey_t *b)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		int c = squery_compare(&a->vals[i], &b->vals[i]);
		if (c)
			return c * s->dirs[i];
	}
	return 0;
}

/* ======================================================================
 * 9. key encoding
 * ====================================================================== */

static uint8_t bracket_byte(bson_type_t t)
{
	return (uint8_t) (0x10 + squery_type_rank(t) * 8);
}

static void put_be(squery_buf_t *b, uint64_t v, int bytes)
{
	uint8_t tmp[8];
	int i;

	for (i = 0; i < bytes; i++)
		tmp[i] = (uint8_t) (v >> (8 * (bytes - 1 - i)));
	squery_buf_append(b, tmp, (size_t) bytes);
}

/* Bytes with 0x00 escaped as 00 FF, terminated by 00 00. */
static void put_escaped(squery_buf_t *b, const char *s, size_t len)
{
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\0') {
			squery_buf_append(b, s + run, i - run);
			buf_byte(b, 0x00);
			buf_byte(b, 0xff);
			run = i + 1;
		}
	}
	squery_buf_append(b, s + run, len - run);
	buf_byte(b, 0x00);
	buf_byte(b, 0x00);
}

static void key_body(squery_buf_t *b, const bson_value_t *v);

/* Elements in order: type bracket, (documents: escaped name,) value body;
 * 0x00 ends the list (below every bracket: shorter sorts first). */
static void key_doc_body(squery_buf_t *b, const uint8_t *data, uint32_t len, bool array)
{
	bson_iter_t it;

	if (bson_iter_init_from_data(&it, data, len)) {
		while (bson_iter_next(&it)) {
			const bson_value_t *v = bson_iter_value(&it);
			buf_byte(b, bracket_byte(v->value_type));
			if (!array) {
				const char *k = bson_iter_key(&it);
				put_escaped(b, k, strlen(k));
			}
			key_body(b, v);
		}
	}
	buf_byte(b, 0x00);
}

static void key_number(squery_buf_t *b, const bson_value_t *v)
{
	struct sq_num n;
	size_t start;

	num_decode(v, &n);
	buf_byte(b, (uint8_t) (n.cls + 1));
	if (n.cls != NUM_NEG && n.cls != NUM_POS)
		return;
	start = b->len;
	put_be(b, (uint32_t) ((int64_t) n.e + 0x80000000LL), 4);
	put_be(b, n.m, 8);
	if (!n.inexact) {
		buf_byte(b, 0x01);
	} else {
		buf_byte(b, 0x02);
		put_be(b, (uint16_t) (n.dadj + 0x8000), 2);
		put_be(b, (uint64_t) (n.dc >> 64), 8);
		put_be(b, (uint64_t) n.dc, 8);
	}
	if (n.cls == NUM_NEG) {
		size_t i;
		for (i = start; i < b->len; i++)
			b->data[i] = (uint8_t) ~b->data[i];
	}
}

/* The value after its bracket byte. */
static void key_body(squery_buf_t *b, const bson_value_t *v)
{
	switch (v->value_type) {
	case BSON_TYPE_DOUBLE:
	case BSON_TYPE_INT32:
	case BSON_TYPE_INT64:
	case BSON_TYPE_DECIMAL128:
		key_number(b, v);
		break;
	case BSON_TYPE_UTF8:
	case BSON_TYPE_SYMBOL: {
		const char *s;
		size_t len;
		string_of(v, &s, &len);
		put_escaped(b, s, len);
		break;
	}
	case BSON_TYPE_DOCUMENT:
	case BSON_TYPE_ARRAY:
		key_doc_body(b, v->value.v_doc.data, v->value.v_doc.data_len,
			     v->value_type == BSON_TYPE_ARRAY);
		break;
	case BSON_TYPE_BINARY:
		put_be(b, v->value.v_binary.data_len, 4);
		buf_byte(b, (uint8_t) v->value.v_binary.subtype);
		squery_buf_append(b, v->value.v_binary.data, v->value.v_binary.data_len);
		break;
	case BSON_TYPE_OID:
		squery_buf_append(b, v->value.v_oid.bytes, 12);
		break;
	case BSON_TYPE_BOOL:
		buf_byte(b, v->value.v_bool ? 1 : 0);
		break;
	case BSON_TYPE_DATE_TIME:
		put_be(b, (uint64_t) v->value.v_datetime ^ (1ULL << 63), 8);
		break;
	case BSON_TYPE_TIMESTAMP:
		put_be(b, v->value.v_timestamp.timestamp, 4);
		put_be(b, v->value.v_timestamp.increment, 4);
		break;
	case BSON_TYPE_REGEX:
		put_escaped(b, v->value.v_regex.regex, strlen(v->value.v_regex.regex));
		put_escaped(b, v->value.v_regex.options, strlen(v->value.v_regex.options));
		break;
	case BSON_TYPE_DBPOINTER:
		put_be(b, v->value.v_dbpointer.collection_len, 4);
		squery_buf_append(b, v->value.v_dbpointer.collection,
				  v->value.v_dbpointer.collection_len);
		squery_buf_append(b, v->value.v_dbpointer.oid.bytes, 12);
		break;
	case BSON_TYPE_CODE:
		put_escaped(b, v->value.v_code.code, v->value.v_code.code_len);
		break;
	case BSON_TYPE_CODEWSCOPE:
		put_escaped(b, v->value.v_codewscope.code, v->value.v_codewscope.code_len);
		key_doc_body(b, v->value.v_codewscope.scope_data,
			     v->value.v_codewscope.scope_len, false);
		break;
	default:
		break;  /* MinKey, MaxKey, null, undefined: the bracket alone */
	}
}

void squery_key_append(squery_buf_t *b, const bson_value_t *v, bool descending)
{
	size_t start = b->len, i;

	if (!v)
		v = &null_value;
	buf_byte(b, bracket_byte(v->value_type));
	key_body(b, v);
	if (descending)
		for (i = start; i < b->len; i++)
			b->data[i] = (uint8_t) ~b->data[i];
}

void squery_key_successor(const uint8_t *prefix, size_t len, squery_buf_t *out)
{
	out->len = 0;
	while (len > 0 && prefix[len - 1] == 0xff)
		len--;
	if (len == 0)
		return;
	squery_buf_append(out, prefix, len);
	out->data[len - 1]++;
}

static void interval_add(squery_interval_t **iv, size_t *n, const bson_value_t *lo,
			 bson_type_t lo_bracket, const bson_value_t *hi, bson_type_t hi_bracket)
{
	squery_interval_t *x;

	*iv = bson_realloc(*iv, (*n + 1) * sizeof **iv);
	x = &(*iv)[(*n)++];
	memset(x, 0, sizeof *x);
	if (lo)
		squery_key_append(&x->lo, lo, false);
	else
		buf_byte(&x->lo, bracket_byte(lo_bracket));
	if (hi)
		squery_key_append(&x->hi, hi, false);
	else
		buf_byte(&x->hi, bracket_byte(hi_bracket));
}

static void eq_intervals(const bson_value_t *v, squery_interval_t **iv, size_t *n)
{
	if (v->value_type == BSON_TYPE_NULL) {
		interval_add(iv, n, NULL, BSON_TYPE_UNDEFINED, NULL, BSON_TYPE_NULL);
	} else if (v->value_type == BSON_TYPE_ARRAY) {
		bson_iter_t it;
		interval_add(iv, n, v, 0, v, 0);
		bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len);
		if (bson_iter_next(&it)) {
			const bson_value_t *first = bson_iter_value(&it);
			interval_add(iv, n, first, 0, first, 0);
		} else {
			interval_add(iv, n, NULL, BSON_TYPE_UNDEFINED, NULL, BSON_TYPE_UNDEFINED);
		}
	} else {
		interval_add(iv, n, v, 0, v, 0);
	}
}

void squery_intervals_free(squery_interval_t *iv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		squery_buf_free(&iv[i].lo);
		squery_buf_free(&iv[i].hi);
	}
	bson_free(iv);
}

bool squery_intervals(squery_op_t op, const bson_value_t *operand,
		      squery_interval_t **out, size_t *n)
{
	bson_type_t t = operand->value_type;

	*out = NULL;
	*n = 0;
	switch (op) {
	case SQUERY_EQ:
		eq_intervals(operand, out, n);
		return true;
	case SQUERY_IN: {
		bson_iter_t it;
		if (t != BSON_TYPE_ARRAY)
			return false;
		bson_iter_init_from_data(&it, operand->value.v_doc.data,
					 operand->value.v_doc.data_len);
		while (bson_iter_next(&it))
			eq_intervals(bson_iter_value(&it), out, n);
		return true;
	}
	case SQUERY_GT:
	case SQUERY_GTE:
	case SQUERY_LT:
	case SQUERY_LTE:
		if (t == BSON_TYPE_MINKEY || t == BSON_TYPE_MAXKEY || t == BSON_TYPE_ARRAY)
			return false;
		if (t == BSON_TYPE_NULL) {
			if (op == SQUERY_GTE || op == SQUERY_LTE)
				eq_intervals(operand, out, n);
			return true;
		}
		if (op == SQUERY_GT || op == SQUERY_GTE)
			interval_add(out, n, operand, 0, NULL, t);
		else
			interval_add(out, n, NULL, t, operand, 0);
		(*out)[0].lo_excl = op == SQUERY_GT;
		(*out)[0].hi_excl = op == SQUERY_LT;
		return true;
	default:
		return false;
	}
}

/* ---- index keys ------------------------------------------------------------ */

/* A key pattern is a sort specification ({field: 1 | -1}) used for keys. */
struct squery_keypattern {
	squery_sort_t *s;
};

void squery_keypattern_destroy(squery_keypattern_t *kp)
{
	if (!kp)
		return;
	squery_sort_destroy(kp->s);
	bson_free(kp);
}

squery_keypattern_t *squery_keypattern_new(const bson_t *keys, store_error_t *err)
{
	squery_keypattern_t *kp;
	bson_iter_t it;
	size_t i, j;

	if (!keys || bson_empty(keys)) {
		store_error_set(err, STORE_ERR_BAD_VALUE, "Index keys cannot be empty.");
		return NULL;
	}
	bson_iter_init(&it, keys);
	while (bson_iter_next(&it)) {
		int dir;
		if (bson_iter_type(&it) == BSON_TYPE_UTF8) {
			store_error_set(err, STORE_ERR_UNSUPPORTED,
					"index type '%s' (field '%s') is not supported by the store",
					bson_iter_utf8(&it, NULL), bson_iter_key(&it));
			return NULL;
		}
		if (!direction_of(bson_iter_value(&it), &dir)) {
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"index key '%s' must be 1 or -1", bson_iter_key(&it));
			return NULL;
		}
	}
	kp = bson_malloc0(sizeof *kp);
	kp->s = squery_sort_new(keys, err);
	if (!kp->s)
		goto fail;
	for (i = 0; i < kp->s->n; i++) {
		const struct sq_path *p = &kp->s->paths[i];
		for (j = 0; j < p->n; j++) {
			if (!*p->comp[j]) {
				store_error_set(err, STORE_ERR_BAD_VALUE,
						"index key '%s' has an empty field name", p->dotted);
				goto fail;
			}
		}
		for (j = 0; j < i; j++) {
			if (strcmp(p->dotted, kp->s->paths[j].dotted) == 0) {
				store_error_set(err, STORE_ERR_BAD_VALUE,
						"index key '%s' appears twice", p->dotted);
				goto fail;
			}
		}
	}
	return kp;
fail:
	squery_keypattern_destroy(kp);
	return NULL;
}

size_t squery_keypattern_nfields(const squery_keypattern_t *kp)
{
	return kp->s->n;
}

const char *squery_keypattern_field(const squery_keypattern_t *kp, size_t i)
{
	return kp->s->paths[i].dotted;
}

int squery_keypattern_direction(const squery_keypattern_t *kp, size_t i)
{
	return kp->s->dirs[i];
}

struct keyvals {
	squery_buf_t *enc;     /* one encoding per value */
	bson_value_t *vals;    /* the values (shallow, into the document) */
	size_t n;
	bool desc;
};

static bool keyvals_fn(void *ctx, const bson_value_t *v, enum walk_yield kind)
{
	struct keyvals *kv = ctx;
	const bson_value_t *val = kind == Y_MISSING ? &null_value
				  : kind == Y_EMPTY_ARRAY ? &undefined_value : v;

	kv->enc = bson_realloc(kv->enc, (kv->n + 1) * sizeof *kv->enc);
	kv->vals = bson_realloc(kv->vals, (kv->n + 1) * sizeof *kv->vals);
	memset(&kv->enc[kv->n], 0, sizeof kv->enc[0]);
	squery_key_append(&kv->enc[kv->n], val, kv->desc);
	kv->vals[kv->n] = *val;
	kv->n++;
	return false;
}

static void keyvals_free(struct keyvals *kv)
{
	size_t i;

	for (i = 0; i < kv->n; i++)
		squery_buf_free(&kv->enc[i]);
	bson_free(kv->enc);
	bson_free(kv->vals);
	memset(kv, 0, sizeof *kv);
}

static void keyvals_collect(const squery_keypattern_t *kp, size_t i, const bson_t *doc,
			    struct keyvals *kv, int *first_array)
{
	memset(kv, 0, sizeof *kv);
	kv->desc = kp->s->dirs[i] < 0;
	walk_path(&kp->s->paths[i], bson_get_data(doc), doc->len, WALK_OMIT, keyvals_fn, kv,
		  first_array);
	if (kv->n == 0)
		keyvals_fn(kv, NULL, Y_MISSING);
}

static int buf_cmp(const void *a, const void *b)
{
	const squery_buf_t *x = a, *y = b;
	return bytes_cmp(x->data, x->len, y->data, y->len);
}

void squery_keyset_free(squery_keyset_t *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		squery_buf_free(&ks->keys[i]);
	bson_free(ks->keys);
	memset(ks, 0, sizeof *ks);
}

#define SQUERY_MAX_KEYS_PER_DOC 1000000

/* True when paths a and b agree on components 0..upto. */
static bool same_prefix(const struct sq_path *a, const struct sq_path *b, size_t upto)
{
	size_t c;

	if (a->n <= upto || b->n <= upto)
		return false;
	for (c = 0; c <= upto; c++)
		if (strcmp(a->comp[c], b->comp[c]) != 0)
			return false;
	return true;
}

bool squery_index_keys(const squery_keypattern_t *kp, const bson_t *doc,
		       squery_keyset_t *out, store_error_t *err)
{
	size_t nf = kp->s->n;
	struct keyvals *kv = bson_malloc0(nf * sizeof *kv);
	int array_field = -1;
	size_t i, j, total = 1, k, w;
	bool ok = false;

	memset(out, 0, sizeof *out);
	for (i = 0; i < nf; i++) {
		int fa;
		keyvals_collect(kp, i, doc, &kv[i], &fa);
		if (fa >= 0) {
			/* Several fields may traverse the same array ("a.b", "a.c"),
			 * not different ones (MongoDB: "cannot index parallel arrays"). */
			out->multikey = true;
			if (array_field < 0) {
				array_field = (int) i;
			} else if (!same_prefix(&kp->s->paths[i], &kp->s->paths[array_field],
						(size_t) fa)) {
				store_error_set(err, STORE_ERR_BAD_VALUE,
						"cannot index parallel arrays [%s] [%s]",
						kp->s->paths[i].dotted,
						kp->s->paths[array_field].dotted);
				goto done;
			}
		}
		total *= kv[i].n;
		if (total > SQUERY_MAX_KEYS_PER_DOC) {
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"a document would produce more than %d index keys",
					SQUERY_MAX_KEYS_PER_DOC);
			goto done;
		}
	}
	/* The cross product, field 0 varying slowest. */
	out->keys = bson_malloc0(total * sizeof *out->keys);
	out->n = total;
	for (k = 0; k < total; k++) {
		size_t stride = total;
		for (i = 0; i < nf; i++) {
			const squery_buf_t *e;
			stride /= kv[i].n;
			e = &kv[i].enc[(k / stride) % kv[i].n];
			squery_buf_append(&out->keys[k], e->data, e->len);
		}
	}
	qsort(out->keys, out->n, sizeof *out->keys, buf_cmp);
	for (k = 0, w = 0; k < out->n; k++) {
		if (w > 0 && buf_cmp(&out->keys[w - 1], &out->keys[k]) == 0) {
			squery_buf_free(&out->keys[k]);
			continue;
		}
		out->keys[w++] = out->keys[k];
	}
	out->n = w;
	ok = true;
done:
	for (j = 0; j < nf; j++)
		keyvals_free(&kv[j]);
	bson_free(kv);
	if (!ok)
		squery_keyset_free(out);
	return ok;
}

void squery_index_key_values(const squery_keypattern_t *kp, const bson_t *doc,
			     const uint8_t *key, size_t keylen, bson_t *out)
{
	size_t i, off = 0, j;

	bson_init(out);
	for (i = 0; i < kp->s->n; i++) {
		struct keyvals kv;
		const bson_value_t *found = &null_value;

		keyvals_collect(kp, i, doc, &kv, NULL);
		for (j = 0; j < kv.n; j++) {
			if (off + kv.enc[j].len <= keylen &&
			    memcmp(key + off, kv.enc[j].data, kv.enc[j].len) == 0) {
				found = &kv.vals[j];
				off += kv.enc[j].len;
				break;
			}
		}
		bson_append_value(out, kp->s->paths[i].dotted, -1, found);
		keyvals_free(&kv);
	}
}

struct earliest_ctx {
	int64_t ms;
	bool have;
};

static bool earliest_fn(void *ctx, const bson_value_t *v, enum walk_yield kind)
{
	struct earliest_ctx *ec = ctx;

	if (kind == Y_VALUE && v->value_type == BSON_TYPE_DATE_TIME &&
	    (!ec->have || v->value.v_datetime < ec->ms)) {
		ec->ms = v->value.v_datetime;
		ec->have = true;
	}
	return false;
}

bool squery_earliest_date(const bson_t *doc, const char *path, int64_t *ms)
{
	struct sq_path p;
	struct earliest_ctx ec = { 0 };

	path_init(&p, path);
	walk_path(&p, bson_get_data(doc), doc->len, WALK_OMIT, earliest_fn, &ec, NULL);
	path_free(&p);
	if (ec.have)
		*ms = ec.ms;
	return ec.have;
}
