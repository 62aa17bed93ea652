/*
 * upload.h — images the staff upload for articles and events (SPEC §8
 * Images): kept under CWC_DATA_DIR/uploads when Cloudinary is not
 * configured, or signed for a direct upload to Cloudinary when it is.
 *
 * Local files: the type is read from the content (magic bytes: JPEG,
 * PNG, WebP only — a PHP file named ".jpg" is refused whatever its name
 * or Content-Type), the image is decoded (libgd), and only re-encoded
 * variants are kept: WebP at UPLOAD_WIDTHS (never wider than the
 * original), named images/<width>x<height>.<hash>.webp — the hash (SHA-256 of the
 * upload) puts them under Caddy's one-year immutable cache of
 * fingerprinted files (etc/caddy/common.caddy) and makes the same upload
 * land on the same files. Nothing of the uploaded bytes is served as is.
 * The size limit is the request's (CWC_MAX_UPLOAD, ROUTE_UPLOAD: 413
 * before we see it).
 *
 * Cloudinary: upload_cloudinary_sign() computes the signature of the
 * upload parameters as Cloudinary documents it (the parameters but file,
 * cloud_name, resource_type and api_key, sorted by name, "k=v" joined by
 * "&", the API secret appended, SHA-1 in hex); the secret never leaves
 * the admin app.
 */
#ifndef CWC_UPLOAD_H
#define CWC_UPLOAD_H

#include "core/err.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UPLOAD_MAX_PIXELS (40 * 1000 * 1000)   /* a decoded image: 40 megapixels at most */
#define UPLOAD_NWIDTHS 3
extern const int UPLOAD_WIDTHS[UPLOAD_NWIDTHS];   /* 480, 960, 1600 */

/* "image/jpeg", "image/png", "image/webp" for what `data` starts with,
 * or NULL. */
const char *upload_sniff(const unsigned char *data, size_t len);

/* Stores the variants of the image `data` under `dir` (the uploads
 * folder; created if needed) and describes them in *out (caller puts):
 * {url (the widest), width, height, srcset "URL 480w, …", variants
 * [{url, width, height}], type (what was uploaded)}, URLs under
 * `url_prefix` ("/uploads"). 415 unsupported_type for anything but
 * JPEG/PNG/WebP, 422 invalid_image when it does not decode or is too
 * large in pixels, 500 when a file cannot be written. */
bool upload_store_local(const char *dir, const char *url_prefix, const unsigned char *data, size_t len,
			json_object **out, struct err *e);

/* How a page shows the image `url` (a stored featuredImage): {src,
 * sizes, srcset, width, height} — for a local upload its variants found
 * under `dir` (the uploads folder), for a Cloudinary one its
 * f_auto,q_auto,w_… sizes; other URLs only {src, sizes}. Caller puts. */
json_object *upload_image_json(const char *dir, const char *url, const char *sizes);

/* The signature (40 hex digits + NUL into `sig`) of the parameters
 * `params` (a JSON object of strings or numbers; file, cloud_name,
 * resource_type and api_key are left out) with `secret`. */
void upload_cloudinary_sign(json_object *params, const char *secret, char sig[41]);

#endif
