/*
 * store_bench — the store under a bookings workload (SPEC §7).
 *
 *   store_bench [URI]        default: an embedded store in a fresh temp dir
 *
 * Fills the collection `bench_bookings` with documents shaped like the
 * application's bookings, in batches of 1000, carrying the bookings
 * indexes of store_indexes.c. At 10k, 100k and 1M documents (capped by
 * CWC_BENCH_DOCS, default 1,000,000) it measures:
 *   - the insert rate since the previous step;
 *   - p50/p99 latency of a lookup by confirmationNumber (unique index);
 *   - p50/p99 of a date range, sorted by date, limit 20 (index on date);
 *   - p50/p99 of a find by _id;
 * and prints each p99 as a ratio to its value at the first step, measured
 * in the same run (flat = the indexes work: the cost does not grow with
 * the collection). CWC_BENCH_SAMPLES sets the queries per measure
 * (default 2000). The collection is dropped at the end.
 */
#include "store/store.h"
#include "store/backend.h"   /* store_uri_redact() */

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH        1000
#define COLL         "bench_bookings"
#define DAY_MS       86400000LL
#define FIRST_DAY_MS 1704067200000LL   /* 2024-01-01 00:00 UTC */
#define DAYS         730

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static int samples = 2000;

/* xorshift64*: reproducible, no global libc state */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

/* "CWC-7K3Q9M": a bijection of the sequence number, so every one differs */
static void confirmation_number(uint64_t seq, char out[16])
{
	static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
	uint64_t x = (seq * 0x5851F42D4C957F2DULL) % 1544804416ULL;   /* 34^6 */
	int i;

	memcpy(out, "CWC-", 4);
	for (i = 9; i >= 4; i--) {
		out[i] = alphabet[x % 34];
		x /= 34;
	}
	out[10] = '\0';
}

static const char *const space_types[] = { "open-space", "salle-verriere", "salle-etage", "evenementiel" };
static const char *const statuses[] = { "pending", "confirmed", "cancelled", "completed" };

static bson_t *booking(uint64_t seq, const bson_oid_t *id, const bson_oid_t *users)
{
	bson_t *b = bson_new(), arr, sv;
	char conf[16], buf[64];
	int day = (int) (rnd() % DAYS), start = 8 + (int) (rnd() % 8), people = 1 + (int) (rnd() % 6);
	double total = 6.0 * (1 + rnd() % 8) * people;
	int64_t created = FIRST_DAY_MS + (int64_t) day * DAY_MS - (int64_t) (rnd() % 30) * DAY_MS;

	confirmation_number(seq, conf);
	BSON_APPEND_OID(b, "_id", id);
	BSON_APPEND_OID(b, "user", &users[rnd() % 5000]);
	BSON_APPEND_UTF8(b, "spaceType", space_types[rnd() % 4]);
	BSON_APPEND_DATE_TIME(b, "date", FIRST_DAY_MS + (int64_t) day * DAY_MS);
	snprintf(buf, sizeof buf, "%02d:00", start);
	BSON_APPEND_UTF8(b, "startTime", buf);
	snprintf(buf, sizeof buf, "%02d:30", start + 2);
	BSON_APPEND_UTF8(b, "endTime", buf);
	BSON_APPEND_INT32(b, "numberOfPeople", people);
	BSON_APPEND_UTF8(b, "reservationType", "hourly");
	BSON_APPEND_UTF8(b, "status", statuses[rnd() % 4]);
	BSON_APPEND_UTF8(b, "paymentStatus", "pending");
	BSON_APPEND_DOUBLE(b, "basePrice", total);
	BSON_APPEND_DOUBLE(b, "servicesPrice", 0);
	BSON_APPEND_DOUBLE(b, "totalPrice", total);
	BSON_APPEND_ARRAY_BEGIN(b, "additionalServices", &arr);
	if (rnd() % 3 == 0) {
		BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &sv);
		BSON_APPEND_UTF8(&sv, "name", "Petit-déjeuner");
		BSON_APPEND_INT32(&sv, "quantity", people);
		BSON_APPEND_DOUBLE(&sv, "unitPrice", 4.0);
		BSON_APPEND_DOUBLE(&sv, "totalPrice", 4.0 * people);
		bson_append_document_end(&arr, &sv);
	}
	bson_append_array_end(b, &arr);
	snprintf(buf, sizeof buf, "Client %" PRIu64, seq);
	BSON_APPEND_UTF8(b, "contactName", buf);
	snprintf(buf, sizeof buf, "client%" PRIu64 "@example.fr", seq);
	BSON_APPEND_UTF8(b, "contactEmail", buf);
	BSON_APPEND_UTF8(b, "contactPhone", "+33 6 12 34 56 78");
	BSON_APPEND_UTF8(b, "confirmationNumber", conf);
	if (seq % 3 == 0) {
		snprintf(buf, sizeof buf, "pi_%016" PRIx64, rnd());
		BSON_APPEND_UTF8(b, "stripePaymentIntentId", buf);
	}
	BSON_APPEND_INT32(b, "depositAmount", (int32_t) (total * 100));
	BSON_APPEND_BOOL(b, "isAdminBooking", false);
	BSON_APPEND_DATE_TIME(b, "createdAt", created);
	BSON_APPEND_DATE_TIME(b, "updatedAt", created);
	return b;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return x < y ? -1 : x > y;
}

