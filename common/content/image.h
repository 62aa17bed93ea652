/*
 * image.h — sets the image of one article or event to an uploaded
 * image's address (the back office's no-script upload, content/upload.h
 * stores the file first), touching nothing else of the document.
 */
#ifndef CWC_CONTENT_IMAGE_H
#define CWC_CONTENT_IMAGE_H

#include "core/err.h"
#include "store/store.h"

#include <bson/bson.h>
#include <stdint.h>

/* Sets `field` ("featuredImage" of "articles", "imgSrc" of "events") of
 * the document `id` of `coll` to `url`, and its updatedAt to `now`.
 * `before` and `after` (initialised on success, caller destroys) receive
 * the document around the change. 404 not_found when there is no such
 * document; a store failure through store_fail(). */
bool content_set_image(store_t *st, int64_t now, const char *coll, const char *field, const bson_oid_t *id,
		       const char *url, bson_t *before, bson_t *after, struct err *e);

#endif
