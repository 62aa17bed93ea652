/*
 * stats.c — the dashboard's figures (stats.h says what each one counts
 * and through which index it is read).
 */
#include "booking/stats.h"
#include "booking/availability.h"
#include "booking/calendar.h"
#include "booking/catalogue.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>

#define STATS_COLL "statsdaily"

/* ---- revenue -------------------------------------------------------------- */

/* Sums the payments that moved money during local day `day`. */
static bool revenue_live(store_t *st, int64_t from_day, int64_t to_day, int64_t *cents,
			 store_error_t *se)
{
	bson_t filter = BSON_INITIALIZER, range, proj = BSON_INITIALIZER;
	store_find_opts_t opts = { .projection = &proj };
	store_cursor_t *cur;
	const bson_t *d;
	bool failed;

	*cents = 0;
	BSON_APPEND_UTF8(&filter, "status", "succeeded");
	BSON_APPEND_DOCUMENT_BEGIN(&filter, "updatedAt", &range);
	BSON_APPEND_DATE_TIME(&range, "$gte", booking_paris_to_utc(from_day, 0));
	BSON_APPEND_DATE_TIME(&range, "$lt", booking_paris_to_utc(to_day + 1, 0));
	bson_append_document_end(&filter, &range);
	BSON_APPEND_INT32(&proj, "kind", 1);
	BSON_APPEND_INT32(&proj, "amount", 1);
	cur = store_find(st, "payments", &filter, &opts, se);
	bson_destroy(&filter);
	bson_destroy(&proj);
	if (!cur)
		return false;
	while (store_cursor_next(cur, &d)) {
		const char *kind = doc_str(d, "kind");
		int64_t amount = doc_int(d, "amount", 0);
		if (!kind)
			continue;
		if (strcmp(kind, "capture") == 0)   /* a hold's own document only says it ended */
			*cents += amount;
		else if (strcmp(kind, "refund") == 0)
			*cents -= amount;
	}
	failed = store_cursor_error(cur, se);
	store_cursor_destroy(cur);
	return !failed;
}

static void day_key(char *out, size_t len, int64_t day)
{
	char d[11];

	booking_format_date(day, d);
	(void)buf_fmt(out, len, "revenue/%s", d);
}

bool stats_revenue(store_t *st, int64_t from, int64_t to, int64_t today, int64_t *cents,
		   struct err *e)
{
	store_error_t se = { 0 };
	bson_t filter = BSON_INITIALIZER, range;
	store_cursor_t *cur;
	const bson_t *d;
	char k1[32], k2[32];
	int64_t n = to - from + 1, sum = 0, part;
	/* which past days the cache has */
	static bool have[2 * 366 + 2];
	int64_t last_past = to < today ? to : today - 1;

