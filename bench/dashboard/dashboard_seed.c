/*
 * dashboard_seed — fills the store the apps use (their configuration:
 * CWC_DATA_DIR, MONGODB_URI…) with a busy café's history for
 * bench/dashboard/run: CWC_BENCH_CUSTOMERS customers (default 10 000) and
 * CWC_BENCH_BOOKINGS bookings (default 100 000, about 100 a day ending
 * 30 days ahead: the open-space by the hour, the rooms, a tenth
 * cancelled, a few pending), with a succeeded capture in `payments` for
 * every past booking that was not cancelled, and a refund for one in
 * twenty.
 */
#include "account/account.h"
#include "booking/calendar.h"
#include "conn/conn.h"
#include "core/config.h"
#include "core/log.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 1000
#define PER_DAY 100

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static bool flush(store_t *st, const char *coll, bson_t **docs, size_t *n, store_error_t *se)
{
	bool ok = *n == 0 || store_insert_many(st, coll, (const bson_t *const *)docs, *n, NULL, se);

	for (size_t i = 0; i < *n; i++)
		bson_destroy(docs[i]);
	*n = 0;
	return ok;
}

int main(void)
{
	static const char *const given[] = { "Camille", "Léa", "Hugo", "Louis", "Chloé", "Jules", "Inès", "Arthur" };
	static const char *const family[] = { "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand" };
	long customers = getenv("CWC_BENCH_CUSTOMERS") ? atol(getenv("CWC_BENCH_CUSTOMERS")) : 10000;
	long bookings = getenv("CWC_BENCH_BOOKINGS") ? atol(getenv("CWC_BENCH_BOOKINGS")) : 100000;
	bson_t *docs[BATCH], *pays[2 * BATCH];
	size_t n = 0, np = 0;
	store_error_t se = { 0 };
	bson_oid_t client_role, *users;
	bool found = false;
	char err[256], email[128], name[128], t[6], purpose[96], hex[25];
	int64_t now = account_now_ms(), today, ndays = bookings / PER_DAY + 1;
	int minute;
	store_t *st;

	if (!cfg_load(err, sizeof err)) {
		fprintf(stderr, "dashboard_seed: %s\n", err);
		return 1;
	}
	log_init("dashboard_seed", cfg->log_level);
	if (!(st = conn_store(&se)) || !account_role_id(st, "client", now, &client_role, &found, &se) || !found) {
		fprintf(stderr, "dashboard_seed: %s\n", se.message);
		return 1;
	}
	users = calloc((size_t)customers + 1, sizeof *users);
	for (long i = 0; i < customers; i++) {
		bson_t *u = bson_new();
		bson_oid_init(&users[i], NULL);
		snprintf(name, sizeof name, "%s %s %ld", given[i % 8], family[(i / 8) % 8], i);
		snprintf(email, sizeof email, "client%ld@bench.example.com", i);
		BSON_APPEND_OID(u, "_id", &users[i]);
		BSON_APPEND_UTF8(u, "email", email);
		BSON_APPEND_UTF8(u, "givenName", name);
		BSON_APPEND_UTF8(u, "phone", "+33 6 12 34 56 78");
		if (i % 5 == 0)
			BSON_APPEND_UTF8(u, "companyName", "Société Générale des Cafés");
		BSON_APPEND_OID(u, "role", &client_role);
		BSON_APPEND_BOOL(u, "newsletter", i % 3 == 0);
		BSON_APPEND_DATE_TIME(u, "emailVerifiedAt", now - (int64_t)(i % 900) * BOOKING_DAY_MS);
		BSON_APPEND_DATE_TIME(u, "createdAt", now - (int64_t)(i % 900) * BOOKING_DAY_MS);
		docs[n++] = u;
		if (n == BATCH && !flush(st, "users", docs, &n, &se))
			goto fail;
	}
	if (!flush(st, "users", docs, &n, &se))
		goto fail;
	booking_paris_local(now, &today, &minute);
	for (long i = 0; i < bookings; i++) {
		int64_t day = today + 30 - ndays + i / PER_DAY;
		uint64_t r = rnd();
		const char *space = r % 10 < 7 ? "open-space" : r % 10 < 9 ? "salle-verriere" : "salle-etage";
		const char *status = day > today ? (r % 17 == 0 ? "pending" : "confirmed")
				    : r % 10 == 0 ? "cancelled" : "completed";
		int start = 9 * 60 + (int)(r >> 8) % 10 * 60, people = 1 + (int)(r >> 16) % 3;
		bson_t *b = bson_new();
		bson_oid_t id;
		bson_oid_init(&id, NULL);
		BSON_APPEND_OID(b, "_id", &id);
		if (customers > 0)
			BSON_APPEND_OID(b, "user", &users[(r >> 20) % (uint64_t)customers]);
		BSON_APPEND_UTF8(b, "spaceType", space);
		BSON_APPEND_DATE_TIME(b, "date", booking_day_ms(day));
		booking_format_time(start, t);
		BSON_APPEND_UTF8(b, "startTime", t);
		booking_format_time(start + 60, t);
		BSON_APPEND_UTF8(b, "endTime", t);
		BSON_APPEND_UTF8(b, "reservationType", "hourly");
		BSON_APPEND_INT32(b, "numberOfPeople", people);
		BSON_APPEND_UTF8(b, "status", status);
		BSON_APPEND_DOUBLE(b, "totalPrice", 6.0 * people);
		snprintf(purpose, sizeof purpose, "B%09ld", i);
		BSON_APPEND_UTF8(b, "confirmationNumber", purpose);
		BSON_APPEND_UTF8(b, "contactName", "Client de banc d’essai");
		BSON_APPEND_DATE_TIME(b, "createdAt", booking_day_ms(day) - 3 * BOOKING_DAY_MS);
		docs[n++] = b;
		if (day < today && strcmp(status, "cancelled") != 0) {
			int64_t at = booking_paris_to_utc(day, 18 * 60);
			bson_t *p = bson_new();
			bson_oid_to_string(&id, hex);
			snprintf(purpose, sizeof purpose, "booking/%s/capture/%d", hex, 600 * people);
			BSON_APPEND_UTF8(p, "_id", purpose);
			BSON_APPEND_UTF8(p, "kind", "capture");
			BSON_APPEND_OID(p, "booking", &id);
			BSON_APPEND_INT64(p, "amount", 600 * people);
			BSON_APPEND_UTF8(p, "status", "succeeded");
			BSON_APPEND_DATE_TIME(p, "createdAt", at);
			BSON_APPEND_DATE_TIME(p, "updatedAt", at);
			pays[np++] = p;
			if (r % 20 == 0) {
				p = bson_new();
				snprintf(purpose, sizeof purpose, "booking/%s/refund/300", hex);
				BSON_APPEND_UTF8(p, "_id", purpose);
				BSON_APPEND_UTF8(p, "kind", "refund");
				BSON_APPEND_OID(p, "booking", &id);
				BSON_APPEND_INT64(p, "amount", 300);
				BSON_APPEND_UTF8(p, "status", "succeeded");
				BSON_APPEND_DATE_TIME(p, "createdAt", at + 3600000);
				BSON_APPEND_DATE_TIME(p, "updatedAt", at + 3600000);
				pays[np++] = p;
			}
		}
		if (n == BATCH && !flush(st, "bookings", docs, &n, &se))
			goto fail;
		if (np >= BATCH && !flush(st, "payments", pays, &np, &se))
			goto fail;
	}
	if (!flush(st, "bookings", docs, &n, &se) || !flush(st, "payments", pays, &np, &se))
		goto fail;
	printf("seeded %ld customers, %ld bookings over %lld days\n", customers, bookings, (long long)ndays);
	free(users);
	conn_close();
	cfg_free();
	return 0;
fail:
	fprintf(stderr, "dashboard_seed: %s\n", se.message);
	free(users);
	return 1;
}
