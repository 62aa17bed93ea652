/*
 * image.c — one field of an article or an event set to an uploaded
 * image's address (image.h).
 */
#include "content/image.h"

bool content_set_image(store_t *st, int64_t now, const char *coll, const char *field, const bson_oid_t *id,
		       const char *url, bson_t *before, bson_t *after, struct err *e)
{
	bson_t f = BSON_INITIALIZER, upd = BSON_INITIALIZER, set;
	store_error_t se = { 0 };
	store_fam_opts_t o = { 0 };
	bool found = false, ok;

	BSON_APPEND_OID(&f, "_id", id);
	BSON_APPEND_DOCUMENT_BEGIN(&upd, "$set", &set);
	BSON_APPEND_UTF8(&set, field, url);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	bson_append_document_end(&upd, &set);
	ok = store_find_one_and_update(st, coll, &f, &upd, &o, before, &found, &se);
	if (!ok) {
		bson_destroy(&f);
		bson_destroy(&upd);
		return store_fail(e, "image", &se);
	}
	if (!found) {
		bson_destroy(before);
		bson_destroy(&f);
		bson_destroy(&upd);
		return err_set(e, 404, "not_found", NULL, "Ce document n’existe pas.");
	}
	ok = store_find_one(st, coll, &f, NULL, after, &found, &se);
	bson_destroy(&f);
	bson_destroy(&upd);
	if (!ok) {
		bson_destroy(before);
		return store_fail(e, "image", &se);
	}
	return true;
}