	*cents = 0;
	if (n <= 0)
		return true;
	if (n > (int64_t)(sizeof have / sizeof *have))
		return err_set(e, 400, "invalid_request", "from", "The period is too long.");
	memset(have, 0, sizeof have);
	if (from <= last_past) {
		day_key(k1, sizeof k1, from);
		day_key(k2, sizeof k2, last_past);
		BSON_APPEND_DOCUMENT_BEGIN(&filter, "_id", &range);
		BSON_APPEND_UTF8(&range, "$gte", k1);
		BSON_APPEND_UTF8(&range, "$lte", k2);
		bson_append_document_end(&filter, &range);
		cur = store_find(st, STATS_COLL, &filter, NULL, &se);
		bson_destroy(&filter);
		if (!cur)
			return store_fail(e, "stats: revenue cache", &se);
		while (store_cursor_next(cur, &d)) {
			const char *id = doc_str(d, "_id");
			int64_t day;
			if (!id || strlen(id) != 18 || !booking_parse_date(id + 8, &day) ||
			    day < from || day > last_past)
				continue;
			have[day - from] = true;
			sum += doc_int(d, "cents", 0);
		}
		if (store_cursor_error(cur, &se)) {
			store_cursor_destroy(cur);
			return store_fail(e, "stats: revenue cache", &se);
		}
		store_cursor_destroy(cur);
	} else
		bson_destroy(&filter);
	/* past days not summed yet: summed now and kept */
	for (int64_t day = from; day <= last_past; day++) {
		bson_t doc = BSON_INITIALIZER;
		if (have[day - from])
			continue;
		if (!revenue_live(st, day, day, &part, &se))
			return store_fail(e, "stats: revenue", &se);
		sum += part;
		day_key(k1, sizeof k1, day);
		BSON_APPEND_UTF8(&doc, "_id", k1);
		BSON_APPEND_INT64(&doc, "cents", part);
		BSON_APPEND_DATE_TIME(&doc, "computedAt", booking_paris_to_utc(today, 0));
		if (!store_insert_one(st, STATS_COLL, &doc, NULL, &se) &&
		    se.code != STORE_ERR_DUPLICATE_KEY)   /* a concurrent request kept it */
			log_warn("stats: keep %s: %s", k1, se.message);
		bson_destroy(&doc);
	}
	if (to >= today && from <= today) {
		if (!revenue_live(st, today, today, &part, &se))
			return store_fail(e, "stats: revenue today", &se);
		sum += part;
	}
	*cents = sum;
	return true;
}

/* ---- POS takings ----------------------------------------------------------- */

static void turnover_key(char *out, size_t len, int64_t day)
{
	int y, m, d;

	booking_civil_from_days(day, &y, &m, &d);
	(void)buf_fmt(out, len, "%04d/%02d/%02d", y, m, d);
}

/* A number of euros as cents, rounded. */
static int64_t euros_cents(const bson_t *doc, const char *key)
{
	bson_iter_t root, it;
	double v;

	if (!bson_iter_init(&root, doc) || !bson_iter_find_descendant(&root, key, &it) ||
	    !BSON_ITER_HOLDS_NUMBER(&it))
		return 0;
	v = bson_iter_as_double(&it) * 100.0;
	return (int64_t)(v < 0 ? v - 0.5 : v + 0.5);
}

bool stats_turnover(store_t *st, int64_t from, int64_t to, int64_t *ttc, int64_t *ht,
		    int64_t *days, struct err *e)
{
	static const char *const buckets[] = { "vat-20", "vat-10", "vat-55", "vat-0" };
	store_error_t se = { 0 };
	bson_t filter = BSON_INITIALIZER, range;
	store_cursor_t *cur;
	const bson_t *d;
	char k1[16], k2[16], key[40];
	bool failed;

	*ttc = *ht = *days = 0;
	turnover_key(k1, sizeof k1, from);
	turnover_key(k2, sizeof k2, to);
	BSON_APPEND_DOCUMENT_BEGIN(&filter, "_id", &range);
	BSON_APPEND_UTF8(&range, "$gte", k1);
	BSON_APPEND_UTF8(&range, "$lte", k2);
	bson_append_document_end(&filter, &range);
	cur = store_find(st, "turnovers", &filter, NULL, &se);
	bson_destroy(&filter);
	if (!cur)
		return store_fail(e, "stats: turnovers", &se);
	while (store_cursor_next(cur, &d)) {
		(*days)++;
		for (size_t i = 0; i < sizeof buckets / sizeof *buckets; i++) {
			(void)buf_fmt(key, sizeof key, "%s.total-ttc", buckets[i]);
			*ttc += euros_cents(d, key);
			(void)buf_fmt(key, sizeof key, "%s.total-ht", buckets[i]);
			*ht += euros_cents(d, key);
		}
	}
	failed = store_cursor_error(cur, &se);
	store_cursor_destroy(cur);
	return !failed || store_fail(e, "stats: turnovers", &se);
}

static int days_in_month(int y, int m)
{
	return (int)(booking_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) -
		     booking_days_from_civil(y, m, 1));
}

