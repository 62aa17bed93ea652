/*
 * store-update — changes documents of the store the apps use (their
 * configuration: CWC_DATA_DIR, MONGODB_URI…), for tests that need a state
 * no API makes yet: booking settings, a hold deadline already past.
 * Built with the sanitizers.
 *
 *   store-update [--upsert] COLL FILTER UPDATE
 *       FILTER and UPDATE are MongoDB extended JSON ({"$date": …}); every
 *       matching document is updated (update_many). Prints
 *       "matched N modified N"; exit 1 on an error (on stderr).
 */
#include "conn/conn.h"
#include "core/config.h"
#include "core/log.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	bool upsert = argc > 1 && strcmp(argv[1], "--upsert") == 0;
	bson_t *filter = NULL, *update = NULL;
	bson_error_t be;
	store_error_t se = { 0 };
	store_update_result_t res = { 0 };
	store_t *st;
	char err[256];
	int rc = 1;

	if (upsert) {
		argc--;
		argv++;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: store-update [--upsert] COLL FILTER UPDATE\n");
		return 2;
	}
	if (!cfg_load(err, sizeof err)) {
		fprintf(stderr, "store-update: %s\n", err);
		return 1;
	}
	log_init("store-update", cfg->log_level);
	if (!(filter = bson_new_from_json((const uint8_t *)argv[2], -1, &be)) ||
	    !(update = bson_new_from_json((const uint8_t *)argv[3], -1, &be))) {
		fprintf(stderr, "store-update: %s\n", be.message);
		goto done;
	}
	if (!(st = conn_store(&se)) ||
	    !store_update_many(st, argv[1], filter, update, upsert, &res, &se)) {
		fprintf(stderr, "store-update: %s\n", se.message);
		goto done;
	}
	printf("matched %lld modified %lld\n", (long long)res.matched, (long long)res.modified);
	rc = 0;
done:
	if (res.upserted)
		bson_value_destroy(&res.upserted_id);
	if (filter)
		bson_destroy(filter);
	if (update)
		bson_destroy(update);
	conn_close();
	cfg_free();
	return rc;
}
