/*
 * testdoc.h — documents for the store tests, written as Extended JSON with
 * single quotes: J("{'a': {'$numberLong': '1'}}"). Every document is kept
 * in a pool and freed by testdoc_free() at the end of the test.
 */
#ifndef CWC_TESTDOC_H
#define CWC_TESTDOC_H

#include <bson/bson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bson_t **testdoc_pool;
static size_t testdoc_n;

static inline bson_t *J(const char *json)
{
	char *text = strdup(json), *p;
	bson_error_t e;
	bson_t *b;

	for (p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	b = bson_new_from_json((const uint8_t *) text, -1, &e);
	if (!b) {
		fprintf(stderr, "bad JSON in test: %s: %s\n", json, e.message);
		exit(2);
	}
	free(text);
	testdoc_pool = realloc(testdoc_pool, (testdoc_n + 1) * sizeof *testdoc_pool);
	testdoc_pool[testdoc_n++] = b;
	return b;
}

static inline void testdoc_free(void)
{
	for (size_t i = 0; i < testdoc_n; i++)
		bson_destroy(testdoc_pool[i]);
	free(testdoc_pool);
	testdoc_pool = NULL;
	testdoc_n = 0;
}

#endif