static void add_date(json_object *o, const char *key, int64_t day)
{
	char d[11];

	booking_format_date(day, d);
	json_object_object_add(o, key, json_object_new_string(d));
}

static bool period(store_t *st, json_object *arr, const char *key, const char *label,
		   int64_t from, int64_t to, int64_t pfrom, int64_t pto, int64_t today,
		   struct err *e)
{
	int64_t cur = 0, prev = 0, ttc, ht, days, pttc, pht, pdays;
	json_object *o;

	if (!stats_revenue(st, from, to, today, &cur, e) ||
	    !stats_revenue(st, pfrom, pto, today, &prev, e) ||
	    !stats_turnover(st, from, to, &ttc, &ht, &days, e) ||
	    !stats_turnover(st, pfrom, pto, &pttc, &pht, &pdays, e))
		return false;
	o = json_object_new_object();
	json_object_object_add(o, "key", json_object_new_string(key));
	json_object_object_add(o, "label", json_object_new_string(label));
	add_date(o, "from", from);
	add_date(o, "to", to);
	add_date(o, "previousFrom", pfrom);
	add_date(o, "previousTo", pto);
	json_object_object_add(o, "cents", json_object_new_int64(cur));
	json_object_object_add(o, "previousCents", json_object_new_int64(prev));
	if (days || pdays) {
		json_object *pos = json_object_new_object();
		json_object_object_add(pos, "ttc", json_object_new_int64(ttc));
		json_object_object_add(pos, "ht", json_object_new_int64(ht));
		json_object_object_add(pos, "previousTtc", json_object_new_int64(pttc));
		json_object_object_add(pos, "previousHt", json_object_new_int64(pht));
		json_object_object_add(o, "pos", pos);
	}
	json_object_array_add(arr, o);
	return true;
}

bool stats_revenue_periods(store_t *st, int64_t today, json_object **out, struct err *e)
{
	json_object *arr = json_object_new_array();
	int y, m, d, py, pm, pd;
	int64_t week = today - booking_weekday(today), month, pmonth, year, pyear;

	booking_civil_from_days(today, &y, &m, &d);
	month = booking_days_from_civil(y, m, 1);
	py = m == 1 ? y - 1 : y;
	pm = m == 1 ? 12 : m - 1;
	pmonth = booking_days_from_civil(py, pm, 1);
	pd = d > days_in_month(py, pm) ? days_in_month(py, pm) : d;
	year = booking_days_from_civil(y, 1, 1);
	pyear = booking_days_from_civil(y - 1, 1, 1);
	if (!period(st, arr, "yesterday", "Hier", today - 1, today - 1, today - 8, today - 8, today, e) ||
	    !period(st, arr, "week", "Cette semaine", week, today, week - 7, today - 7, today, e) ||
	    !period(st, arr, "month", "Ce mois-ci", month, today, pmonth, pmonth + pd - 1, today, e) ||
	    !period(st, arr, "year", "Cette année", year, today, pyear,
		    pyear + (today - year) < year ? pyear + (today - year) : year - 1, today, e)) {
		json_object_put(arr);
		return false;
	}
	*out = arr;
	return true;
}

/* ---- occupancy ------------------------------------------------------------- */

struct occ_space {
	char type[32];
	char name[128];
	int capacity;
	bool exclusive;
	int64_t booked[STATS_MAX_DAYS];
};

static bool counts_for_occupancy(const bson_t *b, int64_t now)
{
	const char *s = doc_str(b, "status");

	if (!s)
		return false;
	if (strcmp(s, "pending") == 0)
		return booking_is_live(b, now);
	return strcmp(s, "confirmed") == 0 || strcmp(s, "completed") == 0 ||
	       strcmp(s, "no-show") == 0;
}

