/*
 * calendar.h — the café's calendar (SPEC §7): civil dates, Europe/Paris
 * local time, French public holidays (Alsace-Moselle included), weekly
 * opening hours and closures.
 *
 * Days are counted as days since 1970-01-01 (a civil date, no time zone);
 * a time of day is minutes since local midnight. A booking's `date` is
 * stored as the original does: a BSON date at 00:00 UTC of the local day
 * (booking_day_ms()).
 *
 * Europe/Paris is computed, not read from the system's tz database: CET
 * (UTC+1) with EU summer time (UTC+2) from the last Sunday of March 01:00
 * UTC to the last Sunday of October 01:00 UTC, the rule in force since
 * 1996. Pure arithmetic, so it is the same in every worker and needs no
 * TZ environment or localtime_r (docs/booking.md says why).
 *
 * Hours: the newest `globalhoursconfigurations` document (SPEC §7) with
 * two fields we add: `holidayHours` {isOpen, openTime, closeTime} (the
 * hours of a public holiday, default 10:00–20:00 as the CGU say) and
 * `annualClosures[]` ("MM-DD" days closed every year). An exceptional
 * closure wins over everything; a holiday follows `holidayHours` unless
 * an annual or exceptional closure says otherwise.
 */
#ifndef CWC_BOOKING_CALENDAR_H
#define CWC_BOOKING_CALENDAR_H

#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOOKING_DAY_MS 86400000LL
#define BOOKING_SLOT_MIN 30               /* the grid of times */
#define BOOKING_MAX_PARTIAL 8             /* partial closures kept per day */
#define BOOKING_MAX_ANNUAL 32

/* Civil dates. */
int64_t booking_days_from_civil(int y, int m, int d);
void booking_civil_from_days(int64_t day, int *y, int *m, int *d);
/* 0 = Monday … 6 = Sunday. */
int booking_weekday(int64_t day);
/* "monday" … "sunday". */
const char *booking_weekday_name(int wd);
/* The French names the pages and mails write: month 1–12 ("janvier"),
 * weekday 0 = Monday ("lundi"); "?" out of range. */
const char *booking_month_fr(int m);
/* The month as French abbreviates it where room is short: "janv.",
 * "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
 * "oct.", "nov.", "déc."; "?" out of range. */
const char *booking_month_fr_short(int m);
const char *booking_weekday_fr(int wd);
/* A day in French words: "mercredi 6 janvier 2027" ("lundi 1er mars
 * 2027" with `first_er`, as letters write the first of a month). */
void booking_format_day_fr(int64_t day, bool first_er, char *out, size_t outlen);
/* Strict "YYYY-MM-DD" of a real date (years 2000–2199); false otherwise. */
bool booking_parse_date(const char *s, int64_t *day);
/* "YYYY-MM-DD" into out (≥ 11 bytes). */
void booking_format_date(int64_t day, char *out);
/* "HH:mm" (or "H:mm"), 00:00–23:59, or "24:00" when `allow_24` (a closing
 * time); false otherwise. */
bool booking_parse_time(const char *s, bool allow_24, int *minute);
/* "HH:mm" into out (≥ 6 bytes). */
void booking_format_time(int minute, char *out);
/* The BSON date of a booking's day: 00:00 UTC of that civil day. */
int64_t booking_day_ms(int64_t day);
/* The civil day of such a date (any time of that UTC day). */
int64_t booking_day_of_ms(int64_t ms);

/* Europe/Paris. */
int booking_paris_offset_min(int64_t utc_ms);               /* 60 or 120 */
void booking_paris_local(int64_t utc_ms, int64_t *day, int *minute);
/* The instant of local `day` `minute`. A time skipped by the March change
 * (02:00–02:59) is read as summer time one hour later; a repeated one
 * (October 02:00–02:59) as its first occurrence. */
int64_t booking_paris_to_utc(int64_t day, int minute);

/* The public holiday of `day` in Strasbourg (French list plus Good
 * Friday and 26 December of Alsace-Moselle), its French name, or NULL. */
const char *booking_holiday(int64_t day);
/* Easter Sunday of year `y` (Gregorian). */
int64_t booking_easter(int y);

struct booking_dayhours {
	bool open;
	int open_min, close_min;
};

struct booking_closure {
	int64_t day;
	bool full_day;
	int start_min, end_min;        /* when !full_day */
	char reason[160];
};

struct booking_hours {
	struct booking_dayhours week[7];   /* Monday first */
	struct booking_dayhours holiday;
	int annual[BOOKING_MAX_ANNUAL];    /* month * 100 + day */
	int nannual;
	struct booking_closure *closures;  /* owned; exceptional closures */
	size_t nclosures;
};

/* What one day looks like to a customer. */
struct booking_day {
	bool open;                 /* false: closed all day */
	int open_min, close_min;
	const char *holiday;       /* the holiday's name, or NULL */
	char closed_reason[160];   /* why it is closed, when !open */
	struct { int start_min, end_min; } partial[BOOKING_MAX_PARTIAL];
	int npartial;              /* partial closures inside the hours */
};

/* The hours in force: the newest globalhoursconfigurations document, or
 * the café's defaults (Mon–Fri 09:00–20:00, Sat–Sun 10:00–20:00) when
 * there is none. `out` is always initialised when this returns true; free
 * it with booking_hours_free(). */
bool booking_hours_load(store_t *st, struct booking_hours *out, store_error_t *err);
/* Reads a globalhoursconfigurations document (missing parts take the
 * defaults). */
void booking_hours_from_doc(const bson_t *doc, struct booking_hours *out);
void booking_hours_defaults(struct booking_hours *out);
void booking_hours_free(struct booking_hours *h);

/* Adds an exceptional closure to the hours in force (creating the
 * document from the defaults when there is none). */
bool booking_hours_add_closure(store_t *st, const struct booking_closure *c, int64_t now,
			       store_error_t *err);

/* The hours and closures of `day`. */
void booking_hours_day(const struct booking_hours *h, int64_t day, struct booking_day *out);

#endif
