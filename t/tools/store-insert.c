/*
 * store-insert — inserts documents into the store the apps use (their
 * configuration: CWC_DATA_DIR, MONGODB_URI…), for tests that seed
 * volumes no API makes quickly: a month of bookings and payments, a
 * thousand customers. Built with the sanitizers.
 *
 *   store-insert COLL < DOCS
 *       DOCS is one MongoDB extended JSON document per line ({"$date": …},
 *       {"$oid": …}); inserted in batches of 500 (insert_many). Prints
 *       "inserted N"; exit 1 on an error (on stderr).
 */
#include "conn/conn.h"
#include "core/config.h"
#include "core/log.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 500

static bool flush(store_t *st, const char *coll, bson_t **docs, size_t *n, long *total,
		  store_error_t *se)
{
	size_t done = 0;
	bool ok = *n == 0 || store_insert_many(st, coll, (const bson_t *const *)docs, *n, &done, se);

	*total += (long)done;
	for (size_t i = 0; i < *n; i++)
		bson_destroy(docs[i]);
	*n = 0;
	return ok;
}

int main(int argc, char **argv)
{
	bson_t *docs[BATCH];
	size_t n = 0, cap = 0;
	ssize_t len;
	char *line = NULL, err[256];
	bson_error_t be;
	store_error_t se = { 0 };
	store_t *st;
	long total = 0;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: store-insert COLL < DOCS\n");
		return 2;
	}
	if (!cfg_load(err, sizeof err)) {
		fprintf(stderr, "store-insert: %s\n", err);
		return 1;
	}
	log_init("store-insert", cfg->log_level);
	if (!(st = conn_store(&se))) {
		fprintf(stderr, "store-insert: %s\n", se.message);
		goto done;
	}
	while ((len = getline(&line, &cap, stdin)) > 0) {
		if (len <= 1)
			continue;
		if (!(docs[n] = bson_new_from_json((const uint8_t *)line, len, &be))) {
			fprintf(stderr, "store-insert: %s\n", be.message);
			goto done;
		}
		if (++n == BATCH && !flush(st, argv[1], docs, &n, &total, &se)) {
			fprintf(stderr, "store-insert: %s\n", se.message);
			goto done;
		}
	}
	if (!flush(st, argv[1], docs, &n, &total, &se)) {
		fprintf(stderr, "store-insert: %s\n", se.message);
		goto done;
	}
	printf("inserted %ld\n", total);
	rc = 0;
done:
	for (size_t i = 0; i < n; i++)
		bson_destroy(docs[i]);
	free(line);
	conn_close();
	cfg_free();
	return rc;
}