static void occ_add(struct occ_space *sp, size_t nsp, const struct booking_hours *h,
		    const bson_t *b, int64_t from, int ndays, int64_t now)
{
	const char *cur = booking_space_type_current(doc_str(b, "spaceType"));
	struct booking_span spans[BOOKING_MAX_SPANS];
	int n;

	if (!cur || !counts_for_occupancy(b, now))
		return;
	for (size_t i = 0; i < nsp; i++) {
		if (strcmp(sp[i].type, cur) != 0)
			continue;
		n = booking_stored_spans(h, b, spans);
		for (int k = 0; k < n; k++) {
			int64_t idx = spans[k].day - from;
			int64_t people = sp[i].exclusive ? 1 : doc_int(b, "numberOfPeople", 1);
			if (idx < 0 || idx >= ndays || spans[k].end_min <= spans[k].start_min)
				continue;
			sp[i].booked[idx] += people * (spans[k].end_min - spans[k].start_min);
		}
		return;
	}
}

static bool occ_scan(store_t *st, const bson_t *filter, struct occ_space *sp, size_t nsp,
		     const struct booking_hours *h, int64_t from, int ndays, int64_t now,
		     bool started_before, store_error_t *se)
{
	bson_t proj = BSON_INITIALIZER;
	store_find_opts_t opts = { .projection = &proj };
	store_cursor_t *cur;
	const bson_t *b;
	bool failed;
	static const char *const fields[] = { "spaceType", "date", "endDate", "startTime", "endTime",
		"numberOfPeople", "status", "holdExpiresAt", "reservationType" };

	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
		BSON_APPEND_INT32(&proj, fields[i], 1);
	cur = store_find(st, "bookings", filter, &opts, se);
	bson_destroy(&proj);
	if (!cur)
		return false;
	while (store_cursor_next(cur, &b)) {
		/* the second scan finds the long ones that started before `from`
		 * (those starting inside were counted by the first) */
		if (started_before && doc_date(b, "date", 0) >= booking_day_ms(from))
			continue;
		occ_add(sp, nsp, h, b, from, ndays, now);
	}
	failed = store_cursor_error(cur, se);
	store_cursor_destroy(cur);
	return !failed;
}

bool stats_occupancy(store_t *st, int64_t from, int ndays, int64_t now, json_object **out,
		     struct err *e)
{
	store_error_t se = { 0 };
	struct booking_hours h;
	struct occ_space *sp = NULL;
	size_t nsp = 0;
	store_cursor_t *cur = NULL;
	const bson_t *d;
	bson_t *filter = NULL, *sort = NULL;
	json_object *arr = NULL;
	bool ok = false;

