/*
 * booking_bench — the booking rules' cost as the bookings grow.
 *
 *   booking_bench [URI]      default: an embedded store in a fresh temp dir
 *
 * Seeds the café's catalogue, then fills `bookings` with documents shaped
 * like the application's (about 100 a day: the open-space's 1–3 people by
 * the hour, the rooms, a few weeks and months, a tenth cancelled), day
 * after day from 2000-01-01, so the density of a day stays what a busy
 * café sees while the collection grows. At 10k, 100k and 1M bookings
 * (capped by CWC_BENCH_DOCS) it measures on random filled days, p50 and
 * p99 of:
 *   quote         booking_quote(): the space and a service read, priced;
 *   check         booking_check_available() of an open-space hour;
 *   occupancy     booking_day_occupancy(): what GET /api/availability reads;
 * and each p99 as a ratio to the first step's (flat: the day's reads go
 * through the indexes, the cost does not grow with the collection).
 * CWC_BENCH_SAMPLES sets the measures per figure (default 1000).
 */
#include "booking/availability.h"
#include "booking/booking.h"
#include "booking/calendar.h"
#include "booking/catalogue.h"
#include "store/store.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PER_DAY 100
#define BATCH 1000

static int samples = 1000;
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static bson_t *booking(int64_t seq, int64_t day)
{
	bson_t *b = bson_new();
	int k = (int)(seq % PER_DAY), start = 9 + (int)(rnd() % 9);
	const char *space = k < 60 ? "open-space" : k < 75 ? "salle-verriere" : k < 90 ? "salle-etage" : "open-space";
	const char *status = k >= 90 ? "cancelled" : rnd() % 4 ? "confirmed" : "pending";
	char t[6], number[16];
	int people = k < 60 ? 1 + (int)(rnd() % 3) : 2 + (int)(rnd() % 3);

	BSON_APPEND_UTF8(b, "spaceType", space);
	BSON_APPEND_DATE_TIME(b, "date", booking_day_ms(day));
	if (k == 59 && rnd() % 2) {   /* a week now and then */
		BSON_APPEND_DATE_TIME(b, "endDate", booking_day_ms(day + 6));
		BSON_APPEND_UTF8(b, "reservationType", "weekly");
	} else {
		booking_format_time(start * 60, t);
		BSON_APPEND_UTF8(b, "startTime", t);
		booking_format_time((start + 1 + (int)(rnd() % 2)) * 60, t);
		BSON_APPEND_UTF8(b, "endTime", t);
		BSON_APPEND_UTF8(b, "reservationType", "hourly");
	}
	BSON_APPEND_INT32(b, "numberOfPeople", people);
	BSON_APPEND_UTF8(b, "status", status);
	BSON_APPEND_DOUBLE(b, "totalPrice", 12.0 * people);
	BSON_APPEND_INT64(b, "depositAmount", 1200 * people);
	BSON_APPEND_UTF8(b, "contactName", "Camille Martin");
	BSON_APPEND_UTF8(b, "contactEmail", "camille.martin@example.com");
	snprintf(number, sizeof number, "B-%09lld", (long long)seq);
	BSON_APPEND_UTF8(b, "confirmationNumber", number);
	return b;
}