struct lat {
	double p50, p99;   /* microseconds */
};

static struct lat percentiles(double *v, size_t n)
{
	struct lat l;

	qsort(v, n, sizeof *v, cmp_double);
	l.p50 = v[n / 2] * 1e6;
	l.p99 = v[(n * 99) / 100] * 1e6;
	return l;
}

/* Runs `filter` (opts) and reads every result; returns the count or -1. */
static int run_query(store_t *st, const bson_t *filter, const store_find_opts_t *o)
{
	store_error_t err;
	store_cursor_t *cur = store_find(st, COLL, filter, o, &err);
	const bson_t *doc;
	int n = 0;

	if (!cur) {
		fprintf(stderr, "store_bench: find: %s\n", err.message);
		return -1;
	}
	while (store_cursor_next(cur, &doc))
		n++;
	if (store_cursor_error(cur, &err)) {
		fprintf(stderr, "store_bench: cursor: %s\n", err.message);
		n = -1;
	}
	store_cursor_destroy(cur);
	return n;
}

static bool measure(store_t *st, const bson_oid_t *ids, uint64_t n, struct lat out[3])
{
	double *t = malloc((size_t) samples * sizeof *t);
	store_find_opts_t one = { .limit = 1 };
	bson_t *sort = BCON_NEW("date", BCON_INT32(1));
	store_find_opts_t page = { .sort = sort, .limit = 20 };
	int i, q;
	bool ok = true;

	for (q = 0; q < 3 && ok; q++) {
		for (i = 0; i < samples && ok; i++) {
			bson_t *filter;
			uint64_t seq = rnd() % n;
			double t0;
			int got, want = 1;

			if (q == 0) {
				char conf[16];
				confirmation_number(seq, conf);
				filter = BCON_NEW("confirmationNumber", BCON_UTF8(conf));
			} else if (q == 1) {
				int64_t day = FIRST_DAY_MS + (int64_t) (rnd() % (DAYS - 30)) * DAY_MS;
				filter = BCON_NEW("date", "{", "$gte", BCON_DATE_TIME(day), "}");
				want = 20;
			} else {
				filter = BCON_NEW("_id", BCON_OID(&ids[seq]));
			}
			t0 = now_s();
			got = run_query(st, filter, q == 1 ? &page : &one);
			t[i] = now_s() - t0;
			bson_destroy(filter);
			if (got != want) {
				fprintf(stderr, "store_bench: query %d found %d, expected %d\n", q, got, want);
				ok = false;
			}
		}
		if (ok)
			out[q] = percentiles(t, (size_t) samples);
	}
	bson_destroy(sort);
	free(t);
	return ok;
}