	if (ndays < 1 || ndays > STATS_MAX_DAYS)
		return err_set(e, 400, "invalid_request", "days", "days is from 1 to %d.", STATS_MAX_DAYS);
	if (!booking_hours_load(st, &h, &se))
		return store_fail(e, "stats: hours", &se);
	filter = BCON_NEW("isActive", BCON_BOOL(true), "isDeleted", "{", "$ne", BCON_BOOL(true), "}");
	sort = BCON_NEW("displayOrder", BCON_INT32(1));
	store_find_opts_t sopts = { .sort = sort };
	cur = store_find(st, "spaceconfigurations", filter, &sopts, &se);
	bson_destroy(filter);
	filter = NULL;
	if (!cur)
		goto fail;
	while (store_cursor_next(cur, &d)) {
		struct booking_space s;
		struct occ_space *grown;
		booking_space_from_doc(d, &s);
		if (!booking_space_type_current(s.space_type))
			continue;
		grown = realloc(sp, (nsp + 1) * sizeof *sp);
		if (!grown)
			break;
		sp = grown;
		memset(&sp[nsp], 0, sizeof *sp);
		(void)buf_fmt(sp[nsp].type, sizeof sp[nsp].type, "%s", s.space_type);
		(void)buf_fmt(sp[nsp].name, sizeof sp[nsp].name, "%s", s.name);
		sp[nsp].exclusive = s.exclusive;
		sp[nsp].capacity = s.exclusive ? 1 : (s.max_capacity > 0 ? s.max_capacity : 1);
		nsp++;
	}
	if (store_cursor_error(cur, &se))
		goto fail;
	store_cursor_destroy(cur);
	cur = NULL;
	/* the bookings starting in the window (index {date}) */
	filter = BCON_NEW("date", "{", "$gte", BCON_DATE_TIME(booking_day_ms(from)),
			  "$lt", BCON_DATE_TIME(booking_day_ms(from + ndays)), "}");
	if (!occ_scan(st, filter, sp, nsp, &h, from, ndays, now, false, &se))
		goto fail;
	bson_destroy(filter);
	filter = NULL;
	/* the long ones still running (index {spaceType, endDate}: one key
	 * range per stored name, bounded) */
	filter = bson_new();
	booking_append_space_types_in(filter, "spaceType", NULL);
	BCON_APPEND(filter, "endDate", "{", "$gte", BCON_DATE_TIME(booking_day_ms(from)),
		    "$lte", BCON_DATE_TIME(booking_day_ms(from + BOOKING_MAX_SPANS)), "}");
	if (!occ_scan(st, filter, sp, nsp, &h, from, ndays, now, true, &se))
		goto fail;
	bson_destroy(filter);
	filter = NULL;
	arr = json_object_new_array();
	for (size_t i = 0; i < nsp; i++) {
		json_object *o = json_object_new_object(), *days = json_object_new_array();
		json_object_object_add(o, "spaceType", json_object_new_string(sp[i].type));
		json_object_object_add(o, "name", json_object_new_string(sp[i].name));
		json_object_object_add(o, "capacity", json_object_new_int(sp[i].capacity));
		for (int k = 0; k < ndays; k++) {
			struct booking_day bd;
			json_object *dd = json_object_new_object();
			int64_t open = 0;
			booking_hours_day(&h, from + k, &bd);
			if (bd.open) {
				open = bd.close_min - bd.open_min;
				for (int p = 0; p < bd.npartial; p++)
					open -= bd.partial[p].end_min - bd.partial[p].start_min;
				if (open < 0)
					open = 0;
			}
			open *= sp[i].capacity;
			add_date(dd, "date", from + k);
			json_object_object_add(dd, "open", json_object_new_boolean(open > 0));
			json_object_object_add(dd, "bookedMinutes", json_object_new_int64(sp[i].booked[k]));
			json_object_object_add(dd, "openMinutes", json_object_new_int64(open));
			if (open > 0) {
				int64_t pct = (sp[i].booked[k] * 1000 / open + 5) / 10;
				json_object_object_add(dd, "percent", json_object_new_int64(pct));
			} else
				json_object_object_add(dd, "percent", NULL);
			json_object_array_add(days, dd);
		}
		json_object_object_add(o, "days", days);
		json_object_array_add(arr, o);
	}
	*out = arr;
	ok = true;
	goto done;
fail:
	store_fail(e, "stats: occupancy", &se);
done:
	if (cur)
		store_cursor_destroy(cur);
	if (filter)
		bson_destroy(filter);
	if (sort)
		bson_destroy(sort);
	free(sp);
	booking_hours_free(&h);
	return ok;
}

/* ---- bookings per day ---------------------------------------------------------- */

bool stats_bookings_per_day(store_t *st, int64_t from, int ndays, int64_t *counts, struct err *e)
{
	store_error_t se = { 0 };

	for (int i = 0; i < ndays; i++) {
		bson_t *f = BCON_NEW("date", BCON_DATE_TIME(booking_day_ms(from + i)),
				     "status", "{", "$ne", BCON_UTF8("cancelled"), "}");
		bool ok = store_count(st, "bookings", f, &counts[i], &se);
		bson_destroy(f);
		if (!ok)
			return store_fail(e, "stats: bookings per day", &se);
	}
	return true;
}
