/*
 * doc.c — see doc.h.
 */
#include "core/doc.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void doc_iso_time(int64_t ms, char *out, size_t outlen)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	long rem = (long)(ms - (int64_t)secs * 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, rem);
}

static json_object *iter_to_json(bson_iter_t *it);

static json_object *container_to_json(bson_iter_t *it, bool array)
{
	bson_iter_t child;
	json_object *o = array ? json_object_new_array() : json_object_new_object();

	if (!bson_iter_recurse(it, &child))
		return o;
	while (bson_iter_next(&child)) {
		json_object *v = iter_to_json(&child);
		if (array)
			json_object_array_add(o, v);
		else
			json_object_object_add(o, bson_iter_key(&child), v);
	}
	return o;
}

static json_object *iter_to_json(bson_iter_t *it)
{
	char buf[40];

	switch (bson_iter_type(it)) {
	case BSON_TYPE_UTF8: {
		uint32_t len;
		const char *s = bson_iter_utf8(it, &len);
		return json_object_new_string_len(s, (int)len);
	}
	case BSON_TYPE_INT32: return json_object_new_int(bson_iter_int32(it));
	case BSON_TYPE_INT64: return json_object_new_int64(bson_iter_int64(it));
	case BSON_TYPE_DOUBLE: return json_object_new_double(bson_iter_double(it));
	case BSON_TYPE_BOOL: return json_object_new_boolean(bson_iter_bool(it));
	case BSON_TYPE_OID:
		bson_oid_to_string(bson_iter_oid(it), buf);
		return json_object_new_string(buf);
	case BSON_TYPE_DATE_TIME:
		doc_iso_time(bson_iter_date_time(it), buf, sizeof buf);
		return json_object_new_string(buf);
	case BSON_TYPE_DOCUMENT: return container_to_json(it, false);
	case BSON_TYPE_ARRAY: return container_to_json(it, true);
	case BSON_TYPE_DECIMAL128: {
		bson_decimal128_t d;
		char s[BSON_DECIMAL128_STRING];
		bson_iter_decimal128(it, &d);
		bson_decimal128_to_string(&d, s);
		return json_object_new_string(s);
	}
	default: return NULL;
	}
}

json_object *doc_to_json(const bson_t *doc)
{
	bson_iter_t it;
	json_object *o = json_object_new_object();

	if (!doc || !bson_iter_init(&it, doc))
		return o;
	while (bson_iter_next(&it)) {
		const char *key = bson_iter_key(&it);
		/* the API calls it `id`, as the original's JSON did (_id too) */
		json_object_object_add(o, key, iter_to_json(&it));
		if (strcmp(key, "_id") == 0 && bson_iter_type(&it) == BSON_TYPE_OID)
			json_object_object_add(o, "id", iter_to_json(&it));
	}
	return o;
}

json_object *doc_value_to_json(const bson_value_t *v)
{
	bson_t tmp = BSON_INITIALIZER;
	bson_iter_t it;
	json_object *o = NULL;

	bson_append_value(&tmp, "v", 1, v);
	if (bson_iter_init_find(&it, &tmp, "v"))
		o = iter_to_json(&it);
	bson_destroy(&tmp);
	return o;
}

static bool find(const bson_t *doc, const char *key, bson_iter_t *it)
{
	bson_iter_t root;

	if (!doc || !bson_iter_init(&root, doc))
		return false;
	if (strchr(key, '.'))
		return bson_iter_find_descendant(&root, key, it);
	*it = root;
	return bson_iter_find(it, key);
}

const char *doc_str(const bson_t *doc, const char *key)
{
	bson_iter_t it;

	return find(doc, key, &it) && BSON_ITER_HOLDS_UTF8(&it)
		? bson_iter_utf8(&it, NULL) : NULL;
}

bool doc_oid(const bson_t *doc, const char *key, bson_oid_t *out)
{
	bson_iter_t it;

	if (!find(doc, key, &it) || !BSON_ITER_HOLDS_OID(&it))
		return false;
	bson_oid_copy(bson_iter_oid(&it), out);
	return true;
}

int64_t doc_int(const bson_t *doc, const char *key, int64_t def)
{
	bson_iter_t it;

	if (!find(doc, key, &it) || !BSON_ITER_HOLDS_NUMBER(&it))
		return def;
	return bson_iter_as_int64(&it);
}

int64_t doc_date(const bson_t *doc, const char *key, int64_t def)
{
	bson_iter_t it;

	return find(doc, key, &it) && BSON_ITER_HOLDS_DATE_TIME(&it)
		? bson_iter_date_time(&it) : def;
}

bool doc_bool(const bson_t *doc, const char *key, bool def)
{
	bson_iter_t it;

	return find(doc, key, &it) && BSON_ITER_HOLDS_BOOL(&it)
		? bson_iter_bool(&it) : def;
}

bool doc_parse_oid(const char *s, bson_oid_t *out)
{
	if (!s || strlen(s) != 24 || !bson_oid_is_valid(s, 24))
		return false;
	bson_oid_init_from_string(out, s);
	return true;
}