static bool create_indexes(store_t *st)
{
	/* the bookings indexes of common/store_indexes.c */
	static const struct {
		const char *keys;
		bool unique;
	} ix[] = {
		{ "{\"confirmationNumber\": 1}", true },
		{ "{\"user\": 1, \"date\": 1}", false },
		{ "{\"spaceType\": 1, \"date\": 1, \"status\": 1}", false },
		{ "{\"date\": 1}", false },
		{ "{\"stripePaymentIntentId\": 1}", false },
	};
	size_t i;

	for (i = 0; i < sizeof ix / sizeof ix[0]; i++) {
		bson_error_t jerr;
		store_error_t err;
		bson_t *keys = bson_new_from_json((const uint8_t *) ix[i].keys, -1, &jerr);
		store_index_t spec = { .keys = keys, .unique = ix[i].unique,
				       .expire_after_seconds = -1 };
		bool ok = store_create_index(st, COLL, &spec, &err);
		bson_destroy(keys);
		if (!ok) {
			fprintf(stderr, "store_bench: create index %s: %s\n", ix[i].keys, err.message);
			return false;
		}
	}
	return true;
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[600];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/cwc-store-bench-XXXXXX", path[256];
	const char *uri = argc > 1 ? argv[1] : NULL;
	uint64_t total = 1000000, steps[4] = { 10000, 100000, 1000000, 0 }, done = 0;
	const char *env = getenv("CWC_BENCH_DOCS");
	bson_oid_t *ids = NULL, users[5000];
	struct lat first[3] = { { 0, 0 } };
	store_error_t err;
	store_t *st;
	int s, rc = 1;
	char shown[200];

	if (env && atoll(env) > 0)
		total = (uint64_t) atoll(env);
	env = getenv("CWC_BENCH_SAMPLES");
	if (env && atoi(env) > 0)
		samples = atoi(env);
	if (!uri) {
		if (!mkdtemp(dir)) {
			perror("store_bench: mkdtemp");
			return 1;
		}
		snprintf(path, sizeof path, "%s/bench.sqlite3", dir);
		uri = path;
	}
	st = store_open(uri, &err);
	if (!st) {
		fprintf(stderr, "store_bench: %s\n", err.message);
		goto out;
	}
	store_drop(st, COLL, &err);
	if (!create_indexes(st))
		goto out;
	ids = malloc(total * sizeof *ids);
	for (s = 0; s < 5000; s++)
		bson_oid_init(&users[s], NULL);
	/* steps: 10k, 100k, 1M capped at `total`, and `total` itself */
	for (s = 0; s < 3 && steps[s] < total; s++)
		;
	steps[s] = total;
	steps[s + 1] = 0;

	store_uri_redact(uri, shown, sizeof shown);   /* never print a password */
	printf("store bench: backend %s (%s), %" PRIu64 " bookings, batches of %d, %d samples per query\n\n",
	       store_backend_name(st), shown, total, BATCH, samples);
	printf("%10s %11s | %-24s | %-24s | %-24s\n", "", "", "by confirmationNumber",
	       "date range, limit 20", "by _id");
	printf("%10s %11s | %7s %7s %8s | %7s %7s %8s | %7s %7s %8s\n", "documents", "inserts/s",
	       "p50 us", "p99 us", "p99 x", "p50 us", "p99 us", "p99 x", "p50 us", "p99 us", "p99 x");
	fflush(stdout);

	for (s = 0; steps[s]; s++) {
		double t0 = now_s(), secs;
		struct lat l[3];
		int q;

		while (done < steps[s]) {
			bson_t *docs[BATCH];
			size_t n = steps[s] - done < BATCH ? (size_t) (steps[s] - done) : BATCH, k, inserted;
			bool ok;
			for (k = 0; k < n; k++) {
				bson_oid_init(&ids[done + k], NULL);
				docs[k] = booking(done + k, &ids[done + k], users);
			}
			ok = store_insert_many(st, COLL, (const bson_t *const *) docs, n, &inserted, &err);
			for (k = 0; k < n; k++)
				bson_destroy(docs[k]);
			if (!ok) {
				fprintf(stderr, "store_bench: insert: %s\n", err.message);
				goto out;
			}
			done += n;
		}
		secs = now_s() - t0;
		if (!measure(st, ids, done, l))
			goto out;
		if (s == 0)
			memcpy(first, l, sizeof first);
		printf("%10" PRIu64 " %11.0f |", done, (double) (done - (s ? steps[s - 1] : 0)) / secs);
		for (q = 0; q < 3; q++)
			printf(" %7.0f %7.0f %7.2fx |", l[q].p50, l[q].p99, l[q].p99 / first[q].p99);
		printf("\n");
		fflush(stdout);
	}
	printf("\n(p99 x = p99 at this size / p99 at %" PRIu64 " documents, same run)\n", steps[0]);
	rc = 0;
out:
	if (st) {
		store_drop(st, COLL, &err);
		store_close(st);
	}
	free(ids);
	if (uri == path)
		remove_dir(dir);
	return rc;
}
