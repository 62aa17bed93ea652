/*
 * doc.h — documents (bson_t) as the JSON the API answers with, and the
 * small readers every handler needs.
 *
 * The API's JSON form of a stored document: ObjectIds as 24-hex strings,
 * dates as ISO-8601 UTC strings with milliseconds, int64 as numbers,
 * binary and other exotic types as null (the API never needs them).
 */
#ifndef CWC_DOC_H
#define CWC_DOC_H

#include <bson/bson.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

/* A new json_object for `doc` (or for the value `v`). Caller puts it. */
json_object *doc_to_json(const bson_t *doc);
json_object *doc_value_to_json(const bson_value_t *v);

/* "2026-11-25T18:20:56.527Z" for milliseconds since the epoch (out ≥ 32). */
void doc_iso_time(int64_t ms, char *out, size_t outlen);

/* Readers: the member `key` (dotted paths allowed) of `doc`. */
const char *doc_str(const bson_t *doc, const char *key);          /* NULL when not UTF-8 */
bool doc_oid(const bson_t *doc, const char *key, bson_oid_t *out);
int64_t doc_int(const bson_t *doc, const char *key, int64_t def);  /* any number type */
int64_t doc_date(const bson_t *doc, const char *key, int64_t def); /* ms since epoch */
bool doc_bool(const bson_t *doc, const char *key, bool def);

/* Parses a 24-hex ObjectId string; false when it is not one. */
bool doc_parse_oid(const char *s, bson_oid_t *out);

#endif
