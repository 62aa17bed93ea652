/*
 * multipart.c — fuzz target: the multipart/form-data reader of the
 * back office's no-script image upload (common/web/multipart.c).
 *
 * Input: the Content-Type (up to the first LF), then the body.
 * Checks: a parsed body has at most MULTIPART_MAX_PARTS parts, each with
 * a non-empty name, its data inside the body and never holding the
 * delimiter (CRLF "--" boundary); a refused one says 400 or 415 with a
 * message and no parts. ASan sees any read past the body (a heap copy of
 * its exact length).
 */
#include "fuzz.h"
#include "web/multipart.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz", "error");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ctlen = nl ? (size_t)(nl - data) : size;
	size_t blen = nl ? size - ctlen - 1 : 0;
	char *ct = malloc(ctlen + 1), *body = malloc(blen ? blen : 1);
	struct multipart mp;
	struct err e = { 0 };

	memcpy(ct, data, ctlen);
	ct[ctlen] = '\0';
	if (blen)
		memcpy(body, nl + 1, blen);
	if (multipart_parse(ct, body, blen, &mp, &e)) {
		char delim[4 + MULTIPART_MAX_BOUNDARY + 1];
		fuzz_check(mp.n <= MULTIPART_MAX_PARTS, "%zu parts", mp.n);
		size_t bl = strlen(mp.boundary);
		fuzz_check(bl >= 1 && bl <= MULTIPART_MAX_BOUNDARY && strstr(ct, mp.boundary),
			   "boundary \"%s\" is not the Content-Type's", mp.boundary);
		(void)buf_fmt(delim, sizeof delim, "\r\n--%s", mp.boundary);
		for (size_t i = 0; i < mp.n; i++) {
			const struct multipart_part *p = &mp.parts[i];
			fuzz_check(p->name[0], "part %zu has no name", i);
			fuzz_check(p->data >= (const unsigned char *)body &&
				   p->data + p->len <= (const unsigned char *)body + blen,
				   "part %zu lies outside the body", i);
			fuzz_check(!memmem(p->data, p->len, delim, 4 + bl),
				   "part %zu holds the delimiter", i);
			fuzz_check(multipart_get(&mp, p->name) != NULL, "part %zu not found by name", i);
		}
	} else {
		fuzz_check(e.status == 400 || e.status == 415, "refused with %d", e.status);
		fuzz_check(e.message[0] && mp.n == 0, "refused without a message, or with parts");
	}
	free(ct);
	free(body);
	return 0;
}