static void report(const char *what, double *v, int n, double *first_p99)
{
	double p50, p99;

	qsort(v, (size_t)n, sizeof *v, cmp_double);
	p50 = v[n / 2] * 1e6;
	p99 = v[(n * 99) / 100] * 1e6;
	if (*first_p99 == 0)
		*first_p99 = p99;
	printf("  %-10s p50 %8.0f µs   p99 %8.0f µs   p99 vs first step %5.2fx\n", what, p50, p99,
	       p99 / *first_p99);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/cwc-booking-bench-XXXXXX", path[256];
	const char *uri = argc > 1 ? argv[1] : NULL;
	const char *cap_s = getenv("CWC_BENCH_DOCS"), *samples_s = getenv("CWC_BENCH_SAMPLES");
	int64_t cap = cap_s ? atoll(cap_s) : 1000000, steps[] = { 10000, 100000, 1000000 };
	int64_t seq = 0, first_day = booking_days_from_civil(2000, 1, 1);
	double first[3] = { 0, 0, 0 }, *v;
	store_error_t err;
	store_t *st;
	struct booking_hours hours;
	struct booking_space space;
	bool found;
	double t0 = now_s();

	if (samples_s)
		samples = atoi(samples_s) > 10 ? atoi(samples_s) : 10;
	if (!uri) {
		if (!mkdtemp(dir))
			return perror("mkdtemp"), 1;
		snprintf(path, sizeof path, "%s/cwc.sqlite3", dir);
		uri = path;
	}
	st = store_open(uri, &err);
	if (!st) {
		fprintf(stderr, "store: %s\n", err.message);
		return 1;
	}
	store_drop(st, "bookings", &err);
	if (!store_ensure_indexes(st, &err) && !strstr(err.message, "238"))
		fprintf(stderr, "indexes: %s\n", err.message);
	if (!booking_seed_catalogue(st, 0, NULL, &err) || !booking_hours_load(st, &hours, &err) ||
	    !booking_space_load(st, "open-space", &space, &found, &err)) {
		fprintf(stderr, "catalogue: %s\n", err.message);
		return 1;
	}
	v = calloc((size_t)samples, sizeof *v);
	printf("bookings   insert/s   (%d bookings a day from 2000-01-01, %d samples per figure)\n",
	       PER_DAY, samples);
	for (int s = 0; s < 3 && steps[s] <= cap; s++) {
		bson_t *docs[BATCH];
		int64_t days;
		double t = now_s();
		while (seq < steps[s]) {
			size_t n = 0, done;
			for (int i = 0; i < BATCH; i++, seq++)
				docs[n++] = booking(seq, first_day + seq / PER_DAY);
			if (!store_insert_many(st, "bookings", (const bson_t *const *)docs, n, &done, &err)) {
				fprintf(stderr, "insert: %s\n", err.message);
				return 1;
			}
			for (size_t i = 0; i < n; i++)
				bson_destroy(docs[i]);
		}
		days = seq / PER_DAY;
		printf("%8lld   %8.0f\n", (long long)seq, (double)(steps[s] - (s ? steps[s - 1] : 0)) / (now_s() - t));
		for (int i = 0; i < samples; i++) {   /* quote */
			struct booking_request rq = { .space_type = "open-space", .rtype = BOOKING_HOURLY,
						      .day = first_day + (int64_t)(rnd() % (uint64_t)days),
						      .start_min = 600, .end_min = 720, .people = 2 };
			struct booking_space sp;
			struct booking_quote q;
			struct err e;
			double a = now_s();
			if (!booking_quote(st, &rq, &sp, &q, &e))
				return fprintf(stderr, "quote: %s\n", e.message), 1;
			v[i] = now_s() - a;
		}
		report("quote", v, samples, &first[0]);
		for (int i = 0; i < samples; i++) {   /* check an hour */
			int64_t day = first_day + (int64_t)(rnd() % (uint64_t)days);
			struct booking_request rq = { .space_type = "open-space", .rtype = BOOKING_HOURLY,
						      .day = day, .start_min = 600, .end_min = 720, .people = 1 };
			struct err e = { 0 };
			double a = now_s();
			if (!booking_check_available(st, &space, &hours, &rq, booking_day_ms(first_day), &e) &&
			    e.status >= 500)
				return fprintf(stderr, "check: %s\n", e.message), 1;
			v[i] = now_s() - a;
		}
		report("check", v, samples, &first[1]);
		for (int i = 0; i < samples; i++) {   /* a day's occupancy */
			int64_t day = first_day + (int64_t)(rnd() % (uint64_t)days);
			struct booking_occupancy o;
			double a = now_s();
			if (!booking_day_occupancy(st, "open-space", &hours, day, booking_day_ms(first_day), NULL, &o, &err))
				return fprintf(stderr, "occupancy: %s\n", err.message), 1;
			v[i] = now_s() - a;
		}
		report("occupancy", v, samples, &first[2]);
	}
	printf("total %.0f s\n", now_s() - t0);
	store_drop(st, "bookings", &err);
	booking_hours_free(&hours);
	store_close(st);
	free(v);
	if (!argv[1]) {
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.') {
				char file[512];
				snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
				unlink(file);
			}
		if (d)
			closedir(d);
		rmdir(dir);
	}
	return 0;
}
