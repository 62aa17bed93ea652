/*
 * multipart/form-data (web/multipart.h): a browser's form read right,
 * and hostile bodies refused with a 400 — a missing final boundary, the
 * boundary inside the data, huge part headers, LF instead of CRLF, too
 * many parts, a part without a name — without reading past the body.
 */
#include "web/multipart.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#define CT "multipart/form-data; boundary=----WebKitFormBoundaryX3"
#define B  "----WebKitFormBoundaryX3"

/* Parses `s` from a heap copy of its exact length (ASan sees any read
 * past the end). */
static bool parse(const char *ct, const char *s, size_t len, struct multipart *mp, struct err *e)
{
	char *copy = malloc(len ? len : 1);
	bool r;

	memcpy(copy, s, len);
	memset(e, 0, sizeof *e);
	r = multipart_parse(ct, copy, len, mp, e);
	/* the data points into the body: checked before it goes */
	if (r)
		for (size_t i = 0; i < mp->n; i++)
			ok(mp->parts[i].data >= (unsigned char *)copy &&
			   mp->parts[i].data + mp->parts[i].len <= (unsigned char *)copy + len,
			   "part %zu lies inside the body", i);
	free(copy);
	return r;
}

static void refused(const char *ct, const char *s, size_t len, int status, const char *why)
{
	struct multipart mp;
	struct err e;

	ok(!parse(ct, s, len, &mp, &e) && e.status == status && mp.n == 0, "refused (%d): %s", status, why);
	if (e.status != status)
		diag("got status %d: %s", e.status, e.message);
}

#define REFUSED(ct, lit, why) refused(ct, lit, sizeof lit - 1, 400, why)

static void test_browser_form(void)
{
	static const char body[] =
		"--" B "\r\n"
		"Content-Disposition: form-data; name=\"image\"; filename=\"photo café.png\"\r\n"
		"Content-Type: image/png\r\n"
		"\r\n"
		"\x89PNG\r\n\x1a\n\0\r\n--" "----WebKitFormBoundaryX" "\r\n"   /* a near-boundary in the data */
		"\r\n--" B "\r\n"
		"Content-Disposition: form-data; name=\"note\"\r\n"
		"\r\n"
		"\r\n--" B "\r\n"
		"content-disposition: FORM-DATA; name=empty; filename=\"\"\r\n"
		"Content-Type: application/octet-stream\r\n"
		"\r\n"
		"\r\n--" B "--\r\n";
	struct multipart mp;
	struct err e;
	const struct multipart_part *p;

	ok(parse(CT, body, sizeof body - 1, &mp, &e), "a browser's form parses");
	is_int((int)mp.n, 3, "three parts");
	p = multipart_get(&mp, "image");
	ok(p && p->has_filename, "the file part has its filename");
	is_str(p ? p->filename : "", "photo café.png", "filename as sent");
	is_str(p ? p->type : "", "image/png", "its Content-Type");
	is_int((int)(p ? p->len : 0), 8 + 1 + 4 + 23 + 2, "its data, NUL and near-boundary included, up to the CRLF before the delimiter");
	p = multipart_get(&mp, "note");
	ok(p && !p->has_filename && p->len == 0 && !p->type[0], "an empty field: no filename, no data, no type");
	p = multipart_get(&mp, "empty");
	ok(p && p->has_filename && !p->filename[0] && p->len == 0, "an unchosen file: empty filename and data (token name, any case)");
	ok(!multipart_get(&mp, "other"), "an absent name: NULL");

	ok(parse("Multipart/Form-Data ; boundary=\"" "----WebKitFormBoundaryX3" "\"", body, sizeof body - 1, &mp, &e),
	   "the type in any case, the boundary quoted");
	ok(parse(CT, "--" B "--", sizeof B + 3, &mp, &e) && mp.n == 0, "a form without fields: zero parts");
	ok(parse(CT, body, sizeof body - 3, &mp, &e), "no CRLF after the close delimiter");
}

