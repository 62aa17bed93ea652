/*
 * calendar.c — civil dates, Europe/Paris, holidays, opening hours. See
 * calendar.h.
 */
#include "booking/calendar.h"
#include "core/buf.h"
#include "core/doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Howard Hinnant's days_from_civil / civil_from_days (public domain
 * algorithms, written out from their description). */
int64_t booking_days_from_civil(int y, int m, int d)
{
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void booking_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int booking_weekday(int64_t day)
{
	/* 1970-01-01 was a Thursday (3 when Monday is 0) */
	int64_t w = (day + 3) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

const char *booking_weekday_name(int wd)
{
	static const char *names[7] = { "monday", "tuesday", "wednesday", "thursday",
					"friday", "saturday", "sunday" };

	return wd >= 0 && wd < 7 ? names[wd] : "?";
}

const char *booking_month_fr(int m)
{
	static const char *const names[12] = {
		"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
		"septembre", "octobre", "novembre", "décembre",
	};

	return m >= 1 && m <= 12 ? names[m - 1] : "?";
}

const char *booking_month_fr_short(int m)
{
	static const char *const names[12] = {
		"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août",
		"sept.", "oct.", "nov.", "déc.",
	};

	return m >= 1 && m <= 12 ? names[m - 1] : "?";
}

const char *booking_weekday_fr(int wd)
{
	static const char *const names[7] = {
		"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
	};

	return wd >= 0 && wd < 7 ? names[wd] : "?";
}

void booking_format_day_fr(int64_t day, bool first_er, char *out, size_t outlen)
{
	int y, m, d;

	booking_civil_from_days(day, &y, &m, &d);
	(void)buf_fmt(out, outlen, "%s %d%s %s %d", booking_weekday_fr(booking_weekday(day)), d,
		      first_er && d == 1 ? "er" : "", booking_month_fr(m), y);
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool booking_parse_date(const char *s, int64_t *day)
{
	int y, m, d, yy, mm, dd;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) ||
	    !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d))
		return false;
	if (y < 2000 || y > 2199 || m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	*day = booking_days_from_civil(y, m, d);
	booking_civil_from_days(*day, &yy, &mm, &dd);
	return yy == y && mm == m && dd == d;   /* refuses 2027-02-30 */
}

void booking_format_date(int64_t day, char *out)
{
	int y, m, d;

	booking_civil_from_days(day, &y, &m, &d);
	(void)buf_fmt(out, 11, "%04d-%02d-%02d", y % 10000, m, d);
}

bool booking_parse_time(const char *s, bool allow_24, int *minute)
{
	int h, mi;
	size_t n = s ? strlen(s) : 0;

	if (n == 4 && s[1] == ':' && digits(s, 1, &h) && digits(s + 2, 2, &mi))
		;
	else if (n == 5 && s[2] == ':' && digits(s, 2, &h) && digits(s + 3, 2, &mi))
		;
	else
		return false;
	if (mi > 59 || h > 24 || (h == 24 && (mi != 0 || !allow_24)))
		return false;
	*minute = h * 60 + mi;
	return true;
}

void booking_format_time(int minute, char *out)
{
	(void)buf_fmt(out, 6, "%02d:%02d", (minute / 60) % 100, minute % 60);
}

int64_t booking_day_ms(int64_t day)
{
	return day * BOOKING_DAY_MS;
}

int64_t booking_day_of_ms(int64_t ms)
{
	return ms >= 0 ? ms / BOOKING_DAY_MS : -((-ms + BOOKING_DAY_MS - 1) / BOOKING_DAY_MS);
}

/* ---- Europe/Paris -------------------------------------------------------- */

/* The last Sunday of month m (March or October) of year y, as a day. */
static int64_t last_sunday(int y, int m)
{
	int64_t last = booking_days_from_civil(y, m + 1, 1) - 1;

	return last - (booking_weekday(last) + 1) % 7;
}

int booking_paris_offset_min(int64_t utc_ms)
{
	int64_t day = booking_day_of_ms(utc_ms);
	int y, m, d;

	booking_civil_from_days(day, &y, &m, &d);
	/* summer time: [last Sunday of March 01:00 UTC, last Sunday of October 01:00 UTC) */
	int64_t start = booking_day_ms(last_sunday(y, 3)) + 3600000;
	int64_t end = booking_day_ms(last_sunday(y, 10)) + 3600000;
	return utc_ms >= start && utc_ms < end ? 120 : 60;
}

void booking_paris_local(int64_t utc_ms, int64_t *day, int *minute)
{
	int64_t local = utc_ms + (int64_t)booking_paris_offset_min(utc_ms) * 60000;
	int64_t d = booking_day_of_ms(local);

	*day = d;
	*minute = (int)((local - booking_day_ms(d)) / 60000);
}

int64_t booking_paris_to_utc(int64_t day, int minute)
{
	int64_t local = booking_day_ms(day) + (int64_t)minute * 60000;
	/* try winter then summer time; the first that reads back is it */
	int64_t winter = local - 3600000, summer = local - 7200000;
	int64_t back_day;
	int back_min;

	booking_paris_local(summer, &back_day, &back_min);
	if (back_day == day && back_min == minute)
		return summer;   /* first occurrence when ambiguous */
	booking_paris_local(winter, &back_day, &back_min);
	if (back_day == day && back_min == minute)
		return winter;
	return winter;     /* skipped hour: 02:30 CET = 03:30 CEST */
}

/* ---- holidays ------------------------------------------------------------ */

int64_t booking_easter(int y)
{
	/* the anonymous Gregorian computus (Meeus/Jones/Butcher) */
	int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4;
	int f = (b + 8) / 25, g = (b - f + 1) / 3;
	int h = (19 * a + b - d - g + 15) % 30;
	int i = c / 4, k = c % 4;
	int l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	int month = (h + l - 7 * m + 114) / 31;
	int dd = (h + l - 7 * m + 114) % 31 + 1;

	return booking_days_from_civil(y, month, dd);
}

const char *booking_holiday(int64_t day)
{
	static const struct { int m, d; const char *name; } fixed[] = {
		{ 1, 1, "Jour de l'an" }, { 5, 1, "Fête du Travail" },
		{ 5, 8, "Victoire 1945" }, { 7, 14, "Fête nationale" },
		{ 8, 15, "Assomption" }, { 11, 1, "Toussaint" },
		{ 11, 11, "Armistice 1918" }, { 12, 25, "Noël" },
		{ 12, 26, "Saint-Étienne (Alsace-Moselle)" },
	};
	static const struct { int offset; const char *name; } moving[] = {
		{ -2, "Vendredi saint (Alsace-Moselle)" }, { 1, "Lundi de Pâques" },
		{ 39, "Ascension" }, { 50, "Lundi de Pentecôte" },
	};
	int y, m, d;
	int64_t easter;

	booking_civil_from_days(day, &y, &m, &d);
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		if (fixed[i].m == m && fixed[i].d == d)
			return fixed[i].name;
	easter = booking_easter(y);
	for (size_t i = 0; i < sizeof moving / sizeof *moving; i++)
		if (day == easter + moving[i].offset)
			return moving[i].name;
	return NULL;
}

/* ---- opening hours ------------------------------------------------------- */

void booking_hours_defaults(struct booking_hours *h)
{
	memset(h, 0, sizeof *h);
	for (int i = 0; i < 7; i++)
		h->week[i] = (struct booking_dayhours){ true, i < 5 ? 9 * 60 : 10 * 60, 20 * 60 };
	h->holiday = (struct booking_dayhours){ true, 10 * 60, 20 * 60 };
}

void booking_hours_free(struct booking_hours *h)
{
	free(h->closures);
	h->closures = NULL;
	h->nclosures = 0;
}

/* {isOpen, openTime, closeTime} at `it` into `out` (kept when unreadable). */
static void read_dayhours(bson_iter_t *it, struct booking_dayhours *out)
{
	bson_iter_t f;
	int open_min = out->open_min, close_min = out->close_min;
	bool open = out->open;

	if (!BSON_ITER_HOLDS_DOCUMENT(it) || !bson_iter_recurse(it, &f))
		return;
	while (bson_iter_next(&f)) {
		const char *k = bson_iter_key(&f);
		if (strcmp(k, "isOpen") == 0)
			open = bson_iter_as_bool(&f);
		else if (strcmp(k, "openTime") == 0 && BSON_ITER_HOLDS_UTF8(&f))
			(void)booking_parse_time(bson_iter_utf8(&f, NULL), false, &open_min);
		else if (strcmp(k, "closeTime") == 0 && BSON_ITER_HOLDS_UTF8(&f))
			(void)booking_parse_time(bson_iter_utf8(&f, NULL), true, &close_min);
	}
	out->open = open && close_min > open_min;
	out->open_min = open_min;
	out->close_min = close_min;
}

/* A closure's date: a BSON date (00:00 UTC of the day) or "YYYY-MM-DD". */
static bool read_day(bson_iter_t *f, int64_t *day)
{
	if (BSON_ITER_HOLDS_DATE_TIME(f)) {
		/* the original stores 00:00 UTC; a date written at local
		 * midnight (22:00/23:00 UTC the day before) is read as Paris */
		int64_t ms = bson_iter_date_time(f);
		int minute;
		if (ms % BOOKING_DAY_MS == 0)
			*day = booking_day_of_ms(ms);
		else
			booking_paris_local(ms, day, &minute);
		return true;
	}
	if (BSON_ITER_HOLDS_UTF8(f)) {
		const char *s = bson_iter_utf8(f, NULL);
		char head[11];
		(void)buf_fmt(head, sizeof head, "%s", s);
		return booking_parse_date(head, day);
	}
	return false;
}

static void read_closure(bson_iter_t *it, struct booking_hours *h)
{
	bson_iter_t f;
	struct booking_closure c = { .full_day = true };
	bool have_day = false, have_start = false, have_end = false;

	if (!BSON_ITER_HOLDS_DOCUMENT(it) || !bson_iter_recurse(it, &f))
		return;
	while (bson_iter_next(&f)) {
		const char *k = bson_iter_key(&f);
		if (strcmp(k, "date") == 0)
			have_day = read_day(&f, &c.day);
		else if (strcmp(k, "isFullDay") == 0)
			c.full_day = bson_iter_as_bool(&f);
		else if (strcmp(k, "startTime") == 0 && BSON_ITER_HOLDS_UTF8(&f))
			have_start = booking_parse_time(bson_iter_utf8(&f, NULL), false, &c.start_min);
		else if (strcmp(k, "endTime") == 0 && BSON_ITER_HOLDS_UTF8(&f))
			have_end = booking_parse_time(bson_iter_utf8(&f, NULL), true, &c.end_min);
		else if (strcmp(k, "reason") == 0 && BSON_ITER_HOLDS_UTF8(&f))
			(void)buf_fmt(c.reason, sizeof c.reason, "%s", bson_iter_utf8(&f, NULL));
	}
	if (!have_day)
		return;
	/* a partial closure without a valid window closes the whole day */
	if (!c.full_day && !(have_start && have_end && c.end_min > c.start_min))
		c.full_day = true;
	h->closures = realloc(h->closures, (h->nclosures + 1) * sizeof *h->closures);
	if (!h->closures)
		abort();
	h->closures[h->nclosures++] = c;
}

void booking_hours_from_doc(const bson_t *doc, struct booking_hours *h)
{
	bson_iter_t it, sub;

	booking_hours_defaults(h);
	if (bson_iter_init_find(&it, doc, "defaultHours") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
	    bson_iter_recurse(&it, &sub)) {
		while (bson_iter_next(&sub))
			for (int i = 0; i < 7; i++)
				if (strcmp(bson_iter_key(&sub), booking_weekday_name(i)) == 0)
					read_dayhours(&sub, &h->week[i]);
	}
	if (bson_iter_init_find(&it, doc, "holidayHours"))
		read_dayhours(&it, &h->holiday);
	if (bson_iter_init_find(&it, doc, "annualClosures") && BSON_ITER_HOLDS_ARRAY(&it) &&
	    bson_iter_recurse(&it, &sub)) {
		while (bson_iter_next(&sub) && h->nannual < BOOKING_MAX_ANNUAL) {
			int m, d;
			const char *s = BSON_ITER_HOLDS_UTF8(&sub) ? bson_iter_utf8(&sub, NULL) : "";
			if (strlen(s) == 5 && s[2] == '-' && digits(s, 2, &m) && digits(s + 3, 2, &d) &&
			    m >= 1 && m <= 12 && d >= 1 && d <= 31)
				h->annual[h->nannual++] = m * 100 + d;
		}
	}
	if (bson_iter_init_find(&it, doc, "exceptionalClosures") && BSON_ITER_HOLDS_ARRAY(&it) &&
	    bson_iter_recurse(&it, &sub)) {
		while (bson_iter_next(&sub))
			read_closure(&sub, h);
	}
}

bool booking_hours_load(store_t *st, struct booking_hours *out, store_error_t *err)
{
	bson_t sort = BSON_INITIALIZER, doc;
	bool found = false;
	store_find_opts_t opts = { .sort = &sort };

	BSON_APPEND_INT32(&sort, "createdAt", -1);
	if (!store_find_one(st, "globalhoursconfigurations", NULL, &opts, &doc, &found, err)) {
		bson_destroy(&sort);
		return false;
	}
	if (found)
		booking_hours_from_doc(&doc, out);
	else
		booking_hours_defaults(out);
	bson_destroy(&doc);
	bson_destroy(&sort);
	return true;
}

void booking_hours_day(const struct booking_hours *h, int64_t day, struct booking_day *out)
{
	int y, m, d;
	struct booking_dayhours dh;

	memset(out, 0, sizeof *out);
	out->holiday = booking_holiday(day);
	dh = out->holiday ? h->holiday : h->week[booking_weekday(day)];
	out->open = dh.open;
	out->open_min = dh.open_min;
	out->close_min = dh.close_min;
	if (!dh.open)
		(void)buf_fmt(out->closed_reason, sizeof out->closed_reason, "%s",
			      out->holiday ? out->holiday : "Fermé ce jour de la semaine");
	booking_civil_from_days(day, &y, &m, &d);
	for (int i = 0; i < h->nannual; i++)
		if (h->annual[i] == m * 100 + d) {
			out->open = false;
			(void)buf_fmt(out->closed_reason, sizeof out->closed_reason, "%s",
				      out->holiday ? out->holiday : "Fermeture annuelle");
		}
	for (size_t i = 0; i < h->nclosures; i++) {
		const struct booking_closure *c = &h->closures[i];
		if (c->day != day)
			continue;
		if (c->full_day || (c->start_min <= out->open_min && c->end_min >= out->close_min)) {
			out->open = false;
			(void)buf_fmt(out->closed_reason, sizeof out->closed_reason, "%s",
				      c->reason[0] ? c->reason : "Fermeture exceptionnelle");
		} else if (out->npartial < BOOKING_MAX_PARTIAL) {
			out->partial[out->npartial].start_min = c->start_min;
			out->partial[out->npartial].end_min = c->end_min;
			out->npartial++;
		}
	}
	if (!out->open)
		out->npartial = 0;
}

bool booking_hours_add_closure(store_t *st, const struct booking_closure *c, int64_t now,
			       store_error_t *err)
{
	bson_t sort = BSON_INITIALIZER, doc, filter = BSON_INITIALIZER, update = BSON_INITIALIZER;
	bson_t push, item, set;
	store_find_opts_t opts = { .sort = &sort };
	bool found = false, ok = false;
	bson_oid_t id;
	char t[6];

	BSON_APPEND_INT32(&sort, "createdAt", -1);
	if (!store_find_one(st, "globalhoursconfigurations", NULL, &opts, &doc, &found, err))
		goto out;
	if (!found) {   /* no hours yet: the defaults, as a document */
		bson_t fresh = BSON_INITIALIZER, week, day;
		struct booking_hours h;
		booking_hours_defaults(&h);
		BSON_APPEND_DOCUMENT_BEGIN(&fresh, "defaultHours", &week);
		for (int i = 0; i < 7; i++) {
			BSON_APPEND_DOCUMENT_BEGIN(&week, booking_weekday_name(i), &day);
			BSON_APPEND_BOOL(&day, "isOpen", true);
			booking_format_time(h.week[i].open_min, t);
			BSON_APPEND_UTF8(&day, "openTime", t);
			booking_format_time(h.week[i].close_min, t);
			BSON_APPEND_UTF8(&day, "closeTime", t);
			bson_append_document_end(&week, &day);
		}
		bson_append_document_end(&fresh, &week);
		BSON_APPEND_DATE_TIME(&fresh, "createdAt", now);
		ok = store_insert_one(st, "globalhoursconfigurations", &fresh, NULL, err);
		bson_destroy(&fresh);
		bson_destroy(&doc);
		if (!ok || !store_find_one(st, "globalhoursconfigurations", NULL, &opts, &doc, &found, err) ||
		    !found) {
			ok = false;
			goto out;
		}
	}
	ok = doc_oid(&doc, "_id", &id);
	bson_destroy(&doc);
	if (!ok) {
		err->code = STORE_ERR_BAD_VALUE;
		(void)buf_fmt(err->message, sizeof err->message, "hours document without an ObjectId");
		goto out;
	}
	BSON_APPEND_OID(&filter, "_id", &id);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$push", &push);
	BSON_APPEND_DOCUMENT_BEGIN(&push, "exceptionalClosures", &item);
	BSON_APPEND_DATE_TIME(&item, "date", booking_day_ms(c->day));
	BSON_APPEND_UTF8(&item, "reason", c->reason);
	BSON_APPEND_BOOL(&item, "isFullDay", c->full_day);
	if (!c->full_day) {
		booking_format_time(c->start_min, t);
		BSON_APPEND_UTF8(&item, "startTime", t);
		booking_format_time(c->end_min, t);
		BSON_APPEND_UTF8(&item, "endTime", t);
	}
	bson_append_document_end(&push, &item);
	bson_append_document_end(&update, &push);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	bson_append_document_end(&update, &set);
	ok = store_update_one(st, "globalhoursconfigurations", &filter, &update, false, NULL, err);
out:
	bson_destroy(&filter);
	bson_destroy(&update);
	bson_destroy(&sort);
	return ok;
}
