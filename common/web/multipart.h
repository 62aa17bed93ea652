/*
 * multipart.h — a small, strict reader of multipart/form-data bodies
 * (RFC 7578 over RFC 2046's framing): the plain HTML forms that send a
 * file (the back office's no-script image upload).
 *
 * Strict: the boundary comes from the Content-Type (1 to 70 characters of
 * RFC 2046's bchars, quoted or not); the body starts with the first
 * delimiter (no preamble), every line of the framing ends with CRLF, each
 * part has a Content-Disposition "form-data" with a name (and maybe a
 * filename) and maybe a Content-Type; the body ends with the close
 * delimiter, then nothing or one CRLF. A delimiter followed by anything
 * but CRLF or "--" (the boundary inside the data) is refused, so is a
 * missing close delimiter, a part without a name, a header line without a
 * colon, a NUL or a control byte in a header, more than MULTIPART_MAX_PARTS
 * parts, or part headers longer than MULTIPART_MAX_HEADER bytes. The size
 * of the whole is the request body's limit (cfg->max_body).
 *
 * Memory: nothing is allocated. The names are copied into the fixed fields
 * of struct multipart; a part's data points into the body given to
 * multipart_parse(), which must outlive the result.
 */
#ifndef CWC_MULTIPART_H
#define CWC_MULTIPART_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>

#define MULTIPART_MAX_PARTS 16
#define MULTIPART_MAX_HEADER 1024   /* the header lines of one part, in bytes */
#define MULTIPART_MAX_BOUNDARY 70

struct multipart_part {
	char name[128];
	char filename[256];          /* "" when none */
	bool has_filename;           /* a filename parameter was sent (maybe empty) */
	char type[128];              /* the part's Content-Type, "" when none */
	const unsigned char *data;   /* into the body */
	size_t len;
};

struct multipart {
	struct multipart_part parts[MULTIPART_MAX_PARTS];
	size_t n;
	char boundary[MULTIPART_MAX_BOUNDARY + 1];   /* from the Content-Type */
};

/* Parses `body` (`len` bytes) sent with `content_type` into `mp`. False
 * with a 400 `bad_multipart` (415 `unsupported_media_type` when the
 * Content-Type is not multipart/form-data) in `e`. */
bool multipart_parse(const char *content_type, const char *body, size_t len, struct multipart *mp,
		     struct err *e);

/* The first part named `name`, or NULL. */
const struct multipart_part *multipart_get(const struct multipart *mp, const char *name);

#endif