static void test_hostile(void)
{
	char *big;
	size_t n;

	refused("application/x-www-form-urlencoded", "a=b", 3, 415, "not multipart/form-data");
	refused(NULL, "a=b", 3, 415, "no Content-Type");
	refused("multipart/form-datax; boundary=a", "--a--", 5, 415, "a longer type name");
	REFUSED("multipart/form-data", "--a--", "no boundary parameter");
	REFUSED("multipart/form-data; boundary=", "----", "an empty boundary");
	REFUSED("multipart/form-data; boundary=a; boundary=b", "--a--", "two boundaries");
	REFUSED("multipart/form-data; boundary=\"a b \"", "--a b --", "a boundary ending in a space");
	REFUSED("multipart/form-data; boundary=a\x01", "--a\x01--", "a control byte in the boundary");
	REFUSED("multipart/form-data; boundary=" "12345678901234567890123456789012345678901234567890123456789012345678901",
		"--x--", "a boundary of 71 characters");
	REFUSED("multipart/form-data; boundary=\"abc", "--abc--", "an unterminated quoted boundary");
	refused(CT, "", 0, 400, "an empty body");
	REFUSED(CT, "preamble\r\n--" B "--", "a preamble before the first delimiter");
	REFUSED(CT, "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue",
		"a missing final boundary");
	REFUSED(CT, "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n--" B,
		"a last delimiter that neither closes nor opens a part");
	REFUSED(CT, "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--" B "tail\r\n--" B "--",
		"the boundary inside the data, followed by other bytes");
	REFUSED(CT, "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--" B "--\r\nepilogue",
		"bytes after the close delimiter");
	REFUSED(CT, "--" B "\nContent-Disposition: form-data; name=\"a\"\n\nx\n--" B "--",
		"LF instead of CRLF");
	REFUSED(CT, "--" B "\r\nContent-Disposition: form-data; name=\"a\"\n\r\nx\r\n--" B "--",
		"a bare LF inside a header line");
	REFUSED(CT, "--" B "\r\nContent-Disposition: form-data; name=\"a\"",
		"headers without an end");
	REFUSED(CT, "--" B "\r\n\r\nx\r\n--" B "--", "an empty part: no Content-Disposition");
	REFUSED(CT, "--" B "\r\nContent-Disposition: form-data\r\n\r\nx\r\n--" B "--", "a part without a name");
	REFUSED(CT, "--" B "\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nx\r\n--" B "--", "an empty name");
	REFUSED(CT, "--" B "\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--" B "--", "not form-data");
	REFUSED(CT, "--" B "\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--" B "--", "an unterminated quoted name");
	REFUSED(CT, "--" B "\r\nContent-Disposition: form-data; name=\"a\"; name=\"b\"\r\n\r\nx\r\n--" B "--", "two names");
	REFUSED(CT, "--" B "\r\nContent-Disposition: form-data; name=\"a\0b\"\r\n\r\nx\r\n--" B "--", "a NUL in a name");
	REFUSED(CT, "--" B "\r\nX-No-Colon\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--" B "--", "a header line without a colon");
	REFUSED(CT, "--" B "\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n\r\nx\r\n--" B "--",
		"two Content-Disposition");

	/* part headers over the limit */
	big = malloc(4 * MULTIPART_MAX_HEADER);
	n = (size_t)sprintf(big, "--" B "\r\nContent-Disposition: form-data; name=a\r\nX-Pad: ");
	memset(big + n, 'p', 2 * MULTIPART_MAX_HEADER);
	n += 2 * MULTIPART_MAX_HEADER;
	n += (size_t)sprintf(big + n, "\r\n\r\nx\r\n--" B "--");
	refused(CT, big, n, 400, "part headers of 2 KiB");
	/* a header line with no end at all, as long as the limit */
	n = (size_t)sprintf(big, "--" B "\r\nContent-Disposition: form-data; name=a");
	memset(big + n, ' ', MULTIPART_MAX_HEADER);
	n += MULTIPART_MAX_HEADER;
	refused(CT, big, n, 400, "a header line longer than the limit, without CRLF");
	free(big);

	/* one part more than the limit */
	{
		struct buf_ { char d[8192]; size_t n; } b = { .n = 0 };
		struct multipart mp;
		struct err e;
		for (int i = 0; i <= MULTIPART_MAX_PARTS; i++)
			b.n += (size_t)sprintf(b.d + b.n, "--" B "\r\nContent-Disposition: form-data; name=f%d\r\n\r\nv\r\n", i);
		b.n += (size_t)sprintf(b.d + b.n, "--" B "--");
		refused(CT, b.d, b.n, 400, "17 parts");
		/* the same with 16: accepted (the limit itself) */
		b.n = 0;
		for (int i = 0; i < MULTIPART_MAX_PARTS; i++)
			b.n += (size_t)sprintf(b.d + b.n, "%s--" B "\r\nContent-Disposition: form-data; name=f%d\r\n\r\nv",
					       i ? "\r\n" : "", i);
		b.n += (size_t)sprintf(b.d + b.n, "\r\n--" B "--");
		ok(parse(CT, b.d, b.n, &mp, &e) && mp.n == MULTIPART_MAX_PARTS, "16 parts are accepted");
	}
}

int main(void)
{
	test_browser_form();
	test_hostile();
	return tap_done();
}
